// Turns parsed strace lines into events: joins each task's `<unfinished ...>` half with its
// `<... resumed>` half into one call, attaches `-k` stack frames to the call they follow, decodes
// the calls forkscope reads (futex, clone, wait, execve, exit), and at the end of the input emits
// the calls that never completed. Shared by every strace-based format (one log, -ff files, PlashGlibc).

import type { Stamp, SyscallEvent, SyscallResult, TraceEvent } from '../src/model/events.js';
import type { LineBody, LineTime } from './strace-line.js';
import { decodeClone, decodeExec, decodeFutex, decodeWait, splitArgs } from './strace-line.js';

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

  *feed(tid: number, body: LineBody, stamp: Stamp): Generator<TraceEvent> {
    if (body.kind === 'stack') {
      const call = this.held ?? this.lastExitCall;
      if (call) (call.stack ??= []).push(body.frame);
      else yield warning(stamp, 'a -k stack frame that follows no call');
      return;
    }
    yield* this.release();
    this.lastExitCall = null;
    if (body.kind === 'exit') {
      this.lastExitCall = this.lastCall.get(tid) ?? null;
      this.lastCall.delete(tid);
    }
    switch (body.kind) {
      case 'call':
        this.held = buildCall(tid, body.name, body.args, body.result, stamp, endOfWholeLine(stamp, body.durationUs), body.durationUs);
        break;
      case 'unfinished': {
        const previous = this.pending.get(tid);
        if (previous) {
          yield warning(stamp, `task ${tid} starts ${body.name} while ${previous.name} (line ${previous.start.where.line}) is unfinished`);
          yield buildCall(tid, previous.name, previous.args, null, previous.start, null, null);
        }
        this.pending.set(tid, { name: body.name, args: body.args, start: stamp });
        break;
      }
      case 'resumed': {
        const started = this.pending.get(tid);
        this.pending.delete(tid);
        if (!started) yield warning(stamp, `"<... ${body.name} resumed>" of task ${tid} with no unfinished ${body.name} before it`);
        else if (started.name !== body.name) {
          yield warning(stamp, `task ${tid} resumes ${body.name} but ${started.name} (line ${started.start.where.line}) was unfinished`);
        }
        const args = started?.name === body.name ? joinArgs(started.args, body.args) : body.args;
        const start = started?.name === body.name ? started.start : stamp;
        this.held = buildCall(tid, body.name, args, body.result, start, stamp, body.durationUs);
        break;
      }
      case 'signal':
        yield { kind: 'signal', tid, signal: body.signal, info: body.info, at: stamp };
        break;
      case 'exit': {
        // A call the task was in when it died never returns.
        const inCall = this.pending.get(tid);
        if (inCall) {
          this.pending.delete(tid);
          yield buildCall(tid, inCall.name, inCall.args, null, inCall.start, null, null);
        }
        const superseded = body.supersededBy === undefined ? {} : { supersededBy: body.supersededBy };
        yield { kind: 'exit', tid, status: body.status, at: stamp, ...superseded };
        break;
      }
      case 'message':
        if (body.attached !== undefined) yield { kind: 'task', tid: body.attached, creatorTid: null, at: stamp };
        break;
      case 'blank':
        break;
    }
  }

  /** The end of the input: the held call, then every call still unfinished (they never returned). */
  *finish(): Generator<TraceEvent> {
    yield* this.release();
    for (const [tid, call] of this.pending) yield buildCall(tid, call.name, call.args, null, call.start, null, null);
    this.pending.clear();
  }

  private *release(): Generator<TraceEvent> {
    if (!this.held) return;
    this.lastCall.set(this.held.tid, this.held);
    yield this.held;
    this.held = null;
  }
}

/**
 * A whole call's line carries its start time; it ended `-T` later. Without `-T` its end is only
 * placed in its own stream (by line), not in time.
 */
function endOfWholeLine(start: Stamp, durationUs: number | null): Stamp {
  const us = start.us !== null && durationUs !== null ? start.us + durationUs : null;
  return { ...start, us, text: null };
}

function joinArgs(first: string, second: string): string {
  return [first.trim(), second.trim()].filter(Boolean).join(' ');
}

export function buildCall(
  tid: number,
  name: string,
  args: string,
  result: SyscallResult | null,
  start: Stamp,
  end: Stamp | null,
  durationUs: number | null,
): SyscallEvent {
  const call: SyscallEvent = { kind: 'syscall', tid, name, args, result, start, end, durationUs };
  if (name === 'futex' || name === 'futex_time64') {
    const futex = decodeFutex(args);
    if (futex) call.futex = futex;
  }
  const clone = decodeClone(name, args);
  if (clone) call.clone = clone;
  const wait = decodeWait(name, args);
  if (wait) call.wait = wait;
  const exec = decodeExec(name, args);
  if (exec) call.exec = exec;
  if (name === 'exit' || name === 'exit_group') {
    const code = Number(splitArgs(args)[0]);
    if (Number.isInteger(code)) call.exitCode = code;
  }
  return call;
}

export function warning(stamp: Stamp, message: string): TraceEvent {
  return { kind: 'warning', where: stamp.where, message };
}

/**
 * Absolute times for one stream: sums `-r` deltas, and carries `-t`/`-tt` times of day past
 * midnight. Times of the epoch (`-ttt`) pass through.
 */
export class StreamClock {
  private last: number | null = null;
  private dayOffset = 0;

  absolute(time: LineTime | null): number | null {
    if (!time) return null;
    if (time.relative) {
      this.last = (this.last ?? 0) + time.us;
      return this.last;
    }
    let us = time.us + this.dayOffset;
    if (time.us < 86_400e6 && this.last !== null && us < this.last - 43_200e6) {
      this.dayOffset += 86_400e6;
      us += 86_400e6;
    }
    this.last = us;
    return us;
  }
}
