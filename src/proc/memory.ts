// Reading a live process's memory (read-only, /proc/PID/mem) and naming a data address from its
// mappings (/proc/PID/maps) and the symbols of the ELF object mapped there.

import { closeSync, openSync, readSync } from 'node:fs';
import { readElfWithDebugSymbols, sectionAt, symbolAt } from './elf.js';
import type { ElfImage } from './elf.js';
import { glibcLockOf } from '../analysis/glibc-locks.js';
import type { LockName } from '../analysis/types.js';
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
    readElfWithDebugSymbols(`/proc/${pid}/map_files/${hex(mapping.start)}-${hex(mapping.end)}`) ??
    readElfWithDebugSymbols(`/proc/${pid}/root${mapping.path.replace(/ \(deleted\)$/, '')}`);
  images.set(key, image);
  return image;
}

/** Where an address of a process lies: a symbol of a mapped ELF file, else the section or mapping. */
export interface Location {
  /** The symbol covering it, when one does. */
  lock: LockName | null;
  /** `lock+0x0 (/usr/bin/prog)`, `.bss+0x2c0 (libc.so.6)`, `[heap]+0x2a0`, `anonymous mapping+0x40`. */
  text: string;
}

/** Where an address of process `pid` lies; null when it is not mapped. */
export function locateAddress(pid: number, address: bigint, maps: Mapping[] = readMaps(pid)): Location | null {
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
    if (symbol) {
      const offset = vaddr - symbol.value;
      const lock: LockName = { symbol: symbol.name, offset: Number(offset), object, glibc: glibcLockOf(object, symbol.name) };
      return { lock, text: `${symbol.name}+0x${offset.toString(16)} (${object})` };
    }
    const section = sectionAt(image.sections, vaddr);
    if (section) return { lock: null, text: `${section.name}+0x${(vaddr - section.addr).toString(16)} (${object})` };
    return { lock: null, text: `0x${vaddr.toString(16)} (${object})` };
  }
  const region = maps.find((m) => address >= m.start && address < m.end);
  if (!region) return null;
  return { lock: null, text: `${region.path || 'anonymous mapping'}+0x${(address - region.start).toString(16)}` };
}

