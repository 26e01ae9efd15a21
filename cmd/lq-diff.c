/*
 * lq-diff - the same leads scored or routed two ways (two members named by
 * -k, such as the output of lq-score -k before and of lq-score): the tier
 * transition matrix, how many leads change tier, action or rep, the
 * conversion each tier would have had on history with 95% intervals, and
 * the leads that move most with their reasons before and after; as text,
 * NDJSON rows and an SVG chart, for reviewing a rules or model change.
 */
#define _GNU_SOURCE	/* qsort_r */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "lq_expr.h"
#include "lq_svg.h"
#include "lqcmd.h"

static const char usage[] =
    "-k BEFORE -k AFTER [-j] [--won EXPR] [--top N] [--svg FILE]\n"
    "       [--rejects FILE] [--strict] [FILE ...]";

static const char help[] =
"usage: lq-diff -k BEFORE -k AFTER [options] [FILE ...]\n"
"Compare two scorings (or routings) of the same NDJSON leads, held in the\n"
"members BEFORE and AFTER of each record: tier transitions, leads that\n"
"change tier, action or rep, conversion per tier on history, and the leads\n"
"that move most with their reasons.\n"
"\n"
"  -k, --key NAME         the member of the first, then of the second\n"
"                         scoring (given twice)\n"
"  -j, --json             NDJSON rows instead of text\n"
"      --won EXPR         jq expression: the lead was won (default\n"
"                         .outcome.won); leads where it gives nothing or\n"
"                         null have no outcome\n"
"      --top N            leads that move most to list (default 10)\n"
"      --svg FILE         write the transition matrix and the conversion\n"
"                         per tier before and after as SVG to FILE\n"
LQCMD_HELP_COMMON LQCMD_HELP_EXIT
"See lq-diff(1).\n";

enum { O_WON = 0x2001, O_TOP, O_SVG };

#define MAXTIER 32		/* tier labels; more are "(other)" */
#define NOTIER "(none)"

/* one scoring of a lead */
struct side {
	char *tier, *action, *owner;
	double points;		/* points, else 100 x probability; NaN */
	char *reasons;		/* "signal +5, ..." (top 5 by points) */
};

/* a lead that moved */
struct mover {
	double weight;		/* tier change first, then points */
	char *id;		/* the id's JSON text, or "line N" */
	struct side s[2];
	char *changed;		/* "signal 0 -> 5.35; ..." */
};

struct diff {
	const char *key[2];
	char *tiers[MAXTIER];
	int ntiers;
	long m[MAXTIER][MAXTIER];
	long leads[2][MAXTIER], won[2][MAXTIER], known[2][MAXTIER];
	long n, tier_changed, action_changed, rep_changed, rep_known;
	long outcome_known;
	long missing[2];	/* records without the member */
	struct mover *top;
	int ntop, maxtop;
	struct lq_exprs *x;
	struct lq_eval *ev;
	struct lq_scan scan;
	int won_slot;
	const char *won_text;
};

static char *
xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");

	if (!p)
		abort();
	return p;
}

static int
tier_index(struct diff *d, const char *t)
{
	for (int i = 0; i < d->ntiers; i++)
		if (!strcmp(d->tiers[i], t))
			return i;
	if (d->ntiers == MAXTIER - 1) {
		for (int i = 0; i < d->ntiers; i++)
			if (!strcmp(d->tiers[i], "(other)"))
				return i;
		t = "(other)";
	}
	d->tiers[d->ntiers] = xstrdup(t);
	return d->ntiers++;
}

static char *
str_of(jv o, const char *k)
{
	jv v = jv_object_get(jv_copy(o), jv_string(k));
	char *s = NULL;

	if (jv_get_kind(v) == JV_KIND_STRING && jv_string_length_bytes(
	    jv_copy(v)) > 0)
		s = xstrdup(jv_string_value(v));
	jv_free(v);
	return s;
}

static double
num_of(jv o, const char *k)
{
	jv v = jv_object_get(jv_copy(o), jv_string(k));
	double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) :
	    NAN;

	jv_free(v);
	return x;
}

/* the points of each signal in o.reasons (0 when it has none) */
struct sig {
	const char *name;
	double p[2];
};

