# t_relay.py: udpcat relay between Python, socat and udpcat clients and
# services: each client's own replies, one upstream port per client, the
# tap and JSON, impairments (seeded, so bounds are exact), --max-clients,
# a service that goes away and comes back, and accounting per direction.

import base64
import json
import os
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import tempfile
import threading
import time

from . import util

from .util import (test, run, eq, fail, ok_, check_rc, check_usage,
    check_warning, err_lines, Peer, Proc, Background, need_tool, short,
    free_port, timing_sensitive, WAIT)

SOCAT = "/usr/bin/socat"


class Relay(Proc):
	"""udpcat relay OPTS 0 HOST PORT, waited for through --port-file."""

	def __init__(self, opts, service_port, host="127.0.0.1", **kw):
		self.dir = tempfile.mkdtemp(prefix="udpcat-bb-")
		self.port_file = os.path.join(self.dir, "port")
		try:
			super().__init__(["relay", "--port-file",
			    self.port_file] + list(opts) +
			    ["0", host, str(service_port)], **kw)
		except BaseException:
			shutil.rmtree(self.dir, ignore_errors=True)
			raise
		self.port = util.wait_port_file(self.port_file, self)

	def stop(self):
		"""SIGINT, then the Result (exit 130 expected)."""
		self.signal(signal.SIGINT)
		r = self.finish()
		check_rc(r, 130)
		return r

	def cleanup(self):
		super().cleanup()
		shutil.rmtree(self.dir, ignore_errors=True)


class Service(Peer):
	"""A Python service: answers each datagram with prefix + datagram,
	from a thread, and records (data, sender)."""

	def __init__(self, prefix=b"re:", port=0, answer=True):
		super().__init__("127.0.0.1", port)
		self.prefix = prefix
		self.answer = answer
		self.got = []
		self.lock = threading.Lock()
		self.done = False
		try:	# SO_RCVBUFFORCE, where allowed: no drops here
			self.sock.setsockopt(socket.SOL_SOCKET, 33, 1 << 26)
		except OSError:
			pass
		self.t = threading.Thread(target=self._run, daemon=True)
		self.t.start()

	def _run(self):
		while not self.done:
			r, _, _ = select.select([self.sock], [], [], 0.05)
			if not r:
				continue
			while self._one():
				pass

	def _one(self):
		try:
			d, a = self.sock.recvfrom(1 << 17, socket.MSG_DONTWAIT)
		except OSError:
			return False
		with self.lock:
			self.got.append((d, a[:2], time.monotonic()))
		if self.answer:
			try:
				self.sock.sendto(self.prefix + d, a)
			except OSError:
				pass
		return True

	def wait(self, n, timeout=WAIT):
		end = time.monotonic() + timeout
		while time.monotonic() < end:
			with self.lock:
				if len(self.got) >= n:
					return list(self.got)
			time.sleep(0.01)
		fail("service: %d of %d datagrams within %.1f s" %
		    (len(self.got), n, timeout))

	def close(self):
		self.done = True
		self.t.join(2)
		self.sock.close()

	def cleanup(self):
		self.done = True
		try:
			self.sock.close()
		except OSError:
			pass


def parse_stats(err):
	"""The --stats lines as {"up": {...}, "down": {...}, "all": {...}}:
	each 'N words' item keyed by its words."""
	st = {}
	for line in err_lines(err):
		m = re.match(r"udpcat: relay: (up|down): (.*)", line)
		if m:
			key, rest = m.group(1), m.group(2)
		elif re.match(r"udpcat: relay: \d+ clients", line):
			key, rest = "all", line.split(": ", 2)[2]
		else:
			continue
		d = {}
		for item in re.split(r", | \(|\)", rest):
			m = re.match(r"(\d+)\+? (.+)", item.strip())
			if m:
				d[m.group(2)] = int(m.group(1))
		st[key] = d
	for k in ("up", "down", "all"):
		if k not in st:
			fail("no --stats line for %s: %s" % (k, short(err, 600)))
	return st


