// `forkscope record` with both backends on real programs recorded here: the C mutex held by a thread
// at fork, the Python threading.Lock twin, the multiprocessing pool, and the healthy pthread_atfork
// twin; exit codes, the output directory, Ctrl-C / SIGTERM, and that nothing is left running.
// Every process carries a marker in its environment; after each test none may be alive.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { MARK_VARIABLE, buildSample, forkscope, killMarked, marked, markedProcesses } from './helpers/live.js';
import { TmuxSession } from './helpers/tmux.js';
import { CLI, REPO, repoPath, runCli } from './helpers/repo.js';
import { analysisDocument } from './helpers/json.js';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const BACKENDS = ['strace', 'bpftrace'] as const;

interface Doc {
  processes: { pid: number; parentPid: number | null; threads: number[]; exit: unknown }[];
  findings: {
    pid: number;
    tid: number;
    futex: string;
    parentPid: number;
    forkTid: number;
    holderTid: number | null;
    confidence: string;
    op: string;
    chain: { waitsOn: string }[];
    source: string;
  }[];
  warnings: { message: string }[];
}

describe('forkscope record', () => {
  let work: string;
  let cMutex: string;
  let healthy: string;
  const { mark, env } = marked();
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'forkscope-record-'));
    cMutex = buildSample('c-mutex-held-at-fork', work);
    healthy = buildSample('c-mutex-atfork', work);
  });
  afterEach(() => {
    const left = killMarked(mark);
    assert.deepEqual(left, [], 'no process of the recording is left running');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const outDir = (name: string) => join(work, name);
  const meta = (dir: string) => JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));

  for (const backend of BACKENDS) {
    it(`${backend}: finds the C child hung on the mutex a thread of its parent held, and names the holder`, async () => {
      const dir = outDir(`c-${backend}`);
      const run = await forkscope(['record', '--backend', backend, '--json', '--hang-timeout', '2', '-o', dir, '--', cMutex], env);
      assert.equal(run.code, 1, run.stderr);
      const doc = analysisDocument<Doc>(run.stdout);
      const root = meta(dir).target.pid as number;
      assert.equal(doc.findings.length, 1, JSON.stringify(doc.findings, null, 1));
      const [finding] = doc.findings;
      assert.ok(finding);
      assert.equal(finding.parentPid, root);
      assert.equal(finding.forkTid, root, 'main forked');
      assert.equal(finding.tid, finding.pid);
      assert.match(finding.futex, /^0x[0-9a-f]+$/);
      assert.equal(finding.op, 'FUTEX_WAIT_PRIVATE');
      assert.equal(finding.confidence, 'confirmed');
      const parent = doc.processes.find((p) => p.pid === root)!;
      assert.ok(parent.threads.includes(finding.holderTid!), `holder ${finding.holderTid} is a thread of ${root}`);
      assert.notEqual(finding.holderTid, root);
      assert.deepEqual(
        finding.chain.map((l) => l.waitsOn),
        [`wait4 ${finding.pid}`],
      );
      assert.match(run.stderr, /forkscope: hang \(no progress for 2 s\)/);
      assert.match(run.stderr, /killed by SIGKILL \(forkscope stopped the hung tree\)/);

      // The /proc snapshot taken when the watchdog fired shows the same wait and the same owner.
      const snapshot = JSON.parse(readFileSync(join(dir, 'proc-snapshot.json'), 'utf8'));
      const blocked = snapshot.processes.find((p: { pid: number }) => p.pid === finding.pid).threads[0];
      assert.equal(blocked.futex.address, finding.futex);
      assert.equal(blocked.futex.owner, finding.holderTid);
      assert.match(blocked.futex.symbol, /^lock\+0x0 \(.*c-mutex-held-at-fork\)$/);

      const m = meta(dir);
      assert.equal(m.backend, backend);
      assert.equal(m.watchdog.fired, true);
      assert.equal(m.stoppedBy, 'watchdog');
      assert.deepEqual(m.target.exit, { signal: 'SIGKILL' });
      assert.equal(m.lostEvents, backend === 'bpftrace' ? 0 : null);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      for (const file of readdirSync(dir)) assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600, file);

      // The trace in DIR is a trace like any other.
      const again = runCli(['analyze', '--json', join(dir, m.trace)]);
      assert.equal(again.status, 1, again.stderr);
      const reread = analysisDocument<Doc>(again.stdout).findings;
      assert.deepEqual(
        reread.map((f) => [f.pid, f.futex, f.holderTid]),
        [[finding.pid, finding.futex, finding.holderTid]],
      );
    });

    it(`${backend}: finds the Python child hung on a threading.Lock held at os.fork()`, async () => {
      const dir = outDir(`py-${backend}`);
      const run = await forkscope(
        ['record', '--backend', backend, '--json', '--hang-timeout', '2', '-o', dir, '--', PYTHON, repoPath('samples/python-lock-fork/lock_fork.py')],
        env,
      );
      assert.equal(run.code, 1, run.stderr);
      const doc = analysisDocument<Doc>(run.stdout);
      const root = meta(dir).target.pid as number;
      assert.equal(doc.findings.length, 1, JSON.stringify(doc.findings, null, 1));
      const [finding] = doc.findings;
      assert.ok(finding);
      assert.equal(finding.parentPid, root);
      assert.equal(finding.op, 'FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME');
      assert.equal(finding.confidence, 'confirmed');
      assert.ok(doc.processes.find((p) => p.pid === root)!.threads.includes(finding.holderTid!));
    });

    it(`${backend}: reports nothing for the healthy pthread_atfork twin and exits with its status`, async () => {
      const dir = outDir(`healthy-${backend}`);
      const run = await forkscope(['record', '--backend', backend, '--json', '-o', dir, '--', healthy], env);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(analysisDocument<Doc>(run.stdout).findings, []);
      const m = meta(dir);
      assert.equal(m.watchdog.fired, false);
      assert.deepEqual(m.target.exit, { code: 0 });
      assert.ok(!existsSync(join(dir, 'proc-snapshot.json')));
      assert.match(run.stderr, /exited 0/);
    });
  }

  it('bpftrace: the multiprocessing pool: two replacement workers hang, the first two exit 0', async () => {
    const dir = outDir('pool-bpftrace');
    const run = await forkscope(
      ['record', '--backend', 'bpftrace', '--json', '--hang-timeout', '2', '-o', dir, '--', PYTHON, repoPath('samples/python-mp-fork-pool/pool.py')],
      env,
    );
    assert.equal(run.code, 1, run.stderr);
    const doc = analysisDocument<Doc>(run.stdout);
    const root = meta(dir).target.pid as number;
    assert.equal(doc.findings.length, 2, JSON.stringify(doc.findings, null, 1));
    const [first, second] = doc.findings;
    assert.ok(first);
    assert.ok(second);
    assert.equal(first.futex, second.futex, 'both wait on the one inherited lock');
    for (const finding of doc.findings) {
      assert.equal(finding.parentPid, root);
      assert.notEqual(finding.forkTid, root, "the pool's handler thread forked them, not main");
      assert.equal(finding.confidence, 'possible');
    }
    const workers = doc.processes.filter((p) => p.parentPid === root);
    assert.equal(workers.filter((p) => JSON.stringify(p.exit) === '{"code":0}').length, 2, JSON.stringify(workers));
  });

  it("exits with the command's own status, which it prints; sleeping past the hang timeout is no hang", async () => {
    const dir = outDir('status');
    const run = await forkscope(['record', '--json', '--hang-timeout', '1', '-o', dir, '--', '/bin/sh', '-c', 'sleep 2; exit 3'], env);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /\/bin\/sh exited 3/);
    assert.deepEqual(analysisDocument<Doc>(run.stdout).findings, []);
    assert.equal(meta(dir).watchdog.fired, false);
  });

  it('on a terminal, says what it is doing on a status line it clears: how long the tree has been still, then the analysis', async () => {
    const dir = outDir('status-line');
    const pane = new TmuxSession(`cd '${REPO}'; ${MARK_VARIABLE}=${mark} NO_COLOR=1 node ${CLI} record --backend bpftrace --hang-timeout 4 -o '${dir}' -- '${cMutex}'; echo "forkscope exited $?"; sleep 60`, 160, 300);
    try {
      const still = await pane.waitFor(/recording: \d+ processes, [\d.]+ MB of trace; no progress for [1-3] of 4 s/, 60_000);
      assert.match(still, /forkscope: recording .* with bpftrace/);
      const end = await pane.waitFor(/forkscope exited 1/, 90_000);
      assert.match(end, /^forkscope: hang \(no progress for 4 s\)/m, 'the hang is said from the line\'s start');
      assert.doesNotMatch(end, /recording: \d|reading|stopping bpftrace/, 'no status is left on the screen');
      assert.match(end, /HUNG/);
    } finally {
      pane.kill();
    }
  });

  it('in a pipe, draws no status line', async () => {
    const run = await forkscope(['record', '--hang-timeout', '2', '-o', outDir('piped'), '--', cMutex], env);
    assert.equal(run.code, 1, run.stderr);
    assert.doesNotMatch(run.stderr, /\r|\x1b|recording: \d/);
  });

  it('passes arguments exactly, with no shell in between', async () => {
    const file = join(work, 'argv.txt');
    const weird = ['a b', '$HOME', '"q"', "'s'", '*', ';', ''];
    const run = await forkscope(
      ['record', '-o', outDir('argv'), '--', PYTHON, '-c', 'import sys, json; open(sys.argv[1], "w").write(json.dumps(sys.argv[2:]))', file, ...weird],
      env,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), weird);
  });

  it('fails with exit code 2 and a clear message: unknown command, a non-empty output directory', async () => {
    const missing = await forkscope(['record', '-o', outDir('missing'), '--', 'no-such-command-forkscope'], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no-such-command-forkscope: command not found in PATH/);
    writeFileSync(join(work, 'placeholder'), '');
    const busy = await forkscope(['record', '-o', work, '--', '/bin/true'], env);
    assert.equal(busy.code, 2);
    assert.match(busy.stderr, /is not empty/);
  });

  for (const [backend, signal] of [
    ['strace', 'SIGINT'],
    ['bpftrace', 'SIGTERM'],
  ] as const) {
    it(`${backend}: on ${signal} stops the tree, keeps the trace and still reports the hang`, async () => {
      const dir = outDir(`signal-${backend}`);
      const cli = spawn(process.execPath, [CLI, 'record', '--backend', backend, '--json', '--hang-timeout', '60', '-o', dir, '--', cMutex], {
        cwd: REPO,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      cli.stdout.on('data', (d) => (stdout += d));
      cli.stderr.on('data', (d) => (stderr += d));
      const closed = new Promise<number | null>((resolve) => cli.on('close', (code) => resolve(code)));
      const guard = setTimeout(() => process.kill(-cli.pid!, 'SIGKILL'), 60_000);
      try {
        // Wait for the tree to be hung: the child in futex, its parent in wait4, for a moment.
        for (let waited = 0; !/recording/.test(stderr) || markedProcesses(mark).length < 3; waited += 100) {
          assert.ok(waited < 30_000, `the recording did not start: ${stderr}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await new Promise((resolve) => setTimeout(resolve, 1500));
        process.kill(cli.pid!, signal);
        const code = await closed;
        assert.equal(code, 1, stderr);
        assert.match(stderr, new RegExp(`${signal}: stopping the traced tree`));
        const doc = analysisDocument<Doc>(stdout);
        assert.equal(doc.findings.length, 1, JSON.stringify(doc.findings));
        assert.equal(doc.findings[0]!.confidence, 'confirmed');
        const m = meta(dir);
        assert.equal(m.stoppedBy, `signal ${signal}`);
        assert.equal(m.watchdog.fired, false);
      } finally {
        clearTimeout(guard);
        try {
          process.kill(-cli.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
  }
});
