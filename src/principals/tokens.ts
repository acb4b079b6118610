import { type Kysely, sql } from 'kysely';
import { ensureStrataSchema, StrataError, withTransaction } from '../db/index.js';
import { getPrincipal } from './principals.js';
import { parseScopes, type Scope } from './scopes.js';
import { PRINCIPALS_TABLE, TOKENS_TABLE } from './tables.js';
import { newToken } from './token.js';

/** A token as listed: never its secret, which exists only in `IssuedToken.token`, once. */
export interface TokenInfo {
  readonly id: string;
  readonly principalId: string;
  readonly principalName: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
}

/** A token just issued: `token` is the only copy of the secret; show it once, store it nowhere. */
export interface IssuedToken extends TokenInfo {
  readonly token: string;
}

export interface IssueTokenOptions {
  /** The principal's name or id. */
  readonly principal: string;
  /** What the token may do: a list, or `a,b` text. */
  readonly scopes: string | readonly string[];
  /** When the token stops working; default never (revoke it instead). */
  readonly expiresAt?: Date;
}

interface TokenRow {
  id: string;
  principal_id: string;
  principal_name: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const T = sql.raw(TOKENS_TABLE);
const P = sql.raw(PRINCIPALS_TABLE);
const COLUMNS = sql`t.id, t.principal_id, p.name AS principal_name, t.scopes, t.created_at, t.expires_at, t.revoked_at`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function tokenFromRow(row: TokenRow): TokenInfo {
  return {
    id: row.id,
    principalId: row.principal_id,
    principalName: row.principal_name,
    scopes: parseScopes(row.scopes),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

/**
 * Issues a token for a principal. The returned `token` is the only time its secret exists outside
 * the caller: strata stores its SHA-256 only.
 *
 * @example
 * const { token } = await issueToken(db, { principal: 'checkout-service', scopes: 'catalog:read,wallet' });
 */
export function issueToken<DB>(db: Kysely<DB>, options: IssueTokenOptions): Promise<IssuedToken> {
  const scopes = parseScopes(options.scopes);
  return withTransaction(db, async (trx) => {
    await ensureStrataSchema(trx);
    const principal = await getPrincipal(trx, options.principal);
    if (principal.revokedAt) throw new StrataError('PRINCIPAL_REVOKED', `principal "${principal.name}" is revoked; it gets no new tokens`);
    const made = newToken();
    const { rows } = await sql<TokenRow>`
      INSERT INTO ${T} AS t (id, principal_id, secret_hash, scopes, expires_at)
      VALUES (${made.id}, ${principal.id}, ${made.secretHash}, ${scopes}, ${options.expiresAt ?? null})
      RETURNING t.id, t.principal_id, ${principal.name}::text AS principal_name, t.scopes, t.created_at, t.expires_at, t.revoked_at`.execute(trx);
    return { ...tokenFromRow(rows[0] as TokenRow), token: made.token };
  });
}

/** Tokens, newest last; of one principal (name or id) when given; revoked and expired ones only when asked. */
export async function listTokens<DB>(db: Kysely<DB>, options: { readonly principal?: string; readonly includeInactive?: boolean } = {}): Promise<TokenInfo[]> {
  await ensureStrataSchema(db);
  const principalId = options.principal === undefined ? undefined : (await getPrincipal(db, options.principal)).id;
  const { rows } = await sql<TokenRow>`
    SELECT ${COLUMNS} FROM ${T} t JOIN ${P} p ON p.id = t.principal_id
     WHERE ${principalId === undefined ? sql`true` : sql`t.principal_id = ${principalId}`}
       AND ${options.includeInactive ? sql`true` : sql`t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > clock_timestamp())`}
     ORDER BY t.id`.execute(db);
  return rows.map(tokenFromRow);
}

/**
 * Revokes one token: the next request with it is refused, by every service process. Revoking twice
 * changes nothing.
 *
 * @example
 * await revokeToken(db, '0193a0c2-7d1e-7c3a-9f2b-5e8d4a1b6c70');
 */
export async function revokeToken<DB>(db: Kysely<DB>, id: string): Promise<TokenInfo> {
  await ensureStrataSchema(db);
  if (!UUID.test(id)) throw new StrataError('TOKEN_NOT_FOUND', `no token with id "${id}" (a token id is a UUID; \`strata token list\` shows them)`);
  const { rows } = await sql<TokenRow>`
    UPDATE ${T} t SET revoked_at = coalesce(t.revoked_at, clock_timestamp()) FROM ${P} p
     WHERE t.id = ${id}::uuid AND p.id = t.principal_id RETURNING ${COLUMNS}`.execute(db);
  if (!rows[0]) throw new StrataError('TOKEN_NOT_FOUND', `no token with id ${id}`);
  return tokenFromRow(rows[0]);
}
