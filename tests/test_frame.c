/* test_frame.c: framing names and the record reader, over real descriptors. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define MAXREC		65507		/* the IPv4 maximum */
#define BIGLINE		(10 * 1024 * 1024)
#define MIN_CAP		(1024 * 1024)	/* the reader's smallest buffer */
#define READ_MAX	(64 * 1024)	/* the most one read takes */

/* linked with -Wl,--wrap=malloc: fail_malloc makes the next one fail. */
void	*__real_malloc(size_t);
void	*__wrap_malloc(size_t);

static int	fail_malloc;

void *
__wrap_malloc(size_t size)
{
	if (fail_malloc) {
		fail_malloc = 0;
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(size);
}

/* How the input reaches the reader. */
enum feed {
	FEED_FILE,	/* a temporary file: reads as large as asked */
	FEED_PIPE,	/* a pipe, written by a child in pieces */
	FEED_PACKET	/* a SEQPACKET socket: one read per piece, exactly */
};

static const char *const feed_name[] = { "file", "pipe", "packet" };

/* Writes all of buf to fd; the child's side of a feed. */
static void
write_all(int fd, const unsigned char *buf, size_t len, size_t step)
{
	size_t	off = 0, n;
	ssize_t	w;

	while (off < len) {
		n = step == 0 || len - off < step ? len - off : step;
		if ((w = write(fd, buf + off, n)) == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			_exit(1);
		}
		off += (size_t)w;
	}
}

/* A temporary file holding in, unlinked, its offset at the start. */
static int
feed_file(const void *in, size_t len)
{
	char	path[] = "/tmp/test_frame.XXXXXX";
	int	fd;

	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(unlink(path), 0);
	write_all(fd, in, len, 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/*
 * Returns a descriptor that yields len bytes of in, then end of file,
 * written by a child in pieces of step bytes (0: at once).  *pid is the
 * child, or 0.
 */
static int
feed_start(const void *in, size_t len, enum feed how, size_t step,
    pid_t *pid)
{
	int	fds[2];

	*pid = 0;
	if (how == FEED_FILE)
		return feed_file(in, len);
	if (how == FEED_PIPE)
		assert_int_equal(pipe(fds), 0);
	else
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds),
		    0);
	assert_true((*pid = fork()) != -1);
	if (*pid == 0) {
		close(fds[0]);
		write_all(fds[1], in, len, step);
		close(fds[1]);
		_exit(0);
	}
	close(fds[1]);
	return fds[0];
}

static void
feed_end(int fd, pid_t pid)
{
	int	status;

	close(fd);
	if (pid > 0)
		assert_int_equal(waitpid(pid, &status, 0), pid);
}

static struct frame_reader
open_reader(int fd, const char *framing, size_t maxrec)
{
	struct frame_reader	 r;
	struct in_frame		 f;
	const char		*why = NULL;

	assert_int_equal(frame_parse_in(framing, maxrec, &f, &why), 0);
	assert_int_equal(frame_reader_init(&r, fd, f, maxrec), 0);
	return r;
}

/* Parsing framing names. */

struct in_ok {
	const char	*s;
	enum in_framing	 mode;
	size_t		 chunk;
};

static const struct in_ok in_ok[] = {
	{ "line", IN_LINE, 0 },
	{ "nul", IN_NUL, 0 },
	{ "whole", IN_WHOLE, 0 },
	{ "length", IN_LENGTH, 0 },
	{ "json", IN_JSON, 0 },
	{ "pcap", IN_PCAP, 0 },
	{ "chunk:1", IN_CHUNK, 1 },
	{ "chunk:512", IN_CHUNK, 512 },
	{ "chunk:007", IN_CHUNK, 7 },
	{ "chunk:65507", IN_CHUNK, 65507 },
};

struct in_bad {
	const char	*s;
	const char	*why;
};

static const struct in_bad in_bad[] = {
	{ "", "unknown framing" },
	{ "LINE", "unknown framing" },
	{ "lines", "unknown framing" },
	{ "line ", "unknown framing" },
	{ "none", "unknown framing" },
	{ "chunk", "missing chunk size (chunk:N)" },
	{ "chunk:", "missing chunk size" },
	{ "chunk:0", "out of range" },
	{ "chunk:65508", "out of range" },
	{ "chunk:4294967296", "out of range" },
	{ "chunk:99999999999999999999999999", "out of range" },
	{ "chunk:18446744073709551621", "out of range" },
	{ "chunk:+5", "not a number" },
	{ "chunk:-1", "not a number" },
	{ "chunk: 5", "not a number" },
	{ "chunk:5 ", "not a number" },
	{ "chunk:0x10", "not a number" },
	{ "chunk:1e3", "not a number" },
	{ "chunk:5:5", "not a number" },
	{ "chunk 5", "unknown framing" },
	{ "Chunk:5", "unknown framing" },
};

static void
test_parse_in(void **state)
{
	struct in_frame	 f;
	const char	*why;
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(in_ok); i++) {
		why = NULL;
		if (frame_parse_in(in_ok[i].s, MAXREC, &f, &why) != 0)
			fail_msg("'%s' rejected: %s", in_ok[i].s, why);
		if (f.mode != in_ok[i].mode || f.chunk != in_ok[i].chunk)
			fail_msg("'%s': mode %d chunk %zu", in_ok[i].s,
			    (int)f.mode, f.chunk);
	}
	for (i = 0; i < NELEM(in_bad); i++) {
		why = NULL;
		if (frame_parse_in(in_bad[i].s, MAXREC, &f, &why) != -1)
			fail_msg("'%s' accepted", in_bad[i].s);
		if (why == NULL || strcmp(why, in_bad[i].why) != 0)
			fail_msg("'%s': why '%s', want '%s'", in_bad[i].s,
			    why ? why : "(null)", in_bad[i].why);
	}
	/* The maximum is the caller's: IPv6 allows more. */
	assert_int_equal(frame_parse_in("chunk:65527", 65527, &f, &why), 0);
	assert_int_equal(f.chunk, 65527);
	assert_int_equal(frame_parse_in("chunk:2", 1, &f, &why), -1);
}

