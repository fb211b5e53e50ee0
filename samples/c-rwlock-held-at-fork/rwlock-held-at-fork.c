/*
 * A thread holds a pthread rwlock for writing while main forks; a second thread wants to read it
 * (so the parent shows contention). The child asks for the write lock: it inherited the lock held
 * and blocks forever.
 */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;

static void *writer(void *arg) {
  (void)arg;
  pthread_rwlock_wrlock(&lock);
  usleep(400 * 1000);
  pthread_rwlock_unlock(&lock);
  return NULL;
}

static void *reader(void *arg) {
  (void)arg;
  usleep(50 * 1000);
  pthread_rwlock_rdlock(&lock);
  pthread_rwlock_unlock(&lock);
  return NULL;
}

int main(void) {
  pthread_t w, r;
  pthread_create(&w, NULL, writer, NULL);
  usleep(10 * 1000);
  pthread_create(&r, NULL, reader, NULL);
  usleep(100 * 1000);
  pid_t child = fork();
  if (child == 0) {
    pthread_rwlock_wrlock(&lock);
    _exit(0);
  }
  waitpid(child, NULL, 0);
  pthread_join(w, NULL);
  pthread_join(r, NULL);
  return 0;
}
