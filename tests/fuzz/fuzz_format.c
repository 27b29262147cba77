/* fuzz_format.c: libFuzzer harness: out_format(), out_peer(), read back. */
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enc.h"
#include "fuzz.h"
#include "oracle.h"
#include "output.h"

/* The datagram, its sender and how to show it. */
struct sample {
	struct out_fmt		 f;
	struct dgram		 d;
	struct sockaddr_storage	 ss;
	int			 known;		/* an IPv4 or IPv6 sender */
};

/* What a record says, read back from its text. */
struct parsed {
	const char	*p;		/* the text left to read */
	const char	*end;
};

/* Takes the literal s from the front of the text, or fails. */
static void
expect_lit(struct parsed *t, const char *s)
{
	size_t n = strlen(s);

	FUZZ_CHECK((size_t)(t->end - t->p) >= n && memcmp(t->p, s, n) == 0);
	t->p += n;
}

/* Takes a decimal number without leading zeros (but "0"). */
static unsigned long long
take_uint(struct parsed *t, size_t min_digits)
{
	unsigned long long v = 0;
	size_t n = 0;

	unsigned d;

	while (t->p < t->end && *t->p >= '0' && *t->p <= '9') {
		d = (unsigned)(*t->p++ - '0');
		FUZZ_CHECK(v < ~0ULL / 10 || (v == ~0ULL / 10 &&
		    d <= ~0ULL % 10));
		v = v * 10 + d;
		n++;
	}
	FUZZ_CHECK(n >= min_digits && n > 0);
	if (min_digits <= 1)
		FUZZ_CHECK(n == 1 || t->p[-(long)n] != '0');
	return v;
}

/* Takes everything up to the byte stop (not included). */
static size_t
take_until(struct parsed *t, char stop, char *buf, size_t size)
{
	const char *q = memchr(t->p, stop, (size_t)(t->end - t->p));
	size_t n;

	FUZZ_CHECK(q != NULL);
	n = (size_t)(q - t->p);
	FUZZ_CHECK(n < size);
	memcpy(buf, t->p, n);
	buf[n] = '\0';
	t->p = q;
	return n;
}

/*
 * An address as out_addr() writes it, read back: the same address and
 * scope, in its one canonical text (RFC 5952 for IPv6).
 */
static void
check_addr_text(const struct sample *s, const char *a)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&s->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&s->ss;
	unsigned char back[16];
	char text[PEER_MAX], canon[INET6_ADDRSTRLEN], *pct;
	unsigned long long scope;
	unsigned id;

	if (!s->known) {
		FUZZ_CHECK(strcmp(a, "?") == 0);
		return;
	}
	FUZZ_CHECK(strlen(a) < sizeof(text));
	strcpy(text, a);
	if (s->ss.ss_family == AF_INET || IN6_IS_ADDR_V4MAPPED(
	    &sin6->sin6_addr)) {
		FUZZ_CHECK(inet_pton(AF_INET, text, back) == 1);
		FUZZ_CHECK(memcmp(back, s->ss.ss_family == AF_INET ?
		    (const void *)&sin->sin_addr :
		    (const void *)&sin6->sin6_addr.s6_addr[12], 4) == 0);
		FUZZ_CHECK(inet_ntop(AF_INET, back, canon, sizeof(canon)));
		FUZZ_CHECK(strcmp(canon, text) == 0);
		return;
	}
	if ((pct = strchr(text, '%')) != NULL)
		*pct++ = '\0';
	FUZZ_CHECK(inet_pton(AF_INET6, text, back) == 1);
	FUZZ_CHECK(memcmp(back, &sin6->sin6_addr, 16) == 0);
	/* inet_ntop() agrees but for ::/96, which it writes dotted. */
	FUZZ_CHECK(inet_ntop(AF_INET6, back, canon, sizeof(canon)));
	if (strchr(canon, '.') == NULL)
		FUZZ_CHECK(strcmp(canon, text) == 0);
	FUZZ_CHECK(strchr(text, '.') == NULL);
	FUZZ_CHECK((pct != NULL) == (sin6->sin6_scope_id != 0));
	if (pct == NULL)
		return;
	if (*pct >= '0' && *pct <= '9') {
		struct parsed t = { pct, pct + strlen(pct) };

		scope = take_uint(&t, 1);
		FUZZ_CHECK(t.p == t.end && scope == sin6->sin6_scope_id);
	} else {
		FUZZ_CHECK(strspn(pct, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789_.-") == strlen(pct));
		id = if_nametoindex(pct);
		FUZZ_CHECK(id == sin6->sin6_scope_id);
	}
}

/* The sender's port, or 0 for one of an unknown family. */
static unsigned
sample_port(const struct sample *s)
{
	if (!s->known)
		return 0;
	if (s->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&s->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&s->ss)->sin6_port);
}

