import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { type PgBouncer, type PgBouncerOptions, pgbouncerBinary, startPgBouncer } from './pgbouncer.js';

export interface TestPooler {
  /** `url`'s database through a PgBouncer in transaction mode. */
  urlOf(url: string): string;
  readonly bouncer: PgBouncer;
}

/**
 * `describe` for tests that need a PgBouncer (transaction mode) in front of the test server: one is
 * started for the block and stopped after it. Skipped, with a visible message, when the Debian
 * package is not installed, unless STRATA_REQUIRE_PGBOUNCER=1 (CI), which fails instead.
 */
export function describePgBouncer(name: string, body: (pooler: TestPooler) => void, options: PgBouncerOptions = {}): void {
  if (!existsSync(pgbouncerBinary)) {
    if (process.env.STRATA_REQUIRE_PGBOUNCER === '1')
      throw new Error(`STRATA_REQUIRE_PGBOUNCER=1 but ${pgbouncerBinary} is missing (Debian package pgbouncer)`);
    describe.skip(`${name} (SKIPPED: ${pgbouncerBinary} is missing; apt-get install pgbouncer)`, () => undefined);
    return;
  }
  describe(name, () => {
    let bouncer: PgBouncer | undefined;
    beforeAll(async () => {
      bouncer = await startPgBouncer(inject('postgresAdminUrl'), options);
    });
    afterAll(async () => {
      await bouncer?.stop();
    });
    body({
      urlOf: (url) => {
        if (!bouncer) throw new Error('describePgBouncer: the pooler is ready only inside tests and hooks');
        return bouncer.urlFor(new URL(url).pathname.slice(1));
      },
      get bouncer(): PgBouncer {
        if (!bouncer) throw new Error('describePgBouncer: the pooler is ready only inside tests and hooks');
        return bouncer;
      },
    });
  });
}

/** Backend pids of PgBouncer's server connections to `database` (its admin console's SHOW SERVERS). */
export async function serverPids(bouncer: PgBouncer, database: string): Promise<number[]> {
  const admin = new pg.Client({ connectionString: bouncer.adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ database: string; remote_pid: string }>('SHOW SERVERS');
    return rows.filter((r) => r.database === database).map((r) => Number(r.remote_pid));
  } finally {
    await admin.end();
  }
}

/** The settings strata sets for a request, as a client of the pooler reads them. */
export const STRATA_SETTINGS = [
  'strata.actor',
  'strata.request_id',
  'strata.principal',
  'strata.principal_admin',
  'role',
  'strata.erase_history',
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'search_path',
  'default_transaction_isolation',
  'default_transaction_read_only',
] as const;

export interface ServerSettings {
  readonly pid: number;
  readonly settings: Record<string, string | null>;
}

/**
 * Opens `count` raw clients of `url` at once, each inside a transaction, so through a transaction
 * pooler each holds a different server connection, and reads `STRATA_SETTINGS` on each.
 */
export async function readSettingsOnEveryServer(url: string, count: number): Promise<ServerSettings[]> {
  const clients = await Promise.all(
    Array.from({ length: count }, async () => {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    }),
  );
  try {
    await Promise.all(clients.map((c) => c.query('BEGIN')));
    return await Promise.all(
      clients.map(async (c) => {
        const { rows } = await c.query<{ name: string; value: string | null; pid: number }>(
          'SELECT s.name, current_setting(s.name, true) AS value, pg_backend_pid() AS pid FROM unnest($1::text[]) AS s(name)',
          [STRATA_SETTINGS],
        );
        return { pid: rows[0]?.pid ?? 0, settings: Object.fromEntries(rows.map((r) => [r.name, r.value])) };
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.query('ROLLBACK').catch(() => undefined)));
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}
