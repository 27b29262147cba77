/* cmd_send.c: "udpcat send" and "udpcat broadcast": records to datagrams. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "cmd.h"
#include "parse.h"
#include "udpcat.h"

#define MAX_DST		64		/* --all-interfaces destinations */
#define ENC_RECORD_MAX	(1 << 20)	/* longest encoded input record */
#define HOLD_MAX	(64u << 20)	/* standard input kept for --repeat */
#define SLOT_SIZE	65536		/* one decoded datagram */

struct send_opts {
	int		 broadcast;	/* the broadcast command */
	int		 family;
	enum encoding	 enc;
	int		 enc_set;
	struct in_frame	 inf;
	int		 framing_set;
	const char	*source;
	uint16_t	 source_port;
	const char	*ifname;
	unsigned	 ifindex;
	int		 ttl;		/* -1: leave alone */
	int		 tos;
	int		 loop;
	int		 allow_broadcast;
	uint64_t	 repeat;	/* 0: until interrupted */
	uint64_t	 interval_ms;
	uint64_t	 rate;		/* 0: unpaced */
	uint64_t	 wait_ms;
	int		 waiting;	/* -w or -n given */
	int		 wait_set;
	uint64_t	 count;		/* replies; 0: no limit */
	uint64_t	 retries;
	int		 json;
	int		 show_peer;
	int		 stats;
	int		 progress;
	int		 verbose;
	const char	*to;
	int		 all_interfaces;
	const char	*host;
	uint16_t	 port;
	char		**data;
	int		 ndata;
};

/* Sets --loop or --no-loop; they exclude each other. */
static void
set_loop(struct send_opts *o, int on)
{
	if (o->loop != -1 && o->loop != on)
		die_usage("--loop and --no-loop exclude each other");
	o->loop = on;
}

/* Takes option id, its value in optarg, if it is about the socket. */
static void
parse_socket_opt(struct send_opts *o, int id)
{
	switch (id) {
	case OPT_IPV4:
	case OPT_IPV6:
		o->family = opt_family(o->family, id);
		break;
	case OPT_SOURCE:
		o->source = optarg;
		break;
	case OPT_SOURCE_PORT:
		o->source_port = opt_port(optarg, 1);
		break;
	case OPT_INTERFACE:
		o->ifname = optarg;
		break;
	case OPT_TTL:
		o->ttl = (int)opt_number("--ttl", optarg, 0, 255);
		break;
	case OPT_TOS:
		o->tos = (int)opt_number("--tos", optarg, 0, 255);
		break;
	case OPT_LOOP:
	case OPT_NO_LOOP:
		set_loop(o, id == OPT_LOOP);
		break;
	case OPT_BROADCAST:
		o->allow_broadcast = 1;
		break;
	case OPT_TO:
		o->to = optarg;
		break;
	case OPT_ALL_INTERFACES:
		o->all_interfaces = 1;
		break;
	}
}

/* Takes option id, its value in optarg. */
static void
parse_opt(struct send_opts *o, int id)
{
	const char *why;

	switch (id) {
	case OPT_ENCODING:
		o->enc = opt_encoding(optarg);
		o->enc_set = 1;
		break;
	case OPT_FRAMING:
		if (frame_parse_in(optarg, MAX_DGRAM6, &o->inf, &why) == -1)
			die_usage("invalid framing '%s': %s", optarg, why);
		o->framing_set = 1;
		break;
	case OPT_REPEAT:
		o->repeat = opt_number("--repeat", optarg, 0, UINT32_MAX);
		break;
	case OPT_INTERVAL:
		o->interval_ms = opt_duration("--interval", optarg);
		break;
	case OPT_RATE:
		o->rate = opt_number("--rate", optarg, 1, UINT32_MAX);
		break;
	case OPT_WAIT:
		o->wait_ms = opt_duration("--wait", optarg);
		o->waiting = o->wait_set = 1;
		break;
	case OPT_COUNT:
		o->count = opt_number("--count", optarg, 1, UINT32_MAX);
		o->waiting = 1;
		break;
	case OPT_RETRIES:
		o->retries = opt_number("--retries", optarg, 0, UINT32_MAX);
		break;
	case OPT_JSON:
		o->json = 1;
		break;
	case OPT_SHOW_PEER:
		o->show_peer = 1;
		break;
	case OPT_STATS:
		o->stats = 1;
		break;
	case OPT_PROGRESS:
		o->progress = 1;
		break;
	case OPT_VERBOSE:
		o->verbose = 1;
		break;
	default:
		parse_socket_opt(o, id);
	}
}

