// glibc's own locks, by the symbol that names them in libc's symbols (libc6-dbg): what takes them,
// and whether glibc's fork resets them in the child. Measured on glibc 2.36 (Debian 12) with small
// programs (../shared facts, docs/fixing.md#glibc-locks); malloc's from glibc's fork.c, which takes
// the arena locks before forking and reinitialises them in the child.

import type { LockName } from './types.js';

export interface GlibcLock {
  /** The functions that take it, in a few words. */
  usedBy: string;
  /** glibc's fork resets (or reinitialises) it in the child, so a child cannot inherit it locked. */
  resetInChild: boolean;
  /** A pthread mutex, with an __owner field; glibc's other locks are a bare word (an lll lock, _IO_lock_t). */
  mutex?: true;
}

const GLIBC_LOCKS: Record<string, GlibcLock> = {
  tzset_lock: { usedBy: 'tzset, localtime, mktime, strftime', resetInChild: false },
  syslog_lock: { usedBy: 'syslog, openlog, closelog', resetInChild: false },
  main_arena: { usedBy: 'malloc and free (the main arena)', resetInChild: true },
  list_lock: { usedBy: 'malloc (the list of arenas)', resetInChild: true },
  free_list_lock: { usedBy: 'malloc (the free list of arenas)', resetInChild: true },
  _IO_stdfile_0_lock: { usedBy: 'stdio on stdin', resetInChild: true },
  _IO_stdfile_1_lock: { usedBy: 'stdio on stdout (printf, puts)', resetInChild: true },
  _IO_stdfile_2_lock: { usedBy: 'stdio on stderr', resetInChild: true },
  list_all_lock: { usedBy: 'stdio (the list of open FILEs: fopen, fclose, fflush(NULL))', resetInChild: true },
  _dl_load_lock: { usedBy: 'the dynamic loader (dlopen, dlclose)', resetInChild: true, mutex: true },
};

/** A finding's `glibc` for a symbol of `object`: null when the object is not glibc. */
export function glibcLockOf(object: string, symbol: string): LockName['glibc'] {
  if (!isGlibcObject(object)) return null;
  const known = Object.hasOwn(GLIBC_LOCKS, symbol) ? GLIBC_LOCKS[symbol]! : null;
  return { usedBy: known?.usedBy ?? null, resetInChild: known?.resetInChild ?? null };
}

/**
 * Whether a lock is one of glibc's bare words: what lies after it is other data, not a mutex's
 * __owner (an unknown symbol of glibc counts as one: glibc's internal locks are bare words).
 */
export function isBareGlibcWord(lock: LockName | null): boolean {
  if (!lock?.glibc) return false;
  return !(Object.hasOwn(GLIBC_LOCKS, lock.symbol) && GLIBC_LOCKS[lock.symbol]!.mutex);
}

/** Whether an object is the C library (or its dynamic loader), by its file name. */
export function isGlibcObject(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return /^(libc\.so\.6|libc-2\.\d+\.so|ld-linux[\w-]*\.so\.\d|ld-2\.\d+\.so)$/.test(name);
}
