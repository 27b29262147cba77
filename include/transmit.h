/* transmit.h: the sender: records to datagrams, batched, paced, repeated. */
#ifndef TRANSMIT_H
#define TRANSMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "endpoint.h"
#include "enc.h"
#include "frame.h"
#include "receive.h"
#include "run.h"
#include "source.h"
#include "sock.h"
#include "stats.h"

#define TX_MAX_DST	64	/* destinations of one sender */

/*
 * Raw records are sent from where they lie in the input, with no slot:
 * eight times as many go in a batch, so that one sendmmsg() carries eight
 * GSO sends of SOCK_GSO_SEGS, as the kernel allows.
 */
#define TX_RAW_BATCH	(8 * SOCK_BATCH)

/* What to send and how: from the command's options. */
struct tx_conf {
	enum encoding	 enc;
	struct in_frame	 inf;		/* framing of standard input */
	char		**data;		/* DATA operands; none: stdin */
	int		 ndata;
	int		 hold;		/* keep stdin to send it again */
	uint64_t	 rate;		/* datagrams a second; 0: unpaced */
	uint64_t	 interval_ms;	/* pause between datagrams */
	int		 df;		/* --df: EMSGSIZE names the path MTU */
	double		 speed;		/* --speed: replay the records' times */
};

/* A batch of datagrams ready to send. */
struct batch {
	struct iovec	 iov[TX_RAW_BATCH];
	unsigned	 max;		/* TX_RAW_BATCH raw, else SOCK_BATCH */
	unsigned char	*slots;		/* SOCK_BATCH decoded datagrams */
	unsigned char	*big;		/* for records that decode long */
	size_t		 big_size;
	unsigned	 n;
};

/* The pacing of --interval and --rate. */
struct pacer {
	uint64_t	t0;		/* the schedule's start */
	uint64_t	sent;		/* datagrams sent since t0 */
	uint64_t	next;		/* no datagram before this time */
	int		replaying;	/* --speed: the first record went */
	uint64_t	start;		/* ... at this time */
	uint64_t	first;		/* ... and was stamped this */
};

struct sender {
	struct endp		*ep;
	struct endpoint		 dst[TX_MAX_DST];	/* when not connected */
	int			 ndst;
	struct tx_conf		 c;
	struct receiver		*replies;	/* drained meanwhile, or NULL */
	struct stats		*st;
	struct source		 src;
	struct batch		 b;
	struct pacer		 pacer;
	int			 gso;		/* try UDP GSO sends */
	unsigned		 unchecked;	/* short batches since a look */
};

/*
 * Prepares s to send the records of c through ep (to s->dst, which the
 * caller fills, when ep is not connected).  Returns 0, or an exit status
 * after a message.
 */
int	tx_init(struct sender *s, struct endp *ep, const struct tx_conf *c,
	    struct stats *st);

/*
 * Sends every record repeat times (0: until a signal); an input with no
 * record ends at once.  Replies are drained meanwhile.  Returns RUN_DONE,
 * or how it ended: RUN_SIGNAL, RUN_EINPUT, RUN_ERROR, RUN_EPIPE.
 */
enum run_end tx_run(struct sender *s, uint64_t repeat);

/*
 * Reads standard input once (call it when a wait said it can be read)
 * and sends every whole record that came.  Returns RUN_MORE for more to
 * come, RUN_DONE at its end, or how the run ended.
 */
enum run_end tx_pump(struct sender *s);

/* -v: how many packets of a capture were skipped, and why. */
void	tx_note_skipped(const struct sender *s);

/* Makes the next tx_run() send the same records again. */
void	tx_rewind(struct sender *s);

void	tx_free(struct sender *s);

#endif
