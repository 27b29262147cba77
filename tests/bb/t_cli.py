# t_cli.py: help, version, usage errors and strict parsing of every operand
# and option value (RELIABILITY.md, "Bad input").

from . import util
from .util import (test, run, eq, fail, ok_, check_ok, check_usage,
    check_err, check_rc, one_line, short, Peer, Listener, Proc, free_port,
    need_ipv6, skip, valgrind_sample)

import os
import re
import subprocess
import time

FIRST = {
	"send": "usage: udpcat send [options] HOST PORT [DATA ...]",
	"listen": "usage: udpcat listen [options] [ADDRESS] PORT",
	"broadcast": "usage: udpcat broadcast [options] PORT [DATA ...]",
	"completion": "usage: udpcat completion bash|zsh|fish",
}


def first_line(res):
	return res.out.split(b"\n", 1)[0].decode("utf-8", "replace")


# --- help and version ------------------------------------------------------

@test("help/top-level --help")
def _():
	r = run(["--help"])
	check_rc(r, 0)
	eq(r.err, b"", "stderr")
	eq(first_line(r), "usage: udpcat COMMAND [options] ...", "first line")
	lines = r.out.decode().splitlines()
	# one line per command, sorted
	pos = []
	for c in ("broadcast", "completion", "listen", "relay", "send"):
		idx = [i for i, l in enumerate(lines)
		    if re.match(r"\s*%s\b" % c, l)]
		if not idx:
			fail("no line for command %r in %s" % (c, short(r.out, 600)))
		pos.append(idx[0])
	ok_(pos == sorted(pos), "commands not sorted: %s" % short(r.out, 600))
	ok_(b"udpcat help COMMAND" in r.out,
	    "no 'udpcat help COMMAND' hint: %s" % short(r.out, 600))


for _args in (["-h"], ["help"]):
	def _mk(args):
		@test("help/top-level %s same as --help" % " ".join(args))
		def _():
			ref = run(["--help"])
			r = run(args)
			check_ok(r, ref.out)
	_mk(_args)


for _cmd in ("send", "listen", "broadcast", "completion"):
	def _mk(cmd):
		@test("help/help %s first line" % cmd)
		def _():
			r = run(["help", cmd])
			check_rc(r, 0)
			eq(r.err, b"", "stderr")
			eq(first_line(r), FIRST[cmd], "first line")

		@test("help/%s --help equals help %s" % (cmd, cmd))
		def _():
			ref = run(["help", cmd])
			for opt in ("--help", "-h"):
				r = run([cmd, opt])
				check_ok(r, ref.out)
	_mk(_cmd)


@test("help/--version")
def _():
	check_ok(run(["--version"]), b"udpcat 1.0.0\n")


# --- what udpcat prints itself, to an output that cannot take it ----------

def _full_or_skip():
	if not os.path.exists("/dev/full"):
		skip("/dev/full is missing")


for _args, _cmd in ((["--help"], None), (["help"], None),
    (["--version"], None), (["help", "send"], None),
    (["send", "--help"], "send"), (["listen", "-h"], "listen"),
    (["broadcast", "--help"], "broadcast"),
    (["completion", "--help"], "completion"),
    (["completion", "bash"], "completion"),
    (["completion", "zsh"], "completion"),
    (["completion", "fish"], "completion")):
	def _mk(args, cmd):
		@test("cli/%s to /dev/full: exit 1 with the reason" %
		    " ".join(args))
		def _():
			_full_or_skip()
			with open("/dev/full", "wb") as full:
				r = run(args, stdout=full)
			check_err(r, 1, cmd, "cannot write to standard output",
			    "No space left on device")

		@test("cli/%s with standard output closed: exit 1" %
		    " ".join(args))
		def _():
			if util.VALGRIND_DIR:
				skip("valgrind opens descriptors of its own "
				    "in the gap")
			r = Proc(args, stdout=subprocess.DEVNULL,
			    wrap=["sh", "-c", 'exec "$0" "$@" >&-']).finish()
			check_err(r, 1, cmd, "cannot write to standard output",
			    "closed")
	_mk(_args, _cmd)


# --- completion ---------------------------------------------------------------

