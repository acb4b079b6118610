import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { setWriteContext, withTransaction } from '../../src/db/index.js';
import { diffVersions, enableHistory, listVersions, pruneHistory, revertToVersion, versionAt } from '../../src/history/index.js';
import { alterSoftDeleteTable, enableSoftDelete, purgeDeleted } from '../../src/softdelete/index.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres({ max: 40 });

async function versions(db: Kysely<unknown>, table: string, id: string) {
  const { rows } = await sql<{ version: number; operation: string; actor: string; valid_from: Date; data: Record<string, unknown> | null }>`
    SELECT version, operation, actor, valid_from, data FROM ${sql.table(`${table}_history`)} WHERE row_id = ${id} ORDER BY version`.execute(db);
  return rows;
}

describe('versioned rows', () => {
  let db: Kysely<unknown>;
  beforeAll(async () => {
    db = pg.database.db;
    await sql`CREATE TABLE docs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), title text NOT NULL, body text NOT NULL DEFAULT '', n int NOT NULL DEFAULT 0,
      secret text, updated_at timestamptz NOT NULL DEFAULT now(), version int NOT NULL DEFAULT 1)`.execute(db);
    await enableSoftDelete(db, { table: 'docs' });
    const result = await enableHistory(db, { table: 'docs' });
    expect(result).toMatchObject({ base: 'docs_all', history: 'docs_history', snapshotted: 0 });
  });

  const insert = async (title: string, executor: Kysely<unknown> = db) =>
    (await sql<{ id: string; version: number }>`INSERT INTO docs (title) VALUES (${title}) RETURNING id, version`.execute(executor)).rows[0] as {
      id: string;
      version: number;
    };

  it('versions writes from a raw psql-style connection with actor "unknown"', async () => {
    const psql = await pg.rawClient();
    const { rows } = await psql.query("INSERT INTO docs (title) VALUES ('raw') RETURNING id");
    const id = rows[0].id as string;
    await psql.query("UPDATE docs SET body = 'edited' WHERE id = $1", [id]);
    await psql.query('DELETE FROM docs WHERE id = $1', [id]);
    const history = await versions(db, 'docs', id);
    expect(history.map((h) => [h.version, h.operation, h.actor])).toEqual([
      [1, 'insert', 'unknown'],
      [2, 'update', 'unknown'],
      [3, 'delete', 'unknown'],
    ]);
    expect(history[1]?.data).toMatchObject({ title: 'raw', body: 'edited', version: 2 });
  });

  it('an update that changes nothing writes no version and does not bump updated_at; a rollback leaves no history', async () => {
    const { id } = await insert('noop');
    const before = await sql<{ updated_at: Date }>`SELECT updated_at FROM docs WHERE id = ${id}`.execute(db);
    const result = await sql`UPDATE docs SET title = 'noop', version = 42 WHERE id = ${id}`.execute(db);
    expect(result.numAffectedRows).toBe(0n);
    const after = await sql<{ updated_at: Date; version: number }>`SELECT updated_at, version FROM docs WHERE id = ${id}`.execute(db);
    expect(after.rows[0]).toEqual({ updated_at: before.rows[0]?.updated_at, version: 1 });
    // The update succeeds inside the transaction (its version is visible there); only the rollback removes it.
    const rolledBack = withTransaction(db, async (trx) => {
      await sql`UPDATE docs SET title = 'changed' WHERE id = ${id}`.execute(trx);
      expect((await versions(trx, 'docs', id)).map((v) => [v.version, v.operation])).toEqual([
        [1, 'insert'],
        [2, 'update'],
      ]);
      throw new Error('roll back');
    });
    await expect(rolledBack).rejects.toThrow(/^roll back$/);
    expect((await versions(db, 'docs', id)).map((v) => v.version)).toEqual([1]);
  });

  it('32 connections update one row at once: versions exactly 1..33, each committed update once, periods ordered', async () => {
    const { id } = await insert('contended');
    await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        withTransaction(db, async (trx) => {
          await setWriteContext(trx, { actor: `w${i}` });
          await sql`UPDATE docs SET body = ${`by w${i}`}, n = n + 1 WHERE id = ${id}`.execute(trx);
        }),
      ),
    );
    const history = await versions(db, 'docs', id);
    expect(history.map((h) => h.version)).toEqual(Array.from({ length: 33 }, (_, i) => i + 1));
    expect(
      history
        .slice(1)
        .map((h) => h.data?.body)
        .sort(),
    ).toEqual(Array.from({ length: 32 }, (_, i) => `by w${i}`).sort());
    for (const h of history.slice(1)) expect(h.data?.body).toBe(`by ${h.actor}`);
    // Strictly ordered periods, compared in the database (microseconds; a JavaScript Date keeps milliseconds).
    const unordered = async () =>
      (
        await sql<{ n: number }>`SELECT count(*)::int AS n FROM (
          SELECT valid_from <= lag(valid_from) OVER (ORDER BY version) AS bad FROM docs_history WHERE row_id = ${id}) v WHERE bad`.execute(db)
      ).rows[0]?.n;
    expect(await unordered()).toBe(0);
    const page = await listVersions(db, 'docs', id, { limit: 10 });
    expect(page.versions.map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(page.versions[0]?.validTo?.getTime()).toBe(page.versions[1]?.validFrom.getTime());
    expect(page.nextAfter).toBe(10);
    const rest = await listVersions(db, 'docs', id, { limit: 50, afterVersion: page.nextAfter ?? 0 });
    expect(rest.versions).toHaveLength(23);
    expect(rest.nextAfter).toBeUndefined();
    expect(rest.versions.at(-1)?.validTo).toBeUndefined();
    // Two versions written by one transaction are ordered too (the transaction's start time would make them equal).
    await withTransaction(db, async (trx) => {
      await sql`UPDATE docs SET n = n + 1 WHERE id = ${id}`.execute(trx);
      await sql`UPDATE docs SET n = n + 1 WHERE id = ${id}`.execute(trx);
    });
    expect((await versions(db, 'docs', id)).map((h) => h.version)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
    expect(await unordered()).toBe(0);
  });

  it('10,000 random operations from 32 workers with distinct actors match an independent log exactly', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 64; i++) ids.push((await insert(`pool-${i}`)).id);
    const start = new Map(ids.map((id) => [id, 1]));
    const log: { id: string; actor: string; op: 'update' | 'delete' | 'restore' }[] = [];
    let noops = 0;
    let next = 0;
    const worker = async (w: number) => {
      const actor = `worker-${w}`;
      while (next < 10_000) {
        next++;
        const id = ids[Math.floor(Math.random() * ids.length)] as string;
        const roll = Math.random();
        await withTransaction(db, async (trx) => {
          await setWriteContext(trx, { actor });
          if (roll < 0.6) {
            const r = await sql`UPDATE docs SET n = n + 1 WHERE id = ${id}`.execute(trx);
            if (r.numAffectedRows === 1n) log.push({ id, actor, op: 'update' });
          } else if (roll < 0.8) {
            await sql`UPDATE docs SET title = title WHERE id = ${id}`.execute(trx);
            noops++;
          } else if (roll < 0.9) {
            const r = await sql`DELETE FROM docs WHERE id = ${id}`.execute(trx);
            if (r.numAffectedRows === 1n) log.push({ id, actor, op: 'delete' });
          } else {
            const r =
              await sql`UPDATE docs_all SET deleted_at = NULL, deleted_by = NULL, deleted_batch = NULL WHERE id = ${id} AND deleted_at IS NOT NULL`.execute(
                trx,
              );
            if (r.numAffectedRows === 1n) log.push({ id, actor, op: 'restore' });
          }
        });
      }
    };
    await Promise.all(Array.from({ length: 32 }, (_, w) => worker(w)));
    expect(noops).toBeGreaterThan(1000);
    const { rows } = await sql<{ row_id: string; version: number; operation: string; actor: string }>`
      SELECT row_id, version, operation, actor FROM docs_history WHERE row_id = ANY(${ids}) AND version > 1 ORDER BY row_id, version`.execute(db);
    const key = (e: { id?: string; row_id?: string; actor: string; op?: string; operation?: string }) =>
      `${e.id ?? e.row_id}|${e.actor}|${e.op ?? e.operation}`;
    const count = (keys: string[]) => keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());
    expect(count(rows.map(key))).toEqual(count(log.map(key)));
    expect(rows.filter((r) => !r.actor.startsWith('worker-'))).toEqual([]);
    for (const id of ids) {
      const mine = rows.filter((r) => r.row_id === id).map((r) => r.version);
      expect(mine).toEqual(Array.from({ length: mine.length }, (_, i) => (start.get(id) ?? 1) + i + 1));
      const current = await sql<{ version: number }>`SELECT version FROM docs_all WHERE id = ${id}`.execute(db);
      expect(current.rows[0]?.version).toBe(1 + mine.length);
    }
  }, 240_000);

  it('revert restores every field of the target version as version N+1; diff names changed fields', async () => {
    const { id } = await insert('v1 title');
    await sql`UPDATE docs SET body = 'v2 body', n = 2, secret = 's2' WHERE id = ${id}`.execute(db);
    await sql`UPDATE docs SET title = 'v3 title', n = 3, secret = NULL WHERE id = ${id}`.execute(db);
    expect(await diffVersions(db, 'docs', id, 1, 3)).toEqual([
      { field: 'body', from: '', to: 'v2 body' },
      { field: 'n', from: 0, to: 3 },
      { field: 'title', from: 'v1 title', to: 'v3 title' },
    ]);
    const result = await revertToVersion(db, 'docs', id, 2, { actor: 'reverter' });
    expect(result).toEqual({ version: 4, changed: true });
    const now = await sql<Record<string, unknown>>`SELECT title, body, n, secret, version FROM docs WHERE id = ${id}`.execute(db);
    expect(now.rows[0]).toEqual({ title: 'v1 title', body: 'v2 body', n: 2, secret: 's2', version: 4 });
    const last = await versionAt(db, 'docs', id, 4);
    expect(last).toMatchObject({ operation: 'update', actor: 'reverter' });
    expect(await revertToVersion(db, 'docs', id, 4)).toEqual({ version: 4, changed: false });
  });

  it('reads old versions after columns are added, dropped and renamed', async () => {
    const { id } = await insert('evolve');
    await sql`UPDATE docs SET body = 'before' WHERE id = ${id}`.execute(db);
    await sql`ALTER TABLE docs_all ADD COLUMN extra text`.execute(db);
    await sql`ALTER TABLE docs_all RENAME COLUMN body TO content`.execute(db);
    await enableSoftDelete(db, { table: 'docs' });
    await enableHistory(db, { table: 'docs' });
    await sql`UPDATE docs SET content = 'after', extra = 'x' WHERE id = ${id}`.execute(db);
    expect((await versionAt(db, 'docs', id, 2))?.data).toMatchObject({ body: 'before' });
    expect((await versionAt(db, 'docs', id, 3))?.data).toMatchObject({ content: 'after', extra: 'x' });
    await alterSoftDeleteTable(db, 'docs', async (trx) => {
      await sql`ALTER TABLE docs_all DROP COLUMN extra`.execute(trx);
      await sql`ALTER TABLE docs_all RENAME COLUMN content TO body`.execute(trx);
    });
    await sql`UPDATE docs SET body = 'renamed back' WHERE id = ${id}`.execute(db);
    expect((await versionAt(db, 'docs', id, 4))?.data).toMatchObject({ body: 'renamed back' });
    expect((await versionAt(db, 'docs', id, 4))?.data).not.toHaveProperty('extra');
    expect((await versionAt(db, 'docs', id, 3))?.data).toMatchObject({ extra: 'x' });
  });

  it('purging a soft-deleted row erases its history on request, and keeps it (with a purge version) otherwise', async () => {
    const kept = await insert('keep-history');
    const erased = await insert('erase-history');
    await sql`DELETE FROM docs WHERE id IN (${kept.id}, ${erased.id})`.execute(db);
    await sql`UPDATE docs_all SET deleted_at = now() - interval '2 days' WHERE id IN (${kept.id}, ${erased.id})`.execute(db);
    await sql`UPDATE docs_all SET deleted_at = now() WHERE deleted_at > now() - interval '1 day'`.execute(db);
    const first = await purgeDeleted(db, { table: 'docs', olderThanMs: 86_400_000, eraseHistory: false });
    expect(first.error).toBeUndefined();
    expect((await versions(db, 'docs', kept.id)).map((v) => v.operation)).toEqual(['insert', 'delete', 'update', 'purge']);
    expect((await versions(db, 'docs', erased.id)).map((v) => v.operation)).toEqual(['insert', 'delete', 'update', 'purge']);
    const again = await insert('erase-me');
    await sql`DELETE FROM docs WHERE id = ${again.id}`.execute(db);
    await sql`UPDATE docs_all SET deleted_at = now() - interval '2 days' WHERE id = ${again.id}`.execute(db);
    const second = await purgeDeleted(db, { table: 'docs', olderThanMs: 86_400_000, eraseHistory: true });
    expect(second.purged).toBe(1);
    expect(await versions(db, 'docs', again.id)).toEqual([]);
  });

  it('retention prunes superseded versions only, never the current one', async () => {
    const { id } = await insert('old');
    await sql`UPDATE docs SET n = 1 WHERE id = ${id}`.execute(db);
    await sql`UPDATE docs_history SET valid_from = valid_from - interval '400 days' WHERE row_id = ${id}`.execute(db);
    await sql`UPDATE docs SET n = 2 WHERE id = ${id}`.execute(db);
    const result = await pruneHistory(db, 'docs', { olderThanMs: 365 * 86_400_000 });
    expect(result.error).toBeUndefined();
    expect((await versions(db, 'docs', id)).map((v) => v.version)).toEqual([2, 3]);
  });

  it('rows present when history is enabled get a snapshot version each; later changes continue from it; a rerun snapshots nothing again', async () => {
    await sql`CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)`.execute(db);
    await sql`INSERT INTO notes (id, body) VALUES (1, 'one'), (2, 'two'), (3, 'three')`.execute(db);
    expect(await enableHistory(db, { table: 'notes' })).toMatchObject({ history: 'notes_history', snapshotted: 3 });
    const { rows } = await sql<{ row_id: number; version: number; operation: string; actor: string; data: unknown }>`
      SELECT row_id, version, operation, actor, data FROM notes_history ORDER BY row_id`.execute(db);
    expect(rows).toEqual(
      [1, 2, 3].map((id) => ({
        row_id: id,
        version: 1,
        operation: 'snapshot',
        actor: 'strata',
        data: { id, body: ['one', 'two', 'three'][id - 1], version: 1 },
      })),
    );
    await sql`UPDATE notes SET body = 'two, edited' WHERE id = 2`.execute(db);
    expect((await listVersions(db, 'notes', '2')).versions.map((v) => [v.version, v.operation])).toEqual([
      [1, 'snapshot'],
      [2, 'update'],
    ]);
    expect(await enableHistory(db, { table: 'notes' })).toMatchObject({ snapshotted: 0 });
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM notes_history`.execute(db)).rows[0]?.n).toBe(4);
  });
});
