# tally.sh: the counts, and the ok / not ok / SKIP lines, of the shell
# test scripts.  Sourced by them with TALLY set to the script's name.

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
	printf '%s: SKIP: %s\n' "$TALLY" "$*"
}

# Prints the counts and exits: 0 when nothing failed.
tally_end()
{
	printf '%s: %d passed, %d failed, %d skipped\n' "$TALLY" \
	    "$passed" "$failed" "$skipped"
	[ "$failed" -eq 0 ]
	exit
}
