/* cmd_listen.c: "udpcat listen": receive from every sender, write it out. */
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

#include "allow.h"
#include "cmd.h"
#include "parse.h"
#include "portfile.h"
#include "udpcat.h"

#define MAX_JOIN	64
#define FINAL_BATCHES	4096	/* read after a signal: 262,144 datagrams */

struct listen_opts {
	int		 family;
	enum encoding	 enc;
	int		 enc_set;
	enum out_framing framing;
	int		 framing_set;
	int		 json;
	int		 show_peer;
	uint64_t	 count;		/* 0: no limit */
	uint64_t	 timeout_ms;
	int		 timeout_set;
	const char	*until;
	int		 echo;
	const char	*reply;
	const char	*join[MAX_JOIN];
	int		 njoin;
	const char	*ifname;
	unsigned	 ifindex;
	int		 nallow;	/* --allow options */
	struct allow	 allow;
	int		 reuse;
	size_t		 max_size;
	size_t		 buffer;	/* 0: as large as allowed */
	const char	*port_file;
	int		 stats;
	int		 progress;
	int		 verbose;
	const char	*address;
	uint16_t	 port;
};

/* Decoded --until and --reply payloads. */
struct listen_data {
	unsigned char	*until;
	size_t		 until_len;
	unsigned char	*reply;
	size_t		 reply_len;
};

/*
 * Checks an --allow prefix, or exits with a usage error; with set, adds
 * it there and returns -1 when memory runs out.
 */
static int
add_allow(struct allow *set, const char *arg)
{
	unsigned char addr[16];
	const char *why;
	unsigned len;
	int family;

	if (parse_prefix(arg, &family, addr, &len, &why) == -1)
		die_usage("invalid prefix '%s' for --allow: %s", arg, why);
	return set != NULL ? allow_add(set, family, addr, len) : 0;
}

/*
 * Takes option id, its value in optarg, if it is about the socket or
 * what is done with a datagram besides writing it out.
 */
static void
parse_socket_opt(struct listen_opts *o, int id)
{
	switch (id) {
	case OPT_IPV4:
	case OPT_IPV6:
		o->family = opt_family(o->family, id);
		break;
	case OPT_UNTIL:
		o->until = optarg;
		break;
	case OPT_ECHO:
		o->echo = 1;
		break;
	case OPT_REPLY:
		o->reply = optarg;
		break;
	case OPT_JOIN:
		if (o->njoin == MAX_JOIN)
			die_usage("too many --join groups (at most %d)",
			    MAX_JOIN);
		o->join[o->njoin++] = optarg;
		break;
	case OPT_INTERFACE:
		o->ifname = optarg;
		break;
	case OPT_ALLOW:
		/* Only checked: the set is built once no usage error can come. */
		(void)add_allow(NULL, optarg);
		o->nallow++;
		break;
	case OPT_REUSE:
		o->reuse = 1;
		break;
	case OPT_BUFFER:
		o->buffer = opt_number("--buffer", optarg, 1024, 1U << 30);
		break;
	case OPT_PORT_FILE:
		o->port_file = optarg;
		break;
	}
}

