/*
 * err.c - the error struct every lib/ function fills instead of printing
 * (lq_err.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lq_err.h"

void
lq_err_clear(struct lq_err *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}

int
lq_err_set(struct lq_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
lq_err_at(struct lq_err *err, const char *file, int line, int col,
    const char *fmt, ...)
{
	va_list ap;
	int n;

	err->code = LQ_EXIT_USAGE;
	if (col > 0)
		n = snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: ", file,
		    line, col);
	else
		n = snprintf(err->msg, sizeof(err->msg), "%s:%d: ", file, line);
	if (n < 0 || (size_t)n >= sizeof(err->msg))
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - n, fmt, ap);
	va_end(ap);
	return -1;
}

int
lq_err_prefix(struct lq_err *err, const char *prefix)
{
	char tmp[sizeof(err->msg)];
	size_t n = strlen(prefix);

	if (n + 2 >= sizeof(tmp))
		return -1;
	memcpy(tmp, prefix, n);
	memcpy(tmp + n, ": ", 2);
	memcpy(tmp + n + 2, err->msg, sizeof(tmp) - n - 2);
	tmp[sizeof(tmp) - 1] = 0;
	memcpy(err->msg, tmp, sizeof(tmp));
	return -1;
}
