# t_unix.py: Unix datagram sockets (unix:PATH, unix:@NAME) against Python's
# AF_UNIX sockets, util-linux logger and rsyslogd: exact bytes, peers shown
# as path, @NAME or unnamed, credentials in JSON, the socket file created
# and removed, stale sockets replaced, live ones and other files refused.

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

from . import util

from .util import (test, run, eq, fail, ok_, check_ok, check_rc, check_err,
    check_usage, Proc, skip, short, ALL256, WAIT)


def tmpdir():
	d = tempfile.mkdtemp(prefix="udpcat-unix-")
	util._live.append(_Dir(d))
	return d


class _Dir:
	def __init__(self, d):
		self.d = d

	def cleanup(self):
		shutil.rmtree(self.d, ignore_errors=True)


def is_socket(path):
	try:
		return stat.S_ISSOCK(os.lstat(path).st_mode)
	except FileNotFoundError:
		return False


def abstract_bound(name):
	"""True when /proc/net/unix lists the abstract socket @name."""
	with open("/proc/net/unix") as f:
		return any(line.split()[-1] == "@" + name for line in f
		    if len(line.split()) >= 8)


def wait_for(pred, proc, what, timeout=WAIT):
	end = time.monotonic() + timeout
	while not pred():
		if proc.proc.poll() is not None:
			proc._join()
			fail("udpcat exited with %r before %s; stderr %s" % (
			    proc.proc.returncode, what, short(proc.err())))
		if time.monotonic() > end:
			fail("no %s after %.1f s" % (what, timeout))
		time.sleep(0.01)


def listen_unix(path, opts=()):
	"""udpcat listen unix:PATH (or @NAME), waited for until bound."""
	p = Proc(["listen"] + list(opts) + ["unix:" + path])
	if path.startswith("@"):
		wait_for(lambda: abstract_bound(path[1:]), p, "abstract socket")
	else:
		wait_for(lambda: is_socket(path), p, "socket file " + path)
	return p


def dgram_socket(path=None):
	s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	util._live.append(_Sock(s))
	if path is not None:
		s.bind(path)
	return s


class _Sock:
	def __init__(self, s):
		self.s = s

	def cleanup(self):
		self.s.close()


@test("unix/listen unix:PATH: a Python sender's datagrams byte for byte")
def _():
	d = tmpdir()
	path = os.path.join(d, "s")
	l = listen_unix(path, ["-n", "4", "-F", "length"])
	s = dgram_socket()
	msgs = [b"hello", b"", ALL256, b"x" * 65535]
	for m in msgs:
		s.sendto(m, path)
	r = l.finish()
	check_ok(r, b"".join(util.length_frame(m) for m in msgs))
	ok_(not os.path.exists(path), "the socket file was not removed")


@test("unix/listen -P and --json: path, unnamed, port null, credentials")
def _():
	d = tmpdir()
	path = os.path.join(d, "s")
	src = os.path.join(d, "client")
	l = listen_unix(path, ["-n", "2", "--json"])
	named = dgram_socket(src)
	named.sendto(b"a", path)
	dgram_socket().sendto(b"b", path)
	r = l.finish()
	check_rc(r, 0)
	objs = [json.loads(x) for x in r.out.decode().splitlines()]
	eq([o["from"] for o in objs], [src, "unnamed"], "from")
	eq([o["port"] for o in objs], [None, None], "port")
	eq([o["pid"] for o in objs], [os.getpid()] * 2, "pid")
	eq([o["uid"] for o in objs], [os.getuid()] * 2, "uid")
	eq([o["gid"] for o in objs], [os.getgid()] * 2, "gid")
	l = listen_unix(path, ["-n", "1", "-P"])
	named.sendto(b"c", path)
	check_ok(l.finish(), (src + " c\n").encode())


