// Where each futex word's calls are in a trace file, noted while the file is first read, so that
// the analysis's second question (a few threads' calls on a few words around a fork: FutexCallQuery)
// is answered by reading the blocks of the file that hold them, outward from the fork, instead of
// the whole file again.
//
// The file is cut into blocks of about `blockBytes` at line starts. For each block the reader keeps
// what it knew at its first line (parsers/strace.ts StraceResume: the clock, whose the unprefixed
// lines are), so a read that starts there gives the same events, stamps included, as a read from
// the start. Per futex word the index keeps the blocks holding a line of a call on it (its start,
// its end, or the line that ended it unreturned), the calls whose lines are in two blocks (an
// unfinished half and its resumed half, or a call that never returned), and per thread its first and
// last block: memory grows with the words, threads and the log's size / blockBytes, not its lines.
//
// Why a partial read gives each thread's calls as the whole read does: a thread is in one call at a
// time, so its calls on a word come in the order of their last lines; all calls of the word in the
// blocks of a range are read, and the calls of the word with lines in two blocks that touch the range
// are read whole (both blocks, also out of the range: a call in progress across the whole range, e.g.
// a wait across the fork, is read too). The range grows from the fork until each thread shows `calls`
// calls ending before the fork and `calls` starting after it, or holds all its calls; calls read
// beyond the range are on its outer side, so they are among the ones the analysis drops. A call of
// which a read saw one half only gives nothing: an unfinished half whose rest is not read is dropped
// where the read skips blocks (BlockReading.continues), and a resumed half alone carries no futex
// word (strace prints the arguments in the first half), so it is no futex call asked for.

import { compareStamps } from '../src/model/events.js';
import type { FutexCallWindow, Stamp, SyscallEvent } from '../src/model/events.js';
import type { StraceResume } from './strace.js';
import { firstIndex } from '../src/util/search.js';

/** Block size when the caller does not say: about 80 blocks for a 20 MB log. */
export const DEFAULT_BLOCK_BYTES = 256 << 10;

/** The last block of a call that never ended: the reader gives it at the end of its read. */
const NEVER = Infinity;

/** Where a block starts, and what the reader knew there. */
export interface BlockStart {
  offset: number;
  line: number;
  /** The latest start time read before the block (-Infinity: none yet), null when the file's times do not order its lines. */
  us: number | null;
  /** The latest end time (start plus -T duration) read before the block. */
  endUs: number;
  state: StraceResume;
}

/** Lines to read: from a block's start to `end` (a later block's start, or Infinity for the file's end). */
export interface BlockRun {
  start: BlockStart;
  end: number;
  /** The blocks read, first to last. */
  first: number;
  last: number;
}

/** The blocks of one file a read reads, in runs of consecutive blocks. */
export class BlockReading {
  constructor(
    readonly runs: BlockRun[],
    private readonly index: FileFutexIndex | null,
  ) {}

  /**
   * Whether a call still unfinished at the end of run `run` (started at `startOffset`) ends in a
   * later run, or never: else its rest is not read, and it is dropped, not given as never returned.
   */
  continues(startOffset: number | undefined, run: number): boolean {
    const last = startOffset === undefined ? undefined : this.index?.lastBlockOf(startOffset);
    if (last === undefined) return false;
    return last === NEVER || this.runs.some((r, i) => i > run && r.first <= last && last <= r.last);
  }
}

/** The calls on one word in one file, by block. */
class WordCalls {
  /** Blocks holding a line of a call on the word, ascending. */
  readonly blocks: number[] = [];
  /** Calls whose lines are in two blocks, as pairs [first, last] (last NEVER when it never ended). */
  readonly spans: number[] = [];
  /** Each thread's first and last block (the start of a call that never ended counts as its last). */
  readonly threads = new Map<number, { first: number; last: number }>();

  mark(block: number): void {
    const { blocks } = this;
    // Lines come in order: a call's end is in the last block; its start may be in an earlier one.
    let i = blocks.length;
    while (i > 0 && blocks[i - 1]! > block) i--;
    if (blocks[i - 1] !== block) blocks.splice(i, 0, block);
  }

  /** The marked blocks in [from, to]. */
  *within(from: number, to: number): Generator<number> {
    const { blocks } = this;
    for (let i = firstIndex(blocks.length, (j) => blocks[j]! >= from); i < blocks.length && blocks[i]! <= to; i++) yield blocks[i]!;
  }
}

