// `forkscope analyze TRACE...` (its options: analyze.ts): reads the traces and prints the report.
// What only some runs need (the /proc snapshot's reading, the other view) is loaded when they do.

import { analyzeSources } from '../pipeline.js';
import { writeChunks } from '../util/output.js';
import { ReadProgress, withProgress } from '../views/progress.js';
import { wantsColor } from '../views/style.js';
import type { AnalyzeOptions } from './analyze.js';
import { EXIT_HANG, EXIT_OK } from './inputs.js';
import { recordedSnapshot } from './recording.js';
import { loadSources, traceClock } from './sources.js';

export async function run(paths: string[], options: AnalyzeOptions): Promise<number> {
  const recorded = recordedSnapshot(paths);
  const sources = await loadSources(paths, options);
  const clock = traceClock(sources);
  const progress = new ReadProgress(sources);
  const analyze = () =>
    analyzeSources(sources, {
      onEvent: (event) => clock.observe(event),
      objectDirs: options.objects,
      counter: progress.counter,
      onSecondRead: () => progress.secondRead(),
      // The report lists a reaped child and no more: a million of them take a few numbers each.
      foldReaped: true,
    });
  // --json is read by programs: nothing on stderr that a program did not ask for.
  const { analysis, tree } = options.json ? await analyze() : await withProgress(progress, analyze);
  if (recorded) {
    const { mergeSnapshot } = await import('../analysis/proc-findings.js');
    mergeSnapshot(analysis, recorded.snapshot, tree, `The /proc snapshot in ${recorded.path} (taken ${recorded.snapshot.takenAt})`);
  }
  if (options.json) {
    const { jsonChunks } = await import('../views/json.js');
    await writeChunks(jsonChunks(analysis, clock));
  } else {
    const { textChunks } = await import('../views/text.js');
    await writeChunks(textChunks(analysis, { color: options.color && wantsColor(process.stdout), clock }));
  }
  return analysis.findings.length > 0 ? EXIT_HANG : EXIT_OK;
}
