/*
** bench/cmod/floor_ccall.c: the Lua module of B2's second floor
** (lib.floors.ccall): the least a channel written in C pays per value in
** Lua 5.4, whatever its design. B2's work (1..N through a ring of 128, in
** batches of 128, summed) goes through a userdata whose send is a C method
** (q:send(v): the method lookup, a C call, one store in a Lua ring table)
** and whose iterator is a C function (for v in it: a C call, one load).
** No argument checks, no scheduler, no switch, no waiter queue: each of
** those only adds to what a real channel costs. A module, not a program,
** so that it runs in the same interpreter as gochan.
*/
#include "lua.h"
#include "lauxlib.h"

#define CAP 128

typedef struct Queue {
  lua_Integer head, tail, count;
} Queue;

/* q:send(v): store v in the ring table (user value 1) */
static int q_send (lua_State *L) {
  Queue *q = (Queue *)lua_touserdata(L, 1);
  lua_getiuservalue(L, 1, 1);
  lua_pushvalue(L, 2);
  lua_rawseti(L, -2, q->tail + 1);
  if (++q->tail == CAP) q->tail = 0;
  q->count++;
  return 0;
}

/* the iterator of q:range(): the oldest value, or nothing when empty */
static int q_next (lua_State *L) {
  Queue *q = (Queue *)lua_touserdata(L, lua_upvalueindex(1));
  if (q->count == 0) return 0;
  lua_rawgeti(L, lua_upvalueindex(2), q->head + 1);
  if (++q->head == CAP) q->head = 0;
  q->count--;
  return 1;
}

/* q:range() -> iterator (with the queue and its ring as upvalues) */
static int q_range (lua_State *L) {
  lua_settop(L, 1);
  lua_getiuservalue(L, 1, 1);
  lua_pushcclosure(L, q_next, 2);
  return 1;
}

/* newq() -> an empty queue of CAP slots */
static int q_new (lua_State *L) {
  Queue *q = (Queue *)lua_newuserdatauv(L, sizeof(*q), 1);
  q->head = q->tail = q->count = 0;
  lua_createtable(L, CAP, 0);
  lua_setiuservalue(L, -2, 1);
  luaL_setmetatable(L, "floor_ccall.queue");
  return 1;
}

int luaopen_floor_ccall (lua_State *L);

/* require "floor_ccall" -> newq */
int luaopen_floor_ccall (lua_State *L) {
  luaL_newmetatable(L, "floor_ccall.queue");
  lua_newtable(L);
  lua_pushcfunction(L, q_send);
  lua_setfield(L, -2, "send");
  lua_pushcfunction(L, q_range);
  lua_setfield(L, -2, "range");
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_pushcfunction(L, q_new);
  return 1;
}
