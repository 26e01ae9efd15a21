/*
 * report.c - lq-report: configuration, record intake and group aggregates.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_route.h"
#include "lq_time.h"
#include "report_int.h"
#include "lq_mem.h"

const char *const lq_report_fields[F_NFIELDS + 1] = {
	"tier", "owner", "source", "segment", "created_at", "handed",
	"accepted", "rejected", "accepted_at", "first_contact_at",
	"opportunity", "won", "lost", "amount", "closed_at", "meeting_booked",
	"probability", "points", "capacity", NULL
};

/* where each field is found when the report: section does not say */
static const char *const field_default[F_NFIELDS] = {
	".score.tier", ".route.owner", ".source", ".enrich.segment // .segment",
	".created_at",
	NULL, ".outcome.accepted", ".outcome.rejected",
	".outcome.accepted_at", ".outcome.first_contact_at", NULL,
	".outcome.won", ".outcome.lost", ".outcome.amount",
	".outcome.closed_at", ".outcome.meeting_booked",
	".score.probability", ".score.points",
	".route.reason.capacity.week"	/* lq-route writes it */
};

static const char *const top_keys[] = {
	"fields", "groups", "by", "tiers", "high_tiers", "drift", "tz", "health",
	NULL
};

static const char *const default_tiers[] = { "L1", "L2", "L3", "L4" };

/* add the expression of a YAML scalar node */
static int
add_node(struct lq_report *r, const struct lq_ydoc *d,
    const struct lq_ynode *node, const char *what, struct lq_err *err)
{
	return lq_exprs_add_node(r->x, d, node, what, err);
}

static int
add_text(struct lq_report *r, const char *text, const char *file, int col,
    struct lq_err *err)
{
	struct lq_expr_src src = { file, 1, col, 0 };

	return lq_exprs_add(r->x, text, &src, err);
}

/* a list of strings: a sequence or one comma-separated scalar */
static int
str_list(const struct lq_ydoc *d, const struct lq_ynode *n, const char *what,
    char ***out, int *nout, struct lq_err *err)
{
	const char *s;

	if (n->kind == LQ_Y_SEQ) {
		*out = lq_xcalloc(n->n, sizeof(char *));
		for (size_t i = 0; i < n->n; i++) {
			if (lq_ystr(d, n->items[i], what, &s, err))
				return -1;
			(*out)[(*nout)++] = lq_xstrdup(s);
		}
		return 0;
	}
	return lq_yerr(d, n, err, "%s: expected a list", what);
}

