// `forkscope record` and `attach` on real programs that hang without an inherited lock: two threads
// deadlocked in opposite lock order (samples/c-abba), and workers reading a pipe whose write end a
// forked sibling never closed (samples/c-pipe-held-open). The watchdog must fire (every thread is in
// an untimed wait: futex, read on a pipe, wait4), the report must name what the programs print
// (their TIDs and mutex addresses, their pids and fds), the exit code is 1, and nothing is left running.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { LockCycleFinding, PipeHeldOpenFinding } from '../src/analysis/types.js';
import { processesInGroup } from './helpers/group.js';
import { buildSample, forkscope, killMarked, marked } from './helpers/live.js';

interface Doc {
  findings: (LockCycleFinding | PipeHeldOpenFinding | { kind: 'inherited-lock' })[];
}

describe('forkscope record: lock cycles and pipes held open', () => {
  let work: string;
  let abba: string;
  let pipeHeldOpen: string;
  const { mark, env } = marked();
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'forkscope-other-hangs-'));
    abba = buildSample('c-abba', work);
    pipeHeldOpen = buildSample('c-pipe-held-open', work);
  });
  afterEach(() => assert.deepEqual(killMarked(mark), [], 'no process of the recording is left running'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('record --json -- ./abba: a lock-cycle of the two threads it prints, confirmed by /proc, exit 1', async () => {
    const run = await forkscope(['record', '--json', '--hang-timeout', '2', '-o', join(work, 'abba'), '--', abba], env);
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(processesInGroup(run.pgid), []);
    assert.match(run.stderr, /forkscope: hang \(no progress for 2 s\): .*untimed futex wait/);
    // The program's stdout goes to stderr under --json: "thread T holds A wants B", twice.
    const printed = [...run.stderr.matchAll(/thread (\d+) holds (0x[0-9a-f]+) wants (0x[0-9a-f]+)/g)].map((m) => ({
      tid: Number(m[1]),
      wants: m[3],
    }));
    assert.equal(printed.length, 2, run.stderr);
    const doc = JSON.parse(run.stdout) as Doc;
    assert.deepEqual(doc.findings.map((f) => f.kind), ['lock-cycle'], JSON.stringify(doc.findings, null, 1));
    const cycle = doc.findings[0] as LockCycleFinding;
    printed.sort((a, b) => a.tid - b.tid);
    assert.deepEqual(cycle.tids, printed.map((p) => p.tid));
    assert.deepEqual(cycle.futexes, printed.map((p) => p.wants));
    assert.equal(cycle.confidence, 'confirmed');
    assert.ok(cycle.evidence.some((e) => e.role === 'holds-lock' && e.file.endsWith('/mem')), 'the __owner read from /proc');
    assert.deepEqual(cycle.chain.map((l) => l.waitsOn), [`pthread_join ${printed[0]!.tid}`]);
  });

  it('record --json of the pipe program: pipe-held-open for the reader, the sibling among the writers, exit 1', async () => {
    const run = await forkscope(['record', '--json', '--hang-timeout', '2', '-o', join(work, 'pipe'), '--', pipeHeldOpen], env);
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(processesInGroup(run.pgid), []);
    assert.match(run.stderr, /forkscope: hang \(no progress for 2 s\): .*read on fd 3 \(pipe:\[\d+\]\)/);
    const [, read, write, reader, sibling] = /pipe read fd (\d+) write fd (\d+); reader (\d+), sibling (\d+)/.exec(run.stderr)!.map(Number);
    const doc = JSON.parse(run.stdout) as Doc;
    const pipes = doc.findings.filter((f): f is PipeHeldOpenFinding => f.kind === 'pipe-held-open');
    assert.equal(pipes.length, doc.findings.length, 'no other kind of finding');
    const found = pipes.find((f) => f.pid === reader);
    assert.ok(found, JSON.stringify(doc.findings, null, 1));
    assert.equal(found.fd, read);
    assert.deepEqual(found.writers, [{ pid: sibling, fd: write }]);
    assert.equal(found.confidence, 'confirmed');
    assert.ok(found.evidence.some((e) => e.role === 'write-end-open' && e.file === `/proc/${sibling}/fd/${write}`));
    assert.ok(pipes.some((f) => f.pid === sibling), 'the sibling reads the pipe it holds open too');
  });
});
