/* endp_unix.c: Unix datagram sockets as endpoints: unix:PATH, unix:@NAME. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "endpoint.h"
#include "msg.h"
#include "udpcat.h"

#define UNIX_PREFIX	"unix:"
#define UNIX_MAX	65535	/* the largest datagram udpcat carries here */

int
endp_is_unix(const char *s)
{
	return strncmp(s, UNIX_PREFIX, sizeof(UNIX_PREFIX) - 1) == 0;
}

int
endp_unix_addr(const char *s, struct endpoint *ep)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&ep->ss;
	const char *path = s + sizeof(UNIX_PREFIX) - 1;
	size_t n = strlen(path);

	memset(ep, 0, sizeof(*ep));
	un->sun_family = AF_UNIX;
	if (n == 0 || (path[0] == '@' && n == 1))
		return msg_fail_usage("invalid socket '%s': the name is empty",
		    s);
	if (n >= sizeof(un->sun_path))
		return msg_fail_usage("invalid socket '%s': longer than the "
		    "%zu bytes a socket name holds", s,
		    sizeof(un->sun_path) - 1);
	if (path[0] == '@') {
		/* Abstract: a NUL, then the name, and no NUL after it. */
		memcpy(un->sun_path + 1, path + 1, n - 1);
		ep->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		memcpy(un->sun_path, path, n + 1);
		ep->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    n + 1);
	}
	return 0;
}

const char *
endp_kind(const struct endp *e)
{
	if (e->family == AF_UNIX)
		return "a Unix socket";
	return e->family == AF_INET ? "IPv4" : "IPv6";
}

/* Opens the socket and names the endpoint after ep. */
static int
open_unix(struct endp *e, const struct endpoint *ep)
{
	if ((e->fd = sock_open(AF_UNIX)) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot open a socket: %s",
		    strerror(errno));
	e->family = AF_UNIX;
	e->max = UNIX_MAX;
	if (out_peer((const struct sockaddr *)&ep->ss, ep->len, e->name) < 0)
		snprintf(e->name, sizeof(e->name), "?");
	return 0;
}

/*
 * After EADDRINUSE on a path: whether a socket file is stale (nobody is
 * bound to it: connect() is refused), which may then be replaced.
 * Returns 0 when it was removed, else an exit status after a message.
 */
static int
replace_stale(const struct endp *e, const char *path)
{
	struct sockaddr_un un;
	struct stat sb;
	int fd, rc;

	if (lstat(path, &sb) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot bind to '%s': %s", e->name,
		    strerror(errno));
	if (!S_ISSOCK(sb.st_mode))
		return msg_fail(EXIT_RUNTIME, "cannot bind to '%s': it exists "
		    "and is not a socket (left alone)", e->name);
	if ((fd = sock_open(AF_UNIX)) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot open a socket: %s",
		    strerror(errno));
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	memcpy(un.sun_path, path, strlen(path) + 1);
	rc = connect(fd, (struct sockaddr *)&un, sizeof(un));
	close(fd);
	if (rc == 0)
		return msg_fail(EXIT_RUNTIME, "cannot bind to '%s': in use by "
		    "another socket", e->name);
	if (errno != ECONNREFUSED)
		return msg_fail(EXIT_RUNTIME, "cannot bind to '%s': %s", e->name,
		    strerror(errno));
	if (unlink(path) == -1 && errno != ENOENT)
		return msg_fail(EXIT_RUNTIME, "cannot remove the stale socket "
		    "'%s': %s", e->name, strerror(errno));
	return 0;
}

/* Binds to ep, remembering a file made, to remove it at the end. */
static int
bind_unix(struct endp *e, const struct endpoint *ep, int replace)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)&ep->ss;
	int rc;

	if (bind(e->fd, (const struct sockaddr *)&ep->ss, ep->len) == -1) {
		if (errno != EADDRINUSE || un->sun_path[0] == '\0' || !replace)
			return msg_fail(EXIT_RUNTIME, "cannot bind to '%s': %s",
			    e->name, errno == EADDRINUSE ? "in use" :
			    strerror(errno));
		if ((rc = replace_stale(e, un->sun_path)) != 0)
			return rc;
		if (bind(e->fd, (const struct sockaddr *)&ep->ss, ep->len) == -1)
			return msg_fail(EXIT_RUNTIME, "cannot bind to '%s': %s",
			    e->name, strerror(errno));
	}
	if (un->sun_path[0] != '\0')
		memcpy(e->unlink_path, un->sun_path, strlen(un->sun_path) + 1);
	e->local = *ep;
	return 0;
}

int
endp_listen_unix(struct endp *e, const struct endpoint *ep)
{
	int rc;

	if ((rc = open_unix(e, ep)) != 0)
		return rc;
	/* Before the name exists: a datagram sent at once carries them. */
	(void)sock_rx_creds(e->fd);
	return bind_unix(e, ep, 1);
}

int
endp_dial_unix(struct endp *e, const struct endpoint *dst,
    const struct endpoint *src, int reply_addr)
{
	struct endpoint me;
	int rc;

	if ((rc = open_unix(e, dst)) != 0)
		return rc;
	if (src != NULL && (rc = bind_unix(e, src, 0)) != 0)
		return rc;
	if (src == NULL && reply_addr) {
		/* Linux names an unbound socket itself (an abstract name). */
		memset(&me, 0, sizeof(me));
		me.ss.ss_family = AF_UNIX;
		me.len = sizeof(sa_family_t);
		if (bind(e->fd, (struct sockaddr *)&me.ss, me.len) == -1)
			return msg_fail(EXIT_RUNTIME, "cannot bind an address "
			    "for replies: %s", strerror(errno));
	}
	if (reply_addr)
		(void)sock_rx_creds(e->fd);
	if (connect(e->fd, (const struct sockaddr *)&dst->ss, dst->len) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot send to '%s': %s", e->name,
		    strerror(errno));
	e->connected = 1;
	return 0;
}
