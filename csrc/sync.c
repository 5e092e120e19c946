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
** Locking: a shared object's state and queues change under its lock
** (gch_lock: a no-op while local). Waiters to wake are collected under
** the lock and readied after it is released, as a channel's.
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
  gch_Ref *mu;              /* its Mutex (a reference held) */
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
  gch_ref_freelock(r);
  free(r);
}

static void cond_destroy (gch_Ref *r) {
  gch_Ref *mu = ((Cond *)r)->mu;
  obj_destroy(r);
  if (mu != NULL) gch_ref_release(mu);
}

static void pushbox (lua_State *L, gch_Ref *r, int dir);

static const gch_Kind wg_kind = {WAITGROUP_T, &wgtag, obj_destroy, NULL, NULL, pushbox};
static const gch_Kind mutex_kind = {MUTEX_T, &mutextag, obj_destroy, NULL, NULL, pushbox};
static const gch_Kind rw_kind = {RWMUTEX_T, &rwtag, obj_destroy, NULL, NULL, pushbox};
static const gch_Kind once_kind = {ONCE_T, &oncetag, obj_destroy, NULL, NULL, pushbox};
static void cond_share (lua_State *L, gch_Ref *r, int box);
static const gch_Kind cond_kind = {COND_T, &condtag, cond_destroy, cond_share, NULL, pushbox};

int gch_sync_istag (const void *tag) {
  return tag == &wgtag || tag == &mutextag || tag == &rwtag ||
         tag == &oncetag || tag == &condtag;
}

/* checkbox: the box at 1 of kind 'k'. */
static gch_Box *checkbox (lua_State *L, const gch_Kind *k) {
  gch_Box *b = gchL_testbox(L, 1, k->tag);
  if (l_unlikely(b == NULL || b->p == NULL)) luaL_typeerror(L, 1, k->tname);
  return b;
}

#define checkobj(L,k)  (checkbox(L, k)->p)

/* newguard: make the guard of kind 'kind' for the box on top */
static void newguard (lua_State *L, gch_Ref *obj, int kind, int uv) {
  gch_Box *b;
  luaL_getmetatable(L, GUARD_T);
  b = gchL_newbox(L, &guardtag, 0, -1);
  lua_remove(L, -2);  /* metatable */
  b->dir = kind;
  b->p = obj;
  gch_ref_incr(obj);  /* released by sync_gc */
  lua_setiuservalue(L, -2, uv);
}

/*
** boxobj: push a box of kind 'k' for 'r' (taking a reference), with the
** guards a Mutex or RWMutex box carries. [-0, +1, m]
*/
static void boxobj (lua_State *L, const gch_Kind *k, gch_Ref *r) {
  gch_Box *b;
  luaL_getmetatable(L, k->tname);
  b = gchL_newbox(L, k->tag, 2, -1);
  lua_remove(L, -2);  /* metatable */
  if (r == NULL) return;
  b->p = r;
  gch_ref_incr(r);
  if (k == &mutex_kind) newguard(L, r, GUARD_MUTEX, 1);
  else if (k == &rw_kind) {
    newguard(L, r, GUARD_WRITE, 1);
    newguard(L, r, GUARD_READ, 2);
  }
}

/* pushbox: (gch_Kind.pushbox) this state's box for a shared object */
static void pushbox (lua_State *L, gch_Ref *r, int dir) {
  (void)dir;
  boxobj(L, r->kind, r);
  if (r->kind == &cond_kind) {  /* its Mutex, through this state's proxy */
    gchL_pushproxy(L, ((Cond *)r)->mu, 0);
    lua_setiuservalue(L, -2, 1);
  }
}

