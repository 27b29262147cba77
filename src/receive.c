/* receive.c: the receiver: datagrams from a socket to the command, batched. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "msg.h"
#include "proc.h"
#include "receive.h"
#include "udpcat.h"

#define FINAL_BATCHES	4096	/* read after a signal: 262,144 datagrams */
#define TICK_NS		100000000	/* --progress redraws */
#define LONE		8	/* reads that find one waiting, before asking one */

int
recv_init(struct receiver *r, struct endp *ep, size_t size, int want_from,
    recv_fn fn, void *arg)
{
	memset(r, 0, sizeof(*r));
	r->ep = ep;
	r->want = SOCK_BATCH;
	r->stamp = 1;
	r->hold = 1;
	held_init(&r->held);
	r->fn = fn;
	r->arg = arg;
	return sock_rx_init(&r->rx, size, want_from);
}

/*
 * The datagram in receive buffer i: its bytes, real size, sender, and the
 * kernel's arrival time when it gave one, else now.
 */
static void
rx_dgram(const struct rxbatch *rx, unsigned i, const struct timespec *now,
    struct dgram *d)
{
	d->data = rx->iov[i].iov_base;
	d->size = rx->msg[i].msg_len;
	d->len = d->size < rx->size ? d->size : rx->size;
	d->from = (const struct sockaddr *)&rx->from[i];
	d->fromlen = rx->msg[i].msg_hdr.msg_namelen;
	d->cred = rx->has_cred[i] ? &rx->cred[i] : NULL;
	d->info = rx->want_info ? &rx->info[i] : NULL;
	d->time = rx->ts[i].tv_sec != 0 ? rx->ts[i] : *now;
	d->to = rx->to != NULL ? (const struct sockaddr *)&rx->to[i] : NULL;
	d->dir = NULL;
}

/*
 * Hands on buffer i of the batch just received: one datagram, or with
 * GRO several from one sender, each rx->seg[i] bytes but the last.
 */
static enum run_end
deliver(struct receiver *r, unsigned i, const struct timespec *now)
{
	struct dgram d;
	const unsigned char *data;
	size_t size, seg = r->rx.seg[i], off;
	enum run_end s = RUN_MORE;
	int w;

	rx_dgram(&r->rx, i, now, &d);
	if (d.fromlen < sizeof(sa_family_t) && r->ep->family == AF_UNIX) {
		/* An unbound Unix sender has no name: "unnamed". */
		r->rx.from[i].ss_family = AF_UNIX;
		d.fromlen = sizeof(sa_family_t);
	}
	if (seg == 0)
		return r->fn(r->arg, &d);
	if (r->whole != NULL && d.size == d.len &&
	    (w = r->whole(r->arg, &d, seg)) != -1)
		return (enum run_end)w;
	data = d.data;
	size = d.size;
	for (off = 0; off < size && s == RUN_MORE; off += seg) {
		d.data = data + off;
		d.size = d.len = size - off < seg ? size - off : seg;
		s = r->fn(r->arg, &d);
	}
	return s;
}

/*
 * Sizes the next batch: it doubles while batches come back full and
 * shrinks to what came, so that a trickle (a request, an answer) does not
 * make the kernel look at an empty queue again in every call.  Never
 * below two: a single datagram then comes back as a short batch, which
 * ends the drain, where a full batch of one would cost a second call
 * that finds nothing.  Counts the reads in a row that found one datagram
 * waiting, for wanted(); a read that asked for one says nothing of that,
 * and a buffer of datagrams the kernel coalesced (GRO) is a flood's.
 */
static void
adapt(struct receiver *r, unsigned got, unsigned asked)
{
	if (asked == 1)
		return;
	r->lone = got == 1 && r->rx.seg[0] == 0 ? r->lone + 1 : 0;
	if (got < asked)
		r->want = got > 2 ? got : 2;
	else if (r->want < SOCK_BATCH)
		r->want = r->want * 2 > SOCK_BATCH ? SOCK_BATCH : r->want * 2;
}

/*
 * How many datagrams to ask for now: the batch, within the limit and room.
 * A read that waits (recv_held()) and asks for one ends the drain, so it
 * may: once LONE reads in a row found one datagram waiting, as a peer's
 * that asks and waits for the answer do, it does, and spares the kernel
 * its look at an empty queue for a second one.  One read in LONE still
 * asks for the batch, to see traffic grow.
 */
