/* test_sock.c: the socket layer over loopback and a Unix socket pair. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/mman.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sock.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define WAIT_MS		5000	/* for what loopback delivers at once */
#define MAX_DGRAMS	256

static const int families[] = { AF_INET, AF_INET6 };

/* True when this host has an IPv6 loopback to test on. */
static int
have_ipv6(void)
{
	struct sockaddr_in6 sin6;
	int fd, ok;

	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) == -1)
		return 0;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	close(fd);
	return ok;
}

/* Skips the rest of a test of family where the host has no IPv6. */
static int
no_family(int family)
{
	if (family == AF_INET6 && !have_ipv6()) {
		print_message("no IPv6 loopback: IPv6 cases skipped\n");
		return 1;
	}
	return 0;
}

static const char *
loopback(int family)
{
	return family == AF_INET ? "127.0.0.1" : "::1";
}

/* A UDP socket bound to the loopback address of family, port 0. */
static int
bound(int family, struct endpoint *ep)
{
	struct endpoint want;
	int fd;

	assert_int_equal(sock_resolve(loopback(family), 0, family, 0, &want),
	    0);
	assert_true((fd = sock_open(family)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&want.ss, want.len), 0);
	assert_int_equal(sock_local(fd, ep), 0);
	return fd;
}

static unsigned
ep_port(const struct endpoint *ep)
{
	if (ep->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&ep->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&ep->ss)->sin6_port);
}

/* Waits until fd has events ev (POLLIN, POLLERR); fails after WAIT_MS. */
static void
wait_for(int fd, short ev)
{
	struct pollfd p = { fd, ev, 0 };

	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
	assert_true(p.revents & ev);
}

/* Sends len bytes of c to dst (or the connected peer) with send(). */
static void
send_one(int fd, const struct endpoint *dst, char c, size_t len)
{
	static char buf[65536];

	memset(buf, c, len);
	assert_int_equal(sendto(fd, buf, len, 0, dst != NULL ?
	    (const struct sockaddr *)&dst->ss : NULL, dst != NULL ?
	    dst->len : 0), (ssize_t)len);
}

/*
 * Receives until the datagram "end" arrives (sent last, on the same
 * flow), keeping each size and first byte; returns how many came before.
 */
static unsigned
recv_until_end(int fd, struct rxbatch *rx, size_t *len, char *first)
{
	unsigned n = 0, i;
	int got;

	for (;;) {
		wait_for(fd, POLLIN);
		assert_true((got = sock_rx(fd, rx, SOCK_BATCH)) >= 0);
		for (i = 0; i < (unsigned)got; i++) {
			const char *p = rx->iov[i].iov_base;

			if (rx->msg[i].msg_len == 3 && memcmp(p, "end", 3) == 0)
				return n;
			assert_true(n < MAX_DGRAMS);
			len[n] = rx->msg[i].msg_len;
			first[n++] = p[0];
		}
	}
}

/* Resolving: numeric addresses only, so that no test waits for DNS. */

struct resolve_case {
	const char	*host;
	unsigned	 port;
	int		 family;
	int		 passive;
	int		 ok;
	int		 want_family;
	const char	*want;		/* the address as inet_ntop() has it */
	int		 scope_lo;	/* the scope is lo's index */
};

static const struct resolve_case resolve_cases[] = {
	{ "127.0.0.1", 53, AF_UNSPEC, 0, 1, AF_INET, "127.0.0.1", 0 },
	{ "127.0.0.1", 0, AF_INET, 0, 1, AF_INET, "127.0.0.1", 0 },
	{ "192.0.2.7", 65535, AF_INET, 1, 1, AF_INET, "192.0.2.7", 0 },
	{ "::1", 53, AF_UNSPEC, 0, 1, AF_INET6, "::1", 0 },
	{ "2001:db8::7", 9, AF_INET6, 0, 1, AF_INET6, "2001:db8::7", 0 },
	{ "fe80::1%lo", 9, AF_INET6, 0, 1, AF_INET6, "fe80::1", 1 },
	{ "fe80::1%1", 9, AF_UNSPEC, 0, 1, AF_INET6, "fe80::1", 0 },
	{ "ff02::1", 9, AF_INET6, 0, 1, AF_INET6, "ff02::1", 0 },
	/* Passive, no host: the wildcard address; else the loopback. */
	{ NULL, 9, AF_INET, 1, 1, AF_INET, "0.0.0.0", 0 },
	{ NULL, 9, AF_INET6, 1, 1, AF_INET6, "::", 0 },
	{ NULL, 9, AF_INET, 0, 1, AF_INET, "127.0.0.1", 0 },
	{ NULL, 9, AF_INET6, 0, 1, AF_INET6, "::1", 0 },
	/* -4 and -6: an address of the other family is refused. */
	{ "127.0.0.1", 9, AF_INET6, 0, 0, 0, NULL, 0 },
	{ "::1", 9, AF_INET, 0, 0, 0, NULL, 0 },
	{ "ff02::1", 9, AF_INET, 1, 0, 0, NULL, 0 },
};

