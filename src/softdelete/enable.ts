import { type Kysely, sql } from 'kysely';
import { introspect, quoteIdent as q, StrataError, withTransaction } from '../db/index.js';
import { LIVE_PREDICATE, namesFor, type SoftDeleteNames } from './names.js';
import { readConfig, type SoftDeleteConfig, writeConfig } from './registry.js';
import { type ChildRelation, livePartialIndex, renderDeletedView, renderDeleteFunction, renderDeleteTrigger, renderLiveView } from './render.js';

export interface EnableSoftDeleteOptions {
  readonly table: string;
  /** Default `public`. */
  readonly schema?: string;
  /** Tables referencing this one, and what a soft delete does to their rows. */
  readonly children?: readonly ChildRelation[];
}

export interface EnableSoftDeleteResult {
  readonly table: string;
  /** The base table holding every row (`<table>_all`). */
  readonly base: string;
  readonly deletedView: string;
  readonly alreadyEnabled: boolean;
  /** Indexes rebuilt to cover live rows only. */
  readonly rewrittenIndexes: readonly string[];
  /** Unique constraints replaced by partial unique indexes of the same name. */
  readonly replacedConstraints: readonly string[];
}

const run = <DB>(db: Kysely<DB>, text: string) => sql.raw(text).execute(db);

async function installRelations<DB>(db: Kysely<DB>, config: SoftDeleteConfig): Promise<void> {
  const n = namesFor(config.table, config.schema);
  const children: { child: ChildRelation; names: SoftDeleteNames }[] = [];
  for (const child of config.children) {
    if (child.mode === 'cascade' && !(await readConfig(db, child.table, config.schema))) {
      throw new StrataError('SOFT_DELETE_SETUP', `enable soft deletes on ${child.table} before cascading to it from ${config.table}`);
    }
    children.push({ child, names: namesFor(child.table, config.schema) });
  }
  await run(db, `DROP VIEW IF EXISTS ${q(n.schema)}.${q(n.live)}, ${q(n.schema)}.${q(n.deleted)}`);
  await run(
    db,
    renderLiveView(
      n,
      (await introspect(db).columns(n.schema, n.base)).map((c) => c.name),
    ),
  );
  await run(db, renderDeletedView(n));
  await run(db, renderDeleteFunction(n, config.primaryKey, children));
  await run(db, renderDeleteTrigger(n));
}

async function convertTable<DB>(db: Kysely<DB>, n: SoftDeleteNames): Promise<{ pk: string; rewritten: string[]; replaced: string[] }> {
  const catalog = introspect(db);
  if ((await catalog.relationKind(n.schema, n.live)) !== 'table') throw new StrataError('SOFT_DELETE_SETUP', `${n.schema}.${n.live} is not a table`);
  if (await catalog.relationKind(n.schema, n.base)) throw new StrataError('SOFT_DELETE_SETUP', `${n.schema}.${n.base} already exists`);
  const pk = await catalog.primaryKey(n.schema, n.live);
  if (pk.length !== 1 || !pk[0]) throw new StrataError('SOFT_DELETE_SETUP', `${n.live} needs a single-column primary key`);
  await run(db, `ALTER TABLE ${q(n.schema)}.${q(n.live)} RENAME TO ${q(n.base)}`);
  await run(db, `ALTER TABLE ${q(n.schema)}.${q(n.base)} ADD COLUMN deleted_at timestamptz, ADD COLUMN deleted_by text, ADD COLUMN deleted_batch uuid`);
  const rewritten: string[] = [];
  const replaced: string[] = [];
  for (const index of await catalog.indexes(n.schema, n.base)) {
    if (index.primary || !index.definition || (index.constraintType !== null && index.constraintType !== 'unique')) continue;
    if (index.constraintType === 'unique') {
      await run(db, `ALTER TABLE ${q(n.schema)}.${q(n.base)} DROP CONSTRAINT ${q(index.name)}`);
      replaced.push(index.name);
    } else {
      await run(db, `DROP INDEX ${q(n.schema)}.${q(index.name)}`);
      rewritten.push(index.name);
    }
    await run(db, livePartialIndex(index.definition));
  }
  const base = `${q(n.schema)}.${q(n.base)}`;
  await run(db, `CREATE INDEX ${q(`${n.base}_live_pkey`)} ON ${base} (${q(pk[0])}) WHERE ${LIVE_PREDICATE}`);
  await run(db, `CREATE INDEX ${q(`${n.base}_deleted_at`)} ON ${base} (deleted_at) WHERE deleted_at IS NOT NULL`);
  return { pk: pk[0], rewritten, replaced };
}

/**
 * Turns on soft deletes for a table, in one transaction: the table becomes `<table>_all`, a view
 * named `<table>` shows live rows only (so a plain `SELECT * FROM <table>` from any client never
 * sees deleted rows), a plain `DELETE FROM <table>` marks rows deleted, `<table>_deleted` shows the
 * deleted ones, and unique constraints and indexes are rebuilt for live rows only. Safe to rerun
 * (it then refreshes the views, e.g. after columns were added to `<table>_all`).
 *
 * @example
 * await enableSoftDelete(db, { table: 'products' });
 * await enableSoftDelete(db, { table: 'orders', children: [{ table: 'order_lines', column: 'order_id', mode: 'cascade' }] });
 */
export function enableSoftDelete<DB>(db: Kysely<DB>, options: EnableSoftDeleteOptions): Promise<EnableSoftDeleteResult> {
  const n = namesFor(options.table, options.schema);
  return withTransaction(db, async (trx) => {
    const existing = await readConfig(trx, n.live, n.schema);
    const converted = existing ? undefined : await convertTable(trx, n);
    const config: SoftDeleteConfig = {
      schema: n.schema,
      table: n.live,
      primaryKey: existing?.primaryKey ?? converted?.pk ?? 'id',
      children: options.children ?? existing?.children ?? [],
    };
    await installRelations(trx, config);
    await writeConfig(trx, config);
    return {
      table: n.live,
      base: n.base,
      deletedView: n.deleted,
      alreadyEnabled: existing !== undefined,
      rewrittenIndexes: converted?.rewritten ?? [],
      replacedConstraints: converted?.replaced ?? [],
    };
  });
}

/**
 * Runs schema changes on a soft-delete table's base (`<table>_all`) with its views out of the way
 * (dropping or retyping a column the views show needs that), then recreates the views.
 *
 * @example
 * await alterSoftDeleteTable(db, 'products', (trx) => sql`ALTER TABLE products_all DROP COLUMN legacy`.execute(trx));
 */
export function alterSoftDeleteTable<DB>(db: Kysely<DB>, table: string, change: (trx: Kysely<DB>) => Promise<unknown>, schema = 'public'): Promise<void> {
  const n = namesFor(table, schema);
  return withTransaction(db, async (trx) => {
    const config = await readConfig(trx, table, schema);
    if (!config) throw new StrataError('SOFT_DELETE_SETUP', `soft deletes are not enabled on ${schema}.${table}`);
    await run(trx, `DROP VIEW IF EXISTS ${q(n.schema)}.${q(n.live)}, ${q(n.schema)}.${q(n.deleted)}`);
    await change(trx);
    await installRelations(trx, config);
  });
}
