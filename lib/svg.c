/*
 * svg.c - plain SVG charts for lq-report.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lq_svg.h"

#define FONT "font-family=\"DejaVu Sans, Arial, sans-serif\""
#define GRID "#dddddd"
#define INK "#333333"
#define GREY "#777777"

/* plot area margins inside a chart's box */
#define ML 66
#define MR 16
#define MT 60
#define MB 60

static const char *const palette[] = {
	"#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2",
	"#eeca3b", "#9d755d"
};
#define NPAL (sizeof(palette) / sizeof(palette[0]))

void
lq_svg_esc(struct lq_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': lq_buf_adds(b, "&lt;"); break;
		case '>': lq_buf_adds(b, "&gt;"); break;
		case '&': lq_buf_adds(b, "&amp;"); break;
		case '"': lq_buf_adds(b, "&quot;"); break;
		default:
			/* control characters are not allowed in XML 1.0 */
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n')
				lq_buf_addc(b, '?');
			else
				lq_buf_addc(b, *s);
		}
	}
}

void
lq_svg_begin(struct lq_buf *b, int w, int h, const char *title)
{
	lq_buf_addf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", w, h, w, h);
	lq_buf_adds(b, "<title>");
	lq_svg_esc(b, title);
	lq_buf_adds(b, "</title>\n");
	lq_buf_addf(b, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
	    "fill=\"#ffffff\"/>\n", w, h);
}

void
lq_svg_end(struct lq_buf *b)
{
	lq_buf_adds(b, "</svg>\n");
}

static void
text_attr(struct lq_buf *b, double x, double y, const char *anchor,
    int size, const char *color, const char *extra, const char *s)
{
	lq_buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
	    "font-size=\"%d\" fill=\"%s\" " FONT "%s>", x, y, anchor, size,
	    color, extra);
	lq_svg_esc(b, s);
	lq_buf_adds(b, "</text>\n");
}

void
lq_svg_text(struct lq_buf *b, double x, double y, const char *anchor,
    int size, const char *s)
{
	text_attr(b, x, y, anchor, size, INK, "", s);
}

void
lq_svg_fmt_val(char *buf, size_t n, double v, enum lq_svg_fmt fmt)
{
	if (fmt == LQ_SVG_PCT) {
		double p = v * 100;
		if (p != 0 && fabs(p) < 10 && p != floor(p))
			snprintf(buf, n, "%.1f%%", p);
		else
			snprintf(buf, n, "%.0f%%", p);
	} else if (fabs(v) >= 1e6)
		snprintf(buf, n, "%.1fM", v / 1e6);
	else if (fabs(v) >= 1e4)
		snprintf(buf, n, "%.0fk", v / 1e3);
	else if (v == floor(v))
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.2g", v);
}

/*
 * A "nice" upper bound for an axis: 1, 2, 4, 6 or 8 times a power of ten
 * at or above m.  Shares stay within 100% unless a value is above it.
 */
static double
nice_max(double m, double data, enum lq_svg_fmt fmt)
{
	double p, f;

	if (!(m > 0))
		return 1;
	p = pow(10, floor(log10(m)));
	f = m / p;
	/* four gridlines: steps of 0.25, 0.5, 1, 1.5, 2 or 2.5 */
	f = f <= 1 ? 1 : f <= 2 ? 2 : f <= 4 ? 4 : f <= 6 ? 6 : f <= 8 ? 8 :
	    10;
	if (fmt == LQ_SVG_PCT && data <= 1 && f * p > 1)
		return 1;
	return f * p;
}

static double
data_max(const struct lq_svg_chart *c, int *any)
{
	double m = 0;

	*any = 0;
	for (int k = 0; k < c->ns; k++)
		for (int i = 0; i < (c->s[k].n ? c->s[k].n : c->n); i++) {
			const double *v = c->s[k].hi ? c->s[k].hi : c->s[k].v;
			if (!isnan(c->s[k].v[i]))
				*any = 1;
			if (!isnan(v[i]) && v[i] > m)
				m = v[i];
			if (!isnan(c->s[k].v[i]) && c->s[k].v[i] > m)
				m = c->s[k].v[i];
		}
	return m;
}

/* the plot area of a chart's box */
struct area {
	double x, y, w, h, ymax;
};