static void
test_resolve(void **state)
{
	const struct resolve_case *c;
	struct endpoint ep;
	char text[INET6_ADDRSTRLEN];
	const void *addr;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < NELEM(resolve_cases); i++) {
		c = &resolve_cases[i];
		memset(&ep, 0x5a, sizeof(ep));
		rc = sock_resolve(c->host, (uint16_t)c->port, c->family,
		    c->passive, &ep);
		if (!c->ok) {
			if (rc == 0)
				fail_msg("case %zu: '%s' resolved", i, c->host);
			continue;
		}
		if (rc != 0)
			fail_msg("case %zu: '%s': %s", i, c->host,
			    gai_strerror(rc));
		assert_int_equal(ep.ss.ss_family, c->want_family);
		if (c->want_family == AF_INET) {
			assert_int_equal(ep.len, sizeof(struct sockaddr_in));
			addr = &((struct sockaddr_in *)&ep.ss)->sin_addr;
		} else {
			struct sockaddr_in6 *sin6 = (void *)&ep.ss;

			assert_int_equal(ep.len, sizeof(*sin6));
			addr = &sin6->sin6_addr;
			assert_int_equal(sin6->sin6_scope_id, c->scope_lo ?
			    if_nametoindex("lo") : strchr(c->host != NULL ?
			    c->host : "", '%') != NULL ? 1 : 0);
		}
		assert_non_null(inet_ntop(c->want_family, addr, text,
		    sizeof(text)));
		assert_string_equal(text, c->want);
		assert_int_equal(ep_port(&ep), c->port);
	}
}

/* Opening and binding: close-on-exec, the bound address read back. */
static void
test_open_local(void **state)
{
	struct endpoint ep, ep2;
	char text[INET6_ADDRSTRLEN];
	size_t i;
	int fd, fd2;

	(void)state;
	for (i = 0; i < NELEM(families); i++) {
		if (no_family(families[i]))
			continue;
		fd = bound(families[i], &ep);
		assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		assert_int_equal(ep.ss.ss_family, families[i]);
		assert_true(ep_port(&ep) != 0);
		assert_non_null(inet_ntop(families[i], families[i] == AF_INET ?
		    (void *)&((struct sockaddr_in *)&ep.ss)->sin_addr :
		    (void *)&((struct sockaddr_in6 *)&ep.ss)->sin6_addr, text,
		    sizeof(text)));
		assert_string_equal(text, loopback(families[i]));
		/* A second socket gets another port. */
		fd2 = bound(families[i], &ep2);
		assert_true(ep_port(&ep2) != ep_port(&ep));
		close(fd2);
		close(fd);
	}
	errno = 0;
	assert_int_equal(sock_open(AF_MAX + 1), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	errno = 0;
	assert_int_equal(sock_local(-1, &ep), -1);
	assert_int_equal(errno, EBADF);
}

/*
 * A datagram to a closed port comes back as "port unreachable": counted
 * by sock_drain_errors() once sock_recverr() asked for the error queue,
 * and nothing is left behind for the next call.
 */
static void
test_port_unreachable(void **state)
{
	struct endpoint me, closed;
	size_t i;
	int fd, gone, other, n, k;

	(void)state;
	for (i = 0; i < NELEM(families); i++) {
		if (no_family(families[i]))
			continue;
		gone = bound(families[i], &closed);
		close(gone);
		fd = bound(families[i], &me);
		assert_int_equal(sock_recverr(fd, families[i]), 0);
		other = -1;
		assert_int_equal(sock_drain_errors(fd, families[i], &other), 0);
		assert_int_equal(other, 0);
		/*
		 * One at a time: a refusal not yet drained fails the next
		 * send (the pending error), as it should.
		 */
		for (k = 0; k < 3; k++) {
			send_one(fd, &closed, 'x', 10);
			wait_for(fd, POLLERR);
			n = sock_drain_errors(fd, families[i], &other);
			if (n != 1)
				fail_msg("%s: %d refusals counted for 1 sent",
				    loopback(families[i]), n);
			assert_int_equal(other, 0);
		}
		/* Drained: the queue and the pending error are empty. */
		assert_int_equal(sock_drain_errors(fd, families[i], &other), 0);
		assert_int_equal(other, 0);
		close(fd);
	}
	errno = 0;
	assert_int_equal(sock_drain_errors(-1, AF_INET, &other), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(sock_recverr(-1, AF_INET), -1);
}

/*
 * The refusal reaches the count by the other ways too: on a dual-stack
 * socket, an IPv4 one through IP_RECVERR; on a connected socket without
 * the error queue, as the pending error (SO_ERROR).
 */
static void
test_unreachable_other_ways(void **state)
{
	struct endpoint closed, any, mapped;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&mapped.ss;
	int fd, gone, other = -1;

	(void)state;
	gone = bound(AF_INET, &closed);
	close(gone);
	/* A connected IPv4 socket, no error queue asked for. */
	fd = bound(AF_INET, &any);
	assert_int_equal(connect(fd, (struct sockaddr *)&closed.ss,
	    closed.len), 0);
	send_one(fd, NULL, 'x', 10);
	wait_for(fd, POLLERR);
	assert_int_equal(sock_drain_errors(fd, AF_INET, &other), 1);
	assert_int_equal(other, 0);
	assert_int_equal(sock_drain_errors(fd, AF_INET, &other), 0);
	close(fd);
	if (no_family(AF_INET6))
		return;
	/* Dual stack: bound to ::, sending to ::ffff:127.0.0.1. */
	assert_int_equal(sock_resolve(NULL, 0, AF_INET6, 1, &any), 0);
	assert_true((fd = sock_open(AF_INET6)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&any.ss, any.len), 0);
	assert_int_equal(sock_recverr(fd, AF_INET6), 0);
	memset(&mapped, 0, sizeof(mapped));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)ep_port(&closed));
	assert_int_equal(inet_pton(AF_INET6, "::ffff:127.0.0.1",
	    &sin6->sin6_addr), 1);
	mapped.len = sizeof(*sin6);
	send_one(fd, &mapped, 'x', 10);
	wait_for(fd, POLLERR);
	assert_int_equal(sock_drain_errors(fd, AF_INET6, &other), 1);
	assert_int_equal(other, 0);
	close(fd);
}

