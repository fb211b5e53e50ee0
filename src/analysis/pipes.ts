// Pipes held open: a thread blocked forever reading a pipe (or one end of a socketpair) whose write
// end (the other end) is still open somewhere in the tree, so end of file never comes.
//
// From a trace, each process's descriptor table is rebuilt for pipes and socketpairs only: made by
// pipe/pipe2/socketpair, copied by dup/dup2/dup3/fcntl(F_DUPFD*), dropped by close/close_range and
// by a successful execve for close-on-exec ones, copied whole into a forked child (shared by a
// thread, CLONE_FILES). A task the log shows before the clone that made it (strace prints a child's
// first calls before its parent's clone returns) keeps its own changes until its table is known.
// At the end, a thread still in an untimed read, poll, select or epoll_wait on such a descriptor,
// whose other end is held by processes that are themselves all stuck in untimed waits (or were
// killed holding it), waits forever. Memory grows with processes and open pipes, not the log.
// From /proc, /proc/PID/fd links (pipe:[inode]) and /proc/PID/fdinfo flags name every holder.

import { returned } from '../model/events.js';
import type { SyscallEvent, TraceEvent } from '../model/events.js';
import { decodeFdOp, decodeFdWait } from '../model/fd.js';
import type { FdRef } from '../model/fd.js';
import type { Process, Task, TaskTree } from '../model/tree.js';
import { untimedWait } from '../model/waits.js';
import type { TreeSnapshot } from '../proc/snapshot.js';
import type { BlockWatcher } from './blocked.js';
import { waitChain } from './chain.js';
import { quote } from './evidence.js';
import type { Evidence, Finding, PipeHeldOpenFinding, PipeWriter, Warning } from './types.js';

interface Channel {
  kind: 'pipe' | 'socketpair';
  created: SyscallEvent;
}

/** An open file description: one end of a channel (a pipe's 0 reads, 1 writes; a socketpair's two ends). */
interface End {
  channel: Channel;
  side: 0 | 1;
}

interface Entry {
  end: End;
  cloexec: boolean;
  /** The call that put this descriptor in this table: the pipe call, a dup, or the fork that copied it. */
  via: SyscallEvent;
}

class FdTable {
  readonly entries = new Map<number, Entry>();
  /** epoll fd -> the ends it watches. */
  readonly epolls = new Map<number, Set<End>>();
  readonly members = new Set<number>();
  /** Known from its creation (or the start of the trace for a task whose creation is not shown). */
  based: boolean;
  /** Descriptors closed before the table was based: not copied in when it is. */
  readonly closedEarly = new Set<number>();

  constructor(based: boolean) {
    this.based = based;
  }

  close(fd: number): void {
    this.entries.delete(fd);
    this.epolls.delete(fd);
    if (!this.based) this.closedEarly.add(fd);
  }

  /** Takes what a forked child gets: every descriptor of `parent` the child has not replaced. */
  baseOn(parent: FdTable, fork: SyscallEvent): void {
    for (const [fd, entry] of parent.entries) {
      if (this.entries.has(fd) || this.closedEarly.has(fd)) continue;
      this.entries.set(fd, { ...entry, via: fork });
    }
    for (const [fd, ends] of parent.epolls) if (!this.epolls.has(fd) && !this.closedEarly.has(fd)) this.epolls.set(fd, new Set(ends));
    this.based = true;
    this.closedEarly.clear();
  }
}

export class PipeTracker {
  private readonly tables = new Map<number, FdTable>();
  private closes = 0;

