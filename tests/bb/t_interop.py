# t_interop.py: udpcat against programs we did not write (socat,
# nc.openbsd) in both directions, and broadcast on loopback.

import os
import re
import subprocess

from .util import (test, run, eq, fail, ok_, skip, check_ok, check_rc,
    check_err, check_usage, one_line, has_words, Peer, Responder, Listener,
    Background, free_port, need_ipv6, need_tool, need_command, short, ALL256,
    WAIT)

SOCAT = "/usr/bin/socat"
NC = "/usr/bin/nc.openbsd"


def foreign(argv, input=b"", timeout=10):
	p = subprocess.run(argv, input=input, capture_output=True,
	    timeout=timeout)
	if p.returncode != 0:
		fail("%s exited %d: %s" % (" ".join(argv), p.returncode,
		    short(p.stderr)))
	return p


# --- foreign senders to udpcat listen ---------------------------------------

@test("socat/socat UDP-SENDTO to udpcat listen")
def _():
	need_tool(SOCAT)
	l = Listener(["-n", "1", "-e", "hex"])
	foreign([SOCAT, "-u", "-", "UDP-SENDTO:127.0.0.1:%d" % l.port],
	    input=ALL256)
	check_ok(l.finish(), ALL256.hex().encode() + b"\n")


@test("socat/socat UDP-DATAGRAM to udpcat listen -P")
def _():
	need_tool(SOCAT)
	l = Listener(["-n", "1", "-P"])
	foreign([SOCAT, "-u", "-", "UDP-DATAGRAM:127.0.0.1:%d" % l.port],
	    input=b"hello socat")
	r = l.finish()
	check_rc(r, 0)
	eq(r.err, b"", "stderr")
	ok_(re.fullmatch(rb"127\.0\.0\.1:\d+ hello socat\n", r.out),
	    "stdout %s" % short(r.out))


@test("socat/socat UDP6-SENDTO [::1] to udpcat listen -P")
def _():
	need_tool(SOCAT)
	need_ipv6()
	l = Listener(["-n", "1", "-P"])
	foreign([SOCAT, "-u", "-", "UDP6-SENDTO:[::1]:%d" % l.port],
	    input=b"six")
	r = l.finish()
	check_rc(r, 0)
	ok_(re.fullmatch(rb"\[::1\]:\d+ six\n", r.out), "stdout %s" % short(r.out))


@test("socat/nc.openbsd -u to udpcat listen")
def _():
	need_tool(NC)
	l = Listener(["-n", "1", "-F", "length"])
	foreign([NC, "-u", "-q", "0", "127.0.0.1", str(l.port)],
	    input=b"hello nc\n")
	check_ok(l.finish(), b"\x00\x09hello nc\n")


# --- udpcat send to foreign receivers ------------------------------------------

def socat_receiver(extra=()):
	"""socat -u UDP-RECV:PORT,bind=127.0.0.1 - on a port picked by
	binding and closing a Python socket; the pick is racy, so a bind
	failure is retried once.  Returns (Background, port)."""
	need_tool(SOCAT)
	for attempt in range(2):
		port = free_port()
		bg = Background([SOCAT, "-u", "UDP-RECV:%d,bind=127.0.0.1" % port,
		    "-"] + list(extra))
		if bg.wait_bound(port):
			return bg, port
		bg.stop()
	fail("socat could not bind a free port twice")


@test("socat/udpcat send to socat UDP-RECV: exact bytes")
def _():
	bg, port = socat_receiver()
	want = [b"abc", b"", b"\x00\xff\n", ALL256]
	r = run(["send", "-e", "hex", "127.0.0.1", str(port)] +
	    [d.hex() for d in want])
	check_ok(r)
	total = b"".join(want)
	out = bg.wait_out(len(total))
	eq(out, total, "bytes socat received")
	out, _ = bg.stop()
	eq(out, total, "bytes socat received")


@test("socat/udpcat send -F whole 8000 bytes to socat")
def _():
	bg, port = socat_receiver()
	d = os.urandom(8000)
	check_ok(run(["send", "-F", "whole", "127.0.0.1", str(port)], input=d))
	eq(bg.wait_out(len(d)), d, "bytes socat received")


