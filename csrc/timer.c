/*
** timer.c: Go's time package for goroutines (Go's time.go): the
** monotonic clock, a per-scheduler 4-ary min-heap of timers, sleep,
** after, Timer, Ticker and after_func, and the idle wait of a scheduler.
**
** Timer channels follow Go 1.23: they report cap 0 and len 0, but keep
** the one value fired and not yet received in the channel ('tval'), so
** stop and reset can discard it: once they return, no stale value is
** received. A ticker drops the ticks a slow reader misses.
**
** Invariants: a timer is in its scheduler's heap iff hidx >= 0, and the
** heap then holds a reference to it (sleep timers are embedded in their
** goroutine and are not counted). A timer that may be stopped between
** leaving the heap and firing (by its owner while the timer thread fires
** it; by a finalizer while an after_func's start allocates) has 'firing'
** set meanwhile: a stop or reset that clears it first voids the firing and
** reports the timer active, as Go 1.23's isSending. An after_func timer's
** box is anchored in the scheduler's anchor table while armed or firing,
** which keeps its function.
** Locking: a scheduler's heap is touched by its own thread only; the timer
** thread's heap, and 'hidx', 'when' and 'period' of the timers in it, are
** guarded by 'tmu'.
*/
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gochan.h"
#include "waitq.h"

const char gch_timertag = 0;

#define TIMER_T "gochan.timer"

