// One line of strace output (strace 4.x to 6.x), parsed without context.
// Format reference: strace(1) (https://man7.org/linux/man-pages/man1/strace.1.html), and the
// printers in strace's src/strace.c (printleader, tprints of "<unfinished ...>", "<... %s resumed>",
// "+++ exited with %d +++", "--- %s ---") and src/futex.c, src/clone.c, src/wait.c for arguments.
//
// A line is: an optional pid column (`1234 ` with -f -o, `[pid  1234] ` on stderr), an optional
// timestamp (-t, -tt, -ttt or -r), then one of: a whole call `name(args) = result <dur>`, a call's
// first half `name(args <unfinished ...>`, its second half `<... name resumed>args) = result`, a
// signal `--- SIGCHLD {...} ---`, an exit `+++ exited with 0 +++`, a -k stack frame ` > lib(fn+0x1)`,
// or a message of strace itself (`strace: Process 1234 attached`).

import type { CloneCall, ExecCall, ExitStatus, FutexCall, SyscallResult, WaitCall } from '../src/model/events.js';
import { normalizeAddress, parseFutexOp } from '../src/model/futex.js';
import { cloneFlagNames } from '../src/proc/abi.js';

export interface LineTime {
  /** Microseconds: of the day (-t, -tt), of the epoch (-ttt), or of the delta since the previous line (-r). */
  us: number;
  text: string;
  relative: boolean;
}

export type LineBody =
  | { kind: 'call'; name: string; args: string; result: SyscallResult; durationUs: number | null }
  | { kind: 'unfinished'; name: string; args: string }
  | { kind: 'resumed'; name: string; args: string; result: SyscallResult | null; durationUs: number | null }
  | { kind: 'signal'; signal: string; info: string }
  | { kind: 'exit'; status: ExitStatus | null; supersededBy?: number }
  | { kind: 'stack'; frame: string }
  | { kind: 'message'; text: string; attached?: number; detached?: number }
  | { kind: 'blank' };

export interface ParsedLine {
  /** The pid column, or null when the line has none. */
  pid: number | null;
  time: LineTime | null;
  body: LineBody;
}

export type LineParse = ParsedLine | { error: string };

const PID_COLUMN = /^(?:\[pid\s+(\d+)\]|(\d+))\s+/;
const TIME_OF_DAY = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s+/;
const SECONDS = /^(\d+)\.(\d{1,9})\s+/;
export const STRACE_MESSAGE = /strace: Process (\d+) (attached|detached)(?: with \d+ threads)?$/;

/**
 * Parses one line. `withPid`: the log has a pid column on every line (-f -o FILE); otherwise a
 * leading number is only taken as a pid in the `[pid N]` form.
 */
export function parseStraceLine(text: string, withPid = true): LineParse {
  let rest = text;
  let pid: number | null = null;
  const pidMatch = PID_COLUMN.exec(rest);
  if (pidMatch && (pidMatch[1] !== undefined || (withPid && !/^\d+\.\d/.test(rest)))) {
    pid = Number(pidMatch[1] ?? pidMatch[2]);
    rest = rest.slice(pidMatch[0].length);
  }
  const time = parseTime(rest);
  if (time) rest = rest.slice(time.length);
  const body = parseBody(rest);
  if ('error' in body) return body;
  return { pid, time: time?.time ?? null, body };
}

function parseTime(text: string): { time: LineTime; length: number } | null {
  const trimmed = text.replace(/^ +/, '');
  const lead = text.length - trimmed.length;
  const day = TIME_OF_DAY.exec(trimmed);
  if (day) {
    const fraction = day[4] ? Number(day[4].padEnd(6, '0').slice(0, 6)) : 0;
    const us = ((Number(day[1]) * 60 + Number(day[2])) * 60 + Number(day[3])) * 1e6 + fraction;
    return { time: { us, text: day[0].trim(), relative: false }, length: lead + day[0].length };
  }
  const seconds = SECONDS.exec(trimmed);
  if (seconds) {
    const us = Number(seconds[1]) * 1e6 + Number(seconds[2].padEnd(6, '0').slice(0, 6));
    // -r prints deltas, -ttt seconds since the epoch: no delta is anywhere near 1e8 s.
    const relative = Number(seconds[1]) < 1e8;
    return { time: { us, text: seconds[0].trim(), relative }, length: lead + seconds[0].length };
  }
  return null;
}

