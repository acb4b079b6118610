import type { Kysely } from 'kysely';
import { openPostgres } from '../../src/db/index.js';
import { backendCpu } from './backend-cpu.js';
import { type BankFaults, type BankResult, runBank, setupBank } from './bank.js';
import type { BankVariant } from './bank-variants.js';
import { type PgbenchRun, pgbenchRun } from './pgbench.js';

/** One bank run and what it cost: its backends' CPU and this process's CPU, per applied transfer. */
export interface CostedRun {
  readonly result: BankResult;
  readonly serverCpuMsPerTx: number | undefined;
  readonly clientCpuMsPerTx: number;
}

export interface RunSpec {
  readonly variant: BankVariant;
  readonly workers: number;
  readonly hot: boolean;
  readonly accounts: number;
  readonly durationMs: number;
  readonly faults?: BankFaults;
  readonly missingRate?: number;
  /** Transfers per `transferBatch` call (variant `batch`). */
  readonly batchSize?: number;
}

/**
 * The pool a run of `workers` gets: about twice as many connections (a send abandoned after a client
 * timeout keeps its connection until the database answers), capped at `cap` so the run fits the
 * server's max_connections beside the harness's own connections.
 */
export function poolSize(workers: number, cap: number): number {
  return Math.max(workers + 2, Math.min(2 * workers + 4, cap));
}

/**
 * Opens a fresh bank of `spec.accounts` accounts and runs it on a pool of its own (closed after, so
 * the next measure, pgbench's among them, finds the connections free). `admin` carries the faults
 * and the checks.
 */
export async function costedRun(url: string, admin: Kysely<unknown>, spec: RunSpec, poolCap: number): Promise<CostedRun> {
  const database = await openPostgres(url, { max: poolSize(spec.workers, poolCap) });
  try {
    const bank = await setupBank(database.db, spec.accounts);
    const cpu = await backendCpu(admin);
    const clientBefore = process.cpuUsage();
    const result = await runBank(database.db, admin, bank, {
      workers: spec.workers,
      hot: spec.hot,
      durationMs: spec.durationMs,
      variant: spec.variant,
      ...(spec.faults ? { faults: spec.faults } : {}),
      ...(spec.missingRate === undefined ? {} : { missingRate: spec.missingRate }),
      ...(spec.batchSize === undefined ? {} : { batchSize: spec.batchSize }),
    });
    const client = process.cpuUsage(clientBefore);
    const server = await cpu.stop();
    const tx = Math.max(1, result.applied);
    return {
      result,
      serverCpuMsPerTx: server === undefined ? undefined : server / tx,
      clientCpuMsPerTx: (client.user + client.system) / 1000 / tx,
    };
  } finally {
    await database.close();
  }
}

/** pgbench's TPC-B-like run, with its backends' CPU per transaction measured as for a bank run. */
export async function costedPgbench(
  url: string,
  admin: Kysely<unknown>,
  options: { clients: number; threads: number; seconds: number },
): Promise<PgbenchRun & { serverCpuMsPerTx: number | undefined }> {
  const cpu = await backendCpu(admin);
  const run = await pgbenchRun(url, options);
  const server = await cpu.stop();
  return { ...run, serverCpuMsPerTx: server === undefined || run.transactions === 0 ? undefined : server / run.transactions };
}
