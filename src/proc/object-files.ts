// The ELF files a trace names, read from this machine: at the path the trace shows, else by name
// in directories the user gives (a copy of a program whose traced path is gone, e.g. built in a
// temporary directory). Each file is read once per command.

import { basename, join } from 'node:path';
import type { ObjectFiles } from '../analysis/lock-names.js';
import { decodeStraceString } from '../model/format.js';
import { readElfWithDebugSymbols } from './elf.js';
import type { ElfImage } from './elf.js';

export class LocalObjectFiles implements ObjectFiles {
  private readonly images = new Map<string, ElfImage | null>();

  /** `directories`: where to look for a file by its name when its traced path holds none. */
  constructor(private readonly directories: readonly string[] = []) {}

  /** `path` as strace printed it (`\33` for an ESC in the name). */
  read(path: string): ElfImage | null {
    if (this.images.has(path)) return this.images.get(path)!;
    const file = decodeStraceString(path);
    let image = readElfWithDebugSymbols(file);
    for (const directory of this.directories) image ??= readElfWithDebugSymbols(join(directory, basename(file)));
    this.images.set(path, image);
    return image;
  }
}
