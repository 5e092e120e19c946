/*
** gochan.h: internal types shared by the C core of gochan.
**
** The picture (DESIGN.md): Go's runtime with a Lua state where Go has a P.
** Each Lua state owns one scheduler (gch_Sched) that runs goroutines
** (gch_G), each a Lua coroutine of that state. Channels (gch_Chan) are C
** objects; goroutines park on them with waiter records (gch_Waiter, Go's
** sudog) kept in FIFO wait queues (gch_WaitQ).
**
** Naming (STYLE.md 2.2): gch_<subsystem>_<verb> never touches a lua_State
** and never raises; gchL_<verb> takes a lua_State and may raise.
*/
#ifndef gochan_h
#define gochan_h

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "lua.h"
#include "lauxlib.h"

#if !defined(LUA_VERSION_NUM) || LUA_VERSION_NUM != 504
#error "gochan needs Lua 5.4"
#endif

/* Only luaopen_gochan_core is exported; everything else is hidden. */
#if defined(__GNUC__)
#define GCH_API __attribute__((visibility("default")))
#else
#define GCH_API
#endif

/* lua_closethread appeared in 5.4.6; Debian's 5.4.4 has lua_resetthread. */
#if LUA_VERSION_RELEASE_NUM >= 50406
#define gch_closethread(co, from) lua_closethread(co, from)
#else
#define gch_closethread(co, from) ((void)(from), lua_resetthread(co))
#endif

#if !defined(l_unlikely)
#if defined(__GNUC__)
#define l_unlikely(x) __builtin_expect(((x) != 0), 0)
#else
#define l_unlikely(x) (x)
#endif
#endif

