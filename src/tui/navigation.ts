// What the keys do, as plain functions of the TUI's state: the App keeps the state in a ref and
// applies every key to the latest one, so keys that arrive faster than the screen redraws (a held
// `j`, a pasted search, tmux's send-keys) all count, in order.

import { blockedTids } from '../analysis/types.js';
import type { Finding } from '../analysis/types.js';
import { findingItems } from './FindingsPane.js';
import type { FindingItem } from './FindingsPane.js';
import type { RowFilter, Timeline, TimelineRow } from './row-store.js';
import type { ProcessEntry, RowLocation, ThreadEntry, TraceIndex } from './trace-index.js';
import { treeRows } from './tree-rows.js';
import type { TreeRow } from './tree-rows.js';

export type Focus = 'tree' | 'timeline' | 'findings';
const FOCUS_ORDER: Focus[] = ['tree', 'timeline', 'findings'];

/** Replay speeds, in timeline rows per second. */
export const REPLAY_SPEEDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

export interface NavState {
  focus: Focus;
  /** Tree rows (`p:<id>`) whose threads are listed. */
  expanded: ReadonlySet<string>;
  selectedId: string | null;
  /**
   * The timeline position: an explicit row of timeline `cursorIn`, or (null, or another timeline
   * shown now, such as a process's merged one replacing its thread's) the last row at or before `at`.
   */
  cursor: number | null;
  cursorIn: Timeline | null;
  /** The cursor's place in the trace (Infinity: the end); the tree shows states as of then. */
  at: number;
  filter: RowFilter;
  findingNumber: number;
  findingCursor: number;
  relativeTime: boolean;
  help: boolean;
  /** The search being typed, or null. */
  search: string | null;
  lastSearch: string;
  message: string | null;
  playing: boolean;
  speed: number;
  /** The user has moved: the view no longer jumps to the first finding by itself. */
  touched: boolean;
}

export function initialState(index: TraceIndex): NavState {
  return {
    focus: 'tree',
    expanded: new Set(),
    selectedId: null,
    cursor: null,
    cursorIn: null,
    at: Infinity,
    filter: 'key',
    findingNumber: 0,
    findingCursor: 0,
    // bpftrace's times are the monotonic clock: only relative times read well.
    relativeTime: index.sources.some((s) => s.format === 'bpftrace-csv'),
    help: false,
    search: null,
    lastSearch: '',
    message: null,
    playing: false,
    speed: 3,
    touched: false,
  };
}

/** What the screen shows for a state: derived, never stored. */
export interface View {
  findings: Finding[];
  rows: TreeRow[];
  treeCursor: number;
  selected: TreeRow | undefined;
  stream: Timeline | null;
  length: number;
  timelineCursor: number;
  cursorRow: TimelineRow | undefined;
  items: FindingItem[];
}

export function viewOf(index: TraceIndex, state: NavState): View {
  const findings = index.analysis?.findings ?? [];
  const rows = treeRows(index.roots(), findings, state.expanded);
  const treeCursor = Math.max(0, rows.findIndex((r) => r.id === state.selectedId));
  const selected = rows[treeCursor];
  const stream = !selected ? null : selected.thread ? selected.thread.stream : index.streamOf(selected.process);
  const length = stream?.length(state.filter) ?? 0;
  const timelineCursor =
    state.cursor !== null && state.cursorIn === stream
      ? Math.min(state.cursor, length - 1)
      : state.at === Infinity
        ? length - 1
        : Math.max(0, stream?.indexAt(state.filter, state.at) ?? 0);
  const cursorRow = stream && timelineCursor >= 0 ? stream.rows(state.filter, timelineCursor, 1)[0] : undefined;
  return { findings, rows, treeCursor, selected, stream, length, timelineCursor, cursorRow, items: findingItems(findings, state.findingNumber) };
}

/** A key as Ink reports it (the parts of its Key this uses). */
export interface KeyPress {
  input: string;
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  tab?: boolean;
  shift?: boolean;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
}

