/* test_opt.c: the option table, the getopt tables and --help built from it. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enc.h"
#include "frame.h"
#include "opt.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* No long name is spelled in two declarations. */
static void
test_long_names_unique(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < OPT_NIDS; i++)
		for (j = i + 1; j < OPT_NIDS; j++) {
			if (opt_decls[i].name == NULL ||
			    opt_decls[j].name == NULL)
				continue;
			if (strcmp(opt_decls[i].name, opt_decls[j].name) == 0)
				fail_msg("--%s declared twice (ids %d and %d)",
				    opt_decls[i].name, i, j);
		}
}

/* Every declaration has a name, and a help line of its own or shared. */
static void
test_decls_complete(void **state)
{
	const struct opt_decl *d;
	int i;

	(void)state;
	for (i = 0; i < OPT_NIDS; i++) {
		d = &opt_decls[i];
		if (d->name == NULL && d->letter == 0)
			fail_msg("option id %d has no name", i);
		if (d->values != VAL_NONE && d->arg == NULL)
			fail_msg("option id %d completes a value it does not "
			    "take", i);
		if (d->name != NULL && strspn(d->name,
		    "abcdefghijklmnopqrstuvwxyz0123456789-") !=
		    strlen(d->name))
			fail_msg("--%s: not a plain long name", d->name);
	}
}

/* In each list: no id twice, no short letter twice, valid ids. */
static void
test_lists_unique(void **state)
{
	const struct opt_cmd *const *c;
	unsigned char seen_id[OPT_NIDS], seen_letter[128];
	const struct opt_decl *d;
	size_t i;

	(void)state;
	for (c = opt_cmds; *c != NULL; c++) {
		memset(seen_id, 0, sizeof(seen_id));
		memset(seen_letter, 0, sizeof(seen_letter));
		for (i = 0; i < (*c)->nopts; i++) {
			assert_true((unsigned)(*c)->opts[i].id < OPT_NIDS);
			d = &opt_decls[(*c)->opts[i].id];
			if (seen_id[(*c)->opts[i].id]++)
				fail_msg("%s lists %s twice", (*c)->name,
				    d->name);
			if (d->letter != 0 && seen_letter[(int)d->letter]++)
				fail_msg("%s: -%c means two options",
				    (*c)->name, d->letter);
		}
	}
}

/* Every declared option is taken by some command. */
static void
test_every_id_used(void **state)
{
	const struct opt_cmd *const *c;
	unsigned char used[OPT_NIDS];
	size_t i;
	int id;

	(void)state;
	memset(used, 0, sizeof(used));
	for (c = opt_cmds; *c != NULL; c++)
		for (i = 0; i < (*c)->nopts; i++)
			used[(*c)->opts[i].id] = 1;
	for (id = 0; id < OPT_NIDS; id++)
		if (!used[id])
			fail_msg("option id %d (--%s) is in no command's list",
			    id, opt_decls[id].name ? opt_decls[id].name : "");
}

/*
 * An option declared without help shares the line of the one before it,
 * so it is never first and its command gives it no help either; every
 * option that completes words has them.
 */
static void
test_help_and_words(void **state)
{
	const struct opt_cmd *const *c;
	const struct opt_use *u;
	size_t i;

	(void)state;
	for (c = opt_cmds; *c != NULL; c++)
		for (i = 0; i < (*c)->nopts; i++) {
			u = &(*c)->opts[i];
			if (opt_decls[u->id].help == NULL &&
			    (i == 0 || u->help != NULL))
				fail_msg("%s: option id %d has no line to share",
				    (*c)->name, u->id);
			if (opt_decls[u->id].values == VAL_WORDS &&
			    opt_words_of(u) == NULL)
				fail_msg("%s: option id %d has no words",
				    (*c)->name, u->id);
		}
}

/* The words of the option id in cmd's list, or NULL. */
static const char *
words_in(const struct opt_cmd *cmd, enum opt_id id)
{
	size_t i;

	for (i = 0; i < cmd->nopts; i++)
		if (cmd->opts[i].id == id)
			return opt_words_of(&cmd->opts[i]);
	return NULL;
}

