/* test_portfile.c: --port-file against planted symlinks and failing calls. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "portfile.h"

/* Linked with -Wl,--wrap=getrandom,--wrap=write. */
ssize_t	__real_getrandom(void *, size_t, unsigned);
ssize_t	__wrap_getrandom(void *, size_t, unsigned);
ssize_t	__real_write(int, const void *, size_t);
ssize_t	__wrap_write(int, const void *, size_t);

enum rnd { RND_REAL, RND_ZERO, RND_FAIL };
static enum rnd rnd_mode;
static int write_errno;		/* 0: the real write() */

/* RND_ZERO makes every temporary name "PATH.aaaaaaaaaaaa.tmp". */
ssize_t
__wrap_getrandom(void *buf, size_t n, unsigned flags)
{
	switch (rnd_mode) {
	case RND_ZERO:
		memset(buf, 0, n);
		return (ssize_t)n;
	case RND_FAIL:
		errno = ENOSYS;
		return -1;
	default:
		return __real_getrandom(buf, n, flags);
	}
}

ssize_t
__wrap_write(int fd, const void *buf, size_t n)
{
	if (write_errno != 0) {
		errno = write_errno;
		return -1;
	}
	return __real_write(fd, buf, n);
}

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_portfile.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	rnd_mode = RND_REAL;
	write_errno = 0;
	return 0;
}

/* Removes everything in dir (files and links only), then dir. */
static int
teardown(void **state)
{
	char p[512];
	struct dirent *e;
	DIR *d;

	(void)state;
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 &&
			    strcmp(e->d_name, "..") != 0) {
				snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
				if (unlink(p) == -1)
					rmdir(p);
			}
		closedir(d);
	}
	return rmdir(dir);
}

static const char *
in_dir(const char *name)
{
	static char p[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

/* The content of file path (up to 63 bytes), or "" when it cannot read. */
static const char *
content(const char *path)
{
	static char buf[64];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW)) == -1)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

static void
put(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(s, f);
	assert_int_equal(fclose(f), 0);
}

/* The number of entries in dir, "." and ".." left out. */
static int
entries(void)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
test_writes_port(void **state)
{
	struct stat sb;

	(void)state;
	assert_int_equal(portfile_write(in_dir("port"), 54321), 0);
	assert_string_equal(content(in_dir("port")), "54321\n");
	assert_int_equal(lstat(in_dir("port"), &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(entries(), 1);		/* no temporary left */
	/* again, over the old file */
	assert_int_equal(portfile_write(in_dir("port"), 1), 0);
	assert_string_equal(content(in_dir("port")), "1\n");
	assert_int_equal(entries(), 1);
}

/*
 * A symlink planted at the temporary name (made predictable here) is not
 * followed: its target keeps its content, the next name is tried.
 */
static void
test_symlink_at_temp_name(void **state)
{
	(void)state;
	put(in_dir("target"), "precious\n");
	assert_int_equal(symlink(in_dir("target"),
	    in_dir("port.aaaaaaaaaaaa.tmp")), 0);
	assert_int_equal(symlink(in_dir("nowhere"),
	    in_dir("p2.aaaaaaaaaaaa.tmp")), 0);
	rnd_mode = RND_ZERO;
	/* every name the same: the planted one, refused each time */
	errno = 0;
	assert_int_equal(portfile_write(in_dir("port"), 7), -1);
	assert_int_equal(errno, EEXIST);
	assert_string_equal(content(in_dir("target")), "precious\n");
	assert_int_equal(portfile_write(in_dir("p2"), 7), -1);
	assert_int_equal(access(in_dir("nowhere"), F_OK), -1);
	assert_int_equal(entries(), 3);
	/* random names again: written, the links left alone */
	rnd_mode = RND_REAL;
	assert_int_equal(portfile_write(in_dir("port"), 7), 0);
	assert_string_equal(content(in_dir("port")), "7\n");
	assert_string_equal(content(in_dir("target")), "precious\n");
	assert_int_equal(access(in_dir("nowhere"), F_OK), -1);
	assert_int_equal(entries(), 4);
}

/* A symlink at FILE itself is replaced, its target untouched. */
static void
test_symlink_at_path(void **state)
{
	struct stat sb;

	(void)state;
	put(in_dir("target"), "precious\n");
	assert_int_equal(symlink(in_dir("target"), in_dir("port")), 0);
	assert_int_equal(portfile_write(in_dir("port"), 9), 0);
	assert_int_equal(lstat(in_dir("port"), &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_string_equal(content(in_dir("port")), "9\n");
	assert_string_equal(content(in_dir("target")), "precious\n");
}

/* Without random bytes from the system, names still differ per try. */
static void
test_no_getrandom(void **state)
{
	(void)state;
	rnd_mode = RND_FAIL;
	assert_int_equal(portfile_write(in_dir("port"), 65535), 0);
	assert_string_equal(content(in_dir("port")), "65535\n");
	assert_int_equal(entries(), 1);
}

struct fail_case {
	const char	*name;		/* under dir; "" for "" itself */
	int		 write_errno;
	int		 want_errno;
};

static const struct fail_case fail_cases[] = {
	{ "missing/port",	0,	ENOENT },
	{ "",			0,	ENOENT },
	{ "adir",		0,	EISDIR },
	{ "port",		ENOSPC,	ENOSPC },
	{ "port",		EIO,	EIO },
};

/* Each failure returns -1 with the cause and leaves no temporary file. */
static void
test_failures(void **state)
{
	size_t i;
	int got;

	(void)state;
	assert_int_equal(mkdir(in_dir("adir"), 0700), 0);
	for (i = 0; i < sizeof(fail_cases) / sizeof(fail_cases[0]); i++) {
		const struct fail_case *c = &fail_cases[i];

		write_errno = c->write_errno;
		errno = 0;
		got = portfile_write(c->name[0] != '\0' ? in_dir(c->name) :
		    "", 80);
		write_errno = 0;
		if (got != -1 || errno != c->want_errno) {
			print_error("'%s' (write errno %d): %d errno %d, want "
			    "-1 errno %d\n", c->name, c->write_errno, got,
			    errno, c->want_errno);
			fail();
		}
		assert_int_equal(entries(), 1);		/* adir only */
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_writes_port, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_symlink_at_temp_name,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_at_path, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_getrandom, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
