import { type Kysely, sql } from 'kysely';
import { openPostgres } from '../src/db/index.js';
import { benchDatabase } from './lib/database.js';
import { type Design, installDesign } from './lib/history-designs.js';
import { measureRounds, median, methodNote, sized, throughput, timed } from './lib/measure.js';
import { publish } from './lib/report.js';
import { serverCpu } from './lib/server-cpu.js';

const ROWS = sized(100_000, 5_000);
const UPDATES = sized(5_000, 500);
const ROUNDS = sized(9, 2);
const SET_ROUNDS = sized(5, 2);
const CONNECTIONS = [8, 32] as const;

interface Variant {
  readonly table: string;
  readonly label: string;
  readonly design?: Design;
}

/** History off is the baseline; `row` is what enableHistory installs; the others are the designs it was chosen over. */
const VARIANTS: readonly Variant[] = [
  { table: 'hist_off', label: 'history off (baseline)' },
  { table: 'hist_reference', label: 'reference: plain AFTER trigger, (id, now(), to_jsonb(NEW)), no index (issue #28)', design: 'reference' },
  { table: 'hist_row', label: "BEFORE trigger writes an update's version (enableHistory)", design: 'row' },
  { table: 'hist_after', label: 'row-level AFTER trigger writes it (before #28)', design: 'after' },
  { table: 'hist_statement', label: 'statement-level triggers, transition tables (before)', design: 'statement' },
];

const scalar = async (db: Kysely<unknown>, query: string) => Number((await sql.raw<{ v: string }>(query).execute(db)).rows[0]?.v ?? 0);

interface Samples {
  /** Throughput per round, per table. */
  readonly rates: Map<string, number[]>;
  /** Server CPU microseconds per write per round, per table (empty when the server's CPU cannot be read). */
  readonly cpu: Map<string, number[]>;
}

/**
 * Each variant measured by the one method of bench/README.md (a warm-up run, then rotating rounds);
 * every counted sample is kept, with the server CPU time the measurement used.
 */
async function rounds(
  rounds: number,
  variants: readonly Variant[],
  writes: number,
  measure: (v: Variant) => Promise<number>,
  cpu?: () => Promise<number>,
): Promise<Samples> {
  // Every run's CPU per write, the warm-up's first: dropped below, as measureRounds drops its rate.
  const used = new Map<string, number[]>(variants.map((v) => [v.table, []]));
  const rates = await measureRounds(
    rounds,
    Object.fromEntries(
      variants.map((v) => [
        v.table,
        async () => {
          const before = await cpu?.();
          const value = await measure(v);
          const after = await cpu?.();
          if (before !== undefined && after !== undefined) used.get(v.table)?.push(((after - before) * 1000) / writes);
          return value;
        },
      ]),
    ),
  );
  return { rates: new Map(Object.entries(rates)), cpu: new Map([...used].map(([table, values]) => [table, values.slice(1)])) };
}

/** The ratio of each round's sample to the baseline's sample of the same round (`inverse` for costs: off / on). */
const paired = (samples: Map<string, number[]>, table: string, inverse = false) =>
  (samples.get(table) ?? []).map((x, i) => {
    const off = samples.get('hist_off')?.[i] ?? x;
    return inverse ? off / x : x / off;
  });

/**
 * History capture cost on a products-like table: single-row updates by primary key (8 and 32
 * connections) and one set-based UPDATE of every row, with history off vs each capture design, and
 * bytes stored per version.
 */