/* Checks the operands and the options that exclude each other. */
static void
check_opts(struct send_opts *o, int argc, char **argv)
{
	int need = o->broadcast ? 1 : 2;

	if (argc < need)
		die_usage("missing %s", argc == 0 && !o->broadcast ? "HOST" :
		    "PORT");
	if (!o->broadcast)
		o->host = argv[0];
	o->port = opt_port(argv[need - 1], 0);
	o->data = argv + need;
	o->ndata = argc - need;
	if ((o->inf.mode == IN_CHUNK || o->inf.mode == IN_LENGTH) &&
	    o->enc_set && o->enc != ENC_RAW)
		die_usage("-F %s reads raw bytes: it does not take -e %s",
		    o->inf.mode == IN_CHUNK ? "chunk" : "length",
		    enc_name(o->enc));
	if ((o->json || o->show_peer) && !o->waiting)
		die_usage("--json and -P print replies: they need -w or -n");
	if (o->retries > 0 && !o->wait_set)
		die_usage("--retries needs -w to know when to send again");
	if ((o->to != NULL) + o->all_interfaces > 1)
		die_usage("--to and --all-interfaces exclude each other");
	if (o->all_interfaces && o->ifname != NULL)
		die_usage("-I and --all-interfaces exclude each other");
	if (o->broadcast && o->family == AF_INET6 && o->ifname == NULL)
		die_usage("-6 broadcast sends to ff02::1 and needs -I");
	if (o->ifname != NULL && (o->ifindex = if_nametoindex(o->ifname)) == 0)
		die_usage("unknown interface '%s'", o->ifname);
}

/* The pacing of --interval and --rate. */
struct pacer {
	uint64_t	t0;		/* when the first datagram went */
	uint64_t	sent;
	uint64_t	next;		/* no datagram before this time */
};

/* A socket and where its datagrams go. */
struct conv {
	const struct send_opts	*o;
	int			 fd;
	int			 family;
	size_t			 max;		/* largest datagram */
	struct endpoint		 dst[MAX_DST];
	int			 ndst;
	int			 connected;
	char			 peer[PEER_MAX];	/* for messages */
	struct printer		 pr;
	struct rxbatch		 rx;
	struct stats		 st;
	uint64_t		 round_replies;
	int			 refused;	/* ICMP port unreachable seen */
	int			 other_error;	/* another ICMP error */
	struct pacer		 pacer;
	int			 gso;		/* try UDP GSO sends */
};

/* The broadcast command's destinations. */
static void
broadcast_dst(struct conv *cv, const struct send_opts *o)
{
	struct in_addr a[MAX_DST];
	const char *to = o->to != NULL ? o->to : "255.255.255.255";
	int i, n;

	if (o->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&cv->dst[0].ss;

		/* --to names the group; all nodes (ff02::1) when it does not. */
		resolve("address", o->to != NULL ? o->to : "ff02::1", o->port,
		    AF_INET6, 0, &cv->dst[0]);
		if (s6->sin6_scope_id == 0)
			s6->sin6_scope_id = o->ifindex;
		cv->ndst = 1;
		return;
	}
	if (o->all_interfaces) {
		if ((n = sock_all_broadcast(a, MAX_DST)) == -1)
			die(EXIT_RUNTIME, "cannot list interfaces: %s",
			    strerror(errno));
		if (n == 0)
			die(EXIT_RUNTIME, "no interface is up and "
			    "broadcast-capable");
	} else if (o->ifname != NULL && o->to == NULL) {
		if (sock_if_broadcast(o->ifname, &a[0]) == -1)
			die(EXIT_RUNTIME, "interface '%s' has no IPv4 broadcast "
			    "address: %s", o->ifname, strerror(errno));
		n = 1;
	} else {
		resolve("address", to, o->port, AF_INET, 0, &cv->dst[0]);
		cv->ndst = 1;
		return;
	}
	for (i = 0; i < n; i++) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&cv->dst[i].ss;

		memset(s4, 0, sizeof(*s4));
		s4->sin_family = AF_INET;
		s4->sin_port = htons(o->port);
		s4->sin_addr = a[i];
		cv->dst[i].len = sizeof(*s4);
	}
	cv->ndst = n;
}

