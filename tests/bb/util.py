# util.py: the helper layer of the black-box tests: running udpcat under a
# timeout, a listener that is waited for through its --port-file, Python
# UDP peers, and the checks every test makes (exit status, one stderr line,
# exact standard output).  Python standard library only.

import errno
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

UDPCAT = "./udpcat"		# set by blackbox.py from its argument
# With UDPCAT_VALGRIND=DIR every run of udpcat goes through valgrind, its
# reports written to DIR (blackbox.py reads them at the end), and tests
# that time udpcat or count its CPU skip themselves.
VALGRIND_DIR = os.environ.get("UDPCAT_VALGRIND") or None
VALGRIND = ["valgrind", "-q", "--leak-check=full",
    "--errors-for-leak-kinds=all", "--track-fds=yes", "--error-exitcode=99",
    "--log-file=%s/vg.%%p.log" % VALGRIND_DIR] if VALGRIND_DIR else []
ENV = dict(os.environ, LC_ALL="C", LANG="C", LANGUAGE="C")
ENV.pop("POSIXLY_CORRECT", None)

SO_TIMESTAMPNS = 35		# Linux; SCM_TIMESTAMPNS has the same value
WAIT = 5.0			# the bound on every wait for an event
TESTS = []			# (name, function), in registration order
_live = []			# processes and sockets to clean up after a test


class Fail(Exception):
	pass


class Skip(Exception):
	pass


def fail(msg):
	raise Fail(msg)


def skip(msg):
	raise Skip(msg)


def test(name):
	"""Registers a test function under name (section/name)."""
	def deco(fn):
		TESTS.append((name, fn))
		return fn
	return deco


def short(v, n=160):
	"""A repr cut to n characters, so that 64 KiB values stay readable."""
	r = repr(v)
	if len(r) > n:
		r = r[:n] + "...(%d chars)" % len(r)
	return r


def eq(actual, expected, what):
	if actual != expected:
		fail("%s: expected %s, got %s" % (what, short(expected),
		    short(actual)))


def ok_(cond, msg):
	if not cond:
		fail(msg)


# ---------------------------------------------------------------------------
# Processes

class Result:
	def __init__(self, args, rc, out, err, elapsed, timed_out=False):
		self.args = args
		self.rc = rc
		self.out = out
		self.err = err
		self.elapsed = elapsed
		self.timed_out = timed_out

	def cmd(self):
		s = " ".join(a if isinstance(a, str) else
		    a.decode("latin-1") for a in self.args)
		return short(s, 200)

	def errtext(self):
		return self.err.decode("utf-8", "replace")

	def __repr__(self):
		return "[%s] rc=%r out=%s err=%s" % (self.cmd(), self.rc,
		    short(self.out, 120), short(self.err, 300))


if VALGRIND_DIR:
	WAIT = 20.0		# valgrind starts slowly and runs slowly


def _argv(args):
	return VALGRIND + [UDPCAT] + [a if isinstance(a,
	    (str, bytes)) else str(a) for a in args]


def timing_sensitive():
	"""Skips a test that times udpcat or measures its CPU: under valgrind
	it runs some 50 times slower, so such figures mean nothing there."""
	if VALGRIND_DIR:
		skip("times udpcat: not meaningful under valgrind")


_sampled = set()


def valgrind_sample(family, value):
	"""Under valgrind, of a family of tests that differ only in the value
	handed to one parser, runs the first one met and any value of 100
	bytes or more (the long-message path); the others take the path the
	first took, and skip saying so.  make sanitize (ASan and UBSan) runs
	every value."""
	if not VALGRIND_DIR or len(value) >= 100 or family not in _sampled:
		_sampled.add(family)
		return
	skip("under valgrind one value of %s runs, and the long ones; "
	    "make sanitize runs every value" % family)


def run(args, input=None, timeout=10, stdout=subprocess.PIPE, env=None,
    **kw):
	"""Runs udpcat ARGS to completion under a timeout; returns a Result.
	A run that outlives the timeout is killed and reported as a failure."""
	argv = _argv(args)
	if VALGRIND_DIR:
		timeout *= 4
	t0 = time.monotonic()
	p = subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None
	    else subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
	    env=env or ENV, **kw)
	try:
		out, err = p.communicate(input, timeout=timeout)
	except subprocess.TimeoutExpired:
		p.kill()
		out, err = p.communicate()
		fail("timed out after %.1f s: %s (stderr %s)" % (timeout,
		    short(" ".join(map(str, argv)), 200), short(err)))
	return Result(argv, p.returncode, out or b"", err,
	    time.monotonic() - t0)


