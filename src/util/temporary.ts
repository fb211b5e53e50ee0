// Temporary directories that go with the process however it ends: a `finally` does not run when a
// signal handler calls process.exit (as the TUI's do, after restoring the terminal), but 'exit'
// listeners do.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TemporaryDirectory {
  path: string;
  /** Removes it now (and forgets the removal at exit). */
  remove(): void;
}

export function temporaryDirectory(prefix: string): TemporaryDirectory {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const removeAtExit = () => rmSync(path, { recursive: true, force: true });
  process.once('exit', removeAtExit);
  return {
    path,
    remove() {
      process.removeListener('exit', removeAtExit);
      removeAtExit();
    },
  };
}
