/* relay_tap.h: the relay's --tap and --json records, each with its fate. */
#ifndef RELAY_TAP_H
#define RELAY_TAP_H

#include <sys/socket.h>

#include "output.h"
#include "printer.h"
#include "relay_opts.h"

struct tap {
	struct printer	 pr;
	int		 on;		/* --tap or --json */
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
 * at sa, with its fates (IMP_*; 0: not impaired; -1: dropped).
 */
void	tap_show(struct tap *t, const struct dgram *d, int dir,
	    const struct sockaddr *sa, socklen_t salen, int fates);

void	tap_free(struct tap *t);

#endif
