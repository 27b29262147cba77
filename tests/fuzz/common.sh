# common.sh: what replay.sh and run.sh share, sourced by both.

WARN="-std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
-Wmissing-prototypes -Wold-style-definition -Wwrite-strings -Wpointer-arith \
-Wformat=2 -Wvla -fno-common -D_GNU_SOURCE -Iinclude"
FUZZ=tests/fuzz
BIN=$FUZZ/bin
ALL="port host enc frame split output format pcap json args"

# The sources each harness is built with besides its own: for args the
# whole program; for the others the pure modules (which call each other)
# and the references the harnesses share.
modules() {
	case $1 in
	args)	ls src/*.c ;;
	*)	for m in src/enc.c src/parse.c src/frame.c src/output.c \
		    src/obuf.c src/sock.c src/pcap.c src/pcapread.c \
		    src/jsonrec.c; do
			[ -f "$m" ] && echo "$m"
		done
		echo "$FUZZ/oracle.c" ;;
	esac
}