/* Binds the local end: -s and -p. */
static void
bind_source(const struct conv *cv, const struct send_opts *o)
{
	struct endpoint ep;

	if (o->source == NULL && o->source_port == 0)
		return;
	resolve("source address", o->source != NULL ? o->source :
	    cv->family == AF_INET ? "0.0.0.0" : "::", o->source_port,
	    cv->family, 1, &ep);
	if (bind(cv->fd, (struct sockaddr *)&ep.ss, ep.len) == -1)
		die(EXIT_RUNTIME, "cannot bind to source port %u: %s",
		    (unsigned)o->source_port, errno == EADDRINUSE ?
		    "address already in use" : strerror(errno));
}

/* Exits with the hint that a broadcast address needs permission. */
static void	broadcast_refused(const struct conv *) __attribute__((noreturn));

static void
broadcast_refused(const struct conv *cv)
{
	die(EXIT_RUNTIME, "cannot send to '%s': it is a broadcast address "
	    "(use --broadcast or 'udpcat broadcast')", cv->peer);
}

/* Sets the options of the sending socket. */
static void
socket_opts(struct conv *cv, const struct send_opts *o, int mcast)
{
	int on = 1;

	if (o->broadcast || o->allow_broadcast)
		if (setsockopt(cv->fd, SOL_SOCKET, SO_BROADCAST, &on,
		    sizeof(on)) == -1)
			die(EXIT_RUNTIME, "cannot set SO_BROADCAST: %s",
			    strerror(errno));
	if (o->ifname != NULL && !mcast && setsockopt(cv->fd, SOL_SOCKET,
	    SO_BINDTODEVICE, o->ifname, (socklen_t)strlen(o->ifname)) == -1)
		die(EXIT_RUNTIME, "cannot bind to interface '%s': %s",
		    o->ifname, strerror(errno));
	if (mcast && sock_mcast_opts(cv->fd, cv->family, o->ttl, o->loop,
	    o->ifindex) == -1)
		die(EXIT_RUNTIME, "cannot set multicast options: %s",
		    strerror(errno));
	if (sock_ip_opts(cv->fd, cv->family, mcast ? -1 : o->ttl,
	    o->tos) == -1)
		die(EXIT_RUNTIME, "cannot set --ttl or --tos: %s",
		    strerror(errno));
	if (sock_recverr(cv->fd, cv->family) == -1)
		die(EXIT_RUNTIME, "cannot set IP_RECVERR: %s", strerror(errno));
}

/* -v: says where datagrams go from and to. */
static void
verbose_setup(const struct conv *cv)
{
	struct endpoint local;
	char from[PEER_MAX];

	/* An unconnected, unbound socket gets its port at the first send. */
	if (sock_local(cv->fd, &local) == -1 ||
	    ((struct sockaddr_in *)&local.ss)->sin_port == 0 ||
	    out_peer((struct sockaddr *)&local.ss, local.len, from) < 0)
		snprintf(from, sizeof(from), "a port chosen at the first send");
	note("sending from %s to %s%s", from, cv->peer, cv->ndst > 1 ?
	    " and other interfaces" : "");
}

/* Resolves the destinations and opens the socket. */
static void
setup(struct conv *cv, const struct send_opts *o)
{
	int mcast;

	if (o->broadcast)
		broadcast_dst(cv, o);
	else {
		resolve("host", o->host, o->port, o->family, 0, &cv->dst[0]);
		cv->ndst = 1;
	}
	if (o->port == 0)
		die_usage("invalid port '0': a destination needs a port");
	cv->family = cv->dst[0].ss.ss_family;
	cv->max = cv->family == AF_INET ? MAX_DGRAM4 : MAX_DGRAM6;
	if (out_peer((struct sockaddr *)&cv->dst[0].ss, cv->dst[0].len,
	    cv->peer) < 0)
		snprintf(cv->peer, sizeof(cv->peer), "?");
	if ((cv->fd = sock_open(cv->family)) == -1)
		die(EXIT_RUNTIME, "cannot open a socket: %s", strerror(errno));
	mcast = sock_is_multicast(&cv->dst[0]);
	socket_opts(cv, o, mcast);
	bind_source(cv, o);
	/* A connected socket hears only its peer, and hears its ICMP. */
	if (!o->broadcast && !o->allow_broadcast && !mcast) {
		if (connect(cv->fd, (struct sockaddr *)&cv->dst[0].ss,
		    cv->dst[0].len) == -1) {
			if (errno == EACCES)
				broadcast_refused(cv);
			die(EXIT_RUNTIME, "cannot send to %s: %s", cv->peer,
			    strerror(errno));
		}
		cv->connected = 1;
	}
	if (o->verbose)
		verbose_setup(cv);
}

