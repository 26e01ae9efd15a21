/*
 * svg.c - plain SVG charts for lq-report.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lq_svg.h"

#define FONT "font-family=\"DejaVu Sans, Arial, sans-serif\""
#define BAR "#4c78a8"
#define LINE "#f58518"
#define GRID "#dddddd"
#define INK "#333333"

/* plot area margins inside a chart's box */
#define ML 56
#define MR 16
#define MT 34
#define MB 46

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

void
lq_svg_text(struct lq_buf *b, double x, double y, const char *anchor,
    int size, const char *s)
{
	lq_buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
	    "font-size=\"%d\" fill=\"" INK "\" " FONT ">", x, y, anchor, size);
	lq_svg_esc(b, s);
	lq_buf_adds(b, "</text>\n");
}

static void
fmt_val(char *buf, size_t n, double v, enum lq_svg_fmt fmt)
{
	if (fmt == LQ_SVG_PCT)
		snprintf(buf, n, "%.3g%%", v * 100);
	else if (fabs(v) >= 1e6)
		snprintf(buf, n, "%.1fM", v / 1e6);
	else if (fabs(v) >= 1e4)
		snprintf(buf, n, "%.0fk", v / 1e3);
	else if (v == floor(v))
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.2g", v);
}

/* a "nice" upper bound for an axis */
static double
nice_max(double m, enum lq_svg_fmt fmt)
{
	double p, f;

	if (!(m > 0))
		return 1;
	if (fmt == LQ_SVG_PCT && m <= 1)
		return m > 0.2 ? ceil(m / 0.2 - 1e-9) * 0.2 :
		    ceil(m / 0.04 - 1e-9) * 0.04;
	p = pow(10, floor(log10(m)));
	f = m / p;
	f = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
	return f * p;
}

/* frame: title, y gridlines and labels; returns the plot area */
static void
frame(struct lq_buf *b, double x, double y, double w, double h,
    const char *title, double ymax, enum lq_svg_fmt fmt, double *px,
    double *py, double *pw, double *ph)
{
	char lab[32];

	*px = x + ML;
	*py = y + MT;
	*pw = w - ML - MR;
	*ph = h - MT - MB;
	lq_svg_text(b, x + w / 2, y + 20, "middle", 14, title);
	for (int i = 0; i <= 4; i++) {
		double gy = *py + *ph - *ph * i / 4;
		lq_buf_addf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"" GRID "\" stroke-width=\"1\"/>\n",
		    *px, gy, *px + *pw, gy);
		fmt_val(lab, sizeof(lab), ymax * i / 4, fmt);
		lq_svg_text(b, *px - 6, gy + 4, "end", 10, lab);
	}
	lq_buf_addf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"" INK "\" stroke-width=\"1\"/>\n", *px, *py + *ph,
	    *px + *pw, *py + *ph);
}

static void
no_data(struct lq_buf *b, double px, double py, double pw, double ph)
{
	lq_svg_text(b, px + pw / 2, py + ph / 2, "middle", 12, "no data");
}

void
lq_svg_bars(struct lq_buf *b, double x, double y, double w, double h,
    const char *title, int n, const char *const *labels, const double *v,
    const char *const *notes, double ymax, enum lq_svg_fmt fmt)
{
	double px, py, pw, ph, m = 0, slot, bw;
	char lab[32];

	for (int i = 0; i < n; i++)
		if (!isnan(v[i]) && v[i] > m)
			m = v[i];
	ymax = nice_max(ymax > 0 ? ymax : m * 1.08, fmt);
	frame(b, x, y, w, h, title, ymax, fmt, &px, &py, &pw, &ph);
	if (n == 0) {
		no_data(b, px, py, pw, ph);
		return;
	}
	slot = pw / n;
	bw = slot * 0.7;
	for (int i = 0; i < n; i++) {
		double cx = px + slot * (i + 0.5);
		int every = n > 12 ? (n + 11) / 12 : 1;
		if (!isnan(v[i])) {
			double bh = ph * fmin(fmax(v[i], 0) / ymax, 1);
			lq_buf_addf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" fill=\"" BAR "\"/>\n", cx - bw / 2,
			    py + ph - bh, bw, bh);
			if (n <= 16) {
				if (fmt == LQ_SVG_PCT)
					snprintf(lab, sizeof(lab), "%.1f%%",
					    v[i] * 100);
				else
					fmt_val(lab, sizeof(lab), v[i], fmt);
				lq_svg_text(b, cx, py + ph - bh - 4, "middle",
				    10, lab);
			}
		}
		if (i % every == 0) {
			lq_svg_text(b, cx, py + ph + 14, "middle", 10,
			    labels[i]);
			if (notes && notes[i])
				lq_svg_text(b, cx, py + ph + 27, "middle", 9,
				    notes[i]);
		}
	}
}

