# t_send.py: udpcat send to a Python receiver: operands, standard input
# framings, encodings, sizes, and records too large or badly encoded.

import base64
import os

from .util import (test, run, eq, fail, ok_, check_ok, check_rc, check_usage,
    check_err, one_line, has_words, Peer, need_ipv6, ALL256, length_frame,
    short, free_port)


def send(peer, args, input=None, host=None):
	host = host or ("::1" if ":" in peer.host else "127.0.0.1")
	return run(["send"] + list(args) + [host, str(peer.port)], input=input)


def send_ops(peer, opts, operands, host=None):
	host = host or ("::1" if ":" in peer.host else "127.0.0.1")
	return run(["send"] + list(opts) + [host, str(peer.port)] +
	    list(operands))


def sends(opts, input, expect, host="127.0.0.1"):
	"""send OPTS < input; exit 0, nothing printed, exactly expect received."""
	p = Peer(host)
	r = send(p, opts, input)
	check_ok(r)
	eq(p.data(), expect, "datagrams received")


# --- operands ---------------------------------------------------------------

@test("send/each DATA operand is one datagram")
def _():
	p = Peer()
	check_ok(send_ops(p, [], ["a", "bc", "", "d e\tf", "x" * 100]))
	eq(p.data(), [b"a", b"bc", b"", b"d e\tf", b"x" * 100], "datagrams")


@test("send/operands come from the sender's socket, one source port")
def _():
	p = Peer()
	check_ok(send_ops(p, [], ["1", "2", "3"]))
	got = p.drain()
	eq([d for d, _ in got], [b"1", b"2", b"3"], "datagrams")
	eq(len(set(a for _, a in got)), 1, "distinct source addresses")
	eq(got[0][1][0], "127.0.0.1", "source address")


@test("send/operands win over standard input")
def _():
	p = Peer()
	r = run(["send", "127.0.0.1", str(p.port), "op"], input=b"stdin\n")
	check_ok(r)
	eq(p.data(), [b"op"], "datagrams")


# --- standard input framings --------------------------------------------------

@test("send/line framing: empty line, CR LF, last line without LF")
def _():
	sends([], b"one\n\ntwo\r\nthree", [b"one", b"", b"two\r", b"three"])


@test("send/line framing: trailing LF makes no extra datagram")
def _():
	sends([], b"a\nb\n", [b"a", b"b"])


@test("send/line framing: empty input sends nothing")
def _():
	sends([], b"", [])


@test("send/line framing: a lone LF is one empty datagram")
def _():
	sends([], b"\n", [b""])


@test("send/line framing: lone CR, NUL and high bytes kept")
def _():
	sends(["-F", "line"], b"a\rb\n\x00\xff\x80\n",
	    [b"a\rb", b"\x00\xff\x80"])


@test("send/nul framing")
def _():
	sends(["-F", "nul"], b"a\x00\x00b\nc\x00d", [b"a", b"", b"b\nc", b"d"])


@test("send/nul framing: trailing NUL makes no extra datagram")
def _():
	sends(["-F", "nul"], b"a\x00", [b"a"])


@test("send/whole framing")
def _():
	sends(["-F", "whole"], b"x\ny\n\x00z", [b"x\ny\n\x00z"])


@test("send/whole framing: empty input is one empty datagram")
def _():
	sends(["-F", "whole"], b"", [b""])


@test("send/chunk:3 framing")
def _():
	sends(["-F", "chunk:3"], b"abcdefgh", [b"abc", b"def", b"gh"])


@test("send/chunk:4 framing, exact multiple")
def _():
	sends(["-F", "chunk:4"], b"abcd\n\x00\xff\r", [b"abcd", b"\n\x00\xff\r"])


@test("send/chunk:65507 framing accepted over IPv4")
def _():
	data = os.urandom(70000)
	sends(["-F", "chunk:65507"], data, [data[:65507], data[65507:]])


@test("send/length framing")
def _():
	sends(["-F", "length"], b"\x00\x03abc\x00\x00\x00\x01z",
	    [b"abc", b"", b"z"])


@test("send/length framing: frame cut short: exit 2, complete ones sent")
def _():
	p = Peer()
	r = send(p, ["-F", "length"], b"\x00\x02ab\x00\x05xy")
	check_rc(r, 2)
	one_line(r, "send")
	eq(r.out, b"", "stdout")
	eq(p.data(), [b"ab"], "datagrams")


@test("send/length framing: one byte of a length at the end: exit 2")
def _():
	p = Peer()
	r = send(p, ["-F", "length"], b"\x00\x01a\x00")
	check_rc(r, 2)
	one_line(r, "send")
	eq(p.data(), [b"a"], "datagrams")


# --- encodings ----------------------------------------------------------------

@test("send/text encoding escapes")
def _():
	p = Peer()
	check_ok(send_ops(p, ["-e", "text"], ["a\\n\\r\\t\\0\\\\b",
	    "\\x00\\xff\\xAb\\x7f", "plain", ""]))
	eq(p.data(), [b"a\n\r\t\x00\\b", b"\x00\xff\xab\x7f", b"plain", b""],
	    "datagrams")


