import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { EmbeddedServer, openPostgres, quoteIdent } from '../src/db/index.js';
import { TRANSFER_STRATEGIES, type TransferStrategy } from '../src/ledger/index.js';
import type { BankFaults, BankResult } from './lib/bank.js';
import { costedPgbench, costedRun, type RunSpec } from './lib/bank-runs.js';
import { type BankVariant, BROKEN_VARIANTS } from './lib/bank-variants.js';
import { benchDatabase } from './lib/database.js';
import { measureRounds, median, methodNote, ratio, roundRatios, sized, spread } from './lib/measure.js';
import { pgbenchInit, pgbenchVersion } from './lib/pgbench.js';
import { type Cell, publish } from './lib/report.js';

const ACCOUNTS = sized(10_000, 1_000);
const SECONDS = sized(8, 2);
const ROUNDS = { 16: sized(3, 2), 64: sized(2, 2) } as const;
const SCALE = sized(16, 1);
const THREADS = 2;
/** Connections a run's pool may hold: the server's max_connections is 100 on a default install, shared with the harness and pgbench's turn. */
const POOL_CAP = Number(process.env.STRATA_BENCH_POOL_CAP ?? 72);
const SELF_TEST_ACCOUNTS = 20;
const REAL: readonly BankVariant[] = [...TRANSFER_STRATEGIES, 'batch'];
/** Transfers per `transferBatch` call in every batch run (the table's label names it). */
const BATCH_SIZE = Number(process.env.STRATA_BENCH_BATCH ?? 50);

/** The faults of a faulted run: a client timeout of 250 ms per 16 connections (a batch: 1 s), so it fires on a slow answer, not on every one. */
const faults = (variant: BankVariant, workers: number): BankFaults => ({
  terminateEveryMs: 150,
  clientTimeoutMs: (variant === 'batch' ? 1000 : 250) * Math.max(1, workers / 16),
});

const ms = (n: number) => Number(n.toFixed(1));
const perTx = (values: readonly (number | undefined)[]): Cell => {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length ? Number(median(known).toFixed(3)) : 'n/a';
};
const forbidden = (r: BankResult) => Object.values(r.callerErrors).reduce((a, b) => a + b, 0);

function faultLabel(f: BankFaults | undefined, restart: boolean): string {
  if (restart) return `restart mid-run, client timeout ${f?.clientTimeoutMs} ms`;
  const parts = [
    ...(f?.terminateEveryMs ? [`terminate every ${f.terminateEveryMs} ms`] : []),
    ...(f?.clientTimeoutMs ? [`client timeout ${f.clientTimeoutMs} ms`] : []),
  ];
  return parts.length ? parts.join(', ') : 'none';
}

function row(label: string, spec: Omit<RunSpec, 'accounts' | 'durationMs'>, r: BankResult, extra: Record<string, Cell> = {}): Record<string, Cell> {
  return {
    run: label,
    load: spec.hot ? 'hot account' : 'uniform',
    connections: spec.workers,
    faults: faultLabel(spec.faults, Boolean(spec.faults?.restart)),
    'transfers/s': Math.round(r.perSecond),
    'vs pgbench': '',
    'p50 ms': ms(r.p50Ms),
    'p99 ms': ms(r.p99Ms),
    retries: r.retries,
    resends: r.resends,
    contention: r.contention,
    'caller errors': forbidden(r),
    violations: r.violations,
    'server CPU ms/tx': '',
    'client CPU ms/tx': '',
    ...extra,
  };
}

/**
 * The bank test as a benchmark (docs/ledger.md): throughput of every strategy and transferBatch
 * against pgbench's TPC-B-like script at 16 and 64 connections; the faulted runs (uniform and hot
 * account, 16 and 64 connections); a restart mid-run on a server of its own; the negative control
 * and the broken variants the harness must catch.
 */
