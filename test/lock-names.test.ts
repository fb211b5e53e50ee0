// Naming the lock from the trace alone (issue 10 §2): the address map rebuilt from execve, openat,
// mmap and the RELRO mprotect, the symbols of the files on this machine, glibc's own locks, and
// the fix line. The programs' own sources say what the lock is: the global mutex they declare, the
// glibc function the thread is inside at the fork, a Python lock on the heap.

import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveInputs } from '../parsers/index.js';
import type { Analysis, InheritedLockFinding } from '../src/analysis/types.js';
import { analyzeTrace } from '../src/pipeline.js';
import { debugFileOf, readElf } from '../src/proc/elf.js';
import { analysisDocument } from './helpers/json.js';
import type { InheritedLockDocument } from './helpers/json.js';
import { repoPath, runCli } from './helpers/repo.js';

async function analyze(path: string, objectDirs: string[] = []): Promise<Analysis> {
  return analyzeTrace(await resolveInputs([repoPath(path)], {}), { objectDirs });
}

function hung(analysis: Analysis): InheritedLockFinding {
  const findings = analysis.findings.filter((f): f is InheritedLockFinding => f.kind === 'inherited-lock');
  assert.equal(findings.length, 1, JSON.stringify(analysis.findings));
  return findings[0]!;
}

const reasonFor = (analysis: Analysis, futex: string) => analysis.warnings.find((w) => w.message.startsWith(`the lock at ${futex} cannot be named:`))?.message;

const HELD = 'samples/c-mutex-held-at-fork';

