/* talk.h: listen --talk: standard input to the latest sender. */
#ifndef TALK_H
#define TALK_H

#include <poll.h>
#include <stdint.h>

#include "output.h"
#include "receive.h"
#include "stats.h"
#include "transmit.h"

/* Standard input's records, sent to whoever sent last. */
struct talker {
	struct sender	 tx;
	struct stats	 st;		/* what went out */
	struct recv_hook hook;		/* for the receiver */
	int		 peer;		/* a datagram came: tx.dst[0] is set */
	int		 done;		/* standard input ended */
	enum run_end	 end;		/* how tx_pump() ended a run */
};

/*
 * Prepares t to send the records of standard input (framed and decoded
 * by c) through ep.  Returns 0, or an exit status after a message.
 */
int	talk_init(struct talker *t, struct endp *ep, const struct tx_conf *c);

/* The sender of d is the one to talk to from now on. */
void	talk_peer(struct talker *t, const struct dgram *d);

void	talk_free(struct talker *t);

#endif
