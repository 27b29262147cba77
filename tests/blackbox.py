#!/usr/bin/env python3
# blackbox.py: runs the built udpcat against peers we did not write
# (Python's socket module, socat, nc.openbsd) on loopback only, and checks
# exit status, standard error and the exact bytes of standard output.
#
#   python3 tests/blackbox.py ./udpcat [-k SUBSTRING] [-s I/N] [-v]
#
# -s I/N runs the I-th of N shares of the tests (from 0), so that N runs
# side by side cover them all (make valgrind does, one a CPU).
#
# One line per test ("ok - NAME", "not ok - NAME: why", "skip - NAME: why"),
# then "blackbox: N passed, N failed, N skipped"; exit status 1 when any
# test failed.  The tests themselves live in tests/bb/.

import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bb import util  # noqa: E402
from bb import t_cli, t_send, t_listen, t_interop, t_conv, t_faults  # noqa
from bb import t_load, t_unix, t_hostile, t_ping, t_capture, t_relay  # noqa
from bb import t_exec  # noqa


def valgrind_findings(logdir):
	"""The valgrind logs that report an error, a leak, or a descriptor
	udpcat opened and left open at exit (inherited ones do not count)."""
	bad = []
	for name in sorted(os.listdir(logdir)):
		with open(os.path.join(logdir, name), errors="replace") as f:
			lines = f.read().splitlines()
		for i, line in enumerate(lines):
			text = line.split("== ", 1)[-1].strip()
			if text.startswith("Open file descriptor"):
				nxt = lines[i + 1] if i + 1 < len(lines) else ""
				if "inherited from parent" not in nxt:
					bad.append("%s: %s" % (name, text))
			elif text and not text.startswith(("FILE DESCRIPTORS",
			    "Open ", "<inherited")) and text.strip():
				bad.append("%s: %s" % (name, text))
				break
	return bad


def main(argv):
	binary = None
	subs = []
	verbose = False
	share, shares = 0, 1
	i = 1
	while i < len(argv):
		a = argv[i]
		if a == "-k" and i + 1 < len(argv):
			subs.append(argv[i + 1])
			i += 2
			continue
		if a == "-s" and i + 1 < len(argv):
			try:
				share, shares = map(int, argv[i + 1].split("/"))
			except ValueError:
				share, shares = -1, 0
			if not 0 <= share < shares:
				print("blackbox.py: -s takes I/N, 0 <= I < N",
				    file=sys.stderr)
				return 2
			i += 2
			continue
		if a.startswith("-k") and len(a) > 2:
			subs.append(a[2:])
		elif a == "-v":
			verbose = True
		elif a in ("-h", "--help"):
			print(__doc__ or "usage: blackbox.py UDPCAT [-k SUBSTRING] "
			    "[-s I/N] [-v]")
			return 0
		elif binary is None:
			binary = a
		else:
			print("usage: blackbox.py UDPCAT [-k SUBSTRING] [-s I/N] "
			    "[-v]", file=sys.stderr)
			return 2
		i += 1
	if binary is None:
		binary = "./udpcat"
	util.UDPCAT = os.path.abspath(binary)

	npass = nfail = nskip = 0
	t_start = time.monotonic()
	tests = [(n, f) for k, (n, f) in enumerate(util.TESTS)
	    if (not subs or any(s in n for s in subs)) and
	    k % shares == share]
	present = os.access(util.UDPCAT, os.X_OK)
	for name, fn in tests:
		t0 = time.monotonic()
		try:
			if not present:
				raise util.Fail("%s is not an executable "
				    "file" % binary)
			fn()
		except util.Skip as e:
			nskip += 1
			print("skip - %s: %s" % (name, e), flush=True)
		except util.Fail as e:
			nfail += 1
			print("not ok - %s: %s" % (name, e), flush=True)
		except Exception as e:
			nfail += 1
			tb = traceback.extract_tb(e.__traceback__)[-1]
			print("not ok - %s: %s: %s (%s:%d)" % (name,
			    type(e).__name__, util.short(str(e), 300),
			    os.path.basename(tb.filename), tb.lineno),
			    flush=True)
			if verbose:
				traceback.print_exc()
		else:
			npass += 1
			print("ok - %s" % name, flush=True)
		finally:
			util.cleanup_all()
		if verbose:
			print("#   %.2f s" % (time.monotonic() - t0),
			    file=sys.stderr, flush=True)
	if verbose:
		print("# total %.1f s" % (time.monotonic() - t_start),
		    file=sys.stderr)
	if util.VALGRIND_DIR:
		bad = valgrind_findings(util.VALGRIND_DIR)
		if bad:
			nfail += 1
			print("not ok - valgrind: %s" % "; ".join(bad[:5]))
		else:
			npass += 1
			print("ok - valgrind: no errors, leaks or descriptors "
			    "left open")
	print("blackbox: %d passed, %d failed, %d skipped" % (npass, nfail,
	    nskip), flush=True)
	return 1 if nfail else 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
