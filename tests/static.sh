#!/bin/sh
# static.sh: cppcheck and clang-tidy over src/, with the checks and the
# suppressions checked in beside them (tests/cppcheck.supp, .clang-tidy).
# A tool that is not installed is reported as skipped, not passed.
passed=0
failed=0
skipped=0
if command -v cppcheck >/dev/null 2>&1; then
	if cppcheck --enable=warning,performance,portability,style --std=c11 \
	    -q -D__linux__ -D_GNU_SOURCE -Iinclude \
	    --suppressions-list=tests/cppcheck.supp --error-exitcode=1 src/; then
		echo "ok - cppcheck"
		passed=$((passed + 1))
	else
		echo "not ok - cppcheck"
		failed=$((failed + 1))
	fi
else
	echo "skip - cppcheck: not installed"
	skipped=$((skipped + 1))
fi
if command -v clang-tidy >/dev/null 2>&1; then
	if out=$(clang-tidy --quiet src/*.c -- -std=c11 -D_GNU_SOURCE \
	    -Iinclude 2>&1) && ! printf '%s\n' "$out" | grep -q 'error:'; then
		echo "ok - clang-tidy"
		passed=$((passed + 1))
	else
		printf '%s\n' "$out" | grep -A3 'error:' | head -n 40
		echo "not ok - clang-tidy"
		failed=$((failed + 1))
	fi
else
	echo "skip - clang-tidy: not installed"
	skipped=$((skipped + 1))
fi
echo "static: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
