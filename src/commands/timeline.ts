// `forkscope timeline TRACE... [--pid N] [--all]`: the per-process timeline in PlashGlibc's style.
// The command runs in timeline-run.ts.

import type { Command } from 'commander';
import { runCommand, withTraceInputs } from './inputs.js';
import type { InputOptions } from './inputs.js';
import { ANALYSIS_EXIT_CODES, helpFooter } from './usage.js';

export interface TimelineCommandOptions extends InputOptions {
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
    .action((paths: string[], options: TimelineCommandOptions) => runCommand(async () => (await import('./timeline-run.js')).run(paths, options)));
}
