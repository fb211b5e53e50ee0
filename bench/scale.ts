// How `forkscope analyze` scales with the number of tasks and findings (issue 9): synthetic
// `strace -f -tt -T` logs of trees that are big in one direction, each analyzed by the CLI in its
// own process (text and --json, output to /dev/null), with wall time and peak RSS from
// /usr/bin/time. Targets: time linear in tasks and findings, 100k hung children in <= 15 s, 10^6
// tasks in <= 1 GiB.
//
//   node dist/bench/scale.js [SHAPE:N ...]      default: chain:10000 chain:100000 chain:200000
//                                               fan:10000 fan:100000 pids:1000000
//
// Shapes:
//   chain:N  a fork chain N deep, each parent in wait4 on its only child, the deepest child hung
//            on a lock its first ancestor's thread held (one finding with a wait chain N long);
//   fan:N    one parent forks N children while a thread holds a lock, every child hangs on it
//            (N findings), the parent sits in wait4(-1);
//   busyfan:N fan:N whose holder thread also wakes the lock after each fork (its calls on the word
//            interleave the forks, as a worker's do that keeps using the lock);
//   pids:N   one parent forks N children that exit and are reaped (N distinct pids), then one more
//            that hangs.
// A shape prefixed `ff-` (`ff-busyfan:20000`) is written as the `strace -ff -tt -T` set of the
// same lines instead: one file per task, named PREFIX.TID, without the pid column.

import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../src/cli.js');
const LOCK = '0x55d0c0a4e040';
const ROOT = 1000;
const HOLDER = 1001;
/** Children's pids start here, past the root's threads. */
const FIRST_CHILD = 2000;
const THREAD_FLAGS =
  'CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID';
const FORK = 'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f0e2a200a10)';
const BLOCKED = `futex(${LOCK}, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>`;

type Shape = 'chain' | 'fan' | 'busyfan' | 'pids';

