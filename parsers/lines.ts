// Streaming line reader: a file read a chunk at a time, split on '\n' (a '\r' before it is dropped),
// with 1-based line numbers and the byte offset where each line starts, so a view can re-read a
// line later. Holds two chunks (the one being split, the next one being read) and one partial line
// at most; invalid UTF-8 decodes to U+FFFD instead of throwing; a last line without '\n' is still a
// line. The bytes come from parsers/source.ts (decompressed when the file is gzip or zstd). With
// `reopen`, the file is opened, read and closed for each chunk instead, so a merge of thousands of
// `-ff` files holds no file descriptor while it waits for its turn.

import { openByteSource } from './source.js';
import type { ByteSource } from './source.js';

export interface Line {
  text: string;
  line: number;
  offset: number;
}

export type ReadLine = Line & {
  /** The line was longer than MAX_LINE_BYTES: `text` holds its start only. */
  truncated: boolean;
};

/** Lines longer than this are cut (and flagged): a strace line is a few kB unless `-s` is huge. */
export const MAX_LINE_BYTES = 1 << 20;

/** Bytes read at a time when the caller does not say. */
export const DEFAULT_CHUNK_BYTES = 128 << 10;

export interface ReadLinesOptions {
  /** Byte offset to start at (must be a line start); line numbers then start at `firstLine`. */
  start?: number;
  firstLine?: number;
  /** Byte offset to stop at (a line start, or past the end): the lines before it only. */
  end?: number;
  /** Bytes read at a time: smaller when many files are read side by side. */
  chunkBytes?: number;
  /** Open the file for each chunk (read synchronously: a small read, no descriptor held between chunks). */
  reopen?: boolean;
  /** Keep reading a file that is still being written, until `follow.done()`. */
  follow?: Follow;
  /** Told the bytes as they are read (for progress). */
  counter?: ByteCounter;
}

/** Bytes read so far by one read of a trace, all its files together (decompressed bytes for a compressed file). */
export interface ByteCounter {
  bytes: number;
}

/** A file still being written (a trace being recorded): at its end, wait for more until it is done. */
export interface Follow {
  /** True once nothing more will be written. */
  done(): boolean;
}

/** How often a followed file is looked at again once its end was reached. */
const FOLLOW_POLL_MS = 100;

/**
 * At the end of a followed file: whether to read again (after waiting while the writer is busy).
 * Once the writer is done, one more read takes what it wrote before saying so.
 */
async function readAgain(follow: Follow | undefined, state: { draining: boolean }): Promise<boolean> {
  if (!follow || state.draining) return false;
  if (follow.done()) state.draining = true;
  else await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
  return true;
}

/** The bytes of a file chunk by chunk, following it while it is written (for parsers that split lines themselves). */
export async function* readChunks(path: string, follow?: Follow, counter?: ByteCounter): AsyncGenerator<Buffer> {
  const source = openByteSource(path);
  try {
    const state = { draining: false };
    for (let position = 0; ; ) {
      const buffer = Buffer.allocUnsafe(DEFAULT_CHUNK_BYTES);
      const bytesRead = await source.read(buffer, position);
      if (bytesRead === 0) {
        if (await readAgain(follow, state)) continue;
        return;
      }
      position += bytesRead;
      if (counter) counter.bytes += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await source.close();
  }
}

/** Lines one at a time. */
export async function* readLines(path: string, options: ReadLinesOptions = {}): AsyncGenerator<ReadLine> {
  for await (const batch of readLineBatches(path, options)) yield* batch;
}

/** Lines a chunk at a time: one await per chunk, not per line, for the parsers' hot loops. */
export async function* readLineBatches(path: string, options: ReadLinesOptions = {}): AsyncGenerator<ReadLine[]> {
  for await (const batch of readLineChunks(path, options)) yield batch.lines();
}

/**
 * The lines of one chunk, each decoded only when asked for: a reader that holds the chunks of
 * thousands of files at once (a `-ff` merge) holds their bytes, not an object and a string per
 * line that would outlive the young-generation collections. A batch is good until the next one
 * is asked for: its bytes are in a buffer the next chunk is read into.
 */
export class LineBatch {
  length = 0;
  /** The bytes of each line: the chunk's buffer, or a copy for a line that began in an earlier chunk. */
  private readonly sources: Buffer[] = [];
  /** FIELDS numbers a line: its start and end in its source, its line number, its byte offset in the file, whether truncated (1). */
  private readonly fields: number[] = [];

  line(i: number): ReadLine {
    const fields = this.fields;
    const at = i * FIELDS;
    return { text: this.sources[i]!.toString('utf8', fields[at]!, fields[at + 1]!), line: fields[at + 2]!, offset: fields[at + 3]!, truncated: fields[at + 4] === 1 };
  }

  lines(): ReadLine[] {
    const lines: ReadLine[] = [];
    for (let i = 0; i < this.length; i++) lines.push(this.line(i));
    return lines;
  }

  add(source: Buffer, start: number, end: number, line: number, offset: number, truncated: boolean): void {
    const at = this.length * FIELDS;
    const fields = this.fields;
    this.sources[this.length++] = source;
    fields[at] = start;
    fields[at + 1] = end;
    fields[at + 2] = line;
    fields[at + 3] = offset;
    fields[at + 4] = truncated ? 1 : 0;
  }

  clear(): void {
    this.length = 0;
  }
}

const FIELDS = 5;

/** Lines a chunk at a time, decoded as asked for (see LineBatch). */
export async function* readLineChunks(path: string, options: ReadLinesOptions = {}): AsyncGenerator<LineBatch> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const reader = openByteSource(path, { reopen: options.reopen });
  try {
    yield* splitLines(reader, chunkBytes, options.start ?? 0, options.end ?? Infinity, options.firstLine ?? 1, options.follow, options.counter);
  } finally {
    await reader.close();
  }
}

