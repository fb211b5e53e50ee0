// Where a trace's bytes come from: a file read as it is, or decompressed on the fly when it starts
// like gzip (1f 8b) or zstd (28 b5 2f fd), whatever its name: `.gz` and `.zst` logs (and one
// piped to stdin, spooled) read like plain ones, for every format. gzip through Node's zlib
// (concatenated members too), zstd through
// fzstd (pure JavaScript: no native build, no process to start or stop; it cannot decode frames
// with windows over 32 MB, i.e. levels 20+ on large files). Decompression is sequential: the
// reader asks for the next bytes, never for a position it passed. Each decompressor is loaded
// when a file needs it: a plain trace is read without them.

import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

export type Compression = 'gzip' | 'zstd';

/** The file's compression from its first bytes, or null for a plain (or empty, or unreadable) file. */
export function compressionOf(path: string): Compression | null {
  const magic = Buffer.alloc(4);
  let read: number;
  try {
    const fd = openSync(path, 'r');
    try {
      read = readSync(fd, magic, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  if (read >= 2 && magic[0] === 0x1f && magic[1] === 0x8b) return 'gzip';
  if (read === 4 && magic.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return null;
}

/** The bytes of a trace, read into the caller's buffers. */
export interface ByteSource {
  /** Reads into `buffer` from `position` (the bytes read so far); resolves to the bytes read (0 at the end). */
  read(buffer: Buffer, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface ByteSourceOptions {
  /** Open the file for each read instead of holding it (thousands of `-ff` files merged at once). */
  reopen?: boolean;
}

/** Compressed data that does not decompress (cut short, or corrupt); its message names the file. */
export class DecompressError extends Error {}

/** The (decompressed) bytes of `path`. */
export function openByteSource(path: string, options: ByteSourceOptions = {}): ByteSource {
  const file = options.reopen ? new ReopeningFile(path) : new HeldFile(path);
  const compression = compressionOf(path);
  return compression ? new DecompressedSource(path, file, compression) : file;
}

/** Keeps the file open while it is read. */
class HeldFile implements ByteSource {
  private handle: Promise<FileHandle> | null = null;
  /** The last read started, settled before closing. */
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string) {}

  read(buffer: Buffer, position: number): Promise<number> {
    this.handle ??= open(this.path, 'r');
    const read = this.handle.then(async (handle) => (await handle.read(buffer, 0, buffer.length, position)).bytesRead);
    this.inFlight = read.catch(() => undefined);
    return read;
  }

  async close(): Promise<void> {
    if (!this.handle) return;
    await this.inFlight;
    const handle = await this.handle.catch(() => null);
    await handle?.close();
  }
}

/** Opens the file for each read (a small synchronous read, no descriptor held between reads). */
class ReopeningFile implements ByteSource {
  constructor(private readonly path: string) {}

  async read(buffer: Buffer, position: number): Promise<number> {
    const fd = openSync(this.path, 'r');
    try {
      return readSync(fd, buffer, 0, buffer.length, position);
    } finally {
      closeSync(fd);
    }
  }

  async close(): Promise<void> {}
}

/** Compressed bytes read from the file at a time. */
const COMPRESSED_CHUNK_BYTES = 64 << 10;

/** A compressed file's bytes, decompressed as they are asked for; output not yet asked for waits in `ready`. */
class DecompressedSource implements ByteSource {
  private ready: Buffer[] = [];
  private filePosition = 0;
  private delivered = 0;
  private ended = false;
  private readonly decoder: Decoder;
  private readonly input = Buffer.allocUnsafe(COMPRESSED_CHUNK_BYTES);

  constructor(
    private readonly path: string,
    private readonly file: ByteSource,
    private readonly compression: Compression,
  ) {
    this.decoder = compression === 'gzip' ? gzipDecoder() : zstdDecoder();
  }

  async read(buffer: Buffer, position: number): Promise<number> {
    if (position !== this.delivered) throw new Error(`${this.path}: a compressed trace is read from start to end only`);
    while (this.ready.length === 0 && !this.ended) {
      const bytesRead = await this.file.read(this.input, this.filePosition);
      this.filePosition += bytesRead;
      try {
        this.ready = bytesRead === 0 ? await this.decoder.end() : await this.decoder.push(this.input.subarray(0, bytesRead));
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new DecompressError(`${this.path}: cannot decompress (${this.compression}) at byte ${this.filePosition} of the file: ${why}`);
      }
      if (bytesRead === 0) this.ended = true;
    }
    let copied = 0;
    for (let head = this.ready[0]; head !== undefined && copied < buffer.length; head = this.ready[0]) {
      const n = head.copy(buffer, copied);
      copied += n;
      if (n === head.length) this.ready.shift();
      else this.ready[0] = head.subarray(n);
    }
    this.delivered += copied;
    return copied;
  }

  close(): Promise<void> {
    this.decoder.dispose();
    return this.file.close();
  }
}

/** A streaming decompressor: compressed bytes in, the bytes they decompress to out. */
interface Decoder {
  push(compressed: Buffer): Promise<Buffer[]>;
  /** No more input: what is left. */
  end(): Promise<Buffer[]>;
  dispose(): void;
}

function gzipDecoder(): Decoder {
  let output: Buffer[] = [];
  let failure: Error | null = null;
  const gunzip = import('node:zlib').then(({ createGunzip }) => {
    const stream = createGunzip();
    stream.on('data', (chunk: Buffer) => output.push(chunk));
    stream.on('error', (error) => (failure = error));
    return stream;
  });
  const take = () => {
    if (failure) throw failure;
    const out = output;
    output = [];
    return out;
  };
  return {
    push: async (compressed) => {
      // Copied: the caller reuses its buffer for the next read.
      const input = Buffer.from(compressed);
      const stream = await gunzip;
      return new Promise((resolve, reject) => {
        stream.write(input, () => {
          try {
            resolve(take());
          } catch (error) {
            reject(error);
          }
        });
      });
    },
    end: async () => {
      const stream = await gunzip;
      return new Promise((resolve, reject) => {
        stream.once('end', () => resolve(take()));
        stream.once('error', reject);
        stream.end();
      });
    },
    dispose: () => void gunzip.then((stream) => stream.destroy()),
  };
}

function zstdDecoder(): Decoder {
  let output: Buffer[] = [];
  const decoder = import('fzstd').then(
    ({ Decompress }) => new Decompress((chunk) => output.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))),
  );
  const take = () => {
    const out = output;
    output = [];
    return out;
  };
  return {
    push: async (compressed) => {
      // Copied: the caller reuses its buffer for the next read.
      const input = new Uint8Array(compressed);
      (await decoder).push(input);
      return take();
    },
    end: async () => {
      (await decoder).push(new Uint8Array(0), true);
      return take();
    },
    dispose: () => undefined,
  };
}
