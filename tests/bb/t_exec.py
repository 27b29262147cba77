# t_exec.py: listen --exec (mock services: a command per datagram, its
# output the reply) and listen --talk (standard input to the latest
# sender); SPEC "v2: listen --exec, --talk" and RELIABILITY.md's v2 rows
# for exec.  Real commands (tr, cat, sh, sleep, head, ls), Python peers,
# /proc for children, zombies and descriptors.  No timing is asserted
# beyond bounds that hold on a loaded machine.

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from .util import (test, run, eq, fail, ok_, skip, check_rc, check_usage,
    check_warning, err_lines, Listener, Peer, Proc, short, WAIT,
    VALGRIND_DIR)
from .t_hostile import spoof


def children(pid):
	"""The processes whose parent is pid: [(pid, state, comm)]."""
	out = []
	for name in os.listdir("/proc"):
		if not name.isdigit():
			continue
		try:
			with open("/proc/%s/stat" % name) as f:
				st = f.read()
		except OSError:
			continue
		comm = st[st.index("(") + 1:st.rindex(")")]
		fields = st[st.rindex(")") + 2:].split()
		if int(fields[1]) == pid:
			out.append((int(name), fields[0], comm))
	return out


def with_marker(marker):
	"""The pids of processes whose command line holds marker."""
	found = []
	for name in os.listdir("/proc"):
		if not name.isdigit():
			continue
		try:
			with open("/proc/%s/cmdline" % name, "rb") as f:
				if marker.encode() in f.read():
					found.append(int(name))
		except OSError:
			continue
	return found


def wait_for(pred, what, timeout=WAIT):
	end = time.monotonic() + timeout
	while not pred():
		if time.monotonic() > end:
			fail("waited %.1f s for %s" % (timeout, what))
		time.sleep(0.02)


def ask(l, payloads, peer=None, timeout=WAIT):
	"""Sends each payload to listener l from peer (a new one if None),
	one at a time, and returns the replies."""
	p = peer or Peer()
	got = []
	for data in payloads:
		p.send(data, l.port)
		got.append(p.recv(timeout)[0])
	return got


def no_reply(peer, quiet=0.5):
	got = peer.drain(quiet)
	ok_(got == [], "a reply came: %s" % short(got))


# --- usage -----------------------------------------------------------------

@test("exec/usage errors")
def t_usage():
	for args, words in (
	    (["--exec", "cat", "--echo"], ("exclude",)),
	    (["--exec", "cat", "--reply", "x"], ("exclude",)),
	    (["--exec", "cat", "--talk"], ("exclude",)),
	    (["--talk", "--echo"], ("exclude",)),
	    (["--jobs", "4"], ("--jobs", "--exec")),
	    (["--exec-timeout", "1s"], ("--exec-timeout", "--exec")),
	    (["--reply-framing", "line"], ("--reply-framing", "--exec")),
	    (["--input-framing", "nul"], ("--input-framing", "--talk")),
	    (["--exec", "cat", "--jobs", "0"], ("--jobs",)),
	    (["--exec", "cat", "--jobs", "257"], ("--jobs",)),
	    (["--exec", "cat", "--jobs", "x"], ("--jobs",)),
	    (["--exec", "cat", "--exec-timeout", "soon"],
	    ("--exec-timeout",)),
	    (["--exec", "cat", "--reply-framing", "json"],
	    ("--reply-framing",)),
	    (["--exec", "cat", "--reply-framing", "chunk:0"], ("chunk",)),
	    (["--talk", "-e", "hex", "--input-framing", "length"],
	    ("length", "hex"))):
		check_usage(run(["listen"] + args + ["0"]), "listen", *words)


# --- replies ---------------------------------------------------------------

