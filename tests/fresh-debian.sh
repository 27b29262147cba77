#!/bin/bash
# fresh-debian.sh: tests the test setup: the README's quick start on a
# minimal Debian 12 with only build-essential, git and ca-certificates.
#
# Run as root from the top of the tree (make fresh-check).  Needs
# debootstrap, unshare, socat and ip on this machine (installed when
# missing, from tests/deps.sh), and a Debian mirror.
#
#  1. debootstrap --variant=minbase bookworm, plus build-essential, git and
#     ca-certificates, into a new directory under /var/tmp;
#  2. a clean clone of this tree's HEAD (uncommitted changes are not in
#     it) in /root/udpcat, and one for the user "tester" in his home;
#  3. in new mount, network, PID and UTS namespaces: /proc, /sys, a /dev
#     of its own and /run mounted into the root; lo up, and a route that
#     keeps 255.255.255.255 on lo (the broadcast test sends only there;
#     no default route, so that names fail to resolve at once); and
#     apt's one way out: a proxy on 127.0.0.1:3142 carried over a Unix
#     socket to the mirror (the only change made to the root);
#  4. there, chrooted:
#     a. as tester, nothing installed yet: make check must print exactly
#        one "deps: missing" line with the install command, exit 0, and
#        skip only for missing packages or for root, each saying which;
#     b. as root, the README's two commands as written: make demo and
#        make check must pass, make check must install the packages
#        itself, and nothing may be skipped;
#     c. as tester again, all installed now: make check must pass, print
#        no install line, and skip only the tests that need root.
#
# Everything mounted lives in the private mount namespace and goes with
# it, whatever happens; the root directory is removed at the end unless
# FRESH_KEEP=1.  FRESH_BASE=DIR copies a root made by an earlier
# debootstrap instead of making one (to try changes quickly); MIRROR and
# SUITE override the mirror (default: this machine's) and bookworm.
# Prints how long each step took; exit status 0 if every check held.

set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
top=$(pwd)

SUITE=${SUITE:-bookworm}
TMO=${FRESH_TIMEOUT:-2400}	# seconds, for the steps inside the root

say() { printf 'fresh: %s\n' "$*"; }
die() { printf 'fresh: %s\n' "$*" >&2; exit 1; }

# The Debian mirror this machine's apt uses (plain http: the proxy in the
# root carries http only), else deb.debian.org.
host_mirror()
{
	local m
	m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	    /etc/apt/sources.list.d/*.sources 2>/dev/null |
	    grep -o 'http://[^ ]*/debian/\?\( \|$\)' | head -n 1 | tr -d ' ')
	echo "${m:-http://deb.debian.org/debian}"
}

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, namespaces)"
sh tests/deps.sh ensure fresh socat iproute2 util-linux || exit 1
for t in debootstrap unshare socat ip git chroot; do
	command -v "$t" >/dev/null 2>&1 || die "needs the $t command"
