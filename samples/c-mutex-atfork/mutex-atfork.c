/*
 * The healthy twin of c-mutex-held-at-fork: the same holder thread and fork, but pthread_atfork
 * handlers take the mutex before the fork (waiting for the holder to release it) and release it in
 * both parent and child after. The child locks it, exits 0, and main reaps it.
 */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void prepare(void) { pthread_mutex_lock(&lock); }
static void release(void) { pthread_mutex_unlock(&lock); }

static void *holder(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  usleep(300 * 1000);
  pthread_mutex_unlock(&lock);
  return NULL;
}

int main(void) {
  pthread_atfork(prepare, release, release);
  pthread_t t;
  pthread_create(&t, NULL, holder, NULL);
  usleep(100 * 1000);
  pid_t child = fork(); /* prepare() waits here until the holder unlocks */
  if (child == 0) {
    pthread_mutex_lock(&lock);
    pthread_mutex_unlock(&lock);
    _exit(0);
  }
  int status;
  waitpid(child, &status, 0);
  pthread_join(t, NULL);
  return WEXITSTATUS(status);
}
