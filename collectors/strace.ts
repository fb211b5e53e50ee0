// The strace backend of `forkscope record`: `strace -f -tt -T -qq -o DIR/trace.strace -- CMD ARGS`
// (+ `-k` with --stacks, + `--seccomp-bpf -e trace=LIST` with --syscalls). strace is started in a
// new session, so a Ctrl-C at the terminal reaches forkscope only, which then stops the tree.

import { execa } from 'execa';
import { closeSync, openSync, readSync } from 'node:fs';
import { TreeTracker } from '../src/proc/tree.js';
import { checkCommand, endsWithin, exitStatusOf, sleep, startInOwnGroup } from './collector.js';
import type { Collector, RecordOptions } from './collector.js';
import { dyingWithForkscope } from './containment.js';

/** The calls the analysis reads: always traced, whatever --syscalls says. */
export const ESSENTIAL_SYSCALLS = [
  'futex', 'clone', 'clone3', 'fork', 'vfork', 'wait4', 'waitid', 'execve', 'exit', 'exit_group',
  // descriptors, for pipes held open
  'pipe', 'pipe2', 'socketpair', 'dup', 'dup2', 'dup3', 'fcntl', 'close', 'close_range', 'epoll_ctl',
  'read', 'readv', 'recvfrom', 'recvmsg', 'poll', 'ppoll', 'select', 'pselect6', 'epoll_wait', 'epoll_pwait',
];

/**
 * How record runs strace. -I1: a SIGTERM makes strace detach and leave (used for --keep-running);
 * the tree itself is killed by forkscope, and strace ends once its last tracee has. -s 4096 (PATH_MAX):
 * strace's default 32 cuts paths and command lines (`"/opt/python/3.11.7/bin"...`) and argv past 32
 * arguments; strace has no per-call size, so the data of traced reads and writes grows with it too.
 */
export const STRACE_RECORD_ARGS = ['-f', '-tt', '-T', '-qq', '-I1', '-s', '4096'];

export interface StraceFeatures {
  version: string;
  /** [major, minor] */
  numeric: [number, number];
  stacks: boolean;
  seccompBpf: boolean;
  killOnExit: boolean;
}

/** Runs `strace -V` and `strace -h`: which version, and which of the options record uses it has. */
export async function straceFeatures(): Promise<StraceFeatures> {
  const version = await execa('strace', ['-V'], { reject: false });
  if (version.failed && (version as { code?: string }).code === 'ENOENT') {
    throw new Error('strace is not installed (apt-get install strace), or use --backend bpftrace');
  }
  const match = /version (\d+)\.(\d+)/.exec(version.stdout);
  if (!match) throw new Error(`cannot read the strace version from: ${version.stdout.split('\n')[0]}`);
  const help = await execa('strace', ['-h'], { reject: false });
  const numeric: [number, number] = [Number(match[1]), Number(match[2])];
  return {
    version: `strace ${match[1]}.${match[2]}`,
    numeric,
    stacks: /stack-trace=/.test(version.stdout),
    // --seccomp-bpf appeared in strace 5.3.
    seccompBpf: /--seccomp-bpf/.test(help.stdout),
    killOnExit: /--kill-on-exit/.test(help.stdout),
  };
}

export async function startStrace(options: RecordOptions): Promise<Collector> {
  const features = await straceFeatures();
  const warnings: string[] = [];
  checkCommand(options.argv[0]!);
  // strace opens the file forkscope created, through forkscope's fd of the directory.
  options.dir.writeFile('trace.strace', '');
  const tracePath = options.dir.pathOf('trace.strace');
  const args = [...STRACE_RECORD_ARGS, '-o', options.dir.pathForChild('trace.strace')];
  if (features.killOnExit) args.push('--kill-on-exit');
  if (options.stacks) {
    if (features.stacks) args.push('-k');
    else warnings.push(`${features.version} was built without stack trace support (-k): recorded without --stacks`);
  }
  if (options.syscalls) {
    const traced = [...new Set([...options.syscalls, ...ESSENTIAL_SYSCALLS])];
    if (features.seccompBpf) args.push('--seccomp-bpf');
    else warnings.push(`${features.version} has no --seccomp-bpf (strace >= 5.3): every syscall still stops the tracee`);
    args.push('-e', `trace=${traced.join(',')}`);
  }
  args.push('--', ...options.argv);

  const strace = startInOwnGroup(...options.containment.enter(...dyingWithForkscope('strace', args)), options.targetIo);
  const tracerPid = strace.pid;
  if (tracerPid === undefined) throw new Error(`cannot start strace: ${(await strace).message}`);
  let ended = false;
  // strace exits with its first tracee's status (re-raising the signal that killed it).
  const rootExit = strace.then((result) => {
    ended = true;
    return exitStatusOf(result);
  });
  const rootPid = await tracedCommand(tracePath, () => ended);
  if (rootPid === null) {
    await rootExit;
    throw new Error(`strace did not start ${options.argv[0]} (see its message above)`);
  }

  return {
    backend: 'strace',
    version: features.version,
    tracePath,
    format: 'strace',
    rootPid,
    tree: new TreeTracker(tracerPid, { tracer: tracerPid }),
    tracerPid,
    rootExit,
    finished: () => ended,
    async finish({ detach }) {
      if (detach) strace.kill('SIGTERM');
      // Its tracees are gone (or detached): strace writes their ends and exits by itself.
      if (!(await endsWithin(rootExit, 5000))) strace.kill('SIGKILL');
      await rootExit;
    },
    abort() {
      strace.kill('SIGKILL');
    },
    warnings,
    lostEvents: null,
  };
}

/**
 * The command's pid: the pid column of the trace's first line (its execve). strace's first child
 * is not it: strace forks a short-lived child of its own first, to test ptrace options.
 */
async function tracedCommand(tracePath: string, ended: () => boolean): Promise<number | null> {
  for (let waited = 0; waited < 10_000; waited += 10) {
    const pid = firstPid(tracePath);
    if (pid !== null) return pid;
    if (ended()) return firstPid(tracePath);
    await sleep(10);
  }
  return null;
}

function firstPid(path: string): number | null {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    const text = head.toString('latin1', 0, readSync(fd, head, 0, head.length, 0));
    const match = /^(\d+) /.exec(text);
    return match ? Number(match[1]) : null;
  } finally {
    closeSync(fd);
  }
}
