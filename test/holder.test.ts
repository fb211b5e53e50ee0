// The holder of an inherited lock named from the threads of the parent alive at the fork, on real
// traces of programs that print their own TIDs (samples/c-mutex-held-among-workers,
// samples/c-pi-mutex-held-at-fork): what they printed is what the analysis must say, in a -f log
// with and without timestamps and in timed -ff files; untimed -ff files cannot order the threads.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { emptyStats, readTrace, resolveInputs } from '../parsers/index.js';
import { ForkThreads } from '../src/analysis/fork-threads.js';
import { TaskTree } from '../src/model/tree.js';
import { analyzeTrace } from '../src/pipeline.js';
import type { InheritedLockFinding } from '../src/analysis/types.js';
import { findingItems } from '../src/tui/FindingsPane.js';
import { applyKey, initialState, openFirstFinding, viewOf } from '../src/tui/navigation.js';
import { TraceIndex } from '../src/tui/trace-index.js';
import { analysisDocument } from './helpers/json.js';
import type { InheritedLockDocument } from './helpers/json.js';
import { repoPath, runCli } from './helpers/repo.js';

/** What a sample's program printed while one trace was recorded: each role and its TID, the mutex, the child. */
interface Printed {
  tids: Map<string, number>;
  mutex: string;
  main: number;
  child: number;
}

function printed(sample: string, out: string): Printed {
  const text = readFileSync(repoPath('samples', sample, out), 'utf8');
  const tids = new Map<string, number>();
  for (const m of text.matchAll(/^(waiter|holder|reader) (\d+) /gm)) tids.set(m[1]!, Number(m[2]));
  const mutex = /^holder \d+ holds (?:PI )?mutex (0x[0-9a-f]+)/m.exec(text);
  const fork = /^main (\d+) forked (\d+)/m.exec(text);
  assert.ok(mutex && fork && tids.has('holder'), `${out} says who holds what: ${text}`);
  return { tids, mutex: mutex[1]!, main: Number(fork[1]), child: Number(fork[2]) };
}

async function findingOf(sample: string, trace: string, child: number): Promise<InheritedLockFinding> {
  const analysis = await analyzeTrace(await resolveInputs([repoPath('samples', sample, trace)], {}));
  const found = analysis.findings.filter((f): f is InheritedLockFinding => f.kind === 'inherited-lock');
  assert.deepEqual(found.map((f) => f.pid), [child], `${trace}: one finding, for the child the program forked`);
  return found[0]!;
}

/** The line of the trace a candidate's call begins on. */
function lineAt(where: { file: string; line: number }): string {
  return readFileSync(where.file, 'utf8').split('\n')[where.line - 1] ?? '';
}

const ORDERED: [trace: string, out: string][] = [
  ['trace-f.log', 'trace-f.out'],
  ['plain.log', 'plain.out'],
  ['ff', 'ff.out'],
];

