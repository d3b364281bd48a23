# SPDX-License-Identifier: MIT
# Plain Makefile: pkg-config, strict warnings, automatic header dependencies.
# Quiet unless V=1. -Werror when CI is set (CI=true make check).
#
# Conventions (nothing to edit when adding files):
#   controller/ readers/ firmware-glue/ db/  *.c      -> build/libvault.a
#   <dir>/NAME-main.c                                 -> build/NAME (a program)
#   tests/test-NAME.c                                 -> build/tests/test-NAME (a test)
#   tests/lib-*.c                                     -> linked into every test
#   tests/t-NAME.sh                                   -> a shell test
#   tests/preload-NAME.c                              -> build/tests/NAME.so (LD_PRELOAD)
#   bench/bench-NAME.c                                -> build/bench/bench-NAME
#   fuzz/fuzz-NAME.c                                  -> build/fuzz/fuzz-NAME (clang)
#   db/migrations/NNNN-*.sql                          -> embedded schema migrations
#   tools/deps.list                                   -> Debian packages `make deps` installs

PREFIX  ?= /usr/local
DESTDIR ?=
B       ?= build
CC      ?= cc
CFLAGS  ?= -O2 -g
SAN     ?=

ifeq ($(V),1)
Q :=
else
Q := @
endif

PKGS := libnfc libfreefare libmodbus libgpiod sqlite3 libsodium inih libcjson \
        libsystemd libmicrohttpd libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpaho-mqtt3as -lpthread -lutil -lm

WARN := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
        -Wformat=2 -Wno-unused-parameter -Wno-format-nonliteral
ifneq ($(CI),)
WARN += -Werror
endif

ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) -Iinclude -I$(B)/gen -Ifirmware-glue \
             $(PKG_CFLAGS) -MMD -MP $(CFLAGS) $(SAN)
ALL_LDFLAGS = $(SAN) $(LDFLAGS)

SRC_DIRS   := controller readers firmware-glue db
ALL_SRCS   := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c))
PROG_SRCS  := $(filter %-main.c,$(ALL_SRCS))
LIB_SRCS   := $(filter-out %-main.c,$(ALL_SRCS))
LIB_OBJS   := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRCS)) $(B)/obj/gen/migrations.o
PROGS      := $(foreach s,$(PROG_SRCS),$(B)/$(patsubst %-main.c,%,$(notdir $(s))))

TEST_SRCS  := $(wildcard tests/test-*.c)
TESTLIB_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(wildcard tests/lib-*.c))
TESTS      := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRCS))
# tests/preload-NAME.c -> build/tests/NAME.so: LD_PRELOAD fault injection
PRELOADS   := $(patsubst tests/preload-%.c,$(B)/tests/%.so,$(wildcard tests/preload-*.c))
BENCH_SRCS := $(wildcard bench/bench-*.c)
BENCHES    := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRCS))
FUZZ_SRCS  := $(wildcard fuzz/fuzz-*.c)
MIGRATIONS := $(sort $(wildcard db/migrations/*.sql))

.SECONDARY:
.PHONY: all deps check check-run demo asan bench fuzz install clean tests programs
all: programs

programs: $(PROGS)
tests: $(TESTS) $(PRELOADS) $(PROGS)

deps:
	$(Q)tools/deps.sh

$(B)/libvault.a: $(LIB_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@if [ -z "$(Q)" ]; then :; else echo "  CC      $<"; fi
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/gen/migrations.c: $(MIGRATIONS) tools/sql2c.sh
	@mkdir -p $(dir $@)
	$(Q)tools/sql2c.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(B)/obj/gen/migrations.o: $(B)/gen/migrations.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

define prog_rule
$(B)/$(patsubst %-main.c,%,$(notdir $(1))): $(patsubst %.c,$(B)/obj/%.o,$(1)) $(B)/libvault.a
	@echo "  LD      $$@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $$@ $$^ $(PKG_LIBS)
endef
$(foreach s,$(PROG_SRCS),$(eval $(call prog_rule,$(s))))

$(B)/tests/%: $(B)/obj/tests/%.o $(TESTLIB_OBJS) $(B)/libvault.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Built without the sanitizers: it is loaded into a program that has them.
$(B)/tests/%.so: tests/preload-%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE -fPIC -shared $(WARN) $(PKG_CFLAGS) $(CFLAGS) -o $@ $< -ldl

$(B)/bench/%: $(B)/obj/bench/%.o $(TESTLIB_OBJS) $(B)/libvault.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# `make check`: install what is missing, build, run every test. The last line
# of the output is "N passed, N failed, N skipped".
check: deps
	$(Q)tools/browser-deps.sh
	$(Q)$(MAKE) --no-print-directory check-run

check-run: tests
	$(Q)B=$(B) tests/run

asan:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory B=build-asan CC=clang \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" check-run

demo: deps
	$(Q)$(MAKE) --no-print-directory programs
	$(Q)B=$(B) tools/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory $(BENCHES) $(PROGS)
	$(Q)B=$(B) tools/bench.sh

# libFuzzer harnesses, each run for FUZZ_SECONDS (default 20).
FUZZ_SECONDS ?= 20
fuzz: deps
	$(Q)$(MAKE) --no-print-directory B=build-fuzz CC=clang CFLAGS="-O1 -g" \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined" build-fuzz/libvault.a
	$(Q)B=build-fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) tools/fuzz.sh $(FUZZ_SRCS)

install: programs
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin \
	  $(DESTDIR)/etc/vault $(DESTDIR)/lib/systemd/system \
	  $(DESTDIR)/usr/lib/sysusers.d $(DESTDIR)/usr/lib/tmpfiles.d $(DESTDIR)/lib/udev/rules.d
	install -m 0755 $(B)/vaultd $(DESTDIR)$(PREFIX)/sbin/vaultd
	install -m 0755 $(B)/vaultctl $(DESTDIR)$(PREFIX)/bin/vaultctl
	install -m 0755 $(B)/vault-verifier $(DESTDIR)$(PREFIX)/bin/vault-verifier
	install -m 0644 docs/vault.ini.example $(DESTDIR)/etc/vault/vault.ini.example
	for f in systemd/*.service; do [ -e "$$f" ] && install -m 0644 $$f $(DESTDIR)/lib/systemd/system/; done; true
	[ -e systemd/vault.sysusers ] && install -m 0644 systemd/vault.sysusers $(DESTDIR)/usr/lib/sysusers.d/vault.conf || true
	[ -e systemd/vault.tmpfiles ] && install -m 0644 systemd/vault.tmpfiles $(DESTDIR)/usr/lib/tmpfiles.d/vault.conf || true
	[ -e systemd/60-vault.rules ] && install -m 0644 systemd/60-vault.rules $(DESTDIR)/lib/udev/rules.d/ || true
	install -d $(DESTDIR)/etc/systemd/system.conf.d
	install -m 0644 systemd/vault-watchdog.conf $(DESTDIR)/etc/systemd/system.conf.d/vault-watchdog.conf
	install -d $(DESTDIR)$(PREFIX)/share/vault/web $(DESTDIR)$(PREFIX)/share/doc/vault
	install -m 0644 web/* $(DESTDIR)$(PREFIX)/share/vault/web/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/vault/

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
