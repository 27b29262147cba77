/* test_pcap.c: the pcap writer, and the pcap and pcapng reader, over buffers. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "pcap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define CAP_MAX		8192

/* A capture being built, in one byte order. */
struct cap {
	unsigned char	b[CAP_MAX];
	size_t		n;
	int		big;
};

static void
put(struct cap *c, const void *p, size_t n)
{
	assert_true(c->n + n <= CAP_MAX);
	memcpy(c->b + c->n, p, n);
	c->n += n;
}

static void
put8(struct cap *c, unsigned v)
{
	unsigned char b = (unsigned char)v;

	put(c, &b, 1);
}

/* 16 and 32 bits in the capture's byte order. */
static void
put16(struct cap *c, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	if (!c->big) {
		b[0] = (unsigned char)v;
		b[1] = (unsigned char)(v >> 8);
	}
	put(c, b, 2);
}

static void
put32(struct cap *c, uint32_t v)
{
	if (c->big) {
		put16(c, v >> 16);
		put16(c, v & 0xffff);
	} else {
		put16(c, v & 0xffff);
		put16(c, v >> 16);
	}
}

static void
be16(struct cap *c, unsigned v)
{
	int big = c->big;

	c->big = 1;
	put16(c, v);
	c->big = big;
}

/* Kinds of packets the tables build. */
enum pkt {
	P_UDP4,		/* 127.0.0.1:1000 -> 127.0.0.2:2000 "four" */
	P_UDP6,		/* ::1 -> ::2 "six!!", through a hop-by-hop header */
	P_ARP,
	P_TCP4,
	P_FRAG4,	/* more fragments */
	P_FRAG4B,	/* a later fragment */
	P_FRAG6,
	P_BADUDP	/* a UDP length past the IP packet */
};

/* The IP packet of kind k into a temporary capture (network order). */
static void
ip_packet(struct cap *c, enum pkt k)
{
	static const unsigned char a4[8] = { 127, 0, 0, 1, 127, 0, 0, 2 };
	unsigned char a6[32] = { 0 };
	int ext = k == P_UDP6 || k == P_FRAG6;

	a6[15] = 1;
	a6[31] = 2;
	if (k == P_UDP6 || k == P_FRAG6) {
		be16(c, 0x6000);
		be16(c, 0);
		be16(c, (ext ? 8 : 0) + 8 + 5);
		put8(c, k == P_FRAG6 ? 44 : 0);
		put8(c, 64);
		put(c, a6, 32);
		put8(c, 17);
		put8(c, 0);
		be16(c, k == P_FRAG6 ? 8 | 1 : 0);	/* offset 1, M */
		be16(c, 0);
		be16(c, 0);
		be16(c, 1000);
		be16(c, 2000);
		be16(c, 8 + 5);
		be16(c, 0);
		put(c, "six!!", 5);
		return;
	}
	be16(c, 0x4500);
	be16(c, 20 + 8 + 4);
	be16(c, 0);
	be16(c, k == P_FRAG4 ? 0x2000 : k == P_FRAG4B ? 0x0010 : 0x4000);
	put8(c, 64);
	put8(c, k == P_TCP4 ? 6 : 17);
	be16(c, 0);
	put(c, a4, 8);
	be16(c, 1000);
	be16(c, 2000);
	be16(c, k == P_BADUDP ? 8 + 9 : 8 + 4);
	be16(c, 0);
	put(c, "four", 4);
}

/* The link-layer frame of packet k for linktype into c. */
static void
frame(struct cap *c, uint32_t linktype, enum pkt k)
{
	int v6 = k == P_UDP6 || k == P_FRAG6;
	unsigned type = k == P_ARP ? 0x0806 : v6 ? 0x86dd : 0x0800;
	struct cap ip = { .n = 0 };

	if (k == P_ARP)
		put(&ip, "arp arp arp arp arp", 20);
	else
		ip_packet(&ip, k);
	switch (linktype) {
	case 1:
		put(c, "\2\2\2\2\2\2\4\4\4\4\4\4", 12);
		be16(c, 0x8100);	/* a VLAN tag, and another */
		be16(c, 7);
		be16(c, 0x8100);
		be16(c, 8);
		be16(c, type);
		break;
	case 113:
		put(c, "\0\0\3\4\0\6abcdefgh", 14);
		be16(c, type);
		break;
	case 276:
		be16(c, type);
		put(c, "\0\0\0\0\0\1\3\4\0\0\6abcdefgh", 18);
		break;
	case 0:
		put32(c, k == P_ARP ? 99 : v6 ? 30 : 2);	/* host order */
		break;
	case 108: {
		int big = c->big;

		c->big = 1;
		put32(c, k == P_ARP ? 99 : v6 ? 24 : 2);
		c->big = big;
		break;
	}
	default:
		if (k == P_ARP)
			return;
		break;
	}
	put(c, ip.b, ip.n);
}

