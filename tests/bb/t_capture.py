# t_capture.py: capture and replay: listen -F pcap read by tcpdump (and
# tshark), tcpdump's captures replayed by send -F pcap, listen --json
# replayed by send -F json, --speed measured at a receiver with kernel
# timestamps, and damaged captures and JSON lines.

import base64
import json
import os
import random
import re
import resource
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
    check_usage, check_err, err_lines, has_words, Listener, Peer,
    Background, need_ipv6, short, timing_sensitive, SO_TIMESTAMPNS, ENV,
    ALL256)

TCPDUMP = shutil.which("tcpdump") or "/usr/bin/tcpdump"
TSHARK = shutil.which("tshark")


# --- building captures ------------------------------------------------------

def csum(b):
	if len(b) % 2:
		b += b"\0"
	s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
	while s >> 16:
		s = (s & 0xffff) + (s >> 16)
	return ~s & 0xffff


def ip4(payload, frag=0x4000, proto=17, sport=1111, dport=2222):
	body = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + \
	    payload if proto == 17 else payload
	h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 7, frag, 64,
	    proto, 0, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 2]))
	return h[:10] + struct.pack("!H", csum(h)) + h[12:] + body


def ip6(payload, sport=1111, dport=2222):
	body = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
	return struct.pack("!IHBB16s16s", 0x60000000, len(body), 17, 64,
	    bytes(15) + b"\1", bytes(15) + b"\2") + body


def eth(pkt, vlan=False):
	t = 0x86dd if pkt[0] >> 4 == 6 else 0x0800
	tag = struct.pack("!HH", 0x8100, 5) if vlan else b""
	return b"\2" * 6 + b"\4" * 6 + tag + struct.pack("!H", t) + pkt


def pcap(frames, order="<", linktype=1, nsec=False):
	"""frames: bytes, or (bytes, original length) for a cut one."""
	out = struct.pack(order + "IHHiIII", 0xa1b23c4d if nsec else
	    0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype)
	for i, f in enumerate(frames):
		f, orig = f if isinstance(f, tuple) else (f, len(f))
		out += struct.pack(order + "IIII", 1700000000 + i, i, len(f),
		    orig) + f
	return out


def ng_block(order, btype, body):
	body += b"\0" * (-len(body) % 4)
	n = 12 + len(body)
	return struct.pack(order + "II", btype, n) + body + \
	    struct.pack(order + "I", n)


def pcapng(frames, order="<", linktype=1):
	out = ng_block(order, 0x0a0d0d0a, struct.pack(order + "IHHq",
	    0x1a2b3c4d, 1, 0, -1))
	out += ng_block(order, 1, struct.pack(order + "HHI", linktype, 0, 0))
	out += ng_block(order, 0x0bad, b"not a block anyone knows")
	for i, f in enumerate(frames):
		ts = 1700000000 * 1000000 + i
		out += ng_block(order, 6, struct.pack(order + "IIIII", 0,
		    ts >> 32, ts & 0xffffffff, len(f), len(f)) + f)
		out += ng_block(order, 5, struct.pack(order + "III", 0, 0, 0))
	return out


def sanitized():
	"""Whether udpcat runs under valgrind or is built with
	AddressSanitizer, whose memory cannot live under a tight
	address-space limit."""
	if util.VALGRIND_DIR:
		return True
	with open(util.UDPCAT, "rb") as f:
		return b"__asan_init" in f.read()


def replay(args, data, n=None, opts=(), limit_as=None):
	"""send -F pcap (or what args say) of data to a fresh peer, under an
	address-space limit of limit_as bytes unless sanitized; returns
	(result, datagrams received)."""
	p = Peer()
	pre = None
	if limit_as and not sanitized():
		def pre():
			resource.setrlimit(resource.RLIMIT_AS, (limit_as,
			    limit_as))
	r = run(["send"] + list(args) + list(opts) + ["127.0.0.1",
	    str(p.port)], input=data, preexec_fn=pre)
	return r, p.data()


# --- listen -F pcap, read by real tools --------------------------------------

def listen_pcap(n, sends, opts=(), operands=("0",)):
	"""listen -F pcap -n N; sends(port) sends; returns the capture bytes
	and the senders' ports."""
	ln = Listener(["-F", "pcap", "-n", str(n)] + list(opts), operands)
	ports = sends(ln.port)
	r = ln.finish()
	check_rc(r, 0)
	eq(r.err, b"", "stderr")
	return r.out, ports