/* Exits 128+N after signal N, the replies so far written out. */
static void	interrupted(struct conv *) __attribute__((noreturn));

static void
interrupted(struct conv *cv)
{
	exit_on_signal(cv->o->waiting ? &cv->pr : NULL, &cv->st, 1);
}

/* Where records come from: DATA operands, standard input, or a replay. */
struct source {
	char			**argv;
	int			 argc;
	int			 next;
	int			 use_stdin;
	struct frame_reader	 fr;
	int			 holding;	/* keep stdin for a replay */
	int			 replay;
	unsigned char		*held;		/* [4-byte length][bytes]... */
	size_t			 held_len;
	size_t			 held_cap;
	size_t			 held_pos;
	unsigned long long	 recno;		/* of this pass, from 1 */
};

/* Keeps a record of standard input for --repeat and --retries. */
static void
hold(struct source *s, const unsigned char *rec, size_t len)
{
	size_t need = s->held_len + 4 + len;
	uint32_t n = (uint32_t)len;

	if (need > HOLD_MAX)
		die(EXIT_USAGE, "--repeat and --retries keep standard input in "
		    "memory, and it is larger than %u MiB", HOLD_MAX >> 20);
	if (need > s->held_cap) {
		size_t cap = s->held_cap ? s->held_cap : 1 << 16;
		unsigned char *p;

		while (cap < need)
			cap *= 2;
		if ((p = realloc(s->held, cap)) == NULL)
			die(EXIT_RUNTIME, "out of memory");
		s->held = p;
		s->held_cap = cap;
	}
	memcpy(s->held + s->held_len, &n, 4);
	memcpy(s->held + s->held_len + 4, rec, len);
	s->held_len = need;
}

/* Exits for an input record the reader refused. */
static void
input_failed(const struct source *s, int r, size_t max)
{
	if (r == FRAME_ETOOBIG)
		die(EXIT_USAGE, "record %llu is too large: more than %zu bytes",
		    s->recno + 1, max);
	if (r == FRAME_ESHORT)
		die(EXIT_USAGE, "record %llu is cut short by the end of the "
		    "input", s->recno + 1);
	die(EXIT_RUNTIME, "cannot read standard input: %s", strerror(errno));
}

/*
 * The next record as FRAME_RECORD, FRAME_END, FRAME_AGAIN (only when
 * may_read is 0) or one of the reader's errors; EINTR is retried.
 */
static int
source_next(struct source *s, int may_read, const unsigned char **rec,
    size_t *len, struct conv *cv)
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
		*rec = s->held + s->held_pos + 4;
		*len = n;
		s->held_pos += 4 + n;
	} else {
		while ((r = frame_next(&s->fr, may_read, rec, len)) ==
		    FRAME_EREAD && errno == EINTR) {
			if (cmd_signal != 0)
				interrupted(cv);
		}
		if (r != FRAME_RECORD)
			return r;	/* the caller sends what it has first */
		if (s->holding)
			hold(s, *rec, *len);
	}
	s->recno++;
	return FRAME_RECORD;
}

/* Starts the next pass over the same input. */
static void
source_rewind(struct source *s)
{
	s->next = 0;
	s->recno = 0;
	s->held_pos = 0;
	if (s->use_stdin)
		s->replay = 1;
}

/* A batch of datagrams ready to send. */
struct batch {
	struct iovec	 iov[SOCK_BATCH];
	unsigned char	*slots;		/* SOCK_BATCH * SLOT_SIZE */
	unsigned char	*big;		/* for records that decode long */
	size_t		 big_size;
	unsigned	 n;
};

