/* endpoint.c: the sockets of the commands, opened, set up and watched. */
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "endpoint.h"
#include "msg.h"
#include "parse.h"
#include "udpcat.h"

void
endp_init(struct endp *e)
{
	memset(e, 0, sizeof(*e));
	e->fd = -1;
	snprintf(e->name, sizeof(e->name), "?");
}

/* A usage error when a numeric address and the family asked disagree. */
static int
check_family(const char *what, const char *host, enum host_kind kind,
    int family)
{
	if (kind == HOST_IPV4 && family == AF_INET6)
		return msg_fail_usage("%s '%s' is IPv4, but -6 was given", what,
		    host);
	if (kind == HOST_IPV6 && family == AF_INET)
		return msg_fail_usage("%s '%s' is IPv6, but -4 was given", what,
		    host);
	return 0;
}

int
resolve(const char *what, const char *host, uint16_t port, int family,
    int passive, struct endpoint *ep)
{
	char buf[NI_MAXHOST];
	const char *why;
	enum host_kind kind;
	int rc;

	if (parse_host(host, &kind, buf, sizeof(buf), &why) == -1)
		return msg_fail_usage("invalid %s '%s': %s", what, host, why);
	if ((rc = check_family(what, host, kind, family)) != 0)
		return rc;
	rc = sock_resolve(buf, port, family, passive, ep);
	if (rc != 0 && kind != HOST_NAME)
		return msg_fail_usage("invalid %s '%s': %s", what, host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	if (rc != 0)
		return msg_fail(EXIT_RUNTIME, "cannot resolve '%s': %s", host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	if (ep->ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ep->ss;

		if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr) &&
		    s6->sin6_scope_id == 0)
			return msg_fail_usage("link-local %s '%s' needs a scope, as "
			    "in '%s%%eth0'", what, host, buf);
	}
	return 0;
}

/* Opens the socket of family; 0, or 1 after a message. */
static int
open_fd(struct endp *e, int family)
{
	if ((e->fd = sock_open(family)) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot open a socket: %s",
		    strerror(errno));
	e->family = family;
	e->max = family == AF_INET ? MAX_DGRAM4 : MAX_DGRAM6;
	return 0;
}

/* Binds to ep; on failure, a message that names the address and port. */
static int
bind_to(struct endp *e, const struct endpoint *ep, const char *what)
{
	char where[PEER_MAX];
	/* sin_port and sin6_port lie at the same place. */
	unsigned port = ntohs(((const struct sockaddr_in *)&ep->ss)->sin_port);
	int err;

	if (bind(e->fd, (const struct sockaddr *)&ep->ss, ep->len) == 0)
		return sock_local(e->fd, &e->local) == -1 ?
		    msg_fail(EXIT_RUNTIME, "cannot read the bound port: %s",
		    strerror(errno)) : 0;
	err = errno;
	if (out_peer((const struct sockaddr *)&ep->ss, ep->len, where) < 0)
		snprintf(where, sizeof(where), "?");
	if (err == EADDRINUSE)
		return msg_fail(EXIT_RUNTIME, "cannot bind to %s%s: address already "
		    "in use (--reuse shares it)", what, where);
	if (err == EACCES && port > 0 && port < 1024)
		return msg_fail(EXIT_RUNTIME, "cannot bind to %s%s: permission "
		    "denied (ports below 1024 need root or "
		    "CAP_NET_BIND_SERVICE)", what, where);
	return msg_fail(EXIT_RUNTIME, "cannot bind to %s%s: %s", what, where,
	    strerror(err));
}

/* SO_BINDTODEVICE for -I; 0, or 1 after a message. */
static int
bind_device(const struct endp *e, const char *ifname)
{
	if (setsockopt(e->fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
	    (socklen_t)strlen(ifname)) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot bind to interface '%s': %s",
		    ifname, strerror(errno));
	return 0;
}

