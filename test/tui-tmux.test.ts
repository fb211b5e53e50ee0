// `forkscope tui` in a real terminal (tmux), as a person uses it: start it on a recorded trace,
// press keys, read the screen; resize it; quit with q, Ctrl-C or a signal and check the terminal
// is as it was (stty settings, main screen back).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { buildSample, killMarked, marked, markedProcesses, startHung, unnamedFilesUnder } from './helpers/live.js';
import { CLI, REPO } from './helpers/repo.js';
import { TmuxSession } from './helpers/tmux.js';

const SEED_002 = 'samples/plash-tst-fork1/tst-fork1.log';
const C_MUTEX = 'samples/c-mutex-held-at-fork/trace-f.log';

let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'forkscope-tui-tmux-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * A session running the TUI: it saves the terminal's settings before and after, prints the exit
 * code, and stays open so the test can read what is left on the screen.
 */
function openTui(trace: string, columns: number, rows: number, env: Record<string, string> = {}): { tui: TmuxSession; sttyChanged: () => boolean } {
  return openForkscope(['tui', trace], columns, rows, env);
}

function openForkscope(
  args: string[],
  columns: number,
  rows: number,
  env: Record<string, string> = {},
  cwd = REPO,
): { tui: TmuxSession; sttyChanged: () => boolean } {
  const before = join(scratch, `stty-before-${columns}-${rows}-${Date.now()}`);
  const after = `${before}-after`;
  const environment = Object.entries(env).map(([k, v]) => `'${k}=${v}'`).join(' ');
  const command =
    `cd '${cwd}'; stty -g > '${before}'; env ${environment} '${process.execPath}' '${CLI}' ${args.map((a) => `'${a}'`).join(' ')}; ` +
    `code=$?; stty -g > '${after}'; echo "forkscope exited $code"; sleep 60`;
  const tui = new TmuxSession(command, columns, rows);
  return { tui, sttyChanged: () => readFileSync(before, 'utf8') !== readFileSync(after, 'utf8') };
}

const lines = (screen: string) => screen.split('\n').filter((line) => line !== '');

