/* test_faults.c: udpcat's commands under injected system-call faults. */

/*
 * The system calls that udpcat makes are wrapped with the linker's
 * --wrap (see the Makefile rule for tests/test_faults): each wrapper
 * counts its calls and follows a script of rules ("call 3: fail with
 * EINTR", "every call: at most 2 messages", ...), and otherwise calls
 * the real function.  The rules apply only in a child process, once it
 * is armed: each case forks, runs cmd_send() or cmd_listen() there with
 * standard input, output and error on pipes, and the parent checks the
 * exit status, the exact standard error and the exact bytes of standard
 * output or of the datagrams that arrived.  Real UDP sockets on
 * 127.0.0.1, ports from binding port 0.  Every child runs under
 * alarm(10) and every wait of the parent is bounded.
 *
 * A listener's port is learnt at its first poll(): the wrapper writes it
 * to the parent, which sends the datagrams of the case and only then
 * lets the poll go on, so the datagrams wait in the socket (loopback
 * delivers within sendto()) and the calls that see them are known.
 *
 * Under valgrind, give it --log-file=FILE.%p: the children's reports
 * would otherwise land in the standard error that the tests compare.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "sock.h"
#include "udpcat.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define FOREVER		UINT_MAX	/* the last call of an open rule */
#define CHILD_ALARM	10		/* seconds a child may run */
#define PARENT_LIMIT	20		/* seconds the parent waits for one */
#define MAX_ARGS	16
#define MAX_RULES	8
#define MAX_DGRAMS	512
#define OUT_MAX		(8u << 20)	/* output kept of one run */

/* The wrapped functions, grouped by what they do. */
enum fn {
	FN_TX,		/* sendmmsg(), sendmsg(), sendto() */
	FN_RX,		/* recvmmsg(), recvfrom(), recvmsg() but for the
			   error queue */
	FN_WRITE,	/* write() to standard output */
	FN_POLL,	/* poll(), __poll_chk() */
	FN_ALLOC,	/* malloc(), calloc(), realloc() */
	FN_COUNT
};

enum act {
	ACT_ERR,	/* fail with err */
	ACT_CAP,	/* the real call, with at most arg messages or bytes */
	ACT_NOGSO,	/* sendmmsg: EINVAL for a message with UDP_SEGMENT */
	ACT_RAISE	/* raise(arg); then fail with err, or the real call */
};

/* From call first to call last (1-based, counted while armed). */
struct rule {
	unsigned	first;
	unsigned	last;
	enum act	act;
	int		err;
	size_t		arg;
};

/* What the wrappers do; set by the parent before fork(). */
struct script {
	int		armed;		/* only in the child */
	struct rule	rule[FN_COUNT][MAX_RULES];
	int		nrule[FN_COUNT];
	size_t		term_after;	/* poll: SIGTERM once stdout has this */
	int		report_fd;	/* counts go here at exit */
	int		sync_fd;	/* poll #1 writes the socket's port */
	int		ack_fd;		/* ... and waits for a byte here */
};

/* What the wrappers saw; the child writes it to the parent at exit. */
struct counts {
	unsigned	calls[FN_COUNT];
	unsigned	injected[FN_COUNT];
	size_t		out_bytes;	/* written to standard output */
	unsigned	tx_dgrams;	/* datagrams the kernel took */
	unsigned	gso_msgs;	/* messages with UDP_SEGMENT offered */
	unsigned	gso_refused;
	unsigned	gso_after;	/* UDP_SEGMENT offered after refusal */
	uint64_t	min_gap_ns;	/* least pause after EAGAIN, ENOBUFS */
	unsigned	gaps;		/* pauses measured */
	int		term_raised;
};

static struct script fs = { .report_fd = -1, .sync_fd = -1, .ack_fd = -1 };
static struct counts fc;
static uint64_t busy_since;	/* an EAGAIN or ENOBUFS was injected then */

/* Signal actions before cmocka installed its own, for the children. */
static const int crash_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGSYS,
    SIGABRT };
static struct sigaction crash_sa[NELEM(crash_sigs)];

int	__real_sendmmsg(int, struct mmsghdr *, unsigned int, int);
int	__wrap_sendmmsg(int, struct mmsghdr *, unsigned int, int);
ssize_t	__real_sendmsg(int, const struct msghdr *, int);
ssize_t	__wrap_sendmsg(int, const struct msghdr *, int);
ssize_t	__real_sendto(int, const void *, size_t, int, const struct sockaddr *,
	    socklen_t);
ssize_t	__wrap_sendto(int, const void *, size_t, int, const struct sockaddr *,
	    socklen_t);
int	__real_recvmmsg(int, struct mmsghdr *, unsigned int, int,
	    struct timespec *);
int	__wrap_recvmmsg(int, struct mmsghdr *, unsigned int, int,
	    struct timespec *);
ssize_t	__real_recvmsg(int, struct msghdr *, int);
ssize_t	__wrap_recvmsg(int, struct msghdr *, int);
ssize_t	__real_recvfrom(int, void *, size_t, int, struct sockaddr *,
	    socklen_t *);
ssize_t	__wrap_recvfrom(int, void *, size_t, int, struct sockaddr *,
	    socklen_t *);
ssize_t	__real_write(int, const void *, size_t);
ssize_t	__wrap_write(int, const void *, size_t);
ssize_t	__wrap_writev(int, const struct iovec *, int);
ssize_t	__real_writev(int, const struct iovec *, int);
int	__real_poll(struct pollfd *, nfds_t, int);
int	__wrap_poll(struct pollfd *, nfds_t, int);
int	__wrap___poll_chk(struct pollfd *, nfds_t, int, size_t);
int	__real_ppoll(struct pollfd *, nfds_t, const struct timespec *,
	    const sigset_t *);
int	__wrap_ppoll(struct pollfd *, nfds_t, const struct timespec *,
	    const sigset_t *);
int	__wrap___ppoll_chk(struct pollfd *, nfds_t, const struct timespec *,
	    const sigset_t *, size_t);
void	*__real_malloc(size_t);
void	*__wrap_malloc(size_t);
void	*__real_calloc(size_t, size_t);
void	*__wrap_calloc(size_t, size_t);
void	*__real_realloc(void *, size_t);
void	*__wrap_realloc(void *, size_t);
int	 __real_posix_memalign(void **, size_t, size_t);
int	 __wrap_posix_memalign(void **, size_t, size_t);

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The scripts. */

static void
script_reset(void)
{
	memset(&fs, 0, sizeof(fs));
	fs.report_fd = fs.sync_fd = fs.ack_fd = -1;
	memset(&fc, 0, sizeof(fc));
}

static void
rule_add(enum fn f, unsigned first, unsigned last, enum act act, int err,
    size_t arg)
{
	struct rule *r;

	assert_true(fs.nrule[f] < MAX_RULES);
	r = &fs.rule[f][fs.nrule[f]++];
	r->first = first;
	r->last = last;
	r->act = act;
	r->err = err;
	r->arg = arg;
}

/* Calls first to last of f fail with err. */
static void
fail_calls(enum fn f, unsigned first, unsigned last, int err)
{
	rule_add(f, first, last, ACT_ERR, err, 0);
}

/* The first rule that covers call n of f, or NULL. */
static const struct rule *
rule_for(enum fn f, unsigned n)
{
	int i;

	for (i = 0; i < fs.nrule[f]; i++)
		if (n >= fs.rule[f][i].first && n <= fs.rule[f][i].last)
			return &fs.rule[f][i];
	return NULL;
}

/*
 * Counts a call of f and returns its rule; for ACT_ERR and ACT_RAISE
 * with an err, *fail is set and errno holds the error to return.
 */
static const struct rule *
step(enum fn f, int *fail)
{
	const struct rule *r = rule_for(f, ++fc.calls[f]);

	*fail = 0;
	if (r == NULL || r->act == ACT_CAP || r->act == ACT_NOGSO)
		return r;
	fc.injected[f]++;
	if (r->act == ACT_RAISE)
		raise((int)r->arg);
	if (r->err != 0) {
		*fail = 1;
		errno = r->err;
	}
	return r;
}

/* Send wrappers. */

