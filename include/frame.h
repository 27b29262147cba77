/* frame.h: splitting standard input into records, and framing modes. */
#ifndef FRAME_H
#define FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "pcap.h"

enum in_framing {
	IN_LINE,	/* LF-terminated; a last line without LF counts */
	IN_NUL,		/* NUL-terminated; a last piece without NUL counts */
	IN_WHOLE,	/* all of the input is one record, even when empty */
	IN_CHUNK,	/* consecutive pieces of chunk bytes, the last shorter */
	IN_LENGTH,	/* 2-byte big-endian length, then that many bytes */
	IN_JSON,	/* lines, each a JSON object as listen --json writes */
	IN_PCAP		/* a pcap or pcapng capture: its UDP payloads */
};

enum out_framing {
	OUT_LINE,	/* record, then LF */
	OUT_NUL,	/* record, then NUL */
	OUT_NONE,	/* records back to back */
	OUT_LENGTH,	/* 2-byte big-endian length, then the raw record */
	OUT_PCAP	/* a pcap capture, IP and UDP headers built */
};

struct in_frame {
	enum in_framing	mode;
	size_t		chunk;	/* IN_CHUNK only */
};

/*
 * Parses an input framing name: line, nul, whole, chunk:N (1 <= N <= max),
 * length, json or pcap.  Returns 0, or -1 with *why set to a static phrase.
 */
int	frame_parse_in(const char *s, size_t max, struct in_frame *f,
	    const char **why);

/* Parses an output framing name: line, nul, none, length or pcap; 0 or -1. */
int	frame_parse_out(const char *s, enum out_framing *f);

/* Reads records from a file descriptor through one large buffer. */
struct frame_reader {
	int		 fd;
	struct in_frame	 f;
	size_t		 maxrec;	/* longest record accepted */
	unsigned char	*buf;
	size_t		 cap;
	size_t		 head;		/* first unread byte */
	size_t		 tail;		/* end of the bytes read */
	int		 eof;		/* read() returned 0 */
	int		 done;		/* end of records reported */
	unsigned long long nrec;	/* records returned so far */
	unsigned long long bytes;	/* read so far */
	struct pcap_reader pcap;	/* IN_PCAP: the capture's state */
	uint64_t	 time_ns;	/* IN_PCAP: the last record's time */
};

/* Results of frame_next(). */
#define FRAME_RECORD	1	/* *rec and *len hold the next record */
#define FRAME_END	0	/* no more records */
#define FRAME_AGAIN	(-1)	/* may_read was 0 and no record is buffered */
#define FRAME_EREAD	(-2)	/* read() failed; errno is set */
#define FRAME_ETOOBIG	(-3)	/* the next record is longer than maxrec */
#define FRAME_ESHORT	(-4)	/* IN_LENGTH: a frame cut short by the end */
#define FRAME_EPCAP	(-5)	/* IN_PCAP: damaged, as r->pcap says */

/* frame_split(): only more input can decide. */
#define FRAME_MORE	2

/* Where frame_split() found a record in its bytes. */
struct frame_cut {
	size_t	skip;		/* bytes before the record: a length header */
	size_t	len;		/* the record's length */
	size_t	used;		/* bytes it takes up, header or delimiter too */
};

/*
 * The splitter that frame_next() uses, over len unread bytes at buf, eof
 * saying whether more may follow; first says that no record came before
 * (IN_WHOLE has one only).  The first *from bytes are known to hold no
 * delimiter, and *from is moved past what this call searched: start it
 * at 0, keep it while more bytes are appended, and reset it after a
 * record.  Returns FRAME_RECORD with *cut set, FRAME_END, FRAME_ETOOBIG,
 * FRAME_ESHORT, or FRAME_MORE when only more bytes (eof 0) can decide.
 * No I/O, no allocation.
 */
int	frame_split(const struct in_frame *f, size_t maxrec, int first,
	    const unsigned char *buf, size_t len, int eof, size_t *from,
	    struct frame_cut *cut);

/*
 * Prepares r to read records from fd.  Records longer than maxrec are
 * refused with FRAME_ETOOBIG (IN_PCAP: units longer than PCAP_UNIT_MAX,
 * whatever maxrec says).  Returns 0, or -1 with errno set.
 */
int	frame_reader_init(struct frame_reader *r, int fd, struct in_frame f,
	    size_t maxrec);
void	frame_reader_free(struct frame_reader *r);

/* What frame_next() may do to find a record. */
#define FRAME_NO_READ	0	/* only look at the bytes buffered */
#define FRAME_READ	1	/* read until there is a record */
#define FRAME_READ_ONCE	2	/* read once at most, else FRAME_AGAIN */
#define FRAME_FILL	3	/* read once and split nothing: FRAME_AGAIN */

/*
 * Returns the next record through *rec and *len.  With FRAME_NO_READ it
 * only looks at bytes already buffered, so that records returned earlier
 * stay valid; they stay valid until the next call that may read, which
 * may move the buffer.  Blocks in read() only when it may read; with
 * FRAME_READ_ONCE it blocks once at most, so that a caller that waited
 * for input to be readable never blocks.  FRAME_FILL reads once and
 * returns FRAME_AGAIN, for frame_lines() to split what came; only when
 * nothing is buffered, or FRAME_NO_READ just said that the bytes
 * buffered need more.  EINTR from read() is returned as FRAME_EREAD so
 * that the caller can look at its signal flags.
 */
int	frame_next(struct frame_reader *r, int may_read,
	    const unsigned char **rec, size_t *len);

/*
 * True when frame_next() without a read may have an answer: bytes are
 * buffered, or the input ended.  False says it would return FRAME_AGAIN.
 */
int	frame_ready(const struct frame_reader *r);

/*
 * The fast way for line and NUL framing: up to max whole records already
 * buffered go to iov, as frame_next() would return them, without a read.
 * It stops before one it cannot take whole (not ended yet, or longer than
 * maxrec), which frame_next() then deals with.  Returns how many it took;
 * 0 for the other framings.
 */
unsigned frame_lines(struct frame_reader *r, struct iovec *iov,
	    unsigned max);

#endif
