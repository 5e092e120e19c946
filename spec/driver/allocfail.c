/*
** allocfail.c: gochan under allocation failure. Each scenario (a Lua
** chunk: channels with goroutines, select, Mutex, WaitGroup, timers,
** go.thread with a copied table, goroutine errors) runs in a lua_State
** made by lua_newstate with an allocator that fails the N-th allocation,
** for every N from 1 to the scenario's allocation count (measured by a
** first run where nothing fails; sampled with a stride when that count is
** above MAX_POINTS). Each run must end in success or in a Lua error whose
** message says "not enough memory", and lua_close must then not crash.
**
** Two ways to fail, each over every N:
**  - once:   only the N-th allocation fails. Lua retries a failed
**            allocation after an emergency collection, so most of these
**            runs succeed: they test the emergency collection while
**            gochan's objects are half made.
**  - sticky: the N-th allocation and every later one fail, until the
**            scenario's lua_pcall returns (then lua_close may allocate).
**            This makes the error paths run.
**
** Only allocations of the Lua state are failed (that is, what Lua
** allocates for gochan: userdata, tables, coroutines, strings). gochan's
** own C structs (channels, goroutine records, waiters, messages, the run
** queue, timer heaps) are malloc'd, not made with the Lua allocator, and
** never fail here; neither does anything of the state of a go.thread,
** which is made by luaL_newstate with the default allocator.
**
** Each run is a child process (fork), so that a crash or a hang is
** reported with its N and the runs go on; a child that takes more than
** RUN_TIMEOUT seconds is killed. Under ASan/LSan (build it with
** -fsanitize=address and load an ASan build of gochan.core) a leak at the
** child's exit makes the run fail too.
**
** Usage: allocfail [SCENARIO]          all scenarios, or one
**        allocfail SCENARIO N [once]   one run failing allocation N (sticky
**                                      unless 'once'), in this process, with
**                                      the C stack of the failed allocation
** Exit status 0 if every run was clean; otherwise the failures are
** printed (the first few with the child's stderr).
*/
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__GLIBC__) || defined(__linux__)
#include <execinfo.h>
#define HAVE_BACKTRACE 1
#endif

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

#define MAX_POINTS 3000     /* above this many allocations, sample with a stride */
#define RUN_TIMEOUT 20      /* seconds for one run */
#define SHOW_FAILURES 3     /* failed runs whose stderr is shown, per scenario
                               and way of failing (env ALLOCFAIL_SHOW) */
#define MAX_OUT 65536       /* child stderr kept */

/* outcomes of a run (the child's exit status) */
#define OUT_SUCCESS 0
#define OUT_NOMEM   10
#define OUT_OTHER   11      /* an error without "not enough memory" */
#define OUT_SETUP   12      /* could not even start (state, load) */

typedef struct Scenario {
  const char *name;
  const char *src;
} Scenario;