def tool_read(argv, cap):
	with tempfile.NamedTemporaryFile(suffix=".pcap") as f:
		f.write(cap)
		f.flush()
		p = subprocess.run(argv + [f.name], stdout=subprocess.PIPE,
		    stderr=subprocess.PIPE, timeout=30, env=ENV)
	if p.returncode != 0:
		fail("%s failed: %s" % (argv[0], short(p.stderr, 300)))
	return p.stdout.decode().splitlines()


@test("capture/listen -F pcap: tcpdump -r shows addresses, ports, lengths")
def _():
	if not os.access(TCPDUMP, os.X_OK):
		skip("tcpdump is not installed")
	payloads = [b"hello", b"", ALL256, b"x" * 3000]
	a, b = Peer(), Peer()

	def sends(port):
		for i, d in enumerate(payloads):
			(a if i % 2 == 0 else b).send(d, port)
		return [a.port, b.port]
	cap, ports = listen_pcap(len(payloads), sends,
	    operands=("127.0.0.1", "0"))
	eq(cap[:4], struct.pack("=I", 0xa1b2c3d4), "magic")
	eq(struct.unpack("=I", cap[20:24])[0], 101, "link type")
	lines = tool_read([TCPDUMP, "-nn", "-vv", "-r"], cap)
	text = " ".join(lines)
	got = re.findall(r"127\.0\.0\.1\.(\d+) > 127\.0\.0\.1\.(\d+): "
	    r"\[udp sum ok\] UDP, length (\d+)", text)
	want = [(str(ports[i % 2]), None, str(len(d)))
	    for i, d in enumerate(payloads)]
	eq(len(got), len(payloads), "tcpdump records (%s)" % short(text, 600))
	for g, w in zip(got, want):
		eq((g[0], g[2]), (w[0], w[2]), "source port and length")
	eq(len(set(g[1] for g in got)), 1, "one destination port")
	ok_("flags [DF]" in text and "ttl 64" in text, "DF and TTL: " +
	    short(text, 300))


@test("capture/listen -F pcap | tcpdump -r -: dissected live, as it comes")
def _():
	if not os.access(TCPDUMP, os.X_OK):
		skip("tcpdump is not installed")
	ln = Listener(["-F", "pcap"], ("127.0.0.1", "0"), collect=False)
	td = Background([TCPDUMP, "-l", "-nn", "-r", "-"], stdin=ln.proc.stdout)
	ln.proc.stdout.close()
	a = Peer()
	for want, d in enumerate((b"first", b"second!"), 1):
		a.send(d, ln.port)
		end = time.monotonic() + 5
		while td._out.get().count(b"\n") < want:
			ok_(time.monotonic() < end, "tcpdump printed %s for %d "
			    "datagrams" % (short(td._out.get()), want))
			time.sleep(0.02)
	ok_(ln.alive(), "udpcat still listening while tcpdump shows them")
	out = td._out.get().decode()
	ok_(re.search(r"127\.0\.0\.1\.%d > 127\.0\.0\.1\.%d: UDP, length 7"
	    % (a.port, ln.port), out), "tcpdump output: " + short(out))
	ln.signal(signal.SIGINT)
	check_rc(ln.finish(), 130)


@test("capture/listen -F pcap: dual stack, local address from pktinfo")
def _():
	if not os.access(TCPDUMP, os.X_OK):
		skip("tcpdump is not installed")
	need_ipv6()
	a, b, c = Peer("::1"), Peer("127.0.0.1"), Peer("127.0.0.1")

	def sends(port):
		a.send(b"six", port)
		b.send(b"four", port)
		c.send(b"other", port, host="127.0.0.2")
		return [a.port, b.port, c.port]
	cap, ports = listen_pcap(3, sends)
	lines = tool_read([TCPDUMP, "-nn", "-vv", "-r"], cap)
	text = " ".join(lines)
	for host, dst, port, n in (("::1", "::1", ports[0], 3),
	    ("127.0.0.1", "127.0.0.1", ports[1], 4),
	    ("127.0.0.1", "127.0.0.2", ports[2], 5)):
		pat = r"%s\.%d > %s\.\d+: \[udp sum ok\] UDP, length %d" % (
		    re.escape(host), port, re.escape(dst), n)
		ok_(re.search(pat, text), "tcpdump shows %s: %s" % (pat,
		    short(text, 600)))


