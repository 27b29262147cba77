/* output.c: peer addresses and output records (framed, JSON or pcap). */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "pcap.h"

/* The fixed parts of a JSON record, in order. */
static const char J_TIME[] = "{\"time\":\"";
static const char J_FROM[] = "\",\"from\":\"";
static const char J_PORT[] = "\",\"port\":";
static const char J_PID[] = ",\"pid\":";
static const char J_UID[] = ",\"uid\":";
static const char J_GID[] = ",\"gid\":";
static const char J_TO[] = ",\"to\":\"";
static const char J_IFNAME[] = "\",\"ifname\":\"";
static const char J_TTL[] = "\",\"ttl\":";
static const char J_TOS[] = ",\"tos\":";
static const char J_SIZE[] = ",\"size\":";
static const char J_TRUNC[] = ",\"truncated\":";
static const char J_DATA[] = ",\"data\":\"";
static const char J_END[] = "\"}\n";

#define LIT(p, s)	(memcpy((p), (s), sizeof(s) - 1), sizeof(s) - 1)

/*
 * Widest variable fields: a time with a sign and a 10-digit year (struct
 * tm's int), a 5-digit port, a 20-digit size and "false".
 */
#define TIME_MAX	40
#define JSON_FIXED	(sizeof(J_TIME) + sizeof(J_FROM) + sizeof(J_PORT) + \
			 sizeof(J_SIZE) + sizeof(J_TRUNC) + sizeof(J_DATA) + \
			 sizeof(J_END) + TIME_MAX + 2 * (size_t)PEER_MAX + 5 + 20 + 5 + \
			 sizeof(J_PID) + sizeof(J_UID) + sizeof(J_GID) + 3 * (size_t)10 + \
			 sizeof(J_TO) + sizeof(J_IFNAME) + sizeof(J_TTL) + \
			 sizeof(J_TOS) + 46 + IF_NAMESIZE + 2 * (size_t)11 + \
			 RELAY_FIXED)

/* The relay's fields: the keys, a client, a port and the longest fate. */
static const char J_DIR[] = ",\"dir\":\"";
static const char J_CLIENT[] = "\",\"client\":\"";
static const char J_CPORT[] = "\",\"client_port\":";
static const char J_FATE[] = ",\"fate\":\"";
#define RELAY_FIXED	(sizeof(J_DIR) + 4 + sizeof(J_CLIENT) + \
			 2 * (size_t)PEER_MAX + sizeof(J_CPORT) + 5 + \
			 sizeof(J_FATE) + 16)

/* Shown for a sender whose address family is not IPv4 or IPv6. */
static const char UNKNOWN_ADDR[] = "?";

/* Writes v in decimal at p, at least width digits; returns the length. */
static size_t
put_uint(char *p, unsigned long long v, size_t width)
{
	unsigned long long	t;
	size_t			n = 1, i;

	for (t = v; t >= 10; t /= 10)
		n++;
	if (n < width)
		n = width;
	for (i = n; i > 0; i--) {
		p[i - 1] = (char)('0' + v % 10);
		v /= 10;
	}
	return n;
}

/* Two decimal digits of v < 100. */
static size_t
put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
	return 2;
}

/* A dotted quad; by hand, as inet_ntop() costs a sprintf() per address. */
static size_t
put_ipv4(char *p, const void *addr)
{
	const unsigned char	*a = addr;
	size_t			 n;

	n = put_uint(p, a[0], 1);
	p[n++] = '.';
	n += put_uint(p + n, a[1], 1);
	p[n++] = '.';
	n += put_uint(p + n, a[2], 1);
	p[n++] = '.';
	n += put_uint(p + n, a[3], 1);
	return n;
}

/*
 * "%NAME" for a scope, or "%INDEX" when the interface has no name.  The
 * last name found is kept, as if_indextoname() costs three system calls
 * and a listener sees the same link again and again; so a renamed
 * interface shows its old name until another scope comes, and this is
 * not for threads.
 */
