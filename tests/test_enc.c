/* test_enc.c: unit tests of the payload encodings (src/enc.c). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enc.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const enum encoding all_encs[] = {
	ENC_RAW, ENC_TEXT, ENC_HEX, ENC_BASE64
};

/* A case of decoding: input (len 0 means strlen), and what it gives. */
struct accept {
	const char	*in;
	size_t		 inlen;
	const char	*out;
	size_t		 outlen;
};

/* A rejected input: the error phrase and offset it must report. */
struct reject {
	const char	*in;
	size_t		 inlen;
	const char	*what;
	size_t		 offset;
};

/* An exact encoding: bytes in, text out. */
struct exact {
	enum encoding	 enc;
	const char	*in;
	size_t		 inlen;
	const char	*out;
};

/* Returns a buffer of exactly n bytes (ASan and valgrind see overruns). */
static void *
xmalloc(size_t n)
{
	void *p;

	p = malloc(n);
	assert_true(n == 0 || p != NULL);
	return p;
}

/*
 * Decodes len bytes of in through heap buffers sized exactly, so that a
 * read past the input or a write past enc_decoded_max() is caught.
 * Returns enc_decode()'s result; the bytes go to res (len bytes at least).
 */
static long
decode(enum encoding e, const void *in, size_t len, unsigned char *res,
    struct enc_error *err)
{
	char *cin;
	unsigned char *out;
	size_t max;
	long n;

	max = enc_decoded_max(e, len);
	assert_true(max <= len);
	cin = xmalloc(len);
	if (len > 0)
		memcpy(cin, in, len);
	out = xmalloc(max);
	n = enc_decode(e, cin, len, out, err);
	assert_true(n >= -1);
	if (n > 0) {
		assert_true((size_t)n <= max);
		memcpy(res, out, (size_t)n);
	}
	free(out);
	free(cin);
	return n;
}

/*
 * Encodes through heap buffers sized exactly by enc_encoded_max().
 * Returns the encoded size; the text goes to res.
 */
static size_t
encode(enum encoding e, const unsigned char *in, size_t len, char *res)
{
	unsigned char *cin;
	char *out;
	size_t max, n;

	max = enc_encoded_max(e, len);
	cin = xmalloc(len);
	if (len > 0)
		memcpy(cin, in, len);
	out = xmalloc(max);
	n = enc_encode(e, cin, len, out);
	assert_true(n <= max);
	if (n > 0)
		memcpy(res, out, n);
	free(out);
	free(cin);
	return n;
}

/* Asserts that len bytes survive encoding then decoding under e. */
static void
round_trip(enum encoding e, const unsigned char *buf, size_t len)
{
	char *text;
	unsigned char *back;
	struct enc_error err = { NULL, 0 };
	size_t n;
	long m;

	text = xmalloc(enc_encoded_max(e, len) + 1);
	back = xmalloc(enc_encoded_max(e, len) + 1);
	n = encode(e, buf, len, text);
	m = decode(e, text, n, back, &err);
	if (m < 0)
		fail_msg("%s: round trip of %zu bytes: %s at %zu", enc_name(e),
		    len, err.what, err.offset);
	assert_int_equal(m, len);
	if (len > 0)
		assert_memory_equal(back, buf, len);
	free(back);
	free(text);
}

static void
check_accepts(enum encoding e, const struct accept *t, size_t nt)
{
	struct enc_error err = { NULL, 0 };
	unsigned char res[256];
	size_t i, inlen, outlen;
	long n;

	for (i = 0; i < nt; i++) {
		inlen = t[i].inlen ? t[i].inlen : strlen(t[i].in);
		outlen = t[i].outlen ? t[i].outlen : strlen(t[i].out);
		assert_true(inlen <= sizeof(res));
		n = decode(e, t[i].in, inlen, res, &err);
		if (n < 0)
			fail_msg("%s: case %zu rejected: %s at %zu",
			    enc_name(e), i, err.what, err.offset);
		if ((size_t)n != outlen)
			fail_msg("%s: case %zu: %ld bytes, not %zu",
			    enc_name(e), i, n, outlen);
		if (outlen > 0)
			assert_memory_equal(res, t[i].out, outlen);
	}
}

