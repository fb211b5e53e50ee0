// One line of strace output (strace 4.x to 6.x), parsed without context.
// Format reference: strace(1) (https://man7.org/linux/man-pages/man1/strace.1.html), and the
// printers in strace's src/strace.c (printleader, "<unfinished ...>", "<... %s resumed>",
// "+++ exited with %d +++", "--- %s ---"), src/futex.c, src/clone.c and src/wait.c for arguments.
//
// A line is: an optional pid column (`1234 ` with -f -o, `1234<comm> ` with -Y, `[pid  1234] ` on
// stderr), an optional timestamp (-t `HH:MM:SS`, -tt `HH:MM:SS.uuuuuu`, -ttt `epoch.uuuuuu`, -r
// `  0.000123` delta, or a time then `(+     0.000123)` with -r and -t*), an optional `[ nnn]`
// syscall number (-n) and `[ip]` (-i), then one of: a
// whole call `name(args) = result <dur>`, a call's first half `name(args <unfinished ...>` (or
// `<detached ...>` when strace let go of the task in it), its second half
// `<... name resumed>args) = result`, a signal `--- SIGCHLD {...} ---`, an exit `+++ exited with 0
// +++`, a -k stack frame ` > lib(fn+0x1) [0x...]`, or a message of strace itself
// (`strace: Process 1234 attached`). A call cut before its `)` is a call the output stopped in
// (`-ff` files end so when strace is killed): it is read as unfinished.

import type { CloneCall, ExecCall, ExitStatus, FutexCall, SyscallResult, WaitCall } from '../src/model/events.js';
import { futexCall, normalizeAddress, parseFutexOp } from '../src/model/futex.js';
import { splitArgs, topLevelIndex } from '../src/model/format.js';
import { WAITID_ID_TYPES, cloneFlagNames, decodeWaitStatus, signalName, waitidTarget } from '../src/linux/abi.js';

export interface LineTime {
  /** Microseconds: of the day (-t, -tt), of the epoch (-ttt), or of the delta since the previous line (-r). */
  us: number;
  text: string;
  relative: boolean;
}

export type LineBody =
  | { kind: 'call'; name: string; args: string; result: SyscallResult; durationUs: number | null }
  | { kind: 'unfinished'; name: string; args: string; cut?: boolean }
  | { kind: 'resumed'; name: string; args: string; result: SyscallResult | null; durationUs: number | null }
  | { kind: 'signal'; signal: string; info: string; stopped?: boolean }
  | { kind: 'exit'; status: ExitStatus | null; supersededBy?: number }
  | { kind: 'stack'; frame: string }
  | { kind: 'message'; text: string; attached?: number; detached?: number; startsRun?: boolean }
  | { kind: 'blank' };

export interface ParsedLine {
  /** The pid column, or null when the line has none. */
  pid: number | null;
  time: LineTime | null;
  body: LineBody;
}

export type LineParse = ParsedLine | { error: string };

/** strace's note that it attached to or detached from a task; on stderr it can cut another line in two. */
export const STRACE_MESSAGE = /strace: Process (\d+) (attached|detached)(?: with \d+ threads)?$/;
/**
 * The same note as strace 4.x printed it, without `strace: `: `Process 10853 attached - interrupt to
 * quit` (the start of an `strace -p` run, one per -p), `Process 144517 attached with 611 threads`,
 * `Process 10853 detached`.
 */
export const OLD_STRACE_MESSAGE = /^Process (\d+) (attached|detached)(?: with \d+ threads)?( - interrupt to quit)?$/;

const SPACE = 0x20;
const PAREN_OPEN = 0x28;
const PAREN_CLOSE = 0x29;
const PLUS = 0x2b;
const DASH = 0x2d;
const DOT = 0x2e;
const COLON = 0x3a;
const LESS = 0x3c;
const EQUALS = 0x3d;
const GREATER = 0x3e;
const BRACKET_OPEN = 0x5b;

/** How strace ends the first half of a call another line interrupted, or one it detached from. */
const CUT_MARKERS = ['<unfinished ...>', '<detached ...>'];
const PID_PREFIX = /^\[pid\s+(\d+)(?:<[^\]]*>)?\]/;
/** `[ 202] ` (-n) and `[00007f1d2c3b4e2b] ` (-i) between the timestamp and the call. */
const BRACKETED_NUMBER = /^\[[ 0-9a-f?]+\] /;

