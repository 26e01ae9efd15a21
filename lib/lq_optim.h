/*
 * lq_optim.h - unconstrained smooth minimisation (limited-memory BFGS).
 *
 * Used by lq-train for L2-regularised logistic regression; general enough
 * for any smooth function whose gradient can be computed.  Deterministic:
 * no randomness, no threads.
 */
#ifndef LQ_OPTIM_H
#define LQ_OPTIM_H

/*
 * The function to minimise: return f(x) and store its gradient in grad
 * (n values).  x is borrowed.
 */
typedef double (*lq_optim_fn)(void *ctx, const double *x, double *grad);

enum lq_optim_status {
	LQ_OPTIM_CONVERGED = 0,	/* max |gradient| <= gtol */
	LQ_OPTIM_MAXITER = 1,	/* max_iter reached */
	LQ_OPTIM_STALLED = 2	/* no decrease possible (at machine precision) */
};

struct lq_optim {
	/* settings (lq_optim_init gives defaults) */
	int m;			/* number of correction pairs (10) */
	int max_iter;		/* iteration limit (1000) */
	double gtol;		/* stop when max |g_i| <= gtol (1e-6) */
	/* results */
	int iter;		/* iterations done */
	int nfev;		/* function evaluations */
	double f;		/* final value */
	double gmax;		/* final max |g_i| */
	enum lq_optim_status status;
};

/* Fill o with the default settings. */
void lq_optim_init(struct lq_optim *o);

/*
 * Minimise fn from the starting point x (n values, updated in place to
 * the solution) by L-BFGS with a backtracking Armijo line search.
 * Returns 0 when converged, 1 otherwise (o->status says why).
 */
int lq_lbfgs(int n, double *x, lq_optim_fn fn, void *ctx,
    struct lq_optim *o);

/*
 * Cholesky factorisation of the symmetric positive definite d x d matrix
 * A (row-major; only the lower triangle is read): A = L L^T with L left
 * in the lower triangle.  Returns 0, or -1 when A is not positive
 * definite.
 */
int lq_cholesky(int d, double *A);

/* Solve L L^T x = b (L from lq_cholesky); b is overwritten by x. */
void lq_chol_solve(int d, const double *L, double *b);

#endif