function parseBody(text: string): LineBody | { error: string } {
  if (text.trim() === '') return { kind: 'blank' };
  if (text.startsWith(' > ')) return { kind: 'stack', frame: text.slice(3).trim() };
  const message = STRACE_MESSAGE.exec(text);
  if (message && message.index === 0) {
    const pid = Number(message[1]);
    return { kind: 'message', text, ...(message[2] === 'attached' ? { attached: pid } : { detached: pid }) };
  }
  if (text.startsWith('strace: ')) return { kind: 'message', text };
  if (text.startsWith('+++ ')) return parseExit(text);
  if (text.startsWith('--- ')) {
    const m = /^--- (\S+)\s*(.*?)\s*---$/.exec(text);
    if (!m) return { error: 'unterminated signal line' };
    const signal = m[1] === 'stopped' ? (/by (SIG\w+)/.exec(m[2])?.[1] ?? 'SIGSTOP') : m[1];
    return { kind: 'signal', signal, info: m[2] };
  }
  if (text.startsWith('<... ')) {
    const m = /^<\.\.\. ([\w]+) resumed>\s?/.exec(text);
    if (!m) return { error: 'malformed "<... resumed>" line' };
    const tail = splitCallTail(text.slice(m[0].length), 0);
    if (!tail) return { error: `"<... ${m[1]} resumed>" without its closing ")"` };
    return { kind: 'resumed', name: m[1], args: tail.args, result: tail.result, durationUs: tail.durationUs };
  }
  const call = /^([A-Za-z_][\w]*)\(/.exec(text);
  if (!call) return { error: 'not a strace line' };
  const afterName = text.slice(call[0].length);
  const unfinished = /\s*<unfinished \.\.\.>\s*$/.exec(afterName);
  if (unfinished) return { kind: 'unfinished', name: call[1], args: afterName.slice(0, unfinished.index).trim() };
  const tail = splitCallTail(afterName, 0);
  // A line cut before its ")" is a call still in progress when the output stopped: `-ff` files
  // have no "<unfinished ...>" marker, strace just never finishes the line.
  if (!tail && findClose(afterName, 0) < 0) return { kind: 'unfinished', name: call[1], args: afterName.trim() };
  if (!tail || !tail.result) return { error: `call to ${call[1]} without a result` };
  return { kind: 'call', name: call[1], args: tail.args, result: tail.result, durationUs: tail.durationUs };
}

function parseExit(text: string): LineBody | { error: string } {
  let m = /^\+\+\+ exited with (-?\d+) \+\+\+$/.exec(text);
  if (m) return { kind: 'exit', status: { code: Number(m[1]) } };
  m = /^\+\+\+ killed by (SIG\w+)( \(core dumped\))? \+\+\+$/.exec(text);
  if (m) return { kind: 'exit', status: m[2] ? { signal: m[1], coreDumped: true } : { signal: m[1] } };
  m = /^\+\+\+ superseded by execve in pid (\d+) \+\+\+$/.exec(text);
  if (m) return { kind: 'exit', status: null, supersededBy: Number(m[1]) };
  return { error: 'unknown "+++" line' };
}

/**
 * Splits `args) = result <dur>` at the `)` that closes the call, skipping strings, nested
 * brackets and comments (a string may hold ") = ").
 */
function splitCallTail(text: string, startDepth: number): { args: string; result: SyscallResult | null; durationUs: number | null } | null {
  const close = findClose(text, startDepth);
  if (close < 0) return null;
  const args = text.slice(0, close).trim();
  const after = text.slice(close + 1);
  const eq = /^\s*=\s*/.exec(after);
  if (!eq) return after.trim() === '' ? { args, result: null, durationUs: null } : null;
  let resultText = after.slice(eq[0].length).trim();
  let durationUs: number | null = null;
  const duration = /\s*<(\d+\.\d+|unavailable)>$/.exec(resultText);
  if (duration) {
    durationUs = duration[1] === 'unavailable' ? null : Math.round(Number(duration[1]) * 1e6);
    resultText = resultText.slice(0, duration.index);
  }
  return { args, result: parseResult(resultText), durationUs };
}

/** Index of the `)` closing depth `startDepth`, or -1. */
function findClose(text: string, startDepth: number): number {
  let depth = startDepth;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return -1;
      i = end + 1;
    } else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') depth--;
    else if (ch === ')') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

export function parseResult(raw: string): SyscallResult {
  const m = /^(-?\d+|0x[0-9a-f]+|\?)(?:\s+(E[A-Z0-9_]+))?/i.exec(raw);
  if (!m) return { raw, value: null, errno: null };
  const value = m[1] === '?' ? null : m[1].startsWith('0x') ? Number(BigInt(m[1])) : Number(m[1]);
  return { raw, value, errno: m[2] ?? null };
}

/** Splits an argument list at its top-level commas. */
export function splitArgs(args: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < args.length; i++) {
    const ch = args[i];
    if (ch === '"') {
      for (i++; i < args.length && args[i] !== '"'; i++) if (args[i] === '\\') i++;
    } else if (ch === '/' && args[i + 1] === '*') {
      const end = args.indexOf('*/', i + 2);
      i = end < 0 ? args.length : end + 1;
    } else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(args.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = args.slice(start).trim();
  if (last || parts.length) parts.push(last);
  return parts;
}

/** CLONE_* names from `CLONE_VM|CLONE_THREAD|SIGCHLD` or, as `-X raw` prints, `0x3d0f00` / `0x1200000|17`. */
export function decodeCloneFlags(text: string): string[] | null {
  const names: string[] = [];
  let bits = 0n;
  // `-X verbose` follows each number with its names in a comment: `0x1200000 /* CLONE_... */|17 /* SIGCHLD */`.
  for (const part of text.replace(/\/\*.*?\*\//g, '').split('|').map((p) => p.trim())) {
    if (/^(0x[0-9a-f]+|\d+)$/i.test(part)) bits |= BigInt(part);
    else if (/^[A-Z_0-9]+$/.test(part)) names.push(part);
    else return null;
  }
  for (const name of bits ? cloneFlagNames(bits) : []) if (!names.includes(name)) names.push(name);
  return names;
}

export function decodeFutex(args: string): FutexCall | undefined {
  const parts = splitArgs(args);
  const address = parts[0] ? normalizeAddress(parts[0]) : null;
  const op = parts[1] ? parseFutexOp(parts[1]) : null;
  if (!address || !op) return undefined;
  const value = parts[2] !== undefined && /^(0x[0-9a-f]+|-?\d+)$/i.test(parts[2]) ? Number(parts[2]) : null;
  const waits = ['WAIT', 'WAIT_BITSET', 'LOCK_PI', 'LOCK_PI2', 'WAIT_REQUEUE_PI'].includes(op.command);
  const timed = waits && parts[3] !== undefined && !['NULL', '0', '0x0', ''].includes(parts[3]);
  const hasSecondWord = ['REQUEUE', 'CMP_REQUEUE', 'WAKE_OP', 'CMP_REQUEUE_PI', 'WAIT_REQUEUE_PI'].includes(op.command);
  return {
    address,
    command: op.command,
    private: op.private,
    clockRealtime: op.clockRealtime,
    op: op.op,
    value,
    timed,
    address2: hasSecondWord && parts[4] ? normalizeAddress(parts[4]) : null,
  };
}

export function decodeClone(name: string, args: string): CloneCall | undefined {
  if (name === 'fork' || name === 'vfork') return { syscall: name, flags: null, creates: 'process' };
  if (name !== 'clone' && name !== 'clone2' && name !== 'clone3') return undefined;
  const labelled = /(?:^|[{\s,])flags=((?:[^,}/]|\/\*.*?\*\/)+)/.exec(args);
  let flagsText = labelled?.[1];
  // Fully raw clone (no labels): flags is the first argument on x86_64.
  if (!flagsText && name !== 'clone3') flagsText = splitArgs(args)[0];
  const flags = flagsText ? decodeCloneFlags(flagsText) : null;
  const creates = flags === null ? null : flags.includes('CLONE_THREAD') ? 'thread' : 'process';
  return { syscall: name, flags, creates };
}

export function decodeWait(name: string, args: string): WaitCall | undefined {
  if (name !== 'wait4' && name !== 'waitpid' && name !== 'waitid') return undefined;
  const parts = splitArgs(args);
  if (name === 'waitid') {
    const id = Number(parts[1]);
    const pid = parts[0] === 'P_PID' ? id : parts[0] === 'P_ALL' ? -1 : parts[0] === 'P_PGID' ? -id : null;
    return { syscall: name, pid: Number.isFinite(pid) ? pid : null, status: waitidStatus(parts[2] ?? '') };
  }
  const pid = /^-?\d+$/.test(parts[0] ?? '') ? Number(parts[0]) : null;
  return { syscall: name, pid, status: waitStatus(parts[1] ?? '') };
}

function waitStatus(text: string): ExitStatus | null {
  const exited = /WEXITSTATUS\(s\) == (\d+)/.exec(text);
  if (exited) return { code: Number(exited[1]) };
  const signaled = /WTERMSIG\(s\) == (SIG\w+|\d+)/.exec(text);
  if (signaled) return /WCOREDUMP/.test(text) ? { signal: signaled[1], coreDumped: true } : { signal: signaled[1] };
  return null;
}

function waitidStatus(text: string): ExitStatus | null {
  const code = /si_code=(CLD_\w+)/.exec(text)?.[1];
  const status = /si_status=(\w+)/.exec(text)?.[1];
  if (!code || status === undefined) return null;
  if (code === 'CLD_EXITED') return { code: Number(status) };
  if (code === 'CLD_KILLED') return { signal: status };
  if (code === 'CLD_DUMPED') return { signal: status, coreDumped: true };
  return null;
}

export function decodeExec(name: string, args: string): ExecCall | undefined {
  if (name !== 'execve' && name !== 'execveat') return undefined;
  const parts = splitArgs(args);
  const pathArg = name === 'execveat' ? parts[1] : parts[0];
  const argvArg = name === 'execveat' ? parts[2] : parts[1];
  const path = unquote(pathArg ?? '');
  const argv = argvArg?.startsWith('[') ? [...argvArg.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).join(' ') : null;
  return { path, argv: argv || null };
}

function unquote(text: string): string {
  const m = /^"((?:[^"\\]|\\.)*)"/.exec(text);
  return m ? m[1] : text;
}
