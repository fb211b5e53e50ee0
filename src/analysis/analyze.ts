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
import type { FutexCallQuery, TraceEvent } from '../model/events.js';
import { futexOpName } from '../model/futex.js';
import { TaskTree } from '../model/tree.js';
import type { FoldedProcess, Process, TaskTreeOptions } from '../model/tree.js';
import { BlockWatcher } from './blocked.js';
import type { HangCandidate } from './blocked.js';
import { waitChain } from './chain.js';
import { quote } from './evidence.js';
import { ForkThreads } from './fork-threads.js';
import { HolderCollector, inferHolder, rankHolders } from './holder.js';
import type { QuotedCall, RankedHolders } from './holder.js';
import { AddressMap } from './address-map.js';
import { LockTracker } from './lock-cycle.js';
import { nameFindingLocks } from './lock-names.js';
import type { ObjectFiles } from './lock-names.js';
import { PipeTracker, foldIntoLockHangs } from './pipes.js';
import type { Analysis, Finding, InheritedLockFinding, LockCycleFinding, ProcessState, ProcessSummary, Warning } from './types.js';

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
  readonly tree: TaskTree;
  private readonly watcher: BlockWatcher;
  private readonly forkThreads: ForkThreads;
  private readonly locks = new LockTracker();
  private readonly pipes = new PipeTracker();
  private readonly warnings: Warning[] = [];

  private readonly addresses = new AddressMap();

  /**
   * `inputs`: the counts the reader fills in while it reads (reported as the analysis's inputs);
   * `objects`: the files the trace maps, to name the locks by their symbols; `tree`: how the task
   * tree keeps its tasks.
   */
  constructor(
    private readonly inputs: InputStats[],
    private readonly objects: ObjectFiles,
    tree: TaskTreeOptions = {},
  ) {
    this.tree = new TaskTree(tree);
    this.watcher = new BlockWatcher(this.tree);
    this.forkThreads = new ForkThreads(this.tree);
  }

  observe(event: TraceEvent): void {
    if (event.kind === 'warning') {
      if (this.warnings.length < MAX_WARNINGS) this.warnings.push({ ...event.where, message: event.message });
      return;
    }
    this.tree.observe(event);
    this.watcher.observe(event);
    this.forkThreads.observe(event);
    this.locks.observe(event);
    this.pipes.observe(event);
    this.addresses.observe(event);
  }

  /** A warning about the whole trace counts like a line's, in `Warnings (N)` and `inputs[].warnings`. */
  private warnAboutTrace(warning: Warning): void {
    this.warnings.push(warning);
    const input = this.inputs.find((i) => i.path === warning.file) ?? this.inputs[0];
    if (input) input.warnings++;
  }

  /** After the last event: names the holders (asking `calls` for pass 2 when there are hangs) and reports. */
  async finish(calls: FutexCallSource): Promise<TraceAnalysis> {
    const { tree, watcher, locks, inputs, warnings } = this;
    tree.finish();
    const dropped = inputs.reduce((n, i) => n + i.warnings, 0) - warnings.length;
    if (dropped > 0) warnings.push({ file: inputs[0]?.path ?? '-', line: 0, message: `${dropped} more warnings not listed` });
    for (const warning of [missingCreationWarning(tree, inputs), unseenChildrenWarning(tree)]) if (warning) this.warnAboutTrace(warning);

    const cycles = locks.cycles(tree, watcher);
    const heldPipes = this.pipes.findings(tree, watcher, warnings);
    // A join on a thread of the child, or a lock a thread of the child took after the fork, was not inherited.
    const candidates = watcher
      .candidates()
      .filter((c) => !locks.threadOfTidWord(c.child, c.wait.address) && !locks.heldInProcess(c.child, c.wait.address, c.task));
    const collector = new HolderCollector(candidates);
    if (candidates.length > 0) {
      for await (const event of calls.futexCalls(collector.query())) collector.observe(event);
    }
    const inherited = collector.finish().map((history) => {
      const ranked = rankHolders(history, this.forkThreads.snapshotOf(history.candidate.child), inferHolder(history));
      return buildFinding(history.candidate, ranked, watcher);
    });
    const findings = foldIntoLockHangs([...separateLockHangs(inherited, cycles), ...heldPipes]);
    for (const warning of nameFindingLocks(findings, this.addresses, this.objects)) this.warnAboutTrace(warning);
    return {
      analysis: { inputs, processes: summarizeProcesses(tree, watcher), findings, warnings },
      tree,
      watcher,
    };
  }
}

/**
 * A thread blocked in both an inherited lock and a lock cycle is one hang: the inherited lock when
 * the parent's trace names its holder, else the cycle (a cycle of possible holders among the
 * child's own threads explains it as well as an unseen holder in the parent).
 */