static size_t
put_ifname(char *p, uint32_t id)
{
	static uint32_t	 cached_id;
	static char	 cached[IF_NAMESIZE];
	size_t		 n;

	if (id != cached_id || cached[0] == '\0') {
		/*
		 * A name with anything but [A-Za-z0-9_.-] (Linux allows '"'
		 * and more) would need quoting in JSON and on a terminal:
		 * the index says the same and is always plain.
		 */
		if (if_indextoname(id, cached) == NULL ||
		    cached[strspn(cached, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789_.-")] != '\0') {
			cached[0] = '\0';
			return put_uint(p, id, 1);
		}
		cached_id = id;
	}
	n = strnlen(cached, sizeof(cached));
	memcpy(p, cached, n);
	return n;
}

/* One group of an IPv6 address in lowercase hex, without leading zeros. */
static size_t
put_hex16(char *p, unsigned v)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			n = 0;
	int			shift;

	for (shift = 12; shift > 0 && (v >> shift) == 0; shift -= 4)
		;
	for (; shift >= 0; shift -= 4)
		p[n++] = hex[v >> shift & 0xf];
	return n;
}

/*
 * An IPv6 address as RFC 5952 has it: lowercase, and the first longest
 * run of two or more zero groups as "::".  By hand, as inet_ntop() costs
 * a sprintf() per group.
 */
static size_t
put_ipv6_addr(char *p, const unsigned char *a)
{
	unsigned	w[8];
	int		i, run, best = -1, bestlen = 1;
	size_t		n = 0;

	for (i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * (size_t)i] << 8 | a[2 * (size_t)i + 1];
	for (i = 0; i < 8; i += run + 1) {
		for (run = 0; i + run < 8 && w[i + run] == 0; run++)
			;
		if (run > bestlen) {
			best = i;
			bestlen = run;
		}
	}
	for (i = 0; i < 8; i++) {
		if (i == best) {
			p[n++] = ':';
			p[n++] = ':';
			i += bestlen - 1;
			continue;
		}
		if (i > 0 && i != best + bestlen)
			p[n++] = ':';
		n += put_hex16(p + n, w[i]);
	}
	return n;
}

/* An IPv6 address and scope, bracketed on request. */
static size_t
put_ipv6(char *p, const struct sockaddr_in6 *sin6, int bracket)
{
	size_t	n = 0;

	if (bracket)
		p[n++] = '[';
	n += put_ipv6_addr(p + n, sin6->sin6_addr.s6_addr);
	if (sin6->sin6_scope_id != 0) {
		p[n++] = '%';	/* see put_ifname() */
		n += put_ifname(p + n, sin6->sin6_scope_id);
	}
	if (bracket)
		p[n++] = ']';
	return n;
}

/* A Unix socket's name at p: its path, "@NAME", or "unnamed". */
static int
put_unix(const struct sockaddr *sa, socklen_t len, char *p)
{
	const char *name = ((const struct sockaddr_un *)sa)->sun_path;
	size_t off = offsetof(struct sockaddr_un, sun_path), n;

	if (len <= off)
		return (int)LIT(p, "unnamed");
	n = len - off;
	if (n > sizeof(((struct sockaddr_un *)NULL)->sun_path))
		n = sizeof(((struct sockaddr_un *)NULL)->sun_path);
	if (name[0] == '\0') {
		p[0] = '@';
		return 1 + (int)enc_encode(ENC_TEXT,
		    (const unsigned char *)name + 1, n - 1, p + 1);
	}
	return (int)enc_encode(ENC_TEXT, (const unsigned char *)name,
	    strnlen(name, n), p);
}

/*
 * Writes the address of sa at p (at most PEER_MAX - 7 bytes, no NUL) and
 * its port through *port (a Unix name: OUT_NO_PORT).  IPv4-mapped IPv6
 * addresses are written as IPv4.  Returns the length, or -1 with errno
 * EAFNOSUPPORT for anything but a whole IPv4, IPv6 or Unix address.
 */
static int
put_addr(const struct sockaddr *sa, socklen_t len, char *p, unsigned *port,
    int bracket)
{
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;

	if (sa != NULL && sa->sa_family == AF_UNIX) {
		*port = OUT_NO_PORT;
		return put_unix(sa, len, p);
	}

	if (sa != NULL && sa->sa_family == AF_INET && len >= sizeof(sin)) {
		memcpy(&sin, sa, sizeof(sin));
		*port = ntohs(sin.sin_port);
		return (int)put_ipv4(p, &sin.sin_addr);
	}
	if (sa != NULL && sa->sa_family == AF_INET6 && len >= sizeof(sin6)) {
		memcpy(&sin6, sa, sizeof(sin6));
		*port = ntohs(sin6.sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr))
			return (int)put_ipv4(p, &sin6.sin6_addr.s6_addr[12]);
		return (int)put_ipv6(p, &sin6, bracket);
	}
	errno = EAFNOSUPPORT;
	return -1;
}

