/* jsonrec.c: a strict JSON reader for the records listen --json writes. */
#include <stdint.h>
#include <string.h>

#include "jsonrec.h"

#define TIME_MAX	64	/* longest "time" string looked at */
#define KEY_MAX		16	/* longest key compared */

/* Keys that udpcat reads, each at most once. */
#define SEEN_DATA	1
#define SEEN_TIME	2
#define SEEN_TRUNC	4

struct jp {
	const unsigned char	*p;
	size_t			 n;
	size_t			 i;
	struct jsonrec_error	*err;
};

/* Says what is wrong at the current place; returns -1. */
static int
fail(struct jp *j, const char *what)
{
	j->err->what = what;
	j->err->offset = j->i;
	return -1;
}

static void
ws(struct jp *j)
{
	while (j->i < j->n && (j->p[j->i] == ' ' || j->p[j->i] == '\t' ||
	    j->p[j->i] == '\r' || j->p[j->i] == '\n'))
		j->i++;
}

/* The next byte, or -1 at the end of the line. */
static int
peek(const struct jp *j)
{
	return j->i < j->n ? j->p[j->i] : -1;
}

/* Consumes c after white space; 0, or -1 after saying what was wanted. */
static int
expect(struct jp *j, int c, const char *what)
{
	ws(j);
	if (peek(j) != c)
		return fail(j, what);
	j->i++;
	return 0;
}

/*
 * The UTF-8 sequence at j->i, whose first byte is not ASCII: its code
 * point, consumed, or -1 for anything but shortest-form UTF-8 of a
 * scalar value.
 */
static long
utf8(struct jp *j)
{
	const unsigned char *s = j->p + j->i;
	size_t left = j->n - j->i, k, len;
	long cp, min;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return fail(j, "invalid UTF-8");
	if (left < len)
		return fail(j, "invalid UTF-8");
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return fail(j, "invalid UTF-8");
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return fail(j, "invalid UTF-8");
	j->i += len;
	return cp;
}

/* Four hex digits of a \u escape; the value, or -1. */
static long
hex4(struct jp *j)
{
	long v = 0;
	int k, c;

	for (k = 0; k < 4; k++) {
		c = peek(j);
		if (c >= '0' && c <= '9')
			v = v << 4 | (c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v << 4 | ((c | 0x20) - 'a' + 10);
		else
			return fail(j, "a bad \\u escape");
		j->i++;
	}
	return v;
}

/* A \u escape after the backslash, with a surrogate pair joined. */
static long
uescape(struct jp *j)
{
	long hi, lo;

	j->i++;		/* 'u' */
	if ((hi = hex4(j)) < 0)
		return -1;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return fail(j, "a lone low surrogate");
	if (hi < 0xd800 || hi > 0xdbff)
		return hi;
	if (j->i + 1 >= j->n || j->p[j->i] != '\\' || j->p[j->i + 1] != 'u')
		return fail(j, "a lone high surrogate");
	j->i++;
	j->i++;
	if ((lo = hex4(j)) < 0)
		return -1;
	if (lo < 0xdc00 || lo > 0xdfff)
		return fail(j, "a lone high surrogate");
	return 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
}

/* Appends code point cp as UTF-8 to out (cap bytes), counting in *o. */
static void
put_cp(char *out, size_t cap, size_t *o, long cp)
{
	unsigned char b[4];
	size_t n, k;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	for (k = 0; k < n; k++, (*o)++)
		if (*o < cap)
			out[*o] = (char)b[k];
}

/* One escape after the backslash: its code point, or -1. */
static long
escape(struct jp *j)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *c;

	j->i++;		/* the backslash */
	if (peek(j) == 'u')
		return uescape(j);
	if (peek(j) <= 0 || (c = strchr(from, peek(j))) == NULL)
		return fail(j, "a bad escape");
	j->i++;
	return (unsigned char)to[c - from];
}

/*
 * A string at j->i (after white space), unescaped into out, of which
 * cap bytes are written at most; *olen gets its whole length, *raw
 * where it lies in the line when it has no escapes, else NULL.
 */
