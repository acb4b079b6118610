import { type Kysely, sql } from 'kysely';
import { ambientTransaction } from './ambient.js';
import { engineOf } from './introspect/index.js';
import { quoteIdent } from './quote.js';
import { withTransaction } from './transaction.js';

/** The schema that holds strata's own tables (load progress, registries, idempotency keys). */
export const STRATA_SCHEMA = 'strata';

/**
 * One versioned step of strata's own schema. Steps are idempotent (they may find their work done
 * by an older strata that created the same table elsewhere, and move it) and run once, in
 * registration order, recorded in `strata.internal_migrations`.
 */
export interface InternalStep {
  /** Stable and unique, `<capability>/<n>-<what>`, e.g. `bulk/1-load-progress`. */
  readonly id: string;
  // biome-ignore lint/suspicious/noExplicitAny: a step runs DDL on whatever database it is given
  up(db: Kysely<any>): Promise<void>;
}

const steps: InternalStep[] = [];
const ids = new Set<string>();

/**
 * Registers a capability's steps of strata's own schema; `ensureStrataSchema` applies them.
 *
 * @example
 * defineInternalSteps([{ id: 'ledger/1-accounts', up: (db) => sql`CREATE TABLE IF NOT EXISTS strata.accounts (...)`.execute(db).then(() => undefined) }]);
 */
export function defineInternalSteps(list: readonly InternalStep[]): void {
  for (const step of list) {
    if (ids.has(step.id)) continue;
    ids.add(step.id);
    steps.push(step);
  }
}

/**
 * `strata.<name>`, quoted: how capabilities name their own tables in SQL.
 *
 * @example
 * sql.raw(`SELECT * FROM ${strataTable('bulk_loads')}`);
 */
export function strataTable(name: string): string {
  return `${quoteIdent(STRATA_SCHEMA)}.${quoteIdent(name)}`;
}

/**
 * Moves a table an older strata created unqualified (found through the search path) into the
 * strata schema under its new name, keeping its rows. Does nothing when the new table exists or
 * the old one does not.
 */
export async function adoptLegacyTable<DB>(db: Kysely<DB>, oldName: string, newName: string): Promise<void> {
  await sql`DO $$
    DECLARE old regclass := to_regclass(${sql.lit(oldName)});
    BEGIN
      IF old IS NOT NULL AND to_regclass(${sql.lit(`${STRATA_SCHEMA}.${newName}`)}) IS NULL THEN
        EXECUTE format('ALTER TABLE %s SET SCHEMA ${sql.raw(STRATA_SCHEMA)}', old);
        EXECUTE format('ALTER TABLE ${sql.raw(STRATA_SCHEMA)}.%I RENAME TO %I', ${sql.lit(oldName)}, ${sql.lit(newName)});
      END IF;
    END $$`.execute(db);
}

/** Per pool (Kysely instances and their transactions share an adapter): how many steps are known applied. */
const applied = new WeakMap<object, number>();

/** What `ensureStrataSchema` did. */
export interface EnsureResult {
  /** Step ids applied by this call (empty when the schema was up to date). */
  readonly applied: readonly string[];
}

const LOCK_KEY = 'strata.internal_migrations';

async function appliedIds<DB>(db: Kysely<DB>): Promise<Set<string> | undefined> {
  const { rows: found } = await sql<{ ok: boolean }>`SELECT to_regclass(${`${STRATA_SCHEMA}.internal_migrations`}) IS NOT NULL AS ok`.execute(db);
  if (!found[0]?.ok) return undefined;
  const { rows } = await sql<{ id: string }>`SELECT id FROM ${sql.raw(strataTable('internal_migrations'))}`.execute(db);
  return new Set(rows.map((r) => r.id));
}

/**
 * Creates or upgrades strata's own schema: every registered step not yet applied runs, in one
 * transaction, under a transaction-level advisory lock (so concurrent starters wait for one
 * another, also through a transaction-mode pooler). Cheap after the first call per pool. Every
 * capability that owns tables calls it before using them; call it yourself at start-up to fail
 * early when the database role may not create the schema. PostgreSQL only (a no-op on MariaDB,
 * whose capabilities keep no tables yet).
 *
 * @example
 * const { applied } = await ensureStrataSchema(database.db);
 */
export async function ensureStrataSchema<DB>(db: Kysely<DB>): Promise<EnsureResult> {
  if (engineOf(db) !== 'postgres') return { applied: [] };
  const adapter = db.getExecutor().adapter;
  const wanted = steps.length;
  if ((applied.get(adapter) ?? -1) >= wanted) return { applied: [] };
  const done = await appliedIds(db);
  let ran: string[] = [];
  if (!done || steps.some((s) => !done.has(s.id))) {
    ran = await withTransaction(db, async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${LOCK_KEY}, 0))`.execute(trx);
      await sql.raw(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(STRATA_SCHEMA)}`).execute(trx);
      await sql
        .raw(`CREATE TABLE IF NOT EXISTS ${strataTable('internal_migrations')} (
          id text PRIMARY KEY,
          applied_at timestamptz NOT NULL DEFAULT now())`)
        .execute(trx);
      const now = (await appliedIds(trx)) ?? new Set<string>();
      const list: string[] = [];
      for (const step of steps.slice(0, wanted)) {
        if (now.has(step.id)) continue;
        await step.up(trx);
        await sql`INSERT INTO ${sql.raw(strataTable('internal_migrations'))} (id) VALUES (${step.id})`.execute(trx);
        list.push(step.id);
      }
      return list;
    });
  }
  if (!db.isTransaction && !ambientTransaction(db)) applied.set(adapter, wanted);
  return { applied: ran };
}
