import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { ColumnInfo } from '../../src/db/index.js';
import { changedGuard, rules, type UpdateValue } from '../../src/upsert/render.js';
import { keyText, mergeStatement, nativeStatement } from '../../src/upsert/strategies.js';
import type { UpsertTarget } from '../../src/upsert/target.js';
import { compiled } from '../support/compile.js';

const column = (name: string, type: string): [string, ColumnInfo] => [
  name,
  { name, type, nullable: false, hasDefault: false, defaultExpression: null, identity: false, generated: false },
];

const target: UpsertTarget = {
  schema: 'public',
  table: 'products_all',
  softDeleted: true,
  key: ['sku'],
  predicate: 'deleted_at IS NULL',
  indexName: 'products_sku_key',
  primaryKey: ['id'],
  columns: new Map([column('sku', 'text'), column('name', 'text'), column('price', 'bigint')]),
};
const rows = [
  { sku: 'A-1', name: 'Hammer', price: 1999n },
  { sku: 'A-2', name: 'Saw', price: 2999n },
];

describe('upsert statements (rendered, no I/O)', () => {
  it('native: typed VALUES, the partial arbiter, an update guarded by IS DISTINCT FROM', () => {
    const q = compiled(
      nativeStatement({
        target,
        names: ['sku', 'name', 'price'],
        rows,
        rules: [
          ['name', 'incoming'],
          ['price', 'incoming'],
        ],
      }),
    );
    expect(q.sql).toBe(
      'INSERT INTO "public"."products_all" AS t ("sku", "name", "price") VALUES ' +
        '(CAST($1 AS text), CAST($2 AS text), CAST($3 AS bigint)), (CAST($4 AS text), CAST($5 AS text), CAST($6 AS bigint)) ' +
        'ON CONFLICT ("sku") WHERE deleted_at IS NULL DO UPDATE SET "name" = excluded."name", "price" = excluded."price" ' +
        'WHERE ROW(t."name", t."price") IS DISTINCT FROM ROW(excluded."name", excluded."price") ' +
        'RETURNING t.*, (t.xmax = 0) AS strata_inserted',
    );
    expect(q.parameters).toEqual(['A-1', 'Hammer', 1999n, 'A-2', 'Saw', 2999n]);
  });

  it('native insert-only: DO NOTHING; a computed rule disables the no-op guard', () => {
    expect(compiled(nativeStatement({ target, names: ['sku'], rows: [{ sku: 'A-1' }], rules: [] })).sql).toContain(
      'ON CONFLICT ("sku") WHERE deleted_at IS NULL DO NOTHING',
    );
    const counted = compiled(
      nativeStatement({
        target,
        names: ['sku', 'price'],
        rows: [{ sku: 'A-1', price: 1n }],
        rules: [['price', ({ current }) => sql`${current('price')} + 1`]],
      }),
    );
    expect(counted.sql).toContain('DO UPDATE SET "price" = t."price" + 1 WHERE true');
  });

  it('merge: matches on the key among live rows only, updates when something differs, inserts otherwise', () => {
    const q = compiled(mergeStatement({ target, names: ['sku', 'name'], rows: [rows[0] ?? {}], rules: [['name', 'incoming']] }, true));
    expect(q.sql).toBe(
      'MERGE INTO "public"."products_all" AS t USING (VALUES (CAST($1 AS text), CAST($2 AS text))) AS s("sku", "name") ' +
        'ON t."sku" = s."sku" AND t.deleted_at IS NULL ' +
        'WHEN MATCHED AND ROW(t."name") IS DISTINCT FROM ROW(s."name") THEN UPDATE SET "name" = s."name" ' +
        'WHEN NOT MATCHED THEN INSERT ("sku", "name") VALUES (s."sku", s."name") RETURNING merge_action() AS strata_action, t.*',
    );
    expect(q.parameters).toEqual(['A-1', 'Hammer']);
  });
});

