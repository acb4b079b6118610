import { type Kysely, sql } from 'kysely';
import { quoteIdent as q, withTransaction } from '../../src/db/index.js';
import { enableHistory } from '../../src/history/index.js';
import { type HistoryRelations, rel, resolveRelations } from '../../src/history/relations.js';
import { historyNames, renderAfterFunction, renderBeforeFunction, renderHistoryTable, renderTriggers } from '../../src/history/render.js';

/**
 * The capture designs bench/history.ts compares (docs/decisions.md records the choice):
 * - `row`: what enableHistory installs: a BEFORE row trigger (version, stamps, no-op skip) that also writes an update's
 *   version, and an AFTER row trigger writing the versions of inserts and deletes.
 * - `after`: the design before it (strata until issue #28): the same BEFORE trigger without the write, and the AFTER row
 *   trigger writing every version, updates included (what enableHistory still installs on a table with generated columns).
 * - `statement`: strata's design before it, kept verbatim: the same BEFORE row trigger's job, and AFTER statement triggers
 *   reading transition tables (one INSERT ... SELECT per statement). test/history/upgrade.heavy.test.ts installs it to prove the upgrade.
 * - `lean`: `row` with a lean history row: row id, version, valid_from and the image only (no operation, actor, request id, txid).
 * - `reference`: issue #28's plain trigger, not a design strata could ship (no version, no no-op skip, no actor, no key):
 *   one plpgsql AFTER row trigger inserting (id, now(), to_jsonb(NEW)) into a history table without an index. The floor
 *   a row-level capture can reach; the bench shows how far each design is from it in the same run.
 */
export type Design = 'row' | 'after' | 'statement' | 'lean' | 'reference';

const run = <DB>(db: Kysely<DB>, text: string) => sql.raw(text).execute(db);
const actor = `coalesce(nullif(current_setting('strata.actor', true), ''), 'unknown')`;
const requestId = `nullif(current_setting('strata.request_id', true), '')`;
const cols = '(row_id, version, operation, valid_from, actor, request_id, txid, data)';

/** The CHECK the history table had in the statement-level design (enableHistory now drops it). */
export const LEGACY_OPERATION_CHECK = `operation IN ('snapshot', 'insert', 'update', 'delete', 'restore', 'purge')`;

/** The statement-level design's triggers as strata shipped them (migration 0003 installed them on products). */
export function statementDesign(r: HistoryRelations): string[] {
  const h = rel(r, r.history);
  const pk = q(r.primaryKey);
  const fn = (suffix: string) => rel(r, `strata_history_${r.table}_${suffix}`);
  const t = (name: string) => q(`${r.table}_history_${name}`);
  const table = rel(r, r.base);
  const body = (text: string) => `RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n  ${text}\n  RETURN NULL;\nEND\n$fn$`;
  const operation = r.hasDeletedAt
    ? `CASE WHEN so.deleted_at IS NULL AND sn.deleted_at IS NOT NULL THEN 'delete' WHEN so.deleted_at IS NOT NULL AND sn.deleted_at IS NULL THEN 'restore' ELSE 'update' END`
    : `'update'`;
  return [
    `CREATE OR REPLACE FUNCTION ${fn('before')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.version := 1;
    RETURN NEW;
  END IF;
  NEW.version := OLD.version;
  ${r.stamps.updatedAt ? 'NEW.updated_at := OLD.updated_at;' : ''}
  IF NEW IS NOT DISTINCT FROM OLD THEN
    RETURN NULL;
  END IF;
  NEW.version := OLD.version + 1;
  ${r.stamps.updatedAt ? 'NEW.updated_at := clock_timestamp();' : ''}
  RETURN NEW;
END
$fn$`,
    `CREATE OR REPLACE FUNCTION ${fn('insert')}() ${body(`INSERT INTO ${h} ${cols}
    SELECT sn.${pk}, sn.version, 'insert', clock_timestamp(), ${actor}, ${requestId}, txid_current(), to_jsonb(sn.*) FROM new_rows sn;`)}`,
    `CREATE OR REPLACE FUNCTION ${fn('update')}() ${body(`INSERT INTO ${h} ${cols}
    SELECT sn.${pk}, sn.version, ${operation}, clock_timestamp(), ${actor}, ${requestId}, txid_current(), to_jsonb(sn.*)
      FROM new_rows sn JOIN old_rows so ON so.${pk} = sn.${pk};`)}`,
    `CREATE OR REPLACE FUNCTION ${fn('delete')}() ${body(`IF current_setting('strata.erase_history', true) = 'on' THEN
    DELETE FROM ${h} sh USING old_rows so WHERE sh.row_id = so.${pk};
  ELSE
    INSERT INTO ${h} ${cols}
    SELECT so.${pk}, so.version + 1, 'purge', clock_timestamp(), ${actor}, ${requestId}, txid_current(), NULL FROM old_rows so;
  END IF;`)}`,
    `CREATE TRIGGER ${t('before')} BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${fn('before')}()`,
    `CREATE TRIGGER ${t('insert')} AFTER INSERT ON ${table} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn('insert')}()`,
    `CREATE TRIGGER ${t('update')} AFTER UPDATE ON ${table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn('update')}()`,
    `CREATE TRIGGER ${t('delete')} AFTER DELETE ON ${table} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn('delete')}()`,
  ];
}

