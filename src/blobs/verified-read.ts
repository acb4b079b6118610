import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { StrataError } from '../db/index.js';
import type { BlobBackend } from './backend.js';
import { BLOB_BYTES } from './metrics.js';
import type { BlobRecord } from './records.js';

/** Bytes `start` to `end` of an object, both inclusive (as in a Range header). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

function corrupt(blob: BlobRecord, what: string): StrataError {
  return new StrataError('BLOB_CORRUPT', `blob ${blob.id} (${blob.backend} ${blob.key}) is corrupt: ${what}`);
}

/**
 * Reads an object (or a range of it) and checks every block against its stored sha256 before any of
 * its bytes are passed on, so a corrupt object fails the stream with BLOB_CORRUPT and no wrong
 * byte is ever served. A range reads the whole blocks it touches; a full read also checks the
 * object's sha256 and its length. A block is held as the pieces the backend read (not copied into
 * a buffer of its own) until it is checked, then those pieces are passed on: a backend must not
 * reuse a piece it has yielded.
 */
export async function* verifiedChunks(backend: BlobBackend, blob: BlobRecord, range?: ByteRange): AsyncGenerator<Buffer> {
  const { size, blockSize } = blob;
  if (size === 0) return;
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  const whole = start === 0 && end === size - 1;
  const first = Math.floor(start / blockSize);
  const last = Math.floor(end / blockSize);
  const blockLength = (i: number) => Math.min(blockSize, size - i * blockSize);
  const hash = whole ? createHash('sha256') : undefined;
  let index = first;
  let pending: Buffer[] = [];
  let filled = 0;
  let blockHash = createHash('sha256');
  let read = 0;
  const source = backend.read(blob.key, first * blockSize, whole ? undefined : Math.min(size, (last + 1) * blockSize));
  try {
    for await (const chunk of source) {
      read += chunk.length;
      let at = 0;
      while (at < chunk.length) {
        if (index > last) throw corrupt(blob, `it is longer than ${size} bytes`);
        const length = blockLength(index);
        const piece = at === 0 && chunk.length <= length - filled ? chunk : chunk.subarray(at, at + length - filled);
        at += piece.length;
        filled += piece.length;
        blockHash.update(piece);
        pending.push(piece);
        if (filled < length) continue;
        const expected = blob.blockHashes.subarray(index * 32, index * 32 + 32);
        if (!blockHash.digest().equals(expected)) throw corrupt(blob, `block ${index} does not match its sha256`);
        // The block is good: pass its pieces on, cut to the range.
        const offset = index * blockSize;
        const from = Math.max(start, offset) - offset;
        const to = Math.min(end + 1, offset + length) - offset;
        const out: Buffer[] = [];
        let position = 0;
        for (const p of pending) {
          hash?.update(p);
          const a = Math.max(from - position, 0);
          const b = Math.min(to - position, p.length);
          if (b > a) out.push(a === 0 && b === p.length ? p : p.subarray(a, b));
          position += p.length;
        }
        index += 1;
        pending = [];
        filled = 0;
        blockHash = createHash('sha256');
        for (const o of out) yield o;
      }
    }
  } finally {
    BLOB_BYTES.record({ backend: backend.name, direction: 'out' }, read);
  }
  if (index <= last) throw corrupt(blob, `it ends after ${index * blockSize + filled} of ${size} bytes`);
  if (hash && hash.digest('hex') !== blob.sha256) throw corrupt(blob, 'its sha256 differs');
}

/**
 * `verifiedChunks` as a stream, with the first block already read and checked: a missing or
 * corrupt object rejects here, before a response has started.
 *
 * @example
 * const body = await openVerified(backend, blob, { start: 0, end: 99 });
 * reply.code(206).send(body);
 */
export async function openVerified(backend: BlobBackend, blob: BlobRecord, range?: ByteRange): Promise<Readable> {
  const chunks = verifiedChunks(backend, blob, range);
  const first = await chunks.next();
  async function* rest(): AsyncGenerator<Buffer> {
    if (first.done) return;
    yield first.value;
    yield* chunks;
  }
  const stream = Readable.from(rest(), { objectMode: false, highWaterMark: 1 });
  stream.on('close', () => void chunks.return(undefined).catch(() => undefined));
  return stream;
}
