// The inherited-lock analysis on real traces (samples/), the seed 002 PlashGlibc log, and a few
// hand-written edge cases (test/fixtures/README.md), through the API and through the CLI.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveInputs } from '../parsers/index.js';
import { analyzeTrace } from '../src/pipeline.js';
import type { Analysis, Finding, InheritedLockFinding, LockCycleFinding, PipeHeldOpenFinding } from '../src/analysis/types.js';
import { repoPath, runCli } from './helpers/repo.js';
import { analysisDocument } from './helpers/json.js';
import type { InheritedLockDocument } from './helpers/json.js';

async function analyze(...paths: string[]): Promise<Analysis> {
  return analyzeTrace(await resolveInputs(paths.map((p) => repoPath(p)), {}));
}

const inheritedLocks = (findings: Finding[]) => findings.filter((f): f is InheritedLockFinding => f.kind === 'inherited-lock');

const brief = (f: InheritedLockFinding) => ({
  pid: f.pid,
  tid: f.tid,
  futex: f.futex,
  parentPid: f.parentPid,
  forkTid: f.forkTid,
  holderTid: f.holderTid,
  confidence: f.confidence,
});

describe('seed 002: PlashGlibc nptl/tst-fork1', () => {
  it('finds 18972 blocked on 0x2b79a1b1e2c0, forked by 18969, lock held by 18970, 18969 in wait4', async () => {
    const analysis = await analyze('samples/plash-tst-fork1/tst-fork1.log');
    assert.equal(analysis.inputs[0]!.format, 'plash');
    assert.deepEqual(inheritedLocks(analysis.findings).map(brief), [
      { pid: 18972, tid: 18972, futex: '0x2b79a1b1e2c0', parentPid: null, forkTid: 18969, holderTid: 18970, confidence: 'likely' },
    ]);
    const [finding] = inheritedLocks(analysis.findings);
    assert.ok(finding);
    assert.deepEqual(finding.chain.map((l) => [l.tid, l.waitsOn]), [[18969, 'wait4 18972']]);
    const roles = finding.evidence.map((e) => e.role);
    for (const role of ['handed-over', 'lock-taken', 'fork-while-held', 'blocked-forever', 'waits-for-child'] as const) {
      assert.ok(roles.includes(role), `evidence has ${role}: ${roles.join(', ')}`);
    }
    const handedOver = finding.evidence.find((e) => e.role === 'handed-over')!;
    assert.equal(handedOver.tid, 18969);
    assert.match(handedOver.text, /= 1$/);
  });

  it('groups threads 18969 and 18970 into one process and reports 18973 as exited 3, not hung', async () => {
    const analysis = await analyze('samples/plash-tst-fork1/tst-fork1.log');
    const parent = analysis.processes.find((p) => p.threads.includes(18969))!;
    assert.deepEqual([...parent.threads].sort(), [18969, 18970]);
    assert.equal(parent.pid, null);
    const exited = analysis.processes.find((p) => p.pid === 18973)!;
    assert.deepEqual(exited.exit, { code: 3 });
    assert.equal(exited.state, 'exited');
    assert.ok(!analysis.findings.some((f) => f.pid === 18973));
  });

  it('gives the same finding when the two fragments are given as two files', async () => {
    const analysis = await analyze('samples/plash-tst-fork1/non-deadlocked.log', 'samples/plash-tst-fork1/deadlocked.log');
    assert.deepEqual(inheritedLocks(analysis.findings).map(brief), [
      { pid: 18972, tid: 18972, futex: '0x2b79a1b1e2c0', parentPid: null, forkTid: 18969, holderTid: 18970, confidence: 'likely' },
    ]);
  });

  it('finds nothing in the non-deadlocked fragment alone', async () => {
    const analysis = await analyze('samples/plash-tst-fork1/non-deadlocked.log');
    assert.deepEqual(analysis.findings, []);
  });
});

