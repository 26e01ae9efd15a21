/*
 * report_out.c - lq-report output: aligned text tables, NDJSON rows, SVG.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_svg.h"
#include "lq_time.h"
#include "report_int.h"

static double
ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

/* derived metrics of a group, computed once for every output */
struct derived {
	double sal, p50, p90, u60, u300, u3600, acc50;
	double fp, missed, conv, win, avg, cycle, velocity, mpw;
};

static void
derive(const struct lq_report *r, struct agg *a, struct derived *d)
{
	const char *ok = r->ok;
	double weeks = lq_report_weeks(r);

	d->sal = ok[A_ACCEPTED] ? ratio(a->accepted, a->handed) : NAN;
	d->p50 = ok[A_CONTACT] ? lq_vals_quantile(&a->contact, 0.5) : NAN;
	d->p90 = ok[A_CONTACT] ? lq_vals_quantile(&a->contact, 0.9) : NAN;
	d->u60 = ok[A_CONTACT] ? ratio(a->under60, a->contacted) : NAN;
	d->u300 = ok[A_CONTACT] ? ratio(a->under300, a->contacted) : NAN;
	d->u3600 = ok[A_CONTACT] ? ratio(a->under3600, a->contacted) : NAN;
	d->acc50 = ok[A_ACCEPT_T] ? lq_vals_quantile(&a->accept, 0.5) : NAN;
	d->fp = ok[A_FP] ? ratio(a->false_pos, a->high) : NAN;
	d->missed = ok[A_MISSED] ? ratio(a->missed, a->won) : NAN;
	d->conv = ok[A_WON] ? ratio(a->won, a->leads) : NAN;
	d->win = ok[A_WIN_RATE] ? ratio(a->won, a->won + a->lost) : NAN;
	d->avg = ok[A_WON_VALUE] ? ratio(a->won_value, a->won_amounts) : NAN;
	d->cycle = ok[A_CYCLE] ? lq_vals_mean(&a->cycle) : NAN;
	d->velocity = ok[A_VELOCITY] && d->cycle > 0 ?
	    a->opps * d->win * d->avg / d->cycle : NAN;
	d->mpw = ok[A_MPW] ? ratio(a->meetings, weeks) : NAN;
}

/* seed empty groups so that they are shown: tiers, and weeks in the span */
void
lq_report_finish(struct lq_report *r)
{
	char wk[16];

	if (r->finished)
		return;
	r->finished = 1;
	lq_report_avail(r);
	lq_report_drift_finish(r);
	for (int i = 0; i < r->ntier_levels; i++) {
		if (r->tiers.nkeys)
			lq_report_group(&r->tiers, r->tier_levels[i]);
		if (r->by.nkeys == 1 && r->by.slot[0] == r->fslot[F_TIER])
			lq_report_group(&r->by, r->tier_levels[i]);
	}
	if (r->tmax >= r->tmin && lq_report_weeks(r) <= 520) {
		for (double t = r->tmin; ; t += LQ_WEEK) {
			if (t > r->tmax)
				t = r->tmax;
			lq_iso_week(wk, sizeof(wk), lq_report_local(r, t));
			lq_report_group(&r->weeks, wk);
			if (r->by.nkeys == 1 && r->by.slot[0] == KEY_WEEK)
				lq_report_group(&r->by, wk);
			if (t >= r->tmax)
				break;
		}
	}
}



static void
jlong(struct lq_buf *o, const char *k, long v)
{
	lq_buf_json_key(o, k);
	lq_buf_addf(o, "%ld", v);
}

/* a count that is null when its metric cannot be computed */
static void
jcount(struct lq_buf *o, const char *k, long v, int ok)
{
	lq_buf_json_key(o, k);
	if (ok)
		lq_buf_addf(o, "%ld", v);
	else
		lq_buf_adds(o, "null");
}

