/* cmd.h: the tool layer shared by the commands: messages, options, parts. */
#ifndef CMD_H
#define CMD_H

#include <stdint.h>

#include "enc.h"
#include "endpoint.h"
#include "msg.h"
#include "printer.h"
#include "proc.h"
#include "receive.h"
#include "stats.h"
#include "transmit.h"

/* getopt_long() returned '?' or ':': a usage error about argv[optind-1]. */
void	opt_error(int c, char **argv) __attribute__((noreturn));

/* Checked option values; each exits with a usage error when invalid. */
uint64_t opt_number(const char *opt, const char *arg, uint64_t min,
	    uint64_t max);
uint64_t opt_duration(const char *opt, const char *arg);
uint16_t opt_port(const char *arg, int allow_zero);
enum encoding opt_encoding(const char *arg);

/*
 * Writes the port and LF to the --port-file path, atomically by rename.
 * Returns 0, or an exit status after a message.
 */
int	write_port_file(const char *path, unsigned port);

/* -4 or -6 (c) on top of the family so far; they exclude each other. */
int	opt_family(int family, int c);

#endif
