// Nothing forkscope starts or creates outlives it, whatever ends it: a SIGKILL of `record` takes
// the tracer and the whole traced tree (its cgroup is killed and removed), a daemon that left the
// program's session included; a SIGKILL of `attach --duration` leaves no target traced; SIGINT,
// SIGTERM and SIGHUP remove the temporary files of `analyze -` and `attach`. Real programs, real
// signals; every process carries the test's marker and none may be left.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { buildSample, forkscope, killMarked, marked, markedProcesses, startHung, unnamedFilesUnder } from './helpers/live.js';
import { CLI, REPO, repoPath } from './helpers/repo.js';

const BACKENDS = ['strace', 'bpftrace'] as const;

interface Running {
  cli: ChildProcess;
  output: { stdout: string; stderr: string };
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[], env: NodeJS.ProcessEnv, stdin: 'ignore' | 'pipe' = 'ignore'): Running {
  const cli = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env, detached: true, stdio: [stdin, 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  cli.stdout!.on('data', (d) => (output.stdout += d));
  cli.stderr!.on('data', (d) => (output.stderr += d));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => cli.on('close', (code, signal) => resolve({ code, signal })));
  return { cli, output, closed };
}

function stopGroup(running: Running): void {
  try {
    process.kill(-running.cli.pid!, 'SIGKILL');
  } catch {
    // gone
  }
}

