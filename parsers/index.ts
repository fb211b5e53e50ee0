// From what the user typed to events: resolves TRACE arguments into sources (an `-ff` prefix or
// directory into its files, several `prefix.TID` files into one `-ff` trace, stdin into a spooled
// file so it can be read twice), detects each source's format from its first lines, and reads
// sources in turn through the parser of their format (each loaded when a trace of its format is
// read: forkscope starts without the others).

import { createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FutexCallQuery, SyscallEvent, TraceEvent } from '../src/model/events.js';
import { isSyscallName } from '../src/linux/abi.js';
import { BlockPlan, BlockReading } from './futex-index.js';
import type { FutexIndex } from './futex-index.js';
import { BPFTRACE_CSV_HEADER, ffPrefixOf, isPlashLine, tidOfFfFile } from './formats.js';
import { readLineBatches } from './lines.js';
import { DecompressError, compressionOf } from './source.js';
import type { ByteCounter, Follow } from './lines.js';
import { parseStraceLine } from './strace-line.js';
import { readStraceLog } from './strace.js';
import type { StraceReadOptions } from './strace.js';
import { CALLS_TO_CHECK } from './types.js';
import type { CallSelection, InputStats, TraceFormat, TraceSource } from './types.js';

export type { CallSelection, InputStats, TraceFormat, TraceSource } from './types.js';
export { parseStraceLine } from './strace-line.js';

/** Lines read to detect a format. */
const DETECT_LINES = 50;

/** What stdin was spooled to, per process (a file with no name, gone with the process). */
let stdinSpool: string | null = null;

export interface ResolveOptions {
  format?: TraceFormat;
  /** Told what a directory argument was read as when it held more than one trace (for stderr). */
  onNote?: (note: string) => void;
}

export async function resolveInputs(paths: string[], options: ResolveOptions = {}): Promise<TraceSource[]> {
  const sources: TraceSource[] = [];
  const ffGroups = new Map<string, TraceSource>();
  for (const path of paths) {
    if (path === '-') {
      const file = await spoolStdin();
      sources.push({ path: '-', format: options.format ?? (await detectFormat(file, '- (stdin)')), files: [file] });
      continue;
    }
    if (!existsSync(path)) {
      const files = ffFilesOfPrefix(path);
      if (files.length === 0) throw new Error(`${path}: no such file, directory or strace -ff prefix`);
      sources.push({ path, format: options.format ?? 'strace-ff', files });
      continue;
    }
    const stat = statSync(path);
    if (stat.isDirectory()) {
      sources.push(...(await sourcesInDirectory(path, options)));
      continue;
    }
    // A FIFO would block the read forever (and cannot be read twice): stdin is `-`.
    if (!stat.isFile()) throw new Error(`${path}: not a regular file (${fileKind(stat)})`);
    const format = options.format ?? (await detectFormat(path));
    if (format === 'strace-ff') {
      // `prefix.TID` files given one by one are the threads of one trace.
      const prefix = ffPrefixOf(path);
      const group = ffGroups.get(prefix);
      if (group) group.files.push(path);
      else {
        const source: TraceSource = { path: prefix, format, files: [path] };
        ffGroups.set(prefix, source);
        sources.push(source);
      }
      continue;
    }
    sources.push({ path, format, files: [path] });
  }
  return sources;
}

function fileKind(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  return 'not a file';
}

/**
 * A directory: the files of an `-ff` trace in it, or else each trace file in it (other files
 * skipped). An `-ff` set wins over other traces beside it (often the same program recorded with
 * `-f`: read together they would mix two runs); the note says which were read and which not.
 */
async function sourcesInDirectory(directory: string, { format, onNote }: ResolveOptions): Promise<TraceSource[]> {
  const files = readdirSync(directory)
    .sort()
    .map((name) => join(directory, name))
    .filter((file) => statSync(file).isFile());
  const numbered = files.filter((f) => tidOfFfFile(f) !== null);
  const isNumbered = new Set(numbered);
  const traces: TraceSource[] = [];
  for (const file of files) {
    if (isNumbered.has(file)) continue;
    const detected = format ?? (await detectFormat(file).catch(() => null));
    if (detected) traces.push({ path: file, format: detected, files: [file] });
  }
  if (numbered.length === 0) {
    if (traces.length === 0) throw new Error(`${directory}: no trace files in this directory`);
    if (traces.length > 1) onNote?.(`${directory}: read ${traces.length} traces as one: ${traces.map((t) => basename(t.path)).join(', ')}`);
    return traces;
  }
  const byPrefix = new Map<string, string[]>();
  for (const file of numbered) {
    const prefix = ffPrefixOf(file);
    const set = byPrefix.get(prefix);
    if (set) set.push(file);
    else byPrefix.set(prefix, [file]);
  }
  const ffSets = [...byPrefix].map(([prefix, set]) => ({ path: prefix, format: format ?? 'strace-ff', files: set.sort(byTid) }));
  if (traces.length > 0 || ffSets.length > 1) {
    const read = ffSets.map((s) => `${basename(s.path)}.* (${s.files.length} strace -ff files)`).join(', ');
    const skipped = traces.length > 0 ? `; not read: ${traces.map((t) => basename(t.path)).join(', ')} (name a file to read it instead)` : '';
    onNote?.(`${directory}: read ${read}${skipped}`);
  }
  return ffSets;
}

