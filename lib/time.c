/*
 * time.c - RFC 3339 timestamps: parsing, formatting, the clock (lq_time.h).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lq_time.h"

/* days from 1970-01-01 to y-m-d (proleptic Gregorian) */
static long
days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static int
digits(const char *s, size_t n, size_t at, int k, int *out)
{
	int v = 0;

	if (at + (size_t)k > n)
		return -1;
	for (int i = 0; i < k; i++) {
		if (!isdigit((unsigned char)s[at + i]))
			return -1;
		v = v * 10 + (s[at + i] - '0');
	}
	*out = v;
	return 0;
}

double
lq_time_from_number(double v)
{
	return fabs(v) > 1e11 ? v / 1000.0 : v;
}

int
lq_time_parse(const char *s, size_t n, double *t)
{
	int Y, M, D, h = 0, mi = 0, sec = 0, oh, om;
	double frac = 0, off = 0;
	size_t i;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n && (isdigit((unsigned char)s[0]) || s[0] == '-') &&
	    (n < 5 || s[4] != '-')) {
		char buf[64], *end;
		if (n >= sizeof(buf))
			return -1;
		memcpy(buf, s, n);
		buf[n] = 0;
		double v = strtod(buf, &end);
		if (*end || !isfinite(v))
			return -1;
		*t = lq_time_from_number(v);
		return 0;
	}
	if (digits(s, n, 0, 4, &Y) || n < 10 || s[4] != '-' ||
	    digits(s, n, 5, 2, &M) || s[7] != '-' || digits(s, n, 8, 2, &D))
		return -1;
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1])
		return -1;
	if (M == 2 && D == 29 && !(Y % 4 == 0 && (Y % 100 != 0 ||
	    Y % 400 == 0)))
		return -1;	/* 2026-02-29 is not a day */
	i = 10;
	if (i < n) {
		if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
			return -1;
		if (digits(s, n, i + 1, 2, &h) || i + 3 >= n ||
		    s[i + 3] != ':' || digits(s, n, i + 4, 2, &mi))
			return -1;
		i += 6;
		if (i < n && s[i] == ':') {
			if (digits(s, n, i + 1, 2, &sec))
				return -1;
			i += 3;
			if (i < n && (s[i] == '.' || s[i] == ',')) {
				double scale = 0.1;
				i++;
				if (i >= n || !isdigit((unsigned char)s[i]))
					return -1;
				while (i < n && isdigit((unsigned char)s[i])) {
					frac += (s[i] - '0') * scale;
					scale /= 10;
					i++;
				}
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		if (i < n) {
			if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
				i++;
			} else if (s[i] == '+' || s[i] == '-') {
				int sign = s[i] == '-' ? -1 : 1;
				if (digits(s, n, i + 1, 2, &oh))
					return -1;
				size_t j = i + 3;
				if (j < n && s[j] == ':')
					j++;
				if (digits(s, n, j, 2, &om) || j + 2 != n)
					return -1;
				off = sign * (oh * 3600.0 + om * 60.0);
				i = n;
			} else
				return -1;
		}
	}
	*t = (double)days_from_civil(Y, (unsigned)M, (unsigned)D) * LQ_DAY +
	    h * 3600.0 + mi * 60.0 + sec + frac - off;
	return 0;
}

double
lq_time_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
lq_time_format(char *buf, size_t n, double t)
{
	time_t s = (time_t)floor(t);
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
