// The keys, shown with `?`.

import { Box, Text } from 'ink';
import { Pane } from './Pane.js';

export const KEYS: [string, string][] = [
  ['↑ ↓  j k', 'move (PgUp PgDn: a page)'],
  ['Tab', 'next pane (Shift-Tab: previous)'],
  ['Enter', 'tree: expand/collapse threads; findings: open the line in the timeline'],
  ['n  N', 'next / previous finding'],
  ['f', 'jump to the fork that made the selected process'],
  ['h', 'jump to where the holder took the lock (current finding)'],
  ['/', 'search: a pid or tid selects it; other text (syscall, address) finds the next line, in any process'],
  ['g  G', 'start / end'],
  ['space', 'play / pause replay: the cursor walks the timeline, the tree follows its time'],
  ['+  -', 'replay faster / slower'],
  ['a', 'all system calls / only futex, clone, wait4, exits'],
  ['t', 'time as in the log / relative to the first line'],
  ['q', 'quit (Ctrl-C too)'],
];

export function HelpPane({ width, height, color }: { width: number; height: number; color: boolean }) {
  return (
    <Pane title="Keys (any key closes)" focused color={color} width={width} height={height}>
      {KEYS.map(([keys, what]) => (
        <Box key={keys}>
          <Box width={10} flexShrink={0}>
            <Text bold>{keys}</Text>
          </Box>
          <Text wrap="truncate-end">{what}</Text>
        </Box>
      ))}
    </Pane>
  );
}