@test("capture/listen -F pcap: tshark -r dissects it")
def _():
	if TSHARK is None:
		skip("tshark is not installed")
	a = Peer()
	cap, ports = listen_pcap(2, lambda port: [a.send(b"ab", port),
	    a.send(b"cde", port), a.port][2:], operands=("127.0.0.1", "0"))
	lines = tool_read([TSHARK, "-n", "-o", "udp.check_checksum:TRUE",
	    "-T", "fields", "-e", "ip.src", "-e", "ip.dst", "-e", "udp.srcport",
	    "-e", "udp.length", "-e", "udp.checksum.status", "-r"], cap)
	eq([ln.split("\t") for ln in lines],
	    [["127.0.0.1", "127.0.0.1", str(ports[0]), "10", "1"],
	    ["127.0.0.1", "127.0.0.1", str(ports[0]), "11", "1"]],
	    "tshark fields (checksum status 1: good)")


@test("capture/listen -F pcap then send -F pcap: the same datagrams")
def _():
	payloads = [b"", b"a", ALL256, os.urandom(1400), b"\n" * 7]
	a = Peer()

	def sends(port):
		for d in payloads:
			a.send(d, port)
		return [a.port]
	cap, _ = listen_pcap(len(payloads), sends,
	    operands=("127.0.0.1", "0"))
	r, got = replay(["-F", "pcap"], cap)
	check_ok(r)
	eq(got, payloads, "replayed datagrams")


@test("capture/listen -F pcap: GSO sends taken whole by GRO, a record each")
def _():
	if not os.access(TCPDUMP, os.X_OK):
		skip("tcpdump is not installed")
	# Equal sizes go out as GSO sends, the last of them shorter.
	payloads = [b"%07d" % i for i in range(300)] + [b"end"]

	def sends(port):
		check_ok(run(["send", "127.0.0.1", str(port)],
		    input=b"".join(d + b"\n" for d in payloads)))
		return []
	cap, _ = listen_pcap(len(payloads), sends)
	text = " ".join(tool_read([TCPDUMP, "-nn", "-vv", "-r"], cap))
	got = re.findall(r"127\.0\.0\.1\.\d+ > 127\.0\.0\.1\.\d+: "
	    r"\[udp sum ok\] UDP, length (\d+)", text)
	eq(got, ["7"] * 300 + ["3"], "tcpdump's lengths, checksums good (%s)"
	    % short(text, 300))
	r, back = replay(["-F", "pcap"], cap)
	check_ok(r)
	eq(back, payloads, "replayed datagrams")


@test("capture/listen -F pcap: usage errors with -e and -P")
def _():
	check_usage(run(["listen", "-F", "pcap", "-e", "hex", "0"]), "listen",
	    "-F pcap", "-e hex")
	check_usage(run(["listen", "-F", "pcap", "-P", "0"]), "listen", "-P")
	check_usage(run(["send", "-F", "pcap", "-e", "base64", "127.0.0.1",
	    "9"], input=b""), "send", "-F pcap", "-e base64")
	check_usage(run(["send", "--speed", "1", "127.0.0.1", "9"], input=b""),
	    "send", "--speed", "-F json")
	for bad in ("0", "-1", "x", "1e9", "nan", ""):
		check_usage(run(["send", "-F", "json", "--speed", bad,
		    "127.0.0.1", "9"], input=b""), "send", "--speed")


# --- tcpdump's own captures, replayed ----------------------------------------

