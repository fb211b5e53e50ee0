// The TUI over a trace while it is being recorded (`record --tui`, `attach --tui`): it follows the
// trace file as the tracer writes it, shows the recorder's messages in the status line and its
// verdict (the hang watchdog's, or /proc's) above the findings, and gets the findings once the
// recording is over.

import type { TraceSource } from '../../parsers/types.js';
import type { Analysis } from '../analysis/types.js';
import { sayOnStderr } from '../util/output.js';
import { openTui } from './run.js';
import type { OpenTui } from './run.js';
import { TraceIndex } from './trace-index.js';
import type { IndexOptions } from './trace-index.js';

export class LiveTui {
  private recording = true;
  private readonly index: TraceIndex;
  private readonly tui: OpenTui;
  private readonly loaded: Promise<void>;
  private readonly said: string[] = [];

  constructor(sources: TraceSource[], options: { title: string; color: boolean } & Omit<IndexOptions, 'follow'>) {
    const { title, color, ...indexOptions } = options;
    this.index = new TraceIndex(sources, { ...indexOptions, follow: { done: () => !this.recording } });
    this.tui = openTui(this.index, { title, color });
    this.loaded = this.index.load();
  }

  /** Settles when the user quits the TUI (perhaps before the recording is over). */
  get closed(): Promise<void> {
    return this.tui.closed;
  }

  /** A message of the recorder: in the status line now, on stderr once the TUI is closed. */
  say(message: string): void {
    this.said.push(message);
    this.index.note(message);
  }

  /** The recorder's verdict (its hang watchdog's, /proc's): stays on screen above the findings. */
  verdict(message: string): void {
    this.said.push(message);
    this.index.setVerdict(message);
  }

  /** The recording is over: reads the rest of the trace and returns the analysis the TUI shows. */
  async recorded(): Promise<Analysis> {
    this.recording = false;
    await this.loaded;
    if (!this.index.analysis) throw new Error(`reading the recorded trace failed: ${this.index.progress().error}`);
    return this.index.analysis;
  }

  /** Waits for the user to quit, then repeats on stderr what the recorder said meanwhile. */
  async quit(): Promise<void> {
    try {
      await this.tui.closed;
    } finally {
      this.index.dispose();
    }
    for (const message of this.said) sayOnStderr(message);
  }
}
