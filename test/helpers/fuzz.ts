// Property-based fuzzing of the readers and the analysis (issue 9): inputs are real recorded traces
// (samples/, test/fixtures/) cut to a window and mutated as a broken recorder, a careless paste or a
// hostile program would (cut and swapped lines, bytes flipped, NUL and invalid UTF-8, random and
// huge numbers in pid/futex/result fields, stray `<unfinished ...>`/`resumed` fragments), then read
// through the public entry points the CLI uses (resolveInputs, the pipeline's analyzeTrace, the
// text and JSON views). An expected outcome is a report, or a clean error naming the input
// (`path: reason` or `path:line: reason`); anything else thrown is a bug. Shared by
// test/fuzz.test.ts (a seeded run) and bench/fuzz.ts (the long run).

import fc from 'fast-check';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { resolveInputs } from '../../parsers/index.js';
import { TRACE_FORMATS } from '../../parsers/types.js';
import type { TraceFormat } from '../../parsers/types.js';
import { analyzeTrace } from '../../src/pipeline.js';
import { renderJson } from '../../src/views/json.js';
import { renderText } from '../../src/views/text.js';
import { repoPath } from './repo.js';

/** A recorded trace to mutate: its files' lines, and how it is named on disk. */
export interface FuzzSeed {
  name: string;
  kind: 'file' | 'ff';
  /** File names (for `-ff`, `trace.TID`) and their lines. */
  files: { name: string; lines: string[] }[];
}

/** Every trace under samples/ and test/fixtures/: strace -f logs, -ff sets, PlashGlibc logs, bpftrace CSVs. */
export function loadSeeds(): FuzzSeed[] {
  const seeds: FuzzSeed[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir).sort();
    const numbered = entries.filter((e) => /^trace\.\d+$/.test(e));
    if (numbered.length > 0) {
      seeds.push({ name: dir, kind: 'ff', files: numbered.map((e) => ({ name: e, lines: linesOf(join(dir, e)) })) });
    }
    for (const entry of entries) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(log|csv)$/.test(entry)) seeds.push({ name: path, kind: 'file', files: [{ name: basename(path), lines: linesOf(path) }] });
    }
  };
  walk(repoPath('samples'));
  walk(repoPath('test/fixtures'));
  return seeds;
}

function linesOf(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n');
}

type LineMutation =
  | { kind: 'cut'; line: number; at: number }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'duplicate'; a: number; b: number }
  | { kind: 'delete'; line: number }
  | { kind: 'number'; line: number; occurrence: number; value: string }
  | { kind: 'char'; line: number; at: number; char: string }
  | { kind: 'fragment'; line: number; text: string; asLine: boolean };

type ByteMutation = { kind: 'flip'; at: number; value: number } | { kind: 'insert'; at: number; bytes: number[] };

export interface FuzzInput {
  seed: number;
  /** Which of the seed's files is mutated. */
  file: number;
  /** The window of lines kept: from `start` (modulo the length), `length` lines. */
  start: number;
  length: number;
  lines: LineMutation[];
  bytes: ByteMutation[];
  /** `--format` forced (a user may force the wrong one), or detection. */
  format: TraceFormat | null;
}

const NUMBERS = [
  '0', '1', '-1', '2', '4294967295', '4294967296', '2147483648', '-2147483649', '18446744073709551615',
  '99999999999999999999999999999999', '9007199254740993', '0x0', '0xffffffffffffffff', '0x', '1e308', 'NaN', '00', '-0',
];