/**
 * Where the parts of a line are, as `scanPrefix` found them: one object reused for every line, so
 * that a line read only for its pid, time and call name makes no object.
 */
interface LineLayout {
  pid: number | null;
  /** The time's span, or -1 when the line has none; its value in `timeUs` and `timeRelative`. */
  timeStart: number;
  timeEnd: number;
  timeUs: number;
  timeRelative: boolean;
  /** Where the call, signal, exit or message starts. */
  bodyStart: number;
}

const layout: LineLayout = { pid: null, timeStart: -1, timeEnd: -1, timeUs: 0, timeRelative: false, bodyStart: 0 };

/**
 * Parses one line. `withPid`: a leading number may be a pid column (logs of -f); off for files
 * that hold one task (`-ff`, PlashGlibc sections), where only `[pid N]` is read as a pid.
 */
export function parseStraceLine(text: string, withPid = true): LineParse {
  scanPrefix(text, withPid);
  const { pid, timeStart, timeEnd } = layout;
  const time = timeEnd < 0 ? null : { us: layout.timeUs, text: text.slice(timeStart, timeEnd), relative: layout.timeRelative };
  const body = parseBody(text, layout.bodyStart);
  if ('error' in body) return body;
  return { pid, time, body };
}

/** Fills `layout` with the line's pid column, time, and where its body starts. */
function scanPrefix(text: string, withPid: boolean): void {
  let i = 0;
  let pid: number | null = null;
  const first = text.charCodeAt(0);
  if (first === BRACKET_OPEN) {
    const m = PID_PREFIX.exec(text);
    if (m) {
      pid = Number(m[1]);
      i = skipSpaces(text, m[0].length);
    }
  } else if (withPid && isDigit(first)) {
    const end = digitsEnd(text, 0);
    let after = end;
    // -Y names the command: `1234<python3> `.
    if (text.charCodeAt(after) === LESS) {
      const close = text.indexOf('> ', after);
      if (close > 0) after = close + 1;
    }
    if (text.charCodeAt(after) === SPACE) {
      pid = readUint(text, 0, end);
      i = skipSpaces(text, after);
    }
  }
  layout.pid = pid;
  layout.timeStart = layout.timeEnd = -1;
  const timeStart = skipSpaces(text, i);
  if (isDigit(text.charCodeAt(timeStart))) {
    const end = scanTime(text, timeStart);
    if (end >= 0) {
      layout.timeStart = timeStart;
      layout.timeEnd = end;
      i = skipSpaces(text, end);
      // -r with -t/-tt/-ttt adds the delta after the time: `(+     0.000018) `; the time suffices.
      if (text.charCodeAt(i) === PAREN_OPEN && text.charCodeAt(i + 1) === PLUS) {
        const close = text.indexOf(') ', i);
        if (close > 0) i = skipSpaces(text, close + 1);
      }
    }
  }
  for (let k = 0; k < 2 && text.charCodeAt(i) === BRACKET_OPEN; k++) {
    const m = BRACKETED_NUMBER.exec(text.slice(i, i + 40));
    if (!m) break;
    i = skipSpaces(text, i + m[0].length);
  }
  layout.bodyStart = i;
}

/** A line's pid column and time as the scans read them (the time's text is only sliced when said). */
export interface LineLead {
  pid: number | null;
  /** The time's value (for the trace's clock), or null when the line has none. */
  time: Pick<LineTime, 'us' | 'relative'> | null;
  /** Where the time's text is in the line. */
  timeStart: number;
  timeEnd: number;
}

/** A whole call's line as `scanWholeCall` read it, without its arguments or result decoded. */
export interface WholeCallLine extends LineLead {
  name: string;
}

const lead: LineLead = { pid: null, time: null, timeStart: -1, timeEnd: -1 };
const leadTime = { us: 0, relative: false };
const wholeCall: WholeCallLine = { pid: null, time: null, timeStart: -1, timeEnd: -1, name: '' };
const wholeCallTime = { us: 0, relative: false };

/** Copies what `scanPrefix` found of the line's lead into `into`, its time into `time` (both reused). */
function copyLead<T extends LineLead>(into: T, time: { us: number; relative: boolean }): T {
  into.pid = layout.pid;
  into.timeStart = layout.timeStart;
  into.timeEnd = layout.timeEnd;
  if (layout.timeEnd < 0) into.time = null;
  else {
    time.us = layout.timeUs;
    time.relative = layout.timeRelative;
    into.time = time;
  }
  return into;
}

