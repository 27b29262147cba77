/* pcap.c: pcap records of UDP datagrams, IP and UDP headers built. */
#include <stddef.h>
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
 * eight bytes at a time with the carry added back in, four to a round.
 */
static uint64_t
csum_add(uint64_t sum, const unsigned char *p, size_t n)
{
	uint64_t x, a, b, c, e;
	uint32_t w;
	uint16_t h;
	unsigned char odd[2];

	for (; n >= 32; p += 32, n -= 32) {
		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		memcpy(&c, p + 16, 8);
		memcpy(&e, p + 24, 8);
		sum += a;
		sum += sum < a;
		sum += b;
		sum += sum < b;
		sum += c;
		sum += sum < c;
		sum += e;
		sum += sum < e;
	}
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
		odd[0] = *p;
		odd[1] = 0;
		memcpy(&h, odd, 2);
		sum += h;
		sum += sum < h;
	}
	return sum;
}

/*
 * A sum folded to 16 bits, the carries added back in: 0 stays 0, and
 * anything else, added in any order, comes to the same 1..0xffff.
 */
static uint64_t
csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (sum & 0xffff) + (sum >> 16);
}

/* v as a sum sees it where put16() stored it. */
static uint64_t
be16_word(unsigned v)
{
	unsigned char b[2];
	uint16_t h;

	put16(b, v);
	memcpy(&h, b, 2);
	return h;
}

/* Folds a sum and stores its complement where it belongs. */
static void
csum_put(unsigned char *p, uint64_t sum, int udp)
{
	uint16_t w;

	sum = csum_fold(sum);
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

/* The bytes of a socket address that the headers are built from. */
#define KEY_MAX	offsetof(struct sockaddr_in6, sin6_scope_id)

/*
 * How many bytes of sa decide its end: the family, port and address of
 * IPv4 (8) and IPv6 (24, the flow label too); the family alone of others
 * (never written); none for NULL.
 */
static size_t
key_len(const struct sockaddr *sa)
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		return offsetof(struct sockaddr_in, sin_zero);
	if (sa->sa_family == AF_INET6)
		return KEY_MAX;
	return sizeof(sa->sa_family);
}

/*
 * The headers of the last pair of ends written: a listener's records
 * come from one sender to one address, flood after flood, so that only
 * the lengths and checksums change.  Not for threads.
 */
static struct {
	int		valid;
	unsigned char	from[KEY_MAX], to[KEY_MAX];	/* their keys */
	size_t		fromlen, tolen;
	int		v6;
	unsigned char	hdr[40 + 8];	/* IP and UDP headers, no lengths */
	uint64_t	ipsum;		/* IPv4: its header's sum, folded */
	uint64_t	udpsum;		/* addresses, protocol, ports, folded */
} last;

/* True when sa has the key of len bytes (len from key_len()). */
static int
same_key(const struct sockaddr *sa, const unsigned char *key, size_t len)
{
	/* Sizes the compiler knows, for the two that come again and again. */
	if (len == offsetof(struct sockaddr_in, sin_zero))
		return memcmp(sa, key, offsetof(struct sockaddr_in,
		    sin_zero)) == 0;
	if (len == KEY_MAX)
		return memcmp(sa, key, KEY_MAX) == 0;
	return len == 0 || memcmp(sa, key, len) == 0;
}

/* True when last holds the headers from d->from to d->to. */
static int
same_ends(const struct pcap_dgram *d, size_t fromlen, size_t tolen)
{
	return last.valid && fromlen == last.fromlen &&
	    tolen == last.tolen && same_key(d->from, last.from, fromlen) &&
	    same_key(d->to, last.to, tolen);
}

/*
 * Builds the IP and UDP headers between f and t with their lengths and
 * checksums left 0, and the sums of what stays of them, into last.
 */
static void
build_headers(const struct ip_end *f, struct ip_end *t)
{
	unsigned char *p = last.hdr, *udp;
	size_t alen = f->v6 ? 16 : 4;
	uint64_t sum;

	ip_match(f, t);
	memset(last.hdr, 0, sizeof(last.hdr));
	if (f->v6) {
		p[0] = 0x60;
		p[6] = IPPROTO_UDP;
		p[7] = 64;
		memcpy(p + 8, f->a, 16);
		memcpy(p + 24, t->a, 16);
		udp = p + 40;
	} else {
		p[0] = 0x45;
		put16(p + 6, 0x4000);	/* DF, as Linux sends UDP */
		p[8] = 64;
		p[9] = IPPROTO_UDP;
		memcpy(p + 12, f->a, 4);
		memcpy(p + 16, t->a, 4);
		last.ipsum = csum_fold(csum_add(0, p, 20));
		udp = p + 20;
	}
	put16(udp, f->port);
	put16(udp + 2, t->port);
	sum = csum_add(0, f->a, alen);
	sum = csum_add(sum, t->a, alen);
	sum = csum_add(sum, udp, 4);
	/* Folded first: the sum may be a carry away from wrapping. */
	last.udpsum = csum_fold(csum_fold(sum) + be16_word(IPPROTO_UDP));
	last.v6 = f->v6;
}

