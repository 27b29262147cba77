/* relay_opts.c: the options and operands of "udpcat relay", checked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "cmd.h"
#include "impair.h"
#include "opt.h"
#include "parse.h"
#include "relay_opts.h"
#include "udpcat.h"


/*
 * Splits an impairment's "up:" or "down:" prefix off arg; *mask says
 * which directions (bit UP, bit DOWN).  Returns the value.
 */
static const char *
dir_arg(const char *arg, unsigned *mask)
{
	if (strncmp(arg, "up:", 3) == 0) {
		*mask = 1U << UP;
		return arg + 3;
	}
	if (strncmp(arg, "down:", 5) == 0) {
		*mask = 1U << DOWN;
		return arg + 5;
	}
	*mask = 1U << UP | 1U << DOWN;
	return arg;
}

/* Sets one impairment (id) for the directions its prefix names. */
static void
set_impair(struct relay_opts *o, int id, const char *arg)
{
	char opt[32];
	const char *v;
	unsigned mask, d;
	double pct = 0;
	uint64_t n = 0;

	snprintf(opt, sizeof(opt), "--%s", opt_decls[id].name);
	v = dir_arg(arg, &mask);
	if (id == OPT_LOSS || id == OPT_CORRUPT || id == OPT_DUPLICATE ||
	    id == OPT_REORDER)
		pct = (double)opt_percent(opt, v) / (100.0 * PERCENT_ONE);
	else if (id == OPT_DELAY || id == OPT_JITTER)
		n = opt_duration(opt, v) * 1000000;
	else
		n = opt_number(opt, v, 1, id == OPT_RATE ? 1000000000 :
		    10000000);
	for (d = UP; d <= DOWN; d++) {
		struct impair_conf *i = &o->imp[d];

		if (!(mask & 1U << d))
			continue;
		switch (id) {
		case OPT_LOSS:		i->loss = pct;		break;
		case OPT_CORRUPT:	i->corrupt = pct;	break;
		case OPT_DUPLICATE:	i->duplicate = pct;	break;
		case OPT_REORDER:	i->reorder = pct;	break;
		case OPT_DELAY:		i->delay_ns = n;	break;
		case OPT_JITTER:	i->jitter_ns = n;	break;
		case OPT_RATE:		i->rate = n;		break;
		default:		i->queue = (size_t)n;	break;
		}
	}
}

/* Takes one option (id, its value in optarg), after the common ones. */
static void
parse_opt(struct relay_opts *o, int id)
{
	if (opt_common(&o->c, id, optarg))
		return;
	switch (id) {
	case OPT_FRAMING:
		if (frame_parse_out(optarg, &o->framing) == -1 ||
		    (o->framing != OUT_LINE && o->framing != OUT_NUL))
			die_usage("unknown framing '%s' for the relay: use "
			    "line or nul", optarg);
		o->framing_set = 1;
		break;
	case OPT_TAP:
		o->tap = 1;
		break;
	case OPT_IDLE:
		o->idle_ms = opt_duration("--idle", optarg);
		break;
	case OPT_MAX_CLIENTS:
		o->max_clients = opt_number("--max-clients", optarg, 1, 65536);
		break;
	case OPT_LOSS: case OPT_CORRUPT: case OPT_DUPLICATE: case OPT_REORDER:
	case OPT_DELAY: case OPT_JITTER: case OPT_RATE: case OPT_QUEUE:
		set_impair(o, id, optarg);
		break;
	case OPT_SEED:
		o->seed = opt_number("--seed", optarg, 0, UINT64_MAX);
		o->seed_set = 1;
		break;
	case OPT_TEE:
		if (o->ntee == MAX_TEE)
			die_usage("too many --tee addresses (at most %d)",
			    MAX_TEE);
		o->tee[o->ntee++] = optarg;
		break;
	}
}

/*
 * Reads the operands: the bound side ([ADDRESS] PORT, or unix:PATH),
 * then the service (HOST PORT, or unix:PATH).
 */
static void
check_operands(struct relay_opts *o, int argc, char **argv)
{
	int svc = argc > 0 && endp_is_unix(argv[argc - 1]) ? 1 : 2;
	int bound = argc - svc;

	if (bound < 1)
		die_usage("missing %s", argc == 0 ? "PORT HOST PORT" :
		    svc == 1 ? "PORT" : argc == 1 ? "HOST PORT" : "PORT");
	if (bound > 2)
		die_usage("too many operands: '%s'", argv[2]);
	o->host = argv[bound];
	if (svc == 2)
		o->port = opt_port(argv[argc - 1], 0);
	if (bound == 1 && endp_is_unix(argv[0])) {
		o->address = argv[0];
		o->listen_unix = 1;
		return;
	}
	if (bound == 2 && endp_is_unix(argv[0]))
		die_usage("'%s' takes no PORT", argv[0]);
	if (bound == 2)
		o->address = argv[0];
	o->lport = opt_port(argv[bound - 1], 1);
}

/* Checks the operands and the options that exclude each other. */
static void
check_opts(struct relay_opts *o, int argc, char **argv)
{
	check_operands(o, argc, argv);
	if (o->c.json && o->tap)
		die_usage("--json and --tap exclude each other");
	if (o->framing_set && !o->tap)
		die_usage("-F needs --tap");
	if (o->c.enc_set && !o->tap && !o->c.json)
		die_usage("-e needs --tap or --json");
	if (o->listen_unix && (o->c.port_file != NULL || o->c.reuse))
		die_usage("%s does not apply to a Unix socket ('%s')",
		    o->c.port_file != NULL ? "--port-file" : "--reuse",
		    o->address);
}

/* A seed from the system, for a run without --seed. */
static uint64_t
draw_seed(void)
{
	struct timespec ts;
	uint64_t s = 0;
	FILE *f;

	if ((f = fopen("/dev/urandom", "re")) != NULL) {
		if (fread(&s, sizeof(s), 1, f) != 1)
			s = 0;
		fclose(f);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return s ^ ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
	    (uint64_t)getpid() << 40;
}

void
relay_opts_parse(struct relay_opts *o, int argc, char **argv)
{
	struct opt_parser op;
	int id;

	memset(o, 0, sizeof(*o));
	opt_common_init(&o->c);
	o->framing = OUT_LINE;
	o->idle_ms = 60000;
	o->max_clients = 1024;
	opt_begin(&op, &opt_relay, argc, argv);
	while ((id = opt_next(&op)) != -1)
		parse_opt(o, id);
	check_opts(o, argc - optind, argv + optind);
	if (!o->seed_set)
		o->seed = draw_seed();
}
