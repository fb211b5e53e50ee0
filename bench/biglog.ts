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

/** `-tt` wall-clock time of `us` microseconds: HH:MM:SS.uuuuuu. */
function time(us: number): string {
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
