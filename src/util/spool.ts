// Items grouped by key, read back group after group: kept in memory up to a budget, then spilled
// as lines of text to one temporary file, so regrouping a multi-gigabyte log needs bounded memory.
// The file has no name (util/temporary.ts: nothing is left however the process ends) and holds
// every group: each spill appends a run of lines a group, and the group keeps where its runs are.
// Items in memory are never encoded: a log whose groups fit is not written out.

import { readSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { anonymousFile } from './temporary.js';
import type { AnonymousFile } from './temporary.js';

/** How items are counted against the budget and written to and read from a spilled file (one line each, no `\n`). */
export interface SpoolCodec<V> {
  bytes(item: V): number;
  encode(item: V): string;
  decode(line: string): V;
}

/** Bytes read from the spilled file at a time. */
const READ_CHUNK = 1 << 20;

export class GroupedSpool<K, V> {
  private readonly memory = new Map<K, V[]>();
  /** Each group's runs in the file, in the order spilled: offset, bytes, offset, bytes... */
  private readonly runs = new Map<K, number[]>();
  private bufferedBytes = 0;
  private file: AnonymousFile | null = null;
  private fileBytes = 0;

  constructor(
    private readonly codec: SpoolCodec<V>,
    private readonly budgetBytes = 16 * 1024 * 1024,
  ) {}

  add(key: K, item: V): void {
    let items = this.memory.get(key);
    if (!items) this.memory.set(key, (items = []));
    items.push(item);
    this.bufferedBytes += this.codec.bytes(item);
    if (this.bufferedBytes > this.budgetBytes) this.spill();
  }

  /** One group's items, in the order they were added: a cursor (a plain method, for millions of items). */
  items(key: K): SpoolCursor<V> {
    return new SpoolCursor(this.codec, this.file?.fd ?? null, this.runs.get(key) ?? [], this.memory.get(key) ?? []);
  }

  /** Closes the temporary file (it has no name: closed, it is gone). */
  dispose(): void {
    this.file?.close();
    this.file = null;
  }

  private spill(): void {
    this.file ??= anonymousFile('forkscope-spool-');
    for (const [key, items] of this.memory) {
      if (items.length === 0) continue;
      let text = '';
      for (const item of items) text += this.codec.encode(item) + '\n';
      const bytes = Buffer.from(text);
      for (let written = 0; written < bytes.length; ) {
        written += writeSync(this.file.fd, bytes, written, bytes.length - written, this.fileBytes + written);
      }
      const runs = this.runs.get(key);
      if (runs) runs.push(this.fileBytes, bytes.length);
      else this.runs.set(key, [this.fileBytes, bytes.length]);
      this.fileBytes += bytes.length;
      items.length = 0;
    }
    this.bufferedBytes = 0;
  }
}

/** Reads a group back: its runs in the spilled file a chunk at a time, then its items in memory. */
export class SpoolCursor<V> {
  private readonly decoder = new StringDecoder('utf8');
  private readonly chunk: Buffer | null;
  /** The run being read, and how far. */
  private run = 0;
  private readInRun = 0;
  /** Decoded lines of the file not yet taken, from `from`. */
  private text = '';
  private from = 0;
  private index = 0;

  constructor(
    private readonly codec: SpoolCodec<V>,
    private readonly fd: number | null,
    private readonly runs: number[],
    private readonly memory: V[],
  ) {
    this.chunk = fd !== null && runs.length > 0 ? Buffer.allocUnsafe(READ_CHUNK) : null;
  }

  /** The next item, or undefined after the last. */
  next(): V | undefined {
    if (this.chunk !== null) {
      const line = this.nextLine();
      if (line !== null) return this.codec.decode(line);
    }
    return this.index < this.memory.length ? this.memory[this.index++] : undefined;
  }

  private nextLine(): string | null {
    for (;;) {
      const end = this.text.indexOf('\n', this.from);
      if (end !== -1) {
        const line = this.text.slice(this.from, end);
        this.from = end + 1;
        return line;
      }
      const read = this.readChunk();
      const rest = this.text.slice(this.from);
      this.from = 0;
      if (read > 0) {
        this.text = rest + this.decoder.write(this.chunk!.subarray(0, read));
        continue;
      }
      this.text = '';
      // Every run ends with a whole line.
      return null;
    }
  }

  /** Reads on from the runs: the bytes read, 0 after the last run. */
  private readChunk(): number {
    while (this.run < this.runs.length) {
      const offset = this.runs[this.run]!;
      const bytes = this.runs[this.run + 1]!;
      if (this.readInRun < bytes) {
        const read = readSync(this.fd!, this.chunk!, 0, Math.min(this.chunk!.length, bytes - this.readInRun), offset + this.readInRun);
        if (read === 0) break;
        this.readInRun += read;
        return read;
      }
      this.run += 2;
      this.readInRun = 0;
    }
    return 0;
  }
}
