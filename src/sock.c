/* sock.c: UDP sockets: resolving, options, batched I/O; never prints. */
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

/*
 * Room for the GRO segment size and the arrival time of each buffer, or
 * a Unix sender's credentials, or what the datagram carried.
 */
#define RX_CTRL	(CMSG_SPACE(sizeof(int)) + \
		 CMSG_SPACE(sizeof(struct timespec)) + \
		 CMSG_SPACE(sizeof(struct ucred)) + \
		 CMSG_SPACE(sizeof(struct in6_pktinfo)) + \
		 3 * CMSG_SPACE(sizeof(int)))

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

int
sock_drain_errors(int fd, int *other)
{
	unsigned char data[64], ctrl[512];
	struct sockaddr_storage from;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m;
	socklen_t len;
	int refused = 0, e;

	*other = 0;
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

/*
 * Zeroes the n bytes at p and writes to every page of them, so that they
 * are in memory now: memset() alone after malloc() is not enough, as
 * compilers turn the two into a calloc() that leaves fresh pages alone.
 */
static void
touch(unsigned char *p, size_t n)
{
	volatile unsigned char	*v = p;
	size_t			 i;

	memset(p, 0, n);
	for (i = 0; i < n; i += 4096)
		v[i] = 0;
	if (n > 0)
		v[n - 1] = 0;
}

int
sock_rx_init(struct rxbatch *rx, size_t size, int want_from)
{
	memset(rx, 0, sizeof(*rx));
	rx->size = size;
	rx->want_from = want_from;
	rx->data = malloc(size * SOCK_BATCH);
	rx->ctrl = malloc(RX_CTRL * SOCK_BATCH);
	if (rx->data == NULL || rx->ctrl == NULL) {
		sock_rx_free(rx);
		errno = ENOMEM;
		return -1;
	}
	/* Touched now, so that the memory in use stays flat from here on. */
	touch(rx->data, size * SOCK_BATCH);
	return 0;
}

void
sock_rx_free(struct rxbatch *rx)
{
	free(rx->data);
	free(rx->ctrl);
	rx->data = NULL;
	rx->ctrl = NULL;
}

int
sock_drops(int fd, uint32_t *drops)
{
#ifdef SO_MEMINFO
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == -1)
		return -1;
	if (len < (SK_MEMINFO_DROPS + 1) * sizeof(mem[0])) {
		errno = ENOPROTOOPT;
		return -1;
	}
	*drops = mem[SK_MEMINFO_DROPS];
	return 0;
#else
	(void)fd;
	(void)drops;
	errno = ENOPROTOOPT;
	return -1;
#endif
}

int
sock_rx_info(int fd, int family, struct rxbatch *rx)
{
	static const int v4[] = { IP_PKTINFO, IP_RECVTTL, IP_RECVTOS };
	static const int v6[] = { IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT,
	    IPV6_RECVTCLASS };
	int on = 1, i, v4_ok = 1;

	for (i = 0; i < 3; i++)
		if (setsockopt(fd, IPPROTO_IP, v4[i], &on, sizeof(on)) == -1)
			v4_ok = 0;
	if (family == AF_INET && !v4_ok)
		return -1;
	for (i = 0; i < 3 && family == AF_INET6; i++)
		if (setsockopt(fd, IPPROTO_IPV6, v6[i], &on, sizeof(on)) == -1)
			return -1;
	rx->want_info = 1;
	return 0;
}

/* Reads one IP-level control message into what datagram i carried. */
static void
rx_info_cmsg(struct rx_info *in, const struct cmsghdr *c)
{
	struct in_pktinfo p4;
	struct in6_pktinfo p6;
	int v;

	if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
		memcpy(&p4, CMSG_DATA(c), sizeof(p4));
		memset(&in->to, 0, sizeof(in->to));
		in->to.s6_addr[10] = in->to.s6_addr[11] = 0xff;
		memcpy(in->to.s6_addr + 12, &p4.ipi_addr, 4);
		in->ifindex = (unsigned)p4.ipi_ifindex;
		in->has_to = 1;
	} else if (c->cmsg_level == IPPROTO_IPV6 &&
	    c->cmsg_type == IPV6_PKTINFO) {
		memcpy(&p6, CMSG_DATA(c), sizeof(p6));
		in->to = p6.ipi6_addr;
		in->ifindex = p6.ipi6_ifindex;
		in->has_to = 1;
	} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)
		in->tos = *(const unsigned char *)CMSG_DATA(c);
	else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
	    (c->cmsg_level == IPPROTO_IPV6 &&
	    c->cmsg_type == IPV6_HOPLIMIT)) {
		memcpy(&v, CMSG_DATA(c), sizeof(v));
		in->ttl = v;
	} else if (c->cmsg_level == IPPROTO_IPV6 &&
	    c->cmsg_type == IPV6_TCLASS) {
		memcpy(&v, CMSG_DATA(c), sizeof(v));
		in->tos = v;
	}
}

