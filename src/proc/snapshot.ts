// A read-only postmortem of a live process tree from /proc: every thread's state, wchan and
// current syscall, the futex words the blocked ones wait on (read from /proc/PID/mem), and from
// that the same findings a trace gives, with `source: 'proc'`.
//
// glibc x86_64/aarch64 pthread_mutex_t: __lock (the futex word) at +0, __owner (holder TID) at +8,
// __kind at +16. A child blocked on a mutex whose __owner is a thread of its parent, not one of
// its own, inherited the lock locked: proof, `confirmed`.

import type { Analysis, ChainLink, Confidence, Evidence, Finding, InheritedLockFinding, LockName, ProcessState, ProcessSummary, Warning } from '../analysis/types.js';
import { fixFor } from '../analysis/fixes.js';
import { lockCyclesFromSnapshot } from '../analysis/lock-cycle.js';
import { foldIntoLockHangs, heldPipesFromSnapshot } from '../analysis/pipes.js';
import type { TaskEvent } from '../model/events.js';
import { decodeFutexOp, futexOpName, isFutexWait } from '../model/futex.js';
import { syscallName, waitidTarget } from '../linux/abi.js';
import { readDescriptors, untimedWaitOf } from './fds.js';
import type { Descriptor } from './fds.js';
import { locateAddress, readMaps, readMemory } from './memory.js';
import { alive, commandLine, descendantsOf, isKernelThread, readStat, readText, threadsOf } from './tree.js';

export type SyscallArgs = [bigint, bigint, bigint, bigint, bigint, bigint];

export interface SyscallState {
  nr: number;
  name: string;
  /** The six argument registers. */
  args: SyscallArgs;
  /** The line of /proc/PID/task/TID/syscall as read. */
  text: string;
}

export interface FutexWord {
  address: string;
  op: string;
  /** FUTEX_PRIVATE_FLAG: only threads of the same process can wake it. */
  private: boolean;
  /** The wait's timeout argument was not NULL: it returns by itself eventually. */
  timed: boolean;
  /** The word now (a mutex: 0 free, 1 locked, 2 locked with waiters); null if unreadable. */
  word: number | null;
  /** The value the waiter expects the word to hold (val): while it does, the wait goes on. */
  expected: number;
  /** The pthread_mutex_t __owner field when the word looks like a mutex, else null. */
  owner: number | null;
  /** `symbol+offset (object)`, or the mapping, of the address. */
  symbol: string | null;
  /** The symbol covering it, as a finding's `lock`. */
  lock: LockName | null;
}

export interface ThreadSnapshot {
  tid: number;
  comm: string;
  state: string;
  wchan: string | null;
  /** null when the thread is running (or the file is unreadable): it is in no syscall. */
  syscall: SyscallState | null;
  futex: FutexWord | null;
  /** CPU time used so far (schedstat), to tell later whether it ran at all. */
  runNs: number | null;
  /** What it waits for with no timeout (a futex wake, a child, a pipe or socket), in words; null if it may return by itself. */
  untimedWait: string | null;
  /** The descriptors such a wait waits to read from, when /proc shows them. */
  fdWait: number[] | null;
}

export interface ProcessSnapshot {
  pid: number;
  ppid: number;
  comm: string;
  command: string | null;
  threads: ThreadSnapshot[];
  /** The pipes and sockets it has open. */
  fds: Descriptor[];
}

export interface TreeSnapshot {
  takenAt: string;
  root: number;
  processes: ProcessSnapshot[];
  warnings: string[];
}

