/*
 * lq-route - give every scored lead to the right rep, with an SQLite ledger.
 *
 * A batch (file operands, standard input that is a regular file or ends
 * before it would wait, --batch) is decided in priority order and written
 * in input order: pass 1 reads every line and keeps its offset and
 * priority (lines of a pipe are copied to a temporary file), pass 2
 * decides in priority order and keeps each route member in a second
 * temporary file, pass 3 writes the lines in input order with their
 * member.  Memory holds offsets and keys, never a record.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lq_ledger.h"
#include "lq_route.h"
#include "lq_time.h"
#include "lqcmd.h"

static const char usage[] =
    "[-q] -r RULES [-k KEY] [--state FILE [--dry-run] [--reassign]]\n"
    "       [--now TIME | --time-field NAME] [--id-field NAME]\n"
    "       [--batch | --stream] [--commit N] [--pending FILE]\n"
    "       [--performance FILE] [--rejects FILE] [--strict]\n"
    "       [--[no-]progress] [FILE ...]\n"
    "       lq-route [-q] [-r RULES] --state FILE --contacts FILE\n"
    "       lq-route [-q] -r RULES --state FILE --sweep [--now TIME]";

/* --help before the options */
static const char about[] =
"usage: lq-route [options] -r RULES [FILE ...]\n"
"Route scored NDJSON leads (FILEs or standard input) with the route:\n"
"section of RULES and write each lead with a \"route\" member: owner,\n"
"team, queue, reason and contact_by.\n"
"\n";

enum { OPT_NOW = LQCMD_OPT_TOOL, OPT_TFIELD, OPT_IDFIELD, OPT_COMMIT, OPT_REASSIGN,
	OPT_PERF, OPT_BATCH, OPT_STREAM, OPT_PENDING, OPT_CONTACTS, OPT_SWEEP };

static const struct lqcmd_option opt[] = {
	{ 'r', "rules", "FILE", "rule file (YAML; see lq-route(1))" },
	{ 's', "state", "FILE",
	    "SQLite ledger: assignments are recorded there,\n"
	    "capacity is counted from it, a lead routed before\n"
	    "keeps its owner (default: capacity within this run)" },
	{ 'n', "dry-run", NULL, "read the ledger, write nothing to it" },
	{ OPT_REASSIGN, "reassign", NULL,
	    "route leads already in the ledger again" },
	{ OPT_NOW, "now", "TIME",
	    "routing time (RFC 3339 or epoch; default: clock)" },
	{ OPT_TFIELD, "time-field", "NAME",
	    "routing time from the lead's member NAME" },
	{ OPT_IDFIELD, "id-field", "NAME",
	    "member holding the lead id (default: id)" },
	{ OPT_BATCH, "batch", NULL,
	    "decide the whole input in priority order (default\n"
	    "for files and input that ends before it would wait)" },
	{ OPT_STREAM, "stream", NULL, "decide each lead as it comes" },
	{ OPT_COMMIT, "commit", "N",
	    "leads per ledger transaction at most (default 256;\n"
	    "a batch: all of it)" },
	{ OPT_PENDING, "pending", "FILE",
	    "leads left unplaced by earlier runs that this batch\n"
	    "placed: their lines, routed, appended to FILE" },
	{ OPT_PERF, "performance", "FILE",
	    "rep win rates from lq-train --reps (instead of\n"
	    "the rule file's performance:)" },
	{ OPT_CONTACTS, "contacts", "FILE",
	    "record the CRM's contacts (NDJSON) in the ledger" },
	{ OPT_SWEEP, "sweep", NULL,
	    "reassign or escalate every lead whose contact_by\n"
	    "passed without a contact; write them as NDJSON" },
	{ 'k', "key", "NAME", "output member name (default: route)" },
	{ 0 }
};

static const struct lqcmd_options opts = { usage, about, opt,
    "See lq-route(1).\n" };

enum { MODE_AUTO, MODE_BATCH, MODE_STREAM };

/* one line of a batch: where it is, how urgent, where its decision is */
struct ent {
	off_t off, dout;	/* the line in its source; the decision */
	long lineno;
	double value;		/* probability or points: higher first */
	uint32_t len, dlen;
	uint16_t src;		/* index in sources */
	uint8_t rank;		/* action and tier: lower first */
	uint8_t bad;		/* the decision is an error message */
};

