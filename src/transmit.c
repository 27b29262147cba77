/* transmit.c: the sender: records to datagrams, batched, paced, repeated. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "jsonrec.h"
#include "msg.h"
#include "proc.h"
#include "transmit.h"
#include "udpcat.h"

#define SLOT_SIZE	65536		/* one decoded datagram */
#define NS		1000000000u

void
tx_rewind(struct sender *s)
{
	source_rewind(&s->src);
	s->pacer.replaying = 0;
}

int
tx_init(struct sender *s, struct endp *ep, const struct tx_conf *c,
    struct stats *st)
{
	s->ep = ep;
	s->c = *c;
	s->st = st;
	s->gso = ep->family != AF_UNIX;
	s->b.max = c->enc == ENC_RAW && c->inf.mode != IN_JSON ? TX_RAW_BATCH :
	    SOCK_BATCH;
	if ((s->b.slots = malloc((size_t)SOCK_BATCH * SLOT_SIZE)) == NULL)
		return msg_fail(EXIT_RUNTIME, "out of memory");
#if defined(__linux__) && defined(PR_SET_TIMERSLACK)
	/* Replayed times are kept to the microsecond, not to 50. */
	if (c->speed > 0)
		(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
	return source_init(&s->src, c, ep->max, endp_kind(ep));
}

void
tx_free(struct sender *s)
{
	source_free(&s->src);
	free(s->b.slots);
	free(s->b.big);
	s->b.slots = s->b.big = NULL;
}

/* When datagram number sent (from 0) is due at --rate, after t0. */
static uint64_t
rate_due(uint64_t sent, uint64_t rate)
{
	return sent / rate * 1000000000u + sent % rate * 1000000000u / rate;
}

/*
 * Returns how many of want datagrams may go now (at least one), after
 * waiting until the first of them may; 0 when a signal came.  A sender
 * that fell behind its --rate schedule by more than one datagram's slot
 * (input was idle, or a reply was awaited) starts a new schedule rather
 * than catching up in a burst: at most N in any second.
 */
static unsigned
pace(struct sender *s, unsigned want)
{
	struct pacer *p = &s->pacer;
	uint64_t t, due, rate = s->c.rate;

	if (rate == 0 && s->c.interval_ms == 0)
		return want;
	while ((t = now_ns()) < p->next) {
		(void)wait_fds(NULL, 0, (int64_t)(p->next - t));
		if (cmd_signal != 0)
			return 0;
	}
	if (p->sent == 0 || (rate != 0 && t > p->t0 +
	    rate_due(p->sent + 1, rate))) {
		p->t0 = t;
		p->sent = 0;
	}
	if (s->c.interval_ms != 0)
		return 1;
	/* Those due by now: (t - t0) * rate / 1e9 + 1, less those sent. */
	due = (t - p->t0) / 1000000000u * rate +
	    (t - p->t0) % 1000000000u * rate / 1000000000u + 1;
	due = due > p->sent ? due - p->sent : 1;
	return due < want ? (unsigned)due : want;
}

/* Accounts for k datagrams gone and sets when the next one may go. */
static void
paced(struct sender *s, unsigned k)
{
	struct pacer *p = &s->pacer;
	uint64_t next = 0;

	p->sent += k;
	if (s->c.interval_ms != 0)
		next = now_ns() + s->c.interval_ms * 1000000u;
	if (s->c.rate != 0 && p->t0 + rate_due(p->sent, s->c.rate) > next)
		next = p->t0 + rate_due(p->sent, s->c.rate);
	p->next = next;
}

/*
 * Deals with a send error: RUN_MORE to send the same datagram again,
 * else how the run ends.  *waits counts waits for buffer space in a row.
 */
static enum run_end
send_error(struct sender *s, int err, size_t len, unsigned *waits,
    const struct endpoint *dst)
{
	int mtu;

	switch (err) {
	case ECONNREFUSED:	/* an earlier datagram's ICMP: this one waits */
		endp_refused(s->ep);
		return RUN_MORE;
	case EINTR:
		return signal_check() != 0 ? RUN_SIGNAL : RUN_MORE;
	case ENOBUFS:
	case EAGAIN:
		if (shortage_wait(waits) == -1) {
			msg_fail(EXIT_RUNTIME, "cannot send to %s: %s for 10 s",
			    s->ep->name, strerror(err));
			return RUN_ERROR;
		}
		return cmd_signal != 0 ? RUN_SIGNAL : RUN_MORE;
	case EACCES:
		endp_broadcast_refused(s->ep);
		return RUN_ERROR;
	case EMSGSIZE:
		if (s->c.df && (mtu = sock_path_mtu(dst)) > 0) {
			msg_fail(EXIT_RUNTIME, "datagram of %zu bytes exceeds the "
			    "path MTU of %d (--df)", len, mtu);
			return RUN_ERROR;
		}
		msg_fail(EXIT_RUNTIME, "cannot send a datagram of %zu bytes to %s: "
		    "%s", len, s->ep->name, strerror(err));
		return RUN_ERROR;
	default:
		msg_fail(EXIT_RUNTIME, "cannot send to %s: %s", s->ep->name,
		    strerror(err));
		return RUN_ERROR;
	}
}

/* Sends the batch to one destination, paced. */
static enum run_end
send_to(struct sender *s, const struct endpoint *dst)
{
	struct batch *b = &s->b;
	unsigned done, k, sent, waits = 0, i;
	enum run_end r;
	int err;

	for (done = 0; done < b->n; done += sent) {
		if ((k = pace(s, b->n - done)) == 0)
			return RUN_SIGNAL;
		sent = sock_tx(s->ep->fd, dst, b->iov + done, k, &s->gso, &err);
		for (i = done; i < done + sent; i++)
			s->st->bytes += b->iov[i].iov_len;
		s->st->dgrams += sent;
		if (sent > 0) {
			paced(s, sent);
			waits = 0;
		}
		if (err != 0 && (r = send_error(s, err,
		    b->iov[done + sent].iov_len, &waits,
		    dst != NULL ? dst : &s->dst[0])) != RUN_MORE)
			return r;
	}
	return RUN_MORE;
}

/* Sends the batch to every destination and empties it. */
static enum run_end
send_batch(struct sender *s)
{
	enum run_end r = RUN_MORE;
	int d, full = s->b.n == s->b.max;

	for (d = 0; d < s->ndst && r == RUN_MORE; d++)
		r = send_to(s, s->ep->connected ? NULL : &s->dst[d]);
	s->b.n = 0;
	stats_progress(s->st, 0);
	/*
	 * A busy send never waits, where signals get in: look after a full
	 * batch, and after every 16th short one.  Short ones are a trickle,
	 * which waits for input in between (where a signal gets in) unless
	 * its input is always ready, or held for --repeat.
	 */
	if (r == RUN_MORE && (full || ++s->unchecked >= 16)) {
		s->unchecked = 0;
		if (signal_check() != 0)
			r = RUN_SIGNAL;
	}
	return r;
}

/* Decodes into the batch's big buffer a record too long for a slot. */
static unsigned char *
big_buffer(struct batch *b, size_t need)
{
	if (need > b->big_size) {
		free(b->big);
		b->big_size = 0;
		if ((b->big = malloc(need)) == NULL)
			return NULL;
		b->big_size = need;
	}
	return b->big;
}

/*
 * The data string and time of a JSON line, through *rec, *len and *t;
 * RUN_EINPUT for a line that is not a record listen wrote (or has no
 * time to replay by), after what came before it was sent.
 */
static enum run_end
json_record(struct sender *s, const unsigned char **rec, size_t *len,
    uint64_t *t)
{
	struct jsonrec jr;
	struct jsonrec_error err = { NULL, 0 };
	enum run_end r;

	if (jsonrec_parse((const char *)*rec, *len, s->src.unesc, &jr,
	    &err) == 0) {
		if (jr.has_time || s->c.speed == 0) {
			*rec = (const unsigned char *)jr.data;
			*len = jr.len;
			*t = (uint64_t)jr.sec * NS + (uint64_t)jr.nsec;
			return RUN_MORE;
		}
		err.what = "no 'time' for --speed";
		err.offset = 0;
	}
	if ((r = send_batch(s)) != RUN_MORE)
		return r;
	msg_fail(EXIT_USAGE, "invalid record on line %llu: %s at offset %zu",
	    s->src.recno, err.what, err.offset);
	return RUN_EINPUT;
}

/*
 * --speed: waits until a record stamped t is due, the batch so far sent
 * first.  Deadlines are absolute (the first record's departure plus its
 * distance in capture time, divided by the factor), so that errors do
 * not add up; a record stamped before the first goes at once.
 */
static enum run_end
replay_wait(struct sender *s, uint64_t t)
{
	struct pacer *p = &s->pacer;
	uint64_t due, now;
	int64_t ahead = (int64_t)(t - p->first);
	double delay;
	short revents;
	enum run_end r;

	if (!p->replaying) {
		p->replaying = 1;
		p->first = t;
		p->start = now_ns();
		return RUN_MORE;
	}
	if (ahead <= 0)
		return RUN_MORE;
	delay = (double)ahead / s->c.speed;
	due = p->start + (delay > 1e18 ? (uint64_t)1e18 : (uint64_t)delay);
	if (now_ns() >= due)
		return RUN_MORE;
	if (s->b.n > 0 && (r = send_batch(s)) != RUN_MORE)
		return r;
	while ((now = now_ns()) < due) {
		if (s->replies != NULL) {
			r = recv_wait(s->replies, (int64_t)(due - now), -1,
			    &revents);
			if (r != RUN_MORE && r != RUN_DONE)
				return r;
		} else
			(void)wait_fds(NULL, 0, (int64_t)(due - now));
		if (cmd_signal != 0)
			return RUN_SIGNAL;
	}
	return RUN_MORE;
}

/*
 * Adds a record to the batch as a datagram.  One that does not decode or
 * is too large ends the run (RUN_EINPUT), after what came before it was
 * sent.
 */
static enum run_end
add_record(struct sender *s, const unsigned char *rec, size_t len)
{
	struct batch *b = &s->b;
	enum encoding e = s->c.enc;
	unsigned char *slot, *out;
	struct enc_error err;
	enum run_end r;
	uint64_t t = s->src.rec_ns;
	int json = s->c.inf.mode == IN_JSON;
	long got;

	if (json && (r = json_record(s, &rec, &len, &t)) != RUN_MORE)
		return r;
	if (s->c.speed > 0 && (r = replay_wait(s, t)) != RUN_MORE)
		return r;
	slot = out = b->slots + (size_t)b->n * SLOT_SIZE;
	got = (long)len;
	if (e != ENC_RAW) {
		if (enc_decoded_max(e, len) > SLOT_SIZE &&
		    (out = big_buffer(b, enc_decoded_max(e, len))) == NULL) {
			msg_fail(EXIT_RUNTIME, "out of memory");
			return RUN_ERROR;
		}
		got = enc_decode(e, (const char *)rec, len, out, &err);
	}
	if (got < 0 || (size_t)got > s->ep->max) {
		if ((r = send_batch(s)) != RUN_MORE)
			return r;
		if (got < 0)
			msg_fail(EXIT_USAGE, "invalid %s in %s %llu: %s at "
			    "offset %zu", enc_name(e), json ? "line" : "record",
			    s->src.recno, err.what, err.offset);
		else
			msg_fail(EXIT_USAGE, "%s %llu is too large: %ld bytes, "
			    "at most %zu over %s", json ? "line" : "record",
			    s->src.recno, got, s->ep->max, endp_kind(s->ep));
		return RUN_EINPUT;
	}
	if (e == ENC_RAW && !json)
		b->iov[b->n].iov_base = (void *)rec;
	else if (e == ENC_RAW) {
		/* An unescaped string is overwritten by the next line's. */
		memcpy(slot, rec, (size_t)got);
		b->iov[b->n].iov_base = slot;
	} else {
		if (out != slot)
			memcpy(slot, out, (size_t)got);
		b->iov[b->n].iov_base = slot;
	}
	b->iov[b->n++].iov_len = (size_t)got;
	return RUN_MORE;
}

/*
 * Waits until standard input has something to read, printing replies
 * meanwhile when waiting for them, so that an interactive session sees
 * each answer at once; a signal ends the wait.  With nothing else to
 * watch or time, the read that follows is the wait (signals_open()).
 */
static enum run_end
await_input(struct sender *s)
{
	struct pollfd pfd;
	short revents = 0;
	enum run_end r;

	if (s->replies == NULL && s->c.rate == 0 && s->c.interval_ms == 0 &&
	    s->c.speed <= 0 && signals_open(STDIN_FILENO) == 0)
		return cmd_signal != 0 ? RUN_SIGNAL : RUN_MORE;
	for (;;) {
		if (s->replies != NULL) {
			r = recv_wait(s->replies, -1, STDIN_FILENO, &revents);
			if (r != RUN_MORE && r != RUN_DONE)
				return r;
		} else {
			pfd.fd = STDIN_FILENO;
			pfd.events = POLLIN;
			pfd.revents = 0;
			if (wait_fds(&pfd, 1, -1) == -1 && errno != EINTR) {
				msg_fail(EXIT_RUNTIME, "poll: %s",
				    strerror(errno));
				return RUN_ERROR;
			}
			revents = pfd.revents;
		}
		if (cmd_signal != 0)
			return RUN_SIGNAL;
		if (revents != 0)
			return RUN_MORE;
	}
}

/*
 * The next record, when one is buffered.  Else, with nothing batched,
 * one read() once standard input can be read, and FRAME_AGAIN: the next
 * pass splits what came, raw lines straight into the batch
 * (take_lines()).  The only waits are in wait_fds(), where a signal gets
 * through.  Records returned stay valid until the next call that reads
 * (s->b.n == 0 then).  *end is set when it returns a failure of the wait.
 */
static int
next_record(struct sender *s, const unsigned char **rec, size_t *len,
    enum run_end *end)
{
	struct source *src = &s->src;
	int r;

