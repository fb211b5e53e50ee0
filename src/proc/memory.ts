// Reading a live process's memory (read-only, /proc/PID/mem) and naming a data address from its
// mappings (/proc/PID/maps) and the symbols of the ELF object mapped there.

import { closeSync, openSync, readSync } from 'node:fs';
import { readElf, sectionAt, symbolAt } from './elf.js';
import type { ElfImage } from './elf.js';
import { readText } from './tree.js';

/** Reads `length` bytes at `address`, or null when the memory cannot be read. Never writes. */
export function readMemory(pid: number, address: bigint, length: number): Buffer | null {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/mem`, 'r');
  } catch {
    return null;
  }
  try {
    const buffer = Buffer.alloc(length);
    return readSync(fd, buffer, 0, length, address) === length ? buffer : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

export interface Mapping {
  start: bigint;
  end: bigint;
  perms: string;
  offset: bigint;
  /** The file, `[heap]`-style name, or '' for an anonymous mapping. */
  path: string;
}

export function readMaps(pid: number): Mapping[] {
  const text = readText(`/proc/${pid}/maps`) ?? '';
  const maps: Mapping[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \d+\s*(.*)$/.exec(line);
    if (!m) continue;
    maps.push({ start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), perms: m[3]!, offset: BigInt('0x' + m[4]), path: m[5]! });
  }
  return maps;
}

/** Symbol tables read once per object file for the life of the command. */
const images = new Map<string, ElfImage | null>();

function imageOf(pid: number, mapping: Mapping): ElfImage | null {
  const key = `${mapping.path}`;
  if (images.has(key)) return images.get(key)!;
  const hex = (n: bigint) => n.toString(16);
  // map_files reaches the very file mapped, even one deleted or in another mount namespace.
  const image =
    readElf(`/proc/${pid}/map_files/${hex(mapping.start)}-${hex(mapping.end)}`) ??
    readElf(`/proc/${pid}/root${mapping.path.replace(/ \(deleted\)$/, '')}`);
  if (image && !image.symbols.some((s) => s.object) && image.buildId) {
    // A stripped library (libc): its separate debug file, when installed, has the full .symtab.
    const debug = readElf(`/usr/lib/debug/.build-id/${image.buildId.slice(0, 2)}/${image.buildId.slice(2)}.debug`);
    if (debug) image.symbols.push(...debug.symbols);
  }
  images.set(key, image);
  return image;
}

/**
 * Names an address of process `pid`: `lock+0x0 (/usr/bin/prog)`, `.bss+0x2c0 (libc.so.6)` when no
 * symbol covers it, `[heap]+0x2a0`, or `anonymous mapping+0x40`. null when it is not mapped.
 */
export function nameAddress(pid: number, address: bigint, maps: Mapping[] = readMaps(pid)): string | null {
  const objects = new Map<string, Mapping[]>();
  for (const m of maps) if (m.path.startsWith('/')) objects.set(m.path, [...(objects.get(m.path) ?? []), m]);
  for (const [path, mappings] of objects) {
    const first = mappings.reduce((a, b) => (b.start < a.start ? b : a));
    const image = imageOf(pid, first);
    if (!image) continue;
    // The load bias: where the segment holding the first mapping's file offset was put.
    const segment = image.loads.find((s) => first.offset >= (s.offset & ~0xfffn) && first.offset < s.offset + s.fileSize);
    if (!segment) continue;
    const bias = first.start - (first.offset + segment.vaddr - segment.offset);
    const vaddr = address - bias;
    // .bss lies past the file's end, in an anonymous mapping: the segment's memory size covers it.
    if (!image.loads.some((s) => vaddr >= s.vaddr && vaddr < s.vaddr + s.memSize)) continue;
    const object = path.replace(/ \(deleted\)$/, '');
    const symbol = symbolAt(image.symbols, vaddr);
    if (symbol) return `${symbol.name}+0x${(vaddr - symbol.value).toString(16)} (${object})`;
    const section = sectionAt(image.sections, vaddr);
    if (section) return `${section.name}+0x${(vaddr - section.addr).toString(16)} (${object})`;
    return `0x${vaddr.toString(16)} (${object})`;
  }
  const region = maps.find((m) => address >= m.start && address < m.end);
  if (!region) return null;
  return `${region.path || 'anonymous mapping'}+0x${(address - region.start).toString(16)}`;
}
