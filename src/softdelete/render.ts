import { quoteIdent as q } from '../db/index.js';
import { LIVE_PREDICATE, SOFT_DELETE_COLUMNS, type SoftDeleteNames } from './names.js';

/** What happens to a child's rows when its parent is soft-deleted. */
export type ChildMode = 'cascade' | 'restrict' | 'keep';

export interface ChildRelation {
  /** The child table's original (live) name; for `cascade` it must have soft deletes enabled. */
  readonly table: string;
  /** The child's column referencing the parent's primary key. */
  readonly column: string;
  readonly mode: ChildMode;
}

const rel = (n: SoftDeleteNames, name: string) => `${q(n.schema)}.${q(name)}`;

/** Columns a migration in progress adds to keep two versions in step (`_strata_…`); never shown by the live view. */
const MIGRATION_COLUMN_PREFIX = '_strata_';

/** The live view: every column but the soft-delete ones (and a migration's internal ones), live rows only. */
export function renderLiveView(n: SoftDeleteNames, columns: readonly string[]): string {
  const visible = columns.filter((c) => !(SOFT_DELETE_COLUMNS as readonly string[]).includes(c) && !c.startsWith(MIGRATION_COLUMN_PREFIX));
  return `CREATE VIEW ${rel(n, n.live)} AS SELECT ${visible.map((c) => q(c)).join(', ')} FROM ${rel(n, n.base)} WHERE ${LIVE_PREDICATE}`;
}

export function renderDeletedView(n: SoftDeleteNames): string {
  return `CREATE VIEW ${rel(n, n.deleted)} AS SELECT * FROM ${rel(n, n.base)} WHERE deleted_at IS NOT NULL`;
}

/** Appends the live-row condition to an index definition from pg_get_indexdef. */
export function livePartialIndex(definition: string): string {
  const where = / WHERE \((.*)\)$/.exec(definition);
  if (where) return `${definition.slice(0, where.index)} WHERE (${where[1]}) AND ${LIVE_PREDICATE}`;
  return `${definition} WHERE ${LIVE_PREDICATE}`;
}

function childBlock(parentPk: string, n: SoftDeleteNames, child: ChildRelation, childNames: SoftDeleteNames): string {
  const childBase = rel(childNames, childNames.base);
  const fk = q(child.column);
  if (child.mode === 'restrict') {
    return `
  IF EXISTS (SELECT 1 FROM ${childBase} WHERE ${fk} = OLD.${q(parentPk)} AND deleted_at IS NULL) THEN
    RAISE EXCEPTION 'cannot delete from ${n.live}: live rows in ${child.table} still reference it'
      USING ERRCODE = 'foreign_key_violation', TABLE = '${child.table}', COLUMN = '${child.column}', CONSTRAINT = '${child.table}_${child.column}_restrict';
  END IF;`;
  }
  if (child.mode === 'cascade') {
    return `
  DELETE FROM ${rel(childNames, childNames.live)} WHERE ${fk} = OLD.${q(parentPk)};`;
  }
  return '';
}

/**
 * The INSTEAD OF DELETE trigger function: marks the row deleted (with the actor from the
 * transaction's `strata.actor`, else 'unknown') and applies each child's mode. One batch id per
 * client statement, shared by the cascade, so a restore brings back exactly what was deleted with it.
 */
export function renderDeleteFunction(n: SoftDeleteNames, pk: string, children: readonly { child: ChildRelation; names: SoftDeleteNames }[]): string {
  const blocks = children.map((c) => childBlock(pk, n, c.child, c.names)).join('');
  return `CREATE OR REPLACE FUNCTION ${rel(n, n.fn)}() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  batch uuid := md5(txid_current()::text || ':' || statement_timestamp()::text)::uuid;
BEGIN${blocks}
  UPDATE ${rel(n, n.base)}
     SET deleted_at = clock_timestamp(),
         deleted_by = coalesce(nullif(current_setting('strata.actor', true), ''), 'unknown'),
         deleted_batch = batch
   WHERE ${q(pk)} = OLD.${q(pk)} AND deleted_at IS NULL;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  RETURN OLD;
END
$fn$`;
}

export function renderDeleteTrigger(n: SoftDeleteNames): string {
  return `CREATE TRIGGER ${q(n.trigger)} INSTEAD OF DELETE ON ${rel(n, n.live)} FOR EACH ROW EXECUTE FUNCTION ${rel(n, n.fn)}()`;
}
