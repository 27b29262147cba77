/* udpcat.h: limits, exit statuses and the command table shared by all. */
#ifndef UDPCAT_H
#define UDPCAT_H

#include <stddef.h>

#define UDPCAT_VERSION	"1.0.0"

/* Largest UDP payload over IPv4 and IPv6 (65535 less the headers). */
#define MAX_DGRAM4	65507
#define MAX_DGRAM6	65527

/* Exit statuses, as documented in udpcat(1). */
#define EXIT_OK		0
#define EXIT_RUNTIME	1
#define EXIT_USAGE	2
#define EXIT_TIMEOUT	3
#define EXIT_SIGNAL	128

struct opt_cmd;

struct command {
	const char		*name;
	int			(*fn)(int argc, char **argv);
	const char		*description;
	const struct opt_cmd	*opts;		/* its options and help */
};

int	cmd_send(int argc, char **argv);
int	cmd_broadcast(int argc, char **argv);
int	cmd_listen(int argc, char **argv);
int	cmd_ping(int argc, char **argv);
int	cmd_relay(int argc, char **argv);

/* "udpcat completion SHELL": a script completing the commands of cmds. */
int	completion_main(int argc, char **argv, const struct command *cmds,
	    size_t ncmds);

#endif
