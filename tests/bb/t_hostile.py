# t_hostile.py: the defects of 1.0 found by hostile testing (issue 10 and
# RELIABILITY.md's last table): loops that signals cannot enter, a
# datagram spoofed from the listener's own address, --rate bursts, a hung
# reader, an O_NONBLOCK standard output, a signal at end of input, lost
# totals, bind errors that do not name the address, a planted symlink at
# --port-file, 5,000 --allow prefixes.

import errno
import fcntl
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

from . import util
from .util import (test, run, eq, fail, ok_, skip, check_ok, check_rc,
    check_err, check_warning, one_line, err_lines, Peer, Responder,
    Listener, Proc, cpu_ticks, TICK, need_ipv6, short,
    timing_sensitive, WAIT, _live)

F_SETPIPE_SZ = 1031		# Linux
FIONREAD = 0x541b		# Linux


def small_pipe(size=4096):
	"""A pipe (r, w) holding at most size bytes where the system lets us
	shrink it, so that a few records fill it."""
	r, w = os.pipe()
	try:
		fcntl.fcntl(r, F_SETPIPE_SZ, size)
	except OSError:
		pass
	return r, w


def pipe_fill(fd):
	return struct.unpack("i", fcntl.ioctl(fd, FIONREAD, b"\0\0\0\0"))[0]


def proc_state(pid):
	"""The one-letter state of pid (R, S, T, Z ...) from /proc."""
	with open("/proc/%d/stat" % pid) as f:
		s = f.read()
	return s[s.rindex(")") + 2]


# ppoll(2)'s number, where /proc/PID/syscall shows it (x86-64, arm64).
PPOLL_NR = {"x86_64": 271, "aarch64": 73}.get(os.uname().machine)


def waits_on_output(pid):
	"""True when pid sleeps in a ppoll() of one descriptor: the wait of a
	command for standard output to take more (a wait for datagrams or
	input watches two or more).  Without /proc/PID/syscall (or on
	another machine), the sleep alone."""
	try:
		with open("/proc/%d/syscall" % pid) as f:
			words = f.read().split()
	except OSError:
		words = []
	if PPOLL_NR is None or len(words) < 3 or words[0] == "running":
		return proc_state(pid) in "SD"
	return int(words[0]) == PPOLL_NR and int(words[2], 16) == 1


def wait_until(pred, what, timeout=WAIT):
	"""Polls pred (bounded) until it is true; fails naming what."""
	end = time.monotonic() + timeout
	while not pred():
		if time.monotonic() > end:
			fail("waited %.1f s for %s" % (timeout, what))
		time.sleep(0.002)


def most_in_window(times, width):
	"""The largest number of times that fall in one window [t, t+width)."""
	ts = sorted(times)
	best = j = 0
	for i in range(len(ts)):
		while ts[i] - ts[j] >= width:
			j += 1
		best = max(best, i - j + 1)
	return best


# --- 1: repeating nothing ends at once; repeating forever stops on SIGINT --

def repeat_nothing(opts):
	timing_sensitive()
	p = Peer()
	r = run(["send"] + opts + ["127.0.0.1", p.port], timeout=3)
	check_ok(r)
	ok_(r.elapsed < 2, "took %.2f s to repeat nothing" % r.elapsed)
	eq(p.data(), [], "datagrams sent")


@test("hostile/send --repeat 0 with empty input: exit 0 at once")
def _():
	repeat_nothing(["--repeat", "0"])


@test("hostile/send --repeat 4294967295 with empty input: exit 0 at once")
def _():
	repeat_nothing(["--repeat", "4294967295"])


@test("hostile/send --repeat 0 -F length with empty input: exit 0 at once")
def _():
	repeat_nothing(["--repeat", "0", "-F", "length"])


@test("hostile/send --repeat 0 of held standard input: SIGINT stops it")
def _():
	timing_sensitive()
	p = Peer()
	s = Proc(["send", "--repeat", "0", "127.0.0.1", p.port],
	    stdin=subprocess.PIPE)
	s.proc.stdin.write(b"again\n")
	s.proc.stdin.close()
	p.recv_n(3)
	t0 = time.monotonic()
	s.signal(signal.SIGINT)
	r = s.finish(timeout=3)
	check_rc(r, 130)
	ok_(time.monotonic() - t0 < 2, "took %.2f s to stop" %
	    (time.monotonic() - t0))


