/*
** bench/floor_pingpong.c: the C floors of the cross-thread ping-pong row
** (run.lua X1): two OS threads hand a value back and forth, N round trips.
**
**   floor_pingpong condvar N     pthread mutex + condition variable hand-off
**   floor_pingpong spin N [US]   spin up to US microseconds (default 50, as
**                                gochan's scheduler spins before it sleeps),
**                                then sleep on a futex
**
** The main thread sends i, the partner answers i + 1, the main thread checks
** it. After N/10 (at least 1000) unmeasured round trips, N measured ones.
** Prints one line: "wall=<s> cpu=<s> n=<N>" (totals over the N round trips;
** cpu is the process CPU time, both threads), or "wrong=<why>" and exits 1.
*/
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now (clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif


/* ---- condvar: one mutex, one condition variable per direction ---- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv[2] = {PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER};
static int full[2];          /* a value waits in box[d] */
static long box[2];

static void cv_send (int d, long v) {
  pthread_mutex_lock(&mu);
  box[d] = v;
  full[d] = 1;
  pthread_cond_signal(&cv[d]);
  pthread_mutex_unlock(&mu);
}

static long cv_recv (int d) {
  long v;
  pthread_mutex_lock(&mu);
  while (!full[d]) pthread_cond_wait(&cv[d], &mu);
  full[d] = 0;
  v = box[d];
  pthread_mutex_unlock(&mu);
  return v;
}


/* ---- spin then futex: a word per direction: 0 empty, 1 full, 2 a waiter sleeps ---- */

static atomic_int word[2];
static long sbox[2];
static double spin_s = 50e-6;

static void futex_wait (atomic_int *w, int val) {
  syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake (atomic_int *w) {
  syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void sp_send (int d, long v) {
  sbox[d] = v;
  if (atomic_exchange_explicit(&word[d], 1, memory_order_acq_rel) == 2)
    futex_wake(&word[d]);
}

static long sp_recv (int d) {
  int i, e;
  long v;
  double until = -1;
  for (;;) {  /* spin */
    for (i = 0; i < 64; i++) {
      if (atomic_load_explicit(&word[d], memory_order_acquire) == 1) goto got;
      cpu_relax();
    }
    if (until < 0) until = now(CLOCK_MONOTONIC) + spin_s;
    else if (now(CLOCK_MONOTONIC) >= until) break;
  }
  e = 0;  /* sleep: announce it, unless the value came meanwhile */
  if (atomic_compare_exchange_strong(&word[d], &e, 2)) {
    while (atomic_load_explicit(&word[d], memory_order_acquire) == 2)
      futex_wait(&word[d], 2);
  }
got:
  v = sbox[d];
  atomic_store_explicit(&word[d], 0, memory_order_relaxed);
  return v;
}


/* ---- the two threads ---- */

static int spin;             /* which floor */
static long total;           /* round trips the partner serves */

static void hsend (int d, long v) { if (spin) sp_send(d, v); else cv_send(d, v); }
static long hrecv (int d) { return spin ? sp_recv(d) : cv_recv(d); }

static void *partner (void *arg) {
  long i;
  (void)arg;
  for (i = 0; i < total; i++) hsend(1, hrecv(0) + 1);
  return NULL;
}

static long rounds (long from, long n) {
  long i, bad = 0;
  for (i = from; i < from + n; i++) {
    hsend(0, i);
    if (hrecv(1) != i + 1) bad++;
  }
  return bad;
}

int main (int argc, char **argv) {
  long n, warm, bad;
  pthread_t th;
  double w0, c0, w1, c1;
  if (argc < 3 || (strcmp(argv[1], "condvar") != 0 && strcmp(argv[1], "spin") != 0)
      || (n = atol(argv[2])) <= 0) {
    fprintf(stderr, "usage: %s condvar|spin N [spin_us]\n", argv[0]);
    return 2;
  }
  spin = strcmp(argv[1], "spin") == 0;
  if (argc > 3) spin_s = atof(argv[3]) * 1e-6;
  warm = n / 10 < 1000 ? 1000 : n / 10;
  total = warm + n;
  if (pthread_create(&th, NULL, partner, NULL) != 0) {
    printf("wrong=pthread_create failed\n");
    return 1;
  }
  bad = rounds(0, warm);
  w0 = now(CLOCK_MONOTONIC);
  c0 = now(CLOCK_PROCESS_CPUTIME_ID);
  bad += rounds(warm, n);
  w1 = now(CLOCK_MONOTONIC);
  c1 = now(CLOCK_PROCESS_CPUTIME_ID);
  pthread_join(th, NULL);
  if (bad != 0) {
    printf("wrong=%ld answers out of order\n", bad);
    return 1;
  }
  printf("wall=%.9f cpu=%.9f n=%ld\n", w1 - w0, c1 - c0, n);
  return 0;
}
