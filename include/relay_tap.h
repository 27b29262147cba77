/* relay_tap.h: the relay's --tap and --json records, each with its fate. */
#ifndef RELAY_TAP_H
#define RELAY_TAP_H

#include <stdint.h>
#include <sys/socket.h>

#include "output.h"
#include "printer.h"
#include "relay_opts.h"

#define TAP_BUCKETS	1024	/* of the records waiting for their fate */

struct tap_rec;

struct tap {
	struct printer	 pr;
	int		 on;		/* --tap or --json */
	struct tap_rec	**held;		/* TAP_BUCKETS chains, by id */
	struct tap_rec	*done;		/* written; freed after the flush */
};

/* A tap that writes nothing yet: tap_free() may be called on it. */
void	tap_clear(struct tap *t);

/*
 * Sets up the printer for --tap or --json, when o asks for one.
 * Returns 0, or an exit status after a message.
 */
int	tap_init(struct tap *t, const struct relay_opts *o);

/*
 * Writes a datagram out as it arrived, in direction dir for the client
 * at sa, with its fates (IMP_*; 0: not impaired; -1: dropped).  While
 * open copies of it (its number id in dir's stage) may still be dropped
 * from the rate's queue, the record waits, a copy of it, for
 * tap_settle(): its fate is told once, when known.
 */
void	tap_show(struct tap *t, const struct dgram *d, int dir,
	    const struct sockaddr *sa, socklen_t salen, int fates,
	    uint64_t id, unsigned open);

/*
 * A copy of datagram id in direction dir has left the stage: sent on
 * (passed), or dropped.  When it was the last, its record is written:
 * "dropped" when no copy passed.  Ids without a record are ignored.
 */
void	tap_settle(struct tap *t, int dir, uint64_t id, int passed);

/*
 * Writes the records queued (printer_flush()'s status), then frees those
 * that waited; at exit (final), writes first those still waiting, as
 * dropped unless a copy passed.
 */
enum run_end tap_flush(struct tap *t, int final);

void	tap_free(struct tap *t);

#endif
