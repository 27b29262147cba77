/* pcapread.c: pcap and pcapng captures read, UDP payloads found. */
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

#include "pcap.h"

#define NS		1000000000u
#define UNIT_SKIP	2		/* unit(): consumed, nothing to return */
#define MAX_TAGS	8		/* VLAN tags in a row */
#define MAX_EXT		8		/* IPv6 extension headers in a row */

const char *
pcap_skip_name(enum pcap_skip k)
{
	static const char *const names[PCAP_SKIP_KINDS] = {
		"unknown link type", "not IP", "not UDP", "IP fragment",
		"cut short by the snapshot length", "malformed IP or UDP header"
	};

	return (unsigned)k < PCAP_SKIP_KINDS ? names[k] : "?";
}

void
pcap_reader_init(struct pcap_reader *r)
{
	memset(r, 0, sizeof(*r));
}

static inline unsigned
be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static inline uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Little-endian: what the capturing host wrote, most often. */
static inline uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

/* 16 and 32 bits in the section's byte order. */
static inline unsigned
rd16(const struct pcap_reader *r, const unsigned char *p)
{
	return r->big ? be16(p) : (unsigned)p[1] << 8 | p[0];
}

static inline uint32_t
rd32(const struct pcap_reader *r, const unsigned char *p)
{
	return r->big ? be32(p) : le32(p);
}

/* Records a damaged capture at offset off of the current unit. */
static int
damaged(struct pcap_reader *r, size_t off, const char *what)
{
	r->err = what;
	r->err_pos = r->pos + off;
	return PCAP_ERR;
}

/*
 * Whether n bytes are there: 0 when they are, else PCAP_MORE, or at the
 * end of the input a damaged capture ("what" cut short).
 */
static int
need(struct pcap_reader *r, size_t avail, size_t n, int eof,
    const char *what)
{
	if (avail >= n)
		return 0;
	return eof ? damaged(r, avail, what) : PCAP_MORE;
}

/* Counts a packet passed over. */
static int
skip(struct pcap_reader *r, enum pcap_skip why)
{
	r->skipped[why]++;
	return UNIT_SKIP;
}

/* A header cut off: by the snapshot length, or malformed. */
static int
short_hdr(struct pcap_reader *r, int cut)
{
	return skip(r, cut ? PCAP_SKIP_CUT : PCAP_SKIP_BAD);
}

/*
 * The UDP header at off of an IP packet of iplen bytes, avail of them
 * captured.
 */
static int
udp(struct pcap_reader *r, const unsigned char *p, size_t avail,
    size_t off, size_t iplen, int cut, struct pcap_rec *rec)
{
	size_t ulen;

	if (iplen > avail)
		return short_hdr(r, cut);
	if (off + 8 > iplen)
		return skip(r, PCAP_SKIP_BAD);
	ulen = be16(p + off + 4);
	if (ulen < 8 || off + ulen > iplen)
		return skip(r, PCAP_SKIP_BAD);
	rec->data = p + off + 8;
	rec->len = ulen - 8;
	return PCAP_REC;
}

/* An IPv4 packet of avail captured bytes. */
static int
ipv4(struct pcap_reader *r, const unsigned char *p, size_t avail, int cut,
    struct pcap_rec *rec)
{
	size_t ihl, tot;

	if (avail < 20)
		return short_hdr(r, cut);
	ihl = (size_t)(p[0] & 0xf) * 4;
	tot = be16(p + 2);
	if (p[0] >> 4 != 4 || ihl < 20 || tot < ihl)
		return skip(r, PCAP_SKIP_BAD);
	if ((be16(p + 6) & 0x3fff) != 0)
		return skip(r, PCAP_SKIP_FRAGMENT);
	if (p[9] != IPPROTO_UDP)
		return skip(r, PCAP_SKIP_NOTUDP);
	return udp(r, p, avail, ihl, tot, cut, rec);
}

/* An IPv6 packet, through its extension headers to UDP. */
static int
ipv6(struct pcap_reader *r, const unsigned char *p, size_t avail, int cut,
    struct pcap_rec *rec)
{
	size_t off = 40, tot;
	unsigned nxt, cur, i;

