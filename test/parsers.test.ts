// The parsers on real traces: every strace shape of samples/c-mutex-held-at-fork (facts checked
// against its expected.json), the -ff files, the seed 002 PlashGlibc log, the small recordings of
// test/fixtures/parsers (waits, futex ops, -Y -i -n, no -f, -ff -r, a thread's execve, strace -p
// detaching); single lines in every form strace prints; bad input (file:line warnings, the rest
// still read); input resolution; and a randomized check that no input makes a parser throw.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { emptyStats, readTrace, resolveInputs } from '../parsers/index.js';
import type { InputStats, TraceSource } from '../parsers/index.js';
import { MAX_LINE_BYTES, readLines } from '../parsers/lines.js';
import { decodeClone, decodeExec, decodeFutex, decodeWait, parseStraceLine } from '../parsers/strace-line.js';
import { splitArgs } from '../src/model/format.js';
import type { LineBody, ParsedLine } from '../parsers/strace-line.js';
import type { ExitEvent, SyscallEvent, TaskEvent, TraceEvent, WarningEvent } from '../src/model/events.js';
import { REPO, repoPath } from './helpers/repo.js';

interface Read {
  sources: TraceSource[];
  stats: InputStats[];
  events: TraceEvent[];
}

async function readAll(paths: string[], format?: TraceSource['format']): Promise<Read> {
  const sources = await resolveInputs(paths, { format });
  const stats = emptyStats(sources);
  const events: TraceEvent[] = [];
  for await (const event of readTrace(sources, stats)) events.push(event);
  return { sources, stats, events };
}

const read = (...paths: string[]) => readAll(paths.map((p) => repoPath(p)));

const syscalls = (events: TraceEvent[]) => events.filter((e): e is SyscallEvent => e.kind === 'syscall');
const exits = (events: TraceEvent[]) => events.filter((e): e is ExitEvent => e.kind === 'exit');
const warnings = (events: TraceEvent[]) => events.filter((e): e is WarningEvent => e.kind === 'warning');
const tasks = (events: TraceEvent[]) => events.filter((e): e is TaskEvent => e.kind === 'task');

/** The first line of a file matching `pattern`: its 1-based number and match. */
function findLine(path: string, pattern: RegExp): { line: number; match: RegExpExecArray } {
  const lines = readFileSync(repoPath(path), 'utf8').split('\n');
  for (const [i, text] of lines.entries()) {
    const match = pattern.exec(text);
    if (match) return { line: i + 1, match };
  }
  throw new Error(`${path}: no line matches ${pattern}`);
}

/** The one call that starts on `line`. */
function callAt(events: TraceEvent[], line: number): SyscallEvent {
  const found = syscalls(events).filter((c) => c.start.where.line === line);
  assert.equal(found.length, 1, `one call starts on line ${line}`);
  return found[0]!;
}

function parsed(text: string, withPid = true): ParsedLine {
  const result = parseStraceLine(text, withPid);
  assert.ok(!('error' in result), `${text}: ${'error' in result ? result.error : ''}`);
  return result;
}

function body<K extends LineBody['kind']>(text: string, kind: K, withPid = true): Extract<LineBody, { kind: K }> {
  const line = parsed(text, withPid);
  assert.equal(line.body.kind, kind, text);
  return line.body as Extract<LineBody, { kind: K }>;
}

