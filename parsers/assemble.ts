// Turns parsed strace lines into events: joins each task's `<unfinished ...>` half with its
// `<... resumed>` half into one call, attaches `-k` stack frames to the call they follow, decodes
// the calls forkscope reads (futex, clone, wait, execve, exit), and at the end of the input emits
// the calls that never completed. Shared by every strace-based format (one log, -ff files, PlashGlibc).

import type { SourceLine, Stamp, SyscallEvent, SyscallResult, TraceEvent } from '../src/model/events.js';
import type { LineBody, LineTime } from './strace-line.js';
import { decodeClone, decodeExec, decodeExitCode, decodeFutex, decodeWait } from './strace-line.js';
import type { FileFutexIndex } from './futex-index.js';
import type { InputStats } from './types.js';

/** Collects the events of a batch of lines, counting warnings into the input's stats. */
export class EventSink {
  private events: TraceEvent[] = [];
  /** Calls emitted so far (a reader leaves no call out before a source's first calls were checked). */
  calls = 0;
  /** The offset of the line being read (null once the input ended), for `index`. */
  at: number | null = null;

  /** `index`: told of every futex call emitted, and the line that ended it, for a later read of parts of the file. */
  constructor(
    private readonly stats: InputStats,
    private readonly index: FileFutexIndex | null = null,
  ) {}

  emit(event: TraceEvent): void {
    if (event.kind === 'syscall') {
      this.calls++;
      if (event.futex && this.index) this.index.noteCall(event, this.at);
    }
    this.events.push(event);
  }

  warn(where: SourceLine, message: string): void {
    this.stats.warnings++;
    this.events.push({ kind: 'warning', where, message });
  }

  /** The events collected since the last call. */
  take(): TraceEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }
}

interface PendingCall {
  name: string;
  args: string;
  start: Stamp;
}

export class CallAssembler {
  private readonly pending = new Map<number, PendingCall>();
  /** The last complete call, kept until the next line in case `-k` frames follow it. */
  private held: SyscallEvent | null = null;
  /** Each live task's last call: strace prints the frames of the call a task exits in after its `+++` line. */
  private readonly lastCall = new Map<number, SyscallEvent>();
  private lastExitCall: SyscallEvent | null = null;

  constructor(private readonly sink: EventSink) {}

  feed(tid: number, body: LineBody, stamp: Stamp): void {
    const sink = this.sink;
    if (body.kind === 'stack') {
      const call = this.held ?? this.lastExitCall;
      if (call) (call.stack ??= []).push(body.frame);
      else sink.warn(stamp.where, 'a -k stack frame that follows no call');
      return;
    }
    this.release();
    this.lastExitCall = null;
    switch (body.kind) {
      case 'call':
        this.held = buildCall(tid, body.name, body.args, body.result, stamp, endOfWholeLine(stamp, body.durationUs), body.durationUs);
        break;
      case 'unfinished': {
        const previous = this.pending.get(tid);
        if (previous) {
          sink.warn(stamp.where, `task ${tid} starts ${body.name} while ${previous.name} (line ${previous.start.where.line}) is unfinished`);
          sink.emit(buildCall(tid, previous.name, previous.args, null, previous.start, null, null));
          this.pending.delete(tid);
        }
        // A call cut before its ")" (the output stopped in it): no "<... resumed>" ever follows.
        if (body.cut) this.held = buildCall(tid, body.name, body.args, null, stamp, null, null);
        else this.pending.set(tid, { name: body.name, args: body.args, start: stamp });
        break;
      }
      case 'resumed': {
        const started = this.pending.get(tid);
        this.pending.delete(tid);
        const matches = started?.name === body.name;
        if (!started) sink.warn(stamp.where, `"<... ${body.name} resumed>" of task ${tid} with no unfinished ${body.name} before it`);
        else if (!matches) {
          sink.warn(stamp.where, `task ${tid} resumes ${body.name} but ${started.name} (line ${started.start.where.line}) was unfinished`);
          sink.emit(buildCall(tid, started.name, started.args, null, started.start, null, null));
        }
        const args = matches ? joinArgs(started.args, body.args) : body.args;
        this.held = buildCall(tid, body.name, args, body.result, matches ? started.start : stamp, stamp, body.durationUs, matches);
        const created = this.held.clone && this.held.clone.creates === null ? this.held.result?.value : null;
        if (created) sink.warn(stamp.where, `the flags of the clone that made ${created} were in its unseen first half: whether ${created} is a thread or a process is unknown (counted as a process)`);
        break;
      }
      case 'signal':
        sink.emit({ kind: 'signal', tid, signal: body.signal, info: body.info, ...(body.stopped ? { stopped: true } : {}), at: stamp });
        break;
      case 'exit': {
        // A call the task was in when it died never returns.
        const inCall = this.pending.get(tid);
        if (inCall) {
          this.pending.delete(tid);
          sink.emit(buildCall(tid, inCall.name, inCall.args, null, inCall.start, null, null));
        }
        this.lastExitCall = this.lastCall.get(tid) ?? null;
        this.lastCall.delete(tid);
        if (body.supersededBy === undefined) {
          sink.emit({ kind: 'exit', tid, status: body.status, at: stamp });
          break;
        }
        sink.emit({ kind: 'exit', tid, status: body.status, supersededBy: body.supersededBy, at: stamp });
        // A thread's execve replaced the leader: strace prints the rest of that execve under the leader's pid.
        const execve = this.pending.get(body.supersededBy);
        if (execve) {
          this.pending.delete(body.supersededBy);
          this.pending.set(tid, execve);
        }
        break;
      }
      case 'message':
        if (body.attached !== undefined) sink.emit({ kind: 'task', tid: body.attached, creatorTid: null, at: stamp });
        // Anything else strace says in a log (a failed attach, a lost task) is worth showing.
        else if (body.detached === undefined) sink.warn(stamp.where, body.text);
        break;
      case 'blank':
        break;
    }
  }

