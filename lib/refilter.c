/*
 * refilter.c - literal prefilters for regular expressions.
 *
 * The pattern is read as a tree of alternations, sequences and atoms.  For
 * each sequence the "required set" is the most selective of: each run of
 * adjacent literal characters, and each group that is not optional (its
 * alternatives' sets united).  An alternation's set is the union of its
 * alternatives' sets, unknown as soon as one of them is unknown.  Anything
 * not modelled (look-around, back references, \x escapes, nested classes,
 * the x flag ...) abandons the prefilter: the regex engine decides alone.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lq_refilter.h"

#define MAXLIT 64		/* literals in one set */
#define LITLEN 48		/* bytes in one literal */
#define LITBITS 64		/* bits of shift-and state */

struct lset {			/* NULL pointer: unknown */
	int n;
	unsigned char len[MAXLIT];
	char s[MAXLIT][LITLEN + 1];
};

/*
 * The search is shift-and over the literals' prefixes: literal j owns
 * bits off[j] .. off[j] + plen[j] - 1 of one 64-bit state, and after byte
 * i bit off[j] + t is set when the t + 1 bytes ending at i are the first
 * t + 1 bytes of literal j.  No branch per byte but the rare candidate,
 * where the rest of the literal is compared.  Literals are ASCII (the
 * parser ends a run at a non-ASCII character), and so are the subjects
 * that reach the search, so the tables cover 128 bytes.
 */
struct lq_refilter {
	uint64_t first;			/* the bit each literal starts at */
	uint64_t last;			/* the bit each prefix ends at */
	unsigned char cls[128];		/* byte -> class of its folded form */
	uint64_t mask[LITBITS + 1];	/* class -> bits where it may occur */
	unsigned char lit[LITBITS];	/* end bit -> literal */
	unsigned char plen[MAXLIT];	/* bytes of each literal in the state */
	unsigned char fold[128];	/* byte -> lowercase with flag i */
	struct lset set;
};

struct parser {
	const unsigned char *p, *e;
	int icase;
	int bail;
};

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static int
minlen(const struct lset *s)
{
	int m = LITLEN + 1;

	for (int i = 0; i < s->n; i++)
		if (s->len[i] < m)
			m = s->len[i];
	return m;
}

/* keep the more selective of *best and cand (cand is consumed) */
static void
consider(struct lset **best, struct lset *cand)
{
	if (!cand)
		return;
	if (!*best || minlen(cand) > minlen(*best) ||
	    (minlen(cand) == minlen(*best) && cand->n < (*best)->n)) {
		free(*best);
		*best = cand;
	} else {
		free(cand);
	}
}

static struct lset *
single(const char *run, int rl)
{
	struct lset *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->n = 1;
	s->len[0] = (unsigned char)rl;
	memcpy(s->s[0], run, (size_t)rl);
	return s;
}

/* a ∪ b, both consumed; unknown when either is or it grows too big */
static struct lset *
unite(struct lset *a, struct lset *b)
{
	if (!a || !b || a->n + b->n > MAXLIT) {
		free(a);
		free(b);
		return NULL;
	}
	for (int i = 0; i < b->n; i++) {
		a->len[a->n] = b->len[i];
		memcpy(a->s[a->n], b->s[i], sizeof(a->s[0]));
		a->n++;
	}
	free(b);
	return a;
}

static struct lset *parse_alt(struct parser *P);
static void build(struct lq_refilter *f);

/* skip a [...] class; P->p is after '[' */
static void
skip_class(struct parser *P)
{
	if (P->p < P->e && *P->p == '^')
		P->p++;
	if (P->p < P->e && *P->p == ']')
		P->p++;
	while (P->p < P->e && *P->p != ']') {
		if (*P->p == '[' || (*P->p == '&' && P->p + 1 < P->e &&
		    P->p[1] == '&')) {
			P->bail = 1;
			return;
		}
		if (*P->p == '\\')
			P->p++;
		P->p++;
	}
	if (P->p >= P->e)
		P->bail = 1;
	else
		P->p++;
}

/*
 * A quantifier after an atom: 0 none, 1 "at least once" (+, {n,} n>0),
 * 2 "maybe absent" (*, ?, {0,...}).  Lazy and possessive suffixes are
 * skipped.
 */
