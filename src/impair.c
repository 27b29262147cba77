/* impair.c: a pure impairment stage: seeded fates and one timer queue. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "impair.h"

/* splitmix64: spreads any seed, 0 included, over the whole state. */
static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* True with probability p; draws nothing when p is 0. */
static int
chance(struct impair *im, double p)
{
	return p > 0 && rng_unit(&im->rng) < p;
}

int
impair_active(const struct impair_conf *c)
{
	return c->loss > 0 || c->corrupt > 0 || c->duplicate > 0 ||
	    c->reorder > 0 || c->delay_ns > 0 || c->jitter_ns > 0 ||
	    c->rate > 0;
}

int
impair_init(struct impair *im, const struct impair_conf *c, uint64_t seed)
{
	memset(im, 0, sizeof(*im));
	im->c = *c;
	if (im->c.queue == 0)
		im->c.queue = 1000;
	im->late_end = &im->late;
	rng_seed(&im->rng, seed);
	return 0;
}

/* Orders the heap by release time, then by arrival. */
static int
before(const struct imp_item *a, const struct imp_item *b)
{
	return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

static void
swap(struct imp_item **h, size_t i, size_t j)
{
	struct imp_item *t = h[i];

	h[i] = h[j];
	h[j] = t;
}

/* Adds it to the heap; -1 with errno when it cannot grow. */
static int
heap_push(struct impair *im, struct imp_item *it)
{
	struct imp_item **h;
	size_t i, cap, each = sizeof(struct imp_item *);

	if (im->n == im->cap) {
		cap = im->cap == 0 ? 64 : im->cap * 2;
		if ((h = realloc(im->heap, cap * each)) == NULL)
			return -1;
		im->heap = h;
		im->cap = cap;
	}
	it->seq = im->seq++;
	i = im->n++;
	im->heap[i] = it;
	while (i > 0 && before(im->heap[i], im->heap[(i - 1) / 2])) {
		swap(im->heap, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

/* Takes the earliest item off the heap, which is not empty. */
static struct imp_item *
heap_pop(struct impair *im)
{
	struct imp_item **h = im->heap, *top = h[0];
	size_t i = 0, l, m;

	h[0] = h[--im->n];
	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < im->n && before(h[l], h[m]))
			m = l;
		if (l + 1 < im->n && before(h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			break;
		swap(h, i, m);
		i = m;
	}
	return top;
}

/*
 * The rate stage, entered at time t: the next free slot, one every 1/N
 * s, or a drop when --queue datagrams wait already.  Returns the fates.
 */
static int
rate_step(struct impair *im, uint64_t t, struct imp_item *it)
{
	uint64_t slot = im->next_slot > t ? im->next_slot : t;

	if (im->rated >= im->c.queue) {
		im->st.queue_drops++;
		if (it->id == im->arriving) {
			im->arrive_drops++;
			free(it);
		} else {
			/* Its fate was told as another: say it now. */
			it->next = NULL;
			*im->late_end = it;
			im->late_end = &it->next;
		}
		return IMP_DROPPED | IMP_QUEUE_DROP;
	}
	it->key = slot;
	it->rated = 1;
	im->next_slot = slot + 1000000000ULL / im->c.rate;
	if (heap_push(im, it) == -1) {
		free(it);
		return -1;
	}
	im->rated++;
	return 0;
}

/* The delay stage, entered at time t: delay and jitter, then the rate. */
static int
delay_step(struct impair *im, uint64_t t, struct imp_item *it)
{
	uint64_t j = im->c.jitter_ns, d = im->c.delay_ns, u;

	if (d == 0 && j == 0) {
		if (im->c.rate > 0)
			return rate_step(im, t, it);
		it->key = t;
	} else {
		u = j > 0 ? rng_next(&im->rng) % (2 * j + 1) : 0;
		it->key = t + (d + u > j ? d + u - j : 0);
		im->st.delayed++;
	}
	it->rated = 0;
	if (heap_push(im, it) == -1) {
		free(it);
		return -1;
	}
	return d > 0 || j > 0 ? IMP_DELAYED : 0;
}

/* Lets a held datagram go once its second has passed. */
static int
flush_held(struct impair *im, uint64_t now)
{
	struct imp_item *h = im->held;

	if (h == NULL || now < im->held_until)
		return 0;
	im->held = NULL;
	return delay_step(im, im->held_until, h) == -1 ? -1 : 0;
}

/*
 * The reorder stage: holds it back, or sends it on and then the one held
 * back before it.  Returns the fates.
 */
static int
reorder_step(struct impair *im, uint64_t now, struct imp_item *it)
{
	struct imp_item *h;
	int f;

	if (im->held == NULL && chance(im, im->c.reorder)) {
		im->held = it;
		im->held_until = now + IMP_REORDER_NS;
		im->st.reordered++;
		return IMP_REORDERED;
	}
	if ((f = delay_step(im, now, it)) == -1 || (h = im->held) == NULL)
		return f;
	im->held = NULL;
	return delay_step(im, now, h) == -1 ? -1 : f;
}

/* A copy of len bytes at data, tagged, of the datagram arriving. */
static struct imp_item *
item_new(struct impair *im, const void *data, size_t len, uint64_t tag)
{
	struct imp_item *it;

	if ((it = malloc(sizeof(*it) + len)) == NULL)
		return NULL;
	memset(it, 0, sizeof(*it));
	it->tag = tag;
	it->id = im->arriving;
	it->len = len;
	if (len > 0)
		memcpy(it->data, data, len);
	return it;
}

/* The stages for impair_in(): its fates, or -1. */
static int
stages(struct impair *im, uint64_t now, const void *data, size_t len,
    uint64_t tag)
{
	struct imp_item *it, *dup = NULL;
	uint64_t bit;
	int fates = 0, f;

	if (flush_held(im, now) == -1)
		return -1;
	if (chance(im, im->c.loss)) {
		im->st.dropped++;
		return IMP_DROPPED;
	}
	if ((it = item_new(im, data, len, tag)) == NULL)
		return -1;
	if (chance(im, im->c.corrupt) && len > 0) {
		bit = rng_next(&im->rng) % ((uint64_t)len * 8);
		it->data[bit / 8] ^= (unsigned char)(1U << (bit % 8));
		im->st.corrupted++;
		fates |= IMP_CORRUPTED;
	}
	if (chance(im, im->c.duplicate)) {
		if ((dup = item_new(im, it->data, len, tag)) == NULL) {
			free(it);
			return -1;
		}
		im->st.duplicated++;
		fates |= IMP_DUPLICATED;
	}
	if ((f = reorder_step(im, now, it)) == -1) {
		free(dup);
		return -1;
	}
	fates |= f;
	if (dup != NULL) {
		if ((f = reorder_step(im, now, dup)) == -1)
			return -1;
		fates |= f;
	}
	return fates;
}

int
impair_in(struct impair *im, uint64_t now, const void *data, size_t len,
    uint64_t tag)
{
	int fates;

	im->arriving = ++im->st.in;
	im->arrive_drops = 0;
	im->last_open = 0;
	fates = stages(im, now, data, len, tag);
	/* Lost, or out of memory: no copy in the stage. */
	if (fates != -1 && (!(fates & IMP_DROPPED) ||
	    (fates & IMP_QUEUE_DROP)))
		im->last_open = 1 + ((fates & IMP_DUPLICATED) != 0) -
		    im->arrive_drops;
	im->arriving = 0;
	return fates;
}

struct imp_item *
impair_pop(struct impair *im, uint64_t now)
{
	struct imp_item *it;

	(void)flush_held(im, now);
	while (im->n > 0 && im->heap[0]->key <= now) {
		it = heap_pop(im);
		if (it->rated)
			im->rated--;
		else if (im->c.rate > 0) {
			/* Out of the delay, into the rate's queue. */
			(void)rate_step(im, it->key, it);
			continue;
		}
		im->st.out++;
		return it;
	}
	return NULL;
}

uint64_t
impair_next(const struct impair *im)
{
	uint64_t t = UINT64_MAX;

	if (im->n > 0)
		t = im->heap[0]->key;
	if (im->held != NULL && im->held_until < t)
		t = im->held_until;
	return t;
}

struct imp_item *
impair_late(struct impair *im)
{
	struct imp_item *it = im->late;

	if (it != NULL && (im->late = it->next) == NULL)
		im->late_end = &im->late;
	return it;
}

size_t
impair_held(const struct impair *im)
{
	return im->n + (im->held != NULL);
}

void
impair_free(struct impair *im)
{
	struct imp_item *it;
	size_t i;

	for (i = 0; i < im->n; i++)
		free(im->heap[i]);
	free(im->heap);
	free(im->held);
	while ((it = impair_late(im)) != NULL)
		free(it);
	im->heap = NULL;
	im->held = NULL;
	im->n = im->cap = 0;
}
