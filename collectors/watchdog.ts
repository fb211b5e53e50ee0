// The hang watchdog of `forkscope record`, polled by the recorder with the tree's live processes.
// Two ways a tree is hung, both read from /proc:
//  - the whole tree made no progress for the hang timeout (the trace file did not grow, no thread
//    used CPU time, no task appeared or ended) and every thread of it sits in an untimed futex wait
//    or in wait4/waitid: nothing is left that a timer or input could wake (a process-shared lock,
//    say, with the parents waiting for the stuck child);
//  - one process has been still for the hang timeout with every thread in an untimed wait on a
//    private futex: only its own threads could wake those, so it is deadlocked, even while the
//    rest of the tree keeps busy (a pool's housekeeping thread polling forever, say).
// CPU time is schedstat's run time, so a thread spinning is progress, a thread asleep is not.

import { decodeFutexOp, isFutexWait } from '../src/model/futex.js';
import { parseSyscall } from '../src/proc/snapshot.js';
import { readText, threadsOf } from '../src/proc/tree.js';

export interface WatchdogVerdict {
  hung: boolean;
  /** What the tree sits in, when hung. */
  reason: string | null;
}

interface Still {
  fingerprint: string;
  since: number;
}

export class HangWatchdog {
  private tree: Still = { fingerprint: '', since: 0 };
  private readonly processes = new Map<number, Still>();

  constructor(
    private readonly timeoutMs: number,
    private readonly rootPid: number,
  ) {}

  /** Call at each poll with the tree's live processes and the trace file's size. */
  observe(pids: readonly number[], traceBytes: number, now: number = Date.now()): WatchdogVerdict {
    const treeParts = [String(traceBytes)];
    const waiting: string[] = [];
    let everyThreadStuck = pids.length > 0;
    const deadlocked: string[] = [];
    for (const pid of pids) {
      const threads = threadsOf(pid);
      let runNs = 0;
      const privateWaits: string[] = [];
      for (const tid of threads) {
        const base = `/proc/${pid}/task/${tid}`;
        runNs += Number(readText(`${base}/schedstat`)?.split(' ')[0] ?? 0);
        const call = parseSyscall(readText(`${base}/syscall`));
        const op = call?.name === 'futex' ? decodeFutexOp(Number(call.args[1]! & 0xffffffffn)) : null;
        if (call && op && isFutexWait(op.command) && call.args[3] === 0n) {
          const wait = `thread ${tid} of ${pid} in an untimed futex wait on 0x${call.args[0]!.toString(16)}`;
          waiting.push(wait);
          if (op.private) privateWaits.push(wait);
        } else if (call?.name === 'wait4' || call?.name === 'waitid') {
          if (pid === this.rootPid) waiting.push(`the command (${pid}) in ${call.name}`);
        } else {
          everyThreadStuck = false;
        }
      }
      const fingerprint = `${pid}:${runNs}:${threads.join(',')}`;
      treeParts.push(fingerprint);
      const still = this.stillSince(this.processes.get(pid), fingerprint, now);
      this.processes.set(pid, still);
      if (threads.length > 0 && privateWaits.length === threads.length && now - still.since >= this.timeoutMs) {
        deadlocked.push(`${privateWaits.join(', ')} (every thread of ${pid} waits on a private futex; it has not run for ${seconds(now - still.since)} s)`);
      }
    }
    for (const pid of this.processes.keys()) if (!pids.includes(pid)) this.processes.delete(pid);
    this.tree = this.stillSince(this.tree, treeParts.join(' '), now);

    if (deadlocked.length > 0) return { hung: true, reason: deadlocked.join('; ') };
    if (everyThreadStuck && waiting.length > 0 && now - this.tree.since >= this.timeoutMs) {
      return { hung: true, reason: `${waiting.join('; ')}, and nothing in the tree has moved for ${seconds(now - this.tree.since)} s` };
    }
    return { hung: false, reason: null };
  }

  /** When the whole tree last moved (ms epoch). */
  get quietSince(): number {
    return this.tree.since;
  }

  private stillSince(previous: Still | undefined, fingerprint: string, now: number): Still {
    return previous && previous.fingerprint === fingerprint ? previous : { fingerprint, since: now };
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
