#!/bin/sh
# lint-man.sh: keeps man/udpcat.1 clean and in step with udpcat's --help.
#
# Run from the top of the tree, with ./udpcat built:  sh tests/lint-man.sh
# MAN and UDPCAT in the environment name another page or binary.

MAN=${MAN:-man/udpcat.1}
UDPCAT=${UDPCAT:-./udpcat}
COMMANDS="send listen broadcast relay"

passed=0
failed=0
skipped=0

pass()
{
	passed=$((passed + 1))
	printf 'ok - %s\n' "$*"
}

fail()
{
	failed=$((failed + 1))
	printf 'not ok - %s\n' "$*"
}

skip()
{
	skipped=$((skipped + 1))
	printf 'lint-man: SKIP: %s\n' "$*"
}

finish()
{
	rm -f "$rendered"
	printf 'lint-man: %d passed, %d failed, %d skipped\n' \
	    "$passed" "$failed" "$skipped"
	[ "$failed" -eq 0 ]
	exit
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
trap 'rm -f "$rendered"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ! -r "$MAN" ]; then
	fail "$MAN is missing"
	finish
fi

if ! command -v mandoc >/dev/null 2>&1; then
	skip "mandoc not installed"
	for cmd in $COMMANDS; do
		skip "$cmd: synopsis and options (mandoc not installed)"
	done
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

for cmd in $COMMANDS; do
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

	# 3. Every long option of --help is in the page.
	opts=$(printf '%s\n' "$help" | tr -cs 'a-z0-9-' '\n' |
	    grep -e '^--[a-z][a-z0-9-]*$' | sort -u)
	missing=
	count=0
	for opt in $opts; do
		count=$((count + 1))
		if ! grep -q -E -e "(^|[^a-z0-9-])$opt([^a-z0-9-]|\$)" \
		    "$rendered"; then
			missing="$missing $opt"
		fi
	done
	if [ "$count" -eq 0 ]; then
		fail "$cmd: --help lists no long options"
	elif [ -z "$missing" ]; then
		pass "$cmd: all $count long options of --help are in the page"
	else
		fail "$cmd: not in the page:$missing"
	fi
done

finish
