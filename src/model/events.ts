// The event model: what every parser produces and every analysis and view reads.
//
// A trace is a stream of events, one per completed system call (an `<unfinished ...>` line and
// its `<... resumed>` line become one call), signal delivery, task exit or task appearance.
// Events are emitted in the order the input shows them complete; each carries stamps that say
// where in the input it began and ended, so analyses can order events across threads when the
// log allows it (one `strace -f` file, or timestamps) and know when it does not (a PlashGlibc
// excerpt, or `-ff` files without timestamps).

/** A 1-based line of an input file. */
export interface SourceLine {
  file: string;
  line: number;
  /** Byte offset of the line's start in the file, for random access (absent for stdin pipes). */
  offset?: number;
}

/** A point in the trace. */
export interface Stamp {
  /**
   * Microseconds from an origin shared by every event of the trace: the time of day for
   * `-t`/`-tt`, the epoch for `-ttt`, the sum of deltas for `-r`, the monotonic clock for the
   * bpftrace collector. null when the log has no timestamps.
   */
  us: number | null;
  /** The time exactly as the log printed it (for display), or null. */
  text: string | null;
  /** The stream the event was read from: one per file, or per section of a nested log. */
  stream: number;
  /** Position within that stream (file order). Two stamps of one stream always compare. */
  seq: number;
  where: SourceLine;
}

/**
 * Orders two stamps: negative when `a` happened first, positive when `b` did, 0 for the same
 * point, null when the trace cannot tell (different streams without distinct timestamps).
 */
export function compareStamps(a: Stamp, b: Stamp): number | null {
  if (a.stream === b.stream) return a.seq - b.seq;
  if (a.us !== null && b.us !== null && a.us !== b.us) return a.us - b.us;
  return null;
}

/** What a call returned, as printed after ` = `. */
export interface SyscallResult {
  /** The text after `= ` without the duration: `0`, `-1 EAGAIN (Resource temporarily unavailable)`, `?`. */
  raw: string;
  /** The numeric value, or null for `?` (no return value: the task died or the call never returns). */
  value: number | null;
  /** The errno name (`EAGAIN`, `ETIMEDOUT`, `ERESTARTSYS`), or null on success. */
  errno: string | null;
}

export type FutexCommand =
  | 'WAIT'
  | 'WAKE'
  | 'FD'
  | 'REQUEUE'
  | 'CMP_REQUEUE'
  | 'WAKE_OP'
  | 'LOCK_PI'
  | 'UNLOCK_PI'
  | 'TRYLOCK_PI'
  | 'WAIT_BITSET'
  | 'WAKE_BITSET'
  | 'WAIT_REQUEUE_PI'
  | 'CMP_REQUEUE_PI'
  | 'LOCK_PI2'
  | 'UNKNOWN';

/** A decoded futex(2) call. */
export interface FutexCall {
  /** The futex word's address, lowercase hex with `0x`. */
  address: string;
  command: FutexCommand;
  /** FUTEX_PRIVATE_FLAG: the word is only shared by threads of one address space. */
  private: boolean;
  /** FUTEX_CLOCK_REALTIME. */
  clockRealtime: boolean;
  /** The op as a number (command | flags). */
  op: number;
  /** `val`: for waits the value the word must still hold, for wakes how many to wake. */
  value: number | null;
  /** A wait given a timeout (not NULL). */
  timed: boolean;
  /** uaddr2 of requeue and wake-op calls, lowercase hex. */
  address2: string | null;
}

export type CloneSyscall = 'clone' | 'clone2' | 'clone3' | 'fork' | 'vfork';

export interface CloneCall {
  syscall: CloneSyscall;
  /** Symbolic CLONE_* flags, or null when the log does not show them (e.g. `-X raw` clone3). */
  flags: string[] | null;
  /** `thread` with CLONE_THREAD, `process` otherwise, null when the flags are unknown. */
  creates: 'thread' | 'process' | null;
}

