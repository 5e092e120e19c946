/*
** sched.c: the per-state scheduler (Go's proc.go: gopark, goready,
** schedule) and the goroutine functions of the module.
**
** What a yield means, decided here once:
** - A goroutine is a coroutine resumed by the scheduler loop (runone). A
**   blocking operation parks it: it sets 'parking' and lua_yieldk's to the
**   loop with a continuation; the loop then leaves it alone until
**   gch_sched_ready puts it back on the run queue.
** - Any other yield that reaches the loop (go.yield, or a user's
**   coroutine.yield at the goroutine's top level) puts the goroutine at the
**   back of the run queue; the yielded values are dropped.
** - Where the blocked thread cannot yield to the loop (the main chunk, a
**   user coroutine nested in a goroutine, a non-yieldable C boundary such
**   as a table.sort comparator), the blocking call runs the loop inline
**   until its goroutine is woken ('inl'/'woken'), then finishes in the same
**   continuation a yield would have reached.
**
** Invariants: a goroutine is in the run queue at most once, so the ring
** has room for 'live' + 1 entries (grown by go(), so ready never
** allocates). 'current' is the goroutine whose code runs now: the main
** goroutine unless the loop is inside lua_resume of another. A goroutine
** is WAITING exactly while it has a wait in progress; its waiters are
** queued only then.
**
** Locking: none yet; one state's scheduler is only touched by the OS
** thread running that state.
*/
#define _GNU_SOURCE  /* ppoll */
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "gochan.h"
#include "waitq.h"

const char gch_schedkey = 0;
const char gch_famkey = 0;  /* registry: family a new thread's state joins */

/* Finished goroutines kept, with their coroutines, for reuse. */
#define POOL_MAX 1024

/* Process-wide goroutine ids: never reused (the only global state). */
static atomic_llong nextid = 1;

static lua_Integer newid (void) {
  return (lua_Integer)atomic_fetch_add(&nextid, 1);
}

/* gchL_schedof: this state's scheduler, from the registry (no upvalue) */
gch_Sched *gchL_schedof (lua_State *L) {
  gch_Sched *S;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &gch_schedkey);
  S = (gch_Sched *)lua_touserdata(L, -1);
  lua_pop(L, 1);
  return S;
}

/* xorshift64*: the select's uniform random choice */
uint64_t gch_sched_rand (gch_Sched *S) {
  uint64_t x = S->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  S->rng = x;
  return x * 0x2545F4914F6CDD1DULL;
}


/*
** {======================================================
** Run queue and goroutine records
** =======================================================
*/

static void runq_push (gch_Sched *S, gch_G *g) {
  gch_assert(S->rqlen < S->rqcap);
  S->runq[(S->rqhead + S->rqlen++) & (S->rqcap - 1)] = g;  /* rqcap: 2^k */
}

/*
** The timer queue: goroutines woken by timers (go.sleep, a timer's
** channel) are late already, so they run before the run queue, in the
** order their timers fired, i.e. by deadline (Go's runnext, kept FIFO).
** Same capacity as the run queue: a goroutine is in at most one of them.
*/
static void tq_push (gch_Sched *S, gch_G *g) {
  gch_assert(S->tqlen < S->rqcap);
  S->tq[(S->tqhead + S->tqlen++) & (S->rqcap - 1)] = g;
}

/* gch_sched_frontbatch: goroutines readied between begin (1) and end (0)
   go on the timer queue */
void gch_sched_frontbatch (gch_Sched *S, int begin) {
  S->readyfront = begin;
}

/* runq_pop: the next goroutine to run: the timer queue's first */
static gch_G *runq_pop (gch_Sched *S) {
  gch_G *g;
  if (S->tqlen > 0) {
    g = S->tq[S->tqhead];
    S->tqhead = (S->tqhead + 1) & (S->rqcap - 1);
    S->tqlen--;
    return g;
  }
  g = S->runq[S->rqhead];
  if (++S->rqhead == S->rqcap) S->rqhead = 0;
  S->rqlen--;
  return g;
}

/* auxreserve: make the run queue able to hold one more goroutine. */
static void auxreserve (lua_State *L, gch_Sched *S) {
  size_t need = (size_t)(S->live + S->nlost) + 2, n, i;
  gch_G **q, **t;
  if (need <= S->rqcap) return;
  n = S->rqcap * 2;
  q = (gch_G **)malloc(n * sizeof(*q));
  t = (gch_G **)malloc(n * sizeof(*t));
  if (q == NULL || t == NULL) {
    free(q);
    free(t);
    luaL_error(L, "not enough memory");
  }
  for (i = 0; i < S->rqlen; i++)  /* unwrap the rings */
    q[i] = S->runq[(S->rqhead + i) % S->rqcap];
  for (i = 0; i < S->tqlen; i++)
    t[i] = S->tq[(S->tqhead + i) % S->rqcap];
  free(S->runq);
  free(S->tq);
  S->runq = q;
  S->tq = t;
  S->rqhead = S->tqhead = 0;
  S->rqcap = n;
}

/* livedelta: goroutines of S started (+1) or finished (-1) */
static void livedelta (gch_Sched *S, int d) {
  S->live += d;
  __atomic_add_fetch(&S->fam->ngoroutines, d, __ATOMIC_RELAXED);
}

/* the list of live goroutines changes under S->glock: go.debug reads it
   from other threads */
static void all_link (gch_Sched *S, gch_G *g) {
  pthread_mutex_lock(&S->glock);
  g->prev = S->all.prev;
  g->next = &S->all;
  S->all.prev->next = g;
  S->all.prev = g;
  pthread_mutex_unlock(&S->glock);
}

static void all_unlink (gch_G *g) {
  pthread_mutex_lock(&g->S->glock);
  g->prev->next = g->next;
  g->next->prev = g->prev;
  g->prev = g->next = NULL;
  pthread_mutex_unlock(&g->S->glock);
}