static double
ypos(const struct area *a, double v)
{
	return a->y + a->h - a->h * fmin(fmax(v, 0) / a->ymax, 1);
}

/* title, subtitle, legend, axis titles, y gridlines and labels */
static void
frame(struct lq_buf *b, double x, double y, double w, double h,
    const struct lq_svg_chart *c, double ymax, struct area *a)
{
	char lab[32];
	double lx;

	a->x = x + ML;
	a->y = y + MT;
	a->w = w - ML - MR;
	a->h = h - MT - MB;
	a->ymax = ymax;
	lq_buf_addf(b, "<g class=\"chart\">\n");
	text_attr(b, x + 8, y + 18, "start", 14, INK,
	    " font-weight=\"bold\"", c->title);
	if (c->subtitle)
		text_attr(b, x + 8, y + 33, "start", 10, GREY, "",
		    c->subtitle);
	lx = x + 8;
	for (int k = 0; k < c->ns && (c->ns > 1 || c->count_name); k++) {
		if (!c->s[k].name)
			continue;
		lq_buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" "
		    "height=\"10\" fill=\"%s\"/>\n", lx, y + 40,
		    palette[k % NPAL]);
		text_attr(b, lx + 14, y + 49, "start", 10, INK, "",
		    c->s[k].name);
		lx += 24 + 6.2 * (double)strlen(c->s[k].name);
	}
	if (c->count_name) {
		lq_buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" "
		    "height=\"10\" fill=\"#cccccc\"/>\n", lx, y + 40);
		text_attr(b, lx + 14, y + 49, "start", 10, INK, "",
		    c->count_name);
	}
	for (int i = 0; i <= 4; i++) {
		double gy = a->y + a->h - a->h * i / 4;
		lq_buf_addf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"" GRID "\" stroke-width=\"1\"/>\n",
		    a->x, gy, a->x + a->w, gy);
		lq_svg_fmt_val(lab, sizeof(lab), ymax * i / 4, c->fmt);
		lq_svg_text(b, a->x - 6, gy + 4, "end", 10, lab);
	}
	lq_buf_addf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"" INK "\" stroke-width=\"1\"/>\n", a->x, a->y + a->h,
	    a->x + a->w, a->y + a->h);
	if (c->ytitle) {
		char extra[96];
		snprintf(extra, sizeof(extra), " transform=\"rotate(-90 "
		    "%.1f %.1f)\"", x + 14, a->y + a->h / 2);
		text_attr(b, x + 14, a->y + a->h / 2, "middle", 11, INK,
		    extra, c->ytitle);
	}
	if (c->xtitle)
		text_attr(b, a->x + a->w / 2, y + h - 5, "middle", 11, INK,
		    "", c->xtitle);
}

static void
frame_end(struct lq_buf *b)
{
	lq_buf_adds(b, "</g>\n");
}

static void
no_data(struct lq_buf *b, const struct area *a, const char *why)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "no data: %s", why ? why :
	    "no lead has a value for it");
	text_attr(b, a->x + a->w / 2, a->y + a->h / 2, "middle", 12, GREY,
	    "", msg);
}

/* x labels (every k-th when crowded) and notes under them */
static void
x_labels(struct lq_buf *b, const struct area *a, const struct lq_svg_chart *c,
    int maxlab)
{
	double slot = a->w / c->n;
	int every = c->n > maxlab ? (c->n + maxlab - 1) / maxlab : 1;

	for (int i = 0; i < c->n; i++) {
		double cx = a->x + slot * (i + 0.5);
		if (i % every)
			continue;
		if (slot * every < 7.0 * (double)strlen(c->labels[i])) {
			/* crowded: slanted, ending under the bar, at most
			 * 10 characters (the axis title is below) */
			char extra[96], cut[64];
			snprintf(cut, sizeof(cut), "%s", c->labels[i]);
			if (strlen(c->labels[i]) > 10) {
				size_t k = 9;	/* not inside a UTF-8 character */
				while (k > 0 && ((unsigned char)cut[k] & 0xc0) ==
				    0x80)
					k--;
				snprintf(cut + k, sizeof(cut) - k, "…");
			}
			snprintf(extra, sizeof(extra), " transform=\"rotate(-30 "
			    "%.1f %.1f)\"", cx + 3, a->y + a->h + 12);
			text_attr(b, cx + 3, a->y + a->h + 12, "end", 9, INK,
			    extra, cut);
			continue;
		}
		lq_svg_text(b, cx, a->y + a->h + 14, "middle", 10,
		    c->labels[i]);
		if (c->notes && c->notes[i])
			text_attr(b, cx, a->y + a->h + 27, "middle", 9, GREY,
			    "", c->notes[i]);
	}
}

