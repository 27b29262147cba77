/* fuzz_frame.c: libFuzzer harness for frame_reader over a pipe or a memfd. */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "fuzz.h"
#include "oracle.h"

#define NMODES		5
#define AMPLIFY_MIN	(1300 * 1024)	/* past the reader's 1 MiB buffer */
#define PIPE_PIECE_MAX	65536		/* what an empty pipe takes at once */
#define HELD_MAX	4096		/* records checked again later */
#define AMPLIFY_RECS	20000		/* most records of an amplified input */

/* Largest pieces written to the pipe at once, by class. */
static const size_t piece_max[] = { 1, 3, 17, 512, 4096, 65536, 65536, 1 };

/* What the reader is fed and how. */
struct setup {
	struct in_frame	 f;
	size_t		 maxrec;
	int		 use_memfd;
	int		 amplify;
	int		 probe;		/* also call with may_read 0 */
	int		 bad_init;	/* try an invalid setup first */
	size_t		 pmax;
	uint32_t	 rng;
	const unsigned char *in;
	size_t		 len;
};

/* A record handed out and the offset of the input it must equal. */
struct held {
	const unsigned char	*p;
	size_t			 len;
	size_t			 off;
};

/* The reference over the whole input: oracle_split(). */
static int
ref_next(const struct setup *su, size_t *pos, unsigned long long nrec,
    size_t *off, size_t *n)
{
	return oracle_split(&su->f, su->maxrec, su->in, su->len, pos, nrec,
	    off, n);
}

/* Writes the next piece to the empty pipe, or closes it at the end. */
static void
feed(struct setup *su, int *wfd, size_t *fed)
{
	size_t n;
	ssize_t w;

	if (*fed == su->len) {
		close(*wfd);
		*wfd = -1;
		return;
	}
	n = 1 + fuzz_rand(&su->rng) % su->pmax;
	if (n > su->len - *fed)
		n = su->len - *fed;
	while (n > 0) {
		w = write(*wfd, su->in + *fed, n);
		FUZZ_CHECK(w > 0);
		*fed += (size_t)w;
		n -= (size_t)w;
	}
}

/* The input framed again: records with their delimiters or headers. */
static size_t
reframe(const struct setup *su, unsigned char *out, size_t o,
    const unsigned char *rec, size_t n, size_t off)
{
	if (su->f.mode == IN_LENGTH) {
		out[o++] = (unsigned char)(n >> 8);
		out[o++] = (unsigned char)n;
	}
	memcpy(out + o, rec, n);
	o += n;
	/* A delimiter follows unless the record was the input's last piece. */
	if ((su->f.mode == IN_LINE || su->f.mode == IN_NUL) &&
	    off + n < su->len)
		out[o++] = su->f.mode == IN_LINE ? '\n' : '\0';
	return o;
}

/* Reads every record and compares each with the reference. */
static void
drive(struct setup *su, struct frame_reader *r, int *wfd)
{
	struct held *held;
	unsigned char *re;
	const unsigned char *rec;
	size_t pos = 0, fed = 0, off = 0, n = 0, len, nheld = 0, o = 0, i;
	unsigned long long nrec = 0, steps = 0, limit;
	int rc, want, may;

	held = malloc(HELD_MAX * sizeof(*held));
	re = malloc(su->len + 2);
	FUZZ_CHECK(held != NULL && re != NULL);
	limit = 4 * (unsigned long long)su->len + 64;
	for (may = 1;; may = !su->probe || may == 0 ||
	    (fuzz_rand(&su->rng) & 3) != 0) {
		FUZZ_CHECK(++steps < limit);
		if (may) {
			/* Records handed out before may still be read now. */
			for (i = 0; i < nheld; i++)
				FUZZ_CHECK(memcmp(held[i].p,
				    su->in + held[i].off, held[i].len) == 0);
			nheld = 0;
		}
		rc = frame_next(r, may, &rec, &len);
		if (rc == FRAME_EREAD) {
			FUZZ_CHECK(may && !su->use_memfd && errno == EAGAIN);
			FUZZ_CHECK(*wfd != -1);
			feed(su, wfd, &fed);
			continue;
		}
		if (rc == FRAME_AGAIN) {
			FUZZ_CHECK(!may);
			continue;
		}
		want = ref_next(su, &pos, nrec, &off, &n);
		FUZZ_CHECK(rc == want);
		if (rc != FRAME_RECORD)
			break;
		FUZZ_CHECK(len == n);
		FUZZ_CHECK(len == 0 || memcmp(rec, su->in + off, len) == 0);
		FUZZ_CHECK(r->nrec == ++nrec);
		i = o;
		o = reframe(su, re, o, rec, len, off);
		FUZZ_CHECK(o <= su->len);
		FUZZ_CHECK(memcmp(re + i, su->in + i, o - i) == 0);
		if (nheld < HELD_MAX) {
			held[nheld].p = rec;
			held[nheld].len = len;
			held[nheld++].off = off;
		}
	}
	/* The end or an error: the input is rebuilt exactly up to there. */
	FUZZ_CHECK(o == pos);
	if (rc == FRAME_END)
		FUZZ_CHECK(o == su->len);
	/* Errors leave the state alone, so that they repeat; the end too. */
	FUZZ_CHECK(frame_next(r, 1, &rec, &len) == rc);
	free(re);
	free(held);
}

