/* options.c: the one table of options, and each command's list of them. */
#include <stddef.h>

#include "opt.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Each option once, whichever commands take it.  The help is the one
 * most commands show; a command's list may word it for itself.
 */
const struct opt_decl opt_decls[OPT_NIDS] = {
	[OPT_IPV4] = { NULL, '4', NULL, "IPv4 or IPv6 only", VAL_NONE, NULL,
	    0 },
	[OPT_IPV6] = { NULL, '6', NULL, NULL, VAL_NONE, NULL, 0 },
	[OPT_ENCODING] = { "encoding", 'e', "ENC",
	    "raw, text, hex or base64 (default raw)", VAL_WORDS,
	    "raw text hex base64", 0 },
	[OPT_FRAMING] = { "framing", 'F', "MODE",
	    "line, nul, whole, chunk:N, length, json or pcap (default line)",
	    VAL_WORDS, "line nul whole chunk: length json pcap", 0 },
	[OPT_JSON] = { "json", 0, NULL, "print replies as JSON objects",
	    VAL_NONE, NULL, 0 },
	[OPT_SHOW_PEER] = { "show-peer", 'P', NULL,
	    "prefix replies with ADDRESS:PORT", VAL_NONE, NULL, 0 },
	[OPT_SOURCE] = { "source", 's', "ADDRESS",
	    "send from this local address", VAL_NONE, NULL, 0 },
	[OPT_SOURCE_PORT] = { "source-port", 'p', "PORT",
	    "send from this local port", VAL_NONE, NULL, 0 },
	[OPT_INTERFACE] = { "interface", 'I', "NAME",
	    "send through this interface", VAL_IFACE, NULL, 0 },
	[OPT_TTL] = { "ttl", 0, "N",
	    "TTL, or hop limit for a multicast group (0-255)", VAL_NONE,
	    NULL, 0 },
	[OPT_TOS] = { "tos", 0, "N", "type of service / traffic class (0-255)",
	    VAL_NONE, NULL, 0 },
	[OPT_LOOP] = { "loop", 0, NULL, "multicast loopback on or off",
	    VAL_NONE, NULL, 0 },
	[OPT_NO_LOOP] = { "no-loop", 0, NULL, NULL, VAL_NONE, NULL, 0 },
	[OPT_BROADCAST] = { "broadcast", 0, NULL,
	    "permit a broadcast destination", VAL_NONE, NULL, 0 },
	[OPT_TO] = { "to", 0, "ADDRESS", "the broadcast address to use",
	    VAL_NONE, NULL, 0 },
	[OPT_ALL_INTERFACES] = { "all-interfaces", 0, NULL,
	    "send on every broadcast-capable interface", VAL_NONE, NULL, 0 },
	[OPT_REPEAT] = { "repeat", 0, "N",
	    "send the input N times (0: until interrupted)", VAL_NONE, NULL,
	    0 },
	[OPT_INTERVAL] = { "interval", 'i', "DURATION",
	    "pause between datagrams", VAL_NONE, NULL, 0 },
	[OPT_RATE] = { "rate", 0, "N", "at most N datagrams a second",
	    VAL_NONE, NULL, 0 },
	[OPT_WAIT] = { "wait", 'w', "DURATION",
	    "print replies until none came for DURATION", VAL_NONE, NULL, 0 },
	[OPT_TIMEOUT] = { "timeout", 'w', "DURATION",
	    "exit when no datagram came for DURATION", VAL_NONE, NULL, 0 },
	[OPT_COUNT] = { "count", 'n', "N", "stop after N replies", VAL_NONE,
	    NULL, 0 },
	[OPT_RETRIES] = { "retries", 0, "N",
	    "send again when no reply came, up to N times", VAL_NONE, NULL,
	    0 },
	[OPT_UNTIL] = { "until", 0, "DATA",
	    "exit after a datagram equal to DATA", VAL_NONE, NULL, 0 },
	[OPT_ECHO] = { "echo", 0, NULL, "send each datagram back to its sender",
	    VAL_NONE, NULL, 0 },
	[OPT_REPLY] = { "reply", 0, "DATA", "answer each datagram with DATA",
	    VAL_NONE, NULL, 0 },
	[OPT_JOIN] = { "join", 0, "GROUP[@SOURCE]",
	    "join a multicast group (repeatable)", VAL_NONE, NULL, 1 },
	[OPT_ALLOW] = { "allow", 0, "PREFIX",
	    "accept only these senders (repeatable)", VAL_NONE, NULL, 1 },
	[OPT_REUSE] = { "reuse", 0, NULL, "share the port with other sockets",
	    VAL_NONE, NULL, 0 },
	[OPT_MAX_SIZE] = { "max-size", 0, "N",
	    "cut datagrams longer than N bytes (default 65535)", VAL_NONE,
	    NULL, 0 },
	[OPT_BUFFER] = { "buffer", 0, "BYTES", "socket receive buffer size",
	    VAL_NONE, NULL, 0 },
	[OPT_PORT_FILE] = { "port-file", 0, "FILE",
	    "write the bound port to FILE", VAL_FILE, NULL, 0 },
	[OPT_STATS] = { "stats", 0, NULL, "print a summary at exit", VAL_NONE,
	    NULL, 0 },
	[OPT_PROGRESS] = { "progress", 0, NULL, "show live counters",
	    VAL_NONE, NULL, 0 },
	[OPT_VERBOSE] = { "verbose", 'v', NULL, "print diagnostics", VAL_NONE,
	    NULL, 0 },
	[OPT_HELP] = { "help", 'h', NULL, "show this help", VAL_NONE, NULL, 0 },
	[OPT_VERSION] = { "version", 0, NULL, "show the version", VAL_NONE,
	    NULL, 0 },
	[OPT_DF] = { "df", 0, NULL,
	    "never fragment: refuse datagrams over the path MTU", VAL_NONE,
	    NULL, 0 },
	[OPT_PROBES] = { NULL, 'c', "N",
	    "send N probes (default: until interrupted)", VAL_NONE, NULL, 0 },
	[OPT_SIZE] = { "size", 's', "SIZE",
	    "bytes in a probe (default 64, at least 16)", VAL_NONE, NULL, 0 },
	[OPT_LINGER] = { NULL, 'W', "DURATION",
	    "wait for late replies after the last probe (default 1s)",
	    VAL_NONE, NULL, 0 },
	[OPT_QUIET] = { "quiet", 'q', NULL, "print only the summary",
	    VAL_NONE, NULL, 0 },
	[OPT_MAX_LOSS] = { "max-loss", 0, "P",
	    "exit 0 while at most P percent are lost", VAL_NONE, NULL, 0 },
	[OPT_SPEED] = { "speed", 0, "FACTOR",
	    "-F json or pcap: replay the recorded times, FACTOR times as fast",
	    VAL_NONE, NULL, 0 },
	[OPT_TAP] = { "tap", 0, NULL,
	    "write each datagram: '> CLIENT ' up, '< CLIENT ' down", VAL_NONE,
	    NULL, 0 },
	[OPT_IDLE] = { "idle", 0, "DURATION",
	    "close a client's mapping idle that long (default 60s)", VAL_NONE,
	    NULL, 0 },
	[OPT_MAX_CLIENTS] = { "max-clients", 0, "N",
	    "at most N mappings (default 1024)", VAL_NONE, NULL, 0 },
	[OPT_LOSS] = { "loss", 0, "P", "drop P percent", VAL_NONE,
	    NULL, 1 },
	[OPT_CORRUPT] = { "corrupt", 0, "P",
	    "flip one bit in P percent", VAL_NONE, NULL, 1 },
	[OPT_DUPLICATE] = { "duplicate", 0, "P",
	    "send P percent twice", VAL_NONE, NULL, 1 },
	[OPT_REORDER] = { "reorder", 0, "P",
	    "hold P percent back behind the next", VAL_NONE, NULL, 1 },
	[OPT_DELAY] = { "delay", 0, "DURATION",
	    "delay each datagram", VAL_NONE, NULL, 1 },
	[OPT_JITTER] = { "jitter", 0, "DURATION",
	    "vary the delay by up to this", VAL_NONE, NULL, 1 },
	[OPT_QUEUE] = { "queue", 0, "N",
	    "wait for the rate: at most N (default 1000)", VAL_NONE, NULL, 1 },
	[OPT_SEED] = { "seed", 0, "N", "make every random choice reproducible",
	    VAL_NONE, NULL, 0 },
	[OPT_TEE] = { "tee", 0, "HOST:PORT",
	    "copy each client datagram there (repeatable)",
	    VAL_NONE, NULL, 1 },
	[OPT_EXEC] = { "exec", 0, "CMD",
	    "run CMD for each datagram; its output is the reply", VAL_NONE,
	    NULL, 0 },
	[OPT_JOBS] = { "jobs", 0, "N",
	    "--exec: at most N commands at once (default 16)", VAL_NONE, NULL,
	    0 },
	[OPT_EXEC_TIMEOUT] = { "exec-timeout", 0, "DURATION",
	    "--exec: stop a command running that long (default 10s)",
	    VAL_NONE, NULL, 0 },
	[OPT_REPLY_FRAMING] = { "reply-framing", 0, "MODE",
	    "--exec: split the output: whole, line, nul, chunk:N or length",
	    VAL_WORDS, "whole line nul chunk: length", 0 },
	[OPT_TALK] = { "talk", 0, NULL,
	    "send standard input to the latest sender", VAL_NONE, NULL, 0 },
	[OPT_INPUT_FRAMING] = { "input-framing", 0, "MODE",
	    "--talk: line, nul, whole, chunk:N, length, json or pcap",
	    VAL_WORDS, "line nul whole chunk: length json pcap", 0 },
};

