/* fuzz_pcap.c: libFuzzer harness for the pcap reader and writer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "fuzz.h"
#include "pcap.h"

/* What one read of a capture gave. */
struct result {
	int		 rc;		/* PCAP_END or PCAP_ERR */
	unsigned long	 nrec;
	uint64_t	 hash;
	uint64_t	 pos;
	uint64_t	 err_pos;
	const char	*err;
	uint64_t	 packets;
	uint64_t	 skipped[PCAP_SKIP_KINDS];
};

static uint64_t
mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ull;
}

/*
 * Reads the n bytes at d, step bytes more whenever the reader asks, each
 * call on an exact-size copy of what is buffered.
 */
static void
read_all(const unsigned char *d, size_t n, size_t step, struct result *res)
{
	struct pcap_reader r;
	struct pcap_rec rec;
	unsigned char *buf, *copy;
	size_t have = 0, fed = 0, used, i, add;
	int rc;

	memset(res, 0, sizeof(*res));
	pcap_reader_init(&r);
	buf = fuzz_dup(d, n);
	for (;;) {
		copy = fuzz_dup(buf, have);
		rc = pcap_next(&r, copy, have, fed == n, &used, &rec);
		FUZZ_CHECK(used <= have);
		if (rc == PCAP_REC) {
			FUZZ_CHECK(rec.data >= copy &&
			    rec.len <= (size_t)(copy + have - rec.data));
			FUZZ_CHECK(rec.data + rec.len <= copy + used);
			res->nrec++;
			res->hash = mix(res->hash, rec.len);
			res->hash = mix(res->hash, rec.ns);
			for (i = 0; i < rec.len; i++)
				res->hash = mix(res->hash, rec.data[i]);
		}
		free(copy);
		memmove(buf, buf + used, have - used);
		have -= used;
		if (rc == PCAP_MORE) {
			FUZZ_CHECK(fed < n);
			FUZZ_CHECK(have < PCAP_UNIT_MAX);
			add = n - fed < step ? n - fed : step;
			memcpy(buf + have, d + fed, add);
			have += add;
			fed += add;
			continue;
		}
		if (rc != PCAP_REC)
			break;
	}
	FUZZ_CHECK(rc == PCAP_END || rc == PCAP_ERR);
	if (rc == PCAP_ERR) {
		FUZZ_CHECK(r.err != NULL && r.err[0] != '\0');
		FUZZ_CHECK(r.err_pos <= n);
	} else
		FUZZ_CHECK(r.pos == n && have == 0);
	/* It says the same again. */
	FUZZ_CHECK(pcap_next(&r, buf, have, 1, &used, &rec) == rc &&
	    used == 0);
	res->rc = rc;
	res->pos = r.pos;
	res->err_pos = r.err_pos;
	res->err = r.err;
	res->packets = r.packets;
	memcpy(res->skipped, r.skipped, sizeof(r.skipped));
	free(buf);
}

/* Fills a socket address of family v6 (else IPv4) from the input. */
static void
make_addr(struct fuzz_in *in, int v6, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)ss;
	size_t i;

	memset(ss, 0, sizeof(*ss));
	if (v6) {
		sin6->sin6_family = AF_INET6;
		for (i = 0; i < 16; i++)
			sin6->sin6_addr.s6_addr[i] = (uint8_t)fuzz_u8(in);
		/* Mapped addresses come out as IPv4: not compared here. */
		sin6->sin6_addr.s6_addr[0] |= 0x20;
		sin6->sin6_port = htons((uint16_t)fuzz_uint(in, 2));
	} else {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = (uint32_t)fuzz_uint(in, 4);
		sin->sin_port = htons((uint16_t)fuzz_uint(in, 2));
	}
}

/* One's-complement sum of n bytes, big-endian words. */
static uint32_t
sum16(const unsigned char *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static unsigned
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* Checks the IP and UDP checksums of a record written whole. */
static void
check_sums(const unsigned char *ip, size_t len, int v6)
{
	unsigned char ph[4];
	size_t ihl = v6 ? 40 : 20, alen = v6 ? 16 : 4;
	uint32_t s;

	if (!v6)
		FUZZ_CHECK(fold(sum16(ip, 20, 0)) == 0xffff);
	ph[0] = 0;
	ph[1] = 17;
	ph[2] = (unsigned char)((len - ihl) >> 8);
	ph[3] = (unsigned char)(len - ihl);
	s = sum16(ip + (v6 ? 8 : 12), 2 * alen, 0);
	s = sum16(ph, 4, s);
	s = sum16(ip + ihl, len - ihl, s);
	FUZZ_CHECK(fold(s) == 0xffff);
}

/*
 * The address the writer puts for sa in a record of IP version v6: the
 * unspecified one without sa or for a zero IPv4 address in IPv6, IPv4
 * in IPv6 mapped, IPv6 in IPv4 unspecified.
 */
static void
want_addr(const struct sockaddr_storage *sa, int v6, unsigned char *a)
{
	const struct sockaddr_in *sin = (const void *)sa;
	const struct sockaddr_in6 *sin6 = (const void *)sa;

	memset(a, 0, 16);
	if (sa == NULL)
		return;
	if (sa->ss_family == AF_INET6 && v6)
		memcpy(a, &sin6->sin6_addr, 16);
	else if (sa->ss_family == AF_INET && !v6)
		memcpy(a, &sin->sin_addr, 4);
	else if (sa->ss_family == AF_INET && sin->sin_addr.s_addr != 0) {
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &sin->sin_addr, 4);
	}
}

