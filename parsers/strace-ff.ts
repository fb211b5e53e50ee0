// Format: the files of `strace -ff -o PREFIX`: one file per thread (not per process), named
// `PREFIX.TID`, whose lines carry no pid column. Reference: strace(1), option -ff.
// Each file is its own stream. With timestamps (-t, -tt, -ttt) the files are merged into one
// sequence of events by time, a k-way merge holding one chunk of each file's lines (as bytes) and
// parsing a file's lines only as the merge needs its next events; without them (or with -r, whose
// deltas run across files) they are read one after another, and only each thread's own order is known.

import type { TraceEvent } from '../src/model/events.js';
import { MinHeap } from '../src/util/heap.js';
import { TraceClock } from './assemble.js';
import { BlockReading } from './futex-index.js';
import type { FutexIndex } from './futex-index.js';
import { tidOfFfFile } from './formats.js';
import { DEFAULT_CHUNK_BYTES } from './lines.js';
import { compressionOf } from './source.js';
import type { LineBatch, ReadLine } from './lines.js';
import { straceReader } from './strace.js';
import type { StraceReadOptions, StraceReader } from './strace.js';
import type { InputStats } from './types.js';

/** Bytes of all files read ahead at once: the merge's memory stays bounded however many threads ran. */
const READ_AHEAD_BUDGET = 8 << 20;
const MIN_CHUNK_BYTES = 4 << 10;
const MAX_HELD_FILES = 200;
/** Events handed on together. */
const OUTPUT_BATCH = 4096;
/**
 * Lines of a file parsed at once when the merge needs its next event. One would hold the fewest
 * events, but each switch to another file's reader state misses the cache: with 2,000 files, 1,
 * 16 or 32 lines at a time cost 30, 15 or 5-10 % more CPU than 64 (bench/README.md, ff.js).
 */
const PARSE_AHEAD = 64;

export interface FfReadOptions extends Pick<StraceReadOptions, 'calls' | 'counter'> {
  /** Filled with each file's index (a compressed file gets none: it is read from its start only). */
  index?: FutexIndex;
  /** Read only these blocks of each file (a file not in it: none). */
  blocks?: ReadonlyMap<string, BlockReading>;
}

export async function* readStraceFf(files: string[], stats: InputStats, newStream: () => number, options: FfReadOptions = {}): AsyncGenerator<TraceEvent[]> {
  const cursors: FileCursor[] = [];
  try {
    yield* merge(files, stats, newStream, cursors, options);
  } finally {
    // A reader stopped early still closes every file.
    await Promise.all(cursors.map((cursor) => cursor.close()));
  }
}

async function* merge(
  files: string[],
  stats: InputStats,
  newStream: () => number,
  cursors: FileCursor[],
  { calls, counter, index, blocks }: FfReadOptions,
): AsyncGenerator<TraceEvent[]> {
  const clock = new TraceClock(false);
  const chunkBytes = Math.max(MIN_CHUNK_BYTES, Math.min(DEFAULT_CHUNK_BYTES, Math.floor(READ_AHEAD_BUDGET / Math.max(1, files.length))));
  // Beyond a few hundred files, keeping each open could exhaust the descriptors a process may hold.
  const reopen = files.length > MAX_HELD_FILES;
  for (const file of files) {
    // Each file is its own stream, and has its own index of offsets.
    const stream = newStream();
    const options: StraceReadOptions = { tid: tidOfFfFile(file) ?? 0, clock, chunkBytes, reopen, calls, counter };
    if (index && compressionOf(file) === null) options.index = index.add(file, stream);
    if (blocks) options.blocks = blocks.get(file) ?? new BlockReading([], null);
    cursors.push(new FileCursor(straceReader(file, stats, stream, options)));
  }
  // One file at a time: thousands of files are never all opened at once.
  const heads: (TraceEvent | null)[] = [];
  for (const cursor of cursors) heads.push(await cursor.read());
  if (clock.deltasDropped) {
    stats.warnings++;
    yield [
      {
        kind: 'warning',
        where: { file: files[0]!, line: 1 },
        message: '-r times in -ff files are deltas from the previous line of any file: the files are not merged by time',
      },
    ];
  }
  if (!heads.some((head) => head !== null && head.kind !== 'warning' && mergeKey(head) !== null)) {
    for (const [i, cursor] of cursors.entries()) {
      if (heads[i] !== null) yield [heads[i]!];
      yield* cursor.rest();
    }
    return;
  }
  // The files by the time of their next event (untimed last, ties by file): file numbers, keyed
  // in a typed array, so a pass through the heap reads no event.
  const keys = new Float64Array(cursors.length);
  const heap = new MinHeap<number>((a, b) => keys[a]! < keys[b]! || (keys[a] === keys[b] && a < b));
  heads.forEach((event, cursor) => {
    if (!event) return;
    keys[cursor] = mergeKey(event) ?? Infinity;
    heap.push(cursor);
  });
  let out: TraceEvent[] = [];
  while (heap.size > 0) {
    const taken = heap.pop()!;
    out.push(heads[taken]!);
    if (out.length >= OUTPUT_BATCH) {
      yield out;
      out = [];
    }
    const cursor = cursors[taken]!;
    const event = cursor.next() ?? (await cursor.read());
    heads[taken] = event;
    if (event) {
      keys[taken] = mergeKey(event) ?? Infinity;
      heap.push(taken);
    }
  }
  if (out.length > 0) yield out;
}

