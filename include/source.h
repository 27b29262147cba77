/* source.h: where records come from: DATA operands, standard input, a replay. */
#ifndef SOURCE_H
#define SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "run.h"

struct tx_conf;

#define SRC_FAILED	(-100)		/* source_next(): reported already */
#define SRC_SIGNAL	(-101)		/* source_next(): a signal came */

/* Where records come from: DATA operands, standard input, or a replay. */
struct source {
	char			**argv;
	int			 argc;
	int			 next;
	int			 use_stdin;
	struct frame_reader	 fr;
	int			 holding;	/* keep stdin for a replay */
	int			 replay;
	unsigned char		*held;		/* [length][time][bytes]... */
	size_t			 held_len;
	size_t			 held_cap;
	size_t			 held_pos;
	unsigned long long	 recno;		/* of this pass, from 1 */
	enum run_end		 failed;	/* why holding failed */
	uint64_t		 rec_ns;	/* the record's time: pcap */
	char			*unesc;		/* IN_JSON: data unescaped */
};

/*
 * Opens standard input or the operands of c as the source of records,
 * datagrams at most max bytes (over kind, for messages).  Returns 0, or an
 * exit status after a message.
 */
int	source_init(struct source *s, const struct tx_conf *c, size_t max,
	    const char *kind);

/*
 * The next record as FRAME_RECORD, FRAME_END, FRAME_AGAIN (only when
 * may_read is not FRAME_READ) or a failure: one of the reader's, or
 * SRC_FAILED after a message, or SRC_SIGNAL.
 */
int	source_next(struct source *s, int may_read, const unsigned char **rec,
	    size_t *len);

/*
 * Whole lines (or NUL-ended records) of standard input already buffered,
 * up to max, through iov: source_next()'s fast way for a source that holds
 * nothing for a replay.  Returns how many; 0 leaves it to source_next().
 */
unsigned source_lines(struct source *s, struct iovec *iov, unsigned max);

/* Reports a failure of source_next(): RUN_EINPUT, RUN_ERROR or RUN_SIGNAL. */
enum run_end source_failed(const struct source *s, int r);

/* Makes the next pass read the same records again. */
void	source_rewind(struct source *s);
void	source_free(struct source *s);

#endif
