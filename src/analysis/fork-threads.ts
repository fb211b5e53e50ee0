// Pass 1, alongside the others: which threads of a process were alive when one of its threads
// forked, and which call each was inside at that moment.
//
// Only a thread alive at the fork can have held a lock the child inherited locked: created before
// the fork's clone (or there from the start) and not exited yet. A holder that takes a free lock
// makes no system call, so what it was doing at the fork (sleeping in clock_nanosleep, blocked in a
// read) is often the only trace it leaves. Threads are grouped into processes as they appear (a
// CLONE_THREAD clone joins its creator's group, a tgid the source knows joins that task's); the
// tree's own grouping is only known at the end. Memory: one last call per live task and, per fork
// whose child has not ended normally, one entry per other thread of the forking process.

import { compareStamps } from '../model/events.js';
import type { Stamp, SyscallEvent, TraceEvent } from '../model/events.js';
import type { Process, Task, TaskTree } from '../model/tree.js';

export interface ForkThread {
  task: Task;
  /**
   * The call it was inside at the fork (started before, returned after or never), null when it was
   * in no call (running its own code), undefined until its next call tells.
   */
  doing: SyscallEvent | null | undefined;
  /** The stream its events come from, once it has any. */
  stream: number | undefined;
}

/** A process's threads at one of its forks. */
export interface ForkSnapshot {
  fork: SyscallEvent;
  forker: Task;
  /** The other threads of the forking process alive at the fork. */
  threads: ForkThread[];
  /**
   * Whether the trace orders these threads' events against the fork: one strace -f file (file
   * order), or timestamps. Without order (-ff files without timestamps, PlashGlibc sections) which
   * threads were alive at the fork, and what they did, cannot be told. Known at the end.
   */
  ordered: boolean;
  /**
   * Whether every thread of the process joined it through a call the trace shows (a clone, a known
   * tgid), so the snapshot knows them all. Tasks strace attached to, or sections of a nested log,
   * are only grouped at the end (src/model/tree.ts), too late for what they did at the fork.
   */
  complete: boolean;
}

export class ForkThreads {
  /** The live tasks of each task's process, as far as the events so far show it. */
  private readonly groups = new Map<Task, Set<Task>>();
  /** Each live task's last call, and the stream its events come from. */
  private readonly lastCall = new Map<Task, SyscallEvent>();
  private readonly streams = new Map<Task, number>();
  /** Entries waiting for their thread's next call to say what it was doing at a fork. */
  private readonly undecided = new Map<Task, Undecided[]>();
  /** By the forked child's first task. */
  private readonly snapshots = new Map<Task, ForkSnapshot>();

  constructor(private readonly tree: TaskTree) {}

  /** Observe an event after the tree has. */
  observe(event: TraceEvent): void {
    if (event.kind === 'warning') return;
    const task = this.tree.task(event.tid);
    if (!task) return;
    const stream = event.kind === 'syscall' ? event.start.stream : event.at.stream;
    if (!this.streams.has(task)) this.streams.set(task, stream);
    for (const { entry } of this.undecided.get(task) ?? []) entry.stream ??= stream;
    switch (event.kind) {
      case 'syscall':
        this.observeCall(task, event);
        break;
      case 'exit':
        this.observeExit(task, event.status !== null && 'code' in event.status, event.supersededBy);
        break;
      case 'task':
        if (event.tgid !== undefined && event.tgid !== event.tid) {
          const leader = this.tree.task(event.tgid);
          if (leader) this.join(task, leader);
        }
        break;
      case 'signal':
        break;
    }
  }

  /** The threads of a forked child's parent at its fork (undefined: not kept, or the fork not seen); after the tree's finish. */
  snapshotOf(child: Process): ForkSnapshot | undefined {
    const first = child.threads.find((t) => t.creation !== null && t.creation === child.forkCall);
    const snapshot = first && this.snapshots.get(first);
    if (!snapshot || !child.parent) return snapshot;
    // A thread with no event at all has nothing to order.
    const { fork } = snapshot;
    const ordered = fork.start.us !== null || snapshot.threads.every((t) => t.stream === undefined || t.stream === fork.start.stream);
    // Besides the one thread a process can start from, each must have joined it through its creation.
    const unseenJoins = child.parent.threads.filter((t) => t.creation === null && t.tgid === null).length;
    return { ...snapshot, ordered, complete: unseenJoins <= 1 };
  }

