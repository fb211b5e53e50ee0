// Timeline rows for the TUI, kept on disk rather than in memory. A thread's timeline is a list of
// blocks of rows in one temporary file (with no name: nothing is left however the TUI ends); memory
// holds a few numbers per block of BLOCK_ROWS rows, plus the rows of blocks still being filled, so the TUI of a multi-gigabyte log costs megabytes.
// A process's timeline, its threads' rows in trace order, is not a copy: it stores which thread
// each row comes from (two bytes a row, on disk) and where each thread stands at each block.
// A list view asks for the rows it shows and nothing else. A block is stored in columns (binary
// numbers, then its text): merging reads only the columns of when each row was and whether it is a
// key row, not the text.

import { readSync, writeSync } from 'node:fs';
import { firstIndex } from '../util/search.js';
import { anonymousFile } from '../util/temporary.js';
import { MinHeap } from '../util/heap.js';

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

/** A timeline as the views use it: a thread's own, or a process's threads merged. */
export interface Timeline {
  length(filter: RowFilter): number;
  /** Up to `count` rows of the filtered list from index `from`. */
  rows(filter: RowFilter, from: number, count: number): TimelineRow[];
  /** The index of the last row of the filtered list at or before `at` in trace order, -1 if none. */
  indexAt(filter: RowFilter, at: number): number;
  /** The last row (of any kind) at or before `at`: what the thread was doing then. */
  rowAt(at: number): TimelineRow | null;
  /** The index in the filtered list of the row read from this file and line, -1 if it is not here. */
  find(filter: RowFilter, file: number, line: number): number;
  /** Every row in order, without filling the read cache: for merging and searching. */
  scan(): Generator<TimelineRow>;
}

interface BlockInfo {
  rows: number;
  keyRows: number;
  lastAt: number;
}

const BLOCK_ROWS = 256;
/** Rows of unfinished blocks, all streams together, before every stream is flushed. */
const FILLING_BUDGET_BYTES = 8 << 20;
const CACHED_BLOCKS = 64;
/** Blocks are written to the file this many bytes at a time. */
const PENDING_BYTES = 1 << 20;
/** A merged timeline names its rows' threads in two bytes: more threads than this are not merged. */
export const MAX_MERGED_THREADS = 0xffff;

export class RowStore {
  private readonly file = anonymousFile('forkscope-tui-');
  private readonly fd = this.file.fd;
  private position = 0;
  /** Blocks written since the last write to the file, which holds everything before `position - pendingBytes`. */
  private readonly pending = Buffer.allocUnsafe(PENDING_BYTES);
  private pendingBytes = 0;
  private fillingBytes = 0;
  private readonly filling = new Set<RowStream>();
  private readonly cache = new Map<number, TimelineRow[]>();

  stream(): RowStream {
    return new RowStream(this);
  }

  /** Writes every unfinished block out. */
  flush(): void {
    for (const stream of [...this.filling]) stream.flush();
    this.writePending();
  }

  dispose(): void {
    this.file.close();
  }

  /** @internal A stream holds `bytes` more of an unfinished block. */
  noteFilling(stream: RowStream, bytes: number): void {
    this.filling.add(stream);
    this.fillingBytes += bytes;
    if (this.fillingBytes > FILLING_BUDGET_BYTES) this.flush();
  }

  /** @internal A stream wrote its unfinished block (of `bytes`) out. */
  noteFlushed(stream: RowStream, bytes: number): void {
    this.filling.delete(stream);
    this.fillingBytes -= bytes;
  }

  /** @internal Appends bytes; returns where they are. */
  write(buffer: Uint8Array): { offset: number; bytes: number } {
    const offset = this.position;
    if (this.pendingBytes + buffer.length > PENDING_BYTES) this.writePending();
    if (buffer.length >= PENDING_BYTES) writeSync(this.fd, buffer, 0, buffer.length, offset);
    else {
      this.pending.set(buffer, this.pendingBytes);
      this.pendingBytes += buffer.length;
    }
    this.position += buffer.length;
    return { offset, bytes: buffer.length };
  }

  /** @internal Fills `into` from `offset` (what was written there: a block is never part pending, part in the file). */
  readInto(offset: number, into: Uint8Array): void {
    const inFile = this.position - this.pendingBytes;
    if (offset >= inFile) into.set(this.pending.subarray(offset - inFile, offset - inFile + into.byteLength));
    else readSync(this.fd, into, 0, into.byteLength, offset);
  }

