/* test_impair.c: the impairment stage: fates, bounds and reproducibility. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "impair.h"

#define MS		1000000ULL
#define N_STAT		100000

/* Everything one run released: payload index, time and bytes. */
struct out {
	uint32_t	idx[4 * N_STAT];
	uint64_t	when[4 * N_STAT];
	uint32_t	sum[4 * N_STAT];
	size_t		n;
};

static struct out out_a, out_b;

/* A payload that names its datagram: 8 bytes, the index twice. */
static void
payload(uint32_t i, unsigned char *p)
{
	memcpy(p, &i, 4);
	memcpy(p + 4, &i, 4);
}

static uint32_t
checksum(const struct imp_item *it)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i < it->len; i++)
		s = s * 31 + it->data[i];
	return s;
}

/* Takes every datagram due at now into o. */
static void
drain(struct impair *im, uint64_t now, struct out *o)
{
	struct imp_item *it;

	while ((it = impair_pop(im, now)) != NULL) {
		assert_true(it->key <= now);
		assert_true(o->n < 4 * N_STAT);
		o->idx[o->n] = (uint32_t)it->tag;
		o->when[o->n] = it->key;
		o->sum[o->n] = checksum(it);
		o->n++;
		free(it);
	}
}

/*
 * Feeds n datagrams, one every gap ns from time 0, and drains until the
 * stage is empty; returns the fates' union.
 */
static int
run(const struct impair_conf *c, uint64_t seed, size_t n, uint64_t gap,
    struct out *o, struct impair_stats *st, int *fates)
{
	struct impair im;
	unsigned char p[8];
	uint64_t t = 0;
	size_t i;
	int f, all = 0;

	memset(o, 0, sizeof(*o));
	assert_int_equal(impair_init(&im, c, seed), 0);
	for (i = 0; i < n; i++, t += gap) {
		drain(&im, t, o);
		payload((uint32_t)i, p);
		f = impair_in(&im, t, p, sizeof(p), i);
		assert_true(f >= 0);
		if (fates != NULL)
			fates[i] = f;
		all |= f;
	}
	while (impair_held(&im) > 0) {
		t = impair_next(&im);
		assert_true(t != UINT64_MAX);
		drain(&im, t, o);
	}
	*st = im.st;
	impair_free(&im);
	return all;
}

static int fates_a[N_STAT], fates_b[N_STAT];

static void
test_reproducible(void **state)
{
	struct impair_conf c = { .loss = 0.1, .corrupt = 0.05,
	    .duplicate = 0.05, .reorder = 0.05, .delay_ns = 5 * MS,
	    .jitter_ns = 3 * MS, .rate = 0, .queue = 0 };
	struct impair_stats sa, sb;

	(void)state;
	run(&c, 42, N_STAT, MS / 2, &out_a, &sa, fates_a);
	run(&c, 42, N_STAT, MS / 2, &out_b, &sb, fates_b);
	assert_memory_equal(fates_a, fates_b, sizeof(fates_a));
	assert_int_equal(out_a.n, out_b.n);
	assert_memory_equal(out_a.idx, out_b.idx, out_a.n * 4);
	assert_memory_equal(out_a.when, out_b.when, out_a.n * 8);
	assert_memory_equal(out_a.sum, out_b.sum, out_a.n * 4);
	assert_memory_equal(&sa, &sb, sizeof(sa));
	/* Another seed, other fates. */
	run(&c, 43, N_STAT, MS / 2, &out_b, &sb, fates_b);
	assert_true(memcmp(fates_a, fates_b, sizeof(fates_a)) != 0);
	/* Accounted for: in - lost + duplicated = out. */
	assert_int_equal(sa.in - sa.dropped + sa.duplicated, sa.out);
	assert_int_equal(sa.out, out_a.n);
}

