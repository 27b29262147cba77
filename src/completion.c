/* completion.c: "udpcat completion": shell scripts from the option tables. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "opt.h"
#include "udpcat.h"

#define NAMES_MAX	512	/* every command's name, space-separated */
#define SPEC_MAX	512	/* one _arguments spec */

/* What a script is made from: the command table, and "help" after it. */
struct gen {
	FILE			*f;
	const struct command	*cmds;
	size_t			 n;		/* commands, "help" not counted */
	struct command		 help;
	struct opt_cmd		 help_opts;
	char			 names[NAMES_MAX];	/* the commands */
	char			 words[NAMES_MAX + 8];	/* and "help" */
};

/* Command i of the script: the table's, then "help" at i == n. */
static const struct command *
command_at(const struct gen *g, size_t i)
{
	return i < g->n ? &g->cmds[i] : &g->help;
}

/* Writes s in single quotes, as each of the three shells reads them. */
static void
put_quoted(FILE *f, const char *s)
{
	putc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			putc(*s, f);
	}
	putc('\'', f);
}

/* The help of option i of c: an option without one shares the line above. */
static const char *
help_at(const struct opt_cmd *c, size_t i)
{
	while (i > 0 && opt_help_of(&c->opts[i]) == NULL)
		i--;
	return opt_help_of(&c->opts[i]);
}

/* Writes the names of d ("-e" and "--encoding") separated by sep. */
static void
put_names(FILE *f, const struct opt_decl *d, const char *sep)
{
	if (d->letter != 0)
		fprintf(f, "-%c%s", d->letter, d->name != NULL ? sep : "");
	if (d->name != NULL)
		fprintf(f, "--%s", d->name);
}

/* --- bash ----------------------------------------------------------- */

static const char bash_head[] =
"# udpcat(1) completion for bash, made by 'udpcat completion bash'.\n"
"# Installed as share/bash-completion/completions/udpcat.\n"
"\n"
"# The network interfaces, one a line.\n"
"_udpcat_interfaces()\n"
"{\n"
"\tlocal i\n"
"\tif [ -d /sys/class/net ]; then\n"
"\t\tfor i in /sys/class/net/*; do\n"
"\t\t\t[ -e \"$i\" ] && printf '%s\\n' \"${i##*/}\"\n"
"\t\tdone\n"
"\telse\n"
"\t\tip -o link show 2>/dev/null |\n"
"\t\t    sed -n 's/^[0-9]*: *\\([^:@ ]*\\).*/\\1/p'\n"
"\tfi\n"
"}\n";

static const char bash_main_head[] =
"\n"
"_udpcat()\n"
"{\n"
"\tlocal cur prev cmd=\"\" nargs=0 i\n"
"\tCOMPREPLY=()\n"
"\tcur=${COMP_WORDS[COMP_CWORD]}\n"
"\tprev=${COMP_WORDS[COMP_CWORD-1]}\n"
"\t# bash splits --name=VALUE at the '='.\n"
"\tif [ \"$cur\" = = ]; then\n"
"\t\tcur=\n"
"\telif [ \"$prev\" = = ] && [ \"$COMP_CWORD\" -gt 1 ]; then\n"
"\t\tprev=${COMP_WORDS[COMP_CWORD-2]}\n"
"\tfi\n"
"\t# The command is the first word that is not an option; then\n"
"\t# count the operands after it.\n"
"\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
"\t\tcase ${COMP_WORDS[i]} in\n"
"\t\t-*|=) ;;\n"
"\t\t*) if [ -z \"$cmd\" ]; then cmd=${COMP_WORDS[i]};\n"
"\t\t   else nargs=$((nargs + 1)); fi ;;\n"
"\t\tesac\n"
"\tdone\n"
"\tcase $cmd in\n";

static const char bash_tail[] =
"\t*) return 0 ;;\n"
"\tesac\n"
"\t# chunk:N: no space after the colon.\n"
"\tif [ \"${#COMPREPLY[@]}\" -eq 1 ] && [ \"${COMPREPLY[0]%:}\" != "
    "\"${COMPREPLY[0]}\" ]; then\n"
