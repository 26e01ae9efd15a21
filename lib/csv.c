/*
 * csv.c - streaming CSV reader, cell typing, header names (lq_csv.h).
 * The JSON shaping and the NDJSON-to-CSV side are in csv_json.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lq_csv.h"

#define CSV_CHUNK (256 * 1024)

enum { S_ROW, S_FIELD, S_UNQ, S_QUO, S_QQ, S_QBLANK, S_COMMENT };

int
lq_csv_open(struct lq_csv *c, const char *path, struct lq_err *err)
{
	memset(c, 0, sizeof(*c));
	c->quote = '"';
	c->max_row = (size_t)64 << 20;
	c->max_lines = LQ_CSV_MAX_LINES;
	c->curline = 1;
	if (!path || !strcmp(path, "-")) {
		c->fd = 0;
		c->name = "-";
		return 0;
	}
	c->name = path;
	c->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0)
		return lq_err_set(err, LQ_EXIT_RECORDS, "%s: %s", path,
		    strerror(errno));
	return 0;
}

void
lq_csv_close(struct lq_csv *c)
{
	if (c->fd > 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	free(c->f);
	c->buf = NULL;
	c->f = NULL;
	lq_buf_release(&c->data);
	lq_buf_release(&c->raw);
}

static int
would_block(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 0;
}

/* Read more input after buf[pos..end) (kept); returns bytes read, 0, -1. */
static ssize_t
fill(struct lq_csv *c, struct lq_err *err)
{
	ssize_t got;

	if (c->pos > 0) {
		memmove(c->buf, c->buf + c->pos, c->end - c->pos);
		c->end -= c->pos;
		c->pos = 0;
	}
	if (c->end == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : CSV_CHUNK;
		char *b = realloc(c->buf, cap);
		if (!b)
			return lq_err_set(err, LQ_EXIT_RECORDS,
			    "%s: out of memory", c->name);
		c->buf = b;
		c->cap = cap;
	}
	if (c->idle && would_block(c->fd) && c->idle(c->idle_arg) < 0)
		return lq_err_set(err, LQ_EXIT_RECORDS, "write error");
	do
		got = read(c->fd, c->buf + c->end, c->cap - c->end);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return lq_err_set(err, LQ_EXIT_RECORDS, "%s: read: %s",
		    c->name, strerror(errno));
	if (got == 0)
		c->eof = 1;
	c->end += (size_t)got;
	return got;
}

int
lq_csv_sniff(const char *p, size_t n)
{
	size_t i, comma = 0, semi = 0, tab = 0;
	int q = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '"')
			q = !q;
		else if (q)
			continue;
		else if (p[i] == '\n' || p[i] == '\r')
			break;
		else if (p[i] == ',')
			comma++;
		else if (p[i] == ';')
			semi++;
		else if (p[i] == '\t')
			tab++;
	}
	if (semi > comma && semi >= tab)
		return ';';
	if (tab > comma && tab > semi)
		return '\t';
	return ',';
}

/* first call: skip a byte order mark, detect the separator */
static int
start(struct lq_csv *c, struct lq_err *err)
{
	c->started = 1;
	while (!c->eof && c->end - c->pos < 3)
		if (fill(c, err) < 0)
			return -1;
	if (c->end - c->pos >= 3 && !memcmp(c->buf + c->pos, "\xef\xbb\xbf", 3))
		c->pos += 3;
	else if (c->end - c->pos >= 2 && (!memcmp(c->buf + c->pos, "\xff\xfe",
	    2) || !memcmp(c->buf + c->pos, "\xfe\xff", 2)))
		return lq_err_set(err, LQ_EXIT_RECORDS, "%s: UTF-16 input "
		    "(convert it first: iconv -f UTF-16 -t UTF-8)", c->name);
	/* Excel's "sep=;" line names the separator */
	while (!c->eof && c->end - c->pos < 7)
		if (fill(c, err) < 0)
			return -1;
	if (c->end - c->pos >= 6 && !memcmp(c->buf + c->pos, "sep=", 4) &&
	    (c->buf[c->pos + 5] == '\n' || (c->buf[c->pos + 5] == '\r' &&
	    c->end - c->pos >= 7 && c->buf[c->pos + 6] == '\n'))) {
		if (!c->delim)
			c->delim = (unsigned char)c->buf[c->pos + 4];
		c->pos += c->buf[c->pos + 5] == '\r' ? 7 : 6;
		c->curline++;
	}
	if (c->delim)
		return 0;
	/* look at the first line, reading up to one chunk for it */
	for (;;) {
		char *nl = c->end > c->pos ?
		    memchr(c->buf + c->pos, '\n', c->end - c->pos) : NULL;
		if (nl || c->eof || c->end - c->pos >= CSV_CHUNK)
			break;
		if (fill(c, err) < 0)
			return -1;
	}
	c->delim = lq_csv_sniff(c->buf + c->pos, c->end - c->pos);
	return 0;
}

