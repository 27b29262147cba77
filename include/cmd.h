/* cmd.h: the tool layer shared by the commands: messages, options, output. */
#ifndef CMD_H
#define CMD_H

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "enc.h"
#include "frame.h"
#include "opt.h"
#include "output.h"
#include "sock.h"

/* The command being run, for "udpcat: COMMAND: ..." messages. */
extern const char *cmd_name;

/* The number of the first SIGINT or SIGTERM received, or 0. */
extern volatile sig_atomic_t cmd_signal;

void	die(int status, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	die_usage(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Registers fn(arg) to run when the command ends, whether it returns
 * through cleanup_run() or exits from anywhere, so that every path frees
 * what it holds.  arg must outlive the command (static storage).
 */
void	cleanup_push(void (*fn)(void *), void *arg);

/* Runs the registered cleanups now, newest first. */
void	cleanup_run(void);

/*
 * Holds the places of standard input, output and error that were closed
 * at start with /dev/null, so that no socket takes their numbers; returns
 * -1 if that fails.  stdio_closed() then tells whether fd was closed.
 */
int	stdio_reserve(void);
int	stdio_closed(int fd);

/*
 * Handlers for SIGINT and SIGTERM that only set cmd_signal, the two held
 * back but in wait_fds(); SIGPIPE ignored.
 */
void	signals_install(void);

/*
 * ppoll() for at most ns nanoseconds (< 0: no limit), the one place where
 * SIGINT and SIGTERM get in: returns -1 with EINTR for them.
 */
int	wait_fds(struct pollfd *fds, nfds_t n, int64_t ns);

/*
 * Lets in a SIGINT or SIGTERM that is pending, for loops that are kept
 * busy and do not wait; returns cmd_signal.  One system call.
 */
int	signal_check(void);

/*
 * Waits 1 ms for the kernel to free buffer space (ENOBUFS, EAGAIN) and
 * counts the wait in *waits; returns -1 once 10 s of such waits went by
 * in a row, which the caller reports, else 0.
 */
int	shortage_wait(unsigned *waits);

/*
 * Resolves a HOST operand or option value, exiting with status 2 when its
 * syntax is wrong or its family is not the one asked for, and 1 when the
 * name does not resolve.
 */
void	resolve(const char *what, const char *host, uint16_t port, int family,
	    int passive, struct endpoint *ep);

/* The monotonic clock in nanoseconds, microseconds and milliseconds. */
uint64_t now_ns(void);
uint64_t now_us(void);
uint64_t now_ms(void);

/* What was counted, for --stats and --progress. */
struct stats {
	uint64_t	dgrams;
	uint64_t	bytes;
	uint64_t	truncated;
	uint64_t	filtered;
	uint64_t	replies;
	int		drops_fd;	/* listen's socket, for its drops */
	int		drops_floor;	/* GRO: a drop may be several */
	uint64_t	start_us;
	uint64_t	last_draw_ms;
	int		enabled;	/* --stats: a summary at exit */
	int		progress;	/* --progress: draw live counters */
	struct peerset	*peers;		/* distinct senders, or NULL */
};

/* Starts the clock; enabled is --stats (which also counts senders). */
void	stats_init(struct stats *st, int enabled, int progress);
void	stats_peer(struct stats *st, const struct sockaddr *sa);
void	stats_progress(struct stats *st, int force);
void	stats_print(struct stats *st, int sending);
void	stats_free(struct stats *st);

/*
 * The datagram in receive buffer i: its bytes, real size, sender, and the
 * kernel's arrival time when it gave one, else now.
 */
void	rx_dgram(const struct rxbatch *rx, unsigned i,
	    const struct timespec *now, struct dgram *d);

/* Received datagrams written to standard output, as listen writes them. */
struct printer {
	struct out_fmt	 fmt;
	struct obuf	 out;
	int		 watch_pipe;	/* stdout is a pipe: poll it */
	int		 discard;	/* stdout is /dev/null: skip writes */
	int		 direct;	/* raw output: no copy of large payloads */
	uint64_t	 truncated_warned;
};

/*
 * Chooses the output encoding (enc_set: given by -e) and checks the
 * combinations of -e, -F, --json and -P; exits with a usage error.
 */
void	printer_init(struct printer *p, enum encoding enc, int enc_set,
	    enum out_framing framing, int json, int show_peer);

/*
 * Formats one datagram into the output, warning when it was truncated.
 * The payload must stay in place until printer_flush(): a large raw one
 * is written from where it lies.
 */
void	printer_put(struct printer *p, const struct dgram *d);

/* Writes the buffer out; exits 141 when the reader has gone, 1 on error. */
void	printer_flush(struct printer *p);

/* Exits 141 quietly when the pollfd of a watched pipe shows POLLERR. */
void	printer_check_pipe(struct printer *p, short revents);

void	printer_free(struct printer *p);

/* Flushes, prints what --stats asks for and exits 128+N after signal N. */
void	exit_on_signal(struct printer *p, struct stats *st, int sending)
	    __attribute__((noreturn));

#endif
