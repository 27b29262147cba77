/* fuzz_output.c: libFuzzer harness for out_format, out_peer and obuf. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "enc.h"
#include "output.h"
#include "fuzz.h"
#include "oracle.h"

#define JSON_DEPTH	32
#define JSON_MEMBERS	16
#define AMPLIFY_LEN	70000	/* more than a length frame can say */

/*
 * A strict JSON reader (RFC 8259): validates a text and, for the
 * top-level object, keeps each member's key and where its value lies.
 */
struct jmember {
	char	*key;
	size_t	 keylen;
	size_t	 start;		/* of the value in the text */
	size_t	 end;
	char	*str;		/* a string value, unescaped */
	size_t	 strlen;
};

struct jp {
	const unsigned char	*s;
	size_t			 n;
	size_t			 i;
	int			 depth;
	struct jmember		 m[JSON_MEMBERS];
	int			 nm;
};

static int	j_value(struct jp *, int, char **, size_t *);

static void
j_ws(struct jp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
	    p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static int
j_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Length of a valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
j_utf8(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* Appends code point cp to out as UTF-8. */
static size_t
j_put_utf8(char *out, size_t o, uint32_t cp)
{
	if (cp < 0x80)
		out[o++] = (char)cp;
	else if (cp < 0x800) {
		out[o++] = (char)(0xc0 | cp >> 6);
		out[o++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[o++] = (char)(0xe0 | cp >> 12);
		out[o++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[o++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[o++] = (char)(0xf0 | cp >> 18);
		out[o++] = (char)(0x80 | (cp >> 12 & 0x3f));
		out[o++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[o++] = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* Reads \uXXXX at p->i (past the backslash and 'u'); -1 if malformed. */
static long
j_u4(struct jp *p)
{
	long v = 0;
	int i, h;

	if (p->n - p->i < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((h = j_hex(p->s[p->i + i])) < 0)
			return -1;
		v = v << 4 | h;
	}
	p->i += 4;
	return v;
}

/* A string; its unescaped bytes go to *out (allocated) when out is set. */
static int
j_string(struct jp *p, char **out, size_t *outlen)
{
	char *buf = NULL;
	size_t o = 0, k;
	long cp, lo;
	unsigned char c;

	if (p->i >= p->n || p->s[p->i] != '"')
		return -1;
	p->i++;
	if (out != NULL)
		buf = fuzz_dup(NULL, p->n - p->i + 4);
	for (;;) {
		if (p->i >= p->n)
			goto bad;
		c = p->s[p->i];
		if (c == '"') {
			p->i++;
			break;
		}
		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			if ((k = j_utf8(p->s + p->i, p->n - p->i)) == 0)
				goto bad;
			if (buf != NULL)
				memcpy(buf + o, p->s + p->i, k);
			o += k;
			p->i += k;
			continue;
		}
		if (++p->i >= p->n)
			goto bad;
		c = p->s[p->i++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			if ((cp = j_u4(p)) < 0)
				goto bad;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->n - p->i < 2 || p->s[p->i] != '\\' ||
				    p->s[p->i + 1] != 'u')
					goto bad;
				p->i += 2;
				if ((lo = j_u4(p)) < 0xdc00 || lo > 0xdfff)
					goto bad;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff)
				goto bad;
			if (buf != NULL)
				o = j_put_utf8(buf, o, (uint32_t)cp);
			continue;
		default:
			goto bad;
		}
		if (buf != NULL)
			buf[o] = (char)c;
		o++;
	}
	if (out != NULL) {
		*out = buf;
		*outlen = o;
	}
	return 0;
bad:
	free(buf);
	return -1;
}

/* Skips a run of digits; returns how many. */
static size_t
j_digits(struct jp *p)
{
	size_t d;

	for (d = 0; p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9';
	    d++)
		p->i++;
	return d;
}

/* A number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int
j_number(struct jp *p)
{
	if (p->i < p->n && p->s[p->i] == '-')
		p->i++;
	if (p->i >= p->n)
		return -1;
	if (p->s[p->i] == '0')
		p->i++;
	else if (p->s[p->i] >= '1' && p->s[p->i] <= '9')
		(void)j_digits(p);
	else
		return -1;
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		if (j_digits(p) == 0)
			return -1;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (j_digits(p) == 0)
			return -1;
	}
	return 0;
}

static int
j_literal(struct jp *p, const char *lit)
{
	size_t n = strlen(lit);

	if (p->n - p->i < n || memcmp(p->s + p->i, lit, n) != 0)
		return -1;
	p->i += n;
	return 0;
}

/*
 * What is left of an array or object, past its opening bracket: items
 * read by item (given top) and separated by commas, up to close.
 */
static int
j_items(struct jp *p, int close, int top, int (*item)(struct jp *, int))
{
	p->i++;
	j_ws(p);
	if (p->i < p->n && p->s[p->i] == close) {
		p->i++;
		return 0;
	}
	for (;;) {
		j_ws(p);
		if (item(p, top) == -1)
			return -1;
		j_ws(p);
		if (p->i >= p->n)
			return -1;
		if (p->s[p->i] == close) {
			p->i++;
			return 0;
		}
		if (p->s[p->i++] != ',')
			return -1;
	}
}

/* An object's member; at the top level it is kept in p->m. */
static int
j_pair(struct jp *p, int top)
{
	struct jmember *m;
	char *key, *str = NULL;
	size_t keylen, slen = 0;

	if (j_string(p, &key, &keylen) == -1)
		return -1;
	j_ws(p);
	if (p->i >= p->n || p->s[p->i] != ':') {
		free(key);
		return -1;
	}
	p->i++;
	j_ws(p);
	if (!top || p->nm == JSON_MEMBERS) {
		free(key);
		return j_value(p, 0, NULL, NULL);
	}
	m = &p->m[p->nm++];
	m->key = key;
	m->keylen = keylen;
	m->start = p->i;
	if (j_value(p, 0, &str, &slen) == -1)
		return -1;
	m->end = p->i;
	m->str = str;
	m->strlen = slen;
	return 0;
}

/* An array's element. */
static int
j_element(struct jp *p, int top)
{
	(void)top;
	return j_value(p, 0, NULL, NULL);
}

static int
j_value(struct jp *p, int top, char **str, size_t *slen)
{
	int rc;

	if (p->i >= p->n || ++p->depth > JSON_DEPTH)
		return -1;
	switch (p->s[p->i]) {
	case '{':
		rc = j_items(p, '}', top, j_pair);
		break;
	case '[':
		rc = j_items(p, ']', 0, j_element);
		break;
	case '"':
		rc = j_string(p, str, slen);
		break;
	case 't':
		rc = j_literal(p, "true");
		break;
	case 'f':
		rc = j_literal(p, "false");
		break;
	case 'n':
		rc = j_literal(p, "null");
		break;
	default:
		rc = j_number(p);
		break;
	}
	p->depth--;
	return rc;
}

/* Parses a whole text; returns 0 when it is one valid JSON value. */
static int
j_parse(struct jp *p, const char *s, size_t n)
{
	memset(p, 0, sizeof(*p));
	p->s = (const unsigned char *)s;
	p->n = n;
	j_ws(p);
	if (j_value(p, 1, NULL, NULL) == -1)
		return -1;
	j_ws(p);
	return p->i == p->n ? 0 : -1;
}

static void
j_free(struct jp *p)
{
	int i;

	for (i = 0; i < p->nm; i++) {
		free(p->m[i].key);
		free(p->m[i].str);
	}
}

/* The member with that key, which must be the i-th. */
static const struct jmember *
j_member(const struct jp *p, int i, const char *key)
{
	FUZZ_CHECK(i < p->nm);
	FUZZ_CHECK(p->m[i].keylen == strlen(key) &&
	    memcmp(p->m[i].key, key, p->m[i].keylen) == 0);
	return &p->m[i];
}

/* Is the value's text exactly s? */
static int
j_is(const struct jp *p, const struct jmember *m, const char *s)
{
	return m->end - m->start == strlen(s) &&
	    memcmp(p->s + m->start, s, strlen(s)) == 0;
}

/* What the harness built: the datagram, its sender and how to show it. */
struct sample {
	struct out_fmt		 f;
	struct dgram		 d;
	struct sockaddr_storage	 ss;
	int			 from_null;
	unsigned char		*payload;
};

/*
 * RFC 5952 text of an IPv6 address: inet_ntop()'s, which compresses the
 * same way (the first longest run of two or more zero groups), except
 * that it writes ::a.b.c.d for the IPv4-compatible ::/96, where RFC 5952
 * recommends no dotted form.
 */
static void
ref_ipv6(const unsigned char *a, char *buf, size_t size)
{
	FUZZ_CHECK(inet_ntop(AF_INET6, a, buf, (socklen_t)size) != NULL);
	if (strchr(buf, '.') != NULL)
		snprintf(buf, size, "::%x:%x", (unsigned)a[12] << 8 | a[13],
		    (unsigned)a[14] << 8 | a[15]);
}

/*
 * A Unix sender's name: "unnamed", "@" and the abstract name, or the path
 * up to its NUL; every byte outside printable ASCII but '\\' as \xHH,
 * and '\\' doubled (text encoding).
 */
static void
ref_unix(const struct sample *s, char *buf, size_t size)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&s->ss;
	size_t n, i, o = 0, off = offsetof(struct sockaddr_un, sun_path);
	const unsigned char *p = (const unsigned char *)sun->sun_path;

	if (s->d.fromlen <= off) {
		snprintf(buf, size, "unnamed");
		return;
	}
	n = s->d.fromlen - off;
	if (n > sizeof(sun->sun_path))
		n = sizeof(sun->sun_path);
	if (p[0] == '\0') {
		buf[o++] = '@';
		p++;
		n--;
	} else
		n = strnlen((const char *)p, n);
	for (i = 0; i < n && o + 5 < size; i++) {
		if (p[i] == '\\')
			o += (size_t)snprintf(buf + o, size - o, "\\\\");
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			buf[o++] = (char)p[i];
		else if (p[i] == '\n' || p[i] == '\r' || p[i] == '\t' ||
		    p[i] == '\0')
			o += (size_t)snprintf(buf + o, size - o, "\\%c",
			    p[i] == '\n' ? 'n' : p[i] == '\r' ? 'r' :
			    p[i] == '\t' ? 't' : '0');
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x",
			    p[i]);
	}
	buf[o] = '\0';
}

/* The address as out_addr() should give it, by other means; or "?". */
static void
ref_addr(const struct sample *s, char *buf, size_t size, unsigned *port,
    int bracket)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&s->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&s->ss;
	char a[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE];
	size_t n;

	*port = 0;
	snprintf(buf, size, "?");
	if (s->from_null)
		return;
	if (s->ss.ss_family == AF_UNIX) {
		ref_unix(s, buf, size);
		*port = OUT_NO_PORT;
		return;
	}
	if (s->ss.ss_family == AF_INET && s->d.fromlen >= sizeof(*sin)) {
		inet_ntop(AF_INET, &sin->sin_addr, buf, (socklen_t)size);
		*port = ntohs(sin->sin_port);
	} else if (s->ss.ss_family == AF_INET6 &&
	    s->d.fromlen >= sizeof(*sin6)) {
		*port = ntohs(sin6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], buf,
			    (socklen_t)size);
			return;
		}
		ref_ipv6(sin6->sin6_addr.s6_addr, a, sizeof(a));
		n = (size_t)snprintf(buf, size, "%s%s", bracket ? "[" : "", a);
		if (sin6->sin6_scope_id != 0) {
			if (if_indextoname(sin6->sin6_scope_id, ifname) != NULL)
				n += (size_t)snprintf(buf + n, size - n, "%%%s",
				    ifname);
			else
				n += (size_t)snprintf(buf + n, size - n, "%%%u",
				    (unsigned)sin6->sin6_scope_id);
		}
		if (bracket)
			snprintf(buf + n, size - n, "]");
	}
}

