// Writing to stdout with backpressure, and quietly stopping when the reader goes away
// (`forkscope timeline big.log | head` must not crash with EPIPE); and forkscope's messages on stderr.

import { terminalText } from '../views/terminal-text.js';

let closed = false;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  closed = true;
});

export function writeOut(chunk: string): Promise<void> {
  if (closed) return Promise.resolve();
  return new Promise((resolve) => {
    if (process.stdout.write(chunk)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

/**
 * Every message of forkscope on stderr (errors, what `record` and `attach` are doing): `forkscope:
 * message`, with what it quotes of a traced program (argv, file names, a bad line) made visible.
 */
export function sayOnStderr(message: string): void {
  process.stderr.write(`forkscope: ${terminalText(message, { newlines: true })}\n`);
}

/** Writes pieces of text in chunks of about 64 kB, with backpressure. */
export async function writeChunks(pieces: Iterable<string>): Promise<void> {
  let chunk = '';
  for (const piece of pieces) {
    chunk += piece;
    if (chunk.length >= 1 << 16) {
      await writeOut(chunk);
      chunk = '';
    }
  }
  if (chunk) await writeOut(chunk);
}
