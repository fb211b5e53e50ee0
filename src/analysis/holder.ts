// Pass 2 of the analysis: who held the lock in the parent when the child was forked.
//
// glibc's locks use the futex word as 0 free, 1 locked, 2 locked with waiters. Taking a free lock
// and releasing an uncontended one make no system call, so a trace only shows a lock through its
// contention: a FUTEX_WAIT that returns is a thread about to take the lock, a FUTEX_WAKE is its
// holder releasing it (returning how many waiters it woke; 1 means the lock was handed to one).
// From the parent's futex calls on the word around the fork this pass names the holder and says
// how sure it is: `confirmed` when the order of events proves it, `likely` when it is inferred
// without that order, `possible` when the parent shows nothing.

import { compareStamps, returned } from '../model/events.js';
import type { FutexCallQuery, Stamp, SyscallEvent, TraceEvent } from '../model/events.js';
import { isFutexWait, isFutexWake } from '../model/futex.js';
import { isSleepCall } from '../linux/abi.js';
import type { HangCandidate } from './blocked.js';
import type { ForkSnapshot } from './fork-threads.js';
import type { Confidence, EvidenceRole, HolderCandidate } from './types.js';

/** How many of a thread's calls on the word are kept on each side of the fork. */
const WINDOW = 16;

type Side = 'before' | 'after' | 'across' | 'unordered';

/** Bounded lists of calls (or anything placed by them) on each side of one fork. */
class SideWindows<T> {
  readonly before: T[] = [];
  readonly after: T[] = [];
  readonly across: T[] = [];
  readonly unorderedHead: T[] = [];
  readonly unorderedTail: T[] = [];

  add(item: T, side: Side): void {
    switch (side) {
      case 'before':
        pushRing(this.before, item);
        break;
      case 'after':
        if (this.after.length < WINDOW) this.after.push(item);
        break;
      case 'across':
        if (this.across.length < WINDOW) this.across.push(item);
        break;
      case 'unordered':
        if (this.unorderedHead.length < WINDOW) this.unorderedHead.push(item);
        else pushRing(this.unorderedTail, item);
    }
  }

  unordered(): T[] {
    return [...this.unorderedHead, ...this.unorderedTail];
  }
}

/** One thread's calls on the word, bounded: the last ones before the fork, the first ones after. */
export type ThreadLockHistory = SideWindows<SyscallEvent>;

function pushRing<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > WINDOW) list.shift();
}

/** The parent's calls on the blocked word, for one candidate (filled by `HolderCollector.finish`). */
export class LockHistory {
  /** By thread, in the order of each thread's first call on the word. */
  readonly threads = new Map<number, ThreadLockHistory>();

  constructor(readonly candidate: HangCandidate) {}
}

function sideOf(call: SyscallEvent, fork: SyscallEvent): Side {
  const forkEnd = fork.end ?? fork.start;
  if (isBefore(call, fork)) return 'before';
  if (order(call.start, forkEnd) === 1) return 'after';
  // A call that never ended is still going on after the fork.
  const endedAfter = call.end ? order(call.end, forkEnd) === 1 : true;
  if (order(call.start, fork.start) === -1 && endedAfter) return 'across';
  return 'unordered';
}

const isBefore = (call: SyscallEvent, fork: SyscallEvent) => call.end !== null && order(call.end, fork.start) === -1;

/** A call and its place in the order the read gave the calls (to merge what two streams kept). */
interface Arrival {
  at: number;
  call: SyscallEvent;
}

/** What a history kept of one thread's calls in one stream: its windows, then the calls it takes from the sweep's bounded lists. */
interface Kept {
  windows: SideWindows<Arrival>;
  later: Arrival[];
}

/** How a fork is placed against a stream's calls: by line in its own stream, by time in another, or not at all. */
type Placing = 'line' | 'time' | 'none';

/** One history following one thread's calls on its word in one stream. */
class Follower {
  readonly windows = new SideWindows<Arrival>();

  constructor(
    readonly history: LockHistory,
    readonly fork: SyscallEvent | null,
    readonly placing: Placing,
  ) {}
}

