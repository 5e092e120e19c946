/*
** select.c: Go's select statement (select.go) and its case objects.
**
** A case is an immutable userdata made by go.recv(ch [, h]) or
** go.send(ch, v [, h]): a SelCase block (its kind, and the channel's box,
** recognised by tag as boxes are), user values 1 = channel box (or nil:
** the case never proceeds; it keeps the box alive), 2 = value to send,
** 3 = handler, 4 = the channel's ring table (local buffered values).
**
** go.select(cases) works in Go's passes:
**  1. validate every case and lay it out on the stack (case, box, value);
**  2. poll the cases, choosing uniformly among the ready ones (reservoir
**     sampling: one pass, no permutation array);
**  3. none ready: run the default, or enqueue one waiter per case and park;
**  4. woken: the waker claimed the select through g->selectdone and
**     completed one waiter ('g->won'); withdraw the others, then run the
**     chosen case's handler (or return i, v, ok).
** Invariants: a select's waiters are queued only between 3 and 4; a
** waiter's 'msg' (the copy of a value to send on a shared channel) is
** owned by the waiter array until a receiver takes it.
** Locking: the shared channels are locked in address order around passes
** 2 and 3, as Go's sellock; values for them are copied before locking.
** Local channels need no lock: only this thread touches them.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gochan.h"
#include "waitq.h"

#define CASE_RECV 1
#define CASE_SEND 2

/*
** Stack layout of go.select: 1 cases, 2 default, 3 scratch (the case
** table of a large select, else nil), then one slot per case. Boxes and
** values are pushed only when used (the chosen case; values of parked
** send cases), so a select costs a few API calls per case.
*/
#define DEFAULT_IDX 2
#define SCRATCH_IDX 3
#define CASE_IDX(i)  (SCRATCH_IDX + (i))   /* the case userdata */
#define MAX_CASES    ((LUAI_MAXSTACK - 16) / 2)
#define SMALL_CASES  16                    /* case tables on the C stack */
#define UV_DEFAULT   lua_upvalueindex(GCH_NUPVALUES + 1)  /* "default" */

typedef struct SelCase {
  const void *tag;          /* &casetag */
  int kind;                 /* CASE_RECV or CASE_SEND */
  int hashandler;           /* user value 3 is not nil */
  gch_ChanBox *b;           /* box of user value 1, or NULL (nil channel) */
} SelCase;

static const char casetag = 0;

/* what pass 1 learnt of each case, for the later passes */
typedef struct SelInfo {
  gch_Chan *c;              /* NULL: a nil channel */
  int kind;
  int hashandler;
} SelInfo;


/*
** {======================================================
** Cases
** =======================================================
*/

static int auxcase (lua_State *L, int kind, int handler) {
  SelCase *k;
  gch_ChanBox *b = NULL;
  if (lua_type(L, 1) != LUA_TNIL) b = gchL_checkchan(L, 1);  /* nil: never ready */
  if (!lua_isnoneornil(L, handler))
    luaL_argexpected(L, gchL_iscallable(L, handler), handler, "function");
  lua_settop(L, 3);
  k = (SelCase *)lua_newuserdatauv(L, sizeof(*k), 4);
  k->tag = NULL;
  k->kind = kind;
  k->hashandler = !lua_isnoneornil(L, handler);
  k->b = b;
  lua_pushvalue(L, GCH_UV_CASEMT);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);  /* channel */
  if (kind == CASE_SEND) {
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, -2, 2);  /* value */
  }
  lua_pushvalue(L, handler);
  lua_setiuservalue(L, -2, 3);  /* handler */
  if (b != NULL) {
    gchL_pushring(L, 1);
    lua_setiuservalue(L, -2, 4);  /* ring: every box of a channel has it */
  }
  k->tag = &casetag;
  return 1;
}

/* go.recv(ch [, handler(v, ok)]) -> case */
static int select_recv (lua_State *L) {
  return auxcase(L, CASE_RECV, 2);
}

/* go.send(ch, v [, handler()]) -> case */
static int select_send (lua_State *L) {
  return auxcase(L, CASE_SEND, 3);
}

/* testcase: the case block at 'idx', or NULL if it is not a case */
static SelCase *testcase (lua_State *L, int idx) {
  SelCase *k = (SelCase *)lua_touserdata(L, idx);
  if (k != NULL && lua_rawlen(L, idx) == sizeof(*k) && k->tag == &casetag)
    return k;
  return NULL;
}