async function until(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
  for (const started = Date.now(); !done(); ) {
    assert.ok(Date.now() - started < timeoutMs, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** The TracerPid of every thread of these processes that is still there. */
function tracers(pids: number[]): number[] {
  return pids.flatMap((pid) => {
    try {
      return readdirSync(`/proc/${pid}/task`).map((tid) => Number(/^TracerPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1] ?? 0));
    } catch {
      return [];
    }
  });
}

describe('nothing outlives forkscope', () => {
  let work: string;
  let cMutex: string;
  let daemonize: string;
  const { mark, env } = marked();
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'forkscope-lifetime-'));
    cMutex = buildSample('c-mutex-held-at-fork', work);
    daemonize = join(work, 'daemonize');
    execFileSync('gcc', ['-O0', '-o', daemonize, repoPath('test/programs/daemonize.c')]);
  });
  afterEach(async () => {
    // A test that failed may leave its tree to this: give the supervisor its moment, then kill.
    await until('the marked processes to end', () => markedProcesses(mark).length === 0, 5000).catch(() => {});
    assert.deepEqual(killMarked(mark), [], 'no process of the recording is left running');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  for (const backend of BACKENDS) {
    it(`record --backend ${backend}: a SIGKILL of forkscope takes the tracer, the hung tree and its cgroup with it`, async () => {
      const dir = join(work, `sigkill-${backend}`);
      const running = start(['record', '--backend', backend, '--hang-timeout', '60', '-o', dir, '--', cMutex], env);
      try {
        const hungTree = () => markedProcesses(mark).filter((pid) => readText(`/proc/${pid}/comm`).startsWith('c-mutex'));
        await until('the hang to be in place', () => /recording/.test(running.output.stderr) && hungTree().length === 2);
        const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
        assert.equal(meta.containment.method, 'cgroup-v2', JSON.stringify(meta.containment));
        const cgroup = meta.containment.path as string;
        assert.ok(existsSync(cgroup));
        const tree = hungTree();
        const inCgroup = readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
        assert.equal(tree.length, 2);
        assert.deepEqual(tree.filter((pid) => !inCgroup.includes(pid)), [], 'the tree is in the cgroup');
        // forkscope's children: the tracer, the supervisor (and for bpftrace the program).
        const started = childrenOf(running.cli.pid!);
        assert.ok(started.length >= 2, `children of forkscope: ${started}`);
        process.kill(running.cli.pid!, 'SIGKILL');
        await running.closed;
        await until('the tree, the tracer and the supervisor to be gone', () => markedProcesses(mark).length === 0 && !started.some(isAlive), 10_000);
        await until('the cgroup to be removed', () => !existsSync(cgroup), 5000);
      } finally {
        stopGroup(running);
      }
    });
  }

  it('record --backend bpftrace: a daemon that double-forked and left the session is killed when the recording ends', async () => {
    const run = await forkscope(['record', '--backend', 'bpftrace', '-o', join(work, 'daemon-ends'), '--', daemonize], env);
    assert.equal(run.code, 0, run.stderr);
    const daemon = Number(/daemon (\d+)/.exec(run.stdout)?.[1]);
    assert.ok(daemon > 0, run.stdout);
    assert.match(run.stderr, new RegExp(`killed 1 process of the tree: ${daemon}`));
    assert.equal(isAlive(daemon), false);
  });

  for (const backend of BACKENDS) {
    it(`record --backend ${backend}: on SIGINT a daemon that left the session is killed with the tree`, async () => {
      const dir = join(work, `daemon-sigint-${backend}`);
      const running = start(['record', '--backend', backend, '-o', dir, '--', daemonize, 'stay'], env);
      try {
        await until('the daemon to start', () => /daemon \d+/.test(running.output.stdout));
        const daemon = Number(/daemon (\d+)/.exec(running.output.stdout)![1]);
        assert.ok(isAlive(daemon));
        process.kill(running.cli.pid!, 'SIGINT');
        const { code } = await running.closed;
        assert.equal(code, 130, running.output.stderr);
        assert.equal(isAlive(daemon), false, `daemon ${daemon} survived`);
        const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
        assert.equal(existsSync(meta.containment.path), false, 'the cgroup is removed');
        assert.notEqual(meta.end, null);
      } finally {
        stopGroup(running);
      }
    });
  }

  it('record: where no cgroup v2 hierarchy is writable, it says so (stderr, meta.json) and still kills the tree, a daemon included, on SIGINT', async () => {
    // This machine's cgroup v2 mount, made read-only in a mount namespace of forkscope's own.
    const v2 = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].find((path) => {
      try {
        return statfsSync(path).type === 0x63677270;
      } catch {
        return false;
      }
    });
    assert.ok(v2, 'a cgroup v2 hierarchy is mounted here');
    const dir = join(work, 'no-cgroup');
    const cli = spawn(
      'unshare',
      ['--mount', '--propagation', 'private', '/bin/sh', '-c', 'mount -o remount,bind,ro "$0" && exec "$@"', v2, process.execPath, CLI, 'record', '-o', dir, '--', daemonize, 'stay'],
      { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const running: Running = { cli, output: { stdout: '', stderr: '' }, closed: new Promise((resolve) => cli.on('close', (code, signal) => resolve({ code, signal }))) };
    cli.stdout!.on('data', (d) => (running.output.stdout += d));
    cli.stderr!.on('data', (d) => (running.output.stderr += d));
    try {
      await until('the daemon to start', () => /daemon \d+/.test(running.output.stdout));
      const daemon = Number(/daemon (\d+)/.exec(running.output.stdout)![1]);
      assert.match(running.output.stderr, /cannot create a cgroup in .*read-only file system.*: the traced tree is contained by its process group only, and runs on if forkscope is killed with SIGKILL/i);
      process.kill(cli.pid!, 'SIGINT');
      const { code } = await running.closed;
      assert.equal(code, 130, running.output.stderr);
      assert.equal(isAlive(daemon), false, `daemon ${daemon} survived`);
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
      assert.equal(meta.containment.method, 'process-group');
      assert.equal(meta.containment.path, null);
      assert.match(meta.containment.reason, /read-only file system/i);
    } finally {
      stopGroup(running);
    }
  });

  it('attach --duration: a SIGKILL of forkscope leaves no target traced or stopped, and no file', async () => {
    const program = await startHung([cMutex], env);
    const tree = markedProcesses(mark);
    const temporary = mkdtempSync(join(work, 'tmp-'));
    const running = start(['attach', '--duration', '60', String(program.pid)], { ...env, TMPDIR: temporary });
    try {
      await until('strace to attach', () => tracers(tree).some((t) => t !== 0));
      const started = childrenOf(running.cli.pid!);
      process.kill(running.cli.pid!, 'SIGKILL');
      await running.closed;
      await until('the tree to be untraced', () => tracers(tree).every((t) => t === 0), 5000);
      await until('strace to be gone', () => !started.some(isAlive), 5000);
      for (const pid of tree) assert.doesNotMatch(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '', /^[tT]/, `${pid} left stopped`);
      assert.deepEqual(readdirSync(temporary), [], 'no watch log left');
    } finally {
      stopGroup(running);
      process.kill(-program.pid!, 'SIGKILL');
    }
  });

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`attach --duration: ${signal} removes the watch log and detaches strace`, async () => {
      const program = await startHung([cMutex], env);
      const tree = markedProcesses(mark);
      const temporary = mkdtempSync(join(work, 'tmp-'));
      const running = start(['attach', '--duration', '60', String(program.pid)], { ...env, TMPDIR: temporary });
      try {
        await until('strace to attach', () => tracers(tree).some((t) => t !== 0));
        assert.equal(unnamedFilesUnder(running.cli.pid!, temporary).length, 1, 'the watch log is open, with no name');
        assert.deepEqual(readdirSync(temporary), [], 'nothing of it on disk');
        process.kill(running.cli.pid!, signal);
        const { code } = await running.closed;
        assert.equal(code, 128 + constants.signals[signal], running.output.stderr);
        assert.deepEqual(readdirSync(temporary), [], 'the watch log is removed');
        assert.deepEqual(tracers(tree).filter((t) => t !== 0), [], 'no target is traced');
      } finally {
        stopGroup(running);
        process.kill(-program.pid!, 'SIGKILL');
      }
    });
  }

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGKILL'] as const) {
    it(`analyze -: ${signal} while stdin is being read leaves no spool`, async () => {
      const temporary = mkdtempSync(join(work, 'tmp-'));
      const running = start(['analyze', '-'], { ...env, TMPDIR: temporary }, 'pipe');
      try {
        running.cli.stdin!.write(readFileSync(repoPath('samples/c-mutex-held-at-fork/trace-f.log')));
        await until('the spool to be open', () => unnamedFilesUnder(running.cli.pid!, temporary).length > 0);
        assert.deepEqual(readdirSync(temporary), [], 'nothing of it on disk');
        process.kill(running.cli.pid!, signal);
        // Nothing to clean up: it dies of the signal (as analyze of a file does), or exits 128 + its number.
        const ended = await running.closed;
        assert.ok(ended.signal === signal || ended.code === 128 + constants.signals[signal], `${JSON.stringify(ended)} ${running.output.stderr}`);
        assert.deepEqual(readdirSync(temporary), [], 'nothing left');
      } finally {
        stopGroup(running);
      }
    });
  }
});
