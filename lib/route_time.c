/*
 * route_time.c - a rep's working time for lq-route (route_int.h): the
 * local day and week of a time zone, hours and PTO, the next instant a rep
 * is available, contact_by deadlines in working time, the capacity counts
 * of a rep's day and week (the ledger's, or this run's own), and why a rep
 * cannot take a lead now.
 */
#include "route_int.h"

struct zone *
route_zone_at(struct lq_route *rt, int zi, double t)
{
	struct zone *z = &rt->zones[zi];
	double minute = floor(t / LQ_MINUTE);
	struct tm tm, a;

	if (z->minute == minute)
		return z;
	lq_tz_local(z->name, (time_t)floor(t), &tm);
	z->minute = minute;
	z->wday = tm.tm_wday;
	z->mod = tm.tm_hour * 60 + tm.tm_min;
	memset(&a, 0, sizeof(a));
	a.tm_year = tm.tm_year;
	a.tm_mon = tm.tm_mon;
	a.tm_mday = tm.tm_mday;
	z->day0 = (double)lq_tz_mktime(z->name, &a);
	memset(&a, 0, sizeof(a));
	a.tm_year = tm.tm_year;
	a.tm_mon = tm.tm_mon;
	a.tm_mday = tm.tm_mday + 1;
	z->day1 = (double)lq_tz_mktime(z->name, &a);
	memset(&a, 0, sizeof(a));
	a.tm_year = tm.tm_year;
	a.tm_mon = tm.tm_mon;
	a.tm_mday = tm.tm_mday - (tm.tm_wday + 6) % 7;
	z->week0 = (double)lq_tz_mktime(z->name, &a);
	a.tm_mday += 7;
	z->week1 = (double)lq_tz_mktime(z->name, &a);
	return z;
}

double
route_next_available(struct lq_route *rt, const struct rep *r, double t)
{
	const char *zn = rt->zones[r->zone].name;
	struct tm lt;
	double until;

	for (int guard = 0; guard < 64; guard++) {
		double best = -1;
		lq_tz_local(zn, (time_t)floor(t), &lt);
		for (int dd = 0; dd <= LOOKAHEAD_DAYS && best < 0; dd++) {
			struct tm noon = { 0 };
			noon.tm_year = lt.tm_year;
			noon.tm_mon = lt.tm_mon;
			noon.tm_mday = lt.tm_mday + dd;
			noon.tm_hour = 12;
			lq_tz_mktime(zn, &noon);
			int wd = noon.tm_wday;
			for (int i = 0; i < r->nh[wd]; i++) {
				struct tm a = { 0 }, b = { 0 };
				a.tm_year = b.tm_year = noon.tm_year;
				a.tm_mon = b.tm_mon = noon.tm_mon;
				a.tm_mday = b.tm_mday = noon.tm_mday;
				a.tm_hour = r->h[wd][i].start / 60;
				a.tm_min = r->h[wd][i].start % 60;
				b.tm_hour = r->h[wd][i].end / 60;
				b.tm_min = r->h[wd][i].end % 60;
				double s = (double)lq_tz_mktime(zn, &a);
				double e = (double)lq_tz_mktime(zn, &b);
				if (e <= t)
					continue;
				double c = s > t ? s : t;
				if (best < 0 || c < best)
					best = c;
			}
		}
		if (best < 0)
			return -1;
		if (!route_in_pto(r, best, &until))
			return best;
		t = until;
	}
	return -1;
}

/*
 * The end of r's working stretch that contains the working instant t: the
 * end of its hours range, or the start of PTO (a holiday) before that.
 */
static double
stretch_end(struct lq_route *rt, const struct rep *r, double t)
{
	const char *zn = rt->zones[r->zone].name;
	struct tm lt;
	double e = -1;

	lq_tz_local(zn, (time_t)floor(t), &lt);
	int mod = lt.tm_hour * 60 + lt.tm_min, wd = lt.tm_wday;
	for (int i = 0; i < r->nh[wd]; i++)
		if (mod >= r->h[wd][i].start && mod < r->h[wd][i].end) {
			struct tm b = { 0 };
			b.tm_year = lt.tm_year;
			b.tm_mon = lt.tm_mon;
			b.tm_mday = lt.tm_mday;
			b.tm_hour = r->h[wd][i].end / 60;
			b.tm_min = r->h[wd][i].end % 60;
			double x = (double)lq_tz_mktime(zn, &b);
			if (x > e)
				e = x;
		}
	if (e <= t)
		return t + LQ_MINUTE;	/* not a working minute after all */
	for (int i = 0; i < r->npto; i++)
		if (r->pto[i].from > t && r->pto[i].from < e)
			e = r->pto[i].from;
	return e;
}

/* true when r works some time on the local day starting at local date lt */
static int
works_on(struct lq_route *rt, const struct rep *r, const struct tm *day,
    double *day0, double *day1)
{
	const char *zn = rt->zones[r->zone].name;
	struct tm a = { 0 }, b = { 0 };

	a.tm_year = b.tm_year = day->tm_year;
	a.tm_mon = b.tm_mon = day->tm_mon;
	a.tm_mday = day->tm_mday;
	b.tm_mday = day->tm_mday + 1;
	*day0 = (double)lq_tz_mktime(zn, &a);
	*day1 = (double)lq_tz_mktime(zn, &b);
	double n = route_next_available(rt, r, *day0);
	return n >= 0 && n < *day1;
}

