/*
 * train.c - collect labelled records, encode features, fit, calibrate,
 * cut tiers and evaluate (see lq_train.h).
 */
#include <fnmatch.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lq_expr.h"
#include "lq_gbdt.h"
#include "lq_json.h"
#include "lq_model.h"
#include "lq_optim.h"
#include "lq_score.h"
#include "lq_time.h"
#include "lq_train.h"
#include "lq_yaml.h"

#define MAX_DISTINCT 200000	/* per column; more values pool as rare */
#define OVERFLOW_ID 0xffffffffu
#define MAX_DEPTH 4

/* one candidate feature, stored column-wise */
struct col {
	char *name;
	char **path;
	int npath, length;
	enum lq_fsrc src;
	int slot;		/* expression slot or signal index */
	char *expr;
	int excluded;
	float *num;		/* NAN: not a number */
	uint32_t *sid;		/* 0: not a string; else id + 1 */
	long nnum, nstr;
	/* interned strings */
	char **str;
	size_t nstrs, capstrs;
	uint32_t *tab;		/* hash table of id + 1 */
	size_t tabcap;
};

struct lq_train {
	struct lq_train_opts o;
	struct lq_ydoc doc;
	int have_doc;
	struct lq_score *sc;
	struct lq_exprs *x;
	struct lq_eval *ev;	/* per-record results of x (native) */
	struct lq_scan scan;
	struct lq_buf kbuf[MAX_DEPTH], vbuf;	/* decoded keys and strings */
	int label_slot, holdout_slot, time_slot;
	char *label_field;	/* top-level key the label reads */
	char *time_key;
	struct col *c;
	int nc, capc;
	uint32_t *ctab;		/* column lookup: hash of name -> index + 1 */
	size_t ctabcap;
	long n, cap, skipped;
	uint8_t *y, *test;
	double *t;
	double *sig;
	char **excl;		/* from the train: section */
	int nexcl;
	char **incl;
	int nincl;
	struct lq_buf key;
	struct lq_buf bad;	/* why the record being added is bad */
	struct lq_buf guardjs;	/* the report's left_out lines */
};

void
lq_train_opts_init(struct lq_train_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->folds = 5;
	o->lambda = -1;
	o->l1_precision = 0.8;
	o->l4_rate = -1;
	o->min_count = 10;
	o->max_levels = 100;
	o->gtol = 1e-5;
}


/* splitmix64: fold assignment by row number */
static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* ---- setup ------------------------------------------------------------ */

static int
add_expr_text(struct lq_train *t, const char *text, const char *what,
    struct lq_err *err)
{
	struct lq_expr_src src = { what, 1, 1, 0 };

	return lq_exprs_add(t->x, text, &src, err);
}

/* The top-level key an expression starts with (".stage == 1" -> stage). */
static char *
leading_key(const char *e)
{
	size_t n = 0;

	while (*e == ' ' || *e == '(')
		e++;
	if (*e != '.')
		return NULL;
	e++;
	if (*e == '[' && e[1] == '"') {
		const char *q = strchr(e + 2, '"');
		return q ? strndup(e + 2, (size_t)(q - e - 2)) : NULL;
	}
	while (e[n] == '_' || (e[n] >= 'a' && e[n] <= 'z') ||
	    (e[n] >= 'A' && e[n] <= 'Z') || (e[n] >= '0' && e[n] <= '9'))
		n++;
	return n ? strndup(e, n) : NULL;
}

static struct col *
new_col(struct lq_train *t, const char *name)
{
	struct col *c;

	if (t->nc == t->capc) {
		t->capc = t->capc ? 2 * t->capc : 32;
		t->c = realloc(t->c, (size_t)t->capc * sizeof(*t->c));
	}
	c = &t->c[t->nc++];
	memset(c, 0, sizeof(*c));
	c->name = strdup(name);
	return c;
}

static const char *const train_keys[] = { "label", "features", "exclude",
	"include", NULL };
static const char *const tfeat_keys[] = { "name", "expr", "description",
	NULL };

static int
strlist(struct lq_train *t, struct lq_ynode *n, const char *what,
    char ***out, int *nout, struct lq_err *err)
{
	const char *s;

	if (!n)
		return 0;
	if (lq_yexpect(&t->doc, n, LQ_Y_SEQ, what, err))
		return -1;
	*out = calloc(n->n + 1, sizeof(char *));
	for (size_t i = 0; i < n->n; i++) {
		if (lq_ystr(&t->doc, n->items[i], what, &s, err))
			return -1;
		(*out)[(*nout)++] = strdup(s);
	}
	return 0;
}

static int
load_rules(struct lq_train *t, struct lq_err *err)
{
	struct lq_ydoc *d = &t->doc;
	struct lq_ynode *sec, *c;
	const char *s;

	if (lq_yaml_load(d, t->o.rules, err))
		return -1;
	t->have_doc = 1;
	if (d->root && d->root->kind == LQ_Y_MAP && lq_ymap_get(d->root,
	    "score")) {
		if (!(t->sc = lq_score_load(t->o.rules, err)))
			return -1;
		if (t->o.now)
			lq_score_set_now(t->sc, t->o.now);
		int ns = lq_score_nsignals(t->sc);
		t->sig = calloc((size_t)ns + 1, sizeof(double));
		for (int i = 0; i < ns; i++) {
			lq_buf_reset(&t->key);
			lq_buf_addf(&t->key, "signal.%s",
			    lq_score_signal_name(t->sc, i));
			struct col *col = new_col(t, t->key.buf);
			col->src = LQ_FS_SIGNAL;
			col->slot = i;
			col->expr = strdup(lq_score_signal_name(t->sc, i));
		}
	}
	if (!d->root || d->root->kind != LQ_Y_MAP ||
	    !(sec = lq_ymap_get(d->root, "train")))
		return 0;
	if (lq_ymap_check(d, sec, "the train section", train_keys, err))
		return -1;
	if ((c = lq_ymap_get(sec, "label")) && !t->o.label) {
		if (lq_ystr(d, c, "label", &t->o.label, err))
			return -1;
	}
	if (strlist(t, lq_ymap_get(sec, "exclude"), "exclude", &t->excl,
	    &t->nexcl, err) || strlist(t, lq_ymap_get(sec, "include"),
	    "include", &t->incl, &t->nincl, err))
		return -1;
	if (!(c = lq_ymap_get(sec, "features")))
		return 0;
	if (lq_yexpect(d, c, LQ_Y_SEQ, "features", err))
		return -1;
	for (size_t i = 0; i < c->n; i++) {
		struct lq_ynode *f = c->items[i], *v;
		const char *name;
		if (lq_ymap_check(d, f, "a train feature", tfeat_keys, err))
			return -1;
		if (!(v = lq_ymap_get(f, "name")) || lq_ystr(d, v, "name",
		    &name, err))
			return v ? -1 : lq_yerr(d, f, err, "feature without a "
			    "name");
		if (!(v = lq_ymap_get(f, "expr")) || lq_ystr(d, v, "expr", &s,
		    err))
			return v ? -1 : lq_yerr(d, f, err, "feature '%s' has "
			    "no expr", name);
		for (int k = 0; k < t->nc; k++)
			if (!strcmp(t->c[k].name, name))
				return lq_yerr(d, v, err, "duplicate feature "
				    "'%s'", name);
		struct col *col = new_col(t, name);
		col->src = LQ_FS_EXPR;
		col->expr = strdup(s);
		if ((col->slot = lq_exprs_add_node(t->x, d, v, "expr", err)) < 0)
			return -1;
	}
	return 0;
}

static int name_excluded(const struct lq_train *t, const char *name);

struct lq_train *
lq_train_new(const struct lq_train_opts *o, struct lq_err *err)
{
	struct lq_train *t = calloc(1, sizeof(*t));

	if (!t)
		abort();
	t->o = *o;
	t->x = lq_exprs_new();
	t->label_slot = t->holdout_slot = t->time_slot = -1;
	if (t->o.rules && load_rules(t, err))
		goto fail;
	if (!t->o.label) {
		lq_err_set(err, LQ_EXIT_USAGE, "no label: give --label EXPR "
		    "(or label: in the train: section)");
		goto fail;
	}
	if ((t->label_slot = add_expr_text(t, t->o.label, "--label", err)) < 0)
		goto fail;
	t->label_field = leading_key(t->o.label);
	if (t->o.holdout && (t->holdout_slot = add_expr_text(t, t->o.holdout,
	    "--holdout", err)) < 0)
		goto fail;
	if (t->o.time_field) {
		if (t->o.time_field[0] == '.') {
			if ((t->time_slot = add_expr_text(t, t->o.time_field,
			    "--time-field", err)) < 0)
				goto fail;
			t->time_key = leading_key(t->o.time_field);
		} else {
			t->time_key = strdup(t->o.time_field);
		}
	}
	if (lq_exprs_compile_in(t->x, t->have_doc ? &t->doc : NULL, err) ||
	    !(t->ev = lq_eval_new(t->x)))
		goto fail;
	for (int i = 0; i < t->nc; i++)	/* signals, train: features */
		t->c[i].excluded = name_excluded(t, t->c[i].name);
	if (t->o.folds < 2 || t->o.folds > 100) {
		lq_err_set(err, LQ_EXIT_USAGE, "--cv must be 2..100");
		goto fail;
	}
	return t;
fail:
	if (!err->code)
		err->code = LQ_EXIT_USAGE;
	err->code = LQ_EXIT_USAGE;
	lq_train_free(t);
	return NULL;
}

void
lq_train_free(struct lq_train *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->nc; i++) {
		struct col *c = &t->c[i];
		free(c->name);
		for (int k = 0; k < c->npath; k++)
			free(c->path[k]);
		free(c->path);
		free(c->expr);
		free(c->num);
		free(c->sid);
		for (size_t k = 0; k < c->nstrs; k++)
			free(c->str[k]);
		free(c->str);
		free(c->tab);
	}
	free(t->c);
	free(t->ctab);
	free(t->y);
	free(t->test);
	free(t->t);
	free(t->sig);
	for (int i = 0; i < t->nexcl; i++)
		free(t->excl[i]);
	free(t->excl);
	for (int i = 0; i < t->nincl; i++)
		free(t->incl[i]);
	free(t->incl);
	free(t->label_field);
	free(t->time_key);
	lq_buf_release(&t->key);
	lq_buf_release(&t->bad);
	lq_buf_release(&t->guardjs);
	lq_score_free(t->sc);
	lq_eval_free(t->ev);
	lq_scan_release(&t->scan);
	for (int i = 0; i < MAX_DEPTH; i++)
		lq_buf_release(&t->kbuf[i]);
	lq_buf_release(&t->vbuf);
	lq_exprs_free(t->x);
	if (t->have_doc)
		lq_yaml_release(&t->doc);
	free(t);
}

long
lq_train_rows(const struct lq_train *t)
{
	return t->n;
}

long
lq_train_skipped(const struct lq_train *t)
{
	return t->skipped;
}

/* ---- collecting ------------------------------------------------------- */

static uint32_t
intern(struct col *c, const char *s, size_t n)
{
	uint64_t h = lq_hash_bytes(s, n);
	size_t i;

	if (2 * (c->nstrs + 1) > c->tabcap) {
		size_t nc = c->tabcap ? 2 * c->tabcap : 64;
		uint32_t *nt = calloc(nc, sizeof(uint32_t));
		for (size_t k = 0; k < c->nstrs; k++) {
			const char *q = c->str[k];
			size_t j = lq_hash_bytes(q, strlen(q)) & (nc - 1);
			while (nt[j])
				j = (j + 1) & (nc - 1);
			nt[j] = (uint32_t)k + 1;
		}
		free(c->tab);
		c->tab = nt;
		c->tabcap = nc;
	}
	for (i = h & (c->tabcap - 1); c->tab[i]; i = (i + 1) & (c->tabcap - 1)) {
		const char *q = c->str[c->tab[i] - 1];
		if (!strncmp(q, s, n) && q[n] == 0)
			return c->tab[i] - 1;
	}
	if (c->nstrs >= MAX_DISTINCT || memchr(s, 0, n))
		return OVERFLOW_ID;
	if (c->nstrs == c->capstrs) {
		c->capstrs = c->capstrs ? 2 * c->capstrs : 16;
		c->str = realloc(c->str, c->capstrs * sizeof(char *));
	}
	c->str[c->nstrs] = strndup(s, n);
	c->tab[i] = (uint32_t)c->nstrs + 1;
	return (uint32_t)c->nstrs++;
}

static int
name_excluded(const struct lq_train *t, const char *name)
{
	for (int i = 0; i < t->o.nexclude; i++)
		if (!fnmatch(t->o.exclude[i], name, 0))
			return 1;
	for (int i = 0; i < t->nexcl; i++)
		if (!fnmatch(t->excl[i], name, 0))
			return 1;
	if (!t->o.ninclude && !t->nincl)
		return 0;
	for (int i = 0; i < t->o.ninclude; i++)
		if (!fnmatch(t->o.include[i], name, 0))
			return 0;
	for (int i = 0; i < t->nincl; i++)
		if (!fnmatch(t->incl[i], name, 0))
			return 0;
	return 1;
}

static void
grow_col(struct lq_train *t, struct col *c, int want_num, int want_sid)
{
	if (want_num && !c->num) {
		c->num = malloc((size_t)t->cap * sizeof(float));
		for (long i = 0; i < t->cap; i++)
			c->num[i] = NAN;
	}
	if (want_sid && !c->sid)
		c->sid = calloc((size_t)t->cap, sizeof(uint32_t));
}

