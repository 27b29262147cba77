/* msg.h: udpcat's diagnostics, one line each on standard error. */
#ifndef MSG_H
#define MSG_H

/* The command being run, for "udpcat: COMMAND: ..." messages. */
extern const char *cmd_name;

/*
 * "udpcat: COMMAND: MESSAGE", then exit(status).  Only for failures that
 * come before a command holds anything: a bad option, a bad operand.
 */
void	die(int status, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

/* A usage error: the message, a pointer to --help, then exit status 2. */
void	die_usage(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/* Prints the message as die() does and returns status, for the caller. */
int	msg_fail(int status, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* The same for a usage error: with the pointer to --help; returns 2. */
int	msg_fail_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "udpcat: COMMAND: warning: MESSAGE". */
void	warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "udpcat: COMMAND: MESSAGE", for -v, --stats and the like. */
void	note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
