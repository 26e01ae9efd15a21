/*
 * model_file.c - the model file: YAML written by lq-train, read back with
 * every value range-checked, and sealed with a checksum so that a truncated
 * or hand-edited file is refused (lq-train --reseal after a deliberate edit).
 */
#include "model_int.h"

/* ---- writing ---------------------------------------------------------- */

static void
ystr(struct lq_buf *b, const char *s)
{
	lq_buf_addc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			lq_buf_addf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			lq_buf_addf(b, "\\x%02x", c);
		else
			lq_buf_addc(b, c);
	}
	lq_buf_addc(b, '"');
}

/*
 * A number as YAML: %.8g.  NaN and infinities are written as .nan and
 * .inf, which no loader accepts: lq-train loads what it wrote before it
 * keeps it, so they can never pass for a number.
 */
static void
ynum(struct lq_buf *b, double v)
{
	char t[64];

	if (!isfinite(v)) {
		lq_buf_adds(b, isnan(v) ? ".nan" : v > 0 ? ".inf" : "-.inf");
		return;
	}
	if (v == 0)
		v = 0;		/* no "-0" */
	snprintf(t, sizeof(t), "%.8g", v);
	lq_buf_adds(b, t);
}

/*
 * A number as YAML in the fewest digits that read back as the same
 * double: tier cut-offs, which must not move past any row.
 */
static void
yexact(struct lq_buf *b, double v)
{
	char t[64];

	if (!isfinite(v)) {
		ynum(b, v);
		return;
	}
	for (int p = 1; p <= 17; p++) {
		snprintf(t, sizeof(t), "%.*g", p, v == 0 ? 0 : v);
		if (strtod(t, NULL) == v)
			break;
	}
	lq_buf_adds(b, t);
}

static void
ycol_in(struct lq_buf *b, const struct lq_feat *f, int c)
{
	lq_buf_adds(b, "weight: ");
	ynum(b, f->w[c]);
	lq_buf_adds(b, ", se: ");
	ynum(b, f->se[c]);
	lq_buf_addf(b, ", rows: %ld", f->count[c]);
}

static void
ycol(struct lq_buf *b, const struct lq_feat *f, int c)
{
	lq_buf_addc(b, '{');
	ycol_in(b, f, c);
	lq_buf_addc(b, '}');
}

static void
write_feat(struct lq_buf *b, const struct lq_feat *f)
{
	lq_buf_adds(b, "  - name: ");
	ystr(b, f->name);
	lq_buf_adds(b, "\n");
	switch (f->src) {
	case LQ_FS_FIELD:
		lq_buf_adds(b, "    field: [");
		for (int i = 0; i < f->npath; i++) {
			lq_buf_adds(b, i ? ", " : "");
			ystr(b, f->path[i]);
		}
		lq_buf_adds(b, "]\n");
		if (f->length)
			lq_buf_adds(b, "    length: true\n");
		break;
	case LQ_FS_SIGNAL:
		lq_buf_adds(b, "    signal: ");
		ystr(b, f->expr);
		lq_buf_adds(b, "\n");
		break;
	case LQ_FS_EXPR:
		lq_buf_adds(b, "    expr: ");
		ystr(b, f->expr);
		lq_buf_adds(b, "\n");
		break;
	}
	if (f->type == LQ_FT_CAT) {
		lq_buf_adds(b, f->nlev ? "    type: category\n    levels:\n" :
		    "    type: category\n    levels: []\n");
		for (int i = 0; i < f->nlev; i++) {
			lq_buf_adds(b, "      - {value: ");
			ystr(b, f->levels[i]);
			lq_buf_adds(b, ", ");
			ycol_in(b, f, i);
			lq_buf_adds(b, "}\n");
		}
		lq_buf_adds(b, "    other: ");
		ycol(b, f, LQ_COL_OTHER(f));
		lq_buf_adds(b, "\n    missing: ");
		ycol(b, f, LQ_COL_MISSING(f));
		lq_buf_adds(b, "\n");
		return;
	}
	lq_buf_addf(b, "    type: numeric\n    transform: %s\n    center: ",
	    f->logt ? "log1p" : "none");
	ynum(b, f->center);
	lq_buf_adds(b, "\n    scale: ");
	ynum(b, f->scale);
	lq_buf_adds(b, "\n");
	if (isfinite(f->lo) && isfinite(f->hi)) {
		lq_buf_adds(b, "    clip: [");
		ynum(b, f->lo);
		lq_buf_adds(b, ", ");
		ynum(b, f->hi);
		lq_buf_adds(b, "]\n");
	}
	lq_buf_adds(b, "    value: ");
	ycol(b, f, 0);
	lq_buf_adds(b, "\n    missing: ");
	ycol(b, f, 1);
	lq_buf_adds(b, "\n");
}

/* a named number of a YAML mapping */
struct ykv {
	const char *key;
	double v;
};

/* Write kv[0..n) as "key: value", with sep between them. */
static void
ykvs(struct lq_buf *b, const char *sep, const struct ykv *kv, int n)
{
	for (int i = 0; i < n; i++) {
		lq_buf_adds(b, i ? sep : "");
		lq_buf_adds(b, kv[i].key);
		lq_buf_adds(b, ": ");
		ynum(b, kv[i].v);
	}
}

/* ykvs over a whole array */
#define YKVS(b, sep, kv) \
	ykvs(b, sep, kv, (int)(sizeof(kv) / sizeof((kv)[0])))

/* Write v[0..n) as a YAML flow sequence. */
static void
ynums(struct lq_buf *b, const double *v, int n)
{
	lq_buf_addc(b, '[');
	for (int i = 0; i < n; i++) {
		lq_buf_adds(b, i ? ", " : "");
		ynum(b, v[i]);
	}
	lq_buf_addc(b, ']');
}

