// The TUI's model of a trace. It rides along the analysis's own read (analyzeSources's
// onEvent), writing each task's events as timeline rows to a RowStore, so the screen shows tasks
// and their timelines while the rest of the log is still being read; when the analysis is done it
// holds the findings, the process tree, and which timeline lines are their evidence. It answers
// what a process was doing at any point of the trace from the rows, not from a copy in memory.

import { statSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import type { Follow } from '../../parsers/lines.js';
import type { TraceSource } from '../../parsers/types.js';
import { analyzeSources } from '../pipeline.js';
import type { TraceClock } from '../views/times.js';
import type { Analysis, Evidence, EvidenceRole, Finding } from '../analysis/types.js';
import type { Stamp, TraceEvent } from '../model/events.js';
import { eventText, exitText } from '../model/format.js';
import { decodeFdWait } from '../model/fd.js';
import { isFutexWait } from '../model/futex.js';
import type { Process, Task, TaskTree } from '../model/tree.js';
import { TIMELINE_CALLS } from '../views/timeline.js';
import { ReadProgress } from '../views/progress.js';
import { MAX_MERGED_THREADS, MergedTimeline, RowStore } from './row-store.js';
import type { RowFilter, RowStream, Timeline, TimelineRow } from './row-store.js';

export type IndexPhase = 'reading' | 'naming-holders' | 'merging' | 'ready' | 'failed';

export interface IndexOptions {
  /** The trace is still being recorded: read it as it grows, until this says it is done. */
  follow?: Follow;
  /** Completes the analysis before it is shown (e.g. with what /proc showed of a live tree). */
  complete?: (analysis: Analysis, tree: TaskTree) => void;
  /** Events known before the trace begins (the tree of an attached process, from /proc). */
  prelude?: TraceEvent[];
  /** Where to find the traced program's files by name (`--objects`). */
  objectDirs?: string[];
  /** How times are shown (a bpftrace recording's nanoseconds as seconds or wall time); as printed without. */
  clock?: TraceClock;
}

export interface IndexProgress {
  phase: IndexPhase;
  /** The trace is being recorded and read as it grows. */
  live: boolean;
  /** The last thing the recorder said, if anything. */
  note: string | null;
  /** What the recorder's hang watchdog concluded, once it fired. */
  verdict: string | null;
  /** Bytes of the inputs read so far, and in all. */
  bytesRead: number;
  totalBytes: number;
  events: number;
  warnings: number;
  error: string | null;
}

export interface ThreadEntry {
  tid: number;
  stream: RowStream;
  process: ProcessEntry;
  /** How the task ended, when the trace tells (its exit line, or a parent's wait status). */
  ended: string | null;
}

export interface ProcessEntry {
  /** Stable across the provisional (while reading) and the final tree: `t<pid>`, or the process key when the pid is not known. */
  id: string;
  pid: number | null;
  label: string;
  command: string | null;
  parent: ProcessEntry | null;
  children: ProcessEntry[];
  threads: ThreadEntry[];
  /** Where the clone/fork that made it was read (and its place in the trace), when the log shows it. */
  forkedAt: { file: number; line: number; at: number } | null;
}

export type ActivityWord = 'not started' | 'forked' | 'running' | 'blocked' | 'waiting' | 'exited' | 'killed';

/** What a process or thread was doing at a point of the trace. */
export interface Activity {
  word: ActivityWord;
  /** `futex 0x2b79a1b1e2c0`, `wait4 18972`, `exited 3`. */
  detail: string | null;
}

/** Where in a timeline a line of the input is. */
export interface RowLocation {
  process: ProcessEntry;
  thread: ThreadEntry | null;
  file: number;
  line: number;
}

/** Rows merged or searched between two yields to the event loop, so keys are still answered. */
const YIELD_EVERY_ROWS = 20_000;
/**
 * A row keeps this much of a call's text: more never fits on a screen (an `strace -s` write() can
 * print megabytes), and the row store need not hold it. The log has it all.
 */
const MAX_ROW_TEXT = 4096;
/** Orders rows of untimed logs by file, then line. */
const LINES_PER_FILE = 2 ** 32;

export class TraceIndex {
  private readonly store = new RowStore();
  private readonly fileIds = new Map<string, number>();
  private lastFile: string | null = null;
  private lastFileId = 0;
  private readonly bytesByFile = new Map<string, number>();
  private lastReadFile: string | null = null;
  private bytesOfLastFile = 0;
  private readonly taskStreams = new Map<Task, RowStream>();
  /** The analysis's task tree as it is being built (for the tree shown while reading). */
  private liveTree: TaskTree | null = null;
  private readonly merged = new Map<ProcessEntry, MergedTimeline>();
  private entries: ProcessEntry[] | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly progressNow: IndexProgress;
  /** The smallest `at` seen, and whether `at` is microseconds. */
  firstAt = Infinity;
  timed = false;
  private readonly streams = new Set<number>();
  private lastStream = -1;
  analysis: Analysis | null = null;
  /** The bytes the analysis's second read (naming the lock holders) has read. */
  private readonly secondRead: ReadProgress;
  private readonly evidenceTexts = new Map<Evidence, string>();
  /** Evidence roles by `file:line` (file as an id). */
  readonly annotations = new Map<string, EvidenceRole[]>();

  constructor(
    readonly sources: TraceSource[],
    private readonly options: IndexOptions = {},
  ) {
    let totalBytes = 0;
    for (const file of sources.flatMap((s) => s.files)) {
      try {
        totalBytes += statSync(file).size;
      } catch {
        // the read reports it
      }
    }
    this.secondRead = new ReadProgress(sources);
    this.progressNow = { phase: 'reading', live: Boolean(options.follow), note: null, verdict: null, bytesRead: 0, totalBytes, events: 0, warnings: 0, error: null };
  }

  /** Reads and analyzes the trace; the promise settles when everything is indexed (or failed). */
  async load(): Promise<void> {
    try {
      const { analysis, tree } = await analyzeSources(this.sources, {
        onEvent: (event, liveTree) => this.observe(event, liveTree),
        counter: this.secondRead.counter,
        onSecondRead: () => {
          this.secondRead.secondRead();
          this.setPhase('naming-holders');
        },
        follow: this.options.follow,
        prelude: this.options.prelude,
        objectDirs: this.options.objectDirs,
      });
      this.progressNow.live = false;
      this.store.flush();
      this.options.complete?.(analysis, tree);
      this.analysis = analysis;
      this.entries = this.buildEntries(tree);
      this.annotate(analysis.findings);
      this.setPhase('merging');
      for (const entry of this.entries) if (entry.threads.length > 1) await this.merge(entry);
      this.setPhase('ready');
    } catch (error) {
      this.progressNow.error = error instanceof Error ? error.message : String(error);
      this.setPhase('failed');
    }
  }

  /** Shows a message of whoever feeds the trace (the recorder) in the status line. */
  note(message: string): void {
    this.progressNow.note = message;
    this.notify();
  }

  /** The recorder's verdict (its hang watchdog's, or /proc's): kept on screen with the findings. */
  setVerdict(message: string): void {
    this.progressNow.verdict = message;
    this.note(message);
  }

  progress(): IndexProgress {
    // The second read gives no events to count: its bytes come from the reader.
    if (this.progressNow.phase === 'naming-holders') return { ...this.progressNow, bytesRead: this.secondRead.counter.bytes };
    return { ...this.progressNow };
  }

  /** Calls `listener` when the phase changes or the recorder says something (progress within a phase is polled). */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.store.dispose();
  }

  private fileId(file: string): number {
    // Asked for every event, nearly always of the file asked for last.
    if (file === this.lastFile) return this.lastFileId;
    let id = this.fileIds.get(file);
    if (id === undefined) this.fileIds.set(file, (id = this.fileIds.size));
    this.lastFile = file;
    this.lastFileId = id;
    return id;
  }

  /** An input file's name for the screen. */
  fileName(id: number): string {
    for (const [file, fileId] of this.fileIds) if (fileId === id) return shortName(file);
    return '?';
  }

  /**
   * The processes, roots first: the analysed tree, or while reading, the tasks seen so far grouped
   * as the clones read so far say (a CLONE_THREAD task under the process that made it, a forked
   * one as its child; bpftrace's tgid too). Tasks whose creation is not read yet stand alone.
   */
  roots(): ProcessEntry[] {
    if (this.entries) return this.entries.filter((e) => !e.parent);
    const ids = new UniqueIds();
    const byLeader = new Map<Task, ProcessEntry>();
    const roots: ProcessEntry[] = [];
    const creatorOf = (leader: Task) => (leader.creator && this.taskStreams.has(leader.creator) ? this.leaderOf(leader.creator) : null);
    const entryOf = (task: Task): ProcessEntry => {
      // The process and its ancestors not listed yet, listed from the top (a loop, not recursion:
      // fork chains can be deep; a creation cycle in bad input ends where it comes back).
      const unlisted = new Set<Task>();
      let top: Task | null = this.leaderOf(task);
      while (top && !byLeader.has(top) && !unlisted.has(top)) {
        unlisted.add(top);
        top = creatorOf(top);
      }
      for (const leader of [...unlisted].reverse()) {
        const creator = creatorOf(leader);
        const parent = (creator && byLeader.get(creator)) ?? null;
        const entry: ProcessEntry = {
          id: ids.take(`t${leader.tid}`, String(ids.size)),
          pid: leader.tid,
          label: String(leader.tid),
          // A forked child runs its parent's program until it execs.
          command: leader.command ?? parent?.command ?? null,
          parent,
          children: [],
          threads: [],
          forkedAt: leader.creation ? this.placeOf(leader.creation.start) : null,
        };
        byLeader.set(leader, entry);
        (parent ? parent.children : roots).push(entry);
      }
      return byLeader.get(this.leaderOf(task))!;
    };
    for (const [task, stream] of this.taskStreams) {
      const entry = entryOf(task);
      entry.threads.push({ tid: task.tid, stream, process: entry, ended: endedText(task) });
    }
    return roots;
  }

  /** While reading: the task a task's process is named after (its own, for a task not read being made as a thread). */
  private leaderOf(task: Task): Task {
    const seen = new Set<Task>();
    let leader = task;
    while (!seen.has(leader)) {
      seen.add(leader);
      const byTgid = leader.tgid !== null && leader.tgid !== leader.tid ? this.liveTree?.task(leader.tgid) : undefined;
      const next = byTgid ?? (leader.createdAs === 'thread' ? leader.creator : null);
      if (!next || !this.taskStreams.has(next)) break;
      leader = next;
    }
    return leader;
  }

  /** Every process, in tree order. */
  processes(): ProcessEntry[] {
    const out: ProcessEntry[] = [];
    const visit = (entry: ProcessEntry) => {
      out.push(entry);
      entry.children.forEach(visit);
    };
    this.roots().forEach(visit);
    return out;
  }

  /**
   * Whether rows of different tasks can be put in one order: the log has times, or it is one
   * stream (one strace -f file). PlashGlibc sections and untimed -ff files are each in order only.
   */
  get ordersTasks(): boolean {
    return this.timed || this.streams.size <= 1;
  }

  /**
   * A process's timeline: its one thread's, or its threads merged (null while they are being
   * merged). Its first thread's stands in while the trace is still read, and for a process of
   * more threads than a merge can name.
   */
  streamOf(entry: ProcessEntry): Timeline | null {
    if (entry.threads.length === 1 || entry.threads.length > MAX_MERGED_THREADS) return entry.threads[0]!.stream;
    return this.merged.get(entry) ?? (this.entries ? null : entry.threads[0]!.stream);
  }

  /** What a thread was doing at `at` (+Infinity: at the end of the trace). */
  threadActivity(thread: ThreadEntry, at: number): Activity {
    const row = thread.stream.rowAt(at);
    if (!row) return { word: 'not started', detail: null };
    const ended = (how: string): Activity => ({ word: how.startsWith('killed') ? 'killed' : 'exited', detail: how });
    if (row.exit) return ended(row.exit);
    const pending = row.end === null || row.end > at;
    // Waiting is for a child (wait4, waitid); a futex or a descriptor blocks.
    if (row.waits && pending) return { word: /^wait(4|id|pid) /.test(row.waits) ? 'waiting' : 'blocked', detail: row.waits };
    // A task whose end shows only in its parent's wait status has ended after its last row.
    const last = thread.stream.last();
    if (thread.ended && !pending && last && last.file === row.file && last.line === row.line) return ended(thread.ended);
    return { word: 'running', detail: null };
  }

  /**
   * What a process was doing: blocked if a live thread is, waiting if one waits, gone when all are;
   * `forked` from the fork that made it until its first line.
   */
  processActivity(entry: ProcessEntry, at: number): Activity {
    const activities = entry.threads.map((t) => this.threadActivity(t, at));
    const live = activities.filter((a) => a.word !== 'exited' && a.word !== 'killed' && a.word !== 'not started');
    if (live.length === 0) {
      const ended = activities.find((a) => a.word === 'killed') ?? activities.find((a) => a.word === 'exited');
      const forked = entry.forkedAt !== null && at >= entry.forkedAt.at;
      return ended ?? { word: forked ? 'forked' : 'not started', detail: null };
    }
    return live.find((a) => a.word === 'blocked') ?? live.find((a) => a.word === 'waiting') ?? live[0]!;
  }

  /** The evidence roles of a row, if it is evidence of a finding. */
  rolesOf(row: TimelineRow): EvidenceRole[] {
    return this.annotations.get(`${row.file}:${row.line}`) ?? [];
  }

  processOfPid(pid: number): ProcessEntry | undefined {
    return this.processes().find((e) => e.pid === pid);
  }

  /** The process and thread a tid belongs to (the last task with that tid). */
  threadOfTid(tid: number): ThreadEntry | undefined {
    let found: ThreadEntry | undefined;
    for (const entry of this.processes()) for (const t of entry.threads) if (t.tid === tid) found = t;
    return found;
  }

  /** Where an evidence line is, for the screen: `file:line`. */
  evidenceWhere(evidence: Evidence): string {
    return `${shortName(evidence.file)}:${evidence.line}`;
  }

  /** An evidence line as its timeline row says it (futex ops in words), or as the analysis quoted it. */
  evidenceText(evidence: Evidence): string {
    let text = this.evidenceTexts.get(evidence);
    if (text === undefined) {
      const location = this.locate(evidence);
      const stream = location?.thread?.stream;
      const index = stream ? stream.find('all', location!.file, location!.line) : -1;
      text = index >= 0 ? stream!.rows('all', index, 1)[0]!.text : clip(evidence.text);
      this.evidenceTexts.set(evidence, text);
    }
    return text;
  }

  /** Where a finding's trace line with one of `roles` is, newest first. */
  evidenceLocation(finding: Finding, roles: EvidenceRole[]): RowLocation | null {
    const evidence = [...finding.evidence].reverse().find((e) => roles.includes(e.role) && this.fileIds.has(e.file));
    return evidence ? this.locate(evidence) : null;
  }

  /** Where an evidence line is in the timelines; null for /proc evidence (no trace line) or an unknown thread. */
  locate(evidence: Evidence): RowLocation | null {
    const file = this.fileIds.get(evidence.file);
    const thread = this.threadOfTid(evidence.tid);
    if (file === undefined || !thread) return null;
    return { process: thread.process, thread, file, line: evidence.line };
  }

  /** Where the clone/fork that made a process was read. */
  forkLocation(entry: ProcessEntry): RowLocation | null {
    if (!entry.parent || !entry.forkedAt) return null;
    return { process: entry.parent, thread: null, file: entry.forkedAt.file, line: entry.forkedAt.line };
  }

  /** The first row of `stream` after index `from` whose text (or tid) contains `needle`, or -1. */
  async search(stream: Timeline, filter: RowFilter, from: number, needle: string, cancelled: () => boolean): Promise<number> {
    const wanted = needle.toLowerCase();
    let index = -1;
    let sinceYield = 0;
    for (const row of stream.scan()) {
      if (filter === 'all' || row.key) index++;
      else continue;
      if (index > from && (row.text.toLowerCase().includes(wanted) || String(row.tid) === needle)) return index;
      if (++sinceYield >= YIELD_EVERY_ROWS) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
        if (cancelled()) return -1;
      }
    }
    return -1;
  }

  private observe(event: TraceEvent, tree: TaskTree): void {
    if (event.kind === 'warning') {
      this.progressNow.warnings++;
      return;
    }
    this.liveTree = tree;
    this.options.clock?.observe(event);
    const task = tree.task(event.tid)!;
    let stream = this.taskStreams.get(task);
    if (!stream) this.taskStreams.set(task, (stream = this.store.stream()));
    const row = this.rowOf(event);
    stream.append(row);
    this.progressNow.events++;
    const where = event.kind === 'syscall' ? event.start.where : event.at.where;
    if (where.offset !== undefined) {
      // Most events are of the file the last one was read from.
      const before = where.file === this.lastReadFile ? this.bytesOfLastFile : (this.bytesByFile.get(where.file) ?? 0);
      if (where.offset > before) {
        this.progressNow.bytesRead += where.offset - before;
        this.progressNow.totalBytes = Math.max(this.progressNow.totalBytes, this.progressNow.bytesRead);
        this.bytesByFile.set(where.file, where.offset);
        this.lastReadFile = where.file;
        this.bytesOfLastFile = where.offset;
      } else if (where.file !== this.lastReadFile) {
        this.lastReadFile = where.file;
        this.bytesOfLastFile = before;
      }
    }
  }

  /** Where a call was read, and its place in the trace. */
  private placeOf(stamp: Stamp): { file: number; line: number; at: number } {
    return { file: this.fileId(stamp.where.file), line: stamp.where.line, at: this.orderOf(stamp) };
  }

  /** A stamp's place in the trace: its time, or in a log without times, its place in the input files. */
  private orderOf(stamp: Stamp): number {
    return stamp.us ?? this.fileId(stamp.where.file) * LINES_PER_FILE + stamp.where.line;
  }

  private rowOf(event: Exclude<TraceEvent, { kind: 'warning' }>): TimelineRow {
    const start = event.kind === 'syscall' ? event.start : event.at;
    const file = this.fileId(start.where.file);
    const at = start.us ?? file * LINES_PER_FILE + start.where.line;
    if (start.us !== null) this.timed = true;
    if (start.stream !== this.lastStream) {
      this.streams.add(start.stream);
      this.lastStream = start.stream;
    }
    this.firstAt = Math.min(this.firstAt, at);
    const row: TimelineRow = {
      tid: event.tid,
      at,
      end: at,
      time: this.options.clock ? this.options.clock.shown(start.text) : start.text,
      text: clip(eventText(event)),
      durationUs: null,
      key: event.kind !== 'task',
      waits: null,
      exit: null,
      file,
      line: start.where.line,
    };
    if (event.kind === 'syscall') {
      row.end = event.end ? this.orderOf(event.end) : null;
      row.durationUs = event.durationUs;
      row.key = TIMELINE_CALLS.has(event.name);
      if (event.futex && isFutexWait(event.futex.command)) row.waits = `futex ${event.futex.address}`;
      else if (event.wait) row.waits = `${event.wait.syscall} ${event.wait.pid ?? 'any'}`;
      else {
        const fdWait = decodeFdWait(event);
        if (fdWait) row.waits = `${event.name} fd ${fdWait.fds.map((f) => f.fd).join(',')}`;
      }
      // A thread's exit(2) never returns; strace may print no `+++` line for it.
      if (event.exitCode !== undefined && event.result?.value === null) row.exit = `exited ${event.exitCode}`;
    } else if (event.kind === 'exit' && event.status) {
      row.exit = exitText(event.status);
    }
    return row;
  }

  private buildEntries(tree: TaskTree): ProcessEntry[] {
    const byProcess = new Map<Process, ProcessEntry>();
    const ids = new UniqueIds();
    const entryOf = (process: Process): ProcessEntry => {
      let entry = byProcess.get(process);
      if (entry) return entry;
      entry = {
        // A process keeps the id it had while the trace was read.
        id: process.pid !== null ? ids.take(`t${process.pid}`, process.key) : process.key,
        pid: process.pid,
        label: process.pid !== null ? String(process.pid) : threadsLabel(process.threads.map((t) => t.tid)),
        command: process.command,
        parent: process.parent ? entryOf(process.parent) : null,
        children: [],
        threads: [],
        forkedAt: process.forkCall ? this.placeOf(process.forkCall.start) : null,
      };
      byProcess.set(process, entry);
      entry.parent?.children.push(entry);
      for (const task of process.threads) {
        const stream = this.taskStreams.get(task);
        if (stream) entry.threads.push({ tid: task.tid, stream, process: entry, ended: endedText(task) });
      }
      return entry;
    };
    // A process made of tasks that never did anything in the log still shows, with an empty timeline.
    const entries = tree.processes().map(entryOf);
    for (const entry of entries) {
      if (entry.threads.length === 0) entry.threads.push({ tid: entry.pid ?? -1, stream: this.store.stream(), process: entry, ended: null });
    }
    return entries;
  }

  private annotate(findings: Finding[]): void {
    for (const finding of findings) {
      for (const e of finding.evidence) {
        const file = this.fileIds.get(e.file);
        if (file === undefined) continue;
        const key = `${file}:${e.line}`;
        const roles = this.annotations.get(key) ?? [];
        if (!roles.includes(e.role)) roles.push(e.role);
        this.annotations.set(key, roles);
      }
    }
  }

  /** Merges a process's thread timelines into one, in trace order, yielding to the UI as it goes. */
  private async merge(entry: ProcessEntry): Promise<void> {
    if (entry.threads.length > MAX_MERGED_THREADS) return;
    this.merged.set(entry, await MergedTimeline.merge(this.store, entry.threads.map((t) => t.stream), YIELD_EVERY_ROWS));
  }

  private setPhase(phase: IndexPhase): void {
    this.progressNow.phase = phase;
    if (phase === 'ready' || phase === 'merging') this.progressNow.bytesRead = this.progressNow.totalBytes;
    this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

/** Ids for the tree: the wanted one, or when a reused pid or tid already took it, the fallback. */
class UniqueIds {
  private readonly taken = new Set<string>();

  get size(): number {
    return this.taken.size;
  }

  take(wanted: string, fallback: string): string {
    const id = this.taken.has(wanted) ? `${wanted}#${fallback}` : wanted;
    this.taken.add(id);
    return id;
  }
}

/** A file's name relative to the working directory when it is under it. */
function shortName(file: string): string {
  const near = relative(process.cwd(), file);
  return near.startsWith('..') || isAbsolute(near) ? file : near;
}

/** How a task ended, when the trace tells (its exit line, or a parent's wait status). */
function endedText(task: Task): string | null {
  return task.exit ? exitText(task.exit) : task.exited ? 'exited' : null;
}

function clip(text: string): string {
  return text.length <= MAX_ROW_TEXT ? text : `${text.slice(0, MAX_ROW_TEXT)}... (${text.length - MAX_ROW_TEXT} more characters)`;
}

/** A process the log never names, by its threads: `threads 18970,18969`, the first few of many. */
function threadsLabel(tids: number[]): string {
  const shown = tids.slice(0, 4).join(',');
  return `threads ${shown}${tids.length > 4 ? `,... (${tids.length})` : ''}`;
}
