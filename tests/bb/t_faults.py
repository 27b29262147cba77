# t_faults.py: faults (RELIABILITY.md): a closed port, signals, a reader
# that goes away, standard output full or closed, no busy loop when idle.

import ctypes
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

from . import util
from .util import (test, run, eq, fail, ok_, skip, check_ok, check_rc,
    check_err, check_warning, check_quiet_or_line, one_line, has_words,
    err_lines, Peer, Responder, Listener, Proc, free_port, wait_port_file,
    cpu_ticks, TICK, SIGPIPE_RCS, short, WAIT, _live)


class RawUDP:
	"""Sees the IPv4 UDP datagrams arriving on this host for one port
	(root only), so that datagrams to a closed port can be counted.  A
	classic BPF filter keeps other programs' loopback traffic (a benchmark
	running beside us) from filling the socket's buffer."""

	def __init__(self, dport):
		self.dport = dport
		try:
			self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW,
			    socket.IPPROTO_UDP)
		except PermissionError:
			skip("a raw socket (root) is needed to see datagrams "
			    "sent to a closed port")
		prog = [
			(0xb1, 0, 0, 0),	# ldxb 4*([0]&0xf): IP header length
			(0x48, 0, 0, 2),	# ldh [x+2]: UDP destination port
			(0x15, 0, 1, dport),	# jeq #dport
			(0x06, 0, 0, 0x40000),	# ret: accept
			(0x06, 0, 0, 0),	# ret: drop
		]
		self.filt = ctypes.create_string_buffer(b"".join(
		    struct.pack("HBBI", *i) for i in prog))
		fprog = struct.pack("HL", len(prog),
		    ctypes.addressof(self.filt))
		self.sock.setsockopt(socket.SOL_SOCKET, 26, fprog)  # ATTACH_FILTER
		try:
			self.sock.setsockopt(socket.SOL_SOCKET, 33, 1 << 24)  # FORCE
		except OSError:
			pass
		# what came in before the filter was attached
		self.sock.setblocking(False)
		try:
			while True:
				self.sock.recv(1 << 17)
		except BlockingIOError:
			pass
		self.sock.setblocking(True)
		_live.append(self)

	def payloads(self, quiet=0.2):
		"""The payloads that arrived for the port.  A raw socket sees a
		UDP GSO super-packet (several datagrams sent in one call) whole,
		so compare the bytes joined, not the list."""
		got = []
		end = time.monotonic() + WAIT
		while time.monotonic() < end:
			r, _, _ = select.select([self.sock], [], [], quiet)
			if not r:
				break
			pkt = self.sock.recv(1 << 17)
			ihl = (pkt[0] & 15) * 4
			sp, dp = struct.unpack("!HH", pkt[ihl:ihl + 4])
			if dp == self.dport:
				got.append(pkt[ihl + 8:])
		return got

	def cleanup(self):
		self.sock.close()


REFUSED = ("refused", "unreachable", "closed", "nobody")


# --- a closed port -----------------------------------------------------------

@test("faults/closed port: exit 1, exactly one warning")
def _():
	port = free_port()
	r = run(["send", "127.0.0.1", str(port), "a", "b", "c"])
	check_rc(r, 1)
	eq(r.out, b"", "stdout")
	line = one_line(r, "send")
	check_warning(line, "send", REFUSED)


@test("faults/closed port: every record still sent")
def _():
	port = free_port()
	raw = RawUDP(port)
	recs = [b"r%d" % i for i in range(50)]
	r = run(["send", "127.0.0.1", str(port)], input=b"\n".join(recs) + b"\n")
	check_rc(r, 1)
	line = one_line(r, "send")
	check_warning(line, "send", REFUSED)
	eq(b"".join(raw.payloads()), b"".join(recs),
	    "bytes that left for the closed port")


@test("faults/closed port with operands: every record still sent")
def _():
	port = free_port()
	raw = RawUDP(port)
	r = run(["send", "127.0.0.1", str(port), "a", "b", "c"])
	check_rc(r, 1)
	eq(b"".join(raw.payloads()), b"abc", "bytes sent")


@test("faults/closed port over IPv6: exit 1, one warning")
def _():
	from .util import need_ipv6
	need_ipv6()
	port = free_port("::1")
	r = run(["send", "::1", str(port), "a", "b", "c"])
	check_rc(r, 1)
	check_warning(one_line(r, "send"), "send", REFUSED)


