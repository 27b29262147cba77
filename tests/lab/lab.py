#!/usr/bin/env python3
# lab.py: udpcat on real networks of several hosts, built from Linux
# network namespaces.  Python 3 standard library, iproute2, and root.
#
#   python3 tests/lab/lab.py ./udpcat [-k SUBSTRING] [-v]
#
# -k runs the scenarios that have a test whose name contains SUBSTRING
# (repeatable); -v logs every command and udpcat's output on stderr.
#
# Topology (every name starts with uc<pid>-, so runs never collide):
#
#   segment A: bridge bra, 10.77.1.0/24, fd77:1::/64
#   ===+==========+==========+==========+===
#      |h1a       |h2a       |h3a       |h5a
#     h1 .1      h2 .2      h3 .3      h5 .5   two interfaces, no forwarding
#                                       |h5b
#   ===+================================+===
#      |h4b
#     h4 .4
#   segment B: bridge brb, 10.77.2.0/24, fd77:2::/64
#
#   - uc<pid>-br holds both bridges (STP off, mcast_snooping 0,
#     mcast_querier 0) and the bridge ends of the veths; it has no
#     addresses and IPv6 off: it only switches frames.  The two bridges
#     are not connected; h5 is on both and does not forward.
#   - uc<pid>-h1 .. uc<pid>-h5 are the hosts.  Host N's interface on
#     segment S is "hNS" (h1a ... h5b), so that a %scope printed by a
#     receiver names the receiver's own interface.  Each interface has
#     10.77.S.N/24 (broadcast 10.77.S.255), fd77:S::N/64 and the link-local
#     fe80::N/64 (no automatic link-local address; every IPv6 address
#     nodad, accept_dad 0, and the lab still waits for "tentative" to
#     vanish).  lo is up.  224.0.0.0/4 and the IPv4 default route go out
#     of the host's first interface: h5's is h5a.  No namespace has a
#     route to anything outside the lab.
#   - Limited broadcast (255.255.255.255) has no interface of its own: the
#     kernel routes it by the default route, so a plain "udpcat broadcast
#     PORT" on h5 leaves through h5a only, and on a host without a default
#     route it fails ("network is unreachable").  "--to 255.255.255.255
#     -I IF" picks the interface; the tests show all three.
#
# The relay group builds a network of its own (uc<pid>-rly-*: two client
# hosts, the relay, the service; see t_relay) and deletes it when done.
#
# Every process runs under a timeout and dies with the lab (SIGKILL on
# the lab's death, PR_SET_PDEATHSIG); every wait is bounded (5 s).
# Listeners are waited for through --port-file, Python receivers through a
# ready file written after bind.  "Exactly once" and "does not get it" are
# decided without sleeping: after the datagrams under test, a FENCE
# datagram goes to every receiver along the same path (unicast from a host
# on the segment, or multicast looped back for a receiver on the sending
# host); receivers stop at it (listen --until FENCE), so when a receiver
# has exited, everything that was going to reach it has.  The Python
# receiver also reports each datagram's destination address (IP_PKTINFO),
# which tells limited, directed and all-nodes broadcast apart.
#
# The namespaces, processes and temporary files are removed on exit, also
# after a failure, an exception or SIGINT/SIGTERM/SIGHUP.  Only SIGKILL
# can leave namespaces behind; remove them with
#   ip netns list | grep -o '^uc[0-9]*-[a-z0-9]*' | xargs -rn1 ip netns del
#
# One line per test ("ok - NAME", "not ok - NAME: why", "skip - NAME:
# why"), then "lab: N passed, N failed, N skipped"; exit status 1 when a
# test failed.  Without root, iproute2 (ip, bridge), procps (sysctl) or a
# working "ip netns", every test is skipped, saying which, and the exit
# status is 0.

import atexit
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

WAIT = 5.0			# the bound on every wait
PREFIX = "uc%d-" % os.getpid()
ENV = dict(os.environ, LC_ALL="C", LANG="C", LANGUAGE="C")
ENV.pop("POSIXLY_CORRECT", None)
UDPCAT = None			# absolute path, from the argument
VERBOSE = False
FENCE = "FENCE"

# host -> [(interface, segment, host number)]; the first one is primary
HOSTS = {
	"h1": [("h1a", "a", 1)],
	"h2": [("h2a", "a", 2)],
	"h3": [("h3a", "a", 3)],
	"h4": [("h4b", "b", 4)],
	"h5": [("h5a", "a", 5), ("h5b", "b", 5)],
}
SEG = {"a": 1, "b": 2}


def v4(host, seg=None):
	for ifname, s, n in HOSTS[host]:
		if seg is None or s == seg:
			return "10.77.%d.%d" % (SEG[s], n)
	raise KeyError(host)


def v6(host, seg=None):
	for ifname, s, n in HOSTS[host]:
		if seg is None or s == seg:
			return "fd77:%d::%d" % (SEG[s], n)
	raise KeyError(host)


try:
	LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:
	LIBC = None
LAB_PID = os.getpid()


def die_with_lab():
	"""In a child before exec: be killed when the lab process goes,
	even by SIGKILL, so that nothing outlives it."""
	if LIBC is not None:
		LIBC.prctl(1, signal.SIGKILL, 0, 0, 0)	# PR_SET_PDEATHSIG
	if os.getppid() != LAB_PID:
		os._exit(1)


class Fail(Exception):
	pass


class Skip(Exception):
	pass


def log(msg):
	if VERBOSE:
		print("# " + msg, file=sys.stderr, flush=True)


def showargv(argv):
	"""argv for a log line, with inline Python scripts left out."""
	shown = []
	for i, a in enumerate(argv):
		shown.append("<script>" if i > 0 and argv[i - 1] == "-c" else a)
	return " ".join(shown)


def short(s, n=200):
	s = s if isinstance(s, str) else repr(s)
	s = s.strip().replace("\n", " | ")
	return s if len(s) <= n else s[:n] + "..."


# A receiver in a namespace: binds, announces itself through a ready file,
# prints "HOST PORT DESTINATION HEXDATA" per datagram until FENCE, bounded
# in time.  DESTINATION is the datagram's destination address (IP_PKTINFO,
# IPV6_PKTINFO), so limited, directed and all-nodes broadcast can be told
# apart.
RECV_PY = r'''
import os, select, socket, sys, time
IP_PKTINFO, IPV6_RECVPKTINFO, IPV6_PKTINFO = 8, 49, 50
fam, addr, port, ready, fence, limit = sys.argv[1:7]
six = fam == "6"
s = socket.socket(socket.AF_INET6 if six else socket.AF_INET,
    socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
if six:
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
else:
    s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
s.bind((addr, int(port)))
with open(ready + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(ready + ".tmp", ready)
end = time.monotonic() + float(limit)
while True:
    left = end - time.monotonic()
    if left <= 0 or not select.select([s], [], [], left)[0]:
        sys.stderr.write("receiver: no FENCE within %s s\n" % limit)
        sys.exit(3)
    data, anc, flags, peer = s.recvmsg(65535, 256)
    if data == fence.encode():
        sys.exit(0)
    dst = "?"
    for level, kind, val in anc:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO:
            dst = socket.inet_ntop(socket.AF_INET, val[8:12])
        elif level == socket.IPPROTO_IPV6 and kind == IPV6_PKTINFO:
            dst = socket.inet_ntop(socket.AF_INET6, val[0:16])
    host = peer[0]
    if len(peer) == 4 and peer[3] and "%" not in host:
        host += "%" + socket.if_indextoname(peer[3])
    sys.stdout.write("%s %d %s %s\n" % (host, peer[1], dst, data.hex()))
    sys.stdout.flush()
'''

# Sends FENCE to each "ADDRESS,PORT[,IFNAME,HOPS]": IFNAME and HOPS for a
# multicast fence that must take the same (looped back) path.
FENCE_PY = r'''
import socket, struct, sys
for spec in sys.argv[2:]:
    addr, port, ifname, hops = (spec.split(",") + ["", ""])[:4]
    six = ":" in addr
    s = socket.socket(socket.AF_INET6 if six else socket.AF_INET,
        socket.SOCK_DGRAM)
    if ifname and six:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF,
            socket.if_nametoindex(ifname))
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS,
            int(hops or 1))
    elif ifname:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
            struct.pack("4sii", b"\0" * 4, 0, socket.if_nametoindex(ifname)))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL,
            int(hops or 1))
    s.sendto(sys.argv[1].encode(), (addr, int(port)))
    s.close()
'''


