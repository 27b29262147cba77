#!/bin/sh
# run-unit.sh: runs each cmocka test binary under a timeout and sums up.
# Usage: sh tests/run-unit.sh tests/test_enc tests/test_parse ...
passed=0
failed=0
for t in "$@"; do
	if timeout 120 "$t"; then
		passed=$((passed + 1))
	else
		echo "not ok - $t exited with status $?"
		failed=$((failed + 1))
	fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
