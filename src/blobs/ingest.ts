import { createHash, type Hash } from 'node:crypto';
import { StrataError } from '../db/index.js';
import { SNIFF_BYTES, sniffContentType } from './sniff.js';

/** Objects are checksummed per block as well as whole, so a range is verified without reading the rest. */
export const BLOCK_SIZE = 1024 * 1024;

/** What an upload turned out to be, known once its stream has ended. */
export interface Ingested {
  /** Lower-case hex. */
  readonly sha256: string;
  readonly size: number;
  /** Sniffed from the bytes. */
  readonly contentType: string;
  readonly blockSize: number;
  /** The sha256 of each block, 32 bytes each, in order. */
  readonly blockHashes: Buffer;
}

export interface IngestOptions {
  /** Content types accepted (sniffed); anything else fails with BLOB_TYPE_REFUSED before a byte is stored. Default: any. */
  readonly contentTypes?: readonly string[];
  /** Largest object in bytes; one byte more fails with BLOB_TOO_LARGE. Default: no limit. */
  readonly maxBytes?: number;
}

class BlockHasher {
  private readonly whole = createHash('sha256');
  private block: Hash = createHash('sha256');
  private inBlock = 0;
  private readonly done: Buffer[] = [];
  size = 0;

  update(chunk: Buffer): void {
    this.whole.update(chunk);
    this.size += chunk.length;
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(BLOCK_SIZE - this.inBlock, chunk.length - at);
      this.block.update(take === chunk.length ? chunk : chunk.subarray(at, at + take));
      this.inBlock += take;
      at += take;
      if (this.inBlock === BLOCK_SIZE) this.closeBlock();
    }
  }

  private closeBlock(): void {
    this.done.push(this.block.digest());
    this.block = createHash('sha256');
    this.inBlock = 0;
  }

  finish(): { sha256: string; blockHashes: Buffer } {
    if (this.inBlock > 0) this.closeBlock();
    return { sha256: this.whole.digest('hex'), blockHashes: Buffer.concat(this.done) };
  }
}

/**
 * Passes an upload's bytes through while hashing them (whole and per block), counting them against
 * `maxBytes` and sniffing their type from the first bytes: a refused type or size fails the
 * stream, so the backend writing it drops what it wrote. `result()` is ready when the stream ended.
 *
 * @example
 * const upload = ingest(request.body, { contentTypes: IMAGE_TYPES, maxBytes: 20 * 2 ** 20 });
 * const staged = await backend.stage(upload.chunks);
 * const { sha256, contentType } = upload.result();
 */
export function ingest(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  options: IngestOptions = {},
): { chunks: AsyncIterable<Buffer>; result(): Ingested } {
  const hasher = new BlockHasher();
  let contentType: string | undefined;
  let result: Ingested | undefined;
  const decide = (head: Buffer) => {
    contentType = sniffContentType(head);
    const allowed = options.contentTypes;
    if (allowed && !allowed.includes(contentType)) {
      throw new StrataError(
        'BLOB_TYPE_REFUSED',
        `the bytes are ${contentType === 'application/octet-stream' ? 'not a recognised type' : contentType}; allowed: ${allowed.join(', ')}`,
      );
    }
  };
  const take = (chunk: Buffer) => {
    hasher.update(chunk);
    if (options.maxBytes !== undefined && hasher.size > options.maxBytes) {
      throw new StrataError('BLOB_TOO_LARGE', `the upload is larger than the limit of ${options.maxBytes} bytes`);
    }
  };
  async function* chunks(): AsyncGenerator<Buffer> {
    let head: Buffer[] = [];
    let headBytes = 0;
    for await (const raw of source) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      if (chunk.length === 0) continue;
      take(chunk);
      if (contentType === undefined) {
        head.push(chunk);
        headBytes += chunk.length;
        if (headBytes < SNIFF_BYTES) continue;
        decide(Buffer.concat(head));
        for (const held of head) yield held;
        head = [];
        continue;
      }
      yield chunk;
    }
    if (hasher.size === 0) throw new StrataError('BLOB_EMPTY', 'the upload has no bytes');
    if (contentType === undefined) {
      decide(Buffer.concat(head));
      for (const held of head) yield held;
    }
    const { sha256, blockHashes } = hasher.finish();
    result = { sha256, size: hasher.size, contentType: contentType as string, blockSize: BLOCK_SIZE, blockHashes };
  }
  return {
    chunks: chunks(),
    result() {
      if (!result) throw new Error('ingest: the upload has not been read to its end');
      return result;
    },
  };
}