/* Find or create the field column for path (joined in t->key). */
static struct col *
field_col(struct lq_train *t, const char *const *path, int npath, int length)
{
	const char *name = t->key.buf;
	size_t n = t->key.len;
	uint64_t h = lq_hash_bytes(name, n) ^ (uint64_t)length;
	size_t i;

	if (2 * ((size_t)t->nc + 1) > t->ctabcap) {
		size_t nc = t->ctabcap ? 2 * t->ctabcap : 128;
		uint32_t *nt = calloc(nc, sizeof(uint32_t));
		for (int k = 0; k < t->nc; k++) {
			struct col *c = &t->c[k];
			if (c->src != LQ_FS_FIELD)
				continue;
			size_t j = (lq_hash_bytes(c->name, strlen(c->name)) ^
			    (uint64_t)c->length) & (nc - 1);
			while (nt[j])
				j = (j + 1) & (nc - 1);
			nt[j] = (uint32_t)k + 1;
		}
		free(t->ctab);
		t->ctab = nt;
		t->ctabcap = nc;
	}
	for (i = h & (t->ctabcap - 1); t->ctab[i]; i = (i + 1) &
	    (t->ctabcap - 1)) {
		struct col *c = &t->c[t->ctab[i] - 1];
		if (c->length == length && !strcmp(c->name, name))
			return c;
	}
	struct col *c = new_col(t, name);
	c->src = LQ_FS_FIELD;
	c->length = length;
	c->path = calloc((size_t)npath + 1, sizeof(char *));
	for (int k = 0; k < npath; k++)
		c->path[k] = strdup(path[k]);
	c->npath = npath;
	if (npath == 1 && ((t->label_field && !strcmp(path[0],
	    t->label_field)) || (t->time_key && !strcmp(path[0],
	    t->time_key))))
		c->excluded = 1;
	if (npath == 1 && (!strcmp(path[0], "score") || !strcmp(path[0],
	    "route")))
		c->excluded = 1;
	if (name_excluded(t, c->name))
		c->excluded = 1;
	/* a train: feature or signal of that name replaces the field */
	for (int k = 0; k < t->nc - 1; k++)
		if (t->c[k].src != LQ_FS_FIELD && !strcmp(t->c[k].name, name))
			c->excluded = 1;
	t->ctab[i] = (uint32_t)(c - t->c) + 1;
	return c;
}

/*
 * Store the number d (text[0..n) as written, or NULL) in c's row.  Columns
 * are floats: a magnitude beyond FLT_MAX (3.4e38) is kept as +-FLT_MAX,
 * in the tail that robust scaling clips.  A number that is not finite in
 * a double (1e400, which jq reads as infinity and writes as +-DBL_MAX)
 * cannot be trusted at all: the record is bad (t->bad says why).
 */
static void
put_num(struct lq_train *t, struct col *c, double d, const char *text,
    size_t n)
{
	if (!(fabs(d) < DBL_MAX)) {
		if (t->bad.len)
			return;
		lq_buf_addf(&t->bad, "%s: number out of range: ", c->name);
		if (text)
			lq_buf_addf(&t->bad, "%.*s", (int)(n < 40 ? n : 40),
			    text);
		else
			lq_buf_addf(&t->bad, "%g", d);
		return;
	}
	grow_col(t, c, 1, 0);
	c->num[t->n] = d > FLT_MAX ? FLT_MAX : d < -FLT_MAX ? -FLT_MAX :
	    (float)d;
	c->nnum++;
}

/* Forget what a bad record left in row t->n of every column. */
static void
clear_row(struct lq_train *t)
{
	for (int i = 0; i < t->nc; i++) {
		struct col *c = &t->c[i];
		if (c->num && !isnan(c->num[t->n])) {
			c->num[t->n] = NAN;
			c->nnum--;
		}
		if (c->sid && c->sid[t->n]) {
			c->sid[t->n] = 0;
			c->nstr--;
		}
	}
}

static void
put_value(struct lq_train *t, struct col *c, jv v, const char *text,
    size_t n)
{
	long r = t->n;

	switch (jv_get_kind(v)) {
	case JV_KIND_NUMBER:
		put_num(t, c, jv_number_value(v), text, n);
		break;
	case JV_KIND_STRING:
		for (int i = 0; i < t->o.nnullv; i++)
			if (!strcmp(t->o.nullv[i], jv_string_value(v)))
				return;	/* a placeholder: missing */
		grow_col(t, c, 0, 1);
		c->sid[r] = intern(c, jv_string_value(v),
		    (size_t)jv_string_length_bytes(jv_copy(v))) + 1;
		c->nstr++;
		break;
	case JV_KIND_TRUE:
	case JV_KIND_FALSE:
		grow_col(t, c, 0, 1);
		c->sid[r] = intern(c, jv_get_kind(v) == JV_KIND_TRUE ? "true" :
		    "false", jv_get_kind(v) == JV_KIND_TRUE ? 4 : 5) + 1;
		c->nstr++;
		break;
	default:
		break;
	}
}

/* the scalar JSON text p[0..n) (valid) as a jv */
static jv
raw_scalar(struct lq_train *t, const char *p, size_t n)
{
	double d;

	switch (*p) {
	case '"':
		lq_buf_reset(&t->vbuf);
		lq_json_unescape(&t->vbuf, p, n);
		return jv_string_sized(t->vbuf.buf ? t->vbuf.buf : "",
		    (int)t->vbuf.len);
	case 't':
		return jv_true();
	case 'f':
		return jv_false();
	case 'n':
		return jv_null();
	default:
		d = strtod(p, NULL);	/* 1e400: infinity, as jq 1.6 reads it */
		return jv_number(d);
	}
}

/* one member: key k[0..kn) raw, value v[0..vn) raw */
static void walk_obj(struct lq_train *t, const char *obj, const char **path,
    int depth);

static void
walk_member(struct lq_train *t, const char *k, size_t kn, const char *v,
    size_t vn, const char **path, int depth)
{
	size_t mark = t->key.len;
	struct lq_buf *kb = &t->kbuf[depth];

	lq_buf_reset(kb);
	lq_json_unescape(kb, k, kn);
	if (!kb->buf)
		lq_buf_grow(kb, 1);
	path[depth] = kb->buf;
	if (depth)
		lq_buf_addc(&t->key, '.');
	if (memchr(kb->buf, '.', kb->len)) {
		/* "a.b" is not a -> b: quoted in the name */
		lq_buf_addc(&t->key, '"');
		lq_buf_add(&t->key, kb->buf, kb->len);
		lq_buf_addc(&t->key, '"');
	} else {
		lq_buf_add(&t->key, kb->buf, kb->len);
	}
	if (*v == '{' && depth + 1 < MAX_DEPTH) {
		if (!(depth == 0 && ((t->label_field &&
		    !strcmp(path[0], t->label_field)) ||
		    !strcmp(path[0], "score") || !strcmp(path[0], "route"))))
			walk_obj(t, v, path, depth + 1);
	} else if (*v == '[') {
		lq_buf_adds(&t->key, ".length");
		struct col *c = field_col(t, path, depth + 1, 1);
		if (!c->excluded) {
			grow_col(t, c, 1, 0);
			c->num[t->n] = (float)lq_json_array_len(v);
			c->nnum++;
		}
	} else if (*v != '{') {
		struct col *c = field_col(t, path, depth + 1, 0);
		if (!c->excluded) {
			jv x = raw_scalar(t, v, vn);
			put_value(t, c, x, v, vn);
			jv_free(x);
		}
	}
	t->key.len = mark;
	t->key.buf[mark] = 0;
}

static void
walk_obj(struct lq_train *t, const char *obj, const char **path, int depth)
{
	struct lq_json_iter it;
	const char *k, *v;
	size_t kn, vn;

	lq_json_iter_start(&it, obj);
	while (lq_json_iter_next(&it, &k, &kn, &v, &vn))
		walk_member(t, k, kn, v, vn, path, depth);
}

/*
 * The automatic features of a record, straight from its scanned bytes:
 * scalars by dotted name, objects walked, arrays as their length.
 */
static void
walk(struct lq_train *t, const char *line, const char **path)
{
	const struct lq_scan *s = &t->scan;

	for (size_t i = 0; i < s->n; i++) {
		const struct lq_member *m = &s->m[i];
		walk_member(t, line + m->kstart, m->klen, line + m->vstart,
		    m->vend - m->vstart, path, 0);
	}
}

static void
grow_rows(struct lq_train *t)
{
	long nc = t->cap ? 2 * t->cap : 1024;

	t->y = realloc(t->y, (size_t)nc);
	t->test = realloc(t->test, (size_t)nc);
	t->t = realloc(t->t, (size_t)nc * sizeof(double));
	for (int i = 0; i < t->nc; i++) {
		struct col *c = &t->c[i];
		if (c->num) {
			c->num = realloc(c->num, (size_t)nc * sizeof(float));
			for (long k = t->cap; k < nc; k++)
				c->num[k] = NAN;
		}
		if (c->sid) {
			c->sid = realloc(c->sid, (size_t)nc * sizeof(uint32_t));
			memset(c->sid + t->cap, 0, (size_t)(nc - t->cap) *
			    sizeof(uint32_t));
		}
	}
	t->cap = nc;
}

/* the times lq_time_format() can write: years 0000 to 9999 */
#define TIME_MIN (-62167219200.0)
#define TIME_MAX 253402300799.0

/*
 * v (consumed) as a time in *tm: NAN when it is null (the row has no
 * time).  Anything else that is not an RFC 3339 time or epoch seconds
 * (milliseconds beyond 1e11) of the years 0000 to 9999 is an error, with
 * the value in err: a time read wrong would put the row on the wrong side
 * of the split and give the model a date span that never was.
 */
static int
jv_time(jv v, double *tm, const char *what, const char *text, size_t n,
    struct lq_err *err)
{
	*tm = NAN;
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		*tm = lq_time_from_number(jv_number_value(v));
	else if (jv_get_kind(v) == JV_KIND_STRING && lq_time_parse(
	    jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)),
	    tm))
		*tm = HUGE_VAL;
	if (jv_get_kind(v) == JV_KIND_NULL || (*tm >= TIME_MIN &&
	    *tm <= TIME_MAX)) {
		jv_free(v);
		return 0;
	}
	*tm = NAN;
	if (text) {
		lq_err_set(err, LQ_EXIT_RECORDS, "%s: not a time: %.*s", what,
		    (int)(n < 60 ? n : 60), text);
		jv_free(v);
		return -1;
	}
	jv s = jv_dump_string(v, 0);
	lq_err_set(err, LQ_EXIT_RECORDS, "%s: not a time: %.60s", what,
	    jv_string_value(s));
	jv_free(s);
	return -1;
}

int
lq_train_add(struct lq_train *t, const char *line, size_t len,
    struct lq_err *err)
{
	jv out;
	const char *path[MAX_DEPTH];
	int y;

	/* label, holdout, time and expression features: evaluated from the
	 * raw record (lq_expr.h), natively where the expressions allow */
	if (lq_json_scan(&t->scan, line, len, err) < 0 ||
	    lq_eval_record(t->ev, line, len, &t->scan, NULL, err) < 0)
		return -1;
	out = lq_eval_count(t->ev, t->label_slot) < 0 ?
	    lq_eval_output(t->ev, t->label_slot, 0) :
	    lq_eval_count(t->ev, t->label_slot) > 0 ?
	    jv_array_append(jv_array(), lq_eval_output(t->ev, t->label_slot,
	    0)) : jv_array();
	if (!jv_is_valid(out)) {
		jv m = jv_invalid_get_msg(out);
		lq_err_set(err, LQ_EXIT_RECORDS, "label: %s",
		    jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) :
		    "error");
		jv_free(m);
		goto bad;
	}
	jv first = jv_array_length(jv_copy(out)) ? jv_array_get(jv_copy(out),
	    0) : jv_null();
	jv_free(out);
	switch (jv_get_kind(first)) {
	case JV_KIND_TRUE:
		y = 1;
		break;
	case JV_KIND_FALSE:
		y = 0;
		break;
	case JV_KIND_NULL:
		y = -1;
		break;
	default:
		lq_err_set(err, LQ_EXIT_RECORDS, "label is %s, not true, false "
		    "or null", jv_kind_name(jv_get_kind(first)));
		jv_free(first);
		goto bad;
	}
	jv_free(first);
	if (y < 0) {
		t->skipped++;
		return 0;
	}
	if (t->n == t->cap)
		grow_rows(t);
	t->y[t->n] = (uint8_t)y;
	t->test[t->n] = t->holdout_slot >= 0 && lq_eval_truth(t->ev,
	    t->holdout_slot, NULL) == LQ_TRUE;
	t->t[t->n] = NAN;
	if (t->time_slot >= 0) {
		if (lq_eval_count(t->ev, t->time_slot) > 0 &&
		    jv_time(lq_eval_output(t->ev, t->time_slot, 0),
		    &t->t[t->n], t->o.time_field, NULL, 0, err))
			goto bad;
	} else if (t->time_key) {
		long m = lq_scan_find(&t->scan, line, t->time_key,
		    strlen(t->time_key));
		if (m >= 0) {
			const char *v = line + t->scan.m[m].vstart;
			size_t vn = t->scan.m[m].vend - t->scan.m[m].vstart;
			/* an object or array is no time (raw_scalar: scalars) */
			if (jv_time(*v == '{' || *v == '[' ? jv_array() :
			    raw_scalar(t, v, vn), &t->t[t->n], t->time_key, v,
			    vn, err))
				goto bad;
		}
	}
	/* signals and expression features */
	if (t->sc && lq_score_signals_record(t->sc, line, len, &t->scan, NULL,
	    t->sig, err))
		goto bad;
	lq_buf_reset(&t->bad);
	for (int i = 0; i < t->nc; i++) {
		struct col *c = &t->c[i];
		if (c->excluded)
			continue;
		if (c->src == LQ_FS_SIGNAL) {
			if (!isnan(t->sig[c->slot]))
				put_num(t, c, t->sig[c->slot], NULL, 0);
		} else if (c->src == LQ_FS_EXPR) {
			if (lq_eval_count(t->ev, c->slot) > 0) {
				jv e = lq_eval_output(t->ev, c->slot, 0);
				put_value(t, c, e, NULL, 0);
				jv_free(e);
			}
		}
	}
	lq_buf_reset(&t->key);
	lq_buf_addc(&t->key, 0);
	lq_buf_reset(&t->key);
	walk(t, line, path);
	if (t->bad.len) {
		clear_row(t);
		lq_err_set(err, LQ_EXIT_RECORDS, "%s", t->bad.buf);
		goto bad;
	}
	t->n++;
	return 1;
bad:
	return -1;
}

/* ---- encoding --------------------------------------------------------- */

struct enc {
	struct col *c;
	struct lq_feat *f;
	int off;		/* first weight index */
	uint32_t *u;		/* categorical: column within the feature */
	float *x;		/* numeric: scaled value, NAN missing */
};

