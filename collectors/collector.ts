// What `forkscope record` needs from a backend (strace or bpftrace), and what both share:
// resolving the command without a shell, and turning a subprocess result into an exit status.

import { accessSync, constants, statSync } from 'node:fs';
import { execa } from 'execa';
import type { Options } from 'execa';
import { delimiter, join } from 'node:path';
import type { ExitStatus } from '../src/model/events.js';
import type { TraceFormat } from '../parsers/types.js';
import type { TreeTracker } from '../src/proc/tree.js';
import type { OwnDirectory } from '../src/util/own-directory.js';
import type { Containment } from './containment.js';

export type TargetIo = Required<Pick<Options, 'stdin' | 'stdout' | 'stderr'>>;

export interface RecordOptions {
  /** The command and its arguments, exactly as given: never through a shell. */
  argv: string[];
  /** The directory the trace goes to: files are created only through it. */
  dir: OwnDirectory;
  /** The target's standard streams: inherited, or elsewhere (stdout to forkscope's stderr for --json, a file under the TUI). */
  targetIo: TargetIo;
  stacks: boolean;
  /** Syscalls to trace (strace -e trace=), null for all. */
  syscalls: string[] | null;
  /** The group the traced tree runs in. */
  containment: Containment;
}

export interface Collector {
  backend: 'strace' | 'bpftrace';
  /** e.g. `strace 6.1`, `bpftrace v0.17.0`. */
  version: string;
  tracePath: string;
  format: TraceFormat;
  /** The target's root process (the command itself). */
  rootPid: number;
  /** Every process of the traced tree, for the watchdog and for killing. */
  tree: TreeTracker;
  /** The tracer's pid: strace, or bpftrace. */
  tracerPid: number;
  /** Resolves with the command's own exit status once it has ended (null: unknown). */
  rootExit: Promise<ExitStatus | null>;
  /** Whether the whole traced tree has ended (nothing left to watch). */
  finished(): boolean;
  /** Ends the trace once the tree is gone, or with `detach`, leaves the tree running untraced. */
  finish(options: { detach: boolean }): Promise<void>;
  /** Kills the tracer at once (exit paths that cannot wait). Synchronous. */
  abort(): void;
  /** Things the report should say about the recording (lost events, missing features). */
  warnings: string[];
  /** bpftrace's count of events it could not keep (null for strace: ptrace loses nothing). */
  lostEvents: number | null;
}

/** A regular file this user may execute (access(2) also refuses one on a noexec mount). */
function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Where execvp(3) would find `command`, or null. */
export function findExecutable(command: string): string | null {
  if (command.includes('/')) return isExecutable(command) ? command : null;
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const path = join(dir || '.', command);
    if (isExecutable(path)) return path;
  }
  return null;
}

/** Checks the program exists and can be executed, so a typo fails before anything is created. */
export function checkCommand(command: string): void {
  if (findExecutable(command)) return;
  throw new Error(command.includes('/') ? `${command}: not found, or not an executable file` : `${command}: command not found in PATH`);
}

/** An exit status from execa's result fields: a code, or the signal that ended it. */
export function exitStatusOf(result: { exitCode?: number; signal?: string }): ExitStatus | null {
  if (result.signal) return { signal: result.signal };
  if (result.exitCode !== undefined) return { code: result.exitCode };
  return null;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for a subprocess to end, up to `ms`; false when it is still running. */
export async function endsWithin(done: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const result = await Promise.race([done.then(() => true as const), timeout]);
  clearTimeout(timer);
  return result;
}

/**
 * Starts the program (or the tracer that starts it) in its own process group, sharing the
 * terminal unless `io` sends its streams elsewhere: forkscope kills the tree itself, so execa must
 * neither kill nor reject on its own.
 */
export function startInOwnGroup(file: string, args: string[], io: TargetIo) {
  return execa(file, args, { detached: true, cleanup: false, reject: false, ...io });
}
