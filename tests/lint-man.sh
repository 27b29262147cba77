#!/bin/sh
# lint-man.sh: keeps man/udpcat.1 clean and in step with udpcat's --help,
# which is printed from the option tables: each command's synopsis, and
# its options, every one of them documented in the command's section and
# none documented there that the command does not take.
#
# Run from the top of the tree, with ./udpcat built:  sh tests/lint-man.sh
# MAN and UDPCAT in the environment name another page or binary.

MAN=${MAN:-man/udpcat.1}
UDPCAT=${UDPCAT:-./udpcat}
TESTS=$(dirname "$0")
TOP_OPTS="-h --help --version"	# what udpcat takes before a command

TALLY=lint-man
. "$TESTS/tally.sh"

finish()
{
	rm -f "$rendered" "$rendered.opts"
	tally_end
}

# Squeezes runs of blanks into one space and trims both ends.
squeeze()
{
	tr -s ' \t' '  ' | sed 's/^ //; s/ $//'
}

# Prints the SYNOPSIS block that starts "udpcat CMD", joined onto one line.
# A block starts at the page's indent; deeper lines continue it.
synopsis()
{
	awk -v cmd="$1" '
	/^[^ \t]/ { insyn = ($0 == "SYNOPSIS"); next }
	!insyn { next }
	/^     [^ ]/ { flush(); cur = $0; next }
	/^      / { if (cur != "") cur = cur " " $0; next }
	{ flush() }
	END { flush() }
	function flush() {
		if (cur == "")
			return
		n = split(cur, w, " ")
		if (n >= 2 && w[1] == "udpcat" && w[2] == cmd)
			print cur
		cur = ""
	}' "$rendered" | squeeze
}

rendered=$(mktemp "${TMPDIR:-/tmp}/lint-man.XXXXXX") || exit 1
trap 'rm -f "$rendered" "$rendered.opts"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ! -r "$MAN" ]; then
	fail "$MAN is missing"
	finish
fi

if ! command -v mandoc >/dev/null 2>&1; then
	skip "mandoc is not installed (Debian package mandoc): no check of the page at all"
	finish
fi

# 1. The page is clean at warning level.
out=$(mandoc -Tlint -W warning "$MAN" 2>&1)
status=$?
if [ -z "$out" ] && [ "$status" -eq 0 ]; then
	pass "mandoc -Tlint -W warning $MAN is clean"
else
	fail "mandoc -Tlint -W warning $MAN (status $status)"
	printf '%s\n' "$out" | sed 's/^/#   /'
fi

# The text as a reader sees it, without the overstrikes of bold and
# underline (awk's \b is a backspace).
if ! mandoc -Tascii "$MAN" | awk '{ gsub(/.\b/, ""); print }' \
    >"$rendered"; then
	fail "mandoc -Tascii $MAN"
	finish
fi

if [ ! -x "$UDPCAT" ]; then
	fail "$UDPCAT is not built"
	finish
fi

# Sorts words given on standard input, one a line, onto one line.
words()
{
	LC_ALL=C sort -u | tr '\n' ' ' | sed 's/ $//'
}

# The words of list $1 that are not in list $2.
minus()
{
	for w in $1; do
		case " $2 " in
		*" $w "*) ;;
		*) echo "$w" ;;
		esac
	done | words
}

# The options the page documents in the section of command $1 (.Ss CMD),
# one a line, from its ".It Fl" entries; a comment in the section
#	.\" lint-man: CMD inherits PARENT except OPTION ...
# adds PARENT's entries, less the options named.  With $2 set, only the
# section's own entries.
page_opts()
{
	awk -v cmd="$1" -v own="$2" '
	/^\.S[hs] / { insec = ($0 == ".Ss " cmd); next }
	!insec { next }
	$1 == ".\\\"" && $2 == "lint-man:" && $4 == "inherits" {
		if (own == "")
			print "INHERIT " $5
		for (i = 7; i <= NF; i++)
			print "EXCEPT " $i
		next
	}
	$1 == ".It" && $2 == "Fl" {
		for (i = 2; i <= NF; i++)
			if ($i == "Fl")
				flags(i + 1)
	}
	function flags(i,  t) {
		for (; i <= NF; i++) {
			t = $i
			if (t ~ /^[A-Z][a-z][a-z]?$/)
				return
			if (t ~ /^[|,.;:()]$/)
				continue
			gsub(/\\-/, "-", t)
			print "-" t
		}
	}' "$MAN" >"$rendered.opts"
	sed -n 's/^-/-/p' "$rendered.opts"
	parent=$(sed -n 's/^INHERIT //p' "$rendered.opts")
	except=$(sed -n 's/^EXCEPT //p' "$rendered.opts" | words)
	if [ -n "$parent" ]; then
		minus "$(page_opts "$parent" own | words)" "$except" |
		    tr ' ' '\n'
	fi
}

# Every option the page names anywhere (after each Fl macro), one a line.
page_all_opts()
{
	awk '
	/^\.\\"/ { next }
	/^\./ {
		for (i = 1; i <= NF; i++)
			if ($i == "Fl" || $i == ".Fl")
				flags(i + 1)
	}
	function flags(i,  t) {
		for (; i <= NF; i++) {
			t = $i
			if (t ~ /^[A-Z][a-z][a-z]?$/)
				return
			if (t ~ /^[|,.;:()]$/)
				continue
			gsub(/\\-/, "-", t)
			print "-" t
		}
	}' "$MAN"
}

commands=$("$UDPCAT" --help | sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
if [ -z "$commands" ]; then
	fail "udpcat --help lists no commands"
	finish
fi
all_opts=$TOP_OPTS

for cmd in $commands; do
	help=$("$UDPCAT" "$cmd" --help)
	status=$?
	if [ "$status" -ne 0 ]; then
		fail "$cmd: udpcat $cmd --help exits $status"
		continue
	fi

	# 2. The usage line of --help is the synopsis of the page.
	usage=$(printf '%s\n' "$help" | sed -n '1s/^usage: //p' | squeeze)
	syn=$(synopsis "$cmd")
	if [ -z "$usage" ]; then
		fail "$cmd: --help does not start with 'usage: '"
	elif [ "$usage" = "$syn" ]; then
		pass "$cmd: synopsis matches --help: $usage"
	else
		fail "$cmd: synopsis '$syn' differs from --help '$usage'"
	fi

	# 3. The options of --help, from the command's table, are those
	# the command's section of the page documents.
	table=$(printf '%s\n' "$help" | awk -f "$TESTS/helpopts.awk" | words)
	page=$(page_opts "$cmd" | words)
	all_opts="$all_opts $table"
	if [ -z "$table" ]; then
		fail "$cmd: --help lists no options"
		continue
	fi
	missing=$(minus "$table" "$page")
	extra=$(minus "$page" "$table")
	if [ -z "$missing" ]; then
		pass "$cmd: all $(echo "$table" | wc -w) options are in its" \
		    "section of the page"
	else
		fail "$cmd: not documented in '.Ss $cmd': $missing"
	fi
	if [ -z "$extra" ]; then
		pass "$cmd: its section documents no option it lacks"
	else
		fail "$cmd: '.Ss $cmd' documents options it lacks: $extra"
	fi
done

# 4. The page names no option that no command takes.
unknown=$(minus "$(page_all_opts | words)" "$all_opts")
if [ -z "$unknown" ]; then
	pass "the page names no option that no command takes"
else
	fail "the page names options no command takes: $unknown"
fi

finish
