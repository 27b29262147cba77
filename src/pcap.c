/* pcap.c: pcap records of UDP datagrams, IP and UDP headers built. */
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

#include "pcap.h"

#define PCAP_SNAPLEN	262144

/* An address and port of either family, as the writer puts them. */
struct ip_end {
	int		 v6;
	unsigned char	 a[16];
	uint16_t	 port;
};

/* Stores v in big-endian order. */
static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/*
 * The one's-complement sum of n bytes, in the host's order (RFC 1071),
 * eight bytes at a time with the carry added back in.
 */
static uint64_t
csum_add(uint64_t sum, const unsigned char *p, size_t n)
{
	uint64_t x;
	uint32_t w;
	uint16_t h;
	unsigned char last[2];

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&x, p, 8);
		sum += x;
		sum += sum < x;
	}
	if (n >= 4) {
		memcpy(&w, p, 4);
		sum += w;
		sum += sum < w;
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		memcpy(&h, p, 2);
		sum += h;
		sum += sum < h;
		p += 2;
		n -= 2;
	}
	if (n == 1) {
		last[0] = *p;
		last[1] = 0;
		memcpy(&h, last, 2);
		sum += h;
		sum += sum < h;
	}
	return sum;
}

/* Folds a sum and stores its complement where it belongs. */
static void
csum_put(unsigned char *p, uint64_t sum, int udp)
{
	uint16_t w;

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	if (udp && sum == 0xffff)
		sum = 0;	/* a checksum of 0 would mean "none" */
	w = (uint16_t)~sum;
	memcpy(p, &w, 2);
}

/* Reads a socket address; 0, or -1 for a family it does not know. */
static int
ip_end(const struct sockaddr *sa, struct ip_end *e)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	memset(e, 0, sizeof(*e));
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		memcpy(e->a, &sin->sin_addr, 4);
		e->port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	sin6 = (const struct sockaddr_in6 *)(const void *)sa;
	e->port = ntohs(sin6->sin6_port);
	if (memcmp(sin6->sin6_addr.s6_addr, mapped, 12) == 0)
		memcpy(e->a, sin6->sin6_addr.s6_addr + 12, 4);
	else {
		memcpy(e->a, sin6->sin6_addr.s6_addr, 16);
		e->v6 = 1;
	}
	return 0;
}

/*
 * Brings the local end to the sender's IP version: the unspecified
 * address of the other version (a wildcard socket), or IPv4 mapped.
 */
static void
ip_match(const struct ip_end *from, struct ip_end *to)
{
	unsigned char a[4];

	if (from->v6 == to->v6)
		return;
	memcpy(a, to->a, 4);
	memset(to->a, 0, 16);
	if (from->v6 && memcmp(a, "\0\0\0\0", 4) != 0) {
		to->a[10] = to->a[11] = 0xff;
		memcpy(to->a + 12, a, 4);
	}
	to->v6 = from->v6;
}

size_t
pcap_write_header(unsigned char *dst)
{
	uint32_t w[6] = { 0xa1b2c3d4, 0, 0, 0, PCAP_SNAPLEN, PCAP_LINKTYPE_RAW };
	uint16_t ver[2] = { 2, 4 };

	memcpy(dst, w, sizeof(w));
	memcpy(dst + 4, ver, sizeof(ver));
	return PCAP_HEADER_LEN;
}

/* The IP header for the datagram: its length. */
static size_t
write_ip(unsigned char *p, const struct ip_end *f, const struct ip_end *t,
    size_t udplen)
{
	if (f->v6) {
		memset(p, 0, 8);
		p[0] = 0x60;
		put16(p + 4, (unsigned)udplen);
		p[6] = IPPROTO_UDP;
		p[7] = 64;
		memcpy(p + 8, f->a, 16);
		memcpy(p + 24, t->a, 16);
		return 40;
	}
	p[0] = 0x45;
	p[1] = 0;
	put16(p + 2, (unsigned)(20 + udplen));
	put16(p + 4, 0);
	put16(p + 6, 0x4000);	/* DF, as Linux sends UDP */
	p[8] = 64;
	p[9] = IPPROTO_UDP;
	put16(p + 10, 0);
	memcpy(p + 12, f->a, 4);
	memcpy(p + 16, t->a, 4);
	csum_put(p + 10, csum_add(0, p, 20), 0);
	return 20;
}

/*
 * The UDP header and payload.  A payload cut short cannot be summed: an
 * IPv4 checksum is then left out (0), and an IPv6 one, which may not be,
 * covers what was kept.
 */
static void
write_udp(unsigned char *p, const struct ip_end *f, const struct ip_end *t,
    const struct pcap_dgram *d)
{
	unsigned char pseudo[4];
	size_t alen = f->v6 ? 16 : 4;
	uint64_t sum;

	put16(p, f->port);
	put16(p + 2, t->port);
	put16(p + 4, (unsigned)(8 + d->size));
	put16(p + 6, 0);
	if (d->len > 0)
		memcpy(p + 8, d->data, d->len);
	if (!f->v6 && d->len < d->size)
		return;
	pseudo[0] = 0;
	pseudo[1] = IPPROTO_UDP;
	put16(pseudo + 2, (unsigned)(8 + d->size));
	sum = csum_add(0, f->a, alen);
	sum = csum_add(sum, t->a, alen);
	sum = csum_add(sum, pseudo, 4);
	csum_put(p + 6, csum_add(sum, p, 8 + d->len), 1);
}

size_t
pcap_write_record(unsigned char *dst, const struct pcap_dgram *d)
{
	struct ip_end f, t;
	uint32_t h[4];
	size_t iplen;

	if (ip_end(d->from, &f) == -1)
		return 0;
	if (ip_end(d->to, &t) == -1)
		t.v6 = f.v6;	/* no local address: the unspecified one */
	ip_match(&f, &t);
	if (d->len > d->size || d->size > 65535 - 8 - (f.v6 ? 0 : 20))
		return 0;
	iplen = write_ip(dst + 16, &f, &t, 8 + d->size);
	write_udp(dst + 16 + iplen, &f, &t, d);
	h[0] = (uint32_t)d->sec;
	h[1] = (uint32_t)(d->nsec / 1000);
	h[2] = (uint32_t)(iplen + 8 + d->len);
	h[3] = (uint32_t)(iplen + 8 + d->size);
	memcpy(dst, h, sizeof(h));
	return 16 + iplen + 8 + d->len;
}