int
sock_rx_creds(int fd)
{
#ifdef SO_PASSCRED
	int on = 1;

	return setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
#else
	(void)fd;
	errno = ENOPROTOOPT;
	return -1;
#endif
}

int
sock_rx_timestamps(int fd)
{
#ifdef SO_TIMESTAMPNS
	int on = 1;

	return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
#else
	(void)fd;
	errno = ENOPROTOOPT;
	return -1;
#endif
}

int
sock_rx_gro(int fd, struct rxbatch *rx)
{
#if SOCK_BATCHED && defined(UDP_GRO)
	int on = 1;

	if (rx->size >= 65535 && setsockopt(fd, IPPROTO_UDP, UDP_GRO, &on,
	    sizeof(on)) == 0)
		rx->gro = 1;
#else
	(void)fd;
#endif
	return rx->gro;
}

/* Reads the GRO segment size and the arrival time of buffer i. */
static void
rx_cmsgs(struct rxbatch *rx, unsigned i)
{
	struct msghdr *m = &rx->msg[i].msg_hdr;
	struct cmsghdr *c;
	int seg;

	rx->seg[i] = 0;
	rx->ts[i].tv_sec = 0;
	rx->ts[i].tv_nsec = 0;
	rx->has_cred[i] = 0;
	if (rx->want_info) {
		memset(&rx->info[i], 0, sizeof(rx->info[i]));
		rx->info[i].ttl = rx->info[i].tos = -1;
	}
	for (c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c)) {
		if (rx->want_info)
			rx_info_cmsg(&rx->info[i], c);
#ifdef SCM_CREDENTIALS
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&rx->cred[i], CMSG_DATA(c), sizeof(rx->cred[i]));
			rx->has_cred[i] = 1;
		}
#endif
#ifdef SO_TIMESTAMPNS
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SO_TIMESTAMPNS)
			memcpy(&rx->ts[i], CMSG_DATA(c), sizeof(rx->ts[i]));
#endif
#if SOCK_BATCHED && defined(UDP_GRO)
		if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO) {
			memcpy(&seg, CMSG_DATA(c), sizeof(seg));
			if (seg > 0 && rx->msg[i].msg_len > (unsigned)seg)
				rx->seg[i] = (unsigned)seg;
		}
#else
		(void)seg;
#endif
	}
}

/* Points message i of the batch at its buffers. */
static void
rx_prepare(struct rxbatch *rx, unsigned i)
{
	struct msghdr *m = &rx->msg[i].msg_hdr;

	rx->iov[i].iov_base = rx->data + i * rx->size;
	rx->iov[i].iov_len = rx->size;
	m->msg_name = rx->want_from ? &rx->from[i] : NULL;
	m->msg_namelen = rx->want_from ? sizeof(rx->from[i]) : 0;
	m->msg_iov = &rx->iov[i];
	m->msg_iovlen = 1;
	m->msg_control = rx->ctrl + i * RX_CTRL;
	m->msg_controllen = RX_CTRL;
	m->msg_flags = 0;
}

#if SOCK_BATCHED
/* recvmmsg(): one system call for the whole batch. */
static int
rx_batch(int fd, struct rxbatch *rx, unsigned n)
{
	/* MSG_TRUNC makes msg_len the datagram's real size. */
	return recvmmsg(fd, rx->msg, n, MSG_TRUNC | MSG_DONTWAIT, NULL);
}
#else
/* The portable way: recvmsg() until the batch is full or none waits. */
static int
rx_batch(int fd, struct rxbatch *rx, unsigned n)
{
	unsigned i;
	ssize_t r;

	for (i = 0; i < n; i++) {
		if ((r = recvmsg(fd, &rx->msg[i].msg_hdr,
		    MSG_TRUNC | MSG_DONTWAIT)) == -1)
			return i > 0 ? (int)i : -1;
		rx->msg[i].msg_len = (unsigned)r;
	}
	return (int)n;
}
#endif