#define DURATION_NOTE \
	"DURATION: a number with an optional unit ms, s or m (250ms, 1.5, 2m)."

/* send's and broadcast's, but for where to send: before it, and after. */
#define SEND_OPTS_SOCKET \
	{ OPT_IPV4, NULL, NULL }, \
	{ OPT_IPV6, NULL, NULL }, \
	{ OPT_ENCODING, NULL, NULL }, \
	{ OPT_FRAMING, NULL, NULL }, \
	{ OPT_SOURCE, NULL, NULL }, \
	{ OPT_SOURCE_PORT, NULL, NULL }, \
	{ OPT_INTERFACE, NULL, NULL }, \
	{ OPT_TTL, NULL, NULL }, \
	{ OPT_TOS, NULL, NULL }, \
	{ OPT_LOOP, NULL, NULL }, \
	{ OPT_NO_LOOP, NULL, NULL }, \
	{ OPT_DF, NULL, NULL }
#define SEND_OPTS_PACE \
	{ OPT_REPEAT, NULL, NULL }, \
	{ OPT_INTERVAL, NULL, NULL }, \
	{ OPT_RATE, NULL, NULL }, \
	{ OPT_SPEED, NULL, NULL }, \
	{ OPT_WAIT, NULL, NULL }, \
	{ OPT_COUNT, NULL, NULL }, \
	{ OPT_RETRIES, NULL, NULL }, \
	{ OPT_JSON, NULL, NULL }, \
	{ OPT_SHOW_PEER, NULL, NULL }, \
	{ OPT_STATS, NULL, NULL }, \
	{ OPT_PROGRESS, NULL, NULL }, \
	{ OPT_VERBOSE, NULL, NULL }, \
	{ OPT_HELP, NULL, NULL }

