/*
** chanshared.c: the shared mode of channels (DESIGN.md "The two speeds of
** a channel"). Once a channel has crossed into another state, every value
** travels as a message (copy.c) encoded by the sender in its own thread
** and decoded by the receiver in its own; buffered messages sit in a C
** ring; the channel's lock guards its state and queues.
**
** Locking (as Go's chan.go): encode before locking, decode after
** unlocking; no Lua API call and no wake-up while the lock is held: the
** woken goroutine is returned to the caller, which readies it after
** unlocking (closechan collects all of them first).
**
** Invariants: shared => 'ring' holds 'count' messages from 'rhead'; a
** parked sender's message is in its waiter ('msg') until a receiver takes
** it (and clears it); a receiver finds its message in its waiter.
*/
#include <stdlib.h>
#include <string.h>

#include "gochan.h"
#include "waitq.h"


/*
** {======================================================
** The ring of messages
** =======================================================
*/

/* ringpush: append 'm'; 0 if the ring could not grow (no memory) */
static int ringpush (gch_Chan *c, gch_Msg *m) {
  if (c->count == c->rsz) {  /* grow, unwrapping: rsz < cap here */
    lua_Integer n = c->rsz ? 2 * c->rsz : 8, i;
    gch_Msg **r;
    if (n > c->cap) n = c->cap;
    r = (gch_Msg **)malloc((size_t)n * sizeof(*r));
    if (r == NULL) return 0;
    for (i = 0; i < c->count; i++) r[i] = c->ring[(c->rhead + i) % c->rsz];
    free(c->ring);
    c->ring = r;
    c->rsz = n;
    c->rhead = 0;
  }
  c->ring[(c->rhead + c->count) % c->rsz] = m;
  __atomic_store_n(&c->count, c->count + 1, __ATOMIC_RELAXED);  /* spinners read it */
  return 1;
}

static gch_Msg *ringpop (gch_Chan *c) {
  gch_Msg *m = c->ring[c->rhead];
  c->ring[c->rhead] = NULL;
  c->rhead = (c->rhead + 1) % c->rsz;
  __atomic_store_n(&c->count, c->count - 1, __ATOMIC_RELAXED);
  return m;
}

/* gch_chan_freering: drop the buffered messages (destroy, timer drain) */
void gch_chan_freering (gch_Chan *c) {
  while (c->count > 0) gch_msg_free(ringpop(c));
}


/*
** {======================================================
** Operations (lock held)
** =======================================================
*/

static void complete (gch_Waiter *w, int success, gch_G **wake) {
  w->success = (unsigned char)success;
  w->g->won = w;
  *wake = w->g;
}

/*
** gch_chan_shsend: send message 'm' on the locked shared channel 'c'
** without blocking. On GCH_OK the message belongs to the channel or a
** receiver, and '*wake' (if set) must be readied after unlocking.
*/
int gch_chan_shsend (gch_Sched *self, gch_Chan *c, gch_Msg *m, gch_G **wake) {
  gch_Waiter *w;
  if (c->closed) return GCH_CLOSED;
  if ((w = gch_chan_dequeue(self, c, &c->recvq)) != NULL) {
    w->msg = m;
    complete(w, 1, wake);
    return GCH_OK;
  }
  if (c->count < c->cap) return ringpush(c, m) ? GCH_OK : GCH_ENOMEM;
  return GCH_WOULDBLOCK;
}

/*
** gch_chan_shrecv: receive from the locked shared channel 'c' without
** blocking: GCH_OK with '*m' set (the caller decodes and frees it),
** GCH_CLOSED (closed and drained) or GCH_WOULDBLOCK.
*/
int gch_chan_shrecv (gch_Sched *self, gch_Chan *c, gch_Msg **m, gch_G **wake) {
  gch_Waiter *w;
  if (c->count > 0) {
    *m = ringpop(c);
    if ((w = gch_chan_dequeue(self, c, &c->sendq)) != NULL) {  /* was full */
      ringpush(c, w->msg);  /* cannot fail: a slot was just freed */
      w->msg = NULL;
      complete(w, 1, wake);
    }
    return GCH_OK;
  }
  if ((w = gch_chan_dequeue(self, c, &c->sendq)) != NULL) {
    *m = w->msg;
    w->msg = NULL;
    complete(w, 1, wake);
    return GCH_OK;
  }
  if (c->closed) return GCH_CLOSED;
  return GCH_WOULDBLOCK;
}