@test("unix/send unix:PATH to a Python receiver: exact datagrams")
def _():
	d = tmpdir()
	path = os.path.join(d, "r")
	s = dgram_socket(path)
	msgs = [b"one", b"", b"x" * 65535]
	r = run(["send", "-F", "length", "unix:" + path],
	    input=b"".join(util.length_frame(m) for m in msgs))
	check_ok(r)
	s.settimeout(WAIT)
	got = [s.recv(1 << 17) for _ in msgs]
	eq(got, msgs, "datagrams")


@test("unix/send: 65,536 bytes over a Unix socket is exit 2")
def _():
	d = tmpdir()
	path = os.path.join(d, "r")
	dgram_socket(path)
	r = run(["send", "-F", "whole", "unix:" + path], input=b"y" * 65536)
	check_err(r, 2, "send", "too large", "65535")


@test("unix/util-linux logger -u PATH into listen unix:PATH")
def _():
	logger = shutil.which("logger")
	if logger is None:
		skip("logger (util-linux, bsdutils) is not installed")
	d = tmpdir()
	path = os.path.join(d, "log")
	l = listen_unix(path, ["-n", "1"])
	p = subprocess.run([logger, "-u", path, "-t", "bbtest", "hello syslog"],
	    capture_output=True, timeout=10)
	eq(p.returncode, 0, "logger exit (%r)" % p.stderr)
	r = l.finish()
	check_rc(r, 0)
	ok_(r.out.startswith(b"<13>") and r.out.endswith(b"bbtest: hello "
	    b"syslog\n"), "syslog line %r" % r.out)


@test("unix/send unix:PATH into rsyslogd's imuxsock socket")
def _():
	rsyslogd = shutil.which("rsyslogd") or (
	    "/usr/sbin/rsyslogd" if os.path.exists("/usr/sbin/rsyslogd")
	    else None)
	if rsyslogd is None:
		skip("rsyslogd is not installed (apt-get install rsyslog)")
	d = tmpdir()
	sock = os.path.join(d, "log")
	out = os.path.join(d, "messages")
	conf = os.path.join(d, "rsyslog.conf")
	with open(conf, "w") as f:
		f.write('global(workDirectory="%s")\n'
		    'module(load="imuxsock" SysSock.Use="off")\n'
		    'input(type="imuxsock" Socket="%s" CreatePath="off")\n'
		    '*.* action(type="omfile" file="%s")\n' % (d, sock, out))
	p = subprocess.Popen([rsyslogd, "-n", "-f", conf, "-i",
	    os.path.join(d, "pid")], stdout=subprocess.DEVNULL,
	    stderr=subprocess.PIPE)
	try:
		end = time.monotonic() + WAIT
		while not is_socket(sock):
			if p.poll() is not None or time.monotonic() > end:
				fail("rsyslogd did not create %s (exit %r): %s" % (
				    sock, p.poll(), short(p.stderr.read()
				    if p.poll() is not None else b"")))
			time.sleep(0.02)
		r = run(["send", "unix:" + sock, "<13>bbtest: via udpcat"])
		check_ok(r)
		end = time.monotonic() + WAIT
		text = ""
		while "bbtest: via udpcat" not in text:
			if time.monotonic() > end:
				fail("rsyslogd wrote %r" % text)
			time.sleep(0.05)
			if os.path.exists(out):
				with open(out) as f:
					text = f.read()
	finally:
		p.terminate()
		try:
			p.wait(5)
		except subprocess.TimeoutExpired:
			p.kill()
			p.wait()


@test("unix/send -w to listen --echo: replies reach an autobound name")
def _():
	# Under valgrind the reply used to come before send read its socket's
	# error queue, which on a Unix socket read the reply and lost it.
	name = "udpcat-bb-%d" % os.getpid()
	l = listen_unix("@" + name, ["-n", "1", "--echo"])
	r = run(["send", "-w", "10", "-n", "1", "unix:@" + name, "ping"])
	if r.rc != 0:
		# What the listener had done by then, for the cause.
		l.signal(signal.SIGTERM)
		lr = l.finish()
		fail("send: %r; the listener then: exit %r, stdout %s, "
		    "stderr %s" % (r, lr.rc, short(lr.out), short(lr.err)))
	check_ok(r, b"ping\n")
	r = l.finish()
	check_ok(r, b"ping\n")


