import { type Kysely, sql } from 'kysely';
import { introspect } from '../db/index.js';
import { checksumOf, type NamedMigration } from './operations.js';
import type { Plan } from './steps.js';
import { LEDGER } from './tables.js';

/** A migration's row in the ledger. */
export interface LedgerEntry {
  readonly name: string;
  /** sha256 of a declarative migration's operations; null for a code migration. */
  readonly checksum: string | null;
  readonly state: 'starting' | 'started' | 'completed' | 'rolling_back' | 'rolled_back';
  readonly plan: Plan | null;
  /** Taken over from Kysely's migrator (recorded, never run by strata). */
  readonly adopted: boolean;
  readonly completedAt: Date | null;
}

export async function readLedger<DB>(db: Kysely<DB>): Promise<Map<string, LedgerEntry>> {
  const { rows } = await sql<{
    name: string;
    checksum: string | null;
    state: LedgerEntry['state'];
    plan: Plan | null;
    adopted: boolean;
    completed_at: Date | null;
  }>`
    SELECT name, checksum, state, plan, adopted, completed_at FROM ${sql.raw(LEDGER)} ORDER BY started_at, name`.execute(db);
  return new Map(
    rows.map((r) => [r.name, { name: r.name, checksum: r.checksum, state: r.state, plan: r.plan, adopted: r.adopted, completedAt: r.completed_at }]),
  );
}

/**
 * A database migrated by Kysely's Migrator keeps its history: every migration its
 * `kysely_migration` table lists is recorded as completed (adopted), so nothing runs again.
 */
export async function adoptKyselyLedger<DB>(db: Kysely<DB>, migrations: readonly NamedMigration[]): Promise<string[]> {
  if ((await introspect(db).relationKind(undefined, 'kysely_migration')) !== 'table') return [];
  const { rows } = await sql<{ name: string; timestamp: string }>`SELECT name, timestamp FROM kysely_migration ORDER BY timestamp, name`.execute(db);
  const adopted: string[] = [];
  for (const row of rows) {
    const known = migrations.find((m) => m.name === row.name);
    const result = await sql`
      INSERT INTO ${sql.raw(LEDGER)} (name, checksum, state, adopted, started_at, completed_at)
      VALUES (${row.name}, ${known ? checksumOf(known.migration) : null}, 'completed', true, ${row.timestamp}::timestamptz, ${row.timestamp}::timestamptz)
      ON CONFLICT (name) DO NOTHING`.execute(db);
    if (Number(result.numAffectedRows ?? 0n) > 0) adopted.push(row.name);
  }
  return adopted;
}
