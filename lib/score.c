/*
 * score.c - signals, groups, decay, disqualifiers, tiers, confidence.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lq_expr.h"
#include "lq_jqn.h"
#include "lq_score.h"
#include "lq_strmap.h"
#include "lq_mem.h"
#include "lq_time.h"
#include "lq_yaml.h"

struct path {
	char *text;		/* readable jq path: .a."b c"[0] */
	int slot;		/* expression reading the path */
	char *miss;		/* ,"unknown":"missing TEXT"} */
	size_t misslen;
};

/* a field the rules read (a required path), and the kinds of its values */
struct field {
	const char *text;	/* a path's text (borrowed) */
	int slot;
	long kinds[7];		/* records by enum lq_nkind of the value */
};

struct signal {
	const char *name;
	int group;
	int slot;
	double points;
	int decay;		/* events: with a half-life */
	double half_life;	/* seconds */
	double max;		/* cap on this signal's points, or NAN */
	struct path *req;
	int nreq;
	double weight;		/* |points| (|max| for decay with a cap) */
	char *json;		/* {"signal":NAME,"group":GROUP */
	size_t jsonlen;
	char *fired;		/* json,"points":POINTS} (no decay) */
	size_t firedlen;
	struct lq_buf why;	/* the last message written, */
	struct lq_buf whyjson;	/* and its JSON text */
};

struct group {
	const char *name;
	double cap, min;	/* NAN when absent */
	char *json;		/* "NAME": */
	size_t jsonlen;
};

struct disq {
	const char *name;
	int slot;
	int tier;		/* 0..3 for L1..L4 */
	const char *action;
	const char *reason;
	char *json;		/* {"disqualifier":..,"tier":..,"reason":.. */
	size_t jsonlen;
};

struct lq_score {
	struct lq_ydoc doc;
	struct lq_exprs *x;
	struct signal *sig;
	int nsig;
	struct group *grp;
	int ngrp;
	struct disq *dq;
	int ndq;
	double tier[3];		/* minimum points for L1, L2, L3 */
	double band;		/* review band half-width, points */
	double min_conf;	/* below: review */
	double margin;		/* distance for full margin credit */
	double floor;		/* confidence share not tied to margin */
	double now;
	struct lq_eval *ev;
	struct lq_strmap names;	/* signal name -> index */
	struct lq_strmap paths;	/* required path text -> slot */
	struct field *fields;	/* each required path once */
	int nfields;
	/* per-record scratch */
	double *pts;
	int *state;		/* 0 not fired, 1 fired, 2 unknown */
	const char **why;
	int *nevents;
	struct lq_buf dqtext;	/* lq_score_disqualifier()'s text */
};

static const char *const tier_names[] = { "L1", "L2", "L3", "L4" };

/* ---- loading ---------------------------------------------------------- */

/* an old-style requires: entry: names of letters, digits, _ and - */
static int
valid_path(const char *s)
{
	int seg = 0;

	if (*s == '.')
		s++;
	for (; *s; s++) {
		if (*s == '.') {
			if (!seg)
				return 0;
			seg = 0;
		} else if (isalnum((unsigned char)*s) || *s == '_' ||
		    *s == '-') {
			seg++;
		} else {
			return 0;
		}
	}
	return seg > 0;
}

/*
 * A requires: entry: a jq path (.a.b, ."a b", .["a b"], .a[0]), or
 * names separated by dots (company.employees, form-x.y: a name may hold
 * a -) as before jq's forms were read.  0, or -1 when it is neither.
 */
static int
parse_path(const char *s, struct path *p)
{
	struct lq_buf b = LQ_BUF_INIT, e = LQ_BUF_INIT;
	int n;

	memset(p, 0, sizeof(*p));
	if (valid_path(s)) {
		/* the names as jq strings: ."form-x"."y" */
		const char *q = *s == '.' ? s + 1 : s;
		while (*q) {
			size_t k = strcspn(q, ".");
			lq_buf_addc(&e, '.');
			lq_buf_json_str(&e, q, k);
			q += k + (q[k] == '.');
		}
		s = e.buf;
	}
	n = lq_jqn_path(s, 1, &b);
	lq_buf_release(&e);
	if (n <= 0) {
		lq_buf_release(&b);
		return -1;
	}
	p->text = b.buf;
	return 0;
}

/* The path an expression starts with (".title | test(...)" -> .title). */
static int
leading_path(const char *e, struct path *p)
{
	struct lq_buf b = LQ_BUF_INIT;

	/* "//" outside string literals: the author handles absence */
	for (const char *q = e; *q; q++) {
		if (*q == '"') {
			for (q++; *q && *q != '"'; q++)
				if (*q == '\\' && q[1])
					q++;
			if (!*q)
				break;
		} else if (q[0] == '/' && q[1] == '/') {
			return -1;
		}
	}
	memset(p, 0, sizeof(*p));
	if (lq_jqn_path(e, 0, &b) <= 0) {
		lq_buf_release(&b);
		return -1;
	}
	p->text = b.buf;
	return 0;
}