static void
write_profile(struct lq_buf *b, const struct lq_model *m)
{
	double edges[11];

	for (int i = 0; i <= 10; i++)
		edges[i] = i / 10.0;
	lq_buf_addf(b, "profile:\n  rows: %ld\n  score: {edges: ", m->rows);
	ynums(b, edges, 11);
	lq_buf_adds(b, ", share: ");
	ynums(b, m->score_share, 10);
	lq_buf_adds(b, "}\n  features:\n");
	for (int i = 0; i < m->nf; i++) {
		const struct lq_feat *f = &m->f[i];
		lq_buf_adds(b, "    ");
		ystr(b, f->name);
		if (f->type == LQ_FT_NUM) {
			lq_buf_adds(b, ": {edges: ");
			ynums(b, f->pedge, f->npedge);
		} else {
			lq_buf_adds(b, ": {levels: [");
			for (int k = 0; k < f->nlev; k++) {
				ystr(b, f->levels[k]);
				lq_buf_adds(b, ", ");
			}
			lq_buf_adds(b, "\"(other)\", \"(missing)\"]");
		}
		lq_buf_adds(b, ", share: ");
		ynums(b, f->pshare, f->npshare);
		lq_buf_adds(b, "}\n");
	}
}

void
lq_model_write(const struct lq_model *m, struct lq_buf *b)
{
	size_t start = b->len;

	if (m->gbdt)
		lq_buf_adds(b, "# lq-train model: gradient-boosted trees "
		    "(xgboost).  See lq-train(1).\n"
		    "# log-odds = the trees' margin (booster:) on the "
		    "features' encoded columns;\n# probability = "
		    "1/(1+exp(-(a*log-odds+b))).  Weights are 0: the trees "
		    "decide.\n");
	else
		lq_buf_adds(b, "# lq-train model: L2-regularised logistic "
		    "regression.  See lq-train(1).\n"
		    "# log-odds = intercept + one contribution per feature;"
		    " probability = 1/(1+exp(-(a*log-odds+b))).\n");
	lq_buf_addf(b, "version: 1\nmodel: %s\nlabel: ", m->gbdt ? "gbdt" :
	    "logistic");
	ystr(b, m->label ? m->label : "");
	if (m->nnullv) {
		lq_buf_adds(b, "\nnull_values: [");
		for (int i = 0; i < m->nnullv; i++) {
			lq_buf_adds(b, i ? ", " : "");
			ystr(b, m->nullv[i]);
		}
		lq_buf_adds(b, "]");
	}
	lq_buf_addf(b, "\ntraining:\n  rows: %ld\n  positives: %ld\n"
	    "  positive_rate: ", m->rows, m->pos);
	ynum(b, m->rows ? (double)m->pos / m->rows : 0);
	lq_buf_addf(b, "\n  skipped: %ld\n  lambda: ", m->skipped);
	ynum(b, m->lambda);
	lq_buf_addf(b, "\n  folds: %d\n  evaluation: ", m->folds);
	ystr(b, m->eval ? m->eval : "cv");
	lq_buf_adds(b, "\n");
	if (m->time_field) {
		lq_buf_adds(b, "  time_field: ");
		ystr(b, m->time_field);
		lq_buf_adds(b, "\n  first: ");
		ystr(b, m->first ? m->first : "");
		lq_buf_adds(b, "\n  last: ");
		ystr(b, m->last ? m->last : "");
		lq_buf_adds(b, "\n");
	}
	if (m->nnotes) {
		lq_buf_adds(b, "# what lq-train decided and why (left out, tiers, "
		    "calibration)\nnotes:\n");
		for (int i = 0; i < m->nnotes; i++) {
			lq_buf_adds(b, "  - ");
			ystr(b, m->notes[i]);
			lq_buf_adds(b, "\n");
		}
	}
	const struct ykv met[] = { { "auc", m->auc }, { "log_loss",
	    m->logloss }, { "brier", m->brier }, { "ece", m->ece },
	    { "ece_uncalibrated", m->ece_raw } };
	const struct ykv cal[] = { { "a", m->cal_a }, { "b", m->cal_b } };
	const struct ykv tgt[] = { { "min_confidence", m->min_conf },
	    { "l1_precision", m->l1_target } };
	lq_buf_adds(b, "metrics:\n  ");
	YKVS(b, "\n  ", met);
	lq_buf_adds(b, m->calibrated ? "\ncalibration:\n  method: platt\n  " :
	    "\ncalibration:\n  method: none\n  ");
	YKVS(b, "\n  ", cal);
	lq_buf_adds(b, "\n# tiers: minimum calibrated probability.  L1: the largest "
	    "top band (at least 2% of\n# rows, 5 or more) whose precision "
	    "meets l1_precision; L4: below the low\n# conversion rate "
	    "(default half the base rate); L2/L3 split at the base rate.\n"
	    "tiers:\n");
	for (int i = 0; i < 3; i++) {
		lq_buf_addf(b, "  %s: ", model_tier_names[i]);
		yexact(b, m->cut[i]);
		lq_buf_adds(b, "\n");
	}
	lq_buf_adds(b, "  ");
	YKVS(b, "\n  ", tgt);
	lq_buf_adds(b, "\n  achieved:\n");
	for (int i = 0; i < 4; i++) {
		const struct lq_tierstat *t = &m->tier[i];
		const struct ykv ach[] = {
			{ "conversion", round(t->conv * 1e4) / 1e4 },
			{ "lift", round(t->lift * 1e3) / 1e3 },
			{ "precision", round(t->precision * 1e4) / 1e4 },
			{ "recall", round(t->recall * 1e4) / 1e4 },
			{ "fpr", round(t->fpr * 1e4) / 1e4 } };
		lq_buf_addf(b, "    %s: {rows: %ld, ", model_tier_names[i],
		    t->count);
		YKVS(b, ", ", ach);
		lq_buf_adds(b, "}\n");
	}
	lq_buf_adds(b, "intercept: {weight: ");
	ynum(b, m->w0);
	lq_buf_adds(b, ", se: ");
	ynum(b, m->se0);
	lq_buf_adds(b, "}\nfeatures:\n");
	for (int i = 0; i < m->nf; i++)
		write_feat(b, &m->f[i]);
	write_profile(b, m);
	if (m->gbdt) {
		lq_buf_addf(b, "# the trees: xgboost's JSON model, base64\n"
		    "booster:\n  format: xgboost-json\n  columns: %d\n"
		    "  max_depth: %d\n  eta: ", m->ncols, m->gb_depth);
		ynum(b, m->gb_eta);
		lq_buf_addf(b, "\n  rounds: %d\n  model: |\n", m->gb_rounds);
		lq_buf_adds(b, m->gb_text ? m->gb_text : "");
	}
	lq_model_seal(b, start);
}