# The bounds leave room for valgrind's start-up on a loaded machine (up
# to about 1 s) and stay well under the wait that not noticing the
# refusal would take.

@test("faults/closed port while waiting (-w 8): exit 1 at once")
def _():
	port = free_port()
	r = run(["send", "-w", "8", "127.0.0.1", str(port), "x"])
	check_rc(r, 1)
	eq(r.out, b"", "stdout")
	one_line(r, "send")
	has_words(r.errtext(), [REFUSED])
	ok_(r.elapsed < 4, "took %.2f s, -w was 8 s" % r.elapsed)


@test("faults/closed port while waiting with --retries: exit 1 at once")
def _():
	port = free_port()
	r = run(["send", "-w", "2", "--retries", "3", "127.0.0.1", str(port),
	    "x"])
	check_rc(r, 1)
	one_line(r, "send")
	ok_(r.elapsed < 4, "took %.2f s, the retries wait 8 s" % r.elapsed)


# --- signals ------------------------------------------------------------------

def signalled(sig, rc):
	l = Listener(["-F", "nul"])
	p = Peer()
	recs = [b"rec%d" % i for i in range(200)]
	for d in recs:
		p.send(d, l.port)
	want = b"".join(d + b"\x00" for d in recs)
	l.wait_out(want)
	l.signal(sig)
	r = l.finish()
	check_rc(r, rc)
	eq(r.out, want, "stdout")
	check_quiet_or_line(r, "listen")


@test("faults/SIGINT to a listener: exit 130, every record out")
def _():
	signalled(signal.SIGINT, 130)


@test("faults/SIGTERM to a listener: exit 143, every record out")
def _():
	signalled(signal.SIGTERM, 143)


@test("faults/SIGALRM to a listener, before and after traffic: it reads on, every record out")
def _():
	# The man page: for a command that receives, an outside SIGALRM
	# only ends the read that waits after traffic early.
	l = Listener(["-F", "nul"])
	l.signal(signal.SIGALRM)		# before any traffic
	p = Peer()
	want = b""
	for burst in range(3):
		recs = [b"b%d-rec%d" % (burst, i) for i in range(100)]
		for d in recs:
			p.send(d, l.port)
		want += b"".join(d + b"\x00" for d in recs)
		l.wait_out(want)
		l.signal(signal.SIGALRM)	# in or near the held read
	time.sleep(0.1)
	l.signal(signal.SIGALRM)		# in the wait after it
	time.sleep(0.1)
	ok_(l.alive(), "the listener exited on SIGALRM")
	l.signal(signal.SIGTERM)
	r = l.finish()
	check_rc(r, 143)
	eq(r.out, want, "stdout")
	check_quiet_or_line(r, "listen")


@test("faults/SIGINT to an idle listener with --stats: 130, stats line")
def _():
	l = Listener(["--stats"])
	Peer().send(b"abc", l.port)
	l.wait_out(b"abc\n")
	l.signal(signal.SIGINT)
	r = l.finish()
	check_rc(r, 130)
	eq(r.out, b"abc\n", "stdout")
	line = one_line(r, "listen")
	ok_(line.startswith("udpcat: listen: 1 datagrams, 3 bytes"),
	    "stats line %r" % line)


@test("faults/SIGINT to send --repeat 0: exit 130, datagrams whole")
def _():
	resp = Responder(lambda d, a, i: [])
	s = Proc(["send", "--repeat", "0", "--rate", "200", "127.0.0.1",
	    str(resp.port), "whole-datagram"])
	resp.wait_count(5)
	s.signal(signal.SIGINT)
	r = s.finish()
	check_rc(r, 130)
	eq(r.out, b"", "stdout")
	check_quiet_or_line(r, "send")
	got = resp.got()
	ok_(len(got) >= 5, "only %d datagrams" % len(got))
	eq(set(got), {b"whole-datagram"}, "datagram contents")


@test("faults/SIGINT to a busy, unpaced send --repeat 0: exit 130")
def _():
	# It never waits, so it must look for signals as it goes.
	p = Peer()
	s = Proc(["send", "--repeat", "0", "127.0.0.1", p.port, "flood"])
	p.recv()
	s.signal(signal.SIGINT)
	r = s.finish()
	check_rc(r, 130)
	check_quiet_or_line(r, "send")


