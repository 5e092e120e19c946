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
** the lock and readied after it is released, as a channel's. Only
** c:wait() holds two: its Mutex's, then the Cond's.
*/
#include <limits.h>
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
  lua_Integer unheld;       /* id of the goroutine whose c:wait() raised
                               without the mutex, or 0: its next unlock is
                               skipped (auxrelock). An id, not the record:
                               records are reused, ids never */
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

static void mutex_abandon (gch_Sched *self, gch_Waiter *w);
static void rw_abandon (gch_Sched *self, gch_Waiter *w);
static const gch_Kind wg_kind = {WAITGROUP_T, &wgtag, obj_destroy, NULL, NULL, pushbox, NULL};
static const gch_Kind mutex_kind = {MUTEX_T, &mutextag, obj_destroy, NULL, NULL, pushbox,
                                    mutex_abandon};
static const gch_Kind rw_kind = {RWMUTEX_T, &rwtag, obj_destroy, NULL, NULL, pushbox, rw_abandon};
static const gch_Kind once_kind = {ONCE_T, &oncetag, obj_destroy, NULL, NULL, pushbox, NULL};
static void cond_share (lua_State *L, gch_Ref *r, int box);
static const gch_Kind cond_kind = {COND_T, &condtag, cond_destroy, cond_share, NULL, pushbox,
                                   NULL};

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

/* holdby: (lock held) 'g' holds 'mu' now: its own unlock is no longer skipped */
static void holdby (Mutex *mu, gch_G *g) {
  mu->locked = 1;
  if (l_unlikely(mu->unheld == g->id)) mu->unheld = 0;
}

/* trylock: (no lock held) 'g' takes 'mu' if free */
static int trylock (Mutex *mu, gch_G *g) {
  int got;
  gch_lock(&mu->ref);
  got = !mu->locked;
  if (got) holdby(mu, g);
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
    holdby(mu, b->S->current);
    return pushguard(L, 1);
  }
  g = gchL_current(L, b->S);
  gch_lock(&mu->ref);
  if (!mu->locked) {
    holdby(mu, g);
    gch_unlock(&mu->ref);
    return pushguard(L, 1);
  }
  return auxblock(L, b, g, &mu->waiters, "sync.Mutex.Lock", mutex_lock_k);
}

/*
** release: (lock held; 'mu' locked) the hand-off (Go's starvation mode):
** the waiter that holds 'mu' now, to ready after unlocking, or NULL if
** 'mu' is free.
*/
static gch_Waiter *release (gch_Sched *self, Mutex *mu) {
  gch_Waiter *w = popwaiter(self, &mu->waiters);
  if (w == NULL) mu->locked = 0;
  else holdby(mu, w->g);
  return w;
}

/*
** auxunlock: 'g' unlocks 'mu'; false if it was not locked. The unlock of
** a goroutine whose c:wait() could not lock 'mu' again is skipped: 'mu'
** is another's (see auxrelock).
*/
static int auxunlock (gch_Sched *self, Mutex *mu, gch_G *g) {
  gch_Waiter *w = NULL;
  int was;
  gch_lock(&mu->ref);
  if (l_unlikely(mu->unheld != 0 && mu->unheld == g->id)) {
    mu->unheld = 0;
    was = 1;
  }
  else if ((was = mu->locked) != 0) w = release(self, mu);
  gch_unlock(&mu->ref);
  if (w != NULL) gch_sched_ready(self, w->g);
  return was;
}

static int mutex_unlock (lua_State *L) {
  gch_Box *b = checkbox(L, &mutex_kind);
  Mutex *mu = (Mutex *)b->p;
  if (!mu->ref.shared && mu->locked && mu->waiters.first == NULL &&
      mu->unheld == 0) {
    mu->locked = 0;  /* fast path of a local mutex */
    return 0;
  }
  if (!auxunlock(b->S, mu, b->S->current))
    return luaL_error(L, "sync: unlock of unlocked mutex");
  return 0;
}

