/*
 * model.c - the model file (YAML), feature extraction and model scoring.
 */
#include <errno.h>
#include <float.h>
#include <stdarg.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_expr.h"
#include "lq_gbdt.h"
#include "lq_model.h"
#include "lq_score.h"
#include "lq_time.h"
#include "lq_yaml.h"

static const char *const tier_names[] = { "L1", "L2", "L3", "L4" };

struct lq_model *
lq_model_new(void)
{
	struct lq_model *m = calloc(1, sizeof(*m));

	if (!m)
		abort();
	m->scan.want_tape = 1;	/* expressions navigate records by it */
	m->cal_a = 1;
	m->calibrated = 1;
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
	for (int i = 0; i < m->nnullv; i++)
		free(m->nullv[i]);
	free(m->nullv);
	for (int i = 0; i < m->nnotes; i++)
		free(m->notes[i]);
	free(m->notes);
	free(m->sigpts);
	lq_buf_release(&m->text);
	lq_eval_free(m->ev);
	lq_scan_release(&m->scan);
	lq_exprs_free(m->x);
	lq_gbdt_free(m->gb);
	free(m->gb_text);
	free(m->row);
	free(m->gc);
	free(m);
}

void
lq_model_note(struct lq_model *m, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(s = malloc((size_t)n + 1)))
		abort();
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	m->notes = realloc(m->notes, (size_t)(m->nnotes + 1) * sizeof(char *));
	m->notes[m->nnotes++] = s;
}

void
lq_model_add_null(struct lq_model *m, const char *s)
{
	m->nullv = realloc(m->nullv, (size_t)(m->nnullv + 1) * sizeof(char *));
	m->nullv[m->nnullv++] = strdup(s);
}

