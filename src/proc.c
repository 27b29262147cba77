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

static void
on_signal(int sig)
{
	if (cmd_signal == 0)
		cmd_signal = sig;
	if (cmd_signals < 1000)
		cmd_signals++;
}

/* The signal mask while waiting: SIGINT and SIGTERM let through. */
static sigset_t wait_mask;
static int signals_on;

void
signals_install(void)
{
	struct sigaction sa;
	sigset_t block;

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
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	signals_on = 1;
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
