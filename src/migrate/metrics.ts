import { defineCounter } from '../db/index.js';

/** `strata_migration_steps_total{phase}`: migration steps finished (start, complete, rollback). */
export const MIGRATION_STEPS = defineCounter({ name: 'strata_migration_steps_total', help: 'Migration steps finished, by phase.', labelNames: ['phase'] });

/** `strata_migration_backfill_rows_total{table}`: rows rewritten by migration backfills. */
export const MIGRATION_BACKFILL_ROWS = defineCounter({
  name: 'strata_migration_backfill_rows_total',
  help: 'Rows written by migration backfills, by table.',
  labelNames: ['table'],
});

/** `strata_migration_lock_waits_total{phase}`: statements that hit lock_timeout and were retried. */
export const MIGRATION_LOCK_WAITS = defineCounter({
  name: 'strata_migration_lock_waits_total',
  help: 'Migration statements that gave up waiting for a lock (lock_timeout) and were retried, by phase.',
  labelNames: ['phase'],
});
