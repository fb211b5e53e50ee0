// The Linux ABI in one place: numbers that the kernel hands out raw (in /proc, in bpftrace records)
// and strace would have named: signals, errnos, clone flags, wait statuses, waitid's id types, and
// the syscall numbers of /proc/PID/task/TID/syscall. Parsers, the /proc layer and the collectors
// all read them from here.
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

/** The syscalls /proc/PID/task/TID/syscall can show that forkscope reasons about, per architecture. */
const SYSCALL_NUMBERS: Record<string, Record<number, string>> = {
  x64: {
    0: 'read', 7: 'poll', 23: 'select', 34: 'pause', 35: 'nanosleep', 56: 'clone', 57: 'fork', 58: 'vfork',
    59: 'execve', 60: 'exit', 61: 'wait4', 128: 'rt_sigtimedwait', 130: 'rt_sigsuspend', 202: 'futex',
    219: 'restart_syscall', 230: 'clock_nanosleep', 231: 'exit_group', 232: 'epoll_wait', 247: 'waitid', 270: 'pselect6', 271: 'ppoll',
    281: 'epoll_pwait', 435: 'clone3',
  },
  arm64: {
    22: 'epoll_pwait', 63: 'read', 72: 'pselect6', 73: 'ppoll', 93: 'exit', 94: 'exit_group', 95: 'waitid',
    98: 'futex', 101: 'nanosleep', 115: 'clock_nanosleep', 128: 'restart_syscall', 133: 'rt_sigsuspend', 137: 'rt_sigtimedwait',
    220: 'clone', 221: 'execve', 260: 'wait4', 435: 'clone3',
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