void
lq_report_json_agg(struct lq_report *r, struct lq_buf *o,
    const struct agg *ca)
{
	struct agg *a = (struct agg *)ca;
	const char *ok = r->ok;
	struct derived d;

	derive(r, a, &d);
	jlong(o, "leads", a->leads);
	jcount(o, "handed", a->handed, ok[A_HANDED]);
	jcount(o, "accepted", a->accepted, ok[A_ACCEPTED]);
	jcount(o, "rejected", a->rejected, ok[A_REJECTED]);
	lq_buf_json_member_num(o, "sal_rate", d.sal, 4);
	jcount(o, "contacted", a->contacted, ok[A_CONTACT]);
	jcount(o, "no_contact", a->no_contact, ok[A_CONTACT]);
	jcount(o, "no_created", a->no_created, ok[A_CREATED]);
	jcount(o, "bad_times", a->bad_times, ok[A_CONTACT]);
	lq_buf_json_member_num(o, "contact_p50_s", d.p50, 1);
	lq_buf_json_member_num(o, "contact_p90_s", d.p90, 1);
	lq_buf_json_member_num(o, "contact_under_60s", d.u60, 4);
	lq_buf_json_member_num(o, "contact_under_5m", d.u300, 4);
	lq_buf_json_member_num(o, "contact_under_1h", d.u3600, 4);
	lq_buf_json_member_num(o, "accept_p50_s", d.acc50, 1);
	jcount(o, "high", a->high, ok[A_TIER]);
	jcount(o, "false_pos", a->false_pos, ok[A_FP]);
	lq_buf_json_member_num(o, "fp_rate", d.fp, 4);
	jcount(o, "low", a->low, ok[A_TIER]);
	jcount(o, "missed", a->missed, ok[A_MISSED]);
	lq_buf_json_member_num(o, "missed_rate", d.missed, 4);
	jcount(o, "opportunities", a->opps, ok[A_OPP]);
	jcount(o, "won", a->won, ok[A_WON]);
	jcount(o, "lost", a->lost, ok[A_LOST]);
	jcount(o, "open", a->open, ok[A_OPEN]);
	lq_buf_json_member_num(o, "conversion", d.conv, 4);
	lq_buf_json_member_num(o, "win_rate", d.win, 4);
	lq_buf_json_member_num(o, "won_value", ok[A_WON_VALUE] ?
	    a->won_value : NAN, 2);
	lq_buf_json_member_num(o, "pipeline_value", ok[A_PIPELINE] &&
	    (a->open_amounts || !a->open) ? a->pipeline_value : NAN, 2);
	lq_buf_json_member_num(o, "avg_deal", d.avg, 2);
	lq_buf_json_member_num(o, "cycle_days", d.cycle, 2);
	lq_buf_json_member_num(o, "velocity_per_day", d.velocity, 2);
	jcount(o, "meetings", a->meetings, ok[A_MEETINGS]);
	lq_buf_json_member_num(o, "meetings_per_week", d.mpw, 4);
}

static void
json_group(struct lq_report *r, struct lq_buf *o, const struct grouping *g,
    const struct agg *a)
{
	const char *p = a->key;

	lq_buf_adds(o, "{\"type\":\"group\",\"by\":{");
	for (int i = 0; i < g->nkeys; i++) {
		size_t n = strcspn(p, "\037");
		if (i)
			lq_buf_addc(o, ',');
		lq_buf_json_strs(o, g->names[i]);
		lq_buf_addc(o, ':');
		if (n == strlen(NONE_LABEL) && !memcmp(p, NONE_LABEL, n))
			lq_buf_adds(o, "null");
		else
			lq_buf_json_str(o, p, n);
		p += n + (p[n] != 0);
	}
	lq_buf_addc(o, '}');
	lq_report_json_agg(r, o, a);
	lq_buf_adds(o, "}\n");
}

static struct agg *
total_agg(struct lq_report *r)
{
	return lq_report_group(&r->total, "");
}