@test("faults/SIGINT during a long -i pause: exit 130 at once")
def _():
	p = Peer()
	s = Proc(["send", "-i", "10m", "127.0.0.1", p.port, "one", "two"])
	eq(p.recv()[0], b"one", "first datagram")
	t0 = time.monotonic()
	s.signal(signal.SIGINT)
	r = s.finish()
	check_rc(r, 130)
	ok_(time.monotonic() - t0 < 3, "took %.1f s to stop" %
	    (time.monotonic() - t0))
	eq(p.data(), [], "datagrams after the first")


@test("faults/SIGTERM to send -w while waiting: exit 143")
def _():
	resp = Responder(lambda d, a, i: [b"r"])
	s = Proc(["send", "-w", "30", "127.0.0.1", str(resp.port), "q"])
	s.wait_out(b"r\n")
	s.signal(signal.SIGTERM)
	r = s.finish()
	check_rc(r, 143)
	eq(r.out, b"r\n", "stdout")


def input_signalled(sig, rc):
	"""send reading a pipe that stays open: sig while it waits for more
	ends it at once with rc; the line before went, the unfinished one
	after does not (a signal is not the end of the input)."""
	p = Peer()
	s = Proc(["send", "127.0.0.1", p.port], stdin=subprocess.PIPE)
	try:
		s.proc.stdin.write(b"line\n")
		s.proc.stdin.flush()
		eq(p.recv()[0], b"line", "the first datagram")
		s.proc.stdin.write(b"unfinished")
		s.proc.stdin.flush()
		time.sleep(0.05)	# read or not: either way it must not go
		t0 = time.monotonic()
		s.signal(sig)
		r = s.finish()
		took = time.monotonic() - t0
	finally:
		s.proc.stdin.close()
	check_rc(r, rc)
	ok_(took < 3, "took %.1f s to stop" % took)
	check_quiet_or_line(r, "send")
	eq(p.data(), [], "datagrams after the signal")


@test("faults/SIGINT to send waiting on an open pipe: 130 at once")
def _():
	input_signalled(signal.SIGINT, 130)


@test("faults/SIGTERM to send waiting on an open pipe: 143 at once")
def _():
	input_signalled(signal.SIGTERM, 143)


# --- the reader goes away ---------------------------------------------------------

def reader_gone(more, **kw):
	"""listen to a pipe; read one line, close the pipe; with more,
	keep sending.  Returns (Result, seconds from close to exit)."""
	l = Listener([], collect=False, **kw)
	p = Peer()
	p.send(b"first", l.port)
	fd = l.proc.stdout.fileno()
	buf = b""
	end = time.monotonic() + WAIT
	while b"\n" not in buf and time.monotonic() < end:
		r, _, _ = select.select([fd], [], [], 0.2)
		if r:
			b = os.read(fd, 4096)
			if not b:
				break
			buf += b
	eq(buf, b"first\n", "first line")
	l.proc.stdout.close()
	t0 = time.monotonic()
	end = t0 + 3
	while l.alive() and time.monotonic() < end:
		if more:
			p.send(b"more", l.port)
		time.sleep(0.02)
	gone = time.monotonic() - t0
	r = l.finish()
	return r, gone


def exits_quietly(more, **kw):
	"""reader_gone(): exit 141, nothing on stderr, within 2 s."""
	r, gone = reader_gone(more, **kw)
	ok_(r.rc in SIGPIPE_RCS, "exit %r, want 141 (or killed by SIGPIPE)" %
	    r.rc)
	eq(r.err, b"", "stderr")
	ok_(gone < 2, "exited %.2f s after the reader went" % gone)


@test("faults/reader gone (listen | head -n 1): exit 141 quietly")
def _():
	exits_quietly(True)


@test("faults/reader gone with SIGPIPE ignored: exit 141 quietly")
def _():
	exits_quietly(True, restore_signals=False)


@test("faults/reader gone, no more datagrams: exits right after")
def _():
	exits_quietly(False)


