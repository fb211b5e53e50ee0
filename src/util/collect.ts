// A bound on the heap of a long-running view. Reading a big trace, and drawing it, make garbage
// much faster than V8 gives memory back: left alone, a TUI whose live data stays under ~50 MB grows
// to hundreds of MB as the log grows. A full collection whenever the used heap passes a budget
// keeps it flat, for a few milliseconds each time. The collector is reached the way
// `node --expose-gc` would expose it, without that flag.

import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How often the used heap is looked at. */
const CHECK_EVERY_MS = 250;

/**
 * Collects whenever more than `budgetBytes` of heap is in use, or twice what survived the last
 * collection if that is more (so a larger live set is not collected over and over); returns the
 * function that stops it.
 */
export function boundHeap(budgetBytes: number): () => void {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  let threshold = budgetBytes;
  const timer = setInterval(() => {
    if (getHeapStatistics().used_heap_size <= threshold) return;
    collect();
    threshold = Math.max(budgetBytes, 2 * getHeapStatistics().used_heap_size);
  }, CHECK_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
