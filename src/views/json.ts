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
  return JSON.stringify(document, null, 2) + '\n';
}
