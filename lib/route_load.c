/*
 * route_load.c - loading the route: section: teams, reps, hours, capacity,
 * PTO and holidays, territories, accounts, performance, SLAs, duplicates.
 */
#include "route_int.h"

static const char *const top_keys[] = { "id_field", "score_key", "queues",
    "fallback_owner", "sla", "weights", "owner", "segment", "performance",
    "prior", "defaults", "territories", "teams", "accounts", "duplicates",
    "queue_sla", "escalate", "rollup", NULL };
static const char *const rollup_keys[] = { "department", "seniority",
    "points", "threshold", "team", NULL };
static const char *const points_keys[] = { "contact", "engaged",
    "department", "seniority", "tier", NULL };
static const char *const tier_keys[] = { "L1", "L2", "L3", "L4", NULL };
static const char *const dup_keys[] = { "email", "account", "window", NULL };
static const char *const esc_keys[] = { "after", "queue", NULL };
static const char *const acct_keys[] = { "path", "key", "owner", "match",
    NULL };
static const char *const queue_keys[] = { "nurture", "review", "fallback",
    NULL };
static const char *const qsla_keys[] = { "review", "nurture", "fallback",
    "escalation", NULL };
static const char *const sla_keys[] = { "L1", "L2", "L3", "L4", "default",
    NULL };
static const char *const weight_keys[] = { "performance", "load",
    "load_scale", NULL };
static const char *const def_keys[] = { "tz", "hours", "capacity",
    "holidays", NULL };
static const char *const team_keys[] = { "tz", "hours", "capacity", "reps",
    "holidays", "manager", NULL };
static const char *const rep_keys[] = { "id", "tz", "hours", "capacity",
    "pto", "paused", "active", "holidays", NULL };
static const char *const cap_keys[] = { "day", "week", NULL };
static const char *const pto_keys[] = { "from", "to", NULL };
static const char *const terr_keys[] = { "name", "if", "team", NULL };
static const char *const perf_keys[] = { "owner", "segment", "outcome",
    "prior", "rows", "skipped", "overall", "segments", "by_rep", NULL };
static const char *const perf_rep_keys[] = { "all", "segments", NULL };
static const char *const days[] = { "sun", "mon", "tue", "wed", "thu", "fri",
    "sat" };

/* --- loading --- */

static int
add_expr(struct lq_route *rt, const struct lq_ynode *node, const char *what,
    struct lq_err *err)
{
	return lq_exprs_add_node(rt->x, &rt->doc, node, what, err);
}

static int
get_str(struct lq_route *rt, const struct lq_ynode *map, const char *key,
    const char **out, struct lq_err *err)
{
	struct lq_ynode *v = lq_ymap_get(map, key);

	if (!v)
		return 0;
	if (lq_ynull(v)) {
		*out = NULL;
		return 0;
	}
	return lq_ystr(&rt->doc, v, key, out, err);
}

int
route_find_rep(const struct lq_route *rt, const char *id, size_t n)
{
	for (int i = 0; i < rt->nreps; i++)
		if (strlen(rt->reps[i].id) == n && !memcmp(rt->reps[i].id, id,
		    n))
			return i;
	return -1;
}

int
route_find_team(const struct lq_route *rt, const char *name)
{
	for (int i = 0; i < rt->nteams; i++)
		if (!strcmp(rt->teams[i].name, name))
			return i;
	return -1;
}

static int
intern_zone(struct lq_route *rt, const char *name)
{
	for (int i = 0; i < rt->nzones; i++)
		if (!strcmp(rt->zones[i].name, name))
			return i;
	rt->zones = realloc(rt->zones, (rt->nzones + 1) * sizeof(*rt->zones));
	if (!rt->zones)
		abort();
	memset(&rt->zones[rt->nzones], 0, sizeof(*rt->zones));
	rt->zones[rt->nzones].name = name;
	rt->zones[rt->nzones].minute = -1;
	return rt->nzones++;
}

/* "9:00", "09:00" or "24:00" (an end) into minutes of the day */
static int
parse_hm(const char *s, int *min)
{
	size_t nh = strspn(s, "0123456789");
	int h, m;

	if (nh < 1 || nh > 2 || s[nh] != ':' || !isdigit((unsigned char)
	    s[nh + 1]) || !isdigit((unsigned char)s[nh + 2]) || s[nh + 3])
		return -1;
	h = atoi(s);
	m = atoi(s + nh + 1);
	if (h > 24 || m > 59 || (h == 24 && m))
		return -1;
	*min = h * 60 + m;
	return 0;
}

static int
day_index(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && !strncasecmp(s, days[i], 3))
			return i;
	return -1;
}

/* "mon-fri 09:00-17:00 [13:00-18:00 ...]" into r->h */
static int
parse_hours_line(struct lq_route *rt, struct rep *r,
    const struct lq_ynode *node, const char *s, struct lq_err *err)
{
	char word[64];
	int dayset[7] = { 0 }, ntimes = 0;
	const char *p = s;

	while (*p) {
		size_t n = 0;
		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		if (!*p)
			break;
		while (p[n] && !isspace((unsigned char)p[n]) && p[n] != ',')
			n++;
		if (n >= sizeof(word))
			goto bad;
		memcpy(word, p, n);
		word[n] = 0;
		p += n;
		if (isalpha((unsigned char)word[0])) {
			char *dash = strchr(word, '-');
			int a = day_index(word, dash ? (size_t)(dash - word) : n);
			int b = dash ? day_index(dash + 1, strlen(dash + 1)) : a;
			if (a < 0 || b < 0 || ntimes)
				goto bad;
			for (int d = a;; d = (d + 1) % 7) {
				dayset[d] = 1;
				if (d == b)
					break;
			}
		} else {
			char *dash = strchr(word, '-');
			int a, b;
			if (!dash)
				goto bad;
			*dash = 0;
			if (parse_hm(word, &a) || parse_hm(dash + 1, &b) ||
			    a >= b)
				goto bad;
			ntimes++;
			for (int d = 0; d < 7; d++) {
				if (!dayset[d])
					continue;
				r->h[d] = realloc(r->h[d], (r->nh[d] + 1) *
				    sizeof(struct ival));
				if (!r->h[d])
					abort();
				r->h[d][r->nh[d]].start = a;
				r->h[d][r->nh[d]++].end = b;
			}
		}
	}
	if (!ntimes)
		goto bad;
	return 0;
bad:
	return lq_yerr(&rt->doc, node, err, "hours: expected lines such as "
	    "'mon-fri 09:00-17:00', not '%s'", s);
}

