/* test_proc.c: signals that get in during a blocking read, and not after. */

/*
 * signals_open() lets SIGINT and SIGTERM in so that a blocking read is
 * the wait.  These cases make each of its three moments happen on
 * purpose: a signal before the read has begun (the window that a look
 * at cmd_signal cannot close), one during the read, and one after the
 * next wait_fds(), when they are held back again.  Each case runs under
 * alarm(5): a read that a signal failed to end kills the test.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

static int fds[2];

static int
setup(void **state)
{
	(void)state;
	cmd_signal = 0;
	alarm(5);
	return pipe(fds);
}

static int
teardown(void **state)
{
	(void)state;
	alarm(0);
	(void)close(fds[0]);
	(void)close(fds[1]);
	return 0;
}

static int
pending(int sig)
{
	sigset_t set;

	assert_int_equal(sigpending(&set), 0);
	return sigismember(&set, sig);
}

/* Before signals_install(): nothing to open, and reads block as ever. */
static void
test_not_installed(void **state)
{
	char c;

	(void)state;
	assert_int_equal(signals_open(fds[0]), 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_int_equal(c, 'x');
}

/* Installed: held back, let in by signal_check(). */
static void
test_held_back(void **state)
{
	(void)state;
	signals_install();
	assert_int_equal(raise(SIGINT), 0);
	assert_int_equal(cmd_signal, 0);
	assert_int_equal(pending(SIGINT), 1);
	assert_int_equal(signal_check(), SIGINT);
	assert_int_equal(pending(SIGINT), 0);
}

/*
 * The window: a signal after the caller looked at cmd_signal and before
 * its read began.  The read must fail at once, data waiting or not, and
 * the descriptor number must stay taken (nothing else may get it).
 */
static void
test_before_read(void **state)
{
	char c;

	(void)state;
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(signals_open(fds[0]), 0);
	assert_int_equal(cmd_signal, 0);
	assert_int_equal(raise(SIGTERM), 0);	/* handled before it returns */
	assert_int_equal(cmd_signal, SIGTERM);
	errno = 0;
	assert_int_equal(read(fds[0], &c, 1), -1);
	assert_int_not_equal(errno, 0);
	assert_int_not_equal(errno, EAGAIN);
	/* The wait after it ends at once, not after its second. */
	errno = 0;
	assert_int_equal(wait_fds(NULL, 0, 1000000000), -1);
	assert_int_equal(errno, EINTR);
}

/* During a blocking read: another process's SIGINT ends it. */
static void
test_during_read(void **state)
{
	pid_t child, parent = getpid();
	char c;
	int st;

	(void)state;
	assert_int_equal(signals_open(fds[0]), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct timespec ts = { 0, 100000000 };

		(void)nanosleep(&ts, NULL);
		_exit(kill(parent, SIGINT) == 0 ? 0 : 1);
	}
	errno = 0;
	assert_int_equal(read(fds[0], &c, 1), -1);	/* nothing written */
	assert_int_equal(errno, EINTR);
	assert_int_equal(cmd_signal, SIGINT);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(wait_fds(NULL, 0, 0), -1);
}

/*
 * Open, and closed again by a wait that no signal ended: one that comes
 * then is held back, and the descriptor is the pipe still.
 */
static void
test_closed_again(void **state)
{
	char c;

	(void)state;
	assert_int_equal(signals_open(fds[0]), 0);
	assert_int_equal(signals_open(fds[0]), 0);	/* open already */
	assert_int_equal(wait_fds(NULL, 0, 0), 0);
	assert_int_equal(raise(SIGINT), 0);
	assert_int_equal(cmd_signal, 0);
	assert_int_equal(pending(SIGINT), 1);
	assert_int_equal(write(fds[1], "y", 1), 1);
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	assert_int_equal(signal_check(), SIGINT);
}

/*
 * signals_hold(): the held read of a socket's duplicate, which has no
 * timeout.  These cases install SIGALRM's handler and arm ITIMER_REAL,
 * which the cases above use as their watchdog (alarm(5)), so each runs
 * in a child of its own, which the parent kills after 5 s; a failed
 * check in the child exits with its line number.
 */
#define CHECK(c)	do { if (!(c)) _exit(__LINE__ & 0xff ? \
			    __LINE__ & 0xff : 1); } while (0)

static int socks[2];

/* The pair's second socket sends "d": a datagram for the first. */
static void
send_d(void)
{
	CHECK(send(socks[1], "d", 1, 0) == 1);
}

