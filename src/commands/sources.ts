// Reading the TRACE arguments of a command that runs: the sources they name and the clock their
// times are shown in.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolveInputs } from '../../parsers/index.js';
import type { TraceSource } from '../../parsers/types.js';
import { TraceClock, wallOffsetOf } from '../views/times.js';
import type { InputOptions } from './inputs.js';

export async function loadSources(paths: string[], options: Pick<InputOptions, 'format'>): Promise<TraceSource[]> {
  return resolveInputs(paths, { format: options.format, onNote: (note) => process.stderr.write(`forkscope: ${note}\n`) });
}

/**
 * How the views show the sources' times: a bpftrace recording's monotonic nanoseconds as wall time
 * when the meta.json `record` wrote next to it has the clock pair, else as seconds from its start.
 */
export function traceClock(sources: TraceSource[]): TraceClock {
  const [source] = sources;
  const file = sources.length === 1 && source?.path !== '-' ? source?.files[0] : undefined;
  if (file === undefined) return TraceClock.for(sources);
  let offset: bigint | null = null;
  try {
    offset = wallOffsetOf((JSON.parse(readFileSync(join(dirname(file), 'meta.json'), 'utf8')) as { clock?: unknown }).clock);
  } catch {
    // No meta.json, or not one of record's: relative times.
  }
  return TraceClock.for(sources, offset);
}
