import { quoteIdent as q } from '../db/index.js';
import { type HistoryRelations, rel } from './relations.js';

/**
 * The history table: one row per version, the full row image as jsonb (survives schema changes).
 * No CHECK constraint: PostgreSQL prepares a table's CHECK expressions again for every statement
 * that inserts, which the AFTER trigger runs once per row (only strata's triggers write here).
 */
export function renderHistoryTable(r: HistoryRelations): string {
  return `CREATE TABLE IF NOT EXISTS ${rel(r, r.history)} (
  row_id ${r.keyType} NOT NULL,
  version integer NOT NULL,
  operation text NOT NULL,
  valid_from timestamptz NOT NULL,
  actor text NOT NULL,
  request_id text,
  txid bigint NOT NULL,
  data jsonb,
  PRIMARY KEY (row_id, version)
)`;
}

/** SQLSTATE of the refusal to change a versioned row's primary key (translated to KEY_CHANGE_REFUSED). */
export const KEY_CHANGE_SQLSTATE = 'SH001';

/**
 * Transaction-local setting naming the columns a migration's backfill writes (comma-separated).
 * An UPDATE that changes only those columns gets no version: the backfill fills in a new column's
 * value, it is not a change anyone made. Any other change in the same transaction is versioned.
 */
export const BACKFILL_SETTING = 'strata.backfill';

const actor = `coalesce(nullif(current_setting('strata.actor', true), ''), 'unknown')`;
const requestId = `nullif(current_setting('strata.request_id', true), '')`;

function stampAll(r: HistoryRelations, value: string): string {
  return [r.stamps.createdAt ? `NEW.created_at := ${value};` : '', r.stamps.updatedAt ? `NEW.updated_at := ${value};` : ''].filter(Boolean).join(' ');
}

/**
 * BEFORE row trigger, run after the row lock: the database owns `version` (1 on insert, +1 per
 * real change), `created_at` and `updated_at` (one instant, which the AFTER trigger records as the
 * version's `valid_from`); an UPDATE that changes nothing is skipped (RETURN NULL): no version, no
 * bump. A primary key never changes: its history would end under one id and begin under another.
 * With `fold` it also inserts an update's version (one trigger call per update instead of two),
 * which enableHistory chooses only where the row it sees is the row stored (see `foldsUpdates`).
 */
export function renderBeforeFunction(r: HistoryRelations, fn: string, fold = false): string {
  const pk = q(r.primaryKey);
  const keep = [r.stamps.createdAt ? 'NEW.created_at := OLD.created_at;' : '', r.stamps.updatedAt ? 'NEW.updated_at := OLD.updated_at;' : '']
    .filter(Boolean)
    .join(' ');
  const stampUpdate = r.stamps.updatedAt ? 'NEW.updated_at := clock_timestamp();' : '';
  const hasStamps = r.stamps.createdAt || r.stamps.updatedAt;
  return `CREATE OR REPLACE FUNCTION ${rel(r, fn)}() RETURNS trigger LANGUAGE plpgsql AS $fn$
${hasStamps ? 'DECLARE\n  stamp timestamptz;\n' : ''}BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.version := 1;
    ${hasStamps ? `stamp := clock_timestamp(); ${stampAll(r, 'stamp')}` : ''}
    RETURN NEW;
  END IF;
  IF NEW.${pk} IS DISTINCT FROM OLD.${pk} THEN
    RAISE EXCEPTION 'the primary key of a versioned row of % cannot change', TG_TABLE_NAME
      USING ERRCODE = '${KEY_CHANGE_SQLSTATE}', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
            HINT = 'insert the row under its new key and delete the old one: both are versioned';
  END IF;
  IF coalesce(current_setting('${BACKFILL_SETTING}', true), '') <> ''
     AND to_jsonb(NEW) - string_to_array(current_setting('${BACKFILL_SETTING}', true), ',') = to_jsonb(OLD) - string_to_array(current_setting('${BACKFILL_SETTING}', true), ',') THEN
    RETURN NEW;
  END IF;
  NEW.version := OLD.version;
  ${keep}
  IF NEW IS NOT DISTINCT FROM OLD THEN
    RETURN NULL;
  END IF;
  NEW.version := OLD.version + 1;
  ${stampUpdate}
  ${fold ? writeVersion(r, 'NEW', 'NEW.version', updateOperation(r), r.validFrom.update ? `NEW.${q(r.validFrom.update)}` : 'clock_timestamp()', 'to_jsonb(NEW)') : ''}
  RETURN NEW;
END
$fn$`;
}

