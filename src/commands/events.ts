// `forkscope events TRACE... --jsonl`: the parsed model, one event per line, for scripts
// (docs/events.md). The command runs in events-run.ts.

import type { Command } from 'commander';
import { runCommand, withTraceInputs } from './inputs.js';
import type { InputOptions } from './inputs.js';
import { ANALYSIS_EXIT_CODES, helpFooter } from './usage.js';

export interface EventsOptions extends InputOptions {
  jsonl?: boolean;
}

export function registerEvents(program: Command): void {
  withTraceInputs(program.command('events'))
    .description('print the parsed trace, one event per line, as the forkscope/events@1 JSON lines (docs/events.md)')
    .requiredOption('--jsonl', 'JSON lines (the only format: required so that another can come)')
    .addHelpText(
      'after',
      helpFooter(
        [
          ['forkscope events --jsonl trace.log | jq -c \'select(.kind == "syscall" and .name == "futex")\'', 'every futex call, decoded (.futex)'],
          ['forkscope events --jsonl trace/ | tail -1', 'what was read: the last line lists the inputs'],
        ],
        ANALYSIS_EXIT_CODES,
      ),
    )
    .action((paths: string[], options: EventsOptions) => runCommand(async () => (await import('./events-run.js')).run(paths, options)));
}
