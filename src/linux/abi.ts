// The Linux ABI in one place: numbers that the kernel hands out raw (in /proc, in bpftrace records)
// and strace would have named: signals, errnos, clone flags, wait statuses, waitid's id types, the
// syscall numbers of /proc/PID/task/TID/syscall, and the names of all system calls. Parsers, the
// /proc layer and the collectors all read them from here.
// References: asm-generic/signal.h, asm-generic/errno-base.h + errno.h, linux/sched.h, linux/wait.h,
// arch/x86/entry/syscalls/syscall_64.tbl, include/uapi/asm-generic/unistd.h (arm64).

import type { ExitStatus } from '../model/events.js';

const SIGNALS = [
  '', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1',
  'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP',
  'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];

/** `SIGKILL` for 9; real-time signals as strace names them (`SIGRT_2` for 34). */
export function signalName(signal: number): string {
  if (signal > 0 && signal < SIGNALS.length) return SIGNALS[signal]!;
  if (signal >= 32 && signal <= 64) return `SIGRT_${signal - 32}`;
  return `SIG${signal}`;
}

const ERRNOS = [
  '', 'EPERM', 'ENOENT', 'ESRCH', 'EINTR', 'EIO', 'ENXIO', 'E2BIG', 'ENOEXEC', 'EBADF', 'ECHILD', 'EAGAIN', 'ENOMEM',
  'EACCES', 'EFAULT', 'ENOTBLK', 'EBUSY', 'EEXIST', 'EXDEV', 'ENODEV', 'ENOTDIR', 'EISDIR', 'EINVAL', 'ENFILE',
  'EMFILE', 'ENOTTY', 'ETXTBSY', 'EFBIG', 'ENOSPC', 'ESPIPE', 'EROFS', 'EMLINK', 'EPIPE', 'EDOM', 'ERANGE', 'EDEADLK',
  'ENAMETOOLONG', 'ENOLCK', 'ENOSYS', 'ENOTEMPTY', 'ELOOP', '', 'ENOMSG', 'EIDRM',
];
/** The errnos above the table that a futex, wait or clone call can return. */
const MORE_ERRNOS: Record<number, string> = {
  110: 'ETIMEDOUT',
  130: 'EOWNERDEAD',
  131: 'ENOTRECOVERABLE',
  // Kernel-internal: a call interrupted by a signal, restarted or failed with EINTR in user space.
  512: 'ERESTARTSYS',
  513: 'ERESTARTNOINTR',
  514: 'ERESTARTNOHAND',
  516: 'ERESTART_RESTARTBLOCK',
};

export function errnoName(errno: number): string {
  return ERRNOS[errno] || MORE_ERRNOS[errno] || `E${errno}`;
}

/** The ERESTART* family: strace shows these calls as `= ? ERESTARTSYS (...)`, with no return value. */
export function isRestartErrno(errno: number): boolean {
  return errno >= 512 && errno <= 516;
}

const CLONE_FLAGS: [number, string][] = [
  [0x100, 'CLONE_VM'],
  [0x200, 'CLONE_FS'],
  [0x400, 'CLONE_FILES'],
  [0x800, 'CLONE_SIGHAND'],
  [0x1000, 'CLONE_PIDFD'],
  [0x2000, 'CLONE_PTRACE'],
  [0x4000, 'CLONE_VFORK'],
  [0x8000, 'CLONE_PARENT'],
  [0x10000, 'CLONE_THREAD'],
  [0x20000, 'CLONE_NEWNS'],
  [0x40000, 'CLONE_SYSVSEM'],
  [0x80000, 'CLONE_SETTLS'],
  [0x100000, 'CLONE_PARENT_SETTID'],
  [0x200000, 'CLONE_CHILD_CLEARTID'],
  [0x400000, 'CLONE_DETACHED'],
  [0x800000, 'CLONE_UNTRACED'],
  [0x1000000, 'CLONE_CHILD_SETTID'],
  [0x2000000, 'CLONE_NEWCGROUP'],
  [0x4000000, 'CLONE_NEWUTS'],
  [0x8000000, 'CLONE_NEWIPC'],
  [0x10000000, 'CLONE_NEWUSER'],
  [0x20000000, 'CLONE_NEWPID'],
  [0x40000000, 'CLONE_NEWNET'],
  [0x80000000, 'CLONE_IO'],
  [0x100000000, 'CLONE_CLEAR_SIGHAND'],
  [0x200000000, 'CLONE_INTO_CGROUP'],
];
export const CLONE_THREAD = 0x10000;

/** The highest pid_max the kernel accepts on 64-bit (PID_MAX_LIMIT, include/linux/threads.h): no TID is larger. */
export const PID_MAX_LIMIT = 4 * 1024 * 1024;

/** Clone flags by name as strace prints them, the exit signal (low byte) last: `CLONE_VM|...|SIGCHLD`. */
export function cloneFlagNames(flags: bigint): string[] {
  const names = CLONE_FLAGS.filter(([bit]) => (flags & BigInt(bit)) !== 0n).map(([, name]) => name);
  const known = CLONE_FLAGS.reduce((all, [bit]) => all | BigInt(bit), 0xffn);
  const unknown = flags & ~known;
  if (unknown !== 0n) names.push(`0x${unknown.toString(16)}`);
  const exitSignal = Number(flags & 0xffn);
  if (exitSignal !== 0) names.push(signalName(exitSignal));
  return names;
}

/**
 * Every Linux system call name strace can print, of x86_64, i386 and the generic table: a call
 * name outside it is no system call (ltrace prints library functions in the same syntax).
 */
const SYSCALL_NAMES = new Set(
  [
    // x86_64 (arch/x86/entry/syscalls/syscall_64.tbl, Linux 6.1)
    'read write open close stat fstat lstat poll lseek mmap mprotect munmap brk rt_sigaction rt_sigprocmask',
    'rt_sigreturn ioctl pread64 pwrite64 readv writev access pipe select sched_yield mremap msync mincore madvise',
    'shmget shmat shmctl dup dup2 pause nanosleep getitimer alarm setitimer getpid sendfile socket connect accept',
    'sendto recvfrom sendmsg recvmsg shutdown bind listen getsockname getpeername socketpair setsockopt getsockopt',
    'clone fork vfork execve exit wait4 kill uname semget semop semctl shmdt msgget msgsnd msgrcv msgctl fcntl flock',
    'fsync fdatasync truncate ftruncate getdents getcwd chdir fchdir rename mkdir rmdir creat link unlink symlink',
    'readlink chmod fchmod chown fchown lchown umask gettimeofday getrlimit getrusage sysinfo times ptrace getuid',
    'syslog getgid setuid setgid geteuid getegid setpgid getppid getpgrp setsid setreuid setregid getgroups setgroups',
    'setresuid getresuid setresgid getresgid getpgid setfsuid setfsgid getsid capget capset rt_sigpending',
    'rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend sigaltstack utime mknod uselib personality ustat statfs fstatfs',
    'sysfs getpriority setpriority sched_setparam sched_getparam sched_setscheduler sched_getscheduler',
    'sched_get_priority_max sched_get_priority_min sched_rr_get_interval mlock munlock mlockall munlockall vhangup',
    'modify_ldt pivot_root _sysctl prctl arch_prctl adjtimex setrlimit chroot sync acct settimeofday mount umount2',
    'swapon swapoff reboot sethostname setdomainname iopl ioperm create_module init_module delete_module',
    'get_kernel_syms query_module quotactl nfsservctl getpmsg putpmsg afs_syscall tuxcall security gettid readahead',
    'setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr llistxattr flistxattr removexattr',
    'lremovexattr fremovexattr tkill time futex sched_setaffinity sched_getaffinity set_thread_area io_setup',
    'io_destroy io_getevents io_submit io_cancel get_thread_area lookup_dcookie epoll_create epoll_ctl_old',
    'epoll_wait_old remap_file_pages getdents64 set_tid_address restart_syscall semtimedop fadvise64 timer_create',
    'timer_settime timer_gettime timer_getoverrun timer_delete clock_settime clock_gettime clock_getres',
    'clock_nanosleep exit_group epoll_wait epoll_ctl tgkill utimes vserver mbind set_mempolicy get_mempolicy mq_open',
    'mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr kexec_load waitid add_key request_key keyctl',
    'ioprio_set ioprio_get inotify_init inotify_add_watch inotify_rm_watch migrate_pages openat mkdirat mknodat',
    'fchownat futimesat newfstatat unlinkat renameat linkat symlinkat readlinkat fchmodat faccessat pselect6 ppoll',
    'unshare set_robust_list get_robust_list splice tee sync_file_range vmsplice move_pages utimensat epoll_pwait',
    'signalfd timerfd_create eventfd fallocate timerfd_settime timerfd_gettime accept4 signalfd4 eventfd2',
    'epoll_create1 dup3 pipe2 inotify_init1 preadv pwritev rt_tgsigqueueinfo perf_event_open recvmmsg fanotify_init',
    'fanotify_mark prlimit64 name_to_handle_at open_by_handle_at clock_adjtime syncfs sendmmsg setns getcpu',
    'process_vm_readv process_vm_writev kcmp finit_module sched_setattr sched_getattr renameat2 seccomp getrandom',
    'memfd_create kexec_file_load bpf execveat userfaultfd membarrier mlock2 copy_file_range preadv2 pwritev2',
    'pkey_mprotect pkey_alloc pkey_free statx io_pgetevents rseq pidfd_send_signal io_uring_setup io_uring_enter',
    'io_uring_register open_tree move_mount fsopen fsconfig fsmount fspick pidfd_open clone3 close_range openat2',
    'pidfd_getfd faccessat2 process_madvise epoll_pwait2 mount_setattr quotactl_fd landlock_create_ruleset',
    'landlock_add_rule landlock_restrict_self memfd_secret process_mrelease futex_waitv set_mempolicy_home_node',
    // i386's own (syscall_32.tbl): 32-bit programs and old logs
    'waitpid break oldstat umount stime oldfstat stty gtty nice ftime prof signal lock mpx ulimit oldolduname',
    'sigaction sgetmask ssetmask sigsuspend sigpending oldlstat readdir profil socketcall olduname idle vm86old ipc',
    'sigreturn sigprocmask bdflush _llseek _newselect vm86 ugetrlimit mmap2 truncate64 ftruncate64 stat64 lstat64',
    'fstat64 lchown32 getuid32 getgid32 geteuid32 getegid32 setreuid32 setregid32 getgroups32 setgroups32 fchown32',
    'setresuid32 getresuid32 setresgid32 getresgid32 chown32 setuid32 setgid32 setfsuid32 setfsgid32 fcntl64',
    'sendfile64 statfs64 fstatfs64 fadvise64_64 fstatat64 clock_gettime64 clock_settime64 clock_adjtime64',
    'clock_getres_time64 clock_nanosleep_time64 timer_gettime64 timer_settime64 timerfd_gettime64 timerfd_settime64',
    'utimensat_time64 pselect6_time64 ppoll_time64 io_pgetevents_time64 recvmmsg_time64 mq_timedsend_time64',
    'mq_timedreceive_time64 semtimedop_time64 rt_sigtimedwait_time64 futex_time64 sched_rr_get_interval_time64',
    // asm-generic/unistd.h's own (arm64, riscv)
    'fstatat sync_file_range2 llseek',
    // added after Linux 6.1 (6.5 to 6.15)
    'cachestat fchmodat2 map_shadow_stack futex_wake futex_wait futex_requeue statmount listmount lsm_get_self_attr',
    'lsm_set_self_attr lsm_list_modules mseal setxattrat getxattrat listxattrat removexattrat open_tree_attr',
    // as strace 4.x named exit
    '_exit',
  ].flatMap((names) => names.split(' ')),
);

/** Calls that only pass time: a thread in one waits for no other thread and no input. */
const SLEEP_CALLS = new Set(['nanosleep', 'clock_nanosleep', 'clock_nanosleep_time64', 'pause']);

export function isSleepCall(name: string): boolean {
  return SLEEP_CALLS.has(name);
}

/** Whether strace could print `name(...)`: a Linux system call, or one it names by number (`syscall_0x1c2`). */
export function isSyscallName(name: string): boolean {
  return SYSCALL_NAMES.has(name) || name.startsWith('syscall_');
}

/** The syscalls /proc/PID/task/TID/syscall can show that forkscope reasons about, per architecture. */
const SYSCALL_NUMBERS: Record<string, Record<number, string>> = {
  x64: {
    0: 'read', 7: 'poll', 19: 'readv', 23: 'select', 34: 'pause', 35: 'nanosleep', 45: 'recvfrom', 47: 'recvmsg',
    56: 'clone', 57: 'fork', 58: 'vfork',
    59: 'execve', 60: 'exit', 61: 'wait4', 128: 'rt_sigtimedwait', 130: 'rt_sigsuspend', 202: 'futex',
    219: 'restart_syscall', 230: 'clock_nanosleep', 231: 'exit_group', 232: 'epoll_wait', 247: 'waitid', 270: 'pselect6', 271: 'ppoll',
    281: 'epoll_pwait', 435: 'clone3',
  },
  arm64: {
    22: 'epoll_pwait', 63: 'read', 65: 'readv', 72: 'pselect6', 73: 'ppoll', 93: 'exit', 94: 'exit_group', 95: 'waitid',
    98: 'futex', 101: 'nanosleep', 115: 'clock_nanosleep', 128: 'restart_syscall', 133: 'rt_sigsuspend', 137: 'rt_sigtimedwait',
    207: 'recvfrom', 212: 'recvmsg', 220: 'clone', 221: 'execve', 260: 'wait4', 435: 'clone3',
  },
};

/** The name of syscall `nr` on this machine's architecture, or `syscall_NR` when not in the table. */
export function syscallName(nr: number, arch: string = process.arch): string {
  return SYSCALL_NUMBERS[arch]?.[nr] ?? `syscall_${nr}`;
}

/** A wait(2) status word (also bpftrace's task exit_code): exited with a code or killed by a signal. */
export function decodeWaitStatus(status: number): ExitStatus | null {
  const signal = status & 0x7f;
  if (signal === 0) return { code: (status >> 8) & 0xff };
  if (signal === 0x7f) return null; // stopped, not ended
  return status & 0x80 ? { signal: signalName(signal), coreDumped: true } : { signal: signalName(signal) };
}

/** waitid(2)'s idtype argument by number (linux/wait.h). */
export const WAITID_ID_TYPES = ['P_ALL', 'P_PID', 'P_PGID', 'P_PIDFD'] as const;

/**
 * What a waitid(idtype, id) waits for, as wait4's pid argument says it: -1 any child (P_ALL), the
 * pid (P_PID), minus the group (P_PGID; 0 is the caller's own group); null for a pidfd or unknown.
 */
export function waitidTarget(idType: number | null, id: number | null): number | null {
  switch (idType) {
    case 0:
      return -1;
    case 1:
      return id;
    case 2:
      return id === null ? null : -id;
    default:
      return null;
  }
}