/* ---- reading ---------------------------------------------------------- */

struct rd {
	struct lq_ydoc *d;
	struct lq_err *err;
	int flags;
};

/* The value of key in map; a missing key is an error. */
static struct lq_ynode *
rget(struct rd *r, const struct lq_ynode *map, const char *key)
{
	struct lq_ynode *v = lq_ymap_get(map, key);

	if (!v)
		lq_yerr(r->d, map, r->err, "model: '%s' is missing", key);
	return v;
}

/* Mapping node n, its keys among allowed. */
static int
rmap(struct rd *r, const struct lq_ynode *n, const char *what,
    const char *const *allowed)
{
	return lq_ymap_check(r->d, n, what, allowed, r->err);
}

/* The number key of map, within [lo, hi]. */
static int
rnum(struct rd *r, const struct lq_ynode *map, const char *key, double lo,
    double hi, double *out)
{
	struct lq_ynode *v = rget(r, map, key);

	return v ? lq_ynum_in(r->d, v, key, lo, hi, out, r->err) : -1;
}

/* The whole number key of map, within [lo, hi]. */
static int
rlong(struct rd *r, const struct lq_ynode *map, const char *key, long lo,
    long hi, long *out)
{
	struct lq_ynode *v = rget(r, map, key);

	return v ? lq_yint_in(r->d, v, key, lo, hi, out, r->err) : -1;
}

/* The string key of map (a copy in *out); optional: absence is no error. */
static int
rstr(struct rd *r, const struct lq_ynode *map, const char *key, char **out,
    int optional)
{
	struct lq_ynode *v = optional ? lq_ymap_get(map, key) :
	    rget(r, map, key);
	const char *s;

	if (!v)
		return optional ? 0 : -1;
	if (lq_ystr(r->d, v, key, &s, r->err))
		return -1;
	free(*out);
	*out = strdup(s);
	return 0;
}

/* The string key of map, one of words (NULL-ended): its index in *out. */
static int
rword(struct rd *r, const struct lq_ynode *map, const char *key,
    const char *const *words, int *out)
{
	struct lq_ynode *v = rget(r, map, key);
	struct lq_buf list = LQ_BUF_INIT;
	const char *s;

	if (!v || lq_ystr(r->d, v, key, &s, r->err))
		return -1;
	for (int i = 0; words[i]; i++)
		if (!strcmp(s, words[i])) {
			*out = i;
			return 0;
		}
	for (int i = 0; words[i]; i++)
		lq_buf_addf(&list, "%s%s", i ? (words[i + 1] ? ", " : " or ") :
		    "", words[i]);
	lq_yerr(r->d, v, r->err, "%s must be %s, not '%s'", key, list.buf, s);
	lq_buf_release(&list);
	return -1;
}

/*
 * The list key of map: n numbers (any count when n < 0, at least 2)
 * within [lo, hi], ascending when asc.  Its length in *count.
 */
static int
rnums(struct rd *r, const struct lq_ynode *map, const char *key, int n,
    double lo, double hi, int asc, int *count)
{
	struct lq_ynode *v = rget(r, map, key);
	double x, prev = -HUGE_VAL;

	if (!v || lq_yexpect(r->d, v, LQ_Y_SEQ, key, r->err))
		return -1;
	if (n >= 0 ? v->n != (size_t)n : v->n < 2)
		return lq_yerr(r->d, v, r->err, "%s: %s%d numbers, not %zu", key,
		    n >= 0 ? "" : "at least ", n >= 0 ? n : 2, v->n);
	for (size_t i = 0; i < v->n; i++) {
		if (lq_ynum_in(r->d, v->items[i], key, lo, hi, &x, r->err))
			return -1;
		if (asc && x < prev)
			return lq_yerr(r->d, v->items[i], r->err, "%s must "
			    "ascend", key);
		prev = x;
	}
	if (count)
		*count = (int)v->n;
	return 0;
}

static const char *const col_keys[] = { "weight", "se", "rows", NULL };
static const char *const level_keys[] = { "value", "weight", "se", "rows",
	NULL };

/* Column c of f from the mapping n (keys: col_keys, or level_keys). */
static int
rcol(struct rd *r, const struct lq_ynode *n, const char *const *keys,
    struct lq_feat *f, int c)
{
	if (!n || rmap(r, n, "a weight", keys) ||
	    rnum(r, n, "weight", -LQ_MODEL_WMAX, LQ_MODEL_WMAX, &f->w[c]) ||
	    rnum(r, n, "se", 0, LQ_MODEL_SEMAX, &f->se[c]) ||
	    rlong(r, n, "rows", 0, LONG_MAX, &f->count[c]))
		return -1;
	return 0;
}