async function* splitLines(
  reader: ByteSource,
  chunkBytes: number,
  start: number,
  end: number,
  firstLine: number,
  follow: Follow | undefined,
  counter: ByteCounter | undefined,
): AsyncGenerator<LineBatch> {
  // Two buffers: the next chunk is read into one while the other's lines are used.
  const buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
  const batch = new LineBatch();
  let turn = 0;
  let position = start;
  let lineNumber = firstLine;
  let lineStart = position;
  /** The start of the current line, copied out of earlier chunks (up to MAX_LINE_BYTES of it). */
  let head: Buffer[] = [];
  let headBytes = 0;
  let lineBytes = 0;

  /** Ends the current line with chunk[from, to) (no Buffer made for it unless earlier chunks hold its start). */
  const finishLine = (chunk: Buffer, from: number, to: number): void => {
    let whole = chunk;
    let start = from;
    let end = to;
    if (head.length > 0) {
      head.push(chunk.subarray(from, to));
      whole = Buffer.concat(head);
      start = 0;
      end = whole.length;
    }
    lineBytes += to - from;
    end = Math.min(end, start + MAX_LINE_BYTES);
    const truncated = lineBytes > MAX_LINE_BYTES;
    if (!truncated && end > start && whole[end - 1] === 0x0d) end--;
    batch.add(whole, start, end, lineNumber++, lineStart, truncated);
    lineStart += lineBytes + 1;
    head = [];
    headBytes = 0;
    lineBytes = 0;
  };

  const readAhead = (into: Buffer) => {
    const read = position >= end ? Promise.resolve(0) : reader.read(end - position < into.length ? into.subarray(0, end - position) : into, position);
    // Not awaited if the caller stops early: its failure must not go unhandled.
    read.catch(() => undefined);
    return read;
  };
  let reading = readAhead(buffers[turn]!);
  const followState = { draining: false };
  for (;;) {
    const bytesRead = await reading;
    if (bytesRead === 0) {
      // A followed file's last line may be half written: it stays held until its newline comes.
      if (!(await readAgain(follow, followState))) break;
      reading = readAhead(buffers[turn]!);
      continue;
    }
    position += bytesRead;
    if (counter) counter.bytes += bytesRead;
    const chunk = buffers[turn]!.subarray(0, bytesRead);
    turn ^= 1;
    reading = readAhead(buffers[turn]!);
    batch.clear();
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
      finishLine(chunk, from, nl);
      from = nl + 1;
    }
    if (from < chunk.length) {
      // The buffer is reused for the next chunk: keep a copy of the line's start, up to the cap.
      const rest = chunk.subarray(from);
      const kept = Math.min(rest.length, Math.max(0, MAX_LINE_BYTES - headBytes));
      if (kept > 0) {
        head.push(Buffer.from(rest.subarray(0, kept)));
        headBytes += kept;
      }
      lineBytes += rest.length;
    }
    if (batch.length > 0) yield batch;
  }
  if (lineBytes > 0) {
    batch.clear();
    finishLine(Buffer.alloc(0), 0, 0);
    yield batch;
  }
}