static int
add_expr(struct lq_score *sc, const struct lq_ynode *node, const char *what,
    struct lq_err *err)
{
	return lq_exprs_add_node(sc->x, &sc->doc, node, what, err);
}

/* the expression reading a required path: its text, a jq path */
static int
add_path(struct lq_score *sc, const struct path *p, const struct lq_ynode *at,
    struct lq_err *err)
{
	struct lq_expr_src src;
	int slot;

	/* the same path in several signals is read once */
	if ((slot = (int)lq_strmap_get(&sc->paths, p->text)) >= 0)
		return slot;
	src.file = sc->doc.file;
	src.line = at->line;
	src.col = at->col;
	src.block = 0;
	slot = lq_exprs_add(sc->x, p->text, &src, err);
	if (slot >= 0) {
		lq_exprs_set_lazy(sc->x, slot);
		lq_strmap_put(&sc->paths, p->text, slot);
		sc->fields = realloc(sc->fields, (size_t)(sc->nfields + 1) *
		    sizeof(*sc->fields));
		if (!sc->fields)
			abort();
		memset(&sc->fields[sc->nfields], 0, sizeof(*sc->fields));
		sc->fields[sc->nfields].text = p->text;
		sc->fields[sc->nfields++].slot = slot;
	}
	return slot;
}

static int
find_group(struct lq_score *sc, const char *name)
{
	for (int i = 0; i < sc->ngrp; i++)
		if (!strcmp(sc->grp[i].name, name))
			return i;
	return -1;
}

static int
parse_tier(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, tier_names[i]))
			return i;
	return -1;
}

static const char *const top_keys[] = { "groups", "tiers", "review",
	"confidence", "signals", "disqualify", NULL };
static const char *const group_keys[] = { "cap", "min", "description", NULL };
static const char *const tier_keys[] = { "L1", "L2", "L3", NULL };
static const char *const review_keys[] = { "band", "min_confidence", NULL };
static const char *const conf_keys[] = { "margin", "floor", NULL };
static const char *const sig_keys[] = { "name", "group", "when", "events",
	"points", "half_life", "max", "requires", "description", NULL };
static const char *const dq_keys[] = { "name", "when", "tier", "action",
	"reason", "description", NULL };

static int
load_groups(struct lq_score *sc, struct lq_ynode *g, struct lq_err *err)
{
	struct lq_ydoc *d = &sc->doc;

	if (!g)
		return lq_err_at(err, d->file, 1, 1, "score: no 'groups:' "
		    "(at least one group, such as fit and engagement)");
	if (lq_yexpect(d, g, LQ_Y_MAP, "groups", err))
		return -1;
	sc->grp = calloc(g->n, sizeof(*sc->grp));
	for (size_t i = 0; i < g->n; i++) {
		struct group *gr = &sc->grp[sc->ngrp++];
		struct lq_ynode *v = g->items[i], *c;
		char what[200];
		gr->name = g->keys[i]->str;
		gr->cap = gr->min = NAN;
		if (lq_ynull(v))
			continue;
		if (lq_ymap_check(d, v, "a group", group_keys, err))
			return -1;
		if ((c = lq_ymap_get(v, "cap")) &&
		    lq_ynum(d, c, "cap", &gr->cap, err))
			return -1;
		if ((c = lq_ymap_get(v, "min")) &&
		    lq_ynum(d, c, "min", &gr->min, err))
			return -1;
		if (!isnan(gr->cap) && !isnan(gr->min) && gr->min > gr->cap)
			return lq_yerr(d, v, err, "group '%s': min (%g) is above "
			    "cap (%g)", gr->name, gr->min, gr->cap);
		/*
		 * A group where nothing fired has 0 points: a cap below 0 or
		 * a floor above 0 would move every such lead.
		 */
		snprintf(what, sizeof(what), "group '%s': cap", gr->name);
		if ((c = lq_ymap_get(v, "cap")) &&
		    lq_ynum_in(d, c, what, 0, INFINITY, &gr->cap, err))
			return -1;
		snprintf(what, sizeof(what), "group '%s': min", gr->name);
		if ((c = lq_ymap_get(v, "min")) &&
		    lq_ynum_in(d, c, what, -INFINITY, 0, &gr->min, err))
			return -1;
	}
	return 0;
}

