/*
** sync.c: Go's sync package for goroutines: WaitGroup, Mutex, RWMutex,
** Once and Cond, plus the guards that 'lock'/'rlock' return for <close>.
**
** Every object is a refcounted C struct (gch_Ref) behind a box, with FIFO
** queues of waiters like a channel's. Blocking parks only the calling
** goroutine (gchL_park); a wake-up hands the object over directly
** (Go's "starvation mode" hand-off, always on): an unlocked Mutex with
** waiters passes to the first of them, so none starves, and a waiting
** writer keeps new readers out of an RWMutex until it has run.
**
** Invariants: Mutex: waiters => locked. RWMutex: writer => readers == 0;
** readers waiting => a writer holds or waits; writers waiting => writer or
** readers > 0. WaitGroup: waiters => n > 0. Once: waiters => running.
** Locking: none yet (local objects); each object's queues will be
** guarded by its own lock in shared mode, as a channel's.
*/
#include <stdlib.h>

#include "gochan.h"
#include "waitq.h"

static const char wgtag = 0, mutextag = 0, rwtag = 0, oncetag = 0,
                  condtag = 0, guardtag = 0;

#define WAITGROUP_T "gochan.waitgroup"
#define MUTEX_T     "gochan.mutex"
#define RWMUTEX_T   "gochan.rwmutex"
#define ONCE_T      "gochan.once"
#define COND_T      "gochan.cond"
#define GUARD_T     "gochan.guard"

typedef struct WaitGroup {
  gch_Ref ref;
  lua_Integer n;            /* the counter */
  gch_WaitQ waiters;        /* goroutines in wait() */
} WaitGroup;

typedef struct Mutex {
  gch_Ref ref;
  int locked;
  gch_WaitQ waiters;        /* goroutines in lock(), FIFO */
} Mutex;

typedef struct RWMutex {
  gch_Ref ref;
  int writer;               /* a writer holds it */
  lua_Integer readers;      /* readers holding it */
  gch_WaitQ wq, rq;         /* waiting writers, waiting readers */
} RWMutex;

#define ONCE_NEW     0
#define ONCE_RUNNING 1
#define ONCE_DONE    2

typedef struct Once {
  gch_Ref ref;
  int state;                /* ONCE_* */
  gch_WaitQ waiters;        /* goroutines waiting for the first call */
} Once;

typedef struct Cond {
  gch_Ref ref;
  gch_WaitQ waiters;        /* goroutines in wait() */
} Cond;

/* guard kinds (gch_Box.dir of a guard) */
#define GUARD_MUTEX  0
#define GUARD_WRITE  1
#define GUARD_READ   2


/*
** {======================================================
** Common machinery
** =======================================================
*/

static void obj_destroy (gch_Ref *r) {
  free(r);
}

/* checkobj: the object of the box at 1 of kind 'tag'. */
static void *checkobj (lua_State *L, const void *tag, const char *tname) {
  gch_Box *b = gchL_testbox(L, 1, tag);
  if (l_unlikely(b == NULL)) luaL_typeerror(L, 1, tname);
  return b->p;
}

/*
** newobj: push a box of kind 'tag' (metatable 'tname', 'nuv' user values)
** for a new zeroed object of 'size' bytes. [-0, +1, m]
*/
static void *newobj (lua_State *L, const void *tag, const char *tname,
                     int nuv, size_t size) {
  gch_Box *b;
  gch_Ref *r;
  luaL_getmetatable(L, tname);
  b = gchL_newbox(L, tag, nuv, -1);
  lua_remove(L, -2);  /* metatable */
  r = (gch_Ref *)calloc(1, size);
  if (r == NULL) luaL_error(L, "not enough memory");
  r->refs = 1;
  r->destroy = obj_destroy;
  b->p = r;
  return r;
}

/* __gc of every sync box and guard */
static int sync_gc (lua_State *L) {
  gch_Box *b = (gch_Box *)lua_touserdata(L, 1);
  if (b != NULL && lua_rawlen(L, 1) == sizeof(*b) && b->p != NULL) {
    gch_Ref *r = (gch_Ref *)b->p;
    b->p = NULL;
    gch_ref_release(r);
  }
  return 0;
}

/* wakefirst: hand 'obj' to the first waiter of 'q'; false if none. */
static int wakefirst (gch_Ref *obj, gch_WaitQ *q) {
  gch_Waiter *w;
  do {
    if ((w = q->first) == NULL) return 0;
    waitq_remove(q, w);
    obj->refs--;  /* the caller holds a box */
  } while (!gch_sched_alive(w->g));
  w->success = 1;
  w->g->won = w;
  gch_sched_ready(w->g);
  return 1;
}

