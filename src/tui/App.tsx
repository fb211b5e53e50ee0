// The TUI: process tree and timeline side by side, findings under them, a status line. One cursor
// time ties them: the timeline's cursor row sets it, the tree shows every process as of then, and
// replay walks it forward. Reads the TraceIndex only; never the trace itself.

import { Box, Text, useApp, useInput } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { FindingsPane } from './FindingsPane.js';
import { HelpPane } from './HelpPane.js';
import { paneContentLines, shown } from './Pane.js';
import { useIndexProgress, useTerminalSize } from './hooks.js';
import { REPLAY_SPEEDS, applyKey, initialState, openFirstFinding, replayStep, searchDone, searchTimelines, splitKeys, viewOf } from './navigation.js';
import type { Effect, NavState } from './navigation.js';
import { TimelinePane, timeColumn } from './TimelinePane.js';
import type { IndexProgress, TraceIndex } from './trace-index.js';
import { TreePane } from './TreePane.js';
import { counted } from '../views/words.js';

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
  // Keys and timers apply to the latest state, held in a ref (not the last drawn one); render draws
  // the copy in React state.
  const [state, setState] = useState(() => initialState(index));
  const nav = useRef<NavState>(state);
  const searchToken = useRef(0);
  const update = (next: NavState) => {
    nav.current = next;
    setState(next);
  };
  const view = viewOf(index, state);
  const { findings, rows, treeCursor, selected, stream, length, timelineCursor, cursorRow, items } = view;

  // One row less than the terminal: Ink redraws a frame as tall as the terminal by clearing it.
  const height = Math.max(12, terminalRows - 1);
  const findingsHeight = Math.max(6, Math.min(12, Math.floor(height * 0.3)));
  const topHeight = height - 1 - findingsHeight;
  const treeWidth = Math.max(24, Math.min(60, Math.floor(columns * 0.44)));
  const timelineWidth = Math.max(20, columns - treeWidth);

  const carryOut = (effects: Effect[]) => {
    for (const effect of effects) {
      if (effect.kind === 'quit') return exit();
      const token = ++searchToken.current;
      const cancelled = () => token !== searchToken.current;
      const { text, filter, from } = effect;
      void (async () => {
        const found = await searchTimelines(index, text, filter, from, cancelled);
        if (!cancelled()) update(searchDone(nav.current, found, text, filter, from));
      })();
    }
  };

  useInput((input, key) => {
    // PgUp/PgDn move by what the tree or timeline shows.
    const page = Math.max(1, paneContentLines(topHeight) - 3);
    let next = nav.current;
    const effects: Effect[] = [];
    for (const press of splitKeys({ ...key, input })) {
      const applied = applyKey(index, next, press, page);
      next = applied.state;
      effects.push(...applied.effects);
    }
    update(next);
    carryOut(effects);
  });

  // Open on the first finding once the analysis is in, unless the user has started moving.
  useEffect(() => {
    if (progress.phase === 'ready') update(openFirstFinding(index, nav.current));
  }, [index, progress.phase]);

  useEffect(() => {
    if (!state.playing) return;
    const rowsPerSecond = REPLAY_SPEEDS[state.speed]!;
    // Slow speeds tick once a row; fast ones move several rows every REPLAY_TICK_MS.
    const tick = Math.max(REPLAY_TICK_MS, 1000 / rowsPerSecond);
    const step = Math.max(1, Math.round((rowsPerSecond * tick) / 1000));
    const timer = setInterval(() => update(replayStep(index, nav.current, step)), tick);
    return () => clearInterval(timer);
  }, [index, state.playing, state.speed]);

  const processCount = index.analysis?.processes.length ?? rows.filter((row) => !row.thread).length;
  const { filter, at, focus } = state;
  // A multi-threaded process shown by its first thread's timeline (its threads not merged yet) says so.
  const firstThreadOnly = selected && !selected.thread && selected.process.threads.length > 1 && stream === selected.process.threads[0]!.stream;
  const timelineTitle = !selected
    ? 'Timeline'
    : `Timeline of ${selected.thread ? `thread ${selected.thread.tid}` : selected.process.label}` +
      `${firstThreadOnly ? `, thread ${selected.process.threads[0]!.tid} only${index.analysis ? '' : ' until the trace is read'}` : ''}` +
      `${length > 0 ? ` ${timelineCursor + 1}/${length}` : ''} | ${filter === 'key' ? 'futex, clone, wait4, exit' : 'all calls'}`;

  return (
    <Box flexDirection="column" width={columns} height={height}>
      {state.help ? (
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
            title={`${counted(processCount, 'process', 'processes')}${!index.ordersTasks ? ' (unordered log: at end)' : at === Infinity ? ' (at the end)' : ''}`}
          />
          <TimelinePane
            index={index}
            stream={stream}
            missing={
              selected ? "merging this process's threads into one timeline..." : progress.phase === 'ready' ? 'the trace shows no process' : 'no task read yet'
            }
            filter={filter}
            cursor={timelineCursor}
            relativeTime={state.relativeTime}
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
        describe={(evidence) => ({ where: index.evidenceWhere(evidence), text: index.evidenceText(evidence) })}
        verdict={progress.verdict}
        items={items}
        cursor={state.findingCursor}
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
        time={at === Infinity || !cursorRow ? 'end' : timeColumn(index, cursorRow, state.relativeTime)}
        replay={state.playing ? `▶ ${REPLAY_SPEEDS[state.speed]} rows/s` : null}
        search={state.search}
        message={state.message}
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
        {shown(search)}
        <Text inverse> </Text>
        <Text dimColor> Enter: find (pid, tid, syscall, address) Esc: cancel</Text>
      </Text>
    );
  }
  const state = phaseText(progress);
  return (
    <Text wrap="truncate-end">
      {progress.note && <Text color={color ? 'yellow' : undefined}>{shown(progress.note)} | </Text>}
      {message && <Text color={color ? 'yellow' : undefined}>{shown(message)} | </Text>}
      {state && <Text color={color && progress.phase === 'failed' ? 'red' : undefined} bold>{shown(state)} | </Text>}
      {`at ${time} | `}
      <Text bold={findings > 0} color={color && findings > 0 ? 'red' : undefined}>
        {findings} hung
      </Text>
      {` | ${counted(processes, 'process', 'processes')}`}
      {replay && ` | ${replay}`}
      {progress.warnings > 0 && ` | ${counted(progress.warnings, 'unreadable line')}`}
      <Text dimColor> | ?: keys q: quit | </Text>
      <Text bold>{shown(title)}</Text>
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
    case 'naming-holders': {
      const percent = progress.totalBytes > 0 ? Math.min(100, Math.floor((100 * progress.bytesRead) / progress.totalBytes)) : 0;
      return `reading again to name the lock holders ${percent}% (${megabytes(progress.bytesRead)} of ${megabytes(progress.totalBytes)} MB)`;
    }
    case 'merging':
      return 'merging thread timelines';
    case 'failed':
      return `failed: ${progress.error}`;
    case 'ready':
      return null;
  }
}
