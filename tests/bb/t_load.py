# t_load.py: RELIABILITY.md's load rows: a million datagrams through send
# and listen with delivered plus kernel drops equal to sent, a hundred
# senders at once, and memory and descriptors flat over a long run.

import os
import re
import subprocess
import tempfile
import threading
import time

from .util import (test, run, eq, fail, ok_, Listener, timing_sensitive,
    ENV, UDPCAT, _argv, WAIT, cpu_ticks, TICK)

STATS = re.compile(rb"udpcat: listen: (\d+) datagrams, (\d+) bytes, "
    rb"(\d+\+?) senders, (\d+) truncated, (\d+) filtered, "
    rb"(\d+)(\+?) dropped, ")
SENT = re.compile(rb"udpcat: send: (\d+) datagrams sent, (\d+) bytes")


def listen_stats(err):
	m = STATS.search(err)
	if m is None:
		fail("no --stats line in %r" % err[-300:])
	return m


def proc_status(pid):
	"""VmHWM (peak RSS) in KiB and the number of open descriptors."""
	with open("/proc/%d/status" % pid) as f:
		hwm = int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1))
	return hwm, len(os.listdir("/proc/%d/fd" % pid))


def wait_size(path, want, limit):
	"""Waits (bounded) until path holds at least want bytes, or until it
	has stopped growing for half a second; returns its size."""
	end = time.monotonic() + limit
	last, since = -1, time.monotonic()
	while time.monotonic() < end:
		size = os.path.getsize(path)
		if size >= want:
			return size
		if size != last:
			last, since = size, time.monotonic()
		elif time.monotonic() - since > 0.5:
			return size
		time.sleep(0.01)
	return os.path.getsize(path)


@test("load/1,000,000 datagrams: delivered + kernel drops = sent")
def _():
	timing_sensitive()
	n = 1000000
	# GRO coalesces datagrams and the kernel then counts a dropped
	# buffer once, so the listener runs without it (--max-size under
	# 65535, as udpcat(1) says): each drop is then one datagram.
	lines = b"".join(b"%0*d\n" % (7 + i % 3, i) for i in range(n))
	with tempfile.TemporaryDirectory(prefix="udpcat-bb-") as d:
		out = os.path.join(d, "out")
		with open(out, "wb") as f:
			lst = Listener(["-F", "nul", "--stats", "-w", "1.5",
			    "--max-size", "65527", "--buffer", "262144",
			    "127.0.0.1"], stdout=f)
			r = run(["send", "--stats", "127.0.0.1", lst.port],
			    input=lines, timeout=60)
			res = lst.finish(timeout=30)
		eq(r.rc, 0, "send's exit status")
		sent = int(SENT.search(r.err).group(1))
		eq(sent, n, "datagrams sent")
		m = listen_stats(res.err)
		got, drops = int(m.group(1)), int(m.group(6))
		eq(m.group(7), b"", "drop count exact (no GRO floor)")
		eq(got + drops, n, "delivered %d + dropped %d" % (got, drops))
		with open(out, "rb") as f:
			recs = f.read().split(b"\0")[:-1]
	eq(len(recs), got, "records written")
	prev = -1
	for rec in recs:
		v = int(rec)
		if v <= prev or len(rec) != 7 + v % 3:
			fail("record %r after %d: out of order or altered" %
			    (rec, prev))
		prev = v


