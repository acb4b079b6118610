import { CompiledQuery, type Kysely, sql } from 'kysely';
import { directQuery, ensureStrataSchema, isStrataError, preparedStatement, StrataError, withTransaction } from '../db/index.js';
import { type PrincipalContext, setPrincipalContext } from '../principals/index.js';
import { TRANSFER_DURATION, TRANSFERS } from './metrics.js';
import { joinedTransaction, type RetryOptions, withRetries } from './retry.js';
import { clearCredit, insertEntries, insertTransfer, resolveSides, type Sides, type Trx } from './steps.js';
import { APPLY, type TransferStrategy, VersionConflict } from './strategies.js';
import type { TransferRequest, TransferResult } from './types.js';
import { checkTransfer, checkUuid } from './validate.js';

export interface TransferOptions extends RetryOptions {
  /** Default `function` (one round trip). See docs/ledger.md for when to choose another. */
  readonly strategy?: TransferStrategy;
  /**
   * Runs each attempt in its own transaction acting for this principal (strata/principals
   * \`setPrincipalContext\`): the debit account must be theirs (else LEDGER_ACCOUNT_NOT_FOUND, nothing
   * written) and row-level security holds every statement to it. A transaction already acting for a
   * principal (\`withPrincipal\`) is held to the same rule without this option.
   */
  readonly principal?: PrincipalContext;
  /**
   * The debit account must belong to this owner (a principal id), checked by the ledger itself:
   * for an application that decides who acts without a principal context. Unset: any owner.
   */
  readonly ownerId?: string;
  /** How long one attempt waits for an account's lock (`SET LOCAL lock_timeout`) before it is retried. Default 2 000 ms. */
  readonly lockTimeoutMs?: number;
}

interface Settings {
  readonly strategy: TransferStrategy;
  readonly ownerId: string | undefined;
  readonly principal: PrincipalContext | undefined;
  readonly lockTimeout: string;
}

// biome-ignore lint/suspicious/noExplicitAny: transfers run on any database's Kysely instance
type Db = Kysely<any>;

export interface FunctionRow {
  owner_id: string;
  credit_owner_id: string;
  currency: string;
  created_at: Date;
  replayed: boolean;
}

/** The result of `request` from the row the ledger's database function answered for it (single or batch). */
export function resultOf(request: TransferRequest, row: FunctionRow, id: string = request.id): TransferResult {
  return {
    id,
    ownerId: row.owner_id,
    debitAccountId: request.debitAccountId,
    creditAccountId: request.creditAccountId,
    creditOwnerId: row.credit_owner_id,
    amount: request.amount,
    currency: row.currency,
    metadata: request.metadata ?? {},
    createdAt: row.created_at,
    replayed: row.replayed,
  };
}

/**
 * The call of the database function: a named prepared statement on a direct connection (parsed and
 * planned once per connection), the same text on every path (a name must always carry one text).
 */
const CALL = `${preparedStatement('ledger_transfer_function')}
SELECT * FROM strata.ledger_transfer($1::uuid, $2::uuid, $3::uuid, $4::bigint, $5::text, $6::jsonb, $7::uuid, $8::text)`;

function callValues(request: TransferRequest, settings: Settings): unknown[] {
  const { currency, metadata } = request;
  return [
    request.id,
    request.debitAccountId,
    request.creditAccountId,
    request.amount,
    currency ?? null,
    JSON.stringify(metadata ?? {}),
    settings.ownerId ?? null,
    settings.lockTimeout,
  ];
}

async function viaFunction(db: Db, request: TransferRequest, settings: Settings): Promise<TransferResult> {
  const { rows } = await db.executeQuery<FunctionRow>(CompiledQuery.raw(CALL, callValues(request, settings)));
  return resultOf(request, rows[0] as FunctionRow);
}

async function inTransaction(trx: Trx, request: TransferRequest, settings: Settings): Promise<TransferResult> {
  const strategy = settings.strategy as Exclude<TransferStrategy, 'function'>;
  const sides: Sides = await resolveSides(trx, request, settings.ownerId, settings.lockTimeout);
  const inserted = await insertTransfer(trx, request, sides);
  if (!(inserted instanceof Date)) return inserted;
  const posted = await APPLY[strategy](trx, request, sides);
  await insertEntries(trx, request, sides, posted.debit, posted.credit);
  return {
    id: request.id,
    ownerId: sides.debit.ownerId,
    debitAccountId: request.debitAccountId,
    creditAccountId: request.creditAccountId,
    creditOwnerId: sides.credit.ownerId,
    amount: request.amount,
    currency: sides.debit.currency,
    metadata: request.metadata ?? {},
    createdAt: inserted,
    replayed: false,
  };
}

