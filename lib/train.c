/*
 * train.c - lq-train (lq_train.h): setup from the options and rules,
 * collecting records into columns, and what the fit (lq_train_fit in
 * train_run.c) uses: the time split, the report, the checks of the model,
 * the choice of calibration, the guards' notes.
 */
#include "train_int.h"

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
uint64_t
train_mix(uint64_t x)
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
		t->c[i].excluded = train_name_excluded(t, t->c[i].name);
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

/* Free the strings v[0..n) and v. */
static void
free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
lq_train_free(struct lq_train *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->nc; i++) {
		struct col *c = &t->c[i];
		free(c->name);
		free_strs(c->path, (size_t)c->npath);
		free(c->expr);
		free(c->num);
		free(c->sid);
		free_strs(c->str, c->nstrs);
		free(c->tab);
	}
	free(t->c);
	free(t->ctab);
	free(t->y);
	free(t->test);
	free(t->t);
	free(t->sig);
	free_strs(t->excl, (size_t)t->nexcl);
	free_strs(t->incl, (size_t)t->nincl);
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

/* ---- collecting ------------------------------------------------------- */

uint32_t
train_intern(struct col *c, const char *s, size_t n)
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

int
train_glob_any(const char *const *pat, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!fnmatch(pat[i], name, 0))
			return 1;
	return 0;
}

/* Whether name matches an --include pattern or the train: section's. */
int
train_included(const struct lq_train *t, const char *name)
{
	return train_glob_any(t->o.include, t->o.ninclude, name) ||
	    train_glob_any((const char *const *)t->incl, t->nincl, name);
}

int
train_name_excluded(const struct lq_train *t, const char *name)
{
	if (train_glob_any(t->o.exclude, t->o.nexclude, name) ||
	    train_glob_any((const char *const *)t->excl, t->nexcl, name))
		return 1;
	if (!t->o.ninclude && !t->nincl)
		return 0;
	return !train_included(t, name);
}