/*
** auxblock: park the calling goroutine on 'q' of 'obj' and finish in 'k',
** which calls auxwoken first.
*/
static int auxblock (lua_State *L, gch_Ref *obj, gch_WaitQ *q,
                     const char *reason, lua_KFunction k) {
  gch_Sched *S = gchL_sched(L);
  gch_G *g = gchL_current(L, S);
  g->w1.L = L;
  gch_waiter_enqueue(obj, q, &g->w1);
  return gchL_park(L, S, g, reason, k);
}

/* auxwoken: in a continuation: withdraw the waiter, raise on failure */
static void auxwoken (lua_State *L, lua_KContext ctx) {
  gch_G *g = (gch_G *)ctx;
  int st = gchL_waitstatus(L, g);
  gch_waiter_dequeue(&g->w1);
  if (st != GCH_OK) gchL_raise(L, g->S, st);
}

/* pushguard: push the guard kept in user value 'uv' of the box at 1 */
static int pushguard (lua_State *L, int uv) {
  lua_getiuservalue(L, 1, uv);
  return 1;
}

/* newguard: make the guard of kind 'kind' for the object at -1's box */
static void newguard (lua_State *L, gch_Ref *obj, int kind, int uv) {
  gch_Box *b;
  luaL_getmetatable(L, GUARD_T);
  b = gchL_newbox(L, &guardtag, 0, -1);
  lua_remove(L, -2);  /* metatable */
  b->dir = kind;
  b->p = obj;
  obj->refs++;  /* released by sync_gc */
  lua_setiuservalue(L, -2, uv);
}


/*
** {======================================================
** WaitGroup
** =======================================================
*/

static int wg_new (lua_State *L) {
  newobj(L, &wgtag, WAITGROUP_T, 0, sizeof(WaitGroup));
  return 1;
}

/* wg:add(n): a negative counter raises, leaving the counter unchanged */
static int auxadd (lua_State *L, lua_Integer delta) {
  WaitGroup *wg = (WaitGroup *)checkobj(L, &wgtag, WAITGROUP_T);
  lua_Integer n;
  if (__builtin_add_overflow(wg->n, delta, &n) || n < 0)
    return luaL_error(L, "sync: negative WaitGroup counter");
  wg->n = n;
  if (n == 0)  /* as Go: wake every waiter */
    while (wakefirst(&wg->ref, &wg->waiters)) {}
  return 0;
}

static int wg_add (lua_State *L) {
  return auxadd(L, luaL_checkinteger(L, 2));
}

static int wg_done (lua_State *L) {
  return auxadd(L, -1);
}

static int wg_wait_k (lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  auxwoken(L, ctx);
  return 0;
}

static int wg_wait (lua_State *L) {
  WaitGroup *wg = (WaitGroup *)checkobj(L, &wgtag, WAITGROUP_T);
  if (wg->n == 0) return 0;
  return auxblock(L, &wg->ref, &wg->waiters, "sync.WaitGroup.Wait", wg_wait_k);
}


/*
** {======================================================
** Mutex
** =======================================================
*/

static int mutex_new (lua_State *L) {
  Mutex *mu = (Mutex *)newobj(L, &mutextag, MUTEX_T, 1, sizeof(Mutex));
  newguard(L, &mu->ref, GUARD_MUTEX, 1);
  return 1;
}

static int mutex_lock_k (lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  auxwoken(L, ctx);  /* the unlocker handed it over: it is ours */
  return pushguard(L, 1);
}

/* mu:lock() -> guard (usable with <close>) */
static int mutex_lock (lua_State *L) {
  Mutex *mu = (Mutex *)checkobj(L, &mutextag, MUTEX_T);
  if (!mu->locked) {
    mu->locked = 1;
    return pushguard(L, 1);
  }
  return auxblock(L, &mu->ref, &mu->waiters, "sync.Mutex.Lock", mutex_lock_k);
}

/* auxunlock: the hand-off; false if the mutex was not locked */
static int auxunlock (Mutex *mu) {
  if (!mu->locked) return 0;
  if (!wakefirst(&mu->ref, &mu->waiters)) mu->locked = 0;
  return 1;
}

static int mutex_unlock (lua_State *L) {
  Mutex *mu = (Mutex *)checkobj(L, &mutextag, MUTEX_T);
  if (!auxunlock(mu)) return luaL_error(L, "sync: unlock of unlocked mutex");
  return 0;
}

static int mutex_trylock (lua_State *L) {
  Mutex *mu = (Mutex *)checkobj(L, &mutextag, MUTEX_T);
  lua_pushboolean(L, !mu->locked);
  mu->locked = 1;
  return 1;
}


/*
** {======================================================
** RWMutex
** =======================================================
*/

