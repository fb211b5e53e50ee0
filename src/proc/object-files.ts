// The ELF files a trace names, read from this machine: at the path the trace shows, else by name
// in directories the user gives (a copy of a program whose traced path is gone, e.g. built in a
// temporary directory). Each file is read once per command.

import { basename, join } from 'node:path';
import type { ObjectFiles } from '../analysis/lock-names.js';
import { readElfWithDebugSymbols } from './elf.js';
import type { ElfImage } from './elf.js';

export class LocalObjectFiles implements ObjectFiles {
  private readonly images = new Map<string, ElfImage | null>();

  /** `directories`: where to look for a file by its name when its traced path holds none. */
  constructor(private readonly directories: readonly string[] = []) {}

  read(path: string): ElfImage | null {
    if (this.images.has(path)) return this.images.get(path)!;
    let image = readElfWithDebugSymbols(path);
    for (const directory of this.directories) image ??= readElfWithDebugSymbols(join(directory, basename(path)));
    this.images.set(path, image);
    return image;
  }
}