@test("socat/udpcat send -w to a socat echo (UDP-LISTEN, PIPE)")
def _():
	need_tool(SOCAT)
	for attempt in range(2):
		port = free_port()
		bg = Background([SOCAT, "UDP-LISTEN:%d,bind=127.0.0.1" % port,
		    "PIPE"])
		if bg.wait_bound(port):
			break
		bg.stop()
	else:
		fail("socat could not bind a free port twice")
	r = run(["send", "-w", "500ms", "-n", "1", "127.0.0.1", str(port),
	    "ping"])
	check_ok(r, b"ping\n")


# --- broadcast ------------------------------------------------------------

BCAST = "127.255.255.255"


def bcast_peer():
	# bound to the wildcard, so that broadcasts to 127.255.255.255
	# reach it; traffic still stays on lo
	return Peer("0.0.0.0", broadcast=True)


@test("broadcast/broadcast --to 127.255.255.255")
def _():
	p = bcast_peer()
	r = run(["broadcast", "--to", BCAST, str(p.port), "a", "", "b"])
	check_ok(r)
	got = p.drain()
	eq([d for d, _ in got], [b"a", b"", b"b"], "datagrams")
	eq(got[0][1][0], "127.0.0.1", "source address")


@test("broadcast/broadcast --to from standard input, hex")
def _():
	p = bcast_peer()
	r = run(["broadcast", "-e", "hex", "--to", BCAST, str(p.port)],
	    input=b"00ff\n6869\n")
	check_ok(r)
	eq(p.data(), [b"\x00\xff", b"hi"], "datagrams")


@test("broadcast/send to 127.255.255.255 without --broadcast: exit 1, hint")
def _():
	p = bcast_peer()
	r = run(["send", BCAST, str(p.port), "x"])
	check_err(r, 1, "send", "broadcast")
	eq(p.data(), [], "datagrams")


@test("broadcast/send --broadcast to 127.255.255.255")
def _():
	p = bcast_peer()
	check_ok(run(["send", "--broadcast", BCAST, str(p.port), "x"]))
	eq(p.data(), [b"x"], "datagrams")


@test("broadcast/udpcat listen receives a Python broadcast")
def _():
	l = Listener(["-n", "1", "-P"])
	p = Peer(broadcast=True)
	p.send(b"bc", l.port, BCAST)
	check_ok(l.finish(), b"127.0.0.1:%d bc\n" % p.port)


@test("broadcast/udpcat broadcast to udpcat listen")
def _():
	l = Listener(["-n", "2"])
	check_ok(run(["broadcast", "--to", BCAST, str(l.port), "one", "two"]))
	check_ok(l.finish(), b"one\ntwo\n")


@test("broadcast/discovery: -w -P prints every responder")
def _():
	resp = Responder(lambda d, a, i: [b"pong-" + d], host="0.0.0.0",
	    broadcast=True)
	r = run(["broadcast", "-P", "-w", "500ms", "--to", BCAST,
	    str(resp.port), "ping"])
	check_ok(r, b"127.0.0.1:%d pong-ping\n" % resp.port)
	eq(resp.got(), [b"ping"], "datagrams at the responder")


@test("broadcast/-6 without -I: usage error")
def _():
	check_usage(run(["broadcast", "-6", "9", "x"]), "broadcast")


@test("broadcast/limited broadcast 255.255.255.255")
def _():
	# The default destination 255.255.255.255 leaves through the first
	# broadcast-capable interface, not lo: our rule is loopback only.
	ip = need_command("ip")
	try:
		p = subprocess.run([ip, "route", "get", "255.255.255.255"],
		    capture_output=True, timeout=5)
		route = p.stdout.decode()
	except (OSError, subprocess.TimeoutExpired):
		route = ""
	if " dev lo " not in route:
		skip("255.255.255.255 is routed off loopback here (%s); the "
		    "suite sends only to 127.0.0.0/8 and ::1" %
		    (route.split("\n")[0].strip() or "no route"))
	q = bcast_peer()
	check_ok(run(["broadcast", str(q.port), "lim"]))
	eq(q.data(), [b"lim"], "datagrams")