static int
quantifier(struct parser *P)
{
	int q = 0;

	if (P->p >= P->e)
		return 0;
	switch (*P->p) {
	case '*':
	case '?':
		q = 2;
		P->p++;
		break;
	case '+':
		q = 1;
		P->p++;
		break;
	case '{': {
		const unsigned char *t = P->p + 1;
		long lo = -1;
		int digits = 0;
		while (t < P->e && *t >= '0' && *t <= '9') {
			lo = (lo < 0 ? 0 : lo) * 10 + (*t - '0');
			if (lo > 100000)
				lo = 100000;
			t++;
			digits++;
		}
		if (t < P->e && *t == ',') {
			t++;
			while (t < P->e && *t >= '0' && *t <= '9') {
				t++;
				digits++;
			}
		}
		if (!digits || t >= P->e || *t != '}') {
			P->bail = 1;	/* a literal '{' or odd syntax */
			return 0;
		}
		P->p = t + 1;
		q = lo > 0 ? 1 : 2;
		break;
	}
	default:
		return 0;
	}
	if (P->p < P->e && (*P->p == '?' || *P->p == '+'))
		P->p++;
	if (P->p < P->e && (*P->p == '*' || *P->p == '+' || *P->p == '?' ||
	    *P->p == '{'))
		P->bail = 1;	/* stacked quantifiers: not modelled */
	return q;
}

enum { A_LIT, A_ANY, A_ZERO, A_GROUP };

static struct lset *
parse_seq(struct parser *P)
{
	struct lset *best = NULL, *g = NULL;
	char run[LITLEN + 1];
	int rl = 0;

	while (!P->bail && P->p < P->e && *P->p != '|' && *P->p != ')') {
		unsigned char c = *P->p++;
		int kind = A_LIT;

		switch (c) {
		case '(':
			if (P->p < P->e && (*P->p == '?' || *P->p == '*')) {
				P->bail = 1;
				break;
			}
			g = parse_alt(P);
			if (P->bail || P->p >= P->e || *P->p != ')') {
				P->bail = 1;
				break;
			}
			P->p++;
			kind = A_GROUP;
			break;
		case '[':
			skip_class(P);
			kind = A_ANY;
			break;
		case '.':
			kind = A_ANY;
			break;
		case '^':
		case '$':
			kind = A_ZERO;
			break;
		case '*': case '+': case '?': case '{':
			P->bail = 1;
			break;
		case '\\':
			if (P->p >= P->e) {
				P->bail = 1;
				break;
			}
			c = *P->p++;
			if (strchr("bBAzZG", c))
				kind = A_ZERO;
			else if (strchr("sSdDwWhH", c))
				kind = A_ANY;
			else if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'r')
				c = '\r';
			else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c >= 0x80)
				P->bail = 1;
			break;
		default:
			if (c >= 0x80) {
				/* one non-ASCII character: may fold to ASCII */
				while (P->p < P->e && (*P->p & 0xC0) == 0x80)
					P->p++;
				kind = A_ANY;
			}
		}
		if (P->bail)
			break;
		if (kind == A_ZERO) {
			if (P->p < P->e && strchr("*+?{", *P->p))
				P->bail = 1;
			continue;
		}
		int q = quantifier(P);
		if (P->bail)
			break;
		if (kind == A_LIT && q != 2) {
			if (rl == LITLEN) {
				consider(&best, single(run, rl));
				rl = 0;
			}
			run[rl++] = (char)(P->icase ? lower(c) : c);
			if (q == 0)
				continue;
		}
		/* the run ends here */
		if (rl)
			consider(&best, single(run, rl));
		rl = 0;
		if (kind == A_GROUP && q != 2)
			consider(&best, g);
		else
			free(g);
		g = NULL;
	}
	free(g);
	if (rl && !P->bail)
		consider(&best, single(run, rl));
	if (P->bail) {
		free(best);
		return NULL;
	}
	return best;
}

static struct lset *
parse_alt(struct parser *P)
{
	struct lset *s = parse_seq(P);

	while (!P->bail && P->p < P->e && *P->p == '|') {
		P->p++;
		s = unite(s, parse_seq(P));
	}
	return s;
}

