// A directory forkscope (often root) writes into without a planted link redirecting a write. The
// directory is held open (O_DIRECTORY|O_NOFOLLOW) and must be the caller's and writable by no one
// else; every file is created through that fd, as `/proc/self/fd/<fd>/NAME` (Node has no openat:
// the kernel resolves that path through the held directory, whatever its path names meanwhile),
// with O_CREAT|O_EXCL|O_NOFOLLOW. Files are replaced by a new file renamed over the old name, never
// rewritten through a path.

import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import type { Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';

const { O_RDONLY, O_WRONLY, O_DIRECTORY, O_NOFOLLOW, O_CREAT, O_EXCL } = constants;

export class OwnDirectory {
  private constructor(
    /** The directory's path, for messages and for reading back. */
    readonly path: string,
    private fd: number,
    /** Created here (removed again by `discard`), rather than given empty by the user. */
    private readonly created: boolean,
  ) {}

  /**
   * `path` as given by the user: created mode 0700 when it does not exist; an existing one must be
   * an empty directory (not a symbolic link) owned by the caller and writable by no one else.
   */
  static at(path: string): OwnDirectory {
    const dir = resolve(path);
    let existing: Stats | null = null;
    try {
      existing = lstatSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (existing?.isSymbolicLink()) throw new Error(`${path} is a symbolic link: give the directory itself`);
    if (existing && !existing.isDirectory()) throw new Error(`${path} exists and is not a directory`);
    if (!existing) {
      mkdirSync(dirname(dir), { recursive: true });
      // Not recursive: if anything appeared at that name meanwhile, this fails (EEXIST).
      mkdirSync(dir, { mode: 0o700 });
    }
    const own = OwnDirectory.hold(dir, path, !existing);
    if (existing && readdirSync(own.viaFd('.')).length > 0) {
      own.close();
      throw new Error(`${path} is not empty: give a new directory with -o`);
    }
    return own;
  }

  /** A new directory `PREFIX` + a random suffix (as mkdtemp(3)) in the current directory. */
  static unique(prefix: string): OwnDirectory {
    const dir = mkdtempSync(resolve(prefix));
    return OwnDirectory.hold(dir, dir, true);
  }

  private static hold(dir: string, shownAs: string, created: boolean): OwnDirectory {
    let fd: number;
    try {
      fd = openSync(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') throw new Error(`${shownAs} is a symbolic link: give the directory itself`);
      if (code === 'ENOTDIR') throw new Error(`${shownAs} exists and is not a directory`);
      throw error;
    }
    try {
      const held = fstatSync(fd);
      const named = lstatSync(dir);
      if (held.dev !== named.dev || held.ino !== named.ino) throw new Error(`${shownAs} was replaced while forkscope opened it`);
      const uid = process.geteuid?.() ?? held.uid;
      if (held.uid !== uid) throw new Error(`${shownAs} belongs to uid ${held.uid}, not to you (uid ${uid}): give a directory of your own`);
      if (created) fchmodSync(fd, 0o700);
      else if ((held.mode & 0o022) !== 0) {
        throw new Error(`${shownAs} is writable by others (mode ${(held.mode & 0o777).toString(8)}): give a directory only you can write`);
      }
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return new OwnDirectory(dir, fd, created);
  }

  /** Where `name` is shown and read from. */
  pathOf(name: string): string {
    return join(this.path, name);
  }

  /** `name` as a process started by forkscope opens it: through forkscope's fd of the directory. */
  pathForChild(name: string): string {
    return `/proc/${process.pid}/fd/${this.fd}/${name}`;
  }

  /** Creates `name` (mode 0600; it must not exist, not even as a link) and returns its fd, open for writing. */
  createFile(name: string): number {
    return openSync(this.viaFd(name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  }

  /** Creates `name` holding `text`. */
  writeFile(name: string, text: string): void {
    const fd = this.createFile(name);
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
  }

  /** Writes `name` anew: a new file renamed over the old one (a reader sees either whole). */
  replaceFile(name: string, text: string): void {
    const temporary = `.${name}.${randomBytes(6).toString('hex')}`;
    this.writeFile(temporary, text);
    try {
      renameSync(this.viaFd(temporary), this.viaFd(name));
    } catch (error) {
      rmSync(this.viaFd(temporary), { force: true });
      throw error;
    }
  }

  /**
   * Takes back what was made here: everything in the directory (only forkscope could write in it),
   * and the directory itself when forkscope created it.
   */
  discard(): void {
    for (const name of readdirSync(this.viaFd('.'))) rmSync(this.viaFd(name), { recursive: true, force: true });
    if (this.created) {
      const held = fstatSync(this.fd);
      const named = lstatSync(this.path, { throwIfNoEntry: false });
      if (named && named.dev === held.dev && named.ino === held.ino) rmdirSync(this.path);
    }
    this.close();
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  private viaFd(name: string): string {
    return `/proc/self/fd/${this.fd}/${name}`;
  }
}
