// How each format is told apart: the bpftrace CSV's first line, PlashGlibc's line prefix, the
// names of strace -ff files. Detecting a format and resolving the TRACE arguments need these
// alone: the reader of a format is loaded only to read a trace of that format.

/** The first line of every file forkscope's bpftrace collector writes (collectors/forkscope.bt documents the columns). */
export const BPFTRACE_CSV_HEADER = 'ns,tgid,tid,comm,event,call,a1,a2,a3,a4,a5,text';

/** A PlashGlibc line's `cloned N: ` level prefix (one per nesting level). */
export const PLASH_LEVEL = /^cloned (\d+): /;

/** Whether a line looks like a PlashGlibc log line. */
export function isPlashLine(text: string): boolean {
  return PLASH_LEVEL.test(text);
}

/** `PREFIX.TID`, also compressed (`PREFIX.TID.gz`, `.zst`). */
const FF_NAME = /^(.*)\.(\d+)(?:\.gz|\.zst)?$/;

/** The tid in a `-ff` file name, or null. */
export function tidOfFfFile(file: string): number | null {
  const m = FF_NAME.exec(file);
  return m ? Number(m[2]) : null;
}

/** The `-o PREFIX` of a `-ff` file name (the name itself when it is not one). */
export function ffPrefixOf(file: string): string {
  return FF_NAME.exec(file)?.[1] ?? file;
}