class Tcpdump:
	"""tcpdump -w FILE of UDP to port on an interface, ready when it says
	it is listening."""

	def __init__(self, iface, port, extra=()):
		if os.geteuid() != 0:
			skip("capturing with tcpdump needs root")
		if not os.access(TCPDUMP, os.X_OK):
			skip("tcpdump is not installed")
		self.dir = tempfile.mkdtemp(prefix="udpcat-cap-")
		self.path = os.path.join(self.dir, "cap")
		self.bg = Background([TCPDUMP, "-i", iface, "-U", "-n",
		    "-w", self.path] + list(extra) + ["udp", "and", "dst",
		    "port", str(port)])
		end = time.monotonic() + 10
		while b"listening on" not in self.bg._err.get():
			if self.bg.proc.poll() is not None or \
			    time.monotonic() > end:
				err = self.bg.stop()[1]
				shutil.rmtree(self.dir, ignore_errors=True)
				skip("tcpdump cannot capture on %s here: %s" %
				    (iface, short(err, 200)))
			time.sleep(0.02)

	def stop(self, want_packets):
		"""Waits until the file holds want_packets (-U writes each
		packet as it comes), stops tcpdump, returns the bytes."""
		end = time.monotonic() + 10
		while time.monotonic() < end:
			try:
				with open(self.path, "rb") as f:
					data = f.read()
			except FileNotFoundError:
				data = b""
			if count_records(data) >= want_packets:
				break
			time.sleep(0.05)
		self.bg.proc.send_signal(signal.SIGINT)
		try:
			self.bg.proc.wait(5)
		except subprocess.TimeoutExpired:
			pass
		self.bg.stop()
		with open(self.path, "rb") as f:
			data = f.read()
		shutil.rmtree(self.dir, ignore_errors=True)
		return data


def count_records(data):
	"""The records of a classic pcap file, whatever its byte order."""
	if len(data) < 24:
		return 0
	order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") \
	    else ">"
	n, off = 0, 24
	while off + 16 <= len(data):
		cap = struct.unpack(order + "I", data[off + 8:off + 12])[0]
		if off + 16 + cap > len(data):
			break
		off += 16 + cap
		n += 1
	return n


def capture_and_replay(iface, extra, host="127.0.0.1"):
	dst = Peer(host)
	td = Tcpdump(iface, dst.port, extra)
	# Distinct sizes: equal ones would go as one UDP GSO send, which a
	# capture on lo shows as one large packet.
	payloads = [os.urandom(n) for n in (1, 0, 100, 1472, 7, 3000, 65)]
	payloads[0] = b"A"
	src = Peer(host)
	for d in payloads:
		src.send(d, dst.port)
	eq(dst.data(), payloads, "datagrams seen by the receiver")
	cap = td.stop(len(payloads))
	r, got = replay(["-v", "-F", "pcap"], cap)
	check_rc(r, 0)
	eq(got, payloads, "replayed from the %s capture" % iface)
	return cap, r


@test("capture/tcpdump -i lo -w, replayed by send -F pcap")
def _():
	cap, r = capture_and_replay("lo", [])
	eq(struct.unpack("<I", cap[20:24])[0] & 0xffff, 1, "link type "
	    "Ethernet (lo)")
	line = [ln for ln in err_lines(r) if "capture:" in ln]
	eq(len(line), 1, "one capture line in %s" % short(r.err))
	has_words(line[0], ["capture: 7 packets, 0 skipped"])


@test("capture/tcpdump -i lo IPv6, nanosecond stamps, replayed")
def _():
	need_ipv6()
	cap, r = capture_and_replay("lo", ["--time-stamp-precision=nano"],
	    host="::1")
	eq(cap[:4], b"\x4d\x3c\xb2\xa1", "nanosecond magic")


@test("capture/tcpdump -i any (Linux cooked v1 and v2), replayed")
def _():
	for lt, code in (("LINUX_SLL", 113), ("LINUX_SLL2", 276)):
		cap, r = capture_and_replay("any", ["-y", lt])
		eq(struct.unpack("<I", cap[20:24])[0] & 0xffff, code,
		    "link type " + lt)