def clients_exchange(relay_port, clients, n):
	"""Each client sends n datagrams "ID:SEQ"; returns what each got."""
	for seq in range(n):
		for i, c in enumerate(clients):
			c.send(b"%d:%d" % (i, seq), relay_port)
	return [c.recv_n(n) for c in clients]


# --- the reply path -------------------------------------------------------

@test("relay/two clients, one service: own replies, own upstream port")
def _():
	s = Service()
	r = Relay(["--stats"], s.port)
	a, b = Peer(), Peer()
	got = clients_exchange(r.port, [a, b], 20)
	for i, g in enumerate(got):
		eq(g, [b"re:%d:%d" % (i, k) for k in range(20)],
		    "replies of client %d" % i)
	seen = s.wait(40)
	ports = {}
	for d, addr, _ in seen:
		ports.setdefault(d.split(b":")[0], set()).add(addr)
	eq(len(ports), 2, "clients seen by the service")
	for who, addrs in ports.items():
		eq(len(addrs), 1, "upstream addresses of client %s" % who)
	up = [next(iter(x))[1] for x in ports.values()]
	ok_(up[0] != up[1] and r.port not in up,
	    "one upstream port per client, not the relay's: %r" % up)
	st = parse_stats(r.stop().err)
	eq((st["up"]["received"], st["up"]["forwarded"]), (40, 40), "up")
	eq((st["down"]["received"], st["down"]["forwarded"]), (40, 40), "down")
	eq(st["all"]["clients"], 2, "clients")


@test("relay/udpcat send -w through relay to udpcat listen --echo")
def _():
	l = util.Listener(["--echo", "-n", "3"])
	r = Relay([], l.port)
	res = run(["send", "-w", "2", "-n", "3", "127.0.0.1", str(r.port)],
	    input=b"one\ntwo\nthree\n")
	util.check_ok(res, b"one\ntwo\nthree\n")
	util.check_ok(l.finish(), b"one\ntwo\nthree\n")
	r.stop()


@test("relay/socat as client and socat as service")
def _():
	need_tool(SOCAT)
	for attempt in range(2):
		port = free_port()
		# -T: each forked child ends when idle, not outliving the test
		svc = Background([SOCAT, "-T", "2",
		    "UDP-LISTEN:%d,bind=127.0.0.1,fork" % port, "PIPE"])
		if svc.wait_bound(port):
			break
		svc.stop()
	else:
		fail("socat could not bind a free port twice")
	r = Relay([], port)
	cli = Background([SOCAT, "-T", "3", "-", "UDP:127.0.0.1:%d" % r.port],
	    stdin=subprocess.PIPE)
	cli.proc.stdin.write(b"hello through the relay\n")
	cli.proc.stdin.flush()
	eq(cli.wait_out(24), b"hello through the relay\n", "socat client got")
	cli.proc.stdin.close()
	r.stop()
	cli.stop()
	svc.stop()


@test("relay/--tap: '> CLIENT ' up, '< CLIENT ' down, -e and -F nul")
def _():
	s = Service(prefix=b"")
	r = Relay(["--tap", "-e", "hex", "-F", "nul"], s.port)
	c = Peer()
	c.send(b"\x00hi", r.port)
	eq(c.recv()[0], b"\x00hi", "reply")
	res = r.stop()
	tag = b"127.0.0.1:%d" % c.port
	eq(res.out, b"> " + tag + b" 006869\x00< " + tag + b" 006869\x00",
	    "tap")


@test("relay/--json: dir, client, client_port, fate")
def _():
	s = Service(prefix=b"")
	r = Relay(["--json", "--loss", "down:100"], s.port)
	c = Peer()
	c.send(b"x", r.port)
	s.wait(1)
	res = r.stop()
	recs = [json.loads(l) for l in res.out.splitlines()]
	eq(len(recs), 2, "records")
	eq([(x["dir"], x["client"], x["client_port"], x.get("fate"))
	    for x in recs], [("up", "127.0.0.1", c.port, None),
	    ("down", "127.0.0.1", c.port, "dropped")], "records")
	eq(recs[1]["port"], s.port, "down comes from the service")
	eq(c.drain(0.2), [], "nothing came back")


