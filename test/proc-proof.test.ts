// What /proc proves about a lock's holder, and only that (issue 10 §3), on the live program of
// samples/c-mutex-holder-exits: a thread exits holding a mutex, then main forks. The program prints
// the holder's TID; the child's copy of the mutex names it as __owner.
// - attach: that TID is no live thread any more, and TIDs are reused: `likely`, no holder named.
// - record: the trace shows the TID as a thread of the parent made before the fork: `confirmed`.
// - analyze DIR of the recording says the same as record did, from its proc-snapshot.json; the
//   trace file alone cannot (`possible`).

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { childrenOf, sleepSync } from '../src/proc/tree.js';
import { analysisDocument } from './helpers/json.js';
import { buildSample, forkscope, killMarked, marked, markedProcesses, startHung } from './helpers/live.js';

interface Doc {
  findings: { kind: string; pid: number; futex: string; parentPid: number; holderTid: number | null; confidence: string; explanation: string; evidence: { text: string }[] }[];
}

/** What the program printed it knows. */
function printed(text: string): { mutex: string; holder: number; child: number } {
  const field = (name: string) => new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
  return { mutex: field('mutex')!, holder: Number(field('holder')), child: Number(field('child')) };
}

describe('/proc proves a holder only from a thread of the parent (c-mutex-holder-exits)', () => {
  let work: string;
  let program: string;
  const { mark, env } = marked();
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'forkscope-proof-'));
    program = buildSample('c-mutex-holder-exits', work);
  });
  afterEach(() => {
    killMarked(mark);
    for (let waited = 0; markedProcesses(mark).length > 0 && waited < 2000; waited += 50) sleepSync(50);
    assert.deepEqual(markedProcesses(mark), []);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('attach: the owner has exited, so likely and no holder, though __owner is the printed TID', async () => {
    const output = join(work, 'attach.out');
    const hung = await startHung([program], env, 800, output);
    try {
      const known = printed(readFileSync(output, 'utf8'));
      assert.deepEqual(childrenOf(hung.pid!), [known.child]);
      const run = await forkscope(['attach', '--json', String(hung.pid)], env);
      assert.equal(run.code, 1, run.stderr);
      const [finding] = analysisDocument<Doc>(run.stdout).findings;
      assert.ok(finding);
      assert.equal(finding.pid, known.child);
      assert.equal(BigInt(finding.futex), BigInt(known.mutex));
      assert.equal(finding.confidence, 'likely');
      assert.equal(finding.holderTid, null);
      assert.ok(finding.evidence.some((e) => e.text.endsWith(`__owner ${known.holder}`)), JSON.stringify(finding.evidence));
    } finally {
      process.kill(-hung.pid!, 'SIGKILL');
    }
  });

  for (const backend of ['strace', 'bpftrace'] as const) {
    it(`${backend}: record confirms the printed holder from the trace and __owner; analyze DIR says the same`, async () => {
      const dir = join(work, `rec-${backend}`);
      const run = await forkscope(['record', '--backend', backend, '--hang-timeout', '2', '-o', dir, '--', program], env);
      assert.equal(run.code, 1, run.stderr);
      const known = printed(run.stdout);
      assert.match(run.stdout, new RegExp(`HUNG  ${known.child} .*held by ${known.holder} .*\\(confirmed\\)`));

      const again = await forkscope(['analyze', '--json', dir], env);
      assert.equal(again.code, 1, again.stderr);
      const [finding] = analysisDocument<Doc>(again.stdout).findings;
      assert.ok(finding);
      assert.equal(finding.pid, known.child);
      assert.equal(BigInt(finding.futex), BigInt(known.mutex));
      assert.equal(finding.holderTid, known.holder);
      assert.equal(finding.confidence, 'confirmed');
      assert.match(finding.explanation, /The \/proc snapshot in .*proc-snapshot\.json .* showed/);
      assert.match(finding.explanation, new RegExp(`thread ${known.holder}, which the trace shows as a thread of the parent`));

      // The trace file alone shows no call of the holder on the lock (it took it uncontended).
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
      const alone = await forkscope(['analyze', '--json', join(dir, meta.trace)], env);
      const [traced] = analysisDocument<Doc>(alone.stdout).findings;
      assert.equal(traced?.confidence, 'possible');
    });
  }

  it('a damaged or planted snapshot is an error naming it, not a silent trace-only answer', async () => {
    const source = join(work, 'rec-strace');
    const damaged = join(work, 'damaged');
    const planted = join(work, 'planted');
    for (const dir of [damaged, planted]) {
      mkdirSync(dir);
      for (const file of ['trace.strace', 'meta.json']) copyFileSync(join(source, file), join(dir, file));
    }
    writeFileSync(join(damaged, 'proc-snapshot.json'), '{"root": 1, "processes": [{"pid": 2}]}');
    symlinkSync(join(source, 'proc-snapshot.json'), join(planted, 'proc-snapshot.json'));
    const bad = await forkscope(['analyze', damaged], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^forkscope: .*damaged\/proc-snapshot\.json: process 1 has no pid, ppid or thread list$/m);
    const link = await forkscope(['analyze', planted], env);
    assert.equal(link.code, 2);
    assert.match(link.stderr, /planted\/proc-snapshot\.json: cannot read the \/proc snapshot \(a symbolic link\)/);
  });
});
