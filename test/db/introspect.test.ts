import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { engineOf, introspect } from '../../src/db/index.js';
import { describeEachEngine } from '../support/engines.js';

describeEachEngine('introspection', ['postgres', 'mariadb'], (h) => {
  const schema = () => (h.engine === 'postgres' ? 'public' : undefined);
  beforeAll(async () => {
    const db = h.database.db;
    await sql
      .raw(`CREATE TABLE shelf (id bigint NOT NULL, sku varchar(40) NOT NULL, qty int NOT NULL DEFAULT 0, note text,
        PRIMARY KEY (id), CONSTRAINT shelf_sku_key UNIQUE (sku), CONSTRAINT shelf_qty_check CHECK (qty >= 0))`)
      .execute(db);
    await sql.raw('CREATE INDEX shelf_qty_sku ON shelf (qty, sku)').execute(db);
    await sql.raw('CREATE VIEW shelf_view AS SELECT id, sku FROM shelf').execute(db);
  });

  it('names the engine and reads its capability flags', async () => {
    const catalog = introspect(h.database.db);
    expect(engineOf(h.database.db)).toBe(h.engine);
    const capabilities = await catalog.capabilities();
    expect(capabilities.engine).toBe(h.engine);
    expect(capabilities.versionNum).toBe(h.database.capabilities.versionNum);
  });

  it('reads relation kinds, columns in table order with nullability and defaults', async () => {
    const catalog = introspect(h.database.db);
    expect(await catalog.relationKind(schema(), 'shelf')).toBe('table');
    expect(await catalog.relationKind(schema(), 'shelf_view')).toBe('view');
    expect(await catalog.relationKind(schema(), 'missing')).toBeUndefined();
    const columns = await catalog.columns(schema(), 'shelf');
    expect(columns.map((c) => [c.name, c.nullable, c.hasDefault])).toEqual([
      ['id', false, false],
      ['sku', false, false],
      ['qty', false, true],
      ['note', true, false],
    ]);
    expect(columns[1]?.type).toMatch(/^(character varying|varchar)\(40\)$/);
  });

  it('reads the primary key, unique and plain indexes with their columns in order, and constraint columns', async () => {
    const catalog = introspect(h.database.db);
    expect(await catalog.primaryKey(schema(), 'shelf')).toEqual(['id']);
    const indexes = await catalog.indexes(schema(), 'shelf');
    const byName = new Map(indexes.map((i) => [i.name, i]));
    const primary = indexes.find((i) => i.primary);
    expect(primary).toMatchObject({ columns: ['id'], unique: true, constraintType: 'primary' });
    expect(byName.get('shelf_sku_key')).toMatchObject({ columns: ['sku'], unique: true, primary: false, constraintType: 'unique', predicate: null });
    expect(byName.get('shelf_qty_sku')).toMatchObject({ columns: ['qty', 'sku'], unique: false, constraintType: null });
    expect(await catalog.constraintColumns(schema(), 'shelf', 'shelf_sku_key')).toEqual(['sku']);
    const checks = await catalog.checkConstraints(schema(), 'shelf');
    expect(checks.map((c) => [c.name, c.columns])).toEqual([['shelf_qty_check', ['qty']]]);
  });

  it("names a table's storage: the same until a TRUNCATE or a drop and create, undefined for a view or a missing table", async () => {
    const db = h.database.db;
    const catalog = introspect(db);
    await sql.raw('CREATE TABLE crate (id int)').execute(db);
    const first = await catalog.storageIdentity(schema(), 'crate');
    expect(first).toEqual(expect.any(String));
    await sql.raw('INSERT INTO crate VALUES (1)').execute(db);
    expect(await catalog.storageIdentity(schema(), 'crate')).toBe(first);
    await sql.raw('TRUNCATE crate').execute(db);
    const truncated = await catalog.storageIdentity(schema(), 'crate');
    expect(truncated).not.toBe(first);
    await sql.raw('DROP TABLE crate').execute(db);
    await sql.raw('CREATE TABLE crate (id int)').execute(db);
    const recreated = await catalog.storageIdentity(schema(), 'crate');
    expect([first, truncated]).not.toContain(recreated);
    expect(await catalog.storageIdentity(schema(), 'shelf_view')).toBeUndefined();
    expect(await catalog.storageIdentity(schema(), 'missing')).toBeUndefined();
  });
});

describeEachEngine('introspection of PostgreSQL-only features', ['postgres'], (h) => {
  it('reads partial and expression indexes', async () => {
    const db = h.database.db;
    await sql`CREATE TABLE tags (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, gone boolean NOT NULL DEFAULT false, total int GENERATED ALWAYS AS (id * 2) STORED)`.execute(
      db,
    );
    await sql`CREATE UNIQUE INDEX tags_live_name ON tags (name) WHERE NOT gone`.execute(db);
    await sql`CREATE INDEX tags_lower ON tags (lower(name))`.execute(db);
    const catalog = introspect(db);
    const byName = new Map((await catalog.indexes('public', 'tags')).map((i) => [i.name, i]));
    expect(byName.get('tags_live_name')).toMatchObject({ columns: ['name'], unique: true, predicate: '(NOT gone)', expressions: false });
    expect(byName.get('tags_lower')).toMatchObject({ columns: [], expressions: true });
    const columns = await catalog.columns('public', 'tags');
    expect(columns.find((c) => c.name === 'total')).toMatchObject({ generated: true, hasDefault: false, identity: false });
    expect(columns.find((c) => c.name === 'id')).toMatchObject({ identity: true, hasDefault: false });
    expect(columns.find((c) => c.name === 'gone')).toMatchObject({ identity: false, hasDefault: true });
  });

  it("a partitioned table's storage identity changes when one of its partitions is truncated", async () => {
    const db = h.database.db;
    await sql`CREATE TABLE readings (at date NOT NULL, value int) PARTITION BY RANGE (at)`.execute(db);
    await sql`CREATE TABLE readings_2026 PARTITION OF readings FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')`.execute(db);
    await sql`CREATE TABLE readings_2027 PARTITION OF readings FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')`.execute(db);
    const catalog = introspect(db);
    const before = await catalog.storageIdentity('public', 'readings');
    expect(before?.split(',')).toHaveLength(3);
    await sql`TRUNCATE readings_2027`.execute(db);
    expect(await catalog.storageIdentity('public', 'readings')).not.toBe(before);
  });
});
