// Throughput and memory of reading and analyzing a large strace -f log. The log is one long-lived
// tree (a holder and a contender thread trading one mutex millions of times, then the fork that
// hangs), so the log grows while the threads and locks stay the same: peak memory should not grow
// with it. Each measurement runs in its own process so its peak RSS (VmHWM) is its own.
//
//   node dist/bench/parse.js [MB ...]        default: 50 200

import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyStats, readTrace, resolveInputs } from '../parsers/index.js';
import { analyzeTrace } from '../src/analysis/analyze.js';

const MAIN = 1000;
const HOLDER = 1001;
const CONTENDER = 1002;
const CHILD = 1003;
const LOCK = '0x55d0c0a4e040';
const THREAD_FLAGS =
  'CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID';

function time(us: number): string {
  const s = Math.floor(us / 1e6);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600) % 24)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}.${String(us % 1e6).padStart(6, '0')}`;
}

async function writeLog(path: string, megabytes: number): Promise<void> {
  const out = createWriteStream(path);
  let us = 10 * 3600e6;
  let bytes = 0;
  const line = async (tid: number, text: string) => {
    const l = `${tid}  ${time((us += 7))} ${text}\n`;
    bytes += l.length;
    if (!out.write(l)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  await line(MAIN, 'execve("./bench", ["./bench"], 0x7ffd2c1e8f18 /* 12 vars */) = 0 <0.000300>');
  for (const tid of [HOLDER, CONTENDER]) {
    await line(MAIN, `clone3({flags=${THREAD_FLAGS}, exit_signal=0, stack=0x7f0e299ff000, stack_size=0x7fff00} => {parent_tid=[${tid}]}, 88) = ${tid} <0.000060>`);
  }
  while (bytes < megabytes * 1024 * 1024) {
    await line(CONTENDER, `futex(${LOCK}, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>`);
    await line(HOLDER, `futex(${LOCK}, FUTEX_WAKE_PRIVATE, 1) = 1 <0.000012>`);
    await line(CONTENDER, '<... futex resumed>) = 0 <0.000020>');
    await line(HOLDER, 'clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000}, NULL) = 0 <0.000060>');
    await line(CONTENDER, `futex(${LOCK}, FUTEX_WAKE_PRIVATE, 1) = 0 <0.000010>`);
  }
  await line(MAIN, `clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f0e2a200a10) = ${CHILD} <0.000400>`);
  await line(CHILD, `futex(${LOCK}, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>`);
  await line(MAIN, `wait4(${CHILD},  <unfinished ...>`);
  await new Promise((resolve) => out.end(resolve));
}

/** In a child process: read or analyze the log, print {seconds, lines, findings, peakMB}. */
async function measure(path: string, mode: 'read' | 'analyze'): Promise<void> {
  const start = process.hrtime.bigint();
  const sources = await resolveInputs([path]);
  let lines = 0;
  let findings = 0;
  if (mode === 'read') {
    const stats = emptyStats(sources);
    for await (const event of readTrace(sources, stats)) void event;
    lines = stats[0].lines;
  } else {
    const analysis = await analyzeTrace(sources);
    lines = analysis.inputs[0].lines;
    findings = analysis.findings.length;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
  process.stdout.write(JSON.stringify({ seconds, lines, findings, peakMB: peakKb / 1024 }));
}

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const directory = mkdtempSync(join(tmpdir(), 'forkscope-bench-parse-'));
  try {
    console.log('parse: strace -f log of one tree (3 threads, 1 lock), read alone and analyzed (two reads)');
    console.log('   size       lines   read lines/s  read MB/s  read peak RSS   analyze s  analyze peak RSS  findings');
    for (const megabytes of sizes.length ? sizes : [50, 200]) {
      const log = join(directory, `trace-${megabytes}.log`);
      await writeLog(log, megabytes);
      const size = statSync(log).size / (1024 * 1024);
      const run = (mode: string) =>
        JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--measure', mode, log], { encoding: 'utf8' }));
      const read = run('read');
      const analyzed = run('analyze');
      console.log(
        `${size.toFixed(0).padStart(5)} MB ${String(read.lines).padStart(11)} ${Math.round(read.lines / read.seconds).toLocaleString('en').padStart(14)}` +
          ` ${(size / read.seconds).toFixed(1).padStart(10)} ${read.peakMB.toFixed(0).padStart(11)} MB` +
          ` ${analyzed.seconds.toFixed(1).padStart(11)} ${analyzed.peakMB.toFixed(0).padStart(14)} MB ${String(analyzed.findings).padStart(9)}`,
      );
      rmSync(log);
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--measure') await measure(process.argv[4], process.argv[3] as 'read' | 'analyze');
else await main();
