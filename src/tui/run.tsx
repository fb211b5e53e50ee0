// Starting and stopping the TUI so that the terminal always comes back as it was: the alternate
// screen is left and the cursor shown again, and Ink leaves raw mode, whether the user quits, a
// signal arrives, the process exits or something throws.

import { render } from 'ink';
import type { TraceSource } from '../../parsers/types.js';
import { boundHeap } from '../util/collect.js';
import { atExit, observeSignals } from '../util/lifetime.js';
import { sayOnStderr } from '../util/output.js';
import { App } from './App.js';
import type { TraceClock } from '../views/times.js';
import { TraceIndex } from './trace-index.js';

const ENTER_ALTERNATE_SCREEN = '\x1b[?1049h\x1b[?25l';
const LEAVE_ALTERNATE_SCREEN = '\x1b[?25h\x1b[?1049l';
/** The TUI's heap budget: its live data stays well under it, whatever the size of the log (bench/README.md). */
const HEAP_BUDGET_BYTES = 96 << 20;

export interface OpenTui {
  /** Settles when the TUI is closed: the user quit, or a signal came (the terminal is already restored then). */
  closed: Promise<void>;
}

/**
 * Shows `index` full screen until the user quits. A signal (SIGINT, SIGTERM, SIGHUP) closes it and
 * restores the terminal; what happens next is the signal's owner's business (util/lifetime.ts):
 * `record --tui` finishes its recording and prints the report, a plain `tui` ends. A crash
 * restores the terminal and ends the process (2); the terminal is restored on any exit.
 */
export function openTui(index: TraceIndex, options: { title: string; color: boolean }): OpenTui {
  const stdout = process.stdout;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    instance.unmount();
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
    stdout.write(LEAVE_ALTERNATE_SCREEN);
  };
  const onCrash = (error: unknown) => {
    restore();
    sayOnStderr(`the TUI failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(2);
  };
  const unboundHeap = boundHeap(HEAP_BUDGET_BYTES);
  stdout.write(ENTER_ALTERNATE_SCREEN);
  const instance = render(<App index={index} title={options.title} color={options.color} />, { exitOnCtrlC: true });
  const stopObserving = observeSignals(restore);
  process.once('uncaughtException', onCrash);
  const restoreNow = atExit(restore);
  const closed = instance.waitUntilExit().finally(() => {
    restoreNow();
    unboundHeap();
    stopObserving();
    process.removeListener('uncaughtException', onCrash);
  });
  return { closed: closed.then(() => undefined) };
}

/** `forkscope tui`: a recorded trace, until the user quits. */
export async function runTui(sources: TraceSource[], options: { color: boolean; objectDirs?: string[]; clock?: TraceClock }): Promise<void> {
  const index = new TraceIndex(sources, { objectDirs: options.objectDirs, clock: options.clock });
  try {
    const tui = openTui(index, { title: sources.map((s) => s.path).join(' '), color: options.color });
    void index.load();
    await tui.closed;
  } finally {
    index.dispose();
  }
}
