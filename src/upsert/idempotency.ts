import { createHash, randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { ensureStrataSchema, StrataError } from '../db/index.js';
import { KEYS_TABLE } from './tables.js';

/** What identifies one logical request: who sent it, the key, and what it asked for. */
export interface IdempotentRequest {
  readonly principal: string;
  readonly key: string;
  readonly method: string;
  readonly path: string;
  /** sha256 of the request body in canonical form (see `bodyHash`), or STREAMED_BODY when the body is a stream hashed as it is read. */
  readonly bodyHash: string;
}

/**
 * The `bodyHash` of a request whose body is a stream (an upload): its hash is known only once the
 * handler has read it, so it is given to `completeIdempotencyKey`, and a repeat compares its own
 * body's hash with the stored one (`Claim` kind `replay` carries it).
 */
export const STREAMED_BODY = 'streamed';

/** A response as stored for replay. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
}

export type Claim =
  | { readonly kind: 'acquired'; readonly token: string; readonly request: IdempotentRequest }
  | { readonly kind: 'replay'; readonly response: StoredResponse; readonly bodyHash: string }
  | { readonly kind: 'in_flight'; readonly retryAfterSeconds: number }
  | { readonly kind: 'mismatch' };

export interface IdempotencyOptions {
  /** How long a claim holds the key before another attempt may take over (holder presumed dead). Default 30 s. */
  readonly lockTtlMs?: number;
  /** How long a key (and its stored response) lives. Default 24 h. */
  readonly retentionMs?: number;
}

const KEY = /^[\u0021-\u007e]{1,255}$/;

/** True for a usable key: 1-255 printable ASCII characters, no spaces. */
export function isValidIdempotencyKey(key: string): boolean {
  return KEY.test(key);
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** sha256 of the body as canonical JSON (sorted keys), so formatting differences do not matter. */
export function bodyHash(body: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(body ?? null)) ?? 'null')
    .digest('hex');
}

/**
 * Creates (or upgrades) strata's own schema, which holds the key table (`strata.idempotency_keys`).
 * Call it in a migration or at start-up; the key functions also call it (cheap once done).
 *
 * @example
 * await createIdempotencyTable(db);
 */
export async function createIdempotencyTable<DB>(db: Kysely<DB>): Promise<void> {
  await ensureStrataSchema(db);
}

interface KeyRow {
  method: string;
  path: string;
  body_hash: string;
  state: 'in_flight' | 'done';
  wait_ms: number | null;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: string | null;
}

/**
 * Claims a key in its own short transaction. `acquired`: run the request, then `complete` in the
 * same transaction as its effect. A key whose holder died is taken over once its lock expires;
 * an expired key starts afresh.
 *
 * @example
 * const claim = await claimIdempotencyKey(db, { principal, key, method: 'POST', path: '/products', bodyHash: bodyHash(body) });
 */
export async function claimIdempotencyKey<DB>(db: Kysely<DB>, request: IdempotentRequest, options: IdempotencyOptions = {}): Promise<Claim> {
  if (!isValidIdempotencyKey(request.key)) throw new StrataError('IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be 1-255 printable ASCII characters');
  await ensureStrataSchema(db);
  const lockMs = options.lockTtlMs ?? 30_000;
  const keepMs = options.retentionMs ?? 86_400_000;
  for (let attempt = 0; attempt < 3; attempt++) {
    const token = randomUUID();
    const { rows: won } = await sql<{ token: string }>`
      INSERT INTO ${sql.raw(KEYS_TABLE)} AS k (principal, key, method, path, body_hash, state, token, locked_until, expires_at)
      VALUES (${request.principal}, ${request.key}, ${request.method}, ${request.path}, ${request.bodyHash}, 'in_flight', ${token},
              clock_timestamp() + make_interval(secs => ${lockMs / 1000}), clock_timestamp() + make_interval(secs => ${keepMs / 1000}))
      ON CONFLICT (principal, key) DO UPDATE
        SET method = EXCLUDED.method, path = EXCLUDED.path, body_hash = EXCLUDED.body_hash, state = 'in_flight', token = EXCLUDED.token,
            locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at,
            response_status = NULL, response_headers = NULL, response_body = NULL, created_at = clock_timestamp()
        WHERE k.expires_at < clock_timestamp()
           OR (k.state = 'in_flight' AND k.locked_until < clock_timestamp()
               AND k.method = EXCLUDED.method AND k.path = EXCLUDED.path AND k.body_hash = EXCLUDED.body_hash)
      RETURNING k.token::text AS token`.execute(db);
    if (won[0]?.token === token) return { kind: 'acquired', token, request };
    const { rows } = await sql<KeyRow>`
      SELECT method, path, body_hash, state, response_status, response_headers, response_body,
             ceil(extract(epoch FROM (locked_until - clock_timestamp())) * 1000)::int AS wait_ms
        FROM ${sql.raw(KEYS_TABLE)} WHERE principal = ${request.principal} AND key = ${request.key}`.execute(db);
    const row = rows[0];
    if (!row) continue;
    const sameBody = request.bodyHash === STREAMED_BODY || row.body_hash === request.bodyHash;
    if (row.method !== request.method || row.path !== request.path || !sameBody) return { kind: 'mismatch' };
    if (row.state === 'done') {
      const response = { status: row.response_status ?? 200, headers: row.response_headers ?? {}, body: row.response_body };
      return { kind: 'replay', response, bodyHash: row.body_hash };
    }
    return { kind: 'in_flight', retryAfterSeconds: Math.max(1, Math.ceil((row.wait_ms ?? 1000) / 1000)) };
  }
  return { kind: 'in_flight', retryAfterSeconds: 1 };
}