def alarm_held_back():
	"""In the child before exec: SIGALRM blocked and ignored, as a
	parent may leave them."""
	signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])
	signal.signal(signal.SIGALRM, signal.SIG_IGN)


@test("faults/reader gone, no more datagrams, SIGALRM blocked and ignored by the parent: exits right after")
def _():
	# The read that waits after traffic ends by SIGALRM: udpcat must
	# take it back from what it inherited.
	exits_quietly(False, preexec_fn=alarm_held_back)


# --- standard output full or closed -------------------------------------------

@test("faults/listen to /dev/full: exit 1 with the reason")
def _():
	if not os.path.exists("/dev/full"):
		skip("/dev/full is missing")
	with open("/dev/full", "wb") as full:
		l = Listener([], stdout=full)
	Peer().send(b"x", l.port)
	r = l.finish()
	check_err(r, 1, "listen", "space")


@test("faults/send -w replies to /dev/full: exit 1 with the reason")
def _():
	if not os.path.exists("/dev/full"):
		skip("/dev/full is missing")
	resp = Responder(lambda d, a, i: [b"r"])
	with open("/dev/full", "wb") as full:
		r = run(["send", "-w", "2", "127.0.0.1", str(resp.port), "q"],
		    stdout=full)
	check_err(r, 1, "send", "space")


@test("faults/listen with standard output closed: exit 1 with the reason")
def _():
	vg_changes_descriptors()
	# udpcat may notice at once (no port file) or at the first write
	d = tempfile.mkdtemp(prefix="udpcat-bb-")
	pf = os.path.join(d, "port")
	l = Proc(["listen", "--port-file", pf, "-n", "1", "0"],
	    stdout=subprocess.DEVNULL, wrap=["sh", "-c", 'exec "$0" "$@" >&-'])
	end = time.monotonic() + WAIT
	while not os.path.exists(pf) and l.alive() and time.monotonic() < end:
		time.sleep(0.01)
	try:
		if os.path.exists(pf):
			port = wait_port_file(pf, l)
			Peer().send(b"x", port)
		r = l.finish()
	finally:
		shutil.rmtree(d, ignore_errors=True)
	check_err(r, 1, "listen")
	ok_(b"closed" in r.err, "the reason names the closed output: %r" %
	    r.err)


@test("faults/send with standard input closed: exit 1, nothing sent")
def _():
	vg_changes_descriptors()
	# The socket must not take descriptor 0 and be read as the input.
	p = Peer()
	l = Proc(["send", "127.0.0.1", p.port], wrap=["sh", "-c",
	    'exec "$0" "$@" <&-'])
	r = l.finish()
	check_err(r, 1, "send")
	ok_(b"standard input" in r.err and b"closed" in r.err,
	    "the reason names the closed input: %r" % r.err)
	eq(p.data(), [], "datagrams at the peer")


def vg_changes_descriptors():
	if util.VALGRIND_DIR:
		skip("valgrind opens descriptors of its own in the gap")


# --- no busy loop -------------------------------------------------------------

def idle_cpu_ms(pid, seconds=1.0):
	c0 = cpu_ticks(pid)
	time.sleep(seconds)	# measuring CPU over an interval, not syncing
	return (cpu_ticks(pid) - c0) * 1000.0 / TICK


@test("faults/an idle listener uses no CPU")
def _():
	l = Listener([])
	ms = idle_cpu_ms(l.pid)
	ok_(ms < 20, "idle listener used %.0f ms CPU in 1 s" % ms)
	ok_(l.alive(), "listener exited")


@test("faults/echo to a closed port: no busy loop, keeps running")
def _():
	l = Listener(["--echo"])
	p = Peer()
	p.send(b"x", l.port)
	l.wait_out(b"x\n")
	p.close()	# the echo went (or goes) to a closed port: ICMP
	ms = idle_cpu_ms(l.pid)
	ok_(ms < 20, "listener used %.0f ms CPU in 1 s" % ms)
	ok_(l.alive(), "listener exited after an ICMP error")
	q = Peer()
	q.send(b"y", l.port)
	l.wait_out(b"x\ny\n")
	eq(q.data(), [b"y"], "echo to a new sender")
	l.signal(signal.SIGTERM)
	r = l.finish()
	check_rc(r, 143)
	eq(r.out, b"x\ny\n", "stdout")