/* Loss p over N_STAT datagrams: within 1% absolute. */
static void
test_loss_rate(void **state)
{
	static const double ps[] = { 0.01, 0.1, 0.5, 0.9 };
	struct impair_conf c;
	struct impair_stats st;
	double got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		memset(&c, 0, sizeof(c));
		c.loss = ps[i];
		run(&c, 7 + i, N_STAT, 1000, &out_a, &st, NULL);
		got = (double)(N_STAT - out_a.n) / N_STAT;
		if (got < ps[i] - 0.01 || got > ps[i] + 0.01) {
			print_error("loss %.2f: %.4f lost\n", ps[i], got);
			fail();
		}
		assert_int_equal(st.dropped, N_STAT - out_a.n);
	}
}

/* Loss 0 is exact and in order; loss 100% lets nothing through. */
static void
test_loss_edges(void **state)
{
	struct impair_conf c;
	struct impair_stats st;
	size_t i;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.duplicate = 0;
	c.delay_ns = 1;	/* active, yet nothing random */
	run(&c, 1, N_STAT, 1000, &out_a, &st, NULL);
	assert_int_equal(out_a.n, N_STAT);
	for (i = 0; i < N_STAT; i++)
		assert_int_equal(out_a.idx[i], i);
	c.loss = 1.0;
	run(&c, 1, N_STAT, 1000, &out_a, &st, NULL);
	assert_int_equal(out_a.n, 0);
	assert_int_equal(st.dropped, N_STAT);
}

/* Corruption flips exactly one bit; duplication sends exactly twice. */
static void
test_corrupt_duplicate(void **state)
{
	struct impair_conf c;
	struct impair_stats st;
	unsigned char p[8];
	size_t i;
	int f;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.corrupt = 1.0;
	run(&c, 3, 1000, 1000, &out_a, &st, fates_a);
	assert_int_equal(out_a.n, 1000);
	assert_int_equal(st.corrupted, 1000);
	for (i = 0; i < 1000; i++) {
		uint32_t want;

		payload((uint32_t)i, p);
		want = 0;
		for (f = 0; f < 8; f++)
			want = want * 31 + p[f];
		assert_true(out_a.sum[i] != want);
		assert_true(fates_a[i] & IMP_CORRUPTED);
	}
	memset(&c, 0, sizeof(c));
	c.duplicate = 1.0;
	run(&c, 3, 1000, 1000, &out_a, &st, NULL);
	assert_int_equal(out_a.n, 2000);
	for (i = 0; i < 2000; i++)
		assert_int_equal(out_a.idx[i], i / 2);
}

/* One flipped bit, exactly: compared byte by byte. */
static void
test_corrupt_one_bit(void **state)
{
	struct impair_conf c;
	struct impair im;
	struct imp_item *it;
	unsigned char p[64];
	int i, bits, b;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.corrupt = 1.0;
	impair_init(&im, &c, 9);
	for (i = 0; i < 500; i++) {
		memset(p, i, sizeof(p));
		assert_true(impair_in(&im, 0, p, sizeof(p), 0) & IMP_CORRUPTED);
		assert_non_null(it = impair_pop(&im, 0));
		for (bits = 0, b = 0; b < 64; b++)
			bits += __builtin_popcount(it->data[b] ^ p[b]);
		assert_int_equal(bits, 1);
		free(it);
	}
	/* An empty datagram has no bit to flip, and passes. */
	assert_int_equal(impair_in(&im, 0, p, 0, 0), 0);
	assert_non_null(it = impair_pop(&im, 0));
	free(it);
	impair_free(&im);
}

/* Delay 50 ms, jitter 10 ms: every release within [40, 60] ms. */
static void
test_delay_bounds(void **state)
{
	struct impair_conf c;
	struct impair_stats st;
	uint64_t d, lo = UINT64_MAX, hi = 0;
	size_t i;
	int reordered = 0;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.delay_ns = 50 * MS;
	c.jitter_ns = 10 * MS;
	run(&c, 5, 10000, MS, &out_a, &st, NULL);
	assert_int_equal(out_a.n, 10000);
	assert_int_equal(st.delayed, 10000);
	for (i = 0; i < out_a.n; i++) {
		d = out_a.when[i] - (uint64_t)out_a.idx[i] * MS;
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		reordered += i > 0 && out_a.idx[i] < out_a.idx[i - 1];
	}
	assert_true(lo >= 40 * MS && hi <= 60 * MS);
	/* The whole range is used, and jitter reorders, as netem's does. */
	assert_true(lo < 41 * MS && hi > 59 * MS);
	assert_true(reordered > 0);
	/* Jitter above the delay: never below zero. */
	c.delay_ns = 1 * MS;
	c.jitter_ns = 5 * MS;
	run(&c, 5, 10000, MS, &out_a, &st, NULL);
	for (i = 0, lo = UINT64_MAX; i < out_a.n; i++) {
		assert_true(out_a.when[i] >= (uint64_t)out_a.idx[i] * MS);
		d = out_a.when[i] - (uint64_t)out_a.idx[i] * MS;
		assert_true(d <= 6 * MS);
		lo = d < lo ? d : lo;
	}
	assert_int_equal(lo, 0);
}

