import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawCsvRuns } from '../../src/bulk/csv-raw.js';
import { bulkInsert, csvFile, fileReads, ReadPool } from '../../src/bulk/index.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();

/** 3,000 records, some quoted across lines, of varied length: records straddle the 4 KiB reads everywhere. */
const rows = Array.from({ length: 3000 }, (_, i) => `P-${i},"${'x'.repeat(i % 97)}${i % 7 === 0 ? '\nsecond, line' : ''}",${i}`);
const body = `${rows.join('\n')}\n`;

describe('ReadPool: a CSV file load reads into reused buffers (#30 acceptance 4)', () => {
  let dir: string;
  let file: string;
  let db: Kysely<unknown>;
  beforeAll(async () => {
    db = pg.database.db;
    dir = await mkdtemp(join(tmpdir(), 'strata-read-pool-'));
    file = join(dir, 'p.csv');
    await writeFile(file, `sku,name,stock\n${body}`);
    await sql`CREATE TABLE pooled (sku text PRIMARY KEY, name text NOT NULL, stock int NOT NULL)`.execute(db);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a read given back after its scan is read into again, and no record is changed by it (partial records are copies)', async () => {
    const pool = new ReadPool(4096);
    const out: Buffer[] = [];
    let reads = 0;
    for await (const run of rawCsvRuns(
      csvFile(
        fileReads(file, pool, () => reads++),
        pool,
      ),
      500,
      () => false,
      async () => undefined,
    ))
      out.push(Buffer.concat(run.data as Buffer[]));
    expect(Buffer.concat(out).toString('utf8')).toBe(body);
    expect(reads).toBeGreaterThan(20);
    // The first read (copied by the byte-order-mark check) and one buffer used for every later read.
    expect(pool.made).toBeLessThanOrEqual(2);
  });

  it('bulkInsert over pooled reads loads every row exactly, and reuses buffers once their chunk is sent', async () => {
    const pool = new ReadPool(4096);
    let reads = 0;
    const result = await bulkInsert(
      pg.database,
      'pooled',
      csvFile(
        fileReads(file, pool, () => reads++),
        pool,
      ),
      { chunkRows: 400, parallel: 2 },
    );
    expect(result).toMatchObject({ rows: 3000, chunks: 8 });
    const stored = await sql<{ sku: string; name: string; stock: number }>`SELECT sku, name, stock FROM pooled ORDER BY stock`.execute(db);
    expect(stored.rows.map((r) => `${r.sku},"${r.name}",${r.stock}`)).toEqual(rows);
    // A third chunk opens only once the first has committed, whose buffers are then free again.
    expect(pool.made).toBeLessThan(reads);
  });
});
