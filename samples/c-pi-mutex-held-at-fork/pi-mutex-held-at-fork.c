/*
 * A priority-inheritance mutex (PTHREAD_PRIO_INHERIT) held by a thread while main forks. The child
 * inherits it locked, like any mutex, but locking a PI mutex goes to the kernel
 * (FUTEX_LOCK_PI_PRIVATE), which refuses the lock word's owner, a thread of another process, with
 * EPERM: glibc then aborts the child (SIGABRT) instead of letting it hang. Main reaps it and exits.
 * The holder prints its TID and the mutex's address; main prints how the child ended.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t held;

static void *holder(void *arg) {
  (void)arg;
  pthread_mutex_lock(&held);
  printf("holder %d holds PI mutex %p\n", gettid(), (void *)&held);
  fflush(stdout);
  usleep(400 * 1000); /* the fork happens while it sleeps holding the mutex */
  pthread_mutex_unlock(&held);
  return NULL;
}

int main(void) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT);
  pthread_mutex_init(&held, &attr);
  pthread_t t;
  pthread_create(&t, NULL, holder, NULL);
  usleep(100 * 1000);
  pid_t child = fork();
  if (child == 0) {
    pthread_mutex_lock(&held); /* inherited locked: the kernel says EPERM, glibc aborts */
    _exit(0);
  }
  int status;
  waitpid(child, &status, 0);
  if (WIFSIGNALED(status)) printf("main %d forked %d: killed by signal %d\n", getpid(), child, WTERMSIG(status));
  else printf("main %d forked %d: exited %d\n", getpid(), child, WEXITSTATUS(status));
  pthread_join(t, NULL);
  return 0;
}
