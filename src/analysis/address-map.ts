// Where each file was mapped in each address space, rebuilt from the calls a trace shows: the
// program an `execve` started, each library ld.so or dlopen opened (`openat` returning fd N, then
// `mmap(..., N, 0) = BASE`; with `-y` the fd carries its path), the heap's `brk` bounds, and the
// early `mprotect(ADDR, N, PROT_READ)` calls from which a PIE program's load address is found
// (the kernel maps the program itself at execve, so no call shows where; ld.so then makes the
// program's RELRO read-only, the one such call in no mapping of a file the trace shows except
// ld.so's own).
//
// Address spaces: threads and CLONE_VM children share their creator's; a forked child starts with
// its parent's (it keeps a link to it rather than a copy); a successful execve starts a new one.
// Memory grows with processes and the libraries they map, not with the log.

import type { SyscallEvent, TraceEvent } from '../model/events.js';
import { returned } from '../model/events.js';
import { splitArgs } from '../model/format.js';

/** A file mapped from its offset 0: `start` is where that page went. */
export interface MappedFile {
  /** The path as the trace names it (the `-y` path when shown, else the `openat` argument). */
  path: string;
  start: bigint;
  /** The end of its highest mapping of the file seen. */
  end: bigint;
  /** `st_size` from the fstat ld.so does before mapping it, when the trace shows it. */
  size: number | null;
}

/** An `mprotect(ADDR, LENGTH, PROT_READ)` of a process's start-up: the RELRO of some object. */
export interface ReadOnlyRange {
  address: bigint;
  length: bigint;
}

/** At most this many files per address space (a program that dlopens in a loop must not grow memory). */
const MAX_FILES = 4096;
/** Start-up mprotect calls kept per address space: ld.so makes one per object with a RELRO. */
const MAX_READ_ONLY = 64;

export class AddressSpace {
  /** The program the execve started (null when the trace begins after it, e.g. attached). */
  executable: string | null = null;
  /** Its argv as strace printed it, to tell an interpreter's script. */
  argv: string | null = null;
  readonly files: MappedFile[] = [];
  readonly readOnly: ReadOnlyRange[] = [];
  heap: { start: bigint; end: bigint } | null = null;
  /** Before the first clone of the space: ld.so's start-up, when the RELRO calls happen. */
  startingUp = true;

  /** `parent`: the space a forked child was copied from (null after an execve: nothing inherited). */
  constructor(public parent: AddressSpace | null) {}

  /** The file mapped at `address`: this space's own mappings first, latest first, then the parent's. */
  fileAt(address: bigint): MappedFile | null {
    for (const space of lineage(this)) {
      const file = space.files.findLast((f) => address >= f.start && address < f.end);
      if (file) return file;
    }
    return null;
  }

  /** The space that holds what the program was started as (itself, or the one it was forked from). */
  origin(): AddressSpace {
    let origin: AddressSpace | null = null;
    for (const space of lineage(this)) {
      origin = space;
      if (space.executable !== null) break;
    }
    return origin!;
  }

  /** Whether `address` lies between the heap's start and its last `brk`. */
  onHeap(address: bigint): boolean {
    for (const space of lineage(this)) if (space.heap && address >= space.heap.start && address < space.heap.end) return true;
    return false;
  }
}

/** A space, then the one it was forked from, and so on (a loop, not recursion: fork chains can be deep). */
function* lineage(first: AddressSpace): Generator<AddressSpace> {
  for (let space: AddressSpace | null = first; space; space = space.parent) yield space;
}

/** A descriptor's file, as the thread that opened it saw it. */
interface OpenFile {
  path: string;
  size: number | null;
}

const CLONES = new Set(['clone', 'clone3', 'fork', 'vfork', 'clone2']);

/** Observes a trace's events and keeps each task's address space. */
export class AddressMap {
  private readonly spaces = new Map<number, AddressSpace>();
  /** Descriptors opened on files, per task (ld.so opens and maps in one thread). */
  private readonly descriptors = new Map<number, Map<number, OpenFile>>();

  /** The address space of a task (an empty one when the trace never showed its mappings). */
  spaceOf(tid: number): AddressSpace {
    let space = this.spaces.get(tid);
    if (!space) {
      space = new AddressSpace(null);
      this.spaces.set(tid, space);
    }
    return space;
  }

  observe(event: TraceEvent): void {
    if (event.kind === 'exit') {
      this.descriptors.delete(event.tid);
      return;
    }
    if (event.kind !== 'syscall' || !returned(event) || event.result!.value! < 0) return;
    if (event.exec) return this.exec(event);
    if (CLONES.has(event.name)) return this.clone(event);
    // A reaped process is gone (its clone was seen: it is in its parent's stream, before the wait).
    if (event.wait?.status && event.result!.value! > 0) {
      this.spaces.delete(event.result!.value!);
      return;
    }
    switch (event.name) {
      case 'open':
      case 'openat':
      case 'openat2':
        return this.open(event);
      case 'fstat':
      case 'newfstatat':
      case 'fstatat64':
      case 'statx':
        return this.stat(event);
      case 'close':
        this.descriptors.get(event.tid)?.delete(fdNumber(splitArgs(event.args)[0]) ?? -1);
        return;
      case 'mmap':
      case 'mmap2':
        return this.mmap(event);
      case 'mprotect':
        return this.mprotect(event);
      case 'brk':
        return this.brk(event);
    }
  }

  private exec(event: SyscallEvent): void {
    const space = new AddressSpace(null);
    space.executable = event.exec!.path;
    space.argv = event.exec!.argv;
    this.spaces.set(event.tid, space);
    this.descriptors.delete(event.tid);
  }