done
MIRROR=${MIRROR:-$(host_mirror)}
MIRROR=${MIRROR%/}
case $MIRROR in
http://*) ;;
*)	die "MIRROR must be an http:// URL, not '$MIRROR'" ;;
esac
mhost=${MIRROR#http://}
mhost=${mhost%%/*}
mport=80
case $mhost in
*:*)	mport=${mhost##*:}; mhost=${mhost%:*} ;;
esac
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
    say "note: uncommitted changes are not tested, only HEAD"

work=$(mktemp -d /var/tmp/udpcat-fresh.XXXXXX) || exit 1
root=$work/root
bridge=

# Stops the proxy's outer half and removes the root, after making sure
# nothing is mounted under it any more.
cleanup()
{
	[ -n "$bridge" ] && kill "$bridge" 2>/dev/null && wait "$bridge"
	if grep -q " $work/" /proc/self/mounts; then
		grep -o " $work/[^ ]*" /proc/self/mounts | sort -r |
		    while read -r m; do umount -l "$m"; done
	fi
	if grep -q " $work/" /proc/self/mounts; then
		say "still mounted under $work: not removed" >&2
	elif [ "${FRESH_KEEP:-0}" = 1 ]; then
		say "kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t0=$(date +%s)
lap=$t0
times=

# Notes that the step $1 took $2 seconds.
note()
{
	times="$times$(printf '  %-46s %4d s' "$1" "$2")
"
}

# Notes how long the step $1 took since the last note.
took()
{
	local now
	now=$(date +%s)
	note "$1" $((now - lap))
	lap=$now
}

# 1. The minimal root.
if [ -n "${FRESH_BASE:-}" ]; then
	say "copying $FRESH_BASE"
	cp -a "$FRESH_BASE" "$root" || die "cannot copy $FRESH_BASE"
	took "copy of a debootstrapped root"
else
	say "debootstrap $SUITE from $MIRROR into $root"
	if ! timeout 1800 debootstrap --variant=minbase \
	    --include=build-essential,git,ca-certificates \
	    "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1; then
		tail -n 20 "$work/debootstrap.log" | sed 's/^/#   /'
		die "debootstrap failed"
	fi
	took "debootstrap (minbase + build-essential git)"
fi
[ -x "$root/usr/bin/python3" ] && die "python3 is already in the root"

# 2. The clones, and the user.
chroot "$root" useradd -m -s /bin/bash tester || die "useradd failed"
git clone -q --no-local "$top" "$root/root/udpcat" || die "git clone failed"
git clone -q --no-local "$top" "$root/home/tester/udpcat" ||
    die "git clone failed"
chroot "$root" chown -R tester:tester /home/tester/udpcat || exit 1
printf 'Acquire::http::Proxy "http://127.0.0.1:3142/";\n' \
    >"$root/etc/apt/apt.conf.d/99fresh-proxy"
took "clones, user, apt proxy setting"

# The outer half of apt's way out: Unix socket to the mirror.
timeout $((TMO + 60)) socat UNIX-LISTEN:"$work/apt.sock",fork,mode=600 \
    TCP:"$mhost:$mport" &
bridge=$!

# 3 and 4: what runs in the namespaces.  $1 is the root, $2 the socket.
inner()
{
	local r=$1 rc
	# The root a mount point of its own, as ip netns exec wants of /.
	mount --bind "$r" "$r" &&
	mount -t proc proc "$r/proc" &&
	mount -t sysfs sysfs "$r/sys" &&
	mount -t tmpfs -o mode=755 tmpfs "$r/run" &&
	mount -t tmpfs -o mode=755,nosuid tmpfs "$r/dev" || return 1
	for n in null zero full random urandom tty; do
		touch "$r/dev/$n" && mount --bind "/dev/$n" "$r/dev/$n" ||
		    return 1
	done
	mkdir -p "$r/dev/pts" "$r/dev/shm" &&
	mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts \
	    "$r/dev/pts" &&
	mount -t tmpfs -o mode=1777 tmpfs "$r/dev/shm" || return 1
	ln -s pts/ptmx "$r/dev/ptmx"
	ln -s /proc/self/fd "$r/dev/fd"
	ln -s /proc/self/fd/0 "$r/dev/stdin"
	ln -s /proc/self/fd/1 "$r/dev/stdout"
	ln -s /proc/self/fd/2 "$r/dev/stderr"
	ip link set lo up &&
	ip route add 255.255.255.255/32 dev lo src 127.0.0.1 || return 1
	socat TCP-LISTEN:3142,bind=127.0.0.1,reuseaddr,fork \
	    UNIX-CONNECT:"$2" &
	chroot "$r" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    /bin/bash /fresh-steps
	rc=$?
	return $rc
}

# The steps, run in the root as root; each writes /fresh-logs/STEP.log
# and /fresh-logs/STEP.rc and the time it took.
cat >"$root/fresh-steps" <<'EOF'
mkdir -p /fresh-logs
# step NAME USER COMMAND: runs COMMAND in USER's clone, login shell.
step()
{
	local name=$1 user=$2 cmd=$3 t=$(date +%s) rc
	printf '\n== %s: %s as %s\n' "$name" "$cmd" "$user"
	if [ "$user" = root ]; then
		(cd /root/udpcat && timeout 2400 bash -c "$cmd")
	else
		timeout 2400 runuser -l "$user" -c "cd udpcat && $cmd"
	fi 2>&1 | tee "/fresh-logs/$name.log"
	rc=${PIPESTATUS[0]}
	echo "$rc $(( $(date +%s) - t ))" >"/fresh-logs/$name.rc"
}
step a tester "make check"
step b root "make demo && make check"
step c tester "make check"
EOF
say "running the steps in the root (namespaces: mount, net, pid, uts)"
export -f inner
# shellcheck disable=SC2016
timeout "$TMO" unshare --mount --net --pid --uts --fork --kill-child \
    bash -c 'inner "$1" "$2"' inner "$root" "$work/apt.sock"
status=$?
kill "$bridge" 2>/dev/null; wait "$bridge" 2>/dev/null; bridge=
took "the three steps in the root, together"
[ "$status" -eq 0 ] || say "the namespaces ended with status $status"

# 5. The verdicts.
L=$root/fresh-logs
fails=0
bad() { say "FAIL: $*"; fails=$((fails + 1)); }
# Prints the skip lines of log $1, one a line (the runners' formats).
skips() { grep -E '^skip - |SKIP|: skipped:' "$1"; }
rc() { [ -f "$L/$1.rc" ] && cut -d' ' -f1 "$L/$1.rc" || echo none; }
secs() { [ -f "$L/$1.rc" ] && cut -d' ' -f2 "$L/$1.rc" || echo 0; }

# a. Nothing installed, not root.
if [ "$(rc a)" != 0 ]; then
	bad "a: make check as tester exited $(rc a), not 0"
fi
n=$(grep -c '^deps: missing ' "$L/a.log" 2>/dev/null)
if [ "${n:-0}" -ne 1 ]; then
	bad "a: ${n:-0} 'deps: missing' lines, not 1"
elif ! grep -q 'As root: apt-get install -y .*python3.*'\
' With sudo: sudo apt-get install -y ' "$L/a.log"; then
	bad "a: the install line lacks a command:" \
	    "$(grep '^deps: missing' "$L/a.log")"
fi
if skips "$L/a.log" | grep -v -E 'Debian package |needs root' |
    grep -q .; then
	bad "a: skips that name no package and are not for root:"
	skips "$L/a.log" | grep -v -E 'Debian package |needs root' |
	    sed 's/^/#   /'
fi
for s in 'unit: skipped: cmocka.h' 'blackbox: skipped: python3' \
    'lab: skipped: python3' 'lint-man: SKIP: mandoc'; do
	grep -q "^$s" "$L/a.log" || bad "a: no line '$s...'"
done
grep -q '^fuzz-replay: 6 passed, 0 failed' "$L/a.log" ||
    bad "a: the fuzz replay did not run whole without cmocka"
note "  a. make check, tester, nothing installed" "$(secs a)"

# b. The README's commands as root.
if [ "$(rc b)" != 0 ]; then
	bad "b: make demo && make check as root exited $(rc b)"
fi
grep -q '^deps: installing ' "$L/b.log" ||
    bad "b: make check did not install the packages"
grep -q '^demo: every step gave what it should' "$L/b.log" ||
    bad "b: make demo did not finish"
for s in unit: blackbox: lab: fuzz-replay: lint-man:; do
	grep -q "^$s [0-9]* passed, 0 failed" "$L/b.log" ||
	    bad "b: no '$s N passed, 0 failed' line"
done
if skips "$L/b.log" | grep -q . ||
    grep -E '^[a-z-]+: .* [1-9][0-9]* skipped' "$L/b.log" | grep -q .; then
	bad "b: skipped as root:"
	skips "$L/b.log" | sed 's/^/#   /'
fi
note "  b. make demo; make check, root" "$(secs b)"

# c. All installed, not root.
if [ "$(rc c)" != 0 ]; then
	bad "c: make check as tester exited $(rc c)"
fi
grep -q '^deps: missing' "$L/c.log" &&
    bad "c: still missing: $(grep '^deps: missing' "$L/c.log")"
if skips "$L/c.log" | grep -v -E 'root' | grep -q .; then
	bad "c: skipped for another reason than root:"
	skips "$L/c.log" | grep -v -E 'root' | sed 's/^/#   /'
fi
grep -q '^skip - .*: needs root' "$L/c.log" ||
    bad "c: the lab did not say it needs root"
for s in unit: blackbox: lab: fuzz-replay: lint-man:; do
	grep -q "^$s [0-9]* passed, 0 failed" "$L/c.log" ||
	    bad "c: no '$s N passed, 0 failed' line"
done
note "  c. make check, tester, all installed" "$(secs c)"

echo
say "times:"
printf '%s' "$times"
printf '  %-46s %4d s\n' total $(($(date +%s) - t0))
say "skips as tester once installed:"
skips "$L/c.log" | sed 's/^/    /'
if [ "$fails" -ne 0 ]; then
	say "$fails check(s) failed; logs in $L (FRESH_KEEP=1 keeps them)"
	exit 1
fi
say "passed"
