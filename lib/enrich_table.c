/*
 * enrich_table.c - lookup tables (CSV or NDJSON) keyed by domain, with a
 * company-name index; held in memory or in a SQLite index file that is
 * built once and reused while the table's size and mtime are unchanged.
 *
 * A row is kept as the text of a JSON object's members (no braces), ready
 * to be spliced into the output: a CSV cell that is a JSON number becomes
 * a number, an empty cell null, a "split" column an array.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lq_csv.h"
#include "lq_enrich.h"

#define INDEX_FORMAT "lq-enrich-index 3"
#define INDEX_APPID 0x6c716978	/* "lqix": PRAGMA application_id */
#define APPID_STR "1819371896"	/* INDEX_APPID in decimal */
#define AUTO_SQLITE_BYTES (4L << 20)
#define MAX_DUP_WARN 5

struct mrow {
	size_t joff, jlen, koff, klen;
	long line;
	long samename;		/* the row before with this ambiguous name,
				   or -1 */
};

struct lq_etable {
	struct lq_etable_opts o;
	char *cache;
	long rows, dups, nonames;
	int nowrite;		/* the index file could not be created */
	/* memory */
	struct lq_buf arena;
	struct mrow *r;
	size_t nr, rcap;
	struct lq_smap keys, names;
	struct lq_smap lastsame;	/* ambiguous name -> its last row */
	/* sqlite */
	sqlite3 *db;
	sqlite3_stmt *ins_key, *ins_row, *ins_name, *line_of, *upd_key;
	sqlite3_stmt *name_of, *ins_same;
	sqlite3_stmt *q_key, *q_name, *q_nameid, *q_same;
	/* loading */
	struct lq_buf *warn, warnlog;
	struct lq_buf key, name, json;
};

/* ---- names and keys --------------------------------------------------- */

static const char *const legal[] = {
	"inc", "incorporated", "corp", "corporation", "co", "company", "llc",
	"ltd", "limited", "gmbh", "ag", "kg", "sa", "sas", "sarl", "srl",
	"spa", "bv", "nv", "plc", "pty", "pte", "pvt", "oy", "oyj", "ab",
	"as", "asa", "aps", "kk", "llp", "lp", "ug", "se", "sl", "sro",
	"zoo", "oo", "z", "sp", "ltda", "cv", "de", "sdn", "bhd", "ou", "oü",
	"oÜ", "holding", "holdings", "group", NULL
};

static int
is_legal(const char *w, size_t n)
{
	for (int i = 0; legal[i]; i++)
		if (strlen(legal[i]) == n && !memcmp(legal[i], w, n))
			return 1;
	return 0;
}

void
lq_name_normalise(struct lq_buf *out, const char *s, size_t n)
{
	size_t start = out->len, i;
	struct lq_buf t = LQ_BUF_INIT;

	/* "s.a." and "s. a." should lose their dots before splitting */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c >= 0x80)
			lq_buf_addc(&t, tolower(c));
		else if (c == '.' || c == '\'')
			continue;
		else if (c == '&')
			lq_buf_adds(&t, " and ");
		else
			lq_buf_addc(&t, ' ');
	}
	/* words, dropping legal suffixes from the end and a leading "the" */
	const char *w[64];
	size_t wn[64], nw = 0;
	for (i = 0; i < t.len && nw < 64;) {
		while (i < t.len && t.buf[i] == ' ')
			i++;
		if (i >= t.len)
			break;
		w[nw] = t.buf + i;
		while (i < t.len && t.buf[i] != ' ')
			i++;
		wn[nw] = (size_t)(t.buf + i - w[nw]);
		nw++;
	}
	while (nw > 1 && is_legal(w[nw - 1], wn[nw - 1]))
		nw--;
	if (nw > 1 && nw && wn[nw - 1] == 3 && !memcmp(w[nw - 1], "and", 3))
		nw--;
	i = 0;
	if (nw > 1 && wn[0] == 3 && !memcmp(w[0], "the", 3))
		i = 1;
	for (; i < nw; i++) {
		if (out->len > start)
			lq_buf_addc(out, ' ');
		lq_buf_add(out, w[i], wn[i]);
	}
	if (!out->buf)
		lq_buf_adds(out, "");
	lq_buf_release(&t);
}

/* A table's domain cell as a lookup key: lowercase, no scheme, no www. */
static void
key_normalise(struct lq_buf *out, const char *s, size_t n)
{
	const char *p;

	lq_buf_reset(out);
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if ((p = memchr(s, ':', n)) && p + 3 <= s + n && p[1] == '/' &&
	    p[2] == '/') {
		n -= (size_t)(p + 3 - s);
		s = p + 3;
	}
	if ((p = memchr(s, '/', n)))
		n = (size_t)(p - s);
	if ((p = memchr(s, '@', n))) {
		n -= (size_t)(p + 1 - s);
		s = p + 1;
	}
	while (n && s[n - 1] == '.')
		n--;
	if (n > 4 && !strncasecmp(s, "www.", 4))
		s += 4, n -= 4;
	if (lq_domain_to_ascii(out, s, n)) {
		lq_buf_reset(out);
		for (size_t i = 0; i < n; i++)
			lq_buf_addc(out, tolower((unsigned char)s[i]));
	}
	if (!out->buf)
		lq_buf_adds(out, "");
}

