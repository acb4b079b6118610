import './tables.js';

export { type BackfillOptions, type BackfillProgress, DEFAULT_BACKFILL } from './backfill.js';
export { MIGRATE_ERROR_CODES } from './errors.js';
export type { LedgerEntry } from './ledger.js';
export { type LintFinding, lintSql, lockOf } from './lint.js';
export { loadMigrations, MIGRATION_TEMPLATE, nextMigrationFile } from './load.js';
export type { Blocker, LockPolicy } from './locks.js';
export { versionSchema } from './names.js';
export {
  type AnyMigration,
  type CodeMigration,
  type ColumnDefinition,
  checksumOf,
  defineMigration,
  isDeclarative,
  type Migration,
  type NamedMigration,
  type Operation,
} from './operations.js';
export { planMigration } from './plan.js';
export { completeMigration, type MigrationEvent, migrateToLatest, type RunOptions, type RunResult, rollbackMigration, startMigration } from './runner.js';
export { type MigrationStatus, migrationStatus } from './status.js';
export type { Phase, Plan, Step } from './steps.js';