/* auxdropwaiters: withdraw every waiter and the sleep timer of 'g'. */
static void auxdropwaiters (gch_G *g) {
  gch_Waiter *w = g->won;
  int i;
  if (w != NULL && !g->wonseen && w->success && w->obj != NULL &&
      w->obj->kind->abandon != NULL)  /* handed what it will never use */
    w->obj->kind->abandon(g->S, w);
  if (g->sleep != NULL) gch_timer_cancel(g->sleep);
  gch_waiter_dequeue(&g->w1);
  gch_msg_free(g->w1.msg);  /* a copy it was sending or had received */
  g->w1.msg = NULL;
  for (i = 0; i < g->nws; i++) {
    gch_waiter_dequeue(&g->ws[i]);
    gch_msg_free(g->ws[i].msg);
    g->ws[i].msg = NULL;
  }
}

/*
** auxlose: user code took 'g' out of our hands (closed or resumed its
** coroutine while it was parked): withdraw its waits and let runone
** free the record; nothing will resume its coroutine again.
*/
static void auxlose (gch_Sched *S, gch_G *g) {
  if (g->lost) return;
  auxdropwaiters(g);
  g->wgen++;  /* a wake-up already on its way is stale now */
  g->lost = 1;
  all_unlink(g);  /* no longer live */
  livedelta(S, -1);
  S->nlost++;  /* still takes a run queue slot */
  if (g->status != GCH_GRUNNABLE) {  /* not in the run queue yet */
    setstatus(g, GCH_GRUNNABLE);
    runq_push(S, g);
  }
}

/*
** gch_sched_alive: can the parked 'g' (of this state) still be resumed?
** Not when user code closed its coroutine (coroutine.close): then it goes
** to the run queue, where runone drops it (auxlose). Wakers call this with
** an object's lock held, so it touches no queue: withdrawing g's other
** waiters would take locks (that one among them). The caller unlinks the
** waiter it looked at; the others stay queued, inert, until runone.
*/
int gch_sched_alive (gch_G *g) {
  if (g->inl || lua_status(g->co) == LUA_YIELD) return 1;
  if (!g->lost && g->status != GCH_GRUNNABLE) {
    /* its select cannot be won by another thread any more (a value would
       be handed to it); a waker that got there first readies it again:
       gch_sched_ready skips a queued goroutine */
    (void)__atomic_exchange_n(&g->selectdone, 1, __ATOMIC_ACQ_REL);
    setstatus(g, GCH_GRUNNABLE);
    runq_push(g->S, g);
  }
  return 0;
}

/* auxfreeg: release a goroutine record and its coroutine's anchor. */
static void auxfreeg (lua_State *L, gch_Sched *S, gch_G *g) {
  if (L != NULL && (g->anchor != LUA_NOREF || g->fnref != LUA_NOREF ||
                    g->argref != LUA_NOREF)) {
    lua_getiuservalue(L, GCH_UV_SCHED, 1);
    luaL_unref(L, -1, g->anchor);  /* its coroutine, from newco */
    luaL_unref(L, -1, g->fnref);   /* its function, if it never ran */
    luaL_unref(L, -1, g->argref);
    lua_pop(L, 1);
  }
  (void)S;
  free(g->ws);
  free(g->sleep);
  free(g);
}

/*
** auxnewg: a goroutine record with an idle coroutine, from the pool or
** new (its coroutine anchored in the anchor table). [-0, +0, m]
*/
static gch_G *auxnewg (lua_State *L, gch_Sched *S) {
  gch_G *g = S->free;
  if (g != NULL) {
    S->free = g->next;
    S->nfree--;
    return g;
  }
  g = (gch_G *)calloc(1, sizeof(*g));
  if (g == NULL) luaL_error(L, "not enough memory");
  g->S = S;
  g->w1.g = g;
  g->anchor = g->fnref = g->argref = LUA_NOREF;
  return g;
}

/* newco: (protected) a new coroutine anchored in table 1: its ref */
static int newco (lua_State *L) {
  lua_newthread(L);
  lua_pushinteger(L, luaL_ref(L, 1));  /* unref'd in auxfreeg */
  return 1;
}

/*
** auxattach: give the not yet started 'g' a coroutine (a finished one
** from the pool, or a new one) with its function and arguments on it. A
** goroutine gets its coroutine only when it first runs: 100,000 short
** goroutines started at once then need one coroutine, not 100,000.
** False (with the error on top of L) if it cannot start. Never raises.
*/
static int auxattach (lua_State *L, gch_Sched *S, gch_G *g) {
  int n = g->nargs + 1, i;
  if (S->ncopool > 0) {
    S->ncopool--;
    g->co = S->copool[S->ncopool].co;
    g->anchor = S->copool[S->ncopool].ref;
  }
  else {
    lua_pushcfunction(L, newco);  /* a light function: nothing to allocate */
    lua_getiuservalue(L, GCH_UV_SCHED, 1);  /* anchor table */
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) return 0;
    g->anchor = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_getiuservalue(L, GCH_UV_SCHED, 1);
    lua_rawgeti(L, -1, g->anchor);
    g->co = lua_tothread(L, -1);
    lua_pop(L, 2);
  }
  if (!lua_checkstack(g->co, n) || !lua_checkstack(L, n + 2)) {
    lua_pushliteral(L, "too many arguments to 'go'");
    return 0;
  }
  lua_getiuservalue(L, GCH_UV_SCHED, 1);
  if (n > 2) {  /* {f, args...} */
    int t;
    lua_rawgeti(L, -1, g->fnref);
    t = lua_gettop(L);
    for (i = 1; i <= n; i++) lua_rawgeti(L, t, i);
    lua_xmove(L, g->co, n);
    lua_pop(L, 1);  /* the packed table */
  }
  else {  /* f, and its one argument in 'argref' */
    lua_rawgeti(L, -1, g->fnref);
    if (n == 2) {
      lua_rawgeti(L, -2, g->argref);
      luaL_unref(L, -3, g->argref);
      g->argref = LUA_NOREF;
    }
    lua_xmove(L, g->co, n);
  }
  luaL_unref(L, -1, g->fnref);
  lua_pop(L, 1);  /* anchor table */
  g->fnref = LUA_NOREF;
  return 1;
}

