import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { openPostgres } from '../src/db/index.js';
import { compareCommands } from './lib/bulk-commands.js';
import { benchDatabase } from './lib/database.js';
import { measureRounds, median, methodNote, ratio, roundRatios, sized, spread } from './lib/measure.js';
import { publish } from './lib/report.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
/** The worker runs compiled (as `npm install` builds strata), not through tsx: RSS is the library's, not a TypeScript compiler's. */
const worker = join(root, '.strata/bench-build/bench/lib/bulk-worker.js');
/** The load size (1M rows; the file and export rows use 5x it); STRATA_BENCH_QUICK=1 makes it small. */
const MILLION = sized(1_000_000, 20_000);
const NAIVE_ROWS = sized(20_000, 1_000);
const ONE_TX_ROWS = sized(100_000, 2_000);
const ROUNDS = sized(3, 2);
/** `library` (bulk.md: the loader in-process), `cli` (bulk-cli.md: whole commands vs psql \copy), or both (default). */
const PART = process.env.STRATA_BENCH_PART ?? 'all';

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
  /** The 8-column CSV files, each written once. */
  const csvFiles = new Map<number, Promise<string>>();
  const csv = (rows: number) => {
    let file = csvFiles.get(rows);
    if (!file) {
      const path = join(dir, `rows-${rows}.csv`);
      file = measure('write-csv', rows, path, false).then(() => path);
      csvFiles.set(rows, file);
    }
    return file;
  };
  try {
    if (PART !== 'library') {
      await compareCommands({
        url: target.url,
        label: target.label,
        name: process.env.DATABASE_URL ? 'bulk-cli' : 'bulk-cli-embedded',
        db: database.db,
        dir,
        rows: MILLION,
        csv,
        worker: async (method, rows, file) => {
          await measure(method, rows, file, false);
        },
      });
    }
    if (PART === 'cli') return;
    const idle = await measure('idle', 0);
    const oneTx = await measure('one-transaction', ONE_TX_ROWS);
    const multi = await measure('multi-row', MILLION);
    // The server reads a file itself (no client at all) only when it runs on this machine: the embedded one.
    const copyText = join(dir, 'rows.copy');
    const local = !process.env.DATABASE_URL;
    if (local) await measure('write-copy-text', MILLION, copyText, false);
    // The compared methods, by the one method of bench/README.md: rows/s per run; every run's peak RSS kept.
    const runs = new Map<string, Measured[]>();
    const timedRun =
      (method: string, rows: number, file = '', preload = false) =>
      async () => {
        if (preload) {
          // The upsert's existing rows: loaded untimed, in their own process.
          await measure('raw-copy', rows);
        }
        const m = await measure(method, rows, file, !preload);
        runs.set(method, [...(runs.get(method) ?? []), m]);
        return m.rows / m.seconds;
      };
    const s = await measureRounds(ROUNDS, {
      naive: timedRun('naive', NAIVE_ROWS),
      raw1: timedRun('raw-copy', MILLION),
      raw2: timedRun('raw-copy-2', MILLION),
      strata2: timedRun('strata-insert', MILLION),
      strata1: timedRun('strata-insert-1', MILLION),
      upsert: timedRun('strata-upsert', MILLION, '', true),
      server: local ? timedRun('server-copy', MILLION, copyText) : undefined,
    });
    const file1 = await csv(MILLION);
    const file5 = await csv(5 * MILLION);
    const load1 = await measure('file-load', MILLION, file1);
    const load5 = await measure('file-load', 5 * MILLION, file5);
    const exported = await measure('export', 5 * MILLION, '', false);
    const rate = (m: Measured) => m.rows / m.seconds;
    const raw1 = median(s.raw1);
    /** A compared method's row: median rows/s of its rounds, highest peak RSS of its runs. */
    const compared = (key: keyof typeof s, method: string, label: string) => {
      const samples = s[key] ?? [];
      return { label, rate: median(samples), rss: Math.max(...(runs.get(method) ?? []).map((m) => m.maxRssMb)), vsRaw1: ratio(samples, s.raw1) };
    };
    const once = (m: Measured, label: string) => ({ label, rate: rate(m), rss: m.maxRssMb, vsRaw1: rate(m) / raw1 });
    const table = [
      compared('naive', 'naive', `naive: one INSERT per row, autocommit (${NAIVE_ROWS.toLocaleString('en-US')} rows, extrapolated)`),
      once(oneTx, `one transaction, one INSERT per row (${ONE_TX_ROWS.toLocaleString('en-US')} rows, extrapolated)`),
      once(multi, 'multi-row INSERT, 1,000 rows per statement'),
      compared('raw1', 'raw-copy', 'raw COPY with pg-copy-streams, 1 connection (baseline)'),
      compared('raw2', 'raw-copy-2', 'raw COPY with pg-copy-streams, 2 connections'),
      ...(local ? [compared('server', 'server-copy', 'PostgreSQL alone: COPY FROM a server-side file (no client work; a reference, not a bound)')] : []),
      compared('strata1', 'strata-insert-1', 'strata bulkInsert, parallel: 1 (1 connection)'),
      compared('strata2', 'strata-insert', 'strata bulkInsert, default parallel: 2 (2 connections)'),
      compared('upsert', 'strata-upsert', 'strata bulkUpsert over the existing rows (2 connections)'),
      once(load1, 'strata bulkInsert from a 1M-row CSV file'),
      once(load5, 'strata bulkInsert from a 5M-row CSV file'),
      once(exported, 'strata exportRows, 5M rows (CSV)'),
    ];
    const rows = table.map((r) => ({
      method: r.label,
      'rows/s': Math.round(r.rate),
      's per 1M rows': Number((1_000_000 / r.rate).toFixed(2)),
      'vs raw COPY (1 conn.)': Number(r.vsRaw1.toFixed(3)),
      'peak RSS MB': r.rss,
    }));
    const at1 = ratio(s.strata1, s.raw1);
    const at2 = ratio(s.strata2, s.raw2);
    const vsNaive2 = ratio(s.strata2, s.naive);
    const vsNaive1 = ratio(s.strata1, s.naive);
    const upsertRatio = ratio(s.strata2, s.upsert);
    const reference = s.server?.length
      ? ` For reference, PostgreSQL reading the same rows from a server-side file reached ${ratio(s.server, s.naive).toFixed(1)}x naive, raw COPY on 1 connection ${ratio(s.raw1, s.naive).toFixed(1)}x, on 2 connections ${ratio(s.raw2, s.naive).toFixed(1)}x.`
      : '';
    const rssDiff = Math.abs(load5.maxRssMb - load1.maxRssMb) / load1.maxRssMb;
    await publish({
      name: 'bulk',
      title: 'Bulk: 1M-row loads, upserts, file loads and exports',
      database: target.label,
      columns: ['method', 'rows/s', 's per 1M rows', 'vs raw COPY (1 conn.)', 'peak RSS MB'],
      rows,
      checks: [
        { claim: `bulkInsert >= 0.9x raw COPY at equal parallelism: 1 connection each (measured ${at1.toFixed(3)}x)`, holds: at1 >= 0.9 },
        { claim: `bulkInsert >= 0.9x raw COPY at equal parallelism: 2 connections each (measured ${at2.toFixed(3)}x)`, holds: at2 >= 0.9 },
        {
          claim: `bulkInsert >= 50x the naive method (measured ${vsNaive2.toFixed(1)}x on 2 connections, ${vsNaive1.toFixed(1)}x on 1; naive uses 1).${reference}`,
          holds: vsNaive2 >= 50,
        },
        { claim: `bulkUpsert over existing rows takes <= 3x bulkInsert, both on 2 connections (measured ${upsertRatio.toFixed(2)}x)`, holds: upsertRatio <= 3 },
        {
          claim: `peak RSS of the 1M-row (${load1.maxRssMb} MB) and 5M-row (${load5.maxRssMb} MB) file loads differ by < 20% (measured ${(rssDiff * 100).toFixed(1)}%) and stay under 150 MB`,
          holds: rssDiff < 0.2 && load1.maxRssMb < 150 && load5.maxRssMb < 150,
        },
        { claim: `exportRows of 5M rows stays under 150 MB (measured ${exported.maxRssMb} MB)`, holds: exported.maxRssMb < 150 },
      ],
      notes: [
        `${methodNote(ROUNDS)} Applies to naive, both raw COPY rows, the server-side file, both strata bulkInsert rows and bulkUpsert (peak RSS: the highest of their runs); every other row is one run.`,
        `Per-round ratios: bulkInsert vs raw COPY, 1 connection ${spread(roundRatios(s.strata1, s.raw1), 3)}, 2 connections ${spread(roundRatios(s.strata2, s.raw2), 3)}; vs naive (2 connections) ${spread(roundRatios(s.strata2, s.naive), 1)}.`,
        'Raw COPY on 2 connections: two COPY statements, one per connection, each 64 KiB block written to a connection whose COPY is not behind (else it waits for one): what a hand-written parallel COPY would do, compared with strata at its default of 2.',
        "The server-side file row is PostgreSQL reading the rows (in COPY text format, written beforehand) from a file on its own machine: no client encodes or sends anything. It is not an upper bound: a client's COPY lets the server parse while the client encodes, and raw COPY on one connection has beaten it. It is measured only on the embedded server (a DATABASE_URL server may not see local files); its peak RSS is the idle client process.",
        'Table: 8 columns (text, bigint, int, text[], timestamptz, jsonb) plus a bigserial key and a unique SKU index. Each method runs in its own process (peak RSS is that process), into a fresh table; bulkUpsert runs over rows loaded beforehand by an untimed raw COPY.',
        'Generated rows are the same for every method; raw COPY formats them by hand, strata through its encoder. CSV files are written first, then loaded.',
        `RSS includes the runtime baseline: Node, pg, Kysely and strata's compiled modules (a worker that connects and loads nothing peaks at ${idle.maxRssMb} MB in this run). The worker runs strata compiled, as \`npm install\` builds it (dist/), not through tsx.`,
        'Text COPY format: a binary-format prototype measured no faster on the server and slower in Node for this table.',
      ],
    });
    await sql`DROP TABLE IF EXISTS bulk_bench`.execute(database.db);
  } finally {
    await database.close();
    await target.close();
    await rm(dir, { recursive: true, force: true });
  }
}
