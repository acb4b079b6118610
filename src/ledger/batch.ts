import { type Kysely, sql } from 'kysely';
import { ensureStrataSchema, isStrataError, StrataError, withTransaction } from '../db/index.js';
import { type PrincipalContext, setPrincipalContext } from '../principals/index.js';
import { TRANSFER_DURATION, TRANSFERS } from './metrics.js';
import { joinedTransaction, type RetryOptions, withRetries } from './retry.js';
import type { Trx } from './steps.js';
import { type FunctionRow, resultOf } from './transfer.js';
import type { TransferRequest, TransferResult } from './types.js';
import { checkTransfer, checkUuid } from './validate.js';

export interface TransferBatchOptions extends RetryOptions {
  /** Runs the batch in a transaction acting for this principal: every debit account must be theirs. */
  readonly principal?: PrincipalContext;
  /** Every debit account must belong to this owner (checked by the ledger itself). */
  readonly ownerId?: string;
  /** How long the batch waits for one account's lock before it is retried. Default 5 000 ms. */
  readonly lockTimeoutMs?: number;
}

/** The most transfers one batch takes. */
export const MAX_BATCH = 10_000;

interface BatchRow extends FunctionRow {
  id: string;
}

interface Prepared {
  readonly requests: readonly TransferRequest[];
  readonly accounts: readonly string[];
  readonly debitAt: readonly number[];
  readonly creditAt: readonly number[];
}

function prepare(requests: readonly TransferRequest[]): Prepared {
  if (!Array.isArray(requests) || requests.length > MAX_BATCH) throw new StrataError('LEDGER_INVALID_REQUEST', `a batch holds 0 to ${MAX_BATCH} transfers`);
  const checked = requests.map(checkTransfer);
  const ids = new Set<string>();
  for (const r of checked) {
    if (ids.has(r.id)) throw new StrataError('LEDGER_INVALID_REQUEST', `transfer ${r.id} appears twice in the batch`);
    ids.add(r.id);
  }
  const accounts = [...new Set(checked.flatMap((r) => [r.debitAccountId, r.creditAccountId]))].sort();
  const at = new Map(accounts.map((id, i) => [id, i + 1]));
  return {
    requests: checked,
    accounts,
    debitAt: checked.map((r) => at.get(r.debitAccountId) as number),
    creditAt: checked.map((r) => at.get(r.creditAccountId) as number),
  };
}

async function call(db: Kysely<unknown> | Trx, p: Prepared, ownerId: string | undefined, lockTimeout: string): Promise<TransferResult[]> {
  const r = p.requests;
  const { rows } = await sql<BatchRow>`/* strata:op=ledger_transfer_batch */
    SELECT * FROM strata.ledger_transfer_batch(${r.map((x) => x.id)}::uuid[], ${p.accounts}::uuid[], ${p.debitAt}::int[], ${p.creditAt}::int[],
      ${r.map((x) => String(x.amount))}::bigint[], ${r.map((x) => x.currency ?? null)}::text[], ${r.map((x) => JSON.stringify(x.metadata ?? {}))}::jsonb[],
      ${ownerId ?? null}::uuid, ${lockTimeout}::text)`.execute(db);
  return rows.map((row, i) => resultOf(r[i] as TransferRequest, row, row.id));
}

/**
 * Many transfers in one call, one round trip and one transaction: all of them or none (the first
 * refusal, e.g. LEDGER_INSUFFICIENT_FUNDS, names its transfer and rolls the whole batch back).
 * Applied in the order given, so a later transfer may spend what an earlier one credited. Locks are
 * taken in one global order (transfer ids, then accounts, each sorted), so batches never deadlock
 * with each other or with single transfers. Ids already present are replays (`replayed: true`,
 * nothing applied); an id present with other parameters fails the batch with LEDGER_TRANSFER_CONFLICT.
 *
 * @example
 * const results = await transferBatch(db, payouts.map((p) => ({ id: p.id, debitAccountId: treasury, creditAccountId: p.wallet, amount: p.cents })));
 */
export async function transferBatch<DB>(db: Kysely<DB>, requests: readonly TransferRequest[], options: TransferBatchOptions = {}): Promise<TransferResult[]> {
  const started = performance.now();
  const strategy = 'batch';
  try {
    const prepared = prepare(requests);
    if (prepared.requests.length === 0) return [];
    await ensureStrataSchema(db);
    const ownerId = options.ownerId === undefined ? undefined : checkUuid(options.ownerId, 'ownerId');
    const lockTimeout = `${Math.max(1, Math.trunc(options.lockTimeoutMs ?? 5000))}ms`;
    const { principal } = options;
    const run = async (target: Kysely<unknown> | Trx) => {
      if (!principal) return call(target, prepared, ownerId, lockTimeout);
      return withTransaction(target as Trx, async (trx) => {
        await setPrincipalContext(trx, principal);
        return call(trx, prepared, ownerId, lockTimeout);
      });
    };
    const trx = joinedTransaction(db as Kysely<unknown>);
    const results = trx ? await run(trx) : await withRetries(strategy, `batch of ${prepared.requests.length}`, options, () => run(db as Kysely<unknown>));
    const created = results.filter((x) => !x.replayed).length;
    TRANSFERS.record({ strategy, outcome: 'created' }, created);
    TRANSFERS.record({ strategy, outcome: 'replayed' }, results.length - created);
    return results;
  } catch (err) {
    TRANSFERS.record({ strategy, outcome: isStrataError(err) ? err.code.toLowerCase() : 'error' }, Math.max(1, requests.length));
    throw err;
  } finally {
    TRANSFER_DURATION.record({ strategy }, (performance.now() - started) / 1000);
  }
}
