import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { completeMigration, lintSql, planMigration, startMigration } from '../../src/migrate/index.js';
import { applyModel, column, compareWithDatabase, defineTable, snapshotOf } from '../../src/model/index.js';
import { runCli } from '../support/cli.js';
import { usePostgres } from '../support/postgres.js';
import { customers, orderStatus, orders, positiveAmount, shop } from './fixtures.js';
import { generatedFolder } from './generated.js';

const pg = usePostgres();
const folder = generatedFolder();
const fixtures = fileURLToPath(new URL('./fixtures.ts', import.meta.url));

/** orders, one definition change later: a new NOT NULL column with a default, an index on it, a check. */
const ordersNext = defineTable('orders', {
  columns: { ...orders.columns, weight_g: column('integer').default('0') },
  primaryKey: ['id'],
  indexes: [...orders.spec.indexes, { name: 'orders_weight', keys: ['weight_g'] }],
  checks: { ...orders.spec.checks, orders_weight_nonnegative: '(weight_g >= 0)' },
  foreignKeys: orders.spec.foreignKeys,
});
const shopNext = [orderStatus, positiveAmount, customers, ordersNext, shop[4]];

describe('drift and migrations from code', () => {
  let modelFile: string;
  let nextFile: string;
  beforeAll(async () => {
    await applyModel(pg.database.db, snapshotOf([...shop]));
    modelFile = await folder.write('model.ts', `export { shop as model } from ${JSON.stringify(fixtures)};\n`);
    nextFile = await folder.write(
      'next.ts',
      `import { column, defineTable } from '../../src/model/index.js';
import { customers, orderStatus, orders, positiveAmount, openOrders } from ${JSON.stringify(fixtures)};
const ordersNext = defineTable('orders', {
  columns: { ...orders.columns, weight_g: column('integer').default('0') },
  primaryKey: ['id'],
  indexes: [...orders.spec.indexes, { name: 'orders_weight', keys: ['weight_g'] }],
  checks: { ...orders.spec.checks, orders_weight_nonnegative: '(weight_g >= 0)' },
  foreignKeys: orders.spec.foreignKeys,
});
export const model = [orderStatus, positiveAmount, customers, ordersNext, openOrders];
`,
    );
  });

  it('finds no difference between the definitions and the database they were applied to', async () => {
    expect((await compareWithDatabase(pg.database.db, snapshotOf([...shop]))).differences).toEqual([]);
    const scratch = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE 'strata_model_%'`.execute(pg.database.db);
    expect(scratch.rows).toEqual([{ n: 0 }]);
  });

  it('strata schema drift reports a column added by raw SQL and exits non-zero; 0 once it is gone', async () => {
    await sql`ALTER TABLE orders ADD COLUMN surprise text`.execute(pg.database.db);
    const drifted = await runCli(['schema', 'drift', '--model', modelFile], { DATABASE_URL: pg.url });
    expect(drifted.stdout).toContain('- orders.surprise: column not in the definitions (by hand)');
    expect(drifted.stderr).toMatch(/^strata: 1 difference between public and /);
    expect(drifted.code).toBe(1);
    await sql`ALTER TABLE orders DROP COLUMN surprise`.execute(pg.database.db);
    const clean = await runCli(['schema', 'drift', '--model', modelFile], { DATABASE_URL: pg.url });
    expect(clean.stdout).toContain('public matches');
    expect(clean.code).toBe(0);
  });

  it('a definition change becomes online operations that pass the linter, and running them removes the drift', async () => {
    const db = pg.database.db;
    const { differences, operations } = await compareWithDatabase(db, snapshotOf(shopNext));
    expect(differences.map((d) => `${d.change} ${d.object}`)).toEqual([
      'missing orders.weight_g',
      'missing orders.orders_weight',
      'missing orders.orders_weight_nonnegative',
    ]);
    expect(operations).toEqual([
      { op: 'add_column', table: 'orders', column: { name: 'weight_g', type: 'integer', nullable: false, default: '0' } },
      { op: 'create_index', table: 'orders', name: 'orders_weight', columns: ['weight_g'] },
      { op: 'add_check', table: 'orders', name: 'orders_weight_nonnegative', expression: '(weight_g >= 0)' },
    ]);
    const plan = await planMigration(db, '0001_weight', { operations });
    const statements = [...plan.start, ...plan.complete].flatMap((s) => (s.kind === 'ddl' ? s.statements : s.kind === 'concurrent' ? [s.statement] : []));
    expect(await lintSql(statements.join(';\n'))).toEqual([]);
    const migration = [{ name: '0001_weight', migration: { operations } }];
    expect((await startMigration(db, migration)).error).toBeUndefined();
    expect((await completeMigration(db, migration)).error).toBeUndefined();
    expect((await compareWithDatabase(db, snapshotOf(shopNext))).differences).toEqual([]);
  });

  it('a type change becomes alter_column (a shadow column, never ALTER COLUMN TYPE) and a dropped NOT NULL drop_not_null, lint-clean', async () => {
    const db = pg.database.db;
    const changed = defineTable('orders', {
      columns: {
        ...ordersNext.columns,
        lines: column('bigint').default('0'),
        meta: column('jsonb').nullable(),
        cost: column('numeric(12,2)').nullable().internal(),
      },
      primaryKey: ['id'],
      indexes: ordersNext.spec.indexes,
      checks: ordersNext.spec.checks,
      foreignKeys: ordersNext.spec.foreignKeys,
    });
    const { operations } = await compareWithDatabase(db, snapshotOf([orderStatus, positiveAmount, customers, changed, shop[4]]));
    expect(operations).toEqual([{ op: 'alter_column', table: 'orders', column: 'lines', type: 'bigint' }]);
    const plan = await planMigration(db, '0002_lines_bigint', { operations });
    const statements = [...plan.start, ...plan.complete].flatMap((s) => (s.kind === 'ddl' ? s.statements : s.kind === 'concurrent' ? [s.statement] : []));
    expect(statements.some((s) => /ALTER COLUMN \S+ TYPE/.test(s))).toBe(false);
    expect(await lintSql(statements.join(';\n'))).toEqual([]);
  });

  it('strata migrate generate writes that migration file (and nothing when there is no difference)', async () => {
    const dir = fileURLToPath(new URL('.', `file://${modelFile}`));
    const none = await runCli(['migrate', 'generate', 'nothing', '--model', nextFile, '--dir', dir], { DATABASE_URL: pg.url });
    expect(none.stdout).toContain('nothing to generate');
    expect(none.code).toBe(0);
    const back = await runCli(['migrate', 'generate', 'back', '--model', modelFile, '--dir', dir, '--allow-drop'], { DATABASE_URL: pg.url });
    expect(back.code).toBe(0);
    expect(back.stderr).not.toContain('lint:');
    const written = back.stdout.trim();
    expect(written).toMatch(/0001_back\.ts$/);
    const text = await readFile(written, 'utf8');
    expect(text).toContain(`"op": "drop_column"`);
    expect(text).toContain(`"op": "drop_index"`);
    expect(text).toContain(`"op": "drop_constraint"`);
  });
});