/**
 * One parent thread's calls on one word in one stream (file), offered to every history that asks
 * for them in one sweep, in time linear in calls and histories (a parent that forks 100,000
 * children that hang on a lock its threads keep using asks 100,000 times).
 *
 * A thread is in one call at a time and a file's times only go forward (the reader drops them from
 * where they go back), so against a fork its calls come as: those before it, then a few around it
 * (across it, or not ordered against it), then those after it, and, against a fork in another
 * stream, any whose times were dropped. A history therefore follows the calls only from the first
 * that is not before its fork (its `before` is the last `WINDOW` calls then) until it has `WINDOW`
 * calls after the fork. Calls without a time, which cannot be placed against a fork in another
 * stream, it takes at the end from two bounded lists: the untimed calls, and all of them.
 */
class ThreadWordSweep {
  private readonly recent: Arrival[] = [];
  /** Histories whose fork no call has passed yet, in the fork's order: by line in this stream, by time in another. */
  private readonly byLine: Follower[];
  private nextByLine = 0;
  private readonly byTime: Follower[];
  private nextByTime = 0;
  private readonly following = new Set<Follower>();
  private readonly all = new SideWindows<Arrival>();
  private readonly untimed = new SideWindows<Arrival>();
  private timesEnded = false;
  readonly followers: Follower[];

  constructor(
    readonly tid: number,
    stream: number,
    histories: LockHistory[],
  ) {
    this.followers = histories.map((history) => {
      const fork = history.candidate.child.forkCall;
      const placing: Placing = !fork
        ? 'none'
        : fork.start.stream === stream
          ? 'line'
          : fork.start.us === null && (fork.end ?? fork.start).us === null
            ? 'none'
            : 'time';
      return new Follower(history, fork, placing);
    });
    const forkOf = (f: Follower) => f.fork!.start;
    this.byLine = this.followers.filter((f) => f.placing === 'line').sort((a, b) => forkOf(a).seq - forkOf(b).seq);
    // A fork without a start time has no call before it: it is followed from the first call.
    const startUs = (f: Follower) => forkOf(f).us ?? -Infinity;
    this.byTime = this.followers.filter((f) => f.placing === 'time').sort((a, b) => startUs(a) - startUs(b));
  }

  offer(arrival: Arrival): void {
    const { call } = arrival;
    this.all.add(arrival, 'unordered');
    if (call.start.us === null) {
      // From here on no call of this stream is placed against a fork in another stream by time.
      if (!this.timesEnded) {
        this.timesEnded = true;
        this.nextByTime = this.startFollowing(this.byTime, this.nextByTime, this.byTime.length, false);
        for (const follower of this.following) if (follower.placing === 'time') this.following.delete(follower);
      }
      this.untimed.add(arrival, 'unordered');
    }
    this.nextByLine = this.startFollowing(this.byLine, this.nextByLine, this.firstNotBefore(this.byLine, this.nextByLine, call), true);
    if (!this.timesEnded) {
      this.nextByTime = this.startFollowing(this.byTime, this.nextByTime, this.firstNotBefore(this.byTime, this.nextByTime, call), true);
    }
    for (const follower of this.following) {
      const { windows } = follower;
      windows.add(arrival, sideOf(call, follower.fork!));
      if (windows.after.length >= WINDOW) this.following.delete(follower);
    }
    pushRing(this.recent, arrival);
  }

  /** The first of `queue` from `next` whose fork `call` is not before (the queue is sorted so that it is before all later ones). */
  private firstNotBefore(queue: Follower[], next: number, call: SyscallEvent): number {
    let end = next;
    while (end < queue.length && !isBefore(call, queue[end]!.fork!)) end++;
    return end;
  }

  /** Histories `queue[from, to)` saw only calls before their fork so far: the last of them are their `before`. */
  private startFollowing(queue: Follower[], from: number, to: number, follow: boolean): number {
    for (let i = from; i < to; i++) {
      const follower = queue[i]!;
      for (const arrival of this.recent) follower.windows.add(arrival, 'before');
      if (follow) this.following.add(follower);
    }
    return to;
  }