static int
add_sigs(struct sig *s, int n, int max, jv o, int side)
{
	jv rs = jv_object_get(jv_copy(o), jv_string("reasons"));

	if (jv_get_kind(rs) == JV_KIND_ARRAY) {
		int len = jv_array_length(jv_copy(rs));
		for (int i = 0; i < len; i++) {
			jv r = jv_array_get(jv_copy(rs), i);
			jv nm = jv_get_kind(r) == JV_KIND_OBJECT ?
			    jv_object_get(jv_copy(r), jv_string("signal")) :
			    jv_invalid();
			if (jv_get_kind(nm) != JV_KIND_STRING &&
			    jv_get_kind(r) == JV_KIND_OBJECT) {
				/* a model's reason: feature=value */
				jv v;
				jv_free(nm);
				nm = jv_object_get(jv_copy(r),
				    jv_string("feature"));
				v = jv_object_get(jv_copy(r),
				    jv_string("value"));
				if (jv_get_kind(nm) == JV_KIND_STRING &&
				    jv_is_valid(v)) {
					jv t = jv_get_kind(v) ==
					    JV_KIND_STRING ? jv_copy(v) :
					    jv_dump_string(jv_copy(v), 0);
					nm = jv_string_concat(jv_string_concat(
					    nm, jv_string("=")), t);
				}
				jv_free(v);
			}
			double p = jv_get_kind(r) == JV_KIND_OBJECT ?
			    num_of(r, "points") : NAN;
			if (isnan(p) && jv_get_kind(r) == JV_KIND_OBJECT)
				p = num_of(r, "log_odds");
			if (jv_get_kind(nm) == JV_KIND_STRING && !isnan(p)) {
				const char *name = jv_string_value(nm);
				int j;
				for (j = 0; j < n; j++)
					if (!strcmp(s[j].name, name))
						break;
				if (j == n && n < max) {
					s[n].name = xstrdup(name);
					s[n].p[0] = s[n].p[1] = 0;
					n++;
				}
				if (j < n)
					s[j].p[side] += p;
			}
			jv_free(nm);
			jv_free(r);
		}
	}
	jv_free(rs);
	return n;
}

static int
cmp_sig_diff(const void *a, const void *b)
{
	const struct sig *x = a, *y = b;
	double dx = fabs(x->p[1] - x->p[0]), dy = fabs(y->p[1] - y->p[0]);

	return (dx < dy) - (dx > dy);
}

static void
side_free(struct side *s)
{
	free(s->tier);
	free(s->action);
	free(s->owner);
	free(s->reasons);
}

static void
mover_free(struct mover *m)
{
	free(m->id);
	side_free(&m->s[0]);
	side_free(&m->s[1]);
	free(m->changed);
}

/* "a 5, b 3" of the signals with points on one side, largest first */
static char *
top_reasons(struct sig *s, int n, int side)
{
	struct lq_buf b = LQ_BUF_INIT;
	int used[64] = { 0 }, k = 0;

	for (int round = 0; round < 5; round++) {
		int best = -1;
		for (int i = 0; i < n && i < 64; i++)
			if (!used[i] && s[i].p[side] != 0 && (best < 0 ||
			    fabs(s[i].p[side]) > fabs(s[best].p[side])))
				best = i;
		if (best < 0)
			break;
		used[best] = 1;
		lq_buf_addf(&b, "%s%s %+g", k++ ? ", " : "", s[best].name,
		    s[best].p[side]);
	}
	return b.buf ? b.buf : xstrdup("");
}

static void
consider(struct diff *d, const struct lqcmd_rec *rec, jv r, jv o[2],
    struct side s[2])
{
	struct sig sig[64];
	int ns = 0;
	double w;
	struct mover m;
	struct lq_buf b = LQ_BUF_INIT;
	jv id;

