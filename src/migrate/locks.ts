import { type Kysely, sql, type Transaction } from 'kysely';
import { isStrataError, StrataError } from '../db/index.js';
import { MIGRATION_LOCK_WAITS } from './metrics.js';
import { loadParser, parseStatements } from './parser.js';

/** A session that holds a lock the migration waited for. */
export interface Blocker {
  readonly pid: number;
  readonly state: string;
  readonly query: string;
  /** Seconds since its transaction began. */
  readonly transactionSeconds: number;
  readonly relation: string;
  readonly mode: string;
}

/** How statements wait for locks: a short lock_timeout, then jittered retries, so a waiting statement never queues traffic for long. */
export interface LockPolicy {
  /** Per statement; default 1 000 ms. Application traffic queues behind a waiting ALTER at most this long. */
  readonly lockTimeoutMs: number;
  /** Per statement (not for index builds and validations, which do not block writes); default 30 000 ms. */
  readonly statementTimeoutMs: number;
  /** Attempts before giving up with MIGRATION_BLOCKED; default 60. */
  readonly maxAttempts: number;
  /** Called after each lock timeout, with the sessions holding locks on the relations involved. */
  readonly onWait?: (wait: { readonly attempt: number; readonly step: string; readonly blockers: readonly Blocker[] }) => void;
}

export const DEFAULT_LOCK_POLICY: LockPolicy = { lockTimeoutMs: 1000, statementTimeoutMs: 30_000, maxAttempts: 60 };

/** Relations a statement names (for reporting what blocks it). */
export async function relationsOf(statements: readonly string[]): Promise<string[]> {
  await loadParser();
  const names = new Set<string>();
  for (const text of statements) {
    let parsed: ReturnType<typeof parseStatements>;
    try {
      parsed = parseStatements(text);
    } catch {
      continue;
    }
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) {
        for (const item of node) visit(item);
        return;
      }
      if (node === null || typeof node !== 'object') return;
      const { schemaname, relname } = node as { schemaname?: string; relname?: unknown };
      // libpg_query writes a statement's RangeVar inline (`relation: { relname, … }`), not under a type key.
      if (typeof relname === 'string') names.add(schemaname ? `${schemaname}.${relname}` : relname);
      for (const value of Object.values(node)) visit(value);
    };
    visit(parsed.map((p) => p.stmt));
  }
  return [...names];
}

/** Sessions (other than ours) holding granted locks on the relations. */
export async function blockersOf<DB>(db: Kysely<DB>, relations: readonly string[]): Promise<Blocker[]> {
  if (relations.length === 0) return [];
  const { rows } = await sql<Blocker>`
    SELECT DISTINCT a.pid, coalesce(a.state, '') AS state, left(coalesce(a.query, ''), 200) AS query,
           coalesce(extract(epoch FROM now() - a.xact_start), 0)::float8 AS "transactionSeconds",
           l.relation::regclass::text AS relation, l.mode
      FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.granted AND l.pid <> pg_backend_pid()
       AND l.relation IN (SELECT to_regclass(r) FROM unnest(${relations}::text[]) AS r WHERE to_regclass(r) IS NOT NULL)
     ORDER BY a.pid`.execute(db);
  return rows;
}

export const describeBlockers = (blockers: readonly Blocker[]) =>
  blockers
    .map((b) => `pid ${b.pid} (${b.state}, in a transaction for ${Math.round(b.transactionSeconds)} s, ${b.mode} on ${b.relation}: ${b.query})`)
    .join('; ') || 'no session holds a lock now';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Backoff before attempt n+1: random in [ms/2, ms], ms = min(5 s, 100 ms * 2^(n-1)). */
export const jitter = (attempt: number) => {
  const ms = Math.min(5000, 100 * 2 ** Math.min(attempt - 1, 10));
  return ms / 2 + Math.random() * (ms / 2);
};

/**
 * Runs `work` and retries it after a lock timeout, with jittered backoff, reporting the blockers;
 * gives up with MIGRATION_BLOCKED after `maxAttempts`.
 */
export async function retryOnLockTimeout<DB, T>(
  db: Kysely<DB>,
  step: string,
  relations: readonly string[],
  policy: LockPolicy,
  phase: string,
  work: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isStrataError(err) || err.code !== 'LOCK_TIMEOUT') throw err;
      MIGRATION_LOCK_WAITS.record({ phase }, 1);
      const blockers = await blockersOf(db, relations).catch(() => []);
      if (attempt >= policy.maxAttempts) {
        throw new StrataError(
          'MIGRATION_BLOCKED',
          `${step}: no lock within ${policy.lockTimeoutMs} ms after ${attempt} attempts; blocked by ${describeBlockers(blockers)}`,
          {
            attempts: attempt,
          },
        );
      }
      policy.onWait?.({ attempt, step, blockers });
      await sleep(jitter(attempt));
    }
  }
}

/** One transaction with `SET LOCAL lock_timeout` and `statement_timeout` (0 when `long`). */
export function lockedTransaction<DB, T>(db: Kysely<DB>, policy: LockPolicy, long: boolean, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT set_config('lock_timeout', ${`${policy.lockTimeoutMs}ms`}, true), set_config('statement_timeout', ${long ? '0' : `${policy.statementTimeoutMs}ms`}, true)`.execute(
      trx,
    );
    return fn(trx);
  });
}