@test("relay/--tee: a copy of each client datagram; its replies dropped")
def _():
	s = Service()
	tee = Service(prefix=b"tee:")
	r = Relay(["--stats", "--tee", "127.0.0.1:%d" % tee.port], s.port)
	c = Peer()
	got = clients_exchange(r.port, [c], 5)
	eq(got[0], [b"re:0:%d" % k for k in range(5)], "replies")
	eq([d for d, _, _ in tee.wait(5)], [b"0:%d" % k for k in range(5)],
	    "tee copies")
	eq(c.drain(0.2), [], "nothing from the tee reached the client")
	st = parse_stats(r.stop().err)
	eq(st["all"]["tee copies"], 5, "tee copies")
	eq(st["all"]["tee replies dropped"], 5, "tee replies")


# --- GRO in, GSO out ------------------------------------------------------

SOL_UDP, UDP_SEGMENT = 17, 103


def gso_send(sock, dgrams, addr):
	"""dgrams (equal sizes, the last may be shorter) as one UDP GSO send;
	skips the test where the kernel has no GSO."""
	try:
		sock.sendmsg([b"".join(dgrams)], [(SOL_UDP, UDP_SEGMENT,
		    struct.pack("=H", len(dgrams[0])))], 0, addr)
	except OSError as e:
		util.skip("no UDP GSO here: %s" % e)


def gso_burst(tag, k, n=41, size=1000, last=123):
	"""n numbered datagrams of size bytes, the last one of last bytes."""
	return [(b"%s%04d:%04d:" % (tag, k, i)).ljust(size if i < n - 1 else
	    last, b".") for i in range(n)]


@test("relay/GSO bursts both ways: forwarded whole, every datagram apart")
def _():
	s = Service(answer=False)
	r = Relay(["--stats"], s.port)
	c = Peer()
	c.send(b"open", r.port)
	up_addr = s.wait(1)[0][1]
	sent_up, sent_down, got_down = [b"open"], [], []
	for k in range(25):
		b = gso_burst(b"u", k)
		gso_send(c.sock, b, ("127.0.0.1", r.port))
		sent_up += b
		s.wait(len(sent_up))
		b = gso_burst(b"d", k)
		gso_send(s.sock, b, up_addr)
		sent_down += b
		got_down += c.recv_n(len(b))
	eq([d for d, _, _ in s.got], sent_up, "datagrams the service got")
	eq({a for _, a, _ in s.got}, {up_addr}, "upstream addresses")
	eq(got_down, sent_down, "datagrams the client got")
	eq(c.drain(0.1), [], "nothing more for the client")
	st = parse_stats(r.stop().err)
	for d, n in (("up", len(sent_up)), ("down", len(sent_down))):
		eq((st[d]["received"], st[d]["forwarded"], st[d]["not sent"]),
		    (n, n, 0), d + ": received, forwarded, not sent")


# --- impairments ----------------------------------------------------------

def counted(r):
	"""The Result of a relay run with -n: it exits 0 by itself."""
	res = r.finish()
	check_rc(res, 0)
	return res


def seeded_run(seed, n=400):
	s = Service(answer=False)
	r = Relay(["--json", "--seed", str(seed), "--loss", "20",
	    "--duplicate", "10", "--corrupt", "10", "--reorder", "10",
	    "-n", str(n), "-w", "3"], s.port)
	c = Peer()
	for i in range(n):
		c.send(b"d%04d" % i, r.port)
	recs = [json.loads(l) for l in counted(r).out.splitlines()]
	eq(len(recs), n, "records")
	return [(x["data"], x.get("fate")) for x in recs], s


@test("relay/--seed: the same fates datagram for datagram (--json)")
def _():
	a, sa = seeded_run(7)
	b, sb = seeded_run(7)
	eq(a, b, "fates of two runs with --seed 7")
	n = len(sa.got)
	eq([d for d, _, _ in sb.wait(n)], [d for d, _, _ in sa.got],
	    "what the service got, twice")
	c, _ = seeded_run(8)
	ok_(a != c, "--seed 8 gives other fates")
	fates = {f for _, f in a}
	ok_({"dropped", "duplicated", "corrupted", "reordered"} <= fates,
	    "every fate appears: %r" % fates)