/* Asserts that a phrase is lowercase, non-empty, without a full stop. */
static void
check_phrase(const char *what)
{
	size_t i;

	assert_non_null(what);
	assert_true(what[0] != '\0');
	for (i = 0; what[i] != '\0'; i++)
		assert_false(isupper((unsigned char)what[i]));
	assert_true(what[i - 1] != '.');
}

static void
check_rejects(enum encoding e, const struct reject *t, size_t nt)
{
	struct enc_error err;
	unsigned char res[256];
	size_t i, inlen;
	long n;

	for (i = 0; i < nt; i++) {
		inlen = t[i].inlen ? t[i].inlen : strlen(t[i].in);
		err.what = NULL;
		err.offset = 12345;
		n = decode(e, t[i].in, inlen, res, &err);
		if (n != -1)
			fail_msg("%s: case %zu accepted (%ld)", enc_name(e), i,
			    n);
		check_phrase(err.what);
		if (strcmp(err.what, t[i].what) != 0 ||
		    err.offset != t[i].offset)
			fail_msg("%s: case %zu: '%s' at %zu, not '%s' at %zu",
			    enc_name(e), i, err.what, err.offset, t[i].what,
			    t[i].offset);
	}
}

static void
check_exact(const struct exact *t, size_t nt)
{
	char res[1024];
	size_t i, inlen, n;

	for (i = 0; i < nt; i++) {
		inlen = t[i].inlen ? t[i].inlen : strlen(t[i].in);
		n = encode(t[i].enc, (const unsigned char *)t[i].in, inlen,
		    res);
		if (n != strlen(t[i].out) || memcmp(res, t[i].out, n) != 0)
			fail_msg("%s: case %zu: got '%.*s', not '%s'",
			    enc_name(t[i].enc), i, (int)n, res, t[i].out);
	}
}

