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
		add_allow(o, optarg);
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
			die_usage("unknown framing '%s': use line, nul, none or "
			    "length", optarg);
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

/* Decodes a DATA option value with the encoding given by -e (raw if none). */
static unsigned char *
decode_opt(const struct listen_opts *o, const char *opt, const char *arg,
    size_t *len)
{
	enum encoding e = o->enc_set ? o->enc : ENC_RAW;
	size_t n = strlen(arg);
	struct enc_error err;
	unsigned char *buf;
	long got;

	if ((buf = malloc(enc_decoded_max(e, n) + 1)) == NULL)
		die(EXIT_RUNTIME, "out of memory");
	if ((got = enc_decode(e, arg, n, buf, &err)) < 0) {
		free(buf);
		die_usage("invalid %s value for %s: %s at offset %zu",
		    enc_name(e), opt, err.what, err.offset);
	}
	if ((size_t)got > MAX_DGRAM6) {
		free(buf);
		die(EXIT_USAGE, "%s value is too large: %ld bytes, at most %d",
		    opt, got, MAX_DGRAM6);
	}
	*len = (size_t)got;
	return buf;
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

/* Exits with a message that says why binding failed and what to do. */
static void
bind_failed(const struct listen_opts *o)
{
	if (errno == EADDRINUSE)
		die(EXIT_RUNTIME, "cannot bind to port %u: address already in "
		    "use (--reuse shares it)", (unsigned)o->port);
	if (errno == EACCES && o->port < 1024)
		die(EXIT_RUNTIME, "cannot bind to port %u: permission denied "
		    "(ports below 1024 need root or CAP_NET_BIND_SERVICE)",
		    (unsigned)o->port);
	die(EXIT_RUNTIME, "cannot bind to port %u: %s", (unsigned)o->port,
	    strerror(errno));
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

/* Sets the options that must come before bind(). */
static void
presocket(int fd, const struct listen_opts *o, int family, int dual)
{
	int on = 1, off = 0;

	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
	    dual ? &off : &on, sizeof(int)) == -1)
		die(EXIT_RUNTIME, "cannot set IPV6_V6ONLY: %s", strerror(errno));
	if (o->reuse && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)) == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on,
	    sizeof(on)) == -1))
		die(EXIT_RUNTIME, "cannot set --reuse: %s", strerror(errno));
	if (o->ifname != NULL && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE,
	    o->ifname, (socklen_t)strlen(o->ifname)) == -1)
		die(EXIT_RUNTIME, "cannot bind to interface '%s': %s",
		    o->ifname, strerror(errno));
}

/*
 * Opens the listening socket into *fdp, where the cleanup finds it
 * whatever fails next, and binds it.
 */
static void
open_socket(const struct listen_opts *o, int *fdp)
{
	struct endpoint ep;
	int family, dual = 0, probe;

	if (o->address != NULL) {
		resolve("address", o->address, o->port, o->family, 1, &ep);
		family = ep.ss.ss_family;
	} else {
		family = wildcard_family(o);
		dual = family == AF_INET6 && o->family == AF_UNSPEC;
		if (dual && (probe = sock_open(AF_INET6)) == -1 &&
		    errno == EAFNOSUPPORT) {
			family = AF_INET;	/* a kernel without IPv6 */
			dual = 0;
		} else if (dual && probe >= 0)
			close(probe);
		resolve("address", family == AF_INET ? "0.0.0.0" : "::",
		    o->port, family, 1, &ep);
	}
	if ((*fdp = sock_open(family)) == -1)
		die(EXIT_RUNTIME, "cannot open a socket: %s", strerror(errno));
	presocket(*fdp, o, family, dual);
	if (bind(*fdp, (struct sockaddr *)&ep.ss, ep.len) == -1)
		bind_failed(o);
}

