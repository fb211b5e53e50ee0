// Fork-heavy load for bench/overhead.ts: forks CHILDREN children one after another, each exits at
// once and is reaped with waitpid: the cost a tracer adds per process created.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long children = argc > 1 ? atol(argv[1]) : 2000;
  for (long i = 0; i < children; i++) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    if (pid < 0) return 1;
    waitpid(pid, NULL, 0);
  }
  return 0;
}
