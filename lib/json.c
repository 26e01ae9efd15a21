/*
 * json.c - strict JSON validation with top-level member spans.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "lq_json.h"

void
lq_scan_init(struct lq_scan *s)
{
	memset(s, 0, sizeof(*s));
}

void
lq_scan_release(struct lq_scan *s)
{
	free(s->m);
	free(s->stack);
	free(s->tape);
	free(s->tstk);
	lq_scan_init(s);
}

/* byte classes for the string fast path: 0 = plain ASCII */
enum { C_PLAIN = 0, C_QUOTE, C_ESC, C_CTRL, C_HIGH };
static unsigned char sclass[256];

static void
init_classes(void)
{
	int i;

	if (sclass['"'])
		return;
	for (i = 0; i < 0x20; i++)
		sclass[i] = C_CTRL;
	for (i = 0x80; i < 0x100; i++)
		sclass[i] = C_HIGH;
	sclass['\\'] = C_ESC;
	sclass['"'] = C_QUOTE;
}

#define FAIL(msg) do { errmsg = (msg); goto fail; } while (0)
static const char TOO_DEEP[] = "too deep";

/* Validate one UTF-8 sequence at p[i]; return its length or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t i, size_t n)
{
	unsigned c = p[i];

	if (c < 0xC2)
		return 0;
	if (c < 0xE0) {
		if (i + 1 >= n || (p[i + 1] & 0xC0) != 0x80)
			return 0;
		return 2;
	}
	if (c < 0xF0) {
		if (i + 2 >= n || (p[i + 1] & 0xC0) != 0x80 ||
		    (p[i + 2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && p[i + 1] < 0xA0)
			return 0;	/* overlong */
		if (c == 0xED && p[i + 1] >= 0xA0)
			return 0;	/* UTF-16 surrogate */
		return 3;
	}
	if (c < 0xF5) {
		if (i + 3 >= n || (p[i + 1] & 0xC0) != 0x80 ||
		    (p[i + 2] & 0xC0) != 0x80 || (p[i + 3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && p[i + 1] < 0x90)
			return 0;	/* overlong */
		if (c == 0xF4 && p[i + 1] >= 0x90)
			return 0;	/* beyond U+10FFFF */
		return 4;
	}
	return 0;
}

static int
ishex(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/*
 * Scan a string starting at the opening quote p[*ip]; leave *ip after the
 * closing quote.  Returns NULL or an error message.
 */
static inline __attribute__((always_inline)) const char *
scan_string(const unsigned char *p, size_t n, size_t *ip, int *esc)
{
	size_t i = *ip + 1;
	const char *e;

	for (;;) {
#ifdef __SSE2__
		/* sixteen bytes at a time: find the first quote, backslash,
		 * control character or byte with the high bit */
		while (i + 16 <= n) {
			__m128i x = _mm_loadu_si128((const __m128i *)(p + i));
			__m128i m = _mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
			    _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
			    _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1F)), x));
			unsigned bits = (unsigned)(_mm_movemask_epi8(m) |
			    _mm_movemask_epi8(x));
			if (bits) {
				i += (size_t)__builtin_ctz(bits);
				goto special;
			}
			i += 16;
		}
#endif
		/* eight plain ASCII bytes at a time: no quote, backslash,
		 * control character or high bit */
		while (i + 8 <= n) {
			uint64_t x;
			memcpy(&x, p + i, 8);
			uint64_t hi = x & 0x8080808080808080ULL;
			uint64_t q = x ^ 0x2222222222222222ULL;
			uint64_t b = x ^ 0x5c5c5c5c5c5c5c5cULL;
			uint64_t t = ((q - 0x0101010101010101ULL) & ~q) |
			    ((b - 0x0101010101010101ULL) & ~b) |
			    ((x - 0x2020202020202020ULL) & ~x);
			if ((t & 0x8080808080808080ULL) | hi)
				break;
			i += 8;
		}
		while (i < n && sclass[p[i]] == C_PLAIN)
			i++;
