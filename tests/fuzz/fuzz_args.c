/* fuzz_args.c: libFuzzer harness for udpcat's command line, in-process. */
#define ARGS_SHIM_NO_MACROS
#include "args_shim.h"

#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "udpcat.h"
#include "fuzz.h"

/*
 * The input is udpcat's argv[1..], the arguments separated by NUL bytes.
 * An argument that starts with byte 0x01 stands for a long one: the rest
 * of it (or "9") repeated to (next byte + 1) * 4 KiB, up to 1 MiB, for the
 * 64 KiB and 1 MiB arguments of RELIABILITY.md.
 *
 * main() runs in this process, from args_shim.h's renames: exit() comes
 * back here through longjmp(), and so does the first socket(), which is
 * where parsing ends and the network would begin.  No socket is ever
 * made, no name is looked up in the DNS, no file is written (the
 * --port-file comes after the socket), no signal handler is changed.
 */
#define MAX_ARGS	64
#define LONG_MARK	0x01
#define LONG_UNIT	4096
#define TRACK_MAX	1024

enum fuzz_end {
	RUN_RETURNED = 1,	/* main() returned a status */
	RUN_EXITED,		/* exit(status) */
	RUN_REACHED		/* the first socket(): options accepted */
};

static jmp_buf		 run_jmp;
static int		 in_run;
static int		 exit_status;
static void		*tracked[TRACK_MAX];
static size_t		 ntracked;

/* Notes an allocation made during a run, to free what a jump leaves. */
static void
track(void *p)
{
	if (in_run && p != NULL && ntracked < TRACK_MAX)
		tracked[ntracked++] = p;
}

static void
untrack(const void *p)
{
	size_t i;

	for (i = 0; i < ntracked; i++)
		if (tracked[i] == p) {
			tracked[i] = tracked[--ntracked];
			return;
		}
}

void *
fuzz_malloc(size_t n)
{
	void *p = malloc(n);

	track(p);
	return p;
}

void *
fuzz_calloc(size_t n, size_t m)
{
	void *p = calloc(n, m);

	track(p);
	return p;
}

void *
fuzz_realloc(void *p, size_t n)
{
	uintptr_t old = (uintptr_t)p;
	void *q;

	untrack(p);
	q = realloc(p, n);
	if (q != NULL)
		track(q);
	else if (n != 0)
		track((void *)old);	/* it failed: p is still there */
	return q;
}

int
fuzz_posix_memalign(void **p, size_t align, size_t n)
{
	int rc = posix_memalign(p, align, n);

	if (rc == 0)
		track(*p);
	return rc;
}

void
fuzz_free(void *p)
{
	untrack(p);
	free(p);
}

/* Goes back to the harness, as exit() would end the run. */
_Noreturn void
fuzz_exit(int status)
{
	if (!in_run)
		exit(status);
	exit_status = status;
	longjmp(run_jmp, RUN_EXITED);
}

/* The command would now open a socket: the options were accepted. */
int
fuzz_socket(int domain, int type, int protocol)
{
	(void)domain;
	(void)type;
	(void)protocol;
	if (!in_run) {
		errno = EPERM;
		return -1;
	}
	longjmp(run_jmp, RUN_REACHED);
}

/* Numeric hosts only: a name fails as an unresolvable one does. */
int
fuzz_getaddrinfo(const char *host, const char *serv,
    const struct addrinfo *hints, struct addrinfo **res)
{
	struct addrinfo h;

	if (hints != NULL)
		h = *hints;
	else {
		memset(&h, 0, sizeof(h));
		h.ai_family = AF_UNSPEC;
	}
	h.ai_flags |= AI_NUMERICHOST;
	return getaddrinfo(host, serv, &h, res);
}

int
fuzz_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	(void)sig;
	(void)act;
	if (old != NULL)
		memset(old, 0, sizeof(*old));
	return 0;
}

void
(*fuzz_signal(int sig, void (*handler)(int)))(int)
{
	(void)sig;
	(void)handler;
	return SIG_DFL;
}