/* newobj: push a box for a new zeroed object of 'size' bytes. [-0, +1, m] */
static gch_Ref *newobj (lua_State *L, const gch_Kind *k, size_t size) {
  gch_Box *b;
  gch_Ref *r;
  luaL_getmetatable(L, k->tname);
  b = gchL_newbox(L, k->tag, 2, -1);  /* empty until 'r' is complete */
  lua_remove(L, -2);
  r = (gch_Ref *)calloc(1, size);
  if (r == NULL) luaL_error(L, "not enough memory");
  r->refs = 1;
  r->kind = k;
  b->p = r;
  if (k == &mutex_kind) newguard(L, r, GUARD_MUTEX, 1);
  else if (k == &rw_kind) {
    newguard(L, r, GUARD_WRITE, 1);
    newguard(L, r, GUARD_READ, 2);
  }
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

/*
** popwaiter: (lock held) the first waiter of 'q' that can still be woken,
** unlinked and marked successful, or NULL.
*/
static gch_Waiter *popwaiter (gch_Sched *self, gch_WaitQ *q) {
  gch_Waiter *w;
  while ((w = q->first) != NULL) {
    waitq_remove(q, w);
    if (w->g->S != self) gch_sched_remote(self, w->g);  /* ready it later */
    if (w->g->S != self || gch_sched_alive(w->g)) {
      w->success = 1;
      w->g->won = w;
      return w;
    }
  }
  return NULL;
}

/* collect: pop every waiter of 'q' onto 'list' (through 'next') */
static gch_Waiter *collect (gch_Sched *self, gch_WaitQ *q, gch_Waiter *list) {
  gch_Waiter *w;
  while ((w = popwaiter(self, q)) != NULL) {
    w->next = list;
    list = w;
  }
  return list;
}

/* readyall: after unlocking, ready the goroutines of a collected list */
static void readyall (gch_Sched *self, gch_Waiter *w) {
  while (w != NULL) {
    gch_Waiter *next = w->next;
    w->next = NULL;
    gch_sched_ready(self, w->g);
    w = next;
  }
}

/*
** auxblock: (lock of 'obj' held; 'g' from gchL_current, taken before
** locking) park on 'q' of 'obj', unlock, and finish in 'k'.
*/
static int auxblock (lua_State *L, gch_Box *b, gch_G *g, gch_WaitQ *q,
                     const char *reason, lua_KFunction k) {
  gch_Ref *obj = (gch_Ref *)b->p;
  g->w1.L = L;
  g->w1.msg = NULL;
  gch_waiter_enqueue(obj, q, &g->w1);
  gch_unlock(obj);
  return gchL_park(L, b->S, g, reason, k);
}

/* auxwoken: in a continuation: withdraw the waiter; the wait's outcome */
static int auxwoken (lua_State *L, lua_KContext ctx) {
  gch_G *g = (gch_G *)ctx;
  int st = gchL_waitstatus(L, g);
  gch_waiter_dequeue(&g->w1);
  return st;
}

/* pushguard: push the guard kept in user value 'uv' of the box at 1 */
static int pushguard (lua_State *L, int uv) {
  lua_getiuservalue(L, 1, uv);
  return 1;
}


/*
** {======================================================
** WaitGroup
** =======================================================
*/

static int wg_new (lua_State *L) {
  newobj(L, &wg_kind, sizeof(WaitGroup));
  return 1;
}

/* wg:add(n): a negative counter raises, leaving the counter unchanged */
static int auxadd (lua_State *L, lua_Integer delta) {
  gch_Box *b = checkbox(L, &wg_kind);
  WaitGroup *wg = (WaitGroup *)b->p;
  gch_Waiter *list = NULL;
  lua_Integer n;
  int bad;
  gch_lock(&wg->ref);
  bad = __builtin_add_overflow(wg->n, delta, &n) || n < 0;
  if (!bad) {
    wg->n = n;
    if (n == 0) list = collect(b->S, &wg->waiters, NULL);  /* as Go: all */
  }
  gch_unlock(&wg->ref);
  if (bad) return luaL_error(L, "sync: negative WaitGroup counter");
  readyall(b->S, list);
  return 0;
}

static int wg_add (lua_State *L);
static int wg_done (lua_State *L);

static int wg_add_again (lua_State *L, int status, lua_KContext ctx) {
  (void)status; (void)ctx;
  return wg_add(L);
}

static int wg_done_again (lua_State *L, int status, lua_KContext ctx) {
  (void)status; (void)ctx;
  return wg_done(L);
}

static int wg_add (lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 2);
  gchL_schedpoint(L, checkbox(L, &wg_kind)->S, wg_add_again);
  return auxadd(L, n);
}

