// Lines grouped by key, written out group after group: kept in memory up to a budget, then spilled
// to one temporary file per group, so regrouping a multi-gigabyte log needs bounded memory.

import { appendFileSync, createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { temporaryDirectory } from './temporary.js';
import type { TemporaryDirectory } from './temporary.js';

export class GroupedSpool<K> {
  private readonly memory = new Map<K, string[]>();
  private readonly fileIds = new Map<K, number>();
  private bufferedBytes = 0;
  private directory: TemporaryDirectory | null = null;

  constructor(private readonly budgetBytes = 16 * 1024 * 1024) {}

  add(key: K, line: string): void {
    let lines = this.memory.get(key);
    if (!lines) this.memory.set(key, (lines = []));
    lines.push(line);
    this.bufferedBytes += line.length + 1;
    if (this.bufferedBytes > this.budgetBytes) this.spill();
  }

  /** One group's lines, in the order they were added. */
  async *lines(key: K): AsyncGenerator<string> {
    const id = this.fileIds.get(key);
    if (id !== undefined && this.directory) {
      const path = join(this.directory.path, String(id));
      if (existsSync(path)) yield* createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
    }
    yield* this.memory.get(key) ?? [];
  }

  /** Removes the temporary files. */
  dispose(): void {
    this.directory?.remove();
    this.directory = null;
  }

  private spill(): void {
    this.directory ??= temporaryDirectory('forkscope-spool-');
    for (const [key, lines] of this.memory) {
      if (lines.length === 0) continue;
      let id = this.fileIds.get(key);
      if (id === undefined) this.fileIds.set(key, (id = this.fileIds.size));
      appendFileSync(join(this.directory.path, String(id)), lines.join('\n') + '\n');
      lines.length = 0;
    }
    this.bufferedBytes = 0;
  }
}
