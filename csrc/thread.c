/*
** thread.c: go.thread(f, ...): a goroutine on a new OS thread, with its
** own Lua state and scheduler, in the caller's family (so it can share
** channels and sync objects with it), and th:join().
**
** Bootstrap, in order:
**  1. the parent copies f and its arguments into a message (copy.c) and
**     counts the thread as busy in the family: it never waits for the
**     child, and the child never reads the parent's state;
**  2. the child makes a fresh state with the standard libraries and the
**     parent's package.path/cpath, leaves the family in the registry and
**     requires gochan, whose scheduler joins the family;
**  3. it decodes f and the arguments and calls f as its main goroutine,
**     then waits until every goroutine it started has finished;
**  4. it copies f's results (or its error, with the traceback) into the
**     record, closes its state, marks the record done and wakes joiners.
** Invariants: the record lives while a box or the running thread holds it;
** 'done', 'results', 'err' and 'joiners' change under its lock only.
*/
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lualib.h"

#include "gochan.h"
#include "waitq.h"

#define THREAD_T "gochan.thread"

static const char threadtag = 0;

typedef struct gch_Thread {
  gch_Ref ref;              /* shared from birth: its boxes + the thread */
  int done;                 /* f returned or failed, state closed */
  gch_Msg *results;         /* f's results, copied */
  char *err;                /* or its error, with the thread's traceback */
  size_t errlen;
  gch_WaitQ joiners;        /* goroutines in join() */
  gch_Msg *start;           /* f and its arguments, until the child reads them */
  char *path, *cpath;       /* the parent's package.path and cpath */
  gch_Family *fam;          /* the family the child joins (a ref held) */
} gch_Thread;

static void thread_destroy (gch_Ref *r) {
  gch_Thread *t = (gch_Thread *)r;
  gch_msg_free(t->results);
  gch_msg_free(t->start);
  free(t->err);
  free(t->path);
  free(t->cpath);
  gch_ref_freelock(r);
  free(t);
}

/* a gch_Thread does not cross into other states */
static const gch_Kind thread_kind = {THREAD_T, &threadtag, thread_destroy, NULL, NULL, NULL,
                                     NULL};

static char *dupstr (const char *s) {
  size_t n = strlen(s) + 1;
  char *d = (char *)malloc(n);
  if (d != NULL) memcpy(d, s, n);
  return d;
}


/*
** {======================================================
** The child
** =======================================================
*/

/* setpath: package[field] = s */
static void setpath (lua_State *L, const char *field, const char *s) {
  lua_getglobal(L, "package");
  lua_pushstring(L, s);
  lua_setfield(L, -2, field);
  lua_pop(L, 1);
}

static int msgh (lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) msg = luaL_tolstring(L, 1, NULL);
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* body: steps 2-4 in the child's state, protected; results in t */
static int body (lua_State *L) {
  gch_Thread *t = (gch_Thread *)lua_touserdata(L, 1);
  int n, base;
  lua_settop(L, 0);
  lua_pushlightuserdata(L, t->fam);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &gch_famkey);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "gochan");
  lua_call(L, 1, 0);  /* the scheduler joins the family */
  gchL_sched_ofthread(L, t);
  lua_pushcfunction(L, msgh);
  base = lua_gettop(L);
  n = gchL_decode(L, t->start);  /* f and its arguments */
  gch_msg_free(t->start);
  t->start = NULL;
  if (lua_pcall(L, n - 1, LUA_MULTRET, base) != LUA_OK) return lua_error(L);
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_getfield(L, -1, "gochan.core");
  lua_getfield(L, -1, "_waitall");
  lua_pushcfunction(L, msgh);
  lua_insert(L, -2);
  if (lua_pcall(L, 0, 0, -2) != LUA_OK)  /* its goroutines; their errors are ours */
    return lua_error(L);
  lua_pop(L, 3);  /* msgh, gochan.core, loaded */
  n = lua_gettop(L) - base;
  t->results = gchL_encode(L, base + 1, n);
  return 0;
}

/* seterror: record the error message on top of L */
static void seterror (gch_Thread *t, lua_State *L) {
  size_t n;
  const char *s = L != NULL ? lua_tolstring(L, -1, &n) : NULL;
  if (s == NULL) {
    s = L != NULL ? "thread failed with a non-string error" : "not enough memory";
    n = strlen(s);
  }
  t->err = (char *)malloc(n + 1);
  if (t->err != NULL) {
    memcpy(t->err, s, n);
    t->err[n] = '\0';
    t->errlen = n;
  }
}

static void *thread_main (void *arg) {
  gch_Thread *t = (gch_Thread *)arg;
  gch_Family *F = t->fam;
  lua_State *L = luaL_newstate();
  gch_Waiter *w, *list = NULL;
  if (L == NULL) seterror(t, NULL);
  else {
    luaL_openlibs(L);
    setpath(L, "path", t->path);
    setpath(L, "cpath", t->cpath);
    lua_pushcfunction(L, body);
    lua_pushlightuserdata(L, t);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) seterror(t, L);
    lua_close(L);  /* its scheduler leaves the family */
  }
  gch_family_threaddone(F);
  pthread_mutex_lock(t->ref.mu);
  t->done = 1;
  while ((w = t->joiners.first) != NULL) {
    waitq_remove(&t->joiners, w);
    w->success = 1;
    w->g->won = w;
    gch_sched_remote(NULL, w->g);  /* counts the wake-up in flight */
    w->next = list;
    list = w;
  }
  pthread_mutex_unlock(t->ref.mu);
  while ((w = list) != NULL) {
    list = w->next;
    w->next = NULL;
    gch_sched_ready(NULL, w->g);
  }
  gch_family_threadend(F);
  gch_ref_release(&t->ref);
  return NULL;
}