/* The time as out_format() should write it, through gmtime_r(). */
static void
ref_time(const struct timespec *ts, char *buf, size_t size)
{
	struct tm tm;
	time_t sec = ts->tv_sec;
	long year, usec;

	if (gmtime_r(&sec, &tm) == NULL) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = 70;
		tm.tm_mday = 1;
	}
	year = (long)tm.tm_year + 1900;
	usec = ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000 ?
	    ts->tv_nsec / 1000 : 0;
	snprintf(buf, size, "%s%04ld-%02d-%02dT%02d:%02d:%02d.%06ldZ",
	    year < 0 ? "-" : "", year < 0 ? -year : year, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
}

/* A JSON record: one valid object on one line, with the right values. */
static void
check_json(const struct sample *s, const char *out, size_t n)
{
	const struct jmember *m;
	struct jp p;
	char want[PEER_MAX], num[32];
	unsigned port;

	FUZZ_CHECK(n > 0 && out[n - 1] == '\n');
	if (s->f.enc == ENC_RAW)
		return;		/* refused by printer_init(): not JSON */
	FUZZ_CHECK(memchr(out, '\n', n - 1) == NULL);
	if (j_parse(&p, out, n - 1) != 0) {
		fprintf(stderr, "invalid JSON: %.*s\n", (int)n, out);
		FUZZ_CHECK(!"valid JSON");
	}
	FUZZ_CHECK(p.s[0] == '{' && p.nm == 6);
	m = j_member(&p, 0, "time");
	ref_time(&s->d.time, want, sizeof(want));
	FUZZ_CHECK(m->str != NULL && m->strlen == strlen(want) &&
	    memcmp(m->str, want, m->strlen) == 0);
	m = j_member(&p, 1, "from");
	ref_addr(s, want, sizeof(want), &port, 0);
	FUZZ_CHECK(m->str != NULL && m->strlen == strlen(want) &&
	    memcmp(m->str, want, m->strlen) == 0);
	m = j_member(&p, 2, "port");
	if (port == OUT_NO_PORT)
		snprintf(num, sizeof(num), "null");
	else
		snprintf(num, sizeof(num), "%u", port);
	FUZZ_CHECK(j_is(&p, m, num));
	m = j_member(&p, 3, "size");
	snprintf(num, sizeof(num), "%zu", s->d.size);
	FUZZ_CHECK(j_is(&p, m, num));
	m = j_member(&p, 4, "truncated");
	FUZZ_CHECK(j_is(&p, m, s->d.size > s->d.len ? "true" : "false"));
	m = j_member(&p, 5, "data");
	FUZZ_CHECK(m->str != NULL);
	oracle_check_payload(s->f.enc, &s->d, m->str, m->strlen);
	j_free(&p);
}