@test("cli/completion SHELL prints a script for each shell")
def _():
	for sh, word in (("bash", b"complete -F _udpcat udpcat"),
	    ("zsh", b"#compdef udpcat"), ("fish", b"complete -c udpcat")):
		r = run(["completion", sh])
		check_rc(r, 0)
		eq(r.err, b"", "stderr")
		ok_(word in r.out, "%s script lacks %r" % (sh, word))
		# every long option of every command is in it
		for cmd in ("send", "listen", "broadcast"):
			h = run([cmd, "--help"]).out.decode()
			for opt in set(re.findall(r"(?m)^  .*?(--[a-z-]+)", h)):
				ok_(opt[2:].encode() in r.out,
				    "%s script lacks %s of %s" % (sh, opt, cmd))


for _args, _word in ((["completion"], "bash, zsh or fish"),
    (["completion", "ksh"], "'ksh'"),
    (["completion", "bash", "zsh"], "'zsh'"),
    (["completion", "--frobnicate", "bash"], "'--frobnicate'")):
	def _mk(args, word):
		@test("usage/%s" % " ".join(args))
		def _():
			check_usage(run(args), "completion", word)
	_mk(_args, _word)


@test("help/no command is a usage error")
def _():
	r = run([])
	check_rc(r, 2)
	line = one_line(r, None)
	ok_(line.endswith("--help')"), "no pointer to --help: %r" % line)
	eq(r.out, b"", "stdout")


@test("help/unknown command")
def _():
	r = run(["frobnicate", "x"])
	check_rc(r, 2)
	line = one_line(r, None)
	ok_("'frobnicate'" in line, "command not named in quotes: %r" % line)
	ok_(line.endswith("--help')"), "no pointer to --help: %r" % line)
	eq(r.out, b"", "stdout")


@test("help/help unknown command")
def _():
	r = run(["help", "frobnicate"])
	check_rc(r, 2)
	line = one_line(r, None)
	ok_(line.endswith("--help')"), "no pointer to --help: %r" % line)
	eq(r.out, b"", "stdout")


# --- usage errors: unknown options, missing arguments, exclusions ----------

USAGE = [
	# (command words, what the line must hold)
	(["send", "--frobnicate", "127.0.0.1", "9", "x"], "'--frobnicate'"),
	(["send", "-Z", "127.0.0.1", "9", "x"], "-Z"),
	(["listen", "--frobnicate", "0"], "'--frobnicate'"),
	(["broadcast", "--frobnicate", "9", "x"], "'--frobnicate'"),
	(["send", "127.0.0.1"], None),		# missing PORT
	(["send"], None),			# missing HOST PORT
	(["listen"], None),			# missing PORT
	(["listen", "127.0.0.1", "0", "extra"], None),
	(["broadcast"], None),
	(["listen", "0", "-n"], "-n"),		# missing option argument
	(["send", "127.0.0.1", "9", "-e"], "-e"),
	(["listen", "--count"], "count"),
	(["send", "-4", "-6", "127.0.0.1", "9", "x"], None),
	(["listen", "-4", "-6", "0"], None),
	(["send", "--loop", "--no-loop", "127.0.0.1", "9", "x"], None),
	(["send", "-e", "ebcdic", "127.0.0.1", "9", "x"], "'ebcdic'"),
	(["listen", "-e", "ebcdic", "0"], "'ebcdic'"),
	(["send", "-F", "lines", "127.0.0.1", "9"], "'lines'"),
	(["send", "-F", "chunk:0", "127.0.0.1", "9"], "chunk:0"),
	(["send", "-F", "chunk:", "127.0.0.1", "9"], "chunk:"),
	(["send", "-F", "chunk:65508", "127.0.0.1", "9"], "chunk:65508"),
	(["send", "-F", "chunk:x", "127.0.0.1", "9"], "chunk:x"),
	(["send", "-F", "chunk:4", "-e", "hex", "127.0.0.1", "9"], None),
	(["send", "-F", "length", "-e", "base64", "127.0.0.1", "9"], None),
	(["send", "-F", "none", "127.0.0.1", "9"], "'none'"),
	(["listen", "-F", "whole", "0"], "'whole'"),
	(["listen", "-F", "chunk:4", "0"], "chunk:4"),
	(["listen", "-F", "length", "-e", "hex", "0"], None),
	(["listen", "--json", "-F", "nul", "0"], None),
	(["listen", "--json", "-e", "raw", "0"], None),
	(["listen", "-P", "-F", "none", "0"], None),
	(["listen", "-P", "-F", "length", "0"], None),
	(["listen", "--echo", "--reply", "x", "0"], None),
	(["listen", "--max-size", "0", "0"], "'0'"),
	(["listen", "--max-size", "65536", "0"], "'65536'"),
	(["listen", "--allow", "127.0.0.1/33", "0"], "'127.0.0.1/33'"),
	(["listen", "--allow", "300.0.0.0/8", "0"], "'300.0.0.0/8'"),
	(["listen", "--allow", "127.0.0.1/", "0"], "'127.0.0.1/'"),
	(["send", "--ttl", "256", "127.0.0.1", "9", "x"], "'256'"),
	(["send", "--tos", "256", "127.0.0.1", "9", "x"], "'256'"),
	(["send", "--ttl", "-1", "127.0.0.1", "9", "x"], "'-1'"),
	(["send", "--rate", "0", "127.0.0.1", "9", "x"], "'0'"),
	(["send", "--repeat", "-1", "127.0.0.1", "9", "x"], "'-1'"),
	(["send", "--retries", "-1", "127.0.0.1", "9", "x"], "'-1'"),
	(["send", "--repeat", "4294967296", "127.0.0.1", "9", "x"],
	    "'4294967296'"),
	(["send", "-n", "0", "127.0.0.1", "9", "x"], "'0'"),
	(["send", "-p", "65536", "127.0.0.1", "9", "x"], "'65536'"),
	(["send", "-s", "127.1", "127.0.0.1", "9", "x"], "'127.1'"),
	(["broadcast", "-6", "9", "x"], None),	# -6 needs -I
	(["broadcast", "--broadcast", "9", "x"], "--broadcast"),
	# another command's option spelled in full is not an abbreviation
	(["send", "--to", "10.0.0.255", "127.0.0.1", "9", "x"], "'--to'"),
	(["send", "--to=10.0.0.255", "127.0.0.1", "9", "x"], "'--to'"),
	(["send", "--all-interfaces", "127.0.0.1", "9", "x"],
	    "'--all-interfaces'"),
	(["listen", "--wait", "1", "0"], "'--wait'"),
	(["send", "--timeout", "1", "127.0.0.1", "9", "x"], "'--timeout'"),
]

