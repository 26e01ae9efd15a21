/*
 * enrich_cache.c - the SQLite cache of source answers (lq-enrich(1),
 * CACHE): one row per source and key, the answer's JSON text (NULL for
 * "not found") and when it was fetched.  WAL journal and a busy timeout
 * let several lq-enrich processes share one file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "lq_enrich.h"

#define CACHE_APPID 0x6c716563	/* "lqec": PRAGMA application_id */
#define CACHE_APPID_STR "1819370851"
#define BUSY_MS 30000

struct lq_ecache {
	sqlite3 *db;
	sqlite3_stmt *get, *put;
	int intx;		/* in a read transaction */
	int reads;		/* lookups in it */
};

/* lookups per read transaction: one lock for many (WAL readers never
   block writers; a write ends it) */
#define READS_PER_TX 1000

static void
end_tx(struct lq_ecache *c)
{
	if (c->intx)
		sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	c->intx = 0;
}

static int
db_err(struct lq_ecache *c, const char *path, const char *what,
    struct lq_err *err)
{
	return lq_err_set(err, LQ_EXIT_USAGE, "cache %s: %s: %s", path, what,
	    c->db ? sqlite3_errmsg(c->db) : "out of memory");
}

struct lq_ecache *
lq_ecache_open(const char *path, struct lq_err *err)
{
	struct lq_ecache *c = calloc(1, sizeof(*c));
	const char *p = path ? path : "";	/* "": a private temporary file */
	sqlite3_stmt *st = NULL;
	struct stat sb;
	int appid = 0, ntab = 0;

	if (!c)
		abort();
	if (path && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		lq_err_set(err, LQ_EXIT_USAGE, "cache %s: not a regular file",
		    path);
		free(c);
		return NULL;
	}
	if (sqlite3_open_v2(p, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		db_err(c, p, "cannot open", err);
		goto fail;
	}
	sqlite3_busy_timeout(c->db, BUSY_MS);
	/* an existing file must be one of ours (or empty): never modify
	   another database */
	if (sqlite3_prepare_v2(c->db, "PRAGMA application_id", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		db_err(c, p, "not an SQLite database", err);
		goto fail;
	}
	appid = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(c->db, "SELECT count(*) FROM sqlite_master",
	    -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		db_err(c, p, "cannot read", err);
		goto fail;
	}
	ntab = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (appid != CACHE_APPID && (appid != 0 || ntab != 0)) {
		lq_err_set(err, LQ_EXIT_USAGE, "cache %s: a database lq-enrich "
		    "did not make; it is left alone (set cache: to another "
		    "path)", p);
		goto fail;
	}
	if (sqlite3_exec(c->db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=NORMAL;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, "BEGIN IMMEDIATE;"
	    "PRAGMA application_id=" CACHE_APPID_STR ";"
	    "CREATE TABLE IF NOT EXISTS answers (source TEXT NOT NULL, "
	    "key TEXT NOT NULL, answer TEXT, fetched REAL NOT NULL, "
	    "PRIMARY KEY (source, key)) WITHOUT ROWID;"
	    "COMMIT;", NULL, NULL, NULL) != SQLITE_OK) {
		db_err(c, p, "cannot create", err);
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	if (sqlite3_prepare_v3(c->db, "SELECT answer, fetched FROM answers "
	    "WHERE source = ?1 AND key = ?2", -1, SQLITE_PREPARE_PERSISTENT,
	    &c->get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(c->db, "INSERT OR REPLACE INTO answers "
	    "(source, key, answer, fetched) VALUES (?1, ?2, ?3, ?4)", -1,
	    SQLITE_PREPARE_PERSISTENT, &c->put, NULL) != SQLITE_OK) {
		db_err(c, p, "cannot prepare", err);
		goto fail;
	}
	return c;
fail:
	sqlite3_finalize(st);
	lq_ecache_free(c);
	return NULL;
}

void
lq_ecache_free(struct lq_ecache *c)
{
	if (!c)
		return;
	end_tx(c);
	sqlite3_finalize(c->get);
	sqlite3_finalize(c->put);
	sqlite3_close(c->db);
	free(c);
}

int
lq_ecache_get(struct lq_ecache *c, const char *src, const char *k, size_t n,
    struct lq_buf *answer, double *fetched)
{
	int rc = -1;

	if (!c->intx && sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) ==
	    SQLITE_OK) {
		c->intx = 1;
		c->reads = 0;
	}
	sqlite3_bind_text(c->get, 1, src, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->get, 2, k, (int)n, SQLITE_STATIC);
	if (sqlite3_step(c->get) == SQLITE_ROW) {
		*fetched = sqlite3_column_double(c->get, 1);
		if (sqlite3_column_type(c->get, 0) == SQLITE_NULL) {
			rc = 0;
		} else {
			const void *t = sqlite3_column_text(c->get, 0);
			int tn = sqlite3_column_bytes(c->get, 0);
			lq_buf_reset(answer);
			lq_buf_add(answer, t, (size_t)tn);
			rc = 1;
		}
	}
	sqlite3_reset(c->get);
	sqlite3_clear_bindings(c->get);
	if (++c->reads >= READS_PER_TX)
		end_tx(c);
	return rc;
}

int
lq_ecache_put(struct lq_ecache *c, const char *src, const char *k, size_t n,
    const char *answer, size_t an, double fetched, struct lq_err *err)
{
	int rc;

	end_tx(c);
	sqlite3_bind_text(c->put, 1, src, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->put, 2, k, (int)n, SQLITE_STATIC);
	if (answer)
		sqlite3_bind_text(c->put, 3, answer, (int)an, SQLITE_STATIC);
	else
		sqlite3_bind_null(c->put, 3);
	sqlite3_bind_double(c->put, 4, fetched);
	rc = sqlite3_step(c->put);
	sqlite3_reset(c->put);
	sqlite3_clear_bindings(c->put);
	if (rc != SQLITE_DONE)
		return lq_err_set(err, LQ_EXIT_IO, "cache: cannot write: %s",
		    sqlite3_errmsg(c->db));
	return 0;
}