#ifdef __SSE2__
special:
#endif
		if (i >= n) {
			*ip = i;
			return "unterminated string";
		}
		switch (sclass[p[i]]) {
		case C_QUOTE:
			*ip = i + 1;
			return NULL;
		case C_CTRL:
			e = "control character in string";
			goto bad;
		case C_ESC:
			*esc = 1;
			if (i + 1 >= n) {
				e = "unterminated string";
				goto bad;
			}
			switch (p[i + 1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				i += 2;
				break;
			case 'u':
				if (i + 5 >= n || !ishex(p[i + 2]) ||
				    !ishex(p[i + 3]) || !ishex(p[i + 4]) ||
				    !ishex(p[i + 5])) {
					e = "bad \\u escape in string";
					goto bad;
				}
				/* a high surrogate must be followed by a low
				 * one: jq 1.6 refuses the record otherwise (a
				 * lone low one it reads as U+FFFD) */
				if ((p[i + 2] == 'd' || p[i + 2] == 'D') &&
				    strchr("89abAB", p[i + 3]) && !(i + 11 < n &&
				    p[i + 6] == '\\' && p[i + 7] == 'u' &&
				    (p[i + 8] == 'd' || p[i + 8] == 'D') &&
				    strchr("cdefCDEF", p[i + 9]) && p[i + 9] &&
				    ishex(p[i + 10]) && ishex(p[i + 11]))) {
					e = "invalid \\uXXXX\\uXXXX surrogate "
					    "pair escape";
					goto bad;
				}
				i += 6;
				break;
			default:
				e = "bad escape in string";
				goto bad;
			}
			break;
		case C_HIGH: {
			size_t k = utf8_seq(p, i, n);
			if (!k) {
				e = "invalid UTF-8";
				goto bad;
			}
			i += k;
			break;
		}
		}
	}
bad:
	*ip = i;
	return e;
}

static size_t
scan_number(const unsigned char *p, size_t n, size_t i)
{
	size_t s = i;

	if (i < n && p[i] == '-')
		i++;
	if (i >= n)
		return 0;
	if (p[i] == '0')
		i++;
	else if (p[i] >= '1' && p[i] <= '9')
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && p[i] == '.') {
		i++;
		if (i >= n || p[i] < '0' || p[i] > '9')
			return 0;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= n || p[i] < '0' || p[i] > '9')
			return 0;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	return i - s;
}

/*
 * Open container c at depth.  *jw is the depth as jq 1.6's parser counts
 * it (an enclosing array 1, an enclosing object 2: it stacks the member's
 * key too); like jq, a container opened at a count of LQ_JSON_MAX_DEPTH
 * is refused (-2).
 */
static int
push(struct lq_scan *s, size_t depth, unsigned char c, size_t *jw)
{
	if (*jw >= LQ_JSON_MAX_DEPTH)
		return -2;
	*jw += c == '{' ? 2 : 1;
	if (depth >= s->stack_cap) {
		size_t cap = s->stack_cap ? s->stack_cap * 2 : 64;
		unsigned char *st = realloc(s->stack, cap);
		if (!st)
			return -1;
		s->stack = st;
		uint32_t *ts = realloc(s->tstk, cap * 2 * sizeof(*ts));
		if (!ts)
			return -1;
		s->tstk = ts;
		s->stack_cap = cap;
	}
	s->stack[depth] = c;
	return 0;
}

/* a new tape entry for the value starting at i, linked into its parent */
static int
tape_add(struct lq_scan *s, size_t depth, size_t i, uint32_t k, uint32_t kl)
{
	struct lq_tval *t;
	uint32_t e = (uint32_t)s->tn;

	if (s->tn == s->tcap) {
		size_t cap = s->tcap ? s->tcap * 2 : 256;
		t = realloc(s->tape, cap * sizeof(*t));
		if (!t)
			return -1;
		s->tape = t;
		s->tcap = cap;
	}
	t = &s->tape[s->tn++];
	t->v = (uint32_t)i;
	t->k = k;
	t->klen = kl;
	t->next = 0;
	t->n = 0;
	if (depth) {
		uint32_t *st = &s->tstk[2 * (depth - 1)];
		if (s->tape[st[0]].n++)
			s->tape[st[1]].next = e;
		st[1] = e;
	}
	return 0;
}