int
out_addr(const struct sockaddr *sa, socklen_t len, char *buf,
    unsigned *port)
{
	int	n;

	if ((n = put_addr(sa, len, buf, port, 0)) == -1)
		return -1;
	buf[n] = '\0';
	return n;
}

int
out_peer(const struct sockaddr *sa, socklen_t len, char *buf)
{
	unsigned	port;
	int		n;

	if ((n = put_addr(sa, len, buf, &port, 1)) == -1)
		return -1;
	if (port != OUT_NO_PORT) {
		buf[n++] = ':';
		n += (int)put_uint(buf + n, port, 1);
	}
	buf[n] = '\0';
	return n;
}

/* out_peer(), or "?:0" for a sender of an unknown family. */
static size_t
put_peer(char *p, const struct sockaddr *sa, socklen_t len)
{
	int n = out_peer(sa, len, p);

	return n == -1 ? LIT(p, "?:0") : (size_t)n;
}

/*
 * The bound: the widest peer and fixed JSON fields, and the encoder's own
 * bound, doubled for text inside JSON, where any character may need a
 * backslash.
 */
size_t
out_record_max(const struct out_fmt *f, size_t len)
{
	size_t	data, fixed;

	/* Raw records, asked for once a datagram: no encoder to ask. */
	if (f->enc == ENC_RAW && !f->json && !f->show_peer) {
		fixed = f->framing == OUT_PCAP ? PCAP_RECORD_OVERHEAD :
		    f->framing == OUT_LENGTH ? 2 : 1;
		return len > SIZE_MAX - fixed ? SIZE_MAX : len + fixed;
	}
	data = enc_encoded_max(f->enc, len);
	if (f->json) {
		if (f->enc == ENC_TEXT)
			data = data > SIZE_MAX / 2 ? SIZE_MAX : 2 * data;
		fixed = JSON_FIXED;
	} else if (f->framing == OUT_LENGTH) {
		data = len;
		fixed = 2;
	} else if (f->framing == OUT_PCAP) {
		data = len;
		fixed = PCAP_RECORD_OVERHEAD;
	} else
		fixed = PEER_MAX + 3;	/* -P's peer, or the relay's tag */
	/* SIZE_MAX, as enc_encoded_max() says, when the sum cannot be held. */
	return data > SIZE_MAX - fixed ? SIZE_MAX : data + fixed;
}

/* "2026-11-23T22:37:46.123456Z", in UTC. */
static size_t
put_time(char *p, const struct timespec *ts)
{
	struct tm	tm;
	time_t		sec = ts->tv_sec;
	long		year, usec;
	size_t		n = 0;

	if (gmtime_r(&sec, &tm) == NULL) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = 70;
		tm.tm_mday = 1;
	}
	year = (long)tm.tm_year + 1900;
	if (year < 0)
		p[n++] = '-';
	n += put_uint(p + n, (unsigned long)(year < 0 ? -year : year), 4);
	p[n++] = '-';
	n += put2(p + n, (unsigned)tm.tm_mon + 1);
	p[n++] = '-';
	n += put2(p + n, (unsigned)tm.tm_mday);
	p[n++] = 'T';
	n += put2(p + n, (unsigned)tm.tm_hour);
	p[n++] = ':';
	n += put2(p + n, (unsigned)tm.tm_min);
	p[n++] = ':';
	n += put2(p + n, (unsigned)tm.tm_sec);
	p[n++] = '.';
	usec = ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000 ?
	    ts->tv_nsec / 1000 : 0;
	n += put_uint(p + n, (unsigned long)usec, 6);
	p[n++] = 'Z';
	return n;
}

