import { type Kysely, sql } from 'kysely';
import { StrataError } from '../db/index.js';
import type { ChildRelation } from './render.js';

/** What strata records about a soft-delete table (in `strata_soft_delete`). */
export interface SoftDeleteConfig {
  readonly schema: string;
  readonly table: string;
  readonly primaryKey: string;
  readonly children: readonly ChildRelation[];
}

export async function ensureRegistry<DB>(db: Kysely<DB>): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS strata_soft_delete (
    schema_name text NOT NULL,
    table_name text NOT NULL,
    primary_key text NOT NULL,
    children jsonb NOT NULL DEFAULT '[]',
    enabled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (schema_name, table_name))`.execute(db);
}

export async function readConfig<DB>(db: Kysely<DB>, table: string, schema = 'public'): Promise<SoftDeleteConfig | undefined> {
  const exists = await sql<{ found: boolean }>`SELECT to_regclass('strata_soft_delete') IS NOT NULL AS found`.execute(db);
  if (!exists.rows[0]?.found) return undefined;
  const { rows } = await sql<{ primary_key: string; children: ChildRelation[] }>`
    SELECT primary_key, children FROM strata_soft_delete WHERE schema_name = ${schema} AND table_name = ${table}`.execute(db);
  const row = rows[0];
  return row ? { schema, table, primaryKey: row.primary_key, children: row.children } : undefined;
}

export async function requireConfig<DB>(db: Kysely<DB>, table: string, schema = 'public'): Promise<SoftDeleteConfig> {
  const config = await readConfig(db, table, schema);
  if (!config) throw new StrataError('SOFT_DELETE_SETUP', `soft deletes are not enabled on ${schema}.${table}`);
  return config;
}

export async function writeConfig<DB>(db: Kysely<DB>, config: SoftDeleteConfig): Promise<void> {
  await sql`INSERT INTO strata_soft_delete (schema_name, table_name, primary_key, children)
    VALUES (${config.schema}, ${config.table}, ${config.primaryKey}, ${JSON.stringify(config.children)}::jsonb)
    ON CONFLICT (schema_name, table_name) DO UPDATE SET children = EXCLUDED.children`.execute(db);
}
