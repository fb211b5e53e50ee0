// The process tree at the cursor's time: pid, what it is doing, command; threads under an expanded
// process. A hung process is red with a lock mark and the word HUNG; its ancestors that wait for it
// say so.

import { Text } from 'ink';
import { Pane, paneContentLines, shown } from './Pane.js';
import type { Activity, TraceIndex } from './trace-index.js';
import type { TreeRow } from './tree-rows.js';
import { windowTop } from './tree-rows.js';

const LOCK_MARK = '🔒';

export interface TreePaneProps {
  index: TraceIndex;
  rows: TreeRow[];
  cursor: number;
  /** The timeline cursor's place in the trace: states are shown as of then. */
  at: number;
  focused: boolean;
  color: boolean;
  width: number;
  height: number;
  title: string;
}

export function TreePane({ index, rows, cursor, at, focused, color, width, height, title }: TreePaneProps) {
  const lines = paneContentLines(height);
  const top = windowTop(cursor, lines, rows.length);
  return (
    <Pane title={title} focused={focused} color={color} width={width} height={height}>
      {rows.slice(top, top + lines).map((row, i) => {
        const activity = row.thread ? index.threadActivity(row.thread, at) : index.processActivity(row.process, at);
        return <TreeLine key={row.id} row={row} activity={activity} columns={width} selected={top + i === cursor} color={color} />;
      })}
    </Pane>
  );
}

function TreeLine({ row, activity, columns, selected, color }: { row: TreeRow; activity: Activity; columns: number; selected: boolean; color: boolean }) {
  const indent = '  '.repeat(row.depth);
  const opener = row.expandable ? (row.expanded ? '▾ ' : '▸ ') : row.thread ? '└ ' : '  ';
  const name = row.thread ? `thread ${row.thread.tid}` : shown(row.process.label, columns);
  const detail = activity.detail ? shown(activity.detail.replace(/^futex /, ''), columns) : null;
  const state = !detail ? activity.word : detail.startsWith(activity.word) ? detail : `${activity.word} ${detail}`;
  const command = !row.thread && row.process.command ? `  ${shown(row.process.command, columns)}` : '';
  return (
    <Text wrap="truncate-end" inverse={selected}>
      {indent}
      {row.hung ? (
        <Text color={color ? 'red' : undefined} bold>
          {LOCK_MARK} {name} HUNG{' '}
        </Text>
      ) : (
        <Text bold={row.waitsFor !== null}>
          {opener}
          {name}{' '}
        </Text>
      )}
      {row.waitsFor !== null && !row.hung && <Text color={color ? 'yellow' : undefined}>waits for {row.waitsFor} </Text>}
      {/* Waiting for the hung child is said already. */}
      {(row.waitsFor === null || activity.word !== 'waiting') && (
        <Text dimColor={activity.word === 'not started' || activity.word === 'exited'}>{state}</Text>
      )}
      <Text dimColor>{command}</Text>
    </Text>
  );
}