class Proc:
	"""A process in a namespace, its output in files, always reaped."""

	def __init__(self, lab, host, argv, tag):
		self.lab = lab
		self.host = host
		self.tag = tag
		base = os.path.join(lab.tmp, "%s-%d" % (tag, len(lab.procs)))
		self.outpath = base + ".out"
		self.errpath = base + ".err"
		self.argv = argv
		log("%s$ %s" % (host, showargv(argv)))
		with open(self.outpath, "wb") as o, open(self.errpath, "wb") as e:
			self.p = subprocess.Popen(["ip", "netns", "exec",
			    lab.ns(host)] + argv, stdin=subprocess.DEVNULL,
			    stdout=o, stderr=e, env=ENV, start_new_session=True,
			    preexec_fn=die_with_lab)
		lab.procs.append(self)
		self.rc = None

	def alive(self):
		return self.p.poll() is None

	def out(self):
		with open(self.outpath, "rb") as f:
			return f.read().decode("utf-8", "replace")

	def err(self):
		with open(self.errpath, "rb") as f:
			return f.read().decode("utf-8", "replace")

	def wait(self, timeout=WAIT):
		try:
			self.rc = self.p.wait(timeout)
		except subprocess.TimeoutExpired:
			self.kill()
			raise Fail("%s on %s did not exit within %g s (stderr: "
			    "%s)" % (self.tag, self.host, timeout,
			    short(self.err())))
		return self.rc

	def stop(self, sig=signal.SIGTERM):
		"""Signals the process and waits for it; returns its status."""
		if self.alive():
			self.p.send_signal(sig)
		return self.wait()

	def kill(self):
		if self.p.poll() is None:
			try:
				self.p.kill()
			except OSError:
				pass
			try:
				self.p.wait(2)
			except subprocess.TimeoutExpired:
				pass


class Receiver(Proc):
	"""udpcat listen -P --until FENCE, or the Python receiver."""

	def __init__(self, lab, host, port, opts=(), addr=None, python=None,
	    until=True):
		self.port = port
		self.python = python is not None
		ready = os.path.join(lab.tmp, "ready-%d-%s-%d" % (len(lab.procs),
		    host, port))
		if python is not None:
			fam, bind = python
			argv = [sys.executable, "-c", RECV_PY, fam, bind,
			    str(port), ready, FENCE, str(WAIT)]
			tag = "pyrecv"
		else:
			argv = [UDPCAT, "listen", "-P"] + (["--until", FENCE]
			    if until else []) + list(opts) + ["--port-file",
			    ready] + ([addr] if addr else []) + [str(port)]
			tag = "listen"
		Proc.__init__(self, lab, host, argv, tag)
		end = time.monotonic() + WAIT
		while not os.path.exists(ready):
			if not self.alive():
				raise Fail("%s on %s exited with %s before it was "
				    "ready: %s" % (tag, host, self.p.returncode,
				    short(self.err())))
			if time.monotonic() > end:
				self.kill()
				raise Fail("%s on %s not ready within %g s" % (tag,
				    host, WAIT))
			time.sleep(0.005)

	def records(self):
		"""[(peer address, data)] from the output so far."""
		recs = []
		self.dsts = []
		for line in self.out().splitlines():
			if self.python:
				a, p, d, h = (line.split(" ") + ["", ""])[:4]
				self.dsts.append(d)
				try:
					data = bytes.fromhex(h).decode("utf-8",
					    "replace")
				except ValueError:
					data = "?" + h
				recs.append((a, data))
				continue
			peer, sep, data = line.partition(" ")
			if not sep:
				raise Fail("listen on %s wrote a record without "
				    "a peer: %r" % (self.host, line))
			host = peer.rpartition(":")[0]
			if host.startswith("[") and host.endswith("]"):
				host = host[1:-1]
			recs.append((host, data))
		return recs

	def finish(self):
		"""Waits for the receiver to stop at FENCE; returns records."""
		rc = self.wait()
		if rc != 0:
			raise Fail("%s on %s exited %s, not 0 (stderr: %s)" % (
			    self.tag, self.host, rc, short(self.err())))
		return self.records()


class Lab:
	def __init__(self):
		self.tmp = tempfile.mkdtemp(prefix=PREFIX + "tmp-")
		self.made = []		# namespaces created, in order
		self.procs = []
		self.cleaned = False

	def ns(self, host):
		return PREFIX + host

	# -- commands ----------------------------------------------------

	def sh(self, argv, timeout=WAIT, check=True, input=None):
		log("$ " + showargv(argv))
		try:
			r = subprocess.run(argv, input=input, capture_output=True,
			    timeout=timeout, env=ENV)
		except subprocess.TimeoutExpired:
			raise Fail("%s: no exit within %g s" % (" ".join(argv),
			    timeout))
		if check and r.returncode != 0:
			raise Fail("%s: exit %d: %s" % (" ".join(argv)[:120],
			    r.returncode, short(r.stderr.decode("utf-8",
			    "replace"))))
		return r

	def ipb(self, host, cmds):
		"""Runs iproute2 commands in host's namespace in one batch."""
		self.sh(["ip", "-n", self.ns(host), "-batch", "-"],
		    input="\n".join(cmds).encode() + b"\n")

	def nsexec(self, host, argv, timeout=WAIT, check=True):
		return self.sh(["ip", "netns", "exec", self.ns(host)] + argv,
		    timeout=timeout, check=check)

	def udpcat(self, host, args, timeout=WAIT):
		"""Runs udpcat in host; returns (status, stdout, stderr)."""
		argv = ["ip", "netns", "exec", self.ns(host), UDPCAT] + args
		log("%s$ udpcat %s" % (host, " ".join(args)))
		try:
			r = subprocess.run(argv, capture_output=True,
			    timeout=timeout, env=ENV, stdin=subprocess.DEVNULL,
			    start_new_session=True, preexec_fn=die_with_lab)
		except subprocess.TimeoutExpired:
			raise Fail("udpcat %s on %s: no exit within %g s" % (
			    " ".join(args), host, timeout))
		out = r.stdout.decode("utf-8", "replace")
		err = r.stderr.decode("utf-8", "replace")
		log("  -> %d out=%r err=%r" % (r.returncode, out, err))
		return r.returncode, out, err

	def udpcat_ok(self, host, args):
		rc, out, err = self.udpcat(host, args)
		if rc != 0:
			raise Fail("udpcat %s on %s: exit %d, not 0: %s" % (
			    " ".join(args), host, rc, short(err)))
		return out, err

	def listen(self, host, port, opts=(), addr=None, until=True):
		return Receiver(self, host, port, opts, addr, until=until)

	def pyrecv(self, host, port, fam="4", bind=""):
		return Receiver(self, host, port, python=(fam, bind))

	def fence(self, host, targets):
		"""Sends FENCE from host to each (address, port[, if, hops])."""
		specs = [",".join(str(x) for x in t) for t in targets]
		self.nsexec(host, [sys.executable, "-c", FENCE_PY, FENCE] + specs)

	def reap(self):
		for p in self.procs:
			p.kill()
		self.procs = []

	# -- the topology --------------------------------------------------

	def addns(self, name):
		self.made.append(name)		# first: a signal may come
		self.sh(["ip", "netns", "add", name])

	def sysctl(self, host, settings):
		self.nsexec(host, ["sysctl", "-q", "-w"] + settings)

	def build(self):
		self.addns(self.ns("br"))
		self.sysctl("br", ["net.ipv6.conf.all.disable_ipv6=1",
		    "net.ipv6.conf.default.disable_ipv6=1"])
		cmds = ["link set dev lo up"]
		for seg in SEG:
			cmds += ["link add name br%s type bridge stp_state 0 "
			    "mcast_snooping 0 mcast_querier 0" % seg,
			    "link set dev br%s up" % seg]
		self.ipb("br", cmds)
		for host, ifs in HOSTS.items():
			self.addns(self.ns(host))
			self.sysctl(host, ["net.ipv6.conf.all.accept_dad=0",
			    "net.ipv6.conf.default.accept_dad=0",
			    "net.ipv6.conf.default.addr_gen_mode=1",
			    "net.ipv6.conf.default.router_solicitations=0",
			    "net.ipv4.conf.all.rp_filter=0",
			    "net.ipv4.conf.default.rp_filter=0",
			    "net.ipv4.ip_forward=0",
			    "net.ipv6.conf.all.forwarding=0"])
			bcmds = []
			hcmds = ["link set dev lo up"]
			for ifname, seg, n in ifs:
				port = "p" + ifname
				bcmds += ["link add name %s type veth peer name %s "
				    "netns %s" % (port, ifname, self.ns(host)),
				    "link set dev %s master br%s" % (port, seg),
				    "link set dev %s up" % port]
				net = SEG[seg]
				hcmds += ["link set dev %s addrgenmode none" %
				    ifname,
				    "address add 10.77.%d.%d/24 broadcast + dev %s" %
				    (net, n, ifname),
				    "address add fd77:%d::%d/64 dev %s nodad" %
				    (net, n, ifname),
				    "address add fe80::%d/64 dev %s nodad" %
				    (n, ifname),
				    "link set dev %s up" % ifname]
			self.ipb("br", bcmds)
			first = ifs[0][0]
			hcmds += ["route add 224.0.0.0/4 dev %s" % first,
			    "route add default dev %s" % first]
			self.ipb(host, hcmds)
		self.wait_ready()

	def wait_ready(self, hosts=None):
		"""Waits until every link is up, no IPv6 address is tentative
		and every bridge port forwards."""
		end = time.monotonic() + WAIT
		hosts = hosts or list(HOSTS)
		while True:
			why = self.not_ready(hosts)
			if why is None:
				return
			if time.monotonic() > end:
				raise Fail("network not ready within %g s: %s" % (
				    WAIT, why))
			time.sleep(0.01)

	def not_ready(self, hosts):
		for host in hosts:
			for ifname, seg, n in HOSTS[host]:
				r = self.sh(["ip", "-n", self.ns(host), "-o", "link",
				    "show", "dev", ifname])
				if b"LOWER_UP" not in r.stdout or \
				    b"state UP" not in r.stdout:
					return "%s %s is not up" % (host, ifname)
			r = self.sh(["ip", "-n", self.ns(host), "-6", "-o", "addr"])
			if b"tentative" in r.stdout:
				return "%s has tentative IPv6 addresses" % host
		r = self.sh(["bridge", "-n", self.ns("br"), "link", "show"])
		for line in r.stdout.decode().splitlines():
			if "state forwarding" not in line:
				return "bridge port not forwarding: " + line.strip()
		return None

	def listns(self):
		"""This run's namespaces that exist now."""
		try:
			r = subprocess.run(["ip", "netns", "list"],
			    capture_output=True, timeout=WAIT)
		except (OSError, subprocess.TimeoutExpired):
			return []
		return [l.split()[0] for l in r.stdout.decode("utf-8",
		    "replace").splitlines() if l.startswith(PREFIX)]

	def cleanup(self):
		if self.cleaned:
			return
		# A second signal must not cut the teardown short.
		for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
			signal.signal(sig, signal.SIG_IGN)
		self.cleaned = True
		self.reap()
		names = list(reversed(self.made)) + [n for n in self.listns()
		    if n not in self.made]
		for name in names:
			try:
				subprocess.run(["ip", "netns", "del", name],
				    capture_output=True, timeout=WAIT)
			except (OSError, subprocess.TimeoutExpired):
				pass
		for name in self.listns():
			print("lab: could not delete namespace %s" % name,
			    file=sys.stderr)
		self.made = []
		shutil.rmtree(self.tmp, ignore_errors=True)


