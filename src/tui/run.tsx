// Starting and stopping the TUI so that the terminal always comes back as it was: the alternate
// screen is left and the cursor shown again, and Ink leaves raw mode, whether the user quits, a
// signal arrives or something throws.

import { render } from 'ink';
import type { TraceSource } from '../../parsers/types.js';
import { App } from './App.js';
import { TraceIndex } from './trace-index.js';

const ENTER_ALTERNATE_SCREEN = '\x1b[?1049h\x1b[?25l';
const LEAVE_ALTERNATE_SCREEN = '\x1b[?25h\x1b[?1049l';
const SIGNALS = { SIGTERM: 15, SIGHUP: 1 } as const;

export async function runTui(sources: TraceSource[], options: { color: boolean }): Promise<void> {
  const index = new TraceIndex(sources);
  const stdout = process.stdout;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    instance.unmount();
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
    stdout.write(LEAVE_ALTERNATE_SCREEN);
    index.dispose();
  };
  const onSignal = (signal: keyof typeof SIGNALS) => {
    restore();
    process.exit(128 + SIGNALS[signal]);
  };
  const onCrash = (error: unknown) => {
    restore();
    process.stderr.write(`forkscope: the TUI failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  };
  stdout.write(ENTER_ALTERNATE_SCREEN);
  const title = sources.map((s) => s.path).join(' ');
  const instance = render(<App index={index} title={title} color={options.color} />, { exitOnCtrlC: true });
  for (const signal of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) process.once(signal, onSignal);
  process.once('uncaughtException', onCrash);
  process.once('exit', restore);
  void index.load();
  try {
    await instance.waitUntilExit();
  } finally {
    restore();
    for (const signal of Object.keys(SIGNALS)) process.removeListener(signal, onSignal);
    process.removeListener('uncaughtException', onCrash);
    process.removeListener('exit', restore);
  }
}
