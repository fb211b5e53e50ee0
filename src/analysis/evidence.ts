// A trace line quoted as evidence: where it is, who made the call, the call whole, and why it matters.

import type { SyscallEvent } from '../model/events.js';
import { callText } from '../model/format.js';
import type { Evidence, EvidenceRole } from './types.js';

export function quote(call: SyscallEvent, role: EvidenceRole): Evidence {
  return { ...call.start.where, tid: call.tid, text: callText(call), role };
}
