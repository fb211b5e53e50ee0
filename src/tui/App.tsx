// The TUI: process tree and timeline side by side, findings under them, a status line. One cursor
// time ties them: the timeline's cursor row sets it, the tree shows every process as of then, and
// replay walks it forward. Reads the TraceIndex only; never the trace itself.

import { Box, Text, useApp, useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { FindingsPane, findingItems } from './FindingsPane.js';
import { HelpPane } from './HelpPane.js';
import { useIndexProgress, useTerminalSize } from './hooks.js';
import type { RowFilter } from './row-store.js';
import { TimelinePane } from './TimelinePane.js';
import type { IndexProgress, RowLocation, TraceIndex } from './trace-index.js';
import { TreePane } from './TreePane.js';
import { treeRows } from './tree-rows.js';

type Focus = 'tree' | 'timeline' | 'findings';
const FOCUS_ORDER: Focus[] = ['tree', 'timeline', 'findings'];

/** Replay speeds, in timeline rows per second. */
export const REPLAY_SPEEDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
const REPLAY_TICK_MS = 100;

export interface AppProps {
  index: TraceIndex;
  /** The inputs, as named on the command line. */
  title: string;
  color: boolean;
}

export function App({ index, title, color }: AppProps) {
  const { exit } = useApp();
  const { columns, rows: terminalRows } = useTerminalSize();
  const progress = useIndexProgress(index);
  const findings = index.analysis?.findings ?? [];

  const [focus, setFocus] = useState<Focus>('tree');
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [selectedId, setSelectedId] = useState<string | null>(null);
  // The timeline position: an explicit row, or (null) the last row at or before `at`.
  const [cursor, setCursor] = useState<number | null>(null);
  const [at, setAt] = useState(Infinity);
  const [filter, setFilter] = useState<RowFilter>('key');
  const [findingNumber, setFindingNumber] = useState(0);
  const [findingCursor, setFindingCursor] = useState(0);
  // bpftrace's times are the monotonic clock: only relative times read well.
  const [relativeTime, setRelativeTime] = useState(() => index.sources.some((s) => s.format === 'bpftrace-csv'));
  const [help, setHelp] = useState(false);
  // Keys can arrive faster than renders: the search text lives in a ref so none is typed into a stale copy.
  const searchText = useRef<string | null>(null);
  const [search, showSearch] = useState<string | null>(null);
  const setSearch = (text: string | null) => showSearch((searchText.current = text));
  const [lastSearch, setLastSearch] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(3);
  const touched = useRef(false);
  const searchToken = useRef(0);

  const rows = treeRows(index.roots(), findings, expanded);
  const treeCursor = Math.max(0, rows.findIndex((r) => r.id === selectedId));
  const selected = rows[treeCursor];
  const stream = !selected ? null : selected.thread ? selected.thread.stream : index.streamOf(selected.process);
  const length = stream?.length(filter) ?? 0;
  const timelineCursor =
    cursor !== null ? Math.min(cursor, length - 1) : at === Infinity ? length - 1 : Math.max(0, stream?.indexAt(filter, at) ?? 0);
  const cursorRow = stream && timelineCursor >= 0 ? stream.rows(filter, timelineCursor, 1)[0] : undefined;
  const items = findingItems(findings, findingNumber);

  const select = (id: string) => {
    setSelectedId(id);
    setCursor(null);
  };

  const moveTimeline = (to: number): boolean => {
    if (!stream || length === 0) return false;
    const next = Math.max(0, Math.min(length - 1, to));
    setCursor(next);
    setAt(stream.rows(filter, next, 1)[0].at);
    return next === to;
  };

  const goTo = (location: RowLocation | null, missing: string) => {
    if (!location) return setMessage(missing);
    const target = location.thread && location.process.threads.length > 1 && !index.streamOf(location.process) ? location.thread.stream : index.streamOf(location.process);
    if (!target) return setMessage('still merging the threads of that process; try again in a moment');
    let wanted = filter;
    let found = target.find(wanted, location.file, location.line);
    if (found < 0 && wanted === 'key') found = target.find((wanted = 'all'), location.file, location.line);
    setSelectedId(`p:${location.process.id}`);
    if (found < 0) return setMessage(`${index.fileName(location.file)}:${location.line} is not in the timeline of ${location.process.label}`);
    setFilter(wanted);
    setCursor(found);
    setAt(target.rows(wanted, found, 1)[0].at);
  };

  const showFinding = (number: number) => {
    const finding = findings[number];
    if (!finding) return setMessage('no findings in this trace');
    setFindingNumber(number);
    setFindingCursor(findingItems(findings, number).findIndex((i) => i.kind === 'finding' && i.number === number));
    const blocked = index.evidenceLocation(finding, ['blocked-forever', 'timed-out']);
    if (blocked) return goTo(blocked, '');
    // A finding from /proc (attach) has no trace line: show the process at the end of its timeline.
    const process = index.processOfPid(finding.pid);
    if (process) select(`p:${process.id}`);
    setAt(Infinity);
    setMessage(`the trace does not show the call ${finding.tid} blocks in (${finding.source === 'proc' ? 'found in /proc' : 'not in the trace'})`);
  };

  // Open on the first finding once the analysis is in, unless the user has started moving.
  useEffect(() => {
    if (progress.phase === 'ready' && !touched.current && findings.length > 0) showFinding(0);
  }, [progress.phase]);

  const replayStep = useRef<() => void>(() => {});
  replayStep.current = () => {
    const step = Math.max(1, Math.round((REPLAY_SPEEDS[speed] * REPLAY_TICK_MS) / 1000));
    if (!moveTimeline(timelineCursor + step)) {
      setPlaying(false);
      setMessage('replay reached the end of this timeline');
    }
  };
  useEffect(() => {
    if (!playing) return;
    const rowsPerSecond = REPLAY_SPEEDS[speed];
    // Slow speeds tick once a row; fast ones move several rows every REPLAY_TICK_MS.
    const timer = setInterval(() => replayStep.current(), Math.max(REPLAY_TICK_MS, 1000 / rowsPerSecond));
    return () => clearInterval(timer);
  }, [playing, speed]);

  const runSearch = (text: string) => {
    if (text === '') return;
    setLastSearch(text);
    if (/^\d+$/.test(text)) {
      const pid = Number(text);
      const process = index.processOfPid(pid);
      if (process) return select(`p:${process.id}`);
      const thread = index.threadOfTid(pid);
      if (thread) {
        setExpanded(new Set([...expanded, `p:${thread.process.id}`]));
        return select(`t:${thread.process.id}:${thread.tid}`);
      }
    }
    if (!stream) return setMessage(`nothing to search for '${text}' in`);
    const token = ++searchToken.current;
    const searched = stream;
    const cancelled = () => token !== searchToken.current;
    setMessage(`searching for '${text}'...`);
    void (async () => {
      let found = await index.search(searched, filter, timelineCursor, text, cancelled);
      if (found < 0 && !cancelled()) found = await index.search(searched, filter, -1, text, cancelled);
      if (cancelled()) return;
      if (found < 0) return setMessage(`'${text}' is not in this timeline${filter === 'key' ? ' (a: search all calls)' : ''}`);
      setMessage(null);
      setFocus('timeline');
      setCursor(found);
      setAt(searched.rows(filter, found, 1)[0].at);
    })();
  };

  useInput((input, key) => {
    // A paste, a fast typist or tmux's send-keys can bring several keys in one read: `/18973\r`.
    const typing = searchText.current;
    if (typing !== null || (input.length > 1 && input.startsWith('/'))) {
      if (key.escape) return setSearch(null);
      if (key.backspace || key.delete) return setSearch((typing ?? '').slice(0, -1));
      if (key.return) {
        setSearch(null);
        return runSearch(typing || lastSearch);
      }
      if (key.ctrl || key.meta) return;
      const typed = typing === null ? input.slice(1) : typing + input;
      const enter = typed.search(/[\r\n]/);
      if (enter < 0) return setSearch(typed);
      setSearch(null);
      return runSearch(typed.slice(0, enter) || lastSearch);
    }
    if (input === 'q') return exit();
    if (help) return setHelp(false);
    touched.current = true;
    setMessage(null);
    const page = Math.max(1, terminalRows - 12);
    const delta = key.upArrow || input === 'k' ? -1 : key.downArrow || input === 'j' ? 1 : key.pageUp ? -page : key.pageDown ? page : 0;
    if (key.tab) {
      const at = FOCUS_ORDER.indexOf(focus) + (key.shift ? FOCUS_ORDER.length - 1 : 1);
      setFocus(FOCUS_ORDER[at % FOCUS_ORDER.length]);
    } else if (input === '?') setHelp(true);
    else if (input === 'n' || input === 'N') {
      if (findings.length === 0) setMessage(index.analysis ? 'no findings in this trace' : 'still reading the trace');
      else showFinding((findingNumber + (input === 'n' ? 1 : findings.length - 1)) % findings.length);
    } else if (input === 'f') {
      const process = selected?.process;
      if (process) goTo(index.forkLocation(process), `the log does not show the fork that made ${process.label}`);
    } else if (input === 'h') {
      const finding = findings[findingNumber];
      if (!finding) setMessage('no finding selected');
      else goTo(index.evidenceLocation(finding, ['lock-taken']), `the trace does not show where ${finding.holderTid ?? 'the holder'} took the lock`);
    } else if (input === '/') setSearch('');
    else if (input === ' ') {
      if (!playing && timelineCursor >= length - 1) moveTimeline(0);
      setPlaying(!playing);
    } else if (input === '+' || input === '=') setSpeed(Math.min(REPLAY_SPEEDS.length - 1, speed + 1));
    else if (input === '-') setSpeed(Math.max(0, speed - 1));
    else if (input === 'a') {
      setFilter(filter === 'key' ? 'all' : 'key');
      setCursor(null);
    } else if (input === 't') setRelativeTime(!relativeTime);
    else if (focus === 'tree') {
      if (delta !== 0 || input === 'g' || input === 'G') {
        const to = input === 'g' ? 0 : input === 'G' ? rows.length - 1 : treeCursor + delta;
        const row = rows[Math.max(0, Math.min(rows.length - 1, to))];
        if (row) select(row.id);
      } else if (key.return && selected?.expandable) {
        const next = new Set(expanded);
        if (!next.delete(selected.id)) next.add(selected.id);
        setExpanded(next);
      }
    } else if (focus === 'timeline') {
      if (delta !== 0) moveTimeline(timelineCursor + delta);
      else if (input === 'g') moveTimeline(0);
      else if (input === 'G') moveTimeline(length - 1);
    } else if (focus === 'findings') {
      if (delta !== 0 || input === 'g' || input === 'G') {
        const to = Math.max(0, Math.min(items.length - 1, input === 'g' ? 0 : input === 'G' ? items.length - 1 : findingCursor + delta));
        const item = items[to];
        if (!item) return;
        const number = findings.indexOf(item.finding);
        if (number !== findingNumber) {
          setFindingNumber(number);
          setFindingCursor(findingItems(findings, number).findIndex((i) => i.kind === 'finding' && i.number === number));
        } else setFindingCursor(to);
      } else if (key.return) {
        const item = items[findingCursor];
        if (item?.kind === 'evidence') goTo(index.locate(item.evidence), `${item.evidence.file}:${item.evidence.line} is not a line of the trace`); else if (item) showFinding(findings.indexOf(item.finding));
      }
    }
  });

  const height = Math.max(12, terminalRows - 1);
  const findingsHeight = Math.max(6, Math.min(12, Math.floor(height * 0.3)));
  const topHeight = height - 1 - findingsHeight;
  const treeWidth = Math.max(24, Math.min(60, Math.floor(columns * 0.44)));
  const timelineWidth = Math.max(20, columns - treeWidth);
  const processCount = index.analysis?.processes.length ?? rows.length;
  const timelineTitle = !selected
    ? 'Timeline'
    : `Timeline of ${selected.thread ? `thread ${selected.thread.tid}` : selected.process.label}` +
      `${length > 0 ? ` ${timelineCursor + 1}/${length}` : ''} | ${filter === 'key' ? 'futex, clone, wait4, exit' : 'all calls'}`;

  return (
    <Box flexDirection="column" width={columns} height={height}>
      {help ? (
        <HelpPane width={columns} height={topHeight} color={color} />
      ) : (
        <Box height={topHeight}>
          <TreePane
            index={index}
            rows={rows}
            cursor={treeCursor}
            at={index.ordersTasks ? at : Infinity}
            focused={focus === 'tree'}
            color={color}
            width={treeWidth}
            height={topHeight}
            title={`${processCount} processes${!index.ordersTasks ? ' (unordered log: at end)' : at === Infinity ? ' (at the end)' : ''}`}
          />
          <TimelinePane
            index={index}
            stream={stream}
            filter={filter}
            cursor={timelineCursor}
            relativeTime={relativeTime}
            focused={focus === 'timeline'}
            color={color}
            width={timelineWidth}
            height={topHeight}
            title={timelineTitle}
          />
        </Box>
      )}
      <FindingsPane
        analysis={index.analysis}
        verdict={progress.verdict}
        items={items}
        cursor={findingCursor}
        focused={focus === 'findings'}
        color={color}
        width={columns}
        height={findingsHeight}
      />
      <StatusLine
        title={title}
        progress={progress}
        processes={processCount}
        findings={findings.length}
        time={at === Infinity ? 'end' : (cursorRow?.time ?? (cursorRow ? `line ${cursorRow.line}` : '-'))}
        replay={playing ? `▶ ${REPLAY_SPEEDS[speed]} rows/s` : null}
        search={search}
        message={message}
        color={color}
      />
    </Box>
  );
}

interface StatusLineProps {
  title: string;
  progress: IndexProgress;
  processes: number;
  findings: number;
  time: string;
  replay: string | null;
  search: string | null;
  message: string | null;
  color: boolean;
}

function StatusLine({ title, progress, processes, findings, time, replay, search, message, color }: StatusLineProps) {
  if (search !== null) {
    return (
      <Text wrap="truncate-end">
        <Text bold>/</Text>
        {search}
        <Text inverse> </Text>
        <Text dimColor> Enter: find (pid, tid, syscall, address) Esc: cancel</Text>
      </Text>
    );
  }
  const state = phaseText(progress);
  return (
    <Text wrap="truncate-end">
      {progress.note && <Text color={color ? 'yellow' : undefined}>{progress.note} | </Text>}
      {message && <Text color={color ? 'yellow' : undefined}>{message} | </Text>}
      {state && <Text color={color && progress.phase === 'failed' ? 'red' : undefined} bold>{state} | </Text>}
      {`at ${time} | `}
      <Text bold={findings > 0} color={color && findings > 0 ? 'red' : undefined}>
        {findings} hung
      </Text>
      {` | ${processes} processes`}
      {replay && ` | ${replay}`}
      {progress.warnings > 0 && ` | ${progress.warnings} unreadable lines`}
      <Text dimColor> | ?: keys q: quit | </Text>
      <Text bold>{title}</Text>
    </Text>
  );
}

function phaseText(progress: IndexProgress): string | null {
  const megabytes = (bytes: number) => (bytes / (1 << 20)).toFixed(bytes < 10 << 20 ? 1 : 0);
  switch (progress.phase) {
    case 'reading': {
      if (progress.live) return `recording live: ${megabytes(progress.bytesRead)} MB, ${progress.events} events`;
      const percent = progress.totalBytes > 0 ? Math.floor((100 * progress.bytesRead) / progress.totalBytes) : 0;
      return `reading ${percent}% (${megabytes(progress.bytesRead)} of ${megabytes(progress.totalBytes)} MB)`;
    }
    case 'naming-holders':
      return 'reading again to name the lock holders';
    case 'merging':
      return 'merging thread timelines';
    case 'failed':
      return `failed: ${progress.error}`;
    case 'ready':
      return null;
  }
}
