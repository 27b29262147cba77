/* proc.c: the process: standard descriptors, signals and the clock. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

volatile sig_atomic_t cmd_signal;
volatile sig_atomic_t cmd_signals;
volatile sig_atomic_t cmd_child;

static int closed_stdio;	/* bit fd set: fd was closed at start */

int
stdio_reserve(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* open() returns the lowest free number: this one. */
		if (open("/dev/null", O_RDWR) != fd)
			return -1;
		closed_stdio |= 1 << fd;
	}
	return 0;
}

int
stdio_closed(int fd)
{
	return (closed_stdio >> fd) & 1;
}

/* While signals are open (signals_open()): the descriptor read. */
static volatile sig_atomic_t guarded_fd = -1;

static void
on_signal(int sig)
{
	int saved = errno, p[2];

	if (cmd_signal == 0)
		cmd_signal = sig;
	if (cmd_signals < 1000)
		cmd_signals++;
	/*
	 * A read of it that has not begun yet must not wait: a pipe's write
	 * end takes its place, and reading that fails at once (EBADF).  All
	 * three calls are async-signal-safe; no descriptor is left over.
	 */
	if (guarded_fd >= 0 && pipe(p) == 0) {
		(void)dup2(p[1], guarded_fd);
		(void)close(p[0]);
		(void)close(p[1]);
	}
	errno = saved;
}

/* The signal mask while waiting: SIGINT and SIGTERM let through. */
static sigset_t wait_mask;
static sigset_t stop_set;	/* SIGINT and SIGTERM */
static int signals_on;
static int signals_opened;

void
signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: waits return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Held back everywhere but inside wait_fds(), which lets them in
	 * atomically: one that comes between a look at cmd_signal and the
	 * wait then ends the wait, instead of being noticed only after it.
	 * signals_open() is the other way to the same end, for a read.
	 */
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGINT);
	sigaddset(&stop_set, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop_set, &wait_mask);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	signals_on = 1;
}

int
signals_open(int fd)
{
	if (!signals_on || signals_opened)
		return 0;
	guarded_fd = fd;
	if (sigprocmask(SIG_UNBLOCK, &stop_set, NULL) == -1) {
		guarded_fd = -1;
		return -1;
	}
	signals_opened = 1;
	return 0;
}

/* Holds SIGINT and SIGTERM back again; 1 if one came while open. */
static int
signals_close(void)
{
	if (!signals_opened)
		return 0;
	sigprocmask(SIG_BLOCK, &stop_set, NULL);
	signals_opened = 0;
	guarded_fd = -1;
	return cmd_signal != 0;
}

static void
on_child(int sig)
{
	(void)sig;
	cmd_child = 1;
}

void
signals_children(void)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigdelset(&wait_mask, SIGCHLD);
}

int
signal_check(void)
{
	sigset_t pending;

	if (signals_opened)
		return cmd_signal;	/* nothing is held back to let in */
	if (signals_on && sigpending(&pending) == 0 &&
	    (sigismember(&pending, SIGINT) == 1 ||
	    sigismember(&pending, SIGTERM) == 1))
		(void)wait_fds(NULL, 0, 0);	/* lets it in: the handler runs */
	return cmd_signal;
}

int
wait_fds(struct pollfd *fds, nfds_t n, int64_t ns)
{
	struct timespec ts;

	/* One that came while they were open would not end this wait. */
	if (signals_close()) {
		errno = EINTR;
		return -1;
	}
	ts.tv_sec = ns < 0 ? 0 : (time_t)(ns / 1000000000);
	ts.tv_nsec = ns < 0 ? 0 : (long)(ns % 1000000000);
	return ppoll(fds, n, ns < 0 ? NULL : &ts, signals_on ? &wait_mask :
	    NULL);
}

int
shortage_wait(unsigned *waits)
{
	if (++*waits > 10000)
		return -1;
	/* A wait like any other: a signal ends it, and the caller looks. */
	(void)wait_fds(NULL, 0, 1000000);
	return 0;
}

uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
now_us(void)
{
	return now_ns() / 1000;
}

uint64_t
now_ms(void)
{
	return now_ns() / 1000000;
}