static int
load_signal(struct lq_score *sc, struct lq_ynode *v, struct lq_err *err)
{
	struct lq_ydoc *d = &sc->doc;
	struct signal *s = &sc->sig[sc->nsig];
	struct lq_ynode *c, *when, *events;
	const char *str;

	if (lq_ymap_check(d, v, "a signal", sig_keys, err))
		return -1;
	if (!(c = lq_ymap_get(v, "name")))
		return lq_yerr(d, v, err, "signal without a name");
	if (lq_ystr(d, c, "name", &s->name, err))
		return -1;
	if (lq_strmap_put(&sc->names, s->name, sc->nsig) >= 0)
		return lq_yerr(d, c, err, "duplicate signal name '%s'",
		    s->name);
	if (!(c = lq_ymap_get(v, "group")))
		return lq_yerr(d, v, err, "signal '%s' has no group", s->name);
	if (lq_ystr(d, c, "group", &str, err))
		return -1;
	if ((s->group = find_group(sc, str)) < 0)
		return lq_yerr(d, c, err, "signal '%s': unknown group '%s' "
		    "(declare it under groups:)", s->name, str);
	if (!(c = lq_ymap_get(v, "points")))
		return lq_yerr(d, v, err, "signal '%s' has no points", s->name);
	if (lq_ynum(d, c, "points", &s->points, err))
		return -1;
	when = lq_ymap_get(v, "when");
	events = lq_ymap_get(v, "events");
	if (!!when == !!events)
		return lq_yerr(d, v, err, "signal '%s' needs exactly one of "
		    "'when' (a condition) or 'events' (timestamps)", s->name);
	s->max = NAN;
	if ((c = lq_ymap_get(v, "max"))) {
		if (lq_ynum(d, c, "max", &s->max, err))
			return -1;
		if (!events)
			return lq_yerr(d, c, err, "max applies to 'events' "
			    "signals only");
		if ((s->max < 0) != (s->points < 0) || s->max == 0)
			return lq_yerr(d, c, err, "max (%g) must have the sign "
			    "of points (%g)%s", s->max, s->points, s->max == 0 ?
			    " and not be 0" : "");
	}
	if (events) {
		s->decay = 1;
		if (!(c = lq_ymap_get(v, "half_life")))
			return lq_yerr(d, v, err, "signal '%s': events need "
			    "a half_life (such as 14d)", s->name);
		if (lq_ydur(d, c, "half_life", &s->half_life, err))
			return -1;
		if (s->half_life <= 0)
			return lq_yerr(d, c, err, "half_life must be above 0, "
			    "not %s", c->str);
	} else if ((c = lq_ymap_get(v, "half_life"))) {
		return lq_yerr(d, c, err, "half_life applies to 'events' "
		    "signals only");
	}
	if ((s->slot = add_expr(sc, when ? when : events, when ? "when" :
	    "events", err)) < 0)
		return -1;
	if ((c = lq_ymap_get(v, "requires"))) {
		if (lq_yexpect(d, c, LQ_Y_SEQ, "requires", err))
			return -1;
		s->req = calloc(c->n + 1, sizeof(*s->req));
		for (size_t i = 0; i < c->n; i++) {
			if (lq_ystr(d, c->items[i], "requires", &str, err))
				return -1;
			if (parse_path(str, &s->req[s->nreq++]))
				return lq_yerr(d, c->items[i], err,
				    "requires: '%s' is not a path such as "
				    "company.employees", str);
		}
	} else {
		s->req = calloc(1, sizeof(*s->req));
		if (!leading_path((when ? when : events)->str, &s->req[0]))
			s->nreq = 1;
	}
	for (int k = 0; k < s->nreq; k++)
		if ((s->req[k].slot = add_path(sc, &s->req[k], v, err)) < 0)
			return -1;
	s->weight = fabs(s->decay && !isnan(s->max) ? s->max : s->points);
	sc->nsig++;
	return 0;
}

static int
load_disq(struct lq_score *sc, struct lq_ynode *v, struct lq_err *err)
{
	struct lq_ydoc *d = &sc->doc;
	struct disq *q = &sc->dq[sc->ndq];
	struct lq_ynode *c;
	const char *str;

	if (lq_ymap_check(d, v, "a disqualifier", dq_keys, err))
		return -1;
	if (!(c = lq_ymap_get(v, "name")) || lq_ystr(d, c, "name", &q->name,
	    err))
		return c ? -1 : lq_yerr(d, v, err, "disqualifier without a "
		    "name");
	if (!(c = lq_ymap_get(v, "when")))
		return lq_yerr(d, v, err, "disqualifier '%s' has no 'when'",
		    q->name);
	if ((q->slot = add_expr(sc, c, "when", err)) < 0)
		return -1;
	q->tier = 3;
	if ((c = lq_ymap_get(v, "tier"))) {
		if (lq_ystr(d, c, "tier", &str, err))
			return -1;
		if ((q->tier = parse_tier(str)) < 0)
			return lq_yerr(d, c, err, "tier must be L1, L2, L3 or "
			    "L4, not '%s'", str);
	}
	q->action = q->tier == 3 ? "nurture" : "route";
	if ((c = lq_ymap_get(v, "action"))) {
		if (lq_ystr(d, c, "action", &q->action, err))
			return -1;
		if (strcmp(q->action, "route") && strcmp(q->action, "review") &&
		    strcmp(q->action, "nurture"))
			return lq_yerr(d, c, err, "action must be route, "
			    "review or nurture, not '%s'", q->action);
	}
	q->reason = q->name;
	if ((c = lq_ymap_get(v, "reason")) && lq_ystr(d, c, "reason",
	    &q->reason, err))
		return -1;
	sc->ndq++;
	return 0;
}