/* A classic pcap header. */
static void
pcap_hdr(struct cap *c, int nsec, uint32_t snaplen, uint32_t linktype)
{
	put32(c, nsec ? 0xa1b23c4d : 0xa1b2c3d4);
	put16(c, 2);
	put16(c, 4);
	put32(c, 0);
	put32(c, 0);
	put32(c, snaplen);
	put32(c, linktype);
}

/* A pcap record of packet k at time sec.usec, cut to caplen (0: not). */
static void
pcap_rec(struct cap *c, uint32_t linktype, enum pkt k, uint32_t sec,
    uint32_t frac, size_t caplen)
{
	struct cap f = { .n = 0, .big = c->big };

	frame(&f, linktype, k);
	put32(c, sec);
	put32(c, frac);
	put32(c, (uint32_t)(caplen != 0 ? caplen : f.n));
	put32(c, (uint32_t)f.n);
	put(c, f.b, caplen != 0 ? caplen : f.n);
}

/* A pcapng block of type with body. */
static void
ng_block(struct cap *c, uint32_t type, const struct cap *body)
{
	size_t pad = (4 - body->n % 4) % 4;

	put32(c, type);
	put32(c, (uint32_t)(12 + body->n + pad));
	put(c, body->b, body->n);
	put(c, "\0\0\0", pad);
	put32(c, (uint32_t)(12 + body->n + pad));
}

static void
ng_shb(struct cap *c)
{
	struct cap b = { .n = 0, .big = c->big };

	put32(&b, 0x1a2b3c4d);
	put16(&b, 1);
	put16(&b, 0);
	put32(&b, 0xffffffff);
	put32(&b, 0xffffffff);
	ng_block(c, 0x0a0d0d0a, &b);
}

/* An interface; tsresol < 0: none given. */
static void
ng_idb(struct cap *c, uint32_t linktype, int tsresol)
{
	struct cap b = { .n = 0, .big = c->big };

	put16(&b, linktype);
	put16(&b, 0);
	put32(&b, 0);
	if (tsresol >= 0) {
		put16(&b, 9);
		put16(&b, 1);
		put32(&b, (uint32_t)tsresol << (c->big ? 24 : 0));
		put16(&b, 0);
		put16(&b, 0);
	}
	ng_block(c, 1, &b);
}

/* An enhanced packet block of packet k at ts on interface ifid. */
static void
ng_epb(struct cap *c, uint32_t ifid, uint32_t linktype, enum pkt k,
    uint64_t ts)
{
	struct cap f = { .n = 0, .big = c->big };
	struct cap b = { .n = 0, .big = c->big };

	frame(&f, linktype, k);
	put32(&b, ifid);
	put32(&b, (uint32_t)(ts >> 32));
	put32(&b, (uint32_t)ts);
	put32(&b, (uint32_t)f.n);
	put32(&b, (uint32_t)f.n);
	put(&b, f.b, f.n);
	ng_block(c, 6, &b);
}

/* What reading a whole capture gave. */
struct got {
	int		rc;
	int		nrec;
	char		data[8][16];
	uint64_t	ns[8];
	struct pcap_reader r;
};