static void
free_list(char **l, int n)
{
	for (int i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

static int
load_fields(struct lq_report *r, const struct lq_ydoc *d,
    const struct lq_ynode *fields, struct lq_err *err)
{
	const struct lq_ynode *v;

	if (fields && lq_ymap_check(d, fields, "report fields",
	    lq_report_fields, err))
		return -1;
	for (int i = 0; i < F_NFIELDS; i++) {
		r->fslot[i] = -1;
		if (fields && (v = lq_ymap_get(fields, lq_report_fields[i]))) {
			if (lq_ynull(v))
				continue;
			if ((r->fslot[i] = add_node(r, d, v,
			    lq_report_fields[i], err)) < 0)
				return -1;
		} else if (field_default[i] &&
		    (r->fslot[i] = add_text(r, field_default[i], "(default)",
		    1, err)) < 0)
			return -1;
	}
	return 0;
}

static int
is_path(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' &&
		    *s != '-')
			return 0;
	return 1;
}

/* set up grouping g from the comma-separated key names in spec */
static int
load_by(struct lq_report *r, const struct lq_ydoc *d,
    const struct lq_ynode *groups, const char *spec, struct lq_err *err)
{
	struct grouping *g = &r->by;
	char *copy = lq_xstrdup(spec), *p, *tok;
	const struct lq_ynode *v;
	int col = 1, n = 1;

	for (p = copy; *p; p++)
		n += *p == ',';
	g->names = lq_xcalloc((size_t)n, sizeof(char *));
	g->slot = lq_xcalloc((size_t)n, sizeof(int));
	for (p = copy; (tok = strsep(&p, ",")); col += (int)strlen(tok) + 1) {
		int slot = -1;
		while (*tok == ' ')
			tok++;
		if (!*tok) {
			lq_err_set(err, LQ_EXIT_USAGE, "--by: empty group key "
			    "in '%s'", spec);
			goto fail;
		}
		for (int i = 0; i < F_NFIELDS; i++)
			if (!strcmp(tok, lq_report_fields[i]))
				slot = r->fslot[i] >= 0 ? r->fslot[i] : -3;
		if (groups && (v = lq_ymap_get(groups, tok)))
			slot = add_node(r, d, v, tok, err);
		else if (!strcmp(tok, "week"))
			slot = KEY_WEEK;
		else if (slot == -3) {
			lq_err_set(err, LQ_EXIT_USAGE, "--by: field '%s' is "
			    "disabled in the report section", tok);
			goto fail;
		} else if (slot == -1 && *tok == '.')
			slot = add_text(r, tok, "--by", col, err);
		else if (slot == -1 && is_path(tok)) {
			struct lq_buf b = LQ_BUF_INIT;
			lq_buf_addf(&b, ".%s", tok);
			slot = add_text(r, b.buf, "--by", col, err);
			lq_buf_release(&b);
		} else if (slot == -1) {
			lq_err_set(err, LQ_EXIT_USAGE, "--by: '%s' is not a "
			    "field, group or path (put expressions under "
			    "report: groups:)", tok);
			goto fail;
		}
		if (slot == -1)
			goto fail;
		g->names[g->nkeys] = lq_xstrdup(tok);
		g->slot[g->nkeys++] = slot;
	}
	free(copy);
	return 0;
fail:
	free(copy);
	return -1;
}

static void
one_key(struct grouping *g, const char *name, int slot)
{
	g->names = lq_xcalloc(1, sizeof(char *));
	g->slot = lq_xcalloc(1, sizeof(int));
	g->names[0] = lq_xstrdup(name);
	g->slot[0] = slot;
	g->nkeys = 1;
}

/* g: the keys of from and one more, counters only */
static void
extend(struct grouping *g, const struct grouping *from, const char *name,
    int slot)
{
	g->names = lq_xcalloc((size_t)from->nkeys + 1, sizeof(char *));
	g->slot = lq_xcalloc((size_t)from->nkeys + 1, sizeof(int));
	for (int i = 0; i < from->nkeys; i++) {
		g->names[i] = lq_xstrdup(from->names[i]);
		g->slot[i] = from->slot[i];
	}
	g->names[from->nkeys] = lq_xstrdup(name);
	g->slot[from->nkeys] = slot;
	g->nkeys = from->nkeys + 1;
	g->lite = 1;
}

static int
load(struct lq_report *r, const struct lq_report_opts *o, struct lq_err *err)
{
	struct lq_ydoc *d = &r->doc;
	struct lq_ynode *root = NULL, *v, *groups = NULL, *drift = NULL;
	struct lq_ynode *health = NULL;
	struct lq_buf by = LQ_BUF_INIT;
	int rc;

	if (o->rules) {
		r->have_doc = 1;
		if (lq_config_section(d, o->rules, "report", &root, err))
			return -1;
		if (lq_ynull(root))
			root = NULL;
		else if (lq_ymap_check(d, root, "the report section", top_keys,
		    err))
			return -1;
	}
	if (load_fields(r, d, root ? lq_ymap_get(root, "fields") : NULL, err))
		return -1;
	if (root && (groups = lq_ymap_get(root, "groups")) &&
	    lq_yexpect(d, groups, LQ_Y_MAP, "groups", err))
		return -1;
	if (root && (v = lq_ymap_get(root, "tiers"))) {
		if (str_list(d, v, "tiers", &r->tier_levels,
		    &r->ntier_levels, err))
			return -1;
	} else {
		r->tier_levels = lq_xcalloc(4, sizeof(char *));
		for (int i = 0; i < 4; i++)
			r->tier_levels[r->ntier_levels++] =
			    lq_xstrdup(default_tiers[i]);
	}
	if (root && (v = lq_ymap_get(root, "high_tiers"))) {
		if (str_list(d, v, "high_tiers", &r->high, &r->nhigh, err))
			return -1;
	} else {
		r->high = lq_xcalloc(2, sizeof(char *));
		r->high[r->nhigh++] = lq_xstrdup("L1");
		r->high[r->nhigh++] = lq_xstrdup("L2");
	}

	if (o->tz || (root && (v = lq_ymap_get(root, "tz")))) {
		const char *z = o->tz;
		if (!z && lq_ystr(d, v, "tz", &z, err))
			return -1;
		if (!lq_tz_valid(z)) {
			if (o->tz)
				return lq_err_set(err, LQ_EXIT_USAGE, "--tz: "
				    "unknown time zone '%s'", z);
			return lq_yerr(d, v, err, "tz: unknown time zone "
			    "'%s' (a tz database name such as Asia/Kolkata)",
			    z);
		}
		if (strcmp(z, "UTC") && strcmp(z, "Etc/UTC"))
			r->tz = lq_xstrdup(z);
	}
	if (o->by)
		lq_buf_adds(&by, o->by);
	else if (root && (v = lq_ymap_get(root, "by"))) {
		const char *s;
		if (v->kind == LQ_Y_SEQ) {
			for (size_t i = 0; i < v->n; i++) {
				if (lq_ystr(d, v->items[i], "by", &s, err)) {
					lq_buf_release(&by);
					return -1;
				}
				lq_buf_addf(&by, "%s%s", i ? "," : "", s);
			}
		} else if (lq_ystr(d, v, "by", &s, err) == 0)
			lq_buf_adds(&by, s);
		else
			return -1;
	} else
		lq_buf_adds(&by, "tier");
	rc = by.len ? load_by(r, d, groups, by.buf, err) : 0;
	lq_buf_release(&by);
	if (rc)
		return -1;
	if (r->fslot[F_TIER] >= 0)
		one_key(&r->tiers, "tier", r->fslot[F_TIER]);
	one_key(&r->weeks, "week", KEY_WEEK);
	/* charts: a series per --by group unless that is the week */
	r->series = r->by.nkeys > 0 && !(r->by.nkeys == 1 &&
	    r->by.slot[0] == KEY_WEEK);
	if (r->series) {
		extend(&r->byweek, &r->by, "week", KEY_WEEK);
		if (r->fslot[F_TIER] >= 0)
			extend(&r->bytier, &r->by, "tier", r->fslot[F_TIER]);
	}
	if (r->fslot[F_OWNER] >= 0) {
		one_key(&r->owners, "owner", r->fslot[F_OWNER]);
		r->owners.lite = 1;
	}

	if (root && (drift = lq_ymap_get(root, "drift")) &&
	    lq_yexpect(d, drift, LQ_Y_MAP, "drift", err))
		return -1;
	r->mode = 0;
	if (o->baseline && o->split)
		return lq_err_set(err, LQ_EXIT_USAGE, "--baseline and --split "
		    "exclude each other");
	if (o->baseline) {
		r->mode = 1;
		if ((r->base_slot = add_text(r, o->baseline, "--baseline", 1,
		    err)) < 0)
			return -1;
	} else if (o->split) {
		r->mode = 2;
		if (lq_time_parse(o->split, strlen(o->split), &r->split) < 0)
			return lq_err_set(err, LQ_EXIT_USAGE, "--split: not a "
			    "time: '%s'", o->split);
		if (r->fslot[F_CREATED] < 0)
			return lq_err_set(err, LQ_EXIT_USAGE, "--split needs "
			    "the created_at field");
	} else if (o->model)
		r->mode = 3;
	if (lq_report_drift_load(r, drift, o->model, err))
		return -1;
	if (root && (health = lq_ymap_get(root, "health")) &&
	    lq_ynull(health))
		health = NULL;
	if (health && lq_yexpect(d, health, LQ_Y_MAP, "health", err))
		return -1;
	if (lq_report_health_load(r, health, err))
		return -1;
	if (lq_exprs_compile_in(r->x, r->have_doc ? &r->doc : NULL, err))
		return -1;
	r->ev = lq_eval_new(r->x);
	r->scan.want_tape = 1;
	return 0;
}

struct lq_report *
lq_report_new(const struct lq_report_opts *o, struct lq_err *err)
{
	struct lq_report *r = lq_xcalloc(1, sizeof(*r));

	r->x = lq_exprs_new();
	r->h_last = -1;
	r->tmin = INFINITY;
	r->tmax = -INFINITY;
	r->psi_warn = 0.1;
	r->psi_alert = 0.25;
	r->fill_min = 0;
	r->fill_drop = 0.1;
	if (load(r, o, err)) {
		if (!err->code)
			err->code = LQ_EXIT_USAGE;
		lq_report_free(r);
		return NULL;
	}
	return r;
}

static void
agg_free(struct agg *a)
{
	free(a->key);
	lq_vals_release(&a->contact);
	lq_vals_release(&a->accept);
	lq_vals_release(&a->cycle);
	free(a);
}

static void
grouping_free(struct grouping *g)
{
	for (size_t i = 0; i < g->cap; i++)
		if (g->tab[i])
			agg_free(g->tab[i]);
	free(g->tab);
	free_list(g->names, g->nkeys);
	free(g->slot);
}

void
lq_report_free(struct lq_report *r)
{
	if (!r)
		return;
	grouping_free(&r->by);
	grouping_free(&r->total);
	grouping_free(&r->tiers);
	grouping_free(&r->weeks);
	grouping_free(&r->bytier);
	grouping_free(&r->byweek);
	grouping_free(&r->owners);
	free_list(r->tier_levels, r->ntier_levels);
	free_list(r->high, r->nhigh);
	lq_report_drift_free(r);
	lq_report_health_free(r);
	lq_eval_free(r->ev);
	lq_scan_release(&r->scan);
	lq_exprs_free(r->x);
	if (r->have_doc)
		lq_yaml_release(&r->doc);
	if (r->have_mdoc)
		lq_yaml_release(&r->mdoc);
	lq_buf_release(&r->scratch);
	free(r->tz);
	free(r);
}

static size_t
hash(const char *s)
{
	return (size_t)lq_hash_bytes(s, strlen(s));
}

struct agg *
lq_report_group(struct grouping *g, const char *key)
{
	size_t i;

	if (2 * (g->n + 1) > g->cap) {
		size_t ocap = g->cap;
		struct agg **old = g->tab;
		g->cap = ocap ? ocap * 2 : 16;
		g->tab = lq_xcalloc(g->cap, sizeof(*g->tab));
		for (size_t k = 0; k < ocap; k++) {
			if (!old[k])
				continue;
			for (i = hash(old[k]->key) & (g->cap - 1); g->tab[i];
			    i = (i + 1) & (g->cap - 1))
				;
			g->tab[i] = old[k];
		}
		free(old);
	}
	for (i = hash(key) & (g->cap - 1); g->tab[i];
	    i = (i + 1) & (g->cap - 1))
		if (!strcmp(g->tab[i]->key, key))
			return g->tab[i];
	g->tab[i] = lq_xcalloc(1, sizeof(struct agg));
	g->tab[i]->key = lq_xstrdup(key);
	g->n++;
	return g->tab[i];
}

/* compare one label: numbers numerically, "(none)" last */
static int
cmp_label(const char *a, size_t an, const char *b, size_t bn)
{
	char *ea, *eb;
	int na = an == strlen(NONE_LABEL) && !memcmp(a, NONE_LABEL, an);
	int nb = bn == strlen(NONE_LABEL) && !memcmp(b, NONE_LABEL, bn);
	int c;

	if (na || nb)
		return na - nb;
	if (an && bn) {
		double x = strtod(a, &ea), y = strtod(b, &eb);
		if ((size_t)(ea - a) == an && (size_t)(eb - b) == bn && x != y)
			return x < y ? -1 : 1;
	}
	c = memcmp(a, b, an < bn ? an : bn);
	return c ? c : (an > bn) - (an < bn);
}

static int
cmp_agg(const void *pa, const void *pb)
{
	const char *a = (*(struct agg *const *)pa)->key;
	const char *b = (*(struct agg *const *)pb)->key;

	for (;;) {
		size_t an = strcspn(a, "\037"), bn = strcspn(b, "\037");
		int c = cmp_label(a, an, b, bn);
		if (c || !a[an] || !b[bn])
			return c ? c : (a[an] != 0) - (b[bn] != 0);
		a += an + 1;
		b += bn + 1;
	}
}

void
lq_report_sort(struct grouping *g, struct agg ***out, size_t *n)
{
	*out = lq_xcalloc(g->n, sizeof(struct agg *));
	*n = 0;
	for (size_t i = 0; i < g->cap; i++)
		if (g->tab[i])
			(*out)[(*n)++] = g->tab[i];
	qsort(*out, *n, sizeof(struct agg *), cmp_agg);
}

double
lq_report_weeks(const struct lq_report *r)
{
	double a, b;

	if (!(r->tmax >= r->tmin))
		return NAN;
	/* Mondays of the first and last weeks */
	a = floor(lq_report_local(r, r->tmin) / LQ_DAY);
	b = floor(lq_report_local(r, r->tmax) / LQ_DAY);
	a -= fmod(fmod(a + 3, 7) + 7, 7);
	b -= fmod(fmod(b + 3, 7) + 7, 7);
	return (b - a) / 7 + 1;
}

jv
lq_report_first(struct lq_report *r, int slot)
{
	if (slot < 0 || lq_eval_count(r->ev, slot) <= 0)
		return jv_invalid();
	return lq_eval_output(r->ev, slot, 0);
}

static double
as_time(struct lq_report *r, int slot)
{
	double t;

	if (slot < 0 || lq_eval_count(r->ev, slot) <= 0 ||
	    lq_eval_time(r->ev, slot, 0, &t) < 0 || !isfinite(t))
		return NAN;
	return t;
}

static double
as_num(struct lq_report *r, int slot)
{
	jv v = lq_report_first(r, slot);
	double x = NAN;

	if (jv_get_kind(v) == JV_KIND_NUMBER)
		x = jv_number_value(v);
	else if (jv_get_kind(v) == JV_KIND_STRING) {
		const char *s = jv_string_value(v);
		char *end;
		if (*s) {
			x = strtod(s, &end);
			if (*end || !isfinite(x))
				x = NAN;
		}
	}
	jv_free(v);
	return x;
}

static int
as_truth(struct lq_report *r, int slot)
{
	return slot >= 0 && lq_eval_truth(r->ev, slot, NULL) == LQ_TRUE;
}

/* append the group label of slot to b */
static void
label(struct lq_report *r, struct lq_buf *b, int slot, double created)
{
	jv v;
	char wk[16];
	size_t start = b->len;

	if (slot == KEY_WEEK) {
		if (isnan(created))
			lq_buf_adds(b, NONE_LABEL);
		else {
			lq_iso_week(wk, sizeof(wk),
			    lq_report_local(r, created));
			lq_buf_adds(b, wk);
		}
		return;
	}
	if (lq_eval_count(r->ev, slot) > 0) {
		const char *s;
		size_t n;
		if (lq_eval_peek(r->ev, slot, 0, &s, &n) == JV_KIND_STRING) {
			if (n == 0)
				lq_buf_adds(b, NONE_LABEL);
			else
				lq_buf_add(b, s, n);
			goto clean;
		}
	}
	v = lq_report_first(r, slot);
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		if (jv_string_length_bytes(jv_copy(v)) == 0)
			lq_buf_adds(b, NONE_LABEL);
		else
			lq_buf_adds(b, jv_string_value(v));
		break;
	case JV_KIND_NUMBER:
		lq_buf_json_num(b, jv_number_value(v));
		break;
	case JV_KIND_TRUE:
		lq_buf_adds(b, "true");
		break;
	case JV_KIND_FALSE:
		lq_buf_adds(b, "false");
		break;
	case JV_KIND_ARRAY:
	case JV_KIND_OBJECT: {
		jv s = jv_dump_string(jv_copy(v), 0);
		lq_buf_adds(b, jv_string_value(s));
		jv_free(s);
		break;
	}
	default:
		lq_buf_adds(b, NONE_LABEL);
	}
	jv_free(v);
clean:
	/* the separator must not occur inside a label, nor a NUL */
	for (size_t i = start; i < b->len; i++)
		if (b->buf[i] == '\037' || b->buf[i] == 0)
			b->buf[i] = ' ';
}

