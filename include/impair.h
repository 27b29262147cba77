/* impair.h: a pure impairment stage: seeded fates and one timer queue. */
#ifndef IMPAIR_H
#define IMPAIR_H

#include <stddef.h>
#include <stdint.h>

/* xoshiro256**, seeded through splitmix64: small, fast, reproducible. */
struct rng {
	uint64_t	s[4];
};

void	 rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);

/* A uniform double in [0, 1), from the top 53 bits. */
double	 rng_unit(struct rng *r);

/* What one direction does to its datagrams; all zero: nothing. */
struct impair_conf {
	double		 loss;		/* probabilities, 0 to 1 */
	double		 corrupt;
	double		 duplicate;
	double		 reorder;
	uint64_t	 delay_ns;
	uint64_t	 jitter_ns;
	uint64_t	 rate;		/* datagrams a second; 0: no limit */
	size_t		 queue;		/* most waiting for the rate */
};

/* The fates of one datagram, as impair_in() reports them. */
#define IMP_DROPPED	0x01	/* lost, or beyond the rate's queue */
#define IMP_CORRUPTED	0x02
#define IMP_DUPLICATED	0x04
#define IMP_REORDERED	0x08
#define IMP_DELAYED	0x10
#define IMP_QUEUE_DROP	0x20	/* with IMP_DROPPED: the queue was full */

/* How long a datagram held for reordering waits for the next one. */
#define IMP_REORDER_NS	1000000000ULL

/* A datagram in the stage, released by impair_pop(). */
struct imp_item {
	uint64_t	 key;		/* release time, ns */
	uint64_t	 seq;		/* order among equal keys */
	uint64_t	 tag;		/* the caller's: whose datagram */
	uint64_t	 id;		/* its datagram's number, from 1 */
	int		 rated;		/* in the rate's queue */
	struct imp_item	*next;		/* on the list of late drops */
	size_t		 len;
	unsigned char	 data[];
};

struct impair_stats {
	uint64_t	in;
	uint64_t	out;
	uint64_t	dropped;	/* by --loss */
	uint64_t	queue_drops;	/* beyond --queue */
	uint64_t	corrupted;
	uint64_t	duplicated;
	uint64_t	reordered;
	uint64_t	delayed;
};

struct impair {
	struct impair_conf	 c;
	struct rng		 rng;
	struct imp_item		**heap;		/* by (key, seq) */
	size_t			 n;
	size_t			 cap;
	size_t			 rated;		/* items waiting for the rate */
	uint64_t		 seq;
	uint64_t		 next_slot;	/* the rate's next free time */
	struct imp_item		*held;		/* held back to reorder */
	uint64_t		 held_until;
	struct imp_item		*late;		/* dropped after impair_in() */
	struct imp_item		**late_end;
	uint64_t		 arriving;	/* the id impair_in() takes */
	unsigned		 arrive_drops;	/* ... and its copies dropped */
	unsigned		 last_open;	/* its copies in the stage */
	struct impair_stats	 st;
};

/* True when c asks for anything at all. */
int	impair_active(const struct impair_conf *c);

/* Prepares a stage for c, seeded with seed.  Returns 0. */
int	impair_init(struct impair *im, const struct impair_conf *c,
	    uint64_t seed);

/*
 * Takes one datagram (copied) at time now (ns, any monotonic origin,
 * never going back); tag is handed back with each copy released.
 * Returns its fates (IMP_*), or -1 with errno when memory runs out.
 * The datagram's id is then im->st.in, and im->last_open says how many
 * copies of it wait in the stage.  With a rate, a copy that waits for
 * the delay or for reordering may still be dropped from the rate's
 * queue when it gets there: impair_late() hands it back then.
 */
int	impair_in(struct impair *im, uint64_t now, const void *data,
	    size_t len, uint64_t tag);

/*
 * The next datagram due at now, or NULL.  The caller owns it and frees
 * it with free().
 */
struct imp_item *impair_pop(struct impair *im, uint64_t now);

/*
 * The next copy dropped from the rate's queue after the call that took
 * its datagram in (by impair_in() or impair_pop()), or NULL.  Its fate
 * was not known when impair_in() returned.  The caller frees it.
 */
struct imp_item *impair_late(struct impair *im);

/* When the next datagram falls due: UINT64_MAX when none waits. */
uint64_t impair_next(const struct impair *im);

/* How many datagrams the stage holds. */
size_t	impair_held(const struct impair *im);

void	impair_free(struct impair *im);

#endif
