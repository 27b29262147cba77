/* parse.c: strict parsers for ports, numbers, durations, hosts, prefixes. */

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>

#include <stdint.h>
#include <string.h>

#include "parse.h"

/* Our own classes: <ctype.h> depends on the locale and on signed chars. */
#define IS_DIGIT(c)	((c) >= '0' && (c) <= '9')
#define IS_LOWER(c)	((c) >= 'a' && (c) <= 'z')
#define IS_UPPER(c)	((c) >= 'A' && (c) <= 'Z')
#define IS_ALPHA(c)	(IS_LOWER(c) || IS_UPPER(c))
#define IS_ALNUM(c)	(IS_DIGIT(c) || IS_ALPHA(c))

#define DAY_MS		86400000ULL	/* the longest duration */
#define SERVICE_MAX	32		/* longest service name we look up */
#define NAME_MAX_LEN	253		/* a DNS name, without its final dot */
#define LABEL_MAX	63		/* one DNS label */

static const char BAD_IPV4[] =
    "not a valid IPv4 address: use four decimal octets";
static const char BAD_IPV6[] = "not a valid IPv6 address";
static const char BAD_NAME[] = "not a valid host name";

/* Stores the phrase for the caller, if it asked for one; returns -1. */
static int
fail(const char **why, const char *phrase)
{
	if (why != NULL)
		*why = phrase;
	return -1;
}

/* Returns how many decimal digits s starts with. */
static size_t
span_digits(const char *s)
{
	size_t n;

	for (n = 0; IS_DIGIT(s[n]); n++)
		continue;
	return n;
}

/*
 * Reads the n characters at s as an unsigned decimal number, of any length.
 * Returns 0 with the value in *v, 1 when it does not fit in 64 bits, or -1
 * when n is 0 or a character is not a digit.
 */
static int
scan_dec(const char *s, size_t n, uint64_t *v)
{
	uint64_t acc = 0;
	unsigned d;
	size_t i;
	int big = 0;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!IS_DIGIT(s[i]))
			return -1;
		d = (unsigned)(s[i] - '0');
		if (acc > (UINT64_MAX - d) / 10)
			big = 1;	/* keep checking the rest is digits */
		else
			acc = acc * 10 + d;
	}
	*v = acc;
	return big;
}

/*
 * Looks s up as a UDP service name.  Returns 0 with the port, or -1 when
 * the name is malformed or unknown.
 */
static int
port_service(const char *s, int allow_zero, uint16_t *port, const char **why)
{
	const struct servent *se;
	uint16_t p;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= SERVICE_MAX || !(IS_ALNUM(s[i]) || s[i] == '-' ||
		    s[i] == '_' || s[i] == '.'))
			return fail(why, "not a number or service name");
	}
	if ((se = getservbyname(s, "udp")) == NULL)
		return fail(why, "unknown service");
	p = ntohs((uint16_t)se->s_port);
	if (p == 0 && !allow_zero)
		return fail(why, "out of range 1-65535");
	*port = p;
	return 0;
}

/*
 * A port starting with a letter is a service name; anything else must be
 * all digits, so that signs, spaces, hex and exponents fall out together.
 */
int
parse_port(const char *s, int allow_zero, uint16_t *port, const char **why)
{
	const char *range = allow_zero ? "out of range 0-65535" :
	    "out of range 1-65535";
	uint64_t v;

	if (s == NULL || *s == '\0')
		return fail(why, "empty");
	if (IS_ALPHA(*s))
		return port_service(s, allow_zero, port, why);
	switch (scan_dec(s, strlen(s), &v)) {
	case -1:
		return fail(why, "not a number");
	case 1:
		return fail(why, range);
	}
	if (v > 65535 || (v == 0 && !allow_zero))
		return fail(why, range);
	*port = (uint16_t)v;
	return 0;
}

/* Returns 0 with *v in [min, max], or -1 leaving *v alone. */
int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v,
    const char **why)
{
	uint64_t n;

	if (s == NULL || *s == '\0')
		return fail(why, "empty");
	switch (scan_dec(s, strlen(s), &n)) {
	case -1:
		return fail(why, "not a number");
	case 1:
		return fail(why, "out of range");
	}
	if (n < min || n > max)
		return fail(why, "out of range");
	*v = n;
	return 0;
}

/*
 * Returns the milliseconds in one unit of the suffix at s ("" is seconds),
 * or 0 when s is no unit.
 */
static uint64_t
duration_unit(const char *s)
{
	if (strcmp(s, "") == 0 || strcmp(s, "s") == 0)
		return 1000;
	if (strcmp(s, "ms") == 0)
		return 1;
	if (strcmp(s, "m") == 0)
		return 60000;
	return 0;
}

/*
 * Returns scale times the decimal fraction 0.f (n digits), rounded up.
 * Long multiplication from the last digit: the carry stays below scale,
 * so any number of digits is exact and cannot overflow.
 */
static uint64_t
frac_ceil(const char *f, size_t n, uint64_t scale)
{
	uint64_t t, carry = 0;
	int rest = 0;

	while (n-- > 0) {
		t = (uint64_t)(f[n] - '0') * scale + carry;
		if (t % 10 != 0)
			rest = 1;
		carry = t / 10;
	}
	return carry + (uint64_t)rest;
}

