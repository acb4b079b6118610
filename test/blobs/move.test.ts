import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { type BackendName, collectGarbage, enableAttachments, moveBlobs } from '../../src/blobs/index.js';
import { enableSoftDelete, purgeDeleted } from '../../src/softdelete/index.js';
import { chunked, pngBytes, readAll, testS3, useBlobs } from '../support/blobs.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('moving blobs between backends while they are read and written', () => {
  const blobs = useBlobs();
  // fs to s3 and back when a test S3 store runs; else fs to postgres and back (and the s3 run is skipped visibly in the backend suites).
  const away: BackendName = testS3() ? 's3' : 'postgres';

  it(`fs -> ${away} -> fs: every read during and after the moves returns the right bytes`, async () => {
    const fsStore = blobs.store('fs');
    const originals = new Map<string, Buffer>();
    for (let i = 0; i < 12; i++) {
      const bytes = pngBytes(150_000 + i * 70_000, 300 + i);
      const made = await fsStore.attach({ owner: { table: 'm', id: String(i) }, role: 'image', source: chunked(bytes) });
      originals.set(made.id, bytes);
    }
    let stop = false;
    let reads = 0;
    const reader = async () => {
      while (!stop) {
        for (const [id, bytes] of originals) {
          const found = await fsStore.find(id);
          expect(found).toBeDefined();
          expect(sha(await readAll(await fsStore.open(found!.blob)))).toBe(sha(bytes));
          reads += 1;
        }
      }
    };
    let serial = 100;
    const writer = async (store: ReturnType<typeof blobs.store>) => {
      const bytes = pngBytes(120_000, serial++);
      const made = await store.attach({ owner: { table: 'm', id: `w${serial}` }, role: 'image', source: chunked(bytes) });
      originals.set(made.id, bytes);
    };
    const readers = [reader(), reader()];
    const progress: number[] = [];
    const there = await moveBlobs(blobs.store(away), { to: away, graceMs: 60_000, onProgress: (p) => progress.push(p.moved) });
    await writer(fsStore);
    const back = await moveBlobs(fsStore, { to: 'fs', graceMs: 60_000 });
    await writer(blobs.store(away));
    const again = await moveBlobs(fsStore, { to: 'fs', graceMs: 60_000 });
    stop = true;
    await Promise.all(readers);
    expect(there.error).toBeUndefined();
    expect(there.moved).toBe(12);
    expect(progress.at(-1)).toBe(12);
    expect(back.error).toBeUndefined();
    expect(back.moved).toBe(12);
    expect(again.moved).toBe(1);
    expect(reads).toBeGreaterThan(0);
    const { rows } = await sql<{ backend: string }>`SELECT DISTINCT backend FROM strata.blobs`.execute(blobs.pg.database.db);
    expect(rows).toEqual([{ backend: 'fs' }]);
    // After the grace period gc removes the copies left behind; every blob still reads.
    const gc = await collectGarbage(fsStore, { graceMs: 0 });
    expect(gc.error).toBeUndefined();
    let left = 0;
    for await (const _ of blobs.backend(away).list()) left += 1;
    expect(left).toBe(0);
    for (const [id, bytes] of originals) expect(sha(await readAll(await fsStore.open((await fsStore.find(id))!.blob)))).toBe(sha(bytes));
  });

  it('a killed move carries on with the blobs left when run again', async () => {
    const store = blobs.store('fs');
    const before = await sql<{ n: string }>`SELECT count(*)::text AS n FROM strata.blobs WHERE backend = 'fs'`.execute(blobs.pg.database.db);
    const stop = new AbortController();
    const first = await moveBlobs(store, {
      to: away,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.moved === 3) stop.abort(new Error('killed'));
      },
    });
    expect(first.error?.message).toBe('killed');
    expect(first.moved).toBe(3);
    const second = await moveBlobs(store, { to: away });
    expect(second.error).toBeUndefined();
    expect(second.moved).toBe(Number(before.rows[0]?.n) - 3);
    await moveBlobs(store, { to: 'fs' });
  });
});

describe('purging a soft-deleted owner releases its attachments', () => {
  const blobs = useBlobs();
  it('keeps the images of a soft-deleted product, releases them on purge, and gc then collects the blob', async () => {
    const db = blobs.pg.database.db;
    await sql`CREATE TABLE gadgets (id uuid PRIMARY KEY, name text NOT NULL)`.execute(db);
    await enableSoftDelete(db, { table: 'gadgets' });
    await enableAttachments(db, { table: 'gadgets' });
    const id = '0193a0c2-7d1e-7c3a-9f2b-5e8d4a1b6c70';
    await sql`INSERT INTO gadgets (id, name) VALUES (${id}, 'g')`.execute(db);
    const store = blobs.store('fs');
    const image = await store.attach({ owner: { table: 'gadgets', id }, role: 'image', source: chunked(pngBytes(10_000, 9)) });
    const other = await store.attach({ owner: { table: 'gadgets', id: 'someone-else' }, role: 'image', source: chunked(pngBytes(10_000, 10)) });
    await sql`DELETE FROM gadgets WHERE id = ${id}`.execute(db);
    expect(await store.find(image.id)).toBeDefined();
    expect((await collectGarbage(store, { graceMs: 0 })).blobs).toBe(0);
    const purged = await purgeDeleted(db, { table: 'gadgets', olderThanMs: 0 });
    expect(purged.purged).toBe(1);
    expect(await store.find(image.id)).toBeUndefined();
    expect(await store.find(other.id)).toBeDefined();
    const gc = await collectGarbage(store, { graceMs: 0 });
    expect(gc.blobs).toBe(1);
    let keys = 0;
    for await (const o of blobs.backend('fs').list()) if (o.key === image.blob.key) keys += 1;
    expect(keys).toBe(0);
  });
});