static void
keep_raw(struct lq_csv *c, size_t from, size_t to)
{
	if (to <= from)
		return;
	if (c->over) {
		if (c->spill)
			c->spill(c->spill_arg, c->buf + from, to - from);
		return;
	}
	if (c->raw.len + (to - from) > c->max_row) {
		c->over = 1;
		c->bad = LQ_CSV_TOOLONG;
		if (c->spill) {
			if (c->raw.len)
				c->spill(c->spill_arg, c->raw.buf, c->raw.len);
			lq_buf_reset(&c->raw);
			c->spill(c->spill_arg, c->buf + from, to - from);
		}
		return;
	}
	lq_buf_add(&c->raw, c->buf + from, to - from);
}

static void
add_data(struct lq_csv *c, const char *p, size_t n)
{
	if (!c->over && n)
		lq_buf_add(&c->data, p, n);
}

static void
end_field(struct lq_csv *c, size_t fstart, int quoted)
{
	if (c->nf == c->fcap) {
		c->fcap = c->fcap ? c->fcap * 2 : 64;
		c->f = realloc(c->f, c->fcap * sizeof(*c->f));
		if (!c->f)
			abort();
	}
	if (c->over) {
		/* the row is dropped anyway: keep a count, not the bytes */
		c->f[c->nf].off = 0;
		c->f[c->nf].len = 0;
	} else {
		if (fstart > c->data.len)
			fstart = c->data.len;
		c->f[c->nf].off = fstart;
		c->f[c->nf].len = c->data.len - fstart;
		if (c->trim && !quoted) {
			while (c->f[c->nf].len > 0) {
				char ch = c->data.buf[fstart +
				    c->f[c->nf].len - 1];
				if (ch != ' ' && (ch != '\t' || c->delim == '\t'))
					break;
				c->f[c->nf].len--;
			}
		}
	}
	c->nf++;
}

static int
is_blank(const struct lq_csv *c, int ch)
{
	return ch == ' ' || (ch == '\t' && c->delim != '\t');
}

/* mark the row bad (the first problem found wins) */
static void
set_bad(struct lq_csv *c, enum lq_csv_bad bad, size_t field, long close)
{
	if (c->bad != LQ_CSV_OK || c->over)
		return;
	c->bad = bad;
	c->qline = c->qopen;
	c->qlines = c->curline - c->qopen + 1;
	c->qclose = close;
	c->qfield = field;
}

/*
 * The quote of field opened on line c->qopen closes on line c->curline
 * (or, for a doubled quote, has come that far): note its span.
 */
static void
quote_span(struct lq_csv *c, size_t field)
{
	long span = c->curline - c->qopen + 1;

	if (c->bad != LQ_CSV_OK || span <= c->qlines)
		return;
	c->qline = c->qopen;
	c->qlines = span;
	c->qclose = c->curline;
	c->qfield = field;
	if (c->max_lines > 0 && span > c->max_lines)
		set_bad(c, LQ_CSV_QUOTE_LINES, field, c->curline);
}

/*
 * Text after a closing quote: kept, as Python does, when the field is on
 * one line; after a field that spans lines it says the quotes pair up
 * wrongly.  The field goes on unquoted.
 */
static int
text_after_quote(struct lq_csv *c)
{
	if (c->curline > c->qopen)
		set_bad(c, LQ_CSV_QUOTE_TEXT, c->nf + 1, c->curline);
	return S_UNQ;
}

/*
 * One long function on purpose: the CSV reader is a byte-at-a-time state
 * machine (enum S_*), and its states share the row being built and the
 * position; split into functions, every state change would pass them all
 * around and the hot loop would pay a call per byte.
 */
