// A trace line quoted as evidence: where it is, who made the call, the call whole, and why it matters.

import type { SyscallEvent } from '../model/events.js';
import { callText } from '../model/format.js';
import type { Evidence, EvidenceRole } from './types.js';

/** Built field by field: spreading its `where` gave every evidence object its own hidden class. */
export function quote(call: SyscallEvent, role: EvidenceRole): Evidence {
  const { file, line, offset } = call.start.where;
  const text = callText(call);
  return offset === undefined ? { file, line, tid: call.tid, text, role } : { file, line, offset, tid: call.tid, text, role };
}