def loss_run(pct, n):
	s = Service(answer=False)
	r = Relay(["--seed", "1", "--loss", pct, "--stats", "-n", str(n),
	    "-w", "3"], s.port)
	c = Peer()
	for i in range(n):
		c.send(b"%d" % i, r.port)
	st = parse_stats(counted(r).err)
	if st["up"]["forwarded"] > 0:
		s.wait(st["up"]["forwarded"])
	return st, [d for d, _, _ in s.got]


@test("relay/--loss 10% over 20,000 datagrams: within 1% absolute")
def _():
	n = 20000
	st, got = loss_run("10%", n)
	up = st["up"]
	eq(up["received"] + up["kernel drops"], n, "received + kernel drops")
	ok_(up["kernel drops"] == 0, "no kernel drops: %r" % up)
	lost = up["dropped"] / up["received"]
	ok_(0.09 <= lost <= 0.11, "lost %.4f, not within 1%% of 10%%" % lost)
	eq(up["forwarded"], up["received"] - up["dropped"], "forwarded")
	eq(len(got), up["forwarded"], "datagrams the service got")


@test("relay/--loss 100% forwards nothing; --loss 0 is exact")
def _():
	st, got = loss_run("100", 2000)
	eq(got, [], "datagrams through --loss 100")
	eq(st["up"]["forwarded"], 0, "forwarded")
	st, got = loss_run("0", 2000)
	eq(got, [b"%d" % i for i in range(2000)], "datagrams through --loss 0")


@test("relay/--rate queue drops after --delay, --reorder: one true fate each")
def _():
	# Delayed or held back, a datagram meets the rate's queue later: its
	# record waits for its fate, and says "dropped" if it was.
	s = Service(answer=False)
	n = 40
	r = Relay(["--json", "--stats", "--seed", "3", "--delay", "50ms",
	    "--reorder", "20", "--rate", "20", "--queue", "3", "-n", str(n),
	    "-w", "3"], s.port)
	c = Peer()
	sent = [b"q%02d" % i for i in range(n)]
	for d in sent:
		c.send(d, r.port)
	res = counted(r)
	recs = [json.loads(l) for l in res.out.splitlines()]
	eq(sorted(base64.b64decode(x["data"]) for x in recs), sent,
	    "one record per datagram")
	fates = {base64.b64decode(x["data"]): x.get("fate") for x in recs}
	passed = sorted(d for d, f in fates.items() if f != "dropped")
	ok_(0 < len(passed) < n, "some dropped from the queue: %r" % fates)
	ok_(set(fates.values()) <= {"dropped", "delayed", "reordered"},
	    "fates: %r" % fates)
	Peer().send(b"FENCE", s.port)
	got = [d for d, _, _ in s.wait(len(passed) + 1)]
	eq(sorted(got[:-1]), passed, "what the service got")
	eq(got[-1], b"FENCE", "nothing more")
	st = parse_stats(res.err)["up"]
	eq((st["forwarded"], st["queue drops"]), (len(passed), n - len(passed)),
	    "forwarded, queue drops")


@test("relay/--delay 50ms --jitter 10ms: every latency in [40, 60] ms")
def _():
	timing_sensitive()
	s = Service(answer=False)
	r = Relay(["--delay", "50ms", "--jitter", "10ms", "--stats", "-n",
	    "100"], s.port)
	c = Peer()
	sent = {}
	for i in range(100):
		sent[b"%d" % i] = time.monotonic()
		c.send(b"%d" % i, r.port)
		time.sleep(0.002)	# spread over 200 ms: pacing only
	got = s.wait(100)
	lat = [(t - sent[d]) * 1000 for d, _, t in got]
	ok_(min(lat) >= 40, "a latency below 40 ms: %.2f" % min(lat))
	# Scheduling on a loaded machine adds, never takes away.
	ok_(statistics.median(lat) <= 60 + 50,
	    "median latency %.1f ms" % statistics.median(lat))
	ok_(max(lat) <= 60 + 400, "max latency %.1f ms" % max(lat))
	st = parse_stats(counted(r).err)
	eq(st["up"]["delayed"], 100, "delayed")


