// `forkscope attach PID [--duration S] [--json]`: a read-only postmortem of a live (hung) tree from
// /proc: every thread's state, wchan and syscall, the futex words blocked threads wait on, and the
// findings they prove, in the same report and JSON document as `analyze` (`source: "proc"`).
// --duration watches the tree with `strace -f -p` for S seconds (then detaches) and compares each
// thread's CPU time, to show that nothing in it moves. Nothing is ever written to a target, and
// no target is left stopped.

import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endsWithin, sleep } from '../../collectors/collector.js';
import { readTrace, resolveInputs } from '../../parsers/index.js';
import type { InputStats } from '../../parsers/types.js';
import { analyzeSnapshot, cannotExamine, snapshotTree } from '../proc/snapshot.js';
import type { TreeSnapshot } from '../proc/snapshot.js';
import { readStat, readText } from '../proc/tree.js';
import { renderJson } from '../views/json.js';
import { wantsColor } from '../views/style.js';
import { renderText } from '../views/text.js';
import { EXIT_HANG, EXIT_OK, runCommand } from './inputs.js';

interface AttachOptions {
  duration?: number;
  json?: boolean;
  color: boolean;
}

export function registerAttach(program: Command): void {
  program
    .command('attach')
    .description('examine a live process tree read-only through /proc: what hangs, on which lock, held by whom')
    .argument('<pid>', 'the root of the tree (a hung child, or the program that forked it)', pidArgument)
    .option('--duration <seconds>', 'also watch the tree for this long (strace -p, then detach) to show nothing moves', positive)
    .option('--json', 'print the forkscope/analysis@1 JSON document (docs/json.md)')
    .option('--no-color', 'never colour the report')
    .action((pid: number, options: AttachOptions) => runCommand(() => attach(pid, options)));
}

function pidArgument(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new InvalidArgumentError(`not a pid: ${text}`);
  return Number(text);
}

function positive(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('a number of seconds > 0');
  return value;
}

async function attach(pid: number, options: AttachOptions): Promise<number> {
  const problem = cannotExamine(pid);
  if (problem) throw new Error(problem);
  let snapshot = snapshotTree(pid);
  let watched: string | null = null;
  if (options.duration) {
    const watch = await watchTree(snapshot, options.duration);
    snapshot = watch.after;
    watched = watch.summary;
    process.stderr.write(`forkscope: ${watched}\n`);
  }
  const analysis = analyzeSnapshot(snapshot);
  if (watched) for (const finding of analysis.findings) finding.explanation += ` ${watched}`;
  if (options.json) {
    process.stdout.write(renderJson(analysis));
  } else {
    const color = options.color && wantsColor(process.stdout);
    process.stdout.write(threadTable(snapshot) + '\n' + renderText(analysis, { color }));
  }
  return analysis.findings.length > 0 ? EXIT_HANG : EXIT_OK;
}

/** Each process and thread: state, wchan, and the call it sits in (with the futex word's name). */
function threadTable(snapshot: TreeSnapshot): string {
  const threads = snapshot.processes.reduce((n, p) => n + p.threads.length, 0);
  const lines = [
    `forkscope: live tree of ${snapshot.root} read from /proc at ${snapshot.takenAt}: ` +
      `${snapshot.processes.length} processes, ${threads} threads`,
  ];
  for (const process of snapshot.processes) {
    lines.push(`  ${process.pid} (parent ${process.ppid}) ${process.command ?? process.comm}`);
    for (const thread of process.threads) {
      let call = thread.syscall ? thread.syscall.name : 'running (in no syscall)';
      if (thread.syscall?.name === 'wait4' || thread.syscall?.name === 'waitid') {
        call += ` ${BigInt.asIntN(32, thread.syscall.args[thread.syscall.name === 'wait4' ? 0 : 1])}`;
      }
      const futex = thread.futex;
      if (futex) {
        const owner = futex.owner === null ? '' : `, __owner ${futex.owner}`;
        call = `futex ${futex.op} on ${futex.address}${futex.symbol ? ` = ${futex.symbol}` : ''} (word ${futex.word ?? '?'}${owner})`;
      }
      lines.push(`    ${String(thread.tid).padStart(7)}  ${thread.state}  ${(thread.wchan ?? '-').padEnd(18)}  ${call}`);
    }
  }
  return lines.join('\n') + '\n';
}

