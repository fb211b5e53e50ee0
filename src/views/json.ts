// The `--json` document: a public API, versioned by its `schema` field (docs/json.md,
// schema/analysis-1.schema.json). Add fields freely; renaming or removing one means @2.

import type { Analysis } from '../analysis/types.js';

export const JSON_SCHEMA_ID = 'forkscope/analysis@1';

export function renderJson(analysis: Analysis): string {
  const document = {
    schema: JSON_SCHEMA_ID,
    inputs: analysis.inputs,
    processes: analysis.processes,
    findings: analysis.findings,
    warnings: analysis.warnings,
  };
  // JSON.stringify leaves DEL and the C1 controls (U+009B is CSI) raw; as \u escapes the document
  // reads the same, and is safe to print on a terminal.
  return JSON.stringify(document, null, 2).replace(/[\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}