const cols = `(row_id, version, operation, valid_from, actor, request_id, txid, data)`;

/** The INSERT of one version (row is NEW or OLD, the record whose key the version belongs to). */
function writeVersion(r: HistoryRelations, row: 'NEW' | 'OLD', version: string, operation: string, validFrom: string, data: string): string {
  return `INSERT INTO ${rel(r, r.history)} ${cols} VALUES (${row}.${q(r.primaryKey)}, ${version}, ${operation}, ${validFrom}, ${actor}, ${requestId}, txid_current(), ${data});`;
}

function updateOperation(r: HistoryRelations): string {
  if (!r.hasDeletedAt) return `'update'`;
  return `CASE WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN 'delete'
                     WHEN OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN 'restore'
                     ELSE 'update' END`;
}

/**
 * AFTER row trigger: one history row per inserted, changed or deleted row, with the final row
 * image (after every BEFORE trigger and generated column). Its `valid_from` is the instant the
 * BEFORE trigger stamped after the row lock (or the clock, without a `timestamptz` stamp column),
 * so concurrent writers never produce overlapping validity periods. With `fold`, updates are
 * versioned by the BEFORE trigger instead (see `foldsUpdates`) and this one fires on INSERT and
 * DELETE only.
 */
export function renderAfterFunction(r: HistoryRelations, fn: string, fold = false): string {
  const h = rel(r, r.history);
  const pk = q(r.primaryKey);
  const from = (column: string | undefined) => (column ? `NEW.${q(column)}` : 'clock_timestamp()');
  const update = fold
    ? ''
    : `IF TG_OP = 'UPDATE' AND NEW.version = OLD.version THEN
    RETURN NULL;
  ELSIF TG_OP = 'UPDATE' THEN
    ${writeVersion(r, 'NEW', 'NEW.version', updateOperation(r), from(r.validFrom.update), 'to_jsonb(NEW)')}
  ELS`;
  return `CREATE OR REPLACE FUNCTION ${rel(r, fn)}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  ${update}IF TG_OP = 'INSERT' THEN
    ${writeVersion(r, 'NEW', 'NEW.version', `'insert'`, from(r.validFrom.insert), 'to_jsonb(NEW)')}
  ELSIF current_setting('strata.erase_history', true) = 'on' THEN
    DELETE FROM ${h} WHERE row_id = OLD.${pk};
  ELSE
    ${writeVersion(r, 'OLD', 'OLD.version + 1', `'purge'`, 'clock_timestamp()', 'NULL')}
  END IF;
  RETURN NULL;
END
$fn$`;
}

/** Trigger and function names, today's and those of earlier designs (replaced in place by enableHistory). */
export function historyNames(r: HistoryRelations) {
  const fn = (suffix: string) => `strata_history_${r.table}_${suffix}`;
  return {
    before: fn('before'),
    after: fn('after'),
    triggers: { before: `${r.table}_history_before`, after: `${r.table}_history_after` },
    /** Statement-level triggers over transition tables (strata before the row-level design). */
    legacy: { triggers: ['insert', 'update', 'delete'].map((s) => `${r.table}_history_${s}`), functions: ['insert', 'update', 'delete'].map(fn) },
  };
}

/** Drops every history trigger of the table (today's and earlier designs), then creates today's. */
export function renderTriggers(r: HistoryRelations, fold = false): string[] {
  const table = rel(r, r.base);
  const n = historyNames(r);
  return [
    ...[n.triggers.before, n.triggers.after, ...n.legacy.triggers].map((t) => `DROP TRIGGER IF EXISTS ${q(t)} ON ${table}`),
    ...n.legacy.functions.map((f) => `DROP FUNCTION IF EXISTS ${rel(r, f)}()`),
    `CREATE TRIGGER ${q(n.triggers.before)} BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${rel(r, n.before)}()`,
    `CREATE TRIGGER ${q(n.triggers.after)} AFTER INSERT OR ${fold ? '' : 'UPDATE OR '}DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${rel(r, n.after)}()`,
  ];
}