for _i, (_args, _word) in enumerate(USAGE):
	def _mk(args, word):
		@test("usage/%s" % " ".join(args))
		def _():
			r = run(args)
			words = (word,) if word else ()
			check_usage(r, args[0], *words)
	_mk(_args, _word)


# --- ports ----------------------------------------------------------------

BAD_PORTS = ["0", "65536", "70000", "4294967296", "4294967297", "-1", "+53",
    " 53", "53 ", "53abc", "0x35", "1e3", "", "1" * 10000, "99999999999999999999"]


def _portname(p):
	return p if len(p) < 40 else "%s... (%d digits)" % (p[:10], len(p))


for _p in BAD_PORTS:
	def _mk(p):
		@test("parse/send bad port %r" % _portname(p))
		def _():
			valgrind_sample("send bad port", p)
			# "--" so that "-1" is an operand, not an option
			r = run(["send", "--", "127.0.0.1", p, "x"])
			if len(p) < 100:
				check_usage(r, "send", "'%s'" % p)
			else:
				check_usage(r, "send", "port")
	_mk(_p)

for _p in ["65536", "70000", "-1", "53abc", "", "0x35", "1" * 10000]:
	def _mk(p):
		@test("parse/listen bad port %r" % _portname(p))
		def _():
			valgrind_sample("listen bad port", p)
			r = run(["listen", "--", p])
			if len(p) < 100:
				check_usage(r, "listen", "'%s'" % p)
			else:
				check_usage(r, "listen", "port")

		@test("parse/broadcast bad port %r" % _portname(p))
		def _():
			valgrind_sample("broadcast bad port", p)
			r = run(["broadcast", "--to", "127.255.255.255", "--", p,
			    "x"])
			if len(p) < 100:
				check_usage(r, "broadcast", "'%s'" % p)
			else:
				check_usage(r, "broadcast", "port")
	_mk(_p)


