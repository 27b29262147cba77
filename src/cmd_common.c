/* cmd_common.c: what the commands share: messages, signals, clock, output. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include "cmd.h"
#include "parse.h"
#include "udpcat.h"

#define PEERSET_MAX	65536	/* distinct senders counted exactly */
#define WARN_TRUNC_MAX	10	/* truncation warnings before we go quiet */
#define CLEANUP_MAX	8
#define DIRECT_MIN	512	/* raw payloads written where they lie */

const char *cmd_name;
volatile sig_atomic_t cmd_signal;

struct peerset {
	uint64_t	slot[PEERSET_MAX * 2];
	uint64_t	n;
	int		full;
};

static void	vmsg(const char *, const char *, va_list, int)
		    __attribute__((format(printf, 2, 0)));

/*
 * Keeps a message on one line: the words it quotes come from the user or
 * the network, and a control character there (a newline, an escape
 * sequence) would split or disguise it.  They become '?'.
 */
static void
one_line(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/*
 * Prints "udpcat: COMMAND: KIND MESSAGE" on one line; with usage, the
 * pointer to the command's --help follows.
 */
static void
vmsg(const char *kind, const char *fmt, va_list ap, int usage)
{
	char line[1024], help[64] = "";

	vsnprintf(line, sizeof(line), fmt, ap);
	one_line(line);
	if (usage)
		snprintf(help, sizeof(help), " (see 'udpcat %s%s--help')",
		    cmd_name != NULL ? cmd_name : "", cmd_name != NULL ?
		    " " : "");
	if (cmd_name != NULL)
		fprintf(stderr, "udpcat: %s: %s%s%s\n", cmd_name, kind, line,
		    help);
	else
		fprintf(stderr, "udpcat: %s%s%s\n", kind, line, help);
}

void
die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap, 0);
	va_end(ap);
	exit(status);
}

void
die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap, 1);
	va_end(ap);
	exit(EXIT_USAGE);
}

void
warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap, 0);
	va_end(ap);
}

void
note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap, 0);
	va_end(ap);
}

static int closed_stdio;	/* bit fd set: fd was closed at start */

int
stdio_reserve(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* open() returns the lowest free number: this one. */
		if (open("/dev/null", O_RDWR) != fd)
			return -1;
		closed_stdio |= 1 << fd;
	}
	return 0;
}

int
stdio_closed(int fd)
{
	return (closed_stdio >> fd) & 1;
}

static struct {
	void	(*fn)(void *);
	void	*arg;
} cleanups[CLEANUP_MAX];
static int ncleanups;

void
cleanup_run(void)
{
	while (ncleanups > 0) {
		ncleanups--;
		cleanups[ncleanups].fn(cleanups[ncleanups].arg);
	}
}

void
cleanup_push(void (*fn)(void *), void *arg)
{
	static int registered;

	if (!registered && atexit(cleanup_run) == 0)
		registered = 1;
	if (ncleanups == CLEANUP_MAX)
		abort();	/* a programming error, not a user's */
	cleanups[ncleanups].fn = fn;
	cleanups[ncleanups++].arg = arg;
}

static void
on_signal(int sig)
{
	if (cmd_signal == 0)
		cmd_signal = sig;
}

/* The signal mask while waiting: SIGINT and SIGTERM let through. */
static sigset_t wait_mask;
static int signals_on;

void
signals_install(void)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: waits return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Held back everywhere but inside wait_fds(), which lets them in
	 * atomically: one that comes between a look at cmd_signal and the
	 * wait then ends the wait, instead of being noticed only after it.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	signals_on = 1;
}

int
signal_check(void)
{
	sigset_t pending;

	if (signals_on && sigpending(&pending) == 0 &&
	    (sigismember(&pending, SIGINT) == 1 ||
	    sigismember(&pending, SIGTERM) == 1))
		(void)wait_fds(NULL, 0, 0);	/* lets it in: the handler runs */
	return cmd_signal;
}

