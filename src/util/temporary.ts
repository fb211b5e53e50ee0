// Temporary directories that go with the process however it ends (util/lifetime.ts), a signal
// included, and files with no name, which not even a SIGKILL can leave behind.

import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atExit } from './lifetime.js';

export interface TemporaryDirectory {
  path: string;
  /** Removes it now (and forgets the removal at exit). */
  remove(): void;
}

/** A new private directory (mkdtemp: mode 0700, random name) under TMPDIR. */
export function temporaryDirectory(prefix: string): TemporaryDirectory {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const remove = atExit(() => rmSync(path, { recursive: true, force: true }));
  return { path, remove };
}

export interface AnonymousFile {
  /** Open for reading and writing. */
  fd: number;
  /** A name that opens it again while `fd` is open (/proc/PID/fd/N), for a program given a path (strace -o). */
  path: string;
  close(): void;
}

/**
 * A new private file (mode 0600) whose name is gone as soon as it is open: nothing is left on disk
 * however the process ends, a SIGKILL included, which no exit handler sees.
 */
export function anonymousFile(prefix: string): AnonymousFile {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  const name = join(directory, 'file');
  const fd = openSync(name, 'wx+', 0o600);
  unlinkSync(name);
  rmdirSync(directory);
  return { fd, path: `/proc/${process.pid}/fd/${fd}`, close: () => closeSync(fd) };
}
