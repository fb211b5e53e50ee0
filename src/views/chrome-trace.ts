// `forkscope export`: the trace as Chrome Trace Event JSON (the format chrome://tracing and
// ui.perfetto.dev open): a track per thread under its process, each call a complete event ("X"),
// signals and exits instant events ("i"), process and thread names metadata events ("M"), and flow
// arrows ("s" to "f") from a clone to the child's first event, from a FUTEX_WAKE to the wait it
// ended, and from the fork made while a lock was held to the child's wait on it. The findings are
// instant events carrying the finding in their args.
//
// It rides along the analysis's read (ChromeTraceWriter.observe) and writes each event as it
// arrives: what it keeps grows with tasks and locks, never with the log. Kept are: a task's events
// until the clone that made it says which process it belongs to (a child's first lines often come
// before its parent's clone returns; bounded per task), the calls still pending at the end (one per
// task: they are drawn to the end of the trace once the end is known), where each clone and each
// task's last futex wait sits (for the findings' arrows), and the last wakes of each futex word.
//
// Time: a timed trace's microseconds as the model holds them (time of day, epoch or the monotonic
// clock: viewers show them from the trace's start). An untimed trace uses the line number as the
// time axis, one line a microsecond, and says so (`otherData.timeAxis`).

import type { Analysis, Finding } from '../analysis/types.js';
import { compareStamps } from '../model/events.js';
import type { Stamp, SyscallEvent, TraceEvent } from '../model/events.js';
import { callText, eventText } from '../model/format.js';
import type { Task, TaskTree } from '../model/tree.js';
import { blockedTids } from '../analysis/types.js';
import { safeJson } from './json.js';
import { TraceClock } from './times.js';
import { findingSentence } from './words.js';

/** Events of one task held until its process is known; past this the task is taken as its own process. */
const HELD_PER_TASK = 256;
/** Wakes, and woken waits, remembered per futex word for matching the waits to the wakes that ended them. */
const WAKES_PER_WORD = 16;

type DrawnEvent = Exclude<TraceEvent, { kind: 'warning' }>;

export type TimeAxis = 'microseconds' | 'lines';

/** One Chrome trace event as written (the fields the Trace Event Format documents). */
interface ChromeEvent {
  name: string;
  ph: 'X' | 'i' | 'M' | 's' | 'f';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  s?: 't' | 'p' | 'g';
  id?: number;
  bp?: 'e';
  args?: Record<string, unknown>;
}

/** Where a slice is drawn, for binding a flow arrow to it. */
interface Place {
  pid: number;
  tid: number;
  ts: number;
}

interface Wake extends Place {
  start: Stamp;
  /** Waiters it woke that no wait has been matched to yet. */
  unmatched: number;
}

interface WokenWait extends Place {
  start: Stamp;
  end: Stamp;
}

export class ChromeTraceWriter {
  private axis: TimeAxis | null = null;
  private written = 0;
  private endTs = 0;
  private nextFlowId = 1;
  /** The pid each task's events are drawn under, decided once. */
  private readonly pidOfTask = new Map<Task, number>();
  private readonly held = new Map<Task, DrawnEvent[]>();
  /** The first call of each task drawn so far, where a clone's arrow lands. */
  private readonly firstPlace = new Map<Task, Place>();
  /** Clones whose child has not been drawn yet. */
  private readonly cloneTo = new Map<Task, Place>();
  private readonly pending: { call: SyscallEvent; pid: number; ts: number }[] = [];
  /** Each clone's place and each task's last futex wait, by `file:line`, for the findings' arrows. */
  private readonly quotable = new Map<string, Place>();
  private readonly lastWaitKey = new Map<Task, string>();
  private readonly words = new Map<string, { wakes: Wake[]; waits: WokenWait[] }>();

  constructor(
    private readonly write: (text: string) => void,
    /** How `args.time` shows a stamp (a bpftrace recording's nanoseconds as seconds or wall time). */
    private readonly clock = TraceClock.asPrinted(),
  ) {}

