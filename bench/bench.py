#!/usr/bin/env python3
"""bench.py: udpcat's benchmark (issue #5).

    python3 bench/bench.py ./udpcat [--reps N] [--lines N] [--only 1,2,...]
                           [--baseline OLD_UDPCAT]

Builds bench/ref.c (bare reference loops), relay_ref.c, ping_ref.c and
exec_ref.c with the machine's cc, then runs udpcat, socat and nc
(nc.openbsd) where installed, and the references, on the same work,
interleaved, several repetitions, on 127.0.0.1 only.  Scenarios: 1 stdin
lines to UDP, 2 listener capacity, 3 64 MiB file, 4 echo round trip, 5
memory, 6 pipeline latency, 7 relay, 8 ping, 9 listen --exec, 10 pcap
capture and replay.  Prints
a table per scenario (medians, ratios, exact commands, PASS/MISS against
the issue's targets) and writes everything to bench/out/results.json.

Rules it keeps: counts come from the receiver, never from the sender; each
run binds a fresh port (port 0, reported through a port file; for nc and
socat, which cannot report one, a port just found free, and the sender
starts only once /proc/net/udp shows it bound); kernel drops
(/proc/net/snmp Udp: RcvbufErrors) are read before and after; every process
runs under a deadline and dies with the harness (PR_SET_PDEATHSIG); each
scenario has a time budget.  Python 3 standard library only.

With --baseline, every udpcat case runs a second time with the baseline
binary (an older build), interleaved with the others, and each table shows
both and new/old.
"""
import argparse
import ctypes
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OUTDIR = os.path.join(HERE, "out")
HOST = "127.0.0.1"
DGRAM = 64                      # datagram size of the overload scenarios

_libc = ctypes.CDLL(None, use_errno=True)


def _child_setup():
    # PR_SET_PDEATHSIG: a child never outlives the harness.
    _libc.prctl(1, signal.SIGKILL, 0, 0, 0)


LIVE = set()


class Proc:
    """A child process with a hard deadline; reaped with wait4 (rusage)."""

    def __init__(self, argv, stdin=None, stdout=None, stderr=None, limit=60,
                 session=False):
        self.argv = [str(a) for a in argv]
        # session: a process group of its own, signalled whole (socat's
        # fork children, which PR_SET_PDEATHSIG does not reach).
        self.session = session
        self.rc = None
        self.timed_out = False
        self.maxrss_kb = None
        self._lock = threading.Lock()
        self.t0 = time.perf_counter()
        self.p = subprocess.Popen(self.argv, stdin=stdin, stdout=stdout,
                                  stderr=stderr, preexec_fn=_child_setup,
                                  close_fds=True, start_new_session=session)
        self.pid = self.p.pid
        self.deadline = time.monotonic() + limit
        self._timer = threading.Timer(limit, self._expire)
        self._timer.daemon = True
        self._timer.start()
        LIVE.add(self)

    def _expire(self):
        with self._lock:
            if self.rc is None:
                self.timed_out = True
                self._kill(signal.SIGKILL)

    def _kill(self, sig):
        try:
            if self.session:
                os.killpg(self.pid, sig)
            else:
                os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def send_signal(self, sig=signal.SIGTERM):
        with self._lock:
            if self.rc is None:
                self._kill(sig)

    def alive(self):
        if self.rc is not None:
            return False
        with self._lock:
            pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            if pid == 0:
                return True
            self._reaped(status, ru)
            return False

    def _reaped(self, status, ru):
        self.t1 = time.perf_counter()
        self.rc = os.waitstatus_to_exitcode(status)
        self.maxrss_kb = ru.ru_maxrss
        self.p.returncode = self.rc
        self._timer.cancel()
        if self.session:        # what the group leader left behind
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        LIVE.discard(self)

    def wait(self, timeout=None):
        """Waits (blocking, so the end time is exact); kills at the deadline
        or after timeout seconds."""
        if self.rc is not None:
            return self.rc
        t = None
        if timeout is not None:
            t = threading.Timer(timeout, self._expire)
            t.daemon = True
            t.start()
        try:
            while True:
                try:
                    pid, status, ru = os.wait4(self.pid, 0)
                    break
                except InterruptedError:
                    continue
            with self._lock:
                self._reaped(status, ru)
        finally:
            if t is not None:
                t.cancel()
        return self.rc

    def stop(self, sig=signal.SIGTERM, grace=5.0):
        self.send_signal(sig)
        return self.wait(timeout=grace)

    def cmd(self):
        return " ".join(shlex.quote(a) for a in self.argv)


def kill_all():
    for p in list(LIVE):
        try:
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=2)
        except Exception:
            pass


# ---------------------------------------------------------------- helpers

def snmp_udp():
    """The Udp: counters of /proc/net/snmp as a dict (empty if unreadable)."""
    try:
        with open("/proc/net/snmp") as f:
            lines = [ln.split() for ln in f if ln.startswith("Udp:")]
        return dict(zip(lines[0][1:], (int(v) for v in lines[1][1:])))
    except (OSError, IndexError, ValueError):
        return {}


def snmp_delta(a, b, key="RcvbufErrors"):
    if key in a and key in b:
        return b[key] - a[key]
    return None


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def udp_bound(port):
    want = "0100007F:%04X" % port
    try:
        with open("/proc/net/udp") as f:
            next(f)
            return any(ln.split()[1] == want for ln in f)
    except (OSError, StopIteration, IndexError):
        return False


def sock_drops(port):
    """The kernel's drop counter of the socket bound to 127.0.0.1:port
    (/proc/net/udp, last column), or None."""
    want = "0100007F:%04X" % port
    try:
        with open("/proc/net/udp") as f:
            next(f)
            for ln in f:
                p = ln.split()
                if len(p) > 12 and p[1] == want:
                    return int(p[-1])
    except (OSError, StopIteration, ValueError):
        pass
    return None


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def wait_bound(proc, port_file=None, port=None, timeout=5.0):
    """The listener's port once it is bound, or None (and kills it)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if port_file is not None:
            try:
                with open(port_file) as f:
                    s = f.read()
                if s.endswith("\n") and s.strip().isdigit():
                    return int(s)
            except OSError:
                pass
        elif udp_bound(port):
            return port
        if not proc.alive():
            return None
        time.sleep(0.002)
    proc.stop(signal.SIGKILL)
    return None


def last_json(path):
    try:
        with open(path, errors="replace") as f:
            for ln in reversed(f.read().splitlines()):
                ln = ln.strip()
                if ln.startswith("{"):
                    try:
                        return json.loads(ln)
                    except ValueError:
                        pass
    except OSError:
        pass
    return None


def tail(path, n=3):
    try:
        with open(path, errors="replace") as f:
            return " | ".join(f.read().strip().splitlines()[-n:])
    except OSError:
        return ""


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt_num(x, unit=""):
    if x is None:
        return "-"
    if abs(x) >= 1e9:
        return "%.2fG%s" % (x / 1e9, unit)
    if abs(x) >= 1e6:
        return "%.2fM%s" % (x / 1e6, unit)
    if abs(x) >= 1e4:
        return "%.1fk%s" % (x / 1e3, unit)
    return "%.0f%s" % (x, unit)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    return "-" if r is None else "%.2fx" % r


def table(headers, rows):
    w = [len(h) for h in headers]
    for r in rows:
        for i, c in enumerate(r):
            w[i] = max(w[i], len(str(c)))
    out = ["  " + "  ".join(str(h).ljust(w[i]) for i, h in enumerate(headers))]
    out.append("  " + "  ".join("-" * w[i] for i in range(len(headers))))
    for r in rows:
        out.append("  " + "  ".join(str(c).ljust(w[i]) if i == 0 or i == 1
                                    else str(c).rjust(w[i])
                                    for i, c in enumerate(r)))
    return "\n".join(out)


def disp(ctx, argv):
    """A command as a user would type it (PORT/PORTFILE for the fresh ones)."""
    out = []
    for a in argv:
        a = {ctx.ref: "bench/out/ref", ctx.udpcat: "./udpcat",
             ctx.relay_ref: "bench/out/relay_ref",
             ctx.ping_ref: "bench/out/ping_ref",
             ctx.exec_ref: "bench/out/exec_ref",
             ctx.base: "BASELINE", sys.executable: "python3"}.get(a, a)
        if a.startswith(HERE + "/"):
            a = "bench/" + a[len(HERE) + 1:]
        a = a.replace("{PF}", "PORTFILE").replace("{P}", "PORT")
        a = a.replace("{S}", "SINKPORT")
        out.append(a if a in ("PORT", "PORTFILE", "BASELINE", "SINKPORT")
                   else shlex.quote(a))
    return " ".join(out)


def say(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------- context

class Ctx:
    def __init__(self, args):
        self.reps = args.reps
        self.lines = args.lines
        self.work = tempfile.mkdtemp(prefix="udpcat-bench-")
        # Measure one fixed binary even if src/ is rebuilt meanwhile.
        self.udpcat_orig = os.path.abspath(args.udpcat)
        self.udpcat = os.path.join(self.work, "udpcat")
        shutil.copy2(self.udpcat_orig, self.udpcat)
        with open(self.udpcat, "rb") as f:
            self.udpcat_sha = hashlib.sha256(f.read()).hexdigest()
        # The baseline (an older udpcat), copied too; None without one.
        self.base = self.base_orig = self.base_sha = None
        if args.baseline:
            self.base_orig = os.path.abspath(args.baseline)
            self.base = os.path.join(self.work, "udpcat-baseline")
            shutil.copy2(self.base_orig, self.base)
            with open(self.base, "rb") as f:
                self.base_sha = hashlib.sha256(f.read()).hexdigest()
        self.ref = os.path.join(OUTDIR, "ref")
        self.relay_ref = os.path.join(OUTDIR, "relay_ref")
        self.ping_ref = os.path.join(OUTDIR, "ping_ref")
        self.exec_ref = os.path.join(OUTDIR, "exec_ref")
        self.targets = []
        self.results = {}
        self.budget = args.budget
        self.pairs = args.pairs
        self.socat = shutil.which("socat")
        self.nc = find_nc()
        self.pings = args.pings
        self._n = 0

    def tmp(self, name):
        self._n += 1
        return os.path.join(self.work, "%d-%s" % (self._n, name))

    def target(self, scenario, what, value, goal, ok, note=""):
        t = {"scenario": scenario, "target": what, "value": value,
             "goal": goal, "status": "PASS" if ok else "MISS"
             if value is not None else "N/A", "note": note}
        self.targets.append(t)
        return t


def find_nc():
    for name in ("nc.openbsd", "nc"):
        path = shutil.which(name)
        if path is None:
            continue
        try:
            r = subprocess.run([path, "-h"], capture_output=True, timeout=5,
                               preexec_fn=_child_setup)
            if b"OpenBSD" in r.stdout + r.stderr:
                return path
        except (OSError, subprocess.TimeoutExpired):
            pass
    return None


def tool_version(argv):
    try:
        r = subprocess.run(argv, capture_output=True, timeout=5,
                           preexec_fn=_child_setup)
        s = (r.stdout + r.stderr).decode(errors="replace").strip()
        return s.splitlines()[0] if s else ""
    except (OSError, subprocess.TimeoutExpired):
        return ""


REFS = ("ref", "relay_ref", "ping_ref", "exec_ref")   # bench/NAME.c


def build_ref():
    """Builds each bench/NAME.c of REFS into bench/out/NAME; returns the
    first command (the others differ only in the name)."""
    cc = os.environ.get("CC", "cc")
    os.makedirs(OUTDIR, exist_ok=True)
    cmds = []
    for name in REFS:
        argv = [cc, "-O2", "-std=c11", "-Wall", "-Wextra", "-o",
                os.path.join(OUTDIR, name), os.path.join(HERE, name + ".c")]
        r = subprocess.run(argv, capture_output=True, timeout=120)
        if r.returncode != 0:
            sys.stderr.write(r.stderr.decode(errors="replace"))
            sys.exit("bench: cannot build bench/%s.c" % name)
        cmds.append(" ".join(argv))
    return cmds[0] + "  (likewise relay_ref.c, ping_ref.c, exec_ref.c)"


def gen_lines(path, n, equal):
    """n lines: equal: 63 bytes + LF each; else 32-94 bytes + LF (mean 64)."""
    filler = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-" * 2
    with open(path, "wb") as f:
        buf = bytearray()
        for i in range(n):
            ln = 63 if equal else 32 + (i * 37) % 63
            buf += b"%010d" % i
            buf += filler[:ln - 10]
            buf += b"\n"
            if len(buf) > (1 << 22):
                f.write(buf)
                buf = bytearray()
        f.write(buf)
    return path


def rotate(items, k):
    k %= max(1, len(items))
    return items[k:] + items[:k]


# ------------------------------------------------------- the baseline

OLD = "@old"                # key suffix of a row run with the baseline


def with_baseline(ctx, rows, argv_at=2, label_at=1):
    """rows, each row that runs udpcat followed by its twin that runs the
    baseline binary instead (key KEY@old, label marked [old])."""
    if ctx.base is None:
        return rows
    out = []
    for r in rows:
        out.append(r)
        argv = r[argv_at]
        if argv is not None and ctx.udpcat in argv:
            t = list(r)
            t[0] = r[0] + OLD
            t[label_at] = r[label_at] + " [old]"
            t[argv_at] = [ctx.base if a == ctx.udpcat else a for a in argv]
            out.append(tuple(t))
    return out


def old_heads(ctx, what):
    return [] if ctx.base is None else ["old " + what, "new/old"]


def old_cols(ctx, new, old, fmt):
    """A table row's baseline columns: the old value and new/old."""
    if ctx.base is None:
        return []
    return [fmt(old), fmt_ratio(ratio(new, old))]


def rep_ratios(runs, base_runs, field, counts=lambda run: "error" not in run):
    """A run's field over the same rep's base run's, for each rep where
    both runs count."""
    return [a[field] / b[field] for a, b in zip(runs, base_runs)
            if counts(a) and counts(b) and a.get(field) is not None and b.get(field)]


def paired(*args):
    """The median over the reps of a run's field over the same rep's
    base run's (the bare loop's, or the baseline binary's), over the reps
    where both runs count: on this machine the round trip moves between
    two levels, for some seconds each (about 22 and 29 us here, for the
    bare loops too), so that a ratio of medians over all the runs says
    which row had more runs in the fast level as much as which row is
    faster; the runs of one rep share the level."""
    return med(rep_ratios(*args))


