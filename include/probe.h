/* probe.h: the probes of udpcat ping, built and recognised; pure. */
#ifndef PROBE_H
#define PROBE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A probe: the 8 bytes "udpcping", a 4-byte big-endian sequence number,
 * a 4-byte identifier of the run, then zeros up to its size.
 */
#define PROBE_MAGIC	"udpcping"
#define PROBE_HDR	16		/* the smallest probe */
#define PROBE_FOREIGN	(-1)		/* probe_parse(): not one of ours */

/* Fills buf (size >= PROBE_HDR bytes) with the probe seq of run id. */
void	probe_build(unsigned char *buf, size_t size, uint32_t seq,
	    uint32_t id);

/*
 * Writes only the sequence number into a probe built before: the next
 * probe of the run without touching the rest.
 */
void	probe_set_seq(unsigned char *buf, uint32_t seq);

/*
 * Reads a reply of len bytes.  Returns its sequence number (0 to
 * UINT32_MAX) when it starts with the magic and carries the identifier
 * id, else PROBE_FOREIGN.  What follows the header is not looked at.
 */
int64_t	probe_parse(const unsigned char *buf, size_t len, uint32_t id);

#endif
