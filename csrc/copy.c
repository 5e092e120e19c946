/*
** copy.c: values crossing from one Lua state to another (the only place
** that marshals). A message (gch_Msg) is a flat byte buffer, written by
** the sender in its own thread and read by the receiver in its own; it
** never points into a lua_State. Shared objects inside a message hold
** one reference each, listed in 'objs' so freeing needs no parsing.
**
** Encoding walks the value depth-first. Tables and Lua functions get ids
** on first sight, so shared sub-tables and cycles come out the same shape.
** Library values (string, table.insert, the gochan module ...) travel by
** name ("module\0field") and are looked up in the target state. A function travels as its
** bytecode (lua_dump) plus its upvalues; an _ENV upvalue holding the
** globals becomes the target's globals.
**
** Invariants: an encoding that raises leaves nothing behind (the message
** is owned by a guard userdata until it is complete). Decoding trusts the
** buffer: only this file writes it.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lualib.h"

#include "gochan.h"
#include "waitq.h"

#define MAXDEPTH 200   /* deeper values are refused: no C stack overflow */

#define INLINE_BUF 48     /* small messages need one allocation only */

struct gch_Msg {
  char *buf;               /* encoded values: 'inl' or malloc'd */
  size_t len, cap;
  int nvalues;             /* top-level values */
  int nobjs, capobjs;
  gch_Ref **objs;          /* shared objects referenced (a ref each) */
  char inl[INLINE_BUF];
};

static gch_Msg *msg_new (void) {
  gch_Msg *m = (gch_Msg *)malloc(sizeof(*m));
  if (m == NULL) return NULL;
  m->buf = m->inl;
  m->len = 0;
  m->cap = INLINE_BUF;
  m->nvalues = m->nobjs = m->capobjs = 0;
  m->objs = NULL;
  return m;
}

enum {
  T_NIL, T_FALSE, T_TRUE, T_INT, T_FLOAT, T_STR, T_TABLE, T_END, T_REF,
  T_FUNC, T_ENV, T_LIB, T_OBJ
};

/*
** Immediate messages: nil, a boolean, or an integer of at most 62 bits
** (30 where pointers have 32) is carried in the gch_Msg pointer itself (a malloc'd message is 16-byte
** aligned, so its low bits are 0), not allocated: the common values of a
** stream between threads cost no malloc/free pair (that pair crosses
** threads, the expensive kind). Only this file looks inside a message.
*/
#define IMM_INT    1u                      /* low bits 01: integer << 2 */
#define IMM_OTHER  2u                      /* low bits 10: T_* << 2 */
#define IMM_MASK   3u
#define IMM_BITS   (sizeof(uintptr_t) * 8 - 3)  /* pointer less tag and sign */

static int isimm (const gch_Msg *m) {
  return ((uintptr_t)m & IMM_MASK) != 0;
}

/* immfits: does integer 'v' fit an immediate? */
static int immfits (lua_Integer v) {
  lua_Integer lim;
  if (sizeof(lua_Integer) * 8 - 1 <= IMM_BITS) return 1;  /* every one fits */
  lim = (lua_Integer)1 << (IMM_BITS % (sizeof(lua_Integer) * 8));
  return v >= -lim && v < lim;
}

static gch_Msg *immint (lua_Integer v) {
  return (gch_Msg *)(((uintptr_t)v << 2) | IMM_INT);
}

static gch_Msg *immother (int t) {
  return (gch_Msg *)(((uintptr_t)t << 2) | IMM_OTHER);
}

/* pushimm: push the value of the immediate 'm' */
static void pushimm (lua_State *L, const gch_Msg *m) {
  uintptr_t u = (uintptr_t)m;
  if ((u & IMM_MASK) == IMM_INT)
    lua_pushinteger(L, (lua_Integer)((intptr_t)u >> 2));  /* arithmetic shift */
  else if ((u >> 2) == T_NIL) lua_pushnil(L);
  else lua_pushboolean(L, (u >> 2) == T_TRUE);
}

