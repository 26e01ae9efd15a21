/*
 * reps.c - per-rep, per-segment win rates from closed deals (lq_reps.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "lq_expr.h"
#include "lq_reps.h"

struct cell { long n, won; };

struct rrep {
	char *name;
	struct cell all;
	struct cell *seg;	/* per segment index */
	int cap;
};

struct lq_reps {
	struct lq_exprs *x;
	struct lq_eval *ev;	/* x on each record, natively where it can */
	struct lq_scan scan;
	char *texts[3];
	int so, ss, sc;		/* slots: owner, segment, outcome */
	double prior;
	struct rrep *reps;
	int nreps, capreps;
	char **segs;
	struct cell *segall;
	int nsegs, capsegs;
	struct cell all;
	long counted, skipped;
};

struct lq_reps *
lq_reps_new(const char *owner, const char *segment, const char *outcome,
    double prior, struct lq_err *err)
{
	struct lq_reps *r = calloc(1, sizeof(*r));
	const char *names[] = { "--owner", "--segment", "--outcome" };
	const char *texts[] = { owner, segment, outcome };
	int *slots[] = { &r->so, &r->ss, &r->sc };

	if (!r)
		abort();
	if (!(prior >= 0 && isfinite(prior))) {
		lq_err_set(err, LQ_EXIT_USAGE, "--prior must be a number of "
		    "deals >= 0, not %g", prior);
		free(r);
		return NULL;
	}
	r->prior = prior;
	r->x = lq_exprs_new();
	r->ss = -1;
	for (int i = 0; i < 3; i++) {
		struct lq_expr_src src = { names[i], 1, 1, 0 };
		if (!texts[i])
			continue;
		if ((*slots[i] = lq_exprs_add(r->x, texts[i], &src, err)) < 0)
			goto fail;
		r->texts[i] = strdup(texts[i]);
	}
	if (lq_exprs_compile(r->x, err) < 0)
		goto fail;
	r->ev = lq_eval_new(r->x);
	r->scan.want_tape = 1;
	return r;
fail:
	err->code = LQ_EXIT_USAGE;
	lq_reps_free(r);
	return NULL;
}

void
lq_reps_free(struct lq_reps *r)
{
	if (!r)
		return;
	lq_eval_free(r->ev);
	lq_scan_release(&r->scan);
	for (int i = 0; i < r->nreps; i++) {
		free(r->reps[i].name);
		free(r->reps[i].seg);
	}
	for (int i = 0; i < r->nsegs; i++)
		free(r->segs[i]);
	for (int i = 0; i < 3; i++)
		free(r->texts[i]);
	free(r->reps);
	free(r->segs);
	free(r->segall);
	lq_exprs_free(r->x);
	free(r);
}

struct lq_reps_counts
lq_reps_counts(const struct lq_reps *r)
{
	struct lq_reps_counts c = { r->counted, r->skipped };

	return c;
}

/* the first output of slot i, owned; jv_null() when none or an error */
static jv
first(jv res, int i)
{
	jv o = lq_exprs_outputs(res, i);

	if (!jv_is_valid(o)) {
		jv_free(jv_invalid_get_msg(o));
		return jv_null();
	}
	if (jv_array_length(jv_copy(o)) < 1) {
		jv_free(o);
		return jv_null();
	}
	return jv_array_get(o, 0);
}

static struct rrep *
get_rep(struct lq_reps *r, const char *name)
{
	for (int i = 0; i < r->nreps; i++)
		if (!strcmp(r->reps[i].name, name))
			return &r->reps[i];
	if (r->nreps == r->capreps) {
		r->capreps = r->capreps ? 2 * r->capreps : 16;
		r->reps = realloc(r->reps, r->capreps * sizeof(*r->reps));
		if (!r->reps)
			abort();
	}
	struct rrep *p = &r->reps[r->nreps++];
	memset(p, 0, sizeof(*p));
	if (!(p->name = strdup(name)))
		abort();
	return p;
}

static int
get_seg(struct lq_reps *r, const char *name)
{
	for (int i = 0; i < r->nsegs; i++)
		if (!strcmp(r->segs[i], name))
			return i;
	if (r->nsegs == r->capsegs) {
		r->capsegs = r->capsegs ? 2 * r->capsegs : 16;
		r->segs = realloc(r->segs, r->capsegs * sizeof(char *));
		r->segall = realloc(r->segall, r->capsegs *
		    sizeof(struct cell));
		if (!r->segs || !r->segall)
			abort();
	}
	if (!(r->segs[r->nsegs] = strdup(name)))
		abort();
	memset(&r->segall[r->nsegs], 0, sizeof(struct cell));
	return r->nsegs++;
}

int
lq_reps_add(struct lq_reps *r, const char *line, size_t len,
    struct lq_err *err)
{
	jv res, o, s, v;
	int won, si = -1, rc = 0;

