// Reading live processes and threads from /proc (proc(5)), and the process trees forkscope starts:
// finding every member, and killing them all, so that no process it started outlives it.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Fields of /proc/PID/stat (proc(5)); the comm is cut out first, it may hold spaces and parens. */
export interface TaskStat {
  pid: number;
  comm: string;
  /** R running, S sleeping, D disk sleep, T stopped, t tracing stop, Z zombie, X dead, I idle. */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  flags: number;
  /** Clock ticks after boot: with the pid, names one process for its whole life (pids are reused). */
  startTime: number;
}

/** PF_KTHREAD in the stat flags: a kernel thread, which has no user memory to read. */
const PF_KTHREAD = 0x00200000;

export function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function readStat(pid: number, tid?: number): TaskStat | null {
  const text = readText(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`);
  if (!text) return null;
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  return {
    pid: Number(text.slice(0, open)),
    comm: text.slice(open + 1, close),
    state: fields[0] ?? '?',
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    session: Number(fields[3]),
    flags: Number(fields[6]),
    startTime: Number(fields[19]),
  };
}

export function isKernelThread(stat: TaskStat): boolean {
  return (stat.flags & PF_KTHREAD) !== 0;
}

export function alive(stat: TaskStat | null): stat is TaskStat {
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
}

/** The thread ids of a process, or [] when it is gone. */
export function threadsOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`)
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/** The children of every thread of `pid` (`/proc/PID/task/TID/children`). */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const tid of threadsOf(pid)) {
    const text = readText(`/proc/${pid}/task/${tid}/children`);
    if (text) for (const child of text.trim().split(/\s+/)) if (child) children.push(Number(child));
  }
  return children;
}

/** `pid` and all its descendants, parents before children. */
export function descendantsOf(pid: number): number[] {
  const found: number[] = [];
  const seen = new Set<number>();
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (seen.has(next)) continue;
    seen.add(next);
    found.push(next);
    queue.push(...childrenOf(next));
  }
  return found;
}

export function commandLine(pid: number): string | null {
  const text = readText(`/proc/${pid}/cmdline`);
  if (!text) return null;
  return text.replace(/\0$/, '').split('\0').join(' ') || null;
}

export function tracerOf(pid: number): number {
  const match = /^TracerPid:\s*(\d+)/m.exec(readText(`/proc/${pid}/status`) ?? '');
  return match ? Number(match[1]) : 0;
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** The executable a process runs, or null (kernel threads, permission). */
export function executableOf(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

/**
 * The processes of a tree that forkscope started, followed while it runs. A process is a member
 * when it descends from the root, or is ptraced by the tracer, or shares the root's session (the
 * root was started in a new one): so orphans that were re-parented to init are still found. Every
 * member ever seen is remembered by pid and start time, so a reused pid is never mistaken for one.
 */
export class TreeTracker {
  private readonly members = new Map<number, number>(); // pid -> start time

  constructor(
    private readonly root: number,
    private readonly options: { tracer?: number; session?: number } = {},
  ) {}

  /** The live members now (the tracer itself is not one). */
  scan(): number[] {
    const candidates = new Set(descendantsOf(this.root));
    if (this.options.tracer !== undefined || this.options.session !== undefined) {
      for (const pid of allPids()) {
        const stat = readStat(pid);
        if (!alive(stat) || candidates.has(pid)) continue;
        if (this.options.session !== undefined && stat.session === this.options.session) candidates.add(pid);
        else if (this.options.tracer !== undefined && tracerOf(pid) === this.options.tracer) candidates.add(pid);
      }
    }
    for (const pid of this.members.keys()) candidates.add(pid);
    const live: number[] = [];
    for (const pid of candidates) {
      if (pid === this.options.tracer) continue;
      const stat = readStat(pid);
      const known = this.members.get(pid);
      if (!alive(stat) || (known !== undefined && known !== stat.startTime)) {
        this.members.delete(pid);
        continue;
      }
      this.members.set(pid, stat.startTime);
      live.push(pid);
    }
    return live.sort((a, b) => a - b);
  }

  /**
   * SIGKILLs every member, parents first, rescanning until none is left (a member may fork while
   * being killed). A parent is dead before its children are killed, so it cannot reap them: a
   * parent hung in wait4 stays so in the trace instead of returning a child killed first.
   * Returns the pids killed. Synchronous, so it can run in an exit handler.
   */
  killAll(): number[] {
    const killed = new Set<number>();
    for (let round = 0; round < 50; round++) {
      const live = this.scan();
      if (live.length === 0) break;
      for (const pid of parentsFirst(live)) {
        try {
          process.kill(pid, 'SIGKILL');
          killed.add(pid);
        } catch {
          continue; // already gone
        }
        if (childrenOf(pid).length > 0) untilDead(pid, 200);
      }
      if (round > 0) sleepSync(10);
    }
    return [...killed];
  }
}

/** Orders pids so that each comes after its parent (when the parent is among them). */
function parentsFirst(pids: number[]): number[] {
  const set = new Set(pids);
  const ordered: number[] = [];
  const placed = new Set<number>();
  const place = (pid: number, depth: number) => {
    if (placed.has(pid)) return;
    const ppid = readStat(pid)?.ppid;
    if (ppid !== undefined && set.has(ppid) && depth < pids.length) place(ppid, depth + 1);
    placed.add(pid);
    ordered.push(pid);
  };
  for (const pid of pids) place(pid, 0);
  return ordered;
}

function untilDead(pid: number, maxMs: number): void {
  for (let waited = 0; waited < maxMs && alive(readStat(pid)); waited++) sleepSync(1);
}

/** Blocks the thread briefly (exit handlers cannot await). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