# -- checks ---------------------------------------------------------------

def once(got, hosts, data, src):
	"""Each of hosts received data exactly once from src, and nothing
	else."""
	for host in hosts:
		recs = got[host]
		if recs != [(src, data)]:
			raise Fail("%s got %r, expected exactly [(%r, %r)]" % (
			    host, recs, src, data))


def dst_is(rx, want):
	"""The Python receiver saw every datagram addressed to want."""
	rx.records()
	if not rx.dsts or any(d != want for d in rx.dsts):
		raise Fail("%s (Python receiver) saw destination addresses %r, "
		    "expected %s" % (rx.host, rx.dsts, want))


def none(got, hosts):
	for host in hosts:
		if got[host]:
			raise Fail("%s got %r, expected nothing" % (host,
			    got[host]))


def finish(rx):
	return {host: r.finish() for host, r in rx.items()}


def one_line(err, what):
	lines = err.splitlines()
	if len(lines) != 1:
		raise Fail("%s: expected one line on stderr, got %r" % (what,
		    err))
	return lines[0]


# -- the tests --------------------------------------------------------------

GROUPS = []


def group(**names):
	"""Registers a scenario that reports the named results."""
	def deco(fn):
		GROUPS.append((fn, names))
		return fn
	return deco


class Reporter:
	def __init__(self):
		self.npass = self.nfail = self.nskip = 0

	def ok(self, name):
		self.npass += 1
		print("ok - %s" % name, flush=True)

	def notok(self, name, why):
		self.nfail += 1
		print("not ok - %s: %s" % (name, short(why, 600)), flush=True)

	def skip(self, name, why):
		self.nskip += 1
		print("skip - %s: %s" % (name, why), flush=True)


class Subtests:
	"""g.sub(KEY) runs one named result of a group."""

	def __init__(self, rep, names):
		self.rep = rep
		self.names = names
		self.done = set()

	def sub(self, key):
		g = self

		class Ctx:
			def __enter__(self):
				return self

			def __exit__(self, et, e, tb):
				name = g.names[key]
				g.done.add(key)
				if et is None:
					g.rep.ok(name)
				elif issubclass(et, Skip):
					g.rep.skip(name, str(e))
				elif issubclass(et, Fail):
					g.rep.notok(name, str(e))
				elif issubclass(et, Exception):
					t = traceback.extract_tb(tb)[-1]
					g.rep.notok(name, "%s: %s (lab.py:%d)" % (
					    et.__name__, e, t.lineno))
					if VERBOSE:
						traceback.print_exception(et, e, tb)
				else:
					return False
				return True
		return Ctx()

	def rest(self, why, skip=False):
		for key, name in self.names.items():
			if key not in self.done:
				self.done.add(key)
				if skip:
					self.rep.skip(name, why)
				else:
					self.rep.notok(name, why)


@group(plain="limited broadcast: 'broadcast PORT' from h1 reaches h2, "
    "h3 (Python, SO_BROADCAST, bound to '', sees 255.255.255.255) and h5 "
    "once each, not h4 on the other subnet",
    route="limited broadcast from two-interface h5 without -I follows its "
    "default route (segment A only)",
    dev="limited broadcast '--to 255.255.255.255 -I h5b' leaves only "
    "through h5b (h4 once, not h2, h3)",
    noroute="limited broadcast on h1 without a default route: exit 1, "
    "one line 'network is unreachable'; '--to 255.255.255.255 -I h1a' "
    "still reaches h2, h3 once")
def t_limited(lab, g):
	port = 41001
	with g.sub("plain"):
		rx = {"h2": lab.listen("h2", port),
		    "h3": lab.pyrecv("h3", port, "4", ""),
		    "h5": lab.listen("h5", port),
		    "h4": lab.listen("h4", port)}
		lab.udpcat_ok("h1", ["broadcast", str(port), "lb-plain"])
		fence_all(lab, port, rx)
		got = finish(rx)
		once(got, ["h2", "h3", "h5"], "lb-plain", v4("h1"))
		none(got, ["h4"])
		dst_is(rx["h3"], "255.255.255.255")
	lab.reap()
	with g.sub("route"):
		port += 1
		rx = {"h2": lab.listen("h2", port),
		    "h3": lab.pyrecv("h3", port, "4", ""),
		    "h4": lab.listen("h4", port)}
		lab.udpcat_ok("h5", ["broadcast", str(port), "lb-route"])
		fence_all(lab, port, rx)
		got = finish(rx)
		once(got, ["h2", "h3"], "lb-route", v4("h5", "a"))
		none(got, ["h4"])
		dst_is(rx["h3"], "255.255.255.255")
	lab.reap()
	with g.sub("dev"):
		port += 1
		rx = {"h2": lab.listen("h2", port),
		    "h3": lab.listen("h3", port),
		    "h4": lab.pyrecv("h4", port, "4", "")}
		lab.udpcat_ok("h5", ["broadcast", "--to", "255.255.255.255",
		    "-I", "h5b", str(port), "lb-dev"])
		fence_all(lab, port, rx)
		got = finish(rx)
		once(got, ["h4"], "lb-dev", v4("h5", "b"))
		none(got, ["h2", "h3"])
		dst_is(rx["h4"], "255.255.255.255")
	lab.reap()
	with g.sub("noroute"):
		port += 1
		try:
			lab.ipb("h1", ["route del default dev h1a"])
			rc, out, err = lab.udpcat("h1", ["broadcast", str(port),
			    "lb-noroute"])
			if rc != 1:
				raise Fail("exit %d, not 1: %r" % (rc, err))
			line = one_line(err, "broadcast without a default route")
			if not line.startswith("udpcat: broadcast: ") or \
			    not re.search(r"unreachable", line, re.I):
				raise Fail("expected 'udpcat: broadcast: ... "
				    "network is unreachable', got %r" % line)
			rx = {"h2": lab.listen("h2", port),
			    "h3": lab.pyrecv("h3", port, "4", "")}
			lab.udpcat_ok("h1", ["broadcast", "--to",
			    "255.255.255.255", "-I", "h1a", str(port),
			    "lb-noroute"])
			lab.fence("h1", [(v4("h2"), port), (v4("h3"), port)])
			got = finish(rx)
			once(got, ["h2", "h3"], "lb-noroute", v4("h1"))
			dst_is(rx["h3"], "255.255.255.255")
		finally:
			lab.sh(["ip", "-n", lab.ns("h1"), "route", "replace",
			    "default", "dev", "h1a"], check=False)