static const struct opt_use send_opts[] = {
	SEND_OPTS_SOCKET,
	{ OPT_BROADCAST, NULL, NULL },
	SEND_OPTS_PACE
};

const struct opt_cmd opt_send = {
	"send", "[options] HOST PORT [DATA ...]",
	"Send each DATA operand, or each record of standard input, as one "
	    "datagram\nto HOST PORT.",
	DURATION_NOTE, NULL, send_opts, NELEM(send_opts)
};

/* send's, with --to and --all-interfaces where send has --broadcast. */
static const struct opt_use broadcast_opts[] = {
	SEND_OPTS_SOCKET,
	{ OPT_TO, NULL, NULL },
	{ OPT_ALL_INTERFACES, NULL, NULL },
	SEND_OPTS_PACE
};

const struct opt_cmd opt_broadcast = {
	"broadcast", "[options] PORT [DATA ...]",
	"Send each record as one datagram to a broadcast address "
	    "(255.255.255.255\nunless -I, --to or --all-interfaces says "
	    "otherwise).",
	DURATION_NOTE, NULL, broadcast_opts, NELEM(broadcast_opts)
};

static const struct opt_use listen_opts[] = {
	{ OPT_IPV4, "IPv4 or IPv6 only (default: both)", NULL },
	{ OPT_IPV6, NULL, NULL },
	{ OPT_ENCODING, "raw, text, hex or base64 (default raw; text on a tty)",
	    NULL },
	{ OPT_FRAMING, "line, nul, none, length or pcap (default line)",
	    "line nul none length pcap" },
	{ OPT_JSON, "one JSON object per datagram", NULL },
	{ OPT_SHOW_PEER, "prefix records with ADDRESS:PORT", NULL },
	{ OPT_COUNT, "exit after N datagrams", NULL },
	{ OPT_TIMEOUT, NULL, NULL },
	{ OPT_UNTIL, NULL, NULL },
	{ OPT_ECHO, NULL, NULL },
	{ OPT_REPLY, NULL, NULL },
	{ OPT_EXEC, NULL, NULL },
	{ OPT_JOBS, NULL, NULL },
	{ OPT_EXEC_TIMEOUT, NULL, NULL },
	{ OPT_REPLY_FRAMING, NULL, NULL },
	{ OPT_TALK, NULL, NULL },
	{ OPT_INPUT_FRAMING, NULL, NULL },
	{ OPT_JOIN, NULL, NULL },
	{ OPT_INTERFACE, "receive on this interface only", NULL },
	{ OPT_ALLOW, NULL, NULL },
	{ OPT_REUSE, NULL, NULL },
	{ OPT_MAX_SIZE, NULL, NULL },
	{ OPT_BUFFER, NULL, NULL },
	{ OPT_PORT_FILE, NULL, NULL },
	{ OPT_STATS, NULL, NULL },
	{ OPT_PROGRESS, NULL, NULL },
	{ OPT_VERBOSE, NULL, NULL },
	{ OPT_HELP, NULL, NULL },
};

