// Reading only what the analysis uses (issue 11): the second read gives the futex calls alone, as
// a read of every call has them; and the progress shown on a terminal while a read takes long.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { emptyStats, readFutexCalls, readTrace, resolveInputs } from '../parsers/index.js';
import type { SyscallEvent, TraceEvent } from '../src/model/events.js';
import { ReadProgress, withProgress } from '../src/views/progress.js';
import { repoPath, runCli } from './helpers/repo.js';

async function events(path: string): Promise<TraceEvent[]> {
  const sources = await resolveInputs([repoPath(path)]);
  const all: TraceEvent[] = [];
  for await (const event of readTrace(sources, emptyStats(sources))) all.push(event);
  return all;
}

describe('the second read', () => {
  it('the second read gives the futex calls asked for, as a read of every call has them', async () => {
    const path = 'samples/python-mp-fork-pool/trace.log';
    const sources = await resolveInputs([repoPath(path)]);
    const every = (await events(path)).filter((e): e is SyscallEvent => e.kind === 'syscall' && e.futex !== undefined);
    const query = { tids: new Set(every.map((e) => e.tid)), words: new Set(every.map((e) => e.futex!.address)) };
    const asked: TraceEvent[] = [];
    for await (const event of readFutexCalls(sources, query)) asked.push(event);
    assert.ok(every.length > 20, `${every.length} futex calls`);
    assert.deepEqual(asked, every);
  });
});

describe('progress', () => {
  const terminal = () => {
    const written: string[] = [];
    return { written, stream: { isTTY: true, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream };
  };
  const progressOf = async (path: string) => new ReadProgress(await resolveInputs([repoPath(path)]));

  it('a read over a second shows the bytes and their share on a terminal, then clears the line', async () => {
    const progress = await progressOf('samples/python-mp-fork-pool/trace.log');
    const { written, stream } = terminal();
    await withProgress(
      progress,
      async () => {
        progress.counter.bytes = progress.totalBytes! / 2;
        await new Promise((resolve) => setTimeout(resolve, 1100));
        progress.secondRead();
        progress.counter.bytes = progress.totalBytes! / 4;
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
      stream,
    );
    assert.match(written[0]!, /^\r\x1b\[K(reading 50% \(0\.1 of 0\.2 MB\)|reading again to name the lock holders 25% \(0\.0 of 0\.2 MB\))$/);
    assert.ok(written.some((w) => w.includes('reading again to name the lock holders 25%')), written.join(' | '));
    assert.equal(written.at(-1), '\r\x1b[K');
  });

  it('nothing for work under a second, nor when the stream is no terminal', async () => {
    const progress = await progressOf('samples/python-mp-fork-pool/trace.log');
    const { written, stream } = terminal();
    await withProgress(progress, () => new Promise((resolve) => setTimeout(resolve, 100)), stream);
    assert.deepEqual(written, []);
    const piped = { isTTY: false, write: () => assert.fail('written to a pipe') } as unknown as NodeJS.WriteStream;
    await withProgress(progress, () => new Promise((resolve) => setTimeout(resolve, 1100)), piped);
  });

  it('a compressed file shows the bytes read alone (its size decompressed is not known)', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'forkscope-progress-'));
    try {
      const file = join(directory, 'trace.log.gz');
      writeFileSync(file, gzipSync(readFileSync(repoPath('samples/python-mp-fork-pool/trace.log'))));
      const progress = new ReadProgress(await resolveInputs([file]));
      progress.counter.bytes = 3 << 20;
      assert.equal(progress.describe(), 'reading 3.0 MB');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('analyze piped: nothing on stderr', () => {
    const run = runCli(['analyze', repoPath('samples/python-mp-fork-pool/trace.log')]);
    assert.equal(run.stderr, '');
  });
});
