/* listen_opts.c: the options and operands of "udpcat listen". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "cmd.h"
#include "listen_opts.h"
#include "parse.h"
#include "udpcat.h"

/*
 * Checks an --allow prefix, or exits with a usage error; with set, adds
 * it there and returns -1 when memory runs out.
 */
static int
add_allow(struct allow *set, const char *arg)
{
	unsigned char addr[16];
	const char *why;
	unsigned len;
	int family;

	if (parse_prefix(arg, &family, addr, &len, &why) == -1)
		die_usage("invalid prefix '%s' for --allow: %s", arg, why);
	return set != NULL ? allow_add(set, family, addr, len) : 0;
}

/* Takes option id, its value in optarg, if it is about answering. */
static void
parse_answer_opt(struct listen_opts *o, int id)
{
	const char *why;

	switch (id) {
	case OPT_ECHO:
		o->echo = 1;
		break;
	case OPT_REPLY:
		o->reply = optarg;
		break;
	case OPT_EXEC:
		o->exec = optarg;
		break;
	case OPT_JOBS:
		o->jobs = (unsigned)opt_number("--jobs", optarg, 1, JOBS_MAX);
		o->exec_set = id;
		break;
	case OPT_EXEC_TIMEOUT:
		o->exec_timeout_ms = opt_duration("--exec-timeout", optarg);
		o->exec_set = id;
		break;
	case OPT_REPLY_FRAMING:
		if (frame_parse_in(optarg, MAX_DGRAM6, &o->reply_framing,
		    &why) == -1)
			die_usage("invalid framing '%s': %s", optarg, why);
		if (o->reply_framing.mode == IN_JSON ||
		    o->reply_framing.mode == IN_PCAP)
			die_usage("--reply-framing takes whole, line, nul, "
			    "chunk:N or length, not '%s'", optarg);
		o->exec_set = id;
		break;
	case OPT_TALK:
		o->talk = 1;
		break;
	case OPT_INPUT_FRAMING:
		if (frame_parse_in(optarg, MAX_DGRAM6, &o->inf, &why) == -1)
			die_usage("invalid framing '%s': %s", optarg, why);
		o->inf_set = 1;
		break;
	}
}

/* Takes option id, its value in optarg, after the common ones. */
static void
parse_opt(struct listen_opts *o, int id)
{
	if (opt_common(&o->c, id, optarg))
		return;
	switch (id) {
	case OPT_FRAMING:
		if (frame_parse_out(optarg, &o->framing) == -1)
			die_usage("unknown framing '%s': use line, nul, none, "
			    "length or pcap", optarg);
		o->framing_set = 1;
		break;
	case OPT_UNTIL:
		o->until = optarg;
		break;
	case OPT_JOIN:
		if (o->njoin == MAX_JOIN)
			die_usage("too many --join groups (at most %d)",
			    MAX_JOIN);
		o->join[o->njoin++] = optarg;
		break;
	case OPT_ALLOW:
		/* Only checked: the set is built once no usage error can come. */
		(void)add_allow(NULL, optarg);
		o->nallow++;
		break;
	case OPT_MAX_SIZE:
		o->max_size = opt_number("--max-size", optarg, 1, 65535);
		break;
	default:
		parse_answer_opt(o, id);
	}
}

/* A Unix socket: the options that only IP has are refused. */
static void
check_unix(const struct listen_opts *o)
{
	const char *ip = o->c.family != AF_UNSPEC ? "-4 and -6" :
	    o->c.ifname != NULL ? "-I" : o->njoin > 0 ? "--join" :
	    o->nallow > 0 ? "--allow" : o->c.reuse ? "--reuse" :
	    o->c.port_file != NULL ? "--port-file" : NULL;

	if (ip != NULL)
		die_usage("%s do not apply to a Unix socket ('%s')", ip,
		    o->address);
}

/* The ways of answering exclude each other; their options need them. */
static void
check_answer(struct listen_opts *o)
{
	if (o->echo + (o->reply != NULL) + (o->exec != NULL) + o->talk > 1)
		die_usage("--echo, --reply, --exec and --talk exclude each "
		    "other");
	if (o->exec_set && o->exec == NULL)
		die_usage("--%s needs --exec", opt_decls[o->exec_set].name);
	if (o->inf_set && !o->talk)
		die_usage("--input-framing needs --talk");
	if ((o->inf.mode == IN_CHUNK || o->inf.mode == IN_LENGTH ||
	    o->inf.mode == IN_PCAP) && o->c.enc_set && o->c.enc != ENC_RAW)
		die_usage("--input-framing %s reads raw bytes: it does not "
		    "take -e %s", o->inf.mode == IN_CHUNK ? "chunk" :
		    o->inf.mode == IN_LENGTH ? "length" : "pcap",
		    enc_name(o->c.enc));
}

/* Checks the operands and the options that exclude each other. */
static void
check_opts(struct listen_opts *o, int argc, char **argv)
{
	if (argc < 1)
		die_usage("missing PORT");
	if (argc > 2)
		die_usage("too many operands: '%s'", argv[2]);
	if (endp_is_unix(argv[0])) {
		if (argc > 1)
			die_usage("too many operands: '%s'", argv[1]);
		o->address = argv[0];
		check_unix(o);
	} else {
		if (argc == 2)
			o->address = argv[0];
		o->port = opt_port(argv[argc - 1], 1);
	}
	check_answer(o);
	if (o->c.json && o->framing_set)
		die_usage("--json and -F exclude each other");
	o->ifindex = opt_ifindex(o->c.ifname);
}

/*
 * Builds the --allow set from the options, read once more now that they
 * are known to be valid.  Returns 0, or an exit status after a message.
 */
int
listen_opts_allow(struct listen_opts *o, int argc, char **argv)
{
	struct opt_parser op;
	int id;

	if (o->nallow == 0)
		return 0;
	opt_begin(&op, &opt_listen, argc, argv);
	while ((id = opt_next(&op)) != -1)
		if (id == OPT_ALLOW && add_allow(&o->allow, optarg) == -1)
			return msg_fail(EXIT_RUNTIME, "cannot add --allow prefix "
			    "'%s': %s", optarg, strerror(errno));
	allow_sort(&o->allow);
	return 0;
}

void
listen_opts_parse(struct listen_opts *o, int argc, char **argv)
{
	struct opt_parser op;
	int id;

	memset(o, 0, sizeof(*o));
	opt_common_init(&o->c);
	o->framing = OUT_LINE;
	o->max_size = 65535;
	o->jobs = 16;
	o->exec_timeout_ms = 10000;
	o->reply_framing.mode = IN_WHOLE;
	opt_begin(&op, &opt_listen, argc, argv);
	while ((id = opt_next(&op)) != -1)
		parse_opt(o, id);
	check_opts(o, argc - optind, argv + optind);
}
