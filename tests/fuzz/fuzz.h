/* fuzz.h: what the fuzz harnesses and the replay driver share. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * An allocation of exactly n bytes (one when n is 0), so that ASan sees
 * a read or write past it; with p, a copy of its n bytes.
 */
static inline void *
fuzz_dup(const void *p, size_t n)
{
	void *q;

	if ((q = malloc(n ? n : 1)) == NULL)
		abort();
	if (p != NULL && n > 0)
		memcpy(q, p, n);
	return q;
}

/*
 * A record limit from the top two bits of b, mostly small, where records
 * run into it: 0 to 63, to 4095, to 65535; or (*large set) a number of
 * three bytes, which the harness widens or bounds as it needs.
 */
static inline size_t
fuzz_limit(struct fuzz_in *in, unsigned b, int *large)
{
	*large = 0;
	switch (b >> 6 & 3) {
	case 0:
		return b & 0x3f;
	case 1:
		return (size_t)fuzz_uint(in, 1) << 4 | (b & 0xf);
	case 2:
		return (size_t)fuzz_uint(in, 2);
	default:
		*large = 1;
		return (size_t)fuzz_uint(in, 3);
	}
}

/* The next number of a xorshift generator seeded from the input. */
static inline uint32_t
fuzz_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

#endif