/** One file's index, filled by its reader during the first read. */
export class FileFutexIndex {
  readonly blocks: BlockStart[] = [];
  readonly words = new Map<string, WordCalls>();
  /** The offset from which the next line starts a block. */
  nextBlockAt = 0;
  /** A futex call without a time was read: this file's calls cannot be placed against another file's fork by time. */
  private untimed = false;
  /** The last block of each futex call with lines in two blocks, by the offset of its first line. */
  private readonly lastBlocks = new Map<number, number>();

  constructor(
    readonly stream: number,
    private readonly blockBytes: number,
  ) {}

  /** A block starts at this line (the reader calls it at a line with offset >= nextBlockAt where it can restart). */
  startBlock(block: BlockStart): void {
    this.blocks.push(block);
    this.nextBlockAt = block.offset + this.blockBytes;
  }

  blockOf(offset: number): number {
    const { blocks } = this;
    // Most calls are in the block being read.
    const last = blocks.length - 1;
    if (last >= 0 && offset >= blocks[last]!.offset) return last;
    return Math.max(0, firstIndex(blocks.length, (i) => blocks[i]!.offset > offset) - 1);
  }

  /** A futex call was emitted; `emittedAt`: the line being read then (null at the end of the file). */
  noteCall(call: SyscallEvent, emittedAt: number | null): void {
    const address = call.futex!.address;
    if (call.start.us === null) this.untimed = true;
    let word = this.words.get(address);
    if (!word) this.words.set(address, (word = new WordCalls()));
    const first = this.blockOf(call.start.where.offset ?? 0);
    // A call that never returned ends at the line that said so (the task's exit), or never.
    const endAt = call.end ? call.end.where.offset : emittedAt;
    const last = endAt === null || endAt === undefined ? NEVER : this.blockOf(endAt);
    word.mark(first);
    if (last !== NEVER) word.mark(last);
    if (last !== first) {
      word.spans.push(first, last);
      if (call.start.where.offset !== undefined) this.lastBlocks.set(call.start.where.offset, last);
    }
    const reach = word.threads.get(call.tid);
    const lastSeen = last === NEVER ? first : last;
    if (!reach) word.threads.set(call.tid, { first, last: lastSeen });
    else {
      reach.first = Math.min(reach.first, first);
      reach.last = Math.max(reach.last, lastSeen);
    }
  }

  /** The last block of the futex call whose first line is at `offset`, when it is not its first block. */
  lastBlockOf(offset: number): number | undefined {
    return this.lastBlocks.get(offset);
  }

  /** The blocks around a fork: by its lines in this file's stream, else by time; null when the file cannot place it. */
  forkBlocks(fork: { start: Stamp; end: Stamp }): [number, number] | null {
    const { start, end } = fork;
    if (start.stream === this.stream) {
      if (start.where.offset === undefined || end.where.offset === undefined) return null;
      return [this.blockOf(start.where.offset), this.blockOf(end.where.offset)];
    }
    if (this.untimed || start.us === null || end.us === null || this.blocks.some((b) => b.us === null)) return null;
    // Both times only grow from block to block.
    const { blocks } = this;
    // A call ending after the fork began has its line in a block after which the latest end read passed it.
    const afterEnd = firstIndex(blocks.length, (i) => blocks[i]!.endUs > start.us!);
    const from = afterEnd === blocks.length ? blocks.length - 1 : Math.max(0, afterEnd - 1);
    // A call ending before it, in a block whose lines started before it.
    const startedAfter = firstIndex(blocks.length, (i) => blocks[i]!.us! > end.us!);
    const to = startedAfter === blocks.length ? blocks.length - 1 : Math.max(from, startedAfter - 1);
    return [from, to];
  }
}

/** The indexes of a trace's files, filled during the first read, source by source. */
export class FutexIndex {
  private readonly sources: SourceIndex[] = [];

  constructor(readonly blockBytes = DEFAULT_BLOCK_BYTES) {}

  /** The next source is read, its first stream numbered `firstStream`. */
  beginSource(firstStream: number): void {
    this.sources.push({ firstStream, files: new Map() });
  }

  /** A new index for `file` of the current source, read as `stream`. */
  add(file: string, stream: number): FileFutexIndex {
    const index = new FileFutexIndex(stream, this.blockBytes);
    this.sources.at(-1)?.files.set(file, index);
    return index;
  }