int
wait_fds(struct pollfd *fds, nfds_t n, int64_t ns)
{
	struct timespec ts;

	ts.tv_sec = ns < 0 ? 0 : (time_t)(ns / 1000000000);
	ts.tv_nsec = ns < 0 ? 0 : (long)(ns % 1000000000);
	return ppoll(fds, n, ns < 0 ? NULL : &ts, signals_on ? &wait_mask :
	    NULL);
}

int
shortage_wait(unsigned *waits)
{
	struct timespec ms = { 0, 1000000 };

	if (++*waits > 10000)
		return -1;
	nanosleep(&ms, NULL);
	return 0;
}

/* Exits with a usage error when a numeric address and family disagree. */
static void
check_family(const char *what, const char *host, enum host_kind kind,
    int family)
{
	if (kind == HOST_IPV4 && family == AF_INET6)
		die_usage("%s '%s' is IPv4, but -6 was given", what, host);
	if (kind == HOST_IPV6 && family == AF_INET)
		die_usage("%s '%s' is IPv6, but -4 was given", what, host);
}

void
resolve(const char *what, const char *host, uint16_t port, int family,
    int passive, struct endpoint *ep)
{
	char buf[NI_MAXHOST];
	const char *why;
	enum host_kind kind;
	int rc;

	if (parse_host(host, &kind, buf, sizeof(buf), &why) == -1)
		die_usage("invalid %s '%s': %s", what, host, why);
	check_family(what, host, kind, family);
	rc = sock_resolve(buf, port, family, passive, ep);
	if (rc != 0 && kind != HOST_NAME)
		die_usage("invalid %s '%s': %s", what, host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	if (rc != 0)
		die(EXIT_RUNTIME, "cannot resolve '%s': %s", host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	if (ep->ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ep->ss;

		if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr) &&
		    s6->sin6_scope_id == 0)
			die_usage("link-local %s '%s' needs a scope, as in "
			    "'%s%%eth0'", what, host, buf);
	}
}

uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
now_us(void)
{
	return now_ns() / 1000;
}

uint64_t
now_ms(void)
{
	return now_ns() / 1000000;
}

/* A 64-bit key for a sender: its address and port, IPv4-mapped as IPv4. */
static uint64_t
peer_key(const struct sockaddr *sa)
{
	unsigned char b[18];
	const unsigned char *p = b;
	uint64_t h = 14695981039346656037ULL;
	size_t i, n;

	memset(b, 0, sizeof(b));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		memcpy(b + 12, &s4->sin_addr, 4);
		memcpy(b + 16, &s4->sin_port, 2);
		b[10] = b[11] = 0xff;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		memcpy(b, &s6->sin6_addr, 16);
		memcpy(b + 16, &s6->sin6_port, 2);
	}
	for (i = 0, n = sizeof(b); i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h == 0 ? 1 : h;
}

void
stats_init(struct stats *st, int enabled, int progress)
{
	memset(st, 0, sizeof(*st));
	st->start_us = now_us();
	st->enabled = enabled;
	st->progress = progress;
	st->drops_fd = -1;
	if (enabled && (st->peers = calloc(1, sizeof(*st->peers))) == NULL)
		die(EXIT_RUNTIME, "out of memory");
}

void
stats_peer(struct stats *st, const struct sockaddr *sa)
{
	struct peerset *ps = st->peers;
	uint64_t k;
	size_t i, mask = PEERSET_MAX * 2 - 1;

	if (ps == NULL || ps->full)
		return;
	k = peer_key(sa);
	for (i = k & mask; ps->slot[i] != 0; i = (i + 1) & mask)
		if (ps->slot[i] == k)
			return;
	ps->slot[i] = k;
	if (++ps->n == PEERSET_MAX)
		ps->full = 1;
}

