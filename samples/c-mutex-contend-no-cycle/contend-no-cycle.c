/*
 * Two threads contend for two mutexes, always in the same order (A then B), many times: plenty of
 * FUTEX_WAIT and FUTEX_WAKE on both words, never a cycle. Both threads finish, exit 0. Each thread
 * prints its TID and the two mutex addresses.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg) {
  (void)arg;
  printf("thread %d takes %p then %p\n", gettid(), (void *)&a, (void *)&b);
  fflush(stdout);
  for (int i = 0; i < 200; i++) {
    pthread_mutex_lock(&a);
    pthread_mutex_lock(&b);
    usleep(100);
    pthread_mutex_unlock(&b);
    usleep(50);
    pthread_mutex_unlock(&a);
  }
  return NULL;
}

int main(void) {
  pthread_t t1, t2;
  pthread_create(&t1, NULL, worker, NULL);
  pthread_create(&t2, NULL, worker, NULL);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  return 0;
}
