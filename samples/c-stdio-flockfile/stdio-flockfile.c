/*
 * A thread holds stdout's FILE lock (flockfile) while main forks; the child printf()s to stdout.
 * glibc resets the stdio FILE locks in the child after fork, so the child does NOT hang: it prints,
 * exits 0, and main reaps it. A must-not-report sample.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void *holder(void *arg) {
  (void)arg;
  flockfile(stdout);
  usleep(400 * 1000);
  funlockfile(stdout);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  pthread_t t;
  pthread_create(&t, NULL, holder, NULL);
  usleep(100 * 1000);
  pid_t child = fork();
  if (child == 0) {
    printf("child %d prints despite the parent's locked stdout\n", (int)getpid());
    fflush(stdout);
    _exit(0);
  }
  int status;
  waitpid(child, &status, 0);
  pthread_join(t, NULL);
  return WEXITSTATUS(status);
}
