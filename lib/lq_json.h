/*
 * lq_json.h - a strict, allocation-light JSON scanner for NDJSON records.
 *
 * lq_json_scan() validates one line against RFC 8259 (UTF-8 included) and,
 * when the value is an object, remembers where each top-level member sits,
 * so a tool can read a field or splice its own member in without ever
 * re-serialising the record (numbers, escapes and key order stay exactly as
 * they came).  Nothing is copied: spans are byte offsets into the line.
 */
#ifndef LQ_JSON_H
#define LQ_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lq_buf.h"
#include "lq_err.h"

enum lq_jkind {
	LQ_J_NONE = 0, LQ_J_OBJECT, LQ_J_ARRAY, LQ_J_STRING, LQ_J_NUMBER,
	LQ_J_TRUE, LQ_J_FALSE, LQ_J_NULL
};

/* one top-level member of an object: "key" : value */
struct lq_member {
	size_t kstart;		/* offset of the key's opening quote */
	size_t klen;		/* raw key length including both quotes */
	size_t vstart;		/* offset of the value's first byte */
	size_t vend;		/* offset one past the value's last byte */
	enum lq_jkind vkind;	/* kind of the value */
	int kesc;		/* the raw key contains a backslash escape */
	uint32_t t;		/* the value's index in the tape (if kept) */
};

/*
 * One value of the record in document order (the tape, kept when
 * lq_scan.want_tape is set): entry 0 is the record itself; a container's
 * members or elements follow it, each chained to the next by .next, each
 * followed by its own members when it is a container.
 */
struct lq_tval {
	uint32_t v, ve;		/* the value's bytes [v, ve) */
	uint32_t k;		/* member key: offset of its opening quote */
	uint32_t klen;		/* raw key length with quotes (0: element);
				 * LQ_TKESC set: the key has escapes */
	uint32_t next;		/* the next member or element; 0: last */
	uint32_t n;		/* containers: how many members/elements;
				 * strings: 1 when it has escapes */
};

#define LQ_TKESC 0x80000000u

/* the deepest nesting a record may have, as jq 1.6's parser counts it: an
 * array 1, an object 2 (see lq_json_scan) */
#define LQ_JSON_MAX_DEPTH 256

struct lq_scan {
	enum lq_jkind kind;	/* kind of the top-level value */
	size_t open, close;	/* offsets of the object's '{' and '}' */
	struct lq_member *m;	/* top-level members, in order (objects only) */
	size_t n, cap;
	unsigned char *stack;	/* nesting stack (internal) */
	size_t stack_cap;
	int want_tape;		/* set by the caller: keep the tape */
	struct lq_tval *tape;	/* every value (want_tape; lines < 4 GiB) */
	size_t tn, tcap;	/* tn == 0: no tape for this line */
	uint32_t *tstk;		/* per depth: open container, last child */
};

#define LQ_SCAN_INIT { LQ_J_NONE, 0, 0, NULL, 0, 0, NULL, 0, 0, NULL, 0, 0, \
	NULL }

/* Initialise a scanner; it may be reused for any number of lines. */
void lq_scan_init(struct lq_scan *s);

/* Free the scanner's arrays. */
void lq_scan_release(struct lq_scan *s);

/*
 * Validate p[0..n) as exactly one JSON value surrounded by optional
 * whitespace (a leading UTF-8 byte order mark is allowed).  On success
 * fill s and return 0.  On failure return -1 with a message such as
 * "invalid JSON at byte 12: expected ':' after object key" or
 * "invalid UTF-8 at byte 40" in err (code LQ_EXIT_RECORDS).
 * Values nested deeper than jq 1.6's parser reads are refused ("nested
 * too deep at byte 273: ..."; LQ_JSON_MAX_DEPTH, counted as jq does):
 * libjq, which evaluates what the native evaluator does not, could not
 * read them.
 */
int lq_json_scan(struct lq_scan *s, const char *p, size_t n,
    struct lq_err *err);

/*
 * Compare a raw JSON string literal (with its quotes, as found in a record)
 * with the UTF-8 key k of length kn, decoding escapes when there are any.
 */
