// `forkscope events --jsonl`: the parsed model of real traces, one event per line, each line checked
// against schema/events-1.schema.json with no field the schema does not document.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SyscallEvent } from '../src/model/events.js';
import { eventLines } from './helpers/json.js';
import { runCli } from './helpers/repo.js';

describe('forkscope events --jsonl', () => {
  it('the mutex held at fork: a header, the events the program made, the end with what was read', () => {
    const run = runCli(['events', '--jsonl', 'samples/c-mutex-held-at-fork/trace-f.log']);
    assert.equal(run.status, 1, run.stderr);
    const lines = eventLines(run.stdout);
    assert.deepEqual(lines[0], { schema: 'forkscope/events@1' });
    // The one warning is the analysis's: the recorded program is gone, so its lock cannot be named.
    assert.deepEqual(lines.at(-1), { kind: 'end', inputs: [{ path: 'samples/c-mutex-held-at-fork/trace-f.log', format: 'strace', lines: 87, warnings: 1 }] });
    const calls = lines.filter((l) => l.kind === 'syscall') as unknown as SyscallEvent[];
    // The fork of 12484, then its wait on the lock that never returns.
    const fork = calls.find((c) => c.clone?.creates === 'process');
    assert.deepEqual([fork?.tid, fork?.result?.value, fork?.start.where.line], [12481, 12484, 64]);
    const stuck = calls.find((c) => c.tid === 12484 && c.futex);
    assert.deepEqual([stuck?.futex?.address, stuck?.futex?.command, stuck?.futex?.private, stuck?.result, stuck?.end], ['0x558bf406a080', 'WAIT', true, null, null]);
    // strace's -s 32 cut the program's argv: the event keeps the cut's `...`.
    assert.equal(calls[0]?.exec?.argv, '/tmp/tmp.AhYMD7S3WD/mutex-held-a...');
    const exits = lines.filter((l) => l.kind === 'exit').map((l) => [l.tid, l.status]);
    assert.deepEqual(exits, [
      [12482, { code: 0 }],
      [12483, { code: 0 }],
    ]);
  });

  for (const trace of ['samples/plash-tst-fork1/tst-fork1.log', 'samples/python-mp-fork-pool/trace.csv', 'samples/c-mutex-held-at-fork/ff']) {
    it(`every line of ${trace} matches the schema`, () => {
      const run = runCli(['events', '--jsonl', trace]);
      assert.ok(run.status === 0 || run.status === 1, run.stderr);
      const lines = eventLines(run.stdout);
      assert.ok(lines.length > 2);
    });
  }

  it('--jsonl is required, so that another format can come', () => {
    const run = runCli(['events', 'samples/c-mutex-held-at-fork/trace-f.log']);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--jsonl/);
  });
});
