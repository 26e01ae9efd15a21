/* test_train.c - tier cut-offs on degenerate data (lq_train_tiers). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_train.h"
#include "tap.h"

static double cut[3];
static char note[256];
static int met;

/* Learn the tiers; check the invariants every result must keep. */
static int
tiers(const char *what, const double *p, const uint8_t *y, long n)
{
	long pos = 0, cnt[4] = { 0 };
	int empty = lq_train_tiers(p, y, n, 0.8, -1, cut, &met, note,
	    sizeof(note)), bad = 0;

	for (long i = 0; i < n; i++)
		pos += y[i];
	ok(cut[0] > cut[1] && cut[1] > cut[2] && cut[2] >= 0 && cut[0] <= 1,
	    "%s: cut-offs strictly fall from L1 to L3 (%g %g %g)", what,
	    cut[0], cut[1], cut[2]);
	for (long i = 0; i < n; i++) {
		int k = p[i] >= cut[0] ? 0 : p[i] >= cut[1] ? 1 : p[i] >=
		    cut[2] ? 2 : 3;
		cnt[k]++;
		if (k == 0 && !(p[i] > (double)pos / n))
			bad++;
	}
	ok(!bad, "%s: every L1 probability is above the base rate", what);
	int nz = 0;
	for (int k = 0; k < 4; k++)
		nz += cnt[k] == 0;
	ok(nz == empty && (!empty || strstr(note, "empty")),
	    "%s: %d empty tier(s) reported as %d (%ld %ld %ld %ld) '%s'", what,
	    nz, empty, cnt[0], cnt[1], cnt[2], cnt[3], note);
	return empty;
}

int
main(void)
{
	double p[200];
	uint8_t y[200];

	/* three rows: three distinct scores, one tier must stay empty */
	double p3[] = { 0.9, 0.5, 0.1 };
	uint8_t y3[] = { 1, 0, 0 };
	ok(tiers("3 rows", p3, y3, 3) == 1, "3 rows: exactly one tier empty");

	/* all-equal scores: no lead above the base rate, L1 empty */
	for (int i = 0; i < 50; i++) {
		p[i] = 0.4;
		y[i] = i % 5 < 2;
	}
	ok(tiers("all equal", p, y, 50) == 3, "all equal: one tier holds all");
	ok(strstr(note, "none is L1") != NULL, "all equal: the note says why "
	    "L1 is empty");

	/* one class: every lead lost (base rate 0) */
	for (int i = 0; i < 50; i++) {
		p[i] = 0.01 * (i % 7);
		y[i] = 0;
	}
	ok(tiers("one class", p, y, 50) == 0, "one class: seven distinct "
	    "scores fill the four tiers");

	/* two distinct values */
	for (int i = 0; i < 40; i++) {
		p[i] = i < 10 ? 0.8 : 0.2;
		y[i] = i < 9 || i == 30;
	}
	ok(tiers("two values", p, y, 40) == 2, "two values: two tiers empty");

	/* the collapse the issue saw: a precision band reaching below the
	 * base rate must not put leads under it in L1 */
	for (int i = 0; i < 200; i++) {
		p[i] = i < 80 ? 0.95 : i < 100 ? 0.3 + 0.001 * i : 0.02 +
		    0.0001 * i;
		y[i] = i < 78 || (i >= 80 && i < 90) || i % 50 == 7;
	}
	ok(tiers("spread", p, y, 200) == 0, "spread: every tier holds rows");
	ok(met, "spread: the L1 precision target is met");
	return tap_done();
}