  /** The `i`th source's indexes, by file. */
  source(i: number): SourceIndex | undefined {
    return this.sources[i];
  }
}

export interface SourceIndex {
  firstStream: number;
  files: Map<string, FileFutexIndex>;
}

/** One window's range of blocks in one file. */
interface Part {
  index: FileFutexIndex;
  window: FutexCallWindow;
  word: WordCalls;
  /** The threads' first and last blocks. */
  reach: { first: number; last: number };
  fork: [number, number] | null;
  from: number;
  to: number;
}

/**
 * Which blocks of a source's files to read for some windows: first the fork's blocks, then, after
 * each read (`grow`), further out where a thread has not shown enough calls. Each widening doubles
 * a side and is read afresh (one read in file order keeps a thread's calls in order), so all reads
 * together read about twice the last. A window whose fork a file cannot place (untimed `-ff` files,
 * a fork not in the trace) reads all of its threads' calls on the word there.
 */
export class BlockPlan {
  /** Each file's parts. */
  private readonly parts = new Map<FileFutexIndex, Part[]>();

  constructor(
    private readonly files: Map<string, FileFutexIndex>,
    windows: FutexCallWindow[],
  ) {
    // The files where each thread called on each word: a window looks only there (a -ff set of
    // 100,000 hung children's files asks for the parent's one or two).
    const holding = new Map<string, Set<FileFutexIndex>>();
    for (const index of files.values()) {
      this.parts.set(index, []);
      for (const [address, word] of index.words) {
        for (const tid of word.threads.keys()) {
          const key = wordAndTid(address, tid);
          const set = holding.get(key);
          if (set) set.add(index);
          else holding.set(key, new Set([index]));
        }
      }
    }
    for (const window of windows) {
      const indexes = new Set<FileFutexIndex>();
      for (const tid of window.tids) for (const index of holding.get(wordAndTid(window.word, tid)) ?? []) indexes.add(index);
      for (const index of indexes) {
        const word = index.words.get(window.word)!;
        const reaches = [...window.tids].flatMap((tid) => word.threads.get(tid) ?? []);
        const reach = { first: Math.min(...reaches.map((r) => r.first)), last: Math.max(...reaches.map((r) => r.last)) };
        const fork = window.fork && index.forkBlocks(window.fork);
        const [from, to] = fork ?? [reach.first, reach.last];
        this.parts.get(index)!.push({ index, window, word, reach, fork, from, to });
      }
    }
  }

  /** The blocks to read in each file. */
  reading(): Map<string, BlockReading> {
    const readings = new Map<string, BlockReading>();
    for (const [file, index] of this.files) {
      // A word's ranges merged first: its calls are visited once however many forks ask for it
      // (a parent that forked 100,000 children that hang on one word asks 100,000 times).
      const ranges = new Map<WordCalls, [number, number][]>();
      for (const part of this.parts.get(index) ?? []) {
        const list = ranges.get(part.word);
        if (list) list.push([part.from, part.to]);
        else ranges.set(part.word, [[part.from, part.to]]);
      }
      const selected = new Set<number>();
      for (const [word, list] of ranges) {
        const merged = mergeRanges(list);
        for (const [from, to] of merged) for (const block of word.within(from, to)) selected.add(block);
        // A call of the word in progress over a range (a wait across the fork) is read whole.
        forEachSpan(word, (first, last) => {
          if (!overlapsAny(merged, first, last)) return;
          selected.add(first);
          if (last !== NEVER) selected.add(last);
        });
      }
      readings.set(file, new BlockReading(toRuns(index, [...selected].sort((a, b) => a - b)), index));
    }
    return readings;
  }