/* one record's outcome, read once */
struct outcome {
	double created, contact, accepted_at, closed, amount, prob, capacity;
	int handed, accepted, rejected, opp, won, lost, meeting, high, low;
};

static void
update(struct agg *a, const struct outcome *o, int lite)
{
	a->leads++;
	if (isnan(o->created))
		a->no_created++;
	if (o->handed) {
		a->handed++;
		a->accepted += o->accepted;
		a->rejected += o->rejected;
	}
	if (isnan(o->contact))
		a->no_contact++;
	else if (isnan(o->created) || o->contact < o->created)
		a->bad_times++;
	else {
		double s = o->contact - o->created;
		a->contacted++;
		a->under60 += s < 60;
		a->under300 += s < 300;
		a->under3600 += s < 3600;
		if (!lite)
			lq_vals_add(&a->contact, s);
	}
	if (!lite && o->accepted && o->accepted_at >= o->created)
		lq_vals_add(&a->accept, o->accepted_at - o->created);
	a->high += o->high;
	a->low += o->low;
	a->false_pos += o->high && (o->rejected || o->lost);
	a->missed += o->low && o->won;
	if (o->opp) {
		a->opps++;
		if (o->won) {
			a->won++;
			if (!isnan(o->amount)) {
				a->won_value += o->amount;
				a->won_amounts++;
			}
			if (!lite && o->closed >= o->created)
				lq_vals_add(&a->cycle,
				    (o->closed - o->created) / LQ_DAY);
		} else if (o->lost)
			a->lost++;
		else {
			a->open++;
			if (!isnan(o->amount)) {
				a->pipeline_value += o->amount;
				a->open_amounts++;
			}
		}
	}
	a->meetings += o->meeting;
	if (o->capacity >= 0) {
		a->cap_seen++;
		if (o->capacity > a->capacity)
			a->capacity = o->capacity;
	}
}

