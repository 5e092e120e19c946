/*
** core.c: luaopen_gochan_core, the only exported symbol. It creates the
** state's scheduler and the metatables, then lets each file add its
** functions (as luasocket.c does), all sharing the same upvalues.
*/
#include "gochan.h"

#define GCH_VERSION "gochan 0.1.0"

void gchL_setfuncs (lua_State *L, int t, const luaL_Reg *l) {
  lua_pushvalue(L, t);
  lua_pushvalue(L, GCH_IDX_SCHED);
  lua_pushvalue(L, GCH_IDX_CHANMT);
  lua_pushvalue(L, GCH_IDX_CASEMT);
  luaL_setfuncs(L, l, GCH_NUPVALUES);
  lua_pop(L, 1);  /* copy of the table */
}

GCH_API int luaopen_gochan_core (lua_State *L);

GCH_API int luaopen_gochan_core (lua_State *L) {
  luaL_checkversion(L);
  lua_settop(L, 0);
  gchL_sched_new(L);                 /* GCH_IDX_SCHED */
  luaL_newmetatable(L, GCH_CHAN_T);  /* GCH_IDX_CHANMT */
  luaL_newmetatable(L, GCH_CASE_T);  /* GCH_IDX_CASEMT */
  lua_createtable(L, 0, 16);         /* GCH_IDX_MODULE */
  gchL_sched_open(L);
  gchL_chan_open(L);
  gchL_select_open(L);
  lua_pushliteral(L, GCH_VERSION);
  lua_setfield(L, GCH_IDX_MODULE, "_VERSION");
  return 1;
}
