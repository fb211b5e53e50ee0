/*
 * A pipe held open by a forked sibling: main makes a job pipe and forks two workers that read jobs
 * until end of file. The first closes its copy of the write end; the second inherited it too and
 * never closes it. Main writes one job, closes its write end and waits for the workers. End of
 * file never comes: the second worker still holds the write end, so both workers block in read()
 * forever and main in wait4. Main prints the pipe's fds and the workers' pids.
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
    close(fds[1]); /* this worker closes the write end it inherited */
    work(fds[0]);
  }
  pid_t sibling = fork();
  if (sibling == 0) work(fds[0]); /* this one forgets to: it holds fds[1] open */
  printf("pipe read fd %d write fd %d; reader %d, sibling %d\n", fds[0], fds[1], reader, sibling);
  fflush(stdout);
  usleep(100 * 1000); /* both workers wait in read() first */
  const char job[] = "job 1\n";
  if (write(fds[1], job, strlen(job)) < 0) return 1;
  close(fds[1]);
  close(fds[0]);
  while (wait(NULL) > 0) {
  }
  return 0;
}
