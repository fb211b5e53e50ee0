// A small ELF64 little-endian reader (x86_64, aarch64): the PT_LOAD segments, the sections and
// the symbols of .symtab and .dynsym, and the GNU build-id, read from the file by offset (never
// the whole file). Reference: the System V gABI, linux/elf.h. Enough to say which global a data
// address in a process is: `symbol+offset (object)`.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface Segment {
  offset: bigint;
  vaddr: bigint;
  fileSize: bigint;
  memSize: bigint;
}

export interface Section {
  name: string;
  addr: bigint;
  size: bigint;
}

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
  /** STT_OBJECT data (what a lock is) rather than code or an unknown type. */
  object: boolean;
  /** STT_FUNC code: no lock lies there. */
  code: boolean;
}

export interface ElfImage {
  /** ET_EXEC loads at its link addresses; ET_DYN (a PIE program or a library) where it is mapped. */
  type: 'exec' | 'dyn' | 'other';
  /** The file's size in bytes, to tell it from another build of the same path. */
  fileSize: number;
  loads: Segment[];
  /** PT_GNU_RELRO: the part ld.so makes read-only after relocation (its mprotect places a PIE program). */
  relro: Segment | null;
  /** Allocated sections (.data, .bss, ...), to name an address no symbol covers. */
  sections: Section[];
  symbols: ElfSymbol[];
  buildId: string | null;
  /** It has a .symtab (every symbol, static ones too), not only the exported .dynsym. */
  fullSymbols: boolean;
  /** The symbols include those of a separate debug file. */
  debugSymbols?: boolean;
}

const PT_LOAD = 1;
const PT_GNU_RELRO = 0x6474e552;
const ET_EXEC = 2;
const ET_DYN = 3;
const SHT_SYMTAB = 2;
const SHT_NOTE = 7;
const SHT_DYNSYM = 11;
const SHF_ALLOC = 0x2n;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_NOTYPE = 0;
const NT_GNU_BUILD_ID = 3;
/** A symbol table larger than this is not read (memory bound); the sections still name addresses. */
const MAX_TABLE_BYTES = 64 * 1024 * 1024;

class ElfFile {
  constructor(private readonly fd: number) {}

  get size(): number {
    return fstatSync(this.fd).size;
  }

  read(offset: bigint, length: number): Buffer {
    const buffer = Buffer.alloc(length);
    const got = readSync(this.fd, buffer, 0, length, offset);
    if (got !== length) throw new Error(`short read at ${offset}`);
    return buffer;
  }
}

/** Reads an ELF file's segments, sections and symbols; null when it is not a readable ELF64 LE file. */
export function readElf(path: string): ElfImage | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    return parseElf(new ElfFile(fd));
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