  /** After the last call: what each history kept, with the calls it takes from the bounded lists (those come after). */
  finish(): Map<Follower, Kept> {
    this.nextByLine = this.startFollowing(this.byLine, this.nextByLine, this.byLine.length, false);
    this.nextByTime = this.startFollowing(this.byTime, this.nextByTime, this.byTime.length, false);
    const all = this.all.unordered();
    const untimed = this.untimed.unordered();
    const kept = new Map<Follower, Kept>();
    for (const follower of this.followers) {
      const { windows, placing } = follower;
      kept.set(follower, { windows, later: placing === 'none' ? all : placing === 'time' ? untimed : [] });
    }
    return kept;
  }
}

/** Collects, in one more read of the trace, the parent's calls on each candidate's word. */
export class HolderCollector {
  /** The histories a call goes to, by word and by parent thread (so a call is only shown to its own). */
  private readonly byWordAndTid = new Map<string, Map<number, LockHistory[]>>();
  /** The sweeps by word, thread and stream, in the order of their first call. */
  private readonly sweeps = new Map<string, ThreadWordSweep>();
  private arrivals = 0;
  readonly histories: LockHistory[];

  constructor(candidates: HangCandidate[]) {
    this.histories = candidates.map((c) => new LockHistory(c));
    for (const history of this.histories) {
      const address = history.candidate.wait.address;
      let byTid = this.byWordAndTid.get(address);
      if (!byTid) this.byWordAndTid.set(address, (byTid = new Map()));
      for (const { tid } of history.candidate.parent.threads) {
        const list = byTid.get(tid);
        if (list) list.push(history);
        else byTid.set(tid, [history]);
      }
    }
  }

  /** The calls to ask the trace for: the parent's threads' calls on each word, `WINDOW` of them each side of each fork. */
  query(): FutexCallQuery {
    const around = this.histories.map(({ candidate }) => {
      const fork = candidate.child.forkCall;
      return {
        word: candidate.wait.address,
        tids: new Set(candidate.parent.threads.map((t) => t.tid)),
        fork: fork ? { start: fork.start, end: fork.end ?? fork.start } : null,
        calls: WINDOW,
      };
    });
    return { tids: new Set(around.flatMap((w) => [...w.tids])), words: new Set(around.map((w) => w.word)), around };
  }

  observe(event: TraceEvent): void {
    if (event.kind !== 'syscall' || !event.futex) return;
    const { address } = event.futex;
    const histories = this.byWordAndTid.get(address)?.get(event.tid);
    if (!histories) return;
    const key = `${address} ${event.tid} ${event.start.stream}`;
    let sweep = this.sweeps.get(key);
    if (!sweep) this.sweeps.set(key, (sweep = new ThreadWordSweep(event.tid, event.start.stream, histories)));
    sweep.offer({ at: this.arrivals++, call: event });
  }

  /** After the last call: each history's threads' calls on its word, in the order of each thread's first call. */
  finish(): LockHistory[] {
    const kept = new Map<LockHistory, Map<number, Kept[]>>();
    for (const sweep of this.sweeps.values()) {
      for (const [{ history }, part] of sweep.finish()) {
        let byTid = kept.get(history);
        if (!byTid) kept.set(history, (byTid = new Map()));
        const parts = byTid.get(sweep.tid);
        if (parts) parts.push(part);
        else byTid.set(sweep.tid, [part]);
      }
    }
    this.sweeps.clear();
    for (const [history, byTid] of kept) for (const [tid, parts] of byTid) history.threads.set(tid, merged(parts));
    return this.histories;
  }
}

/**
 * One thread's calls kept for one history, from each stream it had calls in. Each side's calls are
 * added in the order read, so what two streams kept merges into what one list would have kept.
 */