/*
 * DIGITS [. DIGITS] [ms|s|m]: a digit is required on both sides of a dot.
 * Returns 0 with *ms rounded up to whole milliseconds, or -1.
 */
int
parse_percent(const char *s, uint64_t *v, const char **why)
{
	uint64_t whole = 0, frac = 0, scale = PERCENT_ONE;
	int digits = 0, decimals = 0;

	*why = "not a percentage";
	for (; *s >= '0' && *s <= '9' && whole <= 100; s++, digits++)
		whole = whole * 10 + (uint64_t)(*s - '0');
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9' && scale > 1; s++, decimals++)
			frac += (uint64_t)(*s - '0') * (scale /= 10);
		if (decimals == 0)
			return -1;
		if (*s >= '0' && *s <= '9') {
			*why = "more than six decimals";
			return -1;
		}
	}
	if (*s == '%')
		s++;
	if (digits == 0 || *s != '\0')
		return -1;
	if (whole > 100 || (whole == 100 && frac > 0)) {
		*why = "more than 100";
		return -1;
	}
	*v = whole * PERCENT_ONE + frac;
	return 0;
}

int
parse_duration(const char *s, uint64_t *ms, const char **why)
{
	const char *frac = "", *p;
	size_t in, fn = 0, i;
	uint64_t scale, iv, total;

	if (s == NULL || *s == '\0')
		return fail(why, "empty");
	in = span_digits(s);
	p = s + in;
	if (*p == '.') {
		frac = p + 1;
		fn = span_digits(frac);
		p = frac + fn;
		if (fn == 0)
			return fail(why, "not a number");
	}
	if (in == 0)
		return fail(why, "not a number");
	if ((scale = duration_unit(p)) == 0) {
		for (i = 0; IS_ALPHA(p[i]); i++)
			continue;
		return fail(why, p[i] == '\0' ?
		    "unknown unit: use ms, s or m" : "not a number");
	}
	if (scan_dec(s, in, &iv) != 0 || iv > DAY_MS)
		return fail(why, "out of range: at most one day");
	total = iv * scale + frac_ceil(frac, fn, scale);
	if (total > DAY_MS)
		return fail(why, "out of range: at most one day");
	*ms = total;
	return 0;
}

/*
 * Exactly four decimal octets of 1 to 3 digits, no leading zero (libc
 * would read "010" as octal).  Returns 0 with *a, or -1 leaving it alone.
 */
int
parse_ipv4(const char *s, struct in_addr *a)
{
	unsigned char b[4];
	const char *p = s;
	unsigned v;
	int i, n;

	if (s == NULL)
		return -1;
	for (i = 0; i < 4; i++) {
		if (i > 0 && *p++ != '.')
			return -1;
		for (v = 0, n = 0; n < 3 && IS_DIGIT(*p); n++)
			v = v * 10 + (unsigned)(*p++ - '0');
		if (n == 0 || v > 255 || (n > 1 && p[-n] == '0'))
			return -1;
		b[i] = (unsigned char)v;
	}
	if (*p != '\0')
		return -1;
	memcpy(&a->s_addr, b, sizeof(b));
	return 0;
}

/*
 * Checks the n characters at s as ADDR or ADDR%SCOPE.  Returns NULL when
 * valid, else why not.
 */
static const char *
check_ipv6(const char *s, size_t n)
{
	char tmp[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	const char *pct;
	size_t alen, i;

	pct = memchr(s, '%', n);
	alen = pct != NULL ? (size_t)(pct - s) : n;
	if (alen == 0 || alen >= sizeof(tmp))
		return BAD_IPV6;
	memcpy(tmp, s, alen);
	tmp[alen] = '\0';
	if (inet_pton(AF_INET6, tmp, bin) != 1)
		return BAD_IPV6;
	if (pct == NULL)
		return NULL;
	if (n - alen - 1 == 0 || n - alen - 1 >= IF_NAMESIZE)
		return "not a valid IPv6 scope";
	for (i = alen + 1; i < n; i++)
		if (!(IS_ALNUM(s[i]) || s[i] == '_' || s[i] == '.' ||
		    s[i] == '-'))
			return "not a valid IPv6 scope";
	return NULL;
}

/* Is s meant as numeric IPv4, valid or not?  Digits and dots, or libc's. */
static int
looks_ipv4(const char *s)
{
	struct in_addr a;
	size_t i;

	for (i = 0; IS_DIGIT(s[i]) || s[i] == '.'; i++)
		continue;
	return s[i] == '\0' || inet_aton(s, &a) != 0;
}

/*
 * Checks one DNS label of n characters: letters, digits, '-' and '_', not
 * starting or ending with '-'.  Returns NULL when valid, else why not.
 */
static const char *
check_label(const char *l, size_t n)
{
	size_t i;

	if (n == 0)
		return "empty label in host name";
	if (n > LABEL_MAX)
		return "label longer than 63 characters in host name";
	if (l[0] == '-' || l[n - 1] == '-')
		return "label starts or ends with '-' in host name";
	for (i = 0; i < n; i++)
		if (!(IS_ALNUM(l[i]) || l[i] == '-' || l[i] == '_'))
			return BAD_NAME;
	return NULL;
}

/*
 * Checks the n characters at s as a DNS name; one final dot is allowed.
 * Returns NULL when valid, else why not.
 */
static const char *
check_name(const char *s, size_t n)
{
	const char *w;
	size_t i, start = 0;

	if (n > 1 && s[n - 1] == '.')
		n--;
	if (n > NAME_MAX_LEN)
		return "host name longer than 253 characters";
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if ((w = check_label(s + start, i - start)) != NULL)
			return w;
		if (i < n)
			start = i + 1;
	}
	/* An all-numeric last label would be taken for an address. */
	if (span_digits(s + start) >= n - start)
		return "last label of a host name is all digits";
	return NULL;
}

