/* frame.c: framing names, and splitting an input descriptor into records. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "parse.h"

/*
 * The reader's buffer holds at least 1 MiB, so that reads come in large
 * blocks, and at least twice the longest pending record (a record, its
 * delimiter or length header), so that after compaction at least half of
 * the buffer is free for the next read.
 */
#define READER_MIN_CAP	((size_t)1 << 20)

/* What extract() found in the buffered bytes. */
#define NEED_MORE	2

int
frame_parse_in(const char *s, size_t max, struct in_frame *f,
    const char **why)
{
	static const char chunk[] = "chunk:";

	f->chunk = 0;
	if (strcmp(s, "line") == 0)
		f->mode = IN_LINE;
	else if (strcmp(s, "nul") == 0)
		f->mode = IN_NUL;
	else if (strcmp(s, "whole") == 0)
		f->mode = IN_WHOLE;
	else if (strcmp(s, "length") == 0)
		f->mode = IN_LENGTH;
	else if (strcmp(s, "json") == 0)
		f->mode = IN_JSON;
	else if (strcmp(s, "pcap") == 0)
		f->mode = IN_PCAP;
	else if (strcmp(s, "chunk") == 0) {
		*why = "missing chunk size (chunk:N)";
		return -1;
	} else if (strncmp(s, chunk, sizeof(chunk) - 1) == 0) {
		uint64_t n;

		if (s[sizeof(chunk) - 1] == '\0') {
			*why = "missing chunk size";
			return -1;
		}
		if (parse_u64(s + sizeof(chunk) - 1, 1, max, &n, why) == -1)
			return -1;
		f->chunk = (size_t)n;
		f->mode = IN_CHUNK;
	} else {
		*why = "unknown framing";
		return -1;
	}
	return 0;
}

int
frame_parse_out(const char *s, enum out_framing *f)
{
	if (strcmp(s, "line") == 0)
		*f = OUT_LINE;
	else if (strcmp(s, "nul") == 0)
		*f = OUT_NUL;
	else if (strcmp(s, "none") == 0)
		*f = OUT_NONE;
	else if (strcmp(s, "length") == 0)
		*f = OUT_LENGTH;
	else if (strcmp(s, "pcap") == 0)
		*f = OUT_PCAP;
	else
		return -1;
	return 0;
}

/*
 * Allocates the one buffer the reader will ever use.  Returns 0, or -1
 * with errno EINVAL (a chunk size of 0 or over maxrec, an unknown mode)
 * or ENOMEM.
 */
int
frame_reader_init(struct frame_reader *r, int fd, struct in_frame f,
    size_t maxrec)
{
	size_t	cap;

	memset(r, 0, sizeof(*r));
	if (f.mode == IN_PCAP)
		maxrec = PCAP_UNIT_MAX;
	if (maxrec > SIZE_MAX / 4 || (unsigned)f.mode > IN_PCAP ||
	    (f.mode == IN_CHUNK && (f.chunk < 1 || f.chunk > maxrec))) {
		errno = EINVAL;
		return -1;
	}
	cap = 2 * (maxrec + 2);
	if (cap < READER_MIN_CAP)
		cap = READER_MIN_CAP;
	if ((r->buf = malloc(cap)) == NULL)
		return -1;
	r->fd = fd;
	r->f = f;
	r->maxrec = maxrec;
	r->cap = cap;
	pcap_reader_init(&r->pcap);
	return 0;
}

/* Releases the buffer; the descriptor belongs to the caller. */
void
frame_reader_free(struct frame_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->head = r->tail = 0;
}

/* Hands out len bytes at the head as the next record. */
static int
take(struct frame_reader *r, size_t skip, size_t len, size_t used,
    const unsigned char **rec, size_t *reclen)
{
	*rec = r->buf + r->head + skip;
	*reclen = len;
	r->head += used;
	r->nrec++;
	return FRAME_RECORD;
}

/*
 * A record ended by delim.  Bytes before *from are known to hold no
 * delimiter; *from is advanced past what this call has searched.
 */
static int
extract_delim(struct frame_reader *r, int delim, size_t *from,
    const unsigned char **rec, size_t *len)
{
	size_t			 avail = r->tail - r->head, n;
	const unsigned char	*p;

	p = memchr(r->buf + *from, delim, r->tail - *from);
	if (p != NULL) {
		n = (size_t)(p - (r->buf + r->head));
		if (n > r->maxrec)
			return FRAME_ETOOBIG;
		return take(r, 0, n, n + 1, rec, len);
	}
	*from = r->tail;
	if (avail > r->maxrec)
		return FRAME_ETOOBIG;
	if (!r->eof)
		return NEED_MORE;
	if (avail == 0)
		return FRAME_END;
	return take(r, 0, avail, avail, rec, len);
}