function merged(parts: Kept[]): ThreadLockHistory {
  const sided: { arrival: Arrival; side: Side }[] = [];
  for (const { windows, later } of parts) {
    const take = (arrivals: Arrival[], side: Side) => {
      for (const arrival of arrivals) sided.push({ arrival, side });
    };
    take(windows.before, 'before');
    take(windows.after, 'after');
    take(windows.across, 'across');
    take(windows.unordered(), 'unordered');
    take(later, 'unordered');
  }
  // One stream (the usual case) gives each side in order already.
  if (parts.length > 1) sided.sort((a, b) => a.arrival.at - b.arrival.at);
  const windows = new SideWindows<SyscallEvent>();
  for (const { arrival, side } of sided) windows.add(arrival.call, side);
  return windows;
}

export interface QuotedCall {
  call: SyscallEvent;
  role: EvidenceRole;
}

export interface HolderVerdict {
  holderTid: number | null;
  confidence: Confidence;
  /** Why, in plain words. */
  reason: string;
  evidence: QuotedCall[];
}

const isAcquire = (c: SyscallEvent) =>
  isFutexWait(c.futex!.command) && returned(c) && (c.result!.value === 0 || c.result!.errno === 'EAGAIN');
const isRelease = (c: SyscallEvent) => isFutexWake(c.futex!.command) && returned(c);
const wokeWaiter = (c: SyscallEvent) => isRelease(c) && (c.result!.value ?? 0) > 0;

/** Definitely before (-1), definitely after (1), or unknown (null). */
function order(a: Stamp, b: Stamp): -1 | 1 | null {
  const c = compareStamps(a, b);
  return c === null || c === 0 ? null : c < 0 ? -1 : 1;
}

export function inferHolder(history: LockHistory): HolderVerdict {
  const { candidate } = history;
  const forkTid = candidate.child.forkTid;
  const others = [...history.threads].filter(([tid]) => tid !== forkTid);
  return (
    waiterAcrossFork(history, others) ??
    heldAcrossFork(others) ??
    handedOverBeforeFork(history, forkTid) ??
    releasedAfterFork(others) ??
    forkingThreadHeld(history, forkTid) ?? {
      holderTid: null,
      confidence: 'possible',
      reason:
        'No thread of the parent shows this lock in the trace (taking a free lock makes no system call)' +
        (candidate.outcome === 'aborted' ? '.' : ', but the child waits on a private futex that no thread of it can wake.'),
      evidence: [],
    }
  );
}

/** A parent thread waited on the word from before the fork to after it: the lock was held throughout. */
function waiterAcrossFork(history: LockHistory, others: [number, ThreadLockHistory][]): HolderVerdict | null {
  for (const [waiterTid, waiter] of history.threads) {
    const wait = waiter.across.find((c) => isFutexWait(c.futex!.command) && returned(c));
    if (!wait) continue;
    // The first release after the fork woke it; nobody released between its start and the fork.
    const releasedMeanwhile = [...history.threads.values()].some((t) =>
      t.before.some((c) => isRelease(c) && order(c.start, wait.start) === 1),
    );
    if (releasedMeanwhile) continue;
    let first: { tid: number; call: SyscallEvent } | null = null;
    for (const [tid, t] of others) {
      const release = t.after.find(isRelease);
      if (tid === waiterTid || !release || order(release.start, wait.end!) === 1) continue;
      if (!first || order(release.start, first.call.start) === -1) first = { tid, call: release };
    }
    if (!first) continue;
    return {
      holderTid: first.tid,
      confidence: 'confirmed',
      reason:
        `Thread ${waiterTid} of the parent waited for this lock from before the fork until after it, and ` +
        `thread ${first.tid}'s release woke it: ${first.tid} held the lock when the child was forked.`,
      evidence: [
        { call: wait, role: 'contended-across-fork' },
        { call: first.call, role: 'released-after-fork' },
      ],
    };
  }
  return null;
}

/** A thread took the lock before the fork (a wait returned) and released it after. */
function heldAcrossFork(others: [number, ThreadLockHistory][]): HolderVerdict | null {
  for (const [tid, t] of others) {
    const lastBefore = t.before.at(-1);
    if (!lastBefore || !isAcquire(lastBefore)) continue;
    const releaseIndex = t.after.findIndex(isRelease);
    if (releaseIndex < 0 || t.after.slice(0, releaseIndex).some(isAcquire)) continue;
    return {
      holderTid: tid,
      confidence: 'confirmed',
      reason: `Thread ${tid} took the lock before the fork and released it only after: it held the lock when the child was forked.`,
      evidence: [
        { call: lastBefore, role: 'lock-taken' },
        { call: t.after[releaseIndex]!, role: 'released-after-fork' },
      ],
    };
  }
  return null;
}

