/*
 * relay_ref.c: a bare C UDP relay, the reference for udpcat relay in the
 * benchmark: recvmmsg on the clients' socket, one upstream socket per
 * client (connected to the service), sendmmsg per run of one client, and
 * the replies back through the clients' socket with sendmmsg.  No
 * options, no output, no error reporting beyond what a measurement needs.
 *
 *   relay_ref [-t SECS] [-P FILE] [-b PORT] HOST PORT
 *
 * It binds 127.0.0.1 (port 0 unless -b), writes "PORT\n" to -P FILE, and
 * stops by itself after -t SECS (default 60) or at SIGTERM/SIGINT,
 * printing one JSON line of counts on stderr.
 *
 * Build: cc -O2 -o bench/out/relay_ref bench/relay_ref.c
 * Measure: bench/out/ref sink -P S; relay_ref -P R 127.0.0.1 $(cat S);
 * bench/out/ref flood -s 64 -d 4 127.0.0.1 $(cat R); then the same with
 * "udpcat relay --port-file R 127.0.0.1 0 127.0.0.1 $(cat S)" in its place.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define REF_NAME	"relay_ref"
#include "refcommon.h"

#define BATCH		64
#define SLOT		2048	/* enough for the benchmark's datagrams */
#define MAX_CLIENTS	1024

struct client {
	struct sockaddr_in	addr;
	int			fd;
};

static struct client clients[MAX_CLIENTS];
static int nclients;
static struct sockaddr_in service;
static uint64_t up, down;

/* The client of sin, opened on first sight; its index. */
static int
client_of(const struct sockaddr_in *sin)
{
	int i, fd, big = 64 << 20;

	for (i = nclients - 1; i >= 0; i--)
		if (clients[i].addr.sin_port == sin->sin_port &&
		    clients[i].addr.sin_addr.s_addr == sin->sin_addr.s_addr)
			return i;
	if (nclients == MAX_CLIENTS)
		return -1;
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1)
		die("socket");
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (connect(fd, (struct sockaddr *)&service, sizeof(service)) == -1)
		die("connect");
	clients[nclients].addr = *sin;
	clients[nclients].fd = fd;
	return nclients++;
}

static struct mmsghdr msg[BATCH], out[BATCH];
static struct iovec iov[BATCH], oiov[BATCH];
static struct sockaddr_in from[BATCH];
static unsigned char buf[BATCH][SLOT];

/* Prepares the receive slots. */
static void
slots(int names)
{
	int i;

	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = SLOT;
		memset(&msg[i].msg_hdr, 0, sizeof(msg[i].msg_hdr));
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
		if (names) {
			msg[i].msg_hdr.msg_name = &from[i];
			msg[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
	}
}

/* Sends n prepared messages on fd, all of them. */
static void
send_all(int fd, struct mmsghdr *m, unsigned n)
{
	int r;

	while (n > 0) {
		if ((r = sendmmsg(fd, m, n, 0)) == -1) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == ENOBUFS)
				continue;
			return;	/* refused and the like: dropped */
		}
		m += r;
		n -= (unsigned)r;
	}
}

/* Client datagrams: each run of one client to its upstream socket. */
static int
from_clients(int lfd)
{
	int n, i, j, k, c, total = 0;

	for (;;) {
		slots(1);
		if ((n = recvmmsg(lfd, msg, BATCH, MSG_DONTWAIT, NULL)) <= 0)
			return total;
		for (i = 0; i < n; i = j) {
			c = client_of(&from[i]);
			for (j = i; j < n && from[j].sin_port ==
			    from[i].sin_port && from[j].sin_addr.s_addr ==
			    from[i].sin_addr.s_addr; j++) {
				k = j - i;
				oiov[k].iov_base = buf[j];
				oiov[k].iov_len = msg[j].msg_len;
				memset(&out[k].msg_hdr, 0,
				    sizeof(out[k].msg_hdr));
				out[k].msg_hdr.msg_iov = &oiov[k];
				out[k].msg_hdr.msg_iovlen = 1;
			}
			if (c >= 0)
				send_all(clients[c].fd, out, (unsigned)(j - i));
		}
		up += (uint64_t)n;
		total += n;
	}
}

/* Replies from the service on client c's socket, back to the client. */
static void
from_service(int lfd, int c)
{
	int n, i;

	for (;;) {
		slots(0);
		if ((n = recvmmsg(clients[c].fd, msg, BATCH, MSG_DONTWAIT,
		    NULL)) <= 0)
			return;
		for (i = 0; i < n; i++) {
			oiov[i].iov_base = buf[i];
			oiov[i].iov_len = msg[i].msg_len;
			memset(&out[i].msg_hdr, 0, sizeof(out[i].msg_hdr));
			out[i].msg_hdr.msg_iov = &oiov[i];
			out[i].msg_hdr.msg_iovlen = 1;
			out[i].msg_hdr.msg_name = &clients[c].addr;
			out[i].msg_hdr.msg_namelen = sizeof(clients[c].addr);
		}
		send_all(lfd, out, (unsigned)n);
		down += (uint64_t)n;
	}
}

int
main(int argc, char **argv)
{
	static struct pollfd pfd[MAX_CLIENTS + 1];
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	const char *port_file = NULL;
	unsigned limit = 60, bport = 0;
	int c, lfd, i, big = 64 << 20;
	FILE *f;

	while ((c = getopt(argc, argv, "t:P:b:")) != -1) {
		switch (c) {
		case 't': limit = (unsigned)atoi(optarg); break;
		case 'P': port_file = optarg; break;
		case 'b': bport = (unsigned)atoi(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: relay_ref [-t SECS] [-P FILE] "
		    "[-b PORT] HOST PORT\n");
		return 2;
	}
	memset(&service, 0, sizeof(service));
	service.sin_family = AF_INET;
	service.sin_port = htons((uint16_t)atoi(argv[optind + 1]));
	if (inet_pton(AF_INET, argv[optind], &service.sin_addr) != 1)
		return 2;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGALRM, on_signal);
	alarm(limit);
	if ((lfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1)
		die("socket");
	(void)setsockopt(lfd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	me.sin_port = htons((uint16_t)bport);
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&me, sizeof(me)) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&me, &len) == -1)
		die("bind");
	if (port_file != NULL) {
		if ((f = fopen(port_file, "w")) == NULL)
			die(port_file);
		fprintf(f, "%u\n", ntohs(me.sin_port));
		fclose(f);
	}
	while (!stop) {
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < nclients; i++) {
			pfd[i + 1].fd = clients[i].fd;
			pfd[i + 1].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)nclients + 1, -1) <= 0)
			continue;
		for (i = 0; i < nclients; i++)
			if (pfd[i + 1].revents & POLLIN)
				from_service(lfd, i);
		if (pfd[0].revents & POLLIN)
			from_clients(lfd);
	}
	fprintf(stderr, "{\"up\":%llu,\"down\":%llu,\"clients\":%d}\n",
	    (unsigned long long)up, (unsigned long long)down, nclients);
	return 0;
}
