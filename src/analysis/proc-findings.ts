// Findings from a /proc snapshot of a live tree (src/proc/snapshot.ts reads the facts): the same
// kinds a trace gives, with `source: 'proc'`, and how they join a trace's findings when both were
// recorded (`record`, `analyze DIR` of a record directory).
//
// A child blocked on a mutex whose __owner is a thread of its parent, not one of its own,
// inherited the lock locked: proof, `confirmed`.

import { compareStamps } from '../model/events.js';
import { decodeFutexOp, isFutexWait } from '../model/futex.js';
import type { TaskTree } from '../model/tree.js';
import { waitidTarget } from '../linux/abi.js';
import type { FutexWord, ProcessSnapshot, ThreadSnapshot, TreeSnapshot } from '../proc/snapshot.js';
import { lockCyclesFromSnapshot } from './lock-cycle.js';
import { foldIntoLockHangs, heldPipesFromSnapshot } from './pipes.js';
import type { Analysis, ChainLink, Confidence, Evidence, Finding, InheritedLockFinding, LockCycleFinding, PipeHeldOpenFinding, ProcessState, ProcessSummary, Warning } from './types.js';

function isUntimedWait(thread: ThreadSnapshot): boolean {
  if (!thread.futex || thread.futex.timed) return false;
  return isFutexWait(decodeFutexOp(Number(thread.syscall!.args[1]! & 0xffffffffn)).command);
}

/** The wait4/waitid a thread sits in, as `wait4 PID` (any child: -1), or null. */
function waitTarget(thread: ThreadSnapshot): { call: string; pid: number } | null {
  const call = thread.syscall;
  if (call?.name === 'wait4') return { call: 'wait4', pid: Number(BigInt.asIntN(32, call.args[0]!)) };
  if (call?.name === 'waitid') {
    const pid = waitidTarget(Number(call.args[0]), Number(BigInt.asIntN(32, call.args[1])));
    return { call: 'waitid', pid: pid ?? -1 };
  }
  return null;
}

/**
 * The findings a snapshot proves or suggests, in the shape `analyze` reports. `trace`: the task
 * tree of a trace of the same tree (record's), which can prove whose thread a lock's owner was.
 */
export function analyzeSnapshot(snapshot: TreeSnapshot, trace: TaskTree | null = null): Analysis {
  const byPid = new Map(snapshot.processes.map((p) => [p.pid, p]));
  const parentOf = (child: ProcessSnapshot) => byPid.get(child.ppid) ?? (snapshot.rootParent?.pid === child.ppid ? snapshot.rootParent : null);
  const findings: Finding[] = [];
  for (const child of snapshot.processes) {
    // A private futex can only be woken by a thread of its own process: if every one of them sits
    // in an untimed futex wait, nothing can (a thread asleep or reading may still release a lock).
    const allBlocked = child.threads.every(isUntimedWait);
    for (const thread of child.threads) {
      if (!isUntimedWait(thread)) continue;
      const futex = thread.futex!;
      const parent = parentOf(child);
      const owner = ownerOf(futex, child, parent, trace);
      let confidence: Confidence;
      if (owner === 'parent-thread' || owner === 'traced-parent-thread') confidence = 'confirmed';
      else if ((owner === 'elsewhere' || owner === 'gone') && allBlocked && futex.private) confidence = 'likely';
      else if (owner === null && allBlocked && futex.private && futex.word === futex.expected) confidence = 'possible';
      else continue;
      findings.push(snapshotFinding(child, thread, futex, parent, confidence, owner, parentOf));
    }
  }
  findings.push(...lockCyclesFromSnapshot(snapshot), ...heldPipesFromSnapshot(snapshot));
  return {
    inputs: [],
    processes: snapshot.processes.map((p) => summarize(p, byPid)),
    findings: foldIntoLockHangs(findings),
    warnings: snapshot.warnings.map((message): Warning => ({ file: `/proc/${snapshot.root}`, line: 0, message })),
  };
}

/**
 * Whose thread the mutex's __owner is. Proof that the parent held it (`confirmed`) is the owner
 * being a thread of the parent: alive in /proc/PARENT/task now, or shown by the trace as a thread
 * of the parent made before the fork (the child's copy of the word is written only by the parent's
 * threads before the fork and the child's own after it). An owner that has exited is no proof on
 * its own: TIDs are reused, so even one between the parent's pid and the child's may have been
 * the child's own thread.
 */
type OwnerVerdict = 'parent-thread' | 'traced-parent-thread' | 'gone' | 'elsewhere' | 'own-thread' | null;

function ownerOf(futex: FutexWord, child: ProcessSnapshot, parent: ProcessSnapshot | null, trace: TaskTree | null): OwnerVerdict {
  const owner = futex.owner;
  if (owner === null) return null;
  if (child.threads.some((t) => t.tid === owner)) return 'own-thread';
  if (parent?.threads.some((t) => t.tid === owner)) return 'parent-thread';
  if (trace && parent && threadBeforeFork(trace, owner, parent.pid, child.pid)) return 'traced-parent-thread';
  // Older snapshots do not say whether the owner lived on elsewhere.
  return futex.ownerTgid === null ? 'gone' : 'elsewhere';
}

