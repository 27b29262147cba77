/* test_allow.c: tables of prefixes and senders for the --allow set. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "allow.h"
#include "parse.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Adds each comma-separated prefix of list (parsed by parse_prefix). */
static void
add_list(struct allow *set, const char *list)
{
	char buf[512], *p, *save = NULL;
	unsigned char addr[16];
	const char *why;
	unsigned len;
	int family;

	snprintf(buf, sizeof(buf), "%s", list);
	for (p = strtok_r(buf, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		if (parse_prefix(p, &family, addr, &len, &why) == -1) {
			print_error("bad prefix '%s' in the table: %s\n", p,
			    why);
			fail();
		}
		assert_int_equal(allow_add(set, family, addr, len), 0);
	}
}

/* Matches the address s (IPv4 or IPv6 text) against set. */
static int
match_text(struct allow *set, const char *s)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		return allow_match(set, AF_INET, a);
	if (inet_pton(AF_INET6, s, a) == 1)
		return allow_match(set, AF_INET6, a);
	print_error("bad address '%s' in the table\n", s);
	fail();
	return -1;
}

struct match_case {
	const char	*prefixes;	/* comma-separated */
	const char	*sender;
	int		 want;
};

static const struct match_case match_cases[] = {
	/* empty set: nothing matches (the caller treats "no --allow") */
	{ "",				"127.0.0.1",		0 },
	/* /0 takes the whole family, and only it */
	{ "0.0.0.0/0",			"255.255.255.255",	1 },
	{ "0.0.0.0/0",			"0.0.0.0",		1 },
	{ "0.0.0.0/0",			"::1",			0 },
	{ "::/0",			"ffff:ffff::1",		1 },
	{ "::/0",			"10.0.0.1",		0 },
	/* an IPv4-mapped sender matches IPv4 prefixes, not IPv6 ones */
	{ "10.0.0.0/8",			"::ffff:10.1.2.3",	1 },
	{ "10.0.0.0/8",			"::ffff:11.1.2.3",	0 },
	{ "::/0",			"::ffff:10.1.2.3",	0 },
	{ "::ffff:0:0/96",		"::ffff:10.1.2.3",	0 },
	/* /32 and /128: one host */
	{ "192.0.2.7/32",		"192.0.2.7",		1 },
	{ "192.0.2.7/32",		"192.0.2.6",		0 },
	{ "192.0.2.7/32",		"192.0.2.8",		0 },
	{ "192.0.2.7",			"192.0.2.7",		1 },
	{ "2001:db8::7/128",		"2001:db8::7",		1 },
	{ "2001:db8::7/128",		"2001:db8::6",		0 },
	{ "2001:db8::7",		"2001:db8::7",		1 },
	/* /1: half of the space */
	{ "128.0.0.0/1",		"128.0.0.0",		1 },
	{ "128.0.0.0/1",		"255.1.1.1",		1 },
	{ "128.0.0.0/1",		"127.255.255.255",	0 },
	{ "0.0.0.0/1",			"127.255.255.255",	1 },
	{ "0.0.0.0/1",			"128.0.0.0",		0 },
	{ "8000::/1",			"ffff::",		1 },
	{ "8000::/1",			"7fff:ffff::",		0 },
	/* lengths that cut a byte, first and last addresses inside */
	{ "10.1.0.0/17",		"10.1.127.255",		1 },
	{ "10.1.0.0/17",		"10.1.128.0",		0 },
	{ "10.1.0.0/17",		"10.0.255.255",		0 },
	{ "10.1.2.4/31",		"10.1.2.5",		1 },
	{ "10.1.2.4/31",		"10.1.2.6",		0 },
	{ "2001:db8:8000::/33",		"2001:db8:ffff::1",	1 },
	{ "2001:db8:8000::/33",		"2001:db8:7fff::1",	0 },
	{ "2001:db8::/127",		"2001:db8::1",		1 },
	{ "2001:db8::/127",		"2001:db8::2",		0 },
	/* several lengths and families at once; order does not matter */
	{ "10.0.0.0/8,192.168.1.0/24,2001:db8::/32", "192.168.1.200", 1 },
	{ "10.0.0.0/8,192.168.1.0/24,2001:db8::/32", "192.168.2.1", 0 },
	{ "10.0.0.0/8,192.168.1.0/24,2001:db8::/32", "2001:db8:1::", 1 },
	{ "10.0.0.0/8,192.168.1.0/24,2001:db8::/32", "2001:db9::", 0 },
	{ "192.168.1.0/24,10.0.0.0/8",	"10.255.0.1",		1 },
	/* duplicates and nested prefixes */
	{ "10.0.0.0/8,10.0.0.0/8,10.1.0.0/16", "10.1.0.1",	1 },
	{ "10.0.0.0/8,10.0.0.0/8,10.1.0.0/16", "10.2.0.1",	1 },
	{ "10.0.0.0/8,10.0.0.0/8,10.1.0.0/16", "11.1.0.1",	0 },
};

static void
test_match_table(void **state)
{
	struct allow set;
	size_t i;
	int got, pass;

	(void)state;
	for (i = 0; i < NELEM(match_cases); i++) {
		const struct match_case *c = &match_cases[i];

		allow_init(&set);
		add_list(&set, c->prefixes);
		for (pass = 0; pass < 2; pass++) {
			got = match_text(&set, c->sender);
			if (got != c->want) {
				print_error("prefixes '%s', sender '%s'%s: %d, "
				    "want %d\n", c->prefixes, c->sender,
				    pass ? " (sorted)" : "", got, c->want);
				fail();
			}
			allow_sort(&set);	/* the second pass bisects */
		}
		allow_free(&set);
	}
}

