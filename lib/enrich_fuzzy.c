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

struct lq_fuzzy {
	struct lq_buf arena;	/* the names, NUL-terminated */
	size_t *off;
	uint16_t *ntri;		/* distinct trigrams of each name */
	uint32_t n, cap;
	struct lq_smap exact;	/* name -> id */
	struct lq_smap acro;	/* initials -> id, -1 when ambiguous */
	struct lq_smap compact;	/* name without blanks -> id, -1: ambiguous */
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
	lq_smap_init(&f->exact);
	lq_smap_init(&f->acro);
	lq_smap_init(&f->compact);
	return f;
}

void
lq_fuzzy_add(struct lq_fuzzy *f, const char *name, size_t n)
{
	char ini[64];
	size_t k;
	long old;

	if (!n || !lq_smap_put(&f->exact, name, n, (long)f->n, NULL))
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
	if ((k = initials(name, n, ini, sizeof(ini))) &&
	    !lq_smap_put(&f->acro, ini, k, (long)f->n, &old) && old != -1)
		lq_smap_set(&f->acro, ini, k, -1);
	char *sq = malloc(n + 1);
	if (!sq)
		abort();
	k = squeeze(name, n, sq);
	if (!lq_smap_put(&f->compact, sq, k, (long)f->n, &old) && old != -1)
		lq_smap_set(&f->compact, sq, k, -1);
	free(sq);
	f->n++;
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
	f->tcap = 1024;
	while (f->tcap < 2 * (nd < 4000000 ? nd : 4000000) + 2)
		f->tcap *= 2;
	f->tk = malloc(f->tcap * sizeof(uint32_t));
	f->tstart = calloc(f->tcap, sizeof(uint32_t));
	f->tlen = calloc(f->tcap, sizeof(uint32_t));
	if (!f->tk || !f->tstart || !f->tlen)
		abort();
	memset(f->tk, 0xff, f->tcap * sizeof(uint32_t));
	for (uint32_t i = 0; i < f->n; i++) {
		const char *s = f->arena.buf + f->off[i];
		size_t k = trigrams(s, strlen(s), t);
		for (size_t j = 0; j < k; j++) {
			uint32_t h = tslot(f, t[j]);
			f->tk[h] = t[j];
			f->tlen[h]++;
		}
	}
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
	lq_smap_release(&f->exact);
	lq_smap_release(&f->acro);
	lq_smap_release(&f->compact);
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
	    lq_smap_get(&f->acro, q, n, &id) && id >= 0) {
		hits[nh].id = id;
		hits[nh].score = 0.9;
		hits[nh++].acronym = 1;
	} else if ((k = initials(q, n, ini, sizeof(ini))) && k <= 8 &&
	    lq_smap_get(&f->exact, ini, k, &id)) {
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
	if (lq_smap_get(&f->compact, sq, k, &id) && id >= 0) {
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

long
lq_fuzzy_count(const struct lq_fuzzy *f)
{
	return f->n;
}
