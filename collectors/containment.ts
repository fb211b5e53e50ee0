// Keeping what `record` starts from outliving it, whatever ends forkscope, SIGKILL included.
//
// - The tracer (strace, bpftrace, attach's strace -p) runs with a parent-death signal
//   (`setpriv --pdeathsig KILL`): it dies with forkscope. strace 6.1 then detaches its tracees
//   (it has no --kill-on-exit), so the tree needs more:
// - the traced tree runs in a cgroup v2 group of its own, created under forkscope's own group
//   (`/sys/fs/cgroup`, or `/sys/fs/cgroup/unified` on hybrid hosts). Every process it forks stays in
//   it, also a daemon that double-forks and calls setsid(); `cgroup.kill` kills them all at once.
//   The program is put in the group by a two-word `sh -c` that moves itself there and then execs
//   it (Node cannot start a process inside a cgroup); the command's words stay arguments, never
//   shell text.
// - a supervisor, a `sh` in a session of its own, waits for forkscope on a pipe: when forkscope
//   ends without killing the supervisor first (it was SIGKILLed), it gets EOF, kills the group and
//   removes it. forkscope kills the supervisor itself once it has cleaned up.
// Where no cgroup v2 hierarchy is writable, the tree is contained by its process group and the
// pids forkscope saw: a SIGKILL of forkscope then leaves it running (said on stderr and in meta.json).

import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { findExecutable } from './collector.js';
import { sleepSync } from '../src/proc/tree.js';

/** statfs f_type of a cgroup v2 mount. */
const CGROUP2_SUPER_MAGIC = 0x63677270;
const CGROUP2_MOUNTS = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'];

/** How the tree was contained, as meta.json says it. */
export interface ContainmentInfo {
  method: 'cgroup-v2' | 'process-group';
  /** The cgroup directory (removed when the recording ends). */
  path: string | null;
  /** Why there is no cgroup, when there is none. */
  reason?: string;
}

const SUPERVISOR = [
  // $0: the group. Waits for EOF on stdin: forkscope has gone without cleaning up.
  'while read -r _; do :; done',
  'echo 1 > "$0/cgroup.kill" 2>/dev/null',
  'i=0',
  'while [ -d "$0" ] && ! rmdir "$0" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done',
].join('\n');

const ENTER_GROUP = 'echo 0 > "$0/cgroup.procs" && exec "$@"';

export class Containment {
  private supervisor: ReturnType<typeof execa> | null = null;

  private constructor(
    readonly info: ContainmentInfo,
    /** forkscope's own group, where a tree left running (--keep-running) is moved back. */
    private readonly home: string | null,
  ) {}

  /** A new cgroup for one recording, or the process-group fallback with the reason. */
  static create(): Containment {
    const found = ownCgroup();
    if ('reason' in found) return new Containment({ method: 'process-group', path: null, reason: found.reason }, null);
    const path = join(found.home, `forkscope-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(path, { mode: 0o755 });
    } catch (error) {
      return new Containment({ method: 'process-group', path: null, reason: `cannot create a cgroup in ${found.home}: ${(error as Error).message}` }, null);
    }
    if (!existsSync(join(path, 'cgroup.kill'))) {
      rmdirSync(path);
      return new Containment({ method: 'process-group', path: null, reason: 'the kernel has no cgroup.kill (Linux >= 5.14)' }, null);
    }
    const containment = new Containment({ method: 'cgroup-v2', path }, found.home);
    containment.supervisor = execa('/bin/sh', ['-c', SUPERVISOR, path], {
      detached: true,
      cleanup: false,
      reject: false,
      stdin: 'pipe',
      stdout: 'ignore',
      stderr: 'ignore',
    });
    // Neither the supervisor nor its pipe keeps forkscope's event loop alive.
    containment.supervisor.unref();
    (containment.supervisor.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return containment;
  }

  /** `file args` run inside the group (unchanged for the process-group fallback). */
  enter(file: string, args: string[]): [string, string[]] {
    if (!this.info.path) return [file, args];
    return ['/bin/sh', ['-c', ENTER_GROUP, this.info.path, file, ...args]];
  }

  /** The processes in the group now. */
  members(): number[] {
    if (!this.info.path) return [];
    try {
      return readFileSync(join(this.info.path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** SIGKILLs everything left in the group, and waits (up to 2 s) until it is empty; returns the pids killed. */
  killAll(): number[] {
    const members = this.members();
    if (!this.info.path || members.length === 0) return [];
    writeFileSync(join(this.info.path, 'cgroup.kill'), '1');
    for (let waited = 0; waited < 2000 && this.members().length > 0; waited += 5) sleepSync(5);
    return members;
  }

  /** Moves what is in the group back to forkscope's own group: a tree left running (--keep-running) is not killed. */
  release(): void {
    if (!this.home) return;
    for (const pid of this.members()) {
      try {
        writeFileSync(join(this.home, 'cgroup.procs'), String(pid));
      } catch {
        // it exited meanwhile
      }
    }
  }

  /** Kills what is left (unless released), removes the group and stops the supervisor. Synchronous. */
  close(): void {
    if (this.info.path && existsSync(this.info.path)) {
      this.killAll();
      try {
        rmdirSync(this.info.path);
      } catch (error) {
        process.stderr.write(`forkscope: cannot remove the cgroup ${this.info.path}: ${(error as Error).message}\n`);
      }
    }
    this.supervisor?.kill('SIGKILL');
    this.supervisor = null;
  }
}

/** forkscope's own cgroup v2 directory, or why there is none to use. */
function ownCgroup(): { home: string } | { reason: string } {
  const mount = CGROUP2_MOUNTS.find((path) => {
    try {
      return statfsSync(path).type === CGROUP2_SUPER_MAGIC;
    } catch {
      return false;
    }
  });
  if (!mount) return { reason: `no cgroup v2 hierarchy is mounted (at ${CGROUP2_MOUNTS.join(' or ')})` };
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('0::'));
  if (!line) return { reason: 'this process is in no cgroup v2 group (/proc/self/cgroup)' };
  return { home: join(mount, line.slice(3)) };
}

/**
 * `file args` with a parent-death signal: the process is SIGKILLed when forkscope dies, however it
 * dies. Used for tracers (never for the traced program: --keep-running must leave it running).
 */
export function dyingWithForkscope(file: string, args: string[]): [string, string[]] {
  const setpriv = findExecutable('setpriv');
  if (!setpriv) return [file, args];
  return [setpriv, ['--pdeathsig', 'KILL', '--', file, ...args]];
}
