/*
 * enrich_fuzzy.c - fuzzy company-name matching (lq-enrich(1), TABLES):
 * normalised names (lq_name_normalise) compared by the Dice coefficient
 * of their padded byte trigrams, found through an inverted trigram index
 * (postings of very common trigrams are not walked, so a million names
 * still answer in well under a millisecond), plus acronyms: "ibm" finds
 * "international business machines" and the other way round.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lq_enrich.h"

#define MAXTRI 256		/* trigrams of a name that count */

/*
 * Names by a key derived from them (the name, its initials, its letters
 * without blanks), without storing the keys: a slot holds id + 1, with
 * AMBIG set when two names share the key.
 */
enum { K_EXACT, K_ACRO, K_COMPACT };
#define AMBIG 0x80000000u

struct idmap {
	uint32_t *slot, cap, n;
	int kind;
};

struct lq_fuzzy {
	struct lq_buf arena;	/* the names, NUL-terminated */
	size_t *off;
	uint16_t *ntri;		/* distinct trigrams of each name */
	uint32_t n, cap;
	struct idmap exact;	/* name -> id */
	struct idmap acro;	/* initials -> id (or ambiguous) */
	struct idmap compact;	/* name without blanks -> id (or ambiguous) */
	struct lq_buf k1, k2;	/* key scratch */
	/* trigram -> postings (open addressing on the 24-bit trigram) */
	uint32_t *tk, *tstart, *tlen, tcap;
	uint32_t *post;
	size_t cap_walk;	/* longest postings list walked */
	/* query scratch */
	uint16_t *count;
	uint32_t *touched;
};

static const char *const small_words[] = { "and", "of", "the", "for", "de",
	"und", "et", NULL };

static int
is_small(const char *w, size_t n)
{
	for (int i = 0; small_words[i]; i++)
		if (strlen(small_words[i]) == n && !memcmp(small_words[i], w, n))
			return 1;
	return 0;
}

/* The initials of the words of s (2 words at least), else empty. */
static size_t
initials(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0, words = 0;

	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && s[j] != ' ')
			j++;
		if (!is_small(s + i, j - i)) {
			if (k + 1 >= cap)
				return 0;
			out[k++] = s[i];
			words++;
		}
		i = j + 1;
	}
	out[k] = 0;
	return words >= 2 ? k : 0;
}

/* Distinct padded trigrams of s[0..n), sorted, into t; returns how many. */
static size_t
trigrams(const char *s, size_t n, uint32_t *t)
{
	size_t k = 0;
	unsigned char b[MAXTRI + 2];
	size_t m = 0;

	b[m++] = ' ';
	for (size_t i = 0; i < n && m < MAXTRI; i++)
		b[m++] = (unsigned char)s[i];
	b[m++] = ' ';
	for (size_t i = 0; i + 2 < m; i++)
		t[k++] = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
	/* sort (insertion: names are short) and drop repeats */
	for (size_t i = 1; i < k; i++) {
		uint32_t v = t[i];
		size_t j = i;
		while (j && t[j - 1] > v) {
			t[j] = t[j - 1];
			j--;
		}
		t[j] = v;
	}
	size_t d = 0;
	for (size_t i = 0; i < k; i++)
		if (!d || t[d - 1] != t[i])
			t[d++] = t[i];
	return d;
}

/* s[0..n) without blanks into out (n + 1 bytes); returns the length */
static size_t
squeeze(const char *s, size_t n, char *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ')
			out[k++] = s[i];
	out[k] = 0;
	return k;
}

/* The key of kind for name s[0..n) into out; returns its length. */
static size_t
map_key(int kind, const char *s, size_t n, struct lq_buf *out)
{
	lq_buf_reset(out);
	lq_buf_grow(out, n + 1);
	switch (kind) {
	case K_EXACT:
		memcpy(out->buf, s, n);
		out->buf[n] = 0;
		return out->len = n;
	case K_COMPACT:
		return out->len = squeeze(s, n, out->buf);
	default:
		return out->len = initials(s, n, out->buf, n + 1);
	}
}

static uint32_t
map_hash(const char *k, size_t n)
{
	return (uint32_t)lq_hash_bytes(k, n);
}

/* the slot of key k[0..n) (empty or holding it) */
static uint32_t
map_find(struct lq_fuzzy *f, struct idmap *m, const char *k, size_t n)
{
	uint32_t h = map_hash(k, n) & (m->cap - 1);

	while (m->slot[h]) {
		uint32_t id = (m->slot[h] & ~AMBIG) - 1;
		const char *s = f->arena.buf + f->off[id];
		size_t kn = map_key(m->kind, s, strlen(s), &f->k2);
		if (kn == n && !memcmp(f->k2.buf, k, n))
			return h;
		h = (h + 1) & (m->cap - 1);
	}
	return h;
}

static void map_put_id(struct lq_fuzzy *f, struct idmap *m, uint32_t v);