/* "ADDRESS:PORT", "[ADDRESS%scope]:PORT" or "?:0", read back. */
static void
check_peer_text(const struct sample *s, struct parsed *t)
{
	char a[PEER_MAX];
	int bracket = s->known && s->ss.ss_family == AF_INET6 &&
	    !IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)
	    &s->ss)->sin6_addr);

	if (bracket) {
		expect_lit(t, "[");
		take_until(t, ']', a, sizeof(a));
		expect_lit(t, "]");
	} else
		take_until(t, ':', a, sizeof(a));
	check_addr_text(s, a);
	expect_lit(t, ":");
	FUZZ_CHECK(take_uint(t, 1) == sample_port(s));
}

/* The time field, read back: the same second (or the epoch) and usec. */
static void
check_time(const struct sample *s, struct parsed *t)
{
	const struct timespec *ts = &s->d.time;
	struct tm tm, want;
	time_t sec = ts->tv_sec;
	long long year;
	int neg = 0;

	if (t->p < t->end && *t->p == '-') {
		neg = 1;
		t->p++;
	}
	year = (long long)take_uint(t, 4);
	memset(&tm, 0, sizeof(tm));
	expect_lit(t, "-");
	tm.tm_mon = (int)take_uint(t, 2) - 1;
	expect_lit(t, "-");
	tm.tm_mday = (int)take_uint(t, 2);
	expect_lit(t, "T");
	tm.tm_hour = (int)take_uint(t, 2);
	expect_lit(t, ":");
	tm.tm_min = (int)take_uint(t, 2);
	expect_lit(t, ":");
	tm.tm_sec = (int)take_uint(t, 2);
	expect_lit(t, ".");
	FUZZ_CHECK((long)take_uint(t, 6) == (ts->tv_nsec >= 0 &&
	    ts->tv_nsec < 1000000000 ? ts->tv_nsec / 1000 : 0));
	expect_lit(t, "Z");
	FUZZ_CHECK(!neg || year > 0);
	year = neg ? -year : year;
	if (gmtime_r(&sec, &want) == NULL) {
		/* Beyond struct tm: shown as the epoch. */
		FUZZ_CHECK(year == 1970 && tm.tm_mon == 0 &&
		    tm.tm_mday == 1 && tm.tm_hour == 0 && tm.tm_min == 0 &&
		    tm.tm_sec == 0);
		return;
	}
	FUZZ_CHECK(year == (long long)want.tm_year + 1900);
	FUZZ_CHECK(tm.tm_mon == want.tm_mon && tm.tm_mday == want.tm_mday &&
	    tm.tm_hour == want.tm_hour && tm.tm_min == want.tm_min &&
	    tm.tm_sec == want.tm_sec);
}

/* A JSON record read back field by field, in order, then LF. */
static void
check_json(const struct sample *s, const char *out, size_t n)
{
	struct parsed t = { out, out + n };
	char a[PEER_MAX];
	char *data;
	size_t m = 0;

	expect_lit(&t, "{\"time\":\"");
	check_time(s, &t);
	expect_lit(&t, "\",\"from\":\"");
	take_until(&t, '"', a, sizeof(a));
	check_addr_text(s, a);
	expect_lit(&t, "\",\"port\":");
	FUZZ_CHECK(take_uint(&t, 1) == sample_port(s));
	expect_lit(&t, ",\"size\":");
	FUZZ_CHECK(take_uint(&t, 1) == s->d.size);
	expect_lit(&t, ",\"truncated\":");
	expect_lit(&t, s->d.size > s->d.len ? "true" : "false");
	expect_lit(&t, ",\"data\":\"");
	/* A JSON string: only \\ and \" are escaped, nothing else is. */
	data = fuzz_dup(NULL, (size_t)(t.end - t.p));
	while (t.p < t.end && *t.p != '"') {
		FUZZ_CHECK((unsigned char)*t.p >= 0x20 &&
		    (unsigned char)*t.p < 0x7f);
		if (*t.p == '\\') {
			FUZZ_CHECK(s->f.enc == ENC_TEXT && t.p + 1 < t.end &&
			    (t.p[1] == '\\' || t.p[1] == '"'));
			t.p++;
		}
		data[m++] = *t.p++;
	}
	oracle_check_payload(s->f.enc, &s->d, data, m);
	free(data);
	expect_lit(&t, "\"}\n");
	FUZZ_CHECK(t.p == t.end);
}

/* A framed record read back: the peer, the payload, the delimiter. */
static void
check_framed(const struct sample *s, const char *out, size_t n)
{
	struct parsed t = { out, out + n };

	if (s->f.framing == OUT_LENGTH) {
		oracle_check_length(&s->d, out, n);
		return;
	}
	if (s->f.show_peer) {
		check_peer_text(s, &t);
		expect_lit(&t, " ");
	}
	if (s->f.framing != OUT_NONE) {
		FUZZ_CHECK(t.end > t.p && t.end[-1] ==
		    (s->f.framing == OUT_LINE ? '\n' : '\0'));
		t.end--;
	}
	oracle_check_payload(s->f.enc, &s->d, t.p, (size_t)(t.end - t.p));
}