  private writePending(): void {
    if (this.pendingBytes === 0) return;
    writeSync(this.fd, this.pending, 0, this.pendingBytes, this.position - this.pendingBytes);
    this.pendingBytes = 0;
  }

  /** @internal A block's rows through a small cache (a scrolling view reads the same blocks again). */
  cached(offset: number, read: () => TimelineRow[], cache: boolean): TimelineRow[] {
    const hit = this.cache.get(offset);
    if (hit) {
      this.cache.delete(offset);
      this.cache.set(offset, hit);
      return hit;
    }
    const rows = read();
    if (cache) {
      this.cache.set(offset, rows);
      if (this.cache.size > CACHED_BLOCKS) this.cache.delete(this.cache.keys().next().value!);
    }
    return rows;
  }
}

/** What both kinds of timeline share: blocks of rows, counted so a filtered index finds its block. */
abstract class BlockedTimeline implements Timeline {
  protected readonly blocks: BlockInfo[] = [];
  /** Rows (all, and key ones) before each block, for binary search. */
  private readonly rowsBefore: number[] = [];
  private readonly keyRowsBefore: number[] = [];

  /** Rows in all the blocks, the tail (rows not yet in a block) included. */
  abstract length(filter: RowFilter): number;
  /** The rows of block `block`; block `blocks.length` is the tail. */
  protected abstract blockRows(block: number, cache?: boolean): TimelineRow[];
  abstract find(filter: RowFilter, file: number, line: number): number;

  rows(filter: RowFilter, from: number, count: number): TimelineRow[] {
    const out: TimelineRow[] = [];
    if (from < 0 || count <= 0) return out;
    let block = this.blockOf(filter, from);
    let skip = from - this.before(filter, block);
    for (; block <= this.blocks.length && out.length < count; block++, skip = 0) {
      out.push(...this.filtered(filter, block).slice(skip, skip + count - out.length));
    }
    return out;
  }

  indexAt(filter: RowFilter, at: number): number {
    // The first block whose last row is after `at`; the answer is in it or just before it.
    const block = firstIndex(this.blocks.length, (i) => this.blocks[i]!.lastAt > at);
    let index = this.before(filter, block) - 1;
    for (const row of this.filtered(filter, block)) {
      if (row.at > at) break;
      index++;
    }
    return index;
  }

  rowAt(at: number): TimelineRow | null {
    const index = this.indexAt('all', at);
    return index < 0 ? null : this.rows('all', index, 1)[0]!;
  }

  *scan(): Generator<TimelineRow> {
    for (let block = 0; block <= this.blocks.length; block++) yield* this.blockRows(block, false);
  }

  protected addBlock(block: BlockInfo): void {
    const previous = this.blocks.at(-1);
    this.rowsBefore.push(previous ? this.rowsBefore.at(-1)! + previous.rows : 0);
    this.keyRowsBefore.push(previous ? this.keyRowsBefore.at(-1)! + previous.keyRows : 0);
    this.blocks.push(block);
  }

  protected filtered(filter: RowFilter, block: number): TimelineRow[] {
    const rows = this.blockRows(block);
    return filter === 'all' ? rows : rows.filter((row) => row.key);
  }

  /** Rows of the filtered list before block `block` (the tail is block blocks.length). */
  protected before(filter: RowFilter, block: number): number {
    if (block < this.blocks.length) return (filter === 'all' ? this.rowsBefore : this.keyRowsBefore)[block]!;
    return this.length(filter) - this.filtered(filter, block).length;
  }

  /** The block holding index `index` of the filtered list. */
  private blockOf(filter: RowFilter, index: number): number {
    // The last of blocks 0..blocks.length (the tail) that starts at or before `index`.
    return Math.max(0, firstIndex(this.blocks.length + 1, (block) => this.before(filter, block) > index) - 1);
  }
}

/** One thread's timeline, appended to while the trace is read. */
/**
 * Where a block of a thread's rows is, and which input lines it holds (to find a line without
 * reading every block): one range when its rows come from one file, as they nearly always do.
 */
interface RowBlockPlace {
  offset: number;
  bytes: number;
  file: number;
  firstLine: number;
  lastLine: number;
  /** Per file, for a block with rows of several files (an attached tree's /proc rows, then its trace). */
  files: Map<number, [number, number]> | null;
}