/* Decodes into the batch's big buffer a record too long for a slot. */
static unsigned char *
big_buffer(struct batch *b, size_t need)
{
	if (need > b->big_size) {
		free(b->big);
		if ((b->big = malloc(need)) == NULL)
			die(EXIT_RUNTIME, "out of memory");
		b->big_size = need;
	}
	return b->big;
}

/*
 * Adds a record to the batch as a datagram; exits with status 2 when it
 * does not decode or is too large, after sending what came before it.
 */
static int	send_batch(struct conv *, struct batch *);

static void
add_record(struct conv *cv, struct batch *b, const struct source *s,
    const unsigned char *rec, size_t len)
{
	enum encoding e = cv->o->enc;
	unsigned char *out = b->slots + (size_t)b->n * SLOT_SIZE;
	struct enc_error err;
	long got;

	if (e == ENC_RAW) {
		b->iov[b->n].iov_base = (void *)rec;
		got = (long)len;
	} else {
		if (enc_decoded_max(e, len) > SLOT_SIZE)
			out = big_buffer(b, enc_decoded_max(e, len));
		if ((got = enc_decode(e, (const char *)rec, len, out,
		    &err)) < 0) {
			send_batch(cv, b);
			die(EXIT_USAGE, "invalid %s in record %llu: %s at "
			    "offset %zu", enc_name(e), s->recno, err.what,
			    err.offset);
		}
		b->iov[b->n].iov_base = out;
	}
	if ((size_t)got > cv->max) {
		send_batch(cv, b);
		die(EXIT_USAGE, "record %llu is too large: %ld bytes, at most "
		    "%zu over %s", s->recno, got, cv->max,
		    cv->family == AF_INET ? "IPv4" : "IPv6");
	}
	if (out != b->slots + (size_t)b->n * SLOT_SIZE && e != ENC_RAW) {
		memcpy(b->slots + (size_t)b->n * SLOT_SIZE, out, (size_t)got);
		b->iov[b->n].iov_base = b->slots + (size_t)b->n * SLOT_SIZE;
	}
	b->iov[b->n++].iov_len = (size_t)got;
}

/* When datagram number sent (from 0) is due at --rate, after t0. */
static uint64_t
rate_due(uint64_t sent, uint64_t rate)
{
	return sent / rate * 1000000000u + sent % rate * 1000000000u / rate;
}

/*
 * Returns how many of want datagrams may go now (at least one), sleeping
 * until the first of them may; exits on a signal.
 */
static unsigned
pace(struct conv *cv, struct pacer *p, unsigned want)
{
	const struct send_opts *o = cv->o;
	uint64_t t, due;

	if (o->rate == 0 && o->interval_ms == 0)
		return want;
	while ((t = now_ns()) < p->next) {
		(void)wait_fds(NULL, 0, (int64_t)(p->next - t));
		if (cmd_signal != 0)
			interrupted(cv);
	}
	if (p->sent == 0)
		p->t0 = t;
	if (o->interval_ms != 0)
		return 1;
	/* Those due by now: (t - t0) * rate / 1e9 + 1, less those sent. */
	due = (t - p->t0) / 1000000000u * o->rate +
	    (t - p->t0) % 1000000000u * o->rate / 1000000000u + 1;
	due = due > p->sent ? due - p->sent : 1;
	return due < want ? (unsigned)due : want;
}

/* Accounts for k datagrams gone and sets when the next one may go. */
static void
paced(struct conv *cv, struct pacer *p, unsigned k)
{
	const struct send_opts *o = cv->o;
	uint64_t next = 0;

	p->sent += k;
	if (o->interval_ms != 0)
		next = now_ns() + o->interval_ms * 1000000u;
	if (o->rate != 0 && p->t0 + rate_due(p->sent, o->rate) > next)
		next = p->t0 + rate_due(p->sent, o->rate);
	p->next = next;
}

/* Notes that the destination refused a datagram; warns once. */
static void
refused(struct conv *cv)
{
	if (!cv->refused)
		warning("%s refused a datagram: port unreachable (nothing "
		    "listens there)", cv->peer);
	cv->refused = 1;
}

/*
 * Deals with a send error: returns to retry the same datagram, or exits.
 * *waits counts consecutive waits for buffer space.
 */
