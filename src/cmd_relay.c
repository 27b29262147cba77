/* cmd_relay.c: "udpcat relay": a UDP proxy that keeps each client's path. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cmd.h"
#include "portfile.h"
#include "relay.h"
#include "relay_fwd.h"
#include "relay_opts.h"
#include "relay_tap.h"
#include "udpcat.h"

#define TICK_NS		100000000	/* --progress redraws */
#define UP_RCVBUF	(4 << 20)	/* each upstream socket's, at most */

/* Everything a relay holds, owned by cmd_relay(). */
struct relay {
	const struct relay_opts	*o;
	struct endp		 ep;		/* the clients' side */
	struct endpoint		 dst;		/* the service */
	char			 dst_name[PEER_MAX];
	struct relay_table	 t;
	struct receiver		 rx_up;		/* from the clients */
	struct receiver		 rx_down;	/* from the service */
	struct mapping		*cur;		/* whose socket rx_down reads */
	struct tap		 tap;		/* --tap, --json */
	struct stats		 st;
	struct fwd		 f;
	struct endp		 tee[MAX_TEE];
	struct endpoint		 tee_dst[MAX_TEE];
	struct pollfd		*pfd;
	struct mapping		**pm;		/* the mapping of each pfd */
	uint64_t		 last_ns;	/* the last arrival */
	uint64_t		 self;		/* from the relay's own name */
	uint64_t		 open_failed;
};

/* Counts n datagrams of size bytes in all, arrived in direction dir. */
static void
arrived(struct relay *r, int dir, uint64_t n, size_t size)
{
	r->f.c[dir].received += n;
	r->f.c[dir].bytes += size;
	r->st.dgrams += n;
	r->st.bytes += size;
}

/* Forwards a datagram that arrived in direction dir for m, and shows it. */
static void
forward(struct relay *r, int dir, struct mapping *m, const struct dgram *d,
    uint64_t now)
{
	int f = fwd_in(&r->f, dir, m, d->data, d->len, now);
	uint64_t id = 0;
	unsigned open = fwd_open(&r->f, dir, f, &id);

	tap_show(&r->tap, d, dir, (const struct sockaddr *)&m->client.ss,
	    m->client.len, f, id, open);
}

/* A copy of datagram id left dir's stage: its record may be due. */
static void
settle(void *arg, int dir, uint64_t id, int passed)
{
	struct relay *r = arg;

	tap_settle(&r->tap, dir, id, passed);
}

/* The mapping of a new client; NULL after a count (and a warning). */
static struct mapping *
open_mapping(struct relay *r, const struct dgram *d, uint64_t now)
{
	struct mapping *m;

	/* Closing one: nothing queued may point at it. */
	if (r->t.free == NULL)
		fwd_flush(&r->f);
	m = relay_open(&r->t, d->from, d->fromlen, &r->dst, now,
	    &r->rx_down.rx);
	if (m == NULL && r->open_failed++ == 0)
		warning("cannot open a socket for a new client: %s (its "
		    "datagrams are counted in --stats)", strerror(errno));
	return m;
}

/* Each client datagram: to its mapping's socket, and to the tees. */
static enum run_end
on_client(void *arg, const struct dgram *d)
{
	struct relay *r = arg;
	struct mapping *m;
	uint64_t now = now_ns();

	r->last_ns = now;
	/* Forged with the relay's own address, it would loop. */
	if (endp_is_self(&r->ep, d->from, d->fromlen)) {
		if (r->self++ == 0)
			warning("not relaying a datagram from the relay's own "
			    "address %s", r->ep.name);
		return RUN_MORE;
	}
	arrived(r, UP, 1, d->size);
	fwd_tee(&r->f, d->data, d->len);
	if ((m = relay_find(&r->t, d->from, d->fromlen)) == NULL &&
	    (m = open_mapping(r, d, now)) == NULL) {
		r->f.c[UP].not_sent++;
		tap_show(&r->tap, d, UP, d->from, d->fromlen, -1, 0, 0);
	} else {
		relay_touch(&r->t, m, now);
		forward(r, UP, m, d, now);
	}
	if (r->o->c.count != 0 && r->f.c[UP].received >= r->o->c.count)
		return RUN_DONE;
	return RUN_MORE;
}

