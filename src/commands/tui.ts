// `forkscope tui TRACE...`: the interactive view of a recorded trace (docs/tui.md).

import type { Command } from 'commander';
import { loadTui, noTerminal } from '../tui/load.js';
import { EXIT_OK, loadSources, runCommand, traceClock, withTraceInputs } from './inputs.js';
import { helpFooter } from './usage.js';
import type { InputOptions } from './inputs.js';

interface TuiCommandOptions extends InputOptions {
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
    .action((paths: string[], options: TuiCommandOptions) =>
      runCommand(async () => {
        const why = noTerminal(paths.includes('-'));
        if (why) throw new Error(`tui needs a terminal (${why}); for a report on a pipe or file use: forkscope analyze ${paths.join(' ')}`);
        const sources = await loadSources(paths, options);
        const { runTui } = await loadTui();
        await runTui(sources, { color: options.color && !process.env.NO_COLOR, objectDirs: options.objects, clock: traceClock(sources) });
        return EXIT_OK;
      }),
    );
}