# --- the client table -----------------------------------------------------

def upstream_sockets(pid):
	"""The number of sockets udpcat holds, from /proc/PID/fd."""
	n = 0
	for fd in os.listdir("/proc/%d/fd" % pid):
		try:
			if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith(
			    "socket:"):
				n += 1
		except OSError:
			pass
	return n


@test("relay/--max-clients 8 with 60 clients: at most 8 upstream sockets")
def _():
	s = Service()
	r = Relay(["--max-clients", "8", "--stats"], s.port)
	peak = 0
	# Each client keeps its socket to the end: one that closed would free
	# its port for a later one, which the relay takes for the same client.
	clients = []
	for i in range(60):
		c = Peer()
		clients.append(c)
		c.send(b"c%d" % i, r.port)
		eq(c.recv()[0], b"re:c%d" % i, "reply to client %d" % i)
		peak = max(peak, upstream_sockets(r.pid))
	ok_(peak <= 8 + 1, "%d sockets at the peak (8 upstream + 1)" % peak)
	st = parse_stats(r.stop().err)
	eq(st["all"]["clients"], 60, "clients")
	eq(st["all"]["to make room"], 52, "mappings closed to make room")


def rss_kib(pid):
	with open("/proc/%d/status" % pid) as f:
		for line in f:
			if line.startswith("VmRSS:"):
				return int(line.split()[1])
	fail("no VmRSS for %d" % pid)


@test("relay/3,000 clients against --max-clients 64: descriptors, memory flat")
def _():
	s = Service()
	r = Relay(["--max-clients", "64", "--stats"], s.port)
	peak = 0
	rss = {}
	ports = set()
	for i in range(3000):
		c = Peer()
		ports.add(c.port)
		c.send(b"c%d" % i, r.port)
		eq(c.recv()[0], b"re:c%d" % i, "reply to client %d" % i)
		c.sock.close()
		if i % 100 == 99:
			peak = max(peak, upstream_sockets(r.pid))
		if i in (499, 2999):
			rss[i] = rss_kib(r.pid)
	ok_(peak <= 64 + 1, "%d sockets at the peak (64 upstream + 1)" % peak)
	ok_(rss[2999] - rss[499] < 1024, "memory grew from %d to %d KiB" %
	    (rss[499], rss[2999]))
	st = parse_stats(r.stop().err)
	# A new socket may get the port of one closed just before, whose
	# mapping is still there: a client the relay already knows.
	ok_(len(ports) <= st["all"]["clients"] <= 3000,
	    "clients %d, distinct ports %d" % (st["all"]["clients"], len(ports)))
	eq(st["all"]["to make room"], st["all"]["clients"] - 64,
	    "mappings closed")
	eq(st["up"]["forwarded"], 3000, "forwarded")


@test("relay/--idle closes a mapping idle in both directions")
def _():
	s = Service()
	r = Relay(["--idle", "200ms", "--stats"], s.port)
	c = Peer()
	c.send(b"a", r.port)
	eq(c.recv()[0], b"re:a", "reply")
	end = time.monotonic() + WAIT
	while upstream_sockets(r.pid) > 1 and time.monotonic() < end:
		time.sleep(0.02)
	eq(upstream_sockets(r.pid), 1, "sockets once idle")
	c.send(b"b", r.port)
	eq(c.recv()[0], b"re:b", "reply after the mapping was closed")
	st = parse_stats(r.stop().err)
	eq((st["all"]["clients"], st["all"]["idle"]), (2, 1), "clients, idle")


