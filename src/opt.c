/* opt.c: getopt tables and --help built from the option table; values. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>

#include "cmd.h"
#include "opt.h"
#include "parse.h"
#include "udpcat.h"

#define OPT_LONG	256	/* getopt_long() returns OPT_LONG + id */
#define HELP_COLUMN	22	/* width of the option column of --help */

const char *
opt_help_of(const struct opt_use *u)
{
	return u->help != NULL ? u->help : opt_decls[u->id].help;
}

const char *
opt_words_of(const struct opt_use *u)
{
	return u->words != NULL ? u->words : opt_decls[u->id].words;
}

void
opt_begin(struct opt_parser *p, const struct opt_cmd *cmd, int argc,
    char **argv)
{
	const struct opt_decl *d;
	struct option *lo;
	char *s;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->cmd = cmd;
	p->argc = argc;
	p->argv = argv;
	for (i = 0; i < sizeof(p->by_letter) / sizeof(p->by_letter[0]); i++)
		p->by_letter[i] = -1;
	lo = p->longopts;
	s = p->shortopts;
	*s++ = ':';		/* udpcat words its own errors */
	for (i = 0; i < cmd->nopts; i++) {
		d = &opt_decls[cmd->opts[i].id];
		if (d->letter != 0) {
			*s++ = d->letter;
			if (d->arg != NULL)
				*s++ = ':';
			p->by_letter[(unsigned char)d->letter & 0x7f] =
			    (int)cmd->opts[i].id;
		}
		if (d->name != NULL) {
			lo->name = d->name;
			lo->has_arg = d->arg != NULL ? required_argument :
			    no_argument;
			lo->flag = NULL;
			lo->val = OPT_LONG + (int)cmd->opts[i].id;
			lo++;
		}
	}
	*s = '\0';		/* and *lo is all zeros: the end */
	opterr = 0;
	optind = 0;		/* glibc: start afresh, even on a second pass */
}

/*
 * getopt_long() takes an abbreviation of a long option; but a word that
 * spells out another option in full is that one, which this command does
 * not take ("send --to" is not "send --tos"): a usage error.
 */
static void
check_spelling(const struct opt_parser *p, int id)
{
	const char *word;
	size_t len;
	int i;

	if (optarg != NULL && optind >= 2 && optarg == p->argv[optind - 1])
		word = p->argv[optind - 2];
	else
		word = p->argv[optind - 1];
	if (strncmp(word, "--", 2) != 0)
		return;
	word += 2;
	len = strcspn(word, "=");
	if (len == strlen(opt_decls[id].name))
		return;
	for (i = 0; i < OPT_NIDS; i++)
		if (opt_decls[i].name != NULL &&
		    strlen(opt_decls[i].name) == len &&
		    strncmp(opt_decls[i].name, word, len) == 0)
			die_usage("unknown option '--%.*s'", (int)len, word);
}

int
opt_next(struct opt_parser *p)
{
	int c, id;

	c = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, NULL);
	if (c == -1)
		return -1;
	if (c == '?' || c == ':')
		opt_error(c, p->argv);
	if (c >= OPT_LONG) {
		id = c - OPT_LONG;
		check_spelling(p, id);
	} else
		id = p->by_letter[c & 0x7f];
	if (id == OPT_HELP) {
		opt_help(p->cmd, stdout);
		opt_print_done();
		exit(EXIT_OK);
	}
	return id;
}

/*
 * Appends the option column of d ("-e, --encoding ENC") to buf; after
 * the first option of a line, a comma first.
 */
static void
put_spec(const struct opt_decl *d, int first, char *buf, size_t size)
{
	size_t n = strlen(buf);

	if (n + 1 >= size)
		return;
	if (d->letter != 0)
		snprintf(buf + n, size - n, "%s-%c%s%s", first ? "" : ", ",
		    d->letter, d->name != NULL ? ", --" : "",
		    d->name != NULL ? d->name : "");
	else
		snprintf(buf + n, size - n, "%s--%s", first ? "    " : ", ",
		    d->name);
	if (d->arg != NULL) {
		n = strlen(buf);
		snprintf(buf + n, size - n, " %s", d->arg);
	}
}