/*
 * A Unix socket has no error queue: Linux ignores MSG_ERRQUEUE there,
 * and a read of it takes the datagram waiting.  The drain leaves that
 * datagram for its reader, and reads the pending error all the same:
 * here ECONNRESET, which a peer that disconnects with datagrams unread
 * leaves on the socket at the other end.
 */
static void
test_unix_no_error_queue(void **state)
{
	struct sockaddr unspec;
	char buf[16];
	int sv[2], other = -1;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	assert_int_equal(send(sv[0], "reply", 5, 0), 5);
	assert_int_equal(sock_drain_errors(sv[1], AF_UNIX, &other), 0);
	assert_int_equal(other, 0);
	assert_int_equal(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 5);
	assert_memory_equal(buf, "reply", 5);
	/* sv[0] drops its peer with a datagram unread. */
	assert_int_equal(send(sv[1], "unread", 6, 0), 6);
	memset(&unspec, 0, sizeof(unspec));
	unspec.sa_family = AF_UNSPEC;
	assert_int_equal(connect(sv[0], &unspec, sizeof(unspec)), 0);
	assert_int_equal(sock_drain_errors(sv[1], AF_UNIX, &other), 0);
	assert_int_equal(other, ECONNRESET);
	assert_int_equal(sock_drain_errors(sv[1], AF_UNIX, &other), 0);
	assert_int_equal(other, 0);
	close(sv[0]);
	close(sv[1]);
}

/*
 * The receive buffer: what was asked for, the kernel doubling what it is
 * given; all of it where SO_RCVBUFFORCE is allowed (CAP_NET_ADMIN).
 */
static void
test_rcvbuf(void **state)
{
	struct endpoint ep;
	long small, big, most;
	int fd, v = 4096, forced;

	(void)state;
	fd = bound(AF_INET, &ep);
	forced = setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v,
	    sizeof(v)) == 0;
	small = sock_rcvbuf(fd, 65536);
	big = sock_rcvbuf(fd, 1 << 20);
	most = sock_rcvbuf(fd, 0);
	print_message("receive buffer: %ld, %ld, %ld%s\n", small, big, most,
	    forced ? " (forced)" : "");
	assert_true(small > 0 && small <= 65536);
	assert_true(big >= small && big <= 1 << 20);
	assert_true(most >= big);
	if (forced) {
		assert_int_equal(small, 65536);
		assert_int_equal(big, 1 << 20);
		assert_int_equal(most, 256 << 20);
		small = sock_rcvbuf(fd, 1);	/* the least there is */
		assert_true(small > 0 && small < 65536);
	}
	close(fd);
	errno = 0;
	assert_int_equal(sock_rcvbuf(-1, 4096), -1);
	assert_int_equal(errno, EBADF);
}

struct mcast_case {
	const char	*addr;
	int		 multicast;
};

static const struct mcast_case mcast_cases[] = {
	{ "224.0.0.1", 1 },
	{ "239.255.255.255", 1 },
	{ "232.1.2.3", 1 },
	{ "223.255.255.255", 0 },
	{ "240.0.0.1", 0 },
	{ "127.0.0.1", 0 },
	{ "255.255.255.255", 0 },
	{ "ff02::1", 1 },
	{ "ff3e::8000:1", 1 },
	{ "fe80::1", 0 },
	{ "::1", 0 },
	{ "::ffff:224.0.0.1", 0 },	/* IPv4-mapped: not an IPv6 group */
};

static void
test_is_multicast(void **state)
{
	struct endpoint ep;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(mcast_cases); i++) {
		assert_int_equal(sock_resolve(mcast_cases[i].addr, 9, AF_UNSPEC,
		    0, &ep), 0);
		if (sock_is_multicast(&ep) != mcast_cases[i].multicast)
			fail_msg("'%s' %s multicast", mcast_cases[i].addr,
			    mcast_cases[i].multicast ? "not" : "taken as");
	}
	memset(&ep, 0, sizeof(ep));
	ep.ss.ss_family = AF_UNIX;
	assert_int_equal(sock_is_multicast(&ep), 0);
}

/*
 * Broadcast addresses by interface: none for a name nobody has (ENODEV)
 * or for lo (EADDRNOTAVAIL); never a loopback one in the list of all.
 */
static void
test_broadcast_lookup(void **state)
{
	struct in_addr a, all[16];
	int n, i;

	(void)state;
	errno = 0;
	assert_int_equal(sock_if_broadcast("nosuch-if0", &a), -1);
	assert_int_equal(errno, ENODEV);
	errno = 0;
	assert_int_equal(sock_if_broadcast("lo", &a), -1);
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_true((n = sock_all_broadcast(all, 16)) >= 0);
	for (i = 0; i < n; i++)
		assert_true((ntohl(all[i].s_addr) >> 24) != 127);
	assert_int_equal(sock_all_broadcast(all, 0), 0);
}

/* Reads an int option (a byte for IPv4 multicast TTL and loop). */
static int
get_opt(int fd, int level, int name)
{
	unsigned char b[sizeof(int)];
	socklen_t len = sizeof(b);
	int v;

	memset(b, 0, sizeof(b));
	assert_int_equal(getsockopt(fd, level, name, b, &len), 0);
	if (len == 1)
		return b[0];
	assert_int_equal(len, sizeof(int));
	memcpy(&v, b, sizeof(v));
	return v;
}

