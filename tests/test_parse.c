/* test_parse.c: accept and reject tables for the strict parsers. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define BIG		(1024 * 1024)	/* a 1 MiB argument */

static char big[BIG + 1];

/* Fills the shared big buffer with n copies of c after prefix. */
static const char *
make_big(const char *prefix, char c, size_t n)
{
	size_t p = strlen(prefix);

	memcpy(big, prefix, p);
	memset(big + p, c, n);
	big[p + n] = '\0';
	return big;
}

/* Fails the test naming the case, since a table hides which row broke. */
static void
check_str(const char *input, const char *what, const char *got,
    const char *want)
{
	if (got == NULL || strcmp(got, want) != 0) {
		print_error("input '%.60s': %s is '%s', want '%s'\n", input,
		    what, got != NULL ? got : "(null)", want);
		fail();
	}
}

static void
check_u64(const char *input, const char *what, uint64_t got, uint64_t want)
{
	if (got != want) {
		print_error("input '%.60s': %s is %llu, want %llu\n", input,
		    what, (unsigned long long)got, (unsigned long long)want);
		fail();
	}
}

/* Ports. */

struct port_ok {
	const char	*s;
	int		 allow_zero;
	uint16_t	 want;
};

struct port_bad {
	const char	*s;
	int		 allow_zero;
	const char	*why;
};

static const struct port_ok port_ok[] = {
	{ "1", 0, 1 },
	{ "53", 0, 53 },
	{ "65535", 0, 65535 },
	{ "65535", 1, 65535 },
	{ "0", 1, 0 },
	{ "00000", 1, 0 },
	{ "0053", 0, 53 },		/* decimal: zeros do not mean octal */
};

/* Service names: these need /etc/services (Debian package netbase). */
static const struct port_ok port_svc[] = {
	{ "domain", 0, 53 },
	{ "syslog", 0, 514 },
	{ "domain", 1, 53 },
};

static const struct port_bad port_bad[] = {
	{ "0", 0, "out of range 1-65535" },
	{ "00", 0, "out of range 1-65535" },
	{ "65536", 0, "out of range 1-65535" },
	{ "65536", 1, "out of range 0-65535" },
	{ "70000", 0, "out of range 1-65535" },
	{ "4294967296", 0, "out of range 1-65535" },
	{ "4294967349", 0, "out of range 1-65535" },	/* 2^32 + 53 */
	{ "18446744073709551669", 0, "out of range 1-65535" },	/* 2^64+53 */
	{ "99999999999999999999", 0, "out of range 1-65535" },
	{ "-1", 0, "not a number" },
	{ "-1", 1, "not a number" },
	{ "-0", 1, "not a number" },
	{ "+53", 0, "not a number" },
	{ " 53", 0, "not a number" },
	{ "53 ", 0, "not a number" },
	{ "\t53", 0, "not a number" },
	{ "53\n", 0, "not a number" },
	{ "53abc", 0, "not a number" },
	{ "0x35", 0, "not a number" },
	{ "1e3", 0, "not a number" },
	{ "5.3", 0, "not a number" },
	{ "", 0, "empty" },
	{ "", 1, "empty" },
	{ "nosuchservice", 0, "unknown service" },
	{ "DOMAIN", 0, "unknown service" },
	{ "domain ", 0, "not a number or service name" },
	{ "dom/ain", 0, "not a number or service name" },
	{ "abcdefghijklmnopqrstuvwxyzabcdefg", 0,
	    "not a number or service name" },
};

static void
test_port_accept(void **state)
{
	const char *why;
	uint16_t port;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(port_ok); i++) {
		why = NULL;
		port = 9;
		if (parse_port(port_ok[i].s, port_ok[i].allow_zero, &port,
		    &why) != 0)
			check_str(port_ok[i].s, "why", why, "(accepted)");
		check_u64(port_ok[i].s, "port", port, port_ok[i].want);
	}
}

