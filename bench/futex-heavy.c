// Futex-heavy load for bench/overhead.ts: THREADS threads each make CALLS FUTEX_WAKE_PRIVATE
// syscalls on their own word. Nobody waits, so each call is a real but uncontended syscall:
// the cost a tracer adds per futex call, with no scheduling noise.
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { THREADS = 2 };
static long calls = 1000000;
static int words[THREADS];

static void *wake_loop(void *arg) {
  int *word = arg;
  for (long i = 0; i < calls; i++) syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1) calls = atol(argv[1]);
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, wake_loop, &words[i]);
  for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
  return 0;
}
