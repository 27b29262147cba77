/* stats.h: what the commands count, for --stats, --progress and -v. */
#ifndef STATS_H
#define STATS_H

#include <stdint.h>
#include <sys/socket.h>

struct peerset;

struct stats {
	uint64_t	dgrams;
	uint64_t	bytes;
	uint64_t	truncated;
	uint64_t	filtered;
	uint64_t	replies;
	int		drops_fd;	/* the receiving socket, for its drops */
	const int	*drops_floor;	/* GRO is on (rx->gro): a drop may be
					   several; or NULL */
	uint64_t	start_us;
	uint64_t	last_draw_ms;
	int		enabled;	/* --stats: a summary at exit */
	int		progress;	/* --progress: draw live counters */
	struct peerset	*peers;		/* distinct senders, or NULL */
};

/*
 * Starts the clock; enabled is --stats (which also counts senders).
 * Returns 0, or -1 with errno when memory runs out.
 */
int	stats_init(struct stats *st, int enabled, int progress);

/* Counts sa among the distinct senders. */
void	stats_peer(struct stats *st, const struct sockaddr *sa);

/* Redraws --progress, at most ten times a second unless forced. */
void	stats_progress(struct stats *st, int force);

/* The --stats summary of a sending (1) or receiving (0) command. */
void	stats_print(struct stats *st, int sending);
void	stats_free(struct stats *st);

#endif
