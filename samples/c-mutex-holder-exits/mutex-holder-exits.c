/*
 * A thread locks a pthread mutex and exits without unlocking it; then main forks. The child
 * inherits the mutex locked, its __owner the TID of a thread that no longer exists, and blocks
 * forever when it locks it. /proc alone cannot tell whose thread that TID was (TIDs are reused);
 * the trace can: the thread was made by the parent before the fork.
 *
 * Prints what it knows: `holder TID`, `mutex ADDRESS`, `child PID` (stdout, flushed at once).
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *holder(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  printf("holder %ld\n", (long)syscall(SYS_gettid));
  fflush(stdout);
  return NULL; /* exits holding the lock: a normal mutex stays locked */
}

int main(void) {
  pthread_t thread;
  printf("mutex %p\n", (void *)&lock);
  fflush(stdout);
  pthread_create(&thread, NULL, holder, NULL);
  pthread_join(thread, NULL);
  pid_t child = fork();
  if (child == 0) {
    pthread_mutex_lock(&lock); /* inherited locked: never returns */
    _exit(0);
  }
  printf("child %d\n", (int)child);
  fflush(stdout);
  int status;
  waitpid(child, &status, 0); /* waits forever for the hung child */
  return 0;
}
