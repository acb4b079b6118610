import { join } from 'node:path';
import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  compareWithDatabase,
  diffModels,
  generateModelSource,
  introspectModel,
  renderedByDatabase,
  snapshotOf,
  type TableType,
  zodSchemas,
} from '../../src/model/index.js';
import { model, products } from '../../src/service/catalog/model.js';
import { migrateService, type ServiceDatabase } from '../../src/service/index.js';
import { runCli } from '../support/cli.js';
import { usePostgres } from '../support/postgres.js';
import { generatedFolder, IMPORT_FROM } from './generated.js';

const pg = usePostgres();
const folder = generatedFolder();

describe("the reference service's schema, declared code-first", () => {
  beforeAll(async () => {
    await pg.withSession((d) => migrateService(d.db));
  });

  it("the service's hand-written Kysely row type is the one the definition gives, and its internal columns stay out of the row schema", () => {
    expectTypeOf<Selectable<ServiceDatabase['products']>>().toEqualTypeOf<Selectable<TableType<typeof products>>>();
    for (const internal of ['cost', 'supplier_code', 'internal_notes']) expect(Object.keys(zodSchemas(products).row.shape)).not.toContain(internal);
  });

  it('has no drift from the database its migrations build', async () => {
    expect((await compareWithDatabase(pg.database.db, snapshotOf([...model]))).differences).toEqual([]);
  });

  it('strata codegen on that database gives its definitions back (all but which columns are internal)', async () => {
    const live = await introspectModel(pg.database.db);
    const file = await folder.write('service.ts', generateModelSource(live, { importFrom: IMPORT_FROM }));
    const generated = snapshotOf([...(await folder.load(file)).model]);
    const declared = await renderedByDatabase(pg.database.db, snapshotOf([...model]));
    expect(diffModels(declared, generated).differences).toEqual([]);
    expect(generated.tables.map((t) => [t.name, t.softDelete, t.history])).toEqual([['products', true, true]]);
  });

  it('strata codegen --check passes on a fresh file and fails once the database changed', async () => {
    const out = join(await folder.write('.keep', ''), '..', 'committed.ts');
    const write = await runCli(['codegen', '--out', out], { DATABASE_URL: pg.url });
    expect(write.code).toBe(0);
    const check = await runCli(['codegen', '--out', out, '--check'], { DATABASE_URL: pg.url });
    expect(check.stdout).toContain('up to date');
    expect(check.code).toBe(0);
    await sql`CREATE TABLE extra (id uuid PRIMARY KEY)`.execute(pg.database.db);
    const stale = await runCli(['codegen', '--out', out, '--check'], { DATABASE_URL: pg.url });
    expect(stale.stderr).toBe(`strata: ${out} is stale: run strata codegen --out ${out}\n`);
    expect(stale.code).toBe(1);
  });
});
