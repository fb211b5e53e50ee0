// Processes and threads reconstructed from a stream of trace events.
//
// strace names tasks by TID only; whether a new task is a thread or a process comes from the flags
// of the clone that made it (CLONE_THREAD), fork/vfork always make processes. Tasks whose creation
// the log never shows (the traced command itself, the top-level sections of a PlashGlibc excerpt,
// threads strace attached to) are grouped into address spaces at the end: a private futex can only
// be woken from inside one address space, so a task whose FUTEX_WAKE_PRIVATE woke a waiter on a
// word that another such task waited on shares its address space.
//
// For a report, the tree can fold the children a fork-heavy program makes by the million (forked,
// exited, reaped, having made nothing) into integer columns instead of objects (TaskTreeOptions).

import { isFutexWait, isFutexWake } from './futex.js';
import type { CloneCall, ExitStatus, Stamp, SyscallEvent, TraceEvent } from './events.js';
import { returned } from './events.js';
import { IntColumn, InternTable } from '../util/int-column.js';

export interface Task {
  tid: number;
  /** The thread whose clone/fork made this task, when the log shows it. */
  creatorTid: number | null;
  creator: Task | null;
  /** A name for a creator the log shows only by position (e.g. PlashGlibc's root section). */
  creatorLabel: string | null;
  /** What the creating call made; null when the log does not say. */
  createdAs: 'thread' | 'process' | null;
  /** The clone/fork call that made it, as seen in the creator's trace. */
  creation: SyscallEvent | null;
  /** A tgid the source knows for sure (bpftrace records it). */
  tgid: number | null;
  /** How the task ended: its `+++` line, its exit/exit_group call, or its parent's wait status. */
  exit: ExitStatus | null;
  exited: boolean;
  /** argv of its last successful execve, or a name the source gave. */
  command: string | null;
  /** The trace has lines of its own (a call, a signal, its exit...), not only the clone that made it. */
  hasLines: boolean;
  process: Process | null;
}

export interface Process {
  /** The tgid, or null when the log never shows it (the leader is not in the trace). */
  pid: number | null;
  /** Unique even when pid is null. */
  key: string;
  threads: Task[];
  parent: Process | null;
  /** Its children, but those a tree that folds reaped children folded (see TaskTreeOptions). */
  children: Process[];
  /** The parent's thread that forked it, and the call, when the log shows them. */
  forkTid: number | null;
  forkCall: SyscallEvent | null;
  command: string | null;
  exit: ExitStatus | null;
  /** How this process's membership was inferred, when it was (shown in reports). */
  inference: string | null;
}

/**
 * A child the tree folded (see TaskTreeOptions): a process of one task that its parent forked and
 * reaped after it exited by itself, and that made no task. Made when asked for, from the tree's columns.
 */
export interface FoldedProcess {
  folded: true;
  pid: number;
  parent: Process;
  command: string | null;
  exit: { code: number };
}

export interface TaskTreeOptions {
  /**
   * Keep no `Task` or `Process` object for a folded child (FoldedProcess): tasks() and processes()
   * leave it out, everyProcess() gives it in its place. A report only lists such a child, and a
   * trace of a million of them then takes a few numbers each; views that follow every task by its
   * object (the timeline, the TUI, the Chrome trace) keep them all. A trace without `+++ exited`
   * lines (strace -qq) folds none: a line of a child's tid after its reaping could be its own.
   */
  foldReaped?: boolean;
}

interface PrivateFutexUse {
  /** Tasks whose wake on the word woke at least one waiter. */
  wakers: Set<number>;
  /** Tasks whose wait on the word returned because of a wake. */
  woken: Set<number>;
}

export class TaskTree {
  /** The current task of each tid (a tid can be reused after its task exits). */
  private readonly current = new Map<number, Task>();
  /** Every task in the order first seen: a folded one by its number in the folded columns. */
  private readonly all: (Task | number)[] = [];
  private readonly privateFutexUse = new Map<string, PrivateFutexUse>();
  private processList: Process[] = [];
  /** Every process in order (a folded one by its number), once finished. */
  private processOrder: (Process | number)[] = [];
  private readonly foldReaped: boolean;
  /** While folding: where each task that may still be folded is in `all` (not one that made a task). */
  private readonly positions = new Map<Task, number>();
  /** While folding: the reaped tasks not yet folded, and the ones to fold. */
  private readonly reaped = new Set<Task>();
  private readonly toFold: Task[] = [];
  /** The folded children's columns, one entry each; their creators' tasks and commands numbered. */
  private readonly folded = { tid: new IntColumn(), creator: new IntColumn(), exitCode: new IntColumn(), command: new IntColumn() };
  private readonly foldedCreators = new InternTable<Task>();
  private readonly foldedCommands = new InternTable<string>();

