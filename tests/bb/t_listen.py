# t_listen.py: udpcat listen fed by Python senders: output framings and
# encodings to the exact byte, -P, --json, --max-size, --count, --timeout,
# --until, --port-file, a port in use, record and replay.

import base64
import datetime
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import threading
import time
import tty

from . import util

from .util import (test, run, eq, fail, ok_, check_ok, check_rc, check_err,
    check_usage, check_warning, check_quiet_or_line, one_line, has_words,
    err_lines, Peer, Listener, need_ipv6, ALL256, length_frame, text_enc,
    short, free_port, skip, WAIT)

THREE = [b"hello", b"", b"a\nb"]


def feed(opts, datagrams, operands=("0",), host="127.0.0.1"):
	"""Starts listen OPTS -n len(datagrams), sends them from one Python
	socket, and returns (Result, peer)."""
	l = Listener(list(opts) + ["-n", str(len(datagrams))],
	    operands=operands)
	p = Peer(host)
	for d in datagrams:
		p.send(d, l.port)
	return l.finish(), p


def expect(opts, datagrams, out, **kw):
	r, p = feed(opts, datagrams, **kw)
	check_ok(r, out)
	return p


# --- output framings ------------------------------------------------------

@test("listen/default: line framing, raw")
def _():
	expect([], THREE, b"hello\n\na\nb\n")


@test("listen/-F line")
def _():
	expect(["-F", "line"], THREE, b"hello\n\na\nb\n")


@test("listen/-F nul")
def _():
	expect(["-F", "nul"], THREE, b"hello\x00\x00a\nb\x00")


@test("listen/-F none")
def _():
	expect(["-F", "none"], THREE, b"helloa\nb")


@test("listen/-F length")
def _():
	expect(["-F", "length"], THREE,
	    b"\x00\x05hello\x00\x00\x00\x03a\nb")


# --- output encodings -------------------------------------------------------

@test("listen/-e hex")
def _():
	expect(["-e", "hex"], THREE, b"68656c6c6f\n\n610a62\n")


@test("listen/-e base64")
def _():
	expect(["-e", "base64"], THREE + [b"f", b"fo", b"foo"],
	    b"aGVsbG8=\n\nYQpi\nZg==\nZm8=\nZm9v\n")


@test("listen/-e text")
def _():
	expect(["-e", "text"], THREE + [b"\\\x00\r\t\x7f\x80\xff"],
	    b"hello\n\na\\nb\n\\\\\\0\\r\\t\\x7f\\x80\\xff\n")


@test("listen/-e raw explicit")
def _():
	expect(["-e", "raw"], [b"\x1b[0m\x00\xff"], b"\x1b[0m\x00\xff\n")


@test("listen/all 256 byte values: hex, lowercase, no sign extension")
def _():
	expect(["-e", "hex"], [ALL256], ALL256.hex().encode() + b"\n")


@test("listen/all 256 byte values: base64")
def _():
	expect(["-e", "base64"], [ALL256], base64.b64encode(ALL256) + b"\n")


@test("listen/all 256 byte values: text")
def _():
	expect(["-e", "text"], [ALL256], text_enc(ALL256).encode() + b"\n")


@test("listen/all 256 byte values: raw, length and none framing")
def _():
	expect(["-F", "length"], [ALL256, ALL256], length_frame(ALL256) * 2)
	expect(["-F", "none"], [ALL256], ALL256)


@test("listen/text in nul framing")
def _():
	expect(["-e", "text", "-F", "nul"], [b"a\x00b", b""],
	    b"a\\0b\x00\x00")


@test("listen/hex in none framing")
def _():
	expect(["-e", "hex", "-F", "none"], [b"\x01", b"\xff"], b"01ff")


# --- round trips: listen's output is send's input --------------------------------

RT_DATA = [b"", b"a", b"\r\n", b"\r", b"\x00", ALL256, b"\\x41\\", b"end"]

for _enc, _fr in (("text", "line"), ("hex", "line"), ("base64", "line"),
    ("text", "nul"), ("hex", "nul"), ("base64", "nul"), ("raw", "length"),
    ("raw", "nul"), ("raw", "line")):
	def _mk(enc, fr):
		@test("listen/round trip -e %s -F %s through send" % (enc, fr))
		def _():
			dgs = RT_DATA
			if enc == "raw" and fr == "line":
				dgs = [d for d in dgs if b"\n" not in d]
			if enc == "raw" and fr == "nul":
				dgs = [d for d in dgs if b"\x00" not in d]
			r, _ = feed(["-e", enc, "-F", fr], dgs)
			check_rc(r, 0)
			eq(r.err, b"", "stderr")
			p = Peer()
			s = run(["send", "-e", enc, "-F", fr, "127.0.0.1",
			    str(p.port)], input=r.out)
			check_ok(s)
			eq(p.data(), dgs, "datagrams after the round trip")
	_mk(_enc, _fr)


