import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Kysely, sql } from 'kysely';
import { quoteIdent } from '../../src/db/index.js';
import { buildDist } from './dist.js';
import { HOSTILE_COLUMNS, HOSTILE_TABLE } from './hostile-csv.js';
import { measureRounds, median, methodNote, QUICK, ratio, roundRatios, sized, spread } from './measure.js';
import { publish } from './report.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/strata.js');
const peakRss = join(root, 'bench/lib/peak-rss.mjs');

/** The 8 columns of bench/bulk.ts's table, in the order of its CSV files' header. */
export const EIGHT_COLUMNS = ['sku', 'name', 'description', 'price', 'stock', 'tags', 'created_at', 'attrs'] as const;
export const EIGHT_TABLE = `CREATE TABLE %NAME% (id bigserial PRIMARY KEY, sku text NOT NULL UNIQUE, name text NOT NULL, description text NOT NULL,
  price bigint NOT NULL, stock int NOT NULL, tags text[] NOT NULL, created_at timestamptz NOT NULL, attrs jsonb NOT NULL)`;

const HOSTILE_ROWS = sized(200_000, 5_000);
const ROUNDS = sized(5, 2);
const STARTS = sized(10, 3);

export interface CommandsContext {
  readonly url: string;
  readonly label: string;
  /** The results' name: bulk-cli (a server given by DATABASE_URL) or bulk-cli-embedded (the embedded PostgreSQL 18). */
  readonly name: string;
  readonly db: Kysely<unknown>;
  readonly dir: string;
  readonly rows: number;
  /** A CSV of the 8-column table with `rows` rows (written once, then reused). */
  csv(rows: number): Promise<string>;
  /** Runs a worker method of bench/lib/bulk-worker.ts (here: writing the hostile file). */
  worker(method: string, rows: number, file: string): Promise<void>;
}

