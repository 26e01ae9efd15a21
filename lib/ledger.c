/*
 * ledger.c - the routing ledger in SQLite (see lq_ledger.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lq_ledger.h"
#include "lq_time.h"

struct lq_ledger {
	sqlite3 *db;
	const char *path;
	int readonly, empty, txn, busy_ms;
	int immutable;		/* read-only, opened without SQLite's locks */
	struct stat seen;	/* the file then */
	unsigned long gen;
	int lite;		/* read-only, a ledger from before the v1
				   additions: none of their statements */
	sqlite3_stmt *find, *count, *put, *log, *del;
	sqlite3_stmt *by_email, *by_acct, *pend_put, *pend_del, *pend_list,
	    *pend_line, *contact, *due, *held;
	sqlite3_stmt *acct_get, *acct_put, *person, *engaged_lead,
	    *engaged_seen, *engaged_add;	/* the account roll-up */
	sqlite3_stmt *dver;	/* PRAGMA data_version */
	sqlite3_int64 dv;	/* its value at the last begin */
	int have_dv;
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

/*
 * Additions to version 1 (backward compatible: an older lq-route reads
 * and writes a ledger that has them): who a lead is (email_key, its
 * normalised e-mail) and which account (account_key), the deadline
 * (contact_by, epoch seconds) and missed deadlines (misses); the leads
 * that could not be placed (pending, with their line, decided again
 * first by the next batch); contacts reported by the CRM.
 */
static const char additions[] =
"ALTER TABLE assignment ADD COLUMN contact_by INTEGER;\n"
"ALTER TABLE assignment ADD COLUMN email_key TEXT;\n"
"ALTER TABLE assignment ADD COLUMN account_key TEXT;\n"
"ALTER TABLE assignment ADD COLUMN duplicate_of TEXT;\n"
"ALTER TABLE assignment ADD COLUMN misses INTEGER NOT NULL DEFAULT 0;\n"
"ALTER TABLE log ADD COLUMN contact_by INTEGER;\n"
"ALTER TABLE log ADD COLUMN duplicate_of TEXT;\n"
"CREATE INDEX IF NOT EXISTS assignment_email ON assignment(email_key)\n"
"  WHERE email_key IS NOT NULL;\n"
"CREATE INDEX IF NOT EXISTS assignment_account ON assignment(account_key, at)\n"
"  WHERE account_key IS NOT NULL;\n"
"CREATE INDEX IF NOT EXISTS assignment_due ON assignment(contact_by)\n"
"  WHERE rep IS NOT NULL;\n"
"CREATE TABLE IF NOT EXISTS pending (\n"
"  lead_id TEXT PRIMARY KEY NOT NULL,\n"
"  tier TEXT, rank INTEGER NOT NULL, value REAL, at INTEGER NOT NULL,\n"
"  line TEXT NOT NULL, recorded_at INTEGER NOT NULL\n"
") WITHOUT ROWID;\n"
"CREATE TABLE IF NOT EXISTS contact (\n"
"  seq INTEGER PRIMARY KEY,\n"
"  lead_id TEXT NOT NULL, at INTEGER NOT NULL, rep TEXT, outcome TEXT,\n"
"  recorded_at INTEGER NOT NULL\n"
");\n"
"CREATE INDEX IF NOT EXISTS contact_lead ON contact(lead_id, at);\n";

/*
 * The account roll-up (lq-route(1), Account roll-up): one row of
 * aggregates per account key, never a copy of its leads.  departments and
 * seniorities are JSON arrays of strings (sorted).
 */
static const char additions_rollup[] =
"CREATE TABLE IF NOT EXISTS account (\n"
"  account_key TEXT PRIMARY KEY NOT NULL,\n"
"  contacts INTEGER NOT NULL, engaged INTEGER NOT NULL,\n"
"  best_tier TEXT, departments TEXT NOT NULL, seniorities TEXT NOT NULL,\n"
"  score REAL NOT NULL, owner TEXT, owner_at INTEGER,\n"
"  first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,\n"
"  recorded_at INTEGER NOT NULL\n"
") WITHOUT ROWID;\n";

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

