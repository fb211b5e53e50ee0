// Bytes of a traced program never reach a terminal unescaped. samples/c-terminal-escapes is a
// program that hangs after fork, run from an executable named `hang<OSC 0>` with arguments holding
// OSC 0 (window title), OSC 52 (clipboard), a raw 0x9b byte and U+009B (CSI), each opened as a
// file. It is recorded with `forkscope record`, examined live with `attach`, and its recorded logs
// (one with the raw bytes in the calls, one bpftrace CSV) read by `analyze`, `timeline` and the TUI,
// in tmux: what reaches stdout, stderr and the pane holds no ESC, BEL or C1 control of the
// program's, the pane's title is unchanged, and the escapes are shown as text (`\x1b]0;pwned\x07`).

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { terminalText } from '../src/views/terminal-text.js';
import { killMarked, marked, markedProcesses, startHung } from './helpers/live.js';
import { CLI, REPO, repoPath } from './helpers/repo.js';
import { TmuxSession } from './helpers/tmux.js';

const SAMPLE = 'samples/c-terminal-escapes';
const RAW_LOG = `${SAMPLE}/raw.log`;
const CSV = `${SAMPLE}/trace.csv`;
/** The program's hostile arguments, as a shell writes them (the raw 0x9b byte cannot be a JS string). */
const HOSTILE_ARGS = `"$(printf '\\033]0;pwned\\007')" "$(printf '\\033]52;c;cHduZWQ=\\007')" "$(printf '\\233')31m" "$(printf '\\302\\233')1;1H"`;

/**
 * What a terminal would be told to do by `bytes` beyond printing: every escape sequence in it, and
 * any BEL or C1 control. Fails on bytes that are not UTF-8 (a raw 0x9b is CSI to an 8-bit terminal).
 */
function controlsIn(bytes: Buffer): string[] {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  return text.match(/\x1b(\[[0-?]*[ -/]*[@-~]|.?)|[\x00-\x08\x0b-\x1f\x7f-\x9f]/gs) ?? [];
}

/** forkscope's own screen and colour control: CSI sequences only (SGR, cursor, erase, modes). */
const isCsi = (sequence: string) => /^\x1b\[[0-?]*[ -/]*[@-~]$/.test(sequence);

/** Runs a shell command line in its own process group, bounded, with stdout and stderr as bytes. */
function runShell(command: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<{ code: number | null; stdout: Buffer; stderr: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/bash', ['-c', command], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone
      }
      resolve({ code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) });
    });
  });
}

const forkscope = `'${process.execPath}' '${CLI}'`;

let scratch: string;
let program: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'forkscope-escapes-'));
  program = join(scratch, 'hang\x1b]0;pwned-exe\x07');
  execFileSync('gcc', ['-O0', '-pthread', '-o', program, repoPath(SAMPLE, 'terminal-escapes.c')]);
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('terminalText', () => {
  it('writes C0 controls, DEL, C1 controls and lone surrogates as visible escapes, newlines too unless kept', () => {
    assert.equal(terminalText('\x1b]0;pwned\x07'), '\\x1b]0;pwned\\x07');
    assert.equal(terminalText('\x00\x08\t\n\r\x1f\x7f'), '\\x00\\x08\\t\\n\\r\\x1f\\x7f');
    assert.equal(terminalText('\u0080\u009b31m\u009f'), '\\u0080\\u009b31m\\u009f');
    assert.equal(terminalText('a\ud800b\udc00'), 'a\\ud800b\\udc00');
    assert.equal(terminalText('two\nlines\x1b', { newlines: true }), 'two\nlines\\x1b');
  });

  it('leaves printable text alone: accents, CJK, emoji (a surrogate pair), U+00A0 and beyond', () => {
    const text = 'futex(0x2b79a1b1e2c0, FUTEX_WAIT_PRIVATE, 2) café 東京 🔒 \u00a0\u00ff \\x1b';
    assert.equal(terminalText(text), text);
  });
});