	*end = RUN_MORE;
	if (!src->use_stdin || src->replay)
		return source_next(src, FRAME_READ, rec, len);
	if ((r = source_next(src, FRAME_NO_READ, rec, len)) != FRAME_AGAIN)
		return r;
	if (s->b.n > 0 || (*end = await_input(s)) != RUN_MORE)
		return FRAME_AGAIN;
	return source_next(src, FRAME_FILL, rec, len);
}

/* After a batch went: replies that came meanwhile, and a signal. */
static enum run_end
between_batches(struct sender *s)
{
	enum run_end r;

	if (cmd_signal != 0)
		return RUN_SIGNAL;
	if (s->replies != NULL &&
	    (r = recv_drain(s->replies, 0)) != RUN_MORE && r != RUN_DONE)
		return r;
	return RUN_MORE;
}

/*
 * Raw lines need no decoding and no check that add_record() would not
 * pass: those buffered go into the batch at once.  Returns how many.
 */
static unsigned
take_lines(struct sender *s)
{
	unsigned k;

	if (s->c.enc != ENC_RAW || s->c.speed > 0)
		return 0;
	k = source_lines(&s->src, s->b.iov + s->b.n, s->b.max - s->b.n);
	s->b.n += k;
	return k;
}

/*
 * Ends a step of the input: sends what is batched (the batch is full, or
 * nothing more is buffered, or the source ended or failed) and returns
 * RUN_MORE, RUN_DONE at the end of the input, or how the run ends.
 */
static enum run_end
end_step(struct sender *s, int got)
{
	enum run_end r;

	if (s->b.n > 0 && (r = send_batch(s)) != RUN_MORE)
		return r;
	if (got < FRAME_AGAIN)
		return source_failed(&s->src, got);
	return got == FRAME_END ? RUN_DONE : RUN_MORE;
}

/* Sends every record of the input once; *n counts them. */
static enum run_end
send_pass(struct sender *s, unsigned long long *n)
{
	const unsigned char *rec;
	enum run_end end, r;
	size_t len;
	int got;

	for (*n = 0;; ) {
		*n += take_lines(s);
		end = RUN_MORE;
		/* A full batch goes, as when nothing more is buffered. */
		got = s->b.n < s->b.max ? next_record(s, &rec, &len, &end) :
		    FRAME_AGAIN;
		if (end != RUN_MORE)
			return end;
		if (got == FRAME_AGAIN && s->b.n == 0)
			continue;	/* input came: split it */
		if (got == FRAME_RECORD) {
			++*n;
			if ((r = add_record(s, rec, len)) != RUN_MORE)
				return r;
			if (s->b.n < s->b.max)
				continue;
		}
		if ((r = end_step(s, got)) != RUN_MORE && r != RUN_DONE)
			return r;
		if ((end = between_batches(s)) != RUN_MORE)
			return end;
		if (r == RUN_DONE)
			return RUN_DONE;
	}
}

enum run_end
tx_run(struct sender *s, uint64_t repeat)
{
	unsigned long long n;
	uint64_t rep;
	enum run_end r;

	for (rep = 0; repeat == 0 || rep < repeat; rep++) {
		if (rep > 0)
			tx_rewind(s);
		if ((r = send_pass(s, &n)) != RUN_DONE)
			return r;
		if (n == 0)
			break;	/* repeating nothing is done at once */
	}
	return RUN_DONE;
}

enum run_end
tx_pump(struct sender *s)
{
	const unsigned char *rec;
	int may_read = FRAME_READ_ONCE, got;
	enum run_end r;
	size_t len;

	for (;;) {
		got = source_next(&s->src, may_read, &rec, &len);
		may_read = FRAME_NO_READ;
		if (got == FRAME_RECORD) {
			if ((r = add_record(s, rec, len)) != RUN_MORE)
				return r;
			if (s->b.n < s->b.max)
				continue;
		}
		if ((r = end_step(s, got)) != RUN_MORE || got == FRAME_AGAIN)
			return r;
	}
}

void
tx_note_skipped(const struct sender *s)
{
	const struct pcap_reader *p = &s->src.fr.pcap;
	const char *sep = ":";
	char buf[512];
	size_t n;
	uint64_t total = 0;
	int k;

	if (s->c.inf.mode != IN_PCAP || !s->src.use_stdin)
		return;
	for (k = 0; k < PCAP_SKIP_KINDS; k++)
		total += p->skipped[k];
	n = (size_t)snprintf(buf, sizeof(buf), "capture: %llu packets, %llu "
	    "skipped", (unsigned long long)p->packets,
	    (unsigned long long)total);
	for (k = 0; k < PCAP_SKIP_KINDS && n < sizeof(buf); k++) {
		if (p->skipped[k] == 0)
			continue;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s %llu %s",
		    sep, (unsigned long long)p->skipped[k],
		    pcap_skip_name((enum pcap_skip)k));
		sep = ",";
	}
	note("%s", buf);
}