"\t\tcompopt -o nospace 2>/dev/null\n"
"\tfi\n"
"\treturn 0\n"
"}\n"
"\n"
"complete -F _udpcat udpcat\n";

/* Writes "COMPREPLY=(...)" offering words w (a literal list). */
static void
bash_offer(FILE *f, const char *w)
{
	fputs("COMPREPLY=($(compgen -W ", f);
	put_quoted(f, w);
	fputs(" -- \"$cur\"))", f);
}

/*
 * The case arms that complete the values of c's options after $prev; one
 * arm for all those whose values are free text, offering nothing.
 */
static void
bash_values(FILE *f, const struct opt_cmd *c)
{
	const struct opt_decl *d;
	size_t i;
	int free_text = 0;

	for (i = 0; i < c->nopts; i++) {
		d = &opt_decls[c->opts[i].id];
		if (d->arg == NULL || d->values == VAL_NONE) {
			free_text += d->arg != NULL;
			continue;
		}
		fputs("\t", f);
		put_names(f, d, "|");
		fputs(")\n\t\t", f);
		if (d->values == VAL_WORDS)
			bash_offer(f, opt_words_of(&c->opts[i]));
		else if (d->values == VAL_IFACE)
			fputs("COMPREPLY=($(compgen -W \"$(_udpcat_interfaces)\""
			    " -- \"$cur\"))", f);
		else
			fputs("COMPREPLY=($(compgen -f -- \"$cur\"))", f);
		fputs("\n\t\treturn ;;\n", f);
	}
	if (free_text == 0)
		return;
	fputs("\t", f);
	for (i = 0; i < c->nopts; i++) {
		d = &opt_decls[c->opts[i].id];
		if (d->arg == NULL || d->values != VAL_NONE)
			continue;
		put_names(f, d, "|");
		fputs(--free_text > 0 ? "|" : ")\n\t\treturn ;;\n", f);
	}
}

/* _udpcat_NAME: completes the options of one command and their values. */
static void
bash_command(FILE *f, const struct command *cmd)
{
	const struct opt_cmd *c = cmd->opts;
	size_t i;

	fprintf(f, "\n_udpcat_%s()\n{\n\tcase $prev in\n", cmd->name);
	bash_values(f, c);
	fputs("\tesac\n\tcase $cur in\n\t-*)\n\t\tCOMPREPLY=($(compgen -W '",
	    f);
	for (i = 0; i < c->nopts; i++) {
		put_names(f, &opt_decls[c->opts[i].id], " ");
		fputs(i + 1 < c->nopts ? " " : "", f);
	}
	fputs("' -- \"$cur\")) ;;\n", f);
	if (c->operands != NULL) {
		fputs("\t*)\n\t\t[ \"$nargs\" -eq 0 ] && ", f);
		bash_offer(f, c->operands);
		fputs(" ;;\n", f);
	}
	fputs("\tesac\n}\n", f);
}

static void
bash_script(const struct gen *g)
{
	FILE *f = g->f;
	size_t i;

	fputs(bash_head, f);
	for (i = 0; i <= g->n; i++)
		bash_command(f, command_at(g, i));
	fputs(bash_main_head, f);
	fputs("\t'')\n\t\tcase $cur in\n\t\t-*) ", f);
	fputs("COMPREPLY=($(compgen -W '", f);
	for (i = 0; i < opt_top.nopts; i++) {
		put_names(f, &opt_decls[opt_top.opts[i].id], " ");
		fputs(i + 1 < opt_top.nopts ? " " : "", f);
	}
	fputs("' -- \"$cur\")) ;;\n\t\t*) ", f);
	bash_offer(f, g->words);
	fputs(" ;;\n\t\tesac ;;\n", f);
	for (i = 0; i <= g->n; i++)
		fprintf(f, "\t%s) _udpcat_%s ;;\n", command_at(g, i)->name,
		    command_at(g, i)->name);
	fputs(bash_tail, f);
}

/* --- zsh ------------------------------------------------------------ */

