// `forkscope timeline TRACE...` (its options: timeline.ts): reads the traces and prints the timeline.

import { analyzeSources } from '../pipeline.js';
import { writeOut } from '../util/output.js';
import { ReadProgress, withProgress } from '../views/progress.js';
import { wantsColor } from '../views/style.js';
import { TimelineSpool } from '../views/timeline.js';
import { EXIT_HANG, EXIT_OK } from './inputs.js';
import { loadSources, traceClock } from './sources.js';
import type { TimelineCommandOptions } from './timeline.js';

export async function run(paths: string[], options: TimelineCommandOptions): Promise<number> {
  const pid = options.pid === undefined ? undefined : Number(options.pid);
  if (pid !== undefined && !Number.isInteger(pid)) throw new Error(`--pid takes a number, not '${options.pid}'`);
  const color = options.color && wantsColor(process.stdout);
  const sources = await loadSources(paths, options);
  const clock = traceClock(sources);
  const timeline = new TimelineSpool({ pid, all: Boolean(options.all), color, clock });
  const progress = new ReadProgress(sources);
  const { analysis, tree } = await withProgress(progress, () =>
    analyzeSources(sources, {
      onEvent: (event, tree) => {
        clock.observe(event);
        timeline.observe(event, tree);
      },
      objectDirs: options.objects,
      counter: progress.counter,
      onSecondRead: () => progress.secondRead(),
    }),
  );
  await timeline.write(analysis, tree, writeOut);
  return analysis.findings.length > 0 ? EXIT_HANG : EXIT_OK;
}
