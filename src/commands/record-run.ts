// `forkscope record ... -- CMD ARGS...` (its options: record.ts). No process started here outlives
// forkscope: the tree is killed by pid on every way out.

import { closeSync, statSync } from 'node:fs';
import { constants, release } from 'node:os';
import { basename, join } from 'node:path';
import { startBpftrace } from '../../collectors/bpftrace.js';
import { findExecutable, sleep } from '../../collectors/collector.js';
import type { Collector, RecordOptions } from '../../collectors/collector.js';
import { startStrace } from '../../collectors/strace.js';
import { Containment } from '../../collectors/containment.js';
import type { ContainmentInfo } from '../../collectors/containment.js';
import { HangWatchdog } from '../../collectors/watchdog.js';
import { resolveInputs } from '../../parsers/index.js';
import { analyzeSources } from '../pipeline.js';
import { mergeSnapshot } from '../analysis/proc-findings.js';
import type { Analysis } from '../analysis/types.js';
import type { ExitStatus } from '../model/events.js';
import { exitText } from '../model/format.js';
import type { TaskTree } from '../model/tree.js';
import { snapshotTree } from '../proc/snapshot.js';
import type { TreeSnapshot } from '../proc/snapshot.js';
import { sayOnStderr } from '../util/output.js';
import { renderJson } from '../views/json.js';
import { ReadProgress, StatusLine } from '../views/progress.js';
import { wantsColor } from '../views/style.js';
import { renderText } from '../views/text.js';
import { TraceClock, clockPair, wallOffsetOf } from '../views/times.js';
import type { LiveTui } from '../tui/live.js';
import { checkTuiOption, loadTui } from '../tui/load.js';
import { atExit, exitOnSignal, ownSignals } from '../util/lifetime.js';
import type { StopSignal } from '../util/lifetime.js';
import { OwnDirectory } from '../util/own-directory.js';
import { EXIT_HANG } from './inputs.js';
import type { RecordCliOptions } from './record.js';

/** How often the watchdog looks at the tree: detection comes within hang-timeout + this. */
const POLL_MS = 250;

