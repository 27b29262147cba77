/* test_rtt.c: the round-trip statistics of udpcat ping, on known vectors. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rtt.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define MS		1000000ULL	/* nanoseconds */
#define EPS		1e-6		/* milliseconds */

/* Round trips (ms) and the summary ping(8)'s formulas give for them. */
static const struct {
	const char	*what;
	unsigned	 n;
	double		 rtt[10];
	double		 min, avg, max, mdev, p50, p99;
} vectors[] = {
	{ "one", 1, { 0.5 }, 0.5, 0.5, 0.5, 0, 0.5, 0.5 },
	{ "two equal", 2, { 3, 3 }, 3, 3, 3, 0, 3, 3 },
	{ "1 to 4", 4, { 4, 3, 2, 1 }, 1, 2.5, 4, 1.118033989, 2, 4 },
	{ "ten", 10, { 5, 1, 4, 1, 5, 9, 2, 6, 5, 3 },
	    1, 4.1, 9, 2.343074903, 4, 9 },
	{ "odd count", 3, { 0.031, 0.045, 0.029 },
	    0.029, 0.035, 0.045, 0.007118052, 0.031, 0.045 },
	{ "microseconds", 5, { 0.001, 0.002, 0.003, 0.004, 1000 },
	    0.001, 200.002, 1000, 399.999, 0.003, 1000 },
	{ "seconds", 3, { 1000, 3000, 2000 },
	    1000, 2000, 3000, 816.496580928, 2000, 3000 },
	{ "under a nanosecond squared", 2, { 0.000001, 0.000002 },
	    0.000001, 0.0000015, 0.000002, 0.0000005, 0.000001, 0.000002 },
};

static void
check_near(const char *what, const char *field, double got, double want)
{
	if (fabs(got - want) > EPS * (1 + fabs(want)))
		fail_msg("%s: %s is %.9f, want %.9f", what, field, got, want);
}

static void
test_vectors(void **state)
{
	struct rtt r;
	struct rtt_summary s;
	enum rtt_kind k;
	uint64_t ns;
	unsigned i, j;
	int re;

	(void)state;
	for (i = 0; i < NELEM(vectors); i++) {
		rtt_init(&r);
		for (j = 0; j < vectors[i].n; j++)
			assert_int_equal(rtt_sent(&r, 1000 * MS * j), 0);
		for (j = 0; j < vectors[i].n; j++) {
			/* Replies in order: none is reordered. */
			assert_int_equal(rtt_reply(&r, j, 1000 * MS * j +
			    (uint64_t)llround(vectors[i].rtt[j] * MS), &k, &ns,
			    &re), 0);
			assert_int_equal(k, RTT_FIRST);
			assert_int_equal(re, 0);
		}
		rtt_summarize(&r, &s);
		assert_int_equal(s.sent, vectors[i].n);
		assert_int_equal(s.received, vectors[i].n);
		assert_true(s.have_rtt);
		check_near(vectors[i].what, "min", s.min_ms, vectors[i].min);
		check_near(vectors[i].what, "avg", s.avg_ms, vectors[i].avg);
		check_near(vectors[i].what, "max", s.max_ms, vectors[i].max);
		check_near(vectors[i].what, "mdev", s.mdev_ms, vectors[i].mdev);
		check_near(vectors[i].what, "p50", s.p50_ms, vectors[i].p50);
		check_near(vectors[i].what, "p99", s.p99_ms, vectors[i].p99);
		rtt_free(&r);
	}
}

/* Nearest rank: the smallest value with at least pct% at or below it. */
static void
test_nearest_rank(void **state)
{
	static const struct {
		size_t		n;
		unsigned	pct;
		uint64_t	want;	/* of the values 1..n */
	} t[] = {
		{ 1, 50, 1 }, { 1, 99, 1 }, { 2, 50, 1 }, { 2, 99, 2 },
		{ 3, 50, 2 }, { 4, 50, 2 }, { 10, 99, 10 }, { 100, 50, 50 },
		{ 100, 99, 99 }, { 101, 99, 100 }, { 1000, 99, 990 },
		{ 1000, 100, 1000 }, { 199, 50, 100 }, { 200, 1, 2 },
	};
	uint64_t v[1000];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(v); i++)
		v[i] = i + 1;
	for (i = 0; i < NELEM(t); i++)
		if (rtt_nearest_rank(v, t[i].n, t[i].pct) != t[i].want)
			fail_msg("n %zu p%u: got %llu, want %llu", t[i].n,
			    t[i].pct, (unsigned long long)rtt_nearest_rank(v,
			    t[i].n, t[i].pct), (unsigned long long)t[i].want);
}

/* A run as events: probes sent, replies and what each must count as. */
enum op { SEND, REPLY };

static const struct {
	enum op		op;
	uint32_t	seq;		/* REPLY */
	uint64_t	t;		/* ns */
	enum rtt_kind	kind;
	uint64_t	rtt;
	int		reordered;
} events[] = {
	{ SEND, 0, 0, 0, 0, 0 },
	{ SEND, 0, 100, 0, 0, 0 },
	{ REPLY, 5, 110, RTT_UNSENT, 0, 0 },		/* never sent */
	{ SEND, 0, 200, 0, 0, 0 },
	{ SEND, 0, 300, 0, 0, 0 },
	{ REPLY, 0, 50, RTT_FIRST, 50, 0 },
	{ REPLY, 2, 260, RTT_FIRST, 60, 0 },
	{ REPLY, 1, 270, RTT_FIRST, 170, 1 },		/* below 2 */
	{ REPLY, 1, 280, RTT_DUP, 180, 0 },
	{ REPLY, 0, 290, RTT_DUP, 290, 0 },
	{ REPLY, 3, 250, RTT_FIRST, 0, 0 },		/* clock went back */
	{ REPLY, 4, 400, RTT_UNSENT, 0, 0 },
	{ SEND, 0, 500, 0, 0, 0 },
	{ SEND, 0, 600, 0, 0, 0 },
	{ REPLY, 5, 640, RTT_FIRST, 40, 0 },
	{ REPLY, 4, 700, RTT_FIRST, 200, 1 },		/* below 5 */
	{ REPLY, 5, 710, RTT_DUP, 110, 0 },
};