void
lq_report_json(struct lq_report *r, struct lq_buf *o, int alerts)
{
	struct agg **v;
	size_t n;
	char t0[32], t1[32];

	lq_report_finish(r);
	lq_report_sort(&r->by, &v, &n);
	for (size_t i = 0; i < n; i++)
		json_group(r, o, &r->by, v[i]);
	free(v);
	lq_buf_adds(o, "{\"type\":\"total\"");
	lq_report_json_agg(r, o, total_agg(r));
	jlong(o, "records", r->records);
	lq_buf_json_member_num(o, "weeks", lq_report_weeks(r), -1);
	lq_buf_json_key(o, "tz");
	lq_buf_json_strs(o, r->tz ? r->tz : "UTC");
	if (r->tmax >= r->tmin) {
		lq_report_time(r, t0, sizeof(t0), r->tmin);
		lq_report_time(r, t1, sizeof(t1), r->tmax);
		lq_buf_json_key(o, "first_created");
		lq_buf_json_strs(o, t0);
		lq_buf_json_key(o, "last_created");
		lq_buf_json_strs(o, t1);
	}
	lq_buf_adds(o, "}\n");
	for (int i = 0; i < F_NFIELDS; i++) {
		const char *why = lq_report_why(r, i);
		if (!why)
			continue;
		lq_buf_adds(o, "{\"type\":\"absent\",\"field\":");
		lq_buf_json_strs(o, lq_report_fields[i]);
		lq_buf_json_key(o, "reason");
		lq_buf_json_strs(o, why);
		lq_buf_adds(o, "}\n");
	}
	for (int i = 0; i < r->nfeat; i++) {
		struct feat *f = &r->feat[i];
		lq_buf_adds(o, "{\"type\":\"drift\",\"name\":");
		lq_buf_json_strs(o, f->name);
		lq_buf_json_key(o, "against");
		lq_buf_json_strs(o, f->model ? "model" : "baseline");
		lq_buf_json_key(o, "kind");
		lq_buf_json_strs(o, f->cat ? "categorical" : "numeric");
		jlong(o, "bins", f->nbins);
		jlong(o, "baseline_n", f->model ? 0 : f->n[0]);
		jlong(o, "current_n", f->n[1]);
		jlong(o, "baseline_missing", f->model ? 0 : f->missing[0]);
		jlong(o, "current_missing", f->missing[1]);
		lq_buf_json_member_num(o, "psi", f->psi, 4);
		lq_buf_adds(o, "}\n");
	}
	for (int i = 0; i < r->nfill; i++) {
		struct fill *fl = &r->fill[i];
		lq_buf_adds(o, "{\"type\":\"fill\",\"name\":");
		lq_buf_json_strs(o, fl->name);
		if (r->mode == 1 || r->mode == 2) {
			jlong(o, "baseline_n", fl->n[0]);
			lq_buf_json_member_num(o, "baseline_rate", ratio(fl->filled[0],
			    fl->n[0]), 4);
		}
		jlong(o, "current_n", fl->n[1]);
		jlong(o, "filled", fl->filled[1]);
		lq_buf_json_member_num(o, "rate", ratio(fl->filled[1], fl->n[1]), 4);
		lq_buf_adds(o, "}\n");
	}
	lq_report_health_json(r, o);
	if (alerts)
		lq_report_alert_rows(r, o);
}

int
lq_report_alerts(struct lq_report *r, struct lq_buf *out)
{
	lq_report_finish(r);
	return lq_report_alert_rows(r, out);
}

/* ---- text tables ---- */

struct table {
	char **cell;		/* row-major, cols per row */
	int n, cap, cols;
	int *right;		/* column is right-aligned */
};

/* append the next cell, filling rows left to right */
static void
cell(struct table *t, const char *s)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cell = realloc(t->cell, (size_t)t->cap * sizeof(char *));
		if (!t->cell)
			abort();
	}
	if (!(t->cell[t->n++] = strdup(s)))
		abort();
}

static void
cellf(struct table *t, const char *fmt, double v)
{
	char buf[64];

	if (isnan(v))
		cell(t, "-");
	else {
		snprintf(buf, sizeof(buf), fmt, v);
		cell(t, buf);
	}
}

static void
cell_pct(struct table *t, double v)
{
	cellf(t, "%.1f%%", isnan(v) ? v : v * 100);
}

static void
cell_long(struct table *t, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", v);
	cell(t, buf);
}

static void
cell_dur(struct table *t, double s)
{
	if (isnan(s))
		cell(t, "-");
	else if (s < 60)
		cellf(t, "%.0fs", s);
	else if (s < 3600)
		cellf(t, "%.1fm", s / 60);
	else if (s < LQ_DAY)
		cellf(t, "%.1fh", s / 3600);
	else
		cellf(t, "%.1fd", s / LQ_DAY);
}

/* a whole amount with thousands separators: 2,255,554 */
static void
cell_money(struct table *t, double v)
{
	char buf[64], out[96];
	size_t n, k = 0;

	if (isnan(v)) {
		cell(t, "-");
		return;
	}
	snprintf(buf, sizeof(buf), "%.0f", fabs(v) < 0.5 ? 0 : v);
	n = strlen(buf);
	for (size_t i = 0; i < n; i++) {
		size_t left = n - i;
		out[k++] = buf[i];
		if (left > 1 && (left - 1) % 3 == 0 && buf[i] != '-')
			out[k++] = ',';
	}
	out[k] = 0;
	cell(t, out);
}

