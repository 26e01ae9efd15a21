/*
 * lq_stats.h - small statistics for lq-report: value lists with exact
 * quantiles, binning, the population stability index and ISO weeks.
 *
 * Quantiles are exact: the values are kept (8 bytes each) and sorted once
 * when asked for.  Memory is therefore linear in the values kept, which
 * lq-report bounds to the records that have the measured field.
 */
#ifndef LQ_STATS_H
#define LQ_STATS_H

#include <stddef.h>

/* shares below this are raised to it before a PSI term is computed */
#define LQ_PSI_EPS 1e-4

/* a growable list of doubles */
struct lq_vals {
	double *v;
	size_t n, cap;
	int sorted;
};

#define LQ_VALS_INIT { NULL, 0, 0, 0 }

/* Append x (NaN is ignored). */
void lq_vals_add(struct lq_vals *a, double x);

/* Free the values; the list is empty and reusable afterwards. */
void lq_vals_release(struct lq_vals *a);

/*
 * The q-quantile (0 <= q <= 1) by linear interpolation between order
 * statistics (Hyndman-Fan type 7, the default of R and numpy): for n
 * values at h = (n-1)q, x[floor h] + (h - floor h)(x[floor h + 1] -
 * x[floor h]).  Sorts the list on first use.  NaN for an empty list.
 */
double lq_vals_quantile(struct lq_vals *a, double q);

/* Mean, or NaN for an empty list. */
double lq_vals_mean(const struct lq_vals *a);

/*
 * Bin of x for nedges ascending edges e[0..nedges): bin i (0 <= i <
 * nedges-1) holds e[i] <= x < e[i+1]; the last bin also holds e[nedges-1],
 * values below e[0] go to bin 0 and values above the last edge to the last
 * bin.  With repeated edges a value goes to the highest bin whose lower
 * edge it reaches.  nedges must be at least 2.
 */
int lq_bin(const double *e, int nedges, double x);

/*
 * Population stability index of the observed shares a[0..n) against the
 * expected shares e[0..n): sum over bins of (a - e) ln(a / e), each share
 * first raised to at least LQ_PSI_EPS.  0 means identical; by convention
 * below 0.1 is stable, 0.1-0.25 a moderate shift, above 0.25 a large one.
 */
double lq_psi(const double *a, const double *e, int n);

/*
 * ISO 8601 week of t (seconds since the epoch, taken in UTC) as
 * "2026-W48" into buf (at least 12 bytes).
 */
void lq_iso_week(char *buf, size_t n, double t);

/* The 95% Wilson score interval of k successes in n trials into *lo and
 * *hi (NaN when n is 0). */
void lq_wilson(long k, long n, double *lo, double *hi);

#endif
