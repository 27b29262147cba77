# t_ping.py: udpcat ping against echo services (udpcat listen --echo,
# socat PIPE), Python peers that drop, duplicate, reorder or return
# garbage, one that never answers, and a closed port (SPEC "v2: ping";
# RELIABILITY.md, the v2 row for ping).  No timing is asserted beyond
# bounds that hold on a loaded machine.

import json
import os
import re
import signal
import struct
import subprocess
import threading

from .util import (test, run, eq, fail, ok_, skip, check_rc, check_usage,
    check_err, SIGPIPE_RCS,
    one_line, check_warning, Listener, Responder, Peer, Proc, Background,
    free_port, need_ipv6, need_tool, short)

SOCAT = "/usr/bin/socat"
MAGIC = b"udpcping"
T = rb"\d+\.\d{3}"		# a time: three decimals
RTT_LINE = re.compile(rb"rtt min/avg/max/mdev/p50/p99 = (%s)/(%s)/(%s)/"
    rb"(%s)/(%s)/(%s) ms" % (T, T, T, T, T, T))


def reply_re(size, peer):
	"""A per-reply line, with seq, time and the (DUP) mark as groups."""
	return re.compile(rb"%d bytes from %s: seq=(\d+) time=(%s) ms"
	    rb"( \(DUP\))?" % (size, re.escape(peer.encode()), T))


def split(out):
	"""stdout as (reply lines, summary lines): the summary is the line
	'N sent, ...' and what follows it."""
	lines = out.split(b"\n")
	ok_(lines[-1] == b"", "stdout does not end with LF: %s" % short(out))
	lines = lines[:-1]
	idx = [i for i, l in enumerate(lines) if b" sent, " in l]
	ok_(len(idx) == 1, "no single summary line in %s" % short(out, 600))
	return lines[:idx[0]], lines[idx[0]:]


def check_summary(summary, sent, received, dups=0, reordered=0,
    loss="0"):
	"""The summary lines, exactly; returns the six rtt figures."""
	eq(summary[0].decode(), "%d sent, %d received, %d duplicates, %d "
	    "reordered, %s%% loss" % (sent, received, dups, reordered, loss),
	    "summary line")
	if received == 0:
		eq(len(summary), 1, "summary lines (no rtt line when nothing "
		    "was answered)")
		return None
	eq(len(summary), 2, "summary lines")
	m = RTT_LINE.fullmatch(summary[1])
	ok_(m, "rtt line %r" % summary[1])
	mn, avg, mx, mdev, p50, p99 = (float(x) for x in m.groups())
	ok_(mn <= avg <= mx and mn <= p50 <= p99 <= mx,
	    "rtt figures out of order: %r" % summary[1])
	ok_(mdev <= mx - mn + 0.001, "mdev %.3f beyond the spread: %r" % (mdev,
	    summary[1]))
	return mn, avg, mx, mdev, p50, p99


def replies(lines, size, peer):
	"""The reply lines as (seq, time, dup); each must match exactly."""
	rx = reply_re(size, peer)
	got = []
	for l in lines:
		m = rx.fullmatch(l)
		ok_(m, "reply line %r does not match %r" % (l, rx.pattern))
		got.append((int(m.group(1)), float(m.group(2)),
		    m.group(3) is not None))
	return got


def echo_listener(host="127.0.0.1"):
	return Listener(["--echo"], operands=(host, "0"),
	    stdout=subprocess.DEVNULL)


def parse_probe(data):
	"""(seq, id) of a probe; checks its layout."""
	ok_(len(data) >= 16 and data[:8] == MAGIC, "not a probe: %s" %
	    short(data))
	ok_(data[16:] == bytes(len(data) - 16), "probe padding is not zeros")
	return struct.unpack(">II", data[8:16])


# --- against echo services --------------------------------------------------

@test("ping/udpcat listen --echo: lines, summary, exit 0")
def _():
	l = echo_listener()
	r = run(["ping", "-c", "3", "-i", "0.05", "127.0.0.1", l.port])
	check_rc(r, 0)
	eq(r.err, b"", "stderr")
	lines, summary = split(r.out)
	got = replies(lines, 64, "127.0.0.1:%d" % l.port)
	eq([(s, d) for s, _, d in got], [(0, False), (1, False), (2, False)],
	    "replies (seq, dup)")
	check_summary(summary, 3, 3)


