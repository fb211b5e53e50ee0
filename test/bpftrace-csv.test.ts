// The bpftrace collector's CSV (collectors/forkscope.bt) read by parsers/bpftrace-csv.ts: a real
// recording of the multiprocessing pool sample, and small files for each rule of the format
// (reordering, joining enter and return, free-text fields with commas, bpftrace's own lines, bad lines).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readBpftraceCsv } from '../parsers/bpftrace-csv.js';
import { BPFTRACE_CSV_HEADER } from '../parsers/formats.js';
import type { InputStats } from '../parsers/types.js';
import type { SyscallEvent, TraceEvent } from '../src/model/events.js';
import { repoPath, runCli } from './helpers/repo.js';
import { analysisDocument } from './helpers/json.js';

async function read(path: string): Promise<{ events: TraceEvent[]; stats: InputStats }> {
  const stats: InputStats = { path, format: 'bpftrace-csv', lines: 0, warnings: 0 };
  const events: TraceEvent[] = [];
  for await (const event of readBpftraceCsv({ path, format: 'bpftrace-csv', files: [path] }, stats, 0)) events.push(event);
  return { events, stats };
}

const calls = (events: TraceEvent[]) => events.filter((e): e is SyscallEvent => e.kind === 'syscall');

describe('bpftrace CSV: the recorded multiprocessing pool', () => {
  const trace = repoPath('samples/python-mp-fork-pool/trace.csv');

  it('reads every line without a warning, in timestamp order, one stream', async () => {
    const { events, stats } = await read(trace);
    assert.equal(stats.warnings, 0);
    assert.ok(stats.lines > 100);
    let last = -1;
    for (const event of events) {
      assert.notEqual(event.kind, 'warning');
      if (event.kind === 'warning') continue;
      const at = event.kind === 'syscall' ? event.start : event.at;
      assert.equal(at.stream, 0);
      assert.ok(at.us !== null && at.text !== null && /^\d+$/.test(at.text));
      if (event.kind !== 'syscall') {
        assert.ok(at.seq > last, 'non-call events come in sorted order');
        last = at.seq;
      }
    }
  });

  it('gives tasks with their tgid, clone calls with flags, and the workers blocked forever', async () => {
    const { events } = await read(trace);
    const tasks = events.filter((e) => e.kind === 'task');
    assert.ok(tasks.some((t) => t.kind === 'task' && t.creatorTid === null), 'the root, adopted from forkscope');
    const threads = tasks.filter((t) => t.kind === 'task' && t.tgid !== t.tid);
    assert.ok(threads.length >= 4, 'the pool threads and the holder thread');
    const forks = calls(events).filter((c) => c.clone?.creates === 'process' && (c.result?.value ?? 0) > 0);
    assert.ok(forks.length >= 4, 'four workers forked');
    assert.ok(forks.every((c) => c.clone!.flags!.includes('SIGCHLD')));
    const blocked = calls(events).filter((c) => c.futex && c.result?.value === null && c.result.errno === 'ERESTARTSYS');
    assert.ok(blocked.length >= 2, 'the hung workers were killed inside their waits');
    for (const call of blocked) {
      assert.equal(call.futex!.command, 'WAIT_BITSET');
      assert.equal(call.futex!.private, true);
      assert.equal(call.futex!.timed, false);
    }
  });

  it('analyzes as the sample says (detected by its header line)', () => {
    const run = runCli(['analyze', '--json', trace]);
    assert.equal(run.status, 1, run.stderr);
    const doc = analysisDocument(run.stdout);
    assert.equal(doc.inputs[0]?.format, 'bpftrace-csv');
    assert.equal(doc.findings.length, 2);
  });
});