/**
 * Right before the fork a release woke a waiter (FUTEX_WAKE returned 1): the lock was handed to
 * that waiter, a thread whose wait on the word returned. This is the PlashGlibc tst-fork1 case.
 */
function handedOverBeforeFork(history: LockHistory, forkTid: number | null): HolderVerdict | null {
  const lastRelease = latestReleaseBeforeFork(history, forkTid);
  if (!lastRelease || !wokeWaiter(lastRelease.call)) return null;
  const fork = history.candidate.child.forkCall!;
  for (const [tid, t] of history.threads) {
    if (tid === lastRelease.tid) continue;
    const acquisitions = [...t.before, ...t.across, ...t.unordered()].filter(
      (c) => isAcquire(c) && order(c.end!, lastRelease.call.start) !== -1,
    );
    const acquire = acquisitions.at(-1);
    if (!acquire) continue;
    // Released again before the fork: it no longer held the lock.
    if (t.before.some((c) => isRelease(c) && order(c.start, acquire.end!) === 1)) continue;
    const releaseAfter = t.after.find(isRelease) ?? t.unordered().find((c) => isRelease(c) && order(c.start, acquire.end!) !== -1);
    const proven =
      order(acquire.end!, fork.start) === -1 &&
      order(acquire.end!, lastRelease.call.end ?? lastRelease.call.start) === 1 &&
      releaseAfter !== undefined &&
      order(releaseAfter.start, fork.end ?? fork.start) === 1;
    const evidence: QuotedCall[] = [
      { call: lastRelease.call, role: 'handed-over' },
      { call: acquire, role: 'lock-taken' },
    ];
    if (releaseAfter) evidence.push({ call: releaseAfter, role: 'released-after-fork' });
    return {
      holderTid: tid,
      confidence: proven ? 'confirmed' : 'likely',
      reason:
        `Thread ${lastRelease.tid} released the lock right before the fork by handing it to a waiter ` +
        `(its FUTEX_WAKE returned ${lastRelease.call.result!.value}), and thread ${tid} is the thread whose wait ` +
        `on it returned, so ${tid} held the lock when the child was forked` +
        (proven ? '.' : ' (the log does not order the two threads, so this is inferred).'),
      evidence,
    };
  }
  return null;
}

/** The last release of the word before the fork whose place relative to the others is known. */
function latestReleaseBeforeFork(
  history: LockHistory,
  forkTid: number | null,
): { tid: number; call: SyscallEvent } | null {
  // The forking thread's own stream orders its calls against the fork even without timestamps.
  const forker = forkTid === null ? undefined : history.threads.get(forkTid);
  const forkerLast = forker?.before.at(-1);
  if (forkerLast && isRelease(forkerLast)) {
    const laterElsewhere = [...history.threads].some(
      ([tid, t]) => tid !== forkTid && t.before.some((c) => isRelease(c) && order(c.start, forkerLast.start) !== -1),
    );
    if (!laterElsewhere) return { tid: forkTid!, call: forkerLast };
  }
  let latest: { tid: number; call: SyscallEvent } | null = null;
  for (const [tid, t] of history.threads) {
    const release = t.before.findLast(isRelease);
    if (!release) continue;
    if (!latest) latest = { tid, call: release };
    else {
      const o = order(release.start, latest.call.start);
      if (o === null) return null;
      if (o === 1) latest = { tid, call: release };
    }
  }
  return latest;
}