@test("ping/-i 0 -c 500 -q: summary only, every probe answered")
def _():
	l = echo_listener()
	r = run(["ping", "-q", "-i", "0", "-c", "500", "127.0.0.1", l.port],
	    timeout=30)
	check_rc(r, 0)
	eq(r.err, b"", "stderr")
	lines, summary = split(r.out)
	eq(lines, [], "reply lines with -q")
	check_summary(summary, 500, 500)


@test("ping/--json: one object per reply and a summary object")
def _():
	l = echo_listener()
	r = run(["ping", "--json", "-c", "4", "-i", "0", "127.0.0.1", l.port])
	check_rc(r, 0)
	eq(r.err, b"", "stderr")
	objs = [json.loads(x) for x in r.out.decode().splitlines()]
	eq(len(objs), 5, "objects")
	for i, o in enumerate(objs[:4]):
		eq(sorted(o), ["dup", "from", "port", "reordered", "rtt_ms",
		    "seq", "size"], "reply keys")
		eq((o["seq"], o["size"], o["from"], o["port"], o["dup"]),
		    (i, 64, "127.0.0.1", l.port, False), "reply %d" % i)
		ok_(isinstance(o["rtt_ms"], float) and o["rtt_ms"] >= 0,
		    "rtt_ms %r" % o["rtt_ms"])
	s = objs[4]
	for k, v in (("sent", 4), ("received", 4), ("duplicates", 0),
	    ("reordered", 0), ("loss_percent", 0), ("foreign", 0)):
		eq(s.get(k), v, "summary %s" % k)
	eq(sorted(s["rtt_ms"]), ["avg", "max", "mdev", "min", "p50", "p99"],
	    "rtt_ms keys")
	ok_(s["rtt_ms"]["min"] <= s["rtt_ms"]["p50"] <= s["rtt_ms"]["max"],
	    "rtt_ms %r" % s["rtt_ms"])


@test("ping/--json -q: the summary object only")
def _():
	l = echo_listener()
	r = run(["ping", "--json", "-q", "-c", "2", "-i", "0", "127.0.0.1",
	    l.port])
	check_rc(r, 0)
	objs = [json.loads(x) for x in r.out.decode().splitlines()]
	eq(len(objs), 1, "objects")
	eq((objs[0]["sent"], objs[0]["received"]), (2, 2), "summary")


@test("ping/IPv6 ::1 against udpcat listen --echo")
def _():
	need_ipv6()
	l = echo_listener("::1")
	r = run(["ping", "-6", "-c", "2", "-i", "0", "::1", l.port])
	check_rc(r, 0)
	lines, summary = split(r.out)
	eq(len(replies(lines, 64, "[::1]:%d" % l.port)), 2, "replies")
	check_summary(summary, 2, 2)


def socat_echo(spec):
	need_tool(SOCAT)
	for attempt in range(2):
		port = free_port()
		b = Background([SOCAT, spec % port, "PIPE"])
		if b.wait_bound(port):
			return port
	fail("socat could not bind a port")


@test("ping/socat UDP-RECVFROM,fork PIPE")
def _():
	port = socat_echo("UDP-RECVFROM:%d,bind=127.0.0.1,fork")
	r = run(["ping", "-c", "3", "-i", "0.05", "127.0.0.1", port])
	check_rc(r, 0)
	lines, summary = split(r.out)
	eq(sorted(s for s, _, _ in replies(lines, 64, "127.0.0.1:%d" %
	    port)), [0, 1, 2], "replies")
	check_summary(summary, 3, 3)


@test("ping/socat UDP-LISTEN PIPE, 100-byte probes")
def _():
	port = socat_echo("UDP-LISTEN:%d,bind=127.0.0.1")
	r = run(["ping", "-s", "100", "-c", "3", "-i", "0", "127.0.0.1", port])
	check_rc(r, 0)
	lines, summary = split(r.out)
	eq(len(replies(lines, 100, "127.0.0.1:%d" % port)), 3, "replies")
	check_summary(summary, 3, 3)


# --- probes on the wire ------------------------------------------------------

for _size in (16, 17, 64, 1400):
	def _mk(size):
		@test("ping/-s %d: probes as SPEC lays them out" % size)
		def _():
			p = Responder(lambda d, a, i: [d])
			r = run(["ping", "-s", str(size), "-c", "3", "-i", "0",
			    "127.0.0.1", p.port])
			check_rc(r, 0)
			got = p.got()
			eq([len(d) for d in got], [size] * 3, "probe sizes")
			probes = [parse_probe(d) for d in got]
			eq([s for s, _ in probes], [0, 1, 2],
			    "sequence numbers")
			eq(len(set(i for _, i in probes)), 1,
			    "one identifier for the run")
			lines, _ = split(r.out)
			eq(len(replies(lines, size, "127.0.0.1:%d" %
			    p.port)), 3, "replies")
	_mk(_size)