/* Bits beyond the length are ignored, not stored: the prefix is masked. */
static void
test_host_bits_masked(void **state)
{
	struct allow set;
	unsigned char a[4] = { 10, 1, 2, 3 }, b[4] = { 10, 9, 9, 9 };

	(void)state;
	allow_init(&set);
	assert_int_equal(allow_add(&set, AF_INET, a, 8), 0);
	assert_int_equal(allow_match(&set, AF_INET, b), 1);
	allow_free(&set);
}

/*
 * Sorting drops duplicates and marks the list for bisection (the 100,000
 * lookups of test_many would take minutes one by one).
 */
static void
test_sort_dedups(void **state)
{
	struct allow set;

	(void)state;
	allow_init(&set);
	add_list(&set, "10.0.0.0/8,10.0.0.0/8,11.0.0.0/8,10.0.0.0/8");
	assert_int_equal(set.v4[8].n, 4);
	allow_sort(&set);
	assert_int_equal(set.v4[8].n, 2);
	assert_true(set.v4[8].sorted);
	assert_int_equal(allow_count(&set), 4);	/* as added */
	allow_free(&set);
	assert_int_equal(allow_count(&set), 0);
}

struct reject_case {
	int		family;
	unsigned	len;
};

static const struct reject_case reject_cases[] = {
	{ AF_INET, 33 }, { AF_INET, 128 }, { AF_INET6, 129 },
	{ AF_UNSPEC, 0 }, { AF_UNIX, 8 },
};

static void
test_add_rejects(void **state)
{
	struct allow set;
	unsigned char a[16] = { 0 };
	size_t i;

	(void)state;
	allow_init(&set);
	for (i = 0; i < NELEM(reject_cases); i++) {
		errno = 0;
		assert_int_equal(allow_add(&set, reject_cases[i].family, a,
		    reject_cases[i].len), -1);
		assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(allow_count(&set), 0);
	allow_free(&set);
}

/* Sockaddrs: IPv4, IPv6, IPv4-mapped IPv6, and a family not matched. */
static void
test_match_sa(void **state)
{
	struct allow set;
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	struct sockaddr un = { .sa_family = AF_UNIX };

	(void)state;
	allow_init(&set);
	add_list(&set, "127.0.0.0/8,::1");
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	inet_pton(AF_INET, "127.3.4.5", &s4.sin_addr);
	assert_int_equal(allow_match_sa(&set, (struct sockaddr *)&s4), 1);
	inet_pton(AF_INET, "128.0.0.1", &s4.sin_addr);
	assert_int_equal(allow_match_sa(&set, (struct sockaddr *)&s4), 0);
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::1", &s6.sin6_addr);
	assert_int_equal(allow_match_sa(&set, (struct sockaddr *)&s6), 1);
	inet_pton(AF_INET6, "::ffff:127.0.0.9", &s6.sin6_addr);
	assert_int_equal(allow_match_sa(&set, (struct sockaddr *)&s6), 1);
	inet_pton(AF_INET6, "::2", &s6.sin6_addr);
	assert_int_equal(allow_match_sa(&set, (struct sockaddr *)&s6), 0);
	assert_int_equal(allow_match_sa(&set, &un), 0);
	allow_free(&set);
}

/*
 * 5,000 and then 100,000 host prefixes, one per 10.x.y.z address with z
 * odd, added in a scrambled order and sorted half-way: every one matches,
 * its even neighbours do not, and adds after a sort are found too.
 */
static void
test_many(void **state)
{
	static const unsigned sizes[] = { 5000, 100000 };
	struct allow set;
	unsigned char a[4];
	unsigned s, i, k, n;

	(void)state;
	for (s = 0; s < NELEM(sizes); s++) {
		n = sizes[s];
		allow_init(&set);
		for (i = 0; i < n; i++) {
			k = (i * 7919u) % n;	/* 7919 prime: a permutation */
			a[0] = 10;
			a[1] = (unsigned char)(k >> 15);
			a[2] = (unsigned char)(k >> 7);
			a[3] = (unsigned char)((k & 0x7f) << 1 | 1);
			assert_int_equal(allow_add(&set, AF_INET, a, 32), 0);
			if (i == n / 2) {	/* sorted, then unsorted */
				allow_sort(&set);
				assert_int_equal(allow_match(&set, AF_INET,
				    a), 1);
			}
		}
		assert_int_equal(allow_count(&set), n);
		allow_sort(&set);
		for (k = 0; k < n; k++) {
			a[0] = 10;
			a[1] = (unsigned char)(k >> 15);
			a[2] = (unsigned char)(k >> 7);
			a[3] = (unsigned char)((k & 0x7f) << 1 | 1);
			if (allow_match(&set, AF_INET, a) != 1) {
				print_error("%u of %u: 10.%u.%u.%u not found\n",
				    k, n, a[1], a[2], a[3]);
				fail();
			}
			a[3] &= 0xfe;
			assert_int_equal(allow_match(&set, AF_INET, a), 0);
		}
		allow_free(&set);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_host_bits_masked),
		cmocka_unit_test(test_sort_dedups),
		cmocka_unit_test(test_add_rejects),
		cmocka_unit_test(test_match_sa),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