/* A framed record: the peer, the encoded payload and the delimiter. */
static void
check_framed(const struct sample *s, const char *out, size_t n)
{
	char want[PEER_MAX + 8];
	size_t body = 0, len;
	unsigned port;

	if (s->f.framing == OUT_LENGTH) {
		oracle_check_length(&s->d, out, n);
		return;
	}
	if (s->f.show_peer) {
		ref_addr(s, want, sizeof(want) - 8, &port, 1);
		if (port == OUT_NO_PORT)
			snprintf(want + strlen(want), 8, " ");
		else
			snprintf(want + strlen(want), 8, ":%u ", port);
		body = strlen(want);
		FUZZ_CHECK(n >= body && memcmp(out, want, body) == 0);
	}
	len = n - body;
	if (s->f.framing == OUT_LINE || s->f.framing == OUT_NUL) {
		FUZZ_CHECK(len > 0);
		FUZZ_CHECK(out[n - 1] == (s->f.framing == OUT_LINE ? '\n' :
		    '\0'));
		len--;
	}
	oracle_check_payload(s->f.enc, &s->d, out + body, len);
}

/* Two strings must be equal; says both when they are not. */
static void
check_streq(const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "got '%s', want '%s'\n", got, want);
		FUZZ_CHECK(!"strings equal");
	}
}

