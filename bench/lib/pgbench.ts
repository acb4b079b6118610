import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What one pgbench run reported. */
export interface PgbenchRun {
  /** Transactions per second, without the initial connection time. */
  readonly tps: number;
  /** pgbench's "latency average", ms. */
  readonly latencyMs: number;
  readonly transactions: number;
  /** Transactions pgbench counted as failed (PostgreSQL 15+: serialization or deadlock failures). */
  readonly failed: number;
}

/** pgbench's version line (`pgbench (PostgreSQL) 15.20 …`), or undefined when it is not installed. */
export async function pgbenchVersion(): Promise<string | undefined> {
  return run('pgbench', ['--version']).then(
    (r) => r.stdout.trim(),
    () => undefined,
  );
}

/**
 * `pgbench -i -s <scale>`: the TPC-B-like tables (pgbench_accounts with 100,000 rows per scale
 * unit, tellers, branches, history) in the database of `url` (a libpq URI, given as its dbname).
 */
export async function pgbenchInit(url: string, scale: number): Promise<void> {
  await run('pgbench', ['-i', '-q', '-s', String(scale), url], { maxBuffer: 1 << 24 });
}

/**
 * The built-in TPC-B-like script (`-b tpcb-like`, pgbench's default) with `clients` connections on
 * `threads` threads for `seconds`. pgbench vacuums its tables and empties pgbench_history first, as
 * it does by default, so every run starts alike.
 */
export async function pgbenchRun(url: string, options: { clients: number; threads: number; seconds: number }): Promise<PgbenchRun> {
  const args = ['-b', 'tpcb-like', '-c', String(options.clients), '-j', String(options.threads), '-T', String(options.seconds), url];
  const { stdout } = await run('pgbench', args, { maxBuffer: 1 << 24 });
  return parsePgbench(stdout);
}

/** Reads pgbench's summary. Pure. */
export function parsePgbench(stdout: string): PgbenchRun {
  const number = (pattern: RegExp): number | undefined => {
    const m = pattern.exec(stdout);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  };
  const transactions = number(/^number of transactions actually processed: (\d+)/m);
  // No transaction in the time (its clients were still connecting): pgbench prints no tps then.
  const tps = number(/^tps = ([\d.]+) \(without initial connection time\)/m) ?? number(/^tps = ([\d.]+)/m) ?? (transactions === 0 ? 0 : undefined);
  if (tps === undefined) throw new Error(`bench: pgbench printed no tps:\n${stdout}`);
  return {
    tps,
    latencyMs: number(/^latency average = ([\d.]+) ms/m) ?? Number.NaN,
    transactions: transactions ?? 0,
    failed: number(/^number of failed transactions: (\d+)/m) ?? 0,
  };
}
