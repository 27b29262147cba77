/* relay.c: the relay's client table: one upstream socket per client. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/un.h>

#include "relay.h"
#include "udpcat.h"

int
relay_init(struct relay_table *t, size_t max)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->max = max;
	for (t->nbuckets = 16; t->nbuckets < 2 * max; t->nbuckets *= 2)
		;
	t->slots = calloc(max, sizeof(*t->slots));
	t->buckets = calloc(t->nbuckets, sizeof(struct mapping *));
	if (t->slots == NULL || t->buckets == NULL) {
		relay_free(t);
		errno = ENOMEM;
		return -1;
	}
	for (i = max; i-- > 0;) {
		endp_init(&t->slots[i].up);
		t->slots[i].hnext = t->free;
		t->free = &t->slots[i];
	}
	return 0;
}

/* The longest key: a Unix socket's name. */
#define KEY_MAX		sizeof(((struct sockaddr_un *)NULL)->sun_path)

/*
 * The bytes that tell clients apart: the address and port of sa (of len
 * bytes); an IPv4-mapped address the same as plain IPv4.  Returns their
 * length.
 */
static size_t
client_key(const struct sockaddr *sa, socklen_t len, unsigned char *k)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	size_t off = offsetof(struct sockaddr_un, sun_path);

	if (sa->sa_family == AF_UNIX) {
		/* Its name; every unnamed client is the same (none). */
		len = len > off ? len - off : 0;
		len = len > KEY_MAX ? KEY_MAX : len;
		memcpy(k, ((const struct sockaddr_un *)sa)->sun_path, len);
		return len;
	}

	if (sa->sa_family == AF_INET6 &&
	    !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memcpy(k, &s6->sin6_addr, 16);
		memcpy(k + 16, &s6->sin6_port, 2);
		memcpy(k + 18, &s6->sin6_scope_id, 4);
		return 22;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(k, s6->sin6_addr.s6_addr + 12, 4);
		memcpy(k + 4, &s6->sin6_port, 2);
		return 6;
	}
	memcpy(k, &s4->sin_addr, 4);
	memcpy(k + 4, &s4->sin_port, 2);
	return 6;
}

/* FNV-1a over the key. */
static size_t
hash(const unsigned char *k, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ k[i]) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 32));
}

/* The bucket of sa; its key in k, of *kn bytes. */
static struct mapping **
bucket(struct relay_table *t, const struct sockaddr *sa, socklen_t len,
    unsigned char *k, size_t *kn)
{
	*kn = client_key(sa, len, k);
	return &t->buckets[hash(k, *kn) & (t->nbuckets - 1)];
}

struct mapping *
relay_find(struct relay_table *t, const struct sockaddr *sa, socklen_t len)
{
	unsigned char k[KEY_MAX], mk[KEY_MAX];
	size_t kn;
	struct mapping *m;

	for (m = *bucket(t, sa, len, k, &kn); m != NULL; m = m->hnext)
		if (client_key((struct sockaddr *)&m->client.ss, m->client.len,
		    mk) == kn && memcmp(k, mk, kn) == 0)
			return m;
	return NULL;
}

/* Takes m off the LRU list. */
static void
lru_unlink(struct relay_table *t, struct mapping *m)
{
	if (m->older != NULL)
		m->older->newer = m->newer;
	else
		t->oldest = m->newer;
	if (m->newer != NULL)
		m->newer->older = m->older;
	else
		t->newest = m->older;
	m->older = m->newer = NULL;
}

/* Puts m at the newest end of the LRU list. */
static void
lru_append(struct relay_table *t, struct mapping *m)
{
	m->older = t->newest;
	m->newer = NULL;
	if (t->newest != NULL)
		t->newest->newer = m;
	else
		t->oldest = m;
	t->newest = m;
}

void
relay_touch(struct relay_table *t, struct mapping *m, uint64_t now)
{
	m->last_ns = now;
	if (t->newest != m) {
		lru_unlink(t, m);
		lru_append(t, m);
	}
}

struct mapping *
relay_oldest(const struct relay_table *t)
{
	return t->oldest;
}

/* The socket's kernel drop count, or 0 where the system does not say. */
static uint64_t
drops_of(int fd)
{
	uint32_t d;

	return sock_drops(fd, &d) == 0 ? d : 0;
}

/* "SERVICE (client CLIENT)" in buf, cut to fit PEER_MAX. */
static void
up_name(char *buf, const struct endpoint *dst, const struct endpoint *client)
{
	char s[PEER_MAX], c[PEER_MAX];
	size_t n;

	if (out_peer((const struct sockaddr *)&dst->ss, dst->len, s) < 0)
		memcpy(s, "?", 2);
	if (out_peer((const struct sockaddr *)&client->ss, client->len, c) < 0)
		memcpy(c, "?", 2);
	n = strlen(s);
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (n + 10 + strlen(c) + 2 > PEER_MAX)
		return;
	memcpy(buf + n, " (client ", 9);
	n += 9;
	memcpy(buf + n, c, strlen(c));
	n += strlen(c);
	memcpy(buf + n, ")", 2);
}