/* out_peer() and out_addr() against inet_ntop() and if_indextoname(). */
static void
check_peer(const struct sample *s)
{
	const struct sockaddr *sa = s->from_null ? NULL :
	    (const struct sockaddr *)&s->ss;
	char buf[PEER_MAX], want[PEER_MAX + 8];
	unsigned port = 99999, wport;
	int n;

	ref_addr(s, want, sizeof(want), &wport, 1);
	n = oracle_out_peer(sa, s->d.fromlen, buf);
	if (strcmp(want, "?") == 0) {
		FUZZ_CHECK(n == -1);
		return;
	}
	FUZZ_CHECK(n > 0 && n < PEER_MAX && (size_t)n == strlen(buf));
	if (wport != OUT_NO_PORT)
		snprintf(want + strlen(want), 8, ":%u", wport);
	check_streq(buf, want);
	ref_addr(s, want, sizeof(want), &wport, 0);
	n = out_addr(sa, s->d.fromlen, buf, &port);
	FUZZ_CHECK(n > 0 && (size_t)n == strlen(buf));
	check_streq(buf, want);
	FUZZ_CHECK(port == wport);
}

/* Builds the sender's address from the input. */
static void
make_sender(struct sample *s, struct fuzz_in *in)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&s->ss;
	unsigned kind = fuzz_u8(in), i;
	unsigned char a[16];
	uint16_t port = (uint16_t)fuzz_uint(in, 2);
	uint32_t scope = (uint32_t)fuzz_uint(in, 4);

	for (i = 0; i < 16; i++)
		a[i] = (unsigned char)fuzz_u8(in);
	memset(&s->ss, 0, sizeof(s->ss));
	if (kind % 8 <= 4)
		/* Small scopes name real interfaces (1 is lo), large don't. */
		s->d.fromlen = oracle_ip_sender(&s->ss, kind % 8, port, a,
		    kind & 0x80 ? scope : scope % 4);
	else if (kind % 8 == 5) {
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, a, 16);
		s->d.fromlen = sizeof(*sun);
	} else if (kind % 8 == 6) {
		s->from_null = 1;
		s->d.fromlen = 0;
	} else
		s->d.fromlen = oracle_short_sender(&s->ss, kind & 0x80, a,
		    scope);
	s->d.from = s->from_null ? NULL : (const struct sockaddr *)&s->ss;
}