static int casekind (lua_State *L, int i) {
  return ((SelCase *)lua_touserdata(L, CASE_IDX(i)))->kind;
}

/* pushfield: push user value 'uv' of case 'i' (2 value, 4 ring); its index */
static int pushfield (lua_State *L, int i, int uv) {
  lua_getiuservalue(L, CASE_IDX(i), uv);
  return lua_gettop(L);
}


/*
** {======================================================
** Select
** =======================================================
*/

static int dispatch_k (lua_State *L, int status, lua_KContext base) {
  (void)status;
  return lua_gettop(L) - (int)base;
}

/* noresults: no handler: return i, v, ok (v, ok: the 'nvals' on top) */
static int noresults (lua_State *L, int i, int nvals) {
  lua_pushinteger(L, i);
  if (nvals == 2) {
    lua_pushvalue(L, -3);
    lua_pushvalue(L, -3);
  }
  else {
    lua_pushnil(L);
    lua_pushnil(L);
  }
  return 3;
}

/*
** dispatch: case 'i' (0: default) was chosen; the 'nvals' values on top
** are its results (v, ok of a receive). Call its handler with them and
** return what it returns, or return i, v, ok. 'hashandler': whether case
** i has one (-1: look).
*/
static int dispatch (lua_State *L, int i, int nvals, int hashandler) {
  int base;
  if (i == 0) {
    if (lua_isboolean(L, DEFAULT_IDX)) return noresults(L, 0, nvals);  /* true */
    lua_pushvalue(L, DEFAULT_IDX);
  }
  else {
    if (hashandler < 0)
      hashandler = ((SelCase *)lua_touserdata(L, CASE_IDX(i)))->hashandler;
    if (!hashandler) return noresults(L, i, nvals);
    lua_getiuservalue(L, CASE_IDX(i), 3);  /* handler */
  }
  lua_insert(L, -(nvals + 1));  /* handler below its arguments */
  base = lua_gettop(L) - nvals - 1;
  lua_callk(L, nvals, LUA_MULTRET, base, dispatch_k);
  return dispatch_k(L, LUA_OK, base);
}

/* freemsgs: free the copies of send values nobody took */
static void freemsgs (gch_G *g, int n) {
  int i;
  for (i = 0; i < n; i++)
    if (g->ws[i].msg != NULL) {
      gch_msg_free(g->ws[i].msg);
      g->ws[i].msg = NULL;
    }
}

/* pass 4: the select woke up */
static int select_k (lua_State *L, int status, lua_KContext ctx) {
  gch_G *g = (gch_G *)ctx;
  int st = gchL_waitstatus(L, g);
  gch_Waiter *w = g->won;
  gch_Msg *m = NULL;
  int i, n = g->nselect;
  (void)status;
  for (i = 0; i < n; i++) gch_waiter_dequeue(&g->ws[i]);
  g->nselect = 0;
  if (st == GCH_OK && casekind(L, w->caseidx) == CASE_RECV) {
    m = w->msg;  /* a value from a shared channel, if any */
    w->msg = NULL;
  }
  freemsgs(g, n);
  if (st != GCH_OK) return gchL_raise(L, g->S, st);
  i = w->caseidx;
  if (casekind(L, i) == CASE_SEND) {
    if (!w->success) return gchL_raise(L, g->S, GCH_CLOSED);
    return dispatch(L, i, 0, -1);
  }
  if (!w->success) {
    lua_pushnil(L);
    lua_pushboolean(L, 0);
  }
  else if (m != NULL) gchL_chan_pushmsg(L, m);
  else lua_pushboolean(L, 1);  /* the sender pushed the value */
  return dispatch(L, i, 2, -1);
}

/*
** selectwaiters: room for 'n' cleared waiters in g. Outside a parked
** select no waiter of g is queued or holds a copy (select_k, or the drop
** of a closed goroutine, cleared them): only the first n need clearing,
** however large an earlier select made the array.
*/
static gch_Waiter *selectwaiters (lua_State *L, gch_G *g, int n) {
  if (n > 0 && n > g->nws) {
    gch_Waiter *ws = (gch_Waiter *)realloc(g->ws, (size_t)n * sizeof(*ws));
    if (ws == NULL) luaL_error(L, "not enough memory");
    g->ws = ws;
    g->nws = n;
  }
  memset(g->ws, 0, (size_t)n * sizeof(*g->ws));
  return g->ws;
}