/** Any line's pid column and time; the object returned is reused by the next call. */
export function scanLead(text: string, withPid: boolean): LineLead {
  scanPrefix(text, withPid);
  return copyLead(lead, leadTime);
}

/**
 * A line that `parseStraceLine` would read as a whole call (`name(args) = result`), read only for
 * its lead and name, when `wanted` says its name is of interest (asked before the rest of the line
 * is looked at); null for any other line. The object returned is reused by the next call.
 */
export function scanWholeCall(text: string, withPid: boolean, wanted: (name: string) => boolean): WholeCallLine | null {
  scanPrefix(text, withPid);
  const start = layout.bodyStart;
  const nameEnd = identifierEnd(text, start);
  if (nameEnd === start || text.charCodeAt(nameEnd) !== PAREN_OPEN) return null;
  const name = text.slice(start, nameEnd);
  if (!wanted(name)) return null;
  const end = trimmedEnd(text);
  for (const marker of CUT_MARKERS) if (text.endsWith(marker, end)) return null;
  const close = topLevelIndex(text, nameEnd + 1, end, PAREN_CLOSE);
  if (close < 0) return null;
  const equals = skipSpaces(text, close + 1);
  if (equals >= end || text.charCodeAt(equals) !== EQUALS) return null;
  if (skipSpaces(text, equals + 1) >= end) return null;
  wholeCall.name = name;
  return copyLead(wholeCall, wholeCallTime);
}

/** Reads a time at `start` into `layout` (timeUs, timeRelative): its end, or -1 if there is none. */
function scanTime(text: string, start: number): number {
  const integerEnd = digitsEnd(text, start);
  const separator = text.charCodeAt(integerEnd);
  if (separator === COLON) {
    // HH:MM:SS[.fraction]
    const minutes = integerEnd + 1;
    const seconds = integerEnd + 4;
    if (
      integerEnd - start > 2 ||
      !isDigit(text.charCodeAt(minutes)) ||
      !isDigit(text.charCodeAt(minutes + 1)) ||
      text.charCodeAt(minutes + 2) !== COLON ||
      !isDigit(text.charCodeAt(seconds)) ||
      !isDigit(text.charCodeAt(seconds + 1))
    ) {
      return -1;
    }
    let end = seconds + 2;
    let fraction = 0;
    if (text.charCodeAt(end) === DOT) {
      const fractionEnd = digitsEnd(text, end + 1);
      if (fractionEnd === end + 1) return -1;
      fraction = readMicros(text, end + 1, fractionEnd);
      end = fractionEnd;
    }
    if (text.charCodeAt(end) !== SPACE) return -1;
    const secondsOfDay = (readUint(text, start, integerEnd) * 60 + readUint(text, minutes, minutes + 2)) * 60 + readUint(text, seconds, seconds + 2);
    layout.timeUs = secondsOfDay * 1e6 + fraction;
    layout.timeRelative = false;
    return end;
  }
  if (separator === DOT) {
    const fractionEnd = digitsEnd(text, integerEnd + 1);
    if (fractionEnd === integerEnd + 1 || text.charCodeAt(fractionEnd) !== SPACE) return -1;
    const wholeSeconds = readUint(text, start, integerEnd);
    layout.timeUs = wholeSeconds * 1e6 + readMicros(text, integerEnd + 1, fractionEnd);
    // -r prints deltas, -ttt seconds since the epoch: no delta between two lines is near 3 years.
    layout.timeRelative = wholeSeconds < 1e8;
    return fractionEnd;
  }
  return -1;
}

