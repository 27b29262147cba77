/* udpcat.c: main(): the command table, top-level help and dispatch. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "opt.h"
#include "udpcat.h"

static int	completion(int, char **);

/* Sorted by name; the top-level usage is printed from this table. */
static const struct command commands[] = {
	{ "broadcast", cmd_broadcast,
	    "send datagrams to a broadcast address, print the replies",
	    &opt_broadcast },
	{ "completion", completion,
	    "print a shell completion script for bash, zsh or fish",
	    &opt_completion },
	{ "listen", cmd_listen,
	    "receive datagrams from every sender and write them out",
	    &opt_listen },
	{ "ping", cmd_ping, "measure round trips to a UDP echo service",
	    &opt_ping },
	{ "relay", cmd_relay,
	    "relay datagrams to a service, to watch, record or impair them",
	    &opt_relay },
	{ "send", cmd_send, "send datagrams to a host, print the replies",
	    &opt_send },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

/* The completion scripts are made from this very table. */
static int
completion(int argc, char **argv)
{
	return completion_main(argc, argv, commands, NCOMMANDS);
}

static void
usage(FILE *f)
{
	size_t i, w = 0;

	for (i = 0; i < NCOMMANDS; i++)
		if (strlen(commands[i].name) > w)
			w = strlen(commands[i].name);
	fprintf(f, "usage: udpcat COMMAND [options] ...\n\n"
	    "netcat for datagrams: every datagram, byte and sender kept.\n\n"
	    "commands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-*s  %s\n", (int)w, commands[i].name,
		    commands[i].description);
	fprintf(f, "\n'udpcat help COMMAND' or 'udpcat COMMAND --help' shows a "
	    "command's options;\n'udpcat --version' shows the version.\n");
}

static const struct command *
find(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	char *help_argv[] = { NULL, (char *)"--help", NULL };

	if (stdio_reserve() == -1)
		die(EXIT_RUNTIME, "cannot open /dev/null");
	if (argc < 2)
		die_usage("no command given");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    (strcmp(argv[1], "help") == 0 && argc == 2)) {
		usage(stdout);
		opt_print_done();
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("udpcat %s\n", UDPCAT_VERSION);
		opt_print_done();
		return EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc > 3)
			die_usage("help takes one command");
		if ((cmd = find(argv[2])) == NULL)
			die_usage("unknown command '%s'", argv[2]);
		help_argv[0] = (char *)cmd->name;
		return cmd->fn(2, help_argv);
	}
	if (argv[1][0] == '-')
		die_usage("unknown option '%s'", argv[1]);
	if ((cmd = find(argv[1])) == NULL)
		die_usage("unknown command '%s'", argv[1]);
	cmd_name = cmd->name;
	return cmd->fn(argc - 1, argv + 1);
}