export class RowStream extends BlockedTimeline {
  private readonly places: RowBlockPlace[] = [];
  /** The unfinished block, as it will be stored (rows kept as objects would live long and cost collections). */
  private readonly filling = new BlockBuilder();
  private fillingBytes = 0;
  private totalRows = 0;
  private totalKeyRows = 0;

  constructor(private readonly store: RowStore) {
    super();
  }

  append(row: TimelineRow): void {
    const bytes = this.filling.add(row);
    this.totalRows++;
    if (row.key) this.totalKeyRows++;
    this.fillingBytes += bytes;
    this.store.noteFilling(this, bytes);
    if (this.filling.count >= BLOCK_ROWS) this.flush();
  }

  /** When each row was and whether it is a key row, in order, reading only those columns: for merging. */
  orders(): OrderCursor {
    return new OrderCursor((block, columns) => {
      if (block < this.blocks.length) {
        const count = this.blocks[block]!.rows;
        this.store.readInto(this.places[block]!.offset, new Uint8Array(columns, 0, orderColumnsBytes(count)));
        return { at: new Float64Array(columns, 0, count), key: new Uint8Array(columns, 8 * count, count) };
      }
      const rows = block === this.blocks.length ? this.filling.rows() : [];
      return { at: Float64Array.from(rows, (row) => row.at), key: Uint8Array.from(rows, (row) => (row.key ? 1 : 0)) };
    });
  }

  /** The last row appended, if any. */
  last(): TimelineRow | null {
    if (this.filling.count > 0) return this.filling.rows().at(-1)!;
    return this.blocks.length > 0 ? this.blockRows(this.blocks.length - 1).at(-1)! : null;
  }

  length(filter: RowFilter): number {
    return filter === 'all' ? this.totalRows : this.totalKeyRows;
  }

  find(filter: RowFilter, file: number, line: number): number {
    for (let block = 0; block <= this.blocks.length; block++) {
      const range = block < this.blocks.length ? lineRange(this.places[block]!, file) : [0, Infinity];
      if (!range || line < range[0]! || line > range[1]!) continue;
      const at = this.filtered(filter, block).findIndex((row) => row.file === file && row.line === line);
      if (at >= 0) return this.before(filter, block) + at;
    }
    return -1;
  }

  /** @internal Writes the unfinished block out. */
  flush(): void {
    const filling = this.filling;
    if (filling.count === 0) return;
    const lines = filling.lineRanges();
    const [file, [firstLine, lastLine]] = lines.entries().next().value!;
    const where = this.store.write(filling.block());
    this.places.push({ ...where, file, firstLine, lastLine, files: lines.size > 1 ? lines : null });
    this.addBlock({ rows: filling.count, keyRows: filling.keyRows, lastAt: filling.lastAt });
    this.store.noteFlushed(this, this.fillingBytes);
    filling.clear();
    this.fillingBytes = 0;
  }

  protected blockRows(block: number, cache = true): TimelineRow[] {
    if (block >= this.blocks.length) return this.filling.rows();
    const { offset, bytes } = this.places[block]!;
    return this.store.cached(
      offset,
      () => {
        const buffer = new Uint8Array(bytes);
        this.store.readInto(offset, buffer);
        return decodeBlock(buffer, this.blocks[block]!.rows);
      },
      cache,
    );
  }
}

/** A thread's rows' `at` and key flag, one row at a time, read a block at a time. */
class OrderCursor {
  /** The current row's, after next() said there is one. */
  at = 0;
  key = false;
  private readonly columns = new ArrayBuffer(orderColumnsBytes(BLOCK_ROWS));
  private atColumn: Float64Array = new Float64Array(0);
  private keyColumn: Uint8Array = new Uint8Array(0);
  private block = 0;
  private index = 0;

  /** `read` gives block `block`'s columns (in `columns` when from disk); past the tail, empty ones. */
  constructor(private readonly read: (block: number, columns: ArrayBuffer) => { at: Float64Array; key: Uint8Array }) {}

  /** Moves to the next row; false after the last. */
  next(): boolean {
    while (this.index >= this.atColumn.length) {
      const { at, key } = this.read(this.block++, this.columns);
      if (at.length === 0) return false;
      this.atColumn = at;
      this.keyColumn = key;
      this.index = 0;
    }
    this.at = this.atColumn[this.index]!;
    this.key = this.keyColumn[this.index] === 1;
    this.index++;
    return true;
  }
}

