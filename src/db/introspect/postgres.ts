import { CompiledQuery, type Kysely, sql } from 'kysely';
import { type DialectCapabilities, postgresCapabilities } from '../capabilities.js';
import type { CheckConstraint, ColumnInfo, ForeignKey, IndexInfo, Introspector, RelationKind } from './types.js';

const KINDS: Readonly<Record<string, RelationKind>> = { r: 'table', p: 'partitioned-table', v: 'view', m: 'materialized-view', f: 'foreign-table' };
const CONSTRAINT_TYPES: Readonly<Record<string, IndexInfo['constraintType']>> = { p: 'primary', u: 'unique', x: 'exclusion' };

/** The relation `schema.name` (current schema when undefined) as a regclass-safe pair of predicates. */
const where = (schema: string | undefined, name: string) =>
  sql`n.nspname = ${schema === undefined ? sql`current_schema()` : sql`${schema}`} AND c.relname = ${name}`;

/**
 * SQL reading a table's storage identity: its oid and relfilenode, and those of its leaf partitions
 * (a partitioned table). TRUNCATE, VACUUM FULL, CLUSTER and a rewriting ALTER TABLE give the table
 * a new relfilenode, dropping and creating it a new oid, so the identity changes whenever the rows
 * a process wrote earlier may be gone. `schema` and `table` are the placeholders of the statement
 * it is part of (`$1`); a null schema means the current schema. No row when the table is missing.
 */
export const storageIdentitySql = (schema: string, table: string): string =>
  `SELECT c.oid::text || ':' || c.relfilenode::text || coalesce((SELECT string_agg(',' || p.oid::text || ':' || p.relfilenode::text, '' ORDER BY p.oid)
     FROM pg_partition_tree(c.oid) t JOIN pg_class p ON p.oid = t.relid WHERE t.isleaf), '') AS identity
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = coalesce(${schema}::text, current_schema()) AND c.relname = ${table}::text AND c.relkind IN ('r', 'p')`;

export async function postgresVersion<DB>(db: Kysely<DB>): Promise<DialectCapabilities> {
  const { rows } = await sql<{ num: string; version: string }>`
    SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version`.execute(db);
  return postgresCapabilities(Number(rows[0]?.num ?? 0), rows[0]?.version ?? '');
}

/** PostgreSQL's catalogs (pg_class, pg_attribute, pg_index, pg_constraint). */
export function postgresIntrospector<DB>(db: Kysely<DB>, capabilities: () => Promise<DialectCapabilities>): Introspector {
  const catalog: Introspector = {
    engine: 'postgres',
    capabilities,
    async relationKind(schema, name) {
      const { rows } = await sql<{ kind: string }>`
        SELECT c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${where(schema, name)}`.execute(db);
      const kind = rows[0]?.kind;
      return kind === undefined ? undefined : (KINDS[kind] ?? 'other');
    },
    async relations(schema) {
      const { rows } = await sql<{ name: string; kind: string }>`
        SELECT c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ${schema === undefined ? sql`current_schema()` : sql`${schema}`} AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
         ORDER BY c.relname`.execute(db);
      return rows.map((r) => ({ name: r.name, kind: KINDS[r.kind] ?? 'other' }));
    },
    async columns(schema, table) {
      const { rows } = await sql<ColumnInfo>`
        SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
               a.atthasdef AND a.attgenerated = '' AS "hasDefault",
               CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS "defaultExpression", a.attidentity <> '' AS identity, a.attgenerated <> '' AS generated
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE ${where(schema, table)} AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY a.attnum`.execute(db);
      return rows;
    },
    async primaryKey(schema, table) {
      const primary = (await catalog.indexes(schema, table)).find((i) => i.primary);
      return primary ? [...primary.columns] : [];
    },
    async indexes(schema, table) {
      const { rows } = await sql<{
        name: string;
        columns: (string | null)[];
        unique: boolean;
        primary: boolean;
        predicate: string | null;
        definition: string;
        constraint: string | null;
        constraint_type: string | null;
        deferrable: boolean | null;
        valid: boolean;
      }>`
        SELECT ic.relname AS name, i.indisunique AS unique, i.indisprimary AS primary,
               pg_get_expr(i.indpred, i.indrelid) AS predicate, pg_get_indexdef(i.indexrelid) AS definition,
               con.conname AS constraint, con.contype::text AS constraint_type, con.condeferrable AS deferrable, i.indisvalid AS valid,
               ARRAY(SELECT a.attname::text FROM unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
                       LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
          FROM pg_index i
          JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_class ic ON ic.oid = i.indexrelid
          LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = c.oid
         WHERE ${where(schema, table)}
         ORDER BY ic.relname`.execute(db);
      return rows.map((r) => {
        const expressions = r.columns.some((c) => c === null);
        return {
          name: r.name,
          columns: expressions ? [] : (r.columns as string[]),
          unique: r.unique,
          primary: r.primary,
          expressions,
          predicate: r.predicate,
          definition: r.definition,
          constraint: r.constraint,
          constraintType: r.constraint_type === null ? null : (CONSTRAINT_TYPES[r.constraint_type] ?? null),
          deferrable: r.deferrable === true,
          valid: r.valid,
        };
      });
    },
    async constraintColumns(schema, table, constraint) {
      const { rows } = await sql<{ column: string }>`
        SELECT a.attname AS column
          FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) ON true
          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
         WHERE ${where(schema, table)} AND con.conname = ${constraint}
         ORDER BY k.ord`.execute(db);
      return rows.map((r) => r.column);
    },
    async storageIdentity(schema, table) {
      const { rows } = await db.executeQuery<{ identity: string }>(CompiledQuery.raw(storageIdentitySql('$1', '$2'), [schema ?? null, table]));
      return rows[0]?.identity;
    },
    async checkConstraints(schema, table) {
      const { rows } = await sql<CheckConstraint>`
        SELECT con.conname AS name, pg_get_expr(con.conbin, con.conrelid) AS expression,
               ARRAY(SELECT a.attname::text FROM unnest(con.conkey) AS k(attnum)
                       JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY a.attnum) AS columns
          FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE ${where(schema, table)} AND con.contype = 'c'
         ORDER BY con.conname`.execute(db);
      return rows;
    },
    async foreignKeys(schema, table) {
      const { rows } = await sql<ForeignKey>`
        SELECT con.conname AS name, rn.nspname AS "referencedSchema", rc.relname AS "referencedTable", con.convalidated AS validated,
               ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                       JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
               ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                       JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS "referencedColumns"
          FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
         WHERE ${where(schema, table)} AND con.contype = 'f'
         ORDER BY con.conname`.execute(db);
      return rows;
    },
  };
  return catalog;
}