static void
add_to(struct lq_report *r, struct grouping *g, const struct outcome *o)
{
	struct lq_buf *b = &r->scratch;

	lq_buf_reset(b);
	lq_buf_adds(b, "");
	for (int i = 0; i < g->nkeys; i++) {
		if (i)
			lq_buf_addc(b, '\037');
		label(r, b, g->slot[i], o->created);
	}
	update(lq_report_group(g, b->buf), o, g->lite);
}

int
lq_report_add(struct lq_report *r, const char *line, size_t len,
    struct lq_err *err)
{
	struct outcome o;
	int *f = r->fslot, period = 1;

	if (lq_json_scan(&r->scan, line, len, err) < 0)
		return -1;
	if (lq_eval_record(r->ev, line, len, &r->scan, NULL, err) < 0)
		return -1;
	r->records++;
	for (int i = 0; i < F_NFIELDS; i++)
		if (f[i] >= 0 && !r->seen[i] && !lq_eval_missing(r->ev, f[i]))
			r->seen[i] = r->records;
	memset(&o, 0, sizeof(o));
	o.created = as_time(r, f[F_CREATED]);
	o.contact = as_time(r, f[F_CONTACT]);
	o.accepted_at = as_time(r, f[F_ACCEPTED_AT]);
	o.closed = as_time(r, f[F_CLOSED]);
	o.amount = as_num(r, f[F_AMOUNT]);
	o.prob = as_num(r, f[F_PROBABILITY]);
	o.capacity = as_num(r, f[F_CAPACITY]);
	o.accepted = as_truth(r, f[F_ACCEPTED]);
	o.rejected = as_truth(r, f[F_REJECTED]) && !o.accepted;
	o.handed = f[F_HANDED] >= 0 ? as_truth(r, f[F_HANDED]) :
	    o.accepted || o.rejected;
	o.won = as_truth(r, f[F_WON]);
	o.lost = as_truth(r, f[F_LOST]) && !o.won;
	o.opp = as_truth(r, f[F_OPPORTUNITY]) || o.won || o.lost ||
	    (f[F_OPPORTUNITY] < 0 && !isnan(o.amount));
	o.meeting = as_truth(r, f[F_MEETING]);
	if (f[F_TIER] >= 0 && lq_eval_count(r->ev, f[F_TIER]) > 0) {
		const char *t;
		size_t n;
		if (lq_eval_peek(r->ev, f[F_TIER], 0, &t, &n) ==
		    JV_KIND_STRING) {
			o.low = 1;
			for (int i = 0; i < r->nhigh; i++)
				if (strlen(r->high[i]) == n &&
				    !memcmp(t, r->high[i], n))
					o.high = 1, o.low = 0;
		}
	}
	if (!isnan(o.created)) {
		r->tmin = fmin(r->tmin, o.created);
		r->tmax = fmax(r->tmax, o.created);
	}

