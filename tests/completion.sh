#!/bin/sh
# completion.sh: the scripts of 'udpcat completion', run in bash, zsh and
# fish themselves: each shell loads its script and completes real lines.
#
# Run from the top of the tree, with ./udpcat built:  sh tests/completion.sh
# UDPCAT in the environment names another binary.  A shell that is not
# installed makes its part SKIP, with the reason.

UDPCAT=${UDPCAT:-./udpcat}
TESTS=$(dirname "$0")
LIMIT=30		# seconds any one shell may take

TALLY=completion
. "$TESTS/tally.sh"

# Runs a shell under the time limit, when timeout(1) is there.
bounded()
{
	if command -v timeout >/dev/null 2>&1; then
		timeout "$LIMIT" "$@"
	else
		"$@"
	fi
}

# Sorts words given on standard input, one a line, onto one line.
words()
{
	LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}

# Compares what was offered ($2) with what should be ($3), for test $1.
same()
{
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: offered '$2', want '$3'"
	fi
}

# True when word $2 is among the words $1.
has_word()
{
	case " $1 " in
	*" $2 "*) return 0 ;;
	esac
	return 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/completion.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ! -x "$UDPCAT" ]; then
	fail "$UDPCAT is not built"
	tally_end
fi
for sh in bash zsh fish; do
	if ! "$UDPCAT" completion "$sh" >"$tmp/script.$sh"; then
		fail "udpcat completion $sh exits non-zero"
	elif [ ! -s "$tmp/script.$sh" ]; then
		fail "udpcat completion $sh prints nothing"
	fi
done
cp "$tmp/script.zsh" "$tmp/_udpcat"

