/*
 * ref.c: bare reference loops for udpcat's benchmark (bench/bench.py).
 *
 * These are the "what the kernel allows" baselines: no framing options, no
 * encodings, no error reporting beyond what a measurement needs.  Every
 * mode binds or sends on 127.0.0.1 only (the harness passes the address),
 * and every mode stops by itself after -t SECONDS (default 60) whatever
 * happens, so that a stuck run can never outlive the benchmark.
 *
 *   ref send    HOST PORT        stdin lines -> datagrams, sendmmsg, 64/call
 *   ref gsosend HOST PORT        stdin lines -> datagrams, runs of equal
 *                                length sent with UDP_SEGMENT (64 per send)
 *   ref flood   [-g] [-s SIZE] [-d SECS] HOST PORT
 *                                SIZE-byte datagrams as fast as possible:
 *                                sendmmsg of 64, or (-g) UDP GSO, 64
 *                                segments per message, 8 messages per call
 *   ref sink    [-g] [-o] [-P FILE]
 *                                count datagrams (recvmmsg, 256 per call,
 *                                MSG_TRUNC); -g: UDP_GRO on, segments
 *                                counted from the UDP_GRO control message
 *   ref recv    [-g] [-o] [-a] [-P FILE] [-n COUNT]
 *                                the listener reference: recvmmsg (64 per
 *                                call, 64 KiB slots like a general
 *                                listener), payloads written back to back
 *                                to stdout with one writev per batch;
 *                                -g: UDP_GRO on (super-datagrams)
 *   ref echo    [-P FILE]        bare echo server: recvfrom, sendto
 *   ref ping    [-n N] [-W WARMUP] [-s SIZE] HOST PORT
 *                                sequential pings, RTT statistics as JSON
 *   ref lineout [-P FILE]        the bare "listen": recv() each datagram,
 *                                write() it and LF to stdout
 *   ref linein  HOST PORT        the bare "send": read() stdin, send()
 *                                each complete line as it comes
 *   ref pipeping [-n N] [-W WARMUP] [-s SIZE] -P FILE HOST PORTFILE
 *                                pings through a pipeline: binds its own
 *                                socket (port to -P FILE), waits for
 *                                PORTFILE, sends each ping to that port
 *                                and waits for it on its own socket;
 *                                RTT statistics as JSON
 *   ref reqs    [-j INFLIGHT] [-d SECS] [-s SIZE] HOST PORT
 *                                request/reply: INFLIGHT requests (default
 *                                1) kept outstanding for SECS, each reply
 *                                (the request echoed) answered by the
 *                                next; rate and latency as JSON
 *   ref rss     -P FILE -- COMMAND [ARG ...]
 *                                runs COMMAND and writes its peak RSS
 *                                (wait4 ru_maxrss, KiB) as JSON to FILE,
 *                                and the largest exact RSS read from
 *                                /proc/PID/smaps_rollup once a millisecond
 *                                while it ran; a tiny parent, so that the
 *                                figures are the command's own and not a
 *                                big forker's
 *
 * Receivers are bare: no SO_RXQ_OVFL unless -o (its control message costs
 * time per datagram; the harness reads drops from /proc/net/udp instead),
 * no sender addresses unless -a.
 * Receivers bind port 0 (or -b PORT), write "PORT\n" atomically to -P FILE
 * and print "port PORT" on stderr; at exit (SIGTERM/SIGINT, -n reached, or
 * -t) they print one JSON line on stderr with what they counted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define REF_NAME	"ref"
#include "refcommon.h"

#ifndef SOL_UDP
#define SOL_UDP		17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif
#ifndef UDP_GRO
#define UDP_GRO		104
#endif

#define SEND_BATCH	64		/* datagrams per sendmmsg (as udpcat) */
#define RECV_BATCH	64		/* datagrams per recvmmsg (as udpcat) */
#define SINK_BATCH	256
#define GSO_SEGS	64
#define GSO_MSGS	8		/* GSO messages per sendmmsg */
#define GSO_MAXBYTES	65000
#define SLOT		65536
#define INBUF		(1 << 20)

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
signals(unsigned limit_s)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: calls return EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	alarm(limit_s);
}

static void
addr4(const char *host, const char *port, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
		fprintf(stderr, "%s: bad IPv4 address '%s'\n", prog, host);
		exit(2);
	}
}

