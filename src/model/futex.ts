// futex(2) operations: decoding the op argument from any form strace prints it in, and naming it.
// Reference: linux/include/uapi/linux/futex.h and futex(2).

import type { FutexCall, FutexCommand } from './events.js';

const COMMANDS: FutexCommand[] = [
  'WAIT',
  'WAKE',
  'FD',
  'REQUEUE',
  'CMP_REQUEUE',
  'WAKE_OP',
  'LOCK_PI',
  'UNLOCK_PI',
  'TRYLOCK_PI',
  'WAIT_BITSET',
  'WAKE_BITSET',
  'WAIT_REQUEUE_PI',
  'CMP_REQUEUE_PI',
  'LOCK_PI2',
];

const FUTEX_PRIVATE_FLAG = 0x80;
const FUTEX_CLOCK_REALTIME = 0x100;
const FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

export interface DecodedFutexOp {
  op: number;
  command: FutexCommand;
  private: boolean;
  clockRealtime: boolean;
}

export function decodeFutexOp(op: number): DecodedFutexOp {
  return {
    op,
    command: COMMANDS[op & FUTEX_CMD_MASK] ?? 'UNKNOWN',
    private: (op & FUTEX_PRIVATE_FLAG) !== 0,
    clockRealtime: (op & FUTEX_CLOCK_REALTIME) !== 0,
  };
}

/**
 * Reads the op argument as strace prints it: `FUTEX_WAIT_PRIVATE`,
 * `FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME`, `0x80 /* FUTEX_??? *\/` (old strace),
 * `0x80 /* FUTEX_WAIT_PRIVATE *\/` (`-X verbose`), `0x80` or `128` (`-X raw`). null if unreadable.
 */
export function parseFutexOp(text: string): DecodedFutexOp | null {
  // A trace uses a handful of ops millions of times: each text is read once.
  const known = parsedOps.get(text);
  if (known !== undefined) return known;
  const op = readFutexOp(text);
  if (parsedOps.size >= MAX_PARSED_OPS) parsedOps.clear();
  parsedOps.set(text, op);
  return op;
}

/** Op texts read so far (a garbage file may hold many: the cache is dropped when full). */
const parsedOps = new Map<string, DecodedFutexOp | null>();
const MAX_PARSED_OPS = 256;

function readFutexOp(text: string): DecodedFutexOp | null {
  const trimmed = text.trim();
  const numeric = /^(0x[0-9a-f]+|\d+)\b/i.exec(trimmed);
  if (numeric) return decodeFutexOp(Number(numeric[1]));
  let op = 0;
  for (const part of trimmed.split('|')) {
    const name = part.trim();
    if (name === 'FUTEX_CLOCK_REALTIME') {
      op |= FUTEX_CLOCK_REALTIME;
      continue;
    }
    const m = /^FUTEX_([A-Z0-9_]+?)(_PRIVATE)?$/.exec(name);
    if (!m) return null;
    const index = COMMANDS.indexOf(m[1] as FutexCommand);
    if (index < 0) return null;
    op |= index | (m[2] ? FUTEX_PRIVATE_FLAG : 0);
  }
  return decodeFutexOp(op);
}

/** The symbolic name strace 6 prints for an op: `FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME`. */
export function futexOpName(call: Pick<FutexCall, 'command' | 'private' | 'clockRealtime' | 'op'>): string {
  if (call.command === 'UNKNOWN') return `0x${call.op.toString(16)}`;
  const base = `FUTEX_${call.command}${call.private ? '_PRIVATE' : ''}`;
  return call.clockRealtime ? `${base}|FUTEX_CLOCK_REALTIME` : base;
}

/** Ops that block the caller until the word changes or a waker comes: taking a lock, or waiting. */
export function isFutexWait(command: FutexCommand): boolean {
  return (
    command === 'WAIT' ||
    command === 'WAIT_BITSET' ||
    command === 'WAIT_REQUEUE_PI' ||
    command === 'LOCK_PI' ||
    command === 'LOCK_PI2'
  );
}

/** Ops that wake waiters of the word: what an unlock does when the lock is contended. */
export function isFutexWake(command: FutexCommand): boolean {
  return (
    command === 'WAKE' ||
    command === 'WAKE_BITSET' ||
    command === 'WAKE_OP' ||
    command === 'UNLOCK_PI' ||
    command === 'REQUEUE' ||
    command === 'CMP_REQUEUE' ||
    command === 'CMP_REQUEUE_PI'
  );
}

/** Ops with a second futex word (uaddr2): requeues and wake-op. */
const SECOND_WORD: ReadonlySet<FutexCommand> = new Set(['REQUEUE', 'CMP_REQUEUE', 'WAKE_OP', 'CMP_REQUEUE_PI', 'WAIT_REQUEUE_PI']);

export function usesSecondWord(command: FutexCommand): boolean {
  return SECOND_WORD.has(command);
}

/**
 * The decoded call from its arguments, whichever input they were read from (strace text, a
 * bpftrace record): a wait is timed when given a timeout, uaddr2 counts only for ops that use it.
 */
export function futexCall(address: string, op: DecodedFutexOp, value: number | null, timeoutGiven: boolean, address2: string | null): FutexCall {
  return {
    address,
    command: op.command,
    private: op.private,
    clockRealtime: op.clockRealtime,
    op: op.op,
    value,
    timed: isFutexWait(op.command) && timeoutGiven,
    address2: usesSecondWord(op.command) ? address2 : null,
  };
}

/** Normalises an address to lowercase hex with `0x`, or null if the text is not a number. */
export function normalizeAddress(text: string): string | null {
  if (isNormalHex(text)) return text;
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return '0x' + BigInt(t).toString(16);
  if (/^\d+$/.test(t)) return '0x' + BigInt(t).toString(16);
  if (t === 'NULL') return '0x0';
  return null;
}

/** `0x` and lowercase hex digits without leading zeros: already as normalizeAddress writes it. */
function isNormalHex(text: string): boolean {
  if (text.length < 3 || text.charCodeAt(0) !== 0x30 || text.charCodeAt(1) !== 0x78) return false;
  if (text.charCodeAt(2) === 0x30) return text.length === 3;
  for (let i = 2; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (!((ch >= 0x30 && ch <= 0x39) || (ch >= 0x61 && ch <= 0x66))) return false;
  }
  return true;
}
