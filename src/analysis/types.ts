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
  | 'waits-for-child'; // a wait4/waitid on the hung process

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

export interface Finding {
  kind: 'inherited-lock';
  /** The hung process and its blocked thread. */
  pid: number;
  tid: number;
  /** The futex word's address, lowercase hex. */
  futex: string;
  /** The process that forked it (null when the log never shows its pid) and the forking thread. */
  parentPid: number | null;
  forkTid: number;
  /** The parent's thread that held the lock at the fork, null when the trace cannot show it. */
  holderTid: number | null;
  confidence: Confidence;
  /** When the blocked wait began, as the log printed it. */
  blockedSince: string | null;
  /** The futex op of the blocked wait, e.g. FUTEX_WAIT_PRIVATE. */
  op: string;
  /** Who waits for the hung process, nearest first. */
  chain: ChainLink[];
  evidence: Evidence[];
  /** One or two sentences saying why, in plain words. */
  explanation: string;
  /** Where the finding came from: a trace, or a /proc snapshot of a live tree. */
  source: 'trace' | 'proc';
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