/*
 * Escapes the n bytes of text-encoded output at p for a JSON string, in
 * place; p has room for twice as many.  Text encoding leaves only
 * printable ASCII, of which '\\' and '"' need a backslash.  Returns the
 * new length.
 */
static size_t
json_escape(char *p, size_t n)
{
	size_t	i, extra = 0;
	char	*src, *dst;

	for (i = 0; i < n; i++)
		if (p[i] == '\\' || p[i] == '"')
			extra++;
	if (extra == 0)
		return n;
	src = p + n;
	dst = p + n + extra;
	while (src > p) {
		*--dst = *--src;
		if (*src == '\\' || *src == '"')
			*--dst = '\\';
	}
	return n + extra;
}

/* A whole number or null, for a field the kernel may not have given. */
static size_t
put_int_or_null(char *p, int v)
{
	return v < 0 ? LIT(p, "null") : put_uint(p, (unsigned)v, 1);
}

/* An address in a JSON string, key (keylen bytes), and the port or null. */
static size_t
put_json_addr(char *p, const struct sockaddr *sa, socklen_t len,
    const char *key, size_t keylen)
{
	unsigned	port = 0;
	size_t		n;
	int		a;

	if ((a = put_addr(sa, len, p, &port, 0)) == -1)
		a = (int)LIT(p, UNKNOWN_ADDR);
	n = port == OUT_NO_PORT ? json_escape(p, (size_t)a) : (size_t)a;
	memcpy(p + n, key, keylen);
	n += keylen;
	return n + put_int_or_null(p + n, port == OUT_NO_PORT ? -1 : (int)port);
}

/*
 * The relay's fields, after "data" (whose closing quote they write):
 * "dir", "client", "client_port" and, for an impaired datagram, "fate".
 */
static size_t
relay_json(const struct dgram *d, char *dst)
{
	size_t		n;

	n = LIT(dst, "\"");
	n += LIT(dst + n, J_DIR);
	memcpy(dst + n, d->dir, strlen(d->dir));
	n += strlen(d->dir);
	n += LIT(dst + n, J_CLIENT);
	n += put_json_addr(dst + n, d->client, d->clientlen, J_CPORT,
	    sizeof(J_CPORT) - 1);
	if (d->fate != NULL) {
		n += LIT(dst + n, J_FATE);
		memcpy(dst + n, d->fate, strlen(d->fate));
		n += strlen(d->fate);
		n += LIT(dst + n, "\"");
	}
	return n;
}

/* ,"to":"ADDRESS","ifname":"NAME","ttl":N,"tos":N */
static size_t
put_info(char *p, const struct rx_info *in)
{
	size_t n = LIT(p, J_TO);

	if (!in->has_to)
		n += LIT(p + n, UNKNOWN_ADDR);
	else if (IN6_IS_ADDR_V4MAPPED(&in->to))
		n += put_ipv4(p + n, in->to.s6_addr + 12);
	else
		n += put_ipv6_addr(p + n, in->to.s6_addr);
	n += LIT(p + n, J_IFNAME);
	if (in->ifindex != 0)
		n += put_ifname(p + n, in->ifindex);
	n += LIT(p + n, J_TTL);
	n += put_int_or_null(p + n, in->ttl);
	n += LIT(p + n, J_TOS);
	n += put_int_or_null(p + n, in->tos);
	return n;
}

