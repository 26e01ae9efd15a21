/*
 * lq_ledger.h - the routing ledger: a SQLite database of assignments.
 *
 * An lq-route ledger carries PRAGMA application_id LQ_LEDGER_APPID ("lqrt")
 * and its schema version in PRAGMA user_version.  Version 1:
 *   assignment(lead_id TEXT PRIMARY KEY, rep, team, queue, at, tier, step,
 *              counts, route, recorded_at)   - the current assignment
 *   log(seq INTEGER PRIMARY KEY, lead_id, rep, team, queue, at, tier, step,
 *       route, recorded_at, action)          - every assignment, for audit
 * "at" is the routing time and recorded_at the clock, both in epoch
 * seconds; counts is 1 when the assignment uses the rep's capacity; route
 * is the JSON of the route member as first written.
 *
 * The database runs in WAL mode with a busy timeout.  Decisions are taken
 * inside a write transaction (BEGIN IMMEDIATE), so concurrent processes
 * serialise: a lead is never assigned twice and a capacity never exceeded.
 */
#ifndef LQ_LEDGER_H
#define LQ_LEDGER_H

#include <stddef.h>

#include "lq_buf.h"
#include "lq_err.h"

#define LQ_LEDGER_VERSION 1
#define LQ_LEDGER_APPID 0x6c717274	/* "lqrt" */

struct lq_ledger;

/* one assignment to record */
struct lq_assign {
	const char *lead_id;	/* exact text of the lead id */
	size_t lead_idlen;
	const char *rep, *team, *queue;	/* NULL when absent */
	double at;		/* routing time */
	const char *tier;	/* NULL when unknown */
	const char *step;	/* which step decided */
	int counts;		/* uses the rep's capacity */
	const char *route;	/* JSON of the route member */
	size_t routelen;
	int reassign;		/* replaces an earlier assignment */
};

/*
 * Open (creating on first use, unless readonly) the ledger at path.
 * busy_ms is how long to wait for another process's lock.  A new path or
 * an empty file becomes a ledger; any other file that is not a ledger (an
 * unrelated SQLite database, or not a database) and a ledger of another
 * schema version are refused before anything is written, so they are left
 * unchanged.  A readonly open writes and creates nothing (not even -wal or
 * -shm files; it works in a directory it cannot write), and a missing or
 * empty file gives an empty ledger; when no other process has the ledger
 * open it is read without locks, and opened again by lq_ledger_find() once
 * a writer has come.  Returns NULL with err set (code
 * LQ_EXIT_USAGE) on failure.  A ledger of version 1 made before the
 * application_id was set is recognised by its tables and stamped on the
 * first writable open.
 */
struct lq_ledger *lq_ledger_open(const char *path, int readonly, int busy_ms,
    struct lq_err *err);

/* Close; an open transaction is rolled back. */
void lq_ledger_close(struct lq_ledger *lg);

/*
 * Start the write transaction (BEGIN IMMEDIATE) unless one is open.
 * Each transaction started increments the generation (see below).
 */
int lq_ledger_begin(struct lq_ledger *lg, struct lq_err *err);

/* Commit the open transaction, if any. */
int lq_ledger_commit(struct lq_ledger *lg, struct lq_err *err);

/* Nonzero while a transaction is open. */
int lq_ledger_in_txn(const struct lq_ledger *lg);

/*
 * A number that changes whenever counts read earlier may be stale (a new
 * transaction began, or the ledger is read without one).
 */
unsigned long lq_ledger_generation(const struct lq_ledger *lg);

/*
 * Look up lead id[0..n): on success *found is 1 and the stored route JSON
 * is appended to route (may be NULL).  Returns 0 or -1.
 */
int lq_ledger_find(struct lq_ledger *lg, const char *id, size_t n,
    struct lq_buf *route, int *found, struct lq_err *err);

/*
 * Count the assignments using rep's capacity with from <= at < to.
 */
int lq_ledger_count(struct lq_ledger *lg, const char *rep, double from,
    double to, long *n, struct lq_err *err);

/*
 * Remove lead id[0..n)'s current assignment (its log rows stay), before
 * routing it again; counts read earlier become stale.
 */
int lq_ledger_forget(struct lq_ledger *lg, const char *id, size_t n,
    struct lq_err *err);

/* Record (insert or replace) an assignment, with a log row. */
int lq_ledger_record(struct lq_ledger *lg, const struct lq_assign *a,
    struct lq_err *err);

#endif
