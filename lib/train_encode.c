/*
 * train_encode.c - columns to model features: levels of categorical
 * fields, scaling of numbers, and the guards that leave out identifier-like
 * and leaking fields with the evidence.
 */
#include "train_int.h"
#include "lq_mem.h"

/* ---- encoding --------------------------------------------------------- */

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

/* Weights, errors and counts of f's ncol columns; -1 if out of memory. */
static int
feat_alloc(struct lq_feat *f, size_t ncol)
{
	f->w = calloc(ncol, sizeof(double));
	f->se = calloc(ncol, sizeof(double));
	f->count = calloc(ncol, sizeof(long));
	if (!f->w || !f->se || !f->count)
		return -1;
	f->ncol = (int)ncol;
	return 0;
}

/* Copy where column c's values come from into feature f. */
static void
feat_source(struct lq_feat *f, const struct col *c)
{
	f->name = lq_xstrdup(c->name);
	f->src = c->src;
	f->length = c->length;
	f->slot = c->slot;
	if (c->expr)
		f->expr = lq_xstrdup(c->expr);
	if (c->npath) {
		f->path = lq_xcalloc((size_t)c->npath, sizeof(char *));
		for (int i = 0; i < c->npath; i++)
			f->path[i] = lq_xstrdup(c->path[i]);
		f->npath = c->npath;
	}
}

/*
 * The levels of column c kept as columns of f, most frequent first, into
 * ids (c->nstrs + 1 of them); cnt: the training rows of each string.
 * At most c->nstrs <= MAX_DISTINCT.
 */
static size_t
cat_levels(const struct lq_train *t, struct col *c, long *cnt, uint32_t *ids)
{
	size_t nkeep = 0;

	for (long i = 0; i < t->n; i++) {
		if (t->test[i])
			continue;
		if (c->sid[i] && c->sid[i] != OVERFLOW_ID + 1)
			cnt[c->sid[i] - 1]++;
	}
	for (size_t k = 0; k < c->nstrs; k++)
		if (cnt[k] >= t->o.min_count && cnt[k] > 0)
			ids[nkeep++] = (uint32_t)k;
	cnt_col = c;
	cnt_of = cnt;
	qsort(ids, nkeep, sizeof(uint32_t), cmp_level);
	if (t->o.max_levels > 0 && nkeep > (size_t)t->o.max_levels)
		nkeep = (size_t)t->o.max_levels;
	return nkeep;
}

/*
 * Encode column c as a categorical feature: 1, 0 if it carries no
 * signal, -1 if out of memory.
 */
int
train_encode_cat(struct lq_train *t, struct col *c, struct lq_feat *f,
    struct enc *e)
{
	char txt[64];
	long *cnt, ntr = 0;
	uint32_t *ids, *map;
	size_t nkeep, ncol;
	int used = 0, rc = -1;

	train_grow_col(t, c, 0, 1);
	if (c->num)
		for (long i = 0; i < t->n; i++)
			if (!isnan(c->num[i]) && !c->sid[i]) {
				lq_num_level(c->num[i], txt, sizeof(txt));
				c->sid[i] = train_intern(c, txt, strlen(txt)) + 1;
			}
	cnt = calloc(c->nstrs + 1, sizeof(long));
	ids = calloc(c->nstrs + 1, sizeof(uint32_t));
	map = malloc((c->nstrs + 1) * sizeof(uint32_t));
	if (!cnt || !ids || !map)
		goto out;
	nkeep = cat_levels(t, c, cnt, ids);
	ncol = nkeep + 2;	/* the levels, (other), missing */
	feat_source(f, c);
	f->type = LQ_FT_CAT;
	f->levels = calloc(nkeep + 1, sizeof(char *));
	f->pshare = calloc(ncol, sizeof(double));
	if (!f->levels || !f->pshare || feat_alloc(f, ncol))
		goto out;
	f->nlev = (int)nkeep;
	f->npshare = f->ncol;
	for (size_t k = 0; k < c->nstrs; k++)
		map[k] = (uint32_t)LQ_COL_OTHER(f);
	for (size_t k = 0; k < nkeep; k++) {
		f->levels[k] = lq_xstrdup(c->str[ids[k]]);
		map[ids[k]] = (uint32_t)k;
	}
	for (long i = 0; i < t->n; i++) {
		uint32_t s = c->sid[i];
		c->sid[i] = !s ? (uint32_t)LQ_COL_MISSING(f) : s == OVERFLOW_ID
		    + 1 ? (uint32_t)LQ_COL_OTHER(f) : map[s - 1];
		if (!t->test[i])
			f->count[c->sid[i]]++;
	}
	for (size_t k = 0; k < ncol; k++)
		used += f->count[k] > 0;
	/* profile: shares of the training rows */
	for (size_t k = 0; k < ncol; k++)
		ntr += f->count[k];
	for (size_t k = 0; k < ncol; k++)
		f->pshare[k] = ntr ? round(1e4 * f->count[k] / ntr) / 1e4 : 0;
	e->u = c->sid;
	rc = used >= 2;
out:
	free(cnt);
	free(ids);
	free(map);
	return rc;
}

/*
 * Encode column c as a numeric feature: 1, 0 if it carries no signal, -1
 * if out of memory.
 */
int
train_encode_num(struct lq_train *t, struct col *c, struct lq_feat *f,
    struct enc *e)
{
	long nv = 0, nmiss = 0;
	double *v = malloc((size_t)(t->n + 1) * sizeof(double));

	if (!v)
		return -1;
	train_grow_col(t, c, 1, 0);
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
	if (feat_alloc(f, 2)) {
		free(v);
		return -1;
	}
	f->lo = -HUGE_VAL;
	f->hi = HUGE_VAL;
	/* profile: decile edges in raw units */
	f->npedge = 11;
	f->pedge = lq_xcalloc(11, sizeof(double));
	for (int k = 0; k <= 10; k++)
		f->pedge[k] = quantile(v, nv, k / 10.0);
	f->npshare = 10;
	f->pshare = lq_xcalloc(10, sizeof(double));
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

/* ---- guards ----------------------------------------------------------- */

/* Whether a guard may leave out the feature name (not --include/--keep). */
int
train_guarded(const struct lq_train *t, const char *name)
{
	if (t->o.no_guards || train_glob_any(t->o.keep, t->o.nkeep, name))
		return 0;
	return !train_included(t, name);
}

#define GUARD_MIN_ROWS 20	/* fewer values: no guard decides */
#define ID_SHARE 0.9		/* distinct values per row of an identifier */

/*
 * Whether column c of a field looks like an identifier on the training
 * rows: nearly one distinct value per row (strings, or whole numbers), or
 * numbers that only rise (or only fall) with the row order.  The evidence
 * goes to why.
 */
int
train_ident_like(const struct lq_train *t, const struct col *c, struct lq_buf *why)
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
int
train_leak_like(const struct lq_train *t, const struct lq_feat *f,
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
			long *ord = train_order_desc(v, nv);
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
