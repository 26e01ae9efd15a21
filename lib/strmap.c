/*
 * strmap.c - open addressing with linear probing over borrowed keys.
 */
#include <stdlib.h>
#include <string.h>

#include "lq_buf.h"
#include "lq_strmap.h"

void
lq_strmap_release(struct lq_strmap *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->n = m->cap = 0;
}

static size_t
slot(const struct lq_strmap *m, const char *key)
{
	size_t i = (size_t)lq_hash_fast(key, strlen(key)) & (m->cap - 1);

	while (m->keys[i] && strcmp(m->keys[i], key))
		i = (i + 1) & (m->cap - 1);
	return i;
}

long
lq_strmap_get(const struct lq_strmap *m, const char *key)
{
	if (!m->cap)
		return -1;
	size_t i = slot(m, key);
	return m->keys[i] ? m->vals[i] : -1;
}

long
lq_strmap_put(struct lq_strmap *m, const char *key, long val)
{
	if (2 * (m->n + 1) > m->cap) {
		struct lq_strmap g = { NULL, NULL, 0, m->cap ? 2 * m->cap : 16 };
		g.keys = calloc(g.cap, sizeof(*g.keys));
		g.vals = calloc(g.cap, sizeof(*g.vals));
		if (!g.keys || !g.vals)
			abort();
		for (size_t i = 0; i < m->cap; i++) {
			if (m->keys[i]) {
				size_t j = slot(&g, m->keys[i]);
				g.keys[j] = m->keys[i];
				g.vals[j] = m->vals[i];
			}
		}
		g.n = m->n;
		lq_strmap_release(m);
		*m = g;
	}
	size_t i = slot(m, key);
	if (m->keys[i])
		return m->vals[i];
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return -1;
}
