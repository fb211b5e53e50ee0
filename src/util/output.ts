// Writing to stdout with backpressure, and quietly stopping when the reader goes away
// (`forkscope timeline big.log | head` must not crash with EPIPE).

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