@test("exec/a command answers, in order, with its exact output")
def t_exact():
	l = Listener(["-n", "3", "--exec", "tr a-z A-Z"])
	p = Peer()
	eq(ask(l, [b"hello", b"abc xyz", bytes(range(256))], p),
	    [b"HELLO", b"ABC XYZ",
	    bytes(range(256)).translate(bytes.maketrans(
	    b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"))],
	    "replies")
	r = l.finish()
	check_rc(r, 0)
	eq(r.out, b"hello\nabc xyz\n" + bytes(range(256)) + b"\n",
	    "datagrams written out")


@test("exec/the environment names the sender, the address and the size")
def t_env():
	env = dict(os.environ, UDPCAT_PEER_ADDR="203.0.113.9",
	    UDPCAT_FORGED="1")
	l = Listener(["-n", "1", "--exec", "env"], env=env)
	p = Peer()
	out = ask(l, [b"12345"], p)[0].decode()
	vars_ = dict(line.split("=", 1) for line in out.splitlines()
	    if line.startswith("UDPCAT_"))
	eq(vars_, {"UDPCAT_PEER_ADDR": "127.0.0.1",
	    "UDPCAT_PEER_PORT": str(p.port),
	    "UDPCAT_LOCAL_ADDR": "127.0.0.1",
	    "UDPCAT_LOCAL_PORT": str(l.port),
	    "UDPCAT_SIZE": "5"}, "UDPCAT_* variables (ours replaced)")
	check_rc(l.finish(), 0)


@test("exec/shell syntax goes through sh -c; a keyword too")
def t_shell():
	l = Listener(["--exec", "echo $UDPCAT_SIZE; cat | wc -c"])
	eq(ask(l, [b"four"])[0].split(), [b"4", b"4"], "reply of sh -c")
	l.signal(signal.SIGTERM)
	check_rc(l.finish(), 143)
	# "exit 0" has no shell character but needs the shell.
	l = Listener(["-n", "1", "--stats", "--exec", "exit 0"])
	p = Peer()
	p.send(b"x", l.port)
	r = l.finish()
	check_rc(r, 0)
	ok_(any("1 commands run, 0 replies sent, 0 failed" in e
	    for e in err_lines(r)), "stats: %s" % short(r.err, 400))
	no_reply(p, 0.2)


@test("exec/no output, no reply; no input read, no matter")
def t_no_output():
	l = Listener(["--stats", "--exec", "true"])
	p = Peer()
	p.send(b"x" * 60000, l.port)
	no_reply(p)
	eq(ask(Listener(["--exec", "echo hi"]), [b"y" * 65000]), [b"hi\n"],
	    "reply of a command that does not read its input")
	l.signal(signal.SIGINT)
	r = l.finish()
	check_rc(r, 130)
	ok_(any("1 commands run, 0 replies sent, 0 failed" in e
	    for e in err_lines(r)), "stats: %s" % short(r.err, 400))


@test("exec/a non-zero status: no reply, a warning naming it and the peer")
def t_exit1():
	l = Listener(["-n", "2", "--stats", "--exec", "sh -c 'exit 3'"])
	p = Peer()
	p.send(b"a", l.port)
	p.send(b"b", l.port)
	r = l.finish()
	check_rc(r, 0)
	no_reply(p, 0.2)
	warns = [e for e in err_lines(r) if "warning" in e]
	eq(len(warns), 2, "warnings: %s" % warns)
	for w in warns:
		check_warning(w, "listen", "status 3", "127.0.0.1:%d" % p.port,
		    "no reply")
	ok_(any("2 commands run, 0 replies sent, 2 failed" in e
	    for e in err_lines(r)), "stats: %s" % short(r.err, 400))
	eq(r.out, b"a\nb\n", "datagrams written out")


@test("exec/a missing program: a warning, no reply, udpcat goes on")
def t_missing():
	if VALGRIND_DIR:
		skip("under valgrind the command starts in a forked copy of "
		    "udpcat, whose failed exec is an exit status and a report "
		    "of that copy's descriptors")
	l = Listener(["--exec", "udpcat-no-such-program-7q"])
	p = Peer()
	p.send(b"a", l.port)
	no_reply(p, 0.3)
	ok_(l.alive(), "listener exited: %s" % short(l.err()))
	l.signal(signal.SIGTERM)
	r = l.finish()
	check_rc(r, 143)
	w = [e for e in err_lines(r) if "warning" in e]
	ok_(len(w) == 1, "warnings: %s" % w)
	check_warning(w[0], "listen", "udpcat-no-such-program-7q",
	    "no such file")


@test("exec/--reply-framing splits the output into datagrams")
def t_reply_framing():
	l = Listener(["--exec", "printf 'a\\nbb\\n\\nccc'",
	    "--reply-framing", "line"])
	p = Peer()
	p.send(b"x", l.port)
	eq(p.recv_n(4), [b"a", b"bb", b"", b"ccc"], "line-framed replies")
	no_reply(p, 0.2)
	l = Listener(["--exec", "printf '\\000\\003abc\\000\\000'",
	    "--reply-framing", "length"])
	p.send(b"x", l.port)
	eq(p.recv_n(2), [b"abc", b""], "length-framed replies")


@test("exec/1 MB of output: whole is a warning and a count, never cut")
def t_big():
	l = Listener(["-n", "2", "--stats", "--exec",
	    "head -c 1048576 /dev/zero"])
	p = Peer()
	p.send(b"x", l.port)
	no_reply(p, 0.3)
	l2 = Listener(["--exec", "head -c 1048576 /dev/zero",
	    "--reply-framing", "chunk:1024"])
	p2 = Peer()
	p2.send(b"x", l2.port)
	got = p2.recv_n(1024)
	ok_(all(g == b"\0" * 1024 for g in got), "chunks of 1024 zeros")
	p.send(b"y", l.port)
	r = l.finish()
	check_rc(r, 0)
	w = [e for e in err_lines(r) if "warning" in e]
	eq(len(w), 2, "warnings: %s" % w)
	check_warning(w[0], "listen", "reply over", "no reply")
	ok_(any("2 commands run, 0 replies sent, 2 failed, 2 replies too "
	    "large" in e for e in err_lines(r)), "stats: %s" % short(r.err))


# --- timeouts, signals, children --------------------------------------------

@test("exec/a command that hangs is stopped at --exec-timeout")
def t_timeout():
	marker = "31.%d" % os.getpid()
	l = Listener(["-n", "1", "--exec-timeout", "300ms", "--exec",
	    "sleep " + marker])
	p = Peer()
	p.send(b"x", l.port)
	r = l.finish(timeout=WAIT)
	check_rc(r, 0)
	ok_(r.elapsed < 8, "took %.1f s" % r.elapsed)
	no_reply(p, 0.1)
	w = [e for e in err_lines(r) if "warning" in e]
	eq(len(w), 1, "warnings: %s" % w)
	check_warning(w[0], "listen", "--exec-timeout", "no reply")
	eq(with_marker("sleep " + marker), [], "sleep left running")


@test("exec/a command that ignores SIGTERM gets SIGKILL")
def t_kill():
	marker = "32.%d" % os.getpid()
	l = Listener(["-n", "1", "--exec-timeout", "200ms", "--exec",
	    "trap '' TERM; exec sleep " + marker])
	Peer().send(b"x", l.port)
	r = l.finish(timeout=WAIT)
	check_rc(r, 0)
	w = [e for e in err_lines(r) if "warning" in e]
	eq(len(w), 1, "warnings: %s" % w)
	check_warning(w[0], "listen", "signal 9")
	eq(with_marker("sleep " + marker), [], "sleep left running")


@test("exec/SIGTERM with commands running: they finish, their replies go")
def t_sigterm_finish():
	d = tempfile.mkdtemp(prefix="udpcat-exec-")
	try:
		marker = "1.%d" % os.getpid()
		l = Listener(["--exec", "touch %s/$UDPCAT_PEER_PORT; sleep %s; "
		    "echo done" % (d, marker)])
		peers = [Peer(), Peer()]
		for p in peers:
			p.send(b"x", l.port)
		wait_for(lambda: len(os.listdir(d)) == 2, "both commands")
		l.signal(signal.SIGTERM)
		for p in peers:
			eq(p.recv()[0], b"done\n", "reply after SIGTERM")
		r = l.finish()
		check_rc(r, 143)
		eq(with_marker("sleep " + marker), [], "commands left running")
	finally:
		shutil.rmtree(d, ignore_errors=True)


@test("exec/a second SIGTERM stops the commands at once")
def t_sigterm_twice():
	marker = "33.%d" % os.getpid()
	d = tempfile.mkdtemp(prefix="udpcat-exec-")
	try:
		l = Listener(["--exec", "touch %s/$$; exec sleep %s" % (d,
		    marker)])
		p = Peer()
		p.send(b"x", l.port)
		wait_for(lambda: len(os.listdir(d)) == 1, "the command")
		l.signal(signal.SIGTERM)
		time.sleep(0.2)
		ok_(l.alive(), "exited before its command finished")
		l.signal(signal.SIGTERM)
		r = l.finish(timeout=5)
		check_rc(r, 143)
		no_reply(p, 0.1)
		eq(with_marker("sleep " + marker), [], "sleep left running")
	finally:
		shutil.rmtree(d, ignore_errors=True)


@test("exec/--jobs 4 under a flood: never more than 4, no zombie, each "
    "sender its own replies")
def t_jobs():
	d = tempfile.mkdtemp(prefix="udpcat-exec-")
	try:
		os.mkdir(d + "/run")
		cmd = ("touch {d}/run/$$; ls {d}/run | wc -l >> {d}/seen; "
		    "sleep 0.02; rm {d}/run/$$; cat").format(d=d)
		l = Listener(["--jobs", "4", "--stats", "--exec", cmd])
		peers = [Peer() for _ in range(4)]
		for i in range(50):
			for k, p in enumerate(peers):
				p.send(b"%d-%d" % (k, i), l.port)
		for k, p in enumerate(peers):
			got = sorted(p.recv_n(50, timeout=60))
			eq(got, sorted(b"%d-%d" % (k, i) for i in range(50)),
			    "replies of peer %d" % k)
		eq([c for c in children(l.pid)], [], "children after the "
		    "last reply")
		with open(d + "/seen") as f:
			seen = [int(x) for x in f.read().split()]
		eq(len(seen), 200, "commands run")
		ok_(max(seen) <= 4, "%d commands at once" % max(seen))
		ok_(max(seen) >= 2, "never more than one at once: %s" %
		    sorted(set(seen)))
		l.signal(signal.SIGTERM)
		r = l.finish()
		check_rc(r, 143)
		ok_(any("200 commands run, 200 replies sent, 0 failed" in e
		    for e in err_lines(r)), "stats: %s" % short(r.err, 400))
	finally:
		shutil.rmtree(d, ignore_errors=True)


@test("exec/no descriptor of udpcat's is open in the command")
def t_fds():
	l = Listener(["--exec", "ls -l /proc/self/fd"])
	out = ask(l, [b"x"])[0].decode()
	fds = {}
	for line in out.splitlines():
		m = re.search(r" (\d+) -> (.*)$", line)
		if m:
			fds[int(m.group(1))] = m.group(2)
	ok_(0 in fds and 1 in fds and 2 in fds, "fds: %s" % fds)
	ok_("pipe:" in fds[0] and "pipe:" in fds[1], "stdio: %s" % fds)
	# valgrind's log files are its own, not udpcat's.
	extra = {k: v for k, v in fds.items() if k > 2 and
	    not v.startswith("/proc/") and not (VALGRIND_DIR and
	    v.startswith(VALGRIND_DIR))}
	eq(extra, {}, "descriptors beyond 0-2 (besides ls's own)")


@test("exec/a datagram from the listener's own address runs nothing")
def t_self():
	d = tempfile.mkdtemp(prefix="udpcat-exec-")
	try:
		l = Listener(["--stats", "--exec", "touch %s/ran; cat" % d],
		    operands=("127.0.0.1", "0"))
		spoof("127.0.0.1", l.port, b"loop")
		l.wait_out(b"loop\n")
		eq(ask(l, [b"real"]), [b"real"], "a real sender's reply")
		os.unlink(d + "/ran")
		time.sleep(0.2)
		eq(os.listdir(d), [], "command run for the spoofed datagram")
		l.signal(signal.SIGTERM)
		r = l.finish()
		check_rc(r, 143)
		ok_(any("own address" in e for e in err_lines(r)),
		    "no word of it: %s" % short(r.err))
	finally:
		shutil.rmtree(d, ignore_errors=True)


@test("exec/a Unix socket: the peer's path, pid and uid")
def t_unix():
	d = tempfile.mkdtemp(prefix="udpcat-exec-")
	try:
		path = d + "/srv"
		l = Proc(["listen", "-n", "1", "--exec", "env", "unix:" + path])
		wait_for(lambda: os.path.exists(path), "the socket")
		c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
		c.bind(d + "/cli")
		c.settimeout(WAIT)
		c.sendto(b"abc", path)
		out = c.recv(65536).decode()
		c.close()
		vars_ = dict(line.split("=", 1) for line in out.splitlines()
		    if line.startswith("UDPCAT_"))
		eq(vars_.get("UDPCAT_PEER_PATH"), d + "/cli", "peer path")
		eq(vars_.get("UDPCAT_PEER_PID"), str(os.getpid()), "peer pid")
		eq(vars_.get("UDPCAT_PEER_UID"), str(os.getuid()), "peer uid")
		eq(vars_.get("UDPCAT_SIZE"), "3", "size")
		check_rc(l.finish(), 0)
	finally:
		shutil.rmtree(d, ignore_errors=True)


# --- talk ------------------------------------------------------------------

@test("talk/standard input goes to the latest sender; it waits for one")
def t_talk():
	r, w = os.pipe()
	try:
		l = Listener(["--talk"], stdin=r)
	finally:
		os.close(r)
	try:
		os.write(w, b"early\n")
		a, b = Peer(), Peer()
		a.send(b"from a", l.port)
		eq(a.recv()[0], b"early", "input held until a sender came")
		os.write(w, b"one\n")
		eq(a.recv()[0], b"one", "to the only sender")
		b.send(b"from b", l.port)
		l.wait_out(b"from a\nfrom b\n")
		os.write(w, b"two\nthree")
		eq(b.recv_n(1), [b"two"], "to the latest sender")
		os.close(w)
		w = -1
		eq(b.recv()[0], b"three", "a last line without LF")
		no_reply(a, 0.2)
		a.send(b"after", l.port)
		l.wait_out(b"from a\nfrom b\nafter\n")
		ok_(l.alive(), "exited at the end of input")
		l.signal(signal.SIGTERM)
		check_rc(l.finish(), 143)
	finally:
		if w >= 0:
			os.close(w)


def talk_fed(args, peer, data):
	"""listen --talk ARGS, its standard input a pipe that holds DATA and
	then ends, once peer has sent it a datagram."""
	r, w = os.pipe()
	l = Listener(["--talk"] + args, stdin=r)
	os.close(r)
	peer.send(b"go", l.port)
	os.write(w, data)
	os.close(w)
	return l


@test("talk/-e and --input-framing decode standard input")
def t_talk_decode():
	p = Peer()
	l = talk_fed(["-e", "hex"], p, b"6869\n00ff\n")
	eq(p.recv_n(2), [b"hi", b"\x00\xff"], "hex-decoded records")
	l.signal(signal.SIGTERM)
	check_rc(l.finish(), 143)
	l = talk_fed(["--input-framing", "length"], p,
	    b"\x00\x02ab\x00\x00\x00\x01\n")
	eq(p.recv_n(3), [b"ab", b"", b"\n"], "length-framed records")
	l.signal(signal.SIGTERM)
	check_rc(l.finish(), 143)


@test("talk/input that does not decode: exit 2 naming the record")
def t_talk_bad():
	p = Peer()
	l = talk_fed(["-e", "hex"], p, b"6869\nzz\n")
	eq(p.recv()[0], b"hi", "the record before")
	res = l.finish()
	check_rc(res, 2)
	ok_(any("record 2" in e and "hex" in e for e in err_lines(res)),
	    "message: %s" % short(res.err))


STATS = re.compile(r"(\d+) datagrams, \d+ bytes, \d+ senders, \d+ truncated, "
    r"\d+ filtered, (\d+)\+? dropped")


@test("exec/10,000 datagrams at --jobs 4: each answered or counted as a "
    "kernel drop")
def t_flood():
	l = Listener(["--jobs", "4", "--buffer", "1024", "--stats", "--exec",
	    "cat"])
	p = Peer()
	for i in range(10000):
		p.send(b"%05d" % i, l.port)
	got = [d for d, _ in p.drain(quiet=1.5, limit=120)]
	l.signal(signal.SIGTERM)
	r = l.finish()
	check_rc(r, 143)
	m = [STATS.search(e) for e in err_lines(r)]
	m = [x for x in m if x]
	ok_(m, "no stats line: %s" % short(r.err, 400))
	dgrams, dropped = int(m[0].group(1)), int(m[0].group(2))
	eq(dgrams + dropped, 10000, "received + dropped by the kernel "
	    "(stats %s)" % m[0].group(0))
	eq(len(got), dgrams, "replies")
	eq(len(set(got)), len(got), "distinct replies")
	ok_(any("%d commands run, %d replies sent, 0 failed" % (dgrams,
	    dgrams) in e for e in err_lines(r)), "stats: %s" % short(r.err))
