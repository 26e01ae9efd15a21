/*
 * fuzz_yaml.c - the YAML loader (lq_yaml_load_mem) and every accessor of
 * lq_yaml.h on each node of what it loads.
 *
 * Invariants: every message is "fuzz.yaml:LINE:COL: ..." with the node's
 * own position (the load error's within the text); a number accepted is
 * finite, and a whole number (decimal, 0x or 0o) is exact and within
 * 2^53; a whole number within bounds is within them; a duration is finite
 * and not negative; the keys of a mapping are distinct.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_yaml.h"
#include "fuzz.h"

static const char *const allowed[] = { "score", "route", "when", "points",
	"signals", "tiers", NULL };

/* err must be a message at node's position */
static void
check_msg(const struct lq_err *err, const struct lq_ynode *n, const char *fn)
{
	char want[64];

	snprintf(want, sizeof(want), "fuzz.yaml:%d:%d: ", n->line, n->col);
	if (strncmp(err->msg, want, strlen(want)) || !err->msg[strlen(want)])
		fuzz_fail("%s: message not at %s: %s", fn, want, err->msg);
}

/* the exact value of a 0x or 0o literal, or -1 when above 2^63 */
static double
radix_value(const char *s)
{
	unsigned long long v = 0;
	int base = s[1] == 'x' ? 16 : 8;

	for (s += 2; *s; s++) {
		int d = *s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10;
		if (v > (1ULL << 59))
			return -1;
		v = v * (unsigned)base + (unsigned)d;
	}
	return (double)v;
}

static long visits;

static void
walk(const struct lq_ydoc *d, const struct lq_ynode *n, int depth)
{
	struct lq_err err;
	double x;
	long l;
	int b, line, col;
	const char *s;

	if (++visits > 20000)
		return;
	if (depth > LQ_YAML_MAX_DEPTH + 1)
		fuzz_fail("nesting %d deeper than the limit", depth);
	if (n->line < 1 || n->col < 1)
		fuzz_fail("node at %d:%d", n->line, n->col);
	if (lq_yexpect(d, n, n->kind, "node", &err))
		fuzz_fail("lq_yexpect refuses the node's own kind");
	if (lq_yexpect(d, n, n->kind == LQ_Y_MAP ? LQ_Y_SEQ : LQ_Y_MAP,
	    "node", &err) == 0)
		fuzz_fail("lq_yexpect accepts another kind");
	check_msg(&err, n, "lq_yexpect");
	if (n->kind == LQ_Y_SCALAR) {
		if (!n->str || n->str[n->len] != 0)
			fuzz_fail("scalar not NUL-terminated");
		if (lq_ynum(d, n, "num", &x, &err) == 0) {
			if (!isfinite(x))
				fuzz_fail("number '%s' is %g", n->str, x);
			if (n->str[0] == '0' && (n->str[1] == 'x' ||
			    n->str[1] == 'o') && (radix_value(n->str) != x ||
			    fabs(x) > 9007199254740992.0))
				fuzz_fail("number '%s' read as %.17g", n->str,
				    x);
			if (strspn(n->str, "+-0123456789") == n->len &&
			    fabs(x) > 9007199254740992.0)
				fuzz_fail("integer '%s' beyond 2^53 accepted",
				    n->str);
		} else
			check_msg(&err, n, "lq_ynum");
		if (lq_ynum_in(d, n, "num", 0, 100, &x, &err) == 0) {
			if (!(x >= 0 && x <= 100))
				fuzz_fail("lq_ynum_in: %g outside [0, 100]", x);
		} else
			check_msg(&err, n, "lq_ynum_in");
		if (lq_yint_in(d, n, "int", -5, 5, &l, &err) == 0) {
			if (l < -5 || l > 5)
				fuzz_fail("lq_yint_in: %ld outside [-5, 5]", l);
		} else
			check_msg(&err, n, "lq_yint_in");
		if (lq_yint_in(d, n, "int", LONG_MIN, LONG_MAX, &l, &err))
			check_msg(&err, n, "lq_yint_in");
		if (lq_ybool(d, n, "bool", &b, &err) == 0) {
			if (b != 0 && b != 1)
				fuzz_fail("lq_ybool: %d", b);
		} else
			check_msg(&err, n, "lq_ybool");
		if (lq_ystr(d, n, "str", &s, &err) || s != n->str)
			fuzz_fail("lq_ystr refuses a scalar");
		if (lq_ydur(d, n, "dur", &x, &err) == 0) {
			if (!isfinite(x) || x < 0)
				fuzz_fail("duration '%s' is %g s", n->str, x);
		} else
			check_msg(&err, n, "lq_ydur");
		(void)lq_ynull(n);
		lq_ynode_text_pos(d, n, &line, &col);
		if (line < n->line || col < 1)
			fuzz_fail("text of %d:%d at %d:%d", n->line, n->col,
			    line, col);
		return;
	}
	if (lq_ystr(d, n, "str", &s, &err) == 0)
		fuzz_fail("lq_ystr accepts a collection");
	check_msg(&err, n, "lq_ystr");
	if (lq_ynum(d, n, "num", &x, &err) == 0)
		fuzz_fail("lq_ynum accepts a collection");
	check_msg(&err, n, "lq_ynum");
	if (lq_ydur(d, n, "dur", &x, &err) == 0)
		fuzz_fail("lq_ydur accepts a collection");
	check_msg(&err, n, "lq_ydur");
	if (n->kind == LQ_Y_MAP) {
		for (size_t i = 0; i < n->n; i++) {
			const struct lq_ynode *k = n->keys[i];
			if (k->kind != LQ_Y_SCALAR)
				fuzz_fail("mapping key %zu is not a scalar", i);
			if (strlen(k->str) == k->len &&
			    lq_ymap_get(n, k->str) != n->items[i])
				fuzz_fail("key '%s' is not distinct", k->str);
		}
		if (lq_ymap_check(d, n, "map", allowed, &err)) {
			size_t i;
			for (i = 0; i < n->n; i++) {
				char want[64];
				snprintf(want, sizeof(want), "fuzz.yaml:%d:%d: "
				    "unknown key", n->keys[i]->line,
				    n->keys[i]->col);
				if (!strncmp(err.msg, want, strlen(want)))
					break;
			}
			if (i == n->n)
				fuzz_fail("lq_ymap_check: %s", err.msg);
		}
	}
	for (size_t i = 0; i < n->n; i++) {
		if (n->kind == LQ_Y_MAP)
			walk(d, n->keys[i], depth + 1);
		walk(d, n->items[i], depth + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lq_ydoc doc;
	struct lq_err err;
	jv v;

	if (lq_yaml_load_mem(&doc, "fuzz.yaml", (const char *)data, size,
	    &err)) {
		int line, col;
		if (sscanf(err.msg, "fuzz.yaml:%d:%d: ", &line, &col) != 2 ||
		    line < 1 || col < 1)
			fuzz_fail("load error without a position: %s", err.msg);
		lq_yaml_release(&doc);
		return 0;
	}
	if (doc.root) {
		visits = 0;
		walk(&doc, doc.root, 0);
		lq_err_clear(&err);
		v = lq_ynode_to_jv(&doc, doc.root, &err);
		if (!jv_is_valid(v) && !err.code)
			fuzz_fail("lq_ynode_to_jv fails without a message");
		jv_free(v);
	}
	lq_yaml_release(&doc);
	return 0;
}