static void
map_grow(struct lq_fuzzy *f, struct idmap *m)
{
	uint32_t *old = m->slot, oc = m->cap;

	m->cap = oc ? oc * 2 : 1024;
	if (!(m->slot = calloc(m->cap, sizeof(uint32_t))))
		abort();
	m->n = 0;
	for (uint32_t i = 0; i < oc; i++)
		if (old[i])
			map_put_id(f, m, old[i]);
	free(old);
}

/* Insert slot value v (id + 1, maybe AMBIG), re-hashing. */
static void
map_put_id(struct lq_fuzzy *f, struct idmap *m, uint32_t v)
{
	const char *s = f->arena.buf + f->off[(v & ~AMBIG) - 1];
	size_t kn = map_key(m->kind, s, strlen(s), &f->k1);
	uint32_t h = map_find(f, m, f->k1.buf, kn);

	m->slot[h] = v;
	m->n++;
}

/*
 * Add name id under its key: 1 when new, 0 when the key was there (then
 * marked ambiguous unless exact), -1 when the name has no such key.
 */
static int
map_add(struct lq_fuzzy *f, struct idmap *m, uint32_t id)
{
	const char *s = f->arena.buf + f->off[id];
	size_t kn;
	uint32_t h;

	if (2 * (m->n + 1) > m->cap)
		map_grow(f, m);
	kn = map_key(m->kind, s, strlen(s), &f->k1);
	if (!kn)
		return -1;
	h = map_find(f, m, f->k1.buf, kn);
	if (m->slot[h]) {
		if (m->kind != K_EXACT)
			m->slot[h] |= AMBIG;
		return 0;
	}
	m->slot[h] = id + 1;
	m->n++;
	return 1;
}

/* The id of key k[0..n): 1 with *id, 0 when absent or ambiguous. */
static int
map_get(struct lq_fuzzy *f, struct idmap *m, const char *k, size_t n,
    long *id)
{
	uint32_t h;

	if (!m->cap || !n)
		return 0;
	h = map_find(f, m, k, n);
	if (!m->slot[h] || (m->slot[h] & AMBIG))
		return 0;
	*id = (long)(m->slot[h] - 1);
	return 1;
}

static uint32_t
tslot(const struct lq_fuzzy *f, uint32_t tri)
{
	uint32_t h = (tri * 2654435761u) & (f->tcap - 1);

	while (f->tk[h] != UINT32_MAX && f->tk[h] != tri)
		h = (h + 1) & (f->tcap - 1);
	return h;
}

struct lq_fuzzy *
lq_fuzzy_new(void)
{
	struct lq_fuzzy *f = calloc(1, sizeof(*f));

	if (!f)
		abort();
	f->exact.kind = K_EXACT;
	f->acro.kind = K_ACRO;
	f->compact.kind = K_COMPACT;
	return f;
}

void
lq_fuzzy_add(struct lq_fuzzy *f, const char *name, size_t n)
{
	if (!n || memchr(name, 0, n))
		return;
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 1024;
		f->off = realloc(f->off, f->cap * sizeof(*f->off));
		f->ntri = realloc(f->ntri, f->cap * sizeof(*f->ntri));
		if (!f->off || !f->ntri)
			abort();
	}
	f->off[f->n] = f->arena.len;
	lq_buf_add(&f->arena, name, n);
	lq_buf_addc(&f->arena, 0);
	if (map_add(f, &f->exact, f->n) != 1) {
		f->arena.len = f->off[f->n];	/* a repeat */
		return;
	}
	map_add(f, &f->acro, f->n);
	map_add(f, &f->compact, f->n);
	f->n++;
}

/* Double the trigram table (keys and counts). */
static void
grow_tri(struct lq_fuzzy *f)
{
	uint32_t *ok = f->tk, *ol = f->tlen, oc = f->tcap;

	f->tcap *= 2;
	f->tk = malloc(f->tcap * sizeof(uint32_t));
	f->tlen = calloc(f->tcap, sizeof(uint32_t));
	if (!f->tk || !f->tlen)
		abort();
	memset(f->tk, 0xff, f->tcap * sizeof(uint32_t));
	for (uint32_t i = 0; i < oc; i++)
		if (ok[i] != UINT32_MAX) {
			uint32_t h = tslot(f, ok[i]);
			f->tk[h] = ok[i];
			f->tlen[h] = ol[i];
		}
	free(ok);
	free(ol);
}

