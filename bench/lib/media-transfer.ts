// Large transfers through a running strata service, for the media soak test
// (test/service/media-soak.heavy.test.ts) and the blobs benchmark (bench/blobs.ts): an object of
// known bytes made on the fly (never held whole), streamed up and down over real HTTP with
// backpressure and hashed on the way, and the service process's memory read from /proc.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';

const MIB = 1024 * 1024;
const PNG_HEAD = Buffer.from('\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR', 'latin1');

/**
 * `size` bytes that sniff as a PNG, made piece by piece (1 MiB each) from one random block, each
 * piece stamped with its index and the object's seed: no two pieces, and no two objects, are
 * alike, and any range can be made again to compare with what came back.
 */
export class SyntheticObject {
  private readonly base: Buffer;
  private readonly seed: Buffer;

  constructor(
    readonly size: number,
    seed: Buffer = randomBytes(16),
  ) {
    this.seed = seed;
    // One random-looking block (xorshift from the seed), stamped differently in every piece.
    const base = Buffer.allocUnsafe(Math.ceil(Math.min(MIB, size) / 4) * 4);
    let x = seed.readUInt32LE(0) | 1;
    for (let i = 0; i < base.length; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      base.writeInt32LE(x | 0, i);
    }
    this.base = base;
  }

  /** Piece `i` (1 MiB, the last one shorter), a fresh buffer. */
  piece(i: number): Buffer {
    const length = Math.min(MIB, this.size - i * MIB);
    const out = Buffer.allocUnsafe(length);
    this.base.copy(out, 0, 0, length);
    const stamp = Buffer.alloc(24);
    stamp.writeBigUInt64BE(BigInt(i), 0);
    this.seed.copy(stamp, 8);
    stamp.copy(out, 16, 0, Math.max(0, Math.min(24, length - 16)));
    if (i === 0) PNG_HEAD.copy(out, 0, 0, Math.min(PNG_HEAD.length, length));
    return out;
  }

  /** The bytes [start, end) as a stream of pieces (64 KiB each by default, as a client would send them). */
  *chunks(start = 0, end = this.size, chunk = 64 * 1024): Generator<Buffer> {
    for (let i = Math.floor(start / MIB); i * MIB < end; i++) {
      const piece = this.piece(i);
      const from = Math.max(start - i * MIB, 0);
      const to = Math.min(end - i * MIB, piece.length);
      for (let at = from; at < to; at += chunk) yield piece.subarray(at, Math.min(at + chunk, to));
    }
  }

  /** `chunks` as an async stream (what a blob store takes). */
  async *stream(chunk?: number): AsyncGenerator<Buffer> {
    yield* this.chunks(0, this.size, chunk);
  }

  /** The bytes [start, end), whole (for small ranges). */
  slice(start: number, end: number): Buffer {
    return Buffer.concat([...this.chunks(start, end)]);
  }
}

export interface Sent {
  readonly status: number;
  readonly body: string;
  /** The sha256 (hex) of what was sent. */
  readonly sha256: string;
  readonly bytes: number;
}

/** POSTs `chunks` to `url` with backpressure (waits for 'drain'), hashing what it sends; chunked unless `headers` has a content-length. */
export async function streamUp(url: string, chunks: Iterable<Buffer>, headers: Record<string, string>): Promise<Sent> {
  const hash = createHash('sha256');
  let bytes = 0;
  const req = request(url, { method: 'POST', headers });
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  // An early answer (413, 415) ends the upload: stop writing when it comes.
  let done = false;
  const finished = () => {
    done = true;
  };
  answered.then(finished, finished);
  for (const chunk of chunks) {
    if (done) break;
    hash.update(chunk);
    bytes += chunk.length;
    if (!req.write(chunk)) await Promise.race([once(req, 'drain'), answered]);
  }
  req.end();
  const { status, body } = await answered;
  return { status, body, sha256: hash.digest('hex'), bytes };
}

export interface Received {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly sha256: string;
  readonly bytes: number;
  /** The body itself, only when asked for (`keep`). */
  readonly body?: Buffer;
  /** The response ended before its last byte (a cut-off stream). */
  readonly incomplete: boolean;
}

/** GETs `url`, hashing the body as it streams (and keeping it when `keep`). */
export function streamDown(url: string, headers: Record<string, string> = {}, keep = false): Promise<Received> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers }, (res) => {
      const hash = createHash('sha256');
      const parts: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        hash.update(c);
        bytes += c.length;
        if (keep) parts.push(c);
      });
      res.on('error', () => undefined);
      res.on('close', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          sha256: hash.digest('hex'),
          bytes,
          ...(keep ? { body: Buffer.concat(parts) } : {}),
          incomplete: !res.complete,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends a JSON body and parses the JSON answer. */
export async function postJson<T>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: T }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as T };
}

/** A process's resident memory from /proc/<pid>/status, in MiB: now (VmRSS) and its peak (VmHWM). */
export interface ProcessMemory {
  readonly rssMiB: number;
  readonly peakMiB: number;
}

/** The memory of process `pid`, or undefined where /proc is not there (not Linux). */
export function processMemory(pid: number): ProcessMemory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

/** Resets the peak (VmHWM) of process `pid` to its current RSS (Linux >= 4.0: `5` to /proc/<pid>/clear_refs); false when not possible. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
