/* sock.c: sockets: resolving, options, errors, interfaces; never prints. */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include "sock.h"

int
sock_resolve(const char *host, uint16_t port, int family, int passive,
    struct endpoint *ep)
{
	struct addrinfo hints, *res;
	char serv[8];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	snprintf(serv, sizeof(serv), "%u", (unsigned)port);
	if ((rc = getaddrinfo(host, serv, &hints, &res)) != 0)
		return rc;
	memcpy(&ep->ss, res->ai_addr, res->ai_addrlen);
	ep->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int
sock_open(int family)
{
	return socket(family, SOCK_DGRAM | SOCK_CLOEXEC, family == AF_UNIX ?
	    0 : IPPROTO_UDP);
}

int
sock_local(int fd, struct endpoint *ep)
{
	ep->len = sizeof(ep->ss);
	return getsockname(fd, (struct sockaddr *)&ep->ss, &ep->len);
}

int
sock_recverr(int fd, int family)
{
	int on = 1;

	if (family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on,
		    sizeof(on)) == -1)
			return -1;
		/* A dual-stack socket takes IPv4 errors too; v6-only refuses. */
		(void)setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
		return 0;
	}
	return setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
}

/* Returns the errno of one error-queue message, or 0 if it has none. */
static int
errqueue_errno(struct msghdr *m)
{
	struct cmsghdr *c;
	struct sock_extended_err ee;

	for (c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c)) {
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_RECVERR)) {
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			return (int)ee.ee_errno;
		}
	}
	return 0;
}

/* The error queue's reports: refusals counted, the others in *other. */
static int
drain_queue(int fd, int *other)
{
	unsigned char data[64], ctrl[512];
	struct sockaddr_storage from;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m;
	int refused = 0, e;

	for (;;) {
		memset(&m, 0, sizeof(m));
		m.msg_name = &from;
		m.msg_namelen = sizeof(from);
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = ctrl;
		m.msg_controllen = sizeof(ctrl);
		if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			return -1;
		}
		if ((e = errqueue_errno(&m)) == ECONNREFUSED)
			refused++;
		else if (e != 0)
			*other = e;
	}
	return refused;
}

int
sock_drain_errors(int fd, int family, int *other)
{
	socklen_t len;
	int refused = 0, e;

	*other = 0;
	/* Linux ignores MSG_ERRQUEUE there, and the read takes a datagram. */
	if (family != AF_UNIX && (refused = drain_queue(fd, other)) == -1)
		return -1;
	/* Reading SO_ERROR clears the pending error the queue left behind. */
	len = sizeof(e);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 && e != 0) {
		if (e == ECONNREFUSED)
			refused += refused == 0;
		else
			*other = e;
	}
	return refused;
}

int
sock_df(int fd, int family)
{
	int v;

	if (family == AF_INET) {
		v = IP_PMTUDISC_DO;
		return setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v,
		    sizeof(v));
	}
	v = IPV6_PMTUDISC_DO;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v,
	    sizeof(v)) == -1)
		return -1;
	v = 1;
	return setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &v, sizeof(v));
}

int
sock_path_mtu(const struct endpoint *dst)
{
	int fd, mtu = -1, e;
	socklen_t len = sizeof(mtu);

	if ((fd = sock_open(dst->ss.ss_family)) == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)&dst->ss, dst->len) == 0 &&
	    getsockopt(fd, dst->ss.ss_family == AF_INET ? IPPROTO_IP :
	    IPPROTO_IPV6, dst->ss.ss_family == AF_INET ? IP_MTU : IPV6_MTU,
	    &mtu, &len) == -1)
		mtu = -1;
	e = errno;
	close(fd);
	errno = e;
	return mtu;
}

int
sock_mtu(int fd)
{
	struct endpoint me;
	socklen_t len = sizeof(int);
	int mtu;

	if (sock_local(fd, &me) == -1 || getsockopt(fd,
	    me.ss.ss_family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
	    me.ss.ss_family == AF_INET ? IP_MTU : IPV6_MTU, &mtu, &len) == -1)
		return -1;
	return mtu;
}

long
sock_rcvbuf(int fd, size_t want)
{
	int size, got;
	socklen_t len = sizeof(got);

	/*
	 * Unasked, room for a burst of 256 MiB: a 64 MiB file of 64 KiB
	 * datagrams with the kernel's overhead fits whole, so a reader held
	 * up for a moment loses nothing.  The kernel only grants it with
	 * SO_RCVBUFFORCE (CAP_NET_ADMIN); others get net.core.rmem_max.
	 */
	if (want == 0)
		size = 256 << 20;
	else
		size = want > (size_t)(1 << 30) ? 1 << 30 : (int)want;
	/* The kernel doubles the value it is given; ask for half. */
	size = size / 2 > 1 ? size / 2 : 1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) == -1 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) == -1)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == -1)
		return -1;
	return got;
}

int
sock_is_multicast(const struct endpoint *ep)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ep->ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ep->ss;

	if (ep->ss.ss_family == AF_INET)
		return IN_MULTICAST(ntohl(s4->sin_addr.s_addr));
	if (ep->ss.ss_family == AF_INET6)
		return IN6_IS_ADDR_MULTICAST(&s6->sin6_addr);
	return 0;
}

