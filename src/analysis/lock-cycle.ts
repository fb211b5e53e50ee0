// Lock-order deadlocks: threads of one process each blocked forever on a lock another of them
// holds (ABBA, and longer cycles).
//
// A trace shows a lock only through contention (holder.ts): a lock wait (FUTEX_WAIT with val 2, as
// glibc's mutexes and low-level locks wait, or FUTEX_LOCK_PI) that returns is the thread taking the
// lock, and since it took it contended (the word is 2) its unlock must FUTEX_WAKE: a thread whose
// lock wait returned and that has not woken the word since still holds it. A cycle whose every
// lock has such a holder is `likely`. Locks taken without contention leave no trace; when every
// live thread of the process sits in an untimed wait, a lock's holder can only be one of them, and
// when just one thread that waits on a lock can hold it (not its own waiters), the cycle is
// `possible`. A lock with several such candidates is left alone: no cycle is reported that the
// trace does not force. From /proc, each waited mutex's __owner closes the cycle: `confirmed`.

import { returned } from '../model/events.js';
import type { FutexCall, SyscallEvent, TraceEvent } from '../model/events.js';
import { isFutexWait, isFutexWake } from '../model/futex.js';
import type { Process, Task, TaskTree } from '../model/tree.js';
import { untimedWait } from '../model/waits.js';
import type { FutexWord, ProcessSnapshot, ThreadSnapshot, TreeSnapshot } from '../proc/snapshot.js';
import type { BlockWatcher } from './blocked.js';
import { waitChain } from './chain.js';
import { quote } from './evidence.js';
import type { ChainLink, Confidence, Evidence, LockCycleFinding } from './types.js';

/** A wait that takes a lock: glibc waits with val 2 on a mutex or low-level lock word it set to 2. */
export function isLockWait(futex: Pick<FutexCall, 'command' | 'value'>): boolean {
  if (futex.command === 'LOCK_PI' || futex.command === 'LOCK_PI2') return true;
  return (futex.command === 'WAIT' || futex.command === 'WAIT_BITSET') && futex.value === 2;
}

/** The address a new thread's TID word is cleared at when it exits (CLONE_CHILD_CLEARTID): what pthread_join waits on. */
function childTidAddress(call: SyscallEvent): string | null {
  if (!call.clone?.flags?.includes('CLONE_CHILD_CLEARTID')) return null;
  const m = /child_tid(?:ptr)?=(0x[0-9a-f]+)/.exec(call.args);
  return m ? '0x' + BigInt(m[1]!).toString(16) : null;
}

interface Edge {
  from: Task;
  to: Task;
  address: string;
  /** The holder's lock wait that returned, when the trace shows it take the lock. */
  taken: SyscallEvent | null;
}

/**
 * Follows who holds which lock (the lock waits that returned, until the taker wakes the word) and
 * which words are threads' TID words, then finds the cycles among the threads left blocked.
 */
export class LockTracker {
  /** word -> tid -> the lock wait that returned: the thread took the lock and has not released it since. */
  private readonly held = new Map<string, Map<number, SyscallEvent>>();
  /** tid -> the address of its TID word, cleared when it exits. */
  private readonly tidWords = new Map<number, string>();

  observe(event: TraceEvent): void {
    // A thread that exited by itself has no TID word left to wait on (a million of them keep none);
    // one killed, as the whole tree is when record stops it, is still what its joiner waited for.
    if (event.kind === 'exit' && event.status !== null && 'code' in event.status) this.tidWords.delete(event.tid);
    if (event.kind !== 'syscall') return;
    const futex = event.futex;
    if (futex) {
      if (isLockWait(futex) && returned(event) && (event.result!.value === 0 || event.result!.errno === 'EAGAIN')) {
        let holders = this.held.get(futex.address);
        if (!holders) this.held.set(futex.address, (holders = new Map()));
        holders.set(event.tid, event);
      } else if (isFutexWake(futex.command) && returned(event)) {
        const holders = this.held.get(futex.address);
        holders?.delete(event.tid);
        if (holders?.size === 0) this.held.delete(futex.address);
      }
    } else if (event.clone && (event.result?.value ?? 0) > 0) {
      const address = childTidAddress(event);
      if (address) this.tidWords.set(event.result!.value!, address);
    }
  }

