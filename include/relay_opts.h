/* relay_opts.h: the options and operands of "udpcat relay". */
#ifndef RELAY_OPTS_H
#define RELAY_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "enc.h"
#include "frame.h"
#include "impair.h"

#define MAX_TEE		16	/* --tee addresses */
#define UP		0	/* client to service */
#define DOWN		1	/* service to client */

struct relay_opts {
	int		 family;
	enum encoding	 enc;
	int		 enc_set;
	enum out_framing framing;
	int		 framing_set;
	int		 json;
	int		 tap;
	uint64_t	 count;		/* 0: no limit */
	uint64_t	 timeout_ms;
	int		 timeout_set;
	uint64_t	 idle_ms;
	size_t		 max_clients;
	struct impair_conf imp[2];	/* UP, DOWN */
	uint64_t	 seed;
	int		 seed_set;
	const char	*tee[MAX_TEE];
	int		 ntee;
	int		 reuse;
	int		 df;		/* --df */
	size_t		 buffer;	/* 0: as large as allowed */
	const char	*port_file;
	int		 stats;
	int		 progress;
	int		 verbose;
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