/* Rate 1000/s: releases exactly 1 ms apart, never in bursts. */
static void
test_rate_spacing(void **state)
{
	struct impair_conf c;
	struct impair_stats st;
	size_t i;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.rate = 1000;
	c.queue = 100000;
	run(&c, 1, 5000, 0, &out_a, &st, NULL);	/* all at once */
	assert_int_equal(out_a.n, 5000);
	for (i = 0; i < out_a.n; i++) {
		assert_int_equal(out_a.idx[i], i);
		assert_int_equal(out_a.when[i], i * MS);
	}
	/* Slower than the rate: each goes at once. */
	run(&c, 1, 100, 3 * MS, &out_a, &st, NULL);
	for (i = 0; i < out_a.n; i++)
		assert_int_equal(out_a.when[i], i * 3 * MS);
	/* After a delay, the rate paces what the delay let go. */
	c.delay_ns = 10 * MS;
	run(&c, 1, 100, 0, &out_a, &st, NULL);
	for (i = 0; i < out_a.n; i++)
		assert_int_equal(out_a.when[i], 10 * MS + i * MS);
}

/* Beyond --queue, datagrams are dropped and counted. */
static void
test_queue_overflow(void **state)
{
	struct impair_conf c;
	struct impair_stats st;
	size_t i;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.rate = 10;
	c.queue = 5;
	/* The first one goes at once; five wait; the rest are dropped. */
	run(&c, 1, 20, 0, &out_a, &st, fates_a);
	assert_int_equal(out_a.n, 6);
	assert_int_equal(st.queue_drops, 14);
	for (i = 0; i < 20; i++)
		assert_int_equal(fates_a[i] != 0, i >= 6);
	for (i = 6; i < 20; i++)
		assert_int_equal(fates_a[i], IMP_DROPPED | IMP_QUEUE_DROP);
	/* Room again once the queue moved on: 1 every 100 ms. */
	run(&c, 1, 20, 100 * MS, &out_a, &st, NULL);
	assert_int_equal(out_a.n, 20);
	assert_int_equal(st.queue_drops, 0);
	/* The default queue is 1000. */
	c.queue = 0;
	run(&c, 1, 1500, 0, &out_a, &st, NULL);
	assert_int_equal(out_a.n, 1001);
	assert_int_equal(st.queue_drops, 499);
}

/*
 * With a delay (or reordering) before the rate, a copy can still be
 * dropped from the rate's queue after impair_in() told its fate: each
 * comes back from impair_late(), so that every datagram is accounted
 * for once, by id.
 */
