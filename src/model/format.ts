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
    const parts = splitFirstArgs(args, 2);
    if (parts) args = `${parts[0]}, ${futexOpName(call.futex)}${parts[2]}`;
  }
  if (call.result === null) return `${call.name}(${args}${args ? ' ' : ''}<unfinished ...>)`;
  return `${call.name}(${args}) = ${call.result.raw}`;
}

/** Splits off the first `count` top-level arguments: [arg0, arg1, rest-with-leading-comma]. */
function splitFirstArgs(args: string, count: number): [string, string, string] | null {
  const cuts = argumentCuts(args, count);
  if (cuts.length === 0) return null;
  const first = args.slice(0, cuts[0]);
  const second = cuts.length > 1 ? args.slice(cuts[0]! + 1, cuts[1]) : args.slice(cuts[0]! + 1);
  const rest = cuts.length > 1 ? args.slice(cuts[1]) : '';
  return [first.trim(), second.trim(), rest];
}

/**
 * A call's arguments as strace prints them, split at top-level commas (not inside quotes, braces,
 * brackets or parentheses), trimmed: `3, "ab, c"..., 64` gives `3`, `"ab, c"...`, `64`.
 */
export function splitArgs(args: string): string[] {
  const cuts = argumentCuts(args, Infinity);
  const parts: string[] = [];
  let from = 0;
  for (const cut of [...cuts, args.length]) {
    parts.push(args.slice(from, cut).trim());
    from = cut + 1;
  }
  return parts.length === 1 && parts[0] === '' ? [] : parts;
}

/** The offsets of the first `count` top-level commas. */
function argumentCuts(args: string, count: number): number[] {
  const cuts: number[] = [];
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < args.length && cuts.length < count; i++) {
    const ch = args[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '{' || ch === '[' || ch === '(') depth++;
    else if (ch === '}' || ch === ']' || ch === ')') depth--;
    else if (ch === ',' && depth === 0) cuts.push(i);
  }
  return cuts;
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
