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
LDLIBS = -ljq -lonig -lyaml -lsqlite3 -lcsv -lm

LIBSRC = $(wildcard lib/*.c)
LIBOBJ = $(LIBSRC:lib/%.c=$(BUILD)/obj/lib/%.o)
CMDCOMMON = $(BUILD)/obj/cmd/lqcmd.o
TOOLSRC = $(wildcard cmd/lq-*.c)
TOOLS = $(TOOLSRC:cmd/%.c=$(BUILD)/bin/%)
UNITSRC = $(wildcard test/unit/test_*.c)
UNITS = $(UNITSRC:test/unit/%.c=$(BUILD)/test/%)
MANPAGES = $(wildcard man/*.[157])
PROVE = prove --exec test/run-one --timer

all: $(TOOLS) $(UNITS)

$(BUILD)/obj/lib/%.o: lib/%.c lib/*.h
	@mkdir -p $(@D)
	$(CC) $(LQ_CFLAGS) -c -o $@ $<

$(BUILD)/obj/cmd/%.o: cmd/%.c lib/*.h cmd/*.h
	@mkdir -p $(@D)
	$(CC) $(LQ_CFLAGS) -c -o $@ $<

$(BUILD)/liblq.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(BUILD)/bin/%: $(BUILD)/obj/cmd/%.o $(CMDCOMMON) $(BUILD)/liblq.a
	@mkdir -p $(@D)
	$(CC) $(LQ_CFLAGS) $(EXTRA_LDFLAGS) $(LDFLAGS) -o $@ $< $(CMDCOMMON) $(BUILD)/liblq.a $(LDLIBS)

$(BUILD)/test/%: test/unit/%.c test/unit/tap.h $(BUILD)/liblq.a
	@mkdir -p $(@D)
	$(CC) $(LQ_CFLAGS) -Itest/unit $(EXTRA_LDFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/liblq.a $(LDLIBS)

# Debian packages: installed when missing (needs root or sudo).
deps:
	@sh tools/deps.sh build test

deps-bench:
	@sh tools/deps.sh build test bench

# The test suite: unit tests, bats tests, conformance; then all of it again
# under AddressSanitizer and UndefinedBehaviorSanitizer.
check: deps
	$(MAKE) all
	LQ_BIN=$(BUILD)/bin LQ_UNIT=$(BUILD)/test $(PROVE) $(UNITS) test/*.bats
	$(MAKE) BUILD=build/asan OPT='-O1 -g -fno-omit-frame-pointer' \
		EXTRA_CFLAGS='-fsanitize=address,undefined -fno-sanitize-recover=all' \
		EXTRA_LDFLAGS='-fsanitize=address,undefined' all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	LQ_SANITIZED=1 LQ_BIN=build/asan/bin LQ_UNIT=build/asan/test \
		$(PROVE) $(UNITS:$(BUILD)/%=build/asan/%) test/*.bats

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

.PHONY: all deps deps-bench check test demo bench install uninstall clean