static void
test_late_drops(void **state)
{
	static const struct { uint64_t delay; double reorder, dup; } tab[] = {
		{ 10 * MS, 0, 0 },
		{ 10 * MS, 0, 1.0 },
		{ 0, 0.5, 0 },
		{ 5 * MS, 0.3, 0.3 },
	};
	struct impair_conf c;
	struct impair im;
	struct imp_item *it;
	unsigned char p[8];
	unsigned open[41], left, k;
	uint64_t t;
	size_t i, n_late;
	int f;

	(void)state;
	for (k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
		memset(&c, 0, sizeof(c));
		c.delay_ns = tab[k].delay;
		c.reorder = tab[k].reorder;
		c.duplicate = tab[k].dup;
		c.rate = 10;
		c.queue = 2;
		impair_init(&im, &c, k);
		n_late = 0;
		for (i = 1, left = 0; i <= 40; i++) {
			payload((uint32_t)i, p);
			f = impair_in(&im, 0, p, 8, i);
			assert_true(f >= 0);
			assert_int_equal(im.st.in, i);
			open[i] = im.last_open;
			left += open[i];
			/* Dropped at once: told so, nothing open. */
			assert_true(!(f & IMP_QUEUE_DROP) ||
			    open[i] < 1U + ((f & IMP_DUPLICATED) != 0));
		}
		for (t = 0; left > 0; t = impair_next(&im)) {
			while ((it = impair_pop(&im, t)) != NULL ||
			    (it = impair_late(&im)) != NULL) {
				assert_int_equal(it->id, it->tag);
				assert_true(open[it->id] > 0);
				open[it->id]--;
				left--;
				n_late += !it->rated;
				free(it);
			}
			assert_true(left == 0 || impair_next(&im) != UINT64_MAX);
		}
		assert_null(impair_late(&im));
		assert_int_equal(impair_held(&im), 0);
		assert_true(n_late > 0);
		assert_true(n_late <= im.st.queue_drops);
		impair_free(&im);
	}
}

/* Reorder: held until the next one has gone, or 1 s without one. */
static void
test_reorder(void **state)
{
	struct impair_conf c;
	struct impair_stats st;
	struct impair im;
	struct imp_item *it;
	unsigned char p[8];
	size_t i;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.reorder = 1.0;
	run(&c, 1, 1000, MS, &out_a, &st, fates_a);
	assert_int_equal(out_a.n, 1000);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(out_a.idx[i], i ^ 1);	/* 1 0 3 2 ... */
		assert_int_equal(fates_a[i] == IMP_REORDERED, i % 2 == 0);
	}
	assert_int_equal(st.reordered, 500);
	/* Alone, it waits the second out. */
	impair_init(&im, &c, 1);
	payload(0, p);
	assert_int_equal(impair_in(&im, 5 * MS, p, 8, 0), IMP_REORDERED);
	assert_null(impair_pop(&im, 5 * MS + IMP_REORDER_NS - 1));
	assert_int_equal(impair_next(&im), 5 * MS + IMP_REORDER_NS);
	assert_non_null(it = impair_pop(&im, 5 * MS + IMP_REORDER_NS));
	free(it);
	assert_int_equal(impair_held(&im), 0);
	/* Held at exit: freed. */
	assert_int_equal(impair_in(&im, 0, p, 8, 0), IMP_REORDERED);
	impair_free(&im);
	/*
	 * Over many: one held at a time, and the one that releases it is
	 * never held, so p of those not releasing: p / (1 + p) in all.
	 */
	c.reorder = 0.2;
	run(&c, 11, N_STAT, MS, &out_a, &st, NULL);
	assert_int_equal(out_a.n, N_STAT);
	assert_true(st.reordered > (0.2 / 1.2 - 0.01) * N_STAT &&
	    st.reordered < (0.2 / 1.2 + 0.01) * N_STAT);
}

/* The generator: a known seed gives a known, well spread stream. */
static void
test_rng(void **state)
{
	struct rng a, b;
	double sum = 0;
	int i;

	(void)state;
	rng_seed(&a, 0);
	rng_seed(&b, 0);
	for (i = 0; i < 1000; i++)
		assert_true(rng_next(&a) == rng_next(&b));
	rng_seed(&b, 1);
	assert_true(rng_next(&a) != rng_next(&b));
	for (i = 0; i < N_STAT; i++) {
		double u = rng_unit(&a);

		assert_true(u >= 0 && u < 1);
		sum += u;
	}
	assert_true(sum / N_STAT > 0.49 && sum / N_STAT < 0.51);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_reproducible),
		cmocka_unit_test(test_loss_rate),
		cmocka_unit_test(test_loss_edges),
		cmocka_unit_test(test_corrupt_duplicate),
		cmocka_unit_test(test_corrupt_one_bit),
		cmocka_unit_test(test_delay_bounds),
		cmocka_unit_test(test_rate_spacing),
		cmocka_unit_test(test_queue_overflow),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_late_drops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
