/* child.c: listen --exec: the commands running, their replies. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "child.h"
#include "msg.h"
#include "proc.h"
#include "udpcat.h"

#define KILL_AFTER_NS	1000000000u	/* SIGKILL this long after SIGTERM */
#define OUTPUT_MAX	(64u << 20)	/* a command's output kept, at most */
/* One command: its process, its pipes, what it was given and said. */
struct job {
	pid_t			 pid;		/* 0: a free slot */
	int			 in;		/* its standard input, or -1 */
	int			 out;		/* its standard output, or -1 */
	unsigned char		*data;		/* the datagram */
	size_t			 len;
	size_t			 off;		/* written to it so far */
	unsigned char		*reply;		/* what it wrote */
	size_t			 rlen;
	size_t			 rcap;
	int			 too_big;
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	uint64_t		 deadline;	/* SIGTERM then, SIGKILL later */
	int			 termed;
	int			 reaped;
	int			 status;
};

int
jobs_init(struct jobs *j, const char *cmd, unsigned max, uint64_t timeout_ns,
    struct in_frame rf, struct endp *ep)
{
	unsigned i;

	memset(j, 0, sizeof(*j));
	j->cmd = cmd;
	j->max = j->room = max;
	j->timeout_ns = timeout_ns;
	j->rf = rf;
	j->ep = ep;
	j->hook.fill = jobs_fill;
	j->hook.ready = jobs_ready;
	j->hook.arg = j;
	if ((j->v = calloc(max, sizeof(*j->v))) == NULL)
		return msg_fail(EXIT_RUNTIME, "out of memory");
	for (i = 0; i < max; i++)
		j->v[i].in = j->v[i].out = -1;
	if (cmdline_init(&j->cl, cmd) == -1)
		return msg_fail(EXIT_RUNTIME, "out of memory");
	return 0;
}

