# udpcat: plain make.  The user's CFLAGS and LDFLAGS are kept apart from the
# warning flags, which are always on.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
DESTDIR	?=

CC	?= cc
CFLAGS	?= -O2 -g
LDFLAGS	?=
# Libraries every link needs (none beyond libc); the tests add cmocka, and
# libm for their own comparisons.
LIBS	=
TEST_LIBS = -lcmocka -lm
PYTHON	?= python3

WARN	= -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	  -Wmissing-prototypes -Wold-style-definition -Wwrite-strings \
	  -Wpointer-arith -Wformat=2 -Wvla -fno-common
ALL_CFLAGS = $(WARN) -D_GNU_SOURCE -Iinclude $(CFLAGS)

# PORTABLE=1 builds the plain sendmsg/recvmsg path that systems without
# sendmmsg, recvmmsg, UDP GSO and GRO use, so that it is tested here too.
ifdef PORTABLE
ALL_CFLAGS += -DUDPCAT_PORTABLE
endif

SANITIZE_FLAGS = -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all

# Modules that print nothing and exit nowhere: each has a cmocka test.
LIB_SRCS = src/enc.c src/parse.c src/frame.c src/output.c src/obuf.c \
	src/sock.c src/sockio.c \
	src/allow.c src/portfile.c src/probe.c src/rtt.c \
	src/pcap.c src/pcapread.c src/jsonrec.c src/impair.c
CMD_SRCS = src/udpcat.c src/cmd_send.c src/cmd_listen.c src/listen_opts.c \
	src/cmd_ping.c src/msg.c src/proc.c src/stats.c src/printer.c \
	src/endpoint.c src/endp_unix.c src/receive.c src/transmit.c \
	src/source.c src/child.c src/cmdline.c src/talk.c \
	src/opt.c src/options.c src/completion.c src/relay.c src/relay_opts.c \
	src/relay_fwd.c src/relay_tap.c \
	src/cmd_relay.c
LIB_OBJS = $(LIB_SRCS:.c=.o)
CMD_OBJS = $(CMD_SRCS:.c=.o)

UNIT_TESTS = tests/test_enc tests/test_parse tests/test_frame \
	tests/test_output tests/test_sock tests/test_opt tests/test_faults \
	tests/test_allow tests/test_portfile tests/test_probe tests/test_rtt \
	tests/test_pcap tests/test_jsonrec tests/test_impair tests/test_relay \
	tests/test_cmdline tests/test_proc

# The shell completions, printed by udpcat from its own option tables.
COMPLETIONS = completion/udpcat.bash completion/_udpcat \
	completion/udpcat.fish

all: udpcat $(COMPLETIONS)

udpcat: $(CMD_OBJS) $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CMD_OBJS) $(LIB_OBJS) $(LIBS)

completion/udpcat.bash: udpcat
	@mkdir -p completion
	./udpcat completion bash >$@.tmp && mv $@.tmp $@

completion/_udpcat: udpcat
	@mkdir -p completion
	./udpcat completion zsh >$@.tmp && mv $@.tmp $@

completion/udpcat.fish: udpcat
	@mkdir -p completion
	./udpcat completion fish >$@.tmp && mv $@.tmp $@

src/%.o: src/%.c
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

tests/%.o: tests/%.c
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

tests/test_%: tests/test_%.o $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(TEST_LIBS) $(LIBS)

# Tests that make a call of the C library fail, or count its calls.
tests/test_frame: tests/test_frame.o $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(TEST_LIBS) $(LIBS) \
	    -Wl,--wrap=malloc

tests/test_output: tests/test_output.o $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(TEST_LIBS) $(LIBS) \
	    -Wl,--wrap=if_indextoname

# The option table and what is built from it, with the messages it exits by.
tests/test_opt: tests/test_opt.o $(LIB_OBJS) src/opt.o src/options.o \
	    src/msg.o src/proc.o
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LIBS)

# The client table opens real sockets, so it takes the endpoint part.
tests/test_relay: tests/test_relay.o $(LIB_OBJS) src/relay.o \
	    src/endpoint.o src/msg.o
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LIBS)

# A command run for a datagram: real processes, real pipes.
tests/test_cmdline: tests/test_cmdline.o $(LIB_OBJS) src/cmdline.o
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LIBS)

# The commands themselves under injected faults: main() left out, the
# system calls they make wrapped (ppoll() is __ppoll_chk() when fortified).
FAULT_WRAP = -Wl,--wrap=sendmmsg,--wrap=sendmsg,--wrap=sendto \
	-Wl,--wrap=recvmmsg,--wrap=recvfrom \
	-Wl,--wrap=recvmsg,--wrap=write,--wrap=writev,--wrap=poll \
	-Wl,--wrap=__poll_chk,--wrap=ppoll,--wrap=__ppoll_chk \
	-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=posix_memalign

tests/test_faults: tests/test_faults.o $(LIB_OBJS) \
	    $(filter-out src/udpcat.o,$(CMD_OBJS))
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LIBS) $(FAULT_WRAP)

# Signals let in during a blocking read (signals_open()).
tests/test_proc: tests/test_proc.o $(LIB_OBJS) src/proc.o
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LIBS)

# The port file's random names made predictable, and its write() failing.
tests/test_portfile: tests/test_portfile.o $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LIBS) \
	    -Wl,--wrap=getrandom,--wrap=write

