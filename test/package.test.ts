// The package as a user gets it: the repository's files copied as a fresh clone has them (no dist/),
// `npm pack` there (its prepack builds), the tarball installed with `npm install -g --prefix` into
// a temporary prefix (from npm's cache: CI's `npm ci` filled it), and the installed `forkscope` run
// on a sample, asked its version, and made to find its bpftrace program.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, repoPath } from './helpers/repo.js';

const { version } = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string };

describe('npm package', () => {
  let work: string;
  let packed: string[];
  let bin: string;
  const run = (args: string[]) =>
    spawnSync(bin, args, { cwd: REPO, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'forkscope-package-'));
    // A fresh clone's files (tracked and new, not ignored: no dist/, no node_modules/).
    const clone = join(work, 'clone');
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f !== '' && existsSync(join(REPO, f)));
    for (const file of files) {
      mkdirSync(dirname(join(clone, file)), { recursive: true });
      cpSync(join(REPO, file), join(clone, file));
    }
    symlinkSync(repoPath('node_modules'), join(clone, 'node_modules'));
    const npm = (args: string[], cwd: string) => execFileSync('npm', [...args, '--no-audit', '--no-fund'], { cwd, encoding: 'utf8', timeout: 300_000 });
    const [pack] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], clone)) as { filename: string; files: { path: string }[] }[];
    assert.ok(pack, 'npm pack made a package');
    packed = pack.files.map((f) => f.path);
    const prefix = join(work, 'prefix');
    npm(['install', '-g', '--prefer-offline', '--prefix', prefix, join(work, pack.filename)], work);
    bin = join(prefix, 'bin/forkscope');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('packs the built program, the bpftrace script, the docs, the schema and the licence, and no tests or source maps', () => {
    for (const file of ['dist/src/cli.js', 'dist/parsers/index.js', 'dist/collectors/bpftrace.js', 'collectors/forkscope.bt', 'schema/analysis-1.schema.json', 'docs/json.md', 'LICENSE', 'README.md']) {
      assert.ok(packed.includes(file), `${file} is in the package`);
    }
    assert.deepEqual(packed.filter((f) => f.startsWith('dist/test/') || f.startsWith('dist/bench/') || f.endsWith('.map') || f.startsWith('samples/')), []);
  });

  it('the installed forkscope analyzes seed 002: exit 1 and the hung child 18972', () => {
    const result = run(['analyze', repoPath('samples/plash-tst-fork1/tst-fork1.log')]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /^HUNG {2}18972 \(child of 18969\) blocked forever on futex 0x2b79a1b1e2c0, held by 18970/m);
  });

  it('says its version', () => {
    const result = run(['--version']);
    assert.equal(result.status, 0);
    assert.equal(result.stdout.trim(), `forkscope ${version}`);
  });

  it('the installed record --backend bpftrace finds its bpftrace program', () => {
    const dir = join(work, 'rec');
    const result = run(['record', '--backend', 'bpftrace', '-o', dir, '--', '/bin/true']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(readFileSync(join(dir, 'trace.csv'), 'utf8'), /^ns,tgid,tid,/);
  });
});