# --- 2: a datagram spoofed from the listener's own address ---------------

def csum(b):
	if len(b) % 2:
		b += b"\0"
	s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
	while s >> 16:
		s = (s & 0xffff) + (s >> 16)
	return ~s & 0xffff


def spoof(host, port, payload):
	"""Sends one UDP datagram from host:port to host:port through a raw
	socket (root only): what anyone on the path could forge."""
	v6 = ":" in host
	fam = socket.AF_INET6 if v6 else socket.AF_INET
	try:
		s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW)
	except PermissionError:
		skip("a raw socket (root) is needed to forge a source address")
	a = socket.inet_pton(fam, host)
	ulen = 8 + len(payload)
	pseudo = a + a + (struct.pack("!IxxxB", ulen, 17) if v6 else
	    struct.pack("!xBH", 17, ulen))
	udp = struct.pack("!HHHH", port, port, ulen, 0) + payload
	c = csum(pseudo + udp) or 0xffff
	udp = udp[:6] + struct.pack("!H", c) + udp[8:]
	if v6:
		ip = struct.pack("!IHBB", 6 << 28, ulen, 17, 64) + a + a
	else:
		ip = struct.pack("!BBHHHBBH", 0x45, 0, 20 + ulen, 0, 0, 64, 17,
		    0) + a + a
		ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
	try:
		s.sendto(ip + udp, (host, 0))
	except OSError as e:
		if v6:
			skip("a raw IPv6 datagram with its own header "
			    "cannot be sent here: %s" % e)
		raise
	finally:
		s.close()


def self_loop(opts, operands, host):
	"""Two datagrams forged from the listener's own address and port, then
	one from a real peer: the forged ones are written out, never answered
	(no loop: exactly three records, little CPU), a warning naming the
	listener's own address once; the real one is answered."""
	timing_sensitive()
	l = Listener(opts, operands=operands)
	spoof(host, l.port, b"spoof")
	l.wait_out(b"spoof\n")
	spoof(host, l.port, b"spoof")
	l.wait_out(b"spoof\nspoof\n")
	p = Peer(host)
	p.send(b"marker", l.port)
	want = b"marker" if "--echo" in opts else b"X"
	eq(p.recv()[0], want, "answer to the real peer")
	t0 = cpu_ticks(l.pid)
	time.sleep(0.5)		# a window to measure CPU in, not a wait
	used = (cpu_ticks(l.pid) - t0) / TICK
	l.signal(signal.SIGTERM)
	r = l.finish()
	check_rc(r, 143)
	eq(r.out[:200], b"spoof\nspoof\nmarker\n", "stdout (first 200 bytes)")
	eq(len(r.out), 19, "stdout length")
	ok_(used < 0.1, "%.2f s of CPU in 0.5 s after the forged datagrams" %
	    used)
	lines = err_lines(r)
	own = [x for x in lines if "own address" in x]
	eq(len(own), 1, "stderr lines about the own address (%s)" %
	    short(lines, 300))
	check_warning(own[0], "listen", "own address")
	eq(len(lines), 1, "stderr lines (%s)" % short(lines, 300))
	eq(p.data(), [], "more answers to the real peer")


@test("hostile/--echo bound to 127.0.0.1: forged own-address datagram")
def _():
	self_loop(["--echo"], ["127.0.0.1", "0"], "127.0.0.1")


@test("hostile/--echo on every address: forged own-address datagram")
def _():
	self_loop(["--echo"], ["0"], "127.0.0.1")


@test("hostile/--reply on every address: forged own-address datagram")
def _():
	self_loop(["--reply", "X"], ["0"], "127.0.0.1")


@test("hostile/--reply bound to 127.0.0.1: forged own-address datagram")
def _():
	self_loop(["--reply", "X"], ["127.0.0.1", "0"], "127.0.0.1")


@test("hostile/--echo bound to ::1: forged own-address datagram")
def _():
	need_ipv6()
	self_loop(["--echo"], ["::1", "0"], "::1")


# --- 4: --rate never bursts ----------------------------------------------