double gch_now (void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
** gchL_checkduration: argument 'arg' as a duration in seconds. NaN is an
** error; huge values stay huge (a deadline of +inf never fires).
*/
double gchL_checkduration (lua_State *L, int arg) {
  lua_Number d = luaL_checknumber(L, arg);
  if (d != d) luaL_argerror(L, arg, "duration is NaN");
  return (double)d;
}


/*
** {======================================================
** The heap (4-ary, each timer storing its index, as Go's)
** =======================================================
*/

/* earlier: does entry a fire before b? Equal deadlines: in arming order */
static int earlier (const gch_HeapEnt *a, const gch_HeapEnt *b) {
  return a->when < b->when || (a->when == b->when && a->t->seq < b->t->seq);
}

static void heap_set (gch_Heap *h, int i, gch_HeapEnt e) {
  h->a[i] = e;
  e.t->hidx = i;
}

static void heap_up (gch_Heap *h, int i) {
  gch_HeapEnt e = h->a[i];
  while (i > 0) {
    int p = (i - 1) / 4;
    if (!earlier(&e, &h->a[p])) break;
    heap_set(h, i, h->a[p]);
    i = p;
  }
  heap_set(h, i, e);
}

static void heap_down (gch_Heap *h, int i) {
  gch_HeapEnt e = h->a[i];
  for (;;) {
    int c = 4 * i + 1, best = c, k, end = c + 4 < h->n ? c + 4 : h->n;
    if (c >= h->n) break;
    for (k = c + 1; k < end; k++)
      if (earlier(&h->a[k], &h->a[best])) best = k;
    if (!earlier(&h->a[best], &e)) break;
    heap_set(h, i, h->a[best]);
    i = best;
  }
  heap_set(h, i, e);
}

/* heap_reserve: room for one more timer; 0 if no memory */
static int heap_reserve (gch_Heap *h) {
  if (h->n == h->cap) {
    int n = h->cap ? 2 * h->cap : 16;
    gch_HeapEnt *a = (gch_HeapEnt *)realloc(h->a, (size_t)n * sizeof(*a));
    if (a == NULL) return 0;
    h->a = a;
    h->cap = n;
  }
  return 1;
}

/* gchL_timer_reserve: room in S's heap for one more timer. [-0, +0, m] */
void gchL_timer_reserve (lua_State *L, gch_Sched *S) {
  if (!heap_reserve(&S->timers)) luaL_error(L, "not enough memory");
}

/*
** heap_add: arm 't' at 'when' in 'h' (room reserved; 't' in no heap).
** The heap holds a reference to an armed timer (not to a sleep's).
*/
static void heap_add (gch_Heap *h, gch_Timer *t, double when) {
  gch_assert(t->hidx < 0 && h->n < h->cap);
  t->when = when;
  t->seq = h->seq++;
  t->h = h;
  if (t->kind != GCH_TSLEEP) gch_ref_incr(&t->ref);
  h->a[h->n].when = when;
  h->a[h->n].t = t;
  t->hidx = h->n++;
  heap_up(h, t->hidx);
}

/* heap_del: disarm 't' (in 'h'); the caller drops the heap's ref. */
static void heap_del (gch_Heap *h, gch_Timer *t) {
  int i = t->hidx;
  gch_HeapEnt last = h->a[--h->n];
  t->hidx = -1;
  if (i == h->n) return;
  heap_set(h, i, last);
  heap_up(h, i);
  heap_down(h, last.t->hidx);
}

/*
** nexttick: the deadline of ticker 't' after its tick at 'now', skipping
** the ticks missed. Always after 'now' and finite: with a period below
** the clock's resolution at 'now' the sum rounds back to 'now' (and the
** firing loop, which runs while deadlines are <= now, would never end);
** with a subnormal one the catch-up overflows to inf (and the ticker would
** stop). Such a ticker ticks each time timers are run.
*/
static double nexttick (const gch_Timer *t, double now) {
  double next = t->when + t->period;
  if (next <= now) {  /* missed ticks (so the period is finite) */
    next += t->period * floor((now - next) / t->period + 1);
    if (!(next > now && next < HUGE_VAL)) next = nextafter(now, HUGE_VAL);
  }
  return next;
}

/* claim: a firer or a stop/reset takes 't''s firing; true if it was set */
static int claim (gch_Timer *t) {
  return __atomic_exchange_n(&t->firing, 0, __ATOMIC_ACQ_REL);
}


/*
** {======================================================
** The timer thread: timers whose channel other states watch
** =======================================================
*/

/*
** Once a timer's channel is shared, the creating state may be busy in
** Lua code or gone when the timer is due: such timers move to one
** process-wide heap, fired by a thread started when first needed (the
** only global state besides goroutine ids, DESIGN.md "Time"). Its lock
** 'tmu' is a leaf: channel locks are taken only after releasing it.
*/
static pthread_mutex_t tmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tcond;
static gch_Heap theap;          /* guarded by tmu */
static int tstarted;            /* guarded by tmu */

static void *timer_thread (void *arg) {
  (void)arg;
  pthread_mutex_lock(&tmu);
  for (;;) {
    double now = gch_now();  /* the cond waits on CLOCK_MONOTONIC too */
    if (theap.n == 0) {
      pthread_cond_wait(&tcond, &tmu);
      continue;
    }
    if (theap.a[0].when > now) {
      struct timespec ts;
      double when = theap.a[0].when;
      if (when > now + 1e6) when = now + 1e6;
      ts.tv_sec = (time_t)when;
      ts.tv_nsec = (long)((when - (double)ts.tv_sec) * 1e9);
      pthread_cond_timedwait(&tcond, &tmu, &ts);
      continue;
    }
    {
      /*
      ** 1. Take t off the heap: its reference and its count in the family
      **    are ours now, whatever a stop/reset does meanwhile.
      ** 2. Unlock, and tick under the channel lock unless a stop/reset
      **    claimed the firing first: claiming it under that lock, a
      **    stop/reset that comes later finds the tick in the channel.
      ** 3. Relock: re-add a ticker that no stop/reset touched since 1
      **    (keeping its count), else drop the count (a reset that re-armed
      **    t took its own).
      */
      gch_Timer *t = theap.a[0].t;
      unsigned gen = __atomic_load_n(&t->gen, __ATOMIC_ACQUIRE);
      gch_Chan *c = t->c;
      gch_G *wake = NULL;
      heap_del(&theap, t);
      __atomic_store_n(&t->firing, 1, __ATOMIC_RELEASE);
      pthread_mutex_unlock(&tmu);
      gch_lock(&c->ref);
      if (claim(t)) gch_chan_tick(NULL, c, now, &wake);  /* no stop/reset since */
      gch_unlock(&c->ref);
      if (wake != NULL) gch_sched_ready(NULL, wake);
      pthread_mutex_lock(&tmu);
      if (t->period > 0 && t->hidx < 0 &&
          __atomic_load_n(&t->gen, __ATOMIC_ACQUIRE) == gen && heap_reserve(&theap))
        heap_add(&theap, t, nexttick(t, now));  /* still pending: keeps the count */
      else gch_family_timer(t->fam, -1);  /* the count of the instance we took */
      pthread_mutex_unlock(&tmu);
      gch_ref_release(&t->ref);
      pthread_mutex_lock(&tmu);
    }
  }
  return NULL;
}

/* starttimers: (tmu held) start the timer thread once; 0 if impossible */
static int starttimers (void) {
  pthread_condattr_t ca;
  pthread_t tid;
  pthread_attr_t attr;
  sigset_t all, old;
  int err;
  if (tstarted) return 1;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&tcond, &ca);
  pthread_condattr_destroy(&ca);
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  err = pthread_create(&tid, &attr, timer_thread, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    pthread_cond_destroy(&tcond);
    return 0;
  }
  tstarted = 1;
  return 1;
}

