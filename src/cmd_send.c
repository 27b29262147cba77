/* cmd_send.c: "udpcat send" and "udpcat broadcast": records to datagrams. */
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

#include "cmd.h"
#include "parse.h"
#include "udpcat.h"

#define MAX_DST		64		/* --all-interfaces destinations */
#define ENC_RECORD_MAX	(1 << 20)	/* longest encoded input record */
#define HOLD_MAX	(64u << 20)	/* standard input kept for --repeat */
#define SLOT_SIZE	65536		/* one decoded datagram */

struct send_opts {
	struct common_opts c;		/* -4 -6 -e -I --df -i -w -n --json
					   -P --stats --progress -v */
	int		 broadcast;	/* the broadcast command */
	struct in_frame	 inf;
	int		 framing_set;
	const char	*source;
	uint16_t	 source_port;
	unsigned	 ifindex;
	int		 ttl;		/* -1: leave alone */
	int		 tos;
	int		 loop;
	int		 allow_broadcast;
	uint64_t	 repeat;	/* 0: until interrupted */
	uint64_t	 rate;		/* 0: unpaced */
	double		 speed;		/* --speed; 0: not given */
	int		 waiting;	/* -w or -n given */
	uint64_t	 retries;
	const char	*to;
	int		 all_interfaces;
	const char	*host;
	uint16_t	 port;
	char		**data;
	int		 ndata;
};

/* --speed FACTOR: a positive decimal number up to 1000000. */
static double
opt_speed(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (s[0] < '0' || s[0] > '9' || end == s || *end != '\0' ||
	    errno != 0 || !(v > 0) || v > 1e6)
		die_usage("invalid --speed '%s': a factor above 0, at most "
		    "1000000", s);
	return v;
}

/* Sets --loop or --no-loop; they exclude each other. */
static void
set_loop(struct send_opts *o, int on)
{
	if (o->loop != -1 && o->loop != on)
		die_usage("--loop and --no-loop exclude each other");
	o->loop = on;
}

/* Takes option id, its value in optarg, after the common ones. */
static void
parse_opt(struct send_opts *o, int id)
{
	const char *why;

	if (opt_common(&o->c, id, optarg))
		return;
	switch (id) {
	case OPT_FRAMING:
		if (frame_parse_in(optarg, MAX_DGRAM6, &o->inf, &why) == -1)
			die_usage("invalid framing '%s': %s", optarg, why);
		o->framing_set = 1;
		break;
	case OPT_SOURCE:
		o->source = optarg;
		break;
	case OPT_SOURCE_PORT:
		o->source_port = opt_port(optarg, 1);
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
	case OPT_REPEAT:
		o->repeat = opt_number("--repeat", optarg, 0, UINT32_MAX);
		break;
	case OPT_RATE:
		o->rate = opt_number("--rate", optarg, 1, UINT32_MAX);
		break;
	case OPT_RETRIES:
		o->retries = opt_number("--retries", optarg, 0, UINT32_MAX);
		break;
	case OPT_SPEED:
		o->speed = opt_speed(optarg);
		break;
	}
}

/* A Unix destination: the options that only IP has are refused. */
static void
check_unix(const struct send_opts *o)
{
	const char *ip = o->c.family != AF_UNSPEC ? "-4 and -6" :
	    o->c.ifname != NULL ? "-I" : o->ttl >= 0 ? "--ttl" :
	    o->tos >= 0 ? "--tos" : o->loop >= 0 ? "--loop and --no-loop" :
	    o->allow_broadcast ? "--broadcast" : o->source_port != 0 ? "-p" :
	    o->c.df ? "--df" : NULL;

	if (ip != NULL)
		die_usage("%s do not apply to a Unix socket ('%s')", ip,
		    o->host);
	if (o->source != NULL && !endp_is_unix(o->source))
		die_usage("-s '%s' is not a Unix socket, as '%s' is",
		    o->source, o->host);
}