static void precompute(struct lq_score *sc);

static int
load(struct lq_score *sc, const char *path, const char *text, size_t len,
    struct lq_err *err)
{
	struct lq_ydoc *d = &sc->doc;
	struct lq_ynode *root, *c, *v;

	if (text ? lq_config_section_mem(d, path, text, len, "score", &root,
	    err) : lq_config_section(d, path, "score", &root, err))
		return -1;
	if (lq_ymap_check(d, root, "the score section", top_keys, err))
		return -1;
	if (load_groups(sc, lq_ymap_get(root, "groups"), err))
		return -1;

	if (!(c = lq_ymap_get(root, "tiers")))
		return lq_yerr(d, root, err, "score: no 'tiers:' (minimum "
		    "points for L1, L2 and L3)");
	if (lq_ymap_check(d, c, "tiers", tier_keys, err))
		return -1;
	for (int i = 0; i < 3; i++) {
		if (!(v = lq_ymap_get(c, tier_names[i])))
			return lq_yerr(d, c, err, "tiers: %s is missing",
			    tier_names[i]);
		if (lq_ynum(d, v, tier_names[i], &sc->tier[i], err))
			return -1;
		if (i && sc->tier[i] >= sc->tier[i - 1])
			return lq_yerr(d, v, err, "tiers: %s (%g) must be below "
			    "%s (%g)", tier_names[i], sc->tier[i],
			    tier_names[i - 1], sc->tier[i - 1]);
	}

	sc->band = 0;
	sc->min_conf = 0;
	if ((c = lq_ymap_get(root, "review"))) {
		if (lq_ymap_check(d, c, "review", review_keys, err))
			return -1;
		if ((v = lq_ymap_get(c, "band")) &&
		    lq_ynum_in(d, v, "review band", 0, INFINITY, &sc->band,
		    err))
			return -1;
		if ((v = lq_ymap_get(c, "min_confidence")) &&
		    lq_ynum_in(d, v, "min_confidence", 0, 1, &sc->min_conf,
		    err))
			return -1;
	}
	sc->margin = 10;
	sc->floor = 0.5;
	if ((c = lq_ymap_get(root, "confidence"))) {
		if (lq_ymap_check(d, c, "confidence", conf_keys, err))
			return -1;
		if ((v = lq_ymap_get(c, "margin"))) {
			if (lq_ynum(d, v, "confidence margin", &sc->margin,
			    err))
				return -1;
			if (sc->margin <= 0)	/* it divides */
				return lq_yerr(d, v, err, "confidence margin "
				    "must be above 0, not %s", v->str);
		}
		if ((v = lq_ymap_get(c, "floor")) &&
		    lq_ynum_in(d, v, "confidence floor", 0, 1, &sc->floor,
		    err))
			return -1;
	}

	if (!(c = lq_ymap_get(root, "signals")))
		return lq_yerr(d, root, err, "score: no 'signals:'");
	if (lq_yexpect(d, c, LQ_Y_SEQ, "signals", err))
		return -1;
	sc->sig = calloc(c->n + 1, sizeof(*sc->sig));
	for (size_t i = 0; i < c->n; i++)
		if (load_signal(sc, c->items[i], err))
			return -1;
	if ((c = lq_ymap_get(root, "disqualify"))) {
		if (lq_yexpect(d, c, LQ_Y_SEQ, "disqualify", err))
			return -1;
		sc->dq = calloc(c->n + 1, sizeof(*sc->dq));
		for (size_t i = 0; i < c->n; i++)
			if (load_disq(sc, c->items[i], err))
				return -1;
	}
	if (lq_exprs_compile_in(sc->x, &sc->doc, err))
		return -1;
	sc->ev = lq_eval_new(sc->x);
	precompute(sc);
	sc->pts = calloc((size_t)sc->nsig + 1, sizeof(double));
	sc->state = calloc((size_t)sc->nsig + 1, sizeof(int));
	sc->why = calloc((size_t)sc->nsig + 1, sizeof(char *));
	sc->nevents = calloc((size_t)sc->nsig + 1, sizeof(int));
	return 0;
}

static char *
take(struct lq_buf *b, size_t *len)
{
	*len = b->len;
	return b->buf;
}

