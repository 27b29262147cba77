/* frame.c: framing names, and splitting an input descriptor into records. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "parse.h"

/*
 * The reader's buffer holds at least 1 MiB, so that reads can come in
 * large blocks, and at least twice the longest pending record (a record,
 * its delimiter or length header), so that after compaction at least
 * half of the buffer is free for the next read.  A read asks for a
 * batch's worth of records (READ_RECS of the average size so far), and
 * READ_MAX at least; what is left unread goes back to the front whenever
 * it is short.  Short lines then keep to the buffer's first READ_MAX
 * bytes: 1 MiB reads from a file kept all of it resident, and 64 KiB
 * reads of 65507-byte chunks would send them one by one.
 */
#define READER_MIN_CAP	((size_t)1 << 20)
#define READ_MAX	((size_t)64 << 10)
#define READ_RECS	64
#define KEEP_MOVED	((size_t)4 << 10)	/* "few" unread bytes */

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

/* Sets *cut to a record of len bytes after skip, taking used in all. */
static int
cut_at(struct frame_cut *cut, size_t skip, size_t len, size_t used)
{
	cut->skip = skip;
	cut->len = len;
	cut->used = used;
	return FRAME_RECORD;
}

/* A record ended by delim; see frame_split() for *from. */
static int
split_delim(int delim, size_t maxrec, const unsigned char *buf, size_t len,
    int eof, size_t *from, struct frame_cut *cut)
{
	const unsigned char	*p;
	size_t			 n;

	p = memchr(buf + *from, delim, len - *from);
	if (p != NULL) {
		n = (size_t)(p - buf);
		if (n > maxrec)
			return FRAME_ETOOBIG;
		return cut_at(cut, 0, n, n + 1);
	}
	*from = len;
	if (len > maxrec)
		return FRAME_ETOOBIG;
	if (!eof)
		return FRAME_MORE;
	if (len == 0)
		return FRAME_END;
	return cut_at(cut, 0, len, len);
}

/* A 2-byte big-endian length, then that many bytes. */
static int
split_length(size_t maxrec, const unsigned char *buf, size_t len, int eof,
    struct frame_cut *cut)
{
	size_t	n;

	if (len < 2) {
		if (!eof)
			return FRAME_MORE;
		return len == 0 ? FRAME_END : FRAME_ESHORT;
	}
	n = (size_t)buf[0] << 8 | buf[1];
	if (n > maxrec)
		return FRAME_ETOOBIG;
	if (len - 2 >= n)
		return cut_at(cut, 2, n, n + 2);
	return eof ? FRAME_ESHORT : FRAME_MORE;
}

int
frame_split(const struct in_frame *f, size_t maxrec, int first,
    const unsigned char *buf, size_t len, int eof, size_t *from,
    struct frame_cut *cut)
{
	switch (f->mode) {
	case IN_LINE:
	case IN_JSON:
		return split_delim('\n', maxrec, buf, len, eof, from, cut);
	case IN_NUL:
		return split_delim('\0', maxrec, buf, len, eof, from, cut);
	case IN_WHOLE:
		if (len > maxrec)
			return FRAME_ETOOBIG;
		if (!eof)
			return FRAME_MORE;
		if (!first)
			return FRAME_END;
		return cut_at(cut, 0, len, len);
	case IN_CHUNK:
		if (len >= f->chunk)
			return cut_at(cut, 0, f->chunk, f->chunk);
		if (!eof)
			return FRAME_MORE;
		if (len == 0)
			return FRAME_END;
		return cut_at(cut, 0, len, len);
	case IN_LENGTH:
		return split_length(maxrec, buf, len, eof, cut);
	case IN_PCAP:		/* not a splitter's: frame_next() reads it */
		break;
	}
	errno = EINVAL;
	return FRAME_EREAD;
}

/* How much to ask one read for: see READ_RECS. */
static size_t
read_size(const struct frame_reader *r)
{
	unsigned long long per = r->bytes / (r->nrec > 0 ? r->nrec : 1);

	if (per > r->cap / READ_RECS)
		return r->cap;
	return per * READ_RECS < READ_MAX ? READ_MAX : (size_t)per * READ_RECS;
}

