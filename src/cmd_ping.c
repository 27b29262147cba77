/* cmd_ping.c: "udpcat ping": round trips to a UDP echo service. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "cmd.h"
#include "parse.h"
#include "probe.h"
#include "rtt.h"
#include "udpcat.h"

#define SEQ_SPACE	(UINT32_MAX + 1ULL)	/* probes a run can number */
#define FLUSH_NS	10000000	/* output waits at most 10 ms */
#define LINE_MAX_LEN	512

struct ping_opts {
	struct common_opts c;		/* -4 -6 -i --json -v */
	uint64_t	 count;		/* probes; 0: until interrupted */
	size_t		 size;
	uint64_t	 wait_ms;	/* for stragglers after the last */
	int		 quiet;
	int		 max_loss_set;
	uint64_t	 max_loss;	/* millionths of a percent */
	const char	*host;
	uint16_t	 port;
};

/* --- options ------------------------------------------------------------ */

/* Takes option id, its value in optarg, after the common ones. */
static void
parse_opt(struct ping_opts *o, int id)
{
	if (opt_common(&o->c, id, optarg))
		return;
	switch (id) {
	case OPT_PROBES:
		o->count = opt_number("-c", optarg, 1, UINT32_MAX);
		break;
	case OPT_SIZE:
		o->size = opt_number("--size", optarg, PROBE_HDR, MAX_DGRAM6);
		break;
	case OPT_LINGER:
		o->wait_ms = opt_duration("-W", optarg);
		break;
	case OPT_QUIET:
		o->quiet = 1;
		break;
	case OPT_MAX_LOSS:
		o->max_loss = opt_percent("--max-loss", optarg);
		o->max_loss_set = 1;
		break;
	}
}

static void
check_opts(struct ping_opts *o, int argc, char **argv)
{
	if (argc < 2)
		die_usage(argc == 0 ? "missing HOST and PORT" : "missing PORT");
	if (argc > 2)
		die_usage("too many operands: '%s'", argv[2]);
	o->host = argv[0];
	o->port = opt_port(argv[1], 0);
}

/* --- the run ------------------------------------------------------------- */

/* Everything a run holds, owned by cmd_ping(). */
struct pinger {
	const struct ping_opts *o;
	struct endp		 ep;
	struct endpoint		 dst;
	char			 addr[PEER_MAX];	/* for JSON */
	unsigned		 port;
	struct receiver		 rx;
	struct printer		 pr;
	struct rtt		 rtt;
	unsigned char		*probe;
	uint32_t		 id;
	uint64_t		 foreign;	/* replies not to our probes */
	uint64_t		 next_ns;	/* the next probe is due */
	uint64_t		 end_ns;	/* then wait no more */
	uint64_t		 dirty_ns;	/* output queued since, or 0 */
	int			 hold;		/* -i 0: replies awaited in recvmsg */
	struct held		 held;		/* ... thus */
};

static uint64_t
ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

/* A random identifier for this run's probes, so that another's are told. */
static uint32_t
run_id(void)
{
	uint32_t id;
	int fd;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) == sizeof(id))
		return id;
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) != -1) {
		ssize_t n = read(fd, &id, sizeof(id));

		close(fd);
		if (n == sizeof(id))
			return id;
	}
	return (uint32_t)getpid() ^ (uint32_t)now_ns();
}

/* Queues a line of output; it is written within FLUSH_NS. */
static void
out_line(struct pinger *p, const char *line, int n)
{
	if (n <= 0)
		return;
	if ((size_t)n >= LINE_MAX_LEN)
		n = LINE_MAX_LEN - 1;
	printer_text(&p->pr, line, (size_t)n);
	if (p->dirty_ns == 0)
		p->dirty_ns = now_ns();
}

/* The line (or JSON object) for one reply. */
static void
print_reply(struct pinger *p, const struct dgram *d, uint32_t seq,
    uint64_t rtt, enum rtt_kind kind, int reordered)
{
	char line[LINE_MAX_LEN];
	int n;

	if (p->o->c.json)
		n = snprintf(line, sizeof(line), "{\"seq\":%lu,\"size\":%zu,"
		    "\"from\":\"%s\",\"port\":%u,\"rtt_ms\":%.3f,\"dup\":%s,"
		    "\"reordered\":%s}\n", (unsigned long)seq, d->size,
		    p->addr, p->port, (double)rtt / 1e6,
		    kind == RTT_DUP ? "true" : "false",
		    reordered ? "true" : "false");
	else
		n = snprintf(line, sizeof(line), "%zu bytes from %s: seq=%lu "
		    "time=%.3f ms%s\n", d->size, p->ep.name,
		    (unsigned long)seq, (double)rtt / 1e6,
		    kind == RTT_DUP ? " (DUP)" : "");
	out_line(p, line, n);
}

