/*
** debug.c: looking at goroutines (Go's goroutine dump): the report that
** the deadlock error carries, go.debug.goroutines(), go.debug.dump() and
** go.debug.stats().
**
** Other states of the family run on other threads: their goroutine lists
** are read under their 'glock' (and the family lock, which keeps the
** states from going away), their status and wait reason with atomic
** loads. Their Lua stacks are read only while they are stuck (idle, no
** timer: nothing can change them); a running state's goroutines are shown
** without a location.
** Reports are built in C memory, so no lock is held across a Lua call.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "gochan.h"
#include "waitq.h"

long gch_nchans, gch_nshared;   /* atomic: live channels, shared objects */

typedef struct Report {
  char *p;
  size_t len, cap;
} Report;

static void addf (Report *r, const char *fmt, ...) {
  va_list ap;
  int n;
  for (;;) {
    va_start(ap, fmt);
    n = vsnprintf(r->p ? r->p + r->len : NULL, r->p ? r->cap - r->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (r->p != NULL && (size_t)n < r->cap - r->len) {
      r->len += (size_t)n;
      return;
    }
    else {
      size_t cap = r->cap ? r->cap * 2 : 256;
      char *q;
      while (cap - r->len <= (size_t)n) cap *= 2;
      if ((q = (char *)realloc(r->p, cap)) == NULL) return;  /* report cut */
      r->p = q;
      r->cap = cap;
    }
  }
}

/* addwhere: "file:line" of the innermost Lua frame of 'co', or "?" */
static void addwhere (Report *r, lua_State *co) {
  lua_Debug ar;
  int level;
  for (level = 0; lua_getstack(co, level, &ar); level++) {
    lua_getinfo(co, "Sl", &ar);
    if (ar.currentline > 0) {
      addf(r, "%s:%d", ar.short_src, ar.currentline);
      return;
    }
  }
  addf(r, "?");
}

/* addcreated: where the goroutine's function is defined */
static void addcreated (Report *r, gch_G *g) {
  lua_Debug ar;
  int level = 0;
  if (g->anchor == LUA_NOREF) {  /* the main goroutine */
    addf(r, "?");
    return;
  }
  if (g->co == NULL || g->nargs >= 0) {  /* not started: no coroutine yet */
    addf(r, "?");
    return;
  }
  while (lua_getstack(g->co, level + 1, &ar)) level++;  /* its first frame */
  if (lua_getstack(g->co, level, &ar) && lua_getinfo(g->co, "S", &ar) &&
      ar.linedefined > 0)
    addf(r, "%s:%d", ar.short_src, ar.linedefined);
  else addf(r, "?");
}

/* what: the state word of a goroutine, as Go's [..] */
static const char *what (gch_G *g, int blocked) {
  int st = __atomic_load_n(&g->status, __ATOMIC_RELAXED);
  const char *r;
  if (blocked || st == GCH_GWAITING) {
    r = __atomic_load_n(&g->waitreason, __ATOMIC_RELAXED);
    return r ? r : "waiting";
  }
  return st == GCH_GRUNNABLE ? "runnable" : "running";
}

/*
** addsched: the goroutines of S ('current' raises the error and is blocked
** in its call). Stacks are read only if 'readstacks'.
*/
static void addsched (Report *r, gch_Sched *S, gch_G *current, int style,
                      int readstacks) {
  gch_G *g;
  pthread_mutex_lock(&S->glock);
  for (g = S->all.next; g != &S->all; g = g->next) {
    int blocked = g == current ||
        __atomic_load_n(&g->status, __ATOMIC_RELAXED) == GCH_GWAITING;
    int where = readstacks && (blocked || g->nargs < 0 || g == S->current);
    if (style == GCH_REPORT_LINES) {
      addf(r, "\ngoroutine %lld [%s]", (long long)g->id, what(g, blocked));
      if (S->tid != 0) addf(r, " (thread %d)", S->tid);
      addf(r, ": ");
      if (where) addwhere(r, blocked ? g->blockL : g->co);
    }
    else {
      addf(r, "goroutine %lld [%s]", (long long)g->id, what(g, blocked));
      if (S->tid != 0) addf(r, " (thread %d)", S->tid);
      addf(r, ":\n\t");
      if (where) addwhere(r, blocked ? g->blockL : g == S->current ? S->L : g->co);
      else addf(r, "?");
      if (readstacks && g->anchor != LUA_NOREF) {
        addf(r, "\n\tcreated from the function at ");
        addcreated(r, g);
      }
      addf(r, "\n\n");
    }
  }
  pthread_mutex_unlock(&S->glock);
}

/*
** gchL_pushreport: push the report of every goroutine of S's family, S's
** first. [-0, +1, m]
*/
void gchL_pushreport (lua_State *L, gch_Sched *S, gch_G *current, int style) {
  gch_Family *F = S->fam;
  Report r = {NULL, 0, 0};
  gch_Sched *o;
  addsched(&r, S, current, style, 1);
  pthread_mutex_lock(&F->mu);
  for (o = F->first; o != NULL; o = o->fnext)
    if (o != S) addsched(&r, o, NULL, style, o->stuck);
  pthread_mutex_unlock(&F->mu);
  lua_pushlstring(L, r.p ? r.p : "", r.len);
  free(r.p);
}


/*
** {======================================================
** go.debug
** =======================================================
*/

/* setfield: t[k] = the C string (or nil) */
static void setstr (lua_State *L, const char *k, const char *v, size_t n) {
  if (v != NULL) lua_pushlstring(L, v, n);
  else lua_pushnil(L);
  lua_setfield(L, -2, k);
}

/*
** go.debug.goroutines() -> list of {id, thread, status, wait, created_at, at}
** for every goroutine of the program. Built from a dump-like C report,
** one record per goroutine, so no lock is held while Lua allocates.
*/
static int debug_goroutines (lua_State *L) {
  gch_Sched *S = gchL_sched(L);
  gch_Family *F = S->fam;
  Report r = {NULL, 0, 0};
  gch_Sched *o;
  const char *p, *end;
  int n = 0;
  /* one line per goroutine: id \t thread \t status \t wait \t created \t at */
  #define ROW(sched, rs) do { \
    gch_G *g; \
    pthread_mutex_lock(&(sched)->glock); \
    for (g = (sched)->all.next; g != &(sched)->all; g = g->next) { \
      int st = __atomic_load_n(&g->status, __ATOMIC_RELAXED); \
      int cur = g == (sched)->current && (sched) == S; \
      addf(&r, "%lld\t%d\t%s\t%s\t", (long long)g->id, (sched)->tid, \
           cur ? "running" : st == GCH_GWAITING ? "waiting" \
                : st == GCH_GRUNNABLE ? "runnable" : "running", \
           st == GCH_GWAITING ? what(g, 1) : ""); \
      if ((rs) && g->anchor != LUA_NOREF) addcreated(&r, g); \
      addf(&r, "\t"); \
      if ((rs) && cur) addwhere(&r, L); \
      else if ((rs) && st == GCH_GWAITING) addwhere(&r, g->blockL); \
      else if ((rs) && g->nargs < 0) addwhere(&r, g->co); \
      addf(&r, "\n"); \
    } \
    pthread_mutex_unlock(&(sched)->glock); \
  } while (0)
  ROW(S, 1);
  pthread_mutex_lock(&F->mu);
  for (o = F->first; o != NULL; o = o->fnext)
    if (o != S) ROW(o, o->stuck);
  pthread_mutex_unlock(&F->mu);
  #undef ROW
  lua_newtable(L);
  for (p = r.p, end = r.p + r.len; p != NULL && p < end; ) {
    const char *f[6], *e[6];
    int k;
    for (k = 0; k < 6; k++) {
      f[k] = p;
      while (p < end && *p != '\t' && *p != '\n') p++;
      e[k] = p;
      if (p < end) p++;
    }
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, (lua_Integer)strtoll(f[0], NULL, 10));
    lua_setfield(L, -2, "id");
    lua_pushinteger(L, (lua_Integer)strtol(f[1], NULL, 10));
    lua_setfield(L, -2, "thread");
    setstr(L, "status", f[2], (size_t)(e[2] - f[2]));
    setstr(L, "wait", e[3] > f[3] ? f[3] : NULL, (size_t)(e[3] - f[3]));
    setstr(L, "created_at", e[4] > f[4] ? f[4] : NULL, (size_t)(e[4] - f[4]));
    setstr(L, "at", e[5] > f[5] ? f[5] : NULL, (size_t)(e[5] - f[5]));
    lua_rawseti(L, -2, ++n);
  }
  free(r.p);
  return 1;
}