/*
** gch_msg_free: free 'm', dropping its references. A channel that no
** state holds any more may be kept only by buffers now (cycles through
** them): its last box's finalizer looked while this message still held
** it, so look again (as chan_gc, while our reference keeps it). Never
** called with a channel's lock held for a message that holds objects.
*/
void gch_msg_free (gch_Msg *m) {
  int i;
  if (m == NULL || isimm(m)) return;
  for (i = 0; i < m->nobjs; i++) {
    if (gch_chan_orphan(m->objs[i])) gch_chan_collect((gch_Chan *)m->objs[i]);
    gch_ref_release(m->objs[i]);
  }
  free(m->objs);
  if (m->buf != m->inl) free(m->buf);
  free(m);
}


/*
** {======================================================
** Encoding
** =======================================================
*/

typedef struct Enc {
  lua_State *L;
  gch_Msg *m;
  int seen;               /* stack index: table value -> id */
  int names;              /* stack index: library value -> name (or 0) */
  int nextid;
} Enc;

/* the guard owning a message while it is being written */
static int guard_gc (lua_State *L) {
  gch_Msg **pm = (gch_Msg **)lua_touserdata(L, 1);
  gch_msg_free(*pm);
  *pm = NULL;
  return 0;
}

static void put (Enc *x, const void *p, size_t n) {
  gch_Msg *m = x->m;
  if (m->cap - m->len < n) {
    size_t cap = m->cap * 2;
    char *b;
    while (cap - m->len < n) cap *= 2;
    b = (char *)(m->buf == m->inl ? malloc(cap) : realloc(m->buf, cap));
    if (b == NULL) luaL_error(x->L, "not enough memory");
    if (m->buf == m->inl) memcpy(b, m->inl, m->len);
    m->buf = b;
    m->cap = cap;
  }
  memcpy(m->buf + m->len, p, n);
  m->len += n;
}

static void puttag (Enc *x, int t) {
  unsigned char c = (unsigned char)t;
  put(x, &c, 1);
}

static void putint (Enc *x, lua_Integer i) {
  put(x, &i, sizeof(i));
}

static void putstr (Enc *x, const char *s, size_t n) {
  put(x, &n, sizeof(n));
  put(x, s, n);
}

static int writer (lua_State *L, const void *p, size_t n, void *ud) {
  (void)L;
  put((Enc *)ud, p, n);
  return 0;
}

/*
** libnames: a table mapping the values of every loaded library (module
** tables and their functions) to "module" / "module.field", built once per
** state. Pushes it. [-0, +1, m]
*/
static const char libnameskey = 0;

/*
** loadedsig: a signature of package.loaded (the addresses of its values):
** the map is rebuilt when a module was loaded, replaced or dropped (busted
** reloads modules between spec files, for one).
*/
static lua_Integer loadedsig (lua_State *L) {
  uintptr_t sig = 0;
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    sig = sig * 31 + (uintptr_t)lua_topointer(L, -1);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return (lua_Integer)sig;
}

/*
** islibrary: values of these modules cross by name (API.md: the standard
** libraries and gochan); a user's own module is data, copied like any.
** 2 for gochan's own modules, 1 for a standard library, 0 otherwise.
*/
static int islibrary (const char *mod) {
  static const char *const libs[] = {
    "_G", "string", "table", "math", "io", "os", "coroutine", "utf8",
    "debug", "package", NULL
  };
  int i;
  if (strcmp(mod, "gochan") == 0 || strcmp(mod, "gochan.core") == 0) return 2;
  for (i = 0; libs[i] != NULL; i++)
    if (strcmp(mod, libs[i]) == 0) return 1;
  return 0;
}

/*
** The fields of the standard libraries as luaL_openlibs makes them
** ("module\0field", sorted), from a fresh state, once per process: what a
** user adds to a library (a global function in _G, a string.trim) is the
** user's own value, which the target does not have by that name, so it
** crosses as data (a Lua function by bytecode), never by name.
*/
typedef struct StdField {
  char *mod, *field;        /* malloc'd */
} StdField;