/* Each datagram from the service: back to the client it answers. */
static enum run_end
on_service(void *arg, const struct dgram *d)
{
	struct relay *r = arg;
	uint64_t now = now_ns();

	r->last_ns = now;
	arrived(r, DOWN, 1, d->size);
	relay_touch(&r->t, r->cur, now);
	forward(r, DOWN, r->cur, d, now);
	return RUN_MORE;
}

/*
 * A GRO buffer from a client that has its mapping goes on whole, as GSO
 * sends, when nothing looks at its single datagrams: no impairment up,
 * no tap, JSON or tee, and -n not within reach.  -1: split it.
 */
static int
client_whole(void *arg, const struct dgram *d, size_t seg)
{
	struct relay *r = arg;
	const struct relay_opts *o = r->o;
	uint64_t n = (d->size + seg - 1) / seg, now;
	struct mapping *m;

	if (r->tap.on || o->ntee > 0 ||
	    (o->c.count != 0 && o->c.count - r->f.c[UP].received < n) ||
	    endp_is_self(&r->ep, d->from, d->fromlen) ||
	    (m = relay_find(&r->t, d->from, d->fromlen)) == NULL ||
	    fwd_whole(&r->f, UP, m, d->data, d->size, seg) == -1)
		return -1;
	now = now_ns();
	r->last_ns = now;
	arrived(r, UP, n, d->size);
	relay_touch(&r->t, m, now);
	if (o->c.count != 0 && r->f.c[UP].received >= o->c.count)
		return RUN_DONE;
	return RUN_MORE;
}

/* A GRO buffer from the service, the same way back to its client. */
static int
service_whole(void *arg, const struct dgram *d, size_t seg)
{
	struct relay *r = arg;
	uint64_t now;

	if (r->tap.on || fwd_whole(&r->f, DOWN, r->cur, d->data, d->size,
	    seg) == -1)
		return -1;
	now = now_ns();
	r->last_ns = now;
	arrived(r, DOWN, (d->size + seg - 1) / seg, d->size);
	relay_touch(&r->t, r->cur, now);
	return RUN_MORE;
}

/* Closes the mappings idle for --idle; returns when the next one is. */
static uint64_t
close_idle(struct relay *r, uint64_t now)
{
	uint64_t idle = r->o->idle_ms * 1000000;
	struct mapping *m;

	while ((m = relay_oldest(&r->t)) != NULL && now - m->last_ns >= idle)
		relay_close(&r->t, m, 1);
	return m != NULL ? m->last_ns + idle : UINT64_MAX;
}

/* Nanoseconds to wait from now until deadline t, or -1 for ever. */
static int64_t
until(uint64_t now, uint64_t t)
{
	if (t == UINT64_MAX)
		return -1;
	return t > now ? (int64_t)(t - now) : 0;
}

/* The wait before the next timer: impairments, --idle, -w, --progress. */
static int64_t
next_wait(struct relay *r, uint64_t now, uint64_t idle_at)
{
	uint64_t t = idle_at, x;

	if ((x = fwd_next(&r->f)) < t)
		t = x;
	if (r->o->c.timeout_set &&
	    (x = r->last_ns + r->o->c.timeout_ms * 1000000) < t)
		t = x;
	if (r->o->c.progress && now + TICK_NS < t)
		t = now + TICK_NS;
	return until(now, t);
}

/* Fills the poll set: mappings, tees, the clients' side, stdout's pipe. */
static nfds_t
poll_set(struct relay *r)
{
	struct mapping *m;
	nfds_t n = 0;
	int i;

	for (m = relay_oldest(&r->t); m != NULL; m = m->newer) {
		r->pm[n] = m;
		r->pfd[n].fd = m->up.fd;
		r->pfd[n++].events = POLLIN;
	}
	for (i = 0; i < r->o->ntee; i++) {
		r->pm[n] = NULL;
		r->pfd[n].fd = r->tee[i].fd;
		r->pfd[n++].events = POLLIN;
	}
	r->pm[n] = NULL;
	r->pfd[n].fd = r->ep.fd;
	r->pfd[n++].events = POLLIN;
	if (r->tap.on && r->tap.pr.watch_pipe) {
		r->pm[n] = NULL;
		r->pfd[n].fd = r->tap.pr.fd;
		r->pfd[n++].events = 0;
	}
	return n;
}

