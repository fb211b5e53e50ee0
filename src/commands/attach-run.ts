// `forkscope attach PID` (its options: attach.ts): a read-only postmortem of a live tree from /proc.
// Nothing is ever written to a target, and no target is left stopped.

import { execa } from 'execa';
import { closeSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import { endsWithin, findExecutable, sleep } from '../../collectors/collector.js';
import { dyingWithForkscope } from '../../collectors/containment.js';
import { readTrace, resolveInputs } from '../../parsers/index.js';
import type { InputStats } from '../../parsers/types.js';
import { blockedTids } from '../analysis/types.js';
import type { Analysis, Finding } from '../analysis/types.js';
import { cannotExamine, snapshotTaskEvents, snapshotTree } from '../proc/snapshot.js';
import { analyzeSnapshot } from '../analysis/proc-findings.js';
import type { TreeSnapshot } from '../proc/snapshot.js';
import { alive, readStat, readText, sleepSync } from '../proc/tree.js';
import { atExit } from '../util/lifetime.js';
import { sayOnStderr } from '../util/output.js';
import { withProgress } from '../views/progress.js';
import { anonymousFile } from '../util/temporary.js';
import { renderJson } from '../views/json.js';
import { wantsColor } from '../views/style.js';
import { terminalText } from '../views/terminal-text.js';
import { renderText } from '../views/text.js';
import { checkTuiOption, loadTui } from '../tui/load.js';
import { counted, findingSentence } from '../views/words.js';
import { TUI_WATCH_SECONDS } from './attach.js';
import type { AttachOptions } from './attach.js';
import { EXIT_HANG, EXIT_OK } from './inputs.js';

export async function run(pid: number, options: AttachOptions): Promise<number> {
  if (options.tui) checkTuiOption('attach', options.json);
  const problem = cannotExamine(pid);
  if (problem) throw new Error(problem);
  let snapshot = snapshotTree(pid);
  // strace writes the watch log by name; the file has none, so even a SIGKILL leaves nothing.
  const watchLog = anonymousFile('forkscope-attach-');
  try {
    let analysis: Analysis;
    if (options.tui) {
      analysis = await watchInTui(pid, snapshot, createWatchLog(pid, new Date()), options);
    } else {
      let watched: string | null = null;
      if (options.duration) {
        const duration = options.duration;
        const since = Date.now();
        const watching = { describe: () => `watching the tree with strace -p: ${Math.floor((Date.now() - since) / 1000)} of ${duration} s` };
        const watch = () => watchTree(snapshot, sleep(duration * 1000), watchLog.path);
        // --json is read by programs: nothing on stderr that a program did not ask for.
        const { after, summary } = options.json ? await watch() : await withProgress(watching, watch);
        snapshot = after;
        watched = summary;
        sayOnStderr(watched);
      }
      analysis = analyzeSnapshot(snapshot);
      if (watched) for (const finding of analysis.findings) finding.explanation += ` ${watched}`;
    }
    if (options.json) {
      process.stdout.write(renderJson(analysis));
    } else {
      const color = options.color && wantsColor(process.stdout);
      process.stdout.write(threadTable(snapshot) + '\n' + renderText(analysis, { color }));
    }
    return analysis.findings.length > 0 ? EXIT_HANG : EXIT_OK;
  } finally {
    watchLog.close();
  }
}

/**
 * `attach --tui`: /proc's verdict at once, the tree's calls as strace -p sees them while it
 * watches, then the findings: /proc's, and the trace's own if it proves more.
 */
async function watchInTui(pid: number, snapshot: TreeSnapshot, log: string, options: AttachOptions): Promise<Analysis> {
  const fromProc = analyzeSnapshot(snapshot);
  const { LiveTui } = await loadTui();
  const live = new LiveTui([{ path: log, format: 'strace', files: [log] }], {
    title: `attach ${pid}`,
    color: options.color && !process.env.NO_COLOR,
    prelude: snapshotTaskEvents(snapshot),
    // /proc reads the lock's owner; the watch only sees the blocked calls: /proc's finding wins,
    // with the watch's lines added to its evidence (the TUI jumps to them).
    complete: (analysis) => {
      const same = (a: Finding, b: Finding) => a.kind === b.kind && blockedTids(a).some((t) => blockedTids(b).includes(t));
      analysis.findings = [
        ...fromProc.findings.map((found) => {
          const seen = analysis.findings.find((f) => same(f, found));
          return seen ? { ...found, evidence: [...seen.evidence, ...found.evidence] } : found;
        }),
        ...analysis.findings.filter((f) => !fromProc.findings.some((found) => same(f, found))),
      ];
      analysis.warnings.push(...fromProc.warnings);
    },
  });
  const sentences = fromProc.findings.map(findingSentence);
  live.verdict(`/proc: ${sentences.length > 0 ? sentences.join('; ') : 'no inherited lock, lock cycle or pipe held open'}`);
  const seconds = options.duration ?? TUI_WATCH_SECONDS;
  live.say(`watching ${pid} with strace -p for ${seconds} s (q stops), into ${log} (kept: the findings cite its lines)`);
  const watch = await watchTree(snapshot, Promise.race([sleep(seconds * 1000), live.closed]), log);
  live.say(watch.summary);
  const analysis = await live.recorded();
  for (const finding of analysis.findings) if (finding.source === 'proc') finding.explanation += ` ${watch.summary}`;
  await live.quit();
  return analysis;
}

/**
 * `attach --tui`'s watch log, kept in the current directory: the findings it shows and prints cite
 * its lines, so it outlives the command, as `record` keeps its trace. Created new, so no planted
 * link can redirect it, and readable by the caller only.
 */
function createWatchLog(pid: number, at: Date): string {
  const path = `forkscope-attach-${pid}-${at.toISOString().replace(/[-:.]/g, '')}.strace`;
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    throw new Error(`cannot create the watch log ${resolve(path)} (attach --tui keeps it in the current directory): ${(error as Error).message}`);
  }
  return path;
}

