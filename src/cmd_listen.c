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
#include "child.h"
#include "cmd.h"
#include "listen_opts.h"
#include "parse.h"
#include "portfile.h"
#include "talk.h"
#include "udpcat.h"

#define FINAL_BATCHES	4096	/* read after a signal: 262,144 datagrams */



/* Decoded --until and --reply payloads. */
struct listen_data {
	unsigned char	*until;
	size_t		 until_len;
	unsigned char	*reply;
	size_t		 reply_len;
};

/*
 * Decodes a DATA option value with the encoding given by -e (raw if
 * none) into *buf.  Returns 0, or an exit status after a message.
 */
static int
decode_opt(const struct listen_opts *o, const char *opt, const char *arg,
    unsigned char **buf, size_t *len)
{
	enum encoding e = o->c.enc_set ? o->c.enc : ENC_RAW;
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

	if (o->c.family != AF_UNSPEC)
		return o->c.family;
	for (i = 0; i < o->njoin; i++) {
		snprintf(group, sizeof(group), "%.*s",
		    (int)strcspn(o->join[i], "@"), o->join[i]);
		v4 += parse_ipv4(group, &a) == 0;
	}
	return o->njoin > 0 && v4 == o->njoin ? AF_INET : AF_INET6;
}

/*
 * True when anything looks at who sent a datagram: -P, --json, --allow,
 * --echo, --reply, --exec, --talk, the sender count of --stats and -v,
 * and the warning that names the sender of a truncated datagram.
 */
static int
needs_senders(const struct listen_opts *o)
{
	return o->c.show_peer || o->c.json || o->framing == OUT_PCAP ||
	    o->nallow > 0 || o->echo || o->reply != NULL || o->exec != NULL ||
	    o->talk || o->c.stats ||
	    o->c.verbose || o->max_size < 65535;
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
	struct jobs		 jobs;		/* --exec */
	uint64_t		 late;		/* came after a signal: not run */
	struct talker		 talk;		/* --talk */
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
	else if (o->exec != NULL && cmd_signal == 0)
		jobs_start(&l->jobs, d);
	else if (o->exec != NULL)
		l->late++;
	else if (o->talk)
		talk_peer(&l->talk, d);
	if (o->until != NULL && d->len == l->d.until_len &&
	    d->size == d->len && memcmp(d->data, l->d.until, d->len) == 0)
		return RUN_DONE;
	printer_put(&l->pr, d);
	if (o->c.count != 0 && l->st.dgrams >= o->c.count)
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

	if (o->nallow > 0 || o->echo || o->reply != NULL || o->exec != NULL ||
	    o->talk || o->until != NULL ||
	    (o->c.count != 0 && o->c.count - l->st.dgrams < n) ||
	    printer_put_segments(&l->pr, d, seg) == -1)
		return -1;
	l->st.dgrams += n;
	l->st.bytes += d->size;
	stats_peer(&l->st, d->from);
	return o->c.count != 0 && l->st.dgrams >= o->c.count ? RUN_DONE : RUN_MORE;
}

/*
 * What the kernel hands over with each datagram: GRO's segment size, and
 * what JSON, a capture or a command show.  Returns 0 or an exit status.
 */
static int
rx_setup(struct listener *l, long rcvbuf)
{
	const struct listen_opts *o = l->o;
	int gro;

	/* Output of the datagrams alone: a lone one is read plain. */
	if (!o->c.json && o->framing != OUT_PCAP && o->exec == NULL &&
	    l->ep.family != AF_UNIX)
		sock_rx_plain(&l->rx.rx);
	/* A command runs for each datagram: room for one means one. */
	gro = o->exec == NULL ? sock_rx_gro(l->ep.fd, &l->rx.rx) : 0;
	if (o->c.json && l->ep.family != AF_UNIX &&
	    sock_rx_info(l->ep.fd, l->ep.family, &l->rx.rx) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot ask for what datagrams "
		    "carried: %s", strerror(errno));
	if ((o->c.json || o->framing == OUT_PCAP) &&
	    sock_rx_timestamps(l->ep.fd) == -1 && o->c.verbose)
		note("no kernel timestamps: times are when udpcat read");
	/* A capture, and a command, name the address each datagram came to. */
	if ((o->framing == OUT_PCAP || o->exec != NULL) && !o->c.json &&
	    l->ep.family != AF_UNIX &&
	    sock_rx_pktinfo(l->ep.fd, &l->rx.rx) == -1 && o->c.verbose)
		note("no local addresses from the kernel: the bound one is "
		    "written");
	if (o->c.verbose) {
		note("listening on %s", l->ep.name);
		note("receive buffer %ld bytes, GRO %s", rcvbuf,
		    l->rx.rx.gro ? "on" : gro ? "on at the first full batch" :
		    "off");
	}
	return 0;
}