static void
test_parse_out(void **state)
{
	static const char *const bad[] = {
		"", "whole", "chunk:3", "LINE", "line\n", "non", "lengthy"
	};
	enum out_framing	f;
	size_t			i;

	(void)state;
	assert_int_equal(frame_parse_out("line", &f), 0);
	assert_int_equal(f, OUT_LINE);
	assert_int_equal(frame_parse_out("nul", &f), 0);
	assert_int_equal(f, OUT_NUL);
	assert_int_equal(frame_parse_out("none", &f), 0);
	assert_int_equal(f, OUT_NONE);
	assert_int_equal(frame_parse_out("length", &f), 0);
	assert_int_equal(f, OUT_LENGTH);
	assert_int_equal(frame_parse_out("pcap", &f), 0);
	assert_int_equal(f, OUT_PCAP);
	for (i = 0; i < NELEM(bad); i++)
		if (frame_parse_out(bad[i], &f) != -1)
			fail_msg("'%s' accepted", bad[i]);
}

/* Limits so large that the buffer size would wrap: refused, not tried. */
static const size_t huge_maxrec[] = {
	SIZE_MAX / 4 + 1, SIZE_MAX / 2 - 1, SIZE_MAX / 2, SIZE_MAX / 2 + 1,
	SIZE_MAX - 2, SIZE_MAX - 1, SIZE_MAX,
};

static void
test_init_invalid(void **state)
{
	struct frame_reader	r;
	struct in_frame		f = { IN_CHUNK, 0 };
	size_t			i;

	(void)state;
	errno = 0;
	assert_int_equal(frame_reader_init(&r, 0, f, MAXREC), -1);
	assert_int_equal(errno, EINVAL);
	f.chunk = MAXREC + 1;
	errno = 0;
	assert_int_equal(frame_reader_init(&r, 0, f, MAXREC), -1);
	assert_int_equal(errno, EINVAL);
	f.chunk = MAXREC;
	assert_int_equal(frame_reader_init(&r, 0, f, MAXREC), 0);
	assert_true(r.cap >= 1024 * 1024 && r.cap <= 2 * 1024 * 1024);
	frame_reader_free(&r);
	frame_reader_free(&r);		/* twice is harmless */
	f.mode = IN_LINE;
	for (i = 0; i < NELEM(huge_maxrec); i++) {
		errno = 0;
		if (frame_reader_init(&r, 0, f, huge_maxrec[i]) != -1 ||
		    errno != EINVAL)
			fail_msg("maxrec %zu: not refused with EINVAL (%s)",
			    huge_maxrec[i], strerror(errno));
	}
}

/* Out of memory: -1 with ENOMEM, nothing to free, and no buffer. */
static void
test_init_enomem(void **state)
{
	struct frame_reader	r;
	struct in_frame		f = { IN_LINE, 0 };

	(void)state;
	memset(&r, 0x5a, sizeof(r));
	errno = 0;
	fail_malloc = 1;
	assert_int_equal(frame_reader_init(&r, 0, f, MAXREC), -1);
	assert_int_equal(fail_malloc, 0);	/* it did ask */
	assert_int_equal(errno, ENOMEM);
	assert_null(r.buf);
	frame_reader_free(&r);
	assert_int_equal(frame_reader_init(&r, 0, f, MAXREC), 0);
	assert_non_null(r.buf);
	frame_reader_free(&r);
}

/* The splitter over bytes in memory, one call a row. */
struct split_case {
	enum in_framing	 mode;
	size_t		 chunk;
	size_t		 maxrec;
	int		 first;
	const char	*in;
	size_t		 len;
	int		 eof;
	size_t		 from;		/* given */
	int		 rc;
	size_t		 skip, reclen, used;
	size_t		 from_after;
};

#define S(s)	(s), sizeof(s) - 1

