// The process tree at the cursor's time: pid, what it is doing, command; threads under an expanded
// process. A hung process is red with a mark (a lock, or a mailbox for a pipe) and the word HUNG
// (`hangs later` before it has started); its ancestors that wait for it say so while they do
// (`waits for N later` before).

import { Text } from 'ink';
import type { FindingKind } from '../analysis/types.js';
import { Pane, paneContentLines, shown } from './Pane.js';
import type { Activity, ActivityWord, TraceIndex } from './trace-index.js';
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
        const waiter = row.waiter && index.threadActivity(row.waiter, at).word;
        return <TreeLine key={row.id} row={row} activity={activity} waiter={waiter} columns={width} selected={top + i === cursor} color={color} />;
      })}
    </Pane>
  );
}

interface TreeLineProps {
  row: TreeRow;
  activity: Activity;
  /** What the row's thread in the wait chain is doing at the cursor's time. */
  waiter: ActivityWord | null;
  columns: number;
  selected: boolean;
  color: boolean;
}

function TreeLine({ row, activity, waiter, columns, selected, color }: TreeLineProps) {
  const indent = '  '.repeat(row.depth);
  const opener = row.expandable ? (row.expanded ? '▾ ' : '▸ ') : row.thread ? '└ ' : '  ';
  const name = row.thread ? `thread ${row.thread.tid}` : shown(row.process.label, columns);
  const detail = activity.detail ? shown(activity.detail.replace(/^futex /, ''), columns) : null;
  const state = !detail ? activity.word : detail.startsWith(activity.word) ? detail : `${activity.word} ${detail}`;
  const command = !row.thread && row.process.command ? `  ${shown(row.process.command, columns)}` : '';
  const unborn = activity.word === 'not started' || activity.word === 'forked';
  const waits = row.waitsFor === null || row.hung ? null : waiter === 'waiting' ? 'now' : waiter === 'exited' || waiter === 'killed' ? 'ended' : 'later';
  return (
    <Text wrap="truncate-end" inverse={selected}>
      {indent}
      {row.hung ? (
        <Text color={color ? 'red' : undefined} bold>
          {MARKS[row.hung.kind]} {name} {unborn ? '' : 'HUNG '}
        </Text>
      ) : (
        <Text bold={row.waitsFor !== null}>
          {opener}
          {name}{' '}
        </Text>
      )}
      {waits === 'now' && <Text color={color ? 'yellow' : undefined}>waits for {row.waitsFor} </Text>}
      {waits === 'ended' && <Text color={color ? 'yellow' : undefined}>waited for {row.waitsFor} </Text>}
      {/* Waiting for the hung child is said already. */}
      {!(waits === 'now' && activity.word === 'waiting') && <Text dimColor={unborn || activity.word === 'exited'}>{state}</Text>}
      {row.hung && unborn && <Text color={color ? 'red' : undefined}> (hangs later)</Text>}
      {waits === 'later' && <Text dimColor> (waits for {row.waitsFor} later)</Text>}
      <Text dimColor>{command}</Text>
    </Text>
  );
}