/* Checks the operands and the options that exclude each other. */
static void
check_opts(struct send_opts *o, int argc, char **argv)
{
	int need = o->broadcast ? 1 : 2;

	o->waiting = o->c.timeout_set || o->c.count != 0;
	if (!o->broadcast && argc > 0 && endp_is_unix(argv[0])) {
		o->host = argv[0];
		o->data = argv + 1;
		o->ndata = argc - 1;
		check_unix(o);
	} else {
		if (argc < need)
			die_usage("missing %s", argc == 0 && !o->broadcast ?
			    "HOST" : "PORT");
		if (!o->broadcast)
			o->host = argv[0];
		o->port = opt_port(argv[need - 1], 0);
		o->data = argv + need;
		o->ndata = argc - need;
		if (o->source != NULL && endp_is_unix(o->source))
			die_usage("-s %s is a Unix socket: the destination is "
			    "not", o->source);
	}
	if ((o->inf.mode == IN_CHUNK || o->inf.mode == IN_LENGTH ||
	    o->inf.mode == IN_PCAP) && o->c.enc_set && o->c.enc != ENC_RAW)
		die_usage("-F %s reads raw bytes: it does not take -e %s",
		    o->inf.mode == IN_CHUNK ? "chunk" : o->inf.mode ==
		    IN_LENGTH ? "length" : "pcap", enc_name(o->c.enc));
	/* JSON carries base64 unless -e says otherwise, as listen writes. */
	if (o->inf.mode == IN_JSON && !o->c.enc_set)
		o->c.enc = ENC_BASE64;
	if (o->speed > 0 && o->inf.mode != IN_JSON && o->inf.mode != IN_PCAP)
		die_usage("--speed replays recorded times: it needs -F json or "
		    "-F pcap");
	if (o->speed > 0 && o->ndata > 0)
		die_usage("--speed replays standard input: it takes no DATA");
	if ((o->c.json || o->c.show_peer) && !o->waiting)
		die_usage("--json and -P print replies: they need -w or -n");
	if (o->retries > 0 && !o->c.timeout_set)
		die_usage("--retries needs -w to know when to send again");
	if ((o->to != NULL) + o->all_interfaces > 1)
		die_usage("--to and --all-interfaces exclude each other");
	if (o->all_interfaces && o->c.ifname != NULL)
		die_usage("-I and --all-interfaces exclude each other");
	if (o->broadcast && o->c.family == AF_INET6 && o->c.ifname == NULL)
		die_usage("-6 broadcast sends to ff02::1 and needs -I");
	o->ifindex = opt_ifindex(o->c.ifname);
}

/* Everything a send holds, owned by send_main(). */
struct send_run {
	const struct send_opts	*o;
	struct endp		 ep;
	struct printer		 pr;
	struct receiver		 rx;
	struct stats		 st;
	struct sender		 tx;
};

/* The IPv4 directed broadcast destination of each interface, or -I's. */
static int
broadcast_ifs(struct sender *tx, const struct send_opts *o)
{
	struct in_addr a[TX_MAX_DST];
	int i, n = 1;

	if (o->all_interfaces) {
		if ((n = sock_all_broadcast(a, TX_MAX_DST)) == -1)
			return msg_fail(EXIT_RUNTIME, "cannot list interfaces: %s",
			    strerror(errno));
		if (n == 0)
			return msg_fail(EXIT_RUNTIME, "no interface is up and "
			    "broadcast-capable");
	} else if (sock_if_broadcast(o->c.ifname, &a[0]) == -1)
		return msg_fail(EXIT_RUNTIME, "interface '%s' has no IPv4 broadcast "
		    "address: %s", o->c.ifname, strerror(errno));
	for (i = 0; i < n; i++) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&tx->dst[i].ss;

		memset(s4, 0, sizeof(*s4));
		s4->sin_family = AF_INET;
		s4->sin_port = htons(o->port);
		s4->sin_addr = a[i];
		tx->dst[i].len = sizeof(*s4);
	}
	tx->ndst = n;
	return 0;
}

/* The broadcast command's destinations; 0 or an exit status. */
static int
broadcast_dst(struct sender *tx, const struct send_opts *o)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&tx->dst[0].ss;
	int rc;

	tx->ndst = 1;
	if (o->c.family == AF_INET6) {
		/* --to names the group; all nodes (ff02::1) when it does not. */
		rc = resolve("address", o->to != NULL ? o->to : "ff02::1",
		    o->port, AF_INET6, 0, &tx->dst[0]);
		if (rc == 0 && s6->sin6_scope_id == 0)
			s6->sin6_scope_id = o->ifindex;
		return rc;
	}
	if (o->all_interfaces || (o->c.ifname != NULL && o->to == NULL))
		return broadcast_ifs(tx, o);
	return resolve("address", o->to != NULL ? o->to : "255.255.255.255",
	    o->port, AF_INET, 0, &tx->dst[0]);
}

