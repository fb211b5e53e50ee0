// The long fuzz run (test/helpers/fuzz.ts): N mutated real traces through the readers, the
// analysis and the text and JSON views, counting reports, clean errors, crashes (anything else
// thrown) and hangs (an input still running after HANG_SECONDS). Each crash's and hang's input is
// kept under DIR/crashes/ with what went wrong; not a pass/fail test.
//
//   node dist/bench/fuzz.js [N] [SEED]        default: 200000 inputs, seed 9
//
// The inputs run in a worker thread, so that one that loops forever is caught: the worker is
// terminated (which stops even a loop that never yields) and a new one goes on after it.

import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fuzzInputs, loadSeeds, mutate, runFuzzInput } from '../test/helpers/fuzz.js';
import type { FuzzInput } from '../test/helpers/fuzz.js';

const BATCH = 1000;
/** Crash and hang inputs kept for study (the counts go on). */
const KEEP = 50;
/** An input that runs this long is a hang (the slowest seen take well under a second). */
const HANG_SECONDS = 60;

/** What the worker runs: the inputs [from, count) of the sample made with `seed`. */
interface Batch {
  seed: number;
  count: number;
  from: number;
  work: string;
}

type WorkerMessage =
  | { kind: 'start'; index: number }
  | { kind: 'report'; findings: number }
  | { kind: 'error' }
  | { kind: 'crash'; where: string; stack: string };

const sample = (count: number, seed: number): FuzzInput[] => fc.sample(fuzzInputs(loadSeeds()), { numRuns: count, seed });

async function runBatch(): Promise<void> {
  const { seed, count, from, work } = workerData as Batch;
  const seeds = loadSeeds();
  const inputs = fc.sample(fuzzInputs(seeds), { numRuns: count, seed });
  const post = (message: WorkerMessage) => parentPort!.postMessage(message);
  for (let index = from; index < inputs.length; index++) {
    post({ kind: 'start', index });
    const outcome = await runFuzzInput(work, seeds, inputs[index]!);
    if (outcome.kind !== 'crash') {
      post(outcome.kind === 'report' ? { kind: 'report', findings: outcome.findings } : { kind: 'error' });
      continue;
    }
    const error = outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
    const where = `${error.name}: ${error.message.slice(0, 80)} @ ${error.stack?.split('\n')[1]?.trim() ?? '?'}`;
    post({ kind: 'crash', where, stack: error.stack ?? where });
  }
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 200_000);
  const seed = Number(process.argv[3] ?? 9);
  const seeds = loadSeeds();
  const directory = mkdtempSync(join(tmpdir(), 'forkscope-bench-fuzz-'));
  const work = join(directory, 'input');
  const crashDir = join(directory, 'crashes');
  const counts = { report: 0, error: 0, crash: 0, hang: 0, findings: 0 };
  const kinds = new Map<string, number>();
  let kept = 0;
  const keep = (input: FuzzInput, what: object) => {
    if (++kept > KEEP) return;
    const dir = join(crashDir, String(kept));
    mkdirSync(dir, { recursive: true });
    for (const file of mutate(seeds, input)) writeFileSync(join(dir, file.name), file.bytes);
    writeFileSync(join(dir, 'input.json'), JSON.stringify({ input, seed: seeds[input.seed]!.name, ...what }, null, 2));
  };
  // Interrupted: the inputs written go with it.
  process.once('SIGINT', () => {
    rmSync(directory, { recursive: true, force: true });
    process.exit(130);
  });
  const started = process.hrtime.bigint();
  console.log(`fuzz: ${total} mutated inputs from ${seeds.length} recorded traces, seed ${seed}, in a worker (a hang: ${HANG_SECONDS} s)`);
  try {
    for (let done = 0; done < total; done += BATCH) {
      const count = Math.min(BATCH, total - done);
      let inputs: FuzzInput[] | null = null;
      for (let from = 0; from < count; ) {
        const hungAt = await new Promise<number | null>((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), { workerData: { seed: seed + done, count, from, work } satisfies Batch });
          let running = from;
          let timer = setTimeout(() => void hang(), HANG_SECONDS * 1000);
          // Said before the worker is stopped: its exit, which says the batch is done, comes first.
          const hang = async () => {
            resolve(running);
            await worker.terminate();
          };
          worker.on('message', (message: WorkerMessage) => {
            clearTimeout(timer);
            timer = setTimeout(() => void hang(), HANG_SECONDS * 1000);
            if (message.kind === 'start') {
              running = message.index;
              return;
            }
            counts[message.kind]++;
            if (message.kind === 'report') counts.findings += message.findings;
            if (message.kind !== 'crash') return;
            kinds.set(message.where, (kinds.get(message.where) ?? 0) + 1);
            keep((inputs ??= sample(count, seed + done))[running]!, { stack: message.stack });
          });
          worker.on('error', (error) => {
            clearTimeout(timer);
            reject(error);
          });
          worker.on('exit', () => {
            clearTimeout(timer);
            resolve(null);
          });
        });
        if (hungAt === null) break;
        counts.hang++;
        const where = `hang: still running after ${HANG_SECONDS} s`;
        kinds.set(where, (kinds.get(where) ?? 0) + 1);
        keep((inputs ??= sample(count, seed + done))[hungAt]!, { hang: where });
        from = hungAt + 1;
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if ((done + BATCH) % 20_000 === 0 || done + BATCH >= total) {
        console.log(
          `  ${Math.min(done + BATCH, total)} inputs, ${seconds.toFixed(0)} s: ${counts.report} reports, ${counts.error} clean errors, ` +
            `${counts.crash} crashes, ${counts.hang} hangs`,
        );
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `fuzz: ${total} inputs in ${seconds.toFixed(0)} s (${Math.round(total / seconds)}/s): ${counts.report} reports (${counts.findings} findings), ` +
      `${counts.error} clean errors, ${counts.crash} unexpected exceptions, ${counts.hang} hangs`,
  );
  for (const [where, n] of [...kinds].sort((a, b) => b[1] - a[1])) console.log(`  ${n} x ${where}`);
  if (kept > 0) console.log(`crash and hang inputs kept in ${crashDir}`);
  else rmSync(directory, { recursive: true, force: true });
}

if (isMainThread) await main();
else await runBatch();
