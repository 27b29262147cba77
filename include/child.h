/* child.h: listen --exec: the commands running, their replies. */
#ifndef CHILD_H
#define CHILD_H

#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#include "endpoint.h"
#include "frame.h"
#include "output.h"
#include "receive.h"
#include "run.h"
#include "cmdline.h"

#define JOBS_MAX	256	/* --jobs at most: two descriptors each */
#define JOBS_WARN_MAX	10	/* failure warnings before going quiet */

struct job;

/* The commands running, at most max of them. */
struct jobs {
	struct job	*v;
	unsigned	 max;
	unsigned	 running;
	unsigned	 room;		/* max - running: for the receiver */
	const char	*cmd;
	struct cmdline	 cl;		/* how it is run */
	uint64_t	 timeout_ns;	/* --exec-timeout */
	struct in_frame	 rf;		/* --reply-framing */
	struct endp	*ep;		/* replies go out through it */
	int		 map[JOBS_MAX * 2];	/* pollfd k: job k/2's fd */
	int		 nmap;
	uint64_t	 started;
	uint64_t	 failed;	/* exited non-zero or killed */
	uint64_t	 too_big;	/* replies too large to send */
	uint64_t	 replies;
	uint64_t	 self;		/* from the socket's own address */
	unsigned	 warned;
	struct recv_hook hook;		/* for the receiver: jobs_fill/ready */
};

/*
 * Prepares to run cmd (through /bin/sh -c unless it has no shell syntax
 * at all, when its words are run directly, as make does) for each
 * datagram, max at once.  Returns 0, or an exit status after a message.
 */
int	jobs_init(struct jobs *j, const char *cmd, unsigned max,
	    uint64_t timeout_ns, struct in_frame rf, struct endp *ep);

/*
 * Starts the command for datagram d: its payload on the command's
 * standard input, its sender in the environment.  A failure to start is
 * a warning and a count.  Call only while j->room > 0.
 */
void	jobs_start(struct jobs *j, const struct dgram *d);

/* The receiver's hook: the pipes of the commands and their timeouts. */
int	jobs_fill(void *arg, struct pollfd *fds, int max, uint64_t *deadline);
enum run_end jobs_ready(void *arg, const struct pollfd *fds, int n);

/*
 * Waits for the commands still running (each up to its timeout; a second
 * signal kills them at once) and sends their replies.
 */
void	jobs_finish(struct jobs *j);

void	jobs_free(struct jobs *j);

#endif
