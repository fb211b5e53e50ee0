// The selected process's (or thread's) timeline: time, tid, the call with futex ops in words, its
// result and duration. Only the rows on screen are read from the row store. Lines a finding rests on
// lead with a tag (LOCK TAKEN, FORK WHILE HELD, BLOCKED FOREVER...); the cursor's row is shown whole
// at the bottom, since a narrow terminal cuts long calls.

import { Box, Text } from 'ink';
import type { EvidenceRole } from '../analysis/types.js';
import { ROLE_LABELS, ROLE_TAGS } from '../views/words.js';
import { Pane, paneContentLines, shown } from './Pane.js';
import type { RowFilter, Timeline, TimelineRow } from './row-store.js';
import type { TraceIndex } from './trace-index.js';
import { windowTop } from './tree-rows.js';

/** Lines under the rows for the cursor row in full. */
const DETAIL_LINES = 3;

export interface TimelinePaneProps {
  index: TraceIndex;
  stream: Timeline | null;
  /** What to say when there is no timeline to show. */
  missing: string;
  filter: RowFilter;
  cursor: number;
  relativeTime: boolean;
  focused: boolean;
  color: boolean;
  width: number;
  height: number;
  title: string;
}

export function TimelinePane({ index, stream, missing, filter, cursor, relativeTime, focused, color, width, height, title }: TimelinePaneProps) {
  const lines = Math.max(1, paneContentLines(height) - DETAIL_LINES);
  if (!stream) {
    return (
      <Pane title={title} focused={focused} color={color} width={width} height={height}>
        <Text dimColor>{shown(missing, width)}</Text>
      </Pane>
    );
  }
  const length = stream.length(filter);
  const top = windowTop(cursor, lines, length);
  const rows = stream.rows(filter, top, lines);
  const current = rows[cursor - top];
  return (
    <Pane title={title} focused={focused} color={color} width={width} height={height}>
      <Box flexDirection="column" height={lines}>
        {length === 0 && <Text dimColor>{filter === 'key' ? 'no futex, clone, wait4 or exit lines here (a: all calls)' : 'no lines'}</Text>}
        {rows.map((row, i) => (
          <RowLine key={top + i} index={index} row={row} columns={width} selected={top + i === cursor} relativeTime={relativeTime} color={color} />
        ))}
      </Box>
      <Box height={DETAIL_LINES} overflow="hidden">
        {current && <Detail index={index} row={current} columns={width - 2} />}
      </Box>
    </Pane>
  );
}

/** A row's time as shown: as the log printed it, relative to the first line, or its line in an untimed log. */
export function timeColumn(index: TraceIndex, row: TimelineRow, relative: boolean): string {
  if (!index.timed) return `L${row.line}`;
  if (relative) return `+${((row.at - index.firstAt) / 1e6).toFixed(6)}`;
  return row.time ?? `L${row.line}`;
}

function RowLine({
  index,
  row,
  columns,
  selected,
  relativeTime,
  color,
}: {
  index: TraceIndex;
  row: TimelineRow;
  columns: number;
  selected: boolean;
  relativeTime: boolean;
  color: boolean;
}) {
  const roles = index.rolesOf(row);
  const duration = row.durationUs !== null ? ` <${(row.durationUs / 1e6).toFixed(6)}>` : '';
  return (
    <Text wrap="truncate-end" inverse={selected}>
      <Text dimColor>{shown(timeColumn(index, row, relativeTime), columns)} </Text>
      <Text>{String(row.tid).padStart(5)} </Text>
      {roles.length > 0 && (
        <Text bold color={color ? roleColor(roles) : undefined}>
          [{roles.map((r) => ROLE_TAGS[r]).join('; ')}]{' '}
        </Text>
      )}
      <Text>{shown(row.text, columns)}</Text>
      <Text dimColor>{duration}</Text>
    </Text>
  );
}

function roleColor(roles: EvidenceRole[]): string {
  return roles.includes('blocked-forever') || roles.includes('timed-out') ? 'red' : 'yellow';
}

function Detail({ index, row, columns }: { index: TraceIndex; row: TimelineRow; columns: number }) {
  const where = `${shown(index.fileName(row.file))}:${row.line} [${row.tid}] `;
  const roles = index.rolesOf(row).map((r) => ROLE_LABELS[r]);
  const why = roles.length > 0 ? ` -- ${roles.join('; ')}` : '';
  // The call is cut, not the place or why it matters (a line ends where a word breaks: keep spare).
  const room = Math.max(columns, DETAIL_LINES * columns - where.length - why.length - columns / 2);
  return (
    <Text dimColor wrap="wrap">
      {where}
      {shown(row.text, room)}
      {why}
    </Text>
  );
}