describe('task tree', () => {
  it("a non-leader thread's execve keeps one process, now running the new program", async () => {
    const analysis = await analyze('test/fixtures/parsers/exec-thread.log');
    assert.deepEqual(
      analysis.processes.map((p) => [p.pid, p.parentPid, p.command, p.exit]),
      [[4409, null, 'true', { code: 0 }]],
    );
  });

  it('a pid forked again after its first process exited is a second child, not the first one again', async () => {
    const log = 'test/fixtures/parsers/pid-reuse.log';
    const text = readFileSync(repoPath(log), 'utf8');
    const parent = Number(text.split(' ')[0]);
    const child = Number(/clone\(.*\) = (\d+)/.exec(text)![1]);
    const analysis = await analyze(log);
    assert.deepEqual(
      analysis.processes.map((p) => [p.pid, p.parentPid, p.exit]),
      [
        [parent, null, { code: 0 }],
        [child, parent, { code: 1 }],
        [child, parent, { code: 2 }],
      ],
    );
  });
});

describe('hand-written edge cases', () => {
  const cases: [string, Partial<ReturnType<typeof brief>>[]][] = [
    ['held-across-fork.log', [{ pid: 1002, futex: '0x55d0c0a4e040', parentPid: 1000, forkTid: 1000, holderTid: 1001, confidence: 'confirmed' }]],
    ['waiter-across-fork.log', [{ pid: 1002, futex: '0x55d0c0a4e040', parentPid: 1000, forkTid: 1000, holderTid: 1001, confidence: 'confirmed' }]],
    ['child-thread-releases.log', []],
    ['shared-futex-parent-wakes.log', []],
    ['contention-resolves.log', []],
    ['timed-wait-times-out.log', [{ pid: 1002, futex: '0x55d0c0a4e040', parentPid: 1000, holderTid: 1001, confidence: 'likely' }]],
  ];
  for (const [file, expected] of cases) {
    it(`${file}: ${expected.length ? 'reports the hang' : 'reports nothing'}`, async () => {
      const analysis = await analyze(`test/fixtures/${file}`);
      const found = inheritedLocks(analysis.findings);
      assert.equal(analysis.findings.length, expected.length, JSON.stringify(analysis.findings));
      expected.forEach((want, i) => {
        const got = brief(found[i]!);
        for (const [key, value] of Object.entries(want)) assert.deepEqual(got[key as keyof typeof got], value, `${file}: ${key}`);
      });
    });
  }

  it('timed-wait-times-out.log: quotes the timeouts and the parent still in wait4 until the kill', async () => {
    const [finding] = inheritedLocks((await analyze('test/fixtures/timed-wait-times-out.log')).findings);
    assert.ok(finding);
    assert.deepEqual(finding.evidence.filter((e) => e.role === 'timed-out').map((e) => e.line), [4, 6]);
    assert.equal(finding.blockedSince, '10:00:00.051000');
  });
});

interface ExpectedHang {
  pid: number;
  tid?: number;
  futex: string;
  parentPid?: number | null;
  forkTid?: number;
  holderTid?: number | null;
  confidence?: string;
  /** When the child began waiting: its first wait, not one a signal made it issue again. */
  blockedSince?: string;
  outcome?: 'blocked' | 'aborted';
}

interface ExpectedCycle {
  pid: number;
  tids: number[];
  futexes: string[];
  confidence?: string;
}

interface ExpectedPipe {
  pid: number;
  tid: number;
  fd: number;
  writers: { pid: number; fd: number }[];
  confidence?: string;
}

interface Expected {
  /** inherited-lock findings */
  hung: ExpectedHang[];
  lockCycles?: ExpectedCycle[];
  heldPipes?: ExpectedPipe[];
  exited?: number[];
}