/* Makes one argument from a piece of the input. */
static char *
make_arg(const uint8_t *p, size_t n)
{
	const uint8_t *unit;
	size_t len, ulen, i;
	char *s;

	if (n >= 2 && p[0] == LONG_MARK) {
		len = ((size_t)p[1] + 1) * LONG_UNIT;
		unit = n > 2 ? p + 2 : (const uint8_t *)"9";
		ulen = n > 2 ? n - 2 : 1;
		if ((s = malloc(len + 1)) == NULL)
			abort();
		for (i = 0; i < len; i++)
			s[i] = (char)unit[i % ulen];
		s[len] = '\0';
		return s;
	}
	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Is s (n bytes) exactly one line that starts "udpcat: "? */
static int
one_line(const char *s, size_t n)
{
	return n > 8 && memcmp(s, "udpcat: ", 8) == 0 && s[n - 1] == '\n' &&
	    memchr(s, '\n', n - 1) == NULL;
}

/* What one run of main() left: how it ended, and what it printed. */
struct outcome {
	int	 end;
	int	 status;
	char	*out;
	size_t	 outlen;
	char	*err;
	size_t	 errlen;
};

/* Runs main() on argv with standard output and error captured. */
static void
run_main(int argc, char **argv, struct outcome *oc)
{
	FILE *saved_out = stdout, *saved_err = stderr, *mout, *merr;
	static volatile int end;
	static int status;
	size_t i;

	memset(oc, 0, sizeof(*oc));
	mout = open_memstream(&oc->out, &oc->outlen);
	merr = open_memstream(&oc->err, &oc->errlen);
	FUZZ_CHECK(mout != NULL && merr != NULL);
	/* A fresh process: getopt from the start, no command named yet. */
	optind = 0;
	optopt = '?';
	opterr = 1;
	cmd_name = NULL;
	stdout = mout;
	stderr = merr;
	in_run = 1;
	if ((end = setjmp(run_jmp)) == 0) {
		status = udpcat_main(argc, argv);
		end = RUN_RETURNED;
	} else
		status = exit_status;
	in_run = 0;
	fflush(stdout);
	fflush(stderr);
	stdout = saved_out;
	stderr = saved_err;
	fclose(mout);
	fclose(merr);
	for (i = 0; i < ntracked; i++)
		free(tracked[i]);
	ntracked = 0;
	oc->end = end;
	oc->status = status;
}

/* The oracle: a documented status, and the words that go with it. */
static void
check_outcome(const struct outcome *oc, int argc, char **argv)
{
	int i, ok = 1;

	if (getenv("FUZZ_ARGS_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_args: end %d, status %d, %zu bytes out, "
		    "%zu bytes err: %.*s", oc->end, oc->status, oc->outlen,
		    oc->errlen, (int)(oc->errlen > 300 ? 300 : oc->errlen),
		    oc->err);
	switch (oc->end) {
	case RUN_REACHED:
		/* Accepted: nothing said yet, nothing written. */
		ok = oc->errlen == 0 && oc->outlen == 0;
		break;
	case RUN_RETURNED:
	case RUN_EXITED:
		if (oc->status == EXIT_OK)
			ok = oc->errlen == 0 && oc->outlen > 0;
		else if (oc->status == EXIT_RUNTIME ||
		    oc->status == EXIT_USAGE || oc->status == EXIT_TIMEOUT)
			ok = oc->outlen == 0 && one_line(oc->err, oc->errlen);
		else
			ok = 0;
		break;
	default:
		ok = 0;
	}
	if (ok)
		return;
	fprintf(stderr, "fuzz_args: end %d, status %d, %zu bytes out, "
	    "stderr:\n%.*s\nargv:", oc->end, oc->status, oc->outlen,
	    (int)(oc->errlen > 2000 ? 2000 : oc->errlen), oc->err);
	for (i = 0; i < argc; i++)
		fprintf(stderr, " '%.60s'", argv[i]);
	fprintf(stderr, "\n");
	FUZZ_CHECK(!"exit status and messages as documented");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *copy[MAX_ARGS + 1];
	struct outcome oc;
	const uint8_t *end;
	size_t start = 0, n;
	int argc = 1, i;

	argv[0] = copy[0] = make_arg((const uint8_t *)"udpcat", 6);
	while (start <= size && argc <= MAX_ARGS) {
		end = memchr(data + start, '\0', size - start);
		n = end != NULL ? (size_t)(end - (data + start)) : size - start;
		if (end == NULL && n == 0 && (argc > 1 || size == 0))
			break;
		argv[argc] = copy[argc] = make_arg(data + start, n);
		argc++;
		start += n + 1;
	}
	argv[argc] = NULL;
	run_main(argc, argv, &oc);
	/* getopt_long() may have permuted argv: name them as given. */
	check_outcome(&oc, argc, copy);
	free(oc.out);
	free(oc.err);
	for (i = 0; i < argc; i++)
		free(copy[i]);
	return 0;
}