/* Reads c, fed step bytes at a time (0: all at once). */
static void
read_cap(const struct cap *c, size_t step, struct got *g)
{
	unsigned char *buf = malloc(c->n + 1);
	size_t have = 0, fed = 0, used, add;
	struct pcap_rec rec;
	int rc;

	assert_non_null(buf);
	memset(g, 0, sizeof(*g));
	pcap_reader_init(&g->r);
	for (;;) {
		rc = pcap_next(&g->r, buf, have, fed == c->n, &used, &rec);
		if (rc == PCAP_REC) {
			assert_true(g->nrec < 8 && rec.len < 16);
			memcpy(g->data[g->nrec], rec.data, rec.len);
			g->ns[g->nrec++] = rec.ns;
		}
		memmove(buf, buf + used, have - used);
		have -= used;
		if (rc == PCAP_MORE) {
			assert_true(fed < c->n);
			add = step == 0 || c->n - fed < step ? c->n - fed : step;
			memcpy(buf + have, c->b + fed, add);
			have += add;
			fed += add;
		} else if (rc != PCAP_REC)
			break;
	}
	g->rc = rc;
	free(buf);
}

/* Every link type, in pcap of both byte orders and pcapng of both. */
static void
test_links(void **state)
{
	static const uint32_t links[] = { 1, 113, 276, 0, 108, 101, 12, 14 };
	static const char *const fmt[] = { "pcap-le", "pcap-be", "ng-le",
	    "ng-be" };
	struct got g;
	struct cap c;
	size_t i, f, step;

	(void)state;
	for (i = 0; i < NELEM(links); i++)
		for (f = 0; f < NELEM(fmt); f++)
			for (step = 0; step < 8; step += 7) {
				memset(&c, 0, sizeof(c));
				c.big = f & 1;
				if (f < 2) {
					pcap_hdr(&c, 0, 65535, links[i]);
					pcap_rec(&c, links[i], P_UDP4, 5, 7, 0);
					pcap_rec(&c, links[i], P_ARP, 6, 0, 0);
					pcap_rec(&c, links[i], P_UDP6, 7, 1, 0);
				} else {
					ng_shb(&c);
					ng_idb(&c, links[i], -1);
					ng_epb(&c, 0, links[i], P_UDP4,
					    5000007);
					ng_epb(&c, 0, links[i], P_ARP, 6000000);
					ng_epb(&c, 0, links[i], P_UDP6,
					    7000001);
				}
				read_cap(&c, step, &g);
				print_message("link %u %s\n", links[i], fmt[f]);
				assert_int_equal(g.rc, PCAP_END);
				assert_int_equal(g.nrec, 2);
				assert_string_equal(g.data[0], "four");
				assert_string_equal(g.data[1], "six!!");
				assert_int_equal(g.ns[0], 5000007000ull);
				assert_int_equal(g.ns[1], 7000001000ull);
				/* Raw IP has no ARP: an empty packet. */
				assert_int_equal(g.r.packets, 3);
				assert_int_equal(g.r.skipped[links[i] >= 12 &&
				    links[i] <= 101 ? PCAP_SKIP_BAD :
				    PCAP_SKIP_NOTIP], 1);
				assert_int_equal(g.r.pos, c.n);
			}
}

/* Packets passed over, each counted by kind. */
static void
test_skips(void **state)
{
	static const struct {
		enum pkt	k;
		size_t		cut;
		uint32_t	link;
		enum pcap_skip	why;
	} t[] = {
		{ P_TCP4, 0, 1, PCAP_SKIP_NOTUDP },
		{ P_FRAG4, 0, 1, PCAP_SKIP_FRAGMENT },
		{ P_FRAG4B, 0, 1, PCAP_SKIP_FRAGMENT },
		{ P_FRAG6, 0, 1, PCAP_SKIP_FRAGMENT },
		{ P_BADUDP, 0, 1, PCAP_SKIP_BAD },
		{ P_UDP4, 40, 1, PCAP_SKIP_CUT },	/* snaplen 40 */
		{ P_UDP4, 10, 1, PCAP_SKIP_CUT },	/* inside Ethernet */
		{ P_UDP6, 60, 101, PCAP_SKIP_CUT },
		{ P_UDP4, 0, 147, PCAP_SKIP_LINK },
		{ P_ARP, 0, 113, PCAP_SKIP_NOTIP },
	};
	struct got g;
	struct cap c;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		memset(&c, 0, sizeof(c));
		pcap_hdr(&c, 1, 65535, t[i].link);
		pcap_rec(&c, t[i].link, t[i].k, 1, 2, t[i].cut);
		pcap_rec(&c, t[i].link, P_UDP4, 3, 4, 0);
		read_cap(&c, 0, &g);
		print_message("skip case %zu\n", i);
		assert_int_equal(g.rc, PCAP_END);
		/* The whole capture has the unknown link type. */
		assert_int_equal(g.r.skipped[t[i].why],
		    t[i].why == PCAP_SKIP_LINK ? 2 : 1);
		assert_int_equal(g.r.packets, 2);
		if (t[i].link == 1) {
			assert_int_equal(g.nrec, 1);
			assert_int_equal(g.ns[0], 3000000004ull);	/* ns */
		}
	}
}