/* True when the message asks for UDP GSO. */
static int
has_gso(const struct msghdr *m)
{
	struct cmsghdr *c;

	if (m->msg_control == NULL)
		return 0;
	for (c = CMSG_FIRSTHDR(m); c != NULL;
	    c = CMSG_NXTHDR((struct msghdr *)m, c))
		if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_SEGMENT)
			return 1;
	return 0;
}

/* Measures the pause after an injected EAGAIN or ENOBUFS. */
static void
tx_gap(void)
{
	uint64_t gap;

	if (busy_since == 0)
		return;
	gap = mono_ns() - busy_since;
	if (fc.gaps++ == 0 || gap < fc.min_gap_ns)
		fc.min_gap_ns = gap;
	busy_since = 0;
}

static void
tx_failed(void)
{
	if (errno == EAGAIN || errno == ENOBUFS)
		busy_since = mono_ns();
}

int
__wrap_sendmmsg(int fd, struct mmsghdr *v, unsigned int vlen, int flags)
{
	const struct rule *r;
	unsigned i, gso = vlen;
	int fail, n;

	if (!fs.armed)
		return __real_sendmmsg(fd, v, vlen, flags);
	tx_gap();
	for (i = 0; i < vlen; i++)
		if (has_gso(&v[i].msg_hdr)) {
			fc.gso_msgs++;
			fc.gso_after += fc.gso_refused > 0;
			if (gso == vlen)
				gso = i;
		}
	r = step(FN_TX, &fail);
	if (fail) {
		tx_failed();
		return -1;
	}
	if (r != NULL && r->act == ACT_CAP && vlen > r->arg)
		vlen = (unsigned)r->arg;
	if (r != NULL && r->act == ACT_NOGSO && gso < vlen) {
		if (gso == 0) {
			fc.injected[FN_TX]++;
			fc.gso_refused++;
			errno = EINVAL;
			return -1;
		}
		vlen = gso;	/* those before it go; it fails next time */
	}
	if ((n = __real_sendmmsg(fd, v, vlen, flags)) > 0)
		for (i = 0; i < (unsigned)n; i++)
			fc.tx_dgrams += (unsigned)v[i].msg_hdr.msg_iovlen;
	return n;
}

/* A single datagram: as sendmmsg() of one, which it stands in for. */
ssize_t
__wrap_sendto(int fd, const void *buf, size_t len, int flags,
    const struct sockaddr *to, socklen_t tolen)
{
	ssize_t n;
	int fail;

	if (!fs.armed)
		return __real_sendto(fd, buf, len, flags, to, tolen);
	tx_gap();
	(void)step(FN_TX, &fail);
	if (fail) {
		tx_failed();
		return -1;
	}
	if ((n = __real_sendto(fd, buf, len, flags, to, tolen)) >= 0)
		fc.tx_dgrams++;
	return n;
}

ssize_t
__wrap_sendmsg(int fd, const struct msghdr *m, int flags)
{
	const struct rule *r;
	ssize_t n;
	int fail;

	if (!fs.armed)
		return __real_sendmsg(fd, m, flags);
	tx_gap();
	if (has_gso(m)) {
		fc.gso_msgs++;
		fc.gso_after += fc.gso_refused > 0;
	}
	r = step(FN_TX, &fail);
	if (fail) {
		tx_failed();
		return -1;
	}
	if (r != NULL && r->act == ACT_NOGSO && has_gso(m)) {
		fc.injected[FN_TX]++;
		fc.gso_refused++;
		errno = EINVAL;
		return -1;
	}
	if ((n = __real_sendmsg(fd, m, flags)) >= 0)
		fc.tx_dgrams += (unsigned)m->msg_iovlen;
	return n;
}

/* Receive wrappers. */

int
__wrap_recvmmsg(int fd, struct mmsghdr *v, unsigned int vlen, int flags,
    struct timespec *tmo)
{
	const struct rule *r;
	int fail;

	if (!fs.armed)
		return __real_recvmmsg(fd, v, vlen, flags, tmo);
	r = step(FN_RX, &fail);
	if (fail)
		return -1;
	if (r != NULL && r->act == ACT_CAP && vlen > r->arg)
		vlen = (unsigned)r->arg;
	return __real_recvmmsg(fd, v, vlen, flags, tmo);
}

/* One datagram a call: ACT_CAP means nothing here. */
ssize_t
__wrap_recvmsg(int fd, struct msghdr *m, int flags)
{
	int fail;

	/* The error queue is drained after sends: not a receive. */
	if (!fs.armed || (flags & MSG_ERRQUEUE))
		return __real_recvmsg(fd, m, flags);
	(void)step(FN_RX, &fail);
	if (fail)
		return -1;
	return __real_recvmsg(fd, m, flags);
}

/* The plain read of one datagram (sock_rx_plain()): as recvmsg(). */
ssize_t
__wrap_recvfrom(int fd, void *buf, size_t len, int flags,
    struct sockaddr *from, socklen_t *fromlen)
{
	int fail;

	if (!fs.armed)
		return __real_recvfrom(fd, buf, len, flags, from, fromlen);
	(void)step(FN_RX, &fail);
	if (fail)
		return -1;
	return __real_recvfrom(fd, buf, len, flags, from, fromlen);
}

/*
 * Standard output, or the printer's own description of it (a pipe is
 * opened anew, non-blocking): the same file.
 */
static int
is_stdout(int fd)
{
	struct stat a, b;

	if (fd == STDOUT_FILENO)
		return 1;
	return fstat(fd, &a) == 0 && fstat(STDOUT_FILENO, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino &&
	    !S_ISCHR(a.st_mode);
}

ssize_t
__wrap_write(int fd, const void *buf, size_t len)
{
	const struct rule *r;
	ssize_t n;
	int fail;

	if (!fs.armed || !is_stdout(fd))
		return __real_write(fd, buf, len);
	r = step(FN_WRITE, &fail);
	if (fail)
		return -1;
	if (r != NULL && r->act == ACT_CAP && len > r->arg)
		len = r->arg;
	if ((n = __real_write(fd, buf, len)) > 0)
		fc.out_bytes += (size_t)n;
	return n;
}

/*
 * Standard output as the printer writes it: a list of pieces.  ACT_CAP
 * cuts the list after that many bytes, as a short write would.
 */
ssize_t
__wrap_writev(int fd, const struct iovec *iov, int cnt)
{
	struct iovec cut[1024];
	const struct rule *r;
	size_t room;
	ssize_t n;
	int fail, i;

	if (!fs.armed || !is_stdout(fd))
		return __real_writev(fd, iov, cnt);
	r = step(FN_WRITE, &fail);
	if (fail)
		return -1;
	if (r != NULL && r->act == ACT_CAP && cnt <= 1024) {
		room = r->arg;
		for (i = 0; i < cnt && room > 0; i++) {
			cut[i] = iov[i];
			if (cut[i].iov_len > room)
				cut[i].iov_len = room;
			room -= cut[i].iov_len;
		}
		iov = cut;
		cnt = i;
	}
	if ((n = __real_writev(fd, iov, cnt)) > 0)
		fc.out_bytes += (size_t)n;
	return n;
}

/* Poll. */

/* Tells the parent the port of the socket polled, and waits for it. */
static void
sync_port(const struct pollfd *fds, nfds_t n)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	unsigned char port[2] = { 0, 0 };
	char ack;

	if (n > 0 && getsockname(fds[0].fd, (struct sockaddr *)&ss,
	    &len) == 0 && ss.ss_family == AF_INET)
		memcpy(port, &((struct sockaddr_in *)&ss)->sin_port, 2);
	(void)__real_write(fs.sync_fd, port, sizeof(port));
	while (read(fs.ack_fd, &ack, 1) == -1 && errno == EINTR)
		continue;
	close(fs.sync_fd);
	close(fs.ack_fd);
	fs.sync_fd = fs.ack_fd = -1;
}

int
__wrap_poll(struct pollfd *fds, nfds_t n, int ms)
{
	int fail;

	if (!fs.armed)
		return __real_poll(fds, n, ms);
	if (fs.sync_fd >= 0)
		sync_port(fds, n);
	if (fs.term_after > 0 && !fc.term_raised &&
	    fc.out_bytes >= fs.term_after) {
		fc.term_raised = 1;
		fc.calls[FN_POLL]++;
		raise(SIGTERM);
		errno = EINTR;
		return -1;
	}
	(void)step(FN_POLL, &fail);
	if (fail)
		return -1;
	return __real_poll(fds, n, ms);
}

