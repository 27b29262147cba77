# t_conv.py: conversations: send -w/-n/--retries with a Python peer that
# answers, listen --echo/--reply/--allow, --stats, --repeat, --rate and
# --interval (timing checked with generous bounds).

import json
import re
import time

from .util import (test, run, eq, fail, ok_, skip, check_ok, check_rc,
    check_err, check_usage, check_quiet_or_line, one_line, err_lines, Peer,
    Responder, Listener, Proc, need_ipv6, short, ALL256, length_frame)


def replies(*reps):
	"""A responder function: answers the first datagram with reps."""
	return lambda d, a, i: list(reps) if i == 0 else []


def ask(resp, opts, operands=("hello",), input=None, timeout=10):
	if input is not None:
		operands = ()
	return run(["send"] + list(opts) + ["127.0.0.1", str(resp.port)] +
	    list(operands), input=input, timeout=timeout)


# --- send -w, -n, --retries ---------------------------------------------------

@test("conv/send -w prints the replies")
def _():
	resp = Responder(replies(b"r1", b"", b"r\n3"))
	r = ask(resp, ["-w", "400ms"])
	check_ok(r, b"r1\n\nr\n3\n")
	eq(resp.got(), [b"hello"], "datagrams at the peer")
	ok_(0.35 <= r.elapsed < 4, "took %.2f s with -w 400ms" % r.elapsed)


@test("conv/send -n 1 stops at the first reply")
def _():
	resp = Responder(replies(b"r1", b"r2"))
	r = ask(resp, ["-w", "5", "-n", "1"])
	check_ok(r, b"r1\n")
	ok_(r.elapsed < 2.5, "took %.2f s" % r.elapsed)


@test("conv/send -n 2 without -w waits for both")
def _():
	resp = Responder(replies(b"r1", b"r2"))
	r = ask(resp, ["-n", "2"])
	check_ok(r, b"r1\nr2\n")


@test("conv/send -w to a silent peer: exit 3, nothing out")
def _():
	resp = Responder(lambda d, a, i: [])
	r = ask(resp, ["-w", "300ms"])
	check_rc(r, 3)
	eq(r.out, b"", "stdout")
	check_quiet_or_line(r, "send")
	eq(resp.got(), [b"hello"], "datagrams at the peer")
	ok_(0.25 <= r.elapsed < 3, "took %.2f s" % r.elapsed)


@test("conv/send -n 2 -w with one reply: exit 3, the reply out")
def _():
	resp = Responder(replies(b"only"))
	r = ask(resp, ["-n", "2", "-w", "300ms"])
	check_rc(r, 3)
	eq(r.out, b"only\n", "stdout")
	check_quiet_or_line(r, "send")


@test("conv/send --retries 2 to a silent peer: 3 copies, exit 3")
def _():
	resp = Responder(lambda d, a, i: [])
	r = ask(resp, ["-w", "200ms", "--retries", "2"])
	check_rc(r, 3)
	eq(r.out, b"", "stdout")
	check_quiet_or_line(r, "send")
	eq(resp.got(), [b"hello"] * 3, "datagrams at the peer")
	ok_(r.elapsed >= 0.5, "3 waits of 200 ms took %.2f s" % r.elapsed)


@test("conv/send --retries resends the whole input")
def _():
	resp = Responder(lambda d, a, i: [])
	r = ask(resp, ["-w", "150ms", "--retries", "1"], operands=("a", "b"))
	check_rc(r, 3)
	eq(resp.got(), [b"a", b"b", b"a", b"b"], "datagrams at the peer")


@test("conv/send --retries stops once a reply came")
def _():
	resp = Responder(lambda d, a, i: [b"ack"] if i == 1 else [])
	r = ask(resp, ["-w", "300ms", "--retries", "5"])
	check_ok(r, b"ack\n")
	eq(resp.got(), [b"hello"] * 2, "datagrams at the peer")


@test("conv/send --retries 0 sends once")
def _():
	resp = Responder(lambda d, a, i: [])
	r = ask(resp, ["-w", "150ms", "--retries", "0"])
	check_rc(r, 3)
	eq(resp.got(), [b"hello"], "datagrams at the peer")


@test("conv/replies in -e hex, input decoded too")
def _():
	resp = Responder(lambda d, a, i: [d[::-1], b"\x00\xff"])
	r = ask(resp, ["-e", "hex", "-w", "300ms"], operands=("0102",))
	check_ok(r, b"0201\n00ff\n")
	eq(resp.got(), [b"\x01\x02"], "datagrams at the peer")