/* Service names as ports; skipped, saying why, without /etc/services. */
static void
test_port_service(void **state)
{
	const char *why;
	uint16_t port;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(port_svc); i++) {
		if (getservbyname(port_svc[i].s, "udp") == NULL) {
			print_message("SKIP: no service '%s' in /etc/services "
			    "(Debian package netbase)\n", port_svc[i].s);
			skip();
		}
	}
	for (i = 0; i < NELEM(port_svc); i++) {
		why = NULL;
		port = 9;
		if (parse_port(port_svc[i].s, port_svc[i].allow_zero, &port,
		    &why) != 0)
			check_str(port_svc[i].s, "why", why, "(accepted)");
		check_u64(port_svc[i].s, "port", port, port_svc[i].want);
	}
}

static void
test_port_reject(void **state)
{
	const char *why;
	uint16_t port;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(port_bad); i++) {
		why = NULL;
		port = 9;
		if (parse_port(port_bad[i].s, port_bad[i].allow_zero, &port,
		    &why) != -1)
			check_u64(port_bad[i].s, "port (accepted)", port, 0);
		check_str(port_bad[i].s, "why", why, port_bad[i].why);
		check_u64(port_bad[i].s, "port (untouched)", port, 9);
	}
}

static void
test_port_huge(void **state)
{
	const char *why = NULL;
	uint16_t port = 9;

	(void)state;
	assert_int_equal(parse_port(make_big("", '9', 10000), 0, &port,
	    &why), -1);
	assert_string_equal(why, "out of range 1-65535");
	assert_int_equal(parse_port(make_big("1", '0', 10000), 1, &port,
	    &why), -1);
	assert_string_equal(why, "out of range 0-65535");
	assert_int_equal(parse_port(make_big("", '5', BIG), 0, &port, &why),
	    -1);
	assert_string_equal(why, "out of range 1-65535");
	/* Leading zeros add nothing, however many. */
	make_big("", '0', 10000);
	strcpy(big + 10000, "53");
	assert_int_equal(parse_port(big, 0, &port, &why), 0);
	assert_int_equal(port, 53);
	/* Junk at the end of many digits is still junk. */
	make_big("", '9', 10000);
	strcpy(big + 10000, "x");
	assert_int_equal(parse_port(big, 0, &port, &why), -1);
	assert_string_equal(why, "not a number");
	assert_int_equal(parse_port(make_big("a", 'a', BIG - 1), 0, &port,
	    &why), -1);
	assert_string_equal(why, "not a number or service name");
	assert_int_equal(port, 53);
	/* A NULL why is allowed. */
	assert_int_equal(parse_port("x y", 0, &port, NULL), -1);
	assert_int_equal(parse_port(NULL, 0, &port, &why), -1);
	assert_string_equal(why, "empty");
}

/* Percentages, in millionths of a percent. */

struct percent_case {
	const char	*s;
	int		 rc;
	uint64_t	 want;		/* the value, or 7 when rejected */
	const char	*why;
};

static const struct percent_case percent_cases[] = {
	{ "0", 0, 0, NULL },
	{ "10", 0, 10000000, NULL },
	{ "10%", 0, 10000000, NULL },
	{ "2.5", 0, 2500000, NULL },
	{ "2.5%", 0, 2500000, NULL },
	{ "0.000001", 0, 1, NULL },
	{ "100", 0, 100000000, NULL },
	{ "100.000000", 0, 100000000, NULL },
	{ "007", 0, 7000000, NULL },
	{ "100.000001", -1, 7, "more than 100" },
	{ "101", -1, 7, "more than 100" },
	{ "99999999999999999999", -1, 7, "not a percentage" },
	{ "0.0000001", -1, 7, "more than six decimals" },
	{ "1.", -1, 7, "not a percentage" },
	{ ".5", -1, 7, "not a percentage" },
	{ "%", -1, 7, "not a percentage" },
	{ "5%%", -1, 7, "not a percentage" },
	{ "-1", -1, 7, "not a percentage" },
	{ "+1", -1, 7, "not a percentage" },
	{ "1.2.3", -1, 7, "not a percentage" },
	{ " 1", -1, 7, "not a percentage" },
	{ "1e1", -1, 7, "not a percentage" },
	{ "", -1, 7, "not a percentage" },
};

