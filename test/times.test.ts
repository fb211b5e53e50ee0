// Times of a bpftrace recording (samples/python-mp-fork-pool/trace.csv): its stamps are the monotonic
// clock in nanoseconds, shown as seconds from the trace's first event, or as the time of day when a
// meta.json next to it holds record's clock pair; JSON keeps the raw nanoseconds beside them.

import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveInputs } from '../parsers/index.js';
import { TraceIndex } from '../src/tui/trace-index.js';
import { TraceClock } from '../src/views/times.js';
import type { InheritedLockDocument } from './helpers/json.js';
import { analysisDocument } from './helpers/json.js';
import { repoPath, runCli } from './helpers/repo.js';

const CSV = 'samples/python-mp-fork-pool/trace.csv';
/** The first row's stamp: the recording's first event (record's own `root` row). */
const FIRST_NS = BigInt(readFileSync(repoPath(CSV), 'utf8').split('\n')[1]!.split(',')[0]!);

/** `+S.uuuuuu` from the first event, computed here from the raw stamp. */
const relative = (ns: string) => {
  const from = BigInt(ns) - FIRST_NS;
  return `+${from / 1_000_000_000n}.${String((from % 1_000_000_000n) / 1000n).padStart(6, '0')}`;
};

describe('bpftrace times without meta.json: seconds from the start', () => {
  let document: InheritedLockDocument;
  before(() => (document = analysisDocument<InheritedLockDocument>(runCli(['analyze', '--json', CSV]).stdout)));

  it('JSON keeps the raw nanoseconds in blockedSince and gives the shown time beside them', () => {
    assert.equal(document.findings.length, 2);
    for (const finding of document.findings) {
      const { blockedSince, blockedSinceTime } = finding as typeof finding & { blockedSinceTime: string };
      assert.match(blockedSince!, /^\d{10,}$/);
      assert.equal(blockedSinceTime, relative(blockedSince!));
    }
  });

  it('the text report and the timeline show +seconds', () => {
    const text = runCli(['analyze', CSV]).stdout;
    const shown = [...text.matchAll(/^ {2}Blocked since (.*)\.$/gm)].map((m) => m[1]);
    assert.deepEqual(shown, document.findings.map((f) => relative(f.blockedSince!)));
    const timeline = runCli(['timeline', CSV]).stdout;
    // python3's execve, the first call of the recording, 2.2 ms after record's root row.
    assert.match(timeline, /^16412: \+0\.002203 \[16412\] execve\("\/usr\/bin\/python3"\) = 0/m);
    assert.doesNotMatch(timeline, /\b38\d{11}\b/, 'no raw nanoseconds left');
  });

  it("the TUI's timeline rows show +seconds", async () => {
    const sources = await resolveInputs([repoPath(CSV)]);
    const index = new TraceIndex(sources, { clock: TraceClock.for(sources) });
    try {
      await index.load();
      const stream = index.streamOf(index.processOfPid(16412)!)!;
      // Its first row is record's own row naming it, the origin; then python3's execve.
      const [named, exec] = stream.rows('all', 0, 2);
      assert.deepEqual([named?.time, exec?.time], ['+0.000000', '+0.002203']);
      assert.match(exec?.text ?? '', /^execve\("\/usr\/bin\/python3"\)/);
    } finally {
      index.dispose();
    }
  });

  it('strace traces keep their times as printed, with no blockedSinceTime', () => {
    const strace = analysisDocument<InheritedLockDocument>(runCli(['analyze', '--json', 'samples/c-mutex-held-at-fork/trace-f.log']).stdout);
    assert.equal(strace.findings[0]!.blockedSince, '03:10:15.359898');
    assert.ok(!('blockedSinceTime' in strace.findings[0]!));
  });
});

describe("bpftrace times with record's meta.json: the time of day", () => {
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'forkscope-times-'));
    copyFileSync(repoPath(CSV), join(scratch, 'trace.csv'));
    // As record writes it: the monotonic clock read at 10:00:00 UTC was the first row's stamp.
    writeFileSync(join(scratch, 'meta.json'), JSON.stringify({ clock: { monotonicNs: String(FIRST_NS), realtime: '2026-12-02T10:00:00.000Z' } }));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('shows the wall time in the report, the timeline and JSON', () => {
    const env = { TZ: 'UTC' };
    const trace = join(scratch, 'trace.csv');
    const document = analysisDocument<InheritedLockDocument>(runCli(['analyze', '--json', trace], { env }).stdout);
    const wall = (ns: string) => `10:00:0${relative(ns).slice(1)}`;
    const expected = document.findings.map((f) => wall(f.blockedSince!));
    assert.deepEqual(
      document.findings.map((f) => (f as typeof f & { blockedSinceTime: string }).blockedSinceTime),
      expected,
    );
    const text = runCli(['analyze', trace], { env }).stdout;
    assert.deepEqual([...text.matchAll(/^ {2}Blocked since (.*)\.$/gm)].map((m) => m[1]), expected);
    assert.match(runCli(['timeline', trace], { env }).stdout, /^16412: 10:00:00\.002203 \[16412\] execve/m);
  });
});

describe('record writes the clock pair', () => {
  let scratch: string;
  before(() => (scratch = mkdtempSync(join(tmpdir(), 'forkscope-clock-'))));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('meta.json holds the monotonic clock and the wall clock read together', () => {
    const startedMs = Date.now();
    const run = runCli(['record', '-o', join(scratch, 'rec'), '--', '/bin/true']);
    assert.equal(run.status, 0, run.stderr);
    const { clock } = JSON.parse(readFileSync(join(scratch, 'rec', 'meta.json'), 'utf8')) as { clock: { monotonicNs: string; realtime: string } };
    const realtimeMs = Date.parse(clock.realtime);
    assert.ok(realtimeMs >= startedMs - 1000 && realtimeMs <= Date.now(), clock.realtime);
    // CLOCK_MONOTONIC, the clock of bpftrace's nsecs: this process reads it too.
    const monotonicNs = BigInt(clock.monotonicNs);
    assert.ok(monotonicNs > 0n && monotonicNs <= process.hrtime.bigint());
  });
});
