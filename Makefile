# gochan: developer Makefile. LuaRocks builds with the rockspec's builtin
# backend instead (rockspec/gochan-scm-1.rockspec); both use these names.
#
#   make            build build/gochan/core.so (-Werror; also with CC=clang)
#   make test       deps + build, busted specs, every examples/*.lua, the
#                   spec/driver/*.c multi-state drivers
#   make demo       run examples/02_producer_consumer.lua
#   make bench      run bench/run.lua
#   make lint       luacheck, and the rockspec's lists against csrc/ and lua/
#   make asan       specs against an ASan+UBSan build (build/asan/), leaks on
#   make tsan       specs against a TSan build (build/tsan/)
#   make valgrind   specs with lua5.4 under valgrind memcheck
#   make install    DESTDIR, PREFIX, INST_LIBDIR, INST_LUADIR are honoured
#   make deps       install the Debian packages the targets above need
#   make clean

SHELL      := /bin/bash
LUA        ?= lua5.4
LUA_INCDIR ?= /usr/include/lua5.4
CC         ?= cc
CFLAGS     ?= -O2 -g -fPIC
LIBFLAG    ?= -shared
DEVFLAGS   ?= -Werror
BUILDDIR   ?= build

WARN       := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
              -Wcast-qual -Wwrite-strings -Wundef -Wpointer-arith
ALLCFLAGS   = $(CFLAGS) $(WARN) $(DEVFLAGS) -pthread -fvisibility=hidden -MMD -MP \
              -I$(LUA_INCDIR) -Icsrc

PREFIX      ?= /usr/local
INST_LIBDIR ?= $(PREFIX)/lib/lua/5.4
INST_LUADIR ?= $(PREFIX)/share/lua/5.4
INSTALL     ?= install

BUSTED       ?= busted
BUSTED_FLAGS ?=
LUACHECK     ?= luacheck
TIMEOUT      ?= timeout
SPEC_TIMEOUT    ?= 600
EXAMPLE_TIMEOUT ?= 60
DRIVER_TIMEOUT  ?= 120
DEMO         ?= examples/02_producer_consumer.lua
ROCKSPEC     := rockspec/gochan-scm-1.rockspec

# Debian packages `make deps` installs when one is missing.
DEPS_PKGS  := lua5.4 liblua5.4-dev lua-busted luarocks lua-check pkg-config

# Where scripts run by test/demo/bench find the module: this tree only
# (";;" appends Lua's defaults, for the interpreter's own libraries).
RUN_ENV     = LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' \
              LUA_CPATH='./$(BUILDDIR)/?.so;;' GOCHAN_BUILDDIR='$(BUILDDIR)'