@test("relay/service goes away and comes back: one warning per client")
def _():
	s = Service()
	port = s.port
	r = Relay(["--stats"], port)
	cs = [Peer() for _ in range(3)]
	clients_exchange(r.port, cs, 1)
	s.close()
	# Each client sends into the void a few times: ICMP refusals.
	for k in range(3):
		for c in cs:
			c.send(b"void", r.port)
		r.wait_err(lambda e: e.count(b"refused") >= 3)
	s2 = Service(port=port)
	for seq in range(2):
		for i, c in enumerate(cs):
			c.send(b"%d:%d" % (i, seq), r.port)
	for i, c in enumerate(cs):
		# A "void" still on its way when the service came back is
		# answered too: the relay keeps every mapping.
		got = [d for d in c.recv_n(2) if d != b"re:void"]
		while len(got) < 2:
			got += [d for d in c.recv_n(1) if d != b"re:void"]
		eq(got, [b"re:%d:0" % i, b"re:%d:1" % i], "replies after return")
	res = r.stop()
	warn = [l for l in err_lines(res) if "refused" in l and "warning" in l]
	eq(len(warn), 3, "refusal warnings: %r" % warn)
	for l in warn:
		check_warning(l, "relay", "port unreachable", "client")
	st = parse_stats(res.err)
	ok_(st["all"]["refused"] >= 3, "refusals counted: %r" % st["all"])
	s2.close()


@test("relay/100 clients x 200 datagrams: accounted for per direction")
def _():
	l = util.Listener(["--echo"])
	r = Relay(["--stats"], l.port)
	cs = [Peer() for _ in range(100)]
	n = 200
	for seq in range(n):
		for i, c in enumerate(cs):
			c.send(b"%d:%d" % (i, seq), r.port)
	for i, c in enumerate(cs):
		got = c.recv_n(n, timeout=WAIT * 2)
		eq(sorted(got), sorted(b"%d:%d" % (i, k) for k in range(n)),
		    "client %d's own replies" % i)
	st = parse_stats(r.stop().err)
	l.signal(signal.SIGINT)
	l.finish()
	total = 100 * n
	for d in ("up", "down"):
		x = st[d]
		eq(x["received"] + x["kernel drops"], total,
		    "%s: received + kernel drops" % d)
		eq(x["forwarded"] + x["dropped"] + x["queue drops"] +
		    x["not sent"] + x["held at exit"], x["received"],
		    "%s: accounted" % d)
	eq(st["all"]["clients"], 100, "clients")


def forge_udp(src_port, dst_port, payload):
	"""Sends a UDP datagram from 127.0.0.1:src_port through a raw socket
	(root only; skips otherwise)."""
	import struct
	try:
		raw = socket.socket(socket.AF_INET, socket.SOCK_RAW,
		    socket.IPPROTO_RAW)
	except PermissionError:
		util.skip("forging a source address needs CAP_NET_RAW")
	lo = socket.inet_aton("127.0.0.1")
	udp = struct.pack("!HHHH", src_port, dst_port, 8 + len(payload), 0)
	ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) +
	    len(payload), 0, 0, 64, socket.IPPROTO_UDP, 0, lo, lo)
	raw.sendto(ip + udp + payload, ("127.0.0.1", 0))
	raw.close()


@test("relay/a datagram forged from the relay's own address: not relayed")
def _():
	s = Service()
	r = Relay(["--stats"], s.port)
	forge_udp(r.port, r.port, b"loop")
	c = Peer()
	got = clients_exchange(r.port, [c], 1)
	eq(got[0], [b"re:0:0"], "the real client's reply")
	res = r.stop()
	eq([d for d, _, _ in s.got], [b"0:0"], "what reached the service")
	st = parse_stats(res.err)
	eq(st["all"]["from the relay itself"], 1, "counted")
	ok_(any("own address" in l for l in err_lines(res)),
	    "a warning names it: %s" % short(res.err))


@test("relay/exit statuses: -w without a client 3, -n 0, SIGTERM 143")
def _():
	s = Service()
	r = Relay(["-w", "300ms"], s.port)
	res = r.finish()
	check_rc(res, 3)
	eq((res.out, res.err), (b"", b""), "output")
	r = Relay(["-n", "2", "-w", "5"], s.port)
	c = Peer()
	for d in (b"a", b"b", b"c"):
		c.send(d, r.port)
	res = r.finish()
	check_rc(res, 0)
	eq([d for d, _, _ in s.wait(2)][:2], [b"a", b"b"], "forwarded")
	r = Relay(["--progress"], s.port)
	r.signal(signal.SIGTERM)
	check_rc(r.finish(), 143)