static int
load_hours(struct lq_route *rt, struct rep *r, const struct lq_ynode *v,
    struct lq_err *err)
{
	const char *s;

	for (int d = 0; d < 7; d++) {
		free(r->h[d]);
		r->h[d] = NULL;
		r->nh[d] = 0;
	}
	if (v->kind == LQ_Y_SEQ) {
		for (size_t i = 0; i < v->n; i++)
			if (lq_ystr(&rt->doc, v->items[i], "hours", &s, err) ||
			    parse_hours_line(rt, r, v->items[i], s, err))
				return -1;
		return 0;
	}
	if (lq_ystr(&rt->doc, v, "hours", &s, err))
		return -1;
	return parse_hours_line(rt, r, v, s, err);
}

/* a capacity: null (no cap) or a whole number of leads, 0 .. MAX_CAP */
static int
ycap(struct lq_route *rt, const struct lq_ynode *x, const char *what,
    double *cap, struct lq_err *err)
{
	long n;

	if (lq_ynull(x)) {
		*cap = NOCAP;
		return 0;
	}
	if (lq_yint_in(&rt->doc, x, what, 0, MAX_CAP, &n, err))
		return -1;
	*cap = (double)n;
	return 0;
}

static int
load_capacity(struct lq_route *rt, struct rep *r, const struct lq_ynode *v,
    struct lq_err *err)
{
	struct lq_ynode *x;

	if (lq_ymap_check(&rt->doc, v, "capacity", cap_keys, err))
		return -1;
	if ((x = lq_ymap_get(v, "day")) && ycap(rt, x, "capacity day",
	    &r->cap_day, err))
		return -1;
	if ((x = lq_ymap_get(v, "week")) && ycap(rt, x, "capacity week",
	    &r->cap_week, err))
		return -1;
	return 0;
}

static char *rel_path(const char *, const char *);
static int load_holidays(struct lq_route *, struct rep *,
    const struct lq_ynode *, struct lq_err *);

/* layered settings: defaults, then the team, then the rep */
static int
load_layer(struct lq_route *rt, struct rep *r, const struct lq_ynode *m,
    struct lq_err *err)
{
	struct lq_ynode *v;
	const char *tz;

	if (!m)
		return 0;
	if ((v = lq_ymap_get(m, "tz"))) {
		if (lq_ystr(&rt->doc, v, "tz", &tz, err))
			return -1;
		if (!lq_tz_valid(tz))
			return lq_yerr(&rt->doc, v, err, "tz: unknown time zone "
			    "'%s' (not in the tz database)", tz);
		r->zone = intern_zone(rt, tz);
	}
	if ((v = lq_ymap_get(m, "hours")) && load_hours(rt, r, v, err))
		return -1;
	if ((v = lq_ymap_get(m, "capacity")) && load_capacity(rt, r, v, err))
		return -1;
	/* holidays add up: the company's, the team's, the rep's own */
	if ((v = lq_ymap_get(m, "holidays")) && !lq_ynull(v) &&
	    load_holidays(rt, r, v, err))
		return -1;
	return 0;
}

/* "YYYY-MM-DD": 1 and the date when s has that shape, 0 otherwise */
static int
date_shape(const char *s, int *y, int *mo, int *d)
{
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : !isdigit((unsigned char)
		    s[i]))
			return 0;
	if (s[10])
		return 0;
	*y = atoi(s);
	*mo = atoi(s + 5);
	*d = atoi(s + 8);
	return 1;
}

static int
month_days(int y, int mo)
{
	static const int n[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return n[mo - 1];
}

/* days since 1970-01-01 of a civil date (H. Hinnant's algorithm) */
static long
days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
civil_from_days(long z)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = yoe + era * 400;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	long d = doy - (153 * mp + 2) / 5 + 1;
	long m = mp + (mp < 10 ? 3 : -9);
	return (int)((y + (m <= 2)) * 10000 + m * 100 + d);
}

static void
add_holiday(struct rep *r, int ymd)
{
	for (size_t i = 0; i < r->nhol; i++)
		if (r->hol[i] == ymd)
			return;
	if (r->nhol == r->caphol) {
		r->caphol = r->caphol ? 2 * r->caphol : 16;
		if (!(r->hol = realloc(r->hol, r->caphol * sizeof(int))))
			abort();
	}
	r->hol[r->nhol++] = ymd;
}

/* "YYYYMMDD" (an iCalendar DATE) into *ymd */
static int
ics_date(const char *v, int *ymd)
{
	int y, m, d;

	for (int i = 0; i < 8; i++)
		if (!isdigit((unsigned char)v[i]))
			return -1;
	if (v[8] && v[8] != '\r' && v[8] != '\n')
		return -1;	/* a date-time: not an all-day event */
	y = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 +
	    (v[3] - '0');
	m = (v[4] - '0') * 10 + (v[5] - '0');
	d = (v[6] - '0') * 10 + (v[7] - '0');
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 ||
	    d > month_days(y, m))
		return -2;
	*ymd = y * 10000 + m * 100 + d;
	return 0;
}

static long
ymd_days(int ymd)
{
	return days_from_civil(ymd / 10000, ymd / 100 % 100, ymd % 100);
}

/*
 * The all-day events (VEVENT with DTSTART;VALUE=DATE) of an iCalendar
 * file: each date from DTSTART up to DTEND (exclusive; one day without
 * it).  Events with a time of day are not days off and are skipped.
 */
