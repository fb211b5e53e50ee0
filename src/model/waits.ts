// Which calls wait with no timeout: a thread that ends a trace inside one (still pending, or killed
// in it) was waiting on something only another task could give it: a futex wake, a child's exit,
// data or end of file on a descriptor. A thread in any other call (or running) may still move.

import type { SyscallEvent } from './events.js';
import { returned } from './events.js';
import { decodeFdWait } from './fd.js';
import { isFutexWait } from './futex.js';

/** What a call that never returned was waiting for without a timeout, in words, or null. */
export function untimedWait(call: SyscallEvent): string | null {
  if (returned(call)) return null;
  if (call.futex) {
    return isFutexWait(call.futex.command) && !call.futex.timed ? `an untimed futex wait on ${call.futex.address}` : null;
  }
  if (call.wait) return `${call.name} ${call.wait.pid ?? 'any'}`;
  const fdWait = decodeFdWait(call);
  if (!fdWait) return null;
  return `${call.name} on fd ${fdWait.fds.map((f) => f.fd).join(', ') || 'none'} with no timeout`;
}
