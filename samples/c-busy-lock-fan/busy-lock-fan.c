/*
 * Two worker threads keep trading one mutex: each locks it, sleeps 3 ms holding it, unlocks it and
 * sleeps 1 ms, so the lock is contended (its waits and wakes are futex calls on its word) and held
 * most of the time. Meanwhile main forks 12 children, 7 ms apart. A child finds its copy of the
 * mutex as it was at the fork: when that copy is locked (pthread_mutex_trylock fails) it prints who
 * held it (glibc keeps the holder's TID in the mutex's __owner field) and then locks it, which
 * blocks forever; when it is free the child exits. Main then waits for every child, forever when
 * one hangs. Each worker prints its TID and the mutex's address; main prints each child's pid.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILDREN 12

static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg) {
  (void)arg;
  printf("worker %d trades mutex %p\n", gettid(), (void *)&shared);
  fflush(stdout);
  for (;;) {
    pthread_mutex_lock(&shared);
    usleep(3000);
    pthread_mutex_unlock(&shared);
    usleep(1000);
  }
  return NULL;
}

int main(void) {
  pthread_t a, b;
  pid_t children[CHILDREN];
  pthread_create(&a, NULL, worker, NULL);
  pthread_create(&b, NULL, worker, NULL);
  usleep(20 * 1000);
  for (int i = 0; i < CHILDREN; i++) {
    pid_t child = fork();
    if (child == 0) {
      if (pthread_mutex_trylock(&shared) == 0) _exit(0);
      printf("child %d inherited mutex %p locked by %d\n", getpid(), (void *)&shared, shared.__data.__owner);
      fflush(stdout);
      pthread_mutex_lock(&shared); /* inherited locked: never returns */
      _exit(1);
    }
    children[i] = child;
    printf("main %d forked %d\n", getpid(), child);
    fflush(stdout);
    usleep(7000);
  }
  for (int i = 0; i < CHILDREN; i++) waitpid(children[i], NULL, 0);
  return 0;
}