/* Sets the options that must come before bind() on a listening socket. */
static int
listen_opts(const struct endp *e, const struct endp_conf *c, int dual)
{
	int on = 1, off = 0;

	if (e->family == AF_INET6 && setsockopt(e->fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, dual ? &off : &on, sizeof(int)) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot set IPV6_V6ONLY: %s",
		    strerror(errno));
	if (c->reuse && (setsockopt(e->fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)) == -1 || setsockopt(e->fd, SOL_SOCKET, SO_REUSEPORT,
	    &on, sizeof(on)) == -1))
		return msg_fail(EXIT_RUNTIME, "cannot set --reuse: %s",
		    strerror(errno));
	if (c->ifname != NULL)
		return bind_device(e, c->ifname);
	return 0;
}

/* The wildcard address to bind, and whether it is dual-stack. */
static int
wildcard(const struct endp_conf *c, uint16_t port, int family,
    struct endpoint *ep, int *dual)
{
	int probe;

	*dual = family == AF_INET6 && c->family == AF_UNSPEC;
	if (*dual && (probe = sock_open(AF_INET6)) == -1 &&
	    errno == EAFNOSUPPORT) {
		family = AF_INET;	/* a kernel without IPv6 */
		*dual = 0;
	} else if (*dual && probe >= 0)
		close(probe);
	return resolve("address", family == AF_INET ? "0.0.0.0" : "::", port,
	    family, 1, ep);
}

int
endp_listen(struct endp *e, const struct endp_conf *c, const char *address,
    uint16_t port, int wild_family)
{
	struct endpoint ep;
	int rc, dual = 0;

	memset(&ep, 0, sizeof(ep));
	if (address != NULL)
		rc = resolve("address", address, port, c->family, 1, &ep);
	else
		rc = wildcard(c, port, wild_family, &ep, &dual);
	if (rc != 0)
		return rc;
	if ((rc = open_fd(e, ep.ss.ss_family)) != 0 ||
	    (rc = listen_opts(e, c, dual)) != 0 ||
	    (rc = bind_to(e, &ep, "")) != 0)
		return rc;
	if (out_peer((struct sockaddr *)&e->local.ss, e->local.len,
	    e->name) < 0)
		snprintf(e->name, sizeof(e->name), "?");
	return 0;
}

/* Sets the options of a sending socket. */
static int
dial_opts(const struct endp *e, const struct endp_conf *c, int mcast)
{
	int on = 1;

	if (c->broadcast && setsockopt(e->fd, SOL_SOCKET, SO_BROADCAST, &on,
	    sizeof(on)) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot set SO_BROADCAST: %s",
		    strerror(errno));
	if (c->ifname != NULL && !mcast && bind_device(e, c->ifname) != 0)
		return EXIT_RUNTIME;
	if (mcast && sock_mcast_opts(e->fd, e->family, c->ttl, c->loop,
	    c->ifindex) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot set multicast options: %s",
		    strerror(errno));
	if (sock_ip_opts(e->fd, e->family, mcast ? -1 : c->ttl, c->tos) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot set --ttl or --tos: %s",
		    strerror(errno));
	if (c->df && sock_df(e->fd, e->family) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot set --df: %s",
		    strerror(errno));
	if (sock_recverr(e->fd, e->family) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot set IP_RECVERR: %s",
		    strerror(errno));
	return 0;
}

/* Binds the local end of a sending socket: -s and -p. */
static int
bind_source(struct endp *e, const struct endp_conf *c)
{
	struct endpoint ep;
	int rc;

	if (c->source == NULL && c->source_port == 0)
		return 0;
	memset(&ep, 0, sizeof(ep));
	rc = resolve("source address", c->source != NULL ? c->source :
	    e->family == AF_INET ? "0.0.0.0" : "::", c->source_port,
	    e->family, 1, &ep);
	return rc != 0 ? rc : bind_to(e, &ep, "source ");
}

int
endp_broadcast_refused(const struct endp *e)
{
	return msg_fail(EXIT_RUNTIME, "cannot send to '%s': it is a broadcast "
	    "address (use --broadcast or 'udpcat broadcast')", e->name);
}