	if (avail < 40)
		return short_hdr(r, cut);
	tot = 40 + (size_t)be16(p + 4);
	nxt = p[6];
	if (p[0] >> 4 != 6 || tot == 40)
		return skip(r, PCAP_SKIP_BAD);	/* a jumbogram is not read */
	for (i = 0; i < MAX_EXT; i++) {
		if (nxt != 0 && nxt != 43 && nxt != 44 && nxt != 60)
			break;
		if (off + 8 > avail)
			return short_hdr(r, cut);
		if (nxt == 44 && (be16(p + off + 2) & 0xfff9) != 0)
			return skip(r, PCAP_SKIP_FRAGMENT);
		cur = nxt;
		nxt = p[off];
		off += cur == 44 ? 8 : ((size_t)p[off + 1] + 1) * 8;
	}
	if (nxt != IPPROTO_UDP)
		return skip(r, PCAP_SKIP_NOTUDP);
	return udp(r, p, avail, off, tot, cut, rec);
}

/* The network protocol of a BSD loopback family word, either order. */
static unsigned
loop_family(const unsigned char *p)
{
	uint32_t v = be32(p);

	if (v > 0xffff)
		v = le32(p);
	if (v == 2)
		return 0x0800;
	if (v == 10 || v == 24 || v == 28 || v == 30)
		return 0x86dd;
	return 0;
}

enum link { LINK_OK, LINK_SHORT, LINK_UNKNOWN };

/*
 * The link-layer header of a packet of link type linktype: the type of
 * what follows it (an EtherType) in *type and its length in *off.
 */
static enum link
link_hdr(uint32_t linktype, const unsigned char *p, size_t caplen,
    unsigned *type, size_t *off)
{
	int tags = 0;

	switch (linktype) {
	case 1:		/* Ethernet, perhaps with 802.1Q/802.1ad tags */
		if (caplen < 14)
			return LINK_SHORT;
		*type = be16(p + 12);
		for (*off = 14; (*type == 0x8100 || *type == 0x88a8 ||
		    *type == 0x9100) && tags < MAX_TAGS; *off += 4, tags++) {
			if (*off + 4 > caplen)
				return LINK_SHORT;
			*type = be16(p + *off + 2);
		}
		return LINK_OK;
	case 113:	/* Linux cooked v1 */
		*off = 16;
		*type = caplen < 16 ? 0 : be16(p + 14);
		break;
	case 276:	/* Linux cooked v2 */
		*off = 20;
		*type = caplen < 20 ? 0 : be16(p);
		break;
	case 0:		/* BSD loopback, host order */
	case 108:	/* OpenBSD loopback, network order */
		*off = 4;
		*type = caplen < 4 ? 0 : loop_family(p);
		break;
	case 12:	/* DLT_RAW where it means raw IP */
	case 14:
	case PCAP_LINKTYPE_RAW:
		if (caplen < 1)
			return LINK_SHORT;
		*type = p[0] >> 4 == 6 ? 0x86dd : 0x0800;
		*off = 0;
		return LINK_OK;
	case 228:
		*type = 0x0800;
		*off = 0;
		return LINK_OK;
	case 229:
		*type = 0x86dd;
		*off = 0;
		return LINK_OK;
	default:
		return LINK_UNKNOWN;
	}
	return caplen < *off ? LINK_SHORT : LINK_OK;
}

/*
 * One captured packet: its link-layer header, then IP.  Returns PCAP_REC
 * or UNIT_SKIP.
 */
static int
packet(struct pcap_reader *r, uint32_t linktype, const unsigned char *p,
    size_t caplen, size_t origlen, struct pcap_rec *rec)
{
	int cut = caplen < origlen;
	size_t off = 0;
	unsigned type = 0;

	r->packets++;
	switch (link_hdr(linktype, p, caplen, &type, &off)) {
	case LINK_SHORT:
		return short_hdr(r, cut);
	case LINK_UNKNOWN:
		return skip(r, PCAP_SKIP_LINK);
	case LINK_OK:
		break;
	}
	if (type == 0x0800)
		return ipv4(r, p + off, caplen - off, cut, rec);
	if (type == 0x86dd)
		return ipv6(r, p + off, caplen - off, cut, rec);
	return skip(r, PCAP_SKIP_NOTIP);
}

/* Nanoseconds since 1970 from a pcapng timestamp of interface ifp. */
static uint64_t
ng_time(const struct pcap_if *ifp, uint64_t ts)
{
	uint64_t unit = 1, ns, frac;
	unsigned i, n = ifp->resol;

	if (ifp->bin) {
		frac = ts & ((n >= 64 ? 0 : (uint64_t)1 << n) - 1);
		if (n > 30) {
			frac >>= n - 30;
			n = 30;
		}
		ns = (n >= 64 ? 0 : ts >> ifp->resol) * NS +
		    (frac * NS >> n);
	} else if (n <= 9) {
		for (i = n; i < 9; i++)
			unit *= 10;
		ns = ts * unit;
	} else {
		for (i = 9; i < n && i < 28; i++)
			unit *= 10;
		ns = ts / unit;
	}
	return ns + (uint64_t)ifp->offset * NS;
}

