/*
** bench/floor_thread.c: the C floors of the thread spawn+join row (run.lua
** X3): what go.thread(function() end):join() cannot avoid.
**
**   floor_thread bare N    pthread_create + pthread_join of an empty thread
**   floor_thread lua N     the same, the thread making a Lua state with the
**                          standard libraries (luaL_newstate, luaL_openlibs)
**                          and closing it (lua_close)
**   floor_thread require N the same, the thread also running require "gochan"
**                          before closing its state (package.path and cpath
**                          from LUA_PATH and LUA_CPATH, as luaL_openlibs
**                          sets them); the main thread keeps a state that
**                          loaded gochan open, so that core.so stays loaded,
**                          as it does under go.thread
**
** After N/10 (at least 10) unmeasured spawns, N measured ones, one at a
** time. Prints "wall=<s> cpu=<s> n=<N>" (totals), or "wrong=<why>", exit 1.
*/
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

static double now (clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *bare (void *arg) {
  return arg;
}

static void *withlua (void *arg) {
  lua_State *L = luaL_newstate();
  if (L == NULL) return NULL;
  luaL_openlibs(L);
  lua_close(L);
  return arg;
}

static void *withrequire (void *arg) {
  lua_State *L = luaL_newstate();
  int ok;
  if (L == NULL) return NULL;
  luaL_openlibs(L);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "gochan");
  ok = lua_pcall(L, 1, 0, 0) == LUA_OK;
  if (!ok) fprintf(stderr, "floor_thread: %s\n", lua_tostring(L, -1));
  lua_close(L);
  return ok ? arg : NULL;
}

static int spawn (void *(*f) (void *), long n) {
  long i;
  static char tag;
  for (i = 0; i < n; i++) {
    pthread_t th;
    void *r;
    if (pthread_create(&th, NULL, f, &tag) != 0) return 0;
    if (pthread_join(th, &r) != 0 || r != &tag) return 0;
  }
  return 1;
}

int main (int argc, char **argv) {
  long n;
  void *(*f) (void *);
  double w0, c0, w1, c1;
  lua_State *keep = NULL;
  if (argc < 3 || (n = atol(argv[2])) <= 0) n = 0;
  if (n > 0 && strcmp(argv[1], "bare") == 0) f = bare;
  else if (n > 0 && strcmp(argv[1], "lua") == 0) f = withlua;
  else if (n > 0 && strcmp(argv[1], "require") == 0) f = withrequire;
  else {
    fprintf(stderr, "usage: %s bare|lua|require N\n", argv[0]);
    return 2;
  }
  if (f == withrequire) {  /* core.so stays loaded, as beside go.thread */
    keep = luaL_newstate();
    luaL_openlibs(keep);
    lua_getglobal(keep, "require");
    lua_pushliteral(keep, "gochan");
    if (lua_pcall(keep, 1, 0, 0) != LUA_OK) {
      printf("wrong=require \"gochan\" failed: %s\n", lua_tostring(keep, -1));
      return 1;
    }
  }
  if (!spawn(f, n / 10 < 10 ? 10 : n / 10)) {
    printf("wrong=a thread failed\n");
    return 1;
  }
  w0 = now(CLOCK_MONOTONIC);
  c0 = now(CLOCK_PROCESS_CPUTIME_ID);
  if (!spawn(f, n)) {
    printf("wrong=a thread failed\n");
    return 1;
  }
  w1 = now(CLOCK_MONOTONIC);
  c1 = now(CLOCK_PROCESS_CPUTIME_ID);
  printf("wall=%.9f cpu=%.9f n=%ld\n", w1 - w0, c1 - c0, n);
  if (keep != NULL) lua_close(keep);
  return 0;
}
