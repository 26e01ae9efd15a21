/*
 * stats.c - quantiles, bins, PSI and ISO weeks for lq-report.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lq_stats.h"
#include "lq_time.h"

void
lq_vals_add(struct lq_vals *a, double x)
{
	if (isnan(x))
		return;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		if (!(a->v = realloc(a->v, a->cap * sizeof(*a->v))))
			abort();
	}
	a->v[a->n++] = x;
	a->sorted = 0;
}

void
lq_vals_release(struct lq_vals *a)
{
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
	a->sorted = 0;
}

static int
cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

double
lq_vals_quantile(struct lq_vals *a, double q)
{
	double h, f;
	size_t i;

	if (a->n == 0)
		return NAN;
	if (!a->sorted) {
		qsort(a->v, a->n, sizeof(*a->v), cmp_double);
		a->sorted = 1;
	}
	if (q <= 0)
		return a->v[0];
	if (q >= 1)
		return a->v[a->n - 1];
	h = (double)(a->n - 1) * q;
	f = floor(h);
	i = (size_t)f;
	if (i + 1 >= a->n)
		return a->v[a->n - 1];
	return a->v[i] + (h - f) * (a->v[i + 1] - a->v[i]);
}

double
lq_vals_mean(const struct lq_vals *a)
{
	double s = 0;

	if (a->n == 0)
		return NAN;
	for (size_t i = 0; i < a->n; i++)
		s += a->v[i];
	return s / (double)a->n;
}

int
lq_bin(const double *e, int nedges, double x)
{
	int lo = 1, hi = nedges - 1;

	/* count the interior edges e[1..nedges-2] that x reaches */
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (x >= e[mid])
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1;
}

double
lq_psi(const double *a, const double *e, int n)
{
	double s = 0;

	for (int i = 0; i < n; i++) {
		double x = a[i] < LQ_PSI_EPS ? LQ_PSI_EPS : a[i];
		double y = e[i] < LQ_PSI_EPS ? LQ_PSI_EPS : e[i];
		s += (x - y) * log(x / y);
	}
	return s;
}

void
lq_iso_week(char *buf, size_t n, double t)
{
	long days = (long)floor(t / LQ_DAY);
	long wd = ((days + 3) % 7 + 7) % 7;	/* Monday 0; 1970-01-01 Thu */
	time_t th = (time_t)(days - wd + 3) * LQ_DAY;	/* Thursday */
	struct tm tm;

	gmtime_r(&th, &tm);
	snprintf(buf, n, "%04d-W%02d", tm.tm_year + 1900, tm.tm_yday / 7 + 1);
}

void
lq_wilson(long k, long n, double *lo, double *hi)
{
	double z = 1.959964, p, d, c, m;

	if (n <= 0) {
		*lo = *hi = NAN;
		return;
	}
	p = (double)k / (double)n;
	d = 1 + z * z / n;
	c = (p + z * z / (2.0 * n)) / d;
	m = z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / d;
	*lo = fmax(0, c - m);
	*hi = fmin(1, c + m);
}
