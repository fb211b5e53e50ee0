// `forkscope timeline TRACE... [--pid N] [--all]`: the per-process timeline in PlashGlibc's style.

import type { Command } from 'commander';
import { analyzeSources } from '../pipeline.js';
import { TimelineSpool } from '../views/timeline.js';
import { ReadProgress, withProgress } from '../views/progress.js';
import { wantsColor } from '../views/style.js';
import { EXIT_HANG, EXIT_OK, loadSources, runCommand, traceClock, withTraceInputs } from './inputs.js';
import { ANALYSIS_EXIT_CODES, helpFooter } from './usage.js';
import type { InputOptions } from './inputs.js';
import { writeOut } from '../util/output.js';

interface TimelineCommandOptions extends InputOptions {
  pid?: string;
  all?: boolean;
  color: boolean;
}

export function registerTimeline(program: Command): void {
  withTraceInputs(program.command('timeline'))
    .description('print futex, clone, wait4, exit and signal lines per process, in the nested PlashGlibc style')
    .option('--pid <pid>', 'only this process and its descendants')
    .option('--all', 'show every system call, not only the ones that matter for fork hangs')
    .option('--no-color', 'never colour the output')
    .addHelpText(
      'after',
      helpFooter(
        [
          ['forkscope timeline trace.log | less -R', 'the lines that matter, per process'],
          ['forkscope timeline --pid 4381 --all trace.log', 'every call of process 4381 and its descendants'],
        ],
        ANALYSIS_EXIT_CODES,
      ),
    )
    .action((paths: string[], options: TimelineCommandOptions) =>
      runCommand(async () => {
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
      }),
    );
}