/*
 * The options of an interface description block from off to end: the
 * timestamp resolution and offset.  0, or PCAP_ERR.
 */
static int
ng_if_opts(struct pcap_reader *r, const unsigned char *p, size_t off,
    size_t end, struct pcap_if *ifp)
{
	unsigned code, len;
	size_t hi, lo;

	while (off + 4 <= end) {
		code = rd16(r, p + off);
		len = rd16(r, p + off + 2);
		if (code == 0)
			break;
		if (off + 4 + len > end)
			return damaged(r, off, "an option runs past its block");
		if (code == 9 && len >= 1) {
			ifp->bin = p[off + 4] >> 7;
			ifp->resol = p[off + 4] & 0x7f;
			if (ifp->bin ? ifp->resol > 63 : ifp->resol > 19)
				return damaged(r, off,
				    "an impossible timestamp resolution");
		} else if (code == 14 && len == 8) {
			hi = off + (r->big ? 4 : 8);
			lo = off + (r->big ? 8 : 4);
			ifp->offset = (int64_t)((uint64_t)rd32(r, p + hi) << 32 |
			    rd32(r, p + lo));
		}
		off += 4 + ((len + 3) & ~3u);
	}
	return 0;
}

/* A section header block of total bytes; its byte order is known. */
static int
ng_section(struct pcap_reader *r, const unsigned char *p, size_t total)
{
	if (total < 28)
		return damaged(r, 4, "a section header block too short");
	if (rd16(r, p + 12) != 1)
		return damaged(r, 12, "a pcapng major version other than 1");
	r->nif = 0;
	return UNIT_SKIP;
}

/* An interface description block. */
static int
ng_interface(struct pcap_reader *r, const unsigned char *p, size_t total)
{
	struct pcap_if *ifp;

	if (total < 20)
		return damaged(r, 4, "an interface block too short");
	if (r->nif == PCAP_MAX_IF)
		return damaged(r, 0, "more than 64 interfaces in a section");
	ifp = &r->ifs[r->nif];
	memset(ifp, 0, sizeof(*ifp));
	ifp->linktype = rd16(r, p + 8);
	ifp->snaplen = rd32(r, p + 12);
	ifp->resol = 6;
	if (ng_if_opts(r, p, 16, total - 4, ifp) != 0)
		return PCAP_ERR;
	r->nif++;
	return UNIT_SKIP;
}

/* An enhanced (6), obsolete (2) or simple (3) packet block. */
static int
ng_packet(struct pcap_reader *r, uint32_t type, const unsigned char *p,
    size_t total, struct pcap_rec *rec)
{
	size_t hdr = type == 3 ? 12 : 28, caplen, origlen;
	uint32_t ifid;
	uint64_t ts;

	if (total < hdr + 4)
		return damaged(r, 4, "a packet block too short");
	ifid = type == 6 ? rd32(r, p + 8) : type == 2 ? rd16(r, p + 8) : 0;
	if (ifid >= r->nif)
		return damaged(r, 8, "a packet of an undescribed interface");
	if (type == 3) {
		origlen = rd32(r, p + 8);
		caplen = total - hdr - 4;
		if (origlen < caplen)
			caplen = origlen;
		if (r->ifs[0].snaplen != 0 && r->ifs[0].snaplen < caplen)
			caplen = r->ifs[0].snaplen;
		rec->ns = r->last_ns;	/* no time of its own */
	} else {
		caplen = rd32(r, p + 20);
		origlen = rd32(r, p + 24);
		if (caplen > total - hdr - 4)
			return damaged(r, 20, "a packet longer than its block");
		ts = (uint64_t)rd32(r, p + 12) << 32 | rd32(r, p + 16);
		rec->ns = ng_time(&r->ifs[ifid], ts);
	}
	r->last_ns = rec->ns;
	return packet(r, r->ifs[ifid].linktype, p + hdr, caplen, origlen, rec);
}