/* Opens, binds and sets up the listening socket; 0 or an exit status. */
static int
setup(struct listener *l)
{
	const struct listen_opts *o = l->o;
	struct endp_conf c;
	struct endpoint ep;
	long rcvbuf;
	int rc;

	memset(&c, 0, sizeof(c));
	c.family = o->c.family;
	c.ifname = o->c.ifname;
	c.reuse = o->c.reuse;
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
	if ((rcvbuf = sock_rcvbuf(l->ep.fd, o->c.buffer)) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot set the receive buffer: %s",
		    strerror(errno));
	if ((rc = rx_setup(l, rcvbuf)) != 0)
		return rc;
	l->st.drops_fd = l->ep.fd;
	l->st.drops_floor = &l->rx.rx.gro;
	/* After resolving, which SIGINT must still be able to cut short. */
	signals_install();
	if (o->exec != NULL)
		signals_children();
	if (o->c.port_file != NULL && portfile_write(o->c.port_file,
	    ntohs(((struct sockaddr_in *)&l->ep.local.ss)->sin_port)) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot write the port file '%s': "
		    "%s", o->c.port_file, strerror(errno));
	return 0;
}

/* --exec's counters: with --stats or -v, and the failures in all. */
static void
exec_report(const struct listener *l)
{
	const struct jobs *j = &l->jobs;

	if (l->st.enabled)
		note("%llu commands run, %llu replies sent, %llu failed, %llu "
		    "replies too large", (unsigned long long)j->started,
		    (unsigned long long)j->replies,
		    (unsigned long long)j->failed,
		    (unsigned long long)j->too_big);
	if (j->warned > JOBS_WARN_MAX)
		warning("%llu commands gave no reply in all",
		    (unsigned long long)j->failed);
	if (l->late > 0)
		warning("%llu datagrams came after the signal: their command "
		    "was not run", (unsigned long long)l->late);
}

/* The exit status of a listener that ran (r: how it ended). */
static int
finish(struct listener *l, enum run_end r)
{
	const struct listen_opts *o = l->o;
	uint64_t self = l->self + l->jobs.self;

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
	if (self > 0 && l->st.enabled)
		note("%llu datagrams from the listener's own address were not "
		    "answered", (unsigned long long)self);
	if (o->exec != NULL)
		exec_report(l);
	printer_report(&l->pr);
	if (r == RUN_SIGNAL)
		return EXIT_SIGNAL + cmd_signal;
	if (r == RUN_EINPUT)
		return EXIT_USAGE;
	if (r == RUN_ERROR || l->pr.err != 0)
		return EXIT_RUNTIME;
	/* --timeout: success only when something came and --count is met. */
	if (r == RUN_IDLE && (l->st.dgrams == 0 || (o->c.count != 0 &&
	    l->st.dgrams < o->c.count)))
		return EXIT_TIMEOUT;
	return EXIT_OK;
}

/* --exec and --talk: their parts, on the receiver; 0 or an exit status. */
static int
answer_init(struct listener *l)
{
	const struct listen_opts *o = l->o;
	struct tx_conf c;
	int rc;

	if (o->exec != NULL) {
		if ((rc = jobs_init(&l->jobs, o->exec, o->jobs,
		    o->exec_timeout_ms * 1000000, o->reply_framing,
		    &l->ep)) != 0)
			return rc;
		l->rx.room = &l->jobs.room;
		l->rx.hook = &l->jobs.hook;
	}
	if (o->talk) {
		memset(&c, 0, sizeof(c));
		c.enc = o->c.enc_set ? o->c.enc : ENC_RAW;
		c.inf = o->inf;
		/* JSON carries base64 unless -e says otherwise. */
		if (o->inf.mode == IN_JSON && !o->c.enc_set)
			c.enc = ENC_BASE64;
		if ((rc = talk_init(&l->talk, &l->ep, &c)) != 0)
			return rc;
		l->rx.hook = &l->talk.hook;
	}
	return 0;
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
	    (rc = printer_init(&l->pr, o->c.enc, o->c.enc_set, o->framing,
	    o->c.json, o->c.show_peer)) != 0)
		return rc;
	if (recv_init(&l->rx, &l->ep, o->max_size, needs_senders(o),
	    on_dgram, l) == -1 ||
	    stats_init(&l->st, o->c.stats || o->c.verbose, o->c.progress) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot allocate receive buffers: %s",
		    strerror(errno));
	l->rx.pr = &l->pr;
	l->rx.st = &l->st;
	l->rx.whole = on_whole;
	l->rx.counted = &l->st.dgrams;
	l->rx.limit = o->c.count;
	/* Only JSON and a capture write when a datagram came. */
	l->rx.stamp = o->c.json || o->framing == OUT_PCAP;
	if ((rc = setup(l)) != 0 || (rc = answer_init(l)) != 0)
		return rc;
	r = recv_loop(&l->rx, o->c.timeout_ms, o->c.timeout_set, o->c.progress);
	/* What waits in the socket came before the signal. */
	if (r == RUN_SIGNAL)
		(void)recv_drain(&l->rx, 1);
	if (o->exec != NULL)
		jobs_finish(&l->jobs);
	return finish(l, r);
}

int
cmd_listen(int argc, char **argv)
{
	struct listen_opts o;
	struct listener l;
	int status;

	listen_opts_parse(&o, argc, argv);

	memset(&l, 0, sizeof(l));
	l.o = &o;
	endp_init(&l.ep);
	l.pr.fd = -1;
	if ((status = listen_opts_allow(&o, argc, argv)) == 0)
		status = listen_run(&l);
	allow_free(&o.allow);
	printer_free(&l.pr);
	recv_free(&l.rx);
	stats_free(&l.st);
	if (o.exec != NULL)
		jobs_free(&l.jobs);
	if (o.talk)
		talk_free(&l.talk);
	free(l.d.until);
	free(l.d.reply);
	endp_close(&l.ep);
	return status;
}
