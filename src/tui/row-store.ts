// Timeline rows for the TUI, kept on disk rather than in memory. A stream (one thread's events, or
// a process's threads merged) is a list of blocks of rows in one temporary file; memory holds a few
// numbers per block of BLOCK_ROWS rows, plus the rows of blocks still being filled, so the TUI of
// a multi-gigabyte log costs megabytes. A list view asks for the rows it shows and nothing else.

import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One line of a timeline, as stored. */
export interface TimelineRow {
  tid: number;
  /** Where the event sits in the trace's order: microseconds when the log is timed, else its position. */
  at: number;
  /** The same for when the call returned; null when it never did. */
  end: number | null;
  /** The time as the log printed it. */
  time: string | null;
  text: string;
  durationUs: number | null;
  /** One of the calls the default (futex, clone, wait4...) view keeps. */
  key: boolean;
  /** What the thread is doing while this call is pending: `futex 0x2b79a1b1e2c0`, `wait4 18972`. */
  waits: string | null;
  /** For an exit line: how the task ended (`exited 0`, `killed by SIGKILL`). */
  exit: string | null;
  /** The input file (an index into the trace's file list) and its 1-based line. */
  file: number;
  line: number;
}

export type RowFilter = 'key' | 'all';

interface Block {
  offset: number;
  bytes: number;
  rows: number;
  keyRows: number;
  lastAt: number;
  /** Per input file, the first and last line the block holds: finds a source line without reading every block. */
  lines: Map<number, [number, number]>;
}

const BLOCK_ROWS = 256;
/** Rows of unfinished blocks, all streams together, before every stream is flushed. */
const FILLING_BUDGET_BYTES = 8 << 20;
const CACHED_BLOCKS = 64;

export class RowStore {
  private readonly directory = mkdtempSync(join(tmpdir(), 'forkscope-tui-'));
  private readonly fd = openSync(join(this.directory, 'rows'), 'w+');
  private position = 0;
  private fillingBytes = 0;
  private readonly filling = new Set<RowStream>();
  private readonly cache = new Map<number, TimelineRow[]>();

  stream(): RowStream {
    return new RowStream(this);
  }

  /** Writes every unfinished block out. */
  flush(): void {
    for (const stream of this.filling) stream.flush();
    this.filling.clear();
    this.fillingBytes = 0;
  }

  dispose(): void {
    closeSync(this.fd);
    rmSync(this.directory, { recursive: true, force: true });
  }

  /** @internal */
  noteFilling(stream: RowStream, bytes: number): void {
    this.filling.add(stream);
    this.fillingBytes += bytes;
    if (this.fillingBytes > FILLING_BUDGET_BYTES) this.flush();
  }

  /** @internal */
  write(text: string): { offset: number; bytes: number } {
    const buffer = Buffer.from(text);
    const offset = this.position;
    writeSync(this.fd, buffer, 0, buffer.length, offset);
    this.position += buffer.length;
    return { offset, bytes: buffer.length };
  }

  /** @internal Reads a block back, through a small cache (a scrolling view reads the same blocks again). */
  read(block: Block, cached = true): TimelineRow[] {
    const hit = this.cache.get(block.offset);
    if (hit) {
      this.cache.delete(block.offset);
      this.cache.set(block.offset, hit);
      return hit;
    }
    const buffer = Buffer.allocUnsafe(block.bytes);
    readSync(this.fd, buffer, 0, block.bytes, block.offset);
    const rows = buffer
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as TimelineRow);
    if (cached) {
      this.cache.set(block.offset, rows);
      if (this.cache.size > CACHED_BLOCKS) this.cache.delete(this.cache.keys().next().value!);
    }
    return rows;
  }
}

export class RowStream {
  private readonly blocks: Block[] = [];
  /** Rows (all, and key ones) before each block, for binary search. */
  private readonly rowsBefore: number[] = [];
  private readonly keyRowsBefore: number[] = [];
  private filling: TimelineRow[] = [];
  private fillingText: string[] = [];
  private totalRows = 0;
  private totalKeyRows = 0;

  constructor(private readonly store: RowStore) {}

  append(row: TimelineRow): void {
    const text = JSON.stringify(row);
    this.filling.push(row);
    this.fillingText.push(text);
    this.totalRows++;
    if (row.key) this.totalKeyRows++;
    if (this.filling.length >= BLOCK_ROWS) this.flush();
    else this.store.noteFilling(this, text.length + 1);
  }

