// File descriptor calls, decoded from the argument and result text strace prints: the calls that
// make, copy, close or mark descriptors (pipe, pipe2, socketpair, dup*, fcntl, close, close_range)
// and the calls a thread waits in for a descriptor to become readable (read*, recv*, poll, select,
// epoll_wait). With `-y` strace prints a descriptor with its path, `3<pipe:[81234]>`: the inode
// names the pipe even when its creation is not in the trace.

import type { SyscallEvent } from './events.js';
import { returned } from './events.js';
import { firstArg, splitArgs } from './format.js';

/** A descriptor as printed: its number and, with -y, its path (`pipe:[81234]`, `socket:[...]`, a file). */
export interface FdRef {
  fd: number;
  path: string | null;
}

export type FdOp =
  /** pipe/pipe2: fds[0] reads, fds[1] writes. socketpair: both ends read and write. */
  | { op: 'pair'; pair: 'pipe' | 'socketpair'; fds: [FdRef, FdRef]; cloexec: boolean }
  /** dup, dup2, dup3, fcntl F_DUPFD*: `to` now refers to what `from` does (closing what `to` was). */
  | { op: 'dup'; from: number; to: number; cloexec: boolean }
  | { op: 'close'; fd: number }
  /** close_range(first, last, flags): closes, or with CLOSE_RANGE_CLOEXEC marks close-on-exec. */
  | { op: 'close-range'; first: number; last: number; cloexec: boolean }
  /** fcntl F_SETFD: sets or clears FD_CLOEXEC. */
  | { op: 'set-cloexec'; fd: number; cloexec: boolean }
  /** epoll_ctl EPOLL_CTL_ADD / DEL: an fd the epoll instance watches. */
  | { op: 'epoll-ctl'; epoll: number; fd: number; add: boolean };

const FD_OPS = new Set(['pipe', 'pipe2', 'socketpair', 'dup', 'dup2', 'dup3', 'fcntl', 'fcntl64', 'close', 'close_range', 'epoll_ctl']);

const PAIR_CALLS = new Set(['pipe', 'pipe2', 'socketpair']);

/** Whether a call made a pipe or socket pair: by its name first, for a question asked of many calls. */
export function madeFdPair(call: SyscallEvent): boolean {
  return PAIR_CALLS.has(call.name) && decodeFdOp(call)?.op === 'pair';
}

/** What a descriptor call did, or null for any other call (or one that failed). */
export function decodeFdOp(call: SyscallEvent): FdOp | null {
  // Asked of every call of a trace: the name is checked before any text is split.
  if (!FD_OPS.has(call.name) || !returned(call) || call.result!.value! < 0) return null;
  const result = call.result!.value!;
  const args = splitArgs(call.args);
  switch (call.name) {
    case 'pipe':
    case 'pipe2': {
      const [read, write, ...more] = fdList(args[0]);
      if (!read || !write || more.length > 0) return null;
      return { op: 'pair', pair: 'pipe', fds: [read, write], cloexec: /O_CLOEXEC/.test(args[1] ?? '') };
    }
    case 'socketpair': {
      const [one, other, ...more] = fdList(args[3]);
      if (!one || !other || more.length > 0) return null;
      return { op: 'pair', pair: 'socketpair', fds: [one, other], cloexec: /SOCK_CLOEXEC/.test(args[1] ?? '') };
    }
    case 'dup':
    case 'dup2':
    case 'dup3': {
      const from = fdNumber(args[0]);
      if (from === null) return null;
      return { op: 'dup', from, to: result, cloexec: call.name === 'dup3' && /O_CLOEXEC/.test(args[2] ?? '') };
    }
    case 'fcntl':
    case 'fcntl64': {
      const fd = fdNumber(args[0]);
      if (fd === null) return null;
      const command = args[1] ?? '';
      if (command === 'F_DUPFD' || command === 'F_DUPFD_CLOEXEC') {
        return { op: 'dup', from: fd, to: result, cloexec: command === 'F_DUPFD_CLOEXEC' };
      }
      if (command === 'F_SETFD') return { op: 'set-cloexec', fd, cloexec: /FD_CLOEXEC|^1$/.test(args[2] ?? '') };
      return null;
    }
    case 'close': {
      const fd = fdNumber(args[0]);
      return fd === null ? null : { op: 'close', fd };
    }
    case 'close_range': {
      const first = fdNumber(args[0]);
      const last = /^(~0U?|4294967295|-1)$/.test(args[1] ?? '') ? Infinity : fdNumber(args[1]);
      if (first === null || last === null) return null;
      return { op: 'close-range', first, last, cloexec: /CLOSE_RANGE_CLOEXEC/.test(args[2] ?? '') };
    }
    case 'epoll_ctl': {
      const epoll = fdNumber(args[0]);
      const fd = fdNumber(args[2]);
      if (epoll === null || fd === null) return null;
      if (args[1] === 'EPOLL_CTL_ADD') return { op: 'epoll-ctl', epoll, fd, add: true };
      if (args[1] === 'EPOLL_CTL_DEL') return { op: 'epoll-ctl', epoll, fd, add: false };
      return null;
    }
    default:
      return null;
  }
}

