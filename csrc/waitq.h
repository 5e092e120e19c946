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
  return !w->isselect || !w->g->selectdone;
}

static inline void gch_ref_release (gch_Ref *r) {
  if (--r->refs == 0) r->destroy(r);
}

/* gch_waiter_enqueue: park 'w' on 'q' of 'obj' (the waiter holds a ref). */
static inline void gch_waiter_enqueue (gch_Ref *obj, gch_WaitQ *q,
                                       gch_Waiter *w) {
  w->obj = obj;
  w->success = 0;
  waitq_push(q, w);
  obj->refs++;
}

/*
** gch_waiter_dequeue: withdraw 'w' if still queued, dropping its ref
** (which may destroy the object, at state teardown).
*/
static inline void gch_waiter_dequeue (gch_Waiter *w) {
  if (w->queued) {
    waitq_remove(w->q, w);
    gch_ref_release(w->obj);
  }
}

#endif