/*
 * The deadline sla seconds of r's working time after t: whole days of
 * sla are working days (the same local time on the next day r works, so
 * a 1d SLA of a Friday lead falls on Monday, and a holiday is skipped),
 * the rest counts working minutes (hours, PTO, holidays).  -1 when r does
 * not work within the look-ahead.
 */
static double
work_deadline(struct lq_route *rt, const struct rep *r, double t, double sla)
{
	const char *zn = rt->zones[r->zone].name;
	long days = (long)floor(sla / LQ_DAY);
	double rest = sla - days * (double)LQ_DAY, cur;

	if ((cur = route_next_available(rt, r, t)) < 0)
		return -1;
	for (long k = 0; k < days; k++) {
		struct tm lt, day;
		double d0, d1;
		int dd;
		lq_tz_local(zn, (time_t)floor(cur), &lt);
		for (dd = 1; dd <= LOOKAHEAD_DAYS; dd++) {
			day = lt;
			day.tm_mday = lt.tm_mday + dd;
			day.tm_hour = 12;
			lq_tz_mktime(zn, &day);	/* normalise the date */
			if (works_on(rt, r, &day, &d0, &d1))
				break;
		}
		if (dd > LOOKAHEAD_DAYS)
			return -1;
		struct tm c = { 0 };
		c.tm_year = day.tm_year;
		c.tm_mon = day.tm_mon;
		c.tm_mday = day.tm_mday;
		c.tm_hour = lt.tm_hour;
		c.tm_min = lt.tm_min;
		c.tm_sec = lt.tm_sec;
		cur = (double)lq_tz_mktime(zn, &c) + (cur - floor(cur));
		if ((cur = route_next_available(rt, r, cur)) < 0)
			return -1;
	}
	for (int guard = 0; rest > 0; guard++) {
		double a, e;
		if (guard > 1000 || (a = route_next_available(rt, r, cur)) < 0)
			return -1;
		e = stretch_end(rt, r, a);
		if (a + rest <= e)
			return a + rest;
		rest -= e - a;
		cur = e;
	}
	return cur;
}

double
route_deadline(struct lq_route *rt, const struct rep *r, double t,
    double sla)
{
	double d = work_deadline(rt, r, t, sla);

	return d >= 0 ? d : t + sla;
}

int
route_rep_count(struct lq_route *rt, struct rep *r, double from, double to,
    long *n, struct lq_err *err)
{
	unsigned long gen = rt->lg ? lq_ledger_generation(rt->lg) : 0;
	struct capc *c;

	for (int i = 0; i < NCACHE; i++) {
		c = &r->cache[i];
		if (c->used && c->gen == gen && c->from == from &&
		    c->to == to) {
			*n = c->n;
			return 0;
		}
	}
	*n = 0;
	if (rt->lg && lq_ledger_count(rt->lg, r->id, from, to, n, err))
		return -1;
	if (!rt->lg || rt->ro)
		for (size_t i = 0; i < r->ndays; i++)
			if (r->days[i].start >= from && r->days[i].start < to)
				*n += r->days[i].n;
	c = &r->cache[r->next_cache];
	r->next_cache = (r->next_cache + 1) % NCACHE;
	c->used = 1;
	c->gen = gen;
	c->from = from;
	c->to = to;
	c->n = *n;
	return 0;
}

void
route_rep_counted(struct lq_route *rt, struct rep *r, double at)
{
	unsigned long gen = rt->lg ? lq_ledger_generation(rt->lg) : 0;
	struct zone *z = route_zone_at(rt, r->zone, at);

	for (int i = 0; i < NCACHE; i++) {
		struct capc *c = &r->cache[i];
		if (c->used && c->gen == gen && at >= c->from && at < c->to)
			c->n++;
	}
	if (rt->lg && !rt->ro)
		return;
	for (size_t i = 0; i < r->ndays; i++)
		if (r->days[i].start == z->day0) {
			r->days[i].n++;
			return;
		}
	if (r->ndays == r->capdays) {
		r->capdays = r->capdays ? 2 * r->capdays : 8;
		r->days = realloc(r->days, r->capdays * sizeof(*r->days));
		if (!r->days)
			abort();
	}
	r->days[r->ndays].start = z->day0;
	r->days[r->ndays++].n = 1;
}

enum route_why
route_unavailable(struct lq_route *rt, struct rep *r, double now,
    long *nday, long *nweek, struct lq_err *err)
{
	struct zone *z;

	if (!r->active)
		return WHY_INACTIVE;
	if (r->paused)
		return WHY_PAUSED;
	z = route_zone_at(rt, r->zone, now);
	if (route_rep_count(rt, r, z->day0, z->day1, nday, err) ||
	    route_rep_count(rt, r, z->week0, z->week1, nweek, err))
		return WHY_ERROR;
	if (r->cap_day >= 0 && *nday >= r->cap_day)
		return WHY_CAPACITY_DAY;
	if (r->cap_week >= 0 && *nweek >= r->cap_week)
		return WHY_CAPACITY_WEEK;
	if (route_in_pto(r, now, NULL))
		return WHY_PTO;
	if (!route_in_hours(r, z))
		return WHY_HOURS;
	return WHY_NONE;
}