/** Each process and thread: state, wchan, and the call it sits in (with the futex word's name), for a terminal. */
function threadTable(snapshot: TreeSnapshot): string {
  const threads = snapshot.processes.reduce((n, p) => n + p.threads.length, 0);
  const lines = [
    `forkscope: live tree of ${snapshot.root} read from /proc at ${snapshot.takenAt}: ` +
      `${counted(snapshot.processes.length, 'process', 'processes')}, ${counted(threads, 'thread')}`,
  ];
  for (const process of snapshot.processes) {
    lines.push(`  ${process.pid} (parent ${process.ppid}) ${process.command ?? process.comm}`);
    for (const thread of process.threads) {
      let call = thread.syscall ? thread.syscall.name : 'running (in no syscall)';
      if (thread.syscall?.name === 'wait4' || thread.syscall?.name === 'waitid') {
        call += ` ${BigInt.asIntN(32, thread.syscall.args[thread.syscall.name === 'wait4' ? 0 : 1]!)}`;
      } else if (thread.fdWait) call = thread.untimedWait!;
      const futex = thread.futex;
      if (futex) {
        const owner = futex.owner === null ? '' : `, __owner ${futex.owner}`;
        call = `futex ${futex.op} on ${futex.address}${futex.symbol ? ` = ${futex.symbol}` : ''} (word ${futex.word ?? '?'}${owner})`;
      }
      lines.push(`    ${String(thread.tid).padStart(7)}  ${thread.state}  ${(thread.wchan ?? '-').padEnd(18)}  ${call}`);
    }
  }
  // A command line, an executable's path or a symbol of the target's binary can hold anything.
  return lines.map((line) => terminalText(line)).join('\n') + '\n';
}

interface Watch {
  after: TreeSnapshot;
  summary: string;
}

/**
 * Watches the tree with `strace -f -p`, writing to `log`, until `until` settles; then lets strace
 * detach (SIGINT), and compares each thread's CPU time over the watch: a hung tree neither
 * completes a call nor runs.
 */
async function watchTree(before: TreeSnapshot, until: Promise<unknown>, log: string): Promise<Watch> {
  const pids = before.processes.map((p) => p.pid);
  const started = Date.now();
  const watched = () => `${Number(((Date.now() - started) / 1000).toFixed(1))} s`;
  const scope = readText('/proc/sys/kernel/yama/ptrace_scope')?.trim();
  const cannotWatch = scope === '3' ? 'ptrace is disabled: kernel.yama.ptrace_scope=3' : findExecutable('strace') ? null : 'strace is not installed';
  if (cannotWatch) {
    await until;
    const after = snapshotTree(before.root, pids);
    return { after, summary: `watched ${watched()} through /proc only (${cannotWatch}); ${cpuSummary(before, after)}` };
  }
  const wasStopped = new Set(pids.filter((p) => /^[tT]$/.test(readStat(p)?.state ?? '')));
  // strace dies with forkscope (a SIGKILL included), and the kernel then detaches it.
  const strace = execa(...dyingWithForkscope('strace', ['-f', '-tt', '-T', '-q', '-o', log, ...pids.flatMap((p) => ['-p', String(p)])]), {
    reject: false,
    cleanup: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
  });
  // However forkscope ends, strace detaches first (SIGINT), so no target is left traced.
  const detachNow = atExit(() => detachSync(strace));
  try {
    // Attaching interrupts the blocked calls once (they restart): start counting after that.
    await sleep(300);
    const start = snapshotTree(before.root, pids);
    await until;
    const end = snapshotTree(before.root, pids);
    strace.kill('SIGINT');
    if (!(await endsWithin(strace, 5000))) strace.kill('SIGKILL');
    const result = await strace;
    // The tree as strace left it (a sleeping thread it interrupted shows restart_syscall).
    const after = snapshotTree(before.root, pids);
    const resumed = resumeStopped(pids, wasStopped);
    const moved = await countCompletions(log);
    const straceSays = result.stderr.trim() ? ` (strace: ${result.stderr.trim().split('\n')[0]})` : '';
    const summary =
      `Watched ${watched()} with strace -p${straceSays}: ${moved === 0 ? 'no system call completed' : `${moved} system calls or signals completed`} in the tree; ` +
      `${cpuSummary(start, end)}${resumed.length ? `; sent SIGCONT to ${resumed.join(', ')} left stopped by the attach` : ''}.`;
    return { after, summary };
  } finally {
    detachNow();
  }
}

/** Lets strace detach (SIGINT) and waits for it, up to 3 s, then kills it; synchronous, for exit paths. */
function detachSync(strace: { pid?: number; kill(signal: NodeJS.Signals): boolean }): void {
  if (strace.pid === undefined || !alive(readStat(strace.pid))) return;
  strace.kill('SIGINT');
  for (let waited = 0; waited < 3000 && alive(readStat(strace.pid)); waited += 10) sleepSync(10);
  strace.kill('SIGKILL');
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
  for await (const event of readTrace(await resolveInputs([log], { format: 'strace' }), stats, { mayBeEmpty: true })) {
    if (event.kind === 'signal' || event.kind === 'exit') moved++;
    else if (event.kind === 'syscall' && event.result !== null) moved++;
  }
  return moved;
}

