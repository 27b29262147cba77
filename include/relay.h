/* relay.h: the relay's client table: one upstream socket per client. */
#ifndef RELAY_H
#define RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"
#include "sock.h"

/* A client and the socket that speaks for it to the service. */
struct mapping {
	struct endpoint	 client;
	struct endp	 up;		/* connected to the service */
	uint64_t	 last_ns;	/* last datagram either way */
	uint32_t	 gen;		/* bumped at each reuse of the slot */
	int		 used;
	struct mapping	*hnext;		/* hash chain */
	struct mapping	*older;		/* LRU list, oldest first */
	struct mapping	*newer;
	uint64_t	 drops;		/* the socket's kernel drops at open */
};

struct relay_table {
	struct mapping	 *slots;	/* max of them */
	struct mapping	**buckets;
	size_t		  nbuckets;	/* a power of two */
	struct mapping	 *free;		/* unused slots, through hnext */
	struct mapping	 *oldest;
	struct mapping	 *newest;
	size_t		  n;
	size_t		  max;
	size_t		  rcvbuf;	/* each upstream socket's; 0: default */
	int		  df;		/* --df on each upstream socket */
	uint64_t	  opened;
	uint64_t	  closed_idle;
	uint64_t	  closed_full;
	uint64_t	  kernel_drops;	/* of the sockets closed */
};

/* Allocates a table of at most max mappings; 0, or -1 with errno. */
int	relay_init(struct relay_table *t, size_t max);

/* The mapping of client sa, or NULL. */
struct mapping *relay_find(struct relay_table *t, const struct sockaddr *sa,
	    socklen_t len);

/*
 * Opens a mapping for client sa with a socket connected to dst (ICMP
 * errors on, GRO when rx allows it), at time now.  When the table is
 * full, the mapping idle longest is closed first, and counted.  Returns
 * the mapping, or NULL with errno.
 */
struct mapping *relay_open(struct relay_table *t, const struct sockaddr *sa,
	    socklen_t len, const struct endpoint *dst, uint64_t now,
	    struct rxbatch *rx);

/* Marks m active at now: it becomes the newest. */
void	relay_touch(struct relay_table *t, struct mapping *m, uint64_t now);

/* The mapping idle longest, or NULL. */
struct mapping *relay_oldest(const struct relay_table *t);

/* Closes m; idle says why (counted as idle, or to make room). */
void	relay_close(struct relay_table *t, struct mapping *m, int idle);

/* A tag that names m while it lives; relay_by_tag() finds it again. */
uint64_t relay_tag(const struct relay_table *t, const struct mapping *m);
struct mapping *relay_by_tag(struct relay_table *t, uint64_t tag);

/* The kernel drops of every upstream socket, open and closed. */
uint64_t relay_drops(const struct relay_table *t);

void	relay_free(struct relay_table *t);

#endif
