/** A column of a version's view: the physical column and the name the version shows it under. */
export interface ViewColumn {
  readonly physical: string;
  readonly as: string;
}

/** How a migration's version shows one table (tables it does not touch are shown as they are). */
export interface TableView {
  /** The table's name before the migration (the live view's name under soft deletes). */
  readonly table: string;
  /** Its name in the new version (differs after `rename_table`). */
  readonly name: string;
  /** Shown columns in order; undefined: every physical column under its own name. */
  readonly columns?: readonly ViewColumn[];
  /** Defaults of the view's columns (new columns whose physical default waits for complete). */
  readonly defaults?: readonly { readonly column: string; readonly expression: string }[];
  /** The new version does not show the table (`drop_table`). */
  readonly hidden?: boolean;
}

/** One column value a backfill computes, as an SQL expression over the table's physical columns. */
export interface BackfillAssignment {
  readonly column: string;
  readonly expression: string;
}

/**
 * One recorded step of a phase. Steps are idempotent and recorded when done (a transactional
 * step in its own transaction), so a killed run resumes at the first step not recorded.
 */
export type Step =
  | {
      readonly kind: 'ddl';
      readonly description: string;
      /** Run in one transaction under lock_timeout, retried whole. */
      readonly statements: readonly string[];
      /** No statement_timeout (VALIDATE CONSTRAINT scans the table without blocking writes). */
      readonly long?: boolean;
      /** Soft-delete table whose views are dropped before and recreated after the statements, in the same transaction. */
      readonly softDelete?: { readonly schema: string; readonly table: string };
      /** Columns renamed, recorded for history reads in the same transaction. */
      readonly renames?: readonly { readonly schema: string; readonly table: string; readonly from: string; readonly to: string }[];
      /** History tables whose trigger functions are recreated in the same transaction. */
      readonly refreshHistory?: readonly { readonly schema: string; readonly table: string }[];
    }
  | {
      readonly kind: 'concurrent';
      readonly description: string;
      /** CREATE or DROP INDEX CONCURRENTLY (outside a transaction). */
      readonly statement: string;
      readonly index: { readonly schema: string; readonly table: string; readonly name: string };
      readonly drop?: boolean;
    }
  | {
      readonly kind: 'backfill';
      readonly description: string;
      readonly schema: string;
      /** The physical table (the base under soft deletes). */
      readonly table: string;
      readonly key: string;
      readonly assignments: readonly BackfillAssignment[];
    }
  | {
      readonly kind: 'views';
      readonly description: string;
      readonly schema: string;
      /** The version schema to (re)create. */
      readonly version: string;
      readonly tables: readonly TableView[];
    };

/** A migration's steps per phase, computed once at the first start and stored in the ledger. */
export interface Plan {
  readonly schema: string;
  readonly version: string;
  readonly start: readonly Step[];
  readonly complete: readonly Step[];
  readonly rollback: readonly Step[];
}

export type Phase = 'start' | 'complete' | 'rollback';
