/*
 * A thread holds a pthread mutex while main forks: the child inherits the mutex locked and blocks
 * forever when it locks it. A second thread contends for the mutex from before the fork until the
 * holder unlocks it after the fork, so the parent's trace proves who held it (FUTEX_WAIT spanning
 * the fork, ended by the holder's FUTEX_WAKE returning 1).
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *holder(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  usleep(400 * 1000); /* the fork happens while we sleep here */
  pthread_mutex_unlock(&lock);
  return NULL;
}

static void *contender(void *arg) {
  (void)arg;
  usleep(50 * 1000);
  pthread_mutex_lock(&lock); /* waits in FUTEX_WAIT across the fork */
  pthread_mutex_unlock(&lock);
  return NULL;
}

int main(void) {
  pthread_t t1, t2;
  pthread_create(&t1, NULL, holder, NULL);
  usleep(10 * 1000);
  pthread_create(&t2, NULL, contender, NULL);
  usleep(100 * 1000);
  pid_t child = fork();
  if (child == 0) {
    pthread_mutex_lock(&lock); /* inherited locked: never returns */
    pthread_mutex_unlock(&lock);
    _exit(0);
  }
  int status;
  waitpid(child, &status, 0); /* waits forever for the hung child */
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  return 0;
}
