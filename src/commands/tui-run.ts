// `forkscope tui TRACE...` (its options: tui.ts): checks for a terminal, then runs the TUI.

import { loadTui, noTerminal } from '../tui/load.js';
import { EXIT_OK } from './inputs.js';
import { loadSources, traceClock } from './sources.js';
import type { TuiCommandOptions } from './tui.js';

export async function run(paths: string[], options: TuiCommandOptions): Promise<number> {
  const why = noTerminal(paths.includes('-'));
  if (why) throw new Error(`tui needs a terminal (${why}); for a report on a pipe or file use: forkscope analyze ${paths.join(' ')}`);
  const sources = await loadSources(paths, options);
  const { runTui } = await loadTui();
  await runTui(sources, { color: options.color && !process.env.NO_COLOR, objectDirs: options.objects, clock: traceClock(sources) });
  return EXIT_OK;
}