static void
in_child(void (*fn)(int held))
{
	struct timespec ms = { 0, 1000000 };
	pid_t child;
	int st = 0, i, held;

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, socks), 0);
	if ((child = fork()) == 0) {
		alarm(0);	/* the child's watchdog is its parent */
		cmd_signal = 0;
		signals_install();
		CHECK((held = dup(socks[0])) >= 0);
		fn(held);
		_exit(0);
	}
	assert_true(child > 0);
	for (i = 0; i < 5000 && waitpid(child, &st, WNOHANG) == 0; i++)
		(void)nanosleep(&ms, NULL);
	if (i == 5000) {
		(void)kill(child, SIGKILL);
		(void)waitpid(child, &st, 0);
		fail_msg("a held read did not end within 5 s");
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("check failed at line %d (mod 256)",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	(void)close(socks[0]);
	(void)close(socks[1]);
}

/* The alarm ends a read that waits, and the socket reads on. */
static void
alarm_ends(int held)
{
	char c;

	CHECK(signals_hold(held) == 0);
	CHECK(alarm_after(20000000) == 0);
	errno = 0;
	CHECK(recv(held, &c, 1, 0) == -1);
	CHECK(errno == ENOTSOCK);
	CHECK(cmd_signal == 0);
	send_d();
	CHECK(recv(socks[0], &c, 1, 0) == 1 && c == 'd');
}

static void
test_hold_alarm(void **state)
{
	(void)state;
	in_child(alarm_ends);
}

/*
 * SIGTERM before the held read has begun: it fails at once, and the
 * datagram waiting is the socket's still, not lost.
 */
static void
term_before(int held)
{
	char c;

	send_d();
	CHECK(signals_hold(held) == 0);
	CHECK(raise(SIGTERM) == 0);
	CHECK(cmd_signal == SIGTERM);
	errno = 0;
	CHECK(recv(held, &c, 1, 0) == -1);
	CHECK(errno == ENOTSOCK);
	CHECK(recv(socks[0], &c, 1, MSG_DONTWAIT) == 1 && c == 'd');
}

static void
test_hold_term_before(void **state)
{
	(void)state;
	in_child(term_before);
}

/*
 * The alarm during another blocking call: that call goes on (restarted),
 * and the held read that follows fails at once.
 */
static void
alarm_elsewhere(int held)
{
	struct timespec ts = { 0, 100000000 };
	pid_t child;
	char c;

	CHECK(signals_hold(held) == 0);
	CHECK(alarm_after(20000000) == 0);
	if ((child = fork()) == 0) {
		(void)nanosleep(&ts, NULL);
		_exit(send(socks[1], "e", 1, 0) == 1 ? 0 : 1);
	}
	CHECK(child > 0);
	CHECK(recv(socks[0], &c, 1, 0) == 1 && c == 'e');
	CHECK(waitpid(child, NULL, 0) == child);
	errno = 0;
	CHECK(recv(held, &c, 1, 0) == -1);
	CHECK(errno == ENOTSOCK);
}

static void
test_hold_alarm_elsewhere(void **state)
{
	(void)state;
	in_child(alarm_elsewhere);
}

/*
 * After signals_unhold(), and after a wait, the duplicate is the caller's
 * again: neither the alarm nor SIGTERM takes its place.
 */
static void
unheld(int held)
{
	struct timespec ts = { 0, 50000000 };
	char c;

	CHECK(signals_hold(held) == 0);
	signals_unhold();
	CHECK(alarm_after(10000000) == 0);
	(void)nanosleep(&ts, NULL);
	CHECK(signals_hold(held) == 0);
	CHECK(wait_fds(NULL, 0, 0) == 0);
	CHECK(raise(SIGTERM) == 0);
	CHECK(cmd_signal == 0);			/* held back */
	send_d();
	CHECK(recv(held, &c, 1, 0) == 1 && c == 'd');
	CHECK(signal_check() == SIGTERM);
}

static void
test_hold_unheld(void **state)
{
	(void)state;
	in_child(unheld);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_not_installed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_held_back, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_before_read, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_during_read, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_closed_again, setup,
		    teardown),
		cmocka_unit_test(test_hold_alarm),
		cmocka_unit_test(test_hold_term_before),
		cmocka_unit_test(test_hold_alarm_elsewhere),
		cmocka_unit_test(test_hold_unheld),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