/* A UDP socket connected to HOST PORT. */
static int
connected(const char *host, const char *port)
{
	struct sockaddr_in sin;
	int fd;

	addr4(host, port, &sin);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		die("socket");
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("connect");
	return fd;
}

/* A socket bound to 127.0.0.1:port with a large receive buffer. */
static int want_ovfl;		/* -o: SO_RXQ_OVFL on (a cmsg per datagram) */
static int want_addr;		/* -a: ask for each sender's address */

static int
bound(unsigned port, const char *port_file, int gro)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, on = 1, size = 32 << 20;	/* as udpcat: 64 MiB after doubling */
	char tmp[4096];
	FILE *f;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (want_ovfl)
		(void)setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on));
	if (gro && setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on)) == -1)
		die("setsockopt UDP_GRO");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind");
	if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		die("getsockname");
	port = ntohs(sin.sin_port);
	fprintf(stderr, "port %u\n", port);
	if (port_file != NULL) {
		snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", port_file, (long)getpid());
		if ((f = fopen(tmp, "w")) == NULL)
			die("port file");
		fprintf(f, "%u\n", port);
		if (fclose(f) == EOF || rename(tmp, port_file) == -1)
			die("port file");
	}
	return fd;
}

/* Sends n datagrams described by msg, retrying what the kernel refused. */
static unsigned
send_all(int fd, struct mmsghdr *msg, unsigned n)
{
	unsigned done = 0;
	int r;

	while (done < n) {
		r = sendmmsg(fd, msg + done, n - done, 0);
		if (r == -1) {
			if (errno == EINTR || errno == ENOBUFS ||
			    errno == EAGAIN || errno == ECONNREFUSED) {
				if (stop)
					break;
				continue;
			}
			die("sendmmsg");
		}
		done += (unsigned)r;
	}
	return done;
}

/* ---- ref send / ref gsosend: standard input lines to datagrams ---- */

struct lines {
	unsigned char	*buf;
	size_t		 head, tail;
	int		 eof;
};

/* The next complete line (without LF); 0 when more input is needed. */
static int
next_line(struct lines *l, unsigned char **p, size_t *len)
{
	unsigned char *nl;

	if (l->head == l->tail)
		return 0;
	nl = memchr(l->buf + l->head, '\n', l->tail - l->head);
	if (nl == NULL) {
		if (!l->eof)
			return 0;
		*p = l->buf + l->head;	/* a last line without LF */
		*len = l->tail - l->head;
		l->head = l->tail;
		return 1;
	}
	*p = l->buf + l->head;
	*len = (size_t)(nl - *p);
	l->head += *len + 1;
	return 1;
}

/* Refills the buffer (the caller has sent everything pointing into it). */
static int
refill(struct lines *l)
{
	ssize_t n;

	memmove(l->buf, l->buf + l->head, l->tail - l->head);
	l->tail -= l->head;
	l->head = 0;
	do
		n = read(0, l->buf + l->tail, INBUF - l->tail);
	while (n == -1 && errno == EINTR && !stop);
	if (n == -1)
		die("read");
	if (n == 0)
		l->eof = 1;
	l->tail += (size_t)n;
	return n > 0;
}

static int
mode_send(const char *host, const char *port)
{
	static struct mmsghdr msg[SEND_BATCH];
	static struct iovec iov[SEND_BATCH];
	struct lines l = { 0 };
	unsigned char *p;
	size_t len;
	unsigned n = 0;
	uint64_t sent = 0, t0 = now_ns();
	int fd = connected(host, port);

	if ((l.buf = malloc(INBUF)) == NULL)
		die("malloc");
	for (;;) {
		while (next_line(&l, &p, &len)) {
			iov[n].iov_base = p;
			iov[n].iov_len = len;
			memset(&msg[n], 0, sizeof(msg[n]));
			msg[n].msg_hdr.msg_iov = &iov[n];
			msg[n].msg_hdr.msg_iovlen = 1;
			if (++n == SEND_BATCH) {
				sent += send_all(fd, msg, n);
				n = 0;
			}
		}
		if (n > 0) {	/* iov points into buf: send before refill */
			sent += send_all(fd, msg, n);
			n = 0;
		}
		if (l.eof || stop)
			break;
		refill(&l);
	}
	fprintf(stderr, "{\"sent\":%llu,\"ns\":%llu}\n",
	    (unsigned long long)sent, (unsigned long long)(now_ns() - t0));
	return 0;
}