static int wg_done (lua_State *L) {
  gchL_schedpoint(L, checkbox(L, &wg_kind)->S, wg_done_again);
  return auxadd(L, -1);
}

static int wg_wait_k (lua_State *L, int status, lua_KContext ctx) {
  int st = auxwoken(L, ctx);
  (void)status;
  if (st != GCH_OK) return gchL_raise(L, ((gch_G *)ctx)->S, st);
  return 0;
}

static int wg_wait (lua_State *L) {
  gch_Box *b = checkbox(L, &wg_kind);
  WaitGroup *wg = (WaitGroup *)b->p;
  gch_G *g = gchL_current(L, b->S);
  gch_lock(&wg->ref);
  if (wg->n == 0) {
    gch_unlock(&wg->ref);
    return 0;
  }
  return auxblock(L, b, g, &wg->waiters, "sync.WaitGroup.Wait", wg_wait_k);
}


/*
** {======================================================
** Mutex
** =======================================================
*/

static int mutex_new (lua_State *L) {
  newobj(L, &mutex_kind, sizeof(Mutex));
  return 1;
}

static int mutex_lock_k (lua_State *L, int status, lua_KContext ctx) {
  int st = auxwoken(L, ctx);  /* on success the unlocker handed it over */
  (void)status;
  if (st != GCH_OK) return gchL_raise(L, ((gch_G *)ctx)->S, st);
  return pushguard(L, 1);
}

/* trylock: (no lock held) take 'mu' if free */
static int trylock (Mutex *mu) {
  int got;
  gch_lock(&mu->ref);
  got = !mu->locked;
  mu->locked = 1;
  gch_unlock(&mu->ref);
  return got;
}

static int mutex_lock (lua_State *L);

static int mutex_lock_again (lua_State *L, int status, lua_KContext ctx) {
  (void)status; (void)ctx;
  return mutex_lock(L);
}

/* mu:lock() -> guard (usable with <close>) */
static int mutex_lock (lua_State *L) {
  gch_Box *b = checkbox(L, &mutex_kind);
  Mutex *mu = (Mutex *)b->p;
  gch_G *g;
  gchL_schedpoint(L, b->S, mutex_lock_again);
  if (!mu->ref.shared && !mu->locked) {  /* fast path of a local mutex */
    mu->locked = 1;
    return pushguard(L, 1);
  }
  g = gchL_current(L, b->S);
  gch_lock(&mu->ref);
  if (!mu->locked) {
    mu->locked = 1;
    gch_unlock(&mu->ref);
    return pushguard(L, 1);
  }
  return auxblock(L, b, g, &mu->waiters, "sync.Mutex.Lock", mutex_lock_k);
}

/* auxunlock: the hand-off (Go's starvation mode); false if not locked */
static int auxunlock (gch_Sched *self, Mutex *mu) {
  gch_Waiter *w = NULL;
  int was;
  gch_lock(&mu->ref);
  was = mu->locked;
  if (was && (w = popwaiter(self, &mu->waiters)) == NULL) mu->locked = 0;
  gch_unlock(&mu->ref);
  if (w != NULL) gch_sched_ready(self, w->g);
  return was;
}