/* True while probes remain to be sent. */
static int
more_to_send(const struct pinger *p)
{
	return p->rtt.sent < (p->o->count != 0 ? p->o->count : SEQ_SPACE);
}

/*
 * Each datagram: a reply to one of our probes is counted and printed;
 * anything else is foreign.  With -i 0, a reply to the latest probe
 * makes the next one due.
 */
static enum run_end
on_reply(void *arg, const struct dgram *d)
{
	struct pinger *p = arg;
	enum rtt_kind kind;
	uint64_t rtt;
	int64_t seq;
	int reordered;

	if ((seq = probe_parse(d->data, d->len, p->id)) == PROBE_FOREIGN) {
		p->foreign++;
		return RUN_MORE;
	}
	if (rtt_reply(&p->rtt, (uint32_t)seq, ts_ns(&d->time), &kind, &rtt,
	    &reordered) == -1) {
		msg_fail(EXIT_RUNTIME, "out of memory");
		return RUN_ERROR;
	}
	if (kind == RTT_UNSENT) {
		p->foreign++;
		return RUN_MORE;
	}
	if (!p->o->quiet)
		print_reply(p, d, (uint32_t)seq, rtt, kind, reordered);
	if (p->o->c.interval_ms == 0 && kind == RTT_FIRST &&
	    (uint64_t)seq + 1 == p->rtt.sent)
		p->next_ns = 0;
	return RUN_MORE;
}

/*
 * Sends the next probe, its time taken from the clock of the kernel's
 * arrival stamps (CLOCK_REALTIME) just before the call, and schedules
 * the one after it.
 */
static enum run_end
send_probe(struct pinger *p, uint64_t now)
{
	const struct ping_opts *o = p->o;
	struct timespec ts;
	unsigned waits = 0;

	probe_set_seq(p->probe, (uint32_t)p->rtt.sent);
	for (;;) {
		clock_gettime(CLOCK_REALTIME, &ts);
		if (send(p->ep.fd, p->probe, o->size, 0) != -1)
			break;
		if (errno == EINTR && cmd_signal == 0)
			continue;
		if (errno == ECONNREFUSED) {
			endp_refused(&p->ep);
			return RUN_REFUSED;
		}
		if ((errno == ENOBUFS || errno == EAGAIN) &&
		    shortage_wait(&waits) == 0) {
			if (cmd_signal != 0)
				return RUN_SIGNAL;
			continue;
		}
		msg_fail(EXIT_RUNTIME, "cannot send to %s: %s", p->ep.name,
		    strerror(errno));
		return RUN_ERROR;
	}
	if (rtt_sent(&p->rtt, ts_ns(&ts)) == -1) {
		msg_fail(EXIT_RUNTIME, "out of memory");
		return RUN_ERROR;
	}
	/* -i 0: the reply makes the next due; -W bounds the wait for it. */
	if (o->c.interval_ms == 0)
		p->next_ns = now + o->wait_ms * 1000000;
	else if ((p->next_ns += o->c.interval_ms * 1000000) <= now)
		p->next_ns = now + o->c.interval_ms * 1000000;	/* behind */
	if (!more_to_send(p))
		p->end_ns = now + o->wait_ms * 1000000;
	return RUN_MORE;
}

/*
 * Writes out the queued lines once they waited FLUSH_NS, and returns
 * the wait's deadline brought forward to the next such write.
 */
static enum run_end
flush_due(struct pinger *p, uint64_t now, uint64_t *deadline)
{
	if (p->dirty_ns == 0)
		return RUN_MORE;
	if (now - p->dirty_ns >= FLUSH_NS) {
		p->dirty_ns = 0;
		return printer_flush(&p->pr);
	}
	if (p->dirty_ns + FLUSH_NS < *deadline)
		*deadline = p->dirty_ns + FLUSH_NS;
	return RUN_MORE;
}

/*
 * Reads one datagram from fd, the socket's held duplicate, waiting, as
 * the receiver would hand it on: its header, real size and the kernel's
 * arrival stamp (else now).  Returns how the run goes on, or -1 with
 * errno when none came.
 */
static int
read_reply(struct pinger *p, int fd)
{
	union {
		char		buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr	align;
	} ctrl;
	unsigned char data[PROBE_HDR];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m;
	struct cmsghdr *c;
	struct dgram d;
	ssize_t n;

	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctrl.buf;
	m.msg_controllen = sizeof(ctrl.buf);
	/* MSG_TRUNC: the real size, though only the header is kept. */
	if ((n = recvmsg(fd, &m, MSG_TRUNC)) == -1)
		return -1;
	memset(&d, 0, sizeof(d));
	d.data = data;
	d.size = (size_t)n;
	d.len = d.size < sizeof(data) ? d.size : sizeof(data);
	clock_gettime(CLOCK_REALTIME, &d.time);
	for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SO_TIMESTAMPNS)
			memcpy(&d.time, CMSG_DATA(c), sizeof(d.time));
	return (int)on_reply(p, &d);
}