/* One JSON object and LF. */
static size_t
format_json(const struct out_fmt *f, const struct dgram *d, char *dst)
{
	size_t		n, m;

	n = LIT(dst, J_TIME);
	n += put_time(dst + n, &d->time);
	n += LIT(dst + n, J_FROM);
	n += put_json_addr(dst + n, d->from, d->fromlen, J_PORT,
	    sizeof(J_PORT) - 1);
	if (d->info != NULL)
		n += put_info(dst + n, d->info);
	if (d->cred != NULL) {
		n += LIT(dst + n, J_PID);
		n += put_uint(dst + n, (unsigned long long)d->cred->pid, 1);
		n += LIT(dst + n, J_UID);
		n += put_uint(dst + n, d->cred->uid, 1);
		n += LIT(dst + n, J_GID);
		n += put_uint(dst + n, d->cred->gid, 1);
	}
	n += LIT(dst + n, J_SIZE);
	n += put_uint(dst + n, d->size, 1);
	n += LIT(dst + n, J_TRUNC);
	if (d->size > d->len)
		n += LIT(dst + n, "true");
	else
		n += LIT(dst + n, "false");
	n += LIT(dst + n, J_DATA);
	m = enc_encode(f->enc, d->data, d->len, dst + n);
	if (f->enc == ENC_TEXT)
		m = json_escape(dst + n, m);
	n += m;
	if (d->dir != NULL) {
		n += relay_json(d, dst + n);
		n += LIT(dst + n, "}\n");
	} else
		n += LIT(dst + n, J_END);
	return n;
}

/* What the pcap writer takes of a datagram. */
static void
pcap_of(const struct dgram *d, struct pcap_dgram *pd)
{
	pd->data = d->data;
	pd->len = d->len;
	pd->size = d->size;
	pd->from = d->from;
	pd->to = d->to;
	pd->sec = (int64_t)d->time.tv_sec;
	pd->nsec = d->time.tv_nsec;
}

size_t
out_segments_max(const struct out_fmt *f, size_t size, size_t seg)
{
	size_t n;

	if (f->json || f->framing != OUT_PCAP || seg == 0 || size == 0)
		return 0;
	n = size / seg + (size % seg != 0);
	if (n > (SIZE_MAX - size) / PCAP_RECORD_OVERHEAD)
		return 0;
	return n * PCAP_RECORD_OVERHEAD + size;
}

size_t
out_format_segments(const struct out_fmt *f, const struct dgram *d,
    size_t seg, char *dst)
{
	struct pcap_dgram pd;

	if (out_segments_max(f, d->size, seg) == 0)
		return 0;
	pcap_of(d, &pd);
	return pcap_write_records((unsigned char *)dst, &pd, seg);
}

/*
 * Returns the record's length.  A sender of an unknown family is shown as
 * "?" with port 0; length framing ignores the encoding and the peer.
 */
size_t
out_format(const struct out_fmt *f, const struct dgram *d, char *dst)
{
	struct pcap_dgram pd;
	size_t	n = 0, len = d->len;

	if (f->json)
		return format_json(f, d, dst);
	/* A pcap record; nothing for a sender not IPv4 or IPv6. */
	if (f->framing == OUT_PCAP) {
		pcap_of(d, &pd);
		return pcap_write_record((unsigned char *)dst, &pd);
	}
	/* Raw and framed, the common case: a copy and a delimiter. */
	if (f->enc == ENC_RAW && !f->show_peer && f->framing != OUT_LENGTH) {
		memcpy(dst, d->data, len);
		if (f->framing == OUT_NONE)
			return len;
		dst[len] = f->framing == OUT_NUL ? '\0' : '\n';
		return len + 1;
	}
	if (f->framing == OUT_LENGTH) {
		/* More cannot be framed; never corrupt the stream. */
		if (len > 0xffff)
			len = 0xffff;
		dst[0] = (char)(len >> 8);
		dst[1] = (char)(len & 0xff);
		memcpy(dst + 2, d->data, len);
		return 2 + len;
	}
	if (d->dir != NULL) {
		/* The relay's tap: "> CLIENT " up, "< CLIENT " down. */
		dst[n++] = d->dir[0] == 'u' ? '>' : '<';
		dst[n++] = ' ';
		n += put_peer(dst + n, d->client, d->clientlen);
		dst[n++] = ' ';
	} else if (f->show_peer) {
		n = put_peer(dst, d->from, d->fromlen);
		dst[n++] = ' ';
	}
	n += enc_encode(f->enc, d->data, len, dst + n);
	if (f->framing == OUT_LINE)
		dst[n++] = '\n';
	else if (f->framing == OUT_NUL)
		dst[n++] = '\0';
	return n;
}