/* xorshift64*: a fixed-seed generator, the same sequence everywhere. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static void
test_names(void **state)
{
	static const char *const bad[] = {
		"", "RAW", "Raw", "Text", "HEX", "Base64", "b64", "base",
		"base64 ", " hex", "hex\n", "raw0", "utf8"
	};
	enum encoding e;
	size_t i;

	(void)state;
	assert_int_equal(enc_from_name("raw", &e), 0);
	assert_int_equal(e, ENC_RAW);
	assert_int_equal(enc_from_name("text", &e), 0);
	assert_int_equal(e, ENC_TEXT);
	assert_int_equal(enc_from_name("hex", &e), 0);
	assert_int_equal(e, ENC_HEX);
	assert_int_equal(enc_from_name("base64", &e), 0);
	assert_int_equal(e, ENC_BASE64);
	for (i = 0; i < NELEM(bad); i++) {
		e = ENC_HEX;
		assert_int_equal(enc_from_name(bad[i], &e), -1);
		assert_int_equal(e, ENC_HEX);
	}
	assert_int_equal(enc_from_name(NULL, &e), -1);
	assert_string_equal(enc_name(ENC_RAW), "raw");
	assert_string_equal(enc_name(ENC_TEXT), "text");
	assert_string_equal(enc_name(ENC_HEX), "hex");
	assert_string_equal(enc_name(ENC_BASE64), "base64");
	assert_null(enc_name((enum encoding)4));
}

static void
test_bounds(void **state)
{
	size_t len, i;

	(void)state;
	assert_int_equal(enc_decoded_max(ENC_RAW, 10), 10);
	assert_int_equal(enc_decoded_max(ENC_TEXT, 10), 10);
	assert_int_equal(enc_decoded_max(ENC_HEX, 10), 5);
	assert_int_equal(enc_decoded_max(ENC_HEX, 11), 5);
	assert_int_equal(enc_decoded_max(ENC_BASE64, 3), 0);
	assert_int_equal(enc_decoded_max(ENC_BASE64, 7), 3);
	assert_int_equal(enc_decoded_max(ENC_BASE64, 8), 6);

	assert_int_equal(enc_encoded_max(ENC_RAW, 5), 5);
	assert_int_equal(enc_encoded_max(ENC_TEXT, 5), 20);
	assert_int_equal(enc_encoded_max(ENC_HEX, 5), 10);
	assert_int_equal(enc_encoded_max(ENC_BASE64, 0), 0);
	assert_int_equal(enc_encoded_max(ENC_BASE64, 1), 4);
	assert_int_equal(enc_encoded_max(ENC_BASE64, 3), 4);
	assert_int_equal(enc_encoded_max(ENC_BASE64, 4), 8);
	assert_int_equal(enc_encoded_max(ENC_BASE64, 65507), 87344);

	/* Bounds that do not fit in a size_t saturate. */
	assert_int_equal(enc_encoded_max(ENC_RAW, SIZE_MAX), SIZE_MAX);
	assert_int_equal(enc_encoded_max(ENC_TEXT, SIZE_MAX / 4),
	    SIZE_MAX / 4 * 4);
	assert_int_equal(enc_encoded_max(ENC_TEXT, SIZE_MAX / 4 + 1),
	    SIZE_MAX);
	assert_int_equal(enc_encoded_max(ENC_TEXT, SIZE_MAX), SIZE_MAX);
	assert_int_equal(enc_encoded_max(ENC_HEX, SIZE_MAX / 2),
	    SIZE_MAX / 2 * 2);
	assert_int_equal(enc_encoded_max(ENC_HEX, SIZE_MAX / 2 + 1),
	    SIZE_MAX);
	assert_int_equal(enc_encoded_max(ENC_BASE64, SIZE_MAX), SIZE_MAX);
	assert_int_equal(enc_encoded_max(ENC_BASE64, SIZE_MAX / 4 * 3),
	    SIZE_MAX / 4 * 4);
	assert_int_equal(enc_encoded_max(ENC_BASE64, SIZE_MAX / 4 * 3 + 1),
	    SIZE_MAX);

	for (i = 0; i < NELEM(all_encs); i++) {
		assert_true(enc_decoded_max(all_encs[i], SIZE_MAX) <= SIZE_MAX);
		for (len = 0; len < 1000; len++) {
			assert_true(enc_decoded_max(all_encs[i], len) <= len);
			assert_true(enc_encoded_max(all_encs[i], len) >= len);
		}
	}
}

static void
test_all_bytes(void **state)
{
	unsigned char buf[256];
	size_t i, c;

	(void)state;
	for (c = 0; c < 256; c++)
		buf[c] = (unsigned char)c;
	for (i = 0; i < NELEM(all_encs); i++) {
		round_trip(all_encs[i], buf, sizeof(buf));
		for (c = 0; c < 256; c++)
			round_trip(all_encs[i], buf + c, 1);
		for (c = 0; c < 256; c++)
			round_trip(all_encs[i], buf + 255 - c, c + 1);
	}
}

static void
test_random(void **state)
{
	unsigned char buf[301];
	uint64_t s = UINT64_C(0x9e3779b97f4a7c15);
	size_t i, len, k, j;

	(void)state;
	for (len = 0; len <= 300; len++)
		for (k = 0; k < 4; k++) {
			for (j = 0; j < len; j++)
				buf[j] = (unsigned char)(rnd(&s) >> 56);
			for (i = 0; i < NELEM(all_encs); i++)
				round_trip(all_encs[i], buf, len);
		}
}

/* Reference encoders written another way, as oracles for all bytes. */
static size_t
ref_text(const unsigned char *in, size_t len, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (in[i] == '\\')
			o += (size_t)sprintf(out + o, "\\\\");
		else if (in[i] == '\n')
			o += (size_t)sprintf(out + o, "\\n");
		else if (in[i] == '\r')
			o += (size_t)sprintf(out + o, "\\r");
		else if (in[i] == '\t')
			o += (size_t)sprintf(out + o, "\\t");
		else if (in[i] == 0)
			o += (size_t)sprintf(out + o, "\\0");
		else if (in[i] >= ' ' && in[i] <= '~')
			out[o++] = (char)in[i];
		else
			o += (size_t)sprintf(out + o, "\\x%02x", in[i]);
	}
	return o;
}