/* With _FORTIFY_SOURCE, poll() on a local array becomes __poll_chk(). */
int
__wrap___poll_chk(struct pollfd *fds, nfds_t n, int ms, size_t fdslen)
{
	(void)fdslen;
	return __wrap_poll(fds, n, ms);
}

/*
 * udpcat waits in ppoll(), which lets SIGINT and SIGTERM in; the same
 * script as poll().  A SIGTERM raised here stays pending (udpcat holds
 * it back) until the real ppoll() lets it in.
 */
int
__wrap_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
    const sigset_t *mask)
{
	int fail;

	if (!fs.armed)
		return __real_ppoll(fds, n, ts, mask);
	if (fs.sync_fd >= 0 && n > 0)
		sync_port(fds, n);
	if (fs.term_after > 0 && !fc.term_raised &&
	    fc.out_bytes >= fs.term_after) {
		fc.term_raised = 1;
		fc.calls[FN_POLL]++;
		raise(SIGTERM);
		errno = EINTR;
		return -1;
	}
	/* Pacing sleeps (no descriptors) are not waits for input. */
	if (n > 0) {
		(void)step(FN_POLL, &fail);
		if (fail)
			return -1;
	}
	return __real_ppoll(fds, n, ts, mask);
}

int
__wrap___ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
    const sigset_t *mask, size_t fdslen)
{
	(void)fdslen;
	return __wrap_ppoll(fds, n, ts, mask);
}

/* Allocation. */

void *
__wrap_malloc(size_t size)
{
	int fail;

	if (!fs.armed)
		return __real_malloc(size);
	(void)step(FN_ALLOC, &fail);
	return fail ? NULL : __real_malloc(size);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	int fail;

	if (!fs.armed)
		return __real_calloc(n, size);
	(void)step(FN_ALLOC, &fail);
	return fail ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t size)
{
	int fail;

	if (!fs.armed)
		return __real_realloc(p, size);
	(void)step(FN_ALLOC, &fail);
	return fail ? NULL : __real_realloc(p, size);
}

int
__wrap_posix_memalign(void **p, size_t align, size_t size)
{
	int fail;

	if (!fs.armed)
		return __real_posix_memalign(p, align, size);
	(void)step(FN_ALLOC, &fail);
	return fail ? ENOMEM : __real_posix_memalign(p, align, size);
}

/* Running a command in a child. */

struct blob {
	const char	*p;
	size_t		 n;
};

#define B(s)	{ (s), sizeof(s) - 1 }

struct run {
	int		(*fn)(int, char **);
	const char	*argv[MAX_ARGS];	/* argv[0]: the command */
	const char	*in;		/* standard input; NULL: /dev/null */
	size_t		 inlen;
	const struct blob *feed;	/* sent to the socket the child polls */
	unsigned	 nfeed;
	int		 close_fd;	/* the parent's, not for the child */
	int		 echo;		/* answer close_fd's datagrams */
	/* The outcome. */
	int		 exited;	/* else killed by signal status */
	int		 status;
	char		*out;
	size_t		 outlen;
	char		*err;
	size_t		 errlen;
	struct counts	 c;
	int		 have_counts;
};

/*
 * The output of the last run, kept here rather than in the test's frame
 * so that a failed check (which jumps out of the test) leaks nothing that
 * later children would inherit and LeakSanitizer would report in them.
 */
static char	*last_out, *last_err;
static size_t	 last_outlen, last_errlen;

/* The sink open now, closed by the next sink_open() if a test failed. */
static int	 sink_fd = -1;

static void
report_counts(void)
{
	if (fs.report_fd >= 0) {
		(void)__real_write(fs.report_fd, &fc, sizeof(fc));
		close(fs.report_fd);
		fs.report_fd = -1;
	}
	if (fs.sync_fd >= 0) {		/* never polled */
		close(fs.sync_fd);
		close(fs.ack_fd);
		fs.sync_fd = fs.ack_fd = -1;
	}
}

/*
 * In the child: takes fds[0..2] as standard input, output and error,
 * closes the parent's ends (each given as -1 when there is none), and
 * becomes the command; never returns.
 */
static void __attribute__((noreturn))
child(struct run *r, const int std[3], const int theirs[], size_t ntheirs,
    int report, int sync, int ack)
{
	sigset_t all;
	size_t i;
	int argc;

	for (i = 0; i < 3; i++)
		if (dup2(std[i], (int)i) == -1)
			_exit(120);
	for (i = 0; i < 3; i++)
		if (std[i] > 2)
			close(std[i]);
	for (i = 0; i < ntheirs; i++)
		if (theirs[i] >= 0)
			close(theirs[i]);
	if (r->close_fd >= 0)
		close(r->close_fd);
	for (i = 0; i < NELEM(crash_sigs); i++)
		sigaction(crash_sigs[i], &crash_sa[i], NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	alarm(CHILD_ALARM);

	fs.report_fd = report;
	fs.sync_fd = sync;
	fs.ack_fd = ack;
	atexit(report_counts);
	for (argc = 0; r->argv[argc] != NULL; argc++)
		continue;
	cmd_name = r->argv[0];
	fs.armed = 1;
	exit(r->fn(argc, (char **)r->argv));
}

/* Appends what fd has to *buf; closes it at end of file. */
static void
slurp(int *fd, char **buf, size_t *len)
{
	char tmp[65536], *p;
	ssize_t n;

	n = read(*fd, tmp, sizeof(tmp));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0 || *len + (size_t)n > OUT_MAX) {
		close(*fd);
		*fd = -1;
		return;
	}
	if ((p = realloc(*buf, *len + (size_t)n + 1)) == NULL)
		abort();
	*buf = p;
	memcpy(*buf + *len, tmp, (size_t)n);
	*len += (size_t)n;
	(*buf)[*len] = '\0';
}