static int
load_ics(struct lq_route *rt, struct rep *r, const struct lq_ynode *v,
    const char *name, struct lq_err *err)
{
	char *file = rel_path(rt->path, name), line[1024];
	FILE *f = fopen(file, "r");
	int in = 0, start = 0, end = 0, rc = -1;
	long lineno = 0;

	if (!f) {
		lq_yerr(&rt->doc, v, err, "holidays: cannot read '%s'", file);
		free(file);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		lineno++;
		if (!strncmp(line, "BEGIN:VEVENT", 12)) {
			in = 1;
			start = end = 0;
		} else if (in && colon && (!strncmp(line, "DTSTART", 7) ||
		    !strncmp(line, "DTEND", 5))) {
			int ymd, e = ics_date(colon + 1, &ymd);
			if (e == -2) {
				lq_err_set(err, LQ_EXIT_USAGE, "%s:%ld: not a "
				    "date: %.*s", file, lineno, 8, colon + 1);
				goto out;
			}
			if (!e && line[2] == 'S')
				start = ymd;
			else if (!e)
				end = ymd;
		} else if (in && !strncmp(line, "END:VEVENT", 10)) {
			in = 0;
			if (!start)
				continue;
			long a = ymd_days(start), b = end ? ymd_days(end) :
			    a + 1;
			if (b - a > 366) {
				lq_err_set(err, LQ_EXIT_USAGE, "%s:%ld: an event "
				    "of more than a year is not a holiday",
				    file, lineno);
				goto out;
			}
			for (long d = a; d < b; d++)
				add_holiday(r, civil_from_days(d));
		}
	}
	rc = 0;
out:
	fclose(f);
	free(file);
	return rc;
}

/* holidays: a list of dates and .ics files, or one .ics file */
static int
load_holidays(struct lq_route *rt, struct rep *r, const struct lq_ynode *v,
    struct lq_err *err)
{
	const struct lq_ynode *one[1] = { v };
	const struct lq_ynode *const *items = one;
	size_t n = 1;
	const char *s;
	int y, mo, d;

	if (v->kind == LQ_Y_SEQ) {
		items = (const struct lq_ynode *const *)v->items;
		n = v->n;
	}
	for (size_t i = 0; i < n; i++) {
		if (lq_ystr(&rt->doc, items[i], "holidays", &s, err))
			return -1;
		size_t len = strlen(s);
		if (len > 4 && !strcasecmp(s + len - 4, ".ics")) {
			if (load_ics(rt, r, items[i], s, err))
				return -1;
			continue;
		}
		if (!date_shape(s, &y, &mo, &d) || y < 1970 || mo < 1 ||
		    mo > 12 || d < 1 || d > month_days(y, mo))
			return lq_yerr(&rt->doc, items[i], err, "holidays: "
			    "not a date (YYYY-MM-DD, from 1970) or an .ics file: "
			    "'%s'", s);
		add_holiday(r, y * 10000 + mo * 100 + d);
	}
	return 0;
}

/* the rep's holidays as PTO days in the rep's own zone */
static void
holidays_to_pto(struct lq_route *rt, struct rep *r)
{
	if (!r->nhol)
		return;
	r->pto = realloc(r->pto, (r->npto + r->nhol + 1) * sizeof(*r->pto));
	if (!r->pto)
		abort();
	for (size_t i = 0; i < r->nhol; i++) {
		struct tm a = { 0 }, b = { 0 };
		int ymd = r->hol[i];
		a.tm_year = b.tm_year = ymd / 10000 - 1900;
		a.tm_mon = b.tm_mon = ymd / 100 % 100 - 1;
		a.tm_mday = ymd % 100;
		b.tm_mday = a.tm_mday + 1;
		r->pto[r->npto].from = (double)lq_tz_mktime(
		    rt->zones[r->zone].name, &a);
		r->pto[r->npto++].to = (double)lq_tz_mktime(
		    rt->zones[r->zone].name, &b);
	}
}

/*
 * A PTO bound: a date (local midnight; end: the next midnight) or a time,
 * from 1970 to 9999.  A date that does not exist (2026-02-30) is an error,
 * not the day mktime() would make of it.
 */
static int
pto_time(struct lq_route *rt, struct rep *r, const struct lq_ynode *v,
    int end, double *t, struct lq_err *err)
{
	const char *s;
	int y, mo, d;

	if (lq_ystr(&rt->doc, v, "pto", &s, err))
		return -1;
	if (date_shape(s, &y, &mo, &d)) {
		struct tm tm = { 0 };
		if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
		    d > month_days(y, mo))
			return lq_yerr(&rt->doc, v, err, "pto: no such date: "
			    "'%s' (a date from 1970-01-01 to 9999-12-31)", s);
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d + (end ? 1 : 0);
		*t = (double)lq_tz_mktime(rt->zones[r->zone].name, &tm);
		return 0;
	}
	if (lq_time_parse(s, strlen(s), t) < 0)
		return lq_yerr(&rt->doc, v, err, "pto: not a date or time: "
		    "'%s'", s);
	if (!(*t >= TIME_MIN && *t <= PTO_MAX))
		return lq_yerr(&rt->doc, v, err, "pto: time out of range: "
		    "'%s' (from 1970 to 9999)", s);
	return 0;
}

