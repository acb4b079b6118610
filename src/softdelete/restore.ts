import { type Kysely, sql } from 'kysely';
import { isStrataError, quoteIdent as q, StrataError, withTransaction } from '../db/index.js';
import { namesFor, SOFT_DELETE_COLUMNS } from './names.js';
import { readConfig, requireConfig, type SoftDeleteConfig } from './registry.js';

export interface RestoreOptions {
  readonly schema?: string;
}

type Row = Record<string, unknown>;

function liveView(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) if (!(SOFT_DELETE_COLUMNS as readonly string[]).includes(k)) out[k] = v;
  return out;
}

async function restoreCascade<DB>(trx: Kysely<DB>, config: SoftDeleteConfig, parentIds: readonly unknown[], batch: string): Promise<void> {
  for (const child of config.children.filter((c) => c.mode === 'cascade')) {
    const childConfig = await readConfig(trx, child.table, config.schema);
    if (!childConfig || parentIds.length === 0) continue;
    const n = namesFor(child.table, config.schema);
    const { rows } = await sql<{ key: unknown }>`
      UPDATE ${sql.raw(`${q(n.schema)}.${q(n.base)}`)} SET deleted_at = NULL, deleted_by = NULL, deleted_batch = NULL
       WHERE ${sql.ref(child.column)} = ANY(${parentIds}) AND deleted_batch = ${batch}
       RETURNING ${sql.ref(childConfig.primaryKey)} AS key`.execute(trx);
    await restoreCascade(
      trx,
      childConfig,
      rows.map((r) => r.key),
      batch,
    );
  }
}

/**
 * Brings a soft-deleted row back, with exactly the cascaded children deleted in the same batch
 * (children deleted earlier stay deleted). A live row now holding the same unique key makes it a
 * RESTORE_CONFLICT and nothing changes. Restoring a live row returns it unchanged.
 *
 * @example
 * const row = await restore(db, 'products', id);
 */
export function restore<DB>(db: Kysely<DB>, table: string, id: string, options: RestoreOptions = {}): Promise<Row> {
  return withTransaction(db, async (trx) => {
    const config = await requireConfig(trx, table, options.schema);
    const n = namesFor(table, config.schema);
    const base = sql.raw(`${q(n.schema)}.${q(n.base)}`);
    const pk = sql.ref(config.primaryKey);
    const { rows } = await sql<Row & { deleted_batch: string | null }>`SELECT * FROM ${base} WHERE ${pk} = ${id} FOR UPDATE`.execute(trx);
    const current = rows[0];
    if (!current) throw new StrataError('NOT_FOUND', `no row ${id} in ${table}`);
    if (current.deleted_batch === null) return liveView(current);
    try {
      const restored = await sql<Row>`
        UPDATE ${base} SET deleted_at = NULL, deleted_by = NULL, deleted_batch = NULL WHERE ${pk} = ${id} RETURNING *`.execute(trx);
      await restoreCascade(trx, config, [id], current.deleted_batch);
      return liveView(restored.rows[0] ?? current);
    } catch (err) {
      if (isStrataError(err, 'UNIQUE_VIOLATION')) {
        throw new StrataError(
          'RESTORE_CONFLICT',
          `cannot restore: a live row in ${err.details.table ?? table} already holds the same unique key`,
          err.details,
          { cause: err },
        );
      }
      throw err;
    }
  });
}