/** Ink hands over what one read brought: `f\tag` is four keys. Escape sequences stay one key. */
export function splitKeys(key: KeyPress): KeyPress[] {
  const plain = !key.ctrl && !key.meta && !key.escape && !key.upArrow && !key.downArrow && !key.pageUp && !key.pageDown;
  if (!plain || key.input.length <= 1) return [key];
  return [...key.input].map((ch) => {
    if (ch === '\r' || ch === '\n') return { input: '\r', return: true };
    if (ch === '\t') return { input: '\t', tab: true };
    if (ch === '\x7f' || ch === '\b') return { input: '', backspace: true };
    return { input: ch };
  });
}

/** A timeline and a row of it: where a search starts, or what it found. */
export interface TimelinePlace {
  process: ProcessEntry;
  /** The thread whose own timeline it is; null for the process's. */
  thread: ThreadEntry | null;
  stream: Timeline;
  row: number;
}

/** Side effects a key asks for, carried out by the App. */
export type Effect = { kind: 'quit' } | { kind: 'search'; text: string; filter: RowFilter; from: TimelinePlace | null };

export interface Applied {
  state: NavState;
  effects: Effect[];
}

/** Applies one key. `page` is how many rows PgUp/PgDn move. */
export function applyKey(index: TraceIndex, state: NavState, key: KeyPress, page: number): Applied {
  const effects: Effect[] = [];
  let s = state;
  const view = viewOf(index, s);
  if (s.search !== null) {
    if (key.escape) s = { ...s, search: null };
    else if (key.backspace || key.delete) s = { ...s, search: s.search.slice(0, -1) };
    else if (key.return) {
      const text = s.search || s.lastSearch;
      s = runSearch(index, { ...s, search: null }, text, effects);
    } else if (!key.ctrl && !key.meta) s = { ...s, search: s.search + key.input };
    return { state: s, effects };
  }
  const input = key.input;
  if (input === 'q') return { state: s, effects: [{ kind: 'quit' }] };
  if (s.help) return { state: { ...s, help: false }, effects };
  s = { ...s, touched: true, message: null };
  const delta = key.upArrow || input === 'k' ? -1 : key.downArrow || input === 'j' ? 1 : key.pageUp ? -page : key.pageDown ? page : 0;
  if (key.tab) {
    const next = FOCUS_ORDER.indexOf(s.focus) + (key.shift ? FOCUS_ORDER.length - 1 : 1);
    return { state: { ...s, focus: FOCUS_ORDER[next % FOCUS_ORDER.length]! }, effects };
  }
  switch (input) {
    case '?':
      return { state: { ...s, help: true }, effects };
    case 'n':
    case 'N': {
      if (view.findings.length === 0) return { state: { ...s, message: index.analysis ? 'no findings in this trace' : 'still reading the trace' }, effects };
      const step = input === 'n' ? 1 : view.findings.length - 1;
      return { state: showFinding(index, s, (s.findingNumber + step) % view.findings.length), effects };
    }
    case 'f': {
      const process = view.selected?.process;
      if (!process) return { state: s, effects };
      return { state: goTo(index, s, index.forkLocation(process), `the log does not show the fork that made ${process.label}`), effects };
    }
    case 'h': {
      const finding = view.findings[s.findingNumber];
      if (!finding) return { state: { ...s, message: 'no finding selected' }, effects };
      if (finding.kind === 'pipe-held-open') return { state: { ...s, message: 'a pipe held open has no lock holder' }, effects };
      const holder = finding.kind === 'inherited-lock' ? (finding.holderTid ?? 'the holder') : 'a holder';
      const missing = `the trace does not show where ${holder} took the lock`;
      return { state: goTo(index, s, index.evidenceLocation(finding, ['lock-taken', 'holds-lock', 'holder-at-fork']), missing), effects };
    }
    case '/':
      return { state: { ...s, search: '' }, effects };
    case ' ': {
      // Replay from the start when the cursor is already at the end.
      if (!s.playing && view.timelineCursor >= view.length - 1) s = moveTimeline(s, view, 0);
      return { state: { ...s, playing: !s.playing }, effects };
    }
    case '+':
    case '=':
      return { state: { ...s, speed: Math.min(REPLAY_SPEEDS.length - 1, s.speed + 1) }, effects };
    case '-':
      return { state: { ...s, speed: Math.max(0, s.speed - 1) }, effects };
    case 'a':
      return { state: { ...s, filter: s.filter === 'key' ? 'all' : 'key', cursor: null }, effects };
    case 't':
      return { state: { ...s, relativeTime: !s.relativeTime }, effects };
  }
  const to = (length: number, current: number) => Math.max(0, Math.min(length - 1, input === 'g' ? 0 : input === 'G' ? length - 1 : current + delta));
  const moves = delta !== 0 || input === 'g' || input === 'G';
  switch (s.focus) {
    case 'tree': {
      if (moves) {
        const row = view.rows[to(view.rows.length, view.treeCursor)];
        return { state: row ? select(s, row.id) : s, effects };
      }
      if (key.return && view.selected?.expandable) {
        const expanded = new Set(s.expanded);
        if (!expanded.delete(view.selected.id)) expanded.add(view.selected.id);
        return { state: { ...s, expanded }, effects };
      }
      return { state: s, effects };
    }
    case 'timeline':
      return { state: moves ? moveTimeline(s, view, to(view.length, view.timelineCursor)) : s, effects };
    case 'findings': {
      if (moves) {
        const item = view.items[to(view.items.length, s.findingCursor)];
        if (!item) return { state: s, effects };
        const number = view.findings.indexOf(item.finding);
        if (number === s.findingNumber) return { state: { ...s, findingCursor: view.items.indexOf(item) }, effects };
        return { state: { ...s, findingNumber: number, findingCursor: sentenceOf(view.findings, number) }, effects };
      }
      const item = view.items[s.findingCursor];
      if (!key.return || !item) return { state: s, effects };
      if (item.kind === 'evidence') {
        return { state: goTo(index, s, index.locate(item.evidence), `${item.evidence.file}:${item.evidence.line} is not a line of the trace`), effects };
      }
      return { state: showFinding(index, s, view.findings.indexOf(item.finding)), effects };
    }
  }
}

