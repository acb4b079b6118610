import { type RawBuilder, sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { type Database, ensureStrataSchema, StrataError } from '../db/index.js';
import type { BlobBackend, ListedObject } from './backend.js';
import { CHUNKS } from './tables.js';

/** Bytes per row of `strata.blob_chunks`. */
export const CHUNK_SIZE = 1024 * 1024;
/** Chunks fetched per query when reading. */
const CHUNKS_PER_READ = 2;

/**
 * Objects as rows of `strata.blob_chunks` (1 MiB each, stored out of line and uncompressed) in the
 * same database as the metadata, so they share its backups. Each chunk is written by its own
 * statement on a connection taken for that statement (an upload holds no connection while it
 * waits for the client), and read back two chunks at a time, so neither direction
 * holds a whole object in memory, and a range reads only its chunks. Not `bytea` of a whole object
 * (which must fit in memory) and not large objects (which escape row-level permissions and dumps by table).
 *
 * @example
 * const backend = postgresBackend(database);
 */
export function postgresBackend(database: Database): BlobBackend {
  if (database.engine !== 'postgres') throw new StrataError('BLOB_BACKEND_UNAVAILABLE', 'the postgres blob backend needs a PostgreSQL database');
  const db = database.db;
  const query = async <R>(statement: RawBuilder<R>): Promise<R[]> => {
    await ensureStrataSchema(db);
    return (await statement.execute(db)).rows;
  };
  const chunks = sql.raw(CHUNKS);
  const remove = async (key: string) => {
    await query(sql`DELETE FROM ${chunks} WHERE key = ${key}`);
  };
  return {
    name: 'postgres',
    async stage(source) {
      const key = uuidv7();
      let n = 0;
      let size = 0;
      let chunk = Buffer.allocUnsafe(CHUNK_SIZE);
      let filled = 0;
      const flush = async () => {
        await query(sql`INSERT INTO ${chunks} (key, n, data) VALUES (${key}, ${n}, ${filled === CHUNK_SIZE ? chunk : chunk.subarray(0, filled)})`);
        n += 1;
        filled = 0;
        chunk = Buffer.allocUnsafe(CHUNK_SIZE);
      };
      try {
        for await (const data of source) {
          size += data.length;
          for (let at = 0; at < data.length; ) {
            const copied = data.copy(chunk, filled, at);
            at += copied;
            filled += copied;
            if (filled === CHUNK_SIZE) await flush();
          }
        }
        if (filled > 0 || n === 0) await flush();
        return { location: key, size };
      } catch (err) {
        await remove(key).catch(() => undefined);
        throw err;
      }
    },
    keyFor: (staged) => staged.location,
    async place(staged) {
      const rows = await query(sql<{ size: string }>`SELECT coalesce(sum(octet_length(data)), 0)::text AS size FROM ${chunks} WHERE key = ${staged.location}`);
      if (Number(rows[0]?.size) !== staged.size) throw new StrataError('BLOB_MISSING', `the staged postgres object ${staged.location} is gone`);
      return staged.location;
    },
    discard: (staged) => remove(staged.location),
    async *read(key, start, end) {
      const firstN = Math.floor(start / CHUNK_SIZE);
      const lastN = end === undefined ? Number.POSITIVE_INFINITY : Math.floor((end - 1) / CHUNK_SIZE);
      for (let n = firstN; n <= lastN; ) {
        const from = n;
        const upTo = Math.min(lastN, n + CHUNKS_PER_READ - 1);
        const rows = await query(
          sql<{ n: number; data: Buffer }>`SELECT n, data FROM ${chunks} WHERE key = ${key} AND n BETWEEN ${from} AND ${upTo} ORDER BY n`,
        );
        if (rows.length === 0 && n === firstN) throw new StrataError('BLOB_MISSING', `the postgres object ${key} is missing`);
        for (const row of rows) {
          if (row.n !== n) return; // a chunk is missing: the reader finds the object short
          const offset = n * CHUNK_SIZE;
          const a = Math.max(start, offset) - offset;
          const b = end === undefined ? row.data.length : Math.min(end, offset + row.data.length) - offset;
          n += 1;
          if (b > a) yield a === 0 && b === row.data.length ? row.data : row.data.subarray(a, b);
        }
        if (rows.length < upTo - from + 1) return;
      }
    },
    remove,
    async *list(): AsyncGenerator<ListedObject> {
      const rows = await query(sql<{ key: string; modified: Date }>`SELECT key, max(written_at) AS modified FROM ${chunks} GROUP BY key`);
      for (const row of rows) yield { key: row.key, modifiedAt: row.modified, staged: false };
    },
  };
}
