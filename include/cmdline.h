/* cmdline.h: one command run for a datagram: words, environment, pipes. */
#ifndef CMDLINE_H
#define CMDLINE_H

#include <sys/types.h>

#include "output.h"
#include "sock.h"

/* A command as it is run: through /bin/sh -c, or its words directly. */
struct cmdline {
	const char	*cmd;
	char		**argv;		/* CMD's words, run with no shell */
	char		*words;		/* the storage of argv */
	char		*path;		/* argv[0] found in $PATH, or NULL */
	const char	*shell[4];	/* or sh -c CMD */
	int		 use_shell;
};

/*
 * Prepares to run cmd: through /bin/sh -c, unless it has no shell syntax
 * and does not start with a shell keyword or built-in, when its words
 * are run directly, as make does.  Returns 0, or -1 when memory runs out.
 */
int	cmdline_init(struct cmdline *c, const char *cmd);

/*
 * Starts c for datagram d (which came to local, unless d says where):
 * the UDPCAT_* variables in its environment, a pipe on its standard
 * input (*in, ours, non-blocking) and one on its standard output (*out),
 * every signal at its default and none blocked, no other descriptor of
 * ours.  Returns 0, or an errno value.
 */
int	cmdline_spawn(const struct cmdline *c, const struct dgram *d,
	    const struct endpoint *local, pid_t *pid, int *in, int *out);

void	cmdline_free(struct cmdline *c);

#endif
