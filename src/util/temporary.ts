// Temporary directories that go with the process however it ends (util/lifetime.ts), a signal
// included.

import { mkdtempSync, rmSync } from 'node:fs';
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
