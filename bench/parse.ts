// Throughput and memory of reading and analyzing a large strace -f log (bench/biglog.ts). The log is
// one long-lived tree (a holder and a contender thread trading one mutex millions of times, then the
// fork that hangs), so the log grows while the threads and locks stay the same: peak memory should
// not grow with it. Each measurement runs in its own process so its peak RSS (VmHWM) is its own.
//
//   node dist/bench/parse.js [MB ...]        default: 50 200

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyStats, readTrace, resolveInputs } from '../parsers/index.js';
import { analyzeTrace } from '../src/pipeline.js';
import { writeLog } from './biglog.js';

/** In a child process: read or analyze the log, print {seconds, lines, findings, peakMB}. */
async function measure(path: string, mode: 'read' | 'analyze'): Promise<void> {
  const start = process.hrtime.bigint();
  const sources = await resolveInputs([path]);
  let lines = 0;
  let findings = 0;
  if (mode === 'read') {
    const stats = emptyStats(sources);
    for await (const event of readTrace(sources, stats)) void event;
    lines = stats[0]!.lines;
  } else {
    const analysis = await analyzeTrace(sources);
    lines = analysis.inputs[0]!.lines;
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

if (process.argv[2] === '--measure') await measure(process.argv[4]!, process.argv[3] as 'read' | 'analyze');
else await main();
