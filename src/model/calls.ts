// Which system calls the analyses read more of than their name and whether they returned. A call
// of another name (or a read or poll that returned) only tells that its task exists and is not
// waiting in it; once its task has made one such call (and is no longer in a futex wait), more of
// them change nothing an analysis keeps, so a reader asked for the analysis's calls alone may leave
// their lines out.

import { FD_OP_NAMES, FD_WAIT_NAMES } from './fd.js';

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

/** Calls decoded into the event model or read by an analysis beyond their name and result. */
const CALLS_READ_IN_FULL: ReadonlySet<string> = new Set([
  'futex',
  'futex_time64',
  'restart_syscall',
  'clone',
  'clone2',
  'clone3',
  'fork',
  'vfork',
  'wait4',
  'waitpid',
  'waitid',
  'execve',
  'execveat',
  'exit',
  'exit_group',
  '_exit',
  'kill',
  'tkill',
  'tgkill',
  // What names a lock's memory: the files opened and mapped.
  'open',
  'openat',
  'mmap',
  'mmap2',
  'mprotect',
  ...FD_OP_NAMES,
  ...FD_WAIT_NAMES,
]);

/** Calls read in full only while they have not returned: what a thread waits in at the end (src/model/waits.ts). */
const READ_WHILE_PENDING: ReadonlySet<string> = new Set(FD_WAIT_NAMES);

/** Whether an analysis reads more of a call that returned than its name and result. */
export function readWhenReturned(name: string): boolean {
  return CALLS_READ_IN_FULL.has(name) && !READ_WHILE_PENDING.has(name);
}

/** Calls the second read (the holders' futex calls) reads. */
export const FUTEX_CALLS: ReadonlySet<string> = new Set(['futex', 'futex_time64']);