def base_target(ctx, scenario, what, new, old, higher_is_better=True, fmt=None, reps=None):
    """The issue's before/after rule: no ratio worse by more than 3%.
    new and old are the rows' medians; reps, when given, is (the new
    row's runs, the old row's, the field, and optionally which runs
    count), and the figure judged is then the median of rep_ratios():
    the twins of a repetition run side by side (Budget.runs), so that
    what the machine does meanwhile, which moves a whole run by more
    than 3% here, moves both."""
    fmt = fmt or fmt_num
    if ctx.base is None:
        return None
    rm = ratio(new, old)
    rs = rep_ratios(*reps) if reps else []
    r = med(rs)
    note = "new %s, old %s" % (fmt(new), fmt(old))
    if r is not None:
        note = "median of %d pairs; ratio of the medians %s (%s)" % (len(rs), fmt_ratio(rm), note)
    else:
        r = rm
    ok = r is not None and (r >= 0.97 if higher_is_better else r <= 1.03)
    return ctx.target(scenario, "%s: new/old %s" % (
        what, ">= 0.97" if higher_is_better else "<= 1.03 (lower is better)"),
        r, 0.97 if higher_is_better else 1.03, ok, note)


HARD_END = [None]          # the whole run's deadline (monotonic)


class Budget:
    """A scenario's time budget: checked before every rep (and, past a
    grace of 10 s or the whole run's deadline, before every run)."""

    def __init__(self, seconds):
        self.end = time.monotonic() + seconds
        if HARD_END[0] is not None:
            self.end = min(self.end, HARD_END[0])
        self.cut = False

    def hard(self):
        if time.monotonic() > self.end + 10 or (
                HARD_END[0] is not None and time.monotonic() > HARD_END[0]):
            self.cut = True
        return self.cut

    def over(self):
        if time.monotonic() > self.end:
            self.cut = True
        return self.cut

    def runs(self, cases, reps, key=lambda case: case[0]):
        """The cases, in an order rotated by one each repetition, for reps
        repetitions or until the budget is spent (self.cut says so): a
        repetition starts only within it, a run only within its grace.
        A case run with the baseline (key(case) names a twin: see
        twin_of()) runs right beside its twin, first in odd repetitions
        and second in even ones, so that the two of a repetition see the
        same machine and neither is always the one that runs after."""
        for rep in range(reps):
            if self.over():
                return
            for unit in rotate(twin_units(cases, key), rep):
                for case in (reversed(unit) if rep % 2 else unit):
                    if self.hard():
                        return
                    yield case

    def pairs(self, cases, reps, key=lambda case: case[0]):
        """runs() of the cases that have a baseline twin, and of their
        twins: more pairs for a before/after figure, at the cost of
        those rows alone."""
        units = [u for u in twin_units(cases, key) if len(u) > 1]
        return self.runs([c for u in units for c in u], reps, key)


def with_pairs(new, old, new_more, old_more):
    """A row's runs and its twin's, each followed by those of the extra
    pairs (Budget.pairs()), so that they stay aligned rep by rep: the
    last main repetition may have been cut between the two."""
    n = min(len(new), len(old))
    return new[:n] + new_more, old[:n] + old_more


# Seconds a repetition of a scenario's extra pairs takes here, about (its
# udpcat rows that have a twin, two runs each): their budget is this per
# pair, twice over.
PAIR_SECONDS = {1: 6, 2: 8, 10: 6}


def more_pairs(ctx, scenario, cases, run, key=lambda case: case[0], floor=0):
    """With a baseline, max(--pairs, floor) more repetitions of the cases
    that have a twin, and of their twins (Budget.pairs()), each run by
    run(case): {key: [its runs]}, for the new/old targets alone."""
    more = {key(c): [] for c in cases}
    n = max(ctx.pairs, floor) if ctx.base else 0
    budget = Budget(2 * PAIR_SECONDS[scenario] * n)
    for case in budget.pairs(cases, n, key):
        more[key(case)].append(run(case))
    return more


def twin_of(key):
    """The key of the case that a baseline case (KEY@old, or a tuple that
    begins with one) repeats with the old binary; None for any other."""
    if isinstance(key, tuple):
        t = twin_of(key[0])
        return None if t is None else (t,) + key[1:]
    return key[:-len(OLD)] if isinstance(key, str) and key.endswith(OLD) else None


def twin_units(cases, key):
    """The cases in units that run together: each a case alone, or a case
    and its baseline twin."""
    units, at = [], {}
    for case in cases:
        t = twin_of(key(case))
        if t in at:
            units[at[t]].append(case)
        else:
            at[key(case)] = len(units)
            units.append([case])
    return units


# ------------------------------------------------------- 1. stdin -> UDP

PY_SENDER = (
    "import socket,sys\n"
    "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
    "s.connect((sys.argv[1],int(sys.argv[2])))\n"
    "send=s.send\n"
    "for line in sys.stdin.buffer:\n"
    "    send(line[:-1] if line.endswith(b'\\n') else line)\n")


def run_sender(ctx, argv, infile, gro_sink=True):
    pf = ctx.tmp("port")
    serr = ctx.tmp("sink.err")
    xerr = ctx.tmp("send.err")
    sink_argv = [ctx.ref, "-t", "60", "sink"] + (["-g"] if gro_sink else []) \
        + ["-P", pf]
    with open(serr, "wb") as se:
        sink = Proc(sink_argv, stdout=subprocess.DEVNULL, stderr=se, limit=60)
    port = wait_bound(sink, pf)
    if port is None:
        return {"error": "sink did not bind: " + tail(serr)}
    argv = [a.replace("{P}", str(port)) for a in argv]
    s0, d0 = snmp_udp(), sock_drops(port)
    with open(infile, "rb") as fin, open(xerr, "wb") as fe:
        snd = Proc(argv, stdin=fin, stdout=subprocess.DEVNULL, stderr=fe,
                   limit=45)
        snd.wait()
    secs = snd.t1 - snd.t0
    time.sleep(0.02)        # loopback delivery is done; let the sink see it
    d1 = sock_drops(port)
    sink.stop(signal.SIGTERM)
    s1 = snmp_udp()
    rep = last_json(serr) or {}
    d = rep.get("dgrams", 0)
    b = rep.get("bytes", 0)
    return {"rc": snd.rc, "timed_out": snd.timed_out, "secs": secs,
            "dgrams": d, "bytes": b, "rate": d / secs if secs > 0 else None,
            "mbps": b / secs / 1e6 if secs > 0 else None,
            "sink_span_s": rep.get("span_s"),
            "sink_drops": None if d0 is None or d1 is None else d1 - d0,
            "rcvbuf_errors": snmp_delta(s0, s1),
            "stderr": tail(xerr, 2)}


def scenario1(ctx):
    n = ctx.lines
    mix = gen_lines(ctx.tmp("lines-mixed.txt"), n, False)
    eq = gen_lines(ctx.tmp("lines-equal.txt"), n, True)
    U, R = ctx.udpcat, ctx.ref
    py = [sys.executable, "-c", PY_SENDER, HOST, "{P}"]
    rows = [
        # key, label, argv, input, gro_sink, group, limit row
        ("ref_mix", "sendmmsg loop (limit)", [R, "-t", "40", "send", HOST, "{P}"], mix, False, "mixed", "ref_mix"),
        ("udpcat_mix", "udpcat send", [U, "send", HOST, "{P}"], mix, False, "mixed", "ref_mix"),
        ("udpcat_mix_gro", "udpcat send -> GRO sink", [U, "send", HOST, "{P}"], mix, True, "mixed", "ref_mix"),
        ("socat_mix", "socat (8 KiB blocks, not lines)",
         ["socat", "-u", "-", "UDP-SENDTO:%s:{P}" % HOST] if ctx.socat else None, mix, False, "mixed", "ref_mix"),
        ("nc_mix", "nc.openbsd (16 KiB blocks, not lines)",
         [ctx.nc, "-u", "-q", "0", HOST, "{P}"] if ctx.nc else None, mix, False, "mixed", "ref_mix"),
        ("python_mix", "python loop (send per line)", py, mix, False, "mixed", "ref_mix"),
        ("ref_eq", "sendmmsg loop", [R, "-t", "40", "send", HOST, "{P}"], eq, False, "equal", "gso_eq"),
        ("gso_eq", "GSO loop (limit)", [R, "-t", "40", "gsosend", HOST, "{P}"], eq, False, "equal", "gso_eq"),
        ("udpcat_eq", "udpcat send", [U, "send", HOST, "{P}"], eq, False, "equal", "gso_eq"),
        ("gso_eq_gro", "GSO loop -> GRO sink (limit)", [R, "-t", "40", "gsosend", HOST, "{P}"], eq, True, "equal", "gso_eq_gro"),
        ("udpcat_eq_gro", "udpcat send -> GRO sink", [U, "send", HOST, "{P}"], eq, True, "equal", "gso_eq_gro"),
    ]
    rows = with_baseline(ctx, rows)
    runs = {r[0]: [] for r in rows}
    budget = Budget(ctx.budget[1])
    active = [r for r in rows if r[2] is not None]
    run = lambda case: run_sender(ctx, case[2], case[3], case[4])
    for case in budget.runs(active, ctx.reps):
        runs[case[0]].append(run(case))
    more = more_pairs(ctx, 1, active, run)
    for p in (mix, eq):
        os.unlink(p)

    res = {}
    for key, label, argv, infile, gro, group, lk in rows:
        rs = [r for r in runs[key] if "error" not in r]
        res[key] = {
            "label": label, "group": group, "limit_row": lk, "gro_sink": gro,
            "installed": argv is not None,
            "cmd": None if argv is None else disp(ctx, argv) + " < lines-%s.txt" % group,
            "sink": "bench/out/ref -t 60 sink %s-P PORTFILE" % ("-g " if gro else ""),
            "sink_drops": med([r["sink_drops"] for r in rs]),
            "runs": runs[key],
            "rate": med([r["rate"] for r in rs]),
            "rate_min": min([r["rate"] for r in rs], default=None),
            "rate_max": max([r["rate"] for r in rs], default=None),
            "mbps": med([r["mbps"] for r in rs]),
            "dgrams": med([r["dgrams"] for r in rs]),
            "drops": med([r["rcvbuf_errors"] for r in rs]),
            "bad_rc": sum(1 for r in rs if r["rc"] != 0),
        }

    say("\n== 1. stdin lines to UDP: %d lines per run, %d reps, interleaved ==" % (n, len(runs["ref_mix"])))
    say("   mixed: lines of 32-94 bytes + LF (mean 64 B/line); equal: 63 bytes + LF (64 B/line)")
    say("   rate = datagrams the receiver counted / sender wall time (process start to exit).")
    say("   receiver ('sink'): bench/out/ref sink: recvmmsg, 256 per call, 64 MiB buffer, counts only.")
    say("   plain sink: every datagram arrives on its own, as for any ordinary receiver (the kernel")
    say("   splits GSO sends on the way in, on the sender's CPU). GRO sink (-g): UDP_GRO on, a GSO")
    say("   send arrives whole and its datagrams are counted from the UDP_GRO size: loopback's best")
    say("   case, where the receiver is never the limit. Targets are judged on both.")
    for group in ("mixed", "equal"):
        trs = []
        soc = res["socat_mix"]["rate"]
        base = res["ref_mix" if group == "mixed" else "ref_eq"]["rate"]
        for key, label, *_ in rows:
            r = res[key]
            if r["group"] != group or key.endswith(OLD):
                continue
            if not r["installed"]:
                trs.append([key, label, "not installed"] + [""] * (9 + len(old_heads(ctx, ""))))
                continue
            trs.append([key, label, fmt_num(r["rate"], "/s"),
                        "%s..%s" % (fmt_num(r["rate_min"]), fmt_num(r["rate_max"])),
                        "%.1f" % r["mbps"] if r["mbps"] else "-",
                        fmt_ratio(ratio(r["rate"], base)),
                        fmt_ratio(ratio(r["rate"], res[r["limit_row"]]["rate"])),
                        fmt_ratio(ratio(r["rate"], soc)),
                        "%d/%d" % (r["dgrams"], n) if r["dgrams"] is not None else "-",
                        "-" if r["sink_drops"] is None else "%d" % r["sink_drops"],
                        "-" if r["drops"] is None else "%d" % r["drops"],
                        "%d" % r["bad_rc"]] +
                       (old_cols(ctx, r["rate"], res[key + OLD]["rate"], fmt_num)
                        if key + OLD in res else [""] * len(old_heads(ctx, ""))))
        say("\n  [%s lines]  (x limit: against %s)" % (
            group, "ref_mix" if group == "mixed" else "gso_eq, or gso_eq_gro for the GRO-sink row"))
        say(table(["row", "sender", "dgrams/s", "min..max", "MB/s", "x sendmmsg",
                   "x limit", "x socat", "dgrams/lines", "sink drops", "sys RcvbufErr", "rc!=0"]
                  + old_heads(ctx, "dgrams/s"), trs))
    say("   sink drops: the sink socket's own drop counter (/proc/net/udp); > 0 means the receiver, not")
    say("   the sender, was the limit. sys RcvbufErr: /proc/net/snmp, whole machine (other users too).")
    say("\n  commands (PORT: the sink's port; every run a fresh one):")
    for key, label, *_ in rows:
        r = res[key]
        say("   %-14s %s" % (key, r["cmd"] if r["installed"] else "not installed"))
    say("   %-14s %s" % ("receiver", "bench/out/ref -t 60 sink -P PORTFILE   (GRO-sink rows: sink -g)"))

    u, lm = res["udpcat_mix"]["rate"], res["ref_mix"]["rate"]
    ue, le, ge = res["udpcat_eq"]["rate"], res["ref_eq"]["rate"], res["gso_eq"]["rate"]
    so = res["socat_mix"]["rate"]
    ug, ueg = res["udpcat_mix_gro"]["rate"], res["udpcat_eq_gro"]["rate"]
    ts = [ctx.target(1, "send, mixed lines >= 0.95 x sendmmsg loop [plain sink]",
                     ratio(u, lm), 0.95, (ratio(u, lm) or 0) >= 0.95),
          ctx.target(1, "send, mixed lines >= 0.95 x sendmmsg loop [GRO sink]",
                     ratio(ug, lm), 0.95, (ratio(ug, lm) or 0) >= 0.95),
          ctx.target(1, "send, equal lines (GSO) >= 3 x sendmmsg loop [plain sink]",
                     ratio(ue, le), 3.0, (ratio(ue, le) or 0) >= 3.0,
                     "the bare GSO loop itself: %s; udpcat %s of it%s" % (
                         fmt_ratio(ratio(ge, le)), fmt_ratio(ratio(ue, ge)),
                         "; the sink dropped datagrams: receiver-limited"
                         if (res["udpcat_eq"]["sink_drops"] or 0) > 0
                         or (res["gso_eq"]["sink_drops"] or 0) > 0 else "")),
          ctx.target(1, "send, equal lines (GSO) >= 3 x sendmmsg loop [GRO sink]",
                     ratio(ueg, le), 3.0, (ratio(ueg, le) or 0) >= 3.0,
                     "udpcat %s of the GSO loop" % fmt_ratio(ratio(ueg, res["gso_eq_gro"]["rate"]))),
          ctx.target(1, "udpcat send >= 2.5 x socat (datagrams/s)",
                     ratio(u, so), 2.5, (ratio(u, so) or 0) >= 2.5,
                     "socat sends 8 KiB blocks, not lines; in MB/s udpcat is %s of socat"
                     % fmt_ratio(ratio(res["udpcat_mix"]["mbps"], res["socat_mix"]["mbps"]))
                     if ctx.socat else "socat not installed")]
    for key, label, *_ in rows:
        if key.endswith(OLD):
            new = res[key[:-len(OLD)]]
            new["new_over_old"] = ratio(new["rate"], res[key]["rate"])
            nk = key[:-len(OLD)]
            new["pair_runs"], res[key]["pair_runs"] = more[nk], more[key]
            ts.append(base_target(ctx, 1, nk, new["rate"], res[key]["rate"],
                                  reps=with_pairs(runs[nk], runs[key], more[nk], more[key]) + ("rate",)))
    print_targets(ts)
    ctx.results["1_stdin_lines"] = {"lines": n, "rows": res, "cut_by_budget": budget.cut}


