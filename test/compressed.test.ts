// Compressed and piped input: every format read from .gz and .zst files (and from stdin) gives
// the same analysis as the plain file; an -ff set compressed file by file is still one trace; a cut
// compressed file is an error, not an empty trace; and `strace -o '|forkscope analyze -'` analyzes
// a real program while strace records it.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { processesInGroup } from './helpers/group.js';
import { analysisDocument } from './helpers/json.js';
import { buildSample } from './helpers/live.js';
import { CLI, repoPath, runCli } from './helpers/repo.js';

const COMPRESSORS = {
  gz: (data: Buffer) => gzipSync(data),
  // The zstd command (Debian's zstd package; .ci/run installs it).
  zst: (data: Buffer) => execFileSync('zstd', ['-q', '-c', '-'], { input: data, maxBuffer: 1 << 30 }),
};

/** One trace of each format, as a file or an -ff directory. */
const TRACES = [
  { name: 'strace -f log', path: 'samples/c-mutex-held-at-fork/trace-f.log' },
  { name: 'strace -ff files', path: 'samples/c-mutex-held-at-fork/ff' },
  { name: 'PlashGlibc log', path: 'samples/plash-tst-fork1/tst-fork1.log' },
  { name: 'bpftrace CSV', path: 'samples/python-mp-fork-pool/trace.csv' },
];

/** What the analysis says, without the file names (they differ by the compressed suffix). */
function gist(stdout: string) {
  const doc = analysisDocument(stdout);
  return {
    inputs: doc.inputs.map((i) => [i.format, i.lines, i.warnings]),
    processes: doc.processes,
    findings: doc.findings.map((f) => ({
      ...f,
      evidence: f.evidence.map((e) => [plainName(e.file), e.line, e.text]),
      chain: f.chain.map((l) => l.waitsOn),
      ...(f.kind === 'inherited-lock' && {
        holderCandidates: f.holderCandidates.map((c) => ({ ...c, line: c.line && [plainName(c.line.file), c.line.line] })),
      }),
    })),
  };
}

const plainName = (file: string) => basename(file).replace(/\.(gz|zst)$/, '');

describe('compressed traces', () => {
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'forkscope-compressed-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  /** `path` (a file, or a directory of -ff files) compressed file by file with `suffix`. */
  const compress = (path: string, suffix: keyof typeof COMPRESSORS): string => {
    const target = join(scratch, suffix, basename(path));
    mkdirSync(join(scratch, suffix), { recursive: true });
    if (!readdirSafe(repoPath(path))) {
      writeFileSync(`${target}.${suffix}`, COMPRESSORS[suffix](readFileSync(repoPath(path))));
      return `${target}.${suffix}`;
    }
    mkdirSync(target, { recursive: true });
    for (const name of readdirSafe(repoPath(path))!) {
      writeFileSync(join(target, `${name}.${suffix}`), COMPRESSORS[suffix](readFileSync(repoPath(path, name))));
    }
    return target;
  };

  for (const trace of TRACES) {
    for (const suffix of ['gz', 'zst'] as const) {
      it(`${trace.name} as .${suffix}: the same analysis and timeline as the plain file`, () => {
        const plain = runCli(['analyze', '--json', trace.path]);
        const packed = compress(trace.path, suffix);
        const compressed = runCli(['analyze', '--json', packed]);
        assert.equal(compressed.status, plain.status, compressed.stderr);
        assert.equal(compressed.stderr, plain.stderr);
        assert.deepEqual(gist(compressed.stdout), gist(plain.stdout));
        const plainTimeline = runCli(['timeline', trace.path]);
        const timeline = runCli(['timeline', packed]);
        assert.equal(timeline.status, plainTimeline.status);
        assert.equal(timeline.stdout.replaceAll(join(scratch, suffix), 'DIR').replaceAll(`.${suffix}`, ''), plainTimeline.stdout.replaceAll(dirname(trace.path), 'DIR'));
      });
    }
  }

  it('a gzip or zstd trace on stdin', () => {
    const log = readFileSync(repoPath('samples/plash-tst-fork1/tst-fork1.log'));
    for (const compressor of Object.values(COMPRESSORS)) {
      const run = runCli(['analyze', '--json', '-'], { input: compressor(log) });
      assert.equal(run.status, 1, run.stderr);
      assert.deepEqual(gist(run.stdout).findings.map((f) => [f.pid, 'holderTid' in f ? f.holderTid : null]), [[18972, 18970]]);
    }
  });

  it('a cut gzip or zstd file is an error naming the file, not a shorter trace', () => {
    const log = readFileSync(repoPath('samples/python-lock-fork/trace-f.log'));
    for (const [suffix, compressor] of Object.entries(COMPRESSORS)) {
      const packed = compressor(log);
      const cut = join(scratch, `cut.log.${suffix}`);
      writeFileSync(cut, packed.subarray(0, Math.floor(packed.length / 2)));
      const run = runCli(['analyze', cut]);
      assert.equal(run.status, 2);
      assert.match(run.stderr, new RegExp(`^forkscope: ${cut}: cannot decompress \\((gzip|zstd)\\) at byte \\d+ of the file: .+\\n$`));
      assert.equal(run.stdout, '');
    }
  });
});

describe("strace -o '|forkscope analyze -'", () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'forkscope-strace-pipe-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('analyzes the program strace records once it is ended: the hung child, exit 1', async () => {
    const program = buildSample('c-mutex-held-at-fork', work);
    const out = join(work, 'report.json');
    const code = join(work, 'code');
    // strace runs the pipe's command with sh; the report and forkscope's exit code go to files.
    const pipe = `|${process.execPath} ${CLI} analyze --json - > ${out}; echo $? > ${code}`;
    const strace = spawn('strace', ['-f', '-tt', '-T', '-o', pipe, program], { detached: true, stdio: 'ignore' });
    const pgid = strace.pid!;
    const ended = new Promise<void>((resolve) => strace.on('close', () => resolve()));
    try {
      // The hang is in place once the child sits in futex (syscall 202 on x86_64) for a moment.
      await waitFor(() => programPids(program).some((pid) => inFutex(pid)), 20_000);
      await new Promise((resolve) => setTimeout(resolve, 800));
      // Ending the program (not strace): strace sees its tasks die, closes the pipe, and forkscope reads to its end.
      for (const pid of programPids(program)) process.kill(pid, 'SIGKILL');
      // The bound must not keep the test file alive once the race is won (unref).
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 60_000).unref())]);
      await waitFor(() => existsSync(code) && readFileSync(code, 'utf8').endsWith('\n'), 30_000);
      assert.equal(readFileSync(code, 'utf8').trim(), '1');
      const doc = analysisDocument(readFileSync(out, 'utf8'));
      assert.equal(doc.inputs[0]?.path, '-');
      assert.equal(doc.findings.length, 1);
      const [finding] = doc.findings;
      assert.ok(finding);
      assert.equal(finding.confidence, 'confirmed');
      assert.deepEqual(finding.chain.map((l) => l.waitsOn), [`wait4 ${finding.pid}`]);
    } finally {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await waitFor(() => processesInGroup(pgid).length === 0, 5000);
  });
});

function readdirSafe(path: string): string[] | null {
  try {
    return readdirSync(path);
  } catch {
    return null;
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    assert.ok(Date.now() < deadline, `not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Live processes running `program`. */
function programPids(program: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === program && !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    })
    .map(Number);
}

function inFutex(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).some((tid) => readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').startsWith('202 '));
  } catch {
    return false;
  }
}