@test("conv/replies in -e base64 and -e text")
def _():
	resp = Responder(replies(b"f\x00"))
	check_ok(ask(resp, ["-e", "base64", "-w", "300ms"], operands=("aGk=",)),
	    b"ZgA=\n")
	resp = Responder(replies(b"f\x00\n"))
	check_ok(ask(resp, ["-e", "text", "-w", "300ms"], operands=("hi",)),
	    b"f\\0\\n\n")


@test("conv/replies with -P")
def _():
	resp = Responder(replies(b"r1"))
	r = ask(resp, ["-P", "-w", "300ms"])
	check_ok(r, b"127.0.0.1:%d r1\n" % resp.port)


@test("conv/replies with --json")
def _():
	resp = Responder(replies(b"r1"))
	r = ask(resp, ["--json", "-w", "300ms"])
	check_rc(r, 0)
	eq(r.err, b"", "stderr")
	lines = r.out.split(b"\n")
	eq(len(lines), 2, "JSON lines + end")
	o = json.loads(lines[0])
	eq(sorted(o), sorted(["time", "from", "port", "to", "ifname", "ttl",
	    "tos", "size", "truncated", "data"]), "keys")
	eq((o["from"], o["port"], o["size"], o["truncated"], o["data"]),
	    ("127.0.0.1", resp.port, 2, False, "cjE="), "fields")


@test("conv/replies framed by -F: nul, whole (none), length")
def _():
	resp = Responder(replies(b"r1", b"r2"))
	check_ok(ask(resp, ["-F", "nul", "-w", "300ms"], input=b"q\x00"),
	    b"r1\x00r2\x00")
	resp = Responder(replies(b"r1", b"r2"))
	check_ok(ask(resp, ["-F", "whole", "-w", "300ms"], input=b"q"),
	    b"r1r2")
	resp = Responder(replies(b"r1", b""))
	check_ok(ask(resp, ["-F", "length", "-w", "300ms"],
	    input=length_frame(b"q")), b"\x00\x02r1\x00\x00")
	resp = Responder(replies(b"r1", b"r2"))
	check_ok(ask(resp, ["-F", "chunk:1", "-w", "300ms"], input=b"q"),
	    b"r1r2")


@test("conv/a 65507-byte reply printed whole")
def _():
	big = bytes(range(256)) * 255 + b"x" * (65507 - 256 * 255)
	resp = Responder(replies(big))
	check_ok(ask(resp, ["-F", "length", "-w", "300ms"],
	    input=length_frame(b"q")), length_frame(big))


@test("conv/send -w over IPv6")
def _():
	need_ipv6()
	resp = Responder(replies(b"six"), host="::1")
	r = run(["send", "-P", "-w", "300ms", "::1", str(resp.port), "q"])
	check_ok(r, b"[::1]:%d six\n" % resp.port)


# --- listen --echo, --reply -----------------------------------------------------

@test("conv/listen --echo: each sender gets only its own datagrams")
def _():
	l = Listener(["--echo", "-n", "4"])
	a, b = Peer(), Peer("127.0.0.2")
	a.send(b"a1", l.port)
	b.send(b"b1", l.port)
	a.send(b"a2", l.port)
	b.send(b"", l.port)
	check_ok(l.finish(), b"a1\nb1\na2\n\n")
	got_a = a.drain()
	got_b = b.drain()
	eq([d for d, _ in got_a], [b"a1", b"a2"], "echoes at sender A")
	eq([d for d, _ in got_b], [b"b1", b""], "echoes at sender B")
	eq(got_a[0][1], ("127.0.0.1", l.port), "echo source")


@test("conv/listen --echo of 65507 bytes and all byte values")
def _():
	big = bytes(range(256)) * 255 + b"y" * (65507 - 256 * 255)
	l = Listener(["--echo", "-n", "2", "-F", "length"])
	a = Peer()
	a.send(big, l.port)
	a.send(ALL256, l.port)
	check_ok(l.finish(), length_frame(big) + length_frame(ALL256))
	eq(a.data(), [big, ALL256], "echoes")


@test("conv/listen --echo over IPv6")
def _():
	need_ipv6()
	l = Listener(["--echo", "-n", "1"])
	a = Peer("::1")
	a.send(b"v6", l.port)
	check_ok(l.finish(), b"v6\n")
	eq(a.data(), [b"v6"], "echoes")


@test("conv/listen --reply DATA answers each datagram")
def _():
	l = Listener(["--reply", "pong", "-n", "2"])
	a = Peer()
	a.send(b"ping1", l.port)
	a.send(b"ping2", l.port)
	check_ok(l.finish(), b"ping1\nping2\n")
	eq(a.data(), [b"pong", b"pong"], "replies")