static const struct split_case split_cases[] = {
	{ IN_LINE, 0, 9, 1, S("ab\ncd"), 0, 0, FRAME_RECORD, 0, 2, 3, 0 },
	{ IN_LINE, 0, 9, 0, S("ab\ncd"), 1, 0, FRAME_RECORD, 0, 2, 3, 0 },
	{ IN_LINE, 0, 9, 1, S("abc"), 0, 0, FRAME_MORE, 0, 0, 0, 3 },
	{ IN_LINE, 0, 9, 1, S("abc"), 1, 0, FRAME_RECORD, 0, 3, 3, 3 },
	{ IN_LINE, 0, 9, 1, S(""), 0, 0, FRAME_MORE, 0, 0, 0, 0 },
	{ IN_LINE, 0, 9, 1, S(""), 1, 0, FRAME_END, 0, 0, 0, 0 },
	{ IN_LINE, 0, 9, 1, S("\n"), 0, 0, FRAME_RECORD, 0, 0, 1, 0 },
	{ IN_LINE, 0, 3, 1, S("abc\n"), 0, 0, FRAME_RECORD, 0, 3, 4, 0 },
	{ IN_LINE, 0, 3, 1, S("abcd\n"), 0, 0, FRAME_ETOOBIG, 0, 0, 0, 0 },
	{ IN_LINE, 0, 3, 1, S("abcd"), 0, 0, FRAME_ETOOBIG, 0, 0, 0, 4 },
	{ IN_LINE, 0, 3, 1, S("abc"), 0, 0, FRAME_MORE, 0, 0, 0, 3 },
	{ IN_LINE, 0, 9, 1, S("ab\n"), 0, 2, FRAME_RECORD, 0, 2, 3, 2 },
	/* Bytes before *from are not searched again. */
	{ IN_LINE, 0, 9, 1, S("a\nb\n"), 0, 2, FRAME_RECORD, 0, 3, 4, 2 },
	{ IN_LINE, 0, 9, 1, S("a\nbc"), 0, 2, FRAME_MORE, 0, 0, 0, 4 },
	{ IN_NUL, 0, 9, 1, S("a\0b"), 0, 0, FRAME_RECORD, 0, 1, 2, 0 },
	{ IN_NUL, 0, 9, 1, S("a\nb"), 1, 0, FRAME_RECORD, 0, 3, 3, 3 },
	{ IN_WHOLE, 0, 9, 1, S("abc"), 0, 0, FRAME_MORE, 0, 0, 0, 0 },
	{ IN_WHOLE, 0, 9, 1, S("a\nc"), 1, 0, FRAME_RECORD, 0, 3, 3, 0 },
	{ IN_WHOLE, 0, 9, 1, S(""), 1, 0, FRAME_RECORD, 0, 0, 0, 0 },
	{ IN_WHOLE, 0, 9, 0, S(""), 1, 0, FRAME_END, 0, 0, 0, 0 },
	{ IN_WHOLE, 0, 3, 1, S("abcd"), 0, 0, FRAME_ETOOBIG, 0, 0, 0, 0 },
	{ IN_WHOLE, 0, 3, 1, S("abc"), 1, 0, FRAME_RECORD, 0, 3, 3, 0 },
	{ IN_CHUNK, 2, 9, 1, S("abc"), 0, 0, FRAME_RECORD, 0, 2, 2, 0 },
	{ IN_CHUNK, 2, 9, 0, S("a"), 0, 0, FRAME_MORE, 0, 0, 0, 0 },
	{ IN_CHUNK, 2, 9, 0, S("a"), 1, 0, FRAME_RECORD, 0, 1, 1, 0 },
	{ IN_CHUNK, 2, 9, 0, S(""), 1, 0, FRAME_END, 0, 0, 0, 0 },
	{ IN_LENGTH, 0, 9, 1, S("\0\2abc"), 0, 0, FRAME_RECORD, 2, 2, 4, 0 },
	{ IN_LENGTH, 0, 9, 1, S("\0\0"), 0, 0, FRAME_RECORD, 2, 0, 2, 0 },
	{ IN_LENGTH, 0, 9, 1, S("\0"), 0, 0, FRAME_MORE, 0, 0, 0, 0 },
	{ IN_LENGTH, 0, 9, 1, S("\0"), 1, 0, FRAME_ESHORT, 0, 0, 0, 0 },
	{ IN_LENGTH, 0, 9, 1, S(""), 1, 0, FRAME_END, 0, 0, 0, 0 },
	{ IN_LENGTH, 0, 9, 1, S("\0\3ab"), 0, 0, FRAME_MORE, 0, 0, 0, 0 },
	{ IN_LENGTH, 0, 9, 1, S("\0\3ab"), 1, 0, FRAME_ESHORT, 0, 0, 0, 0 },
	{ IN_LENGTH, 0, 3, 1, S("\0\4abcd"), 0, 0, FRAME_ETOOBIG, 0, 0, 0,
	    0 },
	{ IN_LENGTH, 0, 258, 1, S("\1\2"), 0, 0, FRAME_MORE, 0, 0, 0, 0 },
	{ IN_LENGTH, 0, 257, 1, S("\1\2"), 0, 0, FRAME_ETOOBIG, 0, 0, 0, 0 },
};

static void
test_split(void **state)
{
	const struct split_case	*c;
	struct frame_cut	 cut;
	struct in_frame		 f;
	unsigned char		*buf;
	size_t			 i, from;
	int			 rc;

	(void)state;
	for (i = 0; i < NELEM(split_cases); i++) {
		c = &split_cases[i];
		f.mode = c->mode;
		f.chunk = c->chunk;
		/* Exactly len bytes, so that a read past them is caught. */
		assert_non_null(buf = malloc(c->len + (c->len == 0)));
		memcpy(buf, c->in, c->len);
		from = c->from;
		memset(&cut, 0x5a, sizeof(cut));
		rc = frame_split(&f, c->maxrec, c->first, buf, c->len, c->eof,
		    &from, &cut);
		if (rc != c->rc)
			fail_msg("case %zu: %d, want %d", i, rc, c->rc);
		if (rc == FRAME_RECORD && (cut.skip != c->skip ||
		    cut.len != c->reclen || cut.used != c->used))
			fail_msg("case %zu: cut %zu+%zu/%zu, want %zu+%zu/%zu",
			    i, cut.skip, cut.len, cut.used, c->skip,
			    c->reclen, c->used);
		if (from != c->from_after)
			fail_msg("case %zu: from %zu, want %zu", i, from,
			    c->from_after);
		free(buf);
	}
}

/*
 * The smallest limits, 0 and 1, where a size computed as maxrec minus
 * anything would wrap: the usual buffer, and records held to the limit.
 */