  constructor(options: TaskTreeOptions = {}) {
    this.foldReaped = options.foldReaped ?? false;
  }

  observe(event: TraceEvent): void {
    if (event.kind === 'warning') return;
    // Folded only now, so that whoever observes an event after the tree still finds its tasks.
    this.foldReapedChildren();
    const task = this.taskFor(event.tid);
    task.hasLines = true;
    switch (event.kind) {
      case 'syscall':
        this.observeCall(task, event);
        break;
      case 'exit':
        if (event.supersededBy !== undefined) {
          // A non-leader thread called execve: it vanishes and the leader's tid runs the new
          // program (strace finishes that execve under the leader's tid).
          const execer = this.current.get(event.supersededBy);
          if (execer && execer !== task) execer.exited = true;
          break;
        }
        task.exited = true;
        if (event.status) task.exit = event.status;
        if (this.reaped.has(task)) this.toFold.push(task);
        break;
      case 'task':
        if (event.creatorTid !== null && task.creatorTid === null) {
          task.creatorTid = event.creatorTid;
          task.creator = this.current.get(event.creatorTid) ?? null;
          if (task.creator) this.positions.delete(task.creator);
        }
        if (event.creatorLabel) task.creatorLabel ??= event.creatorLabel;
        if (event.tgid !== undefined) task.tgid = event.tgid;
        if (event.command) task.command ??= event.command;
        break;
      case 'signal':
        break;
    }
  }

  /** The task of a tid as of now (undefined if the tid never appeared). */
  task(tid: number): Task | undefined {
    return this.current.get(tid);
  }

  /** Every task, but the folded ones. */
  tasks(): readonly Task[] {
    return this.all.filter((t): t is Task => typeof t !== 'number');
  }

  /** Every process, but the folded ones. */
  processes(): readonly Process[] {
    return this.processList;
  }

  /** How many children were folded (each is one task and one process). */
  get foldedCount(): number {
    return this.folded.tid.length;
  }

  /** Every process in order, a folded one made from its columns (not kept: one at a time). */
  *everyProcess(): Generator<Process | FoldedProcess> {
    const exits = new Map<number, { code: number }>();
    for (const process of this.processOrder) {
      if (typeof process !== 'number') {
        yield process;
        continue;
      }
      const { tid, creator, exitCode, command } = this.folded;
      const parent = this.foldedCreators.valueNumbered(creator.at(process)).process!;
      const code = exitCode.at(process);
      // One object for each exit code, shared by the summaries that hold it.
      const exit = exits.get(code) ?? { code };
      exits.set(code, exit);
      const own = command.at(process);
      yield { folded: true, pid: tid.at(process), parent, command: own < 0 ? parent.command : this.foldedCommands.valueNumbered(own), exit };
    }
  }

  /** Resolves tasks into processes; call once the whole trace has been observed. */
  finish(): void {
    this.foldReapedChildren();
    // What folding needed while reading.
    this.positions.clear();
    this.reaped.clear();
    const processOf = new Map<Task, Process>();
    const resolving = new Set<Task>();
    const orphanGroups = this.groupOrphans();
    const resolve = (task: Task): Process => {
      const known = processOf.get(task);
      if (known) return known;
      resolving.add(task);
      // A creator still being resolved means the log's creation links form a cycle (bad input).
      const creator = task.creator && !resolving.has(task.creator) ? task.creator : null;
      const tgidTask = task.tgid !== null && task.tgid !== task.tid ? this.current.get(task.tgid) : undefined;
      let process: Process;
      if (tgidTask && !resolving.has(tgidTask)) {
        process = resolve(tgidTask);
      } else if (task.createdAs === 'thread' && creator) {
        process = resolve(creator);
      } else if (!creator && orphanGroups.has(task)) {
        const group = orphanGroups.get(task)!;
        const resolvedMember = group.find((t) => processOf.has(t));
        if (resolvedMember) {
          process = processOf.get(resolvedMember)!;
        } else {
          // A task the log shows being created by an unseen task may be a thread: its tid is no pid.
          const known = group.length === 1 && task.creatorLabel === null;
          process = this.newProcess(known ? task.tid : null, null);
          if (group.length > 1) {
            process.inference =
              `threads ${group.map((t) => t.tid).join(', ')} share one address space ` +
              '(a private futex wake by one woke a wait of another); the log does not show its pid';
          } else if (!known) {
            process.inference = `${task.tid} was created by a task the log does not show, as a thread or a process`;
          }
        }
      } else {
        process = this.newProcess(task.tid, creator ? resolve(creator) : null);
        if (creator) {
          process.forkTid = creator.tid;
          process.forkCall = task.creation;
          if (task.createdAs === null) {
            process.inference = `the log does not show the flags of the clone that made ${task.tid}; taken as a new process`;
          }
        }
      }
      resolving.delete(task);
      processOf.set(task, process);
      task.process = process;
      addTo(process.threads, task, (list) => (process.threads = list));
      return process;
    };
    for (const entry of this.all) {
      const task = typeof entry === 'number' ? this.foldedCreators.valueNumbered(this.folded.creator.at(entry)) : entry;
      // Ancestors first, so that resolving a task never recurses down a long line of creators.
      const line: Task[] = [];
      const onLine = new Set<Task>();
      for (let t: Task | null = task; t && !processOf.has(t) && !onLine.has(t); t = t.creator) {
        line.push(t);
        onLine.add(t);
      }
      for (const t of line.reverse()) resolve(t);
      // A folded child comes after its parent, where it would have been made.
      if (typeof entry === 'number') this.processOrder.push(entry);
    }
    for (const process of this.processList) {
      const leader = process.threads.find((t) => t.tid === process.pid) ?? process.threads[0];
      process.command = leader?.command ?? process.threads.find((t) => t.command)?.command ?? null;
      process.exit = leader?.exit ?? null;
    }
    // A forked child runs its parent's program until it execs. Each process is walked over once.
    const settled = new Set<Process>();
    for (const process of this.processList) {
      const unnamed = new Set<Process>();
      let ancestor: Process | null = process;
      while (ancestor && !ancestor.command && !settled.has(ancestor) && !unnamed.has(ancestor)) {
        unnamed.add(ancestor);
        ancestor = ancestor.parent;
      }
      for (const named of unnamed) {
        named.command = ancestor?.command ?? null;
        settled.add(named);
      }
    }
  }

