// Inputs that once crashed forkscope or made it wrong: each is a minimal fixture (test/fixtures),
// analyzed through the same entry points as the CLI.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveInputs } from '../parsers/index.js';
import { analyzeTrace } from '../src/pipeline.js';
import type { Analysis } from '../src/analysis/types.js';
import { repoPath, runCli } from './helpers/repo.js';

async function analyze(...paths: string[]): Promise<Analysis> {
  return analyzeTrace(await resolveInputs(paths.map((p) => repoPath(p)), {}));
}

describe('inputs that broke the analysis', () => {
  it('a cut restart_syscall resuming a timed wait whose resumed line is missing continues that wait', async () => {
    const analysis = await analyze('test/fixtures/restart-without-resume.log');
    assert.equal(analysis.findings.length, 1);
    const [finding] = analysis.findings;
    assert.ok(finding);
    assert.deepEqual([finding.pid, finding.futex, finding.holderTid, finding.confidence], [1002, '0x55d0c0a4e040', null, 'possible']);
    assert.equal(finding.op, 'FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME');
    const blocked = finding.evidence.filter((e) => e.role === 'blocked-forever').map((e) => e.line);
    assert.deepEqual(blocked, [2, 3], 'blocked since the futex call, still in the restart');
    assert.match(analysis.warnings.map((w) => `${w.line}: ${w.message}`).join('\n'), /^3: task 1002 starts restart_syscall while futex/m);
    assert.equal(runCli(['analyze', 'test/fixtures/restart-without-resume.log']).status, 1);
  });
});