	if (lq_json_scan(&r->scan, line, len, err) < 0 ||
	    lq_eval_record(r->ev, line, len, &r->scan, NULL, err) < 0)
		return -1;
	res = lq_eval_results(r->ev);
	o = first(res, r->so);
	v = first(res, r->sc);
	s = r->ss >= 0 ? first(res, r->ss) : jv_null();
	switch (jv_get_kind(v)) {
	case JV_KIND_TRUE:
		won = 1;
		break;
	case JV_KIND_FALSE:
		won = 0;
		break;
	case JV_KIND_NUMBER:
		won = jv_number_value(v) > 0;
		break;
	default:
		won = -1;
	}
	if (won < 0 || jv_get_kind(o) != JV_KIND_STRING ||
	    !*jv_string_value(o)) {
		r->skipped++;
		goto out;
	}
	if (jv_get_kind(s) == JV_KIND_STRING)
		si = get_seg(r, jv_string_value(s));
	else if (r->ss >= 0)
		si = get_seg(r, "(missing)");
	struct rrep *p = get_rep(r, jv_string_value(o));
	p->all.n++;
	p->all.won += won;
	r->all.n++;
	r->all.won += won;
	if (si >= 0) {
		if (si >= p->cap) {
			int nc = r->capsegs;
			p->seg = realloc(p->seg, nc * sizeof(struct cell));
			if (!p->seg)
				abort();
			memset(p->seg + p->cap, 0, (nc - p->cap) *
			    sizeof(struct cell));
			p->cap = nc;
		}
		p->seg[si].n++;
		p->seg[si].won += won;
		r->segall[si].n++;
		r->segall[si].won += won;
	}
	r->counted++;
	rc = 1;
out:
	jv_free(o);
	jv_free(s);
	jv_free(v);
	jv_free(res);
	return rc;
}

static void
cell(struct lq_buf *b, struct cell c, double base, double k, int shrunk)
{
	lq_buf_addf(b, "{n: %ld, won: %ld, rate: ", c.n, c.won);
	lq_buf_json_round(b, c.n ? (double)c.won / c.n : 0, 4);
	if (shrunk) {
		lq_buf_adds(b, ", shrunk: ");
		lq_buf_json_round(b, (c.won + k * base) / (c.n + k), 4);
	}
	lq_buf_adds(b, "}\n");
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
lq_reps_yaml(const struct lq_reps *r, struct lq_buf *b)
{
	static const char *keys[] = { "owner", "segment", "outcome" };
	double k = r->prior;
	double base = r->all.n ? (double)r->all.won / r->all.n : 0.5;
	int *order = calloc((size_t)r->nsegs + 1, sizeof(int));
	char **names = calloc((size_t)r->nreps + 1, sizeof(char *));

	/* segments and reps in name order, for diffable files */
	for (int i = 0; i < r->nsegs; i++)
		order[i] = i;
	for (int i = 1; i < r->nsegs; i++)
		for (int j = i; j > 0 && strcmp(r->segs[order[j - 1]],
		    r->segs[order[j]]) > 0; j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (int i = 0; i < r->nreps; i++)
		names[i] = r->reps[i].name;
	qsort(names, (size_t)r->nreps, sizeof(char *), cmp_name);

	lq_buf_adds(b, "# rep performance: lq-train --reps; read by lq-route "
	    "(route: performance:)\n# rate = won / n; shrunk = (won + prior "
	    "* base) / (n + prior), base = the\n# segment's rate (shrunk "
	    "towards the overall rate); lq-route shrinks\n# towards the "
	    "rate of the rep's team instead.\nversion: 1\nreps:\n");
	for (int i = 0; i < 3; i++) {
		if (!r->texts[i])
			continue;
		lq_buf_addf(b, "  %s: ", keys[i]);
		lq_buf_json_strs(b, r->texts[i]);
		lq_buf_addc(b, '\n');
	}
	lq_buf_adds(b, "  prior: ");
	lq_buf_json_num(b, k);
	lq_buf_addf(b, "\n  rows: %ld\n  skipped: %ld\n  overall: ",
	    r->counted, r->skipped);
	cell(b, r->all, base, k, 0);
	double *segbase = calloc((size_t)r->nsegs + 1, sizeof(double));
	if (r->nsegs) {
		lq_buf_adds(b, "  segments:\n");
		for (int i = 0; i < r->nsegs; i++) {
			int s = order[i];
			segbase[s] = (r->segall[s].won + k * base) /
			    (r->segall[s].n + k);
			lq_buf_adds(b, "    ");
			lq_buf_json_strs(b, r->segs[s]);
			lq_buf_adds(b, ": ");
			cell(b, r->segall[s], base, k, 1);
		}
	}
	lq_buf_adds(b, r->nreps ? "  by_rep:\n" : "  by_rep: {}\n");
	for (int i = 0; i < r->nreps; i++) {
		const struct rrep *p = NULL;
		for (int j = 0; j < r->nreps; j++)
			if (r->reps[j].name == names[i])
				p = &r->reps[j];
		lq_buf_adds(b, "    ");
		lq_buf_json_strs(b, p->name);
		lq_buf_adds(b, ":\n      all: ");
		cell(b, p->all, base, k, 1);
		int any = 0;
		for (int j = 0; j < r->nsegs; j++) {
			int s = order[j];
			if (s >= p->cap || !p->seg[s].n)
				continue;
			if (!any++)
				lq_buf_adds(b, "      segments:\n");
			lq_buf_adds(b, "        ");
			lq_buf_json_strs(b, r->segs[s]);
			lq_buf_adds(b, ": ");
			cell(b, p->seg[s], segbase[s], k, 1);
		}
	}
	free(segbase);
	free(order);
	free(names);
}