describe('trace readers and views: the raw bytes are shown, never sent', () => {
  const env = { ...process.env, NO_COLOR: '1' };
  for (const [what, args] of [
    ['analyze of the log with raw bytes (a warning quotes its bad line)', ['analyze', RAW_LOG]],
    ['timeline --all of the log with raw bytes', ['timeline', '--all', RAW_LOG]],
    ['analyze of the bpftrace CSV', ['analyze', CSV]],
    ['timeline of the bpftrace CSV (comm and execve file name raw)', ['timeline', CSV]],
  ] as const) {
    it(what, async () => {
      const run = await runShell(`${forkscope} ${args.join(' ')}`, env);
      assert.equal(run.code, 1, run.stderr.toString());
      assert.deepEqual(controlsIn(run.stdout), []);
      assert.deepEqual(controlsIn(run.stderr), []);
      const text = run.stdout.toString();
      if (args[0] === 'timeline') assert.match(text, /hang\\x1b\]0;pwned-exe\\x07/, 'the executable name, escaped');
      if ((args as readonly string[]).includes(RAW_LOG)) {
        assert.match(text, /\\x1b\]52;c;cHduZWQ=\\x07/);
        if (args[0] === 'analyze') assert.match(text, /not a strace line: this line is not strace's: \\x1b\]0;pwned-warning\\x07/);
      }
    });
  }

  it('--json stays exact: the same strings, JSON-escaped (C1 controls too)', async () => {
    const run = await runShell(`${forkscope} analyze --json ${RAW_LOG}`, env);
    assert.deepEqual(controlsIn(run.stdout), []);
    const document = JSON.parse(run.stdout.toString()) as { processes: { command: string | null }[]; warnings: { message: string }[] };
    const raw = readFileSync(repoPath(RAW_LOG), 'utf8');
    const command = document.processes[0]!.command!;
    assert.ok(command.includes('\x1b]0;pwned\x07 \x1b]52;c;cHduZWQ=\x07'), command);
    assert.ok(command.includes('\u009b1;1H'));
    assert.ok(document.warnings.some((w) => raw.includes(w.message.replace(/^not a strace line: /, ''))), 'the bad line, byte for byte');
  });
});

describe('live programs: record and attach', () => {
  const { mark, env } = marked();
  afterEach(() => assert.deepEqual(killMarked(mark), [], 'nothing is left running'));

  it('record under strace: its stderr lines and its report show the escapes, the hang is found', async () => {
    const dir = join(scratch, 'record');
    const run = await runShell(`${forkscope} record --hang-timeout 2 -o '${dir}' -- '${program}' ${HOSTILE_ARGS}`, env);
    assert.equal(run.code, 1, run.stderr.toString());
    assert.deepEqual(controlsIn(run.stdout), []);
    assert.deepEqual(controlsIn(run.stderr), []);
    const stderr = run.stderr.toString();
    assert.match(stderr, /^forkscope: recording .*hang\\x1b\]0;pwned-exe\\x07 \\x1b\]0;pwned\\x07 \\x1b\]52;c;cHduZWQ=\\x07 \uFFFD31m \\u009b1;1H \(pid/m);
    // The trace names the lock in the program, whose path strace printed with its escapes as text.
    assert.match(run.stdout.toString(), /^HUNG {2}\d+ \(child of \d+\) blocked forever on `lock` \(\/.*hang\\33\]0;pwned-exe\\7\+0x0\), held by \d+(?: \(sleeping in clock_nanosleep at the fork\))? when \d+ forked it \(confirmed\)/m);
    // /proc's part of the report names the lock in the program's binary, by its path.
    assert.match(run.stdout.toString(), /\(\/.*hang\\x1b\]0;pwned-exe\\x07\), its\s+__owner \d+/);
  });

  it('attach: the thread table and report from /proc cmdline and exe, raw 0x9b byte included; --json exact', async () => {
    const hung = await startHung(['/bin/bash', '-c', `exec '${program}' ${HOSTILE_ARGS}`], env);
    try {
      await examine(hung.pid!);
    } finally {
      killMarked(mark);
      // SIGKILL is not instant: let the killed tree go before afterEach looks for what is left.
      for (let waited = 0; waited < 5000 && markedProcesses(mark).length > 0; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  async function examine(pid: number) {
    const run = await runShell(`${forkscope} attach ${pid}`, env);
    assert.equal(run.code, 1, run.stderr.toString());
    assert.deepEqual(controlsIn(run.stdout), []);
    assert.deepEqual(controlsIn(run.stderr), []);
    const text = run.stdout.toString();
    assert.match(text, new RegExp(`^  ${pid} \\(parent \\d+\\) .*hang\\\\x1b\\]0;pwned-exe\\\\x07 \\\\x1b\\]0;pwned\\\\x07 \\\\x1b\\]52;c;cHduZWQ=\\\\x07 \uFFFD31m \\\\u009b1;1H$`, 'm'));
    assert.match(text, /= lock\+0x0 \(.*hang\\x1b\]0;pwned-exe\\x07\)/);
    const json = await runShell(`${forkscope} attach --json ${pid}`, env);
    assert.deepEqual(controlsIn(json.stdout), []);
    const document = JSON.parse(json.stdout.toString()) as { findings: { explanation: string }[] };
    assert.match(document.findings[0]!.explanation, /hang\x1b\]0;pwned-exe\x07/, 'JSON keeps the bytes');
  }
});