@test("load/100 senders at once to one listener: all delivered")
def _():
	timing_sensitive()	# 100 valgrinds take longer than its waits
	k, per = 100, 10
	lst = Listener(["-P", "--stats", "-n", str(k * per), "-w", "10",
	    "127.0.0.1"])
	procs = []
	try:
		for i in range(k):
			procs.append(subprocess.Popen(_argv(["send",
			    "127.0.0.1", lst.port] + ["s%d-%d" % (i, j)
			    for j in range(per)]), stdin=subprocess.DEVNULL,
			    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
			    env=ENV))
		for p in procs:
			_, err = p.communicate(timeout=WAIT * 6)
			if p.returncode != 0:
				fail("a sender exited %d: %r" % (p.returncode,
				    err))
	finally:
		for p in procs:
			if p.poll() is None:
				p.kill()
				p.wait()
	res = lst.finish(timeout=WAIT * 6)
	eq(res.rc, 0, "listener's exit status")
	# A sender that has exited frees its port, which a later one may be
	# given: tell the senders apart by what they sent, not by the port.
	got, peers = {}, {}
	for line in res.out.splitlines():
		peer, data = line.split(b" ", 1)
		i = data.split(b"-")[0]
		got.setdefault(i, []).append(data)
		peers.setdefault(i, set()).add(peer)
	eq(len(got), k, "senders whose datagrams arrived")
	for i, data in got.items():
		eq(data, [b"%s-%d" % (i, j) for j in range(per)],
		    "datagrams of sender %s in order" % i.decode())
		eq(len(peers[i]), 1, "source ports of sender %s" % i.decode())
	distinct = len(set(p for s in peers.values() for p in s))
	eq(listen_stats(res.err).group(3), b"%d" % distinct,
	    "--stats senders (distinct ADDRESS:PORT seen)")


@test("load/memory and descriptors flat: after 1,000 and 1,000,000")
def _():
	timing_sensitive()
	with tempfile.TemporaryDirectory(prefix="udpcat-bb-") as d:
		out = os.path.join(d, "out")
		with open(out, "wb") as f:
			lst = Listener(["-F", "none", "127.0.0.1"], stdout=f)
			r = run(["send", "--repeat", "1000", "127.0.0.1",
			    lst.port, "x"])
			eq(r.rc, 0, "first send")
			size = wait_size(out, 1000, WAIT)
			ok_(size >= 900, "only %d of 1000 arrived" % size)
			hwm1, fds1 = proc_status(lst.pid)
			r = run(["send", "--repeat", "999000", "127.0.0.1",
			    lst.port, "x"], timeout=60)
			eq(r.rc, 0, "second send")
			size = wait_size(out, 1000000, 30)
			ok_(size >= 900000, "only %d of 1,000,000 arrived" %
			    size)
			hwm2, fds2 = proc_status(lst.pid)
			lst.signal(15)
			lst.finish()
	eq(fds2, fds1, "open descriptors")
	ok_(hwm2 - hwm1 <= 256, "peak RSS grew from %d KiB to %d KiB" %
	    (hwm1, hwm2))


@test("load/slow reader: listen blocks asleep, memory flat, drops counted")
def _():
	timing_sensitive()
	n, payload = 20000, b"y" * 100
	lst = Listener(["-F", "nul", "--stats", "--max-size", "65527",
	    "--buffer", "262144", "127.0.0.1"], collect=False)
	# 2 MB for a 64 KiB pipe that nobody reads yet: listen must block.
	r = run(["send", "--repeat", str(n), "127.0.0.1", lst.port,
	    payload.decode()])
	eq(r.rc, 0, "send's exit status")
	c0 = cpu_ticks(lst.pid)
	time.sleep(1.0)		# measuring CPU over an interval, not syncing
	ms = (cpu_ticks(lst.pid) - c0) * 1000.0 / TICK
	ok_(ms < 20, "blocked listener used %.0f ms CPU in 1 s" % ms)
	hwm, _ = proc_status(lst.pid)
	ok_(hwm < 32 * 1024, "peak RSS %d KiB while blocked" % hwm)
	got = []
	reader = threading.Thread(target=lambda: got.append(
	    lst.proc.stdout.read()))
	reader.start()
	lst.signal(2)
	res = lst.finish(timeout=WAIT * 2)
	reader.join(WAIT)
	eq(res.rc, 130, "listener's exit status")
	recs = got[0].split(b"\0")[:-1] if got else []
	ok_(all(rec == payload for rec in recs), "records altered")
	m = listen_stats(res.err)
	delivered, drops = int(m.group(1)), int(m.group(6))
	eq(len(recs), delivered, "records written")
	eq(delivered + drops, n, "delivered %d + dropped %d" % (delivered,
	    drops))
	ok_(drops > 0, "the kernel dropped nothing: the reader was not slow")
