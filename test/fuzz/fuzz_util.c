/*
 * fuzz_util.c - helpers shared by the harnesses (fuzz.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"

#define FUZZ_FD_MAX 16384

void
fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: invariant broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* a long input: a memory file, read in reads as long as asked */
static int
mem_fd(const char *s, size_t n)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
fuzz_fd(const void *p, size_t n, size_t chunk)
{
	const char *s = p;
	int sv[2];

	/*
	 * A message must fit the socket's buffer, and the reader's free
	 * space (it discards the rest of a message): both hold far more
	 * than FUZZ_FD_MAX bytes.
	 */
	if (n > FUZZ_FD_MAX)
		return mem_fd(s, n);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if (chunk < n / 63 + 1)
		chunk = n / 63 + 1;
	while (n) {
		size_t k = n < chunk ? n : chunk;
		ssize_t w = send(sv[1], s, k, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w != (ssize_t)k) {
			close(sv[0]);
			close(sv[1]);
			return -1;
		}
		s += k;
		n -= k;
	}
	close(sv[1]);
	return sv[0];
}
