// Every `--json` document a test reads is checked against the published schema
// (schema/analysis-1.schema.json, JSON Schema 2020-12) before the test looks inside it, so the
// schema and what the program prints cannot drift apart.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Analysis, InheritedLockFinding } from '../../src/analysis/types.js';
import { repoPath } from './repo.js';

const ajv = new Ajv2020({ allErrors: true, strict: true });
const validateAnalysis = ajv.compile(JSON.parse(readFileSync(repoPath('schema/analysis-1.schema.json'), 'utf8')));

/** The `forkscope/analysis@1` document printed by `--json`, parsed and validated (the test fails on any schema error). */
export function analysisDocument<T = Analysis & { schema: string }>(text: string): T {
  const document: unknown = JSON.parse(text);
  const valid = validateAnalysis(document);
  assert.ok(valid, `--json output does not match schema/analysis-1.schema.json: ${ajv.errorsText(validateAnalysis.errors, { separator: '; ' })}`);
  return document as T;
}

/** A document of a trace whose only hangs are inherited locks: its findings read as that kind. */
export type InheritedLockDocument = Omit<Analysis, 'findings'> & { schema: string; findings: InheritedLockFinding[] };

/** The schema with every object closed (no field it does not list): what the program prints is all documented. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, key === 'properties' ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, closed(v)])) : closed(value)]));
  return 'properties' in copy ? { ...copy, additionalProperties: false } : copy;
}

const validateEventLine = ajv.compile(closed(JSON.parse(readFileSync(repoPath('schema/events-1.schema.json'), 'utf8'))) as object);

/** The lines of `forkscope events --jsonl`, each parsed and validated against schema/events-1.schema.json (closed: no undocumented field). */
export function eventLines(text: string): Record<string, unknown>[] {
  assert.ok(text.endsWith('\n'), 'the last line ends with a newline');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      const value: unknown = JSON.parse(line);
      assert.ok(validateEventLine(value), `line ${i + 1} does not match schema/events-1.schema.json: ${ajv.errorsText(validateEventLine.errors, { separator: '; ' })}\n${line}`);
      return value as Record<string, unknown>;
    });
}
