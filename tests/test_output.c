/* test_output.c: peer names, output records, JSON and the output buffer. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/mman.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define T_SEC		1795473466	/* 2026-11-23T22:37:46Z */
#define T_NSEC		123456789
#define NO_IF		4000000000u	/* an interface index nobody has */
#define SCOPE_LO	1		/* in a table: the index of "lo" */

/* Linked with -Wl,--wrap=if_indextoname: the calls are counted. */
char	*__real_if_indextoname(unsigned, char *);
char	*__wrap_if_indextoname(unsigned, char *);

static unsigned long	indextoname_calls;

char *
__wrap_if_indextoname(unsigned ifindex, char *name)
{
	indextoname_calls++;
	return __real_if_indextoname(ifindex, name);
}

/* Fills ss with addr (IPv4, or IPv6 with scope) and port. */
static socklen_t
make_sa(struct sockaddr_storage *ss, const char *addr, unsigned port,
    unsigned scope)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		return sizeof(*sin);
	}
	assert_int_equal(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	if (scope == SCOPE_LO)
		scope = if_nametoindex("lo");
	sin6->sin6_scope_id = scope;
	return sizeof(*sin6);
}

/* Peers. */

struct peer_case {
	const char	*addr;
	unsigned	 port;
	unsigned	 scope;
	const char	*peer;		/* out_peer() */
	const char	*bare;		/* out_addr() */
};

