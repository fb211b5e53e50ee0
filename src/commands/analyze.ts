// `forkscope analyze TRACE...`: the text report, or the versioned JSON document with --json.
// Exit code: 0 no hang found, 1 hang(s) found, 2 error. The command runs in analyze-run.ts.

import type { Command } from 'commander';
import { runCommand, withTraceInputs } from './inputs.js';
import type { InputOptions } from './inputs.js';
import { ANALYSIS_EXIT_CODES, helpFooter } from './usage.js';

export interface AnalyzeOptions extends InputOptions {
  json?: boolean;
  color: boolean;
}

export function registerAnalyze(program: Command): void {
  withTraceInputs(program.command('analyze'))
    .description('report the forked children that hang on a lock inherited locked from their parent')
    .option('--json', 'print the forkscope/analysis@1 JSON document (docs/json.md)')
    .option('--no-color', 'never colour the report (colour is only used on a terminal, and never with NO_COLOR)')
    .addHelpText(
      'after',
      helpFooter(
        [
          ['forkscope analyze trace.log', 'report on a strace -f log'],
          ['forkscope analyze --json trace/ | jq .findings', 'the files of strace -ff -o trace/t, as the forkscope/analysis@1 document'],
          ["strace -f -tt -T -o '|forkscope analyze -' ./program", 'analyze while strace runs'],
        ],
        ANALYSIS_EXIT_CODES,
      ),
    )
    .action((paths: string[], options: AnalyzeOptions) => runCommand(async () => (await import('./analyze-run.js')).run(paths, options)));
}