/*
** gch_chan_tick: a timer's tick on its locked shared channel (never
** blocks; a ticker drops the tick nobody has room for).
*/
void gch_chan_tick (gch_Sched *self, gch_Chan *c, double now, gch_G **wake) {
  gch_Msg *m;
  if (c->count > 0 && c->recvq.first == NULL) return;
  if ((m = gch_msg_number(now)) == NULL) return;  /* no memory: tick lost */
  if (gch_chan_shsend(self, c, m, wake) != GCH_OK) gch_msg_free(m);
}


/*
** {======================================================
** Lua-facing operations on shared channels
** =======================================================
*/

/*
** Before parking on a shared buffered channel, a goroutine with nothing
** else to run watches it a little (gch_sched_spinfor): in a stream
** between two threads the other side then fills or drains the buffer
** without a wake-up per item. Read without the lock: only a hint, the
** operation is retried under it.
*/
static int spinworthy (const gch_Chan *c) {
  return c->cap > 0 && !c->istimer;
}

static int canrecv (const void *p) {
  const gch_Chan *c = (const gch_Chan *)p;
  return __atomic_load_n(&c->count, __ATOMIC_RELAXED) > 0 ||
         __atomic_load_n(&c->closed, __ATOMIC_RELAXED);
}

static int cansend (const void *p) {
  const gch_Chan *c = (const gch_Chan *)p;
  return __atomic_load_n(&c->count, __ATOMIC_RELAXED) < c->cap ||
         __atomic_load_n(&c->closed, __ATOMIC_RELAXED);
}

/*
** Whether the caller may block is asked only when it must (an operation
** that completes at once is fine in a finalizer run while its goroutine
** waits); gchL_current, which raises if not, then cannot raise under the
** lock: it is called only when gch_sched_mayblock said yes.
*/

/* gchL_chan_shsendop: ch:send(v) on a shared channel (value at 2) */
int gchL_chan_shsendop (lua_State *L, gch_Box *b, lua_KFunction k) {
  gch_Chan *c = b->c;
  gch_Sched *S = b->S;
  gch_G *g, *wake = NULL;
  gch_Msg *m = gchL_encode(L, 2, 1);  /* may raise: before locks */
  int st, mayblock = gch_sched_mayblock(S);
  gch_lock(&c->ref);
  st = gch_chan_shsend(S, c, m, &wake);
  if (st == GCH_WOULDBLOCK && spinworthy(c) && mayblock) {
    gch_unlock(&c->ref);
    (void)gch_sched_spinfor(S, cansend, c);
    gch_lock(&c->ref);
    st = gch_chan_shsend(S, c, m, &wake);
  }
  if (st == GCH_WOULDBLOCK) {
    if (!mayblock) {  /* nothing sent: raise gchL_current's error */
      gch_unlock(&c->ref);
      gch_msg_free(m);
      (void)gchL_current(L, S);
    }
    g = gchL_current(L, S);
    g->w1.L = L;
    g->w1.msg = m;  /* a receiver takes it from here */
    gch_chan_enqueue(c, &g->w1, 1);
    gch_unlock(&c->ref);
    return gchL_park(L, S, g, "chan send", k);
  }
  gch_unlock(&c->ref);
  if (wake != NULL) gch_sched_ready(S, wake);
  if (st != GCH_OK) {
    gch_msg_free(m);
    return gchL_raise(L, S, st);
  }
  return 0;
}

