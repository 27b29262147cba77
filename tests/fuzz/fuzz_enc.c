/* fuzz_enc.c: libFuzzer harness for the four encodings, with round trips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enc.h"
#include "fuzz.h"

#define NENC	4

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	    c == '\r';
}

/* Encoded text only uses the characters its encoding may produce. */
static void
check_charset(enum encoding e, const char *s, size_t n)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		switch (e) {
		case ENC_RAW:
			break;
		case ENC_TEXT:
			FUZZ_CHECK(c >= 0x20 && c < 0x7f);
			break;
		case ENC_HEX:
			FUZZ_CHECK((c >= '0' && c <= '9') ||
			    (c >= 'a' && c <= 'f'));
			break;
		case ENC_BASE64:
			FUZZ_CHECK((c >= 'A' && c <= 'Z') ||
			    (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '+' || c == '/' || c == '=');
			break;
		}
	}
}

/*
 * Encodes the n bytes at b, checks the bound and the alphabet, and decodes
 * the result back, which must give b again.  Returns the encoding, of
 * *elen bytes, for the caller to free.
 */
static char *
round_trip(enum encoding e, const unsigned char *b, size_t n, size_t *elen)
{
	size_t emax = enc_encoded_max(e, n);
	struct enc_error err;
	unsigned char *back;
	char *enc;
	long got;

	FUZZ_CHECK(emax >= n);
	enc = fuzz_dup(NULL, emax);
	*elen = enc_encode(e, b, n, enc);
	FUZZ_CHECK(*elen <= emax);
	check_charset(e, enc, *elen);
	FUZZ_CHECK(enc_decoded_max(e, *elen) >= n);
	back = fuzz_dup(NULL, enc_decoded_max(e, *elen));
	err.what = NULL;
	got = enc_decode(e, enc, *elen, back, &err);
	if (got < 0)
		fprintf(stderr, "decode of own encoding failed: %s at %zu\n",
		    err.what, err.offset);
	FUZZ_CHECK(got >= 0 && (size_t)got == n);
	FUZZ_CHECK(n == 0 || memcmp(back, b, n) == 0);
	free(back);
	return enc;
}

/* The canonical form of valid hex or base64: spaces gone, hex lowercase. */
static size_t
canonical(enum encoding e, const char *in, size_t len, char *out)
{
	size_t i, o = 0;
	char c;

	for (i = 0; i < len; i++) {
		c = in[i];
		if (is_space((unsigned char)c))
			continue;
		if (e == ENC_HEX && c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		out[o++] = c;
	}
	return o;
}

/* Decodes arbitrary input; what decodes must survive a round trip. */
static void
check_decode(enum encoding e, const char *in, size_t len)
{
	size_t dmax = enc_decoded_max(e, len), elen, clen;
	struct enc_error err, err2;
	unsigned char *out, *inplace;
	char *enc, *canon;
	long got, got2;

	FUZZ_CHECK(dmax <= len);
	out = fuzz_dup(NULL, dmax);
	err.what = NULL;
	err.offset = (size_t)-1;
	got = enc_decode(e, in, len, out, &err);
	FUZZ_CHECK(got >= -1);
	if (got == -1) {
		FUZZ_CHECK(err.what != NULL && err.what[0] != '\0');
		FUZZ_CHECK(err.offset <= len);
	} else
		FUZZ_CHECK((size_t)got <= dmax);
	/* The same input decoded in place gives the same answer. */
	inplace = fuzz_dup(NULL, len);
	if (len > 0)
		memcpy(inplace, in, len);
	err2.what = NULL;
	err2.offset = (size_t)-1;
	got2 = enc_decode(e, (const char *)inplace, len, inplace, &err2);
	FUZZ_CHECK(got2 == got);
	if (got >= 0)
		FUZZ_CHECK(got == 0 || memcmp(inplace, out, (size_t)got) == 0);
	else
		FUZZ_CHECK(err2.offset == err.offset &&
		    strcmp(err2.what, err.what) == 0);
	free(inplace);
	if (got < 0) {
		free(out);
		return;
	}
	enc = round_trip(e, out, (size_t)got, &elen);
	/* Hex and base64 have one spelling, white space and case aside. */
	if (e == ENC_HEX || e == ENC_BASE64) {
		canon = fuzz_dup(NULL, len);
		clen = canonical(e, in, len, canon);
		FUZZ_CHECK(clen == elen);
		FUZZ_CHECK(elen == 0 || memcmp(canon, enc, elen) == 0);
		free(canon);
	}
	if (e == ENC_RAW)
		FUZZ_CHECK(elen == len &&
		    (len == 0 || memcmp(enc, in, len) == 0));
	free(enc);
	free(out);
}

/* Checks the encoding names against their numbers. */
static void
check_name(const char *s)
{
	enum encoding e;
	const char *name;

	if (enc_from_name(s, &e) == 0) {
		FUZZ_CHECK((unsigned)e < NENC);
		FUZZ_CHECK((name = enc_name(e)) != NULL);
		FUZZ_CHECK(strcmp(name, s) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned sel = fuzz_u8(&in);
	enum encoding e = (enum encoding)(sel % NENC);
	size_t elen;
	char *copy, *enc;

	/* An exact-size copy: the harness's input may have slack after it. */
	copy = fuzz_dup(in.p, in.n);
	switch ((sel >> 2) % 3) {
	case 0:
		check_decode(e, copy, in.n);
		break;
	case 1:
		enc = round_trip(e, (const unsigned char *)copy, in.n, &elen);
		free(enc);
		break;
	default:
		free(copy);
		copy = fuzz_cstr(&in);
		check_name(copy);
		break;
	}
	free(copy);
	return 0;
}
