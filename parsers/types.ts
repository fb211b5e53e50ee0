// What the parsers are given and what they report besides events.

export type TraceFormat = 'strace' | 'strace-ff' | 'plash' | 'bpftrace-csv';

export const TRACE_FORMATS: readonly TraceFormat[] = ['strace', 'strace-ff', 'plash', 'bpftrace-csv'];

/** One input as the user named it, resolved to the files that hold it. */
export interface TraceSource {
  /** As given on the command line (a file, an `-ff` prefix, a directory, or `-`). */
  path: string;
  format: TraceFormat;
  /** The files to read; for `strace-ff` one per thread (`prefix.TID`), the TID taken from the name. */
  files: string[];
}

/** Counts for the report's `inputs`, filled in while a source is read. */
export interface InputStats {
  path: string;
  format: TraceFormat;
  lines: number;
  warnings: number;
}

/** Which calls a read gives. `all`: every line's event. `futex`: futex calls, and no other whole call (the analysis's second read). */
export type CallSelection = 'all' | 'futex';

/** Calls of a source checked to be system calls (not ltrace's library calls) before any is left out. */
export const CALLS_TO_CHECK = 200;
