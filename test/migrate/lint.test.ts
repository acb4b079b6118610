import { describe, expect, it } from 'vitest';
import { lintSql, lockOf } from '../../src/migrate/index.js';

const rules = async (text: string) => (await lintSql(text)).map((f) => f.rule);

describe('strata migrate lint (libpg_query parse trees)', () => {
  it.each([
    ['CREATE INDEX products_name ON products (name)', 'require-concurrent-index'],
    ['ALTER TABLE products ALTER COLUMN stock TYPE bigint', 'alter-column-type'],
    ['ALTER TABLE products ADD CONSTRAINT f FOREIGN KEY (owner) REFERENCES owners (id)', 'constraint-missing-not-valid'],
    ['ALTER TABLE products ADD CONSTRAINT c CHECK (price > 0)', 'constraint-missing-not-valid'],
    ['ALTER TABLE products ALTER COLUMN sku SET NOT NULL', 'set-not-null-without-check'],
    [
      'ALTER TABLE products ADD CONSTRAINT s_nn CHECK (_s IS NOT NULL) NOT VALID; ALTER TABLE products VALIDATE CONSTRAINT s_nn; ALTER TABLE products RENAME COLUMN _s TO stock; ALTER TABLE products ALTER COLUMN _s SET NOT NULL',
      'set-not-null-without-check',
    ],
    ['ALTER TABLE products ADD COLUMN token uuid DEFAULT gen_random_uuid()', 'add-column-volatile-default'],
    ['ALTER TABLE products ADD CONSTRAINT products_sku_key UNIQUE (sku)', 'unique-constraint-without-index'],
  ])('flags %s', async (text, rule) => {
    expect(await rules(text)).toEqual([rule]);
  });

  it.each([
    'CREATE INDEX CONCURRENTLY products_name ON products (name)',
    'ALTER TABLE products ADD CONSTRAINT f FOREIGN KEY (owner) REFERENCES owners (id) NOT VALID; ALTER TABLE products VALIDATE CONSTRAINT f',
    'ALTER TABLE products ADD CONSTRAINT c CHECK (price > 0) NOT VALID',
    'ALTER TABLE products ADD CONSTRAINT sku_nn CHECK (sku IS NOT NULL) NOT VALID; ALTER TABLE products VALIDATE CONSTRAINT sku_nn; ALTER TABLE products ALTER COLUMN sku SET NOT NULL',
    'ALTER TABLE products ADD COLUMN seen_at timestamptz DEFAULT now()',
    // alter_column's swap: the validated check was added on the shadow column, which is renamed into place (found by strata migrate generate, #27).
    'ALTER TABLE products ADD CONSTRAINT s_nn CHECK (_s IS NOT NULL) NOT VALID; ALTER TABLE products VALIDATE CONSTRAINT s_nn; ALTER TABLE products DROP COLUMN stock; ALTER TABLE products RENAME COLUMN _s TO stock; ALTER TABLE products ALTER COLUMN stock SET NOT NULL',
    'CREATE UNIQUE INDEX CONCURRENTLY products_sku_key ON products (sku); ALTER TABLE products ADD CONSTRAINT products_sku_key UNIQUE USING INDEX products_sku_key',
    // A table created in the same text is nobody's yet.
    'CREATE TABLE fresh (id int); CREATE INDEX fresh_id ON fresh (id); ALTER TABLE fresh ALTER COLUMN id TYPE bigint',
  ])('passes the safe form %s', async (text) => {
    expect(await rules(text)).toEqual([]);
  });

  it('is a parser, not a pattern: a statement inside a string or comment is not flagged', async () => {
    expect(await rules("SELECT 'CREATE INDEX i ON t (a)' -- ALTER TABLE t ALTER COLUMN a TYPE bigint")).toEqual([]);
  });

  it('names the lock each statement takes', async () => {
    expect(await lockOf('CREATE INDEX CONCURRENTLY i ON t (a)')).toMatch(/SHARE UPDATE EXCLUSIVE/);
    expect(await lockOf('ALTER TABLE t VALIDATE CONSTRAINT c')).toMatch(/SHARE UPDATE EXCLUSIVE/);
    expect(await lockOf('ALTER TABLE t ADD COLUMN b int')).toMatch(/ACCESS EXCLUSIVE, briefly/);
  });
});