/* One pcapng block. */
static int
ng_block(struct pcap_reader *r, const unsigned char *p, size_t avail,
    int eof, size_t *n, struct pcap_rec *rec)
{
	uint32_t type, total;
	int rc;

	if (avail == 0 && eof)
		return PCAP_END;
	if ((rc = need(r, avail, 12, eof, "a block header cut short")) != 0)
		return rc;
	type = be32(p);
	if (type == 0x0a0d0d0a) {
		if (be32(p + 8) == 0x1a2b3c4d)
			r->big = 1;
		else if (be32(p + 8) == 0x4d3c2b1a)
			r->big = 0;
		else
			return damaged(r, 8, "a bad byte-order magic");
	} else
		type = rd32(r, p);
	total = rd32(r, p + 4);
	if (total < 12 || total % 4 != 0)
		return damaged(r, 4, "a bad block length");
	if (total > PCAP_UNIT_MAX)
		return damaged(r, 4, "a block longer than 1 MiB");
	if ((rc = need(r, avail, total, eof, "a block cut short")) != 0)
		return rc;
	if (rd32(r, p + total - 4) != total)
		return damaged(r, total - 4, "block lengths that differ");
	*n = total;
	switch (type) {
	case 0x0a0d0d0a:
		return ng_section(r, p, total);
	case 1:
		return ng_interface(r, p, total);
	case 2:
	case 3:
	case 6:
		return ng_packet(r, type, p, total, rec);
	default:
		return UNIT_SKIP;	/* statistics, names, unknown */
	}
}

/* One classic pcap record. */
static int
pcap_record(struct pcap_reader *r, const unsigned char *p, size_t avail,
    int eof, size_t *n, struct pcap_rec *rec)
{
	uint32_t caplen, origlen;
	int rc;

	if (avail == 0 && eof)
		return PCAP_END;
	if ((rc = need(r, avail, 16, eof, "a packet header cut short")) != 0)
		return rc;
	caplen = rd32(r, p + 8);
	origlen = rd32(r, p + 12);
	if (caplen > PCAP_UNIT_MAX - 16)
		return damaged(r, 8, "a packet length over 1 MiB");
	if ((rc = need(r, avail, 16 + (size_t)caplen, eof,
	    "a packet cut short")) != 0)
		return rc;
	*n = 16 + (size_t)caplen;
	rec->ns = (uint64_t)rd32(r, p) * NS +
	    (uint64_t)rd32(r, p + 4) * (r->nsec ? 1 : 1000);
	r->last_ns = rec->ns;
	return packet(r, r->ifs[0].linktype, p + 16, caplen, origlen, rec);
}

/* The file's first bytes: which format and byte order. */
static int
file_header(struct pcap_reader *r, const unsigned char *p, size_t avail,
    int eof, size_t *n)
{
	uint32_t magic;
	int rc;

	if ((rc = need(r, avail, 4, eof, "no capture header")) != 0)
		return rc;
	magic = be32(p);
	if (magic == 0x0a0d0d0a) {
		r->started = r->ng = 1;
		*n = 0;
		return UNIT_SKIP;
	}
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		r->big = 1;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		r->big = 0;
	else
		return damaged(r, 0, "not a pcap or pcapng capture");
	r->nsec = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
	if ((rc = need(r, avail, PCAP_HEADER_LEN, eof,
	    "a capture header cut short")) != 0)
		return rc;
	if (rd16(r, p + 4) != 2)
		return damaged(r, 4, "a pcap major version other than 2");
	r->ifs[0].snaplen = rd32(r, p + 16);
	r->ifs[0].linktype = rd32(r, p + 20) & 0xffff;
	r->nif = 1;
	r->started = 1;
	*n = PCAP_HEADER_LEN;
	return UNIT_SKIP;
}

int
pcap_next(struct pcap_reader *r, const unsigned char *buf, size_t len,
    int eof, size_t *used, struct pcap_rec *rec)
{
	size_t off = 0, n;
	int rc;

	*used = 0;
	if (r->err != NULL)
		return PCAP_ERR;
	for (;;) {
		n = 0;
		if (!r->started)
			rc = file_header(r, buf + off, len - off, eof, &n);
		else if (r->ng)
			rc = ng_block(r, buf + off, len - off, eof, &n, rec);
		else
			rc = pcap_record(r, buf + off, len - off, eof, &n, rec);
		if (rc != UNIT_SKIP && rc != PCAP_REC)
			break;
		off += n;
		r->pos += n;
		if (rc == PCAP_REC)
			break;
	}
	*used = off;
	return rc;
}