typedef struct StdKey {
  const char *mod, *field;
} StdKey;

static pthread_once_t stdonce = PTHREAD_ONCE_INIT;
static StdField *stdfields;     /* NULL if it could not be built */
static size_t nstdfields;

static int cmpnames (const char *mod1, const char *field1,
                     const char *mod2, const char *field2) {
  int c = strcmp(mod1, mod2);
  return c != 0 ? c : strcmp(field1, field2);
}

static int cmpfield (const void *a, const void *b) {
  const StdField *x = (const StdField *)a, *y = (const StdField *)b;
  return cmpnames(x->mod, x->field, y->mod, y->field);
}

static int cmpkey (const void *k, const void *e) {
  const StdKey *x = (const StdKey *)k;
  const StdField *y = (const StdField *)e;
  return cmpnames(x->mod, x->field, y->mod, y->field);
}

/* keepstr: a malloc'd copy of s, or NULL */
static char *keepstr (const char *s) {
  size_t n = strlen(s) + 1;
  char *p = (char *)malloc(n);
  if (p != NULL) memcpy(p, s, n);
  return p;
}

static void buildstdfields (void) {
  lua_State *L = luaL_newstate();
  size_t n = 0, cap = 0;
  StdField *a = NULL;
  if (L == NULL) return;
  luaL_openlibs(L);
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushnil(L);
  while (lua_next(L, -2)) {  /* loaded, modname, module */
    if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TTABLE &&
        islibrary(lua_tostring(L, -2)) == 1) {
      lua_pushnil(L);
      while (lua_next(L, -2)) {  /* ..., module, field, value */
        if (lua_type(L, -2) == LUA_TSTRING) {
          if (n == cap) {
            StdField *b = (StdField *)realloc(a, (cap = cap ? 2 * cap : 256) * sizeof(*a));
            if (b == NULL) goto fail;
            a = b;
          }
          a[n].mod = keepstr(lua_tostring(L, -4));
          a[n].field = keepstr(lua_tostring(L, -2));
          n++;
          if (a[n - 1].mod == NULL || a[n - 1].field == NULL) goto fail;
        }
        lua_pop(L, 1);
      }
    }
    lua_pop(L, 1);
  }
  lua_close(L);
  if (n > 0) qsort(a, n, sizeof(*a), cmpfield);
  stdfields = a;
  nstdfields = n;
  return;
 fail:  /* no memory: no standard value crosses by name */
  while (n-- > 0) {
    free(a[n].mod);
    free(a[n].field);
  }
  free(a);
  lua_close(L);
}

/*
** byname: may the value on top, field 'field' of library 'mod' (kind
** 'lib' of islibrary), cross by name? A C function or a table that the
** library had when it was opened; for gochan's modules, any of their C
** functions and tables.
*/
static int byname (lua_State *L, int lib, const char *mod, const char *field) {
  StdKey key;
  int t = lua_type(L, -1);
  if (!(t == LUA_TTABLE || lua_iscfunction(L, -1))) return 0;
  if (t == LUA_TTABLE && strcmp(mod, "_G") == 0) return 0;  /* the modules name them */
  if (lib == 2) return 1;
  pthread_once(&stdonce, buildstdfields);
  if (stdfields == NULL) return 0;
  key.mod = mod;
  key.field = field;
  return bsearch(&key, stdfields, nstdfields, sizeof(*stdfields), cmpkey) != NULL;
}

