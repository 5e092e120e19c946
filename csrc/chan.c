/*
** chan.c: Go channels for Lua (Go's chan.go).
**
** Invariants (see gch_Chan in gochan.h): at most one of recvq/sendq holds
** live waiters; a buffered channel with count > 0 has no live receiver
** waiting, one with count < cap no live sender waiting; an unbuffered
** channel never buffers. A closed channel has empty queues.
**
** Local mode (the only mode until a channel crosses into another state):
** no lock and no copy. Buffered values live in a Lua table that is user
** value 1 of every box of the channel; an unbuffered hand-off moves the
** value between the two coroutines' stacks (see gch_Waiter).
**
** Locking: none in local mode. The operations are written in Go's order
** (check, hand off to a parked peer, buffer, park) so that shared mode can
** wrap each in the channel's lock without reordering.
*/
#include <stdlib.h>

#include "gochan.h"
#include "waitq.h"

/* Buffer slots preallocated in the ring table; larger channels grow it. */
#define PREALLOC_MAX 1024
/* Largest capacity accepted (16-byte Lua values must stay addressable). */
#define CAP_MAX (((lua_Integer)1) << 44)


/*
** {======================================================
** Channel objects and boxes
** =======================================================
*/

/* chan_destroy: the last reference is gone. */
static void chan_destroy (gch_Ref *r) {
  gch_Chan *c = (gch_Chan *)r;
  gch_assert(c->recvq.first == NULL && c->sendq.first == NULL);
  if (c->ref.shared) gch_chan_freering(c);  /* local values are Lua's */
  free(c->ring);
  gch_ref_freelock(r);
  __atomic_sub_fetch(&gch_nchans, 1, __ATOMIC_RELAXED);
  free(c);
}

const char gch_chantag = 0;

static void chan_pushbox (lua_State *L, gch_Ref *r, int dir);

static const gch_Kind chan_kind = {
  GCH_CHAN_T, &gch_chantag, chan_destroy, gch_chan_share, gch_chan_shared,
  chan_pushbox, NULL
};

/* chan_alloc: a new channel with one reference (its first box's) */
static gch_Chan *chan_alloc (lua_State *L, lua_Integer cap) {
  gch_Chan *c = (gch_Chan *)calloc(1, sizeof(*c));
  if (c == NULL) luaL_error(L, "not enough memory");
  c->cap = cap;
  c->ref.refs = 1;
  c->nboxes = 1;  /* the caller's box */
  c->ref.kind = &chan_kind;
  __atomic_add_fetch(&gch_nchans, 1, __ATOMIC_RELAXED);
  return c;
}

/* gchL_testchan: the box at 'arg' if it is a channel, else NULL. */
gch_ChanBox *gchL_testchan (lua_State *L, int arg) {
  return gchL_testbox(L, arg, &gch_chantag);
}

/* gchL_checkchan: a live channel box (not one a finalizer emptied) */
gch_ChanBox *gchL_checkchan (lua_State *L, int arg) {
  gch_ChanBox *b = gchL_testchan(L, arg);
  if (l_unlikely(b == NULL || b->c == NULL)) luaL_typeerror(L, arg, GCH_CHAN_T);
  return b;
}

/* checkdir: the box at 1, which must allow 'dir'. */
static gch_ChanBox *checkdir (lua_State *L, int dir, const char *msg) {
  gch_ChanBox *b = gchL_checkchan(L, 1);
  if (l_unlikely(!(b->dir & dir))) luaL_error(L, "%s", msg);
  return b;
}

#define checkrecv(L) \
  checkdir(L, GCH_DIR_RECV, "receive from send-only channel")
#define checksend(L) \
  checkdir(L, GCH_DIR_SEND, "send to receive-only channel")

/*
** auxnewbox: push a box for 'c' with direction 'dir' whose user value is
** the value at 'buf' (the ring table, or nil). Takes a reference ('c'
** may be NULL: the caller fills it in once allocated).
** [-0, +1, m]
*/
static gch_ChanBox *auxnewbox (lua_State *L, gch_Chan *c, int dir, int buf) {
  gch_ChanBox *b;
  buf = lua_absindex(L, buf);
  luaL_getmetatable(L, GCH_CHAN_T);  /* not an upvalue: decoding runs anywhere */
  b = gchL_newbox(L, &gch_chantag, 1, -1);
  lua_remove(L, -2);
  b->dir = dir;
  lua_pushvalue(L, buf);
  lua_setiuservalue(L, -2, 1);
  b->c = c;
  if (c != NULL) {
    gch_ref_incr(&c->ref);
    __atomic_add_fetch(&c->nboxes, 1, __ATOMIC_RELAXED);
  }
  return b;
}

