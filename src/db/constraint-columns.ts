import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { introspect } from './introspect/index.js';

/**
 * Looks up the columns a constraint covers (PostgreSQL reports none for CHECK violations).
 * Uses its own short-lived connection: the failing transaction is aborted and the pool may be full.
 */
export class ConstraintColumns {
  private readonly cache = new Map<string, Promise<string[] | undefined>>();

  constructor(private readonly config: pg.ClientConfig) {}

  lookup(schema: string, table: string, constraint: string): Promise<string[] | undefined> {
    const key = `${schema}\u0000${table}\u0000${constraint}`;
    let found = this.cache.get(key);
    if (!found) {
      found = this.query(schema, table, constraint);
      this.cache.set(key, found);
      found.then((cols) => cols ?? this.cache.delete(key));
    }
    return found;
  }

  private async query(schema: string, table: string, constraint: string): Promise<string[] | undefined> {
    const pool = new pg.Pool({ ...this.config, max: 1, connectionTimeoutMillis: 2000, query_timeout: 2000 });
    pool.on('error', () => undefined);
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    try {
      const columns = await introspect(db).constraintColumns(schema, table, constraint);
      return columns.length > 0 ? columns : undefined;
    } catch {
      return undefined;
    } finally {
      await db.destroy().catch(() => undefined);
    }
  }
}