/* ---- rendering -------------------------------------------------------- */

static int
is_number(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n || !isdigit((unsigned char)s[i]))
		return 0;
	if (s[i] == '0' && i + 1 < n && isdigit((unsigned char)s[i + 1]))
		return 0;
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	if (i < n && s[i] == '.') {
		if (++i >= n || !isdigit((unsigned char)s[i]))
			return 0;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !isdigit((unsigned char)s[i]))
			return 0;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	}
	return i == n;
}

static void
render_cell(struct lq_buf *out, const char *s, size_t n, int split)
{
	if (split) {
		size_t i = 0, first = 1;
		lq_buf_addc(out, '[');
		while (i < n) {
			size_t j = i;
			while (j < n && s[j] != ';')
				j++;
			size_t a = i, b = j;
			while (a < b && isspace((unsigned char)s[a]))
				a++;
			while (b > a && isspace((unsigned char)s[b - 1]))
				b--;
			if (b > a) {
				if (!first)
					lq_buf_addc(out, ',');
				first = 0;
				lq_json_str_lossy(out, s + a, b - a);
			}
			i = j + 1;
		}
		lq_buf_addc(out, ']');
	} else if (!n) {
		lq_buf_adds(out, "null");
	} else if (is_number(s, n) && n < 16) {
		lq_buf_add(out, s, n);
	} else {
		lq_json_str_lossy(out, s, n);
	}
}

/* ---- sinks: memory or SQLite ------------------------------------------ */

static void
warnf(struct lq_etable *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
warnf(struct lq_etable *t, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lq_buf_adds(&t->warnlog, msg);
	lq_buf_addc(&t->warnlog, '\n');
}

static void
dup_warn(struct lq_etable *t, long line, long first)
{
	if (++t->dups > MAX_DUP_WARN)
		return;
	warnf(t, "%s:%ld: duplicate %s '%s' (first at line %ld); keeping "
	    "the %s", t->o.path, line, t->o.key, t->key.buf, first,
	    t->o.dups == LQ_DUPS_LAST ? "last" : "first");
}

static int
mem_add(struct lq_etable *t, long line, struct lq_err *err)
{
	long old;
	struct mrow *r;

	if (t->nr == t->rcap) {
		t->rcap = t->rcap ? t->rcap * 2 : 256;
		t->r = realloc(t->r, t->rcap * sizeof(*t->r));
		if (!t->r)
			abort();
	}
	r = &t->r[t->nr];
	r->line = line;
	r->samename = -1;
	r->joff = t->arena.len;
	r->jlen = t->json.len;
	lq_buf_add(&t->arena, t->json.buf, t->json.len);
	r->koff = t->arena.len;
	r->klen = t->key.len;
	lq_buf_add(&t->arena, t->key.buf, t->key.len);
	if (t->key.len && !lq_smap_put(&t->keys, t->key.buf, t->key.len,
	    (long)t->nr, &old)) {
		if (t->o.dups == LQ_DUPS_ERROR)
			return lq_err_at(err, t->o.path, (int)line, 0,
			    "duplicate %s '%s' (first at line %ld)", t->o.key,
			    t->key.buf, t->r[old].line);
		dup_warn(t, line, t->r[old].line);
		if (t->o.dups == LQ_DUPS_LAST)
			lq_smap_set(&t->keys, t->key.buf, t->key.len,
			    (long)t->nr);
		else
			return 0;	/* row not kept */
	}
	if (t->name.len && !lq_smap_put(&t->names, t->name.buf, t->name.len,
	    (long)t->nr, &old)) {
		struct mrow *o = old >= 0 ? &t->r[old] : NULL;
		/* two rows, not one row twice: the name is ambiguous; its
		   rows are chained for lq_etable_each_row() */
		if (!o || !r->klen || o->klen != r->klen ||
		    memcmp(t->arena.buf + o->koff, t->arena.buf + r->koff,
		    r->klen)) {
			lq_smap_set(&t->names, t->name.buf, t->name.len, -1);
			if (!o && !lq_smap_get(&t->lastsame, t->name.buf,
			    t->name.len, &old))
				old = -1;
			r->samename = old;
			lq_smap_set(&t->lastsame, t->name.buf, t->name.len,
			    (long)t->nr);
		} else if (t->o.dups == LQ_DUPS_LAST)
			lq_smap_set(&t->names, t->name.buf, t->name.len,
			    (long)t->nr);
	}
	t->nr++;
	t->rows++;
	return 0;
}

static int
sql_fail(struct lq_etable *t, struct lq_err *err, const char *what)
{
	return lq_err_set(err, LQ_EXIT_USAGE, "%s: index %s: %s", t->o.path,
	    what, t->db ? sqlite3_errmsg(t->db) : "cannot open");
}

static int
step(struct lq_etable *t, sqlite3_stmt *s, struct lq_err *err)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : sql_fail(t, err, "insert");
}

