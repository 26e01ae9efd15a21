/*
 * optim.c - limited-memory BFGS (Nocedal and Wright, algorithm 7.4/7.5).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lq_optim.h"

void
lq_optim_init(struct lq_optim *o)
{
	memset(o, 0, sizeof(*o));
	o->m = 10;
	o->max_iter = 1000;
	o->gtol = 1e-6;
}

static double
dot(int n, const double *a, const double *b)
{
	double s = 0;

	for (int i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

static double
amax(int n, const double *a)
{
	double m = 0;

	for (int i = 0; i < n; i++)
		if (fabs(a[i]) > m)
			m = fabs(a[i]);
	return m;
}

int
lq_lbfgs(int n, double *x, lq_optim_fn fn, void *ctx, struct lq_optim *o)
{
	int m = o->m > 0 ? o->m : 10;
	double *mem = calloc((size_t)n * (2 * (size_t)m + 4) + 2 * (size_t)m,
	    sizeof(double));
	double *g = mem, *d = g + n, *xn = d + n, *gn = xn + n;
	double *S = gn + n, *Y = S + (size_t)n * m;
	double *rho = Y + (size_t)n * m, *alpha = rho + m;
	double f, fn_, step, gd;
	int k = 0, head = 0, cnt = 0;

	if (!mem)
		abort();
	f = fn(ctx, x, g);
	o->nfev = 1;
	o->status = LQ_OPTIM_MAXITER;
	for (o->iter = 0; o->iter < o->max_iter; o->iter++) {
		if (amax(n, g) <= o->gtol) {
			o->status = LQ_OPTIM_CONVERGED;
			break;
		}
		/* two-loop recursion: d = -H g */
		for (int i = 0; i < n; i++)
			d[i] = -g[i];
		for (int j = 0; j < cnt; j++) {
			int p = (head - 1 - j + m) % m;
			alpha[p] = rho[p] * dot(n, S + (size_t)p * n, d);
			for (int i = 0; i < n; i++)
				d[i] -= alpha[p] * Y[(size_t)p * n + i];
		}
		if (cnt) {
			int p = (head - 1 + m) % m;
			double yy = dot(n, Y + (size_t)p * n, Y + (size_t)p * n);
			double gam = 1 / (rho[p] * yy);
			for (int i = 0; i < n; i++)
				d[i] *= gam;
		}
		for (int j = cnt - 1; j >= 0; j--) {
			int p = (head - 1 - j + m) % m;
			double b = rho[p] * dot(n, Y + (size_t)p * n, d);
			for (int i = 0; i < n; i++)
				d[i] += (alpha[p] - b) * S[(size_t)p * n + i];
		}
		gd = dot(n, g, d);
		if (gd >= 0) {		/* not a descent direction: restart */
			for (int i = 0; i < n; i++)
				d[i] = -g[i];
			gd = dot(n, g, d);
			cnt = 0;
		}
		step = cnt ? 1 : fmin(1, 1 / sqrt(-gd));
		/* backtracking line search with the Armijo condition */
		for (k = 0; k < 60; k++) {
			for (int i = 0; i < n; i++)
				xn[i] = x[i] + step * d[i];
			fn_ = fn(ctx, xn, gn);
			o->nfev++;
			if (isfinite(fn_) && fn_ <= f + 1e-4 * step * gd)
				break;
			step *= isfinite(fn_) ? 0.5 : 0.1;
		}
		if (k == 60) {
			o->status = LQ_OPTIM_STALLED;
			break;
		}
		/* store the correction pair */
		double *s = S + (size_t)head * n, *y = Y + (size_t)head * n;
		for (int i = 0; i < n; i++) {
			s[i] = xn[i] - x[i];
			y[i] = gn[i] - g[i];
		}
		double sy = dot(n, s, y);
		if (sy > 1e-12 * sqrt(dot(n, s, s) * dot(n, y, y))) {
			rho[head] = 1 / sy;
			head = (head + 1) % m;
			if (cnt < m)
				cnt++;
		}
		double fold = f;
		memcpy(x, xn, (size_t)n * sizeof(double));
		memcpy(g, gn, (size_t)n * sizeof(double));
		f = fn_;
		if (fold - f <= 1e-15 * fmax(1, fabs(f)) &&
		    amax(n, g) > o->gtol && k > 0 && step < 1e-10) {
			o->status = LQ_OPTIM_STALLED;
			o->iter++;
			break;
		}
	}
	o->f = f;
	o->gmax = amax(n, g);
	free(mem);
	return o->status == LQ_OPTIM_CONVERGED ? 0 : 1;
}

int
lq_cholesky(int d, double *A)
{
	for (int j = 0; j < d; j++) {
		double *rj = A + (size_t)j * d, s = rj[j];
		for (int k = 0; k < j; k++)
			s -= rj[k] * rj[k];
		if (!(s > 0))
			return -1;
		rj[j] = sqrt(s);
		for (int i = j + 1; i < d; i++) {
			double *ri = A + (size_t)i * d, r = ri[j];
			for (int k = 0; k < j; k++)
				r -= ri[k] * rj[k];
			ri[j] = r / rj[j];
		}
	}
	return 0;
}

void
lq_chol_solve(int d, const double *L, double *b)
{
	for (int i = 0; i < d; i++) {
		const double *ri = L + (size_t)i * d;
		double r = b[i];
		for (int k = 0; k < i; k++)
			r -= ri[k] * b[k];
		b[i] = r / ri[i];
	}
	for (int i = d - 1; i >= 0; i--) {
		double r = b[i];
		for (int k = i + 1; k < d; k++)
			r -= L[(size_t)k * d + i] * b[k];
		b[i] = r / L[(size_t)i * d + i];
	}
}
