#!/bin/sh
# demo.sh: shows udpcat at work on 127.0.0.1, in a few seconds.
#
# Run by "make demo" as: sh tests/demo.sh ./udpcat
# Every step is checked; the exit status is 1 if any of them failed.

bin=${1:-./udpcat}
case $bin in
/*)	;;
*/*)	bin=$(pwd)/$bin ;;
*)	bin=$(command -v "$bin") ;;
esac
if [ ! -x "$bin" ]; then
	echo "demo: '${1:-./udpcat}' is not an executable; run 'make' first" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/udpcat-demo.XXXXXX") || exit 1
lpid=
failures=0

cleanup()
{
	if [ -n "$lpid" ]; then
		kill "$lpid" 2>/dev/null
		wait "$lpid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$tmp" || exit 1

# What the steps run: the binary under test, never left hanging.
udpcat()
{
	timeout 5 "$bin" "$@"
}

heading()
{
	printf '\n== %s\n' "$*"
}

failed()
{
	failures=$((failures + 1))
	printf 'demo: FAILED: %s\n' "$*"
}

# Shows a command line as typed, runs it, and checks its exit status
# against the second argument.
run()
{
	printf '$ %s\n' "$1"
	eval "$1" 2>&1
	st=$?
	if [ "$st" -eq "$2" ]; then
		printf '  (exit status %d)\n' "$st"
	else
		failed "exit status $st, expected $2"
	fi
}

# Starts "udpcat listen OPTIONS --port-file port 127.0.0.1 0" in the
# background, writing to the file out, and waits (5 s at most) until it has
# written the port it was given to the file port.  Sets lpid and port.
start_listener()
{
	rm -f port out
	port=
	printf '$ udpcat listen %s --port-file port 127.0.0.1 0 > out &\n' "$*"
	timeout 10 "$bin" listen "$@" --port-file port 127.0.0.1 0 >out &
	lpid=$!
	i=0
	while [ ! -s port ]; do
		if ! kill -0 "$lpid" 2>/dev/null || [ "$i" -ge 50 ]; then
			failed "the listener did not write its port file"
			kill "$lpid" 2>/dev/null
			wait "$lpid" 2>/dev/null
			lpid=
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	port=$(cat port)
	case $port in
	'' | *[!0-9]*)
		failed "the port file holds '$port'"
		port=
		return 1 ;;
	esac
	printf '$ cat port\n%s\n' "$port"
}

# Waits for the listener to exit on its own, expecting status $1, then
# shows what it wrote.
stop_listener()
{
	wait "$lpid"
	st=$?
	lpid=
	if [ "$st" -eq "$1" ]; then
		printf '  (listener exit status %d)\n' "$st"
	else
		failed "listener exit status $st, expected $1"
	fi
	printf '$ cat out\n'
	cat out
}

# Checks that line $1 of the file out matches the basic regular
# expression $2.
expect_line()
{
	if ! sed -n "$1p" out | grep -q -e "$2"; then
		failed "line $1 of the output does not match '$2'"
	fi
}

heading "1. Every datagram is one record; -P shows who sent it"
echo "Lines, binary bytes (escaped by -e text) and an empty datagram, which"
echo "does not end the input: the listener stops after -n 5 datagrams."
if start_listener -P -e text -n 5 -w 3; then
	run "printf 'hello\\nworld\\n' | udpcat send 127.0.0.1 $port" 0
	run "udpcat send -e hex 127.0.0.1 $port 'de ad be ef 00 0a'" 0
	run "udpcat send 127.0.0.1 $port ''" 0
	run "udpcat send 127.0.0.1 $port 'still listening'" 0
	stop_listener 0
	printf '%s\n' hello world '\xde\xad\xbe\xef\0\n' '' \
	    'still listening' >want
	if [ "$(grep -c '^127\.0\.0\.1:[0-9][0-9]* ' out)" != 5 ]; then
		failed "expected 5 records, each with the peer in front"
	elif ! sed 's/^127\.0\.0\.1:[0-9][0-9]* //' out | cmp -s - want; then
		failed "the records differ from what was sent"
	fi
fi

heading "2. The same with --json: size, sender and base64 data"
if start_listener --json -n 3 -w 3; then
	run "udpcat send 127.0.0.1 $port hello" 0
	run "udpcat send -e hex 127.0.0.1 $port 00ff" 0
	run "udpcat send 127.0.0.1 $port ''" 0
	stop_listener 0
	if [ "$(wc -l <out)" -ne 3 ]; then
		failed "expected 3 JSON lines"
	fi
	expect_line 1 '"size": *5,.*"data": *"aGVsbG8="'
	expect_line 2 '"size": *2,.*"data": *"AP8="'
	expect_line 3 '"size": *0,.*"data": *""'
	expect_line 1 '"from": *"127\.0\.0\.1"'
fi

heading "3. Exit statuses that tell what happened"
echo "Nothing arrives within -w: status 3."
run "udpcat listen -w 300ms 127.0.0.1 0" 3
echo "A port above 65535 is refused, not wrapped around to another: status 2."
run "udpcat send 127.0.0.1 70000 hello" 2
if [ -n "${port:-}" ]; then
	echo "Nobody listens any more on port $port: every line is still sent,"
	echo "with a warning, and the status is 1."
	run "printf 'one\\ntwo\\nthree\\n' | udpcat send 127.0.0.1 $port" 1
fi

echo
if [ "$failures" -ne 0 ]; then
	printf 'demo: %d step(s) failed\n' "$failures"
	exit 1
fi
echo "demo: every step gave what it should"