/* TTL/hop limit and TOS/traffic class: set, left alone, refused. */
static void
test_ip_opts(void **state)
{
	struct endpoint ep;
	size_t i;
	int fd, v6, lttl, ltos;

	(void)state;
	for (i = 0; i < NELEM(families); i++) {
		if (no_family(families[i]))
			continue;
		v6 = families[i] == AF_INET6;
		lttl = v6 ? IPV6_UNICAST_HOPS : IP_TTL;
		ltos = v6 ? IPV6_TCLASS : IP_TOS;
		fd = bound(families[i], &ep);
		assert_int_equal(sock_ip_opts(fd, families[i], 7, 0x20), 0);
		assert_int_equal(get_opt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
		    lttl), 7);
		assert_int_equal(get_opt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
		    ltos), 0x20);
		/* Negative: left as it was. */
		assert_int_equal(sock_ip_opts(fd, families[i], -1, -1), 0);
		assert_int_equal(get_opt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
		    lttl), 7);
		assert_int_equal(sock_ip_opts(fd, families[i], 255, -1), 0);
		assert_int_equal(get_opt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
		    lttl), 255);
		assert_int_equal(get_opt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
		    ltos), 0x20);
		/* Out of range: the kernel's EINVAL, kept in errno. */
		errno = 0;
		assert_int_equal(sock_ip_opts(fd, families[i], 256, -1), -1);
		assert_int_equal(errno, EINVAL);
		close(fd);
	}
}

/* Only the groups joined; multicast TTL/hops, loop and interface. */
static void
test_mcast_opts(void **state)
{
	struct endpoint ep;
	unsigned lo = if_nametoindex("lo");
	size_t i;
	int fd, v6, level;

	(void)state;
	assert_true(lo > 0);
	for (i = 0; i < NELEM(families); i++) {
		if (no_family(families[i]))
			continue;
		v6 = families[i] == AF_INET6;
		level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
		fd = bound(families[i], &ep);
		assert_int_equal(sock_only_joined(fd, families[i]), 0);
		assert_int_equal(get_opt(fd, IPPROTO_IP, IP_MULTICAST_ALL), 0);
		if (v6)
			assert_int_equal(get_opt(fd, level, IPV6_MULTICAST_ALL),
			    0);
		assert_int_equal(sock_mcast_opts(fd, families[i], 3, 0, lo), 0);
		assert_int_equal(get_opt(fd, level, v6 ? IPV6_MULTICAST_HOPS :
		    IP_MULTICAST_TTL), 3);
		assert_int_equal(get_opt(fd, level, v6 ? IPV6_MULTICAST_LOOP :
		    IP_MULTICAST_LOOP), 0);
		if (v6)
			assert_int_equal(get_opt(fd, level, IPV6_MULTICAST_IF),
			    (int)lo);
		assert_int_equal(sock_mcast_opts(fd, families[i], -1, -1, 0),
		    0);
		assert_int_equal(get_opt(fd, level, v6 ? IPV6_MULTICAST_HOPS :
		    IP_MULTICAST_TTL), 3);
		assert_int_equal(get_opt(fd, level, v6 ? IPV6_MULTICAST_LOOP :
		    IP_MULTICAST_LOOP), 0);
		assert_int_equal(sock_mcast_opts(fd, families[i], 64, 1, 0), 0);
		assert_int_equal(get_opt(fd, level, v6 ? IPV6_MULTICAST_HOPS :
		    IP_MULTICAST_TTL), 64);
		assert_int_equal(get_opt(fd, level, v6 ? IPV6_MULTICAST_LOOP :
		    IP_MULTICAST_LOOP), 1);
		errno = 0;
		assert_int_equal(sock_mcast_opts(fd, families[i], -1, -1,
		    4000000000u), -1);
		assert_true(errno == ENODEV || errno == EINVAL ||
		    errno == EADDRNOTAVAIL);
		close(fd);
	}
}

/* Buffer k of rx holds datagram j from sep (or no sender, unasked). */
static void
check_slot(const struct rxbatch *rx, unsigned k, size_t j,
    const struct endpoint *sep)
{
	static const struct sockaddr_storage zero;
	const unsigned char *p = rx->iov[k].iov_base;

	assert_int_equal(rx->msg[k].msg_len, 1 + j);
	assert_int_equal(p[0], 'A' + j % 50);
	assert_int_equal(p[j], 'A' + j % 50);
	assert_int_equal(rx->seg[k], 0);
	if (rx->want_from) {
		assert_int_equal(rx->msg[k].msg_hdr.msg_namelen, sep->len);
		assert_memory_equal(&rx->from[k], &sep->ss, sep->len);
	} else
		assert_memory_equal(&rx->from[k], &zero, sizeof(zero));
}

/*
 * Runs fn on a fresh receiving and sending socket of each family, with
 * senders asked for and not.
 */
static void
each_pair(void (*fn)(int rfd, const struct endpoint *rep, int sfd,
    const struct endpoint *sep, int want_from))
{
	struct endpoint rep, sep;
	size_t i;
	int rfd, sfd, want_from;

	for (i = 0; i < NELEM(families); i++) {
		if (no_family(families[i]))
			continue;
		for (want_from = 0; want_from <= 1; want_from++) {
			rfd = bound(families[i], &rep);
			sfd = bound(families[i], &sep);
			fn(rfd, &rep, sfd, &sep, want_from);
			close(sfd);
			close(rfd);
		}
	}
}

/*
 * Batches: 100 datagrams come in batches of at most 64, then none; the
 * sizes and bytes of each, the sender when asked for, zeros when not.
 */