/*
** The copies of a select's values for its shared channels live in a
** guard on its stack (gochan.msglist: its __gc frees what is left) until
** they are sent or parked with their waiters: the select can raise, or a
** finalizer run by an allocation can make this goroutine select again
** (reusing g->ws), before either happens.
*/
static gch_Msg **newcopies (lua_State *L, int n) {
  gch_Msg **msgs = (gch_Msg **)lua_newuserdatauv(L, (size_t)n * sizeof(*msgs), 0);
  memset(msgs, 0, (size_t)n * sizeof(*msgs));
  luaL_setmetatable(L, "gochan.msglist");
  return msgs;
}

/* dropcopies: free the copies nobody took (msgs may be NULL: none) */
static void dropcopies (gch_Msg **msgs, int n) {
  int i;
  if (msgs == NULL) return;
  for (i = 0; i < n; i++) {
    gch_msg_free(msgs[i]);
    msgs[i] = NULL;
  }
}

/* pass 1: push case 'i' (at CASE_IDX(i)), check it, note it in 'info' */
static void auxlayout (lua_State *L, int i, SelInfo *info) {
  SelCase *k;
  gch_ChanBox *b;
  lua_rawgeti(L, 1, i);
  k = testcase(L, -1);
  if (k == NULL) {
    luaL_argerror(L, 1, lua_pushfstring(L,
        "case #%d is not a select case (go.recv or go.send)", i));
    return;  /* not reached */
  }
  info->kind = k->kind;
  info->hashandler = k->hashandler;
  info->c = NULL;
  if ((b = k->b) == NULL) return;
  if (b->c == NULL)  /* its box was finalized (resurrected by a __gc) */
    luaL_argerror(L, 1, lua_pushfstring(L, "case #%d uses a collected channel", i));
  if (k->kind == CASE_RECV) {
    if (!(b->dir & GCH_DIR_RECV))
      luaL_error(L, "receive from send-only channel");
  }
  else if (!(b->dir & GCH_DIR_SEND))
    luaL_error(L, "send to receive-only channel");
  info->c = b->c;
}

static int cmpchan (const void *a, const void *b) {
  uintptr_t x = (uintptr_t)*(gch_Chan *const *)a, y = (uintptr_t)*(gch_Chan *const *)b;
  return (x > y) - (x < y);
}

/*
** Locks of the shared channels of a select, taken in address order (Go's
** lockorder: two selects on other threads cannot deadlock) and released
** in reverse. 'locks' has one entry per distinct shared channel.
*/
static void sellock (gch_Chan **locks, int n) {
  int i;
  for (i = 0; i < n; i++) gch_lock(&locks[i]->ref);
}

static void selunlock (gch_Chan **locks, int n) {
  while (n-- > 0) gch_unlock(&locks[n]->ref);
}

/*
** sharedcases: prepare the shared channels of the select: a copy of every
** value to send on one, in a guard (newcopies, returned in *pmsgs; NULL if
** no case uses a shared channel), then their distinct list, sorted
** (returned; count in *nlocks). A channel can turn shared on the way:
** encoding a value that holds a local channel shares it, and so can a
** finalizer run by any allocation here (the guard, the lock list, an
** encoding). So passes repeat until one encodes and allocates nothing;
** after it, nothing allocates until the channels are unlocked, and the
** modes seen are the modes the select works with. Raises only before any
** lock.
*/
static gch_Chan **sharedcases (lua_State *L, const SelInfo *info, int n,
                               gch_Msg ***pmsgs, int *nlocks) {
  gch_Chan **locks = NULL;
  gch_Msg **msgs = NULL;
  int i, k, changed;
  do {
    changed = 0;
    for (i = 0; i < n; i++) {
      gch_Chan *c = info[i].c;
      if (c == NULL || !c->ref.shared) continue;
      if (msgs == NULL) {  /* room for every case: no allocation later */
        msgs = newcopies(L, n);
        locks = (gch_Chan **)lua_newuserdatauv(L, (size_t)n * sizeof(*locks), 0);
        changed = 1;
      }
      if (info[i].kind == CASE_SEND && msgs[i] == NULL) {
        gch_Msg *m = gchL_encode(L, pushfield(L, i + 1, 2), 1);
        msgs[i] = m;  /* (not in one statement: msgs[i] before the call) */
        lua_pop(L, 1);
        changed = 1;
      }
    }
  } while (changed);
  *pmsgs = msgs;
  *nlocks = 0;
  if (msgs == NULL) return NULL;
  for (i = 0, k = 0; i < n; i++)
    if (info[i].c != NULL && info[i].c->ref.shared) locks[k++] = info[i].c;
  qsort(locks, (size_t)k, sizeof(*locks), cmpchan);
  for (i = 1, *nlocks = 1; i < k; i++)  /* one lock per channel */
    if (locks[i] != locks[*nlocks - 1]) locks[(*nlocks)++] = locks[i];
  return locks;
}

