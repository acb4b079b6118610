import fc from 'fast-check';
import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { enableHistory, versionAt } from '../../src/history/index.js';
import { enableSoftDelete } from '../../src/softdelete/index.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();

type Model = { title: string; n: number; tags: string[] } | 'deleted';

const op = fc.oneof(
  fc.record({ kind: fc.constant('title' as const), value: fc.string({ maxLength: 8 }) }),
  fc.record({ kind: fc.constant('n' as const), value: fc.integer({ min: -5, max: 5 }) }),
  fc.record({ kind: fc.constant('tags' as const), value: fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('delete' as const) }),
  fc.record({ kind: fc.constant('restore' as const) }),
);

describe('as-of reads against an in-memory model', () => {
  let db: Kysely<unknown>;
  beforeAll(async () => {
    db = pg.database.db;
    await sql`CREATE TABLE notes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), title text NOT NULL, n int NOT NULL, tags text[] NOT NULL DEFAULT '{}', version int NOT NULL DEFAULT 1)`.execute(
      db,
    );
    await enableSoftDelete(db, { table: 'notes' });
    await enableHistory(db, { table: 'notes' });
  });

  // As-of reads have millisecond resolution, so each write and each probe is kept in its own millisecond.
  it('the state as of any instant between writes equals the model at that instant', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 1000 }), async (ops, pick) => {
        const clock = async () => {
          const t = (await sql<{ t: Date }>`SELECT clock_timestamp() AS t`.execute(db)).rows[0]?.t as Date;
          await sql`SELECT pg_sleep(0.002)`.execute(db);
          return t;
        };
        const before = await clock();
        const id = (await sql<{ id: string }>`INSERT INTO notes (title, n) VALUES ('start', 0) RETURNING id`.execute(db)).rows[0]?.id as string;
        let model: Model = { title: 'start', n: 0, tags: [] };
        const instants: { at: Date; model: Model }[] = [{ at: await clock(), model }];
        for (const o of ops) {
          if (o.kind === 'delete') {
            await sql`DELETE FROM notes WHERE id = ${id}`.execute(db);
            model = 'deleted';
          } else if (o.kind === 'restore') {
            if (model === 'deleted') {
              await sql`UPDATE notes_all SET deleted_at = NULL, deleted_by = NULL, deleted_batch = NULL WHERE id = ${id}`.execute(db);
              const row = (await sql<{ title: string; n: number; tags: string[] }>`SELECT title, n, tags FROM notes WHERE id = ${id}`.execute(db)).rows[0];
              model = row ? { title: row.title, n: row.n, tags: row.tags } : 'deleted';
            }
          } else if (model !== 'deleted') {
            await sql`UPDATE notes SET ${sql.ref(o.kind)} = ${o.value} WHERE id = ${id}`.execute(db);
            model = { ...model, [o.kind]: o.value };
          }
          instants.push({ at: await clock(), model });
        }
        expect(await versionAt(db, 'notes', id, before)).toBeUndefined();
        const probes = [instants[pick % instants.length], ...instants].filter((p): p is { at: Date; model: Model } => p !== undefined);
        for (const probe of probes) {
          const seen = await versionAt(db, 'notes', id, probe.at);
          if (probe.model === 'deleted') {
            expect(seen?.operation).toBe('delete');
          } else {
            expect(seen?.operation).not.toBe('delete');
            expect(seen?.data).toMatchObject(probe.model);
          }
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