static int rw_new (lua_State *L) {
  RWMutex *rw = (RWMutex *)newobj(L, &rwtag, RWMUTEX_T, 2, sizeof(RWMutex));
  newguard(L, &rw->ref, GUARD_WRITE, 1);
  newguard(L, &rw->ref, GUARD_READ, 2);
  return 1;
}

static int rw_lock_k (lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  auxwoken(L, ctx);
  return pushguard(L, 1);
}

static int rw_rlock_k (lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  auxwoken(L, ctx);
  return pushguard(L, 2);
}

/* rw:lock() -> guard */
static int rw_lock (lua_State *L) {
  RWMutex *rw = (RWMutex *)checkobj(L, &rwtag, RWMUTEX_T);
  if (!rw->writer && rw->readers == 0) {
    rw->writer = 1;
    return pushguard(L, 1);
  }
  return auxblock(L, &rw->ref, &rw->wq, "sync.RWMutex.Lock", rw_lock_k);
}

/* rw:rlock() -> guard; waits while a writer holds it or waits for it */
static int rw_rlock (lua_State *L) {
  RWMutex *rw = (RWMutex *)checkobj(L, &rwtag, RWMUTEX_T);
  if (!rw->writer && rw->wq.first == NULL) {
    rw->readers++;
    return pushguard(L, 2);
  }
  return auxblock(L, &rw->ref, &rw->rq, "sync.RWMutex.RLock", rw_rlock_k);
}

/* the writer is done: admit the readers that waited, else the next writer */
static int auxrwunlock (RWMutex *rw) {
  if (!rw->writer) return 0;
  rw->writer = 0;
  while (wakefirst(&rw->ref, &rw->rq)) rw->readers++;
  if (rw->readers == 0 && wakefirst(&rw->ref, &rw->wq)) rw->writer = 1;
  return 1;
}

static int auxrwrunlock (RWMutex *rw) {
  if (rw->readers == 0) return 0;
  if (--rw->readers == 0 && wakefirst(&rw->ref, &rw->wq)) rw->writer = 1;
  return 1;
}

static int rw_unlock (lua_State *L) {
  RWMutex *rw = (RWMutex *)checkobj(L, &rwtag, RWMUTEX_T);
  if (!auxrwunlock(rw)) return luaL_error(L, "sync: Unlock of unlocked RWMutex");
  return 0;
}

static int rw_runlock (lua_State *L) {
  RWMutex *rw = (RWMutex *)checkobj(L, &rwtag, RWMUTEX_T);
  if (!auxrwrunlock(rw)) return luaL_error(L, "sync: RUnlock of unlocked RWMutex");
  return 0;
}


/*
** {======================================================
** Guards: what lock/rlock return, for local _ <close> = mu:lock()
** =======================================================
*/

static int guard_close (lua_State *L) {
  gch_Box *b = gchL_testbox(L, 1, &guardtag);
  int ok = 1;
  if (b == NULL || b->p == NULL) return luaL_typeerror(L, 1, GUARD_T);
  switch (b->dir) {
    case GUARD_MUTEX:
      if (!auxunlock((Mutex *)b->p))
        return luaL_error(L, "sync: unlock of unlocked mutex");
      break;
    case GUARD_WRITE:
      ok = auxrwunlock((RWMutex *)b->p);
      if (!ok) return luaL_error(L, "sync: Unlock of unlocked RWMutex");
      break;
    default:
      ok = auxrwrunlock((RWMutex *)b->p);
      if (!ok) return luaL_error(L, "sync: RUnlock of unlocked RWMutex");
      break;
  }
  return 0;
}


/*
** {======================================================
** Once
** =======================================================
*/

static int once_new (lua_State *L) {
  newobj(L, &oncetag, ONCE_T, 0, sizeof(Once));
  return 1;
}

/* the first call's f returned or raised: done either way (as Go) */
static int once_done_k (lua_State *L, int status, lua_KContext ctx) {
  Once *o = (Once *)ctx;  /* alive: its box is at 1 */
  o->state = ONCE_DONE;
  while (wakefirst(&o->ref, &o->waiters)) {}
  if (status != LUA_OK && status != LUA_YIELD) return lua_error(L);
  return 0;
}

static int once_wait_k (lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  auxwoken(L, ctx);
  return 0;
}

/* once:call(f): the first call runs f; the others wait until it returns */
static int once_call (lua_State *L) {
  Once *o = (Once *)checkobj(L, &oncetag, ONCE_T);
  luaL_argexpected(L, gchL_iscallable(L, 2), 2, "function");
  if (o->state == ONCE_DONE) return 0;
  if (o->state == ONCE_RUNNING)
    return auxblock(L, &o->ref, &o->waiters, "sync.Once.Do", once_wait_k);
  o->state = ONCE_RUNNING;
  lua_settop(L, 2);
  return once_done_k(L, lua_pcallk(L, 0, 0, 0, (lua_KContext)o, once_done_k),
                     (lua_KContext)o);
}