/** One replay tick: the cursor moves `rows` rows on; at the end, replay stops. */
export function replayStep(index: TraceIndex, state: NavState, rows: number): NavState {
  const view = viewOf(index, state);
  const to = view.timelineCursor + rows;
  const moved = moveTimeline(state, view, to);
  if (to < view.length) return moved;
  return { ...moved, playing: false, message: 'replay reached the end of this timeline' };
}

/**
 * The next row containing `text` (or of tid `text`): after `from` in its timeline, then in every
 * other process's timeline in tree order, wrapping around to `from`'s own. Null when none has it
 * (or the search was cancelled).
 */
export async function searchTimelines(
  index: TraceIndex,
  text: string,
  filter: RowFilter,
  from: TimelinePlace | null,
  cancelled: () => boolean,
): Promise<TimelinePlace | null> {
  const targets: Omit<TimelinePlace, 'row'>[] = [];
  for (const process of index.processes()) {
    const stream = index.streamOf(process);
    // A process whose threads are not merged (yet) is searched thread by thread.
    const whole = stream && (process.threads.length === 1 || stream !== process.threads[0]!.stream);
    if (whole) targets.push({ process, thread: null, stream });
    else for (const thread of process.threads) targets.push({ process, thread, stream: thread.stream });
  }
  let start = from ? targets.findIndex((t) => t.stream === from.stream) : 0;
  if (from && start < 0) {
    // One thread's timeline of a merged process: searched first, before its process's.
    start = Math.max(0, targets.findIndex((t) => t.process === from.process));
    targets.splice(start, 0, from);
  }
  for (let i = 0; i <= targets.length && targets.length > 0; i++) {
    const target = targets[(start + i) % targets.length]!;
    const after = i === 0 && from ? from.row : -1;
    const row = await index.search(target.stream, filter, after, text, cancelled);
    if (cancelled()) return null;
    if (row >= 0) return { ...target, row };
  }
  return null;
}

