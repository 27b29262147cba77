/* oracle.c: the references (and input decoding) fuzz harnesses share. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "oracle.h"

#define CANARY		0xa5	/* fills the guard after a buffer */
#define GUARD		32

int
oracle_split(const struct in_frame *f, size_t maxrec,
    const unsigned char *in, size_t len, size_t *pos,
    unsigned long long nrec, size_t *off, size_t *n)
{
	const unsigned char *q;
	size_t rem = len - *pos, hdr;

	switch (f->mode) {
	case IN_LINE:
	case IN_JSON:		/* lines, to the splitter and the reader */
	case IN_NUL:
		if (rem == 0)
			return FRAME_END;
		q = memchr(in + *pos, f->mode == IN_NUL ? '\0' : '\n', rem);
		*n = q != NULL ? (size_t)(q - (in + *pos)) : rem;
		if (*n > maxrec)
			return FRAME_ETOOBIG;
		*off = *pos;
		*pos += *n + (q != NULL);
		return FRAME_RECORD;
	case IN_WHOLE:
		if (nrec > 0)
			return FRAME_END;
		if (len > maxrec)
			return FRAME_ETOOBIG;
		*off = 0;
		*n = len;
		*pos = len;
		return FRAME_RECORD;
	case IN_CHUNK:
		if (rem == 0)
			return FRAME_END;
		*off = *pos;
		*n = rem < f->chunk ? rem : f->chunk;
		*pos += *n;
		return FRAME_RECORD;
	case IN_LENGTH:
		if (rem == 0)
			return FRAME_END;
		if (rem < 2)
			return FRAME_ESHORT;
		hdr = (size_t)in[*pos] << 8 | in[*pos + 1];
		if (hdr > maxrec)
			return FRAME_ETOOBIG;
		if (rem - 2 < hdr)
			return FRAME_ESHORT;
		*off = *pos + 2;
		*n = hdr;
		*pos += 2 + hdr;
		return FRAME_RECORD;
	case IN_PCAP:		/* its own reader, fuzzed with fuzz_pcap */
		break;
	}
	abort();
}

socklen_t
oracle_ip_sender(struct sockaddr_storage *ss, unsigned kind, uint16_t port,
    const unsigned char a[16], uint32_t scope)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (kind < 2) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a, 4);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	memcpy(&sin6->sin6_addr, a, 16);
	if (kind == 3) {
		memset(&sin6->sin6_addr, 0, 10);
		sin6->sin6_addr.s6_addr[10] = 0xff;
		sin6->sin6_addr.s6_addr[11] = 0xff;
	}
	if (kind == 4)
		sin6->sin6_scope_id = scope;
	return sizeof(*sin6);
}

socklen_t
oracle_short_sender(struct sockaddr_storage *ss, int six,
    const unsigned char a[16], uint32_t r)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = six ? AF_INET6 : AF_INET;
	memcpy(&sin6->sin6_addr, a, 16);
	return (socklen_t)(r % (six ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in)));
}

int
oracle_out_peer(const struct sockaddr *sa, socklen_t len, char buf[PEER_MAX])
{
	char g[PEER_MAX + GUARD];
	int n, i;

	memset(g, CANARY, sizeof(g));
	n = out_peer(sa, len, g);
	for (i = PEER_MAX; i < PEER_MAX + GUARD; i++)
		FUZZ_CHECK((unsigned char)g[i] == CANARY);
	memcpy(buf, g, PEER_MAX);
	return n;
}

struct out_fmt
oracle_fmt(unsigned b)
{
	struct out_fmt f;

	memset(&f, 0, sizeof(f));
	f.enc = (enum encoding)(b & 3);
	f.framing = (enum out_framing)(b >> 2 & 3);
	f.json = (int)(b >> 4 & 1);
	f.show_peer = (int)(b >> 5 & 1);
	return f;
}

char *
oracle_format(const struct out_fmt *f, const struct dgram *d, size_t *n)
{
	size_t max = out_record_max(f, d->len);
	char *out = fuzz_dup(NULL, max);

	*n = out_format(f, d, out);
	FUZZ_CHECK(*n <= max);
	return out;
}

void
oracle_check_payload(enum encoding enc, const struct dgram *d, const char *p,
    size_t n)
{
	unsigned char *back = fuzz_dup(NULL, enc_decoded_max(enc, n));
	struct enc_error err;
	long got;

	got = enc_decode(enc, p, n, back, &err);
	FUZZ_CHECK(got >= 0 && (size_t)got == d->len);
	FUZZ_CHECK(got == 0 || memcmp(back, d->data, d->len) == 0);
	free(back);
}

void
oracle_check_length(const struct dgram *d, const char *out, size_t n)
{
	size_t len = d->len > 0xffff ? 0xffff : d->len;

	FUZZ_CHECK(n == 2 + len);
	FUZZ_CHECK(((size_t)(unsigned char)out[0] << 8 |
	    (unsigned char)out[1]) == len);
	FUZZ_CHECK(len == 0 || memcmp(out + 2, d->data, len) == 0);
}
