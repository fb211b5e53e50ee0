// How far long work is, on one line of stderr when stderr is a terminal (never in a pipe, a file
// or --json output), for work that can take more than a second: a read of a trace (the bytes read
// and their share of the files' size, through both reads of the analysis: the second names the
// lock holders), drawn by `analyze`, `timeline` and `record`, and by the TUI in its status line;
// `record` also tells its tracer starting and stopping and how long the tree has been still.

import { statSync } from 'node:fs';
import type { ByteCounter } from '../../parsers/lines.js';
import { compressionOf } from '../../parsers/source.js';
import type { TraceSource } from '../../parsers/types.js';

/** Work shorter than this shows no progress. */
const FIRST_DRAW_MS = 1000;
const DRAW_EVERY_MS = 250;

export type ReadPhase = 'reading' | 'reading again to name the lock holders';

/** Work that can say how far it is, in one line (null: nothing to say now). */
export interface Progress {
  describe(): string | null;
}

export class ReadProgress implements Progress {
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
 * A line of `stream` (a terminal, else nothing is drawn) that shows `progress` from its first
 * second on, redrawn a few times a second, until `stop`.
 */
export class StatusLine {
  private drawn = false;
  private first: NodeJS.Timeout | undefined;
  private repeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly progress: Progress,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    if (!stream.isTTY) return;
    this.first = setTimeout(() => {
      this.draw();
      this.repeat = setInterval(() => this.draw(), DRAW_EVERY_MS).unref();
    }, FIRST_DRAW_MS).unref();
  }

  /** Clears the line before other text goes to the stream; the next tick draws it again. */
  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }

  stop(): void {
    clearTimeout(this.first);
    clearInterval(this.repeat);
    this.clear();
  }

  private draw(): void {
    const text = this.progress.describe();
    if (text === null) return this.clear();
    this.stream.write(`\r\x1b[K${text}`);
    this.drawn = true;
  }
}

/** Runs `work` with `progress` on a status line of `stream` (see StatusLine). */
export async function withProgress<T>(progress: Progress, work: () => Promise<T>, stream: NodeJS.WriteStream = process.stderr): Promise<T> {
  const line = new StatusLine(progress, stream);
  try {
    return await work();
  } finally {
    line.stop();
  }
}