/** `row` writing a lean history row: no operation, actor, request id or txid. */
function leanDesign(r: HistoryRelations): string[] {
  const n = historyNames(r);
  const h = rel(r, r.history);
  const pk = q(r.primaryKey);
  const table = rel(r, r.base);
  return [
    renderBeforeFunction(r, n.before),
    `CREATE OR REPLACE FUNCTION ${rel(r, n.after)}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO ${h} VALUES (OLD.${pk}, OLD.version + 1, clock_timestamp(), NULL);
  ELSE
    INSERT INTO ${h} VALUES (NEW.${pk}, NEW.version, ${r.validFrom.update ? 'NEW.updated_at' : 'clock_timestamp()'}, to_jsonb(NEW));
  END IF;
  RETURN NULL;
END
$fn$`,
    `CREATE TRIGGER ${q(n.triggers.before)} BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${rel(r, n.before)}()`,
    `CREATE TRIGGER ${q(n.triggers.after)} AFTER INSERT OR UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${rel(r, n.after)}()`,
  ];
}

/** Issue #28's plain trigger: one history row (id, now(), image) per inserted, updated or deleted row, nothing else. */
function referenceDesign(r: HistoryRelations): string[] {
  const h = rel(r, r.history);
  const pk = q(r.primaryKey);
  const table = rel(r, r.base);
  const fn = rel(r, `strata_history_${r.table}_reference`);
  return [
    `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO ${h} VALUES (OLD.${pk}, now(), NULL);
  ELSE
    INSERT INTO ${h} VALUES (NEW.${pk}, now(), to_jsonb(NEW));
  END IF;
  RETURN NULL;
END
$fn$`,
    `CREATE TRIGGER ${q(`${r.table}_history_reference`)} AFTER INSERT OR UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
  ];
}

/** Versions `table` with one of the designs; existing rows get a snapshot version each, as enableHistory records them. */
export async function installDesign<DB>(db: Kysely<DB>, table: string, design: Design): Promise<void> {
  if (design === 'row' || design === 'after') {
    await enableHistory(db, { table });
    if (design === 'after')
      await withTransaction(db, async (trx) => {
        const r = await resolveRelations(trx, table);
        const n = historyNames(r);
        for (const s of [renderBeforeFunction(r, n.before), renderAfterFunction(r, n.after), ...renderTriggers(r)]) await run(trx, s);
      });
    return;
  }
  await withTransaction(db, async (trx) => {
    const r = await resolveRelations(trx, table);
    const h = rel(r, r.history);
    const pk = q(r.primaryKey);
    await run(trx, `ALTER TABLE ${rel(r, r.base)} ADD COLUMN IF NOT EXISTS version integer NOT NULL DEFAULT 1`);
    if (design === 'reference') {
      await run(trx, `CREATE TABLE ${h} (row_id ${r.keyType} NOT NULL, valid_from timestamptz NOT NULL, data jsonb)`);
      await run(trx, `INSERT INTO ${h} SELECT t.${pk}, now(), to_jsonb(t.*) FROM ${rel(r, r.base)} t`);
    } else if (design === 'lean') {
      await run(
        trx,
        `CREATE TABLE ${h} (row_id ${r.keyType} NOT NULL, version integer NOT NULL, valid_from timestamptz NOT NULL, data jsonb, PRIMARY KEY (row_id, version))`,
      );
      await run(trx, `INSERT INTO ${h} SELECT t.${pk}, t.version, clock_timestamp(), to_jsonb(t.*) FROM ${rel(r, r.base)} t`);
    } else {
      await run(trx, renderHistoryTable(r));
      if (design === 'statement') await run(trx, `ALTER TABLE ${h} ADD CHECK (${LEGACY_OPERATION_CHECK})`);
      await run(
        trx,
        `INSERT INTO ${h} ${cols} SELECT t.${pk}, t.version, 'snapshot', clock_timestamp(), 'strata', NULL, txid_current(), to_jsonb(t.*) FROM ${rel(r, r.base)} t`,
      );
    }
    const designs = { statement: statementDesign, lean: leanDesign, reference: referenceDesign } as const;
    for (const s of designs[design](r)) await run(trx, s);
  });
}
