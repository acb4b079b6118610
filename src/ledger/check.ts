import { type Kysely, sql } from 'kysely';
import { ensureStrataSchema } from '../db/index.js';
import { setPrincipalContext } from '../principals/index.js';
import { ACCOUNTS, ENTRIES, TRANSFERS_TABLE } from './tables.js';

/** What an invariant violation breaks. */
export type ViolationKind =
  /** An account's balance is not its opening balance plus its entries (or its version is not its entry count). */
  | 'balance'
  /** The balances of a currency do not add up to its opening balances: money was created or destroyed. */
  | 'conservation'
  /** A balance is below its overdraft limit. */
  | 'limit'
  /** A transfer does not have exactly one debit and one credit entry of its amount. */
  | 'entries'
  /** An entry belongs to no transfer. */
  | 'orphan_entry'
  /** An entry's balance is not the previous entry's plus its amount, or the sequence has a gap. */
  | 'chain';

export interface Violation {
  readonly kind: ViolationKind;
  readonly message: string;
}

export interface LedgerCheck {
  /** True when no invariant is broken. */
  readonly ok: boolean;
  /** Violations found, at most `limit` of each kind. */
  readonly violations: readonly Violation[];
  /** How many violations of each kind exist in all (beyond `limit` too). */
  readonly counts: Readonly<Record<ViolationKind, number>>;
  readonly accounts: number;
  readonly transfers: number;
  readonly entries: number;
}

export interface CheckOptions {
  /** Violations listed per kind (all are counted). Default 100. */
  readonly limit?: number;
  /** Called before each invariant is checked (for progress on a large ledger). */
  readonly onProgress?: (progress: CheckProgress) => void;
}

/** Which invariant the check is at: the `done`-th of `total`. */
export interface CheckProgress {
  readonly kind: ViolationKind;
  readonly done: number;
  readonly total: number;
}

/**
 * The principal the check reads as: no principal's own, with \`admin\`, which every ledger table's
 * row-level security lets read every row (it writes nothing: the check is read only).
 */
export const LEDGER_CHECK_PRINCIPAL = { id: '00000000-0000-0000-0000-000000000000', scopes: ['admin'] } as const;

const A = sql.raw(ACCOUNTS);
const T = sql.raw(TRANSFERS_TABLE);
const E = sql.raw(ENTRIES);

const QUERIES: Readonly<Record<ViolationKind, ReturnType<typeof sql<{ message: string }>>>> = {
  balance: sql`SELECT format('account %s: balance %s, but opening balance %s plus %s entries make %s (version %s)',
      a.id, a.balance, a.opening_balance, count(e.seq), a.opening_balance + coalesce(sum(e.amount), 0), a.version) AS message
    FROM ${A} a LEFT JOIN ${E} e ON e.owner_id = a.owner_id AND e.account_id = a.id
    GROUP BY a.owner_id, a.id
    HAVING a.balance <> a.opening_balance + coalesce(sum(e.amount), 0) OR a.version <> count(e.seq)
    ORDER BY a.id`,
  conservation: sql`SELECT format('currency %s: balances sum to %s, opening balances to %s', currency, sum(balance), sum(opening_balance)) AS message
    FROM ${A} GROUP BY currency HAVING sum(balance) <> sum(opening_balance) ORDER BY currency`,
  limit: sql`SELECT format('account %s: balance %s is below its overdraft limit of %s', id, balance, overdraft_limit) AS message
    FROM ${A} WHERE balance < -overdraft_limit ORDER BY id`,
  entries: sql`SELECT format('transfer %s (owner %s) of %s: %s entries summing to %s, %s debit and %s credit entries of its amount',
      t.id, t.owner_id, t.amount, count(e.seq), coalesce(sum(e.amount), 0),
      count(e.seq) FILTER (WHERE e.account_id = t.debit_account_id AND e.amount = -t.amount),
      count(e.seq) FILTER (WHERE e.account_id = t.credit_account_id AND e.owner_id = t.credit_owner_id AND e.amount = t.amount)) AS message
    FROM ${T} t LEFT JOIN ${E} e ON e.transfer_owner_id = t.owner_id AND e.transfer_id = t.id
    GROUP BY t.owner_id, t.id
    HAVING count(e.seq) <> 2 OR coalesce(sum(e.amount), 0) <> 0
        OR count(e.seq) FILTER (WHERE e.account_id = t.debit_account_id AND e.owner_id = t.owner_id AND e.amount = -t.amount) <> 1
        OR count(e.seq) FILTER (WHERE e.account_id = t.credit_account_id AND e.owner_id = t.credit_owner_id AND e.amount = t.amount) <> 1
    ORDER BY t.id`,
  orphan_entry: sql`SELECT format('entry %s of account %s names transfer %s, which does not exist', e.seq, e.account_id, e.transfer_id) AS message
    FROM ${E} e LEFT JOIN ${T} t ON t.owner_id = e.transfer_owner_id AND t.id = e.transfer_id
    WHERE t.id IS NULL ORDER BY e.account_id, e.seq`,
  chain: sql`SELECT format('entry %s of account %s: balance after %s, expected %s (previous entry %s)',
      seq, account_id, balance_after, coalesce(prev_balance, opening_balance) + amount, coalesce(prev_seq, 0)) AS message
    FROM (SELECT e.seq, e.account_id, e.amount, e.balance_after, a.opening_balance,
                 lag(e.balance_after) OVER w AS prev_balance, lag(e.seq) OVER w AS prev_seq
            FROM ${E} e JOIN ${A} a ON a.owner_id = e.owner_id AND a.id = e.account_id
          WINDOW w AS (PARTITION BY e.owner_id, e.account_id ORDER BY e.seq)) x
    WHERE balance_after <> coalesce(prev_balance, opening_balance) + amount OR seq <> coalesce(prev_seq, 0) + 1
    ORDER BY account_id, seq`,
};