@test("capture/tcpdump capture as pcapng (tshark converts), replayed")
def _():
	if TSHARK is None:
		skip("tshark is not installed: the pcapng cases below are "
		    "built by hand")
	dst = Peer()
	td = Tcpdump("lo", dst.port)
	payloads = [b"one", b"three", b"fifteen bytes!!"]
	src = Peer()
	for d in payloads:
		src.send(d, dst.port)
	cap = td.stop(len(payloads))
	with tempfile.TemporaryDirectory() as d:
		a, b = os.path.join(d, "a.pcap"), os.path.join(d, "b.pcapng")
		with open(a, "wb") as f:
			f.write(cap)
		p = subprocess.run([TSHARK, "-r", a, "-F", "pcapng", "-w", b],
		    stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
		if p.returncode != 0:
			fail("tshark -F pcapng failed: %s" % short(p.stderr))
		with open(b, "rb") as f:
			ng = f.read()
	eq(ng[:4], b"\x0a\x0d\x0d\x0a", "pcapng section header")
	r, got = replay(["-F", "pcap"], ng)
	check_ok(r)
	eq(got, payloads, "replayed from pcapng")


# --- hand-built captures: the RELIABILITY rows -------------------------------

P = [b"first", b"", b"third one", ALL256]


def frames():
	return [eth(ip4(P[0])), eth(ip6(P[1]), vlan=True), eth(ip4(P[2]),
	    vlan=True), eth(ip6(P[3]))]


@test("capture/pcap both byte orders, micro and nano; pcapng both orders")
def _():
	for data in (pcap(frames(), "<"), pcap(frames(), ">"),
	    pcap(frames(), "<", nsec=True), pcap(frames(), ">", nsec=True),
	    pcapng(frames(), "<"), pcapng(frames(), ">"),
	    pcapng([ip4(P[0]), ip6(P[1]), ip4(P[2]), ip6(P[3])], ">", 101)):
		r, got = replay(["-F", "pcap"], data)
		check_ok(r)
		eq(got, P, "datagrams")


@test("capture/pcap: fragments, other packets, snaplen cuts skipped, -v counts")
def _():
	f = [eth(ip4(b"x" * 64, frag=0x2000)), eth(ip4(b"y", frag=0x0008)),
	    eth(ip4(b"tcp!", proto=6)), eth(ip4(b"kept")),
	    (eth(ip4(b"z" * 200))[:60], 14 + 28 + 200),
	    b"\xff" * 12 + b"\x08\x06" + b"arp" * 10, eth(ip6(b"six"))]
	r, got = replay(["-v", "-F", "pcap"], pcap(f))
	check_rc(r, 0)
	eq(got, [b"kept", b"six"], "datagrams")
	line = [ln for ln in err_lines(r) if "capture:" in ln]
	eq(len(line), 1, "one capture line in %s" % short(r.err))
	has_words(line[0], ["7 packets", "5 skipped", "1 not IP", "1 not UDP",
	    "2 IP fragment", "1 cut short by the snapshot length"])


@test("capture/pcap: a truncated header is exit 2 naming the offset")
def _():
	for n in (0, 3, 20):
		r, got = replay(["-F", "pcap"], pcap([])[:n])
		check_err(r, 2, "send", "offset %d" % n)
		eq(got, [], "datagrams")
	r, got = replay(["-F", "pcap"], b"GET / HTTP/1.0\r\n\r\n" * 3)
	check_err(r, 2, "send", "offset 0", "not a pcap")


@test("capture/pcap: a 4 GB length field is exit 2, nothing allocated")
def _():
	good = pcap(frames()[:2])
	bad = good + struct.pack("<IIII", 5, 0, 0xffffffff, 0xffffffff) + \
	    b"\0" * 100
	r, got = replay(["-F", "pcap"], bad, limit_as=32 << 20)
	check_err(r, 2, "send", "damaged capture", "offset %d" %
	    (len(good) + 8))
	eq(got, P[:2], "the datagrams before it")
	ng = pcapng(frames()[:1], ">")
	bad = ng + struct.pack(">II", 6, 0xfffffff0) + b"\0" * 40
	r, got = replay(["-F", "pcap"], bad, limit_as=32 << 20)
	check_err(r, 2, "send", "offset %d" % (len(ng) + 4))
	eq(got, P[:1], "the datagram before it")


@test("capture/pcap: a capture cut mid-packet sends what came before")
def _():
	data = pcap(frames())
	r, got = replay(["-F", "pcap"], data[:-5])
	check_err(r, 2, "send", "offset %d" % (len(data) - 5))
	eq(got, P[:3], "datagrams")


# --- JSON input ----------------------------------------------------------------

def jline(data, t=None, **kw):
	o = {"time": t or "2026-11-23T22:37:46.000000Z", "from": "127.0.0.1",
	    "port": 9, "size": len(data), "truncated": False,
	    "data": base64.b64encode(data).decode()}
	o.update(kw)
	return json.dumps(o, separators=(",", ":")).encode() + b"\n"


@test("capture/listen --json then send -F json: the same datagrams")
def _():
	payloads = [b"", b"a", ALL256, b"\0" * 100, os.urandom(1200)]
	a = Peer()
	ln = Listener(["--json", "-n", str(len(payloads))],
	    ("127.0.0.1", "0"))
	for d in payloads:
		a.send(d, ln.port)
	r = ln.finish()
	check_rc(r, 0)
	r2, got = replay(["-F", "json"], r.out)
	check_ok(r2)
	eq(got, payloads, "replayed")
	# -e hex and -e text records too.
	for enc in ("hex", "text"):
		ln = Listener(["--json", "-e", enc, "-n", str(len(payloads))],
		    ("127.0.0.1", "0"))
		for d in payloads:
			a.send(d, ln.port)
		r = ln.finish()
		r2, got = replay(["-F", "json", "-e", enc], r.out)
		check_ok(r2)
		eq(got, payloads, "replayed with -e " + enc)


@test("capture/json: bad lines are exit 2 naming the line, before it sent")
def _():
	cases = [
		(b'{"data":"aGk=","truncated":true}', ["line 3", "truncated"]),
		(b'{"data":"\xc3\x28"}', ["line 3", "invalid UTF-8"]),
		(b'{"x":' + b"[" * 100 + b"]" * 100 + b',"data":""}',
		    ["line 3", "nesting"]),
		(b'{"data":"aGk=","data":"aGk="}', ["line 3", "second 'data'"]),
		(b'{"data":42}', ["line 3", "'data' is not a string"]),
		(b'{"data":"@@@"}', ["line 3", "base64"]),
		(b'{"time":"yesterday","data":""}', ["line 3", "RFC 3339"]),
		(b'not json', ["line 3", "not a JSON object"]),
		(b'{"size":1}', ["line 3", "no 'data'"]),
	]
	for bad, words in cases:
		inp = jline(b"one") + jline(b"two") + bad + b"\n" + \
		    jline(b"never")
		r, got = replay(["-F", "json"], inp)
		check_err(r, 2, "send", *words)
		eq(got, [b"one", b"two"], "the records before line 3")


# udpcat's address space is some 10 MB: 24 MB leaves no room to hold a
# 10 MB line, which would take a 16 MB buffer grown by doubling.
@test("capture/json: a 10 MB line is refused with bounded memory")
def _():
	inp = jline(b"one") + b'{"data":"' + b"A" * (10 << 20) + b'"}\n' + \
	    jline(b"never")
	r, got = replay(["-F", "json"], inp, limit_as=24 << 20)
	check_err(r, 2, "send", "line 2", "too long")
	eq(got, [b"one"], "the record before it")


# --- --speed ---------------------------------------------------------------------

def rfc3339(t):
	s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t)))
	return "%s.%06dZ" % (s, round((t - int(t)) * 1e6) % 1000000)


