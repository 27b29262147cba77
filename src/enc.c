/* enc.c: the four payload encodings (raw, text, hex, base64), pure. */

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "enc.h"

/*
 * Decoding tables hold the value of a character plus one, so that the
 * entries left out of the initializers (zero) mean "not valid here".
 */
#define HEX_SPACE	0x20	/* ASCII white space between hex pairs */

static const unsigned char hex_val[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
	[' '] = HEX_SPACE, ['\t'] = HEX_SPACE, ['\n'] = HEX_SPACE,
	['\v'] = HEX_SPACE, ['\f'] = HEX_SPACE, ['\r'] = HEX_SPACE
};

#define B64_PAD		65	/* '=' */
#define B64_SPACE	66	/* ASCII white space, ignored */

static const unsigned char b64_val[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
	['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
	['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17,
	['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26,
	['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
	['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38,
	['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
	['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
	['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52,
	['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62,
	['+'] = 63, ['/'] = 64,
	['='] = B64_PAD,
	[' '] = B64_SPACE, ['\t'] = B64_SPACE, ['\n'] = B64_SPACE,
	['\v'] = B64_SPACE, ['\f'] = B64_SPACE, ['\r'] = B64_SPACE
};

static const char hex_digit[16] = "0123456789abcdef";
static const char b64_digit[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const char *const enc_names[] = {
	[ENC_RAW] = "raw",
	[ENC_TEXT] = "text",
	[ENC_HEX] = "hex",
	[ENC_BASE64] = "base64"
};

#define NENC	(sizeof(enc_names) / sizeof(enc_names[0]))

/* Returns -1 after storing what and offset in *err (which may be NULL). */
static long
fail(struct enc_error *err, const char *what, size_t offset)
{
	if (err != NULL) {
		err->what = what;
		err->offset = offset;
	}
	return -1;
}

/* Returns 0 with *e set when name is exactly an encoding's name, or -1. */
int
enc_from_name(const char *name, enum encoding *e)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < NENC; i++)
		if (strcmp(name, enc_names[i]) == 0) {
			*e = (enum encoding)i;
			return 0;
		}
	return -1;
}

/* Returns the name of e, or NULL when e is not an encoding. */
const char *
enc_name(enum encoding e)
{
	if ((size_t)e >= NENC)
		return NULL;
	return enc_names[e];
}

/*
 * Returns an upper bound of the decoded size of len input bytes: a byte
 * takes one character or more in text, two in hex, and base64 spends four
 * characters on three bytes.  Never more than len; 0 for an unknown
 * encoding.
 */
size_t
enc_decoded_max(enum encoding e, size_t len)
{
	switch (e) {
	case ENC_RAW:
	case ENC_TEXT:
		return len;
	case ENC_HEX:
		return len / 2;
	case ENC_BASE64:
		return len / 4 * 3;
	}
	return 0;
}

/*
 * Returns an upper bound of the encoded size of len bytes, or SIZE_MAX
 * when the bound does not fit in a size_t: no buffer can be that large, so
 * a caller comparing the bound with its buffer size still refuses the
 * input.  0 for an unknown encoding.
 */
size_t
enc_encoded_max(enum encoding e, size_t len)
{
	size_t groups;

	switch (e) {
	case ENC_RAW:
		return len;
	case ENC_TEXT:
		return len > SIZE_MAX / 4 ? SIZE_MAX : len * 4;
	case ENC_HEX:
		return len > SIZE_MAX / 2 ? SIZE_MAX : len * 2;
	case ENC_BASE64:
		groups = len / 3 + (len % 3 != 0);
		return groups > SIZE_MAX / 4 ? SIZE_MAX : groups * 4;
	}
	return 0;
}

/*
 * Decodes backslash escapes.  Returns the decoded size, or -1 with the
 * offset of the backslash that starts an invalid escape.
 */
static long
text_decode(const unsigned char *in, size_t len, unsigned char *out,
    struct enc_error *err)
{
	size_t i = 0, o = 0;
	unsigned int hi, lo;

	/*
	 * A plain loop: binary data written as text is escape-heavy, and
	 * there a memchr() per literal run costs more than it saves.
	 */
	while (i < len) {
		if (in[i] != '\\') {
			out[o++] = in[i++];
			continue;
		}
		if (len - i < 2)
			return fail(err, "backslash at end of input", i);
		switch (in[i + 1]) {
		case '\\':
			out[o++] = '\\';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case '0':
			out[o++] = '\0';
			break;
		case 'x':
			if (len - i < 4)
				return fail(err, "incomplete \\x escape", i);
			hi = hex_val[in[i + 2]] - 1u;
			lo = hex_val[in[i + 3]] - 1u;
			if (hi > 15 || lo > 15)
				return fail(err,
				    "invalid hex digit in \\x escape", i);
			out[o++] = (unsigned char)(hi << 4 | lo);
			i += 2;
			break;
		default:
			return fail(err, "unknown escape", i);
		}
		i += 2;
	}
	return (long)o;
}

/*
 * Explains an error inside a hex pair whose first digit is at first and
 * which is broken at i.  Returns -1.
 */
static long
hex_fail(const unsigned char *in, size_t len, size_t first, size_t i,
    struct enc_error *err)
{
	size_t j;

	if (hex_val[in[i]] != HEX_SPACE)
		return fail(err, "invalid hex digit", i);
	/* White space that only trails a lone digit: the count is odd. */
	for (j = i; j < len && hex_val[in[j]] == HEX_SPACE; j++)
		continue;
	if (j == len)
		return fail(err, "odd number of hex digits", first);
	return fail(err, "white space inside a hex pair", i);
}

/*
 * Decodes hex pairs, white space allowed between them.  Returns the decoded
 * size, or -1 with the offset of the offending character (of the unpaired
 * digit for an odd count).
 */
static long
hex_decode(const unsigned char *in, size_t len, unsigned char *out,
    struct enc_error *err)
{
	size_t i = 0, o = 0;
	unsigned int hi, lo;

	while (i < len) {
		hi = hex_val[in[i]] - 1u;
		if (hi > 15) {
			if (hex_val[in[i]] != HEX_SPACE)
				return fail(err, "invalid hex digit", i);
			i++;
			continue;
		}
		if (i + 1 == len)
			return fail(err, "odd number of hex digits", i);
		lo = hex_val[in[i + 1]] - 1u;
		if (lo > 15)
			return hex_fail(in, len, i, i + 1, err);
		out[o++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	return (long)o;
}

/*
 * Checks and decodes the padding of a last group of n (2 or 3) characters
 * holding the bits acc, the last of them at offset last; the first '=' is
 * at offset i.  Returns the number of bytes stored in out (n - 1), or -1.
 */
static long
b64_final(const unsigned char *in, size_t len, size_t i, int n,
    uint32_t acc, size_t last, unsigned char *out, struct enc_error *err)
{
	int pads;
	unsigned int v;

	if (n < 2)
		return fail(err, "misplaced padding", i);
	/* Take 4 - n '=', white space allowed among them. */
	for (pads = 0; pads < 4 - n && i < len; i++) {
		v = b64_val[in[i]];
		if (v == B64_PAD)
			pads++;
		else if (v == 0)
			return fail(err, "invalid base64 character", i);
		else if (v != B64_SPACE)
			return fail(err, "data after padding", i);
	}
	if (pads < 4 - n)
		return fail(err, "missing padding", len);
	/* Only white space may follow. */
	for (; i < len; i++) {
		v = b64_val[in[i]];
		if (v == 0)
			return fail(err, "invalid base64 character", i);
		if (v == B64_PAD)
			return fail(err, "too much padding", i);
		if (v != B64_SPACE)
			return fail(err, "data after padding", i);
	}
	/* The bits below the last byte must be zero, or two inputs differ. */
	if (n == 2) {
		if (acc & 0xf)
			return fail(err, "non-zero padding bits", last);
		out[0] = (unsigned char)(acc >> 4);
	} else {
		if (acc & 0x3)
			return fail(err, "non-zero padding bits", last);
		out[0] = (unsigned char)(acc >> 10);
		out[1] = (unsigned char)(acc >> 2);
	}
	return n - 1;
}

/*
 * Decodes RFC 4648 base64 with the padding it requires, white space
 * ignored.  Returns the decoded size, or -1 with the offset of the
 * offending character (of the end of input when it ends too early).
 */
static long
b64_decode(const unsigned char *in, size_t len, unsigned char *out,
    struct enc_error *err)
{
	size_t i = 0, o = 0, last = 0;
	uint32_t acc = 0, a, b, c, d, g;
	unsigned int v;
	int n = 0;
	long tail;

	while (i < len) {
		/* Fast path: four alphabet characters make a whole group. */
		if (n == 0 && len - i >= 4) {
			a = b64_val[in[i]] - 1u;
			b = b64_val[in[i + 1]] - 1u;
			c = b64_val[in[i + 2]] - 1u;
			d = b64_val[in[i + 3]] - 1u;
			if ((a | b | c | d) < 64) {
				g = a << 18 | b << 12 | c << 6 | d;
				out[o++] = (unsigned char)(g >> 16);
				out[o++] = (unsigned char)(g >> 8);
				out[o++] = (unsigned char)g;
				i += 4;
				continue;
			}
		}
		v = b64_val[in[i]];
		if (v == 0)
			return fail(err, "invalid base64 character", i);
		if (v == B64_PAD) {
			tail = b64_final(in, len, i, n, acc, last, out + o,
			    err);
			return tail < 0 ? -1 : (long)o + tail;
		}
		if (v != B64_SPACE) {
			acc = acc << 6 | (v - 1);
			last = i;
			if (++n == 4) {
				out[o++] = (unsigned char)(acc >> 16);
				out[o++] = (unsigned char)(acc >> 8);
				out[o++] = (unsigned char)acc;
				acc = 0;
				n = 0;
			}
		}
		i++;
	}
	if (n == 1)
		return fail(err, "incomplete base64 group", len);
	if (n > 1)
		return fail(err, "missing padding", len);
	return (long)o;
}

/*
 * Returns the decoded size, or -1 with *err set (err may be NULL).  Input
 * whose decoded size could exceed LONG_MAX is refused as "input too large".
 * Every byte is written at or before the input byte it comes from, so in
 * and out may be the same buffer.
 */
long
enc_decode(enum encoding e, const char *in, size_t len, unsigned char *out,
    struct enc_error *err)
{
	const unsigned char *uin = (const unsigned char *)in;

	if ((size_t)e >= NENC)
		return fail(err, "unknown encoding", 0);
	if (len == 0)
		return 0;
	if (enc_decoded_max(e, len) > LONG_MAX)
		return fail(err, "input too large", 0);
	switch (e) {
	case ENC_RAW:
		memmove(out, uin, len);
		return (long)len;
	case ENC_TEXT:
		return text_decode(uin, len, out, err);
	case ENC_HEX:
		return hex_decode(uin, len, out, err);
	case ENC_BASE64:
		return b64_decode(uin, len, out, err);
	}
	return fail(err, "unknown encoding", 0);
}

/* Returns the size of the text escapes of in, stored in out. */
static size_t
text_encode(const unsigned char *in, size_t len, char *out)
{
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = in[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '\\';
		switch (c) {
		case '\\':
			out[o++] = '\\';
			break;
		case '\n':
			out[o++] = 'n';
			break;
		case '\r':
			out[o++] = 'r';
			break;
		case '\t':
			out[o++] = 't';
			break;
		case '\0':
			out[o++] = '0';
			break;
		default:
			out[o++] = 'x';
			out[o++] = hex_digit[c >> 4];
			out[o++] = hex_digit[c & 0xf];
			break;
		}
	}
	return o;
}

/* Returns the size of the lowercase hex of in, stored in out. */
static size_t
hex_encode(const unsigned char *in, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex_digit[in[i] >> 4];
		out[2 * i + 1] = hex_digit[in[i] & 0xf];
	}
	return 2 * len;
}

/* Returns the size of the padded base64 of in, stored in out. */
static size_t
b64_encode(const unsigned char *in, size_t len, char *out)
{
	size_t i, o = 0;
	uint32_t acc;

	for (i = 0; len - i >= 3; i += 3) {
		acc = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = b64_digit[acc >> 18];
		out[o++] = b64_digit[acc >> 12 & 0x3f];
		out[o++] = b64_digit[acc >> 6 & 0x3f];
		out[o++] = b64_digit[acc & 0x3f];
	}
	if (len - i == 1) {
		acc = (uint32_t)in[i] << 16;
		out[o++] = b64_digit[acc >> 18];
		out[o++] = b64_digit[acc >> 12 & 0x3f];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		acc = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64_digit[acc >> 18];
		out[o++] = b64_digit[acc >> 12 & 0x3f];
		out[o++] = b64_digit[acc >> 6 & 0x3f];
		out[o++] = '=';
	}
	return o;
}

/* Returns the encoded size (0 for an unknown encoding); cannot fail. */
size_t
enc_encode(enum encoding e, const unsigned char *in, size_t len, char *out)
{
	if (len == 0)
		return 0;
	switch (e) {
	case ENC_RAW:
		memcpy(out, in, len);
		return len;
	case ENC_TEXT:
		return text_encode(in, len, out);
	case ENC_HEX:
		return hex_encode(in, len, out);
	case ENC_BASE64:
		return b64_encode(in, len, out);
	}
	return 0;
}