/*
 * Makes last hold the headers from d->from to d->to, whose keys are of
 * fromlen and tolen bytes; -1 when the sender is not IPv4 or IPv6.  Kept
 * out of line: it runs once a sender, the record's part once a datagram.
 */
static int __attribute__((noinline))
new_headers(const struct pcap_dgram *d, size_t fromlen, size_t tolen)
{
	struct ip_end f, t;

	last.valid = 0;
	if (ip_end(d->from, &f) == -1)
		return -1;
	if (ip_end(d->to, &t) == -1)
		t.v6 = f.v6;	/* no local address: the unspecified one */
	build_headers(&f, &t);
	memcpy(last.from, d->from, fromlen);
	if (tolen > 0)
		memcpy(last.to, d->to, tolen);
	last.fromlen = fromlen;
	last.tolen = tolen;
	last.valid = 1;
	return 0;
}

/*
 * The UDP checksum over the pseudo header, the UDP header and the len
 * bytes of payload after it.  A payload cut short cannot be summed: an
 * IPv4 checksum is then left out (0), and an IPv6 one, which may not be,
 * covers what was kept.
 */
static void
put_udp_sum(unsigned char *udp, const struct pcap_dgram *d)
{
	uint64_t sum;

	if (!last.v6 && d->len < d->size)
		return;
	/* Its length twice: in the pseudo header and in the UDP header. */
	sum = last.udpsum + 2 * be16_word((unsigned)(8 + d->size));
	csum_put(udp + 6, csum_add(sum, udp + 8, d->len), 1);
}

size_t
pcap_write_record(unsigned char *dst, const struct pcap_dgram *d)
{
	unsigned char *ip = dst + 16, *udp;
	size_t fromlen = key_len(d->from), tolen = key_len(d->to), iplen;
	unsigned udplen;
	uint32_t h[4];

	if ((!same_ends(d, fromlen, tolen) &&
	    new_headers(d, fromlen, tolen) == -1) ||
	    d->len > d->size || d->size > 65535 - 8 - (last.v6 ? 0 : 20))
		return 0;
	udplen = (unsigned)(8 + d->size);
	if (last.v6) {
		memcpy(ip, last.hdr, 40 + 8);
		put16(ip + 4, udplen);
		iplen = 40;
	} else {
		memcpy(ip, last.hdr, 20 + 8);
		put16(ip + 2, 20 + udplen);
		csum_put(ip + 10, last.ipsum + be16_word(20 + udplen), 0);
		iplen = 20;
	}
	udp = ip + iplen;
	put16(udp + 4, udplen);
	if (d->len > 0)
		memcpy(udp + 8, d->data, d->len);
	put_udp_sum(udp, d);
	h[0] = (uint32_t)d->sec;
	h[1] = (uint32_t)(d->nsec / 1000);
	h[2] = (uint32_t)(iplen + 8 + d->len);
	h[3] = (uint32_t)(iplen + 8 + d->size);
	memcpy(dst, h, sizeof(h));
	return 16 + iplen + 8 + d->len;
}

size_t
pcap_write_records(unsigned char *dst, const struct pcap_dgram *d,
    size_t seg)
{
	struct pcap_dgram one = *d;
	unsigned char *udp;
	size_t off, total, hdr;
	uint64_t sum;

	if (seg == 0 || d->size == 0 || d->len != d->size)
		return 0;
	one.len = one.size = d->size < seg ? d->size : seg;
	if ((total = pcap_write_record(dst, &one)) == 0)
		return 0;
	/*
	 * The records of seg bytes differ in their payloads and UDP
	 * checksums alone: the first one's headers are copied.
	 */
	hdr = total - one.len;
	sum = last.udpsum + 2 * be16_word((unsigned)(8 + seg));
	for (off = one.len; d->size - off >= seg; off += seg) {
		/* Sizes the compiler knows: IPv4's and IPv6's. */
		if (hdr == 16 + 20 + 8)
			memcpy(dst + total, dst, 16 + 20 + 8);
		else
			memcpy(dst + total, dst, 16 + 40 + 8);
		memcpy(dst + total + hdr, d->data + off, seg);
		udp = dst + total + hdr - 8;
		csum_put(udp + 6, csum_add(sum, udp + 8, seg), 1);
		total += hdr + seg;
	}
	if (off < d->size) {
		one.data = d->data + off;
		one.len = one.size = d->size - off;
		total += pcap_write_record(dst + total, &one);
	}
	return total;
}
