/* cmdline.c: one command run for a datagram: words, environment, pipes. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cmdline.h"

#define ENV_VARS	8		/* UDPCAT_* variables a command gets */

extern char **environ;

/*
 * True when the command needs a shell, as make decides: a character sh
 * would treat, or a first word that is a keyword or a built-in with no
 * program of its name.
 */
static int
needs_shell(const char *cmd)
{
	static const char *const words[] = { "if", "then", "else", "elif",
	    "fi", "case", "esac", "for", "while", "until", "do", "done",
	    "exit", "cd", "export", "read", "set", "unset", "eval", "exec",
	    ".", ":", "shift", "return", "trap", "ulimit", "umask", "wait",
	    "alias", "break", "continue", "command", "getopts", "hash",
	    "readonly", "times", "type", "local", "source", NULL };
	size_t n;
	int i;

	if (cmd[strcspn(cmd, "|&;<>()$`\\\"'*?[]#~=%{}!\n")] != '\0')
		return 1;
	cmd += strspn(cmd, " \t");
	n = strcspn(cmd, " \t");
	for (i = 0; words[i] != NULL; i++)
		if (strlen(words[i]) == n && strncmp(cmd, words[i], n) == 0)
			return 1;
	return 0;
}

/* Splits a command without shell syntax into words at blanks. */
static int
split_words(struct cmdline *j)
{
	size_t n = 0;
	char *p, *save;

	if ((j->words = strdup(j->cmd)) == NULL ||
	    (j->argv = calloc(strlen(j->cmd) / 2 + 2, sizeof(char *))) == NULL)
		return -1;
	for (p = strtok_r(j->words, " \t", &save); p != NULL;
	    p = strtok_r(NULL, " \t", &save))
		j->argv[n++] = p;
	j->argv[n] = NULL;
	return 0;
}

/*
 * Finds the program name in $PATH once, as execvp() would for each run,
 * so that each run makes one execve() instead of one for each directory
 * before it.  Not found, or no memory: NULL, and each run searches.
 */