class _Reader(threading.Thread):
	"""Collects everything from one pipe into a buffer."""

	def __init__(self, f):
		super().__init__(daemon=True)
		self.f = f
		self.buf = bytearray()
		self.cond = threading.Condition()
		self.eof = False
		self.start()

	def run(self):
		fd = self.f.fileno()
		while True:
			try:
				b = os.read(fd, 1 << 16)
			except OSError:
				b = b""
			with self.cond:
				if not b:
					self.eof = True
					self.cond.notify_all()
					return
				self.buf += b
				self.cond.notify_all()

	def wait(self, pred, timeout):
		end = time.monotonic() + timeout
		with self.cond:
			while not pred(bytes(self.buf)):
				left = end - time.monotonic()
				if left <= 0 or self.eof:
					return pred(bytes(self.buf))
				self.cond.wait(min(left, 0.2))
			return True

	def get(self):
		with self.cond:
			return bytes(self.buf)


class Proc:
	"""udpcat running in the background, its output collected as it comes.
	stdout may be PIPE (collected), or a file object or descriptor."""

	def __init__(self, args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
	    env=None, wrap=(), collect=True, **kw):
		"""wrap: argv put before udpcat's (a shell, setpriv);
		collect False leaves a piped stdout to the caller."""
		self.args = list(wrap) + _argv(args)
		self.t0 = time.monotonic()
		self.proc = subprocess.Popen(self.args, stdin=stdin,
		    stdout=stdout, stderr=subprocess.PIPE, env=env or ENV, **kw)
		_live.append(self)
		self._out = _Reader(self.proc.stdout) \
		    if stdout == subprocess.PIPE and collect else None
		self._err = _Reader(self.proc.stderr)

	@property
	def pid(self):
		return self.proc.pid

	def out(self):
		return self._out.get() if self._out else b""

	def err(self):
		return self._err.get()

	def wait_out(self, want, timeout=WAIT):
		"""Waits until stdout holds at least len(want) bytes (want bytes),
		want bytes (an int), or pred(stdout) is true (want callable);
		returns stdout so far."""
		if isinstance(want, bytes):
			w = want
			pred = (lambda b: len(b) >= len(w))
		elif isinstance(want, int):
			pred = (lambda b: len(b) >= want)
		else:
			pred = want
		if not self._out.wait(pred, timeout):
			fail("waited %.1f s for output; have %s, stderr %s, "
			    "exit %r" % (timeout, short(self.out()),
			    short(self.err()), self.proc.poll()))
		return self.out()

	def wait_err(self, pred, timeout=WAIT):
		if not self._err.wait(pred, timeout):
			fail("waited %.1f s for stderr; have %s" % (timeout,
			    short(self.err())))
		return self.err()

	def alive(self):
		return self.proc.poll() is None

	def signal(self, sig):
		if self.proc.poll() is None:
			self.proc.send_signal(sig)

	def finish(self, timeout=WAIT):
		"""Waits for the exit (killing it after timeout, which fails the
		test) and returns a Result with everything it wrote."""
		try:
			self.proc.wait(timeout=timeout)
		except subprocess.TimeoutExpired:
			self.proc.kill()
			self.proc.wait()
			self._join()
			fail("still running after %.1f s (killed): %s; stdout %s, "
			    "stderr %s" % (timeout, short(" ".join(
			    map(str, self.args)), 200), short(self.out()),
			    short(self.err())))
		self._join()
		return Result(self.args, self.proc.returncode, self.out(),
		    self.err(), time.monotonic() - self.t0)

	def _join(self):
		for r in (self._out, self._err):
			if r:
				r.join(2)

	def cleanup(self):
		if self.proc.poll() is None:
			self.proc.kill()
		try:
			self.proc.wait(2)
		except subprocess.TimeoutExpired:
			pass


class Listener(Proc):
	"""udpcat listen with --port-file, waited for until the file appears.
	opts come before the operands; operands default to port 0."""

	def __init__(self, opts=(), operands=("0",), **kw):
		self.dir = tempfile.mkdtemp(prefix="udpcat-bb-")
		self.port_file = os.path.join(self.dir, "port")
		try:
			super().__init__(["listen", "--port-file",
			    self.port_file] + list(opts) + list(operands), **kw)
		except BaseException:
			shutil.rmtree(self.dir, ignore_errors=True)
			raise
		self.port = wait_port_file(self.port_file, self)

	def cleanup(self):
		super().cleanup()
		shutil.rmtree(self.dir, ignore_errors=True)