/* the metric cannot be computed (see the n/a note under the table) */
static int
na(struct table *t, int ok)
{
	if (!ok)
		cell(t, "n/a");
	return !ok;
}

static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void
table_print(struct table *t, struct lq_buf *o)
{
	size_t *w = calloc((size_t)t->cols, sizeof(size_t));
	int rows = t->n / t->cols;

	for (int r = 0; r < rows; r++)
		for (int c = 0; c < t->cols; c++) {
			size_t x = width(t->cell[r * t->cols + c]);
			if (x > w[c])
				w[c] = x;
		}
	for (int r = 0; r < rows; r++) {
		struct lq_buf line = LQ_BUF_INIT;
		for (int c = 0; c < t->cols; c++) {
			const char *s = t->cell[r * t->cols + c];
			size_t pad = w[c] - width(s);
			if (c)
				lq_buf_adds(&line, "  ");
			if (t->right[c])
				for (size_t k = 0; k < pad; k++)
					lq_buf_addc(&line, ' ');
			lq_buf_adds(&line, s);
			if (!t->right[c] && c + 1 < t->cols)
				for (size_t k = 0; k < pad; k++)
					lq_buf_addc(&line, ' ');
		}
		while (line.len && line.buf[line.len - 1] == ' ')
			line.len--;
		lq_buf_add(o, line.buf, line.len);
		lq_buf_addc(o, '\n');
		lq_buf_release(&line);
		if (r == 0) {
			for (int c = 0; c < t->cols; c++) {
				if (c)
					lq_buf_adds(o, "  ");
				for (size_t k = 0; k < w[c]; k++)
					lq_buf_addc(o, '-');
			}
			lq_buf_addc(o, '\n');
		}
	}
	for (int i = 0; i < t->n; i++)
		free(t->cell[i]);
	free(t->cell);
	free(t->right);
	free(w);
}

/* the table as HTML (cells escaped), then freed like table_print */
static void
table_html(struct table *t, struct lq_buf *o)
{
	int rows = t->n / t->cols;

	lq_buf_adds(o, "<table>\n");
	for (int r = 0; r < rows; r++) {
		lq_buf_adds(o, "<tr>");
		for (int c = 0; c < t->cols; c++) {
			const char *tag = r == 0 ? "th" : "td";
			lq_buf_addf(o, "<%s%s>", tag, t->right[c] ?
			    " class=\"num\"" : "");
			lq_svg_esc(o, t->cell[r * t->cols + c]);
			lq_buf_addf(o, "</%s>", tag);
		}
		lq_buf_adds(o, "</tr>\n");
	}
	lq_buf_adds(o, "</table>\n");
	for (int i = 0; i < t->n; i++)
		free(t->cell[i]);
	free(t->cell);
	free(t->right);
}

static void
table_init(struct table *t, int keys, const char *const *heads, int nheads,
    const struct grouping *g)
{
	memset(t, 0, sizeof(*t));
	t->cols = keys + nheads;
	t->right = calloc((size_t)t->cols, sizeof(int));
	for (int i = 0; i < keys; i++)
		cell(t, g->names[i]);
	for (int i = 0; i < nheads; i++) {
		t->right[keys + i] = 1;
		cell(t, heads[i]);
	}
}

static void
key_cells(struct table *t, const struct grouping *g, const char *key)
{
	for (int i = 0; i < g->nkeys; i++) {
		size_t n = strcspn(key, "\037");
		char *s = strndup(key, n);
		cell(t, s);
		free(s);
		key += n + (key[n] != 0);
	}
}

static const char *const heads1[] = {
	"leads", "handed", "accepted", "SAL rate", "contacted", "no contact",
	"median", "p90", "<1m", "<5m", "<1h"
};
static const char *const heads2[] = {
	"high", "FP rate", "missed", "opps", "won", "lost", "conversion",
	"win rate", "won value", "pipeline", "cycle d", "velocity/d",
	"mtg/wk"
};

