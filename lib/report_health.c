/*
 * report_health.c - lq-report: model health on live outcomes.  The
 * predicted probability of each scored lead against its known outcome
 * (won or not): AUC, log loss, Brier score, expected calibration error
 * and a calibration table, overall, per ISO week and (with --baseline or
 * --split) per drift period, and the alerts when the AUC falls below a
 * floor or drops from the reference period, or the ECE passes a limit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_svg.h"
#include "report_int.h"
#include "lq_mem.h"

static const char *const health_keys[] = {
	"bins", "auc_min", "auc_drop", "ece_max", "min_leads", NULL
};

int
lq_report_health_load(struct lq_report *r, const struct lq_ynode *h,
    struct lq_err *err)
{
	const struct lq_ydoc *d = &r->doc;
	const struct lq_ynode *n;
	double bins = 10, minl = 100;
	struct { const char *k; double *v, hi; } th[] = {
		{ "auc_min", &r->h_auc_min, 1 },
		{ "auc_drop", &r->h_auc_drop, 1 },
		{ "ece_max", &r->h_ece_max, 1 },
	};

	r->h_auc_min = 0.6;
	r->h_auc_drop = 0.05;
	r->h_ece_max = 0.1;
	if (h && lq_ymap_check(d, h, "health", health_keys, err))
		return -1;
	for (size_t i = 0; h && i < sizeof(th) / sizeof(th[0]); i++)
		if ((n = lq_ymap_get(h, th[i].k)) &&
		    lq_ynum_in(d, n, th[i].k, 0, th[i].hi, th[i].v, err))
			return -1;
	if (h && (n = lq_ymap_get(h, "bins"))) {
		if (lq_ynum_in(d, n, "bins", 2, 100, &bins, err))
			return -1;
		if (bins != floor(bins))
			return lq_yerr(d, n, err, "bins must be a whole "
			    "number, not %g", bins);
	}
	if (h && (n = lq_ymap_get(h, "min_leads"))) {
		if (lq_ynum_in(d, n, "min_leads", 1, 1e12, &minl, err))
			return -1;
	}
	r->h_bins = (int)bins;
	r->h_min = (long)minl;
	return 0;
}

/* the set named key (created on first use) */
static struct hset *
hset(struct lq_report *r, const char *key)
{
	struct hset *s;

	if (r->h_last >= 0 && !strcmp(r->hs[r->h_last].key, key))
		return &r->hs[r->h_last];
	for (int i = 0; i < r->nhs; i++)
		if (!strcmp(r->hs[i].key, key)) {
			r->h_last = i;
			return &r->hs[i];
		}
	r->hs = lq_xrealloc(r->hs, (size_t)(r->nhs + 1) * sizeof(*r->hs));
	s = &r->hs[r->nhs];
	memset(s, 0, sizeof(*s));
	s->key = lq_xstrdup(key);
	r->h_last = r->nhs++;
	return s;
}

static void
count(struct hset *s, double p, int y)
{
	s->leads++;
	if (isnan(p))
		s->no_prob++;
	else if (y < 0)
		s->no_outcome++;
}