/* one integer from a one-row query (a PRAGMA, a count) */
static int
query_int(sqlite3 *db, const char *path, const char *sql, int *v,
    struct lq_err *err)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: cannot read ledger: "
		    "%s", path, sqlite3_errmsg(db));
	if (sqlite3_step(st) != SQLITE_ROW) {
		lq_err_set(err, LQ_EXIT_USAGE, "%s: cannot read ledger: %s",
		    path, sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* true when sql compiles: the tables and columns it names exist */
static int
compiles(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;

	sqlite3_finalize(st);
	return ok;
}

/* what a file is */
enum {
	DB_EMPTY,	/* no file, an empty one, or a database without schema */
	DB_LEDGER,	/* an lq-route ledger (of some version) */
	DB_MAYBE,	/* perhaps a ledger made before the application_id */
	DB_FOREIGN,	/* an SQLite database of something else */
	DB_NOTDB	/* not an SQLite database */
};

/*
 * What the database open on db is, read in one snapshot (a first run may
 * be creating the ledger meanwhile).  A ledger of version 1 made before
 * lq-route set its application_id is recognised by its tables; *stamped
 * says whether the application_id is there.
 */
static int
classify(sqlite3 *db, const char *path, int *kind, int *version,
    int *stamped, struct lq_err *err)
{
	int app, nobj, own = sqlite3_get_autocommit(db), rc;

	*stamped = 0;
	if (own && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: cannot read ledger: "
		    "%s", path, sqlite3_errmsg(db));
	rc = query_int(db, path, "PRAGMA application_id", &app, err) ||
	    query_int(db, path, "PRAGMA user_version", version, err) ||
	    query_int(db, path, "SELECT count(*) FROM sqlite_master", &nobj,
	    err);
	if (!rc) {
		if (app == LQ_LEDGER_APPID) {
			*kind = DB_LEDGER;
			*stamped = 1;
		} else if (app != 0)
			*kind = DB_FOREIGN;
		else if (nobj == 0 && *version == 0)
			*kind = DB_EMPTY;
		else if (*version == 1 && compiles(db, "SELECT lead_id, rep, "
		    "team, queue, at, tier, step, counts, route, recorded_at "
		    "FROM assignment") && compiles(db, "SELECT seq, lead_id, "
		    "rep, team, queue, at, tier, step, route, recorded_at, "
		    "action FROM log"))
			*kind = DB_LEDGER;
		else
			*kind = DB_FOREIGN;
	}
	if (own)
		sqlite3_exec(db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
	return rc ? -1 : 0;
}

/* the fields of the 100-byte database header that say what a file is */
struct header {
	size_t n;		/* bytes read: 0 for an empty file */
	int sqlite, wal;	/* an SQLite database; in WAL mode */
	unsigned long cookie, version, app;	/* schema cookie, user_version,
						   application_id */
};

static unsigned long
be32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
	    (unsigned long)p[2] << 8 | p[3];
}

/*
 * Read the header of path without SQLite (which would take locks and
 * create files).  A writer may be rewriting it: read until two reads
 * agree.
 */
static int
read_header(const char *path, struct header *h, struct lq_err *err)
{
	unsigned char a[100], b[100];
	ssize_t na = -1, nb = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: cannot open ledger: "
		    "%s", path, strerror(errno));
	for (int i = 0; i < 100; i++) {
		na = pread(fd, a, sizeof(a), 0);
		nb = pread(fd, b, sizeof(b), 0);
		if (na < 0 || nb < 0 || (na == nb && !memcmp(a, b,
		    (size_t)na)))
			break;
	}
	close(fd);
	if (na < 0 || nb < 0)
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: cannot read ledger: "
		    "%s", path, strerror(errno));
	memset(h, 0, sizeof(*h));
	h->n = (size_t)na;
	h->sqlite = na == sizeof(a) && !memcmp(a, "SQLite format 3", 16);
	if (!h->sqlite)
		return 0;
	h->wal = a[18] == 2 && a[19] == 2;
	h->cookie = be32(a + 40);
	h->version = be32(a + 60);
	h->app = be32(a + 68);
	return 0;
}

/*
 * What the header says the file is: DB_MAYBE when only SQL can tell (the
 * tables of a ledger made before the application_id).  While a ledger is
 * being created its header may still look empty: the caller decides again
 * under the write lock.
 */
static int
header_kind(const struct header *h, int *version)
{
	*version = (int)h->version;
	if (h->n == 0)
		return DB_EMPTY;
	if (!h->sqlite)
		return DB_NOTDB;
	if (h->app == LQ_LEDGER_APPID)
		return DB_LEDGER;
	if (h->app != 0)
		return DB_FOREIGN;
	if (h->version == 0 && h->cookie == 0)
		return DB_EMPTY;
	if (h->version == LQ_LEDGER_VERSION)
		return DB_MAYBE;
	return DB_FOREIGN;
}

/* refuse what is not a ledger lq-route may use */
static int
refuse(const char *path, int kind, int version, struct lq_err *err)
{
	if (kind == DB_NOTDB)
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: not an lq-route "
		    "ledger (not an SQLite database); lq-route changes no file "
		    "it did not create", path);
	if (kind == DB_FOREIGN)
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: not an lq-route "
		    "ledger (a database of something else); lq-route changes no "
		    "database it did not create", path);
	if (kind == DB_LEDGER && version != LQ_LEDGER_VERSION)
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: ledger schema "
		    "version %d is not supported (this lq-route knows %d)", path,
		    version, LQ_LEDGER_VERSION);
	return 0;
}