/* out_peer() and out_addr() into their buffers, guarded, read back. */
static void
check_peer(const struct sample *s)
{
	char buf[PEER_MAX];
	struct parsed t;
	unsigned port = 123456;
	int n;

	n = oracle_out_peer((const struct sockaddr *)&s->ss, s->d.fromlen,
	    buf);
	if (!s->known) {
		FUZZ_CHECK(n == -1);
		return;
	}
	FUZZ_CHECK(n > 0 && n < PEER_MAX && (size_t)n == strlen(buf));
	t.p = buf;
	t.end = buf + n;
	check_peer_text(s, &t);
	FUZZ_CHECK(t.p == t.end);
	n = out_addr((const struct sockaddr *)&s->ss, s->d.fromlen, buf,
	    &port);
	FUZZ_CHECK(n > 0 && (size_t)n == strlen(buf));
	check_addr_text(s, buf);
	FUZZ_CHECK(port == sample_port(s));
}

/* The sender, from the input: mostly IPv4 and IPv6, some neither. */
static void
make_sender(struct sample *s, struct fuzz_in *in)
{
	unsigned kind = fuzz_u8(in), i;
	uint16_t port = (uint16_t)fuzz_uint(in, 2);
	unsigned char a[16];
	uint32_t scope = 0;

	memset(a, 0, sizeof(a));
	/* Addresses with runs of zeros are the interesting ones. */
	for (i = 0; i < 16; i++)
		if (kind & 0x40 || (i & 1) == 0 || (kind >> 4 & 3) == 0)
			a[i] = (unsigned char)fuzz_u8(in);
	memset(&s->ss, 0, sizeof(s->ss));
	s->known = (kind & 7) <= 4;
	if ((kind & 7) <= 4) {
		/* 1 is lo, a name; large ones name nothing. */
		if ((kind & 7) == 4)
			scope = kind & 0x80 ? 1 :
			    (uint32_t)fuzz_uint(in, 4) | 0x10000000u;
		s->d.fromlen = oracle_ip_sender(&s->ss, kind & 7, port, a,
		    scope);
	} else if ((kind & 7) == 5) {
		/* A family output.c does not know (Unix is fuzz_output's). */
		s->ss.ss_family = AF_APPLETALK;
		s->d.fromlen = sizeof(s->ss);
	} else
		s->d.fromlen = oracle_short_sender(&s->ss, kind & 0x80, a,
		    port);
	s->d.from = (const struct sockaddr *)&s->ss;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct sample s;
	unsigned b0 = fuzz_u8(&in), b1 = fuzz_u8(&in);
	unsigned char *payload;
	size_t max, n;
	char *out;

	memset(&s, 0, sizeof(s));
	s.f = oracle_fmt(b0);
	/* JSON carries no raw bytes (printer_init() refuses it). */
	if (s.f.json && s.f.enc == ENC_RAW)
		s.f.enc = ENC_BASE64;
	/* The peer goes only before a delimited record (the same). */
	if (s.f.show_peer && !s.f.json && (s.f.framing == OUT_NONE ||
	    s.f.framing == OUT_LENGTH))
		s.f.show_peer = 0;
	make_sender(&s, &in);
	s.d.time.tv_sec = (time_t)(fuzz_uint(&in, b1 & 1 ? 8 : 5) >> 1);
	if (b1 & 4)
		s.d.time.tv_sec = -s.d.time.tv_sec;
	s.d.time.tv_nsec = (long)fuzz_uint(&in, 4);
	if (b1 & 2)
		s.d.time.tv_nsec = (long)fuzz_uint(&in, 8);
	/* A byte says how much of the rest was cut off the datagram. */
	n = b1 & 0x08 ? (size_t)fuzz_uint(&in, b1 & 0x10 ? 8 : 2) : 0;
	s.d.len = in.n;
	s.d.size = s.d.len + n < s.d.len ? SIZE_MAX : s.d.len + n;
	/* Exactly sized copies, so that a read or write past them shows. */
	payload = fuzz_dup(in.p, s.d.len);
	s.d.data = payload;

	check_peer(&s);
	max = out_record_max(&s.f, s.d.len);
	FUZZ_CHECK(max >= s.d.len && out_record_max(&s.f, s.d.len + 1) >= max);
	out = oracle_format(&s.f, &s.d, &n);
	if (s.f.json)
		check_json(&s, out, n);
	else
		check_framed(&s, out, n);
	free(out);
	free(payload);
	return 0;
}