export async function run(argv: string[], options: RecordCliOptions): Promise<number> {
  if (options.tui) checkTuiOption('record', options.json);
  const started = new Date();
  const out = options.output ? OwnDirectory.at(options.output) : OwnDirectory.unique(defaultDirPrefix(argv[0]!, started));
  const dir = out.path;
  let live: LiveTui | null = null;
  /** What record is doing, on a status line of a terminal (the TUI has its own; --json is read by programs). */
  let activity: () => string | null = () => null;
  const status = options.tui || options.json ? null : new StatusLine({ describe: () => activity() });
  const say = (message: string) => {
    status?.clear();
    if (live) live.say(message);
    else sayOnStderr(message);
  };
  // Under the TUI the program must not draw on the screen nor read the keys.
  const outputFd = options.tui ? out.createFile('output.log') : null;
  // execa hands a fd number to spawn as is, though its types only name 1 and 2.
  const output = outputFd as 1 | null;
  const meta: Meta = {
    forkscope: 'forkscope/record-meta@1',
    command: argv,
    cwd: process.cwd(),
    backend: options.backend,
    backendVersion: null,
    kernel: release(),
    start: started.toISOString(),
    end: null,
    trace: null,
    format: null,
    target: { pid: null, exit: null },
    watchdog: { hangTimeoutSeconds: options.hangTimeout, fired: false, quietSince: null, firedAt: null, reason: null },
    stoppedBy: null,
    keptRunning: null,
    lostEvents: null,
    warnings: [],
    clock: clockPair(),
  };
  const writeMeta = () => out.replaceFile('meta.json', JSON.stringify(meta, null, 2) + '\n');

  const containment = Containment.create();
  meta.containment = containment.info;
  if (containment.info.reason) {
    say(`${containment.info.reason}: the traced tree is contained by its process group only, and runs on if forkscope is killed with SIGKILL`);
  }
  if (!findExecutable('setpriv')) say('setpriv (util-linux) is not installed: if forkscope is killed with SIGKILL, the tracer runs on');
  const recordOptions: RecordOptions = {
    argv,
    dir: out,
    targetIo: output !== null
      ? { stdin: 'ignore', stdout: output, stderr: output }
      : { stdin: 'inherit', stdout: options.json ? 2 : 'inherit', stderr: 'inherit' },
    stacks: Boolean(options.stacks),
    syscalls: options.syscalls ? options.syscalls.split(',').map((s) => s.trim()).filter(Boolean) : null,
    containment,
  };

  // Every way out of this process kills the tree it started (unless told to leave a hang running)
  // and gives meta.json its end: a second signal ends the process at once, through this too.
  let collector: Collector | null = null;
  let leaveRunning = false;
  const finish = () => {
    if (collector) {
      if (!leaveRunning) collector.tree.killAll();
      collector.abort();
    }
    if (leaveRunning) containment.release();
    containment.close();
    if (collector && meta.end === null) {
      meta.end = new Date().toISOString();
      writeMeta();
    }
    if (outputFd !== null) closeSync(outputFd);
    out.close();
  };
  const finishNow = atExit(finish);
  let interrupted: StopSignal | null = null;
  let quitTui = false;
  let wake: () => void = () => {};
  const giveBackSignals = ownSignals((signal) => {
    // A second Ctrl-C: stop waiting for anything.
    if (interrupted) exitOnSignal(signal);
    interrupted = signal;
    wake();
  });
  try {
    // bpftrace compiles and attaches its probes before the command starts: seconds, at times.
    activity = () => (options.backend === 'bpftrace' ? 'starting bpftrace (compiling and attaching its probes)' : 'starting strace');
    try {
      collector = options.backend === 'strace' ? await startStrace(recordOptions) : await startBpftrace(recordOptions);
    } catch (error) {
      // Nothing was recorded (no tracer, a program that cannot start): no directory is left behind.
      out.discard();
      throw error;
    }
    meta.backendVersion = collector.version;
    meta.trace = basename(collector.tracePath);
    meta.format = collector.format;
    meta.target.pid = collector.rootPid;
    writeMeta();
    let snapshot: TreeSnapshot | null = null;
    const sources = await resolveInputs([collector.tracePath], { format: collector.format });
    // bpftrace's stamps are the monotonic clock's: the pair in meta.json shows them as wall time.
    const clock = TraceClock.for(sources, wallOffsetOf(meta.clock));
    const complete = (analysis: Analysis, tree: TaskTree) => {
      for (const message of collector!.warnings) analysis.warnings.push({ file: collector!.tracePath, line: 0, message });
      if (snapshot) mergeSnapshot(analysis, snapshot, tree, 'When forkscope stopped the tree, /proc');
    };
    if (options.tui) {
      const { LiveTui } = await loadTui();
      live = new LiveTui(sources, { title: `${argv.join(' ')} (${dir})`, color: options.color && !process.env.NO_COLOR, complete, clock });
      void live.closed.then(() => {
        quitTui = true;
        wake();
      });
    }
    say(`recording ${argv.join(' ')} (pid ${collector.rootPid}) with ${collector.version} into ${dir}`);

    const watchdog = new HangWatchdog(options.hangTimeout * 1000, collector.rootPid);
    let hung = false;
    const takeSnapshot = (pids: number[]) => {
      snapshot = snapshotTree(collector!.rootPid, pids);
      out.replaceFile('proc-snapshot.json', JSON.stringify(snapshot, bigintAsHex, 2) + '\n');
    };
    const seen = { processes: 0, traceBytes: 0 };
    activity = () => recordingText(seen.processes, seen.traceBytes, watchdog.quietSince, options.hangTimeout);
    while (!interrupted && !quitTui && !collector.finished()) {
      const pids = collector.tree.scan();
      seen.processes = pids.length;
      seen.traceBytes = statSync(collector.tracePath).size;
      const verdict = watchdog.observe(pids, seen.traceBytes);
      if (verdict.hung) {
        hung = true;
        takeSnapshot(pids);
        meta.watchdog = {
          ...meta.watchdog,
          fired: true,
          quietSince: new Date(watchdog.quietSince).toISOString(),
          firedAt: new Date().toISOString(),
          reason: verdict.reason,
        };
        const message = `hang (no progress for ${options.hangTimeout} s): ${verdict.reason}. /proc snapshot in ${join(dir, 'proc-snapshot.json')}`;
        if (live) live.verdict(`watchdog: ${message}`);
        else say(message);
        break;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        void sleep(POLL_MS).then(resolve);
      });
    }
    if (interrupted) {
      // What the tree sits in now is worth keeping too: /proc can prove a lock's owner.
      takeSnapshot(collector.tree.scan());
      meta.stoppedBy = `signal ${interrupted}`;
      say(`${interrupted}: stopping the traced tree and analyzing what was recorded`);
    } else if (hung) {
      meta.stoppedBy = 'watchdog';
    } else if (quitTui && !collector.finished()) {
      takeSnapshot(collector.tree.scan());
      meta.stoppedBy = 'quitting the TUI';
      say('the TUI was closed: stopping the traced tree and analyzing what was recorded');
    }

    leaveRunning = hung && Boolean(options.keepRunning);
    if (leaveRunning) {
      meta.keptRunning = collector.tree.scan();
      say(`left running (untraced): ${meta.keptRunning.join(', ')}; inspect with: forkscope attach ${collector.rootPid}`);
    }
    const killed = leaveRunning ? [] : collector.tree.killAll();
    activity = () => (options.backend === 'bpftrace' ? 'stopping bpftrace (reading what its buffers still hold)' : 'stopping strace');
    await collector.finish({ detach: leaveRunning });
    // What left the tree forkscope follows (a daemon that left the session) is still in the cgroup.
    if (!leaveRunning) killed.push(...containment.killAll());
    if (killed.length > 0) say(`killed ${killed.length} process${killed.length === 1 ? '' : 'es'} of the tree: ${killed.join(', ')}`);
    const rootExit = leaveRunning ? null : await collector.rootExit;
    meta.target.exit = rootExit;
    meta.lostEvents = collector.lostEvents;
    meta.warnings = collector.warnings;
    meta.end = new Date().toISOString();
    writeMeta();
    say(`${argv[0]} ${statusText(rootExit, leaveRunning, meta.stoppedBy)}`);

    let analysis: Analysis;
    if (live) {
      analysis = await live.recorded();
      await live.quit();
      live = null;
    } else {
      const progress = new ReadProgress(sources);
      activity = () => progress.describe();
      const traced = await analyzeSources(sources, {
        onEvent: (event) => clock.observe(event),
        counter: progress.counter,
        onSecondRead: () => progress.secondRead(),
        foldReaped: true,
      });
      analysis = traced.analysis;
      complete(analysis, traced.tree);
    }
    status?.stop();
    const color = options.color && wantsColor(process.stdout);
    process.stdout.write(options.json ? renderJson(analysis, clock) : renderText(analysis, { color, clock }));

    if (hung || analysis.findings.length > 0) return EXIT_HANG;
    if (interrupted) return 128 + constants.signals[interrupted as StopSignal];
    return exitCodeOf(rootExit);
  } catch (error) {
    meta.error = error instanceof Error ? error.message : String(error);
    throw error;
  } finally {
    status?.stop();
    finishNow();
    giveBackSignals();
  }
}

