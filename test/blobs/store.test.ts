import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE, collectGarbage, IMAGE_TYPES, verifyBlobs } from '../../src/blobs/index.js';
import { isStrataError } from '../../src/db/index.js';
import { chunked, describeEachBackend, pngBytes, readAll, useBlobs } from '../support/blobs.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describeEachBackend('blob store', (name) => {
  const blobs = useBlobs();
  const owner = (id: string) => ({ table: 'things', id });
  const count = async (table: string) => {
    const { rows } = await sql<{ n: string }>`SELECT count(*)::text AS n FROM ${sql.raw(`strata.${table}`)}`.execute(blobs.pg.database.db);
    return Number(rows[0]?.n);
  };
  const objects = async () => {
    const keys: string[] = [];
    for await (const o of blobs.backend(name).list()) keys.push(o.key);
    return keys;
  };

  it('stores streamed bytes, reads back exactly those bytes, and records sha256, size and the sniffed type', async () => {
    const store = blobs.store(name);
    const bytes = pngBytes(2 * BLOCK_SIZE + 12_345, 7);
    const attached = await store.attach({ owner: owner('a'), role: 'image', source: chunked(bytes, 100_000), fileName: 'x.png', contentTypes: IMAGE_TYPES });
    expect(attached.blob).toMatchObject({ sha256: sha(bytes), size: bytes.length, contentType: 'image/png', backend: name });
    expect(attached.deduplicated).toBe(false);
    const found = await store.find(attached.id);
    expect(found?.fileName).toBe('x.png');
    expect(sha(await readAll(await store.open(attached.blob)))).toBe(sha(bytes));
  });

  it('stores the same bytes once, whoever uploads them', async () => {
    const store = blobs.store(name);
    const bytes = pngBytes(300_000, 11);
    const before = (await objects()).length;
    const first = await store.attach({ owner: owner('b1'), role: 'image', source: chunked(bytes) });
    const second = await store.attach({ owner: owner('b2'), role: 'image', source: chunked(bytes) });
    expect(second.blob.id).toBe(first.blob.id);
    expect(second.deduplicated).toBe(true);
    expect(second.id).not.toBe(first.id);
    expect((await objects()).length).toBe(before + 1);
  });

  it('refuses bytes of a type not allowed (HTML sent as an image) before storing anything', async () => {
    const store = blobs.store(name);
    const [blobsBefore, objectsBefore] = [await count('blobs'), (await objects()).length];
    const html = Buffer.from('<!doctype html><script>alert(1)</script>'.repeat(1000));
    const err = await store.attach({ owner: owner('c'), role: 'image', source: chunked(html, 10), contentTypes: IMAGE_TYPES }).catch((e: unknown) => e);
    expect(isStrataError(err, 'BLOB_TYPE_REFUSED')).toBe(true);
    expect([await count('blobs'), (await objects()).length]).toEqual([blobsBefore, objectsBefore]);
  });

  it('cuts an upload off at the size limit and leaves nothing behind', async () => {
    const store = blobs.store(name);
    const [blobsBefore, objectsBefore] = [await count('blobs'), (await objects()).length];
    const err = await store
      .attach({ owner: owner('d'), role: 'image', source: chunked(pngBytes(3 * BLOCK_SIZE, 3)), maxBytes: 2 * BLOCK_SIZE + 1 })
      .catch((e: unknown) => e);
    expect(isStrataError(err, 'BLOB_TOO_LARGE')).toBe(true);
    expect([await count('blobs'), (await objects()).length]).toEqual([blobsBefore, objectsBefore]);
  });

  it('returns exact bytes for any range (property test against the original)', async () => {
    const store = blobs.store(name);
    const bytes = pngBytes(2 * BLOCK_SIZE + 777, 5);
    const { blob } = await store.attach({ owner: owner('e'), role: 'image', source: chunked(bytes) });
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length - 1), fc.nat(bytes.length - 1), async (a, b) => {
        const range = { start: Math.min(a, b), end: Math.max(a, b) };
        const got = await readAll(await store.open(blob, range));
        expect(got.equals(bytes.subarray(range.start, range.end + 1))).toBe(true);
      }),
      {
        numRuns: 40,
        examples: [
          [0, 0],
          [bytes.length - 1, bytes.length - 1],
          [BLOCK_SIZE - 1, BLOCK_SIZE],
          [0, bytes.length - 1],
        ],
      },
    );
  });

  it('finds an object corrupted in its backend: verify reports it, and a read fails before serving a wrong byte', async () => {
    const store = blobs.store(name);
    const bytes = pngBytes(2 * BLOCK_SIZE + 100, 9);
    const { blob } = await store.attach({ owner: owner('f'), role: 'image', source: chunked(bytes) });
    await blobs.corrupt(name, blob.key, BLOCK_SIZE + 10);
    // The first block is intact: a range inside it is still served, one touching the second block is not.
    expect((await readAll(await store.open(blob, { start: 0, end: 99 }))).equals(bytes.subarray(0, 100))).toBe(true);
    const rangeErr = await store.open(blob, { start: BLOCK_SIZE, end: BLOCK_SIZE + 20 }).catch((e: unknown) => e);
    expect(isStrataError(rangeErr, 'BLOB_CORRUPT')).toBe(true);
    // A full read passes the first (verified) block, then fails instead of passing on the corrupt one.
    const served: Buffer[] = [];
    const readErr = await (async () => {
      for await (const c of await store.open(blob)) served.push(c);
    })().catch((e: unknown) => e);
    expect(isStrataError(readErr, 'BLOB_CORRUPT')).toBe(true);
    expect(Buffer.concat(served).equals(bytes.subarray(0, BLOCK_SIZE))).toBe(true);
    const result = await verifyBlobs(store, { restart: true });
    expect(result.error).toBeUndefined();
    expect(result.problems.map((p) => [p.blobId, p.status])).toContainEqual([blob.id, 'corrupt']);
  });

  it('gc removes blobs nothing uses any more and orphan objects, after the grace period only', async () => {
    const store = blobs.store(name);
    const kept = await store.attach({ owner: owner('g1'), role: 'image', source: chunked(pngBytes(5000, 21)) });
    const dropped = await store.attach({ owner: owner('g2'), role: 'image', source: chunked(pngBytes(5000, 22)) });
    // An orphan: an object written whose metadata never committed.
    const orphan = await blobs.backend(name).stage(chunked(pngBytes(5000, 23)));
    const orphanKey = blobs.backend(name).keyFor(orphan, sha(pngBytes(5000, 23)));
    await blobs.backend(name).place(orphan, sha(pngBytes(5000, 23)));
    expect(await store.detach(dropped.id)).toBe(true);
    const early = await collectGarbage(store, { graceMs: 3_600_000 });
    expect(early).toEqual({ blobs: 0, objects: 0 });
    const result = await collectGarbage(store, { graceMs: 0 });
    expect(result.error).toBeUndefined();
    expect(result.blobs).toBeGreaterThanOrEqual(1);
    const left = await objects();
    expect(left).toContain(kept.blob.key);
    expect(left).not.toContain(dropped.blob.key);
    expect(left).not.toContain(orphanKey);
    expect((await readAll(await store.open(kept.blob))).length).toBe(5000);
  });
});

describe('blob store: verify is resumable', () => {
  const blobs = useBlobs();
  it('carries on a stopped run where it stopped, and reports what the whole run found', async () => {
    const store = blobs.store('fs');
    const made = [];
    for (let i = 0; i < 6; i++)
      made.push(await store.attach({ owner: { table: 'v', id: String(i) }, role: 'file', source: chunked(pngBytes(1000 + i, 100 + i)) }));
    await blobs.corrupt('fs', made[1]?.blob.key as string, 500);
    const stop = new AbortController();
    const first = await verifyBlobs(store, {
      onProgress: (p) => {
        if (p.checked === 3) stop.abort(new Error('killed'));
      },
      signal: stop.signal,
    });
    expect(first.error?.message).toBe('killed');
    expect(first.checked).toBe(3);
    const seen: number[] = [];
    const second = await verifyBlobs(store, { onProgress: (p) => seen.push(p.checked) });
    expect(second.resumed).toBe(true);
    expect(seen[0]).toBe(4);
    expect(second.checked).toBe(6);
    expect(second.problems.map((p) => p.blobId)).toEqual([made[1]?.blob.id]);
    const third = await verifyBlobs(store);
    expect(third.resumed).toBe(false);
    expect(third.checked).toBe(6);
  });
});
