// The TUI's model and components, rendered with ink-testing-library (100 columns, 24 rows) on
// recorded traces: what a person sees, and what each key does to it. tui-tmux.test.ts drives the
// real command in a terminal.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { resolveInputs } from '../parsers/index.js';
import { App } from '../src/tui/App.js';
import { applyKey, initialState, splitKeys, viewOf } from '../src/tui/navigation.js';
import type { NavState } from '../src/tui/navigation.js';
import { MergedTimeline, RowStore, decodeRow, encodeRow } from '../src/tui/row-store.js';
import type { TimelineRow } from '../src/tui/row-store.js';
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
  await settle();
  const press = async (...keys: string[]) => {
    for (const key of keys) {
      app.stdin.write(key);
      await settle();
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

  test('rows survive their encoding, tabs, newlines and backslashes in text included', () => {
    const odd = { ...row(7, true), text: 'write(1, "a\\tb\\n", 5)\tx\ny\\', time: '10:00:00.000001', waits: 'futex 0x1', exit: null, end: null };
    assert.deepEqual(decodeRow(encodeRow(odd)), odd);
    assert.doesNotMatch(encodeRow(odd), /\n/);
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
      assert.equal(end.detail, `futex ${index.analysis!.findings[0]!.futex}`);
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
      assert.match(text, /'nope' is not in this timeline/);
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
      // Findings pane: down to the first evidence line (the WAKE that handed the lock over), Enter.
      text = await press('\t', '\t', 'j', 'j', '\r');
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
  test('the tree follows the cursor time: the child is not started before the fork, blocked after', async () => {
    const index = await loadedIndex(C_MUTEX);
    const { app, press } = await openApp(index);
    try {
      const pid = index.analysis!.findings[0]!.pid;
      let text = await press('f');
      assert.match(text, new RegExp(`🔒 ${pid} HUNG not started`));
      text = await press('\t', 'j');
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