/* -v: says where datagrams go from and to. */
static void
verbose_setup(const struct send_run *sr)
{
	struct endpoint local;
	char from[PEER_MAX];

	/* An unconnected, unbound socket gets its port at the first send. */
	if (sock_local(sr->ep.fd, &local) == -1 ||
	    (local.ss.ss_family != AF_UNIX &&
	    ((struct sockaddr_in *)&local.ss)->sin_port == 0) ||
	    out_peer((struct sockaddr *)&local.ss, local.len, from) < 0)
		snprintf(from, sizeof(from), "a port chosen at the first send");
	note("sending from %s to %s%s", from, sr->ep.name, sr->tx.ndst > 1 ?
	    " and other interfaces" : "");
}

/* Opens a Unix datagram socket to the destination; 0 or an exit status. */
static int
setup_unix(struct send_run *sr)
{
	const struct send_opts *o = sr->o;
	struct endpoint src;
	int rc;

	sr->tx.ndst = 1;
	if ((rc = endp_unix_addr(o->host, &sr->tx.dst[0])) != 0 ||
	    (o->source != NULL && (rc = endp_unix_addr(o->source,
	    &src)) != 0))
		return rc;
	if ((rc = endp_dial_unix(&sr->ep, &sr->tx.dst[0], o->source != NULL ?
	    &src : NULL, o->waiting)) != 0)
		return rc;
	if (o->c.json)
		(void)sock_rx_timestamps(sr->ep.fd);
	if (o->c.verbose)
		verbose_setup(sr);
	return 0;
}

/* Resolves the destinations and opens the socket; 0 or an exit status. */
static int
setup(struct send_run *sr)
{
	const struct send_opts *o = sr->o;
	struct endp_conf c;
	int rc;

	if (o->host != NULL && endp_is_unix(o->host))
		return setup_unix(sr);
	if (o->broadcast)
		rc = broadcast_dst(&sr->tx, o);
	else {
		sr->tx.ndst = 1;
		rc = resolve("host", o->host, o->port, o->c.family, 0,
		    &sr->tx.dst[0]);
	}
	if (rc != 0)
		return rc;
	if (o->port == 0)
		return msg_fail_usage("invalid port '0': a destination needs a "
		    "port");
	memset(&c, 0, sizeof(c));
	c.ifname = o->c.ifname;
	c.ifindex = o->ifindex;
	c.broadcast = o->broadcast || o->allow_broadcast;
	c.ttl = o->ttl;
	c.tos = o->tos;
	c.loop = o->loop;
	c.source = o->source;
	c.source_port = o->source_port;
	c.df = o->c.df;
	/* A connected socket hears only its peer, and hears its ICMP. */
	if ((rc = endp_dial(&sr->ep, &c, &sr->tx.dst[0], !c.broadcast)) != 0)
		return rc;
	/* Replies' JSON times are the kernel's arrival times when it can. */
	if (o->c.json) {
		(void)sock_rx_timestamps(sr->ep.fd);
		if (sock_rx_info(sr->ep.fd, sr->ep.family, &sr->rx.rx) == -1)
			return msg_fail(EXIT_RUNTIME, "cannot ask for what "
			    "replies carried: %s", strerror(errno));
	}
	if (o->c.verbose)
		verbose_setup(sr);
	return 0;
}

/* Each reply: written out; the last one asked for ends the wait. */
static enum run_end
on_reply(void *arg, const struct dgram *d)
{
	struct send_run *sr = arg;

	printer_put(&sr->pr, d);
	return ++sr->st.replies == sr->o->c.count ? RUN_DONE : RUN_MORE;
}

/* The framing of replies that matches the input framing. */
static enum out_framing
reply_framing(const struct send_opts *o)
{
	switch (o->inf.mode) {
	case IN_LINE:
	case IN_JSON:
		return OUT_LINE;
	case IN_NUL:
		return OUT_NUL;
	case IN_LENGTH:
		return OUT_LENGTH;
	default:
		return OUT_NONE;
	}
}

/* Prepares the printer and receiver of replies; 0 or an exit status. */
static int
replies_init(struct send_run *sr)
{
	const struct send_opts *o = sr->o;
	int rc;

	if ((rc = printer_init(&sr->pr, o->c.enc, o->c.enc_set,
	    reply_framing(o), o->c.json, o->c.show_peer)) != 0)
		return rc;
	if (recv_init(&sr->rx, &sr->ep, 65535, 1, on_reply, sr) == -1)
		return msg_fail(EXIT_RUNTIME, "out of memory");
	sr->rx.pr = &sr->pr;
	sr->rx.st = &sr->st;
	sr->rx.counted = &sr->st.replies;
	sr->rx.limit = o->c.count;
	sr->rx.stop_refused = 1;
	sr->tx.replies = &sr->rx;
	return 0;
}