/*
 * Waits until deadline for replies and takes them.  With -i 0 a reply
 * is awaited in a blocking recvmsg() with no timeout (held_fd()), as a
 * bare ping does: one call where ppoll() and a read were two.  An alarm
 * ends it HELD_NS to 2 * HELD_NS after the replies stop; the wait in
 * recv_wait() goes on from there.
 */
static enum run_end
wait_replies(struct pinger *p, uint64_t now, uint64_t deadline)
{
	int64_t ns = deadline > now ? (int64_t)(deadline - now) : 0;
	int rc, fd;

	/* With room to spare: the alarm must not come after the deadline. */
	if (p->hold && held_fits(ns)) {
		if ((fd = held_fd(&p->held, p->ep.fd)) == -1)
			p->hold = 0;		/* the wait serves instead */
		else if (cmd_signal != 0)
			return RUN_SIGNAL;
		else if ((rc = read_reply(p, fd)) != -1)
			return (enum run_end)rc;
		else if (errno == ENOTSOCK)
			held_lost(&p->held);	/* the alarm: wait on */
		else {
			/* That read took the socket's pending error. */
			if (errno != EINTR)
				endp_error(&p->ep, errno);
			return RUN_MORE;
		}
	}
	/*
	 * Replies come one at a time: asking for two makes the first call
	 * come back short, which ends the drain without a second call that
	 * finds nothing.
	 */
	p->rx.want = 2;
	return recv_wait(&p->rx, ns, -1, NULL);
}

/*
 * Sends the probes on time and receives the replies in between, until
 * every probe was sent and answered or the wait for stragglers is over.
 */
static enum run_end
ping_loop(struct pinger *p)
{
	uint64_t now, deadline;
	enum run_end s;

	p->next_ns = now_ns();
	for (;;) {
		if (cmd_signal != 0)
			return RUN_SIGNAL;
		if (p->ep.refused)
			return RUN_REFUSED;
		now = now_ns();
		/* Then a wait, if only for no time: signals get in there. */
		if (more_to_send(p) && now >= p->next_ns &&
		    (s = send_probe(p, now)) != RUN_MORE)
			return s;
		if (more_to_send(p))
			deadline = p->next_ns;
		else if (p->rtt.received == p->rtt.sent || now >= p->end_ns)
			return RUN_DONE;
		else
			deadline = p->end_ns;
		if ((s = flush_due(p, now, &deadline)) != RUN_MORE ||
		    (s = wait_replies(p, now, deadline)) != RUN_MORE)
			return s;
	}
}

/* Resolves, opens and connects the socket; 0 or an exit status. */
static int
setup(struct pinger *p)
{
	const struct ping_opts *o = p->o;
	struct endp_conf c;
	int rc;

	if ((rc = resolve("host", o->host, o->port, o->c.family, 0,
	    &p->dst)) != 0)
		return rc;
	if (o->size > (p->dst.ss.ss_family == AF_INET ? MAX_DGRAM4 :
	    MAX_DGRAM6))
		return msg_fail_usage("--size %zu is too large for IPv4: at "
		    "most %d bytes", o->size, MAX_DGRAM4);
	memset(&c, 0, sizeof(c));
	c.ttl = c.tos = c.loop = -1;
	/* Connected: it hears only the peer, and hears its ICMP. */
	if ((rc = endp_dial(&p->ep, &c, &p->dst, 1)) != 0)
		return rc;
	if (out_addr((const struct sockaddr *)&p->dst.ss, p->dst.len, p->addr,
	    &p->port) < 0)
		snprintf(p->addr, sizeof(p->addr), "?");
	if (sock_rx_timestamps(p->ep.fd) == -1 && o->c.verbose)
		note("no kernel timestamps: times are taken when udpcat reads");
	p->hold = o->c.interval_ms == 0;
	if ((p->probe = malloc(o->size)) == NULL)
		return msg_fail(EXIT_RUNTIME, "out of memory");
	p->id = run_id();
	probe_build(p->probe, o->size, 0, p->id);
	if (o->c.verbose)
		note("pinging %s with %zu-byte probes, identifier %08lx",
		    p->ep.name, o->size, (unsigned long)p->id);
	return 0;
}