static void
batches_case(int rfd, const struct endpoint *rep, int sfd,
    const struct endpoint *sep, int want_from)
{
	struct rxbatch rx;
	size_t k;
	int got, total;

	assert_int_equal(sock_rx_init(&rx, 200, want_from), 0);
	assert_int_equal(sock_rx(rfd, &rx, SOCK_BATCH), 0);
	for (k = 0; k < 100; k++)
		send_one(sfd, rep, (char)('A' + k % 50), 1 + k);
	for (total = 0; total < 100; total += got) {
		wait_for(rfd, POLLIN);
		got = sock_rx(rfd, &rx, SOCK_BATCH);
		assert_true(got > 0 && got <= SOCK_BATCH);
		for (k = 0; k < (size_t)got; k++)
			check_slot(&rx, (unsigned)k, (size_t)total + k, sep);
	}
	assert_int_equal(total, 100);
	assert_int_equal(sock_rx(rfd, &rx, SOCK_BATCH), 0);
	sock_rx_free(&rx);
	sock_rx_free(&rx);	/* twice is harmless */
}

static void
test_rx_batches(void **state)
{
	(void)state;
	each_pair(batches_case);
}

/*
 * The receive buffers take memory only as datagrams fill them: measured
 * with mincore() right after sock_rx_init(), malloc() told to map
 * buffers this large afresh (fresh pages stay out of memory until
 * written).  A listener of small datagrams keeps little of its 4 MiB.
 */
static void
test_rx_untouched(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	struct rxbatch rx;
	unsigned char *vec;
	uintptr_t start, end;
	size_t npages, i, in = 0;

	(void)state;
	assert_true(page > 0);
	/* (ASan's allocator ignores this; it maps large blocks anyway.) */
	(void)mallopt(M_MMAP_THRESHOLD, 1 << 20);
	assert_int_equal(sock_rx_init(&rx, 65535, 0), 0);
	start = ((uintptr_t)rx.data + (uintptr_t)page - 1) &
	    ~((uintptr_t)page - 1);
	end = ((uintptr_t)rx.data + rx.stride * SOCK_BATCH) &
	    ~((uintptr_t)page - 1);
	npages = (end - start) / (uintptr_t)page;
	assert_non_null(vec = malloc(npages));
	assert_int_equal(mincore((void *)start, end - start, vec), 0);
	for (i = 0; i < npages; i++)
		in += vec[i] & 1;
	if (in > npages / 100)
		fail_msg("%zu of %zu pages of the receive buffers in memory "
		    "before any datagram", in, npages);
	free(vec);
	sock_rx_free(&rx);
}

/*
 * Each buffer starts on a page, whatever its size, so that a datagram
 * of up to a page is in one page: 4 KiB GRO buffers kept twice the
 * memory when buffers followed each other byte for byte.
 */
static void
test_rx_aligned(void **state)
{
	static const size_t sizes[] = { 1, 8, 1472, 4096, 4097, 65507, 65535 };
	size_t page = (size_t)sysconf(_SC_PAGESIZE), k;
	struct rxbatch rx;
	unsigned i;

	(void)state;
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		assert_int_equal(sock_rx_init(&rx, sizes[k], 0), 0);
		assert_true(rx.stride >= sizes[k]);
		assert_true(rx.stride - sizes[k] < page);
		for (i = 0; i < SOCK_BATCH; i++) {
			assert_int_equal((uintptr_t)rx.iov[i].iov_base % page, 0);
			assert_int_equal(rx.iov[i].iov_len, sizes[k]);
		}
		assert_ptr_equal(rx.iov[SOCK_BATCH - 1].iov_base,
		    rx.data + (SOCK_BATCH - 1) * rx.stride);
		sock_rx_free(&rx);
	}
}

/*
 * Truncation: a datagram larger than the buffer says its real size, and
 * the buffer holds its start; the next buffer is not touched.
 */
static void
test_rx_truncated(void **state)
{
	struct endpoint rep, sep;
	struct rxbatch rx;
	int rfd, sfd;

	(void)state;
	rfd = bound(AF_INET, &rep);
	sfd = bound(AF_INET, &sep);
	assert_int_equal(sock_rx_init(&rx, 8, 1), 0);
	memset(rx.data, 'z', 16);	/* the buffer and 8 bytes past it */
	send_one(sfd, &rep, 'a', 20);
	send_one(sfd, &rep, 'b', 8);
	send_one(sfd, &rep, 'c', 0);
	wait_for(rfd, POLLIN);
	assert_int_equal(sock_rx(rfd, &rx, 1), 1);
	assert_int_equal(rx.msg[0].msg_len, 20);
	assert_memory_equal(rx.data, "aaaaaaaa", 8);
	assert_int_equal(rx.data[8], 'z');
	wait_for(rfd, POLLIN);
	assert_int_equal(sock_rx(rfd, &rx, 1), 1);
	assert_int_equal(rx.msg[0].msg_len, 8);
	assert_memory_equal(rx.data, "bbbbbbbb", 8);
	wait_for(rfd, POLLIN);
	assert_int_equal(sock_rx(rfd, &rx, 1), 1);
	assert_int_equal(rx.msg[0].msg_len, 0);
	errno = 0;
	assert_int_equal(sock_rx(-1, &rx, 1), -1);
	assert_int_equal(errno, EBADF);
	sock_rx_free(&rx);
	close(sfd);
	close(rfd);
}