static void
test_percent(void **state)
{
	const struct percent_case *c;
	const char *why;
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(percent_cases); i++) {
		c = &percent_cases[i];
		why = NULL;
		v = 7;
		check_u64(c->s, "rc", (uint64_t)(int64_t)parse_percent(c->s,
		    &v, &why), (uint64_t)(int64_t)c->rc);
		check_u64(c->s, "value", v, c->want);
		if (c->why != NULL)
			check_str(c->s, "why", why, c->why);
	}
}

/* Counts. */

struct u64_case {
	const char	*s;
	uint64_t	 min, max;
	int		 rc;
	uint64_t	 want;		/* the value, or 7 when rejected */
	const char	*why;
};

static const struct u64_case u64_cases[] = {
	{ "0", 0, 10, 0, 0, NULL },
	{ "10", 0, 10, 0, 10, NULL },
	{ "1", 1, 1, 0, 1, NULL },
	{ "007", 0, 10, 0, 7, NULL },
	{ "4294967295", 0, 4294967295U, 0, 4294967295U, NULL },
	{ "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX, NULL },
	{ "11", 0, 10, -1, 7, "out of range" },
	{ "0", 1, 10, -1, 7, "out of range" },
	{ "4294967296", 0, 4294967295U, -1, 7, "out of range" },
	{ "18446744073709551616", 0, UINT64_MAX, -1, 7, "out of range" },
	{ "99999999999999999999", 0, UINT64_MAX, -1, 7, "out of range" },
	{ "-1", 0, UINT64_MAX, -1, 7, "not a number" },
	{ "abc", 0, UINT64_MAX, -1, 7, "not a number" },
	{ "1e9999", 0, UINT64_MAX, -1, 7, "not a number" },
	{ "1e3", 0, UINT64_MAX, -1, 7, "not a number" },
	{ "0x10", 0, UINT64_MAX, -1, 7, "not a number" },
	{ " 1", 0, UINT64_MAX, -1, 7, "not a number" },
	{ "1 ", 0, UINT64_MAX, -1, 7, "not a number" },
	{ "+1", 0, UINT64_MAX, -1, 7, "not a number" },
	{ "1.0", 0, UINT64_MAX, -1, 7, "not a number" },
	{ "99999999999999999999x", 0, UINT64_MAX, -1, 7, "not a number" },
	{ "", 0, UINT64_MAX, -1, 7, "empty" },
};

static void
test_u64(void **state)
{
	const struct u64_case *c;
	const char *why;
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(u64_cases); i++) {
		c = &u64_cases[i];
		why = NULL;
		v = 7;
		check_u64(c->s, "rc", (uint64_t)(int64_t)parse_u64(c->s,
		    c->min, c->max, &v, &why), (uint64_t)(int64_t)c->rc);
		check_u64(c->s, "value", v, c->want);
		if (c->why != NULL)
			check_str(c->s, "why", why, c->why);
	}
	why = NULL;
	assert_int_equal(parse_u64(make_big("", '9', BIG), 0, UINT64_MAX,
	    &v, &why), -1);
	assert_string_equal(why, "out of range");
}

/* Durations. */

struct dur_ok {
	const char	*s;
	uint64_t	 ms;
};