static void
test_tiny_maxrec(void **state)
{
	static const struct {
		const char	*framing;
		size_t		 maxrec;
		const char	*in;
		size_t		 inlen;
		unsigned	 nrec;		/* records before the end */
		int		 end;
		const char	*recs[3];
	} cases[] = {
		{ "line", 0, "\n\n", 2, 2, FRAME_END, { "", "" } },
		{ "line", 0, "\na\n", 3, 1, FRAME_ETOOBIG, { "" } },
		{ "line", 0, "a", 1, 0, FRAME_ETOOBIG, { NULL } },
		{ "nul", 0, "\0", 1, 1, FRAME_END, { "" } },
		{ "whole", 0, "", 0, 1, FRAME_END, { "" } },
		{ "whole", 0, "x", 1, 0, FRAME_ETOOBIG, { NULL } },
		{ "length", 0, "\0\0\0\0", 4, 2, FRAME_END, { "", "" } },
		{ "length", 0, "\0\1x", 3, 0, FRAME_ETOOBIG, { NULL } },
		{ "line", 1, "a\nb\nc", 5, 3, FRAME_END, { "a", "b", "c" } },
		{ "line", 1, "a\nbc\n", 5, 1, FRAME_ETOOBIG, { "a" } },
		{ "chunk:1", 1, "abc", 3, 3, FRAME_END, { "a", "b", "c" } },
		{ "whole", 1, "ab", 2, 0, FRAME_ETOOBIG, { NULL } },
		{ "length", 1, "\0\1x\0\2", 5, 1, FRAME_ETOOBIG, { "x" } },
	};
	struct frame_reader	 r;
	const unsigned char	*p;
	size_t			 i, n;
	unsigned		 k;
	pid_t			 pid;
	int			 fd;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		fd = feed_start(cases[i].in, cases[i].inlen, FEED_FILE, 4096,
		    &pid);
		r = open_reader(fd, cases[i].framing, cases[i].maxrec);
		assert_int_equal(r.cap, MIN_CAP);
		for (k = 0; k < cases[i].nrec; k++) {
			if (frame_next(&r, FRAME_READ, &p, &n) != FRAME_RECORD)
				fail_msg("case %zu: record %u missing", i, k);
			assert_int_equal(n, strlen(cases[i].recs[k]));
			if (n > 0)
				assert_memory_equal(p, cases[i].recs[k], n);
		}
		if (frame_next(&r, FRAME_READ, &p, &n) != cases[i].end)
			fail_msg("case %zu: not ended with %d", i,
			    cases[i].end);
		frame_reader_free(&r);
		feed_end(fd, pid);
	}
}

/* The table: each input, framed, gives these records, then end. */

struct rec {
	const char	*p;
	size_t		 n;
};

#define R(s)	{ s, sizeof(s) - 1 }
#define IN(s)	s, sizeof(s) - 1

struct fcase {
	const char	*name;
	const char	*framing;
	size_t		 maxrec;
	const char	*in;
	size_t		 inlen;
	struct rec	 out[5];
	size_t		 nout;
	int		 end;		/* FRAME_END or the error */
};

static const struct fcase fcases[] = {
	{ "line basic", "line", MAXREC, IN("a\nbc\n\nd"),
	  { R("a"), R("bc"), R(""), R("d") }, 4, FRAME_END },
	{ "line empty input", "line", MAXREC, IN(""), { { 0 } }, 0, FRAME_END },
	{ "line one empty", "line", MAXREC, IN("\n"), { R("") }, 1, FRAME_END },
	{ "line two empty", "line", MAXREC, IN("\n\n"), { R(""), R("") }, 2,
	  FRAME_END },
	{ "line ends in LF", "line", MAXREC, IN("abc\n"), { R("abc") }, 1,
	  FRAME_END },
	{ "line CR LF, lone CR", "line", MAXREC, IN("a\r\nb\rc\n\r"),
	  { R("a\r"), R("b\rc"), R("\r") }, 3, FRAME_END },
	{ "line with NUL", "line", MAXREC, IN("a\0b\n\0"),
	  { R("a\0b"), R("\0") }, 2, FRAME_END },
	{ "line at maxrec", "line", 3, IN("abc\nxyz"), { R("abc"), R("xyz") },
	  2, FRAME_END },
	{ "line over maxrec", "line", 3, IN("abc\nabcd\nx\n"), { R("abc") }, 1,
	  FRAME_ETOOBIG },
	{ "line over maxrec at end", "line", 3, IN("ab\nabcd"), { R("ab") }, 1,
	  FRAME_ETOOBIG },
	{ "nul basic", "nul", MAXREC, IN("a\0b\0\0c"),
	  { R("a"), R("b"), R(""), R("c") }, 4, FRAME_END },
	{ "nul keeps LF", "nul", MAXREC, IN("x\ny\r\n\0"), { R("x\ny\r\n") },
	  1, FRAME_END },
	{ "nul empty input", "nul", MAXREC, IN(""), { { 0 } }, 0, FRAME_END },
	{ "nul over maxrec", "nul", 2, IN("ab\0abc\0"), { R("ab") }, 1,
	  FRAME_ETOOBIG },
	{ "whole", "whole", MAXREC, IN("a\nb\0c\n"), { R("a\nb\0c\n") }, 1,
	  FRAME_END },
	{ "whole empty input", "whole", MAXREC, IN(""), { R("") }, 1,
	  FRAME_END },
	{ "whole at maxrec", "whole", 4, IN("1234"), { R("1234") }, 1,
	  FRAME_END },
	{ "whole over maxrec", "whole", 4, IN("12345"), { { 0 } }, 0,
	  FRAME_ETOOBIG },
	{ "chunk:3", "chunk:3", MAXREC, IN("abcdefgh"),
	  { R("abc"), R("def"), R("gh") }, 3, FRAME_END },
	{ "chunk:3 exact", "chunk:3", MAXREC, IN("ab\ndef"),
	  { R("ab\n"), R("def") }, 2, FRAME_END },
	{ "chunk:1", "chunk:1", MAXREC, IN("a\0"), { R("a"), R("\0") }, 2,
	  FRAME_END },
	{ "chunk empty input", "chunk:5", MAXREC, IN(""), { { 0 } }, 0,
	  FRAME_END },
	{ "length", "length", MAXREC, IN("\0\3abc\0\0\0\1\n"),
	  { R("abc"), R(""), R("\n") }, 3, FRAME_END },
	{ "length empty input", "length", MAXREC, IN(""), { { 0 } }, 0,
	  FRAME_END },
	{ "length half header", "length", MAXREC, IN("\0\1x\0"), { R("x") }, 1,
	  FRAME_ESHORT },
	{ "length short body", "length", MAXREC, IN("\0\1a\0\5abcd"),
	  { R("a") }, 1, FRAME_ESHORT },
	{ "length no body", "length", MAXREC, IN("\1\0"), { { 0 } }, 0,
	  FRAME_ESHORT },
	{ "length at maxrec", "length", 4, IN("\0\4abcd"), { R("abcd") }, 1,
	  FRAME_END },
	{ "length over maxrec", "length", 4, IN("\0\2ab\0\5abcde"),
	  { R("ab") }, 1, FRAME_ETOOBIG },
	{ "length over, no body", "length", 4, IN("\0\5"), { { 0 } }, 0,
	  FRAME_ETOOBIG },
};

