import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyModel,
  type ColumnSpec,
  generateModelSource,
  type IndexKey,
  introspectModel,
  type ModelSnapshot,
  snapshotOf,
  type TableSpec,
} from '../../src/model/index.js';
import { usePostgres } from '../support/postgres.js';
import { generatedFolder, IMPORT_FROM } from './generated.js';

const pg = usePostgres();
const folder = generatedFolder();

const TYPES: readonly { type: string; defaults: readonly string[]; check?: (c: string) => string }[] = [
  { type: 'integer', defaults: ['0', '42'], check: (c) => `${c} >= 0` },
  { type: 'bigint', defaults: ['0'], check: (c) => `${c} > -1` },
  { type: 'text', defaults: ["''", "'x'"], check: (c) => `length(${c}) < 100` },
  { type: 'boolean', defaults: ['true'] },
  { type: 'numeric(10,2)', defaults: ['0'] },
  { type: 'timestamp with time zone', defaults: ['clock_timestamp()', 'now()'] },
  { type: 'date', defaults: ['CURRENT_DATE'] },
  { type: 'jsonb', defaults: ["'{}'::jsonb"] },
  { type: 'text[]', defaults: ["'{}'::text[]"] },
  { type: 'uuid', defaults: [] },
  { type: 'character varying(20)', defaults: [] },
];

const enumArb = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 4 });

interface Plan {
  enums: string[][];
  domain: boolean;
  view: boolean;
  tables: {
    columns: {
      type: number;
      enumIndex: number;
      useEnum: boolean;
      useDomain: boolean;
      nullable: boolean;
      withDefault: boolean;
      defaultIndex: number;
      check: boolean;
      index: 'none' | 'plain' | 'unique' | 'partial';
    }[];
    references: boolean;
    generated: boolean;
    expressionIndex: boolean;
    softDelete: boolean;
    history: boolean;
    comment: boolean;
  }[];
}

