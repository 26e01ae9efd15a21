/*
 * lqcmd.h - what every lq tool's main shares: messages, exit statuses, the
 * options every tool takes, and the one record loop (filters and sinks).
 *
 * This is the only place outside a main() that prints or exits.
 *
 * Exit statuses (lq_err.h): 0 every record processed; 1 some records
 * rejected (reported, kept with --rejects; the output is otherwise
 * complete); 2 usage, rule, model or state error, before any input is
 * read; 3 an I/O or system failure (an input that cannot be read, a write
 * error, a full disk): the output is incomplete.
 */
#ifndef LQCMD_H
#define LQCMD_H

#include <getopt.h>
#include <stdio.h>

#include "lq_buf.h"
#include "lq_err.h"
#include "lq_io.h"
#include "lq_json.h"

/* the version is set in one place, the Makefile (VERSION) */
#ifndef LQ_VERSION
#error "LQ_VERSION comes from the Makefile: build with make"
#endif

extern const char *lqcmd_name;	/* the tool's name, for messages */

/*
 * Start a tool: its name for messages (also getopt's: "lq-csv: unknown
 * option", never the path it was run by), and SIGPIPE ignored so that a
 * closed pipe is seen as a write error (and ends the tool quietly).
 */
void lqcmd_init(char **argv, const char *name);

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

/*
 * A required option is missing: "tool: -r RULES is required", then the
 * usage; exit 2.
 */
void lqcmd_required(const char *what, const char *usage)
	__attribute__((noreturn));

/* one record handed to a tool's callback */
struct lqcmd_rec {
	char *line;		/* the line, NUL-terminated, no newline */
	size_t len;
	const struct lq_scan *scan;	/* its top-level members */
	const char *file;	/* operand name, "-" for stdin */
	long lineno;
};

/*
 * A tool's per-record function.  A filter appends the JSON value of its
 * member to val; a sink (no key) takes the record in and gets val NULL.
 * Return 0, or -1 with err set to make the record a bad record (reported,
 * rejected, not written).  An err with code LQ_EXIT_IO or LQ_EXIT_USAGE
 * ends the run with that status (a failure of the tool, not of the
 * record: a ledger that cannot be written).
 */
typedef int (*lqcmd_fn)(void *ctx, const struct lqcmd_rec *rec,
    struct lq_buf *val, struct lq_err *err);

struct lqcmd_run {
	const char *key;	/* filters: output member (-k); NULL: sink */
	const char *rejects;	/* --rejects FILE, or NULL */
	int strict;		/* --strict */
	int quiet;		/* -q: no end-of-run summary */
	int progress;		/* --progress 1, --no-progress 0, -1: when
				   standard error is a terminal */
	lqcmd_fn fn;
	void *ctx;
	/*
	 * Filters, optional: windows of up to window records.  fn may then
	 * return 1 (the record waits: its output is dropped); that record
	 * and those after it (fn called once on each, output dropped) are
	 * held until the window is full, the input would wait or ends; then
	 * resolve(ctx, 0) is called, fn again on each held record in order
	 * (written as usual), and resolve(ctx, 1).
	 */
	int window;
	void (*resolve)(void *ctx, int end);
	/* filled by lqcmd_run / lqcmd_reject */
	long records, rejected, skipped;
	int failed;		/* LQ_EXIT_IO: an input could not be read */
	FILE *rf;		/* the --rejects file, opened on first use */
	/* progress line (lqcmd.c) */
	double t0, shown_at, total;
	double bytes;
	int shown;
	long next_check;
};

/* the codes of the long-only options every tool takes */
#define LQCMD_OPT_REJECTS 0x1001
#define LQCMD_OPT_STRICT 0x1002
#define LQCMD_OPT_PROGRESS 0x1003
#define LQCMD_OPT_NOPROGRESS 0x1004
/* a tool's own long-only options take codes from here up */
#define LQCMD_OPT_TOOL 0x2001

