# lq - lead qualification toolkit.  See README.
.SUFFIXES:
# keep objects that pattern rules make on the way to a binary
.SECONDARY:

VERSION = 0.1.0
PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
DATADIR = $(PREFIX)/share/lq/data
OPT ?= -O3 -g
BUILD ?= build
EXTRA_CFLAGS ?=
EXTRA_LDFLAGS ?=
LQ_CFLAGS = -std=gnu11 -Wall -Wextra -Wno-unused-parameter $(OPT) \
	-Ilib -Icmd -DLQ_VERSION='"$(VERSION)"' -DLQ_DATADIR='"$(DATADIR)"' \
	$(EXTRA_CFLAGS) $(CFLAGS)
LDLIBS = -lxgboost -ljq -lonig -lyaml -lsqlite3 -lcurl -lm
# the unit tests also check lib/csv.c against libcsv
UNITLIBS = -lcsv
# each object's header dependencies, written by the compiler (-MMD)
DEPFLAGS = -MMD -MP

LIBSRC = $(wildcard lib/*.c)
LIBOBJ = $(LIBSRC:lib/%.c=$(BUILD)/obj/lib/%.o)
# what the tools share: the record loop and options (lqcmd.o), lq-train's
# --reps mode (lqreps.o); an archive, so each tool takes what it uses
CMDOBJ = $(BUILD)/obj/cmd/lqcmd.o $(BUILD)/obj/cmd/lqreps.o
CMDCOMMON = $(BUILD)/libcmd.a
TOOLSRC = $(wildcard cmd/lq-*.c)
TOOLS = $(TOOLSRC:cmd/%.c=$(BUILD)/bin/%)
UNITSRC = $(wildcard test/unit/test_*.c)
UNITS = $(UNITSRC:test/unit/%.c=$(BUILD)/test/%)
MANPAGES = $(wildcard man/*.[157])
PROVE = prove --exec test/run-one --timer

all: $(TOOLS) $(UNITS)

$(BUILD)/obj/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(LQ_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/obj/cmd/%.o: cmd/%.c
	@mkdir -p $(@D)
	$(CC) $(LQ_CFLAGS) $(DEPFLAGS) -c -o $@ $<

-include $(LIBOBJ:.o=.d) $(TOOLS:$(BUILD)/bin/%=$(BUILD)/obj/cmd/%.d) $(CMDOBJ:.o=.d)

$(CMDCOMMON): $(CMDOBJ)
	rm -f $@
	ar rcs $@ $(CMDOBJ)

$(BUILD)/liblq.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(BUILD)/bin/%: $(BUILD)/obj/cmd/%.o $(CMDCOMMON) $(BUILD)/liblq.a
	@mkdir -p $(@D)
	$(CC) $(LQ_CFLAGS) $(EXTRA_LDFLAGS) $(LDFLAGS) -o $@ $< $(CMDCOMMON) $(BUILD)/liblq.a $(LDLIBS)

$(BUILD)/test/%: test/unit/%.c test/unit/tap.h $(BUILD)/liblq.a
	@mkdir -p $(@D) $(BUILD)/obj/test
	$(CC) $(LQ_CFLAGS) $(DEPFLAGS) -MF $(BUILD)/obj/test/$*.d -Itest/unit $(EXTRA_LDFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/liblq.a $(UNITLIBS) $(LDLIBS)

-include $(UNITS:$(BUILD)/test/%=$(BUILD)/obj/test/%.d)

# Fuzzing (test/fuzz/README): one libFuzzer harness per fuzz_NAME.c.
# `make check` builds each with the ordinary compiler and replay.c into
# $(BUILD)/test/fuzz_NAME, a TAP test replaying the regression corpus
# test/fuzz/regress/NAME/ and the seeds test/fuzz/corpus/NAME/.
FUZZERS = json csv yaml score_rules route_rules jqn
FUZZ ?= $(FUZZERS)
FUZZ_SECONDS ?= 60
FUZZ_BUILD = build/fuzz
FUZZCOMMON = test/fuzz/fuzz_util.c
REPLAYS = $(FUZZERS:%=$(BUILD)/test/fuzz_%)

$(BUILD)/test/fuzz_%: test/fuzz/fuzz_%.c test/fuzz/replay.c $(FUZZCOMMON) \
    test/fuzz/fuzz.h $(BUILD)/liblq.a
	@mkdir -p $(@D)
	$(CC) $(LQ_CFLAGS) -Itest/fuzz -DFUZZ_NAME='"$*"' $(EXTRA_LDFLAGS) \
	    $(LDFLAGS) -o $@ $< test/fuzz/replay.c $(FUZZCOMMON) \
	    $(BUILD)/liblq.a $(LDLIBS)

# the libFuzzer binaries (make fuzz builds them with BUILD=$(FUZZ_BUILD))
$(BUILD)/fuzzer/fuzz_%: test/fuzz/fuzz_%.c $(FUZZCOMMON) test/fuzz/fuzz.h \
    $(BUILD)/liblq.a
	@mkdir -p $(@D)
	$(CC) $(LQ_CFLAGS) -Itest/fuzz -fsanitize=fuzzer $(EXTRA_LDFLAGS) \
	    $(LDFLAGS) -o $@ $< $(FUZZCOMMON) $(BUILD)/liblq.a $(LDLIBS)

replay: $(REPLAYS)

# Run each harness of FUZZ (default: all) for FUZZ_SECONDS; what it finds
# goes to test/fuzz/regress/NAME/.  Needs clang (deps.sh group fuzz).
fuzz:
	@sh tools/deps.sh build fuzz
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang OPT='-O1 -g -fno-omit-frame-pointer' \
		EXTRA_CFLAGS='-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all' \
		EXTRA_LDFLAGS='-fsanitize=address,undefined' \
		$(FUZZ:%=$(FUZZ_BUILD)/fuzzer/fuzz_%)
	@st=0; for f in $(FUZZ); do \
		sh test/fuzz/run.sh $(FUZZ_BUILD) $$f $(FUZZ_SECONDS) || st=1; \
	done; exit $$st

# Debian packages: installed when missing (needs root or sudo).
deps:
	@sh tools/deps.sh build test

deps-bench:
	@sh tools/deps.sh build test bench

# The test suite: unit tests, bats tests, conformance; then all of it again
# under AddressSanitizer and UndefinedBehaviorSanitizer.
check: deps
	$(MAKE) all replay
	LQ_BIN=$(BUILD)/bin LQ_UNIT=$(BUILD)/test $(PROVE) $(UNITS) $(REPLAYS) test/*.bats
	$(MAKE) BUILD=build/asan OPT='-O1 -g -fno-omit-frame-pointer' \
		EXTRA_CFLAGS='-fsanitize=address,undefined -fno-sanitize-recover=all' \
		EXTRA_LDFLAGS='-fsanitize=address,undefined' all replay
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	LQ_SANITIZED=1 LQ_BIN=build/asan/bin LQ_UNIT=build/asan/test \
		$(PROVE) $(UNITS:$(BUILD)/%=build/asan/%) \
		$(REPLAYS:$(BUILD)/%=build/asan/%) test/*.bats

# Quick run without the sanitizer pass.
test: all
	LQ_BIN=$(BUILD)/bin LQ_UNIT=$(BUILD)/test $(PROVE) $(UNITS) test/*.bats

demo:
	@sh tools/deps.sh build demo
	$(MAKE) all
	@sh tools/demo.sh $(BUILD)/bin

bench: deps-bench
	$(MAKE) all
	@sh tools/bench.sh $(BUILD)/bin

install: $(TOOLS)
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	for t in $(TOOLS); do cp $$t $(DESTDIR)$(BINDIR)/; done
	for m in $(MANPAGES); do s=$${m##*.}; cp $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	mkdir -p $(DESTDIR)$(DATADIR)
	cp -R data/. $(DESTDIR)$(DATADIR)/

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(BINDIR)/$${t##*/}; done
	for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	rm -rf $(DESTDIR)$(DATADIR)
	-rmdir $(DESTDIR)$(PREFIX)/share/lq 2>/dev/null

clean:
	rm -rf build

.PHONY: all deps deps-bench check test demo bench install uninstall clean \
	replay fuzz