static const char *const feat_keys[] = { "name", "field", "length", "signal",
	"expr", "type", "levels", "other", "missing", "transform", "center",
	"scale", "clip", "value", NULL };
static const char *const cat_keys[] = { "name", "field", "length", "signal",
	"expr", "type", "levels", "other", "missing", NULL };
static const char *const num_keys[] = { "name", "field", "length", "signal",
	"expr", "type", "transform", "center", "scale", "clip", "value",
	"missing", NULL };
static const char *const ftypes[] = { "category", "numeric", NULL };
static const char *const transforms[] = { "none", "log1p", NULL };

/* Where feature f's value comes from: exactly one of field, signal, expr. */
static int
read_source(struct rd *r, struct lq_model *m, struct lq_ynode *n,
    struct lq_feat *f)
{
	struct lq_ydoc *d = r->d;
	struct lq_ynode *c, *fld = lq_ymap_get(n, "field"),
	    *sig = lq_ymap_get(n, "signal"), *ex = lq_ymap_get(n, "expr");
	const char *s;

	if (!!fld + !!sig + !!ex != 1)
		return lq_yerr(d, n, r->err, "feature '%s' needs one of field, "
		    "signal or expr", f->name);
	if ((c = lq_ymap_get(n, "length")) && !fld)
		return lq_yerr(d, c, r->err, "length: only with field");
	if (fld) {
		f->src = LQ_FS_FIELD;
		if (lq_yexpect(d, fld, LQ_Y_SEQ, "field", r->err))
			return -1;
		if (!fld->n)
			return lq_yerr(d, fld, r->err, "field: an empty path");
		f->path = calloc(fld->n + 1, sizeof(char *));
		for (size_t i = 0; i < fld->n; i++) {
			if (lq_ystr(d, fld->items[i], "field", &s, r->err))
				return -1;
			f->path[f->npath++] = strdup(s);
		}
		return c ? lq_ybool(d, c, "length", &f->length, r->err) : 0;
	}
	if (sig) {
		f->src = LQ_FS_SIGNAL;
		f->slot = -1;
		if (rstr(r, n, "signal", &f->expr, 0))
			return -1;
		if (!m->sc && (r->flags & LQ_MODEL_ANY_SIGNAL))
			return 0;
		if (!m->sc)
			return lq_yerr(d, sig, r->err, "feature '%s' uses a "
			    "score signal: give the rule file with -r",
			    f->name);
		for (int i = 0; i < lq_score_nsignals(m->sc); i++)
			if (!strcmp(lq_score_signal_name(m->sc, i), f->expr))
				f->slot = i;
		if (f->slot < 0)
			return lq_yerr(d, sig, r->err, "signal '%s' is not in "
			    "the rule file", f->expr);
		return 0;
	}
	struct lq_expr_src src = { d->file, ex->line, ex->col, 0 };
	f->src = LQ_FS_EXPR;
	if (rstr(r, n, "expr", &f->expr, 0))
		return -1;
	if (!m->x)
		m->x = lq_exprs_new();
	return (f->slot = lq_exprs_add(m->x, f->expr, &src, r->err)) < 0 ?
	    -1 : 0;
}

static void
feat_cols(struct lq_feat *f, int ncol)
{
	f->ncol = ncol;
	f->w = calloc((size_t)ncol, sizeof(double));
	f->se = calloc((size_t)ncol, sizeof(double));
	f->count = calloc((size_t)ncol, sizeof(long));
}

static int
read_cat(struct rd *r, struct lq_ynode *n, struct lq_feat *f)
{
	struct lq_ydoc *d = r->d;
	struct lq_ynode *c;
	const char *s;

	f->type = LQ_FT_CAT;
	if (rmap(r, n, "a category feature", cat_keys) ||
	    !(c = rget(r, n, "levels")) ||
	    lq_yexpect(d, c, LQ_Y_SEQ, "levels", r->err))
		return -1;
	f->nlev = (int)c->n;
	f->levels = calloc((size_t)f->nlev + 1, sizeof(char *));
	feat_cols(f, f->nlev + 2);
	for (int i = 0; i < f->nlev; i++) {
		struct lq_ynode *l = c->items[i], *v;
		if (lq_yexpect(d, l, LQ_Y_MAP, "level", r->err) ||
		    !(v = rget(r, l, "value")) ||
		    lq_ystr(d, v, "value", &s, r->err))
			return -1;
		f->levels[i] = strdup(s);
		if (rcol(r, l, level_keys, f, i))
			return -1;
	}
	if (rcol(r, rget(r, n, "other"), col_keys, f, LQ_COL_OTHER(f)) ||
	    rcol(r, rget(r, n, "missing"), col_keys, f, LQ_COL_MISSING(f)))
		return -1;
	model_feat_index(f);
	for (int i = 1; i < f->nlev; i++)
		if (!strcmp(f->levels[f->order[i]], f->levels[f->order[i - 1]]))
			return lq_yerr(d, c->items[f->order[i]], r->err,
			    "feature '%s': duplicate level '%s'", f->name,
			    f->levels[f->order[i]]);
	return 0;
}