static size_t
ref_b64(const unsigned char *in, size_t len, char *out)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t bit, nbits = len * 8, o = 0;
	unsigned int v, b;

	for (bit = 0; bit < nbits; bit += 6) {
		v = 0;
		for (b = 0; b < 6; b++) {
			v <<= 1;
			if (bit + b < nbits &&
			    (in[(bit + b) / 8] >> (7 - (bit + b) % 8) & 1))
				v |= 1;
		}
		out[o++] = al[v];
	}
	while (o % 4 != 0)
		out[o++] = '=';
	return o;
}

static void
test_encode_oracle(void **state)
{
	unsigned char buf[256];
	char got[1024], want[1025];
	size_t c, n, w, len;

	(void)state;
	for (c = 0; c < 256; c++)
		buf[c] = (unsigned char)c;
	for (len = 0; len <= 256; len++) {
		n = encode(ENC_TEXT, buf + 256 - len, len, got);
		w = ref_text(buf + 256 - len, len, want);
		assert_int_equal(n, w);
		assert_true(n == 0 || memcmp(got, want, n) == 0);

		n = encode(ENC_HEX, buf + 256 - len, len, got);
		for (w = 0, c = 256 - len; c < 256; c++)
			w += (size_t)sprintf(want + w, "%02x", buf[c]);
		assert_int_equal(n, w);
		assert_true(n == 0 || memcmp(got, want, n) == 0);

		n = encode(ENC_BASE64, buf + 256 - len, len, got);
		w = ref_b64(buf + 256 - len, len, want);
		assert_int_equal(n, w);
		assert_true(n == 0 || memcmp(got, want, n) == 0);

		n = encode(ENC_RAW, buf + 256 - len, len, got);
		assert_int_equal(n, len);
		assert_true(n == 0 || memcmp(got, buf + 256 - len, n) == 0);
	}
}

static void
test_exact(void **state)
{
	static const struct exact t[] = {
		{ ENC_TEXT, "", 0, "" },
		{ ENC_TEXT, "a\\b\n\x01\xff", 0, "a\\\\b\\n\\x01\\xff" },
		{ ENC_TEXT, "\r\t\0 ~\x7f\x1f", 7, "\\r\\t\\0 ~\\x7f\\x1f" },
		{ ENC_TEXT, "\0" "1", 2, "\\01" },
		{ ENC_TEXT, "\x80\xa0\xfe", 0, "\\x80\\xa0\\xfe" },
		{ ENC_TEXT, "say \"hi\" 'x'", 0, "say \"hi\" 'x'" },
		{ ENC_TEXT, "\x1b[2J", 0, "\\x1b[2J" },
		{ ENC_HEX, "", 0, "" },
		{ ENC_HEX, "\x00\x7f\x80\xff", 4, "007f80ff" },
		{ ENC_HEX, "hello", 0, "68656c6c6f" },
		{ ENC_HEX, "\xde\xad\xbe\xef", 0, "deadbeef" },
		{ ENC_BASE64, "hello", 0, "aGVsbG8=" },
		{ ENC_BASE64, "\xff\xff\xff", 0, "////" },
		{ ENC_BASE64, "\xfb\xff\xbf", 0, "+/+/" },
		{ ENC_BASE64, "\0", 1, "AA==" },
		{ ENC_RAW, "a\xff\\\n", 0, "a\xff\\\n" },
	};

	(void)state;
	check_exact(t, NELEM(t));
}

/* RFC 4648 section 10. */
static const struct accept rfc4648[] = {
	{ "", 0, "", 0 },
	{ "Zg==", 0, "f", 0 },
	{ "Zm8=", 0, "fo", 0 },
	{ "Zm9v", 0, "foo", 0 },
	{ "Zm9vYg==", 0, "foob", 0 },
	{ "Zm9vYmE=", 0, "fooba", 0 },
	{ "Zm9vYmFy", 0, "foobar", 0 },
};