/** A clear reason why `pid` cannot be examined, or null when it can. */
export function cannotExamine(pid: number): string | null {
  const stat = readStat(pid);
  if (!stat) return `no process ${pid} (it exited, or the pid is wrong)`;
  if (!alive(stat)) return `process ${pid} has exited (zombie, not yet reaped by its parent)`;
  if (isKernelThread(stat)) return `${pid} (${stat.comm}) is a kernel thread: it has no user memory or futex waits`;
  if (readText(`/proc/${pid}/task/${pid}/syscall`) === null) {
    const scope = readText('/proc/sys/kernel/yama/ptrace_scope')?.trim();
    const hint =
      process.getuid?.() === 0
        ? ''
        : ` run as root (forkscope reads /proc/PID/{syscall,mem}, which needs ptrace rights${scope && scope !== '0' ? `; kernel.yama.ptrace_scope is ${scope}` : ''})`;
    return `cannot read /proc/${pid}/task/${pid}/syscall:${hint || ' permission denied'}`;
  }
  return null;
}

export function snapshotTree(root: number, pids: number[] = descendantsOf(root)): TreeSnapshot {
  const warnings: string[] = [];
  const processes: ProcessSnapshot[] = [];
  for (const pid of pids) {
    const stat = readStat(pid);
    if (!alive(stat) || isKernelThread(stat)) continue;
    const maps = readMaps(pid);
    const threads: ThreadSnapshot[] = [];
    for (const tid of threadsOf(pid)) {
      const thread = snapshotThread(pid, tid, maps);
      if (thread) threads.push(thread);
      if (thread?.futex && thread.futex.word === null) warnings.push(`${pid}: cannot read futex ${thread.futex.address} from /proc/${pid}/mem`);
    }
    processes.push({ pid, ppid: stat.ppid, comm: stat.comm, command: commandLine(pid), threads, fds: readDescriptors(pid) });
  }
  return { takenAt: new Date().toISOString(), root, processes, warnings };
}

function snapshotThread(pid: number, tid: number, maps: ReturnType<typeof readMaps>): ThreadSnapshot | null {
  const stat = readStat(pid, tid);
  if (!alive(stat)) return null;
  const base = `/proc/${pid}/task/${tid}`;
  const syscall = parseSyscall(readText(`${base}/syscall`));
  const runNs = Number(readText(`${base}/schedstat`)?.split(' ')[0] ?? NaN);
  const wait = syscall ? untimedWaitOf(pid, syscall) : null;
  return {
    tid,
    comm: stat.comm,
    state: stat.state,
    wchan: readText(`${base}/wchan`)?.trim() || null,
    syscall,
    futex: syscall?.name === 'futex' ? readFutex(pid, syscall, maps) : null,
    runNs: Number.isFinite(runNs) ? runNs : null,
    untimedWait: wait?.text ?? null,
    fdWait: wait?.fds ?? null,
  };
}

/** `202 0x55d0c0a4c080 0x80 0x2 0x0 ...`; `running` and `-1 sp pc` (not in a syscall) give null. */
export function parseSyscall(text: string | null): SyscallState | null {
  const fields = text?.trim().split(' ');
  if (!fields || fields.length < 7 || !/^\d+$/.test(fields[0]!)) return null;
  const nr = Number(fields[0]);
  const args = fields.slice(1, 7).map((a) => BigInt(a)) as SyscallArgs;
  return { nr, name: syscallName(nr), args, text: text!.trim() };
}

function readFutex(pid: number, syscall: SyscallState, maps: ReturnType<typeof readMaps>): FutexWord {
  const [uaddr, op, val, timeout] = syscall.args;
  const decoded = decodeFutexOp(Number(op & 0xffffffffn));
  const memory = readMemory(pid, uaddr, 20);
  const word = memory ? memory.readInt32LE(0) : null;
  // Only a word that looks like a locked glibc mutex has a meaningful __owner: waiters wait with
  // val 2 on a word they set to 2, and __kind holds a mutex type (0-3) plus PI/robust/pshared flags.
  const kind = memory ? memory.readInt32LE(16) : -1;
  const mutexLike = memory !== null && val === 2n && (word === 1 || word === 2) && (kind & ~0x3f3) === 0;
  const owner = mutexLike ? memory.readInt32LE(8) & 0x3fffffff : null;
  const location = locateAddress(pid, uaddr, maps);
  return {
    address: '0x' + uaddr.toString(16),
    op: futexOpName(decoded),
    private: decoded.private,
    timed: isFutexWait(decoded.command) && timeout !== 0n,
    word,
    expected: Number(BigInt.asIntN(32, val)),
    owner: owner || null,
    symbol: location?.text ?? null,
    lock: location?.lock ?? null,
  };
}

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

