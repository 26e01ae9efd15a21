/*
 * lqcmd.c - shared main() plumbing for the lq tools: messages, options,
 * the record loop, the progress line, exit statuses.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lqcmd.h"

const char *lqcmd_name = "lq";
struct lq_writer lqcmd_out;	/* standard output (lqcmd_init) */

static struct lqcmd_run *active;	/* the run whose progress is shown */

static void
progress_clear(void)
{
	if (active && active->shown) {
		fputs("\r\033[K", stderr);
		active->shown = 0;
	}
}

void
lqcmd_init(char **argv, const char *name)
{
	lqcmd_name = name;
	argv[0] = (char *)name;	/* getopt's messages name the tool */
	lq_writer_init(&lqcmd_out, 1);
	signal(SIGPIPE, SIG_IGN);
}

void
lqcmd_warn(const char *fmt, ...)
{
	va_list ap;

	progress_clear();
	fprintf(stderr, "%s: ", lqcmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
lqcmd_die(int status, const char *fmt, ...)
{
	va_list ap;

	progress_clear();
	fflush(stdout);
	fprintf(stderr, "%s: ", lqcmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

void
lqcmd_die_err(const struct lq_err *err)
{
	lqcmd_die(err->code ? err->code : LQ_EXIT_USAGE, "%s", err->msg);
}

void
lqcmd_version(void)
{
	printf("%s (lq) %s\n", lqcmd_name, LQ_VERSION);
	exit(lqcmd_finish(0));
}

void
lqcmd_usage(const char *usage)
{
	fprintf(stderr, "usage: %s %s\nTry '%s --help' for more.\n",
	    lqcmd_name, usage, lqcmd_name);
	exit(LQ_EXIT_USAGE);
}

void
lqcmd_required(const char *what, const char *usage)
{
	lqcmd_warn("%s is required", what);
	lqcmd_usage(usage);
}

static void
write_failed(void)
{
	if (lqcmd_out.failed_errno == EPIPE) {
		/* like cat and grep: a closed pipe ends us quietly */
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
		_exit(141);
	}
	lqcmd_die(LQ_EXIT_IO, "write error: %s",
	    strerror(lqcmd_out.failed_errno));
}

void
lqcmd_write(const void *p, size_t n)
{
	if (lq_writer_add(&lqcmd_out, p, n) < 0)
		write_failed();
}

int
lqcmd_finish(int status)
{
	if (lq_writer_release(&lqcmd_out) < 0)
		write_failed();
	if (fflush(stdout) == EOF || ferror(stdout)) {
		lqcmd_warn("write error: %s", strerror(errno));
		return LQ_EXIT_IO;
	}
	if (close(1) < 0 && errno != EBADF) {
		lqcmd_warn("write error: %s", strerror(errno));
		return LQ_EXIT_IO;
	}
	return status;
}

/* the options every tool takes, after the tool's own in --help */
static const struct lqcmd_option common[] = {
	{ LQCMD_OPT_REJECTS, "rejects", "FILE",
	    "append bad input lines to FILE" },
	{ LQCMD_OPT_STRICT, "strict", NULL, "stop at the first bad record" },
	{ LQCMD_OPT_PROGRESS, "progress", NULL, "a progress line on standard "
	    "error (default: when\nit is a terminal and the run is long)" },
	{ LQCMD_OPT_NOPROGRESS, "no-progress", NULL, "never a progress line" },
	{ 'q', "quiet", NULL, "no end-of-run summary on standard error" },
	{ 'h', "help", NULL, "this help" },
	{ 'V', "version", NULL, "version" },
	{ 0 }
};

#define HELP_COL 25	/* where the text of an option starts in --help */
#define MAX_OPTS 64

static int
is_letter(int val)
{
	return val > 0 && val < 0x80 && isalnum(val);
}

/* the options of table t in --help */
static void
help_rows(const struct lqcmd_option *t)
{
	for (; t->name || t->help; t++) {
		const char *h = t->help;
		int n;

		if (!t->name) {
			printf("\n%s%s", h, *h ? "\n" : "");
			continue;
		}
		if (!h)
			continue;
		if (is_letter(t->val))
			n = printf("  -%c, --%s", t->val, t->name);
		else
			n = printf("      --%s", t->name);
		if (t->arg)
			n += printf(" %s", t->arg);
		do
			putchar(' ');
		while (++n < HELP_COL);
		for (;;) {
			const char *nl = strchr(h, '\n');
			printf("%.*s\n", nl ? (int)(nl - h) : (int)strlen(h), h);
			if (!nl)
				break;
			h = nl + 1;
			printf("%*s", HELP_COL, "");
		}
	}
}

static void __attribute__((noreturn))
help(const struct lqcmd_options *o)
{
	fputs(o->head, stdout);
	help_rows(o->opt);
	help_rows(common);
	fputs("\nExit status: 0 all records processed, 1 some records "
	    "rejected (the rest\nwritten), 2 usage, rule or model error "
	    "(nothing read), 3 an input could\nnot be read or the output "
	    "not written (output incomplete).\n", stdout);
	fputs(o->foot, stdout);
	exit(lqcmd_finish(0));
}

/* add the rows of t not yet in lo (by name) to lo and so */
static void
add_rows(const struct lqcmd_option *t, struct option *lo, int *nlo,
    char *so, size_t *nso)
{
	for (; t->name || t->help; t++) {
		int seen = !t->name;

		for (int i = 0; i < *nlo && !seen; i++)
			seen = !strcmp(lo[i].name, t->name);
		if (seen)
			continue;
		if (*nlo >= MAX_OPTS - 1)
			lqcmd_die(LQ_EXIT_USAGE, "more than %d options",
			    MAX_OPTS - 1);	/* a tool's table: a bug */
		lo[*nlo] = (struct option){ t->name, t->arg ?
		    required_argument : no_argument, NULL, t->val };
		++*nlo;
		if (is_letter(t->val)) {
			so[(*nso)++] = (char)t->val;
			if (t->arg)
				so[(*nso)++] = ':';
		}
	}
}

int
lqcmd_getopt(const struct lqcmd_options *o, struct lqcmd_run *r, int argc,
    char **argv)
{
	static struct option lo[MAX_OPTS];
	static char so[3 * MAX_OPTS];
	static const struct lqcmd_options *made;
	int c;

	if (made != o) {
		int nlo = 0;
		size_t nso = 0;

		add_rows(common, lo, &nlo, so, &nso);
		add_rows(o->opt, lo, &nlo, so, &nso);
		lo[nlo] = (struct option){ 0 };
		so[nso] = 0;
		made = o;
	}
	for (;;) {
		switch (c = getopt_long(argc, argv, so, lo, NULL)) {
		case 'h':
			help(o);
		case 'V':
			lqcmd_version();
		case 'k':
			if (!r->key)
				return c;	/* not a filter: the tool's */
			if (!*optarg)
				lqcmd_die(LQ_EXIT_USAGE, "-k: empty key");
			r->key = optarg;
			break;
		case 'q':
			r->quiet = 1;
			break;
		case LQCMD_OPT_REJECTS:
			r->rejects = optarg;
			break;
		case LQCMD_OPT_STRICT:
			r->strict = 1;
			break;
		case LQCMD_OPT_PROGRESS:
			r->progress = 1;
			break;
		case LQCMD_OPT_NOPROGRESS:
			r->progress = 0;
			break;
		case '?':
		case ':':
			lqcmd_usage(o->usage);
		default:
			return c;
		}
	}
}

/* ---- progress ----------------------------------------------------------- */

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
lqcmd_start(struct lqcmd_run *r, char **files, int nfiles)
{
	struct stat st;

	if (r->progress < 0)
		r->progress = isatty(2) ? 2 : 0;	/* 2: automatic */
	r->t0 = mono();
	r->next_check = 1;
	r->total = 0;
	for (int i = 0; i < nfiles; i++) {
		int ok = strcmp(files[i], "-") ? stat(files[i], &st) == 0 :
		    fstat(0, &st) == 0;
		if (!ok || !S_ISREG(st.st_mode)) {
			r->total = -1;	/* a pipe: unknown */
			break;
		}
		r->total += (double)st.st_size;
	}
	active = r;
}

static void
progress_draw(struct lqcmd_run *r, double now)
{
	double dt = now - r->t0, rate = dt > 0 ? r->records / dt : 0;

	fprintf(stderr, "\r%s: %ld records, %.1f MB, %.0f records/s",
	    lqcmd_name, r->records, r->bytes / 1e6, rate);
	if (r->total > 0 && r->bytes > 0) {
		double f = r->bytes / r->total, eta = dt / f - dt;
		if (f > 1)
			f = 1;
		if (eta < 0)
			eta = 0;
		fprintf(stderr, ", %.0f%%, ETA %d:%02d", 100 * f,
		    (int)eta / 60, (int)eta % 60);
	}
	fputs("\033[K", stderr);
	fflush(stderr);
	r->shown = 1;
	r->shown_at = now;
}

void
lqcmd_progress(struct lqcmd_run *r, size_t bytes)
{
	r->bytes += (double)bytes;
	if (r->progress <= 0 || --r->next_check > 0)
		return;
	r->next_check = 256;	/* look at the clock now and then */
	double now = mono();
	/* automatic: only for a long run (half a second with a size to
	 * measure against, a second without) */
	if (!r->shown && r->progress == 2 && now - r->t0 <
	    (r->total > 0 ? 0.5 : 1.0))
		return;
	if (r->shown && now - r->shown_at < 0.25)
		return;
	progress_draw(r, now);
}

/* ---- the record loop ------------------------------------------------- */

FILE *
lqcmd_rejects_file(struct lqcmd_run *r)
{
	if (!r->rf && !(r->rf = fopen(r->rejects, "a")))
		lqcmd_die(LQ_EXIT_IO, "%s: %s", r->rejects, strerror(errno));
	return r->rf;
}

void
lqcmd_reject(struct lqcmd_run *r, const char *file, long line,
    const char *raw, size_t len, const char *msg)
{
	lqcmd_warn("%s:%ld: %s", file, line, msg);
	r->rejected++;
	if (r->rejects) {
		FILE *f = lqcmd_rejects_file(r);
		fwrite(raw, 1, len, f);
		fputc('\n', f);
	}
}

int
lqcmd_done(struct lqcmd_run *r)
{
	int status = r->failed ? LQ_EXIT_IO : r->rejected ? LQ_EXIT_RECORDS :
	    0;

	progress_clear();
	if (active == r)
		active = NULL;
	if (r->rf && (ferror(r->rf) | fclose(r->rf)))
		lqcmd_die(LQ_EXIT_IO, "%s: write error", r->rejects);
	r->rf = NULL;
	if (r->rejected && !r->quiet)
		lqcmd_warn("%ld of %ld records rejected%s%s%s", r->rejected,
		    r->records, r->rejects ? " (kept in " : "", r->rejects ?
		    r->rejects : "", r->rejects ? ")" : "");
	return status;
}

/* the records a window holds (struct lqcmd_run, window) */
static struct {
	struct lq_buf lines;	/* each line and a NUL */
	size_t *off, cap, n;
	long *lineno;
	const char **file;
	struct lq_scan scan;
	struct lq_buf val;
} win = { .scan = LQ_SCAN_INIT };

static struct lqcmd_run *idle_run;
static const struct lq_buf *idle_keyjson;

static void drain(struct lqcmd_run *r, const struct lq_buf *keyjson);

static int
idle_flush(void *arg)
{
	(void)arg;
	/* the input waits: the window's leads go out now */
	if (win.n)
		drain(idle_run, idle_keyjson);
	if (lq_writer_flush(&lqcmd_out) < 0)
		write_failed();
	return 0;
}

/* a record the tool could not take: bad, or the end of the run */
static void
bad(struct lqcmd_run *r, const struct lqcmd_rec *rec, struct lq_err *err)
{
	if (err->code == LQ_EXIT_IO || err->code == LQ_EXIT_USAGE) {
		lq_writer_flush(&lqcmd_out);
		lqcmd_die_err(err);
	}
	lqcmd_reject(r, rec->file, rec->lineno, rec->line, rec->len,
	    err->msg);
}

/*
 * A filter's record (scanned into rec->scan): the tool's value spliced in
 * and written, or the record rejected.  Returns the tool's 1 (the record
 * waits for its window; nothing written) when defer is set.
 */
static int
put(struct lqcmd_run *r, const struct lqcmd_rec *rec,
    const struct lq_buf *keyjson, struct lq_buf *val, int defer)
{
	size_t keylen = strlen(r->key);
	struct lq_err err;
	long ins;
	int comma, rc;

	lq_err_clear(&err);
	if ((ins = lq_splice_point(rec->line, rec->scan, r->key, keylen,
	    &comma)) >= 0) {
		/* the usual case: the value goes straight into the output,
		 * between the two halves */
		struct lq_buf *o = &lqcmd_out.out;
		size_t mark = o->len, vstart;
		lq_splice_head(o, rec->line, ins, comma, keyjson->buf,
		    keyjson->len);
		vstart = o->len;
		if ((rc = r->fn(r->ctx, rec, o, &err)) < 0 ||
		    (rc > 0 && defer)) {
			o->len = mark;
			o->buf[mark] = 0;
			if (rc < 0)
				bad(r, rec, &err);
		} else {
			if (o->len == vstart)
				lq_buf_add(o, "null", 4);
			lq_buf_add(o, rec->line + ins, rec->len - (size_t)ins);
			lqcmd_write("\n", 1);
		}
	} else {
		lq_buf_reset(val);
		if ((rc = r->fn(r->ctx, rec, val, &err)) < 0) {
			bad(r, rec, &err);
		} else if (!(rc > 0 && defer)) {
			lq_splice(&lqcmd_out.out, rec->line, rec->len,
			    rec->scan, r->key, keylen, keyjson->buf,
			    keyjson->len, val->buf ? val->buf : "null",
			    val->buf ? val->len : 4);
			lqcmd_write("\n", 1);
		}
	}
	return rc > 0 && defer ? 1 : 0;
}

/* hold rec in the window */
static void
win_add(const struct lqcmd_rec *rec)
{
	if (win.n == win.cap) {
		win.cap = win.cap ? 2 * win.cap : 64;
		win.off = realloc(win.off, win.cap * sizeof(*win.off));
		win.lineno = realloc(win.lineno, win.cap * sizeof(*win.lineno));
		win.file = realloc(win.file, win.cap * sizeof(*win.file));
		if (!win.off || !win.lineno || !win.file)
			abort();
	}
	win.off[win.n] = win.lines.len;
	win.lineno[win.n] = rec->lineno;
	win.file[win.n++] = rec->file;
	lq_buf_add(&win.lines, rec->line, rec->len);
	lq_buf_addc(&win.lines, 0);
}

/* the window's lookups, then its records in order */
static void
drain(struct lqcmd_run *r, const struct lq_buf *keyjson)
{
	struct lq_err err;

	if (!win.n)
		return;
	r->resolve(r->ctx, 0);
	for (size_t i = 0; i < win.n; i++) {
		struct lqcmd_rec rec;
		size_t end = i + 1 < win.n ? win.off[i + 1] : win.lines.len;
		rec.line = win.lines.buf + win.off[i];
		rec.len = end - win.off[i] - 1;
		rec.file = win.file[i];
		rec.lineno = win.lineno[i];
		rec.scan = &win.scan;
		lq_err_clear(&err);
		if (lq_json_scan(&win.scan, rec.line, rec.len, &err) < 0) {
			lqcmd_reject(r, rec.file, rec.lineno, rec.line, rec.len,
			    err.msg);
			continue;
		}
		put(r, &rec, keyjson, &win.val, 0);
		if (r->strict && r->rejected)
			break;
	}
	r->resolve(r->ctx, 1);
	win.n = 0;
	lq_buf_reset(&win.lines);
}

int
lqcmd_run(struct lqcmd_run *r, char **files, int nfiles)
{
	struct lq_scan scan = LQ_SCAN_INIT;
	struct lq_buf val = LQ_BUF_INIT, keyjson = LQ_BUF_INIT;
	struct lq_err err;
	int i;
	char *dash[] = { "-" };
	int windows = r->key && r->window > 0 && r->resolve;

	scan.want_tape = 1;	/* expressions navigate records by it */
	win.scan.want_tape = 1;
	if (r->key)
		lq_buf_json_strs(&keyjson, r->key);
	idle_run = r;
	idle_keyjson = &keyjson;
	if (nfiles == 0) {
		files = dash;
		nfiles = 1;
	}
	lqcmd_start(r, files, nfiles);
	for (i = 0; i < nfiles && !(r->strict && r->rejected); i++) {
		struct lq_reader rd;
		struct lqcmd_rec rec;
		int got;

		lq_err_clear(&err);
		if (lq_reader_open(&rd, files[i], &err) < 0) {
			lqcmd_warn("%s", err.msg);
			r->failed = 1;
			continue;
		}
		rd.idle = idle_flush;
		rec.file = rd.name;
		rec.scan = &scan;
		while ((got = lq_reader_next(&rd, &rec.line, &rec.len,
		    &err)) > 0 || got == -2) {
			rec.lineno = rd.lineno;
			if (got == -2) {
				/* too long to hold: reported, not kept */
				r->records++;
				lqcmd_warn("%s:%ld: %s", rec.file, rec.lineno,
				    err.msg);
				r->rejected++;
				if (r->strict)
					break;
				continue;
			}
			lqcmd_progress(r, rec.len + 1);
			if (rec.len == 0) {
				r->skipped++;
				continue;
			}
			r->records++;
			lq_err_clear(&err);
			if (lq_json_scan(&scan, rec.line, rec.len, &err) < 0) {
				lqcmd_reject(r, rec.file, rec.lineno, rec.line,
				    rec.len, err.msg);
			} else if (scan.kind != LQ_J_OBJECT) {
				lqcmd_reject(r, rec.file, rec.lineno, rec.line,
				    rec.len, "not a JSON object");
			} else if (!r->key) {
				/* a sink: the tool takes the record in */
				if (r->fn(r->ctx, &rec, NULL, &err) < 0)
					bad(r, &rec, &err);
			} else if (windows && win.n) {
				/* behind a waiting record: its keys join the
				 * window, it waits too (evaluated again) */
				lq_buf_reset(&val);
				(void)r->fn(r->ctx, &rec, &val, &err);
				win_add(&rec);
			} else if (put(r, &rec, &keyjson, &val, windows)) {
				win_add(&rec);
			}
			if (windows && win.n >= (size_t)r->window)
				drain(r, &keyjson);
			if (r->strict && r->rejected)
				break;
		}
		if (windows)
			drain(r, &keyjson);
		if (got < 0) {
			lqcmd_warn("%s", err.msg);
			r->failed = 1;
		}
		lq_reader_close(&rd);
	}
	lq_scan_release(&scan);
	lq_buf_release(&val);
	lq_buf_release(&keyjson);
	return r->failed ? LQ_EXIT_IO : r->rejected ? LQ_EXIT_RECORDS : 0;
}

/* ---- files ---------------------------------------------------------------- */

static int
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!w)
				errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
lqcmd_write_file(const char *path, const struct lq_buf *b)
{
	struct stat st;
	struct lq_buf tmp = LQ_BUF_INIT;
	char *real = NULL;
	const char *p = b->buf ? b->buf : "";
	mode_t mode;
	int fd, failed, e;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if ((fd = open(path, O_WRONLY | O_TRUNC)) < 0 ||
		    write_all(fd, p, b->len) || close(fd)) {
			lqcmd_warn("%s: %s", path, strerror(errno));
			return LQ_EXIT_IO;
		}
		return 0;
	}
	if (stat(path, &st) == 0) {
		mode = st.st_mode & 07777;
		if ((real = realpath(path, NULL)))
			path = real;	/* through a symbolic link */
	} else {
		mode_t mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	lq_buf_addf(&tmp, "%s.tmpXXXXXX", path);
	if ((fd = mkstemp(tmp.buf)) < 0) {
		lqcmd_warn("%s: %s", path, strerror(errno));
		free(real);
		lq_buf_release(&tmp);
		return LQ_EXIT_IO;
	}
	failed = fchmod(fd, mode) || write_all(fd, p, b->len) || fsync(fd);
	e = errno;
	if (close(fd) && !failed) {
		failed = 1;
		e = errno;
	}
	if (!failed && rename(tmp.buf, path)) {
		failed = 1;
		e = errno;
	}
	if (failed) {
		unlink(tmp.buf);
		lqcmd_warn("%s: %s", path, strerror(e));
	}
	free(real);
	lq_buf_release(&tmp);
	return failed ? LQ_EXIT_IO : 0;
}
