/*
** select.c: Go's select statement (select.go) and its case objects.
**
** A case is an immutable userdata made by go.recv(ch [, h]) or
** go.send(ch, v [, h]): its kind in the block, user values 1 = channel box
** (or nil: the case never proceeds), 2 = value to send, 3 = handler.
**
** go.select(cases) works in Go's passes:
**  1. validate every case and lay it out on the stack (case, box, value);
**  2. poll the cases, choosing uniformly among the ready ones (reservoir
**     sampling: one pass, no permutation array);
**  3. none ready: run the default, or enqueue one waiter per case and park;
**  4. woken: the waker claimed the select through g->selectdone and
**     completed one waiter ('g->won'); withdraw the others, then run the
**     chosen case's handler (or return i, v, ok).
** Invariants: a select's waiters are queued only between 3 and 4.
** Locking: none yet (local channels); shared channels will be locked in
** address order around passes 2 and 3, as Go's sellock.
*/
#include <stdlib.h>
#include <string.h>

#include "gochan.h"
#include "waitq.h"

#define CASE_RECV 1
#define CASE_SEND 2

/* stack layout of go.select: 1 cases, 2 default, then 3 slots per case */
#define DEFAULT_IDX 2
#define CASE_IDX(i)  (3 + 3 * ((i) - 1))   /* the case userdata */
#define BOX_IDX(i)   (CASE_IDX(i) + 1)       /* its channel box or nil */
#define VALUE_IDX(i) (CASE_IDX(i) + 2)       /* value to send */
#define MAX_CASES    ((LUAI_MAXSTACK - 16) / 3)


/*
** {======================================================
** Cases
** =======================================================
*/