/**
 * One file's events one at a time. Its lines are read a chunk at a time and held as bytes, and
 * parsed a few at a time as its events are taken: the merge holds each file's bytes and a few
 * events, not thousands of events it takes much later (events made long before they are used
 * outlive the young-generation collections, and are out of the cache when used).
 */
class FileCursor {
  private readonly batches: AsyncGenerator<LineBatch>;
  private batch: LineBatch | null = null;
  /** The next line to read (decoded already: the line before it was read with it as its next). */
  private upcoming: ReadLine | undefined;
  /** The index in `batch` of the line after `upcoming`. */
  private after = 0;
  private events: TraceEvent[] = [];
  private nextEvent = 0;
  /** The line read last waits for this before its events are all out. */
  private waiting: Promise<void> | undefined;
  private ended = false;

  constructor(private readonly reader: StraceReader) {
    this.batches = reader.lineBatches();
  }

  /** The next event from the lines held; undefined when it takes a read (`read`), or the file ended. */
  next(): TraceEvent | undefined {
    while (this.nextEvent >= this.events.length) {
      if (this.waiting || !this.upcoming) return undefined;
      for (let n = 0; n < PARSE_AHEAD && this.upcoming && !this.waiting; n++) this.readLine();
      this.events = this.reader.take();
      this.nextEvent = 0;
    }
    return this.events[this.nextEvent++];
  }

  /** The next event, reading on as it needs; null at the file's end. */
  async read(): Promise<TraceEvent | null> {
    for (let event = this.next(); ; event = this.next()) {
      if (event) return event;
      if (!(await this.readOn())) return null;
    }
  }

  /** Reads what the next event waits for: false when nothing is left to read. */
  private async readOn(): Promise<boolean> {
    if (this.waiting) {
      await this.waiting;
      this.waiting = undefined;
    } else if (this.ended) return false;
    else {
      const read = await this.batches.next();
      if (read.done) {
        await this.reader.finish();
        this.ended = true;
      } else {
        this.batch = read.value;
        this.upcoming = this.batch.length > 0 ? this.batch.line(0) : undefined;
        this.after = 1;
      }
    }
    this.events = this.reader.take();
    this.nextEvent = 0;
    return true;
  }

  private readLine(): void {
    const line = this.upcoming!;
    const batch = this.batch!;
    this.upcoming = this.after < batch.length ? batch.line(this.after++) : undefined;
    this.waiting = this.reader.read(line, this.upcoming);
  }

  async close(): Promise<void> {
    await this.batches.return(undefined);
  }

  /** The events not taken yet, a batch at a time. */
  async *rest(): AsyncGenerator<TraceEvent[]> {
    for (;;) {
      while (!this.waiting && this.upcoming) this.readLine();
      const events = this.events.slice(this.nextEvent).concat(this.reader.take());
      this.events = [];
      this.nextEvent = 0;
      if (events.length > 0) yield events;
      if (!(await this.readOn())) return;
    }
  }
}

/** When an event happened, for merging: a call when it started (a file's lines carry start times). */
function mergeKey(event: TraceEvent): number | null {
  switch (event.kind) {
    case 'syscall':
      return event.start.us;
    case 'warning':
      return -Infinity;
    default:
      return event.at.us;
  }
}