static int
read_num(struct rd *r, struct lq_ynode *n, struct lq_feat *f)
{
	struct lq_ydoc *d = r->d;
	struct lq_ynode *c;

	f->type = LQ_FT_NUM;
	f->lo = -HUGE_VAL;
	f->hi = HUGE_VAL;
	feat_cols(f, 2);
	if (rmap(r, n, "a numeric feature", num_keys) ||
	    rword(r, n, "transform", transforms, &f->logt) ||
	    rnum(r, n, "center", -LQ_MODEL_XMAX, LQ_MODEL_XMAX, &f->center) ||
	    rnum(r, n, "scale", -LQ_MODEL_XMAX, LQ_MODEL_XMAX, &f->scale))
		return -1;
	if (!(f->scale > 0))
		return lq_yerr(d, lq_ymap_get(n, "scale"), r->err, "feature "
		    "'%s': scale must be > 0, not %g", f->name, f->scale);
	if ((c = lq_ymap_get(n, "clip"))) {
		if (lq_yexpect(d, c, LQ_Y_SEQ, "clip", r->err))
			return -1;
		if (c->n != 2)
			return lq_yerr(d, c, r->err, "clip: [low, high]");
		if (lq_ynum(d, c->items[0], "clip", &f->lo, r->err) ||
		    lq_ynum(d, c->items[1], "clip", &f->hi, r->err))
			return -1;
		if (f->lo > f->hi)
			return lq_yerr(d, c, r->err, "clip: low (%g) above "
			    "high (%g)", f->lo, f->hi);
	}
	return rcol(r, rget(r, n, "value"), col_keys, f, 0) ||
	    rcol(r, rget(r, n, "missing"), col_keys, f, 1) ? -1 : 0;
}

static int
read_feat(struct rd *r, struct lq_model *m, struct lq_ynode *n,
    struct lq_feat *f)
{
	int type;

	if (rmap(r, n, "a feature", feat_keys) ||
	    rstr(r, n, "name", &f->name, 0))
		return -1;
	if (!*f->name)
		return lq_yerr(r->d, lq_ymap_get(n, "name"), r->err, "a feature "
		    "name cannot be empty");
	if (read_source(r, m, n, f) || rword(r, n, "type", ftypes, &type))
		return -1;
	return type == 0 ? read_cat(r, n, f) : read_num(r, n, f);
}

static const char *const prof_keys[] = { "rows", "score", "features", NULL };
static const char *const edge_keys[] = { "edges", "share", NULL };
static const char *const plevel_keys[] = { "levels", "share", NULL };

/*
 * The profile: (read by lq-report; checked here): one distribution per
 * feature, in the order and with the levels of the features: list.
 */
static int
read_profile(struct rd *r, struct lq_model *m, const struct lq_ynode *p)
{
	struct lq_ydoc *d = r->d;
	const struct lq_ynode *n, *fs;
	long rows;
	int ne;

	if (rmap(r, p, "the profile", prof_keys) ||
	    rlong(r, p, "rows", 0, LONG_MAX, &rows))
		return -1;
	if (rows != m->rows)
		return lq_yerr(d, lq_ymap_get(p, "rows"), r->err, "profile: "
		    "rows %ld, but the model was trained on %ld", rows,
		    m->rows);
	if (!(n = rget(r, p, "score")) || rmap(r, n, "a profile", edge_keys) ||
	    rnums(r, n, "edges", 11, 0, 1, 1, NULL) ||
	    rnums(r, n, "share", 10, 0, 1, 0, NULL) ||
	    !(fs = rget(r, p, "features")))
		return -1;
	if (lq_ynull(fs) && !m->nf)
		return 0;
	if (lq_yexpect(d, fs, LQ_Y_MAP, "features", r->err))
		return -1;
	if (fs->n != (size_t)m->nf)
		return lq_yerr(d, fs, r->err, "profile: %zu features, but the "
		    "model has %d", fs->n, m->nf);
	for (int i = 0; i < m->nf; i++) {
		const struct lq_feat *f = &m->f[i];
		const struct lq_ynode *e = fs->items[i], *lv;
		if (strcmp(fs->keys[i]->str, f->name))
			return lq_yerr(d, fs->keys[i], r->err, "profile: "
			    "feature '%s' where the model has '%s'",
			    fs->keys[i]->str, f->name);
		if (f->type == LQ_FT_NUM) {
			if (rmap(r, e, "a profile", edge_keys) ||
			    rnums(r, e, "edges", -1, -HUGE_VAL, HUGE_VAL, 1,
			    &ne) || rnums(r, e, "share", ne - 1, 0, 1, 0, NULL))
				return -1;
			continue;
		}
		if (rmap(r, e, "a profile", plevel_keys) ||
		    !(lv = rget(r, e, "levels")) ||
		    lq_yexpect(d, lv, LQ_Y_SEQ, "levels", r->err))
			return -1;
		if (lv->n != (size_t)f->nlev + 2)
			return lq_yerr(d, lv, r->err, "profile of '%s': %d "
			    "levels expected, not %zu", f->name, f->nlev + 2,
			    lv->n);
		for (int k = 0; k < f->nlev + 2; k++) {
			const char *s, *want = k < f->nlev ? f->levels[k] :
			    k == f->nlev ? "(other)" : "(missing)";
			if (lq_ystr(d, lv->items[k], "levels", &s, r->err))
				return -1;
			if (strcmp(s, want))
				return lq_yerr(d, lv->items[k], r->err,
				    "profile of '%s': level '%s' where the "
				    "model has '%s'", f->name, s, want);
		}
		if (rnums(r, e, "share", f->nlev + 2, 0, 1, 0, NULL))
			return -1;
	}
	return 0;
}

static const char *const top_keys[] = { "version", "model", "label",
	"training", "metrics", "calibration", "tiers", "intercept", "features",
	"profile", "checksum", "null_values", "notes", "booster", NULL };
static const char *const training_keys[] = { "rows", "positives",
	"positive_rate", "skipped", "lambda", "folds", "evaluation",
	"time_field", "first", "last", NULL };
static const char *const metric_keys[] = { "auc", "log_loss", "brier", "ece",
	"ece_uncalibrated", NULL };
