/*
 * lq_err.h - the one error convention of liblq.
 *
 * lib/ never prints and never exits: a function that can fail takes a
 * struct lq_err * and fills it in, and returns -1 (or NULL).  cmd/ reports
 * err->msg prefixed with the tool name.  Messages are lowercase, carry their
 * own location ("rules.yaml:12:5: ...") when they have one, and never end
 * with a newline.
 */
#ifndef LQ_ERR_H
#define LQ_ERR_H

#include <stddef.h>

/* exit statuses shared by every tool (lq(7), EXIT STATUS) */
enum {
	LQ_EXIT_OK = 0,		/* every record processed */
	LQ_EXIT_RECORDS = 1,	/* some records rejected; output otherwise
				   complete */
	LQ_EXIT_USAGE = 2,	/* usage, rule, model or state error: nothing
				   read */
	LQ_EXIT_IO = 3		/* I/O or system failure (unreadable input,
				   write error, full disk, out of memory):
				   output incomplete */
};

struct lq_err {
	int code;		/* 0: no error; otherwise an LQ_EXIT_* value */
	char msg[1024];
};

/* Clear err (code 0, empty message). */
void lq_err_clear(struct lq_err *err);

/* Set err to a printf-formatted message with status code; returns -1. */
int lq_err_set(struct lq_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Set err to "FILE:LINE:COL: message" (LINE and COL 1-based; COL 0 omits
 * the column); returns -1.
 */
int lq_err_at(struct lq_err *err, const char *file, int line, int col,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Prepend "prefix: " to an error already set; returns -1. */
int lq_err_prefix(struct lq_err *err, const char *prefix);

#endif