/* auxrecycle: 'g' finished; keep it for reuse or free it. */
static void auxrecycle (lua_State *L, gch_Sched *S, gch_G *g) {
  all_unlink(g);
  livedelta(S, -1);
  setstatus(g, GCH_GDEAD);
  if (g->co != NULL && S->ncopool < POOL_MAX && lua_status(g->co) == LUA_OK) {
    lua_settop(g->co, 0);  /* the coroutine goes back to the pool */
    S->copool[S->ncopool].co = g->co;
    S->copool[S->ncopool].ref = g->anchor;
    S->ncopool++;
    g->co = NULL;
    g->anchor = LUA_NOREF;
  }
  if (S->nfree < POOL_MAX) {  /* the record too */
    if (g->anchor != LUA_NOREF || g->fnref != LUA_NOREF || g->argref != LUA_NOREF) {
      lua_getiuservalue(L, GCH_UV_SCHED, 1);
      luaL_unref(L, -1, g->anchor);
      luaL_unref(L, -1, g->fnref);
      luaL_unref(L, -1, g->argref);
      lua_pop(L, 1);
      g->anchor = g->fnref = g->argref = LUA_NOREF;
      g->co = NULL;
    }
    g->next = S->free;
    S->free = g;
    S->nfree++;
  }
  else auxfreeg(L, S, g);
}


/*
** {======================================================
** Goroutine errors
** =======================================================
*/

/*
** auxcapture: (protected) append "goroutine N: <msg>" and the traceback
** of the failed goroutine (light userdata at 1) to the pending errors.
*/
static int auxcapture (lua_State *L) {
  gch_G *g = (gch_G *)lua_touserdata(L, 1);
  gch_Sched *S = g->S;
  const char *msg;
  lua_xmove(g->co, L, 1);  /* error object */
  lua_pushvalue(L, -1);
  lua_xmove(L, g->co, 1);  /* leave it for the __close handlers */
  lua_getiuservalue(L, GCH_UV_SCHED, 2);  /* pending errors */
  if (lua_getfield(L, -1, "deadlock") != LUA_TNIL && lua_rawequal(L, -1, -3)) {
    lua_pushnil(L);  /* the deadlock report of gchL_raise: pass it on as is */
    lua_setfield(L, -3, "deadlock");
  }
  else {
    lua_settop(L, 3);  /* g, error, errors */
    msg = luaL_tolstring(L, 2, NULL);
    msg = lua_pushfstring(L, "goroutine %I: %s", (LUAI_UACINT)g->id, msg);
    luaL_traceback(L, g->co, msg, 0);
  }
  lua_rawseti(L, 3, S->errtail + 1);  /* counted only once stored */
  S->errtail++;
  return 0;
}

/* storeerr: (protected) errors[i] = msg, from (errors, i, msg) */
static int storeerr (lua_State *L) {
  lua_settop(L, 3);
  lua_rawseti(L, 1, lua_tointeger(L, 2));
  return 0;
}

/*
** gchL_pusherror: queue the error on top of L (popped) for the main
** goroutine. Never raises: if even that cannot be stored, it is printed,
** so that no goroutine fails silently. [-1, +0, -]
*/
void gchL_pusherror (lua_State *L, gch_Sched *S) {
  int top = lua_gettop(L);
  if (lua_checkstack(L, 4)) {
    lua_pushcfunction(L, storeerr);  /* a light function: no allocation */
    lua_getiuservalue(L, GCH_UV_SCHED, 2);
    lua_pushinteger(L, S->errtail + 1);
    lua_pushvalue(L, top);
    if (lua_pcall(L, 3, 0, 0) == LUA_OK) {
      S->errtail++;
      lua_settop(L, top - 1);
      return;
    }
  }
  (void)fprintf(stderr, "gochan: a goroutine error could not be queued (C stack or memory exhausted): %s\n",
          lua_type(L, top) == LUA_TSTRING ? lua_tostring(L, top) : "?");
  lua_settop(L, top - 1);
}

/* fallbackmsg: (protected) the report of a failure whose traceback could
   not be made, from (id, msg, why) */
static int fallbackmsg (lua_State *L) {
  lua_pushfstring(L, "goroutine %I: %s (its traceback could not be made: %s)",
                  (LUAI_UACINT)lua_tointeger(L, 1), lua_tostring(L, 2),
                  lua_tostring(L, 3));
  return 1;
}

/* auxfinish: a goroutine's coroutine returned (st == LUA_OK) or failed. */
static void auxfinish (lua_State *L, gch_Sched *S, gch_G *g, int st) {
  if (st != LUA_OK) {
    gch_G *saved = S->current;
    lua_pushvalue(L, GCH_UV_SCHED);  /* upvalue for auxcapture */
    lua_pushcclosure(L, auxcapture, 1);
    lua_pushlightuserdata(L, g);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
      /* no room for a protected call (C stack overflow of deeply nested
         inline waits) or no memory: report without calling anything */
      const char *why = lua_tostring(L, -1);
      const char *msg = lua_tostring(g->co, -1);
      lua_pushcfunction(L, fallbackmsg);
      lua_pushinteger(L, g->id);
      lua_pushstring(L, msg ? msg : "error object is not a string");
      lua_pushstring(L, why ? why : "?");
      if (lua_pcall(L, 3, 1, 0) == LUA_OK) gchL_pusherror(L, S);
      else {
        (void)fprintf(stderr, "gochan: goroutine %lld failed: %s\n", (long long)g->id,
                msg ? msg : "?");
        lua_pop(L, 1);
      }
      lua_pop(L, 1);  /* pcall's error */
    }
    S->current = g;  /* its <close> handlers run as this goroutine */
    gch_closethread(g->co, L);
    S->current = saved;
  }
  auxrecycle(L, S, g);
}


/*
** {======================================================
** The loop: resume, park, ready
** =======================================================
*/

static void draininbox (gch_Sched *S);