static const char *const cal_keys[] = { "method", "a", "b", NULL };
static const char *const tier_keys[] = { "L1", "L2", "L3", "min_confidence",
	"l1_precision", "achieved", NULL };
static const char *const achieved_keys[] = { "L1", "L2", "L3", "L4", NULL };
static const char *const stat_keys[] = { "rows", "conversion", "lift",
	"precision", "recall", "fpr", NULL };
static const char *const icpt_keys[] = { "weight", "se", NULL };
static const char *const models[] = { "logistic", "gbdt", NULL };
static const char *const booster_keys[] = { "format", "columns",
	"max_depth", "eta", "rounds", "model", NULL };
static const char *const booster_formats[] = { "xgboost-json", NULL };
static const char *const evals[] = { "cv", "holdout", "time", NULL };
static const char *const methods[] = { "platt", "none", NULL };

/* An optional sequence of strings under key: each appended by add. */
static int
rstrs(struct rd *r, const struct lq_ynode *map, const char *key,
    struct lq_model *m, void (*add)(struct lq_model *, const char *))
{
	const struct lq_ynode *v = lq_ymap_get(map, key);
	const char *s;

	if (!v || lq_ynull(v))
		return 0;
	if (lq_yexpect(r->d, v, LQ_Y_SEQ, key, r->err))
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		if (lq_ystr(r->d, v->items[i], key, &s, r->err))
			return -1;
		add(m, s);
	}
	return 0;
}

static void
add_note(struct lq_model *m, const char *s)
{
	lq_model_note(m, "%s", s);
}

/* A date of the training section: empty (no timed rows) or a time. */
static int
rdate(struct rd *r, const struct lq_ynode *map, const char *key, char **out)
{
	double t;

	if (rstr(r, map, key, out, 1))
		return -1;
	if (*out && **out && lq_time_parse(*out, strlen(*out), &t))
		return lq_yerr(r->d, lq_ymap_get(map, key), r->err, "%s: not a "
		    "time: '%s'", key, *out);
	return 0;
}

static int
read_training(struct rd *r, struct lq_model *m, const struct lq_ynode *c)
{
	double rate;
	long folds;
	int ev;

	if (rmap(r, c, "the training section", training_keys) ||
	    rlong(r, c, "rows", 0, LONG_MAX, &m->rows) ||
	    rlong(r, c, "positives", 0, m->rows, &m->pos) ||
	    rnum(r, c, "positive_rate", 0, 1, &rate) ||
	    rlong(r, c, "skipped", 0, LONG_MAX, &m->skipped) ||
	    rnum(r, c, "lambda", 0, 1e12, &m->lambda) ||
	    rlong(r, c, "folds", 2, 100, &folds) ||
	    rword(r, c, "evaluation", evals, &ev))
		return -1;
	m->folds = (int)folds;
	m->eval = strdup(evals[ev]);
	if (rstr(r, c, "time_field", &m->time_field, 1) ||
	    rdate(r, c, "first", &m->first) || rdate(r, c, "last", &m->last))
		return -1;
	return 0;
}

static int
read_tiers(struct rd *r, struct lq_model *m, const struct lq_ynode *t)
{
	const struct lq_ynode *a, *s;

	if (rmap(r, t, "the tiers", tier_keys))
		return -1;
	for (int i = 0; i < 3; i++) {
		if (rnum(r, t, model_tier_names[i], 0, 1, &m->cut[i]))
			return -1;
		if (i && m->cut[i] > m->cut[i - 1])
			return lq_yerr(r->d, lq_ymap_get(t, model_tier_names[i]),
			    r->err, "tiers: %s (%g) above %s (%g): the "
			    "cut-offs must not ascend from L1 to L3",
			    model_tier_names[i], m->cut[i], model_tier_names[i - 1],
			    m->cut[i - 1]);
	}
	if (rnum(r, t, "min_confidence", 0, 1, &m->min_conf) ||
	    rnum(r, t, "l1_precision", 0, 1, &m->l1_target) ||
	    !(a = rget(r, t, "achieved")) ||
	    rmap(r, a, "the achieved tiers", achieved_keys))
		return -1;
	for (int i = 0; i < 4; i++) {
		struct lq_tierstat *ts = &m->tier[i];
		if (!(s = rget(r, a, model_tier_names[i])) ||
		    rmap(r, s, "a tier", stat_keys) ||
		    rlong(r, s, "rows", 0, LONG_MAX, &ts->count) ||
		    rnum(r, s, "conversion", 0, 1, &ts->conv) ||
		    rnum(r, s, "lift", 0, HUGE_VAL, &ts->lift) ||
		    rnum(r, s, "precision", 0, 1, &ts->precision) ||
		    rnum(r, s, "recall", 0, 1, &ts->recall) ||
		    rnum(r, s, "fpr", 0, 1, &ts->fpr))
			return -1;
	}
	return 0;
}

