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

#include "cmd.h"
#include "parse.h"
#include "udpcat.h"

#define MAX_JOIN	64
#define MAX_ALLOW	64
#define FINAL_BATCHES	4096	/* read after a signal: 262,144 datagrams */

struct prefix {
	int		family;
	unsigned char	addr[16];
	unsigned	len;
};

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
	struct prefix	 allow[MAX_ALLOW];
	int		 nallow;
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

enum {
	OPT_JSON = 256, OPT_UNTIL, OPT_ECHO, OPT_REPLY, OPT_JOIN, OPT_ALLOW,
	OPT_REUSE, OPT_MAX_SIZE, OPT_BUFFER, OPT_PORT_FILE, OPT_STATS,
	OPT_PROGRESS
};

static const char shortopts[] = ":46e:F:Pn:w:I:vh";
static const struct option longopts[] = {
	{ "encoding",	required_argument,	NULL, 'e' },
	{ "framing",	required_argument,	NULL, 'F' },
	{ "show-peer",	no_argument,		NULL, 'P' },
	{ "count",	required_argument,	NULL, 'n' },
	{ "timeout",	required_argument,	NULL, 'w' },
	{ "interface",	required_argument,	NULL, 'I' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "json",	no_argument,		NULL, OPT_JSON },
	{ "until",	required_argument,	NULL, OPT_UNTIL },
	{ "echo",	no_argument,		NULL, OPT_ECHO },
	{ "reply",	required_argument,	NULL, OPT_REPLY },
	{ "join",	required_argument,	NULL, OPT_JOIN },
	{ "allow",	required_argument,	NULL, OPT_ALLOW },
	{ "reuse",	no_argument,		NULL, OPT_REUSE },
	{ "max-size",	required_argument,	NULL, OPT_MAX_SIZE },
	{ "buffer",	required_argument,	NULL, OPT_BUFFER },
	{ "port-file",	required_argument,	NULL, OPT_PORT_FILE },
	{ "stats",	no_argument,		NULL, OPT_STATS },
	{ "progress",	no_argument,		NULL, OPT_PROGRESS },
	{ NULL,		0,			NULL, 0 }
};

static void
usage(void)
{
	printf("usage: udpcat listen [options] [ADDRESS] PORT\n"
	    "\n"
	    "Receive datagrams on PORT (0: any free port) from every sender "
	    "and write\neach one out as a record, in arrival order.\n"
	    "\n"
	    "  -4, -6                 IPv4 or IPv6 only "
	    "(default: both)\n"
	    "  -e, --encoding ENC     raw, text, hex or base64 "
	    "(default raw; text on a tty)\n"
	    "  -F, --framing MODE     line, nul, none or length "
	    "(default line)\n"
	    "      --json             one JSON object per datagram\n"
	    "  -P, --show-peer        prefix records with ADDRESS:PORT\n"
	    "  -n, --count N          exit after N datagrams\n"
	    "  -w, --timeout DURATION exit when no datagram came for "
	    "DURATION\n"
	    "      --until DATA       exit after a datagram equal to DATA\n"
	    "      --echo             send each datagram back to its sender\n"
	    "      --reply DATA       answer each datagram with DATA\n"
	    "      --join GROUP[@SOURCE]  join a multicast group "
	    "(repeatable)\n"
	    "  -I, --interface NAME   receive on this interface only\n"
	    "      --allow PREFIX     accept only these senders "
	    "(repeatable)\n"
	    "      --reuse            share the port with other sockets\n"
	    "      --max-size N       cut datagrams longer than N bytes "
	    "(default 65535)\n"
	    "      --buffer BYTES     socket receive buffer size\n"
	    "      --port-file FILE   write the bound port to FILE\n"
	    "      --stats            print a summary at exit\n"
	    "      --progress         show live counters\n"
	    "  -v, --verbose          print diagnostics\n"
	    "  -h, --help             show this help\n"
	    "\nDURATION: a number with an optional unit ms, s or m "
	    "(250ms, 1.5, 2m).\n");
}

/* Adds an --allow prefix, or exits with a usage error. */
static void
add_allow(struct listen_opts *o, const char *arg)
{
	struct prefix *p;
	const char *why;

	if (o->nallow == MAX_ALLOW)
		die_usage("too many --allow prefixes (at most %d)", MAX_ALLOW);
	p = &o->allow[o->nallow++];
	if (parse_prefix(arg, &p->family, p->addr, &p->len, &why) == -1)
		die_usage("invalid prefix '%s' for --allow: %s", arg, why);
}

