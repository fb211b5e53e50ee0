/*
 * The healthy twin of c-pipe-held-open: both workers close their copies of the write end, so once
 * main writes its job and closes its own, every reader gets end of file and exits 0.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void work(int jobs) {
  char buffer[64];
  while (read(jobs, buffer, sizeof buffer) > 0) {
  }
  _exit(0);
}

int main(void) {
  int fds[2];
  if (pipe(fds) != 0) return 1;
  pid_t reader = fork();
  if (reader == 0) {
    close(fds[1]);
    work(fds[0]);
  }
  pid_t sibling = fork();
  if (sibling == 0) {
    close(fds[1]);
    work(fds[0]);
  }
  printf("pipe read fd %d write fd %d; reader %d, sibling %d\n", fds[0], fds[1], reader, sibling);
  fflush(stdout);
  usleep(100 * 1000); /* both readers wait in read() first */
  const char job[] = "job 1\n";
  if (write(fds[1], job, strlen(job)) < 0) return 1;
  close(fds[1]);
  close(fds[0]);
  while (wait(NULL) > 0) {
  }
  return 0;
}