static void
send_error(struct conv *cv, int err, size_t len, unsigned *waits)
{
	switch (err) {
	case ECONNREFUSED:	/* an earlier datagram's ICMP: this one waits */
		refused(cv);
		return;
	case EINTR:
		if (signal_check() != 0)
			interrupted(cv);
		return;
	case ENOBUFS:
	case EAGAIN:
		if (shortage_wait(waits) == -1)
			die(EXIT_RUNTIME, "cannot send to %s: %s for 10 s",
			    cv->peer, strerror(err));
		return;
	case EACCES:
		broadcast_refused(cv);
	case EMSGSIZE:
		die(EXIT_RUNTIME, "cannot send a datagram of %zu bytes to %s: "
		    "%s", len, cv->peer, strerror(err));
	default:
		die(EXIT_RUNTIME, "cannot send to %s: %s", cv->peer,
		    strerror(err));
	}
}

/* Sends the batch to every destination, paced; empties the batch. */
static int
send_batch(struct conv *cv, struct batch *b)
{
	struct pacer *p = &cv->pacer;
	unsigned done, k, sent, waits, i;
	int d, err;

	for (d = 0; d < cv->ndst; d++) {
		for (done = 0, waits = 0; done < b->n; done += sent) {
			k = pace(cv, p, b->n - done);
			sent = sock_tx(cv->fd, cv->connected ? NULL :
			    &cv->dst[d], b->iov + done, k, &cv->gso, &err);
			for (i = done; i < done + sent; i++)
				cv->st.bytes += b->iov[i].iov_len;
			cv->st.dgrams += sent;
			if (sent > 0) {
				paced(cv, p, sent);
				waits = 0;
			}
			if (err != 0)
				send_error(cv, err, b->iov[done + sent].iov_len,
				    &waits);
		}
	}
	b->n = 0;
	stats_progress(&cv->st, 0);
	/* A busy send never waits, where signals get in: look. */
	if (signal_check() != 0)
		interrupted(cv);
	return 0;
}

/* Reads the error queue after a POLLERR or at the end. */
static void
read_errors(struct conv *cv)
{
	int n, other;

	if ((n = sock_drain_errors(cv->fd, &other)) > 0)
		refused(cv);
	if (n >= 0 && other != 0) {
		if (!cv->other_error)
			warning("%s: %s", cv->peer, strerror(other));
		cv->other_error = other;
	}
}

/* Prints every reply waiting, without blocking; returns how many. */
static int
drain_replies(struct conv *cv)
{
	const struct send_opts *o = cv->o;
	struct timespec now;
	struct dgram d;
	unsigned nobufs = 0;
	int n, i, total = 0;

	for (;;) {
		if (o->count != 0 && cv->st.replies >= o->count)
			break;
		if ((n = sock_rx(cv->fd, &cv->rx, SOCK_BATCH)) == -1) {
			if (errno == EINTR && cmd_signal == 0)
				continue;
			if (errno == EINTR)
				break;
			/* Kernel memory runs short for a moment: wait. */
			if (errno == ENOBUFS && shortage_wait(&nobufs) == 0)
				continue;
			if (errno == ECONNREFUSED) {
				refused(cv);
				break;
			}
			die(EXIT_RUNTIME, "cannot receive: %s", strerror(errno));
		}
		if (n == 0)
			break;
		clock_gettime(CLOCK_REALTIME, &now);
		for (i = 0; i < n; i++) {
			if (o->count != 0 && cv->st.replies >= o->count)
				break;	/* more than asked for: not shown */
			rx_dgram(&cv->rx, (unsigned)i, &now, &d);
			printer_put(&cv->pr, &d);
			cv->st.replies++;
			cv->round_replies++;
			total++;
		}
		printer_flush(&cv->pr);
		if (n < SOCK_BATCH)
			break;	/* the queue is empty: poll() rather than ask */
	}
	return total;
}

/* Waits for replies until -w passes without one or -n is met. */
static void
wait_replies(struct conv *cv)
{
	const struct send_opts *o = cv->o;
	struct pollfd pfd[2];
	uint64_t last = now_ms(), t;
	int ms;

	pfd[0].fd = cv->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = STDOUT_FILENO;
	pfd[1].events = 0;
	for (;;) {
		if (drain_replies(cv) > 0)
			last = now_ms();
		if (cmd_signal != 0)
			interrupted(cv);
		if (cv->refused || (o->count != 0 && cv->st.replies >= o->count))
			return;
		ms = -1;
		if (o->wait_set) {
			if ((t = now_ms() - last) >= o->wait_ms)
				return;
			ms = (int)(o->wait_ms - t);
		}
		if (o->progress && (ms < 0 || ms > 100))
			ms = 100;
		if (wait_fds(pfd, cv->pr.watch_pipe ? 2 : 1,
		    ms < 0 ? -1 : (int64_t)ms * 1000000) > 0) {
			if (pfd[0].revents & POLLERR)
				read_errors(cv);
			printer_check_pipe(&cv->pr, pfd[1].revents);
		}
		stats_progress(&cv->st, 0);
	}
}