/* Reads the counts the child reports at exit into c; *n: bytes so far. */
static void
read_counts(int *fd, struct counts *c, size_t *n)
{
	ssize_t r;

	r = read(*fd, (char *)c + *n, sizeof(*c) - *n);
	if (r == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	*n += (size_t)r;
	if (*n == sizeof(*c)) {
		close(*fd);
		*fd = -1;
	}
}

/* Sends the feed datagrams to 127.0.0.1:port from a socket of ours. */
static void
feed_listener(const struct run *r, const unsigned char port[2])
{
	struct sockaddr_in sin;
	unsigned i;
	int s;

	if (port[0] == 0 && port[1] == 0)
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memcpy(&sin.sin_port, port, 2);
	assert_true((s = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	for (i = 0; i < r->nfeed; i++)
		assert_int_equal(sendto(s, r->feed[i].p, r->feed[i].n, 0,
		    (struct sockaddr *)&sin, sizeof(sin)),
		    (ssize_t)r->feed[i].n);
	close(s);
}

/* Answers a datagram waiting on fd with "re:" and the datagram. */
static void
answer(int fd)
{
	struct sockaddr_storage from;
	socklen_t len = sizeof(from);
	char buf[1024];
	ssize_t n;

	memcpy(buf, "re:", 3);
	if ((n = recvfrom(fd, buf + 3, sizeof(buf) - 3, MSG_DONTWAIT,
	    (struct sockaddr *)&from, &len)) < 0)
		return;
	(void)sendto(fd, buf, (size_t)n + 3, 0, (struct sockaddr *)&from,
	    len);
}

static int
pipe_nb(int p[2], int nonblock_end)
{
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if (nonblock_end >= 0)
		fcntl(p[nonblock_end], F_SETFL, O_NONBLOCK);
	return 0;
}

/* Feeds, collects and reaps the child; all within PARENT_LIMIT. */
static void
collect(struct run *r, pid_t pid, int inw, int outr, int errr, int repr,
    int syncr, int ackw)
{
	uint64_t deadline = mono_ns() + PARENT_LIMIT * 1000000000ull;
	size_t inoff = 0, replen = 0;
	unsigned char port[2];
	struct pollfd p[6];
	int *fdp[6], echo = r->echo ? r->close_fd : -1, k, i, st;
	ssize_t n;

	while (outr >= 0 || errr >= 0 || repr >= 0) {
		k = 0;
		if (inw >= 0) {
			p[k].fd = inw;
			p[k].events = POLLOUT;
			fdp[k++] = &inw;
		}
		if (syncr >= 0) {
			p[k].fd = syncr;
			p[k].events = POLLIN;
			fdp[k++] = &syncr;
		}
		if (echo >= 0) {
			p[k].fd = echo;
			p[k].events = POLLIN;
			fdp[k++] = &echo;
		}
		p[k].fd = outr;
		p[k].events = POLLIN;
		fdp[k++] = &outr;
		p[k].fd = errr;
		p[k].events = POLLIN;
		fdp[k++] = &errr;
		p[k].fd = repr;
		p[k].events = POLLIN;
		fdp[k++] = &repr;
		if (mono_ns() > deadline) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, &st, 0);
			fail_msg("the child did not finish in %d s",
			    PARENT_LIMIT);
		}
		if (poll(p, (nfds_t)k, 200) <= 0)
			continue;
		for (i = 0; i < k; i++) {
			if (p[i].revents == 0 || p[i].fd < 0)
				continue;
			if (fdp[i] == &inw) {
				n = write(inw, r->in + inoff, r->inlen - inoff);
				if (n > 0)
					inoff += (size_t)n;
				if ((n == -1 && errno != EAGAIN &&
				    errno != EINTR) || inoff == r->inlen) {
					close(inw);
					inw = -1;
				}
			} else if (fdp[i] == &syncr) {
				if (read(syncr, port, 2) == 2) {
					feed_listener(r, port);
					n = write(ackw, "", 1);
					assert_int_equal(n, 1);
				}
				close(syncr);
				close(ackw);
				syncr = ackw = -1;
			} else if (fdp[i] == &echo)
				answer(echo);
			else if (fdp[i] == &outr)
				slurp(&outr, &last_out, &last_outlen);
			else if (fdp[i] == &errr)
				slurp(&errr, &last_err, &last_errlen);
			else
				read_counts(&repr, &r->c, &replen);
		}
	}
	if (inw >= 0)
		close(inw);
	if (syncr >= 0)
		close(syncr);
	if (ackw >= 0)
		close(ackw);
	while (waitpid(pid, &st, 0) == -1)
		assert_int_equal(errno, EINTR);
	r->exited = WIFEXITED(st);
	r->status = r->exited ? WEXITSTATUS(st) : WTERMSIG(st);
	r->have_counts = replen == sizeof(r->c);
	r->out = last_out;
	r->outlen = last_outlen;
	r->err = last_err;
	r->errlen = last_errlen;
}

/* Runs r->fn(r->argv) in a child under the current script. */
static void
run(struct run *r)
{
	int in[2], out[2], err[2], rep[2], syn[2] = { -1, -1 },
	    ack[2] = { -1, -1 };
	pid_t pid;

	free(last_out);
	free(last_err);
	last_out = last_err = NULL;
	last_outlen = last_errlen = 0;
	r->out = r->err = NULL;
	r->outlen = r->errlen = 0;
	memset(&r->c, 0, sizeof(r->c));
	if (r->in != NULL)
		assert_int_equal(pipe_nb(in, 1), 0);
	else {
		assert_true((in[0] = open("/dev/null", O_RDONLY |
		    O_CLOEXEC)) >= 0);
		in[1] = -1;
	}
	assert_int_equal(pipe_nb(out, 0), 0);
	assert_int_equal(pipe_nb(err, 0), 0);
	assert_int_equal(pipe_nb(rep, 0), 0);
	if (r->feed != NULL) {
		assert_int_equal(pipe_nb(syn, 0), 0);
		assert_int_equal(pipe_nb(ack, -1), 0);
	}
	fflush(stdout);
	fflush(stderr);
	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		int std[3] = { in[0], out[1], err[1] };
		int theirs[] = { in[1], out[0], err[0], rep[0], syn[0],
		    ack[1] };

		child(r, std, theirs, NELEM(theirs), rep[1], syn[1], ack[0]);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	close(rep[1]);
	if (r->feed != NULL) {
		close(syn[1]);
		close(ack[0]);
	}
	collect(r, pid, in[1], out[0], err[0], rep[0], syn[0], ack[1]);
}

/* Releases the output of the last run. */
static int
teardown(void **state)
{
	(void)state;
	free(last_out);
	free(last_err);
	last_out = last_err = NULL;
	last_outlen = last_errlen = 0;
	if (sink_fd >= 0)
		close(sink_fd);
	sink_fd = -1;
	return 0;
}

/* Checks of a run. */

/* The expect_*() checks report the line of the test that called them. */
#define expect_status(r, st)	expect_status_at((r), (st), __FILE__, __LINE__)
#define expect_stderr(r, w)	expect_stderr_at((r), (w), __FILE__, __LINE__)
#define expect_stdout(r, w, n)	expect_stdout_at((r), (w), (n), __FILE__, \
				    __LINE__)
#define sink_expect(s, w, n)	sink_expect_at((s), (w), (n), __FILE__, \
				    __LINE__)

/* Prints a failure and fails the test at file:line. */
static void __attribute__((format(printf, 3, 4), noreturn))
fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char msg[4096];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_error("%s\n", msg);
	_fail(file, line);
	abort();	/* not reached: _fail() jumps out of the test */
}

static void
expect_status_at(const struct run *r, int status, const char *file, int line)
{
	if (!r->exited)
		fail_at(file, line, "killed by signal %d (wanted exit %d); "
		    "stderr: %s", r->status, status,
		    r->err != NULL ? r->err : "");
	if (r->status != status)
		fail_at(file, line, "exit status %d, wanted %d; stderr: %s",
		    r->status, status, r->err != NULL ? r->err : "");
	if (!r->have_counts)
		fail_at(file, line, "the child sent no counts");
}

static void
expect_stderr_at(const struct run *r, const char *want, const char *file,
    int line)
{
	const char *got = r->err != NULL ? r->err : "";

	if (r->errlen != strlen(want) || memcmp(got, want, r->errlen) != 0)
		fail_at(file, line, "standard error:\n%s\nwanted:\n%s", got,
		    want);
}

static void
expect_stdout_at(const struct run *r, const void *want, size_t n,
    const char *file, int line)
{
	if (r->outlen != n || (n > 0 && memcmp(r->out, want, n) != 0))
		fail_at(file, line, "standard output: %zu bytes '%.*s', wanted "
		    "%zu '%.*s'", r->outlen,
		    (int)(r->outlen < 200 ? r->outlen : 200),
		    r->out != NULL ? r->out : "", n, (int)(n < 200 ? n : 200),
		    (const char *)want);
}

/* The datagrams that reach one of our sockets. */

struct sink {
	int	fd;
	char	port[8];
	char	peer[32];	/* "127.0.0.1:PORT", as udpcat names it */
};

static void
sink_open(struct sink *s)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int size = 4 << 20;

	if (sink_fd >= 0)
		close(sink_fd);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC,
	    0)) >= 0);
	(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	sink_fd = s->fd;
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&sin, &len),
	    0);
	snprintf(s->port, sizeof(s->port), "%u", ntohs(sin.sin_port));
	snprintf(s->peer, sizeof(s->peer), "127.0.0.1:%s", s->port);
}