static double
quantile(const double *v, long n, double q)
{
	double pos = q * (double)(n - 1);
	long i = (long)floor(pos);

	if (i >= n - 1)
		return v[n - 1];
	return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct col *cnt_col;
static long *cnt_of;

static int
cmp_level(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (cnt_of[x] != cnt_of[y])
		return cnt_of[x] < cnt_of[y] ? 1 : -1;
	return strcmp(cnt_col->str[x], cnt_col->str[y]);
}

static void
feat_alloc(struct lq_feat *f, int ncol)
{
	f->ncol = ncol;
	f->w = calloc((size_t)ncol, sizeof(double));
	f->se = calloc((size_t)ncol, sizeof(double));
	f->count = calloc((size_t)ncol, sizeof(long));
}

static void
feat_source(struct lq_feat *f, const struct col *c)
{
	f->name = strdup(c->name);
	f->src = c->src;
	f->length = c->length;
	f->slot = c->slot;
	if (c->expr)
		f->expr = strdup(c->expr);
	if (c->npath) {
		f->path = calloc((size_t)c->npath, sizeof(char *));
		for (int i = 0; i < c->npath; i++)
			f->path[i] = strdup(c->path[i]);
		f->npath = c->npath;
	}
}

/* Encode column c as a categorical feature; 0 if it carries no signal. */
static int
encode_cat(struct lq_train *t, struct col *c, struct lq_feat *f, struct enc *e)
{
	char txt[64];
	long *cnt;
	uint32_t *ids, *map;
	int nkeep = 0;

	grow_col(t, c, 0, 1);
	if (c->num)
		for (long i = 0; i < t->n; i++)
			if (!isnan(c->num[i]) && !c->sid[i]) {
				lq_num_level(c->num[i], txt, sizeof(txt));
				c->sid[i] = intern(c, txt, strlen(txt)) + 1;
			}
	cnt = calloc(c->nstrs + 1, sizeof(long));
	for (long i = 0; i < t->n; i++) {
		if (t->test[i])
			continue;
		if (c->sid[i] && c->sid[i] != OVERFLOW_ID + 1)
			cnt[c->sid[i] - 1]++;
	}
	ids = calloc(c->nstrs + 1, sizeof(uint32_t));
	for (size_t k = 0; k < c->nstrs; k++)
		if (cnt[k] >= t->o.min_count && cnt[k] > 0)
			ids[nkeep++] = (uint32_t)k;
	cnt_col = c;
	cnt_of = cnt;
	qsort(ids, (size_t)nkeep, sizeof(uint32_t), cmp_level);
	if (t->o.max_levels > 0 && nkeep > t->o.max_levels)
		nkeep = t->o.max_levels;
	feat_source(f, c);
	f->type = LQ_FT_CAT;
	f->nlev = nkeep;
	f->levels = calloc((size_t)nkeep + 1, sizeof(char *));
	feat_alloc(f, nkeep + 2);
	map = malloc((c->nstrs + 1) * sizeof(uint32_t));
	for (size_t k = 0; k < c->nstrs; k++)
		map[k] = (uint32_t)LQ_COL_OTHER(f);
	for (int k = 0; k < nkeep; k++) {
		f->levels[k] = strdup(c->str[ids[k]]);
		map[ids[k]] = (uint32_t)k;
	}
	for (long i = 0; i < t->n; i++) {
		uint32_t s = c->sid[i];
		c->sid[i] = !s ? (uint32_t)LQ_COL_MISSING(f) : s == OVERFLOW_ID
		    + 1 ? (uint32_t)LQ_COL_OTHER(f) : map[s - 1];
		if (!t->test[i])
			f->count[c->sid[i]]++;
	}
	int used = 0;
	for (int k = 0; k < f->ncol; k++)
		used += f->count[k] > 0;
	/* profile: shares of the training rows */
	f->npshare = f->ncol;
	f->pshare = calloc((size_t)f->ncol, sizeof(double));
	long ntr = 0;
	for (int k = 0; k < f->ncol; k++)
		ntr += f->count[k];
	for (int k = 0; k < f->ncol; k++)
		f->pshare[k] = ntr ? round(1e4 * f->count[k] / ntr) / 1e4 : 0;
	free(cnt);
	free(ids);
	free(map);
	e->u = c->sid;
	return used >= 2;
}

static int
encode_num(struct lq_train *t, struct col *c, struct lq_feat *f, struct enc *e)
{
	long nv = 0, nmiss = 0;
	double *v = malloc((size_t)(t->n + 1) * sizeof(double));

	grow_col(t, c, 1, 0);
	for (long i = 0; i < t->n; i++) {
		if (t->test[i])
			continue;
		if (isnan(c->num[i]))
			nmiss++;
		else
			v[nv++] = c->num[i];
	}
	if (!nv) {
		free(v);
		return 0;
	}
	qsort(v, (size_t)nv, sizeof(double), cmp_dbl);
	feat_source(f, c);
	f->type = LQ_FT_NUM;
	feat_alloc(f, 2);
	f->lo = -HUGE_VAL;
	f->hi = HUGE_VAL;
	/* profile: decile edges in raw units */
	f->npedge = 11;
	f->pedge = calloc(11, sizeof(double));
	for (int k = 0; k <= 10; k++)
		f->pedge[k] = quantile(v, nv, k / 10.0);
	f->npshare = 10;
	f->pshare = calloc(10, sizeof(double));
	for (long i = 0; i < nv; i++) {
		int k = 0;
		while (k < 9 && v[i] >= f->pedge[k + 1])
			k++;
		f->pshare[k] += 1;
	}
	for (int k = 0; k < 10; k++)
		f->pshare[k] = round(1e4 * f->pshare[k] / nv) / 1e4;
	double mean = 0, sd = 0;
	for (long i = 0; i < nv; i++)
		mean += v[i];
	mean /= nv;
	for (long i = 0; i < nv; i++)
		sd += (v[i] - mean) * (v[i] - mean);
	sd = sqrt(sd / nv);
	if (t->o.standard) {
		f->center = mean;
		f->scale = sd > 0 ? sd : 1;
	} else {
		double q50 = quantile(v, nv, .5), iqr = quantile(v, nv, .75) -
		    quantile(v, nv, .25), spread = iqr > 0 ? iqr : sd;
		if (spread > 0 && (v[nv - 1] - q50 > 10 * spread ||
		    q50 - v[0] > 10 * spread)) {
			f->logt = 1;
			f->center = 0;
			f->scale = 1;
			for (long i = 0; i < nv; i++)
				v[i] = lq_feat_scale(f, v[i]);
			/* still sorted: the transform is monotonic */
			mean = 0;
			for (long i = 0; i < nv; i++)
				mean += v[i];
			mean /= nv;
			sd = 0;
			for (long i = 0; i < nv; i++)
				sd += (v[i] - mean) * (v[i] - mean);
			sd = sqrt(sd / nv);
		}
		q50 = quantile(v, nv, .5);
		iqr = quantile(v, nv, .75) - quantile(v, nv, .25);
		f->center = iqr > 0 ? q50 : mean;
		f->scale = iqr > 0 ? iqr / 1.349 : sd > 0 ? sd : 1;
		double lo = quantile(v, nv, .001), hi = quantile(v, nv, .999);
		f->lo = (lo - f->center) / f->scale;
		f->hi = (hi - f->center) / f->scale;
		if (!(f->hi > f->lo)) {
			f->lo = -HUGE_VAL;
			f->hi = HUGE_VAL;
		}
	}
	int constant = v[0] == v[nv - 1];
	for (long i = 0; i < t->n; i++) {
		double x = c->num[i];
		if (isnan(x))
			continue;
		x = lq_feat_scale(f, x);
		if (x < f->lo)
			x = f->lo;
		if (x > f->hi)
			x = f->hi;
		/* a float can hold it (a tiny scale could blow it up) */
		c->num[i] = x > FLT_MAX ? FLT_MAX : x < -FLT_MAX ? -FLT_MAX :
		    (float)x;
	}
	f->count[0] = nv;
	f->count[1] = nmiss;
	free(v);
	e->x = c->num;
	return !constant || (nmiss > 0 && nv > 0);
}


static long *order_desc(const double *p, long n);

/* ---- guards ----------------------------------------------------------- */

/* Whether a guard may leave out the feature name (not --include/--keep). */
static int
guarded(const struct lq_train *t, const char *name)
{
	if (t->o.no_guards)
		return 0;
	for (int i = 0; i < t->o.nkeep; i++)
		if (!fnmatch(t->o.keep[i], name, 0))
			return 0;
	for (int i = 0; i < t->o.ninclude; i++)
		if (!fnmatch(t->o.include[i], name, 0))
			return 0;
	for (int i = 0; i < t->nincl; i++)
		if (!fnmatch(t->incl[i], name, 0))
			return 0;
	return 1;
}

#define GUARD_MIN_ROWS 20	/* fewer values: no guard decides */
#define ID_SHARE 0.9		/* distinct values per row of an identifier */

/*
 * Whether column c of a field looks like an identifier on the training
 * rows: nearly one distinct value per row (strings, or whole numbers), or
 * numbers that only rise (or only fall) with the row order.  The evidence
 * goes to why.
 */
static int
ident_like(const struct lq_train *t, const struct col *c, struct lq_buf *why)
{
	long nn = 0, distinct = 0;

	if (c->src != LQ_FS_FIELD || c->length)
		return 0;
	if (c->nstr > c->nnum) {
		char *seen = calloc(c->nstrs + 1, 1);
		for (long i = 0; i < t->n; i++) {
			uint32_t s = c->sid ? c->sid[i] : 0;
			if (t->test[i] || !s)
				continue;
			nn++;
			if (s == OVERFLOW_ID + 1)
				distinct++;
			else if (!seen[s - 1]) {
				seen[s - 1] = 1;
				distinct++;
			}
		}
		free(seen);
		if (nn >= GUARD_MIN_ROWS && distinct >= ID_SHARE * nn) {
			lq_buf_addf(why, "%ld distinct values in %ld rows",
			    distinct, nn);
			return 1;
		}
		return 0;
	}
	if (!c->num)
		return 0;
	double *v = malloc((size_t)(t->n + 1) * sizeof(double));
	int whole = 1, up = 1, down = 1;
	double prev = NAN;
	for (long i = 0; i < t->n; i++) {
		double x = c->num[i];
		if (t->test[i] || isnan(x))
			continue;
		if (x != floor(x))
			whole = 0;
		if (!isnan(prev)) {
			up &= x >= prev;
			down &= x <= prev;
		}
		prev = x;
		v[nn++] = x;
	}
	qsort(v, (size_t)nn, sizeof(double), cmp_dbl);
	for (long i = 0; i < nn; i++)
		distinct += !i || v[i] != v[i - 1];
	free(v);
	if (nn < GUARD_MIN_ROWS)
		return 0;
	if (whole && distinct >= ID_SHARE * nn) {
		lq_buf_addf(why, "%ld distinct whole numbers in %ld rows%s",
		    distinct, nn, up ? ", rising with the row order" : down ?
		    ", falling with the row order" : "");
		return 1;
	}
	if ((up || down) && distinct >= 10 && distinct * 10 >= nn) {
		lq_buf_addf(why, "%s with the row order (%ld distinct values "
		    "in %ld rows)", up ? "rises" : "falls", distinct, nn);
		return 1;
	}
	return 0;
}

#define LEAK_AUC 0.95		/* a feature alone ranks this well */
#define LEAK_SHARE 0.05		/* a level this large ... */
#define LEAK_PURITY 0.1		/* ... with the other outcome this rare */
#define LEAK_CHANCE 1e-6	/* a pure level this unlikely by chance */

struct grp { double rate; long n, pos; };

static int
cmp_grp(const void *a, const void *b)
{
	const struct grp *x = a, *y = b;

	return (x->rate > y->rate) - (x->rate < y->rate);
}

/*
 * The AUC of groups scored by their own rate (ties within a group count
 * half), and as 1 - AUC when the order is reversed: how well the feature
 * alone ranks the rows.
 */
static double
group_auc(struct grp *g, int ng, long pos, long neg)
{
	double a = 0;
	long below = 0;

	qsort(g, (size_t)ng, sizeof(*g), cmp_grp);
	for (int i = 0; i < ng;) {
		int j = i;
		long tp = 0, tn = 0;
		while (j < ng && g[j].rate == g[i].rate) {
			tp += g[j].pos;
			tn += g[j].n - g[j].pos;
			j++;
		}
		a += (double)tp * below + 0.5 * (double)tp * tn;
		below += tn;
		i = j;
	}
	a /= (double)pos * neg;
	return a;
}

/*
 * Whether encoded feature f (rows in e) predicts the label almost alone
 * on the training rows: a single-feature AUC of LEAK_AUC or more, or a
 * level that separates the outcome: one holding LEAK_SHARE of the rows
 * or more in which the other outcome is under LEAK_PURITY of its base
 * rate, or one that converted every time, which chance under the base
 * rate would give less than LEAK_CHANCE of the time (a level that never
 * converts is what a disqualifier looks like, students or competitors:
 * only its share makes it suspect).  Evidence in why.
 */
static int
leak_like(const struct lq_train *t, const struct lq_feat *f,
    const struct enc *e, struct lq_buf *why)
{
	long pos = 0, n = 0;
	double auc;

	for (long i = 0; i < t->n; i++)
		if (!t->test[i]) {
			n++;
			pos += t->y[i];
		}
	if (n < GUARD_MIN_ROWS || !pos || pos == n)
		return 0;
	double base = (double)pos / n;
	if (f->type == LQ_FT_CAT) {
		struct grp *g = calloc((size_t)f->ncol, sizeof(*g));
		for (long i = 0; i < t->n; i++)
			if (!t->test[i]) {
				g[e->u[i]].n++;
				g[e->u[i]].pos += t->y[i];
			}
		int worst = -1;
		for (int k = 0; k < f->ncol; k++) {
			struct grp *q = &g[k];
			q->rate = q->n ? (double)q->pos / q->n : base;
			if (q->n < t->o.min_count || q->n < 5)
				continue;
			double other = q->rate < base ? q->rate : 1 - q->rate;
			double lim = LEAK_PURITY * (q->rate < base ? base :
			    1 - base);
			double chance = pow(q->rate < base ? 1 - base : base,
			    (double)q->n);
			int hit = (q->n >= LEAK_SHARE * n && other <= lim) ||
			    (q->pos == q->n && chance < LEAK_CHANCE);
			if (hit && (worst < 0 || q->n > g[worst].n))
				worst = k;	/* the largest such level */
		}
		if (worst >= 0)
			lq_buf_addf(why, "'%s' converts %.1f%% of %ld rows "
			    "(base rate %.1f%%)", worst < f->nlev ?
			    f->levels[worst] : worst == LQ_COL_OTHER(f) ?
			    "(other)" : "(missing)", 100 * g[worst].rate,
			    g[worst].n, 100 * base);
		struct grp *h = malloc((size_t)f->ncol * sizeof(*h));
		memcpy(h, g, (size_t)f->ncol * sizeof(*h));
		auc = group_auc(h, f->ncol, pos, n - pos);
		free(h);
		free(g);
		if (worst >= 0)
			return 1;
	} else {
		/* numbers: each distinct value a group (missing left out) */
		long nv = 0, vp = 0;
		double *v = malloc((size_t)(t->n + 1) * sizeof(double));
		long *o = malloc((size_t)(t->n + 1) * sizeof(long));
		for (long i = 0; i < t->n; i++)
			if (!t->test[i] && !isnan(e->x[i])) {
				o[nv] = i;
				v[nv++] = e->x[i];
				vp += t->y[i];
			}
		auc = NAN;
		if (nv >= GUARD_MIN_ROWS && vp && vp < nv) {
			struct grp *g = calloc((size_t)nv, sizeof(*g));
			long *ord = order_desc(v, nv);
			int ng = 0;
			for (long k = 0; k < nv; k++) {
				if (!k || v[ord[k]] != v[ord[k - 1]]) {
					g[ng].rate = -(double)ng;	/* desc */
					ng++;
				}
				g[ng - 1].n++;
				g[ng - 1].pos += t->y[o[ord[k]]];
			}
			auc = group_auc(g, ng, vp, nv - vp);
			free(ord);
			free(g);
		}
		free(v);
		free(o);
		if (isnan(auc))
			return 0;
	}
	if (auc < 0.5)
		auc = 1 - auc;
	if (auc >= LEAK_AUC) {
		lq_buf_addf(why, "alone it ranks the leads with AUC %.3f", auc);
		return 1;
	}
	return 0;
}

/* ---- fitting ---------------------------------------------------------- */

struct fit {
	struct enc *e;
	int ne, d;
	const uint8_t *y;
	const long *idx;	/* the rows of this fit */
	long n;
	double lambda;
	double *z, *r;
};

static inline double
log1pexp(double z)
{
	return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

static inline double
sigmoid(double z)
{
	if (z >= 0)
		return 1 / (1 + exp(-z));
	double ez = exp(z);
	return ez / (1 + ez);
}

/* z[k] = log-odds of row idx[k] */
static void
predict(const struct enc *e, int ne, const double *w, const long *idx,
    long n, double *z)
{
	for (long k = 0; k < n; k++)
		z[k] = w[0];
	for (int j = 0; j < ne; j++) {
		const double *we = w + e[j].off;
		if (e[j].u) {
			const uint32_t *u = e[j].u;
			for (long k = 0; k < n; k++)
				z[k] += we[u[idx[k]]];
		} else {
			const float *x = e[j].x;
			for (long k = 0; k < n; k++) {
				float v = x[idx[k]];
				z[k] += isnan(v) ? we[1] : we[0] * v;
			}
		}
	}
}

static double
objective(void *ctx, const double *w, double *g)
{
	struct fit *p = ctx;
	double f = 0, g0 = 0;

	predict(p->e, p->ne, w, p->idx, p->n, p->z);
	for (long k = 0; k < p->n; k++) {
		double z = p->z[k];
		int y = p->y[p->idx[k]];
		f += log1pexp(z) - (y ? z : 0);
		p->r[k] = sigmoid(z) - y;
		g0 += p->r[k];
	}
	memset(g, 0, (size_t)p->d * sizeof(double));
	g[0] = g0;
	for (int j = 0; j < p->ne; j++) {
		double *ge = g + p->e[j].off;
		if (p->e[j].u) {
			const uint32_t *u = p->e[j].u;
			for (long k = 0; k < p->n; k++)
				ge[u[p->idx[k]]] += p->r[k];
		} else {
			const float *x = p->e[j].x;
			for (long k = 0; k < p->n; k++) {
				float v = x[p->idx[k]];
				if (isnan(v))
					ge[1] += p->r[k];
				else
					ge[0] += p->r[k] * v;
			}
		}
	}
	for (int i = 1; i < p->d; i++) {
		f += 0.5 * p->lambda * w[i] * w[i];
		g[i] += p->lambda * w[i];
	}
	return f;
}

/* the objective in preconditioned coordinates v = sqrt(D) w */
struct pre {
	struct fit *p;
	double *sd;		/* sqrt(D) */
	double *w;
};

static double
objective_pre(void *ctx, const double *v, double *g)
{
	struct pre *q = ctx;
	int d = q->p->d;

	for (int j = 0; j < d; j++)
		q->w[j] = v[j] / q->sd[j];
	double f = objective(q->p, q->w, g);
	for (int j = 0; j < d; j++)
		g[j] /= q->sd[j];
	return f;
}

#define NEWTON_MAX_D 600
#define HESS_SAMPLE 25000

/* The row's active columns and values (intercept first). */
static int
row_cols(const struct fit *p, long i, int *cols, double *vals)
{
	int nc = 0;

	cols[nc] = 0;
	vals[nc++] = 1;
	for (int j = 0; j < p->ne; j++) {
		if (p->e[j].u) {
			cols[nc] = p->e[j].off + (int)p->e[j].u[i];
			vals[nc++] = 1;
		} else {
			float v = p->e[j].x[i];
			cols[nc] = p->e[j].off + (isnan(v) ? 1 : 0);
			vals[nc++] = isnan(v) ? 1 : v;
		}
	}
	return nc;
}

/*
 * Newton's method with a backtracking line search: exact Hessian
 * X'WX + lambda I (dense, d <= NEWTON_MAX_D).  Few iterations however
 * ill-conditioned the one-hot design is.
 */
static int
fit_newton(struct fit *p, double *w, double gtol, int *iters)
{
	int d = p->d, it, status = 1;
	double *H = malloc((size_t)d * d * sizeof(double));
	double *g = malloc((size_t)d * sizeof(double));
	double *dx = malloc((size_t)d * sizeof(double));
	double *wn = malloc((size_t)d * sizeof(double));
	double *gn = malloc((size_t)d * sizeof(double));
	int *cols = malloc(((size_t)p->ne + 1) * sizeof(int));
	double *vals = malloc(((size_t)p->ne + 1) * sizeof(double));
	double f = objective(p, w, g), tol = gtol * (double)(p->n ? p->n : 1);
	long hstep = p->n > HESS_SAMPLE ? (p->n + HESS_SAMPLE - 1) /
	    HESS_SAMPLE : 1;
	double hscale = (double)p->n / (double)((p->n + hstep - 1) / hstep);

	for (it = 0; it < 200; it++) {
		double gmax = 0;
		for (int j = 0; j < d; j++)
			gmax = fmax(gmax, fabs(g[j]));
		if (gmax <= tol) {
			status = 0;
			break;
		}
		/* H from the log-odds of the last evaluation (p->z), on a
		 * systematic sample of HESS_SAMPLE rows when there are more
		 * (the gradient stays exact, so does the stopping rule) */
		memset(H, 0, (size_t)d * d * sizeof(double));
		for (long k = 0; k < p->n; k += hstep) {
			double q = sigmoid(p->z[k]), h = q * (1 - q);
			int nc = row_cols(p, p->idx[k], cols, vals);
			for (int a = 0; a < nc; a++) {
				double ha = h * vals[a];
				double *row = H + (size_t)cols[a] * d;
				for (int b = 0; b < nc; b++)
					row[cols[b]] += ha * vals[b];
			}
		}
		if (hstep > 1)
			for (size_t j = 0; j < (size_t)d * d; j++)
				H[j] *= hscale;
		for (int j = 0; j < d; j++)
			H[(size_t)j * d + j] += (j ? p->lambda : 0) + 1e-8;
		if (lq_cholesky(d, H))
			break;
		memcpy(dx, g, (size_t)d * sizeof(double));
		lq_chol_solve(d, H, dx);
		double gd = 0;
		for (int j = 0; j < d; j++)
			gd -= g[j] * dx[j];
		double step = 1, fn = f;
		int ls;
		for (ls = 0; ls < 40; ls++, step /= 2) {
			for (int j = 0; j < d; j++)
				wn[j] = w[j] - step * dx[j];
			fn = objective(p, wn, gn);
			if (fn <= f + 1e-4 * step * gd)
				break;
		}
		if (ls == 40)
			break;
		memcpy(w, wn, (size_t)d * sizeof(double));
		memcpy(g, gn, (size_t)d * sizeof(double));
		double df = f - fn;
		f = fn;
		if (df <= 1e-13 * fabs(f) && -gd < 1e-12 * fabs(f)) {
			status = 0;
			it++;
			break;
		}
	}
	if (getenv("LQ_TRAIN_DEBUG"))
		fprintf(stderr, "newton: n %ld d %d lambda %g iter %d status %d "
		    "f %.8f\n", p->n, d, p->lambda, it, status, f);
	if (iters)
		*iters += it;
	free(H);
	free(g);
	free(dx);
	free(wn);
	free(gn);
	free(cols);
	free(vals);
	return status;
}

/* Fit p from the start w (updated): Newton when the model is small,
 * else Jacobi-preconditioned L-BFGS. */
/* Fit p from the start w (updated).  Jacobi-preconditioned L-BFGS. */
static int
fit_lbfgs(struct fit *p, double *w, double gtol, int *iters)
{
	struct lq_optim o;
	struct pre q;
	int d = p->d;
	double *D = calloc((size_t)d, sizeof(double)), dmax = 0;
	double *v = malloc((size_t)d * sizeof(double));

	/* D = diagonal of the Hessian at p = 1/2, plus lambda */
	D[0] = 0.25 * (double)p->n;
	for (int j = 0; j < p->ne; j++) {
		double *De = D + p->e[j].off;
		if (p->e[j].u) {
			for (long k = 0; k < p->n; k++)
				De[p->e[j].u[p->idx[k]]] += 0.25;
		} else {
			for (long k = 0; k < p->n; k++) {
				float x = p->e[j].x[p->idx[k]];
				if (isnan(x))
					De[1] += 0.25;
				else
					De[0] += 0.25 * x * x;
			}
		}
	}
	q.p = p;
	q.sd = D;
	q.w = malloc((size_t)d * sizeof(double));
	for (int j = 0; j < d; j++) {
		D[j] = sqrt(D[j] + (j ? p->lambda : 0) + 1e-6);
		dmax = fmax(dmax, D[j]);
		v[j] = w[j] * D[j];
	}
	lq_optim_init(&o);
	o.gtol = gtol * (double)(p->n > 0 ? p->n : 1) / dmax;
	o.max_iter = 5000;
	lq_lbfgs(d, v, objective_pre, &q, &o);
	for (int j = 0; j < d; j++)
		w[j] = v[j] / D[j];
	if (getenv("LQ_TRAIN_DEBUG"))
		fprintf(stderr, "fit: n %ld d %d lambda %g iter %d nfev %d "
		    "status %d f %.6f gmax %g\n", p->n, p->d, p->lambda,
		    o.iter, o.nfev, o.status, o.f, o.gmax);
	if (iters)
		*iters += o.iter;
	free(D);
	free(v);
	free(q.w);
	return o.status;
}

static int
fit_lr(struct fit *p, double *w, double gtol, int *iters)
{
	static int force = -1;

	if (force < 0)		/* LQ_TRAIN_LBFGS=1: the large-model path */
		force = getenv("LQ_TRAIN_LBFGS") != NULL;
	if (p->d <= NEWTON_MAX_D && !force)
		return fit_newton(p, w, gtol, iters);
	return fit_lbfgs(p, w, gtol, iters);
}

/* Platt scaling: fit a, b of sigma(a z + b) by Newton's method. */
static void
platt(const double *z, const uint8_t *y, long n, double *pa, double *pb)
{
	double a = 1, b = 0;

	for (int it = 0; it < 100; it++) {
		double ga = 0, gb = 0, haa = 1e-9, hab = 0, hbb = 1e-9, f0 = 0;
		for (long k = 0; k < n; k++) {
			double s = a * z[k] + b, p = sigmoid(s), r = p - y[k];
			double h = p * (1 - p);
			f0 += log1pexp(s) - (y[k] ? s : 0);
			ga += r * z[k];
			gb += r;
			haa += h * z[k] * z[k];
			hab += h * z[k];
			hbb += h;
		}
		if (fmax(fabs(ga), fabs(gb)) <= 1e-9 * (double)n)
			break;
		double det = haa * hbb - hab * hab, da, db;
		if (det <= 1e-12 * haa * hbb) {	/* z constant: b only */
			da = 0;
			db = gb / hbb;
		} else {
			da = (hbb * ga - hab * gb) / det;
			db = (haa * gb - hab * ga) / det;
		}
		double step = 1;
		for (int ls = 0; ls < 30; ls++, step /= 2) {
			double na = a - step * da, nb = b - step * db, f1 = 0;
			for (long k = 0; k < n; k++) {
				double s = na * z[k] + nb;
				f1 += log1pexp(s) - (y[k] ? s : 0);
			}
			if (f1 <= f0 + 1e-12) {
				a = na;
				b = nb;
				break;
			}
		}
		if (fabs(da) + fabs(db) < 1e-10)
			break;
	}
	*pa = a;
	*pb = b;
}

/* ---- evaluation ------------------------------------------------------- */

struct metrics {
	long n, pos;
	double auc, logloss, brier, ece;
	long bn[10], bpos[10];
	double bp[10];
};

static const double *sort_key;

static int
cmp_desc(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	if (sort_key[x] != sort_key[y])
		return sort_key[x] < sort_key[y] ? 1 : -1;
	return (x > y) - (x < y);
}

/* Rows 0..n-1 ordered by p, highest first (ties by row). */
static long *
order_desc(const double *p, long n)
{
	long *o = malloc((size_t)(n + 1) * sizeof(long));

	for (long i = 0; i < n; i++)
		o[i] = i;
	sort_key = p;
	qsort(o, (size_t)n, sizeof(long), cmp_desc);
	return o;
}

static void
evaluate(const double *p, const uint8_t *y, long n, struct metrics *m)
{
	long *o = order_desc(p, n);
	double rank_sum = 0;

	memset(m, 0, sizeof(*m));
	m->n = n;
	for (long i = 0; i < n; i++) {
		double q = fmin(fmax(p[i], 1e-15), 1 - 1e-15);
		m->pos += y[i];
		m->logloss -= y[i] ? log(q) : log(1 - q);
		m->brier += (p[i] - y[i]) * (p[i] - y[i]);
		int b = (int)(p[i] * 10);
		b = b < 0 ? 0 : b > 9 ? 9 : b;
		m->bn[b]++;
		m->bpos[b] += y[i];
		m->bp[b] += p[i];
	}
	/* AUC by ranks (ascending), ties averaged */
	for (long i = 0; i < n;) {
		long j = i;
		while (j < n && p[o[j]] == p[o[i]])
			j++;
		/* descending positions i..j-1 -> ascending ranks n-j+1..n-i */
		double r = ((double)(n - j + 1) + (double)(n - i)) / 2;
		for (long k = i; k < j; k++)
			if (y[o[k]])
				rank_sum += r;
		i = j;
	}
	long neg = n - m->pos;
	m->auc = m->pos && neg ? (rank_sum - (double)m->pos * (m->pos + 1) /
	    2) / ((double)m->pos * neg) : NAN;
	if (n) {
		m->logloss /= n;
		m->brier /= n;
	}
	for (int b = 0; b < 10; b++)
		if (m->bn[b])
			m->ece += fabs(m->bp[b] - m->bpos[b]) / n;
	free(o);
}

/*
 * cut rounded down to six decimals, or when that would reach below
 * (the highest p under cut) to the fewest significant digits that stay
 * in (below, cut] (at worst cut itself).
 */
static double
round_cut(double cut, double below)
{
	double c = floor(cut * 1e6) / 1e6;
	char buf[40];

	if (c > below)
		return c;
	for (int s = 1; s < 17; s++) {
		snprintf(buf, sizeof(buf), "%.*e", s - 1, cut);
		c = strtod(buf, NULL);
		if (c > below && c <= cut)
			return c;
	}
	return cut;
}

/* The number of fewest significant digits strictly inside (lo, hi). */
static double
short_between(double lo, double hi)
{
	char buf[40];

	for (int s = 1; s < 17; s++) {
		snprintf(buf, sizeof(buf), "%.*e", s - 1, (lo + hi) / 2);
		double c = strtod(buf, NULL);
		if (c > lo && c < hi)
			return c;
	}
	return (lo + hi) / 2;
}

static long
clampl(long v, long lo, long hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

int
lq_train_tiers(const double *p, const uint8_t *y, long n, double target,
    double l4rate, double *cut, int *l1_met, char *note, size_t notelen)
{
	long *o = order_desc(p, n), pos = 0, minvol, D = 0;
	double base, *v = malloc((size_t)(n + 1) * sizeof(double));
	long idx[3], above = 0, atleast = 0, l4 = 0;
	int nempty = 0;

	if (note && notelen)
		note[0] = 0;
	for (long i = 0; i < n; i++)
		pos += y[i];
	base = n ? (double)pos / n : 0;
	if (l4rate < 0)
		l4rate = base / 2;
	minvol = n / 50 > 5 ? n / 50 : 5;
	*l1_met = 0;
	/* the distinct p, highest first */
	for (long k = 0; k < n; k++)
		if (!D || p[o[k]] != v[D - 1])
			v[D++] = p[o[k]];
	for (long j = 0; j < D; j++) {
		above += v[j] > base;
		atleast += v[j] >= base;
		l4 += v[j] >= l4rate;
	}
	/* L1: the largest top band with precision >= target (at least
	 * minvol rows), else the smallest band of minvol rows; in distinct
	 * values (idx: how many distinct values are in the tiers above) */
	long cp = 0, best = -1, dj = 0, first = -1;
	for (long k = 0; k < n; k++) {
		cp += y[o[k]];
		if (k + 1 < n && p[o[k + 1]] == p[o[k]])
			continue;	/* cut only between distinct values */
		dj++;
		if (k + 1 >= minvol && first < 0)
			first = dj;
		if (k + 1 >= minvol && (double)cp / (k + 1) >= target)
			best = dj;
	}
	if (best > 0)
		*l1_met = 1;
	idx[0] = best > 0 ? best : first > 0 ? first : D;
	idx[1] = atleast;	/* L2: p at or above the base rate */
	idx[2] = l4;		/* L3: p at or above the L4 rate */
	/* L1 above the base rate always; then every tier non-empty when
	 * there are distinct values enough, the targets kept where they
	 * allow it */
	if (above == 0) {
		idx[0] = 0;
		*l1_met = 0;
	} else {
		idx[0] = clampl(idx[0], 1, above);
		idx[0] = clampl(idx[0], 1, D - 3 > 1 ? D - 3 : 1);
	}
	for (int k = 1; k < 3; k++) {
		long lo = idx[k - 1] + 1 < D ? idx[k - 1] + 1 : D;
		long hi = D - (3 - k) > lo ? D - (3 - k) : lo;
		idx[k] = clampl(idx[k], lo, hi);
	}
	/* cut k: the lowest p of the tiers up to k, rounded (never past a
	 * row); a tier with no value of its own gets a cut between its
	 * neighbours, so that the cut-offs still fall from L1 to L3 */
	for (int k = 0; k < 3; k++) {
		long i = idx[k];
		if (i > 0 && (k == 0 || idx[k - 1] < i)) {
			cut[k] = round_cut(v[i - 1], i < D ? v[i] : -HUGE_VAL);
		} else if (k == 0) {	/* L1 empty: above every p */
			cut[0] = v[0] < 1 ? short_between(v[0], 1) : 1;
		} else {
			double lo = i < D ? v[i] : 0;
			cut[k] = cut[k - 1] > lo ? short_between(lo, cut[k - 1]) :
			    cut[k - 1] / 2;
		}
	}
	for (int k = 0; k < 4; k++) {
		long a = k ? idx[k - 1] : 0, z = k < 3 ? idx[k] : D;
		if (z <= a)
			nempty++;
	}
	if (note && notelen && nempty)
		snprintf(note, notelen, "tiers: %d of 4 empty (%ld distinct "
		    "score%s in %ld rows, %ld above the base rate %.4g)%s",
		    nempty, D, D == 1 ? "" : "s", n, above, base, above ? "" :
		    ": no lead scores above the base rate, so none is L1");
	free(v);
	free(o);
	return nempty;
}

static void
tier_stats(const struct lq_model *m, const double *p, const uint8_t *y,
    long n, struct lq_tierstat *ts)
{
	long pos = 0, cumn = 0, cump = 0;

	memset(ts, 0, 4 * sizeof(*ts));
	for (long i = 0; i < n; i++) {
		int k = lq_model_tier(m, p[i]);
		ts[k].count++;
		ts[k].pos += y[i];
		pos += y[i];
	}
	double base = n ? (double)pos / n : 0;
	for (int k = 0; k < 4; k++) {
		struct lq_tierstat *s = &ts[k];
		cumn += s->count;
		cump += s->pos;
		s->conv = s->count ? (double)s->pos / s->count : 0;
		s->lift = base > 0 ? s->conv / base : 0;
		s->precision = cumn ? (double)cump / cumn : 0;
		s->recall = pos ? (double)cump / pos : 0;
		s->fpr = n - pos ? (double)(cumn - cump) / (n - pos) : 0;
	}
}

/*
 * Centre each categorical feature's weights on their training mean (the
 * intercept takes the means; predictions do not change) and compute the
 * standard errors of the centred weights from the inverse Hessian: the
 * full covariance when the model is small (so the one-hot/intercept
 * collinearity cancels), else the reciprocal of the Hessian's diagonal.
 */
static void
std_errors(struct fit *p, double *w, double *se, long ntr)
{
	int d = p->d, full = d <= 600;
	long step = p->n > 100000 ? p->n / 100000 + 1 : 1, nsub = 0;
	double *H = full ? calloc((size_t)d * d, sizeof(double)) :
	    calloc((size_t)d, sizeof(double));
	int *cols = malloc(((size_t)p->ne + 1) * sizeof(int));
	double *vals = malloc(((size_t)p->ne + 1) * sizeof(double));
	double *pi = calloc((size_t)d, sizeof(double));

	predict(p->e, p->ne, w, p->idx, p->n, p->z);
	for (long k = 0; k < p->n; k += step, nsub++) {
		double q = sigmoid(p->z[k]), h = q * (1 - q);
		int nc = row_cols(p, p->idx[k], cols, vals);
		for (int a = 0; a < nc; a++) {
			if (!full) {
				H[cols[a]] += h * vals[a] * vals[a];
				continue;
			}
			for (int b = 0; b < nc; b++)
				H[(size_t)cols[a] * d + cols[b]] += h * vals[a] *
				    vals[b];
		}
	}
	double scale = nsub ? (double)p->n / nsub : 1;
	for (int a = 0; a < d; a++) {
		double ridge = (a ? p->lambda : 0) + 1e-8;
		if (full) {
			for (int b = 0; b < d; b++)
				H[(size_t)a * d + b] *= scale;
			H[(size_t)a * d + a] += ridge;
		} else {
			H[a] = H[a] * scale + ridge;
			se[a] = sqrt(1 / H[a]);
		}
	}
	/* the centring weights: training shares of each level */
	for (int j = 0; j < p->ne; j++)
		if (p->e[j].u)
			for (int c = 0; c < p->e[j].f->ncol; c++)
				pi[p->e[j].off + c] = ntr ? (double)
				    p->e[j].f->count[c] / ntr : 0;
	if (full && lq_cholesky(d, H) == 0) {
		/* L^-1 in place (lower triangle), then S = L^-T L^-1 */
		double *Li = calloc((size_t)d * d, sizeof(double));
		double *S = malloc((size_t)d * d * sizeof(double));
		for (int c = 0; c < d; c++)
			for (int i = c; i < d; i++) {
				double r = i == c ? 1 : 0;
				for (int k = c; k < i; k++)
					r -= H[(size_t)i * d + k] *
					    Li[(size_t)k * d + c];
				Li[(size_t)i * d + c] = r / H[(size_t)i * d + i];
			}
		for (int a = 0; a < d; a++)
			for (int b = 0; b <= a; b++) {
				double v = 0;
				for (int k = a; k < d; k++)
					v += Li[(size_t)k * d + a] *
					    Li[(size_t)k * d + b];
				S[(size_t)a * d + b] = S[(size_t)b * d + a] = v;
			}
		/* var of w0' = (e0 + pi) S (e0 + pi)' */
		double v0 = 0;
		for (int a = 0; a < d; a++) {
			double ta = a ? pi[a] : 1;
			if (!ta)
				continue;
			for (int b = 0; b < d; b++) {
				double tb = b ? pi[b] : 1;
				if (tb)
					v0 += ta * tb * S[(size_t)a * d + b];
			}
		}
		se[0] = sqrt(fmax(v0, 0));
		for (int a = 1; a < d; a++)
			se[a] = sqrt(fmax(S[(size_t)a * d + a], 0));
		for (int j = 0; j < p->ne; j++) {
			if (!p->e[j].u)
				continue;
			int o = p->e[j].off, nc = p->e[j].f->ncol;
			double qq = 0;
			for (int a = 0; a < nc; a++)
				for (int b = 0; b < nc; b++)
					qq += pi[o + a] * pi[o + b] *
					    S[(size_t)(o + a) * d + o + b];
			for (int a = 0; a < nc; a++) {
				double sp = 0;
				for (int b = 0; b < nc; b++)
					sp += pi[o + b] * S[(size_t)(o + a) * d +
					    o + b];
				double v = S[(size_t)(o + a) * d + o + a] -
				    2 * sp + qq;
				se[o + a] = sqrt(fmax(v, 0));
			}
		}
		free(Li);
		free(S);
	}
	/* centre the weights */
	for (int j = 0; j < p->ne; j++) {
		if (!p->e[j].u)
			continue;
		int o = p->e[j].off, nc = p->e[j].f->ncol;
		double mean = 0;
		for (int a = 0; a < nc; a++)
			mean += pi[o + a] * w[o + a];
		for (int a = 0; a < nc; a++)
			w[o + a] -= mean;
		w[0] += mean;
	}
	free(pi);
	free(H);
	free(cols);
	free(vals);
}

/* ---- the whole fit ---------------------------------------------------- */

static const double lambda_grid[] = { 1000, 100, 10, 1, 0.1, 0.01 };
#define NGRID (sizeof(lambda_grid) / sizeof(lambda_grid[0]))

/* The lambda of cross-validation round g: the grid, or the one given. */
static double
grid_lambda(const struct lq_train *t, int g)
{
	return t->o.lambda >= 0 ? t->o.lambda : lambda_grid[g];
}
#define CV_SAMPLE 20000

/* mark the latest 20% of the timed rows as test rows */
static void
time_split(struct lq_train *t)
{
	long nt = 0, *o;
	double *key = malloc((size_t)(t->n + 1) * sizeof(double));

	for (long i = 0; i < t->n; i++)
		key[i] = isnan(t->t[i]) ? -HUGE_VAL : t->t[i];
	o = order_desc(key, t->n);
	for (long i = 0; i < t->n; i++)
		nt += !isnan(t->t[i]);
	for (long k = 0; k < nt / 5; k++)
		t->test[o[k]] = 1;
	free(o);
	free(key);
}

static void
span(struct lq_train *t, struct lq_model *m)
{
	double lo = HUGE_VAL, hi = -HUGE_VAL;
	char buf[64];

	for (long i = 0; i < t->n; i++)
		if (!isnan(t->t[i])) {
			lo = fmin(lo, t->t[i]);
			hi = fmax(hi, t->t[i]);
		}
	m->time_field = strdup(t->o.time_field);
	if (lo <= hi) {
		lq_time_format(buf, sizeof(buf), lo);
		m->first = strdup(buf);
		lq_time_format(buf, sizeof(buf), hi);
		m->last = strdup(buf);
	}
}

static void
report(struct lq_train *t, struct lq_model *m, const struct metrics *ev,
    const double *cvloss, int ngrid, struct lq_buf *h, struct lq_buf *js)
{
	static const char *const tn[] = { "L1", "L2", "L3", "L4" };

	if (h) {
		lq_buf_addf(h, "rows %ld (positive %ld, %.1f%%), skipped %ld "
		    "(label null), features %d\n", m->rows, m->pos,
		    m->rows ? 100.0 * m->pos / m->rows : 0, m->skipped, m->nf);
		for (int i = 0; i < m->nnotes; i++)
			lq_buf_addf(h, "note: %s\n", m->notes[i]);
		if (m->gbdt)
			lq_buf_addf(h, "trees: max_depth %d, eta %g, %d rounds",
			    m->gb_depth, m->gb_eta, m->gb_rounds);
		else
			lq_buf_addf(h, "lambda %g (C %g)", m->lambda,
			    1 / m->lambda);
		for (int i = 0; i < ngrid; i++)
			lq_buf_addf(h, "%s %g:%.5f", i ? "," : "  cv log loss",
			    grid_lambda(t, i), cvloss[i]);
		lq_buf_addf(h, "\nevaluation: %s on %ld rows\n", m->eval,
		    ev->n);
		lq_buf_addf(h, "AUC %.4f  log loss %.4f  Brier %.4f  ECE %.4f "
		    "(uncalibrated %.4f)\n", m->auc, m->logloss, m->brier,
		    m->ece, m->ece_raw);
		lq_buf_addf(h, "calibration   predicted  observed   rows\n");
		for (int b = 0; b < 10; b++)
			if (ev->bn[b])
				lq_buf_addf(h, "  %.1f-%.1f     %7.4f   %7.4f "
				    "%6ld\n", b / 10.0, (b + 1) / 10.0,
				    ev->bp[b] / ev->bn[b], (double)ev->bpos[b] /
				    ev->bn[b], ev->bn[b]);
		lq_buf_addf(h, "tier  min p     rows  conv    lift  "
		    "precision recall  fpr\n");
		for (int k = 0; k < 4; k++) {
			const struct lq_tierstat *s = &m->tier[k];
			lq_buf_addf(h, "%s   %-8.4f %6ld  %.4f  %5.2f  %.4f    "
			    "%.4f  %.4f\n", tn[k], k < 3 ? m->cut[k] : 0,
			    s->count, s->conv, s->lift, s->precision,
			    s->recall, s->fpr);
		}
	}
	if (!js)
		return;
	lq_buf_addf(js, "{\"type\":\"summary\",\"rows\":%ld,\"positives\":%ld,"
	    "\"skipped\":%ld,\"features\":%d,\"lambda\":", m->rows, m->pos,
	    m->skipped, m->nf);
	lq_buf_json_num(js, m->lambda);
	lq_buf_adds(js, ",\"evaluation\":");
	lq_buf_json_strs(js, m->eval);
	lq_buf_addf(js, ",\"eval_rows\":%ld,\"auc\":", ev->n);
	lq_buf_json_round(js, m->auc, 6);
	lq_buf_adds(js, ",\"log_loss\":");
	lq_buf_json_round(js, m->logloss, 6);
	lq_buf_adds(js, ",\"brier\":");
	lq_buf_json_round(js, m->brier, 6);
	lq_buf_adds(js, ",\"ece\":");
	lq_buf_json_round(js, m->ece, 6);
	lq_buf_adds(js, ",\"ece_uncalibrated\":");
	lq_buf_json_round(js, m->ece_raw, 6);
	lq_buf_adds(js, "}\n");
	if (t->guardjs.len)
		lq_buf_add(js, t->guardjs.buf, t->guardjs.len);
	for (int i = 0; i < m->nnotes; i++) {
		lq_buf_adds(js, "{\"type\":\"note\",\"text\":");
		lq_buf_json_strs(js, m->notes[i]);
		lq_buf_adds(js, "}\n");
	}
	for (int i = 0; i < ngrid; i++) {
		lq_buf_adds(js, "{\"type\":\"lambda\",\"lambda\":");
		lq_buf_json_num(js, grid_lambda(t, i));
		lq_buf_adds(js, ",\"cv_log_loss\":");
		lq_buf_json_round(js, cvloss[i], 6);
		lq_buf_adds(js, "}\n");
	}
	for (int b = 0; b < 10; b++) {
		lq_buf_addf(js, "{\"type\":\"calibration\",\"bin\":%d,\"low\":"
		    "%.1f,\"high\":%.1f,\"rows\":%ld,\"predicted\":", b,
		    b / 10.0, (b + 1) / 10.0, ev->bn[b]);
		if (ev->bn[b])
			lq_buf_json_round(js, ev->bp[b] / ev->bn[b], 6);
		else
			lq_buf_adds(js, "null");
		lq_buf_adds(js, ",\"observed\":");
		if (ev->bn[b])
			lq_buf_json_round(js, (double)ev->bpos[b] / ev->bn[b],
			    6);
		else
			lq_buf_adds(js, "null");
		lq_buf_adds(js, "}\n");
	}
	for (int k = 0; k < 4; k++) {
		const struct lq_tierstat *s = &m->tier[k];
		lq_buf_addf(js, "{\"type\":\"tier\",\"tier\":\"%s\",\"min_"
		    "probability\":", tn[k]);
		lq_buf_json_num(js, k < 3 ? m->cut[k] : 0);
		lq_buf_addf(js, ",\"rows\":%ld,\"positives\":%ld,\"conversion\":",
		    s->count, s->pos);
		lq_buf_json_round(js, s->conv, 6);
		lq_buf_adds(js, ",\"lift\":");
		lq_buf_json_round(js, s->lift, 6);
		lq_buf_adds(js, ",\"precision\":");
		lq_buf_json_round(js, s->precision, 6);
		lq_buf_adds(js, ",\"recall\":");
		lq_buf_json_round(js, s->recall, 6);
		lq_buf_adds(js, ",\"fpr\":");
		lq_buf_json_round(js, s->fpr, 6);
		lq_buf_adds(js, "}\n");
	}
}

/* The name of weight column j (1..d-1) for messages. */
static void
col_name(const struct enc *e, int ne, int j, char *buf, size_t n)
{
	for (int k = 0; k < ne; k++) {
		const struct lq_feat *f = e[k].f;
		int c = j - e[k].off;
		if (c < 0 || c >= f->ncol)
			continue;
		if (f->type == LQ_FT_NUM)
			snprintf(buf, n, "'%s'%s", f->name, c ? " (missing)" :
			    "");
		else
			snprintf(buf, n, "'%s' = '%s'", f->name, c < f->nlev ?
			    f->levels[c] : c == LQ_COL_OTHER(f) ? "(other)" :
			    "(missing)");
		return;
	}
	snprintf(buf, n, "column %d", j);
}

/*
 * A fit lq-score could not trust is an error, never a model: every
 * number finite, weights within LQ_MODEL_WMAX, an evaluation that is
 * defined, a calibration that keeps the order of the log-odds.
 */
static int
check_fit(const struct lq_train *t, const struct lq_model *m,
    const struct enc *e, int ne, const double *w, const double *se, int d,
    const double *cvloss, int ngrid, const struct metrics *ev,
    struct lq_err *err)
{
	char name[256];

	for (int g = 0; g < ngrid; g++)
		if (!isfinite(cvloss[g]))
			return lq_err_set(err, LQ_EXIT_USAGE, "the fit failed: "
			    "cross validation at lambda %g gave a log loss of "
			    "%g; no model written", grid_lambda(t, g),
			    cvloss[g]);
	for (int j = 0; j < d; j++) {
		if (isfinite(w[j]) && fabs(w[j]) <= LQ_MODEL_WMAX &&
		    isfinite(se[j]) && se[j] <= LQ_MODEL_SEMAX)
			continue;
		if (j)
			col_name(e, ne, j, name, sizeof(name));
		else
			snprintf(name, sizeof(name), "the intercept");
		if (!isfinite(w[j]) || !isfinite(se[j]))
			return lq_err_set(err, LQ_EXIT_USAGE, "the fit failed: "
			    "%s has weight %g, standard error %g; no model "
			    "written", name, w[j], se[j]);
		return lq_err_set(err, LQ_EXIT_USAGE, "the fit diverged: %s "
		    "has weight %g, standard error %g (beyond %g and %g: the "
		    "training rows are separated perfectly by it, or nearly); "
		    "give a larger --lambda (%g now); no model written", name,
		    w[j], se[j], LQ_MODEL_WMAX, LQ_MODEL_SEMAX, m->lambda);
	}
	if (!(m->cal_a > 0) || !(m->cal_a <= LQ_MODEL_WMAX) ||
	    !(fabs(m->cal_b) <= LQ_MODEL_WMAX))
		return lq_err_set(err, LQ_EXIT_USAGE, "the calibration failed: "
		    "a %g, b %g (out of fold, the model ranks leads %s); no "
		    "model written", m->cal_a, m->cal_b, m->cal_a <= 0 ?
		    "no better than chance" : "erratically");
	if (isnan(ev->auc))
		return lq_err_set(err, LQ_EXIT_USAGE, "the %s rows (%ld) are "
		    "all %s: AUC and the tiers' precision are undefined; give "
		    "test rows with both outcomes; no model written", m->eval,
		    ev->n, ev->pos ? "positive" : "negative");
	if (!isfinite(ev->logloss) || !isfinite(ev->brier) ||
	    !isfinite(ev->ece) || !isfinite(m->ece_raw) ||
	    !isfinite(m->lambda))
		return lq_err_set(err, LQ_EXIT_USAGE, "the fit failed: a "
		    "non-finite evaluation (log loss %g, Brier %g, ECE %g); no "
		    "model written", ev->logloss, ev->brier, ev->ece);
	return 0;
}

/*
 * Load back the model as lq-score would: lq-train never writes a model
 * that lq-score refuses.
 */
static int
check_load(struct lq_train *t, const struct lq_model *m, struct lq_err *err)
{
	struct lq_buf b = LQ_BUF_INIT;
	struct lq_model *back;

	lq_model_write(m, &b);
	back = lq_model_load_mem("(the model)", b.buf, b.len, t->sc, 0, err);
	lq_buf_release(&b);
	if (!back)
		return lq_err_prefix(err, "the model does not load back");
	lq_model_free(back);
	return 0;
}

/*
 * Whether Platt scaling helps, judged out of fold: the log-odds z of the
 * rows (themselves out of fold) calibrated fold by fold by a fit on the
 * other folds, against sigmoid(z) as it is.
 */
static void
choose_calibration(const double *z, const uint8_t *y, const long *fold_of,
    long n, int K, struct metrics *raw, struct metrics *cal)
{
	double *pr = malloc((size_t)(n + 1) * sizeof(double));
	double *pc = malloc((size_t)(n + 1) * sizeof(double));
	double *zk = calloc((size_t)n + 1, sizeof(double));
	uint8_t *yk = calloc((size_t)n + 1, 1);

	for (long i = 0; i < n; i++)
		pr[i] = sigmoid(z[i]);
	for (int k = 0; k < K; k++) {
		long m = 0;
		double a, b;
		for (long i = 0; i < n; i++)
			if (fold_of[i] != k) {
				zk[m] = z[i];
				yk[m++] = y[i];
			}
		platt(zk, yk, m, &a, &b);
		for (long i = 0; i < n; i++)
			if (fold_of[i] == k)
				pc[i] = sigmoid(a * z[i] + b);
	}
	evaluate(pr, y, n, raw);
	evaluate(pc, y, n, cal);
	free(pr);
	free(pc);
	free(zk);
	free(yk);
}

/* Note that a guard left out feature name, with the evidence. */
static void
left_out(struct lq_train *t, struct lq_model *m, const char *name,
    const char *guard, const char *evidence)
{
	lq_model_note(m, "left out '%s': %s (%s); --keep '%s' uses it",
	    name, !strcmp(guard, "identifier") ? "an identifier, not a "
	    "feature" : "suspected leakage: it predicts the label almost "
	    "alone (written after the outcome?)", evidence, name);
	lq_buf_adds(&t->guardjs, "{\"type\":\"left_out\",\"feature\":");
	lq_buf_json_strs(&t->guardjs, name);
	lq_buf_adds(&t->guardjs, ",\"guard\":");
	lq_buf_json_strs(&t->guardjs, guard);
	lq_buf_adds(&t->guardjs, ",\"evidence\":");
	lq_buf_json_strs(&t->guardjs, evidence);
	lq_buf_adds(&t->guardjs, "}\n");
}

/* ---- boosted trees ---------------------------------------------------- */

/* the grid: depth x learning rate; rounds by early stopping */
static const int gb_depths[] = { 3, 5, 7 };
static const double gb_etas[] = { 0.3, 0.1 };
#define GB_NDEPTH (int)(sizeof(gb_depths) / sizeof(gb_depths[0]))
#define GB_NETA (int)(sizeof(gb_etas) / sizeof(gb_etas[0]))
#define GB_ROUNDS 1000
#define GB_PATIENCE 20		/* rounds without gain: the final fit */
#define GB_CV_PATIENCE 10	/* and the grid's */
#define GB_SAMPLE 10000		/* cross-validation rows at most */
#define GB_GAIN 0.005		/* AUC gain --model auto asks of the trees */
#define GB_VAL_MIN 2000		/* early stopping rows of the final fit */

struct gbres {
	double *oof;		/* out-of-fold margins of the sample rows */
	uint8_t *y;
	long *fold;
	long n;
	double *ztr, *zte;	/* final booster: training and test rows */
	double auc_gb, auc_lr, gain, gain_se;
};

static void
gbres_release(struct gbres *g)
{
	free(g->oof);
	free(g->y);
	free(g->fold);
	free(g->ztr);
	free(g->zte);
}

/* The encoded columns (lq_gbdt.h) of rows idx[0..n) into X. */
static float *
gb_matrix(const struct enc *e, int ne, int ncol, const long *idx, long n)
{
	float *X = calloc((size_t)n * ncol + 1, sizeof(float));

	if (!X)
		abort();
	for (long q = 0; q < n; q++) {
		float *r = X + (size_t)q * ncol;
		long i = idx[q];
		for (int j = 0; j < ne; j++) {
			int o = e[j].off - 1;
			if (e[j].f->type == LQ_FT_CAT) {
				r[o + e[j].u[i]] = 1;
			} else {
				r[o] = e[j].x[i];
				r[o + 1] = isnan(e[j].x[i]) ? 1 : 0;
			}
		}
	}
	return X;
}

/* AUC of margins z against y, rows of fold k (all when k < 0). */
static double
fold_auc(const double *z, const uint8_t *y, const long *fold, long n, int k)
{
	long m = 0;
	double *zz = malloc((size_t)(n + 1) * sizeof(double));
	uint8_t *yy = malloc((size_t)n + 1);
	struct metrics mt;

	for (long i = 0; i < n; i++)
		if (k < 0 || fold[i] == k) {
			zz[m] = sigmoid(z[i]);
			yy[m++] = y[i];
		}
	evaluate(zz, yy, m, &mt);
	free(zz);
	free(yy);
	return mt.auc;
}

/* One fold of the grid's sample: its training and held-out rows. */
struct gbfold {
	float *Xf, *Xo;
	uint8_t *yf, *yo;
	long nf, no, *op;	/* op: the held-out rows' sample positions */
};

/* One grid cell on one fold: a booster, its held-out margins. */
struct gbjob {
	const struct gbfold *f;
	struct lq_gbdt_params gp;
	double *z;		/* margins of the held-out rows */
	int rounds;		/* early stopping's best round */
	struct lq_err err;
	int rc;
};

struct gbpool {
	struct gbjob *job;
	int njob, next, ncol;
	pthread_mutex_t mu;
};

static void
gb_job_run(struct gbjob *j, int ncol)
{
	struct lq_gbdt *b;

	lq_err_clear(&j->err);
	j->rc = -1;
	b = lq_gbdt_train(j->f->Xf, j->f->yf, j->f->nf, ncol, j->f->Xo,
	    j->f->yo, j->f->no, &j->gp, &j->rounds, &j->err);
	if (!b)
		return;
	j->z = malloc((size_t)(j->f->no + 1) * sizeof(double));
	if (!j->z)
		abort();
	j->rc = lq_gbdt_margin(b, j->f->Xo, j->f->no, j->z, &j->err);
	lq_gbdt_free(b);
}

static void *
gb_worker(void *arg)
{
	struct gbpool *p = arg;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		int k = p->next++;
		pthread_mutex_unlock(&p->mu);
		if (k >= p->njob)
			return NULL;
		gb_job_run(&p->job[k], p->ncol);
	}
}

/*
 * Run the jobs job[0..njob) on up to nw threads, each booster on one
 * thread of its own: the grid's boosters are small (at most GB_SAMPLE
 * rows), where xgboost's threads spend more time waiting for one another
 * than working, worst on a busy machine.  The results do not depend on
 * the number of threads.  Returns 0, or -1 with err set from the first
 * failed job.
 */
static int
gb_jobs_run(struct gbjob *job, int njob, int ncol, int nw,
    struct lq_err *err)
{
	struct gbpool p = { job, njob, 0, ncol, PTHREAD_MUTEX_INITIALIZER };
	pthread_t *th;
	int nt = 0;

	if (nw > njob)
		nw = njob;
	th = calloc((size_t)nw + 1, sizeof(*th));
	for (int i = 1; i < nw; i++)
		if (!pthread_create(&th[nt], NULL, gb_worker, &p))
			nt++;
	gb_worker(&p);
	for (int i = 0; i < nt; i++)
		pthread_join(th[i], NULL);
	free(th);
	for (int k = 0; k < njob; k++)
		if (job[k].rc) {
			*err = job[k].err;
			return -1;
		}
	return 0;
}

/*
 * The threads for xgboost's own (OpenMP) parallelism, at most nw: one
 * per core the load average leaves idle (as make -l), at least one.
 * xgboost's threads wait for one another by spinning, so on cores other
 * processes hold a second thread slows the fit (measured: 13.7 s against
 * 6.5 s at load 2 on 2 cores).  The model does not depend on it.
 */
static int
gb_idle_threads(int nw)
{
	double la[1];
	long nc = sysconf(_SC_NPROCESSORS_ONLN);
	int n = nw;

	if (nc > 0 && getloadavg(la, 1) == 1) {
		double idle = (double)nc - la[0];
		n = idle < 1.5 ? 1 : (int)(idle + 0.5);
	}
	return n < 1 ? 1 : n > nw ? nw : n;
}

/*
 * Boosted trees on the encoded columns: the grid cross-validated on a
 * systematic sample of at most GB_SAMPLE training rows (the same folds
 * as the logistic model), early stopping on the held-out fold; the final
 * booster on every training row with the mean best rounds.  With --model
 * auto the trees are chosen when their out-of-fold AUC beats the logistic
 * model's (lr_oof, on the same rows) by more than GB_GAIN and by more
 * than twice the standard error of the fold-by-fold gains.  Sets m->gbdt
 * when the trees are chosen.
 */
static int
gbdt_fit(struct lq_train *t, struct lq_model *m, const struct enc *e, int ne,
    int d, const long *tr, long ntr, const long *te, long nte,
    const long *fold_of, const uint8_t *ytr, const double *lr_oof,
    struct gbres *g, struct lq_err *err)
{
	int K = t->o.folds, ncol = d - 1, rc = -1;
	long step = ntr > GB_SAMPLE ? (ntr + GB_SAMPLE - 1) / GB_SAMPLE : 1;
	long ns = 0, *sidx, *fi, *oi;
	struct lq_gbdt_params gp = { 0, 0, GB_ROUNDS, GB_CV_PATIENCE,
	    t->o.threads, 0 };
	double best = HUGE_VAL, *lro;
	int bd = 3, brounds = 1;
	double beta = 0.1;
	float *X = NULL, *Xf = NULL, *Xo = NULL;
	struct lq_gbdt *b = NULL;
	struct gbfold *fo;
	struct gbjob *job;
	int nw = t->o.threads > 0 ? t->o.threads :
	    (int)sysconf(_SC_NPROCESSORS_ONLN);

	if (nw < 1)
		nw = 1;
	memset(g, 0, sizeof(*g));
	sidx = malloc((size_t)(ntr / step + 2) * sizeof(long));
	g->fold = malloc((size_t)(ntr / step + 2) * sizeof(long));
	g->y = malloc((size_t)(ntr / step + 2));
	lro = malloc((size_t)(ntr / step + 2) * sizeof(double));
	for (long q = 0; q < ntr; q += step) {
		g->fold[ns] = fold_of[q];
		g->y[ns] = ytr[q];
		lro[ns] = lr_oof ? lr_oof[q] : 0;
		sidx[ns++] = tr[q];
	}
	g->n = ns;
	g->oof = calloc((size_t)ns + 1, sizeof(double));
	fi = malloc((size_t)(ns + 1) * sizeof(long));
	oi = malloc((size_t)(ns + 1) * sizeof(long));
	/* the folds' matrices, made once for every cell of the grid */
	fo = calloc((size_t)K + 1, sizeof(*fo));
	job = calloc((size_t)K * (GB_NDEPTH + GB_NETA) + 1, sizeof(*job));
	for (int k = 0; k < K; k++) {
		struct gbfold *f = &fo[k];
		f->yf = malloc((size_t)ns + 1);
		f->yo = malloc((size_t)ns + 1);
		f->op = malloc((size_t)(ns + 1) * sizeof(long));
		for (long q = 0; q < ns; q++)
			if (g->fold[q] == k) {
				f->op[f->no] = q;
				f->yo[f->no] = g->y[q];
				oi[f->no++] = sidx[q];
			} else {
				f->yf[f->nf] = g->y[q];
				fi[f->nf++] = sidx[q];
			}
		f->Xf = gb_matrix(e, ne, ncol, fi, f->nf);
		f->Xo = gb_matrix(e, ne, ncol, oi, f->no);
	}
	/* the depths at the fast rate, then the slower rates at the best
	 * depth: each cell's folds side by side (gb_jobs_run), the cells
	 * compared in this order */
	for (int phase = 0; phase < 2; phase++) {
		int a0 = phase ? GB_NDEPTH : 0;
		int a1 = phase ? GB_NDEPTH + GB_NETA - 1 : GB_NDEPTH;
		int nj = 0;
		for (int a = a0; a < a1; a++)
			for (int k = 0; k < K; k++) {
				struct gbjob *j = &job[nj++];
				memset(j, 0, sizeof(*j));
				j->f = &fo[k];
				j->gp = gp;
				j->gp.nthread = 1;
				j->gp.max_depth = a < GB_NDEPTH ? gb_depths[a] : bd;
				j->gp.eta = a < GB_NDEPTH ? gb_etas[0] :
				    gb_etas[a - GB_NDEPTH + 1];
			}
		int jrc = gb_jobs_run(job, nj, ncol, nw, err);
		for (int q = 0; !jrc && q < nj; q += K) {
			double loss = 0;
			int rsum = 0;
			for (int k = 0; k < K; k++) {
				const struct gbjob *j = &job[q + k];
				for (long r = 0; r < j->f->no; r++)
					loss += log1pexp(j->z[r]) - (j->f->yo[r] ?
					    j->z[r] : 0);
				rsum += j->rounds;
			}
			loss /= ns;
			if (loss < best) {
				best = loss;
				bd = job[q].gp.max_depth;
				beta = job[q].gp.eta;
				brounds = (rsum + K / 2) / K;
				for (int k = 0; k < K; k++) {
					const struct gbjob *j = &job[q + k];
					for (long r = 0; r < j->f->no; r++)
						g->oof[j->f->op[r]] = j->z[r];
				}
			}
		}
		for (int q = 0; q < nj; q++) {
			free(job[q].z);
			job[q].z = NULL;
		}
		if (jrc)
			goto out;
	}
	if (brounds < 1)
		brounds = 1;
	/* the final booster: on the training rows, but for a tenth of them
	 * (GB_VAL_MIN or more) where early stopping sets the rounds for this
	 * many rows; on every row, with the cross-validated rounds, when
	 * there are too few */
	long nval = 0, nfit = 0;
	gp.max_depth = bd;
	gp.eta = beta;
	gp.nthread = gb_idle_threads(nw);
	X = gb_matrix(e, ne, ncol, tr, ntr);
	if (ntr >= 10 * GB_VAL_MIN) {
		/* the split by a hash of the encoded row: copies of a lead
		 * fall on one side (else they would never stop the rounds) */
		uint8_t *yv = malloc((size_t)ntr + 1);
		uint8_t *yt = malloc((size_t)ntr + 1);
		uint8_t *side = malloc((size_t)ntr + 1);
		for (long q = 0; q < ntr; q++) {
			const unsigned char *u = (const unsigned char *)(X +
			    (size_t)q * ncol);
			uint64_t h = 1469598103934665603ULL;
			for (size_t j = 0; j < (size_t)ncol * sizeof(float); j++)
				h = (h ^ u[j]) * 1099511628211ULL;
			side[q] = mix(h) % 10 == 0;
			nval += side[q];
		}
		nfit = ntr - nval;
		Xf = malloc((size_t)(nfit + 1) * ncol * sizeof(float));
		Xo = malloc((size_t)(nval + 1) * ncol * sizeof(float));
		long a = 0, v = 0;
		for (long q = 0; q < ntr; q++) {
			const float *r = X + (size_t)q * ncol;
			if (side[q]) {
				memcpy(Xo + (size_t)v * ncol, r, (size_t)ncol *
				    sizeof(float));
				yv[v++] = ytr[q];
			} else {
				memcpy(Xf + (size_t)a * ncol, r, (size_t)ncol *
				    sizeof(float));
				yt[a++] = ytr[q];
			}
		}
		gp.rounds = GB_ROUNDS;
		gp.early_stop = GB_PATIENCE;
		if (nval >= GB_VAL_MIN && nfit > 0)
			b = lq_gbdt_train(Xf, yt, nfit, ncol, Xo, yv, nval,
			    &gp, &brounds, err);
		else
			nval = 0;
		free(yv);
		free(yt);
		free(side);
		free(Xf);
		free(Xo);
		Xf = Xo = NULL;
	}
	if (!nval) {
		gp.rounds = brounds;
		gp.early_stop = 0;
		b = lq_gbdt_train(X, ytr, ntr, ncol, NULL, NULL, 0, &gp, NULL,
		    err);
	}
	if (!b)
		goto out;
	/* the profile's score shares: the final booster on the sample rows */
	free(X);
	X = gb_matrix(e, ne, ncol, sidx, ns);
	g->ztr = calloc((size_t)ns + 1, sizeof(double));
	if (lq_gbdt_margin(b, X, ns, g->ztr, err))
		goto out;
	free(X);
	X = NULL;
	g->zte = calloc((size_t)nte + 1, sizeof(double));
	if (nte) {
		X = gb_matrix(e, ne, ncol, te, nte);
		if (lq_gbdt_margin(b, X, nte, g->zte, err))
			goto out;
	}
	/* the choice: fold by fold AUC gains on the sample */
	double gs = 0, gss = 0;
	for (int k = 0; lr_oof && k < K; k++) {
		double dk = fold_auc(g->oof, g->y, g->fold, ns, k) -
		    fold_auc(lro, g->y, g->fold, ns, k);
		gs += dk;
		gss += dk * dk;
	}
	g->gain = gs / K;
	g->gain_se = K > 1 ? sqrt(fmax(0, (gss - K * g->gain * g->gain) /
	    (K - 1)) / K) : 0;
	g->auc_gb = fold_auc(g->oof, g->y, g->fold, ns, -1);
	int pick = t->o.model == LQ_TRAIN_GBDT || (g->gain > GB_GAIN &&
	    g->gain > 2 * g->gain_se);
	if (lr_oof) {
		g->auc_lr = fold_auc(lro, g->y, g->fold, ns, -1);
		lq_model_note(m, "boosted trees: max_depth %d, eta %g, %d "
		    "rounds (grid cross-validated on %ld rows: log loss %.4f; "
		    "rounds by early stopping on %ld rows); out of fold AUC "
		    "%.4f against %.4f for the logistic model (gain %+.4f, "
		    "fold noise %.4f); %s", bd, beta, brounds, ns, best, nval,
		    g->auc_gb, g->auc_lr, g->gain, g->gain_se, pick ?
		    "trees chosen (--model auto: the gain is above 0.005 and "
		    "twice the fold noise)" : "logistic kept (--model auto "
		    "needs a gain above 0.005 and twice the fold noise)");
	} else {
		lq_model_note(m, "boosted trees (--model gbdt): max_depth %d, "
		    "eta %g, %d rounds (grid cross-validated on %ld rows: log "
		    "loss %.4f; rounds by early stopping on %ld rows); out of "
		    "fold AUC %.4f", bd, beta, brounds, ns, best, nval,
		    g->auc_gb);
	}
	if (pick) {
		m->gbdt = 1;
		m->gb = (struct lq_gbdt *)b;
		b = NULL;
		m->gb_depth = bd;
		m->gb_eta = beta;
		m->gb_rounds = brounds;
		m->ncols = ncol;
		struct lq_buf txt = LQ_BUF_INIT;
		if (lq_gbdt_save(m->gb, "    ", &txt, err)) {
			lq_buf_release(&txt);
			goto out;
		}
		m->gb_text = txt.buf;
	}
	rc = 0;
out:
	lq_gbdt_free(b);
	free(X);
	free(Xf);
	free(Xo);
	free(sidx);
	free(lro);
	free(fi);
	free(oi);
	for (int k = 0; k < K; k++) {
		free(fo[k].Xf);
		free(fo[k].Xo);
		free(fo[k].yf);
		free(fo[k].yo);
		free(fo[k].op);
	}
	free(fo);
	free(job);
	return rc;
}

struct lq_model *
lq_train_fit(struct lq_train *t, struct lq_buf *human, struct lq_buf *json,
    struct lq_err *err)
{
	struct lq_model *m;
	struct enc *e;
	struct fit p;
	long ntr = 0, nte = 0, *tr, *te, *fold_of;
	int K = t->o.folds, ne = 0, d = 1, iters = 0, l1_met;
	double cvloss[NGRID];
	int ngrid;
	double *pc = NULL, *pe = NULL, *pr = NULL, *se = NULL;
	uint8_t *ye = NULL;

	if (t->time_key && !t->o.holdout)
		time_split(t);
	for (long i = 0; i < t->n; i++)
		ntr += !t->test[i];
	nte = t->n - ntr;
	if (ntr < 2 * K) {
		lq_err_set(err, LQ_EXIT_USAGE, "too few training rows (%ld) "
		    "for %d-fold cross validation", ntr, K);
		return NULL;
	}
	long npos = 0;
	for (long i = 0; i < t->n; i++)
		npos += !t->test[i] && t->y[i];
	if (npos == 0 || npos == ntr) {
		lq_err_set(err, LQ_EXIT_USAGE, "the label is always %s in the "
		    "training rows: nothing to learn", npos ? "true" : "false");
		return NULL;
	}
	m = lq_model_new();
	m->label = strdup(t->o.label);
	m->rows = ntr;
	m->pos = npos;
	m->skipped = t->skipped;
	m->folds = K;
	m->l1_target = t->o.l1_precision;
	m->eval = strdup(!nte ? "cv" : t->o.holdout ? "holdout" : "time");
	if (t->time_key)
		span(t, m);

	/* guard and encode */
	struct lq_buf why = LQ_BUF_INIT;
	for (int i = 0; i < t->o.nnullv; i++)
		lq_model_add_null(m, t->o.nullv[i]);
	m->f = calloc((size_t)t->nc + 1, sizeof(*m->f));
	e = calloc((size_t)t->nc + 1, sizeof(*e));
	for (int i = 0; i < t->nc; i++) {
		struct col *c = &t->c[i];
		struct lq_feat *f = &m->f[m->nf];
		int keep;
		if (c->excluded || name_excluded(t, c->name) ||
		    (!c->nnum && !c->nstr))
			continue;
		memset(&e[ne], 0, sizeof(e[ne]));
		lq_buf_reset(&why);
		if (guarded(t, c->name) && ident_like(t, c, &why)) {
			left_out(t, m, c->name, "identifier", why.buf);
			continue;
		}
		keep = c->nstr > c->nnum ? encode_cat(t, c, f, &e[ne]) :
		    encode_num(t, c, f, &e[ne]);
		lq_buf_reset(&why);
		if (keep && !t->o.no_guards && leak_like(t, f, &e[ne], &why)) {
			if (guarded(t, c->name)) {
				left_out(t, m, c->name, "leakage", why.buf);
				keep = 0;
			} else {
				lq_model_note(m, "kept '%s' (--include or "
				    "--keep) though it looks like leakage: %s",
				    c->name, why.buf);
			}
		}
		if (!keep) {
			/* free what encode_* made of the feature */
			for (int k = 0; k < f->nlev; k++)
				free(f->levels[k]);
			free(f->levels);
			free(f->name);
			for (int k = 0; k < f->npath; k++)
				free(f->path[k]);
			free(f->path);
			free(f->expr);
			free(f->w);
			free(f->se);
			free(f->count);
			free(f->pedge);
			free(f->pshare);
			memset(f, 0, sizeof(*f));
			continue;
		}
		e[ne].c = c;
		e[ne].f = f;
		e[ne].off = d;
		d += f->ncol;
		ne++;
		m->nf++;
	}

	lq_buf_release(&why);

	/* rows */
	tr = malloc((size_t)(ntr + 1) * sizeof(long));
	te = malloc((size_t)(nte + 1) * sizeof(long));
	fold_of = malloc((size_t)(ntr + 1) * sizeof(long));
	ntr = nte = 0;
	for (long i = 0; i < t->n; i++) {
		if (t->test[i])
			te[nte++] = i;
		else {
			fold_of[ntr] = (long)(mix((uint64_t)ntr) % (uint64_t)K);
			tr[ntr++] = i;
		}
	}
	uint8_t *ytr = malloc((size_t)ntr + 1);
	for (long k = 0; k < ntr; k++)
		ytr[k] = t->y[tr[k]];

	memset(&p, 0, sizeof(p));
	p.e = e;
	p.ne = ne;
	p.d = d;
	p.y = t->y;
	p.z = malloc((size_t)(t->n + 1) * sizeof(double));
	p.r = malloc((size_t)(t->n + 1) * sizeof(double));

	/* cross validation over the lambda grid, warm-started per fold; on
	 * a systematic sample of CV_SAMPLE rows when there are more */
	double *W = calloc((size_t)K * d, sizeof(double));
	double *oof = malloc((size_t)(ntr + 1) * sizeof(double));
	double *best_oof = malloc((size_t)(ntr + 1) * sizeof(double));
	long *fidx = malloc((size_t)(ntr + 1) * sizeof(long));
	long *oidx = malloc((size_t)(ntr + 1) * sizeof(long));
	long *opos = malloc((size_t)(ntr + 1) * sizeof(long));
	double best = HUGE_VAL, best_lambda = t->o.lambda;
	int worse = 0;
	long step = t->o.lambda < 0 && ntr > CV_SAMPLE ? (ntr + CV_SAMPLE - 1) /
	    CV_SAMPLE : 1;
	ngrid = t->o.lambda >= 0 ? 1 : (int)NGRID;
	/* --model gbdt: no logistic model at all */
	int lr = t->o.model != LQ_TRAIN_GBDT;
	if (!lr)
		ngrid = 0;
	for (int g = 0; lr && g <= ngrid; g++) {
		double lam, loss = 0;
		long nl = 0;
		if (g == ngrid) {	/* out of fold on every row */
			if (step == 1)
				break;
			step = 1;
			lam = best_lambda;
		} else {
			lam = grid_lambda(t, g);
		}
		for (int k = 0; k < K; k++) {
			long nf = 0, no = 0;
			for (long q = 0; q < ntr; q += step) {
				if (fold_of[q] == k) {
					opos[no] = q;
					oidx[no++] = tr[q];
				} else {
					fidx[nf++] = tr[q];
				}
			}
			p.idx = fidx;
			p.n = nf;
			p.lambda = lam;
			fit_lr(&p, W + (size_t)k * d, t->o.gtol, &iters);
			predict(e, ne, W + (size_t)k * d, oidx, no, p.z);
			for (long q = 0; q < no; q++) {
				double z = p.z[q];
				oof[opos[q]] = z;
				loss += log1pexp(z) - (ytr[opos[q]] ? z : 0);
			}
			nl += no;
		}
		if (g == ngrid) {
			memcpy(best_oof, oof, (size_t)ntr * sizeof(double));
			break;
		}
		cvloss[g] = loss / nl;
		if (cvloss[g] < best) {
			best = cvloss[g];
			best_lambda = lam;
			memcpy(best_oof, oof, (size_t)ntr * sizeof(double));
			worse = 0;
		} else if (++worse >= 2) {
			ngrid = g + 1;
		}
	}
	m->lambda = lr ? best_lambda : 0;

	/* final fit on every training row */
	double *w = calloc((size_t)d, sizeof(double));
	for (int k = 0; k < K; k++)
		for (int j = 0; j < d; j++)
			w[j] += W[(size_t)k * d + j] / K;
	p.idx = tr;
	p.n = ntr;
	p.lambda = best_lambda;
	if (lr)
		fit_lr(&p, w, t->o.gtol, &iters);

	/* boosted trees (--model gbdt, auto): calibration, tiers and the
	 * out-of-fold evaluation then come from their sample's margins */
	struct gbres gb;
	double *cz = best_oof;
	uint8_t *cy = ytr;
	const long *cf = fold_of;
	long cn = ntr;
	memset(&gb, 0, sizeof(gb));
	if (t->o.model != LQ_TRAIN_LOGISTIC) {
		if (gbdt_fit(t, m, e, ne, d, tr, ntr, te, nte, fold_of, ytr,
		    lr ? best_oof : NULL, &gb, err)) {
			lq_model_free(m);
			m = NULL;
			pc = pe = pr = NULL;
			ye = NULL;
			se = NULL;
			goto out;
		}
		if (m->gbdt) {
			cz = gb.oof;
			cy = gb.y;
			cf = gb.fold;
			cn = gb.n;
		}
	}

	/* calibration on out-of-fold log-odds; tiers from them */
	struct metrics cvraw, cvcal;
	choose_calibration(cz, cy, cf, cn, K, &cvraw, &cvcal);
	double pa, pb;
	platt(cz, cy, cn, &pa, &pb);
	if ((cvcal.logloss < cvraw.logloss && cvcal.ece <= cvraw.ece) ||
	    !(pa > 0) || !(pa <= LQ_MODEL_WMAX) || !(fabs(pb) <=
	    LQ_MODEL_WMAX)) {
		/* (a calibration that fails is kept: check_fit says why) */
		m->cal_a = round(pa * 1e6) / 1e6;
		m->cal_b = round(pb * 1e6) / 1e6;
		lq_model_note(m, "calibration: Platt scaling kept: out of "
		    "fold it lowers the log loss %.4f -> %.4f and the ECE "
		    "%.4f -> %.4f", cvraw.logloss, cvcal.logloss, cvraw.ece,
		    cvcal.ece);
	} else {
		m->cal_a = 1;
		m->cal_b = 0;
		m->calibrated = 0;
		lq_model_note(m, "calibration: none: out of fold Platt scaling "
		    "would take the log loss %.4f -> %.4f and the ECE %.4f -> "
		    "%.4f (kept only when it lowers the log loss without "
		    "raising the ECE)", cvraw.logloss, cvcal.logloss,
		    cvraw.ece, cvcal.ece);
	}
	pc = malloc((size_t)(ntr + 1) * sizeof(double));
	for (long q = 0; q < cn; q++)
		pc[q] = lq_model_prob(m, cz[q]);
	char tnote[256];
	if (lq_train_tiers(pc, cy, cn, t->o.l1_precision, t->o.l4_rate,
	    m->cut, &l1_met, tnote, sizeof(tnote)))
		lq_model_note(m, "%s", tnote);

	/* evaluation rows: the test rows, else out of fold */
	struct metrics ev, raw;
	long nev = nte ? nte : cn;
	pe = malloc((size_t)(nev + 1) * sizeof(double));
	pr = malloc((size_t)(nev + 1) * sizeof(double));
	ye = malloc((size_t)nev + 1);
	if (nte) {
		if (m->gbdt)
			memcpy(p.z, gb.zte, (size_t)nte * sizeof(double));
		else
			predict(e, ne, w, te, nte, p.z);
		for (long q = 0; q < nte; q++) {
			pe[q] = lq_model_prob(m, p.z[q]);
			pr[q] = sigmoid(p.z[q]);
			ye[q] = t->y[te[q]];
		}
	} else {
		for (long q = 0; q < cn; q++) {
			pe[q] = pc[q];
			pr[q] = sigmoid(cz[q]);
			ye[q] = cy[q];
		}
	}
	evaluate(pe, ye, nev, &ev);
	evaluate(pr, ye, nev, &raw);
	m->auc = ev.auc;
	m->logloss = ev.logloss;
	m->brier = ev.brier;
	m->ece = ev.ece;
	m->ece_raw = raw.ece;
	tier_stats(m, pe, ye, nev, m->tier);

	/* weights, standard errors, profile of the final model */
	se = calloc((size_t)d, sizeof(double));
	if (lr)
		std_errors(&p, w, se, ntr);
	if (check_fit(t, m, e, ne, w, se, d, cvloss, ngrid, &ev, err)) {
		lq_model_free(m);
		m = NULL;
		goto out;
	}
	if (m->gbdt) {	/* the trees decide: no weights */
		memset(w, 0, (size_t)d * sizeof(double));
		memset(se, 0, (size_t)d * sizeof(double));
	}
	m->w0 = w[0];
	m->se0 = se[0];
	for (int j = 0; j < ne; j++)
		for (int c = 0; c < e[j].f->ncol; c++) {
			e[j].f->w[c] = w[e[j].off + c];
			e[j].f->se[c] = se[e[j].off + c];
		}
	long nsh = m->gbdt ? gb.n : ntr;
	if (m->gbdt)
		memcpy(p.z, gb.ztr, (size_t)gb.n * sizeof(double));
	else
		predict(e, ne, w, tr, ntr, p.z);
	for (long q = 0; q < nsh; q++) {
		double pp = lq_model_prob(m, p.z[q]);
		int b = (int)(pp * 10);
		m->score_share[b > 9 ? 9 : b] += 1;
	}
	for (int b = 0; b < 10; b++)
		m->score_share[b] = round(1e4 * m->score_share[b] / nsh) / 1e4;

	if (check_load(t, m, err)) {
		err->code = LQ_EXIT_USAGE;
		lq_model_free(m);
		m = NULL;
		goto out;
	}
	report(t, m, &ev, cvloss, ngrid, human, json);
	for (int j = 0; human && j < ne; j++)
		if (e[j].f->type == LQ_FT_NUM && e[j].c->nstr)
			lq_buf_addf(human, "note: numeric feature '%s': %ld "
			    "value%s not a number (a string, true or false) "
			    "count%s as missing, here and in lq-score\n",
			    e[j].f->name, e[j].c->nstr, e[j].c->nstr > 1 ?
			    "s" : "", e[j].c->nstr > 1 ? "" : "s");
	if (human && !l1_met)
		lq_buf_addf(human, "note: no band reaches the L1 precision "
		    "target %g; L1 is the smallest band allowed (2%% of rows, "
		    "at least 5)\n",
		    t->o.l1_precision);
out:
	(void)iters;
	gbres_release(&gb);
	free(se);
	free(pe);
	free(pr);
	free(ye);
	free(pc);
	free(w);
	free(W);
	free(oof);
	free(best_oof);
	free(fidx);
	free(oidx);
	free(opos);
	free(ytr);
	free(tr);
	free(te);
	free(fold_of);
	free(p.z);
	free(p.r);
	free(e);
	return m;
}