describe('upsert update rules (pure)', () => {
  it('by default every column but the kept ones (conflict key, primary key) takes the incoming value; a list or a map names them', () => {
    expect(rules(undefined, ['sku', 'name', 'id', 'price'], ['sku', 'id'])).toEqual([
      ['name', 'incoming'],
      ['price', 'incoming'],
    ]);
    expect(rules(['price'], ['sku', 'name', 'price'], ['sku'])).toEqual([['price', 'incoming']]);
    expect(rules({ name: 'incoming' }, ['sku', 'name'], ['sku'])).toEqual([['name', 'incoming']]);
    expect(rules([], ['sku', 'name'], ['sku'])).toEqual([]);
  });
});

describe('upsert statements on a table without soft deletes, and the guard alone (rendered, no I/O)', () => {
  const plain: UpsertTarget = {
    schema: 'public',
    table: 'items',
    softDeleted: false,
    key: ['sku'],
    indexName: 'items_sku_key',
    primaryKey: ['id'],
    columns: target.columns,
  };
  const counted: [string, UpdateValue] = ['price', ({ current, incoming }) => sql`${current('price')} + ${incoming('price')}`];

  it('native: a plain arbiter; a column the target does not list is cast as text', () => {
    expect(compiled(nativeStatement({ target: plain, names: ['sku', 'note'], rows: [{ sku: 'A-1', note: 'x' }], rules: [['note', 'incoming']] })).sql).toBe(
      'INSERT INTO "public"."items" AS t ("sku", "note") VALUES (CAST($1 AS text), CAST($2 AS text)) ' +
        'ON CONFLICT ("sku") DO UPDATE SET "note" = excluded."note" WHERE ROW(t."note") IS DISTINCT FROM ROW(excluded."note") ' +
        'RETURNING t.*, (t.xmax = 0) AS strata_inserted',
    );
  });

  it('merge without RETURNING (PostgreSQL 15-16), insert-only, and with a rule reading both rows', () => {
    expect(compiled(mergeStatement({ target: plain, names: ['sku'], rows: [{ sku: 'A-1' }], rules: [] }, false)).sql).toBe(
      'MERGE INTO "public"."items" AS t USING (VALUES (CAST($1 AS text))) AS s("sku") ON t."sku" = s."sku" WHEN NOT MATCHED THEN INSERT ("sku") VALUES (s."sku")',
    );
    expect(compiled(mergeStatement({ target: plain, names: ['sku', 'price'], rows: [{ sku: 'A-1', price: 1n }], rules: [counted] }, false)).sql).toBe(
      'MERGE INTO "public"."items" AS t USING (VALUES (CAST($1 AS text), CAST($2 AS bigint))) AS s("sku", "price") ON t."sku" = s."sku" ' +
        'WHEN MATCHED AND true THEN UPDATE SET "price" = t."price" + s."price" WHEN NOT MATCHED THEN INSERT ("sku", "price") VALUES (s."sku", s."price")',
    );
  });

  it('the no-op guard: false with nothing to update, true once any rule computes, else a row comparison', () => {
    expect(compiled(changedGuard([], 't', 's')).sql).toBe('false');
    expect(compiled(changedGuard([['name', 'incoming'], counted], 't', 's')).sql).toBe('true');
    expect(compiled(changedGuard([counted, ['name', 'incoming']], 't', 's')).sql).toBe('true');
    expect(compiled(changedGuard([['name', 'incoming']], 't', 's')).sql).toBe('ROW(t."name") IS DISTINCT FROM ROW(s."name")');
  });
});

describe('keyText (pure): one text per key, to match rows read back to rows sent', () => {
  it('joins the key columns with NUL, a date as its ISO instant, anything else as its string', () => {
    expect(keyText({ sku: 'A-1', at: new Date(0), n: 5n, x: 'ignored' }, ['sku', 'at', 'n'])).toBe('A-1\u00001970-01-01T00:00:00.000Z\u00005');
  });
});