@test("ping/identifiers differ between runs")
def _():
	p = Responder(lambda d, a, i: [d])
	for _ in range(2):
		check_rc(run(["ping", "-c", "1", "127.0.0.1", p.port]), 0)
	ids = [parse_probe(d)[1] for d in p.got()]
	ok_(ids[0] != ids[1], "two runs used identifier %08x" % ids[0])


# --- peers that misbehave ----------------------------------------------------

def later(p, delay, d, a):
	"""Sends d to a from peer p after delay seconds (unless p closed)."""
	def send():
		try:
			p.sock.sendto(d, a)
		except OSError:
			pass
	t = threading.Timer(delay, send)
	t.daemon = True
	t.start()


def drop(seqs):
	return lambda d, a, i: [] if parse_probe(d)[0] in seqs else [d]


@test("ping/a peer that drops: loss counted, exit 1")
def _():
	p = Responder(drop({1}))
	r = run(["ping", "-c", "4", "-i", "0.05", "-W", "0.3", "127.0.0.1",
	    p.port])
	check_rc(r, 1)
	eq(r.err, b"", "stderr")
	lines, summary = split(r.out)
	eq([s for s, _, _ in replies(lines, 64, "127.0.0.1:%d" % p.port)],
	    [0, 2, 3], "replies")
	check_summary(summary, 4, 3, loss="25")


for _limit, _rc in (("25", 0), ("25%", 0), ("100", 0), ("24.9", 1),
    ("24.999999%", 1), ("0", 1)):
	def _mk(limit, rc):
		@test("ping/--max-loss %s with 25%% lost: exit %d" % (limit,
		    rc))
		def _():
			p = Responder(drop({0}))
			r = run(["ping", "-q", "--max-loss", limit, "-c", "4",
			    "-i", "0", "-W", "0.2", "127.0.0.1", p.port])
			check_rc(r, rc)
			check_summary(split(r.out)[1], 4, 3, loss="25")
	_mk(_limit, _rc)


@test("ping/a peer that answers twice: (DUP) marked and counted")
def _():
	p = Responder(lambda d, a, i: [d, d])
	r = run(["ping", "-c", "3", "-i", "0.1", "127.0.0.1", p.port])
	check_rc(r, 0)
	lines, summary = split(r.out)
	got = sorted((s, d) for s, _, d in replies(lines, 64, "127.0.0.1:%d" %
	    p.port))
	# ping stops once every probe is answered: the last duplicate may
	# come after that.
	eq(got[:5], [(0, False), (0, True), (1, False), (1, True),
	    (2, False)], "replies")
	ok_(got[5:] in ([], [(2, True)]), "replies %r" % got)
	check_summary(summary, 3, 3, dups=len(got) - 3)


@test("ping/a peer that answers out of order: reordered counted")
def _():
	held = []

	def fn(d, a, i):
		seq = parse_probe(d)[0]
		if seq == 0:
			held.append(d)
			return []
		return [d] + held if seq == 1 else [d]
	p = Responder(fn)
	r = run(["ping", "-c", "3", "-i", "0.1", "127.0.0.1", p.port])
	check_rc(r, 0)
	lines, summary = split(r.out)
	eq([s for s, _, _ in replies(lines, 64, "127.0.0.1:%d" % p.port)],
	    [1, 0, 2], "replies in arrival order")
	check_summary(summary, 3, 3, reordered=1)


def foreign_too(d, a, i):
	seq, ident = parse_probe(d)
	other = MAGIC + struct.pack(">II", seq, ident ^ 1) + d[16:]
	wrong = b"udpcpinG" + d[8:]
	return [b"garbage", b"", wrong, other, d[:15], d]


@test("ping/garbage and other runs' replies: foreign, never replies")
def _():
	p = Responder(foreign_too)
	r = run(["ping", "-v", "-c", "3", "-i", "0.1", "127.0.0.1", p.port])
	check_rc(r, 0)
	lines, summary = split(r.out)
	eq([(s, d) for s, _, d in replies(lines, 64, "127.0.0.1:%d" %
	    p.port)], [(0, False), (1, False), (2, False)], "replies")
	check_summary(summary, 3, 3)
	err = r.err.decode()
	ok_(re.search(r"^udpcat: ping: 15 foreign datagrams ignored$", err,
	    re.M), "-v does not count 15 foreign datagrams: %s" % short(err))