/* A 2-byte big-endian length, then that many bytes. */
static int
extract_length(struct frame_reader *r, const unsigned char **rec,
    size_t *len)
{
	size_t	avail = r->tail - r->head, n;

	if (avail < 2) {
		if (!r->eof)
			return NEED_MORE;
		return avail == 0 ? FRAME_END : FRAME_ESHORT;
	}
	n = (size_t)r->buf[r->head] << 8 | r->buf[r->head + 1];
	if (n > r->maxrec)
		return FRAME_ETOOBIG;
	if (avail - 2 >= n)
		return take(r, 2, n, n + 2, rec, len);
	return r->eof ? FRAME_ESHORT : NEED_MORE;
}

/*
 * The next UDP payload of a capture.  The reader consumes what it passed
 * over; the payload stays where it lies, like any record.
 */
static int
extract_pcap(struct frame_reader *r, const unsigned char **rec, size_t *len)
{
	struct pcap_rec pr;
	size_t used;
	int rc;

	rc = pcap_next(&r->pcap, r->buf + r->head, r->tail - r->head, r->eof,
	    &used, &pr);
	r->head += used;
	switch (rc) {
	case PCAP_REC:
		*rec = pr.data;
		*len = pr.len;
		r->time_ns = pr.ns;
		r->nrec++;
		return FRAME_RECORD;
	case PCAP_MORE:
		return NEED_MORE;
	case PCAP_END:
		return FRAME_END;
	default:
		return FRAME_EPCAP;
	}
}

/*
 * Looks for the next record in the buffered bytes.  Returns FRAME_RECORD,
 * FRAME_END, an error, or NEED_MORE when only more input can decide.
 * Errors leave the state alone, so that they repeat.
 */
static int
extract(struct frame_reader *r, size_t *from, const unsigned char **rec,
    size_t *len)
{
	size_t	avail = r->tail - r->head;

	switch (r->f.mode) {
	case IN_LINE:
	case IN_JSON:
		return extract_delim(r, '\n', from, rec, len);
	case IN_NUL:
		return extract_delim(r, '\0', from, rec, len);
	case IN_WHOLE:
		if (avail > r->maxrec)
			return FRAME_ETOOBIG;
		if (!r->eof)
			return NEED_MORE;
		if (r->nrec > 0)
			return FRAME_END;
		return take(r, 0, avail, avail, rec, len);
	case IN_CHUNK:
		if (avail >= r->f.chunk)
			return take(r, 0, r->f.chunk, r->f.chunk, rec, len);
		if (!r->eof)
			return NEED_MORE;
		if (avail == 0)
			return FRAME_END;
		return take(r, 0, avail, avail, rec, len);
	case IN_LENGTH:
		return extract_length(r, rec, len);
	case IN_PCAP:
		return extract_pcap(r, rec, len);
	}
	errno = EINVAL;
	return FRAME_EREAD;
}

/*
 * Makes room and reads once.  Unread bytes are moved to the front when
 * less than half of the buffer is left after them (or there are none);
 * extract() has already refused more than a record and its header or
 * delimiter, so at least half of the buffer is free for the read.
 * Returns 0, or -1 with errno set.  *from follows the bytes it moves.
 */
static int
fill(struct frame_reader *r, size_t *from)
{
	size_t	keep = r->tail - r->head;
	ssize_t	n;

	if (keep == 0 || (r->head > 0 && r->cap - r->tail < r->cap / 2)) {
		memmove(r->buf, r->buf + r->head, keep);
		*from -= r->head;
		r->head = 0;
		r->tail = keep;
	}
	n = read(r->fd, r->buf + r->tail, r->cap - r->tail);
	if (n == -1)
		return -1;
	if (n == 0)
		r->eof = 1;
	r->tail += (size_t)n;
	return 0;
}

/*
 * Returns a buffered record when there is one, and reads only when there
 * is none and may_read allows.  Errors change nothing, so that the same
 * call gives the same answer again (or, after EINTR, can go on).
 */
int
frame_next(struct frame_reader *r, int may_read,
    const unsigned char **rec, size_t *len)
{
	size_t	from = r->head;
	int	rc, reads = 0;

	if (r->done)
		return FRAME_END;
	for (;;) {
		rc = extract(r, &from, rec, len);
		if (rc == FRAME_END)
			r->done = 1;
		if (rc != NEED_MORE)
			return rc;
		if (may_read == FRAME_NO_READ ||
		    (may_read == FRAME_READ_ONCE && reads > 0))
			return FRAME_AGAIN;
		if (fill(r, &from) == -1)
			return FRAME_EREAD;
		reads++;
	}
}
