/*
 * model.c - models (lq_model.h): lifecycle, feature extraction from a record,
 * and scoring: probability, tier, confidence and the reasons in words.
 * The model file itself (writing, reading, the seal) is model_file.c.
 */
#include "model_int.h"

const char *const model_tier_names[] = { "L1", "L2", "L3", "L4" };

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

void
lq_feat_release(struct lq_feat *f)
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
		lq_feat_release(&m->f[i]);
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
void
model_feat_index(struct lq_feat *f)
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

/*
 * Feature i of the record into *k (its column, contribution c and its
 * variance term) and *raw (its value); returns the value as the model
 * sees it (x, scaled and clipped; 1 for a level).  Counts missing and
 * unseen values.
 */
static double
contribution(struct lq_model *m, int i, jv rec, jv res, const double *fsum,
    struct contrib *k, struct lq_raw *raw_, int *nmissing_, int *nunseen_)
{
	const struct lq_feat *f = &m->f[i];
	struct lq_raw raw;
	double x = 1;
	int nmissing = 0, nunseen = 0;

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
	*raw_ = raw;
	*nmissing_ += nmissing;
	*nunseen_ += nunseen;
	return x;
}

/* feature f's reason as JSON into rs, NUL-terminated (a separator) */
static void
reason_json(struct lq_model *m, const struct lq_feat *f,
    const struct lq_raw *rawp, const struct contrib *k, double x,
    struct lq_buf *rs)
{
	const struct lq_raw raw = *rawp;

	lq_buf_adds(rs, "{\"feature\":");
	lq_buf_json_strs(rs, f->name);
	lq_buf_adds(rs, ",\"value\":");
	if (raw.kind == 1 || (raw.kind == 3 && isfinite(raw.num)))
		lq_buf_json_num(rs, raw.num);
	else if (raw.kind == 2)
		lq_buf_json_str(rs, raw.s, raw.n);
	else
		lq_buf_adds(rs, "null");
	if (raw.kind == 3)
		lq_buf_adds(rs, ",\"unknown\":\"number out of range\"");
	lq_buf_adds(rs, ",\"log_odds\":");
	jround4(rs, k->c);
	if (k->flag == 1)
		lq_buf_adds(rs, ",\"unseen\":true");
	if (k->flag == 2)
		lq_buf_adds(rs, ",\"outside_training_range\":true");
	lq_buf_adds(rs, ",\"text\":");
	lq_buf_reset(&m->text);
	reason_text(&m->text, f, &raw, k, f->type == LQ_FT_NUM &&
	    !k->missing ? x : 0);
	lq_buf_json_strs(rs, m->text.buf);
	lq_buf_addc(rs, '}');
	lq_buf_addc(rs, 0);	/* separator */
}

/*
 * ,"rest":...,"reasons":[...]} of a scored record: the disqualifiers of
 * the rules (dqs), then by default the REASON_TOP largest contributions
 * that raised and that lowered the score, leaving out near-zero ones and
 * missing values that matter little; the rest's sum keeps the arithmetic
 * whole.  rs holds the features' reasons, NUL-separated, in feature order.
 */
static void
write_reasons(struct lq_model *m, struct contrib *cb, const struct lq_buf *rs,
    const struct lq_buf *dqs, struct lq_buf *out)
{
	/* index the reason strings, then write them sorted */
	const char **rp = calloc((size_t)m->nf + 1, sizeof(char *));
	size_t off = 0;
	for (int i = 0; i < m->nf; i++) {
		rp[i] = rs->buf + off;
		off += strlen(rs->buf + off) + 1;
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
	if (dqs->len) {
		lq_buf_add(out, dqs->buf, dqs->len);
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
	free(rp);
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
		struct contrib *k = &cb[i];
		double x;
		k->f = i;
		x = contribution(m, i, rec, res, fsum, k, &raw, &nmissing,
		    &nunseen);
		z += k->c;
		var += k->x2se2;
		/* the reason, kept in feature order for now */
		reason_json(m, &m->f[i], &raw, k, x, &rs);
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
	lq_buf_addf(out, ",\"tier\":\"%s\",\"confidence\":", model_tier_names[tier]);
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
	write_reasons(m, cb, &rs, &dqs, out);
	lq_buf_release(&dqs);

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
