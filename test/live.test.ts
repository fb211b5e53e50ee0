// Records a real program under strace here, then analyzes the recording: the C sample whose
// thread holds a mutex while main forks. The program runs in its own process group, bounded by a
// timeout, and the whole group is killed at the end, pass or fail.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { processesInGroup, runInGroup } from './helpers/group.js';
import { repoPath, runCli } from './helpers/repo.js';
import { analysisDocument } from './helpers/json.js';
import type { InheritedLockDocument } from './helpers/json.js';

const SAMPLE = 'samples/c-mutex-held-at-fork';

describe('live: strace -f -tt -T of a program that hangs after fork', () => {
  let work: string;
  let program: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'forkscope-live-'));
    const source = readdirSync(repoPath(SAMPLE)).find((f) => f.endsWith('.c'));
    assert.ok(source, `a C program in ${SAMPLE}`);
    program = join(work, 'prog');
    execFileSync('gcc', ['-O0', '-pthread', '-o', program, repoPath(SAMPLE, source)]);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  for (const shape of [
    { name: '-f -tt -T', args: ['-f', '-tt', '-T', '-o', 'trace.log'], trace: 'trace.log' },
    { name: '-ff -tt -T', args: ['-ff', '-tt', '-T', '-o', 'ff/trace'], trace: 'ff' },
  ]) {
    it(`records ${shape.name} and finds the child hung on the mutex its parent's thread held`, async () => {
      execFileSync('mkdir', ['-p', join(work, 'ff')]);
      // runInGroup kills the whole group at the timeout: strace 6.1 would not kill its tracees.
      const run = await runInGroup(['strace', ...shape.args, program], { cwd: work, timeoutMs: 2500 });
      assert.ok(run.timedOut, 'the program hung until the timeout');
      assert.deepEqual(processesInGroup(run.pgid), [], 'nothing of the program is left running');

      const result = runCli(['analyze', '--json', join(work, shape.trace)]);
      assert.equal(result.status, 1, result.stderr + result.stdout);
      const doc = analysisDocument<InheritedLockDocument>(result.stdout);
      assert.equal(doc.findings.length, 1, JSON.stringify(doc.findings, null, 1));
      const [finding] = doc.findings;
      assert.ok(finding);
      const parent = doc.processes.find((p) => p.pid === finding.parentPid);
      assert.ok(parent, 'the parent process is in the tree');
      assert.equal(finding.forkTid, finding.parentPid, 'main forked');
      assert.ok(parent.threads.includes(finding.holderTid!), `holder ${finding.holderTid} is a thread of the parent`);
      assert.notEqual(finding.holderTid, finding.forkTid);
      assert.equal(finding.confidence, 'confirmed');
      assert.equal(finding.op, 'FUTEX_WAIT_PRIVATE');
      assert.deepEqual(finding.chain.map((l) => l.waitsOn), [`wait4 ${finding.pid}`]);
    });
  }
});