static char *
find_program(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	size_t dlen, nlen = strlen(name);
	struct stat sb;
	char *full;

	if (strchr(name, '/') != NULL || path == NULL)
		return NULL;
	for (p = path; ; p = end + 1) {
		end = p + strcspn(p, ":");
		dlen = end > p ? (size_t)(end - p) : 1;
		if ((full = malloc(dlen + nlen + 2)) == NULL)
			return NULL;
		/* An empty entry is the current directory. */
		snprintf(full, dlen + nlen + 2, "%.*s/%s", (int)dlen,
		    end > p ? p : ".", name);
		if (stat(full, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    access(full, X_OK) == 0)
			return full;
		free(full);
		if (*end == '\0')
			return NULL;
	}
}

int
cmdline_init(struct cmdline *c, const char *cmd)
{
	memset(c, 0, sizeof(*c));
	c->cmd = cmd;
	if (!needs_shell(cmd)) {
		if (split_words(c) == -1)
			return -1;
		if (c->argv[0] != NULL) {
			c->path = find_program(c->argv[0]);
			return 0;
		}
	}
	c->shell[0] = "sh";
	c->shell[1] = "-c";
	c->shell[2] = cmd;
	c->shell[3] = NULL;
	c->use_shell = 1;
	return 0;
}

void
cmdline_free(struct cmdline *c)
{
	free(c->argv);
	free(c->words);
	free(c->path);
	c->argv = NULL;
	c->words = NULL;
	c->path = NULL;
}

/* Adds "NAME=VALUE" to the environment being built; -1 when no memory. */
static int
env_add(char **env, int *n, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 2;

	if ((env[*n] = malloc(len)) == NULL)
		return -1;
	snprintf(env[(*n)++], len, "%s=%s", name, value);
	return 0;
}

/* The UDPCAT_* variables of one datagram, after index *n of env. */
static int
env_peer(const struct endpoint *local, const struct dgram *d, char **env,
    int *n)
{
	char addr[PEER_MAX], num[24];
	unsigned port = 0;
	int rc = 0;

	if (out_addr(d->from, d->fromlen, addr, &port) < 0)
		snprintf(addr, sizeof(addr), "?");
	if (d->from != NULL && d->from->sa_family == AF_UNIX) {
		rc |= env_add(env, n, "UDPCAT_PEER_PATH", addr);
		if (d->cred != NULL) {
			snprintf(num, sizeof(num), "%ld", (long)d->cred->pid);
			rc |= env_add(env, n, "UDPCAT_PEER_PID", num);
			snprintf(num, sizeof(num), "%ld", (long)d->cred->uid);
			rc |= env_add(env, n, "UDPCAT_PEER_UID", num);
		}
	} else {
		rc |= env_add(env, n, "UDPCAT_PEER_ADDR", addr);
		snprintf(num, sizeof(num), "%u", port);
		rc |= env_add(env, n, "UDPCAT_PEER_PORT", num);
		if (out_addr(d->to != NULL ? d->to :
		    (const struct sockaddr *)&local->ss, d->to == NULL ?
		    local->len : d->to->sa_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
		    addr, &port) < 0)
			snprintf(addr, sizeof(addr), "?");
		rc |= env_add(env, n, "UDPCAT_LOCAL_ADDR", addr);
		snprintf(num, sizeof(num), "%u", port);
		rc |= env_add(env, n, "UDPCAT_LOCAL_PORT", num);
	}
	snprintf(num, sizeof(num), "%zu", d->size);
	rc |= env_add(env, n, "UDPCAT_SIZE", num);
	return rc;
}

/* Our environment without UDPCAT_*, then the datagram's; NULL: no memory. */
static char **
make_env(const struct endpoint *local, const struct dgram *d, int *nnew)
{
	char **env;
	int n = 0, i, first;

	for (i = 0; environ[i] != NULL; i++)
		;
	if ((env = calloc((size_t)i + ENV_VARS + 1, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; environ[i] != NULL; i++)
		if (strncmp(environ[i], "UDPCAT_", 7) != 0)
			env[n++] = environ[i];
	first = n;
	if (env_peer(local, d, env, &n) == -1) {
		while (n > first)
			free(env[--n]);
		free(env);
		return NULL;
	}
	*nnew = n - first;
	return env;
}

static void
free_env(char **env, int nnew)
{
	int i;

	for (i = 0; env[i] != NULL; i++)
		;
	while (nnew-- > 0)
		free(env[--i]);
	free(env);
}

/* Pipes for the command: ours non-blocking, both close-on-exec. */
static int
make_pipes(int in[2], int out[2])
{
	if (pipe2(in, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(out, O_CLOEXEC) == -1) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	(void)fcntl(in[1], F_SETFL, O_NONBLOCK);
	(void)fcntl(out[0], F_SETFL, O_NONBLOCK);
	return 0;
}

/*
 * posix_spawn()s the command with in and out as its standard input and
 * output, every signal at its default and none blocked.  Returns 0 or
 * an errno value.
 */
static int
spawn(const struct cmdline *j, pid_t *pid, int in, int out, char **env)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, deflt;
	int rc;

	sigemptyset(&none);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGPIPE);
	sigaddset(&deflt, SIGINT);
	sigaddset(&deflt, SIGTERM);
	sigaddset(&deflt, SIGCHLD);
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		return rc;
	if ((rc = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	if ((rc = posix_spawn_file_actions_adddup2(&fa, in, 0)) == 0 &&
	    (rc = posix_spawn_file_actions_adddup2(&fa, out, 1)) == 0 &&
	    (rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF)) == 0 &&
	    (rc = posix_spawnattr_setsigmask(&at, &none)) == 0 &&
	    (rc = posix_spawnattr_setsigdefault(&at, &deflt)) == 0)
		rc = j->use_shell ?
		    posix_spawn(pid, "/bin/sh", &fa, &at, (char **)j->shell,
		    env) :
		    j->path != NULL ?
		    posix_spawn(pid, j->path, &fa, &at, j->argv, env) :
		    posix_spawnp(pid, j->argv[0], &fa, &at, j->argv, env);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}


int
cmdline_spawn(const struct cmdline *c, const struct dgram *d,
    const struct endpoint *local, pid_t *pid, int *in, int *out)
{
	int pin[2], pout[2], nnew = 0, rc;
	char **env;

	if (make_pipes(pin, pout) == -1)
		return errno;
	if ((env = make_env(local, d, &nnew)) == NULL)
		rc = ENOMEM;
	else {
		rc = spawn(c, pid, pin[0], pout[1], env);
		free_env(env, nnew);
	}
	close(pin[0]);
	close(pout[1]);
	if (rc != 0) {
		close(pin[1]);
		close(pout[0]);
		return rc;
	}
	*in = pin[1];
	*out = pout[0];
	return 0;
}
