/* fuzz_split.c: libFuzzer harness for frame_split() over bytes in memory. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"
#include "oracle.h"

#define NMODES		6	/* IN_LINE .. IN_JSON */

/* Largest number of bytes that arrive at once, by class. */
static const size_t piece_max[] = { 1, 2, 3, 7, 16, 64, 512, 65536 };

/* The input and how it arrives: as a reader would see it, in pieces. */
struct setup {
	struct in_frame	 f;
	size_t		 maxrec;
	size_t		 pmax;
	uint32_t	 rng;
	int		 recheck;	/* search again from 0 as well */
	unsigned char	*in;
	size_t		 len;
};

/*
 * One call over in[pos..end).  The byte after end, which the splitter
 * must not look at, is made a delimiter meanwhile, so that a search past
 * the end finds a record that is not there.
 */
static int
split_at(const struct setup *su, unsigned long long nrec, size_t pos,
    size_t end, size_t *from, struct frame_cut *cut)
{
	unsigned char save = 0;
	int rc;

	if (end < su->len) {
		save = su->in[end];
		su->in[end] = su->f.mode == IN_LINE ? '\n' : '\0';
	}
	memset(cut, 0x5a, sizeof(*cut));
	rc = frame_split(&su->f, su->maxrec, nrec == 0, su->in + pos,
	    end - pos, end == su->len, from, cut);
	if (end < su->len)
		su->in[end] = save;
	return rc;
}

/*
 * Splits the input as a reader does, the bytes arriving in pieces, and
 * compares every answer with the reference over the whole input.
 */
static void
drive(struct setup *su)
{
	struct frame_cut cut, again;
	unsigned long long nrec = 0, steps = 0;
	size_t pos = 0, end = 0, from = 0, from2, ref = 0, off = 0, n = 0;
	int rc, want;

	for (;;) {
		FUZZ_CHECK(++steps < 4 * (unsigned long long)su->len + 64);
		rc = split_at(su, nrec, pos, end, &from, &cut);
		FUZZ_CHECK(from <= end - pos);
		if (su->recheck && rc != FRAME_MORE) {
			/* What was skipped holds no delimiter: same answer. */
			from2 = 0;
			FUZZ_CHECK(split_at(su, nrec, pos, end, &from2,
			    &again) == rc);
			FUZZ_CHECK(rc != FRAME_RECORD ||
			    memcmp(&cut, &again, sizeof(cut)) == 0);
		}
		if (rc == FRAME_MORE) {
			/* Only more input can decide: so there is more. */
			FUZZ_CHECK(end < su->len);
			end += 1 + fuzz_rand(&su->rng) % su->pmax;
			if (end > su->len)
				end = su->len;
			continue;
		}
		want = oracle_split(&su->f, su->maxrec, su->in, su->len, &ref,
		    nrec, &off, &n);
		FUZZ_CHECK(rc == want);
		if (rc != FRAME_RECORD)
			break;
		FUZZ_CHECK(pos + cut.skip == off && cut.len == n);
		FUZZ_CHECK(cut.skip + cut.len <= cut.used);
		FUZZ_CHECK(cut.used <= end - pos && pos + cut.used == ref);
		/* Nothing is handed out for nothing, but the empty whole. */
		FUZZ_CHECK(cut.used > 0 || (su->f.mode == IN_WHOLE &&
		    su->len == 0));
		pos += cut.used;
		nrec++;
		from = 0;
	}
	/* The end and the errors are final, and they repeat. */
	if (rc == FRAME_END || rc == FRAME_ESHORT)
		FUZZ_CHECK(end == su->len);
	if (rc == FRAME_END)
		FUZZ_CHECK(pos == su->len);
	from2 = 0;
	FUZZ_CHECK(split_at(su, nrec, pos, su->len, &from2, &again) == rc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct setup su;
	unsigned b0, b1;
	int large;

	memset(&su, 0, sizeof(su));
	b0 = fuzz_u8(&in);
	b1 = fuzz_u8(&in);
	su.f.mode = (enum in_framing)(b0 % NMODES);
	su.pmax = piece_max[b0 >> 3 & 7];
	su.recheck = (int)(b0 >> 6 & 1);
	su.maxrec = fuzz_limit(&in, b1, &large);
	if (large)
		su.maxrec = su.maxrec << 8 | (size_t)fuzz_u8(&in);
	if (su.f.mode == IN_CHUNK) {
		if (su.maxrec == 0)
			su.maxrec = 1;
		su.f.chunk = 1 + (size_t)fuzz_uint(&in, 2) % su.maxrec;
	}
	su.rng = (uint32_t)fuzz_uint(&in, 2) << 8 | 0x9e3779b9u;
	/* A copy of exactly the input's size: a read past it is caught. */
	FUZZ_CHECK((su.in = malloc(in.n ? in.n : 1)) != NULL);
	if (in.n > 0)
		memcpy(su.in, in.p, in.n);
	su.len = in.n;
	drive(&su);
	free(su.in);
	return 0;
}