void
train_grow_col(struct lq_train *t, struct col *c, int want_num, int want_sid)
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
	if (train_name_excluded(t, c->name))
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
	train_grow_col(t, c, 1, 0);
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
		train_grow_col(t, c, 0, 1);
		c->sid[r] = train_intern(c, jv_string_value(v),
		    (size_t)jv_string_length_bytes(jv_copy(v))) + 1;
		c->nstr++;
		break;
	case JV_KIND_TRUE:
	case JV_KIND_FALSE:
		train_grow_col(t, c, 0, 1);
		c->sid[r] = train_intern(c, jv_get_kind(v) == JV_KIND_TRUE ? "true" :
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
			train_grow_col(t, c, 1, 0);
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

/* ---- the whole fit ---------------------------------------------------- */

static const double lambda_grid[NGRID] = { 1000, 100, 10, 1, 0.1, 0.01 };

/* The lambda of cross-validation round g: the grid, or the one given. */
double
train_grid_lambda(const struct lq_train *t, int g)
{
	return t->o.lambda >= 0 ? t->o.lambda : lambda_grid[g];
}

/* mark the latest 20% of the timed rows as test rows */
void
train_time_split(struct lq_train *t)
{
	long nt = 0, *o;
	double *key = malloc((size_t)(t->n + 1) * sizeof(double));

	for (long i = 0; i < t->n; i++)
		key[i] = isnan(t->t[i]) ? -HUGE_VAL : t->t[i];
	o = train_order_desc(key, t->n);
	for (long i = 0; i < t->n; i++)
		nt += !isnan(t->t[i]);
	for (long k = 0; k < nt / 5; k++)
		t->test[o[k]] = 1;
	free(o);
	free(key);
}

void
train_span(struct lq_train *t, struct lq_model *m)
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

/* a named figure of a report line */
struct jfig {
	const char *key;
	double v;
};

/* Append ,"key":value for fig[0..n), the values rounded to 6 digits. */
static void
json_figs(struct lq_buf *js, const struct jfig *fig, int n)
{
	for (int i = 0; i < n; i++) {
		lq_buf_adds(js, ",\"");
		lq_buf_adds(js, fig[i].key);
		lq_buf_adds(js, "\":");
		lq_buf_json_round(js, fig[i].v, 6);
	}
}

void
train_report(struct lq_train *t, struct lq_model *m, const struct metrics *ev,
    const double *cvloss, int ngrid, struct lq_buf *h, struct lq_buf *js)
{
	static const char *const tn[] = { "L1", "L2", "L3", "L4" };
	const struct jfig sum[] = { { "auc", m->auc }, { "log_loss",
	    m->logloss }, { "brier", m->brier }, { "ece", m->ece },
	    { "ece_uncalibrated", m->ece_raw } };

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
			    train_grid_lambda(t, i), cvloss[i]);
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
	lq_buf_addf(js, ",\"eval_rows\":%ld", ev->n);
	json_figs(js, sum, 5);
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
		lq_buf_json_num(js, train_grid_lambda(t, i));
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
		const struct jfig fig[] = { { "conversion", s->conv },
		    { "lift", s->lift }, { "precision", s->precision },
		    { "recall", s->recall }, { "fpr", s->fpr } };
		lq_buf_addf(js, "{\"type\":\"tier\",\"tier\":\"%s\",\"min_"
		    "probability\":", tn[k]);
		lq_buf_json_num(js, k < 3 ? m->cut[k] : 0);
		lq_buf_addf(js, ",\"rows\":%ld,\"positives\":%ld", s->count,
		    s->pos);
		json_figs(js, fig, 5);
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
int
train_check_fit(const struct lq_train *t, const struct lq_model *m,
    const struct enc *e, int ne, const double *w, const double *se, int d,
    const double *cvloss, int ngrid, const struct metrics *ev,
    struct lq_err *err)
{
	char name[256];

	for (int g = 0; g < ngrid; g++)
		if (!isfinite(cvloss[g]))
			return lq_err_set(err, LQ_EXIT_USAGE, "the fit failed: "
			    "cross validation at lambda %g gave a log loss of "
			    "%g; no model written", train_grid_lambda(t, g),
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
int
train_check_load(struct lq_train *t, const struct lq_model *m, struct lq_err *err)
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
 * other folds, against train_sigmoid(z) as it is.  0, or -1 when out of
 * memory.
 */
int
train_choose_calibration(const double *z, const uint8_t *y, const long *fold_of,
    long n, int K, struct metrics *raw, struct metrics *cal)
{
	double *pr = malloc((size_t)(n + 1) * sizeof(double));
	double *pc = malloc((size_t)(n + 1) * sizeof(double));
	double *zk = calloc((size_t)n + 1, sizeof(double));
	uint8_t *yk = calloc((size_t)n + 1, 1);
	int rc = -1;

	if (!pr || !pc || !zk || !yk)
		goto out;
	for (long i = 0; i < n; i++)
		pr[i] = train_sigmoid(z[i]);
	for (int k = 0; k < K; k++) {
		long m = 0;
		double a, b;
		for (long i = 0; i < n; i++)
			if (fold_of[i] != k) {
				zk[m] = z[i];
				yk[m++] = y[i];
			}
		train_platt(zk, yk, m, &a, &b);
		for (long i = 0; i < n; i++)
			if (fold_of[i] == k)
				pc[i] = train_sigmoid(a * z[i] + b);
	}
	train_evaluate(pr, y, n, raw);
	train_evaluate(pc, y, n, cal);
	rc = 0;
out:
	free(pr);
	free(pc);
	free(zk);
	free(yk);
	return rc;
}

/* Note that a guard left out feature name, with the evidence. */
void
train_left_out(struct lq_train *t, struct lq_model *m, const char *name,
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