/*
** runone: resume the goroutine at the head of the run queue until it
** parks, yields or ends. Returns 0 if nothing was runnable.
*/
static int runone (lua_State *L, gch_Sched *S) {
  gch_G *g, *saved = S->current;
  int st, nres;
  if (S->rqlen + S->tqlen == 0) return 0;
  if (l_unlikely(S->chaos) && S->rqlen > 1) {  /* a random one goes first */
    size_t k = (S->rqhead + gch_sched_rand(S) % S->rqlen) & (S->rqcap - 1);
    gch_G *t = S->runq[k];
    S->runq[k] = S->runq[S->rqhead];
    S->runq[S->rqhead] = t;
  }
  g = runq_pop(S);
  if (g->nargs < 0 && lua_status(g->co) != LUA_YIELD)
    auxlose(S, g);  /* user code resumed or closed it while it was queued */
  if (g->lost) {  /* no wake-up may still point at it when it is freed */
    while (__atomic_load_n(&S->fam->inflight, __ATOMIC_ACQUIRE) > 0) sched_yield();
    draininbox(S);
    S->nlost--;
    auxfreeg(L, S, g);
    return 1;
  }
  if (g->co == NULL && !auxattach(L, S, g)) {  /* could not even start */
    lua_pushfstring(L, "goroutine %I: %s", (LUAI_UACINT)g->id,
                    lua_isstring(L, -1) ? lua_tostring(L, -1) : "not enough memory");
    gchL_pusherror(L, S);
    lua_pop(L, 1);
    auxrecycle(L, S, g);
    return 1;
  }
  S->current = g;
  setstatus(g, GCH_GRUNNING);
  g->resumed = 1;
  st = lua_resume(g->co, L, g->nargs < 0 ? 0 : g->nargs, &nres);
  g->resumed = 0;
  g->nargs = -1;  /* started */
  S->current = saved;
  if (st == LUA_YIELD) {
    if (g->parking) g->parking = 0;  /* parked: a waker will ready it */
    else {  /* go.yield or a bare coroutine.yield */
      lua_pop(g->co, nres);
      setstatus(g, GCH_GRUNNABLE);
      runq_push(S, g);
    }
  }
  else auxfinish(L, S, g, st);
  return 1;
}

/*
** gch_sched_ready: 'g' may continue (Go's goready). 'self' is the
** scheduler of the calling thread's state. Never allocates. A goroutine
** of another state goes on its scheduler's inbox, which that scheduler's
** own thread drains; the wake-up was counted in flight by
** gch_sched_remote while its waiter was still queued (so its state
** cannot be closing under us).
*/
void gch_sched_ready (gch_Sched *self, gch_G *g) {
  gch_Sched *S = g->S;
  gch_Family *F;
  if (S == self) {
    if (g->inl) {  /* its blocking call runs the loop: tell it */
      g->woken = 1;
      return;
    }
    if (l_unlikely(g == &S->main)) return;  /* never queued: it runs inline */
    if (l_unlikely(g->status == GCH_GRUNNABLE)) return;  /* queued already:
      a closed goroutine (gch_sched_alive) a remote waker also completed */
    setstatus(g, GCH_GRUNNABLE);
    if (S->readyfront && !S->chaos) tq_push(S, g);  /* woken by a timer */
    else runq_push(S, g);
    return;
  }
  F = S->fam;
  pthread_mutex_lock(&F->mu);
  g->inboxnext = NULL;
  if (S->inbox == NULL) S->inbox = g;
  else S->inboxtail->inboxnext = g;
  S->inboxtail = g;
  __atomic_store_n(&S->hasinbox, 1, __ATOMIC_RELEASE);
  if (S->idle) {
    uint64_t one = 1;
    S->idle = 0;
    if (S->stuck) {
      S->stuck = 0;
      F->nstuck--;
    }
    if (write(S->wakefd, &one, sizeof(one)) < 0) { /* full: it is awake */ }
  }
  pthread_mutex_unlock(&F->mu);
  __atomic_sub_fetch(&F->inflight, 1, __ATOMIC_RELEASE);
}

/* gch_sched_remote: (the waiter of 'g', of another state, is in hand) */
void gch_sched_remote (gch_Sched *self, gch_G *g) {
  (void)self;  /* NULL for the timer thread */
  g->rwake = g->wgen;  /* under the waited object's lock */
  __atomic_add_fetch(&g->S->fam->inflight, 1, __ATOMIC_ACQUIRE);
}

/* draininbox: move what other threads readied to the run queue */
static void draininbox (gch_Sched *S) {
  gch_G *g;
  if (!__atomic_load_n(&S->hasinbox, __ATOMIC_ACQUIRE)) return;
  pthread_mutex_lock(&S->fam->mu);
  g = S->inbox;
  S->inbox = S->inboxtail = NULL;
  S->hasinbox = 0;
  pthread_mutex_unlock(&S->fam->mu);
  while (g != NULL) {
    gch_G *next = g->inboxnext;
    g->inboxnext = NULL;
    /* a wake-up for a wait that already ended (it failed, or user code
       took the goroutine) is stale: the goroutine may wait again since */
    if (g->rwake == g->wgen && !g->lost) gch_sched_ready(S, g);
    g = next;
  }
}

/* wakeroot: (fam->mu held) let the idle root re-check for a deadlock */
static void wakeroot (gch_Family *F) {
  gch_Sched *R = F->root;
  if (R != NULL && R->idle) {
    uint64_t one = 1;
    R->idle = 0;
    if (R->stuck) {
      R->stuck = 0;
      F->nstuck--;
    }
    if (write(R->wakefd, &one, sizeof(one)) < 0) { /* it is awake */ }
  }
}

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif

/* Spin budget before sleeping in the kernel, in seconds (Go's M spins
** before it parks). Bounded, so an idle program burns no core. */
#define SPIN_TIME 50e-6

/*
** spin: watch this state's inbox, and 'ready(arg)' if given, for a short
** while (until SPIN_TIME or the next timer 'next') before paying for a
** kernel sleep and a wake-up (each ~20-50 us on a VM). Only worth it
** while another thread of the family runs: nobody else can hand us work.
** Returns 1 when work arrived in the inbox (ready == NULL) or ready()
** became true, else 0 (timed out; or, with ready(), the inbox has work
** and the caller should park to let it run).
*/
static int spin (gch_Sched *S, double next, int (*ready) (const void *),
                 const void *arg) {
  gch_Family *F = S->fam;
  double until;
  int i;
  if (__atomic_load_n(&F->nsched, __ATOMIC_RELAXED) +
      __atomic_load_n(&F->nbusy, __ATOMIC_RELAXED) < 2)
    return 0;  /* alone: nobody else can wake us */
  until = gch_now() + SPIN_TIME;
  if (next >= 0 && next < until) until = next;
  for (;;) {
    for (i = 0; i < 64; i++) {
      if (__atomic_load_n(&S->hasinbox, __ATOMIC_ACQUIRE)) return ready == NULL;
      if (ready != NULL && ready(arg)) return 1;
      cpu_relax();
    }
    if (gch_now() >= until) return 0;
    /* the thread we wait for may be waiting for a CPU (more runnable
       threads than cores): let it have ours */
    sched_yield();
  }
}

