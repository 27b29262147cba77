/* test_jsonrec.c: reading the lines of listen --json back, table by table. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrec.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Parses line (of len bytes, or strlen when 0) into an exact buffer. */
static int
parse(const char *line, size_t len, struct jsonrec *rec,
    struct jsonrec_error *err, char **out)
{
	char *copy;
	int rc;

	if (len == 0)
		len = strlen(line);
	copy = malloc(len + 1);
	*out = malloc(len + 1);
	assert_non_null(copy);
	assert_non_null(*out);
	memcpy(copy, line, len);
	rc = jsonrec_parse(copy, len, *out, rec, err);
	if (rc == 0 && rec->data != *out) {
		/* Where it lies in the line: copied before the line goes. */
		memcpy(*out, rec->data, rec->len);
		rec->data = *out;
	}
	free(copy);
	return rc;
}

static void
test_accept(void **state)
{
	static const struct {
		const char	*line;
		const char	*data;
		size_t		 len;
		int64_t		 sec;		/* -1: no time */
		long		 nsec;
	} t[] = {
		{ "{\"time\":\"2026-11-23T22:37:46.123456Z\",\"from\":"
		    "\"192.0.2.7\",\"port\":5353,\"size\":5,\"truncated\":"
		    "false,\"data\":\"aGVsbG8=\"}", "aGVsbG8=", 8,
		    1795473466, 123456000 },
		{ "{\"data\":\"\"}", "", 0, -1, 0 },
		{ " \t{ \"data\" : \"x\" } \r", "x", 1, -1, 0 },
		{ "{\"data\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"}",
		    "a\"b\\c/d\b\f\n\r\t", 12, -1, 0 },
		{ "{\"data\":\"\\u00e9\\u20AC\\ud83d\\ude00\\u0000\"}",
		    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10, -1, 0 },
		{ "{\"data\":\"\xc3\xa9\xf0\x9f\x98\x80\"}",
		    "\xc3\xa9\xf0\x9f\x98\x80", 6, -1, 0 },
		{ "{\"x\":[1,-2.5e+3,0,{\"y\":[null,true,false,\"s\"]}],"
		    "\"data\":\"d\",\"z\":{}}", "d", 1, -1, 0 },
		{ "{\"d\\u0061ta\":\"esc key\"}", "esc key", 7, -1, 0 },
		{ "{\"time\":\"1970-01-01T00:00:00Z\",\"data\":\"\"}", "", 0,
		    0, 0 },
		{ "{\"time\":\"2024-02-29T12:00:00.5+02:00\",\"data\":\"\"}",
		    "", 0, 1709200800, 500000000 },
		{ "{\"time\":\"2000-01-01T00:00:00.123456789123Z\","
		    "\"data\":\"\"}", "", 0, 946684800, 123456789 },
		{ "{\"truncated\":false,\"data\":\"\",\"port\":1e400}", "", 0,
		    -1, 0 },
	};
	struct jsonrec rec;
	struct jsonrec_error err;
	char *out;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		print_message("accept %zu: %s\n", i, t[i].line);
		assert_int_equal(parse(t[i].line, 0, &rec, &err, &out), 0);
		assert_int_equal(rec.len, t[i].len);
		assert_memory_equal(rec.data, t[i].data, t[i].len);
		assert_int_equal(rec.has_time, t[i].sec >= 0);
		if (t[i].sec >= 0) {
			assert_int_equal(rec.sec, t[i].sec);
			assert_int_equal(rec.nsec, t[i].nsec);
		}
		free(out);
	}
}