/*
** gchL_timer_globalize: (the owner state, sharing the timer's channel)
** move 't' to the timer thread's heap, armed as it was. [-0, +0, e]
*/
void gchL_timer_globalize (lua_State *L, gch_Timer *t) {
  int ok;
  if (t->global) return;
  pthread_mutex_lock(&tmu);
  ok = starttimers() && heap_reserve(&theap);
  if (ok) {
    t->fam = t->S->fam;
    gch_family_timer(t->fam, 0);  /* a reference, so it outlives us */
    t->ref.shared = 1;  /* its count is atomic from now on */
    t->global = 1;
    if (t->hidx >= 0) {  /* the heap's reference moves with it */
      double when = t->when;
      heap_del(&t->S->timers, t);
      heap_add(&theap, t, when);  /* takes one */
      gch_ref_release(&t->ref);  /* the old heap's: not the last now */
      gch_family_timer(t->fam, 1);
      pthread_cond_signal(&tcond);
    }
  }
  pthread_mutex_unlock(&tmu);
  if (!ok) luaL_error(L, "cannot start the timer thread");
}

/* gch_timer_nglobal: timers armed in the timer thread (go.debug.stats) */
int gch_timer_nglobal (void) {
  int n;
  pthread_mutex_lock(&tmu);
  n = theap.n;
  pthread_mutex_unlock(&tmu);
  return n;
}

/*
** gch_timer_cancel: disarm 't' if armed, and void a firing in flight;
** true if it did either (the firing would have delivered). Drops the
** heap's reference, which may free 't' (never a sleep timer); a firer
** keeps the reference (and the family count) of the instance it took.
*/
int gch_timer_cancel (gch_Timer *t) {
  int armed, voided;
  if (t->global) {
    pthread_mutex_lock(&tmu);
    __atomic_add_fetch(&t->gen, 1, __ATOMIC_RELEASE);  /* the ticker is not re-added */
    armed = t->hidx >= 0;
    if (armed) {
      heap_del(&theap, t);
      gch_family_timer(t->fam, -1);
    }
    pthread_mutex_unlock(&tmu);
  }
  else {
    armed = t->hidx >= 0;
    if (armed) heap_del(t->h, t);
  }
  voided = claim(t);  /* before the release, which may free t */
  if (armed && t->kind != GCH_TSLEEP) gch_ref_release(&t->ref);
  return armed || voided;
}