static int
mode_gsosend(const char *host, const char *port)
{
	static struct mmsghdr msg[GSO_MSGS];
	static struct iovec iov[GSO_MSGS][GSO_SEGS];
	static char ctrl[GSO_MSGS][CMSG_SPACE(sizeof(uint16_t))];
	struct lines l = { 0 };
	unsigned char *p;
	size_t len, seg = 0, total = 0;
	unsigned m = 0, k = 0;
	uint64_t sent = 0, t0 = now_ns();
	int fd = connected(host, port);

	if ((l.buf = malloc(INBUF)) == NULL)
		die("malloc");

#define GSO_CLOSE() do {						\
	struct msghdr *h = &msg[m].msg_hdr;				\
	memset(h, 0, sizeof(*h));					\
	h->msg_iov = iov[m];						\
	h->msg_iovlen = k;						\
	if (k > 1) {							\
		struct cmsghdr *c;					\
		uint16_t gs = (uint16_t)seg;				\
		h->msg_control = ctrl[m];				\
		h->msg_controllen = sizeof(ctrl[m]);			\
		c = CMSG_FIRSTHDR(h);					\
		c->cmsg_level = SOL_UDP;				\
		c->cmsg_type = UDP_SEGMENT;				\
		c->cmsg_len = CMSG_LEN(sizeof(uint16_t));		\
		memcpy(CMSG_DATA(c), &gs, sizeof(gs));			\
	}								\
	sent += k;							\
	k = 0; total = 0;						\
	if (++m == GSO_MSGS) {						\
		send_all(fd, msg, m);					\
		m = 0;							\
	}								\
} while (0)

	for (;;) {
		while (next_line(&l, &p, &len)) {
			/* A run of equal lengths; a shorter line may end it. */
			if (k > 0 && (len > seg || k == GSO_SEGS ||
			    total + len > GSO_MAXBYTES || len == 0))
				GSO_CLOSE();
			if (k == 0)
				seg = len;
			iov[m][k].iov_base = p;
			iov[m][k].iov_len = len;
			k++;
			total += len;
			if (len < seg || len == 0)
				GSO_CLOSE();	/* the short one is the last */
		}
		if (k > 0)
			GSO_CLOSE();
		if (m > 0) {
			send_all(fd, msg, m);
			m = 0;
		}
		if (l.eof || stop)
			break;
		refill(&l);
	}
	fprintf(stderr, "{\"sent\":%llu,\"ns\":%llu}\n",
	    (unsigned long long)sent, (unsigned long long)(now_ns() - t0));
	return 0;
}

/* ---- ref flood: as many SIZE-byte datagrams as possible ---- */

static int
mode_flood(const char *host, const char *port, int gso, size_t size,
    double secs)
{
	static struct mmsghdr msg[SEND_BATCH];
	static struct iovec iov[SEND_BATCH];
	static char ctrl[CMSG_SPACE(sizeof(uint16_t))];
	unsigned char *buf;
	unsigned i, n, per;
	uint64_t sent = 0, t0 = now_ns(), end = t0 + (uint64_t)(secs * 1e9);
	int fd = connected(host, port);

	if ((buf = malloc(size * GSO_SEGS + 1)) == NULL)
		die("malloc");
	for (i = 0; i < size * GSO_SEGS; i++)
		buf[i] = (i % size) == size - 1 ? '\n' : (unsigned char)('a' + i % 26);
	memset(msg, 0, sizeof(msg));
	if (gso) {
		struct cmsghdr *c;
		uint16_t gs = (uint16_t)size;

		per = GSO_SEGS;
		while (per * size > GSO_MAXBYTES)
			per--;
		n = GSO_MSGS;
		iov[0].iov_base = buf;
		iov[0].iov_len = per * size;
		for (i = 0; i < n; i++) {
			msg[i].msg_hdr.msg_iov = &iov[0];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_control = ctrl;
			msg[i].msg_hdr.msg_controllen = sizeof(ctrl);
		}
		c = CMSG_FIRSTHDR(&msg[0].msg_hdr);
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		memcpy(CMSG_DATA(c), &gs, sizeof(gs));
	} else {
		per = 1;
		n = SEND_BATCH;
		for (i = 0; i < n; i++) {
			iov[i].iov_base = buf;
			iov[i].iov_len = size;
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
		}
	}
	while (!stop && now_ns() < end)
		sent += (uint64_t)send_all(fd, msg, n) * per;
	fprintf(stderr, "{\"sent\":%llu,\"ns\":%llu}\n",
	    (unsigned long long)sent, (unsigned long long)(now_ns() - t0));
	return 0;
}