/*
 * Brackets mean IPv6, so does a colon; digits and dots (or whatever
 * inet_aton() takes) mean IPv4; the rest must be a DNS name.  Returns 0
 * with *kind and the host in buf, or -1.
 */
int
parse_host(const char *s, enum host_kind *kind, char *buf, size_t size,
    const char **why)
{
	enum host_kind k;
	struct in_addr a;
	const char *w;
	size_t n;

	if (s == NULL || *s == '\0')
		return fail(why, "empty");
	n = strlen(s);
	if (s[0] == '[') {
		if (n < 2 || s[n - 1] != ']')
			return fail(why, "missing ']' after an IPv6 address");
		s++;
		n -= 2;
		k = HOST_IPV6;
		w = memchr(s, ':', n) != NULL ? check_ipv6(s, n) : BAD_IPV6;
	} else if (strchr(s, ':') != NULL) {
		k = HOST_IPV6;
		w = check_ipv6(s, n);
	} else if (looks_ipv4(s)) {
		k = HOST_IPV4;
		w = parse_ipv4(s, &a) == 0 ? NULL : BAD_IPV4;
	} else {
		k = HOST_NAME;
		w = check_name(s, n);
	}
	if (w != NULL)
		return fail(why, w);
	if (buf == NULL || n >= size)
		return fail(why, "too long");
	memcpy(buf, s, n);
	buf[n] = '\0';
	*kind = k;
	return 0;
}

/* Does the address of nbytes have a bit set past the first len bits? */
static int
host_bits_set(const unsigned char *b, unsigned nbytes, unsigned len)
{
	unsigned i;
	unsigned char mask;

	for (i = len / 8; i < nbytes; i++) {
		mask = i == len / 8 ? (unsigned char)(0xff >> (len % 8)) : 0xff;
		if (b[i] & mask)
			return 1;
	}
	return 0;
}

/*
 * Reads the address part of a prefix, n characters at s, into b.  Returns
 * the family, or -1 with *why.
 */
static int
prefix_addr(const char *s, size_t n, unsigned char b[16], const char **why)
{
	char tmp[INET6_ADDRSTRLEN];
	struct in_addr a;

	if (n == 0)
		return fail(why, "missing address");
	if (n >= sizeof(tmp))
		return fail(why,
		    memchr(s, ':', n) != NULL ? BAD_IPV6 : BAD_IPV4);
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	memset(b, 0, 16);
	if (strchr(tmp, ':') != NULL) {
		if (inet_pton(AF_INET6, tmp, b) != 1)
			return fail(why, BAD_IPV6);
		return AF_INET6;
	}
	if (parse_ipv4(tmp, &a) != 0)
		return fail(why, BAD_IPV4);
	memcpy(b, &a.s_addr, 4);
	return AF_INET;
}

/*
 * ADDR/LEN or a bare ADDR (full length).  Host bits past LEN are an error,
 * never masked away: "10.1.2.3/8" is more likely a typo than a wish.
 * Returns 0 with the outputs set, or -1 leaving them alone.
 */
int
parse_prefix(const char *s, int *family, unsigned char addr[16],
    unsigned *len, const char **why)
{
	unsigned char b[16];
	const char *slash;
	unsigned max;
	uint64_t l;
	int fam;

	if (s == NULL || *s == '\0')
		return fail(why, "empty");
	slash = strchr(s, '/');
	fam = prefix_addr(s, slash != NULL ? (size_t)(slash - s) : strlen(s),
	    b, why);
	if (fam == -1)
		return -1;
	max = fam == AF_INET ? 32 : 128;
	l = max;
	if (slash != NULL) {
		switch (scan_dec(slash + 1, strlen(slash + 1), &l)) {
		case -1:
			return fail(why, "prefix length not a number");
		case 1:
			l = UINT64_MAX;
		}
		if (l > max)
			return fail(why, fam == AF_INET ?
			    "prefix length out of range 0-32" :
			    "prefix length out of range 0-128");
	}
	if (host_bits_set(b, max / 8, (unsigned)l))
		return fail(why, "host bits set beyond the prefix length");
	*family = fam;
	memcpy(addr, b, 16);
	*len = (unsigned)l;
	return 0;
}
