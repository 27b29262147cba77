/* rtt.h: the round trips of udpcat ping, counted and summed up; no I/O. */
#ifndef RTT_H
#define RTT_H

#include <stddef.h>
#include <stdint.h>

/*
 * The bookkeeping of one run.  Exact percentiles need every round trip,
 * so it keeps 8 bytes per probe sent (its send time), 8 per probe
 * answered (its round trip) and one bit per probe (answered yet): about
 * 16 bytes a probe, 16 MB for a million.
 */
struct rtt {
	uint64_t	 sent;
	uint64_t	 received;	/* probes answered, each once */
	uint64_t	 duplicates;	/* further replies to one probe */
	uint64_t	 reordered;	/* first replies below the highest */
	uint64_t	*sent_ns;	/* send time of each probe, by seq */
	size_t		 sent_cap;
	unsigned char	*answered;	/* a bit per probe */
	size_t		 answered_cap;	/* bytes */
	uint64_t	*rtt_ns;	/* round trips of the first replies */
	size_t		 rtt_cap;
	uint64_t	 highest;	/* highest seq answered, if received */
	uint64_t	 min_ns;
	uint64_t	 max_ns;
	double		 mean_ns;	/* running mean and sum of squares */
	double		 m2;		/* of the deviations (Welford) */
	int		 sorted;	/* rtt_ns is sorted (order not kept) */
};

/* What a reply was. */
enum rtt_kind {
	RTT_FIRST,	/* the first reply to a probe sent */
	RTT_DUP,	/* another reply to a probe already answered */
	RTT_UNSENT	/* a sequence number never sent: not a reply */
};

/* The figures of a run; times in milliseconds. */
struct rtt_summary {
	uint64_t	sent;
	uint64_t	received;
	uint64_t	duplicates;
	uint64_t	reordered;
	double		loss_percent;	/* 0 when nothing was sent */
	int		have_rtt;	/* something was answered */
	double		min_ms;
	double		avg_ms;
	double		max_ms;
	double		mdev_ms;	/* as ping(8): sqrt(E[x^2] - E[x]^2) */
	double		p50_ms;		/* nearest rank */
	double		p99_ms;
};

void	rtt_init(struct rtt *r);

/*
 * Records the next probe (sequence number r->sent) as sent at t_ns.
 * Returns 0, or -1 with errno ENOMEM.
 */
int	rtt_sent(struct rtt *r, uint64_t t_ns);

/*
 * Records a reply to probe seq that arrived at t_ns (the clock of
 * rtt_sent()).  For RTT_FIRST and RTT_DUP, *rtt_ns is its round trip
 * (0 when the clock went back) and *reordered tells whether it came
 * after a reply to a later probe (RFC 4737; counted for first replies
 * only).  Returns 0, or -1 with errno ENOMEM; the kind through *kind.
 */
int	rtt_reply(struct rtt *r, uint32_t seq, uint64_t t_ns,
	    enum rtt_kind *kind, uint64_t *rtt_ns, int *reordered);

/* The value of nearest rank pct (1..100) of n > 0 sorted values. */
uint64_t rtt_nearest_rank(const uint64_t *sorted, size_t n, unsigned pct);

/* Sums up the run (sorting the round trips kept). */
void	rtt_summarize(struct rtt *r, struct rtt_summary *s);

/*
 * True when more than limit millionths of a percent of the probes sent
 * were lost (limit 100000000 is 100%), computed exactly.
 */
int	rtt_loss_over(const struct rtt *r, uint64_t limit);

void	rtt_free(struct rtt *r);

#endif
