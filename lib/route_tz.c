/*
 * route_tz.c - local time in a rep's time zone, on the system tz database.
 *
 * glibc reads a zone when TZ changes; the zone last set is remembered so a
 * run whose reps share a few zones switches rarely.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lq_route.h"

static char cur[128];

static void
use_zone(const char *zone)
{
	if (!strcmp(cur, zone) && cur[0])
		return;
	snprintf(cur, sizeof(cur), "%s", zone);
	/* a leading ':' makes glibc read the file, never parse a rule */
	char tz[140];
	snprintf(tz, sizeof(tz), ":%s", zone);
	setenv("TZ", tz, 1);
	tzset();
}

int
lq_tz_valid(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[1024];

	if (!strcmp(zone, "UTC") || !strcmp(zone, "Etc/UTC"))
		return 1;
	if (!*zone || zone[0] == '/' || strstr(zone, "..") ||
	    strlen(zone) >= 120)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir :
	    "/usr/share/zoneinfo", zone);
	return access(path, R_OK) == 0;
}

void
lq_tz_local(const char *zone, time_t t, struct tm *tm)
{
	use_zone(zone);
	localtime_r(&t, tm);
}

time_t
lq_tz_mktime(const char *zone, struct tm *tm)
{
	struct tm a = *tm, b;
	time_t t;

	use_zone(zone);
	a.tm_isdst = -1;
	t = mktime(&a);
	/*
	 * In a gap (02:30 on the spring-forward morning) glibc may go either
	 * way; take the instant after the gap: the first existing minute.
	 */
	localtime_r(&t, &b);
	if (b.tm_hour * 60 + b.tm_min < tm->tm_hour * 60 + tm->tm_min &&
	    b.tm_mday == a.tm_mday) {
		a = *tm;
		a.tm_isdst = 0;
		time_t t2 = mktime(&a);
		if (t2 > t)
			t = t2;
	}
	localtime_r(&t, tm);
	return t;
}
