// Format: one strace log, as written by `strace -f -o FILE` (a pid column on every line), by
// `strace -f` to stderr (the first task's lines unprefixed, the others as `[pid N]`; strace 6.9+
// `--always-show-pid` prefixes all), or by strace without -f (no pid at all). Any of -t, -tt, -ttt,
// -r, -T, -y, -yy, -Y, -k, -i, -n, -X, -s, -v, -q, -qq and -e filters.
// Reference: strace(1), https://man7.org/linux/man-pages/man1/strace.1.html; strace's src/strace.c.
// The file is one stream: its line order is the order strace saw the events in.
//
// Whose are unprefixed lines (stderr output, or a log without -f)? The task that ran alone before
// strace printed any pid: the first `[pid N]` whose N strace did not announce as newly attached;
// else the tid an unprefixed `set_tid_address`, `gettid` or `getpid` returned (every dynamically
// linked program calls set_tid_address at startup); else the task of the first `strace: Process N
// attached`; else 0, a tid no real task has. The log is scanned ahead once to find it. Pasted
// `strace -p` runs follow one another: once that task is detached, the unprefixed lines belong to
// the next task attached, and an attach that starts a run (4.x `- interrupt to quit`) takes them too.

import { FUTEX_CALLS } from '../src/model/calls.js';
import type { SourceLine, Stamp, TraceEvent } from '../src/model/events.js';
import { CallAssembler, EventSink, TraceClock } from './assemble.js';
import type { ClockState } from './assemble.js';
import type { BlockReading, BlockStart, FileFutexIndex } from './futex-index.js';
import { readLineBatches, readLineChunks } from './lines.js';
import type { LineBatch, ReadLine, ReadLinesOptions } from './lines.js';
import { OLD_STRACE_MESSAGE, STRACE_MESSAGE, parseStraceLine, scanLead, scanWholeCall } from './strace-line.js';
import type { LineBody, LineParse, LineTime, ParsedLine } from './strace-line.js';
import { CALLS_TO_CHECK } from './types.js';
import type { CallSelection, InputStats } from './types.js';


/** A thread of a `-ff` trace idle this much longer than its calls say: its clock jumped (see timeOf). */
const FORWARD_JUMP_US = 60e6;

/** When the task is out of the call this line shows, or null while it is inside one. */
function endOf(body: ParsedLine['body'], us: number, line: number): { us: number; line: number } | null {
  // A stopped task (SIGSTOP, a debugger) may stay stopped any time.
  if (body.kind === 'unfinished' || (body.kind === 'signal' && body.stopped)) return null;
  if (body.kind === 'call') return { us: us + (body.durationUs ?? 0), line };
  return { us, line };
}

export interface StraceReadOptions {
  /** The tid of every line, for a file that holds one task (`-ff` writes `prefix.TID`). */
  tid?: number;
  /** Shared by the files of one `-ff` trace; a log of its own gets one that sums `-r` deltas. */
  clock?: TraceClock;
  chunkBytes?: ReadLinesOptions['chunkBytes'];
  reopen?: ReadLinesOptions['reopen'];
  follow?: ReadLinesOptions['follow'];
  calls?: CallSelection;
  /** With `calls: 'futex'`: the tasks whose calls are asked for; other tasks' lines (in a log with a pid column) are left out. */
  tids?: ReadonlySet<number>;
  counter?: ReadLinesOptions['counter'];
  /** Filled while the file is read: where its futex calls are, and where reading may restart (parsers/futex-index.ts). */
  index?: FileFutexIndex;
  /** Read these blocks only, each run from what the index kept at its first line (a read of the file checked it already). */
  blocks?: BlockReading;
}

/** What the reader knows at a line that a read starting there needs, to give the events a read from the start gives. */
export interface StraceResume {
  clock: ClockState;
  timesBroken: boolean;
  lastTime: { us: number; line: number; text: string };
  freeSince: { us: number; line: number } | null;
  unprefixedTid: number | null;
  ownerDetached: boolean;
}

/** The events of one log, a batch per chunk of lines read. */
export async function* readStraceLog(
  file: string,
  stats: InputStats,
  stream: number,
  options: StraceReadOptions = {},
): AsyncGenerator<TraceEvent[]> {
  const reader = straceReader(file, stats, stream, options);
  for await (const batch of reader.lineBatches()) {
    let next = batch.length > 0 ? batch.line(0) : undefined;
    for (let i = 1; next; i++) {
      const line = next;
      next = i < batch.length ? batch.line(i) : undefined;
      const waiting = reader.read(line, next);
      if (waiting) await waiting;
    }
    const events = reader.take();
    if (events.length > 0) yield events;
  }
  await reader.finish();
  const events = reader.take();
  if (events.length > 0) yield events;
}

