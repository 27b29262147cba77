/* proc.h: the process: standard descriptors, signals and the clock. */
#ifndef PROC_H
#define PROC_H

#include <poll.h>
#include <signal.h>
#include <stdint.h>

/* The number of the first SIGINT or SIGTERM received, or 0. */
extern volatile sig_atomic_t cmd_signal;

/* How many SIGINT and SIGTERM were received. */
extern volatile sig_atomic_t cmd_signals;

/* Set when a SIGCHLD came (signals_children()); the reaper clears it. */
extern volatile sig_atomic_t cmd_child;

/*
 * Holds the places of standard input, output and error that were closed
 * at start with /dev/null, so that no socket takes their numbers; returns
 * -1 if that fails.  stdio_closed() then tells whether fd was closed.
 */
int	stdio_reserve(void);
int	stdio_closed(int fd);

/*
 * Handlers for SIGINT and SIGTERM that only count, the two held back but
 * in wait_fds() and after signals_open(); SIGPIPE ignored.
 */
void	signals_install(void);

/*
 * Lets SIGCHLD in the same way, for a command that runs children: its
 * handler only sets cmd_child.  After signals_install().
 */
void	signals_children(void);

/*
 * For a command whose only wait is a read of fd: from now on SIGINT and
 * SIGTERM get in anywhere, so that a blocking read of fd is the wait,
 * one call where ppoll() and a read were two.  One that comes during
 * the read ends it with EINTR; one that comes before it has begun
 * (after the caller's look at cmd_signal) puts a descriptor that cannot
 * be read in fd's place (the handler's pipe() and dup2()), so the read
 * fails at once (if no descriptor is left for that pipe, the read waits
 * for input or its end, as a read would).  Either way the caller sees a
 * failed read with cmd_signal set.  They are held back again by the next
 * wait_fds().  Returns 0, or -1 with errno (then nothing changed).
 */
int	signals_open(int fd);

/*
 * For a read of fd, a duplicate of a socket, that waits with no timeout
 * (which would be a kernel timer armed and cancelled in each wait):
 * SIGINT and SIGTERM get in anywhere, as after signals_open(), and so
 * does SIGALRM (alarm_after()).  Any of them ends the read, or the next
 * one if it has not begun: as for signals_open(), a pipe's write end
 * takes fd's place, and reading it fails at once (ENOTSOCK; if no
 * descriptor is left for the pipe, the read waits for a datagram).
 * SIGALRM's handler restarts what else it interrupts.  With SIGALRM,
 * cmd_signal stays 0: the caller closes fd and reads a new duplicate.
 * Until the next wait_fds() or signals_unhold(), which the caller calls
 * before it closes fd.
 * Returns 0, or -1 with errno (then nothing changed).
 */
int	signals_hold(int fd);
void	signals_unhold(void);

/* SIGALRM after ns nanoseconds, once; 0 disarms.  0, or -1 with errno. */
int	alarm_after(uint64_t ns);

/*
 * A read of a socket that waits with no timeout, after traffic: of a
 * duplicate of it (signals_hold()), which SIGALRM ends between HELD_NS
 * and 2 * HELD_NS after traffic stops (held_fd() sets the alarm again
 * once in HELD_NS, to come 2 * HELD_NS later), and SIGINT and SIGTERM
 * at once.
 */
#define HELD_NS		2000000LL

struct held {
	int		 fd;		/* the duplicate, or -1 */
	int		 armed;		/* an alarm is set */
	uint64_t	 look_at;	/* ... and is set again from then */
};

/* Also sets SIGALRM's handler: from then on, SIGALRM only ends a held read. */
void	held_init(struct held *h);

/* 1 if a wait of ns (< 0: no end) has room for a held read's alarm. */
int	held_fits(int64_t ns);

/*
 * The descriptor for a read of sock that waits, or -1 with errno when
 * there can be none (the caller waits in wait_fds() instead).  The
 * caller looks at cmd_signal after this, and before the read.
 */
int	held_fd(struct held *h, int sock);

/* The read failed with ENOTSOCK: the next held_fd() duplicates anew. */
void	held_lost(struct held *h);

/* No alarm to come, and the duplicate unguarded; held_free() closes it. */
void	held_stop(struct held *h);
void	held_free(struct held *h);

/*
 * ppoll() for at most ns nanoseconds (< 0: no limit), the one place where
 * SIGINT and SIGTERM get in (but for signals_open()): returns -1 with
 * EINTR for them.
 */
int	wait_fds(struct pollfd *fds, nfds_t n, int64_t ns);

/*
 * Lets in a SIGINT or SIGTERM that is pending, for loops that are kept
 * busy and do not wait, and before an exit status is decided; returns
 * cmd_signal.  One system call.
 */
int	signal_check(void);

/*
 * Waits 1 ms for the kernel to free buffer space (ENOBUFS, EAGAIN) and
 * counts the wait in *waits; returns -1 once 10 s of such waits went by
 * in a row, which the caller reports, else 0.  A signal ends the wait
 * early: the caller looks at cmd_signal.
 */
int	shortage_wait(unsigned *waits);

/* The monotonic clock in nanoseconds, microseconds and milliseconds. */
uint64_t now_ns(void);
uint64_t now_us(void);
uint64_t now_ms(void);

#endif
