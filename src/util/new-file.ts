// A file forkscope writes for the user (`export -o FILE`): created, never opened if it exists, and
// never through a planted symbolic link (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600 as record's files:
// it holds the traced program's command lines and data). A write that fails takes the file back.

import { closeSync, constants, fstatSync, lstatSync, openSync, unlinkSync, writeSync } from 'node:fs';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

export class NewFile {
  private constructor(
    readonly path: string,
    private fd: number,
  ) {}

  static create(path: string): NewFile {
    try {
      return new NewFile(path, openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${path} exists: forkscope does not overwrite files, give a new name`);
      throw error;
    }
  }

  write(text: string): void {
    writeSync(this.fd, text);
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  /** Removes the file again, if its name still names the file created here. */
  discard(): void {
    const held = fstatSync(this.fd);
    const named = lstatSync(this.path, { throwIfNoEntry: false });
    if (named && named.dev === held.dev && named.ino === held.ino) unlinkSync(this.path);
    this.close();
  }
}
