// The inherited-lock analysis: it is fed the events of a trace (observe), building the task tree
// and finding the threads of forked children blocked forever on a futex word (pass 1); at the end
// (finish), only when there are some, it asks for the parent's futex calls on those words once
// more to name the holder (pass 2). It knows nothing of files or formats: what it asks for again
// is a query on events, answered by whoever read the trace (src/pipeline.ts, through parsers/).
//
// Why a second look instead of keeping the calls in pass 1: which words and which forks matter is
// only known at the end, and keeping the calls around every fork on every word would grow with the
// log. The question is narrow (a few threads, a few words) and rarely asked (only when a hang is
// found), so the reader answers it from the trace itself.

import type { InputStats } from '../../parsers/types.js';
import { returned } from '../model/events.js';
import type { FutexCallQuery, SyscallEvent, TraceEvent } from '../model/events.js';
import { callText } from '../model/format.js';
import { futexOpName } from '../model/futex.js';
import { TaskTree } from '../model/tree.js';
import type { Process } from '../model/tree.js';
import { BlockWatcher } from './blocked.js';
import type { HangCandidate } from './blocked.js';
import { HolderCollector, inferHolder } from './holder.js';
import type { HolderVerdict, QuotedCall } from './holder.js';
import type { Analysis, ChainLink, Evidence, EvidenceRole, Finding, ProcessState, ProcessSummary, Warning } from './types.js';

/** Warnings kept for the report; past this only the count grows (a garbage file must not fill memory). */
const MAX_WARNINGS = 1000;


/** Answers pass 2 from the trace: the events holding the calls asked for (others may come too). */
export interface FutexCallSource {
  futexCalls(query: FutexCallQuery): AsyncIterable<TraceEvent>;
}

export interface TraceAnalysis {
  analysis: Analysis;
  tree: TaskTree;
  watcher: BlockWatcher;
}

export class ForkHangAnalysis {
  readonly tree = new TaskTree();
  private readonly watcher = new BlockWatcher(this.tree);
  private readonly warnings: Warning[] = [];

  /** `inputs`: the counts the reader fills in while it reads (reported as the analysis's inputs). */
  constructor(private readonly inputs: InputStats[]) {}

  observe(event: TraceEvent): void {
    if (event.kind === 'warning') {
      if (this.warnings.length < MAX_WARNINGS) this.warnings.push({ ...event.where, message: event.message });
      return;
    }
    this.tree.observe(event);
    this.watcher.observe(event);
  }

  /** After the last event: names the holders (asking `calls` for pass 2 when there are hangs) and reports. */
  async finish(calls: FutexCallSource): Promise<TraceAnalysis> {
    const { tree, watcher, inputs, warnings } = this;
    tree.finish();
    const dropped = inputs.reduce((n, i) => n + i.warnings, 0) - warnings.length;
    if (dropped > 0) warnings.push({ file: inputs[0]?.path ?? '-', line: 0, message: `${dropped} more warnings not listed` });
    // Warnings about the whole trace count like a line's, in `Warnings (N)` and `inputs[].warnings`.
    for (const warning of [missingCreationWarning(tree, inputs), unseenChildrenWarning(tree)]) {
      if (!warning) continue;
      warnings.push(warning);
      const input = inputs.find((i) => i.path === warning.file) ?? inputs[0];
      if (input) input.warnings++;
    }

    const candidates = watcher.candidates();
    const collector = new HolderCollector(candidates);
    if (candidates.length > 0) {
      const query = {
        tids: new Set(candidates.flatMap((c) => c.parent.threads.map((t) => t.tid))),
        words: new Set(candidates.map((c) => c.wait.address)),
      };
      for await (const event of calls.futexCalls(query)) collector.observe(event);
    }
    const findings = collector.histories.map((history) => buildFinding(history.candidate, inferHolder(history), watcher));
    return {
      analysis: { inputs, processes: summarizeProcesses(tree, watcher), findings, warnings },
      tree,
      watcher,
    };
  }
}

function buildFinding(candidate: HangCandidate, verdict: HolderVerdict, watcher: BlockWatcher): Finding {
  const { task, child, parent, wait } = candidate;
  const { holderTid, confidence, reason } = verdict;
  const futex = wait.futex;
  const chain = waitChain(child, watcher);
  const quoted: QuotedCall[] = [...verdict.evidence];
  if (child.forkCall) quoted.push({ call: child.forkCall, role: 'fork-while-held' });
  quoted.push({ call: wait.first, role: wait.pending && wait.timeouts === 0 ? 'blocked-forever' : 'timed-out' });
  if (wait.last !== wait.first) quoted.push({ call: wait.last, role: wait.pending ? 'blocked-forever' : 'timed-out' });
  for (const { call } of chain) quoted.push({ call, role: 'waits-for-child' });
  const evidence = quoted.map(({ call, role }) => quote(call, role));
  const blocking = wait.pending
    ? `is blocked forever in ${futexOpName(futex)} on futex ${futex.address}`
    : `keeps timing out (${wait.timeouts} times) in ${futexOpName(futex)} on futex ${futex.address}`;
  const subject = task.tid === child.pid ? `Process ${child.pid}` : `Thread ${task.tid} of process ${child.pid}`;
  const held =
    holderTid === null
      ? 'The trace does not show which thread of the parent held it.'
      : `Thread ${holderTid} of the parent held it when thread ${child.forkTid} forked ${child.pid}.`;
  return {
    kind: 'inherited-lock',
    pid: child.pid!,
    tid: task.tid,
    futex: futex.address,
    parentPid: parent.pid,
    forkTid: child.forkTid!,
    holderTid,
    confidence,
    blockedSince: wait.first.start.text,
    op: futexOpName(futex),
    chain: chain.map(({ link }) => link),
    evidence,
    explanation: `${subject} ${blocking}: it inherited the lock locked. ${held} ${reason}`,
    source: 'trace',
  };
}

