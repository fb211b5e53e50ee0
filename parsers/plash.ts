// Format: PlashGlibc's nested strace logs, as its `scratch/strace-log` formatter printed them on
// the "fork() can deadlock" bug page (shared/seeds/002; glibc nptl/tst-fork1 under PlashGlibc):
//   cloned 5: started pid 18970
//   cloned 5: futex(0x2b79a1b1e2c0, 0x80 /* FUTEX_??? */, 2 <unfinished ...>
//   cloned 5: cloned 1: started pid 18973
//   ----
// Each `cloned N: ` level is a task: the Nth task cloned by the task one level up; `started pid N`
// names its tid; the rest of the line is old strace output with no pid and no timestamp. Every
// section (task) is its own stream, so only each task's own order is known. The top-level tasks'
// creator (the root, whose section an excerpt omits) is named `plash-root`.

import type { Stamp, TraceEvent } from '../src/model/events.js';
import { CallAssembler } from './assemble.js';
import { readLineBatches } from './lines.js';
import { parseStraceLine } from './strace-line.js';
import type { InputStats } from './types.js';

const LEVEL = /^cloned (\d+): /;

/** Whether a line looks like a PlashGlibc log line (for format detection). */
export function isPlashLine(text: string): boolean {
  return LEVEL.test(text);
}

interface Section {
  tid: number | null;
  stream: number;
}

export async function* readPlashLog(file: string, stats: InputStats, newStream: () => number): AsyncGenerator<TraceEvent> {
  const assembler = new CallAssembler();
  const sections = new Map<string, Section>();
  for await (const batch of readLineBatches(file)) for (const line of batch) {
    stats.lines++;
    const where = { file, line: line.line, offset: line.offset };
    const path: string[] = [];
    let text = line.text;
    for (let m = LEVEL.exec(text); m; m = LEVEL.exec(text)) {
      path.push(m[1]);
      text = text.slice(m[0].length);
    }
    if (path.length === 0) {
      if (text.trim() === '----' || text.trim() === '') continue;
      stats.warnings++;
      yield { kind: 'warning', where, message: `not a PlashGlibc log line (no "cloned N:" prefix): ${text.slice(0, 100)}` };
      continue;
    }
    const key = path.join(' ');
    let section = sections.get(key);
    if (!section) sections.set(key, (section = { tid: null, stream: newStream() }));
    const stamp: Stamp = { us: null, text: null, stream: section.stream, seq: line.line, where };
    const started = /^started pid (\d+)\s*$/.exec(text);
    if (started) {
      section.tid = Number(started[1]);
      const creator = path.length > 1 ? (sections.get(path.slice(0, -1).join(' '))?.tid ?? null) : null;
      yield { kind: 'task', tid: section.tid, creatorTid: creator, ...(creator === null ? { creatorLabel: 'plash-root' } : {}), at: stamp };
      continue;
    }
    if (section.tid === null) {
      stats.warnings++;
      yield { kind: 'warning', where, message: `a line of "cloned ${path.join(': cloned ')}" before its "started pid" line` };
      continue;
    }
    const parsed = parseStraceLine(text, false);
    if ('error' in parsed) {
      stats.warnings++;
      yield { kind: 'warning', where, message: `${parsed.error}: ${text.slice(0, 100)}` };
      continue;
    }
    for (const event of assembler.feed(section.tid, parsed.body, stamp)) {
      if (event.kind === 'warning') stats.warnings++;
      yield event;
    }
  }
  for (const event of assembler.finish()) yield event;
}
