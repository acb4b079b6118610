import { quoteIdent as q } from '../db/index.js';
import { type HistoryRelations, rel } from './relations.js';

/** The history table: one row per version, the full row image as jsonb (survives schema changes). */
export function renderHistoryTable(r: HistoryRelations, keyType: string): string {
  return `CREATE TABLE IF NOT EXISTS ${rel(r, r.history)} (
  row_id ${keyType} NOT NULL,
  version integer NOT NULL,
  operation text NOT NULL CHECK (operation IN ('snapshot', 'insert', 'update', 'delete', 'restore', 'purge')),
  valid_from timestamptz NOT NULL,
  actor text NOT NULL,
  request_id text,
  txid bigint NOT NULL,
  data jsonb,
  PRIMARY KEY (row_id, version)
)`;
}

const actor = `coalesce(nullif(current_setting('strata.actor', true), ''), 'unknown')`;
const requestId = `nullif(current_setting('strata.request_id', true), '')`;

/**
 * BEFORE row trigger: the database owns `version` (1 on insert, +1 per real change) and
 * `updated_at`; an UPDATE that changes nothing is skipped (RETURN NULL): no version, no bump.
 */
export function renderBeforeFunction(r: HistoryRelations, fn: string): string {
  const keepStamp = r.hasUpdatedAt ? 'NEW.updated_at := OLD.updated_at;' : '';
  const stamp = r.hasUpdatedAt ? 'NEW.updated_at := clock_timestamp();' : '';
  return `CREATE OR REPLACE FUNCTION ${rel(r, fn)}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.version := 1;
    RETURN NEW;
  END IF;
  NEW.version := OLD.version;
  ${keepStamp}
  IF NEW IS NOT DISTINCT FROM OLD THEN
    RETURN NULL;
  END IF;
  NEW.version := OLD.version + 1;
  ${stamp}
  RETURN NEW;
END
$fn$`;
}

function operation(r: HistoryRelations): string {
  if (!r.hasDeletedAt) return `'update'`;
  return `CASE WHEN so.deleted_at IS NULL AND sn.deleted_at IS NOT NULL THEN 'delete'
              WHEN so.deleted_at IS NOT NULL AND sn.deleted_at IS NULL THEN 'restore'
              ELSE 'update' END`;
}

/**
 * AFTER statement triggers over transition tables: one INSERT ... SELECT per statement, so bulk
 * and raw writes are versioned without a per-row round of SQL. Timestamps are clock_timestamp()
 * taken after the row locks, so concurrent writers never produce overlapping validity periods.
 */
export function renderAfterFunction(r: HistoryRelations, fn: string, event: 'INSERT' | 'UPDATE' | 'DELETE'): string {
  const h = rel(r, r.history);
  const pk = q(r.primaryKey);
  const cols = `(row_id, version, operation, valid_from, actor, request_id, txid, data)`;
  let body: string;
  if (event === 'INSERT') {
    body = `INSERT INTO ${h} ${cols}
    SELECT sn.${pk}, sn.version, 'insert', clock_timestamp(), ${actor}, ${requestId}, txid_current(), to_jsonb(sn.*) FROM new_rows sn;`;
  } else if (event === 'UPDATE') {
    body = `INSERT INTO ${h} ${cols}
    SELECT sn.${pk}, sn.version, ${operation(r)}, clock_timestamp(), ${actor}, ${requestId}, txid_current(), to_jsonb(sn.*)
      FROM new_rows sn JOIN old_rows so ON so.${pk} = sn.${pk};`;
  } else {
    body = `IF current_setting('strata.erase_history', true) = 'on' THEN
    DELETE FROM ${h} sh USING old_rows so WHERE sh.row_id = so.${pk};
  ELSE
    INSERT INTO ${h} ${cols}
    SELECT so.${pk}, so.version + 1, 'purge', clock_timestamp(), ${actor}, ${requestId}, txid_current(), NULL FROM old_rows so;
  END IF;`;
  }
  return `CREATE OR REPLACE FUNCTION ${rel(r, fn)}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  ${body}
  RETURN NULL;
END
$fn$`;
}

export function renderTriggers(r: HistoryRelations, names: { before: string; insert: string; update: string; delete: string }): string[] {
  const table = rel(r, r.base);
  const t = (name: string) => q(`${r.table}_${name}`);
  return [
    `DROP TRIGGER IF EXISTS ${t('history_before')} ON ${table}`,
    `DROP TRIGGER IF EXISTS ${t('history_insert')} ON ${table}`,
    `DROP TRIGGER IF EXISTS ${t('history_update')} ON ${table}`,
    `DROP TRIGGER IF EXISTS ${t('history_delete')} ON ${table}`,
    `CREATE TRIGGER ${t('history_before')} BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${rel(r, names.before)}()`,
    `CREATE TRIGGER ${t('history_insert')} AFTER INSERT ON ${table} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${rel(r, names.insert)}()`,
    `CREATE TRIGGER ${t('history_update')} AFTER UPDATE ON ${table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${rel(r, names.update)}()`,
    `CREATE TRIGGER ${t('history_delete')} AFTER DELETE ON ${table} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${rel(r, names.delete)}()`,
  ];
}
