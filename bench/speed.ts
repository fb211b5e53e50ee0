// Reading speed against the floor (issue 11): on a log shaped like a real workload's
// (bench/biglog.ts writeRealisticLog: 8 worker threads trading 16 locks amid read/write/epoll/
// mmap/openat/close/clock noise, short-lived forked children, one hung child), it measures in one
// run, each in its own process: a minimal Node streaming loop (64 KiB chunks, lines split, one
// regex a line: the floor no reader of this log can beat on one core), `forkscope analyze --json`,
// `forkscope timeline`, and the TUI's indexing (what `forkscope tui` does before it is ready: the
// TraceIndex of src/tui/trace-index.ts reading the log into its row store and merging the threads'
// timelines, without Ink), with CPU time (user + system) and peak RSS from /usr/bin/time. Speeds
// are MB of log per CPU second (the machine is shared: wall time says more about the others' load),
// and shares of the floor measured in the same run.
//
//   node dist/bench/speed.js [--before DIR] [MB ...]        default: 20 200
//   node dist/bench/speed.js --index CLI LOG                 the TUI's indexing alone (run by the above)
//
// --before DIR: also measure the build in DIR (a checkout of another commit, built: DIR/dist/src/cli.js)
// in the same run, for before/after figures that shared the same load.
//
// Then, in this process, analyze's two reads apart (src/pipeline.ts analyzeSources: the first read,
// then the second that names the holders), CPU seconds each and the bytes the second read read.

import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeRealisticLog } from './biglog.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

/** The floor: read the file in 64 KiB chunks, split lines, match one regex per line. */
async function floor(path: string): Promise<void> {
  const pidAndName = /^(\d+)\s+\S+\s+(?:<\.\.\. )?(\w+)/;
  let rest = '';
  let matched = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 64 << 10, encoding: 'utf8' })) {
    const text = rest + (chunk as string);
    let from = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      if (pidAndName.test(text.slice(from, nl))) matched++;
      from = nl + 1;
    }
    rest = text.slice(from);
  }
  process.stdout.write(String(matched));
}

interface Run {
  /** CPU seconds, user and system. */
  seconds: number;
  peakMB: number;
  status: number | null;
}

