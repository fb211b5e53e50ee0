// The analysis result: what the text, JSON and Ink views render. The JSON view serialises it as
// the versioned `forkscope/analysis@1` document (docs/json.md), so field changes here are API changes.

import type { ExitStatus, SourceLine } from '../model/events.js';
import type { InputStats } from '../../parsers/types.js';

export type Confidence = 'confirmed' | 'likely' | 'possible';

/** Why a line is quoted as evidence; views annotate timeline lines with it. */
export type EvidenceRole =
  | 'lock-taken' // a thread of the parent acquired the lock (a wait on it returned)
  | 'handed-over' // a WAKE returned >= 1: the lock went to a waiter
  | 'fork-while-held' // the clone/fork that made the child while the lock was held
  | 'released-after-fork' // the holder released the lock in the parent after the fork
  | 'contended-across-fork' // a parent thread waited on the lock from before the fork to after it
  | 'blocked-forever' // the child's wait that never returns
  | 'timed-out' // a timed wait of the child that only ever times out
  | 'waits-for-child' // a wait4/waitid on the hung process
  | 'holder-at-fork' // the call the named holder was inside when the child was forked
  | 'lock-failed' // the child's FUTEX_LOCK_PI on an inherited PI mutex failed (glibc then aborts it)
  // lock-cycle
  | 'holds-lock' // the thread of the cycle that holds a lock another of them waits on (its wait returned, or /proc's __owner)
  | 'joins-thread' // a pthread_join (a futex wait on a thread's TID word) on a deadlocked thread
  // pipe-held-open
  | 'pipe-created' // the pipe() or socketpair() call that made it
  | 'fd-copied' // the fork (or dup) that gave a writer its copy of the write end
  | 'write-end-open'; // a process holding the write end open (its fd, from /proc, or its last call in the trace)

export interface Evidence extends SourceLine {
  tid: number;
  /** The call, reconstructed whole from its unfinished and resumed halves. */
  text: string;
  role: EvidenceRole;
}

export interface ChainLink {
  /** The waiting process (null when the log never shows its pid). */
  pid: number | null;
  tid: number;
  /** The call it sits in, e.g. `wait4 18972`. */
  waitsOn: string;
  where: SourceLine | null;
}

/** A futex word named by the symbol of the file it lies in. */
export interface LockName {
  /** The symbol covering the word (a global or static variable: the mutex, or the struct holding it). */
  symbol: string;
  /** Bytes from the symbol's start to the word. */
  offset: number;
  /** The file, as the trace names it (`-y` paths are the canonical ones). */
  object: string;
  /** A lock of the C library (null for any other): what takes it and whether fork resets it in the child, when forkscope knows. */
  glibc: { usedBy: string | null; resetInChild: boolean | null } | null;
}


/** A thread of the parent alive at the fork, which may have held the lock. */
export interface HolderCandidate {
  tid: number;
  /** The call it was inside at the fork (begun before it, returned after or never), null when in none or unknown. */
  doing: string | null;
  /** Where that call begins in the trace. */
  line: SourceLine | null;
  /** Why it ranks where it does, in plain words. */
  reason: string;
}

/**
 * What the inherited lock did to the child: `blocked` forever in its wait, or `aborted` (a PI
 * mutex: the kernel refuses FUTEX_LOCK_PI on a word owned by a thread of another process, and
 * glibc aborts).
 */
export type LockOutcome = 'blocked' | 'aborted';