static const char zsh_head[] =
"#compdef udpcat\n"
"# udpcat(1) completion for zsh, made by 'udpcat completion zsh'.\n"
"# Installed as share/zsh/site-functions/_udpcat.\n"
"\n"
"# Offers the network interfaces.\n"
"_udpcat_interfaces() {\n"
"\tlocal -a ifs\n"
"\tif [[ -d /sys/class/net ]]; then\n"
"\t\tifs=(/sys/class/net/*(N:t))\n"
"\telse\n"
"\t\tifs=(${(f)\"$(ip -o link show 2>/dev/null |\n"
"\t\t    sed -n 's/^[0-9]*: *\\([^:@ ]*\\).*/\\1/p')\"})\n"
"\tfi\n"
"\t_wanted interfaces expl 'network interface' compadd -a ifs\n"
"}\n";

static const char zsh_main_head[] =
"\n"
"_udpcat() {\n"
"\tlocal curcontext=$curcontext state line ret=1\n"
"\tlocal -a commands\n"
"\tcommands=(\n";

static const char zsh_tail[] =
"\t\tesac\n"
"\t\t;;\n"
"\tesac\n"
"\treturn ret\n"
"}\n"
"\n"
"# Autoloaded from fpath, this file is _udpcat's body: complete now.\n"
"# Sourced, it registers the function.\n"
"if [[ $funcstack[1] == _udpcat ]]; then\n"
"\t_udpcat \"$@\"\n"
"else\n"
"\tcompdef _udpcat udpcat\n"
"fi\n";

/*
 * Appends s to the spec at buf; with esc, backslashes what _arguments
 * reads in a description or message: [ ] : and \.
 */
static void
spec_cat(char *buf, size_t size, const char *s, int esc)
{
	size_t n = strlen(buf);

	for (; *s != '\0' && n + 2 < size; s++) {
		if (esc && strchr("[]:\\", *s) != NULL)
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n] = '\0';
}

/*
 * One _arguments spec for one name of option i of c, as
 * '(-e --encoding)-e+[help]:ENC:(raw text hex base64)'.
 */
static void
zsh_spec(FILE *f, const struct opt_cmd *c, size_t i, int longname)
{
	const struct opt_decl *d = &opt_decls[c->opts[i].id];
	char spec[SPEC_MAX], name[64];

	spec[0] = '\0';
	if (d->repeatable)
		spec_cat(spec, sizeof(spec), "*", 0);
	else if (d->letter != 0 && d->name != NULL) {
		snprintf(name, sizeof(name), "(-%c --%s)", d->letter, d->name);
		spec_cat(spec, sizeof(spec), name, 0);
	}
	if (longname)
		snprintf(name, sizeof(name), "--%s%s", d->name,
		    d->arg != NULL ? "=" : "");
	else
		snprintf(name, sizeof(name), "-%c%s", d->letter,
		    d->arg != NULL ? "+" : "");
	spec_cat(spec, sizeof(spec), name, 0);
	spec_cat(spec, sizeof(spec), "[", 0);
	spec_cat(spec, sizeof(spec), help_at(c, i), 1);
	spec_cat(spec, sizeof(spec), "]", 0);
	if (d->arg != NULL) {
		spec_cat(spec, sizeof(spec), ":", 0);
		spec_cat(spec, sizeof(spec), d->arg, 1);
		spec_cat(spec, sizeof(spec), d->values == VAL_WORDS ? ":(" :
		    d->values == VAL_IFACE ? ":_udpcat_interfaces" :
		    d->values == VAL_FILE ? ":_files" : ": ", 0);
		if (d->values == VAL_WORDS) {
			spec_cat(spec, sizeof(spec),
			    opt_words_of(&c->opts[i]), 1);
			spec_cat(spec, sizeof(spec), ")", 0);
		}
	}
	fputs(" \\\n\t\t", f);
	put_quoted(f, spec);
}

