/*
 * mem.c - allocation that aborts on failure (lq_mem.h).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "lq_mem.h"

static void *
must(void *p)
{
	if (!p)
		abort();
	return p;
}

char *
lq_xstrdup(const char *s)
{
	return must(strdup(s ? s : ""));
}

char *
lq_xstrndup(const char *s, size_t n)
{
	return must(strndup(s, n));
}

void *
lq_xcalloc(size_t n, size_t sz)
{
	return must(calloc(n ? n : 1, sz ? sz : 1));
}

void *
lq_xrealloc(void *p, size_t n)
{
	return must(realloc(p, n ? n : 1));
}

void *
lq_xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > (size_t)-1 / size)
		abort();
	return lq_xrealloc(p, n * size);
}