/* The kernel's drop count for the listening socket: "12", "12+", "?". */
static void
stats_drops(const struct stats *st, char *buf, size_t size)
{
	uint32_t drops;

	if (st->drops_fd < 0 || sock_drops(st->drops_fd, &drops) == -1)
		snprintf(buf, size, "unknown");
	else
		snprintf(buf, size, "%u%s", (unsigned)drops,
		    st->drops_floor && drops > 0 ? "+" : "");
}

void
stats_progress(struct stats *st, int force)
{
	char drops[32];
	uint64_t t;

	if (!st->progress)
		return;
	t = now_ms();
	if (!force && t - st->last_draw_ms < 100)
		return;
	st->last_draw_ms = t;
	if (st->drops_fd < 0) {
		fprintf(stderr, "\rudpcat: %s: %llu datagrams sent, %llu bytes,"
		    " %llu replies ", cmd_name, (unsigned long long)st->dgrams,
		    (unsigned long long)st->bytes,
		    (unsigned long long)st->replies);
		return;
	}
	stats_drops(st, drops, sizeof(drops));
	fprintf(stderr, "\rudpcat: %s: %llu datagrams, %llu bytes, %s dropped ",
	    cmd_name, (unsigned long long)st->dgrams,
	    (unsigned long long)st->bytes, drops);
}

void
stats_print(struct stats *st, int sending)
{
	double secs = (double)(now_us() - st->start_us) / 1e6;
	double rate = secs > 0 ? (double)st->dgrams / secs : 0.0;
	char drops[32], peers[32];

	if (st->progress) {
		stats_progress(st, 1);
		fputc('\n', stderr);
	}
	if (!st->enabled)
		return;
	if (sending) {
		note("%llu datagrams sent, %llu bytes, %llu replies, %.6f s, "
		    "%.2f datagrams/s", (unsigned long long)st->dgrams,
		    (unsigned long long)st->bytes,
		    (unsigned long long)st->replies, secs, rate);
		return;
	}
	stats_drops(st, drops, sizeof(drops));
	if (st->peers == NULL)
		snprintf(peers, sizeof(peers), "unknown");
	else
		snprintf(peers, sizeof(peers), "%llu%s",
		    (unsigned long long)st->peers->n, st->peers->full ? "+" : "");
	note("%llu datagrams, %llu bytes, %s senders, %llu truncated, "
	    "%llu filtered, %s dropped, %.6f s, %.2f datagrams/s",
	    (unsigned long long)st->dgrams, (unsigned long long)st->bytes,
	    peers, (unsigned long long)st->truncated,
	    (unsigned long long)st->filtered, drops, secs, rate);
}

void
stats_free(struct stats *st)
{
	free(st->peers);
	st->peers = NULL;
}

void
rx_dgram(const struct rxbatch *rx, unsigned i, const struct timespec *now,
    struct dgram *d)
{
	d->data = rx->data + (size_t)i * rx->size;
	d->size = rx->msg[i].msg_len;
	d->len = d->size < rx->size ? d->size : rx->size;
	d->from = (const struct sockaddr *)&rx->from[i];
	d->fromlen = rx->msg[i].msg_hdr.msg_namelen;
	d->time = rx->ts[i].tv_sec != 0 ? rx->ts[i] : *now;
}

/* True when sb (of standard output) is /dev/null itself. */
static int
is_dev_null(const struct stat *sb)
{
	struct stat null;

	return S_ISCHR(sb->st_mode) && stat("/dev/null", &null) == 0 &&
	    S_ISCHR(null.st_mode) && sb->st_rdev == null.st_rdev;
}

void
printer_init(struct printer *p, enum encoding enc, int enc_set,
    enum out_framing framing, int json, int show_peer)
{
	struct stat sb;
	size_t cap;