static int mutex_unlock (lua_State *L) {
  gch_Box *b = checkbox(L, &mutex_kind);
  Mutex *mu = (Mutex *)b->p;
  if (!mu->ref.shared && mu->locked && mu->waiters.first == NULL) {
    mu->locked = 0;  /* fast path of a local mutex */
    return 0;
  }
  if (!auxunlock(b->S, mu)) return luaL_error(L, "sync: unlock of unlocked mutex");
  return 0;
}

static int mutex_trylock (lua_State *L) {
  lua_pushboolean(L, trylock((Mutex *)checkobj(L, &mutex_kind)));
  return 1;
}


/*
** {======================================================
** RWMutex
** =======================================================
*/

static int rw_new (lua_State *L) {
  newobj(L, &rw_kind, sizeof(RWMutex));
  return 1;
}

/* admitreaders: (lock held) let every waiting reader in */
static gch_Waiter *admitreaders (gch_Sched *self, RWMutex *rw, gch_Waiter *list) {
  gch_Waiter *w;
  while ((w = popwaiter(self, &rw->rq)) != NULL) {
    rw->readers++;
    w->next = list;
    list = w;
  }
  return list;
}

/* admitwriter: (lock held) free of readers: let the next writer in */
static gch_Waiter *admitwriter (gch_Sched *self, RWMutex *rw, gch_Waiter *list) {
  gch_Waiter *w;
  if (rw->readers == 0 && (w = popwaiter(self, &rw->wq)) != NULL) {
    rw->writer = 1;
    w->next = list;
    list = w;
  }
  return list;
}

static int rw_lock_k (lua_State *L, int status, lua_KContext ctx) {
  gch_G *g = (gch_G *)ctx;
  int st = auxwoken(L, ctx);
  (void)status;
  if (st != GCH_OK) {
    /* a writer that gave up waiting may have been all that kept the
       queued readers out: let them in now */
    gch_Box *b = (gch_Box *)lua_touserdata(L, 1);
    RWMutex *rw = (RWMutex *)b->p;
    gch_Waiter *list = NULL;
    gch_lock(&rw->ref);
    if (!rw->writer && rw->wq.first == NULL) list = admitreaders(b->S, rw, NULL);
    gch_unlock(&rw->ref);
    readyall(b->S, list);
    return gchL_raise(L, g->S, st);
  }
  return pushguard(L, 1);
}

static int rw_rlock_k (lua_State *L, int status, lua_KContext ctx) {
  int st = auxwoken(L, ctx);
  (void)status;
  if (st != GCH_OK) return gchL_raise(L, ((gch_G *)ctx)->S, st);
  return pushguard(L, 2);
}

/* rw:lock() -> guard */
static int rw_lock (lua_State *L) {
  gch_Box *b = checkbox(L, &rw_kind);
  RWMutex *rw = (RWMutex *)b->p;
  gch_G *g = gchL_current(L, b->S);
  gch_lock(&rw->ref);
  if (!rw->writer && rw->readers == 0) {
    rw->writer = 1;
    gch_unlock(&rw->ref);
    return pushguard(L, 1);
  }
  return auxblock(L, b, g, &rw->wq, "sync.RWMutex.Lock", rw_lock_k);
}

/* rw:rlock() -> guard; waits while a writer holds it or waits for it */
static int rw_rlock (lua_State *L) {
  gch_Box *b = checkbox(L, &rw_kind);
  RWMutex *rw = (RWMutex *)b->p;
  gch_G *g = gchL_current(L, b->S);
  gch_lock(&rw->ref);
  if (!rw->writer && rw->wq.first == NULL) {
    rw->readers++;
    gch_unlock(&rw->ref);
    return pushguard(L, 2);
  }
  return auxblock(L, b, g, &rw->rq, "sync.RWMutex.RLock", rw_rlock_k);
}

/* the writer is done: admit the readers that waited, else the next writer */
static int auxrwunlock (gch_Sched *self, RWMutex *rw) {
  gch_Waiter *list = NULL;
  int was;
  gch_lock(&rw->ref);
  was = rw->writer;
  if (was) {  /* as Go: the readers that waited for this writer go first */
    rw->writer = 0;
    list = admitwriter(self, rw, admitreaders(self, rw, NULL));
  }
  gch_unlock(&rw->ref);
  readyall(self, list);
  return was;
}