static void
test_reject(void **state)
{
	static const struct {
		const char	*line;
		const char	*what;
		size_t		 offset;
	} t[] = {
		{ "", "not a JSON object", 0 },
		{ "[]", "not a JSON object", 0 },
		{ "{}", "no 'data'", 0 },
		{ "{\"data\":\"x\"", "',' or '}' expected", 11 },
		{ "{\"data\":\"x\"} {}", "something after the object", 13 },
		{ "{\"data\":\"x}", "an unterminated string", 11 },
		{ "{\"data\":42}", "'data' is not a string", 8 },
		{ "{\"data\":null}", "'data' is not a string", 8 },
		{ "{\"data\":[\"x\"]}", "'data' is not a string", 8 },
		{ "{\"data\":\"a\",\"data\":\"b\"}", "a second 'data'", 12 },
		{ "{\"time\":\"2026-01-01T00:00:00Z\",\"time\":\"2026-01-01T00:"
		    "00:00Z\",\"data\":\"\"}", "a second 'time'", 31 },
		{ "{\"truncated\":true,\"data\":\"aGk=\"}",
		    "the datagram was truncated when captured", 13 },
		{ "{\"truncated\":1,\"data\":\"\"}",
		    "'truncated' is not true or false", 13 },
		{ "{\"truncated\":nul,\"data\":\"\"}",
		    "'truncated' is not true or false", 13 },
		{ "{\"time\":5,\"data\":\"\"}", "'time' is not a string", 8 },
		{ "{\"time\":\"2026-02-29T00:00:00Z\",\"data\":\"\"}",
		    "'time' is not an RFC 3339 time", 8 },
		{ "{\"time\":\"2026-01-01 00:00:00\",\"data\":\"\"}",
		    "'time' is not an RFC 3339 time", 8 },
		{ "{\"data\":\"\xc3\x28\"}", "invalid UTF-8", 9 },
		{ "{\"data\":\"\xc0\xaf\"}", "invalid UTF-8", 9 },
		{ "{\"data\":\"\xed\xa0\x80\"}", "invalid UTF-8", 9 },
		{ "{\"data\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8", 9 },
		{ "{\"data\":\"\xe2\x82\"}", "invalid UTF-8", 9 },
		{ "{\"x\":\"\xff\",\"data\":\"\"}", "invalid UTF-8", 6 },
		{ "{\"data\":\"\\ud800\"}", "a lone high surrogate", 15 },
		{ "{\"data\":\"\\udc00\"}", "a lone low surrogate", 15 },
		{ "{\"data\":\"\\ud800\\u0041\"}", "a lone high surrogate",
		    21 },
		{ "{\"data\":\"\\x41\"}", "a bad escape", 10 },
		{ "{\"data\":\"\\u12g4\"}", "a bad \\u escape", 13 },
		{ "{\"data\":\"tab\there\"}", "a control character in a string",
		    12 },
		{ "{\"n\":01,\"data\":\"\"}", "',' or '}' expected", 6 },
		{ "{\"n\":1.,\"data\":\"\"}", "a bad number", 7 },
		{ "{\"n\":-,\"data\":\"\"}", "a bad number", 6 },
		{ "{\"n\":tru,\"data\":\"\"}", "an unexpected character", 5 },
		{ "{\"n\":[1,],\"data\":\"\"}", "an unexpected character", 8 },
		{ "{data:\"\"}", "a string expected", 1 },
		{ "{\"data\" \"x\"}", "':' expected", 8 },
	};
	struct jsonrec rec;
	struct jsonrec_error err;
	char *out;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(t); i++) {
		print_message("reject %zu: %s\n", i, t[i].line);
		err.what = NULL;
		assert_int_equal(parse(t[i].line, 0, &rec, &err, &out), -1);
		assert_string_equal(err.what, t[i].what);
		assert_int_equal(err.offset, t[i].offset);
		free(out);
	}
}

/* Nesting: 31 levels inside the record are fine, 32 are not. */
static void
test_depth(void **state)
{
	struct jsonrec rec;
	struct jsonrec_error err;
	char line[256], *out;
	size_t n = 0;
	int d, depth;

	(void)state;
	for (depth = 31; depth <= 32; depth++) {
		n = (size_t)snprintf(line, sizeof(line), "{\"x\":");
		for (d = 0; d < depth; d++)
			line[n++] = '[';
		for (d = 0; d < depth; d++)
			line[n++] = ']';
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		    ",\"data\":\"\"}");
		assert_int_equal(parse(line, n, &rec, &err, &out),
		    depth == 31 ? 0 : -1);
		if (depth == 32) {
			assert_string_equal(err.what, "nesting deeper than 32");
			assert_int_equal(err.offset, 5 + 31);
		}
		free(out);
	}
}

/* A 10 MB line is read in one pass with no memory but out. */
static void
test_long(void **state)
{
	size_t n = 10u << 20, i;
	struct jsonrec rec;
	struct jsonrec_error err;
	char *line = malloc(n), *out = malloc(n);

	(void)state;
	assert_non_null(line);
	assert_non_null(out);
	memcpy(line, "{\"data\":\"", 9);
	for (i = 9; i < n - 2; i++)
		line[i] = 'A';
	memcpy(line + n - 2, "\"}", 2);
	assert_int_equal(jsonrec_parse(line, n, out, &rec, &err), 0);
	assert_int_equal(rec.len, n - 11);
	assert_ptr_equal(rec.data, line + 9);
	/* Deep nesting, 10 MB of it, stops at the limit. */
	memcpy(line, "{\"x\":", 5);
	memset(line + 5, '[', n - 5);
	assert_int_equal(jsonrec_parse(line, n, out, &rec, &err), -1);
	assert_int_equal(err.offset, 5 + JSONREC_DEPTH - 1);
	free(line);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
