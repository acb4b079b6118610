import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { isStrataError } from '../../src/db/index.js';
import { enableHistory, listVersions } from '../../src/history/index.js';
import { completeMigration, defineMigration, type NamedMigration, startMigration, versionSchema } from '../../src/migrate/index.js';
import { enableSoftDelete } from '../../src/softdelete/index.js';
import { usePostgres } from '../support/postgres.js';
import { soakRounds } from '../support/soak.js';

const pg = usePostgres({ max: 24 });
const ROWS = soakRounds(20_000, 2_000);
const ITERATIONS = soakRounds(300, 40);
const WRITERS = 8; // per version

interface Written {
  qty: number;
  note: string;
}

describe('two application versions writing at once (rename + int -> bigint on a soft-delete, history-enabled table)', () => {
  it('8 connections of the old and 8 of the new version write concurrently: both see the same rows and values, deleted rows stay hidden, history reads under the new names', async () => {
    const db = pg.database.db;
    await sql`CREATE TABLE tv (id bigint PRIMARY KEY, qty integer NOT NULL CHECK (qty >= 0), note text, updated_at timestamptz NOT NULL DEFAULT now(), version integer NOT NULL DEFAULT 1)`.execute(
      db,
    );
    await sql`INSERT INTO tv (id, qty, note) SELECT g, g % 1000, 'seed ' || g FROM generate_series(1, ${ROWS}) g`.execute(db);
    await enableSoftDelete(db, { table: 'tv' });
    await enableHistory(db, { table: 'tv' });
    const migration: NamedMigration = {
      name: '0001_tv',
      migration: defineMigration({
        operations: [
          { op: 'rename_column', table: 'tv', from: 'note', to: 'remark' },
          { op: 'alter_column', table: 'tv', column: 'qty', type: 'bigint' },
        ],
      }),
    };
    const v = versionSchema('public', migration.name);
    const written = new Map<number, Written>();
    const deleted = new Set<number>();
    const failures: string[] = [];
    let stop = false;
    let nextFresh = 10_000_000;
    // Writer `slot` owns the rows id ≡ slot (mod 16): old version slots 0-7, new version 8-15.
    const writer = async (slot: number, version: 'old' | 'new', iterations: number) => {
      const table = version === 'old' ? sql`tv` : sql.table(`${v}.tv`);
      const noteColumn = sql.ref(version === 'old' ? 'note' : 'remark');
      for (let i = 0; i < iterations && !stop; i++) {
        const id = 1 + slot + 16 * ((i * 7919 + slot) % Math.floor(ROWS / 16));
        const tag = `${version}${slot}-${i}`;
        try {
          if (i % 10 === 9) {
            const fresh = nextFresh++;
            await sql`INSERT INTO ${table} (id, qty, ${noteColumn}) VALUES (${fresh}, ${i}, ${tag})`.execute(db);
            written.set(fresh, { qty: i, note: tag });
          } else if (i % 15 === 14 && !deleted.has(id)) {
            await sql`DELETE FROM ${table} WHERE id = ${id}`.execute(db);
            deleted.add(id);
            written.delete(id);
          } else if (!deleted.has(id)) {
            await sql`UPDATE ${table} SET qty = ${i}, ${noteColumn} = ${tag} WHERE id = ${id}`.execute(db);
            written.set(id, { qty: i, note: tag });
          }
        } catch (err) {
          failures.push(`${tag}: ${isStrataError(err) ? `${err.code} ${err.message}` : String(err)}`);
        }
      }
    };

    // The old version writes while the expand runs (backfill included).
    const duringStart = Array.from({ length: WRITERS }, (_, w) => writer(w, 'old', Number.MAX_SAFE_INTEGER));
    // Unpaced backfill (no yield, no rate bound): the test is about correctness, and the writers hammering the table slow every batch.
    const started = await startMigration(db, [migration], { batchSize: 500, yieldRatio: 0, maxRowsPerSecond: 0 });
    stop = true;
    await Promise.all(duringStart);
    expect(started.error).toBeUndefined();
    stop = false;
    // Then both versions at once.
    await Promise.all([
      ...Array.from({ length: WRITERS }, (_, w) => writer(w, 'old', ITERATIONS)),
      ...Array.from({ length: WRITERS }, (_, w) => writer(WRITERS + w, 'new', ITERATIONS)),
    ]);
    expect(failures).toEqual([]);
    expect(written.size).toBeGreaterThan(0);
    expect(deleted.size).toBeGreaterThan(0);

    // Both versions show the same live rows with the same values.
    const mismatch = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM tv o FULL JOIN ${sql.table(`${v}.tv`)} n USING (id)
       WHERE o.id IS NULL OR n.id IS NULL OR o.qty::bigint <> n.qty OR o.note IS DISTINCT FROM n.remark`.execute(db);
    expect(mismatch.rows).toEqual([{ n: 0 }]);
    // Deleted rows stay hidden in both.
    const ids = [...deleted];
    for (const t of [sql`tv`, sql.table(`${v}.tv`)]) {
      expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${t} WHERE id = ANY(${ids})`.execute(db)).rows).toEqual([{ n: 0 }]);
    }
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM tv_all WHERE id = ANY(${ids}) AND deleted_at IS NOT NULL`.execute(db)).rows).toEqual([
      { n: ids.length },
    ]);
    // Every acknowledged write is there, read through the new version.
    const { rows } = await sql<{ id: string; qty: string; remark: string }>`
      SELECT id::text, qty::text, remark FROM ${sql.table(`${v}.tv`)} WHERE id = ANY(${[...written.keys()]})`.execute(db);
    expect(rows).toHaveLength(written.size);
    expect(rows.filter((r) => written.get(Number(r.id))?.qty !== Number(r.qty) || written.get(Number(r.id))?.note !== r.remark)).toEqual([]);

    // Contract, then history: versions written before the rename and after read under the new names.
    const completed = await completeMigration(db, [migration]);
    expect(completed.error).toBeUndefined();
    const sample = [...written.keys()].find((id) => id <= ROWS) ?? 1;
    await sql`UPDATE tv SET remark = 'after contract', qty = 5000000000 WHERE id = ${sample}`.execute(db);
    const { versions } = await listVersions(db, 'tv', String(sample));
    expect(versions.length).toBeGreaterThanOrEqual(3);
    expect(versions.every((x) => x.data && 'remark' in x.data && !('note' in x.data) && !Object.keys(x.data).some((k) => k.startsWith('_strata_')))).toBe(true);
    expect(versions.at(0)?.data?.remark).toBe(`seed ${sample}`);
    expect(versions.at(-1)?.data).toMatchObject({ remark: 'after contract', qty: 5000000000 });
  }, 300_000);
});
