# gochan: developer Makefile. LuaRocks builds with the rockspec's builtin
# backend instead (rockspec/gochan-scm-1.rockspec); both use these names.
#
#   make            build build/gochan/core.so (-Werror; also with CC=clang)
#   make test       deps + build, busted specs, every examples/*.lua, the
#                   spec/driver/*.c multi-state drivers
#   make demo       run examples/02_producer_consumer.lua
#   make bench      the B1-B9 table against Go and cqueues (bench/peers.lua),
#                   then gochan against its floors (bench/run.lua); both go
#                   to bench/results.md
#   make bench-smoke  the B1-B9 table with small N, 1 run (a few seconds)
#   make bench-deps   install the peers (golang-go, lua-cqueues) if root
#   make lint       luacheck, cppcheck and clang-tidy, and the rockspec's lists
#                   against csrc/ and lua/
#   make asan       specs against an ASan+UBSan build (build/asan/), leaks on
#   make tsan       specs against a TSan build (build/tsan/)
#   make valgrind   specs with lua5.4 under valgrind memcheck
#   make test-asan, test-tsan (the #thread specs), test-valgrind: the same
#   make soak       randomized schedules and cross-thread stress (SOAK_SECONDS)
#   make install    DESTDIR, PREFIX, INST_LIBDIR, INST_LUADIR are honoured
#   make deps       install the Debian packages the targets above need
#   make clean