/* The record at ip has the ends' addresses and ports. */
static void
check_ends(const unsigned char *ip, int v6,
    const struct sockaddr_storage *from, const struct sockaddr_storage *to)
{
	const struct sockaddr_in *f = (const void *)from;
	const struct sockaddr_in *t = (const void *)to;
	size_t alen = v6 ? 16 : 4, ihl = v6 ? 40 : 20;
	unsigned char a[16];

	want_addr(from, v6, a);
	FUZZ_CHECK(memcmp(ip + (v6 ? 8 : 12), a, alen) == 0);
	want_addr(to, v6, a);
	FUZZ_CHECK(memcmp(ip + (v6 ? 8 : 12) + alen, a, alen) == 0);
	/* The port is at the same place in both families. */
	FUZZ_CHECK(memcmp(ip + ihl, &f->sin_port, 2) == 0);
	FUZZ_CHECK(to == NULL ? ip[ihl + 2] == 0 && ip[ihl + 3] == 0 :
	    memcmp(ip + ihl + 2, &t->sin_port, 2) == 0);
}

/*
 * The payload as a GRO buffer of seg-byte pieces: the same bytes as each
 * piece written alone.
 */
static void
pieces(const struct pcap_dgram *d, size_t seg)
{
	struct pcap_dgram one = *d;
	unsigned char *whole, *each;
	size_t n, m = 0, off, cap;

	cap = (d->size / seg + 1) * PCAP_RECORD_OVERHEAD + d->size;
	whole = fuzz_dup(NULL, cap);
	each = fuzz_dup(NULL, cap);
	n = pcap_write_records(whole, d, seg);
	for (off = 0; off < d->size; off += seg) {
		one.data = d->data + off;
		one.len = one.size = d->size - off < seg ? d->size - off : seg;
		m += pcap_write_record(each + m, &one);
	}
	FUZZ_CHECK(n == m && (n == 0 || memcmp(whole, each, n) == 0));
	free(whole);
	free(each);
}

/* A datagram written into a capture reads back the same. */
static void
round_trip(struct fuzz_in *in)
{
	struct sockaddr_storage from, to;
	struct pcap_dgram d;
	struct result res;
	unsigned char *cap;
	unsigned sel = fuzz_u8(in);
	size_t n, want;
	uint64_t h = 0;
	size_t i;

	make_addr(in, sel & 1, &from);
	make_addr(in, sel & 2, &to);
	memset(&d, 0, sizeof(d));
	d.from = (struct sockaddr *)&from;
	d.to = (sel & 4) ? NULL : (struct sockaddr *)&to;
	d.sec = (int64_t)fuzz_uint(in, 4);
	d.nsec = (long)(fuzz_uint(in, 4) % 1000000000u);
	d.data = in->p;
	d.len = d.size = in->n;
	cap = fuzz_dup(NULL, PCAP_HEADER_LEN + PCAP_RECORD_OVERHEAD + in->n);
	FUZZ_CHECK(pcap_write_header(cap) == PCAP_HEADER_LEN);
	n = pcap_write_record(cap + PCAP_HEADER_LEN, &d);
	if (in->n > 65507) {
		free(cap);
		return;
	}
	want = 16 + ((sel & 1) ? 40 : 20) + 8 + in->n;
	FUZZ_CHECK(n == want);
	check_sums(cap + PCAP_HEADER_LEN + 16, n - 16, sel & 1);
	check_ends(cap + PCAP_HEADER_LEN + 16, sel & 1, &from,
	    (sel & 4) ? NULL : &to);
	read_all(cap, PCAP_HEADER_LEN + n, PCAP_HEADER_LEN + n, &res);
	FUZZ_CHECK(res.rc == PCAP_END && res.nrec == 1 && res.packets == 1);
	h = mix(h, in->n);
	h = mix(h, (uint64_t)(uint32_t)d.sec * 1000000000u +
	    (uint64_t)(d.nsec / 1000 * 1000));
	for (i = 0; i < in->n; i++)
		h = mix(h, in->p[i]);
	FUZZ_CHECK(res.hash == h);
	free(cap);
	if (in->n > 0)
		pieces(&d, 1 + (size_t)(uint32_t)d.sec % in->n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct result whole, parts;
	unsigned sel = fuzz_u8(&in);

	if (sel == 0xff) {
		round_trip(&in);
		return 0;
	}
	read_all(in.p, in.n, in.n, &whole);
	read_all(in.p, in.n, 1 + sel % 64, &parts);
	FUZZ_CHECK(whole.rc == parts.rc && whole.nrec == parts.nrec &&
	    whole.hash == parts.hash && whole.pos == parts.pos &&
	    whole.err_pos == parts.err_pos && whole.err == parts.err &&
	    whole.packets == parts.packets &&
	    memcmp(whole.skipped, parts.skipped, sizeof(whole.skipped)) == 0);
	return 0;
}