/*
** arm: (re)arm 't' after 'd' seconds in its heap (room reserved if local),
** a ticker every 'period' from now on: set under tmu, which the timer
** thread holds when it reads it.
*/
static void arm (lua_State *L, gch_Timer *t, double d, double period) {
  if (t->global) {
    int ok;
    pthread_mutex_lock(&tmu);
    ok = heap_reserve(&theap);
    if (ok) {
      t->period = period;
      heap_add(&theap, t, gch_now() + d);
      gch_family_timer(t->fam, 1);
      pthread_cond_signal(&tcond);
    }
    pthread_mutex_unlock(&tmu);
    if (!ok) luaL_error(L, "not enough memory");
  }
  else {
    t->period = period;
    heap_add(&t->S->timers, t, gch_now() + d);
  }
}

/* isarmed: is 't' in a heap? (a global one's hidx changes under tmu) */
static int isarmed (gch_Timer *t) {
  int armed;
  if (!t->global) return t->hidx >= 0;
  pthread_mutex_lock(&tmu);
  armed = t->hidx >= 0;
  pthread_mutex_unlock(&tmu);
  return armed;
}


/*
** {======================================================
** Firing
** =======================================================
*/

/* deliver: a timer channel's tick (Go's sendTime: never blocks). */
static void deliver (gch_Sched *S, gch_Chan *c, double now) {
  gch_Waiter *w;
  gch_G *wake = NULL;
  if (c->ref.shared) {  /* other states may be watching: lock and copy */
    gch_lock(&c->ref);
    gch_chan_tick(S, c, now, &wake);
    gch_unlock(&c->ref);
    if (wake != NULL) gch_sched_ready(S, wake);
    return;
  }
  w = gch_chan_dequeue(S, c, &c->recvq);
  if (w != NULL) {  /* a parked receiver takes it */
    lua_pushnumber(w->L, now);  /* it has room: see gchL_current */
    w->success = 1;
    w->g->won = w;
    gch_sched_ready(S, w->g);
    return;
  }
  if (c->count == 0) {  /* else a ticker drops the tick */
    c->tval = now;
    c->count = 1;
  }
}

/*
** auxstartfunc: start the function of after_func timer 1, unless a stop
** or reset run by a finalizer (the calls that led here allocate) claimed
** its firing. No allocation from the claim to the unanchoring: once
** claimed, the timer has fired, and a finalizer's reset re-anchors it.
*/
static int auxstartfunc (lua_State *L) {
  gch_Timer *t = (gch_Timer *)lua_touserdata(L, 1);
  int tt;
  if (!claim(t)) return 0;  /* stopped or reset meanwhile: start nothing */
  gch_assert(t->hidx < 0);  /* a reset would have claimed it */
  lua_getiuservalue(L, GCH_UV_SCHED, 1);  /* anchor table */
  tt = lua_rawgetp(L, -1, t);  /* the timer's box: anchored while firing */
  gch_assert(tt == LUA_TUSERDATA);
  (void)tt;
  lua_pushnil(L);
  lua_rawsetp(L, -3, t);  /* unanchor */
  lua_getiuservalue(L, -1, 2);  /* its function */
  gchL_spawn(L, gchL_sched(L), 1);
  return 0;
}

/* firefunc: (protected) run auxstartfunc with the core's upvalues */
static int firefunc (lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &gch_schedkey);  /* the scheduler */
  lua_pushnil(L);
  lua_pushnil(L);  /* auxstartfunc uses upvalue 1 only */
  lua_pushcclosure(L, auxstartfunc, GCH_NUPVALUES);
  lua_insert(L, 1);
  lua_call(L, 1, 0);
  return 0;
}

