import { type Kysely, sql } from 'kysely';
import { ensureStrataSchema, withTransaction } from '../db/index.js';
import { createPrincipal } from './principals.js';
import { ALL_SCOPES } from './scopes.js';
import { PRINCIPALS_TABLE } from './tables.js';
import { type IssuedToken, issueToken } from './tokens.js';

/** The principal `bootstrapAdmin` creates. */
export const BOOTSTRAP_PRINCIPAL = 'admin';

/**
 * On a database with no principal at all (a fresh one), creates the principal `admin` and issues it
 * a token with every scope; returns that token, which the caller shows once. On any other database
 * it does nothing and returns undefined. Concurrent callers are serialised: one of them bootstraps.
 *
 * @example
 * const first = await bootstrapAdmin(db);
 * if (first) console.error(`admin token (shown once): ${first.token}`);
 */
export async function bootstrapAdmin<DB>(db: Kysely<DB>): Promise<IssuedToken | undefined> {
  await ensureStrataSchema(db);
  return withTransaction(db, async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended('strata.bootstrap_admin', 0))`.execute(trx);
    const { rows } = await sql<{ any: boolean }>`SELECT EXISTS (SELECT 1 FROM ${sql.raw(PRINCIPALS_TABLE)}) AS any`.execute(trx);
    if (rows[0]?.any) return undefined;
    await createPrincipal(trx, BOOTSTRAP_PRINCIPAL);
    return issueToken(trx, { principal: BOOTSTRAP_PRINCIPAL, scopes: ALL_SCOPES });
  });
}
