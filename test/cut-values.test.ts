// strace cuts strings at -s (32 by default) and arrays at as many elements, marking the cut with
// `...`: `["/opt/python/3.11.7/bin"..., "pool.py"]` once read as a program called `bin`. A cut value
// keeps its `...` in every view, and `record` passes -s 4096 so that paths and argv stay whole.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveInputs } from '../parsers/index.js';
import { TraceIndex } from '../src/tui/trace-index.js';
import { analysisDocument, eventLines } from './helpers/json.js';
import { runCli } from './helpers/repo.js';

/** 40 arguments: strace prints 32 elements of an array, then `...`. */
const ARGS = ['pool.py', ...Array.from({ length: 39 }, (_, i) => `arg${i + 1}`)];

describe('a command line strace cut', () => {
  let scratch: string;
  let program: string;
  let log: string;
  /** What strace printed: the program's path cut at 32 characters, argv at 32 elements. */
  let cut: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'forkscope-cut-'));
    const bin = join(scratch, 'opt/python/3.11.7/bin');
    mkdirSync(bin, { recursive: true });
    program = join(bin, 'python3');
    copyFileSync('/bin/true', program);
    execFileSync('chmod', ['755', program]);
    log = join(scratch, 'cut.log');
    execFileSync('strace', ['-f', '-tt', '-T', '-o', log, program, ...ARGS]);
    cut = [`${program.slice(0, 32)}...`, ...ARGS.slice(0, 31), '...'].join(' ');
    assert.ok(readFileSync(log, 'utf8').includes(`["${program.slice(0, 32)}"..., "pool.py", `), 'strace cut the path');
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('--json: the process command keeps both cuts', () => {
    const document = analysisDocument(runCli(['analyze', '--json', log]).stdout);
    assert.equal(document.processes[0]?.command, cut);
  });

  it('the timeline, events --jsonl, export and the TUI keep them too', async () => {
    assert.ok(runCli(['timeline', log]).stdout.split('\n')[0]!.endsWith(`; ${cut}`));
    const exec = eventLines(runCli(['events', '--jsonl', log]).stdout).find((l) => l.name === 'execve') as { exec: { path: string; argv: string } };
    assert.deepEqual(exec.exec, { path: program, argv: cut });
    const names = (JSON.parse(runCli(['export', log]).stdout) as { traceEvents: { name: string; args?: { name?: string } }[] }).traceEvents
      .filter((e) => e.name === 'thread_name')
      .map((e) => e.args!.name!);
    // The comm of a cut path is its last part, marked: never `bin` as if it were the program.
    const comm = `${program.slice(0, 32).split('/').at(-1)}...`;
    assert.ok(names.length === 1 && names[0]!.startsWith(`${comm} `), names.join());
    const index = new TraceIndex(await resolveInputs([log]));
    await index.load();
    assert.equal(index.roots()[0]?.command, cut);
    index.dispose();
  });

  it('record passes strace -s 4096: the path and all 40 arguments stay whole', () => {
    const run = runCli(['record', '--json', '-o', join(scratch, 'rec'), '--', program, ...ARGS]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(analysisDocument(run.stdout).processes[0]?.command, [program, ...ARGS].join(' '));
  });
});