/*
 * A file read back by offset (pread: its pages are the kernel's cache,
 * not this process's memory, so a batch's memory is its offsets and keys),
 * through a window when read in order, and written (the temporary ones)
 * through a buffer.
 */
struct tfile {
	int fd;
	off_t end;		/* bytes written, buffer included */
	struct lq_buf b;	/* not yet written */
	char *win;		/* bytes woff..woff+wlen of the file */
	off_t woff, last;	/* the window; where the last read ended */
	size_t wlen, wcap;
};

#define TF_WINDOW (256 * 1024)

struct source {
	const char *name;	/* for messages */
	struct tfile *f;	/* its own, or the spill file */
	int pending;		/* the ledger's pending leads */
};

struct ctx {
	struct lq_route *rt;
	struct lq_ledger *lg;
	struct lqcmd_run *run;
	const char *key, *tfield;
	double now;
	int fixed, writes, mode, streaming;
	int whole;		/* a batch in one transaction (no --commit) */
	long batch, pending;
	/* a batch */
	struct ent *e;
	size_t ne, cap;
	struct source *src;
	size_t nsrc;
	struct tfile spill;	/* pipe lines and the ledger's pending leads */
	struct tfile dec;	/* decisions */
	struct lq_scan scan, tscan;
	struct lq_buf line, val, keyjson;
	const char *pending_path;
	FILE *pf;
	long npending, nplaced;
	long taken;		/* input lines in the batch */
	uint64_t *ids;		/* hashes of the batch's lead ids */
	size_t nids, capids;
	int pending_loaded;
	const char *idf;	/* contacts: the lead id member */
};

static void
commit(struct ctx *c)
{
	struct lq_err err;

	lq_err_clear(&err);
	if (lq_ledger_commit(c->lg, &err) < 0) {
		err.code = LQ_EXIT_IO;	/* input was read: output incomplete */
		lqcmd_die_err(&err);
	}
	c->pending = 0;
}

/* the writer's hook: output leaves only after its assignments are durable */
static int
before_write(void *arg)
{
	struct ctx *c = arg;

	if (lq_ledger_in_txn(c->lg))
		commit(c);
	return 0;
}

static int
route_one(void *arg, const struct lqcmd_rec *r, struct lq_buf *val,
    struct lq_err *err)
{
	struct ctx *c = arg;
	double t = c->now;

	if (c->tfield) {
		if (lq_route_lead_time(r->line, r->scan, c->tfield, &t) < 0)
			return lq_err_set(err, LQ_EXIT_RECORDS, "no time in "
			    "member '%s'", c->tfield);
	} else if (!c->fixed) {
		t = lq_time_now();
	}
	if (lq_route_eval(c->rt, r->line, r->len, r->scan, t, c->key, val,
	    err) < 0) {
		if (err->code == LQ_EXIT_USAGE)
			err->code = LQ_EXIT_IO;	/* the ledger failed */
		return -1;
	}
	if (c->writes && ++c->pending >= c->batch)
		commit(c);
	return 0;
}

/* ---- a batch ------------------------------------------------------------ */

static int
tmp_file(void)
{
	const char *dir = getenv("TMPDIR");
	struct lq_buf p = LQ_BUF_INIT;
	int fd;

	lq_buf_addf(&p, "%s/lq-route.XXXXXX", dir && *dir ? dir : "/tmp");
	if ((fd = mkstemp(p.buf)) < 0)
		lqcmd_die(LQ_EXIT_IO, "%s: %s", p.buf, strerror(errno));
	unlink(p.buf);
	lq_buf_release(&p);
	return fd;
}