const FRAGMENTS = [
  ' <unfinished ...>', '<unfinished ...>', '<... futex resumed>) = 0', '<... wait4 resumed>) = ?', '<... clone resumed>) = 7',
  '<... restart_syscall resumed>) = -1 ETIMEDOUT (Connection timed out)', 'restart_syscall(<... resuming interrupted futex ...>',
  'restart_syscall(<... resuming interrupted futex ...>) = 0', '+++ exited with 0 +++', '+++ killed by SIGKILL +++',
  '+++ superseded by execve in pid 1 +++', '--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=2} ---',
  '--- stopped by SIGSTOP ---', ' = ? ERESTARTSYS (To be restarted if SA_RESTART is set)', ' = ? ERESTART_RESTARTBLOCK (Interrupted by signal)',
  'futex(0x1, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>', 'futex(0x1, FUTEX_WAKE_PRIVATE, 1) = 1', 'wait4(-1, <unfinished ...>',
  'clone(child_stack=NULL, flags=SIGCHLD) = 3', 'clone3({flags=CLONE_VM|CLONE_THREAD, exit_signal=0} => {parent_tid=[4]}, 88) = 4',
  'vfork() = 5', 'exit_group(0) = ?', ' > /usr/lib/libc.so.6(__lll_lock_wait+0x2d) [0x8f2ad]', 'strace: Process 9 attached',
  'cloned 12: started pid 13', '[pid 77] ', '1000  ', '10:00:00.000001 ', '1700000000.000001 ', ' (+ 0.000100) ', ' <0.000010>', '"\\x1b]0;owned\\x07"',
  'ns,tgid,tid,comm,event,call,a1,a2,a3,a4,a5,text', '1,2,3,x,enter,futex,0x10,128,2,,,', '1,2,3,x,exit,futex,0,,,,,', '1,2,3,x,fork,process,4,4,0,,,',
];

const CHARS = ['\0', '\x1b', '\x07', '\r', '\t', '(', ')', '{', '}', '[', ']', '"', '<', '>', '\\', ',', '=', ' ', '|', '?', '\ufffd', '\ud800', '\u2028', '9', 'x'];

/** Invalid or odd UTF-8: a lone continuation byte, a cut sequence, an encoded surrogate, an overlong NUL, a NUL. */
const BYTES = [[0xff], [0x80], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0x80], [0x00], [0x0a], [0x0d]];

const lineMutation: fc.Arbitrary<LineMutation> = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), line: fc.nat(), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), line: fc.nat() }),
  fc.record({
    kind: fc.constant('number' as const),
    line: fc.nat(),
    occurrence: fc.nat(8),
    value: fc.oneof(fc.constantFrom(...NUMBERS), fc.integer().map(String), fc.bigInt({ min: 0n, max: 1n << 80n }).map((n) => `0x${n.toString(16)}`)),
  }),
  fc.record({ kind: fc.constant('char' as const), line: fc.nat(), at: fc.nat(), char: fc.oneof(fc.constantFrom(...CHARS), fc.string({ maxLength: 1 })) }),
  fc.record({ kind: fc.constant('fragment' as const), line: fc.nat(), text: fc.constantFrom(...FRAGMENTS), asLine: fc.boolean() }),
);

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.constantFrom(...BYTES) }),
);

export function fuzzInputs(seeds: readonly FuzzSeed[]): fc.Arbitrary<FuzzInput> {
  return fc.record({
    seed: fc.nat(seeds.length - 1),
    file: fc.nat(),
    start: fc.oneof(fc.constant(0), fc.nat()),
    length: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 40 }) }, { weight: 1, arbitrary: fc.constant(150) }),
    lines: fc.array(lineMutation, { minLength: 0, maxLength: 6 }),
    bytes: fc.array(byteMutation, { maxLength: 3 }),
    format: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...TRACE_FORMATS) }),
  });
}