const scratch = mkdtempSync(join(tmpdir(), 'forkscope-parsers-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let scratchFiles = 0;
function scratchFile(content: string | Buffer, name = `trace-${scratchFiles++}.log`): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

describe('line reader', () => {
  it('numbers lines, gives byte offsets, drops CR of CRLF, keeps a last line without newline', async () => {
    const file = scratchFile(Buffer.from('é1\r\nsecond\n\nlast', 'utf8'));
    const lines = [];
    for await (const line of readLines(file)) lines.push(line);
    assert.deepEqual(
      lines.map((l) => [l.text, l.line, l.offset, l.truncated]),
      [
        ['é1', 1, 0, false],
        ['second', 2, 5, false],
        ['', 3, 12, false],
        ['last', 4, 13, false],
      ],
    );
  });

  it('reads from a byte offset, decodes invalid UTF-8 as U+FFFD, and cuts a runaway line', async () => {
    const long = 'x'.repeat(MAX_LINE_BYTES + 5000);
    const file = scratchFile(Buffer.concat([Buffer.from('a\n'), Buffer.from([0xff, 0xfe, 0x41, 0x0a]), Buffer.from(`${long}\nafter\n`)]));
    const lines = [];
    for await (const line of readLines(file, { start: 2, firstLine: 2, chunkBytes: 4096 })) lines.push(line);
    assert.equal(lines[0]!.text, '\ufffd\ufffdA');
    assert.equal(lines[0]!.line, 2);
    assert.equal(lines[1]!.truncated, true);
    assert.equal(lines[1]!.text.length, MAX_LINE_BYTES);
    assert.deepEqual([lines[2]!.text, lines[2]!.line, lines[2]!.offset], ['after', 4, 6 + long.length + 1]);
    const reopened = [];
    for await (const line of readLines(file, { start: 2, firstLine: 2, chunkBytes: 4096, reopen: true })) reopened.push(line);
    assert.deepEqual(reopened, lines);
  });
});

describe('one strace line', () => {
  it('reads the pid column in every form', () => {
    assert.equal(parsed('1234  futex(0x1, FUTEX_WAKE, 1) = 0').pid, 1234);
    assert.equal(parsed('[pid  1234] futex(0x1, FUTEX_WAKE, 1) = 0').pid, 1234);
    assert.equal(parsed('[pid 12603] <... rseq resumed>) = 0').pid, 12603);
    assert.equal(parsed('24965<sh> wait4(-1, NULL, WNOHANG, NULL) = 0').pid, 24965);
    assert.equal(parsed('futex(0x1, FUTEX_WAKE, 1) = 0').pid, null);
    // A file of one task (-ff) has no pid column: a leading number there is garbage.
    assert.ok('error' in parseStraceLine('5 futex(0x1, FUTEX_WAKE, 1) = 0', false));
  });

  it('reads every timestamp form', () => {
    assert.deepEqual(parsed('1234 03:10:21 brk(NULL) = 0x1').time, { us: 11421e6, text: '03:10:21', relative: false });
    assert.deepEqual(parsed('1234  03:10:27.286226 brk(NULL) = 0x1').time, { us: 11427286226, text: '03:10:27.286226', relative: false });
    assert.deepEqual(parsed('1795576223.271432 brk(NULL) = 0x1').time, { us: 1795576223271432, text: '1795576223.271432', relative: false });
    assert.deepEqual(parsed('12521      0.001139 brk(NULL) = 0x1').time, { us: 1139, text: '0.001139', relative: true });
    assert.deepEqual(parsed('     0.000012 brk(NULL) = 0x1', false).time, { us: 12, text: '0.000012', relative: true });
    assert.equal(parsed('1234 12:00:00.123456789 brk(NULL) = 0x1').time?.us, 43200123456);
    assert.equal(parsed('4384<waits> [  61] [00007f97e61d6bd3] wait4(1, NULL, 0, NULL) = 1').body.kind, 'call');
  });

  it('splits the result from the arguments whatever the arguments hold', () => {
    const write = body('1234 write(1, "a) = b \\" ) = c", 5) = 5 <0.000010>', 'call');
    assert.equal(write.args, '1, "a) = b \\" ) = c", 5');
    assert.deepEqual(write.result, { raw: '5', value: 5, errno: null });
    assert.equal(write.durationUs, 10);
    const nested = body('msgsnd(3, {msg_iov(1)=[{"x)", 1}], /* comment ) */ ...}, MSG_NOSIGNAL) = 36', 'call');
    assert.equal(nested.args, '3, {msg_iov(1)=[{"x)", 1}], /* comment ) */ ...}, MSG_NOSIGNAL');
    const mmap = body('mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, -1, 0) = 0x7f7297e1e000', 'call');
    assert.equal(mmap.result.value, 0x7f7297e1e000);
    const eagain = body('futex(0x1, FUTEX_WAIT_PRIVATE, 2, NULL) = -1 EAGAIN (Resource temporarily unavailable) <unavailable>', 'call');
    assert.deepEqual([eagain.result.value, eagain.result.errno, eagain.durationUs], [-1, 'EAGAIN', null]);
    const restart = body('futex(0x1, FUTEX_WAIT_PRIVATE, 2, NULL) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)', 'call');
    assert.deepEqual([restart.result.value, restart.result.errno], [null, 'ERESTARTSYS']);
    const died = body('exit_group(0) = ?', 'call');
    assert.deepEqual(died.result, { raw: '?', value: null, errno: null });
    const withPath = body('openat(AT_FDCWD</x>, "/etc/ld.so.cache", O_RDONLY) = 3</etc/ld.so.cache> <0.000034>', 'call');
    assert.deepEqual([withPath.result.value, withPath.result.raw, withPath.durationUs], [3, '3</etc/ld.so.cache>', 34]);
  });

  it('reads both halves of an interrupted call, old and new syntax', () => {
    assert.deepEqual(body('[pid  1234] futex(0x7f00, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>', 'unfinished'), {
      kind: 'unfinished',
      name: 'futex',
      args: '0x7f00, FUTEX_WAIT_PRIVATE, 2, NULL',
    });
    assert.equal(body('4411  futex(0x5, FUTEX_WAIT_PRIVATE, 2, NULL <detached ...>', 'unfinished').args, '0x5, FUTEX_WAIT_PRIVATE, 2, NULL');
    assert.equal(body('restart_syscall(<... resuming interrupted read ...> <unfinished ...>', 'unfinished').name, 'restart_syscall');
    // A -ff file cut when strace was killed: no ")" and no marker.
    assert.equal(body('futex(0x556c7d3d6080, FUTEX_WAIT_PRIVATE, 2, NULL', 'unfinished', false).args, '0x556c7d3d6080, FUTEX_WAIT_PRIVATE, 2, NULL');
    const resumed = body('1234 <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 18973 <0.5>', 'resumed');
    assert.deepEqual([resumed.name, resumed.args, resumed.result?.value, resumed.durationUs], [
      'wait4',
      '[{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL',
      18973,
      500000,
    ]);
    const old = body('<... futex resumed> ) = -1 EAGAIN (Resource temporarily unavailable)', 'resumed');
    assert.deepEqual([old.args, old.result?.errno], ['', 'EAGAIN']);
    // The second half of a call split inside a structure: its closers have no opener on this line.
    assert.equal(body('<... clone3 resumed> => {parent_tid=[4340]}, 88) = 4340', 'resumed').args, '=> {parent_tid=[4340]}, 88');
  });

  it('reads signals, exits, stack frames and strace messages', () => {
    assert.deepEqual(body('1 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=2} ---', 'signal'), {
      kind: 'signal',
      signal: 'SIGCHLD',
      info: '{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=2}',
    });
    assert.deepEqual(body('--- SIGCHLD (Child exited) @ 0 (0) ---', 'signal').info, '(Child exited) @ 0 (0)');
    assert.equal(body('--- stopped by SIGTTOU ---', 'signal').signal, 'SIGTTOU');
    assert.deepEqual(body('1 +++ exited with 3 +++', 'exit').status, { code: 3 });
    assert.deepEqual(body('1 +++ killed by SIGKILL +++', 'exit').status, { signal: 'SIGKILL' });
    assert.deepEqual(body('1 +++ killed by SIGSEGV (core dumped) +++', 'exit').status, { signal: 'SIGSEGV', coreDumped: true });
    assert.deepEqual(body('4409 +++ superseded by execve in pid 4410 +++', 'exit'), { kind: 'exit', status: null, supersededBy: 4410 });
    assert.equal(
      body(' > /lib/x86_64-linux-gnu/libc.so.6(__lll_lock_wait_private+0x2e) [0x8f6ee]', 'stack').frame,
      '/lib/x86_64-linux-gnu/libc.so.6(__lll_lock_wait_private+0x2e) [0x8f6ee]',
    );
    assert.equal(body('strace: Process 4411 attached with 2 threads', 'message').attached, 4411);
    assert.equal(body('strace: Process 4413 detached', 'message').detached, 4413);
    assert.equal(body('strace: [ Process PID=12 runs in x32 mode. ]', 'message').attached, undefined);
    assert.equal(parsed('   ').body.kind, 'blank');
  });

  it('says what is wrong with a line that is not strace output', () => {
    for (const bad of ['fork() can deadlock', 'garbage', '+++ exited +++', '--- SIGCHLD', '<... futex', '>x', 'exit(0) garbage', '<... futex resumed> no paren']) {
      const result = parseStraceLine(bad);
      assert.ok('error' in result, bad);
    }
  });

  it('splits arguments at top-level commas only', () => {
    assert.deepEqual(splitArgs('0x1, FUTEX_WAIT, 2, {tv_sec=0, tv_nsec=1}, "a,b", [1, 2], f(3, 4) /* x, y */'), [
      '0x1',
      'FUTEX_WAIT',
      '2',
      '{tv_sec=0, tv_nsec=1}',
      '"a,b"',
      '[1, 2]',
      'f(3, 4) /* x, y */',
    ]);
  });
});

describe('decoded calls', () => {
  it('futex: the op in every form strace prints it', () => {
    const forms = ['FUTEX_WAIT_PRIVATE', '0x80 /* FUTEX_??? */', '0x80 /* FUTEX_WAIT_PRIVATE */', '0x80', '128'];
    for (const op of forms) {
      const futex = decodeFutex(`0x2B79A1B1E2C0, ${op}, 2, NULL`);
      assert.deepEqual(
        [futex?.address, futex?.command, futex?.private, futex?.value, futex?.timed],
        ['0x2b79a1b1e2c0', 'WAIT', true, 2, false],
        op,
      );
    }
    assert.equal(decodeFutex('0x1, 0x81 /* FUTEX_??? */, 1')?.command, 'WAKE');
    assert.equal(decodeFutex('0x1, FUTEX_WAIT, 0, {0, 300000000}')?.timed, true);
    assert.equal(decodeFutex('uaddr=0x1, futex_op=FUTEX_WAIT_PRIVATE, val=2, timeout={tv_sec=1, tv_nsec=0}')?.timed, true);
    const bitset = decodeFutex('0x1, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 1, {tv_sec=1, tv_nsec=2}, FUTEX_BITSET_MATCH_ANY');
    assert.deepEqual([bitset?.command, bitset?.clockRealtime, bitset?.timed], ['WAIT_BITSET', true, true]);
    // LOCK_PI has no val: strace 5+ prints the timeout third; strace 4 printed a val there.
    assert.deepEqual([decodeFutex('0x1, FUTEX_LOCK_PI_PRIVATE, NULL')?.timed, decodeFutex('0x1, FUTEX_LOCK_PI, 0')?.timed], [false, false]);
    assert.equal(decodeFutex('0x1, FUTEX_LOCK_PI_PRIVATE, {tv_sec=1, tv_nsec=0}')?.timed, true);
    assert.equal(decodeFutex('0x1, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2147483647, 0x2, 0')?.address2, '0x2');
    assert.equal(decodeFutex('0x1, FUTEX_WAKE_PRIVATE, 1')?.address2, null);
    assert.equal(decodeFutex('0x1, SOMETHING_ELSE, 1'), undefined);
  });

  it('clone: flags symbolic, -X raw and -X verbose; clone3; fork and vfork; unknown flags', () => {
    const thread = decodeClone('clone', 'child_stack=0x7f, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, parent_tid=0x1');
    assert.equal(thread?.creates, 'thread');
    const raw = decodeClone('clone', 'child_stack=NULL, flags=0x1200000|17, child_tidptr=0x7f41ac360a10');
    assert.deepEqual(raw?.flags, ['CLONE_CHILD_CLEARTID', 'CLONE_CHILD_SETTID', 'SIGCHLD']);
    assert.equal(raw?.creates, 'process');
    assert.equal(decodeClone('clone3', '{flags=0x3d0f00, child_tid=0x7f41ac35f990, exit_signal=0} => {parent_tid=[12554]}, 88')?.creates, 'thread');
    assert.equal(decodeClone('clone3', '{flags=0x10000 /* CLONE_THREAD */, exit_signal=0}, 88')?.creates, 'thread');
    assert.equal(decodeClone('clone', '0x1200011, 0x7f00, NULL')?.creates, 'process');
    assert.equal(decodeClone('clone', '0x10000|0x100, 0x7f00, NULL')?.creates, 'thread');
    assert.deepEqual(decodeClone('clone3', '0x7ffc0000, 88'), { syscall: 'clone3', flags: null, creates: null });
    assert.equal(decodeClone('clone', 'child_stack=NULL, flags=CLONE_VM|weird stuff')?.creates, null);
    assert.deepEqual(decodeClone('vfork', ''), { syscall: 'vfork', flags: null, creates: 'process' });
    assert.equal(decodeClone('fork', '')?.creates, 'process');
    assert.equal(decodeClone('write', '1, "x", 1'), undefined);
  });

  it('wait4, waitpid and waitid: the pid argument and the reported status', () => {
    assert.deepEqual(decodeWait('wait4', '18973, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL'), {
      syscall: 'wait4',
      pid: 18973,
      status: { code: 3 },
    });
    assert.deepEqual(decodeWait('wait4', '-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], 0, NULL')?.status, { signal: 'SIGKILL' });
    assert.deepEqual(decodeWait('wait4', '-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGABRT && WCOREDUMP(s)}], 0, NULL')?.status, {
      signal: 'SIGABRT',
      coreDumped: true,
    });
    assert.deepEqual(decodeWait('wait4', '12, [0x300], 0, NULL')?.status, { code: 3 });
    assert.deepEqual(decodeWait('wait4', '12588,'), { syscall: 'wait4', pid: 12588, status: null });
    assert.deepEqual(decodeWait('waitpid', '4385<waits>, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0')?.pid, 4385);
    const forms = [
      'P_PID, 24878, {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=24878, si_uid=0, si_status=SIGKILL, si_utime=0}, WEXITED, NULL',
      '0x1 /* P_PID */, 24878, {si_signo=17 /* SIGCHLD */, si_code=0x2 /* CLD_KILLED */, si_pid=24878, si_status=9 /* SIGKILL */}, 0x4, NULL',
      '0x1, 24878, {si_signo=17, si_code=0x2, si_pid=24878, si_uid=0, si_status=9, si_utime=0}, 0x4, NULL',
    ];
    for (const args of forms) assert.deepEqual(decodeWait('waitid', args), { syscall: 'waitid', pid: 24878, status: { signal: 'SIGKILL' } }, args);
    assert.deepEqual(decodeWait('waitid', 'P_PID, 7, {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=7, si_status=5}, WEXITED, NULL')?.status, { code: 5 });
    assert.deepEqual(decodeWait('waitid', 'P_ALL, 0, {si_signo=SIGCHLD, si_code=CLD_DUMPED, si_pid=7, si_status=SIGSEGV}, WEXITED, NULL'), {
      syscall: 'waitid',
      pid: -1,
      status: { signal: 'SIGSEGV', coreDumped: true },
    });
    assert.equal(decodeWait('waitid', 'P_PGID, 40, 0x7ffc, WEXITED, NULL')?.pid, -40);
  });

  it('execve: the path and argv', () => {
    assert.deepEqual(decodeExec('execve', '"/bin/true", ["true", "a b"], 0x7ffe /* 39 vars */'), { path: '/bin/true', argv: 'true a b' });
    // What strace cut (-s) keeps its `...`: a string, and an array past its 32nd element.
    assert.deepEqual(decodeExec('execve', '"/tmp/x", ["/tmp/tmp.AhYMD7S3WD/mutex-held-a"...], 0x7ffc'), {
      path: '/tmp/x',
      argv: '/tmp/tmp.AhYMD7S3WD/mutex-held-a...',
    });
    assert.deepEqual(decodeExec('execve', '"/opt/python/3.11.7/bin/python3"..., ["/opt/python/3.11.7/bin"..., "pool.py", ...], 0x7ffc'), {
      path: '/opt/python/3.11.7/bin/python3...',
      argv: '/opt/python/3.11.7/bin... pool.py ...',
    });
    assert.equal(decodeExec('execveat', 'AT_FDCWD, "/bin/sh", ["sh"], NULL, 0')?.path, '/bin/sh');
  });
});

interface Hung {
  pid: number;
  futex: string;
  forkTid: number;
  holderTid: number;
}

const held = 'samples/c-mutex-held-at-fork';
const expected: Record<string, { hung: Hung[] }> = JSON.parse(readFileSync(repoPath(held, 'expected.json'), 'utf8'));

const TIMED_SHAPES = new Set(['trace-f.log', 'shapes/t.log', 'shapes/ttt.log', 'shapes/ttt-r.log', 'shapes/r.log', 'shapes/y.log', 'shapes/yy.log']);

describe('strace -f logs: every shape of the C mutex held at fork', () => {
  const shapes = Object.keys(expected).filter((name) => name !== 'ff' && expected[name]!.hung.length > 0);

  for (const shape of shapes) {
    it(`${shape}: the child's inherited-lock wait, its fork, the holder thread's creation, main's wait4`, async () => {
      const { events, stats } = await read(`${held}/${shape}`);
      const [hung] = expected[shape]!.hung;
      assert.ok(hung);
      assert.equal(stats[0]!.format, 'strace');
      assert.equal(stats[0]!.warnings, 0, JSON.stringify(warnings(events).slice(0, 3)));
      assert.equal(stats[0]!.lines, readFileSync(repoPath(held, shape), 'utf8').trimEnd().split('\n').length);
      const calls = syscalls(events);

      const childWait = calls.find((c) => c.tid === hung.pid && c.futex?.address === hung.futex);
      assert.ok(childWait, 'the child waits on the word');
      assert.deepEqual(
        [childWait.futex?.command, childWait.futex?.private, childWait.futex?.value, childWait.futex?.timed, childWait.result, childWait.end],
        ['WAIT', true, 2, false, null, null],
      );
      const fork = calls.find((c) => c.tid === hung.forkTid && c.clone && c.result?.value === hung.pid);
      assert.equal(fork?.clone?.creates, 'process');
      assert.ok(fork?.clone?.flags?.includes('SIGCHLD'));
      const holderCreation = calls.find((c) => c.tid === hung.forkTid && c.clone && c.result?.value === hung.holderTid);
      assert.equal(holderCreation?.clone?.creates, 'thread');
      const wait = calls.find((c) => c.tid === hung.forkTid && c.wait);
      assert.deepEqual([wait?.wait?.pid, wait?.result], [hung.pid, null]);
      // The holder's unlock hands the lock to the contending thread: a wake that woke one.
      assert.ok(calls.some((c) => c.tid === hung.holderTid && c.futex?.command === 'WAKE' && c.futex.address === hung.futex && c.result?.value === 1));

      // Only the stream's file order (and the time, when the log has one) orders events.
      assert.equal(new Set(events.map((e) => (e.kind === 'warning' ? -1 : e.kind === 'syscall' ? e.start.stream : e.at.stream))).size, 1);
      const stamped = calls.map((c) => [c.start.where.line, c.start.us] as const).sort((a, b) => a[0] - b[0]);
      if (TIMED_SHAPES.has(shape)) {
        for (let i = 1; i < stamped.length; i++) assert.ok(stamped[i]![1]! >= stamped[i - 1]![1]!, `times grow with lines (line ${stamped[i]![0]})`);
      } else {
        assert.ok(stamped.every(([, us]) => us === null));
      }
    });
  }

  it('joins <unfinished ...> and <... resumed> of one task into one call: both lines, both times, args joined', async () => {
    const log = `${held}/trace-f.log`;
    const [hung] = expected['trace-f.log']!.hung;
    assert.ok(hung);
    const { events } = await read(log);
    const start = findLine(log, new RegExp(`^${hung.holderTid} +(\\S+) futex\\(${hung.futex}, FUTEX_WAKE_PRIVATE, 1 <unfinished`));
    const end = findLine(log, new RegExp(`^${hung.holderTid} +(\\S+) <\\.\\.\\. futex resumed>\\) += 1 <([\\d.]+)>`));
    const wake = callAt(events, start.line);
    assert.equal(wake.end?.where.line, end.line);
    assert.deepEqual([wake.start.text, wake.end?.text], [start.match[1], end.match[1]]);
    assert.equal(wake.args, `${hung.futex}, FUTEX_WAKE_PRIVATE, 1`);
    assert.equal(wake.durationUs, Math.round(Number(end.match[2]) * 1e6));
    assert.ok(wake.end!.us! > wake.start.us!);
  });

  it('-r: the deltas are summed into times; -ttt: the epoch; -t: the time of day', async () => {
    const deltas = readFileSync(repoPath(held, 'shapes/r.log'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => Math.round(Number(/^\d+ +(\d+\.\d+) /.exec(line)![1]) * 1e6));
    const r = await read(`${held}/shapes/r.log`);
    const last = exits(r.events).at(-1)!;
    assert.equal(last.at.where.line, deltas.length);
    assert.equal(last.at.us, deltas.reduce((a, b) => a + b, 0));
    const ttt = await read(`${held}/shapes/ttt.log`);
    const first = syscalls(ttt.events)[0];
    assert.ok(first);
    assert.equal(first.start.us, Math.round(Number(first.start.text) * 1e6));
    const t = await read(`${held}/shapes/t.log`);
    const firstT = syscalls(t.events)[0];
    assert.ok(firstT);
    const [h, m, s] = firstT.start.text!.split(':').map(Number);
    assert.ok(h);
    assert.ok(m);
    assert.ok(s);
    assert.equal(firstT.start.us, ((h * 60 + m) * 60 + s) * 1e6);
  });

  it('-X raw and -X verbose decode to the same calls as the symbolic log', async () => {
    const digest = async (shape: string) => {
      const [hung] = expected[shape]!.hung;
      assert.ok(hung);
      const { events } = await read(`${held}/${shape}`);
      const role = (tid: number | null | undefined) =>
        tid === hung.forkTid ? 'main' : tid === hung.pid ? 'child' : tid === hung.holderTid ? 'holder' : tid && tid > 1000 ? 'thread' : tid;
      return syscalls(events)
        .filter((c) => c.futex || c.clone || c.wait)
        .map((c) => {
          const word = c.futex ? (c.futex.address === hung.futex ? 'mutex' : 'other') : '';
          const result = c.clone ? role(c.result?.value) : (c.result?.value ?? null);
          return [role(c.tid), c.name, c.futex?.command, c.futex?.private, word, c.clone?.creates, role(c.wait?.pid), result];
        });
    };
    const plain = await digest('shapes/plain.log');
    assert.ok(plain.length >= 8);
    assert.deepEqual(await digest('shapes/x-raw.log'), plain);
    assert.deepEqual(await digest('shapes/x-verbose.log'), plain);
  });

  it('-k: stack frames go to the call they follow, also after a task exits', async () => {
    const log = `${held}/shapes/k.log`;
    const [hung] = expected['shapes/k.log']!.hung;
    assert.ok(hung);
    const { events } = await read(log);
    const fork = syscalls(events).find((c) => c.tid === hung.forkTid && c.clone?.creates === 'process')!;
    assert.ok(fork.stack!.some((frame) => frame.includes('__libc_fork')), JSON.stringify(fork.stack));
    assert.match(fork.stack![0]!, /^\/\S+\(_Fork\+0x[0-9a-f]+\) \[0x[0-9a-f]+\]$/);
    const threadExit = syscalls(events).find((c) => c.tid === hung.holderTid && c.name === 'exit')!;
    assert.ok(threadExit.stack && threadExit.stack.length > 0, 'frames printed after "+++ exited" belong to the exit call');
  });

  it('stderr capture: unprefixed lines are the first task, [pid N] the others; attach messages cut lines', async () => {
    const log = `${held}/shapes/stderr.log`;
    const [hung] = expected['shapes/stderr.log']!.hung;
    assert.ok(hung);
    const { events } = await read(log);
    const first = syscalls(events)[0];
    assert.ok(first);
    assert.deepEqual([first.name, first.tid], ['execve', hung.forkTid]);
    const cut = findLine(log, /^\[pid +\d+\] clone\(.*SIGCHLDstrace: Process (\d+) attached$/);
    const fork = callAt(events, cut.line);
    assert.deepEqual([fork.tid, fork.result?.value, fork.clone?.creates], [hung.forkTid, hung.pid, 'process']);
    assert.match(fork.args, /SIGCHLD, child_tidptr=0x[0-9a-f]+$/);
    assert.ok(tasks(events).some((t) => t.tid === hung.pid && t.creatorTid === null));
  });

  it('-qq: no exit lines; -e trace=futex --seccomp-bpf: no clone calls, still read', async () => {
    assert.equal(exits((await read(`${held}/shapes/qq.log`)).events).length, 0);
    const seccomp = await read(`${held}/shapes/seccomp-futex.log`);
    assert.equal(seccomp.stats[0]!.warnings, 0);
    assert.ok(syscalls(seccomp.events).every((c) => c.name === 'futex' && c.futex));
  });
});

describe('strace -ff files', () => {
  const [hung] = expected.ff!.hung;
  assert.ok(hung);

  it('a prefix, the directory and the files given one by one are one trace', async () => {
    const byPrefix = await resolveInputs([repoPath(held, 'ff/trace')]);
    const byDirectory = await resolveInputs([repoPath(held, 'ff')]);
    const files = byPrefix[0]!.files;
    const byFiles = await resolveInputs(files);
    for (const sources of [byPrefix, byDirectory, byFiles]) {
      assert.equal(sources.length, 1);
      assert.equal(sources[0]!.format, 'strace-ff');
      assert.deepEqual(sources[0]!.files, files);
    }
    const tids = files.map((f) => Number(f.split('.').at(-1)));
    assert.deepEqual(tids, [...tids].sort((a, b) => a - b));
    for (const tid of [hung.forkTid, hung.holderTid, hung.pid]) assert.ok(tids.includes(tid));
  });

  it('tids come from the file names, each file is a stream, events are merged by time', async () => {
    const { events, stats } = await read(`${held}/ff`);
    assert.equal(stats[0]!.warnings, 0);
    const calls = syscalls(events);
    const streamOf = new Map<number, Set<number>>();
    for (const c of calls) (streamOf.get(c.tid) ?? streamOf.set(c.tid, new Set()).get(c.tid)!).add(c.start.stream);
    const files = (await resolveInputs([repoPath(held, 'ff')]))[0]!.files;
    assert.deepEqual([...streamOf.keys()].sort(), files.map((f) => Number(f.split('.').at(-1))).sort());
    assert.ok([...streamOf.values()].every((streams) => streams.size === 1));
    assert.equal(new Set([...streamOf.values()].map((s) => [...s][0])).size, files.length);
    const starts = calls.map((c) => c.start.us!);
    for (let i = 1; i < starts.length; i++) assert.ok(starts[i]! >= starts[i - 1]!, 'merged in time order');
    // The child's file ends in the middle of its futex call (strace was killed): unfinished.
    const childWait = calls.find((c) => c.tid === hung.pid && c.futex?.address === hung.futex)!;
    assert.deepEqual([childWait.futex?.command, childWait.result, childWait.end], ['WAIT', null, null]);
  });

  it('-r deltas run across files: not summed, the files read one after another, a warning says so', async () => {
    const { events, stats } = await read('test/fixtures/parsers/ff-r');
    assert.equal(stats[0]!.format, 'strace-ff');
    assert.match(warnings(events)[0]!.message, /-r times in -ff files/);
    const calls = syscalls(events);
    assert.ok(calls.every((c) => c.start.us === null && c.start.text !== null));
    const order = calls.map((c) => c.tid);
    assert.deepEqual(order, [...order].sort((a, b) => a - b), 'file after file');
  });

  it('a trace past midnight: -tt times of day are put on the right day, across files too', async () => {
    const sources = await resolveInputs([repoPath(held, 'ff')]);
    const TIME = /^(\d\d):(\d\d):(\d\d)\.(\d{6})/gm;
    const micros = (h: string, m: string, s: string, us: string) => ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1e6 + Number(us);
    const [, h0, m0, s0, us0] = new RegExp(TIME.source, 'm').exec(readFileSync(sources[0]!.files[0]!, 'utf8'))!;
    assert.ok(h0 && m0 && s0 && us0);
    // Shift every time so that the trace starts 0.15 s before midnight.
    const DAY = 86_400e6;
    const shift = DAY - 150_000 - micros(h0, m0, s0, us0);
    const two = (n: number) => String(n).padStart(2, '0');
    const shifted = sources[0]!.files.map((file) => {
      const text = readFileSync(file, 'utf8').replace(TIME, (_, h, m, s, us) => {
        const t = (micros(h, m, s, us) + shift) % DAY;
        const seconds = Math.floor(t / 1e6);
        return `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}.${String(t % 1e6).padStart(6, '0')}`;
      });
      return scratchFile(text, `midnight-${file.split('/').at(-1)}`);
    });
    const original = syscalls((await readAll(sources[0]!.files)).events);
    const moved = syscalls((await readAll(shifted)).events);
    assert.ok(moved.some((c) => c.start.text!.startsWith('23:59')) && moved.some((c) => c.start.text!.startsWith('00:00')));
    assert.deepEqual(
      moved.map((c) => [c.tid, c.start.where.line]),
      original.map((c) => [c.tid, c.start.where.line]),
      'the same merge order',
    );
    const span = (calls: SyscallEvent[]) => calls.at(-1)!.start.us! - calls[0]!.start.us!;
    assert.equal(span(moved), span(original));
  });

  it('hundreds of thread files: none held open while waiting, still merged by time', async () => {
    const directory = mkdtempSync(join(scratch, 'many-'));
    const files = (await resolveInputs([repoPath(held, 'ff')]))[0]!.files;
    for (let copy = 0; copy < 65; copy++) {
      for (const file of files) writeFileSync(join(directory, `trace.${Number(file.split('.').at(-1)) + copy * 100_000}`), readFileSync(file));
    }
    const { sources, events, stats } = await readAll([join(directory, 'trace')]);
    assert.deepEqual([sources[0]!.files.length, stats[0]!.warnings], [65 * files.length, 0]);
    const single = await read(`${held}/ff`);
    assert.equal(syscalls(events).length, 65 * syscalls(single.events).length);
    const starts = syscalls(events).map((c) => c.start.us!);
    for (let i = 1; i < starts.length; i++) assert.ok(starts[i]! >= starts[i - 1]!);
  });

  it('stream ids are the same on every read', async () => {
    const ids = async () => syscalls((await read(`${held}/ff`, 'samples/plash-tst-fork1/tst-fork1.log')).events).map((c) => c.start.stream);
    assert.deepEqual(await ids(), await ids());
  });
});

describe('PlashGlibc nested log (seed 002)', () => {
  const log = 'samples/plash-tst-fork1/tst-fork1.log';

  it('each section is a task: tids 18970, 18973, 18969, 18972 with their creators', async () => {
    const { events, stats } = await read(log);
    assert.deepEqual([stats[0]!.format, stats[0]!.warnings], ['plash', 0]);
    assert.deepEqual(
      tasks(events).map((t) => [t.tid, t.creatorTid, t.creatorLabel ?? null, t.at.where.line]),
      [
        [18970, null, 'plash-root', 1],
        [18973, 18970, null, 33],
        [18969, null, 'plash-root', 43],
        [18972, 18969, null, 69],
      ],
    );
    const streams = new Map<number, number>();
    for (const c of syscalls(events)) {
      if (streams.has(c.tid)) assert.equal(streams.get(c.tid), c.start.stream);
      else streams.set(c.tid, c.start.stream);
    }
    assert.equal(new Set(streams.values()).size, 4, 'one stream per section');
  });

  it('old strace syntax: 0x80 /* FUTEX_??? */ waits, <... x resumed> ) halves, the clone split in two, wait4 status, _exit', async () => {
    const { events } = await read(log);
    const calls = syscalls(events);
    const blocked = calls.find((c) => c.tid === 18972 && c.name === 'futex')!;
    assert.deepEqual(
      [blocked.futex?.address, blocked.futex?.command, blocked.futex?.private, blocked.futex?.value, blocked.result, blocked.start.where.line],
      ['0x2b79a1b1e2c0', 'WAIT', true, 2, null, 74],
    );
    const handOver = callAt(events, 59);
    assert.deepEqual([handOver.tid, handOver.futex?.command, handOver.result?.value, handOver.end?.where.line], [18969, 'WAKE', 1, 60]);
    const fork = callAt(events, 61);
    assert.deepEqual([fork.tid, fork.clone?.creates, fork.result?.value, fork.end?.where.line], [18969, 'process', 18972, 62]);
    assert.match(fork.args, /^child_stack=0, flags=CLONE_CHILD_CLEARTID\|CLONE_CHILD_SETTID\|SIGCHLD/);
    const reap = callAt(events, 26);
    assert.deepEqual([reap.wait?.pid, reap.wait?.status, reap.result?.value], [18973, { code: 3 }, 18973]);
    assert.deepEqual(
      events.filter((e) => e.kind === 'signal').map((e) => [e.tid, e.signal, e.info]),
      [[18970, 'SIGCHLD', '(Child exited) @ 0 (0)']],
    );
    assert.equal(calls.find((c) => c.tid === 18970 && c.name === '_exit')?.exitCode, 0);
    assert.equal(calls.find((c) => c.tid === 18973 && c.name === 'exit_group')?.exitCode, 3);
    const mainWait = calls.find((c) => c.tid === 18969 && c.name === 'wait4')!;
    assert.deepEqual([mainWait.wait?.pid, mainWait.result, mainWait.end], [18972, null, null]);
  });

  it('prose between the fragments and a section without its "started pid" line give file:line warnings', async () => {
    const lines = readFileSync(repoPath(log), 'utf8').split('\n');
    lines.splice(41, 0, 'The log for a deadlocked thread looks like this:', 'cloned 9: close(3) = 0');
    const file = scratchFile(lines.join('\n'));
    const { events, stats } = await readAll([file]);
    assert.equal(stats[0]!.format, 'plash');
    assert.deepEqual(
      warnings(events).map((w) => [w.where.file, w.where.line]),
      [
        [file, 42],
        [file, 43],
      ],
    );
    assert.match(warnings(events)[1]!.message, /"cloned 9" before its "started pid" line/);
    assert.deepEqual(tasks(events).map((t) => t.tid), [18970, 18973, 18969, 18972]);
  });

  it('a nested section printed before its parent gets its creator once the parent says its pid', async () => {
    const file = scratchFile(['cloned 2: cloned 1: started pid 11', 'cloned 2: cloned 1: exit_group(0) = ?', '----', 'cloned 2: started pid 10', ''].join('\n'));
    const { events } = await readAll([file]);
    assert.deepEqual(
      tasks(events).map((t) => [t.tid, t.creatorTid, t.creatorLabel ?? null]),
      [
        [11, null, 'plash: cloned 2'],
        [10, null, 'plash-root'],
        [11, 10, null],
      ],
    );
  });
});

const fixture = (name: string) => `test/fixtures/parsers/${name}`;

describe('recorded fixtures (test/fixtures/parsers)', () => {
  it('a child killed by SIGKILL in futex: the call ends "= ?", the exit says SIGKILL, waitid reports it', async () => {
    const log = fixture('waits.log');
    const { events, stats } = await read(log);
    assert.equal(stats[0]!.warnings, 0);
    const victim = Number(findLine(log, /kill\((\d+), SIGKILL\)/).match[1]);
    const inCall = syscalls(events).find((c) => c.tid === victim && c.name === 'futex')!;
    assert.deepEqual([inCall.futex?.command, inCall.result?.raw, inCall.result?.value], ['WAIT', '?', null]);
    assert.deepEqual(exits(events).find((e) => e.tid === victim)?.status, { signal: 'SIGKILL' });
    const reap = syscalls(events).find((c) => c.name === 'waitid' && c.wait?.pid === victim)!;
    assert.deepEqual([reap.wait?.status, reap.result?.value], [{ signal: 'SIGKILL' }, 0]);
    const vforked = syscalls(events).find((c) => c.name === 'vfork')!;
    assert.equal(vforked.clone?.creates, 'process');
    const lastReap = syscalls(events).filter((c) => c.name === 'waitid').at(-1)!;
    assert.deepEqual([lastReap.wait?.pid, lastReap.wait?.status], [vforked.result?.value, { code: 5 }]);
    const firstReap = syscalls(events).find((c) => c.name === 'wait4')!;
    assert.deepEqual(firstReap.wait?.status, { code: 3 });
    assert.ok(firstReap.end!.where.line > firstReap.start.where.line);
  });

  it('the same facts in -X raw, -X verbose and -Y -i -n', async () => {
    const digest = async (name: string) => {
      const { events, stats } = await read(fixture(name));
      assert.equal(stats[0]!.warnings, 0, name);
      // Pids differ between recordings: a call that returns one says so.
      const result = (c: SyscallEvent) => (c.clone || (c.wait && c.result?.value) ? 'pid' : (c.result?.value ?? null));
      return syscalls(events)
        .filter((c) => c.clone || c.wait || c.futex || c.exitCode !== undefined)
        .map((c) => [c.name, c.clone?.creates, c.wait?.status, c.futex?.command, c.futex?.private, c.exitCode, result(c)]);
    };
    const plain = await digest('waits.log');
    for (const name of ['waits-raw.log', 'waits-verbose.log', 'waits-yin.log']) assert.deepEqual(await digest(name), plain, name);
  });

  it('a log without -f: no pid column, every line is the task set_tid_address names', async () => {
    const log = fixture('waits-single.log');
    const tid = Number(findLine(log, /^set_tid_address\(.*\) += (\d+)$/).match[1]);
    const { events } = await read(log);
    assert.ok(events.every((e) => e.kind === 'warning' || e.tid === tid));
    assert.ok(syscalls(events).length > 30);
  });

  it('every futex command, alike in the symbolic, -X raw and -X verbose logs', async () => {
    const digest = async (name: string) =>
      syscalls((await read(fixture(name))).events)
        .filter((c) => c.futex)
        .map((c) => [c.futex!.command, c.futex!.private, c.futex!.clockRealtime, c.futex!.timed, c.futex!.address2 !== null, c.result?.errno ?? null]);
    const symbolic = await digest('futex-ops.log');
    assert.deepEqual(symbolic.slice(-8), [
      ['LOCK_PI', true, false, false, false, null],
      ['UNLOCK_PI', true, false, false, false, null],
      ['WAIT_BITSET', false, true, false, false, null],
      ['WAIT', true, false, true, false, 'ETIMEDOUT'],
      ['WAIT_BITSET', true, true, true, false, 'EAGAIN'],
      ['WAKE_OP', true, false, false, true, null],
      ['REQUEUE', true, false, false, true, null],
      ['CMP_REQUEUE', true, false, false, true, null],
    ]);
    assert.deepEqual(await digest('futex-ops-raw.log'), symbolic);
    assert.deepEqual(await digest('futex-ops-verbose.log'), symbolic);
  });

  it('a thread execve: the leader is superseded, the execve started by the thread ends under the leader', async () => {
    const log = fixture('exec-thread.log');
    const { events, stats } = await read(log);
    assert.equal(stats[0]!.warnings, 0);
    const started = findLine(log, /^(\d+) +\S+ execve\("\/bin\/true", .*<unfinished \.\.\.>$/);
    const superseded = findLine(log, /^(\d+) +\S+ \+\+\+ superseded by execve in pid (\d+) \+\+\+$/);
    const execve = callAt(events, started.line);
    assert.deepEqual(
      [execve.tid, execve.exec?.path, execve.result?.value, execve.end!.where.line > superseded.line],
      [Number(superseded.match[1]), '/bin/true', 0, true],
    );
    assert.deepEqual(exits(events)[0], {
      kind: 'exit',
      tid: Number(superseded.match[1]),
      status: null,
      supersededBy: Number(started.match[1]),
      at: exits(events)[0]!.at,
    });
  });

  it('strace -p detaching: "<detached ...>" and "<unfinished ...>" calls never completed', async () => {
    const { events } = await read(fixture('detach.log'));
    const calls = syscalls(events);
    const wait = calls.find((c) => c.name === 'futex')!;
    assert.deepEqual([wait.result, wait.end, wait.futex?.command, wait.futex?.timed, wait.args.includes('detached')], [null, null, 'WAIT', false, false]);
    assert.equal(calls.find((c) => c.name === 'restart_syscall')?.result, null);
  });
});

describe('bad and unusual input', () => {
  const clean = `${held}/trace-f.log`;

  it('bad lines give file:line warnings and every other line is still read', async () => {
    const lines = readFileSync(repoPath(clean), 'utf8').trimEnd().split('\n');
    const bad = ['this is not strace', '12345 +++ exploded +++', '12345 12:00:00.000000 <... nothing', '\u0000\u0001binary', '12345 --- SIGCHLD {unterminated'];
    const mixed = [...lines];
    const badLines: number[] = [];
    for (const [i, text] of bad.entries()) {
      const at = 5 + i * 15;
      mixed.splice(at, 0, text);
      badLines.push(at + 1);
    }
    const file = scratchFile(mixed.join('\n') + '\n');
    const dirty = await readAll([file]);
    const reference = await read(clean);
    assert.deepEqual(
      warnings(dirty.events).map((w) => `${w.where.file}:${w.where.line}`),
      badLines.map((line) => `${file}:${line}`),
    );
    assert.deepEqual([dirty.stats[0]!.lines, dirty.stats[0]!.warnings], [lines.length + bad.length, bad.length]);
    const digest = (events: TraceEvent[]) => events.filter((e) => e.kind !== 'warning').map((e) => (e.kind === 'syscall' ? `${e.tid} ${e.name} ${e.args} ${e.result?.raw}` : e.kind));
    assert.deepEqual(digest(dirty.events), digest(reference.events));
  });

  it('a task killed in a call strace never resumed: the call comes first, unreturned, then the exit', async () => {
    const log = fixture('waits.log');
    const resumedLine = findLine(log, /^\d+ +\S+ <\.\.\. futex resumed>\) += \?$/).line;
    const lines = readFileSync(repoPath(log), 'utf8').split('\n');
    lines.splice(resumedLine - 1, 1);
    const { events } = await readAll([scratchFile(lines.join('\n'))]);
    const victim = exits(events).find((e) => 'signal' in (e.status ?? {}))!;
    const index = events.indexOf(victim);
    const inCall = events[index - 1] as SyscallEvent;
    assert.deepEqual([inCall.kind, inCall.tid, inCall.name, inCall.result, inCall.end], ['syscall', victim.tid, 'futex', null, null]);
  });

  it('a resumed half with no first half warns and is still a call; a call cut at the end is unfinished', async () => {
    const lines = [
      '100 <... futex resumed>) = 0',
      '100 futex(0x10, FUTEX_WAKE_PRIVATE, 1) = 0',
      'strace: attach: ptrace(PTRACE_SEIZE, 7): Operation not permitted',
      'strace: Process 100 detached',
      '101 wait4(-1, ',
    ];
    const { events } = await readAll([scratchFile(lines.join('\n'))]);
    assert.deepEqual(
      warnings(events).map((w) => [w.where.line, w.message]),
      [
        [1, '"<... futex resumed>" of task 100 with no unfinished futex before it'],
        [3, 'strace: attach: ptrace(PTRACE_SEIZE, 7): Operation not permitted'],
      ],
    );
    const calls = syscalls(events);
    assert.deepEqual(
      calls.map((c) => [c.tid, c.name, c.result?.value ?? null, c.end?.where.line ?? null]),
      [
        [100, 'futex', 0, 1],
        [100, 'futex', 0, 2],
        [101, 'wait4', null, null],
      ],
    );
  });

  it('resolving: a missing path, a file of another kind, an empty directory, an empty file are errors', async () => {
    await assert.rejects(resolveInputs([join(scratch, 'missing.log')]), /missing\.log: no such file, directory or strace -ff prefix/);
    const prose = scratchFile('Dear diary,\ntoday nothing hung.\n');
    await assert.rejects(resolveInputs([prose]), /not a trace forkscope reads/);
    const binary = scratchFile(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x0a, 0x41]));
    await assert.rejects(resolveInputs([binary]), /not a trace forkscope reads/);
    // A gzip header and nothing after it: the trace cannot be read, it is not an empty log.
    const cutGzip = scratchFile(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00, 0x0a, 0x41]));
    await assert.rejects(resolveInputs([cutGzip]), /: cannot decompress \(gzip\) at byte 8 of the file: unexpected end of file$/);
    await assert.rejects(resolveInputs([mkdtempSync(join(scratch, 'empty-'))]), /no trace files in this directory/);
    // Empty, or blank lines however many: no trace (issue 10 §4).
    await assert.rejects(resolveInputs([scratchFile('')]), /is empty/);
    await assert.rejects(resolveInputs([scratchFile('\n \n'.repeat(60))]), /is empty/);
    // A -f log whose name ends in a number is still one log (it has a pid column).
    const numbered = scratchFile(readFileSync(repoPath(clean)), 'run.1');
    assert.equal((await resolveInputs([numbered]))[0]!.format, 'strace');
  });

  it('stdin: spooled once, read twice, events name "-"', () => {
    const script = `
      import { resolveInputs, readTrace } from ${JSON.stringify(join(REPO, 'dist/parsers/index.js'))};
      const sources = await resolveInputs(['-']);
      const counts = [];
      for (let i = 0; i < 2; i++) {
        const stats = [{ path: '-', format: sources[0].format, lines: 0, warnings: 0 }];
        let n = 0, named = true;
        for await (const e of readTrace(sources, stats)) { n++; if (e.kind === 'syscall' && e.start.where.file !== '-') named = false; }
        counts.push([sources[0].format, stats[0].lines, n, named]);
      }
      console.log(JSON.stringify(counts));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      input: readFileSync(repoPath('samples/plash-tst-fork1/tst-fork1.log')),
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const counts = JSON.parse(run.stdout);
    assert.deepEqual(counts[0], counts[1]);
    assert.deepEqual(counts[0].slice(0, 2), ['plash', 74]);
    assert.equal(counts[0][3], true);
  });
});

describe('robustness', () => {
  /** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('garbage and truncated lines never throw, and every line is read or warned about', async () => {
    const next = random(20251125);
    const real = [`${held}/trace-f.log`, `${held}/shapes/stderr.log`, `${held}/shapes/k.log`, 'samples/plash-tst-fork1/tst-fork1.log', 'test/fixtures/parsers/waits-yin.log']
      .flatMap((p) => readFileSync(repoPath(p), 'utf8').split('\n'))
      .filter(Boolean);
    const alphabet = '0123456789abcdefx()[]{}<>"\\/*=,.:-+? \t|_EFSIGpidresumedunfinished';
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const source = real[Math.floor(next() * real.length)];
      assert.ok(source);
      const choice = next();
      let text: string;
      if (choice < 0.3) text = source.slice(0, Math.floor(next() * source.length));
      else if (choice < 0.6) {
        const at = Math.floor(next() * source.length);
        text = source.slice(0, at) + alphabet[Math.floor(next() * alphabet.length)]!.repeat(1 + Math.floor(next() * 3)) + source.slice(at + 1);
      } else if (choice < 0.8) text = Array.from({ length: Math.floor(next() * 80) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      else text = source.slice(Math.floor(next() * source.length));
      lines.push(text.replace(/\n/g, ''));
    }
    for (const text of lines) {
      assert.doesNotThrow(() => parseStraceLine(text), text);
      assert.doesNotThrow(() => parseStraceLine(text, false), text);
    }
    const file = scratchFile(lines.join('\n') + '\n');
    for (const format of ['strace', 'plash'] as const) {
      const { events, stats } = await readAll([file], format);
      assert.equal(stats[0]!.lines, lines.length);
      const where = new Set(warnings(events).map((w) => w.where.line));
      assert.ok(where.size > 100 && where.size <= lines.length, `${format}: ${where.size} lines warned about`);
    }
  });
});