def print_targets(ts):
    say("\n  targets:")
    for t in ts:
        v = "-" if t["value"] is None else ("%.3f" % t["value"] if isinstance(t["value"], float)
                                            else str(t["value"]))
        say("   %-4s %-60s measured %s (goal %s)%s" % (
            t["status"], t["target"], v, t["goal"],
            ("  - " + t["note"]) if t["note"] else ""))


# ------------------------------------------------ 2. listener capacity

def run_listener(ctx, rx, window, warm, per=DGRAM):
    """One listener under the GSO flood: datagrams written in the window
    (output bytes / per, the bytes of one record)."""
    out = ctx.tmp("listen.out")
    err = ctx.tmp("listen.err")
    pf = ctx.tmp("port")
    port = None if rx["port_file"] else free_port()
    argv = [a.replace("{PF}", pf).replace("{P}", str(port)) for a in rx["argv"]]
    with open(out, "wb") as fo, open(err, "wb") as fe:
        lst = Proc(argv, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe, limit=30)
    port = wait_bound(lst, pf if rx["port_file"] else None, port)
    if port is None:
        return {"error": "listener did not bind: " + tail(err)}
    fl = Proc([ctx.ref, "-t", "30", "flood", "-g", "-s", str(DGRAM), "-d",
               "%.2f" % (warm + window + 1.0), HOST, str(port)],
              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
              stderr=subprocess.DEVNULL, limit=30)
    time.sleep(warm)
    s0, d0, t0, n0 = snmp_udp(), sock_drops(port), time.perf_counter(), os.stat(out).st_size
    time.sleep(window)
    n1, t1, d1, s1 = os.stat(out).st_size, time.perf_counter(), sock_drops(port), snmp_udp()
    fl.stop(signal.SIGTERM)
    alive = lst.alive()
    lst.stop(signal.SIGTERM)
    os.unlink(out)
    rate = (n1 - n0) / per / (t1 - t0)
    drops = None if d0 is None or d1 is None else d1 - d0
    with open(err, errors="replace") as f:
        e = f.read()
    return {"rate": rate, "bytes": n1 - n0, "secs": t1 - t0,
            "sock_drops": drops, "overloaded": bool(drops),
            "sys_rcvbuf_errors": snmp_delta(s0, s1),
            "gro": "on" if "GRO on" in e else "off" if "GRO off" in e else None,
            "alive_at_end": alive, "rc": lst.rc, "stderr": tail(err, 2)}


PAIRS_2 = 2        # scenario 2's extra pairs, per repetition: see below


def scenario2(ctx):
    U, R = ctx.udpcat, ctx.ref
    # The references' 64 MiB receive buffer: with udpcat's default of 256
    # MiB the window can end before its queue fills, and it then shows
    # what the flood sent rather than what it could take.
    L = [U, "listen", "-v", "-F", "none", "--buffer", "67108864", "--port-file", "{PF}"]
    rxs = [
        ("ref", "recvmmsg+writev (limit)", [R, "-t", "30", "recv", "-P", "{PF}"], True),
        ("ref_oa", "same + SO_RXQ_OVFL + sender addresses", [R, "-t", "30", "recv", "-o", "-a", "-P", "{PF}"], True),
        ("udpcat_nogro", "udpcat listen, GRO off (--max-size 65507)",
         L[:3] + ["--max-size", "65507"] + L[3:] + [HOST, "0"], True),
        ("ref_gro", "recvmmsg+writev, UDP_GRO (GRO limit)", [R, "-t", "30", "recv", "-g", "-P", "{PF}"], True),
        ("udpcat", "udpcat listen (default: GRO on)", L + [HOST, "0"], True),
        ("nc", "nc -u -l", [ctx.nc, "-u", "-l", HOST, "{P}"] if ctx.nc else None, False),
        ("socat", "socat -u UDP-RECV", ["socat", "-u", "UDP-RECV:{P},bind=%s" % HOST, "-"] if ctx.socat else None,
         False),
    ]
    rxs = with_baseline(ctx, rxs)
    window, warm = 1.0, 0.3
    active = [r for r in rxs if r[2] is not None]
    runs = {r[0]: [] for r in rxs}
    budget = Budget(ctx.budget[2])
    run = lambda case: run_listener(ctx, {"argv": case[2], "port_file": case[3]}, window, warm)
    for case in budget.runs(active, ctx.reps):
        runs[case[0]].append(run(case))
    # A listener's rate here moves between levels about 1.35 x apart
    # (about 570k and 780k/s without GRO, for the bare loop too), each
    # held for seconds: five pairs cannot tell 3% apart, so new against
    # old always gets more.
    more = more_pairs(ctx, 2, active, run, floor=PAIRS_2 * ctx.reps)

    rows = {}
    for rk, label, argv, pfile in rxs:
        rs = [r for r in runs[rk] if "error" not in r]
        rows[rk] = {"label": label, "installed": argv is not None,
                    "cmd": None if argv is None else disp(ctx, argv) + " > out.bin",
                    "runs": runs[rk],
                    "rate": med([r["rate"] for r in rs]),
                    "rate_min": min([r["rate"] for r in rs], default=None),
                    "rate_max": max([r["rate"] for r in rs], default=None),
                    "drops": med([r["sock_drops"] for r in rs]),
                    "overloaded": "%d/%d" % (sum(1 for r in rs if r["overloaded"]), len(rs)),
                    "gro": ",".join(sorted({r["gro"] for r in rs if r["gro"]})) or
                    {"ref": "off", "ref_oa": "off", "ref_gro": "on", "nc": "off", "socat": "off"}.get(rk),
                    "errors": [r["error"] for r in runs[rk] if "error" in r]}
    lim, soc = rows["ref"]["rate"], rows["socat"]["rate"]
    say("\n== 2. listener capacity under overload: %d-byte datagrams, %.1f s window after %.1f s warm-up, %d reps ==" %
        (DGRAM, window, warm, len(runs["ref"])))
    say("   flood: bench/out/ref flood -g: UDP GSO, 64 segments of 64 B per send, 8 sends per sendmmsg.")
    say("   A receiver without UDP_GRO gets every datagram on its own (the kernel splits them on the")
    say("   sender's CPU); one with UDP_GRO gets the 64-datagram sends whole. (Plain sendmmsg senders")
    say("   cannot overload a receiver on this machine: sending costs more CPU per datagram than")
    say("   receiving, and 2 vCPUs leave no room for more senders.)")
    say("   Every receive buffer is 64 MiB (udpcat: --buffer 67108864, its default being 256 MiB).")
    say("   The references are bare: no control messages, no sender addresses (ref_oa adds both;")
    say("   udpcat asks for neither here). Everyone writes to a regular file (ext4 page cache).")
    say("   rate = bytes the listener wrote to its output file during the window / 64 / window.")
    say("   drops = the listener socket's own kernel drop counter (/proc/net/udp) over the window;")
    say("   overloaded = it grew.")
    trs = []
    for rk, row in rows.items():
        if rk.endswith(OLD):
            continue
        old = rows.get(rk + OLD)
        if old is not None:
            row["new_over_old"] = ratio(row["rate"], old["rate"])
        if not row["installed"]:
            trs.append([rk, row["label"], "not installed"] + [""] * (6 + len(old_heads(ctx, ""))))
            continue
        trs.append([rk, row["label"], fmt_num(row["rate"], "/s"),
                    "%s..%s" % (fmt_num(row["rate_min"]), fmt_num(row["rate_max"])),
                    fmt_ratio(ratio(row["rate"], lim)), fmt_ratio(ratio(row["rate"], soc)),
                    fmt_num(row["drops"]), row["overloaded"], row["gro"] or "-"] +
                   (old_cols(ctx, row["rate"], old["rate"], fmt_num) if old is not None
                    else [""] * len(old_heads(ctx, ""))))
    say(table(["row", "listener", "written dgrams/s", "min..max", "x limit",
               "x socat", "drops/window", "overloaded", "GRO"] + old_heads(ctx, "dgrams/s"), trs))
    say("\n  commands (PORTFILE/PORT fresh per run; output to a file in %s, deleted after):" % ctx.work)
    for rk, row in rows.items():
        say("   %-13s %s" % (rk, row["cmd"] if row["installed"] else "not installed"))
    say("   %-13s %s" % ("flood", "bench/out/ref -t 30 flood -g -s 64 -d 2.3 127.0.0.1 PORT"))

    un, ud = rows["udpcat_nogro"]["rate"], rows["udpcat"]["rate"]
    nc = rows["nc"]["rate"]
    ts = [ctx.target(2, "listen >= 0.95 x recvmmsg+writev (both without GRO)",
                     ratio(un, lim), 0.95, (ratio(un, lim) or 0) >= 0.95,
                     "%s of the loop that also takes SO_RXQ_OVFL and addresses (ref_oa)"
                     % fmt_ratio(ratio(un, rows["ref_oa"]["rate"]))),
          ctx.target(2, "listen >= 2.5 x nc -u -l (udpcat without GRO)",
                     ratio(un, nc), 2.5, (ratio(un, nc) or 0) >= 2.5,
                     "default udpcat (GRO): %s" % fmt_ratio(ratio(ud, nc))
                     if ctx.nc else "nc not installed"),
          ctx.target(2, "listen >= 10 x socat (udpcat without GRO)",
                     ratio(un, soc), 10.0, (ratio(un, soc) or 0) >= 10.0,
                     "default udpcat (GRO): %s" % fmt_ratio(ratio(ud, soc))
                     if ctx.socat else "socat not installed"),
          ctx.target(2, "GSO sender + listen's GRO >= 5 x recvmmsg loop",
                     ratio(ud, lim), 5.0, (ratio(ud, lim) or 0) >= 5.0,
                     "GRO reference: %s of the recvmmsg loop; udpcat %s of it%s" % (
                         fmt_ratio(ratio(rows["ref_gro"]["rate"], lim)),
                         fmt_ratio(ratio(ud, rows["ref_gro"]["rate"])),
                         "" if rows["udpcat"]["gro"] == "on" else "; udpcat -v did not say 'GRO on'"))]
    for rk in rows:
        if rk.endswith(OLD):
            nk = rk[:-len(OLD)]
            ts.append(base_target(ctx, 2, nk, rows[nk]["rate"], rows[rk]["rate"],
                                  reps=with_pairs(runs[nk], runs[rk], more[nk], more[rk]) + ("rate",)))
    for rk in more:
        rows[rk]["pair_runs"] = more[rk]
    print_targets(ts)
    ctx.results["2_listener_capacity"] = {"window_s": window, "warmup_s": warm, "rows": rows,
                                          "cut_by_budget": budget.cut}


# ------------------------------------------------ 3. 64 MiB byte-exact