/* auxspin: nothing is runnable: wait a little for work from other threads */
static int auxspin (gch_Sched *S, double next) {
  return spin(S, next, NULL, NULL);
}

/*
** gch_sched_spinfor: the running goroutine is about to park on an object
** of another thread; if nothing else of this state could run meanwhile,
** watch 'ready(arg)' a little first (see spin). A peer that finds us not
** parked just buffers, needing no wake-up, and items move in batches.
*/
int gch_sched_spinfor (gch_Sched *S, int (*ready) (const void *), const void *arg) {
  if (S->rqlen + S->tqlen > 0 || S->closing) return 0;
  return spin(S, gch_timer_next(S), ready, arg);
}

/*
** auxidle: nothing is runnable: sleep in the kernel until the next timer
** or a wake-up from another thread. Returns 0 when nothing anywhere can
** ever make progress (every scheduler of the family stuck: idle with no
** timer) and this is the state that reports it: the root, or the last one
** left when the root is gone. Go's checkdead.
*/
static int auxidle (lua_State *L, gch_Sched *S) {
  gch_Family *F = S->fam;
  double next = gch_timer_next(S);
  struct timespec ts, *tsp = NULL;
  struct pollfd pfd;
  if (auxspin(S, next)) return 1;
  pthread_mutex_lock(&F->mu);
  if (S->inbox != NULL) {
    pthread_mutex_unlock(&F->mu);
    return 1;
  }
  S->idle = 1;
  if (next < 0) {
    S->stuck = 1;
    if (++F->nstuck == F->nsched && F->nbusy == 0 && F->ntimers == 0) {
      if (S == F->root || F->root == NULL) {  /* deadlock: we report it */
        S->idle = S->stuck = 0;
        F->nstuck--;
        pthread_mutex_unlock(&F->mu);
        return 0;
      }
      wakeroot(F);
    }
  }
  pthread_mutex_unlock(&F->mu);
  if (next >= 0 && next != HUGE_VAL) {
    double d = next - gch_now();
    if (d < 0) d = 0;
    if (d > 1e6) d = 1e6;  /* wake now and then: no overflow in timespec */
    ts.tv_sec = (time_t)d;
    ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
    tsp = &ts;
  }
  pfd.fd = S->wakefd;
  pfd.events = POLLIN;
  pfd.revents = 0;
  if (ppoll(&pfd, 1, tsp, NULL) > 0 && (pfd.revents & POLLIN)) {
    uint64_t n;
    if (read(S->wakefd, &n, sizeof(n)) < 0) { /* EAGAIN: nothing to drain */ }
  }
  pthread_mutex_lock(&F->mu);
  if (S->idle) {
    S->idle = 0;
    if (S->stuck) {
      S->stuck = 0;
      F->nstuck--;
    }
  }
  pthread_mutex_unlock(&F->mu);
  (void)L;
  return 1;
}

static int pendingerror (gch_Sched *S, gch_G *g) {
  return g == &S->main && S->errtail != S->errhead;
}

/*
** waitinline: run the loop until 'g' is woken. GCH_OK, or GCH_GOERROR
** (the main goroutine has an error to raise), or GCH_DEADLOCK (nothing
** runnable, no timer pending, and every other scheduler of the family
** stuck too). Due timers are fired every 16 resumes and whenever the run
** queue is empty; then the loop sleeps in the kernel until the next timer
** or a wake-up. The caller withdraws its waiters before raising.
*/
static int waitinline (lua_State *L, gch_Sched *S, gch_G *g) {
  int st = GCH_OK;
  g->inl = 1;
  g->woken = 0;
  while (!g->woken) {
    if (pendingerror(S, g)) { st = GCH_GOERROR; break; }
    draininbox(S);
    if (S->timers.n > 0 && (++S->ticks & 15) == 0)  /* timers, now and then */
      gchL_timer_run(L, S);
    if (runone(L, S) || g->woken) continue;
    if (S->timers.n > 0) gchL_timer_run(L, S);
    if (S->rqlen + S->tqlen > 0 || g->woken) continue;
    if (!auxidle(L, S)) { st = GCH_DEADLOCK; break; }
    if (S->timers.n > 0) gchL_timer_run(L, S);
  }
  g->inl = 0;
  g->woken = 0;
  return st;
}

/*
** core._waitall(): (a go.thread's main goroutine, after its function
** returned) run the loop until every goroutine of this state finished.
** Raises their errors, and the deadlock error. [-0, +0, e]
*/
static int sched_waitall (lua_State *L) {
  gch_Sched *S = gchL_sched(L);
  gch_G *g = &S->main;
  while (S->live > 0) {
    if (pendingerror(S, g)) gchL_raise(L, S, GCH_GOERROR);
    draininbox(S);
    if (S->timers.n > 0 && (++S->ticks & 15) == 0) gchL_timer_run(L, S);
    if (runone(L, S)) continue;
    if (S->timers.n > 0) gchL_timer_run(L, S);
    if (S->rqlen + S->tqlen > 0) continue;
    setstatus(g, GCH_GWAITING);
    setreason(g, "thread join");
    g->blockL = L;
    if (!auxidle(L, S)) gchL_raise(L, S, GCH_DEADLOCK);
    setstatus(g, GCH_GRUNNING);
    if (S->timers.n > 0) gchL_timer_run(L, S);
  }
  if (pendingerror(S, g)) gchL_raise(L, S, GCH_GOERROR);
  return 0;
}

/* gchL_sched_ofthread: mark this state as the one of go.thread 't' */
void gchL_sched_ofthread (lua_State *L, struct gch_Thread *t) {
  gch_Sched *S = gchL_schedof(L);
  if (S != NULL) S->thread = t;
}

/*
** gchL_chaos: GOCHAN_SCHED_SEED is set: at a scheduling point, now and
** then let others run first. In a goroutine that can yield, true tells
** the caller to yield and retry the operation (it is put at the back of
** the run queue); elsewhere a few runnable goroutines run inline.
*/
int gchL_chaos (lua_State *L, gch_Sched *S) {
  gch_G *g = S->current;
  uint64_t r = gch_sched_rand(S);
  if ((r & 3) != 0 || S->closing) return 0;
  if (g->resumed && L == g->co && lua_isyieldable(L)) return 1;
  if (lua_checkstack(L, 6)) {
    int n = (int)((r >> 2) % 3);
    while (n-- > 0 && runone(L, S)) {}
  }
  return 0;
}