/* the constant JSON text of reasons and groups, built once */
static void
precompute(struct lq_score *sc)
{
	struct lq_buf b;

	for (int i = 0; i < sc->ngrp; i++) {
		lq_buf_init(&b);
		lq_buf_json_strs(&b, sc->grp[i].name);
		lq_buf_addc(&b, ':');
		sc->grp[i].json = take(&b, &sc->grp[i].jsonlen);
	}
	for (int i = 0; i < sc->nsig; i++) {
		lq_buf_init(&b);
		lq_buf_adds(&b, "{\"signal\":");
		lq_buf_json_strs(&b, sc->sig[i].name);
		lq_buf_adds(&b, ",\"group\":");
		lq_buf_json_strs(&b, sc->grp[sc->sig[i].group].name);
		sc->sig[i].json = take(&b, &sc->sig[i].jsonlen);
		lq_buf_init(&b);
		lq_buf_add(&b, sc->sig[i].json, sc->sig[i].jsonlen);
		lq_buf_adds(&b, ",\"points\":");
		lq_buf_json_round(&b, sc->sig[i].points, 2);
		lq_buf_addc(&b, '}');
		sc->sig[i].fired = take(&b, &sc->sig[i].firedlen);
		for (int k = 0; k < sc->sig[i].nreq; k++) {
			struct path *r = &sc->sig[i].req[k];
			struct lq_buf m = LQ_BUF_INIT;
			lq_buf_adds(&m, "missing ");
			lq_buf_adds(&m, r->text);
			lq_buf_init(&b);
			lq_buf_adds(&b, ",\"unknown\":");
			lq_buf_json_strs(&b, m.buf);
			lq_buf_addc(&b, '}');
			lq_buf_release(&m);
			r->miss = take(&b, &r->misslen);
		}
	}
	for (int i = 0; i < sc->ndq; i++) {
		lq_buf_init(&b);
		lq_buf_adds(&b, "{\"disqualifier\":");
		lq_buf_json_strs(&b, sc->dq[i].name);
		lq_buf_adds(&b, ",\"tier\":\"");
		lq_buf_adds(&b, tier_names[sc->dq[i].tier]);
		lq_buf_adds(&b, "\",\"reason\":");
		lq_buf_json_strs(&b, sc->dq[i].reason);
		sc->dq[i].json = take(&b, &sc->dq[i].jsonlen);
	}
}

struct lq_score *
lq_score_load_mem(const char *path, const char *text, size_t len,
    struct lq_err *err)
{
	struct lq_score *sc = calloc(1, sizeof(*sc));

	if (!sc)
		abort();
	sc->x = lq_exprs_new();
	lq_exprs_check_numbers(sc->x);
	sc->now = lq_time_now();
	if (load(sc, path, text, len, err)) {
		lq_score_free(sc);
		return NULL;
	}
	return sc;
}

struct lq_score *
lq_score_load(const char *path, struct lq_err *err)
{
	return lq_score_load_mem(path, NULL, 0, err);
}

void
lq_score_free(struct lq_score *sc)
{
	if (!sc)
		return;
	lq_buf_release(&sc->dqtext);
	/* sig has one spare entry, which may hold a half-loaded signal */
	for (int i = 0; sc->sig && i <= sc->nsig; i++) {
		for (int k = 0; k < sc->sig[i].nreq; k++) {
			struct path *p = &sc->sig[i].req[k];
			free(p->text);
			free(p->miss);
		}
		free(sc->sig[i].req);
		free(sc->sig[i].json);
		free(sc->sig[i].fired);
		lq_buf_release(&sc->sig[i].why);
		lq_buf_release(&sc->sig[i].whyjson);
	}
	for (int i = 0; sc->grp && i < sc->ngrp; i++)
		free(sc->grp[i].json);
	for (int i = 0; sc->dq && i < sc->ndq; i++)
		free(sc->dq[i].json);
	free(sc->sig);
	free(sc->grp);
	free(sc->dq);
	free(sc->pts);
	free(sc->state);
	free(sc->why);
	free(sc->nevents);
	lq_strmap_release(&sc->names);
	lq_strmap_release(&sc->paths);
	free(sc->fields);
	lq_eval_free(sc->ev);
	lq_exprs_free(sc->x);
	lq_yaml_release(&sc->doc);
	free(sc);
}

void
lq_score_set_now(struct lq_score *sc, double now)
{
	sc->now = now;
}

int
lq_score_nsignals(const struct lq_score *sc)
{
	return sc->nsig;
}

const char *
lq_score_signal_name(const struct lq_score *sc, int i)
{
	return sc->sig[i].name;
}

/* ---- evaluation ------------------------------------------------------- */

static const char *
first_missing(struct lq_score *sc, const struct signal *s)
{
	for (int k = 0; k < s->nreq; k++)
		if (lq_eval_missing(sc->ev, s->req[k].slot))
			return s->req[k].text;
	return NULL;
}

/* Decayed points of the timestamps slot produced. */
static double
decay_points(const struct lq_score *sc, const struct signal *s, long n,
    int *nevents, int *nbad)
{
	double sum = 0, t;

	*nevents = *nbad = 0;
	for (long k = 0; k < n; k++) {
		if (lq_eval_time(sc->ev, s->slot, k, &t) < 0) {
			(*nbad)++;
			continue;
		}
		double age = sc->now - t;
		if (age < 0)
			age = 0;
		sum += s->points * pow(0.5, age / s->half_life);
		(*nevents)++;
	}
	if (!isnan(s->max)) {
		if (s->points >= 0 && sum > s->max)
			sum = s->max;
		if (s->points < 0 && sum < s->max)
			sum = s->max;
	}
	return sum;
}

