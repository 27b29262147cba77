/*
 * ping_ref.c: the bare C ping that "udpcat ping -i 0" is measured against.
 *
 *   ping_ref [-k] [-n N] [-s SIZE] [-t SECS] HOST PORT
 *
 * Sends N probes (default 10000) of SIZE bytes (default 64) in udpcat's
 * probe format to HOST PORT (numeric IPv4) through a connected socket,
 * one at a time: send(), then a blocking recv() of the reply.  A reply
 * that is not the probe just sent is counted as bad and waited past; a
 * probe not answered within 1 s is counted as lost.
 *
 * The round trip is taken as udpcat could take it, one of two ways:
 *   default  CLOCK_MONOTONIC before send() to CLOCK_MONOTONIC after recv()
 *            returns: what the process sees, wakeup included;
 *   -k       CLOCK_REALTIME before send() to the kernel's SO_TIMESTAMPNS
 *            arrival stamp (ping(8)'s way): the wakeup left out.
 *
 * Prints one JSON line: counts, min/median/p99/max/mean in microseconds,
 * and the elapsed time of the whole loop.  It stops by itself after -t
 * SECS (default 60) whatever happens.
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
#include <sys/socket.h>

#define REF_NAME	"ping_ref"
#include "refcommon.h"

#define HDR	16

static uint64_t
clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A UDP socket connected to host:port, with a 1 s receive timeout. */
static int
connected(const char *host, const char *port, int kernel)
{
	struct sockaddr_in sin;
	struct timeval tv = { 1, 0 };
	int fd, on = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		fprintf(stderr, "ping_ref: bad IPv4 address '%s'\n", host);
		exit(2);
	}
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		die("socket");
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("connect");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		die("SO_RCVTIMEO");
	if (kernel && setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on,
	    sizeof(on)) == -1)
		die("SO_TIMESTAMPNS");
	return fd;
}

/*
 * Receives one reply into in (at most HDR bytes kept); returns its size,
 * or -1 (lost, or stopped), and its kernel arrival stamp through *arr.
 */
static ssize_t
receive(int fd, unsigned char *in, uint64_t *arr)
{
	union {
		char		buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr	align;
	} ctrl;
	struct iovec iov = { in, HDR };
	struct msghdr m;
	struct cmsghdr *c;
	struct timespec ts;
	ssize_t r;

	for (;;) {
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = ctrl.buf;
		m.msg_controllen = sizeof(ctrl.buf);
		if ((r = recvmsg(fd, &m, MSG_TRUNC)) != -1)
			break;
		if (errno != EINTR || stop)
			return -1;
	}
	*arr = 0;
	for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SO_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			*arr = (uint64_t)ts.tv_sec * 1000000000u +
			    (uint64_t)ts.tv_nsec;
		}
	return r;
}

int
main(int argc, char **argv)
{
	unsigned char *out, in[HDR];
	uint64_t *rtt, t0, start, arr, sum = 0, elapsed;
	unsigned n = 10000, i, got = 0, lost = 0, bad = 0, limit = 60;
	size_t size = 64;
	uint32_t id = (uint32_t)getpid(), seq, be;
	int c, fd, kernel = 0;
	ssize_t r;

	while ((c = getopt(argc, argv, "kn:s:t:")) != -1) {
		switch (c) {
		case 'k': kernel = 1; break;
		case 'n': n = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': size = strtoul(optarg, NULL, 10); break;
		case 't': limit = (unsigned)strtoul(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || n == 0 || size < HDR)
		goto usage;
	signal(SIGALRM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	alarm(limit);
	fd = connected(argv[optind], argv[optind + 1], kernel);
	if ((out = calloc(1, size)) == NULL || (rtt = malloc(n *
	    sizeof(*rtt))) == NULL)
		die("malloc");
	memcpy(out, "udpcping", 8);
	be = htonl(id);
	memcpy(out + 12, &be, 4);
	start = clock_ns(CLOCK_MONOTONIC);
	for (seq = 0; seq < n && !stop; seq++) {
		be = htonl(seq);
		memcpy(out + 8, &be, 4);
		t0 = clock_ns(kernel ? CLOCK_REALTIME : CLOCK_MONOTONIC);
		if (send(fd, out, size, 0) == -1) {
			if (errno == EINTR)
				continue;
			die("send");
		}
		/* Wait past anything that is not this probe's reply. */
		while ((r = receive(fd, in, &arr)) >= HDR &&
		    memcmp(in + 8, out + 8, 8) != 0)
			bad++;
		if (r < HDR) {
			lost++;
			continue;
		}
		if (!kernel || arr == 0)
			arr = clock_ns(kernel ? CLOCK_REALTIME :
			    CLOCK_MONOTONIC);
		rtt[got] = arr > t0 ? arr - t0 : 0;
		sum += rtt[got++];
	}
	elapsed = clock_ns(CLOCK_MONOTONIC) - start;
	qsort(rtt, got, sizeof(rtt[0]), cmp_u64);
	i = got > 0 ? (unsigned)(((uint64_t)got * 50 + 99) / 100) - 1 : 0;
	printf("{\"clock\":\"%s\",\"pings\":%u,\"lost\":%u,\"bad\":%u,"
	    "\"min_us\":%.3f,\"median_us\":%.3f,\"p99_us\":%.3f,"
	    "\"max_us\":%.3f,\"mean_us\":%.3f,\"elapsed_s\":%.6f}\n",
	    kernel ? "kernel" : "monotonic", got, lost, bad,
	    got ? rtt[0] / 1e3 : -1.0, got ? rtt[i] / 1e3 : -1.0,
	    got ? rtt[(size_t)(((uint64_t)got * 99 + 99) / 100) - 1] / 1e3 :
	    -1.0, got ? rtt[got - 1] / 1e3 : -1.0,
	    got ? (double)sum / got / 1e3 : -1.0, elapsed / 1e9);
	return lost > 0;
usage:
	fprintf(stderr, "usage: ping_ref [-k] [-n N] [-s SIZE] [-t SECS] "
	    "HOST PORT\n");
	return 2;
}