/** A thread of a forked child blocked forever (or aborted) on a lock it inherited locked from its parent. */
export interface InheritedLockFinding {
  kind: 'inherited-lock';
  /** The hung process and its blocked thread. */
  pid: number;
  tid: number;
  /** The futex word's address, lowercase hex. */
  futex: string;
  /** The futex word by name, null when it cannot be named (a warning says why). */
  lock: LockName | null;
  /** The process that forked it (null when the log never shows its pid) and the forking thread. */
  parentPid: number | null;
  forkTid: number;
  /** The parent's thread that held the lock at the fork, null when the trace cannot show it. */
  holderTid: number | null;
  confidence: Confidence;
  /** The parent's threads alive at the fork, most likely holder first (empty when the trace cannot order them). */
  holderCandidates: HolderCandidate[];
  outcome: LockOutcome;
  /** When the blocked wait began, as the log printed it. */
  blockedSince: string | null;
  /** The futex op of the blocked wait (or of the failed lock), e.g. FUTEX_WAIT_PRIVATE. */
  op: string;
  /** Who waits for the hung process, nearest first. */
  chain: ChainLink[];
  evidence: Evidence[];
  /** One or two sentences saying why, in plain words. */
  explanation: string;
  /** How to fix it, in one line ending with the section of the docs that shows how. */
  fix: string;
  /** Where the finding came from: a trace, or a /proc snapshot of a live tree. */
  source: 'trace' | 'proc';
}

/**
 * Threads of one process each blocked forever on a lock that another of them holds (a lock-order
 * deadlock, ABBA and longer).
 */
export interface LockCycleFinding {
  kind: 'lock-cycle';
  pid: number;
  /** The cycle in order: tids[i] waits on futexes[i], held by tids[i + 1] (the last by the first). */
  tids: number[];
  futexes: string[];
  /** locks[i] names futexes[i], or is null when it cannot be named (a warning says why). */
  locks: (LockName | null)[];
  confidence: Confidence;
  /** Who waits for the deadlocked threads: a thread joining one of them, parents in wait4. */
  chain: ChainLink[];
  evidence: Evidence[];
  explanation: string;
  /** How to fix it, in one line ending with the section of the docs that shows how. */
  fix: string;
  source: 'trace' | 'proc';
}

/** A process holding the write end of a pipe (or the other end of a socketpair) open. */
export interface PipeWriter {
  pid: number;
  fd: number;
}

/**
 * A thread blocked forever reading a pipe or socketpair whose write end is still open in the tree
 * (by a forked child that inherited it, or by the reader itself), so end of file never comes.
 */
export interface PipeHeldOpenFinding {
  kind: 'pipe-held-open';
  pid: number;
  tid: number;
  /** The descriptor it reads (for poll/select: the first of the pipes it waits on). */
  fd: number;
  /** `pipe` or `socketpair`. */
  channel: 'pipe' | 'socketpair';
  /** The call it waits in: read, readv, recvmsg, poll, select, ... */
  call: string;
  /** Every process holding the write end open, with its descriptor. */
  writers: PipeWriter[];
  confidence: Confidence;
  /** When the blocked call began, as the log printed it. */
  blockedSince: string | null;
  /** Who waits for the blocked process: parents in wait4. */
  chain: ChainLink[];
  evidence: Evidence[];
  explanation: string;
  /** How to fix it, in one line ending with the section of the docs that shows how. */
  fix: string;
  source: 'trace' | 'proc';
}

export type Finding = InheritedLockFinding | LockCycleFinding | PipeHeldOpenFinding;
export type FindingKind = Finding['kind'];

/** The threads a finding reports blocked. */
export function blockedTids(finding: Finding): number[] {
  return finding.kind === 'lock-cycle' ? finding.tids : [finding.tid];
}

export type ProcessState = 'running' | 'blocked-futex' | 'waiting-child' | 'exited' | 'killed' | 'unknown';

export interface ProcessSummary {
  pid: number | null;
  parentPid: number | null;
  threads: number[];
  command: string | null;
  exit: ExitStatus | null;
  /** The state at the end of the trace. */
  state: ProcessState;
}

export interface Warning extends SourceLine {
  message: string;
}

export interface Analysis {
  inputs: InputStats[];
  processes: ProcessSummary[];
  findings: Finding[];
  warnings: Warning[];
}