/* Reads a mapping's socket: its errors, then what the service sent. */
static enum run_end
up_ready(struct relay *r, struct mapping *m, short revents)
{
	int was, n, other;
	enum run_end s;

	if ((revents & POLLERR) && (n = sock_drain_errors(m->up.fd,
	    m->up.family, &other)) > 0) {
		r->f.refused += (uint64_t)n;
		endp_refused(&m->up);
	}
	if (!(revents & POLLIN))
		return RUN_MORE;
	r->cur = m;
	r->rx_down.ep = &m->up;
	/* The receiver warns of a refusal it meets itself; count it. */
	was = m->up.refused;
	s = recv_drain(&r->rx_down, 0);
	r->f.refused += !was && m->up.refused;
	return s;
}

/* Handles whatever the wait found ready among the n descriptors. */
static enum run_end
ready(struct relay *r, nfds_t n)
{
	enum run_end s;
	nfds_t i;
	int t = 0;

	for (i = 0; i < n && r->pfd[i].fd != r->ep.fd; i++) {
		if (r->pfd[i].revents == 0)
			continue;
		if (r->pm[i] != NULL) {
			if ((s = up_ready(r, r->pm[i], r->pfd[i].revents)) !=
			    RUN_MORE)
				return s;
		} else
			fwd_tee_drain(&r->f, t, r->pfd[i].revents);
		t += r->pm[i] == NULL;
	}
	if (i + 1 < n && (s = printer_check_pipe(&r->tap.pr,
	    r->pfd[i + 1].revents)) != RUN_MORE)
		return s;
	if (r->pfd[i].revents & POLLIN)
		return recv_drain(&r->rx_up, 0);
	return RUN_MORE;
}

/* Relays until -n, -w, a signal or a failure ends it. */
static enum run_end
relay_loop(struct relay *r)
{
	const struct relay_opts *o = r->o;
	enum run_end s;
	uint64_t now, idle_at;
	nfds_t n;
	int rc;

	for (;;) {
		now = now_ns();
		fwd_release(&r->f, now);
		fwd_flush(&r->f);
		idle_at = close_idle(r, now);
		if (cmd_signal != 0)
			return RUN_SIGNAL;
		if (o->c.timeout_set && now - r->last_ns >= o->c.timeout_ms *
		    1000000)
			return RUN_IDLE;
		n = poll_set(r);
		if ((rc = wait_fds(r->pfd, n, next_wait(r, now, idle_at))) ==
		    -1 && errno != EINTR) {
			msg_fail(EXIT_RUNTIME, "poll: %s", strerror(errno));
			return RUN_ERROR;
		}
		if (cmd_signal != 0)
			return RUN_SIGNAL;
		s = rc > 0 ? ready(r, n) : RUN_MORE;
		/* The traffic first: a slow reader of --tap delays no one. */
		fwd_flush(&r->f);
		if (s == RUN_MORE && r->tap.on)
			s = tap_flush(&r->tap, 0);
		if (s != RUN_MORE)
			return s;
		stats_progress(&r->st, 0);
	}
}

/*
 * After -n: lets the impaired datagrams still held go at their time,
 * until a signal.
 */
static void
finish_held(struct relay *r)
{
	uint64_t now, t;

	for (;;) {
		now = now_ns();
		fwd_release(&r->f, now);
		fwd_flush(&r->f);
		if ((t = fwd_next(&r->f)) == UINT64_MAX || cmd_signal != 0)
			return;
		(void)wait_fds(NULL, 0, until(now, t));
	}
}

/* Resolves the service and the tees, opens the tees; 0 or a status. */
static int
setup_peers(struct relay *r)
{
	const struct relay_opts *o = r->o;
	int rc;

	if (endp_is_unix(o->host))
		rc = endp_unix_addr(o->host, &r->dst);
	else
		rc = resolve("host", o->host, o->port, o->c.family, 0, &r->dst);
	if (rc != 0)
		return rc;
	if (out_peer((struct sockaddr *)&r->dst.ss, r->dst.len,
	    r->dst_name) < 0)
		memcpy(r->dst_name, "?", 2);
	return fwd_dial_tees(&r->f, o, r->tee_dst);
}

