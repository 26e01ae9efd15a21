/*
 * train_fit.c - fitting and evaluating the logistic model: the
 * objective for optim.c, Newton and L-BFGS, Platt calibration, metrics
 * (AUC, log loss, Brier, ECE), tier cut-offs, standard errors.
 */
#include "train_int.h"

/* ---- fitting ---------------------------------------------------------- */

double
train_log1pexp(double z)
{
	return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

double
train_sigmoid(double z)
{
	if (z >= 0)
		return 1 / (1 + exp(-z));
	double ez = exp(z);
	return ez / (1 + ez);
}

/* z[k] = log-odds of row idx[k] */
void
train_predict(const struct enc *e, int ne, const double *w, const long *idx,
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

	train_predict(p->e, p->ne, w, p->idx, p->n, p->z);
	for (long k = 0; k < p->n; k++) {
		double z = p->z[k];
		int y = p->y[p->idx[k]];
		f += train_log1pexp(z) - (y ? z : 0);
		p->r[k] = train_sigmoid(z) - y;
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
fit_newton(struct fit *p, double *w, double gtol)
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
			double q = train_sigmoid(p->z[k]), h = q * (1 - q);
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
			break;
		}
	}
	free(H);
	free(g);
	free(dx);
	free(wn);
	free(gn);
	free(cols);
	free(vals);
	return status;
}

/* Fit p from the start w (updated).  Jacobi-preconditioned L-BFGS. */
static int
fit_lbfgs(struct fit *p, double *w, double gtol)
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
	free(D);
	free(v);
	free(q.w);
	return o.status;
}

/*
 * Fit p from the start w (updated): Newton when the model is small, else
 * L-BFGS; L-BFGS always when LQ_TRAIN_LBFGS is set (lq-train(1),
 * ENVIRONMENT: the test that the two agree).
 */
int
train_fit_lr(struct fit *p, double *w, double gtol)
{
	static int force = -1;

	if (force < 0)
		force = getenv("LQ_TRAIN_LBFGS") != NULL;
	if (p->d <= NEWTON_MAX_D && !force)
		return fit_newton(p, w, gtol);
	return fit_lbfgs(p, w, gtol);
}

/* Platt scaling: fit a, b of sigma(a z + b) by Newton's method. */
void
train_platt(const double *z, const uint8_t *y, long n, double *pa, double *pb)
{
	double a = 1, b = 0;

	for (int it = 0; it < 100; it++) {
		double ga = 0, gb = 0, haa = 1e-9, hab = 0, hbb = 1e-9, f0 = 0;
		for (long k = 0; k < n; k++) {
			double s = a * z[k] + b, p = train_sigmoid(s), r = p - y[k];
			double h = p * (1 - p);
			f0 += train_log1pexp(s) - (y[k] ? s : 0);
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
		/*
		 * converged when g'H^-1 g (twice the decrease Newton promises)
		 * is below what summing n terms can resolve, or no step lowers
		 * the sum: else up to 100 iterations of 31 passes each hunt
		 * rounding noise (200,000 rows: 9 s of lq-train's 12)
		 */
		if (!(da * ga + db * gb > 1e-12 * (fabs(f0) + 1)))
			break;
		double step = 1;
		int moved = 0;
		for (int ls = 0; ls < 30 && !moved; ls++, step /= 2) {
			double na = a - step * da, nb = b - step * db, f1 = 0;
			for (long k = 0; k < n; k++) {
				double s = na * z[k] + nb;
				f1 += train_log1pexp(s) - (y[k] ? s : 0);
			}
			if (f1 <= f0 + 1e-12) {
				a = na;
				b = nb;
				moved = 1;
			}
		}
		if (!moved || fabs(da) + fabs(db) < 1e-10)
			break;
	}
	*pa = a;
	*pb = b;
}

/* ---- evaluation ------------------------------------------------------- */

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
long *
train_order_desc(const double *p, long n)
{
	long *o = malloc((size_t)(n + 1) * sizeof(long));

	for (long i = 0; i < n; i++)
		o[i] = i;
	sort_key = p;
	qsort(o, (size_t)n, sizeof(long), cmp_desc);
	return o;
}

void
train_evaluate(const double *p, const uint8_t *y, long n, struct metrics *m)
{
	long *o = train_order_desc(p, n);
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
	long *o = train_order_desc(p, n), pos = 0, minvol, D = 0;
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

void
train_tier_stats(const struct lq_model *m, const double *p, const uint8_t *y,
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
void
train_std_errors(struct fit *p, double *w, double *se, long ntr)
{
	int d = p->d, full = d <= 600;
	long step = p->n > 100000 ? p->n / 100000 + 1 : 1, nsub = 0;
	double *H = full ? calloc((size_t)d * d, sizeof(double)) :
	    calloc((size_t)d, sizeof(double));
	int *cols = malloc(((size_t)p->ne + 1) * sizeof(int));
	double *vals = malloc(((size_t)p->ne + 1) * sizeof(double));
	double *pi = calloc((size_t)d, sizeof(double));

	train_predict(p->e, p->ne, w, p->idx, p->n, p->z);
	for (long k = 0; k < p->n; k += step, nsub++) {
		double q = train_sigmoid(p->z[k]), h = q * (1 - q);
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