def wait_port_file(path, proc, timeout=WAIT):
	"""Polls for a complete port file (bounded); returns the port."""
	end = time.monotonic() + timeout
	delay = 0.002
	while True:
		try:
			with open(path, "rb") as f:
				data = f.read()
			if data.endswith(b"\n"):
				m = re.fullmatch(rb"([1-9][0-9]{0,4})\n", data)
				if not m:
					fail("port file holds %s, not 'PORT\\n'" %
					    short(data))
				return int(m.group(1))
		except FileNotFoundError:
			pass
		if proc.proc.poll() is not None:
			proc._join()
			fail("listener exited with %r before writing its port "
			    "file; stderr %s" % (proc.proc.returncode,
			    short(proc.err(), 300)))
		if time.monotonic() > end:
			fail("no port file after %.1f s; stderr %s" % (timeout,
			    short(proc.err())))
		time.sleep(delay)
		delay = min(delay * 2, 0.05)


def cleanup_all():
	while _live:
		x = _live.pop()
		try:
			x.cleanup()
		except Exception:
			pass


# ---------------------------------------------------------------------------
# Python UDP peers

_v6 = None


def have_ipv6():
	global _v6
	if _v6 is None:
		try:
			s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
			s.bind(("::1", 0))
			s.close()
			_v6 = True
		except OSError:
			_v6 = False
	return _v6


def need_ipv6():
	if not have_ipv6():
		skip("IPv6 loopback ::1 is not available here")


def tool_package(name):
	"""The Debian package that holds command name, from the list in
	tests/deps.sh; None if it is not there."""
	deps = os.path.join(os.path.dirname(os.path.abspath(__file__)),
	    os.pardir, "deps.sh")
	try:
		with open(deps) as f:
			for line in f:
				m = re.match(r"[a-z]+ +(\S+) +c:(\S+)",
				    line)
				if m and m.group(2) == name:
					return m.group(1)
	except OSError:
		pass
	return None


def need_command(name):
	"""The path of command name on PATH (or in /usr/sbin, /sbin); skips
	the test, naming the package to install, if there is none."""
	path = shutil.which(name) or shutil.which(name,
	    path="/usr/sbin:/sbin")
	if path is None:
		pkg = tool_package(name)
		skip("the %s command is not installed%s" % (name,
		    " (Debian package %s)" % pkg if pkg else ""))
	return path


def need_tool(path):
	"""Skips the test unless path is an executable; the reason names the
	package to install."""
	if not (os.path.exists(path) and os.access(path, os.X_OK)):
		pkg = tool_package(os.path.basename(path))
		skip("%s is not installed%s" % (path,
		    " (Debian package %s)" % pkg if pkg else ""))


class Peer:
	"""A Python UDP socket bound to (host, port): sends and receives."""

	def __init__(self, host="127.0.0.1", port=0, broadcast=False):
		fam = socket.AF_INET6 if ":" in host else socket.AF_INET
		self.family = fam
		self.sock = socket.socket(fam, socket.SOCK_DGRAM)
		try:
			self.sock.setsockopt(socket.SOL_SOCKET,
			    socket.SO_RCVBUF, 1 << 22)
		except OSError:
			pass
		if broadcast:
			self.sock.setsockopt(socket.SOL_SOCKET,
			    socket.SO_BROADCAST, 1)
		self.sock.bind((host, port))
		self.host = host
		self.port = self.sock.getsockname()[1]
		_live.append(self)

	def send(self, data, port, host=None):
		if host is None:
			host = "::1" if self.family == socket.AF_INET6 \
			    else "127.0.0.1"
		self.sock.sendto(data, (host, port))

	def recv(self, timeout=WAIT):
		"""The next datagram as (data, (host, port)); fails after timeout."""
		r, _, _ = select.select([self.sock], [], [], timeout)
		if not r:
			fail("peer %s:%d: no datagram within %.1f s" % (self.host,
			    self.port, timeout))
		data, addr = self.sock.recvfrom(1 << 17)
		return data, addr[:2]

	def recv_n(self, n, timeout=WAIT):
		end = time.monotonic() + timeout
		got = []
		while len(got) < n:
			left = end - time.monotonic()
			r, _, _ = select.select([self.sock], [], [], max(left, 0))
			if not r:
				fail("peer: %d of %d datagrams within %.1f s: %s" %
				    (len(got), n, timeout, short(got)))
			data, addr = self.sock.recvfrom(1 << 17)
			got.append(data)
		return got

	def drain(self, quiet=0.15, limit=WAIT):
		"""Every datagram that comes until none came for quiet seconds
		(at most limit seconds in all): a list of (data, addr)."""
		end = time.monotonic() + limit
		got = []
		while time.monotonic() < end:
			r, _, _ = select.select([self.sock], [], [], quiet)
			if not r:
				break
			data, addr = self.sock.recvfrom(1 << 17)
			got.append((data, addr[:2]))
		return got

	def data(self, quiet=0.15):
		return [d for d, _ in self.drain(quiet)]

	def close(self):
		self.sock.close()

	cleanup = close