static unsigned
wanted(struct receiver *r, int hold)
{
	uint64_t want = r->want, left;

	if (hold && r->lone >= LONE && ++r->blind % LONE != 0)
		want = 1;
	left = want;
	if (r->limit != 0)
		left = *r->counted < r->limit ? r->limit - *r->counted : 0;
	if (r->room != NULL && *r->room < left)
		left = *r->room;
	return left < want ? (unsigned)left : (unsigned)want;
}

/* True for an error that an ICMP message left on the socket. */
static int
icmp_error(int err)
{
	return err == EHOSTUNREACH || err == ENETUNREACH || err == EHOSTDOWN ||
	    err == ENETDOWN || err == EMSGSIZE || err == EPROTO;
}

/*
 * One recvmmsg(), which with hold waits for the first datagram: the
 * number received (0: none waiting), or -1 when the drain must end, with
 * *end set.
 */
static int
rx_once(struct receiver *r, unsigned want, int hold, unsigned *nobufs,
    enum run_end *end)
{
	int n;

	while ((n = sock_rx_hold(hold ? r->held.fd : r->ep->fd, &r->rx, want,
	    hold)) == -1) {
		if (errno == EINTR && cmd_signal == 0)
			continue;
		*end = RUN_MORE;
		if (errno == EINTR)
			return -1;
		/* The alarm, or a signal, ended the held read. */
		if (hold && errno == ENOTSOCK) {
			held_lost(&r->held);
			return -1;
		}
		/* Kernel memory runs short for a moment: wait. */
		if (errno == ENOBUFS && shortage_wait(nobufs) == 0) {
			if (cmd_signal != 0)
				return -1;
			continue;
		}
		if (errno == ECONNREFUSED) {
			endp_refused(r->ep);
			return -1;
		}
		/* An ICMP error, that the wait reports when it comes first. */
		if (icmp_error(errno)) {
			endp_error(r->ep, errno);
			return -1;
		}
		*end = RUN_ERROR;
		msg_fail(EXIT_RUNTIME, "cannot receive: %s", strerror(errno));
		return -1;
	}
	*nobufs = 0;
	return n;
}

/* recv_drain(); with hold, the first read waits (see recv_held()). */
static enum run_end
drain(struct receiver *r, int final, int hold)
{
	struct timespec now = { 0, 0 };
	unsigned want, i, batches = 0, nobufs = 0;
	enum run_end s, f;
	int n;

	while (final ? batches++ < FINAL_BATCHES : cmd_signal == 0) {
		if ((want = wanted(r, hold)) == 0)
			break;
		if ((n = rx_once(r, want, hold, &nobufs, &s)) == -1)
			return s;
		adapt(r, (unsigned)n, want);
		if (n == 0)
			break;
		if (r->stamp)
			clock_gettime(CLOCK_REALTIME, &now);
		for (i = 0, s = RUN_MORE; i < (unsigned)n && s == RUN_MORE; i++)
			s = deliver(r, i, &now);
		r->got += (unsigned)n;
		if (r->pr != NULL && (f = printer_flush(r->pr)) != RUN_MORE)
			return f;
		if (r->st != NULL)
			stats_progress(r->st, 0);
		if (s != RUN_MORE)
			return s;
		/*
		 * A short batch emptied the queue: wait rather than ask.  So
		 * did, as likely as not, a read that waited and asked for one
		 * (see wanted()): the next such read takes what follows.
		 */
		if (((unsigned)n < want || (hold && want == 1)) && !final)
			break;
		hold = 0;
		/* A flood never waits, where signals get in: look. */
		if (!final)
			(void)signal_check();
	}
	return RUN_MORE;
}

enum run_end
recv_drain(struct receiver *r, int final)
{
	return drain(r, final, 0);
}

/*
 * The pollfds of a wait: the socket (not read while the command has no
 * room), standard output's pipe, fd, and the hook's; *nhook and *deadline
 * say what the hook asked for.
 */
static nfds_t
wait_set(struct receiver *r, struct pollfd *pfd, int fd, nfds_t *pipe_i,
    nfds_t *fd_i, int *nhook, uint64_t *deadline)
{
	nfds_t n = 1;

	pfd[0].fd = r->ep->fd;
	pfd[0].events = r->room != NULL && *r->room == 0 ? 0 : POLLIN;
	*pipe_i = *fd_i = 0;
	if (r->pr != NULL && r->pr->watch_pipe) {
		*pipe_i = n;
		pfd[n].fd = r->pr->fd;
		pfd[n++].events = 0;
	}
	if (fd >= 0) {
		*fd_i = n;
		pfd[n].fd = fd;
		pfd[n++].events = POLLIN;
	}
	*nhook = 0;
	*deadline = 0;
	if (r->hook != NULL)
		*nhook = r->hook->fill(r->hook->arg, pfd + n, RECV_HOOK_FDS,
		    deadline);
	return n;
}