function lineRange(place: RowBlockPlace, file: number): [number, number] | undefined {
  if (place.files) return place.files.get(file);
  return place.file === file ? [place.firstLine, place.lastLine] : undefined;
}

/**
 * A process's threads in one timeline, in trace order (ties by thread order), built once their
 * timelines are complete. Per block it keeps where each thread's timeline stands, and on disk,
 * which thread each of the block's rows comes from.
 */
export class MergedTimeline extends BlockedTimeline {
  private readonly places: { offset: number; starts: Int32Array }[] = [];
  private totalRows = 0;
  private totalKeyRows = 0;

  private constructor(
    private readonly store: RowStore,
    private readonly threads: RowStream[],
  ) {
    super();
  }

  /** Merges; yields to the event loop every `yieldEvery` rows so the screen stays live. */
  static async merge(store: RowStore, threads: RowStream[], yieldEvery: number): Promise<MergedTimeline> {
    if (threads.length > MAX_MERGED_THREADS) throw new Error(`${threads.length} threads: too many to merge into one timeline`);
    const merged = new MergedTimeline(store, threads);
    const cursors = threads.map((stream, order) => ({ rows: stream.orders(), order, position: 0 }));
    const heap = new MinHeap<(typeof cursors)[number]>((a, b) => a.rows.at < b.rows.at || (a.rows.at === b.rows.at && a.order < b.order));
    for (const cursor of cursors) if (cursor.rows.next()) heap.push(cursor);
    const sources = new Uint16Array(BLOCK_ROWS);
    let rows = 0;
    let keyRows = 0;
    let lastAt = 0;
    let starts = new Int32Array(threads.length);
    let sinceYield = 0;
    const flush = () => {
      const { offset } = store.write(new Uint8Array(sources.buffer, 0, 2 * rows));
      merged.places.push({ offset, starts });
      merged.addBlock({ rows, keyRows, lastAt });
      starts = Int32Array.from(cursors, (c) => c.position);
      rows = 0;
      keyRows = 0;
    };
    for (let cursor = heap.pop(); cursor; cursor = heap.pop()) {
      const { at, key } = cursor.rows;
      sources[rows++] = cursor.order;
      lastAt = at;
      merged.totalRows++;
      if (key) {
        keyRows++;
        merged.totalKeyRows++;
      }
      cursor.position++;
      if (cursor.rows.next()) heap.push(cursor);
      if (rows === BLOCK_ROWS) flush();
      if (++sinceYield >= yieldEvery) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    if (rows > 0) flush();
    return merged;
  }

  length(filter: RowFilter): number {
    return filter === 'all' ? this.totalRows : this.totalKeyRows;
  }

  find(filter: RowFilter, file: number, line: number): number {
    for (const [order, thread] of this.threads.entries()) {
      const position = thread.find('all', file, line);
      if (position < 0) continue;
      // The row is in the last block at whose start this thread had not yet passed `position`.
      const block = Math.max(0, firstIndex(this.places.length, (i) => this.places[i]!.starts[order]! > position) - 1);
      const at = this.filtered(filter, block).findIndex((row) => row.file === file && row.line === line);
      if (at >= 0) return this.before(filter, block) + at;
    }
    return -1;
  }

  protected blockRows(block: number, cache = true): TimelineRow[] {
    if (block >= this.places.length) return [];
    const { offset, starts } = this.places[block]!;
    const count = this.blocks[block]!.rows;
    return this.store.cached(
      offset,
      () => {
        const sources = new Uint16Array(count);
        this.store.readInto(offset, new Uint8Array(sources.buffer));
        const taken = new Int32Array(this.threads.length);
        for (const order of sources) taken[order]!++;
        const fromThread = this.threads.map((thread, order) => (taken[order]! > 0 ? thread.rows('all', starts[order]!, taken[order]!) : []));
        const next = new Int32Array(this.threads.length);
        return Array.from(sources, (order) => fromThread[order]![next[order]!++]!);
      },
      cache,
    );
  }
}

// A block of rows is stored in columns: `at`, then the key flags (padded to 8 bytes), then `end`,
// `durationUs` and `line` (NaN for null), `tid` and `file`, the lengths of `time`, `waits`, `exit`
// and `text` (-1 for null), and last those strings, UTF-8, one after another. No text is escaped or
// split, no number printed or parsed: at millions of rows that is most of what storing costs.

const FLOAT_COLUMNS = 4;
const INT_COLUMNS = 6;

const keyBytes = (count: number) => (count + 7) & ~7;
/** Bytes of the columns merging reads: `at` and the key flags. */
const orderColumnsBytes = (count: number) => 8 * count + keyBytes(count);
const numberBytes = (count: number) => orderColumnsBytes(count) + 8 * (FLOAT_COLUMNS - 1) * count + 4 * INT_COLUMNS * count;

/** The most text buffer a block starts with (it grows as its rows need). */
const MAX_START_TEXT_BYTES = 64 << 10;

/** A row's numbers while its block is filled: at, end, durationUs, line, tid, file, key, and the lengths of time, waits, exit, text. */
const ROW_FIELDS = 11;

/**
 * Rows of a block being filled, kept as they will be stored: their numbers in one array, their
 * text as UTF-8 in one buffer. Nothing is held between blocks, so a task that stopped costs nothing.
 */
class BlockBuilder {
  count = 0;
  keyRows = 0;
  lastAt = 0;
  private numbers: Float64Array | null = null;
  private text: Buffer | null = null;
  private textBytes = 0;
  /** Sizes to start the next block at: a busy task's blocks are alike. */
  private rowCapacity = 4;
  private textCapacity = 256;
  private decoded: TimelineRow[] | null = null;