/**
 * Stores the response, in the transaction that carries the request's effect, so both commit or
 * neither does; `bodyHash` is the hash of a streamed body, read by now. Fails with
 * IDEMPOTENCY_KEY_IN_FLIGHT when this claim lost its lock to a retry.
 */
export async function completeIdempotencyKey<DB>(
  trx: Kysely<DB>,
  claim: Extract<Claim, { kind: 'acquired' }>,
  response: StoredResponse,
  bodyHash: string = claim.request.bodyHash,
): Promise<void> {
  const result = await sql`
    UPDATE ${sql.raw(KEYS_TABLE)}
       SET state = 'done', locked_until = NULL, body_hash = ${bodyHash}, response_status = ${response.status},
           response_headers = ${JSON.stringify(response.headers)}::jsonb, response_body = ${response.body}
     WHERE principal = ${claim.request.principal} AND key = ${claim.request.key} AND token = ${claim.token} AND state = 'in_flight'`.execute(trx);
  if (result.numAffectedRows !== 1n) {
    throw new StrataError('IDEMPOTENCY_KEY_IN_FLIGHT', 'this request held the Idempotency-Key too long and a retry took it over; its effect was rolled back');
  }
}

/**
 * Extends a claim's lock by `lockTtlMs` from now, so a request that runs longer than the lock
 * (an upload) keeps its key; false when the claim is no longer held.
 *
 * @example
 * const timer = setInterval(() => void renewIdempotencyKey(db, claim, 30_000), 10_000);
 */
export async function renewIdempotencyKey<DB>(db: Kysely<DB>, claim: Extract<Claim, { kind: 'acquired' }>, lockTtlMs = 30_000): Promise<boolean> {
  const result = await sql`
    UPDATE ${sql.raw(KEYS_TABLE)} SET locked_until = clock_timestamp() + make_interval(secs => ${lockTtlMs / 1000})
     WHERE principal = ${claim.request.principal} AND key = ${claim.request.key} AND token = ${claim.token} AND state = 'in_flight'`.execute(db);
  return result.numAffectedRows === 1n;
}

/** Gives the key up after a failed attempt, so a retry can run at once. */
export async function releaseIdempotencyKey<DB>(db: Kysely<DB>, claim: Extract<Claim, { kind: 'acquired' }>): Promise<void> {
  await sql`DELETE FROM ${sql.raw(KEYS_TABLE)}
    WHERE principal = ${claim.request.principal} AND key = ${claim.request.key} AND token = ${claim.token} AND state = 'in_flight'`.execute(db);
}

/**
 * Deletes expired keys in batches; returns how many. Run it periodically.
 *
 * @example
 * setInterval(() => void cleanupIdempotencyKeys(db), 600_000).unref();
 */
export async function cleanupIdempotencyKeys<DB>(db: Kysely<DB>, batchSize = 1000): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await sql`DELETE FROM ${sql.raw(KEYS_TABLE)} WHERE (principal, key) IN (
      SELECT principal, key FROM ${sql.raw(KEYS_TABLE)} WHERE expires_at < clock_timestamp() LIMIT ${batchSize})`.execute(db);
    const n = Number(result.numAffectedRows ?? 0n);
    total += n;
    if (n < batchSize) return total;
  }
}