/* go.chan([n]) -> channel   [-0, +1, m] */
static int chan_new (lua_State *L) {
  lua_Integer n = luaL_optinteger(L, 1, 0);
  gch_ChanBox *b;
  if (n < 0 || n > CAP_MAX) return luaL_error(L, "makechan: size out of range");
  lua_settop(L, 1);
  if (n > 0)  /* 2: the ring of buffered values */
    lua_createtable(L, (int)(n < PREALLOC_MAX ? n : PREALLOC_MAX), 0);
  else
    lua_pushnil(L);
  b = auxnewbox(L, NULL, GCH_DIR_BOTH, 2);  /* first, so 'c' cannot leak */
  b->c = chan_alloc(L, n);  /* with its first box */
  return 1;
}

/* chan_pushbox: (gch_Kind.pushbox) this state's box for a shared channel */
static void chan_pushbox (lua_State *L, gch_Ref *r, int dir) {
  lua_pushnil(L);  /* shared: no Lua ring */
  auxnewbox(L, (gch_Chan *)r, dir, -1);
  lua_remove(L, -2);
}

/*
** gchL_newtimerchan: push the receive-only view of a new timer channel.
** Internally it buffers one value (in 'tval'); nothing can send on it or
** close it but its timer. [-0, +1, m]
*/
gch_Chan *gchL_newtimerchan (lua_State *L) {
  gch_ChanBox *b;
  gch_Chan *c;
  lua_pushnil(L);  /* no ring: the value lives in 'tval' */
  b = auxnewbox(L, NULL, GCH_DIR_RECV, -1);
  lua_remove(L, -2);
  c = b->c = chan_alloc(L, 1);
  c->istimer = 1;
  return c;
}

/* gch_chan_orphan: is 'r' a shared channel without boxes, buffering? */
int gch_chan_orphan (gch_Ref *r) {
  gch_Chan *c = (gch_Chan *)r;
  return r->kind == &chan_kind && r->shared &&
         __atomic_load_n(&c->nboxes, __ATOMIC_ACQUIRE) == 0 &&
         __atomic_load_n(&c->count, __ATOMIC_RELAXED) > 0;
}

/* __gc: drop the box's reference. Never closes (Go does not either). */
static int chan_gc (lua_State *L) {
  gch_ChanBox *b = gchL_testchan(L, 1);
  if (b != NULL && b->c != NULL) {
    gch_Chan *c = b->c;
    int shared = c->ref.shared;  /* read while our reference keeps c */
    b->c = NULL;
    if (__atomic_sub_fetch(&c->nboxes, 1, __ATOMIC_ACQ_REL) == 0 && shared &&
        __atomic_load_n(&c->count, __ATOMIC_RELAXED) > 0)
      gch_chan_collect(c);  /* maybe only buffers hold it now */
    gch_ref_release(&c->ref);  /* the box's, kept across the check */
  }
  return 0;
}


/*
** {======================================================
** Moving values (local mode)
** =======================================================
*/

/*
** bufput: append the value at 'v' to the ring table at index 'ring' (any
** valid index: a stack slot or an upvalue). [-0, +0, m]
*/
static void bufput (lua_State *L, gch_Chan *c, int ring, int v) {
  lua_pushvalue(L, v);
  lua_rawseti(L, ring, c->sendx + 1);
  if (++c->sendx == c->cap) c->sendx = 0;
  c->count++;
}

/* bufget: remove the oldest buffered value and push it. [-0, +1, m] */
static void bufget (lua_State *L, gch_Chan *c, int ring) {
  if (l_unlikely(c->istimer)) {  /* the one fired time, kept in C */
    lua_pushnumber(L, c->tval);
    c->count = 0;
    return;
  }
  if (lua_rawgeti(L, ring, c->recvx + 1) >= LUA_TSTRING) {  /* collectable */
    lua_pushnil(L);
    lua_rawseti(L, ring, c->recvx + 1);  /* clear the slot for the GC */
  }
  if (++c->recvx == c->cap) c->recvx = 0;
  c->count--;
}