/* _udpcat_NAME: one _arguments call for one command. */
static void
zsh_command(FILE *f, const struct command *cmd)
{
	const struct opt_cmd *c = cmd->opts;
	const struct opt_decl *d;
	char spec[SPEC_MAX];
	size_t i;

	fprintf(f, "\n_udpcat_%s() {\n\t_arguments -s -S", cmd->name);
	for (i = 0; i < c->nopts; i++) {
		d = &opt_decls[c->opts[i].id];
		if (d->letter != 0)
			zsh_spec(f, c, i, 0);
		if (d->name != NULL)
			zsh_spec(f, c, i, 1);
	}
	if (c->operands != NULL) {
		spec[0] = '\0';
		spec_cat(spec, sizeof(spec), "1:operand:(", 0);
		spec_cat(spec, sizeof(spec), c->operands, 0);
		spec_cat(spec, sizeof(spec), ")", 0);
		fputs(" \\\n\t\t", f);
		put_quoted(f, spec);
	}
	fputs("\n}\n", f);
}

static void
zsh_script(const struct gen *g)
{
	FILE *f = g->f;
	const struct command *cmd;
	char spec[SPEC_MAX];
	size_t i;

	fputs(zsh_head, f);
	for (i = 0; i <= g->n; i++)
		zsh_command(f, command_at(g, i));
	fputs(zsh_main_head, f);
	for (i = 0; i <= g->n; i++) {
		cmd = command_at(g, i);
		snprintf(spec, sizeof(spec), "%s:%s", cmd->name,
		    cmd->description);
		fputs("\t\t", f);
		put_quoted(f, spec);
		fputs("\n", f);
	}
	fputs("\t)\n\t_arguments -C", f);
	for (i = 0; i < opt_top.nopts; i++) {
		if (opt_decls[opt_top.opts[i].id].letter != 0)
			zsh_spec(f, &opt_top, i, 0);
		zsh_spec(f, &opt_top, i, 1);
	}
	fputs(" \\\n\t\t'1: :->command' \\\n\t\t'*:: :->args' && ret=0\n"
	    "\tcase $state in\n\tcommand)\n"
	    "\t\t_describe -t commands 'udpcat command' commands && ret=0\n"
	    "\t\t;;\n\targs)\n\t\tcase $words[1] in\n", f);
	for (i = 0; i <= g->n; i++)
		fprintf(f, "\t\t%s) _udpcat_%s && ret=0 ;;\n",
		    command_at(g, i)->name, command_at(g, i)->name);
	fputs(zsh_tail, f);
}

/* --- fish ----------------------------------------------------------- */

static const char fish_head[] =
"# udpcat(1) completion for fish, made by 'udpcat completion fish'.\n"
"# Installed as share/fish/vendor_completions.d/udpcat.fish.\n"
"\n"
"# The command on the line: the first word that is not an option.\n"
"function __udpcat_command\n"
"    for w in (commandline -opc)[2..-1]\n"
"        if not string match -q -- '-*' $w\n"
"            echo $w\n"
"            return 0\n"
"        end\n"
"    end\n"
"    return 1\n"
"end\n"
"\n"
"function __udpcat_using\n"
"    set -l c (__udpcat_command); or return 1\n"
"    test \"$c\" = \"$argv[1]\"\n"
"end\n"
"\n"
"# True before the command's first operand.\n"
"function __udpcat_no_operand\n"
"    set -l n 0\n"
"    for w in (commandline -opc)[2..-1]\n"
"        string match -q -- '-*' $w; or set n (math $n + 1)\n"
"    end\n"
"    test $n -le 1\n"
"end\n"
"\n"
"function __udpcat_interfaces\n"
"    if test -d /sys/class/net\n"
"        for i in /sys/class/net/*\n"
"            string replace -r '.*/' '' -- $i\n"
"        end\n"
"    else\n"
"        ip -o link show 2>/dev/null |\n"
"            string replace -rf '^[0-9]+: *([^:@ ]+).*' '$1'\n"
"    end\n"
"end\n"
"\n"
"complete -c udpcat -f\n";