class Responder(Peer):
	"""A peer that answers in a thread: fn(data, addr, index) returns the
	list of replies for the index-th datagram (counted from 0)."""

	def __init__(self, fn, host="127.0.0.1", port=0, broadcast=False):
		super().__init__(host, port, broadcast)
		self.fn = fn
		self.received = []	# (data, addr, arrival time)
		self.lock = threading.Lock()
		self.stop_ev = threading.Event()
		try:	# kernel arrival times, immune to this thread's delays
			self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
		except OSError:
			pass
		self.th = threading.Thread(target=self._loop, daemon=True)
		self.th.start()

	def _loop(self):
		end = time.monotonic() + 60
		while not self.stop_ev.is_set() and time.monotonic() < end:
			r, _, _ = select.select([self.sock], [], [], 0.05)
			if not r:
				continue
			try:
				data, anc, _, addr = self.sock.recvmsg(1 << 17,
				    socket.CMSG_SPACE(16))
			except OSError:
				return
			t = time.time()
			for lvl, typ, cd in anc:
				if lvl == socket.SOL_SOCKET and \
				    typ == SO_TIMESTAMPNS and len(cd) >= 16:
					sec, ns = struct.unpack("qq", cd[:16])
					t = sec + ns / 1e9
			with self.lock:
				i = len(self.received)
				self.received.append((data, addr, t))
			for rep in self.fn(data, addr, i) or []:
				try:
					self.sock.sendto(rep, addr)
				except OSError:
					pass

	def got(self):
		with self.lock:
			return [d for d, _, _ in self.received]

	def times(self):
		"""Arrival times (seconds, kernel timestamps where available)."""
		with self.lock:
			return [t for _, _, t in self.received]

	def wait_count(self, n, timeout=WAIT):
		end = time.monotonic() + timeout
		while time.monotonic() < end:
			if len(self.got()) >= n:
				return self.got()
			time.sleep(0.01)
		fail("responder: %d of %d datagrams within %.1f s" %
		    (len(self.got()), n, timeout))

	def close(self):
		self.stop_ev.set()
		self.th.join(2)
		self.sock.close()

	cleanup = close


def free_port(host="127.0.0.1"):
	"""A port bound by nobody right now: bind port 0, read it, close.
	Racy by nature (another program may take it before we use it); tests
	that need a listener on it retry once."""
	fam = socket.AF_INET6 if ":" in host else socket.AF_INET
	s = socket.socket(fam, socket.SOCK_DGRAM)
	s.bind((host, 0))
	p = s.getsockname()[1]
	s.close()
	return p


def udp_bound(port):
	"""Whether some socket on this host is bound to UDP port (IPv4/IPv6)."""
	hx = ":%04X" % port
	for f in ("/proc/net/udp", "/proc/net/udp6"):
		try:
			with open(f) as fh:
				next(fh)
				for line in fh:
					fl = line.split()
					if len(fl) > 1 and fl[1].endswith(hx):
						return True
		except OSError:
			pass
	return False


