// The second read (issue 11): the first read notes where each futex word's calls are by blocks of
// the file (parsers/futex-index.ts), and the second reads only the blocks that hold the calls the
// holder analysis asks for, outward from the fork. It must name the same holder from the same
// calls as a read of the whole file, also when a call's halves are in two blocks.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeRealisticLog } from '../bench/biglog.js';
import { resolveInputs } from '../parsers/index.js';
import type { InheritedLockFinding } from '../src/analysis/types.js';
import { analyzeTrace } from '../src/pipeline.js';
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
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
