/*
 * ledger.c - the routing ledger in SQLite (see lq_ledger.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "lq_ledger.h"
#include "lq_time.h"

struct lq_ledger {
	sqlite3 *db;
	const char *path;
	int readonly, empty, txn;
	unsigned long gen;
	sqlite3_stmt *find, *count, *put, *log, *del;
};

static const char schema[] =
"CREATE TABLE IF NOT EXISTS assignment (\n"
"  lead_id TEXT PRIMARY KEY NOT NULL,\n"
"  rep TEXT, team TEXT, queue TEXT,\n"
"  at INTEGER NOT NULL,\n"
"  tier TEXT, step TEXT NOT NULL,\n"
"  counts INTEGER NOT NULL,\n"
"  route TEXT NOT NULL,\n"
"  recorded_at INTEGER NOT NULL\n"
") WITHOUT ROWID;\n"
"CREATE INDEX IF NOT EXISTS assignment_rep_at ON assignment(rep, at)\n"
"  WHERE counts = 1;\n"
"CREATE TABLE IF NOT EXISTS log (\n"
"  seq INTEGER PRIMARY KEY,\n"
"  lead_id TEXT NOT NULL, rep TEXT, team TEXT, queue TEXT,\n"
"  at INTEGER NOT NULL, tier TEXT, step TEXT NOT NULL, route TEXT NOT NULL,\n"
"  recorded_at INTEGER NOT NULL, action TEXT NOT NULL\n"
");\n";

static int
dberr(struct lq_ledger *lg, struct lq_err *err, const char *what)
{
	return lq_err_set(err, LQ_EXIT_USAGE, "%s: %s: %s", lg->path, what,
	    sqlite3_errmsg(lg->db));
}

static int
exec(struct lq_ledger *lg, const char *sql, struct lq_err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(lg->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		lq_err_set(err, LQ_EXIT_USAGE, "%s: %s", lg->path,
		    msg ? msg : sqlite3_errmsg(lg->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
user_version(struct lq_ledger *lg, int *v, struct lq_err *err)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(lg->db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK)
		return dberr(lg, err, "cannot read");
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return dberr(lg, err, "cannot read");
	}
	*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int
setup(struct lq_ledger *lg, struct lq_err *err)
{
	int v;

	if (exec(lg, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
	    err))
		return -1;
	/* create under the write lock, so two first runs do not race */
	if (exec(lg, "BEGIN IMMEDIATE", err))
		return -1;
	if (user_version(lg, &v, err))
		goto fail;
	if (v == 0) {
		if (exec(lg, schema, err) ||
		    exec(lg, "PRAGMA user_version = 1", err))
			goto fail;
	} else if (v != LQ_LEDGER_VERSION) {
		lq_err_set(err, LQ_EXIT_USAGE, "%s: ledger schema version %d "
		    "is not supported (this lq-route knows %d)", lg->path, v,
		    LQ_LEDGER_VERSION);
		goto fail;
	}
	return exec(lg, "COMMIT", err);
