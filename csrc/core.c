/*
** core.c: luaopen_gochan_core, the only exported symbol. It creates the
** state's scheduler and the metatables, then lets each file add its
** functions (as luasocket.c does), all sharing the same upvalues.
*/
#define _GNU_SOURCE  /* dladdr, RTLD_NODELETE */
#include <dlfcn.h>
#include <pthread.h>

#include "gochan.h"

#define GCH_VERSION "gochan 0.1.0"

void gchL_setfuncs (lua_State *L, int t, const luaL_Reg *l) {
  lua_pushvalue(L, t);
  gchL_pushupvalues(L);
  luaL_setfuncs(L, l, GCH_NUPVALUES);
  lua_pop(L, 1);  /* copy of the table */
}

void gchL_pushupvalues (lua_State *L) {
  lua_pushvalue(L, GCH_IDX_SCHED);
  lua_pushvalue(L, GCH_IDX_CHANMT);
  lua_pushvalue(L, GCH_IDX_CASEMT);
}

/*
** gchL_newclass: the metatable 'tname' with __index = a table of 'methods'
** and the metamethods 'meta', all with the core's shared upvalues (only
** while opening). [-0, +0, m]
*/
void gchL_newclass (lua_State *L, const char *tname, const luaL_Reg *methods,
                    const luaL_Reg *meta) {
  luaL_newmetatable(L, tname);
  lua_newtable(L);
  gchL_setfuncs(L, -1, methods);
  lua_setfield(L, -2, "__index");
  gchL_setfuncs(L, -1, meta);
  lua_pop(L, 1);
}

/*
** gchL_newbox: push an empty box of kind 'tag' with 'nuv' user values and
** the metatable at 'mt'. The caller sets b->p: until then __gc sees NULL.
** [-0, +1, m]
*/
gch_Box *gchL_newbox (lua_State *L, const void *tag, int nuv, int mt) {
  gch_Box *b;
  gch_Sched *S = gchL_schedof(L);  /* from the registry: decoding runs anywhere */
  mt = lua_absindex(L, mt);
  if (S == NULL || S->closing)  /* a finalizer run by lua_close: never freed */
    luaL_error(L, "attempt to create a gochan object while the Lua state is closing");
  b = (gch_Box *)lua_newuserdatauv(L, sizeof(*b), nuv);
  b->tag = NULL;
  b->p = NULL;
  b->S = S;
  b->dir = 0;
  lua_pushvalue(L, mt);
  lua_setmetatable(L, -2);
  b->tag = tag;
  return b;
}

/*
** pinself: keep this library loaded for the life of the process. A Lua
** state unloads its C libraries when it closes, but go.threads (and the
** timer thread) may still be running this code then: a process whose main
** chunk ends while threads run must exit cleanly, not jump into unmapped
** memory.
*/
static pthread_once_t pinned = PTHREAD_ONCE_INIT;

static void pinself (void) {
  Dl_info info;
  if (dladdr((void *)&pinself, &info) && info.dli_fname != NULL)
    (void)dlopen(info.dli_fname, RTLD_NOW | RTLD_NODELETE | RTLD_NOLOAD);
}

GCH_API int luaopen_gochan_core (lua_State *L);

GCH_API int luaopen_gochan_core (lua_State *L) {
  luaL_checkversion(L);
  pthread_once(&pinned, pinself);
  lua_settop(L, 0);
  gchL_sched_new(L);                 /* GCH_IDX_SCHED */
  luaL_newmetatable(L, GCH_CHAN_T);  /* GCH_IDX_CHANMT */
  luaL_newmetatable(L, GCH_CASE_T);  /* GCH_IDX_CASEMT */
  lua_createtable(L, 0, 16);         /* GCH_IDX_MODULE */
  gchL_sched_open(L);
  gchL_chan_open(L);
  gchL_select_open(L);
  gchL_timer_open(L);
  gchL_sync_open(L);
  gchL_copy_open(L);
  gchL_thread_open(L);
  gchL_debug_open(L);
  gchL_chanshared_open(L);
  lua_pushliteral(L, GCH_VERSION);
  lua_setfield(L, GCH_IDX_MODULE, "_VERSION");
  return 1;
}