static const struct peer_case peers[] = {
	{ "192.0.2.7", 5353, 0, "192.0.2.7:5353", "192.0.2.7" },
	{ "0.0.0.0", 0, 0, "0.0.0.0:0", "0.0.0.0" },
	{ "255.255.255.255", 65535, 0, "255.255.255.255:65535",
	  "255.255.255.255" },
	{ "10.0.100.9", 1, 0, "10.0.100.9:1", "10.0.100.9" },
	{ "2001:db8::1", 53, 0, "[2001:db8::1]:53", "2001:db8::1" },
	{ "::1", 9, 0, "[::1]:9", "::1" },
	{ "::", 0, 0, "[::]:0", "::" },
	{ "2001:DB8:0:0:1:0:0:1", 443, 0, "[2001:db8::1:0:0:1]:443",
	  "2001:db8::1:0:0:1" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, 0,
	  "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
	{ "fe80::1", 53, SCOPE_LO, "[fe80::1%lo]:53", "fe80::1%lo" },
	{ "fe80::1", 53, NO_IF, "[fe80::1%4000000000]:53",
	  "fe80::1%4000000000" },
	{ "1::", 1, 0, "[1::]:1", "1::" },
	{ "1:0:2::", 1, 0, "[1:0:2::]:1", "1:0:2::" },
	{ "::2:0:0:0:0:0", 1, 0, "[0:0:2::]:1", "0:0:2::" },
	{ "1:0:0:2:0:0:0:3", 1, 0, "[1:0:0:2::3]:1", "1:0:0:2::3" },
	{ "1:2:3:4:5:6:7:0", 1, 0, "[1:2:3:4:5:6:7:0]:1", "1:2:3:4:5:6:7:0" },
	{ "::ffff:0:0:1", 1, 0, "[::ffff:0:0:1]:1", "::ffff:0:0:1" },
	{ "::ffff:192.0.2.7", 53, 0, "192.0.2.7:53", "192.0.2.7" },
	{ "::ffff:0.0.0.0", 7, 0, "0.0.0.0:7", "0.0.0.0" },
};

static void
test_peer(void **state)
{
	struct sockaddr_storage	ss;
	socklen_t		sl;
	char			buf[PEER_MAX];
	unsigned		port;
	size_t			i;
	int			n;

	(void)state;
	for (i = 0; i < NELEM(peers); i++) {
		sl = make_sa(&ss, peers[i].addr, peers[i].port,
		    peers[i].scope);
		n = out_peer((struct sockaddr *)&ss, sl, buf);
		if (n < 0 || strcmp(buf, peers[i].peer) != 0 ||
		    (size_t)n != strlen(peers[i].peer))
			fail_msg("%s: peer '%s', want '%s'", peers[i].addr,
			    n < 0 ? "(failed)" : buf, peers[i].peer);
		port = 99999;
		n = out_addr((struct sockaddr *)&ss, sl, buf, &port);
		if (n < 0 || strcmp(buf, peers[i].bare) != 0 ||
		    (size_t)n != strlen(peers[i].bare) ||
		    port != peers[i].port)
			fail_msg("%s: addr '%s' %u, want '%s'", peers[i].addr,
			    n < 0 ? "(failed)" : buf, port, peers[i].bare);
	}
}

/*
 * IPv6 text is the same as inet_ntop()'s, over addresses with zero runs
 * of every length and groups of every width; glibc writes the deprecated
 * IPv4-compatible ::a.b.c.d in dots, so those are checked apart.
 */
static void
test_peer_ipv6_oracle(void **state)
{
	static const unsigned	 masks[] = { 0, 0xf, 0xff, 0xfff, 0xffff };
	struct sockaddr_in6	 sin6;
	char			 buf[PEER_MAX], want[INET6_ADDRSTRLEN];
	unsigned		 port, v;
	uint32_t		 seed = 1;
	size_t			 i, g;

	(void)state;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	for (i = 0; i < 100000; i++) {
		for (g = 0; g < 8; g++) {
			seed = seed * 1103515245 + 12345;
			v = seed >> 8 & masks[(seed >> 28) % NELEM(masks)];
			sin6.sin6_addr.s6_addr[2 * g] = (unsigned char)(v >> 8);
			sin6.sin6_addr.s6_addr[2 * g + 1] = (unsigned char)v;
		}
		if (memcmp(sin6.sin6_addr.s6_addr, "\0\0\0\0\0\0\0\0\0\0",
		    10) == 0)
			continue;
		inet_ntop(AF_INET6, &sin6.sin6_addr, want, sizeof(want));
		assert_true(out_addr((struct sockaddr *)&sin6, sizeof(sin6),
		    buf, &port) > 0);
		if (strcmp(buf, want) != 0)
			fail_msg("'%s', want '%s'", buf, want);
	}
	assert_int_equal(inet_pton(AF_INET6, "::1.2.3.4", &sin6.sin6_addr), 1);
	assert_true(out_addr((struct sockaddr *)&sin6, sizeof(sin6), buf,
	    &port) > 0);
	assert_string_equal(buf, "::102:304");
}

/* A family it does not know, or a short address, is refused. */
static void
test_peer_unknown(void **state)
{
	struct sockaddr_storage	ss;
	struct sockaddr_un	sun;
	socklen_t		sl;
	char			buf[PEER_MAX];
	unsigned		port;

	(void)state;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_APPLETALK;
	errno = 0;
	assert_int_equal(out_peer((struct sockaddr *)&sun, sizeof(sun), buf),
	    -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_int_equal(out_addr((struct sockaddr *)&sun, sizeof(sun), buf,
	    &port), -1);
	sl = make_sa(&ss, "2001:db8::1", 53, 0);
	assert_int_equal(out_peer((struct sockaddr *)&ss, sl - 1, buf), -1);
	sl = make_sa(&ss, "192.0.2.1", 53, 0);
	assert_int_equal(out_peer((struct sockaddr *)&ss, sl - 1, buf), -1);
	assert_int_equal(out_peer(NULL, 0, buf), -1);
}

/* Formats d in a buffer of exactly the bound, checking the bound. */
static size_t
format(const struct out_fmt *f, const struct dgram *d, char **out)
{
	size_t	max = out_record_max(f, d->len), n, i;

	assert_non_null(*out = malloc(max + 64));
	memset(*out + max, 0xa5, 64);
	n = out_format(f, d, *out);
	if (n > max)
		fail_msg("wrote %zu bytes, bound %zu", n, max);
	for (i = 0; i < 64; i++)
		if ((unsigned char)(*out)[max + i] != 0xa5)
			fail_msg("wrote past the bound %zu", max);
	return n;
}

/* Output records, byte for byte. */

struct fmt_case {
	const char	*name;
	struct out_fmt	 f;
	const char	*data;
	size_t		 len;
	size_t		 size;		/* 0: len */
	const char	*from;		/* NULL: a family it does not know */
	unsigned	 port;
	unsigned	 scope;
	const char	*want;
	size_t		 wantlen;
};

#define D(s)	s, sizeof(s) - 1
#define W(s)	s, sizeof(s) - 1

/* The bytes 0 to 255, in order. */
static char	all_bytes[256];

static const struct fmt_case fmts[] = {
	{ "raw line", { ENC_RAW, OUT_LINE, 0, 0 }, D("hello"), 0,
	  "192.0.2.7", 5353, 0, W("hello\n") },
	{ "raw nul", { ENC_RAW, OUT_NUL, 0, 0 }, D("hel\nlo"), 0,
	  "192.0.2.7", 5353, 0, W("hel\nlo\0") },
	{ "raw none", { ENC_RAW, OUT_NONE, 0, 0 }, D("he\0llo"), 0,
	  "192.0.2.7", 5353, 0, W("he\0llo") },
	{ "length", { ENC_RAW, OUT_LENGTH, 0, 0 }, D("hello"), 0,
	  "192.0.2.7", 5353, 0, W("\0\5hello") },
	{ "length ignores -e and -P", { ENC_HEX, OUT_LENGTH, 0, 1 },
	  D("a\nb"), 0, "192.0.2.7", 5353, 0, W("\0\3a\nb") },
	{ "length empty", { ENC_RAW, OUT_LENGTH, 0, 0 }, D(""), 0,
	  "192.0.2.7", 5353, 0, W("\0\0") },
	{ "raw line empty", { ENC_RAW, OUT_LINE, 0, 0 }, D(""), 0,
	  "192.0.2.7", 5353, 0, W("\n") },
	{ "hex line", { ENC_HEX, OUT_LINE, 0, 0 }, D("hel\xff"), 0,
	  "192.0.2.7", 5353, 0, W("68656cff\n") },
	{ "base64 nul", { ENC_BASE64, OUT_NUL, 0, 0 }, D("hello"), 0,
	  "192.0.2.7", 5353, 0, W("aGVsbG8=\0") },
	{ "text line", { ENC_TEXT, OUT_LINE, 0, 0 }, D("a\nb\\\"\r\xff"), 0,
	  "192.0.2.7", 5353, 0, W("a\\nb\\\\\"\\r\\xff\n") },
	{ "peer IPv4", { ENC_RAW, OUT_LINE, 0, 1 }, D("hello"), 0,
	  "192.0.2.7", 5353, 0, W("192.0.2.7:5353 hello\n") },
	{ "peer IPv6", { ENC_TEXT, OUT_NUL, 0, 1 }, D("hi\n"), 0,
	  "2001:db8::1", 53, 0, W("[2001:db8::1]:53 hi\\n\0") },
	{ "peer scoped", { ENC_HEX, OUT_LINE, 0, 1 }, D("hi"), 0,
	  "fe80::1", 53, SCOPE_LO, W("[fe80::1%lo]:53 6869\n") },
	{ "peer mapped", { ENC_RAW, OUT_LINE, 0, 1 }, D("hi"), 0,
	  "::ffff:192.0.2.7", 53, 0, W("192.0.2.7:53 hi\n") },
	{ "peer unknown", { ENC_RAW, OUT_LINE, 0, 1 }, D("hi"), 0,
	  NULL, 0, 0, W("?:0 hi\n") },
	{ "peer unix path", { ENC_RAW, OUT_LINE, 0, 1 }, D("hi"), 0,
	  "unix:/run/a b", 0, 0, W("/run/a b hi\n") },
	{ "peer unix escaped", { ENC_RAW, OUT_LINE, 0, 1 }, D("hi"), 0,
	  "unix:/t/\x1b[1m\"", 0, 0, W("/t/\\x1b[1m\" hi\n") },
	{ "peer unix abstract", { ENC_RAW, OUT_LINE, 0, 1 }, D("hi"), 0,
	  "unix:@srv", 0, 0, W("@srv hi\n") },
	{ "peer unix unnamed", { ENC_RAW, OUT_LINE, 0, 1 }, D("hi"), 0,
	  "unix:", 0, 0, W("unnamed hi\n") },
	{ "json unix", { ENC_HEX, OUT_LINE, 1, 0 }, D("\x01"), 0,
	  "unix:/t/\"q\"", 0, 0, W("{\"time\":\"2026-11-23T22:37:46.123456Z\","
	  "\"from\":\"/t/\\\"q\\\"\",\"port\":null,\"size\":1,"
	  "\"truncated\":false,\"data\":\"01\"}\n") },
	{ "peer empty", { ENC_RAW, OUT_NONE, 0, 1 }, D(""), 0,
	  "192.0.2.7", 1, 0, W("192.0.2.7:1 ") },
	{ "json base64", { ENC_BASE64, OUT_LINE, 1, 0 }, D("hello"), 0,
	  "192.0.2.7", 5353, 0,
	  W("{\"time\":\"2026-11-23T22:37:46.123456Z\",\"from\":\"192.0.2.7\","
	  "\"port\":5353,\"size\":5,\"truncated\":false,"
	  "\"data\":\"aGVsbG8=\"}\n") },
	{ "json truncated", { ENC_BASE64, OUT_NUL, 1, 1 }, D("hello"), 9000,
	  "192.0.2.7", 5353, 0,
	  W("{\"time\":\"2026-11-23T22:37:46.123456Z\",\"from\":\"192.0.2.7\","
	  "\"port\":5353,\"size\":9000,\"truncated\":true,"
	  "\"data\":\"aGVsbG8=\"}\n") },
	{ "json hex", { ENC_HEX, OUT_LINE, 1, 0 }, D("a\"b\\c\xff\0\n"), 0,
	  "2001:db8::1", 53, 0,
	  W("{\"time\":\"2026-11-23T22:37:46.123456Z\","
	  "\"from\":\"2001:db8::1\",\"port\":53,\"size\":8,\"truncated\":false,"
	  "\"data\":\"6122625c63ff000a\"}\n") },
	{ "json text", { ENC_TEXT, OUT_LINE, 1, 0 }, D("a\"b\\c\xff\0\n"), 0,
	  "fe80::1", 53, SCOPE_LO,
	  W("{\"time\":\"2026-11-23T22:37:46.123456Z\",\"from\":\"fe80::1%lo\","
	  "\"port\":53,\"size\":8,\"truncated\":false,"
	  "\"data\":\"a\\\"b\\\\\\\\c\\\\xff\\\\0\\\\n\"}\n") },
	{ "json text plain", { ENC_TEXT, OUT_LINE, 1, 0 }, D("hi there"), 0,
	  "::ffff:10.1.2.3", 65535, 0,
	  W("{\"time\":\"2026-11-23T22:37:46.123456Z\",\"from\":\"10.1.2.3\","
	  "\"port\":65535,\"size\":8,\"truncated\":false,"
	  "\"data\":\"hi there\"}\n") },
	{ "json empty", { ENC_TEXT, OUT_LINE, 1, 0 }, D(""), 0,
	  "192.0.2.7", 5353, 0,
	  W("{\"time\":\"2026-11-23T22:37:46.123456Z\",\"from\":\"192.0.2.7\","
	  "\"port\":5353,\"size\":0,\"truncated\":false,\"data\":\"\"}\n") },
	{ "json unknown peer", { ENC_HEX, OUT_LINE, 1, 0 }, D("\x01"), 0,
	  NULL, 0, 0,
	  W("{\"time\":\"2026-11-23T22:37:46.123456Z\",\"from\":\"?\","
	  "\"port\":0,\"size\":1,\"truncated\":false,\"data\":\"01\"}\n") },
};

/* Fills d for a case; ss holds the sender. */
static void
make_dgram(struct dgram *d, struct sockaddr_storage *ss, const char *data,
    size_t len, const char *from, unsigned port, unsigned scope)
{
	static struct sockaddr_un	sun;
	size_t				n;

	memset(d, 0, sizeof(*d));
	d->data = (const unsigned char *)data;
	d->len = d->size = len;
	d->time.tv_sec = T_SEC;
	d->time.tv_nsec = T_NSEC;
	if (from != NULL && strncmp(from, "unix:", 5) == 0) {
		/* "unix:" alone is unnamed; "unix:@N" is abstract. */
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		n = strlen(from + 5);
		memcpy(sun.sun_path, from + 5, n);
		if (from[5] == '@')
			sun.sun_path[0] = '\0';
		d->from = (struct sockaddr *)&sun;
		d->fromlen = (socklen_t)(sizeof(sa_family_t) + n +
		    (n > 0 && from[5] != '@'));
	} else if (from != NULL) {
		d->fromlen = make_sa(ss, from, port, scope);
		d->from = (struct sockaddr *)ss;
	} else {
		/* A family output.c does not know. */
		memset(ss, 0, sizeof(*ss));
		ss->ss_family = AF_APPLETALK;
		d->from = (struct sockaddr *)ss;
		d->fromlen = sizeof(*ss);
	}
}

static void
test_format(void **state)
{
	const struct fmt_case	*c;
	struct sockaddr_storage	 ss;
	struct dgram		 d;
	char			*out;
	size_t			 i, n;

	(void)state;
	for (i = 0; i < NELEM(fmts); i++) {
		c = &fmts[i];
		make_dgram(&d, &ss, c->data, c->len, c->from, c->port,
		    c->scope);
		if (c->size != 0)
			d.size = c->size;
		n = format(&c->f, &d, &out);
		if (n != c->wantlen || memcmp(out, c->want, n) != 0)
			fail_msg("%s: got %zu bytes '%.*s', want '%s'",
			    c->name, n, (int)n, out, c->want);
		free(out);
	}
}

/* All 256 byte values, raw, with each delimiter and in length frames. */
static void
test_format_all_bytes(void **state)
{
	static const enum out_framing fr[] = {
		OUT_LINE, OUT_NUL, OUT_NONE, OUT_LENGTH
	};
	struct sockaddr_storage	ss;
	struct out_fmt		f = { ENC_RAW, OUT_LINE, 0, 0 };
	struct dgram		d;
	char			*out;
	size_t			i, n, off;

	(void)state;
	make_dgram(&d, &ss, all_bytes, 256, "192.0.2.7", 1, 0);
	for (i = 0; i < NELEM(fr); i++) {
		f.framing = fr[i];
		n = format(&f, &d, &out);
		off = fr[i] == OUT_LENGTH ? 2 : 0;
		assert_int_equal(n, off + 256 +
		    (fr[i] == OUT_LINE || fr[i] == OUT_NUL ? 1 : 0));
		assert_memory_equal(out + off, all_bytes, 256);
		if (fr[i] == OUT_LINE)
			assert_int_equal(out[256], '\n');
		else if (fr[i] == OUT_NUL)
			assert_int_equal(out[256], '\0');
		else if (fr[i] == OUT_LENGTH)
			assert_memory_equal(out, "\1\0", 2);
		free(out);
	}
}

/* A payload too long for a 2-byte length is cut, never mis-framed. */
static void
test_format_length_cut(void **state)
{
	static char		data[70000];
	struct sockaddr_storage	ss;
	struct out_fmt		f = { ENC_RAW, OUT_LENGTH, 0, 0 };
	struct dgram		d;
	char			*out;

	(void)state;
	memset(data, 'q', sizeof(data));
	make_dgram(&d, &ss, data, sizeof(data), "192.0.2.7", 1, 0);
	assert_int_equal(format(&f, &d, &out), 2 + 65535);
	assert_memory_equal(out, "\xff\xff", 2);
	assert_memory_equal(out + 2, data, 65535);
	free(out);
}

/* Times in UTC with microseconds, including the odd ones. */
static void
test_json_time(void **state)
{
	static const struct {
		time_t		 sec;
		long		 nsec;
		const char	*want;
	} t[] = {
		{ 0, 0, "1970-01-01T00:00:00.000000Z" },
		{ 0, 999, "1970-01-01T00:00:00.000000Z" },
		{ 0, 999999999, "1970-01-01T00:00:00.999999Z" },
		{ 951782400, 1000, "2000-02-29T00:00:00.000001Z" },
		{ T_SEC, T_NSEC, "2026-11-23T22:37:46.123456Z" },
		{ 253402300799, 0, "9999-12-31T23:59:59.000000Z" },
		{ -1, 500000000, "1969-12-31T23:59:59.500000Z" },
		{ -62167219200, 0, "0000-01-01T00:00:00.000000Z" },
		{ -62198755200, 0, "-0001-01-01T00:00:00.000000Z" },
		{ 253402300800, 0, "10000-01-01T00:00:00.000000Z" },
		/* Beyond struct tm: the epoch rather than garbage. */
		{ (time_t)1 << 62, 0, "1970-01-01T00:00:00.000000Z" },
		{ 5, 1000000000, "1970-01-01T00:00:05.000000Z" },
	};
	struct sockaddr_storage	ss;
	struct out_fmt		f = { ENC_BASE64, OUT_LINE, 1, 0 };
	struct dgram		d;
	char			*out;
	size_t			i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		make_dgram(&d, &ss, "", 0, "192.0.2.7", 1, 0);
		d.time.tv_sec = t[i].sec;
		d.time.tv_nsec = t[i].nsec;
		(void)format(&f, &d, &out);
		if (strncmp(out + 9, t[i].want, strlen(t[i].want)) != 0 ||
		    out[9 + strlen(t[i].want)] != '"')
			fail_msg("time %lld: '%.40s', want '%s'",
			    (long long)t[i].sec, out + 9, t[i].want);
		free(out);
	}
}

/* A small deterministic generator. */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * Checks that a JSON record holds printable ASCII only, then LF, and that
 * its data string, unescaped, is the encoded payload.
 */
static void
check_json(const char *out, size_t n, const char *enc, size_t enclen)
{
	static const char	key[] = ",\"data\":\"";
	const char		*p, *end = out + n - 3;
	size_t			 i, k = 0;

	for (i = 0; i + 1 < n; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			fail_msg("byte %02x at %zu", (unsigned char)out[i], i);
	assert_memory_equal(out + n - 3, "\"}\n", 3);
	assert_non_null(p = strstr(out, key));
	for (p += sizeof(key) - 1; p < end; p++, k++) {
		if (*p == '"')
			fail_msg("bare quote at %zu", (size_t)(p - out));
		if (*p == '\\' && (++p == end || (*p != '\\' && *p != '"')))
			fail_msg("bad escape at %zu", (size_t)(p - out));
		if (k >= enclen || *p != enc[k])
			fail_msg("data differs at %zu", k);
	}
	assert_int_equal(k, enclen);
}

/* Random payloads in every encoding make valid JSON carrying them. */
static void
test_json_random(void **state)
{
	static const enum encoding encs[] = { ENC_TEXT, ENC_HEX, ENC_BASE64 };
	struct sockaddr_storage	ss;
	struct out_fmt		f = { ENC_TEXT, OUT_LINE, 1, 0 };
	struct dgram		d;
	unsigned char		data[600];
	char			enc[4 * sizeof(data)], *out;
	uint32_t		seed = 99;
	size_t			i, j, len, n, m;

	(void)state;
	for (i = 0; i < 3000; i++) {
		len = rnd(&seed) % sizeof(data);
		for (j = 0; j < len; j++)
			data[j] = (unsigned char)rnd(&seed);
		if (i % 3 == 0)		/* heavy in quotes and backslashes */
			for (j = 0; j < len; j += 2)
				data[j] = j % 4 ? '"' : '\\';
		f.enc = encs[i % NELEM(encs)];
		make_dgram(&d, &ss, (const char *)data, len, "fe80::2", 7,
		    SCOPE_LO);
		n = format(&f, &d, &out);
		m = enc_encode(f.enc, data, len, enc);
		check_json(out, n, enc, m);
		free(out);
	}
}

/* The worst payloads for a bound: all one byte value. */
static void
fill_worst(unsigned char *data, size_t len, unsigned kind, uint32_t *seed)
{
	static const unsigned char same[] = { 0xff, '\\', '"', 0, '\n', 'a' };
	size_t	j;

	for (j = 0; j < len; j++)
		data[j] = kind < sizeof(same) ? same[kind] :
		    (unsigned char)rnd(seed);
}

/*
 * out_record_max() is a true bound: the widest peer, size and time, the
 * worst payloads, every encoding, framing and option.
 */
static void
test_record_max(void **state)
{
	static const size_t lens[] = { 0, 1, 2, 3, 4, 5, 100, 1001, 65535 };
	static const time_t secs[] = { 0, -1, 253402300799, 253402300800,
	    (time_t)1 << 40, (time_t)1 << 55, -((time_t)1 << 55),
	    (time_t)1 << 62 };
	static unsigned char	data[65535];
	struct sockaddr_storage	ss;
	struct out_fmt		f;
	struct dgram		d;
	uint32_t		seed = 7;
	char			*out;
	size_t			l, k, bits;

	(void)state;
	for (l = 0; l < NELEM(lens); l++) {
		for (k = 0; k < 7; k++) {
			fill_worst(data, lens[l], (unsigned)k, &seed);
			make_dgram(&d, &ss, (const char *)data, lens[l],
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
			    NO_IF);
			d.size = SIZE_MAX;
			d.time.tv_sec = secs[(l + k) % NELEM(secs)];
			for (bits = 0; bits < 4 * 4 * 2 * 2; bits++) {
				f.enc = (enum encoding)(bits % 4);
				f.framing = (enum out_framing)(bits / 4 % 4);
				f.json = (int)(bits / 16 % 2);
				f.show_peer = (int)(bits / 32 % 2);
				(void)format(&f, &d, &out);
				free(out);
			}
		}
	}
}

/* The output buffer. */

static void
read_exact(int fd, char *buf, size_t len)
{
	ssize_t	n;
	size_t	off = 0;

	while (off < len) {
		n = read(fd, buf + off, len - off);
		assert_true(n > 0);
		off += (size_t)n;
	}
}

/* Records through the buffer reach the pipe whole and in order. */
static void
test_obuf_pipe(void **state)
{
	struct out_fmt		 f = { ENC_RAW, OUT_LINE, 0, 1 };
	struct sockaddr_storage	 ss;
	struct dgram		 d;
	struct obuf		 o;
	char			*p, got[64 * 24], want[64 * 24];
	size_t			 i, n, total = 0;
	int			 fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(obuf_init(&o, fds[1], out_record_max(&f, 5) + 40),
	    0);
	make_dgram(&d, &ss, "hello", 5, "192.0.2.7", 5353, 0);
	for (i = 0; i < 64; i++) {
		assert_non_null(p = obuf_reserve(&o, out_record_max(&f, 5)));
		n = out_format(&f, &d, p);
		obuf_commit(&o, n);
		memcpy(want + total, "192.0.2.7:5353 hello\n", n);
		total += n;
		assert_true(o.len <= o.cap);
	}
	assert_true(o.len > 0);
	assert_int_equal(obuf_flush(&o), 0);
	assert_int_equal(o.len, 0);
	assert_int_equal(obuf_flush(&o), 0);	/* nothing to do */
	read_exact(fds[0], got, total);
	assert_memory_equal(got, want, total);
	errno = 0;
	assert_null(obuf_reserve(&o, o.cap + 1));
	assert_int_equal(errno, EINVAL);
	obuf_free(&o);
	obuf_free(&o);
	close(fds[0]);
	close(fds[1]);
	errno = 0;
	assert_int_equal(obuf_init(&o, 1, 0), -1);
	assert_int_equal(errno, EINVAL);
}

/*
 * A scope's name is looked up once while the same scope comes again
 * (if_indextoname() costs three system calls); a scope without a name is
 * looked up every time, and a new scope evicts the old one.
 */
static void
test_scope_cache(void **state)
{
	static const struct out_fmt	 cache_fmts[] = {
		{ ENC_HEX, OUT_LINE, 0, 1 },
		{ ENC_BASE64, OUT_LINE, 1, 0 },
	};
	struct sockaddr_storage		 lo, none;
	struct dgram			 d;
	char				 buf[PEER_MAX], rec[512];
	unsigned long			 before;
	size_t				 i, k;

	(void)state;
	make_dgram(&d, &lo, "hi", 2, "fe80::1", 53, SCOPE_LO);
	(void)make_sa(&none, "fe80::1", 53, NO_IF);
	assert_int_equal(out_peer((struct sockaddr *)&lo, d.fromlen, buf), 15);
	assert_string_equal(buf, "[fe80::1%lo]:53");
	before = indextoname_calls;
	for (i = 0; i < 100; i++) {
		assert_int_equal(out_peer((struct sockaddr *)&lo, d.fromlen,
		    buf), 15);
		for (k = 0; k < NELEM(cache_fmts); k++)
			assert_true(out_format(&cache_fmts[k], &d, rec) > 0);
	}
	assert_string_equal(buf, "[fe80::1%lo]:53");
	assert_int_equal(indextoname_calls, before);
	for (i = 0; i < 3; i++) {
		assert_int_equal(out_peer((struct sockaddr *)&none, d.fromlen,
		    buf), 23);
		assert_int_equal(indextoname_calls, before + 1 + i);
	}
	for (i = 0; i < 3; i++)
		assert_int_equal(out_peer((struct sockaddr *)&lo, d.fromlen,
		    buf), 15);
	assert_int_equal(indextoname_calls, before + 4);
}

/*
 * The output buffer takes memory only as records fill it: measured with
 * mincore() right after obuf_init(), on a buffer larger than malloc()
 * ever takes from the heap (fresh pages, out of memory until written).
 * A listener that writes small records keeps little of its 1 MiB.
 */
static void
test_obuf_untouched(void **state)
{
	const size_t	 cap = 64 << 20;
	long		 page = sysconf(_SC_PAGESIZE);
	unsigned char	*vec;
	uintptr_t	 start, end;
	size_t		 npages, i, in = 0;
	struct obuf	 o;

	(void)state;
	assert_true(page > 0);
	assert_int_equal(obuf_init(&o, 1, cap), 0);
	/* The whole pages inside the buffer. */
	start = ((uintptr_t)o.buf + (uintptr_t)page - 1) &
	    ~((uintptr_t)page - 1);
	end = ((uintptr_t)o.buf + cap) & ~((uintptr_t)page - 1);
	npages = (end - start) / (uintptr_t)page;
	assert_non_null(vec = malloc(npages));
	assert_int_equal(mincore((void *)start, end - start, vec), 0);
	for (i = 0; i < npages; i++)
		in += vec[i] & 1;
	if (in > npages / 100)
		fail_msg("%zu of %zu pages of the output buffer in memory "
		    "before any record", in, npages);
	free(vec);
	obuf_free(&o);
}

/* A failed flush keeps the bytes and reports errno; reserve as well. */
static void
check_obuf_fails(int fd, int want_errno)
{
	struct obuf	 o;
	char		*p;

	assert_int_equal(obuf_init(&o, fd, 16), 0);
	assert_non_null(p = obuf_reserve(&o, 10));
	memcpy(p, "0123456789", 10);
	obuf_commit(&o, 10);
	errno = 0;
	assert_int_equal(obuf_flush(&o), -1);
	assert_int_equal(errno, want_errno);
	assert_int_equal(o.len, 10);
	assert_memory_equal(o.buf, "0123456789", 10);
	assert_non_null(obuf_reserve(&o, 6));	/* fits: no flush */
	errno = 0;
	assert_null(obuf_reserve(&o, 7));
	assert_int_equal(errno, want_errno);
	assert_int_equal(o.len, 10);
	obuf_free(&o);
}

static void
test_obuf_errors(void **state)
{
	struct sigaction	sa, old;
	int			fd, fds[2];

	(void)state;
	assert_true((fd = open("/dev/full", O_WRONLY)) != -1);
	check_obuf_fails(fd, ENOSPC);
	close(fd);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	assert_int_equal(sigaction(SIGPIPE, &sa, &old), 0);
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	check_obuf_fails(fds[1], EPIPE);
	close(fds[1]);
	assert_int_equal(sigaction(SIGPIPE, &old, NULL), 0);
	check_obuf_fails(-1, EBADF);
}

/* Fills buf with a pattern that shows any reordering. */
static void
fill_pattern(char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		buf[i] = (char)(i * 7 + i / 251);
}

/*
 * A short write (a full non-blocking pipe) leaves the rest queued;
 * flushing again after the reader caught up sends it in order.
 */
static void
test_obuf_partial(void **state)
{
	enum { LEN = 300 * 1024 };
	static char	want[LEN], got[LEN];
	struct obuf	o;
	size_t		off = 0, before;
	ssize_t		n;
	int		fds[2], rc, fl;

	(void)state;
	fill_pattern(want, LEN);
	assert_int_equal(pipe(fds), 0);
	fl = fcntl(fds[1], F_GETFL);
	assert_int_equal(fcntl(fds[1], F_SETFL, fl | O_NONBLOCK), 0);
	fl = fcntl(fds[0], F_GETFL);
	assert_int_equal(fcntl(fds[0], F_SETFL, fl | O_NONBLOCK), 0);
	assert_int_equal(obuf_init(&o, fds[1], LEN), 0);
	memcpy(obuf_reserve(&o, LEN), want, LEN);
	obuf_commit(&o, LEN);
	for (;;) {
		before = obuf_pending(&o);
		errno = 0;
		rc = obuf_flush(&o);
		if (rc == 0)
			break;
		assert_int_equal(errno, EAGAIN);
		assert_true(obuf_pending(&o) < before);
		while ((n = read(fds[0], got + off, LEN - off)) > 0)
			off += (size_t)n;
		/* All that went out was read: the rest is still queued. */
		assert_int_equal(obuf_pending(&o), LEN - off);
	}
	while (off < LEN && (n = read(fds[0], got + off, LEN - off)) > 0)
		off += (size_t)n;
	assert_int_equal(off, LEN);
	assert_memory_equal(got, want, LEN);
	obuf_free(&o);
	close(fds[0]);
	close(fds[1]);
}

/* Reads everything there is from a non-blocking descriptor into buf. */
static size_t
drain_fd(int fd, char *buf, size_t size)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < size && (n = read(fd, buf + off, size - off)) > 0)
		off += (size_t)n;
	return off;
}

