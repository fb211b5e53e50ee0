// The process tree pane's rows: processes depth first, a process's threads under it when it is
// expanded, each marked hung (a finding's process) or waiting for a hung descendant (its chain).

import { blockedTids } from '../analysis/types.js';
import type { Finding } from '../analysis/types.js';
import type { ProcessEntry, ThreadEntry } from './trace-index.js';

export interface TreeRow {
  /** `p:<process id>` or `t:<process id>:<tid>`: survives the tree being rebuilt. */
  id: string;
  process: ProcessEntry;
  thread: ThreadEntry | null;
  depth: number;
  /** The finding this process (or thread) is hung in. */
  hung: Finding | null;
  /** The pid of the hung process this one waits for, through its wait chain. */
  waitsFor: number | null;
  /** The thread of this row that waits for it (in the chain). */
  waiter: ThreadEntry | null;
  expandable: boolean;
  expanded: boolean;
}

export function treeRows(roots: ProcessEntry[], findings: Finding[], expanded: ReadonlySet<string>): TreeRow[] {
  // Looked up per row: a trace can hold thousands of processes and findings.
  const hungByPid = new Map<number, Finding>();
  const hungByTid = new Map<number, Finding>();
  const waitsByTid = new Map<number, number>();
  for (const finding of findings) {
    if (!hungByPid.has(finding.pid)) hungByPid.set(finding.pid, finding);
    for (const tid of blockedTids(finding)) hungByTid.set(tid, finding);
    for (const link of finding.chain) if (!waitsByTid.has(link.tid)) waitsByTid.set(link.tid, finding.pid);
  }
  const rows: TreeRow[] = [];
  const visit = (process: ProcessEntry, depth: number) => {
    const id = `p:${process.id}`;
    const expandable = process.threads.length > 1;
    const isOpen = expandable && expanded.has(id);
    const hung = process.pid === null ? null : (hungByPid.get(process.pid) ?? null);
    const waiter = process.threads.find((t) => waitsByTid.has(t.tid)) ?? null;
    const waitsFor = waiter ? waitsByTid.get(waiter.tid)! : null;
    rows.push({ id, process, thread: null, depth, hung, waitsFor, waiter, expandable, expanded: isOpen });
    if (isOpen) {
      for (const thread of process.threads) {
        const threadHung = hungByTid.get(thread.tid);
        rows.push({
          id: `t:${process.id}:${thread.tid}`,
          process,
          thread,
          depth: depth + 1,
          hung: threadHung && threadHung.pid === process.pid ? threadHung : null,
          waitsFor: waitsByTid.get(thread.tid) ?? null,
          waiter: waitsByTid.has(thread.tid) ? thread : null,
          expandable: false,
          expanded: false,
        });
      }
    }
    for (const child of process.children) visit(child, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return rows;
}

/** The first row of a list of `length` to show so that `cursor` is visible, kept near the middle. */
export function windowTop(cursor: number, height: number, length: number): number {
  if (length <= height) return 0;
  return Math.max(0, Math.min(cursor - Math.floor(height / 2), length - height));
}
