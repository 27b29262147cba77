/* pcap.h: pcap and pcapng captures of UDP, written and read over buffers. */
#ifndef PCAP_H
#define PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Link type raw IP: each packet starts with its IPv4 or IPv6 header. */
#define PCAP_LINKTYPE_RAW	101

/* The classic pcap global header, as pcap_write_header() writes it. */
#define PCAP_HEADER_LEN	24

/* A record header, an IPv6 header (the larger) and a UDP header. */
#define PCAP_RECORD_OVERHEAD	(16 + 40 + 8)

/*
 * The longest unit the reader takes at once: a pcap record with its
 * header, or a whole pcapng block.  Longer ones are a damaged capture;
 * the caller's buffer must be able to hold one.
 */
#define PCAP_UNIT_MAX	((size_t)1 << 20)

/* Interfaces of one pcapng section the reader keeps apart. */
#define PCAP_MAX_IF	64

/* What a datagram the writer records looks like. */
struct pcap_dgram {
	const unsigned char	*data;
	size_t			 len;	/* bytes in data */
	size_t			 size;	/* real size; > len when cut short */
	const struct sockaddr	*from;	/* the sender */
	const struct sockaddr	*to;	/* the local address and port */
	int64_t			 sec;	/* arrival, Unix time */
	long			 nsec;
};

/* Writes the global header (link type raw IP, microseconds); 24 bytes. */
size_t	pcap_write_header(unsigned char *dst);

/*
 * Writes one record: a record header, and an IPv4 or IPv6 header and a
 * UDP header around the payload, with lengths and checksums, into dst of
 * PCAP_RECORD_OVERHEAD + d->len bytes.  IPv4-mapped IPv6 addresses are
 * written as IPv4.  Returns the bytes written, or 0 when the addresses
 * are not IPv4 or IPv6 or the datagram is too large for its IP version.
 * The headers of the last pair of ends are kept for the next record, in
 * one static place: not for threads.
 */
size_t	pcap_write_record(unsigned char *dst, const struct pcap_dgram *d);

/*
 * Writes the datagrams that d->data holds back to back (a GRO buffer),
 * d->size bytes in seg-byte pieces of which only the last may be
 * shorter, each as pcap_write_record() would with d's ends and time,
 * into dst of n * PCAP_RECORD_OVERHEAD + d->size bytes for n pieces.
 * d->len must be d->size.  Returns the bytes written, or 0 when the
 * pieces cannot be written (as pcap_write_record()).
 */
size_t	pcap_write_records(unsigned char *dst, const struct pcap_dgram *d,
	    size_t seg);

/* Why the reader passed over a packet. */
enum pcap_skip {
	PCAP_SKIP_LINK,		/* a link type it does not read */
	PCAP_SKIP_NOTIP,	/* not IPv4 or IPv6 (ARP, ...) */
	PCAP_SKIP_NOTUDP,	/* IP, but not UDP */
	PCAP_SKIP_FRAGMENT,	/* an IP fragment */
	PCAP_SKIP_CUT,		/* cut short by the snapshot length */
	PCAP_SKIP_BAD,		/* a malformed IP or UDP header */
	PCAP_SKIP_KINDS
};

/* A short phrase for each kind, for "3 packets skipped: fragment". */
const char *pcap_skip_name(enum pcap_skip k);

struct pcap_if {
	uint32_t	linktype;
	uint32_t	snaplen;
	int		bin;		/* tsresol is a power of 2, not 10 */
	unsigned	resol;		/* its exponent */
	int64_t		offset;		/* if_tsoffset, seconds */
};

/* The state of a reader; zeroed (or pcap_reader_init()) to start. */
struct pcap_reader {
	int		 started;	/* the file header was read */
	int		 ng;		/* pcapng */
	int		 big;		/* the section is big-endian */
	int		 nsec;		/* pcap: nanosecond timestamps */
	uint32_t	 nif;		/* pcapng: interfaces of the section */
	struct pcap_if	 ifs[PCAP_MAX_IF];	/* pcap: ifs[0] */
	uint64_t	 pos;		/* offset of the next unread byte */
	uint64_t	 packets;	/* packets seen */
	uint64_t	 skipped[PCAP_SKIP_KINDS];
	uint64_t	 last_ns;	/* the last packet's time */
	const char	*err;		/* what is damaged */
	uint64_t	 err_pos;	/* and its offset */
};

/* A UDP payload found, pointing into the caller's buffer. */
struct pcap_rec {
	const unsigned char	*data;
	size_t			 len;
	uint64_t		 ns;	/* capture time, ns since 1970 */
};

/* Results of pcap_next(). */
#define PCAP_REC	1	/* *rec holds a payload */
#define PCAP_END	0	/* the capture ended cleanly */
#define PCAP_MORE	(-1)	/* only more bytes can tell */
#define PCAP_ERR	(-2)	/* damaged: r->err at r->err_pos */

void	pcap_reader_init(struct pcap_reader *r);

/*
 * Reads the bytes buf[0..len) that follow what was consumed before
 * (eof: nothing follows them).  Passes over packets that carry no UDP
 * payload, counting them, and returns the next payload as PCAP_REC,
 * PCAP_MORE when it needs more than len bytes, PCAP_END, or PCAP_ERR.
 * *used says how many bytes of buf it consumed: the caller drops them
 * before the next call, after it is done with the payload, which points
 * into buf.  PCAP_MORE never asks for more than PCAP_UNIT_MAX bytes
 * at once.  After PCAP_ERR or PCAP_END it returns the same again.
 */
int	pcap_next(struct pcap_reader *r, const unsigned char *buf, size_t len,
	    int eof, size_t *used, struct pcap_rec *rec);

#endif
