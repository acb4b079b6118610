import pg from 'pg';

const SQL = `
SELECT a.attname AS column
  FROM pg_constraint c
  JOIN pg_class t ON t.oid = c.conrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) ON true
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
 WHERE c.conname = $1 AND t.relname = $2 AND n.nspname = $3
 ORDER BY k.ord`;

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
    const client = new pg.Client({ ...this.config, connectionTimeoutMillis: 2000, statement_timeout: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const result = await client.query<{ column: string }>(SQL, [constraint, table, schema]);
      return result.rows.length > 0 ? result.rows.map((r) => r.column) : undefined;
    } catch {
      return undefined;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
