// Pass 1 of the analysis: which threads end the trace blocked forever on a futex word.
//
// A thread is blocked forever on word A when its last futex call on A is a wait that never returns
// (still unfinished when the trace ends, or the task was killed inside it), or when it keeps
// retrying a timed wait on A that only ever times out. A signal that interrupts the wait does not
// end it: the kernel resumes it (the same futex call again, or restart_syscall for a timed wait),
// or glibc calls again on EINTR. A child that inherited a PI mutex locked does not block: its
// FUTEX_LOCK_PI fails and glibc aborts it; that thread is reported too. State is kept per thread and per word woken, so memory grows with
// threads and locks, never with the length of the log.

import { compareStamps, returned } from '../model/events.js';
import type { FutexCall, Stamp, SyscallEvent, TraceEvent } from '../model/events.js';
import { CALLS_WHILE_RETRYING } from '../model/calls.js';
import { isFutexWait, isFutexWake } from '../model/futex.js';
import type { Process, Task, TaskTree } from '../model/tree.js';

export interface BlockedWait {
  address: string;
  /** The futex call that began the run, decoded (`first` may not be a futex call's text alone). */
  futex: FutexCall;
  /** The first wait of the run: when the thread became blocked. */
  first: SyscallEvent;
  /** The last wait of the run (the one still pending, or the last timeout): a futex call or the restart_syscall resuming one. */
  last: SyscallEvent;
  /** How many waits of the run timed out. */
  timeouts: number;
  /** The last wait never returned. */
  pending: boolean;
}

interface Wake {
  at: Stamp;
  private: boolean;
}

/**
 * A thread of a forked child blocked forever on a word nothing in its reach wakes, or aborted when
 * its FUTEX_LOCK_PI on a word failed (`wait` then holds that one call).
 */
export interface HangCandidate {
  task: Task;
  child: Process;
  parent: Process;
  wait: BlockedWait;
  outcome: 'blocked' | 'aborted';
}

export class BlockWatcher {
  private readonly blocked = new Map<Task, BlockedWait>();
  private readonly lastCall = new Map<Task, SyscallEvent>();
  /** The last wake of each word by each task, by word. */
  private readonly lastWake = new Map<string, Map<Task, Wake>>();
  /**
   * A FUTEX_LOCK_PI that failed with EPERM: the kernel refuses a PI word whose owner TID is a thread
   * of another process (the parent's holder, in a child that inherited the mutex locked), and glibc
   * aborts. Kept until the task locks the word after all, or ends; a task killed then is aborted.
   */
  private readonly failedPiLock = new Map<Task, SyscallEvent>();
  private readonly aborted = new Map<Task, SyscallEvent>();

  constructor(private readonly tree: TaskTree) {}

  /** Observe an event after the tree has. */
  observe(event: TraceEvent): void {
    if (event.kind === 'warning' || event.kind === 'signal' || event.kind === 'task') return;
    const task = this.tree.task(event.tid);
    if (!task) return;
    if (event.kind === 'exit') {
      // A thread that exits normally was not stuck; one killed inside its wait still was.
      if (event.status && 'code' in event.status) {
        this.blocked.delete(task);
        this.lastCall.delete(task);
      }
      const failed = this.failedPiLock.get(task);
      if (failed && event.status && 'signal' in event.status) this.aborted.set(task, failed);
      this.failedPiLock.delete(task);
      return;
    }
    const previous = this.lastCall.get(task);
    const wait = this.blocked.get(task);
    if (event.futex) this.observeFutex(task, event);
    // restart_syscall resumes the call the thread was interrupted in: here, its wait.
    else if (event.name === 'restart_syscall' && wait && previous === wait.last) this.observeWait(task, wait.futex, event, wait);
    else if (wait && !CALLS_WHILE_RETRYING.has(event.name)) this.blocked.delete(task);
    // Kept only while it matters (a million tasks that ran and exited keep nothing): a call that
    // never returned is what the thread sits in at the end, and a blocked thread's last call says
    // whether a restart_syscall resumes its wait.
    if (!returned(event) || this.blocked.has(task)) this.lastCall.set(task, event);
    else this.lastCall.delete(task);
  }