  observe(event: TraceEvent, tree: TaskTree): void {
    if (event.kind === 'warning') return;
    const task = tree.task(event.tid);
    if (!task) return;
    if (this.axis === null) {
      this.axis = stampOf(event).us === null ? 'lines' : 'microseconds';
      this.write('{"traceEvents":[');
    }
    const decided = this.pidOfTask.has(task) || this.place(task) !== null;
    if (!decided) {
      const held = this.held.get(task) ?? [];
      held.push(event);
      this.held.set(task, held);
      if (held.length >= HELD_PER_TASK) this.release(task, task.tid, tree);
      return;
    }
    this.release(task, this.pidOf(task), tree);
    this.draw(event, task, tree);
  }

  /** The time axis the export uses (null before the first event). */
  get timeAxis(): TimeAxis | null {
    return this.axis;
  }

  /** After the last event: the held and pending events, the names, the findings, the end of the document. */
  finish(analysis: Analysis, tree: TaskTree, meta: Record<string, unknown>): void {
    if (this.axis === null) {
      this.axis = 'lines';
      this.write('{"traceEvents":[');
    }
    for (const task of [...this.held.keys()]) this.release(task, this.pidOf(task), tree);
    for (const { call, pid, ts } of this.pending) {
      this.emit({
        name: `${call.name} (never returned)`,
        cat: 'syscall',
        ph: 'X',
        pid,
        tid: call.tid,
        ts,
        dur: Math.max(0, this.endTs - ts),
        args: { ...this.callArgs(call), neverReturned: true, note: 'never returned: drawn to the end of the trace' },
      });
      this.quotable.set(keyOf(call.start), { pid, tid: call.tid, ts });
    }
    this.nameTracks(tree);
    for (const finding of analysis.findings) this.annotate(finding, tree);
    this.write(`\n],\n"displayTimeUnit":"ms",\n"otherData":${safeJson({ ...meta, timeAxis: this.axisNote() })}}\n`);
  }

  private axisNote(): string {
    return this.axis === 'lines'
      ? 'the trace has no timestamps: ts is the line number in its file (1 line = 1 us), an order, not a time'
      : 'ts is the trace\'s own clock in microseconds';
  }

  /** The pid a task is drawn under once its creation is known, or null while it is not. */
  private place(task: Task): number | null {
    if (task.tgid !== null) return task.tgid;
    if (task.createdAs === 'thread') return task.creator ? this.pidOf(task.creator) : task.creatorTid ?? task.tid;
    if (task.createdAs === 'process' || task.creatorTid !== null) return task.tid;
    return null;
  }

  private pidOf(task: Task): number {
    let pid = this.pidOfTask.get(task);
    if (pid === undefined) {
      pid = this.place(task) ?? task.tid;
      this.pidOfTask.set(task, pid);
    }
    return pid;
  }

  /** Draws a task's held events under `pid` (its pid is decided from now on). */
  private release(task: Task, pid: number, tree: TaskTree): void {
    if (!this.pidOfTask.has(task)) this.pidOfTask.set(task, pid);
    const held = this.held.get(task);
    if (!held) return;
    this.held.delete(task);
    for (const event of held) this.draw(event, task, tree);
  }

