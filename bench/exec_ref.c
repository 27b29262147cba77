/*
 * exec_ref.c: the bare C exec server that "udpcat listen --exec" is
 * measured against in the benchmark (bench/bench.py, scenario 9).
 *
 *   exec_ref [-t SECS] [-P FILE] [-j JOBS] [-s] CMD [ARG ...]
 *
 * Binds 127.0.0.1 port 0 (its port to -P FILE), and for each datagram
 * posix_spawnp()s CMD ARG ... (no shell; -s: /bin/sh -c "CMD ARG ...",
 * as udpcat runs its CMD) with the payload on its standard input through
 * a pipe, reads its standard output to the end, waitpid()s it, and when it
 * exited 0 with some output, sends that output back to the sender as one
 * datagram.  At most JOBS commands (default 16, udpcat's --jobs default)
 * run at once; further datagrams wait in the socket.  No options beyond
 * these, no error reporting beyond what a measurement needs.
 *
 * It stops by itself after -t SECS (default 60) or at SIGTERM/SIGINT,
 * printing one JSON line of counts on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define REF_NAME	"exec_ref"
#include "refcommon.h"

#define MAX_JOBS	64
#define MAX_DGRAM	65507

extern char **environ;

struct job {
	pid_t			pid;
	int			fd;	/* the command's stdout; -1: free */
	size_t			len;
	struct sockaddr_in	peer;
	unsigned char		out[MAX_DGRAM];
};

static struct job jobs[MAX_JOBS];
static unsigned char in[MAX_DGRAM];
static uint64_t requests, replies, failed;

/* A socket bound to 127.0.0.1 port 0; its port written to port_file. */
static int
bound(const char *port_file)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char tmp[4096];
	FILE *f;
	int fd;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		die("bind");
	if (port_file != NULL) {
		snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", port_file,
		    (long)getpid());
		if ((f = fopen(tmp, "w")) == NULL)
			die("port file");
		fprintf(f, "%u\n", ntohs(sin.sin_port));
		if (fclose(f) == EOF || rename(tmp, port_file) == -1)
			die("port file");
	}
	return fd;
}

/*
 * Spawns argv into job j with the n payload bytes on its stdin; returns
 * 0, or -1 when it could not be started.
 */
static int
start(struct job *j, char **argv, size_t n)
{
	posix_spawn_file_actions_t fa;
	int pin[2], pout[2], rc;

	if (pipe2(pin, O_CLOEXEC) == -1)
		die("pipe");
	if (pipe2(pout, O_CLOEXEC) == -1)
		die("pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	rc = posix_spawnp(&j->pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pin[0]);
	close(pout[1]);
	if (rc == 0 && n > 0)
		(void)write(pin[1], in, n);	/* fits in the pipe */
	close(pin[1]);
	if (rc != 0) {
		close(pout[0]);
		return -1;
	}
	j->fd = pout[0];
	j->len = 0;
	return 0;
}

/* Reads job j's output; at its end reaps it and sends the reply. */
static void
collect(int fd, struct job *j)
{
	ssize_t r;
	int status;

	r = read(j->fd, j->out + j->len, sizeof(j->out) - j->len);
	if (r == -1 && errno == EINTR)
		return;
	if (r > 0) {
		j->len += (size_t)r;
		if (j->len < sizeof(j->out))
			return;
	}
	close(j->fd);
	j->fd = -1;
	while (waitpid(j->pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && j->len > 0) {
		(void)sendto(fd, j->out, j->len, 0,
		    (struct sockaddr *)&j->peer, sizeof(j->peer));
		replies++;
	} else
		failed++;
}

/* Takes waiting datagrams into free job slots; returns the jobs running. */
static int
take(int fd, char **argv, int max, int running)
{
	socklen_t plen;
	ssize_t n;
	int i;

	for (i = 0; i < max && running < max; i++) {
		if (jobs[i].fd != -1)
			continue;
		plen = sizeof(jobs[i].peer);
		n = recvfrom(fd, in, sizeof(in), MSG_DONTWAIT,
		    (struct sockaddr *)&jobs[i].peer, &plen);
		if (n == -1)
			break;
		requests++;
		if (start(&jobs[i], argv, (size_t)n) == 0)
			running++;
		else
			failed++;
	}
	return running;
}

/* The command to run: argv as given, or /bin/sh -c with it joined. */
static char **
command(char **argv, int shell)
{
	static char sh_path[] = "/bin/sh", sh_c[] = "-c";
	static char *sh[4];
	size_t len = 1;
	char *s, **a;

	if (!shell)
		return argv;
	for (a = argv; *a != NULL; a++)
		len += strlen(*a) + 1;
	if ((s = calloc(1, len)) == NULL)
		die("malloc");
	for (a = argv; *a != NULL; a++) {
		if (a != argv)
			strcat(s, " ");
		strcat(s, *a);
	}
	sh[0] = sh_path;
	sh[1] = sh_c;
	sh[2] = s;
	return sh;
}

int
main(int argc, char **argv)
{
	static struct pollfd pfd[MAX_JOBS + 1];
	static int slot[MAX_JOBS + 1];
	const char *port_file = NULL;
	unsigned limit = 60;
	int c, fd, i, n, max = 16, shell = 0, running = 0;
	char **cmd;

	while ((c = getopt(argc, argv, "+t:P:j:s")) != -1) {
		switch (c) {
		case 't': limit = (unsigned)atoi(optarg); break;
		case 'P': port_file = optarg; break;
		case 'j': max = atoi(optarg); break;
		case 's': shell = 1; break;
		default: goto usage;
		}
	}
	if (optind >= argc || max < 1 || max > MAX_JOBS)
		goto usage;
	cmd = command(argv + optind, shell);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGALRM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	alarm(limit);
	fd = bound(port_file);
	for (i = 0; i < MAX_JOBS; i++)
		jobs[i].fd = -1;
	while (!stop) {
		n = 0;
		if (running < max) {
			pfd[n].fd = fd;
			pfd[n].events = POLLIN;
			slot[n++] = -1;
		}
		for (i = 0; i < max; i++)
			if (jobs[i].fd != -1) {
				pfd[n].fd = jobs[i].fd;
				pfd[n].events = POLLIN;
				slot[n++] = i;
			}
		if (poll(pfd, (nfds_t)n, -1) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (slot[i] == -1) {
				running = take(fd, cmd, max, running);
				continue;
			}
			collect(fd, &jobs[slot[i]]);
			if (jobs[slot[i]].fd == -1)
				running--;
		}
	}
	fprintf(stderr, "{\"requests\":%llu,\"replies\":%llu,\"failed\":%llu}\n",
	    (unsigned long long)requests, (unsigned long long)replies,
	    (unsigned long long)failed);
	return 0;
usage:
	fprintf(stderr, "usage: exec_ref [-t SECS] [-P FILE] [-j JOBS] [-s] "
	    "CMD [ARG ...]\n");
	return 2;
}