/*
** gchL_current: the goroutine about to block. Room on L for a value a
** waker pushes (at most 2 slots) and for the inline loop (3) needs no
** check: a C function starts with LUA_MINSTACK free slots, and blocking
** operations push at most a few values before parking (select, which
** pushes more, checks for itself). [-0, +0, v]
*/
/* gch_sched_mayblock: would gchL_current accept a wait now? (no raise) */
int gch_sched_mayblock (gch_Sched *S) {
  return !S->closing && S->current->status != GCH_GWAITING;
}

gch_G *gchL_current (lua_State *L, gch_Sched *S) {
  gch_G *g = S->current;
  if (l_unlikely(S->closing))
    luaL_error(L, "attempt to block while the Lua state is closing");
  if (l_unlikely(g->status == GCH_GWAITING))  /* its waiter is in use */
    luaL_error(L, "attempt to block in a finalizer or handler run while "
                  "goroutine %I is blocked", (LUAI_UACINT)g->id);
  g->wgen++;  /* a new wait: wake-ups of earlier ones are stale */
  g->won = NULL;  /* before any waiter is queued: a waker may set it at once */
  g->wonseen = 0;
  return g;
}

/*
** gchL_park: block 'g' (whose waiters are queued) and finish in 'k',
** which reads the outcome from gchL_waitstatus. Yields to the loop when
** L is the goroutine's own coroutine and may yield; runs the loop inline
** otherwise (Go's gopark).
*/
int gchL_park (lua_State *L, gch_Sched *S, gch_G *g, const char *reason,
               lua_KFunction k) {
  setstatus(g, GCH_GWAITING);
  setreason(g, reason);
  g->blockL = L;
  if (g->resumed && L == g->co && lua_isyieldable(L)) {
    g->parking = 1;
    g->waitstatus = GCH_OK;
    return lua_yieldk(L, 0, (lua_KContext)g, k);
  }
  g->waitstatus = waitinline(L, S, g);
  if (g->waitstatus != GCH_OK) {
    /* a waker on another thread may have completed the wait meanwhile (it
       is on its way to our inbox): withdraw the waiters under their locks;
       if one was completed, the wait succeeded, and the error waits for the
       next blocking call: no value or hand-off is lost */
    int i;
    gch_waiter_dequeue(&g->w1);
    for (i = 0; i < g->nws; i++) gch_waiter_dequeue(&g->ws[i]);
    if (g->won != NULL) g->waitstatus = GCH_OK;
    g->wgen++;  /* its wake-up, if on its way, is stale: we are done */
  }
  setstatus(g, GCH_GRUNNING);
  return k(L, LUA_OK, (lua_KContext)g);
}

/*
** gchL_waitstatus: in a park continuation, the outcome of g's wait. A
** goroutine still WAITING was resumed by user code (coroutine.resume on
** a parked goroutine): it is withdrawn from the scheduler, which no
** longer owns its coroutine, and the resume fails.
*/
int gchL_waitstatus (lua_State *L, gch_G *g) {
  gch_Sched *S = g->S;
  if (g->status == GCH_GWAITING || S->current != g) {
    auxlose(S, g);
    return luaL_error(L, "attempt to resume a parked goroutine");
  }
  g->wonseen = 1;  /* what the wait handed it is its own now */
  return g->waitstatus;
}


/*
** {======================================================
** Raising: map a result code to its error (never with a waiter queued)
** =======================================================
*/

int gchL_raise (lua_State *L, gch_Sched *S, int code) {
  switch (code) {
    case GCH_CLOSED:
      return luaL_error(L, "send on closed channel");
    case GCH_DEADLOCK: {
      gch_G *g, *stuck = NULL;
      for (g = S->all.next; g != &S->all; g = g->next)
        if (g->inl && g->woken && g != S->current) stuck = g;
      if (stuck != NULL)  /* not Go's deadlock: a limit of inline blocking */
        return luaL_error(L, "blocking call cannot complete: goroutine %I, "
            "which could continue, is suspended below it (a blocking call "
            "made where a coroutine cannot yield runs the scheduler inline)",
            (LUAI_UACINT)stuck->id);
      luaL_where(L, 1);
      lua_pushliteral(L, "all goroutines are asleep - deadlock!");
      gchL_pushreport(L, S, S->current, GCH_REPORT_LINES);
      lua_concat(L, 3);
      if (S->current != &S->main) {
        /* found by a goroutine blocked inline: auxcapture passes this very
           string on to the main goroutine unchanged */
        lua_getiuservalue(L, GCH_UV_SCHED, 2);
        lua_pushvalue(L, -2);
        lua_setfield(L, -2, "deadlock");
        lua_pop(L, 1);
      }
      return lua_error(L);
    }
    case GCH_GOERROR: {
      lua_Integer i = (lua_Integer)++S->errhead;
      lua_getiuservalue(L, GCH_UV_SCHED, 2);
      lua_rawgeti(L, -1, i);
      lua_pushnil(L);
      lua_rawseti(L, -3, i);
      return lua_error(L);
    }
    default:
      return luaL_error(L, "not enough memory");
  }
}


/*
** {======================================================
** Module functions
** =======================================================
*/

int gchL_iscallable (lua_State *L, int i) {
  int t = lua_type(L, i);
  if (t == LUA_TFUNCTION) return 1;
  if (t == LUA_TNONE) return 0;  /* even if nil has a __call (debug.setmetatable) */
  if (luaL_getmetafield(L, i, "__call") == LUA_TNIL) return 0;
  lua_pop(L, 1);
  return 1;
}