async function joined(trx: Trx, request: TransferRequest, settings: Settings): Promise<TransferResult> {
  if (settings.principal) await setPrincipalContext(trx, settings.principal);
  if (settings.strategy === 'function') return viaFunction(trx, request, settings);
  if (settings.strategy === 'serializable') {
    const { rows } = await sql<{ level: string }>`SELECT current_setting('transaction_isolation') AS level`.execute(trx);
    if (rows[0]?.level !== 'serializable') {
      throw new StrataError('LEDGER_INVALID_REQUEST', 'strategy serializable inside a caller’s transaction needs that transaction to be SERIALIZABLE');
    }
  }
  try {
    const result = await inTransaction(trx, request, settings);
    await clearCredit(trx);
    return result;
  } catch (err) {
    if (err instanceof VersionConflict) throw new StrataError('LEDGER_CONTENTION', `${err.message}; inside a caller’s transaction the transfer cannot retry`);
    throw err;
  }
}

function attempt(db: Db, request: TransferRequest, settings: Settings): Promise<TransferResult> {
  const { principal } = settings;
  if (settings.strategy === 'function' && !principal) {
    // Outside any transaction: straight to a pooled connection, past Kysely's query pipeline (docs/ledger.md, "Cost per transfer").
    const direct = directQuery(db);
    if (direct) return direct<FunctionRow>(CALL, callValues(request, settings)).then((rows) => resultOf(request, rows[0] as FunctionRow));
    return viaFunction(db, request, settings);
  }
  const isolation = settings.strategy === 'serializable' ? 'serializable' : undefined;
  return withTransaction(
    db,
    async (trx) => {
      if (principal) await setPrincipalContext(trx, principal);
      return settings.strategy === 'function' ? viaFunction(trx, request, settings) : inTransaction(trx, request, settings);
    },
    { maxAttempts: 1, ...(isolation ? { isolation } : {}) },
  );
}

/**
 * Moves `amount` minor units from the debit account to the credit account: one transfer row and two
 * entries (debit, credit) that sum to zero, each recording its account's balance after it. Correct
 * under any concurrency with every strategy; deadlocks, serialization failures, lock timeouts and a
 * lost connection are retried inside with jittered backoff (the id makes a repeat safe), and when the
 * retries run out the caller gets LEDGER_CONTENTION. Repeating an id returns the original transfer
 * with `replayed: true`, also after an ambiguous commit; the same id with other parameters is
 * LEDGER_TRANSFER_CONFLICT. Inside a caller's transaction it joins it and does not retry.
 *
 * @example
 * const t = await transfer(db, { id: uuidv7(), debitAccountId: alice, creditAccountId: bob, amount: 1250n, currency: 'EUR' });
 * // t.replayed === false; calling again with the same id returns the same transfer with replayed === true
 */
export async function transfer<DB>(db: Kysely<DB>, request: TransferRequest, options: TransferOptions = {}): Promise<TransferResult> {
  const strategy = options.strategy ?? 'function';
  const started = performance.now();
  try {
    const checked = checkTransfer(request);
    if (!APPLY[strategy as Exclude<TransferStrategy, 'function'>] && strategy !== 'function') {
      throw new StrataError('LEDGER_INVALID_REQUEST', `unknown transfer strategy ${String(strategy)}`);
    }
    await ensureStrataSchema(db);
    const settings: Settings = {
      strategy,
      ownerId: options.ownerId === undefined ? undefined : checkUuid(options.ownerId, 'ownerId'),
      principal: options.principal,
      lockTimeout: `${Math.max(1, Math.trunc(options.lockTimeoutMs ?? 2000))}ms`,
    };
    const trx = joinedTransaction(db as Kysely<unknown>);
    const result = trx
      ? await joined(trx, checked, settings)
      : await withRetries(strategy, `transfer ${checked.id}`, options, () => attempt(db as Db, checked, settings));
    TRANSFERS.record({ strategy, outcome: result.replayed ? 'replayed' : 'created' }, 1);
    return result;
  } catch (err) {
    TRANSFERS.record({ strategy, outcome: isStrataError(err) ? err.code.toLowerCase() : 'error' }, 1);
    throw err;
  } finally {
    TRANSFER_DURATION.record({ strategy }, (performance.now() - started) / 1000);
  }
}
