/* run.h: how a part of the engine ends a run, and the exit status of it. */
#ifndef RUN_H
#define RUN_H

/*
 * What the receiver, the sender and the printer return instead of
 * exiting: the command that composed them decides the exit status.
 * Every failure has been reported on standard error already.
 */
enum run_end {
	RUN_MORE,	/* not ended: go on */
	RUN_DONE,	/* what was asked is done: --count, --until, input end */
	RUN_IDLE,	/* the idle time (-w) passed without a datagram */
	RUN_SIGNAL,	/* SIGINT or SIGTERM: cmd_signal says which */
	RUN_REFUSED,	/* the peer's port is closed (ICMP) */
	RUN_EPIPE,	/* standard output's reader has gone */
	RUN_EINPUT,	/* bad input: a record that does not decode or fit */
	RUN_ERROR	/* a system or network failure */
};

#endif
