// A bordered pane with a title line. The focused pane gets a double border, so focus reads
// without colour too. Every text of the trace (or of /proc, or a recorder's message) reaches Ink
// through shown(): made visible by terminalText, and cut to what fits.

import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { terminalText } from '../views/terminal-text.js';

export interface PaneProps {
  title: string;
  focused: boolean;
  color: boolean;
  width: number;
  height: number;
  children?: ReactNode;
}

/**
 * A text as the TUI shows it: its control characters as visible escapes (an ESC from a traced
 * program would otherwise reach the terminal through Ink), and at most what `columns` columns can
 * show. Ink measures and wraps every character it is given, each frame: with 800 kB write() rows,
 * showing all calls took minutes before they were cut.
 */
export function shown(text: string, columns = Infinity): string {
  // An escape is never shorter than what it stands for: the first columns + 1 characters suffice.
  const safe = terminalText(columns === Infinity ? text : text.slice(0, columns + 1));
  return safe.length <= columns ? safe : `${safe.slice(0, Math.max(0, columns - 1))}…`;
}

/** Lines a pane of `height` has for content: the border and the title take three. */
export const paneContentLines = (height: number) => Math.max(0, height - 3);

export function Pane({ title, focused, color, width, height, children }: PaneProps) {
  return (
    <Box
      flexDirection="column"
      width={width}
      height={height}
      borderStyle={focused ? 'double' : 'single'}
      borderColor={color && focused ? 'cyan' : undefined}
      overflow="hidden"
    >
      <Text bold wrap="truncate-end">
        {shown(title, width)}
      </Text>
      {children}
    </Box>
  );
}