int
sock_join(int fd, const struct endpoint *group, const struct endpoint *source,
    unsigned ifindex)
{
	int level = group->ss.ss_family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;

	if (source == NULL) {
		struct group_req gr;

		memset(&gr, 0, sizeof(gr));
		gr.gr_interface = ifindex;
		memcpy(&gr.gr_group, &group->ss, group->len);
		return setsockopt(fd, level, MCAST_JOIN_GROUP, &gr, sizeof(gr));
	} else {
		struct group_source_req gsr;

		memset(&gsr, 0, sizeof(gsr));
		gsr.gsr_interface = ifindex;
		memcpy(&gsr.gsr_group, &group->ss, group->len);
		memcpy(&gsr.gsr_source, &source->ss, source->len);
		return setsockopt(fd, level, MCAST_JOIN_SOURCE_GROUP, &gsr,
		    sizeof(gsr));
	}
}

int
sock_only_joined(int fd, int family)
{
	int off = 0;

	/*
	 * Linux hands a socket bound to a wildcard address every group that
	 * any socket on the host joined (IP_MULTICAST_ALL and
	 * IPV6_MULTICAST_ALL default to 1).  Kernels without the options
	 * say ENOPROTOOPT, and have no such behaviour to turn off.
	 */
#ifdef IP_MULTICAST_ALL
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &off,
	    sizeof(off)) == -1 && errno != ENOPROTOOPT)
		return -1;
#endif
#ifdef IPV6_MULTICAST_ALL
	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_MULTICAST_ALL, &off, sizeof(off)) == -1 &&
	    errno != ENOPROTOOPT)
		return -1;
#endif
	(void)off;
	(void)family;
	return 0;
}

int
sock_mcast_opts(int fd, int family, int ttl, int loop, unsigned ifindex)
{
	if (family == AF_INET) {
		unsigned char t = (unsigned char)ttl, l = (unsigned char)loop;
		struct ip_mreqn mr;

		if (ttl >= 0 && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL,
		    &t, sizeof(t)) == -1)
			return -1;
		if (loop >= 0 && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP,
		    &l, sizeof(l)) == -1)
			return -1;
		if (ifindex == 0)
			return 0;
		memset(&mr, 0, sizeof(mr));
		mr.imr_ifindex = (int)ifindex;
		return setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr,
		    sizeof(mr));
	}
	if (ttl >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS,
	    &ttl, sizeof(ttl)) == -1)
		return -1;
	if (loop >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP,
	    &loop, sizeof(loop)) == -1)
		return -1;
	if (ifindex != 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF,
	    &ifindex, sizeof(ifindex)) == -1)
		return -1;
	return 0;
}

int
sock_ip_opts(int fd, int family, int ttl, int tos)
{
	if (family == AF_INET) {
		if (ttl >= 0 && setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl,
		    sizeof(ttl)) == -1)
			return -1;
		if (tos >= 0 && setsockopt(fd, IPPROTO_IP, IP_TOS, &tos,
		    sizeof(tos)) == -1)
			return -1;
		return 0;
	}
	if (ttl >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl,
	    sizeof(ttl)) == -1)
		return -1;
	if (tos >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos,
	    sizeof(tos)) == -1)
		return -1;
	return 0;
}

/* True when ifa is an up, broadcast-capable IPv4 interface address. */
static int
is_broadcast_addr(const struct ifaddrs *ifa)
{
	return ifa->ifa_addr != NULL && ifa->ifa_addr->sa_family == AF_INET &&
	    (ifa->ifa_flags & IFF_UP) && (ifa->ifa_flags & IFF_BROADCAST) &&
	    ifa->ifa_broadaddr != NULL;
}

int
sock_if_broadcast(const char *name, struct in_addr *addr)
{
	struct ifaddrs *ifs, *ifa;
	int found = 0;

	if (if_nametoindex(name) == 0) {
		errno = ENODEV;
		return -1;
	}
	if (getifaddrs(&ifs) == -1)
		return -1;
	for (ifa = ifs; ifa != NULL && !found; ifa = ifa->ifa_next) {
		if (strcmp(ifa->ifa_name, name) != 0 || !is_broadcast_addr(ifa))
			continue;
		*addr = ((struct sockaddr_in *)ifa->ifa_broadaddr)->sin_addr;
		found = 1;
	}
	freeifaddrs(ifs);
	if (!found) {
		errno = EADDRNOTAVAIL;
		return -1;
	}
	return 0;
}

int
sock_all_broadcast(struct in_addr *addrs, int max)
{
	struct ifaddrs *ifs, *ifa;
	int n = 0, i;

	if (getifaddrs(&ifs) == -1)
		return -1;
	for (ifa = ifs; ifa != NULL && n < max; ifa = ifa->ifa_next) {
		struct in_addr a;

		if (!is_broadcast_addr(ifa) || (ifa->ifa_flags & IFF_LOOPBACK))
			continue;
		a = ((struct sockaddr_in *)ifa->ifa_broadaddr)->sin_addr;
		for (i = 0; i < n; i++)
			if (addrs[i].s_addr == a.s_addr)
				break;
		if (i == n)
			addrs[n++] = a;
	}
	freeifaddrs(ifs);
	return n;
}