/** `-tt` wall-clock time of `us` microseconds: HH:MM:SS.uuuuuu. */
function time(us: number): string {
  const s = Math.floor(us / 1e6);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600) % 24)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}.${String(us % 1e6).padStart(6, '0')}`;
}

/** Writes the log of `shape` with `n` tasks (or findings) to `path`. */
async function writeScaleLog(path: string, shape: Shape, n: number): Promise<void> {
  const out = createWriteStream(path);
  let us = 10 * 3600e6;
  let buffered = '';
  const line = async (tid: number, text: string) => {
    buffered += `${tid}  ${time((us += 3))} ${text}\n`;
    if (buffered.length < 1 << 16) return;
    const chunk = buffered;
    buffered = '';
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  await line(ROOT, 'execve("./scale", ["./scale"], 0x7ffd2c1e8f18 /* 12 vars */) = 0 <0.000300>');
  await line(ROOT, `clone3({flags=${THREAD_FLAGS}, exit_signal=0, stack=0x7f0e299ff000, stack_size=0x7fff00} => {parent_tid=[${HOLDER}]}, 88) = ${HOLDER} <0.000060>`);
  // The holder takes the lock through contention (its wait returns) and releases it after the forks.
  await line(HOLDER, `futex(${LOCK}, FUTEX_WAIT_PRIVATE, 2, NULL) = 0 <0.000020>`);
  switch (shape) {
    case 'chain': {
      let parent = ROOT;
      for (let i = 0; i < n; i++) {
        const child = FIRST_CHILD + i;
        await line(parent, `${FORK} = ${child} <0.000100>`);
        await line(parent, `wait4(${child},  <unfinished ...>`);
        parent = child;
      }
      await line(parent, BLOCKED);
      break;
    }
    case 'fan':
    case 'busyfan':
      for (let i = 0; i < n; i++) {
        const child = FIRST_CHILD + i;
        await line(ROOT, `${FORK} = ${child} <0.000100>`);
        await line(child, BLOCKED);
        if (shape === 'busyfan') await line(HOLDER, `futex(${LOCK}, FUTEX_WAKE_PRIVATE, 1) = 0 <0.000010>`);
      }
      await line(ROOT, 'wait4(-1,  <unfinished ...>');
      break;
    case 'pids':
      for (let i = 0; i < n; i++) {
        const child = FIRST_CHILD + i;
        await line(ROOT, `${FORK} = ${child} <0.000100>`);
        await line(child, 'exit_group(0)                     = ?');
        await line(child, '+++ exited with 0 +++');
        await line(ROOT, `wait4(${child}, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = ${child} <0.000050>`);
      }
      await line(ROOT, `${FORK} = ${FIRST_CHILD + n} <0.000100>`);
      await line(FIRST_CHILD + n, BLOCKED);
      await line(ROOT, `wait4(${FIRST_CHILD + n},  <unfinished ...>`);
      break;
  }
  await line(HOLDER, `futex(${LOCK}, FUTEX_WAKE_PRIVATE, 1) = 0 <0.000010>`);
  out.write(buffered);
  await new Promise((resolve) => out.end(resolve));
}

/** Writes the `-f` log at `path` as the `-ff` set of its lines in `directory` (trace.TID files): its path. */
async function splitIntoFf(path: string, directory: string): Promise<string> {
  mkdirSync(directory);
  const files = new Map<string, string[]>();
  for await (const line of createInterface({ input: createReadStream(path) })) {
    const [, tid, rest] = /^(\d+) +(.*)$/.exec(line) ?? [];
    if (tid === undefined || rest === undefined) continue;
    const lines = files.get(tid);
    if (lines) lines.push(rest);
    else files.set(tid, [rest]);
  }
  for (const [tid, lines] of files) writeFileSync(join(directory, `trace.${tid}`), `${lines.join('\n')}\n`);
  return directory;
}

/**
 * Runs `forkscope analyze [--json] LOG > /dev/null`: wall and CPU (user + system) seconds, peak RSS
 * in MB, exit code, stderr. CPU time is the figure to compare on a shared machine.
 */
function analyze(log: string, json: boolean): { seconds: number; cpu: number; peakMB: number; status: number; error: string } {
  const args = ['-f', '%e %U %S %M', process.execPath, CLI, 'analyze', ...(json ? ['--json'] : []), log];
  let stderr: string;
  let status = 0;
  try {
    stderr = execFileSync('/usr/bin/time', args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  } catch (error) {
    const failed = error as { status: number; stderr: string };
    stderr = failed.stderr;
    status = failed.status;
  }
  const lines = stderr.trim().split('\n');
  const [seconds = NaN, user = NaN, system = NaN, kb = NaN] = lines.at(-1)!.split(' ').map(Number);
  const error = lines.slice(0, -1).filter((l) => !/^Command exited/.test(l)).join(' ').slice(0, 120);
  return { seconds, cpu: user + system, peakMB: kb / 1024, status, error };
}

async function main(): Promise<void> {
  const cases = process.argv.slice(2);
  const runs = (cases.length ? cases : ['chain:10000', 'chain:100000', 'chain:200000', 'fan:10000', 'fan:100000', 'pids:1000000']).map((c) => {
    const [name = '', count] = c.split(':');
    const shape = name.replace(/^ff-/, '');
    if (!['chain', 'fan', 'busyfan', 'pids'].includes(shape) || !(Number(count) > 0)) throw new Error(`not [ff-]SHAPE:N: ${c}`);
    return { name, shape: shape as Shape, n: Number(count), ff: name.startsWith('ff-') };
  });
  const directory = mkdtempSync(join(tmpdir(), 'forkscope-bench-scale-'));
  try {
    console.log('scale: forkscope analyze on synthetic trees (text, then --json; output to /dev/null)');
    console.log('case                 log MB   text s (cpu)   text peak   json s (cpu)   json peak  exit');
    for (const { name, shape, n, ff } of runs) {
      const written = join(directory, `${shape}-${n}.log`);
      await writeScaleLog(written, shape, n);
      const log = ff ? await splitIntoFf(written, join(directory, `${shape}-${n}`)) : written;
      const bytes = ff ? readdirSync(log).reduce((sum, file) => sum + statSync(join(log, file)).size, 0) : statSync(log).size;
      const text = analyze(log, false);
      const json = analyze(log, true);
      const mb = (bytes / (1 << 20)).toFixed(0);
      console.log(
        `${`${name}:${n}`.padEnd(18)} ${mb.padStart(8)} ${text.seconds.toFixed(1).padStart(8)} (${text.cpu.toFixed(1).padStart(5)})` +
          ` ${text.peakMB.toFixed(0).padStart(7)} MB ${json.seconds.toFixed(1).padStart(8)} (${json.cpu.toFixed(1).padStart(5)})` +
          ` ${json.peakMB.toFixed(0).padStart(7)} MB  ${text.status}/${json.status}` +
          (text.error || json.error ? `  ${text.error || json.error}` : ''),
      );
      rmSync(log, { recursive: true, force: true });
      rmSync(written, { force: true });
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