export default async function bench(): Promise<void> {
  const version = await pgbenchVersion();
  if (!version) throw new Error('bench: pgbench not found (Debian: apt-get install postgresql-client); the TPC-B baseline needs it');
  const server = await benchDatabase();
  // A database of its own: the faults terminate backends of the bench's database only, and pgbench's tables stay apart.
  const name = `strata_bench_transfers_${process.pid}`;
  const root = await openPostgres(server.url, { max: 1 });
  await sql.raw(`CREATE DATABASE ${quoteIdent(name)}`).execute(root.db);
  const target = new URL(server.url);
  target.pathname = `/${name}`;
  const url = target.toString();
  // One connection: its own work (faults, checks, CPU sampling) is never counted as the run's.
  const admin = await openPostgres(url, { max: 1 });
  const rows: Record<string, Cell>[] = [];
  const checks: { claim: string; holds: boolean }[] = [];
  const notes: string[] = [];
  const realRuns: BankResult[] = [];
  try {
    process.stderr.write(`bench: pgbench -i -s ${SCALE}\n`);
    await pgbenchInit(url, SCALE);
    const settings = (
      await sql<{ s: string }>`SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) AS s FROM pg_settings
        WHERE name IN ('fsync', 'synchronous_commit', 'max_connections', 'shared_buffers', 'wal_level', 'server_version')`.execute(admin.db)
    ).rows[0]?.s;

    // 1. Throughput, no faults (pgbench has none either): each strategy, the batch and pgbench, in rotating rounds.
    const ratios: Record<number, Partial<Record<string, number>>> = {};
    for (const workers of [16, 64] as const) {
      const runs = new Map<string, { result: BankResult; server: number | undefined; client: number }[]>();
      const pgRuns: { tps: number; latencyMs: number; failed: number; server: number | undefined }[] = [];
      const measure = (variant: BankVariant) => async () => {
        const spec = { variant, workers, hot: false, accounts: ACCOUNTS, durationMs: SECONDS * 1000, batchSize: BATCH_SIZE };
        const c = await costedRun(url, admin.db, spec, POOL_CAP);
        realRuns.push(c.result);
        runs.set(variant, [...(runs.get(variant) ?? []), { result: c.result, server: c.serverCpuMsPerTx, client: c.clientCpuMsPerTx }]);
        return c.result.perSecond;
      };
      const measures: Record<string, () => Promise<number>> = Object.fromEntries(REAL.map((v) => [v, measure(v)]));
      measures.pgbench = async () => {
        const p = await costedPgbench(url, admin.db, { clients: workers, threads: THREADS, seconds: SECONDS });
        pgRuns.push({ tps: p.tps, latencyMs: p.latencyMs, failed: p.failed, server: p.serverCpuMsPerTx });
        return p.tps;
      };
      process.stderr.write(`bench: throughput, ${workers} connections, uniform over ${ACCOUNTS} accounts\n`);
      const samples = await measureRounds(ROUNDS[workers], measures);
      // The warm-up's runs are not counted: keep the last ROUNDS of each.
      const counted = <T>(list: readonly T[]) => list.slice(-ROUNDS[workers]);
      ratios[workers] = {};
      for (const variant of REAL) {
        const mine = counted(runs.get(variant) ?? []);
        const r = ratio(samples[variant] ?? [], samples.pgbench ?? []);
        (ratios[workers] as Record<string, number>)[variant] = r;
        const typical = mine[Math.floor(mine.length / 2)]?.result as BankResult;
        rows.push(
          row(variant === 'batch' ? `transferBatch (${BATCH_SIZE} per call)` : variant, { variant, workers, hot: false }, typical, {
            'transfers/s': Math.round(median(samples[variant] ?? [])),
            'vs pgbench': Number(r.toFixed(2)),
            'p50 ms': ms(median(mine.map((m) => m.result.p50Ms))),
            'p99 ms': ms(median(mine.map((m) => m.result.p99Ms))),
            violations: mine.reduce((a, m) => a + m.result.violations, 0),
            'caller errors': mine.reduce((a, m) => a + forbidden(m.result), 0),
            'server CPU ms/tx': perTx(mine.map((m) => m.server)),
            'client CPU ms/tx': perTx(mine.map((m) => m.client)),
          }),
        );
        notes.push(`${variant}, ${workers} connections: per-round ratios to pgbench ${spread(roundRatios(samples[variant] ?? [], samples.pgbench ?? []))}.`);
      }
      const pg = counted(pgRuns);
      rows.push({
        run: `pgbench TPC-B-like (-s ${SCALE}, -j ${THREADS})`,
        load: `${(SCALE * 100_000).toLocaleString('en-US')} accounts`,
        connections: workers,
        faults: 'none',
        'transfers/s': Math.round(median(samples.pgbench ?? [])),
        'vs pgbench': 1,
        'p50 ms': `${ms(median(pg.map((p) => p.latencyMs)))} (mean)`,
        'p99 ms': 'n/a',
        retries: '',
        resends: '',
        contention: '',
        'caller errors': pg.reduce((a, p) => a + p.failed, 0),
        violations: '',
        'server CPU ms/tx': perTx(pg.map((p) => p.server)),
        'client CPU ms/tx': 'n/a',
      });
    }

    // 2. The faulted bank test: every strategy and the batch, uniform and hot account, 16 and 64 connections.
    const faulted: BankResult[] = [];
    for (const hot of [false, true]) {
      for (const workers of [16, 64]) {
        for (const variant of REAL) {
          process.stderr.write(`bench: faulted ${variant}, ${workers} connections, ${hot ? 'hot account' : 'uniform'}\n`);
          const spec = { variant, workers, hot, accounts: ACCOUNTS, durationMs: SECONDS * 1000, faults: faults(variant, workers), batchSize: BATCH_SIZE };
          const { result } = await costedRun(url, admin.db, spec, POOL_CAP);
          faulted.push(result);
          realRuns.push(result);
          rows.push(row(variant === 'batch' ? 'transferBatch' : variant, spec, result));
        }
      }
    }

    // 3. A restart mid-run, on a throwaway server of its own (the configured one may be shared).
    const restarts = await restartRuns();
    for (const { spec, result } of restarts) {
      realRuns.push(result);
      rows.push(row(spec.variant === 'batch' ? 'transferBatch' : spec.variant, spec, result));
    }

    // 4. The harness checks itself: the negative control and each broken variant must show violations.
    const selfTest: BankResult[] = [];
    for (const variant of ['naive', ...BROKEN_VARIANTS] as const) {
      process.stderr.write(`bench: self-test ${variant}\n`);
      const spec = {
        variant,
        workers: 16,
        hot: true,
        accounts: SELF_TEST_ACCOUNTS,
        durationMs: SECONDS * 1000,
        ...(variant === 'broken:no-idempotency' ? { faults: { clientTimeoutMs: 5 } } : {}),
        ...(variant === 'broken:credit-missing' ? { missingRate: 0.05 } : {}),
      };
      const { result } = await costedRun(url, admin.db, spec, POOL_CAP);
      selfTest.push(result);
      rows.push(row(variant === 'naive' ? 'negative control (naive, no transaction)' : variant, spec, result));
    }

    const best = Math.max(...TRANSFER_STRATEGIES.map((s) => ratios[16]?.[s] ?? 0));
    const bestName = TRANSFER_STRATEGIES.reduce<TransferStrategy>((a, s) => ((ratios[16]?.[s] ?? 0) > (ratios[16]?.[a] ?? 0) ? s : a), 'function');
    const batch = ratios[16]?.batch ?? 0;
    const hotRuns = faulted.filter((r) => r.hot);
    checks.push(
      {
        claim: `every strategy and the batch: 0 invariant violations in every run (${realRuns.length} runs, faulted ones included: ${realRuns.reduce((a, r) => a + r.violations, 0)} violations)`,
        holds: realRuns.every((r) => r.violations === 0),
      },
      { claim: `the negative control shows violations (${selfTest[0]?.violations})`, holds: (selfTest[0]?.violations ?? 0) > 0 },
      {
        claim: `no caller ever saw a deadlock, serialization or raw database error (${realRuns.reduce((a, r) => a + forbidden(r), 0)})`,
        holds: realRuns.every((r) => forbidden(r) === 0),
      },
      { claim: `uniform, 16 connections: the best single-transfer strategy (${bestName}) >= 1.0x pgbench TPC-B tps (${best.toFixed(2)}x)`, holds: best >= 1 },
      { claim: `uniform, 16 connections: transferBatch >= 4x pgbench TPC-B tps (${batch.toFixed(2)}x)`, holds: batch >= 4 },
      {
        claim: `hot account: 0 violations and no error reaching a caller for any strategy (contention answered LEDGER_CONTENTION: ${hotRuns.reduce((a, r) => a + r.contention, 0)} requests)`,
        holds: hotRuns.every((r) => r.violations === 0 && forbidden(r) === 0),
      },
      ...BROKEN_VARIANTS.map((v, i) => ({
        claim: `self-test: the harness catches ${v} (${selfTest[i + 1]?.violations} violations)`,
        holds: (selfTest[i + 1]?.violations ?? 0) > 0,
      })),
    );
    notes.unshift(
      `${methodNote(ROUNDS[16])} Throughput rows: ${ROUNDS[16]} rounds at 16 connections, ${ROUNDS[64]} at 64; the other rows are one run each, in sequence.`,
      `Every run lasts ${SECONDS} s on a fresh bank of ${ACCOUNTS.toLocaleString('en-US')} accounts (opening balance 1,000,000 minor units, owners spread over 100 principals), random amounts 1-100; 0.2% of requests name a missing credit account (refused, LEDGER_ACCOUNT_NOT_FOUND). "hot account": half of all transfers debit or credit account 1. transfers/s counts applied transfers only.`,
      `pgbench: ${version}, built-in TPC-B-like script (-b tpcb-like, simple query protocol, its default vacuum before each run), scale ${SCALE} (${(SCALE * 100_000).toLocaleString('en-US')} pgbench_accounts, ${SCALE} branches), ${THREADS} threads, same server, database, clients and seconds as the strata runs, no faults (it has no retry). Its latency is pgbench's mean; its "caller errors" are pgbench's failed transactions.`,
      `Faults: pg_terminate_backend of a random busy backend of the bench's database every 150 ms; a client timeout (250 ms at 16 connections, 1,000 ms at 64; a batch 1,000 and 4,000 ms) after which the same request, same id, is sent again while the first send runs on; requests left without a definite answer are resent after the run. The restart rows stop and start a throwaway embedded PostgreSQL (not the configured server, which may be shared) halfway through a run.`,
      `violations = ledger check (every balance, conservation, limits, two entries per transfer, chains) + the harness's model (balances implied by acknowledged transfers, transfer count) + errors a caller must never see + deadlocks the server detected. contention = requests answered LEDGER_CONTENTION after the retries ran out (nothing applied: a typed error, not a violation).`,
      `transferBatch rows: ${BATCH_SIZE} random transfers per call (STRATA_BENCH_BATCH), each worker sending one call at a time; a call that names a missing account is refused whole (all or nothing), so about ${(100 * (1 - 0.998 ** BATCH_SIZE)).toFixed(0)}% of calls apply nothing and only applied transfers count.`,
      `Self-test rows: ${SELF_TEST_ACCOUNTS} accounts, hot account, 16 connections (a small bank, so broken variants collide); broken:no-idempotency runs with a 5 ms client timeout, broken:credit-missing with 5% missing credit accounts.`,
      `CPU per transfer (throughput rows): "server" is the CPU time of the bench database's client backends (from /proc, sampled every 250 ms; WAL writer and checkpointer not included), "client" this Node process's CPU (user + system) divided by transfers; pgbench's client is a separate C program (not measured). The bank run's own checks after the run are on a separate connection that is not counted.`,
      `Pools: a run of W connections gets min(2W + 4, ${POOL_CAP}) connections (a send abandoned on a client timeout holds one until the server answers); the 64-connection runs are capped by the server's max_connections. Server settings: ${settings}.`,
    );
    await publish({
      name: 'transfers',
      title: 'Ledger: transfers under concurrency and faults (the bank test) vs pgbench TPC-B',
      database: server.label,
      columns: [
        'run',
        'load',
        'connections',
        'faults',
        'transfers/s',
        'vs pgbench',
        'p50 ms',
        'p99 ms',
        'retries',
        'resends',
        'contention',
        'caller errors',
        'violations',
        'server CPU ms/tx',
        'client CPU ms/tx',
      ],
      rows,
      checks,
      notes: [...notes, ...(process.env.STRATA_BENCH_NOTE ? [process.env.STRATA_BENCH_NOTE] : [])],
    });
  } finally {
    await admin.close();
    await sql
      .raw(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`)
      .execute(root.db)
      .catch(() => undefined);
    await root.close();
    await server.close();
  }
}

/** Each strategy and the batch, 16 connections, uniform, with the server restarted halfway through. */
async function restartRuns(): Promise<{ spec: RunSpec; result: BankResult }[]> {
  const home = await mkdtemp(join(tmpdir(), 'strata-bench-bank-'));
  await chmod(home, 0o755);
  const server = new EmbeddedServer({ home, database: 'bank', settings: { max_connections: '100' } });
  const { url } = await server.start('process');
  const admin = await openPostgres(url, { max: 1 });
  const out: { spec: RunSpec; result: BankResult }[] = [];
  try {
    for (const variant of REAL) {
      process.stderr.write(`bench: restart mid-run, ${variant}\n`);
      const restart = async () => {
        await server.stop();
        await server.start('process');
      };
      const spec: RunSpec = {
        variant,
        workers: 16,
        hot: false,
        accounts: ACCOUNTS,
        durationMs: sized(SECONDS * 1000, 3000),
        faults: { clientTimeoutMs: variant === 'batch' ? 1000 : 250, restart },
        batchSize: BATCH_SIZE,
      };
      const { result } = await costedRun(url, admin.db, spec, POOL_CAP);
      if (result.restart?.error) throw new Error(`bench: the restart failed: ${result.restart.error}`);
      out.push({ spec, result });
    }
  } finally {
    await admin.close();
    await server.stop().catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  }
  return out;
}
