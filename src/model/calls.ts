// Groups of system calls by what they mean to a waiting thread.

/**
 * Calls a thread makes while retrying a timed wait or resuming an interrupted one (leaving the
 * signal handler, restarting); anything else means it moved on.
 */
export const CALLS_WHILE_RETRYING: ReadonlySet<string> = new Set([
  'futex',
  'rt_sigreturn',
  'sigreturn',
  'restart_syscall',
  'clock_gettime',
  'clock_gettime64',
  'gettimeofday',
  'time',
  'nanosleep',
  'clock_nanosleep',
  'sched_yield',
]);

/** Calls the second read (the holders' futex calls) reads. */
export const FUTEX_CALLS: ReadonlySet<string> = new Set(['futex', 'futex_time64']);