/* Damaged captures: an error naming the offset. */
static void
test_damaged(void **state)
{
	struct got g;
	struct cap c;
	size_t full;

	(void)state;
	/* Nothing at all, and a header cut short. */
	memset(&c, 0, sizeof(c));
	read_cap(&c, 0, &g);
	assert_int_equal(g.rc, PCAP_ERR);
	assert_int_equal(g.r.err_pos, 0);
	pcap_hdr(&c, 0, 65535, 1);
	c.n = 20;
	read_cap(&c, 3, &g);
	assert_int_equal(g.rc, PCAP_ERR);
	assert_int_equal(g.r.err_pos, 20);
	/* Not a capture. */
	memset(&c, 0, sizeof(c));
	put(&c, "hello world, not pcap", 21);
	read_cap(&c, 0, &g);
	assert_int_equal(g.rc, PCAP_ERR);
	assert_int_equal(g.r.err_pos, 0);
	/* A 4 GB length field: refused before anything is read. */
	memset(&c, 0, sizeof(c));
	pcap_hdr(&c, 0, 65535, 1);
	pcap_rec(&c, 1, P_UDP4, 1, 0, 0);
	full = c.n;
	put32(&c, 2);
	put32(&c, 0);
	put32(&c, 0xffffffff);
	put32(&c, 0xffffffff);
	read_cap(&c, 0, &g);
	assert_int_equal(g.rc, PCAP_ERR);
	assert_int_equal(g.nrec, 1);
	assert_int_equal(g.r.err_pos, full + 8);
	/* The last packet cut short by the end. */
	c.n = full - 3;
	read_cap(&c, 5, &g);
	assert_int_equal(g.rc, PCAP_ERR);
	assert_int_equal(g.nrec, 0);
	assert_int_equal(g.r.err_pos, full - 3);
	/* pcapng: lengths that differ, an undescribed interface. */
	memset(&c, 0, sizeof(c));
	c.big = 1;
	ng_shb(&c);
	ng_idb(&c, 1, 9);
	ng_epb(&c, 0, 1, P_UDP4, 123456789012ull);
	full = c.n;
	ng_epb(&c, 1, 1, P_UDP4, 0);
	read_cap(&c, 0, &g);
	assert_int_equal(g.rc, PCAP_ERR);
	assert_int_equal(g.nrec, 1);
	assert_int_equal(g.ns[0], 123456789012ull);	/* tsresol 10^-9 */
	assert_int_equal(g.r.err_pos, full + 8);
	c.n = full;
	c.b[full - 1] ^= 4;
	read_cap(&c, 0, &g);
	assert_int_equal(g.rc, PCAP_ERR);
	assert_int_equal(g.r.err_pos, full - 4);
	/* A block length that is not a multiple of 4, and one over 1 MiB. */
	c.b[full - 1] ^= 4;
	c.b[7] = 30;
	read_cap(&c, 0, &g);
	assert_int_equal(g.rc, PCAP_ERR);
	assert_int_equal(g.r.err_pos, 4);
	c.b[7] = 28;
	c.b[4] = 0x10;
	read_cap(&c, 0, &g);
	assert_int_equal(g.rc, PCAP_ERR);
	assert_int_equal(g.r.err_pos, 4);
}

