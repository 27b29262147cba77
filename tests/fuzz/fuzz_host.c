/* fuzz_host.c: libFuzzer harness for parse_host, parse_ipv4, parse_prefix. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "fuzz.h"

#define GUARD		16	/* canary bytes after the caller's buffer */
#define CANARY		0xa5

/* Is s exactly the dotted quad that inet_ntop() prints for it? */
static int
canonical_ipv4(const char *s)
{
	struct in_addr a;
	char back[INET_ADDRSTRLEN];

	return inet_pton(AF_INET, s, &a) == 1 &&
	    inet_ntop(AF_INET, &a, back, sizeof(back)) != NULL &&
	    strcmp(back, s) == 0;
}

/* Would the resolver take s for a numeric address of any family? */
static int
numeric_host(const char *s)
{
	struct addrinfo hints, *res;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(s, NULL, &hints, &res) != 0)
		return 0;
	freeaddrinfo(res);
	return 1;
}

static int
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static void
check_ipv4(const char *s)
{
	struct in_addr a;
	char back[INET_ADDRSTRLEN];
	int rc;

	a.s_addr = 0x5a5a5a5a;
	rc = parse_ipv4(s, &a);
	FUZZ_CHECK(rc == (canonical_ipv4(s) ? 0 : -1));
	if (rc == 0) {
		FUZZ_CHECK(inet_ntop(AF_INET, &a, back, sizeof(back)) != NULL);
		FUZZ_CHECK(strcmp(back, s) == 0);
	} else
		FUZZ_CHECK(a.s_addr == 0x5a5a5a5a);
}

/* An accepted IPv6 host: the address part parses, the scope is sane. */
static void
check_ipv6_host(const char *buf)
{
	unsigned char bin[16];
	char addr[INET6_ADDRSTRLEN];
	const char *pct;
	size_t alen, i;

	FUZZ_CHECK(strchr(buf, ':') != NULL);
	pct = strchr(buf, '%');
	alen = pct != NULL ? (size_t)(pct - buf) : strlen(buf);
	FUZZ_CHECK(alen > 0 && alen < sizeof(addr));
	memcpy(addr, buf, alen);
	addr[alen] = '\0';
	FUZZ_CHECK(inet_pton(AF_INET6, addr, bin) == 1);
	if (pct == NULL)
		return;
	FUZZ_CHECK(strlen(pct + 1) > 0 && strlen(pct + 1) < 16);
	for (i = 1; pct[i] != '\0'; i++)
		FUZZ_CHECK(name_char(pct[i]));
}

/* An accepted DNS name: letters, digits, '-', '_', '.', never numeric. */
static void
check_name(const char *s)
{
	struct in_addr a;
	size_t i, n = strlen(s), label = 0;

	FUZZ_CHECK(n > 0 && n <= 254);
	FUZZ_CHECK(n < 254 || s[n - 1] == '.');
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(name_char(s[i]));
		if (s[i] == '.') {
			FUZZ_CHECK(label > 0);
			label = 0;
		} else
			FUZZ_CHECK(++label <= 63);
	}
	FUZZ_CHECK(inet_aton(s, &a) == 0);
	FUZZ_CHECK(!numeric_host(s));
}

