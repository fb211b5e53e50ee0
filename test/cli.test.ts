// The command line's conventions: usage errors in one line with a pointer to the help, helps that
// end with examples and exit codes, counts in words, a directory of several traces said aloud, and
// a reader that goes away (`| head -1`) not changing the exit code.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, REPO, repoPath, runCli } from './helpers/repo.js';

const COMMANDS = ['analyze', 'timeline', 'export', 'events', 'record', 'attach', 'tui'];

describe('usage errors', () => {
  it('an unknown command: one line with the closest command, then where the help is; exit 2', () => {
    const run = runCli(['analyz', 'trace.log']);
    assert.equal(run.status, 2);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, "forkscope: unknown command 'analyz' (did you mean analyze?)\ntry 'forkscope --help'\n");
  });

  it("a missing argument or unknown option names the command's help, without printing it", () => {
    assert.deepEqual(runCli(['analyze']), {
      status: 2,
      stdout: '',
      stderr: "forkscope: missing required argument 'trace'\ntry 'forkscope analyze --help'\n",
    });
    const option = runCli(['timeline', '--pdi', '3', 'x.log']);
    assert.equal(option.status, 2);
    assert.equal(option.stderr, "forkscope: unknown option '--pdi' (did you mean --pid?)\ntry 'forkscope timeline --help'\n");
  });
});

describe('help', () => {
  for (const command of ['', ...COMMANDS]) {
    it(`forkscope ${command || ''} --help ends with examples and the exit codes`.replace('  ', ' '), () => {
      const run = runCli([...(command ? [command] : []), '--help']);
      assert.equal(run.status, 0);
      const examples = run.stdout.indexOf('\nExamples:\n  $ ');
      const codes = run.stdout.indexOf('\nExit codes:\n');
      assert.ok(examples > 0 && codes > examples, run.stdout);
      if (command !== 'tui') assert.match(run.stdout.slice(codes), /^ {2}1 +a hang was found/m);
      assert.match(run.stdout.slice(codes), /^ {2}2 +(error|forkscope failed)/m);
    });
  }
});

describe('words and joined calls', () => {
  it('counts one process and one thread in the singular (strace -f /bin/true)', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'forkscope-true-'));
    try {
      execFileSync('strace', ['-f', '-o', join(scratch, 'true.log'), '/bin/true']);
      const run = runCli(['analyze', join(scratch, 'true.log')]);
      assert.equal(run.status, 0);
      assert.match(run.stdout, /^Tree: 1 process, 1 thread; ended: \d+ exited 0$/m);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('joins a clone cut before child_tidptr without a stray space, and shows an unfinished wait4 closed', () => {
    const run = runCli(['timeline', '--all', 'samples/c-mutex-atfork/trace-f.log']);
    assert.match(run.stdout, /\|SIGCHLD, child_tidptr=0x/);
    assert.doesNotMatch(run.stdout, / ,/);
    const hung = runCli(['analyze', 'samples/c-mutex-held-at-fork/trace-f.log']);
    assert.match(hung.stdout, / wait4\(12484, <unfinished \.\.\.>\)$/m);
  });
});

describe('a directory holding several traces', () => {
  it('says it read the -ff set and not the -f log beside it', () => {
    const run = runCli(['analyze', 'samples/c-mutex-held-at-fork/ff']);
    assert.equal(run.status, 1);
    const scratch = mkdtempSync(join(tmpdir(), 'forkscope-dir-'));
    try {
      for (const name of ['trace.12489', 'trace.12490', 'trace.12491', 'trace.12492']) {
        writeFileSync(join(scratch, name), readFileSync(repoPath('samples/c-mutex-held-at-fork/ff', name)));
      }
      writeFileSync(join(scratch, 'trace-f.log'), readFileSync(repoPath('samples/c-mutex-held-at-fork/trace-f.log')));
      const mixed = runCli(['analyze', scratch]);
      assert.equal(mixed.status, 1);
      assert.equal(mixed.stderr, `forkscope: ${scratch}: read trace.* (4 strace -ff files); not read: trace-f.log (name a file to read it instead)\n`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('a reader that goes away', () => {
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'forkscope-pipe-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  /** Runs forkscope ARGS with stdout read up to its first line and then closed, as `| head -1` does. */
  const firstLineThenClose = (args: string[]) =>
    new Promise<{ code: number | null; first: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, NO_COLOR: '1' } });
      let first = '';
      child.stdout.on('data', (chunk: Buffer) => {
        if (first.includes('\n')) return;
        first += chunk.toString();
        if (first.includes('\n')) child.stdout.destroy();
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, first: first.split('\n')[0] ?? '' });
      });
    });

  it('timeline --all | head -1 exits with the analysis code (1: hang found), not 13', async () => {
    const { code, first } = await firstLineThenClose(['timeline', '--all', 'samples/python-lock-fork/trace-f.log']);
    assert.match(first, /^\d+: /);
    assert.equal(code, 1);
  });

  it('analyze --json of a report larger than a pipe | head -1 exits 1', async () => {
    const log = join(scratch, 'noisy.log');
    const garbage = Array.from({ length: 3000 }, (_, i) => `not a strace line ${i}\n`).join('');
    writeFileSync(log, readFileSync(repoPath('samples/c-mutex-held-at-fork/trace-f.log'), 'utf8') + garbage);
    const { code, first } = await firstLineThenClose(['analyze', '--json', log]);
    assert.equal(first, '{');
    assert.equal(code, 1);
  });
});