@test("send/text encoding on standard input lines")
def _():
	sends(["-e", "text"], b"a\\tb\nc\\nd\n", [b"a\tb", b"c\nd"])


@test("send/hex encoding, either case, spaces between pairs")
def _():
	p = Peer()
	check_ok(send_ops(p, ["-e", "hex"], ["dead", "DEAD", "de ad", "00 ff",
	    "", "0a\t0d"]))
	eq(p.data(), [b"\xde\xad", b"\xde\xad", b"\xde\xad", b"\x00\xff", b"",
	    b"\n\r"], "datagrams")


@test("send/base64 RFC 4648 section 10 vectors")
def _():
	vec = [("", b""), ("Zg==", b"f"), ("Zm8=", b"fo"), ("Zm9v", b"foo"),
	    ("Zm9vYg==", b"foob"), ("Zm9vYmE=", b"fooba"),
	    ("Zm9vYmFy", b"foobar"), ("Zm9v YmFy", b"foobar"),
	    ("Zm9v\nYmFy\n", b"foobar")]
	p = Peer()
	check_ok(send_ops(p, ["-e", "base64"], [v for v, _ in vec]))
	eq(p.data(), [b for _, b in vec], "datagrams")


@test("send/all 256 byte values through hex")
def _():
	p = Peer()
	check_ok(send_ops(p, ["-e", "hex"], [ALL256.hex(), ALL256.hex().upper()]))
	eq(p.data(), [ALL256, ALL256], "datagrams")


@test("send/all 256 byte values through base64")
def _():
	p = Peer()
	check_ok(send_ops(p, ["-e", "base64"],
	    [base64.b64encode(ALL256).decode()]))
	eq(p.data(), [ALL256], "datagrams")


@test("send/all 256 byte values through text escapes")
def _():
	arg = "".join("\\x%02x" % c for c in range(256))
	p = Peer()
	check_ok(send_ops(p, ["-e", "text"], [arg]))
	eq(p.data(), [ALL256], "datagrams")


@test("send/all 256 byte values raw: length, whole and chunk framings")
def _():
	sends(["-F", "length"], length_frame(ALL256) * 2, [ALL256, ALL256])
	sends(["-F", "whole"], ALL256, [ALL256])
	sends(["-F", "chunk:256"], ALL256 * 2, [ALL256, ALL256])


@test("send/all 256 byte values raw in nul framing (NUL-free pieces)")
def _():
	sends(["-F", "nul"], ALL256[1:] + b"\x00" + ALL256[1:],
	    [ALL256[1:], ALL256[1:]])


@test("send/hex lines on standard input")
def _():
	sends(["-e", "hex"], b"6162\n\n00ff\n", [b"ab", b"", b"\x00\xff"])


@test("send/base64 records in nul framing")
def _():
	sends(["-e", "base64", "-F", "nul"], b"Zm9v\x00Zg==\x00",
	    [b"foo", b"f"])


@test("send/bad hex in record 2: exit 2, record 1 sent, 2 and 3 not")
def _():
	p = Peer()
	r = send_ops(p, ["-e", "hex"], ["6162", "zz", "6364"])
	check_rc(r, 2)
	line = one_line(r, "send")
	has_words(line, [("'zz'", "record 2", "#2")])
	eq(r.out, b"", "stdout")
	eq(p.data(), [b"ab"], "datagrams")


@test("send/bad hex on standard input line 2: record 1 sent only")
def _():
	p = Peer()
	r = send(p, ["-e", "hex"], b"6162\nd e\n6364\n")
	check_rc(r, 2)
	one_line(r, "send")
	eq(p.data(), [b"ab"], "datagrams")


@test("send/bad base64 record 2: record 1 sent only")
def _():
	p = Peer()
	r = send_ops(p, ["-e", "base64"], ["Zm9v", "SB==", "Zm9v"])
	check_rc(r, 2)
	one_line(r, "send")
	eq(p.data(), [b"foo"], "datagrams")


@test("send/bad text escape record 2: record 1 sent only")
def _():
	p = Peer()
	r = send(p, ["-e", "text"], b"ok\nbad\\q\nok\n")
	check_rc(r, 2)
	one_line(r, "send")
	eq(p.data(), [b"ok"], "datagrams")


# --- sizes ------------------------------------------------------------------

for _n in (0, 1, 1472, 1473, 65507):
	def _mk(n):
		@test("send/%d-byte datagram over IPv4" % n)
		def _():
			data = os.urandom(n)
			sends(["-F", "whole"], data, [data])
	_mk(_n)


@test("send/65507-byte datagram as a hex operand")
def _():
	data = os.urandom(65507)
	p = Peer()
	check_ok(send_ops(p, ["-e", "hex"], [data.hex()]))
	eq(p.data(), [data], "datagram")


@test("send/65527-byte datagram over ::1")
def _():
	need_ipv6()
	data = os.urandom(65527)
	sends(["-F", "whole"], data, [data], host="::1")