/* Checks one record against the expected one, naming the case. */
static void
check_rec(const char *name, size_t i, int rc, const unsigned char *p,
    size_t n, const struct rec *want)
{
	if (rc != FRAME_RECORD)
		fail_msg("%s: record %zu: result %d", name, i, rc);
	if (n != want->n || memcmp(p, want->p, n) != 0)
		fail_msg("%s: record %zu: %zu bytes '%.*s', want '%s'", name,
		    i, n, (int)n, (const char *)p, want->p);
}

static void
run_case(const struct fcase *c, enum feed how, size_t step)
{
	struct frame_reader	 r;
	const unsigned char	*p;
	size_t			 i, n;
	pid_t			 pid;
	int			 fd, rc;

	fd = feed_start(c->in, c->inlen, how, step, &pid);
	r = open_reader(fd, c->framing, c->maxrec);
	for (i = 0; i < c->nout; i++) {
		rc = frame_next(&r, 1, &p, &n);
		check_rec(c->name, i, rc, p, n, &c->out[i]);
	}
	/* The end, or the error, and the same again when asked again. */
	for (i = 0; i < 3; i++)
		if ((rc = frame_next(&r, 1, &p, &n)) != c->end)
			fail_msg("%s (%s, step %zu): end %d, want %d", c->name,
			    feed_name[how], step, rc, c->end);
	if (r.nrec != c->nout)
		fail_msg("%s: nrec %llu", c->name, r.nrec);
	frame_reader_free(&r);
	feed_end(fd, pid);
}

static void
test_table(void **state)
{
	static const size_t steps[] = { 0, 1, 2, 3, 5 };
	size_t	i, j;

	(void)state;
	for (i = 0; i < NELEM(fcases); i++) {
		run_case(&fcases[i], FEED_FILE, 0);
		for (j = 0; j < NELEM(steps); j++) {
			run_case(&fcases[i], FEED_PIPE, steps[j]);
			run_case(&fcases[i], FEED_PACKET, steps[j]);
		}
	}
}

/* Reads every record of a feed, checking them against want. */
static void
expect_records(int fd, const char *framing, size_t maxrec,
    const struct rec *want, size_t nwant, int end)
{
	struct frame_reader	 r;
	const unsigned char	*p;
	size_t			 i, n;
	int			 rc;

	r = open_reader(fd, framing, maxrec);
	for (i = 0; i < nwant; i++) {
		rc = frame_next(&r, 1, &p, &n);
		check_rec(framing, i, rc, p, n, &want[i]);
	}
	assert_int_equal(frame_next(&r, 1, &p, &n), end);
	frame_reader_free(&r);
}

/* All 256 byte values in raw records, through each framing and feed. */
static void
test_all_bytes(void **state)
{
	unsigned char	in[2 + 256 + 2 + 256], line[256];
	struct rec	want[2];
	size_t		i, j;
	pid_t		pid;
	int		fd, how;

	(void)state;
	for (i = 0; i < 256; i++) {
		in[2 + i] = (unsigned char)i;
		in[2 + 256 + 2 + i] = (unsigned char)(255 - i);
	}
	in[0] = in[2 + 256] = 1;
	in[1] = in[2 + 256 + 1] = 0;
	want[0].p = (const char *)in + 2;
	want[1].p = (const char *)in + 2 + 256 + 2;
	want[0].n = want[1].n = 256;
	for (how = FEED_FILE; how <= FEED_PACKET; how++) {
		fd = feed_start(in, sizeof(in), how, 7, &pid);
		expect_records(fd, "length", MAXREC, want, 2, FRAME_END);
		feed_end(fd, pid);
		fd = feed_start(in + 2, 256, how, 7, &pid);
		expect_records(fd, "whole", MAXREC, want, 1, FRAME_END);
		feed_end(fd, pid);
		fd = feed_start(in + 2, 256, how, 7, &pid);
		expect_records(fd, "chunk:256", MAXREC, want, 1, FRAME_END);
		feed_end(fd, pid);
		/* Line framing: every byte but LF, then the LF. */
		for (i = j = 0; i < 256; i++)
			if (i != '\n')
				line[j++] = (unsigned char)i;
		line[j] = '\n';
		want[0].p = (const char *)line;
		want[0].n = 255;
		fd = feed_start(line, 256, how, 7, &pid);
		expect_records(fd, "line", MAXREC, want, 1, FRAME_END);
		feed_end(fd, pid);
		want[0].p = (const char *)in + 2;
		want[0].n = 256;
	}
}

/* Records of exactly maxrec are accepted; one byte more is refused. */
static void
test_maxrec(void **state)
{
	static unsigned char	in[2 * (MAXREC + 3)];
	struct rec		want[1];
	pid_t			pid;
	int			fd, how;

	(void)state;
	memset(in, 'x', MAXREC);
	in[MAXREC] = '\n';
	memset(in + MAXREC + 1, 'y', MAXREC + 1);
	in[2 * MAXREC + 2] = '\n';
	want[0].p = (const char *)in;
	want[0].n = MAXREC;
	for (how = FEED_FILE; how <= FEED_PACKET; how++) {
		fd = feed_start(in, 2 * MAXREC + 3, how, 4096, &pid);
		expect_records(fd, "line", MAXREC, want, 1, FRAME_ETOOBIG);
		feed_end(fd, pid);
		fd = feed_start(in, MAXREC, how, 4096, &pid);
		expect_records(fd, "whole", MAXREC, want, 1, FRAME_END);
		feed_end(fd, pid);
		fd = feed_start(in, MAXREC + 1, how, 4096, &pid);
		expect_records(fd, "whole", MAXREC, want, 0, FRAME_ETOOBIG);
		feed_end(fd, pid);
	}
	/* Length framing: 65507 is fine; 65508 is refused by its header. */
	in[0] = MAXREC >> 8;
	in[1] = MAXREC & 0xff;
	memset(in + 2, 'z', MAXREC);
	in[MAXREC + 2] = (MAXREC + 1) >> 8;
	in[MAXREC + 3] = (MAXREC + 1) & 0xff;
	want[0].p = (const char *)in + 2;
	for (how = FEED_FILE; how <= FEED_PACKET; how++) {
		fd = feed_start(in, MAXREC + 4, how, 4096, &pid);
		expect_records(fd, "length", MAXREC, want, 1, FRAME_ETOOBIG);
		feed_end(fd, pid);
	}
}

