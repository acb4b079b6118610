import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { finished, pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyLine } from '../../src/bulk/encode.js';
import { bulkInsert, bulkUpsert, csvFile, exportRows, objectSource } from '../../src/bulk/index.js';
import { openPostgres, withTransaction } from '../../src/db/index.js';
import { hostileCsv } from './hostile-csv.js';

/** One measured method in its own process, so its peak RSS is its own. Prints one JSON line. */
const [method = '', url = '', rowsText = '0', file = ''] = process.argv.slice(2);
const rows = Number(rowsText);

function* products(n: number, round = 0): Generator<Record<string, unknown>> {
  const at = new Date('2026-01-01T00:00:00Z');
  for (let i = 0; i < n; i++) {
    yield {
      sku: `SKU-${i}`,
      name: `Product ${i} ${round}`,
      description: `A fine product number ${i}, round ${round}`,
      price: BigInt(1000 + i + round),
      stock: (i + round) % 500,
      tags: ['bulk', `t${i % 10}`],
      created_at: at,
      attrs: { colour: i % 2 ? 'red' : 'blue', size: i % 7 },
    };
  }
}

const database = await openPostgres(url, { max: 2, statementTimeoutMs: 0 });
const db = database.db;
const started = process.hrtime.bigint();
let loaded = rows;

if (method === 'idle') {
  loaded = 0;
} else if (method === 'naive') {
  for (const p of products(rows)) {
    await sql`INSERT INTO bulk_bench (sku, name, description, price, stock, tags, created_at, attrs) VALUES (${p.sku}, ${p.name}, ${p.description}, ${p.price}, ${p.stock}, ${p.tags}, ${p.created_at}, ${JSON.stringify(p.attrs)})`.execute(
      db,
    );
  }
} else if (method === 'one-transaction') {
  await withTransaction(db, async (trx) => {
    for (const p of products(rows)) {
      await sql`INSERT INTO bulk_bench (sku, name, description, price, stock, tags, created_at, attrs) VALUES (${p.sku}, ${p.name}, ${p.description}, ${p.price}, ${p.stock}, ${p.tags}, ${p.created_at}, ${JSON.stringify(p.attrs)})`.execute(
        trx,
      );
    }
  });
} else if (method === 'multi-row') {
  let batch: Record<string, unknown>[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const values = batch.map(
      (p) => sql`(${p.sku}, ${p.name}, ${p.description}, ${p.price}, ${p.stock}, ${p.tags}, ${p.created_at}, ${JSON.stringify(p.attrs)})`,
    );
    await sql`INSERT INTO bulk_bench (sku, name, description, price, stock, tags, created_at, attrs) VALUES ${sql.join(values)}`.execute(db);
    batch = [];
  };
  for (const p of products(rows)) {
    batch.push(p);
    if (batch.length === 1000) await flush();
  }
  await flush();
} else if (method === 'raw-copy' || method === 'raw-copy-2') {
  // Hand-written COPY: rows formatted by hand, 64 KiB writes with backpressure. On 2 connections (one COPY
  // each, like strata's default), each block goes to a connection whose COPY is not behind, else waits for one.
  const clients = Array.from({ length: method === 'raw-copy-2' ? 2 : 1 }, () => new pg.Client({ connectionString: url }));
  await Promise.all(clients.map((c) => c.connect()));
  const streams = clients.map((c) => c.query(copyFrom('COPY bulk_bench (sku, name, description, price, stock, tags, created_at, attrs) FROM STDIN')));
  let next = 0;
  const send = async (block: string) => {
    for (;;) {
      for (let i = 0; i < streams.length; i++) {
        const at = (next + i) % streams.length;
        const stream = streams[at];
        if (stream && !stream.writableNeedDrain) {
          next = (at + 1) % streams.length;
          stream.write(block);
          return;
        }
      }
      const stop = new AbortController();
      await Promise.race(streams.map((stream) => once(stream, 'drain', { signal: stop.signal }))).finally(() => stop.abort());
    }
  };
  let buffer = '';
  for (const p of products(rows)) {
    buffer += `${p.sku}\t${p.name}\t${p.description}\t${p.price}\t${p.stock}\t{${(p.tags as string[]).join(',')}}\t${(p.created_at as Date).toISOString()}\t${JSON.stringify(p.attrs)}\n`;
    if (buffer.length > 65536) {
      await send(buffer);
      buffer = '';
    }
  }
  if (buffer) await send(buffer);
  for (const stream of streams) stream.end();
  await Promise.all(streams.map((stream) => finished(stream)));
  await Promise.all(clients.map((c) => c.end()));
} else if (method.startsWith('strata-insert') || method === 'strata-upsert') {
  const source = objectSource(products(rows, method === 'strata-upsert' ? 1 : 0));
  const parallel = method === 'strata-insert-1' ? 1 : 2;
  const result =
    method === 'strata-upsert'
      ? await bulkUpsert(database, 'bulk_bench', source, { key: ['sku'] })
      : await bulkInsert(database, 'bulk_bench', source, { parallel });
  if (result.error) throw result.error;
  loaded = result.rows;
} else if (method === 'file-load') {
  const result = await bulkInsert(database, 'bulk_bench', csvFile(createReadStream(file)));
  if (result.error) throw result.error;
  loaded = result.rows;
} else if (method === 'export') {
  let n = 0;
  await pipeline(await exportRows(database, 'bulk_bench', { onRows: (r) => (n = r) }), createWriteStream('/dev/null'));
  loaded = n;
} else if (method === 'write-copy-text') {
  // The rows in COPY text format, for PostgreSQL to read itself (server-copy): untimed preparation.
  const out = createWriteStream(file, { mode: 0o644 });
  const columns = ['sku', 'name', 'description', 'price', 'stock', 'tags', 'created_at', 'attrs'];
  for (const p of products(rows)) if (!out.write(copyLine(p, columns))) await once(out, 'drain');
  await new Promise<void>((resolve) => out.end(() => resolve()));
} else if (method === 'server-copy') {
  // PostgreSQL alone: the server reads the file itself, no client encodes or sends anything. The ceiling for any loader.
  await sql`COPY bulk_bench (sku, name, description, price, stock, tags, created_at, attrs) FROM ${sql.lit(file)}`.execute(db);
} else if (method === 'write-csv') {
  const out = createWriteStream(file);
  out.write('sku,name,description,price,stock,tags,created_at,attrs\n');
  for (const p of products(rows)) {
    const line = `${p.sku},${p.name},"${p.description}",${p.price},${p.stock},"{${(p.tags as string[]).join(',')}}",${(p.created_at as Date).toISOString()},"${JSON.stringify(p.attrs).replace(/"/g, '""')}"\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
} else if (method === 'write-hostile') {
  // The 20-column hostile CSV (bench/lib/hostile-csv.ts) for the file loads compared with psql's \copy.
  const out = createWriteStream(file);
  for (const text of hostileCsv(rows)) if (!out.write(text)) await once(out, 'drain');
  await new Promise<void>((resolve) => out.end(() => resolve()));
} else {
  throw new Error(`unknown method ${method}`);
}

const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await database.close();
process.stdout.write(`${JSON.stringify({ method, rows: loaded, seconds, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
