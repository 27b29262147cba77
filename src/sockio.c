/* sockio.c: batched datagram I/O: receive buffers, control data, GSO sends. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/time.h>

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

/* Points message i of the batch at its buffers, once. */
static void
rx_prepare(struct rxbatch *rx, unsigned i)
{
	struct msghdr *m = &rx->msg[i].msg_hdr;

	rx->iov[i].iov_base = rx->data + i * rx->stride;
	rx->iov[i].iov_len = rx->size;
	m->msg_name = rx->want_from ? &rx->from[i] : NULL;
	m->msg_namelen = rx->want_from ? sizeof(rx->from[i]) : 0;
	m->msg_iov = &rx->iov[i];
	m->msg_iovlen = 1;
	m->msg_control = rx->ctrl + i * RX_CTRL;
	m->msg_controllen = RX_CTRL;
	m->msg_flags = 0;
}

int
sock_rx_init(struct rxbatch *rx, size_t size, int want_from)
{
	long page = sysconf(_SC_PAGESIZE);
	void *data = NULL;
	unsigned i;

	memset(rx, 0, sizeof(*rx));
	if (page <= 0)
		page = 4096;
	rx->size = size;
	rx->want_from = want_from;
	/*
	 * Each buffer starts on a page, so a datagram (or a GRO buffer) of
	 * up to a page touches one page, not two: 4 KiB GRO buffers of
	 * 64-byte datagrams kept 508 KiB resident, and keep 256 KiB.
	 */
	rx->stride = (size + (size_t)page - 1) / (size_t)page * (size_t)page;
	if (posix_memalign(&data, (size_t)page, rx->stride * SOCK_BATCH) != 0)
		data = NULL;
	rx->data = data;
	rx->ctrl = malloc(RX_CTRL * SOCK_BATCH);
	if (rx->data == NULL || rx->ctrl == NULL) {
		sock_rx_free(rx);
		errno = ENOMEM;
		return -1;
	}
	/*
	 * Not touched: a page becomes resident when a datagram first fills
	 * it, so memory grows to what the fullest batches used and no more.
	 */
	for (i = 0; i < SOCK_BATCH; i++)
		rx_prepare(rx, i);
	return 0;
}