  private draw(event: DrawnEvent, task: Task, tree: TaskTree): void {
    const pid = this.pidOf(task);
    const tid = event.tid;
    const ts = this.ts(stampOf(event));
    this.reach(ts);
    // A clone's arrow lands on the child's first call (a flow binds to a slice, not to an instant).
    if (event.kind === 'syscall' && !this.firstPlace.has(task)) {
      const place = { pid, tid, ts };
      this.firstPlace.set(task, place);
      const clone = this.cloneTo.get(task);
      if (clone) {
        this.cloneTo.delete(task);
        this.arrow('clone', clone, place);
      }
    }
    if (event.kind !== 'syscall') {
      this.emit({ name: eventText(event), cat: event.kind, ph: 'i', s: 't', pid, tid, ts, args: { line: `${stampOf(event).where.file}:${stampOf(event).where.line}` } });
      return;
    }
    if (event.result === null) {
      // Drawn at the end, to the end of the trace.
      this.pending.push({ call: event, pid, ts });
      return;
    }
    const end = this.endOf(event, ts);
    this.reach(end);
    // Killed in it (`= ?`): it never returned either (exit and exit_group never do, by design).
    const died = event.result.value === null && event.name !== 'exit' && event.name !== 'exit_group';
    this.emit({
      name: died ? `${event.name} (never returned)` : event.name,
      cat: 'syscall',
      ph: 'X',
      pid,
      tid,
      ts,
      dur: end - ts,
      args: died ? { ...this.callArgs(event), neverReturned: true, note: 'never returned: the task died in it' } : this.callArgs(event),
    });
    const here = { pid, tid, ts };
    if (event.clone && (event.result.value ?? 0) > 0) {
      this.quotable.set(keyOf(event.start), here);
      const child = tree.task(event.result.value!);
      if (child) {
        const first = this.firstPlace.get(child);
        if (first) this.arrow('clone', here, first);
        else this.cloneTo.set(child, here);
      }
    }
    if (event.futex) this.matchWake(event, task, here);
  }

  /**
   * Wakes that woke waiters and waits that were woken (returned 0) are remembered per word; a wait
   * gets an arrow from the one wake the trace shows between its start and its return, by the trace's
   * own order. The wake often completes, and so arrives, after the wait it ended: a wait no wake can
   * be told for yet waits for the next wakes on its word.
   */
  private matchWake(call: SyscallEvent, task: Task, here: Place): void {
    const futex = call.futex!;
    const key = futex.private ? `${here.pid}:${futex.address}` : futex.address;
    const word = this.words.get(key) ?? { wakes: [], waits: [] };
    this.words.set(key, word);
    if ((futex.command === 'WAKE' || futex.command === 'WAKE_BITSET') && (call.result?.value ?? 0) > 0) {
      word.wakes.push({ ...here, start: call.start, unmatched: call.result!.value! });
      if (word.wakes.length > WAKES_PER_WORD) word.wakes.shift();
      word.waits = word.waits.filter((wait) => !this.arrowToWait(wait, word.wakes));
      return;
    }
    if (futex.command !== 'WAIT' && futex.command !== 'WAIT_BITSET') return;
    this.quotable.set(keyOf(call.start), here);
    const previous = this.lastWaitKey.get(task);
    if (previous !== undefined) this.quotable.delete(previous);
    this.lastWaitKey.set(task, keyOf(call.start));
    if (call.result?.value !== 0 || call.end === null) return;
    const wait = { ...here, start: call.start, end: call.end };
    if (this.arrowToWait(wait, word.wakes)) return;
    word.waits.push(wait);
    if (word.waits.length > WAKES_PER_WORD) word.waits.shift();
  }

  /** Draws the arrow to `wait` when one wake can be told to have ended it; says whether it did. */
  private arrowToWait(wait: WokenWait, wakes: Wake[]): boolean {
    const during = wakes.filter((w) => w.unmatched > 0 && w.tid !== wait.tid && before(wait.start, w.start) && before(w.start, wait.end));
    const [wake] = during;
    if (!wake || during.length > 1 || wakes.some((w) => unordered(w.start, wait))) return false;
    wake.unmatched--;
    this.arrow('futex wake', wake, wait);
    return true;
  }

  private nameTracks(tree: TaskTree): void {
    const named = new Set<number>();
    for (const task of tree.tasks()) {
      const pid = this.pidOfTask.get(task);
      if (pid === undefined) continue;
      const process = task.process;
      const command = commandName(process?.command ?? task.command);
      const shownPid = process?.pid ?? pid;
      if (!named.has(pid)) {
        named.add(pid);
        this.emit({ name: 'process_name', ph: 'M', pid, tid: pid, args: { name: `${command} ${shownPid}` } });
      }
      this.emit({ name: 'thread_name', ph: 'M', pid, tid: task.tid, args: { name: `${command} ${shownPid}/${task.tid}` } });
    }
  }