def timed_receive(sock, n, timeout):
	"""n datagrams with their kernel arrival times (seconds)."""
	sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
	got = []
	end = time.monotonic() + timeout
	while len(got) < n:
		left = end - time.monotonic()
		r, _, _ = select.select([sock], [], [], max(left, 0))
		if not r:
			fail("%d of %d datagrams within %.0f s" % (len(got), n,
			    timeout))
		data, anc, _, _ = sock.recvmsg(65536, socket.CMSG_SPACE(16))
		t = None
		for lvl, typ, cd in anc:
			if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
				sec, ns = struct.unpack("qq", cd[:16])
				t = sec + ns / 1e9
		ok_(t is not None, "a kernel timestamp")
		got.append((data, t))
	return got


def speed_run(times, speed, fmt="json"):
	"""Replays records stamped times (seconds) at speed; returns the
	arrival times relative to the first, in seconds."""
	if fmt == "json":
		inp = b"".join(jline(b"%d" % i, rfc3339(1795000000 + t))
		    for i, t in enumerate(times))
	else:
		inp = pcap([(ip4(b"%d" % i)) for i in range(len(times))],
		    linktype=101)
		inp = bytearray(inp)
		off = 24
		for t in times:
			us = round(t * 1e6)
			struct.pack_into("<II", inp, off, 1795000000 + us //
			    1000000, us % 1000000)
			off += 16 + struct.unpack_from("<I", inp, off + 8)[0]
		inp = bytes(inp)
	p = Peer()
	args = util._argv(["send", "-F", fmt, "--speed", str(speed),
	    "127.0.0.1", str(p.port)])
	with tempfile.TemporaryFile() as f:
		f.write(inp)
		f.seek(0)
		sp = subprocess.Popen(args, stdin=f, stdout=subprocess.PIPE,
		    stderr=subprocess.PIPE, env=ENV)
	try:
		got = timed_receive(p.sock, len(times), 10 + times[-1] / speed)
		out, err = sp.communicate(timeout=10)
	finally:
		if sp.poll() is None:
			sp.kill()
			sp.wait()
	eq(sp.returncode, 0, "exit status (stderr %s)" % short(err))
	eq([d for d, _ in got], [b"%d" % i for i in range(len(times))],
	    "datagrams in order")
	return [t - got[0][1] for _, t in got]