  private observeCall(task: Task, call: SyscallEvent): void {
    if (call.clone && (call.result?.value ?? 0) > 0) {
      this.recordCreation(call);
    } else if (call.exec && call.result?.value === 0) {
      task.command = call.exec.argv ?? call.exec.path;
    } else if (call.exitCode !== undefined && call.name === 'exit_group') {
      task.exit ??= { code: call.exitCode };
    } else if (call.wait?.status && call.result?.value) {
      const reaped = this.current.get(call.result.value);
      if (reaped) {
        reaped.exit ??= call.wait.status;
        // A reaped process is gone with all its threads: no finding will quote how it was made,
        // so only where and when is kept (a fork-heavy trace keeps a million of these).
        if (reaped.creation) reaped.creation = placeOfCall(reaped.creation);
        if (this.foldReaped) {
          if (reaped.exited) this.toFold.push(reaped);
          else this.reaped.add(reaped);
        }
      }
    } else if (call.futex?.private && returned(call)) {
      this.recordPrivateFutex(task, call);
    }
  }

  private recordCreation(call: SyscallEvent): void {
    const childTid = call.result!.value!;
    const creator = this.current.get(call.tid)!;
    // strace may print a short-lived child's whole life, exit included, before its clone returns.
    // (its creator may already be known: bpftrace records a task's creation before the clone returns)
    // A task whose clone was already seen is an earlier task of a reused tid, not this child.
    const early = this.current.get(childTid);
    const bound = early && early.creation === null && (early.creator === null || early.creator === creator);
    const child = bound ? early : this.taskFor(childTid);
    if (child === creator) return;
    child.creatorTid = call.tid;
    child.creator = creator;
    child.creatorLabel = null;
    child.createdAs = call.clone!.creates ?? (call.clone!.syscall === 'fork' || call.clone!.syscall === 'vfork' ? 'process' : null);
    child.creation = call;
    this.positions.delete(creator);
  }

  /** Folds the children reaped after they exited by themselves that made no task (see TaskTreeOptions). */
  private foldReapedChildren(): void {
    for (const task of this.toFold) {
      this.reaped.delete(task);
      const { creator, exit } = task;
      const index = this.positions.get(task);
      const foldable = creator !== null && task.createdAs === 'process' && task.tgid === null && task.creatorLabel === null && exit !== null && 'code' in exit;
      if (index === undefined || !foldable || this.current.get(task.tid) !== task) continue;
      this.positions.delete(task);
      const { folded } = this;
      this.all[index] = folded.tid.push(task.tid);
      folded.creator.push(this.foldedCreators.numberOf(creator));
      folded.exitCode.push(exit.code);
      folded.command.push(task.command === null ? -1 : this.foldedCommands.numberOf(task.command));
      this.current.delete(task.tid);
    }
    this.toFold.length = 0;
  }

