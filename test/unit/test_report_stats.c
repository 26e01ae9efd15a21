/* test_report_stats.c - lq-report's statistics and SVG helpers. */
#include <math.h>
#include <string.h>

#include "lq_stats.h"
#include "lq_svg.h"
#include "tap.h"

static int
near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

int
main(void)
{
	struct lq_vals v = LQ_VALS_INIT;
	struct lq_buf b = LQ_BUF_INIT;
	double e[] = { 0, 10, 20, 20, 30 };
	double a1[] = { 0.5, 0.5 }, e1[] = { 0.5, 0.5 };
	double a2[] = { 0.75, 0.25 }, e2[] = { 0.25, 0.75 };
	double a3[] = { 1, 0 }, e3[] = { 0.5, 0.5 };
	char wk[16];

	ok(isnan(lq_vals_quantile(&v, 0.5)), "quantile of nothing is NaN");
	ok(isnan(lq_vals_mean(&v)), "mean of nothing is NaN");
	lq_vals_add(&v, 7);
	ok(lq_vals_quantile(&v, 0.9) == 7, "one value is every quantile");
	lq_vals_add(&v, NAN);
	ok(v.n == 1, "NaN is not kept");
	lq_vals_release(&v);
	/* 30 45 240 1800 7200 added out of order */
	lq_vals_add(&v, 1800);
	lq_vals_add(&v, 30);
	lq_vals_add(&v, 7200);
	lq_vals_add(&v, 240);
	lq_vals_add(&v, 45);
	ok(lq_vals_quantile(&v, 0.5) == 240, "median of five");
	ok(near(lq_vals_quantile(&v, 0.9), 5040), "p90 type 7: 1800 + .6*5400");
	ok(near(lq_vals_quantile(&v, 0.25), 45), "p25");
	ok(lq_vals_quantile(&v, 0) == 30 && lq_vals_quantile(&v, 1) == 7200,
	    "min and max");
	lq_vals_add(&v, 0);
	ok(near(lq_vals_quantile(&v, 0.5), (45 + 240) / 2.0),
	    "median of six interpolates, after adding to a sorted list");
	ok(near(lq_vals_mean(&v), (30 + 45 + 240 + 1800 + 7200) / 6.0), "mean");
	lq_vals_release(&v);

	ok(lq_bin(e, 5, -5) == 0, "below the first edge: bin 0");
	ok(lq_bin(e, 5, 0) == 0 && lq_bin(e, 5, 9.99) == 0, "bin 0");
	ok(lq_bin(e, 5, 10) == 1, "an edge belongs to the bin above");
	ok(lq_bin(e, 5, 20) == 3, "repeated edge: the highest bin reached");
	ok(lq_bin(e, 5, 30) == 3 && lq_bin(e, 5, 99) == 3,
	    "last bin closed and open above");
	ok(lq_bin(e, 2, 5) == 0, "two edges, one bin");

	ok(lq_psi(a1, e1, 2) == 0, "same shares: psi 0");
	ok(near(lq_psi(a2, e2, 2), 2 * 0.5 * log(3)), "psi 0.75/0.25 swap");
	ok(near(lq_psi(a3, e3, 2), 0.5 * log(2) +
	    (LQ_PSI_EPS - 0.5) * log(LQ_PSI_EPS / 0.5)), "empty bin floored");

	lq_iso_week(wk, sizeof(wk), 1793610000);	/* 2026-11-02T09:00Z */
	is_str(wk, "2026-W45", "a Monday");
	lq_iso_week(wk, sizeof(wk), 1793610000 - 86400);
	is_str(wk, "2026-W44", "the Sunday before");
	lq_iso_week(wk, sizeof(wk), 1609459200);	/* 2021-01-01, Friday */
	is_str(wk, "2020-W53", "early January in the last ISO year's week 53");
	lq_iso_week(wk, sizeof(wk), 1767052800);	/* 2025-12-30, Tuesday */
	is_str(wk, "2026-W01", "late December in next ISO year's week 1");
	lq_iso_week(wk, sizeof(wk), -86400);		/* 1969-12-31 */
	is_str(wk, "1970-W01", "before the epoch");

	lq_svg_esc(&b, "a<b>&\"c\001");
	is_str(b.buf, "a&lt;b&gt;&amp;&quot;c?", "xml escaping");
	lq_buf_reset(&b);
	lq_svg_begin(&b, 100, 50, "t");
	lq_svg_bars(&b, 0, 0, 100, 50, "x", 0, NULL, NULL, NULL, 0,
	    LQ_SVG_PCT);
	lq_svg_end(&b);
	ok(strstr(b.buf, "no data") && strstr(b.buf, "</svg>"),
	    "an empty chart says so");
	lq_buf_release(&b);
	return tap_done();
}