describe('bpftrace CSV: the format, line by line', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'forkscope-csv-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = (...lines: string[]) => {
    const path = join(dir, `t${n++}.csv`);
    writeFileSync(path, [BPFTRACE_CSV_HEADER, ...lines].join('\n') + '\n');
    return path;
  };

  it('sorts lines that come out of order and joins each enter with its return', async () => {
    const { events } = await read(
      file(
        '1000000,10,10,prog,enter,futex,0x7f00,128,2,0x0,0x0,',
        '3000000,10,11,prog,return,futex,1,,,,,',
        '2000000,10,11,prog,enter,futex,0x7f00,129,1,0x0,0x0,',
        '4000000,10,10,prog,return,futex,0,,,,,',
      ),
    );
    const joined = calls(events);
    assert.deepEqual(
      joined.map((c) => [c.tid, c.futex!.command, c.result!.value, c.start.text, c.end!.text]),
      [
        [11, 'WAKE', 1, '2000000', '3000000'],
        [10, 'WAIT', 0, '1000000', '4000000'],
      ],
    );
    assert.equal(joined[1]!.durationUs, 3000);
    assert.equal(joined[1]!.args, '0x7f00, FUTEX_WAIT_PRIVATE, 2, NULL');
    assert.ok(joined[0]!.start.seq < joined[0]!.end!.seq);
  });

  it('a call entered when its task dies is `= ?`; one still entered at the end is unfinished', async () => {
    const { events } = await read(
      file(
        '1000,20,21,prog,enter,futex,0x10,128,2,0x0,0x0,',
        '2000,20,20,prog,enter,wait4,21,0,,,,',
        '3000,20,21,prog,return,futex,-512,,,,,',
        '3500,20,21,prog,signal,9,0,0,0x0,,,',
        '3600,20,21,prog,exit,,9,1,,,,',
        '5000,20,22,prog,enter,exit_group,3,,,,,',
        '5100,20,22,prog,exit,,768,1,,,,',
      ),
    );
    const [wait, exitGroup, wait4] = calls(events);
    assert.ok(wait);
    assert.ok(exitGroup);
    assert.ok(wait4);
    assert.deepEqual(wait.result, { raw: '? ERESTARTSYS', value: null, errno: 'ERESTARTSYS' });
    assert.deepEqual(exitGroup.result, { raw: '?', value: null, errno: null });
    assert.equal(exitGroup.exitCode, 3);
    assert.equal(wait4.result, null, 'still waiting when the trace ends');
    assert.equal(wait4.end, null);
    const exits = events.filter((e) => e.kind === 'exit').map((e) => e.kind === 'exit' && e.status);
    assert.deepEqual(exits, [{ signal: 'SIGKILL' }, { code: 3 }]);
    assert.ok(events.some((e) => e.kind === 'signal' && e.signal === 'SIGKILL'));
  });

  it('decodes clone flags, new tasks, wait statuses and errnos', async () => {
    const { events } = await read(
      file(
        '100,30,30,prog,root,process,31,31,0x1200000,,,',
        '200,31,31,prog,enter,clone3,0x3d0f00,,,,,',
        '210,31,31,prog,newtask,thread,32,31,0x3d0f00,,,',
        '220,31,31,prog,return,clone3,32,,,,,',
        '300,31,31,prog,enter,wait4,-1,0,,,,',
        '400,31,31,prog,return,wait4,33,256,,,,',
        '500,31,32,prog,enter,futex,0x20,128,2,0x7ffd0000,0x0,',
        '600,31,32,prog,return,futex,-110,,,,,',
      ),
    );
    const tasks = events.filter((e) => e.kind === 'task');
    assert.deepEqual(
      tasks.map((t) => t.kind === 'task' && [t.tid, t.creatorTid, t.tgid]),
      [
        [31, null, 31],
        [32, 31, 31],
      ],
    );
    const [clone, wait4, timed] = calls(events);
    assert.ok(clone);
    assert.ok(wait4);
    assert.ok(timed);
    assert.equal(clone.clone!.creates, 'thread');
    assert.ok(clone.clone!.flags!.includes('CLONE_THREAD'));
    assert.deepEqual(wait4.wait, { syscall: 'wait4', pid: -1, status: { code: 1 } });
    assert.equal(wait4.result!.value, 33);
    assert.equal(timed.futex!.timed, true);
    assert.deepEqual(timed.result, { raw: '-1 ETIMEDOUT', value: -1, errno: 'ETIMEDOUT' });
  });

  it('gives the extra commas of a comm or an execve filename back to that field', async () => {
    const { events, stats } = await read(
      file(
        '100,40,40,a,b,c,enter,futex,0x30,129,1,0x0,0x0,',
        '110,40,40,a,b,c,return,futex,0,,,,,',
        '200,40,40,,enter,execve,,,,,,/tmp/x,y/prog',
        '210,40,40,prog,return,execve,0,,,,,',
      ),
    );
    assert.equal(stats.warnings, 0);
    const [wake, exec] = calls(events);
    assert.ok(wake);
    assert.ok(exec);
    assert.equal(wake.futex!.command, 'WAKE');
    assert.deepEqual(exec.exec, { path: '/tmp/x,y/prog', argv: null });
  });

  it("warns about bpftrace's lost events and bad lines with file:line, and reads the rest", async () => {
    const path = file(
      '100,50,50,prog,enter,futex,0x40,128,2,0x0,0x0,',
      'Lost 17 events',
      'garbage',
      'x,50,50,prog,enter,futex,0x40,128,2,0x0,0x0,',
      '150,50,50,prog,frobnicate,,,,,,,',
      '200,50,50,prog,return,futex,0,,,,,',
      '@unlogged_wakes: 12',
    );
    const { events, stats } = await read(path);
    const warnings = events.filter((e) => e.kind === 'warning').map((e) => e.kind === 'warning' && `${e.where.line}: ${e.message}`);
    assert.deepEqual(warnings, [
      '3: bpftrace lost 17 events (its buffers overflowed): the trace has holes here',
      '4: expected 12 comma-separated fields, found 1',
      '5: expected ns, tgid and tid numbers',
      '6: unknown event `frobnicate`',
    ]);
    assert.equal(stats.warnings, 4);
    assert.equal(calls(events).length, 1);
  });
});