/* An invalid setup must be refused with EINVAL and leave nothing behind. */
static void
check_bad_init(const struct setup *su, unsigned how)
{
	struct frame_reader r;
	struct in_frame f = su->f;

	switch (how % 3) {
	case 0:
		f.mode = IN_CHUNK;
		f.chunk = 0;
		break;
	case 1:
		f.mode = IN_CHUNK;
		f.chunk = su->maxrec + 1 + how;
		break;
	default:
		f.mode = (enum in_framing)(IN_PCAP + 1 + how % 7);
		break;
	}
	errno = 0;
	FUZZ_CHECK(frame_reader_init(&r, 0, f, su->maxrec) == -1);
	FUZZ_CHECK(errno == EINVAL);
}

/* Makes the descriptor the reader reads: a pipe fed piece by piece. */
static int
open_source(struct setup *su, int *wfd)
{
	int p[2], fd;
	size_t done;
	ssize_t w;

	*wfd = -1;
	if (!su->use_memfd) {
		FUZZ_CHECK(pipe(p) == 0);
		FUZZ_CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
		*wfd = p[1];
		return p[0];
	}
	fd = memfd_create("fuzz_frame", MFD_CLOEXEC);
	FUZZ_CHECK(fd != -1);
	for (done = 0; done < su->len; done += (size_t)w) {
		w = write(fd, su->in + done, su->len - done);
		FUZZ_CHECK(w > 0);
	}
	FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

/* How many records the reference finds, counting to a little past max. */
static unsigned long
count_records(const struct setup *su)
{
	unsigned long long nrec = 0;
	size_t pos = 0, off, n;

	while (nrec <= AMPLIFY_RECS &&
	    ref_next(su, &pos, nrec, &off, &n) == FRAME_RECORD)
		nrec++;
	return (unsigned long)nrec;
}

/* The framing names, for -F: exact words, and chunk:N with 1 <= N <= max. */
static void
check_names(const char *s, size_t max)
{
	static const char *const in_names[] = { "line", "nul", "whole",
	    "chunk", "length", "json", "pcap" };
	static const char *const out_names[] = { "line", "nul", "none",
	    "length", "pcap" };
	struct in_frame f;
	enum out_framing of = (enum out_framing)-1;
	const char *why = NULL, *d;
	unsigned long long n;
	int rc, want = -1;
	size_t i;
	char *end;

	memset(&f, 0x5a, sizeof(f));
	rc = frame_parse_in(s, max, &f, &why);
	for (i = 0; i < 7; i++)
		if (i != IN_CHUNK && strcmp(s, in_names[i]) == 0) {
			want = 0;
			FUZZ_CHECK(rc == 0 && f.mode == (enum in_framing)i);
		}
	if (strncmp(s, "chunk:", 6) == 0) {
		d = s + 6;
		for (i = 0; d[i] >= '0' && d[i] <= '9'; i++)
			continue;
		errno = 0;
		n = strtoull(d, &end, 10);
		if (i > 0 && d[i] == '\0' && errno == 0 && n >= 1 && n <= max) {
			want = 0;
			FUZZ_CHECK(rc == 0 && f.mode == IN_CHUNK &&
			    f.chunk == n);
		}
	}
	FUZZ_CHECK(rc == want);
	if (rc == -1)
		FUZZ_CHECK(why != NULL && why[0] != '\0');
	rc = frame_parse_out(s, &of);
	for (i = 0, want = -1; i < 5; i++)
		if (strcmp(s, out_names[i]) == 0) {
			want = 0;
			FUZZ_CHECK(rc == 0 && of == (enum out_framing)i);
		}
	FUZZ_CHECK(rc == want);
}

/* Repeats the input until it is larger than the reader's buffer. */
static unsigned char *
amplify(const unsigned char *in, size_t len, size_t *outlen)
{
	unsigned char *out;
	size_t n, o;

	n = ((size_t)AMPLIFY_MIN / len + 1) * len;
	FUZZ_CHECK((out = malloc(n)) != NULL);
	for (o = 0; o < n; o += len)
		memcpy(out + o, in, len);
	*outlen = n;
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct frame_reader r;
	struct setup su;
	unsigned char *copy, *big = NULL;
	unsigned b0, b1, b2;
	char *name;
	int fd, wfd, large;

	memset(&su, 0, sizeof(su));
	b0 = fuzz_u8(&in);
	if (b0 >= 0xfe) {
		/* The names of the framings, with a limit as -F has it. */
		su.maxrec = b0 == 0xfe ? 65527 : (size_t)fuzz_uint(&in, 3);
		name = fuzz_cstr(&in);
		check_names(name, su.maxrec);
		free(name);
		return 0;
	}
	b1 = fuzz_u8(&in);
	b2 = fuzz_u8(&in);
	su.f.mode = (enum in_framing)(b0 % NMODES);
	su.use_memfd = (int)(b1 & 1);
	su.amplify = (b1 >> 1 & 7) == 7 && (b0 & 0x80) != 0 &&
	    (b2 & 0x30) == 0x30;
	su.probe = (int)(b1 >> 4 & 1);
	su.bad_init = (int)(b1 >> 5 & 1);
	su.pmax = piece_max[b1 >> 6 | (b0 >> 6 & 1) << 2];
	su.maxrec = fuzz_limit(&in, b2, &large);
	if (large)
		su.maxrec %= 2u << 20;
	if (su.f.mode == IN_CHUNK)
		su.f.chunk = su.maxrec == 0 ? 0 :
		    1 + (size_t)fuzz_uint(&in, 2) % su.maxrec;
	su.rng = (uint32_t)fuzz_uint(&in, 2) << 8 | 0x9e3779b9u;
	if (su.f.mode == IN_CHUNK && su.f.chunk == 0) {
		/* chunk:N needs 1 <= N <= maxrec: only the refusal to check. */
		check_bad_init(&su, b0);
		return 0;
	}
	FUZZ_CHECK((copy = malloc(in.n ? in.n : 1)) != NULL);
	if (in.n > 0)
		memcpy(copy, in.p, in.n);
	su.in = copy;
	su.len = in.n;
	if (su.amplify && su.len > 0) {
		big = amplify(copy, su.len, &su.len);
		su.in = big;
		if (count_records(&su) > AMPLIFY_RECS) {
			/* Too slow to be worth it: fuzz the input as it is. */
			free(big);
			big = NULL;
			su.in = copy;
			su.len = in.n;
		} else
			su.pmax = PIPE_PIECE_MAX;
	}
	if (su.bad_init)
		check_bad_init(&su, b0 >> 3);
	fd = open_source(&su, &wfd);
	FUZZ_CHECK(frame_reader_init(&r, fd, su.f, su.maxrec) == 0);
	drive(&su, &r, &wfd);
	frame_reader_free(&r);
	close(fd);
	if (wfd != -1)
		close(wfd);
	free(big);
	free(copy);
	return 0;
}
