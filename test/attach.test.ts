// `forkscope attach` on live hung trees started here: the C mutex sample, a C program whose holder
// thread keeps the lock, the Python lock and the multiprocessing pool; --duration; a tree left by
// `record --keep-running`; the errors. Each program runs in its own process group with a marker in
// its environment, and everything marked is killed after each test, which asserts it was left as
// found (running, not stopped, not traced).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { buildSample, forkscope, killMarked, marked, markedProcesses, startHung } from './helpers/live.js';
import { repoPath } from './helpers/repo.js';
import { childrenOf, sleepSync } from '../src/proc/tree.js';
import { analysisDocument } from './helpers/json.js';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** The holder thread keeps the mutex for good: its TID (printed) is a live thread of the parent. */
const HOLDER_KEEPS_LOCK = `
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static void *holder(void *arg) {
  (void)arg;
  pthread_mutex_lock(&held_lock);
  printf("holder %ld\\n", (long)syscall(SYS_gettid));
  fflush(stdout);
  pause();
  return NULL;
}
int main(void) {
  pthread_t t;
  pthread_create(&t, NULL, holder, NULL);
  usleep(100 * 1000);
  pid_t child = fork();
  if (child == 0) { pthread_mutex_lock(&held_lock); _exit(0); }
  waitpid(child, NULL, 0);
  return 0;
}
`;

interface Doc {
  processes: { pid: number; parentPid: number | null; threads: number[]; state: string }[];
  findings: {
    pid: number;
    tid: number;
    futex: string;
    parentPid: number;
    holderTid: number | null;
    confidence: string;
    op: string;
    chain: { pid: number; waitsOn: string }[];
    explanation: string;
    source: string;
  }[];
}


function statusOf(pid: number): { state: string; tracer: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { state: /^State:\s*(\S)/m.exec(status)![1]!, tracer: Number(/^TracerPid:\s*(\d+)/m.exec(status)![1]) };
}