static const Scenario scenarios[] = {
  {"unbuffered",
   "local go = require 'gochan'\n"
   "local ch, done = go.chan(), go.chan()\n"
   "for i = 1, 3 do\n"
   "  go(function() for k = 1, 4 do ch:send({i, k}) end; done:send(i) end)\n"
   "end\n"
   "local n = 0\n"
   "for _ = 1, 12 do local v = ch:recv(); n = n + v[1] * v[2] end\n"
   "for _ = 1, 3 do done:recv() end\n"
   "assert(n == 60, n)\n"
   "go(function() ch:close() end)\n"
   "assert(select(2, ch:recv()) == false)\n"
   "local parked = go.chan()\n"
   "for _ = 1, 3 do go(function() parked:recv() end) end\n"  /* left blocked */
   "go.yield()\n"},
  {"buffered",
   "local go = require 'gochan'\n"
   "local ch = go.chan(4)\n"
   "local out, inp = ch:send_only(), ch:recv_only()\n"
   "go(function() for i = 1, 20 do out:send(tostring(i)) end; out:close() end)\n"
   "local got = {}\n"
   "for v in inp:range() do got[#got + 1] = v end\n"
   "assert(#got == 20 and got[20] == '20')\n"
   "local b = go.chan(8)\n"
   "for i = 1, 8 do b:send({i}) end\n"
   "assert(#b == 8 and b:cap() == 8 and tostring(b) == 'chan(8/8)')\n"
   "go(function() b:send('extra') end)\n"  /* blocks: full */
   "go.yield()\n"
   "for i = 1, 9 do b:recv() end\n"
   "do local c <close> = go.chan(1); c:send(1) end\n"},
  {"select",
   "local go = require 'gochan'\n"
   "local a, b, c = go.chan(), go.chan(1), go.chan()\n"
   "go(function() for i = 1, 5 do a:send(i) end end)\n"
   "go(function() for i = 1, 5 do c:recv() end end)\n"
   "local n = 0\n"
   "for _ = 1, 15 do\n"
   "  n = n + go.select {\n"
   "    go.recv(a, function(v) return v end),\n"
   "    go.send(c, 'x', function() return 100 end),\n"
   "    go.recv(b, function(v) return v end),\n"
   "    go.recv(nil),\n"
   "    default = function() return 0 end,\n"
   "  }\n"
   "  go.yield()\n"
   "end\n"
   "local i, v, ok = go.select { go.send(b, 7), default = true }\n"
   "assert(go.select { go.recv(b) } == 1)\n"
   "go(function() go.select { go.recv(a), go.recv(go.chan()) } end)\n"
   "go.yield()\n"
   "a:send('to the select')\n"
   "assert(go.select { go.recv(go.after(0)), go.recv(go.chan()) } == 1)\n"},
  {"mutex",
   "local go = require 'gochan'\n"
   "local mu, n, wg = go.mutex(), 0, go.waitgroup()\n"
   "for _ = 1, 5 do\n"
   "  wg:add(1)\n"
   "  go(function()\n"
   "    for _ = 1, 3 do\n"
   "      local _ <close> = mu:lock()\n"
   "      local v = n; go.yield(); n = v + 1\n"
   "    end\n"
   "    wg:done()\n"
   "  end)\n"
   "end\n"
   "wg:wait()\n"
   "assert(n == 15, n)\n"
   "assert(mu:try_lock()); mu:unlock()\n"
   "local rw = go.rwmutex()\n"
   "do local _ <close> = rw:rlock() end\n"
   "do local _ <close> = rw:lock() end\n"
   "local cond, ready, done = go.cond(mu), false, go.chan(3)\n"
   "for _ = 1, 3 do\n"
   "  go(function() mu:lock(); while not ready do cond:wait() end; mu:unlock(); done:send(1) end)\n"
   "end\n"
   "go.yield()\n"
   "mu:lock(); ready = true; cond:broadcast(); mu:unlock()\n"
   "for _ = 1, 3 do done:recv() end\n"
   "local once, calls = go.once(), 0\n"
   "for _ = 1, 3 do once:call(function() calls = calls + 1 end) end\n"
   "assert(calls == 1)\n"
   "mu:lock()\n"
   "go(function() mu:lock() end)\n"  /* left blocked on the Mutex */
   "go.yield()\n"},
  {"waitgroup",
   "local go = require 'gochan'\n"
   "local wg, res = go.waitgroup(), go.chan(10)\n"
   "for i = 1, 10 do\n"
   "  wg:add(1)\n"
   "  go(function() res:send(i * i); wg:done() end)\n"
   "end\n"
   "wg:wait()\n"
   "res:close()\n"
   "local sum = 0\n"
   "for v in res:range() do sum = sum + v end\n"
   "assert(sum == 385, sum)\n"
   "local w2 = go.waitgroup()\n"
   "w2:add(2)\n"
   "for _ = 1, 3 do go(function() w2:wait() end) end\n"
   "go.yield()\n"
   "w2:done(); w2:done()\n"
   "go.yield()\n"
   "w2:add(1)\n"
   "go(function() w2:wait() end)\n"  /* left blocked */
   "go.yield()\n"},
  {"timers",
   "local go = require 'gochan'\n"
   "local t = go.timer(0)\n"
   "assert(type(t.C:recv()) == 'number')\n"
   "assert(t:reset(0) == false)\n"
   "assert(t:stop() == true)\n"
   "assert(t:reset(0) == false)\n"
   "t.C:recv()\n"
   "go.after(0):recv()\n"
   "local tk = go.ticker(0.001)\n"
   "tk.C:recv(); tk.C:recv()\n"
   "tk:reset(0.001)\n"
   "tk.C:recv()\n"
   "tk:stop()\n"
   "go.sleep(0.001)\n"
   "local fired = go.chan(1)\n"
   "local af = go.after_func(0, function() fired:send(tostring(go.id())) end)\n"
   "fired:recv()\n"
   "assert(af:stop() == false)\n"
   "go(function() go.sleep(0.001) end)\n"
   "go(function() go.sleep(3600) end)\n"  /* left sleeping */
   "go.sleep(0.002)\n"
   "local idle = go.timer(3600)\n"
   "local hb = go.ticker(3600)\n"
   "local late = go.after_func(3600, print)\n"
   "assert(tostring(idle) == 'gochan.timer (active)')\n"},
  {"thread",
   "local go = require 'gochan'\n"
   "local data = {a = 1, list = {1, 2, 3}, nested = {y = 'z', deep = {{{'x'}}}}}\n"
   "data.self = data\n"
   "local th = go.thread(function(t, n)\n"
   "  assert(t.self == t)\n"
   "  return t.a + #t.list + n, {copy = t.nested.y, deep = t.nested.deep}\n"
   "end, data, 10)\n"
   "local sum, back = th:join()\n"
   "assert(sum == 14 and back.copy == 'z' and back.deep[1][1][1] == 'x')\n"
   "local sh, res = go.chan(2), go.chan()\n"
   "local th2 = go.thread(function(inp, out)\n"
   "  for v in inp:range() do out:send({v.k * 2, v.s}) end\n"
   "  out:close()\n"
   "end, sh, res)\n"
   "go(function() for k = 1, 4 do sh:send({k = k, s = string.rep('s', k)}) end; sh:close() end)\n"
   "local total = 0\n"
   "for v in res:range() do total = total + v[1] end\n"
   "assert(total == 20, total)\n"
   "th2:join()\n"
   "assert(tostring(th2) == 'gochan.thread (done)')\n"},
  {"goerrors",
   "local go = require 'gochan'\n"
   "for i = 1, 3 do\n"
   "  go(function() error('boom ' .. i) end)\n"
   "  local ok, err = pcall(go.yield)\n"
   "  assert(not ok)\n"
   "  if not tostring(err):find('not enough memory', 1, true) then\n"
   "    assert(tostring(err):find('boom ' .. i, 1, true), err)\n"
   "  end\n"
   "end\n"
   "local ch = go.chan()\n"
   "go(function() local c <close> = go.chan(); ch:recv(); error({}) end)\n"
   "go.yield()\n"
   "ch:send(1)\n"
   "local ok = pcall(go.yield)\n"
   "local th = go.thread(function() error('in a thread') end)\n"
   "assert(not pcall(th.join, th))\n"
   "go(function() error('never raised') end)\n"},  /* printed at lua_close */
  {NULL, NULL}
};