/*
** {======================================================
** Cond
** =======================================================
*/

/* go.cond(mu) -> Cond on Mutex mu */
static int cond_new (lua_State *L) {
  if (gchL_testbox(L, 1, &mutextag) == NULL) luaL_typeerror(L, 1, MUTEX_T);
  lua_settop(L, 1);
  newobj(L, &condtag, COND_T, 1, sizeof(Cond));
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);  /* its mutex */
  return 1;
}

static int cond_relock_k (lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  auxwoken(L, ctx);  /* the mutex was handed over */
  return 0;
}

/* signalled: lock the mutex again before returning (Go's c.L.Lock()) */
static int cond_wait_k (lua_State *L, int status, lua_KContext ctx) {
  Mutex *mu;
  (void)status;
  auxwoken(L, ctx);
  lua_settop(L, 1);
  lua_getiuservalue(L, 1, 1);  /* the mutex box */
  lua_replace(L, 1);
  mu = (Mutex *)((gch_Box *)lua_touserdata(L, 1))->p;
  if (!mu->locked) {
    mu->locked = 1;
    return 0;
  }
  return auxblock(L, &mu->ref, &mu->waiters, "sync.Mutex.Lock", cond_relock_k);
}

/* c:wait(): unlock, wait for signal/broadcast, lock again */
static int cond_wait (lua_State *L) {
  Cond *c = (Cond *)checkobj(L, &condtag, COND_T);
  Mutex *mu;
  lua_settop(L, 1);
  lua_getiuservalue(L, 1, 1);
  mu = (Mutex *)((gch_Box *)lua_touserdata(L, 2))->p;
  if (!mu->locked) return luaL_error(L, "sync: unlock of unlocked mutex");
  lua_settop(L, 1);
  auxunlock(mu);
  return auxblock(L, &c->ref, &c->waiters, "sync.Cond.Wait", cond_wait_k);
}

static int cond_signal (lua_State *L) {
  Cond *c = (Cond *)checkobj(L, &condtag, COND_T);
  wakefirst(&c->ref, &c->waiters);
  return 0;
}

static int cond_broadcast (lua_State *L) {
  Cond *c = (Cond *)checkobj(L, &condtag, COND_T);
  while (wakefirst(&c->ref, &c->waiters)) {}
  return 0;
}


/*
** {======================================================
** Opening
** =======================================================
*/

static const luaL_Reg wg_methods[] = {
  {"add", wg_add}, {"done", wg_done}, {"wait", wg_wait}, {NULL, NULL}
};
static const luaL_Reg mutex_methods[] = {
  {"lock", mutex_lock}, {"unlock", mutex_unlock}, {"try_lock", mutex_trylock},
  {NULL, NULL}
};
static const luaL_Reg rw_methods[] = {
  {"lock", rw_lock}, {"unlock", rw_unlock}, {"rlock", rw_rlock},
  {"runlock", rw_runlock}, {NULL, NULL}
};
static const luaL_Reg once_methods[] = {
  {"call", once_call}, {NULL, NULL}
};
static const luaL_Reg cond_methods[] = {
  {"wait", cond_wait}, {"signal", cond_signal}, {"broadcast", cond_broadcast},
  {NULL, NULL}
};
static const luaL_Reg no_methods[] = {
  {NULL, NULL}
};

static const luaL_Reg sync_funcs[] = {
  {"waitgroup", wg_new},
  {"mutex", mutex_new},
  {"rwmutex", rw_new},
  {"once", once_new},
  {"cond", cond_new},
  {NULL, NULL}
};

/* newclass: metatable 'tname' with __index = methods, __gc, __name */
static void newclass (lua_State *L, const char *tname, const luaL_Reg *methods) {
  luaL_newmetatable(L, tname);
  lua_newtable(L);
  gchL_setfuncs(L, -1, methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, sync_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
}

void gchL_sync_open (lua_State *L) {
  newclass(L, WAITGROUP_T, wg_methods);
  newclass(L, MUTEX_T, mutex_methods);
  newclass(L, RWMUTEX_T, rw_methods);
  newclass(L, ONCE_T, once_methods);
  newclass(L, COND_T, cond_methods);
  newclass(L, GUARD_T, no_methods);
  luaL_getmetatable(L, GUARD_T);
  lua_pushcfunction(L, guard_close);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
  gchL_setfuncs(L, GCH_IDX_MODULE, sync_funcs);
}