static int
string(struct jp *j, char *out, size_t cap, size_t *olen, const char **raw)
{
	size_t o = 0, start;
	long cp;
	int c, escaped = 0;

	if (expect(j, '"', "a string expected") == -1)
		return -1;
	start = j->i;
	for (;;) {
		if ((c = peek(j)) == -1)
			return fail(j, "an unterminated string");
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(j, "a control character in a string");
		if (c == '\\') {
			escaped = 1;
			cp = escape(j);
		} else if (c >= 0x80)
			cp = utf8(j);
		else {
			cp = c;
			j->i++;
		}
		if (cp < 0)
			return -1;
		put_cp(out, cap, &o, cp);
	}
	*olen = o;
	if (raw != NULL)
		*raw = escaped ? NULL : (const char *)j->p + start;
	j->i++;
	return 0;
}

/* Runs of digits: how many. */
static size_t
digits(struct jp *j)
{
	size_t k = 0;

	while (peek(j) >= '0' && peek(j) <= '9') {
		j->i++;
		k++;
	}
	return k;
}

/* A number, checked against JSON's grammar and thrown away. */
static int
number(struct jp *j)
{
	if (peek(j) == '-')
		j->i++;
	if (peek(j) == '0')
		j->i++;
	else if (digits(j) == 0)
		return fail(j, "a bad number");
	if (peek(j) == '.') {
		j->i++;
		if (digits(j) == 0)
			return fail(j, "a bad number");
	}
	if (peek(j) == 'e' || peek(j) == 'E') {
		j->i++;
		if (peek(j) == '+' || peek(j) == '-')
			j->i++;
		if (digits(j) == 0)
			return fail(j, "a bad number");
	}
	return 0;
}

/* true, false or null: 1, 0 or 2; -1 for anything else. */
static int
literal(struct jp *j)
{
	static const char *const words[] = { "false", "true", "null" };
	size_t k, len;

	for (k = 0; k < 3; k++) {
		len = strlen(words[k]);
		if (j->n - j->i >= len &&
		    memcmp(j->p + j->i, words[k], len) == 0) {
			j->i += len;
			return (int)k;
		}
	}
	return fail(j, "an unexpected character");
}

static int	value(struct jp *, int);

/* An object or array at depth, its members checked and thrown away. */
static int
container(struct jp *j, int depth)
{
	int close = peek(j) == '{' ? '}' : ']';
	size_t len;

	if (depth >= JSONREC_DEPTH)
		return fail(j, "nesting deeper than 32");
	j->i++;
	ws(j);
	if (peek(j) == close) {
		j->i++;
		return 0;
	}
	for (;;) {
		if (close == '}' && (string(j, NULL, 0, &len, NULL) == -1 ||
		    expect(j, ':', "':' expected") == -1))
			return -1;
		if (value(j, depth + 1) == -1)
			return -1;
		ws(j);
		if (peek(j) == close) {
			j->i++;
			return 0;
		}
		if (expect(j, ',', close == '}' ? "',' or '}' expected" :
		    "',' or ']' expected") == -1)
			return -1;
	}
}

