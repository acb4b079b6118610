import { quoteIdent as q } from '../db/index.js';
import { BACKFILL_SETTING } from './names.js';
import { rewriteColumns } from './parser.js';

/**
 * One value the sync trigger keeps in step between the two versions. `up` targets a column only
 * the new version writes (a shadow or an added column), from the old version's columns; `down` a
 * column only the old version writes, from the new version's; `fill` replaces a NULL in place.
 */
export interface SyncAssignment {
  readonly direction: 'up' | 'down' | 'fill';
  /** Physical column written. */
  readonly target: string;
  /** SQL expression over physical column names. */
  readonly expression: string;
  /** Physical columns the expression reads. */
  readonly reads: readonly string[];
  /** Of `reads`, those only the new version writes (decides the writer of an INSERT). */
  readonly newOnly: readonly string[];
}

const changed = (columns: readonly string[]) => columns.map((c) => `NEW.${q(c)} IS DISTINCT FROM OLD.${q(c)}`).join(' OR ') || 'false';

function insertCondition(a: SyncAssignment): string {
  if (a.direction === 'down' && a.newOnly.length > 0) return a.newOnly.map((c) => `NEW.${q(c)} IS NOT NULL`).join(' OR ');
  return `NEW.${q(a.target)} IS NULL`;
}

function updateCondition(a: SyncAssignment): string {
  if (a.direction === 'fill') return `NEW.${q(a.target)} IS NULL`;
  // A row the backfill has not reached yet (its new column still NULL) is filled by any update, even one
  // leaving the old columns as they were: otherwise the new column's NOT NULL check (NOT VALID, but
  // checked on every write) refuses an old version's update that rewrites a value unchanged.
  if (a.direction === 'up')
    return `((${changed(a.reads)}) AND NEW.${q(a.target)} IS NOT DISTINCT FROM OLD.${q(a.target)}) OR (NEW.${q(a.target)} IS NULL AND OLD.${q(a.target)} IS NULL)`;
  return `(${changed(a.reads)}) AND NEW.${q(a.target)} IS NOT DISTINCT FROM OLD.${q(a.target)}`;
}

/**
 * The BEFORE INSERT OR UPDATE row function that keeps the old and the new version's columns in
 * step while both versions write. Which version wrote is read from the row itself, never from a
 * session setting: an INSERT by the new version fills the new-only columns (the old version cannot
 * see them), an UPDATE changes the columns its version shows. Every decision is taken before any
 * assignment, so one assignment never triggers another. A backfill (`strata.backfill` set) passes.
 */
export function renderSyncFunction(schema: string, fn: string, assignments: readonly SyncAssignment[]): string {
  const flags = assignments.map((_, i) => `f${i}`);
  const body = (condition: (a: SyncAssignment) => string) => assignments.map((a, i) => `    ${flags[i]} := ${condition(a)};`).join('\n');
  const assign = assignments
    .map((a, i) => `  IF ${flags[i]} THEN\n    NEW.${q(a.target)} := ${rewriteColumns(a.expression, (name) => `NEW.${q(name)}`)};\n  END IF;`)
    .join('\n');
  return `CREATE OR REPLACE FUNCTION ${q(schema)}.${q(fn)}() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
${flags.map((f) => `  ${f} boolean;`).join('\n')}
BEGIN
  IF coalesce(current_setting('${BACKFILL_SETTING}', true), '') <> '' THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' THEN
${body(insertCondition)}
  ELSE
${body(updateCondition)}
  END IF;
${assign}
  RETURN NEW;
END
$fn$`;
}

export function renderSyncTrigger(schema: string, table: string, name: string): string[] {
  return [
    `DROP TRIGGER IF EXISTS ${q(name)} ON ${q(schema)}.${q(table)}`,
    `CREATE TRIGGER ${q(name)} BEFORE INSERT OR UPDATE ON ${q(schema)}.${q(table)} FOR EACH ROW EXECUTE FUNCTION ${q(schema)}.${q(name)}()`,
  ];
}