void
lq_fuzzy_build(struct lq_fuzzy *f)
{
	uint32_t t[MAXTRI + 2], total = 0;
	size_t nd = 0;

	/* distinct trigrams: at most the sum, sized for a load of 1/2 */
	for (uint32_t i = 0; i < f->n; i++) {
		const char *s = f->arena.buf + f->off[i];
		size_t k = trigrams(s, strlen(s), t);
		f->ntri[i] = (uint16_t)k;
		nd += k;
	}
	(void)nd;
	uint32_t ndist = 0;
	f->tcap = 1024;
	f->tk = malloc(f->tcap * sizeof(uint32_t));
	f->tlen = calloc(f->tcap, sizeof(uint32_t));
	if (!f->tk || !f->tlen)
		abort();
	memset(f->tk, 0xff, f->tcap * sizeof(uint32_t));
	for (uint32_t i = 0; i < f->n; i++) {
		const char *s = f->arena.buf + f->off[i];
		size_t k = trigrams(s, strlen(s), t);
		for (size_t j = 0; j < k; j++) {
			uint32_t h = tslot(f, t[j]);
			if (f->tk[h] == UINT32_MAX) {
				if (2 * (ndist + 1) > f->tcap) {
					grow_tri(f);
					h = tslot(f, t[j]);
				}
				ndist++;
			}
			f->tk[h] = t[j];
			f->tlen[h]++;
		}
	}
	f->tstart = calloc(f->tcap, sizeof(uint32_t));
	if (!f->tstart)
		abort();
	for (uint32_t h = 0; h < f->tcap; h++) {
		f->tstart[h] = total;
		total += f->tlen[h];
		f->tlen[h] = 0;
	}
	f->post = malloc((total ? total : 1) * sizeof(uint32_t));
	if (!f->post)
		abort();
	for (uint32_t i = 0; i < f->n; i++) {
		const char *s = f->arena.buf + f->off[i];
		size_t k = trigrams(s, strlen(s), t);
		for (size_t j = 0; j < k; j++) {
			uint32_t h = tslot(f, t[j]);
			f->post[f->tstart[h] + f->tlen[h]++] = i;
		}
	}
	f->cap_walk = f->n / 50 > 2000 ? f->n / 50 : 2000;
	if (f->cap_walk > 20000)
		f->cap_walk = 20000;
	f->count = calloc(f->n ? f->n : 1, sizeof(uint16_t));
	f->touched = malloc((f->n ? f->n : 1) * sizeof(uint32_t));
	if (!f->count || !f->touched)
		abort();
}

void
lq_fuzzy_free(struct lq_fuzzy *f)
{
	if (!f)
		return;
	lq_buf_release(&f->arena);
	free(f->off);
	free(f->ntri);
	free(f->exact.slot);
	free(f->acro.slot);
	free(f->compact.slot);
	lq_buf_release(&f->k1);
	lq_buf_release(&f->k2);
	free(f->tk);
	free(f->tstart);
	free(f->tlen);
	free(f->post);
	free(f->count);
	free(f->touched);
	free(f);
}

const char *
lq_fuzzy_name(const struct lq_fuzzy *f, long id)
{
	return f->arena.buf + f->off[id];
}

int
lq_fuzzy_match(struct lq_fuzzy *f, const char *q, size_t n, double min,
    struct lq_fuzzy_hit *hits, int nhits)
{
	uint32_t t[MAXTRI + 2], nt = 0;
	size_t k;
	char ini[64];
	long id;
	int nh = 0;

	if (!n || !f->n)
		return 0;
	/* an acronym, either way: exact, scored just below an exact name */
	if (!memchr(q, ' ', n) && n >= 2 && n <= 8 &&
	    map_get(f, &f->acro, q, n, &id)) {
		hits[nh].id = id;
		hits[nh].score = 0.9;
		hits[nh++].acronym = 1;
	} else if ((k = initials(q, n, ini, sizeof(ini))) && k <= 8 &&
	    map_get(f, &f->exact, ini, k, &id)) {
		hits[nh].id = id;
		hits[nh].score = 0.9;
		hits[nh++].acronym = 1;
	}
	if (nh)
		return nh;
	/* the same letters with other blanks: "lab drill", "green-plus" */
	char *sq = malloc(n + 1);
	if (!sq)
		abort();
	k = squeeze(q, n, sq);
	if (map_get(f, &f->compact, sq, k, &id)) {
		hits[nh].id = id;
		hits[nh].score = 0.95;
		hits[nh++].acronym = 0;
	}
	free(sq);
	if (nh)
		return nh;
	k = trigrams(q, n, t);
	for (size_t j = 0; j < k; j++) {
		uint32_t h = tslot(f, t[j]);
		if (f->tk[h] == UINT32_MAX || f->tlen[h] > f->cap_walk)
			continue;
		for (uint32_t p = 0; p < f->tlen[h]; p++) {
			uint32_t i = f->post[f->tstart[h] + p];
			if (!f->count[i]++)
				f->touched[nt++] = i;
		}
	}
	for (uint32_t x = 0; x < nt; x++) {
		uint32_t i = f->touched[x];
		double s = 2.0 * f->count[i] / (double)(k + f->ntri[i]);
		f->count[i] = 0;
		if (s < min)
			continue;
		/* keep the nhits best, best first */
		int pos = nh < nhits ? nh : nhits;
		while (pos > 0 && hits[pos - 1].score < s)
			pos--;
		if (pos >= nhits)
			continue;
		memmove(&hits[pos + 1], &hits[pos], (size_t)((nh < nhits ?
		    nh : nhits - 1) - pos) * sizeof(*hits));
		hits[pos].id = i;
		hits[pos].score = s;
		hits[pos].acronym = 0;
		if (nh < nhits)
			nh++;
	}
	return nh;
}
