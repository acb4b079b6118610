import { type Kysely, sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { isStrataError, type Metric, onMetricDeclared } from '../../src/db/index.js';
import { checkLedger, type LedgerCheck, type TransferRequest } from '../../src/ledger/index.js';
import { type BankVariant, sender } from './bank-variants.js';

/**
 * The bank test, in the spirit of Jepsen's: workers move random amounts between accounts for a set
 * time while faults hit the database, then the harness checks that no money was created or lost.
 * It checks itself with deliberately broken variants (bank-variants.ts), each of which it must catch.
 */

// biome-ignore lint/suspicious/noExplicitAny: the harness reads the ledger's tables with raw SQL
type Db = Kysely<any>;

export interface Bank {
  readonly accounts: readonly string[];
  readonly opening: bigint;
}

/** Empties the ledger and opens `count` accounts (owners spread over 100 principals) with `opening` minor units each, in one statement. */
export async function setupBank(db: Db, count: number, opening = 1_000_000n): Promise<Bank> {
  const owners = Array.from({ length: 100 }, () => uuidv7());
  const accounts = Array.from({ length: count }, () => uuidv7());
  await checkLedger(db, { limit: 0 });
  await sql`TRUNCATE strata.ledger_entries, strata.ledger_transfers, strata.ledger_accounts`.execute(db);
  await sql`INSERT INTO strata.ledger_accounts (owner_id, id, currency, opening_balance, balance)
    SELECT (${owners}::uuid[])[1 + (i % 100)], a, 'EUR', ${opening}, ${opening} FROM unnest(${accounts}::uuid[]) WITH ORDINALITY AS x(a, i)`.execute(db);
  await sql`ANALYZE strata.ledger_accounts`.execute(db);
  return { accounts, opening };
}

export interface BankFaults {
  /** Terminate a random busy backend of the bank's database every this many ms (`pg_terminate_backend`). */
  readonly terminateEveryMs?: number;
  /** Stop waiting for an answer after this many ms and send the same request again (the first send runs on). */
  readonly clientTimeoutMs?: number;
  /** Called once, halfway through the run: restart the database server. */
  readonly restart?: () => Promise<void>;
}

export interface BankOptions {
  readonly workers: number;
  /** Half of all transfers touch the first account. */
  readonly hot: boolean;
  readonly durationMs: number;
  readonly variant: BankVariant;
  readonly faults?: BankFaults;
  /** Transfers per `transferBatch` call (variant `batch`). Default 50. */
  readonly batchSize?: number;
  /** Share of transfers sent to an account that does not exist. Default 0.002. */
  readonly missingRate?: number;
}

export interface BankResult {
  readonly variant: BankVariant;
  readonly workers: number;
  readonly hot: boolean;
  /** Transfers applied (acknowledged, or resolved as applied after the run). */
  readonly applied: number;
  /** Requests refused as the ledger should (insufficient funds, unknown account). */
  readonly refused: number;
  /** Requests that ran out of retries under contention (LEDGER_CONTENTION), nothing applied. */
  readonly contention: number;
  readonly perSecond: number;
  /** Latency of a request from its first send to its definite answer, resends included. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Attempts the ledger retried inside (deadlocks, serialization failures, version conflicts, lock timeouts, lost connections). */
  readonly retries: number;
  /** Sends the harness repeated with the same id (client timeouts, lost connections, the restart). */
  readonly resends: number;
  /** Deadlocks the server detected in the bank's database during the run. */
  readonly deadlocks: number;
  /** Errors that reached the caller and must not: deadlock, serialization failure, raw database errors (by code). */
  readonly callerErrors: Readonly<Record<string, number>>;
  /** `checkLedger` after the run. */
  readonly check: LedgerCheck;
  /** Where balances differ from what the acknowledged transfers imply (lost updates, double applies). */
  readonly modelViolations: readonly string[];
  /** Every violation counted: ledger check, model, caller errors, server-detected deadlocks. */
  readonly violations: number;
  /** With `faults.restart`: when the restart began and ended (ms into the run), or why it failed. */
  readonly restart?: { readonly startedMs: number; readonly endedMs: number; readonly error?: string };
}

interface Outcome {
  applied: boolean;
  refused: boolean;
  contention: boolean;
  /** An attempt ended without a definite answer (lost connection, timeout, restart). */
  unsure: boolean;
}

const AMBIGUOUS = new Set(['CONNECTION_LOST', 'CONNECTION_FAILED', 'STATEMENT_TIMEOUT']);
const REFUSALS = new Set(['LEDGER_INSUFFICIENT_FUNDS', 'LEDGER_ACCOUNT_NOT_FOUND']);

let retryCount = 0;
onMetricDeclared((metric: Metric) => {
  if (metric.definition.name !== 'strata_transfer_retries_total') return;
  metric.bind((_labels, value) => {
    retryCount += value;
  });
});

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function random(n: number): number {
  return Math.floor(Math.random() * n);
}

function request(bank: Bank, options: BankOptions): TransferRequest {
  const n = bank.accounts.length;
  let d = random(n);
  let c = (d + 1 + random(n - 1)) % n;
  if (options.hot && Math.random() < 0.5) {
    if (Math.random() < 0.5) d = 0;
    else c = 0;
    if (d === c) c = 1 + random(n - 1);
  }
  const missing = Math.random() < (options.missingRate ?? 0.002);
  return {
    id: uuidv7(),
    debitAccountId: bank.accounts[d] as string,
    creditAccountId: missing ? uuidv7() : (bank.accounts[c] as string),
    amount: BigInt(1 + random(100)),
  };
}

async function deadlocksOf(db: Db): Promise<number> {
  const { rows } = await sql<{ n: string }>`SELECT deadlocks::text AS n FROM pg_stat_database WHERE datname = current_database()`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/** Terminates one busy backend of this database (never the caller's own) every `everyMs`, until stopped. */
function terminator(db: Db, everyMs: number): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, everyMs));
      if (stopped) break;
      await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction') AND backend_type = 'client backend'
        ORDER BY random() LIMIT 1`
        .execute(db)
        .catch(() => undefined);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs the bank test once on `db` (its pool should hold about twice `workers` connections: a send
 * abandoned after a client timeout keeps its connection until the database answers) and checks it.
 * `admin` is a second pool for the faults and the checks.
 */
export async function runBank(db: Db, admin: Db, bank: Bank, options: BankOptions): Promise<BankResult> {
  const send = sender(db, options.variant);
  const batchSize = options.variant === 'batch' ? (options.batchSize ?? 50) : 1;
  const faults = options.faults ?? {};
  const outcomes = new Map<string, Outcome>();
  const requests = new Map<string, TransferRequest>();
  const callerErrors: Record<string, number> = {};
  const latencies: number[] = [];
  const pending = new Set<Promise<unknown>>();
  let resends = 0;
  const retriesBefore = retryCount;
  const deadlocksBefore = await deadlocksOf(admin);
  const started = performance.now();
  const end = started + options.durationMs;

  const record = (group: readonly TransferRequest[], what: keyof Outcome) => {
    for (const r of group) (outcomes.get(r.id) as Outcome)[what] = true;
  };

  /** Sends a group until it has a definite answer; a send abandoned on timeout runs on and still counts when it answers. */
  const submit = async (group: readonly TransferRequest[]) => {
    const first = performance.now();
    for (let attempt = 0; ; attempt++) {
      const sent = send(group).then(
        () => record(group, 'applied'),
        (err: unknown) => {
          const code = isStrataError(err) ? err.code : 'UNKNOWN';
          if (REFUSALS.has(code)) record(group, 'refused');
          else if (code === 'LEDGER_CONTENTION') record(group, 'contention');
          else if (AMBIGUOUS.has(code)) record(group, 'unsure');
          else callerErrors[code] = (callerErrors[code] ?? 0) + 1;
          return code;
        },
      );
      pending.add(sent);
      void sent.finally(() => pending.delete(sent));
      const timeout = faults.clientTimeoutMs;
      const answer = timeout === undefined ? await sent : await Promise.race([sent, sleep(timeout).then(() => 'TIMEOUT' as const)]);
      // After the run, a request still without an answer is left for the resolution below.
      const late = performance.now() > end;
      if (answer === 'TIMEOUT' || (typeof answer === 'string' && AMBIGUOUS.has(answer))) {
        if (answer === 'TIMEOUT') record(group, 'unsure');
        if (late) return;
        resends++;
        await sleep(Math.min(200, 5 * 2 ** Math.min(attempt, 5)) * Math.random());
        continue;
      }
      latencies.push(performance.now() - first);
      return;
    }
  };

  const worker = async () => {
    while (performance.now() < end) {
      const group = Array.from({ length: batchSize }, () => request(bank, options));
      for (const r of group) {
        requests.set(r.id, r);
        outcomes.set(r.id, { applied: false, refused: false, contention: false, unsure: false });
      }
      await submit(group);
    }
  };

  const stopTerminating = faults.terminateEveryMs ? terminator(admin, faults.terminateEveryMs) : undefined;
  let restart: BankResult['restart'];
  const restartTimer = faults.restart
    ? sleep(options.durationMs / 2).then(async () => {
        const startedMs = performance.now() - started;
        // The workers keep sending meanwhile: a transfer in flight when the server goes down, or sent
        // while it is down or starting, fails as CONNECTION_LOST/FAILED and is resent with its id.
        const error = await (faults.restart as () => Promise<void>)().then(
          () => undefined,
          (err: unknown) => (err instanceof Error ? err.message : String(err)),
        );
        restart = { startedMs, endedMs: performance.now() - started, ...(error === undefined ? {} : { error }) };
      })
    : undefined;
  await Promise.all(Array.from({ length: options.workers }, worker));
  const seconds = (performance.now() - started) / 1000;
  await restartTimer;
  await stopTerminating?.();
  while (pending.size > 0) await Promise.allSettled([...pending]);

  // Requests without a definite answer: send them again, now without faults (a real ledger answers with the original or applies it now).
  const unsure = [...outcomes.entries()].filter(([, o]) => o.unsure && !o.applied && !o.refused).map(([id]) => requests.get(id) as TransferRequest);
  for (let i = 0; i < unsure.length; i += batchSize) {
    const group = unsure.slice(i, i + batchSize);
    for (let attempt = 0; attempt < 20; attempt++) {
      const code = await send(group).then(
        () => record(group, 'applied'),
        (err: unknown) => (isStrataError(err) ? err.code : 'UNKNOWN'),
      );
      if (code === undefined) break;
      if (REFUSALS.has(code)) {
        record(group, 'refused');
        break;
      }
      await sleep(100);
    }
  }

  const deadlocks = (await deadlocksOf(admin)) - deadlocksBefore;
  const check = await checkLedger(admin);
  const modelViolations = await model(admin, bank, requests, outcomes);
  const forbidden = Object.values(callerErrors).reduce((a, b) => a + b, 0);
  const values = [...outcomes.values()];
  const applied = values.filter((o) => o.applied).length;
  latencies.sort((a, b) => a - b);
  const checkViolations = Object.values(check.counts).reduce((a, b) => a + b, 0);
  return {
    variant: options.variant,
    workers: options.workers,
    hot: options.hot,
    applied,
    refused: values.filter((o) => o.refused && !o.applied).length,
    contention: values.filter((o) => o.contention && !o.applied && !o.refused).length,
    perSecond: applied / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    retries: retryCount - retriesBefore,
    resends,
    deadlocks,
    callerErrors,
    check,
    modelViolations,
    violations: checkViolations + modelViolations.length + forbidden + deadlocks,
    ...(restart === undefined ? {} : { restart }),
  };
}

/**
 * The harness's own account of what happened: every balance must be its opening balance plus the
 * acknowledged transfers, and the ledger must hold exactly as many transfers as were acknowledged.
 */
async function model(db: Db, bank: Bank, requests: Map<string, TransferRequest>, outcomes: Map<string, Outcome>): Promise<string[]> {
  const expected = new Map<string, bigint>(bank.accounts.map((a) => [a, bank.opening]));
  let applied = 0;
  for (const [id, o] of outcomes) {
    if (!o.applied) continue;
    applied++;
    const r = requests.get(id) as TransferRequest;
    expected.set(r.debitAccountId, (expected.get(r.debitAccountId) ?? 0n) - r.amount);
    expected.set(r.creditAccountId, (expected.get(r.creditAccountId) ?? 0n) + r.amount);
  }
  const { rows } = await sql<{
    id: string;
    balance: bigint;
  }>`SELECT id, balance FROM strata.ledger_accounts WHERE id = ANY(${[...bank.accounts]}::uuid[])`.execute(db);
  const problems: string[] = [];
  for (const row of rows) {
    const want = expected.get(row.id);
    if (want !== row.balance) problems.push(`account ${row.id}: balance ${row.balance}, the acknowledged transfers make ${want}`);
  }
  const { rows: count } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM strata.ledger_transfers`.execute(db);
  if (count[0]?.n !== applied) problems.push(`${count[0]?.n} transfers in the ledger, ${applied} acknowledged`);
  return problems;
}
