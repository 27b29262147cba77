/* source.c: where records come from: DATA operands, standard input, a replay. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "proc.h"
#include "transmit.h"
#include "udpcat.h"

#define ENC_RECORD_MAX	(1 << 20)	/* longest encoded input record */
#define HOLD_MAX	(64u << 20)	/* standard input kept for a replay */
#define HELD_HDR	12		/* a held record's length and time */

/*
 * Keeps a record of standard input for a replay.  Returns RUN_MORE, or
 * after a message RUN_EINPUT (too much to keep) or RUN_ERROR.
 */
static enum run_end
hold(struct source *s, const unsigned char *rec, size_t len)
{
	size_t need = s->held_len + HELD_HDR + len, cap;
	uint32_t n = (uint32_t)len;
	unsigned char *p;

	if (need > HOLD_MAX) {
		msg_fail(EXIT_USAGE, "--repeat and --retries keep standard input "
		    "in memory, and it is larger than %u MiB", HOLD_MAX >> 20);
		return RUN_EINPUT;
	}
	if (need > s->held_cap) {
		cap = s->held_cap ? s->held_cap : 1 << 16;
		while (cap < need)
			cap *= 2;
		if ((p = realloc(s->held, cap)) == NULL) {
			msg_fail(EXIT_RUNTIME, "out of memory");
			return RUN_ERROR;
		}
		s->held = p;
		s->held_cap = cap;
	}
	memcpy(s->held + s->held_len, &n, 4);
	memcpy(s->held + s->held_len + 4, &s->rec_ns, 8);
	memcpy(s->held + s->held_len + HELD_HDR, rec, len);
	s->held_len = need;
	return RUN_MORE;
}

/* Reports a record the reader refused: RUN_EINPUT or RUN_ERROR. */
enum run_end
source_failed(const struct source *s, int r)
{
	int json = s->fr.f.mode == IN_JSON;

	switch (r) {
	case SRC_FAILED:
		return s->failed;
	case SRC_SIGNAL:
		return RUN_SIGNAL;
	case FRAME_ETOOBIG:
		msg_fail(EXIT_USAGE, "%s %llu is too %s: more than %zu bytes",
		    json ? "line" : "record", s->recno + 1,
		    json ? "long" : "large", s->fr.maxrec);
		return RUN_EINPUT;
	case FRAME_EPCAP:
		msg_fail(EXIT_USAGE, "damaged capture at byte offset %llu: %s",
		    (unsigned long long)s->fr.pcap.err_pos, s->fr.pcap.err);
		return RUN_EINPUT;
	case FRAME_ESHORT:
		msg_fail(EXIT_USAGE, "record %llu is cut short by the end of "
		    "the input", s->recno + 1);
		return RUN_EINPUT;
	default:
		msg_fail(EXIT_RUNTIME, "cannot read standard input: %s",
		    strerror(errno));
		return RUN_ERROR;
	}
}

/*
 * The next record as FRAME_RECORD, FRAME_END, FRAME_AGAIN (only when
 * may_read is not FRAME_READ) or a failure: one of the reader's, or
 * SRC_FAILED after a message.  EINTR ends the read only for a signal.
 */
int
source_next(struct source *s, int may_read, const unsigned char **rec,
    size_t *len)
{
	uint32_t n;
	int r;

	if (!s->use_stdin) {
		if (s->next == s->argc)
			return FRAME_END;
		*rec = (const unsigned char *)s->argv[s->next];
		*len = strlen(s->argv[s->next++]);
	} else if (s->replay) {
		if (s->held_pos == s->held_len)
			return FRAME_END;
		memcpy(&n, s->held + s->held_pos, 4);
		memcpy(&s->rec_ns, s->held + s->held_pos + 4, 8);
		*rec = s->held + s->held_pos + HELD_HDR;
		*len = n;
		s->held_pos += HELD_HDR + n;
	} else {
		/* A failed read with a signal is the signal's (see
		   signals_open()); EINTR alone is read again. */
		while ((r = frame_next(&s->fr, may_read, rec, len)) ==
		    FRAME_EREAD && (errno == EINTR || cmd_signal != 0))
			if (cmd_signal != 0)
				return SRC_SIGNAL;
		if (r != FRAME_RECORD)
			return r;	/* the caller sends what it has first */
		s->rec_ns = s->fr.time_ns;
		if (s->holding && (s->failed = hold(s, *rec, *len)) != RUN_MORE)
			return SRC_FAILED;
	}
	s->recno++;
	return FRAME_RECORD;
}

unsigned
source_lines(struct source *s, struct iovec *iov, unsigned max)
{
	unsigned k;

	if (!s->use_stdin || s->replay || s->holding)
		return 0;
	k = frame_lines(&s->fr, iov, max);
	s->recno += k;
	return k;
}

/* Opens standard input or the operands as the source of records. */
int
source_init(struct source *s, const struct tx_conf *c, size_t max,
    const char *kind)
{
	size_t maxrec = c->enc == ENC_RAW && c->inf.mode != IN_JSON ? max :
	    ENC_RECORD_MAX;

	memset(s, 0, sizeof(*s));
	s->argv = c->data;
	s->argc = c->ndata;
	s->use_stdin = c->ndata == 0;
	if (!s->use_stdin)
		return 0;
	if (stdio_closed(STDIN_FILENO))
		return msg_fail(EXIT_RUNTIME, "cannot read standard input: it is "
		    "closed");
	if (c->inf.mode == IN_CHUNK && c->inf.chunk > max)
		return msg_fail_usage("chunk:%zu is larger than a datagram over %s "
		    "(%zu)", c->inf.chunk, kind, max);
	s->holding = c->hold;
	if (c->inf.mode == IN_JSON && (s->unesc = malloc(maxrec)) == NULL)
		return msg_fail(EXIT_RUNTIME, "out of memory");
	if (frame_reader_init(&s->fr, STDIN_FILENO, c->inf, maxrec) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot allocate the input buffer: %s",
		    strerror(errno));
	return 0;
}

void
source_rewind(struct source *s)
{
	s->next = 0;
	s->recno = 0;
	s->held_pos = 0;
	if (s->use_stdin)
		s->replay = 1;
}

void
source_free(struct source *s)
{
	frame_reader_free(&s->fr);
	free(s->held);
	free(s->unesc);
	s->held = NULL;
	s->unesc = NULL;
}
