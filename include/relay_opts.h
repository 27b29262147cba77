/* relay_opts.h: the options and operands of "udpcat relay". */
#ifndef RELAY_OPTS_H
#define RELAY_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "enc.h"
#include "frame.h"
#include "impair.h"
#include "opt.h"

#define MAX_TEE		16	/* --tee addresses */
#define UP		0	/* client to service */
#define DOWN		1	/* service to client */

struct relay_opts {
	struct common_opts c;		/* -4 -6 -e --json -n -w --df --reuse
					   --buffer --port-file --stats
					   --progress -v */
	enum out_framing framing;
	int		 framing_set;
	int		 tap;
	uint64_t	 idle_ms;
	size_t		 max_clients;
	struct impair_conf imp[2];	/* UP, DOWN */
	uint64_t	 seed;
	int		 seed_set;
	const char	*tee[MAX_TEE];
	int		 ntee;
	const char	*address;	/* or unix:PATH */
	int		 listen_unix;
	uint16_t	 lport;
	const char	*host;
	uint16_t	 port;
};

/*
 * Reads the options and operands of argv into o, exiting with a usage
 * error when they are wrong; the defaults are set first, and without
 * --seed a seed is drawn from the system.
 */
void	relay_opts_parse(struct relay_opts *o, int argc, char **argv);

#endif