@test("ping/--json summary counts foreign replies")
def _():
	p = Responder(foreign_too)
	r = run(["ping", "--json", "-q", "-c", "2", "-i", "0.1", "127.0.0.1",
	    p.port])
	check_rc(r, 0)
	s = json.loads(r.out)
	eq((s["received"], s["duplicates"], s["foreign"]), (2, 0, 10),
	    "received, duplicates, foreign")


@test("ping/a reply to a probe never sent is foreign")
def _():
	def fn(d, a, i):
		seq, ident = parse_probe(d)
		return [MAGIC + struct.pack(">II", seq + 1000, ident), d]
	p = Responder(fn)
	r = run(["ping", "--json", "-q", "-c", "2", "-i", "0", "127.0.0.1",
	    p.port])
	check_rc(r, 0)
	s = json.loads(r.out)
	eq((s["received"], s["foreign"]), (2, 2), "received, foreign")


@test("ping/a peer that never answers: exit 3, no rtt line")
def _():
	p = Responder(lambda d, a, i: [])
	r = run(["ping", "-c", "2", "-i", "0.1", "-W", "0.3", "127.0.0.1",
	    p.port])
	check_rc(r, 3)
	eq(r.err, b"", "stderr")
	lines, summary = split(r.out)
	eq(lines, [], "reply lines")
	check_summary(summary, 2, 0, loss="100")
	eq(len(p.got()), 2, "probes sent")


@test("ping/a peer that never answers, --json: rtt_ms null")
def _():
	p = Responder(lambda d, a, i: [])
	r = run(["ping", "--json", "-c", "1", "-W", "0.1", "127.0.0.1",
	    p.port])
	check_rc(r, 3)
	s = json.loads(r.out)
	eq((s["sent"], s["received"], s["loss_percent"], s["rtt_ms"]),
	    (1, 0, 100, None), "summary")


@test("ping/a closed port: exit 1 at once, with the summary")
def _():
	port = free_port()
	r = run(["ping", "-c", "20", "-i", "1", "127.0.0.1", port],
	    timeout=40)
	check_rc(r, 1)
	# Twenty probes a second apart would take 19 s and more.
	ok_(r.elapsed < 10, "took %.1f s: not at once" % r.elapsed)
	check_warning(one_line(r, "ping"), "ping", "refused",
	    "127.0.0.1:%d" % port)
	lines, summary = split(r.out)
	eq(lines, [], "reply lines")
	check_summary(summary, 1, 0, loss="100")


# --- waiting ----------------------------------------------------------------

@test("ping/-W: a late reply to the last probe is still counted")
def _():
	p = Responder(lambda d, a, i: later(p, 0.3, d, a))
	r = run(["ping", "-c", "1", "-W", "30", "127.0.0.1", p.port],
	    timeout=40)
	check_rc(r, 0)
	check_summary(split(r.out)[1], 1, 1)
	# It stops once every probe is answered, not after -W.
	ok_(r.elapsed < 15, "took %.1f s: waited out -W 30" % r.elapsed)
	ok_(replies(split(r.out)[0], 64, "127.0.0.1:%d" % p.port)[0][1] >= 250,
	    "the late reply's time is under 250 ms: %r" % r.out)


@test("ping/-W 0.2: a reply later than that is lost")
def _():
	p = Responder(lambda d, a, i: later(p, 1.0, d, a))
	r = run(["ping", "-c", "1", "-W", "0.2", "127.0.0.1", p.port])
	check_rc(r, 3)
	check_summary(split(r.out)[1], 1, 0, loss="100")


@test("ping/SIGINT: the summary, then exit 130")
def _():
	l = echo_listener()
	p = Proc(["ping", "-i", "0.05", "127.0.0.1", l.port])
	p.wait_out(lambda b: b.count(b"\n") >= 3)
	p.signal(signal.SIGINT)
	r = p.finish()
	check_rc(r, 130)
	lines, summary = split(r.out)
	got = replies(lines, 64, "127.0.0.1:%d" % l.port)
	ok_(len(got) >= 3, "replies %r" % got)
	m = re.fullmatch(rb"(\d+) sent, (\d+) received, 0 duplicates, "
	    rb"0 reordered, [0-9.e+-]+% loss", summary[0])
	ok_(m, "summary %r" % summary[0])
	ok_(int(m.group(2)) == len(got) and int(m.group(1)) >= len(got),
	    "counts %r against %d replies" % (summary[0], len(got)))