int
lq_model_is_null(const struct lq_model *m, const char *s, size_t n)
{
	for (int i = 0; i < m->nnullv; i++)
		if (!strncmp(m->nullv[i], s, n) && m->nullv[i][n] == 0)
			return 1;
	return 0;
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
	if (out->kind == 2 && m->nnullv && f->src != LQ_FS_SIGNAL &&
	    lq_model_is_null(m, out->s, out->n)) {
		out->kind = 0;	/* a placeholder: missing */
		return;
	}
	if (out->kind == 1 && !(fabs(out->num) < DBL_MAX)) {
		out->kind = 3;	/* 1e400: infinity to jq */
		return;
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
	lq_buf_adds(b, m->calibrated ? "\ncalibration:\n  method: platt\n  a: " :
	    "\ncalibration:\n  method: none\n  a: ");
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
		yexact(b, m->cut[i]);
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
	feat_index(f);
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
		if (rnum(r, t, tier_names[i], 0, 1, &m->cut[i]))
			return -1;
		if (i && m->cut[i] > m->cut[i - 1])
			return lq_yerr(r->d, lq_ymap_get(t, tier_names[i]),
			    r->err, "tiers: %s (%g) above %s (%g): the "
			    "cut-offs must not ascend from L1 to L3",
			    tier_names[i], m->cut[i], tier_names[i - 1],
			    m->cut[i - 1]);
	}
	if (rnum(r, t, "min_confidence", 0, 1, &m->min_conf) ||
	    rnum(r, t, "l1_precision", 0, 1, &m->l1_target) ||
	    !(a = rget(r, t, "achieved")) ||
	    rmap(r, a, "the achieved tiers", achieved_keys))
		return -1;
	for (int i = 0; i < 4; i++) {
		struct lq_tierstat *ts = &m->tier[i];
		if (!(s = rget(r, a, tier_names[i])) ||
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

/* ---- scoring ---------------------------------------------------------- */

struct contrib {
	int f;
	double c, x2se2;
	int col;
	int flag;		/* 1 unseen level, 2 outside training range */
	int missing;
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

/*
 * Log-odds d to 4 places.  Beyond 1e15 as they are (an unclipped feature
 * far outside its training range): lq_buf_json_round() would overflow
 * scaling them and write null.
 */
static void
jround4(struct lq_buf *b, double d)
{
	if (fabs(d) < 1e15)
		lq_buf_json_round(b, d, 4);
	else
		lq_buf_json_num(b, d);
}

/* The raw value a numeric feature's centre stands for. */
static double
typical(const struct lq_feat *f)
{
	double c = f->center;

	if (!f->logt)
		return c;
	return c < 0 ? -expm1(-c) : expm1(c);
}

/*
 * The reason in words: "Lead Source is Reference: +1.3", "no occupation
 * given: -0.4", "not unemployed: -1.3" (a rule signal that did not fire).
 */
static void
reason_text(struct lq_buf *b, const struct lq_feat *f,
    const struct lq_raw *raw, const struct contrib *k, double x)
{
	char num[64];

	if (f->src == LQ_FS_SIGNAL) {
		if (raw->kind != 1)
			lq_buf_addf(b, "%s unknown", f->expr);
		else
			lq_buf_addf(b, "%s%s", raw->num != 0 ? "" : "not ",
			    f->expr);
	} else if (raw->kind == 0 || raw->kind == 3) {
		lq_buf_addf(b, "%s not given", f->name);
	} else if (f->type == LQ_FT_CAT) {
		if (raw->n == 4 && !memcmp(raw->s, "true", 4))
			lq_buf_addf(b, "%s", f->name);
		else if (raw->n == 5 && !memcmp(raw->s, "false", 5))
			lq_buf_addf(b, "not %s", f->name);
		else
			lq_buf_addf(b, "%s is %.*s%s", f->name,
			    (int)(raw->n > 80 ? 80 : raw->n), raw->s,
			    k->flag == 1 ? " (rare)" : "");
	} else {
		snprintf(num, sizeof(num), "%.10g", raw->num);
		lq_buf_addf(b, "%s is %s", f->name, num);
		if (x != 0) {
			snprintf(num, sizeof(num), "%.3g", typical(f));
			lq_buf_addf(b, " (%s the usual %s)", x > 0 ? "above" :
			    "below", num);
		}
	}
	lq_buf_addf(b, fabs(k->c) >= 0.095 || k->c == 0 ? ": %+.1f" :
	    ": %+.2f", k->c);
}

/* contributions shown by default: at least this far from 0 (log-odds),
 * a missing value's at least REASON_MISSING */
#define REASON_MIN 0.1
#define REASON_MISSING 0.5
#define REASON_TOP 3

/*
 * The encoded columns of a record for the booster (lq_gbdt.h), as
 * lq-train encodes them: levels one-hot, numbers scaled and clipped as
 * single floats, NAN and the missing indicator for a missing number.
 */
static void
fill_row(struct lq_model *m, jv rec, jv res, float *row)
{
	struct lq_raw raw;

	for (int i = 0, off = 0; i < m->nf; off += m->f[i++].ncol) {
		const struct lq_feat *f = &m->f[i];
		lq_feat_raw(m, f, rec, res, m->sigpts, &raw);
		if (f->type == LQ_FT_CAT) {
			int col;
			for (int c = 0; c < f->ncol; c++)
				row[off + c] = 0;
			if (raw.kind == 0 || raw.kind == 3)
				col = LQ_COL_MISSING(f);
			else if ((col = lq_feat_level(f, raw.s, raw.n)) < 0)
				col = LQ_COL_OTHER(f);
			row[off + col] = 1;
			continue;
		}
		double x = raw.kind == 1 ? lq_feat_scale(f, raw.num) : NAN;
		x = x < f->lo ? f->lo : x > f->hi ? f->hi : x;
		if (!isfinite(x)) {
			row[off] = NAN;
			row[off + 1] = 1;
		} else {
			row[off] = x > FLT_MAX ? FLT_MAX : x < -FLT_MAX ?
			    -FLT_MAX : (float)x;
			row[off + 1] = 0;
		}
	}
}

int
lq_model_row(struct lq_model *m, const char *line, size_t len, float *row,
    struct lq_err *err)
{
	jv rec = lq_expr_parse_record(line, len), res = jv_invalid();

	if (!jv_is_valid(rec)) {
		jv_free(rec);
		return lq_err_set(err, LQ_EXIT_RECORDS, "cannot evaluate: "
		    "not a JSON object");
	}
	if ((m->sc || m->ev) && lq_json_scan(&m->scan, line, len, err) < 0)
		goto fail;
	if (m->sc && lq_score_signals_record(m->sc, line, len, &m->scan, NULL,
	    m->sigpts, err))
		goto fail;
	if (m->ev) {
		if (lq_eval_record(m->ev, line, len, &m->scan, NULL, err) < 0)
			goto fail;
		res = lq_eval_results(m->ev);
	}
	fill_row(m, rec, res, row);
	jv_free(res);
	jv_free(rec);
	return 0;
fail:
	jv_free(res);
	jv_free(rec);
	return -1;
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
	if ((m->sc || m->ev) && lq_json_scan(&m->scan, line, len, err) < 0)
		goto fail;
	if (m->sc && lq_score_signals_record(m->sc, line, len, &m->scan, key,
	    m->sigpts, err))
		goto fail;
	if (m->ev) {
		if (lq_eval_record(m->ev, line, len, &m->scan, key, err) < 0)
			goto fail;
		res = lq_eval_results(m->ev);
	}
	/* trees: the exact contributions of the encoded columns (TreeSHAP),
	 * summed per feature (a categorical's levels are one feature) */
	double *fsum = NULL, base = m->w0;
	if (m->gbdt) {
		fill_row(m, rec, res, m->row);
		if (lq_gbdt_contribs(m->gb, m->row, m->gc, err))
			goto fail;
		fsum = calloc((size_t)m->nf + 1, sizeof(double));
		for (int i = 0, off = 0; i < m->nf; off += m->f[i++].ncol)
			for (int c = 0; c < m->f[i].ncol; c++)
				fsum[i] += m->gc[off + c];
		base = m->gc[m->ncols];
		z = base;
	}
	lq_buf_adds(out, "{");
	/* reasons are written after the summary: build them in a side area */
	struct lq_buf rs = LQ_BUF_INIT;
	for (int i = 0; i < m->nf; i++) {
		const struct lq_feat *f = &m->f[i];
		struct contrib *k = &cb[i];
		double x = 1;
		k->f = i;
		lq_feat_raw(m, f, rec, res, m->sigpts, &raw);
		if (raw.kind == 0 || raw.kind == 3) {
			k->col = f->type == LQ_FT_CAT ? LQ_COL_MISSING(f) : 1;
			k->missing = 1;
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
			if (!isfinite(m->gbdt ? x : f->w[0] * x)) {
				/* unclipped and beyond a double once scaled */
				nunseen -= k->flag == 2;
				k->col = 1;
				k->flag = 0;
				x = 1;
				raw.kind = 3;
				k->missing = 1;
				nmissing++;
			}
		}
		if (m->gbdt) {
			k->c = fsum[i];
			k->x2se2 = 0;
		} else {
			k->c = f->w[k->col] * x;
			k->x2se2 = (x * f->se[k->col]) * (x * f->se[k->col]);
		}
		z += k->c;
		var += k->x2se2;
		/* the reason, kept in feature order for now */
		lq_buf_adds(&rs, "{\"feature\":");
		lq_buf_json_strs(&rs, f->name);
		lq_buf_adds(&rs, ",\"value\":");
		if (raw.kind == 1 || (raw.kind == 3 && isfinite(raw.num)))
			lq_buf_json_num(&rs, raw.num);
		else if (raw.kind == 2)
			lq_buf_json_str(&rs, raw.s, raw.n);
		else
			lq_buf_adds(&rs, "null");
		if (raw.kind == 3)
			lq_buf_adds(&rs, ",\"unknown\":\"number out of range\"");
		lq_buf_adds(&rs, ",\"log_odds\":");
		jround4(&rs, k->c);
		if (k->flag == 1)
			lq_buf_adds(&rs, ",\"unseen\":true");
		if (k->flag == 2)
			lq_buf_adds(&rs, ",\"outside_training_range\":true");
		lq_buf_adds(&rs, ",\"text\":");
		lq_buf_reset(&m->text);
		reason_text(&m->text, f, &raw, k, f->type == LQ_FT_NUM &&
		    !k->missing ? x : 0);
		lq_buf_json_strs(&rs, m->text.buf);
		lq_buf_addc(&rs, '}');
		lq_buf_addc(&rs, 0);	/* separator */
	}
	if (!isfinite(z)) {	/* finite contributions that overflow */
		lq_err_set(err, LQ_EXIT_RECORDS, "the log-odds overflow: %g",
		    z);
		lq_buf_release(&rs);
		free(cb);
		free(fsum);
		jv_free(res);
		jv_free(rec);
		return -1;
	}
	double p = lq_model_prob(m, z), s = sqrt(var);
	double lo = lq_model_prob(m, z - 1.645 * s);
	double hi = lq_model_prob(m, z + 1.645 * s);
	double conf = (1 - (hi - lo)) * pow(0.9, nunseen);
	int tier = lq_model_tier(m, p);
	const char *action = tier == 3 ? "nurture" : conf < m->min_conf ?
	    "review" : "route";
	/* the rules' disqualifiers decide over the model (lq-score(1)) */
	struct lq_buf dqs = LQ_BUF_INIT;
	int dq = m->sc ? lq_score_disqualifier(m->sc, &tier, &action, &dqs) :
	    -1;
	if (dq >= 0)
		conf = 1;
	lq_buf_adds(out, "\"points\":");
	lq_buf_json_round(out, 100 * p, 1);
	lq_buf_addf(out, ",\"tier\":\"%s\",\"confidence\":", tier_names[tier]);
	lq_buf_json_round(out, conf, 2);
	lq_buf_addf(out, ",\"action\":\"%s\",", action);
	if (m->sc)
		lq_buf_addf(out, "\"decided_by\":\"%s\",", dq >= 0 ? "rules" :
		    "model");
	lq_buf_adds(out, "\"probability\":");
	lq_buf_json_round(out, p, 4);
	lq_buf_adds(out, ",\"log_odds\":");
	jround4(out, z);
	lq_buf_adds(out, ",\"baseline\":");
	lq_buf_json_round(out, base, 4);
	lq_buf_addf(out, ",\"unknown\":%d,\"unseen\":%d", nmissing, nunseen);
	/* index the reason strings, then write them sorted */
	const char **rp = calloc((size_t)m->nf + 1, sizeof(char *));
	size_t off = 0;
	for (int i = 0; i < m->nf; i++) {
		rp[i] = rs.buf + off;
		off += strlen(rs.buf + off) + 1;
	}
	cmp_feats = m->f;
	qsort(cb, (size_t)m->nf, sizeof(*cb), cmp_contrib);
	/* by default the REASON_TOP largest that raised and that lowered
	 * the score, leaving out near-zero ones and missing values that
	 * matter little; the rest's sum keeps the arithmetic whole */
	double rest = 0;
	int nup = 0, ndown = 0;
	for (int i = 0; i < m->nf; i++) {
		const struct contrib *k = &cb[i];
		int show = m->all_reasons;
		if (!show && fabs(k->c) >= (k->missing ? REASON_MISSING :
		    REASON_MIN))
			show = k->c > 0 ? nup++ < REASON_TOP : ndown++ <
			    REASON_TOP;
		cb[i].flag = show ? -1 : cb[i].flag;
		if (!show)
			rest += k->c;
	}
	if (!m->all_reasons) {
		lq_buf_adds(out, ",\"rest\":");
		jround4(out, rest);
	}
	lq_buf_adds(out, ",\"reasons\":[");
	int first = 1;
	if (dqs.len) {
		lq_buf_add(out, dqs.buf, dqs.len);
		first = 0;
	}
	for (int i = 0; i < m->nf; i++) {
		if (cb[i].flag != -1)
			continue;
		lq_buf_adds(out, first ? "" : ",");
		first = 0;
		lq_buf_adds(out, rp[cb[i].f]);
	}
	lq_buf_adds(out, "]}");
	lq_buf_release(&dqs);
	free(rp);
	lq_buf_release(&rs);
	free(cb);
	free(fsum);
	jv_free(res);
	jv_free(rec);
	return 0;
fail:
	free(cb);
	jv_free(res);
	jv_free(rec);
	return -1;
}
