// The `--json` document: a public API, versioned by its `schema` field (docs/json.md,
// schema/analysis-1.schema.json). Add fields freely; renaming or removing one means @2.

import type { Analysis, Finding } from '../analysis/types.js';
import { TraceClock } from './times.js';

export const JSON_SCHEMA_ID = 'forkscope/analysis@1';

export function renderJson(analysis: Analysis, clock?: TraceClock): string {
  return [...jsonChunks(analysis, clock)].join('');
}

/**
 * The document a piece at a time, byte for byte what `JSON.stringify(document, null, 2)` prints,
 * but one process, finding or warning at a time: a trace of a million processes is never held
 * twice (as objects and as one string).
 */
export function* jsonChunks(analysis: Analysis, clock = TraceClock.asPrinted()): Generator<string> {
  const document = {
    schema: JSON_SCHEMA_ID,
    inputs: analysis.inputs,
    processes: analysis.processes,
    findings: analysis.findings,
    warnings: analysis.warnings,
  };
  const fields = Object.entries(document);
  yield '{';
  for (const [i, [key, value]] of fields.entries()) {
    yield `\n  ${JSON.stringify(key)}: `;
    if (Array.isArray(value) && value.length > 0) {
      yield '[';
      for (const [j, item] of value.entries()) {
        const shown: unknown = key === 'findings' ? withShownTime(item as Finding, clock) : item;
        yield `${j > 0 ? ',' : ''}\n    ${indented(shown, '    ')}`;
      }
      yield '\n  ]';
    } else yield indented(value, '  ');
    if (i < fields.length - 1) yield ',';
  }
  yield '\n}\n';
}

/**
 * A bpftrace recording's finding gets `blockedSinceTime`, the time as the text report shows it
 * (`+1.234567`, or the time of day), next to `blockedSince`, the raw nanoseconds the log holds.
 */
function withShownTime(finding: Finding, clock: TraceClock): Finding | (Finding & { blockedSinceTime: string | null }) {
  return finding.kind === 'lock-cycle' || !clock.converts ? finding : { ...finding, blockedSinceTime: clock.shown(finding.blockedSince) };
}

/**
 * `JSON.stringify(value, null, 2)` nested at `indent` (JSON text has no raw newline inside strings).
 * JSON.stringify leaves DEL and the C1 controls (U+009B is CSI) raw; as \u escapes the document
 * reads the same, and is safe to print on a terminal.
 */
function indented(value: unknown, indent: string): string {
  return safeJson(value, 2).replaceAll('\n', `\n${indent}`);
}

/** JSON.stringify with DEL and the C1 controls written as \u escapes (see `indented`). */
export function safeJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(/[\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
