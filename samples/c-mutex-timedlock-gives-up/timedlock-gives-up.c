/*
 * Lock-order conflict avoided by a timed lock: thread 1 takes A then asks for B; thread 2 takes B
 * then asks for A with pthread_mutex_timedlock (100 ms), three times, gives up, releases B and
 * exits. Thread 1 then gets B and finishes. No deadlock: the timed waits time out and end.
 * Each thread prints its TID and what it holds and wants; thread 2 prints when it gives up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *ab(void *arg) {
  (void)arg;
  pthread_mutex_lock(&a);
  printf("thread %d holds %p wants %p\n", gettid(), (void *)&a, (void *)&b);
  fflush(stdout);
  pthread_barrier_wait(&both_hold);
  pthread_mutex_lock(&b); /* waits until thread 2 gives up */
  pthread_mutex_unlock(&b);
  pthread_mutex_unlock(&a);
  return NULL;
}

static void *ba(void *arg) {
  (void)arg;
  pthread_mutex_lock(&b);
  printf("thread %d holds %p wants %p (timed)\n", gettid(), (void *)&b, (void *)&a);
  fflush(stdout);
  pthread_barrier_wait(&both_hold);
  for (int attempt = 0; attempt < 3; attempt++) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 100 * 1000 * 1000;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
    if (pthread_mutex_timedlock(&a, &until) == 0) {
      pthread_mutex_unlock(&a);
      break;
    }
  }
  printf("thread %d gives up on %p\n", gettid(), (void *)&a);
  fflush(stdout);
  pthread_mutex_unlock(&b);
  return NULL;
}

int main(void) {
  pthread_t t1, t2;
  pthread_barrier_init(&both_hold, NULL, 2);
  pthread_create(&t1, NULL, ab, NULL);
  pthread_create(&t2, NULL, ba, NULL);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  return 0;
}
