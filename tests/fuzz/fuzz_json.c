/* fuzz_json.c: libFuzzer harness for reading listen --json records back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "enc.h"
#include "fuzz.h"
#include "jsonrec.h"
#include "oracle.h"
#include "output.h"

/* Any line: an answer within bounds, or an error that says where. */
static void
check_parse(const char *line, size_t n)
{
	struct jsonrec rec;
	struct jsonrec_error err;
	char *out = fuzz_dup(NULL, n);

	err.what = NULL;
	err.offset = (size_t)-1;
	if (jsonrec_parse(line, n, out, &rec, &err) == 0) {
		FUZZ_CHECK(rec.len <= n);
		FUZZ_CHECK((rec.data >= line && rec.data + rec.len <= line + n) ||
		    (rec.data == out && rec.len <= n));
		FUZZ_CHECK(rec.has_time == 0 || (rec.nsec >= 0 &&
		    rec.nsec < 1000000000));
	} else {
		FUZZ_CHECK(err.what != NULL && err.what[0] != '\0');
		FUZZ_CHECK(err.offset <= n);
	}
	free(out);
}

/* What listen --json writes reads back as the same datagram and time. */
static void
round_trip(struct fuzz_in *in)
{
	struct sockaddr_in sin;
	struct out_fmt f = { ENC_BASE64, OUT_LINE, 1, 0 };
	struct dgram d;
	struct jsonrec rec;
	struct jsonrec_error err;
	unsigned sel = fuzz_u8(in);
	char *line, *out;
	size_t n;

	f.enc = sel & 1 ? ENC_TEXT : sel & 2 ? ENC_HEX : ENC_BASE64;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(9);
	memset(&d, 0, sizeof(d));
	d.from = (struct sockaddr *)&sin;
	d.fromlen = sizeof(sin);
	d.time.tv_sec = (time_t)(fuzz_uint(in, 5) % 253402300800ull);
	d.time.tv_nsec = (long)(fuzz_uint(in, 4) % 1000000) * 1000;
	d.data = in->p;
	d.len = d.size = in->n;
	line = oracle_format(&f, &d, &n);
	FUZZ_CHECK(n > 0 && line[n - 1] == '\n');
	out = fuzz_dup(NULL, n);
	if (jsonrec_parse(line, n - 1, out, &rec, &err) != 0) {
		fprintf(stderr, "own line refused: %s at %zu\n", err.what,
		    err.offset);
		FUZZ_CHECK(0);
	}
	FUZZ_CHECK(rec.has_time && rec.sec == (int64_t)d.time.tv_sec &&
	    rec.nsec == d.time.tv_nsec);
	oracle_check_payload(f.enc, &d, rec.data, rec.len);
	free(out);
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	char *line;

	if (size > 0 && data[0] == 0xff) {
		fuzz_u8(&in);
		round_trip(&in);
		return 0;
	}
	line = fuzz_dup(data, size);
	check_parse(line, size);
	free(line);
	return 0;
}
