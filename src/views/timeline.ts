// `forkscope timeline`: the trace regrouped per process in the nested style of PlashGlibc's
// strace-log (seed 002): each process's lines carry the pids of its ancestors as a prefix, sections
// are separated by `----`, futex ops are shown by name, and the lines a finding rests on are
// annotated. By default only the calls that matter for fork hangs are shown; `all` shows every call.
//
// It rides along the analysis's read (TimelineSpool.observe): each task's lines are spooled as they
// are read; which process a task belongs to, and which lines are evidence, is only known at the end,
// so sections are assembled then, from the spool (each process's threads merged in start order).
// The trace's text is printed through terminalText; the colours are ours.

import type { Analysis } from '../analysis/types.js';
import { returned } from '../model/events.js';
import type { SyscallEvent, TraceEvent } from '../model/events.js';
import { decodeFdWait, madeFdPair } from '../model/fd.js';
import { eventText } from '../model/format.js';
import type { Process, Task, TaskTree } from '../model/tree.js';
import { MinHeap, MostlySortedQueue } from '../util/heap.js';
import { GroupedSpool } from '../util/spool.js';
import type { SpoolCodec, SpoolCursor } from '../util/spool.js';
import { styleFor } from './style.js';
import { terminalText } from './terminal-text.js';
import type { TraceClock } from './times.js';
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
/** Output is handed to `write` in chunks of about this many characters. */
const WRITE_CHUNK = 64 << 10;

/** A line as spooled: its place in the trace, whose it is, and its text without the tid column. */
interface Spooled {
  key: number;
  order: number;
  fileId: number;
  line: number;
  tid: number;
  /** Not a call the timeline shows, kept in case a finding quotes it (a pipe's creation, a read that never returned). */
  ifQuoted: boolean;
  /**
   * The time as shown and a space (none when the log has no times), a tab, and the event's text,
   * each made safe for a terminal (apart, as the tab between them must stay; the tid shown between
   * them at the end is plain digits, so the line is the same as if escaped whole). Built by `join`,
   * a flat copy: text made by concatenation would keep the read's whole chunk alive.
   */
  row: string;
}

/** A line held to be put in start order, and the task whose group it is spooled in. */
interface Held extends Spooled {
  task: Task;
}

/** A call outside the shown ones that a pipe-held-open finding may rest on. */
function mayBeQuoted(event: SyscallEvent): boolean {
  return madeFdPair(event) || (!returned(event) && decodeFdWait(event) !== null);
}

/** A spooled line in a spilled file: its fields tab-separated, the text last (a trace's text holds no newline). */
const SPOOLED_LINES: SpoolCodec<Spooled> = {
  bytes: (line) => line.row.length + 64,
  encode: (line) => `${line.key}\t${line.order}\t${line.fileId}\t${line.line}\t${line.tid}\t${line.ifQuoted ? 1 : 0}\t${line.row}`,
  decode: (text) => {
    const fields: string[] = [];
    let from = 0;
    for (let i = 0; i < 6; i++) {
      const tab = text.indexOf('\t', from);
      fields.push(text.slice(from, tab));
      from = tab + 1;
    }
    return {
      key: Number(fields[0]),
      order: Number(fields[1]),
      fileId: Number(fields[2]),
      line: Number(fields[3]),
      tid: Number(fields[4]),
      ifQuoted: fields[5] === '1',
      row: text.slice(from),
    };
  },
};

export interface TimelineOptions {
  /** Only this process and its descendants. */
  pid?: number;
  /** Every call, not only the ones that matter for fork hangs. */
  all: boolean;
  color: boolean;
  /** How times are shown (a bpftrace recording's nanoseconds as seconds or wall time); as printed without. */
  clock?: TraceClock;
}

export class TimelineSpool {
  private readonly spool = new GroupedSpool<Task, Spooled>(SPOOLED_LINES);
  // A call is read when it completes; shown where it started, through a bounded reorder window.
  // Each held line is one small object: tens of thousands stay held, and survive collections.
  private readonly window = new MostlySortedQueue<Held>((a, b) => a.key < b.key || (a.key === b.key && a.order < b.order));
  private order = 0;
  private readonly fileIds = new Map<string, number>();

  constructor(private readonly options: TimelineOptions) {}