  /**
   * What a thread sits in at the end: its last call when that never returned (or, while the thread
   * is blocked, its last call). Undefined for a thread whose last call returned or that exited.
   */
  lastCallOf(task: Task): SyscallEvent | undefined {
    return this.lastCall.get(task);
  }

  blockedWaitOf(task: Task): BlockedWait | undefined {
    return this.blocked.get(task);
  }

  /** Threads of forked children blocked on a word that no thread able to reach it woke afterwards. */
  candidates(): HangCandidate[] {
    const found: HangCandidate[] = [];
    for (const [task, wait] of this.blocked) {
      const child = task.process;
      if (!child?.parent) continue;
      if (this.wokenAfter(task, child, wait)) continue;
      found.push({ task, child, parent: child.parent, wait, outcome: 'blocked' });
    }
    for (const [task, call] of this.aborted) {
      const child = task.process;
      if (!child?.parent || this.blocked.has(task)) continue;
      const wait: BlockedWait = { address: call.futex!.address, futex: call.futex!, first: call, last: call, timeouts: 0, pending: false };
      found.push({ task, child, parent: child.parent, wait, outcome: 'aborted' });
    }
    return found.sort((a, b) => (a.child.pid ?? 0) - (b.child.pid ?? 0) || a.task.tid - b.task.tid);
  }

  private observeFutex(task: Task, call: SyscallEvent): void {
    const futex = call.futex!;
    const current = this.blocked.get(task);
    if (isPiLock(futex.command)) {
      if (call.result?.errno === 'EPERM') this.failedPiLock.set(task, call);
      else if (returned(call) && call.result!.errno === null && this.failedPiLock.get(task)?.futex!.address === futex.address) this.failedPiLock.delete(task);
    }
    if (isFutexWait(futex.command)) {
      const continues = current?.address === futex.address && (current.timeouts > 0 || interrupted(current.last));
      this.observeWait(task, futex, call, continues ? current : undefined);
    } else if (isFutexWake(futex.command)) {
      let wakes = this.lastWake.get(futex.address);
      if (!wakes) this.lastWake.set(futex.address, (wakes = new Map()));
      wakes.set(task, { at: call.start, private: futex.private });
      if (current?.address === futex.address) this.blocked.delete(task);
    }
  }

  /**
   * A wait on `futex`'s word: a futex call, or the restart_syscall resuming one. `run` is the run of
   * waits it continues (the last one timed out or was interrupted, or this call resumes it).
   */
  private observeWait(task: Task, futex: FutexCall, call: SyscallEvent, run: BlockedWait | undefined): void {
    const address = futex.address;
    if (!returned(call)) {
      this.blocked.set(task, {
        address,
        futex: run ? run.futex : futex,
        first: run ? run.first : call,
        last: call,
        timeouts: run ? run.timeouts : 0,
        pending: true,
      });
    } else if (call.result!.errno === 'ETIMEDOUT') {
      if (run) {
        run.last = call;
        run.timeouts++;
        run.pending = false;
      } else {
        this.blocked.set(task, { address, futex, first: call, last: call, timeouts: 1, pending: false });
      }
    } else {
      this.blocked.delete(task);
    }
  }

  /**
   * Whether something that can reach the word woke it after the wait began (or the trace cannot
   * tell): another thread of the same process, or for a process-shared word any other task.
   */
  private wokenAfter(task: Task, child: Process, wait: BlockedWait): boolean {
    const since = wait.first.start;
    const shared = !wait.futex.private;
    for (const [waker, wake] of this.lastWake.get(wait.address) ?? []) {
      if (waker === task) continue;
      const sameProcess = waker.process === child;
      if (!sameProcess && !(shared && !wake.private)) continue;
      const order = compareStamps(wake.at, since);
      if (order === null || order > 0) return true;
    }
    return false;
  }
}

function isPiLock(command: FutexCall['command']): boolean {
  return command === 'LOCK_PI' || command === 'LOCK_PI2';
}

/** A call a signal interrupted (`= ? ERESTARTSYS`, `ERESTART_RESTARTBLOCK`, ...): the kernel resumes it. */
function interrupted(call: SyscallEvent): boolean {
  return call.result?.errno?.startsWith('ERESTART') ?? false;
}
