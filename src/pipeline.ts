// The one way a trace flows through forkscope: sources are read by parsers/ into events, the
// events feed the analysis (and whatever view rides along, e.g. the TUI's index or the timeline's
// spool), and the analysis's result is what views render. Nothing downstream reads a file but the
// ELF files the trace maps, read here (LocalObjectFiles) for the analysis to name locks.

import { dirname } from 'node:path';
import { FutexIndex } from '../parsers/futex-index.js';
import { emptyStats, readFutexCalls, readTraceBatches } from '../parsers/index.js';
import type { ByteCounter, Follow } from '../parsers/lines.js';
import type { TraceSource } from '../parsers/types.js';
import { ForkHangAnalysis } from './analysis/analyze.js';
import type { TraceAnalysis } from './analysis/analyze.js';
import type { Analysis } from './analysis/types.js';
import type { TraceEvent } from './model/events.js';
import type { TaskTree } from './model/tree.js';
import { LocalObjectFiles } from './proc/object-files.js';

export type { TraceAnalysis } from './analysis/analyze.js';

export interface PipelineOptions {
  /** Sees every event of the read, after the analysis has (with the tree as it stands), e.g. to index it for a view. */
  onEvent?: (event: TraceEvent, tree: TaskTree) => void;
  /** Told when the read is done and the analysis asks for the lock holders' calls again. */
  onSecondRead?: () => void;
  /** The trace is still being recorded: the read follows it until it is done. */
  follow?: Follow;
  /** Events known before the trace begins (the tree of an attached process, from /proc). */
  prelude?: TraceEvent[];
  /** Where to find the traced program's files by name when their traced paths hold none (`--objects`). */
  objectDirs?: string[];
  /** Counts the bytes each read has read (for progress; reset it in `onSecondRead`). */
  counter?: ByteCounter;
  /** The size of the blocks the first read notes the futex calls by, for the second to read only some (tests make it small). */
  blockBytes?: number;
  /**
   * Keep no object for a child reaped after it exited by itself (TaskTreeOptions): for a report,
   * not for a view that follows the tree's tasks by their objects.
   */
  foldReaped?: boolean;
}

/** Reads the sources once into the analysis (and `onEvent`), then lets it finish. */
export async function analyzeSources(sources: TraceSource[], options: PipelineOptions = {}): Promise<TraceAnalysis> {
  const inputs = emptyStats(sources);
  // A program run as `./prog` is found beside its trace, where it is often recorded.
  const besideTraces = new Set(sources.flatMap((s) => s.files.filter((f) => f !== '-').map((f) => dirname(f))));
  const analysis = new ForkHangAnalysis(inputs, new LocalObjectFiles([...(options.objectDirs ?? []), ...besideTraces]), { foldReaped: options.foldReaped });
  const feed = (event: TraceEvent) => {
    analysis.observe(event);
    options.onEvent?.(event, analysis.tree);
  };
  for (const event of options.prelude ?? []) feed(event);
  // With /proc's tree known first (attach's watch), a watch log where nothing happened still answers.
  // Every call: the threads alive at a fork are told by the call each was in, and a lock is named
  // from the mappings and file sizes (mmap, fstat, brk).
  // Where each futex word's calls are, so the second read visits only the blocks it needs.
  const index = new FutexIndex(options.blockBytes);
  const read = { follow: options.follow, mayBeEmpty: options.prelude !== undefined, counter: options.counter, index };
  for await (const batch of readTraceBatches(sources, inputs, read)) {
    for (const event of batch) feed(event);
  }
  return analysis.finish({
    futexCalls: (query) => {
      options.onSecondRead?.();
      return readFutexCalls(sources, query, { counter: options.counter, index });
    },
  });
}

/** The report alone (folding reaped children, unless told not to). */
export async function analyzeTrace(sources: TraceSource[], options: PipelineOptions = {}): Promise<Analysis> {
  return (await analyzeSources(sources, { foldReaped: true, ...options })).analysis;
}
