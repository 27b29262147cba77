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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
