/* parse.h: strict parsers for ports, numbers, durations and hosts, pure. */
#ifndef PARSE_H
#define PARSE_H

#include <stdint.h>
#include <netinet/in.h>

/* Each parser returns 0, or -1 with *why set to a static phrase. */

/*
 * A port: decimal 1..65535 (0 too when allow_zero), or a UDP service name
 * from the services database.  Signs, spaces, hex and wrap-around are
 * rejected.
 */
int	parse_port(const char *s, int allow_zero, uint16_t *port,
	    const char **why);

/* A decimal integer within [min, max]; no sign, no space, no overflow. */
int	parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v,
	    const char **why);

/*
 * A duration: a decimal number with an optional fraction and an optional
 * unit ms, s or m (seconds when none), at most one day.  Stored in
 * milliseconds, rounded up so that a positive duration is never 0.
 */
int	parse_duration(const char *s, uint64_t *ms, const char **why);

/* One percent in the units of parse_percent(): millionths of a percent. */
#define PERCENT_ONE	1000000u

/*
 * A percentage from 0 to 100: decimal, at most six decimals, an optional
 * '%'.  Stored in millionths of a percent, exactly.
 */
int	parse_percent(const char *s, uint64_t *v, const char **why);

/* A numeric IPv4 address of exactly four decimal octets. */
int	parse_ipv4(const char *s, struct in_addr *a);

enum host_kind {
	HOST_IPV4,
	HOST_IPV6,
	HOST_NAME
};

/*
 * Classifies a HOST operand.  IPv4 must be four decimal octets; IPv6 may
 * be in brackets and carry a %scope; anything else must be a syntactically
 * valid DNS name.  On success the address (brackets removed, %scope kept)
 * is copied to buf, which holds size bytes.
 */
int	parse_host(const char *s, enum host_kind *kind, char *buf,
	    size_t size, const char **why);

/*
 * A CIDR prefix "ADDR/LEN" or a bare address (a full-length prefix), IPv4
 * or IPv6.  *family is AF_INET or AF_INET6; addr holds 4 or 16 bytes.
 */
int	parse_prefix(const char *s, int *family, unsigned char addr[16],
	    unsigned *len, const char **why);

#endif