function parseBody(text: string, start: number): LineBody | { error: string } {
  const end = trimmedEnd(text);
  if (start >= end) return { kind: 'blank' };
  switch (text.charCodeAt(start)) {
    case SPACE:
    case GREATER: {
      const at = skipSpaces(text, start);
      if (text.startsWith('> ', at)) return { kind: 'stack', frame: text.slice(at + 2, end).trim() };
      if (at === start) return { error: 'not a strace line' };
      return parseBody(text, at);
    }
    case PLUS:
      return parseExit(text.slice(start, end));
    case DASH:
      return parseSignal(text.slice(start, end));
    case LESS:
      return parseResumed(text, start, end);
  }
  if (text.startsWith('strace: ', start)) {
    const message = text.slice(start, end);
    const known = STRACE_MESSAGE.exec(message);
    if (known?.index === 0) {
      const pid = Number(known[1]);
      return { kind: 'message', text: message, ...(known[2] === 'attached' ? { attached: pid } : { detached: pid }) };
    }
    return { kind: 'message', text: message };
  }
  if (text.startsWith('Process ', start)) {
    const old = OLD_STRACE_MESSAGE.exec(text.slice(start, end));
    if (old) {
      const pid = Number(old[1]);
      const note = old[2] === 'attached' ? { attached: pid, ...(old[3] ? { startsRun: true } : {}) } : { detached: pid };
      return { kind: 'message', text: old[0], ...note };
    }
  }
  return parseCall(text, start, end);
}

function parseCall(text: string, start: number, end: number): LineBody | { error: string } {
  const nameEnd = identifierEnd(text, start);
  if (nameEnd === start || text.charCodeAt(nameEnd) !== PAREN_OPEN) return { error: 'not a strace line' };
  const name = text.slice(start, nameEnd);
  const argsStart = nameEnd + 1;
  for (const marker of CUT_MARKERS) {
    if (text.endsWith(marker, end)) return { kind: 'unfinished', name, args: withoutInterruptEcho(text.slice(argsStart, end - marker.length).trim()) };
  }
  const tail = splitCallTail(text, argsStart, end);
  // No closing ")": the output stopped in this call (a `-ff` file has no "<unfinished ...>").
  if (tail === 'unclosed') return { kind: 'unfinished', name, args: text.slice(argsStart, end).trim(), cut: true };
  if (tail === 'garbage' || tail.result === null) return { error: `call to ${name} without a result` };
  return { kind: 'call', name, args: tail.args, result: tail.result, durationUs: tail.durationUs };
}

/** A pasted terminal session shows the `^C` that interrupted strace inside the call it cut. */
function withoutInterruptEcho(args: string): string {
  return args.endsWith('^C') ? args.slice(0, -2).trimEnd() : args;
}

function parseResumed(text: string, start: number, end: number): LineBody | { error: string } {
  const nameStart = start + 5;
  const nameEnd = identifierEnd(text, nameStart);
  if (!text.startsWith('<... ', start) || nameEnd === nameStart || !text.startsWith(' resumed>', nameEnd)) {
    return { error: 'malformed "<... resumed>" line' };
  }
  const name = text.slice(nameStart, nameEnd);
  const tail = splitCallTail(text, nameEnd + 9, end);
  if (tail === 'unclosed' || tail === 'garbage') return { error: `"<... ${name} resumed>" without its closing ")" and result` };
  return { kind: 'resumed', name, args: tail.args, result: tail.result, durationUs: tail.durationUs };
}

function parseExit(text: string): LineBody | { error: string } {
  let m = /^\+\+\+ exited with (-?\d+) \+\+\+$/.exec(text);
  if (m) return { kind: 'exit', status: { code: Number(m[1]) } };
  m = /^\+\+\+ killed by (SIG\w+|\d+)( \(core dumped\))? \+\+\+$/.exec(text);
  if (m) {
    const signal = /^\d+$/.test(m[1]!) ? signalName(Number(m[1])) : m[1]!;
    return { kind: 'exit', status: m[2] ? { signal, coreDumped: true } : { signal } };
  }
  m = /^\+\+\+ superseded by execve in pid (\d+) \+\+\+$/.exec(text);
  if (m) return { kind: 'exit', status: null, supersededBy: Number(m[1]) };
  return { error: 'unknown "+++" line' };
}

/** `--- SIGCHLD {si_signo=...} ---`, old `--- SIGCHLD (Child exited) @ 0 (0) ---`, `--- stopped by SIGSTOP ---`. */
function parseSignal(text: string): LineBody | { error: string } {
  if (!text.startsWith('--- ') || !text.endsWith(' ---') || text.length < 8) return { error: 'unterminated signal line' };
  const inner = text.slice(4, -4).trim();
  const space = inner.indexOf(' ');
  const word = space < 0 ? inner : inner.slice(0, space);
  const info = space < 0 ? '' : inner.slice(space + 1).trim();
  // A group-stop (strace -f shows it for a stopped task): the signal that stopped it, no siginfo.
  if (word === 'stopped') return { kind: 'signal', signal: /by (SIG\w+)/.exec(info)?.[1] ?? 'SIGSTOP', info: '', stopped: true };
  if (!/^SIG\w+$/.test(word)) return { error: `not a signal: ${word}` };
  return { kind: 'signal', signal: word, info };
}