  private recordPrivateFutex(task: Task, call: SyscallEvent): void {
    const futex = call.futex!;
    const woke = isFutexWake(futex.command) && (call.result!.value ?? 0) > 0;
    const wasWoken = isFutexWait(futex.command) && call.result!.value === 0;
    if (!woke && !wasWoken) return;
    let use = this.privateFutexUse.get(futex.address);
    if (!use) {
      use = { wakers: new Set(), woken: new Set() };
      this.privateFutexUse.set(futex.address, use);
    }
    (woke ? use.wakers : use.woken).add(task.tid);
  }

  /** Tasks with no known creation, grouped by shared address space (union-find over futex evidence). */
  private groupOrphans(): Map<Task, Task[]> {
    const orphans = this.tasks().filter((t) => t.creatorTid === null && t.createdAs === null && t.tgid === null);
    const parent = new Map<Task, Task>(orphans.map((t) => [t, t]));
    const find = (t: Task): Task => {
      while (parent.get(t) !== t) t = parent.get(t)!;
      return t;
    };
    const threadsCreatedBy = new Map<number, number[]>();
    for (const t of this.all) {
      if (typeof t === 'number' || t.creatorTid === null || t.createdAs !== 'thread') continue;
      const siblings = threadsCreatedBy.get(t.creatorTid);
      if (siblings) siblings.push(t.tid);
      else threadsCreatedBy.set(t.creatorTid, [t.tid]);
    }
    for (const use of this.privateFutexUse.values()) {
      for (const wakerTid of use.wakers) {
        const waker = this.current.get(wakerTid);
        if (!waker || !parent.has(waker)) continue;
        // Only infer when none of the waker's own known threads could have been the one woken.
        if (threadsCreatedBy.get(wakerTid)?.some((tid) => use.woken.has(tid))) continue;
        for (const wokenTid of use.woken) {
          const woken = this.current.get(wokenTid);
          if (!woken || woken === waker || !parent.has(woken)) continue;
          if (woken.creatorLabel !== waker.creatorLabel) continue;
          parent.set(find(woken), find(waker));
        }
      }
    }
    const groups = new Map<Task, Task[]>();
    for (const t of orphans) {
      const root = find(t);
      const group = groups.get(root) ?? [];
      group.push(t);
      groups.set(root, group);
    }
    const byTask = new Map<Task, Task[]>();
    for (const group of groups.values()) for (const t of group) byTask.set(t, group);
    return byTask;
  }

  private newProcess(pid: number | null, parent: Process | null): Process {
    const process: Process = {
      pid,
      key: pid === null ? `unknown-${this.processOrder.length}` : `${pid}#${this.processOrder.length}`,
      threads: [],
      parent,
      children: [],
      forkTid: null,
      forkCall: null,
      command: null,
      exit: null,
      inference: null,
    };
    if (parent) addTo(parent.children, process, (list) => (parent.children = list));
    this.processList.push(process);
    this.processOrder.push(process);
    return process;
  }

  private taskFor(tid: number): Task {
    const existing = this.current.get(tid);
    if (existing && !existing.exited) return existing;
    const task: Task = {
      tid,
      creatorTid: null,
      creator: null,
      creatorLabel: null,
      createdAs: null,
      creation: null,
      tgid: null,
      exit: null,
      exited: false,
      command: null,
      hasLines: false,
      process: null,
    };
    this.current.set(tid, task);
    if (this.foldReaped) this.positions.set(task, this.all.length);
    this.all.push(task);
    return task;
  }
}

/** The reduced clone parts, one per kind of call and what it made: a million reaped children share a few. */
const reducedClones = new Map<string, CloneCall>();

/**
 * A clone reduced to what it made and where and when (its start: for a clone the two differ by
 * microseconds): its text, flags and errno (and the line they were sliced from, which they keep
 * alive) are dropped.
 */
function placeOfCall(call: SyscallEvent): SyscallEvent {
  const { us, stream, seq, where } = call.start;
  const place: Stamp = { us, text: null, stream, seq, where: { file: where.file, line: where.line, offset: where.offset } };
  let clone = call.clone;
  if (clone) {
    const key = `${clone.syscall} ${clone.creates}`;
    clone = reducedClones.get(key) ?? { syscall: clone.syscall, flags: null, creates: clone.creates };
    reducedClones.set(key, clone);
  }
  return {
    kind: 'syscall',
    tid: call.tid,
    name: call.name,
    args: '',
    result: call.result && { raw: String(call.result.value ?? '?'), value: call.result.value, errno: null },
    start: place,
    end: call.end && place,
    durationUs: call.durationUs,
    clone,
  };
}

/**
 * Appends to a list that is usually one long: the first item makes an array of exactly one (a
 * push onto an empty array reserves room for 17, which a million single-threaded processes pay).
 */
function addTo<T>(list: T[], item: T, replace: (list: T[]) => void): void {
  if (list.length === 0) replace([item]);
  else list.push(item);
}
