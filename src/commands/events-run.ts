// `forkscope events TRACE... --jsonl` (its options: events.ts): each event is written as it is read.

import { analyzeSources } from '../pipeline.js';
import { writeOutSync } from '../util/output.js';
import { eventLine, eventsEnd, eventsHeader } from '../views/events-jsonl.js';
import type { EventsOptions } from './events.js';
import { EXIT_HANG, EXIT_OK } from './inputs.js';
import { loadSources } from './sources.js';

/** Output is handed on in pieces of about this many characters. */
const CHUNK = 64 << 10;

export async function run(paths: string[], options: EventsOptions): Promise<number> {
  const sources = await loadSources(paths, options);
  let chunk = eventsHeader();
  const write = (text: string) => {
    chunk += text;
    if (chunk.length < CHUNK) return;
    writeOutSync(chunk);
    chunk = '';
  };
  const { analysis } = await analyzeSources(sources, { onEvent: (event) => write(eventLine(event)), foldReaped: true });
  writeOutSync(chunk + eventsEnd(analysis.inputs));
  return analysis.findings.length > 0 ? EXIT_HANG : EXIT_OK;
}
