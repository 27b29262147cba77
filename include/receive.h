/* receive.h: the receiver: datagrams from a socket to the command, batched. */
#ifndef RECEIVE_H
#define RECEIVE_H

#include <poll.h>
#include <stdint.h>

#include "endpoint.h"
#include "output.h"
#include "printer.h"
#include "proc.h"
#include "run.h"
#include "sock.h"
#include "stats.h"

/*
 * Called for each datagram received (each segment of a GRO buffer);
 * returns RUN_MORE to go on, or how the run ends (RUN_DONE when the
 * command has what it wanted).  d->data is valid until the printer's
 * flush after the batch.
 */
typedef enum run_end (*recv_fn)(void *arg, const struct dgram *d);

/*
 * Offered a GRO buffer whole (d: all of it, seg: the size of each of its
 * datagrams but the last) before it is split: returns -1 to have it
 * split and handed to recv_fn one by one, else how the run goes on.
 */
typedef int (*recv_whole_fn)(void *arg, const struct dgram *d, size_t seg);

/*
 * Something else the receiver's wait watches while it waits for
 * datagrams: the descriptors of another part (children's pipes, standard
 * input) and the time it next wants to be woken.  fill() writes at most
 * max pollfds, returns how many, and sets *deadline (a now_ns() time, 0
 * for none); ready() gets them back after each wait, with their revents,
 * and returns RUN_MORE or how the run ends.
 */
struct recv_hook {
	int		(*fill)(void *arg, struct pollfd *fds, int max,
			    uint64_t *deadline);
	enum run_end	(*ready)(void *arg, const struct pollfd *fds, int n);
	void		*arg;
};

#define RECV_HOOK_FDS	1024	/* pollfds a hook may ask for */

struct receiver {
	struct endp	*ep;
	struct rxbatch	 rx;
	unsigned	 want;		/* datagrams to ask for next */
	unsigned	 lone;		/* reads in a row that found one */
	unsigned	 blind;		/* waiting reads that asked for one */
	recv_fn		 fn;
	recv_whole_fn	 whole;		/* or NULL: always split */
	void		*arg;
	struct printer	*pr;		/* flushed after each batch, or NULL */
	struct stats	*st;
	const uint64_t	*counted;	/* with limit: how many fn counted */
	uint64_t	 limit;		/* ask for no more than limit - *counted */
	int		 stop_refused;	/* ICMP port unreachable ends a wait */
	const unsigned	*room;		/* datagrams the command can take now,
					   or NULL for any number */
	struct recv_hook *hook;		/* watched too, or NULL */
	unsigned	 got;		/* buffers read by the last wait */
	int		 stamp;		/* datagrams carry their time (the
					   kernel's, else when read) */
	int		 hold;		/* a read after traffic may wait */
	struct held	 held;		/* ... thus */
};

/*
 * Prepares r to read from ep into buffers of size bytes each (longer
 * datagrams are cut, and reported by the printer); want_from asks the
 * kernel for the senders' addresses.  Returns 0, or -1 with errno.
 */
int	recv_init(struct receiver *r, struct endp *ep, size_t size,
	    int want_from, recv_fn fn, void *arg);

/*
 * Reads and hands on every datagram waiting, without blocking.  It stops
 * at a signal, except with final, which reads (in a bounded number of
 * batches) what had arrived before the signal came.
 */
enum run_end recv_drain(struct receiver *r, int final);

/*
 * Waits up to ns nanoseconds (< 0: no limit) for datagrams, and for fd
 * (>= 0) to be readable, whose revents go to *revents; then drains.  A
 * signal ends the wait (RUN_SIGNAL); a pipe on standard output whose
 * reader went away ends it with RUN_EPIPE.  The hook, if any, is watched
 * too, and its deadline shortens the wait.
 */
enum run_end recv_wait(struct receiver *r, int64_t ns, int fd, short *revents);

/*
 * Receives until the callback ends the run, a signal comes (RUN_SIGNAL),
 * a refusal when stop_refused (RUN_REFUSED), or, with idle_set, idle_ms
 * pass without a datagram (RUN_IDLE).  With progress it wakes ten times
 * a second to redraw the counters.
 */
enum run_end recv_loop(struct receiver *r, uint64_t idle_ms, int idle_set,
	    int progress);

void	recv_free(struct receiver *r);

#endif