/* true when path-wal exists: some process has the database open */
static int
has_wal(const char *path)
{
	struct stat sb;
	char *wal = malloc(strlen(path) + 5);
	int r;

	if (!wal)
		abort();
	sprintf(wal, "%s-wal", path);
	r = stat(wal, &sb) == 0;
	free(wal);
	return r;
}

/* the file name as an SQLite URI with query q */
static char *
file_uri(const char *path, const char *q)
{
	static const char hex[] = "0123456789ABCDEF";
	char *u = malloc(3 * strlen(path) + strlen(q) + 16), *p = u;

	if (!u)
		abort();
	p += sprintf(p, "file:%s", path[0] == '/' ? "//" : "");
	for (const unsigned char *c = (const unsigned char *)path; *c; c++)
		if (isalnum(*c) || strchr("/._~-", *c))
			*p++ = (char)*c;
		else {
			*p++ = '%';
			*p++ = hex[*c >> 4];
			*p++ = hex[*c & 15];
		}
	sprintf(p, "?%s", q);
	return u;
}

/*
 * Open path read-only, creating nothing next to it.  A database in WAL
 * mode without a -wal file (no process has it open) is opened immutable:
 * SQLite would otherwise create the -shm file (and cannot, in a directory
 * it may not write); lq_ledger_find() opens it again when a writer comes
 * (refresh()).  Otherwise the usual locking read sees the writers' latest
 * commits.
 */
static int
open_ro(struct lq_ledger *lg, int wal, struct lq_err *err)
{
	char *uri;
	int rc;

	lg->immutable = wal && !has_wal(lg->path);
	if (lg->immutable && stat(lg->path, &lg->seen) < 0)
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: cannot open ledger: "
		    "%s", lg->path, strerror(errno));
	uri = file_uri(lg->path, lg->immutable ? "mode=ro&immutable=1" :
	    "mode=ro");
	rc = sqlite3_open_v2(uri, &lg->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	free(uri);
	if (rc != SQLITE_OK)
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: cannot open ledger: "
		    "%s", lg->path, lg->db ? sqlite3_errmsg(lg->db) :
		    "out of memory");
	sqlite3_busy_timeout(lg->db, lg->busy_ms);
	return 0;
}

static void
close_db(struct lq_ledger *lg)
{
	sqlite3_stmt **st[] = { &lg->find, &lg->count, &lg->put, &lg->log,
	    &lg->del, &lg->by_email, &lg->by_acct, &lg->pend_put,
	    &lg->pend_del, &lg->pend_list, &lg->pend_line, &lg->contact,
	    &lg->due, &lg->held, &lg->dver, &lg->acct_get, &lg->acct_put,
	    &lg->person, &lg->engaged_lead, &lg->engaged_seen,
	    &lg->engaged_add };

	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		sqlite3_finalize(*st[i]);
		*st[i] = NULL;
	}
	sqlite3_close(lg->db);
	lg->db = NULL;
	lg->immutable = 0;
}

/*
 * Switch to WAL (outside a transaction).  Two first runs switching at once
 * may get SQLITE_BUSY at once, without the busy handler: try again until
 * busy_ms has passed.
 */
static int
set_wal(struct lq_ledger *lg, struct lq_err *err)
{
	sqlite3_stmt *st;
	double until = lq_time_now() + lg->busy_ms / 1000.0;
	int rc, wal;

	for (;;) {
		if (sqlite3_prepare_v2(lg->db, "PRAGMA journal_mode=WAL", -1,
		    &st, NULL) != SQLITE_OK)
			return dberr(lg, err, "cannot open ledger");
		rc = sqlite3_step(st);
		wal = rc == SQLITE_ROW && !strcmp((const char *)
		    sqlite3_column_text(st, 0), "wal");
		sqlite3_finalize(st);
		if (wal)
			return 0;
		if ((rc & 0xff) != SQLITE_BUSY && rc != SQLITE_ROW)
			return dberr(lg, err, "cannot open ledger");
		if (lq_time_now() > until)
			return lq_err_set(err, LQ_EXIT_USAGE, "%s: cannot switch "
			    "the ledger to WAL: %s", lg->path, rc == SQLITE_ROW ?
			    "refused" : sqlite3_errmsg(lg->db));
		sqlite3_sleep(10);
	}
}

