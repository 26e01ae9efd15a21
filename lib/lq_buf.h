/*
 * lq_buf.h - a growable byte buffer, after git's strbuf.
 *
 * Lifecycle: LQ_BUF_INIT or lq_buf_init(), any number of appends,
 * lq_buf_release() (frees the bytes; the struct can be reused after init).
 * buf is always NUL-terminated after an append (len excludes the NUL).
 * Allocation failure aborts: a filter that cannot grow a line buffer has no
 * useful way to go on, and every caller would otherwise check every append.
 */
#ifndef LQ_BUF_H
#define LQ_BUF_H

#include <stddef.h>
#include <string.h>

struct lq_buf {
	char *buf;
	size_t len;
	size_t cap;
};

#define LQ_BUF_INIT { NULL, 0, 0 }

/* Initialise an empty buffer (no allocation). */
void lq_buf_init(struct lq_buf *b);

/* Free the bytes and reset to empty. */
void lq_buf_release(struct lq_buf *b);

/* Make room for at least n more bytes (plus the NUL). */
void lq_buf_grow(struct lq_buf *b, size_t n);

/* Set len to 0, keeping the allocation. */
static inline void lq_buf_reset(struct lq_buf *b) { b->len = 0; if (b->buf) b->buf[0] = 0; }

/* lq_buf_add() when the bytes do not fit: grows, then appends. */
void lq_buf_add_slow(struct lq_buf *b, const void *p, size_t n);

/* Append n bytes (inline: output is built from many small appends). */
static inline void
lq_buf_add(struct lq_buf *b, const void *p, size_t n)
{
	if (b->len + n < b->cap) {
		memcpy(b->buf + b->len, p, n);
		b->len += n;
		b->buf[b->len] = 0;
	} else {
		lq_buf_add_slow(b, p, n);
	}
}

/* Append a NUL-terminated string. */
static inline void
lq_buf_adds(struct lq_buf *b, const char *s)
{
	lq_buf_add(b, s, strlen(s));
}

/* Append one byte. */
static inline void
lq_buf_addc(struct lq_buf *b, int c)
{
	if (b->len + 1 < b->cap) {
		b->buf[b->len++] = (char)c;
		b->buf[b->len] = 0;
	} else {
		char ch = (char)c;
		lq_buf_add_slow(b, &ch, 1);
	}
}

/* Append a decimal integer. */
void lq_buf_add_int(struct lq_buf *b, long long v);

/* Append printf-formatted text. */
void lq_buf_addf(struct lq_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append s (n bytes, valid UTF-8 assumed) as a JSON string literal. */
void lq_buf_json_str(struct lq_buf *b, const char *s, size_t n);

/* Append a NUL-terminated string as a JSON string literal. */
void lq_buf_json_strs(struct lq_buf *b, const char *s);

/*
 * Append a double as JSON: integers within 2^53 without a fraction,
 * others with up to 17 significant digits trimmed of trailing zeros
 * ("%.*g" shortest round trip); NaN and infinities become null.
 */
void lq_buf_json_num(struct lq_buf *b, double d);

/* Append d rounded to places decimals (trailing zeros trimmed). */
void lq_buf_json_round(struct lq_buf *b, double d, int places);

/* ,"key": (key as a JSON string), before an object member's value. */
void lq_buf_json_key(struct lq_buf *b, const char *key);

/* ,"key":d rounded to places (places < 0: as lq_buf_json_num); null when
 * d is not finite. */
void lq_buf_json_member_num(struct lq_buf *b, const char *key, double d,
    int places);

/* ,"key":"s", or ,"key":null when s is NULL. */
void lq_buf_json_member_str(struct lq_buf *b, const char *key,
    const char *s);

/* FNV-1a hash of n bytes, for the hash tables and memos of liblq. */
static inline unsigned long long
lq_hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	unsigned long long h = 1469598103934665603ULL;

	while (n--)
		h = (h ^ *s++) * 1099511628211ULL;
	return h;
}

/*
 * A hash of n bytes read eight at a time, for in-memory tables on hot
 * paths: its values are not stable across versions (lq_hash_bytes() is
 * what feature hashing uses).
 */
static inline unsigned long long
lq_hash_fast(const void *p, size_t n)
{
	const unsigned char *s = p;
	unsigned long long h = 0x9E3779B97F4A7C15ULL ^ n, w;

	for (; n >= 8; n -= 8, s += 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
		h ^= h >> 29;
	}
	if (n >= 4) {
		unsigned a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		w = (unsigned long long)a << 32 | b;
	} else {
		w = n ? (unsigned long long)s[0] << 16 |
		    (unsigned long long)s[n >> 1] << 8 | s[n - 1] : 0;
	}
	h = (h ^ w) * 0x94D049BB133111EBULL;
	h ^= h >> 31;
	h *= 0xBF58476D1CE4E5B9ULL;
	return h ^ (h >> 32);
}

#endif
