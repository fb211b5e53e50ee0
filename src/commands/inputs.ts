// What every command that reads a trace shares on its command line: the TRACE arguments, --format,
// and turning a failure into a clear message and exit code 2 (1 is reserved for "hang found"). Only
// what registering the commands needs: reading the traces is in sources.ts, loaded when one runs.

import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { TRACE_FORMATS } from '../../parsers/types.js';
import type { TraceFormat } from '../../parsers/types.js';
import { sayOnStderr } from '../util/output.js';

export const EXIT_OK = 0;
export const EXIT_HANG = 1;
export const EXIT_ERROR = 2;

export interface InputOptions {
  format?: TraceFormat;
  /** Directories holding copies of the traced program's files (`--objects`). */
  objects: string[];
}

/**
 * The TRACE arguments and the option forcing their format (`--format`; `--input-format` where
 * `--format` names what a command writes, as export's); `stdin: false` for a command that reads
 * keys from stdin (the TUI).
 */
export function withTraceInputs(command: Command, { stdin = true, formatFlag = '--format' } = {}): Command {
  const traces = 'strace -f log, strace -ff files (or their prefix or directory), PlashGlibc log, bpftrace CSV';
  return command
    .argument('<trace...>', stdin ? `${traces}, or - for stdin` : traces)
    .addOption(new Option(`${formatFlag} <format>`, 'force the input format instead of detecting it').choices([...TRACE_FORMATS]))
    .option(
      '--objects <dir>',
      'a directory holding the traced program (or a library) under its file name, when the path the trace shows holds none, to name locks (repeatable; the trace\'s own directory is searched too)',
      (dir: string, dirs: string[]) => [...dirs, dir],
      [],
    );
}

/** Runs a command body; an error becomes `forkscope: message` and exit code 2. */
export async function runCommand(body: () => Promise<number>): Promise<void> {
  let code: number;
  try {
    code = await body();
  } catch (error) {
    sayOnStderr(error instanceof Error ? error.message : String(error));
    code = EXIT_ERROR;
  }
  process.exitCode = code;
}

/** A commander argument parser for an option that takes a duration: a number of seconds > 0. */
export function seconds(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('a number of seconds > 0');
  return value;
}