/*
** gchL_timer_run: fire the timers that are due. Never raises: starting
** an after_func goroutine runs protected, a failure becomes a pending
** goroutine error.
*/
void gchL_timer_run (lua_State *L, gch_Sched *S) {
  double now = gch_now();
  if (S->timers.n == 0 || S->timers.a[0].when > now) return;
  gch_sched_frontbatch(S, 1);  /* the goroutines they wake run next */
  while (S->timers.n > 0 && S->timers.a[0].when <= now) {
    gch_Timer *t = S->timers.a[0].t;
    heap_del(&S->timers, t);
    switch (t->kind) {
      case GCH_TSLEEP:
        gch_sched_ready(S, t->g);
        continue;  /* no reference to drop */
      case GCH_TCHAN:  /* no Lua code runs: nothing can stop it meanwhile */
        deliver(S, t->c, now);
        if (t->period > 0)  /* ticker: room, it just left the heap */
          heap_add(&S->timers, t, nexttick(t, now));
        break;
      case GCH_TFUNC:  /* all of it protected: this loop never raises */
        t->firing = 1;  /* for auxstartfunc (never global: plain stores) */
        lua_pushcfunction(L, firefunc);  /* a light function: no allocation */
        lua_pushlightuserdata(L, t);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK) gchL_pusherror(L, S);
        t->firing = 0;  /* claimed, or not started (no memory) */
        break;
    }
    gch_ref_release(&t->ref);  /* the heap's */
  }
  gch_sched_frontbatch(S, 0);
}

/* gch_timer_next: the earliest deadline, or -1 if no timer is armed */
double gch_timer_next (gch_Sched *S) {
  return S->timers.n > 0 ? S->timers.a[0].when : -1;
}


/*
** {======================================================
** Timer objects
** =======================================================
*/

static void timer_destroy (gch_Ref *r) {
  gch_Timer *t = (gch_Timer *)r;
  gch_assert(t->hidx < 0);
  if (t->c != NULL) {
    gch_lock(&t->c->ref);
    t->c->timer = NULL;
    gch_unlock(&t->c->ref);
    gch_ref_release(&t->c->ref);
  }
  if (t->fam != NULL) gch_family_release(t->fam);
  free(t);
}

/* timers stay in their state: no share, no pushbox */
static const gch_Kind timer_kind = {
  TIMER_T, &gch_timertag, timer_destroy, NULL, NULL, NULL, NULL
};

static gch_Timer *checktimer (lua_State *L) {
  gch_Box *b = gchL_testbox(L, 1, &gch_timertag);
  if (b == NULL || b->p == NULL) luaL_typeerror(L, 1, TIMER_T);
  return (gch_Timer *)b->p;
}

/*
** auxnewtimer: push a Timer box for a new timer of 'kind' firing after 'd'
** (a ticker every 'period'); its channel, if any, is user value 1.
** [-0, +1, m]
*/
static gch_Timer *auxnewtimer (lua_State *L, int kind, double d,
                               double period) {
  gch_Sched *S = gchL_sched(L);
  gch_Box *b;
  gch_Timer *t;
  if (kind == GCH_TCHAN) gchL_newtimerchan(L);  /* its receive-only view */
  else lua_pushnil(L);
  b = gchL_newbox(L, &gch_timertag, 2, lua_upvalueindex(GCH_NUPVALUES + 1));
  lua_rotate(L, -2, 1);  /* box below the channel */
  lua_setiuservalue(L, -2, 1);
  t = (gch_Timer *)calloc(1, sizeof(*t));
  if (t == NULL) luaL_error(L, "not enough memory");
  t->ref.refs = 1;  /* the box's */
  t->ref.kind = &timer_kind;
  t->kind = kind;
  t->hidx = -1;
  t->S = S;
  t->period = period;
  if (kind == GCH_TCHAN) {
    lua_getiuservalue(L, -1, 1);
    t->c = gchL_testchan(L, -1)->c;
    gch_ref_incr(&t->c->ref);  /* released by timer_destroy */
    t->c->timer = t;  /* so that sharing the channel moves the timer */
    lua_pop(L, 1);
  }
  b->p = t;
  /* reserved last: a finalizer run by the allocations above may arm one */
  gchL_timer_reserve(L, S);
  heap_add(&S->timers, t, gch_now() + d);
  return t;
}