/* Joins every --join group. */
static void
join_groups(int fd, const struct listen_opts *o, int family)
{
	struct endpoint group, source;
	char buf[256], *at;
	int i;

	if (o->njoin > 0 && sock_only_joined(fd, family) == -1)
		die(EXIT_RUNTIME, "cannot set IP_MULTICAST_ALL: %s",
		    strerror(errno));
	for (i = 0; i < o->njoin; i++) {
		if ((size_t)snprintf(buf, sizeof(buf), "%s", o->join[i]) >=
		    sizeof(buf))
			die_usage("--join '%.40s...' is too long", o->join[i]);
		if ((at = strchr(buf, '@')) != NULL)
			*at++ = '\0';
		resolve("group", buf, 0, family == AF_INET ? AF_INET :
		    AF_UNSPEC, 0, &group);
		if (!sock_is_multicast(&group))
			die_usage("'%s' is not a multicast group", buf);
		if (at != NULL)
			resolve("source", at, 0, group.ss.ss_family, 0,
			    &source);
		if (sock_join(fd, &group, at != NULL ? &source : NULL,
		    o->ifindex) == -1)
			die(EXIT_RUNTIME, "cannot join '%s': %s", o->join[i],
			    strerror(errno));
	}
}

/* Writes the port and LF to the --port-file, atomically by rename. */
static void
write_port_file(const char *path, unsigned port)
{
	char tmp[4096];
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path,
	    (long)getpid()) >= sizeof(tmp))
		die_usage("port file name '%s' is too long", path);
	if ((f = fopen(tmp, "w")) == NULL)
		die(EXIT_RUNTIME, "cannot create '%s': %s", tmp,
		    strerror(errno));
	fprintf(f, "%u\n", port);
	if (fclose(f) == EOF) {
		unlink(tmp);
		die(EXIT_RUNTIME, "cannot write '%s': %s", tmp,
		    strerror(errno));
	}
	if (rename(tmp, path) == -1) {
		unlink(tmp);
		die(EXIT_RUNTIME, "cannot rename '%s' to '%s': %s", tmp, path,
		    strerror(errno));
	}
}

