/*
 * lq_mem.h - allocation that aborts on failure, for the small tables and
 * names a loader or a report keeps.  Like lq_buf, a tool that cannot
 * allocate a few bytes has no useful way to go on; checking every strdup
 * would only hide the real work.  Allocations that depend on the input's
 * size (lines, batches) check and report instead.
 */
#ifndef LQ_MEM_H
#define LQ_MEM_H

#include <stddef.h>

/* strdup(s), "" for NULL; never NULL. */
char *lq_xstrdup(const char *s);

/* strndup(s, n); never NULL. */
char *lq_xstrndup(const char *s, size_t n);

/* calloc(n, sz), at least one byte; never NULL. */
void *lq_xcalloc(size_t n, size_t sz);

/* realloc(p, n), at least one byte; never NULL. */
void *lq_xrealloc(void *p, size_t n);

/* reallocarray(p, n, size) with overflow checked; never NULL. */
void *lq_xreallocarray(void *p, size_t n, size_t size);

#endif
