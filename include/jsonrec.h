/* jsonrec.h: one line of listen --json read back: data, time, truncated. */
#ifndef JSONREC_H
#define JSONREC_H

#include <stddef.h>
#include <stdint.h>

/* Objects and arrays nested deeper than this are refused. */
#define JSONREC_DEPTH	32

struct jsonrec {
	const char	*data;		/* the "data" string, unescaped */
	size_t		 len;
	int		 has_time;	/* "time" was there */
	int64_t		 sec;		/* "time" as Unix time */
	long		 nsec;
};

struct jsonrec_error {
	const char	*what;		/* a static phrase */
	size_t		 offset;	/* in the line */
};

/*
 * Reads the len bytes at line (one JSON object, white space around it
 * allowed) as a record listen --json wrote.  "data" must be a string:
 * it is unescaped into out, which holds len bytes, or, when it has no
 * escapes, pointed at where it lies in line.  "time", when there, must
 * be an RFC 3339 string ("2026-11-23T22:37:46.123456Z"); "truncated",
 * when there, must be false.  Other keys are checked as JSON and
 * ignored.  A key udpcat reads that appears twice is an error, so that
 * no two readers of one line can see different datagrams.  Returns 0,
 * or -1 with *err saying what is wrong and where.
 */
int	jsonrec_parse(const char *line, size_t len, char *out,
	    struct jsonrec *rec, struct jsonrec_error *err);

#endif