#if defined(GOCHAN_DEBUG)
#include <stdio.h>
#include <stdlib.h>
#define gch_assert(c) \
  ((c) ? (void)0 : (fprintf(stderr, "gochan: %s:%d: assertion failed: %s\n", \
                            __FILE__, __LINE__, #c), abort()))
#else
#define gch_assert(c) ((void)0)
#endif

/* Result codes of operations that never raise (mapped by gchL_raise). */
#define GCH_OK          0
#define GCH_WOULDBLOCK  1   /* the operation must park */
#define GCH_CLOSED      2   /* send on closed channel */
#define GCH_DEADLOCK    3   /* nothing can ever wake the waiting goroutine */
#define GCH_GOERROR     4   /* a goroutine failed: its error is pending */
#define GCH_ENOMEM      5

/* Registry key of a state's scheduler: the address of a static char. */
extern const char gch_schedkey;

/* Metatable names (STYLE.md 2.2: dotted paths, shown in type errors). */
#define GCH_CHAN_T   "gochan.chan"
#define GCH_CASE_T   "gochan.case"
#define GCH_SCHED_T  "gochan.scheduler"

/*
** Upvalues shared by every C function registered by the core, and the
** stack slots where luaopen_gochan_core keeps them while opening.
*/
#define GCH_UV_SCHED  lua_upvalueindex(1)   /* the gch_Sched userdata */
#define GCH_UV_CHANMT lua_upvalueindex(2)   /* the channel metatable */
#define GCH_UV_CASEMT lua_upvalueindex(3)   /* the select case metatable */
#define GCH_NUPVALUES 3
#define GCH_IDX_SCHED  1
#define GCH_IDX_CHANMT 2
#define GCH_IDX_CASEMT 3
#define GCH_IDX_MODULE 4

typedef struct gch_Sched gch_Sched;
typedef struct gch_G gch_G;
typedef struct gch_Waiter gch_Waiter;
typedef struct gch_Chan gch_Chan;

/*
** gch_Ref: header of every object goroutines can wait on (channels, sync
** objects): a reference count held by each Lua box and each queued
** waiter; the last release destroys the object.
*/
typedef struct gch_Kind gch_Kind;
typedef struct gch_Msg gch_Msg;

typedef struct gch_Ref {
  int refs;                 /* atomic (__atomic builtins) once 'shared' */
  unsigned char shared;     /* crossed into another state: locked and copied */
  unsigned char sharing;    /* kind->share running: a value it encodes may
                               hold the object itself (a channel in its own
                               buffer), which then needs no second share */
  const gch_Kind *kind;     /* what it is; how to share it and box it */
  pthread_mutex_t *mu;      /* NULL while local; &lock once shared */
  pthread_mutex_t lock;     /* guards state and queues of a shared object */
} gch_Ref;

/*
** gch_Kind: the operations shared.c and copy.c need on each kind of
** object (channel, WaitGroup, Mutex ...).
*/
struct gch_Kind {
  const char *tname;        /* metatable name */
  const void *tag;          /* box tag */
  void (*destroy) (gch_Ref *r);
  /* switch to shared mode; the box is at 'box'. May raise, but only
     before it changes anything. Called once, in the owning state. */
  void (*share) (lua_State *L, gch_Ref *r, int box);
  /* after the switch (lock in place), or NULL */
  void (*shared) (lua_State *L, gch_Ref *r);
  /* push a new box for 'r' (direction 'dir') in this state, taking a ref */
  void (*pushbox) (lua_State *L, gch_Ref *r, int dir);
  /* the wait of 'w' on 'r' completed, handing its goroutine something it
     must give back (a Mutex's lock), but the goroutine is dropped before it
     ran (user code closed its coroutine): pass it on. Or NULL. */
  void (*abandon) (gch_Sched *self, gch_Waiter *w);
};

typedef struct gch_WaitQ gch_WaitQ;

/*
** gch_Waiter: one goroutine waiting on one object (Go's sudog). A
** goroutine blocked in a plain operation uses the waiter embedded in its
** gch_G; a select uses one per case. Waiters are C memory owned by their
** gch_G, never Lua objects, so another OS thread may one day touch them
** under the object's lock.
**
** Values of a local channel never leave Lua: a parked sender's value stays
** on its thread's stack at 'slot'; a value for a parked receiver is pushed
** on top of its thread's stack (which reserved room before parking).
*/
struct gch_Waiter {
  gch_Waiter *prev, *next;  /* links in 'q' */
  gch_G *g;                 /* the goroutine that waits */
  gch_WaitQ *q;             /* queue it is linked in, while 'queued' */
  gch_Ref *obj;             /* object owning 'q'; a ref is held while queued */
  lua_State *L;             /* thread whose stack holds/receives the value */
  int slot;                 /* sender: stack index of the value in L */
  int caseidx;              /* select: 1-based case index; 0 for plain ops */
  unsigned char queued;     /* linked in 'q' (and holding a ref on 'obj') */
  unsigned char isselect;   /* part of a select: wins only through g->selectdone */
  unsigned char success;    /* after wake-up: 1 if completed, 0 if by close */
  gch_Msg *msg;             /* shared channel: the value, copied */
};

/* gch_WaitQ: intrusive FIFO of waiters (waitq.h). */
struct gch_WaitQ {
  gch_Waiter *first, *last;
};

/* Timer kinds. */
#define GCH_TSLEEP 0   /* go.sleep: readies 'g' (embedded in it, not counted) */
#define GCH_TCHAN  1   /* Timer/Ticker/after: ticks on channel 'c' */
#define GCH_TFUNC  2   /* after_func: starts its function in a goroutine */

typedef struct gch_Timer gch_Timer;

/*
** gch_Heap: a 4-ary min-heap of timers, each storing its index (Go's).
** Entries carry their deadline, as Go 1.23's timerWhen: sifting compares
** four siblings in one cache line instead of four timers in memory.
*/
typedef struct gch_HeapEnt {
  double when;              /* = t->when */
  gch_Timer *t;
} gch_HeapEnt;

typedef struct gch_Heap {
  gch_HeapEnt *a;
  int n, cap;
  uint64_t seq;             /* next gch_Timer.seq */
} gch_Heap;

/*
** gch_Timer: an entry of a scheduler's timer heap, or of the process-wide
** heap of the timer thread once its channel is shared (timer.c).
*/
struct gch_Timer {
  gch_Ref ref;              /* box + heap while armed (not for sleep) */
  double when;              /* monotonic deadline, seconds */
  double period;            /* ticker period; 0 for one-shot timers */
  uint64_t seq;             /* arming order: equal deadlines fire FIFO */
  int hidx;                 /* index in its heap; -1 when not armed */
  int kind;                 /* GCH_T* */
  gch_Sched *S;             /* scheduler whose heap it uses */
  gch_G *g;                 /* sleep: the sleeping goroutine */
  gch_Chan *c;              /* channel timers: their channel (ref held) */
  gch_Heap *h;              /* the heap it is in, while armed */
  struct gch_Family *fam;   /* global: family whose liveness it counts */
  unsigned gen;             /* global: changed by stop/reset (atomic) */
  unsigned char firing;     /* off the heap, tick or function not yet
                               delivered: whichever of the firer and a
                               stop/reset clears it first wins (atomic) */
  unsigned char global;     /* fired by the timer thread, not by S */
};

/* Goroutine states, written with relaxed atomics: go.debug reads them
   from other threads. */
#define setstatus(g,s)  __atomic_store_n(&(g)->status, (s), __ATOMIC_RELAXED)
#define setreason(g,r)  __atomic_store_n(&(g)->waitreason, (r), __ATOMIC_RELAXED)
#define GCH_GRUNNABLE 0   /* in the run queue */
#define GCH_GRUNNING  1   /* being resumed, or the main goroutine running */
#define GCH_GWAITING  2   /* parked or blocked inline */
#define GCH_GDEAD     3   /* finished; record kept for reuse */

/*
** gch_G: a goroutine. The main goroutine's record is embedded in the
** scheduler and its 'co' is the state's main thread; the others are
** malloc'd, their coroutine anchored in the scheduler's anchor table
** under 'anchor' (releasing the key is the only release).
*/
struct gch_G {
  gch_Sched *S;             /* owning scheduler */
  lua_Integer id;           /* process-unique id; main of the first state is 1 */
  lua_State *co;            /* the goroutine's coroutine */
  lua_State *blockL;        /* thread that made the current blocking call */
  const char *waitreason;   /* "chan receive", ... while waiting */
  int status;               /* GCH_G* */
  int nargs;                /* arguments of its first resume; -1 once started */
  int nselect;              /* cases of the select in progress */
  int anchor;               /* ref of 'co' in the anchor table (NOREF for main) */
  int fnref;                /* not started yet: ref of f (or {f, args...}) */
  int argref;               /* not started yet: ref of f's one argument */
  unsigned char resumed;    /* inside the scheduler's lua_resume of 'co' */
  unsigned char parking;    /* yielding to the scheduler to park */
  unsigned char inl;        /* blocked inline: a wake-up sets 'woken' */
  unsigned char woken;      /* readied while blocked inline */
  unsigned char selectdone; /* select: a case has won (Go's selectDone) */
  unsigned char lost;       /* resumed by user code while queued: drop it */
  int waitstatus;           /* GCH_OK or why the wait failed */
  gch_Waiter *won;          /* the waiter that completed the wait */
  unsigned char wonseen;    /* its continuation read the wait's outcome */
  gch_Waiter w1;            /* waiter of a plain send/recv */
  gch_Timer *sleep;         /* timer of go.sleep, made on its first sleep */
  gch_Waiter *ws;           /* select waiters (grown on demand) */
  int nws;                  /* slots in 'ws' */
  gch_G *prev, *next;       /* all live goroutines, oldest first */
  gch_G *inboxnext;         /* in its scheduler's inbox (fam->mu) */
  unsigned wgen;            /* which wait this is: bumped by each new wait */
  unsigned rwake;           /* the wait a remote waker completed (obj lock) */
};

/*
** gch_Family: the schedulers of a main state and of every go.thread
** started from it (transitively): the only ones that can share objects.
** It counts their goroutines (go.numgoroutine) and which of them are
** stuck (idle with no timer), for deadlock detection across threads.
** Locking: 'mu' guards everything here and every member's inbox and idle
** flags; it is a leaf lock (nothing is locked while holding it).
*/
typedef struct gch_Family {
  pthread_mutex_t mu;
  int refs;                 /* members + threads being started */
  int nsched;               /* live member schedulers (atomic writes) */
  int nstuck;               /* of them, idle with no timer pending */
  gch_Sched *root;          /* the main state's scheduler, while it lives */
  gch_Sched *first;         /* members, through gch_Sched.fnext */
  long ngoroutines;         /* atomic: goroutines of all members, mains included */
  long inflight;            /* atomic: wake-ups of another member under way */
  int nbusy;                /* go.threads outside a scheduler (atomic writes) */
  int ntimers;              /* armed timers of the timer thread */
  int nexttid;              /* thread number of the next member */
} gch_Family;

/*
** gch_Sched: one per Lua state, a userdata in the registry under
** &gch_schedkey and upvalue 1 of every core function. User values:
** 1 = anchor table (goroutine coroutines), 2 = pending goroutine errors.
*/
struct gch_Sched {
  lua_State *L;             /* the state's main thread */
  gch_G *current;           /* goroutine running now (main when none resumed) */
  gch_G main;               /* the main goroutine */
  gch_G **runq;             /* ring of runnable goroutines */
  size_t rqhead, rqlen, rqcap;
  gch_G *free;              /* goroutine records kept for reuse (via 'next') */
  int nfree;
  struct { lua_State *co; int ref; } copool[1024];  /* idle coroutines */
  int ncopool;
  gch_G all;                /* sentinel of the list of live goroutines */
  lua_Integer live;         /* goroutines started and not finished, main excluded */
  lua_Integer nlost;        /* lost goroutines still in the run queue */
  lua_Integer errhead;      /* pending goroutine errors: keys errhead+1 .. */
  lua_Integer errtail;      /* .. errtail of user value 2 */
  uint64_t rng;             /* select's random choice (xorshift64*) */
  gch_Heap timers;          /* its armed timers */
  int wakefd;               /* eventfd the idle scheduler polls */
  gch_Family *fam;          /* its family (a reference held) */
  gch_Sched *fnext;         /* next member of the family (fam->mu) */
  gch_G *inbox, *inboxtail; /* readied by other threads (fam->mu) */
  int hasinbox;             /* atomic hint: inbox not empty */
  int idle, stuck;          /* waiting in the kernel; with no timer (fam->mu) */
  struct gch_Thread *thread;/* the go.thread this state runs, or NULL */
  pthread_mutex_t glock;    /* guards the 'all' list (go.debug reads it) */
  int tid;                  /* thread number in the family: 0 for the main state */
  int isthread;             /* the state of a go.thread */
  unsigned ticks;           /* resumes since timers were last checked */
  int closing;              /* the state is being closed: nothing runs */
  int chaos;                /* GOCHAN_SCHED_SEED: randomized scheduling */
  int readyfront;           /* timers firing: readied goroutines go on 'tq' */
  gch_G **tq;               /* ring of timer-woken goroutines, run first */
  size_t tqhead, tqlen;     /* (capacity: rqcap) */
};

/*
** gch_Chan: a channel (Go's hchan).
** Invariants (as chan.go): at most one of recvq/sendq is non-empty, once
** stale select waiters are skipped; buffered: count > 0 => recvq empty,
** count < cap => sendq empty; unbuffered: count == 0 always.
** Local mode: the buffer is a Lua table, user value 1 of every box of the
** channel, slot i+1 for ring index i.
*/
struct gch_Chan {
  gch_Ref ref;              /* held by boxes, queued waiters, its timer */
  int closed;
  int istimer;              /* a timer's channel: value in 'tval', reports cap 0 */
  double tval;              /* timer channel: the fired, unreceived time */
  gch_Timer *timer;         /* timer channel: its timer (cleared when freed) */
  int nboxes;               /* boxes in every state (atomic): 0 = reachable
                               only through messages */
  gch_Msg **ring;           /* shared mode: buffered messages */
  lua_Integer rsz, rhead;   /* slots in 'ring' (grown up to cap); oldest */
  lua_Integer cap;          /* Go's dataqsiz */
  lua_Integer count;        /* Go's qcount */
  lua_Integer sendx, recvx; /* ring indices, 0-based */
  gch_WaitQ recvq, sendq;
};

/* Channel directions of a box (a view restricts what it may do). */
#define GCH_DIR_BOTH 3
#define GCH_DIR_SEND 1
#define GCH_DIR_RECV 2

/*
** gch_Box: the Lua face, in one state, of a channel or sync object; a
** channel's views are further boxes. 'tag' tells the kind (the address of
** a static of this library, which no other userdata can contain by
** chance), so the hot path recognises a box without pushing its metatable.
*/
typedef struct gch_Box {
  const void *tag;          /* &gch_chantag, ... ; NULL while being created */
  union {
    gch_Chan *c;
    void *p;
  };                        /* the object; NULL only while being created */
  gch_Sched *S;             /* scheduler of the state holding this box */
  int dir;                  /* channels: GCH_DIR_* */
} gch_Box;

typedef gch_Box gch_ChanBox;

extern const char gch_chantag;

/* ---- sched.c ---- */
/* gchL_sched: this state's scheduler, from upvalue 1 (inline: every
   operation that has no box to find it through asks) */
static inline gch_Sched *gchL_sched (lua_State *L) {
  return (gch_Sched *)lua_touserdata(L, GCH_UV_SCHED);
}
gch_Sched *gchL_schedof (lua_State *L);                /* from the registry */
void gch_sched_ready (gch_Sched *self, gch_G *g);
void gch_sched_remote (gch_Sched *self, gch_G *g);
void gch_sched_frontbatch (gch_Sched *S, int begin);
gch_Family *gch_family_new (void);
void gch_family_threadstart (gch_Family *F);
void gch_family_threadend (gch_Family *F);
void gch_family_threaddone (gch_Family *F);
void gch_family_timer (gch_Family *F, int delta);
void gchL_sched_ofthread (lua_State *L, struct gch_Thread *t);
void gchL_thread_open (lua_State *L);
void gch_family_release (gch_Family *F);
extern const char gch_famkey;
int gch_sched_alive (gch_G *g);
int gch_sched_spinfor (gch_Sched *S, int (*ready) (const void *), const void *arg);
int gchL_park (lua_State *L, gch_Sched *S, gch_G *g, const char *reason,
               lua_KFunction k);
gch_G *gchL_current (lua_State *L, gch_Sched *S);     /* reserves stack */
int gch_sched_mayblock (gch_Sched *S);
int gchL_chaos (lua_State *L, gch_Sched *S);
/* at a scheduling point of an operation 'k' can restart */
#define gchL_schedpoint(L,S,k) \
  if (l_unlikely((S)->chaos) && gchL_chaos(L, S)) return lua_yieldk(L, 0, 0, k)
int gchL_waitstatus (lua_State *L, gch_G *g);
int gchL_iscallable (lua_State *L, int i);
uint64_t gch_sched_rand (gch_Sched *S);
int gchL_raise (lua_State *L, gch_Sched *S, int code);
void gchL_sched_new (lua_State *L);
lua_Integer gchL_spawn (lua_State *L, gch_Sched *S, int n);
void gchL_pusherror (lua_State *L, gch_Sched *S);
void gchL_sched_open (lua_State *L);

/* ---- chan.c ---- */
gch_ChanBox *gchL_checkchan (lua_State *L, int arg);
gch_ChanBox *gchL_testchan (lua_State *L, int arg);
/* Non-blocking attempts on local channels, used by ops and select;
** GCH_OK, GCH_WOULDBLOCK or GCH_CLOSED. recv pushes value and ok on
** success; send takes the value at stack index 'v'. */
int gchL_chan_tryrecv (lua_State *L, gch_Sched *S, gch_Chan *c, int ring);
int gchL_chan_trysend (lua_State *L, gch_Sched *S, gch_Chan *c, int ring, int v);
int gchL_pushring (lua_State *L, int box);
gch_Waiter *gch_chan_dequeue (gch_Sched *self, gch_Chan *c, gch_WaitQ *q);
int gch_chan_recvready (gch_Sched *self, gch_Chan *c);
int gch_chan_sendready (gch_Sched *self, gch_Chan *c);
void gch_chan_enqueue (gch_Chan *c, gch_Waiter *w, int send);
void gchL_chan_open (lua_State *L);
gch_Chan *gchL_newtimerchan (lua_State *L);          /* pushes a <-chan box */
extern const char gch_chantag;

/* ---- chanshared.c ---- */
int gch_chan_shsend (gch_Sched *self, gch_Chan *c, gch_Msg *m, gch_G **wake);
int gch_chan_shrecv (gch_Sched *self, gch_Chan *c, gch_Msg **m, gch_G **wake);
void gch_chan_tick (gch_Sched *self, gch_Chan *c, double now, gch_G **wake);
gch_Waiter *gch_chan_closeall (gch_Sched *self, gch_Chan *c);
void gch_chan_freering (gch_Chan *c);
void gch_chan_collect (gch_Chan *c);
int gch_chan_orphan (gch_Ref *r);
void gch_chan_share (lua_State *L, gch_Ref *r, int box);
void gch_chan_shared (lua_State *L, gch_Ref *r);
int gchL_chan_shsendop (lua_State *L, gch_Box *b, lua_KFunction k);
int gchL_chan_shrecvop (lua_State *L, gch_Box *b, lua_KFunction k);
int gchL_chan_pushmsg (lua_State *L, gch_Msg *m);
void gchL_chanshared_open (lua_State *L);

/* ---- timer.c ---- */
double gch_now (void);
double gchL_checkduration (lua_State *L, int arg);
int gch_timer_cancel (gch_Timer *t);
void gchL_timer_reserve (lua_State *L, gch_Sched *S);
void gchL_timer_run (lua_State *L, gch_Sched *S);
double gch_timer_next (gch_Sched *S);
void gchL_timer_globalize (lua_State *L, gch_Timer *t);
int gch_timer_nglobal (void);
void gchL_timer_open (lua_State *L);
extern const char gch_timertag;

/* ---- sync.c ---- */
void gchL_sync_open (lua_State *L);
int gch_sync_istag (const void *tag);

/* ---- copy.c ---- */
gch_Msg *gchL_encode (lua_State *L, int i, int n);
int gchL_decode (lua_State *L, const gch_Msg *m);
void gch_msg_free (gch_Msg *m);
gch_Msg *gch_msg_number (double n);                  /* NULL: no memory */
int gch_msg_isscalar (const gch_Msg *m);
int gch_msg_nobjs (const gch_Msg *m);
gch_Ref *gch_msg_obj (const gch_Msg *m, int i);
void gchL_copy_open (lua_State *L);

/* ---- shared.c ---- */
void gchL_share (lua_State *L, gch_Ref *r, int box);
void gchL_pushproxy (lua_State *L, gch_Ref *r, int dir);
void gch_ref_freelock (gch_Ref *r);
void gch_mutex_init (pthread_mutex_t *mu);
gch_Box *gchL_testanybox (lua_State *L, int arg);

/* ---- debug.c ---- */
#define GCH_REPORT_LINES 0   /* the deadlock error: a line per goroutine */
#define GCH_REPORT_DUMP  1   /* go.debug.dump: Go's style */
void gchL_pushreport (lua_State *L, gch_Sched *S, gch_G *current, int style);
void gchL_debug_open (lua_State *L);
extern long gch_nchans, gch_nshared;                 /* live, process-wide */

/* ---- select.c ---- */
void gchL_select_open (lua_State *L);

/* ---- core.c ---- */
/* set 'l' into the table at 't' with the core's shared upvalues */
void gchL_setfuncs (lua_State *L, int t, const luaL_Reg *l);
void gchL_pushupvalues (lua_State *L);                 /* while opening */
void gchL_newclass (lua_State *L, const char *tname, const luaL_Reg *methods,
                    const luaL_Reg *meta);
/*
** gchL_testbox: the box at 'arg' if it is one of kind 'tag', else NULL.
** A box is recognised by its size and tag (see gch_Box), without pushing
** its metatable: this is on every channel operation, hence inline.
*/
static inline gch_Box *gchL_testbox (lua_State *L, int arg, const void *tag) {
  gch_Box *b = (gch_Box *)lua_touserdata(L, arg);
  if (b != NULL && lua_rawlen(L, arg) == sizeof(*b) && b->tag == tag)
    return b;
  return NULL;
}
gch_Box *gchL_newbox (lua_State *L, const void *tag, int nuv, int mt);

#endif