static void libnames (lua_State *L) {
  lua_Integer sig = loadedsig(L);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &libnameskey) == LUA_TTABLE) {
    if (lua_rawgeti(L, -1, 0) == LUA_TNUMBER && lua_tointeger(L, -1) == sig) {
      lua_pop(L, 1);
      return;
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushinteger(L, sig);
  lua_rawseti(L, -2, 0);  /* the signature it was built for */
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushnil(L);
  while (lua_next(L, -2)) {  /* names, loaded, modname, module */
    int lib;
    if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TTABLE &&
        (lib = islibrary(lua_tostring(L, -2))) != 0) {
      const char *mod = lua_tostring(L, -2);
      lua_pushvalue(L, -1);
      lua_pushvalue(L, -3);
      lua_rawset(L, -6);  /* names[module] = modname */
      lua_pushnil(L);
      while (lua_next(L, -2)) {  /* ..., module, field, value */
        if (lua_type(L, -2) == LUA_TSTRING && byname(L, lib, mod, lua_tostring(L, -2))) {
          lua_pushvalue(L, -1);
          if (lua_rawget(L, -7) == LUA_TNIL) {  /* first name wins */
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_pushstring(L, mod);  /* "module\0field": names may hold dots */
            lua_pushlstring(L, "", 1);
            lua_pushvalue(L, -5);
            lua_concat(L, 3);
            lua_rawset(L, -8);
          }
          else lua_pop(L, 1);
        }
        lua_pop(L, 1);  /* value */
      }
    }
    lua_pop(L, 1);  /* module */
  }
  lua_pop(L, 1);  /* loaded */
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &libnameskey);
}

/* trylib: encode the value at 'i' by name if it is a library value */
static int trylib (Enc *x, int i) {
  lua_State *L = x->L;
  size_t n;
  const char *name;
  if (x->names == 0) {
    libnames(L);
    x->names = lua_gettop(L);
  }
  lua_pushvalue(L, i);
  if (lua_rawget(L, x->names) != LUA_TSTRING) {
    lua_pop(L, 1);
    return 0;
  }
  name = lua_tolstring(L, -1, &n);
  puttag(x, T_LIB);
  putstr(x, name, n);
  lua_pop(L, 1);
  return 1;
}

/* trysee: a table/function seen before in this message is a reference */
static int trysee (Enc *x, int i) {
  lua_State *L = x->L;
  lua_pushvalue(L, i);
  if (lua_rawget(L, x->seen) == LUA_TNUMBER) {
    puttag(x, T_REF);
    putint(x, lua_tointeger(L, -1));
    lua_pop(L, 1);
    return 1;
  }
  lua_pop(L, 1);
  lua_pushvalue(L, i);
  lua_pushinteger(L, ++x->nextid);
  lua_rawset(L, x->seen);
  return 0;
}

static void enc (Enc *x, int i, int depth);

static void enctable (Enc *x, int i, int depth) {
  lua_State *L = x->L;
  puttag(x, T_TABLE);
  lua_pushnil(L);
  while (lua_next(L, i)) {
    enc(x, lua_gettop(L) - 1, depth + 1);  /* key */
    enc(x, lua_gettop(L), depth + 1);      /* value */
    lua_pop(L, 1);
  }
  puttag(x, T_END);
}

static void encfunction (Enc *x, int i, int depth) {
  lua_State *L = x->L;
  size_t at;
  int k, nups;
  lua_Debug ar;
  lua_pushvalue(L, i);
  lua_getinfo(L, ">u", &ar);
  nups = ar.nups;
  puttag(x, T_FUNC);
  at = x->m->len;
  putint(x, 0);  /* size of the dump, patched below */
  lua_pushvalue(L, i);
  lua_dump(L, writer, x, 0);
  lua_pop(L, 1);
  {
    lua_Integer n = (lua_Integer)(x->m->len - at - sizeof(lua_Integer));
    memcpy(x->m->buf + at, &n, sizeof(n));
  }
  putint(x, nups);
  for (k = 1; k <= nups; k++) {
    const char *name = lua_getupvalue(L, i, k);
    if (name != NULL && strcmp(name, "_ENV") == 0)
      puttag(x, T_ENV);  /* API.md: _ENV becomes the target's globals */
    else
      enc(x, lua_gettop(L), depth + 1);
    lua_pop(L, 1);
  }
}