/* Interpret the evaluated slots into sc->pts/state/why. */
static void
interpret(struct lq_score *sc)
{
	for (int i = 0; i < sc->nsig; i++) {
		struct signal *s = &sc->sig[i];
		const char *why = NULL, *miss;
		sc->pts[i] = 0;
		sc->state[i] = 0;
		sc->nevents[i] = 0;
		if (s->decay) {
			long n = lq_eval_count(sc->ev, s->slot);
			if (n < 0) {
				if (!(miss = first_missing(sc, s)))
					lq_eval_truth(sc->ev, s->slot, &why);
				sc->state[i] = 2;
				sc->why[i] = miss ? miss : why;
				continue;
			}
			int nbad;
			double p = decay_points(sc, s, n, &sc->nevents[i],
			    &nbad);
			if (sc->nevents[i]) {
				sc->pts[i] = p;
				sc->state[i] = 1;
			} else if (nbad) {
				sc->state[i] = 2;
				sc->why[i] = "no valid timestamp";
			} else if ((why = first_missing(sc, s))) {
				sc->state[i] = 2;
				sc->why[i] = why;
			}
			continue;
		}
		switch (lq_eval_truth(sc->ev, s->slot, NULL)) {
		case LQ_TRUE:
			sc->pts[i] = s->points;
			sc->state[i] = 1;
			break;
		case LQ_UNKNOWN:
			/* say "missing .x" rather than jq's message about null;
			 * jq's message is only written when it is shown */
			if (!(miss = first_missing(sc, s)))
				lq_eval_truth(sc->ev, s->slot, &why);
			sc->state[i] = 2;
			sc->why[i] = miss ? miss : why;
			break;
		case LQ_FALSE:
			if ((why = first_missing(sc, s))) {
				sc->state[i] = 2;
				sc->why[i] = why;
			}
			break;
		}
	}
}

int
lq_score_signals_record(struct lq_score *sc, const char *line, size_t len,
    const struct lq_scan *scan, const char *skipkey, double *points,
    struct lq_err *err)
{
	if (lq_eval_record(sc->ev, line, len, scan, skipkey, err) < 0)
		return -1;
	interpret(sc);
	for (int i = 0; i < sc->nsig; i++)
		points[i] = sc->state[i] == 2 ? NAN : sc->pts[i];
	return 0;
}

int
lq_score_disqualifier(struct lq_score *sc, int *tier, const char **action,
    struct lq_buf *reasons)
{
	int dq = -1;

	for (int i = 0; i < sc->ndq; i++) {
		if (lq_eval_truth(sc->ev, sc->dq[i].slot, NULL) != LQ_TRUE)
			continue;
		if (dq >= 0)
			lq_buf_addc(reasons, ',');
		lq_buf_add(reasons, sc->dq[i].json, sc->dq[i].jsonlen);
		if (dq >= 0)
			lq_buf_adds(reasons, ",\"overridden\":true");
		lq_buf_adds(reasons, ",\"text\":");
		lq_buf_reset(&sc->dqtext);
		lq_buf_addf(&sc->dqtext, "%s: %s (%s)", dq >= 0 ? "also "
		    "disqualified" : "disqualified by the rules", sc->dq[i].name,
		    sc->dq[i].reason);
		lq_buf_json_strs(reasons, sc->dqtext.buf);
		lq_buf_addc(reasons, '}');
		if (dq < 0) {
			dq = i;
			*tier = sc->dq[i].tier;
			*action = sc->dq[i].action;
		}
	}
	return dq;
}

static const struct path *
missing_req(const struct signal *s, const char *why)
{
	for (int k = 0; k < s->nreq; k++)
		if (why == s->req[k].text)
			return &s->req[k];
	return NULL;
}

/* ,"unknown":WHY} for signal s, whose JSON text is kept for the next */
static void
add_unknown(struct signal *s, const char *why, struct lq_buf *out)
{
	const struct path *r = missing_req(s, why);

	if (r) {
		lq_buf_add(out, r->miss, r->misslen);
		return;
	}
	if (!s->why.buf || strcmp(s->why.buf, why)) {
		lq_buf_reset(&s->why);
		lq_buf_adds(&s->why, why);
		lq_buf_reset(&s->whyjson);
		lq_buf_adds(&s->whyjson, ",\"unknown\":");
		lq_buf_json_strs(&s->whyjson, why);
		lq_buf_addc(&s->whyjson, '}');
	}
	lq_buf_add(out, s->whyjson.buf, s->whyjson.len);
}

/* a group's sum within its cap and floor */
static double
clamp_group(const struct group *gr, double v)
{
	if (!isnan(gr->cap) && v > gr->cap)
		v = gr->cap;
	if (!isnan(gr->min) && v < gr->min)
		v = gr->min;
	return v;
}

