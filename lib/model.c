/*
 * model.c - the model file (YAML), feature extraction and model scoring.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_expr.h"
#include "lq_model.h"
#include "lq_score.h"
#include "lq_yaml.h"

static const char *const tier_names[] = { "L1", "L2", "L3", "L4" };

struct lq_model *
lq_model_new(void)
{
	struct lq_model *m = calloc(1, sizeof(*m));

	if (!m)
		abort();
	m->cal_a = 1;
	m->min_conf = 0.5;
	m->l1_target = 0.8;
	return m;
}

static void
feat_release(struct lq_feat *f)
{
	free(f->name);
	for (int i = 0; i < f->npath; i++)
		free(f->path[i]);
	free(f->path);
	free(f->expr);
	for (int i = 0; i < f->nlev; i++)
		free(f->levels[i]);
	free(f->levels);
	free(f->order);
	free(f->w);
	free(f->se);
	free(f->count);
	free(f->pedge);
	free(f->pshare);
}

void
lq_model_free(struct lq_model *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->nf; i++)
		feat_release(&m->f[i]);
	free(m->f);
	free(m->label);
	free(m->when);
	free(m->time_field);
	free(m->first);
	free(m->last);
	free(m->eval);
	free(m->sigpts);
	lq_exprs_free(m->x);
	free(m);
}

/* ---- features --------------------------------------------------------- */

void
lq_num_level(double v, char *buf, size_t n)
{
	snprintf(buf, n, "%.9g", (double)(float)v);
}

static void
jv_raw(jv v, struct lq_raw *out, char *scratch, size_t ns)
{
	out->kind = 0;
	switch (jv_get_kind(v)) {
	case JV_KIND_NUMBER:
		out->kind = 1;
		out->num = jv_number_value(v);
		break;
	case JV_KIND_STRING:
		out->kind = 2;
		out->s = jv_string_value(v);
		out->n = (size_t)jv_string_length_bytes(jv_copy(v));
		break;
	case JV_KIND_TRUE:
	case JV_KIND_FALSE:
		out->kind = 2;
		snprintf(scratch, ns, "%s", jv_get_kind(v) == JV_KIND_TRUE ?
		    "true" : "false");
		out->s = scratch;
		out->n = strlen(scratch);
		break;
	default:
		break;
	}
}

void
lq_feat_raw(struct lq_model *m, const struct lq_feat *f, jv rec, jv res,
    const double *sig, struct lq_raw *out)
{
	jv v;

	out->kind = 0;
	switch (f->src) {
	case LQ_FS_SIGNAL:
		if (sig && !isnan(sig[f->slot])) {
			out->kind = 1;
			out->num = sig[f->slot];
		}
		return;
	case LQ_FS_EXPR:
		v = lq_exprs_outputs(res, f->slot);
		if (!jv_is_valid(v)) {
			jv_free(jv_invalid_get_msg(v));
			return;
		}
		if (jv_array_length(jv_copy(v)) > 0) {
			jv x = jv_array_get(jv_copy(v), 0);
			jv_raw(x, out, m->numtxt, sizeof(m->numtxt));
			if (out->kind == 2 && out->s != m->numtxt) {
				/* the output may die with res: copy */
				snprintf(m->numtxt, sizeof(m->numtxt), "%.*s",
				    (int)out->n, out->s);
				out->s = m->numtxt;
				out->n = strlen(m->numtxt);
			}
			jv_free(x);
		}
		jv_free(v);
		break;
	case LQ_FS_FIELD:
		v = jv_copy(rec);
		for (int i = 0; i < f->npath; i++) {
			if (jv_get_kind(v) != JV_KIND_OBJECT) {
				jv_free(v);
				return;
			}
			v = jv_object_get(v, jv_string(f->path[i]));
			if (!jv_is_valid(v))
				return;
		}
		if (f->length) {
			if (jv_get_kind(v) == JV_KIND_ARRAY) {
				out->kind = 1;
				out->num = jv_array_length(jv_copy(v));
			}
		} else {
			jv_raw(v, out, m->numtxt, sizeof(m->numtxt));
		}
		jv_free(v);	/* strings stay alive in rec */
		break;
	}
	if (f->type == LQ_FT_CAT && out->kind == 1) {
		lq_num_level(out->num, m->numtxt, sizeof(m->numtxt));
		out->kind = 2;
		out->s = m->numtxt;
		out->n = strlen(m->numtxt);
	} else if (f->type == LQ_FT_NUM && out->kind == 2) {
		out->kind = 0;
	}
}

