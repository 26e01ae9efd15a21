/*
 * route_int.h - private to lq-route's library part: the configuration
 * (struct lq_route, teams, reps) shared by route_load.c, route_time.c and
 * route.c.
 */
#ifndef LQ_ROUTE_INT_H
#define LQ_ROUTE_INT_H

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jv.h>

#include "lq_csv.h"
#include "lq_expr.h"
#include "lq_ledger.h"
#include "lq_route.h"
#include "lq_time.h"
#include "lq_yaml.h"

#define NCACHE 4
#define LOOKAHEAD_DAYS 21
#define NOCAP -1.0
#define MAX_CAP 1000000L	/* leads a day or a week: beyond is a typo */
#define MAX_SLA (365.0 * LQ_DAY)
#define MAX_COUNT 1000000000000L	/* deals in a performance file */
#define TIME_MIN 0.0		/* routing times: 1970 ... */
#define TIME_MAX 221845391999.0	/* ... 8999-12-31T23:59:59Z (a contact_by
				   stays within 4-digit years) */
#define PTO_MAX 253402300799.0	/* PTO to 9999-12-31: "until further
				   notice" */

struct ival { int start, end; };	/* minutes of the local day */
struct pto { double from, to; };
struct capc { unsigned long gen; double from, to; long n; int used; };
struct dayb { double start; long n; };
struct acct { char *key, *owner; };	/* key lowercased */

/* a time zone and the local facts of the last minute asked about */
struct zone {
	const char *name;
	double minute;		/* floor(t / LQ_MINUTE) of the cached facts,
				   or -1 */
	int wday, mod;		/* local weekday (0 = Sunday), minute of day */
	double day0, day1, week0, week1;
};

struct rep {
	const char *id;
	int team, zone;
	struct ival *h[7];
	int nh[7];
	struct pto *pto;
	int npto;
	double cap_day, cap_week;
	int paused, active;
	long n_all, won_all;
	double perf_all;
	long *n_seg;
	double *perf_seg;	/* per segment, shrunk */
	struct capc cache[NCACHE];
	int next_cache;
	struct dayb *days;	/* counts per local day (no ledger) */
	size_t ndays, capdays;
	int *hol;		/* holidays, yyyymmdd, from every layer */
	size_t nhol, caphol;
	int excluded;		/* sweep: held the lead before */
};

struct team {
	const char *name;
	const char *manager;	/* escalations, or NULL: the queue */
	int *reps, nreps;
	double rate_all, *rate_seg;
};

struct terr {
	const char *name;
	int slot;		/* -1: no condition */
	int team;
};

struct lq_route {
	struct lq_ydoc doc;
	struct lq_exprs *x;
	struct lq_eval *ev;
	struct lq_buf sbuf;	/* a score member's string, decoded */
	const char *id_field, *score_key;
	const char *q_nurture, *q_review, *q_fallback;
	int fallback_owner;
	double sla[4], sla_default;
	double w_perf, w_load, load_scale, prior;
	int owner_slot, segment_slot, have_perf;
	int match_slot;		/* accounts: match expression */
	struct acct *acct;	/* accounts table, sorted by key */
	size_t nacct;
	struct terr *terr;
	int nterr;
	struct team *teams;
	int nteams;
	struct rep *reps;
	int nreps;
	struct zone *zones;
	int nzones;
	char **segs;
	int nsegs;
	struct lq_ledger *lg;
	int ro, reassign;
	char *perf_path;
	struct lq_buf tmp;
	const struct lq_ynode *defaults;
	const char *path;	/* the rule file, for relative paths */
	/* duplicates and accounts (before the CRM owner) */
	int email_slot, acct_slot;
	double acct_window;
	/* queue SLAs (calendar time): review, nurture, fallback, escalation */
	double q_sla[4];
	const char *q_escalate;
	int escalate_after;
	/* the account roll-up (rollup:) */
	int rollup, dept_slot, sen_slot, rollup_team;
	double pt_contact, pt_engaged, pt_dept, pt_sen, pt_tier[4];
	double threshold;	/* <= 0: none */
	struct lq_account ra;	/* the current lead's account */
};

enum { QS_REVIEW, QS_NURTURE, QS_FALLBACK, QS_ESCALATE };

/*
 * Why a rep cannot take a lead now, in the order route.reason.unavailable
 * lists them (their names: why_name in route.c).
 */
enum route_why {
	WHY_INACTIVE, WHY_PAUSED, WHY_CAPACITY_DAY, WHY_CAPACITY_WEEK,
	WHY_PTO, WHY_HOURS,
	WHY_N,			/* the number of reasons */
	WHY_NONE = WHY_N,	/* the rep can take it */
	WHY_ERROR		/* the ledger failed */
};

/* functions shared between the parts */
const char *route_account_owner(const struct lq_route *rt, const char *key);
int route_find_rep(const struct lq_route *rt, const char *id, size_t n);
int route_find_team(const struct lq_route *rt, const char *name);
int route_seg_index(const struct lq_route *rt, const char *s, size_t n);

/* route_time.c: working time and capacity counts */

/*
 * The local facts (weekday, minute of the day, day and week bounds) of
 * zone zi at t, cached for the minute.
 */
struct zone *route_zone_at(struct lq_route *rt, int zi, double t);

/* 1 when t is in a PTO of r (*until, when not NULL: its end), else 0 */
static inline int
route_in_pto(const struct rep *r, double t, double *until)
{
	for (int i = 0; i < r->npto; i++)
		if (t >= r->pto[i].from && t < r->pto[i].to) {
			if (until)
				*until = r->pto[i].to;
			return 1;
		}
	return 0;
}

/* 1 when the local minute of z is in r's working hours, else 0 */
static inline int
route_in_hours(const struct rep *r, const struct zone *z)
{
	for (int i = 0; i < r->nh[z->wday]; i++)
		if (z->mod >= r->h[z->wday][i].start &&
		    z->mod < r->h[z->wday][i].end)
			return 1;
	return 0;
}


/*
 * The first instant >= t at which r works and is not on PTO, within
 * LOOKAHEAD_DAYS; -1 if none.
 */
double route_next_available(struct lq_route *rt, const struct rep *r,
    double t);

/*
 * contact_by of a lead r takes at t with an SLA of sla seconds: working
 * time (whole days are working days), else calendar time
 */
double route_deadline(struct lq_route *rt, const struct rep *r, double t,
    double sla);

/*
 * The leads counted against r's capacity from from to to into *n: the
 * ledger's, and without a writable ledger this run's own.  Cached per
 * ledger generation.  Returns 0, or -1 with err set.
 */
int route_rep_count(struct lq_route *rt, struct rep *r, double from,
    double to, long *n, struct lq_err *err);

/* Count a lead r took at at (in the cached counts and this run's days). */
void route_rep_counted(struct lq_route *rt, struct rep *r, double at);

/*
 * Why r cannot take a lead at now, or WHY_NONE; the leads it has taken on
 * its local day and week into *nday and *nweek (when it is active and
 * not paused).  WHY_ERROR with err set when the ledger fails.
 */
enum route_why route_unavailable(struct lq_route *rt, struct rep *r,
    double now, long *nday, long *nweek, struct lq_err *err);

#endif
