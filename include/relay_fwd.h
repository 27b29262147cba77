/* relay_fwd.h: the relay's forwarding stage: impairment, tees, send queue. */
#ifndef RELAY_FWD_H
#define RELAY_FWD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "endpoint.h"
#include "impair.h"
#include "relay.h"
#include "relay_opts.h"

#define TEE		2		/* the copies to the --tee addresses */
#define FWD_QLEN	1024		/* datagrams the queue holds (16 batches) */
#define FWD_QBYTES	(1 << 20)	/* ... and their bytes */

/* What happened in one direction (UP, DOWN, TEE), for --stats. */
struct fwd_count {
	uint64_t	received;
	uint64_t	bytes;
	uint64_t	forwarded;
	uint64_t	not_sent;	/* send errors, no mapping, gone */
};

/* The datagrams waiting to go out, sent together by one flush. */
struct txq {
	int			 fd[FWD_QLEN];
	const struct endpoint	*dst[FWD_QLEN];
	struct mapping		*m[FWD_QLEN];
	int			 dir[FWD_QLEN];
	struct iovec		 iov[FWD_QLEN];
	unsigned		 n;
	unsigned char		*buf;
	size_t			 used;
	int			 gso;
};

/* The stage: both directions' impairments, the tees and the queue. */
struct fwd {
	struct relay_table	*t;		/* the mappings, by tag */
	struct endp		*ep;		/* the clients' side */
	struct endp		*tee;		/* ntee of them */
	int			 ntee;
	int			 df;
	struct impair		 imp[2];	/* UP, DOWN */
	int			 impaired[2];
	struct txq		 q;
	struct fwd_count	 c[3];		/* UP, DOWN, TEE */
	uint64_t		 refused;	/* ICMP port unreachable */
	uint64_t		 tee_replies;
	uint64_t		 send_warned;
	uint64_t		 mtu_warned;
	/* Told when a copy left the stage (passed: sent on), or NULL. */
	void			(*settle)(void *arg, int dir, uint64_t id,
				    int passed);
	void			*settle_arg;
};

/*
 * Prepares the stage for the options o, sending to the mappings of t,
 * to clients through ep, and to the tees (o->ntee of them).  Returns 0,
 * or -1 with errno.
 */
int	fwd_init(struct fwd *f, const struct relay_opts *o,
	    struct relay_table *t, struct endp *ep, struct endp *tee);

/*
 * Takes a datagram that arrived for m in direction dir at time now (ns):
 * into the impairment stage when that direction has one, else onto the
 * queue.  Returns its fates (IMP_*; 0 when not impaired), or -1 when it
 * was dropped because memory ran out (counted as not sent).
 */
int	fwd_in(struct fwd *f, int dir, struct mapping *m, const void *data,
	    size_t len, uint64_t now);

/*
 * Queues a GRO buffer of size bytes from the client of m (UP) or the
 * service (DOWN): datagrams of seg bytes each but the last, which go out
 * joined again as GSO sends, never split or merged otherwise.  Returns
 * 0, or -1 (nothing done) when that direction is impaired or the buffer
 * does not fit the queue: then it must be split.
 */
int	fwd_whole(struct fwd *f, int dir, struct mapping *m, const void *data,
	    size_t size, size_t seg);

/*
 * After fwd_in() gave fates for dir: how many copies of that datagram
 * wait in the stage with their fate still open (a copy that waits for
 * the delay or for reordering may be dropped from the rate's queue when
 * it gets there), and its id in *id; 0 when its fate is known.
 */
unsigned fwd_open(const struct fwd *f, int dir, int fates, uint64_t *id);

/* Queues a copy of a client datagram for each tee. */
void	fwd_tee(struct fwd *f, const void *data, size_t len);

/* Queues the impaired datagrams due at now. */
void	fwd_release(struct fwd *f, uint64_t now);

/*
 * Sends the queue.  A refusal is the client's (or tee's) warning and a
 * count; any other failure loses that datagram alone, counted, and is
 * said once.
 */
void	fwd_flush(struct fwd *f);

/* When the next impaired datagram falls due: UINT64_MAX when none. */
uint64_t fwd_next(const struct fwd *f);

/*
 * Resolves the --tee addresses of o into dst and opens the tees.
 * Returns 0, or an exit status after a message.
 */
int	fwd_dial_tees(struct fwd *f, const struct relay_opts *o,
	    struct endpoint *dst);

/*
 * Says, for --stats, what happened in each direction; kd: the kernel's
 * drops each way, gro: whether GRO was on (a drop may then be several).
 */
void	fwd_report(const struct fwd *f, const uint64_t kd[2],
	    const int gro[2]);

/* Reads and drops what tee i sent back; revents: its poll()'s. */
void	fwd_tee_drain(struct fwd *f, int i, short revents);

void	fwd_free(struct fwd *f);

#endif
