// Format: the files of `strace -ff -o PREFIX`: one file per thread (not per process), named
// `PREFIX.TID`, whose lines carry no pid column. Reference: strace(1), option -ff.
// Each file is its own stream. With timestamps the files are merged into one stream of events by
// time (a k-way merge holding one event per file); without them they are read one after another,
// and only each thread's own order is known.

import type { TraceEvent } from '../src/model/events.js';
import { MinHeap } from '../src/util/heap.js';
import { readStraceLog } from './strace.js';
import type { InputStats } from './types.js';

/** The tid in a `-ff` file name, or null. */
export function tidOfFfFile(file: string): number | null {
  const m = /\.(\d+)$/.exec(file);
  return m ? Number(m[1]) : null;
}

/** More files than this are read one after another instead of merged (one open file each). */
const MAX_MERGED_FILES = 4096;

export async function* readStraceFf(files: string[], stats: InputStats, newStream: () => number): AsyncGenerator<TraceEvent> {
  const readers = files.map((file) => readStraceLog(file, stats, newStream(), { tid: tidOfFfFile(file) ?? 0 }));
  if (readers.length > MAX_MERGED_FILES) {
    yield { kind: 'warning', where: { file: files[0], line: 0 }, message: `${files.length} files: read one after another, not merged by time` };
    for (const reader of readers) yield* reader;
    return;
  }
  const heads = await Promise.all(readers.map((r) => r.next()));
  const timed = heads.some((h) => !h.done && mergeKey(h.value) !== null);
  if (!timed) {
    for (let i = 0; i < readers.length; i++) {
      if (heads[i].done) continue;
      yield heads[i].value as TraceEvent;
      yield* readers[i];
    }
    return;
  }
  // The next event of every file, ordered by time (untimed and unfinished last, ties by file).
  type Head = { event: TraceEvent; key: number; reader: number };
  const heap = new MinHeap<Head>((a, b) => a.key < b.key || (a.key === b.key && a.reader < b.reader));
  heads.forEach((head, reader) => {
    if (!head.done) heap.push({ event: head.value, key: mergeKey(head.value) ?? Infinity, reader });
  });
  for (let head = heap.pop(); head; head = heap.pop()) {
    yield head.event;
    const next = await readers[head.reader].next();
    if (!next.done) heap.push({ event: next.value, key: mergeKey(next.value) ?? Infinity, reader: head.reader });
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
