import { sql } from 'kysely';
import pg from 'pg';
import { expect, it } from 'vitest';
import { type Database, openPostgres, setWriteContext, withTransaction } from '../../src/db/index.js';
import { caught } from '../support/errors.js';
import { describePgBouncer, readSettingsOnEveryServer, serverPids } from '../support/pooler.js';
import { usePostgres } from '../support/postgres.js';

const t = usePostgres();
const SERVERS = 4;

describePgBouncer(
  'strata through PgBouncer (transaction mode, default settings)',
  (pooler) => {
    it('PgBouncer refuses a statement_timeout startup parameter, which strata no longer sends', async () => {
      const client = new pg.Client({ connectionString: pooler.urlOf(t.url), statement_timeout: 1000 });
      client.on('error', () => undefined);
      await expect(client.connect()).rejects.toThrow(/unsupported startup parameter: statement_timeout/);
      const database = await openPostgres(pooler.urlOf(t.url), { max: 2, statementTimeoutMs: 1000 });
      try {
        expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(database.db)).rows).toEqual([{ one: 1 }]);
      } finally {
        await database.close();
      }
    });

    it('cancels a slow statement, outside and inside a transaction', async () => {
      const database = await openPostgres(pooler.urlOf(t.url), { max: 2, statementTimeoutMs: 200 });
      try {
        expect((await caught(() => sql`SELECT pg_sleep(${5})`.execute(database.db))).code).toBe('STATEMENT_TIMEOUT');
        expect((await caught(() => sql`SELECT pg_sleep(5)`.execute(database.db))).code).toBe('STATEMENT_TIMEOUT');
        expect((await caught(() => withTransaction(database.db, (trx) => sql`SELECT pg_sleep(5)`.execute(trx)))).code).toBe('STATEMENT_TIMEOUT');
      } finally {
        await database.close();
      }
    });

    it('leaves no statement timeout, actor or request id on any server connection', async () => {
      let database: Database | undefined;
      try {
        database = await openPostgres(pooler.urlOf(t.url), { max: 2 * SERVERS, statementTimeoutMs: 5000 });
        const db = database.db;
        await sql`CREATE TABLE IF NOT EXISTS notes (id int PRIMARY KEY, body text NOT NULL)`.execute(db);
        await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            i % 2
              ? sql`SELECT count(*) FROM notes WHERE id > ${i}`.execute(db)
              : withTransaction(db, async (trx) => {
                  await setWriteContext(trx, { actor: `user-${i}`, requestId: `req-${i}` });
                  await sql`INSERT INTO notes VALUES (${i}, ${'x'}) ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body`.execute(trx);
                }),
          ),
        );
      } finally {
        await database?.close();
      }
      const seen = await readSettingsOnEveryServer(pooler.urlOf(t.url), SERVERS);
      const servers = await serverPids(pooler.bouncer, new URL(t.url).pathname.slice(1));
      expect(servers).toHaveLength(SERVERS);
      expect(new Set(seen.map((s) => s.pid))).toEqual(new Set(servers));
      for (const { settings } of seen) {
        expect(settings.statement_timeout).toBe('0');
        expect(settings['strata.actor'] ?? '').toBe('');
        expect(settings['strata.request_id'] ?? '').toBe('');
      }
    });
  },
  { defaultPoolSize: SERVERS },
);
