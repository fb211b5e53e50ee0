// Naming a futex word from the trace alone: which file of the address space it lies in (the
// address map rebuilt from the trace), where that file was loaded, and the symbol of the file's
// ELF symbol tables covering it. The files are read through `ObjectFiles`, given by the caller:
// this module never opens a file itself.

import type { ElfImage } from '../proc/elf.js';
import { sectionAt, symbolAt } from '../proc/elf.js';
import type { AddressMap, AddressSpace, MappedFile } from './address-map.js';
import { fixFor } from './fixes.js';
import { glibcLockOf, isGlibcObject } from './glibc-locks.js';
import { blockedTids } from './types.js';
import type { Finding, LockName, Warning } from './types.js';

/** The ELF files a trace names, read from this machine (or wherever the user keeps copies). */
export interface ObjectFiles {
  /** The file the trace calls `path`, or null when it is not here (or is no ELF file). */
  read(path: string): ElfImage | null;
}

export type LockNaming = { lock: LockName; reason: null } | { lock: null; reason: string };

const PAGE = 0x1000n;
const pageDown = (n: bigint) => n & ~(PAGE - 1n);
const pageUp = (n: bigint) => pageDown(n + PAGE - 1n);
const hex = (n: bigint) => `0x${n.toString(16)}`;

/**
 * The step after the findings are built: names each finding's locks in the address space of the
 * thread that waits on it, and says how to fix it. Returns a warning per lock that cannot be named
 * (one per address and reason), saying why.
 */
export function nameFindingLocks(findings: Finding[], addresses: AddressMap, files: ObjectFiles): Warning[] {
  const warnings: Warning[] = [];
  const said = new Set<string>();
  const named = (finding: Finding, tid: number, address: string) => {
    const { lock, reason } = nameLock(address, addresses.spaceOf(tid), files);
    if (reason !== null && !said.has(`${address} ${reason}`)) {
      said.add(`${address} ${reason}`);
      const where = finding.evidence.find((e) => e.tid === tid && (e.role === 'blocked-forever' || e.role === 'timed-out')) ?? finding.evidence[0];
      warnings.push({ file: where?.file ?? '-', line: where?.line ?? 0, message: `the lock at ${address} cannot be named: ${reason}` });
    }
    return lock;
  };
  for (const finding of findings) {
    if (finding.source !== 'trace') continue;
    if (finding.kind === 'inherited-lock') finding.lock = named(finding, finding.tid, finding.futex);
    if (finding.kind === 'lock-cycle') finding.locks = finding.futexes.map((address, i) => named(finding, finding.tids[i]!, address));
    const program = addresses.spaceOf(blockedTids(finding)[0]!).origin();
    finding.fix = fixFor(finding, { executable: program.executable, argv: program.argv });
  }
  return warnings;
}

/** The lock at `address` of the address space, or why it cannot be named. */
export function nameLock(address: string, space: AddressSpace, files: ObjectFiles): LockNaming {
  const at = BigInt(address);
  const mapped = space.fileAt(at);
  if (mapped) return nameInLibrary(at, mapped, files);
  // The heap starts past the program's .bss: an address between its bounds is no global.
  if (space.onHeap(at)) return unnamed('it is on the heap (memory from malloc), which has no symbol');
  const program = space.origin();
  if (program.executable !== null) {
    const named = nameInProgram(at, program, files);
    if (named) return named;
  }
  if (program.executable === null) {
    return unnamed('it lies in no file the trace shows mapped, and the trace does not show the program start (no execve)');
  }
  return unnamed('it lies in no file the trace shows mapped (heap or anonymous memory, which has no symbol)');
}

function nameInLibrary(at: bigint, mapped: MappedFile, files: ObjectFiles): LockNaming {
  const image = files.read(mapped.path);
  if (!image) return unnamed(`it lies in ${mapped.path}, which is not on this machine`);
  if (mapped.size !== null && image.fileSize !== mapped.size) {
    return unnamed(`it lies in ${mapped.path}, but the file here (${image.fileSize} bytes) is not the one the trace mapped (${mapped.size} bytes)`);
  }
  // ld.so maps the file's first page at `start`: the load bias is that minus its link address.
  const first = image.loads.find((s) => pageDown(s.offset) === 0n);
  if (!first) return unnamed(`${mapped.path} has no segment at its start`);
  const bias = mapped.start - (first.vaddr - first.offset);
  return symbolize(at - bias, mapped.path, image) ?? unnamed(`it lies past what ${mapped.path} loads`);
}

/**
 * The program itself: at its link addresses (ET_EXEC), or for a PIE program where ld.so's
 * start-up mprotect of its RELRO puts it: the first read-only range in no mapped file whose size
 * is the RELRO's page span (ld.so's own comes after the program's).
 */
function nameInProgram(at: bigint, program: AddressSpace, files: ObjectFiles): LockNaming | null {
  const path = program.executable!;
  const image = files.read(path);
  if (!image) return unnamed(`it is in no library the trace shows, and the program ${path} is not on this machine (not at that path, nor beside the trace: --objects DIR finds a copy)`);
  let bias = 0n;
  if (image.type === 'dyn') {
    const relro = image.relro;
    if (!relro) return unnamed(`${path} is position-independent and has no RELRO segment, so where it was loaded is not in the trace`);
    const span = pageUp(relro.vaddr + relro.memSize) - pageDown(relro.vaddr);
    const range = program.readOnly.find((r) => r.length === span && program.fileAt(r.address) === null && pageDown(r.address) === r.address);
    if (!range) return unnamed(`where ${path} was loaded is not in the trace (ld.so's mprotect of its RELRO is missing: trace mprotect too)`);
    bias = range.address - pageDown(relro.vaddr);
  }
  return symbolize(at - bias, path, image);
}

/** The symbol covering link address `vaddr` of `image`, or the reason none does; null when outside the file's segments. */
function symbolize(vaddr: bigint, object: string, image: ElfImage): LockNaming | null {
  if (!image.loads.some((s) => vaddr >= s.vaddr && vaddr < s.vaddr + s.memSize)) return null;
  const symbol = symbolAt(image.symbols, vaddr);
  if (symbol?.code) return unnamed(`it would be in the code of ${symbol.name} in ${object}: the file here is not the build the trace ran`);
  if (symbol) {
    return { lock: { symbol: symbol.name, offset: Number(vaddr - symbol.value), object, glibc: glibcLockOf(object, symbol.name) }, reason: null };
  }
  const section = sectionAt(image.sections, vaddr);
  const where = section ? `${section.name}+0x${(vaddr - section.addr).toString(16)}` : hex(vaddr);
  const advice = isGlibcObject(object) && !image.debugSymbols ? ' (glibc keeps its static locks in its debug symbols: apt-get install libc6-dbg)' : '';
  return unnamed(`it is ${where} of ${object}, where no symbol is known${advice}`);
}

function unnamed(reason: string): LockNaming {
  return { lock: null, reason };
}