static void
test_rfc4648(void **state)
{
	struct exact t[NELEM(rfc4648)];
	size_t i;

	(void)state;
	check_accepts(ENC_BASE64, rfc4648, NELEM(rfc4648));
	for (i = 0; i < NELEM(rfc4648); i++) {
		t[i].enc = ENC_BASE64;
		t[i].in = rfc4648[i].out;
		t[i].inlen = 0;
		t[i].out = rfc4648[i].in;
	}
	check_exact(t, NELEM(t));
}

static void
test_raw_decode(void **state)
{
	static const struct accept t[] = {
		{ "", 0, "", 0 },
		{ "\\q", 0, "\\q", 0 },
		{ "\0\xff\r\n", 4, "\0\xff\r\n", 4 },
		{ "Zg", 0, "Zg", 0 },
	};

	(void)state;
	check_accepts(ENC_RAW, t, NELEM(t));
}

static void
test_text_accept(void **state)
{
	static const struct accept t[] = {
		{ "", 0, "", 0 },
		{ "hello", 0, "hello", 0 },
		{ "\\x41", 0, "A", 0 },
		{ "\\x4a\\x4A\\xfF", 0, "JJ\xff", 0 },
		{ "\\x00", 0, "\0", 1 },
		{ "\\\\", 0, "\\", 0 },
		{ "\\n\\r\\t\\0", 0, "\n\r\t\0", 4 },
		{ "\\01", 0, "\0" "1", 2 },
		{ "\\x411", 0, "A1", 0 },
		{ "x\\\\n", 0, "x\\n", 0 },
		{ "a\rb\n", 0, "a\rb\n", 0 },
		{ "\xff\x80\x01", 0, "\xff\x80\x01", 0 },
		{ "nul\0in", 6, "nul\0in", 6 },
		{ "a\\\\b\\n\\x01\\xff", 0, "a\\b\n\x01\xff", 0 },
		{ "\"'x", 0, "\"'x", 0 },
	};

	(void)state;
	check_accepts(ENC_TEXT, t, NELEM(t));
}

static void
test_text_reject(void **state)
{
	static const struct reject t[] = {
		{ "\\q", 0, "unknown escape", 0 },
		{ "\\X41", 0, "unknown escape", 0 },
		{ "\\N", 0, "unknown escape", 0 },
		{ "\\ ", 0, "unknown escape", 0 },
		{ "\\\xff", 0, "unknown escape", 0 },
		{ "ok\\n\\e", 0, "unknown escape", 4 },
		{ "\\x4", 0, "incomplete \\x escape", 0 },
		{ "\\x", 0, "incomplete \\x escape", 0 },
		{ "ab\\x4g", 0, "invalid hex digit in \\x escape", 2 },
		{ "\\xg0", 0, "invalid hex digit in \\x escape", 0 },
		{ "\\x 1", 0, "invalid hex digit in \\x escape", 0 },
		{ "\\x\xff" "0", 0, "invalid hex digit in \\x escape", 0 },
		{ "\\x4\n", 0, "invalid hex digit in \\x escape", 0 },
		{ "\\", 0, "backslash at end of input", 0 },
		{ "ab\\", 0, "backslash at end of input", 2 },
		{ "\\\\\\", 0, "backslash at end of input", 2 },
	};

	(void)state;
	check_rejects(ENC_TEXT, t, NELEM(t));
}

/* Every byte but the backslash stands for itself; only six escapes. */
static void
test_text_every_byte(void **state)
{
	struct enc_error err;
	unsigned char in[2], out[2];
	unsigned int c;
	long n;

	(void)state;
	for (c = 0; c < 256; c++) {
		in[0] = (unsigned char)c;
		n = decode(ENC_TEXT, in, 1, out, &err);
		if (c == '\\') {
			assert_int_equal(n, -1);
			continue;
		}
		assert_int_equal(n, 1);
		assert_int_equal(out[0], c);
	}
	for (c = 0; c < 256; c++) {
		in[0] = '\\';
		in[1] = (unsigned char)c;
		n = decode(ENC_TEXT, in, 2, out, &err);
		if (strchr("\\nrt0", (int)c) != NULL && c != 0) {
			assert_int_equal(n, 1);
			continue;
		}
		assert_int_equal(n, -1);
		assert_int_equal(err.offset, 0);
		assert_string_equal(err.what, c == 'x' ?
		    "incomplete \\x escape" : "unknown escape");
	}
}

