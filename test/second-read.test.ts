// The second read (issue 11): the first read notes where each futex word's calls are by blocks of
// the file (parsers/futex-index.ts), and the second reads only the blocks that hold the calls the
// holder analysis asks for, outward from the fork. It must name the same holder from the same
// calls as a read of the whole file, also when a call's halves are in two blocks.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeRealisticLog } from '../bench/biglog.js';
import { FutexIndex } from '../parsers/futex-index.js';
import { emptyStats, readFutexCalls, readTraceBatches, resolveInputs } from '../parsers/index.js';
import { HolderCollector } from '../src/analysis/holder.js';
import type { InheritedLockFinding } from '../src/analysis/types.js';
import type { TraceEvent } from '../src/model/events.js';
import { analyzeSources, analyzeTrace } from '../src/pipeline.js';
import type { PipelineOptions } from '../src/pipeline.js';
import { repoPath } from './helpers/repo.js';

/** One block: the second read reads every line that holds a call asked for, as before the index. */
const WHOLE = Number.MAX_SAFE_INTEGER;

/** The analysis, and the bytes its second read read. */
async function analyzeCounting(path: string, options: PipelineOptions = {}) {
  const counter = { bytes: 0 };
  let secondRead = false;
  const analysis = await analyzeTrace(await resolveInputs([path]), {
    ...options,
    counter,
    onSecondRead: () => {
      secondRead = true;
      counter.bytes = 0;
    },
  });
  return { analysis, secondBytes: secondRead ? counter.bytes : null };
}

/**
 * The holder analysis's calls (each parent thread's last calls before the fork and first after) from
 * the blocks the index points at, and from a read of every futex call; the bytes the first read; and
 * the calls the blocks gave that a read of every futex call does not give as they are (none should be).
 */
async function holderHistories(path: string, blockBytes: number) {
  const sources = await resolveInputs([path]);
  const candidates = (await analyzeSources(sources)).watcher.candidates();
  const index = new FutexIndex(blockBytes);
  for await (const batch of readTraceBatches(sources, emptyStats(sources), { calls: 'all', index })) assert.ok(batch);
  const counter = { bytes: 0 };
  const fromBlocks = new HolderCollector(candidates);
  const read: TraceEvent[] = [];
  for await (const event of readFutexCalls(sources, fromBlocks.query(), { index, counter })) {
    fromBlocks.observe(event);
    read.push(event);
  }
  const fromAll = new HolderCollector(candidates);
  const { tids, words } = fromAll.query();
  const every = new Map<string, TraceEvent>();
  const key = (event: TraceEvent) => (event.kind === 'syscall' ? `${event.start.stream}:${event.start.seq}` : '');
  for await (const event of readFutexCalls(sources, { tids, words })) {
    fromAll.observe(event);
    every.set(key(event), event);
  }
  const unlike = read.filter((event) => !isDeepStrictEqual(event, every.get(key(event))));
  return { fromBlocks: fromBlocks.finish(), fromAll: fromAll.finish(), bytes: counter.bytes, unlike };
}

const inheritedLock = (findings: { kind: string }[]) => findings.find((f): f is InheritedLockFinding => f.kind === 'inherited-lock');