	if (d->maxtop <= 0)
		return;
	w = fabs((isnan(s[1].points) ? 0 : s[1].points) -
	    (isnan(s[0].points) ? 0 : s[0].points));
	if (strcmp(s[0].tier, s[1].tier))
		w += 1e9;
	if (w == 0 || (d->ntop == d->maxtop && w <= d->top[d->ntop - 1].weight))
		return;
	ns = add_sigs(sig, ns, 64, o[0], 0);
	ns = add_sigs(sig, ns, 64, o[1], 1);
	memset(&m, 0, sizeof(m));
	m.weight = w;
	id = jv_object_get(jv_copy(r), jv_string("id"));
	if (jv_is_valid(id) && jv_get_kind(id) != JV_KIND_NULL) {
		/* the id's own text: 19-digit ids exactly as they came */
		long k = lq_scan_find(&d->scan, rec->line, "id", 2);
		const struct lq_member *mm = k >= 0 ? &d->scan.m[k] : NULL;
		m.id = mm ? strndup(rec->line + mm->vstart, mm->vend -
		    mm->vstart) : xstrdup("null");
	} else {
		lq_buf_addf(&b, "\"%s:%ld\"", rec->file, rec->lineno);
		m.id = xstrdup(b.buf);
		lq_buf_reset(&b);
	}
	jv_free(id);
	for (int k = 0; k < 2; k++) {
		m.s[k].tier = xstrdup(s[k].tier);
		m.s[k].action = s[k].action ? xstrdup(s[k].action) : NULL;
		m.s[k].owner = s[k].owner ? xstrdup(s[k].owner) : NULL;
		m.s[k].points = s[k].points;
		m.s[k].reasons = top_reasons(sig, ns, k);
	}
	qsort(sig, (size_t)ns, sizeof(sig[0]), cmp_sig_diff);
	for (int i = 0, k = 0; i < ns && k < 5; i++)
		if (sig[i].p[0] != sig[i].p[1])
			lq_buf_addf(&b, "%s%s %g -> %g", k++ ? "; " : "",
			    sig[i].name, sig[i].p[0], sig[i].p[1]);
	m.changed = b.buf ? b.buf : xstrdup("");
	for (int i = 0; i < ns; i++)
		free((char *)sig[i].name);
	/* insert, keeping the list sorted by weight, largest first */
	if (d->ntop == d->maxtop)
		mover_free(&d->top[--d->ntop]);
	int at = d->ntop;
	while (at > 0 && d->top[at - 1].weight < w)
		at--;
	memmove(&d->top[at + 1], &d->top[at],
	    (size_t)(d->ntop - at) * sizeof(m));
	d->top[at] = m;
	d->ntop++;
}

static int
add_one(void *ctx, const struct lqcmd_rec *rec, struct lq_buf *val,
    struct lq_err *err)
{
	struct diff *d = ctx;
	struct side s[2];
	jv r, o[2];
	int ti[2], won = -1;

	(void)val;
	if (lq_json_scan(&d->scan, rec->line, rec->len, err) < 0)
		return -1;
	if (lq_eval_record(d->ev, rec->line, rec->len, &d->scan, NULL,
	    err) < 0)
		return -1;
	if (!lq_eval_missing(d->ev, d->won_slot))
		won = lq_eval_truth(d->ev, d->won_slot, NULL) == LQ_TRUE;
	r = jv_parse_sized(rec->line, (int)rec->len);
	if (!jv_is_valid(r)) {
		jv m = jv_invalid_get_msg(r);
		lq_err_set(err, 1, "%s", jv_get_kind(m) == JV_KIND_STRING ?
		    jv_string_value(m) : "cannot be read");
		jv_free(m);
		return -1;
	}
	for (int k = 0; k < 2; k++) {
		o[k] = jv_object_get(jv_copy(r), jv_string(d->key[k]));
		if (jv_get_kind(o[k]) != JV_KIND_OBJECT) {
			/* counted, shown as tier (none): not silently */
			d->missing[k]++;
			jv_free(o[k]);
			o[k] = jv_object();
		}
	}
	d->n++;
	d->outcome_known += won >= 0;
	for (int k = 0; k < 2; k++) {
		memset(&s[k], 0, sizeof(s[k]));
		s[k].tier = str_of(o[k], "tier");
		if (!s[k].tier)
			s[k].tier = xstrdup(NOTIER);
		s[k].action = str_of(o[k], "action");
		s[k].owner = str_of(o[k], "owner");
		s[k].points = num_of(o[k], "points");
		if (isnan(s[k].points))
			s[k].points = 100 * num_of(o[k], "probability");
		ti[k] = tier_index(d, s[k].tier);
		d->leads[k][ti[k]]++;
		if (won >= 0) {
			d->known[k][ti[k]]++;
			d->won[k][ti[k]] += won;
		}
	}
	d->m[ti[0]][ti[1]]++;
	d->tier_changed += ti[0] != ti[1];
	if ((s[0].action || s[1].action) && (!s[0].action || !s[1].action ||
	    strcmp(s[0].action, s[1].action)))
		d->action_changed++;
	if (s[0].owner || s[1].owner) {
		d->rep_known++;
		if (!s[0].owner || !s[1].owner || strcmp(s[0].owner,
		    s[1].owner))
			d->rep_changed++;
	}
	consider(d, rec, r, o, s);
	side_free(&s[0]);
	side_free(&s[1]);
	jv_free(o[0]);
	jv_free(o[1]);
	jv_free(r);
	return 0;
}

