/* talk.c: listen --talk: standard input to the latest sender. */
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "talk.h"
#include "udpcat.h"

/* The receiver's hook: standard input, once someone can be answered. */
static int
talk_fill(void *arg, struct pollfd *fds, int max, uint64_t *deadline)
{
	struct talker *t = arg;

	(void)deadline;
	if (!t->peer || t->done || max < 1)
		return 0;
	fds[0].fd = STDIN_FILENO;
	fds[0].events = POLLIN;
	fds[0].revents = 0;
	return 1;
}

/* Sends what standard input brought; its end only ends the talking. */
static enum run_end
talk_ready(void *arg, const struct pollfd *fds, int n)
{
	struct talker *t = arg;
	enum run_end r;

	if (n < 1 || fds[0].revents == 0)
		return RUN_MORE;
	if ((r = tx_pump(&t->tx)) == RUN_DONE)
		t->done = 1;
	else if (r != RUN_MORE)
		t->end = r;
	return r == RUN_DONE ? RUN_MORE : r;
}

int
talk_init(struct talker *t, struct endp *ep, const struct tx_conf *c)
{
	memset(t, 0, sizeof(*t));
	t->hook.fill = talk_fill;
	t->hook.ready = talk_ready;
	t->hook.arg = t;
	t->end = RUN_MORE;
	t->tx.ndst = 1;
	if (stats_init(&t->st, 0, 0) == -1)
		return msg_fail(EXIT_RUNTIME, "out of memory");
	return tx_init(&t->tx, ep, c, &t->st);
}

void
talk_peer(struct talker *t, const struct dgram *d)
{
	/* An unnamed Unix socket cannot be answered. */
	if (d->from == NULL || d->fromlen <= sizeof(sa_family_t) ||
	    d->fromlen > sizeof(t->tx.dst[0].ss))
		return;
	memcpy(&t->tx.dst[0].ss, d->from, d->fromlen);
	t->tx.dst[0].len = d->fromlen;
	t->peer = 1;
}

void
talk_free(struct talker *t)
{
	tx_free(&t->tx);
	stats_free(&t->st);
}
