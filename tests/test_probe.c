/* test_probe.c: the probe codec of udpcat ping, byte for byte. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "probe.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* A probe built, and its first 16 bytes as they must be on the wire. */
static const struct {
	size_t		size;
	uint32_t	seq;
	uint32_t	id;
	const char	*hdr;		/* 16 bytes */
} builds[] = {
	{ 16, 0, 0, "udpcping\0\0\0\0\0\0\0\0" },
	{ 64, 0, 0x01020304, "udpcping\0\0\0\0\x01\x02\x03\x04" },
	{ 64, 1, 0xdeadbeef, "udpcping\0\0\0\x01\xde\xad\xbe\xef" },
	{ 17, 0x12345678, 7, "udpcping\x12\x34\x56\x78\0\0\0\x07" },
	{ 1500, 0xffffffff, 0xffffffff,
	    "udpcping\xff\xff\xff\xff\xff\xff\xff\xff" },
	{ 65507, 256, 65536, "udpcping\0\0\x01\0\0\x01\0\0" },
};

static void
test_build(void **state)
{
	unsigned char *buf;
	size_t i, j;

	(void)state;
	for (i = 0; i < NELEM(builds); i++) {
		buf = malloc(builds[i].size + 1);
		assert_non_null(buf);
		memset(buf, 0xaa, builds[i].size + 1);
		probe_build(buf, builds[i].size, builds[i].seq, builds[i].id);
		assert_memory_equal(buf, builds[i].hdr, PROBE_HDR);
		for (j = PROBE_HDR; j < builds[i].size; j++)
			assert_int_equal(buf[j], 0);
		assert_int_equal(buf[builds[i].size], 0xaa);	/* no overrun */
		/* What it builds, it reads back. */
		assert_int_equal(probe_parse(buf, builds[i].size,
		    builds[i].id), builds[i].seq);
		free(buf);
	}
}

static void
test_set_seq(void **state)
{
	unsigned char a[64], b[64];
	uint32_t seq;

	(void)state;
	probe_build(a, sizeof(a), 0, 0xcafe);
	for (seq = 1; seq < 100000; seq += 997) {
		probe_set_seq(a, seq);
		probe_build(b, sizeof(b), seq, 0xcafe);
		assert_memory_equal(a, b, sizeof(a));
	}
}

/* Replies: which are ours (their sequence number), which are foreign. */
static const struct {
	const char	*what;
	const char	*data;
	size_t		len;
	uint32_t	id;
	int64_t		want;
} parses[] = {
	{ "ours", "udpcping\0\0\0\x05\0\0\0\x09", 16, 9, 5 },
	{ "ours, longer", "udpcping\0\0\0\x05\0\0\0\x09zzzz", 20, 9, 5 },
	{ "highest seq", "udpcping\xff\xff\xff\xff\0\0\0\x09", 16, 9,
	    0xffffffffLL },
	{ "other run", "udpcping\0\0\0\x05\0\0\0\x08", 16, 9, PROBE_FOREIGN },
	{ "id byte order", "udpcping\0\0\0\x05\x09\0\0\0", 16, 9,
	    PROBE_FOREIGN },
	{ "short by one", "udpcping\0\0\0\x05\0\0\0", 15, 0, PROBE_FOREIGN },
	{ "magic only", "udpcping", 8, 0, PROBE_FOREIGN },
	{ "empty", "", 0, 0, PROBE_FOREIGN },
	{ "magic case", "UDPCPING\0\0\0\x05\0\0\0\x09", 16, 9, PROBE_FOREIGN },
	{ "magic cut", "udpcpin\0\0\0\0\x05\0\0\0\x09", 16, 9, PROBE_FOREIGN },
	{ "garbage", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3"
	    "\xf2\xf1\xf0", 16, 0xf3f2f1f0, PROBE_FOREIGN },
	{ "zeros", "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, 0, PROBE_FOREIGN },
};

static void
test_parse(void **state)
{
	size_t i;
	int64_t got;

	(void)state;
	for (i = 0; i < NELEM(parses); i++) {
		got = probe_parse((const unsigned char *)parses[i].data,
		    parses[i].len, parses[i].id);
		if (got != parses[i].want)
			fail_msg("%s: got %lld, want %lld", parses[i].what,
			    (long long)got, (long long)parses[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_set_seq),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