/*
** chosen: run case 'i' (channel 'c'), ready now, with the shared channels
** locked; it unlocks them. Returns like select.
*/
static int select_select (lua_State *L);

/* again: run the select from the start (its cases are at 1) */
static int again (lua_State *L) {
  lua_settop(L, 1);
  return select_select(L);
}

static int chosen (lua_State *L, gch_Sched *S, int i, const SelInfo *info,
                   int n, gch_Msg **msgs, gch_Chan **locks, int nlocks) {
  int kind = info->kind, h = info->hashandler;
  gch_Chan *c = info->c;
  gch_G *wake = NULL;
  gch_Msg *m = NULL;
  int st;
  /* Pass 2 only looked: the peer it saw may have been taken since by
     another thread (a select it was in won elsewhere): then choose again. */
  if (!c->ref.shared) {  /* local: only this thread touches it */
    int ring;
    selunlock(locks, nlocks);
    dropcopies(msgs, n);
    ring = pushfield(L, i, 4);
    if (kind == CASE_RECV) {
      if (gchL_chan_tryrecv(L, S, c, ring) == GCH_WOULDBLOCK) return again(L);
      return dispatch(L, i, 2, h);
    }
    st = gchL_chan_trysend(L, S, c, ring, pushfield(L, i, 2));
    if (st == GCH_WOULDBLOCK) return again(L);
    if (st == GCH_CLOSED) return gchL_raise(L, S, GCH_CLOSED);
    return dispatch(L, i, 0, h);
  }
  if (kind == CASE_RECV) {
    st = gch_chan_shrecv(S, c, &m, &wake);
    selunlock(locks, nlocks);
    dropcopies(msgs, n);
    if (wake != NULL) gch_sched_ready(S, wake);
    if (st == GCH_WOULDBLOCK) return again(L);
    if (st == GCH_CLOSED) {
      lua_pushnil(L);
      lua_pushboolean(L, 0);
    }
    else gchL_chan_pushmsg(L, m);
    return dispatch(L, i, 2, h);
  }
  gch_assert(msgs != NULL);  /* sharedcases saw c shared: no allocation since */
  st = gch_chan_shsend(S, c, msgs[i - 1], &wake);
  if (st == GCH_OK) msgs[i - 1] = NULL;  /* taken */
  selunlock(locks, nlocks);
  dropcopies(msgs, n);
  if (wake != NULL) gch_sched_ready(S, wake);
  if (st == GCH_WOULDBLOCK) return again(L);
  if (st != GCH_OK) return gchL_raise(L, S, st);
  return dispatch(L, i, 0, h);
}

static int select_again (lua_State *L, int status, lua_KContext ctx) {
  (void)status; (void)ctx;
  return select_select(L);
}

/*
** park: pass 3, no case ready and no default: queue one waiter per case
** (a local send case's value goes on the stack, where a receiver takes it
** from) and block.
*/
static int park (lua_State *L, gch_Sched *S, gch_G *g, const SelInfo *info,
                 int n, gch_Msg **msgs, gch_Chan **locks, int nlocks) {
  int i;
  if (nlocks == 0) selectwaiters(L, g, n);  /* else done before locking */
  g->selectdone = 0;
  g->nselect = n;
  for (i = 0; i < n; i++) {
    gch_Chan *c = info[i].c;
    gch_Waiter *w = &g->ws[i];
    if (c == NULL) continue;
    w->g = g;
    w->L = L;
    w->slot = info[i].kind == CASE_SEND && !c->ref.shared ? pushfield(L, i + 1, 2) : 0;
    w->caseidx = i + 1;
    w->isselect = 1;
    if (msgs != NULL) {  /* its copy goes with it (a receiver takes it) */
      w->msg = msgs[i];
      msgs[i] = NULL;
    }
    gch_chan_enqueue(c, w, info[i].kind == CASE_SEND);
  }
  selunlock(locks, nlocks);
  return gchL_park(L, S, g, "select", select_k);
}

