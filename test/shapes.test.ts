// Shapes of strace output seen in logs people post (issue 10 §5), one recognizer each: real
// recordings in samples/ where strace makes the shape, small hand-written pastes in test/fixtures
// where a terminal or an editor made it (test/fixtures/README.md).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyStats, readTrace, resolveInputs } from '../parsers/index.js';
import { parseStraceLine } from '../parsers/strace-line.js';
import type { LineBody } from '../parsers/strace-line.js';
import { analyzeSources, analyzeTrace } from '../src/pipeline.js';
import type { SignalEvent, SyscallEvent, TraceEvent } from '../src/model/events.js';
import { eventText } from '../src/model/format.js';
import { repoPath, runCli } from './helpers/repo.js';

async function events(path: string): Promise<TraceEvent[]> {
  const sources = await resolveInputs([repoPath(path)]);
  const all: TraceEvent[] = [];
  for await (const event of readTrace(sources, emptyStats(sources))) all.push(event);
  return all;
}

function body(text: string): LineBody {
  const parsed = parseStraceLine(text);
  assert.ok(!('error' in parsed), `${text}: ${JSON.stringify(parsed)}`);
  return parsed.body;
}

describe('-ttt with -r: the time, then the delta in parentheses', () => {
  it('reads the absolute time and the call', () => {
    const parsed = parseStraceLine('8306  1796223782.848289 (+     0.000515) brk(NULL) = 0x55ffdc0a1000');
    assert.ok(!('error' in parsed));
    assert.equal(parsed.pid, 8306);
    assert.deepEqual(parsed.time, { us: 1796223782848289, text: '1796223782.848289', relative: false });
    assert.equal(parsed.body.kind === 'call' && parsed.body.name, 'brk');
  });

  it('a real -f -ttt -r recording gives the hang its expected.json states, with times', async () => {
    const analysis = await analyzeTrace(await resolveInputs([repoPath('samples/c-mutex-held-at-fork/shapes/ttt-r.log')]));
    assert.deepEqual(analysis.warnings, []);
    const [finding] = analysis.findings;
    assert.ok(finding);
    assert.deepEqual([finding.pid, finding.holderTid, finding.confidence, finding.blockedSince], [8310, 8307, 'confirmed', '1796223782.967482']);
  });
});

describe('strace 4.x attach messages without "strace: "', () => {
  it('reads the pid of each form', () => {
    assert.deepEqual(body('Process 10853 attached - interrupt to quit'), {
      kind: 'message',
      text: 'Process 10853 attached - interrupt to quit',
      attached: 10853,
      startsRun: true,
    });
    const threads = body('Process 144517 attached with 611 threads');
    assert.equal(threads.kind === 'message' && threads.attached, 144517);
    const detached = body('Process 10853 detached');
    assert.equal(detached.kind === 'message' && detached.detached, 10853);
  });

  it('pasted strace -p runs keep each its own task, and the ^C the terminal echoed is not an argument', async () => {
    const all = await events('test/fixtures/pasted-p-sessions.log');
    const calls = all.filter((e): e is SyscallEvent => e.kind === 'syscall');
    assert.deepEqual(
      calls.map((c) => [c.tid, c.name, c.args]),
      [
        [10853, 'wait4', '10854,'],
        [10854, 'futex', '0x55d0c0a4e040, FUTEX_WAIT_PRIVATE, 2, NULL'],
      ],
    );
    assert.equal(calls[1]!.futex?.timed, false);
    assert.deepEqual(all.filter((e) => e.kind === 'warning'), []);
  });
});

describe('warnings and signals as shown', () => {
  it('a group-stop reads "stopped by SIGSTOP", not "SIGSTOP by SIGSTOP"', async () => {
    const stop = (await events('samples/c-mutex-held-at-fork-signalled/lock.log')).find(
      (e): e is SignalEvent => e.kind === 'signal' && e.stopped === true,
    );
    assert.ok(stop);
    assert.equal(stop.signal, 'SIGSTOP');
    assert.equal(eventText(stop), '--- stopped by SIGSTOP ---');
  });

  it('the "no clone in the trace" warning is counted in Warnings (N) and inputs[].warnings', async () => {
    const { analysis } = await analyzeSources(await resolveInputs([repoPath('samples/c-mutex-held-at-fork/shapes/seccomp-futex.log')]));
    assert.ok(analysis.warnings.some((w) => /no clone, clone3, fork or vfork/.test(w.message)));
    assert.equal(analysis.inputs[0]!.warnings, analysis.warnings.length);
    const run = runCli(['analyze', 'samples/c-mutex-held-at-fork/shapes/seccomp-futex.log']);
    assert.match(run.stdout, new RegExp(`Warnings \\(${analysis.warnings.length}\\):`));
  });
});
