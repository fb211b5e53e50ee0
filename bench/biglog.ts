// The big log the benchmarks read: an `strace -f -tt -T` log of one long-lived tree. A holder and a
// contender thread trade one mutex until the log reaches the asked size, then main forks a child
// that blocks on that mutex forever (one inherited-lock hang). The log grows while the threads and
// locks stay the same, so what a reader keeps per thread or lock should not grow with it.

import { createWriteStream } from 'node:fs';

/** The main thread's tid: the pid of the process the TUI lists first. */
export const MAIN = 1000;
const HOLDER = 1001;
const CONTENDER = 1002;
const CHILD = 1003;
const LOCK = '0x55d0c0a4e040';
const THREAD_FLAGS =
  'CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID';

/**
 * A deterministic pseudo-random sequence (mulberry32), so every run writes the same log: a number
 * in [0, n) at each call.
 */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

/** `-tt` wall-clock time of `us` microseconds: HH:MM:SS.uuuuuu. */
export function time(us: number): string {
  const s = Math.floor(us / 1e6);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600) % 24)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}.${String(us % 1e6).padStart(6, '0')}`;
}

/** Writes the log of at least `megabytes` MiB to `path`. */
export async function writeLog(path: string, megabytes: number): Promise<void> {
  const out = createWriteStream(path);
  let us = 10 * 3600e6;
  let bytes = 0;
  const line = async (tid: number, text: string) => {
    const l = `${tid}  ${time((us += 7))} ${text}\n`;
    bytes += l.length;
    if (!out.write(l)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  await line(MAIN, 'execve("./bench", ["./bench"], 0x7ffd2c1e8f18 /* 12 vars */) = 0 <0.000300>');
  for (const tid of [HOLDER, CONTENDER]) {
    await line(MAIN, `clone3({flags=${THREAD_FLAGS}, exit_signal=0, stack=0x7f0e299ff000, stack_size=0x7fff00} => {parent_tid=[${tid}]}, 88) = ${tid} <0.000060>`);
  }
  while (bytes < megabytes * 1024 * 1024) {
    await line(CONTENDER, `futex(${LOCK}, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>`);
    await line(HOLDER, `futex(${LOCK}, FUTEX_WAKE_PRIVATE, 1) = 1 <0.000012>`);
    await line(CONTENDER, '<... futex resumed>) = 0 <0.000020>');
    await line(HOLDER, 'clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000}, NULL) = 0 <0.000060>');
    await line(CONTENDER, `futex(${LOCK}, FUTEX_WAKE_PRIVATE, 1) = 0 <0.000010>`);
  }
  await line(MAIN, `clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f0e2a200a10) = ${CHILD} <0.000400>`);
  await line(CHILD, `futex(${LOCK}, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>`);
  await line(MAIN, `wait4(${CHILD},  <unfinished ...>`);
  await new Promise((resolve) => out.end(resolve));
}

/**
 * A log shaped like a real workload's: a server process whose 8 worker threads trade 16 locks
 * amid read/write/epoll/mmap/openat/close/clock noise, forking short-lived children (each reads,
 * writes, exits and is reaped) so that thousands of tasks come and go, unfinished calls interleaved
 * with other threads' lines; at the end main forks a child while worker 1 holds lock 0, and that
 * child hangs on it (one inherited-lock hang, holder 1001). Tasks grow with the log, locks do not.
 */
export async function writeRealisticLog(path: string, megabytes: number): Promise<{ tasks: number }> {
  const out = createWriteStream(path);
  let us = 10 * 3600e6;
  let bytes = 0;
  let chunk = '';
  const line = async (tid: number, text: string) => {
    const l = `${tid}  ${time((us += 3))} ${text}\n`;
    chunk += l;
    bytes += l.length;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      chunk = '';
    }
  };
  const workers = Array.from({ length: 8 }, (_, i) => MAIN + 1 + i);
  const locks = Array.from({ length: 16 }, (_, i) => `0x55d0c0a4${(0xe040 + i * 0x40).toString(16)}`);
  const random = seededRandom(12345);
  await line(MAIN, 'execve("./server", ["./server", "--workers", "8"], 0x7ffd2c1e8f18 /* 12 vars */) = 0 <0.000300>');
  for (const tid of workers) {
    await line(MAIN, `clone3({flags=${THREAD_FLAGS}, exit_signal=0, stack=0x7f0e299ff000, stack_size=0x7fff00} => {parent_tid=[${tid}]}, 88) = ${tid} <0.000060>`);
  }
  let nextChild = MAIN + 100;
  let tasks = 1 + workers.length;
  const noise = async (tid: number) => {
    const fd = 3 + random(40);
    switch (random(13)) {
      case 0:
        return line(tid, `read(${fd}, "GET /index.html HTTP/1.1\\r\\nHost: localhost\\r\\nUser-Agent: curl/7.88.1\\r\\nAccept: */*"..., 4096) = 512 <0.000011>`);
      case 1:
        return line(tid, `write(${fd}, "HTTP/1.1 200 OK\\r\\nContent-Length: 1024\\r\\nContent-Type: text/html\\r\\n\\r\\n<html>"..., 1100) = 1100 <0.000015>`);
      case 2:
        return line(tid, `epoll_wait(4, [{events=EPOLLIN, data={u32=${fd}, u64=${fd}}}], 1024, 1000) = 1 <0.000200>`);
      case 3:
        return line(tid, 'mmap(NULL, 266240, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0e28a3e000 <0.000009>');
      case 4:
        return line(tid, `openat(AT_FDCWD, "/srv/www/static/page-${random(1000)}.html", O_RDONLY|O_CLOEXEC) = ${fd} <0.000021>`);
      case 5:
        return line(tid, `close(${fd}) = 0 <0.000006>`);
      case 6:
        return line(tid, `fstat(${fd}, {st_mode=S_IFREG|0644, st_size=${random(100000)}, ...}) = 0 <0.000005>`);
      case 7:
        return line(tid, 'clock_gettime(CLOCK_MONOTONIC, {tv_sec=1234, tv_nsec=567890123}) = 0 <0.000004>');
      case 8:
        return line(tid, 'mprotect(0x7f0e28a3e000, 4096, PROT_READ) = 0 <0.000007>');
      case 9:
        return line(tid, `recvfrom(${fd}, "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03"..., 16384, 0, NULL, NULL) = 517 <0.000012>`);
      case 10:
        return line(tid, 'munmap(0x7f0e28a3e000, 266240) = 0 <0.000010>');
      case 11:
        return line(tid, 'clock_nanosleep(CLOCK_MONOTONIC, 0, {tv_sec=0, tv_nsec=500000}, NULL) = 0 <0.000561>');
      default:
        return line(tid, `sendto(${fd}, "\\x17\\x03\\x03\\x00\\x45"..., 74, MSG_NOSIGNAL, NULL, 0) = 74 <0.000018>`);
    }
  };
  while (bytes < megabytes * 1024 * 1024) {
    // A contended lock: one worker waits (unfinished), others make noise, the holder wakes it.
    const lock = locks[random(locks.length)];
    const waiter = workers[random(workers.length)]!;
    const holder = workers[(workers.indexOf(waiter) + 1 + random(workers.length - 1)) % workers.length]!;
    // The other threads work while the waiter sleeps in the kernel.
    const others = workers.filter((tid) => tid !== waiter);
    await line(waiter, `futex(${lock}, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>`);
    for (let n = random(6); n > 0; n--) await noise(others[random(others.length)]!);
    await line(holder, `futex(${lock}, FUTEX_WAKE_PRIVATE, 1) = 1 <0.000012>`);
    await line(waiter, '<... futex resumed>) = 0 <0.000020>');
    for (let n = random(8); n > 0; n--) await noise(workers[random(workers.length)]!);
    await line(waiter, `futex(${lock}, FUTEX_WAKE_PRIVATE, 1) = 0 <0.000010>`);
    if (random(1000) === 0) {
      // A short-lived child: forked by main, does a little work, exits and is reaped.
      const child = nextChild++;
      tasks++;
      await line(MAIN, `clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f0e2a200a10) = ${child} <0.000090>`);
      await line(MAIN, `wait4(${child},  <unfinished ...>`);
      for (let n = 2 + random(4); n > 0; n--) await noise(child);
      await line(child, 'exit_group(0)                     = ?');
      await line(child, '+++ exited with 0 +++');
      await line(MAIN, `<... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = ${child} <0.000400>`);
      await line(MAIN, `--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=${child}, si_uid=1000, si_status=0, si_utime=0, si_stime=0} ---`);
    }
  }
  // Worker 1 takes lock 0 (its wait returns), main forks, worker 1 releases it after: the child hangs.
  const [holder, contender] = workers as [number, number];
  const hung = nextChild++;
  await line(contender, `futex(${locks[0]}, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>`);
  await line(holder, `futex(${locks[0]}, FUTEX_WAIT_PRIVATE, 2, NULL) = 0 <0.000030>`);
  await line(MAIN, `clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f0e2a200a10) = ${hung} <0.000400>`);
  await line(holder, `futex(${locks[0]}, FUTEX_WAKE_PRIVATE, 1) = 1 <0.000012>`);
  await line(contender, '<... futex resumed>) = 0 <0.000020>');
  await line(hung, `futex(${locks[0]}, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>`);
  await line(MAIN, `wait4(${hung},  <unfinished ...>`);
  out.write(chunk);
  await new Promise((resolve) => out.end(resolve));
  return { tasks: tasks + 1 };
}
