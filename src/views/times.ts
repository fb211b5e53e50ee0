// How the views show a trace's times. strace prints them as the user asked (-t, -tt, -ttt, -r) and
// they are shown as printed. forkscope's bpftrace recording stamps each row with the monotonic clock
// in nanoseconds (`412302237839`, time since boot): shown as seconds from the trace's first event
// (`+1.234567`), or as the time of day when the recording's meta.json says what the wall clock read
// when the monotonic clock read a given value (`record` writes it). JSON keeps the raw value too.

import type { TraceSource } from '../../parsers/types.js';
import type { TraceEvent } from '../model/events.js';

export class TraceClock {
  private originNs: bigint | null = null;

  private constructor(
    /** The trace's times are monotonic nanoseconds (a bpftrace recording). */
    private readonly monotonic: boolean,
    /** Wall-clock nanoseconds since the epoch minus monotonic nanoseconds, when known. */
    private readonly wallOffsetNs: bigint | null,
  ) {}

  /** For these sources; `wallOffsetNs` from the recording's meta.json (see `recordedWallOffset`). */
  static for(sources: TraceSource[], wallOffsetNs: bigint | null = null): TraceClock {
    const monotonic = sources.length > 0 && sources.every((s) => s.format === 'bpftrace-csv');
    return new TraceClock(monotonic, monotonic ? wallOffsetNs : null);
  }

  /** Times as printed: no clock to convert. */
  static asPrinted(): TraceClock {
    return new TraceClock(false, null);
  }

  /** Whether times are shown otherwise than printed. */
  get converts(): boolean {
    return this.monotonic;
  }

  /** Sees the events as they are read: the first stamped one is the origin of relative times. */
  observe(event: TraceEvent): void {
    if (!this.monotonic || this.originNs !== null || event.kind === 'warning') return;
    this.originNs = nanoseconds((event.kind === 'syscall' ? event.start : event.at).text);
  }

  /** A time as the log printed it (a stamp's or a finding's `text`), as the views show it. */
  shown(text: string | null): string | null {
    if (!this.monotonic || text === null) return text;
    const ns = nanoseconds(text);
    if (ns === null) return text;
    if (this.wallOffsetNs !== null) return timeOfDay(ns + this.wallOffsetNs);
    if (this.originNs === null) return text;
    const from = ns - this.originNs;
    const sign = from < 0n ? '-' : '+';
    const abs = from < 0n ? -from : from;
    return `${sign}${abs / 1_000_000_000n}.${String((abs % 1_000_000_000n) / 1000n).padStart(6, '0')}`;
  }
}

function nanoseconds(text: string | null): bigint | null {
  return text !== null && /^\d+$/.test(text) ? BigInt(text) : null;
}

/** `HH:MM:SS.uuuuuu` in local time, as strace -tt prints it. */
function timeOfDay(epochNs: bigint): string {
  const date = new Date(Number(epochNs / 1_000_000n));
  const pad = (n: number) => String(n).padStart(2, '0');
  const micros = String((epochNs % 1_000_000_000n) / 1000n).padStart(6, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${micros}`;
}

/**
 * The clock pair `record` keeps in meta.json, `{"monotonicNs": "...", "realtime": ISO}`, read at the
 * same moment: their difference turns monotonic stamps into wall time. null when absent or unreadable.
 */
export function wallOffsetOf(clock: unknown): bigint | null {
  if (clock === null || typeof clock !== 'object') return null;
  const { monotonicNs, realtime } = clock as { monotonicNs?: unknown; realtime?: unknown };
  if (typeof monotonicNs !== 'string' || !/^\d+$/.test(monotonicNs) || typeof realtime !== 'string') return null;
  const epochMs = Date.parse(realtime);
  if (!Number.isFinite(epochMs)) return null;
  return BigInt(epochMs) * 1_000_000n - BigInt(monotonicNs);
}

/** The clock pair for meta.json, read now. */
export function clockPair(): { monotonicNs: string; realtime: string } {
  const monotonicNs = process.hrtime.bigint();
  return { monotonicNs: monotonicNs.toString(), realtime: new Date().toISOString() };
}
