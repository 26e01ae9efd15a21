/*
 * buf.c - the growable byte buffer (lq_buf.h) and its JSON and number
 * writers.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_buf.h"

void
lq_buf_init(struct lq_buf *b)
{
	b->buf = NULL;
	b->len = b->cap = 0;
}

void
lq_buf_release(struct lq_buf *b)
{
	free(b->buf);
	lq_buf_init(b);
}

void
lq_buf_grow(struct lq_buf *b, size_t n)
{
	size_t want = b->len + n + 1;

	if (want <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap *= 2;
	char *p = realloc(b->buf, cap);
	if (!p)
		abort();
	b->buf = p;
	b->cap = cap;
}

void
lq_buf_add_slow(struct lq_buf *b, const void *p, size_t n)
{
	lq_buf_grow(b, n);
	if (n)
		memcpy(b->buf + b->len, p, n);
	b->len += n;
	b->buf[b->len] = 0;
}

void
lq_buf_addf(struct lq_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	lq_buf_grow(b, 64);
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		lq_buf_grow(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void
lq_buf_json_str(struct lq_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	lq_buf_grow(b, n + 2);
	lq_buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		lq_buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': lq_buf_add(b, "\\\"", 2); break;
		case '\\': lq_buf_add(b, "\\\\", 2); break;
		case '\n': lq_buf_add(b, "\\n", 2); break;
		case '\r': lq_buf_add(b, "\\r", 2); break;
		case '\t': lq_buf_add(b, "\\t", 2); break;
		case '\b': lq_buf_add(b, "\\b", 2); break;
		case '\f': lq_buf_add(b, "\\f", 2); break;
		default: {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			lq_buf_add(b, e, 6);
		}
		}
	}
	lq_buf_add(b, s + run, n - run);
	lq_buf_addc(b, '"');
}

void
lq_buf_json_strs(struct lq_buf *b, const char *s)
{
	lq_buf_json_str(b, s, strlen(s));
}

/* integer part |v| < 2^63 as decimal digits */
void
lq_buf_add_int(struct lq_buf *b, long long v)
{
	char tmp[24];
	int i = sizeof(tmp);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--i] = '-';
	lq_buf_add(b, tmp + i, sizeof(tmp) - (size_t)i);
}

void
lq_buf_json_num(struct lq_buf *b, double d)
{
	char tmp[40];
	int p;

	if (!isfinite(d)) {
		lq_buf_add(b, "null", 4);
		return;
	}
	if (d == floor(d) && fabs(d) < 9007199254740992.0) {
		lq_buf_add_int(b, (long long)d);
		return;
	}
	for (p = 15; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*g", p, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	lq_buf_adds(b, tmp);
}

void
lq_buf_json_round(struct lq_buf *b, double d, int places)
{
	static const double pow10[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6 };
	double m = places >= 0 && places <= 6 ? pow10[places] : pow(10, places);
	double r = round(d * m);

	if (places < 0 || places > 6 || !isfinite(r) || fabs(r) >= 1e15) {
		/* d * m beyond a double: d has no digits at that place */
		lq_buf_json_num(b, isfinite(r) ? r / m : d);
		return;
	}
	/* exact decimal text of r / 10^places, trailing zeros trimmed:
	 * the same digits as the shortest round trip of that double */
	long long q = (long long)r, unit = (long long)m;
	long long ip = q / unit, fp = q % unit;
	if (fp < 0)
		fp = -fp;
	if (q < 0 && ip == 0)
		lq_buf_addc(b, '-');
	lq_buf_add_int(b, ip);
	if (fp) {
		char tmp[8];
		int k = places;
		while (fp % 10 == 0) {
			fp /= 10;
			k--;
		}
		for (int i = k - 1; i >= 0; i--) {
			tmp[i] = (char)('0' + fp % 10);
			fp /= 10;
		}
		lq_buf_addc(b, '.');
		lq_buf_add(b, tmp, (size_t)k);
	}
}

void
lq_buf_json_key(struct lq_buf *b, const char *key)
{
	lq_buf_addc(b, ',');
	lq_buf_json_strs(b, key);
	lq_buf_addc(b, ':');
}

void
lq_buf_json_member_num(struct lq_buf *b, const char *key, double d,
    int places)
{
	lq_buf_json_key(b, key);
	if (places >= 0 && isfinite(d))
		lq_buf_json_round(b, d, places);
	else
		lq_buf_json_num(b, d);
}

void
lq_buf_json_member_str(struct lq_buf *b, const char *key, const char *s)
{
	lq_buf_json_key(b, key);
	if (s)
		lq_buf_json_strs(b, s);
	else
		lq_buf_add(b, "null", 4);
}
