import type { DialectCapabilities, Engine } from '../capabilities.js';

/** What a relation is, in engine-neutral words. */
export type RelationKind = 'table' | 'partitioned-table' | 'view' | 'materialized-view' | 'foreign-table' | 'other';

export interface ColumnInfo {
  readonly name: string;
  /** SQL type as the engine spells it, e.g. `bigint`, `text[]`, `timestamp with time zone`. */
  readonly type: string;
  readonly nullable: boolean;
  /** A DEFAULT expression (identity and generated columns are reported apart). */
  readonly hasDefault: boolean;
  /** The DEFAULT expression as the engine renders it (null without one). */
  readonly defaultExpression: string | null;
  /** An identity (PostgreSQL) or AUTO_INCREMENT (MariaDB) column: the database makes its values. */
  readonly identity: boolean;
  /** A generated (computed) column: never written to. */
  readonly generated: boolean;
}

export interface IndexInfo {
  readonly name: string;
  /** Key columns in index order; empty when the index is on expressions. */
  readonly columns: readonly string[];
  readonly unique: boolean;
  readonly primary: boolean;
  /** Some key is an expression rather than a column. */
  readonly expressions: boolean;
  /** The WHERE clause of a partial index, as the engine renders it (e.g. `(deleted_at IS NULL)`). */
  readonly predicate: string | null;
  /** The engine's own CREATE INDEX text (PostgreSQL), or null. */
  readonly definition: string | null;
  /** The constraint the index backs (primary key, unique, exclusion), if any. */
  readonly constraint: string | null;
  readonly constraintType: 'primary' | 'unique' | 'exclusion' | null;
  /** The backing constraint is DEFERRABLE (PostgreSQL's ON CONFLICT cannot use it as an arbiter). */
  readonly deferrable: boolean;
  /** False for an index a killed CREATE INDEX CONCURRENTLY left behind (PostgreSQL); unusable until dropped. */
  readonly valid: boolean;
}

export interface ForeignKey {
  readonly name: string;
  readonly columns: readonly string[];
  readonly referencedSchema: string;
  readonly referencedTable: string;
  readonly referencedColumns: readonly string[];
  /** False while added NOT VALID and not yet validated. */
  readonly validated: boolean;
}

export interface CheckConstraint {
  readonly name: string;
  readonly expression: string;
  readonly columns: readonly string[];
}

/**
 * Catalog look-ups every capability uses, one implementation per engine. `schema` undefined means
 * the connection's current schema (PostgreSQL) or database (MariaDB).
 *
 * @example
 * const catalog = introspect(db);
 * const key = await catalog.primaryKey('public', 'products'); // ['id']
 */
export interface Introspector {
  readonly engine: Engine;
  /** Server version and what the engine can do (read once per pool). */
  capabilities(): Promise<DialectCapabilities>;
  relationKind(schema: string | undefined, name: string): Promise<RelationKind | undefined>;
  /** Every table and view of a schema, by name. */
  relations(schema: string | undefined): Promise<{ readonly name: string; readonly kind: RelationKind }[]>;
  columns(schema: string | undefined, table: string): Promise<ColumnInfo[]>;
  primaryKey(schema: string | undefined, table: string): Promise<string[]>;
  indexes(schema: string | undefined, table: string): Promise<IndexInfo[]>;
  /** The columns a named constraint covers, in constraint order (empty when unknown). */
  constraintColumns(schema: string | undefined, table: string, constraint: string): Promise<string[]>;
  checkConstraints(schema: string | undefined, table: string): Promise<CheckConstraint[]>;
  /** Foreign keys declared on the table (its referencing side). */
  foreignKeys(schema: string | undefined, table: string): Promise<ForeignKey[]>;
  /**
   * Names the storage holding a table's rows, changing whenever rows written before may be gone:
   * PostgreSQL, its oid and relfilenode (and its partitions'), new after TRUNCATE, a rewrite
   * (VACUUM FULL, CLUSTER, a rewriting ALTER TABLE) or a drop and create; MariaDB, InnoDB's table
   * id, new after TRUNCATE or a drop and create (its creation time where the InnoDB catalog is not
   * readable). Undefined when there is no such table.
   */
  storageIdentity(schema: string | undefined, table: string): Promise<string | undefined>;
}
