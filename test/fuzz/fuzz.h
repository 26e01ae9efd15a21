/*
 * fuzz.h - what the libFuzzer harnesses of test/fuzz/ share.
 *
 * Each fuzz_NAME.c defines LLVMFuzzerTestOneInput(); it is linked either
 * with libFuzzer (clang -fsanitize=fuzzer, `make fuzz`) or with replay.c
 * (any compiler, `make check`), which runs the regression corpus
 * test/fuzz/regress/NAME/ and the seeds test/fuzz/corpus/NAME/ through it.
 *
 * A harness checks invariants besides "does not crash": a broken one is a
 * finding, reported by fuzz_fail() (message on stderr, then abort(), which
 * libFuzzer records as a crash and replay.c as a failed test).
 */
#ifndef LQ_FUZZ_H
#define LQ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Report a broken invariant and abort. */
void fuzz_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/*
 * A file descriptor that reads back p[0..n) in short reads of at most
 * chunk bytes each (an AF_UNIX SOCK_SEQPACKET pair: one message per
 * read), so readers meet their buffer boundaries inside rows and lines.
 * At most 64 messages (chunk grows for a long input); an input longer
 * than 16 KiB is read from a memory file instead.  The caller closes the
 * descriptor (lq_reader_close, lq_csv_close).  Returns -1 on failure.
 */
int fuzz_fd(const void *p, size_t n, size_t chunk);

/* Take a byte from the front of the input (0 when there is none). */
static inline unsigned
fuzz_byte(const uint8_t **d, size_t *n)
{
	unsigned b;

	if (!*n)
		return 0;
	b = **d;
	(*d)++;
	(*n)--;
	return b;
}

#endif
