// A report's tree with reaped children folded into columns (TaskTreeOptions.foldReaped, what
// `forkscope analyze` uses: a million of them then fit in a few numbers each) says the same as the
// tree that keeps an object for every task, on every recorded sample.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { resolveInputs } from '../parsers/index.js';
import { analyzeSources } from '../src/pipeline.js';
import { repoPath } from './helpers/repo.js';

/** Each sample's recorded traces: the keys of its expected.json (a log, a -ff directory, a bpftrace CSV). */
const traces = readdirSync(repoPath('samples'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((entry) => {
    const expected = JSON.parse(readFileSync(repoPath('samples', entry.name, 'expected.json'), 'utf8')) as Record<string, unknown>;
    return Object.keys(expected).map((trace) => `samples/${entry.name}/${trace}`);
  });

async function analyzeFolding(path: string, foldReaped: boolean) {
  return analyzeSources(await resolveInputs([repoPath(path)], {}), { foldReaped });
}

describe('folding reaped children', () => {
  it('changes no report of the recorded samples', async () => {
    assert.ok(traces.length > 20);
    let folded = 0;
    for (const trace of traces) {
      const kept = await analyzeFolding(trace, false);
      const folding = await analyzeFolding(trace, true);
      assert.deepEqual(folding.analysis, kept.analysis, trace);
      assert.equal(kept.tree.foldedCount, 0);
      folded += folding.tree.foldedCount;
    }
    assert.ok(folded > 0, 'some sample has a child reaped after it exited by itself');
  });

  it('c-mutex-atfork: main (16599) reaps its child 16601 after it exits 0, and keeps no object for it', async () => {
    const { analysis, tree } = await analyzeFolding('samples/c-mutex-atfork/trace-f.log', true);
    assert.equal(tree.foldedCount, 1);
    assert.equal(tree.task(16601), undefined);
    // The holder thread 16600 exited too, but a thread is not a reaped child.
    assert.deepEqual(
      tree.processes().map((p) => [p.pid, p.threads.map((t) => t.tid)]),
      [[16599, [16599, 16600]]],
    );
    assert.deepEqual(analysis.processes.find((p) => p.pid === 16601), {
      pid: 16601,
      parentPid: 16599,
      threads: [16601],
      command: '/tmp/tmp.tBe1OR0Q2e/prog',
      exit: { code: 0 },
      state: 'exited',
    });
  });
});
