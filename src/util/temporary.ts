// forkscope's temporary files: files with no name, which nothing can leave behind, not even a
// SIGKILL, which no exit handler sees.

import { closeSync, mkdtempSync, openSync, rmdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