/* go.debug.dump(): print every goroutine, Go style, to stderr */
static int debug_dump (lua_State *L) {
  gch_Sched *S = gchL_sched(L);
  gchL_pushreport(L, S, NULL, GCH_REPORT_DUMP);
  (void)fwrite(lua_tostring(L, -1), 1, lua_rawlen(L, -1), stderr);
  (void)fflush(stderr);
  return 0;
}

/*
** go.debug.stats() -> {goroutines, threads, channels, shared, waiters,
** timers}: goroutines and threads of the program; live channels and shared
** objects in the process; waiters queued by this state's goroutines;
** timers armed in this state and in the timer thread.
*/
static int debug_stats (lua_State *L) {
  gch_Sched *S = gchL_sched(L);
  gch_Family *F = S->fam;
  lua_Integer waiters = 0;
  gch_G *g;
  int i, threads;
  for (g = S->all.next; g != &S->all; g = g->next) {
    if (g->w1.obj != NULL) waiters++;
    for (i = 0; i < g->nws; i++) if (g->ws[i].obj != NULL) waiters++;
  }
  pthread_mutex_lock(&F->mu);
  threads = F->nsched - 1 + F->nbusy;
  pthread_mutex_unlock(&F->mu);
  lua_createtable(L, 0, 6);
  lua_pushinteger(L, (lua_Integer)__atomic_load_n(&F->ngoroutines, __ATOMIC_RELAXED));
  lua_setfield(L, -2, "goroutines");
  lua_pushinteger(L, threads);
  lua_setfield(L, -2, "threads");
  lua_pushinteger(L, (lua_Integer)__atomic_load_n(&gch_nchans, __ATOMIC_RELAXED));
  lua_setfield(L, -2, "channels");
  lua_pushinteger(L, (lua_Integer)__atomic_load_n(&gch_nshared, __ATOMIC_RELAXED));
  lua_setfield(L, -2, "shared");
  lua_pushinteger(L, waiters);
  lua_setfield(L, -2, "waiters");
  lua_pushinteger(L, S->timers.n + gch_timer_nglobal());
  lua_setfield(L, -2, "timers");
  return 1;
}

static const luaL_Reg debug_funcs[] = {
  {"goroutines", debug_goroutines},
  {"dump", debug_dump},
  {"stats", debug_stats},
  {NULL, NULL}
};

void gchL_debug_open (lua_State *L) {
  lua_createtable(L, 0, 3);
  gchL_setfuncs(L, -1, debug_funcs);
  lua_setfield(L, GCH_IDX_MODULE, "debug");
}
