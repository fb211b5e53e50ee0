// Who waits for a hung process: a parent thread sitting in wait4/waitid on it, and so on upward.

import { returned } from '../model/events.js';
import type { SyscallEvent } from '../model/events.js';
import type { Process } from '../model/tree.js';
import type { BlockWatcher } from './blocked.js';
import type { ChainLink } from './types.js';

/** The parents waiting for `child`, nearest first, with the calls they wait in. */
export function waitChain(child: Process, watcher: BlockWatcher): { link: ChainLink; call: SyscallEvent }[] {
  const links: { link: ChainLink; call: SyscallEvent }[] = [];
  const seen = new Set<Process>();
  for (let waitedOn = child; waitedOn.parent && !seen.has(waitedOn); waitedOn = waitedOn.parent) {
    seen.add(waitedOn);
    const waiting = waitedOn.parent.threads
      .map((t) => watcher.lastCallOf(t))
      .find((call): call is SyscallEvent => call !== undefined && waitsFor(call, waitedOn));
    if (!waiting) break;
    const link = {
      pid: waitedOn.parent.pid,
      tid: waiting.tid,
      waitsOn: `${waiting.name} ${waiting.wait!.pid ?? 'any'}`,
      where: waiting.start.where,
    };
    links.push({ link, call: waiting });
  }
  return links;
}

function waitsFor(call: SyscallEvent, process: Process): boolean {
  if (!call.wait || returned(call)) return false;
  const pid = call.wait.pid;
  // -1 waits for any child, 0 and < -1 for a process group (which the trace cannot check).
  return pid === null || pid <= 0 || pid === process.pid;
}
