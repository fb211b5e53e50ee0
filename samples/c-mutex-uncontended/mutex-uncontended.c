/*
 * A thread holds a pthread mutex while main forks, and nobody else wants it in the parent: taking
 * and releasing an uncontended mutex makes no system call, so the parent's trace says nothing
 * about it. The child inherits it locked and blocks forever; main waits forever for the child.
 */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *holder(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  usleep(400 * 1000);
  pthread_mutex_unlock(&lock);
  return NULL;
}

int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, holder, NULL);
  usleep(100 * 1000);
  pid_t child = fork();
  if (child == 0) {
    pthread_mutex_lock(&lock);
    _exit(0);
  }
  waitpid(child, NULL, 0);
  pthread_join(t, NULL);
  return 0;
}