/**
 * One log's reading, a line at a time: its caller takes the events whenever it likes, so a merge
 * of many files parses a line only when it needs that file's next event.
 */
export interface StraceReader {
  /** The file's lines, a batch per chunk (a second read: only its blocks, each from the state it starts in). */
  lineBatches(): AsyncGenerator<LineBatch>;
  /**
   * Reads a line of lineBatches (in order; `next`: the line after it in its batch). A promise, to
   * await before the next line, when its events wait for the task of the log's unprefixed lines to be found.
   */
  read(line: ReadLine, next: ReadLine | undefined): Promise<void> | undefined;
  /** The end of the file: the calls still open come out. */
  finish(): Promise<void>;
  /** The events that came out since the last take. */
  take(): TraceEvent[];
}

export function straceReader(file: string, stats: InputStats, stream: number, options: StraceReadOptions = {}): StraceReader {
  const index = options.index ?? null;
  const sink = new EventSink(stats, index);
  const assembler = new CallAssembler(sink);
  const clock = options.clock ?? new TraceClock(true);
  const withPid = options.tid === undefined;
  const oneThread = !withPid;
  let unprefixedTid: number | null = options.tid ?? null;
  /** The unprefixed lines' task was detached: the next attach starts another session (pasted `-p` runs). */
  let ownerDetached = false;
  /** The head of a line that a `strace: Process N attached` message cut in two (stderr output), and where it was. */
  let cutLine: { text: string; where: SourceLine } | null = null;
  /** A call line that stops before its `)` with no `<unfinished ...>`: its rest may come on a later line. */
  let cutCall: { text: string; where: SourceLine; parsed: ParsedLine; linesAfter: number } | null = null;
  /**
   * What waits (in order) for the task of the unprefixed lines, which a scan of the file finds:
   * set once a line needs it, until the line's reader awaits the scan.
   */
  let waiting: (() => void)[] = [];
  const warn = (where: SourceLine, message: string) => {
    if (waiting.length > 0) waiting.push(() => sink.warn(where, message));
    else sink.warn(where, message);
  };
  const feed = (parsed: ParsedLine, where: SourceLine) => {
    if (waiting.length > 0) {
      waiting.push(() => feed(parsed, where));
      return;
    }
    const body = parsed.body;
    if (body.kind === 'message' && withPid) {
      if (body.detached !== undefined && body.detached === unprefixedTid) ownerDetached = true;
      else if (body.attached !== undefined && (ownerDetached || body.startsRun)) {
        unprefixedTid = body.attached;
        ownerDetached = false;
      }
    }
    let tid = options.tid ?? parsed.pid;
    // Frames, messages and blank lines belong to no task of their own: no need to find one.
    if (tid === null) {
      if (ownsNoTask(body)) tid = 0;
      else if (unprefixedTid !== null) tid = unprefixedTid;
      else {
        waiting.push(() => feed(parsed, where));
        return;
      }
    }
    const stamp: Stamp = { us: timeOf(parsed, where), text: parsed.time?.text ?? null, stream, seq: where.line, where };
    if (stamp.us !== null) latestEnd = Math.max(latestEnd, stamp.us + (body.kind === 'call' ? (body.durationUs ?? 0) : 0));
    sink.at = where.offset ?? null;
    assembler.feed(tid, body, stamp);
  };
  /** The last time read in this file (line 0: none yet), to see the clock step back; its text is sliced only when said. */
  const lastTime = { us: 0, line: 0, source: '', start: 0, end: 0 };
  const setLastTime = (us: number, line: number, source: string, start: number, end: number) => {
    lastTime.us = us;
    lastTime.line = line;
    lastTime.source = source;
    lastTime.start = start;
    lastTime.end = end;
  };
  /**
   * One thread's file (`-ff`): when its task was last out of any call (its last call's time plus
   * its -T duration), to see the clock jump forward. null while a call is unfinished (its resumed
   * line may come any time later) or when unknown.
   */
  let freeSince: { us: number; line: number } | null = null;
  let timesBroken = false;
  /** The latest end (start plus -T duration) of a call read, to place another file's fork among this file's blocks. */
  let latestEnd = -Infinity;
  // A file's times only go forward: one that goes back (the clock was set, or logs were joined)
  // is said once, and from there on this file's times order nothing (its lines keep their order).
  // So is a thread's file whose next call starts far later than its last one ended: the clock
  // jumped forward (or the thread ran that long without a system call), and its times would put
  // its calls after other files' calls they came before.
  const timeOf = (parsed: ParsedLine, where: SourceLine): number | null => {
    const us = clock.absolute(parsed.time);
    if (us === null || timesBroken) return null;
    const text = parsed.time!.text;
    const broken = (message: string) => {
      timesBroken = true;
      sink.warn(where, `${message}; from here on this file's times are not used to order its events against other files`);
      return null;
    };
    if (lastTime.line > 0 && us < lastTime.us) {
      const before = lastTime.source.slice(lastTime.start, lastTime.end);
      return broken(`the time goes back from ${before} (line ${lastTime.line}) to ${text}: the clock was set or logs were joined`);
    }
    if (freeSince && us - freeSince.us > FORWARD_JUMP_US) {
      const seconds = ((us - freeSince.us) / 1e6).toFixed(1);
      return broken(
        `the time jumps ${seconds} s forward from the end of the call at line ${freeSince.line} to ${text}: ` +
          'the clock was set or logs were joined (or the thread ran that long with no system call)',
      );
    }
    setLastTime(us, where.line, text, 0, text.length);
    if (oneThread) freeSince = endOf(parsed.body, us, where.line);
    return us;
  };
  const selection = options.calls ?? 'all';
  /**
   * Whether `line` (not the last of its batch: `next` follows it) is a whole call this read leaves
   * out. Its time still moves the clock; a line whose time goes back is read, to say so.
   */
  const leftOut = (line: ReadLine, next: ReadLine): boolean => {
    // -k frames belong to the call before them.
    const nextFirst = next.text.charCodeAt(0);
    if (nextFirst === SPACE || nextFirst === GREATER) return false;
    // Another task's line, whatever it is: a parent that forked 100,000 children asks for none of theirs.
    const tids = options.tids;
    if (tids) {
      const { pid, time, timeStart, timeEnd } = scanLead(line.text, withPid);
      if (pid !== null && !tids.has(pid)) return passTime(line, time, timeStart, timeEnd);
    }
    const call = scanWholeCall(line.text, withPid, (name) => !FUTEX_CALLS.has(name));
    return call !== null && passTime(line, call.time, call.timeStart, call.timeEnd);
  };
  /** A line left out still moves the clock; false (read it) when its time goes back, to say so. */
  const passTime = (line: ReadLine, time: Pick<LineTime, 'us' | 'relative'> | null, timeStart: number, timeEnd: number): boolean => {
    const us = clock.peek(time);
    if (us !== null && !timesBroken && lastTime.line > 0 && us < lastTime.us) return false;
    clock.absolute(time);
    if (us !== null && !timesBroken) setLastTime(us, line.line, line.text, timeStart, timeEnd);
    return true;
  };
  const blockStart = (line: ReadLine): BlockStart => ({
    offset: line.offset,
    line: line.line,
    us: timesBroken ? null : lastTime.line > 0 ? lastTime.us : -Infinity,
    endUs: latestEnd,
    state: {
      clock: clock.state(),
      timesBroken,
      lastTime: { us: lastTime.us, line: lastTime.line, text: lastTime.source.slice(lastTime.start, lastTime.end) },
      freeSince,
      unprefixedTid,
      ownerDetached,
    },
  });
  const resume = ({ state }: BlockStart) => {
    clock.restore(state.clock);
    timesBroken = state.timesBroken;
    setLastTime(state.lastTime.us, state.lastTime.line, state.lastTime.text, 0, state.lastTime.text.length);
    freeSince = state.freeSince;
    unprefixedTid = state.unprefixedTid;
    ownerDetached = state.ownerDetached;
  };
  const read = { chunkBytes: options.chunkBytes, reopen: options.reopen, counter: options.counter };
  const blocks = options.blocks;
  async function* lineBatches(): AsyncGenerator<LineBatch> {
    if (!blocks) {
      yield* readLineChunks(file, { ...read, follow: options.follow });
      return;
    }
    // The first read checked that the file's calls are system calls.
    sink.calls = Math.max(sink.calls, CALLS_TO_CHECK);
    for (const [i, run] of blocks.runs.entries()) {
      resume(run.start);
      yield* readLineChunks(file, { ...read, start: run.start.offset, firstLine: run.start.line, end: run.end });
      // A call whose rest is in blocks not read would come out as never returned.
      assembler.dropPending((start) => blocks.continues(start.where.offset, i));
    }
  }
  /** Runs what waited for the task of the unprefixed lines, once found. */
  const findFirstTask = async () => {
    unprefixedTid ??= await firstTaskOf(file);
    const held = waiting;
    waiting = [];
    for (const run of held) run();
  };
  const readLine = (line: ReadLine, next: ReadLine | undefined): Promise<void> | undefined => {
    stats.lines++;
    // A block starts where nothing read carries over to the line (no cut line, no -k frame of the call before).
    if (index !== null && line.offset >= index.nextBlockAt && cutLine === null && cutCall === null && !isFrameLine(line.text)) {
      index.startBlock(blockStart(line));
    }
    if (selection !== 'all' && next && cutLine === null && cutCall === null && !line.truncated && sink.calls >= CALLS_TO_CHECK && leftOut(line, next)) {
      return undefined;
    }
    let where: SourceLine = { file, line: line.line, offset: line.offset };
    let text = line.text;
    if (cutLine !== null) {
      // The call is placed where it began.
      text = cutLine.text + text;
      where = cutLine.where;
      cutLine = null;
    }
    if (text.includes('strace: Process ')) {
      const message = STRACE_MESSAGE.exec(text);
      if (message && message.index > 0 && !/^(\[pid\s+\d+\]\s*)?$/.test(text.slice(0, message.index))) {
        cutLine = { text: text.slice(0, message.index), where };
        text = message[0];
      }
    }
    if (line.truncated) warn(where, 'line longer than 1 MiB, cut');
    let parsed = parseStraceLine(text, withPid);
    if (cutCall !== null) {
      // A line that is no line of its own but completes the cut call is its rest (a paste or
      // the program's output on the terminal split the call): the call is placed where it began.
      const joined: LineParse | null = 'error' in parsed ? parseStraceLine(cutCall.text + text, withPid) : null;
      if (joined && !('error' in joined) && joined.body.kind === 'call') {
        parsed = joined;
        where = cutCall.where;
        cutCall = null;
      } else if (!('error' in parsed) || ++cutCall.linesAfter > MAX_LINES_INTO_CUT_CALL) {
        warn(cutCall.where, `${cutCall.parsed.body.kind === 'unfinished' ? cutCall.parsed.body.name : 'a call'} cut before its ")" and no later line completes it: read as never returned`);
        feed(cutCall.parsed, cutCall.where);
        cutCall = null;
      }
    }
    if ('error' in parsed) warn(where, `${parsed.error}: ${excerpt(text)}`);
    else if (parsed.body.kind === 'unfinished' && parsed.body.cut) cutCall = { text, where, parsed, linesAfter: 0 };
    else feed(parsed, where);
    return waiting.length > 0 ? findFirstTask() : undefined;
  };
  return {
    lineBatches,
    read: readLine,
    async finish() {
      // A log that ends inside a call (strace killed, a -ff file) ends so: no rest to wait for.
      if (cutCall !== null) feed(cutCall.parsed, cutCall.where);
      if (waiting.length > 0) await findFirstTask();
      sink.at = null;
      assembler.finish();
    },
    take: () => sink.take(),
  };
}

