// For tests that run `forkscope record` / `attach` on real hanging programs. forkscope starts its
// target in a new session, out of reach of the test's process-group kill, so every process a test
// starts carries a marker in its environment: afterwards the test asserts that no live process
// has it, and kills any that does (pass or fail).

import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { GroupRun } from './group.js';
import { childrenOf } from '../../src/proc/tree.js';
import { CLI, REPO, repoPath } from './repo.js';

export const MARK_VARIABLE = 'FORKSCOPE_TEST_MARK';

/** A marker and an environment carrying it. */
export function marked(): { mark: string; env: NodeJS.ProcessEnv } {
  const mark = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  return { mark, env: { ...process.env, NO_COLOR: '1', [MARK_VARIABLE]: mark } };
}

/** Live (non-zombie) processes whose environment carries the marker. */
export function markedProcesses(mark: string): number[] {
  const needle = `\0${MARK_VARIABLE}=${mark}\0`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (`\0${readFileSync(`/proc/${entry}/environ`, 'latin1')}`.includes(needle)) found.push(Number(entry));
    } catch {
      // gone, or a kernel thread
    }
  }
  return found;
}

/** Kills every marked process; returns the pids that were still there. */
export function killMarked(mark: string): number[] {
  const left = markedProcesses(mark);
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  return left;
}

/**
 * `forkscope ARGS` in its own process group, bounded by a timeout. Done when forkscope exits: a
 * tree it left running (--keep-running) still holds the output pipes, so their end cannot be awaited.
 */
export function forkscope(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<GroupRun> {
  return new Promise((resolve, reject) => {
    const cli = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    cli.stdout.on('data', (d) => (stdout += d));
    cli.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      process.kill(-cli.pid!, 'SIGKILL');
    }, timeoutMs);
    cli.on('error', reject);
    cli.on('exit', (code, signal) => {
      clearTimeout(timer);
      // Let what forkscope wrote last come through the pipes, then stop reading them.
      setTimeout(() => {
        try {
          process.kill(-cli.pid!, 'SIGKILL');
        } catch {
          // the group is gone
        }
        cli.stdout.destroy();
        cli.stderr.destroy();
        resolve({ code, signal, stdout, stderr, timedOut, pgid: cli.pid! });
      }, 200);
    });
  });
}

/** Compiles a sample's C program into `dir` (the test's own temporary directory). */
export function buildSample(sample: string, dir: string): string {
  const source = readdirSync(repoPath('samples', sample)).find((f) => f.endsWith('.c'));
  if (!source) throw new Error(`no C program in samples/${sample}`);
  const program = join(dir, sample);
  execFileSync('gcc', ['-O0', '-pthread', '-o', program, repoPath('samples', sample, source)]);
  return program;
}

/** The /proc/PID/task/TID/syscall numbers of a process's threads. */
function syscallsOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map((tid) =>
      Number(readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').split(' ')[0]),
    );
  } catch {
    return [];
  }
}


/**
 * Starts a program that hangs in its own process group (with the marker), and resolves once one
 * of its children sits in futex (syscall 202 on x86_64) for `settleMs`: the hang is in place.
 * `stdoutFile`: where its stdout goes (what it prints it knows: TIDs, addresses), else nowhere.
 */
export async function startHung(argv: string[], env: NodeJS.ProcessEnv, settleMs = 800, stdoutFile?: string): Promise<ChildProcess> {
  const out = stdoutFile ? openSync(stdoutFile, 'w') : 'ignore';
  const child = spawn(argv[0]!, argv.slice(1), { env, detached: true, stdio: ['ignore', out, 'ignore'] });
  if (typeof out === 'number') closeSync(out);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (childrenOf(child.pid!).some((c) => syscallsOf(c).includes(202))) {
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      return child;
    }
  }
  throw new Error(`${argv.join(' ')} did not hang within 15 s`);
}

/**
 * The files process `pid` holds open that were made under `directory` and have no name any more
 * (forkscope's temporary files: nothing of them is left on disk however it ends), as the
 * /proc/PID/fd/N names that reach them.
 */
export function unnamedFilesUnder(pid: number, directory: string): string[] {
  const held: string[] = [];
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return held;
  }
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith(`${directory}/`) && target.endsWith(' (deleted)')) held.push(`/proc/${pid}/fd/${fd}`);
    } catch {
      // closed meanwhile
    }
  }
  return held;
}