/*
 * A 10 MB line is refused once more than maxrec bytes are buffered, long
 * before the whole of it has been read, in the buffer allocated at init.
 */
static void
test_huge_line(void **state)
{
	struct frame_reader	 r;
	const unsigned char	*p;
	unsigned char		*in;
	size_t			 n, cap;
	pid_t			 pid;
	int			 fd, how;

	(void)state;
	assert_non_null(in = malloc(BIGLINE + 1));
	memset(in, 'a', BIGLINE);
	in[BIGLINE] = '\n';
	for (how = FEED_FILE; how <= FEED_PACKET; how++) {
		fd = feed_start(in, BIGLINE + 1, how, 65536, &pid);
		r = open_reader(fd, "line", MAXREC);
		cap = r.cap;
		assert_int_equal(frame_next(&r, 1, &p, &n), FRAME_ETOOBIG);
		assert_int_equal(frame_next(&r, 1, &p, &n), FRAME_ETOOBIG);
		assert_true(r.cap == cap && r.tail <= cap);
		if (how == FEED_FILE)
			assert_true(lseek(fd, 0, SEEK_CUR) <= (off_t)cap);
		frame_reader_free(&r);
		feed_end(fd, pid);	/* the writer dies of SIGPIPE */
	}
	free(in);
}

/*
 * FRAME_READ_ONCE reads once at most: a partial line gives FRAME_AGAIN
 * after one read, and never a second, blocking one.
 */
static void
test_read_once(void **state)
{
	struct frame_reader	 r;
	const unsigned char	*p;
	size_t			 n;
	int			 fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	r = open_reader(fds[0], "line", MAXREC);
	assert_false(frame_ready(&r));
	assert_int_equal(write(fds[1], "x\n", 2), 2);
	assert_int_equal(frame_next(&r, FRAME_READ_ONCE, &p, &n),
	    FRAME_RECORD);
	assert_int_equal(n, 1);
	/* All taken, the input open: only a read can bring a record. */
	assert_false(frame_ready(&r));
	assert_int_equal(write(fds[1], "par", 3), 3);
	/* One read takes "par"; a second would block on the empty pipe. */
	assert_int_equal(frame_next(&r, FRAME_READ_ONCE, &p, &n),
	    FRAME_AGAIN);
	assert_true(frame_ready(&r));
	assert_int_equal(write(fds[1], "tial\nnext", 9), 9);
	assert_int_equal(frame_next(&r, FRAME_READ_ONCE, &p, &n),
	    FRAME_RECORD);
	assert_int_equal(n, 7);
	assert_memory_equal(p, "partial", 7);
	/* "next" is buffered, without its LF: no read without input. */
	assert_int_equal(frame_next(&r, FRAME_NO_READ, &p, &n), FRAME_AGAIN);
	close(fds[1]);
	assert_int_equal(frame_next(&r, FRAME_READ_ONCE, &p, &n),
	    FRAME_RECORD);
	assert_memory_equal(p, "next", 4);
	assert_int_equal(frame_next(&r, FRAME_READ_ONCE, &p, &n), FRAME_END);
	assert_true(frame_ready(&r));	/* the end is an answer */
	frame_reader_free(&r);
	close(fds[0]);
}

/*
 * FRAME_FILL reads once and splits nothing: what one read brought is
 * there for frame_lines() whole, a partial line stays for the next read,
 * and the end is found by the split that follows.
 */
static void
test_fill(void **state)
{
	struct frame_reader	 r;
	struct iovec		 iov[4];
	const unsigned char	*p;
	size_t			 n;
	int			 fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	r = open_reader(fds[0], "line", MAXREC);
	assert_int_equal(write(fds[1], "a\nbb\nc", 6), 6);
	assert_int_equal(frame_next(&r, FRAME_FILL, &p, &n), FRAME_AGAIN);
	assert_int_equal(r.tail - r.head, 6);
	assert_int_equal(r.nrec, 0);
	assert_int_equal(frame_lines(&r, iov, 4), 2);
	assert_int_equal(iov[1].iov_len, 2);
	assert_memory_equal(iov[1].iov_base, "bb", 2);
	/* "c" waits for its LF; the next read comes after it. */
	assert_int_equal(frame_next(&r, FRAME_NO_READ, &p, &n), FRAME_AGAIN);
	assert_int_equal(write(fds[1], "d\n", 2), 2);
	assert_int_equal(frame_next(&r, FRAME_FILL, &p, &n), FRAME_AGAIN);
	assert_int_equal(frame_lines(&r, iov, 4), 1);
	assert_int_equal(iov[0].iov_len, 2);
	assert_memory_equal(iov[0].iov_base, "cd", 2);
	close(fds[1]);
	assert_false(frame_ready(&r));
	assert_int_equal(frame_next(&r, FRAME_FILL, &p, &n), FRAME_AGAIN);
	assert_true(r.eof);
	assert_int_equal(frame_next(&r, FRAME_NO_READ, &p, &n), FRAME_END);
	assert_int_equal(frame_next(&r, FRAME_FILL, &p, &n), FRAME_END);
	frame_reader_free(&r);
	close(fds[0]);
}

