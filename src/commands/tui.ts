// `forkscope tui TRACE...`: the interactive view of a recorded trace (docs/tui.md). The command
// runs in tui-run.ts.

import type { Command } from 'commander';
import { runCommand, withTraceInputs } from './inputs.js';
import type { InputOptions } from './inputs.js';
import { helpFooter } from './usage.js';

export interface TuiCommandOptions extends InputOptions {
  color: boolean;
}

export function registerTui(program: Command): void {
  withTraceInputs(program.command('tui'), { stdin: false })
    .description('browse a trace in the terminal: process tree, timelines, hung children and their inherited locks')
    .option('--no-color', 'no colour (NO_COLOR is honoured too)')
    .addHelpText(
      'after',
      helpFooter(
        [
          ['forkscope tui trace.log', 'browse a recorded trace (? in it lists the keys)'],
          ['forkscope record --tui -- ./program', 'watch a program live while it is recorded'],
        ],
        [
          ['0', 'quit'],
          ['2', 'error (no terminal, unreadable input)'],
        ],
      ),
    )
    .action((paths: string[], options: TuiCommandOptions) => runCommand(async () => (await import('./tui-run.js')).run(paths, options)));
}