static int
setup(struct lq_ledger *lg, struct lq_err *err)
{
	int kind, v, stamped;
	char sql[80];

	/*
	 * Pages are read through a map of the first 256 MB of the file (no
	 * read() copy; the kernel's clean pages, dropped under pressure),
	 * written through the WAL as before.
	 */
	if (set_wal(lg, err) || exec(lg, "PRAGMA synchronous=NORMAL; PRAGMA "
	    "cache_size=-65536; PRAGMA mmap_size=268435456", err))
		return -1;
	/* decide and create under the write lock: first runs may race */
	if (exec(lg, "BEGIN IMMEDIATE", err))
		return -1;
	if (classify(lg->db, lg->path, &kind, &v, &stamped, err) ||
	    refuse(lg->path, kind, v, err))
		goto fail;
	if (kind == DB_EMPTY && exec(lg, schema, err))
		goto fail;
	if (!compiles(lg->db, "SELECT email_key FROM assignment") &&
	    exec(lg, additions, err))
		goto fail;
	if (!compiles(lg->db, "SELECT account_key FROM account") &&
	    exec(lg, additions_rollup, err))
		goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA "
	    "user_version = %d", LQ_LEDGER_APPID, LQ_LEDGER_VERSION);
	if (!stamped && exec(lg, sql, err))
		goto fail;
	return exec(lg, "COMMIT", err);
fail:
	sqlite3_exec(lg->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * The roll-up's statements; a read-only ledger from before the account
 * table has none (no account is known).
 */
static int
prepare_rollup(struct lq_ledger *lg, struct lq_err *err)
{
	static const char *sql[] = {
		"SELECT contacts, engaged, best_tier, departments, seniorities, "
		    "owner, owner_at, first_at, last_at FROM account WHERE "
		    "account_key = ?1",
		"SELECT 1 FROM assignment WHERE email_key = ?1 AND lead_id <> ?2 "
		    "LIMIT 1",
		"SELECT account_key, email_key FROM assignment WHERE lead_id = ?1"
		    " AND account_key IS NOT NULL",
		"SELECT 1 FROM assignment a JOIN contact c ON c.lead_id = "
		    "a.lead_id WHERE a.account_key = ?1 AND (a.lead_id = ?2 OR "
		    "a.email_key = ?3) LIMIT 1",
		/* write */
		"INSERT OR REPLACE INTO account (account_key, contacts, engaged, "
		    "best_tier, departments, seniorities, score, owner, owner_at, "
		    "first_at, last_at, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, "
		    "?6, ?7, ?8, ?9, ?10, ?11, ?12)",
		"UPDATE account SET engaged = engaged + 1, recorded_at = ?2 "
		    "WHERE account_key = ?1",
	};
	sqlite3_stmt **st[] = { &lg->acct_get, &lg->person, &lg->engaged_lead,
	    &lg->engaged_seen, &lg->acct_put, &lg->engaged_add };

	if (lg->lite || (lg->readonly && !compiles(lg->db, "SELECT "
	    "account_key, owner_at FROM account")))
		return 0;
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		if (lg->readonly && i >= 4)
			break;
		if (sqlite3_prepare_v3(lg->db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, st[i], NULL) != SQLITE_OK)
			return dberr(lg, err, "not a ledger");
	}
	return 0;
}

static int
prepare(struct lq_ledger *lg, struct lq_err *err)
{
	static const char *sql[] = {
		"SELECT route FROM assignment WHERE lead_id = ?1",
		"SELECT count(*) FROM assignment WHERE rep = ?1 AND "
		    "at >= ?2 AND at < ?3 AND counts = 1",
		/* the v1 additions: read */
		"SELECT lead_id, rep FROM assignment WHERE email_key = ?1 AND "
		    "rep IS NOT NULL AND lead_id <> ?2 ORDER BY at, lead_id "
		    "LIMIT 1",
		"SELECT lead_id, rep FROM assignment WHERE account_key = ?1 AND "
		    "rep IS NOT NULL AND at >= ?2 AND lead_id <> ?3 ORDER BY "
		    "at DESC, lead_id LIMIT 1",
		"SELECT lead_id, rank, value, at FROM pending",
		"SELECT line FROM pending WHERE lead_id = ?1",
		"SELECT lead_id, rep, team, tier, at, contact_by, misses, "
		    "route, email_key, account_key FROM assignment WHERE rep IS "
		    "NOT NULL AND contact_by IS NOT NULL AND step <> 'escalate' "
		    "AND contact_by <= ?1 AND NOT EXISTS (SELECT 1 "
		    "FROM contact c WHERE c.lead_id = assignment.lead_id AND "
		    "c.at >= assignment.at AND c.at <= ?1) ORDER BY contact_by, "
		    "lead_id",
		"SELECT DISTINCT rep FROM log WHERE lead_id = ?1 AND rep IS NOT "
		    "NULL",
		/* write */
		"INSERT OR REPLACE INTO assignment (lead_id, rep, team, queue,"
		    " at, tier, step, counts, route, recorded_at, contact_by, "
		    "email_key, account_key, duplicate_of, misses) VALUES "
		    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?12, ?13, ?14, "
		    "?15, ?16)",
		"INSERT INTO log (lead_id, rep, team, queue, at, tier, step, "
		    "route, recorded_at, action, contact_by, duplicate_of) "
		    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?9, ?10, ?11, ?12, ?15)",
		"DELETE FROM assignment WHERE lead_id = ?1",
		"INSERT OR REPLACE INTO pending (lead_id, tier, rank, value, at, "
		    "line, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		"DELETE FROM pending WHERE lead_id = ?1",
		"INSERT INTO contact (lead_id, at, rep, outcome, recorded_at) "
		    "VALUES (?1, ?2, ?3, ?4, ?5)",
	};
	sqlite3_stmt **st[] = { &lg->find, &lg->count, &lg->by_email,
	    &lg->by_acct, &lg->pend_list, &lg->pend_line, &lg->due, &lg->held,
	    &lg->put, &lg->log, &lg->del, &lg->pend_put, &lg->pend_del,
	    &lg->contact };

	lg->lite = lg->readonly && !compiles(lg->db, "SELECT email_key, "
	    "misses FROM assignment, pending, contact");
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		if (lg->readonly && i >= 8)
			break;
		if (lg->lite && i >= 2)
			break;
		if (sqlite3_prepare_v3(lg->db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, st[i], NULL) != SQLITE_OK)
			return dberr(lg, err, "not a ledger");
	}
	return prepare_rollup(lg, err);
}