/* Any value, checked and thrown away. */
static int
value(struct jp *j, int depth)
{
	size_t len;
	int c;

	ws(j);
	c = peek(j);
	if (c == '"')
		return string(j, NULL, 0, &len, NULL);
	if (c == '{' || c == '[')
		return container(j, depth);
	if (c == '-' || (c >= '0' && c <= '9'))
		return number(j);
	if (c == -1)
		return fail(j, "a value expected");
	return literal(j) < 0 ? -1 : 0;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static int64_t
days(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* n decimal digits at s; -1 unless they are all digits. */
static long
num(const char *s, int n)
{
	long v = 0;
	int k;

	for (k = 0; k < n; k++) {
		if (s[k] < '0' || s[k] > '9')
			return -1;
		v = v * 10 + (s[k] - '0');
	}
	return v;
}

/* Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)"; 0 or -1. */
static int
rfc3339(const char *s, size_t len, int64_t *sec, long *nsec)
{
	static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30, 31,
	    31, 30, 31, 30, 31 };
	long y, mo, d, h, mi, se, oh = 0, om = 0, ns = 0, scale = 100000000;
	size_t k = 19;
	int sign = 0;

	if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' &&
	    s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
		return -1;
	y = num(s, 4);
	mo = num(s + 5, 2);
	d = num(s + 8, 2);
	h = num(s + 11, 2);
	mi = num(s + 14, 2);
	se = num(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60 ||
	    (mo == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 &&
	    y % 400 != 0))))
		return -1;
	if (s[k] == '.') {
		if (++k == len || s[k] < '0' || s[k] > '9')
			return -1;
		for (; k < len && s[k] >= '0' && s[k] <= '9'; k++, scale /= 10)
			ns += (s[k] - '0') * scale;
	}
	if (k + 1 == len && (s[k] == 'Z' || s[k] == 'z'))
		sign = 0;
	else if (k + 6 == len && (s[k] == '+' || s[k] == '-') &&
	    s[k + 3] == ':') {
		sign = s[k] == '+' ? 1 : -1;
		oh = num(s + k + 1, 2);
		om = num(s + k + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -1;
	} else
		return -1;
	*sec = days(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
	    mi * 60 + se - sign * (oh * 3600 + om * 60);
	*nsec = ns;
	return 0;
}

/* The value of "time". */
static int
time_value(struct jp *j, struct jsonrec *rec)
{
	char buf[TIME_MAX];
	size_t len, at;

	ws(j);
	at = j->i;
	if (peek(j) != '"')
		return fail(j, "'time' is not a string");
	if (string(j, buf, sizeof(buf), &len, NULL) == -1)
		return -1;
	if (len > sizeof(buf) || rfc3339(buf, len, &rec->sec,
	    &rec->nsec) == -1) {
		j->i = at;
		return fail(j, "'time' is not an RFC 3339 time");
	}
	rec->has_time = 1;
	return 0;
}

/* The value of "truncated", which must be false. */
static int
truncated_value(struct jp *j)
{
	size_t at;
	int c, v = -1;

	ws(j);
	at = j->i;
	c = peek(j);
	if (c == 't' || c == 'f')
		v = literal(j);
	if (v != 0 && v != 1) {
		j->i = at;
		return fail(j, "'truncated' is not true or false");
	}
	if (v == 1) {
		j->i = at;
		return fail(j, "the datagram was truncated when captured");
	}
	return 0;
}

/* The value of "data", which must be a string. */
static int
data_value(struct jp *j, char *out, struct jsonrec *rec)
{
	const char *raw;

	ws(j);
	if (peek(j) != '"')
		return fail(j, "'data' is not a string");
	if (string(j, out, j->n, &rec->len, &raw) == -1)
		return -1;
	rec->data = raw != NULL ? raw : out;
	return 0;
}

/* One member of the top object; *seen gathers the keys udpcat reads. */
static int
member(struct jp *j, char *out, struct jsonrec *rec, unsigned *seen)
{
	static const char *const keys[] = { "data", "time", "truncated" };
	char key[KEY_MAX];
	size_t len, at, k;
	unsigned bit;

	ws(j);
	at = j->i;
	if (string(j, key, sizeof(key), &len, NULL) == -1 ||
	    expect(j, ':', "':' expected") == -1)
		return -1;
	for (k = 0; k < 3; k++)
		if (len == strlen(keys[k]) && memcmp(key, keys[k], len) == 0)
			break;
	if (k == 3)
		return value(j, 1);
	bit = 1u << k;
	if (*seen & bit) {
		j->i = at;
		return fail(j, k == 0 ? "a second 'data'" : k == 1 ?
		    "a second 'time'" : "a second 'truncated'");
	}
	*seen |= bit;
	if (bit == SEEN_DATA)
		return data_value(j, out, rec);
	if (bit == SEEN_TIME)
		return time_value(j, rec);
	return truncated_value(j);
}

int
jsonrec_parse(const char *line, size_t len, char *out,
    struct jsonrec *rec, struct jsonrec_error *err)
{
	struct jp j = { (const unsigned char *)line, len, 0, err };
	unsigned seen = 0;

	memset(rec, 0, sizeof(*rec));
	if (expect(&j, '{', "not a JSON object") == -1)
		return -1;
	ws(&j);
	if (peek(&j) != '}')
		for (;;) {
			if (member(&j, out, rec, &seen) == -1)
				return -1;
			ws(&j);
			if (peek(&j) == '}')
				break;
			if (expect(&j, ',', "',' or '}' expected") == -1)
				return -1;
		}
	j.i++;
	ws(&j);
	if (j.i != j.n)
		return fail(&j, "something after the object");
	if (!(seen & SEEN_DATA)) {
		j.i = 0;
		return fail(&j, "no 'data'");
	}
	return 0;
}
