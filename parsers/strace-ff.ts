// Format: the files of `strace -ff -o PREFIX`: one file per thread (not per process), named
// `PREFIX.TID`, whose lines carry no pid column. Reference: strace(1), option -ff.
// Each file is its own stream. With timestamps the files are merged into one stream of events by
// time (a k-way merge holding one event per file); without them they are read one after another,
// and only each thread's own order is known.

import type { TraceEvent } from '../src/model/events.js';
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
  // A binary heap of the next event of every file, ordered by time (untimed and unfinished last).
  const heap: { event: TraceEvent; key: number; reader: number }[] = [];
  const less = (a: (typeof heap)[number], b: (typeof heap)[number]) => a.key < b.key || (a.key === b.key && a.reader < b.reader);
  const push = (item: (typeof heap)[number]) => {
    heap.push(item);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  };
  const pop = () => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < heap.length && less(heap[l], heap[smallest])) smallest = l;
        if (r < heap.length && less(heap[r], heap[smallest])) smallest = r;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
        i = smallest;
      }
    }
    return top;
  };
  heads.forEach((head, reader) => {
    if (!head.done) push({ event: head.value, key: mergeKey(head.value) ?? Infinity, reader });
  });
  while (heap.length > 0) {
    const { event, reader } = pop();
    yield event;
    const next = await readers[reader].next();
    if (!next.done) push({ event: next.value, key: mergeKey(next.value) ?? Infinity, reader });
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
