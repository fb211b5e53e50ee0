// Streaming line reader: a file read in chunks, split on '\n', with 1-based line numbers and the
// byte offset where each line starts (so a view can re-read a line later). Never holds more than
// one chunk and one partial line; invalid UTF-8 decodes to U+FFFD instead of throwing.

import { createReadStream } from 'node:fs';

export interface Line {
  text: string;
  line: number;
  offset: number;
}

/** Lines longer than this are cut (and flagged): a trace line is a few kB at most. */
export const MAX_LINE_BYTES = 1 << 20;

export interface ReadLinesOptions {
  /** Byte offset to start at (must be a line start); line numbers then start at `firstLine`. */
  start?: number;
  firstLine?: number;
}

export type ReadLine = Line & { truncated: boolean };

/** Lines one at a time. */
export async function* readLines(path: string, options: ReadLinesOptions = {}): AsyncGenerator<ReadLine> {
  for await (const batch of readLineBatches(path, options)) yield* batch;
}

/** Lines a chunk at a time: one await per megabyte, not per line, for the parsers' hot loops. */
export async function* readLineBatches(path: string, options: ReadLinesOptions = {}): AsyncGenerator<ReadLine[]> {
  let lineNumber = options.firstLine ?? 1;
  let offset = options.start ?? 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let droppedBytes = 0;
  const take = (tail: Buffer) => {
    const whole = pending.length ? Buffer.concat([...pending, tail]) : tail;
    pending = [];
    pendingBytes = 0;
    let end = whole.length;
    if (end > 0 && whole[end - 1] === 0x0d) end--;
    const truncated = end > MAX_LINE_BYTES || droppedBytes > 0;
    const text = whole.toString('utf8', 0, Math.min(end, MAX_LINE_BYTES));
    const line = { text, line: lineNumber++, offset, truncated };
    offset += whole.length + droppedBytes + 1;
    droppedBytes = 0;
    return line;
  };
  for await (const chunk of createReadStream(path, { start: options.start, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let from = 0;
    const batch: ReadLine[] = [];
    for (let nl = chunk.indexOf(0x0a, from); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
      batch.push(take(chunk.subarray(from, nl)));
      from = nl + 1;
    }
    if (batch.length) yield batch;
    if (from < chunk.length) {
      // Keep at most a little past the cap of a runaway line; the rest of it is dropped.
      const rest = chunk.subarray(from);
      if (pendingBytes <= MAX_LINE_BYTES) {
        pending.push(rest);
        pendingBytes += rest.length;
      } else {
        droppedBytes += rest.length;
      }
    }
  }
  if (pending.length) yield [take(Buffer.alloc(0))];
}