int lq_json_key_eq(const char *raw, size_t rawlen, const char *k, size_t kn);

/*
 * Append the decoded contents of the raw JSON string literal raw[0..n)
 * (quotes included, already validated) to out.  Lone surrogate escapes
 * become U+FFFD.
 */
void lq_json_unescape(struct lq_buf *out, const char *raw, size_t n);

/*
 * Append what the escape of the character c (the one after a backslash)
 * stands for to out when it is one of JSON's and jq's single-character
 * escapes: " \ / b f n r t.  Returns 0, or -1 (nothing appended) for any
 * other c, u included (its four hex digits are for lq_json_unescape).
 */
int lq_json_unescape_char(struct lq_buf *out, int c);

/*
 * Whether a[0..n) and b[0..n) are the same bytes: memcmp() == 0 without a
 * call, for the short keys and values the evaluator compares most.
 */
static inline int
lq_mem_eq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	uint64_t u, v;

	for (; n >= 8; n -= 8, x += 8, y += 8) {
		memcpy(&u, x, 8);
		memcpy(&v, y, 8);
		if (u != v)
			return 0;
	}
	if (n >= 4) {
		uint32_t s, t;
		memcpy(&s, x, 4);
		memcpy(&t, y, 4);
		if (s != t)
			return 0;
		memcpy(&s, x + n - 4, 4);
		memcpy(&t, y + n - 4, 4);
		return s == t;
	}
	for (; n; n--)
		if (*x++ != *y++)
			return 0;
	return 1;
}

/*
 * lq_json_key_eq() when the caller knows whether the raw key has escapes
 * (the scanner records it): plain keys compare inline.
 */
static inline int
lq_json_key_is(const char *raw, size_t rawlen, int esc, const char *k,
    size_t kn)
{
	if (esc)
		return lq_json_key_eq(raw, rawlen, k, kn);
	return rawlen == kn + 2 && (kn == 0 || (raw[1] == k[0] &&
	    lq_mem_eq(raw + 1, k, kn)));
}

/*
 * The member named k of the object at tape entry obj: 1 + its tape index
 * (the last one when the key is repeated, as jq keeps it), or 0.
 */
static inline uint32_t
lq_tape_member(const struct lq_tval *T, const char *line, uint32_t obj,
    const char *k, size_t kn)
{
	uint32_t i, found = 0;

	if (!T[obj].n)
		return 0;
	for (i = obj + 1; ; i = T[i].next) {
		if (lq_json_key_is(line + T[i].k, T[i].klen & ~LQ_TKESC,
		    (T[i].klen & LQ_TKESC) != 0, k, kn))
			found = i + 1;
		if (!T[i].next)
			return found;
	}
}

/*
 * Find the top-level member named key (decoded comparison).  Returns its
 * index in s->m, the last one when the key is duplicated, or -1.
 */
long lq_scan_find(const struct lq_scan *s, const char *line, const char *key,
    size_t keylen);

/*
 * Decode the UTF-8 sequence at p (at most n bytes) into *cp; returns its
 * length, or 0 when it is not valid UTF-8 (overlong, surrogate, too big).
 */
size_t lq_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

/*
 * The end of the valid JSON value starting at p (the line it is in must be
 * NUL-terminated or go on past it): no validation, for text already
 * scanned.
 */
const char *lq_json_skip(const char *p);

/* The end of the string whose quote is at p; *esc set when it has escapes. */
const char *lq_json_str_end(const char *p, int *esc);

/*
 * A cursor over the members of a valid object's text (or the elements of
 * a valid array's), for values below the top level.  Nothing is copied.
 */
struct lq_json_iter {
	const char *p;
};

/* Start at the '{' or '[' of a valid object or array (NUL-terminated). */
void lq_json_iter_start(struct lq_json_iter *it, const char *open);

/*
 * Next member: raw key [*k, *k + *klen) (pass k NULL for arrays) and
 * value [*v, *v + *vlen).  Returns 0 at the end.
 */
int lq_json_iter_next(struct lq_json_iter *it, const char **k, size_t *klen,
    const char **v, size_t *vlen);

/* Number of elements of a valid array's text. */
long lq_json_array_len(const char *arr);

#endif
