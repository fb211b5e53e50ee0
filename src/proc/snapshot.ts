// A read-only postmortem of a live process tree from /proc: every thread's state, wchan and
// current syscall, the futex words the blocked ones wait on (read from /proc/PID/mem), and whose
// thread a mutex's __owner is. Facts only: src/analysis/proc-findings.ts turns them into findings.
//
// glibc x86_64/aarch64 pthread_mutex_t: __lock (the futex word) at +0, __owner (holder TID) at +8,
// __kind at +16.

import type { LockName } from '../analysis/types.js';
import type { TaskEvent } from '../model/events.js';
import { decodeFutexOp, futexOpName, isFutexWait } from '../model/futex.js';
import { PID_MAX_LIMIT, syscallName } from '../linux/abi.js';
import { isBareGlibcWord } from '../analysis/glibc-locks.js';
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
  /**
   * The process the owner TID belongs to when the snapshot was taken (its Tgid), null when no
   * such task is alive (it exited), or when there is no owner. Absent in snapshots of older versions.
   */
  ownerTgid?: number | null;
  /** `symbol+offset (object)`, or the mapping, of the address. */
  symbol: string | null;
  /** The symbol covering it, as a finding's `lock`. Absent in snapshots of older versions. */
  lock?: LockName | null;
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
  /**
   * The root's parent, outside the examined tree (attach given the hung child itself), when it is
   * a live user process; null otherwise. Absent in snapshots of older versions.
   */
  rootParent?: ProcessSnapshot | null;
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
    const process = snapshotProcess(pid);
    if (!process) continue;
    for (const thread of process.threads) {
      if (thread.futex && thread.futex.word === null) warnings.push(`${pid}: cannot read futex ${thread.futex.address} from /proc/${pid}/mem`);
    }
    processes.push(process);
  }
  const rootPpid = processes.find((p) => p.pid === root)?.ppid ?? 0;
  const rootParent = rootPpid > 1 ? snapshotProcess(rootPpid) : null;
  return { takenAt: new Date().toISOString(), root, processes, rootParent, warnings };
}

/** One live user process, or null (gone, a zombie, a kernel thread). */
function snapshotProcess(pid: number): ProcessSnapshot | null {
  const stat = readStat(pid);
  if (!alive(stat) || isKernelThread(stat)) return null;
  const maps = readMaps(pid);
  const threads = threadsOf(pid)
    .map((tid) => snapshotThread(pid, tid, maps))
    .filter((t): t is ThreadSnapshot => t !== null);
  return { pid, ppid: stat.ppid, comm: stat.comm, command: commandLine(pid), threads, fds: readDescriptors(pid) };
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
  const location = locateAddress(pid, uaddr, maps);
  // Only a word that looks like a locked glibc mutex has a meaningful __owner: waiters wait with
  // val 2 on a word they set to 2, __kind holds a mutex type (0-3) plus PI/robust/pshared flags,
  // and the owner is a TID. glibc's own locks (syslog_lock, tzset_lock) are bare words.
  const kind = memory ? memory.readInt32LE(16) : -1;
  const mutexLike = memory !== null && val === 2n && (word === 1 || word === 2) && (kind & ~0x3f3) === 0 && !isBareGlibcWord(location?.lock ?? null);
  const ownerField = mutexLike ? memory.readInt32LE(8) & 0x3fffffff : 0;
  const owner = ownerField > 0 && ownerField <= PID_MAX_LIMIT ? ownerField : null;
  return {
    address: '0x' + uaddr.toString(16),
    op: futexOpName(decoded),
    private: decoded.private,
    timed: isFutexWait(decoded.command) && timeout !== 0n,
    word,
    expected: Number(BigInt.asIntN(32, val)),
    owner,
    ownerTgid: owner === null ? null : tgidOf(owner),
    symbol: location?.text ?? null,
    lock: location?.lock ?? null,
  };
}

/** The process a live task belongs to (`Tgid:` of /proc/TID/status), null when it is gone. */
function tgidOf(tid: number): number | null {
  const match = /^Tgid:\s+(\d+)$/m.exec(readText(`/proc/${tid}/status`) ?? '');
  return match ? Number(match[1]) : null;
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
