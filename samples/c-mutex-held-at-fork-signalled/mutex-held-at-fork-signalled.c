/*
 * c-mutex-held-at-fork's program, with the hung child signalled: a thread holds a pthread mutex
 * while main forks, so the child inherits it locked and blocks forever when it locks it. Main then
 * sends the child a SIGUSR1 it handles (with SA_RESTART), a SIGSTOP and a SIGCONT, each of which
 * interrupts the child's wait; the wait goes on every time, so the child stays blocked.
 *
 * `timedlock` makes the child lock with pthread_mutex_timedlock and a deadline an hour away: after
 * the handler the futex call fails with EINTR and glibc issues it again; after SIGCONT the kernel
 * resumes it through restart_syscall. Without it (pthread_mutex_lock, no timeout) the kernel
 * issues the same futex call again both times.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void on_usr1(int sig) { (void)sig; }

static void *holder(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  usleep(400 * 1000); /* the fork happens while we sleep here */
  pthread_mutex_unlock(&lock);
  return NULL;
}

static void *contender(void *arg) {
  (void)arg;
  usleep(50 * 1000);
  pthread_mutex_lock(&lock); /* waits in FUTEX_WAIT across the fork */
  pthread_mutex_unlock(&lock);
  return NULL;
}

int main(int argc, char **argv) {
  int timed = argc > 1 && strcmp(argv[1], "timedlock") == 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL); /* the child inherits the handler */
  pthread_t t1, t2;
  pthread_create(&t1, NULL, holder, NULL);
  usleep(10 * 1000);
  pthread_create(&t2, NULL, contender, NULL);
  usleep(100 * 1000);
  pid_t child = fork();
  if (child == 0) {
    if (timed) {
      struct timespec deadline;
      clock_gettime(CLOCK_REALTIME, &deadline);
      deadline.tv_sec += 3600;
      pthread_mutex_timedlock(&lock, &deadline); /* inherited locked: does not return within the trace */
    } else {
      pthread_mutex_lock(&lock); /* inherited locked: never returns */
    }
    pthread_mutex_unlock(&lock);
    _exit(0);
  }
  usleep(200 * 1000);
  kill(child, SIGUSR1); /* handled: the child's wait restarts after the handler returns */
  usleep(100 * 1000);
  kill(child, SIGSTOP);
  usleep(100 * 1000);
  kill(child, SIGCONT); /* the child resumes its wait */
  int status;
  waitpid(child, &status, 0); /* waits forever for the hung child */
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  return 0;
}