describe('the second read visits only the blocks it needs', () => {
  // The program printed that 12482 held the lock when 12481 forked 12484. Its release after the fork
  // (line 70, resumed at 72) and 12483's wait across the fork (line 62, resumed at 71) are each
  // `<unfinished ...>` in one line and `<... futex resumed>` in a later one; with blocks of 64 bytes
  // every line starts a block of its own, so each half is in another block.
  it('c-mutex-held-at-fork: a call whose unfinished half is in an earlier block than its resumed half comes out whole', async () => {
    const path = repoPath('samples/c-mutex-held-at-fork/trace-f.log');
    const small = await analyzeCounting(path, { blockBytes: 64 });
    const whole = await analyzeCounting(path, { blockBytes: WHOLE });
    const finding = inheritedLock(small.analysis.findings);
    assert.equal(finding?.holderTid, 12482);
    assert.equal(finding?.confidence, 'confirmed');
    const released = finding.evidence.find((e) => e.role === 'released-after-fork');
    assert.deepEqual([released?.line, released?.text], [70, 'futex(0x558bf406a080, FUTEX_WAKE_PRIVATE, 1) = 1']);
    const waited = finding.evidence.find((e) => e.role === 'contended-across-fork');
    assert.deepEqual([waited?.line, waited?.text], [62, 'futex(0x558bf406a080, FUTEX_WAIT_PRIVATE, 2, NULL) = 0']);
    assert.deepEqual(small.analysis, whole.analysis);
    assert.ok(small.secondBytes! < statSync(path).size, `${small.secondBytes} bytes read again of ${statSync(path).size}`);
  });

  for (const trace of ['samples/c-mutex-held-at-fork/ff', 'samples/c-mutex-held-at-fork-signalled/lock.log', 'samples/python-lock-fork/trace-f.log']) {
    it(`${trace}: blocks of any size give the analysis a whole read gives`, async () => {
      const path = repoPath(trace);
      const whole = (await analyzeCounting(path, { blockBytes: WHOLE })).analysis;
      for (const blockBytes of [1, 300, 4096]) assert.deepEqual((await analyzeCounting(path, { blockBytes })).analysis, whole, `blocks of ${blockBytes} bytes`);
    });
  }

  // After the fork the holder's 16th call on the word, the last the analysis keeps, is a wait whose
  // resumed half comes 2,000 lines later: the blocks read end before it, and it is read whole all
  // the same (not as a call that never returned); another thread's wait that starts in the block of
  // that resumed half, and resumes in a block not read, gives nothing rather than a call that never
  // returned.
  it('the last call kept after the fork, its halves far apart, comes out whole', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'forkscope-second-read-'));
    try {
      const path = join(directory, 'trace.log');
      writeFileSync(path, splitLastCallLog());
      const { fromBlocks, fromAll, bytes, unlike } = await holderHistories(path, 1024);
      assert.deepEqual(unlike, []);
      const after = fromAll[0]!.threads.get(1001)!.after;
      assert.equal(after.length, 16);
      assert.deepEqual([after[15]!.start.where.line, after[15]!.end?.where.line], [100, 2101]);
      assert.deepEqual(fromBlocks, fromAll);
      assert.ok(bytes < statSync(path).size / 4, `${bytes} bytes read again of ${statSync(path).size}`);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('a big log: the second read reads a few blocks around the fork, and names the same holder', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'forkscope-second-read-'));
    try {
      const path = join(directory, 'trace.log');
      await writeRealisticLog(path, 4);
      const size = statSync(path).size;
      const partial = await analyzeCounting(path);
      const whole = await analyzeCounting(path, { blockBytes: WHOLE });
      assert.equal(inheritedLock(partial.analysis.findings)?.holderTid, 1001);
      assert.deepEqual(partial.analysis, whole.analysis);
      assert.ok(partial.secondBytes! < size / 2, `${partial.secondBytes} bytes read again of ${size}`);
      assert.equal(whole.secondBytes, size);
      for (const blockBytes of [4 << 10, 64 << 10]) {
        const { fromBlocks, fromAll, unlike } = await holderHistories(path, blockBytes);
        assert.deepEqual(fromBlocks, fromAll);
        assert.deepEqual(unlike, []);
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

/**
 * An `strace -f -tt -T` log: 1001 trades the lock 30 times, takes it, 1000 forks 1002 (which blocks
 * on it), 1001 releases it, 1004 makes 16 calls on it, 1001 14 more, then a wait (line 100) that
 * 2,000 lines of another thread's calls later resumes (line 2101); next to that line 1004 starts a
 * wait that resumes 200 lines later (a call the analysis does not keep, in a block read for 1001's).
 */
function splitLastCallLog(): string {
  const lock = '0x55d0c0a4e040';
  let us = 36_000e6;
  const lines: string[] = [];
  const line = (tid: number, text: string) => {
    us += 10;
    const s = Math.floor(us / 1e6);
    const clock = `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    lines.push(`${tid}  ${clock}.${String(us % 1e6).padStart(6, '0')} ${text}`);
  };
  const flags = 'CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID';
  line(1000, 'execve("./prog", ["./prog"], 0x7ffd2c1e8f18 /* 12 vars */) = 0 <0.000300>');
  for (const tid of [1001, 1003, 1004]) line(1000, `clone3({flags=${flags}, exit_signal=0, stack=0x7f0e299ff000, stack_size=0x7fff00} => {parent_tid=[${tid}]}, 88) = ${tid} <0.000060>`);
  for (let i = 0; i < 30; i++) {
    line(1001, `futex(${lock}, FUTEX_WAIT_PRIVATE, 2, NULL) = 0 <0.000008>`);
    line(1001, `futex(${lock}, FUTEX_WAKE_PRIVATE, 1) = 0 <0.000006>`);
  }
  line(1001, `futex(${lock}, FUTEX_WAIT_PRIVATE, 2, NULL) = 0 <0.000008>`);
  line(1000, 'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f0e2a200a10) = 1002 <0.000400>');
  line(1002, `futex(${lock}, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>`);
  line(1000, 'wait4(1002,  <unfinished ...>');
  line(1001, `futex(${lock}, FUTEX_WAKE_PRIVATE, 1) = 0 <0.000006>`);
  for (let i = 0; i < 16; i++) line(1004, `futex(${lock}, FUTEX_WAKE_PRIVATE, 1) = 0 <0.000006>`);
  for (let i = 0; i < 14; i++) line(1001, `futex(${lock}, FUTEX_WAKE_PRIVATE, 1) = 0 <0.000006>`);
  line(1001, `futex(${lock}, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>`);
  const filler = (lines: number) => {
    for (let i = 0; i < lines; i++) line(1003, 'clock_gettime(CLOCK_MONOTONIC, {tv_sec=1234, tv_nsec=567890123}) = 0 <0.000004>');
  };
  filler(2000);
  line(1001, '<... futex resumed>) = 0 <0.020000>');
  line(1004, `futex(${lock}, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>`);
  filler(200);
  line(1004, '<... futex resumed>) = 0 <0.002000>');
  for (let i = 0; i < 20; i++) line(1001, `futex(${lock}, FUTEX_WAKE_PRIVATE, 1) = 0 <0.000006>`);
  return `${lines.join('\n')}\n`;
}