/*
 * One option of a tool, listed once: getopt_long's short and long forms
 * and its entry in --help are made from this row.  val is the short
 * letter, or a code from LQCMD_OPT_TOOL up for a long-only option; arg
 * names its argument in --help (NULL: it takes none); help is its text,
 * lines separated by "\n" (NULL: not listed in --help).  A row whose
 * name is already in the table only lists it again in --help (lq-csv
 * shows -d under both directions).  A row with no name is a break in
 * --help: a blank line, then help unless it is "".  { 0 } ends a table.
 * The options every tool takes (--rejects, --strict, --[no-]progress,
 * -q, -h, -V) are added by lqcmd_getopt(); a filter lists -k itself.
 */
struct lqcmd_option {
	int val;
	const char *name;
	const char *arg;
	const char *help;
};

/* A tool's options and the --help text around them. */
struct lqcmd_options {
	const char *usage;	/* the synopsis, after "usage: tool " */
	const char *head;	/* --help before the options (ends "\n\n") */
	const struct lqcmd_option *opt;
	const char *foot;	/* --help after the exit statuses */
};

/*
 * getopt_long over the options of o (and those every tool takes, handled
 * here: -h prints the help made from o and exits 0, -V the version;
 * -q, --rejects, --strict, --[no-]progress set r; -k sets r->key when r
 * is a filter).  Returns the next option the tool handles (its val; the
 * argument in optarg) or -1 at the end of the options.  An unknown
 * option or a missing argument: the usage, exit 2.
 */
int lqcmd_getopt(const struct lqcmd_options *o, struct lqcmd_run *r,
    int argc, char **argv);

/*
 * The record loop: read the operands (none: standard input) line by line
 * as NDJSON, refuse what is not a JSON object, hand each record to r->fn,
 * and for a filter write it out with the tool's member spliced in.  Bad
 * records are reported ("tool: file:line: what"), appended to --rejects,
 * counted; --strict stops at the first.  Returns the status so far: 0, 1
 * (records rejected) or 3 (an input could not be read); call
 * lqcmd_done() at the end.
 */
int lqcmd_run(struct lqcmd_run *r, char **files, int nfiles);

/*
 * A bad record found outside lqcmd_run (lq-csv reads CSV): report "tool:
 * file:line: msg", append raw[0..len) and a newline to --rejects.
 */
void lqcmd_reject(struct lqcmd_run *r, const char *file, long line,
    const char *raw, size_t len, const char *msg);

/* The --rejects file, opened (appending) on first use; exits 3 on failure. */
FILE *lqcmd_rejects_file(struct lqcmd_run *r);

/*
 * Start a run that reads its operands itself (lq-csv reads CSV): the
 * progress line, on or off, and the input's size when it is known.
 * lqcmd_run() calls it.
 */
void lqcmd_start(struct lqcmd_run *r, char **files, int nfiles);

/*
 * Count bytes of input read (for the progress line); called by lqcmd_run
 * for each record, by a tool with its own reader otherwise.
 */
void lqcmd_progress(struct lqcmd_run *r, size_t bytes);

/*
 * End of input: close --rejects (exit 3 if it cannot be written), clear
 * the progress line, print the summary "N of M records rejected (kept in
 * FILE)" unless -q, and return the status (3 if an input failed, else 1
 * if a record was rejected, else 0).
 */
int lqcmd_done(struct lqcmd_run *r);

/*
 * Finish: flush and close standard output; on failure report it and
 * return 3, else return status.  Every main's single exit path ends with
 * return lqcmd_finish(status).
 */
int lqcmd_finish(int status);

/* Shared stdout writer, used by lqcmd_run and tools that write. */
extern struct lq_writer lqcmd_out;

/* Write to lqcmd_out; on a write error report it and exit (3, or quietly
 * by SIGPIPE for a closed pipe). */
void lqcmd_write(const void *p, size_t n);

/*
 * Write b to path whole or not at all (a temporary file renamed into
 * place; a path that is not a regular file, such as /dev/null, directly).
 * Returns 0, or LQ_EXIT_IO after reporting the error.
 */
int lqcmd_write_file(const char *path, const struct lq_buf *b);

#endif
