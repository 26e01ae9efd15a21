/*
 * lqcmd.c - shared main() plumbing for the lq tools.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lqcmd.h"

const char *lqcmd_name = "lq";
struct lq_writer lqcmd_out = { 1, LQ_BUF_INIT, 0, NULL, NULL };

void
lqcmd_warn(const char *fmt, ...)
{
	va_list ap;

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

static void
write_failed(void)
{
	if (lqcmd_out.failed_errno == EPIPE) {
		/* like cat and grep: a closed pipe ends us quietly */
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
		_exit(141);
	}
	lqcmd_die(LQ_EXIT_RECORDS, "write error: %s",
	    strerror(lqcmd_out.failed_errno));
}

void
lqcmd_write(const void *p, size_t n)
{
	static int init;

	if (!init) {
		signal(SIGPIPE, SIG_IGN);
		init = 1;
	}
	if (lq_writer_add(&lqcmd_out, p, n) < 0)
		write_failed();
}

int
lqcmd_finish(int status)
{
	if (lq_writer_flush(&lqcmd_out) < 0)
		write_failed();
	lq_buf_release(&lqcmd_out.out);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		lqcmd_warn("write error: %s", strerror(errno));
		return LQ_EXIT_RECORDS;
	}
	if (close(1) < 0 && errno != EBADF) {
		lqcmd_warn("write error: %s", strerror(errno));
		return LQ_EXIT_RECORDS;
	}
	return status;
}

int
lqcmd_filter_opt(struct lqcmd_filter *f, int c, const char *arg,
    const char *help)
{
	switch (c) {
	case 'h':
		fputs(help, stdout);
		exit(lqcmd_finish(0));
	case 'V':
		lqcmd_version();
	case 'k':
		if (!*arg)
			lqcmd_die(LQ_EXIT_USAGE, "-k: empty key");
		f->key = arg;
		return 1;
	case 'q':
		f->quiet = 1;
		return 1;
	case LQCMD_OPT_REJECTS:
		f->rejects = arg;
		return 1;
	case LQCMD_OPT_STRICT:
		f->strict = 1;
		return 1;
	}
	return 0;
}

static int
idle_flush(void *arg)
{
	(void)arg;
	if (lq_writer_flush(&lqcmd_out) < 0)
		write_failed();
	return 0;
}

static void
reject(struct lqcmd_filter *f, FILE **rf, const struct lqcmd_rec *r,
    const char *msg)
{
	lqcmd_warn("%s:%ld: %s", r->file, r->lineno, msg);
	f->rejected++;
	if (f->rejects) {
		if (!*rf && !(*rf = fopen(f->rejects, "a")))
			lqcmd_die(LQ_EXIT_RECORDS, "%s: %s", f->rejects,
			    strerror(errno));
		fwrite(r->line, 1, r->len, *rf);
		fputc('\n', *rf);
	}
}

int
lqcmd_filter_run(struct lqcmd_filter *f, char **files, int nfiles)
{
	struct lq_scan scan = LQ_SCAN_INIT;
	struct lq_buf val = LQ_BUF_INIT, keyjson = LQ_BUF_INIT;
	struct lq_err err;
	FILE *rf = NULL;
	int i, status = 0, comma;
	char *dash[] = { "-" };
	size_t keylen = strlen(f->key);
	long ins;

	signal(SIGPIPE, SIG_IGN);
	scan.want_tape = 1;	/* expressions navigate records by it */
	lq_buf_json_strs(&keyjson, f->key);
	if (nfiles == 0) {
		files = dash;
		nfiles = 1;
	}
	for (i = 0; i < nfiles && !(f->strict && f->rejected); i++) {
		struct lq_reader rd;
		struct lqcmd_rec r;
		int got;

		lq_err_clear(&err);
		if (lq_reader_open(&rd, files[i], &err) < 0) {
			lqcmd_warn("%s", err.msg);
			status = LQ_EXIT_RECORDS;
			continue;
		}
		rd.idle = idle_flush;
		r.file = rd.name;
		r.scan = &scan;
		while ((got = lq_reader_next(&rd, &r.line, &r.len, &err)) > 0) {
			r.lineno = rd.lineno;
			if (r.len == 0) {
				f->skipped++;
				continue;
			}
			f->records++;
			if (lq_json_scan(&scan, r.line, r.len, &err) < 0) {
				reject(f, &rf, &r, err.msg);
			} else if (scan.kind != LQ_J_OBJECT) {
				reject(f, &rf, &r, "not a JSON object");
			} else if ((ins = lq_splice_point(r.line, &scan, f->key,
			    keylen, &comma)) >= 0) {
				/* the usual case: the value goes straight into
				 * the output, between the two halves */
				struct lq_buf *o = &lqcmd_out.out;
				size_t mark = o->len, vstart;
				lq_splice_head(o, r.line, ins, comma,
				    keyjson.buf, keyjson.len);
				vstart = o->len;
				lq_err_clear(&err);
				if (f->fn(f->ctx, &r, o, &err) < 0) {
					o->len = mark;
					o->buf[mark] = 0;
					reject(f, &rf, &r, err.msg);
				} else {
					if (o->len == vstart)
						lq_buf_add(o, "null", 4);
					lq_buf_add(o, r.line + ins,
					    r.len - (size_t)ins);
					lqcmd_write("\n", 1);
				}
			} else {
				lq_buf_reset(&val);
				lq_err_clear(&err);
				if (f->fn(f->ctx, &r, &val, &err) < 0) {
					reject(f, &rf, &r, err.msg);
				} else {
					struct lq_buf *o = &lqcmd_out.out;
					lq_splice(o, r.line, r.len, &scan,
					    f->key, strlen(f->key), keyjson.buf,
					    keyjson.len, val.buf ? val.buf : "null",
					    val.buf ? val.len : 4);
					lqcmd_write("\n", 1);
				}
			}
			if (f->strict && f->rejected)
				break;
		}
		if (got < 0) {
			lqcmd_warn("%s", err.msg);
			status = LQ_EXIT_RECORDS;
		}
		lq_reader_close(&rd);
	}
	if (rf && fclose(rf) == EOF)
		lqcmd_die(LQ_EXIT_RECORDS, "%s: write error", f->rejects);
	if (f->rejected) {
		status = LQ_EXIT_RECORDS;
		if (!f->quiet)
			lqcmd_warn("%ld of %ld records rejected%s%s%s",
			    f->rejected, f->records, f->rejects ? " (kept in " :
			    "", f->rejects ? f->rejects : "", f->rejects ? ")" :
			    "");
	}
	lq_scan_release(&scan);
	lq_buf_release(&val);
	lq_buf_release(&keyjson);
	return status;
}
