/* sock.h: the socket layer; it never prints, it returns -1 and keeps errno. */
#ifndef SOCK_H
#define SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>

/* Datagrams moved by one recvmmsg()/sendmmsg() call. */
#define SOCK_BATCH	64

/* Most segments and bytes the kernel takes in one UDP GSO send. */
#define SOCK_GSO_SEGS	64
#define SOCK_GSO_BYTES	65000

/*
 * The batched calls, UDP GSO and GRO, and the error queue are Linux's;
 * elsewhere, or when built with -DUDPCAT_PORTABLE, plain sendmsg() and
 * recvmsg() loops do the same work one datagram at a time.
 */
#if defined(__linux__) && !defined(UDPCAT_PORTABLE)
#define SOCK_BATCHED	1
#else
#define SOCK_BATCHED	0
#endif

struct endpoint {
	struct sockaddr_storage	ss;
	socklen_t		len;
};

/*
 * Resolves host (NULL for the wildcard address) and port for family
 * (AF_UNSPEC, AF_INET or AF_INET6) into ep.  Returns 0, or an EAI_* code
 * for gai_strerror() (EAI_SYSTEM with errno set).
 */
int	sock_resolve(const char *host, uint16_t port, int family, int passive,
	    struct endpoint *ep);

/*
 * Opens a datagram socket of family, close-on-exec: UDP for AF_INET and
 * AF_INET6, a Unix datagram socket for AF_UNIX; -1 with errno.
 */
int	sock_open(int family);

/* The socket's family, port and address; -1 with errno. */
int	sock_local(int fd, struct endpoint *ep);

/*
 * Turns on the delivery of ICMP errors into the error queue (IP_RECVERR
 * or IPV6_RECVERR, both on a dual-stack socket).  Returns 0 or -1.
 */
int	sock_recverr(int fd, int family);

/*
 * Drains the error queue of a socket of family without blocking, and
 * the pending error.  Returns the number of "port unreachable" reports
 * found (>= 0), or -1 with errno.  *other receives the errno of the last
 * other error, or 0.  A Unix socket has no error queue, and a read of it
 * would take a datagram: only its pending error is read.
 */
int	sock_drain_errors(int fd, int family, int *other);

/*
 * Sets the receive buffer to want bytes, or as large as the system
 * allows when want is 0 (SO_RCVBUFFORCE when permitted).  Returns the
 * size the kernel reports afterwards, or -1.
 */
long	sock_rcvbuf(int fd, size_t want);

/* Multicast: true when ep is a multicast address, IPv4 or IPv6. */
int	sock_is_multicast(const struct endpoint *ep);

/*
 * Joins group (and only from source when source is not NULL) on the
 * interface ifindex (0: the default one).  Returns 0, or -1 with errno.
 */
int	sock_join(int fd, const struct endpoint *group,
	    const struct endpoint *source, unsigned ifindex);

/*
 * Makes fd receive only the multicast groups joined on it, not every group
 * some socket on the host joined.  Returns 0 or -1.
 */
int	sock_only_joined(int fd, int family);

/*
 * Sets the multicast TTL/hop limit, loopback and outgoing interface for
 * sends to a group of family; a value < 0 leaves that setting alone.
 */
int	sock_mcast_opts(int fd, int family, int ttl, int loop,
	    unsigned ifindex);

/*
 * Forbids fragmentation (--df): the don't-fragment bit over IPv4, no
 * fragments over IPv6; a datagram larger than the path MTU is then
 * refused with EMSGSIZE.  Returns 0 or -1.
 */
int	sock_df(int fd, int family);

/* The kernel's path MTU towards dst, or -1 with errno. */
int	sock_path_mtu(const struct endpoint *dst);

/* The path MTU towards the peer of the connected socket fd, or -1. */
int	sock_mtu(int fd);

/* Unicast TTL/hop limit and TOS/traffic class; < 0 leaves it alone. */
int	sock_ip_opts(int fd, int family, int ttl, int tos);

/*
 * The IPv4 broadcast address of interface name, through *addr.  Returns
 * 0, or -1 with errno (ENODEV: no such interface; EADDRNOTAVAIL: it has
 * no IPv4 broadcast address).
 */
int	sock_if_broadcast(const char *name, struct in_addr *addr);

/*
 * Lists the directed broadcast addresses of every interface that is up,
 * broadcast-capable and not loopback, at most max of them.  Returns the
 * number found, or -1 with errno.
 */
int	sock_all_broadcast(struct in_addr *addrs, int max);

/* What a datagram carried, when sock_rx_info() asked for it. */
struct rx_info {
	struct in6_addr	to;		/* its destination; IPv4 as mapped */
	unsigned	ifindex;	/* the interface it came in on, or 0 */
	int		ttl;		/* TTL or hop limit; -1: unknown */
	int		tos;		/* TOS or traffic class; -1: unknown */
	int		has_to;
};

