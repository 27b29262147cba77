/* cmd_relay.c: "udpcat relay": a UDP proxy that keeps each client's path. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cmd.h"
#include "impair.h"
#include "opt.h"
#include "parse.h"
#include "portfile.h"
#include "relay.h"
#include "relay_opts.h"
#include "udpcat.h"

#define TEE		2	/* copies to the --tee addresses */
#define TXQ_BYTES	(1 << 20)
#define TICK_NS		100000000	/* --progress redraws */
#define UP_RCVBUF	(4 << 20)	/* each upstream socket's, at most */

/* The datagrams waiting to go out, sent together by one flush. */
struct txq {
	int			 fd[SOCK_BATCH];
	const struct endpoint	*dst[SOCK_BATCH];
	struct mapping		*m[SOCK_BATCH];
	int			 dir[SOCK_BATCH];
	struct iovec		 iov[SOCK_BATCH];
	unsigned		 n;
	unsigned char		*buf;
	size_t			 used;
	int			 gso;
};

/* What happened in one direction, for --stats. */
struct dir_stats {
	uint64_t	received;
	uint64_t	bytes;
	uint64_t	forwarded;
	uint64_t	not_sent;	/* send errors, no mapping, gone */
};

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
	struct printer		 pr;
	struct stats		 st;
	struct impair		 imp[2];
	int			 impaired[2];
	struct endp		 tee[MAX_TEE];
	struct endpoint		 tee_dst[MAX_TEE];
	struct txq		 q;
	struct dir_stats	 ds[3];
	struct pollfd		*pfd;
	struct mapping		**pm;		/* the mapping of each pfd */
	uint64_t		 last_ns;	/* the last arrival */
	uint64_t		 self;		/* from the relay's own name */
	uint64_t		 refused;
	uint64_t		 tee_replies;
	uint64_t		 send_warned;
	uint64_t		 mtu_warned;
	uint64_t		 open_failed;
};

/* Warns, once, that the tee on fd refused a copy. */
static void
tee_refused(struct relay *r, int fd)
{
	int i;

	for (i = 0; i < r->o->ntee; i++)
		if (r->tee[i].fd == fd)
			endp_refused(&r->tee[i]);
}

/*
 * --df: a datagram over the path MTU was refused; said once, with the
 * size and the MTU, and counted as not sent.
 */
static void
too_big(struct relay *r, int fd, const struct endpoint *dst, size_t len)
{
	int mtu = dst != NULL ? sock_path_mtu(dst) : sock_mtu(fd);

	if (r->mtu_warned++ == 0)
		warning("a datagram of %zu bytes exceeds the path MTU of %d "
		    "(--df): not forwarded (counted in --stats)", len, mtu);
}

/*
 * Sends the queue, runs of one socket and destination at a time (GSO
 * joins equal sizes).  A refusal is the client's warning and a count;
 * any other failure loses that datagram alone, counted, warned once.
 */
static void
txq_flush(struct relay *r)
{
	struct txq *q = &r->q;
	unsigned i = 0, j, sent;
	int err;

	while (i < q->n) {
		for (j = i + 1; j < q->n && q->fd[j] == q->fd[i] &&
		    q->dst[j] == q->dst[i]; j++)
			;
		sent = sock_tx(q->fd[i], q->dst[i], q->iov + i, j - i, &q->gso,
		    &err);
		r->ds[q->dir[i]].forwarded += sent;
		i += sent;
		if (err == 0)
			continue;
		r->ds[q->dir[i]].not_sent++;
		if (err == ECONNREFUSED && q->m[i] != NULL) {
			r->refused++;
			endp_refused(&q->m[i]->up);
		} else if (err == ECONNREFUSED && q->dir[i] == TEE) {
			r->refused++;
			tee_refused(r, q->fd[i]);
		} else if (err == EMSGSIZE && r->o->c.df)
			too_big(r, q->fd[i], q->dst[i], q->iov[i].iov_len);
		else if (r->send_warned++ == 0)
			warning("cannot forward a datagram: %s (counted in "
			    "--stats)", strerror(err));
		i++;
	}
	q->n = 0;
	q->used = 0;
}