# --- sizes ------------------------------------------------------------------

for _n in (0, 1, 1472, 1473, 65507):
	def _mk(n):
		@test("listen/%d-byte datagram written whole" % n)
		def _():
			d = os.urandom(n)
			expect(["-F", "length"], [d], length_frame(d))
			expect(["-e", "hex"], [d], d.hex().encode() + b"\n")
	_mk(_n)


@test("listen/65527-byte datagram over ::1")
def _():
	need_ipv6()
	d = os.urandom(65527)
	expect(["-F", "length"], [d], length_frame(d), operands=("::1", "0"),
	    host="::1")


# --- the stream goes on -----------------------------------------------------

@test("listen/empty datagram mid-stream: empty record, keeps running")
def _():
	l = Listener(["-n", "3"])
	p = Peer()
	p.send(b"a", l.port)
	l.wait_out(b"a\n")
	p.send(b"", l.port)
	l.wait_out(b"a\n\n")
	ok_(l.alive(), "listener exited after an empty datagram")
	p.send(b"b", l.port)
	check_ok(l.finish(), b"a\n\nb\n")


@test("listen/each record written out before the next datagram")
def _():
	l = Listener(["-F", "nul"])
	p = Peer()
	for i in range(3):
		p.send(b"r%d" % i, l.port)
		l.wait_out(len(b"r0\x00") * (i + 1))
	l.signal(signal.SIGTERM)
	r = l.finish()
	check_rc(r, 143)
	eq(r.out, b"r0\x00r1\x00r2\x00", "stdout")


# --- -P ---------------------------------------------------------------------

@test("listen/-P with an IPv4 sender to the dual-stack listener")
def _():
	r, p = feed(["-P"], [b"hello", b""])
	check_ok(r, b"127.0.0.1:%d hello\n127.0.0.1:%d \n" % (p.port, p.port))


@test("listen/-P in nul framing and hex")
def _():
	r, p = feed(["-P", "-F", "nul", "-e", "hex"], [b"hi"])
	check_ok(r, b"127.0.0.1:%d 6869\x00" % p.port)


@test("listen/-P shows 127.0.0.2 as sent from there")
def _():
	l = Listener(["-P", "-n", "1"])
	p = Peer("127.0.0.2")
	p.send(b"x", l.port)
	check_ok(l.finish(), b"127.0.0.2:%d x\n" % p.port)


@test("listen/-P with an IPv6 sender to the dual-stack listener")
def _():
	need_ipv6()
	r, p = feed(["-P"], [b"six"], host="::1")
	check_ok(r, b"[::1]:%d six\n" % p.port)


@test("listen/-6 ::1 with -P")
def _():
	need_ipv6()
	r, p = feed(["-6", "-P"], [b"six"], operands=("::1", "0"), host="::1")
	check_ok(r, b"[::1]:%d six\n" % p.port)


@test("listen/-4 127.0.0.1 with -P")
def _():
	r, p = feed(["-4", "-P"], [b"four"], operands=("127.0.0.1", "0"))
	check_ok(r, b"127.0.0.1:%d four\n" % p.port)


@test("listen/[::1] in brackets as ADDRESS")
def _():
	need_ipv6()
	r, p = feed([], [b"b"], operands=("[::1]", "0"), host="::1")
	check_ok(r, b"b\n")


@test("listen/IPv4 and IPv6 senders to one default listener")
def _():
	need_ipv6()
	l = Listener(["-P", "-n", "2"])
	p4 = Peer()
	p6 = Peer("::1")
	p4.send(b"4", l.port)
	l.wait_out(1)
	p6.send(b"6", l.port)
	check_ok(l.finish(), b"127.0.0.1:%d 4\n[::1]:%d 6\n" % (p4.port, p6.port))


# --- --json -------------------------------------------------------------------

TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
# SPEC v2 "what a received datagram carried": to, ifname, ttl, tos.
KEYS = ["time", "from", "port", "to", "ifname", "ttl", "tos", "size",
    "truncated", "data"]