interface Watch {
  after: TreeSnapshot;
  summary: string;
}

/**
 * Watches the tree with `strace -f -p` for `seconds`, then lets strace detach (SIGINT), and
 * compares each thread's CPU time over the watch: a hung tree neither completes a call nor runs.
 */
async function watchTree(before: TreeSnapshot, seconds: number): Promise<Watch> {
  const pids = before.processes.map((p) => p.pid);
  const scope = readText('/proc/sys/kernel/yama/ptrace_scope')?.trim();
  if (scope === '3') {
    await sleep(seconds * 1000);
    const after = snapshotTree(before.root, pids);
    return { after, summary: `watched ${seconds} s through /proc only (ptrace is disabled: kernel.yama.ptrace_scope=3); ${cpuSummary(before, after)}` };
  }
  const workDir = mkdtempSync(join(tmpdir(), 'forkscope-attach-'));
  const log = join(workDir, 'watch.strace');
  const wasStopped = new Set(pids.filter((p) => /^[tT]$/.test(readStat(p)?.state ?? '')));
  const strace = execa('strace', ['-f', '-tt', '-T', '-q', '-o', log, ...pids.flatMap((p) => ['-p', String(p)])], {
    reject: false,
    cleanup: true,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
  });
  try {
    // Attaching interrupts the blocked calls once (they restart): start counting after that.
    await sleep(300);
    const start = snapshotTree(before.root, pids);
    await sleep(seconds * 1000);
    const end = snapshotTree(before.root, pids);
    strace.kill('SIGINT');
    if (!(await endsWithin(strace, 5000))) strace.kill('SIGKILL');
    const result = await strace;
    // The tree as strace left it (a sleeping thread it interrupted shows restart_syscall).
    const after = snapshotTree(before.root, pids);
    if ((result as { code?: string }).code === 'ENOENT') {
      return { after, summary: `watched ${seconds} s through /proc only (strace is not installed); ${cpuSummary(start, end)}` };
    }
    const resumed = resumeStopped(pids, wasStopped);
    const moved = await countCompletions(log);
    const straceSays = result.stderr.trim() ? ` (strace: ${result.stderr.trim().split('\n')[0]})` : '';
    const summary =
      `Watched ${seconds} s with strace -p${straceSays}: ${moved === 0 ? 'no system call completed' : `${moved} system calls or signals completed`} in the tree; ` +
      `${cpuSummary(start, end)}${resumed.length ? `; sent SIGCONT to ${resumed.join(', ')} left stopped by the attach` : ''}.`;
    return { after, summary };
  } finally {
    strace.kill('SIGKILL');
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** How much CPU each thread used between two snapshots. */
function cpuSummary(before: TreeSnapshot, after: TreeSnapshot): string {
  const ran: string[] = [];
  const runNs = new Map(before.processes.flatMap((p) => p.threads.map((t) => [t.tid, t.runNs] as const)));
  for (const thread of after.processes.flatMap((p) => p.threads)) {
    const was = runNs.get(thread.tid);
    if (was === undefined || was === null || thread.runNs === null) continue;
    if (thread.runNs > was) ran.push(`${thread.tid} ran ${((thread.runNs - was) / 1e6).toFixed(2)} ms`);
  }
  return ran.length === 0 ? 'no thread used any CPU time' : ran.join(', ');
}

/** A process stopped by our attach (not before it) is continued: nothing is left stopped. */
function resumeStopped(pids: number[], wasStopped: Set<number>): number[] {
  const resumed: number[] = [];
  for (const pid of pids) {
    if (wasStopped.has(pid) || !/^[tT]$/.test(readStat(pid)?.state ?? '')) continue;
    try {
      process.kill(pid, 'SIGCONT');
      resumed.push(pid);
    } catch {
      // gone
    }
  }
  return resumed;
}

/** Calls that completed, signals delivered and exits in the watch log (the attach's own pending calls do not count). */
async function countCompletions(log: string): Promise<number> {
  const stats: InputStats[] = [{ path: log, format: 'strace', lines: 0, warnings: 0 }];
  let moved = 0;
  for await (const event of readTrace(await resolveInputs([log], { format: 'strace' }), stats)) {
    if (event.kind === 'signal' || event.kind === 'exit') moved++;
    else if (event.kind === 'syscall' && event.result !== null) moved++;
  }
  return moved;
}