/** Runs `args` under /usr/bin/time: CPU seconds and peak RSS (output to /dev/null). */
function timed(args: string[]): Run {
  const result = spawnSync('/usr/bin/time', ['-f', '%U %S %M', ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const figures = /(\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+)\s*$/.exec(result.stderr);
  if (!figures) throw new Error(`${args.join(' ')}: no figures from /usr/bin/time: ${result.stderr}`);
  return { seconds: Number(figures[1]) + Number(figures[2]), peakMB: Number(figures[3]) / 1024, status: result.status };
}

interface Split {
  first: number;
  second: number;
  secondBytes: number;
}

/** analyzeSources of the build whose CLI is `cli`, in this process: CPU seconds of each read, bytes of the second. */
async function split(cli: string, log: string): Promise<Split> {
  const dist = join(cli, '../..');
  const pipeline = (await import(pathToFileURL(join(dist, 'src/pipeline.js')).href)) as typeof import('../src/pipeline.js');
  const parsers = (await import(pathToFileURL(join(dist, 'parsers/index.js')).href)) as typeof import('../parsers/index.js');
  const cpu = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  };
  const counter = { bytes: 0 };
  const start = cpu();
  let second = start;
  await pipeline.analyzeSources(await parsers.resolveInputs([log]), {
    counter,
    onSecondRead: () => {
      second = cpu();
      counter.bytes = 0;
    },
  });
  return { first: second - start, second: cpu() - second, secondBytes: counter.bytes };
}

/** The TUI's indexing of `log` by the build whose CLI is `cli`, without the screen. */
async function index(cli: string, log: string): Promise<void> {
  const dist = join(cli, '../..');
  const parsers = (await import(pathToFileURL(join(dist, 'parsers/index.js')).href)) as typeof import('../parsers/index.js');
  const tui = (await import(pathToFileURL(join(dist, 'src/tui/trace-index.js')).href)) as typeof import('../src/tui/trace-index.js');
  const sources = await parsers.resolveInputs([log]);
  const traceIndex = new tui.TraceIndex(sources);
  try {
    await traceIndex.load();
    const { phase, error } = traceIndex.progress();
    if (phase !== 'ready') throw new Error(`indexing ended ${phase}: ${error}`);
    process.stdout.write(`${traceIndex.analysis!.findings.length} findings\n`);
  } finally {
    traceIndex.dispose();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const before = args.indexOf('--before');
  const builds = [{ label: 'this', cli: CLI }];
  if (before >= 0) builds.unshift({ label: 'before', cli: join(args.splice(before, 2)[1]!, 'dist/src/cli.js') });
  const sizes = args.map(Number).filter((n) => n > 0);
  const directory = mkdtempSync(join(tmpdir(), 'forkscope-bench-speed-'));
  try {
    console.log(`speed: realistic strace -f -tt -T log (bench/biglog.ts), one process each; node ${process.version}, ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores`);
    console.log(
      'build    size     tasks  floor MB/s  analyze MB/s  of floor  analyze RSS  timeline MB/s  of analyze  timeline RSS  TUI index MB/s  of analyze  TUI index RSS',
    );
    const splits: string[] = [];
    for (const megabytes of sizes.length ? sizes : [20, 200]) {
      const log = join(directory, `trace-${megabytes}.log`);
      const { tasks } = await writeRealisticLog(log, megabytes);
      const size = statSync(log).size / 1e6;
      const floorRun = timed([process.execPath, fileURLToPath(import.meta.url), '--floor', log]);
      const speed = (run: Run) => size / run.seconds;
      for (const { label, cli } of builds) {
        const analyze = timed([process.execPath, cli, 'analyze', '--json', log]);
        const timeline = timed([process.execPath, cli, 'timeline', log]);
        const indexing = timed([process.execPath, fileURLToPath(import.meta.url), '--index', cli, log]);
        if (analyze.status !== 1) throw new Error(`analyze exited ${analyze.status}, not 1 (the hang)`);
        if (indexing.status !== 0) throw new Error(`the TUI's indexing exited ${indexing.status}`);
        console.log(
          `${label.padEnd(6)} ${megabytes.toFixed(0).padStart(5)} MB ${String(tasks).padStart(9)} ${speed(floorRun).toFixed(1).padStart(11)} ${speed(analyze).toFixed(1).padStart(13)}` +
            ` ${`${((100 * speed(analyze)) / speed(floorRun)).toFixed(0)} %`.padStart(9)} ${`${analyze.peakMB.toFixed(0)} MiB`.padStart(12)}` +
            ` ${speed(timeline).toFixed(1).padStart(14)} ${`${((100 * speed(timeline)) / speed(analyze)).toFixed(0)} %`.padStart(11)} ${`${timeline.peakMB.toFixed(0)} MiB`.padStart(13)}` +
            ` ${speed(indexing).toFixed(1).padStart(15)} ${`${((100 * speed(indexing)) / speed(analyze)).toFixed(0)} %`.padStart(11)} ${`${indexing.peakMB.toFixed(0)} MiB`.padStart(14)}`,
        );
        const { first, second, secondBytes } = await split(cli, log);
        splits.push(
          `${label.padEnd(6)} ${megabytes.toFixed(0).padStart(5)} MB ${first.toFixed(2).padStart(12)} ${second.toFixed(2).padStart(13)}` +
            ` ${(secondBytes / 1e6).toFixed(1).padStart(12)} ${`${((100 * second) / (first + second)).toFixed(0)} %`.padStart(17)}`,
        );
      }
      rmSync(log);
    }
    console.log('\nin this process, CPU seconds of analyze\'s two reads');
    console.log('build    size     first read   second read   MB read again   second of both');
    for (const line of splits) console.log(line);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--floor') await floor(process.argv[3]!);
else if (process.argv[2] === '--index') await index(process.argv[3]!, process.argv[4]!);
else await main();
