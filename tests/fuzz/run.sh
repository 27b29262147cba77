#!/bin/sh
# run.sh: builds each fuzz harness with libFuzzer and fuzzes it for a while.
#
# Run from the top of the tree (make fuzz): sh tests/fuzz/run.sh [NAME ...]
# NAME is port, host, enc, frame, split, output, format, pcap, json or
# args (all by default).
#   FUZZ_SECONDS  how long each harness runs (default 60)
#   FUZZ_CC       a clang with libFuzzer (default clang)
#   FUZZ_MERGE=1  afterwards, minimise the corpus with the new inputs
#                 merged in (-merge=1), ready to commit
# The checked-in corpus is read, never written: new inputs go to
# tests/fuzz/bin/NAME.corpus/, crashes to tests/fuzz/bin/NAME.artifacts/.

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_CC=${FUZZ_CC:-clang}
SAN="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
-fno-sanitize-recover=all"

if [ ! -f tests/fuzz/common.sh ]; then
	echo "run.sh: run me from the top of the source tree" >&2
	exit 2
fi
. tests/fuzz/common.sh
if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
	echo "run.sh: no $FUZZ_CC: libFuzzer needs clang (set FUZZ_CC)" >&2
	exit 2
fi
mkdir -p "$BIN" || exit 1

# How many files directory $1 holds.
count() {
	find "$1" -type f | wc -l
}

# Builds harness $1 with libFuzzer into $BIN/fuzz_$1; 0 on success.
build() {
	name=$1
	log=$BIN/fuzz_$name.build.log
	if [ "$name" != args ]; then
		# shellcheck disable=SC2046,SC2086
		$FUZZ_CC $WARN $SAN -fsanitize=fuzzer -o "$BIN/fuzz_$name" \
		    "$FUZZ/fuzz_$name.c" $(modules "$name") >"$log" 2>&1
		return
	fi
	objs=
	mkdir -p "$BIN/fuzz-args-obj" || return 1
	: >"$log"
	for src in $(modules "$name"); do
		obj=$BIN/fuzz-args-obj/$(basename "$src" .c).o
		# shellcheck disable=SC2086
		$FUZZ_CC $WARN $SAN -fsanitize=fuzzer-no-link \
		    -include "$FUZZ/args_shim.h" -c -o "$obj" "$src" \
		    >>"$log" 2>&1 || return 1
		objs="$objs $obj"
	done
	# shellcheck disable=SC2086
	$FUZZ_CC $WARN $SAN -fsanitize=fuzzer -o "$BIN/fuzz_$name" \
	    "$FUZZ/fuzz_$name.c" $objs >>"$log" 2>&1
}

# shellcheck disable=SC2086
[ $# -gt 0 ] || set -- $ALL
total=0
for name in "$@"; do
	if ! build "$name"; then
		echo "fuzz $name: build failed"
		sed 's/^/#   /' "$BIN/fuzz_$name.build.log"
		total=$((total + 1))
		continue
	fi
	new=$BIN/$name.corpus
	art=$BIN/$name.artifacts
	mkdir -p "$new" "$art" "$FUZZ/corpus/$name"
	dict=
	[ -f "$FUZZ/$name.dict" ] && dict="-dict=$FUZZ/$name.dict"
	log=$BIN/fuzz_$name.log
	before=$(count "$art")
	# shellcheck disable=SC2086
	"$BIN/fuzz_$name" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$art/" $dict \
	    "$new" "$FUZZ/corpus/$name" >"$log" 2>&1
	status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	found=$(($(count "$art") - before))
	echo "fuzz $name: ${runs:-?} executions (${rate:-?}/s)," \
	    "$(count "$new") new inputs, $found findings, status $status"
	if [ "$found" -gt 0 ] || [ "$status" -ne 0 ]; then
		find "$art" -type f -newer "$BIN/fuzz_$name.build.log" |
		    sed 's/^/#   /'
		grep -E 'oracle failed|ERROR:|SUMMARY:' "$log" | head -n 5 |
		    sed 's/^/#   /'
		total=$((total + 1))
	fi
	if [ "${FUZZ_MERGE:-0}" = 1 ]; then
		rm -rf "$BIN/$name.merged"
		mkdir -p "$BIN/$name.merged"
		"$BIN/fuzz_$name" -merge=1 "$BIN/$name.merged" \
		    "$FUZZ/corpus/$name" "$new" \
		    >"$BIN/fuzz_$name.merge.log" 2>&1 &&
		    echo "fuzz $name: merged corpus in $BIN/$name.merged" \
		    "($(count "$BIN/$name.merged") inputs)"
	fi
done
echo "fuzz: $# harnesses, $total with findings or failures"
[ "$total" -eq 0 ]