/* go.select(cases) -> handler results, or i, v, ok */
static int select_select (lua_State *L) {
  gch_Sched *S = gchL_sched(L);
  lua_Unsigned len;
  int n, i, pick = 0, live = 0, nlocks, hasdefault;
  uint64_t nready = 0;
  gch_Chan **locks;
  gch_Msg **msgs;
  gch_G *g;
  SelInfo small[SMALL_CASES], *info = small;
  if (l_unlikely(lua_type(L, 1) != LUA_TTABLE)) luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  len = lua_rawlen(L, 1);
  luaL_argcheck(L, len <= MAX_CASES, 1, "too many select cases");
  n = (int)len;
  lua_pushvalue(L, UV_DEFAULT);
  lua_rawget(L, 1);  /* DEFAULT_IDX */
  hasdefault = lua_toboolean(L, DEFAULT_IDX);
  if (hasdefault && !lua_isboolean(L, DEFAULT_IDX) && !gchL_iscallable(L, DEFAULT_IDX))
    luaL_argerror(L, 1, "'default' must be a function or true");
  if (2 * n + 11 > LUA_MINSTACK)  /* else the room every C function has */
    luaL_checkstack(L, 2 * n + 8, "too many select cases");
  if (n > SMALL_CASES)  /* SCRATCH_IDX */
    info = (SelInfo *)lua_newuserdatauv(L, (size_t)n * sizeof(*info), 0);
  else lua_pushnil(L);
  gchL_schedpoint(L, S, select_again);
  for (i = 1; i <= n; i++) {  /* pass 1: check and push every case */
    auxlayout(L, i, &info[i - 1]);
    if (info[i - 1].c != NULL) live++;
  }
  /* a select with a default never blocks: fine in a finalizer run while
     its goroutine waits (gchL_current would refuse) */
  g = hasdefault ? NULL : gchL_current(L, S);
  if (S->timers.n > 0) gchL_timer_run(L, S);  /* an expired timer is ready (Go 1.23) */
  for (i = 0; i < n && (info[i].c == NULL || !info[i].c->ref.shared); i++) {}
  if (i < n)  /* a shared channel: copies and locks */
    locks = sharedcases(L, info, n, &msgs, &nlocks);  /* may raise: before any lock */
  else {  /* only local ones: nothing allocates from here on */
    locks = NULL;
    msgs = NULL;
    nlocks = 0;
  }
  if (msgs != NULL && g != NULL)
    selectwaiters(L, g, n);  /* park cannot raise under the locks */
  sellock(locks, nlocks);
  for (i = 0; i < n; i++) {  /* pass 2: uniform choice among ready cases */
    gch_Chan *c = info[i].c;
    if (c != NULL &&
        (info[i].kind == CASE_RECV
           ? c->count > 0 || c->closed ||
             (c->sendq.first != NULL && gch_chan_recvready(S, c))
           : c->closed || c->count < c->cap ||
             (c->recvq.first != NULL && gch_chan_sendready(S, c))) &&
        gch_sched_rand(S) % ++nready == 0)
      pick = i + 1;
  }
  if (pick != 0)
    return chosen(L, S, pick, &info[pick - 1], n, msgs, locks, nlocks);
  if (hasdefault || g == NULL) {  /* (g is NULL only with a default) */
    selunlock(locks, nlocks);
    dropcopies(msgs, n);
    return dispatch(L, 0, 0, 0);
  }
  if (live == 0) {  /* only nil channels, or none: block forever */
    g->nselect = 0;
    return gchL_park(L, S, g, "select (no cases)", select_k);
  }
  return park(L, S, g, info, n, msgs, locks, nlocks);
}

static const luaL_Reg select_funcs[] = {
  {"recv", select_recv},
  {"send", select_send},
  {NULL, NULL}
};

void gchL_select_open (lua_State *L) {
  lua_pushliteral(L, GCH_CASE_T);
  lua_setfield(L, GCH_IDX_CASEMT, "__name");
  lua_pushboolean(L, 0);
  lua_setfield(L, GCH_IDX_CASEMT, "__metatable");
  gchL_setfuncs(L, GCH_IDX_MODULE, select_funcs);
  gchL_pushupvalues(L);
  lua_pushliteral(L, "default");  /* interned once, not per select */
  lua_pushcclosure(L, select_select, GCH_NUPVALUES + 1);
  lua_setfield(L, GCH_IDX_MODULE, "select");
}
