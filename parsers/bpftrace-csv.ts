// Format: forkscope's own bpftrace collector CSV, written by collectors/forkscope.bt (the column
// layout is documented at the top of that file; BPFTRACE_CSV_HEADER, in formats.ts, is its first line).
//
// bpftrace prints each CPU's events from its own buffer, so lines come out of timestamp order:
// they are sorted by their monotonic ns stamp through a bounded reorder window (streaming; see
// REORDER_WINDOW_NS), then each thread's syscall enter and return records are joined into one call,
// as strace's `<unfinished ...>` and `<... resumed>` halves are. A call still entered when its task
// exits becomes `= ?` (the task died in it); one still entered at the end of the file is unfinished.
// bpftrace's own lines are understood too: `Lost N events` (a warning: the trace has holes) and
// `@unlogged_wakes: N` (the count of uncontended wakes the collector skips).

import { Readable } from 'node:stream';
import type { Stamp, SyscallEvent, SyscallResult, TraceEvent } from '../src/model/events.js';
import { decodeFutexOp, futexCall, futexOpName, isFutexWait, normalizeAddress } from '../src/model/futex.js';
import {
  CLONE_THREAD,
  WAITID_ID_TYPES,
  cloneFlagNames,
  decodeWaitStatus,
  errnoName,
  isRestartErrno,
  signalName,
  waitidTarget,
} from '../src/linux/abi.js';
import { MinHeap } from '../src/util/heap.js';
import { BPFTRACE_CSV_HEADER } from './formats.js';
import { readChunks } from './lines.js';
import type { ByteCounter, Follow } from './lines.js';
import type { InputStats, TraceSource } from './types.js';

const COLUMNS = BPFTRACE_CSV_HEADER.split(',').length;

/**
 * How far back in time a line may arrive after a later one and still be put in its place.
 * Measured here (bpftrace 0.17, 2 CPUs): at most 5.4 ms (a 4-thread mutex contention run, ~90k lines/s).
 */
export const REORDER_WINDOW_NS = 1_000_000_000n;
/** Lines held for reordering at most (memory bound when the window holds a burst). */
const REORDER_MAX_LINES = 100_000;

/** One CSV line, its fields named. */
interface Row {
  ns: bigint;
  line: number;
  offset: number;
  tgid: number;
  tid: number;
  comm: string;
  event: string;
  call: string;
  a: [string, string, string, string, string];
  text: string;
}

interface PendingCall {
  row: Row;
  start: Stamp;
}

export async function* readBpftraceCsv(
  source: TraceSource,
  stats: InputStats,
  streamId: number,
  follow?: Follow,
  counter?: ByteCounter,
): AsyncGenerator<TraceEvent> {
  const file = source.files[0] ?? source.path;
  const warning = (line: number, message: string): TraceEvent => {
    stats.warnings++;
    return { kind: 'warning', where: { file, line }, message };
  };
  for (const extra of source.files.slice(1)) {
    yield warning(0, `${extra}: a bpftrace CSV source is one file; this one was not read`);
  }

  const reorder = new ReorderBuffer();
  const joiner = new CallJoiner(file, streamId, stats);
  let lateLines = 0;
  let lastEmitted = -1n;
  const release = function* (rows: Row[]): Generator<TraceEvent> {
    for (const row of rows) {
      if (row.ns < lastEmitted) lateLines++;
      else lastEmitted = row.ns;
      yield* joiner.accept(row);
    }
  };

  // csv-parse loads only for a bpftrace recording: forkscope starts faster on strace logs.
  const { parse } = await import('csv-parse');
  const parser = Readable.from(readChunks(file, follow, counter), { objectMode: false }).pipe(
    parse({ delimiter: ',', quote: false, record_delimiter: '\n', relax_column_count: true, info: true }),
  );
  let line = 0;
  let offset = 0;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { bytes: number } }>) {
    line++;
    stats.lines++;
    const lineOffset = offset;
    offset = info.bytes;
    const fields = record.map((f, i) => (i === record.length - 1 ? f.replace(/\r$/, '') : f));
    if (line === 1) {
      if (fields.join(',') !== BPFTRACE_CSV_HEADER) {
        yield warning(1, `not a forkscope bpftrace CSV: the first line is not \`${BPFTRACE_CSV_HEADER}\``);
      }
      continue;
    }
    if (fields.length === 1) {
      const only = fields[0]!.trim();
      if (only === '' || /^@unlogged_wakes: \d+$/.test(only)) continue;
      const lost = /^Lost (\d+) events$/.exec(only);
      if (lost) {
        yield warning(line, `bpftrace lost ${lost[1]} events (its buffers overflowed): the trace has holes here`);
        continue;
      }
    }
    const row = toRow(fields, line, lineOffset);
    if (typeof row === 'string') {
      yield warning(line, row);
      continue;
    }
    yield* release(reorder.push(row));
  }
  yield* release(reorder.drain());
  yield* joiner.finish();
  if (lateLines > 0) {
    yield warning(
      0,
      `${lateLines} lines came more than ${Number(REORDER_WINDOW_NS / 1_000_000n)} ms out of timestamp order and were read out of order`,
    );
  }
}

