// The hang watchdog of `forkscope record`: the traced tree is hung when it has made no progress
// for the hang timeout while some thread sits in an untimed futex wait or the root process sits in
// wait4/waitid. Progress is anything that moves: the trace file grows, a thread of the tree uses
// CPU (schedstat run time), or a task appears or ends. Read from /proc, polled by the recorder.

import { decodeFutexOp, isFutexWait } from '../src/model/futex.js';
import { parseSyscall } from '../src/proc/snapshot.js';
import { readText, threadsOf } from '../src/proc/tree.js';

export interface WatchdogVerdict {
  hung: boolean;
  /** What the tree sits in, when hung: `thread 123 of 122 in FUTEX_WAIT_PRIVATE on 0x...`. */
  reason: string | null;
}

export class HangWatchdog {
  private fingerprint = '';
  private lastProgress: number;

  constructor(
    private readonly timeoutMs: number,
    private readonly rootPid: number,
    now: number = Date.now(),
  ) {
    this.lastProgress = now;
  }

  /** Call at each poll with the tree's live processes and the trace file's size. */
  observe(pids: readonly number[], traceBytes: number, now: number = Date.now()): WatchdogVerdict {
    let runNs = 0;
    const tasks: string[] = [];
    const blocked: string[] = [];
    for (const pid of pids) {
      for (const tid of threadsOf(pid)) {
        const base = `/proc/${pid}/task/${tid}`;
        tasks.push(String(tid));
        runNs += Number(readText(`${base}/schedstat`)?.split(' ')[0] ?? 0);
        const call = parseSyscall(readText(`${base}/syscall`));
        if (!call) continue;
        if (call.name === 'futex') {
          const op = decodeFutexOp(Number(call.args[1] & 0xffffffffn));
          if (isFutexWait(op.command) && call.args[3] === 0n) {
            blocked.push(`thread ${tid} of ${pid} in futex wait on 0x${call.args[0].toString(16)}`);
          }
        } else if (pid === this.rootPid && (call.name === 'wait4' || call.name === 'waitid')) {
          blocked.push(`the command (${pid}) in ${call.name}`);
        }
      }
    }
    const fingerprint = `${traceBytes} ${runNs} ${tasks.join(',')}`;
    if (fingerprint !== this.fingerprint) {
      this.fingerprint = fingerprint;
      this.lastProgress = now;
      return { hung: false, reason: null };
    }
    if (now - this.lastProgress < this.timeoutMs || blocked.length === 0) return { hung: false, reason: null };
    return { hung: true, reason: blocked.join('; ') };
  }

  /** When the tree last moved (ms epoch). */
  get quietSince(): number {
    return this.lastProgress;
  }
}