static const struct dur_ok dur_ok[] = {
	{ "250ms", 250 },
	{ "1.5", 1500 },
	{ "2m", 120000 },
	{ "0", 0 },
	{ "0ms", 0 },
	{ "0s", 0 },
	{ "0m", 0 },
	{ "0.000", 0 },
	{ "1", 1000 },
	{ "1s", 1000 },
	{ "0.25", 250 },
	{ "0.001", 1 },
	{ "0.0001", 1 },		/* rounded up, never 0 */
	{ "0.0011", 2 },
	{ "0.5ms", 1 },
	{ "1.000000000000000000000000001", 1001 },
	{ "0.1m", 6000 },
	{ "0.0000001m", 1 },
	{ "0.99999m", 60000 },		/* 59999.4 ms */
	{ "007", 7000 },
	{ "86400", 86400000 },
	{ "86400.000", 86400000 },
	{ "1440m", 86400000 },
	{ "86400000ms", 86400000 },
	{ "1439.9999m", 86399994 },
	{ "1439.99999m", 86400000 },	/* 86399999.4 ms, rounded up */
};

struct dur_bad {
	const char	*s;
	const char	*why;
};

static const struct dur_bad dur_bad[] = {
	{ "-1", "not a number" },
	{ "abc", "not a number" },
	{ "1e9999", "not a number" },
	{ "99999999999999999999", "out of range: at most one day" },
	{ "18446744073709551616ms", "out of range: at most one day" },
	{ "", "empty" },
	{ "1.", "not a number" },
	{ ".5", "not a number" },
	{ ".", "not a number" },
	{ "1 s", "not a number" },
	{ " 1", "not a number" },
	{ "1 ", "not a number" },
	{ "+1", "not a number" },
	{ "1h", "unknown unit: use ms, s or m" },
	{ "1S", "unknown unit: use ms, s or m" },
	{ "1MS", "unknown unit: use ms, s or m" },
	{ "1sec", "unknown unit: use ms, s or m" },
	{ "1mss", "unknown unit: use ms, s or m" },
	{ "1.5.2", "not a number" },
	{ "1.5e3", "not a number" },
	{ "1,5", "not a number" },
	{ "0x10", "not a number" },
	{ "ms", "not a number" },
	{ "s", "not a number" },
	{ "inf", "not a number" },
	{ "nan", "not a number" },
	{ "86400.001", "out of range: at most one day" },
	{ "86401", "out of range: at most one day" },
	{ "1440.0001m", "out of range: at most one day" },
	{ "1441m", "out of range: at most one day" },
	{ "86400001ms", "out of range: at most one day" },
	{ "86400000.1ms", "out of range: at most one day" },
};

static void
test_duration(void **state)
{
	const char *why;
	uint64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(dur_ok); i++) {
		why = NULL;
		ms = 7;
		if (parse_duration(dur_ok[i].s, &ms, &why) != 0)
			check_str(dur_ok[i].s, "why", why, "(accepted)");
		check_u64(dur_ok[i].s, "ms", ms, dur_ok[i].ms);
	}
	for (i = 0; i < NELEM(dur_bad); i++) {
		why = NULL;
		ms = 7;
		if (parse_duration(dur_bad[i].s, &ms, &why) != -1)
			check_u64(dur_bad[i].s, "ms (accepted)", ms, 7);
		check_str(dur_bad[i].s, "why", why, dur_bad[i].why);
		check_u64(dur_bad[i].s, "ms (untouched)", ms, 7);
	}
}

static void
test_duration_huge(void **state)
{
	const char *why = NULL;
	uint64_t ms = 7;

	(void)state;
	assert_int_equal(parse_duration(make_big("", '9', BIG), &ms, &why),
	    -1);
	assert_string_equal(why, "out of range: at most one day");
	/* A fraction of any length is exact: 0.000...0001 s is 1 ms. */
	make_big("0.", '0', BIG - 3);
	big[BIG - 1] = '1';
	big[BIG] = '\0';
	assert_int_equal(parse_duration(big, &ms, &why), 0);
	assert_int_equal(ms, 1);
	make_big("1.", '9', BIG - 4);
	strcpy(big + BIG - 2, "m");
	assert_int_equal(parse_duration(big, &ms, &why), 0);
	assert_int_equal(ms, 120000);
}

