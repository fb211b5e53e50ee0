// Small hooks of the TUI: the terminal's size (following resizes), and the index's progress
// (re-rendering while the trace is still being read).

import { useStdout } from 'ink';
import { useEffect, useState } from 'react';
import type { IndexProgress, TraceIndex } from './trace-index.js';

/** How often the screen follows the indexing while the trace is being read. */
const PROGRESS_POLL_MS = 250;

export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => terminalSize(stdout));
  useEffect(() => {
    const onResize = () => setSize(terminalSize(stdout));
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

function terminalSize(stdout: NodeJS.WriteStream): { columns: number; rows: number } {
  return { columns: stdout.columns || 80, rows: stdout.rows || 24 };
}

const settled = (progress: IndexProgress) => progress.phase === 'ready' || progress.phase === 'failed';

export function useIndexProgress(index: TraceIndex): IndexProgress {
  const [progress, setProgress] = useState(() => index.progress());
  useEffect(() => {
    const update = () => {
      const now = index.progress();
      setProgress(now);
      if (settled(now)) clearInterval(timer);
    };
    const timer = setInterval(update, PROGRESS_POLL_MS);
    const unsubscribe = index.subscribe(update);
    update();
    return () => {
      clearInterval(timer);
      unsubscribe();
    };
  }, [index]);
  return progress;
}