static void
test_hex_accept(void **state)
{
	static const struct accept t[] = {
		{ "", 0, "", 0 },
		{ " \n", 0, "", 0 },
		{ "dead", 0, "\xde\xad", 0 },
		{ "DEAD", 0, "\xde\xad", 0 },
		{ "DeAd", 0, "\xde\xad", 0 },
		{ "de ad", 0, "\xde\xad", 0 },
		{ "DEAD\n", 0, "\xde\xad", 0 },
		{ " \t\n\v\f\rde\r\nad  ", 0, "\xde\xad", 0 },
		{ "00ff80", 0, "\0\xff\x80", 3 },
		{ "0123456789abcdefABCDEF", 0,
		    "\x01\x23\x45\x67\x89\xab\xcd\xef\xab\xcd\xef", 0 },
		{ "7f 80\tff", 0, "\x7f\x80\xff", 0 },
	};

	(void)state;
	check_accepts(ENC_HEX, t, NELEM(t));
}

static void
test_hex_reject(void **state)
{
	static const struct reject t[] = {
		{ "abc", 0, "odd number of hex digits", 2 },
		{ "a", 0, "odd number of hex digits", 0 },
		{ "abc\n", 0, "odd number of hex digits", 2 },
		{ "de a", 0, "odd number of hex digits", 3 },
		{ "d \n", 0, "odd number of hex digits", 0 },
		{ "zz", 0, "invalid hex digit", 0 },
		{ "0g", 0, "invalid hex digit", 1 },
		{ "\x80\x80", 0, "invalid hex digit", 0 },
		{ "a\xff", 0, "invalid hex digit", 1 },
		{ "0x41", 0, "invalid hex digit", 1 },
		{ "de-ad", 0, "invalid hex digit", 2 },
		{ "de\0ad", 5, "invalid hex digit", 2 },
		{ "de:", 0, "invalid hex digit", 2 },
		{ "d e", 0, "white space inside a hex pair", 1 },
		{ "dea d", 0, "white space inside a hex pair", 3 },
		{ "d\tz", 0, "white space inside a hex pair", 1 },
	};
	struct enc_error err;
	unsigned char in[2], out[1];
	unsigned int c;
	long n;

	(void)state;
	check_rejects(ENC_HEX, t, NELEM(t));
	/* Bytes 0x80 and up, in either place of a pair. */
	for (c = 0x80; c < 0x100; c++) {
		in[0] = (unsigned char)c;
		in[1] = 'a';
		assert_int_equal(decode(ENC_HEX, in, 2, out, &err), -1);
		assert_int_equal(err.offset, 0);
		assert_string_equal(err.what, "invalid hex digit");
		in[0] = 'a';
		in[1] = (unsigned char)c;
		assert_int_equal(decode(ENC_HEX, in, 2, out, &err), -1);
		assert_int_equal(err.offset, 1);
		assert_string_equal(err.what, "invalid hex digit");
	}
	/* Exactly the 22 hex digits pair with '0'. */
	for (c = 0, n = 0; c < 0x100; c++) {
		in[0] = (unsigned char)c;
		in[1] = '0';
		if (decode(ENC_HEX, in, 2, out, &err) == 1)
			n++;
	}
	assert_int_equal(n, 22);
}

static void
test_b64_accept(void **state)
{
	static const struct accept t[] = {
		{ " Zm9v\nYmFy\n", 0, "foobar", 0 },
		{ "Zm9v Yg==\r\n", 0, "foob", 0 },
		{ "Zg = =", 0, "f", 0 },
		{ "Zg=\n=", 0, "f", 0 },
		{ "Zg==\n\n", 0, "f", 0 },
		{ "Z m 9 v", 0, "foo", 0 },
		{ "\t\v\f\r\n ", 0, "", 0 },
		{ "//8=", 0, "\xff\xff", 0 },
		{ "+/+/", 0, "\xfb\xff\xbf", 0 },
		{ "AAAA", 0, "\0\0\0", 3 },
		{ "aGVsbG8=", 0, "hello", 0 },
		{ "Zm8=", 0, "fo", 0 },
		{ "QQ==", 0, "A", 0 },
	};

	(void)state;
	check_accepts(ENC_BASE64, t, NELEM(t));
}

