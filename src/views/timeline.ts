// `forkscope timeline`: the trace regrouped per process in the nested style of PlashGlibc's
// strace-log (seed 002): each process's lines carry the pids of its ancestors as a prefix, sections
// are separated by `----`, futex ops are shown by name, and the lines a finding rests on are
// annotated. By default only the calls that matter for fork hangs are shown; `all` shows every call.
// The trace's text is printed through terminalText; the colours are ours.

import { emptyStats, readTrace } from '../../parsers/index.js';
import type { TraceSource } from '../../parsers/types.js';
import type { Analysis } from '../analysis/types.js';
import { analyzeTraceWithModel } from '../analysis/analyze.js';
import type { TraceEvent } from '../model/events.js';
import { eventText } from '../model/format.js';
import type { Process } from '../model/tree.js';
import { MinHeap } from '../util/heap.js';
import { GroupedSpool } from '../util/spool.js';
import { styleFor } from './style.js';
import { terminalText } from './terminal-text.js';
import { ROLE_LABELS } from './words.js';

/** The calls the default timeline keeps: locks, process creation, waiting for children, exits. */
export const TIMELINE_CALLS = new Set([
  'futex',
  'clone',
  'clone2',
  'clone3',
  'fork',
  'vfork',
  'wait4',
  'waitid',
  'waitpid',
  'execve',
  'execveat',
  'exit',
  'exit_group',
]);

/** Lines held back to be put in start order: a call pending longer than this many lines shows late. */
const REORDER_WINDOW = 50_000;

interface Pending {
  key: number;
  order: number;
  process: Process;
  line: string;
}

export interface TimelineOptions {
  /** Only this process and its descendants. */
  pid?: number;
  /** Every call, not only the ones that matter for fork hangs. */
  all: boolean;
  color: boolean;
}

export async function writeTimeline(
  sources: TraceSource[],
  options: TimelineOptions,
  write: (chunk: string) => Promise<void> | void,
): Promise<Analysis> {
  const { analysis, tree } = await analyzeTraceWithModel(sources);
  const style = styleFor(options.color);
  const annotations = new Map<string, string[]>();
  for (const finding of analysis.findings) {
    for (const e of finding.evidence) {
      const key = `${e.file}:${e.line}`;
      annotations.set(key, [...(annotations.get(key) ?? []), ROLE_LABELS[e.role]]);
    }
  }

  const roots = tree.processes().filter((p) => !p.parent);
  const ordered: { process: Process; prefix: string }[] = [];
  const visit = (process: Process, prefix: string, selected: boolean) => {
    const own = `${prefix}${process.pid ?? '?'}: `;
    const show = selected || options.pid === undefined || process.pid === options.pid;
    if (show) ordered.push({ process, prefix: own });
    for (const child of process.children) visit(child, own, show);
  };
  for (const root of roots) visit(root, '', false);
  if (options.pid !== undefined && ordered.length === 0) throw new Error(`no process ${options.pid} in the trace`);

  const processOfTid = new Map<number, Process>();
  for (const { process } of ordered) for (const t of process.threads) processOfTid.set(t.tid, process);
  const spool = new GroupedSpool<Process>();
  try {
    const stats = emptyStats(sources);
    // A call is read when it completes; shown where it started, through a bounded reorder window.
    const window = new MinHeap<Pending>((a, b) => a.key < b.key || (a.key === b.key && a.order < b.order));
    let order = 0;
    const release = (pending: Pending) => spool.add(pending.process, pending.line);
    for await (const event of readTrace(sources, stats)) {
      if (event.kind === 'warning') continue;
      const process = processOfTid.get(event.tid);
      if (!process) continue;
      const text = formatEvent(event, process, options.all);
      if (text === null) continue;
      const line = terminalText(text);
      const start = event.kind === 'syscall' ? event.start : event.at;
      const notes = annotations.get(`${start.where.file}:${start.where.line}`);
      const annotated = notes ? `${line}   ${style.yellow(`<-- ${notes.join('; ')}`)}` : line;
      window.push({ key: start.us ?? start.seq, order: order++, process, line: annotated });
      if (window.size > REORDER_WINDOW) release(window.pop()!);
    }
    for (let pending = window.pop(); pending; pending = window.pop()) release(pending);
    let first = true;
    for (const { process, prefix } of ordered) {
      if (!first) await write('----\n');
      first = false;
      await write(`${prefix}${style.bold(terminalText(sectionTitle(process)))}\n`);
      await spool.writeGroup(process, (chunk) =>
        write(chunk.replace(/^(?=.)/gm, prefix)),
      );
    }
  } finally {
    spool.dispose();
  }
  return analysis;
}

function sectionTitle(process: Process): string {
  const threads = process.threads.map((t) => t.tid);
  const parts = [`started pid ${process.pid ?? '? (not in the log)'}`];
  if (threads.length > 1 || threads[0] !== process.pid) parts.push(`threads ${threads.join(', ')}`);
  if (process.forkTid !== null) parts.push(`forked by thread ${process.forkTid}`);
  if (process.command) parts.push(process.command);
  if (process.inference) parts.push(`(${process.inference})`);
  return parts.join('; ');
}

function formatEvent(event: Exclude<TraceEvent, { kind: 'warning' }>, process: Process, all: boolean): string | null {
  if (event.kind === 'syscall' ? !all && !TIMELINE_CALLS.has(event.name) : event.kind === 'task' && !all) return null;
  const tidColumn = process.threads.length > 1 || event.tid !== process.pid ? `[${event.tid}] ` : '';
  const stamp = event.kind === 'syscall' ? event.start : event.at;
  const time = stamp.text ? `${stamp.text} ` : '';
  const duration = event.kind === 'syscall' && event.durationUs !== null ? ` <${(event.durationUs / 1e6).toFixed(6)}>` : '';
  return `${time}${tidColumn}${eventText(event)}${duration}`;
}
