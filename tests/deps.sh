#!/bin/sh
# deps.sh: the one list of Debian packages the tests need, read by make
# check and .ci/run; installs the missing ones, or says in one line how.
#
#   sh tests/deps.sh list SET ...     the packages, one a line
#   sh tests/deps.sh missing SET ...  those not installed, one a line
#   sh tests/deps.sh ensure SET ...   installs the missing ones when run as
#                                     root with apt-get (apt-get update first),
#                                     else prints one line: the command to run
#   sh tests/deps.sh need WHAT PKG    status 0 if PKG is installed; else
#                                     prints "WHAT: skipped: ..." naming it
#
# A SET is "check" (what make check needs), "fresh" (what make fresh-check
# needs besides), "ci" (all of them, and the tools CI adds) or a package
# name.  "Installed" means the probe finds the command or file a test
# uses, so this works beside packages from elsewhere and on systems
# without dpkg.  CC and PYTHON in the environment are the compiler
# and the Python the probes try.  ensure exits 1 only when apt-get fails.

# set, package, probe (c: a command, h: a C header, f: a file, g: a file
# pattern), and what needs it.  Names are Debian 12's.
TABLE='
check build-essential    c:make          # building udpcat
check libcmocka-dev      h:cmocka.h      # the unit tests
check python3            c:PYTHON        # the black-box tests, the lab
check socat              c:socat         # interop tests
check netcat-openbsd     c:nc.openbsd    # interop tests
check netbase            f:/etc/services # service names in the tests
check mandoc             c:mandoc        # the man page lint
check iproute2           c:ip            # the lab, the broadcast test
check procps             c:sysctl        # the lab
check util-linux         c:setpriv       # a test that runs udpcat as nobody
check bsdutils           c:logger        # interop tests
check rsyslog            c:rsyslogd      # interop tests
check tcpdump            c:tcpdump       # interop tests
check zsh                c:zsh           # the completion tests
check fish               c:fish          # the completion tests
check bash-completion    f:/usr/share/bash-completion/bash_completion
ci    clang              c:clang         # clang build, sanitizers
ci    libclang-rt-14-dev g:/usr/lib/llvm-14/lib/clang/*/lib/linux/*fuzzer*
ci    valgrind           c:valgrind      # make valgrind
ci    cppcheck           c:cppcheck      # make lint
ci    clang-tidy         c:clang-tidy    # make lint
fresh debootstrap        c:debootstrap   # make fresh-check
'

# Prints the table's rows for the sets and package names given; a name
# that is in no row is an error.
rows()
{
	for want in "$@"; do
		r=$(printf '%s\n' "$TABLE" | awk -v w="$want" '
		    NF >= 3 && (w == "ci" || $1 == w || $2 == w)')
		if [ -z "$r" ]; then
			echo "deps.sh: no set or package '$want' in the list" >&2
			exit 2
		fi
		printf '%s\n' "$r"
	done
}

# Status 0 if the probe $1 finds what it looks for.
probe()
{
	case $1 in
	c:PYTHON)
		command -v "${PYTHON:-python3}" >/dev/null 2>&1 ;;
	c:*)
		command -v "${1#c:}" >/dev/null 2>&1 ||
		    [ -x "/usr/sbin/${1#c:}" ] || [ -x "/sbin/${1#c:}" ] ;;
	h:*)
		# cmocka.h wants these included before it.
		printf '#include <%s>\n' stdarg.h stddef.h stdint.h setjmp.h \
		    "${1#h:}" | ${CC:-cc} -E -x c - >/dev/null 2>&1 ;;
	f:*)
		[ -e "${1#f:}" ] ;;
	g:*)
		# shellcheck disable=SC2086
		set -- ${1#g:}
		[ -e "$1" ] ;;
	*)
		return 1 ;;
	esac
}

# Prints the packages of the sets given that the probes do not find.
missing()
{
	rows "$@" >/dev/null
	rows "$@" | awk '{ print $2, $3 }' |
	while read -r pkg p; do
		probe "$p" || printf '%s\n' "$pkg"
	done | awk '!seen[$0]++'
}

# Installs the missing packages of the sets given, or says how.
ensure()
{
	rows "$@" >/dev/null
	pkgs=$(missing "$@" | tr '\n' ' ' | sed 's/ $//')
	[ -n "$pkgs" ] || return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "deps: installing $pkgs"
		export DEBIAN_FRONTEND=noninteractive
		# shellcheck disable=SC2086
		if ! apt-get update -qq >/dev/null ||
		    ! apt-get install -y -qq --no-install-recommends $pkgs \
		    >/dev/null; then
			echo "deps: apt-get could not install $pkgs" >&2
			return 1
		fi
		still=$(missing "$@" | tr '\n' ' ' | sed 's/ $//')
		if [ -n "$still" ]; then
			echo "deps: installed, but still not found: $still" >&2
			return 1
		fi
	elif command -v apt-get >/dev/null 2>&1; then
		echo "deps: missing $pkgs.  As root: apt-get install -y" \
		    "$pkgs   With sudo: sudo apt-get install -y $pkgs"
	else
		echo "deps: missing, under their Debian names: $pkgs;" \
		    "install them with your package manager"
	fi
	return 0
}

# Status 0 if package $2 is installed; else says that $1 is skipped.
need()
{
	row=$(rows "$2" | head -n 1)
	[ -n "$row" ] || exit 2
	p=$(printf '%s\n' "$row" | awk '{ print $3 }')
	probe "$p" && return 0
	what=${p#?:}
	[ "$p" = c:PYTHON ] && what=${PYTHON:-python3}
	echo "$1: skipped: $what is not installed (Debian package $2)"
	return 1
}

cmd=$1
[ $# -gt 0 ] && shift
case $cmd in
list)		rows "$@" | awk '!seen[$2]++ { print $2 }' ;;
missing)	missing "$@" ;;
ensure)		ensure "$@" ;;
need)		[ $# -eq 2 ] || { echo "usage: deps.sh need WHAT PACKAGE" >&2;
		    exit 2; }
		need "$1" "$2" ;;
*)		echo "usage: deps.sh list|missing|ensure SET ... |" \
		    "need WHAT PACKAGE" >&2
		exit 2 ;;
esac
