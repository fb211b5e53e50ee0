// Shapes of strace output seen in logs people post (issue 10 §5), one recognizer each: real
// recordings in samples/ where strace makes the shape, small hand-written pastes in test/fixtures
// where a terminal or an editor made it (test/fixtures/README.md). And input that cannot answer
// (empty, another format, ltrace, strace without -f: §4) is an error, never "no hang".

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { emptyStats, readTrace, resolveInputs } from '../parsers/index.js';
import { parseStraceLine } from '../parsers/strace-line.js';
import type { LineBody } from '../parsers/strace-line.js';
import { analyzeSources, analyzeTrace } from '../src/pipeline.js';
import type { SignalEvent, SyscallEvent, TraceEvent } from '../src/model/events.js';
import type { Analysis } from '../src/analysis/types.js';
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

/** Warnings about reading the trace: without those saying why a lock has no name (the program is not on this machine). */
const readingWarnings = (analysis: Analysis) => analysis.warnings.filter((w) => !w.message.startsWith('the lock at '));

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
    assert.deepEqual(readingWarnings(analysis), []);
    const [finding] = analysis.findings;
    assert.ok(finding?.kind === 'inherited-lock');
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

describe('never a false "no hang" (issue 10 §4): input that cannot answer exits 2 with one line', () => {
  /** exit 2, nothing on stdout, one line on stderr matching `pattern`. */
  function refuses(args: string[], pattern: RegExp, input?: string): void {
    const run = runCli(args, { input });
    assert.equal(run.status, 2, run.stdout + run.stderr);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, pattern);
  }

  it('an empty file, empty stdin, only blank lines: "TRACE is empty"', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'forkscope-shapes-'));
    try {
      const empty = join(scratch, 'trace.log');
      writeFileSync(empty, '');
      refuses(['analyze', empty], new RegExp(`${empty} is empty`));
      refuses(['analyze', '--json', '-'], /- \(stdin\) is empty/, '');
      refuses(['analyze', '-'], /- \(stdin\) is empty/, '\n  \n\t\n'.repeat(40));
      refuses(['analyze', '--format', 'strace', '-'], /- \(stdin\) is empty/, '\n\n');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("attach's watch log where nothing happened is no error: /proc's tree came first", async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'forkscope-shapes-'));
    try {
      const log = join(scratch, 'watch.log');
      writeFileSync(log, '');
      const at = { us: null, text: null, stream: 0, seq: 0, where: { file: '/proc', line: 0 } };
      const { analysis } = await analyzeSources([{ path: log, format: 'strace', files: [log] }], {
        prelude: [{ kind: 'task', tid: 4242, creatorTid: null, at }],
      });
      assert.deepEqual(analysis.processes.map((p) => p.pid), [4242]);
      await assert.rejects(analyzeSources([{ path: log, format: 'strace', files: [log] }]), /watch\.log is empty/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('--format that reads nothing names the format detected', () => {
    refuses(['analyze', '--format', 'bpftrace-csv', 'samples/c-mutex-held-at-fork/trace-f.log'], /none of its 87 lines reads as bpftrace-csv; it looks like strace/);
    refuses(['analyze', '--format', 'plash', 'samples/c-mutex-held-at-fork/trace-f.log'], /reads as plash; it looks like strace/);
    refuses(['analyze', '--format', 'strace', 'samples/python-mp-fork-pool/trace.csv'], /reads as strace; it looks like bpftrace-csv/);
  });

  it('ltrace output (recorded here): "looks like ltrace output; forkscope reads strace", detected or forced', () => {
    const ltrace = 'samples/c-mutex-held-at-fork/shapes/ltrace.log';
    refuses(['analyze', ltrace], /ltrace\.log: looks like ltrace output; forkscope reads strace/);
    refuses(['analyze', '--format', 'strace', ltrace], /looks like ltrace output; forkscope reads strace/);
    refuses(['timeline', ltrace], /looks like ltrace output/);
  });

  it('strace without -f (recorded here): the forked child has no line, the trace cannot show it', () => {
    refuses(['analyze', 'samples/c-mutex-held-at-fork/shapes/no-f.log'], /cannot show the forked child 8376: .*without -f.*strace -f -tt -T -o trace\.log/);
    refuses(['analyze', 'test/fixtures/parsers/waits-single.log'], /cannot show the forked children 4394, 4395, 4396/);
  });

  it('a -f trace where only some forked children have lines: a counted warning names the others', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'forkscope-shapes-'));
    try {
      // waits.log with the lines of child 4359 gone, as a paste may lose them.
      const lines = readFileSync(repoPath('test/fixtures/parsers/waits.log'), 'utf8').split('\n');
      const file = join(scratch, 'waits-part.log');
      writeFileSync(file, lines.filter((l) => !l.startsWith('4359 ')).join('\n'));
      const analysis = await analyzeTrace(await resolveInputs([file]));
      const unseen = analysis.warnings.filter((w) => /forked child 4359 has no line of its own/.test(w.message));
      assert.equal(unseen.length, 1, JSON.stringify(analysis.warnings));
      assert.equal(analysis.inputs[0]!.warnings, analysis.warnings.length);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('calls split over lines by a paste or the terminal', () => {
  it('joins a call with its rest on a later line, warns about a cut call nothing completes', async () => {
    const all = await events('test/fixtures/split-calls.log');
    const calls = all.filter((e): e is SyscallEvent => e.kind === 'syscall');
    const at = (line: number) => calls.find((c) => c.start.where.line === line)!;
    // The program's output ("hello") came between the call and its result.
    assert.deepEqual([at(4).tid, at(4).name, at(4).result?.value], [4401, 'write', 6]);
    // A result alone on its line: the wait a signal interrupted, not a wait that never returned.
    assert.deepEqual([at(10).tid, at(10).futex?.command, at(10).result?.errno], [4400, 'WAIT', 'ERESTARTSYS']);
    // Split inside a word.
    assert.deepEqual([at(12).futex?.command, at(12).futex?.private, at(12).result?.value], ['WAKE', true, 0]);
    assert.equal(at(14).result, null);
    // The trace ends inside wait4, as strace output does when strace is killed: no warning for it.
    assert.equal(at(16).result, null);
    const warned = all.filter((e) => e.kind === 'warning').map((w) => [w.where.line, w.message]);
    assert.deepEqual(warned, [[14, 'futex cut before its ")" and no later line completes it: read as never returned']]);
  });

  it('a recorded -ff file cut inside a call still reads as a call never returned, without a warning', async () => {
    const analysis = await analyzeTrace(await resolveInputs([repoPath('samples/c-mutex-held-at-fork/ff')]));
    assert.deepEqual(readingWarnings(analysis), []);
    assert.equal(analysis.findings.length, 1);
  });
});

describe('<... clone resumed> whose first half the log lacks', () => {
  it('tls= makes a thread; without flags or tls= the kind is unknown and a warning says so', async () => {
    const { tree, analysis } = await analyzeSources(await resolveInputs([repoPath('test/fixtures/clone-resumed-first-half-cut.log')]));
    assert.equal(tree.task(4379)?.createdAs, 'thread');
    assert.equal(tree.task(4379)?.process, tree.task(4378)?.process);
    assert.equal(tree.task(4380)?.createdAs, null);
    assert.equal(tree.task(4381)?.createdAs, 'process');
    const unknown = analysis.warnings.filter((w) => /whether 4380 is a thread or a process is unknown/.test(w.message));
    assert.deepEqual(unknown.map((w) => w.line), [2]);
    assert.ok(!analysis.warnings.some((w) => /whether 4379/.test(w.message)));
  });
});

describe('complete PlashGlibc logs: the top process unprefixed, then its cloned sections', () => {
  it('reads the top section as the process whose threads fork, however long it is; the seed excerpts still read', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'forkscope-shapes-'));
    try {
      const lines = readFileSync(repoPath('samples/plash-tst-fork1/complete.log'), 'utf8').split('\n');
      // 60 more lines of the top process before any section: past what detection looks at first.
      lines.splice(2, 0, ...Array.from({ length: 60 }, () => 'getpid()                                = 18968'));
      const file = join(scratch, 'long-top.log');
      writeFileSync(file, lines.join('\n'));
      for (const path of [repoPath('samples/plash-tst-fork1/complete.log'), file]) {
        const { analysis, tree } = await analyzeSources(await resolveInputs([path]));
        assert.equal(analysis.inputs[0]!.format, 'plash', path);
        assert.deepEqual(readingWarnings(analysis), [], path);
        assert.deepEqual(
          analysis.findings.map((f) => f.kind === 'inherited-lock' && [f.pid, f.parentPid, f.forkTid, f.holderTid, f.confidence]),
          [[18972, 18968, 18969, 18970, 'likely']],
        );
        assert.deepEqual(tree.task(18969)?.process?.threads.map((t) => t.tid), [18968, 18969, 18970]);
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    const excerpt = await analyzeTrace(await resolveInputs([repoPath('samples/plash-tst-fork1/tst-fork1.log')]));
    assert.deepEqual(excerpt.findings.map((f) => f.kind === 'inherited-lock' && [f.pid, f.parentPid, f.holderTid]), [[18972, null, 18970]]);
  });
});
