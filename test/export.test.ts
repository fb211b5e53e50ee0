// `forkscope export`: the Chrome Trace Event JSON of a real trace (samples/c-mutex-held-at-fork,
// where the program printed the hung child 12484, forked by 12481 while 12482 held the lock), checked
// against the fields the Trace Event Format documents, and the output file's creation rules.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/repo.js';

/** The fields of one event, as the Trace Event Format names them. */
interface ChromeEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  s?: string;
  id?: number;
  bp?: string;
  args?: Record<string, unknown>;
}

interface ChromeDocument {
  traceEvents: ChromeEvent[];
  displayTimeUnit: string;
  otherData: { timeAxis: string };
}

const SAMPLE = 'samples/c-mutex-held-at-fork/trace-f.log';
const [PARENT, HOLDER, SLEEPER, CHILD] = [12481, 12482, 12483, 12484];

/** The document, after checking every event carries the fields its phase requires. */
function chromeDocument(text: string): ChromeDocument {
  const document = JSON.parse(text) as ChromeDocument;
  assert.ok(Array.isArray(document.traceEvents) && document.traceEvents.length > 0);
  assert.ok(['ms', 'ns'].includes(document.displayTimeUnit));
  for (const event of document.traceEvents) {
    const where = JSON.stringify(event);
    assert.equal(typeof event.name, 'string', where);
    assert.ok(['X', 'i', 'M', 's', 'f'].includes(event.ph), where);
    assert.ok(Number.isInteger(event.pid) && Number.isInteger(event.tid), where);
    if (event.ph !== 'M') assert.ok(typeof event.ts === 'number' && Number.isFinite(event.ts), where);
    if (event.ph === 'X') assert.ok(typeof event.dur === 'number' && event.dur >= 0, where);
    if (event.ph === 'i') assert.ok(['t', 'p', 'g'].includes(event.s!), where);
    if (event.ph === 'M') {
      assert.ok(['process_name', 'thread_name'].includes(event.name), where);
      assert.equal(typeof event.args?.name, 'string', where);
    }
    if (event.ph === 's' || event.ph === 'f') {
      assert.ok(Number.isInteger(event.id) && typeof event.cat === 'string', where);
      if (event.ph === 'f') assert.equal(event.bp, 'e', where);
    }
  }
  // Slices of one thread must not cross (viewers drop a slice that ends inside another's end).
  const byThread = new Map<string, ChromeEvent[]>();
  for (const event of document.traceEvents.filter((e) => e.ph === 'X')) {
    const key = `${event.pid}/${event.tid}`;
    byThread.set(key, [...(byThread.get(key) ?? []), event]);
  }
  for (const slices of byThread.values()) {
    slices.sort((a, b) => a.ts! - b.ts!);
    for (const [i, slice] of slices.slice(1).entries()) {
      const previous = slices[i]!;
      assert.ok(slice.ts! >= previous.ts! + previous.dur!, `${JSON.stringify(previous)} overlaps ${JSON.stringify(slice)}`);
    }
  }
  return document;
}

/** Each flow arrow (start and finish sharing cat, name and id), with the slices it is bound to: same pid, tid, ts and cat. */
function arrows(events: ChromeEvent[]): { name: string; from: ChromeEvent; to: ChromeEvent }[] {
  const slices = events.filter((e) => e.ph === 'X');
  const boundTo = (flow: ChromeEvent) => {
    const slice = slices.find((x) => x.pid === flow.pid && x.tid === flow.tid && x.ts === flow.ts && x.cat === flow.cat);
    assert.ok(slice, `flow event bound to no slice: ${JSON.stringify(flow)}`);
    return slice;
  };
  return events
    .filter((e) => e.ph === 's')
    .map((start) => {
      const finishes = events.filter((e) => e.ph === 'f' && e.id === start.id && e.cat === start.cat && e.name === start.name);
      assert.equal(finishes.length, 1, `flow ${start.id} has ${finishes.length} finishes`);
      return { name: start.name, from: boundTo(start), to: boundTo(finishes[0]!) };
    });
}