/* drain: discard a fired, unreceived value; true if there was one. */
static int drain (gch_Timer *t) {
  gch_Chan *c = t->c;
  int had;
  if (c == NULL) return 0;
  gch_lock(&c->ref);
  had = c->count > 0;
  if (c->ref.shared) gch_chan_freering(c);
  else c->count = 0;
  gch_unlock(&c->ref);
  return had;
}

/* go.timer(d) -> Timer */
static int timer_new (lua_State *L) {
  double d = gchL_checkduration(L, 1);
  auxnewtimer(L, GCH_TCHAN, d, 0);
  return 1;
}

/* go.after(d) -> <-chan: receives go.now() once, after d */
static int timer_after (lua_State *L) {
  double d = gchL_checkduration(L, 1);
  auxnewtimer(L, GCH_TCHAN, d, 0);
  lua_getiuservalue(L, -1, 1);
  return 1;
}

/* go.ticker(d) -> Ticker */
static int timer_ticker (lua_State *L) {
  double d = gchL_checkduration(L, 1);
  if (!(d > 0)) return luaL_error(L, "non-positive interval for NewTicker");
  auxnewtimer(L, GCH_TCHAN, d, d);
  return 1;
}

/* go.after_func(d, f) -> Timer: runs f in its own goroutine after d */
static int timer_afterfunc (lua_State *L) {
  double d = gchL_checkduration(L, 1);
  gch_Timer *t;
  luaL_argexpected(L, gchL_iscallable(L, 2), 2, "function");
  lua_settop(L, 2);
  t = auxnewtimer(L, GCH_TFUNC, d, 0);
  lua_pushvalue(L, 2);
  lua_setiuservalue(L, -2, 2);  /* the function */
  lua_getiuservalue(L, GCH_UV_SCHED, 1);
  lua_pushvalue(L, -2);
  lua_rawsetp(L, -2, t);  /* anchored while armed */
  lua_pop(L, 1);
  return 1;
}

/* t:stop() -> true if it stopped the timer before it delivered */
static int timer_stop (lua_State *L) {
  gch_Timer *t = checktimer(L);
  int active = gch_timer_cancel(t);
  active = drain(t) || active;
  if (t->kind == GCH_TFUNC) {
    lua_getiuservalue(L, GCH_UV_SCHED, 1);
    lua_pushnil(L);
    lua_rawsetp(L, -2, t);  /* unanchor */
  }
  if (t->period > 0) return 0;  /* Ticker.Stop returns nothing */
  lua_pushboolean(L, active);
  return 1;
}

/* t:reset(d) -> true if the timer had been active */
static int timer_reset (lua_State *L) {
  gch_Timer *t = checktimer(L);
  double d = gchL_checkduration(L, 2);
  int active;
  if (t->period > 0 && !(d > 0))
    return luaL_error(L, "non-positive interval for Ticker.Reset");
  if (!t->global) gchL_timer_reserve(L, t->S);
  active = gch_timer_cancel(t);
  active = drain(t) || active;
  arm(L, t, d, t->period > 0 ? d : 0);
  if (t->kind == GCH_TFUNC) {
    lua_getiuservalue(L, GCH_UV_SCHED, 1);
    lua_pushvalue(L, 1);
    lua_rawsetp(L, -2, t);  /* anchored again */
  }
  if (t->period > 0) return 0;
  lua_pushboolean(L, active);
  return 1;
}

/* t.C and the methods */
static int timer_index (lua_State *L) {
  checktimer(L);
  if (lua_type(L, 2) == LUA_TSTRING && strcmp(lua_tostring(L, 2), "C") == 0) {
    lua_getiuservalue(L, 1, 1);
    return 1;
  }
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(GCH_NUPVALUES + 2));  /* methods */
  return 1;
}

static int timer_gc (lua_State *L) {
  gch_Box *b = gchL_testbox(L, 1, &gch_timertag);
  if (b != NULL && b->p != NULL) {
    gch_Timer *t = (gch_Timer *)b->p;
    b->p = NULL;
    gch_ref_release(&t->ref);  /* an armed timer lives on in the heap */
  }
  return 0;
}