/* One "complete" line for option i of c, under condition cond. */
static void
fish_option(FILE *f, const struct opt_cmd *c, size_t i, const char *cond)
{
	const struct opt_decl *d = &opt_decls[c->opts[i].id];

	fprintf(f, "complete -c udpcat -n '%s'", cond);
	if (d->letter != 0)
		fprintf(f, " -s %c", d->letter);
	if (d->name != NULL)
		fprintf(f, " -l %s", d->name);
	if (d->arg != NULL && d->values == VAL_WORDS) {
		fputs(" -x -a ", f);
		put_quoted(f, opt_words_of(&c->opts[i]));
	} else if (d->arg != NULL && d->values == VAL_IFACE)
		fputs(" -x -a '(__udpcat_interfaces)'", f);
	else if (d->arg != NULL && d->values == VAL_FILE)
		fputs(" -r -F", f);
	else if (d->arg != NULL)
		fputs(" -x", f);
	fputs(" -d ", f);
	put_quoted(f, help_at(c, i));
	fputs("\n", f);
}

static void
fish_script(const struct gen *g)
{
	FILE *f = g->f;
	const struct command *cmd;
	char cond[64];
	size_t i, j;

	fputs(fish_head, f);
	for (i = 0; i < opt_top.nopts; i++)
		fish_option(f, &opt_top, i, "not __udpcat_command");
	for (i = 0; i <= g->n; i++) {
		cmd = command_at(g, i);
		fprintf(f, "complete -c udpcat -n 'not __udpcat_command' -a %s "
		    "-d ", cmd->name);
		put_quoted(f, cmd->description);
		fputs("\n", f);
	}
	for (i = 0; i <= g->n; i++) {
		cmd = command_at(g, i);
		snprintf(cond, sizeof(cond), "__udpcat_using %s", cmd->name);
		fputs("\n", f);
		for (j = 0; j < cmd->opts->nopts; j++)
			fish_option(f, cmd->opts, j, cond);
		if (cmd->opts->operands == NULL)
			continue;
		fprintf(f, "complete -c udpcat -n '%s; and __udpcat_no_operand'"
		    " -a ", cond);
		put_quoted(f, cmd->opts->operands);
		fputs("\n", f);
	}
}

/* --- the command ---------------------------------------------------- */

/* Adds "help" after the commands, completing their names. */
static void
gen_init(struct gen *g, const struct command *cmds, size_t n)
{
	size_t i, len = 0;

	memset(g, 0, sizeof(*g));
	g->f = stdout;
	g->cmds = cmds;
	g->n = n;
	for (i = 0; i < n; i++) {
		if (len + strlen(cmds[i].name) + 2 > NAMES_MAX)
			die(EXIT_RUNTIME, "too many commands to complete");
		len += (size_t)snprintf(g->names + len, NAMES_MAX - len,
		    "%s%s", i > 0 ? " " : "", cmds[i].name);
	}
	snprintf(g->words, sizeof(g->words), "%s help", g->names);
	g->help_opts.name = "help";
	g->help_opts.operands = g->names;
	g->help.name = "help";
	g->help.description = "show the options of a command";
	g->help.opts = &g->help_opts;
}

int
completion_main(int argc, char **argv, const struct command *cmds,
    size_t ncmds)
{
	static const char *const shells[] = { "bash", "zsh", "fish" };
	static void (*const scripts[])(const struct gen *) = {
		bash_script, zsh_script, fish_script
	};
	struct opt_parser op;
	struct gen g;
	size_t i;

	opt_begin(&op, &opt_completion, argc, argv);
	while (opt_next(&op) != -1)
		;		/* -h, which exits, is all there is */
	if (argc - optind < 1)
		die_usage("missing SHELL: bash, zsh or fish");
	if (argc - optind > 1)
		die_usage("too many operands: '%s'", argv[optind + 1]);
	for (i = 0; i < sizeof(shells) / sizeof(shells[0]); i++)
		if (strcmp(argv[optind], shells[i]) == 0)
			break;
	if (i == sizeof(shells) / sizeof(shells[0]))
		die_usage("unknown shell '%s': use bash, zsh or fish",
		    argv[optind]);
	gen_init(&g, cmds, ncmds);
	scripts[i](&g);
	opt_print_done();
	return EXIT_OK;
}