/** The findings a snapshot proves or suggests, in the shape `analyze` reports. */
export function analyzeSnapshot(snapshot: TreeSnapshot): Analysis {
  const byPid = new Map(snapshot.processes.map((p) => [p.pid, p]));
  const findings: Finding[] = [];
  for (const child of snapshot.processes) {
    // A private futex can only be woken by a thread of its own process: if every one of them sits
    // in an untimed futex wait, nothing can (a thread asleep or reading may still release a lock).
    const allBlocked = child.threads.every(isUntimedWait);
    for (const thread of child.threads) {
      if (!isUntimedWait(thread)) continue;
      const futex = thread.futex!;
      const parent = byPid.get(child.ppid) ?? snapshotParent(child.ppid);
      const owner = ownerOf(futex, child, parent);
      let confidence: Confidence;
      if (owner === 'parent-thread' || owner === 'former-parent-thread') confidence = 'confirmed';
      else if (owner === 'elsewhere' && allBlocked && futex.private) confidence = 'likely';
      else if (owner === null && allBlocked && futex.private && futex.word === futex.expected) confidence = 'possible';
      else continue;
      findings.push(snapshotFinding(child, thread, futex, parent, confidence, owner, byPid));
    }
  }
  findings.push(...lockCyclesFromSnapshot(snapshot), ...heldPipesFromSnapshot(snapshot));
  const folded = foldIntoLockHangs(findings);
  for (const finding of folded) {
    const command = byPid.get(finding.pid)?.command ?? null;
    finding.fix = fixFor(finding, { executable: command?.split(' ')[0] ?? null, argv: command });
  }
  return {
    inputs: [],
    processes: snapshot.processes.map((p) => summarize(p, byPid)),
    findings: folded,
    warnings: snapshot.warnings.map((message): Warning => ({ file: `/proc/${snapshot.root}`, line: 0, message })),
  };
}

type OwnerVerdict = 'parent-thread' | 'former-parent-thread' | 'elsewhere' | 'own-thread' | null;

/**
 * Whose thread the mutex's __owner is. After the fork the child's copy of the word is written only
 * by the child's own threads, whose TIDs all come after the child's pid: an owner TID allocated
 * between the parent's pid and the child's, and now no live thread of another process, locked it
 * in the parent before the fork, even if that thread has exited since.
 */
function ownerOf(futex: FutexWord, child: ProcessSnapshot, parent: ProcessSnapshot | null): OwnerVerdict {
  const owner = futex.owner;
  if (owner === null) return null;
  if (child.threads.some((t) => t.tid === owner)) return 'own-thread';
  if (parent?.threads.some((t) => t.tid === owner)) return 'parent-thread';
  const alive = readText(`/proc/${owner}/status`) !== null;
  if (parent && !alive && parent.pid < owner && owner < child.pid) return 'former-parent-thread';
  return 'elsewhere';
}

/** A parent outside the examined tree (attach was given the hung child itself). */
function snapshotParent(ppid: number): ProcessSnapshot | null {
  if (ppid <= 1) return null;
  const stat = readStat(ppid);
  if (!alive(stat) || isKernelThread(stat)) return null;
  const maps = readMaps(ppid);
  const threads = threadsOf(ppid)
    .map((tid) => snapshotThread(ppid, tid, maps))
    .filter((t): t is ThreadSnapshot => t !== null);
  return { pid: ppid, ppid: stat.ppid, comm: stat.comm, command: commandLine(ppid), threads, fds: readDescriptors(ppid) };
}

