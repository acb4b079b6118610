import { type Kysely, sql } from 'kysely';
import { ensureStrataSchema } from '../db/index.js';
import { parseScopes, type Scope } from './scopes.js';
import { PRINCIPALS_TABLE, TOKENS_TABLE } from './tables.js';
import { type PresentedToken, parseToken, secretMatches } from './token.js';

/**
 * The principal a request acts for, with the scopes of the token it presented. This is what
 * `withPrincipal` and `setPrincipalContext` take, and what the service hands its routes.
 */
export interface Principal {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** The token that authenticated the request. */
  readonly tokenId: string;
}

/** Why a token was refused: for logs and metrics only; a client gets one answer for all of them. */
export type RefusalReason = 'missing' | 'malformed' | 'unknown' | 'expired' | 'revoked';

export type Authentication = { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: RefusalReason };

interface Row {
  secret_hash: Buffer;
  scopes: string[];
  expires_at: Date | null;
  expired: boolean;
  revoked: boolean;
  principal_id: string;
  name: string;
}

const BEARER = /^Bearer[ ]+(\S+)[ ]*$/i;

/** A token's stored state as `authenticate` read it: what a cache of it needs to answer again. */
export interface TokenState {
  readonly secretHash: Buffer;
  /** When the token expires (null: never), checked again on every cached answer. */
  readonly expiresAt: Date | null;
  readonly principal: Principal;
}

/** The token a header presents, or why there is none. */
export function presentedToken(authorization: string | undefined): PresentedToken | RefusalReason {
  if (authorization === undefined || authorization === '') return 'missing';
  return parseToken(BEARER.exec(authorization)?.[1] ?? '') ?? 'malformed';
}

/** Reads a presented token's row (one statement) and decides it; `onValid` gets the state of a valid one. */
export async function lookupToken<DB>(db: Kysely<DB>, presented: PresentedToken, onValid?: (state: TokenState) => void): Promise<Authentication> {
  await ensureStrataSchema(db);
  const { rows } = await sql<Row>`
    SELECT t.secret_hash, t.scopes, t.expires_at, coalesce(t.expires_at <= clock_timestamp(), false) AS expired,
           (t.revoked_at IS NOT NULL OR p.revoked_at IS NOT NULL) AS revoked, p.id AS principal_id, p.name
      FROM ${sql.raw(TOKENS_TABLE)} t JOIN ${sql.raw(PRINCIPALS_TABLE)} p ON p.id = t.principal_id
     WHERE t.id = ${presented.id}`.execute(db);
  const row = rows[0];
  if (!secretMatches(row?.secret_hash, presented.secretHash) || !row) return { ok: false, reason: 'unknown' };
  if (row.revoked) return { ok: false, reason: 'revoked' };
  if (row.expired) return { ok: false, reason: 'expired' };
  const principal = { id: row.principal_id, name: row.name, scopes: parseScopes(row.scopes), tokenId: presented.id };
  onValid?.({ secretHash: row.secret_hash, expiresAt: row.expires_at, principal });
  return { ok: true, principal };
}

/**
 * Checks an `Authorization` header (`Bearer <token>`) against the stored tokens: the token's row is
 * found by the id in the token, its secret's hash compared in constant time, then its revocation
 * (of the token or of its principal) and expiry. Read from the database on every call, so a
 * revocation holds on the next request in every process (`createTokenCache` trades that for a
 * bounded delay).
 *
 * @example
 * const auth = await authenticate(db, request.headers.authorization);
 * if (!auth.ok) return reply.code(401).send();
 */
export async function authenticate<DB>(db: Kysely<DB>, authorization: string | undefined): Promise<Authentication> {
  const presented = presentedToken(authorization);
  if (typeof presented === 'string') return { ok: false, reason: presented };
  return lookupToken(db, presented);
}

/** Whether the principal's token carries `scope`. */
export function hasScope(principal: Pick<Principal, 'scopes'>, scope: Scope): boolean {
  return principal.scopes.includes(scope);
}
