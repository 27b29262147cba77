/* printer.h: received datagrams written out as records on standard output. */
#ifndef PRINTER_H
#define PRINTER_H

#include <stddef.h>
#include <stdint.h>

#include "enc.h"
#include "frame.h"
#include "output.h"
#include "run.h"

struct printer {
	struct out_fmt	 fmt;
	struct obuf	 out;
	int		 fd;		/* standard output, or our own view */
	int		 opened;	/* fd was chosen */
	int		 own_fd;	/* fd was opened here: close it */
	int		 watch_pipe;	/* stdout is a pipe: poll it */
	int		 discard;	/* stdout is /dev/null: skip writes */
	int		 direct;	/* raw output: no copy of large payloads */
	int		 err;		/* errno of a failed write, or 0 */
	int		 err_said;	/* ... and it was reported */
	int		 stalled;	/* gave up on a stuck reader */
	int64_t		 patience_ns;	/* < 0: wait for the reader for ever */
	uint64_t	 truncated_warned;
	uint64_t	 queued;	/* bytes queued since the last flush */
	uint64_t	*ends;		/* where each of those records ends */
	size_t		 nends;
	size_t		 ends_cap;
	uint64_t	 lost;		/* records not written */
};

/*
 * Chooses the output encoding (enc_set: given by -e) and checks the
 * combinations of -e, -F, --json and -P, exiting with a usage error;
 * then allocates.  Returns 0, or an exit status after a message.
 */
int	printer_init(struct printer *p, enum encoding enc, int enc_set,
	    enum out_framing framing, int json, int show_peer);

/*
 * Formats one datagram into the output, warning when it was truncated.
 * The payload must stay in place until printer_flush(): a large raw one
 * is written from where it lies.  A failure is kept for the flush.
 */
void	printer_put(struct printer *p, const struct dgram *d);

/*
 * Formats a GRO buffer whole (d: all of it, seg: the size of each of its
 * datagrams but the last), as printer_put() of each would; -1 when this
 * output cannot, and the caller hands them on one by one.
 */
int	printer_put_segments(struct printer *p, const struct dgram *d,
	    size_t seg);

/*
 * Queues len bytes of text of the command's own (a line of ping) as one
 * record, copied; a failure is kept for the flush, as printer_put()'s.
 */
void	printer_text(struct printer *p, const char *s, size_t len);

/*
 * Writes everything queued, waiting for standard output to take it,
 * with signals let in; after a signal it waits only while the reader
 * keeps taking bytes, and counts what it could not write.  Returns
 * RUN_MORE, RUN_EPIPE (the reader has gone: quietly) or RUN_ERROR (after
 * a message).
 */
enum run_end printer_flush(struct printer *p);

/* RUN_EPIPE when the pollfd of a watched pipe shows it broken. */
enum run_end printer_check_pipe(const struct printer *p, short revents);

/* Says how many records could not be written, if any. */
void	printer_report(const struct printer *p);

void	printer_free(struct printer *p);

#endif
