import { type Kysely, sql } from 'kysely';
import { StrataError } from '../db/index.js';

export interface TopStatement {
  readonly query: string;
  readonly calls: number;
  readonly totalMs: number;
  readonly meanMs: number;
  readonly rows: number;
}

export type TopOrder = 'total' | 'calls' | 'mean' | 'rows';

const ORDER: Record<TopOrder, string> = { total: 'total_exec_time', calls: 'calls', mean: 'mean_exec_time', rows: 'rows' };

/**
 * The heaviest statements from pg_stat_statements (values already normalised to `$n` by it).
 * Fails with a typed error that says how to enable the extension when it is missing.
 *
 * @example
 * for (const s of await topStatements(db, { orderBy: 'total', limit: 10 })) console.log(s.totalMs, s.query);
 */
export async function topStatements<DB>(db: Kysely<DB>, options: { orderBy?: TopOrder; limit?: number } = {}): Promise<TopStatement[]> {
  try {
    await sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`.execute(db);
    const { rows } = await sql<{ query: string; calls: string; total: number; mean: number; rows: string }>`
      SELECT query, calls::text AS calls, total_exec_time AS total, mean_exec_time AS mean, rows::text AS rows
        FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       ORDER BY ${sql.raw(ORDER[options.orderBy ?? 'total'])} DESC LIMIT ${options.limit ?? 20}`.execute(db);
    return rows.map((r) => ({ query: r.query, calls: Number(r.calls), totalMs: r.total, meanMs: r.mean, rows: Number(r.rows) }));
  } catch (err) {
    // 55000: the library is not in shared_preload_libraries; 58P01: the extension is not installed.
    if (err instanceof StrataError && (err.details.sqlState === '55000' || err.details.sqlState === '58P01')) {
      throw new StrataError(
        'CONFIG_INVALID',
        "pg_stat_statements is not loaded: add shared_preload_libraries = 'pg_stat_statements' to postgresql.conf, restart PostgreSQL, then run CREATE EXTENSION pg_stat_statements (the embedded server does this for you)",
        err.details,
        { cause: err },
      );
    }
    throw err;
  }
}
