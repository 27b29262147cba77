/* endpoint.h: the sockets of the commands, opened, set up and watched. */
#ifndef ENDPOINT_H
#define ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include "sock.h"

/* A socket and what the commands need to know of it. */
struct ifaddrs;

struct endp {
	int		 fd;
	int		 family;
	size_t		 max;		/* largest datagram it carries */
	struct endpoint	 local;		/* bound address (once bound) */
	char		 name[PEER_MAX];	/* the peer or address, for messages */
	int		 connected;	/* to the peer in name */
	int		 refused;	/* ICMP port unreachable seen */
	int		 other_error;	/* errno of another ICMP error, or 0 */
	struct ifaddrs	*ifs;		/* this host's addresses, once asked */
	char		 unlink_path[108];	/* a socket file we made */
};

/* How to open a socket: what the options of a command ask for. */
struct endp_conf {
	int		 family;	/* AF_UNSPEC, AF_INET, AF_INET6 */
	const char	*ifname;	/* -I, or NULL */
	unsigned	 ifindex;
	int		 reuse;		/* --reuse */
	int		 broadcast;	/* SO_BROADCAST */
	int		 ttl;		/* < 0: leave alone */
	int		 tos;
	int		 loop;		/* multicast loopback; < 0: default */
	int		 df;		/* --df: never fragment */
	const char	*source;	/* -s, or NULL */
	uint16_t	 source_port;	/* -p, or 0 */
};

/*
 * Resolves a HOST operand or option value into ep.  Returns 0, or an
 * exit status after a message: 2 when its syntax is wrong or its family
 * is not the one asked for, 1 when the name does not resolve.
 */
int	resolve(const char *what, const char *host, uint16_t port, int family,
	    int passive, struct endpoint *ep);

/* True when s names a Unix datagram socket: unix:PATH or unix:@NAME. */
int	endp_is_unix(const char *s);

/*
 * The address of "unix:PATH" or "unix:@NAME" (abstract, Linux) in ep.
 * Returns 0, or 2 after a message when it is empty or does not fit.
 */
int	endp_unix_addr(const char *s, struct endpoint *ep);

/* "IPv4", "IPv6" or "a Unix socket", for messages about sizes. */
const char *endp_kind(const struct endp *e);

/* A socket not yet opened. */
void	endp_init(struct endp *e);

/*
 * Opens a socket bound to address (NULL: every address, IPv6 and IPv4
 * together unless c->family or wild_family says one) and port, with
 * --reuse and -I.  Returns 0, or an exit status after a message that
 * names the address and port.
 */
int	endp_listen(struct endp *e, const struct endp_conf *c,
	    const char *address, uint16_t port, int wild_family);

/*
 * Opens a socket that sends to dst (named so in messages), with the
 * options of c, bound to -s/-p when given, connected to dst when connect
 * is set (then it hears only dst, and hears its ICMP errors).  Returns 0,
 * or an exit status after a message.
 */
int	endp_dial(struct endp *e, const struct endp_conf *c,
	    const struct endpoint *dst, int connect);

/* Says that a broadcast address needs permission; returns 1. */
int	endp_broadcast_refused(const struct endp *e);

/*
 * Binds a Unix datagram socket at ep, creating its file (removed by
 * endp_close()): a stale socket file that no one is bound to is
 * replaced, a live one is refused as in use, anything else is left
 * alone.  The senders' credentials are asked for.  Returns 0, or an exit
 * status after a message.
 */
int	endp_listen_unix(struct endp *e, const struct endpoint *ep);

/*
 * Opens a Unix datagram socket connected to dst: bound to src when not
 * NULL, else, with reply_addr, to an address replies can reach (Linux:
 * an autobound abstract name).  Returns 0, or an exit status after a
 * message.
 */
int	endp_dial_unix(struct endp *e, const struct endpoint *dst,
	    const struct endpoint *src, int reply_addr);

/* Notes that the peer refused a datagram; warns once. */
void	endp_refused(struct endp *e);

/*
 * Takes err, the socket's pending error (an ICMP report) met by a read:
 * a refusal as endp_refused(), another error warned of once.
 */
void	endp_error(struct endp *e, int err);

/*
 * True when sa (of len bytes) is this socket's own address and port, or
 * for a Unix socket its own name: a datagram that
 * claims to come from it must never be answered.  For a socket bound to
 * every address, any address of this host counts.
 */
int	endp_is_self(struct endp *e, const struct sockaddr *sa,
	    socklen_t len);

/* Reads the ICMP error queue (after POLLERR, or at the end). */
void	endp_read_errors(struct endp *e);

void	endp_close(struct endp *e);

#endif
