/*
 * ABBA inside a forked child: main forks while nothing is locked; the child starts two threads
 * that take two mutexes in opposite order and deadlock, and the child's main thread blocks forever
 * joining the first; the parent waits forever for the child. Nothing was inherited locked: the
 * child's own threads took both mutexes after the fork. Each thread prints its TID, the mutex it
 * holds and the one it wants; main prints the child's pid.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *take(pthread_mutex_t *first, pthread_mutex_t *second) {
  pthread_mutex_lock(first);
  printf("thread %d of %d holds %p wants %p\n", gettid(), getpid(), (void *)first, (void *)second);
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
  pid_t child = fork();
  if (child == 0) {
    pthread_t t1, t2;
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&t1, NULL, ab, NULL);
    pthread_create(&t2, NULL, ba, NULL);
    pthread_join(t1, NULL); /* waits forever */
    pthread_join(t2, NULL);
    _exit(0);
  }
  printf("parent %d forked child %d\n", getpid(), child);
  fflush(stdout);
  int status;
  waitpid(child, &status, 0); /* waits forever */
  return 0;
}
