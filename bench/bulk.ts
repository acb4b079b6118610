import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { openPostgres } from '../src/db/index.js';
import { benchDatabase } from './lib/database.js';
import { publish } from './lib/report.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
/** The worker runs compiled (as `npm install` builds strata), not through tsx: RSS is the library's, not a TypeScript compiler's. */
const worker = join(root, '.strata/bench-build/bench/lib/bulk-worker.js');
const MILLION = 1_000_000;
const ROUNDS = Number(process.env.STRATA_BENCH_ROUNDS ?? 3);

const median = (runs: readonly Measured[]): Measured => {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  const middle = sorted[Math.floor(sorted.length / 2)] as Measured;
  return { ...middle, maxRssMb: Math.max(...runs.map((r) => r.maxRssMb)) };
};

interface Measured {
  readonly method: string;
  readonly rows: number;
  readonly seconds: number;
  readonly maxRssMb: number;
}

/** bulkInsert vs raw COPY vs naive inserts, bulkUpsert over existing rows, and peak RSS of file loads and exports. */
export default async function bench(): Promise<void> {
  process.stderr.write('bench: compiling the worker (tsconfig.bench.json)\n');
  await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.bench.json')]);
  const target = await benchDatabase();
  const database = await openPostgres(target.url, { max: 1, statementTimeoutMs: 0 });
  const dir = await mkdtemp(join(tmpdir(), 'strata-bulk-bench-'));
  await chmod(dir, 0o755); // the embedded server (its own OS user) reads the ceiling's file from here
  const reset = async () => {
    await sql`DROP TABLE IF EXISTS bulk_bench`.execute(database.db);
    await sql`CREATE TABLE bulk_bench (id bigserial PRIMARY KEY, sku text NOT NULL UNIQUE, name text NOT NULL, description text NOT NULL, price bigint NOT NULL,
      stock int NOT NULL, tags text[] NOT NULL, created_at timestamptz NOT NULL, attrs jsonb NOT NULL)`.execute(database.db);
  };
  const measure = async (method: string, rows: number, file = '', fresh = true): Promise<Measured> => {
    if (fresh) await reset();
    process.stderr.write(`bench: ${method} (${rows.toLocaleString('en-US')} rows)\n`);
    const { stdout } = await run(process.execPath, [worker, method, target.url, String(rows), file], { maxBuffer: 1 << 20 });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Measured;
  };
  try {
    const idle = await measure('idle', 0);
    const oneTx = await measure('one-transaction', 100_000);
    const multi = await measure('multi-row', MILLION);
    // The ratios the acceptance names come from alternating rounds (median time, highest RSS): one run is too noisy on a small VM.
    // The server reads a file itself (no client at all) only when it runs on this machine: the embedded one.
    const copyText = join(dir, 'rows.copy');
    const local = !process.env.DATABASE_URL;
    if (local) await measure('write-copy-text', MILLION, copyText, false);
    const runs: Measured[][] = [[], [], [], [], [], []];
    for (let round = 0; round < ROUNDS; round++) {
      runs[0]?.push(await measure('naive', 20_000));
      runs[1]?.push(await measure('raw-copy', MILLION));
      runs[2]?.push(await measure('strata-insert', MILLION));
      runs[3]?.push(await measure('strata-insert-1', MILLION));
      // Over the 1M rows strata-insert-1 just loaded.
      runs[4]?.push(await measure('strata-upsert', MILLION, '', false));
      if (local) runs[5]?.push(await measure('server-copy', MILLION, copyText));
    }
    const [naive, raw, insert, single, upsert] = runs.map(median) as [Measured, Measured, Measured, Measured, Measured];
    const server = local ? median(runs[5] ?? []) : undefined;
    const file1 = join(dir, 'one.csv');
    const file5 = join(dir, 'five.csv');
    await measure('write-csv', MILLION, file1, false);
    await measure('write-csv', 5 * MILLION, file5, false);
    const load1 = await measure('file-load', MILLION, file1);
    const load5 = await measure('file-load', 5 * MILLION, file5);
    const exported = await measure('export', 5 * MILLION, '', false);
    const rate = (m: Measured) => m.rows / m.seconds;
    const perMillion = (m: Measured) => MILLION / rate(m);
    const rows = [
      { m: naive, label: 'naive: one INSERT per row, autocommit (20k rows, extrapolated)' },
      { m: oneTx, label: 'one transaction, one INSERT per row (100k rows, extrapolated)' },
      { m: multi, label: 'multi-row INSERT, 1,000 rows per statement' },
      { m: raw, label: 'raw COPY with pg-copy-streams (baseline)' },
      ...(server ? [{ m: server, label: 'ceiling: PostgreSQL alone, COPY FROM a server-side file (no client work)' }] : []),
      { m: insert, label: 'strata bulkInsert (default: 2 connections)' },
      { m: single, label: 'strata bulkInsert, parallel: 1 (one connection, like raw COPY)' },
      { m: upsert, label: 'strata bulkUpsert over the existing 1M' },
      { m: load1, label: 'strata bulkInsert from a 1M-row CSV file' },
      { m: load5, label: 'strata bulkInsert from a 5M-row CSV file' },
      { m: exported, label: 'strata exportRows, 5M rows (CSV)' },
    ].map(({ m, label }) => ({
      method: label,
      'rows/s': Math.round(rate(m)),
      's per 1M rows': Number(perMillion(m).toFixed(2)),
      'vs raw COPY': Number((rate(m) / rate(raw)).toFixed(3)),
      'peak RSS MB': m.maxRssMb,
    }));
    const vsRaw = rate(insert) / rate(raw);
    const vsNaive = rate(insert) / rate(naive);
    const ceiling = server
      ? ` PostgreSQL alone (server-side COPY of the same rows from a file, no client) reached ${(rate(server) / rate(naive)).toFixed(1)}x naive in this run, raw COPY ${(rate(raw) / rate(naive)).toFixed(1)}x.`
      : '';
    const upsertRatio = perMillion(upsert) / perMillion(insert);
    const rssDiff = Math.abs(load5.maxRssMb - load1.maxRssMb) / load1.maxRssMb;
    await publish({
      name: 'bulk',
      title: 'Bulk: 1M-row loads, upserts, file loads and exports',
      database: target.label,
      columns: ['method', 'rows/s', 's per 1M rows', 'vs raw COPY', 'peak RSS MB'],
      rows,
      checks: [
        { claim: `bulkInsert of 1M rows >= 0.9x raw COPY rows/s (measured ${vsRaw.toFixed(3)}x)`, holds: vsRaw >= 0.9 },
        { claim: `bulkInsert >= 50x the naive method (measured ${vsNaive.toFixed(1)}x).${ceiling}`, holds: vsNaive >= 50 },
        { claim: `bulkUpsert of 1M over 1M takes <= 3x bulkInsert of 1M (measured ${upsertRatio.toFixed(2)}x)`, holds: upsertRatio <= 3 },
        {
          claim: `peak RSS of the 1M-row (${load1.maxRssMb} MB) and 5M-row (${load5.maxRssMb} MB) file loads differ by < 20% (measured ${(rssDiff * 100).toFixed(1)}%) and stay under 150 MB`,
          holds: rssDiff < 0.2 && load1.maxRssMb < 150 && load5.maxRssMb < 150,
        },
        { claim: `exportRows of 5M rows stays under 150 MB (measured ${exported.maxRssMb} MB)`, holds: exported.maxRssMb < 150 },
      ],
      notes: [
        `naive, raw COPY, the server-side ceiling, both strata bulkInsert rows and bulkUpsert: median time of ${ROUNDS} alternating rounds, highest peak RSS of the rounds; every other row is one run.`,
        'The ceiling row is PostgreSQL reading the rows (in COPY text format, written beforehand) from a file on its own machine: no client encodes or sends anything, so no client-side loader on one connection can beat it. It is measured only on the embedded server (a DATABASE_URL server may not see local files); its peak RSS is the idle client process.',
        'Table: 8 columns (text, bigint, int, text[], timestamptz, jsonb) plus a bigserial key and a unique SKU index. Each method runs in its own process (peak RSS is that process), into a fresh table.',
        'Generated rows are the same for every method; raw COPY formats them by hand, strata through its encoder. CSV files are written first, then loaded.',
        `RSS includes the runtime baseline: Node, pg, Kysely and strata's compiled modules (a worker that connects and loads nothing peaks at ${idle.maxRssMb} MB in this run). The worker runs strata compiled, as \`npm install\` builds it (dist/), not through tsx.`,
        'strata bulkInsert writes chunks on 2 connections by default (the server parses one chunk while the next streams in); the parallel: 1 row is the same loader on one connection. Text COPY format: a binary-format prototype measured no faster on the server and slower in Node for this table.',
      ],
    });
    await sql`DROP TABLE IF EXISTS bulk_bench`.execute(database.db);
  } finally {
    await database.close();
    await target.close();
    await rm(dir, { recursive: true, force: true });
  }
}