/* out_record_max() must never wrap for any payload size. */
static void
check_max_monotonic(const struct out_fmt *f, uint64_t big)
{
	size_t len = (size_t)big, max = out_record_max(f, len);

	FUZZ_CHECK(max >= len);
	if (len < SIZE_MAX)
		FUZZ_CHECK(out_record_max(f, len + 1) >= max);
}

static void
check_format(struct fuzz_in *in)
{
	struct sample s;
	unsigned b0 = fuzz_u8(in), b1 = fuzz_u8(in);
	uint64_t extra, big;
	size_t n, i;
	char *out;

	memset(&s, 0, sizeof(s));
	s.f = oracle_fmt(b0);
	make_sender(&s, in);
	s.d.time.tv_sec = (time_t)fuzz_uint(in, 8);
	if (!(b1 & 1))
		s.d.time.tv_sec %= 8000000000LL;	/* before 2224 */
	s.d.time.tv_nsec = (long)fuzz_uint(in, 8);
	if (!(b1 & 2))
		s.d.time.tv_nsec = (long)((unsigned long)s.d.time.tv_nsec %
		    1000000000UL);
	extra = fuzz_uint(in, 4);
	big = fuzz_uint(in, 8);
	/* The payload: the rest, or the rest repeated past 65,535 bytes. */
	s.d.len = in->n;
	if ((b1 & 0x1c) == 0x1c && in->n > 0)
		s.d.len = AMPLIFY_LEN;
	s.payload = fuzz_dup(NULL, s.d.len);
	for (i = 0; i < s.d.len; i++)
		s.payload[i] = in->p[i % in->n];
	s.d.data = s.payload;
	s.d.size = s.d.len;
	if (b1 & 0x20)
		s.d.size += b1 & 0x40 ? (size_t)extra : 1 + extra % 4;

	check_peer(&s);
	check_max_monotonic(&s.f, b1 & 0x80 ? big : big % 200000);
	out = oracle_format(&s.f, &s.d, &n);
	if (s.f.json)
		check_json(&s, out, n);
	else
		check_framed(&s, out, n);
	free(out);
	free(s.payload);
}

