// The one-line "how to fix" of each finding: chosen by the kind of hang, the program's language
// (a Python interpreter, gunicorn, else C) and whose lock it is (glibc's own), and pointing to the
// section of docs/fixing.md that shows the fix in full.

import type { Finding, LockName } from './types.js';

/** What the trace says the hung process runs: the program execve started and its argv. */
export interface ProgramFacts {
  executable: string | null;
  argv: string | null;
}

const DOCS = 'docs/fixing.md';

export function fixFor(finding: Finding, program: ProgramFacts): string {
  if (finding.kind === 'pipe-held-open') {
    return `open the pipe with O_CLOEXEC and close its write end in every process but the writer, right after the fork: ${DOCS}#pipes`;
  }
  if (finding.kind === 'lock-cycle') {
    const names = finding.locks.map((lock, i) => (lock ? `\`${lock.symbol}\`` : finding.futexes[i]!));
    return `take ${names.join(' and ')} in one order in every thread: ${DOCS}#lock-order`;
  }
  const lock = finding.lock;
  if (lock?.glibc) return glibcFix(lock);
  const words = `${program.executable ?? ''} ${program.argv ?? ''}`;
  if (/gunicorn/.test(words)) {
    return `start threads in the worker (gunicorn's post_fork hook), not at import, or drop --preload: ${DOCS}#gunicorn`;
  }
  if (/(^|\/)python[\d.]*$/.test(program.executable ?? '')) {
    return `start processes with multiprocessing's "spawn" or "forkserver", or release the lock in the child with os.register_at_fork: ${DOCS}#python`;
  }
  const which = lock ? `\`${lock.symbol}\`` : 'the lock';
  return `exec right after fork (or posix_spawn), or take ${which} in a pthread_atfork handler around the fork: ${DOCS}#c`;
}

function glibcFix(lock: LockName): string {
  const what = lock.glibc?.usedBy ? `glibc's \`${lock.symbol}\` (${lock.glibc.usedBy})` : `glibc's \`${lock.symbol}\``;
  const reset = lock.glibc?.resetInChild === false ? ' is not reset in a forked child' : ' was held at the fork';
  return `${what}${reset}: call only async-signal-safe functions between fork and exec, or use posix_spawn: ${DOCS}#glibc-locks`;
}
