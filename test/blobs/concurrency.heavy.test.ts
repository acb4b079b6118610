import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { collectGarbage } from '../../src/blobs/index.js';
import { chunked, describeEachBackend, pngBytes, readAll, useBlobs } from '../support/blobs.js';

describeEachBackend('blobs under concurrency', (name) => {
  const blobs = useBlobs();

  it('16 concurrent uploads of identical bytes give one object and 16 valid attachments', async () => {
    const store = blobs.store(name);
    const bytes = pngBytes(1024 * 1024 + 4321, 77);
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => store.attach({ owner: { table: 'things', id: `same-${i}` }, role: 'image', source: chunked(bytes, 50_000) })),
    );
    expect(new Set(results.map((r) => r.blob.id)).size).toBe(1);
    expect(new Set(results.map((r) => r.id)).size).toBe(16);
    const keys: string[] = [];
    for await (const o of blobs.backend(name).list()) if (!o.staged) keys.push(o.key);
    expect(keys).toEqual([results[0]?.blob.key]);
    for (const r of results) {
      const found = await store.find(r.id);
      expect(found?.blob.id).toBe(r.blob.id);
    }
    expect((await readAll(await store.open(results[0]!.blob))).equals(bytes)).toBe(true);
  });

  const gate = () => {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    let reached!: () => void;
    const waiting = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const pass = () => {
      reached();
      return opened;
    };
    return { open, waiting, pass };
  };
  const gc = async (store: ReturnType<typeof blobs.store>) => {
    const result = await collectGarbage(store, { graceMs: 0, orphanGraceMs: 60_000 });
    if (result.error) throw result.error;
    return result.blobs;
  };

  it('detach and gc between an upload storing its object and looking its bytes up: the upload stores the blob anew', async () => {
    const store = blobs.store(name);
    const bytes = pngBytes(300_000, 79);
    const old = await store.attach({ owner: { table: 'race', id: 'old' }, role: 'image', source: chunked(bytes) });
    const hold = gate();
    const racing = store.attach({ owner: { table: 'race', id: 'new' }, role: 'image', source: chunked(bytes), checkOwner: () => hold.pass() });
    await hold.waiting;
    expect(await store.detach(old.id)).toBe(true);
    expect(await gc(store)).toBe(1);
    hold.open();
    const made = await racing;
    expect(made.blob.id).not.toBe(old.blob.id);
    expect(made.deduplicated).toBe(false);
    expect((await readAll(await store.open((await store.find(made.id))!.blob))).equals(bytes)).toBe(true);
  });

  it('detach and gc while an upload that found the blob commits its attachment: gc keeps the blob', async () => {
    const store = blobs.store(name);
    const bytes = pngBytes(300_000, 80);
    const old = await store.attach({ owner: { table: 'race', id: 'old2' }, role: 'image', source: chunked(bytes) });
    const hold = gate();
    const racing = store.attach({ owner: { table: 'race', id: 'new2' }, role: 'image', source: chunked(bytes), beforeCommit: () => hold.pass() });
    await hold.waiting;
    expect(await store.detach(old.id)).toBe(true);
    const collecting = gc(store);
    await new Promise((resolve) => setTimeout(resolve, 200));
    hold.open();
    const made = await racing;
    expect(await collecting).toBe(0);
    expect(made.blob.id).toBe(old.blob.id);
    expect((await readAll(await store.open((await store.find(made.id))!.blob))).equals(bytes)).toBe(true);
  });

  it('rounds of detaches, attaches of the same bytes and gc leave every attachment readable', async () => {
    const store = blobs.store(name);
    const bytes = pngBytes(200_000, 78);
    const live = [(await store.attach({ owner: { table: 'rounds', id: 'seed' }, role: 'image', source: chunked(bytes) })).id];
    const attach = async (id: string) => {
      const made = await store.attach({ owner: { table: 'rounds', id }, role: 'image', source: chunked(bytes) });
      live.push(made.id);
    };
    for (let round = 0; round < 8; round++) {
      const detaching = live.splice(0).map((id) => store.detach(id));
      await Promise.all([...detaching, attach(`${round}-a`), gc(store), attach(`${round}-b`), gc(store)]);
    }
    const { rows } = await sql<{ id: string }>`SELECT id FROM strata.attachments WHERE owner_table = 'rounds'`.execute(blobs.pg.database.db);
    expect(rows.length).toBeGreaterThan(0);
    for (const { id } of rows) {
      const found = await store.find(id);
      expect((await readAll(await store.open(found!.blob))).equals(bytes)).toBe(true);
    }
  });
});
