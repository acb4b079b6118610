import { type Kysely, sql } from 'kysely';
import { type DialectCapabilities, mariadbCapabilities } from '../capabilities.js';
import type { CheckConstraint, ForeignKey, IndexInfo, Introspector, RelationKind } from './types.js';

const KINDS: Readonly<Record<string, RelationKind>> = { 'BASE TABLE': 'table', VIEW: 'view', 'SYSTEM VERSIONED': 'table' };

const schemaOf = (schema: string | undefined) => (schema === undefined ? sql`DATABASE()` : sql`${schema}`);

export async function mariadbVersion<DB>(db: Kysely<DB>): Promise<DialectCapabilities> {
  const { rows } = await sql<{ version: string }>`SELECT VERSION() AS version`.execute(db);
  return mariadbCapabilities(rows[0]?.version ?? '');
}

/** MariaDB's information_schema. */
export function mariadbIntrospector<DB>(db: Kysely<DB>, capabilities: () => Promise<DialectCapabilities>): Introspector {
  const catalog: Introspector = {
    engine: 'mariadb',
    capabilities,
    async relationKind(schema, name) {
      const { rows } = await sql<{ kind: string }>`
        SELECT table_type AS kind FROM information_schema.tables WHERE table_schema = ${schemaOf(schema)} AND table_name = ${name}`.execute(db);
      const kind = rows[0]?.kind;
      return kind === undefined ? undefined : (KINDS[kind] ?? 'other');
    },
    async relations(schema) {
      const { rows } = await sql<{ name: string; kind: string }>`
        SELECT table_name AS name, table_type AS kind FROM information_schema.tables WHERE table_schema = ${schemaOf(schema)} ORDER BY table_name`.execute(db);
      return rows.map((r) => ({ name: r.name, kind: KINDS[r.kind] ?? 'other' }));
    },
    async storageIdentity(schema, table) {
      const { rows } = await sql<{ created: string | null; name: string }>`
        SELECT CONCAT(COALESCE(create_time, '')) AS created, CONCAT(table_schema, '/', table_name) AS name
          FROM information_schema.tables WHERE table_schema = ${schemaOf(schema)} AND table_name = ${table} AND table_type <> 'VIEW'`.execute(db);
      const found = rows[0];
      if (!found) return undefined;
      // InnoDB's table id is new after TRUNCATE (the creation time is not); reading it needs the PROCESS privilege.
      const innodb = await sql<{ id: string }>`SELECT CONCAT(table_id) AS id FROM information_schema.innodb_sys_tables WHERE name = ${found.name}`
        .execute(db)
        .then((r) => r.rows[0]?.id)
        .catch(() => undefined);
      return innodb === undefined ? `created ${found.created ?? ''}` : `innodb ${innodb}`;
    },
    async columns(schema, table) {
      const { rows } = await sql<{
        name: string;
        type: string;
        nullable: string;
        has_default: number;
        default_expression: string | null;
        identity: number;
        generated: number;
      }>`
        SELECT column_name AS name, column_type AS type, is_nullable AS nullable,
               CASE WHEN column_default IS NULL OR column_default = 'NULL' THEN NULL ELSE column_default END AS default_expression,
               (column_default IS NOT NULL AND column_default <> 'NULL') AS has_default, (extra LIKE '%auto_increment%') AS identity,
               (extra LIKE '%GENERATED%' OR is_generated = 'ALWAYS') AS generated
          FROM information_schema.columns WHERE table_schema = ${schemaOf(schema)} AND table_name = ${table}
         ORDER BY ordinal_position`.execute(db);
      return rows.map((r) => ({
        name: r.name,
        type: r.type,
        nullable: r.nullable === 'YES',
        hasDefault: Number(r.has_default) === 1,
        defaultExpression: r.default_expression,
        identity: Number(r.identity) === 1,
        generated: Number(r.generated) === 1,
      }));
    },
    async primaryKey(schema, table) {
      const primary = (await catalog.indexes(schema, table)).find((i) => i.primary);
      return primary ? [...primary.columns] : [];
    },
    async indexes(schema, table) {
      const { rows } = await sql<{ name: string; column_name: string | null; non_unique: number; expression: string | null }>`
        SELECT index_name AS name, column_name, non_unique, NULL AS expression
          FROM information_schema.statistics WHERE table_schema = ${schemaOf(schema)} AND table_name = ${table}
         ORDER BY index_name, seq_in_index`.execute(db);
      const byName = new Map<string, { columns: (string | null)[]; unique: boolean }>();
      for (const r of rows) {
        const entry = byName.get(r.name) ?? { columns: [], unique: Number(r.non_unique) === 0 };
        entry.columns.push(r.column_name);
        byName.set(r.name, entry);
      }
      return [...byName].map(([name, { columns, unique }]): IndexInfo => {
        const expressions = columns.some((c) => c === null);
        const primary = name === 'PRIMARY';
        return {
          name,
          columns: expressions ? [] : (columns as string[]),
          unique,
          primary,
          expressions,
          predicate: null,
          definition: null,
          constraint: unique ? name : null,
          constraintType: primary ? 'primary' : unique ? 'unique' : null,
          deferrable: false,
          valid: true,
        };
      });
    },
    async constraintColumns(schema, table, constraint) {
      const { rows } = await sql<{ column: string }>`
        SELECT column_name AS \`column\` FROM information_schema.key_column_usage
         WHERE table_schema = ${schemaOf(schema)} AND table_name = ${table} AND constraint_name = ${constraint}
         ORDER BY ordinal_position`.execute(db);
      return rows.map((r) => r.column);
    },
    async checkConstraints(schema, table) {
      const { rows } = await sql<{ name: string; expression: string }>`
        SELECT constraint_name AS name, check_clause AS expression FROM information_schema.check_constraints
         WHERE constraint_schema = ${schemaOf(schema)} AND table_name = ${table} ORDER BY constraint_name`.execute(db);
      const names = (await catalog.columns(schema, table)).map((c) => c.name);
      return rows.map((r): CheckConstraint => ({ name: r.name, expression: r.expression, columns: names.filter((n) => r.expression.includes(`\`${n}\``)) }));
    },
    async foreignKeys(schema, table) {
      const { rows } = await sql<{ name: string; column: string; ref_schema: string; ref_table: string; ref_column: string }>`
        SELECT constraint_name AS name, column_name AS \`column\`, referenced_table_schema AS ref_schema, referenced_table_name AS ref_table,
               referenced_column_name AS ref_column
          FROM information_schema.key_column_usage
         WHERE table_schema = ${schemaOf(schema)} AND table_name = ${table} AND referenced_table_name IS NOT NULL
         ORDER BY constraint_name, ordinal_position`.execute(db);
      const byName = new Map<string, { columns: string[]; referencedSchema: string; referencedTable: string; referencedColumns: string[] }>();
      for (const r of rows) {
        const entry = byName.get(r.name) ?? { columns: [], referencedSchema: r.ref_schema, referencedTable: r.ref_table, referencedColumns: [] };
        entry.columns.push(r.column);
        entry.referencedColumns.push(r.ref_column);
        byName.set(r.name, entry);
      }
      return [...byName].map(([name, fk]): ForeignKey => ({ name, ...fk, validated: true }));
    },
  };
  return catalog;
}