static void
test_b64_reject(void **state)
{
	static const struct reject t[] = {
		{ "Zg", 0, "missing padding", 2 },
		{ "Zm9", 0, "missing padding", 3 },
		{ "Zg=", 0, "missing padding", 3 },
		{ "Zz=", 0, "missing padding", 3 },
		{ "Zm9vYg\n", 0, "missing padding", 7 },
		{ "a", 0, "incomplete base64 group", 1 },
		{ "Zm9vY", 0, "incomplete base64 group", 5 },
		{ "Z===", 0, "misplaced padding", 1 },
		{ "=", 0, "misplaced padding", 0 },
		{ "====", 0, "misplaced padding", 0 },
		{ "Zm9v=", 0, "misplaced padding", 4 },
		{ "Zm9v====", 0, "misplaced padding", 4 },
		{ "Zg==Zg==", 0, "data after padding", 4 },
		{ "Zg=a", 0, "data after padding", 3 },
		{ "Zm8=Zm8=", 0, "data after padding", 4 },
		{ "Zg===", 0, "too much padding", 4 },
		{ "Zm8==", 0, "too much padding", 4 },
		{ "Zg== =", 0, "too much padding", 5 },
		{ "SB==", 0, "non-zero padding bits", 1 },
		{ "Zh==", 0, "non-zero padding bits", 1 },
		{ "Zm9=", 0, "non-zero padding bits", 2 },
		{ "Zm 9\n=", 0, "non-zero padding bits", 3 },
		{ "Zg-_", 0, "invalid base64 character", 2 },
		{ "-_8=", 0, "invalid base64 character", 0 },
		{ "_w==", 0, "invalid base64 character", 0 },
		{ "Zg==\x80", 0, "invalid base64 character", 4 },
		{ "Zm9v\xff", 0, "invalid base64 character", 4 },
		{ "Zg==.", 0, "invalid base64 character", 4 },
		{ "Zm9v\0", 5, "invalid base64 character", 4 },
		{ "Zg=\0=", 5, "invalid base64 character", 3 },
	};
	struct enc_error err;
	unsigned char in[4], out[3];
	unsigned int c, ok;
	long n;

	(void)state;
	check_rejects(ENC_BASE64, t, NELEM(t));
	/* Exactly the 64 alphabet characters start a group. */
	for (c = 0, ok = 0; c < 0x100; c++) {
		in[0] = (unsigned char)c;
		in[1] = in[2] = in[3] = 'A';
		n = decode(ENC_BASE64, in, 4, out, &err);
		if (n == 3) {
			ok++;
			continue;
		}
		assert_int_equal(n, -1);
		if (isspace((int)c)) {
			assert_string_equal(err.what, "missing padding");
		} else if (c == '=') {
			assert_string_equal(err.what, "misplaced padding");
			assert_int_equal(err.offset, 0);
		} else {
			assert_string_equal(err.what,
			    "invalid base64 character");
			assert_int_equal(err.offset, 0);
		}
	}
	assert_int_equal(ok, 64);
}

/*
 * Decodes random strings over each encoding's alphabet and a few strays:
 * every success stays within the bound, and without white space the
 * canonical encodings give back their input (so no two inputs decode alike
 * by accident, e.g. through non-zero pad bits).
 */