/* A batch of receive buffers for recvmmsg(). */
struct rxbatch {
	struct mmsghdr		 msg[SOCK_BATCH];
	struct iovec		 iov[SOCK_BATCH];
	struct sockaddr_storage	 from[SOCK_BATCH];
	unsigned char		*ctrl;		/* SOCK_BATCH control buffers */
	unsigned char		*data;		/* SOCK_BATCH buffers */
	size_t			 size;		/* bytes kept of each datagram */
	size_t			 stride;	/* from one buffer to the next */
	unsigned		 seg[SOCK_BATCH];	/* GRO segment size, or 0 */
	struct timespec		 ts[SOCK_BATCH];	/* arrival, or zero */
	struct ucred		 cred[SOCK_BATCH];	/* a Unix sender's */
	unsigned char		 has_cred[SOCK_BATCH];
	struct rx_info		 info[SOCK_BATCH];	/* with want_info */
	int			 want_info;
	int			 gro;		/* UDP_GRO is on */
	int			 gro_later;	/* ... at the first full batch */
	int			 plain;		/* no control data was asked for */
	int			 want_from;	/* fill in the senders */
	struct sockaddr_storage	*to;		/* local ends, when asked */
	struct sockaddr_storage	 local;		/* the socket's own */
};

/*
 * The kernel's count of datagrams (with GRO: buffers) this socket dropped
 * for want of buffer space, through *drops.  Read on demand rather than
 * as a control message on every datagram, which costs the receive path
 * some 12%.  Returns 0, or -1 with errno where the system does not say.
 */
int	sock_drops(int fd, uint32_t *drops);

/*
 * Asks the kernel for what each datagram carried: its destination
 * address, interface, TTL and TOS (IP_PKTINFO, IP_RECVTTL, IP_RECVTOS
 * and their IPv6 kin; both on a dual-stack socket); sock_rx() then fills
 * rx->info.  Returns 0 or -1.
 */
int	sock_rx_info(int fd, int family, struct rxbatch *rx);

/*
 * Asks the kernel to pass a Unix sender's pid, uid and gid with each
 * datagram (SO_PASSCRED); sock_rx() then fills rx->cred.  Returns 0 or -1.
 */
int	sock_rx_creds(int fd);

/*
 * Asks the kernel to stamp each datagram with its arrival time
 * (SO_TIMESTAMPNS); sock_rx() then fills rx->ts.  Returns 0 or -1.
 */
int	sock_rx_timestamps(int fd);

/*
 * Asks the kernel for the local address each datagram came to
 * (IP_PKTINFO, IPV6_RECVPKTINFO); sock_rx() then fills rx->to, with the
 * socket's own address and port where the kernel says nothing.  Returns
 * 0, or -1 with errno (rx->to is filled all the same when allocated).
 */
int	sock_rx_pktinfo(int fd, struct rxbatch *rx);

/*
 * Allocates buffers of size bytes each.  With want_from 0 the senders'
 * addresses are not asked for (rx->from stays zeroed), which saves the
 * kernel a copy a datagram.  The messages point into rx itself, once:
 * rx must not be moved or copied afterwards.  Returns 0, or -1 with
 * errno.
 */
int	sock_rx_init(struct rxbatch *rx, size_t size, int want_from);

/*
 * Asks the kernel to coalesce datagrams of one flow (UDP_GRO); only when
 * each buffer holds 65535 bytes, since a coalesced buffer must never be
 * cut.  After sock_rx_plain() it is turned on only by the first read that
 * fills a whole batch: a flood, which it serves, and not the lone
 * datagram of a peer that asks and waits, whose read it makes dearer.
 * Returns 1 when it is on or will be, 0 when not; rx->gro says which.
 */
int	sock_rx_gro(int fd, struct rxbatch *rx);

/*
 * Says that the caller asked the socket for no control data (no times,
 * no destinations, no credentials): until GRO is on, a read of one
 * datagram is then a recvfrom(), which costs the kernel less than a
 * recvmsg() (0.37 us of 7.8, measured in a ping-pong on one CPU).
 */
void	sock_rx_plain(struct rxbatch *rx);
void	sock_rx_free(struct rxbatch *rx);

/*
 * Receives up to n (<= SOCK_BATCH) datagrams without waiting.  Returns
 * the number received, 0 when none was waiting, or -1 with errno.  For
 * buffer i: rx->msg[i].msg_len is the real size (possibly more than
 * rx->size: the rest was cut off), the data at rx->iov[i].iov_base;
 * with GRO, rx->seg[i] > 0 says that it holds consecutive datagrams of
 * that size from one sender, the last one possibly shorter.
 */
int	sock_rx(int fd, struct rxbatch *rx, unsigned n);

/*
 * As sock_rx(), but with hold it waits for the first datagram, as long
 * as the socket lets it: 0 when none came by its SO_RCVTIMEO, if set
 * (a signal ends the wait too: see signals_hold()).
 */
int	sock_rx_hold(int fd, struct rxbatch *rx, unsigned n, int hold);

/*
 * Sends n datagrams (iov[i], to dst when not NULL, else to the connected
 * peer) with as few system calls as it can: runs of equal-sized datagrams
 * go as one UDP GSO send while *gso is set, which it clears when the
 * kernel or the path refuses GSO (those datagrams are then sent again
 * without it).  Returns the number sent before an error, and sets *err to
 * that error's errno (0 when all went).
 */
unsigned sock_tx(int fd, const struct endpoint *dst, struct iovec *iov,
	    unsigned n, int *gso, int *err);

#endif