/* Reads every datagram waiting; returns how many, kept in got. */
static unsigned
sink_read(struct sink *s, char got[][72], size_t *len, unsigned max)
{
	char buf[65536];
	unsigned n = 0;
	ssize_t r;

	while ((r = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0 ||
	    errno == EINTR) {
		if (r < 0)
			continue;
		if (n < max) {
			len[n] = (size_t)r;
			memcpy(got[n], buf, (size_t)r < 72 ? (size_t)r : 72);
		}
		n++;
	}
	return n;
}

/* Every datagram of want arrived, once, in order, and nothing else. */
static void
sink_expect_at(struct sink *s, const char *const *want, unsigned nwant,
    const char *file, int line)
{
	static char got[MAX_DGRAMS][72];
	static size_t len[MAX_DGRAMS];
	unsigned n, i;

	n = sink_read(s, got, len, MAX_DGRAMS);
	for (i = 0; i < n && i < nwant; i++)
		if (len[i] != strlen(want[i]) ||
		    memcmp(got[i], want[i], len[i]) != 0)
			fail_at(file, line, "datagram %u is '%.*s', wanted "
			    "'%s'", i + 1,
			    (int)(len[i] < 72 ? len[i] : 72), got[i], want[i]);
	if (n != nwant)
		fail_at(file, line, "%u datagrams arrived, wanted %u", n,
		    nwant);
}

static void
sink_close(struct sink *s)
{
	close(s->fd);
	sink_fd = -1;
}

/* Prepares r as "send 127.0.0.1 PORT args..." to the sink. */
static void
send_run(struct run *r, struct sink *s, const char *const *args,
    unsigned nargs)
{
	unsigned i;

	memset(r, 0, sizeof(*r));
	r->fn = cmd_send;
	r->close_fd = s->fd;
	r->argv[0] = "send";
	r->argv[1] = "127.0.0.1";
	r->argv[2] = s->port;
	assert_true(nargs + 4 <= MAX_ARGS);
	for (i = 0; i < nargs; i++)
		r->argv[3 + i] = args[i];
}

/* Five datagrams of different sizes: one message each, never GSO. */
static const char *const five[] = { "a", "bb", "ccc", "dddd", "eeeee" };

/* sendmmsg() and sendmsg(). */

/*
 * EAGAIN and ENOBUFS, 50 calls each: every datagram goes once, in order,
 * and udpcat pauses before each retry instead of spinning.
 */
static void
test_send_eagain_enobufs(void **state)
{
	struct sink s;
	struct run r;

	(void)state;
	script_reset();
	fail_calls(FN_TX, 1, 50, EAGAIN);
	fail_calls(FN_TX, 51, 100, ENOBUFS);
	sink_open(&s);
	send_run(&r, &s, five, NELEM(five));
	run(&r);
	expect_status(&r, EXIT_OK);
	expect_stderr(&r, "");
	expect_stdout(&r, "", 0);
	sink_expect(&s, five, NELEM(five));
	assert_int_equal(r.c.injected[FN_TX], 100);
	/* One more call sends the batch; one per datagram without mmsg. */
	assert_int_equal(r.c.calls[FN_TX], 100 + (SOCK_BATCHED ? 1 : 5));
	assert_int_equal(r.c.gaps, 100);
	if (r.c.min_gap_ns < 500000)
		fail_msg("retried %llu ns after EAGAIN/ENOBUFS: a busy loop",
		    (unsigned long long)r.c.min_gap_ns);
	sink_close(&s);
}

/* EINTR without a signal: retried at once, nothing lost or doubled. */
static void
test_send_eintr(void **state)
{
	struct sink s;
	struct run r;

	(void)state;
	script_reset();
	rule_add(FN_TX, 2, 2, ACT_ERR, EINTR, 0);
	rule_add(FN_TX, 4, 5, ACT_ERR, EINTR, 0);
	rule_add(FN_TX, 1, FOREVER, ACT_CAP, 0, 2);
	sink_open(&s);
	send_run(&r, &s, five, NELEM(five));
	run(&r);
	expect_status(&r, EXIT_OK);
	expect_stderr(&r, "");
	sink_expect(&s, five, NELEM(five));
	assert_int_equal(r.c.injected[FN_TX], 3);
	/* 2 + 2 + 1 datagrams, or one per call. */
	assert_int_equal(r.c.calls[FN_TX], 3 + (SOCK_BATCHED ? 3 : 5));
	sink_close(&s);
}

/*
 * ECONNREFUSED (an earlier datagram's ICMP port unreachable) from two
 * sends: each refused datagram is sent again, all arrive, one warning,
 * exit 1.
 */
static void
test_send_econnrefused(void **state)
{
	char warn[160];
	struct sink s;
	struct run r;

	(void)state;
	script_reset();
	fail_calls(FN_TX, 2, 2, ECONNREFUSED);
	fail_calls(FN_TX, 4, 4, ECONNREFUSED);
	rule_add(FN_TX, 1, FOREVER, ACT_CAP, 0, 1);
	sink_open(&s);
	send_run(&r, &s, five, NELEM(five));
	run(&r);
	snprintf(warn, sizeof(warn), "udpcat: send: warning: %s refused a "
	    "datagram: port unreachable (nothing listens there)\n", s.peer);
	expect_status(&r, EXIT_RUNTIME);
	expect_stderr(&r, warn);
	sink_expect(&s, five, NELEM(five));
	assert_int_equal(r.c.calls[FN_TX], 7);
	sink_close(&s);
}

/* A fatal send error: exit 1 with the line given; before it, one went. */
struct fatal_case {
	int		 err;
	const char	*before;	/* the line before the peer */
	const char	*after;		/* and after it */
};

static const struct fatal_case fatal_cases[] = {
	{ EMSGSIZE, "udpcat: send: cannot send a datagram of 2 bytes to ",
	    ": Message too long\n" },
	{ ENETUNREACH, "udpcat: send: cannot send to ",
	    ": Network is unreachable\n" },
	{ EHOSTUNREACH, "udpcat: send: cannot send to ",
	    ": No route to host\n" },
	{ EACCES, "udpcat: send: cannot send to '", "': it is a broadcast "
	    "address (use --broadcast or 'udpcat broadcast')\n" },
	{ EPERM, "udpcat: send: cannot send to ",
	    ": Operation not permitted\n" },
};

static void
test_send_fatal(void **state)
{
	char want[256];
	struct sink s;
	struct run r;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(fatal_cases); i++) {
		script_reset();
		rule_add(FN_TX, 1, 1, ACT_CAP, 0, 1);
		fail_calls(FN_TX, 2, FOREVER, fatal_cases[i].err);
		sink_open(&s);
		send_run(&r, &s, five, NELEM(five));
		run(&r);
		snprintf(want, sizeof(want), "%s%s%s", fatal_cases[i].before,
		    s.peer, fatal_cases[i].after);
		expect_status(&r, EXIT_RUNTIME);
		expect_stderr(&r, want);
		expect_stdout(&r, "", 0);
		sink_expect(&s, five, 1);
		/* Given up at once: no retry of a hard error. */
		assert_int_equal(r.c.calls[FN_TX], 2);
		sink_close(&s);
	}
}

/* The records of test_send_partial: runs of equal sizes and odd ones. */
static char partial_rec[150][8];
static const char *partial_want[150];

/*
 * sendmmsg() taking fewer messages than offered (1, 2, 3 or 7): the rest
 * go in the next call; none lost or doubled, across batches and GSO runs.
 */
static void
test_send_partial(void **state)
{
	static const size_t caps[] = { 1, 2, 3, 7 };
	char in[150 * 8];
	size_t i, inlen = 0;
	struct sink s;
	struct run r;

	(void)state;
	for (i = 0; i < NELEM(partial_rec); i++) {
		snprintf(partial_rec[i], sizeof(partial_rec[i]), "r%zu", i);
		partial_want[i] = partial_rec[i];
		inlen += (size_t)sprintf(in + inlen, "%s\n", partial_rec[i]);
	}
	for (i = 0; i < NELEM(caps); i++) {
		script_reset();
		rule_add(FN_TX, 1, FOREVER, ACT_CAP, 0, caps[i]);
		sink_open(&s);
		send_run(&r, &s, NULL, 0);
		r.in = in;
		r.inlen = inlen;
		run(&r);
		expect_status(&r, EXIT_OK);
		expect_stderr(&r, "");
		sink_expect(&s, partial_want, NELEM(partial_want));
		assert_int_equal(r.c.tx_dgrams, NELEM(partial_want));
		sink_close(&s);
	}
}

/* Equal-sized lines, so that udpcat offers them as one GSO send. */
static char gso_rec[100][8];
static const char *gso_want[100];

/*
 * A kernel without UDP GSO (EINVAL for a message with UDP_SEGMENT):
 * the datagrams are sent again one by one, each exactly once, and GSO
 * is not offered again.
 */