static int auxrwrunlock (gch_Sched *self, RWMutex *rw) {
  gch_Waiter *list = NULL;
  int was;
  gch_lock(&rw->ref);
  was = rw->readers > 0;
  if (was && --rw->readers == 0) list = admitwriter(self, rw, NULL);
  gch_unlock(&rw->ref);
  readyall(self, list);
  return was;
}

static int rw_unlock (lua_State *L) {
  gch_Box *b = checkbox(L, &rw_kind);
  if (!auxrwunlock(b->S, (RWMutex *)b->p))
    return luaL_error(L, "sync: Unlock of unlocked RWMutex");
  return 0;
}

static int rw_runlock (lua_State *L) {
  gch_Box *b = checkbox(L, &rw_kind);
  if (!auxrwrunlock(b->S, (RWMutex *)b->p))
    return luaL_error(L, "sync: RUnlock of unlocked RWMutex");
  return 0;
}


/*
** {======================================================
** Guards: what lock/rlock return, for local _ <close> = mu:lock()
** =======================================================
*/

static int guard_close (lua_State *L) {
  gch_Box *b = gchL_testbox(L, 1, &guardtag);
  if (b == NULL || b->p == NULL) return luaL_typeerror(L, 1, GUARD_T);
  switch (b->dir) {
    case GUARD_MUTEX:
      if (!auxunlock(b->S, (Mutex *)b->p))
        return luaL_error(L, "sync: unlock of unlocked mutex");
      break;
    case GUARD_WRITE:
      if (!auxrwunlock(b->S, (RWMutex *)b->p))
        return luaL_error(L, "sync: Unlock of unlocked RWMutex");
      break;
    default:
      if (!auxrwrunlock(b->S, (RWMutex *)b->p))
        return luaL_error(L, "sync: RUnlock of unlocked RWMutex");
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
  newobj(L, &once_kind, sizeof(Once));
  return 1;
}

/* the first call's f returned or raised: done either way (as Go) */
static int once_done_k (lua_State *L, int status, lua_KContext ctx) {
  gch_Box *b = (gch_Box *)lua_touserdata(L, 1);  /* alive: it is at 1 */
  Once *o = (Once *)ctx;
  gch_Waiter *list;
  gch_lock(&o->ref);
  o->state = ONCE_DONE;
  list = collect(b->S, &o->waiters, NULL);
  gch_unlock(&o->ref);
  readyall(b->S, list);
  if (status != LUA_OK && status != LUA_YIELD) return lua_error(L);
  return 0;
}

static int once_wait_k (lua_State *L, int status, lua_KContext ctx) {
  int st = auxwoken(L, ctx);
  (void)status;
  if (st != GCH_OK) return gchL_raise(L, ((gch_G *)ctx)->S, st);
  return 0;
}

/* once:call(f): the first call runs f; the others wait until it returns */
static int once_call (lua_State *L) {
  gch_Box *b = checkbox(L, &once_kind);
  Once *o = (Once *)b->p;
  gch_G *g;
  luaL_argexpected(L, gchL_iscallable(L, 2), 2, "function");
  g = gchL_current(L, b->S);
  gch_lock(&o->ref);
  if (o->state == ONCE_DONE) {
    gch_unlock(&o->ref);
    return 0;
  }
  if (o->state == ONCE_RUNNING)
    return auxblock(L, b, g, &o->waiters, "sync.Once.Do", once_wait_k);
  o->state = ONCE_RUNNING;
  gch_unlock(&o->ref);
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
  gch_Box *mb = gchL_testbox(L, 1, &mutextag);
  Cond *c;
  if (mb == NULL || mb->p == NULL) luaL_typeerror(L, 1, MUTEX_T);
  lua_settop(L, 1);
  c = (Cond *)newobj(L, &cond_kind, sizeof(Cond));
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);  /* its mutex's box */
  c->mu = (gch_Ref *)mb->p;
  gch_ref_incr(c->mu);
  return 1;
}

