/* printer.c: received datagrams written out as records on standard output. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "msg.h"
#include "pcap.h"
#include "printer.h"
#include "proc.h"
#include "udpcat.h"

#define WARN_TRUNC_MAX	10	/* truncation warnings before we go quiet */
#define DIRECT_MIN	512	/* raw payloads written where they lie */
#define PATIENCE_NS	500000000	/* after a signal: a reader's last chance */

/* True when sb (of standard output) is /dev/null itself. */
static int
is_dev_null(const struct stat *sb)
{
	struct stat null;

	return S_ISCHR(sb->st_mode) && stat("/dev/null", &null) == 0 &&
	    S_ISCHR(null.st_mode) && sb->st_rdev == null.st_rdev;
}

/*
 * The descriptor to write to, chosen at the first write.  A pipe or a
 * terminal is opened anew as a
 * description of our own, non-blocking, so that waiting for its reader
 * happens in wait_fds(), where signals get in, without changing the
 * flags of a description that other processes share.  Elsewhere, or when
 * that fails, standard output itself; an inherited O_NONBLOCK there is
 * met by the same wait.
 */
static void
open_out(struct printer *p)
{
	struct stat sb;
	int fd;

	p->opened = 1;
	if (fstat(STDOUT_FILENO, &sb) == -1 ||
	    (!S_ISFIFO(sb.st_mode) && !S_ISCHR(sb.st_mode)))
		return;
	fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (fd == -1)
		return;
	p->fd = p->out.fd = fd;
	p->own_fd = 1;
}

/* Checks -e, -F, --json and -P together; chooses the encoding. */
static enum encoding
check_format(enum encoding enc, int enc_set, enum out_framing framing,
    int json, int show_peer)
{
	if (json) {
		if (enc_set && enc == ENC_RAW)
			die_usage("--json cannot carry raw bytes: use -e base64,"
			    " hex or text");
		if (!enc_set)
			enc = ENC_BASE64;
	} else if (framing == OUT_LENGTH || framing == OUT_PCAP) {
		if (enc_set && enc != ENC_RAW)
			die_usage("-F %s writes raw bytes: it does not take "
			    "-e %s", framing == OUT_PCAP ? "pcap" : "length",
			    enc_name(enc));
		enc = ENC_RAW;
	} else if (!enc_set)
		enc = isatty(STDOUT_FILENO) ? ENC_TEXT : ENC_RAW;
	if (show_peer && !json && (framing == OUT_NONE ||
	    framing == OUT_LENGTH || framing == OUT_PCAP))
		die_usage("-P needs line or nul framing");
	return enc;
}

int
printer_init(struct printer *p, enum encoding enc, int enc_set,
    enum out_framing framing, int json, int show_peer)
{
	struct stat sb;
	size_t cap;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->patience_ns = -1;
	enc = check_format(enc, enc_set, framing, json, show_peer);
	if (stdio_closed(STDOUT_FILENO))
		return msg_fail(EXIT_RUNTIME, "cannot write to standard output: "
		    "it is closed");
	p->fmt.enc = enc;
	p->fmt.framing = framing;
	p->fmt.json = json;
	p->fmt.show_peer = show_peer;
	p->direct = enc == ENC_RAW && !json && !show_peer &&
	    framing != OUT_LENGTH && framing != OUT_PCAP;
	if (fstat(STDOUT_FILENO, &sb) == -1)
		memset(&sb, 0, sizeof(sb));
	p->watch_pipe = S_ISFIFO(sb.st_mode);
	p->discard = is_dev_null(&sb);
	p->fd = STDOUT_FILENO;
	cap = out_record_max(&p->fmt, 65535);
	if (cap < (1 << 20))
		cap = 1 << 20;
	if (obuf_init(&p->out, p->fd, cap) == -1)
		return msg_fail(EXIT_RUNTIME, "cannot allocate the output buffer: %s",
		    strerror(errno));
	/* A capture starts with its header, written with the first flush. */
	if (framing == OUT_PCAP && !json) {
		pcap_write_header((unsigned char *)obuf_reserve(&p->out,
		    PCAP_HEADER_LEN));
		obuf_commit(&p->out, PCAP_HEADER_LEN);
		p->queued += PCAP_HEADER_LEN;
	}
	return 0;
}