@test("relay/-n N: exit after N client datagrams; no wait for replies")
def _():
	# SPEC: "-n, --count N: exit after N client datagrams".  The service
	# never answers and there is no -w: a relay that waited for replies
	# would not exit.
	s = Service(answer=False)
	r = Relay(["-n", "3", "--delay", "100ms", "--stats"], s.port)
	c = Peer()
	for i in range(5):
		c.send(b"n%d" % i, r.port)
	res = counted(r)
	Peer().send(b"FENCE", s.port)
	eq([d for d, _, _ in s.wait(4)], [b"n0", b"n1", b"n2", b"FENCE"],
	    "the service got the first 3, delayed, before the relay exited")
	eq(parse_stats(res.err)["up"]["received"], 3, "received")
	# Under GRO: a burst that -n falls inside is split, and cut there.
	s = Service(answer=False)
	r = Relay(["-n", "50"], s.port)
	c.send(b"open", r.port)
	s.wait(1)
	sent = [b"open"]
	for k in range(2):
		b = gso_burst(b"n", k)
		gso_send(c.sock, b, ("127.0.0.1", r.port))
		sent += b
	counted(r)
	Peer().send(b"FENCE", s.port)
	eq([d for d, _, _ in s.wait(51)], sent[:50] + [b"FENCE"],
	    "-n 50 across GSO bursts of 41")


# --- Unix datagram sockets -----------------------------------------------

def unix_sock(name):
	"""A Unix datagram socket bound to the abstract name (Linux)."""
	u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	u.bind("\0" + name)
	return u


def recv_from(sock, timeout=WAIT):
	r, _, _ = select.select([sock], [], [], timeout)
	if not r:
		fail("no datagram within %.1f s" % timeout)
	return sock.recvfrom(1 << 17)


@test("relay/unix:@NAME clients to a UDP service, replies to each")
def _():
	s = Service()
	name = "udpcat-relay-%d" % os.getpid()
	r = Proc(["relay", "--json", "unix:@" + name, "127.0.0.1",
	    str(s.port)])
	a, b = unix_sock(name + "-a"), unix_sock(name + "-b")
	try:
		end = time.monotonic() + WAIT
		while True:	# until the relay has bound its name
			try:
				a.sendto(b"from a", "\0" + name)
				break
			except (ConnectionRefusedError, FileNotFoundError):
				if time.monotonic() > end:
					fail("relay never bound @%s" % name)
				time.sleep(0.01)
		b.sendto(b"from b", "\0" + name)
		eq(recv_from(a)[0], b"re:from a", "a's reply")
		eq(recv_from(b)[0], b"re:from b", "b's reply")
	finally:
		a.close()
		b.close()
	r.signal(signal.SIGINT)
	res = r.finish()
	check_rc(res, 130)
	recs = [json.loads(l) for l in res.out.splitlines()]
	eq(sorted((x["dir"], x["client"], x["client_port"]) for x in recs),
	    [("down", "@" + name + "-a", None), ("down", "@" + name + "-b",
	    None), ("up", "@" + name + "-a", None), ("up", "@" + name + "-b",
	    None)], "records")
	eq(len({a for _, a, _ in s.got}), 2, "upstream ports")


