/* opt.h: every option declared once; getopt, --help and completions from it. */
#ifndef OPT_H
#define OPT_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "enc.h"

/* Every option of every command, each declared once in options.c. */
enum opt_id {
	OPT_IPV4, OPT_IPV6, OPT_ENCODING, OPT_FRAMING, OPT_JSON,
	OPT_SHOW_PEER, OPT_SOURCE, OPT_SOURCE_PORT, OPT_INTERFACE, OPT_TTL,
	OPT_TOS, OPT_LOOP, OPT_NO_LOOP, OPT_BROADCAST, OPT_TO,
	OPT_ALL_INTERFACES, OPT_REPEAT, OPT_INTERVAL, OPT_RATE, OPT_WAIT,
	OPT_TIMEOUT, OPT_COUNT, OPT_RETRIES, OPT_UNTIL, OPT_ECHO, OPT_REPLY,
	OPT_JOIN, OPT_ALLOW, OPT_REUSE, OPT_MAX_SIZE, OPT_BUFFER,
	OPT_PORT_FILE, OPT_STATS, OPT_PROGRESS, OPT_VERBOSE, OPT_HELP,
	OPT_VERSION, OPT_DF, OPT_PROBES, OPT_SIZE, OPT_LINGER, OPT_QUIET,
	OPT_MAX_LOSS, OPT_SPEED,
	OPT_TAP, OPT_IDLE, OPT_MAX_CLIENTS, OPT_LOSS,
	OPT_CORRUPT, OPT_DUPLICATE, OPT_REORDER, OPT_DELAY, OPT_JITTER,
	OPT_QUEUE, OPT_SEED, OPT_TEE,
	OPT_EXEC, OPT_JOBS, OPT_EXEC_TIMEOUT, OPT_REPLY_FRAMING, OPT_TALK,
	OPT_INPUT_FRAMING,
	OPT_NIDS
};

/* What the shell completions offer for an option's value. */
enum opt_values {
	VAL_NONE,		/* free text: nothing to offer */
	VAL_WORDS,		/* one of a list of words */
	VAL_IFACE,		/* a network interface's name */
	VAL_FILE		/* a file name */
};

/* One option: its names, its argument and its help. */
struct opt_decl {
	const char	*name;		/* long name without "--", or NULL */
	char		 letter;	/* short letter, or 0 */
	const char	*arg;		/* the argument's name, NULL for none */
	const char	*help;		/* NULL: on the help line of the one
					   listed before it */
	enum opt_values	 values;
	const char	*words;		/* VAL_WORDS: the words, space-separated
					   (NULL: each command gives them) */
	int		 repeatable;
};

extern const struct opt_decl opt_decls[OPT_NIDS];

/* An option as one command takes it. */
struct opt_use {
	enum opt_id	 id;
	const char	*help;		/* NULL: the declaration's */
	const char	*words;		/* NULL: the declaration's */
};

/* A command's options in help order, and the text around them. */
struct opt_cmd {
	const char		*name;
	const char		*synopsis;	/* after "usage: udpcat NAME " */
	const char		*about;		/* the paragraph after it */
	const char		*footer;	/* after the options, or NULL */
	const char		*operands;	/* words that complete operands,
						   or NULL */
	const struct opt_use	*opts;
	size_t			 nopts;
};

extern const struct opt_cmd opt_send, opt_broadcast, opt_listen,
	    opt_ping, opt_relay, opt_completion, opt_top;

/* All of them, opt_top (what comes before a command) too; NULL ends it. */
extern const struct opt_cmd *const opt_cmds[];

/* The help and completion words of option u. */
const char *opt_help_of(const struct opt_use *u);
const char *opt_words_of(const struct opt_use *u);

/* The getopt_long() tables of one command, built from its list. */
struct opt_parser {
	const struct opt_cmd	*cmd;
	int			 argc;
	char			**argv;
	char			 shortopts[3 * OPT_NIDS + 2];
	struct option		 longopts[OPT_NIDS + 1];
	int			 by_letter[128];	/* id, or -1 */
};

/* Builds the tables of cmd and starts getopt_long() at argv[1]. */
void	opt_begin(struct opt_parser *p, const struct opt_cmd *cmd, int argc,
	    char **argv);

/*
 * Returns the id of the next option, its value in optarg, or -1 after
 * the last one (optind is then the first operand).  -h prints the
 * command's help and exits 0; an unknown option or a missing value is a
 * usage error.
 */
int	opt_next(struct opt_parser *p);

/* Prints cmd's --help text to f. */
void	opt_help(const struct opt_cmd *cmd, FILE *f);

/*
 * Flushes standard output, after help, the version or a completion
 * script; exits 1 naming the reason if any of it could not be written.
 */
void	opt_print_done(void);

/* getopt_long() returned '?' or ':': a usage error about argv[optind-1]. */
void	opt_error(int c, char **argv) __attribute__((noreturn));

/* Checked option values; each exits with a usage error when invalid. */
uint64_t opt_number(const char *opt, const char *arg, uint64_t min,
	    uint64_t max);
uint64_t opt_duration(const char *opt, const char *arg);
uint16_t opt_port(const char *arg, int allow_zero);

/* A percentage 0 to 100 (parse_percent()), in millionths of a percent. */
uint64_t opt_percent(const char *opt, const char *arg);
enum encoding opt_encoding(const char *arg);

/*
 * The family after OPT_IPV4 or OPT_IPV6 (id) on top of the family so far;
 * -4 and -6 exclude each other.
 */
int	opt_family(int family, int id);

/* The options several commands take, each read alike by opt_common(). */
struct common_opts {
	int		 family;	/* -4, -6; AF_UNSPEC: either */
	enum encoding	 enc;		/* -e */
	int		 enc_set;
	int		 json;		/* --json */
	int		 show_peer;	/* -P */
	const char	*ifname;	/* -I */
	uint64_t	 count;		/* -n; 0: no limit */
	uint64_t	 timeout_ms;	/* -w: --wait or --timeout */
	int		 timeout_set;
	uint64_t	 interval_ms;	/* -i */
	int		 df;		/* --df */
	int		 reuse;		/* --reuse */
	size_t		 buffer;	/* --buffer; 0: as large as allowed */
	const char	*port_file;	/* --port-file */
	int		 stats;		/* --stats */
	int		 progress;	/* --progress */
	int		 verbose;	/* -v */
};

/* The index of -I's interface, or 0 without -I; unknown: a usage error. */
unsigned opt_ifindex(const char *ifname);

/* Sets c to no option given. */
void	opt_common_init(struct common_opts *c);

/*
 * Takes option id, with its value arg, into c if it is one of the
 * common options: returns 1, or 0 when the command takes it itself.
 * An invalid value is a usage error.
 */
int	opt_common(struct common_opts *c, int id, const char *arg);

#endif
