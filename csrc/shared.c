/*
** shared.c: objects that more than one Lua state holds. Each state has one
** box per object (and per channel direction), found through a weak-valued
** proxy cache keyed by the object's address (Lanes' "deep userdata"), so
** the same object arriving twice is the same userdata: identity, == and
** table keys work. Every box holds one reference; the last release, in
** whichever state, destroys the object.
**
** Invariants: 'shared' and 'mu' are set once, in the owning state, before
** the object is first copied out (gchL_share); from then on its count is
** atomic and its state changes happen under 'mu'.
*/
#define _GNU_SOURCE  /* PTHREAD_MUTEX_ADAPTIVE_NP */
#include <stdlib.h>

#include "gochan.h"
#include "waitq.h"

static const char cachekey = 0;

/* pushcache: push this state's proxy cache, creating it. [-0, +1, m] */
static void pushcache (lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &cachekey) == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_newtable(L);
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "v");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &cachekey);
}

/* the cache key of (r, dir): dir < 4 and objects are larger than that */
static void *cachekeyof (gch_Ref *r, int dir) {
  return (char *)r + dir;
}

/* auxshare: (protected) kind->share of object 1 (light), box at 2 */
static int auxshare (lua_State *L) {
  gch_Ref *r = (gch_Ref *)lua_touserdata(L, 1);
  r->kind->share(L, r, 2);
  return 0;
}

/*
** gchL_share: make the object of the box at 'box' shared (once), and
** remember the box as this state's proxy for it. A call made while the
** object's own share runs (encoding a buffered value that holds the
** object: a:send(a), or a:send(b) and b:send(a)) only caches the box: the
** outer call finishes the switch. [-0, +0, e]
*/
void gchL_share (lua_State *L, gch_Ref *r, int box) {
  gch_Box *b = (gch_Box *)lua_touserdata(L, box);
  box = lua_absindex(L, box);
  if (!r->shared && !r->sharing) {
    if (r->kind->share != NULL) {  /* may raise, having changed nothing */
      int st;
      lua_pushcfunction(L, auxshare);  /* a light function: no allocation */
      lua_pushlightuserdata(L, r);
      lua_pushvalue(L, box);
      r->sharing = 1;
      st = lua_pcall(L, 2, 0, 0);
      r->sharing = 0;
      if (st != LUA_OK) lua_error(L);
    }
    gch_mutex_init(&r->lock);
    r->mu = &r->lock;
    r->shared = 1;  /* from now on: atomic count, locked state */
    __atomic_add_fetch(&gch_nshared, 1, __ATOMIC_RELAXED);
    if (r->kind->shared != NULL) r->kind->shared(L, r);
  }
  pushcache(L);
  lua_pushvalue(L, box);
  lua_rawsetp(L, -2, cachekeyof(r, b->dir));
  lua_pop(L, 1);
}

/*
** gchL_pushproxy: push this state's box for 'r' seen through direction
** 'dir', making one (with its own reference) if there is none. [-0, +1, m]
*/
void gchL_pushproxy (lua_State *L, gch_Ref *r, int dir) {
  pushcache(L);
  if (lua_rawgetp(L, -1, cachekeyof(r, dir)) == LUA_TUSERDATA) {
    lua_remove(L, -2);
    return;
  }
  lua_pop(L, 1);
  r->kind->pushbox(L, r, dir);  /* takes a reference */
  lua_pushvalue(L, -1);
  lua_rawsetp(L, -3, cachekeyof(r, dir));
  lua_remove(L, -2);  /* cache */
}

/*
** gch_mutex_init: the locks of gochan guard a few instructions each, so a
** contended one is better spun on briefly than slept on (glibc's adaptive
** mutex), where available.
*/
void gch_mutex_init (pthread_mutex_t *mu) {
#if defined(PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP)
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
  pthread_mutex_init(mu, &a);
  pthread_mutexattr_destroy(&a);
#else
  pthread_mutex_init(mu, NULL);
#endif
}

/* gch_ref_freelock: release the lock of an object being destroyed */
void gch_ref_freelock (gch_Ref *r) {
  if (r->mu != NULL) {
    pthread_mutex_destroy(r->mu);
    r->mu = NULL;
    __atomic_sub_fetch(&gch_nshared, 1, __ATOMIC_RELAXED);
  }
}

/*
** gchL_testanybox: the box at 'arg' if it holds an object that can cross
** into another state (a channel or a sync object), else NULL.
*/
gch_Box *gchL_testanybox (lua_State *L, int arg) {
  gch_Box *b = (gch_Box *)lua_touserdata(L, arg);
  if (b == NULL || lua_rawlen(L, arg) != sizeof(*b)) return NULL;
  if (b->tag != &gch_chantag && !gch_sync_istag(b->tag)) return NULL;
  return b;
}