static struct lq_member *
add_member(struct lq_scan *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct lq_member *m = realloc(s->m, cap * sizeof(*m));
		if (!m)
			return NULL;
		s->m = m;
		s->cap = cap;
	}
	return &s->m[s->n++];
}

#define WS(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')

/*
 * One long function on purpose: the scanner is the per-byte hot loop of
 * every tool, a single pass with an explicit stack instead of recursion
 * (records nest up to jq's limit), and its cases share the cursor, the
 * stack and the tape; split, they would pass all three through every
 * call, and the inner loops would lose their registers.
 */
int
lq_json_scan(struct lq_scan *s, const char *line, size_t n, struct lq_err *err)
{
	const unsigned char *p = (const unsigned char *)line;
	const char *errmsg;
	size_t i = 0, depth = 0;
	struct lq_member *cur = NULL;
	enum lq_jkind k = LQ_J_NONE;
	int tape = s->want_tape && n < UINT32_MAX;
	uint32_t te = 0, tk = 0, tkl = 0;	/* tape: entry, pending key */
	int rc;
	size_t jw = 0;		/* depth as jq counts it (push) */

	init_classes();
	s->kind = LQ_J_NONE;
	s->n = 0;
	s->tn = 0;
	s->open = s->close = 0;
	if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		i = 3;

value:	/* expect a value at p[i] (after whitespace) */
	while (i < n && WS(p[i]))
		i++;
	if (i >= n)
		FAIL(depth ? "unexpected end of line" : "empty value");
	if (tape) {
		te = (uint32_t)s->tn;
		if (tape_add(s, depth, i, tk, tkl))
			FAIL("out of memory");
		tkl = 0;
	}
	if (depth == 1 && cur) {
		cur->vstart = i;
		cur->t = te;
	}
	switch (p[i]) {
	case '{':
		if (depth == 0) {
			s->kind = LQ_J_OBJECT;
			s->open = i;
		}
		if ((rc = push(s, depth, '{', &jw)))
			FAIL(rc == -2 ? TOO_DEEP : "out of memory");
		s->tstk[2 * depth++] = te;
		i++;
		while (i < n && WS(p[i]))
			i++;
		if (i < n && p[i] == '}') {
			i++;
			depth--;
			jw -= 2;
			k = LQ_J_OBJECT;
			if (depth == 0)
				s->close = i - 1;
			goto after;
		}
		goto key;
	case '[':
		if (depth == 0)
			s->kind = LQ_J_ARRAY;
		if ((rc = push(s, depth, '[', &jw)))
			FAIL(rc == -2 ? TOO_DEEP : "out of memory");
		s->tstk[2 * depth++] = te;
		i++;
		while (i < n && WS(p[i]))
			i++;
		if (i < n && p[i] == ']') {
			i++;
			depth--;
			jw -= 1;
			k = LQ_J_ARRAY;
			goto after;
		}
		goto value;
	case '"': {
		int esc = 0;
		if ((errmsg = scan_string(p, n, &i, &esc)))
			goto fail;
		if (tape)
			s->tape[te].n = (uint32_t)esc;
		k = LQ_J_STRING;
		goto after;
	}
	case 't':
		if (n - i >= 4 && !memcmp(p + i, "true", 4)) {
			i += 4;
			k = LQ_J_TRUE;
			goto after;
		}
		FAIL("invalid literal");
	case 'f':
		if (n - i >= 5 && !memcmp(p + i, "false", 5)) {
			i += 5;
			k = LQ_J_FALSE;
			goto after;
		}
		FAIL("invalid literal");
	case 'n':
		if (n - i >= 4 && !memcmp(p + i, "null", 4)) {
			i += 4;
			k = LQ_J_NULL;
			goto after;
		}
		FAIL("invalid literal");
	default: {
		size_t l = scan_number(p, n, i);
		if (!l)
			FAIL(p[i] == '}' || p[i] == ']' ? "expected a value" :
			    "invalid number or token");
		i += l;
		k = LQ_J_NUMBER;
		if (i < n && !WS(p[i]) && p[i] != ',' && p[i] != '}' &&
		    p[i] != ']')
			FAIL("invalid number");
		goto after;
	}
	}

key:	/* inside an object, expect "key" : at p[i] (whitespace skipped) */
	if (i >= n || p[i] != '"')
		FAIL("expected a string key");
	{
		size_t ks = i;
		int esc = 0;
		if ((errmsg = scan_string(p, n, &i, &esc)))
			goto fail;
		if (depth == 1) {
			if (!(cur = add_member(s)))
				FAIL("out of memory");
			cur->kstart = ks;
			cur->klen = i - ks;
			cur->kesc = esc;
		}
		tk = (uint32_t)ks;
		tkl = (uint32_t)(i - ks) | (esc ? LQ_TKESC : 0);
	}
	while (i < n && WS(p[i]))
		i++;
	if (i >= n || p[i] != ':')
		FAIL("expected ':' after object key");
	i++;
	goto value;

after:	/* a value of kind k ended at i (te: its tape entry) */
	if (tape)
		s->tape[te].ve = (uint32_t)i;
	if (depth == 1 && s->stack[0] == '{' && cur) {
		/* closing a top-level member value */
		cur->vend = i;
		cur->vkind = k;
		cur = NULL;
	}
	while (i < n && WS(p[i]))
		i++;
	if (depth == 0) {
		if (s->kind == LQ_J_NONE)
			s->kind = k;
		if (i != n)
			FAIL("unexpected data after the value");
		return 0;
	}
	if (i >= n)
		FAIL("unexpected end of line");
	if (p[i] == ',') {
		i++;
		if (s->stack[depth - 1] == '{') {
			while (i < n && WS(p[i]))
				i++;
			goto key;
		}
		goto value;
	}
	if (p[i] == (s->stack[depth - 1] == '{' ? '}' : ']')) {
		k = s->stack[depth - 1] == '{' ? LQ_J_OBJECT : LQ_J_ARRAY;
		i++;
		depth--;
		jw -= k == LQ_J_OBJECT ? 2 : 1;
		te = s->tstk[2 * depth];
		if (depth == 0 && k == LQ_J_OBJECT)
			s->close = i - 1;
		goto after;
	}
	FAIL(s->stack[depth - 1] == '{' ? "expected ',' or '}'" :
	    "expected ',' or ']'");

fail:
	s->n = 0;
	s->tn = 0;
	s->kind = LQ_J_NONE;
	if (errmsg == TOO_DEEP)
		return lq_err_set(err, LQ_EXIT_RECORDS, "nested too deep at "
		    "byte %zu: over jq's depth limit of %d (an object counts "
		    "twice)", i + 1, LQ_JSON_MAX_DEPTH);
	if (!strcmp(errmsg, "invalid UTF-8"))
		return lq_err_set(err, LQ_EXIT_RECORDS,
		    "invalid UTF-8 at byte %zu", i + 1);
	return lq_err_set(err, LQ_EXIT_RECORDS, "invalid JSON at byte %zu: %s",
	    i + 1, errmsg);
}

