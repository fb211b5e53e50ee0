// `forkscope record` writes its directory as root without a planted link redirecting a write: a
// directory of another user, or one others may write, is refused, as is `-o` naming a link; files
// are created through the directory forkscope holds open, so swapping the directory's path for
// one full of links during the recording redirects nothing. A program that cannot start leaves no
// directory, and two recordings started in the same second get different default directories.

import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { forkscope, killMarked, marked } from './helpers/live.js';
import { CLI } from './helpers/repo.js';

const NOBODY = 65534;
const VICTIM_TEXT = 'root-owned file that must not change\n';

describe('forkscope record: the output directory', () => {
  let work: string;
  let victim: string;
  const { mark, env } = marked();
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'forkscope-files-'));
    // A file only root may write, that a planted link points at.
    const vault = join(work, 'vault');
    mkdirSync(vault, { mode: 0o700 });
    victim = join(vault, 'victim');
    writeFileSync(victim, VICTIM_TEXT, { mode: 0o600 });
  });
  afterEach(() => {
    assert.deepEqual(killMarked(mark), [], 'no process of the recording is left running');
    assert.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT, 'the root-owned file is unchanged');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const record = (dir: string, ...command: string[]) => forkscope(['record', '-o', dir, '--', ...command], env);

  it('refuses a directory that belongs to another user, and writes nothing in it', async () => {
    const theirs = join(work, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, NOBODY, NOBODY);
    const run = await record(theirs, '/bin/true');
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`forkscope: ${theirs} belongs to uid ${NOBODY}, not to you \\(uid 0\\)`));
    assert.deepEqual(readdirSync(theirs), []);
  });

  it('refuses a directory of its own that others may write', async () => {
    const open = join(work, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const run = await record(open, '/bin/true');
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /is writable by others \(mode 777\)/);
    assert.deepEqual(readdirSync(open), []);
  });

  it('refuses -o naming a symbolic link, even to an empty directory of its own', async () => {
    const real = join(work, 'real');
    mkdirSync(real, { mode: 0o700 });
    const link = join(work, 'link');
    symlinkSync(real, link);
    const run = await record(link, '/bin/true');
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /is a symbolic link: give the directory itself/);
    assert.deepEqual(readdirSync(real), []);
    assert.ok(lstatSync(link).isSymbolicLink());
  });

  it('refuses a directory with a link planted at meta.json before the recording', async () => {
    const planted = join(work, 'planted-before');
    mkdirSync(planted, { mode: 0o700 });
    symlinkSync(victim, join(planted, 'meta.json'));
    const run = await record(planted, '/bin/true');
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /is not empty/);
  });

  it('writes through the directory it holds when its path is swapped for a directory of links during the recording', async () => {
    // The parent belongs to another user, who may rename what is in it.
    const parent = join(work, 'parent');
    mkdirSync(parent, { mode: 0o755 });
    chownSync(parent, NOBODY, NOBODY);
    const dir = join(parent, 'rec');
    const cli = spawn(process.execPath, [CLI, 'record', '-o', dir, '--', '/bin/sleep', '2'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    cli.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => cli.on('close', resolve));
    try {
      for (let waited = 0; !/recording/.test(stderr); waited += 50) {
        assert.ok(waited < 20_000, `the recording did not start: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // What the other user could do: move forkscope's directory away and put theirs in its place,
      // with every file forkscope writes planted as a link to root's file.
      renameSync(dir, join(parent, 'rec-moved'));
      mkdirSync(dir, { mode: 0o755 });
      for (const name of ['meta.json', 'proc-snapshot.json', 'trace.strace', 'output.log']) symlinkSync(victim, join(dir, name));
      chownSync(dir, NOBODY, NOBODY);
      const code = await closed;
      // It reads the trace back by its name, which now leads to the planted links: it fails cleanly, or reports.
      assert.ok(code === 0 || code === 2, `exit ${code}: ${stderr}`);
      const meta = JSON.parse(readFileSync(join(parent, 'rec-moved', 'meta.json'), 'utf8'));
      assert.notEqual(meta.end, null, 'meta.json got its end in the directory forkscope created');
      assert.ok(lstatSync(join(dir, 'meta.json')).isSymbolicLink(), 'the planted link is left as it was');
    } finally {
      try {
        process.kill(-cli.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('a program that cannot start leaves no directory behind', async () => {
    const cwd = mkdtempSync(join(work, 'cwd-'));
    const notExecutable = join(cwd, 'script');
    writeFileSync(notExecutable, '#!/bin/sh\n', { mode: 0o644 });
    for (const command of [join(cwd, 'missing'), notExecutable, '/tmp', 'no-such-command-here']) {
      const given = join(work, 'never');
      const run = await record(given, command);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /not found|not an executable file/);
      assert.ok(!existsSync(given), `${command}: ${given} was left behind`);
      const byDefault = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [CLI, 'record', '--', command], { cwd, env, stdio: 'ignore' });
        child.on('close', resolve);
      });
      assert.equal(byDefault, 2);
      assert.deepEqual(readdirSync(cwd), ['script'], `${command}: a default directory was left behind`);
    }
  });

  it('two recordings started in the same second get different default directories', async () => {
    const cwd = mkdtempSync(join(work, 'same-second-'));
    const runs = Array.from({ length: 3 }, () => new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'record', '--', '/bin/true'], { cwd, env, stdio: 'ignore' });
      child.on('close', resolve);
    }));
    assert.deepEqual(await Promise.all(runs), [0, 0, 0]);
    const dirs = readdirSync(cwd);
    assert.equal(dirs.length, 3, dirs.join(' '));
    for (const dir of dirs) {
      assert.match(dir, /^forkscope-true-\d{8}-\d{6}-[A-Za-z0-9]{6}$/);
      assert.equal(lstatSync(join(cwd, dir)).mode & 0o777, 0o700);
      assert.ok(existsSync(join(cwd, dir, 'meta.json')));
    }
  });
});
