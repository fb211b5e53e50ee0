// The words every view uses for findings and evidence, so the text report, the timeline and the
// TUI say the same thing the same way.

import type { ChainLink, EvidenceRole, Finding, FindingKind } from '../analysis/types.js';

export const ROLE_LABELS: Record<EvidenceRole, string> = {
  'lock-taken': 'lock taken',
  'handed-over': 'lock handed over to a waiter (WAKE woke one)',
  'fork-while-held': 'fork while the lock is held',
  'released-after-fork': 'the holder releases it, in the parent only',
  'contended-across-fork': 'waited for the lock across the fork',
  'blocked-forever': 'BLOCKED FOREVER',
  'timed-out': 'timed out, never acquired',
  'waits-for-child': 'waits for the hung child',
  'holds-lock': 'holds the lock another thread of the cycle waits on',
  'joins-thread': 'joins a deadlocked thread',
  'pipe-created': 'the pipe is made',
  'fd-copied': 'a copy of the descriptor is made (fork or dup)',
  'write-end-open': 'holds the write end open, itself stuck here',
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
  'holds-lock': 'HOLDS LOCK',
  'joins-thread': 'JOINS DEADLOCKED THREAD',
  'pipe-created': 'PIPE MADE',
  'fd-copied': 'FD COPIED',
  'write-end-open': 'WRITE END HELD',
};

/** A count and its noun: "1 process", "2 processes" (`plural` defaults to noun + s). */
export function counted(count: number, noun: string, plural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : plural}`;
}

/** Each kind of finding in a few words, singular and plural, for headlines and titles. */
export const KIND_WORDS: Record<FindingKind, [string, string]> = {
  'inherited-lock': ['thread of forked children hung on a lock inherited locked', 'threads of forked children hung on a lock inherited locked'],
  'lock-cycle': ['lock cycle (threads deadlocked on each other\'s locks)', 'lock cycles (threads deadlocked on each other\'s locks)'],
  'pipe-held-open': ['reader blocked on a pipe held open', 'readers blocked on a pipe held open'],
};

/** The same, shortest, after a count of findings: "2 hung on an inherited lock". */
export const KIND_SHORT: Record<FindingKind, string> = {
  'inherited-lock': 'hung on an inherited lock',
  'lock-cycle': 'in a lock cycle',
  'pipe-held-open': 'blocked on a pipe held open',
};

/** "1 lock cycle, 2 readers blocked on a pipe held open": the findings counted by kind. */
export function findingCounts(findings: Finding[]): string {
  const parts: string[] = [];
  for (const kind of Object.keys(KIND_WORDS) as FindingKind[]) {
    const count = findings.filter((f) => f.kind === kind).length;
    if (count > 0) parts.push(`${count} ${KIND_WORDS[kind][count === 1 ? 0 : 1]}`);
  }
  return parts.join(', ');
}

/**
 * One sentence: "18972 (child of 18969) blocked forever on futex 0x2b.., held by 18970 when 18969
 * forked it (likely)", "lock cycle in 9883: 9884 waits for 0x..c0 held by 9886, ...".
 */
export function findingSentence(finding: Finding): string {
  if (finding.kind === 'lock-cycle') {
    const steps = finding.tids.map((tid, i) => `${tid} waits for ${finding.futexes[i]} held by ${finding.tids[(i + 1) % finding.tids.length]}`);
    return `lock cycle in ${finding.pid}: ${steps.join(', ')} (${finding.confidence})`;
  }
  if (finding.kind === 'pipe-held-open') {
    const who = finding.tid === finding.pid ? String(finding.pid) : `${finding.tid} of ${finding.pid}`;
    const writers = finding.writers.map((w) => (w.pid === finding.pid ? `${w.pid} itself (fd ${w.fd})` : `${w.pid} (fd ${w.fd})`));
    return `${who} blocked forever in ${finding.call} on ${finding.channel} fd ${finding.fd}, held open by ${writers.join(', ')} (${finding.confidence})`;
  }
  const holder = finding.holderTid !== null ? String(finding.holderTid) : finding.source === 'proc' ? 'a thread /proc cannot name' : 'a thread the trace does not show';
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