  observe(event: TraceEvent): void {
    if (event.kind === 'exit') {
      this.observeExit(event.tid, event.status !== null && 'code' in event.status);
      return;
    }
    if (event.kind !== 'syscall') return;
    if (event.clone && (event.result?.value ?? 0) > 0) {
      this.observeClone(event);
      return;
    }
    if (event.exec && event.result?.value === 0) {
      const table = this.tables.get(event.tid);
      if (table) for (const [fd, entry] of table.entries) if (entry.cloexec) table.close(fd);
      return;
    }
    const op = decodeFdOp(event);
    if (!op) return;
    const table = this.tableOf(event.tid);
    switch (op.op) {
      case 'pair': {
        const channel: Channel = { kind: op.pair, created: event };
        op.fds.forEach((ref, side) => {
          table.entries.set(ref.fd, { end: { channel, side: side as 0 | 1 }, cloexec: op.cloexec, via: event });
          table.closedEarly.delete(ref.fd);
        });
        break;
      }
      case 'dup': {
        const from = table.entries.get(op.from);
        table.close(op.to);
        if (from) table.entries.set(op.to, { end: from.end, cloexec: op.cloexec, via: event });
        break;
      }
      case 'close':
        this.closes++;
        table.close(op.fd);
        break;
      case 'close-range':
        this.closes++;
        for (const fd of [...table.entries.keys()]) {
          if (fd < op.first || fd > op.last) continue;
          if (op.cloexec) table.entries.get(fd)!.cloexec = true;
          else table.close(fd);
        }
        break;
      case 'set-cloexec': {
        const entry = table.entries.get(op.fd);
        if (entry) entry.cloexec = op.cloexec;
        break;
      }
      case 'epoll-ctl': {
        const watched = table.entries.get(op.fd)?.end;
        let ends = table.epolls.get(op.epoll);
        if (!ends) table.epolls.set(op.epoll, (ends = new Set()));
        if (!watched) break;
        if (op.add) ends.add(watched);
        else ends.delete(watched);
        break;
      }
    }
  }

  private tableOf(tid: number): FdTable {
    let table = this.tables.get(tid);
    if (!table) {
      // Seen before the clone that made it, or a task whose creation the trace does not show.
      table = new FdTable(false);
      table.members.add(tid);
      this.tables.set(tid, table);
    }
    return table;
  }

  private observeClone(call: SyscallEvent): void {
    const parent = this.tableOf(call.tid);
    const childTid = call.result!.value!;
    const flags = call.clone!.flags;
    const shares = flags ? flags.includes('CLONE_FILES') : call.clone!.creates === 'thread';
    const early = this.tables.get(childTid);
    if (shares) {
      // A thread shares its creator's table: what it did before the clone returned happened there.
      if (early && early !== parent) {
        for (const fd of early.closedEarly) parent.close(fd);
        for (const [fd, entry] of early.entries) parent.entries.set(fd, entry);
      }
      parent.members.add(childTid);
      this.tables.set(childTid, parent);
      return;
    }
    const child = early && !early.based && early.members.size === 1 ? early : new FdTable(false);
    child.members.add(childTid);
    child.baseOn(parent, call);
    this.tables.set(childTid, child);
  }

  /** A task that exits by itself closes its share of the table; one killed keeps it held until then. */
  private observeExit(tid: number, byItself: boolean): void {
    const table = this.tables.get(tid);
    if (!table || !byItself) return;
    table.members.delete(tid);
    this.tables.delete(tid);
    if (table.members.size === 0) table.entries.clear();
  }

  /** Readers blocked forever on a pipe whose write end stuck processes hold open. */
  findings(tree: TaskTree, watcher: BlockWatcher, warnings: Warning[]): PipeHeldOpenFinding[] {
    const blocked: { task: Task; call: SyscallEvent; ends: { ref: FdRef; end: End; entry: Entry }[] }[] = [];
    for (const task of tree.tasks()) {
      const call = watcher.lastCallOf(task);
      if (!call || returned(call) || untimedWait(call) === null) continue;
      const wait = decodeFdWait(call);
      const table = this.tables.get(task.tid);
      if (!wait || !table || wait.alsoOther) continue;
      const ends: { ref: FdRef; end: End; entry: Entry }[] = [];
      let all = wait.fds.length > 0;
      for (const ref of wait.fds) {
        if (wait.call === 'epoll') {
          const watched = table.epolls.get(ref.fd);
          if (!watched || watched.size === 0) all = false;
          for (const end of watched ?? []) {
            const entry = [...table.entries.entries()].find(([, e]) => e.end === end);
            if (entry) ends.push({ ref: { fd: entry[0], path: null }, end, entry: entry[1] });
            else all = false;
          }
          continue;
        }
        const entry = table.entries.get(ref.fd);
        // A pipe's write end is not read from.
        if (!entry || (entry.end.channel.kind === 'pipe' && entry.end.side !== 0)) all = false;
        else ends.push({ ref, end: entry.end, entry });
      }
      if (all && ends.length > 0) blocked.push({ task, call, ends });
    }
    if (blocked.length > 0 && this.closes === 0) {
      warnings.push({
        file: blocked[0]!.call.start.where.file,
        line: 0,
        message:
          'threads wait reading descriptors, but the trace shows no close(): whether pipes are held open cannot be told ' +
          '(trace pipe, pipe2, socketpair, dup, dup2, dup3, fcntl and close too)',
      });
      return [];
    }
    const findings: PipeHeldOpenFinding[] = [];
    for (const { task, call, ends } of blocked) {
      const writers = ends.map(({ end }) => this.holdersOf(end.channel, end.side === 0 ? 1 : 0, tree));
      // Every descriptor it waits on must have a writer, and every writer must be stuck itself.
      if (writers.some((w) => w.length === 0)) continue;
      const all = writers.flat();
      if (!all.every(({ process }) => isStuck(process, watcher))) continue;
      findings.push(this.finding(task, call, ends[0]!, all, watcher));
    }
    return findings;
  }

