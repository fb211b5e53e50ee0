// How the TUI (`forkscope tui LOG`) behaves on big logs (bench/biglog.ts): it runs in a detached tmux
// session of 120x40 and is watched through `tmux capture-pane`, as a user would see it. Prints the
// figures; not a test.
//   - first paint: from launching the session until the screen shows a pane border or the status line
//     (polled every POLL_MS);
//   - indexed: until the status line no longer says reading/merging and the Findings title has the
//     count (polled every INDEX_POLL_MS once the keys are measured); with when the second read
//     (naming the lock holders) and the merging were first seen;
//   - key response, while indexing and after: the time from `tmux send-keys` until the screen shows
//     the key's effect (tree j/k: the timeline names the newly selected process; timeline j/k, g, G:
//     its row counter moves), polled every KEY_POLL_MS, median of the presses;
//   - peak RSS of the node process (VmHWM) and the size of its on-disk row store, just before `q`;
//   - `q`: time until the process is gone, and whether its row store went with it.
//
//   node dist/bench/tui.js [MB ...]        default: 50 200
//
// DEBUG_TUI=1 prints the screen of a press that showed nothing.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { MAIN, writeLog } from './biglog.js';
import { unnamedFilesUnder } from '../test/helpers/live.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../src/cli.js');
const COLUMNS = 120;
const ROWS = 40;
const POLL_MS = 20;
/** Waiting for the indexing to end: polled less often, so that tmux takes less of the CPU from it. */
const INDEX_POLL_MS = 100;
const KEY_POLL_MS = 10;
/** Presses per measured key kind (half j, half k). */
const PRESSES = 10;
const BETWEEN_PRESSES_MS = 30;
/** A press that shows nothing within this long is counted as lost. */
const KEY_TIMEOUT_MS = 10_000;
const INDEX_TIMEOUT_MS = 10 * 60_000;
const QUIT_TIMEOUT_MS = 10_000;

type Pane = 'tree' | 'timeline' | 'findings';
const PHASES = ['reading', 'second read', 'merging', 'after'] as const;
type Phase = (typeof PHASES)[number];