/* ---- receivers ---- */

/* The gso_size of a GRO super-datagram, or 0 for a plain one. */
static unsigned
gro_size(struct msghdr *h)
{
	struct cmsghdr *c;
	int v;

	for (c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c))
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return (unsigned)v;
		}
	return 0;
}

static uint32_t
ovfl(struct msghdr *h, uint32_t old)
{
	struct cmsghdr *c;
	uint32_t v;

	for (c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v;
		}
	return old;
}

#define CTRL_SZ	(CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(uint32_t)) + 16)

/*
 * The shared receive loop.  out >= 0: write payloads to it (one writev per
 * batch).  Stops at a signal (after draining what is queued), at count,
 * or at the -t alarm.
 */
static int
receive(int fd, int out, unsigned batch, size_t slot, uint64_t count)
{
	struct mmsghdr *msg = calloc(batch, sizeof(*msg));
	struct iovec *iov = calloc(batch, sizeof(*iov));
	struct iovec *wv = calloc(batch, sizeof(*wv));
	char *ctrl = calloc(batch, CTRL_SZ);
	unsigned char *data = malloc(batch * slot);
	struct sockaddr_storage *from = calloc(batch, sizeof(*from));
	uint64_t dgrams = 0, bytes = 0, calls = 0, first = 0, last = 0;
	uint64_t writes = 0;
	uint32_t drops = 0;
	unsigned i, segs;
	int n, flags, draining = 0;
	struct timeval tv = { 0, 50000 };

	if (!msg || !iov || !wv || !ctrl || !data || !from)
		die("malloc");
	/* Wake up now and then to see a signal that came between calls. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		if (stop && !draining)
			draining = 1;
		for (i = 0; i < batch; i++) {
			iov[i].iov_base = data + (size_t)i * slot;
			iov[i].iov_len = slot;
			msg[i].msg_hdr.msg_name = want_addr ? &from[i] : NULL;
			msg[i].msg_hdr.msg_namelen = want_addr ? sizeof(from[i]) : 0;
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_control = ctrl + (size_t)i * CTRL_SZ;
			msg[i].msg_hdr.msg_controllen = CTRL_SZ;
			msg[i].msg_hdr.msg_flags = 0;
		}
		flags = MSG_TRUNC | (draining ? MSG_DONTWAIT : MSG_WAITFORONE);
		n = recvmmsg(fd, msg, batch, flags, NULL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (draining)
					break;
				continue;
			}
			if (errno == EINTR)
				continue;
			die("recvmmsg");
		}
		calls++;
		last = now_ns();
		if (first == 0)
			first = last;
		for (i = 0; i < (unsigned)n; i++) {
			struct msghdr *h = &msg[i].msg_hdr;
			size_t len = msg[i].msg_len;

			segs = 1;
			if (h->msg_controllen > 0) {
				unsigned gs = gro_size(h);

				if (gs > 0 && len > 0)
					segs = (unsigned)((len + gs - 1) / gs);
				drops = ovfl(h, drops);
			}
			dgrams += segs;
			bytes += len;
			wv[i].iov_base = iov[i].iov_base;
			wv[i].iov_len = len < slot ? len : slot;
		}
		if (out >= 0 && n > 0) {
			/* One writev per batch; finish short writes. */
			struct iovec *v = wv;
			int cnt = n;

			while (cnt > 0) {
				ssize_t w = writev(out, v, cnt);

				if (w == -1) {
					if (errno == EINTR)
						continue;
					die("writev");
				}
				writes++;
				while (cnt > 0 && (size_t)w >= v->iov_len) {
					w -= (ssize_t)v->iov_len;
					v++;
					cnt--;
				}
				if (cnt > 0) {
					v->iov_base = (char *)v->iov_base + w;
					v->iov_len -= (size_t)w;
				}
			}
		}
		if (count > 0 && dgrams >= count)
			break;
	}
	fprintf(stderr, "{\"dgrams\":%llu,\"bytes\":%llu,\"calls\":%llu,"
	    "\"writes\":%llu,\"first_ns\":%llu,\"last_ns\":%llu,"
	    "\"span_s\":%.6f,\"drops\":%u}\n",
	    (unsigned long long)dgrams, (unsigned long long)bytes,
	    (unsigned long long)calls, (unsigned long long)writes,
	    (unsigned long long)first, (unsigned long long)last,
	    (double)(last - first) / 1e9, drops);
	return 0;
}