int
lq_csv_next(struct lq_csv *c, struct lq_err *err)
{
	size_t mark, fstart = 0, qblank = 0;
	int state = S_ROW, quoted = 0, endnl = 0;

	if (!c->started && start(c, err) < 0)
		return -1;
	lq_buf_reset(&c->data);
	lq_buf_reset(&c->raw);
	c->nf = 0;
	c->bad = LQ_CSV_OK;
	c->over = 0;
	c->line = c->curline;
	c->qline = c->qlines = c->qclose = 0;
	c->qfield = 0;
	mark = c->pos;
	for (;;) {
		char *p, *e, ch;

		if (c->pos == c->end) {
			keep_raw(c, mark, c->pos);
			if (c->eof || fill(c, err) == 0) {
				mark = c->pos;
				break;
			}
			if (!c->eof && c->pos == c->end)
				return -1;
			mark = c->pos;
			continue;
		}
		ch = c->buf[c->pos];
		switch (state) {
		case S_ROW:
			if (c->skip_lf) {
				c->skip_lf = 0;
				if (ch == '\n') {
					c->pos++;
					mark = c->pos;
					continue;
				}
			}
			if (ch == '\n' || ch == '\r') {
				/* a blank line */
				c->pos++;
				c->curline++;
				c->skip_lf = ch == '\r';
				c->line = c->curline;
				c->blank++;
				lq_buf_reset(&c->raw);
				mark = c->pos;
				continue;
			}
			if (c->comment && ch == c->comment) {
				state = S_COMMENT;
				continue;
			}
			state = S_FIELD;
			fstart = c->data.len;
			/* FALLTHROUGH */
		case S_FIELD:
			if (c->trim && is_blank(c, ch)) {
				c->pos++;
				continue;
			}
			if (ch == c->quote) {
				c->pos++;
				quoted = 1;
				c->qopen = c->curline;
				state = S_QUO;
				continue;
			}
			quoted = 0;
			state = S_UNQ;
			/* FALLTHROUGH */
		case S_UNQ:
			p = c->buf + c->pos;
			e = c->buf + c->end;
			while (p < e && *p != c->delim && *p != '\n' &&
			    *p != '\r')
				p++;
			add_data(c, c->buf + c->pos, (size_t)(p - c->buf) -
			    c->pos);
			c->pos = (size_t)(p - c->buf);
			if (p == e)
				continue;
			ch = *p;
			break;
		case S_QUO:
			p = c->buf + c->pos;
			e = memchr(p, c->quote, c->end - c->pos);
			if (!e)
				e = c->buf + c->end;
			add_data(c, p, (size_t)(e - p));
			if (e > p)
				endnl = e[-1] == '\n';
			for (; (p = memchr(p, '\n', (size_t)(e - p))); p++)
				c->curline++;
			c->pos = (size_t)(e - c->buf);
			if (c->pos < c->end) {
				c->pos++;
				quote_span(c, c->nf + 1);
				state = S_QQ;
			}
			continue;
		case S_QQ:
			if (ch == c->quote) {
				add_data(c, &ch, 1);
				c->pos++;
				state = S_QUO;
				continue;
			}
			if (is_blank(c, ch)) {
				qblank = c->data.len;
				state = S_QBLANK;
				continue;
			}
			if (ch == c->delim || ch == '\n' || ch == '\r')
				break;
			state = text_after_quote(c);
			continue;
		case S_QBLANK:
			if (is_blank(c, ch)) {
				add_data(c, &ch, 1);
				c->pos++;
				continue;
			}
			if (ch == c->delim || ch == '\n' || ch == '\r') {
				/* blanks after the closing quote: dropped */
				if (!c->over)
					c->data.len = qblank;
				break;
			}
			state = text_after_quote(c);
			continue;
		case S_COMMENT:
			p = c->buf + c->pos;
			e = c->buf + c->end;
			while (p < e && *p != '\n' && *p != '\r')
				p++;
			c->pos = (size_t)(p - c->buf);
			if (p < e) {
				/* the terminator ends it as a blank line */
				c->blank--;
				state = S_ROW;
			}
			continue;
		}
		/* here ch ends a field: delimiter, CR or LF */
		end_field(c, fstart, quoted);
		c->pos++;
		if (ch == c->delim) {
			state = S_FIELD;
			fstart = c->data.len;
			continue;
		}
		c->last = c->curline;
		c->curline++;
		c->skip_lf = ch == '\r';
		keep_raw(c, mark, c->pos);
		return 1;
	}
	/* end of input */
	c->last = c->curline;
	if (state == S_QUO && endnl && c->last > c->line)
		c->last--;	/* the input ends with a line break */
	switch (state) {
	case S_ROW:
	case S_COMMENT:
		return 0;
	case S_QUO:
		/*
		 * The input ends inside a quoted field: the quote that went
		 * wrong is the first stray one, if any, else this one.
		 */
		if (c->bad == LQ_CSV_OK || c->bad == LQ_CSV_TOOLONG) {
			c->qline = c->qopen;
			c->qfield = c->nf + 1;
		}
		c->bad = LQ_CSV_UNTERMINATED;
		c->qlines = c->last - c->qline + 1;
		c->qclose = 0;
		break;
	case S_QBLANK:
		if (!c->over)
			c->data.len = qblank;
		break;
	}
	end_field(c, fstart, quoted);
	return 1;
}