@test("hostile/--rate 100 after 2 s of idle input: no burst")
def _():
	timing_sensitive()
	resp = Responder(lambda d, a, i: [])
	s = Proc(["send", "--rate", "100", "127.0.0.1", resp.port],
	    stdin=subprocess.PIPE)
	s.proc.stdin.write(b"first\n")
	s.proc.stdin.flush()
	resp.wait_count(1)
	time.sleep(2)		# the idle input is the case itself
	s.proc.stdin.write(b"".join(b"r%d\n" % i for i in range(250)))
	s.proc.stdin.close()
	r = s.finish(timeout=15)
	check_ok(r)
	resp.wait_count(251)
	t = resp.times()[1:]
	sec = most_in_window(t, 1.0)
	tenth = most_in_window(t, 0.1)
	ok_(sec <= 102, "%d datagrams in one second at --rate 100" % sec)
	ok_(tenth <= 15, "%d datagrams in 100 ms at --rate 100" % tenth)


@test("hostile/--rate 10 with --retries after -w 1: no burst")
def _():
	timing_sensitive()
	resp = Responder(lambda d, a, i: [])
	r = run(["send", "--rate", "10", "-w", "1", "--retries", "2",
	    "127.0.0.1", resp.port] + ["d%d" % i for i in range(10)],
	    timeout=20)
	check_rc(r, 3)
	resp.wait_count(30)
	t = resp.times()
	eq(len(t), 30, "datagrams sent in three rounds")
	sec = most_in_window(t, 1.0)
	tenth = most_in_window(t, 0.1)
	ok_(sec <= 11, "%d datagrams in one second at --rate 10" % sec)
	ok_(tenth <= 3, "%d datagrams in 100 ms at --rate 10" % tenth)


# --- 5: a signal ends a command whose reader hangs -------------------------

FORTY = [b"%03d" % i + b"h" * 997 for i in range(40)]	# 40 records of 1001


def start_listen(w):
	l = Listener(stdout=w)
	p = Peer()
	for d in FORTY:
		p.send(d, l.port)
	return l


def start_send(w):
	resp = Responder(lambda d, a, i: FORTY)
	return Proc(["send", "-w", "10", "127.0.0.1", resp.port, "q"],
	    stdout=w)


def hung_reader(start, cmd, sig, rc):
	"""start(w) runs CMD writing 40 records of 1001 bytes into a pipe
	that holds 4096 and is never read; sig must end it within 2 s with
	exit status rc and a count of the records not written."""
	timing_sensitive()
	r, w = small_pipe()
	try:
		s = start(w)
		os.close(w)
		w = -1
		# the pipe full, the command blocked writing the rest: how full
		# depends on how the writes fell (a non-blocking writer may be
		# refused with some room left), but never less than a record
		wait_until(lambda: pipe_fill(r) >= 1001 and
		    waits_on_output(s.pid), "a full pipe", 4 * WAIT)
		t0 = time.monotonic()
		s.signal(sig)
		res = s.finish(timeout=4)
		took = time.monotonic() - t0
	finally:
		os.close(r)
		if w >= 0:
			os.close(w)
	check_rc(res, rc)
	ok_(took < 2, "took %.2f s to stop" % took)
	m = [re.search(r"\b(\d+) records? (were )?not written", x)
	    for x in err_lines(res)]
	m = [x for x in m if x]
	ok_(len(m) == 1, "no single 'N records not written' line: %s" %
	    short(res.err, 300))
	ok_(err_lines(res)[0].startswith("udpcat: %s: " % cmd),
	    "stderr %s" % short(res.err, 300))
	n = int(m[0].group(1))
	ok_(1 <= n <= 40, "%d records not written, of 40" % n)


@test("hostile/SIGINT to a listener whose reader hangs: 130 at once")
def _():
	hung_reader(start_listen, "listen", signal.SIGINT, 130)


@test("hostile/SIGTERM to a listener whose reader hangs: 143 at once")
def _():
	hung_reader(start_listen, "listen", signal.SIGTERM, 143)


@test("hostile/SIGINT to send -w whose reader of replies hangs: 130")
def _():
	hung_reader(start_send, "send", signal.SIGINT, 130)


# --- 6: an O_NONBLOCK standard output is waited for ------------------------

