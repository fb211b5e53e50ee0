/*
 * A program that hangs after fork() (a thread holds a mutex at the fork, as in
 * c-mutex-held-at-fork) and whose bytes try to drive the terminal of whoever examines it: it is
 * meant to be run from an executable whose name, and with arguments that, hold terminal escapes
 * (OSC 0 sets the window title, OSC 52 writes the clipboard, a raw 0x9b byte is CSI), and it
 * opens each argument as a file name, so the escapes are in its trace too. forkscope must show
 * them, never send them to a terminal.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

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
  pthread_mutex_lock(&lock); /* waits in FUTEX_WAIT across the fork: the holder is proved */
  pthread_mutex_unlock(&lock);
  return NULL;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY); /* no such file: only the name matters */
    if (fd >= 0) close(fd);
  }
  pthread_t t1, t2;
  pthread_create(&t1, NULL, holder, NULL);
  usleep(10 * 1000);
  pthread_create(&t2, NULL, contender, NULL);
  usleep(100 * 1000);
  pid_t child = fork();
  if (child == 0) {
    pthread_mutex_lock(&lock); /* inherited locked: never returns */
    pthread_mutex_unlock(&lock);
    _exit(0);
  }
  int status;
  waitpid(child, &status, 0); /* waits forever for the hung child */
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  return 0;
}