/* Opens m's upstream socket, connected to dst; 0, or -1 with errno. */
static int
open_up(struct mapping *m, const struct endpoint *dst, struct rxbatch *rx,
    size_t rcvbuf, int df)
{
	struct endp *e = &m->up;
	int family = dst->ss.ss_family;

	struct endpoint me;

	if ((e->fd = sock_open(family)) == -1)
		return -1;
	e->family = family;
	e->max = family == AF_INET ? MAX_DGRAM4 : MAX_DGRAM6;
	if (family == AF_UNIX) {
		/* Linux names it itself (abstract), for the replies. */
		memset(&me, 0, sizeof(me));
		me.ss.ss_family = AF_UNIX;
		if (bind(e->fd, (struct sockaddr *)&me.ss,
		    sizeof(sa_family_t)) == -1)
			return -1;
	} else if (sock_recverr(e->fd, family) == -1 ||
	    (df && sock_df(e->fd, family) == -1))
		return -1;
	if (connect(e->fd, (const struct sockaddr *)&dst->ss, dst->len) == -1 ||
	    sock_local(e->fd, &e->local) == -1)
		return -1;
	e->connected = 1;
	/* A burst of replies must not find the default buffer's few. */
	if (rcvbuf > 0)
		(void)sock_rcvbuf(e->fd, rcvbuf);
	if (family != AF_UNIX)
		(void)sock_rx_gro(e->fd, rx);
	m->drops = drops_of(e->fd);
	/* Warnings about it name the client it speaks for. */
	up_name(e->name, dst, &m->client);
	return 0;
}

struct mapping *
relay_open(struct relay_table *t, const struct sockaddr *sa, socklen_t len,
    const struct endpoint *dst, uint64_t now, struct rxbatch *rx)
{
	unsigned char k[KEY_MAX];
	size_t kn;
	struct mapping *m, **b;
	int err;

	if (t->free == NULL && t->oldest != NULL)
		relay_close(t, t->oldest, 0);
	if ((m = t->free) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	t->free = m->hnext;
	m->hnext = NULL;
	memset(&m->client, 0, sizeof(m->client));
	memcpy(&m->client.ss, sa, len);
	m->client.len = len;
	if (open_up(m, dst, rx, t->rcvbuf, t->df) == -1) {
		err = errno;
		endp_close(&m->up);
		endp_init(&m->up);
		m->hnext = t->free;
		t->free = m;
		errno = err;
		return NULL;
	}
	b = bucket(t, sa, len, k, &kn);
	m->hnext = *b;
	*b = m;
	m->used = 1;
	m->gen++;
	lru_append(t, m);
	m->last_ns = now;
	t->n++;
	t->opened++;
	return m;
}

void
relay_close(struct relay_table *t, struct mapping *m, int idle)
{
	unsigned char k[KEY_MAX];
	size_t kn;
	struct mapping **p;

	for (p = bucket(t, (struct sockaddr *)&m->client.ss, m->client.len,
	    k, &kn);
	    *p != NULL; p = &(*p)->hnext)
		if (*p == m) {
			*p = m->hnext;
			break;
		}
	lru_unlink(t, m);
	t->kernel_drops += drops_of(m->up.fd) - m->drops;
	endp_close(&m->up);
	endp_init(&m->up);
	m->used = 0;
	m->gen++;
	m->hnext = t->free;
	t->free = m;
	t->n--;
	if (idle)
		t->closed_idle++;
	else
		t->closed_full++;
}

uint64_t
relay_tag(const struct relay_table *t, const struct mapping *m)
{
	return (uint64_t)m->gen << 32 | (uint64_t)(m - t->slots);
}

struct mapping *
relay_by_tag(struct relay_table *t, uint64_t tag)
{
	size_t i = (size_t)(tag & 0xffffffff);
	struct mapping *m;

	if (i >= t->max)
		return NULL;
	m = &t->slots[i];
	return m->used && m->gen == (uint32_t)(tag >> 32) ? m : NULL;
}

uint64_t
relay_drops(const struct relay_table *t)
{
	uint64_t d = t->kernel_drops;
	const struct mapping *m;

	for (m = t->oldest; m != NULL; m = m->newer)
		d += drops_of(m->up.fd) - m->drops;
	return d;
}

void
relay_free(struct relay_table *t)
{
	size_t i;

	for (i = 0; t->slots != NULL && i < t->max; i++)
		endp_close(&t->slots[i].up);
	free(t->slots);
	free(t->buckets);
	t->slots = NULL;
	t->buckets = NULL;
}