static int mutex_trylock (lua_State *L) {
  gch_Box *b = checkbox(L, &mutex_kind);
  lua_pushboolean(L, trylock((Mutex *)b->p, b->S->current));
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

/*
** admitnext: (lock held) no writer holds it: let the next writer in once
** the readers are gone; with no writer left that can take it, the readers
** queued behind the writers that gave up waiting or were abandoned (their
** coroutines closed) come in: nothing else would ever admit them.
*/
static gch_Waiter *admitnext (gch_Sched *self, RWMutex *rw, gch_Waiter *list) {
  list = admitwriter(self, rw, list);
  if (!rw->writer && rw->wq.first == NULL) list = admitreaders(self, rw, list);
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
    if (!rw->writer) list = admitnext(b->S, rw, NULL);
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
  if (was && --rw->readers == 0) list = admitnext(self, rw, NULL);
  gch_unlock(&rw->ref);
  readyall(self, list);
  return was;
}

/*
** Abandoned hand-offs (gch_Kind.abandon): the lock was handed to a waiter
** whose goroutine is dropped before it ran; let it go as its unlock would
** have, or it would stay locked for good.
*/
static void mutex_abandon (gch_Sched *self, gch_Waiter *w) {
  Mutex *mu = (Mutex *)w->obj;
  gch_Waiter *next;
  gch_lock(&mu->ref);
  next = mu->locked ? release(self, mu) : NULL;
  gch_unlock(&mu->ref);
  if (next != NULL) gch_sched_ready(self, next->g);
}

static void rw_abandon (gch_Sched *self, gch_Waiter *w) {
  RWMutex *rw = (RWMutex *)w->obj;
  if (w->q == &rw->rq) auxrwrunlock(self, rw);  /* it was admitted as a reader */
  else auxrwunlock(self, rw);
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
      if (!auxunlock(b->S, (Mutex *)b->p, b->S->current))
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

/*
** takeerrors: (the main goroutine, blocked inline) move its pending
** goroutine errors, oldest first, onto L, to be raised later: the inline
** loop stops at once while one is pending (waitinline), so nothing could
** run and let the mutex go. False, moving nothing, if L has no room for
** them. [-0, +n, -]
*/
static int takeerrors (lua_State *L, gch_Sched *S) {
  lua_Integer n = S->errtail - S->errhead;
  int t;
  if (n == 0) return 1;
  if (n > INT_MAX - LUA_MINSTACK || !lua_checkstack(L, (int)n + LUA_MINSTACK))
    return 0;
  lua_getiuservalue(L, GCH_UV_SCHED, 2);  /* pending errors */
  t = lua_gettop(L);
  while (S->errhead != S->errtail) {  /* each as gchL_raise takes it */
    lua_Integer i = ++S->errhead;
    lua_rawgeti(L, t, i);
    lua_pushnil(L);
    lua_rawseti(L, t, i);
  }
  lua_remove(L, t);
  return 1;
}

/*
** auxwaitdone: (c:wait()'s continuation: the mutex box at 1, the errors
** takeerrors moved above it) the wait is over, with the mutex held unless
** auxrelock marked it as another's. Queue the moved errors again, oldest
** first, with any newer ones after them (left ahead of them only if L
** has no room), and raise the oldest; else raise the failure 'st'.
*/
static int auxwaitdone (lua_State *L, gch_G *g, int st) {
  gch_Sched *S = g->S;
  int i, top;
  if (lua_gettop(L) > 1) {
    (void)takeerrors(L, S);
    for (i = 2, top = lua_gettop(L); i <= top; i++) {
      lua_pushvalue(L, i);
      gchL_pusherror(L, S);
    }
    st = GCH_GOERROR;
  }
  return st == GCH_OK ? 0 : gchL_raise(L, S, st);
}

static int cond_relock_k (lua_State *L, int status, lua_KContext ctx);

/*
** auxrelock: (c:wait()'s continuation: the mutex box at 1, the errors
** taken so far above it) the wait ended with 'st': lock the mutex again,
** as Go's c.L.Lock(), before returning and also before raising: the
** <close> guard around the wait unlocks it as the error leaves the scope,
** and must not unlock a mutex another goroutine holds.
** 1. A free mutex is taken at once, whatever 'st'.
** 2. After a signal, or a goroutine error (it interrupts only the main
**    goroutine, blocked inline), block for it as lock() does, with the
**    pending errors moved out of the loop's way; the oldest is raised
**    once the mutex is held (auxwaitdone).
** 3. After a deadlock nothing can ever release the mutex (nor when L has
**    no room for the errors): raise without it, marking 'g' so that its
**    own next unlock of it, the guard's, is skipped instead of releasing
**    the holder's lock.
*/
static int auxrelock (lua_State *L, gch_G *g, int st) {
  gch_Box *mb = (gch_Box *)lua_touserdata(L, 1);
  Mutex *mu = (Mutex *)mb->p;
  int canblock;
  gch_assert(st != GCH_GOERROR || g == &g->S->main);  /* errors are main's */
  canblock = st == GCH_OK || (st == GCH_GOERROR && takeerrors(L, g->S));
  if (canblock) gchL_current(L, g->S);  /* a new wait: the signal's 'won' is stale */
  gch_lock(&mu->ref);
  if (!mu->locked) holdby(mu, g);
  else if (canblock)
    return auxblock(L, mb, g, &mu->waiters, "sync.Mutex.Lock", cond_relock_k);
  else mu->unheld = g->id;
  gch_unlock(&mu->ref);
  return auxwaitdone(L, g, st);
}

/* signalled, or the wait failed: lock the mutex again (auxrelock) */
static int cond_wait_k (lua_State *L, int status, lua_KContext ctx) {
  int st = auxwoken(L, ctx);
  (void)status;
  lua_settop(L, 1);
  lua_getiuservalue(L, 1, 1);  /* the mutex box */
  lua_replace(L, 1);
  return auxrelock(L, (gch_G *)ctx, st);
}

static int cond_relock_k (lua_State *L, int status, lua_KContext ctx) {
  int st = auxwoken(L, ctx);  /* on success the mutex was handed over */
  (void)status;
  if (st == GCH_OK) return auxwaitdone(L, (gch_G *)ctx, st);
  return auxrelock(L, (gch_G *)ctx, st);
}

/*
** c:wait(): unlock, wait for signal/broadcast, lock again. The check that
** this goroutine holds the mutex and its release are one step under the
** mutex's lock: a shared mutex is locked and unlocked by other threads.
*/
static int cond_wait (lua_State *L) {
  gch_Box *b = checkbox(L, &cond_kind);
  Cond *c = (Cond *)b->p;
  Mutex *mu = (Mutex *)c->mu;
  gch_G *g = gchL_current(L, b->S);
  gch_Waiter *w = NULL;
  int held;
  lua_settop(L, 1);
  gch_lock(&mu->ref);
  held = mu->locked && mu->unheld != g->id;
  if (held) {
    gch_lock(&c->ref);  /* queued before the mutex is released: no lost signal */
    g->w1.L = L;
    g->w1.msg = NULL;
    gch_waiter_enqueue(&c->ref, &c->waiters, &g->w1);
    gch_unlock(&c->ref);
    w = release(b->S, mu);
  }
  gch_unlock(&mu->ref);
  if (!held) return luaL_error(L, "sync: unlock of unlocked mutex");
  if (w != NULL) gch_sched_ready(b->S, w->g);
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
