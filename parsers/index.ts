// From what the user typed to events: resolves TRACE arguments into sources (an `-ff` prefix or
// directory into its files, stdin into a spooled file so it can be read twice), detects each
// source's format, and reads sources in turn through the parser of their format.

import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { TraceEvent } from '../src/model/events.js';
import { BPFTRACE_CSV_HEADER, readBpftraceCsv } from './bpftrace-csv.js';
import { readLines } from './lines.js';
import { isPlashLine, readPlashLog } from './plash.js';
import { readStraceFf, tidOfFfFile } from './strace-ff.js';
import { readStraceLog } from './strace.js';
import type { InputStats, TraceFormat, TraceSource } from './types.js';

export type { InputStats, TraceFormat, TraceSource } from './types.js';

/** What stdin was spooled to, per process; the file is removed when the process exits. */
let stdinSpool: string | null = null;

export async function resolveInputs(paths: string[], options: { format?: TraceFormat } = {}): Promise<TraceSource[]> {
  const sources: TraceSource[] = [];
  const ffGroups = new Map<string, TraceSource>();
  for (const path of paths) {
    if (path === '-') {
      const file = await spoolStdin();
      sources.push({ path: '-', format: options.format ?? (await detectFormat(file)), files: [file] });
      continue;
    }
    if (!existsSync(path)) {
      const files = ffFilesOfPrefix(path);
      if (files.length === 0) throw new Error(`${path}: no such file, directory or strace -ff prefix`);
      sources.push({ path, format: options.format ?? 'strace-ff', files });
      continue;
    }
    if (statSync(path).isDirectory()) {
      sources.push(...(await sourcesInDirectory(path, options.format)));
      continue;
    }
    const format = options.format ?? (await detectFormat(path));
    const tid = tidOfFfFile(path);
    if ((format === 'strace' && tid !== null && !options.format) || format === 'strace-ff') {
      // `prefix.TID` files given one by one are the threads of one trace.
      const prefix = path.replace(/\.\d+$/, '');
      const group = ffGroups.get(prefix);
      if (group) group.files.push(path);
      else {
        const source: TraceSource = { path: prefix, format: 'strace-ff', files: [path] };
        ffGroups.set(prefix, source);
        sources.push(source);
      }
      continue;
    }
    sources.push({ path, format, files: [path] });
  }
  return sources;
}

/** A directory: the files of an `-ff` trace in it, or else each trace file in it. */
async function sourcesInDirectory(directory: string, format: TraceFormat | undefined): Promise<TraceSource[]> {
  const files = readdirSync(directory)
    .map((name) => join(directory, name))
    .filter((file) => statSync(file).isFile() && !file.endsWith('.json'));
  const numbered = files.filter((f) => tidOfFfFile(f) !== null);
  if (numbered.length > 0) {
    const prefixes = new Set(numbered.map((f) => f.replace(/\.\d+$/, '')));
    return [...prefixes].sort().map((prefix) => ({
      path: prefix,
      format: format ?? 'strace-ff',
      files: numbered.filter((f) => f.replace(/\.\d+$/, '') === prefix).sort(byTid),
    }));
  }
  if (files.length === 0) throw new Error(`${directory}: no trace files in this directory`);
  const sources: TraceSource[] = [];
  for (const file of files.sort()) sources.push({ path: file, format: format ?? (await detectFormat(file)), files: [file] });
  return sources;
}

function ffFilesOfPrefix(prefix: string): string[] {
  const directory = dirname(prefix);
  const base = basename(prefix);
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((name) => name.startsWith(`${base}.`) && /^\d+$/.test(name.slice(base.length + 1)))
    .map((name) => join(directory, name))
    .sort(byTid);
}

const byTid = (a: string, b: string) => (tidOfFfFile(a) ?? 0) - (tidOfFfFile(b) ?? 0);

/** The format of a file, from its first lines. */
export async function detectFormat(file: string): Promise<TraceFormat> {
  let count = 0;
  for await (const { text, line } of readLines(file)) {
    if (line === 1 && text === BPFTRACE_CSV_HEADER) return 'bpftrace-csv';
    if (isPlashLine(text)) return 'plash';
    if (++count >= 50) break;
  }
  return 'strace';
}

async function spoolStdin(): Promise<string> {
  if (stdinSpool) return stdinSpool;
  const directory = mkdtempSync(join(tmpdir(), 'forkscope-stdin-'));
  process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
  const file = join(directory, 'stdin');
  await pipeline(process.stdin, createWriteStream(file));
  stdinSpool = file;
  return file;
}

/**
 * Every event of every source, source after source. Stream ids are handed out in reading order,
 * so two reads of the same sources give the same ids (the analysis compares stamps across reads).
 */
export async function* readTrace(sources: TraceSource[], stats: InputStats[]): AsyncGenerator<TraceEvent> {
  let nextStream = 0;
  const newStream = () => nextStream++;
  for (const [i, source] of sources.entries()) {
    const events = readSource(source, stats[i], newStream);
    if (source.path !== '-') {
      yield* events;
      continue;
    }
    for await (const event of events) yield renameStdin(event, source.files[0]);
  }
}

function readSource(source: TraceSource, stats: InputStats, newStream: () => number): AsyncGenerator<TraceEvent> {
  switch (source.format) {
    case 'strace':
      return readEach(source.files, (file) => readStraceLog(file, stats, newStream()));
    case 'strace-ff':
      return readStraceFf(source.files, stats, newStream);
    case 'plash':
      return readEach(source.files, (file) => readPlashLog(file, stats, newStream));
    case 'bpftrace-csv':
      return readBpftraceCsv(source, stats, newStream());
  }
}

async function* readEach(files: string[], read: (file: string) => AsyncGenerator<TraceEvent>): AsyncGenerator<TraceEvent> {
  for (const file of files) yield* read(file);
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