/* row id has the ambiguous name t->name */
static int
same_add(struct lq_etable *t, sqlite3_int64 id, struct lq_err *err)
{
	sqlite3_stmt *s = t->ins_same;

	sqlite3_bind_text(s, 1, t->name.buf, (int)t->name.len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, id);
	return step(t, s, err);
}

static int
sql_add(struct lq_etable *t, long line, struct lq_err *err)
{
	sqlite3_int64 id = (sqlite3_int64)t->nr++;
	sqlite3_stmt *s;

	if (t->key.len) {
		s = t->ins_key;
		sqlite3_bind_text(s, 1, t->key.buf, (int)t->key.len,
		    SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, id);
		if (step(t, s, err))
			return -1;
		if (!sqlite3_changes(t->db)) {
			long first = 0;
			s = t->line_of;
			sqlite3_bind_text(s, 1, t->key.buf, (int)t->key.len,
			    SQLITE_STATIC);
			if (sqlite3_step(s) == SQLITE_ROW)
				first = sqlite3_column_int64(s, 0);
			sqlite3_reset(s);
			if (t->o.dups == LQ_DUPS_ERROR)
				return lq_err_at(err, t->o.path, (int)line, 0,
				    "duplicate %s '%s' (first at line %ld)",
				    t->o.key, t->key.buf, first);
			dup_warn(t, line, first);
			if (t->o.dups != LQ_DUPS_LAST)
				return 0;
			s = t->upd_key;
			sqlite3_bind_text(s, 1, t->key.buf, (int)t->key.len,
			    SQLITE_STATIC);
			sqlite3_bind_int64(s, 2, id);
			if (step(t, s, err))
				return -1;
		}
	}
	s = t->ins_row;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, line);
	sqlite3_bind_text(s, 3, t->json.buf, (int)t->json.len, SQLITE_STATIC);
	if (step(t, s, err))
		return -1;
	if (t->name.len) {
		/* a name shared by two rows with different keys: its rows
		   go to samenames too (as the upsert below decides) */
		s = t->name_of;
		sqlite3_bind_text(s, 1, t->name.buf, (int)t->name.len,
		    SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW) {
			const char *k = (const char *)sqlite3_column_text(s, 0);
			int same = k && t->key.len && strlen(k) == t->key.len &&
			    !memcmp(k, t->key.buf, t->key.len);
			int had = sqlite3_column_type(s, 1) != SQLITE_NULL;
			sqlite3_int64 first = sqlite3_column_int64(s, 1);
			sqlite3_reset(s);
			if (!same && ((had && same_add(t, first, err)) ||
			    same_add(t, id, err)))
				return -1;
		} else
			sqlite3_reset(s);
		s = t->ins_name;
		sqlite3_bind_text(s, 1, t->name.buf, (int)t->name.len,
		    SQLITE_STATIC);
		sqlite3_bind_text(s, 2, t->key.buf, (int)t->key.len,
		    SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, id);
		sqlite3_bind_int(s, 4, t->o.dups == LQ_DUPS_LAST);
		if (step(t, s, err))
			return -1;
	}
	t->rows++;
	return 0;
}

static int
add_row(struct lq_etable *t, long line, struct lq_err *err)
{
	if (!t->key.len && !t->name.len) {
		t->nonames++;
		return 0;
	}
	return t->db ? sql_add(t, line, err) : mem_add(t, line, err);
}

/* ---- sources: CSV and NDJSON ------------------------------------------ */

/* the header of a CSV table */
struct csvhead {
	char **cols;		/* rendered "name": prefixes */
	char **names;		/* the names, for messages */
	int *split;
	size_t ncols;
	long keyi, namei;
};

static int
csv_header(struct lq_etable *t, const struct lq_csv *c, struct csvhead *h,
    struct lq_err *err)
{
	struct lq_buf b = LQ_BUF_INIT;