/*
 * Read-only and immutable: open the ledger again when a writer has come
 * since (a -wal file now, or the database file changed), so no read mixes
 * pages from before and after a checkpoint.
 */
static int
refresh(struct lq_ledger *lg, struct lq_err *err)
{
	struct stat sb;
	struct header h;
	int kind, v, stamped;

	if (!lg->immutable)
		return 0;
	if (!has_wal(lg->path) && stat(lg->path, &sb) == 0 &&
	    sb.st_ino == lg->seen.st_ino && sb.st_dev == lg->seen.st_dev &&
	    sb.st_size == lg->seen.st_size &&
	    sb.st_mtim.tv_sec == lg->seen.st_mtim.tv_sec &&
	    sb.st_mtim.tv_nsec == lg->seen.st_mtim.tv_nsec)
		return 0;
	close_db(lg);
	if (read_header(lg->path, &h, err) || open_ro(lg, h.wal, err) ||
	    classify(lg->db, lg->path, &kind, &v, &stamped, err) ||
	    refuse(lg->path, kind, v, err))
		return -1;
	if (kind != DB_LEDGER)
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: the ledger is gone",
		    lg->path);
	return prepare(lg, err);
}

struct lq_ledger *
lq_ledger_open(const char *path, int readonly, int busy_ms,
    struct lq_err *err)
{
	struct lq_ledger *lg = calloc(1, sizeof(*lg));
	struct stat sb;
	struct header h = { 0 };
	int kind = DB_EMPTY, v = 0, stamped;

	if (!lg)
		abort();
	lg->path = path;
	lg->readonly = readonly;
	lg->busy_ms = busy_ms;
	/*
	 * Decide what the file is before anything is written to it (not even
	 * the switch to WAL): a database that is not an lq-route ledger, or a
	 * ledger of another schema version, is refused unchanged.
	 */
	if (stat(path, &sb) < 0) {
		if (errno != ENOENT) {
			lq_err_set(err, LQ_EXIT_USAGE, "%s: cannot open ledger: "
			    "%s", path, strerror(errno));
			goto fail;
		}
	} else if (!S_ISREG(sb.st_mode)) {
		lq_err_set(err, LQ_EXIT_USAGE, "%s: cannot open ledger: not a "
		    "regular file", path);
		goto fail;
	} else if (read_header(path, &h, err)) {
		goto fail;
	} else {
		kind = header_kind(&h, &v);
	}
	if (refuse(path, kind, v, err))
		goto fail;
	/*
	 * Only SQL can tell an old ledger by its tables; and while another
	 * process has the file open, the header may lag behind its -wal file.
	 */
	if (kind == DB_MAYBE || (readonly && h.sqlite && has_wal(path))) {
		if (open_ro(lg, h.wal, err) || classify(lg->db, path, &kind, &v,
		    &stamped, err) || refuse(path, kind, v, err))
			goto fail;
	}
	if (readonly) {
		if (kind == DB_EMPTY) {
			/* nothing routed yet: an empty ledger, no file made */
			close_db(lg);
			lg->empty = 1;
			return lg;
		}
		if (!lg->db && open_ro(lg, h.wal, err))
			goto fail;
	} else {
		close_db(lg);
		if (sqlite3_open_v2(path, &lg->db, SQLITE_OPEN_READWRITE |
		    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
		    SQLITE_OK) {
			lq_err_set(err, LQ_EXIT_USAGE, "%s: cannot open ledger: "
			    "%s", path, lg->db ? sqlite3_errmsg(lg->db) :
			    "out of memory");
			goto fail;
		}
		sqlite3_busy_timeout(lg->db, busy_ms);
		if (setup(lg, err))
			goto fail;
	}
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
	close_db(lg);
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
	/*
	 * Counts read before stay true unless another connection has
	 * committed since (our own writes are counted by the caller): a
	 * router that commits every few hundred leads does not count every
	 * rep's day and week again after each commit.
	 */
	if (!lg->dver && sqlite3_prepare_v3(lg->db, "PRAGMA data_version",
	    -1, SQLITE_PREPARE_PERSISTENT, &lg->dver, NULL) != SQLITE_OK) {
		lg->dver = NULL;
		lg->have_dv = 0;
	}
	if (lg->dver && sqlite3_step(lg->dver) == SQLITE_ROW) {
		sqlite3_int64 v = sqlite3_column_int64(lg->dver, 0);
		if (!lg->have_dv || v != lg->dv)
			lg->gen++;
		lg->dv = v;
		lg->have_dv = 1;
	} else {
		lg->gen++;
		lg->have_dv = 0;
	}
	if (lg->dver)
		sqlite3_reset(lg->dver);
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
		lg->gen++;	/* what was counted in it is gone */
		lg->have_dv = 0;
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
	if (refresh(lg, err))
		return -1;
	st = lg->find;
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
			sqlite3_bind_text(s, 11, a->action ? a->action : found ?
			    "reassign" : "assign", -1, SQLITE_STATIC);
		if (a->contact_by > 0)
			sqlite3_bind_int64(s, 12, (sqlite3_int64)a->contact_by);
		else
			sqlite3_bind_null(s, 12);
		if (k == 0) {
			bind_opt(s, 13, a->email_key);
			bind_opt(s, 14, a->account_key);
			sqlite3_bind_int(s, 16, a->misses);
		}
		bind_opt(s, 15, a->duplicate_of);
		int rc = sqlite3_step(s);
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		if (rc != SQLITE_DONE)
			return dberr(lg, err, "write");
	}
	return 0;
}