/*
** gchL_chan_pushmsg: push the value of message 'm' and true, freeing it
** (also if decoding raises: the message is parked in a guard first).
*/
int gchL_chan_pushmsg (lua_State *L, gch_Msg *m) {
  gch_Msg **pm;
  if (gch_msg_isscalar(m)) {  /* the fast path: decoding cannot fail but
                                 for memory, and then only m is lost */
    gchL_decode(L, m);
    gch_msg_free(m);
    lua_pushboolean(L, 1);
    return 2;
  }
  pm = (gch_Msg **)lua_newuserdatauv(L, sizeof(*pm), 0);
  *pm = m;
  luaL_setmetatable(L, "gochan.msgguard");  /* its __gc frees *pm */
  gchL_decode(L, m);
  *pm = NULL;  /* freed now, not when the guard is collected: the objects
                  it holds (a channel in a cycle) must not outlive it */
  gch_msg_free(m);
  lua_remove(L, -2);  /* guard */
  lua_pushboolean(L, 1);
  return 2;
}

/* gchL_chan_shrecvop: ch:recv() on a shared channel */
int gchL_chan_shrecvop (lua_State *L, gch_Box *b, lua_KFunction k) {
  gch_Chan *c = b->c;
  gch_Sched *S = b->S;
  gch_G *g, *wake = NULL;
  gch_Msg *m = NULL;
  int st, mayblock = gch_sched_mayblock(S);
  gch_lock(&c->ref);
  st = gch_chan_shrecv(S, c, &m, &wake);
  if (st == GCH_WOULDBLOCK && spinworthy(c) && mayblock) {
    gch_unlock(&c->ref);
    (void)gch_sched_spinfor(S, canrecv, c);
    gch_lock(&c->ref);
    st = gch_chan_shrecv(S, c, &m, &wake);
  }
  if (st == GCH_WOULDBLOCK) {
    if (!mayblock) {  /* nothing received: raise gchL_current's error */
      gch_unlock(&c->ref);
      (void)gchL_current(L, S);
    }
    g = gchL_current(L, S);
    g->w1.L = L;
    g->w1.msg = NULL;
    gch_chan_enqueue(c, &g->w1, 0);
    gch_unlock(&c->ref);
    return gchL_park(L, S, g, "chan receive", k);
  }
  gch_unlock(&c->ref);
  if (wake != NULL) gch_sched_ready(S, wake);
  if (st == GCH_CLOSED) {
    lua_pushnil(L);
    lua_pushboolean(L, 0);
    return 2;
  }
  return gchL_chan_pushmsg(L, m);
}

/*
** gch_chan_closeall: close 'c' (locked, not closed): collect every waiter
** into a list (through 'next') to ready after unlocking, as closechan.
*/
gch_Waiter *gch_chan_closeall (gch_Sched *self, gch_Chan *c) {
  gch_Waiter *w, *list = NULL;
  gch_G *g;
  __atomic_store_n(&c->closed, 1, __ATOMIC_RELAXED);  /* spinners read it */
  while ((w = gch_chan_dequeue(self, c, &c->recvq)) != NULL) {
    complete(w, 0, &g);
    w->next = list;
    list = w;
  }
  while ((w = gch_chan_dequeue(self, c, &c->sendq)) != NULL) {
    complete(w, 0, &g);
    w->next = list;
    list = w;
  }
  return list;
}


/*
** {======================================================
** Switching a channel to shared mode
** =======================================================
*/

/*
** gch_chan_share: (gch_Kind.share) copy the values that local mode keeps
** in Lua (the buffered ones in the ring table at user value 1 of the box,
** and those of parked senders on their stacks) into messages. Everything
** is encoded first, into a guard that frees it all if one value cannot be
** copied; only then does the channel change. [-0, +0, e]
*/
/*
** dropstale: unlink the parked senders of the local 'c' that can no longer
** send (a select already won by another case, a goroutine whose coroutine
** user code closed): their values must not be copied (a closed one's slot
** holds nothing: it would arrive as a nil never sent). Their owners drop
** their references, as after any unlink.
*/
static void dropstale (gch_Chan *c) {
  gch_Waiter *w = c->sendq.first;
  while (w != NULL) {
    gch_Waiter *next = w->next;
    if (!waitq_live(w) || !gch_sched_alive(w->g)) waitq_remove(&c->sendq, w);
    w = next;
  }
}