/*
** {======================================================
** The child: one run
** =======================================================
*/

typedef struct Alloc {
  long count;     /* allocations that could fail, while armed */
  long failat;    /* fail the failat-th (0: never) */
  int sticky;     /* and every later one */
  int armed;
  int trace;      /* print the C stack of the first failed allocation */
} Alloc;

/*
** An allocation that may fail: a new block, or a block that grows. Lua
** assumes a block never fails to shrink, and frees never fail.
*/
static void *l_alloc (void *ud, void *ptr, size_t osize, size_t nsize) {
  Alloc *a = (Alloc *)ud;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  if (a->armed && (ptr == NULL || nsize > osize)) {
    a->count++;
    if (a->failat > 0 && (a->count == a->failat || (a->sticky && a->count > a->failat))) {
#if defined(HAVE_BACKTRACE)
      if (a->trace && a->count == a->failat) {
        void *frames[32];
        fprintf(stderr, "allocfail: allocation %ld fails here:\n", a->count);
        backtrace_symbols_fd(frames, backtrace(frames, 32), 2);
      }
#endif
      return NULL;
    }
  }
  return realloc(ptr, nsize);
}

static int l_panic (lua_State *L) {
  const char *msg = lua_tostring(L, -1);
  fprintf(stderr, "allocfail: PANIC: %s\n", msg ? msg : "?");
  fflush(stderr);
  abort();
}

/*
** runone: (in the child) run scenario 's' failing as 'a' says; writes
** the allocation count to 'countfd'; returns the outcome.
*/
static int runone (const Scenario *s, Alloc *a, int countfd) {
  lua_State *L = lua_newstate(l_alloc, a);
  int st, outcome;
  char line[64];
  if (L == NULL) return OUT_SETUP;
  lua_atpanic(L, l_panic);
  luaL_openlibs(L);
  if (luaL_loadbuffer(L, s->src, strlen(s->src), s->name) != LUA_OK) {
    fprintf(stderr, "allocfail: %s does not compile: %s\n", s->name, lua_tostring(L, -1));
    return OUT_SETUP;
  }
  a->armed = 1;  /* require 'gochan' included */
  st = lua_pcall(L, 0, 0, 0);
  a->armed = 0;
  if (st == LUA_OK) outcome = OUT_SUCCESS;
  else {
    const char *msg = lua_tostring(L, -1);
    if (msg != NULL && strstr(msg, "not enough memory") != NULL) outcome = OUT_NOMEM;
    else {
      fprintf(stderr, "allocfail: error without 'not enough memory' (status %d): %s\n",
              st, msg ? msg : "(not a string)");
      outcome = OUT_OTHER;
    }
  }
  snprintf(line, sizeof(line), "%ld\n", a->count);
  if (countfd >= 0 && write(countfd, line, strlen(line)) < 0) { /* the parent will say */ }
  lua_close(L);  /* must not crash, whatever state the error left */
  return outcome;
}