  /** A thread of `process` other than `except` took the lock at `address` and still holds it. */
  heldInProcess(process: Process, address: string, except: Task): SyscallEvent | null {
    for (const [tid, call] of this.held.get(address) ?? []) {
      const task = process.threads.find((t) => t.tid === tid);
      if (task && task !== except) return call;
    }
    return null;
  }

  /** The thread of `process` whose TID word is at `address` (a pthread_join waits there), or null. */
  threadOfTidWord(process: Process, address: string): Task | null {
    return process.threads.find((t) => this.tidWords.get(t.tid) === address) ?? null;
  }

  /** The lock cycles among the threads blocked forever at the end of the trace, one finding each. */
  cycles(tree: TaskTree, watcher: BlockWatcher): LockCycleFinding[] {
    const findings: LockCycleFinding[] = [];
    for (const process of tree.processes()) {
      if (process.pid === null) continue;
      const edges = this.edgesOf(process, watcher);
      for (const cycle of cyclesOf(edges)) findings.push(this.cycleFinding(process, cycle, watcher));
    }
    return findings;
  }

  private edgesOf(process: Process, watcher: BlockWatcher): Map<Task, Edge> {
    const live = process.threads.filter(isLive);
    const waiting = new Map<Task, FutexCall>();
    for (const task of live) {
      const wait = watcher.blockedWaitOf(task);
      if (wait?.pending && isLockWait(wait.futex) && !wait.futex.timed) waiting.set(task, wait.futex);
    }
    const edges = new Map<Task, Edge>();
    if (waiting.size < 2) return edges;
    const everyThreadWaits = live.every((t) => {
      const call = watcher.lastCallOf(t);
      return call !== undefined && untimedWait(call) !== null;
    });
    for (const [task, futex] of waiting) {
      const address = futex.address;
      const taken = this.heldInProcess(process, address, task);
      if (taken) {
        const holder = live.find((t) => t.tid === taken.tid);
        if (holder && waiting.has(holder)) edges.set(task, { from: task, to: holder, address, taken });
        continue;
      }
      if (!everyThreadWaits) continue;
      // Uncontended taking leaves no trace: the holder is a thread not waiting on this lock itself.
      const candidates = [...waiting].filter(([other, waited]) => other !== task && waited.address !== address);
      const [only, ...more] = candidates;
      if (only && more.length === 0) edges.set(task, { from: task, to: only[0], address, taken: null });
    }
    return edges;
  }

  private cycleFinding(process: Process, cycle: Edge[], watcher: BlockWatcher): LockCycleFinding {
    const evidence: Evidence[] = [];
    for (const edge of cycle) {
      const wait = watcher.blockedWaitOf(edge.from)!;
      if (edge.taken) evidence.push(quote(edge.taken, 'holds-lock'));
      evidence.push(quote(wait.first, 'blocked-forever'));
    }
    const chain: ChainLink[] = [];
    // A thread of the process joining one of the deadlocked threads waits for them too.
    for (const task of process.threads.filter(isLive)) {
      const call = watcher.lastCallOf(task);
      if (!call?.futex || returned(call) || !isFutexWait(call.futex.command)) continue;
      const joined = this.threadOfTidWord(process, call.futex.address);
      if (!joined || !cycle.some((e) => e.from === joined)) continue;
      chain.push({ pid: process.pid, tid: task.tid, waitsOn: `pthread_join ${joined.tid}`, where: call.start.where });
      evidence.push(quote(call, 'joins-thread'));
    }
    for (const { link, call } of waitChain(process, watcher)) {
      chain.push(link);
      evidence.push(quote(call, 'waits-for-child'));
    }
    const proven = cycle.every((e) => e.taken !== null);
    const steps = cycle.map((e) => `thread ${e.from.tid} waits for ${e.address}, held by ${e.to.tid}`);
    const why = proven
      ? 'Each holder took its lock in a wait the trace shows returning, and has not released it since (a lock taken after contention is released with a FUTEX_WAKE).'
      : cycle.some((e) => e.taken !== null)
        ? 'Some holders are shown taking their lock; the others took theirs without contention, which makes no system call: since every thread of the process is blocked, each such lock can only be held by the one other thread that waits on a lock and not on it.'
        : 'Taking a free lock makes no system call, so the trace does not show who took these locks; but every thread of the process is blocked in an untimed wait, and each lock can only be held by the one other thread that waits on a lock and not on it.';
    return {
      kind: 'lock-cycle',
      pid: process.pid!,
      tids: cycle.map((e) => e.from.tid),
      futexes: cycle.map((e) => e.address),
      locks: cycle.map(() => null),
      confidence: proven ? 'likely' : 'possible',
      chain,
      evidence,
      explanation: `Threads of process ${process.pid} are deadlocked: ${steps.join('; ')}. ${why}`,
      fix: '',
      source: 'trace',
    };
  }
}