/* Sets up the listener's socket and says where it listens. */
static void
setup(const struct listen_opts *o, struct rxbatch *rx, int *fdp)
{
	struct endpoint ep;
	char where[PEER_MAX];
	int fd, gro;
	long rcvbuf;

	open_socket(o, fdp);
	fd = *fdp;
	if (sock_local(fd, &ep) == -1)
		die(EXIT_RUNTIME, "cannot read the bound port: %s",
		    strerror(errno));
	join_groups(fd, o, ep.ss.ss_family);
	if ((rcvbuf = sock_rcvbuf(fd, o->buffer)) == -1)
		die(EXIT_RUNTIME, "cannot set the receive buffer: %s",
		    strerror(errno));
	gro = sock_rx_gro(fd, rx);
	if (o->json && sock_rx_timestamps(fd) == -1 && o->verbose)
		note("no kernel timestamps: JSON times are when udpcat read");

	if (out_peer((struct sockaddr *)&ep.ss, ep.len, where) < 0)
		snprintf(where, sizeof(where), "?");
	if (o->verbose) {
		note("listening on %s", where);
		note("receive buffer %ld bytes, GRO %s", rcvbuf,
		    gro ? "on" : "off");
	}
	/* After resolving, which SIGINT must still be able to cut short. */
	signals_install();
	if (o->port_file != NULL)
		write_port_file(o->port_file,
		    ntohs(((struct sockaddr_in *)&ep.ss)->sin_port));
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

/* The state of a running listener. */
struct listener {
	const struct listen_opts *o;
	struct listen_data	 d;
	int			 fd;
	struct rxbatch		 rx;
	struct printer		 pr;
	struct stats		 st;
	uint64_t		 reply_failed;
	int			 done;		/* --count or --until met */
	unsigned		 want;		/* datagrams to ask for */
};

/* Sends the --echo or --reply answer to one datagram's sender. */
static void
answer(struct listener *l, const struct dgram *d)
{
	const void *buf = l->o->echo ? (const void *)d->data : l->d.reply;
	size_t len = l->o->echo ? d->len : l->d.reply_len;

	while (sendto(l->fd, buf, len, 0, d->from, d->fromlen) == -1) {
		if (errno == EINTR && cmd_signal == 0)
			continue;
		if (l->reply_failed++ == 0)
			warning("cannot answer a datagram: %s (counted in "
			    "--stats)", strerror(errno));
		return;
	}
	l->st.replies++;
}

/* Handles one datagram: filters, answers, writes it out. */
static void
handle(struct listener *l, struct dgram *d)
{
	const struct listen_opts *o = l->o;

	if (!allowed(o, d->from)) {
		l->st.filtered++;
		return;
	}
	l->st.dgrams++;
	l->st.bytes += d->size;
	l->st.truncated += d->size > d->len;
	stats_peer(&l->st, d->from);
	if (o->echo || o->reply != NULL)
		answer(l, d);
	if (o->until != NULL && d->len == l->d.until_len &&
	    d->size == d->len && memcmp(d->data, l->d.until, d->len) == 0) {
		l->done = 1;
		return;
	}
	printer_put(&l->pr, d);
	if (o->count != 0 && l->st.dgrams >= o->count)
		l->done = 1;
}

/*
 * Handles buffer i of the batch just received: one datagram, or with GRO
 * several from one sender, each rx->seg[i] bytes but the last.
 */
static void
handle_buffer(struct listener *l, unsigned i, const struct timespec *now)
{
	struct dgram d;
	const unsigned char *data;
	size_t size, seg = l->rx.seg[i], off;

	rx_dgram(&l->rx, i, now, &d);
	if (seg == 0) {
		handle(l, &d);
		return;
	}
	data = d.data;
	size = d.size;
	for (off = 0; off < size && !l->done; off += seg) {
		d.data = data + off;
		d.size = d.len = size - off < seg ? size - off : seg;
		handle(l, &d);
	}
}

/*
 * Sizes the next batch: it doubles while batches come back full and
 * shrinks to what came, so that a trickle (a request, an answer) does not
 * make the kernel look at an empty queue again in every call.
 */
static void
adapt(struct listener *l, unsigned got, unsigned asked)
{
	if (got < asked)
		l->want = got > 0 ? got : 1;
	else if (l->want < SOCK_BATCH)
		l->want = l->want * 2 > SOCK_BATCH ? SOCK_BATCH : l->want * 2;
}

/*
 * Receives and writes out every datagram waiting; returns how many.  It
 * stops at a signal, except with final, which reads (at most
 * FINAL_BATCHES batches) what had arrived before the signal came.
 */
static int
drain(struct listener *l, int final)
{
	struct timespec now;
	unsigned want, i, batches = 0, nobufs = 0;
	int n, total = 0;

	while (!l->done && (final ? batches++ < FINAL_BATCHES :
	    cmd_signal == 0)) {
		want = l->want;
		if (l->o->count != 0 && l->o->count - l->st.dgrams < want)
			want = (unsigned)(l->o->count - l->st.dgrams);
		if ((n = sock_rx(l->fd, &l->rx, want)) == -1) {
			if (errno == EINTR)
				continue;
			/* Kernel memory runs short for a moment: wait. */
			if (errno == ENOBUFS && shortage_wait(&nobufs) == 0)
				continue;
			die(EXIT_RUNTIME, "cannot receive: %s", strerror(errno));
		}
		nobufs = 0;
		adapt(l, (unsigned)n, want);
		if (n == 0)
			break;
		clock_gettime(CLOCK_REALTIME, &now);
		for (i = 0; i < (unsigned)n && !l->done; i++)
			handle_buffer(l, i, &now);
		printer_flush(&l->pr);
		stats_progress(&l->st, 0);
		total += n;
		/* A short batch emptied the queue: wait rather than ask. */
		if ((unsigned)n < want && !final)
			break;
		/* A flood never waits, where signals get in: look. */
		if (!final)
			(void)signal_check();
	}
	return total;
}

/* Finishes: flushes, prints --stats and returns the exit status. */
static int
finish(struct listener *l, int status)
{
	printer_flush(&l->pr);
	stats_print(&l->st, 0);
	if (l->st.truncated > 0 && l->pr.truncated_warned > 10)
		warning("%llu datagrams were truncated in all",
		    (unsigned long long)l->st.truncated);
	if (l->reply_failed > 0)
		warning("%llu answers could not be sent",
		    (unsigned long long)l->reply_failed);
	cleanup_run();
	return status;
}

/* The poll() timeout: what is left of --timeout, and the progress tick. */
static int
wait_ms(const struct listener *l, uint64_t last)
{
	uint64_t t, left;
	int ms = -1;

	if (l->o->timeout_set) {
		t = now_ms();
		left = t - last >= l->o->timeout_ms ? 0 :
		    l->o->timeout_ms - (t - last);
		ms = left > 1000000000 ? 1000000000 : (int)left;
	}
	if (l->o->progress && (ms < 0 || ms > 100))
		ms = 100;
	return ms;
}

/*
 * Waits for datagrams (up to ms milliseconds, -1 for ever) and writes
 * them out; returns how many.  With standard output a pipe it also
 * watches for the pipe's reader going away.
 */
static int
receive_wait(struct listener *l, int ms)
{
	struct pollfd pfd[2];
	int r;

	pfd[0].fd = l->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = STDOUT_FILENO;
	pfd[1].events = 0;
	r = wait_fds(pfd, l->pr.watch_pipe ? 2 : 1,
	    ms < 0 ? -1 : (int64_t)ms * 1000000);
	if (r == -1 && errno != EINTR)
		die(EXIT_RUNTIME, "poll: %s", strerror(errno));
	if (r <= 0)
		return 0;
	printer_check_pipe(&l->pr, pfd[1].revents);
	return drain(l, 0);
}

/* The receive loop; returns the exit status. */
static int
run(struct listener *l)
{
	uint64_t last = now_ms();

	for (;;) {
		if (cmd_signal != 0) {
			/* What waits in the socket came before the signal. */
			(void)drain(l, 1);
			exit_on_signal(&l->pr, &l->st, 0);
		}
		if (l->done)
			return finish(l, EXIT_OK);
		if (l->o->timeout_set && now_ms() - last >= l->o->timeout_ms)
			break;
		if (receive_wait(l, wait_ms(l, last)) > 0)
			last = now_ms();
		stats_progress(&l->st, 0);
	}
	/* --timeout: success only when something came and --count is met. */
	if (l->st.dgrams == 0 || (l->o->count != 0 &&
	    l->st.dgrams < l->o->count))
		return finish(l, EXIT_TIMEOUT);
	return finish(l, EXIT_OK);
}

/* Frees what a listener holds; it runs however the command ends. */
static void
listener_free(void *arg)
{
	struct listener *l = arg;

	printer_free(&l->pr);
	sock_rx_free(&l->rx);
	stats_free(&l->st);
	free(l->d.until);
	free(l->d.reply);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

int
cmd_listen(int argc, char **argv)
{
	static struct listen_opts o;
	static struct listener l;
	struct opt_parser op;
	int id;

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
	l.fd = -1;
	l.want = SOCK_BATCH;
	cleanup_push(listener_free, &l);
	printer_init(&l.pr, o.enc, o.enc_set, o.framing, o.json, o.show_peer);
	if (o.until != NULL)
		l.d.until = decode_opt(&o, "--until", o.until, &l.d.until_len);
	if (o.reply != NULL)
		l.d.reply = decode_opt(&o, "--reply", o.reply, &l.d.reply_len);
	if (sock_rx_init(&l.rx, o.max_size, needs_senders(&o)) == -1)
		die(EXIT_RUNTIME, "cannot allocate receive buffers: %s",
		    strerror(errno));
	stats_init(&l.st, o.stats || o.verbose, o.progress);
	setup(&o, &l.rx, &l.fd);
	l.st.drops_fd = l.fd;
	l.st.drops_floor = l.rx.gro;
	return run(&l);
}
