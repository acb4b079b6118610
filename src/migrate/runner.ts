import { type Kysely, sql } from 'kysely';
import { behindPooler, ensureStrataSchema, isStrataError, StrataError, sessionRequired, withTransaction } from '../db/index.js';
import { type BackfillOptions, type BackfillProgress, DEFAULT_BACKFILL } from './backfill.js';
import { ddlGroup, executeStep } from './execute.js';
import { adoptKyselyLedger, type LedgerEntry, readLedger } from './ledger.js';
import { DEFAULT_LOCK_POLICY, type LockPolicy } from './locks.js';
import { checksumOf, isDeclarative, type NamedMigration } from './operations.js';
import { planMigration } from './plan.js';
import type { Phase, Plan, Step } from './steps.js';
import { LEDGER, STEPS } from './tables.js';

/** What a runner reports while it works. */
export type MigrationEvent =
  | { readonly type: 'step'; readonly migration: string; readonly phase: Phase; readonly index: number; readonly step: Step; readonly skipped: boolean }
  | { readonly type: 'backfill'; readonly migration: string; readonly progress: BackfillProgress }
  | { readonly type: 'lock-wait'; readonly migration: string; readonly step: string; readonly attempt: number; readonly blockers: string }
  | { readonly type: 'runner-wait'; readonly holder: string };

export interface RunOptions extends Partial<LockPolicy>, Partial<Omit<BackfillOptions, 'onProgress'>> {
  readonly onEvent?: (event: MigrationEvent) => void;
  /** Wait for another runner to finish (polling `pg_try_advisory_lock`); default true. False: MIGRATION_BUSY at once. */
  readonly wait?: boolean;
  /** Poll interval while another runner works; default 500 ms. */
  readonly pollMs?: number;
}

/** What a phase did. Like Kysely's migrator, a failure is returned, not thrown halfway. */
export interface RunResult {
  /** Migrations the call acted on, with the phase each reached. */
  readonly migrations: readonly { readonly name: string; readonly phase: Phase | 'applied' }[];
  readonly error?: StrataError;
}

const RUNNER_LOCK = 'strata.migrate.runner';

/**
 * Runs `work` on one session holding the runner lock. The lock is taken by polling
 * `pg_try_advisory_lock` (a blocking advisory lock would wait inside a statement, and a concurrent
 * index build of the runner that holds it waits for every running statement: a deadlock).
 */