/** The state once a search found `found` (null: nowhere): its process (or thread) selected, the cursor on the row. */
export function searchDone(state: NavState, found: TimelinePlace | null, text: string, filter: RowFilter, from: TimelinePlace | null): NavState {
  if (!found) return { ...state, message: `'${text}' is in no timeline${filter === 'key' ? ' (a: search all calls)' : ''}` };
  const { process, thread, stream, row } = found;
  const moved = from?.process !== process;
  return {
    ...state,
    selectedId: thread ? `t:${process.id}:${thread.tid}` : `p:${process.id}`,
    expanded: thread ? new Set([...state.expanded, `p:${process.id}`]) : state.expanded,
    message: moved ? `'${text}' found in the timeline of ${thread ? `thread ${thread.tid}` : process.label}` : null,
    focus: 'timeline',
    filter,
    cursor: row,
    cursorIn: stream,
    at: stream.rows(filter, row, 1)[0]!.at,
  };
}

/** Selects the first finding's hung child (when the analysis arrives and the user has not moved yet). */
export function openFirstFinding(index: TraceIndex, state: NavState): NavState {
  return state.touched || !index.analysis?.findings.length ? state : showFinding(index, state, 0);
}

function select(state: NavState, id: string): NavState {
  return { ...state, selectedId: id, cursor: null };
}

function moveTimeline(state: NavState, view: View, to: number): NavState {
  if (!view.stream || view.length === 0) return state;
  const cursor = Math.max(0, Math.min(view.length - 1, to));
  return { ...state, cursor, cursorIn: view.stream, at: view.stream.rows(state.filter, cursor, 1)[0]!.at };
}

function sentenceOf(findings: Finding[], number: number): number {
  return findingItems(findings, number).findIndex((i) => i.kind === 'finding' && i.number === number);
}

/** Selects a line of the trace: its process in the tree, the line in the process's timeline. */
function goTo(index: TraceIndex, state: NavState, location: RowLocation | null, missing: string): NavState {
  if (!location) return { ...state, message: missing };
  const stream = index.streamOf(location.process);
  if (!stream) return { ...state, message: 'still merging the threads of that process; try again in a moment' };
  let filter = state.filter;
  let found = stream.find(filter, location.file, location.line);
  if (found < 0 && filter === 'key') found = stream.find((filter = 'all'), location.file, location.line);
  const selected = { ...state, selectedId: `p:${location.process.id}` };
  if (found < 0) return { ...selected, message: `${index.fileName(location.file)}:${location.line} is not in the timeline of ${location.process.label}` };
  return { ...selected, filter, cursor: found, cursorIn: stream, at: stream.rows(filter, found, 1)[0]!.at };
}

function showFinding(index: TraceIndex, state: NavState, number: number): NavState {
  const findings = index.analysis?.findings ?? [];
  const finding = findings[number];
  if (!finding) return { ...state, message: 'no findings in this trace' };
  const shown = { ...state, findingNumber: number, findingCursor: sentenceOf(findings, number) };
  const blocked = index.evidenceLocation(finding, ['blocked-forever', 'timed-out']);
  if (blocked) return goTo(index, shown, blocked, '');
  // A finding from /proc (attach) has no trace line: show the process at the end of its timeline.
  const process = index.processOfPid(finding.pid);
  const at = { ...shown, at: Infinity, cursor: null, message: `the trace does not show the call ${blockedTids(finding)[0]} blocks in` };
  return process ? { ...at, selectedId: `p:${process.id}` } : at;
}

function runSearch(index: TraceIndex, state: NavState, text: string, effects: Effect[]): NavState {
  if (text === '') return state;
  const s = { ...state, lastSearch: text };
  if (/^\d+$/.test(text)) {
    const pid = Number(text);
    const process = index.processOfPid(pid);
    if (process) return select(s, `p:${process.id}`);
    const thread = index.threadOfTid(pid);
    if (thread) return select({ ...s, expanded: new Set([...s.expanded, `p:${thread.process.id}`]) }, `t:${thread.process.id}:${thread.tid}`);
  }
  const view = viewOf(index, s);
  const from = view.selected && view.stream ? { process: view.selected.process, thread: view.selected.thread, stream: view.stream, row: view.timelineCursor } : null;
  effects.push({ kind: 'search', text, filter: s.filter, from });
  return { ...s, message: `searching for '${text}'...` };
}