  /** The last row appended, if any. */
  last(): TimelineRow | null {
    if (this.filling.length > 0) return this.filling[this.filling.length - 1];
    return this.blocks.length > 0 ? this.blockRows(this.blocks.length - 1).at(-1)! : null;
  }

  length(filter: RowFilter): number {
    return filter === 'all' ? this.totalRows : this.totalKeyRows;
  }

  /** Up to `count` rows of the filtered list from index `from`. */
  rows(filter: RowFilter, from: number, count: number): TimelineRow[] {
    const out: TimelineRow[] = [];
    if (from < 0 || count <= 0) return out;
    let block = this.blockOf(filter, from);
    let skip = from - this.before(filter, block);
    for (; block <= this.blocks.length && out.length < count; block++, skip = 0) {
      const rows = this.blockRows(block).filter((row) => filter === 'all' || row.key);
      out.push(...rows.slice(skip, skip + count - out.length));
    }
    return out;
  }

  /** The index of the last row of the filtered list at or before `at` in trace order, -1 if none. */
  indexAt(filter: RowFilter, at: number): number {
    let low = 0;
    let high = this.blocks.length;
    // The first block whose last row is after `at`; the answer is in it or just before it.
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.blocks[mid].lastAt <= at) low = mid + 1;
      else high = mid;
    }
    const rows = this.blockRows(low).filter((row) => filter === 'all' || row.key);
    let index = this.before(filter, low) - 1;
    for (const row of rows) {
      if (row.at > at) break;
      index++;
    }
    return index;
  }

  /** The last row (of any kind) at or before `at`: what the thread was doing then. */
  rowAt(at: number): TimelineRow | null {
    const index = this.indexAt('all', at);
    return index < 0 ? null : this.rows('all', index, 1)[0];
  }

  /** The index in the filtered list of the row read from this file and line, -1 if it is not here. */
  find(filter: RowFilter, file: number, line: number): number {
    for (let block = 0; block <= this.blocks.length; block++) {
      const range = block < this.blocks.length ? this.blocks[block].lines.get(file) : [0, Infinity];
      if (!range || line < range[0] || line > range[1]) continue;
      const rows = this.blockRows(block).filter((row) => filter === 'all' || row.key);
      const at = rows.findIndex((row) => row.file === file && row.line === line);
      if (at >= 0) return this.before(filter, block) + at;
    }
    return -1;
  }

  /** Every row in order, block by block, without filling the read cache: for merging and searching. */
  *scan(from = 0): Generator<TimelineRow> {
    for (let block = from; block <= this.blocks.length; block++) {
      yield* block < this.blocks.length ? this.store.read(this.blocks[block], false) : this.filling;
    }
  }

  /** @internal Writes the unfinished block out. */
  flush(): void {
    if (this.filling.length === 0) return;
    const lines = new Map<number, [number, number]>();
    for (const row of this.filling) {
      const range = lines.get(row.file);
      if (!range) lines.set(row.file, [row.line, row.line]);
      else {
        range[0] = Math.min(range[0], row.line);
        range[1] = Math.max(range[1], row.line);
      }
    }
    const { offset, bytes } = this.store.write(this.fillingText.join('\n') + '\n');
    const keyRows = this.filling.filter((row) => row.key).length;
    this.rowsBefore.push(this.blocks.length === 0 ? 0 : this.rowsBefore.at(-1)! + this.blocks.at(-1)!.rows);
    this.keyRowsBefore.push(this.blocks.length === 0 ? 0 : this.keyRowsBefore.at(-1)! + this.blocks.at(-1)!.keyRows);
    this.blocks.push({ offset, bytes, rows: this.filling.length, keyRows, lastAt: this.filling.at(-1)!.at, lines });
    this.filling = [];
    this.fillingText = [];
  }

  /** Rows of the filtered list before block `block` (the filling block is number blocks.length). */
  private before(filter: RowFilter, block: number): number {
    if (block < this.blocks.length) return (filter === 'all' ? this.rowsBefore : this.keyRowsBefore)[block];
    return filter === 'all' ? this.totalRows - this.filling.length : this.totalKeyRows - this.filling.filter((r) => r.key).length;
  }

  /** The block holding index `index` of the filtered list. */
  private blockOf(filter: RowFilter, index: number): number {
    let low = 0;
    let high = this.blocks.length;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.before(filter, mid) <= index) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  private blockRows(block: number): TimelineRow[] {
    return block < this.blocks.length ? this.store.read(this.blocks[block]) : this.filling;
  }
}