static void
test_send_gso_refused(void **state)
{
	static const char *const mixed[] = { "x", "y001", "y002", "y003",
	    "y004", "y005", "z" };
	char in[100 * 9 + 1];
	size_t i, inlen = 0;
	struct sink s;
	struct run r;

	(void)state;
	if (!SOCK_BATCHED)
		skip();
	for (i = 0; i < NELEM(gso_rec); i++) {
		snprintf(gso_rec[i], sizeof(gso_rec[i]), "line%03zu", i);
		gso_want[i] = gso_rec[i];
		inlen += (size_t)sprintf(in + inlen, "%s\n", gso_rec[i]);
	}
	script_reset();
	rule_add(FN_TX, 1, FOREVER, ACT_NOGSO, 0, 0);
	sink_open(&s);
	send_run(&r, &s, NULL, 0);
	r.in = in;
	r.inlen = inlen;
	run(&r);
	expect_status(&r, EXIT_OK);
	expect_stderr(&r, "");
	sink_expect(&s, gso_want, NELEM(gso_want));
	assert_true(r.c.gso_msgs >= 1);
	assert_int_equal(r.c.gso_refused, 1);
	assert_int_equal(r.c.gso_after, 0);
	assert_int_equal(r.c.tx_dgrams, NELEM(gso_want));
	sink_close(&s);

	/* A plain message first: it goes, then the GSO one is refused. */
	script_reset();
	rule_add(FN_TX, 1, FOREVER, ACT_NOGSO, 0, 0);
	sink_open(&s);
	send_run(&r, &s, mixed, NELEM(mixed));
	run(&r);
	expect_status(&r, EXIT_OK);
	expect_stderr(&r, "");
	sink_expect(&s, mixed, NELEM(mixed));
	assert_int_equal(r.c.gso_refused, 1);
	assert_int_equal(r.c.tx_dgrams, NELEM(mixed));
	sink_close(&s);
}

/*
 * EMSGSIZE for a GSO send, then for the datagram alone: the fallback
 * must not loop; exit 1 naming the datagram's real size.
 */
static void
test_send_gso_emsgsize(void **state)
{
	static const char *const recs[] = { "m001", "m002", "m003", "m004" };
	char want[160];
	struct sink s;
	struct run r;

	(void)state;
	if (!SOCK_BATCHED)
		skip();
	script_reset();
	fail_calls(FN_TX, 1, FOREVER, EMSGSIZE);
	sink_open(&s);
	send_run(&r, &s, recs, NELEM(recs));
	run(&r);
	snprintf(want, sizeof(want), "udpcat: send: cannot send a datagram of "
	    "4 bytes to %s: Message too long\n", s.peer);
	expect_status(&r, EXIT_RUNTIME);
	expect_stderr(&r, want);
	sink_expect(&s, recs, 0);
	assert_int_equal(r.c.gso_msgs, 1);
	assert_int_equal(r.c.calls[FN_TX], 2);
	sink_close(&s);
}

/*
 * SIGINT arriving while a send waits (EINTR): the datagrams before it
 * went whole, nothing after it, exit 130, nothing on standard error.
 */
static void
test_send_sigint(void **state)
{
	struct sink s;
	struct run r;

	(void)state;
	script_reset();
	rule_add(FN_TX, 3, 3, ACT_RAISE, EINTR, SIGINT);
	rule_add(FN_TX, 1, FOREVER, ACT_CAP, 0, 1);
	sink_open(&s);
	send_run(&r, &s, five, NELEM(five));
	run(&r);
	expect_status(&r, EXIT_SIGNAL + SIGINT);
	expect_stderr(&r, "");
	sink_expect(&s, five, 2);
	assert_int_equal(r.c.calls[FN_TX], 3);
	sink_close(&s);
}

/* Replies: "send -w 5s -n 1 127.0.0.1 PORT ping", answered "re:ping". */
static void
reply_run(struct run *r, struct sink *s)
{
	static const char *const argv[] = { "send", "-w", "5s", "-n", "1",
	    "127.0.0.1", NULL, "ping" };
	size_t i;

	memset(r, 0, sizeof(*r));
	r->fn = cmd_send;
	r->close_fd = s->fd;
	r->echo = 1;
	for (i = 0; i < NELEM(argv); i++)
		r->argv[i] = argv[i] != NULL ? argv[i] : s->port;
}

/* EINTR from the receive and the poll() of the wait: the reply shows. */
static void
test_send_reply_eintr(void **state)
{
	struct sink s;
	struct run r;

	(void)state;
	script_reset();
	fail_calls(FN_RX, 1, 3, EINTR);
	fail_calls(FN_POLL, 1, 2, EINTR);
	sink_open(&s);
	reply_run(&r, &s);
	run(&r);
	expect_status(&r, EXIT_OK);
	expect_stderr(&r, "");
	expect_stdout(&r, "re:ping\n", 8);
	assert_int_equal(r.c.injected[FN_RX], 3);
	sink_close(&s);
}

/*
 * ECONNREFUSED from a receive while waiting for replies (the ICMP of
 * a closed port): the wait ends at once, one warning, exit 1.
 */
static void
test_send_reply_refused(void **state)
{
	char warn[160];
	struct sink s;
	struct run r;

	(void)state;
	script_reset();
	fail_calls(FN_RX, 1, FOREVER, ECONNREFUSED);
	sink_open(&s);
	reply_run(&r, &s);
	r.echo = 0;
	run(&r);
	snprintf(warn, sizeof(warn), "udpcat: send: warning: %s refused a "
	    "datagram: port unreachable (nothing listens there)\n", s.peer);
	expect_status(&r, EXIT_RUNTIME);
	expect_stderr(&r, warn);
	expect_stdout(&r, "", 0);
	assert_true(r.c.calls[FN_RX] <= 2);
	sink_close(&s);
}

/* ENOMEM from a receive while waiting for replies: exit 1, the reason. */
static void
test_send_reply_enomem(void **state)
{
	struct sink s;
	struct run r;

	(void)state;
	script_reset();
	fail_calls(FN_RX, 1, FOREVER, ENOMEM);
	sink_open(&s);
	reply_run(&r, &s);
	run(&r);
	expect_status(&r, EXIT_RUNTIME);
	expect_stderr(&r, "udpcat: send: cannot receive: Cannot allocate "
	    "memory\n");
	expect_stdout(&r, "", 0);
	sink_close(&s);
}

/* recvmmsg() and recvmsg(), through listen. */

/* Prepares r as "listen -n N --timeout 5s ARGS 127.0.0.1 0", fed. */
static void
listen_run(struct run *r, const struct blob *feed, unsigned nfeed,
    const char *count, const char *const *args, unsigned nargs)
{
	unsigned i, k = 0;

	memset(r, 0, sizeof(*r));
	r->fn = cmd_listen;
	r->close_fd = -1;
	r->feed = feed;
	r->nfeed = nfeed;
	r->argv[k++] = "listen";
	r->argv[k++] = "-n";
	r->argv[k++] = count;
	r->argv[k++] = "--timeout";
	r->argv[k++] = "5s";
	assert_true(nargs + k + 3 <= MAX_ARGS);
	for (i = 0; i < nargs; i++)
		r->argv[k++] = args[i];
	r->argv[k++] = "127.0.0.1";
	r->argv[k++] = "0";
}

static const struct blob three[] = { B("one"), B("two"), B("three") };
static const char three_out[] = "one\ntwo\nthree\n";

/* EINTR and EAGAIN from a receive: retried, everything written out. */
static void
test_listen_recv_retry(void **state)
{
	static const int errs[] = { EINTR, EAGAIN };
	struct run r;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(errs); i++) {
		script_reset();
		/* The datagrams wait from call 1 on; calls 1-3 fail. */
		fail_calls(FN_RX, 1, 3, errs[i]);
		listen_run(&r, three, NELEM(three), "3", NULL, 0);
		run(&r);
		expect_status(&r, EXIT_OK);
		expect_stderr(&r, "");
		expect_stdout(&r, three_out, sizeof(three_out) - 1);
		assert_int_equal(r.c.injected[FN_RX], 3);
		assert_true(r.c.calls[FN_RX] <= 4 + 8);
	}
}

/*
 * ENOBUFS from a receive is a shortage, not a broken socket (see
 * RELIABILITY.md: "EAGAIN, ENOBUFS, EINTR from send or receive: retried
 * or counted, never a tight loop"): listen goes on and writes out
 * everything, and send -w still prints the reply.
 */
static void
test_recv_enobufs(void **state)
{
	struct sink s;
	struct run r;

	(void)state;
	script_reset();
	fail_calls(FN_RX, 1, 2, ENOBUFS);
	listen_run(&r, three, NELEM(three), "3", NULL, 0);
	run(&r);
	expect_status(&r, EXIT_OK);
	expect_stderr(&r, "");
	expect_stdout(&r, three_out, sizeof(three_out) - 1);
	assert_true(r.c.calls[FN_RX] <= 3 + 8);

	script_reset();
	fail_calls(FN_RX, 1, 2, ENOBUFS);
	sink_open(&s);
	reply_run(&r, &s);
	run(&r);
	expect_status(&r, EXIT_OK);
	expect_stderr(&r, "");
	expect_stdout(&r, "re:ping\n", 8);
	sink_close(&s);
}

