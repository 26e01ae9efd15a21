/*
 * lq_route.h - lead routing (the route: section of a rule file).
 *
 * A router holds teams of reps (time zone, working hours, capacity, PTO,
 * paused/active), ordered territory rules (jq conditions choosing a
 * team), the queues for nurture/review leads, the SLA of each tier and,
 * optionally, rep performance learned by lq-train --reps.  lq_route_eval()
 * decides one lead, in the order of lq-route(1): action queue, CRM owner,
 * territory and best available rep, first rep available later, fallback.
 *
 * Capacity is counted in an lq_ledger when one is given (lq_ledger.h), and
 * otherwise within the router's own lifetime.
 */
#ifndef LQ_ROUTE_H
#define LQ_ROUTE_H

#include <stddef.h>
#include <time.h>

#include "lq_buf.h"
#include "lq_err.h"
#include "lq_json.h"

struct lq_route;
struct lq_ledger;

/*
 * Load the route: section of the rule file path and the performance file
 * perf (written by lq-train --reps), or when perf is NULL the one the
 * section names (relative to the rule file).  Returns a new router, or
 * NULL with err set ("path:line:col: message", code LQ_EXIT_USAGE).
 */
struct lq_route *lq_route_load(const char *path, const char *perf,
    struct lq_err *err);

/*
 * lq_route_load() on the text[0..len) of a rule file (not NULL) instead
 * of reading path, which names it in messages and is the directory files
 * it names are relative to (for the fuzzers).
 */
struct lq_route *lq_route_load_mem(const char *path, const char *text,
    size_t len, const char *perf, struct lq_err *err);

/* Free a router. */
void lq_route_free(struct lq_route *rt);

/* The top-level member holding the lead id (config id_field, or "id"). */
const char *lq_route_id_field(const struct lq_route *rt);

/* Override the lead id member (--id-field). */
void lq_route_set_id_field(struct lq_route *rt, const char *name);

/*
 * Use lg (borrowed; NULL: none) for capacity counts and assignments.
 * With readonly set, the ledger is read (existing assignments, counts)
 * and never written (--dry-run).  reassign routes leads already in the
 * ledger again.
 */
void lq_route_set_ledger(struct lq_route *rt, struct lq_ledger *lg,
    int readonly, int reassign);

/*
 * Decide the lead line[0..len) (scanned into s, an object) at time now
 * (seconds since the epoch) and append the JSON object of its route
 * member to out.  key is the tool's output member (an old value is
 * ignored).  With a writable ledger the assignment is recorded inside the
 * ledger's open transaction (the caller commits).  Returns 0, or -1 with
 * err set: code LQ_EXIT_RECORDS for a bad record (no id with a ledger, a
 * routing time now out of range), LQ_EXIT_USAGE for a ledger failure.
 */
int lq_route_eval(struct lq_route *rt, const char *line, size_t len,
    const struct lq_scan *s, double now, const char *key, struct lq_buf *out,
    struct lq_err *err);

/*
 * The priority of the lead line (scanned into s) for a batch: *rank, to
 * be sorted ascending, is the action (route, review, nurture, anything
 * else) and then the tier (L1 ... L4, unknown); *value, descending within
 * a rank, is score.probability, else score.points, else -HUGE_VAL.
 */
void lq_route_priority(struct lq_route *rt, const char *line,
    const struct lq_scan *s, long *rank, double *value);

/*
 * Read the lead's time from its top-level member name (RFC 3339 string or
 * epoch number) into *t.  Returns 0 or -1 (missing or not a time).
 */
int lq_route_lead_time(const char *line, const struct lq_scan *s,
    const char *name, double *t);

/*
 * True when t (seconds since the epoch) can be a routing time: finite and
 * from 1970-01-01 to 8999-12-31.  lq_route_eval() refuses other times (a
 * bad record).
 */
int lq_route_time_valid(double t);

/*
 * Record the contact line[0..] (scanned into s) in lg: the lead id in
 * member id_field or "lead_id", the time in "at" or "time" (RFC 3339 or
 * epoch), optionally "rep" and "outcome" strings.  Opens the ledger's
 * transaction (the caller commits).  Returns 0, or -1 with err set (code
 * LQ_EXIT_RECORDS for a bad record).
 */
int lq_route_contact(struct lq_ledger *lg, const char *id_field,
    const char *line, const struct lq_scan *s, struct lq_err *err);

/*
 * Every assignment of the router's ledger (in its open transaction) whose
 * contact_by is at or before now without a contact since it was made:
 * reassigned to the best available rep of its team who never held it, or
 * after escalate.after misses (or when nobody is left) escalated to the
 * team's manager or the escalation queue.  Each is recorded and appended
 * to out as an NDJSON line {ID_FIELD: "id", "route": {...}}; *n counts
 * them, *escalated the escalations.
 */
int lq_route_sweep(struct lq_route *rt, double now, struct lq_buf *out,
    long *n, long *escalated, struct lq_err *err);

/* --- time zones (route_tz.c), on the system tz database --- */

/* True when zone names a file of the tz database (or is "UTC"). */
int lq_tz_valid(const char *zone);

/*
 * Local time of t in zone into *tm (tm_gmtoff set).  The process time zone
 * (TZ) is switched while doing so; callers that print local times of their
 * own must not rely on it.
 */
void lq_tz_local(const char *zone, time_t t, struct tm *tm);

/*
 * The instant of the local time *tm in zone (tm_isdst ignored: the rules
 * of the zone decide; a time skipped by a DST change moves forward).
 * tm is normalised (tm_wday set).
 */
time_t lq_tz_mktime(const char *zone, struct tm *tm);

#endif