/*
 * Waits until standard input has something to read, printing replies
 * meanwhile when waiting for them, so that an interactive session sees
 * each answer at once; a signal ends the wait.
 */
static void
await_input(struct conv *cv)
{
	struct pollfd pfd[2];

	pfd[0].fd = STDIN_FILENO;
	pfd[0].events = POLLIN;
	pfd[1].fd = cv->fd;
	pfd[1].events = POLLIN;
	for (;;) {
		if (wait_fds(pfd, cv->o->waiting ? 2 : 1, -1) == -1 &&
		    errno != EINTR)
			die(EXIT_RUNTIME, "poll: %s", strerror(errno));
		if (cmd_signal != 0)
			interrupted(cv);
		if (cv->o->waiting && (pfd[1].revents & POLLERR))
			read_errors(cv);
		if (cv->o->waiting && (pfd[1].revents & POLLIN))
			drain_replies(cv);
		if (pfd[0].revents != 0)
			return;
	}
}

/*
 * The next record: one already buffered, or, once standard input can be
 * read, what one read() brings; the only waits are in wait_fds(), where
 * a signal gets through.  Records returned stay valid until the next
 * call that reads (b->n == 0 here).
 */
static int
next_record(struct conv *cv, struct source *s, struct batch *b,
    const unsigned char **rec, size_t *len)
{
	int r;

	if (!s->use_stdin || s->replay)
		return source_next(s, FRAME_READ, rec, len, cv);
	if (b->n > 0)
		return source_next(s, FRAME_NO_READ, rec, len, cv);
	while ((r = source_next(s, FRAME_NO_READ, rec, len, cv)) ==
	    FRAME_AGAIN) {
		await_input(cv);
		if ((r = source_next(s, FRAME_READ_ONCE, rec, len, cv)) !=
		    FRAME_AGAIN)
			break;
	}
	return r;
}

/* Sends every record of the input once. */
static void
send_pass(struct conv *cv, struct source *s, struct batch *b)
{
	const unsigned char *rec;
	size_t len;
	int r;

	for (;;) {
		r = next_record(cv, s, b, &rec, &len);
		if (r == FRAME_RECORD) {
			add_record(cv, b, s, rec, len);
			if (b->n < SOCK_BATCH)
				continue;
		}
		if (b->n > 0)
			send_batch(cv, b);
		if (r < FRAME_AGAIN)
			input_failed(s, r, s->fr.maxrec);
		if (cmd_signal != 0)
			interrupted(cv);
		if (cv->o->waiting)
			drain_replies(cv);
		if (r == FRAME_END)
			return;
	}
}

/* Opens standard input or the operands as the source of records. */
static void
source_init(struct source *s, const struct conv *cv, const struct send_opts *o)
{
	size_t maxrec = o->enc == ENC_RAW ? cv->max : ENC_RECORD_MAX;

	memset(s, 0, sizeof(*s));
	s->argv = o->data;
	s->argc = o->ndata;
	s->use_stdin = o->ndata == 0;
	if (!s->use_stdin)
		return;
	if (stdio_closed(STDIN_FILENO))
		die(EXIT_RUNTIME, "cannot read standard input: it is closed");
	if (o->inf.mode == IN_CHUNK && o->inf.chunk > cv->max)
		die_usage("chunk:%zu is larger than a datagram over %s (%zu)",
		    o->inf.chunk, cv->family == AF_INET ? "IPv4" : "IPv6",
		    cv->max);
	s->holding = o->repeat != 1 || o->retries > 0;
	if (frame_reader_init(&s->fr, STDIN_FILENO, o->inf, maxrec) == -1)
		die(EXIT_RUNTIME, "cannot allocate the input buffer: %s",
		    strerror(errno));
}

