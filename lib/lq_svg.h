/*
 * lq_svg.h - plain SVG charts (bars, lines, curves) for lq-report.
 *
 * Each chart is drawn into the box (x, y, w, h) of a document begun with
 * lq_svg_begin() (or of an <svg> element of its own, for HTML): a title,
 * a subtitle (sample sizes, what is left out), axis titles, a y axis on
 * a "nice" scale with gridlines, the marks, and a legend when there is
 * more than one series.  Values that are NaN are left out (no bar, a gap
 * in a line).  A chart without any value says "no data" and why.  Text
 * is XML-escaped; nothing but the SVG 1.1 basics is used, so any viewer,
 * rsvg-convert and browsers render it.
 */
#ifndef LQ_SVG_H
#define LQ_SVG_H

#include "lq_buf.h"

/* Start an SVG document of w x h pixels (white background). */
void lq_svg_begin(struct lq_buf *b, int w, int h, const char *title);

/* Close the document. */
void lq_svg_end(struct lq_buf *b);

/* Append s XML-escaped. */
void lq_svg_esc(struct lq_buf *b, const char *s);

/*
 * Text at (x, y); anchor is "start", "middle" or "end".
 */
void lq_svg_text(struct lq_buf *b, double x, double y, const char *anchor,
    int size, const char *s);

/* how values of a chart are labelled */
enum lq_svg_fmt { LQ_SVG_PCT, LQ_SVG_NUM };

/* Format v as a chart label ("12.5%", "1.2M", "35k", "7"). */
void lq_svg_fmt_val(char *buf, size_t n, double v, enum lq_svg_fmt fmt);

/* one series of a chart; arrays have the chart's n entries */
struct lq_svg_series {
	const char *name;	/* legend entry (NULL: no legend) */
	const double *v;	/* values; NaN: none */
	const double *lo, *hi;	/* an interval around v (may be NULL) */
	const double *x;	/* lq_svg_curve: x of each point (0..1) */
	int n;			/* lq_svg_curve: points (0: the chart's n) */
};

/* a chart: categories on x (labels), series of values on y */
struct lq_svg_chart {
	const char *title;
	const char *subtitle;	/* sample sizes, notes (may be NULL) */
	const char *xtitle, *ytitle;	/* axis titles with units */
	enum lq_svg_fmt fmt;
	double ymax;		/* <= 0: from the data (shares never above 100%) */
	int n;			/* categories */
	const char *const *labels;
	const char *const *notes;	/* under each label ("n=12"), or NULL */
	const double *count;	/* lq_svg_lines: grey columns behind (n) */
	const char *count_name;	/* legend of those columns */
	int ns;
	const struct lq_svg_series *s;
	const char *empty;	/* why there is no data (when there is none) */
	int diagonal;		/* lq_svg_curve: draw y = x */
};

/* Grouped vertical bars: one bar per series in each category. */
void lq_svg_bars2(struct lq_buf *b, double x, double y, double w, double h,
    const struct lq_svg_chart *c);

/* One line per series over the categories; NaN breaks a line. */
void lq_svg_lines(struct lq_buf *b, double x, double y, double w, double h,
    const struct lq_svg_chart *c);

/*
 * Curves through points (s[k].x[i], s[k].v[i]) on 0..1 x 0..ymax, with
 * the diagonal when c->diagonal; points of a series with notes get a
 * marker (calibration).  c->labels are unused.
 */
void lq_svg_curve(struct lq_buf *b, double x, double y, double w, double h,
    const struct lq_svg_chart *c);

/*
 * Vertical bars: n labelled values on a 0..ymax scale (ymax <= 0: from
 * the values), each bar annotated with its value and, when notes is not
 * NULL, notes[i] below the label ("n=12").
 */
void lq_svg_bars(struct lq_buf *b, double x, double y, double w, double h,
    const char *title, int n, const char *const *labels, const double *v,
    const char *const *notes, double ymax, enum lq_svg_fmt fmt);

#endif