/* pcapng: unknown blocks, two sections of opposite byte orders. */
static void
test_pcapng(void **state)
{
	struct cap c, b = { .n = 0 };
	struct got g;

	(void)state;
	memset(&c, 0, sizeof(c));
	ng_shb(&c);
	ng_idb(&c, 101, -1);
	ng_idb(&c, 1, 0x80 | 10);		/* 2^-10 s */
	put(&b, "opaque stuff", 12);
	ng_block(&c, 0x40000bad, &b);
	ng_epb(&c, 1, 1, P_UDP4, 3 << 10 | 512);
	c.big = 1;
	ng_shb(&c);
	ng_idb(&c, 276, 3);
	ng_epb(&c, 0, 276, P_UDP6, 42);
	read_cap(&c, 1, &g);
	assert_int_equal(g.rc, PCAP_END);
	assert_int_equal(g.nrec, 2);
	assert_string_equal(g.data[0], "four");
	assert_int_equal(g.ns[0], 3500000000ull);
	assert_string_equal(g.data[1], "six!!");
	assert_int_equal(g.ns[1], 42000000ull);
}

/* Sums 16-bit big-endian words, folded. */
static unsigned
sum16(const unsigned char *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/*
 * The IP addresses of a record (ip: its IP header's length) are those of
 * the socket addresses: the last four bytes of an IPv6 one in IPv4.
 */
static void
check_addrs(const unsigned char *p, size_t ip, const struct sockaddr *f,
    const struct sockaddr *to)
{
	const struct sockaddr *sa[2] = { f, to };
	const unsigned char *a;
	size_t alen = ip == 20 ? 4 : 16, i;

	for (i = 0; i < 2; i++) {
		if (sa[i]->sa_family == AF_INET)
			a = (const unsigned char *)&((const struct sockaddr_in *)
			    (const void *)sa[i])->sin_addr;
		else
			a = ((const struct sockaddr_in6 *)(const void *)
			    sa[i])->sin6_addr.s6_addr + 16 - alen;
		assert_memory_equal(p + (ip == 20 ? 12 : 8) + i * alen, a,
		    alen);
	}
}

/* The writer: headers, lengths, checksums; read back by the reader. */
static void
test_writer(void **state)
{
	static const struct {
		int		fam_from, fam_to;
		const char	*from, *to;
		size_t		len, size;
		size_t		iplen;		/* 0: refused */
	} t[] = {
		{ AF_INET, AF_INET, "192.0.2.7", "127.0.0.1", 5, 5, 20 },
		/* The same ends again: the headers built for them reused. */
		{ AF_INET, AF_INET, "192.0.2.7", "127.0.0.1", 12, 12, 20 },
		{ AF_INET, AF_INET, "192.0.2.7", "127.0.0.1", 4, 9, 20 },
		{ AF_INET, AF_INET, "192.0.2.7", "127.0.0.1", 0, 0, 20 },
		{ AF_INET6, AF_INET6, "2001:db8::7", "::1", 5, 5, 40 },
		{ AF_INET6, AF_INET6, "2001:db8::7", "::1", 15, 15, 40 },
		{ AF_INET6, AF_INET6, "2001:db8::7", "::1", 3, 3, 40 },
		/* The same sender to another address, then back. */
		{ AF_INET6, AF_INET6, "2001:db8::7", "::2", 3, 3, 40 },
		{ AF_INET6, AF_INET6, "2001:db8::7", "::1", 3, 3, 40 },
		{ AF_INET6, AF_INET6, "::ffff:192.0.2.7", "::", 3, 3, 20 },
		{ AF_INET6, AF_INET6, "2001:db8::7", "::", 0, 0, 40 },
		{ AF_INET, AF_INET, "192.0.2.7", "127.0.0.1", 4, 9, 20 },
		{ AF_INET, AF_INET, "192.0.2.7", "0.0.0.0", 0, 65507, 20 },
		{ AF_INET, AF_INET, "192.0.2.7", "0.0.0.0", 0, 65508, 0 },
		{ AF_INET6, AF_INET6, "::1", "::1", 0, 65527, 40 },
		{ AF_INET6, AF_INET6, "::1", "::1", 0, 65528, 0 },
	};
	unsigned char out[PCAP_HEADER_LEN + PCAP_RECORD_OVERHEAD + 16];
	struct sockaddr_storage f, to;
	struct sockaddr_in *s4;
	struct sockaddr_in6 *s6;
	struct pcap_dgram d;
	struct cap c;
	struct got g;
	uint32_t h[4], magic;
	size_t i, n, ip;
	unsigned char *p;

	(void)state;
	assert_int_equal(pcap_write_header(out), PCAP_HEADER_LEN);
	memcpy(&magic, out, 4);
	assert_int_equal(magic, 0xa1b2c3d4);
	memcpy(&magic, out + 20, 4);
	assert_int_equal(magic, 101);
	for (i = 0; i < NELEM(t); i++) {
		print_message("writer case %zu\n", i);
		memset(&f, 0, sizeof(f));
		memset(&to, 0, sizeof(to));
		s4 = (struct sockaddr_in *)&f;
		s6 = (struct sockaddr_in6 *)&f;
		f.ss_family = (sa_family_t)t[i].fam_from;
		assert_int_equal(inet_pton(t[i].fam_from, t[i].from,
		    t[i].fam_from == AF_INET ? (void *)&s4->sin_addr :
		    (void *)&s6->sin6_addr), 1);
		s4->sin_port = htons(5353);	/* same place in both */
		s4 = (struct sockaddr_in *)&to;
		s6 = (struct sockaddr_in6 *)&to;
		to.ss_family = (sa_family_t)t[i].fam_to;
		assert_int_equal(inet_pton(t[i].fam_to, t[i].to,
		    t[i].fam_to == AF_INET ? (void *)&s4->sin_addr :
		    (void *)&s6->sin6_addr), 1);
		s4->sin_port = htons(9);
		memset(&d, 0, sizeof(d));
		d.data = (const unsigned char *)"hello world!!!!!";
		d.len = t[i].len;
		d.size = t[i].size;
		d.from = (struct sockaddr *)&f;
		d.to = (struct sockaddr *)&to;
		d.sec = 1700000000;
		d.nsec = 123456789;
		n = pcap_write_record(out + PCAP_HEADER_LEN, &d);
		if (t[i].iplen == 0) {
			assert_int_equal(n, 0);
			continue;
		}
		ip = t[i].iplen;
		assert_int_equal(n, 16 + ip + 8 + t[i].len);
		memcpy(h, out + PCAP_HEADER_LEN, 16);
		assert_int_equal(h[0], 1700000000);
		assert_int_equal(h[1], 123456);
		assert_int_equal(h[2], ip + 8 + t[i].len);
		assert_int_equal(h[3], ip + 8 + t[i].size);
		p = out + PCAP_HEADER_LEN + 16;
		assert_int_equal(p[0] >> 4, ip == 20 ? 4 : 6);
		check_addrs(p, ip, d.from, d.to);
		if (ip == 20) {
			assert_int_equal(sum16(p, 20, 0), 0xffff);
			assert_int_equal(p[2] << 8 | p[3], 28 + t[i].size);
			assert_int_equal(p[6], 0x40);	/* DF */
		} else
			assert_int_equal(p[4] << 8 | p[5], 8 + t[i].size);
		assert_int_equal(p[ip] << 8 | p[ip + 1], 5353);
		assert_int_equal(p[ip + 2] << 8 | p[ip + 3], 9);
		assert_int_equal(p[ip + 4] << 8 | p[ip + 5], 8 + t[i].size);
		if (t[i].len == t[i].size) {
			uint32_t s;
			unsigned char ph[4] = { 0, 17,
			    (unsigned char)((8 + t[i].size) >> 8),
			    (unsigned char)(8 + t[i].size) };

			s = sum16(p + (ip == 20 ? 12 : 8), ip == 20 ? 8 : 32,
			    0);
			s = sum16(ph, 4, s);
			assert_int_equal(sum16(p + ip, 8 + t[i].len, s),
			    0xffff);
		} else if (ip == 20)
			assert_int_equal(p[ip + 6] | p[ip + 7], 0);
		/* The reader gives the payload back, unless cut short. */
		memset(&c, 0, sizeof(c));
		put(&c, out, PCAP_HEADER_LEN + n);
		read_cap(&c, 0, &g);
		assert_int_equal(g.rc, PCAP_END);
		assert_int_equal(g.nrec, t[i].len == t[i].size &&
		    t[i].len < 16 ? 1 : 0);
		if (g.nrec == 1) {
			assert_memory_equal(g.data[0], d.data, t[i].len);
			assert_int_equal(g.ns[0], 1700000000123456000ull);
		}
	}
}

/*
 * A GRO buffer written at once: the same bytes as each of its pieces
 * written alone, or nothing where those would be refused.
 */
static void
test_records(void **state)
{
	static const struct {
		int	v6;
		size_t	seg, size, len;
		int	ok;
	} t[] = {
		{ 0, 7, 70, 70, 1 },		/* ten of seven */
		{ 0, 7, 66, 66, 1 },		/* the last one shorter */
		{ 1, 100, 1000, 1000, 1 },
		{ 1, 100, 1001, 1001, 1 },	/* the last one of a byte */
		{ 0, 64, 5, 5, 1 },		/* one, shorter than seg */
		{ 0, 1, 3, 3, 1 },
		{ 1, 65527, 65532, 65532, 1 },	/* the largest IPv6 one */
		{ 0, 65508, 65510, 65510, 0 },	/* too large for IPv4 */
		{ 0, 7, 0, 0, 0 },		/* nothing */
		{ 0, 0, 70, 70, 0 },		/* no size */
		{ 0, 7, 70, 69, 0 },		/* cut short: not GRO's */
	};
	struct sockaddr_in6 f6, to6;
	struct sockaddr_in f4, to4;
	struct pcap_dgram d, one;
	unsigned char *data, *whole, *each;
	size_t i, n, m, off, cap = 2 * 70000 + 100 * PCAP_RECORD_OVERHEAD;

	(void)state;
	assert_non_null(data = malloc(70000));
	assert_non_null(whole = malloc(cap));
	assert_non_null(each = malloc(cap));
	for (i = 0; i < 70000; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	memset(&f4, 0, sizeof(f4));
	memset(&to4, 0, sizeof(to4));
	memset(&f6, 0, sizeof(f6));
	memset(&to6, 0, sizeof(to6));
	f4.sin_family = to4.sin_family = AF_INET;
	f6.sin6_family = to6.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET, "192.0.2.7", &f4.sin_addr), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::7", &f6.sin6_addr), 1);
	f4.sin_port = f6.sin6_port = htons(5353);
	to4.sin_port = to6.sin6_port = htons(9);
	for (i = 0; i < NELEM(t); i++) {
		print_message("records case %zu\n", i);
		memset(&d, 0, sizeof(d));
		d.data = data;
		d.size = t[i].size;
		d.len = t[i].len;
		d.from = t[i].v6 ? (struct sockaddr *)&f6 :
		    (struct sockaddr *)&f4;
		d.to = t[i].v6 ? (struct sockaddr *)&to6 :
		    (struct sockaddr *)&to4;
		d.sec = 1700000000 + (int64_t)i;
		d.nsec = 999999999;
		memset(whole, 0xa5, cap);
		n = pcap_write_records(whole, &d, t[i].seg);
		if (!t[i].ok) {
			assert_int_equal(n, 0);
			continue;
		}
		for (off = 0, m = 0; off < d.size; off += t[i].seg) {
			one = d;
			one.data = data + off;
			one.len = one.size = d.size - off < t[i].seg ?
			    d.size - off : t[i].seg;
			m += pcap_write_record(each + m, &one);
		}
		assert_int_equal(n, m);
		assert_memory_equal(whole, each, m);
		assert_int_equal(whole[n], 0xa5);	/* nothing past it */
	}
	free(data);
	free(whole);
	free(each);
}

/*
 * Addresses whose sum is a carry away from wrapping 64 bits (all ones,
 * ports 0): the carry of what is added after them is not lost.
 */
static void
test_carry(void **state)
{
	unsigned char out[PCAP_RECORD_OVERHEAD + 4], *ip = out + 16;
	unsigned char ph[4] = { 0, 17, 0, 12 };
	struct sockaddr_in6 f, to;
	struct pcap_dgram d;
	uint32_t s;
	int i;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.sin6_family = AF_INET6;
	memset(&f.sin6_addr, 0xff, 16);
	to = f;
	memset(&d, 0, sizeof(d));
	d.data = (const unsigned char *)"abcd";
	d.len = d.size = 4;
	d.from = (struct sockaddr *)&f;
	for (i = 0; i < 2; i++) {
		d.to = i == 0 ? NULL : (struct sockaddr *)&to;
		assert_int_equal(pcap_write_record(out, &d), 16 + 40 + 8 + 4);
		s = sum16(ip + 8, 32, 0);
		s = sum16(ph, 4, s);
		assert_int_equal(sum16(ip + 40, 12, s), 0xffff);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_skips),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_pcapng),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_carry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