@test("ping/-i 0 -q while replies keep coming: SIGINT still gets in")
def _():
	p = Responder(lambda d, a, i: [d])
	q = Proc(["ping", "-q", "-i", "0", "127.0.0.1", p.port])
	p.wait_count(50)
	q.signal(signal.SIGINT)
	r = q.finish()
	check_rc(r, 130)
	ok_(re.match(rb"\d+ sent, \d+ received", r.out), "stdout %s" %
	    short(r.out))


@test("ping/SIGTERM while no reply comes: exit 143")
def _():
	p = Responder(lambda d, a, i: [])
	q = Proc(["ping", "-i", "0.05", "127.0.0.1", p.port])
	p.wait_count(2)
	q.signal(signal.SIGTERM)
	r = q.finish()
	check_rc(r, 143)
	ok_(re.match(rb"\d+ sent, 0 received", r.out), "stdout %s" %
	    short(r.out))


@test("ping/-i 0 -W 0 to a silent peer: SIGINT still gets in")
def _():
	p = Peer()
	q = Proc(["ping", "-q", "-i", "0", "-W", "0", "127.0.0.1", p.port])
	p.recv()
	q.signal(signal.SIGINT)
	r = q.finish()
	check_rc(r, 130)
	ok_(re.match(rb"\d+ sent, 0 received", r.out), "stdout %s" %
	    short(r.out))


# --- standard output -------------------------------------------------------

@test("ping/reader gone (ping | head -n 1): exit 141 quietly")
def _():
	l = echo_listener()
	q = Proc(["ping", "-i", "0.02", "127.0.0.1", l.port], collect=False)
	q.proc.stdout.readline()
	q.proc.stdout.close()
	r = q.finish()
	ok_(r.rc in SIGPIPE_RCS, "exit %r, want 141" % r.rc)
	eq(r.err, b"", "stderr")


@test("ping/standard output /dev/full: exit 1 with the reason")
def _():
	if not os.path.exists("/dev/full"):
		skip("/dev/full is missing")
	l = echo_listener()
	with open("/dev/full", "wb") as full:
		r = run(["ping", "-c", "2", "-i", "0", "127.0.0.1", l.port],
		    stdout=full)
	check_err(r, 1, "ping", "standard output", "space")


# --- usage -------------------------------------------------------------------

for _args, _words in (
    ([], ("missing",)),
    (["127.0.0.1"], ("missing PORT",)),
    (["127.0.0.1", "0"], ("port",)),
    (["127.0.0.1", "7", "8"], ("too many",)),
    (["-s", "15", "127.0.0.1", "7"], ("--size", "15")),
    (["-s", "65508", "127.0.0.1", "7"], ("--size", "65507")),
    (["-c", "0", "127.0.0.1", "7"], ("-c",)),
    (["-i", "-1", "127.0.0.1", "7"], ("--interval",)),
    (["-W", "x", "127.0.0.1", "7"], ("-W",)),
    (["--max-loss", "101", "127.0.0.1", "7"], ("--max-loss",)),
    (["--max-loss", "1.2.3", "127.0.0.1", "7"], ("--max-loss",)),
    (["--max-loss", "%", "127.0.0.1", "7"], ("--max-loss",)),
    (["--max-loss", "5%%", "127.0.0.1", "7"], ("--max-loss",)),
    (["--max-loss", "-1", "127.0.0.1", "7"], ("--max-loss",)),
    (["-4", "-6", "::1", "7"], ("-4", "-6")),
    (["-4", "::1", "7"], ("IPv6",)),
    (["--frobnicate", "127.0.0.1", "7"], ("--frobnicate",)),
):
	def _mk(args, words):
		@test("ping/usage: %s" % " ".join(args or ["(none)"]))
		def _():
			check_usage(run(["ping"] + args), "ping", *words)
	_mk(_args, _words)


@test("ping/--help, and the command list")
def _():
	r = run(["ping", "--help"])
	check_rc(r, 0)
	eq(r.out.split(b"\n", 1)[0], b"usage: udpcat ping [options] HOST PORT",
	    "first line")
	eq(run(["help", "ping"]).out, r.out, "udpcat help ping")
	top = run(["--help"]).out.decode()
	ok_(re.search(r"^\s+ping\s+\S", top, re.M), "ping not listed: %s" %
	    short(top, 600))
