/*
 * A daemon that logs from a monitor thread with syslog(3) and forks short-lived workers that log
 * too. syslog takes glibc's internal syslog_lock (a bare lock word, no owner field), which glibc
 * does not reset in a forked child: a fork while the monitor is inside syslog gives a child whose
 * own syslog blocks forever in futex(&syslog_lock, FUTEX_WAIT_PRIVATE, 2, NULL). Nothing
 * synchronises the two threads: the program forks until that happens (a few hundred forks here).
 * Prints the monitor's TID and each worker's pid before it logs; the last pid printed is the hung
 * child.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

static void *monitor(void *arg) {
    (void)arg;
    printf("monitor %ld\n", (long)syscall(SYS_gettid));
    fflush(stdout);
    for (unsigned depth = 0;; depth++) syslog(LOG_INFO, "monitor: queue depth %u", depth % 100);
    return NULL;
}

int main(void) {
    openlog("syslog-lock", LOG_PID, LOG_DAEMON);
    printf("main %ld\n", (long)getpid());
    fflush(stdout);
    pthread_t thread;
    pthread_create(&thread, NULL, monitor, NULL);
    for (;;) {
        pid_t pid = fork();
        if (pid == 0) {
            printf("child %ld\n", (long)getpid());
            fflush(stdout);
            syslog(LOG_INFO, "worker %ld started", (long)getpid());
            _exit(0);
        }
        waitpid(pid, NULL, 0);
    }
}