	add_to(r, &r->total, &o);
	add_to(r, &r->by, &o);
	add_to(r, &r->weeks, &o);
	if (r->tiers.nkeys)
		add_to(r, &r->tiers, &o);
	if (r->byweek.nkeys)
		add_to(r, &r->byweek, &o);
	if (r->bytier.nkeys)
		add_to(r, &r->bytier, &o);
	if (r->owners.nkeys)
		add_to(r, &r->owners, &o);
	if (!isnan(o.prob) && o.prob >= 0 && o.prob <= 1) {
		int k = o.prob >= 1 ? 9 : (int)(o.prob * 10);
		r->cal_n[k]++;
		r->cal_sum[k] += o.prob;
		r->cal_won[k] += o.won;
		k = (int)floor(o.prob * 100);
		r->pct_n[k]++;
		r->pct_won[k] += o.won;
	}
	if (r->mode == 1)
		period = as_truth(r, r->base_slot) ? 0 : 1;
	else if (r->mode == 2)
		period = isnan(o.created) ? -1 : o.created < r->split ? 0 : 1;
	if (f[F_PROBABILITY] >= 0) {
		int y = -1;
		char wk[16];
		if (f[F_WON] >= 0 && !lq_eval_missing(r->ev, f[F_WON]))
			y = o.won;
		else if (o.lost)
			y = 0;
		if (isnan(o.created))
			snprintf(wk, sizeof(wk), "%s", NONE_LABEL);
		else
			lq_iso_week(wk, sizeof(wk),
			    lq_report_local(r, o.created));
		lq_report_health_add(r, wk, o.prob, y, period);
	}
	if (period < 0)
		r->unperiod++;
	else {
		r->period_n[period]++;
		lq_report_drift_add(r, period);
	}
	return 0;
}