int
sock_rx(int fd, struct rxbatch *rx, unsigned n)
{
	unsigned i;
	int got;

	for (i = 0; i < n; i++)
		rx_prepare(rx, i);
	if ((got = rx_batch(fd, rx, n)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -1;
	}
	for (i = 0; i < (unsigned)got; i++)
		rx_cmsgs(rx, i);
	return got;
}

#if SOCK_BATCHED
/*
 * How many datagrams from iov[0] on can go as one GSO send: a run of
 * equal sizes, of which only the last may be shorter, within the kernel's
 * limits.  1 when GSO would not help.
 */
static unsigned
gso_run(const struct iovec *iov, unsigned n)
{
	size_t seg = iov[0].iov_len, total = seg;
	unsigned k = 1;

	if (seg == 0)
		return 1;
	while (k < n && k < SOCK_GSO_SEGS && iov[k].iov_len > 0 &&
	    iov[k].iov_len <= seg && total + iov[k].iov_len <= SOCK_GSO_BYTES) {
		total += iov[k].iov_len;
		if (iov[k++].iov_len < seg)
			break;		/* a shorter one ends the run */
	}
	return k;
}

/* Control data carrying a UDP_SEGMENT size. */
union gso_ctrl {
	char		buf[CMSG_SPACE(sizeof(uint16_t))];
	size_t		align;		/* as struct cmsghdr */
};

/*
 * Fills msg with up to SOCK_BATCH messages for the datagrams of iov;
 * cnt[m] is how many datagrams message m carries.  Returns the number
 * of messages.
 */
static unsigned
tx_build(const struct endpoint *dst, struct iovec *iov, unsigned n, int gso,
    struct mmsghdr *msg, union gso_ctrl *ctrl, unsigned *cnt)
{
	struct cmsghdr *c;
	unsigned m, i, k;
	uint16_t seg;

	for (m = 0, i = 0; i < n && m < SOCK_BATCH; m++, i += k) {
		k = gso ? gso_run(iov + i, n - i) : 1;
		memset(&msg[m], 0, sizeof(msg[m]));
		msg[m].msg_hdr.msg_iov = iov + i;
		msg[m].msg_hdr.msg_iovlen = k;
		if (dst != NULL) {
			msg[m].msg_hdr.msg_name = (void *)&dst->ss;
			msg[m].msg_hdr.msg_namelen = dst->len;
		}
		if (k > 1) {
			memset(&ctrl[m], 0, sizeof(ctrl[m]));
			msg[m].msg_hdr.msg_control = ctrl[m].buf;
			msg[m].msg_hdr.msg_controllen = sizeof(ctrl[m].buf);
			c = CMSG_FIRSTHDR(&msg[m].msg_hdr);
			c->cmsg_level = IPPROTO_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(seg));
			seg = (uint16_t)iov[i].iov_len;
			memcpy(CMSG_DATA(c), &seg, sizeof(seg));
		}
		cnt[m] = k;
	}
	return m;
}

/* True for the errors with which a kernel or path refuses a GSO send. */
static int
gso_refused(int err)
{
	return err == EINVAL || err == EIO || err == EMSGSIZE ||
	    err == ENOPROTOOPT || err == EOPNOTSUPP;
}

unsigned
sock_tx(int fd, const struct endpoint *dst, struct iovec *iov, unsigned n,
    int *gso, int *err)
{
	struct mmsghdr msg[SOCK_BATCH];
	union gso_ctrl ctrl[SOCK_BATCH];
	unsigned cnt[SOCK_BATCH], m, i, sent = 0;
	int r;

	*err = 0;
	while (sent < n) {
		m = tx_build(dst, iov + sent, n - sent, *gso, msg, ctrl, cnt);
		if ((r = sendmmsg(fd, msg, m, 0)) == -1) {
			if (cnt[0] > 1 && gso_refused(errno)) {
				*gso = 0;	/* and send them one by one */
				continue;
			}
			*err = errno;
			return sent;
		}
		for (i = 0; i < (unsigned)r && i < m; i++)
			sent += cnt[i];
	}
	return sent;
}
#else
unsigned
sock_tx(int fd, const struct endpoint *dst, struct iovec *iov, unsigned n,
    int *gso, int *err)
{
	struct msghdr m;
	unsigned sent;

	*gso = 0;
	*err = 0;
	for (sent = 0; sent < n; sent++) {
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iov[sent];
		m.msg_iovlen = 1;
		if (dst != NULL) {
			m.msg_name = (void *)&dst->ss;
			m.msg_namelen = dst->len;
		}
		if (sendmsg(fd, &m, 0) == -1) {
			*err = errno;
			break;
		}
	}
	return sent;
}
#endif