/* run st (bound) for one row; *row is 1 when there is one */
static int
step_one(struct lq_ledger *lg, sqlite3_stmt *st, int *row,
    struct lq_err *err)
{
	int rc = sqlite3_step(st);

	*row = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return dberr(lg, err, "read");
	}
	return 0;
}

static void
done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void
col_buf(sqlite3_stmt *st, int i, struct lq_buf *b)
{
	if (!b)
		return;
	lq_buf_reset(b);
	if (sqlite3_column_type(st, i) != SQLITE_NULL)
		lq_buf_add(b, sqlite3_column_text(st, i),
		    (size_t)sqlite3_column_bytes(st, i));
}

/*
 * Run the lookup st (bound) for one row: *found is 1 when there is one,
 * its columns 0 and 1 into c0 and c1 (NULL: not read).
 */
static int
lookup(struct lq_ledger *lg, sqlite3_stmt *st, int *found, struct lq_buf *c0,
    struct lq_buf *c1, struct lq_err *err)
{
	if (step_one(lg, st, found, err))
		return -1;
	if (*found) {
		col_buf(st, 0, c0);
		col_buf(st, 1, c1);
	}
	done(st);
	return 0;
}

/*
 * The first lead (and its rep) of the lookup *which (by_email, or by_acct
 * when since is not NULL: from *since on) by key, other than id[0..n).
 */
static int
find_holder(struct lq_ledger *lg, sqlite3_stmt **which, const char *key,
    const double *since, const char *id, size_t n, struct lq_buf *lead,
    struct lq_buf *rep, int *found, struct lq_err *err)
{
	sqlite3_stmt *st;
	int i = 2;

	*found = 0;
	if (lg->empty || lg->lite || refresh(lg, err))
		return lg->empty || lg->lite ? 0 : -1;
	st = *which;	/* after refresh(), which may prepare it again */
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (since)
		sqlite3_bind_int64(st, i++, (sqlite3_int64)*since);
	sqlite3_bind_text(st, i, id, (int)n, SQLITE_STATIC);
	return lookup(lg, st, found, lead, rep, err);
}

int
lq_ledger_find_email(struct lq_ledger *lg, const char *key, const char *id,
    size_t n, struct lq_buf *lead, struct lq_buf *rep, int *found,
    struct lq_err *err)
{
	return find_holder(lg, &lg->by_email, key, NULL, id, n, lead, rep,
	    found, err);
}

int
lq_ledger_find_account(struct lq_ledger *lg, const char *key, double since,
    const char *id, size_t n, struct lq_buf *lead, struct lq_buf *rep,
    int *found, struct lq_err *err)
{
	return find_holder(lg, &lg->by_acct, key, &since, id, n, lead, rep,
	    found, err);
}

