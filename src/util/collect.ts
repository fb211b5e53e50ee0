// A full garbage collection on demand. Reading a big trace makes garbage much faster than V8 gives
// memory back: left alone, a process whose live data stays at ~10 MB grows to hundreds of MB as the
// log grows. Collecting every so many megabytes read keeps its size flat, for a few ms each time.
// The collector is reached the way `node --expose-gc` would expose it, without that flag.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null = null;

export function collectGarbage(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