static int timer_tostring (lua_State *L) {
  gch_Timer *t = checktimer(L);
  lua_pushstring(L, t->period > 0 ? "gochan.ticker" : "gochan.timer");
  lua_pushfstring(L, "%s (%s)", lua_tostring(L, -1), isarmed(t) ? "active" : "stopped");
  return 1;
}

/* go.sleep(d): pause the calling goroutine for d seconds */
static int sleep_k (lua_State *L, int status, lua_KContext ctx) {
  gch_G *g = (gch_G *)ctx;
  int st = gchL_waitstatus(L, g);
  (void)status;
  gch_timer_cancel(g->sleep);
  if (st != GCH_OK) return gchL_raise(L, g->S, st);
  return 0;
}

static int time_sleep (lua_State *L) {
  double d = gchL_checkduration(L, 1);
  gch_Sched *S = gchL_sched(L);
  gch_G *g;
  if (!(d > 0)) return 0;
  g = gchL_current(L, S);
  gchL_timer_reserve(L, S);
  if (g->sleep == NULL) {  /* made on its first sleep, kept with the record */
    g->sleep = (gch_Timer *)calloc(1, sizeof(gch_Timer));
    if (g->sleep == NULL) return luaL_error(L, "not enough memory");
    g->sleep->kind = GCH_TSLEEP;
    g->sleep->g = g;
    g->sleep->hidx = -1;
  }
  g->sleep->S = S;
  heap_add(&S->timers, g->sleep, gch_now() + d);
  return gchL_park(L, S, g, "sleep", sleep_k);
}

static int time_now (lua_State *L) {
  lua_pushnumber(L, gch_now());
  return 1;
}

static const luaL_Reg timer_funcs[] = {
  {"now", time_now},
  {"sleep", time_sleep},
  {NULL, NULL}
};

static const luaL_Reg timer_ctors[] = {
  {"timer", timer_new},
  {"after", timer_after},
  {"ticker", timer_ticker},
  {"after_func", timer_afterfunc},
  {NULL, NULL}
};

static const luaL_Reg timer_methods[] = {
  {"stop", timer_stop},
  {"reset", timer_reset},
  {NULL, NULL}
};

static const luaL_Reg timer_meta[] = {
  {"__gc", timer_gc},
  {"__tostring", timer_tostring},
  {NULL, NULL}
};

/*
** gchL_timer_open: the Timer metatable and the time functions. Timer
** functions get two more upvalues: the metatable and the methods table.
*/
void gchL_timer_open (lua_State *L) {
  int mt, methods;
  gchL_setfuncs(L, GCH_IDX_MODULE, timer_funcs);
  luaL_newmetatable(L, TIMER_T);
  mt = lua_gettop(L);
  lua_newtable(L);
  methods = lua_gettop(L);
  gchL_pushupvalues(L);
  lua_pushvalue(L, mt);
  lua_pushvalue(L, methods);
  luaL_setfuncs(L, timer_methods, GCH_NUPVALUES + 2);
  lua_pushvalue(L, mt);
  gchL_pushupvalues(L);
  lua_pushvalue(L, mt);
  lua_pushvalue(L, methods);
  luaL_setfuncs(L, timer_meta, GCH_NUPVALUES + 2);
  gchL_pushupvalues(L);
  lua_pushvalue(L, mt);
  lua_pushvalue(L, methods);
  lua_pushcclosure(L, timer_index, GCH_NUPVALUES + 2);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);  /* copy of mt */
  lua_pushvalue(L, GCH_IDX_MODULE);
  gchL_pushupvalues(L);
  lua_pushvalue(L, mt);
  lua_pushvalue(L, methods);
  luaL_setfuncs(L, timer_ctors, GCH_NUPVALUES + 2);
  lua_settop(L, mt - 1);
}