static void
test_decode_random(void **state)
{
	static const char *const alpha[] = {
		"ab\\\\\\xx0f9nrt\x80 ",
		"0123456789abcdefABCDEF \ng",
		("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789+/==== \n-"),
	};
	static const enum encoding encs[] = { ENC_TEXT, ENC_HEX, ENC_BASE64 };
	char in[40], re[161], lower[40];
	unsigned char out[40], back[40];
	struct enc_error err;
	uint64_t s = 42;
	size_t i, len, j, al, n;
	long m, m2;
	int iter, ok = 0, spaced;

	(void)state;
	for (i = 0; i < NELEM(encs); i++) {
		al = strlen(alpha[i]);
		for (iter = 0; iter < 20000; iter++) {
			len = (size_t)(rnd(&s) % sizeof(in));
			spaced = 0;
			for (j = 0; j < len; j++) {
				in[j] = alpha[i][rnd(&s) % al];
				lower[j] = (char)tolower((unsigned char)in[j]);
				spaced |= isspace((unsigned char)in[j]);
			}
			m = decode(encs[i], in, len, out, &err);
			if (m < 0) {
				check_phrase(err.what);
				assert_true(err.offset <= len);
				continue;
			}
			ok++;
			n = encode(encs[i], out, (size_t)m, re);
			m2 = decode(encs[i], re, n, back, &err);
			assert_int_equal(m2, m);
			assert_true(m == 0 ||
			    memcmp(out, back, (size_t)m) == 0);
			if (spaced || encs[i] == ENC_TEXT)
				continue;
			assert_int_equal(n, len);
			assert_true(n == 0 || memcmp(re, encs[i] == ENC_HEX ?
			    lower : in, n) == 0);
		}
	}
	/* Make sure the generator reaches the accepting paths too. */
	assert_true(ok > 3000);
}

static void
test_in_place(void **state)
{
	unsigned char buf[200], *io;
	struct enc_error err;
	uint64_t s = 7;
	size_t i, j, n;
	long m;

	(void)state;
	for (j = 0; j < sizeof(buf); j++)
		buf[j] = (unsigned char)(rnd(&s) >> 56);
	for (i = 0; i < NELEM(all_encs); i++) {
		n = enc_encoded_max(all_encs[i], sizeof(buf));
		io = xmalloc(n);
		n = enc_encode(all_encs[i], buf, sizeof(buf), (char *)io);
		m = enc_decode(all_encs[i], (const char *)io, n, io, &err);
		assert_int_equal(m, sizeof(buf));
		assert_memory_equal(io, buf, sizeof(buf));
		free(io);
	}
}

static void
test_odd_calls(void **state)
{
	static const char junk[] = "zz";
	unsigned char out[4];
	struct enc_error err;
	size_t i;

	(void)state;
	/* Empty input needs no buffers at all. */
	for (i = 0; i < NELEM(all_encs); i++) {
		assert_int_equal(enc_decode(all_encs[i], NULL, 0, NULL, &err),
		    0);
		assert_int_equal(enc_encode(all_encs[i], NULL, 0, NULL), 0);
	}
	/* A NULL error pointer is allowed. */
	assert_int_equal(enc_decode(ENC_HEX, junk, 2, out, NULL), -1);
	/* An unknown encoding decodes nothing and encodes nothing. */
	assert_int_equal(enc_decode((enum encoding)4, junk, 2, out, &err),
	    -1);
	assert_string_equal(err.what, "unknown encoding");
	assert_int_equal(enc_encode((enum encoding)4, out, 2, NULL), 0);
	assert_int_equal(enc_encoded_max((enum encoding)4, 2), 0);
	assert_int_equal(enc_decoded_max((enum encoding)4, 2), 0);
	/* A result that would not fit in a long is refused before reading. */
	assert_int_equal(enc_decode(ENC_RAW, junk, (size_t)LONG_MAX + 1, out,
	    &err), -1);
	assert_string_equal(err.what, "input too large");
	assert_int_equal(err.offset, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_all_bytes),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_encode_oracle),
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_rfc4648),
		cmocka_unit_test(test_raw_decode),
		cmocka_unit_test(test_text_accept),
		cmocka_unit_test(test_text_reject),
		cmocka_unit_test(test_text_every_byte),
		cmocka_unit_test(test_hex_accept),
		cmocka_unit_test(test_hex_reject),
		cmocka_unit_test(test_b64_accept),
		cmocka_unit_test(test_b64_reject),
		cmocka_unit_test(test_decode_random),
		cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_odd_calls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