/* tier labels in order: numbers and names sorted, (none) last */
static int order[MAXTIER];

static int
cmp_tier(const void *a, const void *b, void *arg)
{
	struct diff *d = arg;
	const char *x = d->tiers[*(const int *)a], *y = d->tiers[*(const int *)b];
	int nx = !strcmp(x, NOTIER), ny = !strcmp(y, NOTIER);

	if (nx || ny)
		return nx - ny;
	return strcmp(x, y);
}

static void
wilson(long k, long n, double *lo, double *hi)
{
	double z = 1.959964, p, dd, c, m;

	if (n <= 0) {
		*lo = *hi = NAN;
		return;
	}
	p = (double)k / (double)n;
	dd = 1 + z * z / n;
	c = (p + z * z / (2.0 * n)) / dd;
	m = z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / dd;
	*lo = fmax(0, c - m);
	*hi = fmin(1, c + m);
}

static void
jnum(struct lq_buf *o, const char *k, double v)
{
	lq_buf_addf(o, ",\"%s\":", k);
	if (isfinite(v))
		lq_buf_json_round(o, v, 4);
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

static void
out_json(struct diff *d, struct lq_buf *o)
{
	lq_buf_addf(o, "{\"type\":\"summary\",\"before\":");
	lq_buf_json_strs(o, d->key[0]);
	jstr(o, "after", d->key[1]);
	lq_buf_addf(o, ",\"leads\":%ld,\"tier_changed\":%ld,"
	    "\"action_changed\":%ld,\"rep_changed\":", d->n, d->tier_changed,
	    d->action_changed);
	if (d->rep_known)
		lq_buf_addf(o, "%ld", d->rep_changed);
	else
		lq_buf_adds(o, "null");
	lq_buf_addf(o, ",\"with_outcome\":%ld,\"missing_before\":%ld,"
	    "\"missing_after\":%ld}\n", d->outcome_known, d->missing[0],
	    d->missing[1]);
	for (int a = 0; a < d->ntiers; a++)
		for (int b = 0; b < d->ntiers; b++) {
			int i = order[a], j = order[b];
			if (!d->m[i][j])
				continue;
			lq_buf_adds(o, "{\"type\":\"transition\",\"from\":");
			lq_buf_json_strs(o, d->tiers[i]);
			jstr(o, "to", d->tiers[j]);
			lq_buf_addf(o, ",\"leads\":%ld}\n", d->m[i][j]);
		}
	for (int a = 0; a < d->ntiers; a++) {
		int i = order[a];
		lq_buf_adds(o, "{\"type\":\"tier\",\"tier\":");
		lq_buf_json_strs(o, d->tiers[i]);
		for (int k = 0; k < 2; k++) {
			double lo, hi;
			wilson(d->won[k][i], d->known[k][i], &lo, &hi);
			lq_buf_addf(o, ",\"%s\":{\"leads\":%ld,"
			    "\"with_outcome\":%ld,\"won\":%ld", k ? "after" :
			    "before", d->leads[k][i], d->known[k][i],
			    d->won[k][i]);
			jnum(o, "conversion", d->known[k][i] ?
			    (double)d->won[k][i] / d->known[k][i] : NAN);
			jnum(o, "low", lo);
			jnum(o, "high", hi);
			lq_buf_addc(o, '}');
		}
		lq_buf_adds(o, "}\n");
	}
	for (int i = 0; i < d->ntop; i++) {
		struct mover *m = &d->top[i];
		lq_buf_addf(o, "{\"type\":\"mover\",\"id\":%s", m->id);
		for (int k = 0; k < 2; k++) {
			lq_buf_addf(o, ",\"%s\":{\"tier\":", k ? "after" :
			    "before");
			lq_buf_json_strs(o, m->s[k].tier);
			jstr(o, "action", m->s[k].action);
			jstr(o, "owner", m->s[k].owner);
			jnum(o, "points", m->s[k].points);
			jstr(o, "reasons", m->s[k].reasons);
			lq_buf_addc(o, '}');
		}
		jstr(o, "changed", m->changed);
		lq_buf_adds(o, "}\n");
	}
}

static void
pct_ci(struct lq_buf *o, long k, long n)
{
	double lo, hi;

	if (!n) {
		lq_buf_addf(o, "  %10s  %-13s", "-", "");
		return;
	}
	wilson(k, n, &lo, &hi);
	lq_buf_addf(o, "  %9.1f%%  %5.1f-%5.1f%% ", 100.0 * k / n, lo * 100,
	    hi * 100);
}

static void
out_text(struct diff *d, struct lq_buf *o)
{
	lq_buf_addf(o, "%ld leads scored two ways: before .%s, after .%s\n",
	    d->n, d->key[0], d->key[1]);
	lq_buf_addf(o, "tier changed %ld (%.1f%%), action changed %ld, rep "
	    "changed ", d->tier_changed, d->n ? 100.0 * d->tier_changed /
	    d->n : 0, d->action_changed);
	if (d->rep_known)
		lq_buf_addf(o, "%ld\n", d->rep_changed);
	else
		lq_buf_adds(o, "n/a (no owner on either side)\n");
	for (int k = 0; k < 2; k++)
		if (d->missing[k])
			lq_buf_addf(o, "%ld leads have no .%s object (tier "
			    "%s)\n", d->missing[k], d->key[k], NOTIER);
	lq_buf_adds(o, "\nTier transitions (rows: before, columns: after)\n\n");
	lq_buf_addf(o, "%-8s", "before");
	for (int b = 0; b < d->ntiers; b++)
		lq_buf_addf(o, " %7s", d->tiers[order[b]]);
	lq_buf_addf(o, " %7s\n", "total");
	for (int a = 0; a < d->ntiers; a++) {
		int i = order[a];
		lq_buf_addf(o, "%-8s", d->tiers[i]);
		for (int b = 0; b < d->ntiers; b++)
			lq_buf_addf(o, " %7ld", d->m[i][order[b]]);
		lq_buf_addf(o, " %7ld\n", d->leads[0][i]);
	}
	lq_buf_addf(o, "%-8s", "total");
	for (int b = 0; b < d->ntiers; b++)
		lq_buf_addf(o, " %7ld", d->leads[1][order[b]]);
	lq_buf_addf(o, " %7ld\n", d->n);
	lq_buf_addf(o, "\nConversion each tier would have had (won / leads "
	    "with an outcome, 95%% interval; won: %s; %ld of %ld leads have "
	    "an outcome)\n\n", d->won_text, d->outcome_known, d->n);
	lq_buf_addf(o, "%-8s  %7s %5s  %10s  %-13s  %7s %5s  %10s  %s\n",
	    "tier", "before", "won", "conversion", "interval", "after",
	    "won", "conversion", "interval");
	for (int a = 0; a < d->ntiers; a++) {
		int i = order[a];
		lq_buf_addf(o, "%-8s  %7ld %5ld", d->tiers[i],
		    d->known[0][i], d->won[0][i]);
		pct_ci(o, d->won[0][i], d->known[0][i]);
		lq_buf_addf(o, " %7ld %5ld", d->known[1][i], d->won[1][i]);
		pct_ci(o, d->won[1][i], d->known[1][i]);
		while (o->len && o->buf[o->len - 1] == ' ')
			o->len--;
		lq_buf_addc(o, '\n');
	}
	if (!d->ntop)
		return;
	lq_buf_addf(o, "\nLeads that move most (tier first, then points)\n");
	for (int i = 0; i < d->ntop; i++) {
		struct mover *m = &d->top[i];
		lq_buf_addf(o, "\n%s  %s -> %s", m->id, m->s[0].tier,
		    m->s[1].tier);
		if (!isnan(m->s[0].points) || !isnan(m->s[1].points))
			lq_buf_addf(o, "  points %g -> %g", m->s[0].points,
			    m->s[1].points);
		if ((m->s[0].action || m->s[1].action) && (!m->s[0].action ||
		    !m->s[1].action || strcmp(m->s[0].action, m->s[1].action)))
			lq_buf_addf(o, "  action %s -> %s", m->s[0].action ?
			    m->s[0].action : "-", m->s[1].action ?
			    m->s[1].action : "-");
		if ((m->s[0].owner || m->s[1].owner) && (!m->s[0].owner ||
		    !m->s[1].owner || strcmp(m->s[0].owner, m->s[1].owner)))
			lq_buf_addf(o, "  rep %s -> %s", m->s[0].owner ?
			    m->s[0].owner : "-", m->s[1].owner ?
			    m->s[1].owner : "-");
		lq_buf_addf(o, "\n  before: %s\n  after:  %s\n  changed: %s\n",
		    m->s[0].reasons, m->s[1].reasons, m->changed);
	}
}

static void
out_svg(struct diff *d, struct lq_buf *o)
{
	int n = d->ntiers, W = 1040, H = 400;
	double cell = n ? fmin(60, 280.0 / n) : 60, x0 = 120, y0 = 100;
	long max = 0;
	char buf[256];
	const char *labels[MAXTIER], *notes[MAXTIER];
	char nb[MAXTIER][32];
	double v[2][MAXTIER], lo[2][MAXTIER], hi[2][MAXTIER];
	struct lq_svg_series s[2];
	struct lq_svg_chart c = { 0 };

	lq_svg_begin(o, W, H, "lq-diff: what changes");
	snprintf(buf, sizeof(buf), "Tier transitions: before .%s, after .%s",
	    d->key[0], d->key[1]);
	lq_buf_adds(o, "<g class=\"chart\">\n");
	lq_svg_text(o, 12, 22, "start", 14, buf);
	snprintf(buf, sizeof(buf), "%ld leads; %ld changed tier (%.1f%%), "
	    "%ld changed action", d->n, d->tier_changed, d->n ? 100.0 *
	    d->tier_changed / d->n : 0, d->action_changed);
	lq_svg_text(o, 12, 40, "start", 10, buf);
	for (int a = 0; a < n; a++)
		for (int b = 0; b < n; b++)
			if (d->m[a][b] > max)
				max = d->m[a][b];
	for (int a = 0; a < n; a++) {
		lq_svg_text(o, x0 - 8, y0 + cell * (a + 0.6), "end", 11,
		    d->tiers[order[a]]);
		lq_svg_text(o, x0 + cell * (a + 0.5), y0 - 8, "middle", 11,
		    d->tiers[order[a]]);
		for (int b = 0; b < n; b++) {
			long k = d->m[order[a]][order[b]];
			double t = max ? (double)k / max : 0;
			lq_buf_addf(o, "<rect class=\"cell\" x=\"%.1f\" "
			    "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			    "fill=\"rgb(%d,%d,%d)\" stroke=\"#ffffff\"/>\n",
			    x0 + cell * b, y0 + cell * a, cell, cell,
			    (int)(255 - t * (255 - 76)), (int)(255 - t *
			    (255 - 120)), (int)(255 - t * (255 - 168)));
			snprintf(buf, sizeof(buf), "%ld", k);
			lq_svg_text(o, x0 + cell * (b + 0.5), y0 + cell *
			    (a + 0.6), "middle", 10, buf);
		}
	}
	lq_svg_text(o, x0 + cell * n / 2, y0 - 26, "middle", 11,
	    "after (tier)");
	lq_buf_addf(o, "<text x=\"30\" y=\"%.1f\" text-anchor=\"middle\" "
	    "font-size=\"11\" fill=\"#333333\" font-family=\"DejaVu Sans, "
	    "Arial, sans-serif\" transform=\"rotate(-90 30 %.1f)\">before "
	    "(tier)</text>\n", y0 + cell * n / 2, y0 + cell * n / 2);
	lq_buf_adds(o, "</g>\n");
	for (int a = 0; a < n; a++) {
		int i = order[a];
		labels[a] = d->tiers[i];
		snprintf(nb[a], sizeof(nb[a]), "n=%ld/%ld", d->known[0][i],
		    d->known[1][i]);
		notes[a] = nb[a];
		for (int k = 0; k < 2; k++) {
			v[k][a] = d->known[k][i] ? (double)d->won[k][i] /
			    d->known[k][i] : NAN;
			wilson(d->won[k][i], d->known[k][i], &lo[k][a],
			    &hi[k][a]);
		}
	}
	snprintf(buf, sizeof(buf), "before (.%s)", d->key[0]);
	char buf2[256];
	snprintf(buf2, sizeof(buf2), "after (.%s)", d->key[1]);
	s[0] = (struct lq_svg_series){ buf, v[0], lo[0], hi[0], NULL, 0 };
	s[1] = (struct lq_svg_series){ buf2, v[1], lo[1], hi[1], NULL, 0 };
	c.title = "Conversion each tier would have had";
	char sub[256];
	snprintf(sub, sizeof(sub), "won / leads with an outcome, 95%% "
	    "interval; won: %s; %ld of %ld leads", d->won_text,
	    d->outcome_known, d->n);
	c.subtitle = sub;
	c.xtitle = "tier (n = leads with an outcome before/after)";
	c.ytitle = "won / leads";
	c.fmt = LQ_SVG_PCT;
	c.n = d->outcome_known ? n : 0;
	c.labels = labels;
	c.notes = notes;
	c.ns = 2;
	c.s = s;
	c.empty = "no lead has an outcome (see --won)";
	lq_svg_bars2(o, 480, 0, 560, H, &c);
	lq_svg_end(o);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		LQCMD_OPTIONS,
		{ "key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "won", required_argument, NULL, O_WON },
		{ "top", required_argument, NULL, O_TOP },
		{ "svg", required_argument, NULL, O_SVG },
		{ NULL, 0, NULL, 0 }
	};
	struct lqcmd_run f = { .progress = -1 };
	struct diff d;
	struct lq_buf out = LQ_BUF_INIT;
	struct lq_err err;
	struct lq_expr_src src = { "--won", 1, 1, 0 };
	const char *svg = NULL;
	char *end;
	int ch, json = 0, nkeys = 0, status;
	long top = 10;

	memset(&d, 0, sizeof(d));
	d.won_text = ".outcome.won";
	lqcmd_init(argv, "lq-diff");
	while ((ch = getopt_long(argc, argv, "hVqk:j", opts, NULL)) != -1) {
		if (ch != 'k' && lqcmd_opt(&f, ch, optarg, help))
			continue;
		switch (ch) {
		case 'k':
			if (nkeys == 2)
				lqcmd_die(LQ_EXIT_USAGE, "-k: give two keys, "
				    "not more");
			d.key[nkeys++] = optarg;
			break;
		case 'j': json = 1; break;
		case O_WON: d.won_text = optarg; break;
		case O_TOP:
			top = strtol(optarg, &end, 10);
			if (*end || top < 0 || top > 10000)
				lqcmd_die(LQ_EXIT_USAGE, "--top: not a number "
				    "from 0 to 10000: '%s'", optarg);
			break;
		case O_SVG: svg = optarg; break;
		default: lqcmd_usage(usage);
		}
	}
	if (nkeys != 2)
		lqcmd_required("-k BEFORE -k AFTER", usage);
	if (!strcmp(d.key[0], d.key[1]))
		lqcmd_die(LQ_EXIT_USAGE, "-k: the two keys are the same: '%s'",
		    d.key[0]);
	lq_err_clear(&err);
	d.x = lq_exprs_new();
	if ((d.won_slot = lq_exprs_add(d.x, d.won_text, &src, &err)) < 0 ||
	    lq_exprs_compile(d.x, &err) < 0)
		lqcmd_die_err(&err);
	d.ev = lq_eval_new(d.x);
	d.scan.want_tape = 1;
	d.maxtop = (int)top;
	d.top = calloc((size_t)top + 1, sizeof(struct mover));
	if (!d.top)
		lqcmd_die(LQ_EXIT_IO, "out of memory");

	f.fn = add_one;
	f.ctx = &d;
	lqcmd_run(&f, argv + optind, argc - optind);
	status = lqcmd_done(&f);

	for (int i = 0; i < d.ntiers; i++)
		order[i] = i;
	qsort_r(order, (size_t)d.ntiers, sizeof(int), cmp_tier, &d);
	if (json)
		out_json(&d, &out);
	else
		out_text(&d, &out);
	lqcmd_write(out.buf ? out.buf : "", out.len);
	if (svg) {
		lq_buf_reset(&out);
		out_svg(&d, &out);
		if (lqcmd_write_file(svg, &out))
			status = LQ_EXIT_IO;
	}
	lq_buf_release(&out);
	for (int i = 0; i < d.ntop; i++)
		mover_free(&d.top[i]);
	free(d.top);
	for (int i = 0; i < d.ntiers; i++)
		free(d.tiers[i]);
	lq_eval_free(d.ev);
	lq_scan_release(&d.scan);
	lq_exprs_free(d.x);
	return lqcmd_finish(status);
}
