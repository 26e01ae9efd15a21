/* tap.h - a minimal TAP producer for the C unit tests (read by prove). */
#ifndef TAP_H
#define TAP_H
#include <stdio.h>
#include <string.h>

static int tap_n, tap_fail;

/* ok(cond, fmt, ...): cond is evaluated exactly once */
#define ok(cond, ...) do { \
	int ok_ = !!(cond); \
	tap_n++; \
	if (ok_) { printf("ok %d - ", tap_n); } \
	else { tap_fail++; printf("not ok %d - ", tap_n); } \
	printf(__VA_ARGS__); printf("\n"); \
	if (!ok_) printf("#   failed at %s:%d\n", __FILE__, __LINE__); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	int c_ = g_ && w_ && !strcmp(g_, w_); \
	ok(c_, __VA_ARGS__); \
	if (!c_) printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

static int tap_done(void) { printf("1..%d\n", tap_n); return tap_fail != 0; }
#endif