/* Forgets what is queued, counting the records not written in full. */
static void
drop_queued(struct printer *p)
{
	uint64_t done = p->queued - obuf_pending(&p->out);
	size_t i = 0;

	while (i < p->nends && p->ends[i] <= done)
		i++;
	p->lost += p->nends - i;
	p->out.len = 0;
	p->out.n = 0;
	p->queued = 0;
	p->nends = 0;
}

/*
 * Writes out everything queued.  When standard output is not ready it
 * waits, letting signals in: without limit until the first signal, then
 * only while the reader keeps taking bytes, PATIENCE_NS at a time; a
 * second signal or a reader that stopped makes it give up (stalled) and
 * count what was left.  Returns 0, or -1 with p->err set.
 */
static int
drain_out(struct printer *p)
{
	struct pollfd pfd;
	int r;

	if (!p->opened)
		open_out(p);
	for (;;) {
		if (obuf_flush(&p->out) == 0) {
			p->queued = 0;
			p->nends = 0;
			return 0;
		}
		if (errno != EAGAIN) {
			p->err = errno;
			return -1;
		}
		if (cmd_signal != 0 && p->patience_ns < 0)
			p->patience_ns = PATIENCE_NS;
		pfd.fd = p->fd;
		pfd.events = POLLOUT;
		r = wait_fds(&pfd, 1, p->patience_ns);
		if (r > 0 || (r == -1 && errno == EINTR && cmd_signals < 2))
			continue;
		p->stalled = 1;
		drop_queued(p);
		return 0;
	}
}

/*
 * Makes room for k more record ends; -1 when memory runs out, and then
 * only the count of records not written may come out short.
 */
static int
ends_room(struct printer *p, size_t k)
{
	uint64_t *ends;
	size_t cap;

	if (p->ends_cap - p->nends >= k)
		return 0;
	cap = p->ends_cap ? p->ends_cap * 2 : 4096;
	while (cap - p->nends < k)
		cap *= 2;
	if ((ends = realloc(p->ends, cap * sizeof(*ends))) == NULL)
		return -1;
	p->ends = ends;
	p->ends_cap = cap;
	return 0;
}

/* Notes where the record just queued ends, for drop_queued(). */
static void
record_end(struct printer *p, size_t n)
{
	p->queued += n;
	if (p->nends < p->ends_cap || ends_room(p, 1) == 0)
		p->ends[p->nends++] = p->queued;
}

/* Makes room for n staged bytes; NULL when the output failed or stalled. */
static char *
reserve(struct printer *p, size_t n)
{
	char *dst;

	if ((dst = obuf_reserve(&p->out, n)) != NULL)
		return dst;
	if (errno != EAGAIN) {
		p->err = errno;
		return NULL;
	}
	if (drain_out(p) == -1 || p->stalled)
		return NULL;
	if ((dst = obuf_reserve(&p->out, n)) == NULL)
		p->err = errno;
	return dst;
}

/* Queues len bytes at data where they lie (the piece list may be full). */
static int
put_piece(struct printer *p, const void *data, size_t len)
{
	if (obuf_put(&p->out, data, len) == 0)
		return 0;
	if (errno != EAGAIN) {
		p->err = errno;
		return -1;
	}
	if (drain_out(p) == -1 || p->stalled)
		return -1;
	if (obuf_put(&p->out, data, len) == 0)
		return 0;
	p->err = errno;
	return -1;
}

/*
 * Queues a raw payload where it lies in the receive buffer (valid until
 * the flush that follows each batch), and its delimiter: no copy.
 */
static void
put_direct(struct printer *p, const struct dgram *d)
{
	char *dst;

	if (put_piece(p, d->data, d->len) == -1)
		return;
	if (p->fmt.framing != OUT_NONE) {
		if ((dst = reserve(p, 1)) == NULL)
			return;
		*dst = p->fmt.framing == OUT_NUL ? '\0' : '\n';
		obuf_commit(&p->out, 1);
	}
	record_end(p, d->len + (p->fmt.framing != OUT_NONE));
}