void
lq_svg_line(struct lq_buf *b, double x, double y, double w, double h,
    const char *title, int n, const char *const *labels, const double *v,
    double ymax, enum lq_svg_fmt fmt)
{
	double px, py, pw, ph, m = 0, slot;
	int pen = 0;

	for (int i = 0; i < n; i++)
		if (!isnan(v[i]) && v[i] > m)
			m = v[i];
	ymax = nice_max(ymax > 0 ? ymax : m * 1.08, fmt);
	frame(b, x, y, w, h, title, ymax, fmt, &px, &py, &pw, &ph);
	if (n == 0) {
		no_data(b, px, py, pw, ph);
		return;
	}
	slot = pw / n;
	lq_buf_adds(b, "<path fill=\"none\" stroke=\"" LINE "\" "
	    "stroke-width=\"2\" d=\"");
	for (int i = 0; i < n; i++) {
		if (isnan(v[i])) {
			pen = 0;
			continue;
		}
		lq_buf_addf(b, "%s%.1f %.1f ", pen ? "L" : "M",
		    px + slot * (i + 0.5),
		    py + ph - ph * fmin(fmax(v[i], 0) / ymax, 1));
		pen = 1;
	}
	lq_buf_adds(b, "\"/>\n");
	for (int i = 0; i < n; i++) {
		int every = n > 8 ? (n + 7) / 8 : 1;
		double cx = px + slot * (i + 0.5);
		if (!isnan(v[i]))
			lq_buf_addf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
			    "fill=\"" LINE "\"/>\n", cx,
			    py + ph - ph * fmin(fmax(v[i], 0) / ymax, 1));
		if (i % every == 0)
			lq_svg_text(b, cx, py + ph + 14, "middle", 10,
			    labels[i]);
	}
}

void
lq_svg_calibration(struct lq_buf *b, double x, double y, double w,
    double h, const char *title, int n, const double *pred, const double *obs,
    const long *count)
{
	double px, py, pw, ph;
	long maxc = 0;
	char lab[32];

	frame(b, x, y, w, h, title, 1, LQ_SVG_PCT, &px, &py, &pw, &ph);
	for (int i = 0; i <= 4; i++) {
		snprintf(lab, sizeof(lab), "%d%%", i * 25);
		lq_svg_text(b, px + pw * i / 4, py + ph + 14, "middle", 10,
		    lab);
	}
	lq_svg_text(b, px + pw / 2, py + ph + 32, "middle", 10,
	    "predicted probability");
	lq_buf_addf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"#999999\" stroke-dasharray=\"4 3\"/>\n", px, py + ph,
	    px + pw, py);
	for (int i = 0; i < n; i++)
		if (count[i] > maxc)
			maxc = count[i];
	if (maxc == 0) {
		no_data(b, px, py, pw, ph);
		return;
	}
	for (int i = 0; i < n; i++) {
		if (count[i] == 0 || isnan(pred[i]) || isnan(obs[i]))
			continue;
		double r = 3 + 7 * sqrt((double)count[i] / (double)maxc);
		lq_buf_addf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" "
		    "fill=\"" BAR "\" fill-opacity=\"0.7\"/>\n",
		    px + pw * fmin(fmax(pred[i], 0), 1),
		    py + ph - ph * fmin(fmax(obs[i], 0), 1), r);
	}
}