/** Names a line's fields; a comm or execve filename holding commas got split and is rejoined. */
function toRow(fields: string[], line: number, offset: number): Row | string {
  if (fields.length < COLUMNS) return `expected ${COLUMNS} comma-separated fields, found ${fields.length}`;
  const extra = fields.length - COLUMNS;
  let comm: string;
  let rest: string[];
  // comm is empty exactly on execve enter lines, the only ones with text: extra commas go to text.
  if (fields[3] === '' && fields[4] === 'enter' && fields[5] === 'execve') {
    comm = '';
    rest = [...fields.slice(4, COLUMNS - 1), fields.slice(COLUMNS - 1).join(',')];
  } else {
    comm = fields.slice(3, 4 + extra).join(',');
    rest = fields.slice(4 + extra);
  }
  // At least COLUMNS fields (checked above), so every field named here exists.
  const [ns, tgid, tid] = fields as [string, string, string];
  const [event, call, a1, a2, a3, a4, a5, text] = rest as [string, string, string, string, string, string, string, string];
  if (!/^\d+$/.test(ns) || !/^\d+$/.test(tgid) || !/^\d+$/.test(tid)) return 'expected ns, tgid and tid numbers';
  return {
    ns: BigInt(ns),
    line,
    offset,
    tgid: Number(tgid),
    tid: Number(tid),
    comm,
    event,
    call,
    a: [a1, a2, a3, a4, a5],
    text,
  };
}

/** Rows ordered by (ns, line), released once they are older than the newest by the window. */
class ReorderBuffer {
  private readonly heap = new MinHeap<Row>((a, b) => a.ns < b.ns || (a.ns === b.ns && a.line < b.line));
  private newest = 0n;

  push(row: Row): Row[] {
    if (row.ns > this.newest) this.newest = row.ns;
    this.heap.push(row);
    const ready: Row[] = [];
    for (let oldest = this.heap.peek(); oldest; oldest = this.heap.peek()) {
      if (oldest.ns + REORDER_WINDOW_NS > this.newest && this.heap.size <= REORDER_MAX_LINES) break;
      ready.push(this.heap.pop()!);
    }
    return ready;
  }

  drain(): Row[] {
    const rest: Row[] = [];
    for (let row = this.heap.pop(); row; row = this.heap.pop()) rest.push(row);
    return rest;
  }
}

/** Turns rows, in time order, into events: enter and return joined per thread. */
class CallJoiner {
  private readonly pending = new Map<number, PendingCall>();
  private seq = 0;

  constructor(
    private readonly file: string,
    private readonly stream: number,
    private readonly stats: InputStats,
  ) {}