function ffFilesOfPrefix(prefix: string): string[] {
  const directory = dirname(prefix);
  const base = basename(prefix);
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((name) => tidOfFfFile(name) !== null && ffPrefixOf(name) === base)
    .map((name) => join(directory, name))
    .sort(byTid);
}

const byTid = (a: string, b: string) => (tidOfFfFile(a) ?? 0) - (tidOfFfFile(b) ?? 0);

/**
 * The format of a file, from its first lines: the bpftrace collector's CSV header, `cloned N:`
 * prefixes (PlashGlibc), or strace lines (`-ff` when the name ends in `.TID` and the lines have no
 * pid column). `shownAs` names the file in errors. Throws when the file cannot be read, holds
 * only blank lines, or none of its first lines is a trace line.
 */
export async function detectFormat(file: string, shownAs = file): Promise<TraceFormat> {
  let straceLines = 0;
  let pidColumn = false;
  let seen = 0;
  try {
    for await (const batch of readLineBatches(file, { chunkBytes: 64 << 10 })) {
      for (const { text, line } of batch) {
        if (line === 1 && text === BPFTRACE_CSV_HEADER) return 'bpftrace-csv';
        if (isPlashLine(text)) return 'plash';
        const parsed = parseStraceLine(text);
        if (!('error' in parsed) && parsed.body.kind !== 'blank') {
          straceLines++;
          if (parsed.pid !== null) pidColumn = true;
        }
        if (text.trim() !== '') seen++;
        // Leading blank lines do not count: only blank lines make an empty trace, however many.
        if (line >= DETECT_LINES && seen > 0) break;
      }
      if (batch.at(-1)!.line >= DETECT_LINES && seen > 0) break;
    }
  } catch (error) {
    if (error instanceof DecompressError) throw error;
    throw new Error(`${shownAs}: cannot read: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (seen === 0) throw new Error(emptyMessage(shownAs));
  if (straceLines === 0) {
    throw new Error(`${shownAs}: not a trace forkscope reads (its first lines are neither strace output, a PlashGlibc log nor a forkscope bpftrace CSV)`);
  }
  if (pidColumn) return 'strace';
  if (tidOfFfFile(file) !== null) return 'strace-ff';
  return (await hasPlashSections(file)) ? 'plash' : 'strace';
}

/** A line of a pid column: `1234 ` (-f -o) or `[pid 1234]` (stderr). */
const PID_COLUMN = /^(?:\[pid\s+\d|\d+ )/;

/**
 * Whether a log without a pid column so far is a complete PlashGlibc log: the top process's own
 * lines come first, unprefixed (however many), then its `cloned N:` sections. A pid column first
 * means strace; only logs of one task (no -f) are read to the end.
 */
async function hasPlashSections(file: string): Promise<boolean> {
  for await (const batch of readLineBatches(file)) {
    for (const { text } of batch) {
      if (isPlashLine(text)) return true;
      if (PID_COLUMN.test(text)) return false;
    }
  }
  return false;
}

async function spoolStdin(): Promise<string> {
  if (stdinSpool) return stdinSpool;
  // A file with no name: nothing is left however the process ends, a SIGKILL while stdin is still
  // being read included; the readers open it as /proc/PID/fd/N. (Loaded here: reading files needs none.)
  const { anonymousFile } = await import('../src/util/temporary.js');
  const spool = anonymousFile('forkscope-stdin-');
  await pipeline(process.stdin, createWriteStream('', { fd: spool.fd, autoClose: false }));
  stdinSpool = spool.path;
  return spool.path;
}

/** Zeroed counts for each source, for one read of them. */
export function emptyStats(sources: TraceSource[]): InputStats[] {
  return sources.map((s) => ({ path: s.path, format: s.format, lines: 0, warnings: 0 }));
}

export interface ReadTraceOptions {
  /** The trace is still being recorded: follow its file (one strace -f log or bpftrace CSV) until done. */
  follow?: Follow;
  /** A source may hold nothing (a watch log where nothing happened); otherwise that is an error. */
  mayBeEmpty?: boolean;
  /** Which calls to give (strace formats; default all). */
  calls?: CallSelection;
  /** Counts the bytes read, for progress. */
  counter?: ByteCounter;
  /** Filled with where each strace file's futex calls are, for `readFutexCalls` to read parts of the files. */
  index?: FutexIndex;
  /** Read only these blocks of each strace file (a file not in it: none); see `index`. */
  blocks?: ReadonlyMap<string, BlockReading>;
  /** The first stream id (a read of one source of several numbers its streams as a read of them all did). */
  firstStream?: number;
  /** With `calls: 'futex'`: the tasks whose calls are asked for (see StraceReadOptions). */
  tids?: ReadonlySet<number>;
}

/**
 * Every event of every source, source after source, filling `stats` (one per source). Stream ids
 * are handed out in reading order, so two reads of the same sources give the same ids (the
 * analysis compares stamps across reads).
 */
export async function* readTrace(sources: TraceSource[], stats: InputStats[], options: ReadTraceOptions = {}): AsyncGenerator<TraceEvent> {
  for await (const batch of readTraceBatches(sources, stats, options)) yield* batch;
}

/** The events of `readTrace` a batch at a time: one await per chunk of the file, not per event. */
export async function* readTraceBatches(sources: TraceSource[], stats: InputStats[], options: ReadTraceOptions = {}): AsyncGenerator<TraceEvent[]> {
  let nextStream = options.firstStream ?? 0;
  const newStream = () => nextStream++;
  for (const [i, source] of sources.entries()) {
    options.index?.beginSource(nextStream);
    const fromStdin = source.path === '-';
    const check = new SourceCheck(source);
    const batches =
      source.format === 'bpftrace-csv'
        ? readBpftraceSource(source, stats[i]!, newStream(), options)
        : readStraceSource(source, stats[i]!, newStream, options);
    for await (const batch of batches) {
      for (const event of batch) {
        check.see(event);
        if (fromStdin) renameStdin(event, source.files[0]!);
      }
      yield batch;
    }
    check.end();
    if (check.events === 0 && !options.mayBeEmpty) throw new Error(await nothingReadMessage(source, stats[i]!));
  }
}

/** The bpftrace CSV reader's single events as batches of one. */
async function* readBpftraceSource(source: TraceSource, stats: InputStats, stream: number, options: ReadTraceOptions): AsyncGenerator<TraceEvent[]> {
  const { readBpftraceCsv } = await import('./bpftrace-csv.js');
  for await (const event of readBpftraceCsv(source, stats, stream, options.follow, options.counter)) yield [event];
}

/** Whether a source can answer anything: it gave events, and its calls are system calls. */
class SourceCheck {
  events = 0;
  private calls = 0;
  private syscalls = 0;

  constructor(private readonly source: TraceSource) {}

  see(event: TraceEvent): void {
    if (event.kind === 'warning') return;
    this.events++;
    if (event.kind !== 'syscall' || this.calls >= CALLS_TO_CHECK) return;
    this.calls++;
    if (isSyscallName(event.name)) this.syscalls++;
    if (this.calls === CALLS_TO_CHECK) this.end();
  }

  /** Throws when most calls seen are no system calls. */
  end(): void {
    if (this.calls === 0 || this.syscalls * 2 >= this.calls) return;
    throw new Error(
      `${shownPath(this.source)}: looks like ltrace output; forkscope reads strace (${this.calls - this.syscalls} of the first ${this.calls} calls ` +
        'are no Linux system calls). Record with: strace -f -tt -T -o trace.log PROGRAM',
    );
  }
}

/** Why a source gave no event: it is empty, or it is not in the format it was read as. */
async function nothingReadMessage(source: TraceSource, stats: InputStats): Promise<string> {
  const name = shownPath(source);
  // Blank lines are neither events nor warnings.
  if (stats.warnings === 0) return emptyMessage(name);
  const detected = await detectFormat(source.files[0]!, name).catch((error: Error) => error);
  if (detected instanceof Error) return `${detected.message}: none of its ${stats.lines} lines reads as ${source.format}`;
  if (detected === source.format) return `${name}: none of its ${stats.lines} lines could be read as ${source.format} (see the warnings with --json)`;
  return `${name}: none of its ${stats.lines} lines reads as ${source.format}; it looks like ${detected} (use --format ${detected}, or leave --format out)`;
}

function emptyMessage(name: string): string {
  return `${name} is empty: there is no trace in it to analyze`;
}

const shownPath = (source: TraceSource) => (source.path === '-' ? '- (stdin)' : source.path);

async function* readStraceSource(source: TraceSource, stats: InputStats, newStream: () => number, options: ReadTraceOptions): AsyncGenerator<TraceEvent[]> {
  const { calls, counter, index, blocks, tids } = options;
  if (source.format === 'strace-ff') {
    const { readStraceFf } = await import('./strace-ff.js');
    yield* readStraceFf(source.files, stats, newStream, { calls, counter, index, blocks });
    return;
  }
  // PlashGlibc logs are read whole both times (their sections are streams of their own: simpler so, and they are small).
  if (source.format === 'plash') {
    const { readPlashLog } = await import('./plash.js');
    for (const file of source.files) yield* readPlashLog(file, stats, newStream, counter);
    return;
  }
  for (const file of source.files) {
    const stream = newStream();
    const read: StraceReadOptions = { follow: options.follow, calls, tids, counter };
    // A compressed file is decompressed from its start only: it gets no index, and is read whole again.
    if (index && compressionOf(file) === null) read.index = index.add(file, stream);
    if (blocks) read.blocks = blocks.get(file) ?? new BlockReading([], null);
    yield* readStraceLog(file, stats, stream, read);
  }
}

export interface FutexReadOptions {
  counter?: ByteCounter;
  /** The first read's index: with it and the query's windows, only the blocks of the files that hold the calls asked for are read. */
  index?: FutexIndex;
}

/** Calls buffered while a source's blocks are read outward from the fork; past this the source is read whole instead. */
const MAX_BUFFERED_CALLS = 100_000;

/**
 * The futex calls of `query` read again from the sources (for the analysis's second question, once
 * the first read is done). Their stamps are those of the first read. With the first read's index
 * and the query's windows, a strace source is read a few blocks at a time, outward from each fork,
 * until the windows hold their calls (parsers/futex-index.ts). stdin was spooled to a file, so it is
 * read so too. PlashGlibc logs, bpftrace CSVs and compressed files (which have no index: they are
 * not read from an offset) are read whole.
 */
export async function* readFutexCalls(sources: TraceSource[], query: FutexCallQuery, options: FutexReadOptions = {}): AsyncGenerator<TraceEvent> {
  const { counter, index } = options;
  const asked = (event: TraceEvent): event is SyscallEvent =>
    event.kind === 'syscall' && event.futex !== undefined && query.tids.has(event.tid) && query.words.has(event.futex.address);
  // A source with no futex call gives nothing: that is no error here.
  const read = (from: TraceSource[], firstStream: number, blocks?: ReadonlyMap<string, BlockReading>) =>
    readTraceBatches(from, emptyStats(from), { calls: 'futex', tids: query.tids, mayBeEmpty: true, counter, firstStream, blocks });
  async function* whole(from: TraceSource[], firstStream: number): AsyncGenerator<SyscallEvent> {
    for await (const batch of read(from, firstStream)) for (const event of batch) if (asked(event)) yield event;
  }
  if (!index || !query.around) {
    yield* whole(sources, 0);
    return;
  }
  for (const [i, source] of sources.entries()) {
    const indexed = index.source(i);
    if (!indexed) throw new Error(`${source.path}: the first read did not reach this source`);
    if (source.format !== 'strace' && source.format !== 'strace-ff') {
      yield* whole([source], indexed.firstStream);
      continue;
    }
    if (source.files.some((file) => !indexed.files.has(file))) {
      yield* whole([source], indexed.firstStream);
      continue;
    }
    const plan = new BlockPlan(indexed.files, query.around);
    for (;;) {
      const calls: SyscallEvent[] = [];
      for await (const batch of read([source], indexed.firstStream, plan.reading())) {
        for (const event of batch) if (asked(event)) calls.push(event);
        if (calls.length > MAX_BUFFERED_CALLS) break;
      }
      if (calls.length > MAX_BUFFERED_CALLS) {
        yield* whole([source], indexed.firstStream);
        break;
      }
      if (!plan.grow(calls)) {
        yield* calls;
        break;
      }
    }
  }
}

/** Events read from the stdin spool say `-`, as the user typed it, not the temporary file. */
function renameStdin(event: TraceEvent, spool: string): TraceEvent {
  const rename = (where: { file: string }) => {
    if (where.file === spool) where.file = '-';
  };
  if (event.kind === 'warning') rename(event.where);
  else if (event.kind === 'syscall') {
    rename(event.start.where);
    if (event.end) rename(event.end.where);
  } else rename(event.at.where);
  return event;
}