static void
tf_flush(struct tfile *t, const char *what)
{
	const char *p = t->b.buf;
	size_t left = t->b.len;
	off_t at = t->end - (off_t)left;

	while (left) {
		ssize_t w = pwrite(t->fd, p, left, at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			lqcmd_die(LQ_EXIT_IO, "temporary file (%s): %s", what,
			    strerror(w < 0 ? errno : EIO));
		p += w;
		at += w;
		left -= (size_t)w;
	}
	lq_buf_reset(&t->b);
}

static void
tf_write(struct tfile *t, const void *p, size_t n, const char *what)
{
	lq_buf_add(&t->b, p, n);
	t->end += (off_t)n;
	if (t->b.len >= (1 << 20))
		tf_flush(t, what);
}

/* read n bytes at off into p; short only at the end of the file */
static size_t
tf_pread(struct tfile *t, char *p, size_t n, off_t off, const char *name)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(t->fd, p + got, n - got, off + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			lqcmd_die(LQ_EXIT_IO, "%s: read again: %s", name,
			    strerror(errno));
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* bytes off..off+n of t into b (NUL-terminated) */
static void
tf_read(struct tfile *t, off_t off, size_t n, struct lq_buf *b,
    const char *name)
{
	if (t->b.len && off + (off_t)n > t->end - (off_t)t->b.len)
		tf_flush(t, name);
	lq_buf_reset(b);
	if (off >= t->woff && off + (off_t)n <= t->woff + (off_t)t->wlen) {
		lq_buf_add(b, t->win + (off - t->woff), n);
	} else if (off == t->last && n < TF_WINDOW) {
		/* read in order (pass 3): a window at a time */
		if (!t->win && !(t->win = malloc(TF_WINDOW)))
			lqcmd_die(LQ_EXIT_IO, "out of memory");
		t->woff = off;
		t->wlen = tf_pread(t, t->win, TF_WINDOW, off, name);
		if (t->wlen < n)
			lqcmd_die(LQ_EXIT_IO, "%s: read again: the file got "
			    "shorter", name);
		lq_buf_add(b, t->win, n);
	} else {
		/* in priority order (pass 2): the line alone */
		lq_buf_grow(b, n + 1);
		if (tf_pread(t, b->buf, n, off, name) < n)
			lqcmd_die(LQ_EXIT_IO, "%s: read again: the file got "
			    "shorter", name);
		b->len = n;
		b->buf[n] = '\0';
	}
	t->last = off + (off_t)n;
}

static void
tf_close(struct tfile *t)
{
	free(t->win);
	lq_buf_release(&t->b);
	close(t->fd);
}

static struct ent *
new_ent(struct ctx *c)
{
	if (c->ne == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 4096;
		if (!(c->e = realloc(c->e, c->cap * sizeof(*c->e))))
			lqcmd_die(LQ_EXIT_IO, "out of memory for %zu leads",
			    c->ne);
	}
	memset(&c->e[c->ne], 0, sizeof(*c->e));
	return &c->e[c->ne++];
}

static uint16_t
new_source(struct ctx *c, const char *name, struct tfile *f, int pending)
{
	if (c->nsrc >= UINT16_MAX)
		lqcmd_die(LQ_EXIT_USAGE, "too many input files");
	c->src = realloc(c->src, (c->nsrc + 1) * sizeof(*c->src));
	if (!c->src)
		abort();
	c->src[c->nsrc].name = name;
	c->src[c->nsrc].f = f;
	c->src[c->nsrc].pending = pending;
	return (uint16_t)c->nsrc++;
}

static void
keep_decision(struct ctx *c, struct ent *e, const char *p, size_t n, int bad)
{
	e->dout = c->dec.end;
	e->dlen = (uint32_t)n;
	e->bad = (uint8_t)bad;
	tf_write(&c->dec, p, n, "decisions");
}

static uint64_t
hash_id(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

/* the lead id of a batch line, so its pending copy is not decided too */
static void
keep_id(struct ctx *c, const char *line)
{
	const char *f = lq_route_id_field(c->rt);
	long i = lq_scan_find(&c->scan, line, f, strlen(f));
	const struct lq_member *m;

	if (i < 0)
		return;
	m = &c->scan.m[i];
	lq_buf_reset(&c->val);
	if (m->vkind == LQ_J_STRING)
		lq_json_unescape(&c->val, line + m->vstart, m->vend - m->vstart);
	else if (m->vkind == LQ_J_NUMBER)
		lq_buf_add(&c->val, line + m->vstart, m->vend - m->vstart);
	else
		return;
	if (c->nids == c->capids) {
		c->capids = c->capids ? 2 * c->capids : 4096;
		if (!(c->ids = realloc(c->ids, c->capids * sizeof(*c->ids))))
			lqcmd_die(LQ_EXIT_IO, "out of memory for %zu leads",
			    c->nids);
	}
	c->ids[c->nids++] = hash_id(c->val.buf ? c->val.buf : "", c->val.len);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * pass 1 for one line: its key; a line that is not a JSON object is
 * rejected at once (so --strict stops reading there)
 */
static void
take_line(struct ctx *c, uint16_t src, off_t off, const char *line,
    size_t len, long lineno)
{
	struct lq_err err;
	struct ent *e;
	long rank;

	lq_err_clear(&err);
	if (lq_json_scan(&c->scan, line, len, &err) < 0) {
		lqcmd_reject(c->run, c->src[src].name, lineno, line, len,
		    err.msg);
		return;
	}
	if (c->scan.kind != LQ_J_OBJECT) {
		lqcmd_reject(c->run, c->src[src].name, lineno, line, len,
		    "not a JSON object");
		return;
	}
	e = new_ent(c);
	e->src = src;
	e->off = off;
	e->len = (uint32_t)len;
	e->lineno = lineno;
	lq_route_priority(c->rt, line, &c->scan, &rank, &e->value);
	e->rank = (uint8_t)rank;
	c->taken++;
	if (c->writes && !c->pending_loaded)
		keep_id(c, line);
}

static struct ctx *sort_ctx;

static int
by_priority(const void *a, const void *b)
{
	const struct ent *x = &sort_ctx->e[*(const uint32_t *)a];
	const struct ent *y = &sort_ctx->e[*(const uint32_t *)b];
	int px = sort_ctx->src[x->src].pending;
	int py = sort_ctx->src[y->src].pending;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->value != y->value)
		return x->value > y->value ? -1 : 1;
	if (px != py)	/* the same priority: earlier runs' leads first */
		return px ? -1 : 1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

/* pass 2 for one lead */
static void
decide(struct ctx *c, struct ent *e)
{
	struct lqcmd_rec rec;
	struct lq_err err;

	if (e->bad)
		return;
	tf_read(c->src[e->src].f, e->off, e->len, &c->line,
	    c->src[e->src].name);
	lq_err_clear(&err);
	if (lq_json_scan(&c->tscan, c->line.buf, c->line.len, &err) < 0)
		lqcmd_die(LQ_EXIT_IO, "%s: changed while it was read",
		    c->src[e->src].name);
	rec.line = c->line.buf;
	rec.len = c->line.len;
	rec.scan = &c->tscan;
	rec.file = c->src[e->src].name;
	rec.lineno = e->lineno;
	lq_buf_reset(&c->val);
	if (route_one(c, &rec, &c->val, &err) < 0) {
		if (err.code == LQ_EXIT_IO || err.code == LQ_EXIT_USAGE) {
			lq_writer_flush(&lqcmd_out);
			lqcmd_die_err(&err);
		}
		keep_decision(c, e, err.msg, strlen(err.msg), 1);
		return;
	}
	keep_decision(c, e, c->val.buf ? c->val.buf : "null", c->val.buf ?
	    c->val.len : 4, 0);
}

/* pass 3 for one line: write it with its member, or reject it */
static void
emit(struct ctx *c, struct ent *e)
{
	struct source *s = &c->src[e->src];
	struct lq_buf d = LQ_BUF_INIT;
	struct lq_err err;

	tf_read(s->f, e->off, e->len, &c->line, s->name);
	tf_read(&c->dec, e->dout, e->dlen, &d, "decisions");
	if (s->pending) {
		/* a lead of an earlier run: placed now, or still waiting */
		c->npending++;
		if (!e->bad && strstr(d.buf, "\"ledger\":\"updated\"")) {
			c->nplaced++;
			if (c->pf) {
				lq_buf_reset(&c->val);
				lq_json_scan(&c->scan, c->line.buf, c->line.len,
				    &err);
				lq_splice(&c->val, c->line.buf, c->line.len,
				    &c->scan, c->key, strlen(c->key),
				    c->keyjson.buf, c->keyjson.len, d.buf, d.len);
				lq_buf_addc(&c->val, '\n');
				fwrite(c->val.buf, 1, c->val.len, c->pf);
			}
		}
		lq_buf_release(&d);
		return;
	}
	if (e->bad) {
		lqcmd_reject(c->run, s->name, e->lineno, c->line.buf,
		    c->line.len, d.buf);
	} else {
		lq_err_clear(&err);
		lq_json_scan(&c->scan, c->line.buf, c->line.len, &err);
		lq_splice(&lqcmd_out.out, c->line.buf, c->line.len, &c->scan,
		    c->key, strlen(c->key), c->keyjson.buf, c->keyjson.len,
		    d.buf, d.len);
		lqcmd_write("\n", 1);
	}
	lq_buf_release(&d);
}

/* the ledger's pending leads join the batch (copied to the spill file) */
static int
add_pending(void *arg, const char *id, size_t n, long rank, double value,
    double at)
{
	struct ctx *c = arg;
	struct lq_buf line = LQ_BUF_INIT;
	struct lq_err err;
	int found;

	(void)at;
	uint64_t h = hash_id(id, n);
	if (c->nids && bsearch(&h, c->ids, c->nids, sizeof(h), cmp_u64))
		return 0;	/* in the batch itself: decided from there */
	lq_err_clear(&err);
	if (lq_ledger_pending_line(c->lg, id, n, &line, &found, &err) < 0) {
		err.code = LQ_EXIT_IO;
		lqcmd_die_err(&err);
	}
	if (found && line.len) {
		struct ent *e = new_ent(c);
		e->src = (uint16_t)(c->nsrc - 1);
		e->off = c->spill.end;
		e->len = (uint32_t)line.len;
		e->rank = (uint8_t)rank;
		e->value = value;
		tf_write(&c->spill, line.buf, line.len, "pending");
	}
	lq_buf_release(&line);
	return 0;
}

/* decide everything read so far in priority order, write it in order */
static void
flush_batch(struct ctx *c)
{
	uint32_t *order;

	if (c->writes && !c->pending_loaded) {
		/* earlier runs' unplaced leads join the first batch */
		struct lq_err err;
		c->pending_loaded = 1;
		new_source(c, "pending", &c->spill, 1);
		qsort(c->ids, c->nids, sizeof(*c->ids), cmp_u64);
		lq_err_clear(&err);
		if (lq_ledger_pending_each(c->lg, add_pending, c, &err) < 0) {
			err.code = LQ_EXIT_IO;
			lqcmd_die_err(&err);
		}
		free(c->ids);
		c->ids = NULL;
		c->nids = 0;
	}
	if (!c->ne)
		return;
	if (c->ne > UINT32_MAX)
		lqcmd_die(LQ_EXIT_IO, "more than %u leads in one batch",
		    UINT32_MAX);
	if (!(order = malloc(c->ne * sizeof(*order))))
		lqcmd_die(LQ_EXIT_IO, "out of memory for %zu leads", c->ne);
	for (size_t i = 0; i < c->ne; i++)
		order[i] = (uint32_t)i;
	sort_ctx = c;
	qsort(order, c->ne, sizeof(*order), by_priority);
	for (size_t i = 0; i < c->ne; i++)
		decide(c, &c->e[order[i]]);
	free(order);
	if (c->writes && lq_ledger_in_txn(c->lg))
		commit(c);
	for (size_t i = 0; i < c->ne; i++) {
		emit(c, &c->e[i]);
		if (c->run->strict && c->run->rejected)
			break;
	}
	c->ne = 0;
}

/* a pipe that must wait before its end: what came is decided, then each */
static int
pipe_idle(void *arg)
{
	struct ctx *c = arg;

	if (!c->streaming && c->taken) {
		flush_batch(c);
		c->streaming = 1;
	}
	if (c->whole) {	/* a stream from now on: small transactions */
		c->whole = 0;
		c->batch = 256;
	}
	if (c->writes && lq_ledger_in_txn(c->lg))
		commit(c);
	if (lq_writer_flush(&lqcmd_out) < 0)
		return -1;
	return 0;
}

static void
stream_line(struct ctx *c, const char *name, char *line, size_t len,
    long lineno)
{
	struct lq_err err;
	struct lqcmd_rec rec = { line, len, &c->tscan, name, lineno };

	lq_err_clear(&err);
	if (lq_json_scan(&c->tscan, line, len, &err) < 0) {
		lqcmd_reject(c->run, name, lineno, line, len, err.msg);
		return;
	}
	if (c->tscan.kind != LQ_J_OBJECT) {
		lqcmd_reject(c->run, name, lineno, line, len,
		    "not a JSON object");
		return;
	}
	lq_buf_reset(&c->val);
	if (route_one(c, &rec, &c->val, &err) < 0) {
		if (err.code == LQ_EXIT_IO || err.code == LQ_EXIT_USAGE) {
			lq_writer_flush(&lqcmd_out);
			lqcmd_die_err(&err);
		}
		lqcmd_reject(c->run, name, lineno, line, len, err.msg);
		return;
	}
	lq_splice(&lqcmd_out.out, line, len, &c->tscan, c->key,
	    strlen(c->key), c->keyjson.buf, c->keyjson.len, c->val.buf ?
	    c->val.buf : "null", c->val.buf ? c->val.len : 4);
	lqcmd_write("\n", 1);
}

/* pass 1 over one operand */
static void
read_source(struct ctx *c, const char *path)
{
	struct lq_reader rd;
	struct lq_err err;
	struct stat st;
	char *line;
	size_t len;
	int got, seekable;
	struct tfile *f;
	char *last_buf = NULL, *last_line = NULL;
	size_t last_end = 0;
	off_t pos = 0;
	uint16_t src;

	lq_err_clear(&err);
	if (lq_reader_open(&rd, path, &err) < 0) {
		lqcmd_warn("%s", err.msg);
		c->run->failed = 1;
		return;
	}
	seekable = fstat(rd.fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    lseek(rd.fd, 0, SEEK_CUR) >= 0;
	if (seekable) {
		if (!(f = calloc(1, sizeof(*f))))
			abort();
		if ((f->fd = dup(rd.fd)) < 0)
			lqcmd_die(LQ_EXIT_IO, "%s: %s", rd.name, strerror(errno));
	} else {
		f = &c->spill;
		if (c->mode == MODE_AUTO) {
			rd.idle = pipe_idle;
			rd.idle_arg = c;
		}
	}
	src = new_source(c, rd.name, f, 0);
	while ((got = lq_reader_next(&rd, &line, &len, &err)) > 0 ||
	    got == -2) {
		if (got == -2) {
			c->run->records++;
			lqcmd_warn("%s:%ld: %s", rd.name, rd.lineno, err.msg);
			c->run->rejected++;
			if (c->run->strict)
				break;
			continue;
		}
		lqcmd_progress(c->run, len + 1);
		if (len == 0) {
			c->run->skipped++;
			continue;
		}
		c->run->records++;
		if (len > UINT32_MAX) {
			lqcmd_reject(c->run, rd.name, rd.lineno, line, len,
			    "line too long for a batch");
			continue;
		}
		if (c->streaming) {
			stream_line(c, rd.name, line, len, rd.lineno);
		} else if (seekable) {
			/* the file offset of the buffer's end: asked again
			 * only when the reader has read more */
			if (rd.buf != last_buf || rd.end != last_end ||
			    line <= last_line) {
				pos = lseek(rd.fd, 0, SEEK_CUR);
				last_buf = rd.buf;
				last_end = rd.end;
			}
			last_line = line;
			off_t off = pos - (off_t)(rd.end - (size_t)(line -
			    rd.buf));
			take_line(c, src, off, line, len, rd.lineno);
		} else {
			off_t off = c->spill.end;
			tf_write(&c->spill, line, len, "input");
			take_line(c, src, off, line, len, rd.lineno);
		}
		if (c->run->strict && c->run->rejected)
			break;
	}
	if (got < 0) {
		lqcmd_warn("%s", err.msg);
		c->run->failed = 1;
	}
	lq_reader_close(&rd);
}

static void
run_batch(struct ctx *c, char **files, int nfiles)
{
	char *dash[] = { "-" };

	if (nfiles == 0) {
		files = dash;
		nfiles = 1;
	}
	c->spill.fd = tmp_file();
	c->dec.fd = tmp_file();
	c->scan.want_tape = 0;
	c->tscan.want_tape = 1;
	lq_buf_json_strs(&c->keyjson, c->key);
	lqcmd_start(c->run, files, nfiles);
	for (int i = 0; i < nfiles && !(c->run->strict && c->run->rejected);
	    i++)
		read_source(c, files[i]);
	if (!c->streaming)
		flush_batch(c);
	for (size_t i = 0; i < c->nsrc; i++)
		if (c->src[i].f != &c->spill) {
			tf_close(c->src[i].f);
			free(c->src[i].f);
		}
	tf_close(&c->spill);
	tf_close(&c->dec);
	free(c->e);
	free(c->src);
	lq_scan_release(&c->scan);
	lq_scan_release(&c->tscan);
	lq_buf_release(&c->line);
	lq_buf_release(&c->val);
	lq_buf_release(&c->keyjson);
}

/* ---- contacts and the sweep ------------------------------------------ */

static int
contact_one(void *arg, const struct lqcmd_rec *r, struct lq_buf *val,
    struct lq_err *err)
{
	struct ctx *c = arg;

	(void)val;
	if (lq_route_contact(c->lg, c->idf, r->line, r->scan, err) < 0) {
		if (err->code == LQ_EXIT_USAGE)
			err->code = LQ_EXIT_IO;
		return -1;
	}
	if (++c->pending >= c->batch)
		commit(c);
	return 0;
}

/* the options that are not the context's own */
struct opts {
	const char *rules, *now, *state, *idf, *perf, *contacts;
	int dry, reassign, sweep;
};

/* the command line into o, c and f; a usage error exits */
static void
options(struct opts *o, struct ctx *c, struct lqcmd_run *f, int argc,
    char **argv)
{
	char *end;
	int ch;

	while ((ch = lqcmd_getopt(&opts, f, argc, argv)) != -1) {
		switch (ch) {
		case 'r':
			o->rules = optarg;
			break;
		case 's':
			o->state = optarg;
			break;
		case 'n':
			o->dry = 1;
			break;
		case OPT_REASSIGN:
			o->reassign = 1;
			break;
		case OPT_NOW:
			o->now = optarg;
			break;
		case OPT_TFIELD:
			c->tfield = optarg;
			break;
		case OPT_IDFIELD:
			o->idf = optarg;
			break;
		case OPT_PERF:
			o->perf = optarg;
			break;
		case OPT_BATCH:
			c->mode = MODE_BATCH;
			break;
		case OPT_STREAM:
			c->mode = MODE_STREAM;
			break;
		case OPT_PENDING:
			c->pending_path = optarg;
			break;
		case OPT_CONTACTS:
			o->contacts = optarg;
			break;
		case OPT_SWEEP:
			o->sweep = 1;
			break;
		case OPT_COMMIT:
			c->batch = strtol(optarg, &end, 10);
			if (*end || c->batch < 1)
				lqcmd_die(LQ_EXIT_USAGE, "--commit: not a "
				    "positive count: '%s'", optarg);
			break;
		default:
			lqcmd_usage(usage);
		}
	}
	if (!o->rules && !o->contacts)
		lqcmd_required("-r RULES", usage);
	if (o->now && c->tfield)
		lqcmd_die(LQ_EXIT_USAGE, "--now and --time-field: one or the "
		    "other");
	if ((o->dry || o->reassign) && !o->state)
		lqcmd_required(o->dry ? "--state FILE (for --dry-run)" :
		    "--state FILE (for --reassign)", usage);
	if ((o->contacts || o->sweep) && !o->state)
		lqcmd_required(o->sweep ? "--state FILE (for --sweep)" :
		    "--state FILE (for --contacts)", usage);
	if (o->contacts && o->sweep)
		lqcmd_die(LQ_EXIT_USAGE, "--contacts and --sweep: one at a "
		    "time");
	if ((o->contacts || o->sweep) && (optind < argc || o->dry ||
	    o->reassign || c->tfield || c->mode || c->pending_path))
		lqcmd_die(LQ_EXIT_USAGE, "--%s takes no lead files and no "
		    "routing options", o->sweep ? "sweep" : "contacts");
	if (o->now && lq_time_parse(o->now, strlen(o->now), &c->now) < 0)
		lqcmd_die(LQ_EXIT_USAGE, "--now: not a time: '%s'", o->now);
	if (o->now && !lq_route_time_valid(c->now))
		lqcmd_die(LQ_EXIT_USAGE, "--now: out of range (from 1970 to "
		    "8999): '%s'", o->now);
	c->fixed = o->now != NULL;
}

/* the rules and the ledger the options name into c; an error exits */
static void
load(struct ctx *c, const struct opts *o)
{
	struct lq_err err;

	lq_err_clear(&err);
	if (o->rules && !(c->rt = lq_route_load(o->rules, o->perf, &err)))
		lqcmd_die_err(&err);
	if (o->idf && c->rt)
		lq_route_set_id_field(c->rt, o->idf);
	if (!o->state)
		return;
	if (!(c->lg = lq_ledger_open(o->state, o->dry, 600000, &err))) {
		lq_route_free(c->rt);
		lqcmd_die_err(&err);
	}
	if (c->rt)
		lq_route_set_ledger(c->rt, c->lg, o->dry, o->reassign);
	c->writes = !o->dry;
	if (c->writes) {
		lqcmd_out.before_write = before_write;
		lqcmd_out.before_arg = c;
	}
}

/* --contacts: the CRM's contacts into the ledger; the exit status */
static int
record_contacts(struct ctx *c, const struct opts *o,
    const struct lqcmd_run *f)
{
	char *files[] = { (char *)o->contacts };
	struct lqcmd_run k = { .progress = f->progress,
	    .rejects = f->rejects, .strict = f->strict, .quiet = f->quiet };
	int status;

	c->idf = o->idf ? o->idf : c->rt ? lq_route_id_field(c->rt) : "id";
	k.fn = contact_one;
	k.ctx = c;
	lqcmd_run(&k, files, 1);
	status = lqcmd_done(&k);
	commit(c);
	if (!k.quiet)
		lqcmd_warn("%ld contacts recorded", k.records - k.rejected);
	return status;
}

/* --sweep: reassign or escalate the leads past their contact_by */
static int
run_sweep(struct ctx *c, const struct lqcmd_run *f)
{
	struct lq_buf out = LQ_BUF_INIT;
	struct lq_err err;
	long n = 0, esc = 0;

	lq_err_clear(&err);
	if (!c->fixed)
		c->now = lq_time_now();
	if (lq_ledger_begin(c->lg, &err) < 0 ||
	    lq_route_sweep(c->rt, c->now, &out, &n, &esc, &err) < 0) {
		err.code = LQ_EXIT_IO;
		lqcmd_die_err(&err);
	}
	commit(c);	/* recorded before they are written */
	if (out.len)
		lqcmd_write(out.buf, out.len);
	lq_buf_release(&out);
	if (!f->quiet)
		lqcmd_warn("%ld past contact_by: %ld reassigned, %ld "
		    "escalated", n, n - esc, esc);
	return 0;
}

/* route the leads of files (none: standard input); the exit status */
static int
route_leads(struct ctx *c, struct lqcmd_run *f, char **files, int nfiles)
{
	/*
	 * files are batches; standard input when it is a regular file, or
	 * (a pipe) ends before it waits
	 */
	int batch = c->mode == MODE_BATCH || c->mode == MODE_AUTO, status;

	if (c->pending_path && !(c->pf = fopen(c->pending_path, "a")))
		lqcmd_die(LQ_EXIT_IO, "%s: %s", c->pending_path,
		    strerror(errno));
	if (batch) {
		/*
		 * a batch decides in priority order, so its ledger rows land
		 * all over the B-trees: one transaction writes each page once
		 * (and checkpoints once) rather than once per few thousand
		 * leads; nothing of the batch is written before it commits
		 */
		if (c->batch < 0) {
			c->batch = LONG_MAX;
			c->whole = 1;
		}
		run_batch(c, files, nfiles);
	} else {
		f->fn = route_one;
		f->ctx = c;
		lqcmd_run(f, files, nfiles);
	}
	status = lqcmd_done(f);
	if (c->writes)
		commit(c);
	if (c->pf && (ferror(c->pf) | fclose(c->pf)))
		lqcmd_die(LQ_EXIT_IO, "%s: write error", c->pending_path);
	if (c->npending && !f->quiet)
		lqcmd_warn("%ld leads pending from earlier runs: %ld placed",
		    c->npending, c->nplaced);
	return status;
}

int
main(int argc, char **argv)
{
	struct lqcmd_run f = { .key = "route", .progress = -1 };
	struct ctx c = { .batch = -1 };
	struct opts o = { 0 };
	int status;

	lqcmd_init(argv, "lq-route");
	options(&o, &c, &f, argc, argv);
	load(&c, &o);
	c.key = f.key;
	c.run = &f;
	if (c.batch < 0 && (o.contacts || o.sweep || c.mode == MODE_STREAM))
		c.batch = 256;
	if (o.contacts)
		status = record_contacts(&c, &o, &f);
	else if (o.sweep)
		status = run_sweep(&c, &f);
	else
		status = route_leads(&c, &f, argv + optind, argc - optind);
	if (c.writes) {
		commit(&c);
		lqcmd_out.before_write = NULL;
	}
	lq_ledger_close(c.lg);
	lq_route_free(c.rt);
	return lqcmd_finish(status);
}