static unsigned
hexval(unsigned char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static void
put_utf8(struct lq_buf *out, uint32_t cp)
{
	char b[4];

	if (cp < 0x80) {
		lq_buf_addc(out, (int)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3F));
		lq_buf_add(out, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		lq_buf_add(out, b, 3);
	} else {
		b[0] = (char)(0xF0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		lq_buf_add(out, b, 4);
	}
}

/* what the escape backslash-c stands for: 0 for u and non-escapes */
static const char unesc[256] = {
	['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b', ['f'] = '\f',
	['n'] = '\n', ['r'] = '\r', ['t'] = '\t',
};

int
lq_json_unescape_char(struct lq_buf *out, int c)
{
	char d = unesc[(unsigned char)c];

	if (!d)
		return -1;
	lq_buf_addc(out, d);
	return 0;
}

void
lq_json_unescape(struct lq_buf *out, const char *raw, size_t n)
{
	const unsigned char *p = (const unsigned char *)raw + 1;
	const unsigned char *e = (const unsigned char *)raw + n - 1;

	while (p < e) {
		const unsigned char *q = memchr(p, '\\', (size_t)(e - p));
		uint32_t cp, lo;
		if (!q) {
			lq_buf_add(out, p, (size_t)(e - p));
			return;
		}
		lq_buf_add(out, p, (size_t)(q - p));
		p = q + 1;
		if (*p != 'u') {
			/* one of " \ / b f n r t (anything else: itself) */
			lq_buf_addc(out, unesc[*p] ? unesc[*p] : *p);
			p++;
			continue;
		}
		cp = hexval(p[1]) << 12 | hexval(p[2]) << 8 |
		    hexval(p[3]) << 4 | hexval(p[4]);
		p += 5;
		if (cp >= 0xD800 && cp < 0xDC00 && e - p >= 6 && p[0] == '\\' &&
		    p[1] == 'u') {
			lo = hexval(p[2]) << 12 | hexval(p[3]) << 8 |
			    hexval(p[4]) << 4 | hexval(p[5]);
			if (lo >= 0xDC00 && lo < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				    (lo - 0xDC00);
				p += 6;
			}
		}
		if (cp >= 0xD800 && cp < 0xE000)
			cp = 0xFFFD;
		put_utf8(out, cp);
	}
}

int
lq_json_key_eq(const char *raw, size_t rawlen, const char *k, size_t kn)
{
	struct lq_buf b = LQ_BUF_INIT;
	int eq;

	if (!memchr(raw, '\\', rawlen))
		return rawlen == kn + 2 && !memcmp(raw + 1, k, kn);
	lq_json_unescape(&b, raw, rawlen);
	eq = b.len == kn && !memcmp(b.buf, k, kn);
	lq_buf_release(&b);
	return eq;
}

long
lq_scan_find(const struct lq_scan *s, const char *line, const char *key,
    size_t keylen)
{
	long i;

	for (i = (long)s->n - 1; i >= 0; i--) {
		const struct lq_member *m = &s->m[i];
		if (lq_json_key_is(line + m->kstart, m->klen, m->kesc, key,
		    keylen))
			return i;
	}
	return -1;
}

/* end of the string starting at the quote p */
const char *
lq_json_str_end(const char *p, int *esc)
{
	p++;
	for (;;) {
		const char *q = p;
		while (q[0] != '"' && q[0] != '\\') {
			if (q[1] == '"' || q[1] == '\\') {
				q++;
				break;
			}
			q += 2;
		}
		if (*q == '"')
			return q + 1;
		*esc = 1;
		p = q + 2;
	}
}

static const unsigned char delim[256] = {
	[0] = 1, [','] = 1, ['}'] = 1, [']'] = 1, [' '] = 1, ['\t'] = 1,
	['\r'] = 1, ['\n'] = 1
};

const char *
lq_json_skip(const char *p)
{
	int esc, depth = 0;

	for (;;) {
		switch (*p) {
		case '"':
			p = lq_json_str_end(p, &esc);
			break;
		case '{': case '[':
			depth++;
			p++;
			break;
		case '}': case ']':
			depth--;
			p++;
			break;
		default:
			if (depth == 0) {
				while (!delim[(unsigned char)*p])
					p++;
				return p;
			}
			p++;
			continue;
		}
		if (depth == 0)
			return p;
	}
}

static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

void
lq_json_iter_start(struct lq_json_iter *it, const char *obj)
{
	it->p = skip_ws(obj + 1);
}

int
lq_json_iter_next(struct lq_json_iter *it, const char **k, size_t *klen,
    const char **v, size_t *vlen)
{
	const char *p = it->p, *e;

	if (*p == '}' || *p == ']' || !*p)
		return 0;
	if (k) {
		e = lq_json_skip(p);
		*k = p;
		*klen = (size_t)(e - p);
		p = skip_ws(skip_ws(e) + 1);
	}
	e = lq_json_skip(p);
	*v = p;
	*vlen = (size_t)(e - p);
	p = skip_ws(e);
	if (*p == ',')
		p = skip_ws(p + 1);
	it->p = p;
	return 1;
}

long
lq_json_array_len(const char *arr)
{
	struct lq_json_iter it;
	const char *v;
	size_t vn;
	long n = 0;

	lq_json_iter_start(&it, arr);
	while (lq_json_iter_next(&it, NULL, NULL, &v, &vn))
		n++;
	return n;
}

/* Decode one code point; returns its length, 0 when invalid. */
size_t
lq_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned c = p[0];
	size_t len;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}
