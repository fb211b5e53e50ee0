// The TUI's modules (Ink, React) are loaded only when a TUI is about to run: the other commands
// start without them. Ink reads CI / CONTINUOUS_INTEGRATION once, when it loads (is-in-ci), and
// then draws only the last frame, for CI logs; the TUI only ever runs on a terminal, where a shell
// that exports CI=true must still see it, so they are hidden while Ink loads. React picks its build
// by NODE_ENV when it loads: its development build checks every render and records each one for
// the browser's performance panel (walking the changed props of every component, the row store's
// buffers included), which took most of the TUI's time while it indexed a big log. forkscope is
// not what a user develops, so the production build is loaded, whatever the shell says.

const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION'];

/** Why the TUI cannot run here, or null: it needs a terminal on both stdin (keys) and stdout. */
export function noTerminal(readsStdin: boolean): string | null {
  if (!readsStdin && process.stdin.isTTY && process.stdout.isTTY) return null;
  return readsStdin ? 'it reads keys from stdin, so give it the trace as a file' : 'stdin and stdout must be a terminal';
}

/** `record --tui`, `attach --tui`: fails before anything is started where the TUI cannot run. */
export function checkTuiOption(command: string, json: boolean | undefined): void {
  const why = noTerminal(false);
  if (why) throw new Error(`--tui needs a terminal (${why}); without it, ${command} prints its report`);
  if (json) throw new Error('--tui shows the findings on screen; --json is for reports on a pipe');
}

export async function loadTui() {
  const saved = [...CI_VARIABLES, 'NODE_ENV'].map((name) => [name, process.env[name]] as const);
  for (const name of CI_VARIABLES) delete process.env[name];
  process.env.NODE_ENV = 'production';
  try {
    const [{ runTui }, { LiveTui }] = await Promise.all([import('./run.js'), import('./live.js')]);
    return { runTui, LiveTui };
  } finally {
    for (const [name, value] of saved) {
      if (value !== undefined) process.env[name] = value;
      else delete process.env[name];
    }
  }
}