/*
** {======================================================
** The parent
** =======================================================
*/

typedef struct Result {
  int status;     /* waitpid's */
  int timedout;
  long count;     /* allocations the run made (-1: unknown) */
  char out[MAX_OUT];
  size_t outlen;
} Result;

static double now (void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* spawn: run scenario 's' in a child; collect its stderr and status */
static void spawn (const Scenario *s, long failat, int sticky, Result *r) {
  int errp[2], cntp[2];
  pid_t pid;
  char buf[4096];
  char cnt[64];
  size_t cntlen = 0;
  double deadline = now() + RUN_TIMEOUT;
  int open_err = 1, open_cnt = 1;
  r->outlen = 0;
  r->timedout = 0;
  r->count = -1;
  if (pipe(errp) != 0 || pipe(cntp) != 0) {
    perror("allocfail: pipe");
    exit(2);
  }
  fflush(stdout);
  fflush(stderr);
  pid = fork();
  if (pid < 0) {
    perror("allocfail: fork");
    exit(2);
  }
  if (pid == 0) {
    Alloc a;
    close(errp[0]);
    close(cntp[0]);
    dup2(errp[1], 2);
    close(errp[1]);
    a.count = 0;
    a.failat = failat;
    a.sticky = sticky;
    a.armed = 0;
    a.trace = 0;
    alarm(RUN_TIMEOUT);
    exit(runone(s, &a, cntp[1]));
  }
  close(errp[1]);
  close(cntp[1]);
  while (open_err || open_cnt) {  /* read both until EOF */
    fd_set fds;
    struct timeval tv = {0, 200000};
    int maxfd = -1;
    FD_ZERO(&fds);
    if (open_err) { FD_SET(errp[0], &fds); maxfd = errp[0]; }
    if (open_cnt) { FD_SET(cntp[0], &fds); if (cntp[0] > maxfd) maxfd = cntp[0]; }
    if (select(maxfd + 1, &fds, NULL, NULL, &tv) < 0 && errno != EINTR) break;
    if (open_err && FD_ISSET(errp[0], &fds)) {
      ssize_t n = read(errp[0], buf, sizeof(buf));
      if (n <= 0) open_err = 0;
      else {
        size_t k = (size_t)n;
        if (k > sizeof(r->out) - 1 - r->outlen) k = sizeof(r->out) - 1 - r->outlen;
        memcpy(r->out + r->outlen, buf, k);
        r->outlen += k;
      }
    }
    if (open_cnt && FD_ISSET(cntp[0], &fds)) {
      ssize_t n = read(cntp[0], cnt + cntlen, sizeof(cnt) - 1 - cntlen);
      if (n <= 0) open_cnt = 0;
      else cntlen += (size_t)n;
    }
    if (now() > deadline + 5 && !r->timedout) {  /* alarm() did not end it */
      kill(pid, SIGKILL);
      r->timedout = 1;
    }
  }
  r->out[r->outlen] = '\0';
  cnt[cntlen] = '\0';
  if (cntlen > 0) r->count = strtol(cnt, NULL, 10);
  close(errp[0]);
  close(cntp[0]);
  while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR) {}
  if (WIFSIGNALED(r->status) && WTERMSIG(r->status) == SIGALRM) r->timedout = 1;
}

/* describe: what went wrong in run 'r', or NULL if it was clean */
static const char *describe (const Result *r, char *buf, size_t n) {
  if (r->timedout) snprintf(buf, n, "hung (killed after %d s)", RUN_TIMEOUT);
  else if (WIFSIGNALED(r->status)) snprintf(buf, n, "crashed (signal %d)", WTERMSIG(r->status));
  else if (!WIFEXITED(r->status)) snprintf(buf, n, "ended strangely (status %d)", r->status);
  else switch (WEXITSTATUS(r->status)) {
    case OUT_SUCCESS: case OUT_NOMEM: return NULL;
    case OUT_OTHER: snprintf(buf, n, "raised an error other than 'not enough memory'"); break;
    case OUT_SETUP: snprintf(buf, n, "could not start"); break;
    default: snprintf(buf, n, "exited with status %d (a sanitizer report?)", WEXITSTATUS(r->status));
  }
  return buf;
}

