/*
 * io.c - line reader with idle hook, block writer, member splice.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lq_io.h"

#define READ_CHUNK (256 * 1024)
#define WRITE_BLOCK (64 * 1024)

int
lq_reader_open(struct lq_reader *r, const char *path, struct lq_err *err)
{
	memset(r, 0, sizeof(*r));
	if (!path || !strcmp(path, "-")) {
		r->fd = 0;
		r->name = "-";
		return 0;
	}
	r->name = path;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return lq_err_set(err, LQ_EXIT_RECORDS, "%s: %s", path,
		    strerror(errno));
	return 0;
}

void
lq_reader_close(struct lq_reader *r)
{
	if (r->fd > 0)
		close(r->fd);
	free(r->buf);
	r->buf = NULL;
	r->fd = -1;
}

static int
would_block(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 0;
}

/* Read more bytes into the buffer; returns bytes read, 0 at EOF, -1. */
static ssize_t
fill(struct lq_reader *r, struct lq_err *err)
{
	ssize_t got;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < READ_CHUNK / 4) {
		size_t cap = r->cap ? r->cap * 2 : READ_CHUNK;
		char *b = realloc(r->buf, cap + 1);
		if (!b)
			return lq_err_set(err, LQ_EXIT_RECORDS,
			    "%s: out of memory for a line", r->name);
		r->buf = b;
		r->cap = cap;
	}
	if (r->idle && would_block(r->fd)) {
		if (r->idle(r->idle_arg) < 0)
			return lq_err_set(err, LQ_EXIT_RECORDS,
			    "write error");
	}
	do
		got = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return lq_err_set(err, LQ_EXIT_RECORDS, "%s: read: %s",
		    r->name, strerror(errno));
	r->end += (size_t)got;
	return got;
}

/*
 * A line past LQ_MAX_LINE: read on to its end without keeping it (memory
 * stays bounded whatever comes in, /dev/zero included) and say so.
 */
static int
skip_line(struct lq_reader *r, struct lq_err *err)
{
	size_t total = r->end - r->start;
	ssize_t got;

	r->start = r->end = 0;
	for (;;) {
		if ((got = fill(r, err)) < 0)
			return -1;
		if (got == 0) {
			r->eof = 1;
			break;
		}
		char *nl = memchr(r->buf, '\n', r->end);
		if (nl) {
			total += (size_t)(nl - r->buf);
			r->start = (size_t)(nl - r->buf) + 1;
			break;
		}
		total += r->end;
		r->end = 0;
	}
	r->lineno++;
	lq_err_set(err, LQ_EXIT_RECORDS, "line longer than %d MiB (%zu "
	    "bytes or more): not read, not kept", LQ_MAX_LINE >> 20, total);
	return -2;
}

int
lq_reader_next(struct lq_reader *r, char **line, size_t *len,
    struct lq_err *err)
{
	size_t scanned = r->start;

	/* shrink after a huge line so memory stays flat */
	if (r->cap > 16 * READ_CHUNK && r->end - r->start < READ_CHUNK) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = scanned = 0;
		char *b = realloc(r->buf, READ_CHUNK + 1);
		if (b) {
			r->buf = b;
			r->cap = READ_CHUNK;
		}
	}
	for (;;) {
		char *nl = r->buf && r->end > scanned ?
		    memchr(r->buf + scanned, '\n', r->end - scanned) : NULL;
		if (nl) {
			char *p = r->buf + r->start;
			size_t n = (size_t)(nl - p);
			r->start += n + 1;
			if (n && p[n - 1] == '\r')
				n--;
			p[n] = '\0';
			*line = p;
			*len = n;
			r->lineno++;
			return 1;
		}
		if (r->eof) {
			if (r->start == r->end)
				return 0;
			char *p = r->buf + r->start;
			size_t n = r->end - r->start;
			r->start = r->end;
			if (n && p[n - 1] == '\r')
				n--;
			p[n] = '\0';
			*line = p;
			*len = n;
			r->lineno++;
			return 1;
		}
		if (r->end - r->start > LQ_MAX_LINE)
			return skip_line(r, err);
		/* no newline up to end: search only the new bytes next
		 * (from scanned, a line read in pieces was quadratic) */
		size_t off = r->end - r->start;
		ssize_t got = fill(r, err);
		if (got < 0)
			return -1;
		if (got == 0)
			r->eof = 1;
		/* resume the newline search where the last one stopped */
		scanned = r->start + off;
	}
}

