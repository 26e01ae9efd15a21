/*
 * lqcmd.h - what every lq tool's main shares: messages, exit statuses, the
 * record loop of a filter, and the options every filter takes.
 *
 * This is the only place outside a main() that prints or exits.
 */
#ifndef LQCMD_H
#define LQCMD_H

#include <getopt.h>
#include <stdio.h>

#include "lq_buf.h"
#include "lq_err.h"
#include "lq_io.h"
#include "lq_json.h"

#ifndef LQ_VERSION
#define LQ_VERSION "0.1.0"
#endif

extern const char *lqcmd_name;	/* the tool's name, for messages */

/* Print "tool: message" on stderr. */
void lqcmd_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "tool: message" and exit with status. */
void lqcmd_die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* Report err ("tool: msg") and exit with its code (2 if unset). */
void lqcmd_die_err(const struct lq_err *err) __attribute__((noreturn));

/* Print "tool (lq) VERSION" and exit 0. */
void lqcmd_version(void) __attribute__((noreturn));

/* Print "usage: ..." (usage text, without the name) to stderr, exit 2. */
void lqcmd_usage(const char *usage) __attribute__((noreturn));

/* one record handed to a filter's callback */
struct lqcmd_rec {
	char *line;		/* the line, NUL-terminated, no newline */
	size_t len;
	const struct lq_scan *scan;	/* its top-level members */
	const char *file;	/* operand name, "-" for stdin */
	long lineno;
};

/*
 * A filter's per-record function: append the JSON value of the tool's
 * member to val.  Return 0, or -1 with err set to make the record a bad
 * record (reported, rejected, not written).
 */
typedef int (*lqcmd_fn)(void *ctx, const struct lqcmd_rec *rec,
    struct lq_buf *val, struct lq_err *err);

struct lqcmd_filter {
	const char *key;	/* output member name (-k) */
	const char *rejects;	/* --rejects FILE, or NULL */
	int strict;		/* --strict */
	int quiet;		/* -q: no end-of-run summary */
	lqcmd_fn fn;
	void *ctx;
	/* counters, filled by lqcmd_filter_run */
	long records, rejected, skipped;
};

/* the long options every filter accepts (merge into the tool's table) */
#define LQCMD_OPT_REJECTS 0x1001
#define LQCMD_OPT_STRICT 0x1002
#define LQCMD_FILTER_OPTIONS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, 'V' }, \
	{ "key", required_argument, NULL, 'k' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "rejects", required_argument, NULL, LQCMD_OPT_REJECTS }, \
	{ "strict", no_argument, NULL, LQCMD_OPT_STRICT }

/*
 * Handle an option shared by all filters (h, V, k, q, rejects, strict).
 * Returns 1 if handled, 0 if the tool must handle it.  help is the text
 * printed by -h.
 */
int lqcmd_filter_opt(struct lqcmd_filter *f, int c, const char *arg,
    const char *help);

/*
 * Run the filter over the operands (none: standard input), writing to
 * standard output.  Returns the exit status: 0, or 1 when a record was
 * rejected or an input could not be read.  Exits quietly on a broken
 * pipe and with status 1 when standard output cannot be written.
 */
int lqcmd_filter_run(struct lqcmd_filter *f, char **files, int nfiles);

/*
 * Finish: flush and close standard output; on failure report and return
 * 1, else return status.  Every main's single exit path ends with
 * return lqcmd_finish(status).
 */
int lqcmd_finish(int status);

/* Shared stdout writer, used by lqcmd_filter_run and tools that write. */
extern struct lq_writer lqcmd_out;

/* Write to lqcmd_out; on a write error report it and exit (1, or quietly
 * by SIGPIPE for a closed pipe). */
void lqcmd_write(const void *p, size_t n);

#endif