async function withRunnerLock<DB, T>(db: Kysely<DB>, options: RunOptions, work: (session: Kysely<DB>) => Promise<T>): Promise<T> {
  // Through a transaction-mode pooler the lock would stay on whichever server connection took it,
  // the session timeouts would reach other clients, and the next statement may run elsewhere.
  if (behindPooler(db)) throw sessionRequired('the migration runner (its lock, session timeouts and concurrent index builds)');
  await ensureStrataSchema(db);
  return db.connection().execute(async (session) => {
    for (;;) {
      const { rows } = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(hashtextextended(${RUNNER_LOCK}, 0)) AS ok`.execute(session);
      if (rows[0]?.ok) break;
      if (options.wait === false) throw new StrataError('MIGRATION_BUSY', 'another strata migrate runner is working on this database');
      options.onEvent?.({ type: 'runner-wait', holder: 'another runner' });
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
    }
    try {
      return await work(session);
    } finally {
      await sql`SELECT pg_advisory_unlock(hashtextextended(${RUNNER_LOCK}, 0))`.execute(session).catch(() => undefined);
    }
  });
}

function policyOf(options: RunOptions, migration: string): LockPolicy {
  return {
    lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_POLICY.lockTimeoutMs,
    statementTimeoutMs: options.statementTimeoutMs ?? DEFAULT_LOCK_POLICY.statementTimeoutMs,
    maxAttempts: options.maxAttempts ?? DEFAULT_LOCK_POLICY.maxAttempts,
    onWait: (wait) =>
      options.onEvent?.({
        type: 'lock-wait',
        migration,
        step: wait.step,
        attempt: wait.attempt,
        blockers: wait.blockers.map((b) => `pid ${b.pid} (${b.state}: ${b.query})`).join('; ') || 'none now',
      }),
  };
}

function verifyChecksums(ledger: ReadonlyMap<string, LedgerEntry>, migrations: readonly NamedMigration[]): void {
  for (const { name, migration } of migrations) {
    const entry = ledger.get(name);
    if (!entry || entry.checksum === null || entry.state === 'rolled_back') continue;
    if (entry.checksum !== checksumOf(migration)) {
      throw new StrataError(
        'MIGRATION_CHECKSUM_MISMATCH',
        `migration ${name} was edited after it was applied (checksum differs): write a new migration instead`,
      );
    }
  }
}

async function runPhase<DB>(session: Kysely<DB>, name: string, phase: Phase, plan: Plan, options: RunOptions): Promise<void> {
  const { rows } = await sql<{ step: number }>`SELECT step FROM ${sql.raw(STEPS)} WHERE name = ${name} AND phase = ${phase} AND done_at IS NOT NULL`.execute(
    session,
  );
  const done = new Set(rows.map((r) => r.step));
  const steps = plan[phase];
  const ctx = {
    db: session,
    name,
    phase,
    policy: policyOf(options, name),
    backfill: {
      batchSize: options.batchSize ?? DEFAULT_BACKFILL.batchSize,
      throttleMs: options.throttleMs ?? DEFAULT_BACKFILL.throttleMs,
      yieldRatio: options.yieldRatio ?? DEFAULT_BACKFILL.yieldRatio,
      maxRowsPerSecond: options.maxRowsPerSecond ?? DEFAULT_BACKFILL.maxRowsPerSecond,
      onProgress: (progress: BackfillProgress) => options.onEvent?.({ type: 'backfill', migration: name, progress }),
    },
  };
  // Short DDL steps in a row (catalog changes, no scan) run as one transaction: one lock request on the table.
  const groupable = (index: number) => {
    const step = steps[index];
    return step?.kind === 'ddl' && step.long !== true && !done.has(index) ? step : undefined;
  };
  for (let index = 0; index < steps.length; index++) {
    const step = steps[index] as Step;
    const skipped = done.has(index);
    const group: { index: number; step: Extract<Step, { kind: 'ddl' }> }[] = [];
    for (let next = index, g = groupable(next); g; g = groupable(++next)) group.push({ index: next, step: g });
    if (group.length > 1) {
      for (const g of group) options.onEvent?.({ type: 'step', migration: name, phase, index: g.index, step: g.step, skipped: false });
      await ddlGroup(ctx, group);
      index += group.length - 1;
      continue;
    }
    options.onEvent?.({ type: 'step', migration: name, phase, index, step, skipped });
    if (!skipped) await executeStep(ctx, index, step);
  }
}

async function setState<DB>(db: Kysely<DB>, name: string, state: LedgerEntry['state']): Promise<void> {
  await sql`UPDATE ${sql.raw(LEDGER)} SET state = ${state}, completed_at = CASE WHEN ${state} = 'completed' THEN now() END WHERE name = ${name}`.execute(db);
}

/** The last completed declarative migration: the version the previous application runs. */
function previousVersion(ledger: ReadonlyMap<string, LedgerEntry>): string | undefined {
  const completed = [...ledger.values()].filter((e) => e.state === 'completed' && e.plan !== null);
  completed.sort((a, b) => (a.completedAt?.getTime() ?? 0) - (b.completedAt?.getTime() ?? 0));
  return completed.at(-1)?.name;
}

async function startOne<DB>(
  session: Kysely<DB>,
  named: NamedMigration,
  ledger: ReadonlyMap<string, LedgerEntry>,
  options: RunOptions,
): Promise<Phase | 'applied'> {
  const { name, migration } = named;
  if (!isDeclarative(migration)) {
    await withTransaction(session, async (trx) => {
      await migration.up(trx);
      await sql`INSERT INTO ${sql.raw(LEDGER)} (name, state, completed_at) VALUES (${name}, 'completed', now())
        ON CONFLICT (name) DO UPDATE SET state = 'completed', completed_at = now()`.execute(trx);
    });
    return 'applied';
  }
  let entry = ledger.get(name);
  if (!entry || entry.state === 'rolled_back' || entry.plan === null) {
    const plan = await planMigration(session, name, migration, previousVersion(ledger));
    await sql`DELETE FROM ${sql.raw(STEPS)} WHERE name = ${name}`.execute(session);
    await sql`INSERT INTO ${sql.raw(LEDGER)} (name, schema_name, checksum, state, plan) VALUES (${name}, ${plan.schema}, ${checksumOf(migration)}, 'starting', ${JSON.stringify(plan)}::jsonb)
      ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, state = 'starting', plan = EXCLUDED.plan, started_at = now(), completed_at = NULL`.execute(
      session,
    );
    entry = { name, checksum: checksumOf(migration), state: 'starting', plan, adopted: false, completedAt: null };
  }
  if (!entry.plan) throw new StrataError('MIGRATION_STATE', `${name} has no plan`);
  await runPhase(session, name, 'start', entry.plan, options);
  await setState(session, name, 'started');
  return 'start';
}

async function pending(session: Kysely<unknown>, migrations: readonly NamedMigration[]) {
  await adoptKyselyLedger(session, migrations);
  const ledger = await readLedger(session);
  verifyChecksums(ledger, migrations);
  const active = [...ledger.values()].filter((e) => e.state === 'starting' || e.state === 'started' || e.state === 'rolling_back');
  const next = migrations.filter((m) => {
    const e = ledger.get(m.name);
    return !e || e.state === 'rolled_back';
  });
  return { ledger, active: active[0], next };
}

async function guarded(work: () => Promise<RunResult>, acted: { name: string; phase: Phase | 'applied' }[]): Promise<RunResult> {
  try {
    return await work();
  } catch (err) {
    const error = isStrataError(err) ? err : new StrataError('DATABASE_ERROR', (err as Error).message, {}, { cause: err });
    return { migrations: acted, error };
  }
}

/**
 * Expand: runs the start phase of the next pending migration (code migrations before it are applied
 * whole), or resumes a start a killed run left unfinished. Afterwards both versions work: the
 * previous one on the tables as they were, the new one through its version schema
 * (`versionSchema(schema, name)`). One migration is in progress at a time.
 *
 * @example
 * const result = await startMigration(db, migrations, { onEvent: console.log });
 * if (result.error) throw result.error;
 */
export function startMigration<DB>(db: Kysely<DB>, migrations: readonly NamedMigration[], options: RunOptions = {}): Promise<RunResult> {
  const acted: { name: string; phase: Phase | 'applied' }[] = [];
  return guarded(
    () =>
      withRunnerLock(db, options, async (session) => {
        const s = session as Kysely<unknown>;
        let state = await pending(s, migrations);
        if (state.active && state.active.state !== 'starting' && state.next.length === 0) return { migrations: acted };
        if (state.active && state.active.state !== 'starting') {
          throw new StrataError('MIGRATION_STATE', `${state.active.name} is in progress: complete or roll it back first`);
        }
        if (state.active) {
          const named = migrations.find((m) => m.name === state.active?.name);
          if (!named) throw new StrataError('MIGRATION_STATE', `${state.active.name} is in progress but not among the migrations given`);
          acted.push({ name: named.name, phase: await startOne(s, named, state.ledger, options) });
          return { migrations: acted };
        }
        for (const named of state.next) {
          const phase = await startOne(s, named, state.ledger, options);
          acted.push({ name: named.name, phase });
          if (phase === 'start') break;
          state = await pending(s, migrations);
        }
        return { migrations: acted };
      }),
    acted,
  );
}

async function activeDeclarative(session: Kysely<unknown>, migrations: readonly NamedMigration[], wanted: string) {
  const { active, ledger } = await pending(session, migrations);
  if (!active) throw new StrataError('MIGRATION_STATE', `no migration is in progress: nothing to ${wanted}`);
  return { active, ledger };
}

/**
 * Contract: runs the complete phase of the migration in progress (old columns dropped, shadows
 * renamed into place, NOT NULL set, the previous version schema dropped). Clients of the previous
 * version must have moved to the new one first.
 *
 * @example
 * const result = await completeMigration(db, migrations);
 */
export function completeMigration<DB>(db: Kysely<DB>, migrations: readonly NamedMigration[], options: RunOptions = {}): Promise<RunResult> {
  const acted: { name: string; phase: Phase | 'applied' }[] = [];
  return guarded(
    () =>
      withRunnerLock(db, options, async (session) => {
        const s = session as Kysely<unknown>;
        const { active } = await activeDeclarative(s, migrations, 'complete');
        if (active.state === 'starting') throw new StrataError('MIGRATION_STATE', `${active.name} has not finished starting: run start again to resume it`);
        if (!active.plan) throw new StrataError('MIGRATION_STATE', `${active.name} has no plan`);
        await runPhase(s, active.name, 'complete', active.plan, options);
        await setState(s, active.name, 'completed');
        acted.push({ name: active.name, phase: 'complete' });
        return { migrations: acted };
      }),
    acted,
  );
}

/**
 * Undoes the start of the migration in progress (finished or not): its version schema, sync
 * triggers, shadow and added columns, indexes and constraints go; the previous version never
 * stopped working and keeps every row it wrote.
 *
 * @example
 * const result = await rollbackMigration(db, migrations);
 */
export function rollbackMigration<DB>(db: Kysely<DB>, migrations: readonly NamedMigration[], options: RunOptions = {}): Promise<RunResult> {
  const acted: { name: string; phase: Phase | 'applied' }[] = [];
  return guarded(
    () =>
      withRunnerLock(db, options, async (session) => {
        const s = session as Kysely<unknown>;
        const { active } = await activeDeclarative(s, migrations, 'roll back');
        if (!active.plan) throw new StrataError('MIGRATION_STATE', `${active.name} has no plan`);
        await setState(s, active.name, 'rolling_back');
        await runPhase(s, active.name, 'rollback', active.plan, options);
        await setState(s, active.name, 'rolled_back');
        await sql`DELETE FROM ${sql.raw(STEPS)} WHERE name = ${active.name}`.execute(s);
        acted.push({ name: active.name, phase: 'rollback' });
        return { migrations: acted };
      }),
    acted,
  );
}

/**
 * Applies every pending migration whole (start, then complete), resuming one in progress: for a
 * single instance, or a deployment whose old version is already gone (the reference service at start-up).
 *
 * @example
 * const result = await migrateToLatest(db, migrations);
 * if (result.error) throw result.error;
 */
export async function migrateToLatest<DB>(db: Kysely<DB>, migrations: readonly NamedMigration[], options: RunOptions = {}): Promise<RunResult> {
  const acted: { name: string; phase: Phase | 'applied' }[] = [];
  for (;;) {
    const started = await startMigration(db, migrations, options);
    acted.push(...started.migrations);
    if (started.error) return { migrations: acted, error: started.error };
    const state = await withRunnerLock(db, options, (session) => pending(session as Kysely<unknown>, migrations));
    if (!state.active) return { migrations: acted };
    const completed = await completeMigration(db, migrations, options);
    acted.push(...completed.migrations);
    if (completed.error) return { migrations: acted, error: completed.error };
  }
}