static void
test_events(void **state)
{
	struct rtt r;
	struct rtt_summary s;
	enum rtt_kind k;
	uint64_t ns;
	size_t i;
	int re;

	(void)state;
	rtt_init(&r);
	for (i = 0; i < NELEM(events); i++) {
		if (events[i].op == SEND) {
			assert_int_equal(rtt_sent(&r, events[i].t), 0);
			continue;
		}
		assert_int_equal(rtt_reply(&r, events[i].seq, events[i].t, &k,
		    &ns, &re), 0);
		if (k != events[i].kind || ns != events[i].rtt ||
		    re != events[i].reordered)
			fail_msg("event %zu: kind %d rtt %llu reordered %d, "
			    "want %d %llu %d", i, k, (unsigned long long)ns,
			    re, events[i].kind,
			    (unsigned long long)events[i].rtt,
			    events[i].reordered);
	}
	rtt_summarize(&r, &s);
	assert_int_equal(s.sent, 6);
	assert_int_equal(s.received, 6);
	assert_int_equal(s.duplicates, 3);
	assert_int_equal(s.reordered, 2);
	check_near("events", "loss", s.loss_percent, 0);
	check_near("events", "min", s.min_ms, 0);
	check_near("events", "max", s.max_ms, 200e-6);
	rtt_free(&r);
}

/* Exact --max-loss comparisons (limits in millionths of a percent). */
static void
test_loss_over(void **state)
{
	static const struct {
		unsigned	sent, received;
		uint64_t	limit;
		int		over;
		double		percent;
	} t[] = {
		{ 0, 0, 0, 0, 0 },
		{ 1, 1, 0, 0, 0 },
		{ 1, 0, 0, 1, 100 },
		{ 1, 0, 100000000, 0, 100 },
		{ 1, 0, 99999999, 1, 100 },
		{ 4, 3, 25000000, 0, 25 },
		{ 4, 3, 24999999, 1, 25 },
		{ 3, 2, 33333333, 1, 33.333333333 },
		{ 3, 2, 33333334, 0, 33.333333333 },
		{ 10000, 9999, 10000, 0, 0.01 },
		{ 10000, 9999, 9999, 1, 0.01 },
	};
	struct rtt r;
	struct rtt_summary s;
	enum rtt_kind k;
	uint64_t ns;
	size_t i, j;
	int re;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		rtt_init(&r);
		for (j = 0; j < t[i].sent; j++)
			assert_int_equal(rtt_sent(&r, j), 0);
		for (j = 0; j < t[i].received; j++)
			assert_int_equal(rtt_reply(&r, (uint32_t)j, j + 1, &k,
			    &ns, &re), 0);
		if (rtt_loss_over(&r, t[i].limit) != t[i].over)
			fail_msg("case %zu: %u of %u, limit %llu: not %d", i,
			    t[i].received, t[i].sent,
			    (unsigned long long)t[i].limit, t[i].over);
		rtt_summarize(&r, &s);
		check_near("loss", "percent", s.loss_percent, t[i].percent);
		assert_int_equal(s.have_rtt, t[i].received > 0);
		rtt_free(&r);
	}
}

/*
 * Many probes, past every initial capacity: replies to the odd ones in
 * reverse, then to all of them; the bitmap and arrays must grow right.
 */
static void
test_growth(void **state)
{
	const uint32_t n = 100003;
	struct rtt r;
	struct rtt_summary s;
	enum rtt_kind k;
	uint64_t ns;
	uint32_t i;
	int re;

	(void)state;
	rtt_init(&r);
	for (i = 0; i < n; i++)
		assert_int_equal(rtt_sent(&r, (uint64_t)i * 1000), 0);
	for (i = n; i-- > 0;)
		if (i % 2 == 1) {
			assert_int_equal(rtt_reply(&r, i, (uint64_t)i * 1000 +
			    i % 7, &k, &ns, &re), 0);
			assert_int_equal(k, RTT_FIRST);
			assert_int_equal(re, i != n - 2);
		}
	for (i = 0; i < n; i++) {
		assert_int_equal(rtt_reply(&r, i, (uint64_t)i * 1000 + 5, &k,
		    &ns, &re), 0);
		assert_int_equal(k, i % 2 == 1 ? RTT_DUP : RTT_FIRST);
	}
	rtt_summarize(&r, &s);
	assert_int_equal(s.sent, n);
	assert_int_equal(s.received, n);
	assert_int_equal(s.duplicates, n / 2);
	/* Reversed odd ones but the first; the even ones below n - 2. */
	assert_int_equal(s.reordered, n / 2 - 1 + (n - 1) / 2);
	check_near("growth", "max", s.max_ms, 6e-6);
	check_near("growth", "p50", s.p50_ms, 5e-6);
	rtt_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_nearest_rank),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_loss_over),
		cmocka_unit_test(test_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
