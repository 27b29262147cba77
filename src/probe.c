/* probe.c: the probes of udpcat ping, built and recognised; pure. */
#include <string.h>

#include "probe.h"

#define MAGIC_LEN	8

/* PROBE_MAGIC as bytes: no terminating NUL goes on the wire. */
static const unsigned char magic[MAGIC_LEN] = {
	'u', 'd', 'p', 'c', 'p', 'i', 'n', 'g'
};

/* Writes v big-endian into p. */
static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

void
probe_build(unsigned char *buf, size_t size, uint32_t seq, uint32_t id)
{
	memcpy(buf, magic, MAGIC_LEN);
	put_be32(buf + 8, seq);
	put_be32(buf + 12, id);
	memset(buf + PROBE_HDR, 0, size - PROBE_HDR);
}

void
probe_set_seq(unsigned char *buf, uint32_t seq)
{
	put_be32(buf + 8, seq);
}

int64_t
probe_parse(const unsigned char *buf, size_t len, uint32_t id)
{
	if (len < PROBE_HDR || memcmp(buf, magic, MAGIC_LEN) != 0 ||
	    get_be32(buf + 12) != id)
		return PROBE_FOREIGN;
	return (int64_t)get_be32(buf + 8);
}
