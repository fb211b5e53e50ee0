// Format: one strace log, as written by `strace -f -o FILE` (a pid column on every line), by
// `strace -f` to stderr (the first task's lines unprefixed, the others as `[pid N]`; strace 6.9+
// `--always-show-pid` prefixes all), or by strace without -f (no pid at all). Any of -t, -tt, -ttt,
// -r, -T, -y, -yy, -k, -X, -s, -v, -q, -qq and -e filters.
// Reference: strace(1), https://man7.org/linux/man-pages/man1/strace.1.html; strace's src/strace.c.
// The file is one stream: its line order is the order strace saw the events in.

import type { Stamp, TraceEvent } from '../src/model/events.js';
import { CallAssembler, StreamClock } from './assemble.js';
import { readLineBatches, readLines } from './lines.js';
import { STRACE_MESSAGE, parseStraceLine } from './strace-line.js';
import type { InputStats } from './types.js';

export interface StraceReadOptions {
  /** The tid of every line, for a file that holds one task (`-ff` writes `prefix.TID`). */
  tid?: number;
}

export async function* readStraceLog(
  file: string,
  stats: InputStats,
  stream: number,
  options: StraceReadOptions = {},
): AsyncGenerator<TraceEvent> {
  const assembler = new CallAssembler();
  const clock = new StreamClock();
  let unprefixedTid: number | null = options.tid ?? null;
  /** The head of a line that a `strace: Process N attached` message cut in two (stderr output). */
  let cutLine: string | null = null;
  for await (const batch of readLineBatches(file)) for (const line of batch) {
    stats.lines++;
    const where = { file, line: line.line, offset: line.offset };
    let text = line.text;
    if (cutLine !== null) {
      text = cutLine + text;
      cutLine = null;
    }
    const message = STRACE_MESSAGE.exec(text);
    if (message && message.index > 0 && !/^(\[pid\s+\d+\]\s*)?$/.test(text.slice(0, message.index))) {
      cutLine = text.slice(0, message.index);
      text = message[0];
    }
    if (line.truncated) {
      stats.warnings++;
      yield { kind: 'warning', where, message: 'line longer than 1 MiB, cut' };
    }
    const parsed = parseStraceLine(text, options.tid === undefined);
    if ('error' in parsed) {
      stats.warnings++;
      yield { kind: 'warning', where, message: `${parsed.error}: ${excerpt(text)}` };
      continue;
    }
    let tid = options.tid ?? parsed.pid;
    if (tid === null) {
      unprefixedTid ??= await firstTaskOf(file);
      tid = unprefixedTid;
    }
    const stamp: Stamp = { us: clock.absolute(parsed.time), text: parsed.time?.text ?? null, stream, seq: line.line, where };
    for (const event of assembler.feed(tid, parsed.body, stamp)) {
      if (event.kind === 'warning') stats.warnings++;
      yield event;
    }
  }
  for (const event of assembler.finish()) yield event;
}

/**
 * Who the unprefixed lines of a stderr log belong to: the first `[pid N]` that strace did not
 * announce as newly attached (the task that was running alone until then). 0 when the log never says.
 */
async function firstTaskOf(file: string): Promise<number> {
  const attached = new Set<number>();
  let firstAttached: number | null = null;
  for await (const { text } of readLines(file)) {
    const message = STRACE_MESSAGE.exec(text);
    if (message?.[2] === 'attached') {
      attached.add(Number(message[1]));
      firstAttached ??= Number(message[1]);
    }
    const prefixed = /^\[pid\s+(\d+)\]/.exec(text);
    if (prefixed && !attached.has(Number(prefixed[1]))) return Number(prefixed[1]);
  }
  return firstAttached ?? 0;
}

function excerpt(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