def segment_a_receivers(lab, port):
	return {"h2": lab.listen("h2", port),
	    "h3": lab.pyrecv("h3", port, "4", ""),
	    "h5": lab.listen("h5", port),
	    "h4": lab.listen("h4", port)}


def fence_all(lab, port, rx):
	"""FENCE to the receivers rx (h2, h3, h5, h4) on port: from h1 on
	segment A, from h5 to h4 on segment B (only h5 reaches both)."""
	lab.fence("h1", [(v4(h), port) for h in ("h2", "h3", "h5") if h in rx])
	if "h4" in rx:
		lab.fence("h5", [(v4("h4"), port)])


@group(to="directed broadcast '--to 10.77.1.255' from h1 reaches h2, h3 "
    "(sees 10.77.1.255), h5 once each, not h4",
    dev="directed broadcast '-I h1a' from h1 reaches h2, h3 (sees "
    "10.77.1.255), h5 once each, not h4",
    dev5="directed broadcast '-I h5b' from two-interface h5 reaches only "
    "h4 (sees 10.77.2.255), not h2, h3",
    refuse="'send 10.77.1.255 PORT' without --broadcast: exit 1, one "
    "line with a hint naming --broadcast, nothing sent",
    allow="'send --broadcast 10.77.1.255 PORT' reaches h2, h3, h5 once "
    "each, not h4")
def t_directed(lab, g):
	port = 42001
	for key, host, args in (("to", "h1", ["--to", "10.77.1.255"]),
	    ("dev", "h1", ["-I", "h1a"])):
		with g.sub(key):
			rx = segment_a_receivers(lab, port)
			lab.udpcat_ok(host, ["broadcast"] + args + [str(port),
			    "db-" + key])
			fence_all(lab, port, rx)
			got = finish(rx)
			once(got, ["h2", "h3", "h5"], "db-" + key, v4("h1"))
			none(got, ["h4"])
			dst_is(rx["h3"], "10.77.1.255")
		lab.reap()
		port += 1
	with g.sub("dev5"):
		rx = {"h2": lab.listen("h2", port),
		    "h3": lab.listen("h3", port),
		    "h4": lab.pyrecv("h4", port, "4", "")}
		lab.udpcat_ok("h5", ["broadcast", "-I", "h5b", str(port),
		    "db-dev5"])
		fence_all(lab, port, rx)
		got = finish(rx)
		once(got, ["h4"], "db-dev5", v4("h5", "b"))
		none(got, ["h2", "h3"])
		dst_is(rx["h4"], "10.77.2.255")
	lab.reap()
	with g.sub("refuse"):
		port += 1
		rx = {"h2": lab.listen("h2", port)}
		rc, out, err = lab.udpcat("h1", ["send", "10.77.1.255",
		    str(port), "db-refused"])
		if rc != 1:
			raise Fail("exit %d, not 1: %r" % (rc, err))
		line = one_line(err, "send to 10.77.1.255")
		if not line.startswith("udpcat: send: "):
			raise Fail("message not 'udpcat: send: ...': %r" % line)
		if "--broadcast" not in line:
			raise Fail("no hint naming --broadcast: %r" % line)
		if out:
			raise Fail("standard output not empty: %r" % out)
		lab.fence("h1", [(v4("h2"), port)])
		none(finish(rx), ["h2"])
	lab.reap()
	with g.sub("allow"):
		port += 1
		rx = segment_a_receivers(lab, port)
		lab.udpcat_ok("h1", ["send", "--broadcast", "10.77.1.255",
		    str(port), "db-allow"])
		fence_all(lab, port, rx)
		got = finish(rx)
		once(got, ["h2", "h3", "h5"], "db-allow", v4("h1"))
		none(got, ["h4"])
		dst_is(rx["h3"], "10.77.1.255")


@group(all="'broadcast --all-interfaces' from two-interface h5 reaches "
    "both segments (h1, h2, h3 from 10.77.1.5; h4 from 10.77.2.5), once "
    "each")
def t_all_interfaces(lab, g):
	port = 43001
	with g.sub("all"):
		rx = {h: lab.listen(h, port) for h in ("h1", "h2", "h3", "h4")}
		lab.udpcat_ok("h5", ["broadcast", "--all-interfaces", str(port),
		    "all-if"])
		lab.fence("h5", [(v4(h), port) for h in ("h1", "h2", "h3",
		    "h4")])
		got = finish(rx)
		once(got, ["h1", "h2", "h3"], "all-if", v4("h5", "a"))
		once(got, ["h4"], "all-if", v4("h5", "b"))


@group(asm="IPv4 multicast: 'listen --join 239.1.2.3' on h2 gets h1's "
    "'send 239.1.2.3' once; h3 (not joined) does not",
    ssm="IPv4 source-specific '--join 232.1.1.1@10.77.1.1' on h2 accepts "
    "h1, not h3",
    ttl0="IPv4 multicast 'send --ttl 0 --loop' stays on the sending host "
    "(joined listener on h1 gets it, joined h2 does not)",
    ifout="IPv4 multicast 'send -I h5b' from two-interface h5 leaves "
    "through h5b (joined h4 gets it, joined h2 does not)",
    ifin="IPv4 'listen -I h5b --join' on two-interface h5 receives h4's "
    "group traffic; a join on the default interface (h5a) does not",
    only="IPv4 'listen --join 239.1.2.7 P' writes out only the groups it "
    "joined: 239.1.2.8 sent to P, joined on the host by another listener, "
    "is not written out")
def t_mcast4(lab, g):
	port = 44001
	with g.sub("asm"):
		rx = {"h2": lab.listen("h2", port, ["--join", "239.1.2.3"]),
		    "h3": lab.listen("h3", port)}
		lab.udpcat_ok("h1", ["send", "239.1.2.3", str(port), "m4"])
		lab.fence("h1", [(v4("h2"), port), (v4("h3"), port)])
		got = finish(rx)
		once(got, ["h2"], "m4", v4("h1"))
		none(got, ["h3"])
	lab.reap()
	with g.sub("ssm"):
		port += 1
		rx = {"h2": lab.listen("h2", port,
		    ["--join", "232.1.1.1@10.77.1.1"])}
		lab.udpcat_ok("h3", ["send", "232.1.1.1", str(port), "from-h3"])
		lab.udpcat_ok("h1", ["send", "232.1.1.1", str(port), "from-h1"])
		lab.fence("h3", [(v4("h2"), port)])
		got = finish(rx)
		once(got, ["h2"], "from-h1", v4("h1"))
	lab.reap()
	with g.sub("ttl0"):
		port += 1
		rx = {"h1": lab.listen("h1", port, ["--join", "239.1.2.4"]),
		    "h2": lab.listen("h2", port, ["--join", "239.1.2.4"])}
		lab.udpcat_ok("h1", ["send", "--ttl", "0", "--loop",
		    "239.1.2.4", str(port), "ttl0"])
		lab.fence("h1", [(v4("h1"), port), (v4("h2"), port)])
		got = finish(rx)
		once(got, ["h1"], "ttl0", v4("h1"))
		none(got, ["h2"])
	lab.reap()
	with g.sub("ifout"):
		port += 1
		rx = {"h2": lab.listen("h2", port, ["--join", "239.1.2.5"]),
		    "h4": lab.listen("h4", port, ["--join", "239.1.2.5"])}
		lab.udpcat_ok("h5", ["send", "-I", "h5b", "239.1.2.5", str(port),
		    "via-h5b"])
		fence_all(lab, port, rx)
		got = finish(rx)
		once(got, ["h4"], "via-h5b", v4("h5", "b"))
		none(got, ["h2"])
	lab.reap()
	with g.sub("ifin"):
		port += 1
		# Alone in h5, a join on the default interface (h5a) ...
		rx = {"h5 (join on h5a)": lab.listen("h5", port, ["--join",
		    "239.1.2.6"])}
		lab.udpcat_ok("h4", ["send", "239.1.2.6", str(port), "from-h4"])
		lab.fence("h4", [(v4("h5", "b"), port)])
		none(finish(rx), list(rx))
		lab.reap()
		# ... and then a join on h5b.
		port += 1
		rx = {"h5 (join on h5b)": lab.listen("h5", port, ["-I", "h5b",
		    "--join", "239.1.2.6"])}
		lab.udpcat_ok("h4", ["send", "239.1.2.6", str(port), "from-h4"])
		lab.fence("h4", [(v4("h5", "b"), port)])
		once(finish(rx), list(rx), "from-h4", v4("h4"))
	lab.reap()
	with g.sub("only"):
		port += 1
		only_joined(lab, port, "239.1.2.7", "239.1.2.8", [], [], v4)