def pct(v, q):
	v = sorted(v)
	return v[min(len(v) - 1, int(q * len(v)))]


# The bounds the schedule must meet on a loaded 2-core machine, where a
# woken process may wait for a CPU for tens of milliseconds: measured at
# load 8 on 2 cores, the median error was 14-63 us and p99 3-125 ms, and
# at load 10 a median of 1.3 ms was seen; so the bounds here are gross
# ones (the precision is a figure for the benchmark, printed with -v),
# and what they must catch is drift: the median error of the last 100
# records less that of the first 100, which sleeping a sum of gaps makes
# grow by tens of microseconds a record, tens of milliseconds in all.
P50_BOUND = 0.02
P99_BOUND = 0.5
DRIFT_BOUND = 0.02


@test("capture/--speed 1 over 1,000 records: schedule error and no drift")
def _():
	timing_sensitive()
	rng = random.Random(15)
	times, t = [], 0.0
	for i in range(1000):
		times.append(t)
		t += rng.choice((0.0, 0.0005, 0.001, 0.002, 0.003, 0.004))
	for fmt in ("json", "pcap"):
		rel = speed_run(times, 1, fmt)
		err = [r - w for r, w in zip(rel, times)]
		absd = [abs(e) for e in err]
		p50, p99 = pct(absd, 0.5), pct(absd, 0.99)
		drift = pct(err[-100:], 0.5) - pct(err[1:101], 0.5)
		print("# --speed 1 %s: span %.3f s, error p50 %.0f us, p90 %.0f "
		    "us, p99 %.0f us, max %.0f us, drift %.0f us" % (fmt,
		    times[-1], p50 * 1e6, pct(absd, 0.9) * 1e6, p99 * 1e6,
		    max(absd) * 1e6, drift * 1e6))
		ok_(p50 < P50_BOUND, "%s: median schedule error %.0f us" %
		    (fmt, p50 * 1e6))
		ok_(p99 < P99_BOUND, "%s: p99 schedule error %.0f us" %
		    (fmt, p99 * 1e6))
		ok_(abs(drift) < DRIFT_BOUND, "%s: drift %.0f us" %
		    (fmt, drift * 1e6))


@test("capture/--speed 2 halves the span; earlier stamps go at once")
def _():
	timing_sensitive()
	times = [i * 0.004 for i in range(250)]
	rel = speed_run(times, 2)
	err = [r - t / 2 for r, t in zip(rel, times)]
	print("# --speed 2: recorded span %.3f s, replayed %.3f s, median "
	    "error %.0f us" % (times[-1], rel[-1], pct(err, 0.5) * 1e6))
	# At --speed 1 the median would be 0.25 s late.
	ok_(abs(pct(err, 0.5)) < P50_BOUND, "median error %.0f us against "
	    "half the recorded times" % (pct(err, 0.5) * 1e6))
	rel = speed_run([0, 0.4, 0.1, 0.5], 1)
	ok_(0.3 < rel[1] < 0.4 + P99_BOUND, "second at %.3f s" % rel[1])
	ok_(rel[2] - rel[1] < 0.1, "the earlier-stamped one went at once "
	    "(%.3f s after)" % (rel[2] - rel[1]))
	ok_(0.4 < rel[3] < 0.5 + P99_BOUND, "fourth at %.3f s" % rel[3])
