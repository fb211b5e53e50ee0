// Start-up time (issue 11: `analyze` on a small trace within 2x `node -e 0`). Measures, in one run,
// the wall time of `node -e 0`, `forkscope --version` and `forkscope analyze` on a small sample
// (samples/c-mutex-held-at-fork/trace-f.log, 87 lines; output to /dev/null), each run as its own
// process; the runs take turns so that the machine's other load falls on all of them alike. Prints
// each one's median and its ratio to the median of `node -e 0`. Not a test: figures only.
//
//   node dist/bench/startup.js [--before DIR] [--runs N]        default: 15 runs each
//
// --before DIR: also measure the build in DIR (a checkout of another commit, built: DIR/dist/src/cli.js)
// in the same run, for before/after figures that shared the same load.

import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../samples/c-mutex-held-at-fork/trace-f.log', import.meta.url));

interface Case {
  label: string;
  argv: string[];
  /** The exit code a run must end with: a failed run measures nothing. */
  exitCode: number;
  seconds: number[];
}

/** Wall seconds of one run of `argv`, stdin and output to /dev/null. */
function wallSeconds(argv: string[], exitCode: number): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== exitCode) throw new Error(`${argv.join(' ')} exited ${result.status ?? result.signal}, not ${exitCode}`);
  return seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function main(): void {
  const args = process.argv.slice(2);
  const before = args.indexOf('--before');
  const builds = [{ label: 'this', cli: CLI }];
  if (before >= 0) builds.unshift({ label: 'before', cli: join(args.splice(before, 2)[1]!, 'dist/src/cli.js') });
  const runsAt = args.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 15;
  const node = process.execPath;
  const cases: Case[] = [{ label: 'node -e 0', argv: [node, '-e', '0'], exitCode: 0, seconds: [] }];
  for (const { label, cli } of builds) {
    cases.push(
      { label: `${label}: forkscope --version`, argv: [node, cli, '--version'], exitCode: 0, seconds: [] },
      { label: `${label}: forkscope analyze trace-f.log`, argv: [node, cli, 'analyze', SAMPLE], exitCode: 1, seconds: [] },
    );
  }
  const loadBefore = loadavg()[0]!;
  // One run of each first, not counted: the files are in the page cache for every measured run.
  for (const run of cases) wallSeconds(run.argv, run.exitCode);
  for (let i = 0; i < runs; i++) for (const run of cases) run.seconds.push(wallSeconds(run.argv, run.exitCode));

  const floor = median(cases[0]!.seconds);
  console.log(
    `startup: wall time, median of ${runs} runs each (taking turns); node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}),` +
      ` load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after`,
  );
  console.log('command                                   median     min     max  of node -e 0');
  for (const run of cases) {
    const seconds = median(run.seconds);
    console.log(
      `${run.label.padEnd(40)} ${seconds.toFixed(3).padStart(7)} ${Math.min(...run.seconds).toFixed(3).padStart(7)} ${Math.max(...run.seconds).toFixed(3).padStart(7)}` +
        ` ${`${(seconds / floor).toFixed(2)}x`.padStart(13)}`,
    );
  }
}

main();