  /** Forgets the unfinished calls `keep` does not keep (a read that skips the lines where they end). */
  dropPending(keep: (start: Stamp) => boolean): void {
    for (const [tid, call] of this.pending) if (!keep(call.start)) this.pending.delete(tid);
  }

  /** The end of the input: the held call, then every call still unfinished (they never returned). */
  finish(): void {
    this.release();
    for (const [tid, call] of this.pending) this.sink.emit(buildCall(tid, call.name, call.args, null, call.start, null, null));
    this.pending.clear();
  }

  private release(): void {
    if (!this.held) return;
    this.lastCall.set(this.held.tid, this.held);
    this.sink.emit(this.held);
    this.held = null;
  }
}

/**
 * A whole call's line carries its start time; it ended `-T` later. Without `-T` its end is only
 * placed in its own stream (by line), not in time.
 */
function endOfWholeLine(start: Stamp, durationUs: number | null): Stamp {
  const us = start.us !== null && durationUs !== null ? start.us + durationUs : null;
  return { us, text: null, stream: start.stream, seq: start.seq, where: start.where };
}

function joinArgs(first: string, second: string): string {
  if (!first) return second;
  if (!second) return first;
  // strace cuts anywhere: `flags=...|SIGCHLD` + `, child_tidptr=...` joins without a space.
  return /^[,)\]}]/.test(second) ? `${first}${second}` : `${first} ${second}`;
}

export function buildCall(
  tid: number,
  name: string,
  args: string,
  result: SyscallResult | null,
  start: Stamp,
  end: Stamp | null,
  durationUs: number | null,
  /** false when only the resumed half of the call is in the log. */
  whole = true,
): SyscallEvent {
  const call: SyscallEvent = { kind: 'syscall', tid, name, args, result, start, end, durationUs };
  if (name === 'futex' || name === 'futex_time64') {
    const futex = decodeFutex(args);
    if (futex) call.futex = futex;
    return call;
  }
  const clone = decodeClone(name, args, whole);
  if (clone) call.clone = clone;
  const wait = decodeWait(name, args);
  if (wait) call.wait = wait;
  const exec = decodeExec(name, args);
  if (exec) call.exec = exec;
  const exitCode = decodeExitCode(name, args);
  if (exitCode !== undefined) call.exitCode = exitCode;
  return call;
}

const DAY_US = 86_400e6;

export interface ClockState {
  last: number | null;
  relativeSum: number;
}

/**
 * Absolute times for the lines of one trace (one log, or every file of one `-ff` trace).
 * `-t`/`-tt` times of day are put on the day that brings them nearest to the last time read, so a
 * trace may run past midnight (and `-ff` files read side by side agree on the day). `-r` deltas
 * are summed when the trace is one stream; in `-ff` files they are deltas from the previous line
 * of any file, so their sum means nothing and such times are dropped. `-ttt` passes through.
 */
export class TraceClock {
  private last: number | null = null;
  private relativeSum = 0;
  /** `-r` times were read and dropped (the clock does not sum deltas). */
  deltasDropped = false;

  constructor(private readonly sumsDeltas: boolean) {}

  /** Where the clock stands, to read a later part of the trace as if read from the start (`restore`). */
  state(): ClockState {
    return { last: this.last, relativeSum: this.relativeSum };
  }

  restore(state: ClockState): void {
    this.last = state.last;
    this.relativeSum = state.relativeSum;
  }

  /** What `absolute` would give for `time`, without moving the clock. */
  peek(time: Pick<LineTime, 'us' | 'relative'> | null): number | null {
    if (!time) return null;
    if (time.relative) return this.sumsDeltas ? this.relativeSum + time.us : null;
    return this.onDayOfLast(time.us);
  }

  absolute(time: Pick<LineTime, 'us' | 'relative'> | null): number | null {
    if (!time) return null;
    if (time.relative) {
      if (!this.sumsDeltas) {
        this.deltasDropped = true;
        return null;
      }
      this.relativeSum += time.us;
      return this.relativeSum;
    }
    this.last = this.onDayOfLast(time.us);
    return this.last;
  }

  private onDayOfLast(us: number): number {
    return us < DAY_US && this.last !== null ? us + Math.round((this.last - us) / DAY_US) * DAY_US : us;
  }
}