/** The mutated seed's files as bytes. */
export function mutate(seeds: readonly FuzzSeed[], input: FuzzInput): { name: string; bytes: Buffer }[] {
  const seed = seeds[input.seed]!;
  const target = input.file % seed.files.length;
  return seed.files.map((file, i) => {
    if (i !== target) return { name: file.name, bytes: Buffer.from(file.lines.join('\n')) };
    // A bpftrace CSV keeps its header (detection needs it) unless a mutation takes it.
    const header = file.lines[0]?.startsWith('ns,') ? file.lines.slice(0, 1) : [];
    const body = file.lines.slice(header.length);
    const start = body.length === 0 ? 0 : input.start % body.length;
    const lines = [...header, ...body.slice(start, start + input.length)];
    for (const m of input.lines) applyLineMutation(lines, m);
    let bytes: Buffer = Buffer.from(lines.join('\n') + '\n');
    for (const m of input.bytes) bytes = applyByteMutation(bytes, m);
    return { name: file.name, bytes };
  });
}

function applyLineMutation(lines: string[], m: LineMutation): void {
  if (lines.length === 0) return;
  const at = (n: number) => n % lines.length;
  switch (m.kind) {
    case 'cut': {
      const line = lines[at(m.line)]!;
      lines[at(m.line)] = line.slice(0, m.at % (line.length + 1));
      break;
    }
    case 'swap': {
      const a = lines[at(m.a)]!;
      lines[at(m.a)] = lines[at(m.b)]!;
      lines[at(m.b)] = a;
      break;
    }
    case 'duplicate':
      lines.splice(at(m.b), 0, lines[at(m.a)]!);
      break;
    case 'delete':
      lines.splice(at(m.line), 1);
      break;
    case 'number': {
      let seen = 0;
      lines[at(m.line)] = lines[at(m.line)]!.replace(/0x[0-9a-f]+|\d+/gi, (n) => (seen++ === m.occurrence ? m.value : n));
      break;
    }
    case 'char': {
      const line = lines[at(m.line)]!;
      const i = m.at % (line.length + 1);
      lines[at(m.line)] = line.slice(0, i) + m.char + line.slice(i + 1);
      break;
    }
    case 'fragment': {
      if (m.asLine) lines.splice(at(m.line), 0, m.text);
      else lines[at(m.line)] += m.text;
      break;
    }
  }
}

function applyByteMutation(bytes: Buffer, m: ByteMutation): Buffer {
  if (bytes.length === 0) return bytes;
  const at = m.at % bytes.length;
  if (m.kind === 'flip') {
    const copy = Buffer.from(bytes);
    copy[at] = m.value;
    return copy;
  }
  return Buffer.concat([bytes.subarray(0, at), Buffer.from(m.bytes), bytes.subarray(at)]);
}

export type FuzzOutcome = { kind: 'report'; findings: number } | { kind: 'error'; message: string } | { kind: 'crash'; error: unknown };

/**
 * Writes the mutated input into a directory of `root` (one per seed, its files overwritten) and
 * runs it as `forkscope analyze` would, text and JSON. A thrown Error whose message names the
 * input (the file, or the -ff directory) is a clean error; anything else is a crash.
 */
export async function runFuzzInput(root: string, seeds: readonly FuzzSeed[], input: FuzzInput): Promise<FuzzOutcome> {
  const dir = join(root, String(input.seed));
  mkdirSync(dir, { recursive: true });
  const seed = seeds[input.seed]!;
  const files = mutate(seeds, input);
  for (const file of files) writeFileSync(join(dir, file.name), file.bytes);
  const path = seed.kind === 'ff' ? dir : join(dir, files[0]!.name);
  try {
    const sources = await resolveInputs([path], input.format ? { format: input.format } : {});
    const analysis = await analyzeTrace(sources);
    renderText(analysis, { color: false });
    renderJson(analysis);
    return { kind: 'report', findings: analysis.findings.length };
  } catch (error) {
    if (isCleanError(error, dir)) return { kind: 'error', message: (error as Error).message };
    return { kind: 'crash', error };
  }
}

/** A plain Error saying which input (a path under `dir`) and why, on one line. */
function isCleanError(error: unknown, dir: string): boolean {
  if (!(error instanceof Error) || error.constructor !== Error) return false;
  return error.message.startsWith(dir) && !error.message.includes('\n');
}
