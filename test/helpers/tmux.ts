// Driving a program in a real terminal: a detached tmux session of a given size, keys sent with
// send-keys, the screen read with capture-pane. Each session has its own name and is killed by
// its test's `finally`, so a failing test leaves no session (or program) behind.

import { execFileSync } from 'node:child_process';

let sessions = 0;

export class TmuxSession {
  readonly name = `forkscope-test-${process.pid}-${++sessions}`;

  /** Starts `command` (a shell command line) in a new session of columns x rows. */
  constructor(command: string, columns: number, rows: number) {
    // A server whose last session was just killed may still be exiting: "server exited unexpectedly".
    for (let attempt = 1; ; attempt++) {
      try {
        execFileSync('tmux', ['new-session', '-d', '-s', this.name, '-x', String(columns), '-y', String(rows), command], { stdio: 'pipe' });
        return;
      } catch (error) {
        if (attempt === 5) throw error;
        execFileSync('sleep', ['0.2']);
      }
    }
  }

  /** The screen as text; with `escapes`, with its colour and attribute escapes. */
  screen(escapes = false): string {
    return execFileSync('tmux', ['capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', this.name], { encoding: 'utf8' });
  }

  keys(...keys: string[]): void {
    for (const key of keys) execFileSync('tmux', ['send-keys', '-t', this.name, key]);
  }

  resize(columns: number, rows: number): void {
    execFileSync('tmux', ['resize-window', '-t', this.name, '-x', String(columns), '-y', String(rows)]);
  }

  /** Whether the pane shows the alternate screen (a full-screen program that did not leave it). */
  alternateScreen(): boolean {
    return execFileSync('tmux', ['display-message', '-p', '-t', this.name, '#{alternate_on}'], { encoding: 'utf8' }).trim() === '1';
  }

  /** The pid of the pane's shell. */
  panePid(): number {
    return Number(execFileSync('tmux', ['list-panes', '-t', this.name, '-F', '#{pane_pid}'], { encoding: 'utf8' }).trim());
  }

  /**
   * Waits until the screen matches `pattern`; fails with the screen it last saw. Generous: on a
   * machine busy with other work the TUI took 10 s to read seed 002 (0.5 s when idle).
   */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < deadline) {
      screen = this.screen();
      if (pattern.test(screen)) return screen;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the screen never showed ${pattern}; it shows:\n${screen}`);
  }

  kill(): void {
    try {
      execFileSync('tmux', ['kill-session', '-t', this.name], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}
