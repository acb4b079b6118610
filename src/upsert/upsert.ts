import type { Kysely } from 'kysely';
import { introspect, StrataError, withTransaction } from '../db/index.js';
import { SOFT_DELETE_COLUMNS } from '../softdelete/index.js';
import { rules, type UpdateSpec } from './render.js';
import { checkRows, type Dedupe, type Row } from './rows.js';
import { type Action, type Chunk, fallbackUpsert, keyText, mergeUpsert, nativeUpsert, type Outcome, updateFirstUpsert } from './strategies.js';
import { resolveTarget, type UpsertTarget } from './target.js';

export type Strategy = 'native' | 'merge' | 'fallback' | 'update-first' | 'auto';

export interface UpsertOptions {
  /** The columns that identify a row; a unique index on exactly these must exist. */
  readonly key: readonly string[];
  /**
   * What an existing row takes from the incoming one. Default: every column but the key and the
   * primary key (an existing row keeps its id, whatever the incoming row carries). `[]`: insert only.
   */
  readonly update?: UpdateSpec;
  /**
   * Default `auto`: native (ON CONFLICT) where the engine has it and the key's index can arbitrate;
   * the fallback when that index backs a DEFERRABLE constraint, which ON CONFLICT refuses.
   */
  readonly strategy?: Strategy;
  /** Rows sharing a key in one batch: `error` (default) or `last-wins`. */
  readonly dedupe?: Dedupe;
  /** Bounded retries under concurrent writers (merge, fallback, update-first). Default 5. */
  readonly maxAttempts?: number;
  readonly schema?: string;
}

/** One result per distinct key, in input order: the row as stored now and what happened to it. */
export interface UpsertResult<R = Row> {
  readonly row: R;
  readonly action: Action;
}

const MAX_PARAMETERS = 65_535;
const MAX_ROWS_PER_STATEMENT = 1000;

const RUN: Record<Exclude<Strategy, 'auto'>, <DB>(trx: Kysely<DB>, c: Chunk) => Promise<Outcome[]>> = {
  native: nativeUpsert,
  merge: mergeUpsert,
  fallback: fallbackUpsert,
  'update-first': updateFirstUpsert,
};

function chooseStrategy(requested: Strategy | undefined, target: UpsertTarget): Exclude<Strategy, 'auto'> {
  if (requested !== undefined && requested !== 'auto') return requested;
  return target.deferrable ? 'fallback' : 'native';
}

/**
 * Inserts rows that are new and updates rows whose key exists, idempotently: repeating the same
 * upsert changes nothing and reports `unchanged` (no write, so no history version). Runs in one
 * transaction (joining the caller's). Never builds a statement with more than 65,535 parameters.
 * A key held only by soft-deleted rows counts as free: a new live row is inserted.
 *
 * @example
 * const [result] = await upsert(db, 'products', [{ id, sku: 'A-1', name: 'Hammer', price: 1999n, currency: 'EUR' }], { key: ['sku'], update: ['name', 'price'] });
 * result.action; // 'inserted' | 'updated' | 'unchanged'
 */
export async function upsert<DB, R = Row>(db: Kysely<DB>, relation: string, input: Row | readonly Row[], options: UpsertOptions): Promise<UpsertResult<R>[]> {
  const batch = Array.isArray(input) ? (input as readonly Row[]) : [input as Row];
  if (batch.length === 0) return [];
  return withTransaction(db, async (trx) => {
    const capabilities = await introspect(trx).capabilities();
    if (capabilities.engine !== 'postgres') throw new StrataError('CONFIG_INVALID', `upserts are built for PostgreSQL; ${capabilities.engine} comes later`);
    const target = await resolveTarget(trx, relation, options.key, options.schema);
    const strategy = chooseStrategy(options.strategy, target);
    if (strategy === 'merge' && !capabilities.merge) throw new StrataError('CONFIG_INVALID', 'the merge strategy needs PostgreSQL 15 or later; use native');
    const { rows, names } = checkRows(batch, options.key, options.dedupe ?? 'error', new Set(target.columns.keys()));
    const list = rules(options.update, names, [...options.key, ...target.primaryKey]);
    for (const [column] of list) if (!target.columns.has(column)) throw new StrataError('UPSERT_INVALID_ROWS', `unknown column ${column} in update`);
    const size = Math.max(1, Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(MAX_PARAMETERS / Math.max(1, names.length))));
    const byKey = new Map<string, Outcome>();
    for (let i = 0; i < rows.length; i += size) {
      const chunk: Chunk = {
        target,
        names,
        rows: rows.slice(i, i + size),
        rules: list,
        maxAttempts: options.maxAttempts ?? 5,
        mergeReturning: capabilities.mergeReturning,
      };
      for (const outcome of await RUN[strategy](trx, chunk)) byKey.set(keyText(outcome.row, options.key), outcome);
    }
    return rows.map((row) => {
      const outcome = byKey.get(keyText(row, options.key));
      if (!outcome) throw new StrataError('UPSERT_RETRIES_EXHAUSTED', 'a row was neither inserted, updated nor found; it was changed concurrently');
      const visible = Object.fromEntries(
        Object.entries(outcome.row).filter(([k]) => !target.softDeleted || !(SOFT_DELETE_COLUMNS as readonly string[]).includes(k)),
      );
      return { row: visible as R, action: outcome.action };
    });
  });
}