interface CallTail {
  args: string;
  result: SyscallResult | null;
  durationUs: number | null;
}

/**
 * Splits `args) = result <dur>` (from `from` to `end`) at the `)` that closes the call, skipping
 * strings, nested brackets and comments: a string may hold `) = `.
 */
function splitCallTail(text: string, from: number, end: number): CallTail | 'unclosed' | 'garbage' {
  const close = topLevelIndex(text, from, end, PAREN_CLOSE);
  if (close < 0) return 'unclosed';
  const args = text.slice(from, close).trim();
  const equals = skipSpaces(text, close + 1);
  if (equals >= end) return { args, result: null, durationUs: null };
  if (text.charCodeAt(equals) !== EQUALS) return 'garbage';
  let resultEnd = end;
  let durationUs: number | null = null;
  // -T: ` <0.000123>` or ` <unavailable>` last (a -y result `3</path>` is no duration).
  if (text.charCodeAt(end - 1) === GREATER) {
    const open = text.lastIndexOf(' <', end);
    if (open > equals) {
      const micros = readDuration(text, open + 2, end - 1);
      const inside = micros === null ? text.slice(open + 2, end - 1) : '';
      if (micros !== null || inside === 'unavailable' || /^\d+\.\d+$/.test(inside)) {
        durationUs = micros ?? (inside === 'unavailable' ? null : Math.round(Number(inside) * 1e6));
        resultEnd = open;
      }
    }
  }
  const raw = text.slice(skipSpaces(text, equals + 1), resultEnd).trim();
  return { args, result: parseResult(raw), durationUs };
}

export function parseResult(raw: string): SyscallResult {
  // Most calls return a plain count or descriptor.
  if (isUint(raw)) return { raw, value: Number(raw), errno: null };
  const m = /^(0x[0-9a-f]+|-?\d+|\?)(?:\s+(E[A-Z0-9_]+))?/i.exec(raw);
  if (!m) return { raw, value: null, errno: null };
  return { raw, value: m[1] === '?' ? null : Number(m[1]), errno: m[2] ?? null };
}

/** An argument without the `name=` label strace prints with some options (`uaddr=0x..`). */
function argValue(part: string | undefined): string {
  if (part === undefined) return '';
  // Labels are lowercase: addresses, numbers and symbols (most arguments) have none.
  const first = part.charCodeAt(0);
  if (!((first >= 0x61 && first <= 0x7a) || first === 0x5f)) return part;
  const label = /^[a-z_][a-z0-9_]*=(?!=)/.exec(part);
  return label ? part.slice(label[0].length) : part;
}

/** A symbolic argument as strace prints it: `P_PID`, `-X verbose` `0x1 /* P_PID *\/`, `-X raw` `0x1`. */
function symbolOf(part: string, byNumber: readonly string[]): string | null {
  const comment = /\/\*\s*([A-Z_][A-Z0-9_]*)\s*\*\//.exec(part);
  if (comment) return comment[1]!;
  const bare = part.trim();
  if (/^[A-Z_][A-Z0-9_]*$/.test(bare)) return bare;
  const number = /^(0x[0-9a-f]+|\d+)/i.exec(bare);
  return number ? (byNumber[Number(number[1])] ?? null) : null;
}

