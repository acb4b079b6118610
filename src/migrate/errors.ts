import { defineErrorCodes } from '../db/index.js';

declare module '../db/index.js' {
  interface StrataErrorCodes {
    MIGRATION_INVALID: 'migrate';
    MIGRATION_CHECKSUM_MISMATCH: 'migrate';
    MIGRATION_STATE: 'migrate';
    MIGRATION_BUSY: 'migrate';
    MIGRATION_BLOCKED: 'migrate';
    MIGRATION_LINT: 'migrate';
  }
}

/** The migrate capability's error codes (operator errors: none reaches an HTTP client). */
export const MIGRATE_ERROR_CODES = defineErrorCodes('migrate', {
  MIGRATION_INVALID: { description: 'a migration declares an operation strata cannot run (unknown table or column, missing expression, bad SQL)' },
  MIGRATION_CHECKSUM_MISMATCH: { description: 'a migration recorded as applied was edited afterwards' },
  MIGRATION_STATE: { description: 'the ledger does not allow this now (no migration in progress, or another one is)' },
  MIGRATION_BUSY: { description: 'another runner holds the migration lock' },
  MIGRATION_BLOCKED: { description: 'a statement could not take its lock within lock_timeout after every retry; the blockers are in details' },
  MIGRATION_LINT: { description: 'SQL that would lock or rewrite a live table; the rule and the safe alternative are in the message' },
});
