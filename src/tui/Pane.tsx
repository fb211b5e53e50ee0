// A bordered pane with a title line. The focused pane gets a double border, so focus reads
// without colour too.

import { Box, Text } from 'ink';
import type { ReactNode } from 'react';

export interface PaneProps {
  title: string;
  focused: boolean;
  color: boolean;
  width: number;
  height: number;
  children?: ReactNode;
}

/**
 * At most what `columns` columns can show of a text. Ink measures and wraps every character it is
 * given, each frame: with 800 kB write() rows, showing all calls took minutes before this.
 */
export function fitting(text: string, columns: number): string {
  return text.length <= columns ? text : `${text.slice(0, Math.max(0, columns - 1))}…`;
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
        {title}
      </Text>
      {children}
    </Box>
  );
}
