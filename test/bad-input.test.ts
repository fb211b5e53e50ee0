// Inputs that once crashed forkscope or made it wrong: each is a minimal fixture (test/fixtures),
// analyzed through the same entry points as the CLI.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveInputs } from '../parsers/index.js';
import { analyzeTrace } from '../src/pipeline.js';
import type { Analysis } from '../src/analysis/types.js';
import { CLI, repoPath, runCli } from './helpers/repo.js';

async function analyze(...paths: string[]): Promise<Analysis> {
  return analyzeTrace(await resolveInputs(paths.map((p) => repoPath(p)), {}));
}

describe('inputs that broke the analysis', () => {
  it('a cut restart_syscall resuming a timed wait whose resumed line is missing continues that wait', async () => {
    const analysis = await analyze('test/fixtures/restart-without-resume.log');
    assert.equal(analysis.findings.length, 1);
    const [finding] = analysis.findings;
    assert.ok(finding?.kind === 'inherited-lock');
    assert.deepEqual([finding.pid, finding.futex, finding.holderTid, finding.confidence], [1002, '0x55d0c0a4e040', null, 'possible']);
    assert.equal(finding.op, 'FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME');
    const blocked = finding.evidence.filter((e) => e.role === 'blocked-forever').map((e) => e.line);
    assert.deepEqual(blocked, [2, 3], 'blocked since the futex call, still in the restart');
    assert.match(analysis.warnings.map((w) => `${w.line}: ${w.message}`).join('\n'), /^3: task 1002 starts restart_syscall while futex/m);
    assert.equal(runCli(['analyze', 'test/fixtures/restart-without-resume.log']).status, 1);
  });

  // Found by the fuzz run: 100 forks 200 and 200 "forks" 100 (mangled pids), which made each
  // process's address space the other's parent; naming the hung child's lock then looped forever.
  // Found by the fuzz run: a byte flipped in a bpftrace row's futex word (0x560aJ06ee080) reached
  // the lock naming as an address, whose BigInt threw.
  it('a bpftrace CSV row whose futex word is no address: a warning at its line, the rest analyzed', async () => {
    const analysis = await analyze('test/fixtures/bpftrace-bad-word.csv');
    assert.deepEqual(
      analysis.warnings.map((w) => [w.line, w.message]),
      [[16, "futex word `0x560aJ06ee080` is not an address: this call's lock cannot be followed"]],
    );
    assert.equal(analysis.processes.length, 2);
  });

  it('two processes that each say they forked the other: the hung grandchild is reported, no lookup loops', async () => {
    const analysis = await analyze('test/fixtures/clone-cycle.log');
    const found = analysis.findings.map((f) => (f.kind === 'inherited-lock' ? [f.pid, f.parentPid, f.futex] : [f.kind]));
    assert.deepEqual(found, [[300, 100, '0x55d0c0a4e040']]);
  });
});

describe('deep and wide trees', () => {
  const FORK = 'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f0e2a200a10)';
  const DEPTH = 20_000;

  /** A fork chain DEPTH deep, each parent in wait4 on its child, the deepest hung; children printed before their parents. */
  function deepChainLog(): string {
    const lines = [`${2000 + DEPTH} futex(0x55d0c0a4e040, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>`];
    for (let pid = 2000 + DEPTH - 1; pid >= 2000; pid--) lines.push(`${pid} ${FORK} = ${pid + 1}`, `${pid} wait4(${pid + 1},  <unfinished ...>`);
    return lines.join('\n') + '\n';
  }

  it('a fork chain 20,000 deep given children first: the whole chain in JSON, its ends in text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'forkscope-test-chain-'));
    try {
      const log = join(dir, 'chain.log');
      writeFileSync(log, deepChainLog());
      const json = spawnSync(process.execPath, [CLI, 'analyze', '--json', log], { encoding: 'utf8', maxBuffer: 1 << 28 });
      assert.equal(json.status, 1, json.stderr);
      const [finding] = JSON.parse(json.stdout).findings;
      assert.equal(finding.pid, 2000 + DEPTH);
      assert.equal(finding.chain.length, DEPTH);
      assert.deepEqual(finding.chain.at(-1), { pid: 2000, tid: 2000, waitsOn: `wait4 2001`, where: { file: log, line: 1 + 2 * DEPTH, offset: finding.chain.at(-1).where.offset } });
      const text = runCli(['analyze', log]);
      assert.equal(text.status, 1, text.stderr);
      assert.match(text.stdout, /Waiting on it \(a chain of 20000\):/);
      assert.match(text.stdout, /\.\.\. 19984 more waiting processes/);
      assert.match(text.stdout, /thread 2000 of process 2000 sits in wait4 2001/);
      assert.ok(text.stdout.split('\n').length < 200, 'the text report stays short');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('times that go back', () => {
  it('a recorded -ff trace whose holder file steps back a second: warned once with file:line, nothing confirmed by those times', async () => {
    const analysis = await analyze('test/fixtures/clock-step');
    const back = analysis.warnings.filter((w) => /the time goes back/.test(w.message));
    assert.deepEqual(
      back.map((w) => [w.file.endsWith('clock-step/trace.12490'), w.line]),
      [[true, 4]],
    );
    assert.match(back[0]!.message, /from 03:10:17\.253800 \(line 3\) to 03:10:16\.253975/);
    assert.deepEqual(analysis.findings.map((f) => [f.kind, f.pid, 'futex' in f ? f.futex : null]), [['inherited-lock', 12492, '0x556c7d3d6080']]);
    assert.notEqual(analysis.findings[0]!.confidence, 'confirmed');
  });

  it('a recorded -ff trace whose contender file jumps an hour forward: warned once with file:line, nothing confirmed by those times', async () => {
    const analysis = await analyze('test/fixtures/clock-jump');
    const jumps = analysis.warnings.filter((w) => /the time jumps/.test(w.message));
    assert.deepEqual(
      jumps.map((w) => [w.file.endsWith('clock-jump/trace.12491'), w.line]),
      [[true, 5]],
    );
    assert.match(jumps[0]!.message, /jumps 3600\.0 s forward from the end of the call at line 4 to 04:10:17\.315715/);
    assert.deepEqual(analysis.findings.map((f) => [f.kind, f.pid, 'futex' in f ? f.futex : null]), [['inherited-lock', 12492, '0x556c7d3d6080']]);
    assert.notEqual(analysis.findings[0]!.confidence, 'confirmed');
  });

  it('a thread asleep for an hour in one call (its -T says so) is no jump', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'forkscope-sleep-'));
    try {
      writeFileSync(join(dir, 't.100'), [
        '10:00:00.000000 clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=3600, tv_nsec=0}, NULL) = 0 <3600.000100>',
        '11:00:00.000200 exit_group(0)                     = ?',
        '11:00:00.000300 +++ exited with 0 +++',
      ].join('\n') + '\n');
      writeFileSync(join(dir, 't.101'), '10:00:00.000050 exit_group(0)                     = ?\n10:00:00.000060 +++ exited with 0 +++\n');
      const analysis = await analyzeTrace(await resolveInputs([dir], {}));
      assert.equal(analysis.inputs[0]!.format, 'strace-ff');
      assert.deepEqual(analysis.warnings.filter((w) => /time/.test(w.message)), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