/** `recording: 3 processes, 1.2 MB of trace; no progress for 4 of 10 s`. */
function recordingText(processes: number, traceBytes: number, quietSince: number, hangTimeout: number): string {
  const recording = `recording: ${processes} process${processes === 1 ? '' : 'es'}, ${(traceBytes / (1 << 20)).toFixed(1)} MB of trace`;
  const still = quietSince > 0 ? Math.floor((Date.now() - quietSince) / 1000) : 0;
  if (still < 1) return recording;
  // Still that long and no hang: some thread may yet wake by itself (a sleep, a timed wait).
  if (still >= hangTimeout) return `${recording}; no progress for ${still} s, but not every thread waits without a timeout`;
  return `${recording}; no progress for ${still} of ${hangTimeout} s`;
}

interface Meta {
  forkscope: string;
  command: string[];
  cwd: string;
  backend: string;
  backendVersion: string | null;
  kernel: string;
  start: string;
  end: string | null;
  /** The trace file's name in DIR: give DIR/<trace> to analyze, timeline or the TUI. */
  trace: string | null;
  format: string | null;
  target: { pid: number | null; exit: ExitStatus | null };
  watchdog: {
    hangTimeoutSeconds: number;
    fired: boolean;
    quietSince: string | null;
    firedAt: string | null;
    reason: string | null;
  };
  stoppedBy: string | null;
  keptRunning: number[] | null;
  lostEvents: number | null;
  warnings: string[];
  /** The monotonic clock (bpftrace's stamps) and the wall clock read at one moment: their offset. */
  clock: { monotonicNs: string; realtime: string };
  /** How the traced tree was kept from outliving forkscope. */
  containment?: ContainmentInfo;
  /** Why forkscope failed, when it did. */
  error?: string;
}

/** `forkscope-<cmd>-<YYYYmmdd-HHMMSS>-`: OwnDirectory.unique adds a random suffix, so two recordings in one second differ. */
function defaultDirPrefix(command: string, at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp =
    `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}-` +
    `${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`;
  return `forkscope-${basename(command).replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp}-`;
}

function bigintAsHex(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? '0x' + value.toString(16) : value;
}

function statusText(exit: ExitStatus | null, leftRunning: boolean, stoppedBy: string | null): string {
  if (leftRunning) return 'was left running, hung';
  if (!exit) return 'ended with an unknown status';
  const by = stoppedBy === 'watchdog' ? ' (forkscope stopped the hung tree)' : stoppedBy ? ` (forkscope stopped it on ${stoppedBy})` : '';
  return `${exitText(exit)}${by}`;
}

/** The shell's convention: the exit code, or 128 + the signal number. */
function exitCodeOf(exit: ExitStatus | null): number {
  if (!exit) return 2;
  if ('code' in exit) return exit.code;
  return 128 + (constants.signals[exit.signal as NodeJS.Signals] ?? 0);
}
