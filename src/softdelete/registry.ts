import { type Kysely, sql } from 'kysely';
import { adoptLegacyTable, defineInternalSteps, ensureStrataSchema, StrataError, strataTable } from '../db/index.js';
import type { ChildRelation } from './render.js';

/** What strata records about a soft-delete table (in `strata.soft_delete_tables`). */
export interface SoftDeleteConfig {
  readonly schema: string;
  readonly table: string;
  readonly primaryKey: string;
  readonly children: readonly ChildRelation[];
}

const REGISTRY = strataTable('soft_delete_tables');

defineInternalSteps([
  {
    id: 'softdelete/1-registry',
    async up(db) {
      await adoptLegacyTable(db, 'strata_soft_delete', 'soft_delete_tables');
      await sql
        .raw(`CREATE TABLE IF NOT EXISTS ${REGISTRY} (
          schema_name text NOT NULL,
          table_name text NOT NULL,
          primary_key text NOT NULL,
          children jsonb NOT NULL DEFAULT '[]',
          enabled_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (schema_name, table_name))`)
        .execute(db);
    },
  },
]);

export async function readConfig<DB>(db: Kysely<DB>, table: string, schema = 'public'): Promise<SoftDeleteConfig | undefined> {
  await ensureStrataSchema(db);
  const { rows } = await sql<{ primary_key: string; children: ChildRelation[] }>`
    SELECT primary_key, children FROM ${sql.raw(REGISTRY)} WHERE schema_name = ${schema} AND table_name = ${table}`.execute(db);
  const row = rows[0];
  return row ? { schema, table, primaryKey: row.primary_key, children: row.children } : undefined;
}

export async function requireConfig<DB>(db: Kysely<DB>, table: string, schema = 'public'): Promise<SoftDeleteConfig> {
  const config = await readConfig(db, table, schema);
  if (!config) throw new StrataError('SOFT_DELETE_SETUP', `soft deletes are not enabled on ${schema}.${table}`);
  return config;
}

export async function writeConfig<DB>(db: Kysely<DB>, config: SoftDeleteConfig): Promise<void> {
  await ensureStrataSchema(db);
  await sql`INSERT INTO ${sql.raw(REGISTRY)} (schema_name, table_name, primary_key, children)
    VALUES (${config.schema}, ${config.table}, ${config.primaryKey}, ${JSON.stringify(config.children)}::jsonb)
    ON CONFLICT (schema_name, table_name) DO UPDATE SET children = EXCLUDED.children`.execute(db);
}