/* Warns of a truncated datagram; after WARN_TRUNC_MAX, once more. */
static void
warn_truncated(struct printer *p, const struct dgram *d)
{
	char peer[PEER_MAX];

	if (p->truncated_warned < WARN_TRUNC_MAX) {
		if (out_peer(d->from, d->fromlen, peer) < 0)
			snprintf(peer, sizeof(peer), "?");
		warning("datagram from %s truncated: %zu bytes, kept %zu "
		    "(see --max-size)", peer, d->size, d->len);
	} else if (p->truncated_warned == WARN_TRUNC_MAX)
		warning("more datagrams truncated; see --stats");
	p->truncated_warned++;
}

void
printer_put(struct printer *p, const struct dgram *d)
{
	char *dst;
	size_t n;

	if (d->size > d->len)
		warn_truncated(p, d);
	if (p->err != 0 || p->stalled) {
		p->lost++;
		return;
	}
	if (p->direct && d->len >= DIRECT_MIN) {
		put_direct(p, d);
		return;
	}
	if ((dst = reserve(p, out_record_max(&p->fmt, d->len))) == NULL) {
		p->lost++;
		return;
	}
	n = out_format(&p->fmt, d, dst);
	obuf_commit(&p->out, n);
	record_end(p, n);
}

int
printer_put_segments(struct printer *p, const struct dgram *d, size_t seg)
{
	size_t max = out_segments_max(&p->fmt, d->size, seg), n, off, rec, k;
	uint64_t count = (d->size + seg - 1) / seg;
	char *dst;
	int room;

	if (p->direct && p->fmt.framing == OUT_NONE) {
		printer_put(p, d);	/* back to back, as one record */
		return 0;
	}
	if (max == 0 || d->len != d->size || max > p->out.cap)
		return -1;
	if (p->err != 0 || p->stalled || (dst = reserve(p, max)) == NULL) {
		p->lost += count;
		return 0;
	}
	if ((n = out_format_segments(&p->fmt, d, seg, dst)) == 0)
		return -1;
	obuf_commit(&p->out, n);
	/* Each record's end, for drop_queued(): all carry the same headers. */
	rec = (n - d->size) / count;
	room = ends_room(p, count) == 0;
	for (off = 0; off < d->size; off += k) {
		k = d->size - off < seg ? d->size - off : seg;
		p->queued += rec + k;
		if (room)
			p->ends[p->nends++] = p->queued;
	}
	return 0;
}

void
printer_text(struct printer *p, const char *s, size_t len)
{
	char *dst;

	if (p->err != 0 || p->stalled || (dst = reserve(p, len)) == NULL) {
		p->lost++;
		return;
	}
	memcpy(dst, s, len);
	obuf_commit(&p->out, len);
	record_end(p, len);
}

enum run_end
printer_flush(struct printer *p)
{
	/* Writing to /dev/null is a system call that changes nothing. */
	if (p->discard) {
		p->out.len = 0;
		p->out.n = 0;
		p->queued = 0;
		p->nends = 0;
	} else if (p->err == 0 && !p->stalled)
		(void)drain_out(p);
	if (p->err == EPIPE)
		return RUN_EPIPE;
	if (p->err != 0) {
		if (!p->err_said)
			msg_fail(EXIT_RUNTIME, "cannot write to standard output: %s",
			    strerror(p->err));
		p->err_said = 1;
		return RUN_ERROR;
	}
	return RUN_MORE;
}

enum run_end
printer_check_pipe(const struct printer *p, short revents)
{
	if (p->watch_pipe && (revents & (POLLERR | POLLHUP)))
		return RUN_EPIPE;
	return RUN_MORE;
}

void
printer_report(const struct printer *p)
{
	if (p->lost > 0 && p->err == 0)
		warning("%llu records not written: standard output did not "
		    "take them", (unsigned long long)p->lost);
}

void
printer_free(struct printer *p)
{
	obuf_free(&p->out);
	free(p->ends);
	p->ends = NULL;
	if (p->own_fd && p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->own_fd = 0;
}