def json_lines(out):
	ok_(out.endswith(b"\n"), "JSON output does not end in LF: %s" % short(out))
	objs = []
	for line in out.split(b"\n")[:-1]:
		try:
			o = json.loads(line.decode("utf-8"),
			    object_pairs_hook=lambda kv: kv)
		except (ValueError, UnicodeDecodeError) as e:
			fail("not a JSON line (%s): %s" % (e, short(line)))
		eq([k for k, _ in o], KEYS, "JSON keys")
		objs.append(dict(o))
	return objs


def default_ttl(v6):
	path = "/proc/sys/net/ipv6/conf/lo/hop_limit" if v6 else \
	    "/proc/sys/net/ipv4/ip_default_ttl"
	with open(path) as f:
		return int(f.read())


def check_json(o, frm, port, size, truncated, data):
	ok_(TIME_RE.fullmatch(o["time"]), "time %r" % o["time"])
	t = datetime.datetime.strptime(o["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
	t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
	ok_(abs(t - time.time()) < 60, "time %r is not now" % o["time"])
	eq(o["from"], frm, "from")
	eq(o["to"], "::1" if ":" in frm else "127.0.0.1", "to")
	eq(o["ifname"], "lo", "ifname")
	eq(o["ttl"], default_ttl(":" in frm), "ttl (the system's default)")
	eq(o["tos"], 0, "tos")
	ok_(type(o["port"]) is int, "port is not an integer: %r" % o["port"])
	eq(o["port"], port, "port")
	ok_(type(o["size"]) is int, "size is not an integer")
	eq(o["size"], size, "size")
	eq(o["truncated"], truncated, "truncated")
	eq(o["data"], data, "data")


@test("listen/--json: to, ifname, ttl and tos as sent (send --ttl --tos)")
def _():
	l = Listener(["--json", "-n", "2"])
	check_ok(run(["send", "--ttl", "7", "--tos", "32", "127.0.0.1",
	    str(l.port), "a"]))
	check_ok(run(["send", "127.0.0.2", str(l.port), "b"]))
	r = l.finish()
	objs = json_lines(r.out)
	eq([(o["to"], o["ifname"], o["ttl"], o["tos"]) for o in objs],
	    [("127.0.0.1", "lo", 7, 32), ("127.0.0.2", "lo",
	    default_ttl(False), 0)], "to, ifname, ttl, tos")


@test("listen/--json fields, base64 by default")
def _():
	r, p = feed(["--json"], [b"hello", b"", ALL256])
	check_rc(r, 0)
	eq(r.err, b"", "stderr")
	objs = json_lines(r.out)
	eq(len(objs), 3, "JSON lines")
	check_json(objs[0], "127.0.0.1", p.port, 5, False, "aGVsbG8=")
	check_json(objs[1], "127.0.0.1", p.port, 0, False, "")
	check_json(objs[2], "127.0.0.1", p.port, 256, False,
	    base64.b64encode(ALL256).decode())


@test("listen/--json -e hex")
def _():
	r, p = feed(["--json", "-e", "hex"], [b"\x00\xffA"])
	check_rc(r, 0)
	objs = json_lines(r.out)
	eq(len(objs), 1, "JSON lines")
	check_json(objs[0], "127.0.0.1", p.port, 3, False, "00ff41")


@test("listen/--json -e text: valid UTF-8 for all 256 byte values")
def _():
	r, p = feed(["--json", "-e", "text"], [ALL256, b'"quote"\\'])
	check_rc(r, 0)
	r.out.decode("utf-8")	# strict
	ok_(all(c < 0x80 for c in r.out), "non-ASCII bytes in JSON output")
	objs = json_lines(r.out)
	eq(len(objs), 2, "JSON lines")
	check_json(objs[0], "127.0.0.1", p.port, 256, False, text_enc(ALL256))
	check_json(objs[1], "127.0.0.1", p.port, 8, False, '"quote"\\\\')


@test("listen/--json from an IPv6 sender")
def _():
	need_ipv6()
	r, p = feed(["--json"], [b"x"], host="::1")
	check_rc(r, 0)
	objs = json_lines(r.out)
	check_json(objs[0], "::1", p.port, 1, False, "eA==")


# --- --max-size -------------------------------------------------------------

@test("listen/--max-size 10 cuts a 20-byte datagram and says so")
def _():
	d = b"0123456789abcdefghij"
	r, p = feed(["--max-size", "10"], [d, b"short"])
	check_rc(r, 0)
	eq(r.out, b"0123456789\nshort\n", "stdout")
	lines = err_lines(r)
	eq(len(lines), 1, "stderr lines (%r)" % r.err)
	check_warning(lines[0], "listen", ("truncat", "cut"))


@test("listen/--max-size 10 with --json: truncated true, real size")
def _():
	d = b"0123456789abcdefghij"
	r, p = feed(["--max-size", "10", "--json", "-e", "hex"], [d, b"ok"])
	check_rc(r, 0)
	objs = json_lines(r.out)
	eq(len(objs), 2, "JSON lines")
	check_json(objs[0], "127.0.0.1", p.port, 20, True, d[:10].hex())
	check_json(objs[1], "127.0.0.1", p.port, 2, False, "6f6b")
	lines = err_lines(r)
	eq(len(lines), 1, "stderr lines (%r)" % r.err)
	check_warning(lines[0], "listen", ("truncat", "cut"))


@test("listen/--max-size 65535 and 1 accepted")
def _():
	expect(["--max-size", "65535"], [b"abc"], b"abc\n")
	r, p = feed(["--max-size", "1"], [b"a"])
	check_ok(r, b"a\n")


# --- --count, --timeout, --until ----------------------------------------------

@test("listen/--count 2 stops after two of three")
def _():
	l = Listener(["-n", "2"])
	p = Peer()
	for d in (b"a", b"b", b"c"):
		p.send(d, l.port)
	check_ok(l.finish(), b"a\nb\n")


@test("listen/--count a multiple of 64 with -F none stops there under GRO")
def _():
	# udpcat send makes GSO sends of 64 equal datagrams, which a GRO
	# listener gets whole: --count must cut where a whole one ends too.
	lines = [b"%07d" % i for i in range(1280)]
	l = Listener(["-F", "none", "-n", "640", "127.0.0.1"])
	r = run(["send", "127.0.0.1", l.port], input=b"\n".join(lines) + b"\n")
	# The listener may be gone before the last ones: refused, exit 1.
	if r.rc != 0:
		check_err(r, 1, "send", "refused")
	check_ok(l.finish(), b"".join(lines[:640]))


@test("listen/--timeout with no datagram: exit 3, nothing out")
def _():
	l = Listener(["-w", "300ms"])
	r = l.finish()
	check_rc(r, 3)
	eq(r.out, b"", "stdout")
	check_quiet_or_line(r, "listen")
	ok_(0.25 <= r.elapsed < 3, "exit after %.2f s for -w 300ms" % r.elapsed)


@test("listen/--timeout after some datagrams: exit 0")
def _():
	l = Listener(["--timeout", "300ms"])
	p = Peer()
	p.send(b"a", l.port)
	p.send(b"b", l.port)
	r = l.finish()
	check_ok(r, b"a\nb\n")
	ok_(0.25 <= r.elapsed < 3, "exit after %.2f s" % r.elapsed)


@test("listen/--timeout restarts with every datagram")
def _():
	# datagrams 200 ms apart under -w 300ms: a timer that did not restart
	# would end the listener at 0.3 s, before the third datagram
	l = Listener(["-w", "300ms"])
	p = Peer()
	t0 = time.monotonic()
	for i in range(3):
		if i:
			time.sleep(0.2)	# pacing below the timeout, not syncing
		p.send(b"%d" % i, l.port)
		l.wait_out(2 * (i + 1))
	r = l.finish()
	check_ok(r, b"0\n1\n2\n")
	el = time.monotonic() - t0
	ok_(0.6 <= el < 3, "exited %.2f s after the first datagram; the last "
	    "came at 0.4 s, -w 300ms" % el)


@test("listen/--timeout before --count arrived: exit 3, records out")
def _():
	l = Listener(["-n", "3", "-w", "300ms"])
	Peer().send(b"a", l.port)
	r = l.finish()
	check_rc(r, 3)
	eq(r.out, b"a\n", "stdout")
	check_quiet_or_line(r, "listen")


@test("listen/--until DATA is not written out")
def _():
	l = Listener(["--until", "bye"])
	p = Peer()
	for d in (b"a", b"byex", b"bye", b"c"):
		p.send(d, l.port)
	check_ok(l.finish(), b"a\nbyex\n")


@test("listen/--until decoded by -e hex")
def _():
	l = Listener(["-e", "hex", "--until", "62 79 65"])
	p = Peer()
	for d in (b"a", b"bye", b"c"):
		p.send(d, l.port)
	check_ok(l.finish(), b"61\n")


@test("listen/--until empty datagram")
def _():
	l = Listener(["--until", ""])
	p = Peer()
	for d in (b"a", b"", b"c"):
		p.send(d, l.port)
	check_ok(l.finish(), b"a\n")


@test("listen/--until with bad hex: usage error")
def _():
	check_usage(run(["listen", "-e", "hex", "--until", "zz", "0"]), "listen")


# --- record and replay --------------------------------------------------------

@test("listen/-F length record, send -F length replay: same datagrams")
def _():
	dgs = [b"", ALL256, os.urandom(1500), b"\n", os.urandom(65507), b"end"]
	r, _ = feed(["-F", "length"], dgs)
	check_ok(r, b"".join(length_frame(d) for d in dgs))
	p = Peer()
	s = run(["send", "-F", "length", "127.0.0.1", str(p.port)], input=r.out)
	check_ok(s)
	eq(p.data(), dgs, "replayed datagrams")


# --- several senders ----------------------------------------------------------

@test("listen/five senders, three datagrams each, all delivered")
def _():
	l = Listener(["-P", "-n", "15"])
	peers = [Peer() for _ in range(5)]
	for i in range(3):
		for j, p in enumerate(peers):
			p.send(b"s%d-%d" % (j, i), l.port)
	r = l.finish()
	check_rc(r, 0)
	eq(r.err, b"", "stderr")
	lines = r.out.split(b"\n")
	eq(lines[-1], b"", "end of output")
	got = {}
	for line in lines[:-1]:
		m = re.fullmatch(rb"127\.0\.0\.1:(\d+) (s\d-\d)", line)
		ok_(m, "line %r" % line)
		got.setdefault(int(m.group(1)), []).append(m.group(2))
	want = {p.port: [b"s%d-%d" % (j, i) for i in range(3)]
	    for j, p in enumerate(peers)}
	eq(got, want, "datagrams per sender")


@test("listen/100 senders at once")
def _():
	l = Listener(["-n", "100", "-F", "nul"])
	peers = [Peer() for _ in range(100)]
	for j, p in enumerate(peers):
		p.send(b"%d" % j, l.port)
	r = l.finish()
	check_rc(r, 0)
	eq(sorted(r.out.split(b"\x00")[:-1]), sorted(b"%d" % j
	    for j in range(100)), "datagrams")
	for p in peers:
		p.close()


# --- port file, -v, port in use ------------------------------------------------

@test("listen/--port-file holds PORT LF, written atomically, port works")
def _():
	l = Listener(["-n", "1"])
	with open(l.port_file, "rb") as f:
		eq(f.read(), b"%d\n" % l.port, "port file")
	eq(os.listdir(l.dir), ["port"], "files beside the port file")
	Peer().send(b"x", l.port)
	check_ok(l.finish(), b"x\n")


@test("listen/-v with port 0 prints the address listened on")
def _():
	l = Listener(["-v", "-n", "1"], operands=("127.0.0.1", "0"))
	l.wait_err(lambda b: b"listening on" in b)
	Peer().send(b"x", l.port)
	r = l.finish()
	check_rc(r, 0)
	eq(r.out, b"x\n", "stdout")
	lines = err_lines(r)
	ok_(any(re.fullmatch(r"udpcat: listen: listening on 127\.0\.0\.1:%d"
	    % l.port, x) for x in lines), "no 'listening on 127.0.0.1:%d' in %r"
	    % (l.port, r.err))
	for x in lines:
		ok_(x.startswith("udpcat: listen: "), "stderr line %r" % x)


@test("listen/a second listener on a port in use: exit 1")
def _():
	a = Listener([])
	r = run(["listen", "-w", "300ms", str(a.port)])
	check_err(r, 1, "listen", "address already in use")


@test("listen/a second IPv4 listener on 127.0.0.1: exit 1")
def _():
	a = Listener(["-4"], operands=("127.0.0.1", "0"))
	r = run(["listen", "-4", "-w", "300ms", "127.0.0.1", str(a.port)])
	check_err(r, 1, "listen", "address already in use")


@test("listen/a Python socket on the port: exit 1, no silent share")
def _():
	p = Peer()
	r = run(["listen", "-w", "300ms", "127.0.0.1", str(p.port)])
	check_err(r, 1, "listen", "address already in use")


@test("listen/--reuse on both listeners: both run")
def _():
	a = Listener(["--reuse"])
	b = Listener(["--reuse"], operands=(str(a.port),))
	eq(b.port, a.port, "second listener's port")
	for x in (a, b):
		ok_(x.alive(), "a --reuse listener exited")
		x.signal(signal.SIGTERM)
	for x in (a, b):
		r = x.finish()
		check_rc(r, 143)
		eq(r.out, b"", "stdout")


@test("listen/--buffer accepted")
def _():
	expect(["--buffer", "1048576"], [b"x"], b"x\n")


@test("listen/-I lo")
def _():
	if os.geteuid() != 0:
		skip("SO_BINDTODEVICE needs root (CAP_NET_RAW)")
	expect(["-I", "lo"], [b"x"], b"x\n")


@test("listen/port below 1024 as a non-root user: exit 1")
def _():
	try:
		with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
			start = int(f.read())
	except (OSError, ValueError):
		start = 1024
	if start <= 1:
		skip("ip_unprivileged_port_start is %d: port 1 needs no "
		    "privilege here" % start)
	pre = []
	if os.geteuid() == 0:
		setpriv = shutil.which("setpriv")
		if not setpriv:
			skip("running as root and the setpriv command is "
			    "missing (Debian package util-linux)")
		pre = [setpriv, "--reuid=65534", "--regid=65534",
		    "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]
	argv = pre + [util.UDPCAT, "listen", "-w", "300ms", "127.0.0.1", "1"]
	p = subprocess.run(argv, capture_output=True, timeout=10, env=util.ENV,
	    stdin=subprocess.DEVNULL)
	if pre and p.returncode in (126, 127) or p.stderr.startswith(b"setpriv"):
		skip("cannot run udpcat as user nobody: %s" %
		    p.stderr.decode("utf-8", "replace").strip())
	r = util.Result(argv, p.returncode, p.stdout, p.stderr, 0)
	check_err(r, 1, "listen", ("permission", "privilege", "root",
	    "capabilit"))


# --- a terminal on standard output ----------------------------------------------

def pty_listen(opts, datagrams):
	m, s = pty.openpty()
	tty.setraw(s)
	try:
		l = Listener(list(opts) + ["-n", str(len(datagrams))], stdout=s)
	finally:
		os.close(s)
	p = Peer()
	for d in datagrams:
		p.send(d, l.port)
	r = l.finish()
	out = b""
	end = time.monotonic() + WAIT
	while time.monotonic() < end:
		rd, _, _ = select.select([m], [], [], 0.2)
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
	return r


@test("listen/a terminal gets text by default")
def _():
	r = pty_listen([], [b"\x1b[31mred\x07", b"ok"])
	check_ok(r, b"\\x1b[31mred\\x07\nok\n")


@test("listen/a terminal gets raw with -e raw")
def _():
	r = pty_listen(["-e", "raw"], [b"\x1b[0m"])
	check_ok(r, b"\x1b[0m\n")


@test("listen/a terminal gets raw with -F length")
def _():
	r = pty_listen(["-F", "length"], [b"\x1b"])
	check_ok(r, b"\x00\x01\x1b")


@test("listen/--echo answering a peer without pause: SIGINT still gets in")
def t_echo_busy_sigint():
	"""After traffic, the read waits for the next datagram with signals
	held back, as a bare loop does; they must still be looked at before
	each such read, or a busy ping-pong would never let SIGINT in."""
	l = Listener(["--echo", "-F", "none"], operands=("127.0.0.1", "0"))
	p = Peer()
	stop = threading.Event()
	sent = [0]

	def pingpong():
		while not stop.is_set():
			p.send(b"x", l.port)
			p.sock.settimeout(2)
			try:
				p.sock.recvfrom(100)
			except OSError:
				return
			sent[0] += 1
	th = threading.Thread(target=pingpong, daemon=True)
	th.start()
	try:
		end = time.monotonic() + 10
		while sent[0] < 500 and time.monotonic() < end:
			time.sleep(0.01)
		ok_(sent[0] >= 500, "only %d round trips" % sent[0])
		l.signal(signal.SIGINT)
		r = l.finish(timeout=5)
		check_rc(r, 130)
	finally:
		stop.set()
		th.join(3)