function separateLockHangs(inherited: InheritedLockFinding[], cycles: LockCycleFinding[]): Finding[] {
  const named = (f: InheritedLockFinding) => f.holderTid !== null && f.confidence !== 'possible';
  const inCycle = (f: InheritedLockFinding, c: LockCycleFinding) => c.pid === f.pid && c.tids.includes(f.tid);
  const keptCycles = cycles.filter((c) => c.confidence !== 'possible' || !inherited.some((f) => inCycle(f, c) && named(f)));
  return [...inherited.filter((f) => !keptCycles.some((c) => inCycle(f, c))), ...keptCycles];
}

function buildFinding(candidate: HangCandidate, ranked: RankedHolders, watcher: BlockWatcher): InheritedLockFinding {
  const { task, child, parent, wait, outcome } = candidate;
  const { verdict, candidates } = ranked;
  const { holderTid, confidence, reason } = verdict;
  const futex = wait.futex;
  const chain = waitChain(child, watcher);
  const quoted: QuotedCall[] = [...verdict.evidence];
  if (child.forkCall) quoted.push({ call: child.forkCall, role: 'fork-while-held' });
  if (outcome === 'aborted') quoted.push({ call: wait.first, role: 'lock-failed' });
  else quoted.push({ call: wait.first, role: wait.pending && wait.timeouts === 0 ? 'blocked-forever' : 'timed-out' });
  if (wait.last !== wait.first) quoted.push({ call: wait.last, role: wait.pending ? 'blocked-forever' : 'timed-out' });
  for (const { call } of chain) quoted.push({ call, role: 'waits-for-child' });
  const evidence = quoted.map(({ call, role }) => quote(call, role));
  const killedBy = task.exit && 'signal' in task.exit ? task.exit.signal : 'a signal';
  const what =
    outcome === 'aborted'
      ? `was aborted (killed by ${killedBy}): it inherited a priority-inheritance mutex locked, and its ` +
        `${futexOpName(futex)} on futex ${futex.address} failed with ${wait.first.result?.errno ?? 'an error'} (the kernel ` +
        'refuses a PI lock whose owner is a thread of another process), so glibc aborted it.'
      : wait.pending
        ? `is blocked forever in ${futexOpName(futex)} on futex ${futex.address}: it inherited the lock locked.`
        : `keeps timing out (${wait.timeouts} times) in ${futexOpName(futex)} on futex ${futex.address}: it inherited the lock locked.`;
  const subject = task.tid === child.pid ? `Process ${child.pid}` : `Thread ${task.tid} of process ${child.pid}`;
  const held =
    holderTid === null
      ? 'The trace does not show which thread of the parent held it.'
      : `Thread ${holderTid} of the parent ${confidence === 'possible' ? 'may have held' : 'held'} it when thread ${child.forkTid} forked ${child.pid}.`;
  return {
    kind: 'inherited-lock',
    pid: child.pid!,
    tid: task.tid,
    futex: futex.address,
    lock: null,
    parentPid: parent.pid,
    forkTid: child.forkTid!,
    holderTid,
    confidence,
    holderCandidates: candidates,
    outcome,
    blockedSince: wait.first.start.text,
    op: futexOpName(futex),
    chain: chain.map(({ link }) => link),
    evidence,
    explanation: `${subject} ${what} ${held} ${reason}`,
    fix: '',
    source: 'trace',
  };
}

function summarizeProcesses(tree: TaskTree, watcher: BlockWatcher): ProcessSummary[] {
  const summaries: ProcessSummary[] = [];
  for (const process of tree.everyProcess()) {
    summaries.push({
      pid: process.pid,
      parentPid: process.parent?.pid ?? null,
      threads: 'folded' in process ? [process.pid] : process.threads.map((t) => t.tid),
      command: process.command,
      exit: process.exit,
      state: processState(process, watcher),
    });
  }
  return summaries;
}

function processState(process: Process | FoldedProcess, watcher: BlockWatcher): ProcessState {
  // A folded child exited by itself and was reaped.
  if ('folded' in process) return 'exited';
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
  // A folded child was forked, and seen: it has its exit line.
  const forkedCount = forked.length + tree.foldedCount;
  const where = unseen[0]!.forkCall!.start.where;
  const one = unseen.length === 1;
  const which = `${one ? 'child' : 'children'} ${listed(unseen.map((p) => String(p.pid)))}`;
  const why = `no line of ${one ? 'its' : 'their'} own (strace ran without -f, or its -e filter kept none of ${one ? 'its' : 'their'} calls)`;
  const advice = `whether ${one ? 'it' : 'they'} hung cannot be told; record with: strace -f -tt -T -o trace.log PROGRAM`;
  if (unseen.length === forkedCount) {
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
  // A folded child's fork is in the trace.
  if (tree.foldedCount > 0) return null;
  if (tasks.length < 2 || tasks.some((t) => t.creation !== null || t.creatorTid !== null || t.tgid !== null)) return null;
  return {
    file: inputs[0]?.path ?? '-',
    line: 0,
    message:
      `${tasks.length} tasks but no clone, clone3, fork or vfork call in the trace, so which tasks are forked ` +
      'children cannot be told: trace those calls too (e.g. strace -e trace=futex,clone,clone3,fork,vfork,wait4)',
  };
}
