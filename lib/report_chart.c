/*
 * report_chart.c - lq-report charts: conversion and precision by tier,
 * calibration, cumulative gains, speed to contact, SAL rate over time and
 * by group, rep load and win rate; as one SVG document or inline in a
 * self-contained HTML report.  lq-report(1), CHARTS, says what each shows.
 */
#define _GNU_SOURCE	/* vasprintf */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_svg.h"
#include "lq_time.h"
#include "report_int.h"
#include "lq_stats.h"

#define MAXSERIES 6	/* --by groups drawn as series, largest first */
#define MAXCAT 16	/* bars of a chart (tiers, groups, reps) */
#define MAXWEEKS 64	/* weeks on the time line, the latest */

static const char *const speed_label[] = {
	"<1m", "1-5m", "5-15m", "15-60m", "1-4h", "4-24h", "1-3d", ">3d"
};
static const double speed_upper[] = {
	60, 300, 900, LQ_HOUR, 14400, LQ_DAY, 259200, INFINITY
};

static double
ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}


/* strings owned by one chart, freed together */
struct strs {
	char *s[256];
	int n;
};

static const char *
keep(struct strs *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *
keep(struct strs *k, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (k->n == 256) {
		free(p);
		return "";
	}
	return k->s[k->n++] = p;
}

static void
strs_free(struct strs *k)
{
	for (int i = 0; i < k->n; i++)
		free(k->s[i]);
	k->n = 0;
}

/* a group key as a label: "smb / L1" */
static const char *
pretty(struct strs *k, const char *key)
{
	const char *p = keep(k, "%s", key);

	for (char *q = (char *)p; *q; q++)
		if (*q == '\037')
			*q = '/';
	return p;
}

static struct agg *
find(const struct grouping *g, const char *key)
{
	for (size_t i = 0; i < g->cap; i++)
		if (g->tab[i] && !strcmp(g->tab[i]->key, key))
			return g->tab[i];
	return NULL;
}

static int
by_leads(const void *pa, const void *pb)
{
	const struct agg *a = *(struct agg *const *)pa;
	const struct agg *b = *(struct agg *const *)pb;

	return (a->leads < b->leads) - (a->leads > b->leads);
}

/*
 * The largest (by leads) non-empty groups of g, at most max, in key order
 * of g's sort among themselves; *all gets how many non-empty there are.
 */
static size_t
largest(struct grouping *g, struct agg **out, size_t max, size_t *all)
{
	struct agg **v;
	size_t n, k = 0;

	lq_report_sort(g, &v, &n);
	for (size_t i = 0; i < n; i++)
		if (v[i]->leads > 0)
			v[k++] = v[i];
	*all = k;
	if (k > max) {
		/* stable: keep key order among the largest */
		struct agg **s = malloc(k * sizeof(*s));
		if (!s)
			abort();
		memcpy(s, v, k * sizeof(*s));
		qsort(s, k, sizeof(*s), by_leads);
		long cut = s[max - 1]->leads;
		size_t m = 0, ties = 0;
		for (size_t i = 0; i < max; i++)
			ties += s[i]->leads == cut;
		for (size_t i = 0; i < k && m < max; i++)
			if (v[i]->leads > cut || (v[i]->leads == cut &&
			    ties-- > 0))
				v[m++] = v[i];
		free(s);
		k = m;
	}
	memcpy(out, v, k * sizeof(*out));
	free(v);
	return k;
}

/* "field: reason" for a chart without data */
static const char *
why(struct strs *k, const struct lq_report *r, const int *fields, int n)
{
	for (int i = 0; i < n; i++) {
		const char *w = lq_report_why(r, fields[i]);
		if (w)
			return keep(k, "%s is %s", lq_report_fields[fields[i]],
			    !strcmp(w, "off in the report section") ?
			    "off in the report section" : "never set");
	}
	return r->records ? NULL : "no leads";
}

static const char *
span(struct strs *k, const struct lq_report *r)
{
	char t0[40], t1[40];

	if (!(r->tmax >= r->tmin))
		return keep(k, "%ld leads", r->records);
	lq_report_time(r, t0, sizeof(t0), r->tmin);
	lq_report_time(r, t1, sizeof(t1), r->tmax);
	t0[10] = t1[10] = 0;
	return keep(k, "%ld leads created %s to %s", r->records, t0, t1);
}

static int
is_by_tier(const struct lq_report *r)
{
	return r->by.nkeys == 1 && r->by.slot[0] == r->fslot[F_TIER];
}

/* "; the N largest of M groups" when not all ng groups are drawn, else "" */
static const char *
some_groups(struct strs *k, size_t ng, size_t all)
{
	return ng < all ? keep(k, "; the %zu largest of %zu groups", ng,
	    all) : "";
}

/* the series of group g: values v, with the interval lo..hi (or NULL) */
static struct lq_svg_series
group_series(struct strs *k, const struct agg *g, const double *v,
    const double *lo, const double *hi)
{
	return (struct lq_svg_series){ pretty(k, g->key), v, lo, hi, NULL, 0 };
}

/* a chart being drawn: of what report, into which box, its strings */
struct frame {
	struct lq_report *r;
	struct lq_buf *b;
	double x, y, w, h;
	struct strs k;
};

struct chart;
typedef void fill_fn(struct frame *, const struct chart *);
typedef void mark_fn(struct lq_buf *, double, double, double, double,
    const struct lq_svg_chart *);

/*
 * What is fixed of a chart: the function that works out its values and
 * titles (and calls draw()), the marks, the fields without which it has
 * no data, the axis titles (xtitle NULL: the fill function sets it), the
 * scale and the diagonal.
 */
struct chart {
	fill_fn *fill;
	mark_fn *mark;
	int need[3], nneed;
	const char *xtitle, *ytitle;
	enum lq_svg_fmt fmt;
	double ymax;
	int diagonal;
};

/*
 * Draw c into f with what ch fixes; without data when a field ch needs
 * is missing, else when nodata (why) is not NULL.
 */
static void
draw(struct frame *f, const struct chart *ch, struct lq_svg_chart *c,
    const char *nodata)
{
	if (ch->xtitle)
		c->xtitle = ch->xtitle;
	c->ytitle = ch->ytitle;
	c->fmt = ch->fmt;
	c->ymax = ch->ymax;
	c->diagonal = ch->diagonal;
	c->empty = ch->nneed ? why(&f->k, f->r, ch->need, ch->nneed) : NULL;
	if (!c->empty)
		c->empty = nodata;
	ch->mark(f->b, f->x, f->y, f->w, f->h, c);
}

/* conversion (= precision of the tier taken as "will win") by tier */
static void
ch_conversion(struct frame *f, const struct chart *ch)
{
	struct lq_report *r = f->r;
	struct strs *k = &f->k;
	struct agg **t, *g[MAXSERIES];
	size_t nt, ng = 0, all = 0;
	const char *labels[MAXCAT], *notes[MAXCAT];
	double v[MAXSERIES][MAXCAT], lo[MAXSERIES][MAXCAT],
	    hi[MAXSERIES][MAXCAT];
	struct lq_svg_series s[MAXSERIES];
	struct lq_svg_chart c = { 0 };
	long cl = 0, cw = 0;

	lq_report_sort(&r->tiers, &t, &nt);
	if (nt > MAXCAT)
		nt = MAXCAT;
	if (r->series && !is_by_tier(r) && r->bytier.nkeys)
		ng = largest(&r->by, g, MAXSERIES, &all);
	for (size_t i = 0; i < nt; i++) {
		labels[i] = t[i]->key;
		notes[i] = keep(k, "n=%ld", t[i]->leads);
		if (!ng) {
			v[0][i] = ratio(t[i]->won, t[i]->leads);
			lq_wilson(t[i]->won, t[i]->leads, &lo[0][i], &hi[0][i]);
			cl += t[i]->leads;
			cw += t[i]->won;
			v[1][i] = ratio(cw, cl);
			continue;
		}
		for (size_t j = 0; j < ng; j++) {
			struct agg *a = find(&r->bytier, keep(k, "%s\037%s",
			    g[j]->key, t[i]->key));
			v[j][i] = a ? ratio(a->won, a->leads) : NAN;
			if (a)
				lq_wilson(a->won, a->leads, &lo[j][i], &hi[j][i]);
			else
				lo[j][i] = hi[j][i] = NAN;
		}
	}
	if (!ng) {
		s[0] = (struct lq_svg_series){ "won / leads of the tier",
		    v[0], lo[0], hi[0], NULL, 0 };
		s[1] = (struct lq_svg_series){ "this tier and above "
		    "(precision at the cut)", v[1], NULL, NULL, NULL, 0 };
		c.ns = 2;
	} else {
		for (size_t j = 0; j < ng; j++)
			s[j] = group_series(k, g[j], v[j], lo[j], hi[j]);
		c.ns = (int)ng;
	}
	c.title = ng ? keep(k, "Conversion by tier and %s", r->by.names[0]) :
	    "Conversion and precision by tier";
	c.subtitle = keep(k, "won / leads with 95%% interval; %s%s",
	    span(k, r), some_groups(k, ng, all));
	c.n = r->ok[A_WON] && r->ok[A_TIER] ? (int)nt : 0;
	c.labels = labels;
	c.notes = notes;
	c.s = s;
	draw(f, ch, &c, NULL);
	free(t);
}

static void
ch_calibration(struct frame *f, const struct chart *ch)
{
	struct lq_report *r = f->r;
	struct strs *k = &f->k;
	double pred[10], obs[10];
	const char *notes[10];
	struct lq_svg_series s = { "observed", obs, NULL, NULL, pred, 0 };
	struct lq_svg_chart c = { 0 };
	long n = 0;

	for (int i = 0; i < 10; i++) {
		pred[i] = ratio(r->cal_sum[i], r->cal_n[i]);
		obs[i] = ratio(r->cal_won[i], r->cal_n[i]);
		notes[i] = r->cal_n[i] ? keep(k, "n=%ld", r->cal_n[i]) : NULL;
		n += r->cal_n[i];
	}
	c.title = "Calibration: observed win rate vs predicted";
	c.subtitle = keep(k, "tenths of predicted probability, n = leads "
	    "in each; dashed: perfect calibration; %ld scored leads", n);
	c.n = r->ok[A_PROB] && r->ok[A_WON] && n ? 10 : 0;
	c.notes = notes;
	c.ns = 1;
	c.s = &s;
	draw(f, ch, &c, NULL);
}

/* y of the curve (xs, ys) at x, by linear interpolation */
static double
interp(const double *xs, const double *ys, int n, double x)
{
	for (int i = 1; i < n; i++)
		if (xs[i] >= x && xs[i] > xs[i - 1])
			return ys[i - 1] + (ys[i] - ys[i - 1]) *
			    (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
	return n ? ys[n - 1] : NAN;
}

static void
ch_gains(struct frame *f, const struct chart *ch)
{
	struct lq_report *r = f->r;
	struct strs *k = &f->k;
	double px[102], py[102], tx[MAXCAT + 1], ty[MAXCAT + 1];
	struct lq_svg_series s[2];
	struct lq_svg_chart c = { 0 };
	struct agg **t;
	size_t nt;
	long n = 0, won = 0, cn = 0, cw = 0, tn = 0, tw = 0;
	int np = 0, ntp = 0, ns = 0;

	for (int i = 0; i <= 100; i++) {
		n += r->pct_n[i];
		won += r->pct_won[i];
	}
	px[np] = py[np] = 0;
	np++;
	for (int i = 100; i >= 0 && n && won; i--) {
		if (!r->pct_n[i])
			continue;
		cn += r->pct_n[i];
		cw += r->pct_won[i];
		px[np] = (double)cn / n;
		py[np++] = (double)cw / won;
	}
	lq_report_sort(&r->tiers, &t, &nt);
	if (nt > MAXCAT)
		nt = MAXCAT;
	for (size_t i = 0; i < nt; i++) {
		tn += t[i]->leads;
		tw += t[i]->won;
	}
	tx[0] = ty[0] = 0;
	ntp = 1;
	for (size_t i = 0, cl = 0, cwon = 0; i < nt && tn && tw; i++) {
		cl += (size_t)t[i]->leads;
		cwon += (size_t)t[i]->won;
		tx[ntp] = (double)cl / tn;
		ty[ntp++] = (double)cwon / tw;
	}
	free(t);
	if (np > 1 && r->ok[A_PROB] && r->ok[A_WON])
		s[ns++] = (struct lq_svg_series){ "by predicted probability",
		    py, NULL, NULL, px, np };
	if (ntp > 1 && r->ok[A_TIER] && r->ok[A_WON])
		s[ns++] = (struct lq_svg_series){ "by tier, best first", ty,
		    NULL, NULL, tx, ntp };
	c.title = "Cumulative gains: share of wins in the best leads";
	if (ns && s[0].x == px)
		c.subtitle = keep(k, "lift in the top 10%%: %.1fx, top "
		    "20%%: %.1fx; %ld wins among %ld scored leads",
		    interp(px, py, np, 0.1) / 0.1,
		    interp(px, py, np, 0.2) / 0.2, won, n);
	else if (ns)
		c.subtitle = keep(k, "lift of the first tier: %.1fx; %ld "
		    "wins among %ld leads", ntp > 1 ? ty[1] / tx[1] : NAN,
		    tw, tn);
	c.ns = ns;
	c.s = s;
	c.n = ns ? 1 : 0;
	draw(f, ch, &c, ns ? NULL : r->ok[A_WON] &&
	    !lq_report_group(&r->total, "")->won ? "no lead was won" :
	    keep(k, "nothing ranks the leads: probability is %s, tier is %s",
	    r->fslot[F_PROBABILITY] < 0 ? "off" : "never set",
	    r->fslot[F_TIER] < 0 ? "off" : "never set"));
}

static void
speed_shares(const struct agg *a, double *v)
{
	double n = 0;

	for (int i = 0; i < 8; i++)
		v[i] = 0;
	for (size_t i = 0; i < a->contact.n; i++) {
		int j = 0;
		while (a->contact.v[i] >= speed_upper[j])
			j++;
		v[j]++;
		n++;
	}
	for (int i = 0; i < 8; i++)
		v[i] = n ? v[i] / n : NAN;
}

static void
ch_speed(struct frame *f, const struct chart *ch)
{
	struct lq_report *r = f->r;
	struct strs *k = &f->k;
	struct agg *tot = lq_report_group(&r->total, ""), *g[MAXSERIES];
	double v[MAXSERIES][8];
	struct lq_svg_series s[MAXSERIES];
	struct lq_svg_chart c = { 0 };
	size_t ng = 0, all = 0;

	if (r->series)
		ng = largest(&r->by, g, MAXSERIES, &all);
	if (ng <= 1) {
		ng = 0;
		speed_shares(tot, v[0]);
		s[0] = (struct lq_svg_series){ NULL, v[0], NULL, NULL, NULL, 0 };
		c.ns = 1;
	} else {
		for (size_t j = 0; j < ng; j++) {
			speed_shares(g[j], v[j]);
			s[j] = group_series(k, g[j], v[j], NULL, NULL);
		}
		c.ns = (int)ng;
	}
	c.title = ng ? keep(k, "Speed to first contact by %s",
	    r->by.names[0]) : "Speed to first contact";
	c.subtitle = keep(k, "share of contacted leads; %ld contacted, %ld "
	    "never (of %ld)%s", tot->contacted, tot->no_contact, tot->leads,
	    some_groups(k, ng, all));
	c.n = r->ok[A_CONTACT] ? 8 : 0;
	c.labels = speed_label;
	c.s = s;
	draw(f, ch, &c, tot->contacted ? NULL : "no lead was contacted");
}

static void
ch_sal_weeks(struct frame *f, const struct chart *ch)
{
	struct lq_report *r = f->r;
	struct strs *k = &f->k;
	struct agg **v, *g[MAXSERIES];
	size_t n, skip, ng = 0, all = 0;
	const char *labels[MAXWEEKS];
	double val[MAXSERIES][MAXWEEKS], cnt[MAXWEEKS];
	struct lq_svg_series s[MAXSERIES];
	struct lq_svg_chart c = { 0 };
	long cmax = 0;

	lq_report_sort(&r->weeks, &v, &n);
	if (n && !strcmp(v[n - 1]->key, NONE_LABEL))
		n--;		/* no created_at: not on the time line */
	skip = n > MAXWEEKS ? n - MAXWEEKS : 0;
	n -= skip;
	if (r->series && r->byweek.nkeys)
		ng = largest(&r->by, g, MAXSERIES, &all);
	for (size_t i = 0; i < n; i++) {
		struct agg *a = v[skip + i];
		labels[i] = a->key;
		cnt[i] = (double)a->handed;
		if (a->handed > cmax)
			cmax = a->handed;
		if (!ng)
			val[0][i] = ratio(a->accepted, a->handed);
		for (size_t j = 0; j < ng; j++) {
			struct agg *e = find(&r->byweek, keep(k, "%s\037%s",
			    g[j]->key, a->key));
			val[j][i] = e ? ratio(e->accepted, e->handed) : NAN;
		}
	}
	if (!ng) {
		s[0] = (struct lq_svg_series){ "SAL rate", val[0], NULL, NULL,
		    NULL, 0 };
		c.ns = 1;
	} else {
		for (size_t j = 0; j < ng; j++)
			s[j] = group_series(k, g[j], val[j], NULL, NULL);
		c.ns = (int)ng;
	}
	c.title = ng ? keep(k, "SAL rate per week by %s", r->by.names[0]) :
	    "SAL rate per week";
	c.subtitle = keep(k, "accepted / handed per ISO week%s%s; grey: "
	    "leads handed (max %ld a week)%s", r->tz ? " in " : " (UTC)",
	    r->tz ? r->tz : "", cmax, skip ? "; the latest 64 weeks" : "");
	c.n = r->ok[A_ACCEPTED] && r->ok[A_CREATED] ? (int)n : 0;
	c.labels = labels;
	c.count = cnt;
	c.count_name = "leads handed";
	c.s = s;
	draw(f, ch, &c, NULL);
	free(v);
}

static void
ch_groups(struct frame *f, const struct chart *ch)
{
	struct lq_report *r = f->r;
	struct strs *k = &f->k;
	struct agg *g[MAXCAT];
	size_t ng, all;
	const char *labels[MAXCAT], *notes[MAXCAT];
	double v[2][MAXCAT], lo[2][MAXCAT], hi[2][MAXCAT];
	struct lq_svg_series s[2];
	struct lq_svg_chart c = { 0 };
	struct lq_buf names = LQ_BUF_INIT;
	int sal = r->ok[A_ACCEPTED], win = r->ok[A_WIN_RATE], ns = 0;

	ng = largest(&r->by, g, MAXCAT, &all);
	for (size_t i = 0; i < ng; i++) {
		labels[i] = pretty(k, g[i]->key);
		notes[i] = keep(k, "n=%ld/%ld", g[i]->handed,
		    g[i]->won + g[i]->lost);
		if (!sal)
			notes[i] = keep(k, "n=%ld", g[i]->won + g[i]->lost);
		else if (!win)
			notes[i] = keep(k, "n=%ld", g[i]->handed);
		v[0][i] = ratio(g[i]->accepted, g[i]->handed);
		lq_wilson(g[i]->accepted, g[i]->handed, &lo[0][i], &hi[0][i]);
		v[1][i] = ratio(g[i]->won, g[i]->won + g[i]->lost);
		lq_wilson(g[i]->won, g[i]->won + g[i]->lost, &lo[1][i],
		    &hi[1][i]);
	}
	if (sal)
		s[ns++] = (struct lq_svg_series){ "SAL rate: accepted / "
		    "handed", v[0], lo[0], hi[0], NULL, 0 };
	if (win)
		s[ns++] = (struct lq_svg_series){ "win rate: won / (won + "
		    "lost)", v[1], lo[1], hi[1], NULL, 0 };
	for (int i = 0; i < r->by.nkeys; i++)
		lq_buf_addf(&names, "%s%s", i ? " / " : "", r->by.names[i]);
	c.title = keep(k, "%s by %s", sal && win ? "SAL rate and win rate" :
	    win ? "Win rate" : "SAL rate", names.buf ? names.buf : "all");
	c.subtitle = keep(k, "with 95%% intervals; %s%s", span(k, r),
	    some_groups(k, ng, all));
	c.xtitle = keep(k, "%s (n = %s)", names.buf ? names.buf : "",
	    sal && win ? "handed / closed deals" : win ? "closed deals" :
	    "handed");
	c.n = ns && r->by.nkeys ? (int)ng : 0;
	c.labels = labels;
	c.notes = notes;
	c.ns = ns ? ns : 1;
	c.s = s;
	if (!ns)
		s[0] = (struct lq_svg_series){ NULL, v[0], NULL, NULL, NULL,
		    0 };
	draw(f, ch, &c, NULL);
	lq_buf_release(&names);
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* Gini coefficient of the leads per rep (0: all equal) */
static double
gini(struct agg **g, size_t n)
{
	long *v = calloc(n ? n : 1, sizeof(long)), sum = 0;
	double acc = 0;

	if (!v)
		abort();
	for (size_t i = 0; i < n; i++)
		sum += v[i] = g[i]->leads;
	qsort(v, n, sizeof(long), cmp_long);
	for (size_t i = 0; i < n; i++)
		acc += (2.0 * (double)(i + 1) - (double)n - 1) * (double)v[i];
	free(v);
	return sum ? acc / ((double)n * (double)sum) : NAN;
}

static void
ch_rep_load(struct frame *f, const struct chart *ch)
{
	struct lq_report *r = f->r;
	struct strs *k = &f->k;
	struct agg **all_reps, *g[MAXCAT];
	size_t ng = 0, all = 0, n = 0;
	const char *labels[MAXCAT], *notes[MAXCAT];
	double v[3][MAXCAT], weeks = lq_report_weeks(r);
	struct lq_svg_series s[3];
	struct lq_svg_chart c = { 0 };
	long lo = -1, hi = 0, sum = 0, ncap = 0;
	int ns = 0;

	if (r->owners.nkeys) {
		lq_report_sort(&r->owners, &all_reps, &n);
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (strcmp(all_reps[i]->key, NONE_LABEL))
				all_reps[m++] = all_reps[i];
		n = m;
		for (size_t i = 0; i < n; i++) {
			long l = all_reps[i]->leads;
			sum += l;
			hi = l > hi ? l : hi;
			lo = lo < 0 || l < lo ? l : lo;
		}
		c.subtitle = n ? keep(k, "%zu reps; fair share %.0f leads "
		    "each; most / fewest %.1fx; Gini %.2f%s", n,
		    (double)sum / (double)n, lo > 0 ? (double)hi / lo : NAN,
		    gini(all_reps, n), n > MAXCAT ? "; the 16 with most "
		    "leads" : "") : NULL;
		free(all_reps);
		ng = largest(&r->owners, g, MAXCAT, &all);
		/* (none): leads without an owner are not a rep */
		size_t m2 = 0;
		for (size_t i = 0; i < ng; i++)
			if (strcmp(g[i]->key, NONE_LABEL))
				g[m2++] = g[i];
		ng = m2;
	}
	for (size_t i = 0; i < ng; i++) {
		long dec = g[i]->won + g[i]->lost;
		labels[i] = g[i]->key;
		v[0][i] = (double)g[i]->leads;
		v[1][i] = r->ok[A_TIER] ? (double)g[i]->high : NAN;
		/* the weekly capacity over the weeks the report spans */
		v[2][i] = g[i]->cap_seen && !isnan(weeks) ?
		    g[i]->capacity * weeks : NAN;
		ncap += g[i]->cap_seen > 0;
		if (!r->ok[A_WIN_RATE])
			notes[i] = "win n/a";
		else if (dec)
			notes[i] = keep(k, "win %.0f%% of %ld",
			    100 * ratio(g[i]->won, dec), dec);
		else
			notes[i] = "no deal closed";
	}
	s[ns++] = (struct lq_svg_series){ "leads", v[0], NULL, NULL, NULL,
	    0 };
	if (r->ok[A_TIER])
		s[ns++] = (struct lq_svg_series){ "high-tier leads", v[1],
		    NULL, NULL, NULL, 0 };
	if (ncap && !isnan(weeks))
		s[ns++] = (struct lq_svg_series){ keep(k, "capacity (%g "
		    "week%s)", weeks, weeks == 1 ? "" : "s"), v[2], NULL,
		    NULL, NULL, 0 };
	c.title = "Rep load: leads, capacity and win rate per rep";
	c.subtitle = keep(k, "%s%s", c.subtitle ? c.subtitle : "",
	    !ncap ? "; capacity: none recorded" : isnan(weeks) ?
	    "; capacity: no created_at" : (size_t)ncap < ng ?
	    keep(k, "; capacity of %ld of %zu reps", ncap, ng) : "");
	c.n = (int)ng;
	c.labels = labels;
	c.notes = notes;
	c.ns = ns;
	c.s = s;
	draw(f, ch, &c, ng ? NULL : "no lead has an owner");
}

static void
ch_rep_win(struct frame *f, const struct chart *ch)
{
	struct lq_report *r = f->r;
	struct strs *k = &f->k;
	struct agg *g[MAXCAT];
	size_t ng = 0, all = 0, m = 0;
	const char *labels[MAXCAT], *notes[MAXCAT];
	double v[MAXCAT], lo[MAXCAT], hi[MAXCAT];
	struct lq_svg_series s = { NULL, v, lo, hi, NULL, 0 };
	struct lq_svg_chart c = { 0 };
	long won = 0, dec = 0;

	if (r->owners.nkeys)
		ng = largest(&r->owners, g, MAXCAT, &all);
	for (size_t i = 0; i < ng; i++) {
		if (!strcmp(g[i]->key, NONE_LABEL))
			continue;
		labels[m] = g[i]->key;
		notes[m] = keep(k, "n=%ld", g[i]->won + g[i]->lost);
		v[m] = ratio(g[i]->won, g[i]->won + g[i]->lost);
		lq_wilson(g[i]->won, g[i]->won + g[i]->lost, &lo[m], &hi[m]);
		won += g[i]->won;
		dec += g[i]->won + g[i]->lost;
		m++;
	}
	c.title = "Win rate per rep";
	c.subtitle = keep(k, "won / (won + lost) with 95%% interval, n = "
	    "closed deals; all reps %.1f%%", 100 * ratio(won, dec));
	c.n = r->ok[A_WIN_RATE] ? (int)m : 0;
	c.labels = labels;
	c.notes = notes;
	c.ns = 1;
	c.s = &s;
	draw(f, ch, &c, dec ? NULL : "no deal was closed");
}

/*
 * Model health per week: AUC and ECE (lines), the leads measured (grey);
 * only in the HTML report, under the health table, when some lead has a
 * probability.
 */
static void
ch_health(struct frame *f, const struct chart *ch)
{
	struct lq_report *r = f->r;
	struct strs *k = &f->k;
	const char *labels[MAXWEEKS];
	double auc[MAXWEEKS], ece[MAXWEEKS], cnt[MAXWEEKS];
	struct lq_svg_series s[2];
	struct lq_svg_chart c = { 0 };
	int n = 0, skip = 0, weeks = 0;
	long cmax = 0;

	for (int i = 0; i < r->nhs; i++)
		weeks += r->hs[i].week && strcmp(r->hs[i].key, NONE_LABEL);
	skip = weeks > MAXWEEKS ? weeks - MAXWEEKS : 0;
	for (int i = 0; i < r->nhs; i++) {
		struct hset *e = &r->hs[i];
		if (!e->week || !strcmp(e->key, NONE_LABEL) || skip-- > 0)
			continue;
		labels[n] = e->key;
		auc[n] = e->auc;
		ece[n] = e->ece;
		cnt[n] = (double)e->n;
		if (e->n > cmax)
			cmax = e->n;
		n++;
	}
	s[0] = (struct lq_svg_series){ "AUC", auc, NULL, NULL, NULL, 0 };
	s[1] = (struct lq_svg_series){ "ECE", ece, NULL, NULL, NULL, 0 };
	c.title = "Model health per week";
	c.subtitle = keep(k, "AUC and ECE per ISO week%s%s; grey: leads "
	    "measured (max %ld a week)%s", r->tz ? " in " : " (UTC)",
	    r->tz ? r->tz : "", cmax,
	    weeks > MAXWEEKS ? "; the latest 64 weeks" : "");
	c.n = n;
	c.labels = labels;
	c.count = cnt;
	c.count_name = "leads measured";
	c.ns = 2;
	c.s = s;
	draw(f, ch, &c, r->hs[0].n == 0 ? r->hs[0].why : n == 0 ?
	    "no lead has a created_at" : NULL);
}

/* the charts of --svg and --html, in order */
static const struct chart charts[] = {
	{ ch_conversion, lq_svg_bars2, { F_TIER, F_WON }, 2,
	    "tier (n = leads)", "won / leads", LQ_SVG_PCT, 0, 0 },
	{ ch_calibration, lq_svg_curve, { F_PROBABILITY, F_WON }, 2,
	    "predicted probability (mean of the tenth)",
	    "observed won / leads", LQ_SVG_PCT, 1, 1 },
	{ ch_gains, lq_svg_curve, { F_WON }, 1, "share of leads, best first",
	    "share of all wins", LQ_SVG_PCT, 1, 1 },
	{ ch_speed, lq_svg_bars2, { F_CONTACT, F_CREATED }, 2,
	    "time from creation to first contact",
	    "share of contacted leads", LQ_SVG_PCT, 0, 0 },
	{ ch_sal_weeks, lq_svg_lines, { F_ACCEPTED, F_CREATED }, 2,
	    "ISO week of creation", "accepted / handed", LQ_SVG_PCT, 0, 0 },
	{ ch_groups, lq_svg_bars2, { F_ACCEPTED, F_WON, F_LOST }, 3, NULL,
	    "share", LQ_SVG_PCT, 0, 0 },
	{ ch_rep_load, lq_svg_bars2, { F_OWNER }, 1,
	    "rep (owner; win = won / (won + lost) of closed deals)",
	    "leads", LQ_SVG_NUM, 0, 0 },
	{ ch_rep_win, lq_svg_bars2, { F_OWNER, F_WON, F_LOST }, 3,
	    "rep (owner; n = closed deals)", "won / (won + lost)",
	    LQ_SVG_PCT, 0, 0 },
};
#define NCHARTS (sizeof(charts) / sizeof(charts[0]))

/* model health, in the HTML report only; it says itself why it is empty */
static const struct chart health = {
	ch_health, lq_svg_lines, { 0 }, 0, "ISO week of creation",
	"AUC, ECE (0 to 1)", LQ_SVG_NUM, 1, 0
};
#define CW 520
#define CH 360
#define HEAD 64

/* chart ch of r drawn into the CW x CH box at (x, y) of o */
static void
place(struct lq_report *r, struct lq_buf *o, const struct chart *ch,
    double x, double y)
{
	struct frame f = { r, o, x, y, CW, CH, { .n = 0 } };

	ch->fill(&f, ch);
	strs_free(&f.k);
}

/* chart ch of r as an <svg> figure of its own (HTML) */
static void
figure(struct lq_report *r, struct lq_buf *o, const struct chart *ch)
{
	lq_buf_addf(o, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d "
	    "%d\">\n<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
	    CW, CH, CW, CH, CW, CH);
	place(r, o, ch, 0, 0);
	lq_buf_adds(o, "</svg></figure>\n");
}

static void
heading(struct lq_report *r, struct lq_buf *o, struct strs *k)
{
	struct lq_buf by = LQ_BUF_INIT;

	for (int i = 0; i < r->by.nkeys; i++)
		lq_buf_addf(&by, "%s%s", i ? ", " : "", r->by.names[i]);
	keep(k, "%s; %g week%s%s%s; grouped by %s", span(k, r),
	    lq_report_weeks(r), lq_report_weeks(r) == 1 ? "" : "s",
	    r->tz ? " in " : " (UTC)", r->tz ? r->tz : "",
	    by.buf ? by.buf : "nothing");
	lq_buf_release(&by);
	(void)o;
}

void
lq_report_svg(struct lq_report *r, struct lq_buf *o)
{
	struct strs k = { .n = 0 };
	int rows = (int)(NCHARTS + 1) / 2;

	lq_report_finish(r);
	lq_svg_begin(o, 2 * CW, HEAD + rows * CH, "lq-report: impact of lead "
	    "qualification");
	heading(r, o, &k);
	lq_buf_addf(o, "<text x=\"12\" y=\"28\" font-size=\"20\" "
	    "font-weight=\"bold\" fill=\"#333333\" font-family=\"DejaVu Sans, "
	    "Arial, sans-serif\">Impact of lead qualification</text>\n");
	lq_svg_text(o, 12, 50, "start", 12, k.s[k.n - 1]);
	for (size_t i = 0; i < NCHARTS; i++)
		place(r, o, &charts[i], (double)(i % 2) * CW,
		    HEAD + (double)(i / 2) * CH);
	lq_svg_end(o);
	strs_free(&k);
}

static const char style[] =
"body{font-family:'DejaVu Sans',Arial,sans-serif;color:#333;margin:24px;"
"max-width:1100px}\n"
"h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}\n"
".sub{color:#666;margin:0 0 16px}\n"
".kpi{display:inline-block;border:1px solid #ddd;border-radius:6px;"
"padding:8px 14px;margin:0 8px 8px 0}\n"
".kpi b{display:block;font-size:20px}\n"
".charts{display:flex;flex-wrap:wrap;gap:8px}\n"
"figure{margin:0;border:1px solid #eee}\n"
"table{border-collapse:collapse;font-size:13px;margin-bottom:8px}\n"
"th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}\n"
"td.num,th.num{text-align:right}\n"
".note{color:#a33}\n"
"dt{font-weight:bold}dd{margin:0 0 6px 16px}\n";

static void
kpi(struct lq_buf *o, const char *name, const char *val)
{
	lq_buf_adds(o, "<div class=\"kpi\"><b>");
	lq_svg_esc(o, val);
	lq_buf_adds(o, "</b>");
	lq_svg_esc(o, name);
	lq_buf_adds(o, "</div>\n");
}

static void
kpi_pct(struct lq_buf *o, const char *name, double v, int ok)
{
	char buf[32];

	if (!ok)
		snprintf(buf, sizeof(buf), "n/a");
	else if (isnan(v))
		snprintf(buf, sizeof(buf), "-");
	else
		snprintf(buf, sizeof(buf), "%.1f%%", v * 100);
	kpi(o, name, buf);
}

static const char definitions[] =
"<h2>Definitions</h2>\n<dl>\n"
"<dt>SAL rate</dt><dd>accepted / handed to a rep.</dd>\n"
"<dt>Speed to contact</dt><dd>time from creation to first contact, "
"contacted leads only.</dd>\n"
"<dt>Conversion</dt><dd>won / leads; by tier it is the precision of "
"the tier read as &#8220;will win&#8221;; &#8220;this tier and above&#8221; "
"is the precision when every lead of the tier and the better ones is "
"worked.</dd>\n"
"<dt>Win rate</dt><dd>won / (won + lost).</dd>\n"
"<dt>FP rate</dt><dd>high-tier leads rejected or lost / high-tier "
"leads.</dd>\n"
"<dt>Cumulative gains</dt><dd>the share of all wins among the best x% of "
"leads; lift = that share / x.</dd>\n"
"<dt>Intervals</dt><dd>95% Wilson score intervals.</dd>\n"
"<dt>Model health</dt><dd>over leads with a probability p and a known "
"outcome y (1: won): AUC, the share of (won, not won) pairs ranked right, "
"ties half; log loss &#8722;mean(y ln p + (1&#8722;y) ln(1&#8722;p)); Brier "
"mean((p&#8722;y)&#178;); ECE, the lead-weighted mean gap between mean p "
"and the won share in equal bins of p.</dd>\n"
"<dt>n/a</dt><dd>cannot be computed: a field it needs is off or never "
"set (see the note); &#8220;-&#8221;: no lead to divide by.</dd>\n"
"</dl>\n<p>Full definitions: lq-report(1).</p>\n";

void
lq_report_html(struct lq_report *r, struct lq_buf *o)
{
	struct strs k = { .n = 0 };
	struct agg *t;
	char buf[64];

	lq_report_finish(r);
	t = lq_report_group(&r->total, "");
	heading(r, o, &k);
	lq_buf_adds(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>lq-report: impact of lead "
	    "qualification</title>\n<style>\n");
	lq_buf_adds(o, style);
	lq_buf_adds(o, "</style>\n</head>\n<body>\n<h1>Impact of lead "
	    "qualification</h1>\n<p class=\"sub\">");
	lq_svg_esc(o, k.s[k.n - 1]);
	lq_buf_adds(o, "</p>\n<div class=\"kpis\">\n");
	snprintf(buf, sizeof(buf), "%ld", t->leads);
	kpi(o, "leads", buf);
	kpi_pct(o, "SAL rate", ratio(t->accepted, t->handed),
	    r->ok[A_ACCEPTED]);
	if (r->ok[A_CONTACT] && t->contact.n) {
		double p = lq_vals_quantile(&t->contact, 0.5);
		if (p < 3600)
			snprintf(buf, sizeof(buf), "%.1f min", p / 60);
		else
			snprintf(buf, sizeof(buf), "%.1f h", p / 3600);
	} else
		snprintf(buf, sizeof(buf), "n/a");
	kpi(o, "median speed to contact", buf);
	kpi_pct(o, "conversion", ratio(t->won, t->leads), r->ok[A_WON]);
	kpi_pct(o, "win rate", ratio(t->won, t->won + t->lost),
	    r->ok[A_WIN_RATE]);
	kpi_pct(o, "FP rate (high tiers)", ratio(t->false_pos, t->high),
	    r->ok[A_FP]);
	lq_buf_adds(o, "</div>\n<h2>Charts</h2>\n<div class=\"charts\">\n");
	for (size_t i = 0; i < NCHARTS; i++)
		figure(r, o, &charts[i]);
	lq_buf_adds(o, "</div>\n");
	lq_report_html_tables(r, o);
	if (lq_report_health_on(r))
		figure(r, o, &health);
	lq_buf_adds(o, definitions);
	lq_buf_adds(o, "</body>\n</html>\n");
	strs_free(&k);
}