/** Not ended by itself: still running at the end, or killed while still waiting. */
function isLive(task: Task): boolean {
  return !(task.exited && (!task.exit || 'code' in task.exit));
}

/** The cycles of a graph where each node has at most one outgoing edge, each from its lowest tid. */
function cyclesOf(edges: Map<Task, Edge>): Edge[][] {
  const cycles: Edge[][] = [];
  const done = new Set<Task>();
  for (const start of edges.keys()) {
    const path: Task[] = [];
    let node: Task | undefined = start;
    while (node && !done.has(node) && !path.includes(node)) {
      path.push(node);
      node = edges.get(node)?.to;
    }
    if (node && path.includes(node)) {
      const members = path.slice(path.indexOf(node));
      const first = members.reduce((a, b) => (b.tid < a.tid ? b : a));
      const cycle: Edge[] = [];
      for (let at = first, i = 0; i < members.length; i++, at = edges.get(at)!.to) cycle.push(edges.get(at)!);
      cycles.push(cycle);
    }
    for (const t of path) done.add(t);
  }
  return cycles;
}

/**
 * The cycles /proc proves: each thread waits in an untimed lock wait on a mutex whose __owner is
 * the next thread of the cycle, a thread of the same process.
 */
export function lockCyclesFromSnapshot(snapshot: TreeSnapshot): LockCycleFinding[] {
  const findings: LockCycleFinding[] = [];
  for (const process of snapshot.processes) {
    const waiting = new Map<number, { thread: ThreadSnapshot; futex: FutexWord }>();
    for (const thread of process.threads) {
      const futex = thread.futex;
      if (futex && !futex.timed && futex.owner !== null && futex.expected === 2) waiting.set(thread.tid, { thread, futex });
    }
    const done = new Set<number>();
    for (const start of waiting.keys()) {
      const path: number[] = [];
      let tid: number | undefined = start;
      while (tid !== undefined && waiting.has(tid) && !done.has(tid) && !path.includes(tid)) {
        path.push(tid);
        tid = waiting.get(tid)!.futex.owner ?? undefined;
      }
      if (tid !== undefined && path.includes(tid)) {
        const members = path.slice(path.indexOf(tid));
        const first = members.indexOf(Math.min(...members));
        findings.push(snapshotCycle(process, [...members.slice(first), ...members.slice(0, first)].map((t) => waiting.get(t)!)));
      }
      for (const t of path) done.add(t);
    }
  }
  return findings;
}

function snapshotCycle(process: ProcessSnapshot, cycle: { thread: ThreadSnapshot; futex: FutexWord }[]): LockCycleFinding {
  const evidence: Evidence[] = [];
  for (const { thread, futex } of cycle) {
    evidence.push({
      file: `/proc/${process.pid}/task/${thread.tid}/syscall`,
      line: 1,
      tid: thread.tid,
      text: `${thread.syscall!.text} (${futex.op} on ${futex.symbol ?? futex.address})`,
      role: 'blocked-forever',
    });
    evidence.push({
      file: `/proc/${process.pid}/mem`,
      line: 1,
      tid: futex.owner!,
      text: `${futex.address}: word ${futex.word ?? '?'}, __owner ${futex.owner}`,
      role: 'holds-lock',
    });
  }
  const named = (f: FutexWord) => (f.symbol ? `${f.address} (${f.symbol})` : f.address);
  const steps = cycle.map(({ thread, futex }) => `thread ${thread.tid} waits for ${named(futex)}, whose __owner is ${futex.owner}`);
  return {
    kind: 'lock-cycle',
    pid: process.pid,
    tids: cycle.map(({ thread }) => thread.tid),
    futexes: cycle.map(({ futex }) => futex.address),
    locks: cycle.map(({ futex }) => futex.lock ?? null),
    confidence: 'confirmed' satisfies Confidence,
    chain: [],
    evidence,
    explanation: `Threads of process ${process.pid} are deadlocked: ${steps.join('; ')}. Each waits with no timeout on a mutex another of them owns.`,
    fix: '',
    source: 'proc',
  };
}