/* IPv4 and hosts. */

struct ipv4_ok {
	const char	*s;
	uint32_t	 want;		/* host order */
};

static const struct ipv4_ok ipv4_ok[] = {
	{ "0.0.0.0", 0 },
	{ "127.0.0.1", 0x7f000001 },
	{ "255.255.255.255", 0xffffffff },
	{ "192.0.2.7", 0xc0000207 },
	{ "10.0.100.200", 0x0a0064c8 },
};

static const char *const ipv4_bad[] = {
	"", "127.1", "0x7f.1", "0177.0.0.1", "2130706433", "1.2.3.",
	"256.1.1.1", "1.2.3.4.5", "01.2.3.4", "1.2.3.00", "1.2.3.4 ",
	" 1.2.3.4", "1..2.3", ".1.2.3", "1.2.3.1000", "1.2.3.-1",
	"1.2.3.+1", "1.2.3.4.", "1.2.3.4x", "0x7f.0.0.1", "1.2.3.256",
	"999.0.0.1", "1.2.3",
};

static void
test_ipv4(void **state)
{
	struct in_addr a;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(ipv4_ok); i++) {
		a.s_addr = 0x5a5a5a5a;
		if (parse_ipv4(ipv4_ok[i].s, &a) != 0)
			check_str(ipv4_ok[i].s, "result", "rejected",
			    "accepted");
		check_u64(ipv4_ok[i].s, "address", ntohl(a.s_addr),
		    ipv4_ok[i].want);
	}
	for (i = 0; i < NELEM(ipv4_bad); i++) {
		a.s_addr = 0x5a5a5a5a;
		if (parse_ipv4(ipv4_bad[i], &a) != -1)
			check_str(ipv4_bad[i], "result", "accepted",
			    "rejected");
		check_u64(ipv4_bad[i], "untouched", a.s_addr, 0x5a5a5a5a);
	}
}

struct host_ok {
	const char	*s;
	enum host_kind	 kind;
	const char	*buf;
};

static const struct host_ok host_ok[] = {
	{ "::1", HOST_IPV6, "::1" },
	{ "[::1]", HOST_IPV6, "::1" },
	{ "::", HOST_IPV6, "::" },
	{ "fe80::1%lo", HOST_IPV6, "fe80::1%lo" },
	{ "fe80::1%eth0", HOST_IPV6, "fe80::1%eth0" },
	{ "[fe80::1%eth0]", HOST_IPV6, "fe80::1%eth0" },
	{ "fe80::1%eth0.100", HOST_IPV6, "fe80::1%eth0.100" },
	{ "fe80::1%2", HOST_IPV6, "fe80::1%2" },
	{ "fe80::1%abcdefghijklmno", HOST_IPV6, "fe80::1%abcdefghijklmno" },
	{ "2001:db8::7", HOST_IPV6, "2001:db8::7" },
	{ "::ffff:192.0.2.7", HOST_IPV6, "::ffff:192.0.2.7" },
	{ "ff02::1", HOST_IPV6, "ff02::1" },
	{ "0000:0000:0000:0000:0000:ffff:255.255.255.255", HOST_IPV6,
	    "0000:0000:0000:0000:0000:ffff:255.255.255.255" },
	{ "127.0.0.1", HOST_IPV4, "127.0.0.1" },
	{ "0.0.0.0", HOST_IPV4, "0.0.0.0" },
	{ "255.255.255.255", HOST_IPV4, "255.255.255.255" },
	{ "localhost", HOST_NAME, "localhost" },
	{ "example.com", HOST_NAME, "example.com" },
	{ "example.com.", HOST_NAME, "example.com." },
	{ "Example.COM", HOST_NAME, "Example.COM" },
	{ "_sip._udp.example.com", HOST_NAME, "_sip._udp.example.com" },
	{ "a-b.c-d", HOST_NAME, "a-b.c-d" },
	{ "1.2.3.4.example", HOST_NAME, "1.2.3.4.example" },
	{ "123abc", HOST_NAME, "123abc" },
	{ "1e3", HOST_NAME, "1e3" },
	{ "x", HOST_NAME, "x" },
};

