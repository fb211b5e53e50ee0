// A seeded property-based run of the fuzzer (test/helpers/fuzz.ts): mutated real traces through
// the readers, the analysis and the views give a report or a clean `path: reason` error, never an
// exception from deep code. The long run is bench/fuzz.ts.

import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fuzzInputs, loadSeeds, runFuzzInput } from './helpers/fuzz.js';

const RUNS = 1500;

describe('fuzzing the readers and the analysis with mutated real traces', () => {
  it(`${RUNS} seeded inputs: a report or a clean error, never a crash`, async () => {
    const seeds = loadSeeds();
    const dir = mkdtempSync(join(tmpdir(), 'forkscope-test-fuzz-'));
    try {
      await fc.assert(
        fc.asyncProperty(fuzzInputs(seeds), async (input) => {
          const outcome = await runFuzzInput(dir, seeds, input);
          if (outcome.kind === 'crash') throw outcome.error;
        }),
        { numRuns: RUNS, seed: 20261202 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