static void	job_warn(struct jobs *, const struct job *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Says why a command gave no reply, the first JOBS_WARN_MAX times. */
static void
job_warn(struct jobs *j, const struct job *b, const char *fmt, ...)
{
	char peer[PEER_MAX], what[128];
	va_list ap;

	va_start(ap, fmt);
	/* clang's analyzer loses the va_start() over the tree, as in msg.c. */
	vsnprintf(what, sizeof(what), fmt, ap);	/* NOLINT */
	va_end(ap);
	j->failed++;
	if (j->warned++ >= JOBS_WARN_MAX) {
		if (j->warned == JOBS_WARN_MAX + 1)
			warning("more commands failed; see --stats");
		return;
	}
	if (out_peer((const struct sockaddr *)&b->peer, b->peerlen, peer) < 0)
		snprintf(peer, sizeof(peer), "?");
	warning("'%s' %s for a datagram from %s: no reply", j->cmd, what,
	    peer);
}

/* The first free slot. */
static struct job *
free_slot(struct jobs *j)
{
	unsigned i;

	for (i = 0; i < j->max; i++)
		if (j->v[i].pid == 0)
			return &j->v[i];
	return NULL;
}

void
jobs_start(struct jobs *j, const struct dgram *d)
{
	struct job *b = free_slot(j);
	int rc;

	if (b == NULL)
		return;
	memcpy(&b->peer, d->from, d->fromlen);
	b->peerlen = d->fromlen;
	if (endp_is_self(j->ep, d->from, d->fromlen)) {
		if (j->self++ == 0)
			warning("not running '%s' for a datagram from the "
			    "listener's own address %s: it would answer itself",
			    j->cmd, j->ep->name);
		return;
	}
	if ((b->data = malloc(d->len + 1)) == NULL) {
		job_warn(j, b, "could not start: %s", strerror(ENOMEM));
		return;
	}
	memcpy(b->data, d->data, d->len);
	b->len = d->len;
	b->off = b->rlen = 0;
	b->too_big = b->termed = b->reaped = 0;
	if ((rc = cmdline_spawn(&j->cl, d, &j->ep->local, &b->pid, &b->in,
	    &b->out)) != 0) {
		b->pid = 0;
		free(b->data);
		b->data = NULL;
		job_warn(j, b, "could not start: %s", strerror(rc));
		return;
	}
	b->deadline = now_ns() + j->timeout_ns;
	j->started++;
	j->running++;
	j->room--;
}

/* Writes what the command has not read yet; closes its input when done. */
static void
feed(struct job *b)
{
	ssize_t n;

	while (b->in >= 0 && b->off < b->len) {
		if ((n = write(b->in, b->data + b->off, b->len - b->off)) > 0)
			b->off += (size_t)n;
		else if (n == -1 && errno == EINTR)
			continue;
		else if (n == -1 && errno == EAGAIN)
			return;
		else
			break;	/* EPIPE: it does not read; no matter */
	}
	if (b->in >= 0)
		close(b->in);
	b->in = -1;
}

/* Reads what the command wrote; past the limit it is only counted. */
static void
drain(struct job *b, size_t limit)
{
	unsigned char sink[4096], *p;
	size_t cap;
	ssize_t n;

	for (;;) {
		if (b->rlen == b->rcap && !b->too_big && b->rcap < limit + 1) {
			cap = b->rcap ? b->rcap * 2 : 4096;
			if (cap > limit + 1)
				cap = limit + 1;
			if ((p = realloc(b->reply, cap)) == NULL)
				b->too_big = 1;
			else {
				b->reply = p;
				b->rcap = cap;
			}
		}
		if (b->too_big || b->rlen == b->rcap)
			n = read(b->out, sink, sizeof(sink));
		else
			n = read(b->out, b->reply + b->rlen, b->rcap - b->rlen);
		if (n > 0) {
			if (!b->too_big && b->rlen < b->rcap)
				b->rlen += (size_t)n;
			if (b->rlen > limit)
				b->too_big = 1;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		close(b->out);	/* end of its output, or an error */
		b->out = -1;
		return;
	}
}

int
jobs_fill(void *arg, struct pollfd *fds, int max, uint64_t *deadline)
{
	struct jobs *j = arg;
	struct job *b;
	unsigned i;
	int n = 0;

	j->nmap = 0;
	for (i = 0; i < j->max; i++) {
		b = &j->v[i];
		if (b->pid == 0)
			continue;
		if (*deadline == 0 || b->deadline < *deadline)
			*deadline = b->deadline;
		if (b->in >= 0 && n < max) {
			fds[n].fd = b->in;
			fds[n].events = POLLOUT;
			j->map[n++] = (int)i * 2;
		}
		if (b->out >= 0 && n < max) {
			fds[n].fd = b->out;
			fds[n].events = POLLIN;
			j->map[n++] = (int)i * 2 + 1;
		}
	}
	/* A SIGCHLD may have come outside the wait: reap without one. */
	if (cmd_child)
		*deadline = 1;
	j->nmap = n;
	return n;
}

/* Collects the children that ended. */
static void
reap(struct jobs *j)
{
	unsigned i;
	pid_t pid;
	int st;

	cmd_child = 0;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		for (i = 0; i < j->max; i++)
			if (j->v[i].pid == pid && !j->v[i].reaped) {
				j->v[i].reaped = 1;
				j->v[i].status = st;
			}
}

/* SIGTERM at the deadline, SIGKILL a second later. */
static void
enforce(struct job *b, uint64_t now)
{
	if (now < b->deadline)
		return;
	(void)kill(b->pid, b->termed ? SIGKILL : SIGTERM);
	b->termed++;
	b->deadline = now + KILL_AFTER_NS;
}

/* Sends the records of the command's output to the datagram's sender. */
static void
send_reply(struct jobs *j, struct job *b)
{
	struct frame_cut cut;
	size_t off = 0, from = 0;
	int r, first = 1;

	if (b->rlen == 0 && j->rf.mode == IN_WHOLE)
		return;		/* no output, no reply */
	while ((r = frame_split(&j->rf, j->ep->max, first, b->reply + off,
	    b->rlen - off, 1, &from, &cut)) == FRAME_RECORD) {
		if (sendto(j->ep->fd, b->reply + off + cut.skip, cut.len, 0,
		    (const struct sockaddr *)&b->peer, b->peerlen) == -1) {
			if (j->warned++ < JOBS_WARN_MAX)
				warning("cannot send the reply of '%s': %s",
				    j->cmd, strerror(errno));
			j->failed++;
		} else
			j->replies++;
		off += cut.used;
		from = 0;
		first = 0;
	}
	if (r == FRAME_ETOOBIG) {
		j->too_big++;
		job_warn(j, b, "wrote a reply over %d bytes", (int)j->ep->max);
	} else if (r == FRAME_ESHORT)
		job_warn(j, b, "wrote a last length frame cut short");
}

/* A command that ended and said all it had: its reply, its slot freed. */
static void
complete(struct jobs *j, struct job *b)
{
	if (WIFSIGNALED(b->status) && b->termed)
		job_warn(j, b, "ran over --exec-timeout and was stopped by "
		    "signal %d", WTERMSIG(b->status));
	else if (WIFSIGNALED(b->status))
		job_warn(j, b, "was killed by signal %d", WTERMSIG(b->status));
	else if (WEXITSTATUS(b->status) != 0)
		job_warn(j, b, "exited with status %d", WEXITSTATUS(b->status));
	else if (b->too_big && j->rf.mode == IN_WHOLE) {
		j->too_big++;
		job_warn(j, b, "wrote a reply over %d bytes", (int)j->ep->max);
	} else if (b->too_big)
		job_warn(j, b, "wrote more than %d MiB", OUTPUT_MAX >> 20);
	else
		send_reply(j, b);
	if (b->in >= 0)
		close(b->in);
	free(b->data);
	b->data = NULL;
	b->in = b->out = -1;
	b->rlen = 0;
	b->pid = 0;
	j->running--;
	j->room++;
}

enum run_end
jobs_ready(void *arg, const struct pollfd *fds, int n)
{
	struct jobs *j = arg;
	struct job *b;
	uint64_t now = now_ns();
	unsigned i;
	int k;

	for (k = 0; k < n && k < j->nmap; k++) {
		b = &j->v[j->map[k] / 2];
		if (fds[k].revents == 0)
			continue;
		if (j->map[k] % 2 == 0)
			feed(b);
		else if (b->out >= 0)
			drain(b, j->rf.mode == IN_WHOLE ? j->ep->max :
			    OUTPUT_MAX);
	}
	reap(j);
	for (i = 0; i < j->max; i++) {
		b = &j->v[i];
		if (b->pid == 0)
			continue;
		if (b->reaped && b->out >= 0)
			drain(b, j->rf.mode == IN_WHOLE ? j->ep->max :
			    OUTPUT_MAX);
		if (b->reaped && b->out >= 0 && now >= b->deadline) {
			/* Something it started still holds its output. */
			close(b->out);
			b->out = -1;
		}
		if (b->reaped && b->out < 0)
			complete(j, b);
		else if (!b->reaped)
			enforce(b, now);
	}
	return RUN_MORE;
}

/* Stops every command still running, at once. */
static void
jobs_kill(struct jobs *j)
{
	unsigned i;

	for (i = 0; i < j->max; i++)
		if (j->v[i].pid != 0 && !j->v[i].reaped)
			(void)kill(j->v[i].pid, SIGKILL);
}

void
jobs_finish(struct jobs *j)
{
	struct pollfd fds[JOBS_MAX * 2];
	uint64_t deadline, t;
	int n, i, signals = cmd_signals;

	while (j->running > 0) {
		deadline = 0;
		n = jobs_fill(j, fds, JOBS_MAX * 2, &deadline);
		t = now_ns();
		/* A signal, or a deadline with nothing ready: no revents. */
		if (wait_fds(fds, (nfds_t)n, deadline == 0 ? -1 :
		    deadline > t ? (int64_t)(deadline - t) : 0) <= 0)
			for (i = 0; i < n; i++)
				fds[i].revents = 0;
		if (cmd_signals > signals)
			jobs_kill(j);	/* a second signal: no more waiting */
		(void)jobs_ready(j, fds, n);
	}
}

void
jobs_free(struct jobs *j)
{
	unsigned i;

	if (j->v != NULL && j->running > 0) {
		jobs_kill(j);
		for (i = 0; i < j->max; i++)
			if (j->v[i].pid != 0 && !j->v[i].reaped)
				(void)waitpid(j->v[i].pid, NULL, 0);
	}
	for (i = 0; j->v != NULL && i < j->max; i++) {
		if (j->v[i].in >= 0)
			close(j->v[i].in);
		if (j->v[i].out >= 0)
			close(j->v[i].out);
		free(j->v[i].data);
		free(j->v[i].reply);
	}
	free(j->v);
	j->v = NULL;
	cmdline_free(&j->cl);
}