function snapshotFinding(
  child: ProcessSnapshot,
  thread: ThreadSnapshot,
  futex: FutexWord,
  parent: ProcessSnapshot | null,
  confidence: Confidence,
  owner: OwnerVerdict,
  byPid: Map<number, ProcessSnapshot>,
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
  const chain = waitChain(child, byPid);
  for (const { thread: waiting, pid } of chain) {
    evidence.push({ ...where(pid, waiting.tid, 'syscall'), tid: waiting.tid, text: waiting.syscall!.text, role: 'waits-for-child' });
  }
  const named = futex.symbol ? `${futex.address} = ${futex.symbol}` : futex.address;
  const inherited = 'the child inherited the lock locked at fork and nothing in it can release it.';
  const holder =
    owner === 'parent-thread'
      ? `Its __owner is thread ${futex.owner}, a thread of the parent ${parent!.pid} and not of ${child.pid}: ${inherited}`
      : owner === 'former-parent-thread'
        ? `Its __owner is thread ${futex.owner}, no thread of ${child.pid} and no longer running: its TID comes ` +
          `between the parent ${parent!.pid} and the child, so it took the lock in the parent before the fork (the ` +
          `child's own threads all came later): ${inherited}`
        : confidence === 'likely'
          ? `Its __owner ${futex.owner} is no thread of ${child.pid}, and every thread of ${child.pid} is blocked: nothing in it can release the lock.`
          : `The word still holds ${futex.word}, the value the waiter sleeps on, and every thread of ${child.pid} is blocked, so nothing in it can wake the waiter; /proc cannot show who held it.`;
  return {
    kind: 'inherited-lock',
    pid: child.pid,
    tid: thread.tid,
    futex: futex.address,
    lock: futex.lock,
    parentPid: parent?.pid ?? child.ppid,
    // /proc does not record which thread forked a process: the parent's main thread stands in.
    forkTid: parent?.pid ?? child.ppid,
    holderTid: owner === 'parent-thread' || owner === 'former-parent-thread' ? futex.owner : null,
    confidence,
    blockedSince: null,
    op: futex.op,
    chain: chain.map(({ link }) => link),
    evidence,
    explanation: `Thread ${thread.tid} of ${child.pid} is blocked in ${futex.op} on ${named} with no timeout (state ${thread.state}, wchan ${thread.wchan ?? '?'}). ${holder}`,
    fix: '',
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
  byPid: Map<number, ProcessSnapshot>,
): { link: ChainLink; thread: ThreadSnapshot; pid: number }[] {
  const links: { link: ChainLink; thread: ThreadSnapshot; pid: number }[] = [];
  const seen = new Set<number>();
  for (let waitedOn = child; !seen.has(waitedOn.pid); ) {
    seen.add(waitedOn.pid);
    // Beyond the examined tree only the hung process's own parent is looked at (not the shell's).
    const parent = byPid.get(waitedOn.ppid) ?? (waitedOn === child ? snapshotParent(waitedOn.ppid) : null);
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
 * The tree as task events, for a trace of it that starts after its processes and threads were
 * made (`strace -p` shows no clone): which tasks are threads of which process, and who is whose parent.
 */
export function snapshotTaskEvents(snapshot: TreeSnapshot): TaskEvent[] {
  const pids = new Set(snapshot.processes.map((p) => p.pid));
  const where = { file: `/proc (${snapshot.takenAt})`, line: 0 };
  return snapshot.processes.flatMap((process, order) =>
    process.threads.map((thread, i) => ({
      kind: 'task' as const,
      tid: thread.tid,
      creatorTid: thread.tid === process.pid && pids.has(process.ppid) ? process.ppid : null,
      tgid: process.pid,
      command: process.command ?? process.comm,
      // Before anything the trace shows.
      at: { us: 0, text: null, stream: -1, seq: order * 100_000 + i, where },
    })),
  );
}
