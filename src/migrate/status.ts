import { type Kysely, sql } from 'kysely';
import { introspect, STRATA_SCHEMA } from '../db/index.js';
import { type LedgerEntry, readLedger } from './ledger.js';
import { checksumOf, type NamedMigration } from './operations.js';
import { STEPS } from './tables.js';

export interface MigrationStatus {
  readonly name: string;
  /** `pending`: not in the ledger; `unknown`: in the ledger, not among the migrations given. */
  readonly state: LedgerEntry['state'] | 'pending' | 'unknown';
  readonly adopted: boolean;
  /** False when an applied declarative migration was edited since. */
  readonly checksumMatches: boolean;
  /** Steps of the phase in progress: done / total. */
  readonly steps?: { readonly phase: string; readonly done: number; readonly total: number };
  /** Rows visited by the backfill of the phase in progress. */
  readonly backfilledRows?: number;
}

/**
 * Every migration, applied or not, with its state and the progress of one in progress. Reads
 * only: on a database strata never touched, every migration is `pending` and nothing is created.
 *
 * @example
 * for (const m of await migrationStatus(db, migrations)) console.log(m.name, m.state);
 */
export async function migrationStatus<DB>(db: Kysely<DB>, migrations: readonly NamedMigration[]): Promise<MigrationStatus[]> {
  const ready = (await introspect(db).relationKind(STRATA_SCHEMA, 'migration_steps')) === 'table';
  const ledger = ready ? await readLedger(db) : new Map<string, LedgerEntry>();
  const progress = ready
    ? (
        await sql<{ name: string; phase: string; done: string; rows: string }>`
        SELECT name, phase, count(*) FILTER (WHERE done_at IS NOT NULL) AS done, sum(rows) AS rows FROM ${sql.raw(STEPS)} GROUP BY name, phase`.execute(db)
      ).rows
    : [];
  const out: MigrationStatus[] = migrations.map(({ name, migration }) => {
    const entry = ledger.get(name);
    if (!entry) return { name, state: 'pending', adopted: false, checksumMatches: true };
    const phase =
      entry.state === 'rolling_back'
        ? 'rollback'
        : entry.state === 'starting' || entry.state === 'started'
          ? entry.state === 'started'
            ? 'complete'
            : 'start'
          : undefined;
    const row = phase ? progress.find((p) => p.name === name && p.phase === phase) : undefined;
    const total = phase && entry.plan ? entry.plan[phase as 'start' | 'complete' | 'rollback'].length : 0;
    return {
      name,
      state: entry.state,
      adopted: entry.adopted,
      checksumMatches: entry.checksum === null || entry.checksum === checksumOf(migration),
      ...(phase ? { steps: { phase, done: Number(row?.done ?? 0), total } } : {}),
      ...(row && Number(row.rows) > 0 ? { backfilledRows: Number(row.rows) } : {}),
    };
  });
  for (const entry of ledger.values()) {
    if (!migrations.some((m) => m.name === entry.name)) out.push({ name: entry.name, state: 'unknown', adopted: entry.adopted, checksumMatches: true });
  }
  return out;
}