/** CLONE_* names from `CLONE_VM|CLONE_THREAD|SIGCHLD` or, as `-X raw` prints, `0x3d0f00` / `0x1200000|17`. */
export function decodeCloneFlags(text: string): string[] | null {
  const names: string[] = [];
  let bits = 0n;
  // `-X verbose` follows each number with its names in a comment: `0x1200000 /* CLONE_... */|17 /* SIGCHLD */`.
  for (const part of text.replace(/\/\*.*?\*\//g, '').split('|').map((p) => p.trim())) {
    if (/^(0x[0-9a-f]+|\d+)$/i.test(part)) bits |= BigInt(part);
    else if (/^[A-Z_][A-Z_0-9]*$/.test(part)) names.push(part);
    else return null;
  }
  for (const name of bits ? cloneFlagNames(bits) : []) if (!names.includes(name)) names.push(name);
  return names;
}

/** futex(uaddr, op, val, timeout|val2, uaddr2, val3) as src/futex.c prints it per command. */
export function decodeFutex(args: string): FutexCall | undefined {
  const parts = splitArgs(args).map(argValue);
  const address = parts[0] ? normalizeAddress(parts[0]) : null;
  const op = parts[1] ? parseFutexOp(parts[1]) : null;
  if (!address || !op) return undefined;
  // strace 5+ prints no val for LOCK_PI: the timeout comes third (4.x printed a val there).
  const lockPi = op.command === 'LOCK_PI' || op.command === 'LOCK_PI2';
  const value = !lockPi && /^(0x[0-9a-f]+|-?\d+)$/i.test(parts[2] ?? '') ? Number(parts[2]) : null;
  const timeout = lockPi ? parts[2] : parts[3];
  const timeoutGiven = timeout !== undefined && !/^(NULL|0|0x0)?$/.test(timeout) && !(lockPi && /^\d+$/.test(timeout));
  return futexCall(address, op, value, timeoutGiven, parts[4] ? normalizeAddress(parts[4]) : null);
}

/**
 * `whole`: false for the resumed half of a call whose first half the log lacks (a cut or pasted
 * log): its flags may have been in that half. Without them, `tls=` (a new thread's TLS, which
 * fork never passes) still says thread; anything else is unknown, never guessed.
 */
export function decodeClone(name: string, args: string, whole = true): CloneCall | undefined {
  if (name === 'fork' || name === 'vfork') return { syscall: name, flags: null, creates: 'process' };
  if (name !== 'clone' && name !== 'clone2' && name !== 'clone3') return undefined;
  const labelled = /(?:^|[{\s,])flags=((?:[^,}/]|\/\*.*?\*\/)+)/.exec(args);
  let flagsText = labelled?.[1];
  if (!flagsText && !whole) return { syscall: name, flags: null, creates: /(?:^|[{\s,])tls=/.test(args) ? 'thread' : null };
  // Fully raw clone (no labels): flags is the first argument on x86_64.
  if (!flagsText && name !== 'clone3') flagsText = splitArgs(args)[0];
  const flags = flagsText ? decodeCloneFlags(flagsText) : null;
  const creates = flags === null ? null : flags.includes('CLONE_THREAD') ? 'thread' : 'process';
  return { syscall: name, flags, creates };
}

const CHILD_CODES = ['', 'CLD_EXITED', 'CLD_KILLED', 'CLD_DUMPED', 'CLD_TRAPPED', 'CLD_STOPPED', 'CLD_CONTINUED'];

export function decodeWait(name: string, args: string): WaitCall | undefined {
  if (name !== 'wait4' && name !== 'waitpid' && name !== 'waitid') return undefined;
  const parts = splitArgs(args).map(argValue);
  if (name === 'waitid') {
    const idType = WAITID_ID_TYPES.indexOf(symbolOf(parts[0] ?? '', WAITID_ID_TYPES) as (typeof WAITID_ID_TYPES)[number]);
    return { syscall: name, pid: waitidTarget(idType, leadingInteger(parts[1])), status: waitidStatus(parts[2] ?? '') };
  }
  return { syscall: name, pid: leadingInteger(parts[0]), status: waitStatus(parts[1] ?? '') };
}

/** `12588`, `-1`, `12588<sleep>` (-Y): the number, or null. */
function leadingInteger(text: string | undefined): number | null {
  const m = /^-?\d+/.exec(text ?? '');
  return m ? Number(m[0]) : null;
}

/** wait4's status: `[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]`, `[{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}]`, `[0x300]`. */
function waitStatus(text: string): ExitStatus | null {
  const exited = /WEXITSTATUS\(s\) == (\d+)/.exec(text);
  if (exited) return { code: Number(exited[1]) };
  const signaled = /WTERMSIG\(s\) == (SIG\w+|\d+)/.exec(text);
  if (signaled) {
    const signal = /^\d+$/.test(signaled[1]!) ? signalName(Number(signaled[1])) : signaled[1]!;
    return /WCOREDUMP/.test(text) ? { signal, coreDumped: true } : { signal };
  }
  const raw = /^\[(0x[0-9a-f]+|\d+)\]$/i.exec(text.trim());
  return raw ? decodeWaitStatus(Number(raw[1])) : null;
}

/** waitid's siginfo: `{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=18973, si_status=3, ...}`, any -X form. */
function waitidStatus(text: string): ExitStatus | null {
  const field = (name: string) => new RegExp(`${name}=([^,}]*)`).exec(text)?.[1];
  const code = symbolOf(field('si_code') ?? '', CHILD_CODES);
  const status = field('si_status');
  if (!code || status === undefined) return null;
  if (code === 'CLD_EXITED') return { code: leadingInteger(status.trim()) ?? 0 };
  const signal = /(SIG\w+)/.exec(status)?.[1] ?? signalName(leadingInteger(status.trim()) ?? 0);
  if (code === 'CLD_KILLED') return { signal };
  if (code === 'CLD_DUMPED') return { signal, coreDumped: true };
  return null;
}

export function decodeExec(name: string, args: string): ExecCall | undefined {
  if (name !== 'execve' && name !== 'execveat') return undefined;
  const parts = splitArgs(args).map(argValue);
  const pathArg = name === 'execveat' ? parts[1] : parts[0];
  const argvArg = name === 'execveat' ? parts[2] : parts[1];
  const path = unquote(pathArg ?? '');
  // A string strace cut at `-s` keeps its `...` marker: `/opt/python/3.11.7/bin...` is no program called `bin`.
  // An argv cut at its element count ends `, ...]`.
  const argv = argvArg?.startsWith('[')
    ? [...argvArg.matchAll(/"((?:[^"\\]|\\.)*)"(\.\.\.)?|(?<=[[,]\s*)\.\.\.(?=\s*\]$)/g)].map((m) => (m[1] ?? '') + (m[2] ?? '') || m[0]).join(' ')
    : null;
  return { path, argv: argv || null };
}

/** exit(2), exit_group(2) and old strace's `_exit`: the status argument. */
export function decodeExitCode(name: string, args: string): number | undefined {
  if (name !== 'exit' && name !== 'exit_group' && name !== '_exit') return undefined;
  const code = leadingInteger(argValue(splitArgs(args)[0]));
  return code ?? undefined;
}

/** A quoted string's text, with strace's `...` when it was cut at `-s`. */
function unquote(text: string): string {
  const m = /^"((?:[^"\\]|\\.)*)"(\.\.\.)?/.exec(text);
  return m ? m[1]! + (m[2] ?? '') : text;
}