@test("hostile/O_NONBLOCK standard output, slow reader: all 3000 records")
def _():
	r, w = small_pipe()
	fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) |
	    os.O_NONBLOCK)
	n = 3000
	recs = [b"%04d" % i + b"n" * 95 for i in range(n)]
	got = bytearray()
	lines = [0]

	def reader():		# slow: 1 KiB a millisecond at most
		while True:
			b = os.read(r, 1024)
			if not b:
				return
			got.extend(b)
			lines[0] += b.count(b"\n")
			time.sleep(0.001)

	try:
		l = Listener(["-n", str(n)], stdout=w)
		os.close(w)
		w = -1
		th = threading.Thread(target=reader, daemon=True)
		th.start()
		p = Peer()
		for i, d in enumerate(recs):
			# at most 500 ahead of what came out: no kernel drops
			end = time.monotonic() + 2 * WAIT
			while lines[0] < i - 500 and l.alive() and \
			    time.monotonic() < end:
				time.sleep(0.002)
			if not l.alive():
				break
			p.send(d, l.port)
		res = l.finish(timeout=2 * WAIT)
		th.join(WAIT)
	finally:
		os.close(r)
		if w >= 0:
			os.close(w)
	check_rc(res, 0)
	eq(res.err, b"", "stderr")
	out = bytes(got)
	eq(out.count(b"\n"), n, "records written")
	eq(out, b"".join(d + b"\n" for d in recs), "stdout")


@test("hostile/O_NONBLOCK standard output of send -w: all 100 replies")
def _():
	r, w = small_pipe()
	fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) |
	    os.O_NONBLOCK)
	reps = [b"%03d" % i + b"n" * 96 for i in range(100)]
	resp = Responder(lambda d, a, i: reps if i == 0 else [])
	got = bytearray()

	def reader():		# slow: 1 KiB a millisecond at most
		while True:
			b = os.read(r, 1024)
			if not b:
				return
			got.extend(b)
			time.sleep(0.001)

	try:
		s = Proc(["send", "-w", "5", "-n", "100", "127.0.0.1",
		    resp.port, "q"], stdout=w)
		os.close(w)
		w = -1
		th = threading.Thread(target=reader, daemon=True)
		th.start()
		res = s.finish(timeout=2 * WAIT)
		th.join(WAIT)
	finally:
		os.close(r)
		if w >= 0:
			os.close(w)
	check_rc(res, 0)
	eq(res.err, b"", "stderr")
	eq(bytes(got), b"".join(d + b"\n" for d in reps), "stdout")


# --- 7: a signal that comes as standard input ends -------------------------

def stdin_send():
	"""udpcat send reading a pipe, one record through and acknowledged."""
	p = Peer()
	s = Proc(["send", "127.0.0.1", p.port], stdin=subprocess.PIPE)
	s.proc.stdin.write(b"a\n")
	s.proc.stdin.flush()
	eq(p.recv()[0], b"a", "first record")
	return s


def together(s, signal_first):
	if signal_first:
		s.signal(signal.SIGINT)
		s.proc.stdin.close()
	else:
		s.proc.stdin.close()
		s.signal(signal.SIGINT)


def runs(pid):
	"""How many times pid has been given a CPU (/proc/PID/schedstat);
	None once it is gone."""
	try:
		with open("/proc/%d/schedstat" % pid) as f:
			return int(f.read().split()[2])
	except (OSError, IndexError, ValueError):
		return None


def eof_and_sigint_pinned(signal_first):
	"""SIGINT and EOF both reach a send asleep waiting for input before it
	runs again: it shares one CPU with this thread at SCHED_IDLE, so it
	does not run between the two (a task it woke cannot preempt a normal
	one), and /proc/PID/schedstat tells the rare case that it did.  Its
	wait then reports the input ready and the signal pending, the moment
	1.0 lost the signal in.  Returns (exit status, whether both came
	while it slept)."""
	s = stdin_send()
	mine = os.sched_getaffinity(0)
	cpu = min(mine)
	try:
		os.sched_setaffinity(0, {cpu})
		os.sched_setaffinity(s.pid, {cpu})
		os.sched_setscheduler(s.pid, os.SCHED_IDLE, os.sched_param(0))
		wait_until(lambda: proc_state(s.pid) == "S", "a waiting send")
		before = runs(s.pid)
		together(s, signal_first)
		after = runs(s.pid)
		asleep = before is not None and after == before
	finally:
		os.sched_setaffinity(0, mine)
	return s.finish().rc, asleep


