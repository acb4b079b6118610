import { Readable } from 'node:stream';
import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { bulkInsert, csvFile, csvSource, ndjsonSource } from '../../src/bulk/index.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** Feeds `bytes` in reads of `size` bytes, so a BOM or a multi-byte character can straddle two reads. */
const reads = (bytes: Buffer, size: number) =>
  Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));

describe('text encoding of bulk sources (#20.17)', () => {
  let db: Kysely<unknown>;
  beforeAll(async () => {
    db = pg.database.db;
    await sql`CREATE TABLE enc (sku text PRIMARY KEY, name text NOT NULL)`.execute(db);
  });
  const names = async (prefix: string) =>
    (await sql<{ sku: string; name: string }>`SELECT sku, name FROM enc WHERE sku LIKE ${`${prefix}%`} ORDER BY sku`.execute(db)).rows;

  it('a UTF-8 byte-order mark is stripped by csvFile (strata load), csvSource and ndjsonSource (was part of the first column name)', async () => {
    const csv = Buffer.concat([BOM, Buffer.from('sku,name\nB-1,Grüße\nB-2,two\n')]);
    for (const size of [1, 2, 4, 1024]) {
      expect(await bulkInsert(pg.database, 'enc', csvFile(reads(csv, size)), { loadId: `bom-file-${size}` }), `read size ${size}`).toMatchObject({ rows: 2 });
      await sql`DELETE FROM enc`.execute(db);
      expect(await bulkInsert(pg.database, 'enc', csvSource(reads(csv, size))), `read size ${size}`).toMatchObject({ rows: 2 });
      expect(await names('B-')).toEqual([
        { sku: 'B-1', name: 'Grüße' },
        { sku: 'B-2', name: 'two' },
      ]);
      await sql`DELETE FROM enc`.execute(db);
    }
    const nd = Buffer.concat([BOM, Buffer.from('{"sku":"N-1","name":"Grüße"}\n')]);
    expect(await bulkInsert(pg.database, 'enc', ndjsonSource(reads(nd, 2)))).toMatchObject({ rows: 1 });
    expect(await names('N-')).toEqual([{ sku: 'N-1', name: 'Grüße' }]);
  });

  it('invalid UTF-8 in csvSource or ndjsonSource is an error naming its line, not a U+FFFD stored silently', async () => {
    const bad = (text: string, at: string) => {
      const [before, after] = text.split(at) as [string, string];
      return Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from(after)]);
    };
    const csv = bad('sku,name\nU-1,ok\nU-2,"multi\nline"\nU-3,b@d\n', '@');
    const nd = bad('{"sku":"V-1","name":"ok"}\n{"sku":"V-2","name":"b@d"}\n', '@');
    const surrogate = Buffer.concat([Buffer.from('{"sku":"V-3","name":"ok"}\n{"sku":"V-4","name":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}\n')]);
    const truncated = Buffer.concat([Buffer.from('sku,name\nT-1,ok\nT-2,'), Buffer.from([0xc3])]);
    for (const size of [1, 3, 1024]) {
      for (const [source, line] of [
        [csvSource(reads(csv, size)), 5],
        [ndjsonSource(reads(nd, size)), 2],
        [ndjsonSource(reads(surrogate, size)), 2],
        [csvSource(reads(truncated, size)), 3],
      ] as const) {
        const result = await bulkInsert(pg.database, 'enc', source);
        expect(result.error?.code, `read size ${size}`).toBe('BULK_SOURCE_INVALID');
        expect(result.error?.message, `read size ${size}`).toMatch(new RegExp(`line ${line}: .*not valid UTF-8`));
      }
    }
    expect(await names('U-')).toEqual([]);
    expect(await names('V-')).toEqual([]);
  });

  it('csvFile (COPY FORMAT csv) refuses invalid UTF-8 with the line of the record', async () => {
    const bytes = Buffer.concat([Buffer.from('sku,name\nF-1,ok\nF-2,'), Buffer.from([0xff]), Buffer.from('\n')]);
    const result = await bulkInsert(pg.database, 'enc', csvFile(Readable.from([bytes])));
    expect(result.error?.message).toMatch(/^line 3\b/);
    expect(await names('F-')).toEqual([]);
  });
});
