/* proc.c: the process: standard descriptors, signals and the clock. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>

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
/* While held (signals_hold()): the socket's duplicate read. */
static volatile sig_atomic_t held_guard = -1;
static int alarm_set_up;

/*
 * Ends a read of fd that has not begun yet, or waits: a pipe's write end
 * takes fd's place, and reading that fails at once (EBADF for read(),
 * ENOTSOCK for a socket's calls).  All three calls are async-signal-safe;
 * no descriptor is left over.
 */
static void
stand_in(int fd)
{
	int p[2];

	if (fd >= 0 && pipe(p) == 0) {
		(void)dup2(p[1], fd);
		(void)close(p[0]);
		(void)close(p[1]);
	}
}

static void
on_alarm(int sig)
{
	int saved = errno;

	(void)sig;
	stand_in(held_guard);
	errno = saved;
}

static void
on_signal(int sig)
{
	int saved = errno;

	if (cmd_signal == 0)
		cmd_signal = sig;
	if (cmd_signals < 1000)
		cmd_signals++;
	stand_in(guarded_fd);
	stand_in(held_guard);
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

/* Lets SIGINT and SIGTERM in anywhere, until signals_close(). */
static int
let_in(void)
{
	if (!signals_on || signals_opened)
		return 0;
	if (sigprocmask(SIG_UNBLOCK, &stop_set, NULL) == -1)
		return -1;
	signals_opened = 1;
	return 0;
}

int
signals_open(int fd)
{
	if (!signals_on || signals_opened)
		return 0;
	guarded_fd = fd;
	if (let_in() == -1) {
		guarded_fd = -1;
		return -1;
	}
	return 0;
}

/* SIGALRM's handler, and SIGALRM let in: once, by held_init(). */
static int
alarm_setup(void)
{
	struct sigaction sa;
	sigset_t alrm;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	/* Whatever else it interrupts goes on; the held read, restarted,
	   finds a pipe in its place. */
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	if (sigaction(SIGALRM, &sa, NULL) == -1 ||
	    sigprocmask(SIG_UNBLOCK, &alrm, NULL) == -1)
		return -1;
	alarm_set_up = 1;
	return 0;
}

int
signals_hold(int fd)
{
	if (held_guard == fd && (signals_opened || !signals_on))
		return 0;
	if (!alarm_set_up && alarm_setup() == -1)
		return -1;
	/* First: an alarm may come at any time. */
	held_guard = fd;
	if (let_in() == -1) {
		held_guard = -1;
		return -1;
	}
	return 0;
}

void
signals_unhold(void)
{
	held_guard = -1;
}

int
alarm_after(uint64_t ns)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = (time_t)(ns / 1000000000u);
	it.it_value.tv_usec = (suseconds_t)(ns % 1000000000u / 1000);
	if (ns != 0 && it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
		it.it_value.tv_usec = 1;
	return setitimer(ITIMER_REAL, &it, NULL);
}

void
held_init(struct held *h)
{
	/* Now, not at the first hold: a SIGALRM from outside must not find
	   the default action (death) in the moment after the first traffic
	   and before the first held read.  Should it fail, signals_hold()
	   tries again, and its failure turns the hold off. */
	if (!alarm_set_up)
		(void)alarm_setup();
	h->fd = -1;
	h->armed = 0;
	h->look_at = 0;
}

int
held_fits(int64_t ns)
{
	return ns < 0 || ns >= 2 * HELD_NS;
}

int
held_fd(struct held *h, int sock)
{
	uint64_t t;

	if (h->fd == -1 && (h->fd = fcntl(sock, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	if (signals_hold(h->fd) == -1)
		return -1;
	if ((t = now_ns()) >= h->look_at) {
		if (alarm_after(2 * HELD_NS) == -1)
			return -1;
		h->armed = 1;
		h->look_at = t + HELD_NS;
	}
	return h->fd;
}

void
held_lost(struct held *h)
{
	signals_unhold();
	(void)close(h->fd);
	h->fd = -1;
}

void
held_stop(struct held *h)
{
	signals_unhold();
	if (h->armed)
		(void)alarm_after(0);
	h->armed = 0;
	h->look_at = 0;
}

void
held_free(struct held *h)
{
	held_stop(h);
	if (h->fd >= 0)
		(void)close(h->fd);
	h->fd = -1;
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
	held_guard = -1;
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