export interface WaitCall {
  syscall: 'wait4' | 'waitid' | 'waitpid';
  /** The pid argument as passed: >0 one child, -1 any, 0 or < -1 a process group. */
  pid: number | null;
  /** The status the call reported for the reaped child, when it did. */
  status: ExitStatus | null;
}

export interface ExecCall {
  path: string;
  /** The argv as printed (possibly truncated by `-s`), joined by spaces; null when not shown. */
  argv: string | null;
}

export type ExitStatus = { code: number } | { signal: string; coreDumped?: boolean };

export interface SyscallEvent {
  kind: 'syscall';
  tid: number;
  name: string;
  /** The argument text, the unfinished and resumed halves joined. */
  args: string;
  /** null when the call never completed within the trace (still blocked at the end, or killed in it). */
  result: SyscallResult | null;
  start: Stamp;
  /** The line that completed the call (the resumed line, or the start line), null if it never did. */
  end: Stamp | null;
  /** `-T` duration in microseconds. */
  durationUs: number | null;
  /** `-k` stack frames printed under the call, innermost first. */
  stack?: string[];
  futex?: FutexCall;
  clone?: CloneCall;
  wait?: WaitCall;
  exec?: ExecCall;
  /** exit/exit_group status argument. */
  exitCode?: number;
}

export interface SignalEvent {
  kind: 'signal';
  tid: number;
  signal: string;
  /** The text between the signal name and the closing `---`. */
  info: string;
  /** `--- stopped by SIGSTOP ---`: the task stopped (a group-stop), no signal delivered. */
  stopped?: boolean;
  at: Stamp;
}

/** `+++ exited with N +++`, `+++ killed by SIG +++`, `+++ superseded by execve in pid N +++`. */
export interface ExitEvent {
  kind: 'exit';
  tid: number;
  status: ExitStatus | null;
  /** For a thread replaced by another thread's execve: the pid that took over. */
  supersededBy?: number;
  at: Stamp;
}

/**
 * A task became known without a clone call in the log: a PlashGlibc section's `started pid N`,
 * strace's `Process N attached`, a bpftrace fork record.
 */
export interface TaskEvent {
  kind: 'task';
  tid: number;
  /** The task that created it, when the log says so. */
  creatorTid: number | null;
  /** A name for a creator whose tid the log never shows (e.g. `plash-root`), so siblings group. */
  creatorLabel?: string;
  /** What it is, when the source knows (bpftrace records the tgid). */
  tgid?: number;
  command?: string;
  at: Stamp;
}

/** A line that could not be read; the rest of the file still is. */
export interface WarningEvent {
  kind: 'warning';
  where: SourceLine;
  message: string;
}

export type TraceEvent = SyscallEvent | SignalEvent | ExitEvent | TaskEvent | WarningEvent;

/** Whether a completed call came back (a `= ?` result means the task died in it). */
export function returned(call: SyscallEvent): boolean {
  return call.result !== null && call.result.value !== null;
}

/**
 * Which futex calls a question wants from a trace: those of these threads on these words. Without
 * `around`, all of them; with it, a reader that can read parts of a trace may give only, for each
 * window, each thread's calls on the word from its `calls`-th last that ended before the fork to its
 * `calls`-th first that started after it (all of them when their order to the fork is unknown),
 * each in the order a whole read gives them.
 */
export interface FutexCallQuery {
  tids: ReadonlySet<number>;
  words: ReadonlySet<string>;
  around?: FutexCallWindow[];
}

/** The calls of some threads on one word around one fork. */
export interface FutexCallWindow {
  word: string;
  tids: ReadonlySet<number>;
  /** The fork's start and end (null: no fork seen, every call is wanted). */
  fork: { start: Stamp; end: Stamp } | null;
  /** How many calls of each thread are wanted on each side of the fork. */
  calls: number;
}
