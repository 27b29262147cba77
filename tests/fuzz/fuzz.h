/* fuzz.h: what the fuzz harnesses and the replay driver share. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The entry point libFuzzer (or tests/fuzz/replay.c) calls per input. */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A broken oracle: says which one on standard error and aborts, so that
 * libFuzzer keeps the input as a crash and the replay counts a failure.
 */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: oracle failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* The fuzz input, consumed from the front; exhausted input reads as 0. */
struct fuzz_in {
	const uint8_t	*p;
	size_t		 n;
};

static inline unsigned
fuzz_u8(struct fuzz_in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

/* The next k (at most 8) bytes as a little-endian number. */
static inline uint64_t
fuzz_uint(struct fuzz_in *in, unsigned k)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < k && i < 8; i++)
		v |= (uint64_t)fuzz_u8(in) << (8 * i);
	return v;
}

/* What is left of the input as a NUL-terminated string (cut at a NUL). */
static inline char *
fuzz_cstr(const struct fuzz_in *in)
{
	char *s;
	size_t i;

	if ((s = malloc(in->n + 1)) == NULL)
		abort();
	for (i = 0; i < in->n; i++)
		s[i] = (char)in->p[i];
	s[in->n] = '\0';
	return s;
}

#endif