/* Arrival times only when asked for, in real time, in order. */
static void
test_rx_timestamps(void **state)
{
	struct endpoint rep, sep;
	struct rxbatch rx;
	struct timespec before, after;
	int rfd, sfd, k;

	(void)state;
	rfd = bound(AF_INET, &rep);
	sfd = bound(AF_INET, &sep);
	assert_int_equal(sock_rx_init(&rx, 64, 0), 0);
	send_one(sfd, &rep, 'x', 1);
	wait_for(rfd, POLLIN);
	assert_int_equal(sock_rx(rfd, &rx, 1), 1);
	assert_true(rx.ts[0].tv_sec == 0 && rx.ts[0].tv_nsec == 0);
	assert_int_equal(sock_rx_timestamps(rfd), 0);
	assert_int_equal(clock_gettime(CLOCK_REALTIME, &before), 0);
	send_one(sfd, &rep, 'y', 1);
	send_one(sfd, &rep, 'z', 1);
	for (k = 0; k < 2; k++) {
		wait_for(rfd, POLLIN);
		assert_int_equal(sock_rx(rfd, &rx, 1), 1);
		assert_int_equal(clock_gettime(CLOCK_REALTIME, &after), 0);
		/* Stamped after the send began, before it was read. */
		assert_true(rx.ts[0].tv_sec > before.tv_sec ||
		    (rx.ts[0].tv_sec == before.tv_sec &&
		    rx.ts[0].tv_nsec >= before.tv_nsec));
		assert_true(rx.ts[0].tv_sec < after.tv_sec ||
		    (rx.ts[0].tv_sec == after.tv_sec &&
		    rx.ts[0].tv_nsec <= after.tv_nsec));
		before = rx.ts[0];
	}
	sock_rx_free(&rx);
	close(sfd);
	close(rfd);
	assert_int_equal(sock_rx_timestamps(-1), -1);
}

/*
 * The kernel's drop count: none, then, once the buffer overflowed, as
 * many as were sent and not delivered.
 */
static void
test_drops(void **state)
{
	static size_t len[MAX_DGRAMS];
	static char first[MAX_DGRAMS];
	struct endpoint rep, sep;
	struct rxbatch rx;
	uint32_t drops = 12345;
	unsigned delivered = 0;
	int rfd, sfd, k, got;

	(void)state;
	rfd = bound(AF_INET, &rep);
	sfd = bound(AF_INET, &sep);
	assert_int_equal(sock_rx_init(&rx, 2000, 0), 0);
	assert_int_equal(sock_drops(rfd, &drops), 0);
	assert_int_equal(drops, 0);
	assert_true(sock_rcvbuf(rfd, 4096) > 0);
	for (k = 0; k < 200; k++)
		send_one(sfd, &rep, 'd', 1000);
	while ((got = sock_rx(rfd, &rx, SOCK_BATCH)) > 0)
		delivered += (unsigned)got;
	/* The same flow, in order: once "end" is in, so is the rest. */
	assert_int_equal(sendto(sfd, "end", 3, 0,
	    (struct sockaddr *)&rep.ss, rep.len), 3);
	delivered += recv_until_end(rfd, &rx, len, first);
	assert_int_equal(sock_drops(rfd, &drops), 0);
	print_message("200 sent into a 4 KiB buffer: %u delivered, %u "
	    "dropped\n", delivered, drops);
	assert_true(drops > 0);
	assert_int_equal(drops + delivered, 200);
	sock_rx_free(&rx);
	close(sfd);
	close(rfd);
	errno = 0;
	assert_int_equal(sock_drops(-1, &drops), -1);
	assert_int_equal(errno, EBADF);
}

/* Sizes of a send: runs of equal ones, a shorter one ending each. */
static const size_t tx_sizes[] = {
	100, 100, 100, 50, 200, 200, 7, 7, 7, 7, 1, 300, 0, 300, 300, 1400,
	1400, 1400, 1400, 1400, 1400, 1400, 1400, 1400, 1400, 1399, 65000, 5,
	20, 10, 10, 10, 10, 11, 11,
};

/*
 * Sends tx_sizes with sock_tx() and checks that each datagram arrived
 * once, whole and in order.  Returns *gso as sock_tx() left it.
 */
static int
check_tx(int sfd, const struct endpoint *dst, int rfd, int gso)
{
	static char bufs[NELEM(tx_sizes)][65000];
	static size_t len[MAX_DGRAMS];
	static char first[MAX_DGRAMS];
	struct iovec iov[NELEM(tx_sizes)];
	struct rxbatch rx;
	unsigned n, i;
	int err = -1;

	for (i = 0; i < NELEM(tx_sizes); i++) {
		memset(bufs[i], '0' + (int)i, tx_sizes[i]);
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = tx_sizes[i];
	}
	assert_int_equal(sock_rx_init(&rx, 65535, 0), 0);
	assert_true(sock_rcvbuf(rfd, 4 << 20) > 0);
	assert_int_equal(sock_tx(sfd, dst, iov, NELEM(tx_sizes), &gso, &err),
	    NELEM(tx_sizes));
	assert_int_equal(err, 0);
	send_one(sfd, dst, 0, 0);	/* not "end": an empty one, counted */
	assert_true(sendto(sfd, "end", 3, 0, dst != NULL ?
	    (const struct sockaddr *)&dst->ss : NULL, dst != NULL ?
	    dst->len : 0) == 3);
	n = recv_until_end(rfd, &rx, len, first);
	assert_int_equal(n, NELEM(tx_sizes) + 1);
	for (i = 0; i < NELEM(tx_sizes); i++) {
		if (len[i] != tx_sizes[i] || (len[i] > 0 &&
		    first[i] != '0' + (int)i))
			fail_msg("datagram %u: %zu bytes of '%c', want %zu of "
			    "'%c'", i, len[i], first[i], tx_sizes[i],
			    '0' + (int)i);
	}
	assert_int_equal(len[n - 1], 0);
	sock_rx_free(&rx);
	return gso;
}