/* Sends the input --repeat times, waits, sends again on --retries. */
static enum run_end
converse(struct send_run *sr)
{
	const struct send_opts *o = sr->o;
	uint64_t retries = o->retries, before;
	enum run_end r;

	for (;;) {
		/* Replies may come while the input is still going out. */
		before = sr->st.replies;
		if ((r = tx_run(&sr->tx, o->repeat)) != RUN_DONE)
			return r;
		endp_read_errors(&sr->ep);
		if (!o->waiting || sr->ep.refused)
			return RUN_DONE;
		r = recv_loop(&sr->rx, o->c.timeout_ms, o->c.timeout_set,
		    o->c.progress);
		if (r == RUN_REFUSED || r == RUN_DONE)
			return RUN_DONE;
		if (r != RUN_IDLE)
			return r;
		if (sr->st.replies > before || retries-- == 0)
			return RUN_DONE;
		if (o->c.verbose)
			note("no reply: sending again");
		tx_rewind(&sr->tx);
	}
}

/* The exit status of a send that ran (r: how it ended). */
static int
outcome(struct send_run *sr, enum run_end r)
{
	const struct send_opts *o = sr->o;

	if (o->waiting && printer_flush(&sr->pr) == RUN_EPIPE && r == RUN_DONE)
		r = RUN_EPIPE;
	/* A signal that came as the work ended still counts. */
	if ((r == RUN_DONE || r == RUN_SIGNAL) && signal_check() != 0)
		r = RUN_SIGNAL;
	switch (r) {
	case RUN_EPIPE:
		return EXIT_SIGNAL + SIGPIPE;
	case RUN_EINPUT:
		return EXIT_USAGE;
	case RUN_ERROR:
		return EXIT_RUNTIME;
	default:
		break;
	}
	stats_print(&sr->st, 1);
	if (o->waiting)
		printer_report(&sr->pr);
	if (r == RUN_SIGNAL)
		return EXIT_SIGNAL + cmd_signal;
	if (sr->ep.refused || sr->ep.other_error)
		return EXIT_RUNTIME;
	if (o->waiting && (sr->st.replies == 0 ||
	    (o->c.count != 0 && sr->st.replies < o->c.count)))
		return EXIT_TIMEOUT;
	return EXIT_OK;
}

/* Sets up the parts, runs them and returns the exit status. */
static int
send_run(struct send_run *sr)
{
	const struct send_opts *o = sr->o;
	struct tx_conf c;
	enum run_end r;
	int rc;

	if (o->waiting && (rc = replies_init(sr)) != 0)
		return rc;
	if ((rc = setup(sr)) != 0)
		return rc;
	memset(&c, 0, sizeof(c));
	c.enc = o->c.enc;
	c.inf = o->inf;
	c.data = o->data;
	c.ndata = o->ndata;
	c.hold = o->repeat != 1 || o->retries > 0;
	c.rate = o->rate;
	c.interval_ms = o->c.interval_ms;
	c.df = o->c.df;
	c.speed = o->speed;
	if ((rc = tx_init(&sr->tx, &sr->ep, &c, &sr->st)) != 0)
		return rc;
	if (stats_init(&sr->st, o->c.stats || o->c.verbose,
	    o->c.progress) == -1)
		return msg_fail(EXIT_RUNTIME, "out of memory");
	signals_install();
	r = converse(sr);
	if (o->c.verbose)
		tx_note_skipped(&sr->tx);
	return outcome(sr, r);
}

static int
send_main(int argc, char **argv, int broadcast)
{
	struct send_opts o;
	struct send_run sr;
	struct opt_parser op;
	int id, status;

	memset(&o, 0, sizeof(o));
	opt_common_init(&o.c);
	o.broadcast = broadcast;
	o.inf.mode = IN_LINE;
	o.ttl = o.tos = o.loop = -1;
	o.repeat = 1;
	opt_begin(&op, broadcast ? &opt_broadcast : &opt_send, argc, argv);
	while ((id = opt_next(&op)) != -1)
		parse_opt(&o, id);
	check_opts(&o, argc - optind, argv + optind);

	memset(&sr, 0, sizeof(sr));
	sr.o = &o;
	endp_init(&sr.ep);
	sr.pr.fd = -1;
	status = send_run(&sr);
	tx_free(&sr.tx);
	recv_free(&sr.rx);
	printer_free(&sr.pr);
	stats_free(&sr.st);
	endp_close(&sr.ep);
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
