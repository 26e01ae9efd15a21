/*
 * lq_io.h - NDJSON line reader, buffered writer and member splicing.
 *
 * The reader hands out whole lines of any length without their line
 * ending (LF or CRLF).  Before it would block on a read it calls the
 * idle hook, which a tool sets to flush its writer: a lead that arrives
 * alone on a pipe leaves at once, while batch input is written in large
 * blocks (lq(7), STREAMING AND PARALLEL RUNS).
 */
#ifndef LQ_IO_H
#define LQ_IO_H

#include <stddef.h>

#include "lq_buf.h"
#include "lq_err.h"
#include "lq_json.h"

struct lq_reader {
	int fd;
	const char *name;	/* for messages: the operand, or "-" */
	char *buf;
	size_t cap, start, end;	/* unread bytes are buf[start..end) */
	long lineno;		/* number of the line last returned */
	int eof;
	int (*idle)(void *);	/* called before a read that would block */
	void *idle_arg;
};

/*
 * Open path ("-" or NULL: standard input) for reading.  name is kept by
 * reference.  Returns 0, or -1 with err set.
 */
int lq_reader_open(struct lq_reader *r, const char *path, struct lq_err *err);

/* the longest line a reader hands out (a record is tens of MB at most) */
#define LQ_MAX_LINE (256 << 20)

/*
 * Return the next line in *line and *len (valid until the next call; the byte
 * after it may be overwritten with NUL).  Returns 1 for a line, 0 at end of
 * input, -1 on a read error (err set), -2 for a line longer than
 * LQ_MAX_LINE, read to its end but not kept (err set; lineno counts it):
 * a bad record.  A final line without a newline is returned as a line.
 */
int lq_reader_next(struct lq_reader *r, char **line, size_t *len,
    struct lq_err *err);

/* Close the input (not standard input) and free the buffer. */
void lq_reader_close(struct lq_reader *r);

struct lq_writer {
	int fd;
	struct lq_buf out;
	int failed_errno;	/* errno of the first failed write, or 0 */
	/*
	 * Optional: called before pending bytes are written out; a tool
	 * that must make something durable first (lq-route commits its
	 * ledger) does it here.  Returning -1 fails the write (EIO).
	 */
	int (*before_write)(void *);
	void *before_arg;
};

/* Initialise a writer on fd. */
void lq_writer_init(struct lq_writer *w, int fd);

/* Append bytes; writes out when 64 KiB are pending.  -1 after a failure. */
int lq_writer_add(struct lq_writer *w, const void *p, size_t n);

/* Write out everything pending.  Returns 0, or -1 (w->failed_errno set). */
int lq_writer_flush(struct lq_writer *w);

/* Flush and free the buffer (the fd is not closed). */
int lq_writer_release(struct lq_writer *w);

/*
 * Where lq_splice() would put "key":val when the record has no member
 * named key: the byte offset in line after which to write ',"key":val'
 * (no comma when the object is empty, see *comma); -1 when there is such
 * a member (then use lq_splice()).  Lets a tool write its value straight
 * into the output.
 */
long lq_splice_point(const char *line, const struct lq_scan *s,
    const char *key, size_t keylen, int *comma);

/*
 * Append line[0..ins), then ',' when comma, then keyjson and ':' (ins and
 * comma from lq_splice_point()): what precedes the value; line[ins..)
 * follows it.
 */
void lq_splice_head(struct lq_buf *out, const char *line, long ins,
    int comma, const char *keyjson, size_t keyjsonlen);

/*
 * Append to out the record line[0..len) (scanned into s, an object) with
 * every top-level member named key removed and the member "key":val
 * appended after the last remaining member.  keyjson is the key as a JSON
 * string literal (quotes included).  Whitespace and bytes outside the
 * removed members are kept, so splicing the output again with the same key
 * gives the same bytes.
 */
void lq_splice(struct lq_buf *out, const char *line, size_t len,
    const struct lq_scan *s, const char *key, size_t keylen,
    const char *keyjson, size_t keyjsonlen, const char *val, size_t vlen);

#endif