function isUint(text: string): boolean {
  if (text.length === 0 || text.length > 15) return false;
  for (let i = 0; i < text.length; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return true;
}

function isDigit(ch: number): boolean {
  return ch >= 0x30 && ch <= 0x39;
}

function digitsEnd(text: string, from: number): number {
  let i = from;
  while (isDigit(text.charCodeAt(i))) i++;
  return i;
}

function readUint(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + (text.charCodeAt(i) - 0x30);
  return value;
}

/** `-T`'s `0.000123` in text[from, to) as microseconds, when it has six decimals (as strace prints it); else null. */
function readDuration(text: string, from: number, to: number): number | null {
  const dot = digitsEnd(text, from);
  if (dot === from || dot > from + 9 || text.charCodeAt(dot) !== DOT || to - dot !== 7 || digitsEnd(text, dot + 1) !== to) return null;
  return readUint(text, from, dot) * 1e6 + readUint(text, dot + 1, to);
}

/** A fraction of a second as microseconds: the first six digits, padded (`123` is 123000). */
function readMicros(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < from + 6; i++) value = value * 10 + (i < to ? text.charCodeAt(i) - 0x30 : 0);
  return value;
}

function skipSpaces(text: string, from: number): number {
  let i = from;
  while (text.charCodeAt(i) === SPACE) i++;
  return i;
}

function trimmedEnd(text: string): number {
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === SPACE || text.charCodeAt(end - 1) === 0x09 || text.charCodeAt(end - 1) === 0x0d)) end--;
  return end;
}

/** The end of a syscall name (letters, digits, `_`) starting at `from`; `from` if there is none. */
function identifierEnd(text: string, from: number): number {
  let i = from;
  for (;;) {
    const ch = text.charCodeAt(i);
    if ((ch >= 0x61 && ch <= 0x7a) || (ch >= 0x41 && ch <= 0x5a) || ch === 0x5f || (i > from && isDigit(ch))) i++;
    else return i;
  }
}