/** A thread's first call on the word after the fork is a release: its acquisition made no syscall. */
function releasedAfterFork(others: [number, ThreadLockHistory][]): HolderVerdict | null {
  let first: { tid: number; call: SyscallEvent } | null = null;
  for (const [tid, t] of others) {
    const release = t.after[0];
    if (!release || !isRelease(release)) continue;
    if (!first || order(release.start, first.call.start) === -1) first = { tid, call: release };
  }
  if (!first) return null;
  return {
    holderTid: first.tid,
    confidence: 'likely',
    reason:
      `Thread ${first.tid} released the lock after the fork without taking it through a system call since, ` +
      'so it most likely held it when the child was forked (taking a free lock makes no system call).',
    evidence: [{ call: first.call, role: 'released-after-fork' }],
  };
}

/** The forking thread itself held the lock: the child's copy of it would have to release it. */
function forkingThreadHeld(history: LockHistory, forkTid: number | null): HolderVerdict | null {
  if (forkTid === null) return null;
  const last = history.threads.get(forkTid)?.before.at(-1);
  if (!last || !isAcquire(last)) return null;
  return {
    holderTid: forkTid,
    confidence: 'possible',
    reason:
      `The forking thread ${forkTid} itself took the lock before forking; the child's copy of that thread ` +
      'did not release it before waiting on it again.',
    evidence: [{ call: last, role: 'lock-taken' }],
  };
}

/**
 * How strongly what the trace shows of a thread points at it as the holder: its own calls on the
 * word first, then what it was doing at the fork (a thread sleeping with the lock held is what
 * keeps a lock held long enough for a fork to catch it), the forking thread last.
 */
const enum Rank {
  Forker = -1,
  WaitedForIt = 0,
  WaitingOnOtherWord = 1,
  Running = 2,
  InOtherCall = 3,
  Sleeping = 4,
  SeenOnWord = 5,
  ReleasedAfterFork = 6,
}

/** Below this, what a thread was doing does not set it apart from the others. */
const DISTINCT = Rank.Sleeping;

interface Ranked {
  candidate: HolderCandidate;
  rank: Rank;
  doing: SyscallEvent | null;
}

export interface RankedHolders {
  /** The verdict, naming the holder when the threads alive at the fork set one apart. */
  verdict: HolderVerdict;
  candidates: HolderCandidate[];
}

/**
 * Ranks the parent's threads alive at the fork as the lock's holder, and names one when the futex
 * calls did not: the only other thread alive (`likely`), or the one whose evidence sets it apart.
 */
export function rankHolders(history: LockHistory, snapshot: ForkSnapshot | undefined, verdict: HolderVerdict): RankedHolders {
  const forkTid = history.candidate.child.forkTid;
  const fromVerdict: HolderCandidate[] =
    verdict.holderTid === null ? [] : [{ tid: verdict.holderTid, doing: null, line: null, reason: 'its futex calls on this word name it' }];
  if (!snapshot || !snapshot.ordered || !snapshot.complete) {
    if (verdict.holderTid !== null) return { verdict, candidates: fromVerdict };
    const why = !snapshot
      ? 'The trace does not show the fork, so which threads of the parent were alive then is unknown.'
      : !snapshot.ordered
        ? 'The trace does not order the threads of the parent against the fork (strace -ff files without ' +
          'timestamps, or the sections of a nested log), so which of them were alive at the fork, and what they ' +
          'were doing, is unknown: record with strace -f, or -ff -tt.'
        : 'The trace does not show how every thread of the parent was created (strace attached to a running ' +
          'process), so which of them were alive at the fork is unknown.';
    return { verdict: { ...verdict, reason: `${verdict.reason} ${why}` }, candidates: [] };
  }
  const word = history.candidate.wait.address;
  const ranked = snapshot.threads.map(({ task, doing }) => rankThread(task.tid, doing ?? null, history.threads.get(task.tid), word));
  ranked.sort((a, b) => b.rank - a.rank);
  if (forkTid !== null) {
    ranked.push({
      candidate: { tid: forkTid, doing: null, line: null, reason: 'the forking thread: the child is its copy, and would hold the lock itself' },
      rank: Rank.Forker,
      doing: null,
    });
  }
  // The verdict's holder leads, whatever its rank.
  const held = ranked.findIndex((r) => r.candidate.tid === verdict.holderTid);
  if (held > 0) ranked.unshift(...ranked.splice(held, 1));
  const candidates = ranked.map((r) => r.candidate);
  if (verdict.holderTid !== null && held < 0) candidates.unshift(...fromVerdict);
  if (verdict.holderTid !== null) return { verdict, candidates };
  return { verdict: nameFromThreads(verdict, ranked, snapshot.threads.length), candidates };
}

