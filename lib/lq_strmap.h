/*
 * lq_strmap.h - a string -> long hash map for loaders (names, paths) that
 * would otherwise compare every new entry with every old one.
 *
 * Keys are borrowed: they must outlive the map (they usually live in the
 * loaded YAML document or in the loader's own arrays).
 */
#ifndef LQ_STRMAP_H
#define LQ_STRMAP_H

#include <stddef.h>

struct lq_strmap {
	const char **keys;
	long *vals;
	size_t n, cap;		/* cap: 0 or a power of two */
};

#define LQ_STRMAP_INIT { NULL, NULL, 0, 0 }

/* Free the map's arrays (not the keys). */
void lq_strmap_release(struct lq_strmap *m);

/* The value of key, or -1 when it is not in the map. */
long lq_strmap_get(const struct lq_strmap *m, const char *key);

/*
 * Add key -> val (val >= 0) unless key is there already.  Returns the
 * value key had (>= 0, the map unchanged), or -1 when it was added.
 */
long lq_strmap_put(struct lq_strmap *m, const char *key, long val);

#endif
