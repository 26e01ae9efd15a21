/*
 * route_tz.c - local time in a rep's time zone, on the system tz database.
 *
 * glibc reads a zone's file whenever TZ changes, so reps in several zones
 * would make it read a file for nearly every lead.  Each zone's UTC offset
 * is kept per UTC day instead: a day whose first and last second have the
 * same offset (no transition in it: zones change at most once a day) is
 * answered by arithmetic, without switching TZ; a day with a transition,
 * and a local time that may fall near one, go to glibc as before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lq_route.h"
#include "lq_time.h"

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

#define TZC_ZONES 64
#define TZC_DAYS 64

struct tzday {
	long day;		/* UTC day number */
	long off;		/* seconds east of UTC all day */
	int isdst;
	int state;		/* 0 empty, 1 one offset all day, 2 a transition */
};

struct tzc {
	char name[128];
	struct tzday d[TZC_DAYS];
};

static struct tzc zc[TZC_ZONES];
static int nzc;

static long
day_of(time_t t)
{
	return t >= 0 ? (long)(t / LQ_DAY) : -(long)((-t + LQ_DAY - 1) /
	    LQ_DAY);
}

/* the cache of zone, or NULL (too many zones: glibc every time) */
static struct tzc *
zone_cache(const char *zone)
{
	for (int i = 0; i < nzc; i++)
		if (!strcmp(zc[i].name, zone))
			return &zc[i];
	if (nzc == TZC_ZONES || strlen(zone) >= sizeof(zc[0].name))
		return NULL;
	snprintf(zc[nzc].name, sizeof(zc[nzc].name), "%s", zone);
	return &zc[nzc++];
}

static void use_zone(const char *);

/* the offset of zone on UTC day */
static const struct tzday *
zone_day(struct tzc *z, long day)
{
	struct tzday *e = &z->d[((day % TZC_DAYS) + TZC_DAYS) % TZC_DAYS];
	struct tm a, b;
	time_t ta, tb;

	if (e->state && e->day == day)
		return e;
	use_zone(z->name);
	ta = (time_t)day * LQ_DAY;
	tb = ta + LQ_DAY - 1;
	localtime_r(&ta, &a);
	localtime_r(&tb, &b);
	e->day = day;
	e->off = a.tm_gmtoff;
	e->isdst = a.tm_isdst;
	e->state = a.tm_gmtoff == b.tm_gmtoff && a.tm_isdst == b.tm_isdst ?
	    1 : 2;
	return e;
}

/* local time of t from the cache: 0, or -1 (glibc must say) */
static int
cached_local(struct tzc *z, time_t t, struct tm *tm)
{
	const struct tzday *e;
	time_t u;

	if (!z || (e = zone_day(z, day_of(t)))->state != 1)
		return -1;
	u = t + e->off;
	gmtime_r(&u, tm);	/* tm_zone is not the zone's abbreviation */
	tm->tm_gmtoff = e->off;
	tm->tm_isdst = e->isdst;
	return 0;
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
	if (cached_local(zone_cache(zone), t, tm) == 0)
		return;
	use_zone(zone);
	localtime_r(&t, tm);
}

/*
 * The instant of local time L (seconds, as if UTC) in z when every UTC
 * offset from -12h to +14h gives it the same one: -1 otherwise.
 */
static int
cached_mktime(struct tzc *z, time_t L, time_t *t)
{
	const struct tzday *e;
	long d0 = day_of(L - 14 * LQ_HOUR), d1 = day_of(L + 12 * LQ_HOUR), off;

	if (!z)
		return -1;
	e = zone_day(z, d0);
	if (e->state != 1)
		return -1;
	off = e->off;
	for (long d = d0 + 1; d <= d1; d++) {
		e = zone_day(z, d);
		if (e->state != 1 || e->off != off)
			return -1;
	}
	if (off < -12 * LQ_HOUR || off > 14 * LQ_HOUR)
		return -1;
	*t = L - off;
	return 0;
}

time_t
lq_tz_mktime(const char *zone, struct tm *tm)
{
	struct tm a = *tm, b;
	struct tzc *z = zone_cache(zone);
	time_t t;

	/* no transition within a day of it: one instant, by arithmetic */
	if (cached_mktime(z, timegm(&a), &t) == 0 &&
	    cached_local(z, t, tm) == 0)
		return t;
	a = *tm;
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
