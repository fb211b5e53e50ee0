/*
 * Three worker threads are alive when main forks, each inside a long blocking call: one waits on a
 * condition variable, one holds a global mutex while it sleeps an hour, one reads a pipe nobody
 * writes. Nobody contends for the mutex, so its lock makes no system call. The child locks the
 * mutex, which it inherited locked from the sleeping worker: it blocks forever, and main waits
 * forever for it. Each thread prints its TID (and the holder the mutex's address).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER;
static int jobs[2];

static void say(const char *format, int tid, void *address) {
  printf(format, tid, address);
  fflush(stdout);
}

static void *waiter(void *arg) {
  (void)arg;
  pthread_mutex_lock(&idle_lock);
  say("waiter %d waits on condvar %p\n", gettid(), &idle);
  for (;;) pthread_cond_wait(&idle, &idle_lock); /* releases idle_lock while it waits */
  return NULL;
}

static void *holder(void *arg) {
  (void)arg;
  pthread_mutex_lock(&held);
  say("holder %d holds mutex %p\n", gettid(), &held);
  sleep(3600); /* the fork happens while it sleeps holding the mutex */
  pthread_mutex_unlock(&held);
  return NULL;
}

static void *reader(void *arg) {
  (void)arg;
  char byte;
  printf("reader %d reads fd %d\n", gettid(), jobs[0]);
  fflush(stdout);
  (void)read(jobs[0], &byte, 1); /* nobody writes */
  return NULL;
}

int main(void) {
  pthread_t w, h, r;
  if (pipe(jobs) != 0) return 1;
  pthread_create(&w, NULL, waiter, NULL);
  usleep(10 * 1000);
  pthread_create(&h, NULL, holder, NULL);
  usleep(10 * 1000);
  pthread_create(&r, NULL, reader, NULL);
  usleep(100 * 1000);
  pid_t child = fork();
  if (child == 0) {
    pthread_mutex_lock(&held); /* inherited locked: never returns */
    _exit(0);
  }
  printf("main %d forked %d\n", getpid(), child);
  fflush(stdout);
  waitpid(child, NULL, 0); /* waits forever for the hung child */
  return 0;
}
