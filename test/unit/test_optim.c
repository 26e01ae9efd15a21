/* test_optim.c - the optimiser and the linear algebra on problems with
 * known solutions; logistic regression through lq_train on records. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_optim.h"
#include "lq_train.h"
#include "tap.h"

/* f(x) = 1/2 sum a_i (x_i - c_i)^2: minimum at c */
static double
quad(void *ctx, const double *x, double *g)
{
	double f = 0;

	(void)ctx;
	for (int i = 0; i < 50; i++) {
		double a = 1 + i * i, d = x[i] - (i % 7 - 3);
		f += 0.5 * a * d * d;
		g[i] = a * d;
	}
	return f;
}

static double
rosen(void *ctx, const double *x, double *g)
{
	double a = 1 - x[0], b = x[1] - x[0] * x[0];

	(void)ctx;
	g[0] = -2 * a - 400 * x[0] * b;
	g[1] = 200 * b;
	return a * a + 100 * b * b;
}

/* logistic loss of an intercept w on k positives out of n, plus lambda */
struct lr { double k, n, lambda; };

static double
logit1(void *ctx, const double *w, double *g)
{
	struct lr *p = ctx;
	double s = 1 / (1 + exp(-w[0]));

	g[0] = p->n * s - p->k + p->lambda * w[0];
	return p->n * log1p(exp(w[0])) - p->k * w[0] +
	    0.5 * p->lambda * w[0] * w[0];
}

static double
amax_err(const double *x, double (*want)(int), int n)
{
	double m = 0;

	for (int i = 0; i < n; i++)
		m = fmax(m, fabs(x[i] - want(i)));
	return m;
}

static double
quad_min(int i)
{
	return i % 7 - 3;
}

int
main(void)
{
	struct lq_optim o;
	double x[50] = { 0 };

	lq_optim_init(&o);
	o.gtol = 1e-9;
	ok(lq_lbfgs(50, x, quad, NULL, &o) == 0, "quadratic: converged (%d "
	    "iterations)", o.iter);
	ok(amax_err(x, quad_min, 50) < 1e-9, "quadratic: minimum at c");
	ok(o.gmax <= 1e-9, "quadratic: gradient below tolerance");

	double r[2] = { -1.2, 1 };
	lq_optim_init(&o);
	o.gtol = 1e-8;
	ok(lq_lbfgs(2, r, rosen, NULL, &o) == 0, "rosenbrock: converged (%d "
	    "iterations)", o.iter);
	ok(fabs(r[0] - 1) < 1e-6 && fabs(r[1] - 1) < 1e-6,
	    "rosenbrock: minimum at (1, 1): %.9f %.9f", r[0], r[1]);

	struct lr p = { 30, 100, 0 };
	double w = 0;
	lq_optim_init(&o);
	o.gtol = 1e-10;
	lq_lbfgs(1, &w, logit1, &p, &o);
	ok(fabs(w - log(30.0 / 70)) < 1e-9, "intercept-only logistic: "
	    "logit of the rate (%.10f)", w);

	lq_optim_init(&o);
	o.max_iter = 3;
	o.gtol = 0;
	double x2[50] = { 0 };
	ok(lq_lbfgs(50, x2, quad, NULL, &o) == 1 && o.status ==
	    LQ_OPTIM_MAXITER && o.iter == 3, "iteration limit is reported");

	/* Cholesky: A = [[4,2,0],[2,5,1],[0,1,3]], A x = b with x = (1,-1,2) */
	double A[9] = { 4, 2, 0, 2, 5, 1, 0, 1, 3 }, b[3];
	double xs[3] = { 1, -1, 2 };
	for (int i = 0; i < 3; i++) {
		b[i] = 0;
		for (int j = 0; j < 3; j++)
			b[i] += A[i * 3 + j] * xs[j];
	}
	ok(lq_cholesky(3, A) == 0, "cholesky of an SPD matrix");
	ok(fabs(A[0] - 2) < 1e-12 && fabs(A[3] - 1) < 1e-12 &&
	    fabs(A[4] - 2) < 1e-12, "cholesky factor L = [[2],[1,2],...]");
	lq_chol_solve(3, A, b);
	ok(fabs(b[0] - 1) < 1e-12 && fabs(b[1] + 1) < 1e-12 &&
	    fabs(b[2] - 2) < 1e-12, "cholesky solve gives x");
	double N[4] = { 1, 2, 2, 1 };
	ok(lq_cholesky(2, N) == -1, "an indefinite matrix is refused");

	/*
	 * lq_train end to end, with a solution known in closed form: one
	 * categorical feature with two levels, a (30 won of 40) and b (10
	 * of 40), lambda ~ 0: the probabilities are the level rates.
	 */
	struct lq_train_opts to;
	struct lq_err err;
	lq_train_opts_init(&to);
	to.label = ".won";
	to.lambda = 1e-9;
	to.folds = 2;
	to.min_count = 1;
	lq_err_clear(&err);
	struct lq_train *t = lq_train_new(&to, &err);
	ok(t != NULL, "lq_train_new");
	char line[64];
	for (int i = 0; i < 80; i++) {
		int won = i < 40 ? i < 30 : i < 50;
		snprintf(line, sizeof(line), "{\"lvl\":\"%s\",\"won\":%s}",
		    i < 40 ? "a" : "b", won ? "true" : "false");
		lq_train_add(t, line, strlen(line), &err);
	}
	snprintf(line, sizeof(line), "{\"lvl\":\"a\",\"won\":null}");
	ok(lq_train_add(t, line, strlen(line), &err) == 0, "null label: "
	    "skipped");
	struct lq_model *m = lq_train_fit(t, NULL, NULL, &err);
	ok(m != NULL && m->nf == 1, "one feature");
	if (m && m->nf == 1) {
		double za = m->w0 + m->f[0].w[0], zb = m->w0 + m->f[0].w[1];
		if (strcmp(m->f[0].levels[0], "a")) {
			double tz = za;
			za = zb;
			zb = tz;
		}
		ok(fabs(1 / (1 + exp(-za)) - 0.75) < 1e-4 &&
		    fabs(1 / (1 + exp(-zb)) - 0.25) < 1e-4,
		    "level log-odds give the level rates (%.5f, %.5f)",
		    1 / (1 + exp(-za)), 1 / (1 + exp(-zb)));
		ok(fabs(m->auc - 0.75) < 0.02, "out-of-fold AUC near the "
		    "two-level AUC 0.75 (%g)", m->auc);
		ok(m->rows == 80 && m->skipped == 1 && m->pos == 40,
		    "rows, skipped, positives");
	}
	lq_model_free(m);
	lq_train_free(t);
	return tap_done();
}
