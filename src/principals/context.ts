import { type Kysely, sql, type Transaction } from 'kysely';
import { ensureStrataSchema, StrataError, type TransactionOptions, withTransaction } from '../db/index.js';
import { PRINCIPAL_ROLE } from './tables.js';

/** Who a transaction acts for: a `Principal` from `authenticate`, or any id with its scopes. */
export interface PrincipalContext {
  readonly id: string;
  /** `admin` among them lets the transaction read every row of an owned table. */
  readonly scopes?: readonly string[];
}

export interface PrincipalContextOptions {
  /** Recorded by history beside the actor. */
  readonly requestId?: string;
}

/** Per pool (a Kysely instance and its transactions share an adapter): whether to switch to the principal role. */
const switchRole = new WeakMap<object, boolean>();

interface RoleCheck {
  login: string;
  bypass: boolean;
  ready: boolean;
}

async function needsRoleSwitch<DB>(db: Kysely<DB>): Promise<{ readonly bypass: boolean; readonly keep: boolean }> {
  // Steps applied inside a caller's transaction (the role among them) vanish if it rolls back: not remembered then.
  const { applied } = await ensureStrataSchema(db);
  const { rows } = await sql<RoleCheck>`
    SELECT session_user AS login, coalesce((SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = session_user), false) AS bypass,
           CASE WHEN to_regrole(${PRINCIPAL_ROLE}) IS NULL THEN false ELSE pg_has_role(${PRINCIPAL_ROLE}, session_user, 'USAGE') END AS ready`.execute(db);
  const check = rows[0] ?? { login: '?', bypass: false, ready: false };
  if (check.bypass && !check.ready) {
    throw new StrataError(
      'OWNERSHIP_SETUP',
      `the database role ${check.login} bypasses row-level security, and the role ${PRINCIPAL_ROLE} that principals' transactions switch to is missing or lacks its privileges: run \`GRANT "${check.login}" TO ${PRINCIPAL_ROLE}\` as a superuser, or connect as a role without SUPERUSER or BYPASSRLS`,
    );
  }
  return { bypass: check.bypass, keep: applied.length === 0 || !db.isTransaction };
}

async function roleSwitch<DB>(db: Kysely<DB>): Promise<boolean> {
  const adapter = db.getExecutor().adapter;
  const known = switchRole.get(adapter);
  if (known !== undefined) return known;
  const { bypass, keep } = await needsRoleSwitch(db);
  if (keep) switchRole.set(adapter, bypass);
  return bypass;
}

/**
 * Makes the current transaction act for `principal`, until it ends (`set_config(..., true)`, so
 * nothing leaks through a pooled or transaction-mode pooled connection): history and soft deletes
 * record its id as the actor, and owned tables (`enableOwnership`) show and change only its rows
 * (every row readable with `admin`). When the login role bypasses row-level security (a superuser,
 * as with the embedded server), the transaction also switches to the role `strata_principal`,
 * which does not. Call inside a transaction; `withPrincipal` does both.
 *
 * @example
 * await withTransaction(db, async (trx) => {
 *   await setPrincipalContext(trx, principal, { requestId: request.id });
 *   await trx.insertInto('accounts').values({ id, currency: 'EUR' }).execute(); // owner_id: the principal
 * });
 */
export async function setPrincipalContext<DB>(
  trx: Kysely<DB> | Transaction<DB>,
  principal: PrincipalContext,
  options: PrincipalContextOptions = {},
): Promise<void> {
  const role = await roleSwitch(trx);
  const admin = principal.scopes?.includes('admin') ? 'on' : '';
  await sql`SELECT set_config('strata.actor', ${principal.id}, true), set_config('strata.request_id', ${options.requestId ?? ''}, true),
    set_config('strata.principal', ${principal.id}, true), set_config('strata.principal_admin', ${admin}, true)
    ${role ? sql`, set_config('role', ${PRINCIPAL_ROLE}, true)` : sql``}`.execute(trx);
}

/**
 * Runs `fn` in one transaction acting for `principal` (see `setPrincipalContext`), with
 * `withTransaction`'s retries.
 *
 * @example
 * const mine = await withPrincipal(db, principal, (trx) => trx.selectFrom('accounts').selectAll().execute());
 */
export function withPrincipal<DB, T>(
  db: Kysely<DB>,
  principal: PrincipalContext,
  fn: (trx: Transaction<DB>) => Promise<T>,
  options: TransactionOptions & PrincipalContextOptions = {},
): Promise<T> {
  return withTransaction(
    db,
    async (trx) => {
      await setPrincipalContext(trx, principal, options.requestId === undefined ? {} : { requestId: options.requestId });
      return fn(trx);
    },
    options,
  );
}

/** The id of the principal the current transaction acts for, or undefined outside `setPrincipalContext`. */
export async function currentPrincipalId<DB>(trx: Kysely<DB>): Promise<string | undefined> {
  const { rows } = await sql<{ id: string | null }>`SELECT nullif(current_setting('strata.principal', true), '') AS id`.execute(trx);
  return rows[0]?.id ?? undefined;
}
