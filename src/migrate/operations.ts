import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';

/** A column of `create_table` or `add_column`. Types, defaults and checks are SQL text. */
export interface ColumnDefinition {
  readonly name: string;
  readonly type: string;
  /** Default true. A NOT NULL column added to a live table needs a `default` or an `up` expression. */
  readonly nullable?: boolean;
  /** SQL expression, e.g. `0`, `'{}'`, `now()`. */
  readonly default?: string;
  readonly primaryKey?: boolean;
  readonly unique?: boolean;
  readonly check?: string;
  readonly references?: { readonly table: string; readonly column: string; readonly onDelete?: 'cascade' | 'restrict' | 'set null' | 'no action' };
}

/**
 * One declared change. Every operation has an expand part (`start`: backward compatible, the
 * previous application version keeps working) and a contract part (`complete`); `up` and `down`
 * are SQL expressions over the other version's column names, evaluated per row by the sync trigger
 * and the backfill.
 */
export type Operation =
  | { readonly op: 'create_table'; readonly table: string; readonly columns: readonly ColumnDefinition[] }
  | { readonly op: 'drop_table'; readonly table: string }
  | { readonly op: 'rename_table'; readonly from: string; readonly to: string }
  /** `up`: the new column's value for rows written by the previous version (and existing rows). */
  | { readonly op: 'add_column'; readonly table: string; readonly column: ColumnDefinition; readonly up?: string }
  /** Hidden from the new version at start, dropped at complete. `down`: its value for rows the new version inserts. */
  | { readonly op: 'drop_column'; readonly table: string; readonly column: string; readonly down?: string }
  | { readonly op: 'rename_column'; readonly table: string; readonly from: string; readonly to: string }
  /**
   * Type change (and optional rename) through a shadow column kept in sync both ways and
   * backfilled in batches. `up` converts old to new (default a cast), `down` new to old.
   */
  | {
      readonly op: 'alter_column';
      readonly table: string;
      readonly column: string;
      readonly type: string;
      readonly rename?: string;
      readonly up?: string;
      readonly down?: string;
    }
  /** `up` replaces NULLs (existing rows and writes of the previous version). */
  | { readonly op: 'set_not_null'; readonly table: string; readonly column: string; readonly up?: string }
  | { readonly op: 'drop_not_null'; readonly table: string; readonly column: string }
  | { readonly op: 'set_default'; readonly table: string; readonly column: string; readonly default: string | null }
  | { readonly op: 'add_check'; readonly table: string; readonly name: string; readonly expression: string }
  | { readonly op: 'add_unique'; readonly table: string; readonly name: string; readonly columns: readonly string[] }
  | {
      readonly op: 'add_foreign_key';
      readonly table: string;
      readonly name: string;
      readonly columns: readonly string[];
      readonly references: { readonly table: string; readonly columns: readonly string[] };
      readonly onDelete?: 'cascade' | 'restrict' | 'set null' | 'no action';
    }
  | { readonly op: 'drop_constraint'; readonly table: string; readonly name: string }
  | {
      readonly op: 'create_index';
      readonly table: string;
      readonly name: string;
      readonly columns: readonly string[];
      readonly unique?: boolean;
      readonly where?: string;
      readonly method?: string;
    }
  | { readonly op: 'drop_index'; readonly table: string; readonly name: string }
  /** Raw SQL, linted: `up` runs at start, `down` at rollback, `complete` at complete. */
  | { readonly op: 'sql'; readonly up: string; readonly down?: string; readonly complete?: string };

/** A declarative migration: operations run in phases by strata's runner. */
export interface Migration {
  readonly operations: readonly Operation[];
  /** Schema of the tables (default `public`). */
  readonly schema?: string;
}

/**
 * A code migration (Kysely's `{ up }` shape): runs in one transaction at start, nothing at
 * complete. How a database migrated by Kysely's Migrator keeps its history in strata's ledger.
 */
export interface CodeMigration {
  // biome-ignore lint/suspicious/noExplicitAny: a code migration runs on whatever database it is given
  up(db: Kysely<any>): Promise<void>;
}

export type AnyMigration = Migration | CodeMigration;

/** A migration with its name (the ledger's key; never changes once applied). */
export interface NamedMigration {
  readonly name: string;
  readonly migration: AnyMigration;
}

/**
 * Declares a migration (identity function that type-checks the operations).
 *
 * @example
 * export default defineMigration({
 *   operations: [
 *     { op: 'rename_column', table: 'products', from: 'supplier_ref', to: 'supplier_code' },
 *     { op: 'alter_column', table: 'products', column: 'stock', type: 'bigint' },
 *   ],
 * });
 */
export function defineMigration(migration: Migration): Migration {
  return migration;
}

export const isDeclarative = (m: AnyMigration): m is Migration => 'operations' in m;

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of a declarative migration's operations (key order ignored); null for a code migration. */
export function checksumOf(migration: AnyMigration): string | null {
  if (!isDeclarative(migration)) return null;
  return createHash('sha256')
    .update(canonical({ schema: migration.schema ?? 'public', operations: migration.operations }))
    .digest('hex');
}