const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The TUI in its tmux session; every capture also notes when each phase was first seen. */
class Session {
  readonly name = `forkscope-bench-tui-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  started = 0;
  firstPaint: number | null = null;
  secondRead: number | null = null;
  merging: number | null = null;
  indexed: number | null = null;
  /** The highest RSS seen in each phase (sampled at every capture). */
  readonly rssMB: Partial<Record<Phase, number>> = {};
  pid = 0;

  launch(log: string, rowStoreDirectory: string): void {
    this.started = now();
    tmux('new-session', '-d', '-s', this.name, '-x', String(COLUMNS), '-y', String(ROWS), '--',
      'env', `TMPDIR=${rowStoreDirectory}`, process.execPath, CLI, 'tui', log);
    this.pid = nodePid(Number(tmux('list-panes', '-t', this.name, '-F', '#{pane_pid}').trim()));
  }

  capture(): string {
    let screen: string;
    try {
      screen = tmux('capture-pane', '-p', '-t', this.name);
    } catch {
      return '';
    }
    const at = now() - this.started;
    const status = statusLine(screen);
    if (this.firstPaint === null && (/[─│═║]/.test(screen) || status.includes('q: quit'))) this.firstPaint = at;
    if (this.secondRead === null && status.includes('reading again to name the lock holders')) this.secondRead = at;
    if (this.merging === null && status.includes('merging thread timelines')) this.merging = at;
    if (this.indexed === null && isIndexed(screen)) this.indexed = at;
    const phase: Phase = status.includes('reading again')
      ? 'second read'
      : status.includes('merging')
        ? 'merging'
        : status.includes('reading') || this.firstPaint === null
          ? 'reading'
          : 'after';
    const rssMB = memoryKb(this.pid, 'VmRSS') / 1024;
    if (rssMB > (this.rssMB[phase] ?? 0)) this.rssMB[phase] = rssMB;
    return screen;
  }

  send(key: string): void {
    tmux('send-keys', '-t', this.name, key);
  }

  /** Polls until `done(screen)`; the screen, or null after `timeoutMs`. */
  async until(done: (screen: string) => boolean, timeoutMs: number, pollMs = POLL_MS): Promise<string | null> {
    const deadline = now() + timeoutMs;
    for (;;) {
      const screen = this.capture();
      if (done(screen)) return screen;
      if (now() > deadline) return null;
      await sleep(pollMs);
    }
  }

  /**
   * Milliseconds from sending `key` until `shows(before, after)`; 'lost' when it never does, and
   * 'gave up' when `giveUp(screen)` came first.
   */
  async press(key: string, shows: Shows, giveUp: (screen: string) => boolean = () => false): Promise<number | 'lost' | 'gave up'> {
    const before = this.capture();
    const sent = now();
    this.send(key);
    let gaveUp = false;
    const after = await this.until((screen) => shows(before, screen) || (gaveUp = giveUp(screen)), KEY_TIMEOUT_MS, KEY_POLL_MS);
    const ms = now() - sent;
    return after === null ? 'lost' : gaveUp ? 'gave up' : ms;
  }

  /** Tab until `pane` has the focus (its double border). */
  async focus(pane: Pane): Promise<void> {
    for (let i = 0; i < 3 && focusOf(this.capture()) !== pane; i++) {
      const from = focusOf(this.capture());
      this.send('Tab');
      await this.until((screen) => focusOf(screen) !== from, KEY_TIMEOUT_MS, KEY_POLL_MS);
    }
    if (focusOf(this.capture()) !== pane) throw new Error(`could not focus the ${pane} pane`);
  }

  kill(): void {
    try {
      tmux('kill-session', '-t', this.name);
    } catch {
      // already gone with its process
    }
  }
}

/** The node process: the pane's process, or its descendant when something stands between. */
function nodePid(panePid: number): number {
  const queue = [panePid];
  while (queue.length) {
    const pid = queue.shift()!;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node') return pid;
      queue.push(...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      // gone
    }
  }
  return panePid;
}

/** A memory figure of /proc/PID/status (VmRSS, VmHWM) in kB; 0 when the process is gone. */
function memoryKb(pid: number, field: string): number {
  try {
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

const statusLine = (screen: string) => screen.trimEnd().split('\n').at(-1) ?? '';
const isIndexed = (screen: string) =>
  statusLine(screen).startsWith('at ') && /Findings: \d+ hung on an inherited lock/.test(screen);
/** Not known to be indexed: a capture taken while Ink redraws may lack the status line. */
const isIndexing = (screen: string) => !isIndexed(screen);

/** The focused pane: the one drawn with a double border. */
function focusOf(screen: string): Pane | null {
  const top = screen.split('\n')[0] ?? '';
  if (top.startsWith('╔')) return 'tree';
  if (top.includes('╔')) return 'timeline';
  return screen.includes('╔') ? 'findings' : null;
}

/** The timeline title: whose it is, and its row counter (`12/345`). */
function timeline(screen: string): { of: string; row: number; rows: number } | null {
  const m = /Timeline of (.+?)(?: \(.*?\))? (\d+)\/(\d+)/.exec(screen);
  return m ? { of: m[1]!, row: Number(m[2]), rows: Number(m[3]) } : null;
}

const mainTimeline = new RegExp(`Timeline of ${MAIN} `);

type Shows = (before: string, after: string) => boolean;

/** The tree's cursor moved: the timeline is another task's. */
const treeMoved: Shows = (before, after) => {
  const b = timeline(after)?.of;
  return b !== undefined && b !== timeline(before)?.of;
};
/** The timeline's cursor moved by `delta` rows. */
const rowMovedBy =
  (delta: number): Shows =>
  (before, after) => {
    const a = timeline(before);
    const b = timeline(after);
    return a !== null && b !== null && b.row === a.row + delta;
  };
/**
 * g: the timeline's cursor is on its first row. G: it is on its last, or (while the timeline grows)
 * at or past the row count shown before the key, since G goes to the last row the screen had shown.
 */
const rowAt =
  (first: boolean): Shows =>
  (before, after) => {
    const a = timeline(before);
    const b = timeline(after);
    return b !== null && (first ? b.row === 1 : b.row === b.rows || (a !== null && a.row !== a.rows && b.row >= a.rows));
  };

interface KeyFigures {
  tree: number[];
  timeline: number[];
  /** g and G in the timeline. */
  jumps: number[];
  lost: number;
}

const keyFigures = (): KeyFigures => ({ tree: [], timeline: [], jumps: [], lost: 0 });

/**
 * Presses `keys` in turn, PRESSES times, in the focused `pane`, and times each. With `whileIndexing`,
 * a press counts only if the screen still showed the indexing after it, and the presses stop when
 * it ends.
 */
async function presses(session: Session, pane: 'tree' | 'timeline', keys: string[], whileIndexing: boolean, out: KeyFigures): Promise<void> {
  for (let i = 0; i < PRESSES; i++) {
    const key = keys[i % keys.length]!;
    const result = await session.press(key, pane === 'tree' ? treeMoved : rowMovedBy(key === 'j' ? 1 : -1), stopAt(whileIndexing));
    if (!record(session, result, whileIndexing, out[pane], out)) return;
    await sleep(BETWEEN_PRESSES_MS);
  }
}

/** g and G in the focused timeline, each timed unless the cursor is already there; ends on the last row. */
async function jumps(session: Session, whileIndexing: boolean, out: KeyFigures): Promise<void> {
  for (const key of ['g', 'G', 'g', 'G']) {
    if (rowAt(key === 'g')('', session.capture())) continue;
    if (!record(session, await session.press(key, rowAt(key === 'g'), stopAt(whileIndexing)), whileIndexing, out.jumps, out)) return;
    await sleep(BETWEEN_PRESSES_MS);
  }
}

/** While indexing, a press is given up when the indexing ends before the key shows. */
const stopAt = (whileIndexing: boolean) => (screen: string) => whileIndexing && !isIndexing(screen);

/** Keeps a press's figure; false when the presses of this phase should stop. */
function record(session: Session, result: number | 'lost' | 'gave up', whileIndexing: boolean, figures: number[], out: KeyFigures): boolean {
  if (process.env.DEBUG_TUI) console.error('press:', result, whileIndexing ? 'while indexing' : 'after', JSON.stringify(timeline(session.capture())));
  if (result === 'lost') {
    out.lost++;
    if (process.env.DEBUG_TUI) console.error(session.capture());
  } else if (result === 'gave up') {
    if (process.env.DEBUG_TUI) console.error(session.capture());
  } else {
    // The indexing may have ended while the screen was updated: such a press belongs to neither phase.
    if (!whileIndexing || isIndexing(session.capture())) figures.push(result);
  }
  return !stopAt(whileIndexing)(session.capture()) && result !== 'gave up';
}

/** Bytes of the files under `directory`, and of those the process holds open that were made there and have no name any more (the row store). */
function storeSize(directory: string, pid: number): number {
  let bytes = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    bytes += entry.isDirectory() ? storeSize(path, 0) : statSync(path).size;
  }
  if (pid === 0) return bytes;
  for (const held of unnamedFilesUnder(pid, directory)) {
    try {
      bytes += statSync(held).size;
    } catch {
      // closed meanwhile
    }
  }
  return bytes;
}

interface Figures {
  firstPaint: number | null;
  secondRead: number | null;
  merging: number | null;
  indexed: number | null;
  during: KeyFigures;
  after: KeyFigures;
  peakMB: number;
  rssMB: Partial<Record<Phase, number>>;
  rowStoreMB: number;
  quitMs: number | null;
  rowStoreLeft: boolean;
}

async function measure(log: string, rowStores: string): Promise<Figures> {
  const session = new Session();
  const during = keyFigures();
  const after = keyFigures();
  try {
    session.launch(log, rowStores);
    if (!(await session.until(() => session.firstPaint !== null, 60_000))) throw new Error('the TUI never painted');
    // While indexing: the provisional tree lists each task seen so far (main 1000, then the holder
    // and the contender threads); the timelines of the threads trading the lock grow.
    await session.until((screen) => mainTimeline.test(screen) || !isIndexing(screen), INDEX_TIMEOUT_MS);
    if (isIndexing(session.capture())) await presses(session, 'tree', ['j', 'k'], true, during);
    if (isIndexing(session.capture())) {
      await session.press('j', treeMoved, stopAt(true));
      await session.focus('timeline');
      await jumps(session, true, during);
      await presses(session, 'timeline', ['k', 'j'], true, during);
    }
    if (!(await session.until(isIndexed, INDEX_TIMEOUT_MS, INDEX_POLL_MS))) throw new Error(`not indexed after ${INDEX_TIMEOUT_MS / 1000} s`);
    // After: the tree is main and its hung child; main's timeline merges its three threads.
    await session.focus('tree');
    session.send('g');
    await session.until((screen) => mainTimeline.test(screen), KEY_TIMEOUT_MS);
    await presses(session, 'tree', ['j', 'k'], false, after);
    await session.until((screen) => mainTimeline.test(screen), KEY_TIMEOUT_MS);
    await session.focus('timeline');
    await jumps(session, false, after);
    await presses(session, 'timeline', ['k', 'j'], false, after);

    const peakKb = memoryKb(session.pid, 'VmHWM');
    const rowStoreMB = storeSize(rowStores, session.pid) / (1 << 20);
    const quitStarted = now();
    session.send('q');
    let quitMs: number | null = null;
    while (now() - quitStarted < QUIT_TIMEOUT_MS) {
      if (!alive(session.pid)) {
        quitMs = now() - quitStarted;
        break;
      }
      await sleep(5);
    }
    const { firstPaint, secondRead, merging, indexed } = session;
    return { firstPaint, secondRead, merging, indexed, during, after, peakMB: peakKb / 1024, rssMB: { ...session.rssMB }, rowStoreMB, quitMs, rowStoreLeft: readdirSync(rowStores).length > 0 };
  } finally {
    session.kill();
  }
}

const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(2)} s`);
const keyMs = (xs: number[]) => (xs.length ? `${Math.round(median(xs)!)} ms (max ${Math.round(Math.max(...xs))}, n=${xs.length})` : '-');
const row = (cells: string[]) => `| ${cells.join(' | ')} |`;

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const directory = mkdtempSync(join(tmpdir(), 'forkscope-bench-tui-'));
  const results: { size: number; figures: Figures }[] = [];
  try {
    console.log(`tui: \`forkscope tui LOG\` in a ${COLUMNS}x${ROWS} tmux session, on the log of bench/biglog.ts`);
    for (const megabytes of sizes.length ? sizes : [50, 200]) {
      const log = join(directory, `trace-${megabytes}.log`);
      const rowStores = join(directory, `rows-${megabytes}`);
      try {
        await writeLog(log, megabytes);
        mkdirSync(rowStores);
        const size = statSync(log).size / (1 << 20);
        const figures = await measure(log, rowStores);
        results.push({ size, figures });
        console.log(`${size.toFixed(0)} MB measured`);
      } finally {
        rmSync(log, { force: true });
        rmSync(rowStores, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  console.log('\ntimes from launching the tmux session; peak RSS (VmHWM) and row store size just before q');
  console.log(row(['log', 'first paint', 'second read from', 'merging from', 'indexed', 'peak RSS', 'row store on disk', 'q until exit']));
  console.log(row(Array(8).fill('---')));
  for (const { size, figures: f } of results) {
    const quit = f.quitMs === null ? `still running after ${QUIT_TIMEOUT_MS / 1000} s` : `${Math.round(f.quitMs)} ms`;
    console.log(row([`${size.toFixed(0)} MB`, seconds(f.firstPaint), seconds(f.secondRead), seconds(f.merging), seconds(f.indexed),
      `${f.peakMB.toFixed(0)} MB`, `${f.rowStoreMB.toFixed(0)} MB`, quit + (f.rowStoreLeft ? ' (row store left behind)' : '')]));
  }
  console.log('\nhighest RSS sampled in each phase (VmRSS at every capture)');
  console.log(row(['log', ...PHASES]));
  console.log(row(Array(PHASES.length + 1).fill('---')));
  for (const { size, figures: f } of results) {
    console.log(row([`${size.toFixed(0)} MB`, ...PHASES.map((phase) => (f.rssMB[phase] ? `${f.rssMB[phase]!.toFixed(0)} MB` : '-'))]));
  }
  console.log(`\nkey response: median (and slowest) ms from send-keys to the key's effect on screen, n presses, polled every ${KEY_POLL_MS} ms`);
  console.log(row(['log', 'when', 'tree j/k', 'timeline j/k', 'timeline g/G', 'no effect within ' + KEY_TIMEOUT_MS / 1000 + ' s']));
  console.log(row(Array(6).fill('---')));
  for (const { size, figures: f } of results) {
    for (const [when, k] of [['while indexing', f.during], ['after', f.after]] as const) {
      console.log(row([`${size.toFixed(0)} MB`, when, keyMs(k.tree), keyMs(k.timeline), keyMs(k.jumps), String(k.lost)]));
    }
  }
}

await main();