	memset(p, 0, sizeof(*p));
	if (stdio_closed(STDOUT_FILENO))
		die(EXIT_RUNTIME, "cannot write to standard output: it is "
		    "closed");
	if (json) {
		if (enc_set && enc == ENC_RAW)
			die_usage("--json cannot carry raw bytes: use -e base64,"
			    " hex or text");
		if (!enc_set)
			enc = ENC_BASE64;
	} else if (framing == OUT_LENGTH) {
		if (enc_set && enc != ENC_RAW)
			die_usage("-F length writes raw bytes: it does not take "
			    "-e %s", enc_name(enc));
		enc = ENC_RAW;
	} else if (!enc_set)
		enc = isatty(STDOUT_FILENO) ? ENC_TEXT : ENC_RAW;
	if (show_peer && !json && (framing == OUT_NONE ||
	    framing == OUT_LENGTH))
		die_usage("-P needs line or nul framing");
	p->fmt.enc = enc;
	p->fmt.framing = framing;
	p->fmt.json = json;
	p->fmt.show_peer = show_peer;
	cap = out_record_max(&p->fmt, 65535);
	if (cap < (1 << 20))
		cap = 1 << 20;
	if (obuf_init(&p->out, STDOUT_FILENO, cap) == -1)
		die(EXIT_RUNTIME, "cannot allocate the output buffer: %s",
		    strerror(errno));
	p->watch_pipe = fstat(STDOUT_FILENO, &sb) == 0 && S_ISFIFO(sb.st_mode);
	p->discard = is_dev_null(&sb);
	p->direct = enc == ENC_RAW && !json && !show_peer &&
	    framing != OUT_LENGTH;
}

/* Exits for a failed write to standard output. */
static void
output_failed(void)
{
	if (errno == EPIPE)
		exit(EXIT_SIGNAL + SIGPIPE);
	die(EXIT_RUNTIME, "cannot write to standard output: %s",
	    strerror(errno));
}

/*
 * Queues a raw payload where it lies in the receive buffer (valid until
 * the flush that follows each batch), and its delimiter: no copy.
 */
static void
put_direct(struct printer *p, const struct dgram *d)
{
	char *dst;

	if (obuf_put(&p->out, d->data, d->len) == -1)
		output_failed();
	if (p->fmt.framing == OUT_NONE)
		return;
	if ((dst = obuf_reserve(&p->out, 1)) == NULL)
		output_failed();
	*dst = p->fmt.framing == OUT_NUL ? '\0' : '\n';
	obuf_commit(&p->out, 1);
}

void
printer_put(struct printer *p, const struct dgram *d)
{
	char peer[PEER_MAX], *dst;

	if (d->size > d->len) {
		if (p->truncated_warned < WARN_TRUNC_MAX) {
			if (out_peer(d->from, d->fromlen, peer) < 0)
				snprintf(peer, sizeof(peer), "?");
			warning("datagram from %s truncated: %zu bytes, kept "
			    "%zu (see --max-size)", peer, d->size, d->len);
		} else if (p->truncated_warned == WARN_TRUNC_MAX)
			warning("more datagrams truncated; see --stats");
		p->truncated_warned++;
	}
	if (p->direct && d->len >= DIRECT_MIN) {
		put_direct(p, d);
		return;
	}
	if ((dst = obuf_reserve(&p->out, out_record_max(&p->fmt,
	    d->len))) == NULL)
		output_failed();
	obuf_commit(&p->out, out_format(&p->fmt, d, dst));
}

void
printer_flush(struct printer *p)
{
	/* Writing to /dev/null is a system call that changes nothing. */
	if (p->discard) {
		p->out.len = 0;
		p->out.n = 0;
	} else if (obuf_flush(&p->out) == -1)
		output_failed();
}

void
printer_check_pipe(struct printer *p, short revents)
{
	if (p->watch_pipe && (revents & (POLLERR | POLLHUP)))
		exit(EXIT_SIGNAL + SIGPIPE);
}

void
printer_free(struct printer *p)
{
	obuf_free(&p->out);
}

void
exit_on_signal(struct printer *p, struct stats *st, int sending)
{
	if (p != NULL)
		printer_flush(p);
	if (st != NULL)
		stats_print(st, sending);
	exit(EXIT_SIGNAL + cmd_signal);
}