struct host_bad {
	const char	*s;
	const char	*why;
};

#define V4	"not a valid IPv4 address: use four decimal octets"
#define V6	"not a valid IPv6 address"
#define NAME	"not a valid host name"

static const struct host_bad host_bad[] = {
	{ "", "empty" },
	{ "256.1.1.1", V4 },
	{ "1.2.3.", V4 },
	{ "1.2.3.4.", V4 },
	{ "127.1", V4 },
	{ "0x7f.1", V4 },
	{ "0X7F.1", V4 },
	{ "0x7f000001", V4 },
	{ "0177.0.0.1", V4 },
	{ "2130706433", V4 },
	{ "1.2.3.4.5", V4 },
	{ "1..2.3", V4 },
	{ ".", V4 },
	{ "1.2.3.4 junk", V4 },
	{ "11::22::33", V6 },
	{ ":::", V6 },
	{ "1:2:3:4:5:6:7:8:9", V6 },
	{ "[::1", "missing ']' after an IPv6 address" },
	{ "[", "missing ']' after an IPv6 address" },
	{ "[]", V6 },
	{ "[127.0.0.1]", V6 },
	{ "[example.com]", V6 },
	{ "::1]", V6 },
	{ "[[::1]]", V6 },
	{ "[::1]:53", "missing ']' after an IPv6 address" },
	{ "::1%", "not a valid IPv6 scope" },
	{ "%eth0", NAME },
	{ "fe80::1%eth0%1", "not a valid IPv6 scope" },
	{ "fe80::1%eth 0", "not a valid IPv6 scope" },
	{ "fe80::1%abcdefghijklmnop", "not a valid IPv6 scope" },
	{ "fe80::1%eth0/1", "not a valid IPv6 scope" },
	{ "-example.com", "label starts or ends with '-' in host name" },
	{ "example-.com", "label starts or ends with '-' in host name" },
	{ "a..b", "empty label in host name" },
	{ ".example.com", "empty label in host name" },
	{ "example.com..", "empty label in host name" },
	{ "exa mple.com", NAME },
	{ "exa$mple.com", NAME },
	{ "b\xc3\xbc" "cher.de", NAME },
	{ "foo.123", "last label of a host name is all digits" },
	{ "foo.123.", "last label of a host name is all digits" },
	{ " localhost", NAME },
	{ "localhost ", NAME },
};

static void
test_host_accept(void **state)
{
	enum host_kind kind;
	char buf[300];
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(host_ok); i++) {
		why = NULL;
		kind = (enum host_kind)-1;
		strcpy(buf, "untouched");
		if (parse_host(host_ok[i].s, &kind, buf, sizeof(buf),
		    &why) != 0)
			check_str(host_ok[i].s, "why", why, "(accepted)");
		check_u64(host_ok[i].s, "kind", (uint64_t)kind,
		    (uint64_t)host_ok[i].kind);
		check_str(host_ok[i].s, "buf", buf, host_ok[i].buf);
	}
}

static void
test_host_reject(void **state)
{
	enum host_kind kind;
	char buf[300];
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(host_bad); i++) {
		why = NULL;
		kind = HOST_NAME;
		strcpy(buf, "untouched");
		if (parse_host(host_bad[i].s, &kind, buf, sizeof(buf),
		    &why) != -1)
			check_str(host_bad[i].s, "result", "accepted",
			    "rejected");
		check_str(host_bad[i].s, "why", why, host_bad[i].why);
		check_str(host_bad[i].s, "buf", buf, "untouched");
	}
}