  *accept(row: Row): Generator<TraceEvent> {
    const at = this.stamp(row);
    switch (row.event) {
      case 'enter': {
        const previous = this.pending.get(row.tid);
        if (previous) yield this.warn(previous.row, `${previous.row.call} entered but never returned (lost events?)`);
        if (row.call === 'futex' && normalizeAddress(row.a[0] ?? '') === null) {
          yield this.warn(row, `futex word \`${row.a[0] ?? ''}\` is not an address: this call's lock cannot be followed`);
        }
        this.pending.set(row.tid, { row, start: at });
        return;
      }
      case 'return': {
        const entered = this.pending.get(row.tid);
        if (!entered || entered.row.call !== row.call) {
          yield this.warn(row, `${row.call} returned without its enter line`);
          return;
        }
        this.pending.delete(row.tid);
        const ret = parseInteger(row.a[0]);
        if (ret === null) {
          yield this.warn(row, `${row.call} return value is not a number`);
          return;
        }
        yield this.call(entered, row, at, returnedResult(ret));
        return;
      }
      case 'root':
      case 'newtask': {
        const tid = parseInteger(row.a[0]);
        const tgid = parseInteger(row.a[1]);
        if (tid === null || tgid === null) {
          yield this.warn(row, `${row.event} without the new task's tid and tgid`);
          return;
        }
        // The root's creator is forkscope itself, which is not part of the trace.
        yield { kind: 'task', tid, creatorTid: row.event === 'root' ? null : row.tid, tgid, at };
        return;
      }
      case 'signal': {
        const number = parseInteger(row.call);
        if (number === null) {
          yield this.warn(row, 'signal without its number');
          return;
        }
        const name = signalName(number);
        yield { kind: 'signal', tid: row.tid, signal: name, info: `{si_signo=${name}, si_code=${row.a[1]}}`, at };
        return;
      }
      case 'exit': {
        const code = parseInteger(row.a[0]);
        const entered = this.pending.get(row.tid);
        if (entered) {
          this.pending.delete(row.tid);
          yield this.call(entered, row, at, { raw: '?', value: null, errno: null });
        }
        yield { kind: 'exit', tid: row.tid, status: code === null ? null : decodeWaitStatus(code), at };
        return;
      }
      default:
        yield this.warn(row, `unknown event \`${row.event}\``);
    }
  }

  /** Calls still entered at the end of the trace: blocked when it ended. */
  *finish(): Generator<TraceEvent> {
    for (const entered of this.pending.values()) yield this.call(entered, null, null, null);
    this.pending.clear();
  }

  private stamp(row: Row): Stamp {
    return {
      us: Number(row.ns / 1000n) + Number(row.ns % 1000n) / 1000,
      text: row.ns.toString(),
      stream: this.stream,
      seq: this.seq++,
      where: { file: this.file, line: row.line, offset: row.offset },
    };
  }

  private warn(row: Row, message: string): TraceEvent {
    this.stats.warnings++;
    return { kind: 'warning', where: { file: this.file, line: row.line, offset: row.offset }, message };
  }

  private call(entered: PendingCall, returnRow: Row | null, end: Stamp | null, result: SyscallResult | null): SyscallEvent {
    const { row } = entered;
    const event: SyscallEvent = {
      kind: 'syscall',
      tid: row.tid,
      name: row.call,
      args: '',
      result,
      start: entered.start,
      end,
      durationUs: end && entered.start.us !== null && end.us !== null ? end.us - entered.start.us : null,
    };
    describeCall(event, row, returnRow);
    return event;
  }
}