SHELL      := /bin/bash
LUA        ?= lua5.4
LUA_INCDIR ?= /usr/include/lua5.4
CC         ?= cc
# -fno-plt: the Lua API is called through the GOT directly, not a PLT stub:
# a few % on every channel operation (bench/README.md)
CFLAGS     ?= -O2 -g -fPIC -fno-plt
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
BUSTED_FLAGS ?= --exclude-tags=knownbug
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
BENCHBIN := $(patsubst bench/%.c,$(BUILDDIR)/bench/%,$(sort $(wildcard bench/*.c))) \
            $(patsubst bench/cmod/%.c,$(BUILDDIR)/bench/%.so,$(sort $(wildcard bench/cmod/*.c)))
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

-include $(OBJS:.o=.d) $(DRIVERS:=.d) $(patsubst %.so.d,%.d,$(BENCHBIN:=.d))

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

# `make bench` (bench/README.md; about 6 minutes on a 2-vCPU machine):
#  1. bench/peers.lua: the B1-B9 table, each benchmark's gochan program
#     (bench/gochan/) beside its Go peer (bench/go/, GOMAXPROCS=1 and 2), its
#     cqueues peer (bench/cqueues/) and a floor;
#  2. bench/run.lua: gochan against floors, row by row;
# both into bench/results.md (BENCH_MD), with the machine and versions.
# bench/*.c are C floors (e.g. a pthread hand-off) built into
# $(BUILDDIR)/bench/ (GOCHAN_BENCHBIN), beside the Lua modules of floors
# (bench/cmod/*.c, as NAME.so); bench/go/build.sh builds the Go
# peers into $(GOBENCHDIR) (GOCHAN_GOBIN). bench-deps installs Go and
# lua-cqueues when root with apt-get; a peer that is missing (no go, no
# cqueues, a program not written) is a skipped cell with a note.
# `make bench-smoke`: peers.lua with small N and 1 run per side (a few
# seconds, plus building the Go peers the first time); results.md untouched.
BENCH_PKGS := golang-go lua-cqueues
GOBENCHDIR  = $(BUILDDIR)/bench/go
BENCH_ENV   = $(RUN_ENV) GOCHAN_BENCHBIN='$(BUILDDIR)/bench' GOCHAN_GOBIN='$(GOBENCHDIR)'
BENCH_GO    = if [ ! -f bench/go/build.sh ]; then echo "bench: no bench/go/build.sh: Go peers skipped"; \
              elif ! command -v go >/dev/null 2>&1; then \
                echo "bench: no go command: Go peers skipped (make bench-deps installs golang-go as root)"; \
              else sh bench/go/build.sh '$(GOBENCHDIR)' || echo "bench: bench/go/build.sh failed: Go peers skipped"; fi

bench: deps all $(BENCHBIN) bench-deps
	@$(BENCH_GO)
	@status=0; \
	echo "$(LUA) bench/peers.lua"; \
	$(BENCH_ENV) $(LUA) bench/peers.lua || status=1; \
	echo "BENCH_MD_APPEND=1 $(LUA) bench/run.lua $(BENCH_ARGS)"; \
	$(BENCH_ENV) BENCH_MD_APPEND=1 $(LUA) bench/run.lua $(BENCH_ARGS) || status=1; \
	exit $$status

bench-smoke: all $(BENCHBIN)
	@$(BENCH_GO)
	$(BENCH_ENV) BENCH_QUICK=1 BENCH_RUNS=1 BENCH_MD=- $(LUA) bench/peers.lua

# The peers' packages, as `make deps` installs its own, but a package that
# cannot be installed only loses its peers' cells.
bench-deps:
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
	  echo "bench-deps: no dpkg-query (not Debian?): install Go and cqueues for Lua 5.4 by hand"; exit 0; \
	fi; \
	missing=; \
	for p in $(BENCH_PKGS); do \
	  [ "$$(dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null)" = installed ] \
	    || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "bench-deps: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  { apt-get update && apt-get install -y $$missing; } \
	    || echo "bench-deps: could not install$$missing: their peers are skipped"; \
	else \
	  echo "bench-deps: missing Debian packages:$$missing: their peers are skipped"; \
	  echo "bench-deps: to add them: sudo apt-get update && sudo apt-get install -y$$missing"; \
	fi

.PHONY: bench-smoke bench-deps

$(BUILDDIR)/bench/%: bench/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Wextra $(DEVFLAGS) -pthread -MMD -MP -Icsrc \
	  $$(pkg-config --cflags lua5.4) -o $@ $< $$(pkg-config --libs lua5.4) -pthread $(LDFLAGS)

$(BUILDDIR)/bench/%.so: bench/cmod/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Wextra $(DEVFLAGS) -MMD -MP -MF $(@:.so=.d) -I$(LUA_INCDIR) \
	  $(LIBFLAG) -o $@ $< $(LDFLAGS)

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
ASAN_OPTS     = GOCHAN_GC=aggressive ASAN_OPTIONS=detect_leaks=$(ASAN_DETECT_LEAKS):strict_string_checks=1 \
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
# #timing specs compare deadlines computed in Lua with the scheduler's own:
# at memcheck's speed the skew exceeds their gaps, so they are left out.
VALGRIND_EXCLUDE ?= --exclude-tags=timing
valgrind: deps all
	$(RUN_ENV) $(TIMEOUT) $$(($(SPEC_TIMEOUT) * 4)) $(VALGRIND) $(VALGRIND_FLAGS) \
	  $(LUA) $(BUSTED_SCRIPT) --ignore-lua --cpath='./$(BUILDDIR)/?.so' $(SAN_EXCLUDE) \
	  $(VALGRIND_EXCLUDE) $(BUSTED_FLAGS)

# ---------------------------------------------------------------- lint
# `make lint` runs every stage below, even after one failed, and fails if
# any did; the standard is zero findings:
#   lint-lua       luacheck (.luacheckrc) over lua/ spec/ examples/ bench/ types/
#   lint-c         cppcheck and clang-tidy over csrc/ (about a minute of CPU)
#   lint-rockspec  the rockspec lists every csrc/*.c and lua/**.lua
# A finding is fixed in the code. Only a false positive may be suppressed,
# in LINT_SUPPRESS below, with the reason it is false.
# The tools are Debian packages, installed by `make deps` (as root) or
# named with the command to run (otherwise): `make lint-deps`.
LINT_PKGS  := lua5.4 liblua5.4-dev lua-check cppcheck clang-tidy
CPPCHECK   ?= cppcheck
CLANG_TIDY ?= clang-tidy
LINT_JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
LINTDIR     = $(BUILDDIR)/lint
LINT_LUA   := $(LINTDIRS) $(wildcard types)
LINT_MAKE  := $(MAKE) --no-print-directory -f $(abspath $(firstword $(MAKEFILE_LIST)))

lint:
	@$(LINT_MAKE) lint-deps || exit 1; status=0; \
	$(LINT_MAKE) lint-lua || status=1; \
	$(LINT_MAKE) lint-c || status=1; \
	$(LINT_MAKE) lint-rockspec || status=1; \
	if [ $$status = 0 ]; then echo "lint: clean"; else echo "lint: FAILED (see above)"; fi; \
	exit $$status

lint-deps:
	@$(LINT_MAKE) deps DEPS_PKGS='$(LINT_PKGS)'

lint-lua:
	$(LUACHECK) --no-color -q $(LINT_LUA)

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

# cppcheck: the warning, performance and portability classes (style is for
# review), every #if configuration (--force), with cppcheck's knowledge of
# Lua's C API (lua_error and luaL_error never return) and of POSIX.
#  - invalidLengthModifierError is off: lua_pushfstring and luaL_error take
#    %I (a lua_Integer), which cppcheck's lua.cfg misreads as a printf length
#    modifier. Real printf formats are checked by the compilers (-Wformat,
#    part of -Wall in every build).
CPPCHECK_FLAGS := --enable=warning,performance,portability --std=c11 --force --quiet \
                  --library=lua --library=posix --inline-suppr \
                  --suppress=invalidLengthModifierError -I$(LUA_INCDIR) -Icsrc

# clang-tidy: bugprone, cert, clang-analyzer (the path-sensitive checks:
# null dereference, use after free, leaks, ...), concurrency, misc,
# performance and portability, without
#  - bugprone-easily-swappable-parameters: (lua_State *L, int i, int j) is
#    the shape of Lua's C API and of ours; it flags a style, not a defect;
#  - cert-dcl37-c, cert-dcl51-cpp: aliases of bugprone-reserved-identifier,
#    which runs once, allowing _GNU_SOURCE (a feature-test macro, the
#    documented way to get ppoll, dladdr and adaptive mutexes);
#  - clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling:
#    it asks for C11 Annex K (memcpy_s, ...), which glibc does not have;
#  - misc-no-recursion: copy.c encodes and decodes nested values
#    recursively on purpose, bounded by its depth limit (200);
#  - performance-no-int-to-ptr: lua_KContext is an intptr_t, so a
#    continuation gets its pointer back by this cast (Lua's API, lua_callk);
#  - bugprone-sizeof-expression: it flags sizeof(*p) for a T **p, the idiom
#    for arrays of pointers (13 places), and clang-tidy 14 (Debian 12) has
#    no option to stop that (WarnOnSizeOfPointerToAggregate came in 15).
# Sources are analysed with GOCHAN_DEBUG, so that gch_assert's invariants
# (abort() when false) prune impossible paths, and with a prelude that
# gives lua_error, luaL_error, luaL_argerror and luaL_typeerror the
# noreturn attribute they lack in lauxlib.h (they longjmp, as documented):
# without it the analyzer follows every raise as if it returned.
TIDY_CHECKS := bugprone-*,cert-*,clang-analyzer-*,concurrency-*,misc-*,performance-*,portability-*,$\
               -bugprone-easily-swappable-parameters,-cert-dcl37-c,-cert-dcl51-cpp,$\
               -clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,$\
               -misc-no-recursion,-performance-no-int-to-ptr,-bugprone-sizeof-expression
TIDY_CONFIG := {Checks: '$(TIDY_CHECKS)', CheckOptions: [$\
               {key: bugprone-reserved-identifier.AllowedIdentifiers, value: _GNU_SOURCE}]}
TIDY_CFLAGS  = -include $(LINTDIR)/noreturn.h -I$(LUA_INCDIR) -Icsrc -pthread -DGOCHAN_DEBUG

# False positives, one a line: FILE | CHECK | text of the flagged source
# line (its start is enough, spaces trimmed). Line numbers are not used, so
# an entry survives edits elsewhere; lint-c names any entry that no longer
# matches, for removal.
define LINT_SUPPRESS
# cannotcopy() raises (luaL_error) before b is used; cppcheck does not
# follow the wrapper's noreturn.
csrc/copy.c | nullPointerRedundantCheck | gch_Ref *r = (gch_Ref *)b->p;
csrc/copy.c | nullPointerRedundantCheck | int dir = b->dir;
csrc/copy.c | ctunullpointer | gch_Ref *r = (gch_Ref *)b->p;
# pinself: the handle is dropped on purpose, to keep core.so loaded for
# the life of the process (RTLD_NODELETE; see core.c).
csrc/core.c | leakReturnValNotUsed | (void)dlopen(
# S->all is a circular list with a sentinel: g->prev and S->all.next are
# never NULL, and unlinking S->all.next makes S->all.next another node.
csrc/sched.c | clang-analyzer-core.NullDereference | g->prev->next = g->next;
csrc/sched.c | clang-analyzer-unix.Malloc | all_unlink(g);
csrc/debug.c | clang-analyzer-core.NullDereference | addf(r, "goroutine %lld [%s]", (long long)g->id
# getenv races only with setenv/putenv, which neither Lua nor gochan calls.
csrc/sched.c | concurrency-mt-unsafe | const char *seed = getenv("GOCHAN_SCHED_SEED");
endef
export LINT_SUPPRESS

# The filter of lint-c: reads diagnostics ("FILE:LINE:COL: SEVERITY: MESSAGE
# [CHECK]", then the source line, carets and notes), drops those that
# LINT_SUPPRESS lists and repeats (a header's, once per source), prints the
# rest and a count; exits 1 if any is left. mawk-compatible.
define LINT_FILTER_AWK
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$$/, "", s); return s }
function suppressed(   i) {
  for (i = 1; i <= ns; i++)
    if (sfile[i] == bfile && index("," bcheck ",", "," scheck[i] ",") && index(bcode, scode[i]) == 1) {
      used[i] = 1; return 1
    }
  return 0
}
function flush() {
  if (blk == "") return
  if (suppressed()) nsup++
  else if (!(head in seen)) { seen[head] = 1; printf "%s", blk; nshown++ }
  blk = ""
}
BEGIN {
  n = split(ENVIRON["LINT_SUPPRESS"], lines, "\n")
  for (i = 1; i <= n; i++) {
    l = lines[i]
    if (l ~ /^[ \t]*(#|$$)/) continue
    a = index(l, " | "); rest = substr(l, a + 3); b = index(rest, " | ")
    if (a == 0 || b == 0) { print "lint-c: LINT_SUPPRESS entry not understood: " l; nshown++; continue }
    ns++; sfile[ns] = trim(substr(l, 1, a - 1)); scheck[ns] = trim(substr(rest, 1, b - 1))
    scode[ns] = trim(substr(rest, b + 3)); sline[ns] = l
  }
}
/^[^ \t:]+:[0-9]+:[0-9]+: [a-z]+: / && !/^[^ \t:]+:[0-9]+:[0-9]+: note: / {
  flush()
  head = $$0; bfile = $$0; sub(/:[0-9]+:[0-9]+: .*/, "", bfile); sub(/^.*\/csrc\//, "csrc/", bfile)
  sub(/^[^ \t:]+:/, bfile ":", head)
  bcheck = ""; if (match($$0, /\[[^ ]+\]$$/)) bcheck = substr($$0, RSTART + 1, RLENGTH - 2)
  blk = head "\n"; bcode = ""; wantcode = 1; next
}
/^[0-9]+ warnings? generated\.$$/ { next }
{
  if (blk == "") { if ($$0 != "") { print; nshown++ } }
  else { if (wantcode) { bcode = trim($$0); wantcode = 0 }; blk = blk $$0 "\n" }
}
END {
  flush()
  for (i = 1; i <= ns; i++)
    if (!used[i]) print "lint-c: note: this LINT_SUPPRESS entry matched nothing (remove it?): " sline[i]
  printf "lint-c: %d finding(s), %d known false positive(s) suppressed\n", nshown, nsup
  exit nshown > 0
}
endef
export LINT_FILTER_AWK

TIDY_OUTS := $(patsubst csrc/%.c,$(LINTDIR)/%.tidy,$(SRCS))

lint-c:
	@for t in $(CPPCHECK) $(CLANG_TIDY); do command -v $$t >/dev/null || \
	  { echo "lint-c: $$t is missing: run make lint-deps"; exit 1; }; done
	@rm -f $(LINTDIR)/*.tidy $(LINTDIR)/cppcheck.out
	@$(LINT_MAKE) -j$(LINT_JOBS) $(LINTDIR)/cppcheck.out $(TIDY_OUTS)
	@echo "lint-c: $(CPPCHECK) and $(CLANG_TIDY) over $(SRCS)"
	@cat $(LINTDIR)/cppcheck.out $(TIDY_OUTS) | awk "$$LINT_FILTER_AWK"

# Each tool's output goes to a file (parallel runs would interleave); a
# tool that fails adds a line that the filter counts as a finding.
$(LINTDIR)/cppcheck.out: FORCE
	@mkdir -p $(@D)
	@$(CPPCHECK) $(CPPCHECK_FLAGS) --template='{file}:{line}:{column}: {severity}: {message} [{id}]\n{code}' \
	  $(SRCS) > $@ 2>&1 || echo "cppcheck:0:0: error: $(CPPCHECK) failed (exit $$?) [lint]" >> $@

$(LINTDIR)/%.tidy: csrc/%.c $(LINTDIR)/noreturn.h FORCE
	@$(CLANG_TIDY) --quiet --config="$(TIDY_CONFIG)" --header-filter='/csrc/' $< -- $(TIDY_CFLAGS) \
	  > $@ 2>&1 || echo "$<:0:0: error: $(CLANG_TIDY) failed (exit $$?) [lint]" >> $@

$(LINTDIR)/noreturn.h: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' '/* lint only (Makefile): the Lua functions that raise never return */' \
	  'struct lua_State;' \
	  '__attribute__((noreturn)) int lua_error (struct lua_State *L);' \
	  '__attribute__((noreturn)) int luaL_error (struct lua_State *L, const char *fmt, ...);' \
	  '__attribute__((noreturn)) int luaL_argerror (struct lua_State *L, int arg, const char *extramsg);' \
	  '__attribute__((noreturn)) int luaL_typeerror (struct lua_State *L, int arg, const char *tname);' > $@

.PHONY: lint-c lint-deps

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