  /** Adds a row; returns the bytes it takes. */
  add(row: TimelineRow): number {
    const time = row.time ?? '';
    const waits = row.waits ?? '';
    const exit = row.exit ?? '';
    const strings = time + waits + exit + row.text;
    if (!this.numbers || this.numbers.length < (this.count + 1) * ROW_FIELDS) this.growNumbers();
    if (!this.text || this.text.length < this.textBytes + 3 * strings.length) this.growText(this.textBytes + 3 * strings.length);
    const numbers = this.numbers!;
    const at = this.count * ROW_FIELDS;
    numbers[at] = row.at;
    numbers[at + 1] = row.end ?? NaN;
    numbers[at + 2] = row.durationUs ?? NaN;
    numbers[at + 3] = row.line;
    numbers[at + 4] = row.tid;
    numbers[at + 5] = row.file;
    numbers[at + 6] = row.key ? 1 : 0;
    numbers[at + 7] = row.time === null ? -1 : time.length;
    numbers[at + 8] = row.waits === null ? -1 : waits.length;
    numbers[at + 9] = row.exit === null ? -1 : exit.length;
    numbers[at + 10] = row.text.length;
    const bytes = this.text!.write(strings, this.textBytes, 'utf8');
    this.textBytes += bytes;
    this.count++;
    if (row.key) this.keyRows++;
    this.lastAt = row.at;
    this.decoded = null;
    return 8 * ROW_FIELDS + bytes;
  }

  /** The rows, decoded once until the next is added (the screen shows a growing tail while reading). */
  rows(): TimelineRow[] {
    if (this.count === 0) return [];
    this.decoded ??= decodeColumns(this.count, (field, row) => this.numbers![row * ROW_FIELDS + field]!, this.text!.toString('utf8', 0, this.textBytes));
    return this.decoded;
  }

  /** Per input file, the first and last line of its rows here. */
  lineRanges(): Map<number, [number, number]> {
    const lines = new Map<number, [number, number]>();
    const numbers = this.numbers!;
    for (let at = 0; at < this.count * ROW_FIELDS; at += ROW_FIELDS) {
      const file = numbers[at + 5]!;
      const line = numbers[at + 3]!;
      const range = lines.get(file);
      if (!range) lines.set(file, [line, line]);
      else {
        range[0] = Math.min(range[0], line);
        range[1] = Math.max(range[1], line);
      }
    }
    return lines;
  }