/**
 * Verifies the ledger's invariants: every balance equals its opening balance plus its entries, each
 * currency's total is conserved, no balance breaks its limit, every transfer has exactly one debit
 * and one credit entry of its amount, every entry belongs to a transfer and records the balance
 * after it. Reads in one REPEATABLE READ snapshot, so it may run while transfers do. It reads as an
 * admin principal (\`LEDGER_CHECK_PRINCIPAL\`), so row-level security shows it every account under
 * any login role that may SELECT the ledger's tables, not only under one that bypasses it.
 *
 * @example
 * const report = await checkLedger(db);
 * if (!report.ok) for (const v of report.violations) console.error(v.kind, v.message);
 */
export async function checkLedger<DB>(db: Kysely<DB>, options: CheckOptions = {}): Promise<LedgerCheck> {
  await ensureStrataSchema(db);
  const limit = Math.max(0, Math.trunc(options.limit ?? 100));
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      await setPrincipalContext(trx, LEDGER_CHECK_PRINCIPAL);
      const violations: Violation[] = [];
      const counts = {} as Record<ViolationKind, number>;
      const kinds = Object.entries(QUERIES) as [ViolationKind, (typeof QUERIES)[ViolationKind]][];
      for (const [i, [kind, query]] of kinds.entries()) {
        options.onProgress?.({ kind, done: i, total: kinds.length });
        const { rows } = await sql<{ message: string; total: number }>`SELECT message, count(*) OVER ()::int AS total FROM (${query}) v LIMIT ${limit}`.execute(
          trx,
        );
        counts[kind] = rows[0]?.total ?? (limit === 0 ? await countOf(trx, query) : 0);
        for (const r of rows) violations.push({ kind, message: r.message });
      }
      const { rows } = await sql<{ accounts: number; transfers: number; entries: number }>`
        SELECT (SELECT count(*) FROM ${A})::int AS accounts, (SELECT count(*) FROM ${T})::int AS transfers, (SELECT count(*) FROM ${E})::int AS entries`.execute(
        trx,
      );
      const sizes = rows[0] ?? { accounts: 0, transfers: 0, entries: 0 };
      return { ok: Object.values(counts).every((n) => n === 0), violations, counts, ...sizes };
    });
}

async function countOf<DB>(db: Kysely<DB>, query: ReturnType<typeof sql<{ message: string }>>): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM (${query}) v`.execute(db);
  return rows[0]?.n ?? 0;
}