/** Fills in the decoded call and strace-like argument text from the enter (and return) line. */
function describeCall(event: SyscallEvent, enter: Row, returnRow: Row | null): void {
  const [a1, a2, a3, a4, a5] = enter.a;
  switch (enter.call) {
    case 'futex': {
      const decoded = decodeFutexOp(Number(a2));
      const address = normalizeAddress(a1);
      // A damaged row whose word is no address gives a futex call no analysis follows (as in strace's reader).
      if (address === null) {
        event.args = [a1, futexOpName(decoded), a3].join(', ');
        return;
      }
      const timeout = normalizeAddress(a4) ?? a4;
      const futex = futexCall(address, decoded, parseInteger(a3), timeout !== '0x0', normalizeAddress(a5));
      event.futex = futex;
      const parts = [futex.address, futexOpName(decoded), a3];
      if (isFutexWait(futex.command)) parts.push(futex.timed ? timeout : 'NULL');
      if (futex.address2) parts.push(timeout, futex.address2);
      event.args = parts.join(', ');
      return;
    }
    case 'clone':
    case 'clone3': {
      const flags = parseFlags(a1);
      const names = flags === null ? null : cloneFlagNames(flags);
      event.clone = {
        syscall: enter.call,
        flags: names,
        creates: flags === null ? null : (flags & BigInt(CLONE_THREAD)) !== 0n ? 'thread' : 'process',
      };
      event.args = enter.call === 'clone3' ? `{flags=${names?.join('|') ?? '?'}}` : `flags=${names?.join('|') ?? '?'}`;
      return;
    }
    case 'fork':
    case 'vfork':
      event.clone = { syscall: enter.call, flags: null, creates: 'process' };
      return;
    case 'wait4': {
      const status = returnRow ? parseInteger(returnRow.a[1]) : null;
      const decoded = status === null ? null : decodeWaitStatus(status);
      event.wait = { syscall: 'wait4', pid: parseInteger(a1), status: decoded };
      event.args = `${a1}, ${status === null ? 'NULL' : `[{${statusText(decoded)}}]`}, ${a2}, NULL`;
      return;
    }
    case 'waitid': {
      const which = parseInteger(a1);
      const upid = parseInteger(a2) ?? 0;
      const pid = waitidTarget(which, upid);
      const status = returnRow ? parseInteger(returnRow.a[1]) : null;
      const decoded = status === null ? null : decodeWaitStatus(status);
      event.wait = { syscall: 'waitid', pid, status: decoded };
      const reaped = returnRow?.a[2] ? `, si_pid=${returnRow.a[2]}` : '';
      event.args = `${WAITID_ID_TYPES[which ?? -1] ?? a1}, ${upid}, {${statusText(decoded)}${reaped}}, ${a3}, NULL`;
      return;
    }
    case 'execve':
      event.exec = { path: enter.text, argv: null };
      event.args = JSON.stringify(enter.text);
      return;
    case 'exit':
    case 'exit_group': {
      const code = parseInteger(a1);
      if (code !== null) event.exitCode = code;
      event.args = a1;
      return;
    }
    default:
      event.args = enter.a.filter((a) => a !== '').join(', ');
  }
}

function returnedResult(ret: number): SyscallResult {
  if (ret >= 0 || ret < -4095) return { raw: String(ret), value: ret, errno: null };
  const errno = errnoName(-ret);
  // As strace shows a call a signal interrupted: no value, the task may never resume it.
  if (isRestartErrno(-ret)) return { raw: `? ${errno}`, value: null, errno };
  return { raw: `-1 ${errno}`, value: -1, errno };
}

function statusText(status: ReturnType<typeof decodeWaitStatus>): string {
  if (status === null) return '?';
  if ('code' in status) return `WIFEXITED(s) && WEXITSTATUS(s) == ${status.code}`;
  return `WIFSIGNALED(s) && WTERMSIG(s) == ${status.signal}${status.coreDumped ? ' && WCOREDUMP(s)' : ''}`;
}

function parseInteger(text: string | undefined): number | null {
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : null;
}

function parseFlags(text: string): bigint | null {
  return /^0x[0-9a-f]+$/i.test(text) ? BigInt(text) : null;
}