describe('c-mutex-held-at-fork: the global mutex by its name, in every strace shape that shows the loading', () => {
  let work = '';
  /** The mutex the program declares: `static pthread_mutex_t NAME = ...`. */
  const mutexName = /pthread_mutex_t (\w+) =/.exec(readFileSync(repoPath(HELD, 'mutex-held-at-fork.c'), 'utf8'))![1]!;

  before(() => {
    // The recordings ran a build in a temporary directory, since removed: the same build made again
    // (gcc is deterministic), under both names the recordings used, stands in for it via --objects.
    work = mkdtempSync(join(tmpdir(), 'forkscope-locknames-'));
    execFileSync('gcc', ['-O0', '-pthread', '-o', join(work, 'mutex-held-at-fork'), repoPath(HELD, 'mutex-held-at-fork.c')]);
    copyFileSync(join(work, 'mutex-held-at-fork'), join(work, 'prog'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const shapes = ['trace-f.log', 'ff', ...['plain', 't', 'ttt', 'r', 'ttt-r', 'y', 'yy', 'k', 'x-raw', 'x-verbose', 'v-s200', 'qq', 'stderr'].map((s) => `shapes/${s}.log`)];
  for (const shape of shapes) {
    it(`${shape}: the child waits on \`${mutexName}\`+0 of the program, and the fix names it`, async () => {
      const analysis = await analyze(`${HELD}/${shape}`, [work]);
      const finding = hung(analysis);
      assert.ok(finding.lock, `named: ${reasonFor(analysis, finding.futex)}`);
      assert.equal(finding.lock.symbol, mutexName);
      assert.equal(finding.lock.offset, 0);
      assert.match(finding.lock.object, /\/(mutex-held-at-fork|prog)$/);
      assert.equal(finding.lock.glibc, null);
      assert.equal(finding.fix, `exec right after fork (or posix_spawn), or take \`${mutexName}\` in a pthread_atfork handler around the fork: docs/fixing.md#c`);
    });
  }

  it('-ff files without times (their order unknown): the child still has its parent\'s map', async () => {
    const untimed = join(work, 'untimed');
    mkdirSync(untimed);
    for (const file of readdirSync(repoPath(HELD, 'ff'))) {
      const text = readFileSync(repoPath(HELD, 'ff', file), 'utf8');
      writeFileSync(join(untimed, file), text.replace(/^[\d:.]+ /gm, '').replace(/ <[\d.]+>$/gm, ''));
    }
    const analysis = await analyzeTrace(await resolveInputs([untimed], {}), { objectDirs: [work] });
    assert.equal(hung(analysis).lock?.symbol, mutexName);
  });

  it('without the program on the machine: null, and a warning on the blocked line says so', async () => {
    const analysis = await analyze(`${HELD}/trace-f.log`);
    const finding = hung(analysis);
    assert.equal(finding.lock, null);
    const warning = analysis.warnings.find((w) => w.message.includes(finding.futex));
    assert.ok(warning);
    assert.match(warning.message, /the program \/tmp\/tmp\.\w+\/mutex-held-at-fork is not on this machine .*--objects DIR/);
    assert.equal(warning.line, finding.evidence.find((e) => e.role === 'blocked-forever')!.line);
    assert.equal(analysis.inputs[0]!.warnings, analysis.warnings.length, 'counted in inputs[].warnings');
    assert.equal(finding.fix, 'exec right after fork (or posix_spawn), or take the lock in a pthread_atfork handler around the fork: docs/fixing.md#c');
  });

  it('-e trace= without execve and mmap: null, and the warning says the trace does not show the program start', async () => {
    const analysis = await analyze(`${HELD}/shapes/trace-filter.log`, [work]);
    assert.equal(hung(analysis).lock, null);
    assert.match(reasonFor(analysis, hung(analysis).futex) ?? '', /does not show the program start \(no execve\)/);
  });

  it('another build under the program name is not believed', async () => {
    const other = mkdtempSync(join(tmpdir(), 'forkscope-locknames-other-'));
    try {
      // Same name, different program: its RELRO or its symbols do not fit the trace.
      execFileSync('gcc', ['-O0', '-pthread', '-o', join(other, 'mutex-held-at-fork'), repoPath('test/programs/daemonize.c')]);
      const analysis = await analyze(`${HELD}/trace-f.log`, [other]);
      assert.notEqual(hung(analysis).lock?.symbol, mutexName);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('the CLI: the headline names the lock, the report shows the fix, --json validates with lock and fix', () => {
    const text = runCli(['analyze', '--objects', work, `${HELD}/trace-f.log`]);
    assert.equal(text.status, 1, text.stderr);
    assert.match(text.stdout, /^HUNG {2}12484 \(child of 12481\) blocked forever on `lock` \(\/tmp\/tmp\.AhYMD7S3WD\/mutex-held-at-fork\+0x0\), held by 12482/m);
    assert.match(text.stdout, /^ {2}Fix: exec right after fork/m);
    const json = runCli(['analyze', '--json', '--objects', work, `${HELD}/trace-f.log`]);
    const document = analysisDocument<InheritedLockDocument>(json.stdout);
    assert.deepEqual(document.findings[0]!.lock, { symbol: 'lock', offset: 0, object: '/tmp/tmp.AhYMD7S3WD/mutex-held-at-fork', glibc: null });
  });
});

describe('c-abba: each lock of a cycle by its name', () => {
  it('the thread created first (ab: takes `a`, then waits for `b`) waits on `b`, the other on `a`; the fix names both', async () => {
    const work = mkdtempSync(join(tmpdir(), 'forkscope-locknames-abba-'));
    try {
      execFileSync('gcc', ['-O0', '-pthread', '-o', join(work, 'prog'), repoPath('samples/c-abba/abba.c')]);
      const analysis = await analyze('samples/c-abba/trace-f.log', [work]);
      const [cycle] = analysis.findings;
      assert.ok(cycle?.kind === 'lock-cycle');
      // What each thread printed: `thread TID holds ADDRESS wants ADDRESS`.
      const printed = readFileSync(repoPath('samples/c-abba/trace-f.out'), 'utf8');
      const wants = new Map([...printed.matchAll(/^thread (\d+) holds 0x[0-9a-f]+ wants (0x[0-9a-f]+)$/gm)].map((m) => [Number(m[1]), m[2]!]));
      const first = Math.min(...wants.keys());
      cycle.tids.forEach((tid, i) => {
        assert.equal(cycle.futexes[i], wants.get(tid));
        assert.equal(cycle.locks[i]?.symbol, tid === first ? 'b' : 'a', `thread ${tid}`);
      });
      assert.match(cycle.fix, /^take `[ab]` and `[ab]` in one order in every thread: docs\/fixing\.md#lock-order$/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("c-tzset-lock: glibc's own lock, held by a thread inside localtime_r at the fork", () => {
  const libc = '/lib/x86_64-linux-gnu/libc.so.6';
  const image = readElf(libc);
  // The recording's libc: the size its fstat showed. Another libc here cannot name the word.
  const sameLibc = image?.fileSize === 1926232;
  const debugSymbols = sameLibc && image.buildId !== null && existsSync(debugFileOf(image.buildId));

  for (const trace of ['trace-f.log', 'ff']) {
    it(`${trace}: the child (the pid the program printed) waits on tzset_lock, which glibc does not reset in the child`, async () => {
      const printed = readFileSync(repoPath('samples/c-tzset-lock', trace === 'ff' ? 'ff.out' : 'trace-f.out'), 'utf8');
      const analysis = await analyze(`samples/c-tzset-lock/${trace}`);
      const finding = hung(analysis);
      assert.equal(finding.pid, Number(/^child (\d+)$/m.exec(printed)![1]));
      if (debugSymbols) {
        assert.deepEqual(finding.lock, {
          symbol: 'tzset_lock',
          offset: 0,
          object: libc,
          glibc: { usedBy: 'tzset, localtime, mktime, strftime', resetInChild: false },
        });
        assert.match(finding.fix, /^glibc's `tzset_lock` \(tzset, localtime, mktime, strftime\) is not reset in a forked child: .*docs\/fixing\.md#glibc-locks$/);
      } else {
        assert.equal(finding.lock, null);
        const reason = reasonFor(analysis, finding.futex) ?? '';
        assert.match(reason, sameLibc ? /\.bss\+0x5e80 of \/lib\/x86_64-linux-gnu\/libc\.so\.6.*libc6-dbg/ : /not the one the trace mapped|not on this machine/);
      }
    });
  }
});

describe('python-lock-fork: a threading.Lock is on the heap', () => {
  it('lock null, the warning says the heap has no symbol, and the fix is the Python one', async () => {
    const analysis = await analyze('samples/python-lock-fork/trace-f.log');
    const finding = hung(analysis);
    assert.equal(finding.lock, null);
    assert.equal(reasonFor(analysis, finding.futex), `the lock at ${finding.futex} cannot be named: it is on the heap (memory from malloc), which has no symbol`);
    assert.match(finding.fix, /multiprocessing's "spawn" or "forkserver".*docs\/fixing\.md#python$/);
  });
});