def scenario3(ctx, runs_per=10, sizes=(65507, 8192, 1472)):
    U = ctx.udpcat
    size = 64 << 20
    src = ctx.tmp("64MiB.bin")
    with open(src, "wb") as f:
        f.write(os.urandom(size))
    with open(src, "rb") as f:
        want = hashlib.sha256(f.read()).hexdigest()
    impls = [("new", U)] + ([("new" + OLD, ctx.base)] if ctx.base else [])
    cases = [(im, n) for n in sizes for im in impls]
    runs = {(im[0], n): [] for im, n in cases}
    budget = Budget(ctx.budget[3])
    for (impl, X), n in budget.runs(cases, runs_per, key=lambda c: (c[0][0], c[1])):
        count = -(-size // n)
        pf, out, lerr, serr = ctx.tmp("port"), ctx.tmp("out.bin"), ctx.tmp("l.err"), ctx.tmp("s.err")
        with open(out, "wb") as fo, open(lerr, "wb") as fe:
            lst = Proc([X, "listen", "-F", "none", "-n", str(count), "-w", "2",
                        "--stats", "--port-file", pf, HOST, "0"],
                       stdin=subprocess.DEVNULL, stdout=fo, stderr=fe, limit=30)
        port = wait_bound(lst, pf)
        if port is None:
            runs[impl, n].append({"error": "listener did not bind: " + tail(lerr)})
            continue
        s0 = snmp_udp()
        with open(src, "rb") as fin, open(serr, "wb") as fe:
            snd = Proc([X, "send", "-F", "chunk:%d" % n, HOST, str(port)],
                       stdin=fin, stdout=subprocess.DEVNULL, stderr=fe, limit=30)
            snd.wait()
        lst.wait(timeout=10)
        s1 = snmp_udp()
        secs = lst.t1 - snd.t0
        got = os.path.getsize(out)
        exact = False
        if got == size:
            h = hashlib.sha256()
            with open(out, "rb") as f:
                while True:
                    b = f.read(1 << 22)
                    if not b:
                        break
                    h.update(b)
            exact = h.hexdigest() == want
        os.unlink(out)
        m = re.search(r"(\d+) dropped", tail(lerr, 1))
        runs[impl, n].append({"secs": secs, "gbps": size / secs / 1e9, "bytes_out": got,
                        "exact": exact, "listen_rc": lst.rc, "send_rc": snd.rc,
                        "sock_drops": int(m.group(1)) if m else None,
                        "sys_rcvbuf_errors": snmp_delta(s0, s1),
                        "stderr": (tail(lerr, 1) + " " + tail(serr, 1)).strip()})
    os.unlink(src)
    res, res_old = {}, {}
    trs = []
    for impl, X in impls:
        for n in sizes:
            rs = [r for r in runs[impl, n] if "error" not in r]
            ex = [r for r in rs if r["exact"]]
            (res if impl == "new" else res_old)[n] = {
                "runs": runs[impl, n], "exact": len(ex), "total": len(runs[impl, n]),
                "gbps": med([r["gbps"] for r in ex]),
                "gbps_min": min([r["gbps"] for r in ex], default=None),
                "gbps_max": max([r["gbps"] for r in ex], default=None),
                "drops": sum(r["sock_drops"] or 0 for r in rs)}
    g3 = lambda x: "-" if x is None else "%.3f" % x
    for n in sizes:
        r = res[n]
        if n in res_old:
            r["new_over_old"] = ratio(r["gbps"], res_old[n]["gbps"])
        trs.append(["chunk:%d" % n, "%d" % -(-size // n), "%d/%d" % (r["exact"], r["total"]),
                    g3(r["gbps"]),
                    "-" if r["gbps_min"] is None else "%.3f..%.3f" % (r["gbps_min"], r["gbps_max"]),
                    "%d" % r["drops"]] +
                   (old_cols(ctx, r["gbps"], res_old[n]["gbps"], g3) +
                    ["%d/%d" % (res_old[n]["exact"], res_old[n]["total"])] if n in res_old else []))
    say("\n== 3. 64 MiB file, udpcat send -F chunk:N -> udpcat listen -F none -n COUNT, sha256 compared ==")
    say("   time = send start to listen exit (both processes' start-up included); GB/s = 1e9 B/s,")
    say("   median over the byte-exact runs.")
    say(table(["framing", "datagrams", "byte-exact", "GB/s", "min..max", "dropped (all runs, --stats)"]
              + old_heads(ctx, "GB/s") + (["old byte-exact"] if ctx.base else []), trs))
    say("\n  commands:")
    say("   ./udpcat listen -F none -n COUNT -w 2 --stats --port-file PORTFILE 127.0.0.1 0 > out.bin")
    say("   ./udpcat send -F chunk:N 127.0.0.1 PORT < 64MiB.bin      (started once PORTFILE exists)")
    best = [n for n in sizes if res[n]["exact"] == res[n]["total"] and res[n]["total"] > 0
            and (res[n]["gbps"] or 0) >= 1.0]
    bestv = max((res[n]["gbps"] or 0 for n in sizes if res[n]["exact"] == res[n]["total"]), default=None)
    ts = [ctx.target(3, "64 MiB byte-exact 10/10 at >= 1 GB/s (any N)", bestv, 1.0, bool(best),
                     "; ".join("chunk:%d %d/%d %s GB/s" % (n, res[n]["exact"], res[n]["total"],
                               "-" if res[n]["gbps"] is None else "%.2f" % res[n]["gbps"])
                               for n in sizes))]
    for n in res_old:
        ts.append(base_target(ctx, 3, "chunk:%d GB/s" % n, res[n]["gbps"], res_old[n]["gbps"],
                              fmt=lambda x: "-" if x is None else "%.3f GB/s" % x,
                              reps=(res[n]["runs"], res_old[n]["runs"], "gbps",
                                    lambda r: r.get("exact"))))
    print_targets(ts)
    ctx.results["3_file_64MiB"] = {"size": size, "sha256": want,
                                   "chunks": {str(n): res[n] for n in sizes},
                                   "chunks_old": {str(n): res_old[n] for n in res_old},
                                   "cut_by_budget": budget.cut}


# ------------------------------------------------ 4. echo round trip

def scenario4(ctx):
    U, R = ctx.udpcat, ctx.ref
    servers = [
        ("bare", "bare C echo (recvfrom/sendto)", [R, "-t", "60", "echo", "-P", "{PF}"]),
        ("udpcat", "udpcat listen --echo", [U, "listen", "--echo", "--port-file", "{PF}", HOST, "0"]),
    ]
    servers = with_baseline(ctx, servers)
    runs = {k: [] for k, _, _ in servers}
    budget = Budget(ctx.budget[4])
    for key, label, argv in budget.runs(servers, ctx.reps):
        pf, err, pout = ctx.tmp("port"), ctx.tmp("echo.err"), ctx.tmp("ping.out")
        with open(err, "wb") as fe:
            srv = Proc([a.replace("{PF}", pf) for a in argv], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=fe, limit=60)
        port = wait_bound(srv, pf)
        if port is None:
            runs[key].append({"error": "server did not bind: " + tail(err)})
            continue
        with open(pout, "wb") as fo:
            png = Proc([R, "-t", "30", "ping", "-n", str(ctx.pings), "-W", "1000",
                        "-s", "64", HOST, str(port)], stdout=fo,
                       stderr=subprocess.DEVNULL, limit=40)
            png.wait()
        srv.stop(signal.SIGTERM)
        r = last_json(pout) or {"error": "no ping result"}
        r["server_rc"] = srv.rc
        runs[key].append(r)
    res = {}
    for key, label, argv in servers:
        rs = [r for r in runs[key] if "error" not in r]
        res[key] = {"label": label, "runs": runs[key],
                    "cmd": disp(ctx, argv) + (" > /dev/null" if key.startswith("udpcat") else ""),
                    "median_us": med([r["median_us"] for r in rs]),
                    "p99_us": med([r["p99_us"] for r in rs]),
                    "p999_us": med([r["p999_us"] for r in rs]),
                    "min_us": med([r["min_us"] for r in rs]),
                    "lost": sum(r["lost"] + r["bad"] for r in rs)}
    b = res["bare"]
    say("\n== 4. echo round trip, %d sequential 64-byte pings per run (after 1000 warm-up), %d reps ==" %
        (ctx.pings, len(runs["bare"])))
    say(rtt_table(ctx, servers, res, "server"))
    say("\n  commands:")
    for key, label, argv in servers:
        say("   %-7s %s" % (key, res[key]["cmd"]))
    say("   %-7s bench/out/ref -t 30 ping -n %d -W 1000 -s 64 127.0.0.1 PORT" % ("client", ctx.pings))
    rv = ratio(res["udpcat"]["median_us"], b["median_us"])
    ts = [ctx.target(4, "echo median RTT <= 1.1 x bare C", rv, 1.1, rv is not None and rv <= 1.1,
                     "p99: %s" % fmt_ratio(ratio(res["udpcat"]["p99_us"], b["p99_us"])))]
    ts += rtt_base_targets(ctx, 4, res)
    print_targets(ts)
    ctx.results["4_echo_rtt"] = {"pings": ctx.pings, "servers": res, "cut_by_budget": budget.cut}


def rtt_table(ctx, rows, res, what):
    """The round-trip table of scenarios 4 and 6: against the "bare" row,
    and with a baseline, old median and p99 and new/old beside."""
    b = res["bare"]
    us = lambda x: "%.1f" % x if x else "-"
    trs = []
    for key, label, *_ in rows:
        if key.endswith(OLD):
            continue
        r, old = res[key], res.get(key + OLD)
        if old is not None:
            r["new_over_old_median"] = ratio(r["median_us"], old["median_us"])
            r["new_over_old_p99"] = ratio(r["p99_us"], old["p99_us"])
        base = (old_cols(ctx, r["median_us"], old["median_us"], us) +
                old_cols(ctx, r["p99_us"], old["p99_us"], us)) if old is not None else \
            [""] * (2 * len(old_heads(ctx, "")))
        trs.append([key, label, us(r["min_us"]), us(r["median_us"]), us(r["p99_us"]),
                    us(r["p999_us"]), fmt_ratio(ratio(r["median_us"], b["median_us"])),
                    fmt_ratio(ratio(r["p99_us"], b["p99_us"])), "%d" % r["lost"]] + base)
    return table(["row", what, "min us", "median us", "p99 us", "p99.9 us",
                  "median x bare", "p99 x bare", "lost+bad"] +
                 old_heads(ctx, "median") + old_heads(ctx, "p99"), trs)


def rtt_base_targets(ctx, scenario, res):
    ts = []
    for key in res:
        if key.endswith(OLD):
            new = key[:-len(OLD)]
            ts.append(base_target(ctx, scenario, new + " median RTT", res[new]["median_us"],
                                  res[key]["median_us"], higher_is_better=False,
                                  fmt=lambda x: "-" if x is None else "%.1f us" % x,
                                  reps=(res[new]["runs"], res[key]["runs"], "median_us")))
    return ts


# ------------------------------------------------ 5. memory

def scenario5(ctx, counts=(1000, 100000, 1000000)):
    res = {"listen": {}, "send": {}}
    budget = Budget(ctx.budget[5])
    old = {"listen": {}, "send": {}}
    memory_runs(ctx, ctx.udpcat, counts, res, budget)
    if ctx.base:
        memory_runs(ctx, ctx.base, counts, old, budget)
    memory_report(ctx, counts, res, old)


MEM_REPS = 3    # runs per count; the median is the figure


def mem_median(runs):
    """The run whose exact peak RSS is the median of runs, with every
    run's figure; identical runs differ by about 130 KiB, as much as the
    flat goal, so one run a count is not enough."""
    ok = sorted((r for r in runs if r.get("rss_kb") is not None), key=lambda r: r["rss_kb"])
    if not ok:
        return runs[-1]
    r = dict(ok[(len(ok) - 1) // 2])
    r["runs_kb"] = [x.get("rss_kb") for x in runs]
    return r


def rss_figures(rj):
    """What ref rss wrote to rj: the exact peak (rss_kb) and ru_maxrss."""
    rr = last_json(rj) or {}
    return {"rss_kb": rr.get("rss_exact_kb"), "maxrss_kb": rr.get("maxrss_kb"),
            "wrapper_maxrss_kb": rr.get("wrapper_maxrss_kb")}


def memory_listen(ctx, U, framing, per, n):
    """One listen -F FRAMING -n N under the flood, in ref rss."""
    R = ctx.ref
    pf, out, err = ctx.tmp("port"), ctx.tmp("rss.out"), ctx.tmp("rss.err")
    rj = ctx.tmp("rss.json")
    with open(out, "wb") as fo, open(err, "wb") as fe:
        lst = Proc([R, "rss", "-P", rj, "--", U, "listen", "-F", framing, "-n", str(n),
                    "--port-file", pf, HOST, "0"],
                   stdin=subprocess.DEVNULL, stdout=fo, stderr=fe, limit=40)
    port = wait_bound(lst, pf)
    if port is None:
        return {"error": tail(err)}
    fl = Proc([R, "-t", "40", "flood", "-g", "-s", str(DGRAM), "-d", "30", HOST, str(port)],
              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
              stderr=subprocess.DEVNULL, limit=40)
    lst.wait(timeout=35)
    fl.stop(signal.SIGTERM)
    got = os.path.getsize(out)
    os.unlink(out)
    return dict(rss_figures(rj), what="listen -F %s" % framing, count=n, rc=lst.rc,
                output="%d B %s" % (got, "ok" if got == n * per else "WRONG (want %d)" % (n * per)),
                secs=lst.t1 - lst.t0, stderr=tail(err, 2))


def memory_send(ctx, U, lines_file, n):
    """One send of N lines into a sink, in ref rss."""
    R = ctx.ref
    pf, serr, rj = ctx.tmp("port"), ctx.tmp("sink.err"), ctx.tmp("rss.json")
    with open(serr, "wb") as se:
        sink = Proc([R, "-t", "60", "sink", "-g", "-P", pf], stdout=subprocess.DEVNULL,
                    stderr=se, limit=60)
    port = wait_bound(sink, pf)
    with open(lines_file, "rb") as fin:
        snd = Proc([R, "rss", "-P", rj, "--", U, "send", HOST, str(port)], stdin=fin,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, limit=40)
        snd.wait()
    time.sleep(0.02)
    sink.stop()
    rep = last_json(serr) or {}
    return dict(rss_figures(rj), what="send (stdin lines)", count=n, rc=snd.rc,
                output="%s/%d received" % (rep.get("dgrams"), n), secs=snd.t1 - snd.t0)


def memory_runs(ctx, U, counts, res, budget):
    for framing, per in (("none", DGRAM), ("line", DGRAM + 1)):
        for n in counts:
            if budget.over():
                break
            runs = [memory_listen(ctx, U, framing, per, n) for _ in range(MEM_REPS)]
            res["listen"]["%s/%d" % (framing, n)] = mem_median(runs)
    for n in counts:
        if budget.over():
            break
        lines_file = gen_lines(ctx.tmp("rss-lines.txt"), n, False)
        runs = [memory_send(ctx, U, lines_file, n) for _ in range(MEM_REPS)]
        os.unlink(lines_file)
        res["send"]["line/%d" % n] = mem_median(runs)


def memory_report(ctx, counts, res, old):
    say("\n== 5. memory: peak RSS after 1,000, 100,000 and 1,000,000 datagrams ==")
    say("   peak RSS = the largest exact RSS (KiB) of udpcat read from /proc/PID/smaps_rollup once a")
    say("   millisecond by bench/out/ref rss (a ~1 MiB parent, so that the figure is udpcat's own and")
    say("   not that of a forked Python). wait4()'s ru_maxrss is shown beside it: the kernel counts it")
    say("   per CPU in batches of 32 pages, so it may be off by 128 KiB a CPU, as much as the flat goal.")
    say("   Each count is run %d times and the run with the median peak is shown (identical runs" % MEM_REPS)
    say("   differ by about 130 KiB); every run's figure is in results.json (runs_kb).")
    say("   flat = no growth with the count once udpcat's fixed buffers are in use:")
    say("   RSS(1M) <= RSS(100k) + 128 KiB, and RSS(1M) <= 8 MiB.")
    trs = []
    for group in ("listen", "send"):
        for k, r in res[group].items():
            o = old[group].get(k, {})
            if "error" in r:
                trs.append([k, "error", r["error"], "", ""] + [""] * len(old_heads(ctx, "")))
                continue
            trs.append(["%s, %d" % (r["what"], r["count"]), "%s" % r["rss_kb"],
                        "%s" % r["maxrss_kb"], "%s" % r["rc"], r["output"], "%.2f" % r["secs"]] +
                       old_cols(ctx, r["rss_kb"], o.get("rss_kb"),
                                lambda x: "-" if x is None else "%s" % x))
    say(table(["run", "peak RSS KiB", "ru_maxrss", "rc", "output", "secs"] +
              old_heads(ctx, "RSS KiB"), trs))
    say("\n  commands:")
    say("   bench/out/ref rss -P RSSFILE -- ./udpcat listen -F none|line -n N --port-file PORTFILE 127.0.0.1 0 > out")
    say("       (fed by bench/out/ref -t 40 flood -g -s 64 -d 30 127.0.0.1 PORT until it exits)")
    say("   bench/out/ref rss -P RSSFILE -- ./udpcat send 127.0.0.1 PORT < N-mixed-lines.txt   (into bench/out/ref sink -g)")
    ts = []
    for group, key, what in (("listen", "none", "listen -F none"), ("listen", "line", "listen -F line"),
                             ("send", "line", "send (stdin lines)")):
        a, m, b = (res[group].get("%s/%d" % (key, c), {}).get("rss_kb") for c in counts)
        ok = None not in (m, b) and b <= m + 128 and b <= 8192
        ts.append(ctx.target(5, "%s memory flat (1M vs 100k)" % what,
                             None if b is None or m is None else (b - m), "<= 128 KiB", ok,
                             "%s -> %s -> %s KiB after 1k/100k/1M" % (a, m, b)))
        if ctx.base:
            o = old[group].get("%s/%d" % (key, counts[-1]), {}).get("rss_kb")
            ts.append(base_target(ctx, 5, "%s peak RSS after %d" % (what, counts[-1]), b, o,
                                  higher_is_better=False))
    print_targets(ts)
    ctx.results["5_memory"] = res
    if ctx.base:
        ctx.results["5_memory_old"] = old


# ------------------------------------------------ 6. pipeline latency

def pipeline_cpu():
    """The one CPU the pipeline runs on: the last this process may use."""
    try:
        return max(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return 0


def proc_cost(pid):
    """(CPU ns, voluntary context switches) of a running process, or None."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            ns = int(f.read().split()[0])
        with open("/proc/%d/status" % pid) as f:
            cs = next(int(ln.split()[1]) for ln in f if ln.startswith("voluntary_ctxt"))
        return ns, cs
    except (OSError, ValueError, StopIteration, IndexError):
        return None


def run_pipeline(ctx, a, b, cpu, pings=None):
    """One run: the pinger binds P2, the pipeline a | b is started with a
    (the listener) on a fresh port P1 and b sending to P2; the pinger
    gets P1 from the port file and pings through it."""
    ts = ["taskset", "-c", str(cpu)]
    pings = pings or ctx.pings
    p1, p2, pout, aerr, berr = (ctx.tmp("p1"), ctx.tmp("p2"), ctx.tmp("pipe.out"),
                                ctx.tmp("a.err"), ctx.tmp("b.err"))
    with open(pout, "wb") as fo:
        png = Proc(ts + [ctx.ref, "-t", "40", "pipeping", "-n", str(pings), "-W", "1000",
                         "-s", "64", "-P", p2, HOST, p1], stdin=subprocess.DEVNULL, stdout=fo,
                   stderr=subprocess.DEVNULL, limit=45)
    port2 = wait_bound(png, p2)
    if port2 is None:
        return {"error": "pinger did not bind"}
    r, w = os.pipe()
    try:
        with open(aerr, "wb") as fa, open(berr, "wb") as fb:
            pa = Proc(ts + [x.replace("{PF}", p1) for x in a], stdin=subprocess.DEVNULL,
                      stdout=w, stderr=fa, limit=45)
            pb = Proc(ts + [x.replace("{P}", str(port2)) for x in b], stdin=r,
                      stdout=subprocess.DEVNULL, stderr=fb, limit=45)
    finally:
        os.close(r)
        os.close(w)
    png.wait(timeout=42)
    # What each side cost, per datagram (warm-up included).
    costs = [proc_cost(pa.pid), proc_cost(pb.pid)]
    pa.stop(signal.SIGTERM)
    pb.stop(signal.SIGTERM)
    res = last_json(pout) or {"error": "no ping result: " + tail(aerr) + " " + tail(berr)}
    res["rc"] = [pa.rc, pb.rc]
    n = pings + 1000
    if None not in costs and "error" not in res:
        res["cpu_us_per_dgram"] = [c[0] / n / 1000.0 for c in costs]
        res["wakeups_per_dgram"] = [c[1] / n for c in costs]
    return res


def scenario6(ctx):
    U, R = ctx.udpcat, ctx.ref
    cpu = pipeline_cpu()
    rows = [
        ("bare", "bare C: recv+write | read+send",
         [R, "-t", "45", "lineout", "-P", "{PF}"], [R, "-t", "45", "linein", HOST, "{P}"]),
        ("udpcat", "udpcat listen | udpcat send",
         [U, "listen", "--port-file", "{PF}", HOST, "0"], [U, "send", HOST, "{P}"]),
    ]
    if ctx.base:
        B = ctx.base
        rows.append(("udpcat" + OLD, "udpcat listen | udpcat send [old]",
                     [B, "listen", "--port-file", "{PF}", HOST, "0"], [B, "send", HOST, "{P}"]))
    runs = {k: [] for k, *_ in rows}
    budget = Budget(ctx.budget[6])
    # What else runs on that CPU comes and goes: many short runs,
    # interleaved, rather than a few long ones.
    reps, pings = 3 * ctx.reps, max(1000, ctx.pings // 4)
    for key, label, a, b in budget.runs(rows, reps):
        runs[key].append(run_pipeline(ctx, a, b, cpu, pings))
    res = {}
    for key, label, a, b in rows:
        rs = [r for r in runs[key] if "error" not in r]
        res[key] = {"label": label, "runs": runs[key],
                    "cmd": "taskset -c %d %s | taskset -c %d %s" % (cpu, disp(ctx, a), cpu,
                                                                   disp(ctx, b)),
                    "median_us": med([r["median_us"] for r in rs]),
                    "p99_us": med([r["p99_us"] for r in rs]),
                    "p999_us": med([r["p999_us"] for r in rs]),
                    "min_us": med([r["min_us"] for r in rs]),
                    "lost": sum(r["lost"] + r["bad"] for r in rs)}
        for i, side in enumerate(("listen", "send")):
            res[key][side + "_cpu_us"] = med([r["cpu_us_per_dgram"][i] for r in rs
                                              if "cpu_us_per_dgram" in r])
            res[key][side + "_wakeups"] = med([r["wakeups_per_dgram"][i] for r in rs
                                               if "wakeups_per_dgram" in r])
    say("\n== 6. pipeline latency: listen P1 | send 127.0.0.1 P2, %d sequential 64-byte pings per run"
        " (after 1000 warm-up), all on CPU %d, %d reps ==" % (pings, cpu, len(runs["bare"])))
    say("   the pinger sends each datagram to P1 and waits for it on its own socket P2; round trip")
    say("   = pinger -> listener -> pipe -> sender -> pinger. Medians over the reps of each run's")
    say("   median and p99.")
    say(rtt_table(ctx, rows, res, "pipeline"))
    pm = paired(runs["udpcat"], runs["bare"], "median_us")
    pp = paired(runs["udpcat"], runs["bare"], "p99_us")
    res["udpcat"]["paired_median_x_bare"] = pm
    res["udpcat"]["paired_p99_x_bare"] = pp
    say("\n  udpcat over the bare loops in the same rep, median over the reps (the targets'")
    say("  figures; the round trip moves between two levels for seconds at a time, and a")
    say("  rep's runs share its level): median %s, p99 %s" % (fmt_ratio(pm), fmt_ratio(pp)))
    say("\n  CPU time (us) and sleeps per datagram of each side (/proc/PID/schedstat and")
    say("  voluntary_ctxt_switches, warm-up included; medians over the reps):")
    f2 = lambda x: "-" if x is None else "%.2f" % x
    say(table(["row", "pipeline", "listen CPU us", "send CPU us", "listen sleeps", "send sleeps"],
              [[key, label, f2(res[key]["listen_cpu_us"]), f2(res[key]["send_cpu_us"]),
                f2(res[key]["listen_wakeups"]), f2(res[key]["send_wakeups"])]
               for key, label, *_ in rows]))
    say("\n  commands (PORTFILE: the listener's port; P2: the pinger's):")
    for key, *_ in rows:
        say("   %-10s %s" % (key, res[key]["cmd"]))
    say("   %-10s taskset -c %d bench/out/ref -t 40 pipeping -n %d -W 1000 -s 64 -P P2FILE 127.0.0.1 PORTFILE"
        % ("pinger", cpu, pings))
    b = res["bare"]
    rm = ratio(res["udpcat"]["median_us"], b["median_us"])
    rp = ratio(res["udpcat"]["p99_us"], b["p99_us"])
    ts = [ctx.target(6, "pipeline median RTT <= 1.05 x bare C pipeline", pm, 1.05,
                     pm is not None and pm <= 1.05,
                     "paired by rep; ratio of the medians: %s" % fmt_ratio(rm)),
          ctx.target(6, "pipeline p99 RTT <= 1.2 x bare C pipeline", pp, 1.2,
                     pp is not None and pp <= 1.2,
                     "paired by rep; ratio of the p99s: %s" % fmt_ratio(rp))]
    ts += rtt_base_targets(ctx, 6, res)
    print_targets(ts)
    ctx.results["6_pipeline_rtt"] = {"pings": pings, "cpu": cpu, "rows": res,
                                     "cut_by_budget": budget.cut}


# ------------------------------------------------ 7. relay

def subst(argv, **kw):
    """argv with {PF}, {P}, {S} ... replaced by the given values."""
    out = []
    for a in argv:
        for k, v in kw.items():
            a = a.replace("{%s}" % k, str(v))
        out.append(a)
    return out


def start_server(ctx, argv, name, stdout=subprocess.DEVNULL, limit=40, **kw):
    """Starts a server whose argv binds {PF} (a port file) or {P} (a port
    just found free); returns (Proc, port, stderr file) or (None, error,
    stderr file)."""
    pf, err = ctx.tmp("port"), ctx.tmp(name + ".err")
    by_file = any("{PF}" in a for a in argv)
    port = None if by_file else free_port()
    argv = subst(argv, PF=pf, P=port, **kw)
    with open(err, "wb") as fe:
        p = Proc(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=fe,
                 limit=limit, session=argv[0] == "socat" or argv[0].endswith("/socat"))
    port = wait_bound(p, pf if by_file else None, port)
    if port is None:
        p.stop(signal.SIGKILL)
        return None, "%s did not bind: %s" % (name, tail(err)), err
    return p, port, err


def relay_argv(ctx, key, U=None):
    """The relay of row key (udpcat, bare, socat_u, socat_fork, python);
    None when not installed.  SINKPORT is {S}."""
    U = U or ctx.udpcat
    return {
        "udpcat": [U, "relay", "--buffer", "67108864", "--port-file", "{PF}",
                   HOST, "0", HOST, "{S}"],
        "bare": [ctx.relay_ref, "-t", "40", "-P", "{PF}", HOST, "{S}"],
        "socat_u": ["socat", "-u", "UDP-RECV:{P},bind=%s" % HOST,
                    "UDP-SENDTO:%s:{S}" % HOST] if ctx.socat else None,
        "socat_fork": ["socat", "-T", "5", "UDP-LISTEN:{P},bind=%s,fork,reuseaddr" % HOST,
                       "UDP:%s:{S}" % HOST] if ctx.socat else None,
        "python": [sys.executable, os.path.join(HERE, "relay_asyncio.py"), "-t", "40",
                   "--port-file", "{PF}", HOST, "{S}"],
    }[key]


def group_cpu_ns(pid):
    """CPU ns used so far by the processes of process group pid (a
    Proc started with session=True: socat and its fork children), or by
    pid alone when it leads no group; None if unreadable."""
    total, found = 0, False
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            if int(d) != pid and int(st[st.rindex(")") + 2:].split()[2]) != pid:
                continue
            with open("/proc/%s/schedstat" % d) as f:
                total += int(f.read().split()[0])
            found = True
        except (OSError, ValueError, IndexError):
            continue
    return total if found else None


def run_relay(ctx, argv, gso, gro_sink, secs):
    """flood -> relay -> sink; the relay's rate is what the sink counted
    over its span (first to last datagram), as the relay is the slowest
    of the three and stays backlogged all along."""
    serr = ctx.tmp("sink.err")
    spf = ctx.tmp("port")
    with open(serr, "wb") as se:
        sink = Proc([ctx.ref, "-t", "40", "sink"] + (["-g"] if gro_sink else []) + ["-P", spf],
                    stdout=subprocess.DEVNULL, stderr=se, limit=40)
    sport = wait_bound(sink, spf)
    if sport is None:
        return {"error": "sink did not bind: " + tail(serr)}
    rel, rport, rerr = start_server(ctx, argv, "relay", S=sport)
    if rel is None:
        sink.stop(signal.SIGKILL)
        return {"error": rport}
    ferr = ctx.tmp("flood.err")
    s0, d0 = snmp_udp(), sock_drops(rport)
    with open(ferr, "wb") as fe:
        fl = Proc([ctx.ref, "-t", "30", "flood"] + (["-g"] if gso else []) +
                  ["-s", str(DGRAM), "-d", "%.2f" % secs, HOST, str(rport)],
                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=fe, limit=30)
        fl.wait()
    d1 = sock_drops(rport)
    time.sleep(0.2)         # what the relay still holds goes on meanwhile
    cpu = group_cpu_ns(rel.pid)
    alive = rel.alive()
    rel.stop(signal.SIGTERM, grace=3)
    sink.stop(signal.SIGTERM)
    s1 = snmp_udp()
    rep = last_json(serr) or {}
    fr = last_json(ferr) or {}
    d, span = rep.get("dgrams", 0), rep.get("span_s") or 0
    return {"dgrams": d, "span_s": span, "rate": d / span if span > 0 else None,
            "offered": fr.get("sent", 0) / (fr["ns"] / 1e9) if fr.get("ns") else None,
            "relay_drops": None if d0 is None or d1 is None else d1 - d0,
            "rcvbuf_errors": snmp_delta(s0, s1), "alive_at_end": alive,
            "cpu_ns": cpu, "cpu_ns_per_dgram": cpu / d if cpu and d else None,
            "stderr": tail(rerr, 2)}


def scenario7(ctx):
    budget = Budget(ctx.budget[7])
    tput = relay_throughput(ctx, Budget(ctx.budget[7] * 0.62))
    rtt = relay_rtt(ctx, Budget(max(5, budget.end - time.monotonic()) * 0.6))
    mem = relay_memory(ctx, budget)
    ctx.results["7_relay"] = {"throughput": tput, "rtt": rtt, "memory": mem}


def relay_throughput(ctx, budget):
    secs = 1.0
    rows = [
        # key, label, argv, GSO flood, GRO sink, group
        ("udpcat", "udpcat relay", relay_argv(ctx, "udpcat"), False, False, "sendmmsg"),
        ("bare", "bare C relay (recvmmsg/sendmmsg)", relay_argv(ctx, "bare"), False, False, "sendmmsg"),
        ("socat_u", "socat -u UDP-RECV UDP-SENDTO", relay_argv(ctx, "socat_u"), False, False, "sendmmsg"),
        ("socat_fork", "socat UDP-LISTEN,fork UDP", relay_argv(ctx, "socat_fork"), False, False, "sendmmsg"),
        ("python", "python asyncio relay", relay_argv(ctx, "python"), False, False, "sendmmsg"),
        ("udpcat_gso", "udpcat relay -> GRO sink", relay_argv(ctx, "udpcat"), True, True, "gso"),
        ("udpcat_gso_plain", "udpcat relay -> plain sink", relay_argv(ctx, "udpcat"), True, False, "gso"),
        ("bare_gso", "bare C relay -> GRO sink", relay_argv(ctx, "bare"), True, True, "gso"),
        ("socat_u_gso", "socat -u -> GRO sink", relay_argv(ctx, "socat_u"), True, True, "gso"),
    ]
    rows = with_baseline(ctx, rows)
    runs = {r[0]: [] for r in rows}
    active = [r for r in rows if r[2] is not None]
    for key, label, argv, gso, gro, group in budget.runs(active, ctx.reps):
        runs[key].append(run_relay(ctx, argv, gso, gro, secs))
    res = {}
    for key, label, argv, gso, gro, group in rows:
        rs = [r for r in runs[key] if "error" not in r and r["rate"]]
        res[key] = {"label": label, "group": group, "installed": argv is not None,
                    "cmd": None if argv is None else disp(ctx, argv),
                    "flood": "bench/out/ref -t 30 flood %s-s 64 -d %.2f 127.0.0.1 PORT" % (
                        "-g " if gso else "", secs),
                    "sink": "bench/out/ref -t 40 sink %s-P PORTFILE" % ("-g " if gro else ""),
                    "runs": runs[key],
                    "rate": med([r["rate"] for r in rs]),
                    "rate_min": min([r["rate"] for r in rs], default=None),
                    "rate_max": max([r["rate"] for r in rs], default=None),
                    "offered": med([r["offered"] for r in rs]),
                    "relay_drops": med([r["relay_drops"] for r in rs]),
                    "cpu_ns_per_dgram": med([r["cpu_ns_per_dgram"] for r in rs]),
                    "errors": [r["error"] for r in runs[key] if "error" in r]}
    say("\n== 7. relay: flood -> relay -> counting sink, 64-byte datagrams, %.1f s flood per run, %d reps ==" % (
        secs, len(runs["bare"])))
    say("   sendmmsg flood: bench/out/ref flood (64 datagrams per sendmmsg); GSO flood: flood -g (UDP_SEGMENT,")
    say("   64 segments of 64 B per send, 8 sends per sendmmsg). rate = datagrams the sink counted / the sink's")
    say("   span (first to last datagram): the relay is the slowest stage and stays backlogged. Receive")
    say("   buffers: 64 MiB for udpcat (--buffer) and the bare relay; socat and python keep the default.")
    say("   relay drops: the relay's listening socket's drop counter over the flood: 0 means the relay")
    say("   kept up and the rate is the whole chain's (flood, relay and sink share 2 vCPUs), which still")
    say("   ranks the relays by what each leaves to the others. relay CPU: the relay's own CPU time")
    say("   (/proc/PID/schedstat, socat's fork children included) per relayed datagram: the figure that")
    say("   other load on the machine disturbs least; 'x bare C' of it is bare/relay (higher is better).")
    for group in ("sendmmsg", "gso"):
        trs = []
        base = res["bare" if group == "sendmmsg" else "bare_gso"]["rate"]
        bcpu = res["bare" if group == "sendmmsg" else "bare_gso"]["cpu_ns_per_dgram"]
        soc = res["socat_u" if group == "sendmmsg" else "socat_u_gso"]["rate"]
        for key, label, argv, gso, gro, g in rows:
            r = res[key]
            if g != group or key.endswith(OLD):
                continue
            if not r["installed"]:
                trs.append([key, label, "not installed"] + [""] * (7 + len(old_heads(ctx, ""))))
                continue
            old = res.get(key + OLD)
            if old is not None:
                r["new_over_old"] = ratio(r["rate"], old["rate"])
            trs.append([key, label, fmt_num(r["rate"], "/s"),
                        "%s..%s" % (fmt_num(r["rate_min"]), fmt_num(r["rate_max"])),
                        fmt_ratio(ratio(r["rate"], base)), fmt_ratio(ratio(r["rate"], soc)),
                        fmt_num(r["offered"], "/s"), fmt_num(r["relay_drops"]),
                        "-" if r["cpu_ns_per_dgram"] is None else "%.0f" % r["cpu_ns_per_dgram"],
                        fmt_ratio(ratio(bcpu, r["cpu_ns_per_dgram"]))] +
                       (old_cols(ctx, r["rate"], old["rate"], fmt_num) if old is not None
                        else [""] * len(old_heads(ctx, ""))))
        say("\n  [%s flood]" % group)
        say(table(["row", "relay", "relayed dgrams/s", "min..max", "x bare C", "x socat -u",
                   "offered/s", "relay drops", "relay CPU ns/dgram", "x bare C (CPU)"] +
                  old_heads(ctx, "dgrams/s"), trs))
    say("\n  commands (PORTFILE/PORT: the relay's; SINKPORT: the sink's; fresh every run):")
    for key, *_ in rows:
        r = res[key]
        say("   %-18s %s" % (key, r["cmd"] if r["installed"] else "not installed"))
    say("   %-18s bench/out/ref -t 40 sink [-g] -P PORTFILE   (-g: the rows marked GRO sink)" % "sink")
    say("   %-18s bench/out/ref -t 30 flood [-g] -s 64 -d %.2f 127.0.0.1 PORT" % ("flood", secs))
    u, b = res["udpcat"]["rate"], res["bare"]["rate"]
    ug, ugp, bg, sg = (res[k]["rate"] for k in ("udpcat_gso", "udpcat_gso_plain", "bare_gso",
                                                 "socat_u_gso"))
    ts = [ctx.target(7, "relay, sendmmsg flood >= 1.0 x bare C relay", ratio(u, b), 1.0,
                     (ratio(u, b) or 0) >= 1.0,
                     "CPU per datagram bare/udpcat %s; x socat -u %s, x socat fork %s, x python %s" % (
                         fmt_ratio(ratio(res["bare"]["cpu_ns_per_dgram"],
                                         res["udpcat"]["cpu_ns_per_dgram"])),
                         fmt_ratio(ratio(u, res["socat_u"]["rate"])),
                         fmt_ratio(ratio(u, res["socat_fork"]["rate"])),
                         fmt_ratio(ratio(u, res["python"]["rate"])))),
          ctx.target(7, "relay, GSO flood >= 3 x bare C relay [GRO sink]", ratio(ug, bg), 3.0,
                     (ratio(ug, bg) or 0) >= 3.0,
                     "into a plain sink: %s; CPU per datagram bare/udpcat %s" % (
                         fmt_ratio(ratio(ugp, bg)),
                         fmt_ratio(ratio(res["bare_gso"]["cpu_ns_per_dgram"],
                                         res["udpcat_gso"]["cpu_ns_per_dgram"])))),
          ctx.target(7, "relay, GSO flood >= 10 x socat -u [GRO sink]", ratio(ug, sg), 10.0,
                     (ratio(ug, sg) or 0) >= 10.0,
                     "into a plain sink: %s" % fmt_ratio(ratio(ugp, sg))
                     if ctx.socat else "socat not installed")]
    for key in res:
        if key.endswith(OLD):
            new = res[key[:-len(OLD)]]
            ts.append(base_target(ctx, 7, key[:-len(OLD)], new["rate"], res[key]["rate"],
                                  reps=(new["runs"], res[key]["runs"], "rate",
                                        lambda r: "error" not in r and r["rate"])))
    print_targets(ts)
    return {"flood_s": secs, "rows": res, "cut_by_budget": budget.cut}


def relay_rtt(ctx, budget):
    """ping -> relay -> echo server, against the same without a relay."""
    R = ctx.ref
    rows = [("direct", "no relay (ping -> echo)", None),
            ("bare", "bare C relay", relay_argv(ctx, "bare")),
            ("udpcat", "udpcat relay", relay_argv(ctx, "udpcat"))]
    rows = with_baseline(ctx, rows)
    runs = {k: [] for k, *_ in rows}
    pings = max(1000, ctx.pings // 2)
    for key, label, argv in budget.runs(rows, ctx.reps):
        echo, eport, _ = start_server(ctx, [R, "-t", "40", "echo", "-P", "{PF}"], "echo")
        if echo is None:
            runs[key].append({"error": eport})
            continue
        rel, port = None, eport
        if argv is not None:
            rel, port, _ = start_server(ctx, argv, "relay", S=eport)
            if rel is None:
                echo.stop()
                runs[key].append({"error": port})
                continue
        pout = ctx.tmp("ping.out")
        with open(pout, "wb") as fo:
            Proc([R, "-t", "30", "ping", "-n", str(pings), "-W", "1000", "-s", "64",
                  HOST, str(port)], stdout=fo, stderr=subprocess.DEVNULL, limit=40).wait()
        if rel is not None:
            rel.stop()
        echo.stop()
        runs[key].append(last_json(pout) or {"error": "no ping result"})
    res = {}
    for key, label, argv in rows:
        rs = [r for r in runs[key] if "error" not in r]
        res[key] = {"label": label, "runs": runs[key],
                    "cmd": "-" if argv is None else disp(ctx, argv),
                    "median_us": med([r["median_us"] for r in rs]),
                    "p99_us": med([r["p99_us"] for r in rs]),
                    "p999_us": med([r["p999_us"] for r in rs]),
                    "min_us": med([r["min_us"] for r in rs]),
                    "lost": sum(r["lost"] + r["bad"] for r in rs)}
    say("\n  [round trip] ping -> relay -> bare C echo server, %d sequential 64-byte pings per run"
        " (after 1000 warm-up), %d reps" % (pings, len(runs["bare"])))
    say(rtt_table(ctx, rows, res, "path"))
    say("\n  commands: echo server bench/out/ref -t 40 echo -P PORTFILE (its port is SINKPORT below);"
        " client bench/out/ref -t 30 ping -n %d -W 1000 -s 64 127.0.0.1 PORT" % pings)
    for key, label, argv in rows:
        say("   %-10s %s" % (key, res[key]["cmd"]))
    rm = ratio(res["udpcat"]["median_us"], res["bare"]["median_us"])
    rp = ratio(res["udpcat"]["p99_us"], res["bare"]["p99_us"])
    ts = [ctx.target(7, "relay round trip median <= 1.05 x bare C relay", rm, 1.05,
                     rm is not None and rm <= 1.05),
          ctx.target(7, "relay round trip p99 <= 1.3 x bare C relay", rp, 1.3,
                     rp is not None and rp <= 1.3)]
    ts += rtt_base_targets(ctx, 7, res)
    print_targets(ts)
    return {"pings": pings, "rows": res, "cut_by_budget": budget.cut}


def relay_memory_run(ctx, U, n):
    """One udpcat relay -n N under the GSO flood, into a sink, in ref rss."""
    R = ctx.ref
    sink, sport, _ = start_server(ctx, [R, "-t", "40", "sink", "-g", "-P", "{PF}"], "sink")
    if sink is None:
        return {"error": sport}
    rj = ctx.tmp("rss.json")
    rel, rport, rerr = start_server(
        ctx, [R, "rss", "-P", rj, "--", U, "relay", "-n", str(n), "--port-file", "{PF}",
              HOST, "0", HOST, "{S}"], "relay", S=sport)
    if rel is None:
        sink.stop()
        return {"error": rport}
    fl = Proc([R, "-t", "40", "flood", "-g", "-s", str(DGRAM), "-d", "30", HOST, str(rport)],
              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
              stderr=subprocess.DEVNULL, limit=40)
    rel.wait(timeout=30)
    fl.stop()
    sink.stop()
    return dict(rss_figures(rj), count=n, rc=rel.rc, secs=rel.t1 - rel.t0,
                stderr=tail(rerr, 2))


def relay_memory(ctx, budget, counts=(1000, 100000, 1000000)):
    """Peak RSS of udpcat relay -n N under the GSO flood, into a sink:
    the run with the median of MEM_REPS, as in scenario 5."""
    impls = [("new", ctx.udpcat)] + ([("old", ctx.base)] if ctx.base else [])
    res = {}
    for impl, U in impls:
        for n in counts:
            if budget.hard():
                break
            res["%s/%d" % (impl, n)] = mem_median([relay_memory_run(ctx, U, n)
                                                   for _ in range(MEM_REPS)])
    say("\n  [memory] peak RSS (KiB, exact, from smaps_rollup via bench/out/ref rss) of udpcat relay"
        " -n N under the GSO flood")
    kb = lambda k: res.get(k, {}).get("rss_kb")
    trs = [[impl] + ["%s" % kb("%s/%d" % (impl, n)) for n in counts] +
           ["%s" % res.get("%s/%d" % (impl, counts[-1]), {}).get("rc")] for impl, _ in impls]
    say(table(["binary"] + ["after %d" % n for n in counts] + ["rc (1M)"], trs))
    say("   bench/out/ref rss -P RSSFILE -- ./udpcat relay -n N --port-file PORTFILE 127.0.0.1 0 127.0.0.1 SINKPORT")
    say("       (fed by bench/out/ref -t 40 flood -g -s 64 -d 30 127.0.0.1 PORT until it exits;"
        " sink: bench/out/ref sink -g)")
    # As scenario 5: no growth once the buffers are in use, which under
    # a flood of 64-byte datagrams the first 1,000 do not yet fill.
    a, m, b = (kb("new/%d" % n) for n in counts)
    ok = None not in (m, b) and b <= m + 128
    ts = [ctx.target(7, "relay memory flat (1M vs 100k datagrams)",
                     None if None in (m, b) else b - m, "<= 128 KiB", ok,
                     "%s -> %s -> %s KiB after 1k/100k/1M" % (a, m, b))]
    if ctx.base:
        ts.append(base_target(ctx, 7, "relay peak RSS after %d" % counts[-1], b,
                              kb("old/%d" % counts[-1]), higher_is_better=False))
    print_targets(ts)
    return {"counts": list(counts), "rows": res, "cut_by_budget": budget.cut}


# ------------------------------------------------ 8. ping

PING_SUMMARY = re.compile(r"(\d+) sent, (\d+) received.*?rtt min/avg/max/mdev/p50/p99 = "
                          r"([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms", re.S)


def ping_result(key, path):
    """A ping run's figures: ping_ref's JSON, or udpcat ping's summary."""
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        text = ""
    if not key.startswith("udpcat"):
        r = last_json(path)
        return r if r else {"error": "no result: " + text[-200:]}
    m = PING_SUMMARY.search(text)
    if m is None:
        return {"error": "no summary: " + text[-200:]}
    v = [float(x) for x in m.groups()]
    return {"pings": int(v[1]), "lost": int(v[0] - v[1]), "bad": 0,
            "min_us": v[2] * 1e3, "mean_us": v[3] * 1e3, "max_us": v[4] * 1e3,
            "median_us": v[6] * 1e3, "p99_us": v[7] * 1e3}


def scenario8(ctx):
    R, PR = ctx.ref, ctx.ping_ref
    n = ctx.pings
    rows = [
        ("bare_k", "ping_ref -k (kernel arrival stamp)",
         [PR, "-k", "-t", "30", "-n", str(n), HOST, "{P}"]),
        ("bare", "ping_ref (clock after recv returns)",
         [PR, "-t", "30", "-n", str(n), HOST, "{P}"]),
        ("udpcat", "udpcat ping -i 0", [ctx.udpcat, "ping", "-q", "-i", "0", "-c", str(n),
                                        HOST, "{P}"]),
    ]
    rows = with_baseline(ctx, rows)
    runs = {k: [] for k, *_ in rows}
    budget = Budget(ctx.budget[8])
    for key, label, argv in budget.runs(rows, ctx.reps):
        echo, port, _ = start_server(ctx, [R, "-t", "40", "echo", "-P", "{PF}"], "echo")
        if echo is None:
            runs[key].append({"error": port})
            continue
        out = ctx.tmp("ping.out")
        with open(out, "wb") as fo:
            p = Proc(subst(argv, P=port), stdin=subprocess.DEVNULL, stdout=fo,
                     stderr=subprocess.STDOUT, limit=40)
            p.wait()
        echo.stop()
        r = ping_result(key, out)
        r["wall_s"] = p.t1 - p.t0
        r["rc"] = p.rc
        runs[key].append(r)
    res = {}
    for key, label, argv in rows:
        rs = [r for r in runs[key] if "error" not in r]
        res[key] = {"label": label, "cmd": disp(ctx, argv), "runs": runs[key],
                    "median_us": med([r["median_us"] for r in rs]),
                    "p99_us": med([r["p99_us"] for r in rs]),
                    "min_us": med([r["min_us"] for r in rs]),
                    "wall_s": med([r["wall_s"] for r in rs]),
                    "lost": sum(r["lost"] + r.get("bad", 0) for r in rs),
                    "errors": [r["error"] for r in runs[key] if "error" in r]}
    b = res["bare_k"]
    us = lambda x: "-" if x is None else "%.1f" % x
    trs = []
    for key, label, argv in rows:
        if key.endswith(OLD):
            continue
        r, old = res[key], res.get(key + OLD)
        if old is not None:
            r["new_over_old_median"] = ratio(r["median_us"], old["median_us"])
            r["new_over_old_wall"] = ratio(r["wall_s"], old["wall_s"])
        trs.append([key, label, us(r["min_us"]), us(r["median_us"]), us(r["p99_us"]),
                    fmt_ratio(ratio(r["median_us"], b["median_us"])),
                    "-" if r["wall_s"] is None else "%.3f" % r["wall_s"],
                    fmt_ratio(ratio(r["wall_s"], b["wall_s"])), "%d" % r["lost"]] +
                   (old_cols(ctx, r["median_us"], old["median_us"], us) +
                    old_cols(ctx, r["wall_s"], old["wall_s"], lambda x: "-" if x is None else "%.3f" % x)
                    if old is not None else [""] * (2 * len(old_heads(ctx, "")))))
    say("\n== 8. ping: %d probes of 64 bytes, one at a time, to the bare C echo server, %d reps ==" % (
        n, len(runs["bare_k"])))
    say("   udpcat ping times a reply from the kernel's arrival stamp (SO_TIMESTAMPNS), as ping_ref -k")
    say("   does; ping_ref without -k reads the clock when recv() returns (wakeup included).")
    say("   udpcat's p50 comes from its summary line, printed in ms with 3 decimals: 1 us steps,")
    say("   so at ~10 us a step is ~10%; the wall-time ratio has no such step.")
    say("   wall = process start to exit (start-up and the whole loop).")
    say(table(["row", "client", "min us", "median us", "p99 us", "median x -k", "wall s",
               "wall x -k", "lost"] + old_heads(ctx, "median") + old_heads(ctx, "wall"), trs))
    say("\n  commands (PORT: bench/out/ref -t 40 echo -P PORTFILE, fresh every run):")
    for key, label, argv in rows:
        say("   %-12s %s" % (key, res[key]["cmd"]))
    u = res["udpcat"]
    rm, rw = ratio(u["median_us"], b["median_us"]), ratio(u["wall_s"], b["wall_s"])
    ts = [ctx.target(8, "ping median RTT <= 1.05 x bare C ping (-k)", rm, 1.05,
                     rm is not None and rm <= 1.05,
                     "x ping_ref without -k: %s; udpcat's p50 has 1 us steps"
                     % fmt_ratio(ratio(u["median_us"], res["bare"]["median_us"]))),
          ctx.target(8, "ping wall time <= 1.1 x bare C ping (-k)", rw, 1.1,
                     rw is not None and rw <= 1.1,
                     "x ping_ref without -k: %s" % fmt_ratio(ratio(u["wall_s"], res["bare"]["wall_s"])))]
    if ctx.base:
        old = res["udpcat" + OLD]
        ts.append(base_target(ctx, 8, "udpcat ping median RTT", u["median_us"], old["median_us"],
                              higher_is_better=False, reps=(u["runs"], old["runs"], "median_us"),
                              fmt=lambda x: "-" if x is None else "%.1f us" % x))
        ts.append(base_target(ctx, 8, "udpcat ping wall time", u["wall_s"], old["wall_s"],
                              higher_is_better=False, reps=(u["runs"], old["runs"], "wall_s"),
                              fmt=lambda x: "-" if x is None else "%.3f s" % x))
    print_targets(ts)
    ctx.results["8_ping"] = {"pings": n, "rows": res, "cut_by_budget": budget.cut}


# ------------------------------------------------ 9. exec

def has_option(binary, command, option):
    """Whether `binary command --help` lists option."""
    try:
        r = subprocess.run([binary, command, "--help"], capture_output=True, timeout=5,
                           preexec_fn=_child_setup)
        return option in (r.stdout + r.stderr).decode(errors="replace")
    except (OSError, subprocess.TimeoutExpired):
        return False


def scenario9(ctx):
    XR = ctx.exec_ref
    secs = 1.5
    servers = [
        ("bare", "bare C: posix_spawnp cat, pipes", [XR, "-t", "40", "-P", "{PF}", "cat"]),
        ("bare_sh", "bare C: /bin/sh -c cat", [XR, "-t", "40", "-P", "{PF}", "-s", "cat"]),
        ("udpcat", "udpcat listen --exec cat", [ctx.udpcat, "listen", "--exec", "cat",
                                                "--port-file", "{PF}", HOST, "0"]),
        ("socat", "socat UDP-RECVFROM,fork EXEC:cat",
         ["socat", "UDP-RECVFROM:{P},bind=%s,fork" % HOST, "EXEC:cat"] if ctx.socat else None),
    ]
    servers = with_baseline(ctx, servers)
    skipped = {}
    for key, label, argv in servers:
        if argv is not None and argv[0] in (ctx.udpcat, ctx.base) and \
                not has_option(argv[0], "listen", "--exec"):
            skipped[key] = ("`%s listen --help` has no --exec: this build lacks the option"
                            " (SPEC 'v2: listen --exec'), so the row is skipped" %
                            ("./udpcat" if argv[0] == ctx.udpcat else "BASELINE"))
    cases = [(s, j) for s in servers if s[2] is not None and s[0] not in skipped for j in (1, 8)]
    runs = {(s[0], j): [] for s in servers for j in (1, 8)}
    budget = Budget(ctx.budget[9])
    for (key, label, argv), j in budget.runs(cases, ctx.reps, key=lambda c: (c[0][0], c[1])):
        srv, port, err = start_server(ctx, argv, "exec")
        if srv is None:
            runs[key, j].append({"error": port})
            continue
        out = ctx.tmp("reqs.out")
        with open(out, "wb") as fo:
            Proc([ctx.ref, "-t", "30", "reqs", "-j", str(j), "-d", "%.2f" % secs, "-s", "64",
                  HOST, str(port)], stdout=fo, stderr=subprocess.DEVNULL, limit=40).wait()
        alive = srv.alive()
        srv.stop()
        r = last_json(out) or {"error": "no client result; server: " + tail(err)}
        r["server_alive_at_end"] = alive
        runs[key, j].append(r)
    res = {}
    for key, label, argv in servers:
        res[key] = {"label": label, "installed": argv is not None, "skipped": skipped.get(key),
                    "cmd": None if argv is None else disp(ctx, argv)}
        for j in (1, 8):
            rs = [r for r in runs[key, j] if "error" not in r]
            res[key]["inflight_%d" % j] = {
                "runs": runs[key, j], "rate": med([r["rate"] for r in rs]),
                "rate_min": min([r["rate"] for r in rs], default=None),
                "rate_max": max([r["rate"] for r in rs], default=None),
                "median_us": med([r["median_us"] for r in rs]),
                "lost": sum(r["lost"] for r in rs),
                "errors": [r["error"] for r in runs[key, j] if "error" in r]}
    nrep = max(len(v) for v in runs.values())
    say("\n== 9. exec: a request (64 bytes) runs cat, whose output is the reply; %.1f s per run, %d reps ==" % (
        secs, nrep))
    say("   client: bench/out/ref reqs: one request at a time (send, wait for the reply), or 8 in")
    say("   flight (each reply answered by the next request); answered requests per second.")
    say("   The bare C server runs up to 16 commands at once, as udpcat's --jobs default.")
    trs = []
    for key, label, argv in servers:
        if key.endswith(OLD):
            continue
        r = res[key]
        if not r["installed"] or r["skipped"]:
            trs.append([key, label, "not installed" if not r["installed"] else "skipped"] +
                       [""] * (7 + len(old_heads(ctx, ""))))
            continue
        a, e = r["inflight_1"], r["inflight_8"]
        b1, b8 = res["bare"]["inflight_1"]["rate"], res["bare"]["inflight_8"]["rate"]
        old = res.get(key + OLD)
        oc = [""] * len(old_heads(ctx, ""))
        if old is not None and not old["skipped"]:
            r["new_over_old"] = ratio(a["rate"], old["inflight_1"]["rate"])
            oc = old_cols(ctx, a["rate"], old["inflight_1"]["rate"], fmt_num)
        trs.append([key, label, fmt_num(a["rate"], "/s"),
                    "%s..%s" % (fmt_num(a["rate_min"]), fmt_num(a["rate_max"])),
                    fmt_ratio(ratio(a["rate"], b1)),
                    "-" if a["median_us"] is None else "%.0f" % a["median_us"],
                    fmt_num(e["rate"], "/s"), fmt_ratio(ratio(e["rate"], b8)),
                    "-" if e["median_us"] is None else "%.0f" % e["median_us"],
                    "%d/%d" % (a["lost"], e["lost"])] + oc)
    say(table(["row", "server", "1 at a time /s", "min..max", "x bare C", "latency us",
               "8 in flight /s", "x bare C", "latency us", "lost"] + old_heads(ctx, "1-at-a-time"), trs))
    for key, why in skipped.items():
        say("   %s: %s" % (key, why))
    say("\n  commands (PORTFILE/PORT fresh every run):")
    for key, label, argv in servers:
        r = res[key]
        say("   %-10s %s" % (key, r["cmd"] if r["installed"] else "not installed"))
    say("   %-10s bench/out/ref -t 30 reqs -j 1|8 -d %.2f -s 64 127.0.0.1 PORT" % ("client", secs))
    ts = []
    u, b, s = res["udpcat"], res["bare"], res["socat"]
    for j in (1, 8):
        uj, bj, sj = (x["inflight_%d" % j]["rate"] for x in (u, b, s))
        note = u["skipped"] or "x bare C through /bin/sh -c: %s" % fmt_ratio(
            ratio(uj, res["bare_sh"]["inflight_%d" % j]["rate"]))
        ts.append(ctx.target(9, "exec, %s >= 0.9 x bare C server" % (
            "one at a time" if j == 1 else "8 in flight"), ratio(uj, bj), 0.9,
            (ratio(uj, bj) or 0) >= 0.9, note))
        ts.append(ctx.target(9, "exec, %s >= 1.5 x socat" % (
            "one at a time" if j == 1 else "8 in flight"), ratio(uj, sj), 1.5,
            (ratio(uj, sj) or 0) >= 1.5,
            u["skipped"] or ("" if ctx.socat else "socat not installed")))
    if ctx.base:
        old = res["udpcat" + OLD]
        for j in (1, 8):
            if not old["skipped"] and not u["skipped"]:
                uj, oj = u["inflight_%d" % j], old["inflight_%d" % j]
                ts.append(base_target(ctx, 9, "exec %d in flight" % j, uj["rate"], oj["rate"],
                                      reps=(uj["runs"], oj["runs"], "rate")))
    print_targets(ts)
    ctx.results["9_exec"] = {"secs": secs, "rows": res, "cut_by_budget": budget.cut}


# ------------------------------------------------ 10. capture

CAPTURE_N = 1000000


def gen_capture(n):
    """bench/out/capture-N.pcap (classic pcap, link type raw IP, IPv4+UDP
    headers) and capture-N.len (2-byte big-endian length, then the
    payload) of the same n 64-byte payloads; made once, then reused."""
    import struct
    pcap = os.path.join(OUTDIR, "capture-%d.pcap" % n)
    lenf = os.path.join(OUTDIR, "capture-%d.len" % n)
    ip_len = 20 + 8 + DGRAM
    if os.path.exists(pcap) and os.path.getsize(pcap) == 24 + n * (16 + ip_len) and \
            os.path.exists(lenf) and os.path.getsize(lenf) == n * (2 + DGRAM):
        return pcap, lenf, False
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, 0, 0x4000, 64, 17, 0,
                               bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])))
    c = sum(struct.unpack("!10H", ip))
    c = (c & 0xffff) + (c >> 16)
    c = (c & 0xffff) + (c >> 16)
    struct.pack_into("!H", ip, 10, ~c & 0xffff)
    udp = struct.pack("!HHHH", 40000, 9, 8 + DGRAM, 0)     # checksum 0: none (IPv4)
    filler = (b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-" * 2)[:DGRAM - 10]
    rec = bytearray(struct.pack("<IIII", 0, 0, ip_len, ip_len) + ip + udp + b"%010d" % 0 + filler)
    pay = 16 + 28
    tmp_p, tmp_l = pcap + ".tmp", lenf + ".tmp"
    with open(tmp_p, "wb") as fp, open(tmp_l, "wb") as fl:
        fp.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
        bp, bl = bytearray(), bytearray()
        lhdr = struct.pack("!H", DGRAM)
        for i in range(n):
            t = 1700000000 * 1000000 + i            # 1 us apart
            struct.pack_into("<II", rec, 0, t // 1000000, t % 1000000)
            rec[pay:pay + 10] = b"%010d" % i
            bp += rec
            bl += lhdr
            bl += rec[pay:]
            if len(bp) > (1 << 22):
                fp.write(bp)
                fl.write(bl)
                bp, bl = bytearray(), bytearray()
        fp.write(bp)
        fl.write(bl)
    os.rename(tmp_p, pcap)
    os.rename(tmp_l, lenf)
    return pcap, lenf, True


def scenario10(ctx):
    budget = Budget(ctx.budget[10])
    t = time.monotonic()
    pcap, lenf, made = gen_capture(CAPTURE_N)
    gen_s = time.monotonic() - t
    U = ctx.udpcat
    rows = [
        # key, label, argv, input, GRO sink
        ("pcap", "udpcat send -F pcap", [U, "send", "-F", "pcap", HOST, "{P}"], pcap, True),
        ("length", "udpcat send -F length", [U, "send", "-F", "length", HOST, "{P}"], lenf, True),
    ]
    rows = with_baseline(ctx, rows)
    L = [U, "listen", "--buffer", "67108864", "--port-file", "{PF}"]
    rxs = [
        # key, label, argv, bytes per record
        ("l_pcap", "udpcat listen -F pcap", L + ["-F", "pcap", HOST, "0"], 16 + 28 + DGRAM),
        ("l_length", "udpcat listen -F length", L + ["-F", "length", HOST, "0"], 2 + DGRAM),
        ("l_none", "udpcat listen -F none", L + ["-F", "none", HOST, "0"], DGRAM),
    ]
    rxs = with_baseline(ctx, rxs)
    runs = {r[0]: [] for r in rows + rxs}
    cases = [("send", r) for r in rows] + [("listen", r) for r in rxs]
    def run(case):
        kind, r = case
        if kind == "send":
            return run_sender(ctx, r[2], r[3], r[4])
        return run_listener(ctx, {"argv": r[2], "port_file": True}, 1.0, 0.3, per=r[3])
    key = lambda case: case[1][0]
    for case in budget.runs(cases, ctx.reps, key):
        runs[key(case)].append(run(case))
    more = more_pairs(ctx, 10, cases, run, key)
    res = {}
    for key, label, argv, *_ in rows + rxs:
        rs = [r for r in runs[key] if "error" not in r]
        res[key] = {"label": label, "cmd": disp(ctx, argv), "runs": runs[key],
                    "rate": med([r["rate"] for r in rs]),
                    "rate_min": min([r["rate"] for r in rs], default=None),
                    "rate_max": max([r["rate"] for r in rs], default=None),
                    "dgrams": med([r.get("dgrams") for r in rs]),
                    "bad_rc": sum(1 for r in rs if r.get("rc") not in (0, None)),
                    "errors": [r["error"] for r in runs[key] if "error" in r]}
    say("\n== 10. capture: pcap against length framing, %d reps ==" % len(runs["pcap"]))
    say("   send: %d 64-byte datagrams from bench/out/capture-%d.pcap (classic pcap, raw IP link type," % (
        CAPTURE_N, CAPTURE_N))
    say("   IPv4+UDP headers) or .len (2-byte length + payload), the same payloads; rate = datagrams")
    say("   the sink counted / sender wall time; the sink has UDP_GRO on, so that it is never the limit")
    say("   (a plain sink takes ~250k/s here: it would measure itself).")
    say("   %s (%.1f s)." % ("made the two files now" if made else "the two files were already there", gen_s))
    say("   listen: under the GSO flood of scenario 2 (1.0 s window after 0.3 s); rate = bytes written in")
    say("   the window / bytes per record (pcap 108, length 66, none 64).")
    per = {key: rest[0] for key, label, argv, *rest in rxs}
    mbs = lambda key: None if res[key]["rate"] is None else res[key]["rate"] * per[key] / 1e6
    trs = []
    for key, label, argv, *rest in rows + rxs:
        if key.endswith(OLD):
            continue
        r, old = res[key], res.get(key + OLD)
        if old is not None:
            r["new_over_old"] = ratio(r["rate"], old["rate"])
        ref = res[{"pcap": "length", "l_pcap": "l_length",
                   "l_none": "l_length"}.get(key, key)]["rate"]
        trs.append([key, label, fmt_num(r["rate"], "/s"),
                    "%s..%s" % (fmt_num(r["rate_min"]), fmt_num(r["rate_max"])),
                    fmt_ratio(ratio(r["rate"], ref)),
                    "-" if key.startswith("l_") or r["dgrams"] is None else "%d/%d" % (r["dgrams"], CAPTURE_N),
                    "-" if key.startswith("l_") else "%d" % r["bad_rc"],
                    "%.0f" % mbs(key) if key in per and mbs(key) is not None else "-"] +
                   (old_cols(ctx, r["rate"], old["rate"], fmt_num) if old is not None
                    else [""] * len(old_heads(ctx, ""))))
    say(table(["row", "what", "dgrams/s", "min..max", "x length", "received", "rc!=0", "MB/s out"] +
              old_heads(ctx, "dgrams/s"), trs))
    say("\n  commands (PORT: the sink's, PORTFILE: the listener's; fresh every run):")
    for key, label, argv, *rest in rows:
        say("   %-14s %s < bench/out/%s" % (key, res[key]["cmd"], os.path.basename(rest[0])))
    say("   %-14s bench/out/ref -t 60 sink -g -P PORTFILE" % "sink")
    for key, label, argv, *rest in rxs:
        say("   %-14s %s > out.bin" % (key, res[key]["cmd"]))
    say("   %-14s bench/out/ref -t 30 flood -g -s 64 -d 2.3 127.0.0.1 PORT" % "flood")
    say("   MB/s out: what the listener wrote to its file.  A 64-byte payload is a 108-byte pcap")
    say("   record and a 66-byte length record; when both write about as many MB/s, the file's write")
    say("   bandwidth (page cache, here on disk) is what bounds them, not the formatting.")
    ts = []
    for a, b, what in (("pcap", "length", "send -F pcap >= 0.9 x send -F length [GRO sink]"),
                       ("l_pcap", "l_length", "listen -F pcap >= 0.9 x listen -F length")):
        v = ratio(res[a]["rate"], res[b]["rate"])
        note = "%s vs %s datagrams/s" % (fmt_num(res[a]["rate"]), fmt_num(res[b]["rate"]))
        if a in per and None not in (mbs(a), mbs(b)):
            note += "; %.0f vs %.0f MB/s written (%.2fx)" % (mbs(a), mbs(b), mbs(a) / mbs(b))
        ts.append(ctx.target(10, what, v, 0.9, (v or 0) >= 0.9, note))
    for key in res:
        if key.endswith(OLD):
            nk = key[:-len(OLD)]
            res[nk]["pair_runs"], res[key]["pair_runs"] = more[nk], more[key]
            ts.append(base_target(ctx, 10, nk, res[nk]["rate"], res[key]["rate"],
                                  reps=with_pairs(runs[nk], runs[key], more[nk], more[key]) + ("rate",)))
    print_targets(ts)
    ctx.results["10_capture"] = {"packets": CAPTURE_N, "rows": res, "generate_s": gen_s,
                                 "cut_by_budget": budget.cut}


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("udpcat", nargs="?", default="./udpcat")
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", 5)))
    ap.add_argument("--lines", type=int, default=int(os.environ.get("BENCH_LINES", 300000)),
                    help="lines per run in scenario 1 (default 300000)")
    ap.add_argument("--pings", type=int, default=20000)
    ap.add_argument("--only", default="1,2,3,4,5,6,7,8,9,10",
                    help="scenarios to run, e.g. 1,4")
    ap.add_argument("--baseline", default=os.environ.get("BASELINE") or None,
                    metavar="OLD_UDPCAT",
                    help="also run every udpcat case with this (older) binary, interleaved;"
                    " tables show both and new/old")
    ap.add_argument("--pairs", type=int, default=int(os.environ.get("BENCH_PAIRS", 0)),
                    help="with --baseline: this many more pairs (new, old) of the throughput"
                    " rows of scenarios 1, 2 and 10 for the new/old targets (scenario 2: at"
                    " least 2 x --reps)")
    ap.add_argument("--json", default=os.path.join(OUTDIR, "results.json"))
    args = ap.parse_args()
    if not os.access(args.udpcat, os.X_OK):
        sys.exit("bench: %s is not an executable (run 'make udpcat')" % args.udpcat)
    if args.baseline and not os.access(args.baseline, os.X_OK):
        sys.exit("bench: baseline %s is not an executable" % args.baseline)
    # Time budgets per scenario (seconds): the whole run stays under 8.3
    # minutes, or 12.8 with a baseline (its rows take more time in each),
    # and the extra pairs' time on top.
    args.budget = {1: 70, 2: 65, 3: 35, 4: 25, 5: 25, 6: 20,
                   7: 95, 8: 25, 9: 55, 10: 45}
    if args.baseline:
        args.budget = {1: 90, 2: 85, 3: 70, 4: 35, 5: 80, 6: 30,
                       7: 125, 8: 35, 9: 70, 10: 65}
    only = {int(x) for x in args.only.split(",") if x.strip()}

    t_start = time.monotonic()
    HARD_END[0] = t_start + (770 + 2 * sum(PAIR_SECONDS.values()) * args.pairs
                             if args.baseline else 500)
    build = build_ref()
    ctx = Ctx(args)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    uname = platform.uname()
    machine = {
        "nproc": os.cpu_count(), "kernel": uname.release, "uname": " ".join(uname),
        "cpu": next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                     if ln.startswith("model name")), "?"),
        "udpcat": tool_version([ctx.udpcat, "--version"]),
        "socat": tool_version(["socat", "-V"]) and
        next((ln for ln in subprocess.run(["socat", "-V"], capture_output=True, text=True)
              .stdout.splitlines() if "version" in ln), "?") if ctx.socat else "not installed",
        "nc": ("%s (%s)" % (ctx.nc, tool_version([ctx.nc, "-h"]))) if ctx.nc else "not installed",
        "cc": tool_version([os.environ.get("CC", "cc"), "--version"]),
        "python": sys.version.split()[0],
        "rmem_max": open("/proc/sys/net/core/rmem_max").read().strip(),
        "euid": os.geteuid(),
    }
    say("udpcat benchmark (issue #5) - loopback 127.0.0.1 only")
    say("  nproc: %s   kernel: %s   cpu: %s" % (machine["nproc"], machine["kernel"], machine["cpu"]))
    machine["udpcat_path"] = ctx.udpcat_orig
    machine["udpcat_sha256"] = ctx.udpcat_sha
    say("  udpcat: %s (%s, sha256 %s..., copied for the run)" % (
        machine["udpcat"], os.path.relpath(ctx.udpcat_orig), ctx.udpcat_sha[:12]))
    if ctx.base:
        machine["baseline_path"] = ctx.base_orig
        machine["baseline_sha256"] = ctx.base_sha
        machine["baseline"] = tool_version([ctx.base, "--version"])
        say("  baseline (old): %s (%s, sha256 %s..., copied for the run)" % (
            machine["baseline"], ctx.base_orig, ctx.base_sha[:12]))
    say("  socat: %s" % machine["socat"])
    say("  nc: %s" % machine["nc"])
    say("  cc: %s   ref build: %s" % (machine["cc"], build.replace(HERE, "bench")))
    say("  net.core.rmem_max=%s, euid %d (root: udpcat and ref get 64 MiB buffers via SO_RCVBUFFORCE;"
        " socat and nc keep the default)" % (machine["rmem_max"], machine["euid"]))
    say("  reps per case: %d, interleaved (rotated order each rep); medians shown" % ctx.reps)
    la = loadavg()
    machine["loadavg_start"] = la
    say("  load average at start: %s%s" % (la, "   WARNING: the machine is busy; figures will be noisy"
                                           if float(la.split()[0]) > 0.5 * (os.cpu_count() or 1) else ""))
    snmp0 = snmp_udp()
    try:
        for n, fn in ((1, scenario1), (2, scenario2), (3, scenario3), (4, scenario4), (5, scenario5),
                      (6, scenario6), (7, scenario7), (8, scenario8), (9, scenario9),
                      (10, scenario10)):
            if n in only:
                t = time.monotonic()
                fn(ctx)
                ctx.results.setdefault("timing", {})[str(n)] = time.monotonic() - t
    finally:
        kill_all()
        shutil.rmtree(ctx.work, ignore_errors=True)
    snmp1 = snmp_udp()
    total = time.monotonic() - t_start
    machine["loadavg_end"] = loadavg()
    say("\n== summary (%.0f s in all; load average at end %s; system-wide UDP RcvbufErrors over the run: %s) ==" %
        (total, machine["loadavg_end"], snmp_delta(snmp0, snmp1)))
    print_targets(ctx.targets)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    doc = {"machine": machine, "config": {"reps": ctx.reps, "lines": ctx.lines,
                                          "baseline": ctx.base_orig,
                                          "pings": ctx.pings, "budget_s": args.budget,
                                          "only": sorted(only)},
           "elapsed_s": total, "udp_rcvbuf_errors_total": snmp_delta(snmp0, snmp1),
           "targets": ctx.targets, "results": ctx.results}
    with open(args.json, "w") as f:
        json.dump(doc, f, indent=1, default=str)
    say("\n  results: %s" % os.path.relpath(args.json))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        kill_all()
        sys.exit(130)