/* Opens and binds the clients' side: UDP as listen's, or Unix. */
static int
bind_side(struct relay *r)
{
	const struct relay_opts *o = r->o;
	struct endp_conf c;
	struct endpoint ep;
	int rc;

	if (o->listen_unix)
		return (rc = endp_unix_addr(o->address, &ep)) != 0 ? rc :
		    endp_listen_unix(&r->ep, &ep);
	memset(&c, 0, sizeof(c));
	c.family = o->c.family;
	c.reuse = o->c.reuse;
	return endp_listen(&r->ep, &c, o->address, o->lport,
	    o->c.family != AF_UNSPEC ? o->c.family : AF_INET6);
}

/*
 * Opens and binds the clients' side; refuses a service or tee that is
 * the relay itself, which would relay its own datagrams for ever.
 */
static int
setup(struct relay *r)
{
	const struct relay_opts *o = r->o;
	long rcvbuf;
	int rc, i, gro;

	if ((rc = setup_peers(r)) != 0 || (rc = bind_side(r)) != 0)
		return rc;
	if (endp_is_self(&r->ep, (struct sockaddr *)&r->dst.ss, r->dst.len))
		return msg_fail_usage("'%s' is the relay's own address: it "
		    "would relay to itself", r->dst_name);
	for (i = 0; i < o->ntee; i++)
		if (endp_is_self(&r->ep, (struct sockaddr *)
		    &r->tee_dst[i].ss, r->tee_dst[i].len))
			return msg_fail_usage("--tee '%s' is the relay's own "
			    "address", o->tee[i]);
	if ((rcvbuf = sock_rcvbuf(r->ep.fd, o->c.buffer)) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot set the receive buffer: "
		    "%s", strerror(errno));
	if (o->c.df && r->ep.family != AF_UNIX &&
	    sock_df(r->ep.fd, r->ep.family) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot set --df: %s",
		    strerror(errno));
	gro = sock_rx_gro(r->ep.fd, &r->rx_up.rx);
	if (o->c.json)
		(void)sock_rx_timestamps(r->ep.fd);
	if (o->c.verbose) {
		note("relaying %s to %s", r->ep.name, r->dst_name);
		note("receive buffer %ld bytes, GRO %s", rcvbuf,
		    gro ? "on" : "off");
		note("seed %llu", (unsigned long long)o->seed);
	}
	r->st.drops_fd = r->ep.fd;
	r->st.drops_floor = &r->rx_up.rx.gro;
	signals_install();
	if (o->c.port_file != NULL && portfile_write(o->c.port_file,
	    ntohs(((struct sockaddr_in *)&r->ep.local.ss)->sin_port)) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot write the port file "
		    "'%s': %s", o->c.port_file, strerror(errno));
	return 0;
}

/* The kernel's drops on the clients' side. */
static uint64_t
up_drops(const struct relay *r)
{
	uint32_t d;

	return sock_drops(r->ep.fd, &d) == 0 ? d : 0;
}

/* The --stats lines: each direction, then the clients. */
static void
print_stats(struct relay *r)
{
	const uint64_t kd[2] = { up_drops(r), relay_drops(&r->t) };
	const int gro[2] = { r->rx_up.rx.gro, r->rx_down.rx.gro };
	const struct fwd *f = &r->f;
	uint64_t closed = r->t.closed_idle + r->t.closed_full;

	fwd_report(f, kd, gro);
	note("%llu clients, %llu mappings closed (%llu idle, %llu to make "
	    "room), %llu refused, %llu from the relay itself, %llu tee "
	    "copies, %llu tee replies dropped",
	    (unsigned long long)r->t.opened,
	    (unsigned long long)closed,
	    (unsigned long long)r->t.closed_idle,
	    (unsigned long long)r->t.closed_full,
	    (unsigned long long)f->refused,
	    (unsigned long long)r->self,
	    (unsigned long long)f->c[TEE].forwarded,
	    (unsigned long long)f->tee_replies);
}