/* the counts of one record's signals, for the confidence */
struct tally {
	double all_w, unknown_w;	/* weights: all signals, unknown ones */
	int nunknown;
};

/*
 * Each group's sum into g[0..ngrp) and the weights into *t.  Each group's
 * sum stays in a register while its signals run on: the same additions in
 * the same order, without a store per signal.
 */
static void
sum_groups(const struct lq_score *sc, double *g, struct tally *t)
{
	int cg = -1;
	double acc = 0;

	for (int i = 0; i < sc->ngrp; i++)
		g[i] = 0;
	for (int i = 0; i < sc->nsig; i++) {
		t->all_w += sc->sig[i].weight;
		if (sc->state[i] == 2) {
			t->unknown_w += sc->sig[i].weight;
			t->nunknown++;
		}
		if (sc->sig[i].group != cg) {
			if (cg >= 0)
				g[cg] = acc;
			cg = sc->sig[i].group;
			acc = g[cg];
		}
		acc += sc->pts[i];
	}
	if (cg >= 0)
		g[cg] = acc;
}

/* tier, confidence and action of a record with points total, dq the first
 * disqualifier that holds (or -1) */
static void
grade(const struct lq_score *sc, double total, int dq, const struct tally *t,
    int *tier, double *conf, const char **action)
{
	double dist = INFINITY;

	*tier = 3;
	for (int i = 0; i < 3; i++)
		if (total >= sc->tier[i]) {
			*tier = i;
			break;
		}
	for (int i = 0; i < 3; i++)
		if (fabs(total - sc->tier[i]) < dist)
			dist = fabs(total - sc->tier[i]);
	double coverage = t->all_w > 0 ? 1 - t->unknown_w / t->all_w : 1;
	double margin = dist / sc->margin;
	if (margin > 1)
		margin = 1;
	*conf = coverage * (sc->floor + (1 - sc->floor) * margin);
	if (dq >= 0) {
		*tier = sc->dq[dq].tier;
		*action = sc->dq[dq].action;
		*conf = 1;
	} else if (*tier == 3 && dist >= sc->band && *conf >= sc->min_conf) {
		*action = "nurture";
	} else if (dist < sc->band || *conf < sc->min_conf) {
		*action = "review";
	} else {
		*action = "route";
	}
}

/* "reasons":[...] body: disqualifiers, signals that fired or are
 * unknown, groups held at their cap or floor */
static void
write_reasons(struct lq_score *sc, const double *g, int dq,
    struct lq_buf *out)
{
	int first = 1;

	for (int i = 0; i < sc->ndq; i++) {
		if (lq_eval_truth(sc->ev, sc->dq[i].slot, NULL) != LQ_TRUE)
			continue;
		lq_buf_adds(out, first ? "" : ",");
		first = 0;
		lq_buf_add(out, sc->dq[i].json, sc->dq[i].jsonlen);
		if (i != dq)
			lq_buf_adds(out, ",\"overridden\":true");
		lq_buf_addc(out, '}');
	}
	for (int i = 0; i < sc->nsig; i++) {
		struct signal *s = &sc->sig[i];
		if (!sc->state[i])
			continue;
		lq_buf_adds(out, first ? "" : ",");
		first = 0;
		if (sc->state[i] == 2) {
			lq_buf_add(out, s->json, s->jsonlen);
			add_unknown(s, sc->why[i], out);
		} else if (!s->decay) {
			lq_buf_add(out, s->fired, s->firedlen);
		} else {
			lq_buf_add(out, s->json, s->jsonlen);
			lq_buf_adds(out, ",\"points\":");
			lq_buf_json_round(out, sc->pts[i], 2);
			lq_buf_adds(out, ",\"events\":");
			lq_buf_add_int(out, sc->nevents[i]);
			lq_buf_adds(out, ",\"base\":");
			lq_buf_json_num(out, s->points);
			lq_buf_adds(out, ",\"half_life_days\":");
			lq_buf_json_round(out, s->half_life / LQ_DAY, 3);
			lq_buf_addc(out, '}');
		}
	}
	for (int i = 0; i < sc->ngrp; i++) {
		const struct group *gr = &sc->grp[i];
		if (!((!isnan(gr->cap) && g[i] > gr->cap) ||
		    (!isnan(gr->min) && g[i] < gr->min)))
			continue;
		double v = g[i] > gr->cap ? gr->cap : gr->min;
		lq_buf_adds(out, first ? "" : ",");
		first = 0;
		lq_buf_adds(out, "{\"group\":");
		lq_buf_json_strs(out, gr->name);
		lq_buf_adds(out, ",\"capped\":");
		lq_buf_json_round(out, v, 2);
		lq_buf_adds(out, ",\"uncapped\":");
		lq_buf_json_round(out, g[i], 2);
		lq_buf_addc(out, '}');
	}
}