/*
** gchL_spawn: start a goroutine running the function and n-1 arguments on
** top of L (popped). Returns its id. [-n, +0, m]
*/
lua_Integer gchL_spawn (lua_State *L, gch_Sched *S, int n) {
  gch_G *g;
  int ref, argref = LUA_NOREF;
  if (S->closing)
    return luaL_error(L, "attempt to start a goroutine while the Lua state is closing");
  if (n >= LUAI_MAXSTACK / 2)
    return luaL_error(L, "too many arguments to 'go'");
  auxreserve(L, S);
  lua_getiuservalue(L, GCH_UV_SCHED, 1);  /* anchor table */
  if (n > 2) {  /* f and its arguments, packed until it runs */
    int i, t = lua_gettop(L);
    lua_createtable(L, n, 0);
    for (i = 1; i <= n; i++) {
      lua_pushvalue(L, t - n + i - 1);
      lua_rawseti(L, -2, i);
    }
  }
  else lua_pushvalue(L, -(n + 1));  /* f; its one argument, if any, below */
  ref = luaL_ref(L, -2);  /* unref'd in auxattach (or auxfreeg) */
  if (n == 2) {
    lua_pushvalue(L, -2);
    argref = luaL_ref(L, -2);
  }
  lua_pop(L, 1);  /* anchor table */
  g = auxnewg(L, S);  /* may raise: then 'ref' stays until the state closes */
  g->fnref = ref;
  g->argref = argref;
  g->co = NULL;  /* one comes when it first runs (auxattach) */
  lua_settop(L, lua_gettop(L) - n);  /* f and its arguments */
  g->nargs = n - 1;
  g->id = newid();
  setstatus(g, GCH_GRUNNABLE);
  all_link(S, g);
  livedelta(S, 1);
  runq_push(S, g);
  return g->id;
}

/* go(f, ...) -> id: start f(...) as a goroutine of this state */
static int sched_go (lua_State *L) {
  gch_Sched *S = gchL_sched(L);
  luaL_argexpected(L, gchL_iscallable(L, 1), 1, "function");
  lua_pushinteger(L, gchL_spawn(L, S, lua_gettop(L)));
  return 1;
}

/* the module's __call: go(f, ...) is go.go(f, ...) */
static int sched_call (lua_State *L) {
  if (gchL_iscallable(L, 2)) {  /* spawn from above the module table */
    lua_pushinteger(L, gchL_spawn(L, gchL_sched(L), lua_gettop(L) - 1));
    return 1;
  }
  lua_remove(L, 1);  /* the error is about argument 1 */
  return sched_go(L);
}

/* go.yield(): let the other runnable goroutines run (runtime.Gosched) */
static int sched_gosched (lua_State *L) {
  gch_Sched *S = gchL_sched(L);
  gch_G *g = S->current;
  size_t n;
  if (g->resumed && L == g->co && lua_isyieldable(L))
    return lua_yield(L, 0);  /* to the back of the run queue */
  luaL_checkstack(L, 6, NULL);
  draininbox(S);
  if (S->timers.n > 0) gchL_timer_run(L, S);  /* a busy main still fires them */
  for (n = S->rqlen + S->tqlen; n > 0 && runone(L, S); n--) {}
  if (pendingerror(S, g)) return gchL_raise(L, S, GCH_GOERROR);
  return 0;
}

static int sched_id (lua_State *L) {
  lua_pushinteger(L, gchL_sched(L)->current->id);
  return 1;
}

/* go.numgoroutine(): goroutines of every state of the family, mains included */
static int sched_numgoroutine (lua_State *L) {
  gch_Family *F = gchL_sched(L)->fam;
  lua_pushinteger(L, (lua_Integer)__atomic_load_n(&F->ngoroutines, __ATOMIC_RELAXED));
  return 1;
}