def eof_and_sigint_20(signal_first):
	"""20 tries in which both came while the send slept: 130 each time."""
	if util.VALGRIND_DIR:
		skip("valgrind takes signals itself: the moment cannot be staged")
	if not os.path.exists("/proc/self/schedstat"):
		skip("/proc/PID/schedstat is missing (no CONFIG_SCHED_INFO)")
	rcs = []
	for _ in range(60):
		rc, asleep = eof_and_sigint_pinned(signal_first)
		if asleep:
			rcs.append(rc)
			if len(rcs) == 20:
				break
	ok_(all(rc == 130 for rc in rcs), "exit statuses %s" % rcs)
	if len(rcs) < 10:
		skip("only %d of 60 tries had both arrive while the send "
		    "slept" % len(rcs))


def eof_and_sigint_stopped(signal_first):
	"""Both while the send is stopped (SIGSTOP), then SIGCONT."""
	s = stdin_send()
	s.signal(signal.SIGSTOP)
	wait_until(lambda: proc_state(s.pid) == "T", "a stopped send")
	together(s, signal_first)
	s.signal(signal.SIGCONT)
	return s.finish()


@test("hostile/SIGINT and EOF at once (EOF first): exit 130, 20 times")
def _():
	eof_and_sigint_20(False)


@test("hostile/SIGINT and EOF at once (SIGINT first): exit 130, 20 times")
def _():
	eof_and_sigint_20(True)


@test("hostile/SIGINT and EOF while stopped: exit 130, 2 x 10 times")
def _():
	rcs = [eof_and_sigint_stopped(i % 2 == 0).rc for i in range(20)]
	ok_(rcs == [130] * 20, "exit statuses %s" % rcs)


# --- 10: totals reported on every exit path -------------------------------

def truncated_then(sig, rc, stats):
	l = Listener(["--max-size", "10"] + (["--stats"] if stats else []))
	p = Peer()
	for i in range(15):
		p.send(b"%02d" % i + b"t" * 18, l.port)
	l.wait_out(15 * 11)
	l.signal(sig)
	r = l.finish()
	check_rc(r, rc)
	eq(r.out, b"".join(b"%02d" % i + b"t" * 8 + b"\n" for i in range(15)),
	    "stdout")
	lines = err_lines(r)
	tot = [x for x in lines if "truncated in all" in x]
	ok_(len(tot) == 1, "no 'truncated in all' line: %s" % short(lines,
	    400))
	check_warning(tot[0], "listen", "15 datagrams were truncated in all")
	if stats:
		st = [x for x in lines if " datagrams, " in x]
		ok_(len(st) == 1, "no --stats line: %s" % short(lines, 400))
		has = st[0]
		ok_("15 datagrams, 300 bytes" in has and "15 truncated" in has,
		    "stats line %r" % has)


@test("hostile/SIGINT after 15 truncated datagrams: the total is said")
def _():
	truncated_then(signal.SIGINT, 130, False)


@test("hostile/SIGTERM after 15 truncated datagrams, --stats: totals")
def _():
	truncated_then(signal.SIGTERM, 143, True)


# --- 11: a failed bind names the address and port -------------------------

def not_local(host):
	"""Skips unless host is an address this machine does not have."""
	fam = socket.AF_INET6 if ":" in host else socket.AF_INET
	s = socket.socket(fam, socket.SOCK_DGRAM)
	try:
		s.bind((host, 0))
	except OSError as e:
		if e.errno == errno.EADDRNOTAVAIL:
			return
		skip("cannot tell whether %s is local: %s" % (host, e))
	finally:
		s.close()
	skip("%s is an address of this host" % host)


def names_address(line, host, port):
	pat = r"(%s|\[%s\]|'%s')(:| port )%d\b" % ((re.escape(host),) * 3 +
	    (port,))
	ok_(re.search(pat, line), "the error does not name %s and port %d: %s"
	    % (host, port, line))


@test("hostile/listen on an address not here: error names address, port")
def _():
	not_local("192.0.2.1")
	r = run(["listen", "192.0.2.1", "0"])
	line = check_err(r, 1, "listen", "cannot assign requested address")
	names_address(line, "192.0.2.1", 0)


@test("hostile/listen on an IPv6 address not here: names address, port")
def _():
	need_ipv6()
	not_local("2001:db8::1")
	r = run(["listen", "2001:db8::1", "0"])
	line = check_err(r, 1, "listen", "cannot assign requested address")
	names_address(line, "2001:db8::1", 0)