int
lq_csv_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;

	while (p < e) {
		if (*p < 0x80) {
			/* ASCII runs, eight bytes at a time */
			while (e - p >= 8) {
				uint64_t w;
				memcpy(&w, p, 8);
				if (w & 0x8080808080808080ULL)
					break;
				p += 8;
			}
			while (p < e && *p < 0x80)
				p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			if (e - p < 2 || (p[1] & 0xc0) != 0x80)
				return 0;
			p += 2;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			if (e - p < 3 || (p[1] & 0xc0) != 0x80 ||
			    (p[2] & 0xc0) != 0x80)
				return 0;
			if (*p == 0xe0 && p[1] < 0xa0)
				return 0;	/* overlong */
			if (*p == 0xed && p[1] >= 0xa0)
				return 0;	/* surrogate */
			p += 3;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			if (e - p < 4 || (p[1] & 0xc0) != 0x80 ||
			    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
				return 0;
			if (*p == 0xf0 && p[1] < 0x90)
				return 0;
			if (*p == 0xf4 && p[1] >= 0x90)
				return 0;
			p += 4;
		} else
			return 0;
	}
	return 1;
}

static int
isdig(char ch)
{
	return ch >= '0' && ch <= '9';
}

int
lq_csv_is_number(const char *p, size_t n)
{
	size_t i = 0;

	if (i < n && p[i] == '-')
		i++;
	if (i == n)
		return 0;
	if (p[i] == '0')
		i++;
	else if (isdig(p[i]))
		while (i < n && isdig(p[i]))
			i++;
	else
		return 0;
	if (i < n && p[i] == '.') {
		i++;
		if (i == n || !isdig(p[i]))
			return 0;
		while (i < n && isdig(p[i]))
			i++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i == n || !isdig(p[i]))
			return 0;
		while (i < n && isdig(p[i]))
			i++;
	}
	return i == n;
}

enum lq_csv_type
lq_csv_type(const char *p, size_t n)
{
	if (n == 0)
		return LQ_CSV_EMPTY;
	if ((isdig(p[0]) || p[0] == '-') && lq_csv_is_number(p, n))
		return LQ_CSV_NUMBER;
	if (n == 4 && !memcmp(p, "true", 4))
		return LQ_CSV_TRUE;
	if (n == 5 && !memcmp(p, "false", 5))
		return LQ_CSV_FALSE;
	return LQ_CSV_STRING;
}

static int
name_taken(char **names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return 1;
	return 0;
}

