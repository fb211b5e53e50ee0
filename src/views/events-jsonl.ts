// `forkscope events --jsonl`: the parsed model, one event per line, for scripts. A public API like
// `--json` (docs/events.md, schema/events-1.schema.json): the first line names the version, each
// event is the model's event as the analyses see it (src/model/events.ts), the last line says the
// read ended and what was read. Within @1 fields may be added, never renamed or given another meaning.

import type { InputStats } from '../../parsers/types.js';
import type { TraceEvent } from '../model/events.js';
import { safeJson } from './json.js';

export const EVENTS_SCHEMA_ID = 'forkscope/events@1';

export function eventsHeader(): string {
  return `${safeJson({ schema: EVENTS_SCHEMA_ID })}\n`;
}

export function eventLine(event: TraceEvent): string {
  return `${safeJson(event)}\n`;
}

/** The last line: only a stream that ends with it was read to the end. */
export function eventsEnd(inputs: InputStats[]): string {
  return `${safeJson({ kind: 'end', inputs })}\n`;
}