static int
load_rep(struct lq_route *rt, int team, const struct lq_ynode *tm,
    const struct lq_ynode *m, struct lq_err *err)
{
	struct lq_ydoc *d = &rt->doc;
	struct lq_ynode *v;
	struct rep *r;
	const char *id;

	if (lq_yexpect(d, m, LQ_Y_MAP, "rep", err) ||
	    lq_ymap_check(d, m, "rep", rep_keys, err))
		return -1;
	if (!(v = lq_ymap_get(m, "id")))
		return lq_yerr(d, m, err, "rep: no 'id:'");
	if (lq_ystr(d, v, "id", &id, err))
		return -1;
	if (!*id)
		return lq_yerr(d, v, err, "rep: empty id");
	if (route_find_rep(rt, id, strlen(id)) >= 0)
		return lq_yerr(d, v, err, "rep '%s' is listed twice", id);
	r = &rt->reps[rt->nreps++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->team = team;
	r->active = 1;
	r->cap_day = r->cap_week = NOCAP;
	r->zone = intern_zone(rt, "UTC");
	if (parse_hours_line(rt, r, m, "mon-fri 09:00-17:00", err))
		return -1;
	if (load_layer(rt, r, rt->defaults, err) ||
	    load_layer(rt, r, tm, err) || load_layer(rt, r, m, err))
		return -1;
	if ((v = lq_ymap_get(m, "paused")) &&
	    lq_ybool(d, v, "paused", &r->paused, err))
		return -1;
	if ((v = lq_ymap_get(m, "active")) &&
	    lq_ybool(d, v, "active", &r->active, err))
		return -1;
	if ((v = lq_ymap_get(m, "pto"))) {
		if (lq_yexpect(d, v, LQ_Y_SEQ, "pto", err))
			return -1;
		r->pto = calloc(v->n + 1, sizeof(*r->pto));
		for (size_t i = 0; i < v->n; i++) {
			struct lq_ynode *p = v->items[i], *f, *t;
			if (lq_yexpect(d, p, LQ_Y_MAP, "pto range", err) ||
			    lq_ymap_check(d, p, "pto range", pto_keys, err))
				return -1;
			if (!(f = lq_ymap_get(p, "from")) ||
			    !(t = lq_ymap_get(p, "to")))
				return lq_yerr(d, p, err, "pto: a range needs "
				    "'from:' and 'to:'");
			if (pto_time(rt, r, f, 0, &r->pto[i].from, err) ||
			    pto_time(rt, r, t, 1, &r->pto[i].to, err))
				return -1;
			if (r->pto[i].to <= r->pto[i].from)
				return lq_yerr(d, p, err, "pto: 'to' is before "
				    "'from'");
			r->npto++;
		}
	}
	holidays_to_pto(rt, r);
	return 0;
}

static int
load_teams(struct lq_route *rt, const struct lq_ynode *c, struct lq_err *err)
{
	struct lq_ydoc *d = &rt->doc;
	size_t total = 0;

	if (lq_yexpect(d, c, LQ_Y_MAP, "teams", err))
		return -1;
	for (size_t i = 0; i < c->n; i++) {
		struct lq_ynode *t = c->items[i], *rs;
		if (lq_yexpect(d, t, LQ_Y_MAP, "team", err) ||
		    lq_ymap_check(d, t, "team", team_keys, err))
			return -1;
		if (!(rs = lq_ymap_get(t, "reps")))
			return lq_yerr(d, t, err, "team '%s': no 'reps:'",
			    c->keys[i]->str);
		if (lq_yexpect(d, rs, LQ_Y_SEQ, "reps", err))
			return -1;
		total += rs->n;
	}
	rt->teams = calloc(c->n + 1, sizeof(*rt->teams));
	rt->reps = calloc(total + 1, sizeof(*rt->reps));
	for (size_t i = 0; i < c->n; i++) {
		struct lq_ynode *t = c->items[i], *rs = lq_ymap_get(t, "reps");
		struct team *tm = &rt->teams[rt->nteams++];
		tm->name = c->keys[i]->str;
		if (get_str(rt, t, "manager", &tm->manager, err))
			return -1;
		tm->reps = calloc(rs->n + 1, sizeof(int));
		for (size_t k = 0; k < rs->n; k++) {
			if (load_rep(rt, (int)i, t, rs->items[k], err))
				return -1;
			tm->reps[tm->nreps++] = rt->nreps - 1;
		}
	}
	return 0;
}

static int
load_territories(struct lq_route *rt, const struct lq_ynode *c,
    struct lq_err *err)
{
	struct lq_ydoc *d = &rt->doc;

	if (lq_yexpect(d, c, LQ_Y_SEQ, "territories", err))
		return -1;
	rt->terr = calloc(c->n + 1, sizeof(*rt->terr));
	for (size_t i = 0; i < c->n; i++) {
		struct lq_ynode *m = c->items[i], *v;
		struct terr *t = &rt->terr[rt->nterr++];
		const char *team;
		if (lq_yexpect(d, m, LQ_Y_MAP, "territory", err) ||
		    lq_ymap_check(d, m, "territory", terr_keys, err))
			return -1;
		if (!(v = lq_ymap_get(m, "team")))
			return lq_yerr(d, m, err, "territory: no 'team:'");
		if (lq_ystr(d, v, "team", &team, err))
			return -1;
		if ((t->team = route_find_team(rt, team)) < 0)
			return lq_yerr(d, v, err, "territory: no team '%s' "
			    "under 'teams:'", team);
		t->name = team;
		if (get_str(rt, m, "name", &t->name, err))
			return -1;
		if (!t->name)
			t->name = team;
		t->slot = -1;
		if ((v = lq_ymap_get(m, "if")) &&
		    (t->slot = add_expr(rt, v, "if", err)) < 0)
			return -1;
	}
	return 0;
}

int
route_seg_index(const struct lq_route *rt, const char *s, size_t n)
{
	for (int i = 0; i < rt->nsegs; i++)
		if (strlen(rt->segs[i]) == n && !memcmp(rt->segs[i], s, n))
			return i;
	return -1;
}

/* (won + k * base) / (n + k): the rate shrunk towards base by k deals */
static double
shrink(long won, long n, double k, double base)
{
	return n + k > 0 ? (won + k * base) / (n + k) : base;
}

static int
ycount(struct lq_ydoc *d, const struct lq_ynode *m, const char *key,
    long *out, struct lq_err *err)
{
	struct lq_ynode *v = lq_ymap_get(m, key);

	*out = 0;
	if (!v)
		return 0;
	return lq_yint_in(d, v, key, 0, MAX_COUNT, out, err);
}

/* n and won of a performance cell: counts, won <= n */
static int
ycell(struct lq_ydoc *d, const struct lq_ynode *m, long *n, long *won,
    struct lq_err *err)
{
	if (lq_yexpect(d, m, LQ_Y_MAP, "a performance cell", err) ||
	    ycount(d, m, "n", n, err) || ycount(d, m, "won", won, err))
		return -1;
	if (*won > *n)
		return lq_yerr(d, lq_ymap_get(m, "won"), err, "won (%ld) must "
		    "not be above n (%ld)", *won, *n);
	return 0;
}

/*
 * The performance file of lq-train --reps: per rep the deals (n) and wins
 * (won), overall and by segment.  Rates are shrunk here, towards the rate
 * of the rep's team in the segment, itself shrunk towards the team's rate.
 */
static int
load_perf(struct lq_route *rt, const char *path, struct lq_err *err)
{
	struct lq_ydoc pd = { 0 };
	struct lq_ynode *root, *by, *v;
	double fileprior = NAN;
	int rc = -1;

	if (lq_yaml_load(&pd, path, err))
		return -1;
	root = lq_ymap_get(pd.root, "reps");
	if (!root || root->kind != LQ_Y_MAP) {
		lq_yerr(&pd, pd.root ? pd.root : NULL, err, "not a performance "
		    "file of lq-train --reps (no 'reps:' mapping)");
		goto out;
	}
	if (lq_ymap_check(&pd, root, "reps", perf_keys, err))
		goto out;
	if ((v = lq_ymap_get(root, "prior")) &&
	    lq_ynum_in(&pd, v, "prior", 0, INFINITY, &fileprior, err))
		goto out;
	if (isnan(rt->prior))
		rt->prior = isnan(fileprior) ? 20 : fileprior;
	by = lq_ymap_get(root, "by_rep");
	if (by && lq_yexpect(&pd, by, LQ_Y_MAP, "by_rep", err))
		goto out;
	for (size_t i = 0; by && i < by->n; i++)
		if (lq_yexpect(&pd, by->items[i], LQ_Y_MAP, "rep", err) ||
		    lq_ymap_check(&pd, by->items[i], "rep", perf_rep_keys,
		    err))
			goto out;
	/* collect segment names */
	for (size_t i = 0; by && i < by->n; i++) {
		struct lq_ynode *s = lq_ymap_get(by->items[i], "segments");
		for (size_t k = 0; s && s->kind == LQ_Y_MAP && k < s->n; k++) {
			const char *name = s->keys[k]->str;
			if (route_seg_index(rt, name, strlen(name)) >= 0)
				continue;
			rt->segs = realloc(rt->segs, (rt->nsegs + 1) *
			    sizeof(char *));
			if (!rt->segs || !(rt->segs[rt->nsegs++] =
			    strdup(name)))
				abort();
		}
	}
	for (int i = 0; i < rt->nreps; i++) {
		rt->reps[i].n_seg = calloc(rt->nsegs + 1, sizeof(long));
		rt->reps[i].perf_seg = calloc(rt->nsegs + 1, sizeof(double));
	}
	long *won = calloc((size_t)rt->nreps * (rt->nsegs + 1) + 1,
	    sizeof(long));
	for (size_t i = 0; by && i < by->n; i++) {
		const char *id = by->keys[i]->str;
		int ri = route_find_rep(rt, id, strlen(id));
		struct lq_ynode *a = lq_ymap_get(by->items[i], "all");
		struct lq_ynode *s = lq_ymap_get(by->items[i], "segments");
		if (ri < 0)
			continue;	/* history of someone not routed to */
		struct rep *r = &rt->reps[ri];
		if (a && ycell(&pd, a, &r->n_all, &r->won_all, err))
			goto fail;
		for (size_t k = 0; s && s->kind == LQ_Y_MAP && k < s->n; k++) {
			int si = route_seg_index(rt, s->keys[k]->str,
			    strlen(s->keys[k]->str));
			if (ycell(&pd, s->items[k], &r->n_seg[si],
			    &won[(size_t)ri * (rt->nsegs + 1) + si], err))
				goto fail;
		}
	}
	for (int t = 0; t < rt->nteams; t++) {
		struct team *tm = &rt->teams[t];
		long n = 0, w = 0;
		for (int k = 0; k < tm->nreps; k++) {
			n += rt->reps[tm->reps[k]].n_all;
			w += rt->reps[tm->reps[k]].won_all;
		}
		tm->rate_all = n ? (double)w / n : 0.5;
		tm->rate_seg = calloc(rt->nsegs + 1, sizeof(double));
		for (int si = 0; si < rt->nsegs; si++) {
			long sn = 0, sw = 0;
			for (int k = 0; k < tm->nreps; k++) {
				sn += rt->reps[tm->reps[k]].n_seg[si];
				sw += won[(size_t)tm->reps[k] *
				    (rt->nsegs + 1) + si];
			}
			tm->rate_seg[si] = shrink(sw, sn, rt->prior,
			    tm->rate_all);
		}
		for (int k = 0; k < tm->nreps; k++) {
			struct rep *r = &rt->reps[tm->reps[k]];
			r->perf_all = shrink(r->won_all, r->n_all, rt->prior,
			    tm->rate_all);
			for (int si = 0; si < rt->nsegs; si++)
				r->perf_seg[si] = shrink(won[(size_t)tm->reps[k]
				    * (rt->nsegs + 1) + si], r->n_seg[si],
				    rt->prior, tm->rate_seg[si]);
		}
	}
	rt->have_perf = 1;
	rc = 0;
fail:
	free(won);
out:
	lq_yaml_release(&pd);
	return rc;
}

static void
lower(char *p)
{
	for (; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
}

static int
cmp_acct(const void *a, const void *b)
{
	return strcmp(((const struct acct *)a)->key,
	    ((const struct acct *)b)->key);
}

static char *
rel_path(const char *base, const char *p)
{
	const char *slash = strrchr(base, '/');
	size_t n;
	char *r;

	if (p[0] == '/' || !slash)
		return strdup(p);
	n = (size_t)(slash - base) + 1;
	if (!(r = malloc(n + strlen(p) + 1)))
		abort();
	memcpy(r, base, n);
	strcpy(r + n, p);
	return r;
}

/* accounts: a CRM table (CSV) of key -> owner, matched by an expression */
static int
load_accounts(struct lq_route *rt, const char *cfg, const struct lq_ynode *c,
    struct lq_err *err)
{
	struct lq_ydoc *d = &rt->doc;
	const char *path = NULL, *key = NULL, *owner = "owner";
	struct lq_ynode *v;
	struct lq_csv csv;
	long ki = -1, oi = -1;
	size_t cap = 0, n;
	char *file;
	int got, rc = -1;

	if (lq_yexpect(d, c, LQ_Y_MAP, "accounts", err) ||
	    lq_ymap_check(d, c, "accounts", acct_keys, err) ||
	    get_str(rt, c, "path", &path, err) ||
	    get_str(rt, c, "key", &key, err) ||
	    get_str(rt, c, "owner", &owner, err))
		return -1;
	if (!path || !key || !owner || !(v = lq_ymap_get(c, "match")))
		return lq_yerr(d, c, err, "accounts: needs 'path:', 'key:' "
		    "and 'match:' (and 'owner:', default owner)");
	if ((rt->match_slot = add_expr(rt, v, "match", err)) < 0)
		return -1;
	file = rel_path(cfg, path);
	memset(&csv, 0, sizeof(csv));
	if (lq_csv_open(&csv, file, err) < 0) {
		lq_yerr(d, lq_ymap_get(c, "path"), err, "accounts: cannot read "
		    "'%s'", file);
		free(file);
		return -1;
	}
	size_t ncol = 0;
	while ((got = lq_csv_next(&csv, err)) > 0) {
		char why[512];
		long at;
		/* a misquoted or ragged row would merge or lose owners */
		if (lq_csv_problem(&csv, ncol, NULL, why, sizeof(why), &at)) {
			lq_err_set(err, LQ_EXIT_USAGE, "%s:%ld: %s", file, at,
			    why);
			goto out;
		}
		if (ki < 0 && oi < 0) {	/* the header */
			ncol = csv.nf;
			for (size_t i = 0; i < csv.nf; i++) {
				const char *f = lq_csv_field(&csv, i, &n);
				if (n == strlen(key) && !memcmp(f, key, n))
					ki = (long)i;
				if (n == strlen(owner) && !memcmp(f, owner, n))
					oi = (long)i;
			}
			if (ki < 0 || oi < 0) {
				lq_yerr(d, c, err, "accounts: %s has no column "
				    "'%s'", file, ki < 0 ? key : owner);
				goto out;
			}
			continue;
		}
		const char *k = lq_csv_field(&csv, (size_t)ki, &n);
		size_t on;
		const char *o = lq_csv_field(&csv, (size_t)oi, &on);
		if (!n || !on)
			continue;
		if (rt->nacct == cap) {
			cap = cap ? 2 * cap : 64;
			rt->acct = realloc(rt->acct, cap * sizeof(*rt->acct));
			if (!rt->acct)
				abort();
		}
		struct acct *a = &rt->acct[rt->nacct++];
		if (!(a->key = strndup(k, n)) || !(a->owner = strndup(o, on)))
			abort();
		lower(a->key);
	}
	if (got < 0)
		goto out;
	qsort(rt->acct, rt->nacct, sizeof(*rt->acct), cmp_acct);
	rc = 0;
out:
	lq_csv_close(&csv);
	free(file);
	return rc;
}

const char *
route_account_owner(const struct lq_route *rt, const char *key)
{
	struct acct k, *a;
	char buf[512];

	if (!rt->nacct || strlen(key) >= sizeof(buf))
		return NULL;
	strcpy(buf, key);
	lower(buf);
	k.key = buf;
	a = bsearch(&k, rt->acct, rt->nacct, sizeof(*rt->acct), cmp_acct);
	return a ? a->owner : NULL;
}

static int
load_sla(struct lq_route *rt, const struct lq_ynode *c, struct lq_err *err)
{
	static const double dflt[] = { 5 * LQ_MINUTE, LQ_HOUR, LQ_DAY,
	    3 * LQ_DAY };
	struct lq_ynode *v;
	char what[16];
	double *t;

	for (int i = 0; i < 4; i++)
		rt->sla[i] = dflt[i];
	rt->sla_default = LQ_DAY;
	if (!c)
		return 0;
	if (lq_ymap_check(&rt->doc, c, "sla", sla_keys, err))
		return -1;
	for (int i = 0; sla_keys[i]; i++) {
		if (!(v = lq_ymap_get(c, sla_keys[i])))
			continue;
		t = i < 4 ? &rt->sla[i] : &rt->sla_default;
		snprintf(what, sizeof(what), "sla %s", sla_keys[i]);
		if (lq_ydur(&rt->doc, v, what, t, err))
			return -1;
		/* 0 would be a deadline missed on arrival */
		if (*t <= 0 || *t > MAX_SLA)
			return lq_yerr(&rt->doc, v, err, "%s must be above 0 "
			    "and at most 365d, not %s", what, v->str);
	}
	return 0;
}

/*
 * duplicates: the person's e-mail and the account key, each a jq
 * expression (null: that rule is off; duplicates: false or null: both)
 */
static const char dflt_email[] = ".email";
static const char dflt_account[] = ".enrich.account.domain // "
    ".enrich.account.account_id // (.enrich.email | if type == \"object\" and "
    ".free == false and .disposable != true then .domain else null end)";

static int
load_dups(struct lq_route *rt, const struct lq_ynode *root,
    struct lq_err *err)
{
	struct lq_ydoc *d = &rt->doc;
	struct lq_ynode *c = lq_ymap_get(root, "duplicates"), *v;
	int on = 1;

	if (c && (lq_ynull(c) || (c->kind == LQ_Y_SCALAR &&
	    !lq_ybool(d, c, "duplicates", &on, err) && !on)))
		return 0;
	if (c && c->kind == LQ_Y_SCALAR && on)
		c = NULL;	/* duplicates: true, the defaults */
	if (c && (lq_yexpect(d, c, LQ_Y_MAP, "duplicates", err) ||
	    lq_ymap_check(d, c, "duplicates", dup_keys, err)))
		return -1;
	struct lq_expr_src src = { rt->path, c ? c->line : root->line,
	    c ? c->col : root->col, 0 };
	v = c ? lq_ymap_get(c, "email") : NULL;
	if (!v) {
		if ((rt->email_slot = lq_exprs_add(rt->x, dflt_email, &src,
		    err)) < 0)
			return -1;
	} else if (!lq_ynull(v) &&
	    (rt->email_slot = add_expr(rt, v, "email", err)) < 0)
		return -1;
	v = c ? lq_ymap_get(c, "account") : NULL;
	if (!v) {
		if ((rt->acct_slot = lq_exprs_add(rt->x, dflt_account, &src,
		    err)) < 0)
			return -1;
	} else if (!lq_ynull(v) &&
	    (rt->acct_slot = add_expr(rt, v, "account", err)) < 0)
		return -1;
	if (c && (v = lq_ymap_get(c, "window")) &&
	    lq_ydur_in(d, v, "duplicates window", LQ_MINUTE, 3650.0 * LQ_DAY,
	    &rt->acct_window, err))
		return -1;
	return 0;
}

/*
 * rollup: the account roll-up.  Points per contact, engaged contact,
 * department and seniority covered and for the account's best tier; an
 * account whose score reaches the threshold routes to one rep.
 */
static const char dflt_dept[] = ".enrich.title.department";
static const char dflt_sen[] = ".enrich.title.seniority";

static int
load_rollup(struct lq_route *rt, const struct lq_ynode *root,
    struct lq_err *err)
{
	static const double dflt_tier[] = { 30, 20, 10, 0 };
	struct lq_ydoc *d = &rt->doc;
	struct lq_ynode *c = lq_ymap_get(root, "rollup"), *v, *p, *t;
	double *pts[] = { &rt->pt_contact, &rt->pt_engaged, &rt->pt_dept,
	    &rt->pt_sen };
	const char *team;
	char what[32];

	rt->rollup_team = -1;
	if (!c || lq_ynull(c))
		return 0;
	if (lq_yexpect(d, c, LQ_Y_MAP, "rollup", err) ||
	    lq_ymap_check(d, c, "rollup", rollup_keys, err))
		return -1;
	if (rt->acct_slot < 0)
		return lq_yerr(d, c, err, "rollup: needs the account key "
		    "(duplicates.account is off)");
	rt->rollup = 1;
	rt->pt_contact = 10;
	rt->pt_engaged = 20;
	rt->pt_dept = 10;
	rt->pt_sen = 5;
	for (int i = 0; i < 4; i++)
		rt->pt_tier[i] = dflt_tier[i];
	rt->threshold = 100;
	struct lq_expr_src src = { rt->path, c->line, c->col, 0 };
	const char *names[] = { "department", "seniority" };
	const char *dflt[] = { dflt_dept, dflt_sen };
	int *slots[] = { &rt->dept_slot, &rt->sen_slot };
	for (int i = 0; i < 2; i++) {
		*slots[i] = -1;
		v = lq_ymap_get(c, names[i]);
		if (!v)
			*slots[i] = lq_exprs_add(rt->x, dflt[i], &src, err);
		else if (!lq_ynull(v))
			*slots[i] = add_expr(rt, v, names[i], err);
		else
			continue;
		if (*slots[i] < 0)
			return -1;
		lq_exprs_set_lazy(rt->x, *slots[i]);
	}
	if ((p = lq_ymap_get(c, "points"))) {
		if (lq_yexpect(d, p, LQ_Y_MAP, "rollup points", err) ||
		    lq_ymap_check(d, p, "rollup points", points_keys, err))
			return -1;
		for (int i = 0; i < 4; i++) {
			snprintf(what, sizeof(what), "points %s",
			    points_keys[i]);
			if ((v = lq_ymap_get(p, points_keys[i])) &&
			    lq_ynum_in(d, v, what, 0, 1e6, pts[i], err))
				return -1;
		}
		if ((t = lq_ymap_get(p, "tier"))) {
			if (lq_yexpect(d, t, LQ_Y_MAP, "points tier", err) ||
			    lq_ymap_check(d, t, "points tier", tier_keys, err))
				return -1;
			for (int i = 0; i < 4; i++) {
				snprintf(what, sizeof(what), "points tier %s",
				    tier_keys[i]);
				if ((v = lq_ymap_get(t, tier_keys[i])) &&
				    lq_ynum_in(d, v, what, 0, 1e6,
				    &rt->pt_tier[i], err))
					return -1;
			}
		}
	}
	if ((v = lq_ymap_get(c, "threshold"))) {
		if (lq_ynull(v))
			rt->threshold = -1;
		else if (lq_ynum_in(d, v, "rollup threshold", 0.001, 1e9,
		    &rt->threshold, err))
			return -1;
	}
	if ((v = lq_ymap_get(c, "team")) && !lq_ynull(v)) {
		if (lq_ystr(d, v, "team", &team, err))
			return -1;
		if ((rt->rollup_team = route_find_team(rt, team)) < 0)
			return lq_yerr(d, v, err, "rollup: no team '%s' under "
			    "'teams:'", team);
	}
	return 0;
}

/* queue_sla: calendar time to contact a lead held in a queue; escalate */
static int
load_queue_sla(struct lq_route *rt, const struct lq_ynode *root,
    struct lq_err *err)
{
	struct lq_ydoc *d = &rt->doc;
	struct lq_ynode *c, *v;
	long n;

	if ((c = lq_ymap_get(root, "queue_sla"))) {
		if (lq_yexpect(d, c, LQ_Y_MAP, "queue_sla", err) ||
		    lq_ymap_check(d, c, "queue_sla", qsla_keys, err))
			return -1;
		for (int i = 0; qsla_keys[i]; i++)
			if ((v = lq_ymap_get(c, qsla_keys[i])) && !lq_ynull(v) &&
			    lq_ydur_in(d, v, "queue_sla", LQ_MINUTE, MAX_SLA,
			    &rt->q_sla[i], err))
				return -1;
	}
	if ((c = lq_ymap_get(root, "escalate"))) {
		if (lq_yexpect(d, c, LQ_Y_MAP, "escalate", err) ||
		    lq_ymap_check(d, c, "escalate", esc_keys, err) ||
		    get_str(rt, c, "queue", &rt->q_escalate, err))
			return -1;
		if (!rt->q_escalate || !*rt->q_escalate)
			return lq_yerr(d, c, err, "escalate: queue must not be "
			    "null or empty");
		if ((v = lq_ymap_get(c, "after"))) {
			if (lq_yint_in(d, v, "escalate after", 1, 100, &n, err))
				return -1;
			rt->escalate_after = (int)n;
		}
	}
	return 0;
}

static int
load(struct lq_route *rt, const char *path, const char *text, size_t len,
    const char *perf, struct lq_err *err)
{
	struct lq_ydoc *d = &rt->doc;
	struct lq_ynode *root, *c, *v;
	const char *s;

	if (text ? lq_config_section_mem(d, path, text, len, "route", &root,
	    err) : lq_config_section(d, path, "route", &root, err))
		return -1;
	if (lq_yexpect(d, root, LQ_Y_MAP, "the route section", err) ||
	    lq_ymap_check(d, root, "the route section", top_keys, err))
		return -1;
	rt->path = path;
	rt->id_field = "id";
	rt->score_key = "score";
	rt->q_nurture = "nurture";
	rt->q_review = "review";
	rt->q_fallback = "unassigned";
	rt->w_perf = 1;
	rt->w_load = 0.5;
	rt->load_scale = 20;
	rt->prior = NAN;
	rt->owner_slot = rt->segment_slot = rt->match_slot = -1;
	rt->email_slot = rt->acct_slot = -1;
	rt->acct_window = 90.0 * LQ_DAY;
	for (int i = 0; i < 4; i++)
		rt->q_sla[i] = -1;
	rt->q_escalate = "escalation";
	rt->escalate_after = 2;
	rt->fallback_owner = -1;
	if (get_str(rt, root, "id_field", &rt->id_field, err) ||
	    get_str(rt, root, "score_key", &rt->score_key, err))
		return -1;
	if (!rt->id_field || !rt->score_key || !*rt->id_field ||
	    !*rt->score_key)
		return lq_yerr(d, root, err, "id_field and score_key must not "
		    "be null or empty");
	if ((c = lq_ymap_get(root, "queues"))) {
		if (lq_ymap_check(d, c, "queues", queue_keys, err) ||
		    get_str(rt, c, "nurture", &rt->q_nurture, err) ||
		    get_str(rt, c, "review", &rt->q_review, err) ||
		    get_str(rt, c, "fallback", &rt->q_fallback, err))
			return -1;
	}
	if (load_sla(rt, lq_ymap_get(root, "sla"), err))
		return -1;
	if ((c = lq_ymap_get(root, "weights"))) {
		if (lq_ymap_check(d, c, "weights", weight_keys, err))
			return -1;
		/* negative weights would prefer the worse or busier rep */
		if ((v = lq_ymap_get(c, "performance")) &&
		    lq_ynum_in(d, v, "weights performance", 0, INFINITY,
		    &rt->w_perf, err))
			return -1;
		if ((v = lq_ymap_get(c, "load")) &&
		    lq_ynum_in(d, v, "weights load", 0, INFINITY, &rt->w_load,
		    err))
			return -1;
		if ((v = lq_ymap_get(c, "load_scale"))) {
			if (lq_ynum(d, v, "load_scale", &rt->load_scale, err))
				return -1;
			if (rt->load_scale <= 0)	/* it divides */
				return lq_yerr(d, v, err, "load_scale must be "
				    "above 0 (leads a day that make a full "
				    "load), not %s", v->str);
		}
	}
	if ((v = lq_ymap_get(root, "prior")) &&
	    lq_ynum_in(d, v, "prior", 0, INFINITY, &rt->prior, err))
		return -1;
	if ((c = lq_ymap_get(root, "defaults")) &&
	    (lq_yexpect(d, c, LQ_Y_MAP, "defaults", err) ||
	    lq_ymap_check(d, c, "defaults", def_keys, err)))
		return -1;
	rt->defaults = c;
	if (!(c = lq_ymap_get(root, "teams")))
		return lq_yerr(d, root, err, "route: no 'teams:'");
	if (load_teams(rt, c, err))
		return -1;
	if ((v = lq_ymap_get(root, "fallback_owner")) && !lq_ynull(v)) {
		if (lq_ystr(d, v, "fallback_owner", &s, err))
			return -1;
		if ((rt->fallback_owner = route_find_rep(rt, s, strlen(s))) < 0)
			return lq_yerr(d, v, err, "fallback_owner: no rep "
			    "'%s'", s);
	}
	rt->x = lq_exprs_new();
	if ((v = lq_ymap_get(root, "owner")) && !lq_ynull(v) &&
	    (rt->owner_slot = add_expr(rt, v, "owner", err)) < 0)
		return -1;
	if ((v = lq_ymap_get(root, "segment")) && !lq_ynull(v) &&
	    (rt->segment_slot = add_expr(rt, v, "segment", err)) < 0)
		return -1;
	if ((c = lq_ymap_get(root, "territories")) &&
	    load_territories(rt, c, err))
		return -1;
	if ((c = lq_ymap_get(root, "accounts")) &&
	    load_accounts(rt, path, c, err))
		return -1;
	if (load_dups(rt, root, err) || load_queue_sla(rt, root, err) ||
	    load_rollup(rt, root, err))
		return -1;
	if (lq_exprs_compile_in(rt->x, &rt->doc, err))
		return -1;
	rt->ev = lq_eval_new(rt->x);
	if (perf) {
		if (!(rt->perf_path = strdup(perf)))
			abort();
		if (load_perf(rt, rt->perf_path, err))
			return -1;
	} else if ((v = lq_ymap_get(root, "performance")) && !lq_ynull(v)) {
		if (lq_ystr(d, v, "performance", &s, err))
			return -1;
		rt->perf_path = rel_path(path, s);
		if (load_perf(rt, rt->perf_path, err))
			return -1;
	}
	if (isnan(rt->prior))
		rt->prior = 20;
	return 0;
}

struct lq_route *
lq_route_load_mem(const char *path, const char *text, size_t len,
    const char *perf, struct lq_err *err)
{
	struct lq_route *rt = calloc(1, sizeof(*rt));

	if (!rt)
		abort();
	if (load(rt, path, text, len, perf, err)) {
		if (!err->code)
			err->code = LQ_EXIT_USAGE;
		lq_route_free(rt);
		return NULL;
	}
	return rt;
}

struct lq_route *
lq_route_load(const char *path, const char *perf, struct lq_err *err)
{
	return lq_route_load_mem(path, NULL, 0, perf, err);
}

void
lq_route_free(struct lq_route *rt)
{
	if (!rt)
		return;
	lq_buf_release(&rt->sbuf);
	for (int i = 0; i < rt->nreps; i++) {
		struct rep *r = &rt->reps[i];
		for (int d = 0; d < 7; d++)
			free(r->h[d]);
		free(r->pto);
		free(r->n_seg);
		free(r->perf_seg);
		free(r->days);
		free(r->hol);
	}
	for (int i = 0; i < rt->nteams; i++) {
		free(rt->teams[i].reps);
		free(rt->teams[i].rate_seg);
	}
	for (int i = 0; i < rt->nsegs; i++)
		free(rt->segs[i]);
	free(rt->segs);
	free(rt->reps);
	free(rt->teams);
	free(rt->terr);
	free(rt->zones);
	free(rt->perf_path);
	for (size_t i = 0; i < rt->nacct; i++) {
		free(rt->acct[i].key);
		free(rt->acct[i].owner);
	}
	free(rt->acct);
	if (rt->ev)
		lq_eval_free(rt->ev);
	if (rt->x)
		lq_exprs_free(rt->x);
	lq_buf_release(&rt->tmp);
	lq_buf_release(&rt->ra.departments);
	lq_buf_release(&rt->ra.seniorities);
	lq_buf_release(&rt->ra.owner);
	lq_yaml_release(&rt->doc);
	free(rt);
}

const char *
lq_route_id_field(const struct lq_route *rt)
{
	return rt->id_field;
}

void
lq_route_set_id_field(struct lq_route *rt, const char *name)
{
	rt->id_field = name;
}

int
lq_route_time_valid(double t)
{
	return t >= TIME_MIN && t <= TIME_MAX;
}

void
lq_route_set_ledger(struct lq_route *rt, struct lq_ledger *lg, int readonly,
    int reassign)
{
	rt->lg = lg;
	rt->ro = readonly;
	rt->reassign = reassign;
}
