/*
 * ABBA: two threads take two mutexes in opposite order, no fork. Each takes its first mutex,
 * waits until the other has taken its own, then asks for the other's: both block forever in
 * FUTEX_WAIT_PRIVATE, and main blocks forever joining the first. Each thread prints its TID, the
 * mutex it holds and the one it wants (to stdout: the write() shows in the trace).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *take(pthread_mutex_t *first, pthread_mutex_t *second) {
  pthread_mutex_lock(first);
  printf("thread %d holds %p wants %p\n", gettid(), (void *)first, (void *)second);
  fflush(stdout);
  pthread_barrier_wait(&both_hold);
  pthread_mutex_lock(second); /* held by the other thread: never returns */
  pthread_mutex_unlock(second);
  pthread_mutex_unlock(first);
  return NULL;
}

static void *ab(void *arg) { (void)arg; return take(&a, &b); }
static void *ba(void *arg) { (void)arg; return take(&b, &a); }

int main(void) {
  pthread_t t1, t2;
  pthread_barrier_init(&both_hold, NULL, 2);
  pthread_create(&t1, NULL, ab, NULL);
  pthread_create(&t2, NULL, ba, NULL);
  pthread_join(t1, NULL); /* waits forever */
  pthread_join(t2, NULL);
  return 0;
}