/* Queues a copy of a datagram for fd (to dst, or its peer when NULL). */
static void
txq_put(struct relay *r, int dir, struct mapping *m, int fd,
    const struct endpoint *dst, const void *data, size_t len)
{
	struct txq *q = &r->q;

	if (q->n == SOCK_BATCH || q->used + len > TXQ_BYTES)
		txq_flush(r);
	q->fd[q->n] = fd;
	q->dst[q->n] = dst;
	q->m[q->n] = m;
	q->dir[q->n] = dir;
	if (len > 0)
		memcpy(q->buf + q->used, data, len);
	q->iov[q->n].iov_base = q->buf + q->used;
	q->iov[q->n].iov_len = len;
	q->used += len;
	q->n++;
}

/* Queues a datagram of m in direction dir. */
static void
send_on(struct relay *r, int dir, struct mapping *m, const void *data,
    size_t len)
{
	if (dir == UP)
		txq_put(r, UP, m, m->up.fd, NULL, data, len);
	else
		txq_put(r, DOWN, m, r->ep.fd, &m->client, data, len);
}

/* The one word --json gives an impaired datagram's fate, or NULL. */
static const char *
fate_name(int f)
{
	if (f & IMP_DROPPED)
		return "dropped";
	if (f & IMP_CORRUPTED)
		return "corrupted";
	if (f & IMP_DUPLICATED)
		return "duplicated";
	if (f & IMP_REORDERED)
		return "reordered";
	if (f & IMP_DELAYED)
		return "delayed";
	return NULL;
}

/* Writes a datagram out for --tap or --json, as it arrived. */
static void
show(struct relay *r, const struct dgram *d, int dir,
    const struct sockaddr *client, socklen_t clientlen, const char *fate)
{
	struct dgram t = *d;

	if (!r->o->tap && !r->o->c.json)
		return;
	t.dir = dir == UP ? "up" : "down";
	t.fate = fate;
	t.client = client;
	t.clientlen = clientlen;
	printer_put(&r->pr, &t);
}

/* Impairs or queues a datagram that arrived in direction dir for m. */
static void
forward(struct relay *r, int dir, struct mapping *m, const struct dgram *d,
    uint64_t now)
{
	const char *fate = NULL;
	int f;

	if (!r->impaired[dir])
		send_on(r, dir, m, d->data, d->len);
	else if ((f = impair_in(&r->imp[dir], now, d->data, d->len,
	    relay_tag(&r->t, m))) == -1) {
		r->ds[dir].not_sent++;
		fate = "dropped";
	} else
		fate = fate_name(f);
	show(r, d, dir, (const struct sockaddr *)&m->client.ss, m->client.len,
	    fate);
}

/* Sends the --tee copies of a client datagram. */
static void
tee_copy(struct relay *r, const struct dgram *d)
{
	int i;

	for (i = 0; i < r->o->ntee; i++)
		txq_put(r, TEE, NULL, r->tee[i].fd, NULL, d->data, d->len);
}

/* The mapping of a new client; NULL after a count (and a warning). */
static struct mapping *
open_mapping(struct relay *r, const struct dgram *d, uint64_t now)
{
	struct mapping *m;

	/* Closing one: nothing queued may point at it. */
	if (r->t.free == NULL)
		txq_flush(r);
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
	r->ds[UP].received++;
	r->ds[UP].bytes += d->size;
	r->st.dgrams++;
	r->st.bytes += d->size;
	tee_copy(r, d);
	if ((m = relay_find(&r->t, d->from, d->fromlen)) == NULL &&
	    (m = open_mapping(r, d, now)) == NULL) {
		r->ds[UP].not_sent++;
		show(r, d, UP, d->from, d->fromlen, "dropped");
	} else {
		relay_touch(&r->t, m, now);
		forward(r, UP, m, d, now);
	}
	if (r->o->c.count != 0 && r->ds[UP].received >= r->o->c.count)
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
	r->ds[DOWN].received++;
	r->ds[DOWN].bytes += d->size;
	r->st.dgrams++;
	r->st.bytes += d->size;
	relay_touch(&r->t, r->cur, now);
	forward(r, DOWN, r->cur, d, now);
	return RUN_MORE;
}

/* Queues the impaired datagrams due at now. */
static void
release(struct relay *r, uint64_t now)
{
	struct imp_item *it;
	struct mapping *m;
	int dir;

	for (dir = UP; dir <= DOWN; dir++) {
		if (!r->impaired[dir])
			continue;
		while ((it = impair_pop(&r->imp[dir], now)) != NULL) {
			if ((m = relay_by_tag(&r->t, it->tag)) != NULL)
				send_on(r, dir, m, it->data, it->len);
			else
				r->ds[dir].not_sent++;	/* its mapping closed */
			free(it);
		}
	}
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
	int dir;

	for (dir = UP; dir <= DOWN; dir++)
		if (r->impaired[dir] && (x = impair_next(&r->imp[dir])) < t)
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
	if ((r->o->tap || r->o->c.json) && r->pr.watch_pipe) {
		r->pm[n] = NULL;
		r->pfd[n].fd = r->pr.fd;
		r->pfd[n++].events = 0;
	}
	return n;
}