/*
 * ENOMEM or another hard error from a receive: exit 1 with the reason;
 * what came before it was written out.
 */
static void
test_listen_recv_fatal(void **state)
{
	static const struct {
		int		 err;
		unsigned	 from;		/* first failing call */
		const char	*out;
		const char	*line;
	} cases[] = {
		{ ENOMEM, 1, "", "udpcat: listen: cannot receive: Cannot "
		    "allocate memory\n" },
		{ ENOMEM, 2, "one\n", "udpcat: listen: cannot receive: "
		    "Cannot allocate memory\n" },
		{ EFAULT, 1, "", "udpcat: listen: cannot receive: Bad "
		    "address\n" },
		{ ECONNRESET, 3, "one\ntwo\n", "udpcat: listen: cannot "
		    "receive: Connection reset by peer\n" },
	};
	struct run r;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		script_reset();
		fail_calls(FN_RX, cases[i].from, FOREVER, cases[i].err);
		rule_add(FN_RX, 1, FOREVER, ACT_CAP, 0, 1);
		listen_run(&r, three, NELEM(three), "3", NULL, 0);
		run(&r);
		expect_status(&r, EXIT_RUNTIME);
		expect_stderr(&r, cases[i].line);
		expect_stdout(&r, cases[i].out, strlen(cases[i].out));
	}
}

static const struct blob seven[] = { B("d1"), B("d2"), B(""), B("d4"),
    B("d5\xff"), B("d6"), B("d7") };
static const char seven_out[] = "d1\nd2\n\nd4\nd5\xff\nd6\nd7\n";

/* recvmmsg() returning fewer than asked: all of them, in order. */
static void
test_listen_recv_partial(void **state)
{
	static const size_t caps[] = { 1, 2, 3 };
	struct run r;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(caps); i++) {
		script_reset();
		rule_add(FN_RX, 1, FOREVER, ACT_CAP, 0, caps[i]);
		listen_run(&r, seven, NELEM(seven), "7", NULL, 0);
		run(&r);
		expect_status(&r, EXIT_OK);
		expect_stderr(&r, "");
		expect_stdout(&r, seven_out, sizeof(seven_out) - 1);
		/* One call a capped batch: seven datagrams, none lost. */
		if (SOCK_BATCHED)
			assert_true(r.c.calls[FN_RX] >=
			    (7 + caps[i] - 1) / caps[i]);
	}
}

/* write() to standard output. */

/* Short writes of 1, 2 and 5 bytes: every byte, in order. */
static void
test_listen_write_short(void **state)
{
	static const size_t caps[] = { 1, 2, 5 };
	struct run r;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(caps); i++) {
		script_reset();
		rule_add(FN_WRITE, 1, FOREVER, ACT_CAP, 0, caps[i]);
		listen_run(&r, seven, NELEM(seven), "7", NULL, 0);
		run(&r);
		expect_status(&r, EXIT_OK);
		expect_stderr(&r, "");
		expect_stdout(&r, seven_out, sizeof(seven_out) - 1);
		assert_true(r.c.calls[FN_WRITE] >=
		    (sizeof(seven_out) - 1 + caps[i] - 1) / caps[i]);
		assert_true(r.c.calls[FN_WRITE] <= sizeof(seven_out) - 1);
	}
}

/* EINTR from write(): retried, every byte out. */
static void
test_listen_write_eintr(void **state)
{
	struct run r;

	(void)state;
	script_reset();
	fail_calls(FN_WRITE, 1, 3, EINTR);
	rule_add(FN_WRITE, 4, 4, ACT_CAP, 0, 4);
	fail_calls(FN_WRITE, 5, 5, EINTR);
	listen_run(&r, seven, NELEM(seven), "7", NULL, 0);
	run(&r);
	expect_status(&r, EXIT_OK);
	expect_stderr(&r, "");
	expect_stdout(&r, seven_out, sizeof(seven_out) - 1);
}

/* ENOSPC, at once or after a short write: exit 1 with the reason. */
static void
test_listen_write_enospc(void **state)
{
	static const char line[] = "udpcat: listen: cannot write to standard "
	    "output: No space left on device\n";
	struct run r;

	(void)state;
	script_reset();
	fail_calls(FN_WRITE, 1, FOREVER, ENOSPC);
	listen_run(&r, three, NELEM(three), "3", NULL, 0);
	run(&r);
	expect_status(&r, EXIT_RUNTIME);
	expect_stderr(&r, line);
	expect_stdout(&r, "", 0);

	script_reset();
	rule_add(FN_WRITE, 1, 1, ACT_CAP, 0, 2);
	fail_calls(FN_WRITE, 2, FOREVER, ENOSPC);
	listen_run(&r, three, NELEM(three), "3", NULL, 0);
	run(&r);
	expect_status(&r, EXIT_RUNTIME);
	expect_stderr(&r, line);
	expect_stdout(&r, "on", 2);
}

/* EPIPE: the reader has gone; exit 141 with nothing on standard error. */
static void
test_listen_write_epipe(void **state)
{
	struct run r;

	(void)state;
	script_reset();
	fail_calls(FN_WRITE, 1, FOREVER, EPIPE);
	listen_run(&r, three, NELEM(three), "3", NULL, 0);
	run(&r);
	expect_status(&r, EXIT_SIGNAL + SIGPIPE);
	expect_stderr(&r, "");
	expect_stdout(&r, "", 0);
	assert_int_equal(r.c.calls[FN_WRITE], 1);
}

/*
 * SIGTERM while a record is being written (write() returns EINTR): that
 * record is finished, and what comes out is whole records, in order (how
 * many of those still waiting in the socket follow is the concern of
 * test_listen_sigterm_queued); exit 143.
 */
static void
test_listen_write_sigterm(void **state)
{
	size_t n;
	struct run r;

	(void)state;
	script_reset();
	rule_add(FN_RX, 1, FOREVER, ACT_CAP, 0, 1);
	/* Batched, one record per write; else all seven in the first. */
	rule_add(FN_WRITE, SOCK_BATCHED ? 2 : 1, SOCK_BATCHED ? 2 : 1,
	    ACT_RAISE, EINTR, SIGTERM);
	listen_run(&r, seven, NELEM(seven), "7", NULL, 0);
	run(&r);
	expect_status(&r, EXIT_SIGNAL + SIGTERM);
	expect_stderr(&r, "");
	/* d1 and d2 at least, then only whole records. */
	n = r.outlen;
	if (n < (SOCK_BATCHED ? 6 : sizeof(seven_out) - 1) ||
	    n > sizeof(seven_out) - 1 || memcmp(r.out, seven_out, n) != 0 ||
	    r.out[n - 1] != '\n')
		fail_msg("standard output: '%.*s'", (int)n, r.out);
	assert_true(r.c.injected[FN_WRITE] == 1);
}

/* poll(). */

/* EINTR from poll() without a signal: the loop goes on. */
static void
test_listen_poll_eintr(void **state)
{
	struct run r;

	(void)state;
	script_reset();
	fail_calls(FN_POLL, 1, 5, EINTR);
	listen_run(&r, three, NELEM(three), "3", NULL, 0);
	run(&r);
	expect_status(&r, EXIT_OK);
	expect_stderr(&r, "");
	expect_stdout(&r, three_out, sizeof(three_out) - 1);
	assert_true(r.c.calls[FN_POLL] >= 1);
	assert_true(r.c.calls[FN_POLL] <= 5 + 4);
}

/*
 * SIGTERM in poll() once everything was written: flushed, exit 143,
 * nothing on standard error.
 */
static void
test_listen_poll_sigterm(void **state)
{
	struct run r;

	(void)state;
	script_reset();
	fs.term_after = sizeof(three_out) - 1;
	listen_run(&r, three, NELEM(three), "4", NULL, 0);
	run(&r);
	expect_status(&r, EXIT_SIGNAL + SIGTERM);
	expect_stderr(&r, "");
	expect_stdout(&r, three_out, sizeof(three_out) - 1);
	assert_true(r.c.term_raised);
}