def only_joined(lab, port, mine, other, lopts, sopts, addr):
	"""On h2, listener A joins mine on port, listener B joins other on
	port + 1.  h1 sends to other on port: A must not write it out."""
	a = "h2 A (--join %s, port %d)" % (mine, port)
	b = "h2 B (--join %s, port %d)" % (other, port + 1)
	rx = {a: lab.listen("h2", port, lopts + ["--join", mine]),
	    b: lab.listen("h2", port + 1, lopts + ["--join", other])}
	for group, p, data in ((other, port, "other-group"),
	    (mine, port, "mine"), (other, port + 1, "other")):
		lab.udpcat_ok("h1", ["send"] + sopts + [group, str(p), data])
	lab.fence("h1", [(addr("h2"), port), (addr("h2"), port + 1)])
	got = finish(rx)
	once(got, [a], "mine", addr("h1"))
	once(got, [b], "other", addr("h1"))


@group(asm="IPv6 multicast: 'listen -I h2a --join ff15::1234' on h2 gets "
    "h1's 'send -I h1a ff15::1234' once; h3 (not joined) does not",
    ssm="IPv6 source-specific '--join ff35::8000:1234@fd77:1::1' on h2 "
    "accepts h1, not h3",
    hop0="IPv6 multicast 'send --ttl 0 --loop' (hop limit 0) stays on the "
    "sending host",
    only="IPv6 'listen -I h2a --join ff15::7 P' writes out only the groups "
    "it joined: ff15::8 sent to P, joined on the host by another "
    "listener, is not written out")
def t_mcast6(lab, g):
	port = 45001
	with g.sub("asm"):
		rx = {"h2": lab.listen("h2", port, ["-I", "h2a", "--join",
		    "ff15::1234"]),
		    "h3": lab.listen("h3", port)}
		lab.udpcat_ok("h1", ["send", "-I", "h1a", "ff15::1234",
		    str(port), "m6"])
		lab.fence("h1", [(v6("h2"), port), (v6("h3"), port)])
		got = finish(rx)
		once(got, ["h2"], "m6", v6("h1"))
		none(got, ["h3"])
	lab.reap()
	with g.sub("ssm"):
		port += 1
		rx = {"h2": lab.listen("h2", port, ["-I", "h2a", "--join",
		    "ff35::8000:1234@fd77:1::1"])}
		lab.udpcat_ok("h3", ["send", "-I", "h3a", "ff35::8000:1234",
		    str(port), "from-h3"])
		lab.udpcat_ok("h1", ["send", "-I", "h1a", "ff35::8000:1234",
		    str(port), "from-h1"])
		lab.fence("h3", [(v6("h2"), port)])
		got = finish(rx)
		once(got, ["h2"], "from-h1", v6("h1"))
	lab.reap()
	with g.sub("hop0"):
		port += 1
		rx = {"h1": lab.listen("h1", port, ["-I", "h1a", "--join",
		    "ff15::1235"]),
		    "h2": lab.listen("h2", port, ["-I", "h2a", "--join",
		    "ff15::1235"])}
		lab.udpcat_ok("h1", ["send", "-I", "h1a", "--ttl", "0", "--loop",
		    "ff15::1235", str(port), "hop0"])
		# h1's fence takes the looped-back path the datagram took.
		lab.fence("h1", [("ff15::1235", port, "h1a", 0),
		    (v6("h2"), port)])
		got = finish(rx)
		once(got, ["h1"], "hop0", v6("h1"))
		none(got, ["h2"])
	lab.reap()
	with g.sub("only"):
		port += 1
		only_joined(lab, port, "ff15::7", "ff15::8", ["-I", "h2a"],
		    ["-I", "h1a"], v6)


@group(ll="IPv6 link-local unicast 'send fe80::2%h1a PORT' from h1 "
    "reaches h2; -P shows the sender as [fe80::1%h2a]:PORT",
    nodes="'-6 broadcast -I h1a' reaches all nodes (listen :: on h2, "
    "Python bound to :: on h3, h5) once each with %scope, not h4",
    to6="'broadcast -6 -I h1a --to ff12::42' goes to ff12::42 (joined h2 "
    "gets it, h3 does not), or is refused; never silently to ff02::1")
def t_linklocal(lab, g):
	port = 46001
	with g.sub("ll"):
		rx = {"h2": lab.listen("h2", port)}
		lab.udpcat_ok("h1", ["send", "-p", "46100", "fe80::2%h1a",
		    str(port), "ll"])
		lab.fence("h1", [(v6("h2"), port)])
		rx["h2"].finish()
		out = rx["h2"].out()
		if out != "[fe80::1%h2a]:46100 ll\n":
			raise Fail("h2 wrote %r, expected %r" % (out,
			    "[fe80::1%h2a]:46100 ll\n"))
	lab.reap()
	with g.sub("nodes"):
		port += 1
		rx = {"h2": lab.listen("h2", port, addr="::"),
		    "h3": lab.pyrecv("h3", port, "6", "::"),
		    "h5": lab.listen("h5", port, addr="::"),
		    "h4": lab.listen("h4", port, addr="::")}
		lab.udpcat_ok("h1", ["broadcast", "-6", "-I", "h1a", str(port),
		    "nodes"])
		lab.fence("h1", [(v6(h), port) for h in ("h2", "h3", "h5")])
		lab.fence("h5", [(v6("h4"), port)])
		got = finish(rx)
		once(got, ["h2"], "nodes", "fe80::1%h2a")
		once(got, ["h3"], "nodes", "fe80::1%h3a")
		once(got, ["h5"], "nodes", "fe80::1%h5a")
		none(got, ["h4"])
		dst_is(rx["h3"], "ff02::1")
	lab.reap()
	with g.sub("to6"):
		port += 1
		rx = {"h2": lab.listen("h2", port, ["-I", "h2a", "--join",
		    "ff12::42"]),
		    "h3": lab.pyrecv("h3", port, "6", "::")}
		rc, out, err = lab.udpcat("h1", ["broadcast", "-6", "-I", "h1a",
		    "--to", "ff12::42", str(port), "to6"])
		lab.fence("h1", [(v6("h2"), port), (v6("h3"), port)])
		got = finish(rx)
		if rc == 2:
			# Refusing the combination is as good as honouring it.
			line = one_line(err, "broadcast -6 --to")
			if "--to" not in line:
				raise Fail("exit 2 without naming --to: %r" % line)
			none(got, ["h2", "h3"])
		elif rc != 0:
			raise Fail("exit %d, neither 0 nor 2: %r" % (rc, err))
		else:
			if got["h3"]:
				raise Fail("sent to %s, not to the --to group "
				    "ff12::42: h3 (not joined) got %r" % (
				    ",".join(rx["h3"].dsts), got["h3"]))
			once(got, ["h2"], "to6", "fe80::1%h2a")


@group(disc="discovery: 'broadcast --to 10.77.1.255 -w 1 -P PORT ping' "
    "on h1 prints the pong of h2 and h3 with their addresses")
def t_discovery(lab, g):
	port = 47001
	with g.sub("disc"):
		rx = {h: lab.listen(h, port, ["--reply", "pong", "-n", "1"],
		    until=False) for h in ("h2", "h3")}
		out, err = lab.udpcat_ok("h1", ["broadcast", "--to",
		    "10.77.1.255", "-w", "1", "-P", str(port), "ping"])
		want = sorted(["%s:%d pong" % (v4(h), port) for h in ("h2",
		    "h3")])
		if sorted(out.splitlines()) != want or not out.endswith("\n"):
			raise Fail("printed %r, expected the lines %r" % (out,
			    want))
		for h, r in rx.items():
			recs = r.finish()
			if len(recs) != 1 or recs[0][0] != v4("h1") or \
			    recs[0][1] != "ping":
				raise Fail("%s's responder wrote %r" % (h, recs))


def json_recs(rx):
	"""The JSON objects a listen --json --until FENCE receiver wrote."""
	import json
	rc = rx.wait()
	if rc != 0:
		raise Fail("listen --json on %s exited %s: %s" % (rx.host, rc,
		    short(rx.err())))
	try:
		return [json.loads(x) for x in rx.out().splitlines()]
	except ValueError as e:
		raise Fail("listen --json on %s: %s: %r" % (rx.host, e,
		    rx.out()))


def carried(recs, want):
	"""recs' (data, to, ttl) are want, in order."""
	got = [(o["data"], o["to"], o["ttl"]) for o in recs]
	if got != want:
		raise Fail("listen --json saw (data, to, ttl) %r, expected %r" % (
		    got, want))


@group(to="what a datagram carried: unicast, directed broadcast and "
    "multicast datagrams to h2 each show their own \"to\" and "
    "\"ifname\" in listen --json",
    ttl="a datagram across a router (h5 forwarding between the segments) "
    "shows its TTL decremented: sent with --ttl 9, seen with 8",
    df="--df over a link with MTU 1280: 1400 bytes refused, exit 1 naming "
    "1400 and 1280; without --df the 1400 bytes arrive whole; relay --df "
    "forwards 1000 bytes and not 1400, saying so once")