  /** The processes whose tables hold `side` of `channel`, with the descriptor and the call that put it there. */
  private holdersOf(channel: Channel, side: 0 | 1, tree: TaskTree): { process: Process; fd: number; entry: Entry }[] {
    const holders: { process: Process; fd: number; entry: Entry }[] = [];
    const seen = new Set<FdTable>();
    for (const [tid, table] of this.tables) {
      if (seen.has(table)) continue;
      seen.add(table);
      const process = tree.task(tid)?.process;
      if (!process || process.pid === null) continue;
      for (const [fd, entry] of table.entries) {
        if (entry.end.channel === channel && entry.end.side === side) holders.push({ process, fd, entry });
      }
    }
    return holders;
  }

  private finding(
    task: Task,
    call: SyscallEvent,
    read: { ref: FdRef; end: End; entry: Entry },
    holders: { process: Process; fd: number; entry: Entry }[],
    watcher: BlockWatcher,
  ): PipeHeldOpenFinding {
    const process = task.process!;
    const channel = read.end.channel;
    const evidence: Evidence[] = [quote(channel.created, 'pipe-created')];
    const quoted = new Set<SyscallEvent>([channel.created]);
    const add = (c: SyscallEvent, role: Evidence['role']) => {
      if (quoted.has(c)) return;
      quoted.add(c);
      evidence.push(quote(c, role));
    };
    if (read.entry.via !== channel.created) add(read.entry.via, 'fd-copied');
    const writers: PipeWriter[] = [];
    for (const holder of holders) {
      if (!writers.some((w) => w.pid === holder.process.pid && w.fd === holder.fd)) writers.push({ pid: holder.process.pid!, fd: holder.fd });
      add(holder.entry.via, 'fd-copied');
      for (const thread of holder.process.threads) {
        const last = watcher.lastCallOf(thread);
        if (last && last !== call && !returned(last)) add(last, 'write-end-open');
      }
    }
    add(call, 'blocked-forever');
    const chain = waitChain(process, watcher);
    for (const { call: waiting } of chain) add(waiting, 'waits-for-child');
    const other = channel.kind === 'pipe' ? 'write end' : 'other end';
    const held = writers.map((w) => (w.pid === process.pid ? `${w.pid} itself (fd ${w.fd})` : `${w.pid} (fd ${w.fd})`)).join(', ');
    const subject = task.tid === process.pid ? `Process ${process.pid}` : `Thread ${task.tid} of process ${process.pid}`;
    return {
      kind: 'pipe-held-open',
      pid: process.pid!,
      tid: task.tid,
      fd: read.ref.fd,
      channel: channel.kind,
      call: call.name,
      writers,
      confidence: 'likely',
      blockedSince: call.start.text,
      chain: chain.map(({ link }) => link),
      evidence,
      explanation:
        `${subject} is blocked forever in ${call.name} on fd ${read.ref.fd}, a ${channel.kind} made at ` +
        `${channel.created.start.where.file}:${channel.created.start.where.line}. End of file comes only once every copy of ` +
        `its ${other} is closed, and ${held} still ${writers.length === 1 ? 'holds' : 'hold'} one (copied by a fork or dup, ` +
        'never closed), while every thread holding it is itself stuck in an untimed wait or was killed in one.',
      fix: '',
      source: 'trace',
    };
  }
}

