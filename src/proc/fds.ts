// Descriptors and untimed waits of live threads, from /proc: which pipes and sockets a process has
// open and how (/proc/PID/fd links, /proc/PID/fdinfo flags), and what a thread blocked in a
// syscall waits for with no timeout (a futex wake, a child, a pipe or socket to become readable).

import { readdirSync, readlinkSync } from 'node:fs';
import { decodeFutexOp, isFutexWait } from '../model/futex.js';
import { readMemory } from './memory.js';
import type { SyscallState } from './snapshot.js';
import { readText } from './tree.js';

export interface Descriptor {
  fd: number;
  /** The link's target: `pipe:[81234]`, `socket:[81235]`. */
  target: string;
  /** fdinfo's flags, octal as printed. */
  flags: string;
  /** O_ACCMODE of the flags. */
  access: 'read' | 'write' | 'read-write';
}

/** The pipes and sockets a process has open (other descriptors are left out). */
export function readDescriptors(pid: number): Descriptor[] {
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const found: Descriptor[] = [];
  for (const name of names) {
    const target = fdTarget(pid, Number(name));
    if (!target || !/^(pipe|socket):/.test(target)) continue;
    const flags = /^flags:\s*([0-7]+)/m.exec(readText(`/proc/${pid}/fdinfo/${name}`) ?? '')?.[1] ?? '0';
    const mode = Number.parseInt(flags, 8) & 3;
    found.push({ fd: Number(name), target, flags, access: mode === 0 ? 'read' : mode === 1 ? 'write' : 'read-write' });
  }
  return found.sort((a, b) => a.fd - b.fd);
}

function fdTarget(pid: number, fd: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return null;
  }
}

export interface UntimedWait {
  /** In words: `an untimed futex wait on 0x...`, `read on fd 3 (pipe:[81234])`, `wait4 -1`. */
  text: string;
  /** The descriptors it waits to read from, when it waits on descriptors and /proc shows them. */
  fds: number[] | null;
}

const READS = new Set(['read', 'readv', 'recvfrom', 'recvmsg']);
const int32 = (value: bigint) => Number(BigInt.asIntN(32, value));

/**
 * What a thread blocked in `call` waits for with no timeout, or null when the call can return by
 * itself or by something outside the tree (a timed wait, a sleep, a read of a file or terminal).
 */
export function untimedWaitOf(pid: number, call: SyscallState): UntimedWait | null {
  const [a0, a1, a2, a3, a4] = call.args;
  switch (call.name) {
    case 'futex': {
      const op = decodeFutexOp(Number(a1 & 0xffffffffn));
      return isFutexWait(op.command) && a3 === 0n ? { text: `an untimed futex wait on 0x${a0.toString(16)}`, fds: null } : null;
    }
    case 'wait4':
      return { text: `wait4 ${int32(a0)}`, fds: null };
    case 'waitid':
      return { text: 'waitid', fds: null };
    case 'poll':
    case 'ppoll': {
      if (call.name === 'poll' ? int32(a2) >= 0 : a2 !== 0n) return null;
      const fds = pollFds(pid, a0, Number(a1));
      return { text: `${call.name} on fd ${fds?.join(', ') ?? '?'} with no timeout`, fds };
    }
    case 'select':
    case 'pselect6':
      return a4 === 0n ? { text: `${call.name} with no timeout`, fds: null } : null;
    case 'epoll_wait':
    case 'epoll_pwait':
      return int32(a3) < 0 ? { text: `${call.name} with no timeout`, fds: null } : null;
    default: {
      if (!READS.has(call.name)) return null;
      const fd = int32(a0);
      const target = fdTarget(pid, fd);
      if (!target || !/^(pipe|socket):/.test(target)) return null;
      return { text: `${call.name} on fd ${fd} (${target})`, fds: [fd] };
    }
  }
}

/** The fds of a poll's `struct pollfd` array (int fd, short events, short revents) waited on for input. */
function pollFds(pid: number, address: bigint, count: number): number[] | null {
  if (count <= 0 || count > 1024) return null;
  const memory = readMemory(pid, address, count * 8);
  if (!memory) return null;
  const fds: number[] = [];
  const POLLIN = 0x1;
  for (let i = 0; i < count; i++) {
    const fd = memory.readInt32LE(i * 8);
    if (fd >= 0 && memory.readInt16LE(i * 8 + 4) & POLLIN) fds.push(fd);
  }
  return fds;
}