SRCS     := $(sort $(wildcard csrc/*.c))
OBJS     := $(patsubst csrc/%.c,$(BUILDDIR)/obj/%.o,$(SRCS))
SO       := $(BUILDDIR)/gochan/core.so
LUAMODS  := $(sort $(wildcard lua/gochan/*.lua))
EXAMPLES := $(sort $(wildcard examples/*.lua))
DRIVERS  := $(patsubst spec/driver/%.c,$(BUILDDIR)/driver/%,$(sort $(wildcard spec/driver/*.c)))
BENCHBIN := $(patsubst bench/%.c,$(BUILDDIR)/bench/%,$(sort $(wildcard bench/*.c)))
LINTDIRS := $(wildcard lua spec examples bench)

# Changing CC or a flag rebuilds: the command line is kept in a stamp file
# that is rewritten only when it differs.
FLAGS_STAMP := $(BUILDDIR)/.flags
FLAGS_NOW    = $(CC) $(ALLCFLAGS) :: $(LIBFLAG) $(LDFLAGS)

all: $(SO)

$(SO): $(OBJS) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(LIBFLAG) -pthread -o $@ $(OBJS) $(LDFLAGS)

$(BUILDDIR)/obj/%.o: csrc/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -c -o $@ $<

$(FLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(FLAGS_NOW)' | cmp -s - $@ || echo '$(FLAGS_NOW)' > $@

# With `make -j test`, compiling waits for `deps` (the headers may be missing).
ifneq ($(filter test demo bench asan tsan valgrind,$(MAKECMDGOALS)),)
$(OBJS): | deps
endif

-include $(OBJS:.o=.d) $(DRIVERS:=.d) $(BENCHBIN:=.d)

# ---------------------------------------------------------------- deps
deps:
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
	  echo "deps: no dpkg-query (not Debian?): install by hand: $(DEPS_PKGS)"; exit 0; \
	fi; \
	missing=; \
	for p in $(DEPS_PKGS); do \
	  [ "$$(dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null)" = installed ] \
	    || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "deps: missing Debian packages:$$missing"; \
	  echo "deps: run: sudo apt-get update && sudo apt-get install -y$$missing"; \
	  exit 1; \
	fi; \
	echo "deps: installing$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update && apt-get install -y $$missing

# ---------------------------------------------------------------- test
# Every stage runs even if an earlier one failed; the target fails if any did.
test: deps all
	@status=0; \
	$(MAKE) --no-print-directory test-specs || status=1; \
	$(MAKE) --no-print-directory test-examples || status=1; \
	$(MAKE) --no-print-directory test-drivers || status=1; \
	exit $$status

test-specs: all
	$(RUN_ENV) $(TIMEOUT) $(SPEC_TIMEOUT) $(BUSTED) --lua=$(LUA) --cpath='./$(BUILDDIR)/?.so' $(BUSTED_FLAGS)

# One line per example: "PASS  example  FILE" or "FAIL  example  FILE (...)",
# then the failed example's output (.ci/run counts these lines).
test-examples: all
	@mkdir -p $(BUILDDIR)/examples; pass=0; fail=0; \
	for f in $(EXAMPLES); do \
	  log=$(BUILDDIR)/examples/$$(basename $$f .lua).log; \
	  if $(RUN_ENV) $(TIMEOUT) $(EXAMPLE_TIMEOUT) $(LUA) $$f </dev/null >$$log 2>&1; then \
	    pass=$$((pass + 1)); echo "PASS  example  $$f"; \
	  else \
	    rc=$$?; fail=$$((fail + 1)); \
	    if [ $$rc = 124 ]; then why="timed out after $(EXAMPLE_TIMEOUT)s"; else why="exit $$rc"; fi; \
	    echo "FAIL  example  $$f ($$why); its output:"; tail -n 40 $$log | sed 's/^/    | /'; \
	  fi; \
	done; \
	echo "examples: $$pass of $$((pass + fail)) ran cleanly"; \
	[ $$fail = 0 ]

# Each spec/driver/X.c is a C program embedding its own lua_States (linked
# against liblua5.4, unlike the module); it runs from the top directory.
test-drivers: all $(DRIVERS)
	@pass=0; fail=0; \
	for d in $(DRIVERS); do \
	  if $(RUN_ENV) $(TIMEOUT) $(DRIVER_TIMEOUT) $$d </dev/null; then \
	    pass=$$((pass + 1)); echo "PASS  driver  $$d"; \
	  else \
	    rc=$$?; fail=$$((fail + 1)); echo "FAIL  driver  $$d (exit $$rc)"; \
	  fi; \
	done; \
	[ -z "$(DRIVERS)" ] || echo "drivers: $$pass of $$((pass + fail)) ran cleanly"; \
	[ $$fail = 0 ]

$(BUILDDIR)/driver/%: spec/driver/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Wextra $(DEVFLAGS) -pthread -MMD -MP -Icsrc \
	  $$(pkg-config --cflags lua5.4) -o $@ $< $$(pkg-config --libs lua5.4) -pthread $(LDFLAGS)

# ---------------------------------------------------------------- demo, bench
demo: deps all
	@[ -f $(DEMO) ] || { echo "demo: $(DEMO) does not exist (yet)"; exit 1; }
	$(RUN_ENV) $(LUA) $(DEMO)

# bench/*.c, if any, are C floors (e.g. a pthread hand-off) built into
# $(BUILDDIR)/bench/; bench/run.lua finds them through GOCHAN_BENCHBIN.
bench: deps all $(BENCHBIN)
	$(RUN_ENV) GOCHAN_BENCHBIN='$(BUILDDIR)/bench' $(LUA) bench/run.lua $(BENCH_ARGS)

$(BUILDDIR)/bench/%: bench/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Wextra $(DEVFLAGS) -pthread -MMD -MP -Icsrc \
	  $$(pkg-config --cflags lua5.4) -o $@ $< $$(pkg-config --libs lua5.4) -pthread $(LDFLAGS)

# ---------------------------------------------------------------- install
install: all
	$(INSTALL) -d $(DESTDIR)$(INST_LIBDIR)/gochan $(DESTDIR)$(INST_LUADIR)/gochan
	$(INSTALL) -m 0755 $(SO) $(DESTDIR)$(INST_LIBDIR)/gochan/core.so
	$(INSTALL) -m 0644 $(LUAMODS) $(DESTDIR)$(INST_LUADIR)/gochan/

uninstall:
	rm -f $(DESTDIR)$(INST_LIBDIR)/gochan/core.so \
	  $(patsubst lua/%,$(DESTDIR)$(INST_LUADIR)/%,$(LUAMODS))
	-rmdir $(DESTDIR)$(INST_LIBDIR)/gochan $(DESTDIR)$(INST_LUADIR)/gochan 2>/dev/null

# ---------------------------------------------------------------- sanitizers
# The module built by gcc with ASan+UBSan (build/asan/) or TSan (build/tsan/),
# the specs run by busted under the uninstrumented lua5.4: the sanitizer
# runtime must be loaded first, hence LD_PRELOAD on lua5.4 (not on busted's
# launcher, which re-executes itself under --lua), with sanshim.so, which
#  - removes LD_PRELOAD from the environment once loaded, so that the shells
#    and tools the specs start run plain (TSan crashes sh);
#  - makes dlclose a no-op, so that leak stacks still name our functions
#    after lua_close unloaded core.so (instead of "<unknown module>").
# Lua processes that specs start through $LUA (spec/support.lua's run_lua)
# get the runtime too; they load this build's module if they honour
# GOCHAN_BUILDDIR. Specs tagged #rss (RSS measurements: ASan's quarantine and
# shadow memory inflate RSS) or #valgrind are excluded.
# Leak detection is on (ASAN_DETECT_LEAKS=0 turns it off): lua5.4 and busted
# free, or keep reachable, all they allocate, so a leak report is ours.
# TSan: no function entry/exit instrumentation, because goroutines yield by
# longjmp out of our C frames and TSan's shadow call stack would overflow;
# races are still reported, with the accessing frame only.
SAN_CC       ?= gcc
SAN_EXCLUDE  ?= --exclude-tags=rss,valgrind,knownbug
ASAN_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
TSAN_SAN     := -fsanitize=thread
SAN_CFLAGS    = -O1 -g -fno-omit-frame-pointer -fPIC -DGOCHAN_DEBUG
ASAN_DETECT_LEAKS ?= 1
ASAN_OPTS     = ASAN_OPTIONS=detect_leaks=$(ASAN_DETECT_LEAKS):strict_string_checks=1 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
TSAN_OPTS     = TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
BUSTED_SCRIPT ?= $(shell command -v $(BUSTED) 2>/dev/null)

# $(call san_make,SAN,FLAGS): this Makefile, building into build/SAN.
san_make = $(MAKE) --no-print-directory BUILDDIR=build/$(1) CC=$(SAN_CC) \
           CFLAGS='$(SAN_CFLAGS) $(2)' LDFLAGS='$(2)' SAN=$(1)

asan: deps
	$(call san_make,asan,$(ASAN_SAN)) all build/asan/sanshim.so
	$(call san_make,asan,$(ASAN_SAN)) san-specs

tsan: deps
	$(call san_make,tsan,$(TSAN_SAN)) all build/tsan/sanshim.so
	$(call san_make,tsan,$(TSAN_SAN)) san-specs

# The names the issues use: all specs under ASan+UBSan; the specs that
# start OS threads (tagged #thread) under TSan; all specs under memcheck.
test-asan: asan

test-tsan:
	$(MAKE) --no-print-directory tsan BUSTED_FLAGS="--tags=thread $(BUSTED_FLAGS)"

test-valgrind: valgrind

san-specs:
	@pre="$$($(SAN_CC) -print-file-name=lib$(SAN).so):$(CURDIR)/$(BUILDDIR)/sanshim.so"; set -x; \
	$(RUN_ENV) $(if $(filter tsan,$(SAN)),$(TSAN_OPTS),$(ASAN_OPTS)) \
	  LUA="env LD_PRELOAD=$$pre $(LUA)" $(TIMEOUT) $(SPEC_TIMEOUT) env LD_PRELOAD="$$pre" \
	  $(LUA) $(BUSTED_SCRIPT) --ignore-lua --cpath='./$(BUILDDIR)/?.so' $(SAN_EXCLUDE) $(BUSTED_FLAGS)

$(BUILDDIR)/sanshim.so:
	@mkdir -p $(@D)
	printf '%s\n' '#include <stdlib.h>' 'int dlclose(void *h);' \
	  'int dlclose(void *h) { (void)h; return 0; }' \
	  '__attribute__((constructor)) static void unpreload(void) { unsetenv("LD_PRELOAD"); }' \
	  > $(@D)/sanshim.c
	$(CC) -shared -fPIC -o $@ $(@D)/sanshim.c

# ---------------------------------------------------------------- valgrind
# The regular build, the specs with lua5.4 under memcheck (children are not
# traced). Slow: roughly 30x the plain run.
VALGRIND       ?= valgrind
VALGRIND_FLAGS ?= --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
                  --track-origins=yes --quiet
valgrind: deps all
	$(RUN_ENV) $(TIMEOUT) $$(($(SPEC_TIMEOUT) * 4)) $(VALGRIND) $(VALGRIND_FLAGS) \
	  $(LUA) $(BUSTED_SCRIPT) --ignore-lua --cpath='./$(BUILDDIR)/?.so' $(SAN_EXCLUDE) $(BUSTED_FLAGS)

# ---------------------------------------------------------------- lint
lint: lint-lua lint-rockspec

lint-lua:
	$(LUACHECK) $(LINTDIRS)

# The rockspec lists every csrc/*.c for gochan.core, and every lua/**.lua.
lint-rockspec:
	@want=$$(ls csrc/*.c | sort); \
	have=$$($(LUA) -e 'local e = {} assert(loadfile("$(ROCKSPEC)", "t", e))() \
	  for _, s in ipairs(e.build.modules["gochan.core"].sources) do print(s) end' | sort); \
	if [ "$$want" != "$$have" ]; then \
	  echo "lint: $(ROCKSPEC) gochan.core sources differ from csrc/*.c:"; \
	  diff <(echo "$$have") <(echo "$$want") | sed -n 's/^</  only in rockspec:/p; s/^>/  missing from rockspec:/p'; \
	  exit 1; \
	fi; \
	want=$$(find lua -name '*.lua' | sort); \
	have=$$($(LUA) -e 'local e = {} assert(loadfile("$(ROCKSPEC)", "t", e))() \
	  for _, s in pairs(e.build.modules) do if type(s) == "string" then print(s) end end' | sort); \
	if [ "$$want" != "$$have" ]; then \
	  echo "lint: $(ROCKSPEC) Lua modules differ from lua/**.lua:"; \
	  diff <(echo "$$have") <(echo "$$want") | sed -n 's/^</  only in rockspec:/p; s/^>/  missing from rockspec:/p'; \
	  exit 1; \
	fi; \
	echo "lint: $(ROCKSPEC) lists all of csrc/*.c and lua/"

# ---------------------------------------------------------------- clean
# Also what `luarocks make` leaves in the tree (objects beside the sources).
clean:
	rm -rf build
	rm -f csrc/*.o gochan/core.so
	-@rmdir gochan 2>/dev/null || true

FORCE:

.PHONY: test-asan test-tsan test-valgrind all deps test test-specs test-examples test-drivers demo bench install \
        uninstall asan tsan san-specs valgrind lint lint-lua lint-rockspec clean FORCE

# ---------------------------------------------------------------- soak
# bench/soak.lua: the property scenarios (spec/property/*.lua) in new
# processes with fresh GOCHAN_SCHED_SEEDs, plus a long-lived cross-thread
# stress, for SOAK_SECONDS (default 600); ops, peak RSS of the children and
# any invariant failure (then it fails). CI: `SOAK_SECONDS=60 make soak`.
SOAK_SECONDS ?= 600
soak: deps all
	$(RUN_ENV) SOAK_SECONDS=$(SOAK_SECONDS) $(LUA) bench/soak.lua

.PHONY: soak
