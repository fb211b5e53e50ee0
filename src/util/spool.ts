// Items grouped by key, read back group after group: kept in memory up to a budget, then spilled
// as lines of text to one temporary file per group, so regrouping a multi-gigabyte log needs
// bounded memory. Items in memory are never encoded: a log whose groups fit is not written out.

import { appendFileSync, closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { temporaryDirectory } from './temporary.js';
import type { TemporaryDirectory } from './temporary.js';

/** How items are counted against the budget and written to and read from a spilled file (one line each, no `\n`). */
export interface SpoolCodec<V> {
  bytes(item: V): number;
  encode(item: V): string;
  decode(line: string): V;
}

/** Bytes read from a spilled file at a time. */
const READ_CHUNK = 1 << 20;

export class GroupedSpool<K, V> {
  private readonly memory = new Map<K, V[]>();
  private readonly fileIds = new Map<K, number>();
  private bufferedBytes = 0;
  private directory: TemporaryDirectory | null = null;

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
    const id = this.fileIds.get(key);
    const path = id !== undefined && this.directory ? join(this.directory.path, String(id)) : null;
    return new SpoolCursor(this.codec, path, this.memory.get(key) ?? []);
  }

  /** Removes the temporary files. */
  dispose(): void {
    this.directory?.remove();
    this.directory = null;
  }

  private spill(): void {
    this.directory ??= temporaryDirectory('forkscope-spool-');
    for (const [key, items] of this.memory) {
      if (items.length === 0) continue;
      let id = this.fileIds.get(key);
      if (id === undefined) this.fileIds.set(key, (id = this.fileIds.size));
      let text = '';
      for (const item of items) text += this.codec.encode(item) + '\n';
      appendFileSync(join(this.directory.path, String(id)), text);
      items.length = 0;
    }
    this.bufferedBytes = 0;
  }
}

/** Reads a group back: its spilled file a chunk at a time, then its items in memory. */
export class SpoolCursor<V> {
  private fd: number | null = null;
  private readonly decoder = new StringDecoder('utf8');
  private chunk: Buffer | null = null;
  /** Decoded lines of the file not yet taken, from `from`. */
  private text = '';
  private from = 0;
  private index = 0;

  constructor(
    private readonly codec: SpoolCodec<V>,
    path: string | null,
    private readonly memory: V[],
  ) {
    if (path !== null) {
      this.fd = openSync(path, 'r');
      this.chunk = Buffer.allocUnsafe(READ_CHUNK);
    }
  }

  /** The next item, or undefined after the last. */
  next(): V | undefined {
    if (this.fd !== null) {
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
      const read = readSync(this.fd!, this.chunk!);
      const rest = this.text.slice(this.from);
      this.from = 0;
      if (read > 0) {
        this.text = rest + this.decoder.write(this.chunk!.subarray(0, read));
        continue;
      }
      closeSync(this.fd!);
      this.fd = null;
      this.chunk = null;
      this.text = '';
      const last = rest + this.decoder.end();
      return last ? last : null;
    }
  }
}
