import { open } from 'node:fs/promises';

interface Entry {
  readonly buffer: Buffer;
  count: number;
}

/**
 * Read buffers used again once every piece cut from them has been sent, so a file load allocates
 * its buffers once: a fresh buffer per read lives until COPY has sent it, long enough to outlive
 * young-generation collections, and only full collections freed it, which made peak RSS grow with
 * the file's size (issue #30). A buffer holds a count of references: the reader's (until the read
 * is scanned) and one per piece written to a COPY (until the socket has taken it). A buffer never
 * given back (an abandoned chunk, a reader that does not count) is garbage-collected as any other.
 */
export class ReadPool {
  private readonly free: Buffer[] = [];
  private readonly entries = new WeakMap<ArrayBufferLike, Entry>();
  /** Buffers allocated so far (each read beyond them reused one). */
  made = 0;

  constructor(readonly size = 1 << 20) {}

  /** A buffer for the next read, holding the reader's reference. */
  take(): Buffer {
    let buffer = this.free.pop();
    if (!buffer) {
      buffer = Buffer.allocUnsafeSlow(this.size);
      this.made++;
    }
    this.entries.set(buffer.buffer, { buffer, count: 1 });
    return buffer;
  }

  /** Counts one more reference to the buffer `piece` lies in; false when it is not a buffer of this pool in use. */
  retain(piece: Buffer): boolean {
    const entry = this.entries.get(piece.buffer);
    if (!entry || entry.count === 0) return false;
    entry.count++;
    return true;
  }

  /** Gives back one reference; the buffer is used again once none is left. */
  release(piece: Buffer): void {
    const entry = this.entries.get(piece.buffer);
    if (!entry || entry.count === 0) return;
    if (--entry.count === 0) this.free.push(entry.buffer);
  }
}

/**
 * A file's bytes, read in order into buffers of `pool`. Each read holds the reader's reference,
 * which its consumer gives back (`pool.release(read)`) once done with it; a consumer that never
 * does just gets fresh buffers.
 */
export async function* fileReads(path: string, pool: ReadPool, onRead?: (bytes: number) => void): AsyncGenerator<Buffer> {
  const handle = await open(path);
  try {
    for (;;) {
      const buffer = pool.take();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) {
        pool.release(buffer);
        return;
      }
      onRead?.(bytesRead);
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
