/*
 * enrich_map.c - string hash maps, list files, lossy JSON strings.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lq_enrich.h"

static uint64_t
hash(const char *k, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

void
lq_smap_init(struct lq_smap *m)
{
	memset(m, 0, sizeof(*m));
}

void
lq_smap_release(struct lq_smap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->k[i]);
	free(m->k);
	free(m->kn);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);

	if (!p)
		abort();
	return p;
}

static size_t
slot(const struct lq_smap *m, const char *k, size_t n)
{
	size_t i = (size_t)hash(k, n) & (m->cap - 1);

	while (m->k[i] && !(m->kn[i] == n && !memcmp(m->k[i], k, n)))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void
grow(struct lq_smap *m)
{
	struct lq_smap o = *m;

	m->cap = o.cap ? o.cap * 2 : 64;
	m->k = xcalloc(m->cap, sizeof(*m->k));
	m->kn = xcalloc(m->cap, sizeof(*m->kn));
	m->v = xcalloc(m->cap, sizeof(*m->v));
	for (size_t i = 0; i < o.cap; i++) {
		if (!o.k[i])
			continue;
		size_t j = slot(m, o.k[i], o.kn[i]);
		m->k[j] = o.k[i];
		m->kn[j] = o.kn[i];
		m->v[j] = o.v[i];
	}
	free(o.k);
	free(o.kn);
	free(o.v);
}

int
lq_smap_put(struct lq_smap *m, const char *k, size_t n, long v, long *old)
{
	size_t i;

	if ((m->n + 1) * 4 >= m->cap * 3)
		grow(m);
	i = slot(m, k, n);
	if (m->k[i]) {
		if (old)
			*old = m->v[i];
		return 0;
	}
	m->k[i] = malloc(n + 1);
	if (!m->k[i])
		abort();
	memcpy(m->k[i], k, n);
	m->k[i][n] = 0;
	m->kn[i] = n;
	m->v[i] = v;
	m->n++;
	return 1;
}

void
lq_smap_set(struct lq_smap *m, const char *k, size_t n, long v)
{
	if (!lq_smap_put(m, k, n, v, NULL))
		m->v[slot(m, k, n)] = v;
}

int
lq_smap_get(const struct lq_smap *m, const char *k, size_t n, long *v)
{
	size_t i;

	if (!m->cap)
		return 0;
	i = slot(m, k, n);
	if (!m->k[i])
		return 0;
	if (v)
		*v = m->v[i];
	return 1;
}

long
lq_smap_load_list(struct lq_smap *m, const char *path, struct lq_err *err)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long n = 0;

	if (!fp)
		return lq_err_set(err, LQ_EXIT_USAGE, "%s: %s", path,
		    strerror(errno));
	while ((len = getline(&line, &cap, fp)) >= 0) {
		char *p = line, *e;
		if ((e = strchr(p, '#')))
			*e = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && isspace((unsigned char)e[-1]))
			e--;
		if (e == p)
			continue;
		for (char *q = p; q < e; q++)
			*q = (char)tolower((unsigned char)*q);
		n += lq_smap_put(m, p, (size_t)(e - p), 1, NULL);
	}
	free(line);
	fclose(fp);
	return n;
}


void
lq_json_str_lossy(struct lq_buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start;
	struct lq_buf tmp = LQ_BUF_INIT;

	while (i < n) {
		uint32_t cp;
		size_t l = lq_utf8_decode(p + i, n - i, &cp);
		if (!l)
			break;
		i += l;
	}
	if (i == n) {
		lq_buf_json_str(out, s, n);
		return;
	}
	for (i = 0; i < n;) {
		start = i;
		uint32_t cp;
		size_t l = lq_utf8_decode(p + i, n - i, &cp);
		if (l) {
			lq_buf_add(&tmp, s + start, l);
			i += l;
		} else {
			lq_buf_adds(&tmp, "\xef\xbf\xbd");
			i++;
		}
	}
	lq_buf_json_str(out, tmp.buf, tmp.len);
	lq_buf_release(&tmp);
}
