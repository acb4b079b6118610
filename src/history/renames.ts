import { type Kysely, sql } from 'kysely';
import { defineInternalSteps, ensureStrataSchema, strataTable } from '../db/index.js';

/** `strata.history_renames`: column renames of versioned tables, so old versions read under today's names. */
const RENAMES = strataTable('history_renames');

defineInternalSteps([
  {
    id: 'history/1-column-renames',
    async up(db) {
      await sql
        .raw(`CREATE TABLE IF NOT EXISTS ${RENAMES} (
          id bigserial PRIMARY KEY,
          schema_name text NOT NULL,
          table_name text NOT NULL,
          old_name text NOT NULL,
          new_name text NOT NULL,
          renamed_at timestamptz NOT NULL DEFAULT clock_timestamp())`)
        .execute(db);
    },
  },
]);

export interface ColumnRename {
  readonly schema: string;
  readonly table: string;
  readonly from: string;
  readonly to: string;
}

interface StoredRename {
  readonly from: string;
  readonly to: string;
  readonly at: Date;
}

/**
 * Records that a versioned table's column was renamed (call it in the transaction that renames
 * it): versions written before then read under the new name in `listVersions`, `versionAt`,
 * `diffVersions` and `revertToVersion`. strata's migrations call it for every renamed column.
 *
 * @example
 * await recordColumnRename(trx, { schema: 'public', table: 'products', from: 'supplier_ref', to: 'supplier_code' });
 */
export async function recordColumnRename<DB>(db: Kysely<DB>, rename: ColumnRename): Promise<void> {
  await ensureStrataSchema(db);
  await sql`INSERT INTO ${sql.raw(RENAMES)} (schema_name, table_name, old_name, new_name)
    VALUES (${rename.schema}, ${rename.table}, ${rename.from}, ${rename.to})`.execute(db);
}

export async function renamesOf<DB>(db: Kysely<DB>, schema: string, table: string): Promise<StoredRename[]> {
  await ensureStrataSchema(db);
  const { rows } = await sql<{ from: string; to: string; at: Date }>`
    SELECT old_name AS "from", new_name AS "to", renamed_at AS at FROM ${sql.raw(RENAMES)}
     WHERE schema_name = ${schema} AND table_name = ${table} ORDER BY id`.execute(db);
  return rows;
}

/** Columns strata adds while a migration runs (`_strata_…`): never part of what a version shows. */
const INTERNAL = '_strata_';

/**
 * A version's row image under today's column names: renames made after it was written applied in
 * order, a migration's internal columns left out.
 */
export function underCurrentNames(data: Record<string, unknown>, writtenAt: Date, renames: readonly StoredRename[]): Record<string, unknown> {
  let image = data;
  for (const rename of renames) {
    if (writtenAt.getTime() > rename.at.getTime() || !(rename.from in image) || rename.to in image) continue;
    const { [rename.from]: value, ...rest } = image;
    image = { ...rest, [rename.to]: value };
  }
  if (!Object.keys(image).some((k) => k.startsWith(INTERNAL))) return image;
  return Object.fromEntries(Object.entries(image).filter(([k]) => !k.startsWith(INTERNAL)));
}
