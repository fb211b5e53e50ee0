/* A program that starts a daemon the classic way: fork, setsid() in the child (a new session and
 * process group, out of the program's), fork again and let the middle process exit, so the
 * daemon is re-parented to init. The daemon sleeps. With an argument the program then pauses too
 * (to be interrupted), else it exits at once. It prints the daemon's pid. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  (void)argv;
  int pipefd[2];
  if (pipe(pipefd) != 0) return 2;
  pid_t middle = fork();
  if (middle < 0) return 2;
  if (middle == 0) {
    setsid();
    pid_t daemon = fork();
    if (daemon == 0) {
      close(pipefd[0]);
      close(pipefd[1]);
      for (;;) pause();
    }
    if (write(pipefd[1], &daemon, sizeof daemon) != sizeof daemon) _exit(2);
    _exit(0);
  }
  close(pipefd[1]);
  pid_t daemon = 0;
  if (read(pipefd[0], &daemon, sizeof daemon) != sizeof daemon) return 2;
  waitpid(middle, NULL, 0);
  printf("daemon %d\n", (int)daemon);
  fflush(stdout);
  if (argc > 1) pause();
  return 0;
}
