// Paths of the repository seen from the compiled tests (dist/test/...), and running the built CLI.

import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = join(REPO, 'dist/src/cli.js');

export const repoPath = (...parts: string[]) => join(REPO, ...parts);

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `forkscope ARGS` to completion (for commands that end by themselves). */
export function runCli(args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const run = spawnSync(process.execPath, [CLI, ...args], {
    cwd: REPO,
    input: options.input ?? '',
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