/* Sending, with and without GSO, to an address and to the connected peer. */
static void
test_tx(void **state)
{
	struct endpoint rep, sep;
	size_t i;
	int rfd, sfd, gso;

	(void)state;
	for (i = 0; i < NELEM(families); i++) {
		if (no_family(families[i]))
			continue;
		rfd = bound(families[i], &rep);
		sfd = bound(families[i], &sep);
		assert_int_equal(check_tx(sfd, &rep, rfd, 0), 0);
		gso = check_tx(sfd, &rep, rfd, 1);
		assert_int_equal(gso, SOCK_BATCHED);
		assert_int_equal(connect(sfd, (struct sockaddr *)&rep.ss,
		    rep.len), 0);
		assert_int_equal(check_tx(sfd, NULL, rfd, 1), SOCK_BATCHED);
		close(sfd);
		close(rfd);
	}
}

/*
 * A kernel that refuses GSO on the socket (it does with SO_NO_CHECK):
 * *gso is cleared, and every datagram still goes, once.
 */
static void
test_tx_gso_refused(void **state)
{
	struct endpoint rep, sep;
	int rfd, sfd, one = 1;

	(void)state;
	if (!SOCK_BATCHED)
		skip();
	rfd = bound(AF_INET, &rep);
	sfd = bound(AF_INET, &sep);
	assert_int_equal(setsockopt(sfd, SOL_SOCKET, SO_NO_CHECK, &one,
	    sizeof(one)), 0);
	assert_int_equal(check_tx(sfd, &rep, rfd, 1), 0);
	close(sfd);
	close(rfd);
}

/* An error that is not GSO's: the count sent before it, and errno. */
static void
test_tx_error(void **state)
{
	static char abc[] = "abc";
	struct iovec iov[3] = { { abc, 1 }, { abc + 1, 1 }, { abc + 2, 1 } };
	struct endpoint ep;
	int fd, gso = 1, err = 0;

	(void)state;
	fd = bound(AF_INET, &ep);
	/* Unconnected and no address: nowhere to send. */
	assert_int_equal(sock_tx(fd, NULL, iov, 3, &gso, &err), 0);
	assert_int_equal(err, EDESTADDRREQ);
	close(fd);
}

/*
 * GRO: datagrams sent as one GSO buffer come to a GRO socket as one
 * buffer whose segment size says how to cut it.
 */
static void
test_rx_gro(void **state)
{
	static char bufs[10][1000];
	struct iovec iov[10];
	struct endpoint rep, sep;
	struct rxbatch rx, small;
	unsigned i, segs = 0, bytes = 0, seen_seg = 0;
	int rfd, sfd, gso = 1, err, got;

	(void)state;
	if (!SOCK_BATCHED)
		skip();
	rfd = bound(AF_INET, &rep);
	sfd = bound(AF_INET, &sep);
	/* Not with buffers that could cut a coalesced one. */
	assert_int_equal(sock_rx_init(&small, 1000, 0), 0);
	assert_int_equal(sock_rx_gro(rfd, &small), 0);
	sock_rx_free(&small);
	assert_int_equal(sock_rx_init(&rx, 65535, 0), 0);
	assert_int_equal(sock_rx_gro(rfd, &rx), 1);
	for (i = 0; i < 10; i++) {
		memset(bufs[i], '0' + (int)i, sizeof(bufs[i]));
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = i < 9 ? 1000 : 400;
	}
	assert_int_equal(sock_tx(sfd, &rep, iov, 10, &gso, &err), 10);
	assert_int_equal(err, 0);
	assert_int_equal(gso, 1);
	while (bytes < 9400) {
		wait_for(rfd, POLLIN);
		assert_true((got = sock_rx(rfd, &rx, SOCK_BATCH)) > 0);
		for (i = 0; i < (unsigned)got; i++) {
			const unsigned char *p = rx.iov[i].iov_base;
			unsigned len = rx.msg[i].msg_len, seg = rx.seg[i];
			unsigned k;

			if (seg > 0) {
				seen_seg = 1;
				assert_int_equal(seg, 1000);
				assert_true(len > seg);
			} else
				seg = len;
			/* Each segment holds its own byte. */
			for (k = 0; k < len; k += seg)
				assert_int_equal(p[k], '0' + segs++);
			bytes += len;
		}
	}
	assert_int_equal(bytes, 9400);
	assert_int_equal(segs, 10);
	assert_true(seen_seg);
	assert_int_equal(sock_rx(rfd, &rx, SOCK_BATCH), 0);
	sock_rx_free(&rx);
	close(sfd);
	close(rfd);
}

/*
 * Plain reads (sock_rx_plain(), GRO off): a datagram at a time comes as
 * by recvmsg(), its real size, bytes, and sender when asked; one cut
 * short says its real size; a read that waits gives up at SO_RCVTIMEO.
 */