/* seconds east of UTC of the report's time zone at t */
static double
offset(const struct lq_report *r, double t)
{
	struct tm tm;

	if (!r->tz || !isfinite(t))
		return 0;
	lq_tz_local(r->tz, (time_t)floor(t), &tm);
	return (double)tm.tm_gmtoff;
}

/*
 * t moved by the UTC offset of the report's time zone, so that UTC
 * calendar arithmetic on it gives the local date and ISO week.
 */
double
lq_report_local(const struct lq_report *r, double t)
{
	return t + offset(r, t);
}

/* Format t in the report's time zone as RFC 3339 (Z in UTC). */
void
lq_report_time(const struct lq_report *r, char *buf, size_t n, double t)
{
	double off = offset(r, t);
	long m;

	lq_time_format(buf, n, t + off);
	if (!r->tz || strlen(buf) < 2 || buf[strlen(buf) - 1] != 'Z')
		return;
	m = (long)(off / 60);
	snprintf(buf + strlen(buf) - 1, n - (strlen(buf) - 1),
	    "%c%02ld:%02ld", m < 0 ? '-' : '+', labs(m) / 60, labs(m) % 60);
}

/* the field is configured and some record had a value for it */
static int
have(const struct lq_report *r, int i)
{
	return r->fslot[i] >= 0 && (r->seen[i] > 0 || r->records == 0);
}

