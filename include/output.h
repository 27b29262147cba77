/* output.h: turning received datagrams into output records, and buffering. */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "enc.h"
#include "frame.h"
#include "sock.h"

/*
 * Longest "ADDRESS:PORT", "[ADDRESS%scope]:PORT" or Unix socket name (a
 * path of up to 107 bytes, text-escaped: four bytes each), with its NUL.
 */
#define PEER_MAX	448

struct out_fmt {
	enum encoding	 enc;
	enum out_framing framing;	/* ignored with json */
	int		 json;		/* one JSON object per line */
	int		 show_peer;	/* "ADDRESS:PORT " before each record */
};

struct dgram {
	const unsigned char	*data;
	size_t			 len;	/* bytes in data */
	size_t			 size;	/* real size; > len when truncated */
	const struct sockaddr	*from;
	socklen_t		 fromlen;
	const struct ucred	*cred;	/* a Unix sender's, or NULL */
	const struct rx_info	*info;	/* what it carried, or NULL */
	struct timespec		 time;	/* arrival, CLOCK_REALTIME; zero
					   when the receiver's stamp is off */
	const struct sockaddr	*to;	/* local address and port, or NULL */
	/* The relay's: NULL dir for everyone else, who ignore the rest. */
	const char		*dir;	/* "up" (to the service) or "down" */
	const char		*fate;	/* an impairment's, or NULL */
	const struct sockaddr	*client;
	socklen_t		 clientlen;
};

/*
 * Writes the peer as "ADDRESS:PORT" (IPv6 "[ADDRESS%scope]:PORT"; an
 * IPv4-mapped IPv6 address as plain IPv4) into buf of PEER_MAX bytes; a
 * Unix socket as its path, "@NAME" when abstract, or "unnamed", bytes
 * outside printable ASCII escaped as in text encoding.  Returns the
 * length, or -1 for an address family it does not know.
 */
int	out_peer(const struct sockaddr *sa, socklen_t len, char *buf);

/* The address alone, as in out_peer() but without brackets and port
 * (OUT_NO_PORT for a Unix socket). */
#define OUT_NO_PORT	0x10000u

int	out_addr(const struct sockaddr *sa, socklen_t len, char *buf,
	    unsigned *port);

/* Upper bound of what out_format() writes for a payload of len bytes. */
size_t	out_record_max(const struct out_fmt *f, size_t len);

/*
 * Formats one datagram as an output record into dst, which holds
 * out_record_max(f, d->len) bytes.  Returns the number of bytes written.
 * JSON: {"time":"2026-11-23T22:37:46.123456Z","from":"192.0.2.7",
 * "port":5353,"size":5,"truncated":false,"data":"aGVsbG8="}, then LF.
 * A relayed datagram (dir set) adds "dir", "client", "client_port" and
 * "fate" to the object, or "> CLIENT " ("< CLIENT " down) before a line.
 */
size_t	out_format(const struct out_fmt *f, const struct dgram *d, char *dst);

/*
 * A GRO buffer at once: d->size bytes of datagrams of seg bytes each
 * but the last, all from d->from at d->time.  out_segments_max() is the
 * bound of what out_format_segments() writes, or 0 when f writes them
 * one by one only (then out_format() each).  out_format_segments()
 * writes the same bytes as out_format() of each, and returns their
 * length, or 0 when they must go one by one after all.
 */
size_t	out_segments_max(const struct out_fmt *f, size_t size, size_t seg);
size_t	out_format_segments(const struct out_fmt *f, const struct dgram *d,
	    size_t seg, char *dst);

/*
 * Output for a file descriptor, written with one writev() a flush: a
 * staging buffer for formatted records, and the list of pieces to write,
 * in order, which may also point at the caller's own bytes (a received
 * payload written where it lies, without a copy).  Adjacent pieces join.
 */
#define OBUF_PIECES	1024

struct obuf {
	int		 fd;
	char		*buf;		/* staging */
	size_t		 len;		/* staging bytes in use */
	size_t		 cap;
	int		 n;		/* pieces */
	struct iovec	*iov;		/* OBUF_PIECES of them, allocated
					   apart: their 16 KiB take memory
					   only as pieces fill them */
};

/* Returns 0, or -1 with errno set. */
int	obuf_init(struct obuf *o, int fd, size_t cap);
void	obuf_free(struct obuf *o);

/*
 * Returns space for n bytes (n <= cap) in the staging buffer, flushing
 * first when it or the piece list is too full; NULL with errno set when
 * that flush fails.  obuf_commit() queues the n bytes written there.
 */
char	*obuf_reserve(struct obuf *o, size_t n);
void	 obuf_commit(struct obuf *o, size_t n);

/*
 * Queues len bytes at p, which must stay unchanged until the next flush
 * (obuf_reserve() may flush).  Returns 0, or -1 with errno set when the
 * flush that made room failed.
 */
int	 obuf_put(struct obuf *o, const void *p, size_t len);

/* Bytes queued and not yet written. */
size_t	 obuf_pending(const struct obuf *o);

/*
 * Writes out everything queued, in order, retrying short writes and
 * EINTR.  Returns 0, or -1 with errno set (EPIPE when the reader has
 * gone); what could not be written stays queued.
 */
int	 obuf_flush(struct obuf *o);

#endif