const planArb: fc.Arbitrary<Plan> = fc.record({
  enums: fc.array(enumArb, { maxLength: 2 }),
  domain: fc.boolean(),
  view: fc.boolean(),
  tables: fc.array(
    fc.record({
      columns: fc.array(
        fc.record({
          type: fc.nat(TYPES.length - 1),
          enumIndex: fc.nat(1),
          useEnum: fc.boolean(),
          useDomain: fc.boolean(),
          nullable: fc.boolean(),
          withDefault: fc.boolean(),
          defaultIndex: fc.nat(1),
          check: fc.boolean(),
          index: fc.constantFrom('none', 'plain', 'unique', 'partial'),
        }),
        { minLength: 1, maxLength: 5 },
      ),
      references: fc.boolean(),
      generated: fc.boolean(),
      expressionIndex: fc.boolean(),
      softDelete: fc.boolean(),
      history: fc.boolean(),
      comment: fc.boolean(),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

/** A model as plain data from a plan (the same shape defineTable produces). */
function modelOf(plan: Plan): ModelSnapshot {
  const enums = plan.enums.map((values, i) => ({ name: `e${i}`, values, comment: null }));
  const tables: TableSpec[] = plan.tables.map((t, ti) => {
    const name = `t${ti}`;
    const columns: Record<string, ColumnSpec> = {
      id: { type: 'uuid', nullable: false, default: null, generated: null, identity: null, expose: true, comment: null },
    };
    const checks: Record<string, string> = {};
    const indexes: TableSpec['indexes'][number][] = [];
    t.columns.forEach((c, ci) => {
      const col = `c${ci}`;
      const e = enums[c.enumIndex % Math.max(1, enums.length)];
      const kind = TYPES[c.type] ?? { type: 'text', defaults: [] };
      const domain = c.useDomain && plan.domain && !(c.useEnum && e);
      const type = c.useEnum && e ? e.name : domain ? 'd0' : kind.type;
      const defaults = c.useEnum && e ? [`'${e.values[0]}'::${e.name}`] : domain ? ['1'] : kind.defaults;
      const fallback = defaults[c.defaultIndex % Math.max(1, defaults.length)];
      columns[col] = {
        type,
        nullable: c.nullable,
        default: c.withDefault && fallback ? fallback : null,
        generated: null,
        identity: null,
        expose: true,
        comment: null,
      };
      if (c.check && type === kind.type && kind.check) checks[`${name}_${col}_check`] = kind.check(col);
      if (c.index !== 'none' && type !== 'jsonb' && type !== 'text[]') {
        indexes.push({
          name: `${name}_${col}_idx`,
          keys: [col],
          ...(c.index === 'unique' ? { unique: true } : {}),
          ...(c.index === 'partial' ? { where: `${col} IS NOT NULL` } : {}),
        });
      }
    });
    if (t.generated) {
      columns.g = { type: 'text', nullable: true, default: null, generated: '(id)::text', identity: null, expose: true, comment: null };
    }
    if (t.expressionIndex) indexes.push({ name: `${name}_expr_idx`, keys: [{ expression: 'lower((id)::text)' }] });
    const foreignKeys: TableSpec['foreignKeys'][number][] = [];
    if (t.references && ti > 0) {
      columns.parent_id = { type: 'uuid', nullable: true, default: null, generated: null, identity: null, expose: true, comment: null };
      foreignKeys.push({ name: `${name}_parent_fkey`, columns: ['parent_id'], references: { table: 't0', columns: ['id'] }, onDelete: 'cascade' });
    }
    return {
      name,
      columns,
      primaryKey: ['id'],
      indexes,
      checks,
      foreignKeys,
      softDelete: t.softDelete,
      history: t.history,
      comment: t.comment ? `table ${name}` : null,
    };
  });
  const domains = plan.domain ? [{ name: 'd0', type: 'integer', nullable: true, default: null, checks: { d0_check: 'VALUE >= 0' }, comment: null }] : [];
  const views = plan.view
    ? [
        {
          name: 'v0',
          definition: 'SELECT id FROM t0',
          columns: { id: { type: 'uuid', nullable: true, default: null, generated: null, identity: null, expose: true, comment: null } },
          comment: null,
        },
      ]
    : [];
  return { enums, domains, tables, views };
}

let schemas = 0;

/** An index key as declared: a column by name; an expression is PostgreSQL's to render. */
const keyShape = (key: IndexKey) => (typeof key === 'string' ? key : 'expression');

describe('round trip: define -> apply -> introspect -> generate', () => {
  it('gives back equivalent definitions for random schemas (types, nullability, defaults, checks, plain, unique, partial and expression indexes, foreign keys, enums, domains, generated columns, views, soft delete, history)', async () => {
    await fc.assert(
      fc.asyncProperty(planArb, async (plan) => {
        const model = modelOf(plan);
        const db = pg.database.db;
        const first = `rt_${++schemas}_a`;
        await applyModel(db, model, { schema: first });
        const live = await introspectModel(db, { schema: first });
        // What the database holds is what was defined (names, types, nullability, keys, flags).
        expect(live.enums).toEqual(model.enums);
        expect(live.domains.map((d) => [d.name, d.type, Object.keys(d.checks)])).toEqual(model.domains.map((d) => [d.name, d.type, Object.keys(d.checks)]));
        expect(live.views.map((v) => [v.name, v.columns])).toEqual(model.views.map((v) => [v.name, v.columns]));
        expect(live.tables.map((t) => t.name)).toEqual(model.tables.map((t) => t.name));
        for (const [i, t] of live.tables.entries()) {
          const want = model.tables[i] as TableSpec;
          expect(Object.entries(t.columns).map(([n, c]) => [n, c.type, c.nullable, c.default !== null, c.generated !== null])).toEqual(
            Object.entries(want.columns).map(([n, c]) => [n, c.type, c.nullable, c.default !== null, c.generated !== null]),
          );
          expect([t.primaryKey, t.softDelete, t.history, t.comment]).toEqual([want.primaryKey, want.softDelete, want.history, want.comment]);
          expect(t.indexes.map((x) => [x.name, x.keys.map(keyShape), x.unique ?? false, x.where !== undefined])).toEqual(
            [...want.indexes].sort((a, b) => (a.name < b.name ? -1 : 1)).map((x) => [x.name, x.keys.map(keyShape), x.unique ?? false, x.where !== undefined]),
          );
          expect(Object.keys(t.checks).sort()).toEqual(Object.keys(want.checks).sort());
          expect(t.foreignKeys).toEqual(want.foreignKeys);
        }
        // The generated code is the introspected model, and applying it again gives the same schema.
        const file = await folder.write(`${first}.ts`, generateModelSource(live, { importFrom: IMPORT_FROM }));
        const generated = snapshotOf((await folder.load(file)).model);
        expect(generated).toEqual(live);
        const second = `rt_${schemas}_b`;
        await applyModel(db, generated, { schema: second });
        expect(await introspectModel(db, { schema: second })).toEqual(live);
      }),
      { numRuns: 25 },
    );
  }, 600_000);
});
