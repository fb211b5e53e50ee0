// The bpftrace backend of `forkscope record`: runs collectors/forkscope.bt with forkscope's pid as
// the launcher, waits until its header line is written (every probe attached), then starts the
// command itself (execa, new session): the .bt program adopts it as the root of the traced tree.
// bpftrace writes to DIR/trace.csv line-buffered, read back by parsers/bpftrace-csv.ts.

import { execa } from 'execa';
import { closeSync, createReadStream, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TreeTracker } from '../src/proc/tree.js';
import { checkCommand, endsWithin, exitStatusOf, sleep, startInOwnGroup } from './collector.js';
import type { Collector, RecordOptions } from './collector.js';

/** The program, shipped beside the compiled collectors (dist/collectors/ -> collectors/). */
export const BPFTRACE_PROGRAM = fileURLToPath(new URL('../../collectors/forkscope.bt', import.meta.url));

const TRACEFS = '/sys/kernel/tracing';
/** CAP_SYS_ADMIN (21) or CAP_BPF (39) + CAP_PERFMON (38) let bpftrace load and attach programs. */
const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

/** Checks what bpftrace needs, mounting tracefs when it can; throws with what to do. */
export async function checkBpftrace(): Promise<string> {
  const version = await execa('bpftrace', ['--version'], { reject: false });
  if ((version as { code?: string }).code === 'ENOENT') {
    throw new Error('bpftrace is not installed: apt-get install bpftrace (or use --backend strace)');
  }
  const capabilities = BigInt('0x' + (/^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'));
  const has = (cap: bigint) => (capabilities & (1n << cap)) !== 0n;
  if (!has(CAP_SYS_ADMIN) && !(has(CAP_BPF) && has(CAP_PERFMON))) {
    throw new Error('bpftrace needs root (or CAP_BPF and CAP_PERFMON): run forkscope record with sudo, or use --backend strace');
  }
  if (!existsSync(`${TRACEFS}/events/syscalls`)) {
    const mounted = await execa('mount', ['-t', 'tracefs', 'nodev', TRACEFS], { reject: false });
    if (mounted.failed || !existsSync(`${TRACEFS}/events/syscalls`)) {
      throw new Error(
        `tracefs is not mounted at ${TRACEFS} and mounting it failed (${mounted.stderr.trim() || mounted.message}); ` +
          `as root: mount -t tracefs nodev ${TRACEFS} (the kernel also needs CONFIG_FTRACE_SYSCALLS)`,
      );
    }
  }
  return version.stdout.trim();
}

export async function startBpftrace(options: RecordOptions): Promise<Collector> {
  const version = await checkBpftrace();
  checkCommand(options.argv[0]!);
  const warnings: string[] = [];
  if (options.stacks) warnings.push('--stacks is only recorded by the strace backend');
  if (options.syscalls) warnings.push('--syscalls is for the strace backend; the bpftrace collector records a fixed set');
  const tracePath = join(options.dir, 'trace.csv');
  const traceFd = openSync(tracePath, 'wx', 0o600);
  let stderr = '';
  const bpftrace = spawnBpftrace(traceFd);
  closeSync(traceFd);
  bpftrace.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let tracerEnded = false;
  const tracerExit = bpftrace.then((result) => {
    tracerEnded = true;
    return result;
  });
  const abort = () => bpftrace.kill('SIGKILL');
  try {
    await waitForHeader(tracePath, () => tracerEnded);
  } catch (error) {
    abort();
    throw new Error(`${(error as Error).message}${bpftraceErrors(stderr)}`);
  }

  const target = startInOwnGroup(options.argv[0]!, options.argv.slice(1), options.targetIo);
  if (target.pid === undefined) {
    abort();
    throw new Error(`cannot start ${options.argv[0]}: ${(await target).message}`);
  }
  const rootPid = target.pid;
  const tree = new TreeTracker(rootPid, { session: rootPid });
  let rootEnded = false;
  const rootExit = target.then((result) => {
    rootEnded = true;
    return exitStatusOf(result);
  });

  const collector: Collector = {
    backend: 'bpftrace',
    version,
    tracePath,
    format: 'bpftrace-csv',
    rootPid,
    tree,
    tracerPid: bpftrace.pid!,
    rootExit,
    finished: () => rootEnded && tree.scan().length === 0,
    async finish({ detach }) {
      // A tree left running must not keep forkscope waiting for it.
      if (detach) target.unref();
      // bpftrace's reader may still be behind: let it drain before stopping it.
      await untilStable(tracePath, 300, 5000);
      bpftrace.kill('SIGINT');
      if (!(await endsWithin(tracerExit, 10_000))) abort();
      await tracerExit;
      collector.lostEvents = (await countLostEvents(tracePath)) + countLostIn(stderr);
      if (collector.lostEvents > 0) {
        warnings.push(`bpftrace lost ${collector.lostEvents} events (its per-CPU buffers overflowed): the trace has holes`);
      }
      const errors = bpftraceErrors(stderr);
      if (errors) warnings.push(`bpftrace said:${errors}`);
    },
    abort,
    warnings,
    lostEvents: null,
  };
  return collector;
}

/**
 * Starts bpftrace on the collector program with forkscope as the launcher, its CSV going straight
 * into `traceFd` (not through a pipe to node: execa hands a fd number to spawn as is, though its
 * types only name 1 and 2). The next process forkscope starts becomes the traced root.
 */
export function spawnBpftrace(traceFd: number) {
  return execa('bpftrace', ['-q', '-B', 'line', BPFTRACE_PROGRAM, String(process.pid)], {
    detached: true,
    cleanup: false,
    reject: false,
    stdin: 'ignore',
    stdout: traceFd as unknown as 1,
    stderr: 'pipe',
    buffer: false,
    env: {
      // Room for long execve paths, many live tasks and bursts of events.
      BPFTRACE_STRLEN: '200',
      BPFTRACE_MAP_KEYS_MAX: '65536',
      BPFTRACE_PERF_RB_PAGES: '1024',
    },
  });
}

/** The header is printed by BEGIN, which bpftrace runs once every probe is attached. */
export async function waitForHeader(path: string, ended: () => boolean): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 20) {
    if (statSync(path).size > 0) return;
    if (ended()) throw new Error('bpftrace stopped before tracing started');
    await sleep(20);
  }
  throw new Error('bpftrace did not start tracing within 60 s');
}

/** Waits until a file stops growing for `quietMs` (at most `maxMs`). */
export async function untilStable(path: string, quietMs: number, maxMs: number): Promise<void> {
  let size = statSync(path).size;
  let quietSince = Date.now();
  for (const started = Date.now(); Date.now() - started < maxMs; ) {
    await sleep(50);
    const now = statSync(path).size;
    if (now !== size) {
      size = now;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) {
      return;
    }
  }
}

/** bpftrace 0.17 writes `Lost N events` into its output (newer versions to stderr): both are read. */
export async function countLostEvents(path: string): Promise<number> {
  let lost = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (line.startsWith('Lost ')) lost += countLostIn(line);
  }
  return lost;
}

function countLostIn(text: string): number {
  let lost = 0;
  for (const match of text.matchAll(/Lost (\d+) events/g)) lost += Number(match[1]);
  return lost;
}

/** stderr without the harmless RLIMIT_MEMLOCK notice (kernels >= 5.11 account BPF memory by cgroup). */
function bpftraceErrors(stderr: string): string {
  const lines = stderr
    .split('\n')
    .filter((l) => l.trim() && !/RLIMIT_MEMLOCK/.test(l) && !/^Lost \d+ events/.test(l));
  return lines.length ? `\n  ${lines.join('\n  ')}` : '';
}