/** Seconds a whole command takes, from spawning it to its exit. */
async function timed(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const started = process.hrtime.bigint();
  await run(command, args, { env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Count, and per column the non-null count and a sum of hashes of its text: equal for equal rows, whatever their order. */
async function checksum(db: Kysely<unknown>, table: string, columns: readonly string[]): Promise<string> {
  const parts = columns.map((c) => `count(${quoteIdent(c)}) || ':' || coalesce(sum(hashtextextended(${quoteIdent(c)}::text, 0)::numeric), 0)`);
  const { rows } = await sql<{ sum: string }>`SELECT (count(*) || ' ' || ${sql.raw(parts.join(` || ' ' || `))}) AS sum FROM ${sql.table(table)}`.execute(db);
  return rows[0]?.sum ?? '';
}

async function psqlAvailable(): Promise<boolean> {
  return run('psql', ['--version']).then(
    () => true,
    () => false,
  );
}

/**
 * `strata load` against `psql \copy`, both timed as whole commands (start to exit, the last row
 * committed) on the same file into the same table definition, in alternating rounds: the
 * 8-column 1M-row CSV and a 20-column hostile CSV, whose rows are checked identical (count and a
 * checksum of every column) after every run. Also `strata load` on 1 and 3 connections, CLI
 * start-up (median of 10), and the peak RSS of `strata load` at 1M and 5M rows.
 */
export async function compareCommands(ctx: CommandsContext): Promise<void> {
  if (!(await psqlAvailable())) throw new Error('bench: psql not found (Debian: apt-get install postgresql-client); the CLI comparison needs it');
  await buildDist();

  const eight = await ctx.csv(ctx.rows);
  const hostile = join(ctx.dir, 'hostile.csv');
  process.stderr.write(`bench: write-hostile (${HOSTILE_ROWS.toLocaleString('en-US')} rows)\n`);
  await ctx.worker('write-hostile', HOSTILE_ROWS, hostile);
  const datasets = {
    eight: { table: 'bulk_bench', ddl: EIGHT_TABLE, columns: EIGHT_COLUMNS, file: eight, rows: ctx.rows },
    hostile: { table: 'hostile_bench', ddl: HOSTILE_TABLE, columns: HOSTILE_COLUMNS, file: hostile, rows: HOSTILE_ROWS },
  } as const;
  type Dataset = (typeof datasets)[keyof typeof datasets];
  const reset = async (d: Dataset) => {
    await sql`DROP TABLE IF EXISTS ${sql.table(d.table)}`.execute(ctx.db);
    await sql.raw(d.ddl.replace('%NAME%', quoteIdent(d.table))).execute(ctx.db);
    // A fresh table each run, its catalog settled before the clock starts.
    await sql`CHECKPOINT`.execute(ctx.db).catch(() => undefined);
  };
  const sums = new Map<string, Set<string>>();
  const env = { DATABASE_URL: ctx.url };
  /** One whole command into a fresh table; its rows/s; its rows' checksum kept (all runs of a dataset must agree). */
  const loadWith = (d: Dataset, command: () => [string, string[]]) => async () => {
    await reset(d);
    const [cmd, args] = command();
    const seconds = await timed(cmd, args, env);
    const sum = await checksum(ctx.db, d.table, d.columns);
    sums.set(d.table, (sums.get(d.table) ?? new Set()).add(sum));
    if (!sum.startsWith(`${d.rows} `)) throw new Error(`bench: ${d.table} holds ${sum.split(' ')[0]} rows after ${[cmd, ...args].join(' ')}, not ${d.rows}`);
    return d.rows / seconds;
  };
  const psql = (d: Dataset) => (): [string, string[]] => [
    'psql',
    ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', ctx.url, '-c', `\\copy ${d.table} (${d.columns.join(', ')}) FROM '${d.file}' WITH (FORMAT csv, HEADER true)`],
  ];
  const strata =
    (d: Dataset, ...extra: string[]) =>
    (): [string, string[]] => [process.execPath, [bin, 'load', d.table, d.file, ...extra]];

  // Start-up: node alone, strata --help, strata load --help, alternating, median of STARTS runs each.
  // Before the loads, with the server idle: after them it is still writing out the last load's
  // rows (checkpoint, autovacuum), which on 2 cores slowed every start, Node's own included.
  await sql`CHECKPOINT`.execute(ctx.db).catch(() => undefined);
  const starts = { node: [] as number[], help: [] as number[], loadHelp: [] as number[] };
  const startLoad = loadavg()[0] ?? 0;
  for (let i = -1; i < STARTS; i++) {
    const node = await timed(process.execPath, ['-e', '0']);
    const help = await timed(process.execPath, [bin, '--help']);
    const loadHelp = await timed(process.execPath, [bin, 'load', '--help']);
    if (i < 0) continue;
    starts.node.push(node);
    starts.help.push(help);
    starts.loadHelp.push(loadHelp);
  }

  const s = await measureRounds(ROUNDS, {
    psql: loadWith(datasets.eight, psql(datasets.eight)),
    strata: loadWith(datasets.eight, strata(datasets.eight)),
    strata1: loadWith(datasets.eight, strata(datasets.eight, '--parallel', '1')),
    strata3: loadWith(datasets.eight, strata(datasets.eight, '--parallel', '3')),
    psqlHostile: loadWith(datasets.hostile, psql(datasets.hostile)),
    strataHostile: loadWith(datasets.hostile, strata(datasets.hostile)),
  });
  const identical = (d: Dataset) => (sums.get(d.table)?.size ?? 0) === 1;

  // Peak RSS of whole `strata load` commands, 1M and 5M rows (untimed runs, RSS read at exit).
  const rssOf = async (rows: number) => {
    await reset(datasets.eight);
    const file = join(ctx.dir, 'rss.kib');
    await run(process.execPath, ['--import', peakRss, bin, 'load', datasets.eight.table, await ctx.csv(rows)], {
      env: { ...process.env, ...env, STRATA_BENCH_RSS_FILE: file },
      maxBuffer: 1 << 24,
    });
    const kib = Number(await readFile(file, 'utf8'));
    await rm(file, { force: true });
    return Math.round(kib / 1024);
  };
  const rss1 = await rssOf(ctx.rows);
  const rss5 = await rssOf(5 * ctx.rows);
  await sql`DROP TABLE IF EXISTS bulk_bench, hostile_bench`.execute(ctx.db);

  const rows1M = ctx.rows.toLocaleString('en-US');
  const row = (method: string, samples: readonly number[], base: readonly number[], rows: number) => {
    const rate = median(samples);
    return { method, 's (median)': Number((rows / rate).toFixed(2)), 'rows/s': Math.round(rate), 'vs psql \\copy': Number(ratio(samples, base).toFixed(3)) };
  };
  const eightRatio = ratio(s.strata, s.psql);
  const hostileRatio = ratio(s.strataHostile, s.psqlHostile);
  const help = median(starts.help);
  const loadHelp = median(starts.loadHelp);
  const rssDiff = Math.abs(rss5 - rss1) / rss1;
  const version = (await sql<{ server_version: string }>`SHOW server_version`.execute(ctx.db)).rows[0]?.server_version ?? '?';
  await publish({
    name: ctx.name,
    title: 'Bulk from the command line: strata load vs psql \\copy, whole commands',
    database: `${ctx.label}, PostgreSQL ${version.split(' ')[0]}`,
    columns: ['method', 's (median)', 'rows/s', 'vs psql \\copy'],
    rows: [
      row(`psql \\copy, 8 columns, ${rows1M} rows (baseline)`, s.psql, s.psql, ctx.rows),
      row('strata load, default (2 connections)', s.strata, s.psql, ctx.rows),
      row('strata load --parallel 1', s.strata1, s.psql, ctx.rows),
      row('strata load --parallel 3', s.strata3, s.psql, ctx.rows),
      row(`psql \\copy, 20 hostile columns, ${HOSTILE_ROWS.toLocaleString('en-US')} rows (baseline)`, s.psqlHostile, s.psqlHostile, HOSTILE_ROWS),
      row('strata load, default, hostile file', s.strataHostile, s.psqlHostile, HOSTILE_ROWS),
      { method: 'node -e 0 (Node alone, for reference)', 's (median)': Number(median(starts.node).toFixed(3)), 'rows/s': '', 'vs psql \\copy': '' },
      { method: 'strata --help', 's (median)': Number(help.toFixed(3)), 'rows/s': '', 'vs psql \\copy': '' },
      { method: 'strata load --help', 's (median)': Number(loadHelp.toFixed(3)), 'rows/s': '', 'vs psql \\copy': '' },
    ],
    checks: [
      {
        claim: `strata load of the 8-column ${rows1M}-row CSV >= 1.1x psql \\copy, whole commands (measured ${eightRatio.toFixed(3)}x)`,
        holds: eightRatio >= 1.1,
      },
      {
        claim: `strata load of the 20-column hostile CSV >= 1.0x psql \\copy (measured ${hostileRatio.toFixed(3)}x), rows identical to psql's in every run (count and every column's checksum): ${identical(datasets.hostile) && identical(datasets.eight) ? 'yes' : 'NO'}`,
        holds: hostileRatio >= 1 && identical(datasets.hostile) && identical(datasets.eight),
      },
      {
        claim: `strata --help (${help.toFixed(3)} s) and strata load --help (${loadHelp.toFixed(3)} s) start in <= 0.25 s, median of ${STARTS}`,
        holds: help <= 0.25 && loadHelp <= 0.25,
      },
      {
        claim: `peak RSS of strata load, ${rows1M} rows (${rss1} MB) and ${(5 * ctx.rows).toLocaleString('en-US')} rows (${rss5} MB), differ by < 20% (measured ${(rssDiff * 100).toFixed(1)}%)`,
        holds: rssDiff < 0.2,
      },
    ],
    notes: [
      `${methodNote(ROUNDS)} Each run is one whole command, timed from spawning it to its exit (its last row committed), into a table dropped and created before it (untimed).`,
      `Per-round ratios vs psql \\copy: 8 columns ${spread(roundRatios(s.strata, s.psql), 3)}; hostile ${spread(roundRatios(s.strataHostile, s.psqlHostile), 3)}.`,
      `psql: \`psql -X -q -v ON_ERROR_STOP=1 -d <url> -c "\\copy <table> (<columns>) FROM '<file>' WITH (FORMAT csv, HEADER true)"\` (Debian's psql). strata: \`node bin/strata.js load <table> <file>\` with DATABASE_URL, compiled (dist/ built first, as npm install does).`,
      "Rows identical: after every run, the table's row count and, per column, the non-null count and the sum of hashtextextended(column::text) must equal those of every other run of the same file, psql's included.",
      `8-column table: ${EIGHT_COLUMNS.join(', ')} (text, bigint, int, text[], timestamptz, jsonb) plus a bigserial key and a unique SKU index. Hostile table: 20 columns (bench/lib/hostile-csv.ts): quoted fields with commas, quotes, LF and CRLF inside, empty strings beside NULLs, multi-byte text, 1-3 KB text on every 10th row, a literal \\N and backslashes, tabs, numeric, timestamptz, date, uuid, jsonb, text[], boolean, double; bigint primary key.`,
      `Start-up: ${STARTS} runs of each after one warm-up, alternating; wall time of the whole process; measured before the load rounds, after a CHECKPOINT, so the database server is idle (Node's own start is measured the same way); the machine's 1-minute load average as it began: ${startLoad.toFixed(1)} (2 cores).`,
      'Peak RSS: one untimed run each, read at exit by a preloaded module (bench/lib/peak-rss.mjs).',
      '--parallel 4 is no longer run (it measured 0.87x psql, below 2 and 3 connections, in the 2026-12-01 09:14 run on this 2-core machine); the rounds are shorter without it.',
      ...(QUICK ? ['STRATA_BENCH_QUICK: small sizes, figures mean nothing.'] : []),
    ],
  });
}