/* The framing of replies that matches the input framing. */
static enum out_framing
reply_framing(const struct send_opts *o)
{
	switch (o->inf.mode) {
	case IN_LINE:
		return OUT_LINE;
	case IN_NUL:
		return OUT_NUL;
	case IN_LENGTH:
		return OUT_LENGTH;
	default:
		return OUT_NONE;
	}
}

/* Sends the input --repeat times, waits, resends on --retries. */
static void
converse(struct conv *cv, struct source *s, struct batch *b)
{
	const struct send_opts *o = cv->o;
	uint64_t rep, retries = o->retries;

	for (;;) {
		/* Replies may come while the input is still going out. */
		cv->round_replies = 0;
		for (rep = 0; o->repeat == 0 || rep < o->repeat; rep++) {
			if (rep > 0)
				source_rewind(s);
			send_pass(cv, s, b);
		}
		read_errors(cv);
		if (!o->waiting || cv->refused)
			return;
		wait_replies(cv);
		if (cv->refused || cv->round_replies > 0 || retries == 0)
			return;
		if (o->count != 0 && cv->st.replies >= o->count)
			return;
		retries--;
		if (o->verbose)
			note("no reply: sending again");
		source_rewind(s);
	}
}

/* The exit status once everything was sent (and waited for). */
static int
outcome(const struct conv *cv)
{
	const struct send_opts *o = cv->o;

	if (cv->refused || cv->other_error)
		return EXIT_RUNTIME;
	if (o->waiting && (cv->st.replies == 0 ||
	    (o->count != 0 && cv->st.replies < o->count)))
		return EXIT_TIMEOUT;
	return EXIT_OK;
}

/* Everything a send holds, in static storage for the cleanup. */
struct send_state {
	struct send_opts	o;
	struct conv		cv;
	struct source		s;
	struct batch		b;
};

/* Frees what a send holds; it runs however the command ends. */
static void
send_free(void *arg)
{
	struct send_state *st = arg;

	printer_free(&st->cv.pr);
	sock_rx_free(&st->cv.rx);
	stats_free(&st->cv.st);
	frame_reader_free(&st->s.fr);
	free(st->s.held);
	free(st->b.slots);
	free(st->b.big);
	st->s.held = st->b.slots = st->b.big = NULL;
	if (st->cv.fd >= 0)
		close(st->cv.fd);
	st->cv.fd = -1;
}

static int
send_main(int argc, char **argv, int broadcast)
{
	static struct send_state st;
	struct send_opts *o = &st.o;
	struct conv *cv = &st.cv;
	struct opt_parser op;
	int id, status;

	memset(&st, 0, sizeof(st));
	st.cv.fd = -1;
	cleanup_push(send_free, &st);
	o->broadcast = broadcast;
	o->family = AF_UNSPEC;
	o->inf.mode = IN_LINE;
	o->ttl = o->tos = o->loop = -1;
	o->repeat = 1;
	opt_begin(&op, broadcast ? &opt_broadcast : &opt_send, argc, argv);
	while ((id = opt_next(&op)) != -1)
		parse_opt(o, id);
	check_opts(o, argc - optind, argv + optind);

	cv->o = o;
	cv->gso = 1;
	if (o->waiting) {
		printer_init(&cv->pr, o->enc, o->enc_set, reply_framing(o),
		    o->json, o->show_peer);
		if (sock_rx_init(&cv->rx, 65535, 1) == -1)
			die(EXIT_RUNTIME, "out of memory");
	}
	setup(cv, o);
	/* Replies' JSON times are the kernel's arrival times when it can. */
	if (o->json)
		(void)sock_rx_timestamps(cv->fd);
	source_init(&st.s, cv, o);
	if ((st.b.slots = malloc((size_t)SOCK_BATCH * SLOT_SIZE)) == NULL)
		die(EXIT_RUNTIME, "out of memory");
	stats_init(&cv->st, o->stats || o->verbose, o->progress);
	signals_install();

	converse(cv, &st.s, &st.b);
	status = outcome(cv);
	if (o->waiting)
		printer_flush(&cv->pr);
	stats_print(&cv->st, 1);
	cleanup_run();
	return status;
}

int
cmd_send(int argc, char **argv)
{
	return send_main(argc, argv, 0);
}

int
cmd_broadcast(int argc, char **argv)
{
	return send_main(argc, argv, 1);
}