@test("parse/ports 1 and 65535 accepted")
def _():
	for p in ("1", "65535"):
		r = run(["send", "127.0.0.1", p, "x"])
		# nobody listens there: 0, or 1 with the refused-port warning
		if r.rc not in (0, 1):
			fail("port %s: exit %r: %r" % (p, r.rc, r))
		eq(r.out, b"", "stdout")


@test("parse/service name as port")
def _():
	try:
		with open("/etc/services") as f:
			ok = any(re.match(r"discard\s+9/udp", l) for l in f)
	except OSError:
		skip("/etc/services is missing (Debian package netbase)")
	if not ok:
		skip("/etc/services has no 'discard 9/udp'")
	r = run(["send", "127.0.0.1", "discard", "x"])
	if r.rc not in (0, 1):
		fail("exit %r: %r" % (r.rc, r))
	eq(r.out, b"", "stdout")


@test("parse/source port 0 accepted")
def _():
	p = Peer()
	check_ok(run(["send", "-p", "0", "127.0.0.1", str(p.port), "x"]))
	eq(p.data(), [b"x"], "datagrams")


# --- hosts ----------------------------------------------------------------

BAD_HOSTS = ["", "256.1.1.1", "1.2.3.", "11::22::33", "127.1", "0x7f.1",
    "2130706433", "0177.0.0.1", "1.2.3.4.5", "127.0.0.1 ", "[127.0.0.1]",
    "[::1", "::1]", "1.2.3.4/8", "a..b", "-a.example"]

for _h in BAD_HOSTS:
	def _mk(h):
		@test("parse/bad host %r" % h)
		def _():
			valgrind_sample("bad host", h)
			r = run(["send", "--", h, "9", "x"])
			check_usage(r, "send", "'%s'" % h)
	_mk(_h)


@test("parse/-4 with an IPv6 literal")
def _():
	check_usage(run(["send", "-4", "::1", "9", "x"]), "send")
	check_usage(run(["listen", "-4", "::1", "0"]), "listen")


@test("parse/-6 with an IPv4 literal")
def _():
	check_usage(run(["send", "-6", "127.0.0.1", "9", "x"]), "send")
	check_usage(run(["listen", "-6", "127.0.0.1", "0"]), "listen")


@test("parse/unresolvable name exits 1 quickly")
def _():
	r = run(["send", "nonexistent.invalid", "9", "x"], timeout=15)
	check_err(r, 1, "send", "'nonexistent.invalid'")
	ok_(r.elapsed < 5, "took %.1f s" % r.elapsed)


@test("parse/localhost resolves")
def _():
	p = Peer()
	r = run(["send", "-4", "localhost", str(p.port), "hi"])
	check_ok(r)
	eq(p.data(), [b"hi"], "datagrams")


@test("parse/[::1] and ::1 accepted")
def _():
	need_ipv6()
	p = Peer("::1")
	for h in ("::1", "[::1]"):
		check_ok(run(["send", h, str(p.port), h]))
	eq(p.data(), [b"::1", b"[::1]"], "datagrams")


# --- durations and counts ---------------------------------------------------

BAD_NUMS = ["-1", "abc", "1e9999", "99999999999999999999", "", "1.5.5",
    "1 ", " 1", "0x10", "+1", "1" * 10000]
BAD_DURS = BAD_NUMS + ["1h", "ms", "86401", "1441m", "1s5", "-0.5", "5 s",
    "inf", "nan"]

for _v in BAD_DURS:
	def _mk(v):
		@test("parse/listen -w %r" % _portname(v))
		def _():
			valgrind_sample("listen -w", v)
			r = run(["listen", "-w", v, "0"])
			if len(v) < 100:
				check_usage(r, "listen", "'%s'" % v)
			else:
				check_usage(r, "listen")

		@test("parse/send -w and -i %r" % _portname(v))
		def _():
			valgrind_sample("send -w and -i", v)
			for opt in ("-w", "-i"):
				r = run(["send", opt, v, "127.0.0.1", "9", "x"])
				if len(v) < 100:
					check_usage(r, "send", "'%s'" % v)
				else:
					check_usage(r, "send")
	_mk(_v)