  /** An event of the trace, after the tree has seen it. */
  observe(event: TraceEvent, tree: TaskTree): void {
    if (event.kind === 'warning') return;
    const hidden = event.kind === 'syscall' ? !this.options.all && !TIMELINE_CALLS.has(event.name) : event.kind === 'task' && !this.options.all;
    const ifQuoted = hidden && event.kind === 'syscall' && mayBeQuoted(event);
    if (hidden && !ifQuoted) return;
    const task = tree.task(event.tid);
    if (!task) return;
    const stamp = event.kind === 'syscall' ? event.start : event.at;
    const shownTime = this.options.clock ? this.options.clock.shown(stamp.text) : stamp.text;
    const duration = event.kind === 'syscall' && event.durationUs !== null ? ` <${(event.durationUs / 1e6).toFixed(6)}>` : '';
    this.window.push({
      key: stamp.us ?? stamp.seq,
      order: this.order++,
      fileId: this.fileId(stamp.where.file),
      line: stamp.where.line,
      tid: event.tid,
      ifQuoted,
      row: [terminalText(shownTime ? `${shownTime} ` : ''), terminalText(eventText(event) + duration)].join('\t'),
      task,
    });
    if (this.window.size > REORDER_WINDOW) this.release();
  }

  /** Writes the timeline of the analysed trace; removes the spool. */
  async write(analysis: Analysis, tree: TaskTree, write: (chunk: string) => Promise<void> | void): Promise<void> {
    try {
      while (this.window.size > 0) this.release();
      await this.writeSections(analysis, tree, write);
    } finally {
      this.spool.dispose();
    }
  }

  private release(): void {
    const held = this.window.pop()!;
    this.spool.add(held.task, held);
  }

  private fileId(file: string): number {
    let id = this.fileIds.get(file);
    if (id === undefined) this.fileIds.set(file, (id = this.fileIds.size));
    return id;
  }

  private async writeSections(analysis: Analysis, tree: TaskTree, write: (chunk: string) => Promise<void> | void): Promise<void> {
    const { options } = this;
    const style = styleFor(options.color);
    // Notes by file id, then line.
    const annotations = new Map<number, Map<number, string[]>>();
    for (const finding of analysis.findings) {
      for (const e of finding.evidence) {
        const fileId = this.fileIds.get(e.file);
        if (fileId === undefined) continue;
        let byLine = annotations.get(fileId);
        if (!byLine) annotations.set(fileId, (byLine = new Map()));
        const notes = byLine.get(e.line) ?? [];
        if (!notes.includes(ROLE_LABELS[e.role])) byLine.set(e.line, [...notes, ROLE_LABELS[e.role]]);
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

    // Lines are gathered into chunks; only a full chunk waits for the writer.
    let out = '';
    let first = true;
    for (const { process, prefix } of ordered) {
      if (!first) out += '----\n';
      first = false;
      out += `${prefix}${style.bold(terminalText(sectionTitle(process)))}\n`;
      const manyThreads = process.threads.length > 1;
      const lines = this.mergedLines(process.threads);
      for (let line = lines.next(); line; line = lines.next()) {
        const notes = annotations.get(line.fileId)?.get(line.line);
        if (line.ifQuoted && !notes) continue;
        const tab = line.row.indexOf('\t');
        const tid = manyThreads || line.tid !== process.pid ? `[${line.tid}] ` : '';
        const text = `${line.row.slice(0, tab)}${tid}${line.row.slice(tab + 1)}`;
        out += `${prefix}${notes ? `${text}   ${style.yellow(`<-- ${notes.join('; ')}`)}` : text}\n`;
        if (out.length >= WRITE_CHUNK) {
          await write(out);
          out = '';
        }
      }
    }
    if (out) await write(out);
  }

  /** The spooled lines of these threads, merged by where they started: a cursor. */
  private mergedLines(threads: Task[]): { next(): Spooled | undefined } {
    if (threads.length === 1) return this.spool.items(threads[0]!);
    const heads = new MinHeap<{ line: Spooled; source: SpoolCursor<Spooled> }>(
      (a, b) => a.line.key < b.line.key || (a.line.key === b.line.key && a.line.order < b.line.order),
    );
    for (const task of threads) {
      const source = this.spool.items(task);
      const line = source.next();
      if (line) heads.push({ line, source });
    }
    return {
      next: () => {
        const head = heads.pop();
        if (!head) return undefined;
        const { line } = head;
        const next = head.source.next();
        if (next) {
          head.line = next;
          heads.push(head);
        }
        return line;
      },
    };
  }
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