struct lq_refilter *
lq_refilter_new(const char *pat, size_t n, const char *flags)
{
	struct parser P = { (const unsigned char *)pat,
	    (const unsigned char *)pat + n, 0, 0 };
	struct lq_refilter *f;
	struct lset *s;

	for (; flags && *flags; flags++) {
		if (*flags == 'i')
			P.icase = 1;
		else if (!strchr("gnslp", *flags))
			return NULL;	/* x (extended) changes the syntax */
	}
	s = parse_alt(&P);
	if (P.bail || P.p != P.e || !s) {
		free(s);
		return NULL;
	}
	if (!(f = calloc(1, sizeof(*f)))) {
		free(s);
		return NULL;
	}
	for (int c = 0; c < 128; c++)
		f->fold[c] = P.icase ? lower((unsigned char)c) : (unsigned char)c;
	/* sorted by first byte, stably (lq_refilter_literal's order) */
	for (int c = 0; c < 256; c++)
		for (int i = 0; i < s->n; i++)
			if ((unsigned char)s->s[i][0] == c) {
				f->set.len[f->set.n] = s->len[i];
				memcpy(f->set.s[f->set.n++], s->s[i],
				    sizeof(s->s[0]));
			}
	free(s);
	for (int i = 0; i < f->set.n; i++)
		if (!f->set.len[i]) {
			free(f);
			return NULL;	/* matches everywhere */
		}
	build(f);
	return f;
}

/* the shift-and tables for f->set */
static void
build(struct lq_refilter *f)
{
	const struct lset *s = &f->set;
	int plen = LITLEN, bits, ncls = 0;
	unsigned char classof[128] = { 0 };

	/* the longest prefixes that fit: MAXLIT <= LITBITS, so 1 does */
	for (;; plen--) {
		bits = 0;
		for (int j = 0; j < s->n; j++)
			bits += s->len[j] < plen ? s->len[j] : plen;
		if (bits <= LITBITS)
			break;
	}
	bits = 0;
	for (int j = 0; j < s->n; j++) {
		f->plen[j] = (unsigned char)(s->len[j] < plen ?
		    s->len[j] : plen);
		f->first |= 1ULL << bits;
		for (int t = 0; t < f->plen[j]; t++) {
			unsigned char c = (unsigned char)s->s[j][t];
			if (!classof[c])
				classof[c] = (unsigned char)++ncls;
			f->mask[classof[c]] |= 1ULL << (bits + t);
		}
		bits += f->plen[j];
		f->last |= 1ULL << (bits - 1);
		f->lit[bits - 1] = (unsigned char)j;
	}
	for (int c = 0; c < 128; c++)
		f->cls[c] = classof[f->fold[c]];
}

int
lq_refilter_may_match(const struct lq_refilter *f, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint64_t d = 0;
	size_t i = 0;

	/* case folding beyond ASCII: leave non-ASCII subjects to onig */
	for (; i + 8 <= n; i += 8) {
		uint64_t x;
		memcpy(&x, u + i, 8);
		if (x & 0x8080808080808080ULL)
			return 1;
	}
	for (; i < n; i++)
		if (u[i] & 0x80)
			return 1;
	for (i = 0; i < n; i++) {
		d = ((d << 1) | f->first) & f->mask[f->cls[u[i]]];
		if (__builtin_expect(!(d & f->last), 1))
			continue;
		for (uint64_t e = d & f->last; e; e &= e - 1) {
			int j = f->lit[__builtin_ctzll(e)];
			size_t l = f->set.len[j], k = f->plen[j];
			size_t at = i + 1 - k;
			const char *t = f->set.s[j];

			if (l > n - at)
				continue;
			while (k < l && f->fold[u[at + k]] ==
			    (unsigned char)t[k])
				k++;
			if (k == l)
				return 1;
		}
	}
	return 0;
}

const char *
lq_refilter_literal(const struct lq_refilter *f, int i)
{
	return f && i >= 0 && i < f->set.n ? f->set.s[i] : NULL;
}

void
lq_refilter_free(struct lq_refilter *f)
{
	free(f);
}
