// The long fuzz run (test/helpers/fuzz.ts): N mutated real traces through the readers, the
// analysis and the text and JSON views, counting reports, clean errors and crashes (anything else
// thrown). Each crash's input is kept under DIR/crashes/ with the error; not a pass/fail test.
//
//   node dist/bench/fuzz.js [N] [SEED]        default: 200000 inputs, seed 9

import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzzInputs, loadSeeds, mutate, runFuzzInput } from '../test/helpers/fuzz.js';

const BATCH = 1000;
/** Crash inputs kept for study (the count goes on). */
const KEEP = 50;

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 200_000);
  const seed = Number(process.argv[3] ?? 9);
  const seeds = loadSeeds();
  const arbitrary = fuzzInputs(seeds);
  const directory = mkdtempSync(join(tmpdir(), 'forkscope-bench-fuzz-'));
  const work = join(directory, 'input');
  const crashDir = join(directory, 'crashes');
  const counts = { report: 0, error: 0, crash: 0, findings: 0 };
  const crashKinds = new Map<string, number>();
  const started = process.hrtime.bigint();
  console.log(`fuzz: ${total} mutated inputs from ${seeds.length} recorded traces, seed ${seed}`);
  for (let done = 0; done < total; done += BATCH) {
    const batch = fc.sample(arbitrary, { numRuns: Math.min(BATCH, total - done), seed: seed + done });
    for (const input of batch) {
      const outcome = await runFuzzInput(work, seeds, input);
      counts[outcome.kind]++;
      if (outcome.kind === 'report') counts.findings += outcome.findings;
      if (outcome.kind !== 'crash') continue;
      const error = outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
      const where = `${error.name}: ${error.message.slice(0, 80)} @ ${error.stack?.split('\n')[1]?.trim() ?? '?'}`;
      crashKinds.set(where, (crashKinds.get(where) ?? 0) + 1);
      if (counts.crash <= KEEP) {
        const keep = join(crashDir, String(counts.crash));
        mkdirSync(keep, { recursive: true });
        for (const file of mutate(seeds, input)) writeFileSync(join(keep, file.name), file.bytes);
        writeFileSync(join(keep, 'input.json'), JSON.stringify({ input, seed: seeds[input.seed]!.name, stack: error.stack }, null, 2));
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if ((done + BATCH) % 20_000 === 0 || done + BATCH >= total) {
      console.log(`  ${Math.min(done + BATCH, total)} inputs, ${seconds.toFixed(0)} s: ${counts.report} reports, ${counts.error} clean errors, ${counts.crash} crashes`);
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `fuzz: ${total} inputs in ${seconds.toFixed(0)} s (${Math.round(total / seconds)}/s): ${counts.report} reports (${counts.findings} findings), ` +
      `${counts.error} clean errors, ${counts.crash} unexpected exceptions`,
  );
  for (const [where, n] of [...crashKinds].sort((a, b) => b[1] - a[1])) console.log(`  ${n} x ${where}`);
  if (counts.crash > 0) console.log(`crash inputs kept in ${crashDir}`);
  else rmSync(directory, { recursive: true, force: true });
}

await main();
