/*
** waitq.h: intrusive FIFO of waiter records (Go's waitq of sudogs).
**
** Invariants: a waiter is in at most one queue, and 'queued' says whether
** it is. Removal is O(1) from anywhere (select withdraws its losing
** waiters). Stale select waiters (their select already won elsewhere) are
** dropped by waitq_dequeue, as Go's dequeue does.
** Locking: the caller holds the owning channel's lock when it is shared.
*/
#ifndef waitq_h
#define waitq_h

#include "gochan.h"

static inline void waitq_push (gch_WaitQ *q, gch_Waiter *w) {
  w->q = q;
  w->next = NULL;
  w->prev = q->last;
  if (q->last) q->last->next = w;
  else q->first = w;
  q->last = w;
  w->queued = 1;
}

static inline void waitq_remove (gch_WaitQ *q, gch_Waiter *w) {
  if (w->prev) w->prev->next = w->next;
  else q->first = w->next;
  if (w->next) w->next->prev = w->prev;
  else q->last = w->prev;
  w->prev = w->next = NULL;
  w->queued = 0;
}

/*
** waitq_live: is 'w' still able to complete? A select waiter is not once
** its goroutine's select was won by another case.
*/
static inline int waitq_live (const gch_Waiter *w) {
  /* selectdone is set by CAS, maybe on another thread: a hint here */
  return !w->isselect || !__atomic_load_n(&w->g->selectdone, __ATOMIC_ACQUIRE);
}

/*
** References and locks of waitable objects. A local object is only ever
** touched by its own state's thread: plain counts, no lock. 'shared' and
** 'mu' are set once, by the owning thread, before the object is published
** to another thread, so reading them needs no synchronisation.
*/
static inline void gch_ref_incr (gch_Ref *r) {
  if (r->shared) __atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
  else r->refs++;
}

static inline void gch_ref_release (gch_Ref *r) {
  int n = r->shared ? __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL)
                    : --r->refs;
  if (n == 0) r->kind->destroy(r);
}

static inline void gch_lock (gch_Ref *r) {
  if (r->mu != NULL) pthread_mutex_lock(r->mu);
}

static inline void gch_unlock (gch_Ref *r) {
  if (r->mu != NULL) pthread_mutex_unlock(r->mu);
}

/*
** gch_waiter_enqueue: park 'w' on 'q' of 'obj' (the waiter holds a ref).
** The caller holds obj's lock.
*/
static inline void gch_waiter_enqueue (gch_Ref *obj, gch_WaitQ *q,
                                       gch_Waiter *w) {
  w->obj = obj;
  w->success = 0;
  waitq_push(q, w);
  gch_ref_incr(obj);
}

/*
** gch_waiter_unlink: remove the queued 'w' (the caller holds the lock);
** the caller drops the waiter's ref once the lock is released, or knows
** another ref keeps the object alive.
*/
static inline void gch_waiter_unlink (gch_Waiter *w) {
  waitq_remove(w->q, w);
}

/*
** gch_waiter_dequeue: the owner's end of a wait: withdraw 'w' if still
** queued and drop its reference (which may destroy the object, at state
** teardown). Others only unlink a waiter (a waker, a stale-select sweep):
** the reference is always the owner's to drop, so 'obj' stays valid until
** then. Takes the lock.
*/
static inline void gch_waiter_dequeue (gch_Waiter *w) {
  gch_Ref *obj = w->obj;
  if (obj == NULL) return;
  gch_lock(obj);
  if (w->queued) waitq_remove(w->q, w);
  gch_unlock(obj);
  w->obj = NULL;
  gch_ref_release(obj);  /* the waiter's, whoever unlinked it */
}

#endif