/*
** gchL_pushring: push the ring table of the box at 'box' (nil for an
** unbuffered or timer channel) and return its index, for the movers.
*/
int gchL_pushring (lua_State *L, int box) {
  lua_getiuservalue(L, box, 1);
  return lua_gettop(L);
}

/*
** claim: may the dequeued 'w' complete? A select waiter only if its
** select is not won yet (Go's selectDone CAS: wakers of other threads may
** race for it); a waiter of this state only if user code did not close
** its coroutine (then it is dropped). Waiters of other states are
** checked by their own thread, never here.
*/
static int claim (gch_Sched *self, gch_Waiter *w) {
  if (w->isselect) {
    unsigned char zero = 0;
    if (!__atomic_compare_exchange_n(&w->g->selectdone, &zero, 1, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
      return 0;
  }
  if (w->g->S != self) gch_sched_remote(self, w->g);  /* ready it later */
  else if (l_unlikely(!gch_sched_alive(w->g))) return 0;
  return 1;
}

/*
** gch_chan_dequeue: remove and return the first waiter of 'q' that can
** complete now, claiming it; the others met on the way are unlinked (their
** owners drop their references). NULL if none. Lock held if shared.
*/
gch_Waiter *gch_chan_dequeue (gch_Sched *self, gch_Chan *c, gch_WaitQ *q) {
  gch_Waiter *w;
  (void)c;
  while ((w = q->first) != NULL) {
    waitq_remove(q, w);
    if (claim(self, w)) return w;
  }
  return NULL;
}

/* auxpeek: the first waiter of 'q' that could complete, or NULL. */
static gch_Waiter *auxpeek (gch_Sched *self, gch_WaitQ *q) {
  gch_Waiter *w;
  while ((w = q->first) != NULL) {
    if (w->g->S != self ? waitq_live(w) : waitq_live(w) && gch_sched_alive(w->g))
      break;
    waitq_remove(q, w);  /* its owner drops its reference */
  }
  return w;
}

/* auxcomplete: 'w' finished its wait (success: a value moved); ready it. */
static void auxcomplete (gch_Sched *self, gch_Waiter *w, int success) {
  w->success = (unsigned char)success;
  w->g->won = w;
  gch_sched_ready(self, w->g);
}

/* auxtakefrom: push the value of the parked sender 'w' (Go's recv). */
static void auxtakefrom (lua_State *L, gch_Waiter *w) {
  lua_pushvalue(w->L, w->slot);  /* the sender reserved this slot */
  lua_xmove(w->L, L, 1);
}


/*
** {======================================================
** Operations shared with select
** =======================================================
*/

/* readiness, for select (lock held if shared) */
int gch_chan_recvready (gch_Sched *self, gch_Chan *c) {
  return c->count > 0 || c->closed || auxpeek(self, &c->sendq) != NULL;
}

int gch_chan_sendready (gch_Sched *self, gch_Chan *c) {
  return c->closed || c->count < c->cap || auxpeek(self, &c->recvq) != NULL;
}

/*
** gchL_chan_trysend: send the value at 'v' without blocking (Go's
** chansend with block=false). GCH_OK, GCH_CLOSED or GCH_WOULDBLOCK.
** 'ring' is the index of c's ring table (gchL_pushring; only read when
** the channel buffers, so 0 will do for an unbuffered one). [-0, +0, m]
*/
static inline int auxtrysend (lua_State *L, gch_Sched *S, gch_Chan *c,
                              int ring, int v) {
  gch_Waiter *w;
  if (c->closed) return GCH_CLOSED;
  if (c->recvq.first != NULL && (w = gch_chan_dequeue(S, c, &c->recvq)) != NULL) {
    /* hand off directly */
    lua_pushvalue(L, v);
    lua_xmove(L, w->L, 1);  /* the receiver has room: see gchL_current */
    auxcomplete(S, w, 1);
    return GCH_OK;
  }
  if (c->count < c->cap) {
    bufput(L, c, ring, v);
    return GCH_OK;
  }
  return GCH_WOULDBLOCK;
}

int gchL_chan_trysend (lua_State *L, gch_Sched *S, gch_Chan *c, int ring, int v) {
  return auxtrysend(L, S, c, ring, v);  /* ch:send inlines it */
}

/*
** gchL_chan_tryrecv: receive without blocking (Go's chanrecv with
** block=false). On GCH_OK pushes the value and ok on top (with scratch
** values below them). 'ring' as for gchL_chan_trysend. [-0, +(0|2+), m]
*/
int gchL_chan_tryrecv (lua_State *L, gch_Sched *S, gch_Chan *c, int ring) {
  gch_Waiter *w;
  if (c->count > 0) {
    bufget(L, c, ring);
    if (c->sendq.first != NULL &&  /* the buffer was full */
        (w = gch_chan_dequeue(S, c, &c->sendq)) != NULL) {
      auxtakefrom(L, w);
      bufput(L, c, ring, -1);  /* its value takes the freed slot */
      lua_pushvalue(L, -2);  /* the value received: v, sv */
      auxcomplete(S, w, 1);
    }
  }
  else if ((w = gch_chan_dequeue(S, c, &c->sendq)) != NULL) {  /* unbuffered */
    auxtakefrom(L, w);
    auxcomplete(S, w, 1);
  }
  else if (c->closed) {
    lua_pushnil(L);
    lua_pushboolean(L, 0);
    return GCH_OK;
  }
  else return GCH_WOULDBLOCK;
  lua_pushboolean(L, 1);
  return GCH_OK;
}

/* gch_chan_enqueue: park 'w' on c's send or receive queue (takes a ref). */
void gch_chan_enqueue (gch_Chan *c, gch_Waiter *w, int send) {
  gch_waiter_enqueue(&c->ref, send ? &c->sendq : &c->recvq, w);
}


/*
** {======================================================
** Lua-facing methods
** =======================================================
*/

/* ch:send(v)   [-0, +0, v] */
static int chan_send_k (lua_State *L, int status, lua_KContext ctx) {
  gch_G *g = (gch_G *)ctx;
  int st = gchL_waitstatus(L, g);
  (void)status;
  gch_waiter_dequeue(&g->w1);
  if (g->w1.msg != NULL) {  /* shared, and no receiver took it */
    gch_msg_free(g->w1.msg);
    g->w1.msg = NULL;
  }
  if (st == GCH_OK && !g->w1.success) st = GCH_CLOSED;  /* woken by close */
  if (st != GCH_OK) return gchL_raise(L, g->S, st);
  return 0;
}

static int chan_send (lua_State *L);

static int chan_send_again (lua_State *L, int status, lua_KContext ctx) {
  (void)status; (void)ctx;
  return chan_send(L);
}

static int chan_send (lua_State *L) {
  gch_ChanBox *b = checksend(L);
  gch_Chan *c = b->c;
  gch_Sched *S = b->S;
  gch_G *g;
  int st;
  if (l_unlikely(lua_gettop(L) < 2)) luaL_checkany(L, 2);  /* send(nil) is fine */
  gchL_schedpoint(L, S, chan_send_again);
  if (l_unlikely(c->ref.shared)) return gchL_chan_shsendop(L, b, chan_send_k);
  st = auxtrysend(L, S, c, c->cap > 0 ? gchL_pushring(L, 1) : 0, 2);
  if (st == GCH_OK) return 0;
  if (st == GCH_CLOSED) return gchL_raise(L, S, st);
  g = gchL_current(L, S);  /* a receiver pushes through us: see there */
  g->w1.L = L;
  g->w1.slot = 2;
  gch_chan_enqueue(c, &g->w1, 1);
  return gchL_park(L, S, g, "chan send", chan_send_k);
}

/* ch:recv() -> v, ok   [-0, +2, v] */
static int chan_recv_k (lua_State *L, int status, lua_KContext ctx) {
  gch_G *g = (gch_G *)ctx;
  int st = gchL_waitstatus(L, g);
  (void)status;
  gch_waiter_dequeue(&g->w1);
  if (st != GCH_OK) return gchL_raise(L, g->S, st);
  if (!g->w1.success) {  /* closed */
    lua_pushnil(L);
    lua_pushboolean(L, 0);
  }
  else if (g->w1.msg != NULL) {  /* from a shared channel */
    gch_Msg *m = g->w1.msg;
    g->w1.msg = NULL;
    return gchL_chan_pushmsg(L, m);
  }
  else lua_pushboolean(L, 1);  /* the sender pushed the value */
  return 2;
}

/* auxrecv: receive on box 'b'; 'ring' as for gchL_chan_tryrecv, or 0:
   the ring of the box at 1 */
static int auxrecv (lua_State *L, gch_ChanBox *b, int ring, lua_KFunction k) {
  gch_Chan *c = b->c;
  gch_G *g;
  if (l_unlikely(c->istimer) && __atomic_load_n(&c->count, __ATOMIC_RELAXED) == 0 &&
      b->S->timers.n > 0)
    gchL_timer_run(L, b->S);  /* its timer may have expired (Go 1.23) */
  if (l_unlikely(c->ref.shared)) return gchL_chan_shrecvop(L, b, k);
  if (c->count > 0 && ring == 0) ring = gchL_pushring(L, 1);
  if (gchL_chan_tryrecv(L, b->S, c, ring) == GCH_OK) return 2;
  g = gchL_current(L, b->S);
  g->w1.L = L;
  g->w1.msg = NULL;
  gch_chan_enqueue(c, &g->w1, 0);
  return gchL_park(L, b->S, g, "chan receive", k);
}

static int chan_recv (lua_State *L);

static int chan_recv_again (lua_State *L, int status, lua_KContext ctx) {
  (void)status; (void)ctx;
  return chan_recv(L);
}

static int chan_recv (lua_State *L) {
  gch_ChanBox *b = checkrecv(L);
  gchL_schedpoint(L, b->S, chan_recv_again);
  return auxrecv(L, b, 0, chan_recv_k);
}

/* iterator of ch:range(): one receive, ends the loop once closed */
static int chan_next_k (lua_State *L, int status, lua_KContext ctx) {
  chan_recv_k(L, status, ctx);
  lua_pop(L, 1);  /* ok: the loop stops on the nil of a closed channel */
  return 1;
}

static int chan_next (lua_State *L);

static int chan_next_again (lua_State *L, int status, lua_KContext ctx) {
  (void)status; (void)ctx;
  return chan_next(L);
}

/* the iterator's box and ring, for the usual call it(ch) by a for loop */
#define NEXT_BOX  lua_upvalueindex(GCH_NUPVALUES + 1)
#define NEXT_RING lua_upvalueindex(GCH_NUPVALUES + 2)

static int chan_next (lua_State *L) {
  gch_ChanBox *b = (gch_ChanBox *)lua_touserdata(L, NEXT_BOX);
  gch_Chan *c;
  int ring = NEXT_RING;
  if (l_unlikely(lua_touserdata(L, 1) != b || b->c == NULL)) {
    b = checkrecv(L);  /* called by hand: as ch:recv() on its argument */
    ring = 0;
  }
  gchL_schedpoint(L, b->S, chan_next_again);
  c = b->c;
  if (ring != 0 && !c->ref.shared && c->count > 0 && c->sendq.first == NULL) {
    bufget(L, c, ring);  /* the usual step over a buffered channel: no one to wake */
    return 1;
  }
  if (auxrecv(L, b, ring, chan_next_k) == 2) lua_pop(L, 1);
  return 1;
}

/* ch:range() -> iterator, ch */
static int chan_range (lua_State *L) {
  checkrecv(L);
  lua_pushvalue(L, GCH_UV_SCHED);
  lua_pushvalue(L, GCH_UV_CHANMT);
  lua_pushvalue(L, GCH_UV_CASEMT);
  lua_pushvalue(L, 1);
  gchL_pushring(L, 1);
  lua_pushcclosure(L, chan_next, GCH_NUPVALUES + 2);
  lua_pushvalue(L, 1);
  return 2;
}

/* ch:close()   as closechan: collect the waiters, then ready them */
/* auxclose: close the channel of box 'b'; false if it was closed already */
static int auxclose (gch_ChanBox *b) {
  gch_Chan *c = b->c;
  gch_Waiter *w;
  gch_lock(&c->ref);
  if (c->closed) {
    gch_unlock(&c->ref);
    return 0;
  }
  w = gch_chan_closeall(b->S, c);
  gch_unlock(&c->ref);
  while (w != NULL) {  /* as closechan: ready them after unlocking */
    gch_Waiter *next = w->next;
    w->next = NULL;
    gch_sched_ready(b->S, w->g);
    w = next;
  }
  return 1;
}

static int chan_close (lua_State *L) {
  if (!auxclose(checkdir(L, GCH_DIR_SEND, "close of receive-only channel")))
    return luaL_error(L, "close of closed channel");
  return 0;
}

/* __close: a channel declared <close> is closed unless it already is */
static int chan_toclose (lua_State *L) {
  gch_ChanBox *b = gchL_testchan(L, 1);
  if (b == NULL) return luaL_typeerror(L, 1, GCH_CHAN_T);
  if (b->c != NULL && (b->dir & GCH_DIR_SEND)) auxclose(b);
  return 0;
}

/* unlocked reads of a channel that may be shared: atomic, as its writers */
static lua_Integer auxlen (gch_Chan *c) {
  return c->istimer ? 0 : __atomic_load_n(&c->count, __ATOMIC_RELAXED);
}

static int auxclosed (gch_Chan *c) {
  return __atomic_load_n(&c->closed, __ATOMIC_RELAXED);
}

static lua_Integer auxcap (gch_Chan *c) {
  return c->istimer ? 0 : c->cap;
}

static int chan_len (lua_State *L) {
  lua_pushinteger(L, auxlen(gchL_checkchan(L, 1)->c));
  return 1;
}

static int chan_cap (lua_State *L) {
  lua_pushinteger(L, auxcap(gchL_checkchan(L, 1)->c));
  return 1;
}

/* auxview: ch:recv_only() / ch:send_only() */
static int auxview (lua_State *L, int dir, const char *msg) {
  gch_ChanBox *b = gchL_checkchan(L, 1);
  if (b->dir == dir) {  /* already that view */
    lua_settop(L, 1);
    return 1;
  }
  if (!(b->dir & dir)) return luaL_error(L, "%s", msg);
  lua_getiuservalue(L, 1, 1);  /* the shared ring */
  auxnewbox(L, b->c, dir, -1);
  return 1;
}

static int chan_recvonly (lua_State *L) {
  return auxview(L, GCH_DIR_RECV,
                 "cannot convert send-only channel to receive-only");
}

static int chan_sendonly (lua_State *L) {
  return auxview(L, GCH_DIR_SEND,
                 "cannot convert receive-only channel to send-only");
}

/* __eq: a view equals its channel and every other view of it */
static int chan_eq (lua_State *L) {
  gch_ChanBox *a = gchL_testchan(L, 1), *b = gchL_testchan(L, 2);
  lua_pushboolean(L, a != NULL && b != NULL && a->c != NULL && a->c == b->c);
  return 1;
}

static int chan_tostring (lua_State *L) {
  gch_ChanBox *b = gchL_checkchan(L, 1);
  const char *kind = b->dir == GCH_DIR_RECV ? "<-chan"
                   : b->dir == GCH_DIR_SEND ? "chan<-" : "chan";
  lua_pushfstring(L, "%s(%I/%I%s)", kind, (LUAI_UACINT)auxlen(b->c),
                  (LUAI_UACINT)auxcap(b->c), auxclosed(b->c) ? ", closed" : "");
  return 1;
}

static const luaL_Reg chan_methods[] = {
  {"send", chan_send},
  {"recv", chan_recv},
  {"close", chan_close},
  {"len", chan_len},
  {"cap", chan_cap},
  {"range", chan_range},
  {"recv_only", chan_recvonly},
  {"send_only", chan_sendonly},
  {NULL, NULL}
};

static const luaL_Reg chan_funcs[] = {
  {"chan", chan_new},
  {NULL, NULL}
};

static const luaL_Reg chan_meta[] = {
  {"__gc", chan_gc},
  {"__close", chan_toclose},
  {"__len", chan_len},
  {"__eq", chan_eq},
  {"__tostring", chan_tostring},
  {NULL, NULL}
};

/* gchL_chan_open: fill the channel metatable; add 'chan' to the module. */
void gchL_chan_open (lua_State *L) {
  gchL_setfuncs(L, GCH_IDX_CHANMT, chan_meta);
  lua_createtable(L, 0, 8);
  gchL_setfuncs(L, -1, chan_methods);
  lua_setfield(L, GCH_IDX_CHANMT, "__index");
  gchL_setfuncs(L, GCH_IDX_MODULE, chan_funcs);
}
