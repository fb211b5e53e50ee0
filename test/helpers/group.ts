// Running programs that may hang, from tests: each in its own process group, bounded by a
// timeout, and the whole group killed at the end whatever happened, so no hung child survives
// into the next test run.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface GroupRun {
  /** The process group (the leader's pid), to check that nothing of it is left. */
  pgid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs argv in a new process group; after `timeoutMs` kills the group with `timeoutSignal`
 * (then SIGKILL). Always SIGKILLs the group once the leader is gone, so descendants die with it.
 */
export function runInGroup(
  argv: string[],
  options: { timeoutMs: number; cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutSignal?: NodeJS.Signals },
): Promise<GroupRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(options.input ?? '');
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // the group is already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(options.timeoutSignal ?? 'SIGKILL');
      setTimeout(() => killGroup('SIGKILL'), 2000).unref();
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup('SIGKILL');
      resolve({ pgid: child.pid!, code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Pids of live processes whose process group is `pgid` (for asserting nothing was left behind). */
export function processesInGroup(pgid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') found.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return found;
}