/* cond_share: (gch_Kind.share) its Mutex must be shared with it */
static void cond_share (lua_State *L, gch_Ref *r, int box) {
  (void)r;
  lua_getiuservalue(L, box, 1);
  gchL_share(L, (gch_Ref *)((gch_Box *)lua_touserdata(L, -1))->p, -1);
  lua_pop(L, 1);
}

static int cond_relock_k (lua_State *L, int status, lua_KContext ctx) {
  int st = auxwoken(L, ctx);  /* on success the mutex was handed over */
  (void)status;
  if (st != GCH_OK) return gchL_raise(L, ((gch_G *)ctx)->S, st);
  return 0;
}

/*
** signalled (or failed): hold the mutex again before returning, as Go's
** c.L.Lock() -- also before raising, if it is free, so that a <close>
** guard around the wait unlocks cleanly and the error is not replaced.
*/
static int cond_wait_k (lua_State *L, int status, lua_KContext ctx) {
  gch_G *g = (gch_G *)ctx;
  int st = auxwoken(L, ctx);
  gch_Box *mb;
  Mutex *mu;
  (void)status;
  lua_settop(L, 1);
  lua_getiuservalue(L, 1, 1);  /* the mutex box */
  lua_replace(L, 1);
  mb = (gch_Box *)lua_touserdata(L, 1);
  mu = (Mutex *)mb->p;
  if (st != GCH_OK) {
    trylock(mu);
    return gchL_raise(L, g->S, st);
  }
  gch_lock(&mu->ref);
  if (!mu->locked) {
    mu->locked = 1;
    gch_unlock(&mu->ref);
    return 0;
  }
  return auxblock(L, mb, g, &mu->waiters, "sync.Mutex.Lock", cond_relock_k);
}

/* c:wait(): unlock, wait for signal/broadcast, lock again */
static int cond_wait (lua_State *L) {
  gch_Box *b = checkbox(L, &cond_kind);
  Cond *c = (Cond *)b->p;
  Mutex *mu = (Mutex *)c->mu;
  gch_G *g = gchL_current(L, b->S);
  lua_settop(L, 1);
  if (!mu->locked) return luaL_error(L, "sync: unlock of unlocked mutex");
  gch_lock(&c->ref);  /* queued before the mutex is released: no lost signal */
  g->w1.L = L;
  g->w1.msg = NULL;
  gch_waiter_enqueue(&c->ref, &c->waiters, &g->w1);
  gch_unlock(&c->ref);
  auxunlock(b->S, mu);
  return gchL_park(L, b->S, g, "sync.Cond.Wait", cond_wait_k);
}

static int cond_signal (lua_State *L) {
  gch_Box *b = checkbox(L, &cond_kind);
  Cond *c = (Cond *)b->p;
  gch_Waiter *w;
  gch_lock(&c->ref);
  w = popwaiter(b->S, &c->waiters);
  gch_unlock(&c->ref);
  if (w != NULL) gch_sched_ready(b->S, w->g);
  return 0;
}

static int cond_broadcast (lua_State *L) {
  gch_Box *b = checkbox(L, &cond_kind);
  Cond *c = (Cond *)b->p;
  gch_Waiter *list;
  gch_lock(&c->ref);
  list = collect(b->S, &c->waiters, NULL);
  gch_unlock(&c->ref);
  readyall(b->S, list);
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

static const luaL_Reg sync_meta[] = {
  {"__gc", sync_gc},
  {NULL, NULL}
};

static void newclass (lua_State *L, const char *tname, const luaL_Reg *methods) {
  gchL_newclass(L, tname, methods, sync_meta);
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
