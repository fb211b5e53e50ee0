// The words every view uses for findings and evidence, so the text report, the timeline and the
// TUI say the same thing the same way.

import type { ChainLink, EvidenceRole, Finding } from '../analysis/types.js';

export const ROLE_LABELS: Record<EvidenceRole, string> = {
  'lock-taken': 'lock taken',
  'handed-over': 'lock handed over to a waiter (WAKE woke one)',
  'fork-while-held': 'fork while the lock is held',
  'released-after-fork': 'the holder releases it, in the parent only',
  'contended-across-fork': 'waited for the lock across the fork',
  'blocked-forever': 'BLOCKED FOREVER',
  'timed-out': 'timed out, never acquired',
  'waits-for-child': 'waits for the hung child',
};

/** The same, as a tag short enough to lead a timeline row in a narrow terminal. */
export const ROLE_TAGS: Record<EvidenceRole, string> = {
  'lock-taken': 'LOCK TAKEN',
  'handed-over': 'HANDED OVER (WAKE=1)',
  'fork-while-held': 'FORK WHILE HELD',
  'released-after-fork': 'RELEASED IN PARENT ONLY',
  'contended-across-fork': 'WAITED ACROSS FORK',
  'blocked-forever': 'BLOCKED FOREVER',
  'timed-out': 'TIMED OUT',
  'waits-for-child': 'WAITS FOR HUNG CHILD',
};

/** A count and its noun: "1 process", "2 processes" (`plural` defaults to noun + s). */
export function counted(count: number, noun: string, plural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : plural}`;
}

/** One sentence: "18972 (child of 18969) blocked forever on futex 0x2b.., held by 18970 when 18969 forked it (likely)". */
export function findingSentence(finding: Finding): string {
  const holder = finding.holderTid === null ? 'a thread the trace does not show' : String(finding.holderTid);
  return (
    `${finding.pid} (child of ${finding.parentPid ?? finding.forkTid}) blocked forever on futex ${finding.futex}, ` +
    `held by ${holder} when ${finding.forkTid} forked it (${finding.confidence})`
  );
}

/** A link of the wait chain: "thread 18969 of process 18969 sits in wait4 18972". */
export function waitSentence(link: ChainLink): string {
  const owner = link.pid === null ? 'a process the log does not name' : `process ${link.pid}`;
  return `thread ${link.tid} of ${owner} sits in ${link.waitsOn}`;
}

/** A process's name in prose: its pid, or its threads when the log never shows the pid. */
export function processLabel(process: { pid: number | null; threads: number[] }): string {
  return process.pid !== null ? String(process.pid) : `the process of threads ${process.threads.join(', ')}`;
}