/* Names at the length limits, and a buffer one byte short. */
static void
test_host_limits(void **state)
{
	enum host_kind kind;
	char buf[300], name[300];
	const char *why = NULL;
	size_t i;

	(void)state;
	/* Four labels of 63 and one of 1: exactly 253 characters. */
	for (i = 0; i < 253; i++)
		name[i] = (i + 1) % 64 == 0 ? '.' : 'a';
	name[253] = '\0';
	assert_int_equal(parse_host(name, &kind, buf, sizeof(buf), &why), 0);
	assert_int_equal(kind, HOST_NAME);
	assert_string_equal(buf, name);
	strcpy(name + 253, ".");
	assert_int_equal(parse_host(name, &kind, buf, sizeof(buf), &why), 0);
	assert_string_equal(buf, name);
	/* One more character, and the name is too long. */
	strcpy(name + 253, "a");
	assert_int_equal(parse_host(name, &kind, buf, sizeof(buf), &why), -1);
	assert_string_equal(why, "host name longer than 253 characters");
	/* A label of 64. */
	memset(name, 'a', 64);
	strcpy(name + 64, ".com");
	assert_int_equal(parse_host(name, &kind, buf, sizeof(buf), &why), -1);
	assert_string_equal(why,
	    "label longer than 63 characters in host name");
	/* The buffer must hold the text and its NUL. */
	assert_int_equal(parse_host("[::1]", &kind, buf, 4, &why), 0);
	assert_string_equal(buf, "::1");
	assert_int_equal(parse_host("[::1]", &kind, buf, 3, &why), -1);
	assert_string_equal(why, "too long");
	assert_int_equal(parse_host("localhost", &kind, buf, 9, &why), -1);
	assert_string_equal(why, "too long");
	assert_int_equal(parse_host("localhost", &kind, buf, 0, &why), -1);
	assert_string_equal(why, "too long");
	/* 1 MiB arguments of each kind. */
	assert_int_equal(parse_host(make_big("", 'a', BIG), &kind, buf,
	    sizeof(buf), &why), -1);
	assert_string_equal(why, "host name longer than 253 characters");
	assert_int_equal(parse_host(make_big("::", '1', BIG - 2), &kind, buf,
	    sizeof(buf), &why), -1);
	assert_string_equal(why, V6);
	assert_int_equal(parse_host(make_big("1.", '1', BIG - 2), &kind, buf,
	    sizeof(buf), &why), -1);
	assert_string_equal(why, V4);
	assert_int_equal(parse_host(make_big("fe80::1%", 'a', BIG - 8), &kind,
	    buf, sizeof(buf), &why), -1);
	assert_string_equal(why, "not a valid IPv6 scope");
}

/* Prefixes. */

struct prefix_ok {
	const char	*s;
	int		 family;
	unsigned	 len;
	unsigned char	 addr[16];
};

static const struct prefix_ok prefix_ok[] = {
	{ "10.0.0.0/8", AF_INET, 8, { 10 } },
	{ "192.0.2.7", AF_INET, 32, { 192, 0, 2, 7 } },
	{ "192.0.2.7/32", AF_INET, 32, { 192, 0, 2, 7 } },
	{ "192.0.2.0/24", AF_INET, 24, { 192, 0, 2, 0 } },
	{ "192.0.2.128/25", AF_INET, 25, { 192, 0, 2, 128 } },
	{ "0.0.0.0/0", AF_INET, 0, { 0 } },
	{ "10.0.0.0/08", AF_INET, 8, { 10 } },
	{ "::/0", AF_INET6, 0, { 0 } },
	{ "::1", AF_INET6, 128, { [15] = 1 } },
	{ "::1/128", AF_INET6, 128, { [15] = 1 } },
	{ "2001:db8::/32", AF_INET6, 32, { 0x20, 0x01, 0x0d, 0xb8 } },
	{ "fe80::/10", AF_INET6, 10, { 0xfe, 0x80 } },
	{ "fe80::/9", AF_INET6, 9, { 0xfe, 0x80 } },
	{ "0000:0000:0000:0000:0000:ffff:255.255.255.255", AF_INET6, 128,
	    { [10] = 0xff, [11] = 0xff, [12] = 255, 255, 255, 255 } },
	{ "::ffff:10.0.0.0/104", AF_INET6, 104,
	    { [10] = 0xff, [11] = 0xff, [12] = 10 } },
};