static int
mode_echo(int fd)
{
	static unsigned char buf[SLOT];
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t n;
	uint64_t echoed = 0;

	while (!stop) {
		flen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
		    &flen);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die("recvfrom");
		}
		while (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from,
		    flen) == -1 && errno == EINTR && !stop)
			;
		echoed++;
	}
	fprintf(stderr, "{\"echoed\":%llu}\n", (unsigned long long)echoed);
	return 0;
}

/* The bare "listen": one recv() and one write() a datagram. */
static int
mode_lineout(int fd)
{
	static unsigned char buf[SLOT + 1];
	uint64_t lines = 0;
	ssize_t n, w;
	size_t off;

	while (!stop) {
		if ((n = recv(fd, buf, SLOT, 0)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("recv");
		}
		buf[n++] = '\n';
		for (off = 0; off < (size_t)n; off += (size_t)w)
			if ((w = write(1, buf + off, (size_t)n - off)) == -1) {
				if (errno == EINTR && !stop) {
					w = 0;
					continue;
				}
				die("write");
			}
		lines++;
	}
	fprintf(stderr, "{\"lines\":%llu}\n", (unsigned long long)lines);
	return 0;
}

/* The bare "send": each read(), then one send() a complete line. */
static int
mode_linein(const char *host, const char *port)
{
	struct lines l = { 0 };
	unsigned char *p;
	size_t len;
	uint64_t sent = 0;
	int fd = connected(host, port);

	if ((l.buf = malloc(INBUF)) == NULL)
		die("malloc");
	for (;;) {
		while (next_line(&l, &p, &len)) {
			while (send(fd, p, len, 0) == -1 && !stop)
				if (errno != EINTR && errno != ECONNREFUSED)
					die("send");
			sent++;
		}
		if (l.eof || stop)
			break;
		refill(&l);
	}
	fprintf(stderr, "{\"sent\":%llu}\n", (unsigned long long)sent);
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
mode_ping(const char *host, const char *port, unsigned n, unsigned warm,
    size_t size)
{
	unsigned char *buf = malloc(size + 1), *in = malloc(SLOT);
	uint64_t *rtt = malloc(sizeof(uint64_t) * (n ? n : 1)), t, sum = 0;
	unsigned i, got = 0, lost = 0, bad = 0;
	struct timeval tv = { 1, 0 };
	int fd = connected(host, port);
	ssize_t r;

	if (!buf || !in || !rtt)
		die("malloc");
	memset(buf, 'p', size);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (i = 0; i < warm + n && !stop; i++) {
		uint32_t seq = i;

		if (size >= 4)
			memcpy(buf, &seq, 4);
		t = now_ns();
		if (send(fd, buf, size, 0) == -1) {
			if (errno == EINTR)
				continue;
			die("send");
		}
		for (;;) {
			r = recv(fd, in, SLOT, 0);
			if (r == -1 && errno == EINTR && !stop)
				continue;
			break;
		}
		if (r == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ECONNREFUSED || errno == EINTR) {
				lost++;
				if (stop)
					break;
				continue;
			}
			die("recv");
		}
		if ((size_t)r != size || (size >= 4 && memcmp(in, &seq, 4) != 0)) {
			bad++;
			continue;
		}
		t = now_ns() - t;
		if (i >= warm) {
			rtt[got++] = t;
			sum += t;
		}
	}
	qsort(rtt, got, sizeof(rtt[0]), cmp_u64);
#define PCT(p) (got ? (double)rtt[(size_t)((double)(got - 1) * (p))] / 1000.0 : -1.0)
	printf("{\"pings\":%u,\"lost\":%u,\"bad\":%u,\"min_us\":%.3f,"
	    "\"median_us\":%.3f,\"p90_us\":%.3f,\"p99_us\":%.3f,"
	    "\"p999_us\":%.3f,\"max_us\":%.3f,\"mean_us\":%.3f}\n",
	    got, lost, bad, PCT(0.0), PCT(0.5), PCT(0.9), PCT(0.99), PCT(0.999),
	    PCT(1.0), got ? (double)sum / got / 1000.0 : -1.0);
	return 0;
}

/* ---- ref reqs: request/reply with INFLIGHT outstanding ---- */

#define REQ_MAX		256
#define REQ_TIMEOUT	1000000000u	/* ns: a request is lost after 1 s */

/* Sends request seq from slot i: "%u slot, %u seq" then 'q's. */
static void
req_send(int fd, unsigned char *buf, size_t size, uint32_t i, uint32_t seq)
{
	memcpy(buf, &i, 4);
	memcpy(buf + 4, &seq, 4);
	while (send(fd, buf, size, 0) == -1 && errno == EINTR && !stop)
		;
}

/*
 * Keeps j requests in flight to HOST PORT for secs seconds, a new one
 * from a slot as soon as its reply (the request echoed back) came, or
 * 1 s passed (lost).  Prints the answered count, the rate and the
 * latency (median, p99) as JSON.
 */
static int
mode_reqs(const char *host, const char *port, unsigned j, double secs,
    size_t size)
{
	unsigned char *buf = malloc(size + 8), *in = malloc(SLOT);
	uint64_t sent_at[REQ_MAX], t0, now, end, *lat;
	uint32_t seq[REQ_MAX], next = 0, i, s;
	uint64_t answered = 0, lost = 0, late = 0, sent = 0, cap = 1 << 20;
	struct timeval tv = { 0, 20000 };
	int fd = connected(host, port);
	ssize_t r;

	if (size < 8)
		size = 8;
	if (j < 1 || j > REQ_MAX || !buf || !in ||
	    (lat = malloc(cap * sizeof(*lat))) == NULL)
		die("reqs");
	memset(buf, 'q', size);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	for (i = 0; i < j; i++) {
		seq[i] = next++;
		sent_at[i] = now_ns();
		req_send(fd, buf, size, i, seq[i]);
		sent++;
	}
	while (!stop && (now = now_ns()) < end) {
		r = recv(fd, in, SLOT, 0);
		now = now_ns();
		if (r >= 8) {
			memcpy(&i, in, 4);
			memcpy(&s, in + 4, 4);
			if (i >= j || seq[i] != s) {
				late++;
				continue;
			}
			if (answered < cap)
				lat[answered] = now - sent_at[i];
			answered++;
			seq[i] = next++;
			sent_at[i] = now;
			req_send(fd, buf, size, i, seq[i]);
			sent++;
			continue;
		}
		for (i = 0; i < j; i++)
			if (now - sent_at[i] > REQ_TIMEOUT) {
				lost++;
				seq[i] = next++;
				sent_at[i] = now;
				req_send(fd, buf, size, i, seq[i]);
				sent++;
			}
	}
	now = now_ns();
	r = (ssize_t)(answered < cap ? answered : cap);
	qsort(lat, (size_t)r, sizeof(lat[0]), cmp_u64);
	printf("{\"inflight\":%u,\"answered\":%llu,\"sent\":%llu,"
	    "\"lost\":%llu,\"late\":%llu,\"secs\":%.6f,\"rate\":%.1f,"
	    "\"median_us\":%.3f,\"p99_us\":%.3f}\n", j,
	    (unsigned long long)answered, (unsigned long long)sent,
	    (unsigned long long)lost, (unsigned long long)late,
	    (double)(now - t0) / 1e9, (double)answered * 1e9 / (double)(now - t0),
	    r ? lat[(size_t)(r - 1) / 2] / 1e3 : -1.0,
	    r ? lat[(size_t)((double)(r - 1) * 0.99)] / 1e3 : -1.0);
	return 0;
}

/* The port written to path, once it is there (0 at the -t alarm). */
static unsigned
port_from_file(const char *path)
{
	struct timespec ms = { 0, 1000000 };
	unsigned port;
	FILE *f;
	int ok;

	while (!stop) {
		if ((f = fopen(path, "r")) != NULL) {
			ok = fscanf(f, "%u", &port) == 1;
			fclose(f);
			if (ok && port > 0)
				return port;
		}
		nanosleep(&ms, NULL);
	}
	return 0;
}

/*
 * Pings through a pipeline that receives on one port and sends on to
 * this socket's: each datagram ("%08u" sequence, then 'p's, no LF) goes
 * out once the last came back or 1 s passed.
 */
static int
mode_pipeping(const char *host, const char *pfile, const char *port_file,
    unsigned n, unsigned warm, size_t size)
{
	unsigned char *buf = malloc(size + 16), *in = malloc(SLOT);
	uint64_t *rtt = malloc(sizeof(uint64_t) * (n ? n : 1)), t, sum = 0;
	unsigned i, got = 0, lost = 0, bad = 0, port;
	struct timeval tv = { 1, 0 };
	struct sockaddr_in to;
	char sport[16];
	int fd;
	ssize_t r;

	if (!buf || !in || !rtt || size < 8)
		die("malloc");
	fd = bound(0, port_file, 0);
	if ((port = port_from_file(pfile)) == 0)
		die("port file");
	snprintf(sport, sizeof(sport), "%u", port);
	addr4(host, sport, &to);
	memset(buf, 'p', size);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (i = 0; i < warm + n && !stop; i++) {
		char seq[16];

		snprintf(seq, sizeof(seq), "%08u", i % 100000000u);
		memcpy(buf, seq, 8);
		t = now_ns();
		if (sendto(fd, buf, size, 0, (struct sockaddr *)&to,
		    sizeof(to)) == -1) {
			if (errno == EINTR)
				continue;
			die("sendto");
		}
		for (;;) {
			r = recv(fd, in, SLOT, 0);
			/* A late one from an earlier ping: skip it. */
			if (r >= 8 && memcmp(in, buf, 8) != 0 &&
			    (size_t)r == size)
				continue;
			if (r == -1 && errno == EINTR && !stop)
				continue;
			break;
		}
		if (r == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR) {
				lost++;
				if (stop)
					break;
				continue;
			}
			die("recv");
		}
		if ((size_t)r != size || memcmp(in, buf, size) != 0) {
			bad++;
			continue;
		}
		t = now_ns() - t;
		if (i >= warm) {
			rtt[got++] = t;
			sum += t;
		}
	}
	qsort(rtt, got, sizeof(rtt[0]), cmp_u64);
	printf("{\"pings\":%u,\"lost\":%u,\"bad\":%u,\"min_us\":%.3f,"
	    "\"median_us\":%.3f,\"p90_us\":%.3f,\"p99_us\":%.3f,"
	    "\"p999_us\":%.3f,\"max_us\":%.3f,\"mean_us\":%.3f}\n",
	    got, lost, bad, PCT(0.0), PCT(0.5), PCT(0.9), PCT(0.99), PCT(0.999),
	    PCT(1.0), got ? (double)sum / got / 1000.0 : -1.0);
	return 0;
}

