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
 * Chunks are read in slices of 48 KiB, one row each: a bytea comes back as hex text, and a 1 MiB
 * chunk's 2 MiB string landed in V8's large-object space, where such garbage waits for a full
 * collection (the service's peak RSS grew by about 80 MiB over a 256 MiB download); a 96 KiB
 * string is young garbage, gone at the next scavenge. PostgreSQL reads only a slice's part of an
 * uncompressed (`STORAGE EXTERNAL`) value.
 */
const SLICE = 48 * 1024;

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
      // One buffer for every chunk: once its INSERT has completed, node-postgres has sent (copied) it.
      const chunk = Buffer.allocUnsafe(CHUNK_SIZE);
      let filled = 0;
      const flush = async () => {
        await query(sql`INSERT INTO ${chunks} (key, n, data) VALUES (${key}, ${n}, ${filled === CHUNK_SIZE ? chunk : chunk.subarray(0, filled)})`);
        n += 1;
        filled = 0;
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
          sql<{ n: number; i: number; data: Buffer }>`
            SELECT c.n, s.i, substring(c.data FROM s.i * ${SLICE}::int + 1 FOR ${SLICE}::int) AS data
              FROM ${chunks} c CROSS JOIN generate_series(0, ${Math.ceil(CHUNK_SIZE / SLICE) - 1}::int) AS s(i)
             WHERE c.key = ${key} AND c.n BETWEEN ${from}::int AND ${upTo}::int AND s.i * ${SLICE}::int < octet_length(c.data)
             ORDER BY c.n, s.i`,
        );
        if (rows.length === 0 && n === firstN) throw new StrataError('BLOB_MISSING', `the postgres object ${key} is missing`);
        // Slices in order: chunk `n` from slice 0, then chunk n + 1 from slice 0, ...; a gap ends the read (the reader finds the object short).
        let slice = 0;
        for (const row of rows) {
          if (row.n === n + 1 && row.i === 0 && slice > 0) {
            n += 1;
            slice = 0;
          }
          if (row.n !== n || row.i !== slice) return;
          slice += 1;
          const offset = n * CHUNK_SIZE + row.i * SLICE;
          const a = Math.max(start, offset) - offset;
          const b = end === undefined ? row.data.length : Math.min(end, offset + row.data.length) - offset;
          if (b > a) yield a === 0 && b === row.data.length ? row.data : row.data.subarray(a, b);
        }
        if (rows.length === 0 || n < upTo) return;
        n += 1;
      }
    },
    remove,
    async *list(): AsyncGenerator<ListedObject> {
      const rows = await query(sql<{ key: string; modified: Date }>`SELECT key, max(written_at) AS modified FROM ${chunks} GROUP BY key`);
      for (const row of rows) yield { key: row.key, modifiedAt: row.modified, staged: false };
    },
  };
}