static void
plain_case(int rfd, const struct endpoint *rep, int sfd,
    const struct endpoint *sep, int want_from)
{
	struct timeval tv = { 0, 20000 };	/* a held read waits 20 ms */
	struct rxbatch rx;
	size_t k;

	assert_int_equal(sock_rx_init(&rx, 200, want_from), 0);
	sock_rx_plain(&rx);
	for (k = 0; k < 5; k++)
		send_one(sfd, rep, (char)('A' + k), 1 + k);
	for (k = 0; k < 5; k++) {
		wait_for(rfd, POLLIN);
		assert_int_equal(sock_rx(rfd, &rx, 1), 1);
		check_slot(&rx, 0, k, sep);
		assert_int_equal(rx.msg[0].msg_hdr.msg_controllen, 0);
	}
	assert_int_equal(sock_rx(rfd, &rx, 1), 0);
	send_one(sfd, rep, 'x', 300);
	wait_for(rfd, POLLIN);
	assert_int_equal(sock_rx(rfd, &rx, 1), 1);
	assert_int_equal(rx.msg[0].msg_len, 300);
	assert_int_equal(rx.data[199], 'x');
	assert_int_equal(setsockopt(rfd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	assert_int_equal(sock_rx_hold(rfd, &rx, 1, 1), 0);
	sock_rx_free(&rx);
}

static void
test_rx_plain(void **state)
{
	(void)state;
	each_pair(plain_case);
}

/*
 * GRO asked for after sock_rx_plain() waits for a flood: GSO buffers
 * come cut into datagrams until a read fills a whole batch, and whole
 * from then on.
 */
static void
test_rx_gro_later(void **state)
{
	static char bufs[SOCK_BATCH][100];
	struct iovec iov[SOCK_BATCH];
	struct endpoint rep, sep;
	struct rxbatch rx;
	unsigned i;
	int rfd, sfd, gso = 1, err, got, total;

	(void)state;
	if (!SOCK_BATCHED)
		skip();
	rfd = bound(AF_INET, &rep);
	sfd = bound(AF_INET, &sep);
	assert_int_equal(sock_rx_init(&rx, 65535, 0), 0);
	sock_rx_plain(&rx);
	assert_int_equal(sock_rx_gro(rfd, &rx), 1);
	assert_int_equal(rx.gro, 0);
	for (i = 0; i < SOCK_BATCH; i++) {
		memset(bufs[i], 'a' + (int)(i % 26), sizeof(bufs[i]));
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
	}
	/* Four at once, as one GSO send: four datagrams, one by one. */
	assert_int_equal(sock_tx(sfd, &rep, iov, 4, &gso, &err), 4);
	for (total = 0; total < 4; total += got) {
		wait_for(rfd, POLLIN);
		assert_true((got = sock_rx(rfd, &rx, 1)) == 1);
		assert_int_equal(rx.msg[0].msg_len, 100);
		assert_int_equal(rx.seg[0], 0);
	}
	assert_int_equal(rx.gro, 0);
	/* A batch's worth waiting, one by one: a full batch turns it on. */
	for (i = 0; i < SOCK_BATCH; i++)
		assert_int_equal(sock_tx(sfd, &rep, iov + i, 1, &gso, &err),
		    1);
	wait_for(rfd, POLLIN);
	assert_int_equal(sock_rx(rfd, &rx, SOCK_BATCH), SOCK_BATCH);
	assert_int_equal(rx.gro, 1);
	assert_int_equal(sock_tx(sfd, &rep, iov, 4, &gso, &err), 4);
	wait_for(rfd, POLLIN);
	assert_int_equal(sock_rx(rfd, &rx, SOCK_BATCH), 1);
	assert_int_equal(rx.msg[0].msg_len, 400);
	assert_int_equal(rx.seg[0], 100);
	sock_rx_free(&rx);
	close(sfd);
	close(rfd);
}

/* A Unix datagram socket pair: the same batches and sends, no addresses. */
static void
test_unix_pair(void **state)
{
	static char bufs[5][100];
	struct iovec iov[5];
	struct rxbatch rx;
	int sv[2], gso = 0, err = -1, got;
	unsigned i;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv),
	    0);
	for (i = 0; i < 5; i++) {
		memset(bufs[i], 'p' + (int)i, sizeof(bufs[i]));
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = 10 * (i + 1);
	}
	assert_int_equal(sock_tx(sv[0], NULL, iov, 5, &gso, &err), 5);
	assert_int_equal(err, 0);
	assert_int_equal(sock_rx_init(&rx, 32, 0), 0);
	wait_for(sv[1], POLLIN);
	assert_int_equal(got = sock_rx(sv[1], &rx, SOCK_BATCH), 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(rx.msg[i].msg_len, 10 * (i + 1));
		assert_int_equal(*(const unsigned char *)rx.iov[i].iov_base,
		    'p' + (int)i);
		assert_int_equal(rx.seg[i], 0);
	}
	assert_int_equal(sock_rx(sv[1], &rx, SOCK_BATCH), 0);
	/* The peer gone: the error, and nothing counted as sent. */
	close(sv[1]);
	assert_int_equal(sock_tx(sv[0], NULL, iov, 5, &gso, &err), 0);
	assert_true(err == ECONNREFUSED || err == EPIPE);
	sock_rx_free(&rx);
	close(sv[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_open_local),
		cmocka_unit_test(test_port_unreachable),
		cmocka_unit_test(test_unreachable_other_ways),
		cmocka_unit_test(test_unix_no_error_queue),
		cmocka_unit_test(test_rcvbuf),
		cmocka_unit_test(test_is_multicast),
		cmocka_unit_test(test_broadcast_lookup),
		cmocka_unit_test(test_ip_opts),
		cmocka_unit_test(test_mcast_opts),
		cmocka_unit_test(test_rx_batches),
		cmocka_unit_test(test_rx_untouched),
		cmocka_unit_test(test_rx_aligned),
		cmocka_unit_test(test_rx_truncated),
		cmocka_unit_test(test_rx_timestamps),
		cmocka_unit_test(test_drops),
		cmocka_unit_test(test_tx),
		cmocka_unit_test(test_tx_gso_refused),
		cmocka_unit_test(test_tx_error),
		cmocka_unit_test(test_rx_gro),
		cmocka_unit_test(test_rx_plain),
		cmocka_unit_test(test_rx_gro_later),
		cmocka_unit_test(test_unix_pair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