  private observeCall(task: Task, call: SyscallEvent): void {
    const waiting = this.undecided.get(task);
    if (waiting) {
      const still = waiting.filter(({ entry, fork }) => !decide(entry, call, fork));
      if (still.length > 0) this.undecided.set(task, still);
      else this.undecided.delete(task);
    }
    this.lastCall.set(task, call);
    if (call.clone && (call.result?.value ?? 0) > 0) {
      const created = this.tree.task(call.result!.value!);
      if (!created || created === task) return;
      if (created.createdAs === 'thread') this.join(created, task);
      else this.snapshot(task, created, call);
    } else if (call.name === 'exit' && call.exitCode !== undefined) {
      // The thread's own end (pthread_exit, a thread function returning): strace does not always
      // print its `+++ exited` line, for one when the tree is killed soon after.
      this.forget(task);
    } else if (call.exec && call.result?.value === 0) {
      // A successful execve ends every other thread of the process, and the program the child
      // forked with: it can no longer hang on a lock it inherited.
      for (const other of this.groupOf(task)) if (other !== task) this.forget(other);
      this.dropSnapshot(task);
    }
  }

  private observeExit(task: Task, normally: boolean, supersededBy: number | undefined): void {
    if (supersededBy !== undefined) return;
    this.forget(task);
    // A child that exited by itself was not hung: what its parent did at its fork is not needed.
    if (normally) this.dropSnapshot(task);
  }

  private snapshot(forker: Task, child: Task, fork: SyscallEvent): void {
    const threads: ForkThread[] = [];
    for (const task of this.groupOf(forker)) {
      if (task === forker || task.exited) continue;
      const entry: ForkThread = { task, doing: undefined, stream: this.streams.get(task) };
      const last = this.lastCall.get(task);
      if (!last || !decide(entry, last, fork)) {
        const list = this.undecided.get(task);
        if (list) list.push({ entry, fork });
        else this.undecided.set(task, [{ entry, fork }]);
      }
      threads.push(entry);
    }
    this.snapshots.set(child, { fork, forker, threads, ordered: true, complete: true });
  }

  private join(task: Task, member: Task): void {
    const group = this.groupOf(member);
    if (!task.exited) group.add(task);
    this.groups.set(task, group);
  }

  private groupOf(task: Task): Set<Task> {
    let group = this.groups.get(task);
    if (!group) this.groups.set(task, (group = new Set([task])));
    return group;
  }

  /** A task that ended: no longer alive at later forks; entries still waiting for it were in no call. */
  private forget(task: Task): void {
    this.groups.get(task)?.delete(task);
    this.groups.delete(task);
    this.lastCall.delete(task);
    this.streams.delete(task);
    for (const { entry } of this.undecided.get(task) ?? []) entry.doing = null;
    this.undecided.delete(task);
  }

  private dropSnapshot(child: Task): void {
    const snapshot = this.snapshots.get(child);
    if (!snapshot) return;
    this.snapshots.delete(child);
    for (const entry of snapshot.threads) {
      const list = this.undecided.get(entry.task);
      if (!list) continue;
      const rest = list.filter((u) => u.entry !== entry);
      if (rest.length > 0) this.undecided.set(entry.task, rest);
      else this.undecided.delete(entry.task);
    }
  }
}

interface Undecided {
  entry: ForkThread;
  fork: SyscallEvent;
}

/**
 * Whether a thread's `call` says what it was doing at `fork`: it was inside the call when the call
 * began before the fork ended (and, being the first call of the thread not to end before the fork
 * began, ended after it or never); a call that began after means it was in none. A call that ended
 * before the fork says nothing yet.
 */
function decide(entry: ForkThread, call: SyscallEvent, fork: SyscallEvent): boolean {
  if (call.end && before(call.end, fork.start)) return false;
  entry.doing = before(call.start, fork.end ?? fork.start) ? call : null;
  return true;
}

/** Definitely before, in an order the trace shows. */
function before(a: Stamp, b: Stamp): boolean {
  const c = compareStamps(a, b);
  return c !== null && c < 0;
}
