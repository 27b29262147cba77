/* fuzz_port.c: libFuzzer harness for parse_port, parse_u64, parse_duration. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "fuzz.h"

#define DAY_MS		86400000ULL
#define SENTINEL64	0x5a5a5a5a5a5a5a5aULL
#define SENTINEL16	0x5a5a

/* Ranges for parse_u64, as the commands use them, and some edges. */
static const uint64_t ranges[][2] = {
	{ 0, UINT64_MAX },
	{ 1, UINT32_MAX },
	{ 0, 255 },
	{ 1, 65535 },
	{ 1024, 1U << 30 },
	{ 0, UINT32_MAX },
	{ UINT64_MAX, UINT64_MAX },
	{ 5, 3 }	/* empty: nothing may be accepted */
};
#define NRANGES	(sizeof(ranges) / sizeof(ranges[0]))

/* Is s a non-empty string of decimal digits? */
static int
all_digits(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return i > 0;
}

/*
 * The reference reading of an all-digit string, through strtoull():
 * returns 0 with *v, or 1 when the value needs more than 64 bits.
 */
static int
ref_dec(const char *s, uint64_t *v)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(s, &end, 10);
	FUZZ_CHECK(*end == '\0');
	if (errno == ERANGE)
		return 1;
	*v = n;
	return 0;
}

static void
check_port(const char *s, int allow_zero)
{
	const char *why = NULL;
	uint16_t port = SENTINEL16;
	uint64_t v;
	size_t i;
	int rc, big, in_range;
	struct servent *se;

	rc = parse_port(s, allow_zero, &port, &why);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (all_digits(s)) {
		big = ref_dec(s, &v);
		in_range = !big && v <= 65535 && (v > 0 || allow_zero);
		FUZZ_CHECK(rc == (in_range ? 0 : -1));
		if (rc == 0)
			FUZZ_CHECK(port == v);
	}
	if (rc == -1) {
		FUZZ_CHECK(why != NULL && why[0] != '\0');
		FUZZ_CHECK(port == SENTINEL16);
		return;
	}
	FUZZ_CHECK(port != 0 || allow_zero);
	if (all_digits(s))
		return;
	/* Anything else accepted is a service name that the database knows. */
	FUZZ_CHECK((s[0] >= 'a' && s[0] <= 'z') ||
	    (s[0] >= 'A' && s[0] <= 'Z'));
	for (i = 0; s[i] != '\0'; i++)
		FUZZ_CHECK((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_' || s[i] == '.');
	FUZZ_CHECK((se = getservbyname(s, "udp")) != NULL);
	FUZZ_CHECK(ntohs((uint16_t)se->s_port) == port);
}

static void
check_u64(const char *s, uint64_t min, uint64_t max)
{
	const char *why = NULL;
	uint64_t v = SENTINEL64, ref;
	int rc, ok;

	rc = parse_u64(s, min, max, &v, &why);
	ok = all_digits(s) && ref_dec(s, &ref) == 0 && ref >= min &&
	    ref <= max;
	FUZZ_CHECK(rc == (ok ? 0 : -1));
	if (rc == 0)
		FUZZ_CHECK(v == ref);
	else {
		FUZZ_CHECK(why != NULL && why[0] != '\0');
		FUZZ_CHECK(v == SENTINEL64);
	}
}

/*
 * scale * 0.f (n digits) rounded up, with scale = m * 10^k, worked out
 * on decimal digits: m * f, then the point moved.  The result is below
 * scale, so the integer digits cannot overflow.
 */
static uint64_t
ref_frac_ceil(const char *f, size_t n, unsigned m, size_t k)
{
	unsigned char *g;
	unsigned t, carry = 0;
	uint64_t v = 0;
	size_t i, nint;
	int rest = 0;

	if ((g = malloc(n + 1)) == NULL)
		abort();
	for (i = n; i-- > 0;) {
		t = (unsigned)(f[i] - '0') * m + carry;
		g[i + 1] = (unsigned char)(t % 10);
		carry = t / 10;
	}
	g[0] = (unsigned char)carry;
	/* g[0..n] is m * f; the value wanted is m * f * 10^(k - n). */
	nint = n > k ? k + 1 : n + 1;
	for (i = 0; i < nint; i++)
		v = v * 10 + g[i];
	for (i = n + 1; i < k + 1; i++)
		v *= 10;
	for (i = nint; i < n + 1; i++)
		if (g[i] != 0)
			rest = 1;
	free(g);
	return v + (uint64_t)rest;
}

/*
 * The reference grammar: DIGITS [. DIGITS] [ms|s|m], at most one day.
 * Returns 0 with *ms, or -1.
 */
static int
ref_duration(const char *s, uint64_t *ms)
{
	size_t in = 0, fn = 0, sig;
	const char *frac = "", *unit, *ip;
	unsigned m;
	size_t k, p;
	uint64_t iv;
	char tmp[16];

	while (s[in] >= '0' && s[in] <= '9')
		in++;
	if (in == 0)
		return -1;
	unit = s + in;
	if (*unit == '.') {
		frac = unit + 1;
		while (frac[fn] >= '0' && frac[fn] <= '9')
			fn++;
		if (fn == 0)
			return -1;
		unit = frac + fn;
	}
	if (strcmp(unit, "") == 0 || strcmp(unit, "s") == 0) {
		m = 1;
		k = 3;
	} else if (strcmp(unit, "ms") == 0) {
		m = 1;
		k = 0;
	} else if (strcmp(unit, "m") == 0) {
		m = 6;
		k = 4;
	} else
		return -1;
	for (ip = s; ip < s + in - 1 && *ip == '0'; ip++)
		continue;
	sig = (size_t)(s + in - ip);
	if (sig > 12)
		return -1;
	memcpy(tmp, ip, sig);
	tmp[sig] = '\0';
	iv = strtoull(tmp, NULL, 10) * m;
	for (p = 0; p < k; p++)
		iv *= 10;
	iv += ref_frac_ceil(frac, fn, m, k);
	if (iv > DAY_MS)
		return -1;
	*ms = iv;
	return 0;
}

/* Does s hold a digit other than 0? */
static int
positive(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= '1' && *s <= '9')
			return 1;
	return 0;
}

static void
check_duration(const char *s)
{
	const char *why = NULL;
	uint64_t ms = SENTINEL64, ref = 0;
	int rc, rrc;

	rc = parse_duration(s, &ms, &why);
	rrc = ref_duration(s, &ref);
	FUZZ_CHECK(rc == rrc);
	if (rc == -1) {
		FUZZ_CHECK(why != NULL && why[0] != '\0');
		FUZZ_CHECK(ms == SENTINEL64);
		return;
	}
	FUZZ_CHECK(ms == ref);
	FUZZ_CHECK(ms <= DAY_MS);
	if (positive(s))
		FUZZ_CHECK(ms >= 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned sel = fuzz_u8(&in);
	uint64_t min, max;
	char *s;

	switch (sel % 3) {
	case 0:
		s = fuzz_cstr(&in);
		check_port(s, (int)(sel >> 2 & 1));
		break;
	case 1:
		if (sel & 0x80) {
			min = fuzz_uint(&in, 8);
			max = fuzz_uint(&in, 8);
		} else {
			min = ranges[(sel >> 2) % NRANGES][0];
			max = ranges[(sel >> 2) % NRANGES][1];
		}
		s = fuzz_cstr(&in);
		check_u64(s, min, max);
		break;
	default:
		s = fuzz_cstr(&in);
		check_duration(s);
		break;
	}
	free(s);
	return 0;
}