	h->ncols = c->nf;
	h->cols = calloc(c->nf + 1, sizeof(*h->cols));
	h->names = calloc(c->nf + 1, sizeof(*h->names));
	h->split = calloc(c->nf + 1, sizeof(*h->split));
	if (!h->cols || !h->names || !h->split)
		abort();
	h->keyi = h->namei = -1;
	for (size_t i = 0; i < c->nf; i++) {
		size_t hn;
		const char *hd = lq_csv_field(c, i, &hn);
		while (hn && isspace((unsigned char)*hd))
			hd++, hn--;
		while (hn && isspace((unsigned char)hd[hn - 1]))
			hn--;
		lq_buf_reset(&b);
		lq_json_str_lossy(&b, hd, hn);
		lq_buf_addc(&b, ':');
		if (!(h->cols[i] = strdup(b.buf)) ||
		    !(h->names[i] = strndup(hd, hn)))
			abort();
		if (strlen(t->o.key) == hn && !memcmp(t->o.key, hd, hn))
			h->keyi = (long)i;
		if (t->o.namecol && strlen(t->o.namecol) == hn &&
		    !memcmp(t->o.namecol, hd, hn))
			h->namei = (long)i;
		for (int k = 0; k < t->o.nsplit; k++)
			if (strlen(t->o.split[k]) == hn &&
			    !memcmp(t->o.split[k], hd, hn))
				h->split[i] = 1;
	}
	lq_buf_release(&b);
	if (h->keyi < 0)
		return lq_err_at(err, t->o.path, (int)c->line, 0, "no column "
		    "'%s' (the table's key)", t->o.key);
	if (t->o.namecol && h->namei < 0)
		return lq_err_at(err, t->o.path, (int)c->line, 0, "no column "
		    "'%s' (the table's name column)", t->o.namecol);
	return 0;
}

static int
csv_row(struct lq_etable *t, const struct lq_csv *c, const struct csvhead *h,
    struct lq_err *err)
{
	const char *f;
	size_t n;

	lq_buf_reset(&t->json);
	for (size_t i = 0; i < h->ncols; i++) {
		if (i)
			lq_buf_addc(&t->json, ',');
		lq_buf_adds(&t->json, h->cols[i]);
		f = lq_csv_field(c, i, &n);
		render_cell(&t->json, f, n, h->split[i]);
	}
	f = lq_csv_field(c, (size_t)h->keyi, &n);
	key_normalise(&t->key, f, n);
	lq_buf_reset(&t->name);
	if (h->namei >= 0) {
		f = lq_csv_field(c, (size_t)h->namei, &n);
		lq_name_normalise(&t->name, f, n);
	}
	return add_row(t, c->line, err);
}

/*
 * A CSV table, read as lq-csv reads CSV (RFC 4180, comma-separated): a
 * row with the wrong number of fields or a misplaced quote is an error at
 * its line, never a row guessed at, merged or cut short.
 */
static int
load_csv(struct lq_etable *t, struct lq_err *err)
{
	struct lq_csv c;
	struct csvhead h;
	char msg[512];
	const char *why;
	long at;
	int got, rc = 0, header = 1;

	memset(&h, 0, sizeof(h));
	if (lq_csv_open(&c, t->o.path, err) < 0) {
		err->code = LQ_EXIT_USAGE;
		return -1;
	}
	c.delim = ',';
	while ((got = lq_csv_next(&c, err)) > 0) {
		if ((why = lq_csv_problem(&c, header ? 0 : h.ncols,
		    header ? NULL : h.names, msg, sizeof(msg), &at))) {
			if (c.last > c.line)
				rc = lq_err_at(err, t->o.path, (int)at, 0,
				    "%s (lines %ld-%ld)", why, c.line, c.last);
			else
				rc = lq_err_at(err, t->o.path, (int)at, 0,
				    "%s", why);
			break;
		}
		if (header) {
			header = 0;
			if ((rc = csv_header(t, &c, &h, err)))
				break;
			continue;
		}
		if ((rc = csv_row(t, &c, &h, err)))
			break;
	}
	if (got < 0) {
		err->code = LQ_EXIT_USAGE;
		rc = -1;
	} else if (!rc && header)
		rc = lq_err_at(err, t->o.path, 1, 0, "empty table (no header)");
	lq_csv_close(&c);
	for (size_t i = 0; i < h.ncols; i++) {
		free(h.cols[i]);
		free(h.names[i]);
	}
	free(h.cols);
	free(h.names);
	free(h.split);
	return rc;
}

/* The decoded string member key of a scanned object, or -1. */
static int
member_str(const struct lq_scan *s, const char *line, const char *key,
    struct lq_buf *out)
{
	long i = lq_scan_find(s, line, key, strlen(key));

	lq_buf_reset(out);
	if (i < 0 || s->m[i].vkind != LQ_J_STRING)
		return -1;
	lq_json_unescape(out, line + s->m[i].vstart,
	    s->m[i].vend - s->m[i].vstart);
	return 0;
}