void gch_chan_share (lua_State *L, gch_Ref *r, int box) {
  gch_Chan *c = (gch_Chan *)r;
  gch_Waiter *w;
  lua_Integer nsend = 0, n, i;
  gch_Msg **pm;
  dropstale(c);
  for (w = c->sendq.first; w != NULL; w = w->next) nsend++;
  n = c->count + nsend;
  pm = (gch_Msg **)lua_newuserdatauv(L, (size_t)(n + 1) * sizeof(*pm), 0);
  memset(pm, 0, (size_t)(n + 1) * sizeof(*pm));
  /* the guard: on a raise its __gc frees what was encoded */
  luaL_getmetatable(L, "gochan.msglist");
  lua_setmetatable(L, -2);
  for (i = 0; i < c->count; i++) {
    if (c->istimer) pm[i] = gch_msg_number(c->tval);
    else {
      lua_getiuservalue(L, box, 1);
      lua_rawgeti(L, -1, (c->recvx + i) % c->cap + 1);
      pm[i] = gchL_encode(L, -1, 1);
      lua_pop(L, 2);
    }
    if (pm[i] == NULL) luaL_error(L, "not enough memory");
  }
  for (w = c->sendq.first; w != NULL; w = w->next, i++) {
    lua_pushvalue(w->L, w->slot);
    lua_xmove(w->L, L, 1);
    pm[i] = gchL_encode(L, -1, 1);
    lua_pop(L, 1);
  }
  if (c->count > 0) {
    c->ring = (gch_Msg **)malloc((size_t)c->count * sizeof(*c->ring));
    if (c->ring == NULL) luaL_error(L, "not enough memory");
  }
  /* commit: nothing below can fail */
  c->rsz = c->count;
  c->rhead = 0;
  for (i = 0; i < c->count; i++) { c->ring[i] = pm[i]; pm[i] = NULL; }
  for (w = c->sendq.first; w != NULL; w = w->next, i++) { w->msg = pm[i]; pm[i] = NULL; }
  if (!c->istimer && c->count > 0) {  /* let the GC have the Lua copies */
    lua_getiuservalue(L, box, 1);
    for (i = 0; i < c->cap && i < c->count + c->recvx + 1; i++) {
      lua_pushnil(L);
      lua_rawseti(L, -2, i + 1);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);  /* guard, now empty */
}

/*
** gch_chan_shared: (gch_Kind.shared) the channel is shared now: a timer's
** channel may be watched from another thread, so the timer thread fires
** it from now on (it needs the channel's lock in place first).
*/
void gch_chan_shared (lua_State *L, gch_Ref *r) {
  gch_Chan *c = (gch_Chan *)r;
  if (c->istimer && c->timer != NULL) gchL_timer_globalize(L, c->timer);
}

/*
** {======================================================
** Cycles through buffers
** =======================================================
*/

/*
** A shared channel's buffered messages hold references to the objects
** they carry, so a channel holding itself (a:send(a)), or channels holding
** each other, would never be freed by counting alone. When the last box
** of a shared channel goes (no Lua state can reach it but through
** messages), this trial deletion looks at the channels without boxes that
** its buffer reaches: if every reference to each of them comes from the
** buffers of that set, nothing can ever reach them (a message in flight,
** or in the buffer of a channel with boxes, would be a reference from
** outside), so their buffers are dropped and the counts do the rest.
** No box means no operation can run on them meanwhile. The caller (the
** start channel's last box, being finalized) still holds one reference.
*/
typedef struct Set {
  gch_Chan **a;
  int *inner;               /* references from the set's buffers */
  int n, cap;
} Set;

static int set_find (Set *s, gch_Chan *c) {
  int i;
  for (i = 0; i < s->n; i++) if (s->a[i] == c) return i;
  return -1;
}

static int set_add (Set *s, gch_Chan *c) {
  if (s->n == s->cap) {
    int n = s->cap ? 2 * s->cap : 8;
    gch_Chan **a = (gch_Chan **)realloc(s->a, (size_t)n * sizeof(*a));
    int *in;
    if (a == NULL) return 0;
    s->a = a;
    in = (int *)realloc(s->inner, (size_t)n * sizeof(*in));
    if (in == NULL) return 0;
    s->inner = in;
    s->cap = n;
  }
  s->inner[s->n] = 0;
  s->a[s->n++] = c;
  return 1;
}

/* ringobj: the k-th shared object held by the i-th buffered message of c,
   or NULL past the last one of that message */
static gch_Ref *ringobj (gch_Chan *c, lua_Integer i, int k) {
  gch_Msg *m = c->ring[(c->rhead + i) % c->rsz];
  return k < gch_msg_nobjs(m) ? gch_msg_obj(m, k) : NULL;
}

void gch_chan_collect (gch_Chan *start) {
  Set s = {NULL, NULL, 0, 0};
  gch_Msg **dead = NULL;
  lua_Integer ndead = 0, i;
  int x, k, ok = 1;
  if (!set_add(&s, start)) goto done;
  for (x = 0; x < s.n && ok; x++) {  /* 1. the box-less channels reached */
    gch_Chan *c = s.a[x];
    gch_lock(&c->ref);
    for (i = 0; i < c->count; i++) {
      gch_Ref *o;
      for (k = 0; (o = ringobj(c, i, k)) != NULL; k++)
        if (o->kind == start->ref.kind &&
            __atomic_load_n(&((gch_Chan *)o)->nboxes, __ATOMIC_ACQUIRE) == 0 &&
            set_find(&s, (gch_Chan *)o) < 0 && !set_add(&s, (gch_Chan *)o))
          ok = 0;
    }
    gch_unlock(&c->ref);
  }
  for (x = 0; x < s.n && ok; x++) {  /* 2. references from inside */
    gch_Chan *c = s.a[x];
    gch_lock(&c->ref);
    for (i = 0; i < c->count; i++) {
      gch_Ref *o;
      for (k = 0; (o = ringobj(c, i, k)) != NULL; k++) {
        int j = set_find(&s, (gch_Chan *)o);
        if (j >= 0) s.inner[j]++;
      }
    }
    gch_unlock(&c->ref);
  }
  for (x = 0; x < s.n && ok; x++)  /* 3. any from outside? then alive */
    if (__atomic_load_n(&s.a[x]->nboxes, __ATOMIC_ACQUIRE) != 0 ||
        __atomic_load_n(&s.a[x]->ref.refs, __ATOMIC_ACQUIRE) !=
          s.inner[x] + (x == 0))  /* the caller still holds the start's */
      ok = 0;
  if (ok) {  /* 4. garbage: take their buffers, free them after */
    lua_Integer total = 0;
    for (x = 0; x < s.n; x++) total += s.a[x]->count;
    dead = (gch_Msg **)malloc((size_t)(total ? total : 1) * sizeof(*dead));
    if (dead == NULL) goto done;
    for (x = 0; x < s.n; x++) {
      gch_Chan *c = s.a[x];
      gch_lock(&c->ref);
      while (c->count > 0) dead[ndead++] = ringpop(c);
      gch_unlock(&c->ref);
    }
  }
 done:
  free(s.a);
  free(s.inner);
  for (i = 0; i < ndead; i++) gch_msg_free(dead[i]);  /* the counts free them */
  free(dead);
}

/* __gc of the guard of gch_chan_share */
static int msglist_gc (lua_State *L) {
  gch_Msg **pm = (gch_Msg **)lua_touserdata(L, 1);
  size_t i, n = lua_rawlen(L, 1) / sizeof(*pm);
  for (i = 0; i < n; i++) {
    gch_msg_free(pm[i]);
    pm[i] = NULL;
  }
  return 0;
}

void gchL_chanshared_open (lua_State *L) {
  luaL_newmetatable(L, "gochan.msglist");
  lua_pushcfunction(L, msglist_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
}
