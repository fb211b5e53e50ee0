// An `strace -ff` set of thousands of files against the same trace as one `strace -f` log (issue
// 11: "-ff sets of 2,000+ files as fast as the merged -f log"). It writes one process whose N
// threads trade 16 locks amid read/epoll/close/fstat/clock noise, in random order, as both a
// `-f -tt -T` log and a `-ff -tt -T` set (one file per thread), then runs `forkscope analyze --json`
// on each in its own process under /usr/bin/time: CPU seconds (user + system) and peak RSS.
//
//   node dist/bench/ff.js [THREADS] [LINES]        default: 2000 400000

import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom, time } from './biglog.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const MAIN = 1000;
const THREAD_FLAGS =
  'CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID';
const NOISE = [
  'clock_gettime(CLOCK_MONOTONIC, {tv_sec=1234, tv_nsec=567890123}) = 0 <0.000004>',
  'read(42, "GET /index.html HTTP/1.1\\r\\nHost: localhost\\r\\n"..., 4096) = 512 <0.000011>',
  'epoll_wait(4, [{events=EPOLLIN, data={u32=41, u64=41}}], 1024, 1000) = 1 <0.000200>',
  'close(9) = 0 <0.000006>',
  'fstat(28, {st_mode=S_IFREG|0644, st_size=90441, ...}) = 0 <0.000005>',
];

/** Writes DIR/trace-f.log and DIR/ff/trace.TID with the same lines. */
function writeTrace(dir: string, threads: number, lines: number): void {
  mkdirSync(join(dir, 'ff'));
  const merged = openSync(join(dir, 'trace-f.log'), 'wx');
  const files = new Map<number, number>();
  let mergedText = '';
  const perThread = new Map<number, string>();
  const flush = () => {
    writeSync(merged, mergedText);
    mergedText = '';
    for (const [tid, text] of perThread) {
      let fd = files.get(tid);
      if (fd === undefined) files.set(tid, (fd = openSync(join(dir, 'ff', `trace.${tid}`), 'wx')));
      writeSync(fd, text);
    }
    perThread.clear();
  };
  let us = 10 * 3600e6;
  const line = (tid: number, text: string) => {
    const stamped = `${time((us += 3))} ${text}\n`;
    mergedText += `${tid}  ${stamped}`;
    perThread.set(tid, (perThread.get(tid) ?? '') + stamped);
    if (mergedText.length > 1 << 16) flush();
  };
  const random = seededRandom(11);
  line(MAIN, 'execve("./server", ["./server"], 0x7ffd2c1e8f18 /* 12 vars */) = 0 <0.000300>');
  const tids = Array.from({ length: threads }, (_, i) => MAIN + 1 + i);
  for (const tid of tids) line(MAIN, `clone3({flags=${THREAD_FLAGS}, exit_signal=0, stack=0x7f0e299ff000, stack_size=0x7fff00} => {parent_tid=[${tid}]}, 88) = ${tid} <0.000060>`);
  const waiting = new Set<number>();
  for (let n = 0; n < lines; n++) {
    const tid = tids[random(threads)]!;
    if (waiting.delete(tid)) {
      line(tid, '<... futex resumed>) = 0 <0.000020>');
      continue;
    }
    const lock = `0x55d0c0a4${(0xe040 + random(16) * 0x40).toString(16)}`;
    const kind = random(10);
    if (kind < 2) {
      line(tid, `futex(${lock}, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>`);
      waiting.add(tid);
    } else if (kind < 4) line(tid, `futex(${lock}, FUTEX_WAKE_PRIVATE, 1) = 1 <0.000012>`);
    else line(tid, NOISE[random(NOISE.length)]!);
  }
  for (const tid of waiting) line(tid, '<... futex resumed>) = 0 <0.000020>');
  line(MAIN, 'exit_group(0) = ?');
  line(MAIN, '+++ exited with 0 +++');
  flush();
  closeSync(merged);
  for (const fd of files.values()) closeSync(fd);
}

/** `forkscope analyze --json PATH` under /usr/bin/time: CPU seconds and peak RSS in MiB. */
function analyze(path: string): { seconds: number; peakMB: number } {
  const result = spawnSync('/usr/bin/time', ['-f', '%U %S %M', process.execPath, CLI, 'analyze', '--json', path], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const figures = /(\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+)\s*$/.exec(result.stderr);
  if (!figures || result.status !== 0) throw new Error(`analyze ${path} exited ${result.status}: ${result.stderr}`);
  return { seconds: Number(figures[1]) + Number(figures[2]), peakMB: Number(figures[3]) / 1024 };
}

const [threads, lines] = [Number(process.argv[2] ?? 2000), Number(process.argv[3] ?? 400_000)];
const directory = mkdtempSync(join(tmpdir(), 'forkscope-bench-ff-'));
try {
  writeTrace(directory, threads, lines);
  const log = join(directory, 'trace-f.log');
  console.log(`ff: ${threads} threads, ${lines} lines (${(statSync(log).size / 1e6).toFixed(0)} MB), analyze --json, CPU seconds and peak RSS, best of 3`);
  const best = (path: string) => [0, 1, 2].map(() => analyze(path)).reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const f = best(log);
  const ff = best(join(directory, 'ff'));
  console.log(`-f log:           ${f.seconds.toFixed(2)} s  ${f.peakMB.toFixed(0)} MiB`);
  console.log(`-ff set (${threads + 1} files): ${ff.seconds.toFixed(2)} s  ${ff.peakMB.toFixed(0)} MiB  (${((100 * f.seconds) / ff.seconds).toFixed(0)} % of the -f log's speed)`);
} finally {
  rmSync(directory, { recursive: true, force: true });
}