const struct opt_cmd opt_listen = {
	"listen", "[options] [ADDRESS] PORT",
	"Receive datagrams on PORT (0: any free port) from every sender and "
	    "write\neach one out as a record, in arrival order.",
	DURATION_NOTE, NULL, listen_opts, NELEM(listen_opts)
};

static const struct opt_use ping_opts[] = {
	{ OPT_IPV4, NULL, NULL },
	{ OPT_IPV6, NULL, NULL },
	{ OPT_PROBES, NULL, NULL },
	{ OPT_INTERVAL, "between probes (default 1s; 0: on each reply)",
	    NULL },
	{ OPT_SIZE, NULL, NULL },
	{ OPT_LINGER, NULL, NULL },
	{ OPT_QUIET, NULL, NULL },
	{ OPT_JSON, "one JSON object per reply and one for the summary",
	    NULL },
	{ OPT_MAX_LOSS, NULL, NULL },
	{ OPT_VERBOSE, NULL, NULL },
	{ OPT_HELP, NULL, NULL },
};

const struct opt_cmd opt_ping = {
	"ping", "[options] HOST PORT",
	"Measure round trips to a UDP echo service at HOST PORT: send probes, "
	    "match\nthe replies, and sum up loss and times.",
	DURATION_NOTE, NULL, ping_opts, NELEM(ping_opts)
};