# The commands and their options, as --help lists them.
commands=$("$UDPCAT" --help | sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
if [ -z "$commands" ]; then
	fail "udpcat --help lists no commands"
	tally_end
fi
for cmd in $commands; do
	"$UDPCAT" "$cmd" --help | awk -f "$TESTS/helpopts.awk" | words \
	    >"$tmp/opts.$cmd"
done

# An interface to expect among the values of -I: lo where there is one.
iface=
if [ -e /sys/class/net/lo ] || { command -v ip >/dev/null 2>&1 &&
    ip -o link show lo >/dev/null 2>&1; }; then
	iface=lo
fi

# --- bash ----------------------------------------------------------------

# Completes the line "$@" as bash does on TAB at its end: prints COMPREPLY.
cat >"$tmp/drive.bash" <<'EOF_BASH'
source "$1" || exit 3
shift
spec=$(complete -p udpcat 2>/dev/null) || {
	echo "the script registers no completion for udpcat" >&2
	exit 4
}
fn=${spec#*-F }
fn=${fn%% *}
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"$fn" udpcat "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
EOF_BASH

bash_offers()
{
	bounded bash --norc --noprofile "$tmp/drive.bash" "$tmp/script.bash" \
	    "$@" | grep -v '^$' | words
}

test_bash()
{
	if ! command -v bash >/dev/null 2>&1; then
		skip "bash: not installed"
		return
	fi
	if out=$(bash -n "$tmp/script.bash" 2>&1); then
		pass "bash: the script parses"
	else
		fail "bash: bash -n: $out"
	fi
	same "bash: commands" "$(bash_offers udpcat '')" \
	    "broadcast completion help listen ping relay send"
	same "bash: options before a command" "$(bash_offers udpcat -)" \
	    "--help --version -h"
	for cmd in $commands; do
		same "bash: $cmd's options are those of its --help" \
		    "$(bash_offers udpcat "$cmd" -)" "$(cat "$tmp/opts.$cmd")"
	done
	same "bash: listen --ti" "$(bash_offers udpcat listen --ti)" \
	    "--timeout"
	same "bash: send --ti (no --timeout)" \
	    "$(bash_offers udpcat send --ti)" ""
	same "bash: listen -P -n 3 --p" \
	    "$(bash_offers udpcat listen -P -n 3 --p)" "--port-file --progress"
	same "bash: send -e" "$(bash_offers udpcat send -e '')" \
	    "base64 hex raw text"
	same "bash: listen --encoding=h" \
	    "$(bash_offers udpcat listen --encoding = h)" "hex"
	same "bash: send -F" "$(bash_offers udpcat send -F '')" \
	    "chunk: json length line nul pcap whole"
	same "bash: broadcast --framing" \
	    "$(bash_offers udpcat broadcast --framing '')" \
	    "chunk: json length line nul pcap whole"
	same "bash: listen -F" "$(bash_offers udpcat listen -F '')" \
	    "length line none nul pcap"
	same "bash: send --ttl (free value)" \
	    "$(bash_offers udpcat send --ttl '')" ""
	: >"$tmp/port-file-here"
	same "bash: listen --port-file completes files" \
	    "$(bash_offers udpcat listen --port-file "$tmp/port-f")" \
	    "$tmp/port-file-here"
	same "bash: completion SHELL" "$(bash_offers udpcat completion '')" \
	    "bash fish zsh"
	same "bash: completion bash (one operand)" \
	    "$(bash_offers udpcat completion bash '')" ""
	same "bash: help COMMAND" "$(bash_offers udpcat help '')" \
	    "broadcast completion listen ping relay send"
	if [ -z "$iface" ]; then
		skip "bash: -I: no loopback interface to expect"
		return
	fi
	out=$(bash_offers udpcat listen -I '')
	if has_word "$out" "$iface"; then
		pass "bash: listen -I offers $iface ($out)"
	else
		fail "bash: listen -I offers '$out', not $iface"
	fi
	out=$(bash_offers udpcat broadcast --interface "$iface")
	same "bash: broadcast --interface $iface" "$out" "$iface"
}

# --- zsh -----------------------------------------------------------------

# Types KEYS ($2) into an interactive zsh whose fpath has the script (in
# $1), and prints what the terminal showed, up to a marker typed after.
# zsh lists choices only when no key is waiting, so the marker waits for
# the words that should be listed (the rest of the arguments) to show,
# or 10 s.
cat >"$tmp/drive.zsh" <<'EOF_ZSH'
zmodload zsh/zpty zsh/datetime || exit 3
dir=$1 keys=$2
shift 2
zpty z zsh -f -i
zpty -w z "PS1='> '; fpath=(${(q)dir} \$fpath); autoload -Uz compinit;
compinit -u -d ${(q)dir}/zcompdump; print RE''ADY"
zpty -r -m z out '*READY*' || exit 4
zpty -n -w z "$keys"
all=
deadline=$(( EPOCHREALTIME + 10 ))
while (( EPOCHREALTIME < deadline )); do
	zpty -r -t z out && all+=$out
	missing=0
	for w in "$@"; do
		[[ $all == *"$w"* ]] || missing=1
	done
	(( missing )) || break
	sleep 0.05
done
zpty -n -w z $'\C-u'"print MA''RK"$'\n'
zpty -r -m z out '*MARK*' || exit 5
zpty -d z
print -r -- "$all$out"
EOF_ZSH

# The words zsh showed after typing $1, waiting for the words $2 to show
# (escape sequences taken out).
zsh_shows()
{
	esc=$(printf '\033')
	# shellcheck disable=SC2086
	bounded zsh -f "$tmp/drive.zsh" "$tmp" "$1" $2 |
	    sed "s/${esc}\[[0-9;?]*[A-Za-z]//g" | tr -c 'A-Za-z0-9_.:-' '\n' |
	    grep -v '^$' | LC_ALL=C sort -u | tr '\n' ' '
}

# Test $1: the words zsh shows after typing $2 include $3 and not $4.
zsh_check()
{
	out=$(zsh_shows "$2" "$3")
	for w in $3; do
		if ! has_word "$out" "$w"; then
			fail "$1: '$w' not shown (saw: $out)"
			return
		fi
	done
	for w in $4; do
		if has_word "$out" "$w"; then
			fail "$1: '$w' shown (saw: $out)"
			return
		fi
	done
	pass "$1"
}

test_zsh()
{
	if ! command -v zsh >/dev/null 2>&1; then
		skip "zsh: not installed"
		return
	fi
	if out=$(zsh -n "$tmp/_udpcat" 2>&1); then
		pass "zsh: the script parses"
	else
		fail "zsh: zsh -n: $out"
	fi
	# Found by compinit in fpath, and registered when sourced.
	if bounded zsh -f -c 'fpath=("$1" $fpath); autoload -Uz compinit
	    compinit -u -d "$1/zcompdump"; [[ $_comps[udpcat] == _udpcat ]] &&
	    autoload +X _udpcat && (( $+functions[_udpcat] ))' zsh "$tmp"
	then
		pass "zsh: compinit finds _udpcat in fpath"
	else
		fail "zsh: compinit does not find _udpcat in fpath"
	fi
	if bounded zsh -f -c 'autoload -Uz compinit; compinit -u -D
	    source "$1" && [[ $_comps[udpcat] == _udpcat ]] &&
	    (( $+functions[_udpcat_listen] ))' zsh "$tmp/_udpcat"; then
		pass "zsh: sourced, the script registers _udpcat"
	else
		fail "zsh: sourced, the script does not register _udpcat"
	fi
	if ! zsh -f -c 'zmodload zsh/zpty' 2>/dev/null; then
		skip "zsh: completing lines needs the zsh/zpty module"
		return
	fi
	# TAB completes, or lists the choices when there are several.
	tab=$(printf '\t')
	list=$tab
	zsh_check "zsh: commands" "udpcat $list" \
	    "broadcast completion help listen ping relay send" ""
	zsh_check "zsh: listen --ti completes --timeout" \
	    "udpcat listen --ti$tab" "--timeout" ""
	zsh_check "zsh: send --ti does not" "udpcat send --ti$tab" "" \
	    "--timeout"
	zsh_check "zsh: send -e" "udpcat send -e $list" "raw text hex base64" ""
	zsh_check "zsh: send -F" "udpcat send -F $list" \
	    "line nul whole chunk: length" "none"
	zsh_check "zsh: listen -F" "udpcat listen -F $list" \
	    "line nul none length" "whole"
	zsh_check "zsh: completion SHELL" "udpcat completion $list" \
	    "bash zsh fish" ""
	if [ -n "$iface" ]; then
		zsh_check "zsh: listen -I" "udpcat listen -I $list" "$iface" ""
	else
		skip "zsh: -I: no loopback interface to expect"
	fi
}

# --- fish ----------------------------------------------------------------

# What fish completes for the command line $1: the candidates only.
fish_offers()
{
	bounded fish --no-config -c 'source $argv[1]; complete -C $argv[2]' \
	    "$tmp/script.fish" "$1" | cut -f 1 | words
}

test_fish()
{
	if ! command -v fish >/dev/null 2>&1; then
		skip "fish: not installed"
		return
	fi
	if out=$(fish --no-config -n "$tmp/script.fish" 2>&1); then
		pass "fish: the script parses"
	else
		fail "fish: fish -n: $out"
	fi
	same "fish: commands" "$(fish_offers 'udpcat ')" \
	    "broadcast completion help listen ping relay send"
	for cmd in $commands; do
		same "fish: $cmd's long options are those of its --help" \
		    "$(fish_offers "udpcat $cmd --")" \
		    "$(tr ' ' '\n' <"$tmp/opts.$cmd" | grep '^--' | words)"
	done
	same "fish: send -e" "$(fish_offers 'udpcat send -e ')" \
	    "base64 hex raw text"
	same "fish: send -F" "$(fish_offers 'udpcat send -F ')" \
	    "chunk: json length line nul pcap whole"
	same "fish: listen --framing" "$(fish_offers 'udpcat listen --framing ')" \
	    "length line none nul pcap"
	same "fish: completion SHELL" "$(fish_offers 'udpcat completion ')" \
	    "bash fish zsh"
	if [ -z "$iface" ]; then
		skip "fish: -I: no loopback interface to expect"
		return
	fi
	out=$(fish_offers 'udpcat listen -I ')
	if has_word "$out" "$iface"; then
		pass "fish: listen -I offers $iface ($out)"
	else
		fail "fish: listen -I offers '$out', not $iface"
	fi
}

test_bash
test_zsh
test_fish
tally_end