/* what a kind of chart draws in its frame whether or not it has data */
typedef void axes_fn(struct lq_buf *, const struct area *,
    const struct lq_svg_chart *);

/*
 * The frame of a chart of c's data (scaled to c->ymax, or a round number
 * above the data) into *a, then axes when not NULL; 0, with "no data"
 * drawn and the frame closed, when there is nothing to plot.
 */
static int
open_chart(struct lq_buf *b, double x, double y, double w, double h,
    const struct lq_svg_chart *c, axes_fn *axes, struct area *a)
{
	int any;
	double m = data_max(c, &any);

	frame(b, x, y, w, h, c, c->ymax > 0 ? c->ymax :
	    nice_max(m * 1.1, m, c->fmt), a);
	if (axes)
		axes(b, a, c);
	if (!any || c->n == 0) {
		no_data(b, a, c->empty);
		frame_end(b);
		return 0;
	}
	return 1;
}

/* The x labels of a chart (at most maxlab), then its frame closed. */
static void
close_chart(struct lq_buf *b, const struct area *a,
    const struct lq_svg_chart *c, int maxlab)
{
	x_labels(b, a, c, maxlab);
	frame_end(b);
}

void
lq_svg_bars2(struct lq_buf *b, double x, double y, double w, double h,
    const struct lq_svg_chart *c)
{
	struct area a;
	double slot, bw;
	char lab[32];

	if (!open_chart(b, x, y, w, h, c, NULL, &a))
		return;
	slot = a.w / c->n;
	bw = slot * 0.75 / c->ns;
	for (int i = 0; i < c->n; i++) {
		for (int k = 0; k < c->ns; k++) {
			const struct lq_svg_series *s = &c->s[k];
			double bx = a.x + slot * i + slot * 0.125 + bw * k;
			double top;
			if (isnan(s->v[i]))
				continue;
			top = ypos(&a, s->v[i]);
			lq_buf_addf(b, "<rect class=\"bar\" x=\"%.1f\" "
			    "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			    "fill=\"%s\"/>\n", bx, top, bw * 0.92,
			    a.y + a.h - top, palette[k % NPAL]);
			if (s->lo && s->hi && !isnan(s->lo[i]) &&
			    !isnan(s->hi[i])) {
				double cx = bx + bw * 0.46;
				lq_buf_addf(b, "<path d=\"M%.1f %.1fV%.1f"
				    "M%.1f %.1fH%.1fM%.1f %.1fH%.1f\" "
				    "stroke=\"" INK "\" stroke-width=\"1\"/>\n",
				    cx, ypos(&a, s->lo[i]), ypos(&a, s->hi[i]),
				    cx - 3, ypos(&a, s->lo[i]), cx + 3,
				    cx - 3, ypos(&a, s->hi[i]), cx + 3);
				top = fmin(top, ypos(&a, s->hi[i]));
			}
			if (c->n * c->ns <= 24) {
				lq_svg_fmt_val(lab, sizeof(lab), s->v[i],
				    c->fmt);
				lq_svg_text(b, bx + bw * 0.46, top - 4,
				    "middle", c->ns > 2 ? 8 : 10, lab);
			}
		}
	}
	close_chart(b, &a, c, 16);
}