size_t
lq_csv_header_names(const struct lq_csv *c, char ***namesp, int **renamedp)
{
	char **names = calloc(c->nf ? c->nf : 1, sizeof(*names));
	int *renamed = calloc(c->nf ? c->nf : 1, sizeof(*renamed));
	struct lq_buf b = LQ_BUF_INIT;
	size_t i, j, nren = 0;

	if (!names || !renamed)
		abort();
	/* the names as they are first, so a rename never takes a real name */
	for (i = 0; i < c->nf; i++) {
		size_t n;
		const char *p = lq_csv_field(c, i, &n);
		if (!(names[i] = strndup(p, n)))
			abort();
	}
	for (i = 0; i < c->nf; i++) {
		int dup = 0;
		for (j = 0; j < i && !dup; j++)
			dup = !strcmp(names[i], names[j]);
		if (*names[i] && !dup)
			continue;
		lq_buf_reset(&b);
		if (!*names[i]) {
			lq_buf_addf(&b, "column_%zu", i + 1);
			for (j = 2; name_taken(names, c->nf, b.buf); j++) {
				lq_buf_reset(&b);
				lq_buf_addf(&b, "column_%zu_%zu", i + 1, j);
			}
		} else {
			for (j = 2;; j++) {
				lq_buf_reset(&b);
				lq_buf_addf(&b, "%s_%zu", names[i], j);
				if (!name_taken(names, c->nf, b.buf))
					break;
			}
		}
		free(names[i]);
		if (!(names[i] = strdup(b.buf)))
			abort();
		renamed[i] = 1;
		nren++;
	}
	lq_buf_release(&b);
	*namesp = names;
	if (nren)
		*renamedp = renamed;
	else {
		free(renamed);
		*renamedp = NULL;
	}
	return nren;
}

void
lq_csv_names_free(char **names, size_t n)
{
	size_t i;

	if (!names)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* "field 3 (Notes)": the field the quote problem of c is in */
static const char *
qfield(const struct lq_csv *c, char *const *names, size_t ncol, char *buf,
    size_t bufsz)
{
	if (names && c->qfield >= 1 && c->qfield <= ncol)
		snprintf(buf, bufsz, "field %zu (%s)", c->qfield,
		    names[c->qfield - 1]);
	else
		snprintf(buf, bufsz, "field %zu", c->qfield);
	return buf;
}

const char *
lq_csv_problem(const struct lq_csv *c, size_t ncol, char *const *names,
    char *msg, size_t msgsz, long *at)
{
	char fb[160], nb[32];
	long after = c->last - c->qline;

	*at = c->line;
	switch (c->bad) {
	case LQ_CSV_OK:
		break;
	case LQ_CSV_UNTERMINATED:
		/* every line after the quote is inside it: none can be trusted */
		*at = c->qline;
		if (after == 1)
			snprintf(nb, sizeof(nb), "line");
		else
			snprintf(nb, sizeof(nb), "%ld lines", after);
		if (after > 0)
			snprintf(msg, msgsz, "unterminated quoted field: the "
			    "quote opened here in %s runs to the end of the "
			    "input and swallows the %s after it", qfield(c,
			    names, ncol, fb, sizeof(fb)), nb);
		else
			snprintf(msg, msgsz, "unterminated quoted field: the "
			    "quote opened here in %s is still open at the end "
			    "of the input", qfield(c, names, ncol, fb,
			    sizeof(fb)));
		return msg;
	case LQ_CSV_TOOLONG:
		snprintf(msg, msgsz, "row longer than %zu bytes (a stray "
		    "quote?)", c->max_row);
		return msg;
	case LQ_CSV_QUOTE_TEXT:
		*at = c->qline;
		snprintf(msg, msgsz, "the quote opened here in %s closes on "
		    "line %ld and text follows it, not a separator: a stray "
		    "quote?", qfield(c, names, ncol, fb, sizeof(fb)),
		    c->qclose);
		return msg;
	case LQ_CSV_QUOTE_LINES:
		*at = c->qline;
		snprintf(msg, msgsz, "the quote opened here in %s spans %ld "
		    "lines, to line %ld, more than %ld: a stray quote?",
		    qfield(c, names, ncol, fb, sizeof(fb)), c->qlines,
		    c->qclose, c->max_lines);
		return msg;
	}
	if (ncol && c->nf != ncol) {
		if (c->last > c->line && c->qlines > 1)
			snprintf(msg, msgsz, "expected %zu fields, found %zu "
			    "in lines %ld-%ld (the quote opened on line %ld in "
			    "%s closes on line %ld: a stray quote?)", ncol,
			    c->nf, c->line, c->last, c->qline, qfield(c, names,
			    ncol, fb, sizeof(fb)), c->qclose);
		else
			snprintf(msg, msgsz, "expected %zu fields, found %zu",
			    ncol, c->nf);
		return msg;
	}
	return NULL;
}