function parseElf(file: ElfFile): ElfImage | null {
  const header = file.read(0n, 64);
  if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return null;
  const phoff = header.readBigUInt64LE(0x20);
  const shoff = header.readBigUInt64LE(0x28);
  const phentsize = header.readUInt16LE(0x36);
  const phnum = header.readUInt16LE(0x38);
  const shentsize = header.readUInt16LE(0x3a);
  const shnum = header.readUInt16LE(0x3c);
  const shstrndx = header.readUInt16LE(0x3e);
  const elfType = header.readUInt16LE(0x10);
  const type = elfType === ET_EXEC ? 'exec' : elfType === ET_DYN ? 'dyn' : 'other';

  const loads: Segment[] = [];
  let relro: Segment | null = null;
  if (phnum > 0) {
    const table = file.read(phoff, phentsize * phnum);
    for (let i = 0; i < phnum; i++) {
      const at = i * phentsize;
      const segmentType = table.readUInt32LE(at);
      if (segmentType !== PT_LOAD && segmentType !== PT_GNU_RELRO) continue;
      const segment = {
        offset: table.readBigUInt64LE(at + 8),
        vaddr: table.readBigUInt64LE(at + 16),
        fileSize: table.readBigUInt64LE(at + 32),
        memSize: table.readBigUInt64LE(at + 40),
      };
      if (segmentType === PT_LOAD) loads.push(segment);
      else relro = segment;
    }
  }
  const fileSize = file.size;

  const sections: Section[] = [];
  const symbols: ElfSymbol[] = [];
  let buildId: string | null = null;
  if (shnum === 0 || shoff === 0n) return { type, fileSize, loads, relro, sections, symbols, buildId, fullSymbols: false };
  const table = file.read(shoff, shentsize * shnum);
  const headers = Array.from({ length: shnum }, (_, i) => {
    const at = i * shentsize;
    return {
      name: table.readUInt32LE(at),
      type: table.readUInt32LE(at + 4),
      flags: table.readBigUInt64LE(at + 8),
      addr: table.readBigUInt64LE(at + 16),
      offset: table.readBigUInt64LE(at + 24),
      size: table.readBigUInt64LE(at + 32),
      link: table.readUInt32LE(at + 40),
    };
  });
  const readTable = (index: number): Buffer | null => {
    const section = headers[index];
    if (!section || section.size > BigInt(MAX_TABLE_BYTES)) return null;
    return file.read(section.offset, Number(section.size));
  };
  const names = readTable(shstrndx);
  for (const section of headers) {
    if ((section.flags & SHF_ALLOC) !== 0n && section.size > 0n && names) {
      sections.push({ name: cString(names, section.name), addr: section.addr, size: section.size });
    }
    if (section.type === SHT_NOTE && buildId === null) buildId = findBuildId(readTable(headers.indexOf(section)));
    if (section.type !== SHT_SYMTAB && section.type !== SHT_DYNSYM) continue;
    const entries = readTable(headers.indexOf(section));
    const strings = readTable(section.link);
    if (!entries || !strings) continue;
    for (let at = 0; at + 24 <= entries.length; at += 24) {
      const type = entries[at + 4]! & 0xf;
      const sectionIndex = entries.readUInt16LE(at + 6);
      if (sectionIndex === 0 || (type !== STT_OBJECT && type !== STT_FUNC && type !== STT_NOTYPE)) continue;
      const name = cString(strings, entries.readUInt32LE(at));
      if (!name) continue;
      symbols.push({
        name,
        value: entries.readBigUInt64LE(at + 8),
        size: entries.readBigUInt64LE(at + 16),
        object: type === STT_OBJECT,
        code: type === STT_FUNC,
      });
    }
  }
  const fullSymbols = headers.some((h) => h.type === SHT_SYMTAB);
  return { type, fileSize, loads, relro, sections, symbols, buildId, fullSymbols };
}

/**
 * readElf, and for a stripped file (libc has no .symtab, so no static lock such as `tzset_lock`)
 * the symbols of its separate debug file when installed (Debian's libc6-dbg), found by build id.
 */
export function readElfWithDebugSymbols(path: string): ElfImage | null {
  const image = readElf(path);
  if (image && !image.fullSymbols && image.buildId) {
    const debug = readElf(debugFileOf(image.buildId));
    if (debug) {
      image.symbols.push(...debug.symbols);
      image.debugSymbols = true;
    }
  }
  return image;
}

/** Where a separate debug file is installed: /usr/lib/debug/.build-id/xx/yyyy.debug. */
export function debugFileOf(buildId: string): string {
  return `/usr/lib/debug/.build-id/${buildId.slice(0, 2)}/${buildId.slice(2)}.debug`;
}

function cString(buffer: Buffer, offset: number): string {
  const end = buffer.indexOf(0, offset);
  return buffer.toString('latin1', offset, end < 0 ? buffer.length : end);
}

/** The GNU build-id in a note section: namesz, descsz, type, "GNU\0", then the id bytes. */
function findBuildId(notes: Buffer | null): string | null {
  if (!notes) return null;
  const align4 = (n: number) => (n + 3) & ~3;
  for (let at = 0; at + 12 <= notes.length; ) {
    const nameSize = notes.readUInt32LE(at);
    const descSize = notes.readUInt32LE(at + 4);
    const type = notes.readUInt32LE(at + 8);
    const nameAt = at + 12;
    const descAt = nameAt + align4(nameSize);
    if (type === NT_GNU_BUILD_ID && notes.toString('latin1', nameAt, nameAt + 3) === 'GNU') {
      return notes.toString('hex', descAt, descAt + descSize);
    }
    at = descAt + align4(descSize);
  }
  return null;
}

/** The symbol covering a link-time address: the smallest sized one containing it, data preferred. */
export function symbolAt(symbols: readonly ElfSymbol[], vaddr: bigint): ElfSymbol | null {
  let best: ElfSymbol | null = null;
  for (const symbol of symbols) {
    const covers = symbol.size > 0n ? vaddr >= symbol.value && vaddr < symbol.value + symbol.size : vaddr === symbol.value;
    if (!covers) continue;
    if (
      !best ||
      (symbol.object && !best.object) ||
      (symbol.object === best.object && symbol.size > 0n && (best.size === 0n || symbol.size < best.size))
    ) {
      best = symbol;
    }
  }
  return best;
}

export function sectionAt(sections: readonly Section[], vaddr: bigint): Section | null {
  return sections.find((s) => vaddr >= s.addr && vaddr < s.addr + s.size) ?? null;
}