  /** A finding: an instant on each blocked thread where its wait began, and the arrow from the fork to the child's wait. */
  private annotate(finding: Finding, tree: TaskTree): void {
    const stuck = finding.evidence.filter((e) => e.role === 'blocked-forever' || e.role === 'timed-out');
    const args = { ...finding, summary: findingSentence(finding) };
    for (const tid of blockedTids(finding)) {
      const quoted = stuck.find((e) => e.tid === tid);
      const place = quoted ? this.quotable.get(keyOf({ where: quoted })) : undefined;
      const task = tree.task(tid);
      const pid = place?.pid ?? (task ? this.pidOfTask.get(task) : undefined) ?? finding.pid;
      this.emit({ name: `HUNG ${finding.kind}`, cat: 'finding', ph: 'i', s: 't', pid, tid, ts: place?.ts ?? this.endTs, args });
    }
    if (finding.kind !== 'inherited-lock') return;
    const fork = finding.evidence.find((e) => e.role === 'fork-while-held');
    const wait = stuck.find((e) => e.tid === finding.tid);
    const from = fork && this.quotable.get(keyOf({ where: fork }));
    const to = wait && this.quotable.get(keyOf({ where: wait }));
    if (from && to) this.arrow('fork while held', from, to);
  }

  private arrow(name: string, from: Place, to: Place): void {
    const id = this.nextFlowId++;
    // Bound to the slices starting at those times (same ts, pid, tid and cat, as every viewer binds them).
    this.emit({ name, cat: 'syscall', ph: 's', id, pid: from.pid, tid: from.tid, ts: from.ts });
    this.emit({ name, cat: 'syscall', ph: 'f', bp: 'e', id, pid: to.pid, tid: to.tid, ts: to.ts });
  }

  private ts(stamp: Stamp): number {
    if (this.axis === 'lines') return stamp.where.line;
    // A trace with timestamps on every line: a stamp without one is drawn where the trace is.
    return stamp.us ?? this.endTs;
  }

  /** Where a call that returned ends: its `-T` duration, else its resumed line. */
  private endOf(call: SyscallEvent, ts: number): number {
    if (this.axis === 'lines') return call.end ? Math.max(ts, call.end.where.line) + 1 : ts + 1;
    if (call.durationUs !== null) return ts + call.durationUs;
    return Math.max(ts, call.end?.us ?? ts);
  }

  private callArgs(call: SyscallEvent): Record<string, unknown> {
    const time = this.clock.shown(call.start.text);
    return {
      call: callText(call, { symbolic: true }),
      line: `${call.start.where.file}:${call.start.where.line}`,
      ...(time === null ? {} : { time }),
      ...(call.durationUs === null ? {} : { durationUs: call.durationUs }),
    };
  }

  private reach(ts: number): void {
    if (ts > this.endTs) this.endTs = ts;
  }

  private emit(event: ChromeEvent): void {
    // Nanoseconds at most: a bpftrace stamp's microseconds are exact to 3 decimals, their differences are not.
    if (event.ts !== undefined) event.ts = Math.round(event.ts * 1000) / 1000;
    if (event.dur !== undefined) event.dur = Math.round(event.dur * 1000) / 1000;
    this.write(`${this.written++ > 0 ? ',' : ''}\n${safeJson(event)}`);
  }
}

function before(a: Stamp, b: Stamp): boolean {
  const order = compareStamps(a, b);
  return order !== null && order < 0;
}

/** A wake the trace cannot order against the wait: which wake ended it cannot be told. */
function unordered(wake: Stamp, wait: WokenWait): boolean {
  return compareStamps(wait.start, wake) === null || compareStamps(wake, wait.end) === null;
}

function stampOf(event: DrawnEvent): Stamp {
  return event.kind === 'syscall' ? event.start : event.at;
}

function keyOf(stamp: Pick<Stamp, 'where'>): string {
  return `${stamp.where.file}:${stamp.where.line}`;
}

/** A process's short name, as `comm`: the program's file name from its command line. */
function commandName(command: string | null): string {
  const program = command?.split(' ')[0];
  if (!program) return '?';
  return program.slice(program.lastIndexOf('/') + 1) || program;
}
