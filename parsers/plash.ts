// Format: PlashGlibc's nested strace logs, as its `scratch/strace-log` formatter printed them on
// the "fork() can deadlock" bug page (shared/seeds/002; glibc nptl/tst-fork1 under PlashGlibc):
//   cloned 5: started pid 18970
//   cloned 5: futex(0x2b79a1b1e2c0, 0x80 /* FUTEX_??? */, 2 <unfinished ...>
//   cloned 5: cloned 1: started pid 18973
//   ----
// Each `cloned N: ` level is a task: the Nth task cloned by the task one level up; `started pid N`
// names its tid; the rest of the line is old strace output with no pid and no timestamp. Every
// section (prefix path) is its own stream, so only each task's own order is known. A complete log
// also holds the top process's own section: its lines have no prefix at all (its tid is its
// `started pid` line's, else what its set_tid_address/gettid/getpid returned, else 0). A section's
// creator is the task of the path one level up; the top-level tasks' creator is that top process,
// or, in an excerpt that omits its section, is named `plash-root`; a nested section whose parent
// section never said its pid yet is named after that parent's path, so siblings still group (and
// gets its creator once the parent's `started pid` line comes).

import type { Stamp, TraceEvent } from '../src/model/events.js';
import { CallAssembler, EventSink } from './assemble.js';
import { PLASH_LEVEL } from './formats.js';
import { readLineBatches } from './lines.js';
import type { ByteCounter } from './lines.js';
import { parseStraceLine } from './strace-line.js';
import { firstTaskOf } from './strace.js';
import type { InputStats } from './types.js';

const STARTED = /^started pid (\d+)\s*$/;

interface Section {
  tid: number | null;
  stream: number;
}

export async function* readPlashLog(file: string, stats: InputStats, newStream: () => number, counter?: ByteCounter): AsyncGenerator<TraceEvent[]> {
  const sink = new EventSink(stats);
  const assembler = new CallAssembler(sink);
  const sections = new Map<string, Section>();
  /** Tasks whose parent section had not said its pid yet. */
  let orphans: { tid: number; parentKey: string; at: Stamp }[] = [];
  for await (const batch of readLineBatches(file, { counter })) {
    for (const line of batch) {
      stats.lines++;
      const where = { file, line: line.line, offset: line.offset };
      const path: string[] = [];
      let text = line.text;
      for (let m = PLASH_LEVEL.exec(text); m; m = PLASH_LEVEL.exec(text)) {
        path.push(m[1]!);
        text = text.slice(m[0].length);
      }
      if (line.truncated) sink.warn(where, 'line longer than 1 MiB, cut');
      const started = STARTED.exec(text);
      // The top process's section: unprefixed lines (the `----` between sections is none).
      const topLine = path.length === 0 && !started ? parseStraceLine(text, false) : null;
      if (topLine !== null && ('error' in topLine || topLine.body.kind === 'blank')) {
        if ('error' in topLine && text.trim() !== '----') sink.warn(where, `${topLine.error}: ${text.slice(0, 100)}`);
        continue;
      }
      const key = sectionKey(path);
      let section = sections.get(key);
      if (!section) sections.set(key, (section = { tid: null, stream: newStream() }));
      const stamp: Stamp = { us: null, text: null, stream: section.stream, seq: line.line, where };
      if (topLine !== null) {
        // The top process's section may not say its pid.
        if (section.tid === null) {
          section.tid = await firstTaskOf(file);
          sink.emit({ kind: 'task', tid: section.tid, creatorTid: null, at: stamp });
        }
        assembler.feed(section.tid, topLine.body, stamp);
        continue;
      }
      if (started) {
        const tid = (section.tid = Number(started[1]));
        const creator = path.length === 0 ? { creatorTid: null } : creatorOf(path, sections);
        sink.emit({ kind: 'task', tid, ...creator, at: stamp });
        if (creator.creatorTid === null && path.length > 1) orphans.push({ tid, parentKey: sectionKey(path.slice(0, -1)), at: stamp });
        // Sections printed before their parent's: now their creator is known.
        for (const orphan of orphans.filter((o) => o.parentKey === key)) {
          sink.emit({ kind: 'task', tid: orphan.tid, creatorTid: tid, at: orphan.at });
        }
        orphans = orphans.filter((o) => o.parentKey !== key);
        continue;
      }
      if (section.tid === null) {
        sink.warn(where, `a line of "${key}" before its "started pid" line`);
        continue;
      }
      const parsed = parseStraceLine(text, false);
      if ('error' in parsed) sink.warn(where, `${parsed.error}: ${text.slice(0, 100)}`);
      else assembler.feed(section.tid, parsed.body, stamp);
    }
    const events = sink.take();
    if (events.length > 0) yield events;
  }
  assembler.finish();
  const events = sink.take();
  if (events.length > 0) yield events;
}

function sectionKey(path: string[]): string {
  return path.map((n) => `cloned ${n}`).join(': ');
}

function creatorOf(path: string[], sections: Map<string, Section>): { creatorTid: number | null; creatorLabel?: string } {
  const parentKey = sectionKey(path.slice(0, -1));
  if (path.length === 1 && !sections.has(parentKey)) return { creatorTid: null, creatorLabel: 'plash-root' };
  const parentTid = sections.get(parentKey)?.tid ?? null;
  return parentTid === null ? { creatorTid: null, creatorLabel: `plash: ${parentKey}` } : { creatorTid: parentTid };
}
