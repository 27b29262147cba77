/* msg.c: udpcat's diagnostics, one line each on standard error. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "msg.h"
#include "udpcat.h"

const char *cmd_name;

static void	vmsg(const char *, const char *, va_list, int)
		    __attribute__((format(printf, 2, 0)));

/*
 * Keeps a message on one line: the words it quotes come from the user or
 * the network, and a control character there (a newline, an escape
 * sequence) would split or disguise it.  They become '?'.
 */
static void
one_line(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/*
 * Prints "udpcat: COMMAND: KIND MESSAGE" on one line; with usage, the
 * pointer to the command's --help follows.
 */
static void
vmsg(const char *kind, const char *fmt, va_list ap, int usage)
{
	char line[1024], help[64] = "";

	/*
	 * Every caller va_start()s ap; clang's analyzer loses that when it
	 * checks the whole tree at once, and only then.
	 */
	vsnprintf(line, sizeof(line), fmt, ap);	/* NOLINT */
	one_line(line);
	if (usage)
		snprintf(help, sizeof(help), " (see 'udpcat %s%s--help')",
		    cmd_name != NULL ? cmd_name : "", cmd_name != NULL ?
		    " " : "");
	if (cmd_name != NULL)
		fprintf(stderr, "udpcat: %s: %s%s%s\n", cmd_name, kind, line,
		    help);
	else
		fprintf(stderr, "udpcat: %s%s%s\n", kind, line, help);
}

void
die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap, 0);
	va_end(ap);
	exit(status);
}

void
die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap, 1);
	va_end(ap);
	exit(EXIT_USAGE);
}

int
msg_fail(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap, 0);
	va_end(ap);
	return status;
}

int
msg_fail_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap, 1);
	va_end(ap);
	return EXIT_USAGE;
}

void
warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap, 0);
	va_end(ap);
}

void
note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap, 0);
	va_end(ap);
}