static pid_t rss_child;

/*
 * The exact resident size (KiB) of pid, from its smaps_rollup, which
 * walks the page tables; or -1.  ru_maxrss comes from counters the
 * kernel keeps per CPU and folds in batches of 32 pages, so it may be
 * off by 128 KiB a CPU either way.
 */
static long
rss_exact(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Rss: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void
forward(int sig)
{
	if (rss_child > 0)
		kill(rss_child, sig);
}

static int
mode_rss(const char *file, char **argv)
{
	struct timespec ms = { 0, 1000000 };
	struct rusage ru, self;
	struct sigaction sa;
	long exact = -1, kb;
	int status;
	pid_t w;
	FILE *f;

	if (file == NULL || argv[0] == NULL)
		return 2;
	alarm(0);
	if ((rss_child = fork()) == -1)
		die("fork");
	if (rss_child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		_exit(127);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Sampled until it exits; its memory is flat, so the end is seen. */
	while ((w = wait4(rss_child, &status, WNOHANG, &ru)) != rss_child) {
		if (w == -1 && errno != EINTR)
			die("wait4");
		if ((kb = rss_exact(rss_child)) > exact)
			exact = kb;
		nanosleep(&ms, NULL);
	}
	getrusage(RUSAGE_SELF, &self);
	if ((f = fopen(file, "w")) == NULL)
		die("rss file");
	fprintf(f, "{\"maxrss_kb\":%ld,\"rss_exact_kb\":%ld,"
	    "\"wrapper_maxrss_kb\":%ld,\"status\":%d}\n", ru.ru_maxrss,
	    exact, self.ru_maxrss,
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ref [-t SECS] send|gsosend HOST PORT < lines\n"
	    "       ref [-t SECS] flood [-g] [-s SIZE] [-d SECS] HOST PORT\n"
	    "       ref [-t SECS] sink|recv [-g] [-o] [-a] [-P FILE] [-b PORT] [-n COUNT]\n"
	    "       ref [-t SECS] echo [-P FILE] [-b PORT]\n"
	    "       ref [-t SECS] ping [-n N] [-W WARMUP] [-s SIZE] HOST PORT\n"
	    "       ref [-t SECS] lineout [-P FILE] [-b PORT]\n"
	    "       ref [-t SECS] linein HOST PORT < lines\n"
	    "       ref [-t SECS] pipeping [-n N] [-W WARMUP] [-s SIZE] -P FILE "
	    "HOST PORTFILE\n"
	    "       ref [-t SECS] reqs [-j INFLIGHT] [-d SECS] [-s SIZE] "
	    "HOST PORT\n"
	    "       ref rss -P FILE -- COMMAND [ARG ...]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *mode, *port_file = NULL;
	unsigned limit = 60, bport = 0, warm = 1000;
	uint64_t count = 0;
	size_t size = 64;
	double secs = 2.0;
	unsigned inflight = 1;
	int c, gro = 0, n_set = 0;

	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		limit = (unsigned)atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc < 2)
		usage();
	mode = argv[1];
	argv++;
	argc--;
	while ((c = getopt(argc, argv, "+gaoP:b:n:s:d:W:j:")) != -1) {
		switch (c) {
		case 'g': gro = 1; break;
		case 'o': want_ovfl = 1; break;
		case 'a': want_addr = 1; break;
		case 'P': port_file = optarg; break;
		case 'b': bport = (unsigned)atoi(optarg); break;
		case 'n': count = strtoull(optarg, NULL, 10); n_set = 1; break;
		case 's': size = strtoul(optarg, NULL, 10); break;
		case 'd': secs = atof(optarg); break;
		case 'W': warm = (unsigned)atoi(optarg); break;
		case 'j': inflight = (unsigned)atoi(optarg); break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (strcmp(mode, "rss") == 0)
		return mode_rss(port_file, argv);
	signals(limit);
	if (strcmp(mode, "send") == 0 && argc == 2)
		return mode_send(argv[0], argv[1]);
	if (strcmp(mode, "gsosend") == 0 && argc == 2)
		return mode_gsosend(argv[0], argv[1]);
	if (strcmp(mode, "flood") == 0 && argc == 2)
		return mode_flood(argv[0], argv[1], gro, size ? size : 1, secs);
	if (strcmp(mode, "linein") == 0 && argc == 2)
		return mode_linein(argv[0], argv[1]);
	if (strcmp(mode, "pipeping") == 0 && argc == 2 && port_file != NULL)
		return mode_pipeping(argv[0], argv[1], port_file,
		    n_set ? (unsigned)count : 20000, warm, size);
	if (strcmp(mode, "reqs") == 0 && argc == 2)
		return mode_reqs(argv[0], argv[1], inflight, secs, size);
	if (strcmp(mode, "ping") == 0 && argc == 2)
		return mode_ping(argv[0], argv[1],
		    n_set ? (unsigned)count : 20000, warm, size);
	if (argc != 0)
		usage();
	if (strcmp(mode, "sink") == 0)
		return receive(bound(bport, port_file, gro), -1, SINK_BATCH,
		    2048, count);
	if (strcmp(mode, "recv") == 0)
		return receive(bound(bport, port_file, gro), 1, RECV_BATCH,
		    SLOT, count);
	if (strcmp(mode, "echo") == 0)
		return mode_echo(bound(bport, port_file, 0));
	if (strcmp(mode, "lineout") == 0)
		return mode_lineout(bound(bport, port_file, 0));
	usage();
	return 2;
}