/* The exit status of a relay that ran (s: how it ended). */
static int
finish(struct relay *r, enum run_end s)
{
	const struct relay_opts *o = r->o;
	int printing = r->tap.on;

	if ((printing && tap_flush(&r->tap, 1) == RUN_EPIPE) ||
	    s == RUN_EPIPE)
		return EXIT_SIGNAL + SIGPIPE;
	if (s != RUN_ERROR && signal_check() != 0)
		s = RUN_SIGNAL;
	if (o->c.progress) {
		stats_progress(&r->st, 1);
		fputc('\n', stderr);
	}
	if (o->c.stats || o->c.verbose)
		print_stats(r);
	if (printing)
		printer_report(&r->tap.pr);
	if (s == RUN_SIGNAL)
		return EXIT_SIGNAL + cmd_signal;
	if (s == RUN_ERROR || (printing && r->tap.pr.err != 0))
		return EXIT_RUNTIME;
	if (s == RUN_IDLE && (r->f.c[UP].received == 0 || (o->c.count != 0 &&
	    r->f.c[UP].received < o->c.count)))
		return EXIT_TIMEOUT;
	return EXIT_OK;
}

/* Allocates the parts; 0 or an exit status. */
static int
alloc_parts(struct relay *r)
{
	const struct relay_opts *o = r->o;
	size_t npfd = o->max_clients + MAX_TEE + 2;
	int rc;

	if ((rc = tap_init(&r->tap, o)) != 0)
		return rc;
	r->pfd = calloc(npfd, sizeof(*r->pfd));
	r->pm = calloc(npfd, sizeof(struct mapping *));
	if (r->pfd == NULL || r->pm == NULL ||
	    fwd_init(&r->f, o, &r->t, &r->ep, r->tee) == -1 ||
	    relay_init(&r->t, o->max_clients) == -1 ||
	    recv_init(&r->rx_up, &r->ep, 65535, 1, on_client, r) == -1 ||
	    recv_init(&r->rx_down, &r->ep, 65535, o->c.json, on_service,
	    r) == -1 ||
	    stats_init(&r->st, 0, o->c.progress) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot allocate the relay's "
		    "buffers: %s", strerror(errno));
	/*
	 * The receivers leave the printer alone: it is flushed after the
	 * datagrams have gone on, and its records are copies.
	 */
	r->t.rcvbuf = UP_RCVBUF;
	r->t.df = o->c.df;
	r->rx_up.st = &r->st;
	r->rx_up.whole = client_whole;
	if (r->tap.on) {
		r->f.settle = settle;
		r->f.settle_arg = r;
	}
	r->rx_down.whole = service_whole;
	r->rx_up.counted = &r->f.c[UP].received;
	r->rx_up.limit = o->c.count;
	return 0;
}

/* Sets up the parts, runs them and returns the exit status. */
static int
relay_run(struct relay *r)
{
	enum run_end s;
	int rc;

	if ((rc = alloc_parts(r)) != 0 || (rc = setup(r)) != 0)
		return rc;
	r->last_ns = now_ns();
	s = relay_loop(r);
	if (s == RUN_DONE)
		finish_held(r);
	return finish(r, s);
}

int
cmd_relay(int argc, char **argv)
{
	struct relay_opts o;
	struct relay r;
	int i, status;

	relay_opts_parse(&o, argc, argv);

	memset(&r, 0, sizeof(r));
	r.o = &o;
	endp_init(&r.ep);
	for (i = 0; i < MAX_TEE; i++)
		endp_init(&r.tee[i]);
	tap_clear(&r.tap);
	status = relay_run(&r);
	tap_free(&r.tap);
	recv_free(&r.rx_up);
	recv_free(&r.rx_down);
	stats_free(&r.st);
	fwd_free(&r.f);
	relay_free(&r.t);
	free(r.pfd);
	free(r.pm);
	for (i = 0; i < MAX_TEE; i++)
		endp_close(&r.tee[i]);
	endp_close(&r.ep);
	return status;
}