int
lq_ledger_pending_put(struct lq_ledger *lg, const char *id, size_t n,
    const char *tier, long rank, double value, double at, const char *line,
    size_t len, struct lq_err *err)
{
	sqlite3_stmt *st = lg->pend_put;
	int rc;

	if (lg->readonly)
		return 0;
	sqlite3_bind_text(st, 1, id, (int)n, SQLITE_STATIC);
	bind_opt(st, 2, tier);
	sqlite3_bind_int64(st, 3, rank);
	sqlite3_bind_double(st, 4, value);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)at);
	sqlite3_bind_text(st, 6, line, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)lq_time_now());
	rc = sqlite3_step(st);
	done(st);
	return rc == SQLITE_DONE ? 0 : dberr(lg, err, "write");
}

int
lq_ledger_pending_del(struct lq_ledger *lg, const char *id, size_t n,
    struct lq_err *err)
{
	sqlite3_stmt *st = lg->pend_del;
	int rc;

	if (lg->readonly)
		return 0;
	sqlite3_bind_text(st, 1, id, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(st);
	done(st);
	return rc == SQLITE_DONE ? 0 : dberr(lg, err, "write");
}

int
lq_ledger_pending_each(struct lq_ledger *lg,
    int (*fn)(void *, const char *, size_t, long, double, double), void *arg,
    struct lq_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (lg->empty || lg->lite || refresh(lg, err))
		return lg->empty || lg->lite ? 0 : -1;
	st = lg->pend_list;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0),
		    (long)sqlite3_column_int64(st, 1),
		    sqlite3_column_double(st, 2),
		    (double)sqlite3_column_int64(st, 3)) < 0)
			break;
	done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(lg, err, "read");
	return 0;
}

int
lq_ledger_pending_line(struct lq_ledger *lg, const char *id, size_t n,
    struct lq_buf *line, int *found, struct lq_err *err)
{
	sqlite3_stmt *st;

	*found = 0;
	if (lg->empty || lg->lite || refresh(lg, err))
		return lg->empty || lg->lite ? 0 : -1;
	st = lg->pend_line;
	sqlite3_bind_text(st, 1, id, (int)n, SQLITE_STATIC);
	return lookup(lg, st, found, line, NULL, err);
}

/*
 * A contact with lead id[0..n) is coming: when the lead is in an account
 * of the roll-up and the person (the lead, or another lead with its
 * e-mail key) had no contact yet, the account has one more engaged
 * contact.
 */
static int
engage(struct lq_ledger *lg, const char *id, size_t n, struct lq_err *err)
{
	struct lq_buf acct = LQ_BUF_INIT, email = LQ_BUF_INIT;
	int row, rc = -1;

	if (!lg->engaged_lead)
		return 0;
	sqlite3_bind_text(lg->engaged_lead, 1, id, (int)n, SQLITE_STATIC);
	if (lookup(lg, lg->engaged_lead, &row, &acct, &email, err))
		return -1;
	if (!row) {
		rc = 0;
		goto out;
	}
	lq_buf_addc(&acct, '\0');
	lq_buf_addc(&email, '\0');
	sqlite3_bind_text(lg->engaged_seen, 1, acct.buf, -1, SQLITE_STATIC);
	sqlite3_bind_text(lg->engaged_seen, 2, id, (int)n, SQLITE_STATIC);
	if (email.len > 1)
		sqlite3_bind_text(lg->engaged_seen, 3, email.buf, -1,
		    SQLITE_STATIC);
	if (lookup(lg, lg->engaged_seen, &row, NULL, NULL, err))
		goto out;
	if (!row) {
		sqlite3_bind_text(lg->engaged_add, 1, acct.buf, -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(lg->engaged_add, 2, (sqlite3_int64)
		    lq_time_now());
		int r = sqlite3_step(lg->engaged_add);
		done(lg->engaged_add);
		if (r != SQLITE_DONE) {
			dberr(lg, err, "write");
			goto out;
		}
	}
	rc = 0;
out:
	lq_buf_release(&acct);
	lq_buf_release(&email);
	return rc;
}

int
lq_ledger_contact(struct lq_ledger *lg, const char *id, size_t n, double at,
    const char *rep, const char *outcome, struct lq_err *err)
{
	sqlite3_stmt *st = lg->contact;
	int rc;

	if (lg->readonly)
		return 0;
	if (engage(lg, id, n, err))
		return -1;
	sqlite3_bind_text(st, 1, id, (int)n, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)at);
	bind_opt(st, 3, rep);
	bind_opt(st, 4, outcome);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)lq_time_now());
	rc = sqlite3_step(st);
	done(st);
	return rc == SQLITE_DONE ? 0 : dberr(lg, err, "write");
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	char *s;

	if (!t)
		return NULL;
	if (!(s = strdup((const char *)t)))
		abort();
	return s;
}

