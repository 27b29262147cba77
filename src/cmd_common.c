/* cmd_common.c: the checked option values the commands share; --port-file. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "cmd.h"
#include "parse.h"
#include "udpcat.h"

void
opt_error(int c, char **argv)
{
	char name[64];
	const char *arg = argv[optind - 1];

	if (optopt > 0 && optopt < 128 && isalnum(optopt) &&
	    strncmp(arg, "--", 2) != 0)
		snprintf(name, sizeof(name), "-%c", optopt);
	else
		snprintf(name, sizeof(name), "%.*s",
		    (int)strcspn(arg, "="), arg);
	if (c == ':')
		die_usage("option '%s' needs a value", name);
	die_usage("unknown option '%s'", name);
}

uint64_t
opt_number(const char *opt, const char *arg, uint64_t min, uint64_t max)
{
	const char *why;
	uint64_t v;

	if (parse_u64(arg, min, max, &v, &why) == -1)
		die_usage("invalid value '%s' for %s: %s", arg, opt, why);
	return v;
}

uint64_t
opt_duration(const char *opt, const char *arg)
{
	const char *why;
	uint64_t ms;

	if (parse_duration(arg, &ms, &why) == -1)
		die_usage("invalid duration '%s' for %s: %s", arg, opt, why);
	return ms;
}

uint16_t
opt_port(const char *arg, int allow_zero)
{
	const char *why;
	uint16_t port;

	if (parse_port(arg, allow_zero, &port, &why) == -1)
		die_usage("invalid port '%s': %s", arg, why);
	return port;
}

enum encoding
opt_encoding(const char *arg)
{
	enum encoding e;

	if (enc_from_name(arg, &e) == -1)
		die_usage("unknown encoding '%s': use raw, text, hex or base64",
		    arg);
	return e;
}

int
opt_family(int family, int c)
{
	int f = c == '4' ? AF_INET : AF_INET6;

	if (family != AF_UNSPEC && family != f)
		die_usage("-4 and -6 exclude each other");
	return f;
}

/* Writes the port and LF to the --port-file, atomically by rename. */
int
write_port_file(const char *path, unsigned port)
{
	char tmp[4096];
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path,
	    (long)getpid()) >= sizeof(tmp))
		return msg_fail_usage("port file name '%s' is too long", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return msg_fail(EXIT_RUNTIME, "cannot create '%s': %s", tmp,
		    strerror(errno));
	fprintf(f, "%u\n", port);
	if (fclose(f) == EOF) {
		unlink(tmp);
		return msg_fail(EXIT_RUNTIME, "cannot write '%s': %s", tmp,
		    strerror(errno));
	}
	if (rename(tmp, path) == -1) {
		unlink(tmp);
		return msg_fail(EXIT_RUNTIME, "cannot rename '%s' to '%s': %s", tmp,
		    path, strerror(errno));
	}
	return 0;
}