  private clone(event: SyscallEvent): void {
    const child = event.result!.value!;
    if (child <= 0) return;
    const parent = this.spaceOf(event.tid);
    parent.startingUp = false;
    const flags = event.clone?.flags;
    const sharesMemory = event.name === 'vfork' || (flags ? flags.includes('CLONE_VM') : event.clone?.creates === 'thread');
    const known = this.spaces.get(child);
    if (sharesMemory) {
      // A -ff file read before its creator's: what the child mapped belongs to the shared space.
      if (known && known !== parent && known.executable === null) parent.files.push(...known.files.slice(0, MAX_FILES - parent.files.length));
      this.spaces.set(child, parent);
    } else if (!known) {
      this.spaces.set(child, new AddressSpace(parent));
    } else if (known.parent === null && known.executable === null && ![...lineage(parent)].includes(known)) {
      // A pid reused or mangled could make a space its own ancestor: every lookup would then loop.
      known.parent = parent;
    }
  }

  private open(event: SyscallEvent): void {
    const args = splitArgs(event.args);
    const path = quoted(event.name === 'open' ? args[0] : args[1]);
    const fd = event.result!.value!;
    if (path === null) return;
    // `-y` prints the result with the file's canonical path: `3</usr/lib/x86_64-linux-gnu/libc.so.6>`.
    this.descriptorsOf(event.tid).set(fd, { path: fdPath(event.result!.raw) ?? path, size: null });
  }

  private stat(event: SyscallEvent): void {
    const args = splitArgs(event.args);
    const fd = fdNumber(args[0]);
    const size = /\bst_size=(\d+)/.exec(event.args) ?? /\bstx_size=(\d+)/.exec(event.args);
    const file = fd === null ? undefined : this.descriptors.get(event.tid)?.get(fd);
    if (file && size) file.size = Number(size[1]);
  }

  private mmap(event: SyscallEvent): void {
    const args = splitArgs(event.args);
    const fd = fdNumber(args[4]);
    const length = bigNumber(args[1]);
    const offset = bigNumber(args[5]);
    const start = bigNumber(event.result!.raw.split(/\s/)[0]);
    if (fd === null || length === null || offset === null || start === null) return;
    const space = this.spaceOf(event.tid);
    if (fd < 0) {
      // ld.so maps an object's .bss past its file's end as zero pages, right after its data.
      const file = fixedMapping(args[3]) ? space.files.findLast((f) => f.end === start) : undefined;
      if (file) file.end = start + length;
      return;
    }
    const opened = this.descriptors.get(event.tid)?.get(fd);
    const path = fdPath(args[4]!) ?? opened?.path;
    if (!path) return;
    const end = start + length;
    if (offset === 0n) {
      if (space.files.length < MAX_FILES) space.files.push({ path, start, end, size: opened?.size ?? null });
      return;
    }
    // A later segment of the same file (ld.so maps the text, data and RELRO pages at fixed offsets).
    const file = space.files.findLast((f) => f.path === path);
    if (file && end > file.end) file.end = end;
  }

  private mprotect(event: SyscallEvent): void {
    const args = splitArgs(event.args);
    const address = bigNumber(args[0]);
    const length = bigNumber(args[1]);
    const space = this.spaceOf(event.tid);
    if (!space.startingUp || address === null || length === null || !readOnly(args[2])) return;
    if (space.readOnly.length < MAX_READ_ONLY) space.readOnly.push({ address, length });
  }

  private brk(event: SyscallEvent): void {
    const end = bigNumber(event.result!.raw.split(/\s/)[0]);
    if (end === null) return;
    const space = this.spaceOf(event.tid);
    if (!space.heap) space.heap = { start: end, end };
    else if (end > space.heap.end) space.heap.end = end;
  }

  private descriptorsOf(tid: number): Map<number, OpenFile> {
    let fds = this.descriptors.get(tid);
    if (!fds) {
      fds = new Map();
      this.descriptors.set(tid, fds);
    }
    return fds;
  }
}

/** `PROT_READ`, `0x1`, `0x1 /* PROT_READ *\/` (-X verbose): read-only, nothing else. */
function readOnly(text: string | undefined): boolean {
  const bare = text?.replace(/\/\*.*?\*\//g, '').trim();
  return bare === 'PROT_READ' || bare === '0x1' || bare === '1';
}

/** `3`, `3</usr/lib/libc.so.6>`: the number, or null. */
function fdNumber(text: string | undefined): number | null {
  const m = /^(-?\d+)/.exec(text ?? '');
  return m ? Number(m[1]) : null;
}

/** The path `-y` shows after a descriptor: `3</usr/lib/libc.so.6>` gives `/usr/lib/libc.so.6`. */
function fdPath(text: string): string | null {
  return /^\d+<(\/[^>]*)>/.exec(text.trim())?.[1] ?? null;
}

/** MAP_FIXED, by name or in `-X raw` flags (0x10). */
function fixedMapping(flags: string | undefined): boolean {
  if (flags?.includes('MAP_')) return flags.includes('MAP_FIXED');
  return ((bigNumber(flags) ?? 0n) & 0x10n) !== 0n;
}

function bigNumber(text: string | undefined): bigint | null {
  const m = /^(0x[0-9a-f]+|\d+)/i.exec(text?.trim() ?? '');
  return m ? BigInt(m[1]!) : null;
}

/** A quoted path argument as strace prints it (escapes kept); null when cut (`"..."...`) or absent. */
function quoted(text: string | undefined): string | null {
  return /^"((?:[^"\\]|\\.)*)"$/.exec(text?.trim() ?? '')?.[1] ?? null;
}