function nameFromThreads(verdict: HolderVerdict, ranked: Ranked[], others: number): HolderVerdict {
  const [top, second] = ranked;
  if (others === 0) {
    return {
      ...verdict,
      reason:
        `${verdict.reason} No other thread of the parent was alive at the fork: the forking thread itself held the ` +
        'lock (the child, its copy, never releases it), or a thread that exited holding it.',
    };
  }
  const alone = others === 1 && top !== undefined && top.rank > Rank.WaitedForIt;
  const apart = top !== undefined && second !== undefined && top.rank >= DISTINCT && top.rank > second.rank;
  if (!top || (!alone && !apart)) {
    return {
      ...verdict,
      reason:
        `${verdict.reason} ${others} other ${others === 1 ? 'thread of the parent was' : 'threads of the parent were'} ` +
        'alive at the fork (holderCandidates ranks them); nothing the trace shows of them makes one the holder.',
    };
  }
  const { tid } = top.candidate;
  const evidence: QuotedCall[] = top.doing ? [{ call: top.doing, role: 'holder-at-fork' }] : [];
  if (alone) {
    return {
      holderTid: tid,
      confidence: 'likely',
      reason:
        `Thread ${tid} was the only other thread of the parent alive at the fork (${top.candidate.reason}), so it held ` +
        'the lock when the child was forked: taking a free lock makes no system call, so the trace does not show it.',
      evidence,
    };
  }
  return {
    holderTid: tid,
    confidence: 'possible',
    reason:
      `Of the ${others} other threads of the parent alive at the fork, thread ${tid} is set apart (${top.candidate.reason}), ` +
      `so it most likely held the lock; the next, thread ${second!.candidate.tid}, ${second!.candidate.reason}.`,
    evidence,
  };
}

function rankThread(tid: number, doing: SyscallEvent | null, calls: ThreadLockHistory | undefined, word: string): Ranked {
  const line = doing ? { file: doing.start.where.file, line: doing.start.where.line } : null;
  const make = (rank: Rank, reason: string): Ranked => ({ candidate: { tid, doing: doing && callSummary(doing), line, reason }, rank, doing });
  const waited = calls?.across.find((c) => isFutexWait(c.futex!.command));
  if (waited) return make(Rank.WaitedForIt, `waited for this lock across the fork (line ${waited.start.where.line}), so it did not hold it`);
  const firstAfter = calls?.after[0];
  if (firstAfter && isRelease(firstAfter)) return make(Rank.ReleasedAfterFork, `released this lock after the fork (line ${firstAfter.start.where.line})`);
  const seen = calls && [...calls.before, ...calls.after, ...calls.unordered()][0];
  if (seen) return make(Rank.SeenOnWord, `its futex calls on this word (line ${seen.start.where.line})`);
  if (!doing) return make(Rank.Running, 'in no system call the trace shows at the fork (running its own code, or in a call not traced)');
  if (isSleepCall(doing.name)) return make(Rank.Sleeping, `sleeping in ${doing.name} across the fork`);
  if (doing.futex && isFutexWait(doing.futex.command) && doing.futex.address !== word) {
    return make(Rank.WaitingOnOtherWord, `waiting on futex ${doing.futex.address} (another lock, or a condition variable) across the fork`);
  }
  return make(Rank.InOtherCall, `in ${doing.name} across the fork`);
}

/** A call short enough to read in a line: `clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=3600, tv_nsec=0}, ...)`. */
function callSummary(call: SyscallEvent): string {
  const max = 80;
  let args = call.args.replaceAll('<unfinished ...>', '').trim().replace(/,$/, '');
  if (args.length > max) args = `${args.slice(0, max)}...`;
  return `${call.name}(${args}${returned(call) ? '' : ', ...'})`;
}