/*
** __gc of the scheduler (the state is closing): abandon every goroutine
** as Go does at exit, withdrawing its waiters so channels shared beyond
** this state stay consistent; report errors nobody received.
*/
static int sched_gc (lua_State *L) {
  gch_Sched *S = (gch_Sched *)lua_touserdata(L, 1);
  gch_Family *F = S->fam;
  gch_G *g;
  S->closing = 1;
  while (S->rqlen + S->tqlen > 0) {  /* first: lost goroutines are in no other list */
    g = runq_pop(S);
    if (g->lost) auxfreeg(NULL, S, g);
  }
  for (g = S->all.next; g != &S->all; g = g->next)
    auxdropwaiters(g);  /* no other thread can find them any more */
  if (F != NULL) {
    gch_Sched **p;
    while (__atomic_load_n(&F->inflight, __ATOMIC_ACQUIRE) > 0)
      sched_yield();  /* another thread is handing one of them a value */
    pthread_mutex_lock(&F->mu);
    for (p = &F->first; *p != NULL; p = &(*p)->fnext)
      if (*p == S) {
        *p = S->fnext;
        break;
      }
    __atomic_sub_fetch(&F->nsched, 1, __ATOMIC_RELAXED);
    if (F->root == S) F->root = NULL;
    /* a thread's main goroutine counts until its thread ends */
    __atomic_sub_fetch(&F->ngoroutines, S->live + (S->isthread ? 0 : 1),
                       __ATOMIC_RELAXED);
    if (S != F->root && S->isthread)  /* busy until its thread ends */
      __atomic_add_fetch(&F->nbusy, 1, __ATOMIC_RELAXED);
    if (F->nsched > 0 && F->nstuck == F->nsched) wakeroot(F);
    pthread_mutex_unlock(&F->mu);
    gch_family_release(F);
    S->fam = NULL;
  }
  while ((g = S->all.next) != &S->all) {
    all_unlink(g);
    if (g != &S->main) auxfreeg(NULL, S, g);
  }
  free(S->main.ws);
  free(S->main.sleep);
  while ((g = S->free) != NULL) {
    S->free = g->next;
    auxfreeg(NULL, S, g);
  }
  free(S->runq);
  free(S->tq);
  S->runq = S->tq = NULL;
  S->rqlen = S->tqlen = S->rqcap = 0;
  while (S->timers.n > 0) gch_timer_cancel(S->timers.a[0].t);  /* drops their refs */
  free(S->timers.a);
  S->timers.a = NULL;
  S->timers.cap = 0;
  if (S->wakefd >= 0) close(S->wakefd);
  S->wakefd = -1;
  pthread_mutex_destroy(&S->glock);
  lua_getiuservalue(L, 1, 2);
  while (S->errhead != S->errtail) {
    lua_rawgeti(L, -1, (lua_Integer)++S->errhead);
    if (S->thread == NULL)
      (void)fprintf(stderr, "gochan: goroutine error never raised in the main goroutine: %s\n",
              lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  return 0;
}

/* gch_family_release: drop a reference; the last frees the family */
void gch_family_release (gch_Family *F) {
  int last;
  pthread_mutex_lock(&F->mu);
  last = (--F->refs == 0);
  pthread_mutex_unlock(&F->mu);
  if (last) {
    pthread_mutex_destroy(&F->mu);
    free(F);
  }
}

/* gch_family_new: a family with one reference, for a new main state */
gch_Family *gch_family_new (void) {
  gch_Family *F = (gch_Family *)calloc(1, sizeof(*F));
  if (F == NULL) return NULL;
  gch_mutex_init(&F->mu);
  F->refs = 1;
  return F;
}

/* gch_family_threadstart: a go.thread is starting (busy, a ref held) */
void gch_family_threadstart (gch_Family *F) {
  pthread_mutex_lock(&F->mu);
  F->refs++;
  __atomic_add_fetch(&F->nbusy, 1, __ATOMIC_RELAXED);
  pthread_mutex_unlock(&F->mu);
  __atomic_add_fetch(&F->ngoroutines, 1, __ATOMIC_RELAXED);  /* its main */
}

/* gch_family_threaddone: a go.thread's main goroutine has finished (it
   stops counting before join can return) */
void gch_family_threaddone (gch_Family *F) {
  __atomic_sub_fetch(&F->ngoroutines, 1, __ATOMIC_RELAXED);
}

/* gch_family_threadend: its thread is done with Lua and its joiners */
void gch_family_threadend (gch_Family *F) {
  pthread_mutex_lock(&F->mu);
  __atomic_sub_fetch(&F->nbusy, 1, __ATOMIC_RELAXED);
  if (F->nsched > 0 && F->nstuck == F->nsched && F->nbusy == 0) wakeroot(F);
  pthread_mutex_unlock(&F->mu);
  gch_family_release(F);
}

/*
** gch_family_timer: the timer thread holds a timer of F: take a reference
** to F (delta 0), or one more (+1) or one less (-1) armed timer: pending
** timers keep a deadlock from being declared, and the last one gone may
** reveal one, so the root looks again.
*/
void gch_family_timer (gch_Family *F, int delta) {
  pthread_mutex_lock(&F->mu);
  if (delta == 0) F->refs++;
  else {
    F->ntimers += delta;
    if (F->ntimers == 0 && F->nsched > 0 && F->nstuck == F->nsched) wakeroot(F);
  }
  pthread_mutex_unlock(&F->mu);
}

/* joinfamily: register S (its main goroutine counts) */
static void joinfamily (gch_Sched *S, gch_Family *F, int isroot) {
  pthread_mutex_lock(&F->mu);
  F->refs++;
  __atomic_add_fetch(&F->nsched, 1, __ATOMIC_RELAXED);
  if (!isroot) __atomic_sub_fetch(&F->nbusy, 1, __ATOMIC_RELAXED);
  S->tid = F->nexttid++;  /* a go.thread's state: now inside a scheduler */
  S->fnext = F->first;
  F->first = S;
  if (isroot) F->root = S;
  pthread_mutex_unlock(&F->mu);
  S->fam = F;
  if (isroot) __atomic_add_fetch(&F->ngoroutines, 1, __ATOMIC_RELAXED);
}

/*
** gchL_sched_new: push this state's scheduler, creating it on first use
** (a second load of the module in one state shares it). [-0, +1, m]
*/
void gchL_sched_new (lua_State *L) {
  gch_Sched *S;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &gch_schedkey) != LUA_TNIL) return;
  lua_pop(L, 1);
  S = (gch_Sched *)lua_newuserdatauv(L, sizeof(*S), 2);
  memset(S, 0, sizeof(*S));
  S->all.prev = S->all.next = &S->all;  /* before __gc can see it */
  pthread_mutex_init(&S->glock, NULL);
  S->wakefd = -1;
  if (luaL_newmetatable(L, GCH_SCHED_T)) {
    lua_pushcfunction(L, sched_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  S->runq = (gch_G **)malloc(16 * sizeof(gch_G *));
  S->tq = (gch_G **)malloc(16 * sizeof(gch_G *));
  if (S->runq == NULL || S->tq == NULL) luaL_error(L, "not enough memory");
  S->rqcap = 16;
  S->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (S->wakefd < 0) luaL_error(L, "cannot create the scheduler's eventfd");
  lua_newtable(L);
  lua_setiuservalue(L, -2, 1);  /* anchor table */
  lua_newtable(L);
  lua_setiuservalue(L, -2, 2);  /* pending errors */
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  S->L = lua_tothread(L, -1);
  lua_pop(L, 1);
  S->main.S = S;
  S->main.id = newid();
  S->main.co = S->L;
  S->main.status = GCH_GRUNNING;
  S->main.anchor = S->main.fnref = S->main.argref = LUA_NOREF;
  S->main.nargs = -1;
  S->main.w1.g = &S->main;
  all_link(S, &S->main);
  S->current = &S->main;
  S->rng = ((uint64_t)time(NULL) << 20) ^ (uint64_t)(uintptr_t)S ^ 0x9E3779B97F4A7C15ULL;
  {
    const char *seed = getenv("GOCHAN_SCHED_SEED");  /* reproducible chaos */
    if (seed != NULL && *seed != '\0') {
      S->chaos = 1;
      S->rng = (uint64_t)strtoull(seed, NULL, 10) * 0x9E3779B97F4A7C15ULL + 1;
    }
  }
  if (S->rng == 0) S->rng = 1;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &gch_famkey) == LUA_TLIGHTUSERDATA) {
    S->isthread = 1;
    joinfamily(S, (gch_Family *)lua_touserdata(L, -1), 0);  /* a go.thread */
    lua_pop(L, 1);
  }
  else {
    gch_Family *F;
    lua_pop(L, 1);
    F = gch_family_new();
    if (F == NULL) luaL_error(L, "not enough memory");
    joinfamily(S, F, 1);
    gch_family_release(F);  /* S holds it now */
  }
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &gch_schedkey);
}

static const luaL_Reg sched_funcs[] = {
  {"go", sched_go},
  {"yield", sched_gosched},
  {"id", sched_id},
  {"numgoroutine", sched_numgoroutine},
  {"__call", sched_call},
  {"_waitall", sched_waitall},
  {NULL, NULL}
};

void gchL_sched_open (lua_State *L) {
  gchL_setfuncs(L, GCH_IDX_MODULE, sched_funcs);
}
