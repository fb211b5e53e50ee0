// The selected process's (or thread's) timeline: time, tid, the call with futex ops in words, its
// result and duration. Only the rows on screen are read from the row store. Lines a finding rests on
// lead with a tag (LOCK TAKEN, FORK WHILE HELD, BLOCKED FOREVER...); the cursor's row is shown whole
// at the bottom, on as many lines as it takes (up to half the pane), since a narrow terminal cuts
// long calls.

import { Box, Text } from 'ink';
import type { EvidenceRole } from '../analysis/types.js';
import { ROLE_LABELS, ROLE_TAGS } from '../views/words.js';
import { Pane, paneContentLines, shown } from './Pane.js';
import type { RowFilter, Timeline, TimelineRow } from './row-store.js';
import type { TraceIndex } from './trace-index.js';
import { windowTop } from './tree-rows.js';

/** Lines under the rows for the cursor row in full: at least this many, at most half the pane. */
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
  if (!stream) {
    return (
      <Pane title={title} focused={focused} color={color} width={width} height={height}>
        <Text dimColor>{shown(missing, width)}</Text>
      </Pane>
    );
  }
  const length = stream.length(filter);
  const current = cursor >= 0 && cursor < length ? stream.rows(filter, cursor, 1)[0] : undefined;
  const content = paneContentLines(height);
  const detail = current ? detailLines(index, current, width - 2, Math.max(DETAIL_LINES, Math.floor(content / 2))) : [];
  const lines = Math.max(1, content - Math.max(DETAIL_LINES, detail.length));
  const top = windowTop(cursor, lines, length);
  const rows = stream.rows(filter, top, lines);
  return (
    <Pane title={title} focused={focused} color={color} width={width} height={height}>
      <Box flexDirection="column" height={lines}>
        {length === 0 && <Text dimColor>{filter === 'key' ? 'no futex, clone, wait4 or exit lines here (a: all calls)' : 'no lines'}</Text>}
        {rows.map((row, i) => (
          <RowLine key={top + i} index={index} row={row} columns={width} selected={top + i === cursor} relativeTime={relativeTime} color={color} />
        ))}
      </Box>
      <Box flexDirection="column" height={Math.max(DETAIL_LINES, detail.length)} overflow="hidden">
        {detail.map((line, i) => (
          <Text key={i} dimColor wrap="truncate-end">
            {line}
          </Text>
        ))}
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

/**
 * The cursor's row whole: its file:line, tid, call and why it matters, wrapped to `columns` on at
 * most `most` lines. A call too long for them (a write() buffer) is cut, never its place or role.
 */
export function detailLines(index: TraceIndex, row: TimelineRow, columns: number, most: number): string[] {
  const where = `${shown(index.fileName(row.file))}:${row.line} [${row.tid}] `;
  const roles = index.rolesOf(row).map((r) => ROLE_LABELS[r]);
  const why = roles.length > 0 ? ` -- ${roles.join('; ')}` : '';
  let lines = wrapped(`${where}${shown(row.text)}${why}`, columns);
  // Breaking at spaces wastes up to half a line each: cut harder until it fits.
  for (let room = most * columns - where.length - why.length; lines.length > most && room > 0; room -= Math.ceil(columns / 2)) {
    lines = wrapped(`${where}${shown(row.text, room)}${why}`, columns);
  }
  return lines.slice(0, most);
}

/** `text` on lines of at most `columns` characters, broken after a space when one is in the second half of the line. */
function wrapped(text: string, columns: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > columns) {
    const space = rest.lastIndexOf(' ', columns);
    const cut = space >= columns / 2 ? space + 1 : columns;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut);
  }
  lines.push(rest);
  return lines;
}
