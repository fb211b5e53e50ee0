/*
 * glibc's own lock inherited locked: a thread is inside localtime_r holding glibc's tzset_lock
 * when main forks, and the child's localtime blocks forever on it (glibc 2.36 does not reset that
 * lock in a forked child). To hold the lock long enough, TZ names a FIFO: the first localtime_r
 * reads the zone file under tzset_lock, and opening a FIFO waits for a writer. After the fork main
 * opens the FIFO for writing, so the thread reads end of file, falls back to UTC and releases the
 * lock, in the parent only.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *reader(void *arg) {
  (void)arg;
  printf("holder %d\n", gettid());
  fflush(stdout);
  time_t now = time(NULL);
  struct tm tm;
  localtime_r(&now, &tm); /* takes tzset_lock, then waits in open(FIFO) */
  return NULL;
}

int main(void) {
  char dir[] = "/tmp/tzset-lock-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  char fifo[64], tz[80];
  snprintf(fifo, sizeof fifo, "%s/zone", dir);
  snprintf(tz, sizeof tz, ":%s", fifo);
  if (mkfifo(fifo, 0600) != 0) return 1;
  setenv("TZ", tz, 1);
  printf("main %d\n", getpid());
  fflush(stdout);
  pthread_t t;
  pthread_create(&t, NULL, reader, NULL);
  usleep(100 * 1000);
  pid_t child = fork();
  if (child == 0) {
    time_t now = time(NULL);
    localtime(&now); /* tzset_lock inherited locked: never returns */
    _exit(0);
  }
  printf("child %d\n", child);
  fflush(stdout);
  close(open(fifo, O_WRONLY)); /* lets the thread read end of file and release the lock */
  pthread_join(t, NULL);
  unlink(fifo);
  rmdir(dir);
  int status;
  waitpid(child, &status, 0); /* waits forever for the hung child */
  return 0;
}