/* A gbdt model's booster: section (none in a logistic one). */
static int
read_booster(struct rd *r, struct lq_model *m, const struct lq_ynode *root)
{
	struct lq_ynode *c = lq_ymap_get(root, "booster"), *t;
	long cols, depth, rounds;
	int k;

	m->ncols = 0;
	for (int i = 0; i < m->nf; i++)
		m->ncols += m->f[i].ncol;
	if (!m->gbdt) {
		if (c)
			return lq_yerr(r->d, c, r->err, "model: a logistic "
			    "model has no booster:");
		return 0;
	}
	if (!(c = rget(r, root, "booster")) ||
	    rmap(r, c, "the booster", booster_keys) ||
	    rword(r, c, "format", booster_formats, &k) ||
	    rlong(r, c, "columns", 1, 1L << 24, &cols) ||
	    rlong(r, c, "max_depth", 1, 64, &depth) ||
	    rnum(r, c, "eta", 1e-6, 1, &m->gb_eta) ||
	    rlong(r, c, "rounds", 1, 1L << 24, &rounds) ||
	    !(t = rget(r, c, "model")) ||
	    lq_yexpect(r->d, t, LQ_Y_SCALAR, "model", r->err))
		return -1;
	m->gb_depth = (int)depth;
	m->gb_rounds = (int)rounds;
	if (cols != m->ncols)
		return lq_yerr(r->d, lq_ymap_get(c, "columns"), r->err,
		    "booster: columns must be %d (the features' encoded "
		    "columns), not %ld", m->ncols, cols);
	if (!(m->gb = lq_gbdt_load(t->str, t->len, m->ncols, r->err))) {
		struct lq_err e2 = *r->err;
		return lq_yerr(r->d, t, r->err, "model: %s", e2.msg);
	}
	m->row = calloc((size_t)m->ncols + 1, sizeof(float));
	m->gc = calloc((size_t)m->ncols + 2, sizeof(double));
	return 0;
}

static int
read_model(struct rd *r, struct lq_model *m)
{
	struct lq_ydoc *d = r->d;
	struct lq_ynode *root = d->root, *c;
	long version;
	int k;

	if (!root || root->kind != LQ_Y_MAP)
		return lq_err_at(r->err, d->file, 1, 1, "not a model file");
	if (rmap(r, root, "the model", top_keys) ||
	    rlong(r, root, "version", 0, LONG_MAX, &version))
		return -1;
	if (version != 1)
		return lq_yerr(d, lq_ymap_get(root, "version"), r->err,
		    "unsupported model version %ld (this lq reads version 1)",
		    version);
	if (rword(r, root, "model", models, &k))
		return -1;
	m->gbdt = k == 1;
	if (rstr(r, root, "label", &m->label, 0) ||
	    !(c = rget(r, root, "training")) || read_training(r, m, c) ||
	    !(c = rget(r, root, "metrics")) ||
	    rmap(r, c, "the metrics", metric_keys) ||
	    rnum(r, c, "auc", 0, 1, &m->auc) ||
	    rnum(r, c, "log_loss", 0, HUGE_VAL, &m->logloss) ||
	    rnum(r, c, "brier", 0, 1, &m->brier) ||
	    rnum(r, c, "ece", 0, 1, &m->ece) ||
	    rnum(r, c, "ece_uncalibrated", 0, 1, &m->ece_raw) ||
	    !(c = rget(r, root, "calibration")) ||
	    rmap(r, c, "the calibration", cal_keys) ||
	    rword(r, c, "method", methods, &k) ||
	    rnum(r, c, "a", -LQ_MODEL_WMAX, LQ_MODEL_WMAX, &m->cal_a) ||
	    rnum(r, c, "b", -LQ_MODEL_WMAX, LQ_MODEL_WMAX, &m->cal_b))
		return -1;
	m->calibrated = k == 0;
	if (!(m->cal_a > 0))
		return lq_yerr(d, lq_ymap_get(c, "a"), r->err, "calibration: a "
		    "must be > 0 (higher log-odds, higher probability), not %g",
		    m->cal_a);
	if (!m->calibrated && (m->cal_a != 1 || m->cal_b != 0))
		return lq_yerr(d, c, r->err, "calibration: method none needs "
		    "a: 1 and b: 0, not %g and %g", m->cal_a, m->cal_b);
	if (rstrs(r, root, "null_values", m, lq_model_add_null) ||
	    rstrs(r, root, "notes", m, add_note))
		return -1;
	if (!(c = rget(r, root, "tiers")) || read_tiers(r, m, c) ||
	    !(c = rget(r, root, "intercept")) ||
	    rmap(r, c, "the intercept", icpt_keys) ||
	    rnum(r, c, "weight", -LQ_MODEL_WMAX, LQ_MODEL_WMAX, &m->w0) ||
	    rnum(r, c, "se", 0, LQ_MODEL_SEMAX, &m->se0) ||
	    !(c = rget(r, root, "features")))
		return -1;
	if (!lq_ynull(c) && lq_yexpect(d, c, LQ_Y_SEQ, "features", r->err))
		return -1;
	size_t nf = lq_ynull(c) ? 0 : c->n;
	m->f = calloc(nf + 1, sizeof(*m->f));
	for (size_t i = 0; i < nf; i++) {
		m->nf++;
		if (read_feat(r, m, c->items[i], &m->f[i]))
			return -1;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(m->f[j].name, m->f[i].name))
				return lq_yerr(d, c->items[i], r->err,
				    "duplicate feature '%s'", m->f[i].name);
	}
	if (!(c = rget(r, root, "profile")) || read_profile(r, m, c))
		return -1;
	if (read_booster(r, m, root))
		return -1;
	if ((c = lq_ymap_get(root, "checksum")) &&
	    lq_yexpect(d, c, LQ_Y_SCALAR, "checksum", r->err))
		return -1;
	if (m->x && (lq_exprs_compile(m->x, r->err) ||
	    !(m->ev = lq_eval_new(m->x))))
		return -1;
	if (m->sc)
		m->sigpts = calloc((size_t)lq_score_nsignals(m->sc) + 1,
		    sizeof(double));
	return 0;
}

/* ---- the seal --------------------------------------------------------- */

static const char seal_note[] = "# end of the model.  The checksum covers "
    "every byte above; after an edit by\n# hand, lq-train --reseal FILE "
    "checks the model and writes a new one.\n";

/*
 * FNV-1a, 64 bits, of p[0..n): the model checksum.  Fixed for good (sealed
 * files depend on it), unlike the in-memory hashes of lq_buf.h.
 */