describe('in a terminal (tmux): the pane title stays, the pane receives no escape of the program', () => {
  const { mark } = marked();
  afterEach(async () => {
    for (let waited = 0; waited < 5000 && markedProcesses(mark).length > 0; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(killMarked(mark), [], 'nothing is left running');
  });

  /**
   * Runs `command` in a tmux pane, every byte it writes to the pane copied to a file (pipe-pane,
   * set up before the command starts: it waits for a key), with colour (no NO_COLOR).
   */
  function inPane(name: string, command: string, columns = 120, rows = 36) {
    const bytes = join(scratch, `${name}.pane`);
    const env = Object.entries({ FORKSCOPE_TEST_MARK: mark, NO_COLOR: '' }).map(([k, v]) => `${k}='${v}'`).join(' ');
    const pane = new TmuxSession(`cd '${REPO}'; read go; export ${env}; unset NO_COLOR; ${command}; echo "forkscope exited $?"; sleep 60`, columns, rows);
    const title = () => execFileSync('tmux', ['display', '-p', '-t', pane.name, '#{pane_title}'], { encoding: 'utf8' }).trim();
    const titleBefore = title();
    execFileSync('tmux', ['pipe-pane', '-o', '-t', pane.name, `cat > '${bytes}'`]);
    pane.keys('Enter');
    return {
      pane,
      check: () => {
        assert.equal(title(), titleBefore, 'the pane title did not change');
        const controls = controlsIn(readFileSync(bytes));
        // (the terminal's own line discipline turns each newline into \r\n)
        assert.deepEqual(controls.filter((c) => !isCsi(c) && c !== '\r'), [], 'no OSC, BEL, C1 or other control reached the pane');
        assert.doesNotMatch(pane.screen(true).replace(/\x1b\[[0-9;]*m/g, ''), /[\x00-\x09\x0b-\x1f\x7f-\x9f]/, 'the screen holds only SGR colours');
      },
    };
  }

  it('analyze and timeline, coloured on a terminal', async () => {
    const { pane, check } = inPane('reports', `${forkscope} analyze ${RAW_LOG} | tail -3; ${forkscope} timeline ${CSV} | head -3`);
    try {
      const screen = await pane.waitFor(/forkscope exited/, 60_000);
      assert.match(screen, /this line is not strace's: \\x1b\]0;pwned-warning\\x07/);
      assert.match(screen, /started pid \d+; threads .*; .*hang\\x1b\]0;pwned-exe\\x07/);
      check();
    } finally {
      pane.kill();
    }
  });

  it('tui on the log with raw bytes: the tree, the timeline, its detail line and the status line show them escaped', async () => {
    const { pane, check } = inPane('tui', `${forkscope} tui ${RAW_LOG}`);
    try {
      await pane.waitFor(/🔒 \d+ HUNG/, 60_000);
      // All calls of the root process, a search for the OSC 52 argument: found in execve's argv
      // (the cursor's row, repeated whole under the list), then, searched again, in the file opened.
      pane.keys('g', 'a', '/', 'c', 'H', 'd', 'u', 'Z', 'W', 'Q', 'Enter');
      let screen = await pane.waitFor(/raw\.log:1 \[\d+\]/, 30_000);
      assert.match(screen, /execve\("\/.*hang\\x1b\]0;pwned-exe\\x07",/);
      assert.match(screen, /hang\\x1b\]0;pwne"\.\.\., "\\x1b\]0;pwned\\x07"/, 'its argv, in the detail line');
      pane.keys('/', 'Enter');
      screen = await pane.waitFor(/openat\(AT_FDCWD, "\\x1b\]52;c;cHduZWQ=\\x07"/, 30_000);
      assert.match(screen, /1 unreadable line\b/);
      pane.keys('q');
      await pane.waitFor(/forkscope exited 0/, 30_000);
      check();
    } finally {
      pane.kill();
    }
  });

  it('record --tui: the title (its argv) in the status line, the recorder\'s messages after q', async () => {
    const dir = join(scratch, 'record-tui');
    const { pane, check } = inPane('record-tui', `${forkscope} record --tui --hang-timeout 2 -o '${dir}' -- '${program}' ${HOSTILE_ARGS}`, 200, 100);
    try {
      // Both on one screen: a capture can catch a frame half drawn, the status line not yet there.
      await pane.waitFor(/^(?=[\s\S]*\[BLOCKED FOREVER\] futex\(0x)(?=[\s\S]*hang\\x1b\]0;pwned-exe\\x07)/, 60_000);
      pane.keys('q');
      const screen = await pane.waitFor(/forkscope exited 1/, 60_000);
      assert.match(screen, /^forkscope: \/.*hang\\x1b\]0;pwned-exe\\x07 killed by SIGKILL/m);
      check();
    } finally {
      pane.kill();
    }
  });
});

// Keep the byte-level helper honest: it does see what it must refuse.
describe('controlsIn', () => {
  it('finds OSC, BEL and C1, and rejects a raw 0x9b byte', () => {
    assert.deepEqual(controlsIn(Buffer.from('a\x1b]0;x\x07b\x1b[31mc\u009b')).filter((c) => !isCsi(c)), ['\x1b]', '\x07', '\u009b']);
    assert.throws(() => controlsIn(Buffer.from([0x61, 0x9b, 0x62])));
  });
});