/*
 * Pieces of the caller's own (obuf_put) and staged records come out in
 * the order queued; adjacent pieces join; a full piece list flushes.
 */
static void
test_obuf_put(void **state)
{
	static char	ext[OBUF_PIECES * 2 + 16], got[sizeof(ext) * 4];
	char		*p, want[sizeof(got)];
	struct obuf	o;
	size_t		wlen = 0, i;
	int		fds[2], fl;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	fl = fcntl(fds[0], F_GETFL);
	assert_int_equal(fcntl(fds[0], F_SETFL, fl | O_NONBLOCK), 0);
	fill_pattern(ext, sizeof(ext));
	assert_int_equal(obuf_init(&o, fds[1], 64), 0);
	/* Adjacent pieces of ext join into one. */
	assert_int_equal(obuf_put(&o, ext, 3), 0);
	assert_int_equal(obuf_put(&o, ext + 3, 5), 0);
	assert_int_equal(o.n, 1);
	memcpy(want + wlen, ext, 8);
	wlen += 8;
	/* A staged record between two external pieces keeps its place. */
	assert_non_null(p = obuf_reserve(&o, 2));
	memcpy(p, "|\n", 2);
	obuf_commit(&o, 2);
	memcpy(want + wlen, "|\n", 2);
	wlen += 2;
	assert_int_equal(obuf_put(&o, ext + 100, 4), 0);
	memcpy(want + wlen, ext + 100, 4);
	wlen += 4;
	assert_int_equal(o.n, 3);
	assert_int_equal(obuf_pending(&o), wlen);
	assert_int_equal(obuf_flush(&o), 0);
	assert_int_equal(obuf_pending(&o), 0);
	assert_int_equal(drain_fd(fds[0], got, sizeof(got)), wlen);
	assert_memory_equal(got, want, wlen);
	/* More separate pieces than the list holds: flushed on the way. */
	for (i = 0, wlen = 0; i < OBUF_PIECES + 8; i++) {
		assert_int_equal(obuf_put(&o, ext + 2 * i, 1), 0);
		want[wlen++] = ext[2 * i];
		assert_true(o.n <= OBUF_PIECES);
	}
	assert_int_equal(obuf_flush(&o), 0);
	assert_int_equal(drain_fd(fds[0], got, sizeof(got)), wlen);
	assert_memory_equal(got, want, wlen);
	obuf_free(&o);
	close(fds[0]);
	close(fds[1]);
}