describe('forkscope tui in tmux', () => {
  test('seed 002 at 100x30: the hung child is highlighted in red with its lock, the finding reads as one sentence; keys work; q restores the terminal', async () => {
    const { tui, sttyChanged } = openTui(SEED_002, 100, 30);
    try {
      // It opens on the first finding once the analysis is done.
      let screen = await tui.waitFor(/Timeline of 18972/);
      assert.match(screen, /🔒 18972 HUNG blocked 0x2b79a1b1e2c0/);
      assert.match(screen, /HUNG 18972 \(child of 18969\) blocked forever on futex 0x2b79a1b1e2c0, held by 18970 when 18969/);
      assert.match(screen, /L74 18972 \[BLOCKED FOREVER\] futex\(0x2b79a1b1e2c0/);
      assert.match(screen, /threads 18970,18969 waits for 18972/);
      // Red, as SGR 31 (the colour tmux reports for Ink's red).
      assert.match(tui.screen(true), /\x1b\[[0-9;]*31m[^\n]*18972 HUNG/);
      tui.keys('f');
      screen = await tui.waitFor(/\[FORK WHILE HELD\] clone\(/);
      assert.match(screen, /Timeline of threads 18970,18969/);
      tui.keys('h');
      await tui.waitFor(/tst-fork1\.log:8 \[18970\]/);
      tui.keys('?');
      await tui.waitFor(/jump to where the holder took the lock/);
      // (tmux holds a lone Escape for its escape-time, so wait for it to land before the next key)
      tui.keys('Escape');
      await tui.waitFor(/3 processes \(unordered log/);
      tui.keys('/', '1', '8', '9', '7', '3', 'Enter');
      await tui.waitFor(/Timeline of 18973/);
      tui.keys('q');
      screen = await tui.waitFor(/forkscope exited \d+/);
      assert.match(screen, /forkscope exited 0/);
      assert.doesNotMatch(screen, /Findings/, 'the alternate screen is gone');
      assert.equal(sttyChanged(), false, 'the terminal settings are restored');
    } finally {
      tui.kill();
    }
  });

  test('80x24 fits the screen, with NO_COLOR no colour; a resize redraws at the new size', async () => {
    const { tui } = openTui(C_MUTEX, 80, 24, { NO_COLOR: '1' });
    try {
      const screen = await tui.waitFor(/🔒 \d+ HUNG/);
      const shown = lines(screen);
      assert.ok(shown.length <= 24);
      assert.ok(shown.every((line) => [...line].length <= 80), 'no line is wider than the terminal');
      assert.match(shown[0]!, /^╔═+╗┌─+┐$/);
      assert.match(shown.at(-1)!, /^at .* \| 1 hung \| 2 processes/);
      assert.doesNotMatch(tui.screen(true), /\x1b\[[0-9;]*3[1-7]m/, 'no colour with NO_COLOR');
      // The fork's line, cut in the 45-column timeline, is repeated whole under it.
      tui.keys('f');
      const forked = lines(await tui.waitFor(/-- fork while the lock is held/));
      const timelinePane = forked.map((line) => /^[║│][^║│]*[║│][║│](.*)[║│]$/.exec(line)?.[1] ?? '').join('').replace(/\s+/g, '');
      assert.ok(
        timelinePane.includes('[12481]clone(child_stack=NULL,flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD,child_tidptr=0x7feeff22da10)=12484--forkwhilethelockisheld'),
        forked.join('\n'),
      );
      assert.match(forked.join('\n'), /🔒 12484 forked \(hangs later\)/);
      tui.resize(120, 40);
      const wide = lines(await tui.waitFor(/^╔═{40,}╗┌─{60,}┐$/m));
      assert.equal([...wide[0]!].length, 120);
    } finally {
      tui.kill();
    }
  });

  for (const [how, stop, code] of [
    ['Ctrl-C', (tui: TmuxSession) => tui.keys('C-c'), 0],
    ['SIGTERM', (tui: TmuxSession) => execFileSync('pkill', ['-TERM', '-P', String(tui.panePid()), 'node']), 143],
    ['SIGINT sent with kill', (tui: TmuxSession) => execFileSync('pkill', ['-INT', '-P', String(tui.panePid()), 'node']), 130],
  ] as const) {
    test(`${how} leaves the terminal as it was, and no temporary files`, async () => {
      const temporary = mkdtempSync(join(scratch, 'tmp-'));
      const { tui, sttyChanged } = openTui(SEED_002, 100, 30, { TMPDIR: temporary });
      try {
        await tui.waitFor(/🔒 18972 HUNG/);
        const node = Number(execFileSync('pgrep', ['-P', String(tui.panePid()), 'node'], { encoding: 'utf8' }).trim().split('\n')[0]);
        assert.equal(unnamedFilesUnder(node, temporary).length, 1, 'the row store is open while it runs, with no name');
        assert.deepEqual(readdirSync(temporary), [], 'nothing of it on disk');
        stop(tui);
        const screen = await tui.waitFor(/forkscope exited \d+/);
        assert.match(screen, new RegExp(`forkscope exited ${code}`));
        assert.equal(sttyChanged(), false);
        assert.equal(tui.alternateScreen(), false, 'the alternate screen is left');
        assert.deepEqual(readdirSync(temporary), [], 'nothing left');
      } finally {
        tui.kill();
      }
    });
  }
});

describe('forkscope record --tui and attach --tui in tmux', () => {
  const { mark, env } = marked();
  let program: string;
  before(() => {
    program = buildSample('c-mutex-held-at-fork', scratch);
  });
  // Once its session is gone, forkscope (hung up) kills what it recorded on its way out.
  afterEach(async () => {
    for (let waited = 0; waited < 5000 && markedProcesses(mark).length > 0; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(killMarked(mark), [], 'nothing recorded is left running');
  });

  for (const backend of ['strace', 'bpftrace']) {
    test(`${backend}: shows the recording live, then the watchdog's verdict and the hung child; q prints the report`, async () => {
      const dir = join(scratch, `live-${backend}`);
      const { tui, sttyChanged } = openForkscope(['record', '--tui', '--backend', backend, '--hang-timeout', '2', '-o', dir, '--', program], 110, 32, {
        FORKSCOPE_TEST_MARK: mark,
      });
      try {
        // bpftrace compiles its program first: 20 s and more on a loaded machine.
        await tui.waitFor(/recording live: [\d.]+ MB, \d+ events/, 60_000);
        // Once the recording is over and analyzed, it opens on the finding.
        // All on one screen: a capture can catch a frame half drawn.
        let screen = await tui.waitFor(
          /^(?=[\s\S]*\[BLOCKED FOREVER\] futex\(0x)(?=[\s\S]*Findings: 1 hung on an inherited lock)(?=[\s\S]*🔒 \d+ HUNG)(?=[\s\S]*watchdog: hang \(no progress for 2 s\))/,
          30_000,
        );
        tui.keys('q');
        screen = await tui.waitFor(/forkscope exited \d+/, 30_000);
        assert.match(screen, /forkscope exited 1/);
        assert.match(screen, /^Tree: 2 processes, \d threads; hung: \d+/m, 'the report is printed on the main screen');
        assert.equal(sttyChanged(), false);
        assert.equal(readFileSync(join(dir, 'output.log'), 'utf8'), '', 'the program wrote nothing, and not on the screen');
      } finally {
        tui.kill();
      }
    });
  }

  test('quitting while it records stops the traced tree', async () => {
    const { tui } = openForkscope(['record', '--tui', '-o', join(scratch, 'live-quit'), '--', '/bin/sleep', '600'], 100, 30, { FORKSCOPE_TEST_MARK: mark });
    try {
      await tui.waitFor(/recording live/);
      tui.keys('q');
      const screen = await tui.waitFor(/forkscope exited \d+/, 30_000);
      assert.match(screen, /forkscope exited 137/);
      assert.match(screen, /the TUI was closed: stopping the traced tree/);
    } finally {
      tui.kill();
      assert.deepEqual(killMarked(mark), [], 'nothing recorded is left running');
    }
  });

  test('SIGTERM while it records: the TUI closes and says so, the recording finishes: meta.json gets its end, the report is printed, exit 143', async () => {
    const dir = join(scratch, 'live-sigterm');
    const { tui, sttyChanged } = openForkscope(['record', '--tui', '-o', dir, '--', '/bin/sleep', '600'], 100, 30, { FORKSCOPE_TEST_MARK: mark });
    try {
      await tui.waitFor(/recording live/, 30_000);
      execFileSync('pkill', ['-TERM', '-P', String(tui.panePid()), 'node']);
      const screen = await tui.waitFor(/forkscope exited \d+/, 30_000);
      assert.match(screen, /forkscope exited 143/);
      assert.match(screen, /forkscope: SIGTERM: stopping the traced tree and analyzing what was recorded/);
      assert.match(screen, /^forkscope: no hang found /m, 'the report is printed');
      assert.equal(tui.alternateScreen(), false);
      assert.equal(sttyChanged(), false);
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
      assert.notEqual(meta.end, null);
      assert.equal(meta.stoppedBy, 'signal SIGTERM');
      assert.deepEqual(meta.target.exit, { signal: 'SIGKILL' });
    } finally {
      tui.kill();
    }
  });

  test('attach --tui: /proc names the lock at once (its exited holder it cannot name: TIDs are reused), the watch shows the blocked calls, then the finding; the tree is left as it was; the watch log is kept', async () => {
    const hung = await startHung([program], env);
    const cwd = mkdtempSync(join(scratch, 'attach-'));
    const { tui, sttyChanged } = openForkscope(['attach', String(hung.pid), '--tui', '--duration', '2'], 160, 60, {}, cwd);
    try {
      let screen = await tui.waitFor(/\/proc: \d+ \(child of \d+\) blocked forever on `lock` \(\/.*\+0x0\), held by a thread \/proc cannot name when/);
      screen = await tui.waitFor(/Findings: 1 hung on an inherited lock/, 20_000);
      screen = await tui.waitFor(/\[BLOCKED FOREVER\] futex\(0x/);
      assert.match(screen, /🔒 \d+ HUNG blocked 0x/);
      assert.match(screen, /Watched [\d.]+ s with strace -p: no system call completed/);
      tui.keys('q');
      screen = await tui.waitFor(/forkscope exited \d+/);
      assert.match(screen, /forkscope exited 1/);
      assert.equal(sttyChanged(), false);
      // The watch's log outlives the command, where it says, and the report's evidence cites its lines.
      const log = readdirSync(cwd)[0] ?? '(none)';
      assert.match(log, new RegExp(`^forkscope-attach-${hung.pid}-\\d{8}T\\d{9}Z\\.strace$`));
      assert.match(screen, new RegExp(`forkscope: watching ${hung.pid} with strace -p for 2 s \\(q stops\\), into ${log} \\(kept`));
      const blocked = new RegExp(`^ +${log.replace(/\./g, '\\.')}:(\\d+) +\\d+ +futex\\(0x[0-9a-f]+, FUTEX_WAIT_PRIVATE`, 'm').exec(screen);
      assert.ok(blocked, `the report cites the kept log:\n${screen}`);
      assert.match(readFileSync(join(cwd, log), 'utf8').split('\n')[Number(blocked[1]) - 1] ?? '', /futex\(0x[0-9a-f]+, FUTEX_WAIT_PRIVATE/);
      // attach is read-only: the hung tree is still there, and not left stopped.
      const states = markedProcesses(mark).map((pid) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0]);
      assert.ok(states.length >= 2 && states.every((state) => state === 'S'), `states: ${states}`);
    } finally {
      tui.kill();
      killMarked(mark);
    }
  });
});