static void encobject (Enc *x, gch_Box *b) {
  gch_Ref *r = (gch_Ref *)b->p;
  gch_Msg *m = x->m;
  void *p = r;
  int dir = b->dir;
  gchL_share(x->L, r, lua_gettop(x->L));  /* once; also caches the proxy */
  if (m->nobjs == m->capobjs) {
    int n = m->capobjs ? 2 * m->capobjs : 4;
    gch_Ref **o = (gch_Ref **)realloc(m->objs, (size_t)n * sizeof(*o));
    if (o == NULL) luaL_error(x->L, "not enough memory");
    m->objs = o;
    m->capobjs = n;
  }
  gch_ref_incr(r);
  m->objs[m->nobjs++] = r;
  puttag(x, T_OBJ);
  put(x, &p, sizeof(p));
  putint(x, dir);
}

static int cannotcopy (lua_State *L, int i) {
  return luaL_error(L, "cannot copy %s to another thread", luaL_typename(L, i));
}

static void enc (Enc *x, int i, int depth) {
  lua_State *L = x->L;
  if (depth > MAXDEPTH)
    luaL_error(L, "cannot copy a value nested more than %d levels deep", MAXDEPTH);
  luaL_checkstack(L, 8, "value too complex to copy");
  switch (lua_type(L, i)) {
    case LUA_TNIL: puttag(x, T_NIL); break;
    case LUA_TBOOLEAN: puttag(x, lua_toboolean(L, i) ? T_TRUE : T_FALSE); break;
    case LUA_TNUMBER:
      if (lua_isinteger(L, i)) {
        puttag(x, T_INT);
        putint(x, lua_tointeger(L, i));
      }
      else {
        lua_Number n = lua_tonumber(L, i);
        puttag(x, T_FLOAT);
        put(x, &n, sizeof(n));
      }
      break;
    case LUA_TSTRING: {
      size_t n;
      const char *s = lua_tolstring(L, i, &n);
      puttag(x, T_STR);
      putstr(x, s, n);
      break;
    }
    case LUA_TTABLE:
      if (trylib(x, i) || trysee(x, i)) break;
      enctable(x, i, depth);
      break;
    case LUA_TFUNCTION:
      if (trylib(x, i)) break;
      if (lua_iscfunction(L, i)) cannotcopy(L, i);
      if (trysee(x, i)) break;
      encfunction(x, i, depth);
      break;
    case LUA_TUSERDATA: {
      gch_Box *b = gchL_testanybox(L, i);
      if (b == NULL || b->p == NULL) cannotcopy(L, i);
      lua_pushvalue(L, i);  /* the box, on top for 'share' */
      encobject(x, b);
      lua_pop(L, 1);
      break;
    }
    default:
      cannotcopy(L, i);
  }
}

/*
** gchL_encode: copy the 'n' values from stack index 'i' into a new
** message. Raises "cannot copy ..." (nothing is left behind). [-0, +0, e]
*/
/*
** encscalar: the fast path for one nil, boolean, number or short string:
** no guard, no table of seen values, one allocation. NULL if not one.
*/
static gch_Msg *encscalar (lua_State *L, int i) {
  gch_Msg *m;
  size_t n = 0;
  const char *s = NULL;
  int t = lua_type(L, i);
  if (t == LUA_TSTRING) {
    s = lua_tolstring(L, i, &n);
    if (n > INLINE_BUF - 1 - sizeof(size_t)) return NULL;
  }
  else if (t != LUA_TNIL && t != LUA_TBOOLEAN && t != LUA_TNUMBER) return NULL;
  if (t == LUA_TNIL) return immother(T_NIL);
  if (t == LUA_TBOOLEAN) return immother(lua_toboolean(L, i) ? T_TRUE : T_FALSE);
  if (lua_isinteger(L, i)) {
    lua_Integer v = lua_tointeger(L, i);
    if (immfits(v)) return immint(v);
  }
  if ((m = msg_new()) == NULL) luaL_error(L, "not enough memory");
  m->nvalues = 1;
  switch (t) {
    case LUA_TNIL: m->buf[0] = T_NIL; m->len = 1; break;
    case LUA_TBOOLEAN: m->buf[0] = lua_toboolean(L, i) ? T_TRUE : T_FALSE; m->len = 1; break;
    case LUA_TNUMBER:
      if (lua_isinteger(L, i)) {
        lua_Integer v = lua_tointeger(L, i);
        m->buf[0] = T_INT;
        memcpy(m->buf + 1, &v, sizeof(v));
      }
      else {
        lua_Number v = lua_tonumber(L, i);
        m->buf[0] = T_FLOAT;
        memcpy(m->buf + 1, &v, sizeof(v));
      }
      m->len = 1 + 8;
      break;
    default:
      m->buf[0] = T_STR;
      memcpy(m->buf + 1, &n, sizeof(n));
      memcpy(m->buf + 1 + sizeof(n), s, n);
      m->len = 1 + sizeof(n) + n;
      break;
  }
  return m;
}