/*
** {======================================================
** The parent's side
** =======================================================
*/

static gch_Thread *checkthread (lua_State *L) {
  gch_Box *b = gchL_testbox(L, 1, &threadtag);
  if (b == NULL || b->p == NULL) luaL_typeerror(L, 1, THREAD_T);
  return (gch_Thread *)b->p;
}

/* go.thread(f, ...) -> gch_Thread */
static int thread_new (lua_State *L) {
  gch_Sched *S = gchL_sched(L);
  int n = lua_gettop(L);
  gch_Msg *m;
  gch_Thread *t;
  gch_Box *b;
  pthread_t tid;
  pthread_attr_t attr;
  sigset_t all, old;
  const char *path, *cpath;
  int err;
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "path");
  lua_getfield(L, -2, "cpath");
  path = lua_tostring(L, -2);
  cpath = lua_tostring(L, -1);
  luaL_getmetatable(L, THREAD_T);
  b = gchL_newbox(L, &threadtag, 0, -1);  /* empty: nothing leaks below */
  m = gchL_encode(L, 1, n);  /* raises "cannot copy ..." */
  t = (gch_Thread *)calloc(1, sizeof(*t));
  if (t == NULL) {
    gch_msg_free(m);
    return luaL_error(L, "not enough memory");
  }
  t->ref.refs = 2;  /* the box's and the thread's */
  t->ref.kind = &thread_kind;
  gch_mutex_init(&t->ref.lock);
  t->ref.mu = &t->ref.lock;
  t->ref.shared = 1;
  __atomic_add_fetch(&gch_nshared, 1, __ATOMIC_RELAXED);
  t->start = m;
  b->p = t;  /* from here __gc releases the box's reference */
  t->path = dupstr(path ? path : "");
  t->cpath = dupstr(cpath ? cpath : "");
  if (t->path == NULL || t->cpath == NULL) {
    t->ref.refs = 1;  /* no thread */
    return luaL_error(L, "not enough memory");
  }
  t->fam = S->fam;
  gch_family_threadstart(t->fam);
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);  /* the child starts with none */
  err = pthread_create(&tid, &attr, thread_main, t);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    gch_family_threaddone(t->fam);
    gch_family_threadend(t->fam);
    t->ref.refs = 1;
    return luaL_error(L, "cannot create thread");
  }
  return 1;
}

/* pushresults: join's outcome: f's results, or its error raised */
static int pushresults (lua_State *L, gch_Thread *t) {
  if (t->results == NULL) {
    if (t->err != NULL) lua_pushlstring(L, t->err, t->errlen);
    else lua_pushliteral(L, "thread failed: not enough memory");
    return lua_error(L);
  }
  return gchL_decode(L, t->results);
}

static int thread_join_k (lua_State *L, int status, lua_KContext ctx) {
  gch_G *g = (gch_G *)ctx;
  int st = gchL_waitstatus(L, g);
  (void)status;
  gch_waiter_dequeue(&g->w1);
  if (st != GCH_OK) return gchL_raise(L, g->S, st);
  lua_settop(L, 1);
  return pushresults(L, checkthread(L));
}

/* th:join() -> f's results (copied), or raises f's error */
static int thread_join (lua_State *L) {
  gch_Thread *t = checkthread(L);
  gch_Box *b = (gch_Box *)lua_touserdata(L, 1);
  gch_G *g = gchL_current(L, b->S);
  lua_settop(L, 1);
  pthread_mutex_lock(t->ref.mu);
  if (!t->done) {
    g->w1.L = L;
    g->w1.msg = NULL;
    gch_waiter_enqueue(&t->ref, &t->joiners, &g->w1);
    pthread_mutex_unlock(t->ref.mu);
    return gchL_park(L, b->S, g, "thread join", thread_join_k);
  }
  pthread_mutex_unlock(t->ref.mu);  /* done: the fields are final */
  return pushresults(L, t);
}

static int thread_gc (lua_State *L) {
  gch_Box *b = gchL_testbox(L, 1, &threadtag);
  if (b != NULL && b->p != NULL) {
    gch_Ref *r = (gch_Ref *)b->p;
    b->p = NULL;
    gch_ref_release(r);
  }
  return 0;
}

static int thread_tostring (lua_State *L) {
  gch_Thread *t = checkthread(L);
  int done;
  pthread_mutex_lock(t->ref.mu);
  done = t->done;
  pthread_mutex_unlock(t->ref.mu);
  lua_pushfstring(L, "gochan.thread (%s)", done ? "done" : "running");
  return 1;
}

static const luaL_Reg thread_methods[] = {
  {"join", thread_join},
  {NULL, NULL}
};

static const luaL_Reg thread_funcs[] = {
  {"thread", thread_new},
  {NULL, NULL}
};

static const luaL_Reg thread_meta[] = {
  {"__gc", thread_gc},
  {"__tostring", thread_tostring},
  {NULL, NULL}
};

void gchL_thread_open (lua_State *L) {
  gchL_newclass(L, THREAD_T, thread_methods, thread_meta);
  gchL_setfuncs(L, GCH_IDX_MODULE, thread_funcs);
}