/* Reads what a non-blocking pipe holds (at most 64 KiB) into buf. */
static size_t
drain(int rfd, unsigned char *buf)
{
	size_t got = 0;
	ssize_t r;

	while ((r = read(rfd, buf + got, 65536 - got)) > 0)
		got += (size_t)r;
	return got;
}

/* Where an obuf writes, and everything the harness fed it. */
struct sink {
	struct obuf	 o;
	int		 fd;
	int		 rfd;		/* the pipe's read end, or -1 */
	int		 full;		/* /dev/full: every write fails */
	unsigned char	*stream;	/* the bytes queued, in order */
	size_t		 total;
	unsigned char	*arena;		/* caller's bytes for obuf_put() */
	size_t		 arena_used;
	unsigned char	*back;		/* what came out of the pipe */
	size_t		 got;
};

/* A failure that the descriptor explains. */
static int
expected_failure(const struct sink *k)
{
	return (k->full && errno == ENOSPC) ||
	    (k->rfd != -1 && errno == EAGAIN);
}

/* Stages n bytes with obuf_reserve() and queues k of them. */
static void
op_commit(struct sink *k, size_t n, size_t m)
{
	size_t i;
	char *p;

	errno = 0;
	if ((p = obuf_reserve(&k->o, n)) == NULL) {
		FUZZ_CHECK(n > k->o.cap ? errno == EINVAL :
		    expected_failure(k) || errno == ENOBUFS);
		return;
	}
	FUZZ_CHECK(n <= k->o.cap && k->o.n < OBUF_PIECES);
	for (i = 0; i < m && i < n; i++)
		p[i] = (char)(k->stream[k->total + i] =
		    (unsigned char)(k->total + i));
	obuf_commit(&k->o, i);
	k->total += i;
}

/* Queues m bytes of the caller's own with obuf_put(). */
static void
op_put(struct sink *k, size_t m)
{
	unsigned char *p = k->arena + k->arena_used;
	size_t i;

	for (i = 0; i < m; i++)
		p[i] = (unsigned char)((k->total + i) ^ 0x55);
	errno = 0;
	if (obuf_put(&k->o, p, m) == -1) {
		FUZZ_CHECK(expected_failure(k));
		return;
	}
	memcpy(k->stream + k->total, p, m);
	k->total += m;
	k->arena_used += m + 1;	/* a gap: pieces that do not join */
}

/*
 * The output buffer: staged records, the caller's own bytes and flushes
 * in any order; what reaches the descriptor, then what is still queued,
 * is exactly what was queued.
 */