gch_Msg *gchL_encode (lua_State *L, int i, int n) {
  Enc x;
  gch_Msg **pm;
  int k, top = lua_gettop(L);
  i = lua_absindex(L, i);
  if (n == 1 && (x.m = encscalar(L, i)) != NULL) return x.m;
  pm = (gch_Msg **)lua_newuserdatauv(L, sizeof(*pm), 0);
  *pm = NULL;
  luaL_setmetatable(L, "gochan.msgguard");  /* its __gc frees *pm */
  *pm = msg_new();
  if (*pm == NULL) luaL_error(L, "not enough memory");
  lua_newtable(L);
  x.L = L;
  x.m = *pm;
  x.seen = lua_gettop(L);
  x.names = 0;
  x.nextid = 0;
  for (k = 0; k < n; k++) enc(&x, i + k, 0);
  x.m->nvalues = n;
  *pm = NULL;  /* complete: the caller owns it */
  lua_settop(L, top);
  return x.m;
}


/*
** {======================================================
** Decoding
** =======================================================
*/

typedef struct Dec {
  lua_State *L;
  const char *p;
  int refs;                /* stack index: id -> table/function */
  int nextid;
} Dec;

static void get (Dec *d, void *out, size_t n) {
  memcpy(out, d->p, n);
  d->p += n;
}

static lua_Integer getint (Dec *d) {
  lua_Integer i;
  get(d, &i, sizeof(i));
  return i;
}

static void dec (Dec *d);
int gch_msg_isscalar (const gch_Msg *m);

static void declib (Dec *d) {
  lua_State *L = d->L;
  size_t n;
  const char *name, *dot;
  get(d, &n, sizeof(n));
  name = d->p;
  d->p += n;
  dot = (const char *)memchr(name, '\0', n);  /* module \0 field */
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushlstring(L, name, dot ? (size_t)(dot - name) : n);
  if (lua_rawget(L, -2) == LUA_TNIL) {  /* not loaded here: as the sender did */
    lua_pop(L, 1);
    lua_getglobal(L, "require");
    lua_pushlstring(L, name, dot ? (size_t)(dot - name) : n);
    lua_call(L, 1, 1);
  }
  if (dot != NULL) {
    lua_pushlstring(L, dot + 1, n - (size_t)(dot - name) - 1);
    if (lua_gettable(L, -2) == LUA_TNIL)  /* a state without that library */
      luaL_error(L, "%s.%s is not in the receiving Lua state", name, dot + 1);
    lua_remove(L, -2);  /* module */
  }
  lua_remove(L, -2);  /* loaded */
}

static void decfunction (Dec *d) {
  lua_State *L = d->L;
  lua_Integer n = getint(d), nups, k;
  if (luaL_loadbufferx(L, d->p, (size_t)n, "=(copied function)", "b") != LUA_OK)
    lua_error(L);
  d->p += n;
  lua_pushvalue(L, -1);
  lua_rawseti(L, d->refs, ++d->nextid);
  nups = getint(d);
  for (k = 1; k <= nups; k++) {
    if (*d->p == T_ENV) {
      d->p++;
      lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    }
    else dec(d);
    if (lua_setupvalue(L, -2, (int)k) == NULL) lua_pop(L, 1);
  }
}