for _v in ["-1", "abc", "1e9999", "99999999999999999999", "", "0", "4294967296",
    "18446744073709551616", "1.5", "1e3", "+3", " 3"]:
	def _mk(v):
		@test("parse/count %r for -n, --retries, --repeat, --rate" % v)
		def _():
			valgrind_sample("count", v)
			check_usage(run(["listen", "-n", v, "0"]), "listen",
			    "'%s'" % v)
			check_usage(run(["send", "-n", v, "127.0.0.1", "9",
			    "x"]), "send", "'%s'" % v)
			if v != "0":	# 0 retries and repeat 0 (forever) are valid
				for opt in ("--retries", "--repeat"):
					check_usage(run(["send", opt, v,
					    "127.0.0.1", "9", "x"]), "send",
					    "'%s'" % v)
			if v != "4294967296":	# --rate's maximum is not stated
				check_usage(run(["send", "--rate", v,
				    "127.0.0.1", "9", "x"]), "send", "'%s'" % v)
	_mk(_v)


for _d in ["250ms", "1.5", "2m", "86400", "1440m", "10s", "0.75s"]:
	def _mk(d):
		@test("parse/duration %r accepted" % d)
		def _():
			valgrind_sample("duration accepted", d)
			l = Listener(["-w", d, "-n", "1"])
			p = Peer()
			p.send(b"x", l.port)
			check_ok(l.finish(), b"x\n")
	_mk(_d)


@test("parse/count 4294967295 accepted")
def _():
	l = Listener(["-n", "4294967295", "--until", "end"])
	p = Peer()
	p.send(b"x", l.port)
	p.send(b"end", l.port)
	check_ok(l.finish(), b"x\n")


# --- text, hex and base64 operands ------------------------------------------

BAD_ENC = [
	("hex", "abc"), ("hex", "a"), ("hex", "zz"), ("hex", "0g"),
	("hex", "d e"), ("hex", b"\x80\x81"), ("hex", b"\xff"), ("hex", "0x41"),
	("base64", "a"), ("base64", "Zz="), ("base64", "Z==="),
	("base64", "Zg==Zg=="), ("base64", "SB=="), ("base64", "Zg"),
	("base64", "a-_b"), ("base64", "Zh=="), ("base64", "Zm9=v"),
	("text", "\\q"), ("text", "\\x4"), ("text", "a\\"), ("text", "\\xzz"),
	("text", "\\x"),
]

for _enc, _val in BAD_ENC:
	def _mk(enc, val):
		@test("parse/bad %s %r sends nothing" % (enc, val))
		def _():
			valgrind_sample("bad " + enc, val)
			p = Peer()
			r = run(["send", "-e", enc, "127.0.0.1", str(p.port), val])
			check_rc(r, 2)
			one_line(r, "send")
			eq(r.out, b"", "stdout")
			eq(p.data(), [], "datagrams received")
	_mk(_enc, _val)


# --- huge arguments ---------------------------------------------------------

@test("parse/64 KiB raw argument: too large, nothing sent")
def _():
	p = Peer()
	r = run(["send", "127.0.0.1", str(p.port), "a" * 65536])
	check_rc(r, 2)
	one_line(r, "send")
	eq(r.out, b"", "stdout")
	eq(p.data(), [], "datagrams")


@test("parse/1 MiB of arguments: too large, nothing sent")
def _():
	p = Peer()
	r = run(["send", "127.0.0.1", str(p.port)] + ["b" * 65536] * 16)
	check_rc(r, 2)
	one_line(r, "send")
	eq(p.data(), [], "datagrams")


@test("parse/64 KiB host, port, duration, encoding arguments")
def _():
	big = "1" * 65536
	for args, cmd in ((["send", "a" * 65536, "9", "x"], "send"),
	    (["send", "--", "127.0.0.1", big, "x"], "send"),
	    (["listen", "-w", big, "0"], "listen"),
	    (["listen", "-e", "x" * 65536, "0"], "listen"),
	    (["listen", "--allow", big, "0"], "listen"),
	    (["send", "-F", "chunk:" + big, "127.0.0.1", "9"], "send")):
		r = run(args)
		check_rc(r, 2)
		one_line(r, cmd)
		eq(r.out, b"", "stdout")


@test("parse/64 KiB hex argument is a 32 KiB datagram")
def _():
	p = Peer()
	data = bytes(range(256)) * 128
	r = run(["send", "-e", "hex", "127.0.0.1", str(p.port), data.hex()])
	check_ok(r)
	eq(p.data(), [data], "datagram")