/** Whether the trace shows `tid` as a thread of `parentPid` made before that process forked `childPid`. */
function threadBeforeFork(trace: TaskTree, tid: number, parentPid: number, childPid: number): boolean {
  const thread = trace.task(tid);
  const fork = trace.task(childPid)?.creation;
  if (!thread || !fork || thread.process?.pid !== parentPid) return false;
  // The process's first thread was there before it could fork; a later one, if its clone returned first.
  if (tid === parentPid && thread.creation === null) return true;
  const made = thread.creation?.end ?? null;
  return made !== null && (compareStamps(made, fork.start) ?? 0) < 0;
}

function snapshotFinding(
  child: ProcessSnapshot,
  thread: ThreadSnapshot,
  futex: FutexWord,
  parent: ProcessSnapshot | null,
  confidence: Confidence,
  owner: OwnerVerdict,
  parentOf: (child: ProcessSnapshot) => ProcessSnapshot | null,
): InheritedLockFinding {
  const where = (p: number, t: number, file: string) => ({ file: `/proc/${p}/task/${t}/${file}`, line: 1 });
  const evidence: Evidence[] = [
    { ...where(child.pid, thread.tid, 'syscall'), tid: thread.tid, text: `${thread.syscall!.text} (${futex.op} on ${futex.symbol ?? futex.address})`, role: 'blocked-forever' },
  ];
  const ownerText = futex.owner === null ? 'no owner field (not a pthread mutex, or a low-level lock)' : `__owner ${futex.owner}`;
  evidence.push({
    file: `/proc/${child.pid}/mem`,
    line: 1,
    tid: futex.owner ?? thread.tid,
    text: `${futex.address}: word ${futex.word ?? '?'} (${futexWordMeaning(futex)}), ${ownerText}`,
    role: futex.owner === null ? 'blocked-forever' : 'lock-taken',
  });
  const chain = waitChain(child, parentOf);
  for (const { thread: waiting, pid } of chain) {
    evidence.push({ ...where(pid, waiting.tid, 'syscall'), tid: waiting.tid, text: waiting.syscall!.text, role: 'waits-for-child' });
  }
  const named = futex.symbol ? `${futex.address} = ${futex.symbol}` : futex.address;
  const inherited = 'the child inherited the lock locked at fork and nothing in it can release it.';
  const holder =
    owner === 'parent-thread'
      ? `Its __owner is thread ${futex.owner}, a thread of the parent ${parent!.pid} and not of ${child.pid}: ${inherited}`
      : owner === 'traced-parent-thread'
        ? `Its __owner is thread ${futex.owner}, which the trace shows as a thread of the parent ${parent!.pid} ` +
          `made before the fork (it has exited since): ${inherited}`
        : owner === 'gone'
          ? `Its __owner ${futex.owner} is no thread of ${child.pid} and has exited, so /proc cannot show whose thread it ` +
            `was (TIDs are reused, so its number proves nothing), and every thread of ${child.pid} is blocked: nothing in it can release the lock.`
          : confidence === 'likely'
            ? `Its __owner ${futex.owner} is no thread of ${child.pid}, and every thread of ${child.pid} is blocked: nothing in it can release the lock.`
          : `The word still holds ${futex.word}, the value the waiter sleeps on, and every thread of ${child.pid} is blocked, so nothing in it can wake the waiter; /proc cannot show who held it.`;
  return {
    kind: 'inherited-lock',
    pid: child.pid,
    tid: thread.tid,
    futex: futex.address,
    parentPid: parent?.pid ?? child.ppid,
    // /proc does not record which thread forked a process: the parent's main thread stands in.
    forkTid: parent?.pid ?? child.ppid,
    holderTid: owner === 'parent-thread' || owner === 'traced-parent-thread' ? futex.owner : null,
    confidence,
    blockedSince: null,
    op: futex.op,
    chain: chain.map(({ link }) => link),
    evidence,
    explanation: `Thread ${thread.tid} of ${child.pid} is blocked in ${futex.op} on ${named} with no timeout (state ${thread.state}, wchan ${thread.wchan ?? '?'}). ${holder}`,
    source: 'proc',
  };
}

function futexWordMeaning(futex: FutexWord): string {
  if (futex.word === null) return 'unreadable';
  if (futex.owner !== null) return futex.word === 2 ? 'mutex locked, with waiters' : 'mutex locked';
  if (futex.word === futex.expected) return 'the value the waiter sleeps on';
  return `changed from the ${futex.expected} the waiter sleeps on: a wake is due`;
}

