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