-include $(LIB_SRCS:.c=.d) $(CMD_SRCS:.c=.d) $(UNIT_TESTS:=.d)

# What the tests need, listed in tests/deps.sh: run as root with apt-get,
# the missing packages are installed; otherwise one line says how, and the
# tests that need them are skipped, each saying why.
deps:
	@CC="$(CC)" PYTHON="$(PYTHON)" sh tests/deps.sh ensure check

cmocka:
	@CC="$(CC)" sh tests/deps.sh ensure libcmocka-dev

NEED = CC="$(CC)" PYTHON="$(PYTHON)" sh tests/deps.sh need

check: deps
	@$(MAKE) --no-print-directory unit-run
	@sh tests/lint-man.sh
	@sh tests/completion.sh
	@if $(NEED) blackbox python3; then \
	    $(PYTHON) tests/blackbox.py ./udpcat; fi
	@if $(NEED) lab python3; then $(PYTHON) tests/lab/lab.py ./udpcat; fi

# Only the cmocka tests: every module, and the commands under faults; and
# the fuzz corpus replayed through every harness.
unit: cmocka
	@$(MAKE) --no-print-directory unit-run

unit-run: udpcat
	@if $(NEED) unit libcmocka-dev; then \
	    $(MAKE) --no-print-directory $(UNIT_TESTS) && \
	    sh tests/run-unit.sh $(UNIT_TESTS); fi
	@CC="$(CC)" CFLAGS="$(CFLAGS)" LDFLAGS="$(LDFLAGS)" \
	    sh tests/fuzz/replay.sh

# libFuzzer harnesses (clang): FUZZ_SECONDS each; FUZZ_MERGE=1 to grow the
# corpus (new inputs go to tests/fuzz/bin/, never to the checked-in one).
FUZZ_SECONDS ?= 60
fuzz:
	@FUZZ_SECONDS="$(FUZZ_SECONDS)" sh tests/fuzz/run.sh

# The black-box tests again with every run of udpcat under valgrind.
# In two shares side by side, one a CPU: valgrind makes each run slow.
valgrind: udpcat
	@$(NEED) valgrind python3 && $(NEED) valgrind valgrind || exit 1; \
	d0=$$(mktemp -d) || exit 1; d1=$$(mktemp -d) || exit 1; \
	{ UDPCAT_VALGRIND=$$d1 $(PYTHON) tests/blackbox.py ./udpcat -s 1/2 \
	    >"$$d1.out" 2>&1; echo $$? >"$$d1.rc"; } & \
	UDPCAT_VALGRIND=$$d0 $(PYTHON) tests/blackbox.py ./udpcat -s 0/2; \
	s0=$$?; wait; cat "$$d1.out"; s1=$$(cat "$$d1.rc"); \
	rm -rf "$$d0" "$$d1" "$$d1.out" "$$d1.rc"; \
	[ "$$s0" = 0 ] && [ "$$s1" = 0 ]

sanitize:
	$(MAKE) clean
	$(MAKE) check CFLAGS="$(SANITIZE_FLAGS)" LDFLAGS="-fsanitize=address,undefined"

# cppcheck and clang-tidy, configured by tests/cppcheck.supp and .clang-tidy.
lint:
	@sh tests/static.sh

# udpcat against socat, nc and bare C loops on loopback (bench/bench.py).
# BASELINE=/path/to/an/older/udpcat runs every udpcat case with it too,
# interleaved, and shows both columns and new/old (see bench/README.md).
BASELINE ?=
bench: udpcat
	@$(NEED) bench python3 || exit 1; \
	    $(PYTHON) bench/bench.py ./udpcat $(if $(BASELINE),--baseline $(BASELINE))

demo: udpcat
	@sh tests/demo.sh ./udpcat

# The README's quick start on a minimal Debian 12 made by debootstrap, as
# root and as a user (tests/fresh-debian.sh); root only, a few minutes.
fresh-check:
	@bash tests/fresh-debian.sh

install: udpcat $(COMPLETIONS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
	    $(DESTDIR)$(FISHCOMPDIR)
	install -m 755 udpcat $(DESTDIR)$(BINDIR)/udpcat
	install -m 644 man/udpcat.1 $(DESTDIR)$(MANDIR)/man1/udpcat.1
	install -m 644 completion/udpcat.bash $(DESTDIR)$(BASHCOMPDIR)/udpcat
	install -m 644 completion/_udpcat $(DESTDIR)$(ZSHCOMPDIR)/_udpcat
	install -m 644 completion/udpcat.fish \
	    $(DESTDIR)$(FISHCOMPDIR)/udpcat.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/udpcat $(DESTDIR)$(MANDIR)/man1/udpcat.1 \
	    $(DESTDIR)$(BASHCOMPDIR)/udpcat $(DESTDIR)$(ZSHCOMPDIR)/_udpcat \
	    $(DESTDIR)$(FISHCOMPDIR)/udpcat.fish

clean:
	rm -f udpcat src/*.o src/*.d tests/*.o tests/*.d $(UNIT_TESTS)
	rm -rf completion
	rm -rf tests/fuzz/bin

.PHONY: all check deps unit unit-run valgrind cmocka sanitize lint bench fuzz demo fresh-check install uninstall clean