int
endp_dial(struct endp *e, const struct endp_conf *c,
    const struct endpoint *dst, int connect_it)
{
	int rc, mcast = sock_is_multicast(dst);

	if (out_peer((const struct sockaddr *)&dst->ss, dst->len, e->name) < 0)
		snprintf(e->name, sizeof(e->name), "?");
	if ((rc = open_fd(e, dst->ss.ss_family)) != 0 ||
	    (rc = dial_opts(e, c, mcast)) != 0 ||
	    (rc = bind_source(e, c)) != 0)
		return rc;
	if (!connect_it || mcast)
		return 0;
	if (connect(e->fd, (const struct sockaddr *)&dst->ss, dst->len) == -1) {
		if (errno == EACCES)
			return endp_broadcast_refused(e);
		return msg_fail(EXIT_RUNTIME, "cannot send to %s: %s", e->name,
		    strerror(errno));
	}
	e->connected = 1;
	return 0;
}

void
endp_refused(struct endp *e)
{
	if (!e->refused)
		warning("%s refused a datagram: port unreachable (nothing "
		    "listens there)", e->name);
	e->refused = 1;
}

void
endp_error(struct endp *e, int err)
{
	if (err == ECONNREFUSED) {
		endp_refused(e);
		return;
	}
	if (!e->other_error)
		warning("%s: %s", e->name, strerror(err));
	e->other_error = err;
}

void
endp_read_errors(struct endp *e)
{
	int n, other;

	if ((n = sock_drain_errors(e->fd, e->family, &other)) > 0)
		endp_refused(e);
	if (n >= 0 && other != 0)
		endp_error(e, other);
}

/*
 * The address of sa as 16 bytes (IPv4 as IPv4-mapped IPv6) and its
 * port; 0, or -1 for another family.
 */
static int
addr_key(const struct sockaddr *sa, struct in6_addr *a, uint16_t *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(a->s6_addr + 12, &s4->sin_addr, 4);
		*port = s4->sin_port;
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		*a = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		*port = ((const struct sockaddr_in6 *)sa)->sin6_port;
		return 0;
	}
	return -1;
}

/* True when a is an address of this host: loopback, or an interface's. */
static int
host_has(struct endp *e, const struct in6_addr *a)
{
	const struct ifaddrs *i;
	struct in6_addr b;
	uint16_t port;

	if (IN6_IS_ADDR_LOOPBACK(a) ||
	    (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127))
		return 1;
	if (e->ifs == NULL && getifaddrs(&e->ifs) == -1) {
		e->ifs = NULL;
		return 1;	/* unknown: better not to answer */
	}
	for (i = e->ifs; i != NULL; i = i->ifa_next)
		if (i->ifa_addr != NULL && addr_key(i->ifa_addr, &b,
		    &port) == 0 && memcmp(&b, a, sizeof(b)) == 0)
			return 1;
	return 0;
}

int
endp_is_self(struct endp *e, const struct sockaddr *sa, socklen_t len)
{
	struct in6_addr a, mine;
	uint16_t port, my_port;

	/* The lengths too: "@name" is not "@name-a", a longer name. */
	if (sa->sa_family == AF_UNIX)
		return e->local.ss.ss_family == AF_UNIX && e->local.len > 2 &&
		    len == e->local.len &&
		    memcmp(sa, &e->local.ss, e->local.len) == 0;
	if (addr_key(sa, &a, &port) == -1 || addr_key((const struct sockaddr *)
	    &e->local.ss, &mine, &my_port) == -1 || port != my_port)
		return 0;
	if (IN6_IS_ADDR_UNSPECIFIED(&mine) || (IN6_IS_ADDR_V4MAPPED(&mine) &&
	    memcmp(mine.s6_addr + 12, "\0\0\0\0", 4) == 0))
		return host_has(e, &a);
	return memcmp(&a, &mine, sizeof(a)) == 0;
}

void
endp_close(struct endp *e)
{
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	if (e->unlink_path[0] != '\0')
		(void)unlink(e->unlink_path);
	e->unlink_path[0] = '\0';
	if (e->ifs != NULL)
		freeifaddrs(e->ifs);
	e->ifs = NULL;
}
