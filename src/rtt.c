/* rtt.c: the round trips of udpcat ping, counted and summed up; no I/O. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rtt.h"

#define FIRST_CAP	1024

void
rtt_init(struct rtt *r)
{
	memset(r, 0, sizeof(*r));
}

/*
 * Makes *p, an array of *cap elements of size bytes, hold at least need
 * (doubling, new bytes zeroed).  Returns 0, or -1 with errno ENOMEM.
 */
static int
grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap > 0 ? *cap : FIRST_CAP;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size) {
			errno = ENOMEM;
			return -1;
		}
		n *= 2;
	}
	if ((q = realloc(*(void **)p, n * size)) == NULL)
		return -1;
	memset((char *)q + *cap * size, 0, (n - *cap) * size);
	*(void **)p = q;
	*cap = n;
	return 0;
}

int
rtt_sent(struct rtt *r, uint64_t t_ns)
{
	if (grow(&r->sent_ns, &r->sent_cap, r->sent + 1,
	    sizeof(r->sent_ns[0])) == -1 ||
	    grow(&r->answered, &r->answered_cap, r->sent / 8 + 1, 1) == -1)
		return -1;
	r->sent_ns[r->sent++] = t_ns;
	return 0;
}

/* Adds a first reply's round trip to the figures. */
static int
add_sample(struct rtt *r, uint64_t ns)
{
	double d;

	if (grow(&r->rtt_ns, &r->rtt_cap, r->received + 1,
	    sizeof(r->rtt_ns[0])) == -1)
		return -1;
	r->rtt_ns[r->received++] = ns;
	r->sorted = 0;
	if (r->received == 1 || ns < r->min_ns)
		r->min_ns = ns;
	if (ns > r->max_ns)
		r->max_ns = ns;
	/* Welford: the same mdev as ping's formula, without cancellation. */
	d = (double)ns - r->mean_ns;
	r->mean_ns += d / (double)r->received;
	r->m2 += d * ((double)ns - r->mean_ns);
	return 0;
}

int
rtt_reply(struct rtt *r, uint32_t seq, uint64_t t_ns, enum rtt_kind *kind,
    uint64_t *rtt_ns, int *reordered)
{
	unsigned char bit = (unsigned char)(1u << (seq % 8));

	*reordered = 0;
	*rtt_ns = 0;
	if (seq >= r->sent) {
		*kind = RTT_UNSENT;
		return 0;
	}
	if (t_ns > r->sent_ns[seq])
		*rtt_ns = t_ns - r->sent_ns[seq];
	if (r->answered[seq / 8] & bit) {
		*kind = RTT_DUP;
		r->duplicates++;
		return 0;
	}
	if (add_sample(r, *rtt_ns) == -1)
		return -1;
	*kind = RTT_FIRST;
	r->answered[seq / 8] |= bit;
	if (r->received > 1 && seq < r->highest) {
		*reordered = 1;
		r->reordered++;
	}
	if (r->received == 1 || seq > r->highest)
		r->highest = seq;
	return 0;
}

uint64_t
rtt_nearest_rank(const uint64_t *sorted, size_t n, unsigned pct)
{
	/* The smallest rank k with k >= pct/100 * n, from 1. */
	size_t k = (size_t)(((uint64_t)n * pct + 99) / 100);

	return sorted[k > 0 ? k - 1 : 0];
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The square root of x by Newton's method, which keeps libm (and its
 * 300 KiB in every process's memory) out for this one call.  From a
 * start at or above the root each step falls, until rounding stops it.
 */
static double
root(double x)
{
	double	r = x > 1 ? x : 1, next;
	int	i;

	if (!(x > 0))
		return 0;
	for (i = 0; i < 2100; i++) {
		next = (r + x / r) / 2;
		if (next >= r)
			break;
		r = next;
	}
	return r;
}

void
rtt_summarize(struct rtt *r, struct rtt_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->sent = r->sent;
	s->received = r->received;
	s->duplicates = r->duplicates;
	s->reordered = r->reordered;
	if (r->sent > 0)
		s->loss_percent = 100.0 * (double)(r->sent - r->received) /
		    (double)r->sent;
	if (r->received == 0)
		return;
	if (!r->sorted)
		qsort(r->rtt_ns, r->received, sizeof(r->rtt_ns[0]), cmp_u64);
	r->sorted = 1;
	s->have_rtt = 1;
	s->min_ms = (double)r->min_ns / 1e6;
	s->avg_ms = r->mean_ns / 1e6;
	s->max_ms = (double)r->max_ns / 1e6;
	s->mdev_ms = root(r->m2 / (double)r->received) / 1e6;
	s->p50_ms = (double)rtt_nearest_rank(r->rtt_ns, r->received, 50) / 1e6;
	s->p99_ms = (double)rtt_nearest_rank(r->rtt_ns, r->received, 99) / 1e6;
}

int
rtt_loss_over(const struct rtt *r, uint64_t limit)
{
	/* lost / sent > limit / 1e8, as integers: < 2^32 * 1e8 < 2^64. */
	uint64_t lost = r->sent - r->received;

	return lost * 100000000u > limit * r->sent;
}

void
rtt_free(struct rtt *r)
{
	free(r->sent_ns);
	free(r->answered);
	free(r->rtt_ns);
	rtt_init(r);
}