@test("relay/UDP clients to a unix:PATH service: a name per client")
def _():
	d = tempfile.mkdtemp(prefix="udpcat-bb-")
	path = os.path.join(d, "svc")
	svc = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	svc.bind(path)
	pf = os.path.join(d, "port")
	r = Proc(["relay", "--port-file", pf, "0", "unix:" + path])
	port = util.wait_port_file(pf, r)
	cs = [Peer(), Peer()]
	seen = set()
	for i, c in enumerate(cs):
		c.send(b"%d" % i, port)
		data, addr = recv_from(svc)
		eq(data, b"%d" % i, "datagram at the service")
		seen.add(addr)
		svc.sendto(b"re:" + data, addr)
	for i, c in enumerate(cs):
		eq(c.recv()[0], b"re:%d" % i, "reply to client %d" % i)
	eq(len(seen), 2, "service sees one name per client: %r" % seen)
	r.signal(signal.SIGINT)
	check_rc(r.finish(), 130)
	svc.close()
	shutil.rmtree(d, ignore_errors=True)


@test("relay/own-name check: listen --echo on unix:@NAME answers @NAME-a")
def _():
	# The check the relay shares with listen once took any name that
	# begins with the bound one for the socket itself.
	name = "udpcat-echo-%d" % os.getpid()
	l = Proc(["listen", "--echo", "-n", "1", "unix:@" + name])
	a = unix_sock(name + "-a")
	try:
		end = time.monotonic() + WAIT
		while True:
			try:
				a.sendto(b"hi", "\0" + name)
				break
			except (ConnectionRefusedError, FileNotFoundError):
				if time.monotonic() > end:
					fail("listen never bound @%s" % name)
				time.sleep(0.01)
		eq(recv_from(a)[0], b"hi", "the echo")
	finally:
		a.close()
	util.check_ok(l.finish(), b"hi\n")


# --- refusals at start ----------------------------------------------------

@test("relay/HOST PORT that is the relay itself: refused at start")
def _():
	port = free_port()
	res = run(["relay", "127.0.0.1", str(port), "127.0.0.1", str(port)])
	util.check_err(res, 2, "relay", "relay's own address")


@test("relay/usage: bad percentages, --json with --tap, -F none")
def _():
	res = run(["relay", "unix:@udpcat-x", "unix:@udpcat-x"])
	util.check_err(res, 2, "relay", "relay's own address")
	res = run(["relay", "--port-file", "f", "unix:@udpcat-x", "::1", "9"])
	check_usage(res, "relay", "--port-file", "Unix")
	for args, words in (
	    (["--loss", "101"], ("percentage", "101")),
	    (["--loss", "up:x"], ("percentage", "x")),
	    (["--loss", "1.", "--seed", "1"], ("percentage",)),
	    (["--json", "--tap"], ("--json", "--tap")),
	    (["--tap", "-F", "none"], ("framing",)),
	    (["--max-clients", "0"], ("--max-clients",))):
		res = run(["relay"] + args + ["0", "127.0.0.1", "9"])
		check_usage(res, "relay", *words)
	res = run(["relay", "0", "127.0.0.1"])
	check_usage(res, "relay", "missing")


def rx_queued(port):
	"""Bytes waiting in the receive queue of the socket bound to UDP port
	(IPv4 or IPv6), from /proc; None when none is bound."""
	hx = ":%04X" % port
	for f in ("/proc/net/udp", "/proc/net/udp6"):
		with open(f) as fh:
			next(fh)
			for line in fh:
				fl = line.split()
				if len(fl) > 4 and fl[1].endswith(hx):
					return int(fl[4].split(":")[1], 16)
	return None


@test("relay/--stats counts what an impairment still held at exit")
def _():
	l = util.Listener(["--echo"])
	r = Relay(["--stats", "--delay", "30s"], l.port)
	c = Peer()
	for i in range(5):
		c.send(b"%d" % i, r.port)
	# Sent on loopback: queued at the relay, until it has read them.
	end = time.monotonic() + WAIT
	while rx_queued(r.port) != 0:
		ok_(time.monotonic() < end, "the relay did not read them")
		time.sleep(0.01)
	st = parse_stats(r.stop().err)
	l.signal(signal.SIGINT)
	l.finish()
	up = st["up"]
	eq((up["received"], up["forwarded"], up["held at exit"]), (5, 0, 5),
	    "up: received, forwarded, held at exit")
	eq(up["forwarded"] + up["dropped"] + up["queue drops"] +
	    up["not sent"] + up["held at exit"], up["received"], "accounted")
