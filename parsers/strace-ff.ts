// Format: the files of `strace -ff -o PREFIX`: one file per thread (not per process), named
// `PREFIX.TID`, whose lines carry no pid column. Reference: strace(1), option -ff.
// Each file is its own stream. With timestamps (-t, -tt, -ttt) the files are merged into one
// sequence of events by time, a k-way merge holding one chunk of each file; without them (or with
// -r, whose deltas run across files) they are read one after another, and only each thread's own
// order is known.

import type { TraceEvent } from '../src/model/events.js';
import { MinHeap } from '../src/util/heap.js';
import { TraceClock } from './assemble.js';
import { BlockReading } from './futex-index.js';
import type { FutexIndex } from './futex-index.js';
import { tidOfFfFile } from './formats.js';
import { DEFAULT_CHUNK_BYTES } from './lines.js';
import { compressionOf } from './source.js';
import { readStraceLog } from './strace.js';
import type { StraceReadOptions } from './strace.js';
import type { InputStats } from './types.js';

/** Bytes of all files read ahead at once: the merge's memory stays bounded however many threads ran. */
const READ_AHEAD_BUDGET = 8 << 20;
const MIN_CHUNK_BYTES = 4 << 10;
const MAX_HELD_FILES = 200;
/** Events handed on together. */
const OUTPUT_BATCH = 4096;

export interface FfReadOptions extends Pick<StraceReadOptions, 'calls' | 'counter'> {
  /** Filled with each file's index (a compressed file gets none: it is read from its start only). */
  index?: FutexIndex;
  /** Read only these blocks of each file (a file not in it: none). */
  blocks?: ReadonlyMap<string, BlockReading>;
}

export async function* readStraceFf(files: string[], stats: InputStats, newStream: () => number, options: FfReadOptions = {}): AsyncGenerator<TraceEvent[]> {
  const cursors: EventCursor[] = [];
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
  cursors: EventCursor[],
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
    cursors.push(new EventCursor(readStraceLog(file, stats, stream, options)));
  }
  // One file at a time: thousands of files are never all opened at once.
  const heads: (TraceEvent | null)[] = [];
  for (const cursor of cursors) heads.push(await cursor.next());
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
  // The next event of every file, ordered by time (untimed last, ties by file).
  type Head = { event: TraceEvent; key: number; cursor: number };
  const heap = new MinHeap<Head>((a, b) => a.key < b.key || (a.key === b.key && a.cursor < b.cursor));
  heads.forEach((event, cursor) => {
    if (event) heap.push({ event, key: mergeKey(event) ?? Infinity, cursor });
  });
  let out: TraceEvent[] = [];
  for (let head = heap.pop(); head; head = heap.pop()) {
    out.push(head.event);
    if (out.length >= OUTPUT_BATCH) {
      yield out;
      out = [];
    }
    const cursor = cursors[head.cursor]!;
    const event = cursor.buffered() ? cursor.take() : await cursor.next();
    if (event) heap.push({ event, key: mergeKey(event) ?? Infinity, cursor: head.cursor });
  }
  if (out.length > 0) yield out;
}

/** Reads a batched event stream one event at a time. */
class EventCursor {
  private batch: TraceEvent[] = [];
  private index = 0;

  constructor(private readonly source: AsyncGenerator<TraceEvent[]>) {}

  /** Whether take() has an event without reading more. */
  buffered(): boolean {
    return this.index < this.batch.length;
  }

  take(): TraceEvent {
    return this.batch[this.index++]!;
  }

  async next(): Promise<TraceEvent | null> {
    while (this.index >= this.batch.length) {
      const read = await this.source.next();
      if (read.done) return null;
      this.batch = read.value;
      this.index = 0;
    }
    return this.batch[this.index++]!;
  }

  async close(): Promise<void> {
    await this.source.return(undefined);
  }

  /** The events not taken yet, a batch at a time. */
  async *rest(): AsyncGenerator<TraceEvent[]> {
    if (this.index < this.batch.length) yield this.batch.slice(this.index);
    this.batch = [];
    yield* this.source;
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