void
lq_svg_lines(struct lq_buf *b, double x, double y, double w, double h,
    const struct lq_svg_chart *c)
{
	struct area a;
	double slot, cmax = 0;

	if (!open_chart(b, x, y, w, h, c, NULL, &a))
		return;
	slot = a.w / c->n;
	for (int i = 0; c->count && i < c->n; i++)
		cmax = fmax(cmax, c->count[i]);
	for (int i = 0; c->count && cmax > 0 && i < c->n; i++) {
		double bh = a.h * 0.35 * c->count[i] / cmax;
		lq_buf_addf(b, "<rect class=\"count\" x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"%.1f\" fill=\"#cccccc\"/>\n",
		    a.x + slot * i + slot * 0.15, a.y + a.h - bh, slot * 0.7,
		    bh);
	}
	for (int k = 0; k < c->ns; k++) {
		const struct lq_svg_series *s = &c->s[k];
		int pen = 0;
		lq_buf_addf(b, "<path class=\"line\" fill=\"none\" "
		    "stroke=\"%s\" stroke-width=\"2\" d=\"", palette[k % NPAL]);
		for (int i = 0; i < c->n; i++) {
			if (isnan(s->v[i])) {
				pen = 0;
				continue;
			}
			lq_buf_addf(b, "%s%.1f %.1f ", pen ? "L" : "M",
			    a.x + slot * (i + 0.5), ypos(&a, s->v[i]));
			pen = 1;
		}
		lq_buf_adds(b, "\"/>\n");
		for (int i = 0; i < c->n; i++)
			if (!isnan(s->v[i]))
				lq_buf_addf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" "
				    "r=\"2.5\" fill=\"%s\"/>\n",
				    a.x + slot * (i + 0.5), ypos(&a, s->v[i]),
				    palette[k % NPAL]);
	}
	close_chart(b, &a, c, 8);
}

/* a curve's x axis (0 to 100%) and, when c says so, the diagonal */
static void
curve_axes(struct lq_buf *b, const struct area *a,
    const struct lq_svg_chart *c)
{
	char lab[32];

	for (int i = 0; i <= 4; i++) {
		snprintf(lab, sizeof(lab), "%d%%", i * 25);
		lq_svg_text(b, a->x + a->w * i / 4, a->y + a->h + 14, "middle",
		    10, lab);
	}
	if (c->diagonal)
		lq_buf_addf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#999999\" "
		    "stroke-dasharray=\"4 3\"/>\n", a->x, a->y + a->h,
		    a->x + a->w, ypos(a, 1));
}

void
lq_svg_curve(struct lq_buf *b, double x, double y, double w, double h,
    const struct lq_svg_chart *c)
{
	struct area a;

	if (!open_chart(b, x, y, w, h, c, curve_axes, &a))
		return;
	for (int k = 0; k < c->ns; k++) {
		const struct lq_svg_series *s = &c->s[k];
		int pen = 0, n = s->n ? s->n : c->n;
		lq_buf_addf(b, "<path class=\"line\" fill=\"none\" "
		    "stroke=\"%s\" stroke-width=\"2\" d=\"", palette[k % NPAL]);
		for (int i = 0; i < n; i++) {
			if (isnan(s->v[i]) || isnan(s->x[i])) {
				pen = 0;
				continue;
			}
			lq_buf_addf(b, "%s%.1f %.1f ", pen ? "L" : "M",
			    a.x + a.w * fmin(fmax(s->x[i], 0), 1),
			    ypos(&a, s->v[i]));
			pen = 1;
		}
		lq_buf_adds(b, "\"/>\n");
		for (int i = 0; c->notes && k == 0 && i < n; i++) {
			double px, py;
			if (isnan(s->v[i]) || isnan(s->x[i]))
				continue;
			px = a.x + a.w * fmin(fmax(s->x[i], 0), 1);
			py = ypos(&a, s->v[i]);
			lq_buf_addf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
			    "fill=\"%s\"/>\n", px, py, palette[0]);
			if (c->notes[i])
				text_attr(b, px + 6, py - 6, "start", 9, GREY,
				    "", c->notes[i]);
		}
	}
	frame_end(b);
}

void
lq_svg_bars(struct lq_buf *b, double x, double y, double w, double h,
    const char *title, int n, const char *const *labels, const double *v,
    const char *const *notes, double ymax, enum lq_svg_fmt fmt)
{
	struct lq_svg_series s = { NULL, v, NULL, NULL, NULL, 0 };
	struct lq_svg_chart c = { 0 };

	c.title = title;
	c.fmt = fmt;
	c.ymax = ymax;
	c.n = n;
	c.labels = labels;
	c.notes = notes;
	c.ns = 1;
	c.s = &s;
	lq_svg_bars2(b, x, y, w, h, &c);
}