/** Every thread of the process is in an untimed wait (or was killed in one): it will neither write nor close. */
function isStuck(process: Process, watcher: BlockWatcher): boolean {
  return process.threads.every((t) => {
    if (t.exited && (!t.exit || 'code' in t.exit)) return true;
    const call = watcher.lastCallOf(t);
    return call !== undefined && untimedWait(call) !== null;
  });
}

/**
 * What /proc shows: each thread blocked in read or poll with no timeout on a pipe's read end, and
 * every process of the tree with that pipe open for writing (fdinfo flags O_WRONLY or O_RDWR),
 * each of them stuck in untimed waits: `confirmed`.
 */
export function heldPipesFromSnapshot(snapshot: TreeSnapshot): PipeHeldOpenFinding[] {
  const findings: PipeHeldOpenFinding[] = [];
  const stuck = new Map(snapshot.processes.map((p) => [p.pid, p.threads.every((t) => t.untimedWait !== null)]));
  for (const process of snapshot.processes) {
    for (const thread of process.threads) {
      const read = thread.fdWait;
      if (!read || thread.untimedWait === null || read.length === 0) continue;
      const pipes = read.map((fd) => process.fds.find((d) => d.fd === fd));
      if (pipes.some((d) => !d || !d.target.startsWith('pipe:') || d.access === 'write')) continue;
      const target = pipes[0]!.target;
      const holders = snapshot.processes.flatMap((p) =>
        p.fds.filter((d) => d.target === target && d.access !== 'read').map((d) => ({ pid: p.pid, fd: d.fd, info: d })),
      );
      if (holders.length === 0 || !holders.every((h) => stuck.get(h.pid))) continue;
      const evidence: Evidence[] = [
        { file: `/proc/${process.pid}/task/${thread.tid}/syscall`, line: 1, tid: thread.tid, text: `${thread.syscall!.text} (${thread.untimedWait})`, role: 'blocked-forever' },
        ...holders.map((h) => ({
          file: `/proc/${h.pid}/fd/${h.fd}`,
          line: 1,
          tid: h.pid,
          text: `${h.fd} -> ${target} (flags ${h.info.flags})`,
          role: 'write-end-open' as const,
        })),
      ];
      const held = holders.map((h) => `${h.pid} (fd ${h.fd})`).join(', ');
      findings.push({
        kind: 'pipe-held-open',
        pid: process.pid,
        tid: thread.tid,
        fd: read[0]!,
        channel: 'pipe',
        call: thread.syscall!.name,
        writers: holders.map(({ pid, fd }) => ({ pid, fd })),
        confidence: 'confirmed',
        blockedSince: null,
        chain: [],
        evidence,
        explanation:
          `Thread ${thread.tid} of ${process.pid} is blocked in ${thread.syscall!.name} with no timeout on fd ${read[0]} (${target}); ` +
          `/proc shows its write end open in ${held}, every thread of which is itself in an untimed wait: end of file never comes.`,
        fix: '',
        source: 'proc',
      });
    }
  }
  return findings;
}

/**
 * A reader whose every writer is a process hung on a lock (an inherited lock, a lock cycle) waits
 * because of that hang: it is one more waiter in that finding's chain, not a hang of its own
 * (a pool's result thread reading from hung workers, say).
 */
export function foldIntoLockHangs(findings: Finding[]): Finding[] {
  const lockHangOf = (pid: number) => findings.find((f) => f.kind !== 'pipe-held-open' && f.pid === pid);
  return findings.filter((finding) => {
    if (finding.kind !== 'pipe-held-open') return true;
    const hangs = finding.writers.map((w) => lockHangOf(w.pid));
    if (hangs.some((h) => h === undefined)) return true;
    const blocked = finding.evidence.find((e) => e.role === 'blocked-forever');
    const writers = finding.writers.map((w) => w.pid).join(', ');
    hangs[0]!.chain.push({
      pid: finding.pid,
      tid: finding.tid,
      waitsOn: `${finding.call} fd ${finding.fd} (a ${finding.channel} held open by ${writers})`,
      where: blocked ? { file: blocked.file, line: blocked.line } : null,
    });
    return false;
  });
}
