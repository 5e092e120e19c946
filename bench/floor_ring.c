/*
** bench/floor_ring.c: the C floor of the cross-thread buffered stream row
** (run.lua X2): a ring of 128 longs guarded by a pthread mutex, with two
** condition variables (not empty, not full). One producer thread pushes
** 1..N, the main thread consumes and sums them.
**
**   floor_ring N [CAP]     (CAP: ring size, default 128)
**
** After an unmeasured warm-up stream of N/10 (at least 1000) items, the
** measured stream of N. Prints "wall=<s> cpu=<s> n=<N>" (totals; cpu is the
** process CPU time, both threads), or "wrong=<why>" and exits 1.
*/
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now (clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notempty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t notfull = PTHREAD_COND_INITIALIZER;
static long *ring;
static long cap, head, count;

static void push (long v) {
  pthread_mutex_lock(&mu);
  while (count == cap) pthread_cond_wait(&notfull, &mu);
  ring[(head + count) % cap] = v;
  count++;
  pthread_cond_signal(&notempty);
  pthread_mutex_unlock(&mu);
}

static long pop (void) {
  long v;
  pthread_mutex_lock(&mu);
  while (count == 0) pthread_cond_wait(&notempty, &mu);
  v = ring[head];
  head = (head + 1) % cap;
  count--;
  pthread_cond_signal(&notfull);
  pthread_mutex_unlock(&mu);
  return v;
}

static long warm, n;

static void *producer (void *arg) {
  long i;
  (void)arg;
  for (i = 1; i <= warm; i++) push(i);
  for (i = 1; i <= n; i++) push(i);
  return NULL;
}

int main (int argc, char **argv) {
  pthread_t th;
  long i, s = 0, want;
  double w0, c0, w1, c1;
  if (argc < 2 || (n = atol(argv[1])) <= 0) {
    fprintf(stderr, "usage: %s N [cap]\n", argv[0]);
    return 2;
  }
  cap = argc > 2 ? atol(argv[2]) : 128;
  if (cap <= 0 || (ring = (long *)malloc((size_t)cap * sizeof(long))) == NULL) {
    fprintf(stderr, "bad capacity\n");
    return 2;
  }
  warm = n / 10 < 1000 ? 1000 : n / 10;
  if (pthread_create(&th, NULL, producer, NULL) != 0) {
    printf("wrong=pthread_create failed\n");
    return 1;
  }
  for (i = 0; i < warm; i++) s += pop();
  if (s != warm * (warm + 1) / 2) {
    printf("wrong=warm-up sum %ld\n", s);
    return 1;
  }
  s = 0;
  w0 = now(CLOCK_MONOTONIC);
  c0 = now(CLOCK_PROCESS_CPUTIME_ID);
  for (i = 0; i < n; i++) s += pop();
  w1 = now(CLOCK_MONOTONIC);
  c1 = now(CLOCK_PROCESS_CPUTIME_ID);
  pthread_join(th, NULL);
  want = n * (n + 1) / 2;
  if (s != want) {
    printf("wrong=sum %ld, want %ld\n", s, want);
    return 1;
  }
  printf("wall=%.9f cpu=%.9f n=%ld\n", w1 - w0, c1 - c0, n);
  free(ring);
  return 0;
}
