import { type Generated, type Kysely, sql } from 'kysely';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, withTransaction } from '../../src/db/index.js';
import { enableHistory, listVersions } from '../../src/history/index.js';
import { createPrincipal, enableOwnership, ownershipStatements, type Principal, setPrincipalContext, withPrincipal } from '../../src/principals/index.js';
import { caught } from '../support/errors.js';
import { usePostgres } from '../support/postgres.js';

interface Account {
  id: string;
  owner_id: string;
  balance: string;
}
interface Db {
  accounts: { id: Generated<string>; owner_id: Generated<string>; balance: bigint };
}

const pgdb = usePostgres({ max: 4 });

function principal(id: string, name: string, scopes: Principal['scopes'] = ['wallet']): Principal {
  return { id, name, scopes, tokenId: '00000000-0000-7000-8000-000000000000' };
}

describe('ownership (row-level security)', () => {
  let db: Kysely<Db>;
  let alice: Principal;
  let bob: Principal;
  let admin: Principal;
  let aliceRow: string;
  beforeAll(async () => {
    db = pgdb.database.db as Kysely<Db>;
    await sql`CREATE TABLE accounts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), owner_id uuid NOT NULL, balance bigint NOT NULL DEFAULT 0)`.execute(db);
    const result = await enableOwnership(db, { table: 'accounts' });
    expect(result.policies).toHaveLength(4);
    alice = principal((await createPrincipal(db, 'alice')).id, 'alice');
    bob = principal((await createPrincipal(db, 'bob')).id, 'bob');
    admin = principal((await createPrincipal(db, 'root')).id, 'root', ['admin']);
    aliceRow = await withPrincipal(
      db,
      alice,
      async (trx) => (await trx.insertInto('accounts').values({ balance: 100n }).returning('id').executeTakeFirstOrThrow()).id,
    );
    await withPrincipal(db, bob, (trx) => trx.insertInto('accounts').values({ balance: 7n }).execute());
  });

  it('the owner column defaults to the principal; each principal sees only its own rows', async () => {
    const mine = await withPrincipal(db, alice, (trx) => trx.selectFrom('accounts').selectAll().execute());
    expect(mine.map((r) => [r.id, r.owner_id])).toEqual([[aliceRow, alice.id]]);
    const theirs = await withPrincipal(db, bob, (trx) => trx.selectFrom('accounts').selectAll().execute());
    expect(theirs.map((r) => r.owner_id)).toEqual([bob.id]);
  });

  it("another principal's row: nothing returned, nothing written, with raw Kysely calls under that principal's context", async () => {
    await withPrincipal(db, bob, async (trx) => {
      expect(await trx.selectFrom('accounts').selectAll().where('id', '=', aliceRow).execute()).toEqual([]);
      const updated = await trx.updateTable('accounts').set({ balance: 0n }).where('id', '=', aliceRow).executeTakeFirst();
      expect(updated.numUpdatedRows).toBe(0n);
      const everything = await trx.updateTable('accounts').set({ balance: 1n }).returning('owner_id').execute();
      expect(everything.map((r) => r.owner_id)).toEqual([bob.id]);
      const deleted = await trx.deleteFrom('accounts').where('id', '=', aliceRow).executeTakeFirst();
      expect(deleted.numDeletedRows).toBe(0n);
      const { rows } = await sql<Account>`SELECT * FROM accounts WHERE owner_id = ${alice.id}`.execute(trx as Kysely<Db>);
      expect(rows).toEqual([]);
    });
    // Moving one's own row to another owner, or inserting one for another owner, is refused.
    const err = await caught(() => withPrincipal(db, bob, (trx) => trx.insertInto('accounts').values({ owner_id: alice.id, balance: 1_000_000n }).execute()));
    expect(err.message).toMatch(/row-level security/);
    expect(err.code).toBe('ROW_SECURITY_REFUSED');
    const move = await caught(() => withPrincipal(db, bob, (trx) => trx.updateTable('accounts').set({ owner_id: alice.id }).execute()));
    expect(move.message).toMatch(/row-level security/);
    expect(move.code).toBe('ROW_SECURITY_REFUSED');
    const mine = await withPrincipal(db, alice, (trx) => trx.selectFrom('accounts').selectAll().execute());
    expect(mine.map((r) => [r.id, r.balance])).toEqual([[aliceRow, 100n]]);
  });

  it('admin reads every row but changes none of theirs', async () => {
    const all = await withPrincipal(db, admin, (trx) => trx.selectFrom('accounts').select('owner_id').execute());
    expect(new Set(all.map((r) => r.owner_id))).toEqual(new Set([alice.id, bob.id]));
    const updated = await withPrincipal(db, admin, (trx) => trx.updateTable('accounts').set({ balance: 0n }).executeTakeFirst());
    expect(updated.numUpdatedRows).toBe(0n);
  });

  it('the context ends with its transaction: the next transaction on the same connection is not that principal', async () => {
    const single = await openPostgres(pgdb.url, { max: 1 });
    try {
      const one = single.db as Kysely<Db>;
      const before = await sql<{ user: string }>`SELECT current_user AS user`.execute(one);
      await withPrincipal(one, alice, (trx) => trx.selectFrom('accounts').selectAll().execute());
      await withTransaction<Db, void>(one, async (trx) => {
        await setPrincipalContext(trx, bob);
        throw new Error('rolled back');
      }).catch(() => undefined);
      const after = await sql<{ user: string; principal: string | null; actor: string | null }>`
        SELECT current_user AS user, nullif(current_setting('strata.principal', true), '') AS principal,
               nullif(current_setting('strata.actor', true), '') AS actor`.execute(one);
      expect(after.rows[0]).toEqual({ user: before.rows[0]?.user, principal: null, actor: null });
    } finally {
      await single.close();
    }
  });

  it('under a login role that is neither superuser nor owner, no context sees no rows, and a context sees its own', async () => {
    const role = `strata_app_${Math.random().toString(36).slice(2, 8)}`;
    await sql.raw(`CREATE ROLE ${role} LOGIN PASSWORD 'app'`).execute(db);
    await sql
      .raw(
        `GRANT SELECT, INSERT, UPDATE, DELETE ON accounts TO ${role}; GRANT USAGE ON SCHEMA strata TO ${role}; GRANT SELECT ON strata.internal_migrations TO ${role}`,
      )
      .execute(db);
    const url = new URL(pgdb.url);
    url.username = role;
    url.password = 'app';
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      expect((await client.query('SELECT * FROM accounts')).rows).toEqual([]);
      await client.query('BEGIN');
      await client.query(`SELECT set_config('strata.principal', $1, true)`, [alice.id]);
      expect((await client.query('SELECT id FROM accounts')).rows).toEqual([{ id: aliceRow }]);
      await client.query('COMMIT');
    } finally {
      await client.end();
      await sql.raw(`DROP OWNED BY ${role}; DROP ROLE ${role}`).execute(db);
    }
  });

  it("history of an owned table follows its owner: another principal's versions are invisible, even to raw reads of <t>_history", async () => {
    await sql`CREATE TABLE wallets (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), owner_id uuid NOT NULL, balance bigint NOT NULL DEFAULT 0)`.execute(db);
    await enableHistory(db, { table: 'wallets' });
    const result = await enableOwnership(db, { table: 'wallets' });
    expect(result.history).toBe('wallets_history');
    const w = db as unknown as Kysely<{ wallets: { id: Generated<string>; owner_id: Generated<string>; balance: bigint } }>;
    const insert = (p: Principal) =>
      withPrincipal(w, p, async (trx) => (await trx.insertInto('wallets').values({ balance: 5n }).returning('id').executeTakeFirstOrThrow()).id);
    const alices = await insert(alice);
    const bobs = await insert(bob);
    await withPrincipal(w, alice, (trx) => trx.updateTable('wallets').set({ balance: 6n }).execute());
    const raw = (p: Principal) =>
      withPrincipal(
        db,
        p,
        async (trx) => (await sql<{ actor: string; row_id: string }>`SELECT row_id, actor FROM wallets_history ORDER BY row_id, version`.execute(trx)).rows,
      );
    expect(await raw(bob)).toEqual([{ row_id: bobs, actor: bob.id }]);
    expect(await raw(alice)).toEqual([
      { row_id: alices, actor: alice.id },
      { row_id: alices, actor: alice.id },
    ]);
    expect(await raw(admin)).toHaveLength(3);
    expect(await withPrincipal(db, bob, (trx) => listVersions<Db>(trx, 'wallets', alices))).toMatchObject({ versions: [] });
    expect((await withPrincipal(db, alice, (trx) => listVersions<Db>(trx, 'wallets', alices))).versions.map((v) => v.actor)).toEqual([alice.id, alice.id]);
    // Versions cannot be removed by their owner (only an admin context or a role that bypasses row-level security).
    const removed = await withPrincipal(db, alice, (trx) => sql`DELETE FROM wallets_history WHERE row_id = ${alices}`.execute(trx));
    expect(removed.numAffectedRows).toBe(0n);
  });

  it('refuses views, missing tables and non-uuid owner columns', async () => {
    await sql`CREATE TABLE notes (id int PRIMARY KEY, owner_id text)`.execute(db);
    await sql`CREATE VIEW notes_view AS SELECT * FROM notes`.execute(db);
    expect((await caught(() => enableOwnership(db, { table: 'notes' }))).code).toBe('OWNERSHIP_SETUP');
    expect((await caught(() => enableOwnership(db, { table: 'notes', column: 'nope' }))).code).toBe('OWNERSHIP_SETUP');
    expect((await caught(() => enableOwnership(db, { table: 'notes_view' }))).message).toMatch(/view/);
    expect((await caught(() => enableOwnership(db, { table: 'missing' }))).code).toBe('OWNERSHIP_SETUP');
  });

  it('renders its SQL without I/O', () => {
    expect(ownershipStatements({ table: '"public"."accounts"', column: 'owner_id', adminReads: false })).toEqual([
      'ALTER TABLE "public"."accounts" ENABLE ROW LEVEL SECURITY',
      'ALTER TABLE "public"."accounts" FORCE ROW LEVEL SECURITY',
      `ALTER TABLE "public"."accounts" ALTER COLUMN "owner_id" SET DEFAULT nullif(current_setting('strata.principal', true), '')::uuid`,
      'DROP POLICY IF EXISTS "strata_owner_read" ON "public"."accounts"',
      'DROP POLICY IF EXISTS "strata_owner_insert" ON "public"."accounts"',
      'DROP POLICY IF EXISTS "strata_owner_update" ON "public"."accounts"',
      'DROP POLICY IF EXISTS "strata_owner_delete" ON "public"."accounts"',
      `CREATE POLICY "strata_owner_read" ON "public"."accounts" FOR SELECT USING ("owner_id" = nullif(current_setting('strata.principal', true), '')::uuid)`,
      `CREATE POLICY "strata_owner_insert" ON "public"."accounts" FOR INSERT WITH CHECK ("owner_id" = nullif(current_setting('strata.principal', true), '')::uuid)`,
      `CREATE POLICY "strata_owner_update" ON "public"."accounts" FOR UPDATE USING ("owner_id" = nullif(current_setting('strata.principal', true), '')::uuid) WITH CHECK ("owner_id" = nullif(current_setting('strata.principal', true), '')::uuid)`,
      `CREATE POLICY "strata_owner_delete" ON "public"."accounts" FOR DELETE USING ("owner_id" = nullif(current_setting('strata.principal', true), '')::uuid)`,
    ]);
  });
});
