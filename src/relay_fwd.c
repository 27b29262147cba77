/* relay_fwd.c: the relay's forwarding stage: impairment, tees, send queue. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "msg.h"
#include "opt.h"
#include "relay_fwd.h"

int
fwd_init(struct fwd *f, const struct relay_opts *o, struct relay_table *t,
    struct endp *ep, struct endp *tee)
{
	int d;

	memset(f, 0, sizeof(*f));
	f->t = t;
	f->ep = ep;
	f->tee = tee;
	f->ntee = o->ntee;
	f->df = o->c.df;
	for (d = UP; d <= DOWN; d++) {
		f->impaired[d] = impair_active(&o->imp[d]);
		impair_init(&f->imp[d], &o->imp[d], d == UP ? o->seed :
		    ~o->seed);
	}
	f->q.gso = 1;
	return (f->q.buf = malloc(FWD_QBYTES)) == NULL ? -1 : 0;
}

/* Warns, once, that the tee on fd refused a copy. */
static void
tee_refused(struct fwd *f, int fd)
{
	int i;

	for (i = 0; i < f->ntee; i++)
		if (f->tee[i].fd == fd)
			endp_refused(&f->tee[i]);
}

/*
 * --df: a datagram over the path MTU was refused; said once, with the
 * size and the MTU, and counted as not sent.
 */
static void
too_big(struct fwd *f, int fd, const struct endpoint *dst, size_t len)
{
	int mtu = dst != NULL ? sock_path_mtu(dst) : sock_mtu(fd);

	if (f->mtu_warned++ == 0)
		warning("a datagram of %zu bytes exceeds the path MTU of %d "
		    "(--df): not forwarded (counted in --stats)", len, mtu);
}

/* Counts and says why datagram i of the queue was not sent (err). */
static void
not_sent(struct fwd *f, unsigned i, int err)
{
	struct txq *q = &f->q;

	f->c[q->dir[i]].not_sent++;
	if (err == ECONNREFUSED && q->m[i] != NULL) {
		f->refused++;
		endp_refused(&q->m[i]->up);
	} else if (err == ECONNREFUSED && q->dir[i] == TEE) {
		f->refused++;
		tee_refused(f, q->fd[i]);
	} else if (err == EMSGSIZE && f->df)
		too_big(f, q->fd[i], q->dst[i], q->iov[i].iov_len);
	else if (f->send_warned++ == 0)
		warning("cannot forward a datagram: %s (counted in --stats)",
		    strerror(err));
}

/* Sends the queue, runs of one socket and destination at a time. */
void
fwd_flush(struct fwd *f)
{
	struct txq *q = &f->q;
	unsigned i = 0, j, sent;
	int err;

	while (i < q->n) {
		for (j = i + 1; j < q->n && q->fd[j] == q->fd[i] &&
		    q->dst[j] == q->dst[i]; j++)
			;
		/* GSO joins the runs of equal sizes. */
		sent = sock_tx(q->fd[i], q->dst[i], q->iov + i, j - i, &q->gso,
		    &err);
		f->c[q->dir[i]].forwarded += sent;
		i += sent;
		if (err != 0)
			not_sent(f, i++, err);
	}
	q->n = 0;
	q->used = 0;
}

/*
 * Makes room for n datagrams of len bytes in all, flushing the queue
 * when they would not fit; the caller makes sure that they fit then.
 */
static void
room(struct fwd *f, unsigned n, size_t len)
{
	if (f->q.n + n > FWD_QLEN || f->q.used + len > FWD_QBYTES)
		fwd_flush(f);
}

/* Adds the len bytes at q->buf + off, already in place, to the queue. */
static void
put_at(struct fwd *f, int dir, struct mapping *m, int fd,
    const struct endpoint *dst, size_t off, size_t len)
{
	struct txq *q = &f->q;

	q->fd[q->n] = fd;
	q->dst[q->n] = dst;
	q->m[q->n] = m;
	q->dir[q->n] = dir;
	q->iov[q->n].iov_base = q->buf + off;
	q->iov[q->n].iov_len = len;
	q->n++;
}

/* Queues a copy of a datagram for fd (to dst, or its peer when NULL). */
static void
put(struct fwd *f, int dir, struct mapping *m, int fd,
    const struct endpoint *dst, const void *data, size_t len)
{
	room(f, 1, len);
	if (len > 0)
		memcpy(f->q.buf + f->q.used, data, len);
	put_at(f, dir, m, fd, dst, f->q.used, len);
	f->q.used += len;
}

/* Queues a datagram of m in direction dir. */
static void
send_on(struct fwd *f, int dir, struct mapping *m, const void *data,
    size_t len)
{
	if (dir == UP)
		put(f, UP, m, m->up.fd, NULL, data, len);
	else
		put(f, DOWN, m, f->ep->fd, &m->client, data, len);
}

int
fwd_whole(struct fwd *f, int dir, struct mapping *m, const void *data,
    size_t size, size_t seg)
{
	size_t n, off, base;
	int fd = dir == UP ? m->up.fd : f->ep->fd;
	const struct endpoint *dst = dir == UP ? NULL : &m->client;

	if (f->impaired[dir] || seg == 0 || size > FWD_QBYTES ||
	    (n = (size + seg - 1) / seg) > FWD_QLEN)
		return -1;
	room(f, (unsigned)n, size);
	base = f->q.used;
	memcpy(f->q.buf + base, data, size);
	f->q.used += size;
	/* One after the other, equal: sock_tx() joins them again. */
	for (off = 0; off < size; off += seg)
		put_at(f, dir, m, fd, dst, base + off, size - off < seg ?
		    size - off : seg);
	return 0;
}