describe('forkscope attach', () => {
  let work: string;
  let cMutex: string;
  let holderKeeps: string;
  let program: ChildProcess | null = null;
  const { mark, env } = marked();
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'forkscope-attach-'));
    cMutex = buildSample('c-mutex-held-at-fork', work);
    writeFileSync(join(work, 'keeps.c'), HOLDER_KEEPS_LOCK);
    holderKeeps = join(work, 'keeps');
    execFileSync('gcc', ['-O0', '-pthread', '-o', holderKeeps, join(work, 'keeps.c')]);
  });
  afterEach(() => {
    // Attach must leave every target as it found it: sleeping, not stopped, not traced.
    for (const pid of markedProcesses(mark)) {
      const { state, tracer } = statusOf(pid);
      assert.ok(!/[tT]/.test(state), `${pid} left in state ${state}`);
      assert.equal(tracer, 0, `${pid} left traced`);
    }
    if (program) process.kill(-program.pid!, 'SIGKILL');
    program = null;
    killMarked(mark);
    for (let waited = 0; markedProcesses(mark).length > 0 && waited < 2000; waited += 50) sleepSync(50);
    assert.deepEqual(markedProcesses(mark), []);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('says likely, not confirmed, when the owner thread has exited: its TID proves nothing alone; names the lock and the wait chain', async () => {
    program = await startHung([cMutex], env);
    const root = program.pid!;
    const [child] = childrenOf(root);
    assert.ok(child);
    const run = await forkscope(['attach', '--json', String(root)], env);
    assert.equal(run.code, 1, run.stderr);
    const doc = analysisDocument<Doc>(run.stdout);
    assert.equal(doc.findings.length, 1, JSON.stringify(doc.findings, null, 1));
    const [finding] = doc.findings;
    assert.ok(finding);
    assert.equal(finding.source, 'proc');
    assert.equal(finding.pid, child);
    assert.equal(finding.parentPid, root);
    // The sample's holder thread unlocked in the parent after the fork and exited; the child's
    // copy still names it as __owner, but a TID no thread has any more proves nothing (TIDs wrap).
    assert.equal(finding.confidence, 'likely');
    assert.equal(finding.holderTid, null);
    assert.match(finding.explanation, /has exited, so \/proc cannot show whose thread it was/);
    assert.equal(finding.op, 'FUTEX_WAIT_PRIVATE');
    assert.match(finding.explanation, /= lock\+0x0 \(.*c-mutex-held-at-fork\)/);
    assert.deepEqual(finding.chain.map((l) => [l.pid, l.waitsOn]), [[root, `wait4 ${child}`]]);
    assert.deepEqual(
      doc.processes.map((p) => [p.pid, p.state]),
      [
        [root, 'waiting-child'],
        [child, 'blocked-futex'],
      ],
    );
  });

  it('confirms a holder that is still a live thread of the parent, and works given the hung child itself', async () => {
    const printed = join(work, 'keeps.out');
    program = await startHung([holderKeeps], env, 800, printed);
    const root = program.pid!;
    const [child] = childrenOf(root);
    const holder = Number(/^holder (\d+)$/m.exec(readFileSync(printed, 'utf8'))![1]);
    for (const target of [root, child]) {
      const run = await forkscope(['attach', '--json', String(target)], env);
      assert.equal(run.code, 1, run.stderr);
      const [finding] = analysisDocument<Doc>(run.stdout).findings;
      assert.ok(finding);
      assert.equal(finding.pid, child);
      assert.equal(finding.confidence, 'confirmed');
      assert.equal(finding.holderTid, holder);
      assert.match(finding.explanation, /held_lock\+0x0 \(.*keeps\)/);
      assert.match(finding.explanation, new RegExp(`a thread of the parent ${root}`));
    }
    const text = await forkscope(['attach', String(root)], env);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /futex FUTEX_WAIT_PRIVATE on 0x[0-9a-f]+ = held_lock\+0x0 .*\(word 2, __owner \d+\)/);
    assert.match(text.stdout, /HUNG/);
  });

  it('--duration watches with strace -p: nothing completes, nothing runs, and the tree is left as it was', async () => {
    program = await startHung([holderKeeps], env);
    const run = await forkscope(['attach', '--duration', '1', '--json', String(program.pid)], env);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /Watched 1(\.\d)? s with strace -p: no system call completed in the tree; no thread used any CPU time/);
    const [finding] = analysisDocument<Doc>(run.stdout).findings;
    assert.ok(finding);
    assert.match(finding.explanation, /no system call completed/);
    // afterEach checks that no process is left stopped or traced.
  });

  it('reports the Python child blocked on a threading.Lock semaphore as possible (no owner field)', async () => {
    program = await startHung([PYTHON, repoPath('samples/python-lock-fork/lock_fork.py')], env);
    const run = await forkscope(['attach', '--json', String(program.pid)], env);
    assert.equal(run.code, 1, run.stderr);
    const [finding] = analysisDocument<Doc>(run.stdout).findings;
    assert.ok(finding);
    assert.equal(finding.parentPid, program.pid);
    assert.equal(finding.op, 'FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME');
    assert.equal(finding.confidence, 'possible');
    assert.equal(finding.holderTid, null);
  });

  it("reads no __owner after glibc's own locks (bare words): the child on syslog_lock names the lock, not a holder", async () => {
    const printed = join(work, 'syslog.out');
    program = await startHung([buildSample('c-syslog-lock', work)], env, 800, printed);
    const children = [...readFileSync(printed, 'utf8').matchAll(/^child (\d+)$/gm)].map((m) => Number(m[1]));
    const run = await forkscope(['attach', '--json', String(program.pid)], env);
    assert.equal(run.code, 1, run.stderr);
    const [finding] = analysisDocument<Doc & { findings: { lock: { symbol: string } | null }[] }>(run.stdout).findings;
    assert.ok(finding);
    assert.equal(finding.pid, children.at(-1), 'the last worker the program started');
    assert.equal(finding.lock?.symbol, 'syslog_lock');
    // The bytes after syslog_lock in libc's .bss are syslog's other state: read as a mutex's
    // __owner they named a thread that never existed.
    assert.equal(finding.holderTid, null);
    assert.equal(finding.confidence, 'possible');
    assert.match(finding.explanation, /cannot show who held it/);
    assert.doesNotMatch(finding.explanation, /__owner/);
  });

  it('finds the two hung workers of the multiprocessing pool and not the busy parent', async () => {
    program = await startHung([PYTHON, repoPath('samples/python-mp-fork-pool/pool.py')], env, 2500);
    const run = await forkscope(['attach', '--json', String(program.pid)], env);
    assert.equal(run.code, 1, run.stderr);
    const doc = analysisDocument<Doc>(run.stdout);
    assert.equal(doc.findings.length, 2, JSON.stringify(doc.findings, null, 1));
    assert.ok(doc.findings.every((f) => f.parentPid === program!.pid && f.pid !== program!.pid));
  });

  it('examines the tree `record --keep-running` left behind', async () => {
    const dir = join(work, 'kept');
    const record = await forkscope(['record', '--keep-running', '--hang-timeout', '1', '-o', dir, '--', holderKeeps], env);
    assert.equal(record.code, 1, record.stderr);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    assert.equal(meta.keptRunning.length, 2);
    assert.deepEqual(markedProcesses(mark).filter((p) => meta.keptRunning.includes(p)).sort(), [...meta.keptRunning].sort());
    const run = await forkscope(['attach', '--json', String(meta.target.pid)], env);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(analysisDocument<Doc>(run.stdout).findings[0]!.confidence, 'confirmed');
  });

  it('reports nothing for a tree that is not hung (exit 0)', async () => {
    program = await startSleeper();
    const run = await forkscope(['attach', '--json', String(program.pid)], env);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(analysisDocument<Doc>(run.stdout).findings, []);
  });

  it('fails clearly with exit 2: no such pid, a kernel thread, not a pid', async () => {
    const gone = await forkscope(['attach', '4194303'], env);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /no process 4194303/);
    const kthread = await forkscope(['attach', '2'], env);
    assert.equal(kthread.code, 2);
    assert.match(kthread.stderr, /kernel thread/);
    const junk = await forkscope(['attach', 'abc'], env);
    assert.equal(junk.code, 2);
  });

  async function startSleeper(): Promise<ChildProcess> {
    const { spawn } = await import('node:child_process');
    const child = spawn('sleep', ['30'], { env, detached: true, stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    return child;
  }
});
