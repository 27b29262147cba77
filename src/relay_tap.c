/* relay_tap.c: the relay's --tap and --json records, each with its fate. */
#include <stdlib.h>
#include <string.h>

#include "impair.h"
#include "relay_tap.h"
#include "sock.h"

/* A record that waits until the fate of its datagram is known. */
struct tap_rec {
	struct tap_rec		*next;		/* hash chain, or done */
	uint64_t		 key;		/* id, and dir in bit 0 */
	unsigned		 open;		/* copies still in the stage */
	unsigned		 passed;	/* copies sent on */
	int			 fates;
	struct dgram		 d;
	struct sockaddr_storage	 from;
	struct sockaddr_storage	 to;
	struct sockaddr_storage	 client;
	struct rx_info		 info;
	struct ucred		 cred;
	unsigned char		 data[];
};

void
tap_clear(struct tap *t)
{
	memset(t, 0, sizeof(*t));
	t->pr.fd = -1;
}

int
tap_init(struct tap *t, const struct relay_opts *o)
{
	if (!o->tap && !o->c.json)
		return 0;
	t->on = 1;
	return printer_init(&t->pr, o->c.enc, o->c.enc_set, o->framing, o->c.json,
	    o->tap);
}

/* The one word --json gives an impaired datagram's fates, or NULL. */
static const char *
fate_name(int f)
{
	if (f == -1 || (f & IMP_DROPPED))
		return "dropped";
	if (f & IMP_CORRUPTED)
		return "corrupted";
	if (f & IMP_DUPLICATED)
		return "duplicated";
	if (f & IMP_REORDERED)
		return "reordered";
	if (f & IMP_DELAYED)
		return "delayed";
	return NULL;
}

/* Writes d out now, in direction dir, for the client at sa. */
static void
put(struct tap *t, const struct dgram *d, int dir, const struct sockaddr *sa,
    socklen_t salen, int fates)
{
	struct dgram r = *d;

	r.dir = dir == UP ? "up" : "down";
	r.fate = fate_name(fates);
	r.client = sa;
	r.clientlen = salen;
	printer_put(&t->pr, &r);
}

/* A copy of d and of what it points to, or NULL. */
static struct tap_rec *
rec_new(const struct dgram *d, const struct sockaddr *sa, socklen_t salen)
{
	struct tap_rec *r;

	if ((r = calloc(1, sizeof(*r) + d->len)) == NULL)
		return NULL;
	r->d = *d;
	memcpy(r->data, d->data, d->len);
	r->d.data = r->data;
	memcpy(&r->from, d->from, d->fromlen);
	r->d.from = (const struct sockaddr *)&r->from;
	if (d->to != NULL) {
		r->to = *(const struct sockaddr_storage *)d->to;
		r->d.to = (const struct sockaddr *)&r->to;
	}
	if (d->info != NULL) {
		r->info = *d->info;
		r->d.info = &r->info;
	}
	if (d->cred != NULL) {
		r->cred = *d->cred;
		r->d.cred = &r->cred;
	}
	memcpy(&r->client, sa, salen);
	r->d.client = (const struct sockaddr *)&r->client;
	r->d.clientlen = salen;
	return r;
}

void
tap_show(struct tap *t, const struct dgram *d, int dir,
    const struct sockaddr *sa, socklen_t salen, int fates, uint64_t id,
    unsigned open)
{
	struct tap_rec *r;
	size_t b;

	if (!t->on)
		return;
	if (open > 0 && t->held == NULL)
		t->held = calloc(TAP_BUCKETS, sizeof(struct tap_rec *));
	/* Without memory for the copy, the fate as it stands now. */
	if (open == 0 || t->held == NULL ||
	    (r = rec_new(d, sa, salen)) == NULL) {
		put(t, d, dir, sa, salen, fates);
		return;
	}
	r->key = id << 1 | (uint64_t)dir;
	r->open = open;
	r->fates = fates;
	b = (size_t)(id % TAP_BUCKETS);
	r->next = t->held[b];
	t->held[b] = r;
}

/* Writes r out with its fate, and keeps it until the flush. */
static void
settled(struct tap *t, struct tap_rec *r)
{
	int f = r->passed > 0 ? r->fates & ~(IMP_DROPPED | IMP_QUEUE_DROP) :
	    IMP_DROPPED;

	put(t, &r->d, (int)(r->key & 1), r->d.client, r->d.clientlen, f);
	r->next = t->done;
	t->done = r;
}

void
tap_settle(struct tap *t, int dir, uint64_t id, int passed)
{
	struct tap_rec **p, *r;
	uint64_t key = id << 1 | (uint64_t)dir;

	if (t->held == NULL)
		return;
	for (p = &t->held[id % TAP_BUCKETS]; (r = *p) != NULL; p = &r->next)
		if (r->key == key)
			break;
	if (r == NULL)
		return;
	r->passed += passed != 0;
	if (--r->open > 0)
		return;
	*p = r->next;
	settled(t, r);
}

/* Writes every record still waiting, and takes it off its chain. */
static void
settle_all(struct tap *t)
{
	struct tap_rec *r;
	size_t b;

	for (b = 0; t->held != NULL && b < TAP_BUCKETS; b++)
		while ((r = t->held[b]) != NULL) {
			t->held[b] = r->next;
			settled(t, r);
		}
}

/* Frees the records written. */
static void
free_done(struct tap *t)
{
	struct tap_rec *r;

	while ((r = t->done) != NULL) {
		t->done = r->next;
		free(r);
	}
}

enum run_end
tap_flush(struct tap *t, int final)
{
	enum run_end s;

	if (!t->on)
		return RUN_MORE;
	if (final)
		settle_all(t);
	s = printer_flush(&t->pr);
	free_done(t);
	return s;
}

void
tap_free(struct tap *t)
{
	struct tap_rec *r;
	size_t b;

	for (b = 0; t->held != NULL && b < TAP_BUCKETS; b++)
		while ((r = t->held[b]) != NULL) {
			t->held[b] = r->next;
			free(r);
		}
	free(t->held);
	t->held = NULL;
	free_done(t);
	if (t->on)
		printer_free(&t->pr);
	t->on = 0;
}