static void dec (Dec *d) {
  lua_State *L = d->L;
  unsigned char t = (unsigned char)*d->p++;
  luaL_checkstack(L, 8, "value too complex to copy");
  switch (t) {
    case T_NIL: lua_pushnil(L); break;
    case T_FALSE: lua_pushboolean(L, 0); break;
    case T_TRUE: lua_pushboolean(L, 1); break;
    case T_INT: lua_pushinteger(L, getint(d)); break;
    case T_FLOAT: {
      lua_Number n;
      get(d, &n, sizeof(n));
      lua_pushnumber(L, n);
      break;
    }
    case T_STR: {
      size_t n;
      get(d, &n, sizeof(n));
      lua_pushlstring(L, d->p, n);
      d->p += n;
      break;
    }
    case T_TABLE:
      lua_newtable(L);
      lua_pushvalue(L, -1);
      lua_rawseti(L, d->refs, ++d->nextid);
      while (*d->p != T_END) {
        dec(d);  /* key */
        dec(d);  /* value */
        lua_rawset(L, -3);
      }
      d->p++;
      break;
    case T_REF:
      lua_rawgeti(L, d->refs, getint(d));
      break;
    case T_FUNC:
      decfunction(d);
      break;
    case T_LIB:
      declib(d);
      break;
    case T_OBJ: {
      gch_Ref *r;
      get(d, &r, sizeof(r));
      gchL_pushproxy(L, r, (int)getint(d));
      break;
    }
    default:
      luaL_error(L, "corrupt message");
  }
}

/*
** gchL_decode: push the values of 'm' (which stays owned by the caller).
** Returns how many. [-0, +n, m]
*/
int gchL_decode (lua_State *L, const gch_Msg *m) {
  Dec d;
  int k, base;
  if (isimm(m)) {
    luaL_checkstack(L, 3, "too many values to copy");
    pushimm(L, m);
    return 1;
  }
  luaL_checkstack(L, m->nvalues + 2, "too many values to copy");
  d.L = L;
  d.p = m->buf;
  d.nextid = 0;
  if (gch_msg_isscalar(m)) {  /* no table of references needed */
    d.refs = 0;
    dec(&d);
    return 1;
  }
  lua_newtable(L);
  base = lua_gettop(L);
  d.refs = base;
  for (k = 0; k < m->nvalues; k++) dec(&d);
  lua_remove(L, base);
  return m->nvalues;
}

/* gch_msg_isscalar: one value that decodes without allocating anything
** but a string (nil, boolean, number, string) */
int gch_msg_isscalar (const gch_Msg *m) {
  unsigned char t;
  if (isimm(m)) return 1;
  if (m->nvalues != 1) return 0;
  t = (unsigned char)m->buf[0];
  return t <= T_FLOAT || t == T_STR;
}

/* gchL_copy_open: the metatable of the guards that own messages in flux */
void gchL_copy_open (lua_State *L) {
  luaL_newmetatable(L, "gochan.msgguard");
  lua_pushcfunction(L, guard_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
}

/* the shared objects a message holds (for the cycle check) */
int gch_msg_nobjs (const gch_Msg *m) {
  return isimm(m) ? 0 : m->nobjs;
}

gch_Ref *gch_msg_obj (const gch_Msg *m, int i) {
  return m->objs[i];
}

/* gch_msg_number: a message holding one float (timer ticks); no Lua */
gch_Msg *gch_msg_number (double n) {
  gch_Msg *m = msg_new();
  if (m == NULL) return NULL;
  m->buf[0] = T_FLOAT;
  memcpy(m->buf + 1, &n, sizeof(n));
  m->len = 1 + sizeof(n);
  m->nvalues = 1;
  return m;
}