static const struct opt_use relay_opts[] = {
	{ OPT_IPV4, "IPv4 or IPv6 only (default: both)", NULL },
	{ OPT_IPV6, NULL, NULL },
	{ OPT_ENCODING, "raw, text, hex or base64 for --tap and --json", NULL },
	{ OPT_FRAMING, "line or nul for --tap (default line)", "line nul" },
	{ OPT_TAP, NULL, NULL },
	{ OPT_JSON, "one JSON object per datagram", NULL },
	{ OPT_COUNT, "exit after N client datagrams", NULL },
	{ OPT_TIMEOUT, NULL, NULL },
	{ OPT_IDLE, NULL, NULL },
	{ OPT_MAX_CLIENTS, NULL, NULL },
	{ OPT_LOSS, NULL, NULL },
	{ OPT_CORRUPT, NULL, NULL },
	{ OPT_DUPLICATE, NULL, NULL },
	{ OPT_REORDER, NULL, NULL },
	{ OPT_DELAY, NULL, NULL },
	{ OPT_JITTER, NULL, NULL },
	{ OPT_RATE, "let at most N datagrams a second through", NULL },
	{ OPT_QUEUE, NULL, NULL },
	{ OPT_SEED, NULL, NULL },
	{ OPT_TEE, NULL, NULL },
	{ OPT_DF, "never fragment: datagrams over the path MTU are not "
	    "forwarded", NULL },
	{ OPT_REUSE, NULL, NULL },
	{ OPT_BUFFER, NULL, NULL },
	{ OPT_PORT_FILE, NULL, NULL },
	{ OPT_STATS, NULL, NULL },
	{ OPT_PROGRESS, NULL, NULL },
	{ OPT_VERBOSE, NULL, NULL },
	{ OPT_HELP, NULL, NULL },
};

const struct opt_cmd opt_relay = {
	"relay", "[options] [ADDRESS] PORT HOST PORT",
	"Relay datagrams between clients of ADDRESS PORT and the service at "
	    "HOST PORT,\nwith one upstream socket per client; watch, record "
	    "or impair the traffic.",
	DURATION_NOTE "\nP: a percentage, 0 to 100, decimals allowed, '%' "
	    "optional.\nAn impairment's value may start with 'up:' (client to "
	    "service) or 'down:'.",
	NULL, relay_opts, NELEM(relay_opts)
};

static const struct opt_use help_only[] = {
	{ OPT_HELP, NULL, NULL },
};

const struct opt_cmd opt_completion = {
	"completion", "bash|zsh|fish",
	"Print a script that completes udpcat's commands, options and their "
	    "values\n(encodings, framings, interface names) in the shell "
	    "named.",
	"Install the scripts with 'make install', or load one by hand:\n"
	    "  bash: source <(udpcat completion bash)\n"
	    "  zsh:  udpcat completion zsh > ~/.zfunc/_udpcat "
	    "(~/.zfunc in fpath)\n"
	    "  fish: udpcat completion fish | source",
	"bash zsh fish", help_only, NELEM(help_only)
};

/* What udpcat takes before a command; main() reads them itself. */
static const struct opt_use top_opts[] = {
	{ OPT_HELP, NULL, NULL },
	{ OPT_VERSION, NULL, NULL },
};

const struct opt_cmd opt_top = {
	"", "COMMAND [options] ...", "", NULL, NULL, top_opts,
	NELEM(top_opts)
};

/* Every list above, for the checks of tests/test_opt.c. */
const struct opt_cmd *const opt_cmds[] = {
	&opt_send, &opt_broadcast, &opt_listen, &opt_ping, &opt_relay,
	&opt_completion,
	&opt_top, NULL
};
