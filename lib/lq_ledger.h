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
 * Additions within version 1 (made on the first writable open; an older
 * lq-route still reads and writes such a ledger):
 *   assignment + contact_by, email_key, account_key, duplicate_of, misses
 *   log + contact_by, duplicate_of
 *   pending(lead_id PRIMARY KEY, tier, rank, value, at, line, recorded_at)
 *                                            - leads not placed, with
 *                                              their line, for the next batch
 *   contact(seq, lead_id, at, rep, outcome, recorded_at)
 *                                            - contacts from the CRM
 *   account(account_key PRIMARY KEY, contacts, engaged, best_tier,
 *           departments, seniorities, score, owner, owner_at, first_at,
 *           last_at, recorded_at)            - the account roll-up: one
 *                                              row of aggregates per
 *                                              account (lq-route(1))
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
	/* the v1 additions (zero: none) */
	double contact_by;	/* deadline (epoch seconds); <= 0: none */
	const char *email_key, *account_key, *duplicate_of;
	int misses;		/* deadlines missed so far */
	const char *action;	/* the log's action; NULL: assign/reassign */
};

/* an assignment whose deadline passed without a contact */
struct lq_due {
	char *lead_id, *rep, *team, *tier, *route, *email_key, *account_key;
	double at, contact_by;
	int misses;
};

/* an account's roll-up: aggregates, never its leads */
struct lq_account {
	long contacts;		/* people seen (leads not of a known e-mail) */
	long engaged;		/* of them, with a contact recorded */
	char best_tier[4];	/* "L1".."L4", "" when none */
	struct lq_buf departments, seniorities;	/* JSON arrays of strings,
						   sorted ("" : none) */
	struct lq_buf owner;	/* the rep the account routes to ("" : none) */
	double owner_at, first_at, last_at;	/* epoch seconds */
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
 * A number that changes whenever counts read earlier may be stale (a
 * transaction began after another connection committed, a lead was
 * forgotten, a commit failed, or the ledger is read without one).
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

/*
 * The earliest assignment with a rep of another lead than id[0..n) whose
 * normalised e-mail is key: its lead id and rep into lead and rep (reset
 * first; may be NULL).  *found 0 when none.
 */
int lq_ledger_find_email(struct lq_ledger *lg, const char *key,
    const char *id, size_t n, struct lq_buf *lead, struct lq_buf *rep,
    int *found, struct lq_err *err);

/*
 * The latest assignment with a rep routed at or after since of another
 * lead than id[0..n) in account key, as lq_ledger_find_email().
 */
int lq_ledger_find_account(struct lq_ledger *lg, const char *key,
    double since, const char *id, size_t n, struct lq_buf *lead,
    struct lq_buf *rep, int *found, struct lq_err *err);

/*
 * Keep (insert or replace) lead id[0..n) as pending: not placed, to be
 * decided again first by the next batch; line[0..len) is its record.
 */
int lq_ledger_pending_put(struct lq_ledger *lg, const char *id, size_t n,
    const char *tier, long rank, double value, double at, const char *line,
    size_t len, struct lq_err *err);

/* Lead id[0..n) is no longer pending. */
int lq_ledger_pending_del(struct lq_ledger *lg, const char *id, size_t n,
    struct lq_err *err);

/*
 * Call fn(arg, id, idlen, rank, value, at) for each pending lead (id valid
 * during the call; fn returning -1 stops).
 */
int lq_ledger_pending_each(struct lq_ledger *lg,
    int (*fn)(void *, const char *, size_t, long, double, double), void *arg,
    struct lq_err *err);

/* The record of pending lead id[0..n) into line (reset first). */
int lq_ledger_pending_line(struct lq_ledger *lg, const char *id, size_t n,
    struct lq_buf *line, int *found, struct lq_err *err);

/* Record a contact with lead id[0..n) at time at (rep, outcome: NULL). */
int lq_ledger_contact(struct lq_ledger *lg, const char *id, size_t n,
    double at, const char *rep, const char *outcome, struct lq_err *err);

/*
 * The assignments with a rep whose contact_by is at or before now and that
 * had no contact from their routing time to now, by deadline: a new array
 * in *out (free with lq_ledger_due_free()).
 */
int lq_ledger_due(struct lq_ledger *lg, double now, struct lq_due **out,
    size_t *n, struct lq_err *err);

/* Free what lq_ledger_due() returned. */
void lq_ledger_due_free(struct lq_due *d, size_t n);

/* *held is 1 when rep has held lead id (NUL-terminated) before (the log). */
int lq_ledger_held_by(struct lq_ledger *lg, const char *id, const char *rep,
    int *held, struct lq_err *err);

/*
 * The roll-up of account key into *a (its buffers reset first; release
 * them with lq_buf_release()); *found 0 when the account has no row.
 */
int lq_ledger_account_get(struct lq_ledger *lg, const char *key,
    struct lq_account *a, int *found, struct lq_err *err);

/* Record (insert or replace) the roll-up *a of account key with score. */
int lq_ledger_account_put(struct lq_ledger *lg, const char *key,
    const struct lq_account *a, double score, struct lq_err *err);

/*
 * *seen is 1 when a lead other than id[0..n) has the normalised e-mail
 * email_key (the same person).
 */
int lq_ledger_person_seen(struct lq_ledger *lg, const char *email_key,
    const char *id, size_t n, int *seen, struct lq_err *err);

#endif