int
lq_score_eval(struct lq_score *sc, const char *line, size_t len,
    const struct lq_scan *scan, const char *key, struct lq_buf *out,
    struct lq_err *err)
{
	double gsum[64], *g = gsum, total = 0, conf;
	struct tally t = { 0, 0, 0 };
	const char *action;
	int dq = -1, tier;

	if (lq_eval_record(sc->ev, line, len, scan, key, err) < 0)
		return -1;
	interpret(sc);
	for (int i = 0; i < sc->nfields; i++) {
		int k = lq_eval_kind(sc->ev, sc->fields[i].slot);
		if (k >= 0)
			sc->fields[i].kinds[k]++;
	}
	lq_buf_grow(out, 256 + (size_t)sc->nsig * 64);
	if (sc->ngrp > 64)
		g = lq_xcalloc((size_t)sc->ngrp, sizeof(double));
	sum_groups(sc, g, &t);
	for (int i = 0; i < sc->ngrp; i++)
		total += clamp_group(&sc->grp[i], g[i]);
	total = round(total * 100) / 100;
	for (int i = 0; i < sc->ndq && dq < 0; i++)
		if (lq_eval_truth(sc->ev, sc->dq[i].slot, NULL) == LQ_TRUE)
			dq = i;
	grade(sc, total, dq, &t, &tier, &conf, &action);

	lq_buf_adds(out, "{\"points\":");
	lq_buf_json_round(out, total, 2);	/* = json_num: total is rounded */
	lq_buf_adds(out, ",\"tier\":\"");
	lq_buf_adds(out, tier_names[tier]);
	lq_buf_adds(out, "\",\"confidence\":");
	lq_buf_json_round(out, conf, 2);
	lq_buf_adds(out, ",\"action\":\"");
	lq_buf_adds(out, action);
	lq_buf_adds(out, "\",\"groups\":{");
	for (int i = 0; i < sc->ngrp; i++) {
		if (i)
			lq_buf_addc(out, ',');
		lq_buf_add(out, sc->grp[i].json, sc->grp[i].jsonlen);
		lq_buf_json_round(out, clamp_group(&sc->grp[i], g[i]), 2);
	}
	lq_buf_adds(out, "},\"unknown\":");
	lq_buf_add_int(out, t.nunknown);
	lq_buf_adds(out, ",\"reasons\":[");
	write_reasons(sc, g, dq, out);
	lq_buf_adds(out, "]}");
	if (g != gsum)
		free(g);
	return 0;
}

void
lq_score_explain(const struct lq_score *sc, struct lq_buf *out)
{
	for (int i = 0; i < sc->nsig; i++) {
		const struct signal *s = &sc->sig[i];
		lq_buf_addf(out, "signal %-28s %s", s->name,
		    lq_exprs_is_native(sc->x, s->slot) ? "native" : "jq");
		for (int k = 0; k < s->nreq; k++)
			lq_buf_addf(out, "%s%s", k ? ", " : "  requires ",
			    s->req[k].text);
		lq_buf_addc(out, '\n');
	}
	for (int i = 0; i < sc->ndq; i++)
		lq_buf_addf(out, "disqualifier %-22s %s\n", sc->dq[i].name,
		    lq_exprs_is_native(sc->x, sc->dq[i].slot) ? "native" :
		    "jq");
}

/* n with thousands separators: 9,103 */
static void
add_count(struct lq_buf *out, long n)
{
	char d[32];
	int len = snprintf(d, sizeof(d), "%ld", n);

	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0 && d[i - 1] != '-')
			lq_buf_addc(out, ',');
		lq_buf_addc(out, d[i]);
	}
}

void
lq_score_summary(const struct lq_score *sc, struct lq_buf *out)
{
	static const char *const names[] = { "numbers", "strings",
		"booleans", "arrays", "objects" };

	for (int i = 0; i < sc->nfields; i++) {
		const long *k = sc->fields[i].kinds;
		long n[5] = { k[NV_NUMBER], k[NV_STRING], k[NV_TRUE] +
			k[NV_FALSE], k[NV_ARRAY], k[NV_OBJECT] };
		int kinds = 0, first = 1;
		for (int j = 0; j < 5; j++)
			kinds += n[j] > 0;
		if (kinds < 2)
			continue;
		lq_buf_adds(out, "field ");
		lq_buf_adds(out, sc->fields[i].text);
		lq_buf_addc(out, ':');
		for (int j = 0; j < 5; j++) {
			if (!n[j])
				continue;
			lq_buf_adds(out, first ? " " : ", ");
			first = 0;
			add_count(out, n[j]);
			lq_buf_addc(out, ' ');
			lq_buf_adds(out, n[j] == 1 ? "" : names[j]);
			if (n[j] == 1)
				lq_buf_add(out, names[j], strlen(names[j]) - 1);
		}
		if (k[NV_NULL]) {
			lq_buf_adds(out, ", ");
			add_count(out, k[NV_NULL]);
			lq_buf_adds(out, " null");
		}
		lq_buf_addc(out, '\n');
	}
}