fail:
	sqlite3_exec(lg->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int
prepare(struct lq_ledger *lg, struct lq_err *err)
{
	static const char *sql[] = {
		"SELECT route FROM assignment WHERE lead_id = ?1",
		"SELECT count(*) FROM assignment WHERE rep = ?1 AND "
		    "at >= ?2 AND at < ?3 AND counts = 1",
		"INSERT OR REPLACE INTO assignment (lead_id, rep, team, queue,"
		    " at, tier, step, counts, route, recorded_at) VALUES "
		    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
		"INSERT INTO log (lead_id, rep, team, queue, at, tier, step, "
		    "route, recorded_at, action) VALUES (?1, ?2, ?3, ?4, ?5, "
		    "?6, ?7, ?9, ?10, ?11)",
		"DELETE FROM assignment WHERE lead_id = ?1",
	};
	sqlite3_stmt **st[] = { &lg->find, &lg->count, &lg->put, &lg->log,
	    &lg->del };

	for (int i = 0; i < 5; i++) {
		if (lg->readonly && i >= 2)
			break;
		if (sqlite3_prepare_v3(lg->db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, st[i], NULL) != SQLITE_OK)
			return dberr(lg, err, "not a ledger");
	}
	return 0;
}

struct lq_ledger *
lq_ledger_open(const char *path, int readonly, int busy_ms,
    struct lq_err *err)
{
	struct lq_ledger *lg = calloc(1, sizeof(*lg));
	struct stat sb;
	int v, flags;

	if (!lg)
		abort();
	lg->path = path;
	lg->readonly = readonly;
	if (readonly && stat(path, &sb) < 0) {
		lg->empty = 1;	/* nothing routed yet */
		return lg;
	}
	flags = readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &lg->db, flags | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		lq_err_set(err, LQ_EXIT_USAGE, "%s: cannot open ledger: %s",
		    path, lg->db ? sqlite3_errmsg(lg->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(lg->db, busy_ms);
	if (readonly) {
		if (user_version(lg, &v, err))
			goto fail;
		if (v == 0 && exec(lg, "SELECT 1 FROM sqlite_master", err))
			goto fail;
		if (v != LQ_LEDGER_VERSION) {
			lq_err_set(err, LQ_EXIT_USAGE, "%s: not a ledger of "
			    "schema version %d (found %d)", path,
			    LQ_LEDGER_VERSION, v);
			goto fail;
		}
	} else if (setup(lg, err))
		goto fail;
	if (prepare(lg, err))
		goto fail;
	return lg;
fail:
	lq_ledger_close(lg);
	return NULL;
}

void
lq_ledger_close(struct lq_ledger *lg)
{
	if (!lg)
		return;
	if (lg->txn)
		sqlite3_exec(lg->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(lg->find);
	sqlite3_finalize(lg->count);
	sqlite3_finalize(lg->put);
	sqlite3_finalize(lg->log);
	sqlite3_finalize(lg->del);
	sqlite3_close(lg->db);
	free(lg);
}

int
lq_ledger_begin(struct lq_ledger *lg, struct lq_err *err)
{
	if (lg->txn || lg->readonly)
		return 0;
	if (exec(lg, "BEGIN IMMEDIATE", err))
		return -1;
	lg->txn = 1;
	lg->gen++;
	return 0;
}

int
lq_ledger_commit(struct lq_ledger *lg, struct lq_err *err)
{
	if (!lg->txn)
		return 0;
	lg->txn = 0;
	if (exec(lg, "COMMIT", err)) {
		sqlite3_exec(lg->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int
lq_ledger_in_txn(const struct lq_ledger *lg)
{
	return lg->txn;
}

unsigned long
lq_ledger_generation(const struct lq_ledger *lg)
{
	/* read without a transaction: every count may be stale */
	return lg->readonly ? lg->gen + 1 : lg->gen;
}

int
lq_ledger_find(struct lq_ledger *lg, const char *id, size_t n,
    struct lq_buf *route, int *found, struct lq_err *err)
{
	sqlite3_stmt *st = lg->find;
	int rc;

	*found = 0;
	if (lg->empty)
		return 0;
	sqlite3_bind_text(st, 1, id, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = 1;
		if (route)
			lq_buf_add(route, sqlite3_column_text(st, 0),
			    (size_t)sqlite3_column_bytes(st, 0));
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(lg, err, "read");
	return 0;
}

int
lq_ledger_count(struct lq_ledger *lg, const char *rep, double from,
    double to, long *n, struct lq_err *err)
{
	sqlite3_stmt *st = lg->count;
	int rc;

	*n = 0;
	if (lg->empty)
		return 0;
	sqlite3_bind_text(st, 1, rep, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)to);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return dberr(lg, err, "read");
	return 0;
}

int
lq_ledger_forget(struct lq_ledger *lg, const char *id, size_t n,
    struct lq_err *err)
{
	int rc;

	if (lg->readonly)
		return 0;
	sqlite3_bind_text(lg->del, 1, id, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(lg->del);
	sqlite3_reset(lg->del);
	sqlite3_clear_bindings(lg->del);
	lg->gen++;
	if (rc != SQLITE_DONE)
		return dberr(lg, err, "write");
	return 0;
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int
lq_ledger_record(struct lq_ledger *lg, const struct lq_assign *a,
    struct lq_err *err)
{
	sqlite3_stmt *st[2] = { lg->put, lg->log };
	double now = lq_time_now();
	int found = a->reassign;

	if (lg->readonly)
		return 0;
	for (int k = 0; k < 2; k++) {
		sqlite3_stmt *s = st[k];
		sqlite3_bind_text(s, 1, a->lead_id, (int)a->lead_idlen,
		    SQLITE_STATIC);
		bind_opt(s, 2, a->rep);
		bind_opt(s, 3, a->team);
		bind_opt(s, 4, a->queue);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)a->at);
		bind_opt(s, 6, a->tier);
		bind_opt(s, 7, a->step);
		if (k == 0)
			sqlite3_bind_int(s, 8, a->counts);
		sqlite3_bind_text(s, 9, a->route, (int)a->routelen,
		    SQLITE_STATIC);
		sqlite3_bind_int64(s, 10, (sqlite3_int64)now);
		if (k == 1)
			sqlite3_bind_text(s, 11, found ? "reassign" : "assign",
			    -1, SQLITE_STATIC);
		int rc = sqlite3_step(s);
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		if (rc != SQLITE_DONE)
			return dberr(lg, err, "write");
	}
	return 0;
}