static void
row1(struct lq_report *r, struct table *t, struct agg *a)
{
	const char *ok = r->ok;
	struct derived d;

	derive(r, a, &d);
	cell_long(t, a->leads);
	if (!na(t, ok[A_HANDED]))
		cell_long(t, a->handed);
	if (!na(t, ok[A_ACCEPTED]))
		cell_long(t, a->accepted);
	if (!na(t, ok[A_ACCEPTED]))
		cell_pct(t, d.sal);
	if (!na(t, ok[A_CONTACT]))
		cell_long(t, a->contacted);
	if (!na(t, ok[A_CONTACT]))
		cell_long(t, a->no_contact);
	if (na(t, ok[A_CONTACT])) {
		for (int i = 0; i < 4; i++)
			cell(t, "n/a");
		return;
	}
	cell_dur(t, d.p50);
	cell_dur(t, d.p90);
	cell_pct(t, d.u60);
	cell_pct(t, d.u300);
	cell_pct(t, d.u3600);
}

static void
row2(struct lq_report *r, struct table *t, struct agg *a)
{
	const char *ok = r->ok;
	struct derived d;

	derive(r, a, &d);
	if (!na(t, ok[A_TIER]))
		cell_long(t, a->high);
	if (!na(t, ok[A_FP]))
		cell_pct(t, d.fp);
	if (!na(t, ok[A_MISSED]))
		cell_long(t, a->missed);
	if (!na(t, ok[A_OPP]))
		cell_long(t, a->opps);
	if (!na(t, ok[A_WON]))
		cell_long(t, a->won);
	if (!na(t, ok[A_LOST]))
		cell_long(t, a->lost);
	if (!na(t, ok[A_WON]))
		cell_pct(t, d.conv);
	if (!na(t, ok[A_WIN_RATE]))
		cell_pct(t, d.win);
	if (!na(t, ok[A_WON_VALUE]))
		cell_money(t, a->won_value);
	if (!na(t, ok[A_PIPELINE]))
		cell_money(t, a->open_amounts || !a->open ?
		    a->pipeline_value : NAN);
	if (!na(t, ok[A_CYCLE]))
		cellf(t, "%.1f", d.cycle);
	if (!na(t, ok[A_VELOCITY]))
		cell_money(t, d.velocity);
	if (!na(t, ok[A_MPW]))
		cellf(t, "%.2f", d.mpw);
}

/* the fields behind n/a cells, once: "n/a: accepted: off ...; ..." */
static void
absent_note(struct lq_report *r, struct lq_buf *o)
{
	int n = 0;

	for (int i = 0; i < F_NFIELDS; i++) {
		const char *why = lq_report_why(r, i);
		if (!why)
			continue;
		lq_buf_addf(o, "%s%s: %s", n++ ? "; " : "\nn/a: ",
		    lq_report_fields[i], why);
	}
	if (n)
		lq_buf_addc(o, '\n');
}

static void
group_table(struct lq_report *r, struct lq_buf *o, int which, int html)
{
	struct table t;
	struct agg **v;
	size_t n;
	int keys = r->by.nkeys ? r->by.nkeys : 1;
	static const char *const all[] = { "all" };
	const struct grouping *g = &r->by;
	struct grouping none = { 1, (char **)all, NULL, NULL, 0, 0, 0 };

	if (!r->by.nkeys)
		g = &none;
	if (which == 1)
		table_init(&t, keys, heads1, 11, g);
	else
		table_init(&t, keys, heads2, 13, g);
	lq_report_sort(&r->by, &v, &n);
	for (size_t i = 0; r->by.nkeys && i < n; i++) {
		key_cells(&t, g, v[i]->key);
		(which == 1 ? row1 : row2)(r, &t, v[i]);
	}
	cell(&t, "total");
	for (int i = 1; i < keys; i++)
		cell(&t, "");
	(which == 1 ? row1 : row2)(r, &t, total_agg(r));
	free(v);
	if (html)
		table_html(&t, o);
	else
		table_print(&t, o);
}

static void
drift_table(struct lq_report *r, struct lq_buf *o)
{
	static const char *const h[] = {
		"against", "bins", "baseline n", "current n", "missing", "PSI",
		"status"
	};
	struct grouping g = { 1, (char *[]){ "feature" }, NULL, NULL, 0, 0, 0 };
	struct table t;

	table_init(&t, 1, h, 7, &g);
	for (int i = 0; i < r->nfeat; i++) {
		struct feat *f = &r->feat[i];
		cell(&t, f->name);
		cell(&t, f->model ? "model" : "baseline");
		cell_long(&t, f->nbins);
		if (f->model)
			cell(&t, "-");
		else
			cell_long(&t, f->n[0]);
		cell_long(&t, f->n[1]);
		cell_pct(&t, ratio(f->missing[1], f->n[1]));
		cellf(&t, "%.3f", f->psi);
		cell(&t, isnan(f->psi) ? "no data" : f->psi >= r->psi_alert ?
		    "ALERT" : f->psi >= r->psi_warn ? "warn" : "stable");
	}
	table_print(&t, o);
}