  /** The rows as a stored block (see above). */
  block(): Uint8Array {
    const count = this.count;
    const head = numberBytes(count);
    const block = new Uint8Array(head + this.textBytes);
    const { buffer } = block;
    const at = new Float64Array(buffer, 0, count);
    const key = new Uint8Array(buffer, 8 * count, count);
    const floats = new Float64Array(buffer, orderColumnsBytes(count), 3 * count);
    const ints = new Int32Array(buffer, orderColumnsBytes(count) + 24 * count, INT_COLUMNS * count);
    const numbers = this.numbers!;
    for (let i = 0, from = 0; i < count; i++, from += ROW_FIELDS) {
      at[i] = numbers[from]!;
      floats[i] = numbers[from + 1]!;
      floats[count + i] = numbers[from + 2]!;
      floats[2 * count + i] = numbers[from + 3]!;
      ints[i] = numbers[from + 4]!;
      ints[count + i] = numbers[from + 5]!;
      key[i] = numbers[from + 6]!;
      ints[2 * count + i] = numbers[from + 7]!;
      ints[3 * count + i] = numbers[from + 8]!;
      ints[4 * count + i] = numbers[from + 9]!;
      ints[5 * count + i] = numbers[from + 10]!;
    }
    block.set(this.text!.subarray(0, this.textBytes), head);
    return block;
  }

  /** Empties it, and lets its buffers go. */
  clear(): void {
    this.count = 0;
    this.keyRows = 0;
    this.textBytes = 0;
    this.decoded = null;
    this.numbers = null;
    this.text = null;
  }

  private growNumbers(): void {
    const rows = this.numbers ? 2 * (this.numbers.length / ROW_FIELDS) : this.rowCapacity;
    const numbers = new Float64Array(rows * ROW_FIELDS);
    if (this.numbers) numbers.set(this.numbers);
    this.numbers = numbers;
    this.rowCapacity = rows;
  }

  private growText(needed: number): void {
    let bytes = this.text ? 2 * this.text.length : this.textCapacity;
    while (bytes < needed) bytes *= 2;
    const text = Buffer.allocUnsafe(bytes);
    if (this.text) this.text.copy(text, 0, 0, this.textBytes);
    this.text = text;
    // A block of huge calls (an `strace -s` write) is no reason to start every next block that big.
    this.textCapacity = Math.min(bytes, MAX_START_TEXT_BYTES);
  }
}

export function encodeBlock(rows: TimelineRow[]): Uint8Array {
  const builder = new BlockBuilder();
  for (const row of rows) builder.add(row);
  return builder.block();
}

/** Rows from their numbers (`field` of `row`, in ROW_FIELDS order) and their strings one after another. */
function decodeColumns(count: number, number: (field: number, row: number) => number, text: string): TimelineRow[] {
  let from = 0;
  const take = (length: number): string | null => {
    if (length < 0) return null;
    const value = text.slice(from, from + length);
    from += length;
    return value;
  };
  const orNull = (value: number) => (Number.isNaN(value) ? null : value);
  const rows: TimelineRow[] = [];
  for (let i = 0; i < count; i++) {
    const time = take(number(7, i));
    const waits = take(number(8, i));
    const exit = take(number(9, i));
    rows.push({
      tid: number(4, i),
      at: number(0, i),
      end: orNull(number(1, i)),
      time,
      text: take(number(10, i))!,
      durationUs: orNull(number(2, i)),
      key: number(6, i) === 1,
      waits,
      exit,
      file: number(5, i),
      line: number(3, i),
    });
  }
  return rows;
}

/** The rows of a block of `count` rows, read whole into `block` (its own buffer, from offset 0). */
export function decodeBlock(block: Uint8Array, count: number): TimelineRow[] {
  const { buffer } = block;
  const at = new Float64Array(buffer, 0, count);
  const key = new Uint8Array(buffer, 8 * count, count);
  const floats = new Float64Array(buffer, orderColumnsBytes(count), 3 * count);
  const ints = new Int32Array(buffer, orderColumnsBytes(count) + 24 * count, INT_COLUMNS * count);
  // UTF-8 turns a string into as many UTF-16 units as it had (a lone surrogate into U+FFFD), so lengths cut it.
  const text = Buffer.from(buffer, numberBytes(count), block.byteLength - numberBytes(count)).toString('utf8');
  // Columns by ROW_FIELDS' order.
  const column = [at, floats, floats, floats, ints, ints, key, ints, ints, ints, ints] as const;
  const start = [0, 0, count, 2 * count, 0, count, 0, 2 * count, 3 * count, 4 * count, 5 * count];
  return decodeColumns(count, (field, row) => column[field]![start[field]! + row]!, text);
}