describe('samples: every recorded trace gives the findings its expected.json states', () => {
  const samples = readdirSync(repoPath('samples')).filter((name) => existsSync(repoPath('samples', name, 'expected.json')));
  it('has samples to check', () => assert.ok(samples.length >= 5, `samples with expected.json: ${samples.join(', ')}`));
  for (const sample of samples) {
    const expected = JSON.parse(readFileSync(repoPath('samples', sample, 'expected.json'), 'utf8')) as Record<string, Expected>;
    for (const [trace, want] of Object.entries(expected)) {
      it(`${sample}/${trace}`, async () => {
        const analysis = await analyze(`samples/${sample}/${trace}`);
        const got = inheritedLocks(analysis.findings).map((f) => ({ ...brief(f), blockedSince: f.blockedSince, outcome: f.outcome }));
        assert.equal(got.length, want.hung.length, JSON.stringify(got));
        for (const hang of want.hung) {
          const match = got.find((f) => f.pid === hang.pid);
          assert.ok(match, `pid ${hang.pid} reported: ${JSON.stringify(got)}`);
          for (const [key, value] of Object.entries(hang)) {
            assert.deepEqual(match[key as keyof typeof match], value, `${sample}/${trace} pid ${hang.pid}: ${key}`);
          }
        }
        const cycles = analysis.findings
          .filter((f): f is LockCycleFinding => f.kind === 'lock-cycle')
          .map(({ pid, tids, futexes, confidence }) => ({ pid, tids, futexes, confidence }));
        assert.deepEqual(cycles, want.lockCycles ?? [], `${sample}/${trace}: lock cycles`);
        const pipes = analysis.findings
          .filter((f): f is PipeHeldOpenFinding => f.kind === 'pipe-held-open')
          .map(({ pid, tid, fd, writers, confidence }) => ({ pid, tid, fd, writers, confidence }));
        assert.deepEqual(pipes, want.heldPipes ?? [], `${sample}/${trace}: pipes held open`);
        for (const pid of want.exited ?? []) assert.ok(!got.some((f) => f.pid === pid), `exited ${pid} not reported`);
      });
    }
  }
});

describe('pipes held open: descriptors followed through dup and exec (hand-written)', () => {
  const pipes = (analysis: Analysis) =>
    analysis.findings.filter((f): f is PipeHeldOpenFinding => f.kind === 'pipe-held-open').map(({ pid, fd, writers }) => ({ pid, fd, writers }));

  it('a copy of the write end made without O_CLOEXEC survives the exec: the child holds it as its stdout', async () => {
    const analysis = await analyze('test/fixtures/pipe-dup2-exec.log');
    assert.deepEqual(pipes(analysis), [{ pid: 2000, fd: 3, writers: [{ pid: 2001, fd: 1 }] }]);
    const [finding] = analysis.findings;
    assert.deepEqual(finding?.evidence.map((e) => [e.line, e.role]), [
      [2, 'pipe-created'],
      [4, 'fd-copied'],
      [9, 'write-end-open'],
      [7, 'blocked-forever'],
    ]);
  });

  it('a copy made with F_DUPFD_CLOEXEC is closed by the exec: end of file can come, no finding', async () => {
    assert.deepEqual((await analyze('test/fixtures/pipe-cloexec-exec.log')).findings, []);
  });
});

