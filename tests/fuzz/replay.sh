#!/bin/sh
# replay.sh: builds each fuzz harness without libFuzzer, replays its corpus.
#
# Run from the top of the tree: sh tests/fuzz/replay.sh [NAME ...], where
# NAME is port, host, enc, frame, split, output, format, pcap, json or
# args (all by default).
# $CC, $CFLAGS and $LDFLAGS come from the environment, so the sanitizer
# build replays under ASan and UBSan.  Binaries go to tests/fuzz/bin/.

CC=${CC:-cc}
CFLAGS=${CFLAGS--O1 -g}
LDFLAGS=${LDFLAGS-}

if [ ! -f tests/fuzz/common.sh ]; then
	echo "replay.sh: run me from the top of the source tree" >&2
	exit 2
fi
. tests/fuzz/common.sh
mkdir -p "$BIN" || exit 1
passed=0
failed=0
skipped=0

# The module each harness is about; without it the harness is skipped.
primary() {
	case $1 in
	port|host)	echo src/parse.c ;;
	enc)		echo src/enc.c ;;
	frame|split)	echo src/frame.c ;;
	output|format)	echo src/output.c ;;
	pcap)		echo src/pcap.c ;;
	json)		echo src/jsonrec.c ;;
	args)		echo src/udpcat.c ;;
	esac
}

# Prints the compiler's words, indented as a comment.
show_log() {
	sed 's/^/#   /' "$1"
}

# Builds harness $1 (tests/fuzz/fuzz_$1.c) into $BIN/replay_$1; 0 if done.
build() {
	name=$1
	out=$BIN/replay_$name
	log=$BIN/replay_$name.log
	if [ "$name" != args ]; then
		# shellcheck disable=SC2046,SC2086
		$CC $WARN $CFLAGS -o "$out" "$FUZZ/fuzz_$name.c" \
		    "$FUZZ/replay.c" $(modules "$name") $LDFLAGS >"$log" 2>&1
		return
	fi
	# main() and the commands, with exit() and socket() routed back.
	objs=
	mkdir -p "$BIN/args-obj" || return 1
	: >"$log"
	for src in $(modules "$name"); do
		obj=$BIN/args-obj/$(basename "$src" .c).o
		# shellcheck disable=SC2086
		$CC $WARN $CFLAGS -include "$FUZZ/args_shim.h" -c -o "$obj" \
		    "$src" >>"$log" 2>&1 || return 1
		objs="$objs $obj"
	done
	# shellcheck disable=SC2086
	$CC $WARN $CFLAGS -o "$out" "$FUZZ/fuzz_$name.c" "$FUZZ/replay.c" \
	    $objs $LDFLAGS -lm >>"$log" 2>&1
}

# shellcheck disable=SC2086
[ $# -gt 0 ] || set -- $ALL
for name in "$@"; do
	corpus=$FUZZ/corpus/$name
	if [ -z "$(primary "$name")" ] || [ ! -f "$FUZZ/fuzz_$name.c" ]; then
		echo "not ok - fuzz replay $name (no such harness)"
		failed=$((failed + 1))
		continue
	fi
	if [ ! -f "$(primary "$name")" ]; then
		echo "ok - fuzz replay $name # SKIP no $(primary "$name")"
		skipped=$((skipped + 1))
		continue
	fi
	if [ ! -d "$corpus" ] || [ -z "$(ls "$corpus")" ]; then
		echo "ok - fuzz replay $name # SKIP no corpus in $corpus"
		skipped=$((skipped + 1))
		continue
	fi
	if ! build "$name"; then
		echo "not ok - fuzz replay $name (build failed)"
		show_log "$BIN/replay_$name.log"
		failed=$((failed + 1))
		continue
	fi
	if command -v timeout >/dev/null 2>&1; then
		run="timeout 600"
	else
		run=
	fi
	$run "$BIN/replay_$name" "$corpus" >"$BIN/replay_$name.out" 2>&1
	status=$?
	summary=$(tail -n 1 "$BIN/replay_$name.out")
	n=$(echo "$summary" | sed -n 's/^replay: \([0-9]*\) inputs.*/\1/p')
	if [ "$status" -eq 0 ] && [ -n "$n" ]; then
		echo "ok - fuzz replay $name ($n inputs)"
		passed=$((passed + 1))
	else
		echo "not ok - fuzz replay $name" \
		    "(status $status: ${summary:-no summary})"
		grep -v '^replay: ' "$BIN/replay_$name.out" | head -n 60 |
		    sed 's/^/#   /'
		failed=$((failed + 1))
	fi
done
echo "fuzz-replay: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