/*
 * Makes room and reads once, read_size() at most.  Unread bytes are
 * moved to the front when there are few of them (a record's start), or
 * when less than half of the buffer is left after them; frame_split()
 * has already refused more than a record and its header or delimiter, so
 * at least half of the buffer is free for the read.  Returns 0, or -1
 * with errno set.
 */
static int
fill(struct frame_reader *r)
{
	size_t	keep = r->tail - r->head, room, want = read_size(r);
	ssize_t	n;

	if (r->head > 0 && (keep <= KEEP_MOVED ||
	    r->cap - r->tail < r->cap / 2)) {
		if (keep > 0)
			memmove(r->buf, r->buf + r->head, keep);
		r->head = 0;
		r->tail = keep;
	}
	room = r->cap - r->tail < want ? r->cap - r->tail : want;
	n = read(r->fd, r->buf + r->tail, room);
	if (n == -1)
		return -1;
	if (n == 0)
		r->eof = 1;
	r->tail += (size_t)n;
	r->bytes += (unsigned long long)n;
	return 0;
}

/*
 * Returns a buffered record when there is one, and reads only when there
 * is none and may_read allows.  Errors change nothing, so that the same
 * call gives the same answer again (or, after EINTR, can go on).  The
 * search goes on where it left off after a read (from counts from the
 * head, which fill() may move, bytes and all).
 */
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
		return FRAME_MORE;
	case PCAP_END:
		return FRAME_END;
	default:
		return FRAME_EPCAP;
	}
}

int
frame_next(struct frame_reader *r, int may_read,
    const unsigned char **rec, size_t *len)
{
	struct frame_cut	cut = { 0, 0, 0 };
	size_t			from = 0;
	int			rc, reads = 0;

	if (r->done)
		return FRAME_END;
	if (may_read == FRAME_FILL)
		return fill(r) == -1 ? FRAME_EREAD : FRAME_AGAIN;
	for (;;) {
		/* No record is made of nothing, before the end. */
		if (!frame_ready(r))
			rc = FRAME_MORE;
		else if (r->f.mode == IN_PCAP)
			rc = extract_pcap(r, rec, len);
		else
			rc = frame_split(&r->f, r->maxrec, r->nrec == 0,
			    r->buf + r->head, r->tail - r->head, r->eof, &from,
			    &cut);
		if (rc == FRAME_RECORD && r->f.mode != IN_PCAP) {
			*rec = r->buf + r->head + cut.skip;
			*len = cut.len;
			r->head += cut.used;
			r->nrec++;
		}
		if (rc == FRAME_END)
			r->done = 1;
		if (rc != FRAME_MORE)
			return rc;
		if (may_read == FRAME_NO_READ ||
		    (may_read == FRAME_READ_ONCE && reads > 0))
			return FRAME_AGAIN;
		if (fill(r) == -1)
			return FRAME_EREAD;
		reads++;
	}
}

int
frame_ready(const struct frame_reader *r)
{
	return r->head < r->tail || r->eof || r->done;
}

unsigned
frame_lines(struct frame_reader *r, struct iovec *iov, unsigned max)
{
	unsigned char	*at = r->buf + r->head, *end = r->buf + r->tail, *p;
	unsigned	 k = 0;
	int		 delim;

	if ((r->f.mode != IN_LINE && r->f.mode != IN_NUL) || r->done ||
	    at == end)
		return 0;
	delim = r->f.mode == IN_LINE ? '\n' : '\0';
	while (k < max && (p = memchr(at, delim, (size_t)(end - at))) != NULL &&
	    (size_t)(p - at) <= r->maxrec) {
		iov[k].iov_base = at;
		iov[k++].iov_len = (size_t)(p - at);
		at = p + 1;
	}
	r->head = (size_t)(at - r->buf);
	r->nrec += k;
	return k;
}