static unsigned long long
seal_hash(const char *p, size_t n)
{
	unsigned long long h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

#define SEAL_HEAD "checksum: fnv1a64-"
#define SEAL_LEN (sizeof(SEAL_HEAD) - 1 + 16)	/* without the newline */

/* The checksum line of text[0..len), newline included. */
static void
seal_line(char *buf, size_t n, const char *text, size_t len)
{
	snprintf(buf, n, SEAL_HEAD "%016llx\n", seal_hash(text, len));
}

/*
 * Find the seal: the last line of text[0..len) (one final newline
 * allowed).  Returns 1 with *at (its offset) and *line (1-based) when it
 * is a checksum line, 0 when there is none, -1 when a checksum line is
 * not the last line or is malformed (*at, *line: that line).
 */
static int
seal_find(const char *text, size_t len, size_t *at, int *line)
{
	size_t end = len && text[len - 1] == '\n' ? len - 1 : len, s = end;
	static const char key[] = "checksum:";

	while (s > 0 && text[s - 1] != '\n')
		s--;
	*line = 1;
	for (size_t i = 0; i < s; i++)
		*line += text[i] == '\n';
	*at = s;
	if (end - s >= sizeof(key) - 1 && !memcmp(text + s, key,
	    sizeof(key) - 1)) {
		if (end - s != SEAL_LEN || memcmp(text + s, SEAL_HEAD,
		    sizeof(SEAL_HEAD) - 1))
			return -1;
		for (size_t i = s + sizeof(SEAL_HEAD) - 1; i < end; i++)
			if (!strchr("0123456789abcdef", text[i]))
				return -1;
		return 1;
	}
	/* a checksum line elsewhere: something follows it */
	for (size_t i = 0, ln = 1; i < len; ln++) {
		if (len - i >= sizeof(key) - 1 && !memcmp(text + i, key,
		    sizeof(key) - 1)) {
			*at = i;
			*line = (int)ln;
			return -1;
		}
		const char *nl = memchr(text + i, '\n', len - i);
		if (!nl)
			break;
		i = (size_t)(nl - text) + 1;
	}
	return 0;
}

void
lq_model_seal(struct lq_buf *b, size_t start)
{
	char line[64];
	size_t at;
	int ln;

	if (seal_find(b->buf ? b->buf + start : "", b->len - start, &at,
	    &ln) == 1) {
		b->len = start + at;
		b->buf[b->len] = 0;
	}
	if (b->len > start && b->buf[b->len - 1] != '\n')
		lq_buf_addc(b, '\n');
	if (b->len - start < sizeof(seal_note) - 1 || memcmp(b->buf + b->len -
	    (sizeof(seal_note) - 1), seal_note, sizeof(seal_note) - 1))
		lq_buf_adds(b, seal_note);
	seal_line(line, sizeof(line), b->buf + start, b->len - start);
	lq_buf_adds(b, line);
}

struct lq_model *
lq_model_load_mem(const char *name, const char *text, size_t len,
    struct lq_score *sc, int flags, struct lq_err *err)
{
	struct lq_ydoc doc;
	struct lq_model *m;
	struct rd r = { &doc, err, flags };
	char want[64];
	size_t at = 0;
	int line = 1, sealed = !(flags & LQ_MODEL_UNSEALED), found = 0;

	memset(&doc, 0, sizeof(doc));
	if (sealed) {
		found = seal_find(text, len, &at, &line);
		if (found < 0)
			return lq_err_at(err, name, line, 1, "model: the "
			    "checksum line must be the last line, as "
			    "'checksum: fnv1a64-' and 16 hex digits"), NULL;
		if (!found)
			return lq_err_at(err, name, line, 1, "model: no "
			    "checksum line at the end: the file is cut short "
			    "or was not written by lq-train (lq-train --reseal "
			    "%s seals a model checked by hand)", name), NULL;
	}
	m = lq_model_new();
	m->sc = sc;
	if (lq_yaml_load_mem(&doc, name, text, len, err) ||
	    read_model(&r, m))
		goto fail;
	if (sealed) {
		seal_line(want, sizeof(want), text, at);
		if (memcmp(text + at, want, SEAL_LEN)) {
			lq_err_at(err, name, line, 11, "model: checksum "
			    "mismatch: the file was changed after lq-train "
			    "wrote it (after a deliberate edit, lq-train "
			    "--reseal %s)", name);
			goto fail;
		}
	}
	lq_yaml_release(&doc);
	return m;
fail:
	if (!err->code)
		err->code = LQ_EXIT_USAGE;
	lq_yaml_release(&doc);
	lq_model_free(m);
	return NULL;
}

struct lq_model *
lq_model_load(const char *path, struct lq_score *sc, struct lq_err *err)
{
	struct lq_buf b = LQ_BUF_INIT;
	struct lq_model *m;

	if (lq_model_read_file(path, &b, err))
		return NULL;
	m = lq_model_load_mem(path, b.buf ? b.buf : "", b.len, sc, 0, err);
	lq_buf_release(&b);
	return m;
}

int
lq_model_read_file(const char *path, struct lq_buf *out, struct lq_err *err)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int bad;

	if (!f)
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: %s", path,
		    strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		lq_buf_add(out, chunk, n);
	bad = ferror(f);
	fclose(f);
	if (bad)
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: read error", path);
	return 0;
}

int
lq_model_reseal(const char *name, const char *text, size_t len,
    struct lq_score *sc, struct lq_buf *out, struct lq_err *err)
{
	struct lq_model *m = lq_model_load_mem(name, text, len, sc,
	    LQ_MODEL_UNSEALED | LQ_MODEL_ANY_SIGNAL, err);
	size_t start = out->len;

	if (!m)
		return -1;
	lq_model_free(m);
	lq_buf_add(out, text, len);
	lq_model_seal(out, start);
	return 0;
}