function ownsNoTask(body: LineBody): boolean {
  return body.kind === 'stack' || body.kind === 'message' || body.kind === 'blank';
}

const SPACE = 0x20;
const GREATER = 0x3e;

/** A -k stack frame (` > /lib/libc.so.6(...)`), which belongs to the call before it. */
function isFrameLine(text: string): boolean {
  const first = text.charCodeAt(0);
  return first === SPACE || first === GREATER;
}

/** Lines (program output, say) a cut call's rest may come after before the call counts as cut for good. */
const MAX_LINES_INTO_CUT_CALL = 4;

/** A call that returns the caller's own tid, on an unprefixed line (optionally timestamped). */
const OWN_TID_CALL = /^\s*(?:\d[\d:.]*\s+)?(?:set_tid_address|gettid|getpid)\(.*\)\s+=\s+(\d+)/;

/** Who the unprefixed lines of a log belong to (see the rule at the top of this file). */
export async function firstTaskOf(file: string): Promise<number> {
  const attached = new Set<number>();
  let firstAttached: number | null = null;
  for await (const batch of readLineBatches(file)) {
    for (const { text } of batch) {
      const message = STRACE_MESSAGE.exec(text) ?? OLD_STRACE_MESSAGE.exec(text);
      if (message?.[2] === 'attached') {
        attached.add(Number(message[1]));
        firstAttached ??= Number(message[1]);
        continue;
      }
      const prefixed = /^\[pid\s+(\d+)/.exec(text);
      if (prefixed) {
        if (!attached.has(Number(prefixed[1]))) return Number(prefixed[1]);
        continue;
      }
      const own = OWN_TID_CALL.exec(text);
      if (own) return Number(own[1]);
    }
  }
  return firstAttached ?? 0;
}

function excerpt(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