/* Reads and drops what a tee sent back. */
static void
tee_drain(struct relay *r, struct endp *e, short revents)
{
	char buf[1];

	if (revents & POLLERR)
		endp_read_errors(e);
	while (recv(e->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC) >= 0)
		r->tee_replies++;
}

/* Reads a mapping's socket: its errors, then what the service sent. */
static enum run_end
up_ready(struct relay *r, struct mapping *m, short revents)
{
	int was, n, other;
	enum run_end s;

	if ((revents & POLLERR) &&
	    (n = sock_drain_errors(m->up.fd, &other)) > 0) {
		r->refused += (uint64_t)n;
		endp_refused(&m->up);
	}
	if (!(revents & POLLIN))
		return RUN_MORE;
	r->cur = m;
	r->rx_down.ep = &m->up;
	/* The receiver warns of a refusal it meets itself; count it. */
	was = m->up.refused;
	s = recv_drain(&r->rx_down, 0);
	r->refused += !was && m->up.refused;
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
			tee_drain(r, &r->tee[t], r->pfd[i].revents);
		t += r->pm[i] == NULL;
	}
	if (i + 1 < n && (s = printer_check_pipe(&r->pr,
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
		release(r, now);
		txq_flush(r);
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
		txq_flush(r);
		if (s == RUN_MORE && (r->o->tap || r->o->c.json))
			s = printer_flush(&r->pr);
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
	uint64_t now, t, x;

	for (;;) {
		now = now_ns();
		release(r, now);
		txq_flush(r);
		t = UINT64_MAX;
		if (r->impaired[UP] && (x = impair_next(&r->imp[UP])) < t)
			t = x;
		if (r->impaired[DOWN] && (x = impair_next(&r->imp[DOWN])) < t)
			t = x;
		if (t == UINT64_MAX || cmd_signal != 0)
			return;
		(void)wait_fds(NULL, 0, until(now, t));
	}
}

/* Resolves the service and the tees, opens the tees; 0 or a status. */
static int
setup_peers(struct relay *r)
{
	const struct relay_opts *o = r->o;
	struct endp_conf c;
	char host[300], *colon;
	uint16_t port;
	int i, rc;

	if (endp_is_unix(o->host))
		rc = endp_unix_addr(o->host, &r->dst);
	else
		rc = resolve("host", o->host, o->port, o->c.family, 0, &r->dst);
	if (rc != 0)
		return rc;
	if (out_peer((struct sockaddr *)&r->dst.ss, r->dst.len,
	    r->dst_name) < 0)
		memcpy(r->dst_name, "?", 2);
	memset(&c, 0, sizeof(c));
	c.family = o->c.family;
	c.ttl = c.tos = c.loop = -1;
	for (i = 0; i < o->ntee; i++) {
		if ((size_t)snprintf(host, sizeof(host), "%s", o->tee[i]) >=
		    sizeof(host) || (colon = strrchr(host, ':')) == NULL)
			return msg_fail_usage("invalid --tee '%s': use "
			    "HOST:PORT, IPv6 as [ADDRESS]:PORT", o->tee[i]);
		*colon = '\0';
		port = opt_port(colon + 1, 0);
		if ((rc = resolve("--tee host", host, port, o->c.family, 0,
		    &r->tee_dst[i])) != 0 ||
		    (rc = endp_dial(&r->tee[i], &c, &r->tee_dst[i], 1)) != 0)
			return rc;
	}
	return 0;
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
	r->st.drops_floor = gro;
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
	static const char *const name[] = { "up", "down" };
	uint64_t kd[2] = { up_drops(r), relay_drops(&r->t) };
	/* With GRO the kernel counts a buffer of several as one drop. */
	const int gro[2] = { r->rx_up.rx.gro, r->rx_down.rx.gro };
	uint64_t closed = r->t.closed_idle + r->t.closed_full;
	int d;

	for (d = UP; d <= DOWN; d++) {
		const struct impair_stats *i = &r->imp[d].st;
		const struct dir_stats *s = &r->ds[d];

		note("%s: %llu received, %llu forwarded, %llu dropped, "
		    "%llu duplicated, %llu reordered, %llu corrupted, "
		    "%llu delayed, %llu queue drops, %llu%s kernel drops, "
		    "%llu not sent", name[d],
		    (unsigned long long)s->received,
		    (unsigned long long)s->forwarded,
		    (unsigned long long)i->dropped,
		    (unsigned long long)i->duplicated,
		    (unsigned long long)i->reordered,
		    (unsigned long long)i->corrupted,
		    (unsigned long long)i->delayed,
		    (unsigned long long)i->queue_drops,
		    (unsigned long long)kd[d], gro[d] && kd[d] > 0 ? "+" : "",
		    (unsigned long long)s->not_sent);
	}
	note("%llu clients, %llu mappings closed (%llu idle, %llu to make "
	    "room), %llu refused, %llu from the relay itself, %llu tee "
	    "copies, %llu tee replies dropped",
	    (unsigned long long)r->t.opened,
	    (unsigned long long)closed,
	    (unsigned long long)r->t.closed_idle,
	    (unsigned long long)r->t.closed_full,
	    (unsigned long long)r->refused,
	    (unsigned long long)r->self,
	    (unsigned long long)r->ds[TEE].forwarded,
	    (unsigned long long)r->tee_replies);
}

/* The exit status of a relay that ran (s: how it ended). */
static int
finish(struct relay *r, enum run_end s)
{
	const struct relay_opts *o = r->o;
	int printing = o->tap || o->c.json;

	if ((printing && printer_flush(&r->pr) == RUN_EPIPE) ||
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
		printer_report(&r->pr);
	if (s == RUN_SIGNAL)
		return EXIT_SIGNAL + cmd_signal;
	if (s == RUN_ERROR || (printing && r->pr.err != 0))
		return EXIT_RUNTIME;
	if (s == RUN_IDLE && (r->ds[UP].received == 0 || (o->c.count != 0 &&
	    r->ds[UP].received < o->c.count)))
		return EXIT_TIMEOUT;
	return EXIT_OK;
}

/* A seed from the system, for a run without --seed. */
static uint64_t
draw_seed(void)
{
	struct timespec ts;
	uint64_t s = 0;
	FILE *f;

	if ((f = fopen("/dev/urandom", "re")) != NULL) {
		if (fread(&s, sizeof(s), 1, f) != 1)
			s = 0;
		fclose(f);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return s ^ ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
	    (uint64_t)getpid() << 40;
}

/* Allocates the parts; 0 or an exit status. */
static int
alloc_parts(struct relay *r)
{
	const struct relay_opts *o = r->o;
	size_t npfd = o->max_clients + MAX_TEE + 2;
	int d, rc;


	if ((o->tap || o->c.json) && (rc = printer_init(&r->pr, o->c.enc,
	    o->c.enc_set, o->framing, o->c.json, o->tap)) != 0)
		return rc;
	for (d = UP; d <= DOWN; d++) {
		r->impaired[d] = impair_active(&o->imp[d]);
		impair_init(&r->imp[d], &o->imp[d], d == UP ? o->seed :
		    ~o->seed);
	}
	r->pfd = calloc(npfd, sizeof(*r->pfd));
	r->pm = calloc(npfd, sizeof(struct mapping *));
	r->q.buf = malloc(TXQ_BYTES);
	r->q.gso = 1;
	if (r->pfd == NULL || r->pm == NULL || r->q.buf == NULL ||
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
	r->rx_up.counted = &r->ds[UP].received;
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
	if (!o.seed_set)
		o.seed = draw_seed();

	memset(&r, 0, sizeof(r));
	r.o = &o;
	endp_init(&r.ep);
	for (i = 0; i < MAX_TEE; i++)
		endp_init(&r.tee[i]);
	r.pr.fd = -1;
	status = relay_run(&r);
	if (o.tap || o.c.json)
		printer_free(&r.pr);
	recv_free(&r.rx_up);
	recv_free(&r.rx_down);
	stats_free(&r.st);
	impair_free(&r.imp[UP]);
	impair_free(&r.imp[DOWN]);
	relay_free(&r.t);
	free(r.pfd);
	free(r.pm);
	free(r.q.buf);
	for (i = 0; i < MAX_TEE; i++)
		endp_close(&r.tee[i]);
	endp_close(&r.ep);
	return status;
}