describe('forkscope analyze (CLI)', () => {
  it('exits 1 with a plain-words report when a hang is found', () => {
    const run = runCli(['analyze', 'samples/plash-tst-fork1/tst-fork1.log']);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /18972 \(child of 18969\) blocked forever on futex 0x2b79a1b1e2c0, held by 18970 when 18969 forked it \(likely\)/);
    assert.match(run.stdout, /Waiting on it:\n\s+thread 18969 .* wait4 18972/);
    assert.match(run.stdout, /tst-fork1\.log:\d+/);
    assert.doesNotMatch(run.stdout, /\x1b\[/, 'no colour when not a TTY');
  });

  it('exits 0 when nothing hangs, with and without --json', () => {
    assert.equal(runCli(['analyze', 'test/fixtures/contention-resolves.log']).status, 0);
    const run = runCli(['analyze', '--json', 'test/fixtures/contention-resolves.log']);
    assert.equal(run.status, 0);
    assert.deepEqual(analysisDocument<InheritedLockDocument>(run.stdout).findings, []);
  });

  it('--json prints the versioned document with the same exit code', () => {
    const run = runCli(['analyze', '--json', 'samples/plash-tst-fork1/tst-fork1.log']);
    assert.equal(run.status, 1);
    const doc = analysisDocument<InheritedLockDocument>(run.stdout);
    assert.equal(doc.schema, 'forkscope/analysis@1');
    assert.deepEqual(Object.keys(doc), ['schema', 'inputs', 'processes', 'findings', 'warnings']);
    assert.equal(doc.findings[0]?.futex, '0x2b79a1b1e2c0');
    assert.equal(doc.inputs[0]?.format, 'plash');
  });

  it('reads stdin given as -', () => {
    const log = readFileSync(repoPath('test/fixtures/held-across-fork.log'), 'utf8');
    const run = runCli(['analyze', '--json', '-'], { input: log });
    assert.equal(run.status, 1, run.stderr);
    assert.equal(analysisDocument<InheritedLockDocument>(run.stdout).findings[0]?.holderTid, 1001);
  });

  it('reports unreadable lines as file:line and still analyzes the rest', () => {
    const log = readFileSync(repoPath('test/fixtures/held-across-fork.log'), 'utf8').split('\n');
    log.splice(3, 0, 'this is not strace output', '1001  10:00:00.004500 futex(0x55d0c0a4e040, FUTEX_WAIT_PRIVATE');
    const run = runCli(['analyze', '--json', '--format', 'strace', '-'], { input: log.join('\n') });
    assert.equal(run.status, 1, run.stderr);
    const doc = analysisDocument<InheritedLockDocument>(run.stdout);
    assert.equal(doc.findings[0]?.holderTid, 1001);
    assert.ok(doc.warnings.some((w: { line: number }) => w.line === 4), JSON.stringify(doc.warnings));
    assert.ok((doc.inputs[0]?.warnings ?? 0) >= 1);
  });

  it('exits 2 with a clear message for a missing file, an unknown format and bad usage', () => {
    const missing = runCli(['analyze', 'no/such/trace.log']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no\/such\/trace\.log/);
    assert.equal(runCli(['analyze', '--format', 'nope', 'x']).status, 2);
    assert.equal(runCli(['analyze']).status, 2);
    assert.equal(runCli(['frobnicate']).status, 2);
  });

  it('refuses a FIFO (with no writer it would block forever) and a device with one line, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'forkscope-fifo-'));
    try {
      const fifo = join(dir, 'trace.fifo');
      execFileSync('mkfifo', [fifo]);
      for (const [path, kind] of [[fifo, 'a FIFO'], ['/dev/null', 'a character device']] as const) {
        for (const command of ['analyze', 'timeline']) {
          const run = runCli([command, path]);
          assert.equal(run.status, 2, run.stderr);
          assert.equal(run.stderr, `forkscope: ${path}: not a regular file (${kind})\n`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('forkscope timeline', () => {
  it('prints the seed 002 processes in the nested style with the lines that matter annotated', () => {
    const run = runCli(['timeline', 'samples/plash-tst-fork1/tst-fork1.log']);
    assert.equal(run.status, 1, run.stderr);
    const sections = run.stdout.split('\n----\n');
    assert.ok(sections.length >= 3, run.stdout);
    assert.match(run.stdout, /\?: 18972: started pid 18972; forked by thread 18969/);
    assert.match(run.stdout, /\?: 18972: futex\(0x2b79a1b1e2c0, FUTEX_WAIT_PRIVATE, 2 <unfinished \.\.\.>\) \(never returned\)\s+<-- BLOCKED FOREVER/);
    assert.match(run.stdout, /\[18969\] futex\(0x2b79a1b1e2c0, FUTEX_WAKE_PRIVATE, 1\) = 1\s+<-- lock handed over/);
    assert.match(run.stdout, /\[18969\] clone\(.*\) = 18972\s+<-- fork while the lock is held/);
    assert.doesNotMatch(run.stdout, /sendmsg/, 'only futex/clone/wait4/exit lines by default');
    assert.match(runCli(['timeline', '--all', 'samples/plash-tst-fork1/tst-fork1.log']).stdout, /sendmsg/);
  });

  it('--pid keeps one process and its descendants', () => {
    const run = runCli(['timeline', '--pid', '18973', 'samples/plash-tst-fork1/tst-fork1.log']);
    assert.doesNotMatch(run.stdout, /started pid 18972/);
    assert.match(run.stdout, /started pid 18973/);
    assert.equal(runCli(['timeline', '--pid', '4242', 'samples/plash-tst-fork1/tst-fork1.log']).status, 2);
  });
});
