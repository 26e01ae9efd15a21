/*
 * lq_svg.h - plain SVG charts (bars, lines, calibration) for lq-report.
 *
 * Each chart is drawn into the box (x, y, w, h) of a document begun with
 * lq_svg_begin(): a title, axes with a few gridlines, and the marks.
 * Values that are NaN are left out (no bar, a gap in a line).  Text is
 * XML-escaped; nothing but the SVG 1.1 basics is used, so any viewer and
 * rsvg-convert render it.
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

/*
 * Vertical bars: n labelled values on a 0..ymax scale (ymax <= 0: the
 * largest value), each bar annotated with its value and, when notes is not
 * NULL, notes[i] below the label ("n=12").
 */
void lq_svg_bars(struct lq_buf *b, double x, double y, double w, double h,
    const char *title, int n, const char *const *labels, const double *v,
    const char *const *notes, double ymax, enum lq_svg_fmt fmt);

/*
 * A line with points over n labelled x positions on a 0..ymax scale;
 * NaN values break the line.
 */
void lq_svg_line(struct lq_buf *b, double x, double y, double w, double h,
    const char *title, int n, const char *const *labels, const double *v,
    double ymax, enum lq_svg_fmt fmt);

/*
 * Calibration: n points (pred[i], obs[i]) on 0..1 x 0..1 with the
 * diagonal of perfect calibration; the point's area grows with count[i].
 */
void lq_svg_calibration(struct lq_buf *b, double x, double y, double w,
    double h, const char *title, int n, const double *pred, const double *obs,
    const long *count);

#endif