static long show_failures = SHOW_FAILURES;  /* ALLOCFAIL_SHOW overrides */

/* one scenario, both ways of failing; returns the number of bad runs */
static int scenario (const Scenario *s) {
  static Result r;
  static const char *const modes[] = {"once", "sticky"};
  long total, stride, n;
  int m, bad = 0;
  char why[128];
  double t0 = now();
  spawn(s, 0, 0, &r);  /* nothing fails: count the allocations */
  if (describe(&r, why, sizeof(why)) != NULL || WEXITSTATUS(r.status) != OUT_SUCCESS ||
      r.count <= 0) {
    printf("allocfail: %-10s FAIL: the run without failures %s (exit %d)\n%s\n", s->name,
           describe(&r, why, sizeof(why)) ? why : "did not succeed",
           WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1, r.out);
    return 1;
  }
  total = r.count;
  stride = total > MAX_POINTS ? (total + MAX_POINTS - 1) / MAX_POINTS : 1;
  for (m = 0; m < 2; m++) {
    long tried = 0, nomem = 0, ok = 0, shown = 0;
    for (n = 1; n <= total; n += stride) {
      spawn(s, n, m, &r);
      tried++;
      if (describe(&r, why, sizeof(why)) != NULL) {
        bad++;
        if (shown++ < show_failures)
          printf("allocfail: %-10s FAIL (%s, allocation %ld of %ld): %s; its stderr:\n%s\n",
                 s->name, modes[m], n, total, why, r.out);
        else if (shown == show_failures + 1)
          printf("allocfail: %-10s (further failures of this kind are only counted)\n", s->name);
      }
      else if (WEXITSTATUS(r.status) == OUT_NOMEM) nomem++;
      else ok++;
    }
    printf("allocfail: %-10s %-6s %ld allocations, %ld failure points tried (stride %ld): "
           "%ld succeeded, %ld raised 'not enough memory', %ld bad\n",
           s->name, modes[m], total, tried, stride, ok, nomem, tried - ok - nomem);
  }
  printf("allocfail: %-10s %.1f s\n", s->name, now() - t0);
  return bad;
}

/* allocfail SCENARIO N [sticky|once]: one run, in this process (a repro) */
static int single (const char *name, long n, const char *mode) {
  int i;
  for (i = 0; scenarios[i].name != NULL; i++)
    if (strcmp(scenarios[i].name, name) == 0) {
      Alloc a;
      int outcome;
      a.count = 0;
      a.failat = n;
      a.sticky = mode == NULL || strcmp(mode, "once") != 0;
      a.armed = 0;
      a.trace = 1;
      outcome = runone(&scenarios[i], &a, -1);
      printf("allocfail: %s, failing allocation %ld (%s): outcome %s\n", name, n,
             a.sticky ? "sticky" : "once",
             outcome == OUT_SUCCESS ? "success" : outcome == OUT_NOMEM ? "not enough memory"
             : "BAD");
      return outcome == OUT_SUCCESS || outcome == OUT_NOMEM ? 0 : 1;
    }
  fprintf(stderr, "allocfail: no scenario named '%s'\n", name);
  return 2;
}

int main (int argc, char **argv) {
  int i, bad = 0, ran = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);
  if (argc > 2) return single(argv[1], strtol(argv[2], NULL, 10), argc > 3 ? argv[3] : NULL);
  if (getenv("ALLOCFAIL_SHOW") != NULL) show_failures = strtol(getenv("ALLOCFAIL_SHOW"), NULL, 10);
  for (i = 0; scenarios[i].name != NULL; i++) {
    if (argc > 1 && strcmp(argv[1], scenarios[i].name) != 0) continue;
    bad += scenario(&scenarios[i]);
    ran++;
  }
  if (ran == 0) {
    fprintf(stderr, "allocfail: no scenario named '%s'\n", argc > 1 ? argv[1] : "");
    return 2;
  }
  if (bad > 0) {
    printf("allocfail: %d bad run(s)\n", bad);
    return 1;
  }
  printf("allocfail: ok\n");
  return 0;
}