@test("unix/listen -P shows an autobound sender as @NAME")
def _():
	d = tmpdir()
	path = os.path.join(d, "s")
	l = listen_unix(path, ["-n", "1", "-P"])
	s = dgram_socket()
	s.bind("")		# Linux: autobind to an abstract name
	name = s.getsockname()
	s.sendto(b"z", path)
	r = l.finish()
	want = "@" + name[1:].decode() if isinstance(name, bytes) else name
	check_ok(r, (want + " z\n").encode())


@test("unix/a socket name of 108 bytes or more is exit 2")
def _():
	path = "/tmp/" + "a" * 103
	for cmd in (["listen", "unix:" + path], ["send", "unix:" + path, "x"]):
		r = run(cmd)
		check_usage(r, cmd[0], "longer than")


@test("unix/listen in a missing directory: exit 1")
def _():
	r = run(["listen", "unix:/nonexistent-udpcat/dir/s"])
	check_err(r, 1, "listen", "No such file or directory")


@test("unix/listen on a stale socket file replaces it")
def _():
	d = tmpdir()
	path = os.path.join(d, "s")
	s = dgram_socket(path)
	s.close()		# the file stays, nobody is bound to it
	ok_(is_socket(path), "stale socket file")
	l = Proc(["listen", "-n", "1", "unix:" + path])
	end = time.monotonic() + WAIT
	while True:
		try:
			dgram_socket().sendto(b"after", path)
			break
		except OSError:
			if time.monotonic() > end or not l.alive():
				fail("listener never bound: %s" % short(l.err()))
			time.sleep(0.02)
	check_ok(l.finish(), b"after\n")


@test("unix/listen on a socket in use: exit 1, in use")
def _():
	d = tmpdir()
	path = os.path.join(d, "s")
	dgram_socket(path)
	r = run(["listen", "unix:" + path])
	check_err(r, 1, "listen", "in use")
	ok_(is_socket(path), "the live socket's file is gone")


@test("unix/listen on a regular file: exit 1, the file untouched")
def _():
	d = tmpdir()
	path = os.path.join(d, "f")
	with open(path, "w") as f:
		f.write("keep me\n")
	r = run(["listen", "unix:" + path])
	check_err(r, 1, "listen", "not a socket")
	with open(path) as f:
		eq(f.read(), "keep me\n", "file content")


@test("unix/listen stopped by SIGINT or SIGTERM removes its socket file")
def _():
	d = tmpdir()
	for sig, rc in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
		path = os.path.join(d, "s%d" % sig)
		l = listen_unix(path)
		l.signal(sig)
		check_rc(l.finish(), rc)
		ok_(not os.path.exists(path), "socket file left after signal "
		    "%d" % sig)


@test("unix/send to a socket nobody is bound to, or a missing one: exit 1")
def _():
	d = tmpdir()
	path = os.path.join(d, "s")
	s = dgram_socket(path)
	s.close()
	r = run(["send", "unix:" + path, "x"])
	check_err(r, 1, "send", "Connection refused")
	r = run(["send", "unix:" + os.path.join(d, "none"), "x"])
	check_err(r, 1, "send", "No such file or directory")


@test("unix/IP-only options with a Unix socket are usage errors")
def _():
	for cmd in (["send", "-4", "unix:/tmp/x", "y"],
	    ["send", "--ttl", "3", "unix:/tmp/x", "y"],
	    ["send", "-s", "127.0.0.1", "unix:/tmp/x", "y"],
	    ["send", "-s", "unix:/tmp/y", "127.0.0.1", "9", "y"],
	    ["listen", "--join", "239.1.1.1", "unix:/tmp/x"],
	    ["listen", "--port-file", "/tmp/p", "unix:/tmp/x"],
	    ["listen", "unix:/tmp/x", "9"]):
		check_usage(run(cmd), cmd[0])