/* The wait's timeout: ns, or less to meet the hook's deadline. */
static int64_t
wait_ns(int64_t ns, uint64_t deadline)
{
	uint64_t t;

	if (deadline == 0)
		return ns;
	t = now_ns();
	if (deadline <= t)
		return 0;
	return ns < 0 || (uint64_t)ns > deadline - t ?
	    (int64_t)(deadline - t) : ns;
}

enum run_end
recv_wait(struct receiver *r, int64_t ns, int fd, short *revents)
{
	struct pollfd pfd[3 + RECV_HOOK_FDS];
	nfds_t n, pipe_i, fd_i;
	uint64_t deadline;
	enum run_end s;
	int rc, nhook, i;

	r->got = 0;
	n = wait_set(r, pfd, fd, &pipe_i, &fd_i, &nhook, &deadline);
	if ((rc = wait_fds(pfd, n + (nfds_t)nhook, wait_ns(ns, deadline))) ==
	    -1 && errno != EINTR) {
		msg_fail(EXIT_RUNTIME, "poll: %s", strerror(errno));
		return RUN_ERROR;
	}
	if (r->hook != NULL) {
		/* Its timers come due with no descriptor ready. */
		for (i = 0; rc <= 0 && i < nhook; i++)
			pfd[n + (nfds_t)i].revents = 0;
		if ((s = r->hook->ready(r->hook->arg, pfd + n, nhook)) !=
		    RUN_MORE)
			return s;
	}
	if (cmd_signal != 0)
		return RUN_SIGNAL;
	if (rc <= 0)
		return RUN_MORE;
	if (pfd[0].revents & POLLERR)
		endp_read_errors(r->ep);
	if (pipe_i != 0 && (s = printer_check_pipe(r->pr,
	    pfd[pipe_i].revents)) != RUN_MORE)
		return s;
	if (fd_i != 0)
		*revents = pfd[fd_i].revents;
	if (pfd[0].revents & POLLIN)
		return recv_drain(r, 0);
	return RUN_MORE;
}

/*
 * After traffic, a read that waits, as a bare loop's does: one call where
 * a wait and a read were two, and the answer of a peer on another CPU is
 * taken without going to sleep in between.  For a peer that asks and
 * waits for the answer it takes one datagram a call (see wanted());
 * under a flood, the batch, and the drain goes on.  It has no timeout,
 * which the kernel would arm and cancel in every read that sleeps (0.4 us
 * a datagram through a pipeline on one CPU, 1.5% of its round trip): an
 * alarm ends it HELD_NS to 2 * HELD_NS after traffic stops (held_fd()).
 * The stdout pipe and the hook are watched again by the wait that
 * follows.
 */
static int
hold_ok(const struct receiver *r, int64_t ns)
{
	return r->hold && r->got > 0 && r->hook == NULL && held_fits(ns);
}

static enum run_end
recv_held(struct receiver *r)
{
	r->got = 0;
	if (held_fd(&r->held, r->ep->fd) == -1) {
		r->hold = 0;		/* the wait serves instead */
		return RUN_MORE;
	}
	return drain(r, 0, 1);
}

static enum run_end
loop(struct receiver *r, uint64_t idle_ms, int idle_set, int progress)
{
	uint64_t last = now_ms(), t;
	int64_t ns;
	enum run_end s;

	for (;;) {
		if (cmd_signal != 0)
			return RUN_SIGNAL;
		if (r->stop_refused && r->ep->refused)
			return RUN_REFUSED;
		if (r->limit != 0 && *r->counted >= r->limit)
			return RUN_DONE;
		ns = -1;
		if (idle_set) {
			if ((t = now_ms() - last) >= idle_ms)
				return RUN_IDLE;
			ns = (int64_t)(idle_ms - t) * 1000000;
		}
		if (progress && (ns < 0 || ns > TICK_NS))
			ns = TICK_NS;
		s = hold_ok(r, ns) ? recv_held(r) : recv_wait(r, ns, -1, NULL);
		if (idle_set && r->got > 0)
			last = now_ms();
		if (s != RUN_MORE)
			return s;
		if (r->st != NULL)
			stats_progress(r->st, 0);
	}
}

enum run_end
recv_loop(struct receiver *r, uint64_t idle_ms, int idle_set, int progress)
{
	enum run_end s;

	s = loop(r, idle_ms, idle_set, progress);
	held_stop(&r->held);
	return s;
}

void
recv_free(struct receiver *r)
{
	held_free(&r->held);
	sock_rx_free(&r->rx);
}