/*
 * frame_lines() takes the whole records buffered, as frame_next() would
 * return them, and leaves the rest to frame_next().
 */
struct lines_case {
	const char	*framing;
	const char	*in;
	size_t		 len;
	size_t		 maxrec;
	unsigned	 max;
	const char	*took;		/* the records taken, joined by '|' */
	int		 next;		/* frame_next(FRAME_NO_READ) after */
	const char	*next_rec;	/* with FRAME_RECORD */
};

static void
test_lines(void **state)
{
	static const struct lines_case cases[] = {
		{ "line", "a\nbb\nc", 6, 8, 8, "a|bb", FRAME_AGAIN, NULL },
		{ "line", "a\nbb\nccc\n", 9, 8, 2, "a|bb", FRAME_RECORD,
		    "ccc" },
		{ "line", "\n\nx\n", 4, 8, 8, "||x", FRAME_AGAIN, NULL },
		{ "nul", "x\0yy\0z", 6, 8, 8, "x|yy", FRAME_AGAIN, NULL },
		{ "line", "ab\nabcdef\nx\n", 12, 3, 8, "ab", FRAME_ETOOBIG,
		    NULL },
		{ "line", "abc\n", 4, 3, 8, "abc", FRAME_AGAIN, NULL },
		{ "length", "\0\1a", 3, 8, 8, "", FRAME_RECORD, "a" },
		{ "line", "", 0, 8, 8, "", FRAME_AGAIN, NULL },
	};
	struct frame_reader	 r;
	struct iovec		 iov[8];
	const unsigned char	*p;
	char			 took[64];
	size_t			 i, n, at;
	unsigned		 k, j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct lines_case *c = &cases[i];

		r = open_reader(-1, c->framing, c->maxrec);
		memcpy(r.buf, c->in, c->len);
		r.tail = c->len;
		k = frame_lines(&r, iov, c->max);
		for (j = 0, at = 0; j < k; j++) {
			if (j > 0)
				took[at++] = '|';
			memcpy(took + at, iov[j].iov_base, iov[j].iov_len);
			at += iov[j].iov_len;
		}
		took[at] = '\0';
		assert_string_equal(took, c->took);
		assert_int_equal(r.nrec, k);
		assert_int_equal(frame_next(&r, FRAME_NO_READ, &p, &n),
		    c->next);
		if (c->next_rec != NULL) {
			assert_int_equal(n, strlen(c->next_rec));
			assert_memory_equal(p, c->next_rec, n);
		}
		frame_reader_free(&r);
	}
}

/*
 * With may_read 0 only buffered records come back, and the records
 * returned before stay where they were.
 */
static void
test_no_read(void **state)
{
	struct frame_reader	 r;
	const unsigned char	*a, *b, *p;
	size_t			 alen, blen, n;
	int			 fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	r = open_reader(fds[0], "line", MAXREC);
	assert_int_equal(frame_next(&r, 0, &p, &n), FRAME_AGAIN);
	assert_int_equal(write(fds[1], "a\nbb\nc", 6), 6);
	assert_int_equal(frame_next(&r, 1, &a, &alen), FRAME_RECORD);
	assert_int_equal(frame_next(&r, 0, &b, &blen), FRAME_RECORD);
	assert_int_equal(frame_next(&r, 0, &p, &n), FRAME_AGAIN);
	assert_int_equal(write(fds[1], "d\ne\n", 4), 4);
	assert_int_equal(frame_next(&r, 0, &p, &n), FRAME_AGAIN);
	assert_int_equal(frame_next(&r, 0, &p, &n), FRAME_AGAIN);
	assert_memory_equal(a, "a", 1);
	assert_int_equal(alen, 1);
	assert_memory_equal(b, "bb", 2);
	assert_int_equal(blen, 2);
	assert_int_equal(r.nrec, 2);
	assert_int_equal(frame_next(&r, 1, &p, &n), FRAME_RECORD);
	assert_memory_equal(p, "cd", 2);
	assert_int_equal(frame_next(&r, 0, &p, &n), FRAME_RECORD);
	assert_memory_equal(p, "e", 1);
	assert_int_equal(frame_next(&r, 0, &p, &n), FRAME_AGAIN);
	close(fds[1]);
	assert_int_equal(frame_next(&r, 0, &p, &n), FRAME_AGAIN);
	assert_int_equal(frame_next(&r, 1, &p, &n), FRAME_END);
	assert_int_equal(frame_next(&r, 0, &p, &n), FRAME_END);
	assert_int_equal(frame_next(&r, 1, &p, &n), FRAME_END);
	assert_int_equal(r.nrec, 4);
	frame_reader_free(&r);
	close(fds[0]);
}

/* A small deterministic generator, so that the child makes the same. */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Lines of random length and bytes (no LF); returns the input size. */
static size_t
make_lines(unsigned char *buf, size_t size, uint32_t seed, size_t maxlen)
{
	size_t	n = 0, len, i;

	while (n + maxlen + 1 <= size) {
		len = rnd(&seed) % (maxlen + 1);
		for (i = 0; i < len; i++) {
			buf[n] = (unsigned char)rnd(&seed);
			if (buf[n] == '\n')
				buf[n] = 'N';
			n++;
		}
		buf[n++] = '\n';
	}
	return n;
}

/*
 * Reads batches as the sender does: one call that may read, then as many
 * that may not, then checks every record of the batch, all still valid.
 */
