import { type Kysely, sql } from 'kysely';
import { introspect, quoteIdent as q } from '../db/index.js';
import { enableHistory, recordColumnRename } from '../history/index.js';
import { alterSoftDeleteTable } from '../softdelete/index.js';
import { type BackfillOptions, runBackfill } from './backfill.js';
import { type LockPolicy, lockedTransaction, relationsOf, retryOnLockTimeout } from './locks.js';
import { MIGRATION_STEPS } from './metrics.js';
import { withSessionSettings } from './session-settings.js';
import type { Phase, Step } from './steps.js';
import { STEPS } from './tables.js';
import { renderVersionViews } from './views.js';

export interface StepContext<DB> {
  /** One session: the runner's advisory lock and concurrent index builds need it. */
  readonly db: Kysely<DB>;
  readonly name: string;
  readonly phase: Phase;
  readonly policy: LockPolicy;
  readonly backfill: BackfillOptions;
}

const run = <DB>(db: Kysely<DB>, text: string) => sql.raw(text).execute(db);

async function markDone<DB>(db: Kysely<DB>, name: string, phase: Phase, index: number): Promise<void> {
  await sql`
    INSERT INTO ${sql.raw(STEPS)} (name, phase, step, done_at) VALUES (${name}, ${phase}, ${index}, now())
    ON CONFLICT (name, phase, step) DO UPDATE SET done_at = now()`.execute(db);
}

type DdlStep = Extract<Step, { kind: 'ddl' }>;

/** A DDL step's statements (and the soft-delete views, history renames and triggers around them) inside `trx`. */
async function applyDdl<DB>(trx: Kysely<DB>, step: DdlStep): Promise<void> {
  const statements = async (t: Kysely<DB>) => {
    for (const statement of step.statements) await run(t, statement);
  };
  if (step.softDelete) await alterSoftDeleteTable(trx, step.softDelete.table, statements, step.softDelete.schema);
  else await statements(trx);
  for (const rename of step.renames ?? []) await recordColumnRename(trx, rename);
  for (const table of step.refreshHistory ?? []) {
    if ((await introspect(trx).relationKind(table.schema, `${table.table}_history`)) === 'table') await enableHistory(trx, table);
  }
}

/**
 * Consecutive short DDL steps (no table scan) in one transaction: the table's lock is requested
 * once, not once per step. Each lock request queues the application's statements on the table
 * until the transactions running on it end, so N steps in a row meant N such queues; now one.
 * Every step is still recorded (in that transaction): a killed run redoes the group or none of it.
 */
export async function ddlGroup<DB>(ctx: StepContext<DB>, group: readonly { readonly index: number; readonly step: DdlStep }[]): Promise<void> {
  const relations = await relationsOf(group.flatMap((g) => g.step.statements));
  const long = group.some((g) => g.step.long === true);
  await retryOnLockTimeout(ctx.db, group.map((g) => g.step.description).join('; '), relations, ctx.policy, ctx.phase, () =>
    lockedTransaction(ctx.db, ctx.policy, long, async (trx) => {
      for (const { index, step } of group) {
        await applyDdl(trx, step);
        await markDone(trx, ctx.name, ctx.phase, index);
      }
    }),
  );
  MIGRATION_STEPS.record({ phase: ctx.phase }, group.length);
}

async function ddlStep<DB>(ctx: StepContext<DB>, index: number, step: DdlStep): Promise<void> {
  const relations = await relationsOf(step.statements);
  await retryOnLockTimeout(ctx.db, step.description, relations, ctx.policy, ctx.phase, () =>
    lockedTransaction(ctx.db, ctx.policy, step.long === true, async (trx) => {
      await applyDdl(trx, step);
      await markDone(trx, ctx.name, ctx.phase, index);
    }),
  );
}

async function concurrentStep<DB>(ctx: StepContext<DB>, index: number, step: Extract<Step, { kind: 'concurrent' }>): Promise<void> {
  const { schema, table, name } = step.index;
  const find = async () => (await introspect(ctx.db).indexes(schema, table)).find((i) => i.name === name);
  await retryOnLockTimeout(ctx.db, step.description, await relationsOf([step.statement]), ctx.policy, ctx.phase, async () => {
    const existing = await find();
    if (!step.drop && existing?.valid) return;
    // An invalid index is what a killed (or timed-out) concurrent build leaves: drop it, build again.
    if (!step.drop && existing && !existing.valid)
      await withSessionTimeouts(ctx, () => run(ctx.db, `DROP INDEX CONCURRENTLY IF EXISTS ${q(schema)}.${q(name)}`));
    if (step.drop && !existing) return;
    await withSessionTimeouts(ctx, () => run(ctx.db, step.statement));
  });
  await markDone(ctx.db, ctx.name, ctx.phase, index);
}

/** Session-level timeouts around a statement that cannot run in a transaction block. */
function withSessionTimeouts<DB, T>(ctx: StepContext<DB>, fn: () => Promise<T>): Promise<T> {
  return withSessionSettings(ctx.db, { lock_timeout: `${ctx.policy.lockTimeoutMs}ms`, statement_timeout: '0' }, fn);
}

async function viewsStep<DB>(ctx: StepContext<DB>, index: number, step: Extract<Step, { kind: 'views' }>): Promise<void> {
  await retryOnLockTimeout(ctx.db, step.description, [], ctx.policy, ctx.phase, () =>
    lockedTransaction(ctx.db, ctx.policy, false, async (trx) => {
      for (const statement of await renderVersionViews(trx, step.schema, step.version, step.tables)) await run(trx, statement);
      await markDone(trx, ctx.name, ctx.phase, index);
    }),
  );
}

/** Runs one step (already known not done) and records it. */
export async function executeStep<DB>(ctx: StepContext<DB>, index: number, step: Step): Promise<void> {
  switch (step.kind) {
    case 'ddl':
      await ddlStep(ctx, index, step);
      break;
    case 'concurrent':
      await concurrentStep(ctx, index, step);
      break;
    case 'backfill':
      await runBackfill(ctx.db, ctx.name, index, step, ctx.policy, ctx.backfill);
      await markDone(ctx.db, ctx.name, ctx.phase, index);
      break;
    case 'views':
      await viewsStep(ctx, index, step);
      break;
  }
  MIGRATION_STEPS.record({ phase: ctx.phase }, 1);
}