/* Takes option id, its value in optarg. */
static void
parse_opt(struct listen_opts *o, int id)
{
	switch (id) {
	case OPT_ENCODING:
		o->enc = opt_encoding(optarg);
		o->enc_set = 1;
		break;
	case OPT_FRAMING:
		if (frame_parse_out(optarg, &o->framing) == -1)
			die_usage("unknown framing '%s': use line, nul, none, "
			    "length or pcap", optarg);
		o->framing_set = 1;
		break;
	case OPT_JSON:
		o->json = 1;
		break;
	case OPT_SHOW_PEER:
		o->show_peer = 1;
		break;
	case OPT_COUNT:
		o->count = opt_number("--count", optarg, 1, UINT32_MAX);
		break;
	case OPT_TIMEOUT:
		o->timeout_ms = opt_duration("--timeout", optarg);
		o->timeout_set = 1;
		break;
	case OPT_MAX_SIZE:
		o->max_size = opt_number("--max-size", optarg, 1, 65535);
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

/* A Unix socket: the options that only IP has are refused. */
static void
check_unix(const struct listen_opts *o)
{
	const char *ip = o->family != AF_UNSPEC ? "-4 and -6" :
	    o->ifname != NULL ? "-I" : o->njoin > 0 ? "--join" :
	    o->nallow > 0 ? "--allow" : o->reuse ? "--reuse" :
	    o->port_file != NULL ? "--port-file" : NULL;

	if (ip != NULL)
		die_usage("%s do not apply to a Unix socket ('%s')", ip,
		    o->address);
}

/* Checks the operands and the options that exclude each other. */
static void
check_opts(struct listen_opts *o, int argc, char **argv)
{
	if (argc < 1)
		die_usage("missing PORT");
	if (argc > 2)
		die_usage("too many operands: '%s'", argv[2]);
	if (endp_is_unix(argv[0])) {
		if (argc > 1)
			die_usage("too many operands: '%s'", argv[1]);
		o->address = argv[0];
		check_unix(o);
	} else {
		if (argc == 2)
			o->address = argv[0];
		o->port = opt_port(argv[argc - 1], 1);
	}
	if (o->echo && o->reply != NULL)
		die_usage("--echo and --reply exclude each other");
	if (o->json && o->framing_set)
		die_usage("--json and -F exclude each other");
	if (o->ifname != NULL && (o->ifindex = if_nametoindex(o->ifname)) == 0)
		die_usage("unknown interface '%s'", o->ifname);
}

/*
 * Decodes a DATA option value with the encoding given by -e (raw if
 * none) into *buf.  Returns 0, or an exit status after a message.
 */
static int
decode_opt(const struct listen_opts *o, const char *opt, const char *arg,
    unsigned char **buf, size_t *len)
{
	enum encoding e = o->enc_set ? o->enc : ENC_RAW;
	size_t n = strlen(arg);
	struct enc_error err;
	long got;

	if ((*buf = malloc(enc_decoded_max(e, n) + 1)) == NULL)
		return msg_fail(EXIT_RUNTIME, "out of memory");
	if ((got = enc_decode(e, arg, n, *buf, &err)) < 0)
		return msg_fail_usage("invalid %s value for %s: %s at offset %zu",
		    enc_name(e), opt, err.what, err.offset);
	if ((size_t)got > MAX_DGRAM6)
		return msg_fail(EXIT_USAGE, "%s value is too large: %ld bytes, at "
		    "most %d", opt, got, MAX_DGRAM6);
	*len = (size_t)got;
	return 0;
}

/* The family of the socket to open when no ADDRESS was given. */
static int
wildcard_family(const struct listen_opts *o)
{
	int i, v4 = 0;
	struct in_addr a;
	char group[64];

	if (o->family != AF_UNSPEC)
		return o->family;
	for (i = 0; i < o->njoin; i++) {
		snprintf(group, sizeof(group), "%.*s",
		    (int)strcspn(o->join[i], "@"), o->join[i]);
		v4 += parse_ipv4(group, &a) == 0;
	}
	return o->njoin > 0 && v4 == o->njoin ? AF_INET : AF_INET6;
}

/*
 * True when anything looks at who sent a datagram: -P, --json, --allow,
 * --echo/--reply, the sender count of --stats and -v, and the warning
 * that names the sender of a truncated datagram.
 */
static int
needs_senders(const struct listen_opts *o)
{
	return o->show_peer || o->json || o->framing == OUT_PCAP ||
	    o->nallow > 0 || o->echo || o->reply != NULL || o->stats ||
	    o->verbose || o->max_size < 65535;
}

/* Joins one --join GROUP[@SOURCE]; 0 or an exit status. */
static int
join_one(int fd, const struct listen_opts *o, int family, const char *arg)
{
	struct endpoint group, source;
	char buf[256], *at;
	int rc;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", arg) >= sizeof(buf))
		return msg_fail_usage("--join '%.40s...' is too long", arg);
	if ((at = strchr(buf, '@')) != NULL)
		*at++ = '\0';
	if ((rc = resolve("group", buf, 0, family == AF_INET ? AF_INET :
	    AF_UNSPEC, 0, &group)) != 0)
		return rc;
	if (!sock_is_multicast(&group))
		return msg_fail_usage("'%s' is not a multicast group", buf);
	if (at != NULL && (rc = resolve("source", at, 0, group.ss.ss_family,
	    0, &source)) != 0)
		return rc;
	if (sock_join(fd, &group, at != NULL ? &source : NULL,
	    o->ifindex) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot join '%s': %s", arg,
		    strerror(errno));
	return 0;
}

/* Joins every --join group; 0 or an exit status. */
static int
join_groups(int fd, const struct listen_opts *o, int family)
{
	int i, rc;

	if (o->njoin > 0 && sock_only_joined(fd, family) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot set IP_MULTICAST_ALL: %s",
		    strerror(errno));
	for (i = 0; i < o->njoin; i++)
		if ((rc = join_one(fd, o, family, o->join[i])) != 0)
			return rc;
	return 0;
}

/* True when the sender sa is inside one of the --allow prefixes. */
static int
allowed(const struct listen_opts *o, const struct sockaddr *sa)
{
	return allow_count(&o->allow) == 0 || allow_match_sa(&o->allow, sa);
}

/* Everything a listener holds, owned by cmd_listen(). */
struct listener {
	const struct listen_opts *o;
	struct listen_data	 d;
	struct endp		 ep;
	struct receiver		 rx;
	struct printer		 pr;
	struct stats		 st;
	uint64_t		 reply_failed;
	uint64_t		 self;		/* from our own address */
};

/*
 * Sends the --echo or --reply answer to one datagram's sender, unless
 * that sender is this very socket: a datagram forged with the listener's
 * own address would otherwise make it answer itself for ever.
 */
static void
answer(struct listener *l, const struct dgram *d)
{
	const void *buf = l->o->echo ? (const void *)d->data : l->d.reply;
	size_t len = l->o->echo ? d->len : l->d.reply_len;

	if (endp_is_self(&l->ep, d->from, d->fromlen)) {
		if (l->self++ == 0)
			warning("not answering a datagram from the listener's "
			    "own address %s: it would answer itself",
			    l->ep.name);
		return;
	}
	while (sendto(l->ep.fd, buf, len, 0, d->from, d->fromlen) == -1) {
		if (errno == EINTR && cmd_signal == 0)
			continue;
		if (l->reply_failed++ == 0)
			warning("cannot answer a datagram: %s (counted in "
			    "--stats)", strerror(errno));
		return;
	}
	l->st.replies++;
}

/* Each datagram: filtered, counted, answered, written out. */
static enum run_end
on_dgram(void *arg, const struct dgram *d)
{
	struct listener *l = arg;
	const struct listen_opts *o = l->o;

	if (!allowed(o, d->from)) {
		l->st.filtered++;
		return RUN_MORE;
	}
	l->st.dgrams++;
	l->st.bytes += d->size;
	l->st.truncated += d->size > d->len;
	stats_peer(&l->st, d->from);
	if (o->echo || o->reply != NULL)
		answer(l, d);
	if (o->until != NULL && d->len == l->d.until_len &&
	    d->size == d->len && memcmp(d->data, l->d.until, d->len) == 0)
		return RUN_DONE;
	printer_put(&l->pr, d);
	if (o->count != 0 && l->st.dgrams >= o->count)
		return RUN_DONE;
	return RUN_MORE;
}

/*
 * A GRO buffer, all of it from one sender, goes out whole when nothing
 * looks at its single datagrams: no filter, answer or --until, and
 * --count not within reach, and an output that takes it at once (raw
 * and back to back, -F none, or pcap records).  Flooding equal
 * datagrams then costs no more than copying their bytes.
 */
static int
on_whole(void *arg, const struct dgram *d, size_t seg)
{
	struct listener *l = arg;
	const struct listen_opts *o = l->o;
	uint64_t n = (d->size + seg - 1) / seg;

	if (o->nallow > 0 || o->echo || o->reply != NULL || o->until != NULL ||
	    (o->count != 0 && o->count - l->st.dgrams < n) ||
	    printer_put_segments(&l->pr, d, seg) == -1)
		return -1;
	l->st.dgrams += n;
	l->st.bytes += d->size;
	stats_peer(&l->st, d->from);
	return o->count != 0 && l->st.dgrams >= o->count ? RUN_DONE : RUN_MORE;
}

/* Opens, binds and sets up the listening socket; 0 or an exit status. */
static int
setup(struct listener *l)
{
	const struct listen_opts *o = l->o;
	struct endp_conf c;
	struct endpoint ep;
	int rc, gro;
	long rcvbuf;

	memset(&c, 0, sizeof(c));
	c.family = o->family;
	c.ifname = o->ifname;
	c.reuse = o->reuse;
	if (o->address != NULL && endp_is_unix(o->address)) {
		/* No name to resolve: signals go in before the file is made. */
		signals_install();
		if ((rc = endp_unix_addr(o->address, &ep)) != 0 ||
		    (rc = endp_listen_unix(&l->ep, &ep)) != 0)
			return rc;
	} else if ((rc = endp_listen(&l->ep, &c, o->address, o->port,
	    wildcard_family(o))) != 0 ||
	    (rc = join_groups(l->ep.fd, o, l->ep.family)) != 0)
		return rc;
	if ((rcvbuf = sock_rcvbuf(l->ep.fd, o->buffer)) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot set the receive buffer: %s",
		    strerror(errno));
	gro = sock_rx_gro(l->ep.fd, &l->rx.rx);
	if (o->json && l->ep.family != AF_UNIX &&
	    sock_rx_info(l->ep.fd, l->ep.family, &l->rx.rx) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot ask for what datagrams "
		    "carried: %s", strerror(errno));
	if ((o->json || o->framing == OUT_PCAP) &&
	    sock_rx_timestamps(l->ep.fd) == -1 && o->verbose)
		note("no kernel timestamps: times are when udpcat read");
	/* A capture names the address each datagram came to. */
	if (o->framing == OUT_PCAP && !o->json && l->ep.family != AF_UNIX &&
	    sock_rx_pktinfo(l->ep.fd, &l->rx.rx) == -1 && o->verbose)
		note("no local addresses from the kernel: the bound one is "
		    "written");
	if (o->verbose) {
		note("listening on %s", l->ep.name);
		note("receive buffer %ld bytes, GRO %s", rcvbuf,
		    gro ? "on" : "off");
	}
	l->st.drops_fd = l->ep.fd;
	l->st.drops_floor = gro;
	/* After resolving, which SIGINT must still be able to cut short. */
	signals_install();
	if (o->port_file != NULL && portfile_write(o->port_file,
	    ntohs(((struct sockaddr_in *)&l->ep.local.ss)->sin_port)) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot write the port file '%s': "
		    "%s", o->port_file, strerror(errno));
	return 0;
}

/* The exit status of a listener that ran (r: how it ended). */
static int
finish(struct listener *l, enum run_end r)
{
	const struct listen_opts *o = l->o;

	if (printer_flush(&l->pr) == RUN_EPIPE || r == RUN_EPIPE)
		return EXIT_SIGNAL + SIGPIPE;
	if (r != RUN_ERROR && signal_check() != 0)
		r = RUN_SIGNAL;
	stats_print(&l->st, 0);
	if (l->st.truncated > 0 && l->pr.truncated_warned > 10)
		warning("%llu datagrams were truncated in all",
		    (unsigned long long)l->st.truncated);
	if (l->reply_failed > 0)
		warning("%llu answers could not be sent",
		    (unsigned long long)l->reply_failed);
	if (l->self > 0 && l->st.enabled)
		note("%llu datagrams from the listener's own address were not "
		    "answered", (unsigned long long)l->self);
	printer_report(&l->pr);
	if (r == RUN_SIGNAL)
		return EXIT_SIGNAL + cmd_signal;
	if (r == RUN_ERROR || l->pr.err != 0)
		return EXIT_RUNTIME;
	/* --timeout: success only when something came and --count is met. */
	if (r == RUN_IDLE && (l->st.dgrams == 0 || (o->count != 0 &&
	    l->st.dgrams < o->count)))
		return EXIT_TIMEOUT;
	return EXIT_OK;
}

/* Sets up the parts, runs them and returns the exit status. */
static int
listen_run(struct listener *l)
{
	const struct listen_opts *o = l->o;
	enum run_end r;
	int rc;

	if ((o->until != NULL && (rc = decode_opt(o, "--until", o->until,
	    &l->d.until, &l->d.until_len)) != 0) ||
	    (o->reply != NULL && (rc = decode_opt(o, "--reply", o->reply,
	    &l->d.reply, &l->d.reply_len)) != 0) ||
	    (rc = printer_init(&l->pr, o->enc, o->enc_set, o->framing,
	    o->json, o->show_peer)) != 0)
		return rc;
	if (recv_init(&l->rx, &l->ep, o->max_size, needs_senders(o),
	    on_dgram, l) == -1 ||
	    stats_init(&l->st, o->stats || o->verbose, o->progress) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot allocate receive buffers: %s",
		    strerror(errno));
	l->rx.pr = &l->pr;
	l->rx.st = &l->st;
	l->rx.whole = on_whole;
	l->rx.counted = &l->st.dgrams;
	l->rx.limit = o->count;
	if ((rc = setup(l)) != 0)
		return rc;
	r = recv_loop(&l->rx, o->timeout_ms, o->timeout_set, o->progress);
	/* What waits in the socket came before the signal. */
	if (r == RUN_SIGNAL)
		(void)recv_drain(&l->rx, 1);
	return finish(l, r);
}

/*
 * Builds the --allow set from the options, read once more now that they
 * are known to be valid.  Returns 0, or an exit status after a message.
 */
static int
build_allow(struct listen_opts *o, int argc, char **argv)
{
	struct opt_parser op;
	int id;

	if (o->nallow == 0)
		return 0;
	opt_begin(&op, &opt_listen, argc, argv);
	while ((id = opt_next(&op)) != -1)
		if (id == OPT_ALLOW && add_allow(&o->allow, optarg) == -1)
			return msg_fail(EXIT_RUNTIME, "cannot add --allow prefix "
			    "'%s': %s", optarg, strerror(errno));
	allow_sort(&o->allow);
	return 0;
}

int
cmd_listen(int argc, char **argv)
{
	struct listen_opts o;
	struct listener l;
	struct opt_parser op;
	int id, status;

	memset(&o, 0, sizeof(o));
	o.family = AF_UNSPEC;
	o.framing = OUT_LINE;
	o.max_size = 65535;
	opt_begin(&op, &opt_listen, argc, argv);
	while ((id = opt_next(&op)) != -1)
		parse_opt(&o, id);
	check_opts(&o, argc - optind, argv + optind);

	memset(&l, 0, sizeof(l));
	l.o = &o;
	endp_init(&l.ep);
	l.pr.fd = -1;
	if ((status = build_allow(&o, argc, argv)) == 0)
		status = listen_run(&l);
	allow_free(&o.allow);
	printer_free(&l.pr);
	recv_free(&l.rx);
	stats_free(&l.st);
	free(l.d.until);
	free(l.d.reply);
	endp_close(&l.ep);
	return status;
}