static int
load_ndjson(struct lq_etable *t, FILE *fp, struct lq_err *err)
{
	struct lq_scan s = LQ_SCAN_INIT;
	struct lq_buf v = LQ_BUF_INIT;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long ln = 0;
	int rc = 0;

	while ((n = getline(&line, &cap, fp)) > 0) {
		ln++;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		size_t b = 0;
		while (b < (size_t)n && isspace((unsigned char)line[b]))
			b++;
		if (b == (size_t)n)
			continue;
		int bad = lq_json_scan(&s, line, (size_t)n, err);
		if (bad || s.kind != LQ_J_OBJECT) {
			char msg[sizeof(err->msg)];
			snprintf(msg, sizeof(msg), "%s", bad ? err->msg :
			    "not a JSON object");
			rc = lq_err_at(err, t->o.path, (int)ln, 0, "%s", msg);
			err->code = LQ_EXIT_USAGE;
			break;
		}
		size_t a = s.open + 1, e = s.close;
		while (a < e && isspace((unsigned char)line[a]))
			a++;
		while (e > a && isspace((unsigned char)line[e - 1]))
			e--;
		lq_buf_reset(&t->json);
		lq_buf_add(&t->json, line + a, e - a);
		if (!t->json.buf)
			lq_buf_adds(&t->json, "");
		if (member_str(&s, line, t->o.key, &v) == 0)
			key_normalise(&t->key, v.buf, v.len);
		else
			lq_buf_reset(&t->key);
		lq_buf_reset(&t->name);
		if (t->o.namecol && member_str(&s, line, t->o.namecol, &v) == 0)
			lq_name_normalise(&t->name, v.buf, v.len);
		if ((rc = add_row(t, ln, err)))
			break;
	}
	lq_scan_release(&s);
	lq_buf_release(&v);
	free(line);
	return rc;
}

/* ---- the SQLite index ------------------------------------------------- */

static void
signature(struct lq_etable *t, const struct stat *st, struct lq_buf *sig)
{
	lq_buf_addf(sig, "%s|%lld|%lld.%09ld|%s|%s|%d|", INDEX_FORMAT,
	    (long long)st->st_size, (long long)st->st_mtim.tv_sec,
	    st->st_mtim.tv_nsec, t->o.key, t->o.namecol ? t->o.namecol : "",
	    (int)t->o.dups);
	for (int i = 0; i < t->o.nsplit; i++)
		lq_buf_addf(sig, "%s;", t->o.split[i]);
}

static int
prepare(struct lq_etable *t, sqlite3_stmt **s, const char *sql,
    struct lq_err *err)
{
	if (sqlite3_prepare_v2(t->db, sql, -1, s, NULL) != SQLITE_OK)
		return sql_fail(t, err, "prepare");
	return 0;
}