  /**
   * After a read of `reading()` gave `calls` (those asked for): widens each range where a thread
   * showed fewer than its window's calls on a side and has more there, or, when a call's order to
   * the fork is unknown, to all of the threads' calls. False when nothing more is to be read.
   */
  grow(calls: SyscallEvent[]): boolean {
    const read = new Map<string, ReadCalls>();
    for (const call of calls) {
      const key = `${call.start.stream} ${wordAndTid(call.futex!.address, call.tid)}`;
      const own = read.get(key);
      if (own) own.calls.push(call);
      else read.set(key, new ReadCalls(call));
    }
    let grown = false;
    for (const parts of this.parts.values()) {
      for (const part of parts) {
        const { index, window, fork, reach } = part;
        if (!fork || !window.fork || (part.from <= reach.first && part.to >= reach.last)) continue;
        const counts = new Map<number, { before: number; after: number }>();
        let unordered = false;
        for (const tid of window.tids) {
          const own = read.get(`${index.stream} ${wordAndTid(window.word, tid)}`);
          if (!own) continue;
          if (own.unorderedAgainst(window.fork)) {
            unordered = true;
            break;
          }
          counts.set(tid, own.count(window.fork, part, index));
        }
        if (unordered) {
          part.from = reach.first;
          part.to = reach.last;
          grown = true;
          continue;
        }
        let back = part.from;
        let forward = part.to;
        for (const tid of window.tids) {
          const own = part.word.threads.get(tid);
          if (!own) continue;
          const { before, after } = counts.get(tid) ?? { before: 0, after: 0 };
          if (before < window.calls && part.from > own.first) back = Math.min(back, Math.max(own.first, part.from - (fork[0] - part.from + 1)));
          if (after < window.calls && part.to < own.last) forward = Math.max(forward, Math.min(own.last, part.to + (part.to - fork[1] + 1)));
        }
        if (back !== part.from || forward !== part.to) {
          part.from = back;
          part.to = forward;
          grown = true;
        }
      }
    }
    return grown;
  }
}

const wordAndTid = (word: string, tid: number) => `${word} ${tid}`;

/**
 * The calls a read gave of one thread on one word in one file, in the order read. A thread is in
 * one call at a time and a file's times only go forward, so their starts, ends and blocks only grow
 * and a fork's window is counted by binary search (a window per fork of a parent whose thread keeps
 * using the lock would otherwise visit every call of every fork).
 */
class ReadCalls {
  readonly calls: SyscallEvent[];
  /** The times of the calls' starts and ends, null when one has none. */
  private times: Set<number> | null | undefined;
  private blocks: CallBlocks | undefined;

  constructor(first: SyscallEvent) {
    this.calls = [first];
  }

  /** Whether a call's order to the fork is unknown (times missing or equal, in another stream). */
  unorderedAgainst(fork: { start: Stamp; end: Stamp }): boolean {
    if (this.calls[0]!.start.stream === fork.start.stream) return false;
    if (this.times === undefined) {
      const times = new Set<number>();
      for (const call of this.calls) for (const { us } of call.end ? [call.start, call.end] : [call.start]) if (us !== null) times.add(us);
      const untimed = this.calls.some((call) => call.start.us === null || call.end?.us === null);
      this.times = untimed ? null : times;
    }
    return fork.start.us === null || fork.end.us === null || this.times === null || this.times.has(fork.start.us) || this.times.has(fork.end.us);
  }

  /** The calls ending before the fork with their last line in the part's blocks, and starting after it with their first. */
  count(fork: { start: Stamp; end: Stamp }, part: Part, index: FileFutexIndex): { before: number; after: number } {
    const blocks = (this.blocks ??= new CallBlocks(this.calls, index));
    const { ended, lastBlocks, firstBlocks } = blocks;
    const inPart = (block: number) => block >= part.from && block <= part.to;
    if (!blocks.inOrder) {
      let before = 0;
      let after = 0;
      for (const [i, call] of ended.entries()) if (compareStamps(call.end!, fork.start)! < 0 && inPart(lastBlocks[i]!)) before++;
      for (const [i, call] of this.calls.entries()) if (compareStamps(call.start, fork.end)! > 0 && inPart(firstBlocks[i]!)) after++;
      return { before, after };
    }
    // In the fork's stream stamps compare by line, in another by time (unorderedAgainst: no time missing or equal).
    const byLine = fork.start.stream === this.calls[0]!.start.stream;
    const key = (stamp: Stamp) => (byLine ? stamp.seq : stamp.us!);
    const lastFrom = firstIndex(lastBlocks.length, (i) => lastBlocks[i]! >= part.from);
    const lastTo = firstIndex(lastBlocks.length, (i) => lastBlocks[i]! > part.to);
    const firstFrom = firstIndex(firstBlocks.length, (i) => firstBlocks[i]! >= part.from);
    const firstTo = firstIndex(firstBlocks.length, (i) => firstBlocks[i]! > part.to);
    const ends = byLine ? blocks.endLines : blocks.endTimes;
    const starts = byLine ? blocks.startLines : blocks.startTimes;
    const startsByFork = firstTo - firstFrom - starts.countBelow(firstFrom, firstTo, key(fork.end), true);
    return { before: ends.countBelow(lastFrom, lastTo, key(fork.start), false), after: Math.max(0, startsByFork) };
  }
}

