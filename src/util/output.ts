// Writing to stdout with backpressure, and quietly stopping when the reader goes away
// Writing to stdout with backpressure, and quietly stopping when the reader goes away
// (`forkscope timeline big.log | head` must not crash with EPIPE, nor wait for a 'drain' that
// never comes: the command still ends with its own exit code); and forkscope's messages on stderr.

import { writeSync } from 'node:fs';
import { terminalText } from '../views/terminal-text.js';

let closed = false;
/** Writers waiting for 'drain', released when the reader goes away instead. */
const waiting = new Set<() => void>();

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  closed = true;
  for (const resolve of waiting) resolve();
  waiting.clear();
});

export function writeOut(chunk: string): Promise<void> {
  if (closed) return Promise.resolve();
  return new Promise((resolve) => {
    if (process.stdout.write(chunk)) return resolve();
    const done = () => {
      waiting.delete(done);
      process.stdout.removeListener('drain', done);
      resolve();
    };
    waiting.add(done);
    process.stdout.once('drain', done);
  });
}

/** For blocking a moment while a non-blocking stdout is full. */
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes to stdout before returning, for a writer fed from a synchronous callback (the export, fed
 * by the read): nothing piles up in memory when the reader is slower. After the reader went away
 * (EPIPE) the rest is dropped, as with writeOut.
 */
export function writeOutSync(text: string): void {
  let bytes = Buffer.from(text);
  while (!closed && bytes.length > 0) {
    try {
      bytes = bytes.subarray(writeSync(1, bytes));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') closed = true;
      else if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 5);
      else throw error;
    }
  }
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
