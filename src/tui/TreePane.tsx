// The process tree at the cursor's time: pid, what it is doing, command; threads under an expanded
// process. A hung process is red with a mark (a lock, or a mailbox for a pipe) and the word HUNG; its ancestors that wait for it
// say so.

import { Text } from 'ink';
import type { FindingKind } from '../analysis/types.js';
import { Pane, fitting, paneContentLines } from './Pane.js';
import type { Activity, TraceIndex } from './trace-index.js';
import type { TreeRow } from './tree-rows.js';
import { windowTop } from './tree-rows.js';

/** A hung row's mark: a lock for a lock hang, an empty mailbox for a reader waiting on a pipe held open. */
const MARKS: Record<FindingKind, string> = { 'inherited-lock': '🔒', 'lock-cycle': '🔒', 'pipe-held-open': '📭' };

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
  const name = row.thread ? `thread ${row.thread.tid}` : row.process.label;
  const detail = activity.detail?.replace(/^futex /, '') ?? null;
  const state = !detail ? activity.word : detail.startsWith(activity.word) ? detail : `${activity.word} ${detail}`;
  const command = !row.thread && row.process.command ? `  ${fitting(row.process.command, columns)}` : '';
  return (
    <Text wrap="truncate-end" inverse={selected}>
      {indent}
      {row.hung ? (
        <Text color={color ? 'red' : undefined} bold>
          {MARKS[row.hung.kind]} {name} HUNG{' '}
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