describe('forkscope export: the mutex held at fork (strace -f -tt -T)', () => {
  let document: ChromeDocument;
  let events: ChromeEvent[];
  before(() => {
    const run = runCli(['export', SAMPLE]);
    assert.equal(run.status, 1, run.stderr);
    document = chromeDocument(run.stdout);
    events = document.traceEvents;
  });

  it('names each thread `comm pid/tid` under its process', () => {
    // strace's -s 32 cut the program's path: the name keeps the cut's `...`.
    const names = (kind: string) => events.filter((e) => e.ph === 'M' && e.name === kind).map((e) => `${e.pid}/${e.tid}: ${String(e.args!.name)}`);
    assert.deepEqual(names('thread_name'), [
      `${PARENT}/${PARENT}: mutex-held-a... ${PARENT}/${PARENT}`,
      `${PARENT}/${HOLDER}: mutex-held-a... ${PARENT}/${HOLDER}`,
      `${PARENT}/${SLEEPER}: mutex-held-a... ${PARENT}/${SLEEPER}`,
      `${CHILD}/${CHILD}: mutex-held-a... ${CHILD}/${CHILD}`,
    ]);
    assert.deepEqual(names('process_name'), [`${PARENT}/${PARENT}: mutex-held-a... ${PARENT}`, `${CHILD}/${CHILD}: mutex-held-a... ${CHILD}`]);
  });

  it("draws the hung child's wait, and the parent's wait4, to the end of the trace, marked", () => {
    const end = Math.max(...events.map((e) => (e.ts ?? 0) + (e.dur ?? 0)));
    const neverReturned = events.filter((e) => e.ph === 'X' && e.args?.neverReturned === true);
    assert.deepEqual(
      neverReturned.map((e) => [e.tid, e.name, e.ts! + e.dur!]),
      [
        [PARENT, 'wait4 (never returned)', end],
        [CHILD, 'futex (never returned)', end],
      ],
    );
    assert.match(String(neverReturned[1]!.args!.call), /^futex\(0x558bf406a080, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished \.\.\.>\)$/);
    // The last line of the log is the sleeper's exit, at 03:10:15.653622.
    assert.equal(end % 86_400e6, (3 * 3600 + 10 * 60 + 15) * 1e6 + 653_622);
  });

  it('gives each call its -T duration', () => {
    const wake = events.find((e) => e.ph === 'X' && e.tid === HOLDER && String(e.args?.call).startsWith('futex(0x558bf406a080, FUTEX_WAKE_PRIVATE, 1) = 1'));
    assert.equal(wake?.dur, 6140);
  });

  it('draws the arrows: clone to each child, the wake to the wait it ended, the fork to the stuck wait', () => {
    // A call by its name, and a futex call's word and op.
    const call = (slice: ChromeEvent) => /^\w+(\(0x[0-9a-f]+, FUTEX_\w+)?/.exec(String(slice.args!.call))![0];
    const drawn = arrows(events).map(({ name, from, to }) => `${name}: ${from.tid} ${call(from)} -> ${to.tid} ${call(to)}`);
    assert.deepEqual(drawn.sort(), [
      `clone: ${PARENT} clone -> ${CHILD} set_robust_list`,
      `clone: ${PARENT} clone3 -> ${HOLDER} rseq`,
      `clone: ${PARENT} clone3 -> ${SLEEPER} rseq`,
      `fork while held: ${PARENT} clone -> ${CHILD} futex(0x558bf406a080, FUTEX_WAIT_PRIVATE`,
      `futex wake: ${HOLDER} futex(0x558bf406a080, FUTEX_WAKE_PRIVATE -> ${SLEEPER} futex(0x558bf406a080, FUTEX_WAIT_PRIVATE`,
    ]);
  });

  it('marks the finding on the hung thread, and signals and exits as instants', () => {
    const findings = events.filter((e) => e.ph === 'i' && e.cat === 'finding');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.tid, CHILD);
    assert.deepEqual([findings[0]!.args!.kind, findings[0]!.args!.holderTid, findings[0]!.args!.futex], ['inherited-lock', HOLDER, '0x558bf406a080']);
    const exits = events.filter((e) => e.ph === 'i' && e.cat === 'exit').map((e) => [e.tid, e.name]);
    assert.deepEqual(exits, [
      [HOLDER, '+++ exited 0 +++'],
      [SLEEPER, '+++ exited 0 +++'],
    ]);
  });
});