/*
 * Why field i cannot be used, or NULL when it can (or when it is not
 * needed: handed and opportunity have defaults from other fields).
 */
const char *
lq_report_why(const struct lq_report *r, int i)
{
	if (have(r, i))
		return NULL;
	if ((i == F_HANDED || i == F_OPPORTUNITY) && r->fslot[i] < 0)
		return NULL;	/* derived from the others, named there */
	if (i == F_SOURCE || i == F_SEGMENT || i == F_OWNER ||
	    i == F_POINTS || i == F_CAPACITY)
		return NULL;	/* group keys, drift and charts only */
	if (r->fslot[i] < 0)
		return "off in the report section";
	return "no record has a value for it";
}

/* Decide which metrics can be computed (ok[]), after the last record. */
void
lq_report_avail(struct lq_report *r)
{
	char *ok = r->ok;

	ok[A_HANDED] = have(r, F_HANDED) || (r->fslot[F_HANDED] < 0 &&
	    (have(r, F_ACCEPTED) || have(r, F_REJECTED)));
	ok[A_ACCEPTED] = ok[A_HANDED] && have(r, F_ACCEPTED);
	ok[A_REJECTED] = ok[A_HANDED] && have(r, F_REJECTED);
	ok[A_CREATED] = have(r, F_CREATED);
	ok[A_CONTACT] = ok[A_CREATED] && have(r, F_CONTACT);
	ok[A_ACCEPT_T] = ok[A_ACCEPTED] && ok[A_CREATED] &&
	    have(r, F_ACCEPTED_AT);
	ok[A_TIER] = have(r, F_TIER);
	ok[A_WON] = have(r, F_WON);
	ok[A_LOST] = have(r, F_LOST);
	/* a false positive is rejected or lost: both must be known */
	ok[A_FP] = ok[A_TIER] && have(r, F_REJECTED) && ok[A_LOST];
	ok[A_MISSED] = ok[A_TIER] && ok[A_WON];
	ok[A_OPP] = have(r, F_OPPORTUNITY) || (r->fslot[F_OPPORTUNITY] < 0 &&
	    (ok[A_WON] || ok[A_LOST] || have(r, F_AMOUNT)));
	ok[A_WIN_RATE] = ok[A_WON] && ok[A_LOST];
	ok[A_OPEN] = ok[A_OPP] && ok[A_WIN_RATE];
	ok[A_WON_VALUE] = ok[A_WON] && have(r, F_AMOUNT);
	ok[A_PIPELINE] = ok[A_OPEN] && have(r, F_AMOUNT);
	ok[A_CYCLE] = ok[A_WON] && ok[A_CREATED] && have(r, F_CLOSED);
	ok[A_VELOCITY] = ok[A_OPP] && ok[A_WIN_RATE] && ok[A_WON_VALUE] &&
	    ok[A_CYCLE];
	ok[A_MEETINGS] = have(r, F_MEETING);
	ok[A_MPW] = ok[A_MEETINGS] && ok[A_CREATED];
	ok[A_PROB] = have(r, F_PROBABILITY);
}