export default async function bench(): Promise<void> {
  const target = await benchDatabase();
  const database = await openPostgres(target.url, { max: Math.max(...CONNECTIONS), statementTimeoutMs: 0 });
  const db = database.db as Kysely<unknown>;
  try {
    for (const { table, design } of VARIANTS) {
      process.stderr.write(`bench: loading ${ROWS} rows into ${table}\n`);
      await sql.raw(`DROP TABLE IF EXISTS ${table}, ${table}_history`).execute(db);
      await sql
        .raw(`CREATE TABLE ${table} (id int PRIMARY KEY, sku text NOT NULL UNIQUE, name text NOT NULL, description text NOT NULL, price bigint NOT NULL,
          currency text NOT NULL, stock int NOT NULL, tags text[] NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(), version int NOT NULL DEFAULT 1)`)
        .execute(db);
      await sql
        .raw(`INSERT INTO ${table} (id, sku, name, description, price, currency, stock, tags)
          SELECT g, 'SKU-' || g, 'Product ' || g, repeat('d', 120), g * 10, 'EUR', g % 100, ARRAY['t' || (g % 9), 'all'] FROM generate_series(1, ${ROWS}) g`)
        .execute(db);
      if (design) await installDesign(db, table, design);
      // The history table too: otherwise autovacuum's first pass over the 100,000 snapshot versions
      // (insert-triggered vacuum, jsonb statistics) lands in whichever rounds happen to run then.
      await sql.raw(`VACUUM ANALYZE ${table}${design ? `, ${table}_history` : ''}`).execute(db);
    }
    const versioned = VARIANTS.filter((v) => v.design);
    const sizes = async () =>
      new Map(
        await Promise.all(
          versioned.map(
            async (v) =>
              [
                v.table,
                {
                  versions: await scalar(db, `SELECT count(*)::text AS v FROM ${v.table}_history`),
                  bytes: await scalar(db, `SELECT pg_total_relation_size('${v.table}_history')::text AS v`),
                },
              ] as const,
          ),
        ),
      );
    const start = await sizes();

    const single = (connections: number) => (v: Variant) =>
      throughput(UPDATES, connections, async () => {
        const id = 1 + Math.floor(Math.random() * ROWS);
        await sql`UPDATE ${sql.table(v.table)} SET stock = stock + 1, price = price + 1 WHERE id = ${id}`.execute(db);
      });
    const setBased = async (v: Variant) => {
      await sql.raw(`VACUUM ${v.table}`).execute(db);
      const ms = await timed(() => sql.raw(`UPDATE ${v.table} SET stock = stock + 1, price = price + 1`).execute(db));
      return ROWS / (ms / 1000);
    };

    const cpu = await serverCpu(db);
    const results: { name: string; ratio: string; cpuRatio: string; samples: Samples }[] = [];
    for (const connections of CONNECTIONS) {
      process.stderr.write(`bench: single-row updates, ${connections} connections\n`);
      results.push({
        name: `updates/s, ${connections} conn.`,
        ratio: `x off (${connections})`,
        cpuRatio: `CPU x off (${connections})`,
        samples: await rounds(ROUNDS, VARIANTS, UPDATES, single(connections), cpu),
      });
    }
    process.stderr.write('bench: set-based UPDATE of every row\n');
    results.push({
      name: 'set-based rows/s',
      ratio: 'x off (set)',
      cpuRatio: 'CPU x off (set)',
      samples: await rounds(SET_ROUNDS, VARIANTS, ROWS, setBased, cpu),
    });
    const end = await sizes();
    const avgImage = await scalar(db, 'SELECT avg(pg_column_size(data))::int::text AS v FROM hist_row_history');

    type Result = (typeof results)[number];
    /** The median of the per-round ratios to history off (each round's samples ran back to back), robust to a noisy round. */
    const ratio = (r: Result, table: string) => median(paired(r.samples.rates, table));
    const cpuRatio = (r: Result, table: string) => median(paired(r.samples.cpu, table, true));
    const [at8, at32, set] = results as [Result, Result, Result];
    const bytesPerVersion = (table: string) => {
      const [before, after] = [start.get(table), end.get(table)];
      const written = (after?.versions ?? 0) - (before?.versions ?? 0);
      return before && after && written > 0 ? Math.round((after.bytes - before.bytes) / written) : '-';
    };
    const rows = VARIANTS.map((v) => ({
      capture: v.label,
      ...Object.fromEntries(
        results.flatMap((r) => [
          [r.name, Math.round(median(r.samples.rates.get(v.table) ?? []))],
          [r.ratio, Number(ratio(r, v.table).toFixed(3))],
          ...(cpu ? [[r.cpuRatio, Number(cpuRatio(r, v.table).toFixed(3))]] : []),
        ]),
      ),
      'bytes/version': bytesPerVersion(v.table),
    }));
    const spread = (r: Result) => {
      const ratios = paired(r.samples.rates, 'hist_row');
      return `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`;
    };
    const perWrite = (r: Result, table: string) => Math.round(median(r.samples.cpu.get(table) ?? []));
    const cpuLine = (r: Result) => ['hist_off', 'hist_reference', 'hist_row', 'hist_after'].map((t) => perWrite(r, t)).join(' vs ');
    const r8 = ratio(at8, 'hist_row');
    const rSet = ratio(set, 'hist_row');
    await publish({
      name: 'history',
      title: 'History: capture cost, history on vs off',
      database: target.label,
      columns: ['capture', ...results.flatMap((r) => [r.name, r.ratio, ...(cpu ? [r.cpuRatio] : [])]), 'bytes/version'],
      rows,
      checks: [
        {
          claim: `single-row updates, 8 connections: history on (enableHistory) >= 0.9x of history off (measured ${r8.toFixed(3)}x; goal 0.95x)`,
          holds: r8 >= 0.9,
        },
        {
          claim: `set-based UPDATE of ${ROWS.toLocaleString('en-US')} rows: history on >= 0.5x of history off (measured ${rSet.toFixed(3)}x)`,
          holds: rSet >= 0.5,
        },
      ],
      notes: [
        `${ROWS.toLocaleString('en-US')}-row products-like table per capture (11 columns, int key), each loaded before history was enabled (one snapshot version per row).`,
        `${methodNote(ROUNDS)} (set-based: ${SET_ROUNDS} rounds)`,
        `Single-row: UPDATE ... SET stock = stock + 1, price = price + 1 WHERE id = <random>, autocommit, ${UPDATES.toLocaleString('en-US')} per round. Set-based: one UPDATE of every row (VACUUM before each, untimed).`,
        `"x off" is the median over rounds of a capture's throughput divided by history off's in the same round. The per-round ratios of enableHistory's capture ranged: 8 connections ${spread(at8)}; 32 connections ${spread(at32)}; set-based ${spread(set)}.`,
        ...(cpu
          ? [
              `"CPU x off" is the same median for the server's CPU time per write (postmaster and all its processes, from /proc), history off's divided by the capture's: the throughput ratio a server bound by its own CPU would see, however busy the rest of the machine. Server CPU per write (median), history off vs the reference trigger vs enableHistory vs the AFTER design: ${cpuLine(at8)} µs at 8 connections, ${cpuLine(at32)} µs at 32, ${cpuLine(set)} µs per row set-based.`,
            ]
          : []),
        `Bytes per version: growth of the history table (heap, indexes, TOAST) over the versions written during the run; enableHistory's row image (jsonb) averages ${avgImage} bytes.`,
      ],
    });
    await sql.raw(VARIANTS.map((v) => `DROP TABLE IF EXISTS ${v.table}, ${v.table}_history;`).join(' ')).execute(db);
  } finally {
    await database.close();
    await target.close();
  }
}