@test("conv/listen --reply decoded by -e hex; empty reply")
def _():
	l = Listener(["-e", "hex", "--reply", "00ff", "-n", "1"])
	a = Peer()
	a.send(b"q", l.port)
	check_ok(l.finish(), b"71\n")
	eq(a.data(), [b"\x00\xff"], "replies")
	l = Listener(["--reply", "", "-n", "1"])
	a.send(b"q", l.port)
	check_ok(l.finish(), b"q\n")
	eq(a.data(), [b""], "replies")


@test("conv/listen --reply with bad base64: usage error")
def _():
	check_usage(run(["listen", "-e", "base64", "--reply", "Zg", "0"]),
	    "listen")


# --- --allow ------------------------------------------------------------------

@test("conv/listen --allow 127.0.0.1/32 drops 127.0.0.2")
def _():
	l = Listener(["--allow", "127.0.0.1/32", "-n", "1", "-P"])
	bad, good = Peer("127.0.0.2"), Peer()
	bad.send(b"bad", l.port)
	good.send(b"good", l.port)
	check_ok(l.finish(), b"127.0.0.1:%d good\n" % good.port)


@test("conv/listen --allow: filtered senders get no echo, counted")
def _():
	l = Listener(["--allow", "127.0.0.1", "--echo", "--stats", "-n", "1"])
	bad, good = Peer("127.0.0.2"), Peer()
	bad.send(b"bad", l.port)
	bad.send(b"bad", l.port)
	good.send(b"good", l.port)
	r = l.finish()
	check_rc(r, 0)
	eq(r.out, b"good\n", "stdout")
	eq(bad.data(), [], "echoes to the filtered sender")
	eq(good.data(), [b"good"], "echoes to the allowed sender")
	lines = err_lines(r)
	eq(len(lines), 1, "stderr lines (%r)" % r.err)
	ok_(re.search(r"\b2 filtered\b", lines[0]), "stats %r" % lines[0])


@test("conv/listen --allow repeated: 127.0.0.2/32 and 127.0.0.3")
def _():
	l = Listener(["--allow", "127.0.0.2/32", "--allow", "127.0.0.3",
	    "-n", "2"])
	p1, p2, p3 = Peer(), Peer("127.0.0.2"), Peer("127.0.0.3")
	p1.send(b"one", l.port)
	p2.send(b"two", l.port)
	p3.send(b"three", l.port)
	check_ok(l.finish(), b"two\nthree\n")


@test("conv/listen --allow 127.0.0.0/8 and ::1/128")
def _():
	need_ipv6()
	l = Listener(["--allow", "127.0.0.0/8", "--allow", "::1/128", "-n", "3"])
	for h in ("127.0.0.1", "127.0.0.9", "::1"):
		Peer(h).send(h.encode(), l.port)
	check_ok(l.finish(), b"127.0.0.1\n127.0.0.9\n::1\n")


@test("conv/listen --allow ::1 drops IPv4 senders")
def _():
	need_ipv6()
	l = Listener(["--allow", "::1", "-n", "1"])
	Peer().send(b"v4", l.port)
	Peer("::1").send(b"v6", l.port)
	check_ok(l.finish(), b"v6\n")


# --- --stats ------------------------------------------------------------------

NUM = r"\d+(?:\.\d+)?"


@test("conv/listen --stats line")
def _():
	l = Listener(["--stats", "-n", "3"])
	a, b = Peer(), Peer()
	a.send(b"aaaaa", l.port)
	b.send(b"bbbbb", l.port)
	a.send(b"ccccc", l.port)
	r = l.finish()
	check_rc(r, 0)
	eq(r.out, b"aaaaa\nbbbbb\nccccc\n", "stdout")
	line = one_line(r, "listen")
	ok_(re.fullmatch(r"udpcat: listen: 3 datagrams, 15 bytes, 2 senders, "
	    r"0 truncated, 0 filtered, \d+ dropped, %s s, %s datagrams/s" %
	    (NUM, NUM), line), "stats line %r" % line)


@test("conv/listen --stats counts truncation")
def _():
	l = Listener(["--stats", "--max-size", "2", "-n", "1"])
	Peer().send(b"abcd", l.port)
	r = l.finish()
	check_rc(r, 0)
	eq(r.out, b"ab\n", "stdout")
	lines = err_lines(r)
	eq(len(lines), 2, "stderr lines: warning and stats (%r)" % r.err)
	ok_(any(re.match(r"udpcat: listen: 1 datagrams, \d+ bytes, 1 senders, "
	    r"1 truncated, 0 filtered", x) for x in lines),
	    "stats line in %r" % lines)