double
lq_feat_scale(const struct lq_feat *f, double x)
{
	if (f->logt)
		x = x < 0 ? -log1p(-x) : log1p(x);
	return (x - f->center) / f->scale;
}

static int
cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c ? c : (an > bn) - (an < bn);
}

int
lq_feat_level(const struct lq_feat *f, const char *s, size_t n)
{
	int lo = 0, hi = f->nlev - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2, k = f->order[mid];
		int c = cmp_bytes(s, n, f->levels[k], strlen(f->levels[k]));
		if (!c)
			return k;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

static const struct lq_feat *sort_feat;

static int
cmp_order(const void *a, const void *b)
{
	return strcmp(sort_feat->levels[*(const int *)a],
	    sort_feat->levels[*(const int *)b]);
}

/* Build the lookup order of f's levels. */
static void
feat_index(struct lq_feat *f)
{
	free(f->order);
	f->order = calloc((size_t)f->nlev + 1, sizeof(int));
	for (int i = 0; i < f->nlev; i++)
		f->order[i] = i;
	sort_feat = f;
	qsort(f->order, (size_t)f->nlev, sizeof(int), cmp_order);
}

double
lq_model_prob(const struct lq_model *m, double z)
{
	return 1 / (1 + exp(-(m->cal_a * z + m->cal_b)));
}

int
lq_model_tier(const struct lq_model *m, double p)
{
	for (int i = 0; i < 3; i++)
		if (p >= m->cut[i])
			return i;
	return 3;
}

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

/* A number as YAML: %.8g, never nan or inf (those become 0). */
static void
ynum(struct lq_buf *b, double v)
{
	char t[64];

	if (!isfinite(v))
		v = 0;
	if (v == 0)
		v = 0;		/* no "-0" */
	snprintf(t, sizeof(t), "%.8g", v);
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
	lq_buf_adds(b, "# lq-train model: L2-regularised logistic regression."
	    "  See lq-train(1).\n"
	    "# log-odds = intercept + one contribution per feature;"
	    " probability = 1/(1+exp(-(a*log-odds+b))).\n");
	lq_buf_adds(b, "version: 1\nmodel: logistic\nlabel: ");
	ystr(b, m->label ? m->label : "");
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
	lq_buf_adds(b, "metrics:\n  auc: ");
	ynum(b, m->auc);
	lq_buf_adds(b, "\n  log_loss: ");
	ynum(b, m->logloss);
	lq_buf_adds(b, "\n  brier: ");
	ynum(b, m->brier);
	lq_buf_adds(b, "\n  ece: ");
	ynum(b, m->ece);
	lq_buf_adds(b, "\n  ece_uncalibrated: ");
	ynum(b, m->ece_raw);
	lq_buf_adds(b, "\ncalibration:\n  method: platt\n  a: ");
	ynum(b, m->cal_a);
	lq_buf_adds(b, "\n  b: ");
	ynum(b, m->cal_b);
	lq_buf_adds(b, "\n# tiers: minimum calibrated probability.  L1: the largest "
	    "top band (at least 2% of\n# rows, 5 or more) whose precision "
	    "meets l1_precision; L4: below the low\n# conversion rate "
	    "(default half the base rate); L2/L3 split at the base rate.\n"
	    "tiers:\n");
	for (int i = 0; i < 3; i++) {
		lq_buf_addf(b, "  %s: ", tier_names[i]);
		ynum(b, m->cut[i]);
		lq_buf_adds(b, "\n");
	}
	lq_buf_adds(b, "  min_confidence: ");
	ynum(b, m->min_conf);
	lq_buf_adds(b, "\n  l1_precision: ");
	ynum(b, m->l1_target);
	lq_buf_adds(b, "\n  achieved:\n");
	for (int i = 0; i < 4; i++) {
		const struct lq_tierstat *t = &m->tier[i];
		lq_buf_addf(b, "    %s: {rows: %ld, conversion: ",
		    tier_names[i], t->count);
		ynum(b, round(t->conv * 1e4) / 1e4);
		lq_buf_adds(b, ", lift: ");
		ynum(b, round(t->lift * 1e3) / 1e3);
		lq_buf_adds(b, ", precision: ");
		ynum(b, round(t->precision * 1e4) / 1e4);
		lq_buf_adds(b, ", recall: ");
		ynum(b, round(t->recall * 1e4) / 1e4);
		lq_buf_adds(b, ", fpr: ");
		ynum(b, round(t->fpr * 1e4) / 1e4);
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
}

/* ---- reading ---------------------------------------------------------- */

struct rd {
	struct lq_ydoc *d;
	struct lq_err *err;
};

static int
rnum(struct rd *r, const struct lq_ynode *map, const char *key, double *out,
    int required)
{
	struct lq_ynode *v = lq_ymap_get(map, key);

	if (!v)
		return required ? lq_yerr(r->d, map, r->err, "model: '%s' is "
		    "missing", key) : 0;
	return lq_ynum(r->d, v, key, out, r->err);
}

static int
rstr(struct rd *r, const struct lq_ynode *map, const char *key, char **out)
{
	struct lq_ynode *v = lq_ymap_get(map, key);
	const char *s;

	if (!v)
		return 0;
	if (lq_ystr(r->d, v, key, &s, r->err))
		return -1;
	free(*out);
	*out = strdup(s);
	return 0;
}

static const char *const col_keys[] = { "weight", "se", "rows", "value",
	NULL };

static int
rcol(struct rd *r, const struct lq_ynode *n, struct lq_feat *f, int c)
{
	double rows = 0;

	if (!n)
		return 0;
	if (lq_ymap_check(r->d, n, "a weight", col_keys, r->err) ||
	    rnum(r, n, "weight", &f->w[c], 1) || rnum(r, n, "se", &f->se[c], 0)
	    || rnum(r, n, "rows", &rows, 0))
		return -1;
	f->count[c] = (long)rows;
	return 0;
}

static const char *const feat_keys[] = { "name", "field", "length", "signal",
	"expr", "type", "levels", "other", "missing", "transform", "center",
	"scale", "clip", "value", NULL };

static int
read_feat(struct rd *r, struct lq_model *m, struct lq_ynode *n,
    struct lq_feat *f)
{
	struct lq_ydoc *d = r->d;
	struct lq_ynode *c;
	const char *s;

	f->lo = -HUGE_VAL;
	f->hi = HUGE_VAL;
	f->scale = 1;
	if (lq_ymap_check(d, n, "a feature", feat_keys, r->err) ||
	    rstr(r, n, "name", &f->name))
		return -1;
	if (!f->name)
		return lq_yerr(d, n, r->err, "model: feature without a name");
	if ((c = lq_ymap_get(n, "field"))) {
		f->src = LQ_FS_FIELD;
		if (lq_yexpect(d, c, LQ_Y_SEQ, "field", r->err))
			return -1;
		f->path = calloc(c->n + 1, sizeof(char *));
		for (size_t i = 0; i < c->n; i++) {
			if (lq_ystr(d, c->items[i], "field", &s, r->err))
				return -1;
			f->path[f->npath++] = strdup(s);
		}
		if ((c = lq_ymap_get(n, "length")) &&
		    lq_ybool(d, c, "length", &f->length, r->err))
			return -1;
	} else if ((c = lq_ymap_get(n, "signal"))) {
		f->src = LQ_FS_SIGNAL;
		if (rstr(r, n, "signal", &f->expr))
			return -1;
		if (!m->sc)
			return lq_yerr(d, c, r->err, "feature '%s' uses a score "
			    "signal: give the rule file with -r", f->name);
		f->slot = -1;
		for (int i = 0; i < lq_score_nsignals(m->sc); i++)
			if (!strcmp(lq_score_signal_name(m->sc, i), f->expr))
				f->slot = i;
		if (f->slot < 0)
			return lq_yerr(d, c, r->err, "signal '%s' is not in "
			    "the rule file", f->expr);
	} else if ((c = lq_ymap_get(n, "expr"))) {
		struct lq_expr_src src = { d->file, c->line, c->col, 0 };
		f->src = LQ_FS_EXPR;
		if (rstr(r, n, "expr", &f->expr))
			return -1;
		if (!m->x)
			m->x = lq_exprs_new();
		if ((f->slot = lq_exprs_add(m->x, f->expr, &src, r->err)) < 0)
			return -1;
	} else {
		return lq_yerr(d, n, r->err, "feature '%s' needs field, "
		    "signal or expr", f->name);
	}
	if (!(c = lq_ymap_get(n, "type")) || lq_ystr(d, c, "type", &s,
	    r->err))
		return c ? -1 : lq_yerr(d, n, r->err, "feature '%s' has no "
		    "type", f->name);
	if (!strcmp(s, "category")) {
		f->type = LQ_FT_CAT;
		c = lq_ymap_get(n, "levels");
		if (c && lq_yexpect(d, c, LQ_Y_SEQ, "levels", r->err))
			return -1;
		f->nlev = c ? (int)c->n : 0;
		f->ncol = f->nlev + 2;
		f->levels = calloc((size_t)f->nlev + 1, sizeof(char *));
		f->w = calloc((size_t)f->ncol, sizeof(double));
		f->se = calloc((size_t)f->ncol, sizeof(double));
		f->count = calloc((size_t)f->ncol, sizeof(long));
		for (int i = 0; i < f->nlev; i++) {
			struct lq_ynode *l = c->items[i], *v;
			if (lq_yexpect(d, l, LQ_Y_MAP, "level", r->err))
				return -1;
			if (!(v = lq_ymap_get(l, "value")) ||
			    lq_ystr(d, v, "value", &s, r->err))
				return v ? -1 : lq_yerr(d, l, r->err,
				    "level without a value");
			f->levels[i] = strdup(s);
			if (rcol(r, l, f, i))
				return -1;
		}
		if (rcol(r, lq_ymap_get(n, "other"), f, LQ_COL_OTHER(f)) ||
		    rcol(r, lq_ymap_get(n, "missing"), f, LQ_COL_MISSING(f)))
			return -1;
		feat_index(f);
		for (int i = 1; i < f->nlev; i++)
			if (!strcmp(f->levels[f->order[i]],
			    f->levels[f->order[i - 1]]))
				return lq_yerr(d, c, r->err, "feature '%s': "
				    "duplicate level '%s'", f->name,
				    f->levels[f->order[i]]);
		return 0;
	}
	if (strcmp(s, "numeric"))
		return lq_yerr(d, c, r->err, "type must be category or "
		    "numeric, not '%s'", s);
	f->type = LQ_FT_NUM;
	f->ncol = 2;
	f->w = calloc(2, sizeof(double));
	f->se = calloc(2, sizeof(double));
	f->count = calloc(2, sizeof(long));
	if ((c = lq_ymap_get(n, "transform"))) {
		if (lq_ystr(d, c, "transform", &s, r->err))
			return -1;
		if (strcmp(s, "none") && strcmp(s, "log1p"))
			return lq_yerr(d, c, r->err, "transform must be none "
			    "or log1p");
		f->logt = !strcmp(s, "log1p");
	}
	if (rnum(r, n, "center", &f->center, 0) ||
	    rnum(r, n, "scale", &f->scale, 0))
		return -1;
	if (f->scale <= 0)
		return lq_yerr(d, n, r->err, "feature '%s': scale must be > 0",
		    f->name);
	if ((c = lq_ymap_get(n, "clip"))) {
		if (lq_yexpect(d, c, LQ_Y_SEQ, "clip", r->err))
			return -1;
		if (c->n != 2)
			return lq_yerr(d, c, r->err, "clip: [low, high]");
		if (lq_ynum(d, c->items[0], "clip", &f->lo, r->err) ||
		    lq_ynum(d, c->items[1], "clip", &f->hi, r->err))
			return -1;
	}
	if (!lq_ymap_get(n, "value"))
		return lq_yerr(d, n, r->err, "feature '%s' has no value "
		    "weight", f->name);
	return rcol(r, lq_ymap_get(n, "value"), f, 0) ||
	    rcol(r, lq_ymap_get(n, "missing"), f, 1) ? -1 : 0;
}

static const char *const top_keys[] = { "version", "model", "label",
	"training", "metrics", "calibration", "tiers", "intercept", "features",
	"profile", NULL };

static int
read_model(struct rd *r, struct lq_model *m)
{
	struct lq_ydoc *d = r->d;
	struct lq_ynode *root = d->root, *c, *t;
	double v;

	if (!root || root->kind != LQ_Y_MAP)
		return lq_err_at(r->err, d->file, 1, 1, "not a model file");
	if (lq_ymap_check(d, root, "the model", top_keys, r->err))
		return -1;
	if (rnum(r, root, "version", &v, 1))
		return -1;
	if (v != 1)
		return lq_yerr(d, lq_ymap_get(root, "version"), r->err,
		    "unsupported model version %g", v);
	if (rstr(r, root, "label", &m->label))
		return -1;
	if ((c = lq_ymap_get(root, "training"))) {
		double x = 0;
		if (rnum(r, c, "rows", &x, 0))
			return -1;
		m->rows = (long)x;
	}
	if ((c = lq_ymap_get(root, "calibration")) && (rnum(r, c, "a",
	    &m->cal_a, 1) || rnum(r, c, "b", &m->cal_b, 1)))
		return -1;
	if (!(t = lq_ymap_get(root, "tiers")))
		return lq_yerr(d, root, r->err, "model: no tiers");
	for (int i = 0; i < 3; i++)
		if (rnum(r, t, tier_names[i], &m->cut[i], 1))
			return -1;
	if (rnum(r, t, "min_confidence", &m->min_conf, 0))
		return -1;
	if (!(c = lq_ymap_get(root, "intercept")))
		return lq_yerr(d, root, r->err, "model: no intercept");
	if (rnum(r, c, "weight", &m->w0, 1) || rnum(r, c, "se", &m->se0, 0))
		return -1;
	if (!(c = lq_ymap_get(root, "features")))
		return lq_yerr(d, root, r->err, "model: no features");
	if (!lq_ynull(c) && lq_yexpect(d, c, LQ_Y_SEQ, "features", r->err))
		return -1;
	size_t nf = lq_ynull(c) ? 0 : c->n;
	m->f = calloc(nf + 1, sizeof(*m->f));
	for (size_t i = 0; i < nf; i++) {
		if (lq_yexpect(d, c->items[i], LQ_Y_MAP, "feature", r->err))
			return -1;
		m->nf++;
		if (read_feat(r, m, c->items[i], &m->f[i]))
			return -1;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(m->f[k].name, m->f[i].name))
				return lq_yerr(d, c->items[i], r->err,
				    "duplicate feature '%s'", m->f[i].name);
	}
	if (m->x && lq_exprs_compile(m->x, r->err))
		return -1;
	if (m->sc)
		m->sigpts = calloc((size_t)lq_score_nsignals(m->sc) + 1,
		    sizeof(double));
	return 0;
}

struct lq_model *
lq_model_load(const char *path, struct lq_score *sc, struct lq_err *err)
{
	struct lq_ydoc doc;
	struct lq_model *m = lq_model_new();
	struct rd r = { &doc, err };

	m->sc = sc;
	memset(&doc, 0, sizeof(doc));
	if (lq_yaml_load(&doc, path, err) || read_model(&r, m)) {
		lq_yaml_release(&doc);
		lq_model_free(m);
		return NULL;
	}
	lq_yaml_release(&doc);
	return m;
}

/* ---- scoring ---------------------------------------------------------- */

struct contrib {
	int f;
	double c, x2se2;
	int col;
	int flag;		/* 1 unseen level, 2 outside training range */
};

static const struct lq_feat *cmp_feats;

static int
cmp_contrib(const void *a, const void *b)
{
	const struct contrib *x = a, *y = b;

	if (fabs(x->c) != fabs(y->c))
		return fabs(x->c) < fabs(y->c) ? 1 : -1;
	return strcmp(cmp_feats[x->f].name, cmp_feats[y->f].name);
}

int
lq_model_eval(struct lq_model *m, const char *line, size_t len,
    const char *key, struct lq_buf *out, struct lq_err *err)
{
	jv rec = lq_expr_parse_record(line, len), res = jv_invalid();
	struct contrib *cb = calloc((size_t)m->nf + 1, sizeof(*cb));
	struct lq_raw raw;
	double z = m->w0, var = m->se0 * m->se0;
	int nunseen = 0, nmissing = 0;

	if (!jv_is_valid(rec)) {
		jv msg = jv_invalid_get_msg(rec);
		lq_err_set(err, LQ_EXIT_RECORDS, "cannot evaluate: %s",
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) :
		    "parse error");
		jv_free(msg);
		free(cb);
		return -1;
	}
	if (jv_object_has(jv_copy(rec), jv_string(key)))
		rec = jv_object_delete(rec, jv_string(key));
	if (m->sc && lq_score_signals(m->sc, rec, m->sigpts, err)) {
		jv_free(rec);
		free(cb);
		return -1;
	}
	if (m->x && !jv_is_valid(res = lq_exprs_run(m->x, jv_copy(rec)))) {
		jv msg = jv_invalid_get_msg(res);
		lq_err_set(err, LQ_EXIT_RECORDS, "model expressions failed: %s",
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) :
		    "unknown error");
		jv_free(msg);
		jv_free(rec);
		free(cb);
		return -1;
	}
	lq_buf_adds(out, "{");
	size_t mark = out->len;
	/* reasons are written after the summary: build them in a side area */
	struct lq_buf rs = LQ_BUF_INIT;
	for (int i = 0; i < m->nf; i++) {
		const struct lq_feat *f = &m->f[i];
		struct contrib *k = &cb[i];
		double x = 1;
		k->f = i;
		lq_feat_raw(m, f, rec, res, m->sigpts, &raw);
		if (raw.kind == 0) {
			k->col = f->type == LQ_FT_CAT ? LQ_COL_MISSING(f) : 1;
			nmissing++;
		} else if (f->type == LQ_FT_CAT) {
			k->col = lq_feat_level(f, raw.s, raw.n);
			if (k->col < 0) {
				/* new to the model unless (other) was learnt
				 * from enough training rows */
				k->col = LQ_COL_OTHER(f);
				k->flag = 1;
				if (f->count[k->col] < 30)
					nunseen++;
			}
		} else {
			x = lq_feat_scale(f, raw.num);
			double tol = 1e-6 * (1 + fabs(f->hi - f->lo));
			if (x < f->lo - tol || x > f->hi + tol) {
				k->flag = 2;
				nunseen++;
			}
			x = x < f->lo ? f->lo : x > f->hi ? f->hi : x;
		}
		k->c = f->w[k->col] * x;
		k->x2se2 = x * x * f->se[k->col] * f->se[k->col];
		z += k->c;
		var += k->x2se2;
		/* the reason, kept in feature order for now */
		lq_buf_adds(&rs, "{\"feature\":");
		lq_buf_json_strs(&rs, f->name);
		lq_buf_adds(&rs, ",\"value\":");
		if (raw.kind == 1)
			lq_buf_json_num(&rs, raw.num);
		else if (raw.kind == 2)
			lq_buf_json_str(&rs, raw.s, raw.n);
		else
			lq_buf_adds(&rs, "null");
		lq_buf_adds(&rs, ",\"log_odds\":");
		lq_buf_json_round(&rs, k->c, 4);
		if (k->flag == 1)
			lq_buf_adds(&rs, ",\"unseen\":true");
		if (k->flag == 2)
			lq_buf_adds(&rs, ",\"outside_training_range\":true");
		lq_buf_addc(&rs, '}');
		lq_buf_addc(&rs, 0);	/* separator */
	}
	double p = lq_model_prob(m, z), s = sqrt(var);
	double lo = lq_model_prob(m, z - 1.645 * s);
	double hi = lq_model_prob(m, z + 1.645 * s);
	double conf = (1 - (hi - lo)) * pow(0.9, nunseen);
	int tier = lq_model_tier(m, p);
	const char *action = tier == 3 ? "nurture" : conf < m->min_conf ?
	    "review" : "route";
	(void)mark;
	lq_buf_adds(out, "\"points\":");
	lq_buf_json_round(out, 100 * p, 1);
	lq_buf_addf(out, ",\"tier\":\"%s\",\"confidence\":", tier_names[tier]);
	lq_buf_json_round(out, conf, 2);
	lq_buf_addf(out, ",\"action\":\"%s\",\"probability\":", action);
	lq_buf_json_round(out, p, 4);
	lq_buf_adds(out, ",\"log_odds\":");
	lq_buf_json_round(out, z, 4);
	lq_buf_adds(out, ",\"baseline\":");
	lq_buf_json_round(out, m->w0, 4);
	lq_buf_addf(out, ",\"unknown\":%d,\"unseen\":%d,\"reasons\":[",
	    nmissing, nunseen);
	/* index the reason strings, then write them sorted */
	const char **rp = calloc((size_t)m->nf + 1, sizeof(char *));
	size_t off = 0;
	for (int i = 0; i < m->nf; i++) {
		rp[i] = rs.buf + off;
		off += strlen(rs.buf + off) + 1;
	}
	cmp_feats = m->f;
	qsort(cb, (size_t)m->nf, sizeof(*cb), cmp_contrib);
	for (int i = 0; i < m->nf; i++) {
		lq_buf_adds(out, i ? "," : "");
		lq_buf_adds(out, rp[cb[i].f]);
	}
	lq_buf_adds(out, "]}");
	free(rp);
	lq_buf_release(&rs);
	free(cb);
	jv_free(res);
	jv_free(rec);
	return 0;
}