void
sock_rx_free(struct rxbatch *rx)
{
	free(rx->data);
	free(rx->ctrl);
	free(rx->to);
	rx->data = NULL;
	rx->ctrl = NULL;
	rx->to = NULL;
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

/*
 * Turns on the first n of the destination address, TTL and TOS control
 * messages, for IPv4 and (on an IPv6 socket) IPv6; 0 or -1.
 */
static int
rx_opts(int fd, int family, int n, struct rxbatch *rx)
{
	static const int v4[] = { IP_PKTINFO, IP_RECVTTL, IP_RECVTOS };
	static const int v6[] = { IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT,
	    IPV6_RECVTCLASS };
	int on = 1, i, v4_ok = 1;

	for (i = 0; i < n; i++)
		if (setsockopt(fd, IPPROTO_IP, v4[i], &on, sizeof(on)) == -1)
			v4_ok = 0;
	if (family == AF_INET && !v4_ok)
		return -1;
	for (i = 0; i < n && family == AF_INET6; i++)
		if (setsockopt(fd, IPPROTO_IPV6, v6[i], &on, sizeof(on)) == -1)
			return -1;
	rx->want_info = 1;
	return 0;
}

int
sock_rx_info(int fd, int family, struct rxbatch *rx)
{
	return rx_opts(fd, family, 3, rx);
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
sock_rx_pktinfo(int fd, struct rxbatch *rx)
{
	socklen_t len = sizeof(rx->local);
	int i;

	if (getsockname(fd, (struct sockaddr *)&rx->local, &len) == -1)
		return -1;
	if (rx->to == NULL &&
	    (rx->to = malloc(SOCK_BATCH * sizeof(*rx->to))) == NULL)
		return -1;
	for (i = 0; i < SOCK_BATCH; i++)
		rx->to[i] = rx->local;
	/* The address alone: a TTL and TOS would cost two more messages. */
	return rx_opts(fd, rx->local.ss_family, 1, rx);
}

/* The local end of buffer i: the socket's, with the address it came to. */
static void
rx_to(struct rxbatch *rx, unsigned i)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&rx->to[i];
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&rx->to[i];

	/* Of a socket address of either family, the rest stays as it was. */
	memcpy(&rx->to[i], &rx->local, sizeof(struct sockaddr_in6));
	if (!rx->want_info || !rx->info[i].has_to)
		return;
	if (rx->local.ss_family == AF_INET)
		memcpy(&s4->sin_addr, rx->info[i].to.s6_addr + 12, 4);
	else if (rx->local.ss_family == AF_INET6)
		s6->sin6_addr = rx->info[i].to;
}

/* The options of the platforms that have them; -1 where it has not. */
#ifdef SO_PASSCRED
#define OPT_PASSCRED	SO_PASSCRED
#else
#define OPT_PASSCRED	(-1)
#endif
#ifdef SO_TIMESTAMPNS
#define OPT_TIMESTAMPNS	SO_TIMESTAMPNS
#else
#define OPT_TIMESTAMPNS	(-1)
#endif

/* Turns a socket-level option on; ENOPROTOOPT where the platform lacks it. */
static int
socket_flag(int fd, int opt)
{
	int on = 1;

	if (opt < 0) {
		errno = ENOPROTOOPT;
		return -1;
	}
	return setsockopt(fd, SOL_SOCKET, opt, &on, sizeof(on));
}

int
sock_rx_creds(int fd)
{
	return socket_flag(fd, OPT_PASSCRED);
}

int
sock_rx_timestamps(int fd)
{
	return socket_flag(fd, OPT_TIMESTAMPNS);
}

/* Turns UDP_GRO on: 0, or -1 where the kernel has none. */
static int
gro_on(int fd, struct rxbatch *rx)
{
#if SOCK_BATCHED && defined(UDP_GRO)
	int on = 1;

	if (setsockopt(fd, IPPROTO_UDP, UDP_GRO, &on, sizeof(on)) == -1)
		return -1;
	rx->gro = 1;
	return 0;
#else
	(void)fd;
	(void)rx;
	errno = ENOPROTOOPT;
	return -1;
#endif
}

int
sock_rx_gro(int fd, struct rxbatch *rx)
{
#if SOCK_BATCHED && defined(UDP_GRO)
	if (rx->size < 65535 || rx->gro)
		return rx->gro;
	if (rx->plain) {
		rx->gro_later = 1;
		return 1;
	}
	return gro_on(fd, rx) == 0;
#else
	(void)fd;
	return rx->gro;
#endif
}

void
sock_rx_plain(struct rxbatch *rx)
{
	rx->plain = 1;
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

/*
 * recvmsg() until n are read or none waits (hold: the first may wait):
 * the portable batch, and the batched one's single datagram, which the
 * kernel serves with less than recvmmsg().
 */
static int
rx_each(int fd, struct rxbatch *rx, unsigned n, int hold)
{
	unsigned i;
	ssize_t r;

	for (i = 0; i < n; i++) {
		if ((r = recvmsg(fd, &rx->msg[i].msg_hdr, MSG_TRUNC |
		    (hold && i == 0 ? 0 : MSG_DONTWAIT))) == -1)
			return i > 0 ? (int)i : -1;
		rx->msg[i].msg_len = (unsigned)r;
	}
	return (int)n;
}

/*
 * One datagram by recvfrom(), into buffer 0, where nothing but the
 * datagram and its sender can come (sock_rx_plain(), GRO off): it says
 * so to rx_cmsgs() with no control data.
 */
static int
rx_plain(int fd, struct rxbatch *rx, int hold)
{
	struct msghdr *m = &rx->msg[0].msg_hdr;
	socklen_t len = m->msg_namelen;
	ssize_t r;

	if ((r = recvfrom(fd, rx->iov[0].iov_base, rx->iov[0].iov_len,
	    MSG_TRUNC | (hold ? 0 : MSG_DONTWAIT), m->msg_name,
	    m->msg_name != NULL ? &len : NULL)) == -1)
		return -1;
	rx->msg[0].msg_len = (unsigned)r;
	m->msg_namelen = len;		/* 0 when no sender was asked for */
	m->msg_controllen = 0;
	return 1;
}

/* Up to n datagrams in as few calls as may be; hold: wait for one. */
static int
rx_batch(int fd, struct rxbatch *rx, unsigned n, int hold)
{
	if (n == 1 && rx->plain && !rx->gro)
		return rx_plain(fd, rx, hold);
#if SOCK_BATCHED
	/* MSG_TRUNC makes msg_len the datagram's real size. */
	if (n > 1)
		return recvmmsg(fd, rx->msg, n, MSG_TRUNC | (hold ?
		    MSG_WAITFORONE : MSG_DONTWAIT), NULL);
#endif
	return rx_each(fd, rx, n, hold);
}

int
sock_rx(int fd, struct rxbatch *rx, unsigned n)
{
	return sock_rx_hold(fd, rx, n, 0);
}

int
sock_rx_hold(int fd, struct rxbatch *rx, unsigned n, int hold)
{
	unsigned i;
	int got;

	/* What the kernel changed in the last batch, and only that. */
	for (i = 0; i < n; i++) {
		rx->msg[i].msg_hdr.msg_namelen = rx->want_from ?
		    sizeof(rx->from[i]) : 0;
		rx->msg[i].msg_hdr.msg_controllen = RX_CTRL;
		rx->msg[i].msg_hdr.msg_flags = 0;
	}
	if ((got = rx_batch(fd, rx, n, hold)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -1;
	}
	for (i = 0; i < (unsigned)got; i++) {
		rx_cmsgs(rx, i);
		if (rx->to != NULL)
			rx_to(rx, i);
	}
	/* A flood: GRO serves it from the next read on. */
	if (rx->gro_later && (unsigned)got == SOCK_BATCH) {
		rx->gro_later = 0;
		(void)gro_on(fd, rx);
	}
	return got;
}

/*
 * One datagram by sendto(), which takes it without a message header to
 * copy in: 0.5 us less than sendmmsg() of one.  Returns 0, or -1 with
 * errno.
 */
static int
tx_one(int fd, const struct endpoint *dst, const struct iovec *v)
{
	return sendto(fd, v->iov_base, v->iov_len, 0, dst != NULL ?
	    (const struct sockaddr *)&dst->ss : NULL, dst != NULL ? dst->len :
	    0) == -1 ? -1 : 0;
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
	if (n == 1) {
		if (tx_one(fd, dst, iov) == -1) {
			*err = errno;
			return 0;
		}
		return 1;
	}
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
	unsigned sent;

	*gso = 0;
	*err = 0;
	for (sent = 0; sent < n; sent++)
		if (tx_one(fd, dst, &iov[sent]) == -1) {
			*err = errno;
			break;
		}
	return sent;
}
#endif
