// Text for calls and exit statuses, shared by the reports, the timeline and the TUI.

import type { ExitStatus, SyscallEvent, TraceEvent } from './events.js';
import { futexOpName } from './futex.js';

/**
 * A call as one line of strace text, its halves joined: `futex(0x..., FUTEX_WAIT_PRIVATE, 2, NULL) = 0`.
 * With `symbolic`, a futex op printed as a number (old strace, `-X raw`) is shown by name.
 */
export function callText(call: SyscallEvent, options: { symbolic?: boolean } = {}): string {
  let args = call.args;
  if (options.symbolic && call.futex) {
    const name = futexOpName(call.futex);
    if (!namesOp(args, name)) {
      const parts = splitFirstArgs(args, 2);
      if (parts) args = `${parts[0]}, ${name}${parts[2]}`;
    }
  }
  if (call.result === null) return `${call.name}(${args}${args ? ' ' : ''}<unfinished ...>)`;
  return `${call.name}(${args}) = ${call.result.raw}`;
}

/**
 * Whether `args` already print the op as `name`, spaced as callText would: `0x..., NAME, ...`.
 * The text strace 6 prints, nearly always, kept as it is rather than split and joined again.
 */
function namesOp(args: string, name: string): boolean {
  const comma = args.indexOf(',');
  const end = comma + 2 + name.length;
  return (
    comma > 0 &&
    args.charCodeAt(comma + 1) === 0x20 &&
    args.startsWith(name, comma + 2) &&
    (end === args.length || args.charCodeAt(end) === COMMA) &&
    isWord(args, 0, comma)
  );
}

/** Whether text[from, end) is letters, digits and `_` only (a futex word's address: `0x7f...`). */
function isWord(text: string, from: number, end: number): boolean {
  for (let i = from; i < end; i++) {
    const ch = text.charCodeAt(i);
    if (!((ch >= 0x61 && ch <= 0x7a) || (ch >= 0x41 && ch <= 0x5a) || (ch >= 0x30 && ch <= 0x39) || ch === 0x5f)) return false;
  }
  return true;
}

/** Splits off the first `count` top-level arguments: [arg0, arg1, rest-with-leading-comma]. */
function splitFirstArgs(args: string, count: number): [string, string, string] | null {
  const cuts: number[] = [];
  // Flat arguments (a futex call's, nearly always) have every comma at the top level.
  const flat = FLAT_ARGS.test(args);
  const nextComma = (from: number) => (flat ? args.indexOf(',', from) : topLevelIndex(args, from, args.length, COMMA));
  for (let comma = nextComma(0); comma >= 0 && cuts.length < count; comma = nextComma(comma + 1)) cuts.push(comma);
  if (cuts.length === 0) return null;
  const first = args.slice(0, cuts[0]);
  const second = cuts.length > 1 ? args.slice(cuts[0]! + 1, cuts[1]) : args.slice(cuts[0]! + 1);
  const rest = cuts.length > 1 ? args.slice(cuts[1]) : '';
  return [first.trim(), second.trim(), rest];
}

const QUOTE = 0x22;
const PAREN_OPEN = 0x28;
const PAREN_CLOSE = 0x29;
const STAR = 0x2a;
const COMMA = 0x2c;
const SLASH = 0x2f;
const BRACKET_OPEN = 0x5b;
const BACKSLASH = 0x5c;
const BRACKET_CLOSE = 0x5d;
const BRACE_OPEN = 0x7b;
const BRACE_CLOSE = 0x7d;

/**
 * The index of the first `stop` character (a `)` or `,` code) at nesting depth 0 in
 * text[from, end), skipping strings and `/* comments *\/`, or -1. Closers with no opener (the
 * resumed half of a call split inside a structure) are ignored rather than going below depth 0.
 */
