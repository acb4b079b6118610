import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { bulkInsert, objectSource } from '../../src/bulk/index.js';
import { ensureStrataSchema, openPostgres } from '../../src/db/index.js';
import { purgeDeleted, restore } from '../../src/softdelete/index.js';
import { claimIdempotencyKey } from '../../src/upsert/index.js';
import { usePostgres } from '../support/postgres.js';

const legacy = usePostgres();
const fresh = usePostgres();

/**
 * strata's own tables exactly as main at fba8649 (session 3) created them: unqualified names in
 * the search path's first schema, created on first use.
 */
const LEGACY_DDL = [
  `CREATE TABLE strata_bulk_loads (load_id text PRIMARY KEY, table_name text NOT NULL, lines_done bigint NOT NULL DEFAULT 0,
     rows_done bigint NOT NULL DEFAULT 0, status text NOT NULL DEFAULT 'running', started_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE strata_bulk_chunks (load_id text NOT NULL, first_line bigint NOT NULL, last_line bigint NOT NULL, rows bigint NOT NULL,
     committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (load_id, first_line))`,
  `CREATE TABLE strata_soft_delete (schema_name text NOT NULL, table_name text NOT NULL, primary_key text NOT NULL,
     children jsonb NOT NULL DEFAULT '[]', enabled_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (schema_name, table_name))`,
  `CREATE TABLE strata_idempotency_keys (principal text NOT NULL, key text NOT NULL, method text NOT NULL, path text NOT NULL,
     body_hash text NOT NULL, state text NOT NULL CHECK (state IN ('in_flight', 'done')), token uuid NOT NULL, locked_until timestamptz,
     expires_at timestamptz NOT NULL, response_status int, response_headers jsonb, response_body text,
     created_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (principal, key))`,
  'CREATE INDEX strata_idempotency_keys_expires ON strata_idempotency_keys (expires_at)',
];

describe("strata's own schema", () => {
  let db: Kysely<unknown>;
  beforeAll(async () => {
    db = legacy.database.db;
    for (const statement of LEGACY_DDL) await sql.raw(statement).execute(db);
    // A partly done load: lines 1-3 committed by an earlier run.
    await sql`CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)`.execute(db);
    await sql`INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c')`.execute(db);
    await sql`INSERT INTO strata_bulk_chunks (load_id, first_line, last_line, rows) VALUES ('items.csv', 1, 3, 3)`.execute(db);
    await sql`INSERT INTO strata_bulk_loads (load_id, table_name, lines_done, rows_done) VALUES ('items.csv', 'items', 3, 3)`.execute(db);
    // A soft-delete table set up by the old code: its registry row is what restore and purge read.
    await sql`CREATE TABLE notes_all (id int PRIMARY KEY, body text, deleted_at timestamptz, deleted_by text, deleted_batch uuid)`.execute(db);
    await sql`CREATE VIEW notes AS SELECT id, body FROM notes_all WHERE deleted_at IS NULL`.execute(db);
    await sql`INSERT INTO notes_all VALUES (1, 'kept', now(), 'alice', gen_random_uuid()), (2, 'old', now() - interval '40 days', 'bob', gen_random_uuid())`.execute(
      db,
    );
    await sql`INSERT INTO strata_soft_delete (schema_name, table_name, primary_key) VALUES ('public', 'notes', 'id')`.execute(db);
    // A completed idempotent request whose stored response must still replay.
    await sql`INSERT INTO strata_idempotency_keys (principal, key, method, path, body_hash, state, token, expires_at, response_status, response_headers, response_body)
      VALUES ('p1', 'k1', 'POST', '/things', 'h1', 'done', gen_random_uuid(), now() + interval '1 day', 201, '{"location":"/things/1"}', '{"id":1}')`.execute(
      db,
    );
  });

  it('upgrades a database created by the previous release in place: bulk resume state, soft-delete registry and idempotency keys survive', async () => {
    const { applied } = await ensureStrataSchema(db);
    expect(applied).toEqual(expect.arrayContaining(['bulk/1-load-progress', 'softdelete/1-registry', 'upsert/1-idempotency-keys']));
    const left = await sql<{ name: string }>`SELECT relname AS name FROM pg_class WHERE relname LIKE 'strata\\_%' AND relkind = 'r'`.execute(db);
    expect(left.rows).toEqual([]);

    const rows = [1, 2, 3, 4, 5].map((id) => ({ id, name: String.fromCharCode(96 + id) }));
    const load = await bulkInsert(legacy.database, 'items', objectSource(rows), { loadId: 'items.csv' });
    expect(load).toMatchObject({ rows: 2, skipped: 3 });
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM items`.execute(db)).rows[0]?.n).toBe(5);

    expect(await restore(db, 'notes', '1')).toMatchObject({ id: 1, body: 'kept' });
    const purge = await purgeDeleted(db, { table: 'notes', olderThanMs: 30 * 86_400_000 });
    expect(purge).toMatchObject({ purged: 1 });

    const claim = await claimIdempotencyKey(db, { principal: 'p1', key: 'k1', method: 'POST', path: '/things', bodyHash: 'h1' });
    expect(claim).toEqual({ kind: 'replay', bodyHash: 'h1', response: { status: 201, headers: { location: '/things/1' }, body: '{"id":1}' } });
  });

  it('is created once when many processes start at the same time', async () => {
    const urls = Array.from({ length: 8 }, () => openPostgres(fresh.url, { max: 1 }));
    const starters = await Promise.all(urls);
    try {
      const results = await Promise.all(starters.map((d) => ensureStrataSchema(d.db)));
      const ran = results.flatMap((r) => r.applied);
      expect(new Set(ran).size).toBe(ran.length);
      const { rows } = await sql<{ id: string }>`SELECT id FROM strata.internal_migrations ORDER BY id`.execute(fresh.database.db);
      expect(rows.map((r) => r.id).sort()).toEqual([...new Set(ran)].sort());
      expect(await ensureStrataSchema(fresh.database.db)).toEqual({ applied: [] });
    } finally {
      await Promise.all(starters.map((d) => d.close()));
    }
  });
});