static void
check_obuf(struct fuzz_in *in)
{
	unsigned b0 = fuzz_u8(in), op, j;
	size_t cap = 1 + (size_t)fuzz_uint(in, 2) % 8192, ops = in->n + 1;
	struct sink k;
	int pfd[2], rc;

	memset(&k, 0, sizeof(k));
	k.rfd = -1;
	if (b0 % 3 == 0)
		k.fd = memfd_create("fuzz_obuf", MFD_CLOEXEC);
	else if (b0 % 3 == 1) {
		k.fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
		k.full = 1;
	} else {
		FUZZ_CHECK(pipe(pfd) == 0);
		k.rfd = pfd[0];
		k.fd = pfd[1];
		FUZZ_CHECK(fcntl(k.fd, F_SETFL, O_NONBLOCK) == 0);
		FUZZ_CHECK(fcntl(k.rfd, F_SETFL, O_NONBLOCK) == 0);
	}
	FUZZ_CHECK(k.fd != -1);
	FUZZ_CHECK(obuf_init(&k.o, k.fd, cap) == 0);
	/* An operation queues at most 255 bytes, a burst 64 * 2. */
	k.stream = fuzz_dup(NULL, ops * 256);
	k.arena = fuzz_dup(NULL, ops * 256);
	k.back = fuzz_dup(NULL, ops * 256 + 65536);
	while (in->n > 0) {
		op = fuzz_u8(in);
		if (op >= 0xf0) {
			rc = obuf_flush(&k.o);
			FUZZ_CHECK(rc == 0 || expected_failure(&k));
			FUZZ_CHECK(rc == -1 || obuf_pending(&k.o) == 0);
			if (k.rfd != -1 && (op & 1))
				k.got += drain(k.rfd, k.back + k.got);
		} else if (op >= 0xe0)
			op_put(&k, fuzz_u8(in) % 256);
		else if (op >= 0xd0) {
			/* Pieces that never join, towards OBUF_PIECES. */
			for (j = 0; j < 64; j++) {
				op_put(&k, 1);
				op_commit(&k, 1, 1);
			}
		} else if (op & 0x80)
			op_commit(&k, cap - (op & 0x3f) % (cap < 64 ? cap : 64),
			    fuzz_u8(in));
		else
			op_commit(&k, op % 64, fuzz_u8(in));
		FUZZ_CHECK(k.o.n >= 0 && k.o.n <= OBUF_PIECES);
		FUZZ_CHECK(obuf_pending(&k.o) <= k.total);
	}
	/* A pipe takes 64 KiB at a time: read it empty while flushing. */
	while (k.rfd != -1 && obuf_pending(&k.o) > 0) {
		k.got += drain(k.rfd, k.back + k.got);
		FUZZ_CHECK(obuf_flush(&k.o) == 0 || errno == EAGAIN);
	}
	rc = obuf_flush(&k.o);
	if (k.full) {
		/* Nothing could be written: all of it is still queued. */
		FUZZ_CHECK(k.total == 0 || rc == -1);
		FUZZ_CHECK(obuf_pending(&k.o) == k.total);
	} else if (k.rfd != -1) {
		k.got += drain(k.rfd, k.back + k.got);
		FUZZ_CHECK(rc == 0 && obuf_pending(&k.o) == 0);
		FUZZ_CHECK(k.got == k.total);
		FUZZ_CHECK(k.total == 0 ||
		    memcmp(k.back, k.stream, k.total) == 0);
	} else {
		FUZZ_CHECK(rc == 0 && obuf_pending(&k.o) == 0);
		FUZZ_CHECK(lseek(k.fd, 0, SEEK_SET) == 0);
		while ((rc = (int)read(k.fd, k.back + k.got, 65536)) > 0)
			k.got += (size_t)rc;
		FUZZ_CHECK(k.got == k.total);
		FUZZ_CHECK(k.total == 0 ||
		    memcmp(k.back, k.stream, k.total) == 0);
	}
	obuf_free(&k.o);
	close(k.fd);
	if (k.rfd != -1)
		close(k.rfd);
	free(k.stream);
	free(k.arena);
	free(k.back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };

	if (fuzz_u8(&in) < 0xe0)
		check_format(&in);
	else
		check_obuf(&in);
	return 0;
}