@test("conv/send --stats line")
def _():
	p = Peer()
	r = run(["send", "--stats", "127.0.0.1", str(p.port), "aaaaa",
	    "bbbbb", "ccccc"])
	check_rc(r, 0)
	eq(r.out, b"", "stdout")
	line = one_line(r, "send")
	ok_(re.fullmatch(r"udpcat: send: 3 datagrams sent, 15 bytes"
	    r"(, 0 replies)?, %s s, %s datagrams/s" % (NUM, NUM), line),
	    "stats line %r" % line)
	eq(len(p.data()), 3, "datagrams")


@test("conv/send --stats counts replies")
def _():
	resp = Responder(replies(b"r1", b"r2"))
	r = ask(resp, ["--stats", "-w", "300ms"], operands=("aaaa",))
	check_rc(r, 0)
	eq(r.out, b"r1\nr2\n", "stdout")
	line = one_line(r, "send")
	ok_(re.fullmatch(r"udpcat: send: 1 datagrams sent, 4 bytes, 2 replies, "
	    r"%s s, %s datagrams/s" % (NUM, NUM), line), "stats line %r" % line)


# --- --repeat, --rate, --interval -------------------------------------------------

@test("conv/send --repeat 3 operands")
def _():
	p = Peer()
	check_ok(run(["send", "--repeat", "3", "127.0.0.1", str(p.port), "a",
	    "", "b"]))
	eq(p.data(), [b"a", b"", b"b"] * 3, "datagrams")


@test("conv/send --repeat 2 standard input")
def _():
	p = Peer()
	check_ok(run(["send", "--repeat", "2", "127.0.0.1", str(p.port)],
	    input=b"x\ny\n"))
	eq(p.data(), [b"x", b"y"] * 2, "datagrams")


@test("conv/send --repeat 1 is one pass")
def _():
	p = Peer()
	check_ok(run(["send", "--repeat", "1", "127.0.0.1", str(p.port), "a"]))
	eq(p.data(), [b"a"], "datagrams")


@test("conv/send --rate 20: 5 datagrams paced over >= 0.15 s")
def _():
	resp = Responder(lambda d, a, i: [])
	r = run(["send", "--rate", "20", "127.0.0.1", str(resp.port), "1", "2",
	    "3", "4", "5"])
	check_ok(r)
	got = resp.wait_count(5)
	eq(got, [b"1", b"2", b"3", b"4", b"5"], "datagrams")
	t = resp.times()
	span = t[-1] - t[0]
	ok_(span >= 0.15, "5 datagrams at 20/s arrived within %.3f s" % span)
	ok_(r.elapsed < 3, "took %.2f s" % r.elapsed)
	gaps = [b - a for a, b in zip(t, t[1:])]
	ok_(min(gaps) >= 0.01, "not evenly paced: gaps %r" % gaps)


@test("conv/send -i 100ms: 4 datagrams over >= 0.25 s")
def _():
	resp = Responder(lambda d, a, i: [])
	r = run(["send", "-i", "100ms", "127.0.0.1", str(resp.port)],
	    input=b"a\nb\nc\nd\n")
	check_ok(r)
	got = resp.wait_count(4)
	eq(got, [b"a", b"b", b"c", b"d"], "datagrams")
	t = resp.times()
	ok_(t[-1] - t[0] >= 0.25, "span %.3f s" % (t[-1] - t[0]))
	ok_(r.elapsed < 3, "took %.2f s" % r.elapsed)
	gaps = [b - a for a, b in zip(t, t[1:])]
	ok_(min(gaps) >= 0.05, "gaps %r" % gaps)


@test("conv/send --rate 1000 with --repeat: 100 datagrams >= 0.08 s")
def _():
	p = Peer()
	r = run(["send", "--rate", "1000", "--repeat", "50", "127.0.0.1",
	    str(p.port), "a", "b"])
	check_ok(r)
	eq(p.data(), [b"a", b"b"] * 50, "datagrams")
	ok_(0.08 <= r.elapsed < 3, "took %.3f s" % r.elapsed)


@test("conv/replies to a terminal are text by default")
def _():
	import os
	import pty
	import select as sel
	import tty
	resp = Responder(replies(b"\x1b[2J\x07"))
	m, s = pty.openpty()
	tty.setraw(s)
	try:
		p = Proc(["send", "-w", "300ms", "127.0.0.1", str(resp.port),
		    "q"], stdout=s)
	finally:
		os.close(s)
	r = p.finish()
	out = b""
	end = time.monotonic() + 5
	while time.monotonic() < end:
		rd, _, _ = sel.select([m], [], [], 0.2)
		if not rd:
			break
		try:
			b = os.read(m, 65536)
		except OSError:
			break
		if not b:
			break
		out += b
	os.close(m)
	r.out = out
	check_ok(r, b"\\x1b[2J\\x07\n")
