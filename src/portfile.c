/* portfile.c: writes --port-file through a fresh temporary file, renamed. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "portfile.h"

#define NAME_CHARS	12	/* random characters: 62^12, about 2^71 */
#define TRIES		100	/* names tried before giving up (EEXIST) */

/* Fills buf with n random bytes; weak ones when the system has none. */
static void
random_bytes(unsigned char *buf, size_t n)
{
	static uint64_t counter;
	struct timespec ts;
	uint64_t x;
	size_t i;

	if (getrandom(buf, n, GRND_NONBLOCK) == (ssize_t)n)
		return;
	/*
	 * Predictable names cost a retry at worst, never a followed link:
	 * O_EXCL|O_NOFOLLOW is what keeps the write safe.
	 */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	x = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^
	    (uint64_t)getpid() << 40 ^ ++counter * 0x9e3779b97f4a7c15u;
	for (i = 0; i < n; i++) {
		x ^= x >> 33;
		x *= 0xff51afd7ed558ccdu;
		x ^= x >> 29;
		buf[i] = (unsigned char)x;
	}
}

/* Writes NAME_CHARS random letters and digits at at. */
static void
random_name(char *at)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char r[NAME_CHARS];
	size_t i;

	random_bytes(r, sizeof(r));
	for (i = 0; i < NAME_CHARS; i++)
		at[i] = chars[r[i] % (sizeof(chars) - 1)];
}

/* Creates a new file at a random name in tmp; its descriptor, or -1. */
static int
create_temp(char *tmp, char *at)
{
	int fd, i;

	for (i = 0; i < TRIES; i++) {
		random_name(at);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;	/* errno is EEXIST */
}

/* Writes all of buf to fd; 0, or -1 with errno. */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int
portfile_write(const char *path, unsigned port)
{
	char line[16], *tmp;
	size_t plen = strlen(path);
	int fd, n, saved;

	if (plen == 0) {
		errno = ENOENT;
		return -1;
	}
	if ((tmp = malloc(plen + 1 + NAME_CHARS + sizeof(".tmp"))) == NULL)
		return -1;
	memcpy(tmp, path, plen);
	tmp[plen] = '.';
	memcpy(tmp + plen + 1 + NAME_CHARS, ".tmp", sizeof(".tmp"));
	if ((fd = create_temp(tmp, tmp + plen + 1)) == -1) {
		saved = errno;
		free(tmp);
		errno = saved;
		return -1;
	}
	n = snprintf(line, sizeof(line), "%u\n", port);
	if (write_all(fd, line, (size_t)n) == -1) {
		saved = errno;
		close(fd);
	} else if (close(fd) == -1 || rename(tmp, path) == -1)
		saved = errno;
	else
		saved = 0;
	if (saved != 0) {
		unlink(tmp);
		free(tmp);
		errno = saved;
		return -1;
	}
	free(tmp);
	return 0;
}