@test("send/65528 bytes over ::1: exit 2, nothing of it sent")
def _():
	need_ipv6()
	p = Peer("::1")
	r = send(p, ["-F", "length"], length_frame(b"ok") +
	    length_frame(b"y" * 65528))
	check_rc(r, 2)
	one_line(r, "send")
	eq(p.data(), [b"ok"], "datagrams")


@test("send/65508 bytes over IPv4 in whole framing: exit 2, nothing sent")
def _():
	p = Peer()
	r = send(p, ["-F", "whole"], b"z" * 65508)
	check_rc(r, 2)
	one_line(r, "send")
	eq(r.out, b"", "stdout")
	eq(p.data(), [], "datagrams")


@test("send/65508 bytes over IPv4 in length framing: earlier records sent")
def _():
	p = Peer()
	r = send(p, ["-F", "length"], length_frame(b"first") +
	    length_frame(b"") + length_frame(b"y" * 65508) + length_frame(b"no"))
	check_rc(r, 2)
	one_line(r, "send")
	eq(p.data(), [b"first", b""], "datagrams")


@test("send/65508-byte line: exit 2, earlier lines sent")
def _():
	p = Peer()
	r = send(p, [], b"first\n" + b"y" * 65508 + b"\nlast\n")
	check_rc(r, 2)
	one_line(r, "send")
	eq(p.data(), [b"first"], "datagrams")


@test("send/65508 bytes as hex operand 2: exit 2, operand 1 sent")
def _():
	p = Peer()
	r = send_ops(p, ["-e", "hex"], ["6f6b", "ab" * 65508])
	check_rc(r, 2)
	one_line(r, "send")
	eq(p.data(), [b"ok"], "datagrams")


@test("send/10 MB line: exit 2, bounded")
def _():
	p = Peer()
	r = send(p, [], b"first\n" + b"q" * (10 * 1000 * 1000) + b"\n")
	check_rc(r, 2)
	one_line(r, "send")
	eq(p.data(), [b"first"], "datagrams")


# --- addresses ----------------------------------------------------------------

@test("send/-s source address 127.0.0.2")
def _():
	p = Peer()
	check_ok(send_ops(p, ["-s", "127.0.0.2"], ["x"]))
	got = p.drain()
	eq([(d, a[0]) for d, a in got], [(b"x", "127.0.0.2")], "datagram, source")


@test("send/-p source port")
def _():
	p = Peer()
	for attempt in (1, 2):	# the free port is racy: retry once
		sp = free_port()
		r = send_ops(p, ["-p", str(sp)], ["x"])
		if r.rc == 1 and attempt == 1:
			continue
		break
	check_ok(r)
	got = p.drain()
	eq([(d, a[1]) for d, a in got], [(b"x", sp)], "datagram, source port")


@test("send/IPv6 to ::1")
def _():
	need_ipv6()
	p = Peer("::1")
	check_ok(send_ops(p, ["-6"], ["v6"]))
	eq(p.data(), [b"v6"], "datagrams")


@test("send/-v writes diagnostics to stderr only")
def _():
	p = Peer()
	r = send_ops(p, ["-v"], ["x"])
	check_rc(r, 0)
	eq(r.out, b"", "stdout")
	for l in r.err.decode("utf-8", "replace").splitlines():
		ok_(l.startswith("udpcat: send: "), "stderr line %r" % l)
	eq(p.data(), [b"x"], "datagrams")


@test("send/stdout stays empty, stderr empty")
def _():
	p = Peer()
	check_ok(send(p, [], b"a\nb\n"))
	eq(p.data(), [b"a", b"b"], "datagrams")


@test("send/many records from standard input, in order")
def _():
	# few enough to fit a default-sized receive buffer (non-root CI)
	lines = [b"%d" % i for i in range(300)]
	p = Peer()
	check_ok(send(p, [], b"\n".join(lines) + b"\n"))
	eq(p.data(), lines, "datagrams")


# --- socket options -------------------------------------------------------------

@test("send/--ttl and --tos accepted, datagrams delivered")
def _():
	p = Peer()
	check_ok(send_ops(p, ["--ttl", "1", "--tos", "16"], ["a"]))
	check_ok(send_ops(p, ["--ttl", "255", "--tos", "255"], ["c"]))
	eq(p.data(), [b"a", b"c"], "datagrams")
	# --ttl 0 is in range, but Linux refuses a unicast TTL of 0: either
	# it works or it is a clean runtime error, never a usage error
	r = send_ops(p, ["--ttl", "0"], ["b"])
	if r.rc != 0:
		check_err(r, 1, "send", "ttl")


@test("send/--tos over IPv6 (traffic class)")
def _():
	need_ipv6()
	p = Peer("::1")
	check_ok(send_ops(p, ["--tos", "32", "--ttl", "64"], ["x"]))
	eq(p.data(), [b"x"], "datagrams")


@test("send/-I lo binds to the loopback interface")
def _():
	if os.geteuid() != 0:
		from .util import skip
		skip("SO_BINDTODEVICE needs root (CAP_NET_RAW)")
	p = Peer()
	check_ok(send_ops(p, ["-I", "lo"], ["x"]))
	eq(p.data(), [b"x"], "datagrams")
