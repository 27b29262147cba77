/* test_cmdline.c: how listen --exec runs a command: shell or not, env, pipes. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/wait.h>

#include "cmdline.h"

/* Which commands need the shell, and the words of those that do not. */
static void
test_shell_or_words(void **state)
{
	static const struct {
		const char	*cmd;
		int		 shell;
		const char	*words[5];
	} t[] = {
		{ "cat", 0, { "cat" } },
		{ "  tr  a-z\tA-Z ", 0, { "tr", "a-z", "A-Z" } },
		{ "/bin/echo hi", 0, { "/bin/echo", "hi" } },
		{ "head -c 1048576 /dev/zero", 0, { "head", "-c", "1048576",
		    "/dev/zero" } },
		{ "cat | wc -c", 1, { NULL } },
		{ "echo $UDPCAT_SIZE", 1, { NULL } },
		{ "echo 'a b'", 1, { NULL } },
		{ "echo \"a\"", 1, { NULL } },
		{ "sleep 1; echo", 1, { NULL } },
		{ "cat > out", 1, { NULL } },
		{ "ls *.c", 1, { NULL } },
		{ "echo ~", 1, { NULL } },
		{ "A=1 env", 1, { NULL } },
		{ "echo a\\ b", 1, { NULL } },
		{ "printf %s x", 1, { NULL } },
		{ "exit 1", 1, { NULL } },
		{ "cd /tmp", 1, { NULL } },
		{ "if true", 1, { NULL } },
		{ ". ./script", 1, { NULL } },
		{ "exec cat", 1, { NULL } },
		{ "exits", 0, { "exits" } },
		{ "", 1, { NULL } },
		{ "   ", 1, { NULL } },
	};
	struct cmdline c;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(cmdline_init(&c, t[i].cmd), 0);
		if (c.use_shell != t[i].shell)
			fail_msg("'%s': use_shell %d", t[i].cmd, c.use_shell);
		if (c.use_shell) {
			assert_string_equal(c.shell[0], "sh");
			assert_string_equal(c.shell[1], "-c");
			assert_ptr_equal(c.shell[2], t[i].cmd);
			assert_null(c.shell[3]);
		} else {
			for (k = 0; t[i].words[k] != NULL; k++)
				assert_string_equal(c.argv[k], t[i].words[k]);
			assert_null(c.argv[k]);
		}
		cmdline_free(&c);
	}
}

/* A program's place in $PATH is found once; a missing one is left. */
static void
test_path(void **state)
{
	struct cmdline c;
	size_t n;

	(void)state;
	assert_int_equal(cmdline_init(&c, "cat -u"), 0);
	assert_non_null(c.path);
	n = strlen(c.path);
	assert_true(c.path[0] == '/' && n > 4);
	assert_string_equal(c.path + n - 4, "/cat");
	assert_int_equal(access(c.path, X_OK), 0);
	cmdline_free(&c);
	assert_int_equal(cmdline_init(&c, "udpcat-test-no-such-program"), 0);
	assert_null(c.path);
	cmdline_free(&c);
	assert_int_equal(cmdline_init(&c, "./cat"), 0);
	assert_null(c.path);
	cmdline_free(&c);
}

/* Everything the command wrote, until it closed its output. */
static size_t
read_all(int fd, char *buf, size_t cap)
{
	struct pollfd p = { fd, POLLIN, 0 };
	size_t n = 0;
	ssize_t r;

	for (;;) {
		assert_true(poll(&p, 1, 10000) == 1);
		if ((r = read(fd, buf + n, cap - 1 - n)) == 0)
			break;
		if (r == -1 && errno == EAGAIN)
			continue;
		assert_true(r > 0);
		n += (size_t)r;
		assert_true(n < cap - 1);
	}
	buf[n] = '\0';
	return n;
}

