// `forkscope attach PID [--duration S] [--json | --tui]`: a read-only postmortem of a live (hung) tree from
// /proc: every thread's state, wchan and syscall, the futex words blocked threads wait on, and the
// findings they prove, in the same report and JSON document as `analyze` (`source: "proc"`).
// --duration watches the tree with `strace -f -p` for S seconds (then detaches) and compares each
// thread's CPU time, to show that nothing in it moves; --tui shows that watch live in the TUI.
// Nothing is ever written to a target, and no target is left stopped. The command runs in attach-run.ts.

import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { runCommand, seconds } from './inputs.js';
import { ANALYSIS_EXIT_CODES, helpFooter } from './usage.js';

export interface AttachOptions {
  duration?: number;
  json?: boolean;
  tui?: boolean;
  color: boolean;
}

/** How long `attach --tui` watches when not told (q stops it sooner). */
export const TUI_WATCH_SECONDS = 5;

export function registerAttach(program: Command): void {
  program
    .command('attach')
    .description('examine a live process tree read-only through /proc: what hangs, on which lock, held by whom')
    .argument('<pid>', 'the root of the tree (a hung child, or the program that forked it)', pidArgument)
    .option('--duration <seconds>', 'also watch the tree for this long (strace -p, then detach) to show nothing moves', seconds)
    .option('--json', 'print the forkscope/analysis@1 JSON document (docs/json.md)')
    .option('--tui', `watch it live in the TUI (docs/tui.md) for --duration (default ${TUI_WATCH_SECONDS} s), with what /proc shows`)
    .option('--no-color', 'never colour the report')
    .addHelpText(
      'after',
      helpFooter(
        [
          ['forkscope attach 4452', 'what the tree of 4452 is blocked on, from /proc'],
          ['forkscope attach 4452 --duration 3 --json', 'also watch it for 3 s (strace -p) to show nothing moves; JSON'],
        ],
        ANALYSIS_EXIT_CODES,
      ),
    )
    .action((pid: number, options: AttachOptions) => runCommand(async () => (await import('./attach-run.js')).run(pid, options)));
}

function pidArgument(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new InvalidArgumentError(`not a pid: ${text}`);
  return Number(text);
}