def t_carried(lab, g):
	port = 49001	# a range no other group uses
	with g.sub("to"):
		rx = lab.listen("h2", port, ["--json", "-e", "text", "--join",
		    "239.1.2.20"], addr="0.0.0.0")
		lab.udpcat_ok("h1", ["send", v4("h2"), str(port), "uni"])
		lab.udpcat_ok("h1", ["send", "--broadcast", "10.77.1.255",
		    str(port), "bcast"])
		lab.udpcat_ok("h1", ["send", "--ttl", "3", "239.1.2.20",
		    str(port), "mcast"])
		lab.fence("h1", [(v4("h2"), port)])
		recs = json_recs(rx)
		carried(recs, [("uni", v4("h2"), 64), ("bcast", "10.77.1.255",
		    64), ("mcast", "239.1.2.20", 3)])
		ifs = set(o["ifname"] for o in recs)
		if ifs != {"h2a"}:
			raise Fail("ifname %r, expected h2a" % ifs)
	lab.reap()
	with g.sub("ttl"):
		port += 1
		lab.nsexec("h5", ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
		lab.ipb("h1", ["route add 10.77.2.0/24 via %s" % v4("h5")])
		lab.ipb("h4", ["route add 10.77.1.0/24 via %s" % v4("h5", "b")])
		try:
			rx = lab.listen("h4", port, ["--json", "-e", "text"])
			lab.udpcat_ok("h1", ["send", "--ttl", "9", v4("h4"),
			    str(port), "routed"])
			lab.fence("h1", [(v4("h4"), port)])
			carried(json_recs(rx), [("routed", v4("h4"), 8)])
		finally:
			lab.ipb("h1", ["route del 10.77.2.0/24"])
			lab.ipb("h4", ["route del 10.77.1.0/24"])
			lab.nsexec("h5", ["sysctl", "-qw",
			    "net.ipv4.ip_forward=0"])
	lab.reap()
	with g.sub("df"):
		port += 1
		lab.ipb("h1", ["link set dev h1a mtu 1280"])
		try:
			rc, out, err = lab.udpcat("h1", ["send", "--df", "-e",
			    "hex", v4("h2"), str(port), "64" * 1400])
			line = one_line(err, "send --df")
			if rc != 1 or "1400" not in line or "1280" not in line \
			    or "--df" not in line:
				raise Fail("send --df of 1400 bytes over MTU 1280: "
				    "exit %d, %r" % (rc, line))
			rx = lab.listen("h2", port, ["--json", "-e", "text"])
			lab.udpcat_ok("h1", ["send", "-e", "hex", v4("h2"),
			    str(port), "64" * 1400])
			lab.fence("h1", [(v4("h2"), port)])
			recs = json_recs(rx)
			if [o["size"] for o in recs] != [1400]:
				raise Fail("without --df h2 got sizes %r, expected "
				    "[1400]" % [o["size"] for o in recs])
			relay_df(lab, port + 1)
		finally:
			lab.ipb("h1", ["link set dev h1a mtu 1500"])


def relay_df(lab, port):
	"""relay --df on h1 between a client on h1's loopback and h2, across
	h1a's MTU of 1280: 1400 bytes are not forwarded, one warning names
	1400 and 1280, and the next 1000 bytes go through."""
	pf = os.path.join(lab.tmp, "relay-df.port")
	relay = Proc(lab, "h1", [UDPCAT, "relay", "--df", "-n", "2",
	    "--port-file", pf, "127.0.0.1", "0", v4("h2"), str(port)], "relay")
	end = time.monotonic() + WAIT
	while not os.path.exists(pf):
		if not relay.alive() or time.monotonic() > end:
			raise Fail("relay --df on h1 not ready: %s" % short(
			    relay.err()))
		time.sleep(0.005)
	with open(pf) as f:
		rport = f.read().strip()
	rx = lab.listen("h2", port, ["--json", "-e", "text"])
	lab.udpcat_ok("h1", ["send", "-e", "hex", "127.0.0.1", rport,
	    "64" * 1400])
	lab.udpcat_ok("h1", ["send", "-e", "hex", "127.0.0.1", rport,
	    "64" * 1000])
	if relay.wait() != 0:
		raise Fail("relay --df exited %s: %s" % (relay.rc,
		    short(relay.err())))
	line = one_line(relay.err(), "relay --df")
	if "1400" not in line or "1280" not in line or "--df" not in line:
		raise Fail("relay --df said %r" % line)
	lab.fence("h1", [(v4("h2"), port)])
	sizes = [o["size"] for o in json_recs(rx)]
	if sizes != [1000]:
		raise Fail("through relay --df h2 got sizes %r, expected [1000]"
		    % sizes)


def link_up(lab, host):
	"""Brings host's interfaces back up, waits for them, and puts back
	the routes that going down removed."""
	ifname = HOSTS[host][0][0]
	lab.ipb(host, ["link set dev %s up" % i for i, s, n in HOSTS[host]])
	lab.wait_ready([host])
	lab.ipb(host, ["route replace default dev %s" % ifname,
	    "route replace 224.0.0.0/4 dev %s" % ifname])


def send_until(lab, host, args, rx, data):
	"""Sends with udpcat from host until rx has written data out; a
	link that just came up may lose the first datagrams (bounded)."""
	end = time.monotonic() + WAIT
	while data not in [d for a, d in rx.records()]:
		if time.monotonic() > end:
			raise Fail("%s got no %r within %g s" % (rx.host, data, WAIT))
		if not rx.alive():
			raise Fail("listener on %s exited %s: %s" % (rx.host,
			    rx.p.returncode, short(rx.err())))
		lab.udpcat_ok(host, args + [data])
		t = time.monotonic() + 0.2
		while data not in rx.out() and time.monotonic() < t:
			time.sleep(0.01)


def stop_listener(rx, allowed):
	"""SIGTERM: exit 143, and nothing but allowed records written."""
	if not rx.alive():
		raise Fail("listener on %s exited %s: %s" % (rx.host,
		    rx.p.returncode, short(rx.err())))
	rc = rx.stop()
	if rc != 128 + signal.SIGTERM:
		raise Fail("listener: SIGTERM gave exit %s, not 143" % rc)
	bad = [r for r in rx.records() if r not in allowed]
	if bad:
		raise Fail("listener wrote unexpected records %r" % bad[:5])


@group(down="link taken down during 'send --rate 200 --repeat 0' from "
    "h1: exit 1 with 'network is unreachable' within 3 s, one line",
    alive="listener on h2 keeps running while h1's link is down and "
    "receives again once it is back up",
    rejoin="'listen -I h2a --join 239.1.2.9' on h2 survives its own link "
    "going down and up, and receives the group again")
def t_ifdown(lab, g):
	port = 48001
	rx = None
	try:
		with g.sub("down"):
			rx = lab.listen("h2", port, until=False)
			snd = Proc(lab, "h1", [UDPCAT, "send", "--rate", "200",
			    "--repeat", "0", v4("h2"), str(port), "tick"], "send")
			end = time.monotonic() + WAIT
			while "tick" not in rx.out():
				if not snd.alive():
					raise Fail("sender exited %s before the link "
					    "went down: %s" % (snd.p.returncode,
					    short(snd.err())))
				if time.monotonic() > end:
					raise Fail("h2 got no tick within %g s" % WAIT)
				time.sleep(0.01)
			t0 = time.monotonic()
			lab.ipb("h1", ["link set dev h1a down"])
			rc = snd.wait(WAIT)
			dt = time.monotonic() - t0
			err = snd.err()
			log("  -> %s after %.3f s, err=%r" % (rc, dt, err))
			if rc != 1:
				raise Fail("exit %s, not 1 (stderr %r)" % (rc, err))
			line = one_line(err, "send after link down")
			if not re.search(r"network is (unreachable|down)", line,
			    re.I):
				raise Fail("no 'network is unreachable': %r" % line)
			if not line.startswith("udpcat: send: "):
				raise Fail("message not 'udpcat: send: ...': %r" %
				    line)
			if dt > 3:
				raise Fail("exit took %.1f s" % dt)
		with g.sub("alive"):
			if rx is None:
				raise Fail("no listener (the previous step failed)")
			if not rx.alive():
				raise Fail("listener exited %s when the link went "
				    "down: %s" % (rx.p.returncode, short(rx.err())))
			link_up(lab, "h1")
			send_until(lab, "h1", ["send", v4("h2"), str(port)], rx,
			    "back")
			stop_listener(rx, [(v4("h1"), "tick"), (v4("h1"), "back")])
		lab.reap()
		with g.sub("rejoin"):
			port += 1
			rx = lab.listen("h2", port, ["-I", "h2a", "--join",
			    "239.1.2.9"], until=False)
			args = ["send", "239.1.2.9", str(port)]
			send_until(lab, "h1", args, rx, "before")
			lab.ipb("h2", ["link set dev h2a down"])
			link_up(lab, "h2")
			send_until(lab, "h1", args, rx, "after")
			stop_listener(rx, [(v4("h1"), "before"),
			    (v4("h1"), "after")])
	finally:
		# Leave the hosts usable whatever happened.
		for host in ("h1", "h2"):
			try:
				link_up(lab, host)
			except Fail:
				pass


# -- relay across namespaces of its own --------------------------------------
#
#   rly-c1 .1 --+                          +-- rly-s .20 (the service)
#   rly-c2 .2 --+-- rbc 10.79.1.0/24       |   rbs 10.79.2.0/24
#               +-- rly-r .10 (relay) .10 -+
#
# Both bridges live in rly-br.  The relay's host does not forward and the
# clients have no route to 10.79.2.0/24: the service is reached through
# udpcat relay only.  IPv6 is off in all of them (no addresses to wait
# for).  The namespaces are made and deleted by the group, on its own
# ports (49500-49599), also after a failure.

RLY_HOSTS = {
	"rly-c1": [("rc1a", "c", 1)],
	"rly-c2": [("rc2a", "c", 2)],
	"rly-r": [("rra", "c", 10), ("rrb", "s", 10)],
	"rly-s": [("rsb", "s", 20)],
}
RLY_NET = {"c": 1, "s": 2}


def rly_addr(host, seg):
	for ifname, s, n in RLY_HOSTS[host]:
		if s == seg:
			return "10.79.%d.%d" % (RLY_NET[s], n)
	raise KeyError(host)


# A client: sends N datagrams "ID:SEQ" to the relay, paced, reads the
# replies until a second passes without one, and prints one JSON object:
# its port and each reply as [payload, from address, from port, rtt ms],
# the rtt from before the send to after the read, so never too short.
RLY_CLIENT_PY = r"""
import json, select, socket, sys, time
cid, raddr, rport, n, limit = sys.argv[1:6]
n, end = int(n), time.monotonic() + float(limit)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 1 << 23)	# SO_RCVBUFFORCE
s.bind(("", 0))
sent, got = {}, []
def take():
    while True:
        try:
            d, a = s.recvfrom(65535, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        t = time.monotonic()
        d = d.decode("ascii", "replace")
        seq = d.rsplit(":", 1)[-1]
        rtt = (t - sent[int(seq)]) * 1000 if seq.isdigit() and \
            int(seq) in sent else -1
        got.append([d, a[0], a[1], rtt])
for i in range(n):
    sent[i] = time.monotonic()
    s.sendto(("%s:%d" % (cid, i)).encode(), (raddr, int(rport)))
    take()
    if i % 10 == 9:
        time.sleep(0.005)
while time.monotonic() < end and select.select([s], [], [], 1.0)[0]:
    take()
print(json.dumps({"port": s.getsockname()[1], "sent": n, "got": got}))
"""

# The service: answers each datagram with "re:" + datagram and prints
# "ADDRESS PORT DATA" for it, until FENCE (or the time limit, exit 3).
RLY_SERVICE_PY = r"""
import os, select, socket, sys, time
addr, port, ready, fence, limit = sys.argv[1:6]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 1 << 23)	# SO_RCVBUFFORCE
s.bind((addr, int(port)))
with open(ready + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(ready + ".tmp", ready)
end = time.monotonic() + float(limit)
while True:
    left = end - time.monotonic()
    if left <= 0 or not select.select([s], [], [], left)[0]:
        sys.exit(3)
    d, a = s.recvfrom(65535)
    if d == fence.encode():
        sys.exit(0)
    sys.stdout.write("%s %d %s\n" % (a[0], a[1], d.decode("ascii",
        "replace")))
    s.sendto(b"re:" + d, a)
"""


def rly_build(lab):
	"""Makes the group's namespaces, bridges and veths; waits until
	every link is up and every bridge port forwards."""
	lab.addns(lab.ns("rly-br"))
	lab.sysctl("rly-br", ["net.ipv6.conf.all.disable_ipv6=1",
	    "net.ipv6.conf.default.disable_ipv6=1"])
	cmds = ["link set dev lo up"]
	for seg in RLY_NET:
		cmds += ["link add name rb%s type bridge stp_state 0" % seg,
		    "link set dev rb%s up" % seg]
	lab.ipb("rly-br", cmds)
	for host, ifs in RLY_HOSTS.items():
		lab.addns(lab.ns(host))
		lab.sysctl(host, ["net.ipv6.conf.all.disable_ipv6=1",
		    "net.ipv6.conf.default.disable_ipv6=1",
		    "net.ipv4.ip_forward=0"])
		bcmds, hcmds = [], ["link set dev lo up"]
		for ifname, seg, n in ifs:
			bcmds += ["link add name p%s type veth peer name %s "
			    "netns %s" % (ifname, ifname, lab.ns(host)),
			    "link set dev p%s master rb%s" % (ifname, seg),
			    "link set dev p%s up" % ifname]
			hcmds += ["address add %s/24 dev %s" % (rly_addr(host,
			    seg), ifname), "link set dev %s up" % ifname]
		lab.ipb("rly-br", bcmds)
		lab.ipb(host, hcmds)
	end = time.monotonic() + WAIT
	while True:
		why = rly_not_ready(lab)
		if why is None:
			return
		if time.monotonic() > end:
			raise Fail("relay lab not ready within %g s: %s" % (WAIT,
			    why))
		time.sleep(0.01)


def rly_not_ready(lab):
	for host, ifs in RLY_HOSTS.items():
		for ifname, seg, n in ifs:
			r = lab.sh(["ip", "-n", lab.ns(host), "-o", "link", "show",
			    "dev", ifname])
			if b"LOWER_UP" not in r.stdout or \
			    b"state UP" not in r.stdout:
				return "%s %s is not up" % (host, ifname)
	r = lab.sh(["bridge", "-n", lab.ns("rly-br"), "link", "show"])
	for line in r.stdout.decode().splitlines():
		if "state forwarding" not in line:
			return "bridge port not forwarding: " + line.strip()
	return None


def rly_teardown(lab):
	"""Stops the group's processes and deletes its namespaces."""
	lab.reap()
	mine = [lab.ns(h) for h in ["rly-br"] + list(RLY_HOSTS)]
	for name in reversed([n for n in lab.made if n in mine]):
		try:
			subprocess.run(["ip", "netns", "del", name],
			    capture_output=True, timeout=WAIT)
		except (OSError, subprocess.TimeoutExpired):
			pass
	lab.made = [n for n in lab.made if n not in mine or
	    n in lab.listns()]


def rly_stats(err):
	"""relay --stats: {"up": {words: n}, "down": {...}}."""
	st = {}
	for line in err.splitlines():
		m = re.match(r"udpcat: relay: (up|down): (.*)", line)
		if m:
			st[m.group(1)] = {k: int(v) for v, k in re.findall(
			    r"(\d+)\+? ([a-z ]+?)(?:,|$)", m.group(2))}
	if set(st) != {"up", "down"}:
		raise Fail("no --stats lines from the relay: %s" % short(err))
	return st


RLY_N = 1500		# datagrams from each client
RLY_DELAY_MS = 30


def rly_run(lab):
	"""Service, relay (--loss 20% --seed 7 --delay 30ms), two clients;
	returns (clients' results, service lines, relay stats)."""
	port = 49500
	ready = os.path.join(lab.tmp, "rly-service.ready")
	svc = Proc(lab, "rly-s", [sys.executable, "-c", RLY_SERVICE_PY,
	    rly_addr("rly-s", "s"), str(port + 1), ready, FENCE, "60"],
	    "service")
	pf = os.path.join(lab.tmp, "rly-relay.port")
	relay = Proc(lab, "rly-r", [UDPCAT, "relay", "--stats", "--seed", "7",
	    "--loss", "20%", "--delay", "%dms" % RLY_DELAY_MS, "--port-file",
	    pf, rly_addr("rly-r", "c"), str(port), rly_addr("rly-s", "s"),
	    str(port + 1)], "relay")
	end = time.monotonic() + WAIT
	while not (os.path.exists(ready) and os.path.exists(pf)):
		if not relay.alive() or not svc.alive():
			raise Fail("relay or service exited at start: %s %s" % (
			    short(relay.err()), short(svc.err())))
		if time.monotonic() > end:
			raise Fail("relay or service not ready within %g s" % WAIT)
		time.sleep(0.005)
	clients = [Proc(lab, h, [sys.executable, "-c", RLY_CLIENT_PY, h,
	    rly_addr("rly-r", "c"), str(port), str(RLY_N), "30"], "client")
	    for h in ("rly-c1", "rly-c2")]
	res = {}
	for c in clients:
		if c.wait(40) != 0:
			raise Fail("client on %s exited %s: %s" % (c.host, c.rc,
			    short(c.err())))
		res[c.host] = json.loads(c.out())
	rc = relay.stop()
	if rc != 128 + signal.SIGTERM:
		raise Fail("relay: SIGTERM gave exit %s, not 143: %s" % (rc,
		    short(relay.err())))
	lab.fence("rly-r", [(rly_addr("rly-s", "s"), port + 1)])
	if svc.wait() != 0:
		raise Fail("service exited %s: %s" % (svc.rc, short(svc.err())))
	lines = [l.split(" ", 2) for l in svc.out().splitlines()]
	st = rly_stats(relay.err())
	rtts = sorted(x[3] for r in res.values() for x in r["got"])
	log("  relay %r; round trips min %.1f, median %.1f ms" % (st,
	    rtts[0] if rtts else -1, rtts[len(rtts) // 2] if rtts else -1))
	return res, lines, st


def rly_check_loss(st, d, n_got):
	"""One direction: the lost fraction within [0.15, 0.25] (6 standard
	deviations and more for 20% of 2,000 or more), nothing else lost,
	and what arrived at the far end is what was forwarded."""
	s = st[d]
	if s["received"] < 2000:
		raise Fail("%s: only %d received: %r" % (d, s["received"], s))
	lost = s["dropped"] / s["received"]
	if not 0.15 <= lost <= 0.25:
		raise Fail("%s: lost %.3f of %d, not within [0.15, 0.25]" % (d,
		    lost, s["received"]))
	if (s["forwarded"], s["not sent"]) != (s["received"] - s["dropped"],
	    0):
		raise Fail("%s: forwarded %d of %d received, %d dropped, %d "
		    "not sent" % (d, s["forwarded"], s["received"],
		    s["dropped"], s["not sent"]))
	if n_got != s["forwarded"]:
		raise Fail("%s: %d arrived, %d forwarded" % (d, n_got,
		    s["forwarded"]))


@group(ports="relay across namespaces: the service sees one source port "
    "per client (two client hosts), from the relay's address",
    own="relay across namespaces: each client gets only its own replies, "
    "from the relay's address and port, each at most once",
    loss="relay across namespaces: --loss 20% --seed 7 over 3,000 "
    "datagrams: lost within [0.15, 0.25] each way, the rest all arrive",
    delay="relay across namespaces: --delay 30ms each way, every round "
    "trip at least 60 ms")
def t_relay(lab, g):
	res = None
	try:
		with g.sub("ports"):
			rly_build(lab)
			res, lines, st = rly_run(lab)
			seen = {}
			for addr, port, data in lines:
				seen.setdefault(data.split(":")[0], set()).add(
				    (addr, int(port)))
			if set(seen) != {"rly-c1", "rly-c2"}:
				raise Fail("the service heard from %r" % sorted(seen))
			ups = [seen[h] for h in ("rly-c1", "rly-c2")]
			if any(len(u) != 1 for u in ups) or ups[0] == ups[1]:
				raise Fail("upstream addresses per client: %r" % ups)
			relay_side = rly_addr("rly-r", "s")
			if any(a != relay_side for u in ups for a, p in u):
				raise Fail("upstream not from %s: %r" % (relay_side,
				    ups))
		with g.sub("own"):
			if res is None:
				raise Fail("no run (the previous step failed)")
			for h, r in res.items():
				datas = [x[0] for x in r["got"]]
				bad = [x for x in r["got"] if not x[0].startswith(
				    "re:%s:" % h) or (x[1], x[2]) !=
				    (rly_addr("rly-r", "c"), 49500)]
				if bad:
					raise Fail("%s got %r" % (h, bad[:5]))
				if len(set(datas)) != len(datas):
					raise Fail("%s got a reply twice" % h)
		with g.sub("loss"):
			if res is None:
				raise Fail("no run (the previous step failed)")
			rly_check_loss(st, "up", len(lines))
			rly_check_loss(st, "down", sum(len(r["got"]) for r in
			    res.values()))
		with g.sub("delay"):
			if res is None:
				raise Fail("no run (the previous step failed)")
			rtts = [x[3] for r in res.values() for x in r["got"]]
			low = [t for t in rtts if t < 2 * RLY_DELAY_MS]
			if not rtts or low:
				raise Fail("%d round trips, %d under %d ms: %r" % (
				    len(rtts), len(low), 2 * RLY_DELAY_MS, low[:5]))
	finally:
		rly_teardown(lab)


# -- the runner ---------------------------------------------------------------

# The commands the lab runs, and the Debian packages that hold them.
LAB_TOOLS = (("ip", "iproute2"), ("bridge", "iproute2"), ("sysctl", "procps"))


def can_run():
	"""None when the lab can run here, else why not: the first thing
	missing, named."""
	if not hasattr(os, "geteuid") or os.geteuid() != 0:
		return "needs root, to create network namespaces"
	missing = [(t, p) for t, p in LAB_TOOLS if shutil.which(t) is None]
	if missing:
		return "needs %s (Debian package %s)" % (
		    " and ".join("the %s command" % t for t, p in missing),
		    ", ".join(sorted(set(p for t, p in missing))))
	probe = PREFIX + "probe"
	try:
		r = subprocess.run(["ip", "netns", "add", probe],
		    capture_output=True, timeout=WAIT)
		if r.returncode != 0:
			return "'ip netns add' failed: %s" % \
			    short(r.stderr.decode("utf-8", "replace"), 80)
		try:
			r = subprocess.run(["ip", "-n", probe, "-batch", "-"],
			    input=b"link add name b0 type bridge\n"
			    b"link add name v0 type veth peer name v1\n",
			    capture_output=True, timeout=WAIT)
			if r.returncode != 0:
				return "cannot make a bridge and a veth pair " \
				    "in a namespace with 'ip -n': %s" % \
				    short(r.stderr.decode("utf-8", "replace"), 80)
		finally:
			subprocess.run(["ip", "netns", "del", probe],
			    capture_output=True, timeout=WAIT)
	except subprocess.TimeoutExpired:
		return "'ip netns' did not answer within %g s" % WAIT
	except OSError as e:
		return "cannot run ip: %s" % e
	return None


def on_signal(sig, frame):
	raise SystemExit(128 + sig)


def main(argv):
	global UDPCAT, VERBOSE
	binary = None
	subs = []
	i = 1
	while i < len(argv):
		a = argv[i]
		if a == "-k" and i + 1 < len(argv):
			subs.append(argv[i + 1])
			i += 1
		elif a == "-v":
			VERBOSE = True
		elif a in ("-h", "--help"):
			print("usage: lab.py UDPCAT [-k SUBSTRING] [-v]")
			return 0
		elif binary is None:
			binary = a
		else:
			print("usage: lab.py UDPCAT [-k SUBSTRING] [-v]",
			    file=sys.stderr)
			return 2
		i += 1
	UDPCAT = os.path.abspath(binary or "./udpcat")
	groups = [(fn, names) for fn, names in GROUPS if not subs or
	    any(s in n for s in subs for n in names.values())]
	rep = Reporter()
	t_start = time.monotonic()

	for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
		signal.signal(sig, on_signal)
	lab = Lab()
	atexit.register(lab.cleanup)
	try:
		# The cleanup also removes the probe namespace, should a signal
		# come while it exists.
		why = can_run()
		if why is not None:
			for fn, names in groups:
				for name in names.values():
					rep.skip(name, why)
		else:
			run_groups(lab, groups, rep)
	except SystemExit as e:
		lab.cleanup()
		print("lab: interrupted (signal %d); namespaces removed" % (
		    int(e.code) - 128), file=sys.stderr, flush=True)
		return int(e.code)
	finally:
		lab.cleanup()
	log("%.1f s" % (time.monotonic() - t_start))
	print("lab: %d passed, %d failed, %d skipped" % (rep.npass, rep.nfail,
	    rep.nskip), flush=True)
	return 1 if rep.nfail else 0


def run_groups(lab, groups, rep):
	"""Builds the network, then runs every group; never raises Fail."""
	setup_error = None
	if not os.access(UDPCAT, os.X_OK):
		setup_error = "%s is not an executable file" % UDPCAT
	else:
		try:
			lab.build()
		except Fail as e:
			setup_error = "lab setup failed: %s" % e
	for fn, names in groups:
		g = Subtests(rep, names)
		if setup_error is not None:
			g.rest(setup_error)
			continue
		try:
			fn(lab, g)
		except Exception as e:
			g.rest("scenario aborted: %s: %s" % (type(e).__name__,
			    short(str(e))))
		finally:
			lab.reap()
		g.rest("not run")


if __name__ == "__main__":
	sys.exit(main(sys.argv))