/* The summary: two lines, or one JSON object. */
static void
print_summary(struct pinger *p)
{
	struct rtt_summary s;
	char line[LINE_MAX_LEN], rtt[256];
	int n;

	rtt_summarize(&p->rtt, &s);
	if (p->o->c.json) {
		if (s.have_rtt)
			snprintf(rtt, sizeof(rtt), "{\"min\":%.3f,\"avg\":%.3f,"
			    "\"max\":%.3f,\"mdev\":%.3f,\"p50\":%.3f,"
			    "\"p99\":%.3f}", s.min_ms, s.avg_ms, s.max_ms,
			    s.mdev_ms, s.p50_ms, s.p99_ms);
		else
			snprintf(rtt, sizeof(rtt), "null");
		n = snprintf(line, sizeof(line), "{\"sent\":%llu,\"received\":"
		    "%llu,\"duplicates\":%llu,\"reordered\":%llu,\"foreign\":"
		    "%llu,\"loss_percent\":%g,\"rtt_ms\":%s}\n",
		    (unsigned long long)s.sent, (unsigned long long)s.received,
		    (unsigned long long)s.duplicates,
		    (unsigned long long)s.reordered,
		    (unsigned long long)p->foreign, s.loss_percent, rtt);
		out_line(p, line, n);
		return;
	}
	n = snprintf(line, sizeof(line), "%llu sent, %llu received, %llu "
	    "duplicates, %llu reordered, %g%% loss\n",
	    (unsigned long long)s.sent, (unsigned long long)s.received,
	    (unsigned long long)s.duplicates, (unsigned long long)s.reordered,
	    s.loss_percent);
	out_line(p, line, n);
	if (!s.have_rtt)
		return;
	n = snprintf(line, sizeof(line), "rtt min/avg/max/mdev/p50/p99 = "
	    "%.3f/%.3f/%.3f/%.3f/%.3f/%.3f ms\n", s.min_ms, s.avg_ms,
	    s.max_ms, s.mdev_ms, s.p50_ms, s.p99_ms);
	out_line(p, line, n);
}

/* The exit status of a run that ended so (r), after the summary. */
static int
finish(struct pinger *p, enum run_end r)
{
	const struct ping_opts *o = p->o;
	enum run_end f;

	/*
	 * What waits in the socket came before the signal, or before the
	 * end: a duplicate of the last reply is counted when it is there.
	 */
	if (r == RUN_SIGNAL || r == RUN_DONE)
		(void)recv_drain(&p->rx, r == RUN_SIGNAL);
	if (r != RUN_ERROR && r != RUN_EPIPE && signal_check() != 0)
		r = RUN_SIGNAL;
	if (r != RUN_EPIPE)
		print_summary(p);
	if ((f = printer_flush(&p->pr)) == RUN_EPIPE || r == RUN_EPIPE)
		return EXIT_SIGNAL + SIGPIPE;
	if (o->c.verbose)
		note("%llu foreign datagrams ignored",
		    (unsigned long long)p->foreign);
	printer_report(&p->pr);
	if (r == RUN_SIGNAL)
		return EXIT_SIGNAL + cmd_signal;
	if (r == RUN_ERROR || r == RUN_REFUSED || f == RUN_ERROR)
		return EXIT_RUNTIME;
	if (p->rtt.received == 0)
		return EXIT_TIMEOUT;
	if (p->rtt.received < p->rtt.sent && (!o->max_loss_set ||
	    rtt_loss_over(&p->rtt, o->max_loss)))
		return EXIT_RUNTIME;
	return EXIT_OK;
}

/* Sets up the parts, runs them and returns the exit status. */
static int
ping_run(struct pinger *p)
{
	int rc;

	if ((rc = printer_init(&p->pr, ENC_RAW, 1, OUT_NONE, 0, 0)) != 0)
		return rc;
	if ((rc = setup(p)) != 0)
		return rc;
	/* The header is all ping reads of a reply; MSG_TRUNC tells the size. */
	if (recv_init(&p->rx, &p->ep, PROBE_HDR, 0, on_reply, p) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot allocate receive "
		    "buffers: %s", strerror(errno));
	/* After resolving, which SIGINT must still be able to cut short. */
	signals_install();
	return finish(p, ping_loop(p));
}

int
cmd_ping(int argc, char **argv)
{
	struct ping_opts o;
	struct pinger p;
	struct opt_parser op;
	int id, status;

	memset(&o, 0, sizeof(o));
	opt_common_init(&o.c);
	o.c.interval_ms = 1000;
	o.size = 64;
	o.wait_ms = 1000;
	opt_begin(&op, &opt_ping, argc, argv);
	while ((id = opt_next(&op)) != -1)
		parse_opt(&o, id);
	check_opts(&o, argc - optind, argv + optind);

	memset(&p, 0, sizeof(p));
	p.o = &o;
	endp_init(&p.ep);
	rtt_init(&p.rtt);
	p.pr.fd = -1;
	held_init(&p.held);
	status = ping_run(&p);
	held_free(&p.held);
	recv_free(&p.rx);
	printer_free(&p.pr);
	rtt_free(&p.rtt);
	free(p.probe);
	endp_close(&p.ep);
	return status;
}