describe('c-mutex-held-among-workers: three workers alive at the fork, the holder sleeping in it', () => {
  const sample = 'c-mutex-held-among-workers';
  for (const [trace, out] of ORDERED) {
    it(`${trace}: names the thread that printed "holder", ranked above the reader, the waiter and main`, async () => {
      const program = printed(sample, out);
      const holder = program.tids.get('holder')!;
      const finding = await findingOf(sample, trace, program.child);
      assert.deepEqual(
        [finding.futex, finding.parentPid, finding.forkTid, finding.holderTid, finding.confidence, finding.outcome],
        [program.mutex, program.main, program.main, holder, 'possible', 'blocked'],
      );
      assert.deepEqual(
        finding.holderCandidates.map((c) => c.tid),
        [holder, program.tids.get('reader'), program.tids.get('waiter'), program.main],
      );
      const [first, reader, waiter] = finding.holderCandidates;
      assert.match(first!.doing ?? '', /^clock_nanosleep\(.*tv_sec=3600/);
      assert.match(lineAt(first!.line!), new RegExp(`clock_nanosleep\\(.*tv_sec=3600`));
      assert.match(reader!.doing ?? '', /^read\(3/);
      assert.match(waiter!.doing ?? '', /^futex\(/);
      assert.match(finding.explanation, /set apart \(sleeping in clock_nanosleep across the fork\)/);
      assert.ok(finding.evidence.some((e) => e.role === 'holder-at-fork' && e.tid === holder));
    });
  }

  it('ff-untimed: says the order is unknown and names no one', async () => {
    const program = printed(sample, 'ff-untimed.out');
    const finding = await findingOf(sample, 'ff-untimed', program.child);
    assert.deepEqual([finding.holderTid, finding.confidence, finding.holderCandidates], [null, 'possible', []]);
    assert.match(finding.explanation, /does not order the threads of the parent against the fork/);
  });

  it('the report says who held it and what it was doing; --json matches the schema', () => {
    const program = printed(sample, 'trace-f.out');
    const holder = program.tids.get('holder')!;
    const run = runCli(['analyze', `samples/${sample}/trace-f.log`]);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, new RegExp(`held by ${holder} \\(sleeping in clock_nanosleep at the fork\\) when ${program.main} forked it \\(possible\\)`));
    assert.match(run.stdout, /Threads of the parent alive at the fork, likeliest holder first:/);
    const doc = analysisDocument<InheritedLockDocument>(runCli(['analyze', '--json', `samples/${sample}/trace-f.log`]).stdout);
    assert.equal(doc.findings[0]?.holderCandidates[0]?.tid, holder);
  });

  it("the TUI's findings pane lists the threads alive at the fork under the open finding", async () => {
    const program = printed(sample, 'trace-f.out');
    const finding = await findingOf(sample, 'trace-f.log', program.child);
    const lines = findingItems([finding], 0).flatMap((item) => (item.kind === 'candidate' ? [item.text] : []));
    assert.deepEqual(lines.map((l) => Number(l.split(' ')[0])), finding.holderCandidates.map((c) => c.tid));
    assert.match(lines[0]!, new RegExp(`^${program.tids.get('holder')} sleeping in clock_nanosleep`));
  });

  it("the TUI's h goes to the call the holder was inside at the fork", async () => {
    const program = printed(sample, 'trace-f.out');
    const index = new TraceIndex(await resolveInputs([repoPath('samples', sample, 'trace-f.log')]));
    try {
      await index.load();
      const state = applyKey(index, openFirstFinding(index, initialState(index)), { input: 'h' }, 10).state;
      const row = viewOf(index, state).cursorRow;
      assert.deepEqual([row?.tid, row?.text.startsWith('clock_nanosleep(')], [program.tids.get('holder'), true], JSON.stringify(row));
    } finally {
      index.dispose();
    }
  });
});

describe('c-pi-mutex-held-at-fork: the child aborts on an inherited PI mutex', () => {
  const sample = 'c-pi-mutex-held-at-fork';
  for (const [trace, out] of ORDERED) {
    it(`${trace}: an aborted finding, held by the only other thread alive at the fork (likely)`, async () => {
      const program = printed(sample, out);
      assert.match(readFileSync(repoPath('samples', sample, out), 'utf8'), /killed by signal 6/, 'the program saw its child abort');
      const holder = program.tids.get('holder')!;
      const finding = await findingOf(sample, trace, program.child);
      assert.deepEqual(
        [finding.futex, finding.forkTid, finding.holderTid, finding.confidence, finding.outcome, finding.op],
        [program.mutex, program.main, holder, 'likely', 'aborted', 'FUTEX_LOCK_PI_PRIVATE'],
      );
      assert.deepEqual(finding.holderCandidates.map((c) => c.tid), [holder, program.main]);
      assert.match(finding.explanation, /only other thread of the parent alive at the fork \(sleeping in clock_nanosleep/);
      const failed = finding.evidence.find((e) => e.role === 'lock-failed');
      assert.match(failed?.text ?? '', /FUTEX_LOCK_PI_PRIVATE.*EPERM/);
    });
  }

  it('ff-untimed: aborted, holder unknown for want of order', async () => {
    const program = printed(sample, 'ff-untimed.out');
    const finding = await findingOf(sample, 'ff-untimed', program.child);
    assert.deepEqual([finding.outcome, finding.holderTid, finding.holderCandidates], ['aborted', null, []]);
    assert.match(finding.explanation, /does not order the threads/);
  });

  it('the report says ABORTED, and --json matches the schema', () => {
    const run = runCli(['analyze', `samples/${sample}/trace-f.log`]);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /^forkscope: 1 thread of forked children aborted on a PI lock inherited locked/);
    assert.match(run.stdout, /\nABORTED {2}\d+ \(child of \d+\) aborted locking futex 0x[0-9a-f]+, held by \d+ \(sleeping in clock_nanosleep at the fork\)/);
    const doc = analysisDocument<InheritedLockDocument>(runCli(['analyze', '--json', `samples/${sample}/trace-f.log`]).stdout);
    assert.equal(doc.findings[0]?.outcome, 'aborted');
  });
});

describe('fork-threads: what is kept', () => {
  it('a pre-fork pool: a child that exits keeps nothing of its fork; the one that hangs keeps its snapshot', async () => {
    // Hand-written -f lines: main (1000) with a sleeping thread (1001) forks 500 children that exit, then one that hangs.
    const lines = [
      '1000  clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, child_tid=0x1, parent_tid=0x1, exit_signal=0, stack=0x2, stack_size=0x3, tls=0x4} => {parent_tid=[1001]}, 88) = 1001',
      '1001  clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=3600, tv_nsec=0},  <unfinished ...>',
    ];
    const children = Array.from({ length: 501 }, (_, i) => 2000 + i);
    for (const child of children) {
      lines.push(`1000  clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x5) = ${child}`);
      if (child === children.at(-1)) lines.push(`${child}  futex(0x55d0c0a4e040, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>`);
      else lines.push(`${child}  exit_group(0)                 = ?`, `${child}  +++ exited with 0 +++`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'forkscope-pool-'));
    try {
      const file = join(dir, 'pool.log');
      writeFileSync(file, lines.join('\n') + '\n');
      const sources = await resolveInputs([file]);
      const tree = new TaskTree();
      const forkThreads = new ForkThreads(tree);
      for await (const event of readTrace(sources, emptyStats(sources))) {
        tree.observe(event);
        forkThreads.observe(event);
      }
      tree.finish();
      const kept = tree.processes().filter((p) => forkThreads.snapshotOf(p) !== undefined);
      assert.deepEqual(kept.map((p) => p.pid), [children.at(-1)]);
      const snapshot = forkThreads.snapshotOf(kept[0]!)!;
      assert.deepEqual(
        snapshot.threads.map((t) => [t.task.tid, t.doing?.name]),
        [[1001, 'clock_nanosleep']],
      );
      assert.deepEqual([snapshot.ordered, snapshot.complete], [true, true]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Two workers keep trading one mutex while main forks 12 children 7 ms apart; each child printed
// whether its copy of the mutex was locked and by whom (the mutex's __owner field). Every fork is a
// window of the second read over the same word, which the workers' calls fill between the forks.
describe('c-busy-lock-fan: twelve forks while two workers keep trading the mutex', () => {
  const sample = 'c-busy-lock-fan';
  for (const [trace, out] of [
    ['trace-f.log', 'trace-f.out'],
    ['ff', 'ff.out'],
  ] as const) {
    it(`${trace}: each child that found the mutex locked is reported with the worker that held it`, async () => {
      const text = readFileSync(repoPath('samples', sample, out), 'utf8');
      const forked = [...text.matchAll(/^main (\d+) forked (\d+)$/gm)].map((m) => Number(m[2]));
      const inherited = [...text.matchAll(/^child (\d+) inherited mutex (0x[0-9a-f]+) locked by (\d+)$/gm)].map((m) => ({
        pid: Number(m[1]),
        futex: m[2]!,
        holderTid: Number(m[3]),
      }));
      const main = Number(/^main (\d+) forked/m.exec(text)![1]);
      assert.equal(forked.length, 12);
      assert.ok(inherited.length >= 2, `${out}: several children found it locked`);
      const path = repoPath('samples', sample, trace);
      for (const blockBytes of [Number.MAX_SAFE_INTEGER, 1024]) {
        const analysis = await analyzeTrace(await resolveInputs([path], {}), { blockBytes });
        const found = analysis.findings.filter((f): f is InheritedLockFinding => f.kind === 'inherited-lock');
        assert.deepEqual(
          found.map(({ pid, futex, holderTid, confidence, parentPid }) => ({ pid, futex, holderTid, confidence, parentPid })),
          inherited.map((child) => ({ ...child, confidence: 'confirmed', parentPid: main })),
          `${trace}, blocks of ${blockBytes} bytes`,
        );
      }
    });
  }
});