void
lq_writer_init(struct lq_writer *w, int fd)
{
	w->fd = fd;
	lq_buf_init(&w->out);
	w->failed_errno = 0;
	w->before_write = NULL;
	w->before_arg = NULL;
}

int
lq_writer_flush(struct lq_writer *w)
{
	size_t off = 0;

	if (w->failed_errno)
		return -1;
	if (w->out.len && w->before_write &&
	    w->before_write(w->before_arg) < 0) {
		w->failed_errno = EIO;
		return -1;
	}
	while (off < w->out.len) {
		ssize_t n = write(w->fd, w->out.buf + off, w->out.len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd p = { w->fd, POLLOUT, 0 };
				poll(&p, 1, -1);
				continue;
			}
			w->failed_errno = errno;
			return -1;
		}
		off += (size_t)n;
	}
	lq_buf_reset(&w->out);
	return 0;
}

int
lq_writer_add(struct lq_writer *w, const void *p, size_t n)
{
	if (w->failed_errno)
		return -1;
	lq_buf_add(&w->out, p, n);
	if (w->out.len >= WRITE_BLOCK)
		return lq_writer_flush(w);
	return 0;
}

int
lq_writer_release(struct lq_writer *w)
{
	int rc = lq_writer_flush(w);

	lq_buf_release(&w->out);
	return rc;
}

long
lq_splice_point(const char *line, const struct lq_scan *s, const char *key,
    size_t keylen, int *comma)
{
	size_t n = s->n;

	if (lq_scan_find(s, line, key, keylen) >= 0)
		return -1;
	*comma = n > 0;
	return (long)(n ? s->m[n - 1].vend : s->open + 1);
}

void
lq_splice_head(struct lq_buf *out, const char *line, long ins, int comma,
    const char *keyjson, size_t keyjsonlen)
{
	lq_buf_add(out, line, (size_t)ins);
	if (comma)
		lq_buf_addc(out, ',');
	lq_buf_add(out, keyjson, keyjsonlen);
	lq_buf_addc(out, ':');
}

void
lq_splice(struct lq_buf *out, const char *line, size_t len,
    const struct lq_scan *s, const char *key, size_t keylen,
    const char *keyjson, size_t keyjsonlen, const char *val, size_t vlen)
{
	size_t i, pos = 0, n = s->n;
	long lastkept = -1, ins;
	int comma;

	/* fast path: the key is not there yet */
	if ((ins = lq_splice_point(line, s, key, keylen, &comma)) >= 0) {
		lq_buf_grow(out, len + keyjsonlen + vlen + 2);
		lq_splice_head(out, line, ins, comma, keyjson, keyjsonlen);
		lq_buf_add(out, val, vlen);
		lq_buf_add(out, line + ins, len - (size_t)ins);
		return;
	}

	/*
	 * Removal spans tile the member list: a removed member after some
	 * earlier member takes [previous vend, own vend); a removed run at
	 * the start takes [first kstart, next kept kstart).  The new member
	 * goes after the last kept member, or right after '{'.
	 */
	for (i = 0; i < n; i++)
		if (!lq_json_key_eq(line + s->m[i].kstart, s->m[i].klen, key,
		    keylen))
			lastkept = (long)i;
	{
		size_t at = lastkept >= 0 ? s->m[lastkept].vend : s->open + 1;
		int done = 0;
		pos = 0;
		i = 0;
		while (i < n) {
			const struct lq_member *m = &s->m[i];
			if (!lq_json_key_eq(line + m->kstart, m->klen, key,
			    keylen)) {
				i++;
				continue;
			}
			size_t from, to;
			if (i > 0) {
				from = s->m[i - 1].vend;
				to = m->vend;
				i++;
			} else {
				size_t j = 0;
				while (j < n && lq_json_key_eq(line +
				    s->m[j].kstart, s->m[j].klen, key, keylen))
					j++;
				from = s->m[0].kstart;
				to = j < n ? s->m[j].kstart : s->m[j - 1].vend;
				i = j;
			}
			if (!done && at <= from) {
				lq_splice_head(out, line + pos, (long)(at - pos),
				    lastkept >= 0, keyjson, keyjsonlen);
				lq_buf_add(out, val, vlen);
				pos = at;
				done = 1;
			}
			lq_buf_add(out, line + pos, from - pos);
			pos = to;
		}
		if (!done) {
			lq_splice_head(out, line + pos, (long)(at - pos),
			    lastkept >= 0, keyjson, keyjsonlen);
			lq_buf_add(out, val, vlen);
			pos = at;
		}
		lq_buf_add(out, line + pos, len - pos);
	}
}