static volatile sig_atomic_t	alarms;

static void
on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* The child's side of test_obuf_eintr(): a slow reader that checks. */
static void
slow_reader(int fd, const char *want, size_t len)
{
	struct timespec	 ms = { 0, 1000000 }, late = { 0, 30000000 };
	char		 buf[4096];
	size_t		 off = 0;
	ssize_t		 n;

	nanosleep(&late, NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (off + (size_t)n > len ||
		    memcmp(buf, want + off, (size_t)n) != 0)
			_exit(1);
		off += (size_t)n;
		nanosleep(&ms, NULL);
	}
	close(fd);
	_exit(off == len ? 0 : 2);
}

/*
 * Signals that interrupt a blocked write are retried, nothing lost.  The
 * pipe starts full and its reader starts late, so that some signals come
 * before anything could be written (EINTR) and some after (short writes).
 */
static void
test_obuf_eintr(void **state)
{
	enum { LEN = 512 * 1024 };
	static char		want[LEN];
	struct itimerval	it = { { 0, 3000 }, { 0, 3000 } };
	struct itimerval	off = { { 0, 0 }, { 0, 0 } };
	struct sigaction	sa, old;
	struct obuf		o;
	pid_t			pid;
	ssize_t			full;
	int			fds[2], status, fl;

	(void)state;
	fill_pattern(want, LEN);
	assert_int_equal(pipe(fds), 0);
	fl = fcntl(fds[1], F_GETFL);
	assert_int_equal(fcntl(fds[1], F_SETFL, fl | O_NONBLOCK), 0);
	assert_true((full = write(fds[1], want, LEN)) > 0 && full < LEN);
	assert_int_equal(fcntl(fds[1], F_SETFL, fl), 0);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		close(fds[1]);
		slow_reader(fds[0], want, LEN);
	}
	close(fds[0]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART */
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	assert_int_equal(obuf_init(&o, fds[1], LEN), 0);
	memcpy(obuf_reserve(&o, LEN), want + full, LEN - (size_t)full);
	obuf_commit(&o, LEN - (size_t)full);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(obuf_flush(&o), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	assert_int_equal(o.len, 0);
	assert_true(alarms > 0);
	close(fds[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
	obuf_free(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer),
		cmocka_unit_test(test_peer_ipv6_oracle),
		cmocka_unit_test(test_peer_unknown),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_all_bytes),
		cmocka_unit_test(test_format_length_cut),
		cmocka_unit_test(test_json_time),
		cmocka_unit_test(test_json_random),
		cmocka_unit_test(test_record_max),
		cmocka_unit_test(test_scope_cache),
		cmocka_unit_test(test_obuf_pipe),
		cmocka_unit_test(test_obuf_untouched),
		cmocka_unit_test(test_obuf_errors),
		cmocka_unit_test(test_obuf_partial),
		cmocka_unit_test(test_obuf_put),
		cmocka_unit_test(test_obuf_eintr),
	};
	size_t	i;

	for (i = 0; i < sizeof(all_bytes); i++)
		all_bytes[i] = (char)i;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