/* Open an existing index if it matches sig: 1 reused, 0 not usable. */
static int
try_reuse(struct lq_etable *t, const char *sig)
{
	sqlite3_stmt *s = NULL;
	int ok = 0;

	if (access(t->cache, R_OK))
		return 0;
	if (sqlite3_open_v2(t->cache, &t->db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		goto out;
	/* lookups read pages through a mapping: no read(2) per page */
	sqlite3_exec(t->db, "PRAGMA mmap_size=4294967296", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(t->db, "SELECT v FROM meta WHERE k = ?", -1, &s,
	    NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(s, 1, "signature", -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    !strcmp((const char *)sqlite3_column_text(s, 0), sig))
		ok = 1;
	const char *keys[] = { "rows", "dups", "warn" };
	for (int i = 0; ok && i < 3; i++) {
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, keys[i], -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_ROW) {
			ok = 0;
			break;
		}
		const char *v = (const char *)sqlite3_column_text(s, 0);
		if (i == 0)
			t->rows = atol(v);
		else if (i == 1)
			t->dups = atol(v);
		else
			lq_buf_adds(&t->warnlog, v);
	}
out:
	sqlite3_finalize(s);
	if (!ok) {
		sqlite3_close(t->db);
		t->db = NULL;
		lq_buf_reset(&t->warnlog);
	}
	return ok;
}

static int
meta_put(struct lq_etable *t, const char *k, const char *v)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(t->db, "INSERT OR REPLACE INTO meta VALUES(?,?)",
	    -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, v, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
load_source(struct lq_etable *t, FILE *fp, struct lq_err *err)
{
	size_t n = strlen(t->o.path);

	if (n >= 4 && !strcasecmp(t->o.path + n - 4, ".csv"))
		return load_csv(t, err);
	return load_ndjson(t, fp, err);
}

static void
finalize_build(struct lq_etable *t)
{
	sqlite3_finalize(t->ins_key);
	sqlite3_finalize(t->ins_row);
	sqlite3_finalize(t->line_of);
	sqlite3_finalize(t->upd_key);
	sqlite3_finalize(t->ins_name);
	sqlite3_finalize(t->name_of);
	sqlite3_finalize(t->ins_same);
	t->ins_key = t->ins_row = t->line_of = t->upd_key = NULL;
	t->ins_name = t->name_of = t->ins_same = NULL;
}

static int
build_index(struct lq_etable *t, FILE *fp, const char *sig,
    struct lq_err *err)
{
	struct lq_buf tmp = LQ_BUF_INIT;
	char num[32];
	int rc = -1, fd;

	/* an existing file that is not an index of ours stays as it is */
	if (lq_etable_index_ok(t->cache, err)) {
		lq_buf_release(&tmp);
		return -1;
	}
	/* built under a new name of its own, renamed when complete */
	lq_buf_addf(&tmp, "%s.XXXXXX", t->cache);
	if ((fd = mkstemp(tmp.buf)) < 0) {
		lq_err_set(err, LQ_EXIT_USAGE, "%s: cannot create index %s "
		    "(set cache: to a writable path): %s", t->o.path, t->cache,
		    strerror(errno));
		t->nowrite = 1;
		lq_buf_release(&tmp);
		return -1;
	}
	close(fd);
	if (sqlite3_open_v2(tmp.buf, &t->db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK ||
	    sqlite3_exec(t->db, "PRAGMA journal_mode=OFF;"
	    "PRAGMA synchronous=OFF;"
	    "PRAGMA application_id=" APPID_STR ";"
	    "CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT);"
	    "PRAGMA cache_size=-65536;"
	    "CREATE TABLE rows(id INTEGER PRIMARY KEY, line INTEGER, j TEXT);"
	    "CREATE TABLE keys(k TEXT PRIMARY KEY, id INTEGER) WITHOUT ROWID;"
	    "CREATE TABLE names(n TEXT PRIMARY KEY, k TEXT, id INTEGER) "
	    "WITHOUT ROWID;"
	    "CREATE TABLE samenames(n TEXT, id INTEGER, PRIMARY KEY(n, id)) "
	    "WITHOUT ROWID;"
	    "BEGIN;", NULL, NULL, NULL) != SQLITE_OK) {
		lq_err_set(err, LQ_EXIT_USAGE, "%s: cannot create index %s "
		    "(set cache: to a writable path): %s", t->o.path, t->cache,
		    t->db ? sqlite3_errmsg(t->db) : "out of memory");
		t->nowrite = 1;
		goto out;
	}
	/* a name shared by two rows with different keys is ambiguous */
	if (prepare(t, &t->ins_key, "INSERT INTO keys VALUES(?1,?2) "
	    "ON CONFLICT(k) DO NOTHING", err) ||
	    prepare(t, &t->ins_row, "INSERT INTO rows VALUES(?1,?2,?3)", err) ||
	    prepare(t, &t->line_of, "SELECT rows.line FROM keys JOIN rows ON "
	    "rows.id = keys.id WHERE keys.k = ?1", err) ||
	    prepare(t, &t->upd_key, "UPDATE keys SET id = ?2 WHERE k = ?1",
	    err) ||
	    prepare(t, &t->ins_name, "INSERT INTO names VALUES(?1,?2,?3) "
	    "ON CONFLICT(n) DO UPDATE SET id = CASE WHEN names.k = excluded.k "
	    "AND excluded.k <> '' THEN CASE WHEN ?4 THEN excluded.id "
	    "ELSE names.id END ELSE NULL END", err) ||
	    prepare(t, &t->name_of, "SELECT k, id FROM names WHERE n = ?1",
	    err) ||
	    prepare(t, &t->ins_same, "INSERT INTO samenames VALUES(?1,?2) "
	    "ON CONFLICT DO NOTHING", err))
		goto out;
	if (load_source(t, fp, err))
		goto out;
	finalize_build(t);
	snprintf(num, sizeof(num), "%ld", t->rows);
	if (meta_put(t, "rows", num)) {
		sql_fail(t, err, "meta");
		goto out;
	}
	snprintf(num, sizeof(num), "%ld", t->dups);
	if (meta_put(t, "dups", num) ||
	    meta_put(t, "warn", t->warnlog.buf ? t->warnlog.buf : "") ||
	    meta_put(t, "signature", sig) ||
	    sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sql_fail(t, err, "commit");
		goto out;
	}
	sqlite3_close(t->db);
	t->db = NULL;
	/* checked again: a file may have appeared there meanwhile */
	if (lq_etable_index_ok(t->cache, err))
		goto out;
	if (rename(tmp.buf, t->cache)) {
		lq_err_set(err, LQ_EXIT_USAGE, "%s: cannot rename index to %s: "
		    "%s", t->o.path, t->cache, strerror(errno));
		goto out;
	}
	if (sqlite3_open_v2(t->cache, &t->db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		sql_fail(t, err, "open");
		goto out;
	}
	sqlite3_exec(t->db, "PRAGMA mmap_size=4294967296", NULL, NULL, NULL);
	rc = 0;
out:
	if (rc) {
		finalize_build(t);
		if (t->db)
			sqlite3_close(t->db);
		t->db = NULL;
		unlink(tmp.buf);
	}
	lq_buf_release(&tmp);
	return rc;
}

/* ---- whose file is it ------------------------------------------------- */

/* a path as an SQLite URI that opens it read-only and never writes */
static void
immutable_uri(struct lq_buf *b, const char *path)
{
	const char *p;

	lq_buf_adds(b, "file:");
	for (p = path; *p; p++)
		if (*p == '%' || *p == '?' || *p == '#')
			lq_buf_addf(b, "%%%02X", (unsigned char)*p);
		else
			lq_buf_addc(b, *p);
	lq_buf_adds(b, "?mode=ro&immutable=1");
}

/* Is path a SQLite file that lq-enrich made?  1 or 0; only reads it. */
static int
own_index(const char *path)
{
	unsigned char h[100];
	struct lq_buf uri = LQ_BUF_INIT;
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	ssize_t got;
	int fd, own = 0;
	unsigned long id;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	got = read(fd, h, sizeof(h));
	close(fd);
	if (got != (ssize_t)sizeof(h) || memcmp(h, "SQLite format 3", 16))
		return 0;
	id = (unsigned long)h[68] << 24 | (unsigned long)h[69] << 16 |
	    (unsigned long)h[70] << 8 | h[71];
	if (id == INDEX_APPID)
		return 1;
	if (id != 0)
		return 0;
	/* an index made before the application_id: its meta signature */
	immutable_uri(&uri, path);
	if (sqlite3_open_v2(uri.buf, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_URI, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT v FROM meta WHERE k = 'signature'",
	    -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		own = v && !strncmp(v, "lq-enrich-index ", 16);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	lq_buf_release(&uri);
	return own;
}

int
lq_etable_index_ok(const char *path, struct lq_err *err)
{
	struct stat st;

	if (stat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		return lq_err_set(err, LQ_EXIT_USAGE, "index %s: %s", path,
		    strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return lq_err_set(err, LQ_EXIT_USAGE, "index %s exists and is "
		    "not a regular file; set cache: to another path", path);
	if (!own_index(path))
		return lq_err_set(err, LQ_EXIT_USAGE, "index %s exists and is "
		    "not an lq-enrich index: lq never replaces a file it did "
		    "not make (move it away, or set cache: to another path)",
		    path);
	return 0;
}

/* path's directory, resolved, and its last component: "/real/dir/name" */
static char *
canonical(const char *path)
{
	char *d = strdup(path), *b = strdup(path), *r = NULL, *out;
	struct lq_buf o = LQ_BUF_INIT;

	if (!d || !b)
		abort();
	if ((r = realpath(dirname(d), NULL)))
		lq_buf_addf(&o, "%s/%s", r, basename(b));
	else
		lq_buf_adds(&o, path);
	free(r);
	free(d);
	free(b);
	out = o.buf;
	return out;
}

int
lq_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0, same;
	char *ca, *cb;

	if (ea || eb)
		return ea && eb && sa.st_dev == sb.st_dev &&
		    sa.st_ino == sb.st_ino;
	ca = canonical(a);
	cb = canonical(b);
	same = !strcmp(ca, cb);
	free(ca);
	free(cb);
	return same;
}

char *
lq_etable_index_path(const struct lq_etable_opts *o)
{
	struct lq_buf b = LQ_BUF_INIT;
	struct stat st;

	if (o->index == LQ_INDEX_MEMORY)
		return NULL;
	if (!o->cache)
		lq_buf_addf(&b, "%s.lqidx", o->path);
	else if (stat(o->cache, &st) == 0 && S_ISDIR(st.st_mode)) {
		const char *base = strrchr(o->path, '/');
		lq_buf_addf(&b, "%s/%s.lqidx", o->cache, base ? base + 1 :
		    o->path);
	} else
		lq_buf_adds(&b, o->cache);
	return b.buf;
}

/* ---- the table -------------------------------------------------------- */

struct lq_etable *
lq_etable_open(const struct lq_etable_opts *o, struct lq_buf *warn,
    struct lq_err *err)
{
	struct lq_etable *t = calloc(1, sizeof(*t));
	struct lq_buf sig = LQ_BUF_INIT;
	struct stat st;
	FILE *fp = NULL;
	int sqlite;

	if (!t)
		abort();
	t->o = *o;
	t->warn = warn;
	if (!(fp = fopen(o->path, "r")) || fstat(fileno(fp), &st)) {
		lq_err_set(err, LQ_EXIT_USAGE, "%s: %s", o->path,
		    strerror(errno));
		goto fail;
	}
	sqlite = o->index == LQ_INDEX_SQLITE || (o->index == LQ_INDEX_AUTO &&
	    st.st_size >= AUTO_SQLITE_BYTES);
	if (sqlite) {
		t->cache = lq_etable_index_path(o);
		signature(t, &st, &sig);
		if (!try_reuse(t, sig.buf) && build_index(t, fp, sig.buf, err)) {
			if (!t->nowrite || o->index != LQ_INDEX_AUTO)
				goto fail;
			/* index: auto in a read-only place: load in memory */
			lq_buf_addf(warn, "%s; loading the table in memory\n",
			    err->msg);
			lq_err_clear(err);
			sqlite = 0;
			t->nr = 0;
			rewind(fp);
		}
		if (sqlite && (prepare(t, &t->q_key, "SELECT j FROM keys JOIN "
		    "rows ON rows.id = keys.id WHERE keys.k = ?1", err) ||
		    prepare(t, &t->q_name, "SELECT j FROM names JOIN rows ON "
		    "rows.id = names.id WHERE names.n = ?1", err) ||
		    prepare(t, &t->q_nameid, "SELECT names.id, rows.j FROM names "
		    "LEFT JOIN rows ON rows.id = names.id WHERE names.n = ?1",
		    err) ||
		    prepare(t, &t->q_same, "SELECT j FROM samenames JOIN rows "
		    "ON rows.id = samenames.id WHERE samenames.n = ?1", err)))
			goto fail;
	}
	if (!sqlite && load_source(t, fp, err))
		goto fail;
	if (t->warnlog.len)
		lq_buf_add(warn, t->warnlog.buf, t->warnlog.len);
	if (t->dups > MAX_DUP_WARN)
		lq_buf_addf(warn, "%s: %ld duplicate %s keys in all (%ld not "
		    "shown)\n", o->path, t->dups, o->key,
		    t->dups - MAX_DUP_WARN);
	fclose(fp);
	lq_buf_release(&sig);
	return t;
fail:
	if (fp)
		fclose(fp);
	lq_buf_release(&sig);
	lq_etable_free(t);
	return NULL;
}

void
lq_etable_free(struct lq_etable *t)
{
	if (!t)
		return;
	finalize_build(t);
	sqlite3_finalize(t->q_key);
	sqlite3_finalize(t->q_name);
	sqlite3_finalize(t->q_same);
	sqlite3_finalize(t->q_nameid);
	if (t->db)
		sqlite3_close(t->db);
	free(t->cache);
	free(t->r);
	lq_buf_release(&t->arena);
	lq_smap_release(&t->keys);
	lq_smap_release(&t->names);
	lq_smap_release(&t->lastsame);
	lq_buf_release(&t->warnlog);
	lq_buf_release(&t->key);
	lq_buf_release(&t->name);
	lq_buf_release(&t->json);
	free(t);
}

int
lq_etable_get(struct lq_etable *t, int byname, const char *k, size_t n,
    struct lq_buf *out)
{
	long v;

	if (!n)
		return 0;
	if (t->db) {
		sqlite3_stmt *s = byname ? t->q_name : t->q_key;
		int found = 0;
		sqlite3_bind_text(s, 1, k, (int)n, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW) {
			const void *j = sqlite3_column_text(s, 0);
			lq_buf_add(out, j, (size_t)sqlite3_column_bytes(s, 0));
			found = 1;
		}
		sqlite3_reset(s);
		return found;
	}
	if (!lq_smap_get(byname ? &t->names : &t->keys, k, n, &v) || v < 0)
		return 0;
	lq_buf_add(out, t->arena.buf + t->r[v].joff, t->r[v].jlen);
	return 1;
}

long
lq_etable_each_row(struct lq_etable *t, const char *k, size_t n,
    void (*fn)(void *arg, const char *row, size_t len), void *arg)
{
	long v, rows = 0;

	if (!n)
		return 0;
	if (t->db) {
		/* the name's one row, else (its id NULL) the rows of an
		   ambiguous name */
		sqlite3_stmt *s = t->q_nameid;
		int amb = 0;
		sqlite3_bind_text(s, 1, k, (int)n, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW) {
			if (sqlite3_column_type(s, 0) == SQLITE_NULL)
				amb = 1;
			else {
				fn(arg, (const char *)sqlite3_column_text(s, 1),
				    (size_t)sqlite3_column_bytes(s, 1));
				rows = 1;
			}
		}
		sqlite3_reset(s);
		if (!amb)
			return rows;
		s = t->q_same;
		sqlite3_bind_text(s, 1, k, (int)n, SQLITE_STATIC);
		while (sqlite3_step(s) == SQLITE_ROW) {
			fn(arg, (const char *)sqlite3_column_text(s, 0),
			    (size_t)sqlite3_column_bytes(s, 0));
			rows++;
		}
		sqlite3_reset(s);
		return rows;
	}
	if (!lq_smap_get(&t->names, k, n, &v))
		return 0;
	if (v >= 0) {
		fn(arg, t->arena.buf + t->r[v].joff, t->r[v].jlen);
		return 1;
	}
	if (!lq_smap_get(&t->lastsame, k, n, &v))
		return 0;
	for (; v >= 0; v = t->r[v].samename, rows++)
		fn(arg, t->arena.buf + t->r[v].joff, t->r[v].jlen);
	return rows;
}

void
lq_etable_each_name(struct lq_etable *t,
    void (*fn)(void *arg, const char *name, size_t n), void *arg)
{
	if (t->db) {
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(t->db, "SELECT n FROM names", -1, &s,
		    NULL) != SQLITE_OK)
			return;
		while (sqlite3_step(s) == SQLITE_ROW)
			fn(arg, (const char *)sqlite3_column_text(s, 0),
			    (size_t)sqlite3_column_bytes(s, 0));
		sqlite3_finalize(s);
		return;
	}
	for (size_t i = 0; i < t->names.cap; i++)
		if (t->names.k[i])
			fn(arg, t->names.k[i], t->names.kn[i]);
}