export function topLevelIndex(text: string, from: number, end: number, stop: number): number {
  let depth = 0;
  for (let i = from; i < end; i++) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      i = stringEnd(text, i, end);
      if (i < 0) return -1;
    } else if (ch === SLASH && text.charCodeAt(i + 1) === STAR) {
      const close = text.indexOf('*/', i + 2);
      if (close < 0 || close >= end) return -1;
      i = close + 1;
    } else if (ch === PAREN_OPEN || ch === BRACKET_OPEN || ch === BRACE_OPEN) {
      depth++;
    } else if (depth === 0 && ch === stop) {
      return i;
    } else if (ch === PAREN_CLOSE || ch === BRACKET_CLOSE || ch === BRACE_CLOSE) {
      if (depth > 0) depth--;
    }
  }
  return -1;
}

/** The index of the quote closing the string opened at `open`, or -1. */
function stringEnd(text: string, open: number, end: number): number {
  for (let i = text.indexOf('"', open + 1); i >= 0 && i < end; i = text.indexOf('"', i + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(i - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return i;
  }
  return -1;
}

/** Arguments with nothing that nests or quotes (most futex, close, mmap calls): split at every comma. */
const FLAT_ARGS = /^[^"([{/]*$/;

/**
 * A call's arguments as strace prints them, split at top-level commas (not inside quotes, braces,
 * brackets, parentheses or comments), trimmed: `3, "ab, c"..., 64` gives `3`, `"ab, c"...`, `64`.
 */
export function splitArgs(args: string): string[] {
  if (FLAT_ARGS.test(args)) return args === '' ? [] : args.split(',').map((part) => part.trim());
  const parts: string[] = [];
  let start = 0;
  for (let comma = topLevelIndex(args, 0, args.length, COMMA); comma >= 0; comma = topLevelIndex(args, start, args.length, COMMA)) {
    parts.push(args.slice(start, comma).trim());
    start = comma + 1;
  }
  const last = args.slice(start).trim();
  if (last || parts.length) parts.push(last);
  return parts;
}

/** The first of a call's arguments as splitArgs gives it, without splitting the rest (a read's buffer). */
export function firstArg(args: string): string | undefined {
  if (args === '') return undefined;
  const comma = FLAT_ARGS.test(args) ? args.indexOf(',') : topLevelIndex(args, 0, args.length, COMMA);
  return (comma < 0 ? args : args.slice(0, comma)).trim();
}

export function exitText(status: ExitStatus): string {
  if ('code' in status) return `exited ${status.code}`;
  return `killed by ${status.signal}${status.coreDumped ? ' (core dumped)' : ''}`;
}

/** An event as the timeline views show it, without time or tid: the call, the signal, the exit. */
export function eventText(event: Exclude<TraceEvent, { kind: 'warning' }>): string {
  switch (event.kind) {
    case 'syscall':
      return callText(event, { symbolic: true }) + (event.result === null ? ' (never returned)' : '');
    case 'signal':
      if (event.stopped) return `--- stopped by ${event.signal} ---`;
      return `--- ${event.signal}${event.info ? ` ${event.info}` : ''} ---`;
    case 'exit':
      return `+++ ${event.status ? exitText(event.status) : `superseded by execve in ${event.supersededBy}`} +++`;
    case 'task':
      return `(task ${event.tid} appears${event.command ? `: ${event.command}` : ''})`;
  }
}

const C_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, a: 7, b: 8, '\\': 92, '"': 34 };

/**
 * A string argument as strace prints it, back to what the program passed: `\33`, `\x1b`, `\n`,
 * `\\`, `\"` (the bytes read as UTF-8), e.g. to open a file a call named.
 */
export function decodeStraceString(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch !== '\\' || i + 1 >= text.length) {
      bytes.push(...Buffer.from(ch, 'utf8'));
      continue;
    }
    const next = text[i + 1]!;
    const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4));
    const hex = next === 'x' ? /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2, i + 4)) : null;
    if (octal) {
      bytes.push(parseInt(octal[0], 8) & 0xff);
      i += octal[0].length;
    } else if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 1 + hex[0].length;
    } else {
      bytes.push(C_ESCAPES[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
