/*
 * lq_time.h - timestamps as they appear in leads and on command lines.
 */
#ifndef LQ_TIME_H
#define LQ_TIME_H

#include <stddef.h>

/* lengths of time in seconds, the unit of every time in lq */
enum { LQ_MINUTE = 60, LQ_HOUR = 3600, LQ_DAY = 86400, LQ_WEEK = 7 * 86400 };

/*
 * Parse an RFC 3339 / ISO 8601 time ("2026-11-28T09:30:00Z",
 * "2026-11-28T09:30:00.250+01:00", "2026-11-28 09:30:00" (UTC),
 * "2026-11-28" (midnight UTC)) or a decimal number of seconds since the
 * epoch into *t (seconds since the epoch).  Returns 0 or -1.
 */
int lq_time_parse(const char *s, size_t n, double *t);

/*
 * Interpret a JSON number as a time: seconds since the epoch, or
 * milliseconds when it is above 1e11 (year 5138 in seconds).
 */
double lq_time_from_number(double v);

/* The current time, in seconds since the epoch. */
double lq_time_now(void);

/* Format t as RFC 3339 UTC ("2026-11-28T09:30:00Z") into buf (>= 32). */
void lq_time_format(char *buf, size_t n, double t);

#endif