/* Parses one option; returns 0, or -1 for the end of the options. */
static void
parse_opt(struct listen_opts *o, int c, char **argv)
{
	switch (c) {
	case '4':
	case '6':
		o->family = opt_family(o->family, c);
		break;
	case 'e':
		o->enc = opt_encoding(optarg);
		o->enc_set = 1;
		break;
	case 'F':
		if (frame_parse_out(optarg, &o->framing) == -1)
			die_usage("unknown framing '%s': use line, nul, none or "
			    "length", optarg);
		o->framing_set = 1;
		break;
	case 'P':
		o->show_peer = 1;
		break;
	case 'n':
		o->count = opt_number("--count", optarg, 1, UINT32_MAX);
		break;
	case 'w':
		o->timeout_ms = opt_duration("--timeout", optarg);
		o->timeout_set = 1;
		break;
	case 'I':
		o->ifname = optarg;
		break;
	case 'v':
		o->verbose = 1;
		break;
	case 'h':
		usage();
		exit(EXIT_OK);
	case OPT_JSON:
		o->json = 1;
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
	case OPT_ALLOW:
		add_allow(o, optarg);
		break;
	case OPT_REUSE:
		o->reuse = 1;
		break;
	case OPT_MAX_SIZE:
		o->max_size = opt_number("--max-size", optarg, 1, 65535);
		break;
	case OPT_BUFFER:
		o->buffer = opt_number("--buffer", optarg, 1024, 1U << 30);
		break;
	case OPT_PORT_FILE:
		o->port_file = optarg;
		break;
	case OPT_STATS:
		o->stats = 1;
		break;
	case OPT_PROGRESS:
		o->progress = 1;
		break;
	default:
		opt_error(c, argv);
	}
}

/* Checks the operands and the options that exclude each other. */
static void
check_opts(struct listen_opts *o, int argc, char **argv)
{
	if (argc < 1)
		die_usage("missing PORT");
	if (argc > 2)
		die_usage("too many operands: '%s'", argv[2]);
	if (argc == 2)
		o->address = argv[0];
	o->port = opt_port(argv[argc - 1], 1);
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
	return o->show_peer || o->json || o->nallow > 0 || o->echo ||
	    o->reply != NULL || o->stats || o->verbose || o->max_size < 65535;
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
	const unsigned char *a;
	int family = sa->sa_family, i;
	unsigned full, rest;

	if (o->nallow == 0)
		return 1;
	if (family == AF_INET)
		a = (const unsigned char *)
		    &((const struct sockaddr_in *)sa)->sin_addr;
	else {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)sa)->sin6_addr;

		a = a6->s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			a += 12;
		}
	}
	for (i = 0; i < o->nallow; i++) {
		const struct prefix *p = &o->allow[i];

		if (p->family != family)
			continue;
		full = p->len / 8;
		rest = p->len % 8;
		if (memcmp(a, p->addr, full) != 0)
			continue;
		if (rest == 0 || ((a[full] ^ p->addr[full]) &
		    (0xff << (8 - rest))) == 0)
			return 1;
	}
	return 0;
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

	if (endp_is_self(&l->ep, d->from)) {
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

/* Opens, binds and sets up the listening socket; 0 or an exit status. */
static int
setup(struct listener *l)
{
	const struct listen_opts *o = l->o;
	struct endp_conf c;
	int rc, gro;
	long rcvbuf;

	memset(&c, 0, sizeof(c));
	c.family = o->family;
	c.ifname = o->ifname;
	c.reuse = o->reuse;
	if ((rc = endp_listen(&l->ep, &c, o->address, o->port,
	    wildcard_family(o))) != 0 ||
	    (rc = join_groups(l->ep.fd, o, l->ep.family)) != 0)
		return rc;
	if ((rcvbuf = sock_rcvbuf(l->ep.fd, o->buffer)) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot set the receive buffer: %s",
		    strerror(errno));
	gro = sock_rx_gro(l->ep.fd, &l->rx.rx);
	if (o->json && sock_rx_timestamps(l->ep.fd) == -1 && o->verbose)
		note("no kernel timestamps: JSON times are when udpcat read");
	if (o->verbose) {
		note("listening on %s", l->ep.name);
		note("receive buffer %ld bytes, GRO %s", rcvbuf,
		    gro ? "on" : "off");
	}
	l->st.drops_fd = l->ep.fd;
	l->st.drops_floor = gro;
	/* After resolving, which SIGINT must still be able to cut short. */
	signals_install();
	if (o->port_file != NULL)
		return write_port_file(o->port_file,
		    ntohs(((struct sockaddr_in *)&l->ep.local.ss)->sin_port));
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
	if (l->self > 1)
		warning("%llu datagrams from the listener's own address were "
		    "not answered", (unsigned long long)l->self);
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

int
cmd_listen(int argc, char **argv)
{
	struct listen_opts o;
	struct listener l;
	int c, status;

	memset(&o, 0, sizeof(o));
	o.family = AF_UNSPEC;
	o.framing = OUT_LINE;
	o.max_size = 65535;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1)
		parse_opt(&o, c, argv);
	check_opts(&o, argc - optind, argv + optind);

	memset(&l, 0, sizeof(l));
	l.o = &o;
	endp_init(&l.ep);
	l.pr.fd = -1;
	status = listen_run(&l);
	printer_free(&l.pr);
	recv_free(&l.rx);
	stats_free(&l.st);
	free(l.d.until);
	free(l.d.reply);
	endp_close(&l.ep);
	return status;
}