/** A call as evidence. Built field by field: spreading its `where` gave every evidence object its own hidden class. */
function quote(call: SyscallEvent, role: EvidenceRole): Evidence {
  const { file, line, offset } = call.start.where;
  const text = callText(call);
  return offset === undefined ? { file, line, tid: call.tid, text, role } : { file, line, offset, tid: call.tid, text, role };
}

/** Who waits for the hung process: a parent thread sitting in wait4/waitid on it, and so on upward. */
function waitChain(child: Process, watcher: BlockWatcher): { link: ChainLink; call: SyscallEvent }[] {
  const links: { link: ChainLink; call: SyscallEvent }[] = [];
  const seen = new Set<Process>();
  for (let waitedOn = child; waitedOn.parent && !seen.has(waitedOn); waitedOn = waitedOn.parent) {
    seen.add(waitedOn);
    const waiting = waitedOn.parent.threads
      .map((t) => watcher.lastCallOf(t))
      .find((call): call is SyscallEvent => call !== undefined && waitsFor(call, waitedOn));
    if (!waiting) break;
    const link = {
      pid: waitedOn.parent.pid,
      tid: waiting.tid,
      waitsOn: `${waiting.name} ${waiting.wait!.pid ?? 'any'}`,
      where: waiting.start.where,
    };
    links.push({ link, call: waiting });
  }
  return links;
}

function waitsFor(call: SyscallEvent, process: Process): boolean {
  if (!call.wait || returned(call)) return false;
  const pid = call.wait.pid;
  // -1 waits for any child, 0 and < -1 for a process group (which the trace cannot check).
  return pid === null || pid <= 0 || pid === process.pid;
}

function summarizeProcesses(tree: TaskTree, watcher: BlockWatcher): ProcessSummary[] {
  return tree.processes().map((process) => ({
    pid: process.pid,
    parentPid: process.parent?.pid ?? null,
    threads: process.threads.map((t) => t.tid),
    command: process.command,
    exit: process.exit,
    state: processState(process, watcher),
  }));
}

function processState(process: Process, watcher: BlockWatcher): ProcessState {
  if (process.exit && 'signal' in process.exit) return 'killed';
  const live = process.threads.filter((t) => !t.exited && !t.exit);
  if (live.length === 0) return process.exit ? 'exited' : 'unknown';
  if (live.some((t) => watcher.blockedWaitOf(t)?.pending)) return 'blocked-futex';
  const pending = live.map((t) => watcher.lastCallOf(t)).filter((c) => c && !returned(c));
  if (pending.some((c) => c!.wait)) return 'waiting-child';
  return 'running';
}

/**
 * Forked children with no line of their own: strace ran without -f (or its filter kept none of
 * their calls), so whether they hung cannot be told. None has any line: an error, the trace cannot
 * answer; some: a warning naming them.
 */
function unseenChildrenWarning(tree: TaskTree): Warning | null {
  const forked = tree.processes().filter((p) => p.forkCall !== null);
  const unseen = forked.filter((p) => p.threads.every((t) => !t.hasLines));
  if (unseen.length === 0) return null;
  const where = unseen[0]!.forkCall!.start.where;
  const one = unseen.length === 1;
  const which = `${one ? 'child' : 'children'} ${listed(unseen.map((p) => String(p.pid)))}`;
  const why = `no line of ${one ? 'its' : 'their'} own (strace ran without -f, or its -e filter kept none of ${one ? 'its' : 'their'} calls)`;
  const advice = `whether ${one ? 'it' : 'they'} hung cannot be told; record with: strace -f -tt -T -o trace.log PROGRAM`;
  if (unseen.length === forked.length) {
    throw new Error(`${where.file}: the trace cannot show the forked ${which}: ${one ? 'it has' : 'they have'} ${why}, so ${advice}`);
  }
  return { ...where, message: `forked ${which} ${one ? 'has' : 'have'} ${why}: ${advice}` };
}

/** Pids for a one-line message, cut after a few. */
function listed(pids: string[], max = 8): string {
  return pids.length > max ? `${pids.slice(0, max).join(', ')} and ${pids.length - max} more` : pids.join(', ');
}

/** Several tasks and not one clone/fork: the trace was filtered (`-e trace=`) without them. */
function missingCreationWarning(tree: TaskTree, inputs: InputStats[]): Warning | null {
  const tasks = tree.tasks();
  if (tasks.length < 2 || tasks.some((t) => t.creation !== null || t.creatorTid !== null || t.tgid !== null)) return null;
  return {
    file: inputs[0]?.path ?? '-',
    line: 0,
    message:
      `${tasks.length} tasks but no clone, clone3, fork or vfork call in the trace, so which tasks are forked ` +
      'children cannot be told: trace those calls too (e.g. strace -e trace=futex,clone,clone3,fork,vfork,wait4)',
  };
}