/* Runs cmd for d: its standard input gets in, its output comes back. */
static int
run(const char *cmd, const struct dgram *d, const struct endpoint *local,
    const char *in, char *out, size_t cap)
{
	struct cmdline c;
	int fin, fout, st, rc;
	pid_t pid;

	assert_int_equal(cmdline_init(&c, cmd), 0);
	rc = cmdline_spawn(&c, d, local, &pid, &fin, &fout);
	cmdline_free(&c);
	if (rc != 0)
		return -rc;
	assert_true(fcntl(fin, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fin, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(fout, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(fin, in, strlen(in)), (ssize_t)strlen(in));
	close(fin);
	read_all(fout, out, cap);
	close(fout);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

/* A datagram from 192.0.2.7:5353 to 198.51.100.1:53, 5 bytes of 9. */
static void
make_dgram(struct dgram *d, struct sockaddr_in *from, struct sockaddr_in *to)
{
	memset(d, 0, sizeof(*d));
	memset(from, 0, sizeof(*from));
	memset(to, 0, sizeof(*to));
	from->sin_family = to->sin_family = AF_INET;
	from->sin_port = htons(5353);
	to->sin_port = htons(53);
	inet_pton(AF_INET, "192.0.2.7", &from->sin_addr);
	inet_pton(AF_INET, "198.51.100.1", &to->sin_addr);
	d->from = (const struct sockaddr *)from;
	d->fromlen = sizeof(*from);
	d->len = 5;
	d->size = 9;
}

static void
test_stdin_to_stdout(void **state)
{
	struct sockaddr_in from, to;
	struct endpoint local;
	struct dgram d;
	char out[256];

	(void)state;
	memset(&local, 0, sizeof(local));
	make_dgram(&d, &from, &to);
	assert_int_equal(run("tr a-z A-Z", &d, &local, "hello", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "HELLO");
	assert_int_equal(run("cat | wc -c", &d, &local, "four", out,
	    sizeof(out)), 0);
	assert_int_equal(atoi(out), 4);
	assert_int_equal(WEXITSTATUS(run("exit 3", &d, &local, "", out,
	    sizeof(out))), 3);
	assert_int_equal(run("udpcat-test-no-such-program", &d, &local, "",
	    out, sizeof(out)), -ENOENT);
}

/* The UDPCAT_* variables of d; ours are replaced, the rest kept. */
static void
test_environment(void **state)
{
	struct sockaddr_in from, to, *l;
	struct endpoint local;
	struct dgram d;
	char out[8192];

	(void)state;
	make_dgram(&d, &from, &to);
	memset(&local, 0, sizeof(local));
	l = (struct sockaddr_in *)&local.ss;
	l->sin_family = AF_INET;
	l->sin_port = htons(53);
	local.len = sizeof(*l);
	setenv("UDPCAT_PEER_ADDR", "203.0.113.66", 1);
	setenv("UDPCAT_TEST_KEPT", "no", 1);
	setenv("TEST_CMDLINE_KEPT", "yes", 1);
	assert_int_equal(run("env", &d, &local, "", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\nUDPCAT_PEER_ADDR=192.0.2.7\n"));
	assert_null(strstr(out, "203.0.113.66"));
	assert_null(strstr(out, "UDPCAT_TEST_KEPT"));
	assert_non_null(strstr(out, "TEST_CMDLINE_KEPT=yes\n"));
	assert_non_null(strstr(out, "UDPCAT_PEER_PORT=5353\n"));
	assert_non_null(strstr(out, "UDPCAT_SIZE=9\n"));
	/* No address from the kernel: the bound one. */
	assert_non_null(strstr(out, "UDPCAT_LOCAL_ADDR=0.0.0.0\n"));
	assert_non_null(strstr(out, "UDPCAT_LOCAL_PORT=53\n"));
	d.to = (const struct sockaddr *)&to;
	assert_int_equal(run("env", &d, &local, "", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "UDPCAT_LOCAL_ADDR=198.51.100.1\n"));
	unsetenv("UDPCAT_PEER_ADDR");
	unsetenv("UDPCAT_TEST_KEPT");
	unsetenv("TEST_CMDLINE_KEPT");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shell_or_words),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_stdin_to_stdout),
		cmocka_unit_test(test_environment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
