// How far a read of a trace is, for work that can take more than a second: the bytes read and
// their share of the files' size, through both reads of the analysis (the second names the lock
// holders). `analyze` and `timeline` draw it on stderr when stderr is a terminal (never in a pipe,
// a file or --json output), the TUI in its status line.

import { statSync } from 'node:fs';
import type { ByteCounter } from '../../parsers/lines.js';
import { compressionOf } from '../../parsers/source.js';
import type { TraceSource } from '../../parsers/types.js';

/** Work shorter than this shows no progress. */
const FIRST_DRAW_MS = 1000;
const DRAW_EVERY_MS = 250;

export type ReadPhase = 'reading' | 'reading again to name the lock holders';

export class ReadProgress {
  /** Given to the readers (src/pipeline.ts `counter`): the bytes read by the current read. */
  readonly counter: ByteCounter = { bytes: 0 };
  phase: ReadPhase = 'reading';
  /** The files' size, or null when one is compressed (what it decompresses to is not known ahead). */
  readonly totalBytes: number | null;

  constructor(sources: TraceSource[]) {
    let total: number | null = 0;
    for (const file of sources.flatMap((s) => s.files)) {
      try {
        total = compressionOf(file) === null && total !== null ? total + statSync(file).size : null;
      } catch {
        // the read reports it
      }
    }
    this.totalBytes = total;
  }

  /** The analysis reads the trace again (src/pipeline.ts `onSecondRead`). */
  secondRead(): void {
    this.phase = 'reading again to name the lock holders';
    this.counter.bytes = 0;
  }

  /** `reading 45% (90 of 200 MB)`, or `reading 90 MB` when the size is not known. */
  describe(): string {
    const megabytes = (bytes: number) => (bytes / (1 << 20)).toFixed(bytes < 10 << 20 ? 1 : 0);
    const read = this.counter.bytes;
    if (this.totalBytes === null || this.totalBytes === 0) return `${this.phase} ${megabytes(read)} MB`;
    const percent = Math.min(100, Math.floor((100 * read) / this.totalBytes));
    return `${this.phase} ${percent}% (${megabytes(read)} of ${megabytes(this.totalBytes)} MB)`;
  }
}

/**
 * Runs `work`, drawing `progress` on one line of `stream` from its first second on, when `stream`
 * is a terminal; the line is cleared when the work ends.
 */
export async function withProgress<T>(progress: ReadProgress, work: () => Promise<T>, stream: NodeJS.WriteStream = process.stderr): Promise<T> {
  if (!stream.isTTY) return work();
  let drawn = false;
  const draw = () => {
    stream.write(`\r\x1b[K${progress.describe()}`);
    drawn = true;
  };
  let repeat: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    draw();
    repeat = setInterval(draw, DRAW_EVERY_MS).unref();
  }, FIRST_DRAW_MS).unref();
  try {
    return await work();
  } finally {
    clearTimeout(first);
    clearInterval(repeat);
    if (drawn) stream.write('\r\x1b[K');
  }
}
