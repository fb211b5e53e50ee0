// A `record` directory given to a command that reads traces: besides its trace, it may keep the
// /proc snapshot taken when the watchdog fired (proc-snapshot.json), which can prove a lock's
// holder the trace alone cannot. This reads it back, as a fact source for the analysis.

import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SyscallArgs, TreeSnapshot } from '../proc/snapshot.js';

export const SNAPSHOT_FILE = 'proc-snapshot.json';

/** Far more than any tree's snapshot: a bigger file is not one `record` wrote. */
const MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024;

export interface RecordedSnapshot {
  snapshot: TreeSnapshot;
  /** The file, for the sentences that cite it. */
  path: string;
}

/**
 * The snapshot of a record directory among the TRACE arguments (only when a single directory is
 * given: the snapshot belongs to that recording), or null when there is none. A file that is not a
 * snapshot is an error naming it.
 */
export function recordedSnapshot(paths: string[]): RecordedSnapshot | null {
  if (paths.length !== 1 || paths[0] === '-') return null;
  const path = join(paths[0]!, SNAPSHOT_FILE);
  let fd: number;
  try {
    // A link planted in the directory must not make forkscope read another file as the snapshot.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new Error(`${path}: cannot read the /proc snapshot (${code === 'ELOOP' ? 'a symbolic link' : code ?? String(error)})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${path}: not a regular file`);
    if (stat.size > MAX_SNAPSHOT_BYTES) throw new Error(`${path}: ${stat.size} bytes is not a /proc snapshot forkscope wrote`);
    return { snapshot: parseSnapshot(readFileSync(fd, 'utf8'), path), path };
  } finally {
    closeSync(fd);
  }
}

/** The JSON `record` wrote, with the syscall argument registers (written as hex) as bigints again. */
function parseSnapshot(text: string, path: string): TreeSnapshot {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not JSON (${(error as Error).message})`);
  }
  const snapshot = value as TreeSnapshot;
  if (!isObject(snapshot) || typeof snapshot.root !== 'number' || !Array.isArray(snapshot.processes)) {
    throw new Error(`${path}: not a forkscope /proc snapshot (no root pid or process list)`);
  }
  snapshot.warnings = Array.isArray(snapshot.warnings) ? snapshot.warnings.filter((w) => typeof w === 'string') : [];
  const processes = snapshot.rootParent ? [...snapshot.processes, snapshot.rootParent] : snapshot.processes;
  for (const [i, process] of processes.entries()) {
    const where = `${path}: process ${i + 1}`;
    if (!isObject(process) || typeof process.pid !== 'number' || typeof process.ppid !== 'number' || !Array.isArray(process.threads)) {
      throw new Error(`${where} has no pid, ppid or thread list`);
    }
    if (!Array.isArray(process.fds)) process.fds = [];
    for (const thread of process.threads) {
      if (!isObject(thread) || typeof thread.tid !== 'number') throw new Error(`${where} has a thread with no tid`);
      const syscall = thread.syscall;
      if (syscall === null || syscall === undefined) continue;
      const args = (syscall.args as unknown[]).map((arg) => (typeof arg === 'string' && /^0x[0-9a-f]+$/i.test(arg) ? BigInt(arg) : null));
      if (args.length !== 6 || args.some((a) => a === null)) throw new Error(`${where}, thread ${thread.tid}: the syscall arguments are not six hex numbers`);
      syscall.args = args as SyscallArgs;
    }
  }
  return snapshot;
}

function isObject(value: unknown): value is Record<string, unknown> & object {
  return typeof value === 'object' && value !== null;
}