/*
 * SIGTERM while datagrams wait in the socket (received by the system
 * for udpcat, not read yet): SPEC.md's "128+N: stopped by signal N,
 * after writing out everything already received".  They are written
 * out before exit 143.
 */
static void
test_listen_sigterm_queued(void **state)
{
	struct run r;

	(void)state;
	script_reset();
	rule_add(FN_POLL, 1, 1, ACT_RAISE, 0, SIGTERM);
	listen_run(&r, three, NELEM(three), "4", NULL, 0);
	run(&r);
	expect_status(&r, EXIT_SIGNAL + SIGTERM);
	expect_stderr(&r, "");
	expect_stdout(&r, three_out, sizeof(three_out) - 1);
}

/* Allocation failures. */

struct alloc_case {
	int		(*fn)(int, char **);
	const char	*argv[MAX_ARGS];	/* "PORT": the sink's */
	const char	*in;
	const struct blob *feed;
	unsigned	 nfeed;
	int		 status;	/* of the run without a failure */
	const char	*out;
	const char	*err;		/* a prefix of its standard error */
	const char	*sent;		/* the datagram it sent, or NULL */
};

static char hex_big[2 + 140000 + 1];	/* "61" and spaces: decodes to "a" */

static const struct blob one_x[] = { B("x") };

static const struct alloc_case alloc_cases[] = {
	{ cmd_send, { "send", "127.0.0.1", "PORT", "a" }, NULL, NULL, 0,
	    EXIT_OK, "", "", "a" },
	{ cmd_send, { "send", "127.0.0.1", "PORT" }, "a\n", NULL, 0,
	    EXIT_OK, "", "", "a" },
	{ cmd_send, { "send", "--repeat", "2", "-F", "whole", "127.0.0.1",
	    "PORT" }, "a", NULL, 0, EXIT_OK, "", "", "a" },
	{ cmd_send, { "send", "-e", "hex", "127.0.0.1", "PORT", hex_big },
	    NULL, NULL, 0, EXIT_OK, "", "", "a" },
	{ cmd_send, { "send", "-w", "50ms", "--stats", "127.0.0.1", "PORT",
	    "a" }, NULL, NULL, 0, EXIT_TIMEOUT, "",
	    "udpcat: send: 1 datagrams sent, 1 bytes, 0 replies, ", "a" },
	{ cmd_listen, { "listen", "-n", "1", "--timeout", "100ms",
	    "127.0.0.1", "0" }, NULL, NULL, 0, EXIT_TIMEOUT, "", "", NULL },
	{ cmd_listen, { "listen", "-n", "1", "--timeout", "5s", "--stats",
	    "--until", "STOP", "--reply", "OK", "127.0.0.1", "0" }, NULL,
	    one_x, 1, EXIT_OK, "x\n", "udpcat: listen: 1 datagrams, 1 bytes, "
	    "1 senders, 0 truncated, 0 filtered, ", NULL },
};

/* True when err is one line that says memory ran out. */
static int
is_alloc_line(const char *err, size_t len, const char *cmd)
{
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "udpcat: %s: ", cmd);
	return err != NULL && len > strlen(prefix) && err[len - 1] == '\n' &&
	    memchr(err, '\n', len - 1) == NULL &&
	    strncmp(err, prefix, strlen(prefix)) == 0 &&
	    (strstr(err, "out of memory") != NULL ||
	    strstr(err, "cannot allocate") != NULL);
}

/*
 * A run that did all that the run without a failure does: its status,
 * output, standard error and datagrams.  One that exits 0 having sent
 * nothing has lost a failure on the way.
 */
static void
expect_complete(const struct alloc_case *ac, struct run *r, struct sink *s,
    size_t i, unsigned k)
{
	const char *want[2] = { ac->sent, ac->sent };

	if (r->status != ac->status)
		fail_msg("case %zu, allocation %u failed: exit %d; stderr: %s",
		    i, k, r->status, r->err != NULL ? r->err : "");
	expect_stdout(r, ac->out, strlen(ac->out));
	if (r->errlen < strlen(ac->err) ||
	    strncmp(r->err != NULL ? r->err : "", ac->err,
	    strlen(ac->err)) != 0 || (ac->err[0] == '\0' && r->errlen != 0))
		fail_msg("case %zu, allocation %u failed: standard error '%s'",
		    i, k, r->err != NULL ? r->err : "");
	if (ac->sent != NULL)
		sink_expect(s, want, strcmp(ac->argv[1], "--repeat") == 0 ?
		    2 : 1);
	else
		(void)sink_read(s, NULL, NULL, 0);
}

/*
 * Allocation k fails, for k = 1, 2, ... until a run needs no failure:
 * each run exits 1 with one line saying so, or does what the run
 * without a failure does; never a crash, a hang or a wrong exit.
 */
static void
test_alloc_failure(void **state)
{
	const struct alloc_case *ac;
	struct sink s;
	struct run r;
	size_t i;
	unsigned k, j;

	(void)state;
	memset(hex_big, ' ', sizeof(hex_big) - 1);
	memcpy(hex_big, "61", 2);
	for (i = 0; i < NELEM(alloc_cases); i++) {
		ac = &alloc_cases[i];
		sink_open(&s);
		for (k = 1; k <= 64; k++) {
			script_reset();
			fail_calls(FN_ALLOC, k, k, ENOMEM);
			memset(&r, 0, sizeof(r));
			r.fn = ac->fn;
			r.close_fd = s.fd;
			for (j = 0; ac->argv[j] != NULL; j++)
				r.argv[j] = strcmp(ac->argv[j], "PORT") == 0 ?
				    s.port : ac->argv[j];
			r.in = ac->in;
			r.inlen = ac->in != NULL ? strlen(ac->in) : 0;
			r.feed = ac->feed;
			r.nfeed = ac->nfeed;
			run(&r);
			if (!r.exited || !r.have_counts)
				fail_msg("case %zu, allocation %u: killed by "
				    "signal %d; stderr: %s", i, k, r.status,
				    r.err != NULL ? r.err : "");
			if (r.c.injected[FN_ALLOC] == 0)
				break;
			if (r.status == EXIT_RUNTIME &&
			    is_alloc_line(r.err, r.errlen, ac->argv[0])) {
				(void)sink_read(&s, NULL, NULL, 0);
				continue;
			}
			/* Else the failure made no difference at all. */
			expect_complete(ac, &r, &s, i, k);
		}
		if (k > 64)
			fail_msg("case %zu: still allocating after 64", i);
		print_message("alloc case %zu (%s): %u allocations failed in "
		    "turn\n", i, ac->argv[0], k - 1);
		/* The run that completed, for comparison. */
		expect_complete(ac, &r, &s, i, k);
		assert_true(k >= 2);	/* at least one allocation failed */
		sink_close(&s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_eagain_enobufs),
		cmocka_unit_test(test_send_eintr),
		cmocka_unit_test(test_send_econnrefused),
		cmocka_unit_test(test_send_fatal),
		cmocka_unit_test(test_send_partial),
		cmocka_unit_test(test_send_gso_refused),
		cmocka_unit_test(test_send_gso_emsgsize),
		cmocka_unit_test(test_send_sigint),
		cmocka_unit_test(test_send_reply_eintr),
		cmocka_unit_test(test_send_reply_refused),
		cmocka_unit_test(test_send_reply_enomem),
		cmocka_unit_test(test_listen_recv_retry),
		cmocka_unit_test(test_recv_enobufs),
		cmocka_unit_test(test_listen_recv_fatal),
		cmocka_unit_test(test_listen_recv_partial),
		cmocka_unit_test(test_listen_write_short),
		cmocka_unit_test(test_listen_write_eintr),
		cmocka_unit_test(test_listen_write_enospc),
		cmocka_unit_test(test_listen_write_epipe),
		cmocka_unit_test(test_listen_write_sigterm),
		cmocka_unit_test(test_listen_poll_eintr),
		cmocka_unit_test(test_listen_poll_sigterm),
		cmocka_unit_test(test_listen_sigterm_queued),
		cmocka_unit_test(test_alloc_failure),
	};
	size_t i;

	for (i = 0; i < NELEM(crash_sigs); i++)
		sigaction(crash_sigs[i], NULL, &crash_sa[i]);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, teardown);
}