static void
fill_table(struct lq_report *r, struct lq_buf *o)
{
	static const char *const h[] = { "baseline", "current", "filled" };
	struct grouping g = { 1, (char *[]){ "field" }, NULL, NULL, 0, 0, 0 };
	struct table t;

	table_init(&t, 1, h, 3, &g);
	for (int i = 0; i < r->nfill; i++) {
		struct fill *fl = &r->fill[i];
		cell(&t, fl->name);
		if (r->mode == 1 || r->mode == 2)
			cell_pct(&t, ratio(fl->filled[0], fl->n[0]));
		else
			cell(&t, "-");
		cell_pct(&t, ratio(fl->filled[1], fl->n[1]));
		cell_long(&t, fl->filled[1]);
	}
	table_print(&t, o);
}

/* The two group tables as HTML tables, and the n/a note. */
void
lq_report_html_tables(struct lq_report *r, struct lq_buf *o)
{
	struct lq_buf note = LQ_BUF_INIT;

	lq_report_finish(r);
	lq_buf_adds(o, "<h2>Acceptance and speed to contact</h2>\n");
	group_table(r, o, 1, 1);
	lq_buf_adds(o, "<h2>Outcomes (high tiers: ");
	for (int i = 0; i < r->nhigh; i++) {
		lq_buf_adds(o, i ? ", " : "");
		lq_svg_esc(o, r->high[i]);
	}
	lq_buf_adds(o, ")</h2>\n");
	group_table(r, o, 2, 1);
	absent_note(r, &note);
	if (note.len) {
		lq_buf_adds(o, "<p class=\"note\">");
		lq_svg_esc(o, note.buf + 1);
		lq_buf_adds(o, "</p>\n");
	}
	lq_buf_release(&note);
	lq_report_health_out(r, o, 1);
}

void
lq_report_text(struct lq_report *r, struct lq_buf *o, int alerts)
{
	struct lq_buf al = LQ_BUF_INIT;
	char t0[32], t1[32];

	lq_report_finish(r);
	lq_buf_addf(o, "%ld leads", r->records);
	if (r->tmax >= r->tmin) {
		lq_report_time(r, t0, sizeof(t0), r->tmin);
		lq_report_time(r, t1, sizeof(t1), r->tmax);
		lq_buf_addf(o, " created %s .. %s (%g week%s)", t0, t1,
		    lq_report_weeks(r), lq_report_weeks(r) == 1 ? "" : "s");
	}
	if (r->tz)
		lq_buf_addf(o, ", weeks in %s", r->tz);
	lq_buf_adds(o, "\n\nAcceptance and speed to contact\n\n");
	group_table(r, o, 1, 0);
	lq_buf_adds(o, "\nOutcomes (high tiers: ");
	for (int i = 0; i < r->nhigh; i++)
		lq_buf_addf(o, "%s%s", i ? ", " : "", r->high[i]);
	lq_buf_adds(o, ")\n\n");
	group_table(r, o, 2, 0);
	absent_note(r, o);
	if (r->nfeat) {
		lq_buf_adds(o, "\nDrift (population stability index)\n\n");
		drift_table(r, o);
	}
	lq_report_health_out(r, o, 0);
	if (r->nfill) {
		lq_buf_adds(o, "\nFill rate of enrichment fields\n\n");
		fill_table(r, o);
	}
	if (alerts && lq_report_alert_rows(r, &al)) {
		jv a;
		lq_buf_adds(o, "\nAlerts\n\n");
		for (char *p = al.buf; p && *p; ) {
			char *nl = strchr(p, '\n');
			a = jv_parse_sized(p, (int)(nl - p));
			jv m = jv_object_get(jv_copy(a), jv_string("message"));
			jv l = jv_object_get(a, jv_string("level"));
			lq_buf_addf(o, "%-6s %s\n", jv_string_value(l),
			    jv_string_value(m));
			jv_free(m);
			jv_free(l);
			p = nl + 1;
		}
	}
	lq_buf_release(&al);
}