/** Parents sitting in wait4/waitid for the hung process, then theirs, upward within the tree. */
function waitChain(
  child: ProcessSnapshot,
  parentOf: (child: ProcessSnapshot) => ProcessSnapshot | null,
): { link: ChainLink; thread: ThreadSnapshot; pid: number }[] {
  const links: { link: ChainLink; thread: ThreadSnapshot; pid: number }[] = [];
  const seen = new Set<number>();
  for (let waitedOn = child; !seen.has(waitedOn.pid); ) {
    seen.add(waitedOn.pid);
    // Beyond the examined tree only the hung process's own parent is looked at (not the shell's).
    const parent = parentOf(waitedOn);
    if (!parent) break;
    const waiting = parent.threads.find((t) => {
      const target = waitTarget(t);
      return target !== null && (target.pid === waitedOn.pid || target.pid <= 0);
    });
    if (!waiting) break;
    const target = waitTarget(waiting)!;
    links.push({
      link: {
        pid: parent.pid,
        tid: waiting.tid,
        waitsOn: `${target.call} ${target.pid === -1 ? 'any' : target.pid}`,
        where: { file: `/proc/${parent.pid}/task/${waiting.tid}/syscall`, line: 1 },
      },
      thread: waiting,
      pid: parent.pid,
    });
    waitedOn = parent;
  }
  return links;
}

function summarize(process: ProcessSnapshot, byPid: Map<number, ProcessSnapshot>): ProcessSummary {
  let state: ProcessState = 'running';
  if (process.threads.some(isUntimedWait)) state = 'blocked-futex';
  else if (process.threads.some((t) => waitTarget(t) !== null)) state = 'waiting-child';
  return {
    pid: process.pid,
    parentPid: byPid.has(process.ppid) ? process.ppid : process.ppid || null,
    threads: process.threads.map((t) => t.tid),
    command: process.command,
    exit: null,
    state,
  };
}


/**
 * Adds what a /proc snapshot of the traced tree showed to the trace's analysis: a trace finding on
 * the same wait gains /proc's proof (the lock's __owner: holder and `confirmed`; the pipe's
 * holders), and a hang the trace missed is reported from /proc. `source` names where the snapshot
 * came from in the sentences (it was taken live, or read back from a record directory).
 */
export function mergeSnapshot(analysis: Analysis, snapshot: TreeSnapshot, tree: TaskTree, source: string): void {
  const fromProc = analyzeSnapshot(snapshot, tree);
  analysis.warnings.push(...fromProc.warnings);
  for (const proc of fromProc.findings) {
    if (proc.kind === 'inherited-lock') mergeInheritedLock(analysis, proc, snapshot, source);
    else if (proc.kind === 'lock-cycle') mergeLockCycle(analysis, proc, source);
    else mergeHeldPipe(analysis, proc, source);
  }
}

function mergeInheritedLock(analysis: Analysis, proc: InheritedLockFinding, snapshot: TreeSnapshot, source: string): void {
  // The command itself was exec'd, not forked from the traced program: it inherited no lock.
  if (proc.pid === snapshot.root) return;
  const traced = analysis.findings.find(
    (f): f is InheritedLockFinding => f.kind === 'inherited-lock' && f.pid === proc.pid && f.tid === proc.tid && f.futex === proc.futex,
  );
  if (!traced) {
    analysis.findings.push(proc);
    return;
  }
  traced.evidence.push(...proc.evidence.filter((e) => e.role !== 'waits-for-child'));
  const futex = snapshot.processes.find((p) => p.pid === proc.pid)?.threads.find((t) => t.tid === proc.tid)?.futex;
  if (traced.confidence === 'confirmed' && traced.holderTid === proc.holderTid && futex) {
    traced.explanation += ` ${source} agrees: the lock is ${futex.symbol ?? futex.address}, its __owner ${futex.owner}.`;
    return;
  }
  traced.explanation += ` ${source} showed: ${proc.explanation}`;
  if (proc.confidence !== 'confirmed') return;
  if (traced.holderTid === null) traced.holderTid = proc.holderTid;
  traced.confidence = 'confirmed';
}

/** /proc's owners prove the cycle: the trace's finding becomes confirmed, and no thread of it is reported as another hang. */
function mergeLockCycle(analysis: Analysis, proc: LockCycleFinding, source: string): void {
  const members = new Set(proc.tids);
  analysis.findings = analysis.findings.filter((f) => f.kind !== 'inherited-lock' || f.pid !== proc.pid || !members.has(f.tid));
  const traced = analysis.findings.find(
    (f): f is LockCycleFinding => f.kind === 'lock-cycle' && f.pid === proc.pid && f.tids.length === members.size && f.tids.every((t) => members.has(t)),
  );
  if (!traced) {
    analysis.findings.push(proc);
    return;
  }
  traced.evidence.push(...proc.evidence);
  traced.confidence = 'confirmed';
  traced.explanation += ` ${source} confirms it: ${proc.explanation}`;
}

function mergeHeldPipe(analysis: Analysis, proc: PipeHeldOpenFinding, source: string): void {
  const traced = analysis.findings.find(
    (f): f is PipeHeldOpenFinding => f.kind === 'pipe-held-open' && f.pid === proc.pid && f.tid === proc.tid && f.fd === proc.fd,
  );
  if (!traced) {
    analysis.findings.push(proc);
    return;
  }
  traced.evidence.push(...proc.evidence);
  for (const writer of proc.writers) {
    if (!traced.writers.some((w) => w.pid === writer.pid && w.fd === writer.fd)) traced.writers.push(writer);
  }
  traced.confidence = 'confirmed';
  traced.explanation += ` ${source} confirms it: ${proc.explanation}`;
}