/* The words completed for -e and -F are what the parsers accept. */
static void
test_words_accepted(void **state)
{
	const struct opt_cmd *in[] = { &opt_send, &opt_broadcast };
	char buf[256], *w, name[64];
	struct in_frame inf;
	enum out_framing of;
	enum encoding e;
	const char *why;
	size_t i;

	(void)state;
	snprintf(buf, sizeof(buf), "%s", opt_decls[OPT_ENCODING].words);
	for (w = strtok(buf, " "); w != NULL; w = strtok(NULL, " "))
		assert_int_equal(enc_from_name(w, &e), 0);
	for (i = 0; i < NELEM(in); i++) {
		assert_non_null(words_in(in[i], OPT_FRAMING));
		snprintf(buf, sizeof(buf), "%s", words_in(in[i], OPT_FRAMING));
		for (w = strtok(buf, " "); w != NULL; w = strtok(NULL, " ")) {
			/* "chunk:" stands for chunk:N. */
			snprintf(name, sizeof(name), "%s%s", w,
			    w[strlen(w) - 1] == ':' ? "512" : "");
			if (frame_parse_in(name, 65507, &inf, &why) != 0)
				fail_msg("%s -F %s: %s", in[i]->name, name, why);
		}
	}
	assert_non_null(words_in(&opt_listen, OPT_FRAMING));
	snprintf(buf, sizeof(buf), "%s", words_in(&opt_listen, OPT_FRAMING));
	for (w = strtok(buf, " "); w != NULL; w = strtok(NULL, " "))
		if (frame_parse_out(w, &of) != 0)
			fail_msg("listen -F %s refused", w);
}

/* The getopt_long() short strings are those udpcat 1.0 wrote by hand. */
static void
test_shortopts(void **state)
{
	struct opt_parser p;
	char *argv[] = { (char *)"x", NULL };

	(void)state;
	opt_begin(&p, &opt_send, 1, argv);
	assert_string_equal(p.shortopts, ":46e:F:s:p:I:i:w:n:Pvh");
	opt_begin(&p, &opt_broadcast, 1, argv);
	assert_string_equal(p.shortopts, ":46e:F:s:p:I:i:w:n:Pvh");
	opt_begin(&p, &opt_listen, 1, argv);
	assert_string_equal(p.shortopts, ":46e:F:Pn:w:I:vh");
	opt_begin(&p, &opt_completion, 1, argv);
	assert_string_equal(p.shortopts, ":h");
}

/* Options come back as ids, long or short, values in optarg. */
static void
test_next(void **state)
{
	char *argv[] = { (char *)"send", (char *)"-e", (char *)"hex",
	    (char *)"127.0.0.1", (char *)"--ttl=3", (char *)"-4v",
	    (char *)"--interv", (char *)"1", (char *)"9", NULL };
	struct opt_parser p;

	(void)state;
	optind = 0;
	opt_begin(&p, &opt_send, (int)NELEM(argv) - 1, argv);
	assert_int_equal(opt_next(&p), OPT_ENCODING);
	assert_string_equal(optarg, "hex");
	assert_int_equal(opt_next(&p), OPT_TTL);
	assert_string_equal(optarg, "3");
	assert_int_equal(opt_next(&p), OPT_IPV4);
	assert_int_equal(opt_next(&p), OPT_VERBOSE);
	assert_int_equal(opt_next(&p), OPT_INTERVAL);
	assert_string_equal(optarg, "1");
	assert_int_equal(opt_next(&p), -1);
	/* The operands, moved behind the options. */
	assert_int_equal(optind, 7);
	assert_string_equal(argv[optind], "127.0.0.1");
	assert_string_equal(argv[optind + 1], "9");
}

/* The help column: 22 wide and one space, or wider and two. */
static void
test_help_layout(void **state)
{
	static const struct opt_use uses[] = {
		{ OPT_IPV4, NULL, NULL },
		{ OPT_IPV6, NULL, NULL },
		{ OPT_SOURCE_PORT, NULL, NULL },
		{ OPT_INTERVAL, "pause", NULL },
		{ OPT_LOOP, NULL, NULL },
		{ OPT_NO_LOOP, NULL, NULL },
		{ OPT_JSON, NULL, NULL },
	};
	static const struct opt_cmd cmd = {
		"demo", "[options] X", "About.", "Footer.", NULL, uses,
		NELEM(uses)
	};
	const char *want =
	    "usage: udpcat demo [options] X\n\nAbout.\n\n"
	    "  -4, -6                 IPv4 or IPv6 only\n"
	    "  -p, --source-port PORT send from this local port\n"
	    "  -i, --interval DURATION  pause\n"
	    "      --loop, --no-loop  multicast loopback on or off\n"
	    "      --json             print replies as JSON objects\n"
	    "\nFooter.\n";
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(f = open_memstream(&buf, &len));
	opt_help(&cmd, f);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, want);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_names_unique),
		cmocka_unit_test(test_decls_complete),
		cmocka_unit_test(test_lists_unique),
		cmocka_unit_test(test_every_id_used),
		cmocka_unit_test(test_help_and_words),
		cmocka_unit_test(test_words_accepted),
		cmocka_unit_test(test_shortopts),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_help_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