/** A wait for descriptors to become readable that has no timeout (or the fd list of a read). */
export interface FdWait {
  /** read, readv, recvmsg, ...: one fd; poll, select: every fd waited for reading; epoll_wait: the epoll fd. */
  call: 'read' | 'poll' | 'epoll';
  fds: FdRef[];
  /** poll/select also waiting for an fd to become writable, or for an exceptional condition. */
  alsoOther: boolean;
}

const READS = new Set(['read', 'readv', 'recvmsg', 'recvfrom', 'recv', 'recvmmsg']);
const POLLS = new Set(['poll', 'ppoll', 'select', 'pselect6', '_newselect', 'epoll_wait', 'epoll_pwait']);

/** Every call decodeFdOp reads. */
export const FD_OP_NAMES: readonly string[] = [...FD_OPS];
/** Every call decodeFdWait reads (only ever asked of calls that did not return). */
export const FD_WAIT_NAMES: readonly string[] = [...READS, ...POLLS];

/**
 * The descriptors a call waits on to become readable, when it waits with no timeout; null for
 * any other call, or one with a timeout (it returns by itself).
 */
export function decodeFdWait(call: SyscallEvent): FdWait | null {
  if (READS.has(call.name)) {
    const fd = fdRef(firstArg(call.args));
    return fd ? { call: 'read', fds: [fd], alsoOther: false } : null;
  }
  if (!POLLS.has(call.name)) return null;
  const args = splitArgs(call.args);
  switch (call.name) {
    case 'poll':
    case 'ppoll': {
      const timeout = args[2] ?? '';
      const untimed = call.name === 'poll' ? /^-\d+$/.test(timeout) : timeout === 'NULL';
      if (!untimed || !args[0]?.startsWith('[')) return null;
      const fds: FdRef[] = [];
      let alsoOther = false;
      for (const m of args[0].matchAll(/\{fd=(-?\d+(?:<[^>]*>)?), events=([^}]*)\}/g)) {
        const fd = fdRef(m[1]);
        if (!fd || fd.fd < 0) continue;
        const events = m[2] ?? '';
        if (/POLLIN|POLLRDNORM|POLLPRI/.test(events)) fds.push(fd);
        if (/POLLOUT|POLLWRNORM|POLLWRBAND/.test(events)) alsoOther = true;
      }
      return { call: 'poll', fds, alsoOther };
    }
    case 'select':
    case 'pselect6':
    case '_newselect': {
      if (args[4] !== 'NULL') return null;
      const reads = fdList(args[1]);
      const others = [...fdList(args[2]), ...fdList(args[3])];
      return { call: 'poll', fds: reads, alsoOther: others.length > 0 };
    }
    case 'epoll_wait':
    case 'epoll_pwait': {
      const epoll = fdRef(args[0]);
      if (!epoll || !/^-\d+$/.test(args[3] ?? '')) return null;
      return { call: 'epoll', fds: [epoll], alsoOther: false };
    }
    default:
      return null;
  }
}

/** `[3, 4]`, `[3<pipe:[12]>, 4<pipe:[12]>]`, a select set `[3 5]`; [] for NULL or anything else. */
function fdList(text: string | undefined): FdRef[] {
  if (!text?.startsWith('[')) return [];
  const refs: FdRef[] = [];
  for (const m of text.slice(1, -1).matchAll(/(\d+)(<(?:[^<>]|<[^>]*>)*>)?/g)) {
    refs.push({ fd: Number(m[1]), path: m[2] ? m[2].slice(1, -1) : null });
  }
  return refs;
}

/** `3` or `3<pipe:[81234]>`. */
function fdRef(text: string | undefined): FdRef | null {
  const m = /^(-?\d+)(?:<(.*)>)?$/s.exec(text ?? '');
  return m ? { fd: Number(m[1]), path: m[2] ?? null } : null;
}

function fdNumber(text: string | undefined): number | null {
  return fdRef(text)?.fd ?? null;
}

/** The pipe inode of a -y path, `pipe:[81234]` → `81234`, else null. */
export function pipeInode(path: string | null): string | null {
  return /^pipe:\[(\d+)\]$/.exec(path ?? '')?.[1] ?? null;
}
