/* listen_opts.h: the options and operands of "udpcat listen". */
#ifndef LISTEN_OPTS_H
#define LISTEN_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "allow.h"
#include "enc.h"
#include "frame.h"
#include "opt.h"

#define MAX_JOIN	64

struct listen_opts {
	struct common_opts c;		/* -4 -6 -e --json -P -I -n -w --reuse
					   --buffer --port-file --stats
					   --progress -v */
	enum out_framing framing;
	int		 framing_set;
	const char	*until;
	int		 echo;
	const char	*reply;
	const char	*exec;		/* --exec CMD */
	unsigned	 jobs;
	uint64_t	 exec_timeout_ms;
	struct in_frame	 reply_framing;
	int		 exec_set;	/* an option that needs --exec */
	int		 talk;
	struct in_frame	 inf;		/* --talk: standard input's framing */
	int		 inf_set;
	const char	*join[MAX_JOIN];
	int		 njoin;
	unsigned	 ifindex;
	int		 nallow;	/* --allow options */
	struct allow	 allow;
	size_t		 max_size;
	const char	*address;
	uint16_t	 port;
};

/*
 * Parses the options and operands of listen into o, or exits with a
 * usage error; --allow prefixes are only checked.
 */
void	listen_opts_parse(struct listen_opts *o, int argc, char **argv);

/*
 * Builds o's --allow set from the options, read once more now that they
 * are known to be valid.  Returns 0, or an exit status after a message.
 */
int	listen_opts_allow(struct listen_opts *o, int argc, char **argv);

#endif