@test("hostile/send -s an address not here: error names address, port")
def _():
	not_local("192.0.2.1")
	p = Peer()
	r = run(["send", "-s", "192.0.2.1", "127.0.0.1", p.port, "x"])
	line = check_err(r, 1, "send", "cannot assign requested address")
	names_address(line, "192.0.2.1", 0)
	r = run(["send", "-s", "192.0.2.1", "-p", "5555", "127.0.0.1",
	    p.port, "x"])
	line = check_err(r, 1, "send", "cannot assign requested address")
	names_address(line, "192.0.2.1", 5555)
	eq(p.data(), [], "datagrams sent")


@test("hostile/listen on a port in use: the error names address and port")
def _():
	p = Peer()
	r = run(["listen", "127.0.0.1", p.port])
	line = check_err(r, 1, "listen", "address already in use")
	names_address(line, "127.0.0.1", p.port)


# --- 3: --port-file and planted symlinks -----------------------------------

class TempDir:
	"""A private directory, removed after the test."""

	def __init__(self):
		self.path = tempfile.mkdtemp(prefix="udpcat-bb-")
		_live.append(self)

	def cleanup(self):
		shutil.rmtree(self.path, ignore_errors=True)


@test("hostile/--port-file: symlink planted at FILE.PID.tmp not followed")
def _():
	d = TempDir().path
	target = os.path.join(d, "target")
	pf = os.path.join(d, "pf")
	with open(target, "wb") as f:
		f.write(b"precious\n")
	decoys = [os.path.join(d, "pf.%s.tmp" % x) for x in ("1", "x", "tmp")]
	for x in decoys:
		os.symlink(target, x)
	# the shell's pid is udpcat's: the link sits at the old name
	s = Proc(["listen", "--port-file", pf, "127.0.0.1", "0"],
	    wrap=["sh", "-c", 'ln -s "$0" "$1.$$.tmp" && shift && exec "$@"',
	    target, pf])
	wait_until(lambda: os.path.lexists(pf) or not s.alive(),
	    "the port file")
	port = None
	if os.path.exists(pf):
		with open(pf, "rb") as f:
			port = f.read()
	s.signal(signal.SIGTERM)
	r = s.finish()
	with open(target, "rb") as f:
		eq(f.read(), b"precious\n", "the symlink's target")
	ok_(not os.path.islink(pf), "the port file is a symlink")
	ok_(port is not None and re.fullmatch(rb"[1-9][0-9]*\n", port),
	    "port file %s; stderr %s" % (short(port), short(r.err)))
	left = sorted(os.listdir(d))
	eq(left, sorted(["target", "pf", "pf.%d.tmp" % s.pid] +
	    [os.path.basename(x) for x in decoys]), "files in the directory")


@test("hostile/--port-file: a symlink at FILE is replaced, target kept")
def _():
	d = TempDir().path
	target = os.path.join(d, "target")
	pf = os.path.join(d, "pf")
	with open(target, "wb") as f:
		f.write(b"precious\n")
	os.symlink(target, pf)
	r = run(["listen", "--port-file", pf, "-w", "0.1", "127.0.0.1", "0"])
	check_rc(r, 3)
	with open(target, "rb") as f:
		eq(f.read(), b"precious\n", "the symlink's target")
	ok_(not os.path.islink(pf), "the port file is still a symlink")


# --- 8: 5,000 --allow prefixes ----------------------------------------------

@test("hostile/--allow 5,000 times: accepted and every one applied")
def _():
	opts = []
	for i in range(2499):	# 10.x.y.0/24 and 2001:db8:x::/48 that miss
		opts += ["--allow", "10.%d.%d.0/24" % (i // 256, i % 256)]
		opts += ["--allow", "2001:db8:%x::/48" % i]
	opts += ["--allow", "127.0.0.3/32", "--allow", "127.0.0.2"]
	eq(opts.count("--allow"), 5000, "prefixes")
	l = Listener(opts + ["--stats", "-n", "2"], operands=["127.0.0.1",
	    "0"])
	Peer("127.0.0.1").send(b"no", l.port)
	Peer("127.0.0.2").send(b"yes", l.port)
	Peer("127.0.0.4").send(b"no", l.port)
	Peer("127.0.0.3").send(b"yes too", l.port)
	r = l.finish()
	check_rc(r, 0)
	eq(r.out, b"yes\nyes too\n", "stdout")
	line = one_line(r, "listen")
	ok_("2 filtered" in line, "stats line %r" % line)