int
lq_ledger_due(struct lq_ledger *lg, double now, struct lq_due **out,
    size_t *nout, struct lq_err *err)
{
	sqlite3_stmt *st;
	size_t n = 0, cap = 0;
	struct lq_due *d = NULL;
	int rc;

	*out = NULL;
	*nout = 0;
	if (lg->empty || lg->lite || refresh(lg, err))
		return lg->empty || lg->lite ? 0 : -1;
	st = lg->due;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			if (!(d = realloc(d, cap * sizeof(*d))))
				abort();
		}
		struct lq_due *x = &d[n++];
		x->lead_id = col_dup(st, 0);
		x->rep = col_dup(st, 1);
		x->team = col_dup(st, 2);
		x->tier = col_dup(st, 3);
		x->at = (double)sqlite3_column_int64(st, 4);
		x->contact_by = (double)sqlite3_column_int64(st, 5);
		x->misses = sqlite3_column_int(st, 6);
		x->route = col_dup(st, 7);
		x->email_key = col_dup(st, 8);
		x->account_key = col_dup(st, 9);
	}
	done(st);
	*out = d;
	*nout = n;
	if (rc != SQLITE_DONE) {
		lq_ledger_due_free(d, n);
		*out = NULL;
		*nout = 0;
		return dberr(lg, err, "read");
	}
	return 0;
}

void
lq_ledger_due_free(struct lq_due *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].lead_id);
		free(d[i].rep);
		free(d[i].team);
		free(d[i].tier);
		free(d[i].route);
		free(d[i].email_key);
		free(d[i].account_key);
	}
	free(d);
}

int
lq_ledger_held_by(struct lq_ledger *lg, const char *id, const char *rep,
    int *held, struct lq_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*held = 0;
	if (lg->empty || lg->lite)
		return 0;
	st = lg->held;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (!strcmp((const char *)sqlite3_column_text(st, 0), rep))
			*held = 1;
	done(st);
	if (rc != SQLITE_DONE)
		return dberr(lg, err, "read");
	return 0;
}

int
lq_ledger_account_get(struct lq_ledger *lg, const char *key,
    struct lq_account *a, int *found, struct lq_err *err)
{
	sqlite3_stmt *st;

	*found = 0;
	a->contacts = a->engaged = 0;
	a->best_tier[0] = '\0';
	lq_buf_reset(&a->departments);
	lq_buf_reset(&a->seniorities);
	lq_buf_reset(&a->owner);
	a->owner_at = a->first_at = a->last_at = 0;
	if (lg->empty || !lg->acct_get)
		return 0;
	if (refresh(lg, err))
		return -1;
	if (!(st = lg->acct_get))
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (step_one(lg, st, found, err))
		return -1;
	if (*found) {
		const unsigned char *t = sqlite3_column_text(st, 2);
		a->contacts = (long)sqlite3_column_int64(st, 0);
		a->engaged = (long)sqlite3_column_int64(st, 1);
		snprintf(a->best_tier, sizeof(a->best_tier), "%s", t ?
		    (const char *)t : "");
		col_buf(st, 3, &a->departments);
		col_buf(st, 4, &a->seniorities);
		col_buf(st, 5, &a->owner);
		a->owner_at = (double)sqlite3_column_int64(st, 6);
		a->first_at = (double)sqlite3_column_int64(st, 7);
		a->last_at = (double)sqlite3_column_int64(st, 8);
	}
	done(st);
	return 0;
}

int
lq_ledger_account_put(struct lq_ledger *lg, const char *key,
    const struct lq_account *a, double score, struct lq_err *err)
{
	sqlite3_stmt *st = lg->acct_put;
	int rc;

	if (lg->readonly || !st)
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, a->contacts);
	sqlite3_bind_int64(st, 3, a->engaged);
	bind_opt(st, 4, a->best_tier[0] ? a->best_tier : NULL);
	sqlite3_bind_text(st, 5, a->departments.len ? a->departments.buf :
	    "[]", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, a->seniorities.len ? a->seniorities.buf :
	    "[]", -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 7, score);
	if (a->owner.len) {
		sqlite3_bind_text(st, 8, a->owner.buf, (int)a->owner.len,
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 9, (sqlite3_int64)a->owner_at);
	}
	sqlite3_bind_int64(st, 10, (sqlite3_int64)a->first_at);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)a->last_at);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)lq_time_now());
	rc = sqlite3_step(st);
	done(st);
	return rc == SQLITE_DONE ? 0 : dberr(lg, err, "write");
}

int
lq_ledger_person_seen(struct lq_ledger *lg, const char *email_key,
    const char *id, size_t n, int *seen, struct lq_err *err)
{
	sqlite3_stmt *st;

	*seen = 0;
	if (lg->empty || !lg->person)
		return 0;
	if (refresh(lg, err))
		return -1;
	if (!(st = lg->person))
		return 0;
	sqlite3_bind_text(st, 1, email_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, (int)n, SQLITE_STATIC);
	return lookup(lg, st, seen, NULL, NULL, err);
}
