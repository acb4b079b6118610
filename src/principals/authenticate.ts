import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import { ensureStrataSchema } from '../db/index.js';
import { parseScopes, type Scope } from './scopes.js';
import { TOKEN_STATE_FUNCTION } from './tables.js';
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

/** Decides a presented token from its row (undefined: no row); `onValid` gets the state of a valid one. */
function decide(presented: PresentedToken, row: Row | undefined, onValid?: (state: TokenState) => void): Authentication {
  if (!secretMatches(row?.secret_hash, presented.secretHash) || !row) return { ok: false, reason: 'unknown' };
  if (row.revoked) return { ok: false, reason: 'revoked' };
  if (row.expired) return { ok: false, reason: 'expired' };
  const principal = { id: row.principal_id, name: row.name, scopes: parseScopes(row.scopes), tokenId: presented.id };
  onValid?.({ secretHash: row.secret_hash, expiresAt: row.expires_at, principal });
  return { ok: true, principal };
}

/** The token's state as one JSON value (null: no such token), for a column of any statement: evaluated once, in that statement's snapshot. */
const tokenJson = (id: string) => sql<TokenJson | null>`(SELECT ${sql.raw(TOKEN_STATE_FUNCTION)}(${id}::uuid))`;

interface TokenJson {
  secret_hash: string;
  scopes: string[];
  expires_at: string | null;
  expired: boolean;
  revoked: boolean;
  principal_id: string;
  name: string;
}

const TOKEN_COLUMN = 'strata_token';

function rowOf(token: TokenJson | null): Row | undefined {
  if (!token) return undefined;
  return {
    secret_hash: Buffer.from(token.secret_hash, 'hex'),
    scopes: token.scopes,
    expires_at: token.expires_at === null ? null : new Date(token.expires_at),
    expired: token.expired,
    revoked: token.revoked,
    principal_id: token.principal_id,
    name: token.name,
  };
}

/** Reads a presented token's row (one statement) and decides it; `onValid` gets the state of a valid one. */
export async function lookupToken<DB>(db: Kysely<DB>, presented: PresentedToken, onValid?: (state: TokenState) => void): Promise<Authentication> {
  await ensureStrataSchema(db);
  const { rows } = await sql<{ token: TokenJson | null }>`SELECT ${tokenJson(presented.id)} AS token`.execute(db);
  return decide(presented, rowOf(rows[0]?.token ?? null), onValid);
}

/**
 * Runs a read and the presented token's check in ONE statement (one round trip instead of two):
 * the token's row travels as one more column of the read (an uncorrelated subquery, evaluated once,
 * in the read's snapshot), is decided exactly as `lookupToken` decides it, and is removed from the
 * rows. A read that finds no row checks the token in a statement of its own. The caller must not
 * use the rows for a refused token.
 *
 * @example
 * const { auth, rows } = await readWithToken(db, presented, db.selectFrom('products').selectAll().where('id', '=', id));
 * if (!auth.ok) throw unauthenticated();
 */
export async function readWithToken<DB, TB extends keyof DB, O>(
  db: Kysely<DB>,
  presented: PresentedToken,
  read: SelectQueryBuilder<DB, TB, O>,
  onValid?: (state: TokenState) => void,
): Promise<{ readonly auth: Authentication; readonly rows: O[] }> {
  await ensureStrataSchema(db);
  const rows = (await read.select(tokenJson(presented.id).as(TOKEN_COLUMN)).execute()) as (O & Record<typeof TOKEN_COLUMN, TokenJson | null>)[];
  const first = rows[0];
  if (!first) return { auth: await lookupToken(db, presented, onValid), rows: [] };
  const row = rowOf(first[TOKEN_COLUMN]);
  for (const r of rows) delete (r as Partial<Record<typeof TOKEN_COLUMN, unknown>>)[TOKEN_COLUMN];
  return { auth: decide(presented, row, onValid), rows };
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