static void
batch_check(int fd, const unsigned char *in, size_t inlen, size_t batch)
{
	struct frame_reader	 r;
	const unsigned char	*rec[64];
	size_t			 len[64], off = 0, k, i;
	int			 rc = FRAME_RECORD;

	r = open_reader(fd, "line", MAXREC);
	while (rc == FRAME_RECORD) {
		for (k = 0; k < batch; k++) {
			rc = frame_next(&r, k == 0, &rec[k], &len[k]);
			if (rc != FRAME_RECORD)
				break;
		}
		if (rc == FRAME_AGAIN)
			rc = FRAME_RECORD;
		for (i = 0; i < k; i++) {
			if (off + len[i] >= inlen ||
			    memcmp(rec[i], in + off, len[i]) != 0 ||
			    in[off + len[i]] != '\n')
				fail_msg("batch record at %zu differs", off);
			off += len[i] + 1;
		}
	}
	assert_int_equal(rc, FRAME_END);
	assert_int_equal(off, inlen);
	frame_reader_free(&r);
}

static void
test_batches(void **state)
{
	static const size_t batches[] = { 1, 2, 64 };
	static const size_t steps[] = { 1000, 65536 };
	unsigned char	*in;
	size_t		 inlen, i, j;
	pid_t		 pid;
	int		 fd;

	(void)state;
	assert_non_null(in = malloc(3 * 1024 * 1024));
	inlen = make_lines(in, 3 * 1024 * 1024, 12345, 3000);
	for (i = 0; i < NELEM(batches); i++) {
		fd = feed_start(in, inlen, FEED_FILE, 0, &pid);
		batch_check(fd, in, inlen, batches[i]);
		feed_end(fd, pid);
		for (j = 0; j < NELEM(steps); j++) {
			fd = feed_start(in, inlen, FEED_PIPE, steps[j], &pid);
			batch_check(fd, in, inlen, batches[i]);
			feed_end(fd, pid);
		}
	}
	/* Byte by byte, over less input so as not to take long. */
	inlen = make_lines(in, 8 * 1024, 4321, 300);
	fd = feed_start(in, inlen, FEED_PACKET, 1, &pid);
	batch_check(fd, in, inlen, 64);
	feed_end(fd, pid);
	/* Long lines near maxrec, so that compaction moves a lot. */
	inlen = make_lines(in, 3 * 1024 * 1024, 777, MAXREC);
	fd = feed_start(in, inlen, FEED_PACKET, 50000, &pid);
	batch_check(fd, in, inlen, 64);
	feed_end(fd, pid);
	free(in);
}

/*
 * Short lines from a file keep the reader within its first READ_MAX
 * bytes and a record: each read takes READ_MAX at most, and what is left
 * unread goes back to the front, so the rest of the buffer is never
 * touched.  Every record still comes out whole.
 */
static void
test_short_reads(void **state)
{
	struct frame_reader	 r;
	const unsigned char	*p;
	unsigned char		*in;
	size_t			 inlen, n, off = 0, top = 0;
	pid_t			 pid;
	int			 fd, rc;

	(void)state;
	assert_non_null(in = malloc(3 * 1024 * 1024));
	inlen = make_lines(in, 3 * 1024 * 1024, 2468, 120);
	fd = feed_start(in, inlen, FEED_FILE, 0, &pid);
	r = open_reader(fd, "line", MAXREC);
	while ((rc = frame_next(&r, FRAME_READ, &p, &n)) == FRAME_RECORD) {
		assert_true(off + n < inlen);
		assert_memory_equal(p, in + off, n);
		assert_int_equal(in[off + n], '\n');
		off += n + 1;
		if (r.tail > top)
			top = r.tail;
	}
	assert_int_equal(rc, FRAME_END);
	assert_int_equal(off, inlen);
	if (top > READ_MAX + 120)
		fail_msg("the reader's data reached byte %zu of its buffer; "
		    "short lines should keep it within %d", top,
		    READ_MAX + 120);
	frame_reader_free(&r);
	feed_end(fd, pid);
	free(in);
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/* EINTR comes back as FRAME_EREAD, and the same call can be repeated. */
static void
test_eintr(void **state)
{
	struct frame_reader	 r;
	struct sigaction	 sa, old;
	struct itimerval	 it = { { 0, 50000 }, { 0, 50000 } };
	struct itimerval	 off = { { 0, 0 }, { 0, 0 } };
	const unsigned char	*p;
	size_t			 n;
	int			 fds[2];

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART */
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	assert_int_equal(pipe(fds), 0);
	r = open_reader(fds[0], "line", MAXREC);
	assert_int_equal(write(fds[1], "ab\nc", 4), 4);
	assert_int_equal(frame_next(&r, 1, &p, &n), FRAME_RECORD);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	errno = 0;
	assert_int_equal(frame_next(&r, 1, &p, &n), FRAME_EREAD);
	assert_int_equal(errno, EINTR);
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	assert_int_equal(write(fds[1], "d\n", 2), 2);
	close(fds[1]);
	assert_int_equal(frame_next(&r, 1, &p, &n), FRAME_RECORD);
	assert_int_equal(n, 2);
	assert_memory_equal(p, "cd", 2);
	assert_int_equal(frame_next(&r, 1, &p, &n), FRAME_END);
	frame_reader_free(&r);
	close(fds[0]);
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
}

/* Other read errors come back with their errno. */
static void
test_read_error(void **state)
{
	struct frame_reader	 r;
	const unsigned char	*p;
	size_t			 n;

	(void)state;
	r = open_reader(-1, "whole", MAXREC);
	errno = 0;
	assert_int_equal(frame_next(&r, 1, &p, &n), FRAME_EREAD);
	assert_int_equal(errno, EBADF);
	assert_int_equal(frame_next(&r, 0, &p, &n), FRAME_AGAIN);
	assert_int_equal(r.nrec, 0);
	frame_reader_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_in),
		cmocka_unit_test(test_parse_out),
		cmocka_unit_test(test_init_invalid),
		cmocka_unit_test(test_init_enomem),
		cmocka_unit_test(test_tiny_maxrec),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_all_bytes),
		cmocka_unit_test(test_maxrec),
		cmocka_unit_test(test_huge_line),
		cmocka_unit_test(test_no_read),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_read_once),
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_short_reads),
		cmocka_unit_test(test_eintr),
		cmocka_unit_test(test_read_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