void
lq_report_health_add(struct lq_report *r, const char *week, double p, int y,
    int period)
{
	static const char *const pname[] = { "baseline", "current" };
	int w;

	if (!isnan(p) && !(p >= 0 && p <= 1))
		p = NAN;	/* not a probability */
	if (!r->hs)
		hset(r, "all");
	count(&r->hs[0], p, y);
	count(hset(r, week), p, y);
	w = r->h_last;
	if (period >= 0 && (r->mode == 1 || r->mode == 2))
		count(hset(r, pname[period]), p, y);
	if (isnan(p) || y < 0)
		return;
	if (r->h_n == r->h_cap) {
		r->h_cap = r->h_cap ? 2 * r->h_cap : 1024;
		r->h_p = lq_xrealloc(r->h_p, r->h_cap * sizeof(double));
		r->h_y = lq_xrealloc(r->h_y, r->h_cap);
		r->h_w = lq_xrealloc(r->h_w, r->h_cap * sizeof(int));
		r->h_per = lq_xrealloc(r->h_per, r->h_cap);
	}
	r->h_p[r->h_n] = p;
	r->h_y[r->h_n] = (unsigned char)y;
	r->h_w[r->h_n] = w;
	r->h_per[r->h_n] = (unsigned char)(period < 0 ? 2 : period);
	r->h_n++;
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Area under the ROC curve: the Mann-Whitney statistic, ties counted
 * half (mid-ranks).  p holds the n predictions, positives first in
 * pos[0..npos), negatives after; both sorted in place.
 */
static double
auc(double *p, size_t npos, size_t n)
{
	size_t nneg = n - npos, i = 0, j = 0;
	double u = 0;

	if (!npos || !nneg)
		return NAN;
	qsort(p, npos, sizeof(double), cmp_dbl);
	qsort(p + npos, nneg, sizeof(double), cmp_dbl);
	/* for each positive: negatives below it, plus half the equal ones */
	for (size_t k = 0; k < npos; k++) {
		while (i < nneg && p[npos + i] < p[k])
			i++;
		j = i > j ? i : j;
		while (j < nneg && p[npos + j] <= p[k])
			j++;
		u += (double)i + (double)(j - i) / 2;
	}
	return u / ((double)npos * (double)nneg);
}

static void
compute(struct lq_report *r, struct hset *s, int which, int per)
{
	int B = r->h_bins;
	double *p, ll = 0, br = 0;
	size_t n = 0, npos = 0, k;

	s->cal_n = calloc((size_t)B, sizeof(long));
	s->cal_pos = calloc((size_t)B, sizeof(long));
	s->cal_sum = calloc((size_t)B, sizeof(double));
	if (!s->cal_n || !s->cal_pos || !s->cal_sum)
		abort();
	for (size_t i = 0; i < r->h_n; i++)
		if (which < 0 ? (per < 0 || r->h_per[i] == per) :
		    r->h_w[i] == which)
			n++;
	p = lq_xrealloc(NULL, n * sizeof(double));
	/* positives to the front, negatives to the back */
	k = n;
	for (size_t i = 0; i < r->h_n; i++) {
		double x = r->h_p[i], c;
		int y = r->h_y[i], b;
		if (!(which < 0 ? (per < 0 || r->h_per[i] == per) :
		    r->h_w[i] == which))
			continue;
		if (y)
			p[npos++] = x;
		else
			p[--k] = x;
		c = fmin(fmax(x, 1e-15), 1 - 1e-15);
		ll -= y ? log(c) : log(1 - c);
		br += (x - y) * (x - y);
		b = x >= 1 ? B - 1 : (int)(x * B);
		s->cal_n[b]++;
		s->cal_pos[b] += y;
		s->cal_sum[b] += x;
	}
	s->n = (long)n;
	s->pos = (long)npos;
	s->auc = s->logloss = s->brier = s->ece = NAN;
	s->why = NULL;
	if (n == 0) {
		s->why = s->no_prob == s->leads ? "no lead has a probability" :
		    "no scored lead has a known outcome";
		if (s->leads == 0)
			s->why = "no leads";
	} else {
		s->logloss = ll / (double)n;
		s->brier = br / (double)n;
		s->ece = 0;
		for (int b = 0; b < B; b++)
			if (s->cal_n[b])
				s->ece += fabs(s->cal_sum[b] -
				    (double)s->cal_pos[b]) / (double)n;
		s->auc = auc(p, npos, n);
		if (isnan(s->auc))
			s->why_auc = npos ? "no lead was lost" :
			    "no lead was won";
	}
	free(p);
}

static int
cmp_set(const void *a, const void *b)
{
	const struct hset *x = a, *y = b;
	int nx = !strcmp(x->key, NONE_LABEL), ny = !strcmp(y->key, NONE_LABEL);

	if (nx || ny)
		return nx - ny;
	return strcmp(x->key, y->key);
}

/* Compute every set's metrics, once, after the last record. */
void
lq_report_health_finish(struct lq_report *r)
{
	int nweeks, *map;

	if (r->h_done || !r->hs)
		return;
	r->h_done = 1;
	/* weeks sorted after "all" (and the periods), keeping h_w right */
	nweeks = r->nhs;
	for (int i = 0; i < nweeks; i++)
		r->hs[i].idx = i;
	qsort(r->hs + 1, (size_t)r->nhs - 1, sizeof(*r->hs), cmp_set);
	map = lq_xrealloc(NULL, (size_t)r->nhs * sizeof(int));
	for (int i = 0; i < r->nhs; i++)
		map[r->hs[i].idx] = i;
	for (size_t i = 0; i < r->h_n; i++)
		r->h_w[i] = map[r->h_w[i]];
	free(map);
	for (int i = 0; i < r->nhs; i++) {
		struct hset *s = &r->hs[i];
		if (i == 0)
			compute(r, s, -1, -1);
		else if (!strcmp(s->key, "baseline") && r->mode &&
		    r->mode < 3)
			compute(r, s, -1, 0);
		else if (!strcmp(s->key, "current") && r->mode &&
		    r->mode < 3)
			compute(r, s, -1, 1);
		else
			compute(r, s, i, -1);
		s->week = i > 0 && !(r->mode && r->mode < 3 &&
		    (!strcmp(s->key, "baseline") ||
		    !strcmp(s->key, "current")));
	}
	/* the reference AUC: the baseline, else the first full week */
	r->h_ref = -1;
	for (int i = 1; i < r->nhs; i++) {
		struct hset *s = &r->hs[i];
		if (r->mode && r->mode < 3) {
			if (!strcmp(s->key, "baseline") && !isnan(s->auc))
				r->h_ref = i;
		} else if (r->h_ref < 0 && s->week && !isnan(s->auc) &&
		    s->n >= r->h_min && strcmp(s->key, NONE_LABEL))
			r->h_ref = i;
	}
}

/* the health section is shown when some lead had a probability */
int
lq_report_health_on(struct lq_report *r)
{
	lq_report_health_finish(r);
	return r->hs && r->hs[0].no_prob < r->hs[0].leads;
}

void
lq_report_health_free(struct lq_report *r)
{
	for (int i = 0; i < r->nhs; i++) {
		free(r->hs[i].key);
		free(r->hs[i].cal_n);
		free(r->hs[i].cal_pos);
		free(r->hs[i].cal_sum);
	}
	free(r->hs);
	free(r->h_p);
	free(r->h_y);
	free(r->h_w);
	free(r->h_per);
}

/* ---- alerts ---- */

int
lq_report_health_alerts(struct lq_report *r, struct lq_buf *o)
{
	char msg[512];
	int n = 0;
	double ref;

	if (!lq_report_health_on(r))
		return 0;
	ref = r->h_ref >= 0 ? r->hs[r->h_ref].auc : NAN;
	for (int i = 0; i < r->nhs; i++) {
		struct hset *s = &r->hs[i];
		if (s->n < r->h_min || !strcmp(s->key, NONE_LABEL))
			continue;
		if (!isnan(s->auc) && s->auc < r->h_auc_min) {
			snprintf(msg, sizeof(msg), "model AUC %.3f in %s is "
			    "below %g (%ld leads)", s->auc, s->key,
			    r->h_auc_min, s->n);
			lq_report_alert(o, "alert", "auc", s->key, s->auc,
			    r->h_auc_min, msg);
			n++;
		}
		if (!isnan(s->auc) && !isnan(ref) && i && i != r->h_ref &&
		    ref - s->auc > r->h_auc_drop) {
			snprintf(msg, sizeof(msg), "model AUC fell from %.3f "
			    "(%s) to %.3f in %s", ref, r->hs[r->h_ref].key,
			    s->auc, s->key);
			lq_report_alert(o, "alert", "auc_drop", s->key,
			    ref - s->auc, r->h_auc_drop, msg);
			n++;
		}
		if (!isnan(s->ece) && s->ece > r->h_ece_max) {
			snprintf(msg, sizeof(msg), "model calibration drifted "
			    "in %s: ECE %.3f > %g (%ld leads)", s->key,
			    s->ece, r->h_ece_max, s->n);
			lq_report_alert(o, "alert", "ece", s->key, s->ece,
			    r->h_ece_max, msg);
			n++;
		}
	}
	return n;
}

/* ---- output ---- */

static void
jnum(struct lq_buf *o, const char *k, double v)
{
	lq_buf_addf(o, ",\"%s\":", k);
	if (isfinite(v))
		lq_buf_json_round(o, v, 6);
	else
		lq_buf_adds(o, "null");
}

static void
jstr(struct lq_buf *o, const char *k, const char *v)
{
	lq_buf_addf(o, ",\"%s\":", k);
	if (v)
		lq_buf_json_strs(o, v);
	else
		lq_buf_adds(o, "null");
}

void
lq_report_health_json(struct lq_report *r, struct lq_buf *o)
{
	int B = r->h_bins;

	if (!lq_report_health_on(r))
		return;
	for (int i = 0; i < r->nhs; i++) {
		struct hset *s = &r->hs[i];
		lq_buf_adds(o, "{\"type\":\"health\",\"period\":");
		lq_buf_json_strs(o, s->key);
		lq_buf_addf(o, ",\"leads\":%ld,\"no_probability\":%ld,"
		    "\"no_outcome\":%ld,\"n\":%ld,\"positives\":%ld",
		    s->leads, s->no_prob, s->no_outcome, s->n, s->pos);
		jnum(o, "auc", s->auc);
		jnum(o, "log_loss", s->logloss);
		jnum(o, "brier", s->brier);
		jnum(o, "ece", s->ece);
		jstr(o, "reason", s->why ? s->why : s->why_auc);
		lq_buf_adds(o, "}\n");
	}
	for (int i = 0; i < r->nhs; i++) {
		struct hset *s = &r->hs[i];
		for (int b = 0; s->n && b < B; b++) {
			lq_buf_adds(o, "{\"type\":\"calibration\",\"period\":");
			lq_buf_json_strs(o, s->key);
			lq_buf_addf(o, ",\"bin\":%d", b);
			jnum(o, "lo", (double)b / B);
			jnum(o, "hi", (double)(b + 1) / B);
			lq_buf_addf(o, ",\"count\":%ld", s->cal_n[b]);
			jnum(o, "mean_predicted", s->cal_n[b] ?
			    s->cal_sum[b] / (double)s->cal_n[b] : NAN);
			jnum(o, "observed_rate", s->cal_n[b] ?
			    (double)s->cal_pos[b] / (double)s->cal_n[b] : NAN);
			lq_buf_adds(o, "}\n");
		}
	}
}

static void
fmt(char *buf, size_t n, double v, const char *why)
{
	if (isnan(v))
		snprintf(buf, n, "%s", why ? "n/a" : "-");
	else
		snprintf(buf, n, "%.4f", v);
}

/* the rows of the health table: cells in c[row][col] */
#define HCOLS 10
static const char *const hhead[HCOLS] = {
	"period", "leads", "no prob", "no outcome", "n", "won", "AUC",
	"log loss", "Brier", "ECE"
};

static void
hrow(struct hset *s, char c[HCOLS][64])
{
	snprintf(c[0], 64, "%s", s->key);
	snprintf(c[1], 64, "%ld", s->leads);
	snprintf(c[2], 64, "%ld", s->no_prob);
	snprintf(c[3], 64, "%ld", s->no_outcome);
	snprintf(c[4], 64, "%ld", s->n);
	snprintf(c[5], 64, "%ld", s->pos);
	fmt(c[6], 64, s->auc, s->why ? s->why : s->why_auc);
	fmt(c[7], 64, s->logloss, s->why);
	fmt(c[8], 64, s->brier, s->why);
	fmt(c[9], 64, s->ece, s->why);
}

static void
reasons(struct lq_report *r, struct lq_buf *o, int html)
{
	int any = 0;

	for (int i = 0; i < r->nhs; i++) {
		struct hset *s = &r->hs[i];
		const char *w = s->why ? s->why : s->why_auc;
		if (!w)
			continue;
		lq_buf_adds(o, any++ ? "; " : html ? "<p class=\"note\">n/a: " :
		    "n/a: ");
		if (html) {
			lq_svg_esc(o, s->key);
			lq_buf_adds(o, ": ");
			lq_svg_esc(o, w);
		} else
			lq_buf_addf(o, "%s: %s", s->key, w);
		if (!s->why)
			lq_buf_adds(o, " (AUC)");
	}
	if (any)
		lq_buf_adds(o, html ? "</p>\n" : "\n");
}

static void
print_rows(struct lq_buf *o, char (*c)[HCOLS][64], int rows, int html)
{
	size_t w[HCOLS] = { 0 };

	if (html) {
		lq_buf_adds(o, "<table>\n");
		for (int k = 0; k < rows; k++) {
			lq_buf_adds(o, "<tr>");
			for (int j = 0; j < HCOLS; j++) {
				const char *tag = k ? "td" : "th";
				lq_buf_addf(o, "<%s%s>", tag, j ?
				    " class=\"num\"" : "");
				lq_svg_esc(o, c[k][j]);
				lq_buf_addf(o, "</%s>", tag);
			}
			lq_buf_adds(o, "</tr>\n");
		}
		lq_buf_adds(o, "</table>\n");
		return;
	}
	for (int k = 0; k < rows; k++)
		for (int j = 0; j < HCOLS; j++)
			if (strlen(c[k][j]) > w[j])
				w[j] = strlen(c[k][j]);
	for (int k = 0; k < rows; k++) {
		for (int j = 0; j < HCOLS; j++)
			lq_buf_addf(o, j ? "  %*s" : "%-*s", (int)w[j],
			    c[k][j]);
		lq_buf_addc(o, '\n');
		if (k == 0) {
			for (int j = 0; j < HCOLS; j++) {
				lq_buf_adds(o, j ? "  " : "");
				for (size_t m = 0; m < w[j]; m++)
					lq_buf_addc(o, '-');
			}
			lq_buf_addc(o, '\n');
		}
	}
}

static void
cal_table(struct lq_report *r, struct lq_buf *o, int html)
{
	struct hset *s = &r->hs[0];
	int B = r->h_bins;

	if (html)
		lq_buf_adds(o, "<table>\n<tr><th>predicted</th>"
		    "<th class=\"num\">leads</th><th class=\"num\">mean "
		    "predicted</th><th class=\"num\">observed rate</th></tr>\n");
	else
		lq_buf_adds(o, "predicted  leads  mean predicted  observed "
		    "rate\n---------  -----  --------------  -------------\n");
	for (int b = 0; b < B; b++) {
		char m[32], ob[32], bin[32];
		snprintf(bin, sizeof(bin), "%.2f-%.2f", (double)b / B,
		    (double)(b + 1) / B);
		if (s->cal_n[b]) {
			snprintf(m, sizeof(m), "%.4f", s->cal_sum[b] /
			    (double)s->cal_n[b]);
			snprintf(ob, sizeof(ob), "%.4f",
			    (double)s->cal_pos[b] / (double)s->cal_n[b]);
		} else {
			snprintf(m, sizeof(m), "-");
			snprintf(ob, sizeof(ob), "-");
		}
		if (html)
			lq_buf_addf(o, "<tr><td>%s</td><td class=\"num\">%ld"
			    "</td><td class=\"num\">%s</td><td class=\"num\">"
			    "%s</td></tr>\n", bin, s->cal_n[b], m, ob);
		else
			lq_buf_addf(o, "%-9s  %5ld  %14s  %13s\n", bin,
			    s->cal_n[b], m, ob);
	}
	if (html)
		lq_buf_adds(o, "</table>\n");
}

/* The health table, the overall calibration table and the n/a reasons. */
void
lq_report_health_out(struct lq_report *r, struct lq_buf *o, int html)
{
	char (*c)[HCOLS][64];
	int rows = 0;

	if (!lq_report_health_on(r))
		return;
	c = lq_xrealloc(NULL, (size_t)(r->nhs + 1) * sizeof(*c));
	for (int j = 0; j < HCOLS; j++)
		snprintf(c[0][j], 64, "%s", hhead[j]);
	rows = 1;
	/* periods after "all" in their order: baseline, current, weeks */
	for (int pass = 0; pass < 3; pass++)
		for (int i = 0; i < r->nhs; i++) {
			struct hset *s = &r->hs[i];
			if ((pass == 0) != (i == 0) || (i && (pass == 1) ==
			    s->week))
				continue;
			hrow(s, c[rows++]);
		}
	if (html)
		lq_buf_adds(o, "<h2>Model health (predicted probability "
		    "against the outcome)</h2>\n");
	else
		lq_buf_adds(o, "\nModel health (predicted probability against "
		    "the outcome)\n\n");
	print_rows(o, c, rows, html);
	free(c);
	reasons(r, o, html);
	if (r->hs[0].n) {
		lq_buf_adds(o, html ? "<h2>Calibration (all periods)</h2>\n" :
		    "\nCalibration (all periods)\n\n");
		cal_table(r, o, html);
	}
}