void
opt_help(const struct opt_cmd *cmd, FILE *f)
{
	const struct opt_use *u;
	char col[128];
	size_t i;

	fprintf(f, "usage: udpcat %s %s\n\n%s\n\n", cmd->name, cmd->synopsis,
	    cmd->about);
	for (i = 0; i < cmd->nopts; i++) {
		u = &cmd->opts[i];
		col[0] = '\0';
		put_spec(&opt_decls[u->id], 1, col, sizeof(col));
		/* Options declared without help share this line. */
		while (i + 1 < cmd->nopts &&
		    opt_decls[cmd->opts[i + 1].id].help == NULL) {
			i++;
			put_spec(&opt_decls[cmd->opts[i].id], 0, col,
			    sizeof(col));
		}
		fprintf(f, "  %-*s%s%s\n", HELP_COLUMN, col,
		    strlen(col) > HELP_COLUMN ? "  " : " ", opt_help_of(u));
	}
	if (cmd->footer != NULL)
		fprintf(f, "\n%s\n", cmd->footer);
}

void
opt_print_done(void)
{
	int err = errno;

	/* What went to the /dev/null that holds its place is lost. */
	if (stdio_closed(STDOUT_FILENO))
		die(EXIT_RUNTIME, "cannot write to standard output: it is "
		    "closed");
	if (fflush(stdout) == 0 && !ferror(stdout))
		return;
	if (errno != 0)
		err = errno;
	if (err == EPIPE)
		exit(EXIT_SIGNAL + SIGPIPE);
	die(EXIT_RUNTIME, "cannot write to standard output: %s",
	    strerror(err != 0 ? err : EIO));
}

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

uint64_t
opt_percent(const char *opt, const char *arg)
{
	const char *why;
	uint64_t v;

	if (parse_percent(arg, &v, &why) == -1)
		die_usage("invalid percentage '%s' for %s: %s (use 0 to 100, as "
		    "in 10 or 2.5%%)", arg, opt, why);
	return v;
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
opt_family(int family, int id)
{
	int f = id == OPT_IPV4 ? AF_INET : AF_INET6;

	if (family != AF_UNSPEC && family != f)
		die_usage("-4 and -6 exclude each other");
	return f;
}

/* The name of option id as the messages give it: "--count", or "-c". */
static const char *
opt_spelling(int id, char *buf, size_t size)
{
	const struct opt_decl *d = &opt_decls[id];

	if (d->name != NULL)
		snprintf(buf, size, "--%s", d->name);
	else
		snprintf(buf, size, "-%c", d->letter);
	return buf;
}

unsigned
opt_ifindex(const char *ifname)
{
	unsigned i;

	if (ifname == NULL)
		return 0;
	if ((i = if_nametoindex(ifname)) == 0)
		die_usage("unknown interface '%s'", ifname);
	return i;
}

void
opt_common_init(struct common_opts *c)
{
	memset(c, 0, sizeof(*c));
	c->family = AF_UNSPEC;
}

/* opt_common() for the options that take a value: 1 if id is one. */
static int
common_value(struct common_opts *c, int id, const char *arg)
{
	char name[32];

	opt_spelling(id, name, sizeof(name));
	switch (id) {
	case OPT_ENCODING:
		c->enc = opt_encoding(arg);
		c->enc_set = 1;
		break;
	case OPT_INTERFACE:
		c->ifname = arg;
		break;
	case OPT_COUNT:
		c->count = opt_number(name, arg, 1, UINT32_MAX);
		break;
	case OPT_WAIT:
	case OPT_TIMEOUT:
		c->timeout_ms = opt_duration(name, arg);
		c->timeout_set = 1;
		break;
	case OPT_INTERVAL:
		c->interval_ms = opt_duration(name, arg);
		break;
	case OPT_BUFFER:
		c->buffer = opt_number(name, arg, 1024, 1U << 30);
		break;
	case OPT_PORT_FILE:
		c->port_file = arg;
		break;
	default:
		return 0;
	}
	return 1;
}

int
opt_common(struct common_opts *c, int id, const char *arg)
{
	switch (id) {
	case OPT_IPV4:
	case OPT_IPV6:
		c->family = opt_family(c->family, id);
		break;
	case OPT_JSON:
		c->json = 1;
		break;
	case OPT_SHOW_PEER:
		c->show_peer = 1;
		break;
	case OPT_DF:
		c->df = 1;
		break;
	case OPT_REUSE:
		c->reuse = 1;
		break;
	case OPT_STATS:
		c->stats = 1;
		break;
	case OPT_PROGRESS:
		c->progress = 1;
		break;
	case OPT_VERBOSE:
		c->verbose = 1;
		break;
	default:
		return common_value(c, id, arg);
	}
	return 1;
}