describe('forkscope export: a trace without timestamps (PlashGlibc seed 002)', () => {
  it('uses the line numbers as the time axis and says so', () => {
    const run = runCli(['export', 'samples/plash-tst-fork1/tst-fork1.log']);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /no timestamps: the export uses line numbers/);
    const document = chromeDocument(run.stdout);
    assert.match(document.otherData.timeAxis, /line number/);
    const stuck = document.traceEvents.find((e) => e.ph === 'X' && e.tid === 18972 && e.args?.neverReturned === true);
    assert.equal(stuck?.ts, 74);
  });
});

describe('forkscope export: a bpftrace recording (the multiprocessing pool, killed by record)', () => {
  it("marks the hung workers' waits, which the kill ended, as never returned, their times as seconds from the start", () => {
    const run = runCli(['export', 'samples/python-mp-fork-pool/trace.csv']);
    assert.equal(run.status, 1, run.stderr);
    const events = chromeDocument(run.stdout).traceEvents;
    for (const worker of [16419, 16420]) {
      const stuck = events.filter((e) => e.ph === 'X' && e.tid === worker && e.args?.neverReturned === true);
      assert.equal(stuck.length, 1, `worker ${worker}`);
      assert.match(String(stuck[0]!.args!.call), /^futex\(0x1dcc720, FUTEX_WAIT_BITSET_PRIVATE\|FUTEX_CLOCK_REALTIME, 0, NULL\) = \?/);
      assert.match(String(stuck[0]!.args!.time), /^\+1\.\d{6}$/);
      assert.ok(arrows(events).some((a) => a.name === 'fork while held' && a.from.tid === 16415 && a.to === stuck[0]));
    }
  });
});

describe('forkscope export -o FILE', () => {
  let scratch: string;
  before(() => (scratch = mkdtempSync(join(tmpdir(), 'forkscope-export-'))));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('writes a new file, mode 0600', () => {
    const file = join(scratch, 'trace.json');
    const run = runCli(['export', '-o', file, SAMPLE]);
    assert.equal(run.status, 1, run.stderr);
    assert.equal(run.stdout, '');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    chromeDocument(readFileSync(file, 'utf8'));
  });

  it('never overwrites a file, nor writes through a symbolic link', () => {
    const existing = join(scratch, 'existing.json');
    writeFileSync(existing, 'keep');
    const run = runCli(['export', '-o', existing, SAMPLE]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /existing\.json exists/);
    assert.equal(readFileSync(existing, 'utf8'), 'keep');

    const target = join(scratch, 'target');
    writeFileSync(target, 'keep');
    symlinkSync(target, join(scratch, 'link.json'));
    assert.equal(runCli(['export', '-o', join(scratch, 'link.json'), SAMPLE]).status, 2);
    assert.equal(readFileSync(target, 'utf8'), 'keep');
  });

  it('takes the file back when the trace turns out unable to answer (strace without -f)', () => {
    const log = join(scratch, 'no-f.log');
    execFileSync('strace', ['-o', log, 'sh', '-c', '/bin/true & wait']);
    const file = join(scratch, 'no-f.json');
    const run = runCli(['export', '-o', file, log]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^forkscope: .*no line of its own/);
    assert.ok(!existsSync(file));
  });

  it('- is stdout', () => {
    const run = runCli(['export', '-o', '-', SAMPLE]);
    assert.equal(run.status, 1);
    chromeDocument(run.stdout);
  });
});
