/*
** multistate.c: two independent Lua states in one process, each with
** gochan loaded, run in interleaved steps on one OS thread. Checks that
** each state has its own scheduler: goroutine ids are process-unique,
** the goroutines of one state are never run by the other's scheduler,
** each state's counts and deadlock detection are its own, and closing
** both states is clean.
**
** Build (as the Makefile does):
**   cc -o build/driver/multistate spec/driver/multistate.c \
**      $(pkg-config --cflags --libs lua5.4) -pthread
** Run with LUA_PATH/LUA_CPATH reaching lua/ and build/ (the Makefile sets
** them). Exits 0 on success; prints every failed check otherwise.
*/
#define _POSIX_C_SOURCE 200809L  /* alarm, write */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

static int failures = 0;

#define CHECK(cond, ...) \
  do { \
    if (!(cond)) { \
      fprintf(stderr, "multistate: FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__); \
      fputc('\n', stderr); \
      failures++; \
    } \
  } while (0)

/* run: run 'src' in 'L' named 'name'; 1 on success, else report its error */
static int run (lua_State *L, const char *name, const char *src) {
  if (luaL_loadbuffer(L, src, strlen(src), name) != LUA_OK ||
      lua_pcall(L, 0, 0, 0) != LUA_OK) {
    fprintf(stderr, "multistate: FAIL step %s: %s\n", name, lua_tostring(L, -1));
    lua_pop(L, 1);
    failures++;
    return 0;
  }
  return 1;
}

/* geti: the integer global 'g' of L (LUA_MININTEGER if it is not one) */
static lua_Integer geti (lua_State *L, const char *g) {
  lua_Integer v = LUA_MININTEGER;
  lua_getglobal(L, g);
  if (lua_isinteger(L, -1)) v = lua_tointeger(L, -1);
  lua_pop(L, 1);
  return v;
}

/* gets: the string global 'g' of L copied into buf ("" if not a string) */
static const char *gets_ (lua_State *L, const char *g, char *buf, size_t n) {
  lua_getglobal(L, g);
  snprintf(buf, n, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "");
  lua_pop(L, 1);
  return buf;
}

static lua_State *newstate (const char *name) {
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    fprintf(stderr, "multistate: cannot create state %s\n", name);
    exit(2);
  }
  luaL_openlibs(L);
  return L;
}

static void on_alarm (int sig) {
  static const char msg[] = "multistate: FAIL: timed out (a scheduler waits forever)\n";
  (void)sig;
  if (write(2, msg, sizeof(msg) - 1) < 0) _exit(3);
  _exit(3);
}

int main (void) {
  lua_State *A, *B;
  char buf[512];
  signal(SIGALRM, on_alarm);
  alarm(30);

  A = newstate("A");
  B = newstate("B");

  /* step 1: A loads gochan, starts goroutines, leaves them blocked */
  run(A, "=A1",
    "go = require 'gochan'\n"
    "main_id = go.id()\n"
    "n0 = go.numgoroutine()\n"
    "ch, out = go.chan(), go.chan(10)\n"
    "ran, got = 0, 0\n"
    "ids = {}\n"
    "for i = 1, 3 do\n"
    "  ids[i] = go(function()\n"
    "    ran = ran + 1\n"
    "    local v = ch:recv()\n"
    "    got = got + v\n"
    "    out:send(go.id())\n"
    "  end)\n"
    "end\n"
    "spin = 0\n"
    "go(function() while not stop do spin = spin + 1; go.yield() end end)\n"
    "first_id, last_id = ids[1], ids[3]\n"
    "n1 = go.numgoroutine()\n"
    "go.yield()\n"                        /* they run and block on ch */
    "assert(ran == 3, 'A goroutines did not start')\n"
    "spin_before_B = spin\n");
  CHECK(geti(A, "main_id") == 1, "main of the first state has id %lld",
        (long long)geti(A, "main_id"));
  CHECK(geti(A, "n1") - geti(A, "n0") == 4,
        "A counts its 4 new goroutines (n0=%lld n1=%lld)",
        (long long)geti(A, "n0"), (long long)geti(A, "n1"));

  /* step 2: B loads gochan, runs its own goroutines and blocks on them */
  run(B, "=B1",
    "go = require 'gochan'\n"
    "main_id = go.id()\n"
    "n0 = go.numgoroutine()\n"
    "ch = go.chan()\n"
    "ids = {}\n"
    "for i = 1, 5 do ids[i] = go(function(x) ch:send(x * 10) end, i) end\n"
    "n1 = go.numgoroutine()\n"
    "sum = 0\n"
    "for i = 1, 5 do sum = sum + ch:recv() end\n"   /* B's scheduler runs */
    "for _ = 1, 10 do go.yield() end\n"
    "n2 = go.numgoroutine()\n"
    "first_id, last_id = ids[1], ids[5]\n"
    "local ok, err = pcall(ch.recv, ch)\n"          /* B deadlocks alone */
    "deadlock = (not ok) and tostring(err) or ''\n");
  CHECK(geti(B, "main_id") != geti(A, "main_id"),
        "main goroutines of two states have distinct ids (A %lld, B %lld)",
        (long long)geti(A, "main_id"), (long long)geti(B, "main_id"));
  CHECK(geti(B, "first_id") > geti(A, "last_id") || geti(B, "last_id") < geti(A, "first_id"),
        "goroutine ids of B (%lld..%lld) do not overlap A's (%lld..%lld)",
        (long long)geti(B, "first_id"), (long long)geti(B, "last_id"),
        (long long)geti(A, "first_id"), (long long)geti(A, "last_id"));
  CHECK(geti(B, "main_id") > geti(A, "last_id"),
        "B's main id %lld is newer than every id handed out before (A's last %lld)",
        (long long)geti(B, "main_id"), (long long)geti(A, "last_id"));
  CHECK(geti(B, "sum") == 150, "B received its own values (sum %lld)",
        (long long)geti(B, "sum"));
  CHECK(geti(B, "n1") - geti(B, "n0") == 5 && geti(B, "n2") == geti(B, "n0"),
        "B counts its own goroutines (n0=%lld n1=%lld n2=%lld)",
        (long long)geti(B, "n0"), (long long)geti(B, "n1"), (long long)geti(B, "n2"));
  /* B's blocking and yielding must not have run any goroutine of A */
  CHECK(geti(A, "ran") == 3 && geti(A, "got") == 0,
        "A's blocked goroutines stayed blocked (ran=%lld got=%lld)",
        (long long)geti(A, "ran"), (long long)geti(A, "got"));
  CHECK(geti(A, "spin") == geti(A, "spin_before_B"),
        "A's runnable goroutine did not run during B's steps (spin %lld -> %lld)",
        (long long)geti(A, "spin_before_B"), (long long)geti(A, "spin"));
  /* B deadlocks even though A has a runnable goroutine: A cannot run
  ** while B's main goroutine holds this OS thread */
  gets_(B, "deadlock", buf, sizeof(buf));
  CHECK(strstr(buf, "all goroutines are asleep - deadlock!") != NULL,
        "B's lone blocked receive is a deadlock: got '%s'", buf);
  CHECK(strstr(buf, "goroutine 1 [") == NULL,
        "B's deadlock report does not list A's main goroutine: '%s'", buf);
  {
    char want[64];
    snprintf(want, sizeof(want), "goroutine %lld [chan receive]",
             (long long)geti(B, "main_id"));
    CHECK(strstr(buf, want) != NULL, "B's report names B's main ('%s'): '%s'", want, buf);
  }

  /* step 3: A again: its goroutines are still there and finish now */
  run(A, "=A2",
    "for i = 1, 3 do ch:send(i) end\n"
    "seen = {}\n"
    "for i = 1, 3 do seen[out:recv()] = true end\n"
    "for i = 1, 3 do assert(seen[ids[i]], 'goroutine ' .. ids[i] .. ' did not report') end\n"
    "go.yield()\n"
    "n2 = go.numgoroutine()\n"
    "after_id = go.id()\n");
  CHECK(geti(A, "got") == 6, "A's goroutines received A's values (got %lld)",
        (long long)geti(A, "got"));
  CHECK(geti(A, "n2") - geti(A, "n0") == 1,
        "A's count is back to main + its spinner (n0=%lld n2=%lld)",
        (long long)geti(A, "n0"), (long long)geti(A, "n2"));
  CHECK(geti(A, "after_id") == 1, "A's main id is still 1 (%lld)",
        (long long)geti(A, "after_id"));

  /* step 4: B starts goroutines again; A's spinner still never runs in B */
  lua_getglobal(A, "spin");
  lua_setglobal(A, "spin_before_B");
  run(B, "=B2",
    "local c = go.chan()\n"
    "newid = go(function() c:send(go.id()) end)\n"
    "recvd = c:recv()\n"
    "n3 = go.numgoroutine()\n");
  CHECK(geti(B, "newid") == geti(B, "recvd"),
        "B's goroutine sees its own id (%lld vs %lld)",
        (long long)geti(B, "newid"), (long long)geti(B, "recvd"));
  CHECK(geti(B, "newid") > geti(A, "last_id") && geti(B, "newid") > geti(B, "last_id"),
        "ids keep increasing across states (%lld)", (long long)geti(B, "newid"));

  CHECK(geti(A, "spin") == geti(A, "spin_before_B"),
        "A's spinner did not run during B's second step (spin %lld -> %lld)",
        (long long)geti(A, "spin_before_B"), (long long)geti(A, "spin"));

  /* step 5: A stops its spinner and deadlocks on its own */
  run(A, "=A3",
    "stop = true\n"
    "go.yield()\n"
    "n3 = go.numgoroutine()\n"
    "local ok, err = pcall(go.select, {})\n"
    "a_deadlock = ok and 'no error' or tostring(err)\n");
  CHECK(geti(A, "n3") == geti(A, "n0"), "A is back to its main goroutine (n0=%lld n3=%lld)",
        (long long)geti(A, "n0"), (long long)geti(A, "n3"));
  gets_(A, "a_deadlock", buf, sizeof(buf));
  CHECK(strstr(buf, "all goroutines are asleep - deadlock!") != NULL &&
        strstr(buf, "goroutine 1 [select (no cases)]") != NULL,
        "A's select{} is a deadlock of A's main alone: '%s'", buf);

  /* step 6: close A while B lives on, then use B, then close B */
  lua_close(A);
  run(B, "=B3",
    "local c = go.chan(1)\n"
    "go(function() c:send('after A closed') end)\n"
    "final = c:recv()\n"
    "local parked = go.chan()\n"
    "for i = 1, 3 do go(function() parked:recv() end) end\n"  /* left blocked */
    "go.yield()\n");
  gets_(B, "final", buf, sizeof(buf));
  CHECK(strcmp(buf, "after A closed") == 0, "B still works after A is closed: '%s'", buf);
  lua_close(B);

  if (failures > 0) {
    fprintf(stderr, "multistate: %d check(s) failed\n", failures);
    return 1;
  }
  printf("multistate: ok\n");
  return 0;
}
