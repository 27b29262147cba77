/* oracle.h: the references (and input decoding) fuzz harnesses share. */
#ifndef ORACLE_H
#define ORACLE_H

#include <stddef.h>
#include <sys/socket.h>

#include "enc.h"
#include "frame.h"
#include "output.h"

/*
 * The reference splitter, over the whole input in[0..len): the next
 * record of in[*pos..len] under framing f (IN_JSON as lines) and the
 * limit maxrec, nrec records on; FRAME_RECORD with its offset and length
 * (*pos moved past it), or FRAME_END, FRAME_ETOOBIG or FRAME_ESHORT.
 */
int	oracle_split(const struct in_frame *f, size_t maxrec,
	    const unsigned char *in, size_t len, size_t *pos,
	    unsigned long long nrec, size_t *off, size_t *n);

/*
 * An IP sender in ss from address bytes a: kind 0 or 1 IPv4; 2 IPv6;
 * 3 IPv4-mapped IPv6; 4 IPv6 with scope.  Returns its length.
 */
socklen_t oracle_ip_sender(struct sockaddr_storage *ss, unsigned kind,
	    uint16_t port, const unsigned char a[16], uint32_t scope);

/*
 * A sender cut short: the family (IPv6 if six, else IPv4) says more than
 * the length, r modulo its size, holds.  Returns that length.
 */
socklen_t oracle_short_sender(struct sockaddr_storage *ss, int six,
	    const unsigned char a[16], uint32_t r);

/*
 * out_peer() of sa into a buffer with a guard after PEER_MAX bytes that
 * must stay untouched; the text goes to buf.  Returns out_peer()'s.
 */
int	oracle_out_peer(const struct sockaddr *sa, socklen_t len,
	    char buf[PEER_MAX]);

/*
 * The output format that byte b picks: the encoding in bits 0-1, the
 * framing in 2-3, JSON in bit 4, the peer in bit 5.
 */
struct out_fmt oracle_fmt(unsigned b);

/*
 * out_format() of d into a buffer of exactly out_record_max() bytes,
 * which it must not overrun; returns it (to free) and its length in *n.
 */
char	*oracle_format(const struct out_fmt *f, const struct dgram *d,
	    size_t *n);

/* The n encoded bytes at p (encoding enc) must decode to d's payload. */
void	oracle_check_payload(enum encoding enc, const struct dgram *d,
	    const char *p, size_t n);

/* An OUT_LENGTH record: a 2-byte length, then d's payload cut to 65535. */
void	oracle_check_length(const struct dgram *d, const char *out, size_t n);

#endif