/** One thread's calls' blocks and places, and whether their blocks only grow in the order read (else they are counted one by one). */
class CallBlocks {
  readonly ended: SyscallEvent[];
  readonly firstBlocks: number[];
  readonly lastBlocks: number[];
  readonly inOrder: boolean;
  readonly startLines: NearlySorted;
  readonly endLines: NearlySorted;
  readonly startTimes: NearlySorted;
  readonly endTimes: NearlySorted;

  constructor(calls: SyscallEvent[], index: FileFutexIndex) {
    this.ended = calls.filter((call) => call.end);
    this.firstBlocks = calls.map((call) => index.blockOf(call.start.where.offset ?? 0));
    this.lastBlocks = this.ended.map((call) => index.blockOf(call.end!.where.offset ?? 0));
    this.inOrder = grows(this.firstBlocks) && grows(this.lastBlocks);
    this.startLines = new NearlySorted(calls.map((c) => c.start.seq));
    this.endLines = new NearlySorted(this.ended.map((c) => c.end!.seq));
    // Times are only compared against a fork in another stream, where none is missing (a missing one makes the calls unordered).
    this.startTimes = new NearlySorted(calls.map((c) => c.start.us ?? -Infinity));
    this.endTimes = new NearlySorted(this.ended.map((c) => c.end!.us ?? -Infinity));
  }
}

/**
 * Numbers in nearly ascending order: a call's end time is its start plus its -T duration, which can
 * pass the next call's start by a few microseconds. Counts those below a value in a range by binary
 * search on the running maximum and the running minimum from the end, visiting one by one only the
 * few between, where values above and below the bound are mixed.
 */
class NearlySorted {
  private readonly maxSoFar: Float64Array;
  private readonly minFrom: Float64Array;

  constructor(private readonly values: number[]) {
    const n = values.length;
    this.maxSoFar = new Float64Array(n);
    this.minFrom = new Float64Array(n);
    for (let i = 0, max = -Infinity; i < n; i++) this.maxSoFar[i] = max = Math.max(max, values[i]!);
    for (let i = n - 1, min = Infinity; i >= 0; i--) this.minFrom[i] = min = Math.min(min, values[i]!);
  }

  /** How many of values[from, to) are below `bound` (or equal to it, when `orEqual`). */
  countBelow(from: number, to: number, bound: number, orEqual: boolean): number {
    const reaches = (v: number) => (orEqual ? v > bound : v >= bound);
    const n = this.values.length;
    // Before `mixed` every value is below; from `above` on none is.
    const mixed = firstIndex(n, (i) => reaches(this.maxSoFar[i]!));
    const above = firstIndex(n, (i) => reaches(this.minFrom[i]!));
    let count = Math.max(0, Math.min(to, mixed) - from);
    for (let i = Math.max(from, mixed); i < Math.min(to, above); i++) if (!reaches(this.values[i]!)) count++;
    return count;
  }
}

/** Whether the values never fall. */
function grows(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v >= values[i - 1]!);
}

/** Ranges [from, to] of blocks, sorted and joined where they overlap or touch. */
function mergeRanges(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [from, to] of sorted) {
    const last = merged.at(-1);
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

/** Whether [first, last] meets one of the sorted, disjoint `ranges`. */
function overlapsAny(ranges: [number, number][], first: number, last: number): boolean {
  // The first range that does not end before `first`.
  const i = firstIndex(ranges.length, (j) => ranges[j]![1] >= first);
  return i < ranges.length && ranges[i]![0] <= last;
}

function forEachSpan(word: WordCalls, visit: (first: number, last: number) => void): void {
  for (let i = 0; i < word.spans.length; i += 2) visit(word.spans[i]!, word.spans[i + 1]!);
}

/** Sorted blocks as runs of consecutive ones. */
function toRuns(index: FileFutexIndex, blocks: number[]): BlockRun[] {
  const runs: BlockRun[] = [];
  for (let i = 0; i < blocks.length; ) {
    let j = i;
    while (j + 1 < blocks.length && blocks[j + 1] === blocks[j]! + 1) j++;
    runs.push({ start: index.blocks[blocks[i]!]!, end: index.blocks[blocks[j]! + 1]?.offset ?? Infinity, first: blocks[i]!, last: blocks[j]! });
    i = j + 1;
  }
  return runs;
}