static void
check_host(const char *s, size_t size)
{
	enum host_kind kind = (enum host_kind)-1;
	const char *why = NULL;
	unsigned char in6[16];
	char *buf;
	size_t n = strlen(s), i;
	int rc;

	if ((buf = malloc(size + GUARD)) == NULL)
		abort();
	memset(buf, CANARY, size + GUARD);
	rc = parse_host(s, &kind, size > 0 ? buf : NULL, size, &why);
	for (i = size; i < size + GUARD; i++)
		FUZZ_CHECK((unsigned char)buf[i] == CANARY);
	if (rc == -1) {
		FUZZ_CHECK(why != NULL && why[0] != '\0');
		/* What must be accepted when it fits. */
		if (n < size && canonical_ipv4(s))
			FUZZ_CHECK(!"a dotted quad was refused");
		if (n < size && inet_pton(AF_INET6, s, in6) == 1)
			FUZZ_CHECK(!"an IPv6 literal was refused");
		free(buf);
		return;
	}
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(memchr(buf, '\0', size) != NULL);
	switch (kind) {
	case HOST_IPV4:
		FUZZ_CHECK(strcmp(buf, s) == 0);
		FUZZ_CHECK(canonical_ipv4(buf));
		break;
	case HOST_IPV6:
		if (s[0] == '[') {
			FUZZ_CHECK(n >= 2 && s[n - 1] == ']');
			FUZZ_CHECK(strlen(buf) == n - 2);
			FUZZ_CHECK(memcmp(buf, s + 1, n - 2) == 0);
		} else
			FUZZ_CHECK(strcmp(buf, s) == 0);
		check_ipv6_host(buf);
		break;
	case HOST_NAME:
		FUZZ_CHECK(strcmp(buf, s) == 0);
		check_name(buf);
		break;
	default:
		FUZZ_CHECK(!"unknown host kind");
	}
	/* Not reinterpreted: what libc reads as IPv4 is accepted verbatim. */
	{
		struct in_addr a;

		if (inet_aton(s, &a) != 0)
			FUZZ_CHECK(kind == HOST_IPV4 && canonical_ipv4(s));
	}
	free(buf);
}

/* Are the bits of addr (nbytes) past the first len bits all zero? */
static int
host_bits_clear(const unsigned char *addr, unsigned nbytes, unsigned len)
{
	unsigned bit;

	for (bit = len; bit < nbytes * 8; bit++)
		if (addr[bit / 8] & (0x80 >> (bit % 8)))
			return 0;
	return 1;
}

static void
check_prefix(const char *s)
{
	unsigned char addr[16], ref[16];
	char part[256], back[INET6_ADDRSTRLEN];
	const char *why = NULL, *slash;
	unsigned len = 12345, max, i;
	int family = -7, rc;
	size_t alen;
	uint64_t l;

	memset(addr, 0x5a, sizeof(addr));
	rc = parse_prefix(s, &family, addr, &len, &why);
	if (rc == -1) {
		FUZZ_CHECK(why != NULL && why[0] != '\0');
		FUZZ_CHECK(family == -7 && len == 12345);
		for (i = 0; i < 16; i++)
			FUZZ_CHECK(addr[i] == 0x5a);
		return;
	}
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(family == AF_INET || family == AF_INET6);
	max = family == AF_INET ? 32 : 128;
	FUZZ_CHECK(len <= max);
	FUZZ_CHECK(host_bits_clear(addr, max / 8, len));
	slash = strchr(s, '/');
	alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	FUZZ_CHECK(alen > 0 && alen < sizeof(part));
	memcpy(part, s, alen);
	part[alen] = '\0';
	memset(ref, 0, sizeof(ref));
	if (family == AF_INET) {
		FUZZ_CHECK(canonical_ipv4(part));
		FUZZ_CHECK(inet_ntop(AF_INET, addr, back, sizeof(back)) !=
		    NULL);
		FUZZ_CHECK(strcmp(back, part) == 0);
		for (i = 4; i < 16; i++)
			FUZZ_CHECK(addr[i] == 0);
	} else {
		FUZZ_CHECK(inet_pton(AF_INET6, part, ref) == 1);
		FUZZ_CHECK(memcmp(ref, addr, 16) == 0);
	}
	if (slash == NULL) {
		FUZZ_CHECK(len == max);
		return;
	}
	/* The length: digits only, with the value given. */
	FUZZ_CHECK(slash[1] != '\0');
	for (l = 0, i = 1; slash[i] != '\0'; i++) {
		FUZZ_CHECK(slash[i] >= '0' && slash[i] <= '9');
		if (l <= max)
			l = l * 10 + (uint64_t)(slash[i] - '0');
	}
	FUZZ_CHECK(l == len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned sel = fuzz_u8(&in), bufsize;
	char *s;

	switch (sel % 3) {
	case 0:
		/* Mostly a roomy buffer; sometimes one that is too small. */
		bufsize = sel & 0x80 ? fuzz_u8(&in) : 1025;
		s = fuzz_cstr(&in);
		check_host(s, bufsize);
		break;
	case 1:
		s = fuzz_cstr(&in);
		check_ipv4(s);
		break;
	default:
		s = fuzz_cstr(&in);
		check_prefix(s);
		break;
	}
	free(s);
	return 0;
}