class Background:
	"""A foreign program (socat, nc) in the background under a bound."""

	def __init__(self, argv, stdin=subprocess.DEVNULL):
		self.args = argv
		self.proc = subprocess.Popen(argv, stdin=stdin,
		    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
		_live.append(self)
		self._out = _Reader(self.proc.stdout)
		self._err = _Reader(self.proc.stderr)

	def wait_bound(self, port, timeout=WAIT):
		"""Polls /proc/net/udp until port is bound; False if the
		program exited first (e.g. the port was taken)."""
		end = time.monotonic() + timeout
		while time.monotonic() < end:
			if self.proc.poll() is not None:
				return False
			if udp_bound(port):
				return True
			time.sleep(0.01)
		fail("%s did not bind port %d within %.1f s" % (self.args[0],
		    port, timeout))

	def wait_out(self, n, timeout=WAIT):
		self._out.wait(lambda b: len(b) >= n, timeout)
		return self._out.get()

	def stop(self):
		self.cleanup()
		self._out.join(2)
		self._err.join(2)
		return self._out.get(), self._err.get()

	def cleanup(self):
		if self.proc.poll() is None:
			self.proc.kill()
		try:
			self.proc.wait(2)
		except subprocess.TimeoutExpired:
			pass


# ---------------------------------------------------------------------------
# Checks

def err_lines(res_or_bytes):
	b = res_or_bytes.err if isinstance(res_or_bytes, Result) \
	    else res_or_bytes
	return b.decode("utf-8", "replace").splitlines()


def one_line(res, cmd):
	"""Standard error is exactly one LF-terminated line starting with
	'udpcat: CMD: ' (cmd None: just 'udpcat: '); returns it."""
	e = res.err.decode("utf-8", "replace")
	if e.count("\n") != 1 or not e.endswith("\n"):
		fail("stderr should be one line, got %s (%r)" % (short(e, 400),
		    res))
	line = e[:-1]
	pre = "udpcat: %s: " % cmd if cmd else "udpcat: "
	if not line.startswith(pre):
		fail("stderr should start with %r: %s" % (pre, short(line, 300)))
	return line


def has_words(line, words):
	low = line.lower()
	for w in words:
		alts = w if isinstance(w, tuple) else (w,)
		if not any(a.lower() in low for a in alts):
			fail("stderr line lacks %s: %s" % (" or ".join(map(repr,
			    alts)), short(line, 300)))


def check_rc(res, rc):
	if res.rc != rc:
		fail("exit status %r, expected %r: %r" % (res.rc, rc, res))


def check_ok(res, out=b""):
	"""Exit 0, empty stderr, exactly out on stdout."""
	check_rc(res, 0)
	eq(res.err, b"", "stderr")
	eq(res.out, out, "stdout")


def check_err(res, rc, cmd, *words, out=b"", usage=False):
	"""Exit rc, one stderr line 'udpcat: CMD: ...' holding every word
	(a tuple means any of), and stdout exactly out."""
	check_rc(res, rc)
	line = one_line(res, cmd)
	has_words(line, words)
	if usage:
		tail = "(see 'udpcat %s --help')" % cmd if cmd else "--help')"
		if not line.endswith(tail):
			fail("usage error should end with %r: %s" % (tail,
			    short(line, 300)))
	eq(res.out, out, "stdout")
	return line


def check_usage(res, cmd, *words, out=b""):
	return check_err(res, 2, cmd, *words, out=out, usage=True)


def check_warning(line, cmd, *words):
	pre = "udpcat: %s: warning: " % cmd
	if not line.startswith(pre):
		fail("warning should start with %r: %s" % (pre, short(line)))
	has_words(line, words)


def check_quiet_or_line(res, cmd):
	"""Standard error empty, or one diagnostic line."""
	if res.err:
		one_line(res, cmd)


# ---------------------------------------------------------------------------
# Reference encoders (SPEC.md's table), to compute exact expected output

def text_enc(b):
	out = []
	for c in b:
		if c == 0x5c:
			out.append("\\\\")
		elif 0x20 <= c <= 0x7e:
			out.append(chr(c))
		elif c == 0x0a:
			out.append("\\n")
		elif c == 0x0d:
			out.append("\\r")
		elif c == 0x09:
			out.append("\\t")
		elif c == 0:
			out.append("\\0")
		else:
			out.append("\\x%02x" % c)
	return "".join(out)


ALL256 = bytes(range(256))


def length_frame(b):
	return len(b).to_bytes(2, "big") + b


def cpu_ticks(pid):
	"""utime + stime of pid, in clock ticks."""
	with open("/proc/%d/stat" % pid) as f:
		s = f.read()
	fl = s[s.rindex(")") + 2:].split()
	return int(fl[11]) + int(fl[12])


TICK = os.sysconf("SC_CLK_TCK")

SIGPIPE_RCS = (141, -signal.SIGPIPE)
