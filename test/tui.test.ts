// The TUI's model and components, rendered with ink-testing-library (100 columns, 24 rows) on
// recorded traces: what a person sees, and what each key does to it. tui-tmux.test.ts drives the
// real command in a terminal.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { resolveInputs } from '../parsers/index.js';
import type { InheritedLockFinding } from '../src/analysis/types.js';
import { App } from '../src/tui/App.js';
import { applyKey, initialState, openFirstFinding, splitKeys, viewOf } from '../src/tui/navigation.js';
import type { NavState } from '../src/tui/navigation.js';
import { MergedTimeline, RowStore, decodeBlock, encodeBlock } from '../src/tui/row-store.js';
import type { TimelineRow } from '../src/tui/row-store.js';
import { detailLines } from '../src/tui/TimelinePane.js';
import { TraceIndex } from '../src/tui/trace-index.js';
import { findingSentence } from '../src/views/words.js';
import { repoPath, runCli } from './helpers/repo.js';

const SEED_002 = repoPath('samples/plash-tst-fork1/tst-fork1.log');
const C_MUTEX = repoPath('samples/c-mutex-held-at-fork/trace-f.log');

const plain = (frame: string | undefined) => (frame ?? '').replace(/\x1b\[[0-9;]*m/g, '');
const settle = () => new Promise((resolve) => setTimeout(resolve, 60));

async function loadedIndex(path: string): Promise<TraceIndex> {
  const index = new TraceIndex(await resolveInputs([path]));
  await index.load();
  return index;
}

/** The App on a loaded index; `press` sends keys one at a time and returns the screen. */
async function openApp(index: TraceIndex) {
  const app = render(createElement(App, { index, title: 'trace', color: false }));
  // Until the frame stays the same for a moment (a loaded machine draws late), at most 3 s.
  const steady = async () => {
    let frame = app.lastFrame();
    for (const started = Date.now(); Date.now() - started < 3000; ) {
      await settle();
      if (app.lastFrame() === frame) return;
      frame = app.lastFrame();
    }
  };
  await steady();
  const press = async (...keys: string[]) => {
    for (const key of keys) {
      // Each key redraws at least once: wait for that, then for quiet.
      const before = app.frames.length;
      app.stdin.write(key);
      for (let waited = 0; waited < 5000 && app.frames.length === before; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      await steady();
    }
    return plain(app.lastFrame());
  };
  return { app, press, screen: () => plain(app.lastFrame()) };
}

const row = (i: number, key: boolean): TimelineRow => ({
  tid: 100 + (i % 3),
  at: i * 10,
  end: i * 10 + 5,
  time: null,
  text: `call${i}`,
  durationUs: null,
  key,
  waits: null,
  exit: null,
  file: 0,
  line: i + 1,
});

describe('row store', () => {
  test('pages, finds and positions rows across many blocks, for all rows and the key ones', () => {
    const store = new RowStore();
    try {
      const stream = store.stream();
      for (let i = 0; i < 2000; i++) stream.append(row(i, i % 7 === 0));
      store.flush();
      for (let i = 2000; i < 2100; i++) stream.append(row(i, i % 7 === 0)); // an unfinished block too
      assert.equal(stream.length('all'), 2100);
      assert.equal(stream.length('key'), 300);
      assert.deepEqual(stream.rows('all', 254, 4).map((r) => r.text), ['call254', 'call255', 'call256', 'call257']);
      assert.deepEqual(stream.rows('key', 36, 2).map((r) => r.text), ['call252', 'call259']);
      assert.deepEqual(stream.rows('all', 2098, 10).map((r) => r.text), ['call2098', 'call2099']);
      assert.equal(stream.indexAt('all', 12345), 1234);
      assert.equal(stream.indexAt('key', 12345), 176); // call1232 = 7 * 176
      assert.equal(stream.indexAt('all', -1), -1);
      assert.equal(stream.find('all', 0, 1501), 1500);
      assert.equal(stream.find('key', 0, 2059), 294);
      assert.equal(stream.find('key', 0, 2), -1);
      assert.equal(stream.rowAt(20_995)!.text, 'call2099');
    } finally {
      store.dispose();
    }
  });
});

describe('merged timeline', () => {
  test('interleaves threads in trace order across blocks, and pages, filters, positions and finds like one timeline', async () => {
    const store = new RowStore();
    try {
      // Thread t has rows at 3i + t: merged, row n is at n.
      const threads = [0, 1, 2].map(() => store.stream());
      for (let i = 0; i < 700; i++) for (const [t, stream] of threads.entries()) stream.append({ ...row(3 * i + t, (3 * i + t) % 5 === 0), tid: t });
      store.flush();
      const merged = await MergedTimeline.merge(store, threads, 100);
      assert.equal(merged.length('all'), 2100);
      assert.equal(merged.length('key'), 420);
      assert.deepEqual(merged.rows('all', 254, 5).map((r) => r.at / 10), [254, 255, 256, 257, 258]);
      assert.deepEqual(merged.rows('all', 254, 5).map((r) => r.tid), [254 % 3, 255 % 3, 256 % 3, 257 % 3, 258 % 3]);
      assert.deepEqual(merged.rows('key', 100, 2).map((r) => r.at / 10), [500, 505]);
      assert.equal(merged.indexAt('all', 12345), 1234);
      assert.equal(merged.indexAt('key', 12345), 246);
      assert.equal(merged.find('all', 0, 1801), 1800);
      assert.equal(merged.find('key', 0, 1801), 360);
      assert.equal(merged.find('key', 0, 1802), -1);
      assert.equal([...merged.scan()].length, 2100);
    } finally {
      store.dispose();
    }
  });

  test('rows survive their encoding, tabs, newlines, backslashes and non-ASCII text included', () => {
    const odd = { ...row(7, true), text: 'write(1, "a\\tb\\n", 5)\tx\ny\\ é 😀', time: '10:00:00.000001', waits: 'futex 0x1', exit: null, end: null };
    const exited = { ...row(2 ** 40 + 0.5, false), tid: 4_000_000, line: 2 ** 33, time: null, text: '+++ exited with 0 +++', durationUs: 12.5, exit: 'exited 0' };
    const rows = [odd, exited, row(9, false)];
    assert.deepEqual(decodeBlock(encodeBlock(rows), rows.length), rows);
  });
});

describe('trace index', () => {
  test('knows what each process was doing at a point of a timed trace', async () => {
    const index = await loadedIndex(C_MUTEX);
    try {
      const [parent] = index.roots();
      assert.ok(parent);
      const child = parent.children[0];
      assert.ok(child);
      assert.equal(child.pid, index.analysis!.findings[0]!.pid);
      const fork = parent.threads.map((t) => t.stream).flatMap((s) => s.rows('all', 0, s.length('all'))).find((r) => r.line === child.forkedAt!.line)!;
      assert.equal(index.processActivity(child, fork.at - 1).word, 'not started');
      const end = index.processActivity(child, Infinity);
      assert.equal(end.word, 'blocked');
      const [finding] = index.analysis!.findings;
      assert.equal(end.detail, `futex ${finding?.kind === 'inherited-lock' ? finding.futex : '?'}`);
      assert.deepEqual(index.processActivity(parent, Infinity), { word: 'waiting', detail: `wait4 ${child.pid}` });
    } finally {
      index.dispose();
    }
  });
});

test('a pid used twice in one trace gives two processes, two ids, two timelines', async () => {
  const index = await loadedIndex(repoPath('test/fixtures/parsers/pid-reuse.log'));
  try {
    const children = index.roots()[0]!.children;
    assert.equal(children.length, 2);
    assert.notEqual(children[0]!.id, children[1]!.id);
    assert.deepEqual(children.map((c) => index.processActivity(c, Infinity).detail), ['exited 1', 'exited 2']);
  } finally {
    index.dispose();
  }
});

test('a call with a huge argument is kept and shown cut to what fits, not whole', async () => {
  // strace -s 1000000 prints write() buffers whole; Ink wrapping such rows took minutes a key.
  const dir = mkdtempSync(join(tmpdir(), 'forkscope-tui-long-'));
  const log = join(dir, 'long.log');
  const write = (i: number) => `100 10:00:00.00000${i} write(1, "${'A'.repeat(300_000)}", 300000) = 300000 <0.000100>`;
  writeFileSync(log, ['100 10:00:00.000001 execve("./x", ["./x"], 0x7ffd /* 1 vars */) = 0', write(2), write(3), ''].join('\n'));
  const index = await loadedIndex(log);
  try {
    const rows = index.roots()[0]!.threads[0]!.stream.rows('all', 0, 3);
    assert.ok(rows[1]!.text.length < 5000 && rows[1]!.text.endsWith('more characters)'), `${rows[1]!.text.length} characters kept`);
    const { app, press } = await openApp(index);
    try {
      const text = await press('\t', 'a', 'g', 'j');
      assert.match(text, /Timeline of 100 2\/3/);
      assert.match(text, /10:00:00\.000002 +100 write\(1, "AAAA/);
      assert.match(text, /long\.log:2 \[100\]/);
      assert.match(text, /AAAA…/, 'the detail is cut too');
    } finally {
      app.unmount();
    }
  } finally {
    index.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('tui on seed 002 (PlashGlibc nptl/tst-fork1)', () => {
  let index: TraceIndex;
  before(async () => {
    index = await loadedIndex(SEED_002);
  });
  after(() => index.dispose());

  test('opens on the hung child: highlighted in the tree, its blocked call in the timeline, the finding sentence', async () => {
    const { app, screen } = await openApp(index);
    try {
      const text = screen();
      assert.match(text, /🔒 18972 HUNG blocked 0x2b79a1b1e2c0/);
      assert.match(text, /threads 18970,18969 waits for 18972/);
      assert.match(text, /Timeline of 18972/);
      assert.match(text, /L74 18972 \[BLOCKED FOREVER\] futex\(0x2b79a1b1e2c0/);
      assert.match(text, /tst-fork1\.log:74 \[18972\]/);
      assert.ok(text.includes(findingSentence(index.analysis!.findings[0]!).slice(0, 80)));
      assert.match(text, /Findings: 1 hung on an inherited lock/);
      assert.match(text, /1 hung \| 3 processes/);
      // 18973 exited; the log has no times, so states are the ones at the end.
      assert.match(text, /18973 exited 3/);
      assert.match(text, /3 processes \(unordered log: at end\)/);
    } finally {
      app.unmount();
    }
  });

  test('f jumps to the fork that made the child, h to where the holder took the lock', async () => {
    const { app, press } = await openApp(index);
    try {
      let text = await press('f');
      assert.match(text, /Timeline of threads 18970,18969/);
      assert.match(text, /L61 18969 \[FORK WHILE HELD\] clone\(/);
      assert.match(text, /tst-fork1\.log:61 \[18969\]/);
      text = await press('h');
      assert.match(text, /L8 18970 \[LOCK TAKEN\] futex\(0x2b79a1b1e2c0/);
      assert.match(text, /tst-fork1\.log:8 \[18970\]/);
      text = await press('n');
      assert.match(text, /Timeline of 18972/);
    } finally {
      app.unmount();
    }
  });

  test('a shows every call, / finds a call and a pid, ? lists the keys', async () => {
    const { app, press } = await openApp(index);
    try {
      let text = await press('f', 'a');
      assert.match(text, /\| all calls/);
      assert.match(text, /sendmsg\(3/);
      text = await press('/', 's', 'e', 't', '_', 'r', 'o', 'b', 'u', 's', 't', '\r');
      assert.match(text, /tst-fork1\.log:2 \[18970\]/);
      text = await press('/', '1', '8', '9', '7', '3', '\r');
      assert.match(text, /Timeline of 18973/);
      text = await press('/', 'n', 'o', 'p', 'e', '\r');
      assert.match(text, /'nope' is in no timeline \|/);
      text = await press('?');
      assert.match(text, /jump to the fork that made the selected process/);
      text = await press('x');
      assert.doesNotMatch(text, /jump to the fork that made the selected process/);
    } finally {
      app.unmount();
    }
  });

  test('Tab moves the focus; Enter in the tree opens a process\'s threads; Enter on evidence opens its line', async () => {
    const { app, press } = await openApp(index);
    try {
      let text = await press('g', '\r');
      assert.match(text, /▾ threads 18970,18969/);
      assert.match(text, /└ thread 18970/);
      text = await press('j');
      assert.match(text, /Timeline of thread 18970/);
      // Findings pane: past the fix and the waiting parent, down to the first evidence line (the WAKE that handed the lock over), Enter.
      text = await press('\t', '\t', 'j', 'j', 'j', '\r');
      assert.match(text, /tst-fork1\.log:59 \[18969\]/);
      assert.match(text, /L59 18969 \[HANDED OVER \(WAKE=1\)\] futex/);
      // The next evidence line, as the timeline says it: the log's numeric futex op in words.
      text = await press('j');
      assert.match(text, /tst-fork1\.log:8 lock taken: \[18970\] futex\(0x2b79a1b1e2c0, FUTEX_WAIT_PR/);
    } finally {
      app.unmount();
    }
  });
});

describe('tui on a timed strace -f trace', () => {
  test('the tree follows the cursor time: the child is forked at the fork and hangs later, its parent waits for it once it does', async () => {
    const index = await loadedIndex(C_MUTEX);
    const { app, press } = await openApp(index);
    try {
      const { pid, parentPid } = index.analysis!.findings[0] as InheritedLockFinding;
      // At the fork: the child exists but has made no call yet; its parent will wait for it later.
      let text = await press('f');
      assert.match(text, new RegExp(`🔒 ${pid} forked \\(hangs later\\)`));
      assert.doesNotMatch(text, /HUNG not started/);
      assert.match(text, new RegExp(`▸ ${parentPid} blocked 0x[0-9a-f]+ \\(waits for`));
      // Its threads: the one that will wait is running; none reads 'waits for N running'.
      text = await press('\r');
      assert.match(text, new RegExp(`└ thread ${parentPid} running \\(waits for ${pid}`));
      assert.doesNotMatch(text, /waits for \d+ running/);
      text = await press('\r', '\t', 'j');
      assert.match(text, new RegExp(`▸ ${parentPid} waits for ${pid} blocked 0x`));
      assert.match(text, new RegExp(`🔒 ${pid} HUNG (running|blocked)`));
      text = await press('G');
      assert.match(text, new RegExp(`🔒 ${pid} HUNG blocked 0x`));
      text = await press('t');
      assert.match(text, /\+\d+\.\d{6} /);
    } finally {
      app.unmount();
      index.dispose();
    }
  });

  test('space replays the timeline forward and stops at its end', async () => {
    const index = await loadedIndex(C_MUTEX);
    const { app, press, screen } = await openApp(index);
    try {
      await press('f', '\t', 'g');
      const start = /Timeline of \d+ (\d+)\/(\d+)/.exec(screen())!;
      await press('+', '+', '+', '+', ' ');
      assert.match(screen(), /▶ 200 rows\/s/);
      await new Promise((resolve) => setTimeout(resolve, 600));
      const text = screen();
      assert.match(text, /replay reached the end of this timeline/);
      assert.match(text, new RegExp(`${start[2]}/${start[2]}`));
    } finally {
      app.unmount();
      index.dispose();
    }
  });
});

describe('navigation', () => {
  test('a read of several keys is split into keys; escape sequences stay whole', () => {
    assert.deepEqual(
      splitKeys({ input: 'f\ta/1\r' }).map((k) => k.input),
      ['f', '\t', 'a', '/', '1', '\r'],
    );
    assert.equal(splitKeys({ input: 'f\ta' })[1]!.tab, true);
    assert.deepEqual(splitKeys({ input: '[A', upArrow: true }), [{ input: '[A', upArrow: true }]);
  });

  test('keys apply to the latest state, one after another, whatever the screen shows', async () => {
    const index = await loadedIndex(C_MUTEX);
    try {
      let state: NavState = initialState(index);
      const press = (...inputs: string[]) => {
        for (const input of inputs) state = applyKey(index, state, { input, tab: input === '\t', return: input === '\r' }, 10).state;
        return viewOf(index, state);
      };
      let view = press('f', '\t', 'a', 'g');
      assert.equal(state.focus, 'timeline');
      assert.equal(view.timelineCursor, 0);
      view = press(...'jjjjjjj');
      assert.equal(view.timelineCursor, 7);
      assert.equal(state.at, view.cursorRow!.at);
      view = press('/', ...String(index.analysis!.findings[0]!.pid), '\r');
      assert.match(view.selected!.id, new RegExp(`^p:t${index.analysis!.findings[0]!.pid}$`));
      assert.deepEqual(applyKey(index, state, { input: 'q' }, 10).effects, [{ kind: 'quit' }]);
    } finally {
      index.dispose();
    }
  });
});

test('tui without a terminal says so and points to analyze', () => {
  const run = runCli(['tui', SEED_002]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /tui needs a terminal .*forkscope analyze .*tst-fork1\.log/);
});

describe('other hangs in the TUI: a lock cycle, pipes held open', () => {
  const viewState = (index: TraceIndex) => openFirstFinding(index, initialState(index));
  const expected = (sample: string) => JSON.parse(readFileSync(repoPath('samples', sample, 'expected.json'), 'utf8'))['trace-f.log'];

  test('c-abba: the cycle in the findings pane, its process marked hung, h jumps to nothing the trace shows', async () => {
    const index = await loadedIndex(repoPath('samples/c-abba/trace-f.log'));
    const [cycle] = expected('c-abba').lockCycles;
    const { app, screen } = await openApp(index);
    try {
      const text = screen();
      assert.match(text, /Findings: 1 in a lock cycle/);
      assert.match(text, new RegExp(`🔒 ${cycle.pid} HUNG`));
      assert.ok(text.includes(`lock cycle in ${cycle.pid}: ${cycle.tids[0]} waits for ${cycle.futexes[0]}`), text);
      // h: no holder of these locks is in the trace (both were taken without contention).
      const moved = applyKey(index, viewState(index), { input: 'h' }, 10).state;
      assert.equal(moved.message, 'the trace does not show where a holder took the lock');
    } finally {
      app.unmount();
      index.dispose();
    }
  });

  test('c-pipe-held-open: both readers marked, n and N go from one to the other', async () => {
    const index = await loadedIndex(repoPath('samples/c-pipe-held-open/trace-f.log'));
    const [reader, sibling] = expected('c-pipe-held-open').heldPipes;
    const { app, screen, press } = await openApp(index);
    try {
      let text = screen();
      assert.match(text, /Findings: 2 blocked on a pipe held open/);
      assert.match(text, new RegExp(`📭 ${reader.pid} HUNG`));
      assert.match(text, new RegExp(`Timeline of ${reader.pid}`));
      assert.match(text, /\[BLOCKED FOREVER\] read\(3/);
      text = await press('n');
      assert.match(text, new RegExp(`Timeline of ${sibling.pid}`));
      assert.match(text, /\[WRITE END HELD; BLOCKED FOREV/);
      // N goes back; both wrap around.
      let state = viewState(index);
      const numbers = ['n', 'N', 'N', 'n'].map((key) => (state = applyKey(index, state, { input: key, shift: key === 'N' }, 10).state).findingNumber);
      assert.deepEqual(numbers, [1, 0, 1, 0]);
      assert.equal(state.selectedId?.includes(String(reader.pid)), true);
    } finally {
      app.unmount();
      index.dispose();
    }
  });
});

describe('tui: search, the detail line, and the tree while the trace is read', () => {
  test('/ finds a call in another process: it selects that process, cursor on the line', async () => {
    const index = await loadedIndex(C_MUTEX);
    const { app, press } = await openApp(index);
    try {
      const { pid, parentPid } = index.analysis!.findings[0] as InheritedLockFinding;
      let text = await press('/', 'w', 'a', 'i', 't', '4', '\r');
      // It opened on the hung child, whose timeline has no wait4: its parent's has.
      assert.match(text, new RegExp(`Timeline of ${parentPid} `));
      assert.match(text, new RegExp(`trace-f\\.log:66 \\[${parentPid}\\][\\s│║]*wait4\\(${pid},`));
      assert.match(text, new RegExp(`'wait4' found in the timeline of ${parentPid}`));
      // Again: no other wait4 anywhere, so the search comes back round to the same line.
      text = await press('/', '\r');
      assert.match(text, new RegExp(`trace-f\\.log:66 \\[${parentPid}\\][\\s│║]*wait4\\(${pid},`));
      text = await press('/', 'n', 'o', 'p', 'e', '\r');
      assert.match(text, /'nope' is in no timeline \(a: search all calls\)/);
    } finally {
      app.unmount();
      index.dispose();
    }
  });

  test('the cursor line is repeated whole in a narrow pane, on as many lines as it takes', async () => {
    const index = await loadedIndex(C_MUTEX);
    try {
      const parent = index.processOfPid((index.analysis!.findings[0] as InheritedLockFinding).parentPid!)!;
      const stream = index.streamOf(parent)!;
      const { file, line } = parent.children[0]!.forkedAt!;
      const fork = stream.rows('all', stream.find('all', file, line), 1)[0]!;
      // The timeline pane of an 80-column terminal has 43 columns inside its border.
      const lines = detailLines(index, fork, 43, 6);
      assert.ok(lines.every((line) => line.length <= 43));
      assert.equal(lines.join(' ').replace(/\s+/g, ''), `samples/c-mutex-held-at-fork/trace-f.log:64[12481]${fork.text.replace(/\s+/g, '')}--forkwhilethelockisheld`);
      // A call too long for the pane is cut, never its place or why it matters.
      const long = { ...fork, text: `write(1, "${'A'.repeat(5000)}", 5000) = 5000` };
      const cut = detailLines(index, long, 43, 6);
      assert.equal(cut.length, 6);
      assert.match(cut[0] ?? '', /^samples\/c-mutex-held-at-fork\/trace-f\.log:64/);
      assert.match(cut.join(' '), /A… -- fork while the lock is held$/);
    } finally {
      index.dispose();
    }
  });

  test('while the trace is read, a thread is listed under the process that cloned it, a forked child under its parent', async () => {
    // The C sample's first 68 lines: two CLONE_THREAD clone3 calls, then the fork, then the child's first call.
    const dir = mkdtempSync(join(tmpdir(), 'forkscope-tui-reading-'));
    const log = join(dir, 'growing.log');
    writeFileSync(log, readFileSync(C_MUTEX, 'utf8').split('\n').slice(0, 68).join('\n') + '\n');
    let done = false;
    const index = new TraceIndex(await resolveInputs([log]), { follow: { done: () => done } });
    const loaded = index.load();
    try {
      for (let waited = 0; waited < 10_000 && !index.processes().some((p) => p.pid === 12484); waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(index.analysis, null, 'still reading');
      const roots = index.roots();
      assert.deepEqual(roots.map((p) => p.pid), [12481]);
      assert.deepEqual(roots[0]!.threads.map((t) => t.tid), [12481, 12482, 12483]);
      assert.deepEqual(roots[0]!.children.map((p) => p.pid), [12484]);
      const { app, press, screen } = await openApp(index);
      try {
        const text = screen();
        assert.match(text, /^.2 processes/m);
        assert.match(text, /▸ 12481 /);
        assert.doesNotMatch(text, /^.\s+12482 /m, 'the threads are not listed as processes');
        // The root's threads are not merged before the trace is read: its first thread's timeline stands in.
        assert.match(await press('g'), /Timeline of 12481, thread 12481 only until the trace/);
      } finally {
        app.unmount();
      }
      const ids = index.processes().map((p) => p.id);
      done = true;
      await loaded;
      assert.deepEqual(index.processes().map((p) => p.id), ids, 'the processes keep their ids (and the selection) once the analysis is in');
    } finally {
      done = true;
      await loaded;
      index.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