static int auxcase (lua_State *L, int kind, int handler) {
  int *k;
  if (lua_type(L, 1) != LUA_TNIL) gchL_checkchan(L, 1);  /* nil: never ready */
  if (!lua_isnoneornil(L, handler))
    luaL_argexpected(L, gchL_iscallable(L, handler), handler, "function");
  lua_settop(L, 3);
  k = (int *)lua_newuserdatauv(L, sizeof(int), 3);
  *k = kind;
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

static int casekind (lua_State *L, int i) {
  return *(int *)lua_touserdata(L, CASE_IDX(i));
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

/*
** dispatch: case 'i' (0: default) was chosen; the 'nvals' values on top
** are its results (v, ok of a receive). Call its handler with them and
** return what it returns, or return i, v, ok.
*/
static int dispatch (lua_State *L, int i, int nvals) {
  int base;
  if (i == 0) {
    if (lua_isboolean(L, DEFAULT_IDX)) lua_pushnil(L);  /* default = true */
    else lua_pushvalue(L, DEFAULT_IDX);
  }
  else lua_getiuservalue(L, CASE_IDX(i), 3);  /* handler */
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushinteger(L, i);
    lua_insert(L, -(nvals + 1));
    for (; nvals < 2; nvals++) lua_pushnil(L);
    return 3;
  }
  lua_insert(L, -(nvals + 1));  /* handler below its arguments */
  base = lua_gettop(L) - nvals - 1;
  lua_callk(L, nvals, LUA_MULTRET, base, dispatch_k);
  return dispatch_k(L, LUA_OK, base);
}

/* pass 4: the select woke up */
static int select_k (lua_State *L, int status, lua_KContext ctx) {
  gch_G *g = (gch_G *)ctx;
  int st = gchL_waitstatus(L, g);
  gch_Waiter *w = g->won;
  int i;
  (void)status;
  for (i = 0; i < g->nselect; i++) gch_waiter_dequeue(&g->ws[i]);
  g->nselect = 0;
  if (st != GCH_OK) return gchL_raise(L, g->S, st);
  i = w->caseidx;
  if (casekind(L, i) == CASE_SEND) {
    if (!w->success) return gchL_raise(L, g->S, GCH_CLOSED);
    return dispatch(L, i, 0);
  }
  if (w->success) lua_pushboolean(L, 1);  /* the sender pushed the value */
  else {
    lua_pushnil(L);
    lua_pushboolean(L, 0);
  }
  return dispatch(L, i, 2);
}

/* selectwaiters: room for 'n' waiters in g (none is queued now). */
static gch_Waiter *selectwaiters (lua_State *L, gch_G *g, int n) {
  if (n > g->nws) {
    gch_Waiter *ws = (gch_Waiter *)realloc(g->ws, (size_t)n * sizeof(*ws));
    if (ws == NULL) luaL_error(L, "not enough memory");
    g->ws = ws;
    g->nws = n;
  }
  memset(g->ws, 0, (size_t)g->nws * sizeof(*g->ws));
  return g->ws;
}

/* pass 1: check case 'i' and push its case, box and value */
static gch_Chan *auxlayout (lua_State *L, int i, gch_Sched *S) {
  gch_ChanBox *b;
  (void)S;
  lua_rawgeti(L, 1, i);
  if (!lua_getmetatable(L, -1) || !lua_rawequal(L, -1, GCH_UV_CASEMT))
    luaL_argerror(L, 1, lua_pushfstring(L,
        "case #%d is not a select case (go.recv or go.send)", i));
  lua_pop(L, 1);  /* metatable */
  lua_getiuservalue(L, -1, 1);  /* box */
  lua_getiuservalue(L, -2, 2);  /* value */
  b = (gch_ChanBox *)lua_touserdata(L, BOX_IDX(i));
  if (b == NULL) return NULL;
  if (casekind(L, i) == CASE_RECV) {
    if (!(b->dir & GCH_DIR_RECV))
      luaL_error(L, "receive from send-only channel");
  }
  else if (!(b->dir & GCH_DIR_SEND))
    luaL_error(L, "send to receive-only channel");
  return b->c;
}

/* go.select(cases) -> handler results, or i, v, ok */
static int select_select (lua_State *L) {
  gch_Sched *S = gchL_sched(L);
  lua_Unsigned len;
  int n, i, chosen = 0, live = 0;
  uint64_t nready = 0;
  gch_G *g;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  len = lua_rawlen(L, 1);
  luaL_argcheck(L, len <= MAX_CASES, 1, "too many select cases");
  n = (int)len;
  lua_pushliteral(L, "default");
  lua_rawget(L, 1);  /* DEFAULT_IDX */
  if (lua_toboolean(L, DEFAULT_IDX) && !lua_isboolean(L, DEFAULT_IDX) &&
      !gchL_iscallable(L, DEFAULT_IDX))
    luaL_argerror(L, 1, "'default' must be a function or true");
  luaL_checkstack(L, 3 * n + 8, "too many select cases");
  for (i = 1; i <= n; i++) {  /* passes 1 and 2 */
    gch_Chan *c = auxlayout(L, i, S);
    if (c == NULL) continue;
    live++;
    if ((casekind(L, i) == CASE_RECV ? gch_chan_recvready(c)
                                     : gch_chan_sendready(c)) &&
        gch_sched_rand(S) % ++nready == 0)
      chosen = i;
  }
  if (chosen != 0) {
    gch_Chan *c = ((gch_ChanBox *)lua_touserdata(L, BOX_IDX(chosen)))->c;
    if (casekind(L, chosen) == CASE_RECV) {
      gchL_chan_tryrecv(L, c, BOX_IDX(chosen));  /* ready: cannot block */
      return dispatch(L, chosen, 2);
    }
    if (gchL_chan_trysend(L, c, BOX_IDX(chosen), VALUE_IDX(chosen)) == GCH_CLOSED)
      return gchL_raise(L, S, GCH_CLOSED);
    return dispatch(L, chosen, 0);
  }
  if (lua_toboolean(L, DEFAULT_IDX)) return dispatch(L, 0, 0);
  g = gchL_current(L, S);  /* pass 3: park on every channel */
  if (live == 0) {
    g->nselect = 0;
    return gchL_park(L, S, g, "select (no cases)", select_k);
  }
  selectwaiters(L, g, n);
  g->selectdone = 0;
  g->nselect = n;
  for (i = 1; i <= n; i++) {
    gch_ChanBox *b = (gch_ChanBox *)lua_touserdata(L, BOX_IDX(i));
    gch_Waiter *w = &g->ws[i - 1];
    if (b == NULL) continue;
    w->g = g;
    w->L = L;
    w->slot = VALUE_IDX(i);
    w->caseidx = i;
    w->isselect = 1;
    gch_chan_enqueue(b->c, w, casekind(L, i) == CASE_SEND);
  }
  return gchL_park(L, S, g, "select", select_k);
}

static const luaL_Reg select_funcs[] = {
  {"select", select_select},
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
}