struct prefix_bad {
	const char	*s;
	const char	*why;
};

static const struct prefix_bad prefix_bad[] = {
	{ "", "empty" },
	{ "/8", "missing address" },
	{ "/", "missing address" },
	{ "10.0.0.0/", "prefix length not a number" },
	{ "10.0.0.0/33", "prefix length out of range 0-32" },
	{ "10.0.0.0/99999999999999999999999",
	    "prefix length out of range 0-32" },
	{ "::/129", "prefix length out of range 0-128" },
	{ "10.0.0.0/-1", "prefix length not a number" },
	{ "10.0.0.0/+8", "prefix length not a number" },
	{ "10.0.0.0/ 8", "prefix length not a number" },
	{ "10.0.0.0/8 ", "prefix length not a number" },
	{ "10.0.0.0/8/8", "prefix length not a number" },
	{ "10.0.0.0/0x8", "prefix length not a number" },
	{ "10.1.2.3/8", "host bits set beyond the prefix length" },
	{ "192.0.2.1/31", "host bits set beyond the prefix length" },
	{ "0.0.0.1/0", "host bits set beyond the prefix length" },
	{ "2001:db8::1/64", "host bits set beyond the prefix length" },
	{ "fe80::/8", "host bits set beyond the prefix length" },
	{ "10/8", V4 },
	{ "127.1", V4 },
	{ "0177.0.0.1/32", V4 },
	{ "256.0.0.0/8", V4 },
	{ "example.com/8", V4 },
	{ "11::22::33/64", V6 },
	{ "fe80::1%eth0/128", V6 },
	{ "[::1]/128", V6 },
	{ "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000/8", V6 },
	{ "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000", V6 },
};

static void
test_prefix(void **state)
{
	unsigned char addr[16];
	const struct prefix_ok *c;
	const char *why;
	unsigned len;
	int family;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(prefix_ok); i++) {
		c = &prefix_ok[i];
		why = NULL;
		memset(addr, 0x5a, sizeof(addr));
		if (parse_prefix(c->s, &family, addr, &len, &why) != 0)
			check_str(c->s, "why", why, "(accepted)");
		check_u64(c->s, "family", (uint64_t)family,
		    (uint64_t)c->family);
		check_u64(c->s, "len", len, c->len);
		if (memcmp(addr, c->addr, sizeof(addr)) != 0)
			check_str(c->s, "addr", "differs", "equal");
	}
	for (i = 0; i < NELEM(prefix_bad); i++) {
		why = NULL;
		family = -7;
		len = 7;
		if (parse_prefix(prefix_bad[i].s, &family, addr, &len,
		    &why) != -1)
			check_str(prefix_bad[i].s, "result", "accepted",
			    "rejected");
		check_str(prefix_bad[i].s, "why", why, prefix_bad[i].why);
		check_u64(prefix_bad[i].s, "family", (uint64_t)(int64_t)family,
		    (uint64_t)(int64_t)-7);
		check_u64(prefix_bad[i].s, "len", len, 7);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_accept),
		cmocka_unit_test(test_port_service),
		cmocka_unit_test(test_port_reject),
		cmocka_unit_test(test_port_huge),
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_duration_huge),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_host_accept),
		cmocka_unit_test(test_host_reject),
		cmocka_unit_test(test_host_limits),
		cmocka_unit_test(test_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