/* Tells of the copies in dir dropped from the rate's queue just now. */
static void
late(struct fwd *f, int dir)
{
	struct imp_item *it;

	while ((it = impair_late(&f->imp[dir])) != NULL) {
		if (f->settle != NULL)
			f->settle(f->settle_arg, dir, it->id, 0);
		free(it);
	}
}

int
fwd_in(struct fwd *f, int dir, struct mapping *m, const void *data,
    size_t len, uint64_t now)
{
	int fates;

	if (!f->impaired[dir]) {
		send_on(f, dir, m, data, len);
		return 0;
	}
	if ((fates = impair_in(&f->imp[dir], now, data, len,
	    relay_tag(f->t, m))) == -1)
		f->c[dir].not_sent++;
	late(f, dir);
	return fates;
}

unsigned
fwd_open(const struct fwd *f, int dir, int fates, uint64_t *id)
{
	const struct impair *im = &f->imp[dir];

	if (!f->impaired[dir] || fates <= 0 || im->c.rate == 0 ||
	    !(fates & (IMP_DELAYED | IMP_REORDERED)))
		return 0;
	*id = im->st.in;
	return im->last_open;
}

void
fwd_tee(struct fwd *f, const void *data, size_t len)
{
	int i;

	for (i = 0; i < f->ntee; i++)
		put(f, TEE, NULL, f->tee[i].fd, NULL, data, len);
}

void
fwd_release(struct fwd *f, uint64_t now)
{
	struct imp_item *it;
	struct mapping *m;
	int dir;

	for (dir = UP; dir <= DOWN; dir++) {
		if (!f->impaired[dir])
			continue;
		while ((it = impair_pop(&f->imp[dir], now)) != NULL) {
			if ((m = relay_by_tag(f->t, it->tag)) != NULL)
				send_on(f, dir, m, it->data, it->len);
			else
				f->c[dir].not_sent++;	/* its mapping closed */
			if (f->settle != NULL)
				f->settle(f->settle_arg, dir, it->id, 1);
			free(it);
		}
		late(f, dir);
	}
}

uint64_t
fwd_next(const struct fwd *f)
{
	uint64_t t = UINT64_MAX, x;
	int dir;

	for (dir = UP; dir <= DOWN; dir++)
		if (f->impaired[dir] && (x = impair_next(&f->imp[dir])) < t)
			t = x;
	return t;
}

int
fwd_dial_tees(struct fwd *f, const struct relay_opts *o, struct endpoint *dst)
{
	struct endp_conf c;
	char host[300], *colon;
	uint16_t port;
	int i, rc;

	memset(&c, 0, sizeof(c));
	c.family = o->c.family;
	c.ttl = c.tos = c.loop = -1;
	for (i = 0; i < o->ntee; i++) {
		if ((size_t)snprintf(host, sizeof(host), "%s", o->tee[i]) >=
		    sizeof(host) || (colon = strrchr(host, ':')) == NULL)
			return msg_fail_usage("invalid --tee '%s': use "
			    "HOST:PORT, IPv6 as [ADDRESS]:PORT", o->tee[i]);
		*colon = '\0';
		port = opt_port(colon + 1, 0);
		if ((rc = resolve("--tee host", host, port, o->c.family, 0,
		    &dst[i])) != 0 ||
		    (rc = endp_dial(&f->tee[i], &c, &dst[i], 1)) != 0)
			return rc;
	}
	return 0;
}

void
fwd_report(const struct fwd *f, const uint64_t kd[2], const int gro[2])
{
	static const char *const name[] = { "up", "down" };
	int d;

	for (d = UP; d <= DOWN; d++) {
		const struct impair_stats *i = &f->imp[d].st;
		const struct fwd_count *s = &f->c[d];

		note("%s: %llu received, %llu forwarded, %llu dropped, "
		    "%llu duplicated, %llu reordered, %llu corrupted, "
		    "%llu delayed, %llu queue drops, %llu%s kernel drops, "
		    "%llu not sent, %zu held at exit", name[d],
		    (unsigned long long)s->received,
		    (unsigned long long)s->forwarded,
		    (unsigned long long)i->dropped,
		    (unsigned long long)i->duplicated,
		    (unsigned long long)i->reordered,
		    (unsigned long long)i->corrupted,
		    (unsigned long long)i->delayed,
		    (unsigned long long)i->queue_drops,
		    (unsigned long long)kd[d], gro[d] && kd[d] > 0 ? "+" : "",
		    (unsigned long long)s->not_sent, impair_held(&f->imp[d]));
	}
}

void
fwd_tee_drain(struct fwd *f, int i, short revents)
{
	char buf[1];

	if (revents & POLLERR)
		endp_read_errors(&f->tee[i]);
	while (recv(f->tee[i].fd, buf, sizeof(buf), MSG_DONTWAIT |
	    MSG_TRUNC) >= 0)
		f->tee_replies++;
}

void
fwd_free(struct fwd *f)
{
	impair_free(&f->imp[UP]);
	impair_free(&f->imp[DOWN]);
	free(f->q.buf);
	f->q.buf = NULL;
}
