import { type Kysely, sql } from 'kysely';
import type { ReferentialAction } from './define.js';

type ColumnExtra = { identity: 'always' | 'by default' | null; generated: string | null };
type IndexKeys = { keys: ({ column: string } | { expression: string })[]; using: string };
type FkActions = { onDelete: ReferentialAction; onUpdate: ReferentialAction };

/**
 * What the model needs from PostgreSQL's catalogs beyond the shared introspector (strata/db's
 * `introspect`, which reads columns, keys, indexes, checks and foreign keys): enums, domains,
 * comments, identity and generation expressions, index keys and methods, referential actions,
 * triggers and view definitions. One query each for a whole schema.
 */
export interface CatalogExtras {
  readonly enums: { name: string; values: string[]; comment: string | null }[];
  readonly domains: {
    name: string;
    type: string;
    nullable: boolean;
    default: string | null;
    checks: { name: string; expression: string }[];
    comment: string | null;
  }[];
  /** `table` -> comment; `table.column` -> comment. */
  readonly comments: ReadonlyMap<string, string>;
  /** `table.column` -> identity kind and generation expression. */
  readonly columnExtras: ReadonlyMap<string, ColumnExtra>;
  /** `table.index` -> its keys (a column name, or an expression as PostgreSQL renders it) and method. */
  readonly indexKeys: ReadonlyMap<string, IndexKeys>;
  /** `table.constraint` -> ON DELETE / ON UPDATE. */
  readonly fkActions: ReadonlyMap<string, FkActions>;
  /** table -> its trigger names. */
  readonly triggers: ReadonlyMap<string, readonly string[]>;
  /** view -> its SELECT. */
  readonly views: ReadonlyMap<string, string>;
}

const ACTIONS: Readonly<Record<string, ReferentialAction>> = { a: 'no action', r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' };

export async function readExtras<DB>(db: Kysely<DB>, schema: string): Promise<CatalogExtras> {
  const enums = await sql<CatalogExtras['enums'][number]>`
    SELECT t.typname AS name, ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS values,
           obj_description(t.oid, 'pg_type') AS comment
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = ${schema} AND t.typtype = 'e' ORDER BY t.typname`.execute(db);
  const domains = await sql<CatalogExtras['domains'][number]>`
    SELECT t.typname AS name, format_type(t.typbasetype, t.typtypmod) AS type, NOT t.typnotnull AS nullable, t.typdefault AS default,
           coalesce((SELECT json_agg(json_build_object('name', c.conname, 'expression', pg_get_expr(c.conbin, 0)) ORDER BY c.conname)
                       FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c'), '[]') AS checks,
           obj_description(t.oid, 'pg_type') AS comment
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = ${schema} AND t.typtype = 'd' ORDER BY t.typname`.execute(db);
  const comments = await sql<{ key: string; comment: string }>`
    SELECT c.relname || coalesce('.' || a.attname, '') AS key, d.description AS comment
      FROM pg_description d JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
     WHERE n.nspname = ${schema}`.execute(db);
  const columns = await sql<{ key: string; identity: string; generated: string | null }>`
    SELECT c.relname || '.' || a.attname AS key, a.attidentity AS identity,
           CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END AS generated
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname = ${schema} AND a.attnum > 0 AND NOT a.attisdropped AND (a.attidentity <> '' OR a.attgenerated <> '')`.execute(db);
  const indexes = await sql<{ key: string; using: string; keys: string[]; names: (string | null)[] }>`
    SELECT c.relname || '.' || ic.relname AS key, am.amname AS using,
           ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k) AS keys,
           ARRAY(SELECT a.attname::text FROM generate_series(1, i.indnkeyatts) AS k
                   LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1] AND i.indkey[k - 1] <> 0 ORDER BY k) AS names
      FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
     WHERE n.nspname = ${schema}`.execute(db);
  const fks = await sql<{ key: string; del: string; upd: string }>`
    SELECT c.relname || '.' || con.conname AS key, con.confdeltype AS del, con.confupdtype AS upd
      FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ${schema} AND con.contype = 'f'`.execute(db);
  const triggers = await sql<{ table: string; names: string[] }>`
    SELECT c.relname AS table, array_agg(t.tgname::text ORDER BY t.tgname) AS names
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ${schema} AND NOT t.tgisinternal GROUP BY c.relname`.execute(db);
  const views = await sql<{ name: string; definition: string }>`
    SELECT c.relname AS name, pg_get_viewdef(c.oid) AS definition
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${schema} AND c.relkind = 'v'`.execute(db);
  return {
    enums: enums.rows,
    domains: domains.rows,
    comments: new Map(comments.rows.map((r) => [r.key, r.comment])),
    columnExtras: new Map(
      columns.rows.map((r): [string, ColumnExtra] => [
        r.key,
        { identity: r.identity === 'a' ? 'always' : r.identity === 'd' ? 'by default' : null, generated: r.generated },
      ]),
    ),
    indexKeys: new Map(
      indexes.rows.map((r): [string, IndexKeys] => [
        r.key,
        {
          using: r.using,
          keys: r.keys.map((text, k) => {
            const name = r.names[k];
            return name === null || name === undefined ? { expression: text } : { column: name };
          }),
        },
      ]),
    ),
    fkActions: new Map(fks.rows.map((r): [string, FkActions] => [r.key, { onDelete: ACTIONS[r.del] ?? 'no action', onUpdate: ACTIONS[r.upd] ?? 'no action' }])),
    triggers: new Map(triggers.rows.map((r) => [r.table, r.names])),
    views: new Map(views.rows.map((r) => [r.name, r.definition.trim().replace(/;$/, '')])),
  };
}
